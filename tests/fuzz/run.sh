#!/usr/bin/env bash
# Build the fuzzers and run them. Usage:
#   tests/fuzz/run.sh build                  configure and build build-fuzz/ with clang
#   tests/fuzz/run.sh corpus                 seed corpora in build-fuzz/corpus/ (make_corpus.py)
#   tests/fuzz/run.sh TARGET SECONDS         run one target; its log in build-fuzz/logs/
# Findings land in build-fuzz/artifacts/ (crash-*, leak-*, timeout-*); copy each into
# tests/fuzz/regressions/TARGET/ once fixed, where the test suite replays it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${RPCTRACE_FUZZ_DIR:-$root/build-fuzz}
case "${1:-}" in
  build)
    CC=clang CXX=clang++ cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRPCTRACE_FUZZ=ON >/dev/null
    cmake --build "$out"
    ;;
  corpus)
    rm -rf "$out/corpus"
    python3 "$here/make_corpus.py" "$out/corpus"
    for t in "$here"/corpus/*/; do   # the committed seeds too
      [ -d "$t" ] && mkdir -p "$out/corpus/$(basename "$t")" && cp -n "$t"* "$out/corpus/$(basename "$t")/" 2>/dev/null || true
    done
    ;;
  fuzz_*)
    target=$1 seconds=${2:-60}
    # Whole captures need room; a single PDU or auth_value does not.
    max_len=8192
    [ "$target" = fuzz_pipeline ] && max_len=65536
    [ "$target" = fuzz_tcp ] && max_len=32768
    [ "$target" = fuzz_smb ] && max_len=65536
    case $target in fuzz_pcap_file|fuzz_pcapng_file|fuzz_netmon_file|fuzz_compressed)
      max_len=65536 ;;  # whole capture files
    esac
    mkdir -p "$out/artifacts" "$out/logs" "$out/corpus/$target"
    log="$out/logs/$target.log"
    "$out/tests/fuzz/$target" "$out/corpus/$target" -dict="$here/dcerpc.dict" \
      -max_total_time="$seconds" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" >"$log" 2>&1 || true
    # Last status line and final stats: executions, coverage (edges), features, corpus size.
    grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)" "$log" | tail -n 2
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$log" || true
    ls "$out/artifacts" 2>/dev/null | grep "^$target-" && exit 1 || exit 0
    ;;
  *)
    sed -n '2,7p' "$0"
    exit 2
    ;;
esac
