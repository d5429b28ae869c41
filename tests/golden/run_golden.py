#!/usr/bin/env python3
"""Golden tests: run rpctrace on every capture in testdata/ that has expected output in
tests/golden/, and compare byte for byte.

For a capture testdata/NAME.pcap(ng) the expected files are:
  tests/golden/NAME.txt    text report (stdout), then a line "--- stderr ---", then stderr
  tests/golden/NAME.jsonl  --format jsonl output
  tests/golden/NAME.endpoints.txt  `rpctrace endpoints` output (stdout), for captures with EPM calls
  tests/golden/NAME.diagnose.txt   `rpctrace diagnose` output (stdout) and its exit status
  tests/golden/NAME.rc     optional: the expected exit status (default 0)
With --update the expected files are rewritten (review the diff before committing).
Exit status: 0 all equal, 1 a difference (a unified diff is printed), 2 usage error.
"""
import argparse
import difflib
import pathlib
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    testdata = pathlib.Path(args.testdata)
    golden = pathlib.Path(args.golden)
    failures = 0
    checked = 0
    for capture in sorted(testdata.iterdir()):
        if capture.suffix not in (".pcap", ".pcapng"):
            continue
        name = capture.stem
        rc_file = golden / f"{name}.rc"
        want_rc = int(rc_file.read_text().strip()) if rc_file.exists() else 0
        # Run from the testdata folder with a bare file name so paths in output are stable.
        rel = capture.name
        kinds = [("text", ".txt", [rel]), ("jsonl", ".jsonl", [rel, "--format", "jsonl"])]
        if name.startswith(("epm_", "kb159298_", "rp_", "cl_", "http_")):
            kinds.append(("endpoints", ".endpoints.txt", ["endpoints", rel]))
        if name.startswith(("diag_", "kb159298_", "epm_", "all_ptypes", "rp_", "cl_", "http_")):
            kinds.append(("diagnose", ".diagnose.txt", ["diagnose", rel]))
            kinds.append(("diagnose", ".diagnose.jsonl", ["diagnose", "--format", "jsonl", rel]))
        for kind, suffix, argv in kinds:
            p = subprocess.run([str(pathlib.Path(args.rpctrace).resolve())] + argv,
                               capture_output=True, timeout=120, cwd=testdata)
            got = p.stdout.decode("utf-8", "replace")
            if kind == "text":
                got += "--- stderr ---\n" + p.stderr.decode("utf-8", "replace")
            if kind == "diagnose":  # its exit status is part of the answer (0, 1 or 2)
                got += "--- exit %d ---\n" % p.returncode
            expected_file = golden / f"{name}{suffix}"
            if args.update:
                expected_file.write_text(got)
                if p.returncode != 0 and kind != "diagnose":
                    rc_file.write_text(f"{p.returncode}\n")
                continue
            if not expected_file.exists():
                continue
            checked += 1
            want = expected_file.read_text()
            if got != want or (kind != "diagnose" and p.returncode != want_rc):
                failures += 1
                print(f"FAIL {name} ({kind}): exit {p.returncode} (want {want_rc})")
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True), f"expected/{expected_file.name}",
                    f"got/{expected_file.name}", n=2))
    if args.update:
        print("golden files updated")
        return 0
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
