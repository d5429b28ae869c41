#!/usr/bin/env python3
"""Command-line checks: exit codes, messages, stdin, filters and option order.
Usage: cli_checks.py --rpctrace PATH --testdata DIR. Prints 'N passed, N failed'."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

failures = []
passed = 0


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}")


def run(rp, args, stdin=None):
    p = subprocess.run([rp] + args, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def jsonl(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("--testdata", required=True)
    a = ap.parse_args()
    rp, td = a.rpctrace, a.testdata
    kb = os.path.join(td, "kb159298_epm.pcap")
    mta = os.path.join(td, "kb159298_mta.pcap")

    # Exit 2 with a one-line message naming the file, for everything that is not a capture.
    for name, path in (("missing", "/nonexistent/x.pcap"), ("directory", td),
                       ("not a capture", os.path.join(td, "not_a_capture.pcap"))):
        rc, out, err = run(rp, [path])
        check(f"exit2 {name}", rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and path in err,
              f"rc={rc} err={err!r}")
    rc, _, err = run(rp, ["--format", "xml", kb])
    check("exit2 bad option", rc == 2, f"rc={rc}")
    rc, _, err = run(rp, [])
    check("exit2 no file", rc == 2 and "no capture file" in err, err)
    rc, _, err = run(rp, [kb, "-r", kb])
    check("exit2 file twice", rc == 2, f"rc={rc}")
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty.pcap")
        open(empty, "wb").close()
        rc, _, err = run(rp, [empty])
        check("exit2 empty file", rc == 2 and empty in err, f"rc={rc} {err!r}")
        # A file cut in the middle of a record: everything before is reported, exit 0.
        data = open(kb, "rb").read()
        cut = os.path.join(tmp, "cut.pcap")
        open(cut, "wb").write(data[:-30])
        rc, out, err = run(rp, ["--format", "jsonl", cut])
        recs = jsonl(out)
        pdus = [r for r in recs if r["type"] == "pdu"]
        check("damaged exit 0", rc == 0, f"rc={rc}")
        check("damaged reports frames before", len(pdus) == 4, f"{len(pdus)} PDUs")
        check("damaged message", "capture damaged" in err and cut in err, err)
        check("damaged in stats", "capture_error" in recs[-1], recs[-1])
        # A pcapng whose sixth block (the bind's EPB, after SHB, IDB and the handshake) has a
        # corrupt length: the frames before it are reported, exit 0, one line naming the file
        # and the damage.
        ng = bytearray(open(os.path.join(td, "epm_bind.pcapng"), "rb").read())
        pos, blocks = 0, []
        while pos + 8 <= len(ng):
            length = int.from_bytes(ng[pos + 4:pos + 8], "little")
            blocks.append(pos)
            pos += length
        corrupt = os.path.join(tmp, "corrupt.pcapng")
        bad = bytearray(ng)
        bad[blocks[5] + 4:blocks[5] + 8] = (0x7ffffff0).to_bytes(4, "little")
        open(corrupt, "wb").write(bad)
        rc, out, err = run(rp, ["--format", "jsonl", corrupt])
        recs = jsonl(out)
        lines = [l for l in err.splitlines() if l.startswith("rpctrace:")]
        check("corrupt pcapng block exit 0", rc == 0, f"rc={rc}")
        check("corrupt pcapng block message", len(lines) == 1 and corrupt in lines[0]
              and "capture damaged" in lines[0] and "block size" in lines[0], err)
        check("corrupt pcapng frames before", recs and recs[-1].get("frames_read") == 3
              and "capture_error" in recs[-1], recs[-1] if recs else out)
        # Its block type corrupted instead: libpcap skips it as an unknown block (pcapng
        # readers must), and the bytes it carried show as a TCP gap.
        bad = bytearray(ng)
        bad[blocks[5]:blocks[5] + 4] = (0x0bad).to_bytes(4, "little")
        open(corrupt, "wb").write(bad)
        rc, out, _ = run(rp, ["--format", "jsonl", corrupt])
        stats = jsonl(out)[-1]
        check("skipped pcapng block is a gap", rc == 0 and stats["not_decoded"]["tcp_gaps"] == 1
              and stats["not_decoded"]["tcp_gap_bytes"] == 72, stats["not_decoded"])

    # Standard input, as a positional '-' and as -r -.
    data = open(kb, "rb").read()
    for args in (["-"], ["-r", "-"]):
        rc, out, err = run(rp, args + ["--format", "jsonl"], stdin=data)
        recs = jsonl(out)
        check(f"stdin {args}", rc == 0 and recs[-1]["type"] == "stats" and recs[-1]["pdus"] == 4
              and recs[-1]["file"] == "standard input", recs[-1] if recs else err)

    # Filters: either side, repeatable, options before or after the file.
    def conversations(args):
        rc, out, _ = run(rp, args + ["--format", "jsonl"])
        return rc, [r for r in jsonl(out) if r["type"] == "conversation"]
    rc, conv = conversations(["--port", "1733", mta])
    check("port filter either side", rc == 0 and [c["server_port"] for c in conv] == [1733], conv)
    rc, conv = conversations([mta, "--port", "4764", "--port", "1733"])
    check("port filter repeatable", rc == 0 and len(conv) == 2, conv)
    rc, conv = conversations(["--host", "10.1.1.3", kb])
    check("host filter no match", rc == 0 and conv == [], conv)
    rc, conv = conversations(["--host", "10.1.1.1", "--port", "4764", mta])
    check("host and port ANDed", rc == 0 and [c["server_port"] for c in conv] == [4764], conv)
    rc, _, err = run(rp, ["--host", "not-an-address", kb])
    check("bad host exit 2", rc == 2 and "not-an-address" in err, err)

    # --interface keeps whole conversations; --opnum keeps single calls.
    story = os.path.join(td, "kb159298_story.pcap")
    rc, conv = conversations(["--interface", "mta", story])
    check("interface by name", rc == 0 and sorted(c["server_port"] for c in conv) == [1733, 4764], conv)
    rc, conv = conversations(["--interface", "E1AF8308-5D1F-11C9-91A4-08002B14A0FA", story])
    check("interface by uuid", rc == 0 and [c["server_port"] for c in conv] == [135], conv)
    rc, out, _ = run(rp, ["--opnum", "1", "--format", "jsonl", story])
    recs = jsonl(out)
    pdus = [(r["ptype"], r.get("opnum")) for r in recs if r["type"] == "pdu"]
    check("opnum keeps single calls", pdus == [("request", 1), ("response", 1)]
          and not any(r["type"] == "tcp" for r in recs), pdus)
    rc, out, _ = run(rp, ["--opnum", "3", "--interface", "mta", story])
    check("opnum and interface ANDed", rc == 0 and "Conversation" not in out, out)

    # diagnose: exit 0 nothing wrong, 1 an error finding, 2 unusable input; JSON records.
    rc, out, _ = run(rp, ["diagnose", story])
    check("diagnose healthy exit 0", rc == 0 and "MTA two-way bind" in out and "[error]" not in out, out)
    rc, out, _ = run(rp, ["diagnose", os.path.join(td, "epm_not_registered.pcap")])
    check("diagnose error exit 1", rc == 1 and "ept_s_not_registered" in out, out)
    rc, _, err = run(rp, ["diagnose", os.path.join(td, "not_a_capture.pcap")])
    check("diagnose unusable exit 2", rc == 2, err)
    rc, out, _ = run(rp, ["diagnose", "--format", "jsonl", os.path.join(td, "epm_not_registered.pcap")])
    kinds = [(r["type"], r.get("kind")) for r in jsonl(out)]
    check("diagnose jsonl", rc == 1 and ("finding", "epm_not_registered") in kinds and kinds[-1][0] == "stats", kinds)

    # --summary: no frame lines, no pdu records.
    rc, out, _ = run(rp, ["--summary", kb])
    check("summary text", rc == 0 and out.startswith("Conversation 1:") and "MSRPC" not in out, out)
    rc, out, _ = run(rp, ["--summary", "--format", "jsonl", kb])
    types = [r["type"] for r in jsonl(out)]
    check("summary jsonl", types == ["conversation", "stats"], types)

    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
