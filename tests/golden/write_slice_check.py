#!/usr/bin/env python3
"""-w: the file rpctrace writes holds exactly the frames tshark selects with the display
filters rpctrace names in its conversation headers ("Wireshark: ip.addr==... && tcp.port==..."),
in the same order, with the same bytes, times (microseconds) and wire lengths; tshark reads it
without complaint. Cases: plain files and filters (--port, --interface, --conversation, a BPF
expression), named pipes, UDP, a nanosecond file, standard input (the spool), a .pcapng name,
and two files of different link types merged (pcapng with two interfaces).

Exit 77 (skipped) without tshark."""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

CASES = [
    # (name, files, options, filter words)
    ("story", ["kb159298_story.pcap"], [], []),
    ("story_port", ["kb159298_story.pcap"], ["--port", "135"], []),
    ("samr_interface", ["rp_epm_map_samr.pcap"], ["--interface", "samr"], []),
    ("np_samr", ["rp_np_samr.pcap"], [], []),
    ("np_conversation", ["rp_np_services.pcap"], ["--conversation", "1"], []),
    ("udp", ["cl_epm_udp.pcap"], [], []),
    ("http_v2_channels", ["http_v2_exchange.pcap"], [], []),
    ("http_v2_conversation", ["http_v2_exchange.pcap"], ["--conversation", "1"], []),
    ("nsec", ["epm_bind_swapped_nsec.pcap"], [], []),
    ("bpf", ["kb159298_story.pcap"], [], ["tcp", "port", "135"]),
    ("summary_cmd", ["diag_dynamic_port_rst.pcap"], ["summary"], []),
    ("pcapng_name", ["kb159298_mta.pcap"], [], []),
    ("stdin", ["-"], [], []),
    ("two_link_types", ["linktype_raw.pcap", "linktype_sll2.pcap"], [], []),
    # From ../shared/captures/public when it is there: a server answering connectionless calls
    # from another port (the conversation's every flow), and a port selection keeping them.
    ("udp_answers_other_port", ["public:dcerpc.pcap"], [], []),
    ("udp_port_keeps_answers", ["public:dcerpc.pcap"], ["--port", "34964"], []),
]

# The BPF expressions above, as display filters (tshark -r applies no capture filter).
BPF_AS_DISPLAY = {"tcp port 135": "tcp.port == 135"}


def read_capture(path):
    """(ts_us, wire_len, bytes) of every frame of a pcap or pcapng file."""
    data = open(path, "rb").read()
    frames = []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        off = 24
        while off + 16 <= len(data):
            sec, frac, caplen, wire = struct.unpack(e + "IIII", data[off:off + 16])
            off += 16
            us = sec * 1000000 + (frac // 1000 if nano else frac)
            frames.append((us, wire, data[off:off + caplen]))
            off += caplen
        return frames
    if magic != b"\x0a\x0d\x0d\x0a":
        raise SystemExit(f"{path}: not pcap or pcapng")
    e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    resol = []  # per interface: units per second
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        body = data[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            resol = []
        elif btype == 1:
            units = 10 ** 6
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    v = body[o + 4]
                    units = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
                o += 4 + ((olen + 3) & ~3)
            resol.append(units)
        elif btype == 6:
            iface, hi, lo, caplen, wire = struct.unpack(e + "IIIII", body[:20])
            t = (hi << 32) | lo
            units = resol[iface]
            frames.append((t * 10 ** 6 // units, wire, body[20:20 + caplen]))
        off += blen
    return frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--tshark", default=shutil.which("tshark") or "")
    ap.add_argument("--public", default="", help="../shared/captures/public, for its cases")
    args = ap.parse_args()
    if not args.tshark or not os.path.exists(args.tshark):
        print("tshark not found: skipped")
        return 77
    failures = []
    tmp = tempfile.mkdtemp(prefix="rpctrace_slice_")
    try:
        for name, files, options, words in CASES:
            paths = [f if f == "-" else
                     os.path.join(args.public, f[7:]) if f.startswith("public:") else
                     os.path.join(args.testdata, f) for f in files]
            if any(p != "-" and not os.path.exists(p) for p in paths):
                print(f"{name}: skipped ({' '.join(paths)} not here)")
                continue
            source = os.path.join(args.testdata, "kb159298_story.pcap") if files == ["-"] else None
            ext = ".pcapng" if name == "pcapng_name" else ".pcap"
            out = os.path.join(tmp, name + ext)
            stdin = open(source, "rb") if source else subprocess.DEVNULL
            r = subprocess.run([args.rpctrace, *options, *paths, "-w", out, *words], stdin=stdin,
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                failures.append(f"{name}: rpctrace -w exited {r.returncode}: {r.stderr.strip()}")
                continue
            m = re.search(r"wrote (\d+) frames? of (\d+) conversations? to .* \((pcapng|pcap)", r.stderr)
            if not m:
                failures.append(f"{name}: no 'wrote N frames' line: {r.stderr.strip()}")
                continue
            # The headers' filters, from the timeline with the same selection.
            timeline_options = [o for o in options if o != "summary"]
            stdin = open(source, "rb") if source else subprocess.DEVNULL
            t = subprocess.run([args.rpctrace, *timeline_options, *paths, *words], stdin=stdin,
                               capture_output=True, text=True, timeout=120)
            filters = re.findall(r"^  Wireshark: (.*)$", t.stdout, re.M)
            if len(filters) != int(m.group(2)):
                failures.append(f"{name}: {len(filters)} Wireshark filters in the timeline, "
                                f"{m.group(2)} conversations written")
            # RPC over HTTP v2: the holder of a virtual connection names all its channels.
            filters += re.findall(r"^    Wireshark, every channel: (.*)$", t.stdout, re.M)
            # ... and a connectionless conversation the flows its answers came on.
            filters += re.findall(r"^  Wireshark, every flow: (.*)$", t.stdout, re.M)
            if source:
                original = source
            elif len(paths) > 1:
                # tshark reads one file: mergecap's merge (rpctrace merges in its order).
                merged = os.path.join(tmp, name + ".merged.pcapng")
                if not shutil.which("mergecap"):
                    print(f"{name}: skipped (no mergecap)")
                    continue
                subprocess.run(["mergecap", "-w", merged, *paths], check=True, timeout=60)
                original = merged
            else:
                original = paths[0]
            bpf = " ".join(words)
            expected = os.path.join(tmp, name + ".expected.pcapng")
            display = " || ".join(f"({f})" for f in filters) or "frame.number == 0"
            if bpf:  # tshark -r takes no capture filter: its display-filter equivalent
                display = f"({display}) && ({BPF_AS_DISPLAY[bpf]})"
            cmd = [args.tshark, "-r", original, "-Y", display, "-w", expected]
            e = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if e.returncode != 0:
                failures.append(f"{name}: tshark selection failed: {e.stderr.strip()}")
                continue
            got, want = read_capture(out), read_capture(expected)
            if m.group(3) == "pcap" and name == "two_link_types":
                failures.append(f"{name}: two link types written as pcap")
            if name == "pcapng_name" and m.group(3) != "pcapng":
                failures.append(f"{name}: a .pcapng name written as {m.group(3)}")
            if int(m.group(1)) != len(got):
                failures.append(f"{name}: said {m.group(1)} frames, the file holds {len(got)}")
            if got != want:
                first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                             min(len(got), len(want)))
                failures.append(f"{name}: {len(got)} frames written, tshark selects {len(want)}; "
                                f"first difference at frame {first + 1}")
            # tshark reads the written file without an error.
            v = subprocess.run([args.tshark, "-r", out, "-q", "-z", "io,stat,0"],
                               capture_output=True, text=True, timeout=120)
            complaints = [l for l in v.stderr.splitlines()
                          if l.strip() and "This could be dangerous" not in l]
            if v.returncode != 0 or complaints:
                failures.append(f"{name}: tshark reading the -w file: rc {v.returncode} "
                                f"{' '.join(complaints)}")
            print(f"{name}: {len(got)} frames of {m.group(2)} conversations ({m.group(3)}), "
                  f"tshark selects {len(want)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
