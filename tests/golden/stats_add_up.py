#!/usr/bin/env python3
"""Nothing silent: on every capture given (directories searched recursively), the closing
statistics must account for every frame — frames_read == tcp_segments + udp_datagrams (Kerberos
on 88) + frames_skipped, and
frames_skipped is the sum of the per-reason skip counters — and every TCP segment must be in a
conversation. Usage: stats_add_up.py --rpctrace BIN DIR...   Exit 0 all add up, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys

SKIP_REASONS = ("unknown_link_type", "truncated_link", "non_ip", "truncated_ip", "bad_ip_header",
                "ip_fragment", "udp", "other_transport", "truncated_tcp", "bad_tcp_header")
MAGICS = {b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1",
          b"\x0a\x0d\x0d\x0a"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    failures = checked = 0
    for d in a.dirs:
        for base, _, files in os.walk(d):
            for name in sorted(files):
                path = os.path.join(base, name)
                with open(path, "rb") as f:
                    if f.read(4) not in MAGICS:
                        continue
                p = subprocess.run([a.rpctrace, "--format", "jsonl", "--summary", "--all", path],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                if p.returncode == 2:
                    continue   # not readable as a capture: exit 2 is checked by cli_checks
                recs = [json.loads(l) for l in p.stdout.decode().splitlines() if l]
                s = recs[-1]
                nd = s["not_decoded"]
                skipped = sum(nd[r] for r in SKIP_REASONS)
                problems = []
                udp = s.get("udp_datagrams", 0)
                if s["frames_read"] != s["tcp_segments"] + udp + s["frames_skipped"]:
                    problems.append(
                        "frames_read %d != tcp_segments %d + udp_datagrams %d + frames_skipped %d"
                        % (s["frames_read"], s["tcp_segments"], udp, s["frames_skipped"]))
                if skipped != s["frames_skipped"]:
                    problems.append("skip reasons sum to %d, frames_skipped %d" % (
                        skipped, s["frames_skipped"]))
                convs = [r for r in recs if r["type"] == "conversation"]
                # Every TCP segment is a frame of a TCP conversation; every datagram of a
                # connectionless flow a frame of a UDP one (the rest of udp_datagrams are
                # Kerberos messages on port 88, which belong to no conversation).
                in_tcp = sum(r.get("frames", 0) for r in convs if r.get("protseq") != "ncadg_ip_udp")
                in_udp = sum(r.get("frames", 0) for r in convs if r.get("protseq") == "ncadg_ip_udp")
                if in_tcp != s["tcp_segments"]:
                    problems.append("TCP conversations hold %d frames, tcp_segments %d" % (
                        in_tcp, s["tcp_segments"]))
                if in_udp > udp:
                    problems.append("UDP conversations hold %d frames, udp_datagrams %d" % (
                        in_udp, udp))
                if len([r for r in convs if r.get("protseq") == "ncadg_ip_udp"]) != s.get(
                        "udp_conversations", 0):
                    problems.append("UDP conversation records differ from udp_conversations")
                checked += 1
                if problems:
                    failures += 1
                    print("FAIL %s: %s" % (name, "; ".join(problems)))
    print("%d captures, %d do not add up" % (checked, failures))
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
