#!/usr/bin/env bash
# The test suite's real-peer test: record.sh into a fresh folder, then check.py on what it
# recorded. Usage: run_test.sh RPCTRACE OUTDIR
# Exit 0 all checks passed; 1 a recording step or a check failed; 77 (skipped) when record.sh
# says a prerequisite is missing (not root, no samba/impacket/tcpdump/nft, netns not
# permitted) — unless RPCTRACE_REQUIRE_REALPEERS=1 (CI sets it), when that is a failure too.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rpctrace=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
bash "$here/record.sh" "$out" >"$out/record.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
  reason=$(tail -n 1 "$out/record.log")
  if [ "${RPCTRACE_REQUIRE_REALPEERS:-0}" = 1 ]; then
    echo "real-peer recording required (RPCTRACE_REQUIRE_REALPEERS=1) but skipped: $reason" >&2
    exit 1
  fi
  echo "skipped: $reason"
  exit 77
fi
if [ $rc -ne 0 ]; then
  echo "record.sh failed (exit $rc); its log:" >&2
  tail -n 40 "$out/record.log" >&2
  exit 1
fi
sed -n '/^scenario /,$p' "$out/record.log"
/usr/bin/env python3 "$here/check.py" --rpctrace "$rpctrace" "$out"
