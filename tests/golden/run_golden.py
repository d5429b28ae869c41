#!/usr/bin/env python3
"""Golden tests: run rpctrace on every capture in testdata/ that has expected output in
tests/golden/, and compare byte for byte.

For a capture testdata/NAME.pcap(ng) the expected files are:
  tests/golden/NAME.txt    text report (stdout), then a line "--- stderr ---", then stderr
  tests/golden/NAME.jsonl  --format jsonl output
  tests/golden/NAME.endpoints.txt  `rpctrace endpoints` output (stdout), for captures with EPM calls
  tests/golden/NAME.diagnose.txt   `rpctrace diagnose` output (stdout) and its exit status
  tests/golden/NAME.summary.txt, NAME.summary.jsonl  `rpctrace summary` (text, stdout only; jsonl)
  tests/golden/NAME.stats.txt, NAME.stats.jsonl      `rpctrace stats`
  tests/golden/NAME.calls.txt   `rpctrace --calls` (one line per call; stdout only)
  tests/golden/NAME.zeek.jsonl  `rpctrace --format zeek` (Zeek's dce_rpc.log records)
  tests/golden/NAME.rc     optional: the expected exit status (default 0)
  tests/golden/filters/CASE.txt  the selection options of FILTER_CASES below, each on one
                                 capture (stdout, then its exit status)
With --update the expected files are rewritten (review the diff before committing).
Exit status: 0 all equal, 1 a difference (a unified diff is printed), 2 usage error.
"""
import argparse
import difflib
import pathlib
import subprocess
import sys


# Selection options, alone and combined, each on a capture where it keeps some and leaves some.
FILTER_CASES = [
    ("interface_keeps_epm_lookup", ["--summary", "--interface", "MTA", "kb159298_story.pcap"]),
    ("interface_unknown_name", ["summary", "--interface", "NOSUCH", "kb159298_story.pcap"]),
    ("interface_uuid", ["summary", "--interface", "12345778-1234-abcd-ef00-0123456789ab",
                        "rp_ret_denied.pcap"]),
    ("opnum_names_and_numbers", ["summary", "--opnum", "LsarOpenPolicy2,5", "rp_ret_denied.pcap"]),
    ("opnum_unknown_name", ["stats", "--opnum", "NoSuchCall", "rp_ret_denied.pcap"]),
    ("opnum_timeline", ["--opnum", "SamrConnect5", "rp_ret_denied.pcap"]),
    ("stats_interface", ["stats", "--interface", "SAMR", "rp_ret_denied.pcap"]),
    ("host_cidr_and_conversation", ["summary", "--host", "10.213.7.0/24", "--conversation",
                                    "2,4", "rp_ret_denied.pcap"]),
    ("host_cidr_outside", ["summary", "--host", "10.0.0.0/8", "--host", "192.168.0.0/16",
                           "diag_faults.pcap"]),
    ("host_bad", ["summary", "--host", "10.1.0.0/40", "diag_faults.pcap"]),
    ("since_utc", ["summary", "--since", "1997-01-01T00:00:00.5Z", "kb159298_story.pcap"]),
    ("until_epoch", ["summary", "--until", "852076800.5", "kb159298_story.pcap"]),
    ("since_after_until", ["summary", "--since", "852076801", "--until", "852076800",
                           "kb159298_story.pcap"]),
    ("window_offset", ["summary", "--since", "2006-03-14T16:00:00.07+01:00", "--until",
                       "2006-03-14T15:00:00.1Z", "diag_faults.pcap"]),
    ("port_and_bpf", ["summary", "--port", "1090", "diag_faults.pcap", "tcp", "port", "1090",
                      "and", "host", "10.5.0.10"]),
    ("conversation_timeline", ["--conversation", "3", "diag_faults.pcap"]),
    ("quiet_timeline", ["-q", "diag_faults.pcap"]),
    ("quiet_summary_jsonl", ["summary", "--quiet", "--format", "jsonl", "diag_faults.pcap"]),
    ("quiet_not_for_stats", ["stats", "-q", "diag_faults.pcap"]),
    # Habits: the time column, colour, the one-line-per-call and Zeek forms and their limits.
    ("time_relative", ["-t", "r", "--conversation", "2", "kb159298_story.pcap"]),
    ("time_epoch", ["-t", "e", "--conversation", "1", "kb159298_story.pcap"]),
    ("time_utc_date", ["-t", "ud", "--conversation", "3", "diag_faults.pcap"]),
    ("time_not_with_jsonl", ["-t", "r", "--format", "jsonl", "diag_faults.pcap"]),
    ("time_bad_letter", ["-t", "x", "diag_faults.pcap"]),
    ("color_always_timeline", ["--color", "always", "--conversation", "3", "diag_faults.pcap"]),
    ("color_always_summary", ["summary", "--color", "always", "rp_ret_denied.pcap"]),
    ("color_always_diagnose", ["diagnose", "--color", "always", "diag_dynamic_port_rst.pcap"]),
    ("color_always_calls", ["--calls", "--color", "always", "diag_faults.pcap"]),
    ("color_never", ["summary", "--color", "never", "rp_ret_denied.pcap"]),
    ("color_auto_not_a_terminal", ["summary", "rp_ret_denied.pcap"]),
    ("calls_with_filters", ["--calls", "--interface", "samr", "--opnum", "SamrConnect5,1",
                            "rp_np_samr.pcap"]),
    ("calls_not_with_jsonl", ["--calls", "--format", "jsonl", "diag_faults.pcap"]),
    ("zeek_interface", ["--format", "zeek", "--interface", "lsarpc", "rp_np_samr.pcap"]),
    ("zeek_not_for_summary", ["summary", "--format", "zeek", "diag_faults.pcap"]),
    # --port and --host select conversations, not frames: the endpoint mapper's answer on 135
    # still links the refused connection to the port it gave.
    ("port_keeps_epm_link_diagnose", ["diagnose", "--port", "1090", "diag_dynamic_port_rst.pcap"]),
    ("port_keeps_epm_link_summary", ["summary", "--port", "1090", "diag_dynamic_port_rst.pcap"]),
    ("write_needs_a_file", ["-w", "/nonexistent-dir/out.pcap", "diag_faults.pcap"]),
]


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
        if name != "not_a_capture":
            kinds.append(("summary", ".summary.txt", ["summary", rel]))
            kinds.append(("summary", ".summary.jsonl", ["summary", "--format", "jsonl", rel]))
            kinds.append(("stats", ".stats.txt", ["stats", rel]))
            kinds.append(("stats", ".stats.jsonl", ["stats", "--format", "jsonl", rel]))
            kinds.append(("calls", ".calls.txt", ["--calls", rel]))
            kinds.append(("zeek", ".zeek.jsonl", ["--format", "zeek", rel]))
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
    for case, argv in FILTER_CASES:
        p = subprocess.run([str(pathlib.Path(args.rpctrace).resolve())] + argv,
                           capture_output=True, timeout=120, cwd=testdata)
        got = p.stdout.decode("utf-8", "replace") + "--- stderr ---\n" + \
            "".join(l for l in p.stderr.decode("utf-8", "replace").splitlines(True)
                    if l.startswith("rpctrace:")) + "--- exit %d ---\n" % p.returncode
        expected_file = golden / "filters" / f"{case}.txt"
        if args.update:
            expected_file.parent.mkdir(exist_ok=True)
            expected_file.write_text(" ".join(argv) + "\n" + got)
            continue
        checked += 1
        want = expected_file.read_text() if expected_file.exists() else ""
        got = " ".join(argv) + "\n" + got
        if got != want:
            failures += 1
            print(f"FAIL filter case {case}")
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True), f"expected/{case}.txt",
                f"got/{case}.txt", n=2))
    if args.update:
        print("golden files updated")
        return 0
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
