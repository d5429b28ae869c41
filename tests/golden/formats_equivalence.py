#!/usr/bin/env python3
"""The same traffic in every input format gives the same output.

For each KB walkthrough, diagnose, RPC over HTTP and connectionless capture of testdata/
(kb159298_*, diag_*, http_*, cl_*), rpctrace's output on the pcap is compared with its output on
the same frames
  netmon      converted by `editcap -F netmon2` (Network Monitor 2.x .cap),
  netmon_submillisecond  the same after `editcap -t 3600.123437`, against that shifted pcap
              (JSON Lines timeline only): NetMon keeps the first frame's time in milliseconds
              and the offsets in microseconds, and every capture here starts on a whole ms,
  two_links   split in the middle, the second half turned into raw IP (`editcap -C 14 -T rawip`)
              and the halves merged by `mergecap -F pcapng`: one file, two interfaces, two link
              types (Ethernet captures only),
  gzip, zstd  compressed,
  stdin       gzip read from standard input (`rpctrace - < C.gz`),
  parts       split by `editcap -c N` into 2-4 files given together (merged by time again),
for the timeline (text and JSON Lines), diagnose (text and JSON Lines) and endpoints. Standard
output, standard error and the exit status must be byte-identical, except for:
  - the file name: the "Statistics for NAME (" line and the stats record's "file";
  - two_links: the octets read (bytes_read, "frames read: N (B bytes)") are 14 fewer per
    raw-IP frame, checked exactly;
  - parts: the "Files (...)" legend line, the per-file lines of the statistics and the stats
    record's "files" array; frame names FILE:NUMBER are mapped back to merged numbers with the
    parts' frame counts, and the "file"/"file_frame" fields are removed from JSON records after
    checking them against the same counts. Every frame name in the text must be FILE:NUMBER.
Every run runs with TZ=JST-9, so that a reader taking NetMon's SYSTEMTIME as local time shows.

One more case, filter: `rpctrace --format jsonl C tcp port 135` on a few captures: the frames
of its records must be among those `tshark -Y tcp.port==135` keeps, and the statistics must
account for every frame (frames_read + capture_filter_rejected = the capture's frames).

Known bugs are listed in EXPECTED_FAILURES: such a case may fail on its frame names, never on
a difference in the normalised output.

Usage: formats_equivalence.py --rpctrace PATH --testdata DIR [--tshark PATH] [-j JOBS]
Exit status: 0 all equal, 1 a difference (a unified diff is printed) or an EXPECTED_FAILURES
entry that no case fails any more, 77 (skipped) when editcap or mergecap is missing.
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77

# (name, arguments before the files, output kind)
COMMANDS = (("timeline", [], "text"), ("timeline-jsonl", ["--format", "jsonl"], "jsonl"),
            ("diagnose", ["diagnose"], "text"),
            ("diagnose-jsonl", ["diagnose", "--format", "jsonl"], "jsonl"),
            ("endpoints", ["endpoints"], "text"))
CAPTURE_PREFIXES = ("kb159298_", "diag_", "http_", "cl_")
# Captures with TCP port 135 and other traffic (other TCP ports), for the BPF case.
FILTER_CAPTURES = ("kb159298_story.pcap", "diag_healthy.pcap", "diag_mail_connecting.pcap")
RAW_IP_CHOP = 14  # the Ethernet header editcap -C removes

# (capture, case, command) -> why; "*" for any capture. A listed case may fail on its frame
# names only, never on a difference in the output; an entry no case fails is itself a failure.
EXPECTED_FAILURES = {}

ENV = dict(os.environ, TZ="JST-9")


def pcap_frames(path):
    """The (seconds, fraction) timestamps of a classic pcap file's records, and its link type."""
    data = open(path, "rb").read()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<",
             b"\xa1\xb2\x3c\x4d": ">"}[magic]
    link = struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF
    pos, stamps = 24, []
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(order + "IIII", data[pos:pos + 16])
        stamps.append((sec, frac))
        pos += 16 + incl
    return stamps, link


def tool(args, **kw):
    p = subprocess.run(args, capture_output=True, timeout=60, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.decode()[-300:]}")
    return p.stdout


def rpctrace(rp, argv, cwd, stdin=None):
    p = subprocess.run([rp] + argv, input=stdin, capture_output=True, timeout=60, cwd=cwd,
                       env=ENV)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def name_file(out, err, kind, name):
    """The file name replaced by FILE where rpctrace names its input."""
    err = err.replace(f"Statistics for {name} (", "Statistics for FILE (")
    if kind == "jsonl":
        out = out.replace('{"type":"stats","file":%s,' % json.dumps(name),
                          '{"type":"stats","file":"FILE",')
    return out, err


def add_bytes(out, err, delta):
    """bytes_read and the text statistics' octet count plus `delta`."""
    out = re.sub(r'(\{"type":"stats",.*?"bytes_read":)(\d+)',
                 lambda m: m.group(1) + str(int(m.group(2)) + delta), out)
    err = re.sub(r"^(  frames read: \d+ \()(\d+)( bytes\))",
                 lambda m: m.group(1) + str(int(m.group(2)) + delta) + m.group(3), err,
                 flags=re.M)
    return out, err


class Parts:
    """Frame names of the parts of a capture split by editcap -c: file i (1-based) holds the
    merged frames first[i-1] + 1 .. first[i-1] + counts[i-1]."""

    def __init__(self, names, counts):
        self.names, self.counts = names, counts
        self.first = [sum(counts[:i]) for i in range(len(counts))]

    def merged(self, f, n):
        if 1 <= f <= len(self.counts) and 1 <= n <= self.counts[f - 1]:
            return self.first[f - 1] + n
        return None

    def local(self, merged):
        for i, c in enumerate(self.counts):
            if merged <= self.first[i] + c:
                return i + 1, merged - self.first[i]
        return None


# A frame row of the text timeline: "{:>6}. " then the time.
ROW = re.compile(r"^( *)(\d+):(\d+)\.(?= )", re.M)
# FILE:NUMBER anywhere else; not part of a time (20:00:00), an address (10.0.0.1:135) or an
# IPv6 address.
NAME = re.compile(r"(?<![\w:.\[\]])(\d+):(\d+)(?![\w:])")
# A frame number without its file, where the text names a frame: a timeline row, or "frame N"
# or "frames A, B" / "A-B" with any of them bare.
# (A number followed by ".digit" is a time after the list: "frame 1:6, 0.001000 s later".)
BARE = re.compile(
    r"^ {0,5}\d+\. (?= *[+-]?\d)|\bframes? (?:\d+(?::\d+)?(?:, |-))*\d+\b(?![:\d]|\.\d)", re.M)


def unname_text(out, err, parts, problems):
    """Text output of the parts with frame names as merged numbers, the legend and the
    statistics' file lines as one file's, and every bare frame number in `problems`."""
    lines = out.split("\n")
    legend = "Files (frames are named FILE:NUMBER): " + "; ".join(
        f"{i + 1} {n}" for i, n in enumerate(parts.names))
    if lines and lines[0] == legend:
        del lines[0:2 if len(lines) > 1 and lines[1] == "" else 1]
    else:
        problems.append(f"legend line missing or different: {lines[:1]!r} (want {legend!r})")
    out = "\n".join(lines)
    bare_frames(out, problems)
    out = unname(out, parts)
    # Statistics: "for N files merged by time:" and one line per file -> one file's header.
    head = re.compile(r"^Statistics for (\d+) files merged by time:\n((?:  file \d+: .*\n)*)",
                      re.M)
    m = head.search(err)
    if m:
        files = re.findall(r"^  file (\d+): (.*) \((\w+), (\w+)\): (\d+) frames$", m.group(2),
                           re.M)
        got = [(int(i), n, int(c)) for i, n, _, _, c in files]
        want = [(i + 1, n, c) for i, (n, c) in enumerate(zip(parts.names, parts.counts))]
        if got != want:
            problems.append(f"statistics' file lines {got} (want {want})")
        links = {f[3] for f in files}
        link = links.pop() if len(links) == 1 else "?"
        err = err[:m.start()] + f"Statistics for FILE ({link}):\n" + err[m.end():]
    return out, err


def bare_frames(text, problems):
    """Note each frame number printed without its file (at most a few)."""
    for m in BARE.finditer(text):
        if len(problems) >= 6:
            return
        problems.append(f"a frame without its file: {m.group(0).strip()!r} in line "
                        f"{text[:m.start()].count(chr(10)) + 1}")


def unname(text, parts):
    """FILE:NUMBER frame names in `text` as merged numbers."""

    def row(m):  # the row's frame is right-aligned in 6 columns ("{:>6}.")
        n = parts.merged(int(m.group(2)), int(m.group(3)))
        return m.group(0) if n is None else str(n).rjust(6) + "."

    def name(m):
        n = parts.merged(int(m.group(1)), int(m.group(2)))
        return m.group(0) if n is None else str(n)

    return NAME.sub(name, ROW.sub(row, text))


def unname_jsonl(out, parts, problems):
    """JSON Lines of the parts without "file"/"file_frame" (checked first), frame names in
    messages as merged numbers, and the stats record's "file" and "files" as one file's."""
    lines = []
    for line in out.split("\n"):
        if not line:
            lines.append(line)
            continue
        rec = json.loads(line)
        if rec.get("type") == "stats":
            files = [(f.get("name"), f.get("frames")) for f in rec.get("files", [])]
            want = list(zip(parts.names, parts.counts))
            if files != want:
                problems.append(f"stats files {files} (want {want})")
            line = re.sub(r',"files":\[[^\]]*\]', "", line, count=1)
            line = re.sub(r'^\{"type":"stats","file":"(?:[^"\\]|\\.)*",',
                          '{"type":"stats","file":"FILE",', line)
        else:
            bare_frames(line, problems)
            if "frame" in rec and len(problems) < 6:
                want = parts.local(rec["frame"])
                want = want and (parts.names[want[0] - 1], want[1])
                got = (rec.get("file"), rec.get("file_frame"))
                if got != want:
                    problems.append(f"{rec['type']} record of frame {rec['frame']}: file, "
                                    f"file_frame {got} (want {want})")
            line = unname(re.sub(r',"file":"(?:[^"\\]|\\.)*","file_frame":\d+', "", line),
                          parts)
        lines.append(line)
    return "\n".join(lines)


def joined(rc, out, err):
    return out + "--- stderr ---\n" + err + f"--- exit {rc} ---\n"


class Case:
    """One conversion of a capture: the files (or "-" and `stdin`) rpctrace reads, adjust(out,
    err, kind, problems) -> (out, err) undoing what the case may change, and optionally its own
    reference capture (in the work folder) and a subset of COMMANDS. A case with no files is
    skipped for `why`."""

    def __init__(self, name, files=None, adjust=None, stdin=None, why="", reference=None,
                 commands=None):
        self.name, self.files, self.adjust, self.stdin, self.why = name, files, adjust, stdin, why
        self.reference, self.commands = reference, commands


def variants(capture, work, tools):
    """The cases of `capture`, converted into `work`."""
    stamps, link = pcap_frames(capture)
    n = len(stamps)
    base = os.path.basename(capture)
    ed, mc = tools["editcap"], tools["mergecap"]

    def plain(name):
        return lambda out, err, kind, problems: name_file(out, err, kind, name)

    tool([ed, "-F", "netmon2", capture, os.path.join(work, "x.cap")])
    yield Case("netmon", ["x.cap"], plain("x.cap"))
    # NetMon 2.x keeps the first frame's time as a SYSTEMTIME (milliseconds) and each frame's
    # offset from it in microseconds; every capture here starts on a whole millisecond.
    shifted = os.path.join(work, "shifted.pcap")
    tool([ed, "-t", "3600.123437", "-F", "pcap", capture, shifted])
    tool([ed, "-F", "netmon2", shifted, os.path.join(work, "shifted.cap")])
    yield Case("netmon_submillisecond", ["shifted.cap"], plain("shifted.cap"),
               reference="shifted.pcap", commands=("timeline-jsonl",))

    if link != 1:
        yield Case("two_links", why=f"link type {link}, not Ethernet")
    elif n < 2:
        yield Case("two_links", why=f"{n} frame")
    else:
        half = n // 2
        h1, h2 = os.path.join(work, "h1.pcap"), os.path.join(work, "h2.pcap")
        h2raw = os.path.join(work, "h2raw.pcap")
        tool([ed, "-r", "-F", "pcap", capture, h1, f"1-{half}"])
        tool([ed, "-F", "pcap", capture, h2, f"1-{half}"])
        tool([ed, "-C", str(RAW_IP_CHOP), "-T", "rawip", "-F", "pcap", h2, h2raw])
        tool([mc, "-F", "pcapng", "-w", os.path.join(work, "m.pcapng"), h1, h2raw])

        def two(out, err, kind, problems, delta=RAW_IP_CHOP * (n - half)):
            return add_bytes(*name_file(out, err, kind, "m.pcapng"), delta)
        yield Case("two_links", ["m.pcapng"], two)

    gz = tool([tools["gzip"], "-c", "-n", capture]) if tools["gzip"] else None
    if gz is None:
        yield Case("gzip", why="gzip not found")
    else:
        open(os.path.join(work, "c.pcap.gz"), "wb").write(gz)
        yield Case("gzip", ["c.pcap.gz"], plain("c.pcap.gz"))
    if tools["zstd"]:
        zst = tool([tools["zstd"], "-q", "-c", capture])
        open(os.path.join(work, "c.pcap.zst"), "wb").write(zst)
        yield Case("zstd", ["c.pcap.zst"], plain("c.pcap.zst"))
    else:
        yield Case("zstd", why="zstd not found")
    if gz is None:
        yield Case("stdin", why="gzip not found")
    else:
        yield Case("stdin", ["-"], plain("standard input"), stdin=gz)

    if any(b < a for a, b in zip(stamps, stamps[1:])):
        yield Case("parts", why="timestamps not in order: the merge would reorder frames")
    elif n < 2:
        yield Case("parts", why=f"{n} frame")
    else:
        per = -(-n // 3)  # 2 or 3 parts
        pdir = os.path.join(work, "parts")
        os.mkdir(pdir)
        tool([ed, "-c", str(per), "-F", "pcap", capture, os.path.join(pdir, "part.pcap")])
        names = [os.path.join("parts", p) for p in sorted(os.listdir(pdir))]
        counts = [len(pcap_frames(os.path.join(work, p))[0]) for p in names]
        if sum(counts) != n or not 2 <= len(names) <= 4:
            raise RuntimeError(f"editcap -c {per} {base}: parts {list(zip(names, counts))}")
        parts = Parts(names, counts)

        def split(out, err, kind, problems):
            if kind == "jsonl":
                return unname_jsonl(out, parts, problems), err
            return unname_text(out, err, parts, problems)
        yield Case("parts", names, split)


def reference_runs(args, cwd, name, commands):
    """{command: (rc, out, err)} of rpctrace on `name` with the file name as FILE."""
    want = {}
    for cname, cargs, kind in COMMANDS:
        if cname in commands:
            rc, out, err = rpctrace(args.rpctrace, cargs + [name], cwd)
            want[cname] = (rc,) + name_file(out, err, kind, name)
    return want


def check_capture(args, tools, capture):
    """[(status, label, detail[, entry])] for one capture: status PASS, FAIL, XFAIL or SKIP."""
    base = os.path.basename(capture)
    results = []
    original = reference_runs(args, args.testdata, base, [c[0] for c in COMMANDS])
    with tempfile.TemporaryDirectory(prefix="rpctrace-formats-") as work:
        for case in variants(capture, work, tools):
            if case.files is None:
                results.append(("SKIP", f"{base} {case.name}", case.why))
                continue
            commands = case.commands or [c[0] for c in COMMANDS]
            want = reference_runs(args, work, case.reference, commands) if case.reference \
                else original
            for cname, cargs, kind in COMMANDS:
                if cname not in commands:
                    continue
                label = f"{base} {case.name} {cname}"
                rc, out, err = rpctrace(args.rpctrace, cargs + case.files, work, case.stdin)
                problems, diff = [], ""  # a listed bug may explain problems, never a diff
                if want[cname][0] < 0 or rc < 0:
                    diff = f"killed by a signal: exit {want[cname][0]} (reference) and {rc}\n"
                try:
                    out, err = case.adjust(out, err, kind, problems)
                except ValueError as e:  # a line that is not JSON
                    diff += f"not JSON Lines: {e}\n"
                a, b = joined(*want[cname]), joined(rc, out, err)
                if a != b:
                    ref = case.reference or "pcap"
                    diff += "".join(list(difflib.unified_diff(
                        a.splitlines(True), b.splitlines(True), f"{ref}/{cname}",
                        f"{case.name}/{cname}", n=1))[:40])
                results.append(outcome(base, case.name, cname, label, problems, diff))
    return results


def outcome(base, case, cname, label, problems, diff):
    """PASS, FAIL or, for a listed case whose output is the same once normalised but whose
    frame names are wrong, XFAIL: a listed bug never excuses a difference in the output."""
    detail = "".join(p + "\n" for p in problems) + diff
    if not detail:
        return ("PASS", label, "")
    entry = next((e for e in EXPECTED_FAILURES
                  if e[0] in (base, "*") and e[1] == case and e[2] in (cname, "*")), None)
    if entry is None or diff:
        return ("FAIL", label, detail)
    return ("XFAIL", label, f"{EXPECTED_FAILURES[entry]}: {problems[0]}", entry)


def check_filter(args, tools, capture):
    """The BPF expression against tshark's display filter on the same frames."""
    base = os.path.basename(capture)
    label = f"{base} filter 'tcp port 135'"
    if not tools["tshark"]:
        return [("SKIP", label, "tshark not found")]
    rc, out, err = rpctrace(args.rpctrace, ["--format", "jsonl", base, "tcp", "port", "135"],
                            args.testdata)
    problems = [] if rc == 0 else [f"exit {rc}: {err[-300:]}"]
    keep = tool([tools["tshark"], "-r", capture, "-Y", "tcp.port==135", "-T", "fields", "-e",
                 "frame.number"], env=ENV).decode().split()
    keep = {int(x) for x in keep}
    recs = [json.loads(line) for line in out.splitlines() if line.strip()]
    frames = {r["frame"] for r in recs if "frame" in r}
    total = len(pcap_frames(capture)[0])
    if not frames:
        problems.append("no record with a frame")
    if frames - keep:
        problems.append(f"frames outside tcp.port==135: {sorted(frames - keep)[:10]}")
    stats = [r for r in recs if r.get("type") == "stats"]
    if len(stats) != 1:
        problems.append(f"{len(stats)} stats records")
    else:
        read = stats[0]["frames_read"]
        rejected = stats[0]["not_decoded"].get("capture_filter_rejected")
        if rejected is None or read + rejected != total:
            problems.append(f"frames_read {read} + capture_filter_rejected {rejected} != {total}")
        if read != len(keep):
            problems.append(f"frames_read {read}, tshark keeps {len(keep)}")
    return [("FAIL" if problems else "PASS", label, "\n".join(problems))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--tshark", default=shutil.which("tshark") or "")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    args.rpctrace = os.path.abspath(args.rpctrace)
    args.testdata = os.path.abspath(args.testdata)
    tools = {t: shutil.which(t) for t in ("editcap", "mergecap", "gzip", "zstd")}
    tools["tshark"] = args.tshark
    missing = [t for t in ("editcap", "mergecap") if not tools[t]]
    if missing:
        print(f"SKIPPED: {' and '.join(missing)} not found (Wireshark's command-line tools, "
              "e.g. the wireshark-common or wireshark-cli package)")
        return SKIP
    captures = sorted(os.path.join(args.testdata, f) for f in os.listdir(args.testdata)
                      if f.startswith(CAPTURE_PREFIXES) and f.endswith(".pcap"))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(check_capture, args, tools, c) for c in captures]
        jobs += [pool.submit(check_filter, args, tools, os.path.join(args.testdata, c))
                 for c in FILTER_CAPTURES]
        results = [r for j in jobs for r in j.result()]
    hit = {r[3] for r in results if r[0] == "XFAIL"}
    results += [("XPASS", " ".join(e), "no case fails any more: remove it from EXPECTED_FAILURES")
                for e in EXPECTED_FAILURES if e not in hit]
    count = {}
    for status, label, detail, *_ in results:
        count[status] = count.get(status, 0) + 1
        if status != "PASS":
            print(f"{status} {label}" + (f": {detail}" if status in ("SKIP", "XFAIL", "XPASS")
                                          else ""))
            if status == "FAIL":
                sys.stdout.write(detail if detail.endswith("\n") else detail + "\n")
    print(f"{len(captures)} captures, {time.monotonic() - start:.1f} s: " + ", ".join(
        f"{count.get(s, 0)} {word}" for s, word in (
            ("PASS", "passed"), ("FAIL", "failed"), ("XFAIL", "expected failures"),
            ("XPASS", "expected failures gone"), ("SKIP", "skipped"))))
    return 1 if count.get("FAIL") or count.get("XPASS") else 0


if __name__ == "__main__":
    sys.exit(main())
