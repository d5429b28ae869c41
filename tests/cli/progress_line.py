#!/usr/bin/env python3
"""The progress line (issue 17): on standard error when it is a terminal, for a run reading a
file, rewritten in place and cleared at the end; silent with -q, when standard error is not a
terminal, and when the timeline goes to the same terminal. The line's first showing is
brought forward with RPCTRACE_PROGRESS_MS=0 (normally one second), and a capture of a
few megabytes from bench/gen_capture.py gives it several updates.

Usage: progress_line.py --rpctrace BIN --generator bench/gen_capture.py
"""
import argparse
import os
import pty
import re
import subprocess
import sys
import tempfile
import threading


def run(rpctrace, args, stdout_tty, stderr_tty, delay_ms="0"):
    """(stdout bytes or None, stderr bytes) of one run, each on a terminal or a pipe."""
    env = dict(os.environ, RPCTRACE_PROGRESS_MS=delay_ms, TERM="xterm")
    env.pop("NO_COLOR", None)
    master, slave = pty.openpty()
    p = subprocess.Popen([rpctrace] + args,
                         stdout=slave if stdout_tty else subprocess.PIPE,
                         stderr=slave if stderr_tty else subprocess.PIPE, env=env)
    os.close(slave)
    # The pipes are drained by threads while the terminal is read here (a full pipe would
    # stop the child).
    piped = {}
    readers = []
    for name, stream in (("out", p.stdout), ("err", p.stderr)):
        if stream is not None:
            t = threading.Thread(target=lambda n=name, s=stream: piped.__setitem__(n, s.read()))
            t.start()
            readers.append(t)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    for t in readers:
        t.join()
    p.wait()
    os.close(master)
    out, err = piped.get("out"), piped.get("err")
    return (out if not stdout_tty else tty), (err if not stderr_tty else tty), p.returncode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpctrace", required=True)
    parser.add_argument("--generator", required=True)
    args = parser.parse_args()
    failures = []

    def check(what, ok):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "busy.pcap")
        subprocess.run([sys.executable, args.generator, "-o", capture, "--size-mb", "8",
                        "--concurrency", "500", "--max-calls", "4", "--max-stub", "4000"],
                       check=True, stderr=subprocess.DEVNULL)
        size_mb = os.path.getsize(capture) / 1e6
        summary = [capture, "--summary", "--format", "jsonl"]

        _, err, rc = run(args.rpctrace, summary, stdout_tty=False, stderr_tty=True)
        lines = [l for l in err.split(b"\r") if l.startswith(b"rpctrace: ")]
        check("shown on a terminal, rewritten in place (%d updates)" % len(lines),
              rc == 0 and len(lines) >= 2)
        pattern = re.compile(rb"rpctrace: (\d+)% of ([\d.]+) MB, ([\d,]+) frames, ([\d,]+) "
                             rb"frames/s, ([\d,]+) TCP connections open\x1b\[K$")
        parsed = [pattern.match(l) for l in lines]
        check("each update names percent, size, frames, rate and connections open",
              all(parsed) and len(parsed) > 0)
        if all(parsed) and parsed:
            percents = [int(m.group(1)) for m in parsed]
            frames = [int(m.group(3).replace(b",", b"")) for m in parsed]
            check("percent and frames only grow, the size is the file's",
                  percents == sorted(percents) and frames == sorted(frames) and
                  all(abs(float(m.group(2)) - size_mb) < 0.06 for m in parsed) and
                  percents[-1] <= 100)
        check("cleared at the end", err.endswith(b"\r\x1b[K"))
        _, quiet_err, _ = run(args.rpctrace, summary + ["-q"], stdout_tty=False, stderr_tty=True)
        check("silent with -q", b"rpctrace: " not in quiet_err)
        _, piped_err, _ = run(args.rpctrace, summary, stdout_tty=False, stderr_tty=False)
        check("silent when standard error is not a terminal", b"\r" not in piped_err)
        both, _, _ = run(args.rpctrace, [capture], stdout_tty=True, stderr_tty=True)
        check("silent when the timeline goes to the same terminal", b"\rrpctrace: " not in both)
        diag, _, _ = run(args.rpctrace, ["diagnose", capture], stdout_tty=True, stderr_tty=True)
        check("shown for diagnose, which reports at the end", b"\rrpctrace: " in diag)
        _, late_err, _ = run(args.rpctrace, summary, stdout_tty=False, stderr_tty=True,
                             delay_ms="600000")
        check("a short run shows nothing", b"rpctrace: " not in late_err)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
