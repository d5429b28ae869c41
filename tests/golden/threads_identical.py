#!/usr/bin/env python3
"""--threads does not change what rpctrace says: every capture given (testdata/, and any other
folder, such as ../shared/captures/public) is run in every mode with --threads 1 and with
--threads N (default 4), plain and gzip-compressed (the compressed file is read by the reader
thread too; in the timeline's two formats), and standard output, standard error and the exit
status must be equal, byte for byte. In the timeline's two formats (the text writer runs on
a thread of its own, JSON Lines stays on one) each capture is also read together with the next one (two files merged,
frames named FILE:NUMBER), and written out with -w (the written files must be equal too).

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


def run(rpctrace, mode, path, threads, write=None):
    paths = path if isinstance(path, list) else [path]
    command = [rpctrace] + mode[:1] + paths + mode[1:] if mode[:1] in (
        ["diagnose"], ["endpoints"], ["stats"]) else [rpctrace] + paths + mode
    command += ["--threads", str(threads), "--color", "never"]
    if write:
        command += ["-w", write]
    p = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    written = b""
    if write and os.path.exists(write):
        with open(write, "rb") as f:
            written = f.read()
        os.remove(write)
    # -w names its file in its message on standard error: the name is the run's own.
    return p.returncode, p.stdout, p.stderr.replace(write.encode(), b"W") if write else p.stderr, written


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpctrace", required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    checked = failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        def compare(what, one, many):
            nonlocal checked, failures
            checked += 1
            if one != many:
                failures += 1
                names = ["exit status", "standard output", "standard error", "-w file"]
                print(f"DIFFER {what}: {names[next(i for i in range(len(one)) if one[i] != many[i])]}")

        for folder in args.folders:
            paths = list(captures(folder))
            for at, path in enumerate(paths):
                if not path.endswith(".gz") and at + 1 < len(paths):
                    for mode in MODES[:2]:
                        pair = [path, paths[at + 1]]
                        compare(f"{' '.join(pair)} {' '.join(mode)}",
                                run(args.rpctrace, mode, pair, 1),
                                run(args.rpctrace, mode, pair, args.threads))
                        w = os.path.join(tmp, "written.pcapng")
                        compare(f"{path} {' '.join(mode)} -w",
                                run(args.rpctrace, mode, path, 1, w),
                                run(args.rpctrace, mode, path, args.threads, w))
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
                        compare(f"{capture} {' '.join(mode)}",
                                run(args.rpctrace, mode, capture, 1),
                                run(args.rpctrace, mode, capture, args.threads))
    print(f"{checked} runs compared (--threads 1 against --threads {args.threads}): "
          f"{failures} differ")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
