#!/usr/bin/env python3
"""Build the fuzzers' seed corpora from real captures.

Usage: make_corpus.py OUTDIR [CAPTURE_DIR...]
  default CAPTURE_DIRs: testdata/ and ../shared/captures/public beside the repository

Writes OUTDIR/<target>/<sha1> files (nothing is committed: the public captures keep their
own licences, and the corpus is rebuilt from them):
  fuzz_pipeline  each capture file up to 256 KiB, whole
  fuzz_packet    each frame, prefixed with the octet that picks its link type in fuzz_packet
  fuzz_pdu       each DCE/RPC PDU found in the TCP payloads (split by frag_length)
  fuzz_epm       each request/response stub of those PDUs, prefixed with the octet that picks
                 the operation (the request's opnum; 3 and 2 for responses), NDR, its drep
  fuzz_auth      each auth_value, prefixed with the octet that picks its auth_type
  fuzz_tcp       each TCP connection's first 64 segments in fuzz_tcp's record format
  fuzz_smb       each connection on TCP 445 or 139: its payloads in order, in fuzz_smb's format
                 (up to 256 segments, no holes)
  fuzz_pcap_file, fuzz_pcapng_file, fuzz_netmon_file
                 each capture file of that format (its first 64 KiB); each classic pcap of up
                 to 16 KiB also rewritten as pcapng (two interfaces, an SPB, an unknown block,
                 both byte orders) and as NetMon 2.0-2.3 (pcap_records, to_pcapng, to_netmon)
  fuzz_compressed
                 the gzip and zstd compressions of every file above of up to 16 KiB, two gzip
                 members and two zstd frames one after the other
TCP fields are read with tshark (`-T fields`) and frames through editcap, so every link type
and pcapng work.
"""
import collections
import gzip
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 276, 228, 229, 147]   # fuzz_packet's table
AUTH_TYPES = [9, 10, 16, 68, 0]                                  # fuzz_auth's table
MAGICS = {b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1",
          b"\x0a\x0d\x0d\x0a"}


def save(out, target, data, seen):
    h = hashlib.sha1(data).hexdigest()
    if (target, h) in seen:
        return
    seen.add((target, h))
    path = os.path.join(out, target)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, h), "wb") as f:
        f.write(data)


def raw_frames(capture):
    """(DLT, frame bytes) of each frame: the capture rewritten as classic pcap by editcap
    (which reads pcapng and every link type), then read record by record."""
    with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
        if subprocess.run(["editcap", "-F", "pcap", capture, tmp.name],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            return
        data = open(tmp.name, "rb").read()
    if len(data) < 24:
        return
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    dlt = struct.unpack(order + "I", data[20:24])[0] & 0x0fffffff
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack(order + "I", data[pos + 8:pos + 12])[0]
        pos += 16
        if incl > len(data) - pos:
            return
        yield dlt, data[pos:pos + incl]
        pos += incl


def pdus_in(stream):
    """Split a byte stream into DCE/RPC PDUs by frag_length, resynchronising on rpc_vers 5."""
    i = 0
    while i + 16 <= len(stream):
        if stream[i] != 5 or stream[i + 1] > 1:
            i += 1
            continue
        little = stream[i + 4] & 0x10
        frag = struct.unpack("<H" if little else ">H", stream[i + 8:i + 10])[0]
        if frag < 16:
            i += 1
            continue
        yield stream[i:i + frag]
        i += frag


def pdu_seeds(pdu, out, seen):
    save(out, "fuzz_pdu", pdu, seen)
    if len(pdu) < 16:
        return
    little = pdu[4] & 0x10
    u16 = "<H" if little else ">H"
    ptype, flags = pdu[2], pdu[3]
    frag, auth_len = struct.unpack(u16, pdu[8:10])[0], struct.unpack(u16, pdu[10:12])[0]
    if len(pdu) < frag or auth_len + 8 > len(pdu):
        return   # cut by the capture: a seed for the PDU parser only
    if auth_len and len(pdu) >= auth_len + 8:
        trailer = pdu[len(pdu) - auth_len - 8:]
        auth_type = trailer[0]
        if auth_type in AUTH_TYPES:
            save(out, "fuzz_auth", bytes([AUTH_TYPES.index(auth_type)]) + trailer[8:], seen)
    if ptype in (0, 2) and len(pdu) >= 24:
        header = 24 + (16 if ptype == 0 and flags & 0x80 else 0)
        end = len(pdu) - (auth_len + 8 + pdu[len(pdu) - auth_len - 6] if auth_len else 0)
        stub = pdu[header:max(header, end)]
        order = 0 if little else 0x20
        opnums = [struct.unpack(u16, pdu[22:24])[0]] if ptype == 0 else [3, 2]
        for op in opnums:
            if op <= 7:
                pick = op | (0x08 if ptype == 0 else 0) | order
                save(out, "fuzz_epm", bytes([pick]) + stub, seen)


def tcp_records(segments):
    """fuzz_tcp's format for one connection: 8-octet header + payload per segment."""
    isn = {}
    out = bytearray()
    for to_client, seq, ack, flags, payload in segments[:64]:
        isn.setdefault(to_client, seq - (1 if flags & 0x02 == 0 else 0))
        isn.setdefault(1 - to_client, ack - 1 if ack else 0)
        s = (seq - isn[to_client]) & 0xffff
        a = (ack - isn[1 - to_client]) & 0xffff if ack else 0
        tcp_flags = flags & 0x3f
        out += bytes([to_client | (tcp_flags << 2) & 0xfc, s >> 8, s & 0xff, a >> 8, a & 0xff, 0x20,
                      len(payload) >> 8, len(payload) & 0xff]) + payload
    return bytes(out)


def smb_records(segments, port):
    """fuzz_smb's format: the port octet, then a 4-octet header + payload per segment, in the
    order captured (retransmissions dropped by their sequence number)."""
    out = bytearray([1 if port == "139" else 0])
    done = set()
    for to_client, seq, _, _, payload in segments:
        if not payload or (to_client, seq) in done:
            continue
        done.add((to_client, seq))
        out += bytes([to_client, 0, len(payload) >> 8, len(payload) & 0xff]) + payload
        if len(done) >= 256:
            break
    return bytes(out)


def pcap_records(data):
    """(dlt, [(sec, usec, wire length, frame)]) of a classic pcap file's octets, or None."""
    if len(data) < 24 or data[:4] not in MAGICS - {b"\x0a\x0d\x0d\x0a"}:
        return None
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    dlt = struct.unpack(order + "I", data[20:24])[0] & 0x0fffffff
    records, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(order + "4I", data[pos:pos + 16])
        pos += 16
        if incl > len(data) - pos:
            break
        records.append((sec, frac // 1000 if nano else frac, orig, data[pos:pos + incl]))
        pos += incl
    return dlt, records


def to_pcapng(dlt, records, order):
    """pcapng in `order` ("<" or ">"): interface 0 in microseconds, interface 1 in nanoseconds
    with an if_tsoffset of 3600 s; packets on both in turn, the last as an SPB, an unknown block
    in between."""
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)
    out = block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack(order + "HHI", dlt, 0, 262144))
    out += block(1, struct.pack(order + "HHI", dlt, 0, 0) + struct.pack(order + "HHB3x", 9, 1, 9)
                 + struct.pack(order + "HHq", 14, 8, 3600) + struct.pack(order + "HH", 0, 0))
    for i, (sec, usec, orig, frame) in enumerate(records):
        if i == len(records) - 1 and i > 0:
            out += block(3, struct.pack(order + "I", orig) + frame)
            break
        iface = i % 2
        units = (sec * 1000000 + usec) if iface == 0 else ((sec - 3600) * 10**9 + usec * 1000)
        out += block(6, struct.pack(order + "IIIII", iface, units >> 32, units & 0xffffffff,
                                    len(frame), orig) + frame)
        if i == 0:
            out += block(0x0BAD, b"\x01\x02\x03\x04")
    return out


def to_netmon(dlt, records, minor):
    """NetMon 2.<minor> (docs/capture_formats.md section 1): header, records with the minor
    version's trailer, frame table."""
    media = {1: 1, 101: 9}.get(dlt, 0xE000 + dlt)
    start = records[0][0] if records else 0
    t = time.gmtime(start)
    body, table = b"", []
    for sec, usec, orig, frame in records:
        table.append(72 + len(body))
        body += struct.pack("<QII", (sec - start) * 1000000 + usec, orig, len(frame)) + frame
        if minor >= 1:
            body += struct.pack("<H", media)
        if minor >= 2:
            body += struct.pack("<I", 0xFFFFFFFF)
        if minor >= 3:
            body += struct.pack("<QB", 116444736000000000 + (sec * 1000000 + usec) * 10, 0xFF)
    table_offset = 72 + len(body)
    header = b"GMBU" + bytes([minor, 2]) + struct.pack(
        "<H8H", media, t.tm_year, t.tm_mon, (t.tm_wday + 1) % 7, t.tm_mday, t.tm_hour,
        t.tm_min, t.tm_sec, 0)
    header += struct.pack("<II", table_offset, 4 * len(table)) + b"\0" * 24
    header += struct.pack("<II", table_offset + 4 * len(table) if minor >= 3 else 0, 0)
    header += b"\0" * 8
    return header + body + struct.pack("<%dI" % len(table), *table)


def compressions(data):
    """gzip and zstd (when the zstd tool is there) of `data`."""
    yield gzip.compress(data)
    half = len(data) // 2
    yield gzip.compress(data[:half]) + gzip.compress(data[half:])
    try:
        one = subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                             check=True).stdout
        two = subprocess.run(["zstd", "-q", "-c"], input=data[half:], stdout=subprocess.PIPE,
                             check=True).stdout
        yield one
        yield subprocess.run(["zstd", "-q", "-c"], input=data[:half], stdout=subprocess.PIPE,
                             check=True).stdout + two
    except (OSError, subprocess.CalledProcessError):
        pass


def reader_seeds(data, out, seen):
    """Seeds of the capture-file reader targets from one file's octets."""
    small = []
    if data[:4] == b"GMBU":
        save(out, "fuzz_netmon_file", data[:65536], seen)
        small.append(data)
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        save(out, "fuzz_pcapng_file", data[:65536], seen)
        small.append(data)
    else:
        save(out, "fuzz_pcap_file", data[:65536], seen)
        small.append(data)
        parsed = pcap_records(data)
        if parsed and len(data) <= 16384:
            dlt, records = parsed
            for order in "<>":
                small.append(to_pcapng(dlt, records, order))
                save(out, "fuzz_pcapng_file", small[-1], seen)
            for minor in range(4):
                small.append(to_netmon(dlt, records, minor))
                save(out, "fuzz_netmon_file", small[-1], seen)
    for d in small:
        if len(d) <= 16384:
            for packed in compressions(d):
                save(out, "fuzz_compressed", packed, seen)


def from_capture(capture, out, seen):
    if os.path.getsize(capture) <= 256 * 1024:
        with open(capture, "rb") as f:
            save(out, "fuzz_pipeline", f.read(), seen)
    fields = ["frame.encap_type", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
              "tcp.ack_raw", "tcp.flags", "tcp.payload"]
    cmd = ["tshark", "-r", capture, "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    lines = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.decode(errors="replace").splitlines()
    for dlt, frame in raw_frames(capture):
        if dlt in LINK_TYPES:
            save(out, "fuzz_packet", bytes([LINK_TYPES.index(dlt)]) + frame, seen)
    streams = collections.defaultdict(lambda: [bytearray(), bytearray()])
    segments = collections.defaultdict(list)
    servers = {}
    for i, line in enumerate(lines):
        parts = line.split("|")
        if len(parts) != len(fields):
            continue
        _, stream, sport, dport, seq, ack, flags, payload = parts
        if not stream or not seq:
            continue
        servers.setdefault(stream, dport)
        to_client = 1 if sport == servers[stream] else 0
        body = bytes.fromhex(payload.replace(":", "")) if payload else b""
        streams[stream][to_client] += body
        segments[stream].append((to_client, int(seq), int(ack or 0), int(flags, 16), body))
    for stream, (c2s, s2c) in streams.items():
        for direction in (c2s, s2c):
            for pdu in pdus_in(bytes(direction)):
                pdu_seeds(pdu, out, seen)
        if any(b for *_, b in segments[stream]):
            save(out, "fuzz_tcp", tcp_records(segments[stream]), seen)
            if servers[stream] in ("445", "139"):
                save(out, "fuzz_smb", smb_records(segments[stream], servers[stream]), seen)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    dirs = sys.argv[2:] or [os.path.join(ROOT, "testdata"),
                            os.path.join(ROOT, "..", "shared", "captures", "public")]
    seen = set()
    for d in dirs:
        for base, _, files in os.walk(d):
            for name in sorted(files):
                path = os.path.join(base, name)
                with open(path, "rb") as f:
                    data = f.read()
                if data[:4] in MAGICS or data[:4] == b"GMBU":
                    reader_seeds(data, out, seen)
                if data[:4] not in MAGICS:
                    continue
                from_capture(path, out, seen)
    counts = collections.Counter(t for t, _ in seen)
    for target in sorted(counts):
        print("%-14s %6d seeds" % (target, counts[target]))


if __name__ == "__main__":
    main()
