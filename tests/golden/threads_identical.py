#!/usr/bin/env python3
"""--threads does not change what rpctrace says: every capture given (testdata/, and any other
folder, such as ../shared/captures/public) is run in every mode with --threads 1 and with
--threads N (default 4), plain and gzip-compressed (the compressed file is read by the reader
thread too; in the timeline's two formats), and standard output, standard error and the exit status must be equal, byte for
byte.

Usage: threads_identical.py --rpctrace BIN DIR [DIR ...] [--threads N]
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

MODES = [
    [],
    ["--format", "jsonl"],
    ["--summary"],
    ["--summary", "--format", "jsonl"],
    ["--calls"],
    ["diagnose"],
    ["diagnose", "--format", "jsonl"],
    ["endpoints", "--format", "jsonl"],
    ["stats", "--format", "jsonl"],
]
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz")


def captures(folder):
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            if name.endswith(CAPTURE_SUFFIXES):
                yield os.path.join(root, name)


def run(rpctrace, mode, path, threads):
    command = [rpctrace] + mode[:1] + [path] + mode[1:] if mode[:1] in (
        ["diagnose"], ["endpoints"], ["stats"]) else [rpctrace, path] + mode
    command += ["--threads", str(threads), "--color", "never"]
    p = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    return p.returncode, p.stdout, p.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpctrace", required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    checked = failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.folders:
            for path in captures(folder):
                inputs = [path]
                if not path.endswith(".gz"):
                    packed = os.path.join(tmp, os.path.basename(path) + ".gz")
                    with open(path, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
                        dst.write(src.read())
                    inputs.append(packed)
                for capture in inputs:
                    # The compressed copy in the timeline's two formats: it is the reading
                    # that differs, not the analysis.
                    for mode in MODES if capture == path else MODES[:2]:
                        one = run(args.rpctrace, mode, capture, 1)
                        many = run(args.rpctrace, mode, capture, args.threads)
                        checked += 1
                        if one != many:
                            failures += 1
                            what = "exit status" if one[0] != many[0] else (
                                "standard output" if one[1] != many[1] else "standard error")
                            print(f"DIFFER {capture} {' '.join(mode)}: {what}")
    print(f"{checked} runs compared (--threads 1 against --threads {args.threads}): "
          f"{failures} differ")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
