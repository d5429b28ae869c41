#!/usr/bin/env python3
"""Check rpctrace's conversation selection (--port, --host, --interface, --since, --until,
a BPF expression, their combinations) and -w against tshark display filters, on every
capture of a directory.

Usage: filter_oracle.py [--rpctrace PATH] [--tshark PATH] [--dir DIR] [-v] [CAPTURE...]
  defaults: /tmp/rt-filter, tshark from PATH, /work/shared/captures/public

Independent of the "Wireshark:" lines rpctrace prints. For each capture:

1. Baseline (a report, not a failure): tshark's conversations carrying DCE/RPC
   (`-Y dcerpc`, one endpoint pair per frame) against `rpctrace summary`'s conversations
   (each conversation's endpoint pairs: its client/server, and for connectionless ones the
   pairs of its PDUs, since a ncadg server may answer from another port). Every difference
   is classified (ICMP-quoted or tunnelled PDUs, EPM-port or EPM-given-port conversations
   without PDUs, SMB pipe activity without DCE/RPC, DCE/RPC that tshark decodes only with
   Decode As, ...); an unclassified one is listed as such.
2. Selections: a few per capture, chosen from what is in it. The expected set is rpctrace's
   baseline conversations restricted per kind by a tshark display filter: a conversation is
   in when one of its frames (tshark's tcp.stream / udp.stream, within the conversation's
   frame range) matches the filter of that kind; kinds AND, values of one kind OR, as
   rpctrace documents; a BPF expression becomes one display filter of its own. Compared with
   rpctrace's set under the option: any difference is a FAIL unless it is one of the
   explained kinds printed with it.
3. -w: for some selections, every frame of out.pcap against tshark's own selection of the
   original (`-Y` of the expected conversations' endpoint pairs, ORed): same frames, same
   order, same bytes (read by this script), same time at the microsecond, same tshark fields
   (time, len, cap_len, ip.id, tcp seq/ack/flags, udp ports); tshark must read out.pcap
   without an error.
4. A summary; exit status 1 when a FAIL is unexplained, 2 on a tool failure.
"""
import argparse
import collections
import ipaddress
import json
import re
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

DEFAULT_DIR = "/work/shared/captures/public"
DEFAULT_RPCTRACE = "/tmp/rt-filter"
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")

FRAME_FIELDS = ["frame.number", "frame.time_epoch", "frame.time_relative", "frame.len", "frame.cap_len",
                "frame.protocols", "tcp.stream", "udp.stream", "ip.src", "ip.dst",
                "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
                "udp.dstport", "ip.id", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
                "ip.flags.mf", "ip.frag_offset"]
# Fields compared between the original's selected frames and out.pcap's frames.
W_FIELDS = ["frame.len", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
            "ip.id", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
            "udp.srcport", "udp.dstport"]
TUNNEL_PROTOS = {"gre", "wccp", "vxlan", "ipip", "erspan", "teredo", "l2tp", "gtp"}
EPM_PORTS = {135, 593}


class ToolError(Exception):
    pass


def run(cmd, ok=(0,)):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    if p.returncode not in ok:
        raise ToolError("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                             p.stderr.decode("utf-8", "replace")[-800:]))
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def tshark_stderr_problems(err):
    """tshark's stderr lines that are not the harmless root warning."""
    return [l for l in err.splitlines()
            if l.strip() and "Running as user" not in l and "could be dangerous" not in l]


# ---------------------------------------------------------------------------------------
# Capture readers (raw frames, to compare the bytes rpctrace wrote)

def read_pcap_frames(path):
    """[(ts_ns, caplen, origlen, linktype, bytes)] of a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    out = []
    if magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                 b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        off = 24
        while off + 16 <= len(data):
            sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
            off += 16
            ts = sec * 10**9 + (frac if nano else frac * 1000)
            out.append((ts, incl, orig, linktype, data[off:off + incl]))
            off += incl
        return out
    if magic == b"\x0a\x0d\x0d\x0a":
        off, e, ifaces = 0, "<", []
        while off + 12 <= len(data):
            btype = struct.unpack(e + "I", data[off:off + 4])[0]
            if btype == 0x0A0D0D0A:
                bom = data[off + 8:off + 12]
                e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
            body = data[off + 8:off + blen - 4]
            if btype == 1:   # IDB
                lt, _, snap = struct.unpack(e + "HHI", body[:8])
                resol = (10, 6)
                o = 8
                while o + 4 <= len(body):
                    code, ln = struct.unpack(e + "HH", body[o:o + 4])
                    if code == 0:
                        break
                    if code == 9 and ln >= 1:
                        v = body[o + 4]
                        resol = (2, v & 0x7F) if v & 0x80 else (10, v)
                    o += 4 + ((ln + 3) & ~3)
                ifaces.append((lt, snap, resol))
            elif btype in (6, 2):   # EPB, obsolete PB
                if btype == 6:
                    iid, th, tl, cap, orig = struct.unpack(e + "IIIII", body[:20])
                else:
                    iid, _, th, tl, cap, orig = struct.unpack(e + "HHIIII", body[:20])
                lt, _, (base, exp) = ifaces[iid]
                t = (th << 32) | tl
                if base == 10:
                    ts = t * 10**(9 - exp) if exp <= 9 else t // 10**(exp - 9)
                else:
                    ts = t * 10**9 // (2**exp)
                out.append((ts, cap, orig, lt, body[20:20 + cap]))
            elif btype == 3:   # SPB
                orig = struct.unpack(e + "I", body[:4])[0]
                lt, snap, _ = ifaces[0]
                cap = min(orig, snap) if snap else orig
                out.append((0, cap, orig, lt, body[4:4 + cap]))
            off += blen
        return out
    raise ValueError("not a pcap/pcapng file: %s" % path)


# ---------------------------------------------------------------------------------------
# tshark side

CONV_ROW = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+.*\s(\d+\.\d+)\s+(\d+\.\d+)\s*$")


class TShark:
    def __init__(self, binary, capture):
        self.bin = binary
        self.capture = capture
        self.runs = 0

    def fields(self, display_filter, fields, path=None, extra=(), conv_filters=()):
        """Rows of -T fields (first occurrences), and for each of conv_filters the
        conversations (-z conv,tcp|udp,FILTER) having a frame that matches it:
        {filter: [(transport, pair, rel_start, duration)]}."""
        cmd = [self.bin, "-r", path or self.capture, "-n", "-T", "fields", "-E",
               "occurrence=f", "-E", "separator=\t"] + list(extra)
        if display_filter:
            cmd += ["-Y", display_filter]
        for f in fields:
            cmd += ["-e", f]
        for cf in conv_filters:
            cmd += ["-z", "conv,tcp," + cf, "-z", "conv,udp," + cf]
        out, err = run(cmd, ok=(0, 2))   # 2: a cut-short capture is still read
        self.runs += 1
        rows = []
        lines = out.splitlines()
        i = 0
        while i < len(lines) and not lines[i].startswith("====="):
            parts = lines[i].split("\t")
            parts += [""] * (len(fields) - len(parts))
            rows.append(dict(zip(fields, parts)))
            i += 1
        tables = {}
        transport, filt = None, None
        for line in lines[i:]:
            if line.startswith("TCP Conversations"):
                transport = "tcp"
            elif line.startswith("UDP Conversations"):
                transport = "udp"
            elif line.startswith("Filter:"):
                filt = line[len("Filter:"):]
                tables.setdefault(filt, [])
            else:
                m = CONV_ROW.match(line)
                if m and transport and filt is not None:
                    a, p, b, q, start, dur = m.groups()
                    tables[filt].append((transport, frozenset({(a, int(p)), (b, int(q))}),
                                         float(start), float(dur)))
        missing = [cf for cf in conv_filters if cf not in tables]
        if missing:
            raise ToolError("tshark gave no conversation table for %r: %s" % (
                missing[:2], tshark_stderr_problems(err)[:3]))
        return rows, err, tables

    def frames_matching(self, display_filter):
        rows, err, _ = self.fields(display_filter, ["frame.number"])
        return {int(r["frame.number"]) for r in rows}


def endpoints(row, transport=None):
    """(transport, frozenset of (addr, port)) of a tshark frame row, or None."""
    src = row.get("ip.src") or row.get("ipv6.src")
    dst = row.get("ip.dst") or row.get("ipv6.dst")
    if not src or not dst:
        return None
    for t in ((transport,) if transport else ("tcp", "udp")):
        sp, dp = row.get(t + ".srcport"), row.get(t + ".dstport")
        if sp and dp:
            return (t, frozenset({(src, int(sp)), (dst, int(dp))}))
    return None


def is_v6(addr):
    return ":" in addr


def df_addr(addr):
    return ("ipv6.addr==%s" if is_v6(addr) else "ip.addr==%s") % addr


def df_pair(transport, pair):
    """Display filter of one endpoint pair, direction-exact."""
    (a, p), (b, q) = sorted(pair) if len(pair) == 2 else (list(pair)[0], list(pair)[0])
    fa = "ipv6" if is_v6(a) else "ip"
    return ("(({f}.src=={a} && {t}.srcport=={p} && {f}.dst=={b} && {t}.dstport=={q}) || "
            "({f}.src=={b} && {t}.srcport=={q} && {f}.dst=={a} && {t}.dstport=={p}))").format(
                f=fa, t=transport, a=a, p=p, b=b, q=q)


# ---------------------------------------------------------------------------------------
# rpctrace side

class Conv:
    """One rpctrace conversation of the baseline."""

    def __init__(self, rec):
        self.id = rec["conversation"]
        self.transport = rec["transport"]
        self.client, self.cport = rec["client"], rec["client_port"]
        self.server, self.sport = rec["server"], rec["server_port"]
        self.first, self.last = rec["first_frame"], rec["last_frame"]
        self.frames = rec["frames"]
        self.protseq = rec.get("protseq")
        self.began = rec.get("began")
        self.ended = rec.get("ended")
        self.interfaces = rec.get("interfaces") or []
        self.operations = rec.get("operations") or []
        self.port_from = rec.get("port_from")
        self.pairs = {self.pair()}
        self.pdu_frames = []
        self.pdus = None
        self.port_source = None
        self.epm_link = None
        self.streams = set()

    def pair(self):
        return frozenset({(self.client, self.cport), (self.server, self.sport)})

    def key(self):
        return (self.transport, self.pair(), self.first)

    def __repr__(self):
        return "#%d %s %s:%d > %s:%d (frames %d-%d, %d frames%s)" % (
            self.id, self.transport, self.client, self.cport, self.server, self.sport,
            self.first, self.last, self.frames,
            (", " + ",".join(i.get("name") or i["uuid"] for i in self.interfaces))
            if self.interfaces else "")


def rpctrace_jsonl(binary, capture, args, command=None, write=None):
    cmd = [binary] + ([command] if command else []) + ["--format", "jsonl", "--color", "never"]
    if write:
        cmd += ["-w", write]
    cmd += args[0] + [capture] + args[1]
    out, err = run(cmd)
    recs = []
    for line in out.splitlines():
        if line.strip():
            recs.append(json.loads(line))
    return recs, cmd


def rpctrace_cmd(binary, capture, opts, bpf, command="summary", write=None):
    """The command as a user types it (for reproductions)."""
    parts = [binary] + ([command] if command else []) + opts
    if write:
        parts += ["-w", write]
    parts += [capture] + ([bpf] if bpf else [])
    return " ".join(("'%s'" % p) if (" " in p or not p) else p for p in parts)


# ---------------------------------------------------------------------------------------
# Selections

class Selection:
    def __init__(self, name, kinds, write=False):
        """kinds: list of (kind, [values]); kind in port host interface since until bpf.
        Each value is (rpctrace text, display filter)."""
        self.name = name
        self.kinds = kinds
        self.write = write

    def opts(self):
        o = []
        for kind, values in self.kinds:
            if kind == "bpf":
                continue
            for text, _ in values:
                o += ["--" + kind, text]
        return o

    def bpf(self):
        for kind, values in self.kinds:
            if kind == "bpf":
                return values[0][0]
        return None


def iface_filter(uuid):
    # A bind/alter_context proposing it, a connectionless PDU of it, or an EPM request
    # (ept_map tower floor 1, ept_lookup's interface) asking for it.
    return ("(dcerpc.cn_bind_to_uuid == {u} || dcerpc.dg_if_id == {u} || "
            "(dcerpc.pkt_type == 0 && (epm.uuid == {u} || epm.if_id == {u})))").format(u=uuid)


def net_of(addr):
    bits = 64 if is_v6(addr) else 24
    return str(ipaddress.ip_network("%s/%d" % (addr, bits), strict=False)), bits


def epoch_text(ts_iso, offset_us=0):
    # "2003-06-30T16:51:36.692766Z" -> seconds since the epoch with 6 decimals
    import datetime
    d = datetime.datetime.strptime(ts_iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    us = int(d.timestamp()) * 1000000 + d.microsecond + offset_us
    return "%d.%06d" % (us // 1000000, us % 1000000)


def choose_selections(convs, starts):
    sels = []
    if not convs:
        return sels
    tp = lambda c: c.transport   # noqa: E731
    sport_count = collections.Counter((c.sport, c.transport) for c in convs)
    (p1, t1), _ = sport_count.most_common(1)[0]
    others = [(p, t) for (p, t) in sport_count if p != p1]
    dyn = [x for x in others if x[0] > 1024 and x[0] not in (445, 139)]
    p2t = (dyn or others or [None])[0]

    def port_v(p):
        return (str(p), "(tcp.port==%d || udp.port==%d)" % (p, p))

    def host_v(h):
        return (h, df_addr(h))

    def net_v(h):
        net, _ = net_of(h)
        return (net, df_addr(net))

    sels.append(Selection("port", [("port", [port_v(p1)])], write=True))
    if p2t:
        sels.append(Selection("port2", [("port", [port_v(p2t[0])])]))
        sels.append(Selection("port|port", [("port", [port_v(p1), port_v(p2t[0])])]))
    # hosts: the server of the busiest conversation of p1, a client of another conversation
    c1 = max((c for c in convs if c.sport == p1), key=lambda c: c.frames)
    h1 = c1.server
    clients = [c.client for c in convs if c.client != h1] or [c1.client]
    h2 = collections.Counter(clients).most_common()[-1][0]   # the least common client
    sels.append(Selection("host", [("host", [host_v(h1)])]))
    sels.append(Selection("host2", [("host", [host_v(h2)])], write=True))
    sels.append(Selection("net", [("host", [net_v(h2)])]))
    sels.append(Selection("host|host", [("host", [host_v(h1), host_v(h2)])]))
    sels.append(Selection("port&host", [("port", [port_v(p1)]), ("host", [host_v(h2)])]))
    # BPF: host H and tcp|udp port P, as the conversation c1 has them
    tproto = tp(c1)
    fa = "ipv6" if is_v6(h1) else "ip"
    bpf1 = ("host %s and %s port %d" % (h1, tproto, p1),
            "%s.addr==%s && %s.port==%d" % (fa, h1, tproto, p1))
    sels.append(Selection("bpf", [("bpf", [bpf1])], write=True))
    # interfaces bound or proposed
    ifaces = collections.OrderedDict()
    for c in convs:
        for i in c.interfaces:
            if i.get("uuid"):
                ifaces.setdefault(i["uuid"].lower(), (i.get("name"), c))
    # prefer an interface whose conversation's port came from an EPM answer
    order = sorted(ifaces.items(), key=lambda kv: (
        kv[1][0] == "EPMv4", not (kv[1][1].port_from and kv[1][1].port_from.get("source")
                                  == "ept_map"), list(ifaces).index(kv[0])))
    picked = order[:2]
    epm = [kv for kv in order if kv[1][0] == "EPMv4"]
    if epm and epm[0] not in picked:
        picked.append(epm[0])
    for n, (uuid, (name, c)) in enumerate(picked):
        text = name if (name and n == 0) else uuid
        sels.append(Selection("iface:%s" % (name or uuid), [
            ("interface", [(text, iface_filter(uuid))])], write=(n == 0)))
        if n == 0:
            # iface AND the port of its conversation's server; BPF AND iface
            sels.append(Selection("iface&port", [
                ("interface", [(text, iface_filter(uuid))]), ("port", [port_v(c.sport)])]))
            bp = ("%s port %d" % (c.transport, c.sport), "%s.port==%d" % (c.transport, c.sport))
            sels.append(Selection("bpf&iface", [
                ("bpf", [bp]), ("interface", [(text, iface_filter(uuid))])], write=True))
            if len(picked) > 1:
                u2, (name2, _) = picked[1]
                sels.append(Selection("iface|iface", [
                    ("interface", [(text, iface_filter(uuid)),
                                   (name2 or u2, iface_filter(u2))])]))
    # time: --since / --until at the start of the middle conversation (an edge), and
    # since AND host
    if starts:
        mid = sorted(starts)[len(starts) // 2]
        t = epoch_text(mid)
        sels.append(Selection("since", [("since", [(t, "frame.time_epoch >= %s" % t)])]))
        sels.append(Selection("until", [("until", [(t, "frame.time_epoch <= %s" % t)])]))
        sels.append(Selection("since&host", [("since", [(t, "frame.time_epoch >= %s" % t)]),
                                             ("host", [net_v(h1)])]))
    return sels


# ---------------------------------------------------------------------------------------

class Report:
    def __init__(self, verbose):
        self.verbose = verbose
        self.lines = []
        self.fails = []        # unexplained
        self.explained = []    # (capture, selection, reason)
        self.baseline = collections.Counter()
        self.baseline_diffs = []
        self.tally = collections.Counter()

    def fail(self, cap, what, detail):
        self.fails.append((cap, what, detail))
        print("  FAIL %s: %s" % (what, detail))

    def explain(self, cap, what, reason, detail):
        self.explained.append((cap, what, reason, detail))
        print("  explained %s: %s -- %s" % (what, detail, reason))


def check_capture(args, cap, rep, tmpdir):
    name = os.path.basename(cap)
    ts = TShark(args.tshark, cap)
    t0 = time.time()
    # -- rpctrace baseline: summary records, and the timeline's PDU and conversation records
    try:
        srecs, _ = rpctrace_jsonl(args.rpctrace, cap, ([], []), command="summary")
    except ToolError as e:
        print("  rpctrace cannot read it: %s" % str(e).splitlines()[0][:200])
        rep.tally["captures_unreadable"] += 1
        return
    convs = [Conv(r) for r in srecs if r.get("type") == "summary"]
    by_id = {c.id: c for c in convs}
    trecs, _ = rpctrace_jsonl(args.rpctrace, cap, ([], []))
    tl_convs = {}
    for r in trecs:
        if r.get("type") == "pdu" and r.get("conversation") in by_id:
            c = by_id[r["conversation"]]
            c.pdu_frames.append(r["frame"])
            if c.transport == "udp" and r.get("src_port") is not None:
                c.pairs.add(frozenset({(r["src"], r["src_port"]), (r["dst"], r["dst_port"])}))
        elif r.get("type") == "conversation":
            tl_convs[r["conversation"]] = r
    for cid, r in tl_convs.items():
        if cid in by_id:
            by_id[cid].pdus = r.get("pdus")
            by_id[cid].port_source = r.get("port_source")
            by_id[cid].epm_link = (r.get("epm_link") or {}).get("conversation")
    if set(tl_convs) != set(by_id):
        rep.fail(name, "baseline", "summary conversations %s != timeline conversations %s"
                 % (sorted(by_id), sorted(tl_convs)))
    # -- tshark: every frame
    rows, err = ts.fields(None, FRAME_FIELDS)
    frames = {int(r["frame.number"]): r for r in rows}
    for c in convs:
        for f in {c.first, c.last, *c.pdu_frames}:
            r = frames.get(f)
            if r:
                s = r["tcp.stream"] if c.transport == "tcp" else r["udp.stream"]
                if s:
                    c.streams.add((c.transport, int(s)))
    stream_convs = collections.defaultdict(list)
    for c in convs:
        for s in c.streams:
            stream_convs[s].append(c)

    def conv_of_frame(fn):
        r = frames.get(fn)
        if not r:
            return None
        for t in ("tcp", "udp"):
            s = r[t + ".stream"]
            if s:
                cands = stream_convs.get((t, int(s)), [])
                inside = [c for c in cands if c.first <= fn <= c.last]
                if len(inside) == 1:
                    return inside[0]
                if len(inside) > 1:   # overlapping: the one whose endpoints match
                    ep = endpoints(r, t)
                    m = [c for c in inside if ep and ep[1] in c.pairs]
                    return (m or inside)[0]
                return None
        return None

    def convs_matching(display_filter):
        out = set()
        for fn in ts.frames_matching(display_filter):
            c = conv_of_frame(fn)
            if c:
                out.add(c.id)
        return out

    # -- 1. baseline
    dce_rows, _ = ts.fields("dcerpc", ["frame.number"])
    t_pairs = collections.defaultdict(list)   # (transport, pair) -> [frame]
    for r in dce_rows:
        fn = int(r["frame.number"])
        ep = endpoints(frames[fn])
        if ep:
            t_pairs[ep].append(fn)
    r_pairs = {}
    for c in convs:
        for p in c.pairs:
            r_pairs[(c.transport, p)] = c
    print("  baseline: rpctrace %d conversations, tshark %d endpoint pairs with DCE/RPC"
          % (len(convs), len(t_pairs)))
    rep.baseline["rpctrace_conversations"] += len(convs)
    rep.baseline["tshark_pairs"] += len(t_pairs)
    agree = 0
    for ep, fns in sorted(t_pairs.items(), key=lambda kv: kv[1][0]):
        if ep in r_pairs:
            agree += 1
            continue
        protos = [frames[f]["frame.protocols"].split(":") for f in fns]
        if all("icmp" in p or "icmpv6" in p for p in protos):
            why = "icmp: DCE/RPC quoted in ICMP errors (rpctrace does not look inside ICMP)"
        elif all(TUNNEL_PROTOS & set(p) or p.count("ip") + p.count("ipv6") > 1
                 for p in protos):
            why = "tunnel: DCE/RPC inside a tunnel (%s); rpctrace does not decapsulate" % (
                ":".join(protos[0]))
        elif all(frames[f]["ip.flags.mf"] == "1" or frames[f]["ip.frag_offset"] not in ("", "0")
                 for f in fns):
            why = "ip fragments: rpctrace does not reassemble IP fragments"
        else:
            why = None
        d = ("tshark-only", ep, fns[:8], why)
        rep.baseline_diffs.append((name,) + d)
        print("  baseline tshark-only %s %s frames %s%s: %s" % (
            ep[0], fmt_pair(ep[1]), ",".join(map(str, fns[:8])),
            "..." if len(fns) > 8 else "", why or "UNCLASSIFIED"))
    for c in convs:
        if any((c.transport, p) in t_pairs for p in c.pairs):
            continue
        why = classify_rpctrace_only(args, ts, c, frames, by_id)
        rep.baseline_diffs.append((name, "rpctrace-only", c, c.pdu_frames[:8], why))
        print("  baseline rpctrace-only %r pdus=%s port_source=%s: %s" % (
            c, c.pdus, c.port_source, why or "UNCLASSIFIED"))
    rep.baseline["agree_pairs"] += agree

    # -- 2. selections
    starts = [r["start"] for r in srecs if r.get("type") == "summary"]
    sels = choose_selections(convs, starts)
    base_ids = {c.id for c in convs}
    for sel in sels:
        rep.tally["selections"] += 1
        expected = set(base_ids)
        for kind, values in sel.kinds:
            union = set()
            for _, df in values:
                union |= convs_matching(df)
            expected &= union
        opts, bpf = sel.opts(), sel.bpf()
        try:
            recs, _ = rpctrace_jsonl(args.rpctrace, cap, (opts, [bpf] if bpf else []),
                                     command="summary")
        except ToolError as e:
            rep.fail(name, sel.name, "rpctrace failed: %s" % e)
            continue
        got_recs = [r for r in recs if r.get("type") == "summary"]
        got, unmatched = set(), []
        for r in got_recs:
            c = match_conv(r, convs)
            if c is None:
                unmatched.append(r)
            else:
                got.add(c.id)
        cmdline = rpctrace_cmd(args.rpctrace, cap, opts, bpf)
        df_text = " AND ".join("[%s]" % " OR ".join(df for _, df in v) for _, v in sel.kinds)
        rep.last_diffs = []
        if got == expected and not unmatched:
            rep.tally["selections_agree"] += 1
            if args.verbose:
                print("  ok %-12s %d conversations: %s" % (sel.name, len(got), cmdline))
        else:
            missing = sorted(expected - got)
            extra = sorted(got - expected)
            for cid in missing:
                c = by_id[cid]
                why = classify_selection_diff(sel, c, by_id, convs_matching, "missing")
                report_diff(rep, name, sel, cmdline, df_text, "missing (tshark selects it)",
                            c, why)
            for cid in extra:
                c = by_id[cid]
                why = classify_selection_diff(sel, c, by_id, convs_matching, "extra")
                report_diff(rep, name, sel, cmdline, df_text,
                            "extra (tshark's filter matches none of its frames)", c, why)
            for r in unmatched:
                rep.last_diffs.append(("fail",))
                rep.fail(name, sel.name, "%s: conversation %s %s:%s > %s:%s frames %s-%s "
                         "matches no baseline conversation" % (
                             cmdline, r["conversation"], r["client"], r["client_port"],
                             r["server"], r["server_port"], r["first_frame"],
                             r["last_frame"]))
            if all(x[0] == "explained" for x in rep.last_diffs):
                rep.tally["selections_explained"] += 1
        # -- 3. -w
        if sel.write and expected:
            check_write(args, ts, cap, name, sel, opts, bpf, [by_id[i] for i in sorted(expected)],
                        frames, rep, tmpdir)
    print("  %d selections, %d tshark runs, %.1f s" % (len(sels), ts.runs, time.time() - t0))


def report_diff(rep, name, sel, cmdline, df_text, what, c, why):
    detail = "%s\n      conversation %r: %s\n      tshark: %s" % (cmdline, c, what, df_text)
    if not hasattr(rep, "last_diffs"):
        rep.last_diffs = []
    if why:
        rep.explain(name, sel.name, why, detail)
        rep.last_diffs.append(("explained",))
    else:
        rep.fail(name, sel.name, detail)
        rep.last_diffs.append(("fail",))


def fmt_pair(pair):
    return " <> ".join("%s:%d" % ap for ap in sorted(pair))


def match_conv(rec, convs):
    pair = frozenset({(rec["client"], rec["client_port"]), (rec["server"], rec["server_port"])})
    cands = [c for c in convs if c.transport == rec["transport"] and pair in c.pairs
             and c.first <= rec["last_frame"] and rec["first_frame"] <= c.last]
    if len(cands) > 1:
        cands = [c for c in cands if c.first == rec["first_frame"]] or cands[:1]
    return cands[0] if cands else None


def classify_rpctrace_only(args, ts, c, frames, by_id):
    if not c.pdu_frames:
        if c.sport in EPM_PORTS or c.cport in EPM_PORTS:
            return "EPM-port conversation without DCE/RPC PDUs (rpctrace shows 135/593 by design)"
        if c.port_source == "epm":
            return ("connection to a port an EPM answer gave (conversation %s), no PDUs "
                    "(rpctrace shows it by design)" % c.epm_link)
        if c.protseq == "ncacn_np":
            return "SMB connection with pipe activity but no DCE/RPC PDU"
        return None
    # PDUs: what does tshark make of those frames?
    fns = sorted(set(c.pdu_frames))
    protos = [frames[f]["frame.protocols"] for f in fns if f in frames]
    if any("dcerpc" in p for p in protos):
        return None   # tshark decodes it but with other endpoints: look
    port = c.sport
    dec, _ = ts.fields("dcerpc && %s.port==%d" % (c.transport, port), ["frame.number"],
                       extra=["-d", "%s.port==%d,dcerpc" % (c.transport, port)])
    got = {int(r["frame.number"]) for r in dec}
    if got & set(fns):
        return ("tshark decodes its DCE/RPC only with Decode As (%s.port==%d,dcerpc): %s, "
                "no bind seen by tshark's heuristics" % (c.transport, port,
                                                        "mid-stream" if c.began == "mid_stream"
                                                        else "non-standard port"))
    return None


def classify_selection_diff(sel, c, by_id, convs_matching, which):
    kinds = dict(sel.kinds)
    if "interface" in kinds:
        uuids = [df.split("== ")[1].split(" ")[0] for _, df in kinds["interface"]]
        ops = [o for o in c.operations if o.get("interface")
               and o["interface"].get("uuid", "").lower() in uuids]
        bound = [i for i in c.interfaces if i.get("uuid", "").lower() in uuids]
        if which == "extra" and ops and not bound:
            return ("rpctrace calls the interface inferred from an EPM answer (bind not "
                    "captured); tshark cannot know it without the bind")
    if "bpf" in kinds and which == "missing":
        if not c.pdu_frames and c.port_source == "epm" and c.epm_link is not None:
            bpf_set = convs_matching(kinds["bpf"][0][1])
            if c.epm_link not in bpf_set:
                return ("shown only because of an EPM answer in conversation %d, which the BPF "
                        "filter drops before analysis" % c.epm_link)
    return None


def check_write(args, ts, cap, name, sel, opts, bpf, exp_convs, frames, rep, tmpdir):
    out = os.path.join(tmpdir, "out.pcap")
    if os.path.exists(out):
        os.unlink(out)
    cmdline = rpctrace_cmd(args.rpctrace, cap, opts, bpf, write=out)
    try:
        rpctrace_jsonl(args.rpctrace, cap, (opts, [bpf] if bpf else []), command="summary",
                       write=out)
    except ToolError as e:
        rep.fail(name, sel.name + " -w", "rpctrace failed: %s" % e)
        return
    rep.tally["write_checks"] += 1
    # tshark's selection of the original: the conversations' endpoint pairs, ORed
    terms = []
    for c in exp_convs:
        for p in sorted(c.pairs, key=sorted):
            t = df_pair(c.transport, p)
            if t not in terms:
                terms.append(t)
    want = sorted(ts.frames_matching(" || ".join(terms)))
    # tshark reads out.pcap
    orows, err = ts.fields(None, ["frame.time_epoch"] + W_FIELDS, path=out)
    probs = tshark_stderr_problems(err)
    if probs:
        rep.fail(name, sel.name + " -w", "tshark reading %s: %s" % (cmdline, probs[:3]))
    raw_out = read_pcap_frames(out)
    raw_in = load_original(args, cap, tmpdir)
    if len(orows) != len(raw_out):
        rep.fail(name, sel.name + " -w", "tshark reads %d frames of out.pcap, the file has %d"
                 % (len(orows), len(raw_out)))
    # pair want (original frame numbers) with out's frames by content, in order
    got_ids = []
    index = collections.defaultdict(list)
    for fn in want:
        if fn - 1 < len(raw_in):
            ts_, cl, ol, lt, b = raw_in[fn - 1]
            index[(ts_ // 1000, ol, b)].append(fn)
    by_content = {}
    for fn, rec in enumerate(raw_in, 1):
        by_content.setdefault((rec[0] // 1000, rec[2], rec[4]), []).append(fn)
    for i, (ts_, cl, ol, lt, b) in enumerate(raw_out):
        cands = by_content.get((ts_ // 1000, ol, b), [])
        got_ids.append(cands[0] if len(cands) == 1 else
                       next((x for x in cands if x in want and x not in got_ids), cands[0])
                       if cands else None)
    rep.tally["frames_compared"] += len(raw_out)
    problems = []
    if None in got_ids:
        bad = [i + 1 for i, g in enumerate(got_ids) if g is None]
        problems.append("out.pcap frames %s are no frame of the original (time at the us, "
                        "length and bytes)" % bad[:10])
    if got_ids != sorted(x for x in got_ids if x is not None) and None not in got_ids:
        problems.append("out.pcap is not in the original's order: %s" % got_ids[:40])
    got_set = {g for g in got_ids if g is not None}
    missing = [f for f in want if f not in got_set]
    extra = [f for f in got_ids if f is not None and f not in set(want)]
    if len(got_set) != len([g for g in got_ids if g is not None]):
        problems.append("duplicate frames in out.pcap")
    # linktype and tshark fields of the frames that are in both
    for i, g in enumerate(got_ids):
        if g is None or g not in frames:
            continue
        if raw_out[i][3] != raw_in[g - 1][3]:
            problems.append("frame %d: link type %d in out.pcap, %d in the original"
                            % (g, raw_out[i][3], raw_in[g - 1][3]))
            break
        if i < len(orows):
            o, r = orows[i], frames[g]
            diffs = [f for f in W_FIELDS if o.get(f, "") != r.get(f, "")]
            tdiff = abs(int(round(float(o["frame.time_epoch"]) * 1e6))
                        - raw_in[g - 1][0] // 1000)
            if diffs or tdiff > 1:
                problems.append("frame %d: tshark fields differ in out.pcap: %s" % (
                    g, ", ".join("%s %r vs %r" % (f, o.get(f), r.get(f)) for f in diffs)
                    + (" time off by %d us" % tdiff if tdiff > 1 else "")))
                break
    rep.tally["frames_agree"] += len([g for g in got_ids if g is not None and g in set(want)])
    if missing:
        frag = [f for f in missing if frames[f]["ip.flags.mf"] == "1"
                or frames[f]["ip.frag_offset"] not in ("", "0")]
        icmp = [f for f in missing if "icmp" in frames[f]["frame.protocols"].split(":")]
        rest = [f for f in missing if f not in frag and f not in icmp]
        if frag:
            rep.explain(name, sel.name + " -w", "IP fragments: rpctrace does not reassemble "
                        "IP fragments", "%s: original frames %s not written" % (cmdline, frag))
        if icmp:
            rep.explain(name, sel.name + " -w", "ICMP errors quoting the conversation's "
                        "packets (tshark's ip.addr/port fields match the quoted header)",
                        "%s: original frames %s not written" % (cmdline, icmp))
        if rest:
            problems.append("original frames tshark selects but out.pcap lacks: %s%s" % (
                rest[:20], " (%d)" % len(rest) if len(rest) > 20 else ""))
    if extra:
        problems.append("frames written that tshark's filter does not select: %s" % extra[:20])
    if problems:
        rep.fail(name, sel.name + " -w", "%s\n      tshark -Y %s\n      %s" % (
            cmdline, (" || ".join(terms))[:300], "\n      ".join(problems[:6])))
    elif args.verbose:
        print("  ok -w %s: %d frames" % (sel.name, len(raw_out)))


_orig_cache = {}


def load_original(args, cap, tmpdir):
    if cap not in _orig_cache:
        try:
            _orig_cache.clear()
            _orig_cache[cap] = read_pcap_frames(cap)
        except ValueError:   # NetMon and the like: tshark writes it out as pcapng
            conv = os.path.join(tmpdir, "orig.pcapng")
            run([args.tshark, "-r", cap, "-F", "pcapng", "-w", conv], ok=(0, 2))
            _orig_cache[cap] = read_pcap_frames(conv)
    return _orig_cache[cap]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpctrace", default=DEFAULT_RPCTRACE)
    ap.add_argument("--tshark", default=shutil.which("tshark") or "tshark")
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("captures", nargs="*", help="only these captures (names in --dir or paths)")
    args = ap.parse_args()
    caps = []
    if args.captures:
        for c in args.captures:
            caps.append(c if os.path.exists(c) else os.path.join(args.dir, c))
    else:
        for f in sorted(os.listdir(args.dir)):
            if f.lower().endswith((".pcap", ".pcapng", ".cap")):
                caps.append(os.path.join(args.dir, f))
    rep = Report(args.verbose)
    t0 = time.time()
    tool_errors = 0
    with tempfile.TemporaryDirectory(prefix="filter_oracle.") as tmpdir:
        for n, cap in enumerate(caps, 1):
            print("[%d/%d] %s" % (n, len(caps), os.path.basename(cap)), flush=True)
            rep.last_diffs = []
            try:
                check_capture(args, cap, rep, tmpdir)
                rep.tally["captures"] += 1
            except ToolError as e:
                tool_errors += 1
                print("  TOOL ERROR: %s" % e)
            sys.stdout.flush()
    print()
    print("SUMMARY (%.0f s)" % (time.time() - t0))
    b = rep.baseline
    cls = collections.Counter()
    for d in rep.baseline_diffs:
        why = d[4] or "UNCLASSIFIED"
        cls["%s: %s" % (d[1], why.split(":")[0] if why.startswith(("icmp", "tunnel", "ip frag"))
                        else why.split(" (")[0])] += 1
    print("captures: %d checked, %d unreadable by rpctrace, %d tool errors" % (
        rep.tally["captures"] - rep.tally["captures_unreadable"],
        rep.tally["captures_unreadable"], tool_errors))
    print("baseline: rpctrace %d conversations, tshark %d DCE/RPC endpoint pairs, %d pairs "
          "in both; %d differences:" % (b["rpctrace_conversations"], b["tshark_pairs"],
                                        b["agree_pairs"], len(rep.baseline_diffs)))
    for k, v in sorted(cls.items(), key=lambda kv: -kv[1]):
        print("  %4d  %s" % (v, k))
    print("selections: %d checked, %d agree exactly, %d differ only in explained ways, "
          "%d with an unexplained difference" % (
              rep.tally["selections"], rep.tally["selections_agree"],
              rep.tally["selections_explained"],
              rep.tally["selections"] - rep.tally["selections_agree"]
              - rep.tally["selections_explained"]))
    print("-w: %d files checked, %d frames written, %d of them the frames tshark selects" % (
        rep.tally["write_checks"], rep.tally["frames_compared"], rep.tally["frames_agree"]))
    ex = collections.Counter(r for _, _, r, _ in rep.explained)
    print("explained differences: %d" % len(rep.explained))
    for k, v in ex.most_common():
        print("  %4d  %s" % (v, k))
    print("unexplained FAILs: %d" % len(rep.fails))
    for cap, what, detail in rep.fails:
        print("  %s %s: %s" % (cap, what, detail.splitlines()[0][:300]))
    if tool_errors:
        return 2
    return 1 if rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
