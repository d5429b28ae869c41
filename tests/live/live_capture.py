#!/usr/bin/env python3
"""Live capture end to end: `rpctrace -i lo FILTER` watches a recorded DCE/RPC conversation
played again over real sockets, in a network namespace of this test's own.

The TCP payloads of the first connection of a testdata capture are played, in the recorded
order, between a listening socket and a client socket on the namespace's loopback; rpctrace
captures them with libpcap and a BPF filter while unrelated traffic (another port) runs beside.
Checked:
  1. timeline --format jsonl, stopped by SIGINT: the bind, bind_ack, the ept_map request and
     response (EPM decoded), the conversation closed, the statistics record (live interface,
     no frame of the other port), each record flushed as written (read before the SIGINT);
  2. timeline text with -c N: rpctrace ends by itself after N frames, statistics on stderr;
     -w writes the conversation's N frames (kept in the spool while the capture ran);
  3. diagnose -i: the bind_nak of diag_bind_refused.pcap is printed as a finding marked
     "as_found" before rpctrace is stopped, then again in the final report.
Needs root (a network namespace, and libpcap on an interface), like the real-peer test; exits
77 (skipped) without it.
Usage: live_capture.py --rpctrace BIN --testdata DIR
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import subprocess
import shutil
import tempfile
import sys
import time

SKIP = 77


def tcp_payloads(path):
    """(from_client, bytes) of the first TCP connection of an Ethernet/IPv4 pcap, in order,
    consecutive ones of one direction joined; retransmitted bytes dropped by sequence."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, expected Ethernet")
    at, conn, out, next_seq = 24, None, [], {}
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        total = struct.unpack(">H", frame[16:18])[0]
        ip = frame[14:14 + total]
        src, dst = ip[12:16], ip[16:20]
        tcp = ip[ihl:]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        flags = tcp[13]
        payload = tcp[(tcp[12] >> 4) * 4:]
        key = (src, sport, dst, dport)
        if conn is None:
            if not flags & 0x02 or flags & 0x10:
                continue  # the first SYN opens the connection we play
            conn = key
        if key != conn and (dst, dport, src, sport) != conn:
            continue
        if flags & 0x02:
            next_seq[key] = seq + 1
            continue
        if not payload:
            continue
        expect = next_seq.get(key, seq)
        skip = (expect - seq) & 0xFFFFFFFF
        if skip >= len(payload) or skip > 0x7FFFFFFF:
            continue  # a retransmission (or a segment past a gap: not played)
        payload = payload[skip:]
        next_seq[key] = (seq + skip + len(payload)) & 0xFFFFFFFF
        from_client = key == conn
        if out and out[-1][0] == from_client:
            out[-1] = (from_client, out[-1][1] + payload)
        else:
            out.append((from_client, payload))
    if conn is None:
        raise SystemExit(f"{path}: no TCP connection opened by a SYN")
    return conn[3], out


def connect(port):
    """A listener on 127.0.0.1:port, a client connected to it, and the accepted peer."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    client = socket.create_connection(("127.0.0.1", port))
    peer, _ = server.accept()
    return server, client, peer


def play(port, chunks):
    """Plays the chunks between a listener on 127.0.0.1:port and a client, then closes."""
    server, client, peer = connect(port)
    for from_client, payload in chunks:
        sender, receiver = (client, peer) if from_client else (peer, client)
        sender.sendall(payload)
        got = b""
        while len(got) < len(payload):
            part = receiver.recv(len(payload) - len(got))
            if not part:
                raise SystemExit("connection closed while playing")
            got += part
    client.close()
    peer.close()
    server.close()


def noise(port):
    """A TCP exchange on another port: the filter must keep it out."""
    server, client, peer = connect(port)
    client.sendall(b"not rpc" * 10)
    peer.recv(100)
    client.close()
    peer.close()
    server.close()


def start(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.8)  # libpcap opens the interface
    if proc.poll() is not None:
        raise SystemExit(f"rpctrace ended at once: {proc.stderr.read().decode()}")
    return proc


def read_lines_until(proc, want, seconds):
    """Lines of stdout read while rpctrace runs, until `want(lines)` or the time is up."""
    lines, buf, end = [], b"", time.time() + seconds
    fd = proc.stdout.fileno()
    while time.time() < end and not want(lines):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            part = os.read(fd, 65536)
            if not part:
                break
            buf += part
            *done, buf = buf.split(b"\n")
            lines += [d.decode() for d in done]
    return lines, buf


def check(cond, what, failures):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.in_namespace:
        if os.geteuid() != 0:
            print("SKIP: live capture needs root (a network namespace and libpcap)")
            return SKIP
        # A network namespace of our own: only the played traffic is on its loopback.
        cmd = ["unshare", "--net", sys.executable, os.path.abspath(__file__), "--in-namespace",
               "--rpctrace", os.path.abspath(args.rpctrace), "--testdata",
               os.path.abspath(args.testdata)]
        try:
            return subprocess.call(cmd)
        except FileNotFoundError:
            print("SKIP: unshare (util-linux) is missing")
            return SKIP
    if subprocess.call(["ip", "link", "set", "lo", "up"]) != 0:
        print("SKIP: cannot bring up lo in the namespace")
        return SKIP
    failures = []
    rpctrace = args.rpctrace

    # 1. JSON Lines, flushed per record, stopped by SIGINT.
    port, chunks = tcp_payloads(os.path.join(args.testdata, "kb159298_epm.pcap"))
    proc = start([rpctrace, "-i", "lo", "--format", "jsonl", "tcp", "port", str(port)])
    noise(4444)
    play(port, chunks)
    lines, _ = read_lines_until(
        proc, lambda ls: any('"type":"conversation"' in l for l in ls), 10)
    check(any('"type":"conversation"' in l for l in lines),
          "jsonl: the conversation record came out while rpctrace ran (flushed per record)",
          failures)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=10)
    records = [json.loads(l) for l in lines + rest.decode().splitlines() if l.strip()]
    check(proc.returncode == 0, f"jsonl: exit status 0 after SIGINT (got {proc.returncode}; "
          f"stderr {err.decode()[:300]!r})", failures)
    pdus = [r for r in records if r.get("type") == "pdu"]
    ptypes = [p.get("ptype") for p in pdus]
    check("bind" in ptypes and "bind_ack" in ptypes, f"jsonl: bind and bind_ack ({ptypes})",
          failures)
    ops = [p.get("operation") for p in pdus if p.get("ptype") in ("request", "response")]
    check(ops.count("ept_map") == 2, f"jsonl: ept_map request and response ({ops})", failures)
    check(any("epm" in p for p in pdus if p.get("ptype") == "response"),
          "jsonl: the ept_map response's towers decoded", failures)
    convs = [r for r in records if r.get("type") == "conversation"]
    check(len(convs) == 1 and convs[0].get("end_reason") == "closed" and
          convs[0].get("server_port") == port,
          f"jsonl: one conversation, to port {port}, closed", failures)
    stats = [r for r in records if r.get("type") == "stats"]
    check(len(stats) == 1, "jsonl: the statistics record last, after SIGINT", failures)
    if stats:
        s = stats[0]
        files = s.get("files", [])
        check(len(files) == 1 and files[0].get("format") == "live" and files[0]["name"] == "lo",
              f"jsonl: statistics name the live interface ({files})", failures)
        check(s.get("tcp_segments", 0) >= 10 and s.get("frames_read") == s.get("tcp_segments"),
              f"jsonl: every frame read is a TCP segment of port {port} "
              f"(frames_read {s.get('frames_read')}, tcp_segments {s.get('tcp_segments')})",
              failures)
        check(s.get("tcp_conversations") == 1,
              "jsonl: the filter kept the other port's connection out", failures)
        check("live_dropped_by_kernel" in s.get("not_decoded", {}),
              "jsonl: the kernel's drops are counted", failures)

    # 2. Text, -c N: ends by itself; -w keeps the conversation's frames (from the spool).
    written = os.path.join(tempfile.mkdtemp(prefix="rpctrace_live_"), "slice.pcap")
    proc = start([rpctrace, "-i", "lo", "-c", "4", "-w", written, "tcp", "port", str(port)])
    play(port, chunks)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        check(False, "text -c 4: rpctrace ended by itself after 4 frames", failures)
    else:
        text = out.decode()
        check(proc.returncode == 0 and "frames read: 4 " in err.decode(),
              f"text -c 4: ended by itself, 4 frames read ({err.decode()[:200]!r})", failures)
        check("MSRPC: c/o RPC Bind:" in text, "text -c 4: the bind is in the timeline", failures)
        data = open(written, "rb").read() if os.path.exists(written) else b""
        records, off = 0, 24
        while off + 16 <= len(data):
            records += 1
            off += 16 + struct.unpack("<I", data[off + 8:off + 12])[0]
        check(data[:4] == b"\xd4\xc3\xb2\xa1" and records == 4 and
              "wrote 4 frames of 1 conversation" in err.decode(),
              f"-w: the live conversation's 4 frames written as pcap ({records} records)",
              failures)
        shutil.rmtree(os.path.dirname(written), ignore_errors=True)

    # 3. diagnose -i: the finding as soon as it is known.
    port, chunks = tcp_payloads(os.path.join(args.testdata, "diag_bind_refused.pcap"))
    proc = start([rpctrace, "diagnose", "-i", "lo", "--format", "jsonl", "tcp", "port", str(port)])
    play(port, chunks)
    lines, _ = read_lines_until(proc, lambda ls: any('"as_found":true' in l for l in ls), 10)
    check(any('"type":"finding"' in l and '"as_found":true' in l for l in lines),
          "diagnose -i: the finding printed while rpctrace ran", failures)
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=10)
    final = [json.loads(l) for l in rest.decode().splitlines() if l.strip()]
    check(any(r.get("type") == "finding" and not r.get("as_found") for r in final) and
          final and final[-1].get("type") == "stats",
          "diagnose -i: after SIGTERM, the final report (findings, statistics)", failures)
    check(proc.returncode == 1, f"diagnose -i: exit status 1 for an error finding "
          f"(got {proc.returncode})", failures)

    print(f"{len(failures)} failed" if failures else "all live checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
