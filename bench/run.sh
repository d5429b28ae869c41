#!/usr/bin/env bash
# Throughput benchmark: rpctrace against a bare libpcap read loop and tshark, in one invocation.
#
# Generates the capture with bench/gen_capture.py when it is missing, then runs, interleaved
# and repeated (the order rotates each round):
#   loop           pcap_loop FILE                        (bench/pcap_loop.cpp)
#   reader         reader_loop FILE: the same loop over the own readers (bench/reader_loop.cpp)
#   reader-gz      reader_loop FILE.gz (gzip -1 of the capture; its MB/s counts the capture's
#                  uncompressed bytes, so it compares with loop and reader)
#   rpctrace-jsonl rpctrace FILE --format jsonl > /dev/null
#   rpctrace-summary rpctrace FILE --summary --format jsonl > /dev/null (decoding, no per-PDU output)
#   rpctrace-text  rpctrace FILE > /dev/null
#   tshark         tshark -r FILE -Y dcerpc -T fields -e frame.number > /dev/null
# The rpctrace runs are repeated on the first quarter of the file (rows NAME@NMB, --memory-mb)
# to show whether peak RSS grows with the capture. tshark runs on fewer rounds
# (--tshark-rounds), and on a prefix of the file cut at a record boundary when --tshark-mb is
# given; its MB/s is then over the prefix it read, and rpctrace runs on that prefix too so the
# speed-up compares the same bytes.
# Each run's wall time is taken around the command; peak RSS comes from /usr/bin/time.
# MB/s = input bytes / 10^6 / median wall time. Tools that are missing are skipped with a note.
# The report (also saved as DIR/results.txt) is meant for docs/performance.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=/tmp/rpctrace-bench
size_mb=600
seed=1
concurrency=200
rounds=5
tshark_rounds=2
tshark_mb=0
memory_mb=auto
rpctrace=$repo/build/rpctrace
max_calls=40
max_stub=100000
threads=auto
baseline=
loop=
reader=

usage() {
  cat <<EOF
usage: bench/run.sh [options]
  --dir DIR            where the capture and results go (default $dir)
  --size-mb N          capture size in MB (default $size_mb)
  --seed N             generator seed (default $seed)
  --concurrency N      generator sessions at a time (default $concurrency)
  --max-calls N        generator calls per connection, 1 to N (default $max_calls; 4 or 1
                       with --max-stub 8000 or 1000 let 2,000 or 20,000 sessions run at once
                       in 100 MB)
  --max-stub N         generator's largest stub in bytes (default $max_stub)
  --threads LIST       rpctrace --threads values, comma-separated (default "1,NPROC"): the
                       first for the rows rpctrace-*, each other T adds rows rpctrace-*-tT
                       on the whole capture and their speed against the first
  --rounds N           rounds for the loop and rpctrace (default $rounds)
  --tshark-rounds N    rounds for tshark, 0 to skip it (default $tshark_rounds)
  --tshark-mb N        run tshark on the first N MB only (default: the whole file)
  --memory-mb N        also run rpctrace on the first N MB, to compare peak RSS
                       (default: a quarter of --size-mb; 0 to skip)
  --rpctrace PATH      rpctrace binary (default build/rpctrace under the repository)
  --baseline PATH      another rpctrace binary (an earlier commit's) run in the same rounds
                       on the same capture: rows baseline-*, and the ratios rpctrace/baseline
  --loop PATH          pcap_loop binary (default build/bench/pcap_loop, else built into DIR)
  --reader PATH        reader_loop binary (default build/bench/reader_loop; skipped when
                       missing: it needs the rpctrace_pcap library, -DRPCTRACE_BUILD_BENCH=ON)
EOF
}

while (($#)); do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --size-mb) size_mb=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --max-calls) max_calls=$2; shift 2 ;;
    --max-stub) max_stub=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --tshark-rounds) tshark_rounds=$2; shift 2 ;;
    --tshark-mb) tshark_mb=$2; shift 2 ;;
    --memory-mb) memory_mb=$2; shift 2 ;;
    --rpctrace) rpctrace=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --loop) loop=$2; shift 2 ;;
    --reader) reader=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ((rounds < 1)); then
  echo "run.sh: --rounds must be at least 1" >&2
  exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "run.sh: /usr/bin/time is needed for peak RSS (Debian package: time)" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
note() { echo "run.sh: $*" >&2; }

# --- The capture -----------------------------------------------------------------------------
shape=
if [[ $max_calls != 40 || $max_stub != 100000 ]]; then
  shape=-calls${max_calls}-stub${max_stub}
fi
capture=$dir/msrpc-${size_mb}mb-seed${seed}-c${concurrency}${shape}.pcap
if [[ ! -s $capture ]]; then
  note "generating $capture"
  python3 "$repo/bench/gen_capture.py" --output "$capture" --size-mb "$size_mb" \
    --seed "$seed" --concurrency "$concurrency" --max-calls "$max_calls" --max-stub "$max_stub"
fi
if [[ $threads == auto ]]; then
  threads=1
  if (($(nproc) > 1)); then threads=1,$(nproc); fi
fi
IFS=, read -r -a thread_counts <<< "$threads"
capture_bytes=$(stat -L -c %s "$capture")

# --- The tools -------------------------------------------------------------------------------
if [[ -z $loop ]]; then
  if [[ -x $repo/build/bench/pcap_loop ]]; then
    loop=$repo/build/bench/pcap_loop
  else
    loop=$dir/pcap_loop
    if [[ ! -x $loop || $repo/bench/pcap_loop.cpp -nt $loop ]]; then
      note "building $loop"
      # shellcheck disable=SC2046  # pkg-config prints several words on purpose
      c++ -std=c++20 -O2 -o "$loop" "$repo/bench/pcap_loop.cpp" \
        $(pkg-config --cflags --libs libpcap)
    fi
  fi
fi

names=()        # tool names, in the order of the table
declare -A cmd  # name -> command line, its words separated by \x1f
declare -A input  # name -> input file
declare -A tool_rounds
declare -A size_file  # name -> the file whose size its MB/s counts, when not its input

add_tool() {  # name rounds input word...
  local name=$1 n=$2 file=$3
  shift 3
  names+=("$name")
  tool_rounds[$name]=$n
  input[$name]=$file
  local IFS=$'\x1f'
  cmd[$name]="$*"
}

add_tool loop "$rounds" "$capture" "$loop" "$capture"

reader=${reader:-$repo/build/bench/reader_loop}
if [[ -x $reader ]]; then
  add_tool reader "$rounds" "$capture" "$reader" "$capture"
  if command -v gzip > /dev/null; then
    if [[ ! -s $capture.gz || $capture -nt $capture.gz ]]; then
      note "compressing $capture (gzip -1)"
      gzip -1 -c "$capture" > "$capture.gz"
    fi
    add_tool reader-gz "$rounds" "$capture.gz" "$reader" "$capture.gz"
    size_file[reader-gz]=$capture
  fi
else
  note "no reader_loop binary at $reader (pass --reader); skipping the own-reader rows"
fi

prefix_of() {  # MB: print the path of the capture's first MB megabytes, cutting it if needed
  local path
  path=$dir/$(basename "$capture" .pcap)-prefix${1}mb.pcap
  if [[ ! -s $path || $capture -nt $path ]]; then
    note "cutting the first $1 MB of the capture"
    python3 "$repo/bench/pcap_prefix.py" "$capture" "$path" --size-mb "$1" > /dev/null
  fi
  echo "$path"
}

have_rpctrace=0
rpctrace_jsonl=0
if [[ -x $rpctrace ]]; then
  have_rpctrace=1
  help=$("$rpctrace" --help 2>&1 || true)
  if [[ $help == *--format* && $help == *jsonl* ]]; then
    rpctrace_jsonl=1
  else
    note "$rpctrace --help does not offer --format jsonl; skipping the JSON Lines runs"
  fi
else
  note "no rpctrace binary at $rpctrace (build it, or pass --rpctrace); skipping rpctrace"
fi

add_rpctrace() {  # name-suffix input rounds [threads]
  if ((have_rpctrace)); then
    local t=()
    if [[ $help == *--threads* ]]; then
      t=(--threads "${4:-${thread_counts[0]}}")
    fi
    if ((rpctrace_jsonl)); then
      add_tool "rpctrace-jsonl$1" "$3" "$2" "$rpctrace" "$2" --format jsonl "${t[@]}"
    fi
    add_tool "rpctrace-text$1" "$3" "$2" "$rpctrace" "$2" "${t[@]}"
    if [[ $help == *--summary* ]]; then
      add_tool "rpctrace-summary$1" "$3" "$2" "$rpctrace" "$2" --summary --format jsonl "${t[@]}"
    fi
  fi
}

add_rpctrace "" "$capture" "$rounds"
if [[ $help == *--threads* ]]; then
  for t in "${thread_counts[@]:1}"; do
    add_rpctrace "-t$t" "$capture" "$rounds" "$t"
  done
fi
if [[ -n $baseline ]]; then
  if [[ -x $baseline ]]; then
    # The same thread count as the first rpctrace rows, where the baseline has --threads (its
    # default, the cores, would give its text writer a thread the rows compared with lack).
    bt=()
    if [[ $("$baseline" --help 2>&1) == *--threads* ]]; then
      bt=(--threads "${thread_counts[0]}")
    fi
    add_tool baseline-jsonl "$rounds" "$capture" "$baseline" "$capture" --format jsonl "${bt[@]}"
    add_tool baseline-text "$rounds" "$capture" "$baseline" "$capture" "${bt[@]}"
    add_tool baseline-summary "$rounds" "$capture" "$baseline" "$capture" --summary --format jsonl \
      "${bt[@]}"
  else
    note "no baseline binary at $baseline; skipping it"
  fi
fi

# The same runs on the first quarter of the file: peak RSS should not grow with the capture.
if [[ $memory_mb == auto ]]; then
  memory_mb=$(awk -v s="$size_mb" 'BEGIN { printf "%g", s / 4 }')
fi
memory_suffix=
if [[ $memory_mb != 0 ]] && ((have_rpctrace)); then
  memory_suffix=@${memory_mb}MB
  add_rpctrace "$memory_suffix" "$(prefix_of "$memory_mb")" "$rounds"
fi

tshark_input=$capture
tshark_suffix=
if ((tshark_rounds > 0)) && command -v tshark > /dev/null; then
  if [[ $tshark_mb != 0 ]]; then
    tshark_input=$(prefix_of "$tshark_mb")
    tshark_suffix=@${tshark_mb}MB
    if [[ $tshark_suffix != "$memory_suffix" ]]; then
      add_rpctrace "$tshark_suffix" "$tshark_input" "$rounds"
    fi
  fi
  add_tool tshark "$tshark_rounds" "$tshark_input" \
    tshark -r "$tshark_input" -Y dcerpc -T fields -e frame.number
elif ((tshark_rounds > 0)); then
  note "tshark not found; skipping it"
fi

# --- Measure ---------------------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=$work/samples  # name seconds rss_kb exit_status

run_one() {  # name
  local name=$1 words start end status rss
  IFS=$'\x1f' read -r -a words <<< "${cmd[$name]}"
  start=$(date +%s%N)
  status=0
  /usr/bin/time -f '%M' -o "$work/time" "${words[@]}" > /dev/null 2> "$work/stderr" || status=$?
  end=$(date +%s%N)
  rss=$(tail -n 1 "$work/time")
  if ((status != 0)); then
    note "$name exited with status $status: $(head -c 300 "$work/stderr")"
  fi
  echo "$name $(((end - start) / 1000)) $rss $status" >> "$samples"
}

cat "$capture" "$tshark_input" ${size_file[reader-gz]:+"$capture.gz"} > /dev/null  # warm page cache
: > "$samples"
max_rounds=$rounds
for name in "${names[@]}"; do
  if ((${tool_rounds[$name]} > max_rounds)); then
    max_rounds=${tool_rounds[$name]}
  fi
done
for ((round = 0; round < max_rounds; round++)); do
  count=${#names[@]}
  for ((i = 0; i < count; i++)); do
    name=${names[(round + i) % count]}
    if ((round < ${tool_rounds[$name]})); then
      note "round $((round + 1))/$max_rounds: $name"
      run_one "$name"
    fi
  done
done

# --- Report ----------------------------------------------------------------------------------
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2> /dev/null || echo "none (no commits yet)")
if [[ -n $(git -C "$repo" status --porcelain 2> /dev/null) ]]; then
  commit+=" (working tree has changes)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
tshark_version=$(tshark --version 2> /dev/null | head -n 1 || echo "not installed")

report=$dir/results.txt
{
  echo "rpctrace throughput benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command:  bench/run.sh --dir $dir --size-mb $size_mb --seed $seed" \
    "--concurrency $concurrency --max-calls $max_calls --max-stub $max_stub" \
    "--threads $threads --rounds $rounds --tshark-rounds $tshark_rounds" \
    "--tshark-mb $tshark_mb --memory-mb $memory_mb${baseline:+ --baseline $baseline}"
  echo "commit:   HEAD $commit"
  if ((have_rpctrace)); then
    echo "rpctrace: $rpctrace (built $(date -u -r "$rpctrace" +%Y-%m-%dT%H:%M:%SZ))"
  fi
  if [[ -n $baseline ]]; then
    echo "baseline: $baseline (built $(date -u -r "$baseline" +%Y-%m-%dT%H:%M:%SZ))"
  fi
  echo "loop:     $loop"
  if [[ -x $reader ]]; then
    echo "reader:   $reader"
  fi
  memory=$(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)
  echo "machine:  $cpu, nproc $(nproc), $(uname -sr), $memory"
  echo "versions: libpcap $(pkg-config --modversion libpcap 2> /dev/null || echo '?');" \
    "$tshark_version"
  echo "capture:  $capture ($capture_bytes bytes, from bench/gen_capture.py --size-mb $size_mb" \
    "--seed $seed --concurrency $concurrency --max-calls $max_calls --max-stub $max_stub)"
  echo "threads:  rpctrace-* rows (and baseline-* where it has --threads) with --threads ${thread_counts[0]}"
  for name in "${names[@]}"; do
    if [[ $name == *@* && ${input[$name]} != "${prefixes_shown:-}" ]]; then
      prefixes_shown=${input[$name]}
      echo "prefix:   ${input[$name]} ($(stat -c %s "${input[$name]}") bytes, whole records):" \
        "rows @${name#*@} read only this"
    fi
  done
  if [[ $tshark_input != "$capture" ]]; then
    echo "tshark read only the prefix $tshark_input"
  fi
  echo
  printf '%-22s %12s %6s %10s %10s %10s %10s %12s\n' tool "input MB" runs "median s" "min s" \
    "max s" "MB/s" "peak RSS MB"
  for name in "${names[@]}"; do
    bytes=$(stat -c %s "${size_file[$name]:-${input[$name]}}")
    awk -v name="$name" -v bytes="$bytes" '
      $1 == name && $4 == 0 { t[++n] = $2 / 1e6; if ($3 > rss) rss = $3 }
      $1 == name && $4 != 0 { failed++ }
      END {
        if (n == 0) {
          printf "%-22s %12.1f %6d   all %d runs failed\n", name, bytes / 1e6, 0, failed
          exit
        }
        for (i = 1; i <= n; i++)
          for (j = i + 1; j <= n; j++)
            if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
        median = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
        printf "%-22s %12.1f %6d %10.3f %10.3f %10.3f %10.1f %12.1f%s\n", name, bytes / 1e6, n,
          median, t[1], t[n], bytes / 1e6 / median, rss / 1024,
          failed ? sprintf("  (%d failed runs left out)", failed) : ""
      }' "$samples"
  done
} > "$report.table"

# MB/s and peak RSS by tool, for the ratios.
declare -A mbps rss_mb
while read -r name rate rss; do
  mbps[$name]=$rate
  rss_mb[$name]=$rss
done < <(awk 'NF >= 8 && $2 ~ /^[0-9.]+$/ && $7 ~ /^[0-9.]+$/ { print $1, $7, $8 }' \
  "$report.table")

{
  cat "$report.table"
  echo
  ratio() {  # label numerator denominator note; quiet when either value is missing
    if [[ -n $2 && -n $3 ]]; then
      awk -v a="$2" -v b="$3" -v label="$1" -v remark="$4" \
        'BEGIN { printf "%-52s %8.2f   (%s)\n", label, a / b, remark }'
    fi
  }
  for format in jsonl text summary; do
    name=rpctrace-$format
    ratio "speed-up $name$tshark_suffix / tshark (MB/s)" "${mbps[$name$tshark_suffix]:-}" \
      "${mbps[tshark]:-}" "goal >= 50 at 200 sessions, 40 at 2,000, 25 at 20,000"
  done
  declare -A slowdown_goal=([jsonl]=1.5 [text]=2 [summary]=1.2)
  for format in jsonl text summary; do
    name=rpctrace-$format
    ratio "slowdown loop / $name (MB/s)" "${mbps[loop]:-}" "${mbps[$name]:-}" \
      "goal <= ${slowdown_goal[$format]}"
  done
  for t in "${thread_counts[@]:1}"; do
    for format in jsonl text summary; do
      ratio "speed rpctrace-$format-t$t / rpctrace-$format (MB/s)" \
        "${mbps[rpctrace-$format-t$t]:-}" "${mbps[rpctrace-$format]:-}" \
        "--threads $t against --threads ${thread_counts[0]}"
    done
  done
  if [[ -n $memory_suffix ]]; then
    for format in jsonl text summary; do
      name=rpctrace-$format
      ratio "peak RSS $name / $name$memory_suffix" "${rss_mb[$name]:-}" \
        "${rss_mb[$name$memory_suffix]:-}" "goal: about 1, whatever the capture size"
    done
  fi
  for format in jsonl text summary; do
    ratio "speed rpctrace-$format / baseline-$format (MB/s)" "${mbps[rpctrace-$format]:-}" \
      "${mbps[baseline-$format]:-}" "1 = unchanged; below 1 slower than the baseline"
  done
  ratio "speed reader / loop (MB/s)" "${mbps[reader]:-}" "${mbps[loop]:-}" \
    "own readers against libpcap; goal >= 1"
  ratio "speed reader-gz / loop (MB/s)" "${mbps[reader-gz]:-}" "${mbps[loop]:-}" \
    "gzip -1 capture through the own readers, uncompressed MB"
  ratio "slowdown loop / tshark (MB/s)" "${mbps[loop]:-}" "${mbps[tshark]:-}" "for reference"
  if [[ -z ${mbps[rpctrace-text]:-} ]]; then
    echo "(no rpctrace figures: the binary was missing or every run failed)"
  fi
} > "$report"
rm -f "$report.table"
cat "$report"
note "report saved in $report"
