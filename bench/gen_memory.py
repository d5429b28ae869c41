#!/usr/bin/env python3
"""Write the two captures of the memory-bound measurement (bench/memory_bound.sh).

  --mode many    N TCP connections to N endpoints open at once: every connection's handshake
                 and EPM bind first, then every bind_ack, then every teardown, so at the middle
                 of the file all N conversations are concurrent (N = --connections, default
                 one million). Classic pcap, Ethernet/IPv4, correct checksums.
  --mode single  one connection carrying --size-mb of DCE/RPC: a bind, then request/response
                 calls with 64 KiB stubs in 5840-octet fragments, until the size is reached.

The frames come from bench/gen_capture.py's Connection class (same encoding, same checksums).
Deterministic for the same arguments. Usage:

  bench/gen_memory.py --mode many --connections 1000000 --output /tmp/many.pcap
  bench/gen_memory.py --mode single --size-mb 2048 --output /tmp/single.pcap
"""
import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_capture as g  # noqa: E402

EPM = g.syntax_id("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0)
NDR = g.syntax_id("8a885d04-1ceb-11c9-9fe8-08002b104860", 2, 0)
RECORD = struct.Struct("<IIII").pack


class Writer:
    def __init__(self, out):
        self.out = out
        self.chunk, self.size = [], 0
        self.ts = g.START_TIME_US
        self.frames = 0
        out.write(g.PCAP_GLOBAL_HEADER)

    def put(self, frame):
        self.ts += 10
        self.chunk.append(RECORD(self.ts // 1_000_000, self.ts % 1_000_000, len(frame),
                                 len(frame)))
        self.chunk.append(frame)
        self.size += len(frame) + 16
        self.frames += 1
        if self.size >= g.WRITE_CHUNK:
            self.flush()

    def flush(self):
        self.out.write(b"".join(self.chunk))
        self.chunk, self.size = [], 0


def connection(rng, i):
    # Clients 10.x.y.z, servers 172.16.x.y: one connection per (client, server) pair, so no
    # 5-tuple repeats for up to 16 million connections.
    client = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
    server = bytes([172, 16 + ((i >> 16) & 0x0F), (i >> 8) & 0xFF, i & 0xFF])
    return g.Connection(rng, client, 49152 + (i % 16384), b"\x02\x00" + client, server, 135,
                        b"\x02\x01" + server)


def many(w, n, rng):
    conns = [connection(rng, i) for i in range(n)]
    bind = g.bind_pdu(1, [(EPM, [NDR])])
    for c in conns:   # every handshake and bind before any answer: all n are open at once
        for f in c.handshake():
            w.put(f)
        w.put(c.frame(0, g.TCP_ACK | g.TCP_PSH, bind))
    for c in conns:
        w.put(c.frame(1, g.TCP_ACK | g.TCP_PSH, g.bind_ack_pdu(1, 0x1234, 135, [(0, 0, NDR)])))
    for c in conns:
        w.put(c.frame(0, g.TCP_FIN | g.TCP_ACK))
        w.put(c.frame(1, g.TCP_FIN | g.TCP_ACK))
        w.put(c.frame(0, g.TCP_ACK))


def single(w, size, rng):
    c = connection(rng, 1)
    iface = g.syntax_id("12345778-1234-abcd-ef00-0123456789ac", 1, 0)
    for f in c.handshake():
        w.put(f)
    w.put(c.frame(0, g.TCP_ACK | g.TCP_PSH, g.bind_pdu(1, [(iface, [NDR])])))
    w.put(c.frame(1, g.TCP_ACK | g.TCP_PSH, g.bind_ack_pdu(1, 0x1234, 49154, [(0, 0, NDR)])))
    stub = bytes(rng.getrandbits(8) for _ in range(65536))
    call_id = 2
    written = 0
    while written < size:
        for d, ptype in ((0, g.PTYPE_REQUEST), (1, g.PTYPE_RESPONSE)):
            pdus = g.call_pdus(ptype, call_id, 0, 5, stub)
            for f in c.flight(rng, d, pdus):
                w.put(f)
                written += len(f) + 16
        call_id += 1
    for f in c.close(random.Random(0)):
        w.put(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("many", "single"), required=True)
    ap.add_argument("--connections", type=int, default=1_000_000)
    ap.add_argument("--size-mb", type=float, default=2048)
    ap.add_argument("--output", "-o", required=True)
    a = ap.parse_args()
    rng = random.Random(7)
    with open(a.output, "wb") as out:
        w = Writer(out)
        if a.mode == "many":
            many(w, a.connections, rng)
        else:
            single(w, int(a.size_mb * 1_000_000), rng)
        w.flush()
    print("%s: %d frames, %d bytes" % (a.output, w.frames, os.path.getsize(a.output)))


if __name__ == "__main__":
    main()
