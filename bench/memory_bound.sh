#!/usr/bin/env bash
# Peak memory on the two large captures of the memory-bound requirement (docs/limits.md):
#   many    one million TCP connections open at once (bench/gen_memory.py --mode many)
#   single  one connection carrying 2 GB of DCE/RPC (bench/gen_memory.py --mode single)
# and on a quarter of each (250,000 connections; a 512 MB prefix), to show that peak RSS does
# not grow with the capture. Peak RSS is /usr/bin/time -v's "Maximum resident set size".
# Usage: bench/memory_bound.sh [DIR] [RPCTRACE]   (DIR default /tmp/rpctrace-memory)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-/tmp/rpctrace-memory}
rpctrace=${2:-$repo/build/rpctrace}
mkdir -p "$dir"
gen() {  # gen FILE ARGS...: generate once
  local f=$1; shift
  [ -s "$f" ] || python3 "$repo/bench/gen_memory.py" "$@" -o "$f" >/dev/null
}
gen "$dir/many_1m.pcap" --mode many --connections 1000000
gen "$dir/many_250k.pcap" --mode many --connections 250000
gen "$dir/single_2g.pcap" --mode single --size-mb 2048
[ -s "$dir/single_512m.pcap" ] ||
  python3 "$repo/bench/pcap_prefix.py" "$dir/single_2g.pcap" "$dir/single_512m.pcap" --size-mb 512 >/dev/null

printf '%-18s %-22s %12s %10s %s\n' capture mode "peak RSS MB" "wall s" "evicted (limit)"
for cap in many_250k many_1m single_512m single_2g; do
  for mode in "--format jsonl" "--summary" "text" "diagnose"; do
    case $mode in
      text) args=() ;;
      diagnose) args=(diagnose) ;;
      *) read -r -a args <<<"$mode" ;;
    esac
    /usr/bin/time -v "$rpctrace" "${args[@]}" "$dir/$cap.pcap" >/dev/null 2>"$dir/time.txt" || true
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$dir/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")
    ev=$(grep -o 'tcp_evicted_limit: [0-9]*' "$dir/time.txt" | awk '{print $2}' || true)
    printf '%-18s %-22s %12s %10s %s\n' "$cap" "$mode" "$rss" "$wall" "${ev:--}"
  done
done
