#!/usr/bin/env bash
# Time per frame at two numbers of conversations at once with the same frame mix (issue 17,
# point 2): runs rpctrace --threads 1 in text, JSON Lines and --summary on capture A and B in
# interleaved rounds and prints the median and minimum wall seconds of each, and B/A.
# Usage: bench/same_mix.sh RPCTRACE A.pcap B.pcap [ROUNDS]
#   A and B from bench/gen_capture.py with the same --size-mb, --max-calls and --max-stub and
#   different --concurrency (e.g. 200 and 20000 with --max-calls 1 --max-stub 1000).
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n 2,7p "$0" >&2; exit 2; }
rpctrace=$1 a=$2 b=$3 rounds=${4:-5}
declare -A args=([text]="" [jsonl]="--format jsonl" [summary]="--summary --format jsonl")
for ((r = 0; r < rounds; r++)); do
  for cap in A B; do
    file=$a
    [[ $cap == B ]] && file=$b
    for mode in text jsonl summary; do
      start=$(date +%s%N)
      # shellcheck disable=SC2086  # the mode's arguments are words
      "$rpctrace" --threads 1 ${args[$mode]} "$file" > /dev/null 2>&1
      end=$(date +%s%N)
      echo "$cap $mode $(((end - start) / 1000))"
    done
  done
done | sort -k1,1 -k2,2 -k3,3n | awk '
  { k = $1 " " $2; n[k]++; v[k, n[k]] = $3 / 1e6 }
  END {
    for (k in n) { med[k] = v[k, int((n[k] + 1) / 2)]; min[k] = v[k, 1] }
    split("text jsonl summary", modes, " ")
    for (i = 1; i <= 3; i++) {
      m = modes[i]
      printf "%-8s A median %.3f min %.3f   B median %.3f min %.3f   B/A median %.2f min %.2f\n",
        m, med["A " m], min["A " m], med["B " m], min["B " m],
        med["B " m] / med["A " m], min["B " m] / min["A " m]
    }
  }'
