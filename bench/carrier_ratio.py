#!/usr/bin/env python3
"""What a named pipe costs per byte next to DCE/RPC on TCP.

Writes two captures with bench/gen_capture.py from the same seed, size and concurrency: the
calls on dynamic TCP ports (--carrier tcp) and the same calls inside SMB2 named pipes on 445
(--carrier np). Then runs rpctrace over each, alternating, --rounds times per output mode, and
prints for each mode the median seconds, the throughput in MB/s of capture, and the ratios of
seconds per capture byte and per frame, pipes over TCP (1.00: a pipe's byte, or frame, costs
what a TCP one does). SMB carries the same bytes in more frames (READ requests, WRITE answers,
their ACKs), hence both. The bare libpcap read loop (bench/pcap_loop) runs beside them.

Usage: bench/carrier_ratio.py --rpctrace build-rel/rpctrace [--pcap-loop build/bench/pcap_loop]
       [--size-mb 200] [--seed 1] [--rounds 5] [--dir /tmp/rpctrace-bench]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = {"text": [], "jsonl": ["--format", "jsonl"], "summary": ["--summary"]}


def frames_in(path):
    """Records of a classic little-endian pcap file (what gen_capture.py writes)."""
    count = 0
    with open(path, "rb") as f:
        f.seek(24)
        while True:
            header = f.read(16)
            if len(header) < 16:
                return count
            count += 1
            f.seek(int.from_bytes(header[8:12], "little"), 1)


def timed(argv):
    started = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)}: exit {p.returncode}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("--pcap-loop")
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/rpctrace-bench")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    files = {}
    for carrier in ("tcp", "np"):
        path = os.path.join(a.dir, f"carrier-{carrier}-{a.size_mb:g}mb-seed{a.seed}.pcap")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "gen_capture.py"), "-o", path,
                            "--size-mb", str(a.size_mb), "--seed", str(a.seed),
                            "--carrier", carrier], check=True)
        files[carrier] = path
    size = {c: os.path.getsize(p) for c, p in files.items()}
    frames = {c: frames_in(p) for c, p in files.items()}
    runs = {}
    modes = dict(MODES)
    if a.pcap_loop:
        modes["pcap_loop"] = None
    for _ in range(a.rounds):
        for mode, extra in modes.items():
            for carrier, path in files.items():
                argv = [a.pcap_loop, path] if extra is None else [a.rpctrace, *extra, path]
                runs.setdefault((mode, carrier), []).append(timed(argv))
    print(f"captures: tcp {size['tcp']} bytes in {frames['tcp']} frames, np {size['np']} bytes "
          f"in {frames['np']} frames (seed {a.seed}, {a.rounds} rounds, medians)")
    print(f"{'mode':<10} {'tcp s':>8} {'tcp MB/s':>9} {'np s':>8} {'np MB/s':>9} "
          f"{'np/tcp per byte':>16} {'per frame':>10}")
    for mode in modes:
        t = {c: statistics.median(runs[mode, c]) for c in files}
        per_byte = (t["np"] / size["np"]) / (t["tcp"] / size["tcp"])
        per_frame = (t["np"] / frames["np"]) / (t["tcp"] / frames["tcp"])
        print(f"{mode:<10} {t['tcp']:>8.3f} {size['tcp'] / t['tcp'] / 1e6:>9.1f} "
              f"{t['np']:>8.3f} {size['np'] / t['np'] / 1e6:>9.1f} {per_byte:>16.2f} "
              f"{per_frame:>10.2f}")


if __name__ == "__main__":
    main()
