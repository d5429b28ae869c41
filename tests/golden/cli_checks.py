#!/usr/bin/env python3
"""Command-line checks: exit codes, messages, stdin, filters and option order, for the timeline
and the endpoints and diagnose commands; output errors and SIGPIPE.
Usage: cli_checks.py --rpctrace PATH --testdata DIR. Prints 'N passed, N failed'."""
import argparse
import json
import os
import re
import signal
import struct
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


def records(out):
    """The JSON Lines records of `out`, or None when a line is not JSON."""
    try:
        return jsonl(out)
    except ValueError:
        return None


def run_to(rp, args, stdout, preexec_fn=None):
    """rpctrace with its standard output on `stdout` (a file object or a descriptor)."""
    p = subprocess.run([rp] + args, stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       preexec_fn=preexec_fn, timeout=60)
    return p.returncode, p.stderr.decode()


def one_line(err):
    return err.endswith("\n") and err.count("\n") == 1


# The commands (None: the timeline) and the words that name them on the command line.
COMMANDS = (None, "endpoints", "diagnose")


def cname(cmd):
    return cmd or "timeline"


def cwords(cmd):
    return [cmd] if cmd else []


def placements(cmd, opt, file_args, tail=()):
    """The argument lists with `opt` before the command, between the command and the file, and
    after the file (for the timeline the first two are one), each followed by `tail`."""
    c, tail = cwords(cmd), list(tail)
    out = {"before command": opt + c + file_args, "between": c + opt + file_args,
           "after file": c + file_args + opt}
    seen, unique = set(), {}
    for name, args in out.items():
        if tuple(args) not in seen:
            seen.add(tuple(args))
            unique[name] = args + tail
    return unique


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"at {i}: {a[max(0, i - 40):i + 80]!r} vs {b[max(0, i - 40):i + 80]!r}"
    return f"lengths {len(a)} vs {len(b)}"


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def replicate(src, copies):
    """`copies` copies of a classic little-endian microsecond Ethernet/IPv4 pcap one after the
    other, copy i with i added to the third octet of both addresses (IP and TCP checksums
    recomputed) and shifted in time past the previous one: as many conversations, servers and
    clients, so that every command's output grows with `copies`."""
    data = open(src, "rb").read()
    assert struct.unpack("<II", data[:4] + data[20:24]) == (0xA1B2C3D4, 1), src
    pos, recs = 24, []
    while pos + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        recs.append((sec, usec, data[pos + 16:pos + 16 + incl], orig))
        pos += 16 + incl
    span = recs[-1][0] - recs[0][0] + 2
    out = [data[:24]]
    for i in range(copies):
        for sec, usec, frame, orig in recs:
            f = bytearray(frame)
            if f[12:14] == b"\x08\x00" and f[23] == 6:
                ihl, total = (f[14] & 15) * 4, struct.unpack("!H", f[16:18])[0]
                for a in (28, 32):  # the third octet of the source and destination address
                    f[a] = (f[a] + i) & 0xFF
                f[24:26] = b"\0\0"
                f[24:26] = struct.pack("!H", csum16(bytes(f[14:14 + ihl])))
                t = 14 + ihl
                f[t + 16:t + 18] = b"\0\0"
                pseudo = bytes(f[26:34]) + struct.pack("!BBH", 0, 6, total - ihl)
                f[t + 16:t + 18] = struct.pack("!H", csum16(pseudo + bytes(f[t:14 + total])))
            out.append(struct.pack("<IIII", sec + i * span, usec, len(f), orig) + bytes(f))
    return b"".join(out)


def not_decoded(out, key):
    recs = records(out)
    if not recs or recs[-1].get("type") != "stats":
        return None
    return recs[-1]["not_decoded"].get(key)


def of_type(out, t):
    return [r for r in records(out) or [] if r["type"] == t]


def convs(out):
    return of_type(out, "conversation")


def services(out):
    return [r["interface"]["name"] for r in of_type(out, "service")]


def kinds(out):
    return [r["kind"] for r in of_type(out, "finding")]


# What an option must do, as predicates of (rc, out, base): the exit status and standard output
# with the option, and (rc, out, err) without it. Each returns (ok, detail).
def unchanged(rc, out, base):
    return (rc, out) == base[:2], out[:300]


def counter(key):
    # A limit: its counter is 0 without the option and above 0 with it.
    return lambda rc, out, base: (rc == base[0] and (not_decoded(out, key) or 0) > 0
                                  and not_decoded(base[1], key) == 0,
                                  f"{key}={not_decoded(out, key)} (without: "
                                  f"{not_decoded(base[1], key)})")


def all_json(types):
    # --format jsonl: every line JSON, these record types among them, the statistics last.
    def pred(rc, out, base):
        recs = records(out)
        return (recs is not None and recs and recs[-1]["type"] == "stats"
                and types <= {r["type"] for r in recs} and records(base[1]) is None, out[:300])
    return pred


J = ["--format", "jsonl"]
LIMITS = ["--max-connections", "--max-out-of-order-bytes", "--idle-timeout", "--max-calls",
          "--max-contexts", "--max-stub-bytes"]


def help_defaults(rp):
    """The defaults --help states (--OPTION TYPE=VALUE)."""
    _, help_text, _ = run(rp, ["--help"])
    defaults = dict(re.findall(r"(--[a-z-]+) [^\n=]*=(\d+)\b", help_text))
    check("help states every limit's default", all(n in defaults for n in LIMITS + ["--slow"]),
          defaults)
    return defaults


def limit_cases(td, defaults, calls_file):
    """Each limit where it drops something in every command (its counter in the statistics);
    --max-calls: no capture here has two calls outstanding, so it is only accepted. The defaults
    --help states, given explicitly, change nothing."""
    f = lambda name: os.path.join(td, name)  # noqa: E731
    stated = [w for n in LIMITS if n in defaults for w in (n, defaults[n])]
    return [
        (["--max-connections", "1"], f("diag_mail_connecting.pcap"), J,
         counter("tcp_evicted_limit")),
        (["--idle-timeout", "1"], f("diag_mail_connecting.pcap"), J, counter("tcp_evicted_idle")),
        (["--max-out-of-order-bytes", "0"], f("reassembly_mix.pcap"), J,
         counter("tcp_buffer_limit_drops")),
        (["--max-contexts", "1"], f("epm_ndr64.pcap"), J, counter("dcerpc_contexts_evicted")),
        (["--max-stub-bytes", "10"], f("kb159298_epm.pcap"), J,
         counter("dcerpc_stub_truncated_calls")),
        (["--max-calls", "1"], calls_file, J,
         lambda rc, out, base: ((rc, out) == base[:2] and records(out) is not None, out[:300])),
        (stated, calls_file, [], unchanged),
    ]


def timeline_cases(td, defaults):
    kb = os.path.join(td, "kb159298_epm.pcap")
    mta = os.path.join(td, "kb159298_mta.pcap")
    story = os.path.join(td, "kb159298_story.pcap")
    mail = os.path.join(td, "diag_mail_connecting.pcap")
    krb = os.path.join(td, "rp_kerberos.pcap")  # also TCP without DCE/RPC (Kerberos, LDAP)
    np = os.path.join(td, "rp_np_samr.pcap")  # SAMR and LSA over named pipes on 445

    def pipes(out):
        return sorted({p["pipe"]["name"] for p in of_type(out, "pdu")})
    return [
        (["--interface", "LSARPC"], np, J,
         lambda rc, out, base: (pipes(out) == ["\\PIPE\\lsarpc"]
                                and pipes(base[1]) == ["\\PIPE\\lsarpc", "\\PIPE\\samr"],
                                pipes(out))),
        (["--port", "445"], np, J,
         lambda rc, out, base: ([c["server_port"] for c in convs(out)] == [445, 445]
                                and len(of_type(out, "pdu")) == 26, convs(out))),
        (["--port", "135"], np, J, lambda rc, out, base: (convs(out) == [], convs(out))),
        (["--host", "10.213.7.1"], np, J,
         lambda rc, out, base: (len(of_type(out, "pdu")) == 26, convs(out))),
        (J, kb, [], all_json({"conversation", "pdu"})),
        (["--format", "text"], kb, [], unchanged),
        (["-r", story], None, [], None),
        (["--port", "1733"], mta, J,
         lambda rc, out, base: ([c["server_port"] for c in convs(out)] == [1733], convs(out))),
        (["--host", "10.5.0.11"], mail, J,
         lambda rc, out, base: (len(convs(out)) == 2 and all(c["server"] == "10.5.0.11"
                                                             for c in convs(out)), convs(out))),
        # The endpoint mapper lookup that asked for MTA is kept with the MTA conversations.
        (["--interface", "mta"], story, J,
         lambda rc, out, base: (sorted(c["server_port"] for c in convs(out)) == [135, 1733, 4764],
                                convs(out))),
        (["--interface", "E1AF8308-5D1F-11C9-91A4-08002B14A0FA"], story, J,
         lambda rc, out, base: ([c["server_port"] for c in convs(out)] == [135], convs(out))),
        (["--opnum", "1"], story, J,
         lambda rc, out, base: ([(p["ptype"], p.get("opnum")) for p in of_type(out, "pdu")]
                                == [("request", 1), ("response", 1)], of_type(out, "pdu"))),
        (["--summary"], kb, [],
         lambda rc, out, base: (rc == 0 and out.startswith("Conversation 1:")
                                and "MSRPC" not in out and "MSRPC" in base[1], out)),
        (["--all"], krb, J,
         lambda rc, out, base: (len(convs(out)) > len(convs(base[1])) > 0
                                and not any(c["dcerpc"] for c in convs(out)
                                            if c["conversation"] not in
                                            {b["conversation"] for b in convs(base[1])}),
                                convs(out))),
    ] + limit_cases(td, defaults, story)


def endpoints_cases(td, defaults):
    rfr = os.path.join(td, "epm_lookup_rfr.pcap")
    mail = os.path.join(td, "diag_mail_connecting.pcap")
    many = os.path.join(td, "epm_lookup_many.pcap")

    def endpoints(out):
        return of_type(out, "endpoint")
    return [
        (J, rfr, [], all_json({"endpoint"})),
        (["--format", "text"], rfr, [], unchanged),
        (["-r", rfr], None, [], None),
        (["--port", "1143"], mail, J,
         lambda rc, out, base: ([e["frame"] for e in endpoints(out)] == [47]
                                and len(endpoints(base[1])) == 4, endpoints(out))),
        (["--host", "10.5.0.11"], mail, J,
         lambda rc, out, base: ([(e["server"], e["name"]) for e in endpoints(out)]
                                == [("10.5.0.11", "NSPI")], endpoints(out))),
        (["--interface", "NSPI"], mail, J,
         lambda rc, out, base: ([e["frame"] for e in endpoints(out)] == [29], endpoints(out))),
        (["--interface", "5A7E0101-0000-4000-8000-000000000000"], many, J,
         lambda rc, out, base: (
             len(endpoints(out)) > 0
             and {e.get("uuid") for e in endpoints(out)} == {"5a7e0101-0000-4000-8000-000000000000"}
             and len(endpoints(base[1])) > len(endpoints(out)), endpoints(out))),
    ] + limit_cases(td, defaults, rfr)


def diagnose_cases(td, defaults):
    slow = os.path.join(td, "diag_unanswered_and_slow.pcap")
    mail = os.path.join(td, "diag_mail_connecting.pcap")
    refused = os.path.join(td, "rp_np_refused.pcap")  # SMB refusals on 445
    return [
        (["--port", "445"], refused, J,
         lambda rc, out, base: (rc == 1 and sorted(kinds(out)) == [
             "pipe_open_refused", "smb_session_refused", "smb_tree_refused", "smb_tree_refused"],
             kinds(out))),
        (["--port", "135"], refused, J, lambda rc, out, base: (rc == 0 and kinds(out) == [], out)),
        (["--host", "10.9.9.9"], refused, J,
         lambda rc, out, base: (rc == 0 and kinds(out) == [] and base[0] == 1, out)),
        (J, slow, [], all_json({"service", "finding"})),
        (["--format", "text"], slow, [], unchanged),
        # --all lists the healthy services a busy capture only counts (at most 20 listed):
        # these few services are listed either way.
        (["--all"], slow, [], unchanged),
        (["-r", slow], None, [], None),
        (["--port", "1143"], mail, J,
         lambda rc, out, base: (rc == 0 and services(out) == ["EMSMDB"]
                                and of_type(out, "service")[0]["state"] == "Connecting", out)),
        (["--host", "10.5.0.11"], mail, J,
         lambda rc, out, base: (rc == 0 and base[0] == 1 and kinds(out) == []
                                and [r["server"] for r in of_type(out, "service")]
                                == ["10.5.0.11"], out)),
        (["--interface", "NSPI"], mail, J,
         lambda rc, out, base: (rc == 0 and services(out) == ["NSPI"] and kinds(out) == [],
                                out)),
        (["--interface", "A4F1DB00-CA47-1067-B31F-00DD010662DA"], mail, J,
         lambda rc, out, base: (rc == 1 and services(out) == ["EMSMDB"]
                                and len(kinds(out)) == 1 and len(services(base[1])) == 3
                                and of_type(out, "finding")[0]["count"] == 2, out)),
        (["--slow", defaults.get("--slow", "500")], slow, [], unchanged),
        (["--slow", "2000"], slow, J,
         lambda rc, out, base: (rc == 1 and "slow_call" not in kinds(out)
                                and "slow_call" in kinds(base[1]), kinds(out))),
        (["--slow", "10"], slow, J,
         lambda rc, out, base: (kinds(out).count("slow_call") == 4, kinds(out))),
    ] + limit_cases(td, defaults, slow)


def check_placement(rp, cmd, opt, f, tail, pred):
    """One option of one command: the same output (standard output, standard error, exit status)
    before the command, between the command and the file, and after the file; and the option
    takes effect there (`pred`), or for -r FILE, the same as FILE."""
    file_args = [f] if f else []
    results = {where: run(rp, args)
               for where, args in placements(cmd, opt, file_args, tail).items()}
    name = f"{cname(cmd)} {' '.join(opt)}"
    first = next(iter(results.values()))
    diff = [f"{w}: rc {r[0]} vs {first[0]}; out {first_difference(r[1], first[1])}; "
            f"err {first_difference(r[2], first[2])}"
            for w, r in results.items() if r != first]
    # Before the command, between, after the file: 3 places (-r FILE: 2); the timeline has no
    # command, so one less.
    places = (3 if f else 2) - (cmd is None)
    check(f"same output anywhere: {name}", not diff and len(results) == places
          and first[0] in (0, 1), diff or f"rc={first[0]} placements={list(results)} {first[2]!r}")
    if f is None:
        base = run(rp, cwords(cmd) + opt[1:] + tail)
        check(f"-r same as FILE: {name}", first == base, first_difference(first[1], base[1]))
        return
    base = run(rp, cwords(cmd) + file_args + tail)
    try:
        ok, detail = pred(first[0], first[1], base)
    except (KeyError, TypeError, IndexError) as e:  # records without the fields looked at
        ok, detail = False, f"{e!r}: {first[1][:300]!r}"
    check(f"option takes effect: {name}", ok, detail)


def check_placements(rp, td):
    """Every option of every command, with a value that changes the output where a capture
    here lets it."""
    defaults = help_defaults(rp)
    for cmd, cases in ((None, timeline_cases), ("endpoints", endpoints_cases),
                       ("diagnose", diagnose_cases)):
        for opt, f, tail, pred in cases(td, defaults):
            check_placement(rp, cmd, opt, f, tail, pred)


def check_refused(rp, td):
    """Options a command cannot use: exit 2, one line naming the option, nothing on stdout."""
    kb = os.path.join(td, "kb159298_epm.pcap")
    refused = {
        None: [["--slow", "100"]],
        "endpoints": [["--summary"], ["--opnum", "1"], ["--all"], ["--slow", "100"]],
        "diagnose": [["--summary"], ["--opnum", "1"]],
    }
    whose = {None: "the timeline (no command)", "endpoints": "endpoints", "diagnose": "diagnose"}
    for cmd, opts in refused.items():
        for opt in opts:
            variants = placements(cmd, opt, [kb])
            variants["with -r"] = cwords(cmd) + ["-r", kb] + opt
            variants["with jsonl"] = ["--format", "jsonl"] + cwords(cmd) + [kb] + opt
            for where, args in variants.items():
                rc, out, err = run(rp, args)
                check(f"refused {cname(cmd)} {opt[0]} ({where})",
                      rc == 2 and out == ""
                      and err == f"rpctrace: {opt[0]}: not an option of {whose[cmd]}\n",
                      f"args={args} rc={rc} out={out[:100]!r} err={err!r}")
    # Bad values: exit 2, nothing on stdout, one line on stderr naming the option, for every
    # command and placement. Negative and oversized counts are refused, not wrapped.
    for cmd in COMMANDS:
        for opt in (["--format", "xml"], ["--max-connections", "0"], ["--idle-timeout", "0"],
                    ["--max-calls", "0"], ["--max-contexts", "0"], ["--port", "65536"],
                    ["--host", "not-an-address"], ["--max-stub-bytes", "-1"],
                    ["--max-out-of-order-bytes", "-1"],
                    ["--max-stub-bytes", "99999999999999999999"]):
            for where, args in placements(cmd, opt, [kb]).items():
                rc, out, err = run(rp, args)
                check(f"bad value {cname(cmd)} {' '.join(opt)} ({where})",
                      rc == 2 and out == "" and err.startswith("rpctrace: ")
                      and err.count("\n") == 1 and opt[0] in err,
                      f"rc={rc} err={err!r}")
    rc, out, err = run(rp, ["diagnose", "--slow", "-1", kb])
    check("bad value diagnose --slow -1", rc == 2 and out == "" and "--slow" in err, err)


def check_version_help(rp, td):
    kb = os.path.join(td, "kb159298_epm.pcap")
    cmake = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "CMakeLists.txt")
    # The version the build gives it: CMakeLists.txt's project(... VERSION).
    m = re.search(r"project\(rpctrace VERSION (\S+)", open(cmake).read())
    version = f"rpctrace {m.group(1)}\n"
    for args in (["--version"], ["--version", "endpoints"], ["endpoints", "--version"],
                 ["diagnose", "--version"], ["--version", "diagnose", kb], [kb, "--version"],
                 ["endpoints", kb, "--version"], ["--format", "jsonl", "--version"]):
        rc, out, err = run(rp, args)
        check(f"version {args}", rc == 0 and out == version and err == "",
              f"rc={rc} {out!r} {err!r}")
    rc, help_text, err = run(rp, ["--help"])
    check("help", rc == 0 and err == "" and "endpoints" in help_text and "diagnose" in help_text
          and "--slow" in help_text and "--max-connections" in help_text, f"rc={rc} {err!r}")
    for args in (["-h"], ["endpoints", "--help"], ["diagnose", "--help"],
                 ["--help", "diagnose", kb]):
        rc, out, err = run(rp, args)
        check(f"help {args}", rc == 0 and err == "" and out == help_text, f"rc={rc} {err!r}")


def check_input_forms(rp, td):
    """-r FILE, -r - and - for every command; FILE with -r; a command without a file."""
    files = {None: os.path.join(td, "kb159298_story.pcap"),
             "endpoints": os.path.join(td, "epm_lookup_rfr.pcap"),
             "diagnose": os.path.join(td, "diag_unanswered_and_slow.pcap")}
    for cmd, f in files.items():
        c, data = cwords(cmd), open(f, "rb").read()
        ref = run(rp, c + [f])
        check(f"{cname(cmd)} reference", ref[0] in (0, 1) and ref[1] != "" and f in ref[2], ref[2])
        for args in [c + ["-r", f]] + ([["-r", f] + c] if cmd else []):
            got = run(rp, args)
            check(f"{cname(cmd)} {' '.join(args).replace(f, 'FILE')} same as FILE", got == ref,
                  f"rc {got[0]}; {first_difference(got[1], ref[1])}")
        for form in (["-"], ["-r", "-"]):
            # '-' is the file and so follows the command; -r - may stand before it too.
            for args in [c + form] + ([form + c] if cmd and form[0] == "-r" else []):
                rc, out, err = run(rp, args, stdin=data)
                check(f"{cname(cmd)} stdin {args}",
                      (rc, out, err) == (ref[0], ref[1], ref[2].replace(f, "standard input")),
                      f"rc={rc} {first_difference(out, ref[1])} err={err!r}")
            rc, out, _ = run(rp, c + form + ["--format", "jsonl"], stdin=data)
            recs = records(out)
            check(f"{cname(cmd)} stdin jsonl {form}", rc == ref[0] and recs
                  and recs[-1]["type"] == "stats" and recs[-1]["file"] == "standard input",
                  out[-300:])
        # One file given twice is a mistake (a glob and a name); several files are merged.
        for args in (c + [f, "-r", f], ["-r", f] + c + [f]):
            rc, out, err = run(rp, args, stdin=data)
            check(f"{cname(cmd)} FILE and -r {args}", rc == 2 and out == "" and one_line(err)
                  and "given twice" in err, f"rc={rc} {err!r}")
        args = c + ["-r", f, "-", "--format", "jsonl"]
        rc, out, err = run(rp, args, stdin=data)
        stats = jsonl(out)[-1] if rc in (0, 1) and out else {}
        files = stats.get("files", [])
        check(f"{cname(cmd)} -r FILE and standard input merged {args}",
              len(files) == 2 and files[1]["name"] == "standard input" and
              files[0]["frames"] == files[1]["frames"] and
              stats["frames_read"] == 2 * files[0]["frames"], f"rc={rc} {err!r} {files}")
        if cmd:
            for args in ([cmd], [cmd, "--format", "jsonl"], ["--port", "135", cmd]):
                rc, out, err = run(rp, args)
                check(f"{cmd} without a file {args}", rc == 2 and out == "" and one_line(err)
                      and err.startswith(f"rpctrace: {cmd}:") and "no capture file" in err,
                      f"rc={rc} {err!r}")


def check_write_errors(rp, td, big):
    """A standard output that cannot be written: exit 2 and one line, nothing else (no
    statistics); on a small output (written at the end) and a big one (written while reading)."""
    files = {None: os.path.join(td, "kb159298_story.pcap"),
             "endpoints": os.path.join(td, "epm_lookup_rfr.pcap"),
             "diagnose": os.path.join(td, "diag_unanswered_and_slow.pcap")}
    for cmd in COMMANDS:
        for fmt in ("text", "jsonl"):
            for size, f in (("small", files[cmd]), ("big", big[cmd])):
                args = cwords(cmd) + ["--format", fmt, f]
                if os.path.exists("/dev/full"):
                    with open("/dev/full", "wb") as full:
                        rc, err = run_to(rp, args, full)
                    check(f"/dev/full {cname(cmd)} {fmt} {size}", rc == 2 and err ==
                          "rpctrace: error writing standard output: No space left on device\n",
                          f"rc={rc} err={err!r}")
                rc, err = run_to(rp, args, None, preexec_fn=lambda: os.close(1))
                check(f"closed stdout {cname(cmd)} {fmt} {size}", rc == 2 and err ==
                      "rpctrace: error writing standard output: Bad file descriptor\n",
                      f"rc={rc} err={err!r}")


def check_sigpipe(rp, big):
    """A reader that stops after the first line: rpctrace dies of SIGPIPE, quietly, also when
    its parent left SIGPIPE ignored (Python does; restore_signals=False passes that on)."""
    for cmd in COMMANDS:
        for fmt in ("text", "jsonl"):
            for restore in (True, False):
                p = subprocess.Popen([rp] + cwords(cmd) + ["--format", fmt, big[cmd]],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, restore_signals=restore)
                first = p.stdout.readline()
                p.stdout.close()
                err = p.stderr.read()
                p.stderr.close()
                rc = p.wait(timeout=60)
                check(f"SIGPIPE {cname(cmd)} {fmt} {'default' if restore else 'inherited ignore'}",
                      rc == -signal.SIGPIPE and err == b"" and first.strip() != b"",
                      f"rc={rc} first={first[:80]!r} err={err[:200]!r}")


def check_fixed_bugs(rp, td):
    mail = os.path.join(td, "diag_mail_connecting.pcap")
    rfr = os.path.join(td, "epm_lookup_rfr.pcap")
    # --format before the command applies to it (it printed text).
    rc, out, _ = run(rp, ["--format", "jsonl", "diagnose", mail])
    recs = records(out)
    check("jsonl before diagnose is JSON", rc == 1 and recs is not None
          and recs[-1]["type"] == "stats" and [r["type"] for r in recs].count("finding") == 1,
          out[:300])
    rc, out, _ = run(rp, ["--format", "jsonl", "endpoints", rfr])
    recs = records(out)
    check("jsonl before endpoints is JSON", rc == 0 and recs is not None
          and [r["type"] for r in recs] == ["endpoint"] * 6 + ["stats"], out[:300])
    # --host before the command filters it (a host not in the capture: nothing listed).
    for args in (["--host", "10.9.9.9", "endpoints", mail],
                 ["--host", "10.9.9.9", "endpoints", rfr],
                 ["endpoints", "--host", "10.9.9.9", rfr]):
        rc, out, err = run(rp, args)
        check(f"host not in capture lists nothing {args[:3]} {os.path.basename(args[3])}",
              rc == 0 and out == "No endpoint mapper listing or ept_map answer in this capture.\n",
              out[:300])
        rc, out, _ = run(rp, args + ["--format", "jsonl"])
        recs = records(out) or []
        check(f"host not in capture jsonl {args[:3]} {os.path.basename(args[3])}",
              rc == 0 and [r["type"] for r in recs] == ["stats"]
              and recs[0]["conversations_shown"] == 0, out[:300])
    rc, out, _ = run(rp, ["--host", "10.9.9.9", "diagnose", mail])
    check("host not in capture diagnoses nothing", rc == 0 and "[error]" not in out
          and "10.5.0" not in out, out[:300])
    # endpoints -r FILE (was refused).
    for args in (["endpoints", "-r", rfr], ["-r", rfr, "endpoints"]):
        rc, out, err = run(rp, args)
        bindings = sum(out.count(p) for p in ("ncacn_", "ncadg_", "ncalrpc:"))
        check(f"{args} works", rc == 0 and bindings == 6 and "RFR" in out, f"rc={rc} {err!r}")


def check_every_command(rp, td):
    """The timeline, endpoints and diagnose: every option wherever it stands, refused options and
    bad values, the input forms, --version and --help, fixed bugs, write errors and SIGPIPE."""
    for section in (check_placements, check_refused, check_version_help, check_input_forms,
                    check_fixed_bugs):
        try:
            section(rp, td)
        except (KeyError, TypeError, IndexError) as e:  # output without the fields looked at
            check(section.__name__, False, f"stopped: {e!r}")
    with tempfile.TemporaryDirectory() as tmp:
        # Outputs of some hundred KiB to several MiB: past the pipe buffer and rpctrace's own.
        big = {}
        for cmd, src in ((None, "epm_lookup_many.pcap"), ("endpoints", "epm_lookup_many.pcap"),
                         ("diagnose", "diag_healthy.pcap")):
            big[cmd] = os.path.join(tmp, f"big_{src}")
            if not os.path.exists(big[cmd]):
                open(big[cmd], "wb").write(replicate(os.path.join(td, src), 250))
        check_write_errors(rp, td, big)
        check_sigpipe(rp, big)


def etl_start():
    """The first octets of an ETL file (docs/capture_formats.md 2.3): a WMI_BUFFER_HEADER with a
    BufferSize of 64 KiB, then at 0x48 the log-file header record's SYSTEM_TRACE_HEADER (marker
    version 2, 64-bit system header type 2, flags 0xC0; size 0x138; HookId 0)."""
    return (struct.pack("<I", 0x10000) + bytes(0x44) + struct.pack("<HBBHH", 2, 2, 0xC0, 0x138, 0)
            + bytes(0x110))


def check_refused_formats(rp):
    """Every refused format says what it is and how to convert it, in one line naming the file
    (exit 2); each file is built here from its magic (format_guess.cpp lists the sources)."""
    editcap = "`editcap -F pcapng in out.pcapng`"
    tar = bytearray(512)
    tar[0:5] = b"k.pcap"[:5]
    tar[257:262] = b"ustar"
    cases = [
        ("etl", etl_start(), ["Windows event trace (ETL", "`etl2pcapng in.etl out.pcapng`",
                              "github.com/microsoft/etl2pcapng",
                              "`pktmon etl2pcap in.etl --out out.pcapng` (Windows 10 2004+)"]),
        ("netmon1", b"RTSS\x01\x01\x01\x00" + bytes(56), ["Network Monitor 1.x", editcap]),
        ("snoop", b"snoop\0\0\0\0\0\0\x02\0\0\0\x04" + bytes(48), ["snoop capture", editcap]),
        ("dos sniffer", b"TRSNIFF data    \x1a" + bytes(47), ["Sniffer (DOS)", editcap]),
        ("windows sniffer", b"XCP\x00002.001\x00" + bytes(52), ["Windows Sniffer", editcap]),
        ("bzip2", b"BZh91AY&SY" + bytes(54), ["compressed with bzip2", "`bzip2 -d",
                                              "reads gzip and zstd itself"]),
        ("xz", bytes.fromhex("fd377a585a000004") + bytes(56), ["compressed with xz", "`xz -d"]),
        ("lz4", bytes.fromhex("04224d186440a7") + bytes(57), ["compressed with lz4", "`lz4 -d"]),
        ("zip", b"PK\x03\x04\x14\x00" + bytes(58), ["zip archive", "`unzip"]),
        ("tar", bytes(tar), ["tar archive", "`tar xf"]),
        ("text", b"12:00:01.000000 IP 10.0.0.1.40000 > 10.0.0.2.135: Flags [P.], length 72\n",
         ["this is text, not a capture", "write captures with -w"]),
        ("utf-16 text", "\ufeff1 0.000 10.0.0.1".encode("utf-16-le"), ["UTF-16 text"]),
        ("unknown", b"\xaa\xaa\xaa\xaa\x20\0\0\0" + bytes(56),
         ["unknown file format (first octets aa aa aa aa 20 00 00 00)", editcap]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, parts in cases:
            path = os.path.join(tmp, name.replace(" ", "_") + ".cap")
            open(path, "wb").write(data)
            rc, out, err = run(rp, [path])
            check(f"refused format {name}", rc == 2 and out == "" and one_line(err) and path in err
                  and all(p in err for p in parts), f"rc={rc} err={err!r}")
        # Through standard input too, where the octets are all there is.
        rc, _, err = run(rp, ["-"], stdin=etl_start())
        check("refused format etl on stdin", rc == 2 and one_line(err) and "standard input" in err
              and "etl2pcapng" in err, err)


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
    check_refused_formats(rp)
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
              and "capture damaged" in lines[0] and "at offset" in lines[0], err)
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
    check("interface by name, with the EPM lookup that asked for it",
          rc == 0 and sorted(c["server_port"] for c in conv) == [135, 1733, 4764], conv)
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

    check_every_command(rp, td)

    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
