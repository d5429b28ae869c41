#!/usr/bin/env python3
"""Compare rpctrace's per-operation service response times with tshark's DCE/RPC SRT tap.

Usage: srt_oracle.py [CAPTURE...] [--dir DIR] [--rpctrace BIN] [--tshark BIN]
                     [--allowlist FILE] [--summary] [--strict] [-v]

For each capture: run `rpctrace stats --format jsonl CAPTURE`, take its "op_stats" records,
run `tshark -q -z dcerpc,srt,UUID,MAJOR.MINOR` once per interface (rpctrace's interfaces and
those tshark saw bound or, connectionless, named in a header), and compare per opnum.
Exit status: 0 everything agrees (or is allow-listed), 1 disagreements, 2 a tool failed,
77 tshark is missing.

What tshark 4.0 (4.0.17, Debian 12) does, established by running it on testdata/ and the
public captures and from its source (facts only, no code taken):

* Output: a blank line, a "=" rule, "DCERPC SRT Statistics:", "Filter: <proto>.opnum" (the
  interface dissector's opnum field, empty when it has none), the header "Index  Procedure
  Calls  Min SRT  Max SRT  Avg SRT  Sum SRT", one row per opnum that has at least one call
  ("%5d  %-22s %6u" then four "%3d.%06d" times in seconds), and a closing "=" rule. No rows
  at all is possible (header and rules only).
* Index is the opnum; Procedure is the name in tshark's own dissector table ("unknown" for a
  gap in it); they are not compared (rpctrace's names follow the IDL, e.g. SamrConnect5
  where tshark says Connect5).
* Only the UUID and the MAJOR version select the interface: the minor version is parsed and
  range-checked, then ignored (SAMR 1.7 gives the same table as 1.0), so calls made under
  several minor versions of one major are merged. rpctrace's op_stats records are merged the
  same way here, per (uuid, major).
* An interface tshark has no dissector for (by uuid and major version), e.g. 5a7e0001-...
  in all_ptypes.pcap or SAMR 2.0, makes tshark 4.0 crash with SIGSEGV (exit 139) and print
  nothing: such interfaces are reported as not comparable, not as disagreements.
* What is counted ("Calls"): one per RESPONSE PDU (ptype 2) that tshark hands to the
  interface's dissector and whose request it saw (it links the response to a request frame;
  "dcerpc.request_in"). Faults are NOT counted (diag_faults.pcap: three faulted calls, an
  empty table). Unanswered calls are not counted. A response tshark cannot attribute to the
  interface (no bind/alter_context seen for its context: mid-stream captures) is not
  counted. A response whose opnum is at or above the highest opnum in tshark's dissector
  table + 1 is silently dropped. So tshark's Calls corresponds to rpctrace's
  answered - faults (calls answered by a response PDU), not to rpctrace's "calls".
* SRT of one call = the capture time of the frame in which tshark dissects the (last
  fragment of the) response, reassembled, minus the time of the frame in which it dissected
  the request's first fragment; connectionless: of the request's reassembled last fragment
  (cl_epm_udp.pcap frames 3, 4, 6 -> 7, 9: tshark 6 -> 9). dcerpc.time ("Time from
  request") shows the same value per response. A response in 4 fragments (rp_errors.pcap
  frames 30, 33, 36, 38) counts once, at frame 38. A PDU that spans several TCP segments is
  dissected in the frame of its last segment.
* Rounding (tshark's tap-srt.c): Min and Max are the exact nanosecond deltas rounded half up
  to the microsecond ((nsecs + 500) / 1000; a delta of x.9999995 s or more prints with a
  seventh digit, "x.1000000", read here as x s + 1000000 us). Sum is the total in ns rounded
  half up to the us. Avg is total_ns / calls truncated to the ns, then rounded half up to the
  us: two calls of 521 and 556 us print Avg 0.000539 (538.5 rounded up). rpctrace's mean,
  computed in floating point, may round such a tie down; so the mean is accepted when it is
  within 0.5 us of the exact mean Sum/Calls (either neighbour on a tie), plus 0.5/Calls us
  where the capture has sub-microsecond timestamps (Sum itself is then rounded). Min, max and
  call counts must be equal. Of all captures only the NetMon file
  MS-WMOD_Example4_...Hagala.cap has sub-microsecond timestamps (100 ns).
* Connectionless (UDP) calls are counted as well (cl_epm_udp.pcap: EPM Map and WKSSVC).
* tshark runs with -o tcp.desegment_tcp_streams default TRUE; as compare_tshark.py does, ports
  593 and 6001-6004 are always decoded as DCE/RPC, and "-d tcp.port==P,dcerpc" is added for
  every server port where rpctrace found more connection-oriented PDUs than tshark (e.g. the
  dynamic EMSMDB port 1090 in diag_faults.pcap). "capture tshark-args ARG..." lines of the
  allow-list are passed to tshark too.

Comparison per (uuid, major, opnum):
  calls   tshark Calls == rpctrace answered - faults
  min/max equal to the microsecond (where rpctrace's faults == 0; with faults, rpctrace's
          times may include the faulted calls, so only rpctrace min <= tshark min and
          rpctrace max >= tshark max are checked)
  mean    as above (only where faults == 0)
A row only rpctrace has agrees when answered - faults == 0; one whose opnum tshark dissects
(-Y '<proto>.opnum==N && dcerpc.pkt_type==2 && dcerpc.request_in') but does not count is
beyond tshark's procedure table (noted); one on an interface tshark never saw bound is noted
(tshark cannot attribute it). A row only tshark has is a disagreement.

Per call, for every op that still differs: tshark's counted calls (response frame, request
frame, dcerpc.time) are matched with rpctrace's timed responses (its `--format jsonl` PDU
records: response frame, request_frame, latency_us, interface_inferred, stub_encrypted) on the
request frame, else the response frame, else tshark's call key (TCP stream and call_id, or
UDP stream, activity and sequence number). The difference is EXPLAINED (reported as a note,
counted as agreeing; --strict turns this off) when every call that differs is one of:
  * fragment rule: rpctrace times a call from the frame completing the request's LAST
    fragment to the frame of the response's FIRST fragment (server think time); tshark from
    the request's first fragment (connectionless: the reassembled last) to the response's
    last. The oracle recomputes rpctrace's rule from tshark's own frames and requires the
    same microseconds (rp_errors.pcap ept_lookup: 28 -> 30 = 1543 us, tshark 28 -> 38 =
    1601 us; schtask...pcapng: request fragments 1839-1841, tshark 1839 -> 1847, rpctrace
    1841 -> 1847).
  * interface inferred by rpctrace (bind not captured, e.g. from an ept_map answer): tshark
    cannot attribute those calls (mapi.pcap EcDoRpc).
  * sealed response in several fragments: tshark does not reassemble it without keys, so
    its tap never sees it (schtask...pcapng SchRpcRetrieveTask).
  * request and response on different TCP connections or UDP port pairs (RPC over HTTP v2
    IN/OUT channels, a connectionless server answering from another port): tshark links
    calls only within one conversation (http_v2_exchange.pcap, dcerpc.pcap).
  * the response or request frame is allow-listed for this capture in compare_tshark.py's
    style ("capture FRAME field reason", checked by hand as tshark's).
Anything else (tshark-only calls, other rpctrace-only calls, a matched call timed
differently by both rules, rpctrace's stats counting more calls answered by a response than
its PDU records time) stays a disagreement and its calls are listed under the DIFF lines.

Allow-list lines (the same file as compare_tshark.py by default; '#' starts a comment):
  capture-name srt:UUID:MAJOR:OPNUM FIELD reason...
UUID, MAJOR, OPNUM and FIELD may be '*'; FIELD is calls, min, max, mean, tshark-only or
rpctrace-only. "capture-name tshark-args ARG..." lines apply as in compare_tshark.py, and
"capture-name FRAME field reason" lines explain calls at that frame (above).

Output per capture: a line "NAME: interfaces compared I (not comparable N), ops compared O,
agree A (E explained), disagree D (F differences, L allow-listed)", then "not comparable:",
"note:" and "DIFF srt:UUID:MAJOR:OPNUM OPERATION FIELD: tshark=... rpctrace=..." lines (the
calls behind a DIFF indented under it; -v lists them for explained ops too); --summary adds
"SRTSUMMARY<TAB>name<TAB>interfaces<TAB>not-comparable<TAB>ops<TAB>agree<TAB>explained<TAB>
differences<TAB>not-allow-listed". A file neither tool can read is skipped.
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RPCTRACE = os.path.join(HERE, "..", "..", "build", "rpctrace")
DEFAULT_ALLOWLIST = os.path.join(HERE, "allowlist.txt")
BASE_DECODE_PORTS = {593, 6001, 6002, 6003, 6004}   # ncacn_http and Exchange RPC, as compare_tshark
CAPTURE_EXTS = (".pcap", ".pcapng", ".cap")
ROW = re.compile(r"^\s*(\d+)\s+(.*?)\s+(\d+)\s+(-?\d+)\.(\d+)\s+(-?\d+)\.(\d+)"
                 r"\s+(-?\d+)\.(\d+)\s+(-?\d+)\.(\d+)\s*$")


class ToolError(Exception):
    pass


def us(secs, frac):
    """tshark's "%3d.%06d" as integer microseconds ("0.1000000" is 1 s, nsecs rounded up)."""
    return int(secs) * 1000000 + int(frac)


def parse_srt(text):
    """(filter field or None, {opnum: row}) from tshark's SRT output; None when it has no
    table. row: name, calls, min, max, avg, sum (times in integer us)."""
    lines = text.splitlines()
    try:
        start = lines.index("DCERPC SRT Statistics:")
    except ValueError:
        return None
    field, rows = None, {}
    for line in lines[start + 1:]:
        if line.startswith("Filter:"):
            field = line[len("Filter:"):].strip() or None
            continue
        if line.startswith("Index") or not line.strip():
            continue
        if line.startswith("="):
            break
        m = ROW.match(line)
        if not m:
            raise ToolError("cannot parse tshark SRT row: %r" % line)
        g = m.groups()
        rows[int(g[0])] = {"name": g[1], "calls": int(g[2]), "min": us(g[3], g[4]),
                           "max": us(g[5], g[6]), "avg": us(g[7], g[8]), "sum": us(g[9], g[10])}
    return field, rows


# ---------------------------------------------------------------- running the tools

def run(cmd):
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise ToolError("cannot run %s: %s" % (cmd[0], exc))
    return proc.returncode, proc.stdout.decode(errors="replace"), \
        "\n".join(l for l in proc.stderr.decode(errors="replace").splitlines()
                  if "Running as user" not in l).strip()


def tshark_ok(status, err):
    return status == 0 or "cut short in the middle of a packet" in err


def rpctrace_stats(rpctrace, capture):
    """{(uuid, major): {"name", "versions", "ops": {opnum: merged op record}}}."""
    status, out, err = run([rpctrace, "stats", "--format", "jsonl", capture])
    if status != 0:
        raise ToolError("rpctrace stats failed (exit %d): %s" % (status, err[:300]))
    ifaces = {}
    for line in out.splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("type") != "op_stats":
            continue
        itf = rec.get("interface")
        if not itf:   # no interface (e.g. a response whose request was never seen)
            ifaces.setdefault(("", None), {"name": None, "versions": set(), "ops": {}})
            merge_op(ifaces[("", None)]["ops"], rec)
            continue
        uuid = (itf.get("uuid") or "").lower()
        version = str(itf.get("version") or "")
        try:
            major = int(version.split(".")[0])
        except ValueError:
            major = None
        entry = ifaces.setdefault((uuid, major), {"name": itf.get("name"), "versions": set(),
                                                   "ops": {}})
        entry["versions"].add(version)
        merge_op(entry["ops"], rec)
    return ifaces


def to_us(v):
    return None if v is None else int(round(float(v) * 1e6))


def merge_op(ops, rec):
    """Merge one op_stats record into ops[opnum] (several minor versions of one major)."""
    opnum = rec.get("opnum")
    new = {"operation": rec.get("operation"), "calls": rec.get("calls") or 0,
           "answered": rec.get("answered") or 0, "faults": rec.get("faults") or 0,
           "min": to_us(rec.get("srt_min_s")), "max": to_us(rec.get("srt_max_s")),
           "mean": to_us(rec.get("srt_mean_s")), "records": 1}
    old = ops.get(opnum)
    if old is None:
        ops[opnum] = new
        return
    n_old, n_new = old["answered"], new["answered"]
    for k in ("calls", "answered", "faults", "records"):
        old[k] += new[k]
    old["min"] = min(x for x in (old["min"], new["min"]) if x is not None) \
        if old["min"] is not None or new["min"] is not None else None
    old["max"] = max(x for x in (old["max"], new["max"]) if x is not None) \
        if old["max"] is not None or new["max"] is not None else None
    if old["mean"] is None or new["mean"] is None:
        old["mean"] = old["mean"] if new["mean"] is None else new["mean"]
    elif n_old + n_new:
        old["mean"] = (old["mean"] * n_old + new["mean"] * n_new) / float(n_old + n_new)


def rpctrace_pdus(rpctrace, capture):
    """(connection-oriented PDUs per server port, {(uuid, major, opnum): [timed call]}) from
    rpctrace's PDU records; a timed call is the response record that carries latency_us (the
    response's first fragment): dict frame, request, us, inferred."""
    status, out, _ = run([rpctrace, capture, "--format", "jsonl"])
    calls = collections.defaultdict(list)
    if status != 0:
        return collections.Counter(), calls
    servers, pdus = {}, []
    for line in out.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("type") == "conversation":
            servers[rec.get("conversation")] = rec.get("server_port")
        elif rec.get("type") == "pdu":
            if rec.get("protseq") != "ncadg_ip_udp":
                pdus.append(rec.get("conversation"))
            itf = rec.get("interface") or {}
            if rec.get("ptype_value") == 2 and rec.get("latency_us") is not None:
                try:
                    major = int(str(itf.get("version")).split(".")[0])
                except ValueError:
                    major = None
                calls[((itf.get("uuid") or "").lower(), major, rec.get("opnum"))].append({
                    "frame": rec.get("frame"), "request": rec.get("request_frame"),
                    "us": rec["latency_us"], "inferred": bool(rec.get("interface_inferred")),
                    "sealed": bool(rec.get("stub_encrypted"))})
    return collections.Counter(servers.get(c) for c in pdus if servers.get(c) is not None), calls


def per_call(tcalls, rcalls, pdus, unlinked, frames_ok=None):
    """Match tshark's counted calls (response frame, request frame, ns) with rpctrace's timed
    calls. Return (lines describing every difference, explained: every difference is a call
    rpctrace attributes by inference or a matched call timed by rpctrace's fragment rule)."""
    by_frame = collections.defaultdict(list)
    for p in pdus:
        by_frame[p[0]].append(p)
    left, pairs, t_only = list(rcalls), [], []
    for tc in tcalls:
        resp, req, _ = tc
        key = {p[2] for p in by_frame.get(resp, []) if p[3] == 2}
        cand = [r for r in left if r["request"] == req] or [r for r in left if r["frame"] == resp] \
            or [r for r in left if key & {p[2] for p in by_frame.get(r["frame"], []) if p[3] == 2}]
        if cand:
            left.remove(cand[0])
            pairs.append((tc, cand[0]))
        else:
            t_only.append(tc)
    lines, explained = [], not t_only
    for (resp, req, ns), r in pairs:
        direct = (ns + 500) // 1000
        alt = rpctrace_rule(pdus, [(resp, req, ns)])
        alt = (alt[0] + 500) // 1000 if alt else None
        if r["us"] != direct:
            if r["us"] == alt:
                lines.append("call %d<-%d: rpctrace %s at frame %d<-%d = tshark's frames by the "
                             "fragment rule (tshark %s)" % (resp, req, fmt_us(r["us"]), r["frame"],
                                                            r["request"], fmt_us(direct)))
            else:
                explained = False
                lines.append("call %d<-%d: tshark %s, rpctrace %s (frame %d<-%d)%s" % (
                    resp, req, fmt_us(direct), fmt_us(r["us"]), r["frame"], r["request"],
                    "; fragment rule gives %s" % fmt_us(alt) if alt is not None else ""))
    for resp, req, ns in t_only:
        lines.append("call %d<-%d (%s) counted by tshark, not timed by rpctrace" % (
            resp, req, fmt_us((ns + 500) // 1000)))
    for r in left:
        ok = [f for f in (r["frame"], r["request"]) if f in (frames_ok or {})]
        if r["inferred"]:
            why = "interface inferred by rpctrace (bind not captured)"
        elif ok:
            why = "allow-listed frame %d (%s)" % (ok[0], frames_ok[ok[0]])
        elif r["sealed"] and any(p[3] == 2 and p[4] and not p[5]
                                 for p in by_frame.get(r["frame"], [])):
            why = ("sealed response in several fragments: tshark does not reassemble it without "
                   "keys, so never hands it to the interface or its tap")
        elif r["frame"] in unlinked and cross_conversation(by_frame, r):
            why = ("request and response on different transport conversations (TCP "
                   "connections or UDP port pairs): tshark links a response only to a request "
                   "of its own conversation")
        elif r["frame"] in unlinked:
            why = "tshark shows the response but links no request to it"
            explained = False
        elif not any(p[3] == 2 for p in by_frame.get(r["frame"], [])):
            why = "tshark dissects no response in that frame"
            explained = False
        else:
            why = "not counted by tshark"
            explained = False
        lines.append("call %s<-%s (%s) timed by rpctrace only: %s" % (
            r["frame"], r["request"], fmt_us(r["us"]), why))
    return lines, explained


def cross_conversation(by_frame, r):
    """Whether tshark has the request at rpctrace's request frame and the response at its
    response frame on different streams (RPC over HTTP's IN and OUT channels, a UDP server
    answering from another port)."""
    req = {p[2][1] for p in by_frame.get(r["request"], []) if p[3] == 0}
    resp = {p[2][1] for p in by_frame.get(r["frame"], []) if p[3] == 2}
    return bool(req and resp and not req & resp)


def tshark_base_args(ports, extra_args):
    return list(extra_args) + [a for p in sorted(ports) for a in ("-d", "tcp.port==%d,dcerpc" % p)]


def tshark_inventory(tshark, capture, args):
    """(interfaces tshark saw: {(uuid, major): "maj.min"}, DCE/RPC PDUs over TCP per port,
    capture has sub-microsecond timestamps)."""
    cmd = [tshark, "-r", capture] + args + [
        "-Y", "dcerpc", "-T", "fields", "-E", "occurrence=a", "-E", "separator=/t",
        "-e", "dcerpc.pkt_type", "-e", "dcerpc.cn_bind_to_uuid", "-e", "dcerpc.cn_bind_if_ver",
        "-e", "dcerpc.cn_bind_if_ver_minor", "-e", "dcerpc.dg_if_id", "-e", "dcerpc.dg_if_ver",
        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "frame.time_epoch"]
    status, out, err = run(cmd)
    if not tshark_ok(status, err):
        raise ToolError("tshark failed (exit %d): %s" % (status, err[:300]))
    ifaces, ports, sub_us = {}, collections.Counter(), False
    for line in out.splitlines():
        f = (line.split("\t") + [""] * 9)[:9]
        ptypes = [p for p in f[0].split(",") if p]
        uuids, majs, mins = f[1].split(","), f[2].split(","), f[3].split(",")
        for i, u in enumerate(uuids):
            if u and i < len(majs) and majs[i].isdigit():
                ifaces.setdefault((u.lower(), int(majs[i])), "%s.%s" % (
                    majs[i], mins[i] if i < len(mins) and mins[i] else "0"))
        for u, v in zip(f[4].split(","), f[5].split(",")):
            if u and v.isdigit():   # connectionless: the 32-bit if_vers; its low 16 bits
                ifaces.setdefault((u.lower(), int(v) & 0xFFFF), "%d.0" % (int(v) & 0xFFFF))
        if f[6] and f[7] and "," not in f[6]:
            for p in (int(f[6]), int(f[7])):
                ports[p] += len(ptypes)
        frac = f[8].split(".")[1] if "." in f[8] else ""
        if len(frac) > 6 and frac[6:].strip("0"):
            sub_us = True
    return ifaces, ports, sub_us


def tshark_srt(tshark, capture, args, uuid, major, minor="0"):
    """(filter field, rows) or None when tshark has no dissector for the interface."""
    cmd = [tshark, "-r", capture, "-q"] + args + [
        "-z", "dcerpc,srt,%s,%d.%s" % (uuid, major, minor)]
    status, out, err = run(cmd)
    if status in (-11, 139) or (status != 0 and "DCERPC SRT Statistics" not in out
                                and "Segmentation" in err):
        return None   # tshark 4.0 crashes on an interface it has no dissector for
    if not tshark_ok(status, err):
        raise ToolError("tshark -z dcerpc,srt,%s,%d.%s failed (exit %d): %s" % (
            uuid, major, minor, status, err[:300]))
    parsed = parse_srt(out)
    if parsed is None:
        raise ToolError("no SRT table in tshark's output for %s v%d" % (uuid, major))
    return parsed


def tshark_responses(tshark, capture, args, field, opnums):
    """{opnum: [(response frame, request frame, srt in us)]}: the responses tshark dissected
    as the interface (its opnum field), linked to a request."""
    flt = "(%s) && dcerpc.pkt_type == 2 && dcerpc.request_in" % " || ".join(
        "%s == %d" % (field, o) for o in sorted(opnums))
    status, out, err = run([tshark, "-r", capture] + args + [
        "-Y", flt, "-T", "fields", "-E", "occurrence=f", "-e", field, "-e", "frame.number",
        "-e", "dcerpc.request_in", "-e", "dcerpc.time"])
    found = collections.defaultdict(list)
    if not tshark_ok(status, err):
        return found
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) >= 4 and f[0].isdigit():
            found[int(f[0])].append((int(f[1]), int(f[2].split(",")[0]), to_ns(f[3])))
    return found


def to_ns(text):
    """A decimal seconds string ("0.000390000", "1700000000.123456789") as integer ns."""
    secs, _, frac = (text or "0").partition(".")
    sign = -1 if secs.startswith("-") else 1
    return sign * (abs(int(secs or 0)) * 1000000000 + int((frac + "000000000")[:9]))


def tshark_pdus(tshark, capture, args):
    """Every DCE/RPC PDU tshark dissects: (frame, time ns, key, ptype, first, last) where key
    is (tcp stream, call_id) for connection-oriented PDUs and (udp stream, activity, seqnum)
    for connectionless ones, first/last whether it is the call's first/last fragment."""
    status, out, err = run([tshark, "-r", capture] + args + [
        "-Y", "dcerpc", "-T", "fields", "-E", "occurrence=a", "-e", "frame.number",
        "-e", "frame.time_epoch", "-e", "tcp.stream", "-e", "udp.stream",
        "-e", "dcerpc.pkt_type", "-e", "dcerpc.cn_call_id", "-e", "dcerpc.cn_flags",
        "-e", "dcerpc.dg_act_id", "-e", "dcerpc.dg_seqnum", "-e", "dcerpc.dg_frag_num",
        "-e", "dcerpc.dg_flags1"])
    pdus = []
    if not tshark_ok(status, err):
        return pdus
    for line in out.splitlines():
        f = (line.split("\t") + [""] * 11)[:11]
        frame, t = int(f[0]), to_ns(f[1])
        ptypes = f[4].split(",")
        if f[5]:   # connection-oriented: ptype, call_id and flags in every PDU, aligned
            for ptype, cid, flags in zip(ptypes, f[5].split(","), f[6].split(",")):
                fl = int(flags, 16)
                pdus.append((frame, t, ("co", f[2].split(",")[0], int(cid)), int(ptype),
                             bool(fl & 1), bool(fl & 2)))
        elif f[7]:
            for ptype, act, seq, frag, flags in zip(ptypes, f[7].split(","), f[8].split(","),
                                                    f[9].split(","), f[10].split(",")):
                fl = int(flags, 16)
                pdus.append((frame, t, ("cl", f[3].split(",")[0], act, int(seq)), int(ptype),
                             int(frag) == 0, not fl & 4 or bool(fl & 2)))
    return pdus


def rpctrace_rule(pdus, calls):
    """Per call tshark counted ((response frame, request frame, ns)), the response time by
    rpctrace's rule: first fragment of the response minus last fragment of the request;
    None where the fragments cannot be found."""
    by_frame = collections.defaultdict(list)
    for p in pdus:
        by_frame[p[0]].append(p)
    out = []
    for resp, req, _ in calls:
        keys = {p[2] for p in by_frame.get(resp, []) if p[3] == 2} & \
            {p[2] for p in by_frame.get(req, []) if p[3] == 0}
        if len(keys) != 1:
            return None
        key = keys.pop()
        last_req = [p for p in pdus if p[2] == key and p[3] == 0 and p[5] and req <= p[0] <= resp]
        first_resp = [p for p in pdus if p[2] == key and p[3] == 2 and p[4] and req <= p[0] <= resp]
        if not last_req or not first_resp:
            return None
        out.append(max(p[1] for p in first_resp) - min(p[1] for p in last_req))
    return out


def tshark_unlinked(tshark, capture, args):
    """Frames holding a response tshark links to no request."""
    status, out, err = run([tshark, "-r", capture] + args + [
        "-Y", "dcerpc.pkt_type == 2 && !dcerpc.request_in", "-T", "fields", "-e", "frame.number"])
    return {int(l) for l in out.split() if l.isdigit()} if tshark_ok(status, err) else set()


def describe_t(t):
    return "-" if not t else "%d calls min/max/avg %s/%s/%s" % (
        t["calls"], fmt_us(t["min"]), fmt_us(t["max"]), fmt_us(t["avg"]))


def describe_r(r):
    return "-" if not r else "%d answered by a response, min/max/mean %s/%s/%s" % (
        r["answered"] - r["faults"], fmt_us(r["min"]), fmt_us(r["max"]), fmt_us(r["mean"]))


def stats_us(times_ns):
    """tshark's presentation of a list of ns times: calls, min, max, avg, sum (us)."""
    total = sum(times_ns)
    return {"calls": len(times_ns), "min": (min(times_ns) + 500) // 1000,
            "max": (max(times_ns) + 500) // 1000, "avg": (total // len(times_ns) + 500) // 1000,
            "sum": (total + 500) // 1000}


# ---------------------------------------------------------------- allow-list

def allowed_frames(paths, capture):
    """{frame: reason} from compare_tshark.py's lines "capture FRAME field reason...": frames
    whose disagreement was checked by hand and found to be tshark's."""
    frames = {}
    for path in paths:
        if not path or not os.path.exists(path):
            continue
        with open(path) as fh:
            for line in fh:
                words = line.split("#", 1)[0].split()
                if len(words) >= 4 and words[0] == capture and words[1].isdigit():
                    frames.setdefault(int(words[1]), " ".join(words[3:]))
    return frames


def load_allowlist(paths, capture):
    """([(uuid, major, opnum, field)] patterns for this capture, extra tshark arguments)."""
    allowed, tshark_args = [], []
    for path in paths:
        if not path or not os.path.exists(path):
            continue
        with open(path) as fh:
            for line in fh:
                words = line.split("#", 1)[0].split()
                if len(words) >= 3 and words[0] == capture and words[1] == "tshark-args":
                    tshark_args += words[2:]
                elif len(words) >= 4 and words[0] == capture and words[1].startswith("srt:"):
                    key = words[1][4:].split(":")
                    if len(key) == 3:
                        allowed.append((key[0].lower(), key[1], key[2], words[2]))
    return allowed, tshark_args


def is_allowed(allowed, uuid, major, opnum, field):
    for u, m, o, f in allowed:
        if (u in ("*", uuid) and m in ("*", str(major)) and o in ("*", str(opnum))
                and f in ("*", field)):
            return True
    return False


# ---------------------------------------------------------------- comparison

def fmt_us(v):
    if v is None:
        return "-"
    if isinstance(v, float) and v != int(v):
        return "%.1fus" % v
    return "%dus" % int(v)


def compare_op(t, r, sub_us):
    """[(field, tshark, rpctrace, note)] for an opnum both tools have."""
    out = []
    answered = r["answered"] - r["faults"]
    if t["calls"] != answered:
        out.append(("calls", t["calls"], answered,
                    "rpctrace calls %d answered %d faults %d" % (r["calls"], r["answered"],
                                                                 r["faults"])))
    if r["faults"]:
        # rpctrace's times may include the faulted calls: only the bounds can be checked.
        if r["min"] is not None and r["min"] > t["min"]:
            out.append(("min", t["min"], r["min"], "rpctrace min above tshark's (faults %d)"
                        % r["faults"]))
        if r["max"] is not None and r["max"] < t["max"]:
            out.append(("max", t["max"], r["max"], "rpctrace max below tshark's (faults %d)"
                        % r["faults"]))
        return out
    for key in ("min", "max"):
        if r[key] != t[key]:
            note = "sub-us timestamps" if sub_us and r[key] is not None and \
                abs(r[key] - t[key]) == 1 else ""
            out.append((key, t[key], r[key], note))
    exact = t["sum"] / float(t["calls"]) if t["calls"] else None
    tol = 0.5 + (0.5 / t["calls"] if sub_us and t["calls"] else 0) + 1e-6
    if r["mean"] is None or (r["mean"] != t["avg"] and
                             (exact is None or abs(r["mean"] - exact) > tol)):
        out.append(("mean", t["avg"], r["mean"],
                    "exact mean from Sum %s" % fmt_us(exact) if exact is not None else ""))
    return out


def compare_capture(args, capture):
    name = os.path.basename(capture)
    allowed, extra_args = load_allowlist(args.allowlist, name)
    frames_ok = allowed_frames(args.allowlist, name)
    result = {"name": name, "interfaces": 0, "skipped": [], "ops": 0, "agree": 0,
              "diffs": [], "notes": [], "tshark_args": [], "details": {},
              "explained": 0}
    rifaces = rpctrace_stats(args.rpctrace, capture)
    targs = tshark_base_args(BASE_DECODE_PORTS, extra_args)
    tifaces, tports, sub_us = tshark_inventory(args.tshark, capture, targs)
    rports, rcalls = rpctrace_pdus(args.rpctrace, capture)
    decode = {p for p, n in rports.items() if n > tports[p]} - BASE_DECODE_PORTS
    if decode:
        targs = tshark_base_args(BASE_DECODE_PORTS | decode, extra_args)
        tifaces, tports, sub_us = tshark_inventory(args.tshark, capture, targs)
    result["tshark_args"] = extra_args + ["-d tcp.port==%d,dcerpc" % p for p in sorted(decode)]

    pdus, unlinked = None, set()   # tshark's PDU list, read when a call needs it
    keys = sorted(set(rifaces) | set(tifaces),
                  key=lambda k: (k[0], k[1] if k[1] is not None else -1))
    for uuid, major in keys:
        r_if = rifaces.get((uuid, major), {"name": None, "versions": set(), "ops": {}})
        label = "%s v%s%s" % (uuid, major, " (%s)" % r_if["name"] if r_if["name"] else "")
        if (uuid, major) == ("", None):
            result["skipped"].append("op_stats without an interface: %s" % ", ".join(
                "%s (%d calls, %d answered, %s)" % (
                    o["operation"], o["calls"], o["answered"],
                    "no response time" if o["min"] is None else "min " + fmt_us(o["min"]))
                for o in r_if["ops"].values()))
            continue
        if major is None or not re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                         r"[0-9a-f]{12}$", uuid):
            result["skipped"].append("%s: no usable uuid/version from rpctrace" % label)
            continue
        srt = tshark_srt(args.tshark, capture, targs, uuid, major)
        if srt is None:
            answered = sum(o["answered"] - o["faults"] for o in r_if["ops"].values())
            result["skipped"].append("%s: tshark has no dissector (it crashes); rpctrace: %d "
                                     "ops, %d calls answered by a response" % (
                                         label, len(r_if["ops"]), answered))
            continue
        field, trows = srt
        result["interfaces"] += 1
        rops = r_if["ops"]
        # rpctrace-only rows with answered calls: ask tshark about those responses.
        lonely = [o for o in rops if o not in trows and rops[o]["answered"] - rops[o]["faults"] > 0]
        dissected = tshark_responses(args.tshark, capture, targs, field, lonely) \
            if lonely and field else {}
        for opnum in sorted(set(trows) | set(rops), key=lambda o: (o is None, o)):
            t, r = trows.get(opnum), rops.get(opnum)
            result["ops"] += 1
            what = "srt:%s:%d:%s %s" % (uuid, major, opnum, (r or {}).get("operation") or
                                        (t or {}).get("name") or "")
            if t and r:
                diffs = compare_op(t, r, sub_us)
            elif t:
                diffs = [("tshark-only", "%d calls, min %s max %s avg %s" % (
                    t["calls"], fmt_us(t["min"]), fmt_us(t["max"]), fmt_us(t["avg"])), "-", "")]
            else:
                answered = r["answered"] - r["faults"]
                if answered == 0:
                    diffs = []   # no call answered by a response: tshark has no row either
                elif dissected.get(opnum):
                    result["notes"].append("%s: %d responses dissected by tshark but not counted "
                                           "by its tap (opnum beyond its procedure table)" % (
                                               what, len(dissected[opnum])))
                    diffs = []
                elif (uuid, major) not in tifaces:
                    result["notes"].append("%s: rpctrace %d calls answered; tshark never saw a "
                                           "bind for the interface, so cannot attribute them" % (
                                               what, answered))
                    diffs = []
                else:
                    diffs = [("rpctrace-only", "-", "%d answered by a response, min %s max %s "
                              "mean %s" % (answered, fmt_us(r["min"]), fmt_us(r["max"]),
                                           fmt_us(r["mean"])), "")]
            if diffs and field:
                # Per call: which calls differ, and is every difference explained?
                if pdus is None:
                    pdus = tshark_pdus(args.tshark, capture, targs)
                    unlinked = tshark_unlinked(args.tshark, capture, targs)
                tcalls = tshark_responses(args.tshark, capture, targs, field, [opnum])[opnum]
                rc = rcalls.get((uuid, major, opnum), [])
                lines, explained = per_call(tcalls, rc, pdus, unlinked, frames_ok)
                if t and len(tcalls) != t["calls"]:
                    lines.append("tshark's table counts %d calls, its frames show %d" % (
                        t["calls"], len(tcalls)))
                    explained = False
                if r and r["answered"] - r["faults"] != len(rc):
                    lines.append("rpctrace's stats count %d calls answered by a response, its "
                                 "PDU records time %d" % (r["answered"] - r["faults"], len(rc)))
                    explained = False
                if explained and not args.strict and not any(d[0] == "tshark-only" for d in diffs):
                    why = sorted({l.split(": ", 1)[1] if "timed by rpctrace only" in l else
                                  "fragment rule" for l in lines})
                    result["notes"].append("%s: explained (%s): tshark %s, rpctrace %s" % (
                        what, "; ".join(why), describe_t(t), describe_r(r)))
                    result["explained"] += 1
                    if args.verbose:
                        result["notes"] += ["  %s" % l for l in lines]
                    diffs = []
                else:
                    result["details"][what] = lines
            if not diffs:
                result["agree"] += 1
            for f, tv, rv, note in diffs:
                result["diffs"].append((what, f, tv, rv, note,
                                        is_allowed(allowed, uuid, major, opnum, f)))
    return result


def report(res, summary):
    unexplained = [d for d in res["diffs"] if not d[5]]
    print("%s: interfaces compared %d (not comparable %d), ops compared %d, agree %d (%d "
          "explained), disagree %d (%d differences, %d allow-listed)" % (
              res["name"], res["interfaces"], len(res["skipped"]), res["ops"], res["agree"],
              res["explained"], res["ops"] - res["agree"], len(res["diffs"]),
              len(res["diffs"]) - len(unexplained)))
    if res["tshark_args"]:
        print("  tshark arguments: %s" % " ".join(res["tshark_args"]))
    for s in res["skipped"]:
        print("  not comparable: %s" % s)
    for n in res["notes"]:
        print("  note: %s" % n)
    shown = set()
    for what, f, tv, rv, note, allowed in res["diffs"]:
        if what not in shown and what in res["details"]:
            for line in res["details"][what][:40]:
                print("    %s: %s" % (what.split(" ")[0], line))
            if len(res["details"][what]) > 40:
                print("    ... %d more" % (len(res["details"][what]) - 40))
        shown.add(what)
        tv = fmt_us(tv) if isinstance(tv, (int, float)) and f in ("min", "max", "mean") else tv
        rv = fmt_us(rv) if isinstance(rv, (int, float)) and f in ("min", "max", "mean") else rv
        print("  DIFF %s %s: tshark=%s rpctrace=%s%s%s" % (
            what.strip(), f, tv, rv, " (%s)" % note if note else "",
            " (allowed)" if allowed else ""))
    if summary:
        print("SRTSUMMARY\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d" % (
            res["name"], res["interfaces"], len(res["skipped"]), res["ops"], res["agree"],
            res["explained"], len(res["diffs"]), len(unexplained)))
    return 1 if unexplained else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("captures", nargs="*")
    ap.add_argument("--dir", action="append", default=[],
                    help="take every *.pcap, *.pcapng, *.cap under DIR (recursively)")
    ap.add_argument("--rpctrace", default=os.environ.get("RPCTRACE", DEFAULT_RPCTRACE))
    ap.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"))
    ap.add_argument("--allowlist", action="append", default=None,
                    help="allow-list file (repeatable; default %s)" % DEFAULT_ALLOWLIST)
    ap.add_argument("--summary", action="store_true", help="add an SRTSUMMARY line per capture")
    ap.add_argument("--strict", action="store_true",
                    help="do not accept rpctrace's fragment timing rule (see above)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also list the calls behind each explained difference")
    args = ap.parse_args()
    if args.allowlist is None:
        args.allowlist = [DEFAULT_ALLOWLIST]
    if not (os.path.sep in args.tshark and os.access(args.tshark, os.X_OK)) and \
            not shutil.which(args.tshark):
        print("tshark not found (%s): skipped" % args.tshark, file=sys.stderr)
        return 77
    captures = list(args.captures)
    for d in args.dir:
        for root, _, files in sorted(os.walk(d)):
            captures += [os.path.join(root, f) for f in sorted(files)
                         if f.lower().endswith(CAPTURE_EXTS)]
    if not captures:
        ap.error("no capture given")
    status, totals = 0, collections.Counter()
    for capture in captures:
        try:
            res = compare_capture(args, capture)
        except ToolError as exc:
            status_t, _, err_t = run([args.tshark, "-r", capture, "-c", "1"])
            if not tshark_ok(status_t, err_t) and "rpctrace" in str(exc):
                print("%s: skipped: neither tool reads it (%s)" % (
                    os.path.basename(capture), err_t.splitlines()[-1] if err_t else status_t))
                totals["skipped_files"] += 1
                continue
            print("%s: ERROR: %s" % (os.path.basename(capture), exc))
            status = max(status, 2)
            totals["errors"] += 1
            continue
        rc = report(res, args.summary)
        status = max(status, rc) if status != 2 else 2
        totals.update(captures=1, interfaces=res["interfaces"], skipped=len(res["skipped"]),
                      ops=res["ops"], agree=res["agree"], frag=res["explained"],
                      disagree_ops=res["ops"] - res["agree"], diffs=len(res["diffs"]),
                      unexplained=sum(1 for d in res["diffs"] if not d[5]))
    if len(captures) > 1:
        print("TOTAL: %d captures (%d unreadable by both tools, %d errors), interfaces compared "
              "%d (not comparable %d), ops compared %d, agree %d (%d explained), disagree %d "
              "(%d differences, %d not allow-listed)" % (
                  totals["captures"], totals["skipped_files"], totals["errors"],
                  totals["interfaces"], totals["skipped"],
                  totals["ops"], totals["agree"], totals["frag"], totals["disagree_ops"],
                  totals["diffs"], totals["unexplained"]))
    return status


if __name__ == "__main__":
    sys.exit(main())
