#!/usr/bin/env python3
"""Check rpctrace's conversation selection (--port, --host ADDR[/BITS], --interface, --since,
--until, a trailing BPF expression, and their combinations) and -w against tshark display
filters, on every capture of a directory, independently of the "Wireshark:" lines rpctrace
prints.

Usage: filter_oracle.py [--rpctrace PATH] [--tshark PATH] [--dir DIR] [--writes N] [-v]
                        [CAPTURE...]
  defaults: build/rpctrace, tshark from PATH, ../shared/captures/public (both from the
  repository root), 2 -w checks
  per capture; CAPTURE: names in DIR (or paths) to check only those.

For each capture (pcap, pcapng, NetMon .cap), one tshark pass gives every frame's fields and,
per display filter used below, tshark's own conversation table (-z conv,tcp|udp,FILTER: the
TCP/UDP conversations having a frame that matches FILTER). Then:

1. Baseline (a report, not a failure): the endpoint pairs of tshark's frames carrying DCE/RPC
   (frame.protocols contains dcerpc, as -Y dcerpc) against `rpctrace summary`'s
   conversations (each one's client/server pair, and for a connectionless one the pairs of
   its PDUs: an ncadg server may answer from another port). Each difference is classified:
   ICMP-quoted or tunnelled PDUs, a drep tshark's heuristic does not check, EPM-port or
   EPM-given-port connections without PDUs, SMB connections with pipe activity but no PDU,
   DCE/RPC tshark decodes only with Decode As (it is asked with -d), ...
2. Selections, a dozen or more per capture chosen from what it holds: --port (a server port,
   two ports), --host (an address, another, both, a /24 or /64), --interface (by name and by
   UUID; an interface whose port came from ept_map, EPMv4), a BPF "host H and tcp port P"
   (and "vlan and (...)" on 802.1Q frames), combinations (port AND host, interface AND port,
   BPF AND interface, interface OR interface), --since/--until at a conversation's start
   (and since AND network). Expected set: rpctrace's baseline conversations restricted, kind
   by kind, to those in tshark's conversation table of the kind's display filter
   (tcp.port/udp.port, ip.addr/ipv6.addr with CIDR, dcerpc.cn_bind_to_uuid /
   dcerpc.dg_if_id / an EPM request's epm.uuid or epm.if_id, frame.time_epoch, the BPF's
   equivalent); kinds AND, values OR, as rpctrace documents. A difference is a FAIL unless
   classified as explained (and then printed with the reason). Each conversation selected is
   also compared with the same conversation in the baseline (frames, first and last frame,
   calls, answers, faults, bytes, end, verdict): the options select whole conversations.
3. -w (--writes N selections per capture, alternately pcap and pcapng): out.pcap's frames
   against tshark's own selection of the original (-Y of the selected conversations' endpoint
   pairs, ORed): the same frames in the same order, the same bytes, length and time at the
   microsecond (read by this script), the same tshark fields (len, cap_len, addresses, ports,
   ip.id, tcp seq/ack/flags); tshark must read out.pcap without an error of its own.
4. A summary; exit status 0 when every difference is explained, 1 with an unexplained FAIL,
   2 on a tool failure.
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

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DIR = os.path.join(_ROOT, "..", "shared", "captures", "public")
DEFAULT_RPCTRACE = os.path.join(_ROOT, "build", "rpctrace")
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")

FRAME_FIELDS = ["frame.number", "frame.time_epoch", "frame.time_relative", "frame.len", "frame.cap_len",
                "frame.protocols", "tcp.stream", "udp.stream", "ip.src", "ip.dst",
                "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
                "udp.dstport", "ip.id", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
                "ip.flags.mf", "ip.frag_offset", "ip.len", "ipv6.plen", "_ws.malformed",
                "udp.length", "dcerpc.drep"]
# Fields compared between the original's selected frames and out.pcap's frames.
W_FIELDS = ["frame.len", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
            "ip.id", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
            "udp.srcport", "udp.dstport"]
TUNNEL_PROTOS = {"gre", "wccp", "vxlan", "ipip", "erspan", "teredo", "l2tp", "gtp"}
EPM_PORTS = {135, 593}
# A conversation selected whole must read as in the baseline.
CONTENT_FIELDS = ["first_frame", "last_frame", "frames", "calls", "answered", "faults",
                  "bytes_to_server", "bytes_to_client", "ended", "verdict"]


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
    if magic == b"GMBU":   # Network Monitor 2.x: bytes only (times from tshark)
        fto, ftl = struct.unpack("<II", data[24:32])
        for o in struct.unpack("<%dI" % (ftl // 4), data[fto:fto + ftl]):
            _, orig, incl = struct.unpack("<QII", data[o:o + 16])
            out.append((None, incl, orig, None, data[o + 16:o + 16 + incl]))
        return out
    raise ValueError("not a pcap/pcapng/NetMon 2.x file: %s" % path)


# ---------------------------------------------------------------------------------------
# tshark side

CONV_ROW = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+\d+\s+\d+\s+\S+\s+\d+\s+\d+\s+\S+\s+"
                      r"(\d+)\s+\d+\s+\S+\s+(\d+\.\d+)\s+(\d+\.\d+)\s*$")


class TShark:
    def __init__(self, binary, capture):
        self.bin = binary
        self.capture = capture
        self.runs = 0

    def fields(self, display_filter, fields, path=None, extra=(), conv_filters=()):
        """Rows of -T fields (first occurrences), and for each of conv_filters the
        conversations (-z conv,tcp|udp,FILTER) having a frame that matches it:
        {filter: [(transport, pair, rel_start, duration, frames)]}."""
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
                    a, p, b, q, nframes, start, dur = m.groups()
                    tables[filt].append((transport, frozenset({(a, int(p)), (b, int(q))}),
                                         float(start), float(dur), int(nframes)))
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
        self.rec = rec
        self.vlan = False
        self.decode_as = None   # the port tshark needs Decode As for, when it does
        self.smb = []           # (kind, text and status) of the timeline's smb records

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
    def __init__(self, name, kinds, write=0):
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


def vlan_bpf(v):
    return ("vlan and (%s)" % v[0], "vlan && (%s)" % v[1])


def net_of(addr):
    bits = 64 if is_v6(addr) else 24
    return str(ipaddress.ip_network("%s/%d" % (addr, bits), strict=False)), bits


def epoch_text(ts_iso):
    # "2003-06-30T16:51:36.692766Z" -> seconds since the epoch with 6 decimals
    import datetime
    d = datetime.datetime.strptime(ts_iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    us = int(d.timestamp()) * 1000000 + d.microsecond
    return "%d.%06d" % (us // 1000000, us % 1000000)


def choose_selections(convs, starts):
    sels = []
    if not convs:
        return sels
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

    sels.append(Selection("all", [], write=4))
    sels.append(Selection("port", [("port", [port_v(p1)])], write=1))
    if p2t:
        sels.append(Selection("port2", [("port", [port_v(p2t[0])])]))
        sels.append(Selection("port|port", [("port", [port_v(p1), port_v(p2t[0])])]))
    # hosts: the server of the busiest conversation of p1, a client of another conversation
    c1 = max((c for c in convs if c.sport == p1), key=lambda c: c.frames)
    h1 = c1.server
    clients = [c.client for c in convs if c.client != h1] or [c1.client]
    h2 = collections.Counter(clients).most_common()[-1][0]   # the least common client
    sels.append(Selection("host", [("host", [host_v(h1)])]))
    sels.append(Selection("host2", [("host", [host_v(h2)])], write=2))
    sels.append(Selection("net", [("host", [net_v(h2)])]))
    sels.append(Selection("host|host", [("host", [host_v(h1), host_v(h2)])]))
    sels.append(Selection("port&host", [("port", [port_v(p1)]), ("host", [host_v(h2)])]))
    # BPF: host H and tcp|udp port P, as the conversation c1 has them
    tproto = c1.transport
    fa = "ipv6" if is_v6(h1) else "ip"
    bpf1 = ("host %s and %s port %d" % (h1, tproto, p1),
            "%s.addr==%s && %s.port==%d" % (fa, h1, tproto, p1))
    sels.append(Selection("bpf", [("bpf", [bpf1])], write=2))
    if c1.vlan:   # 802.1Q frames: pcap-filter needs "vlan and" to look past the tag
        sels.append(Selection("vlan-bpf", [("bpf", [vlan_bpf(bpf1)])], write=2))
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
            ("interface", [(text, iface_filter(uuid))])], write=(1 if n == 0 else 0)))
        if n == 0:
            # iface AND the port of its conversation's server; BPF AND iface
            sels.append(Selection("iface&port", [
                ("interface", [(text, iface_filter(uuid))]), ("port", [port_v(c.sport)])]))
            bp = ("%s port %d" % (c.transport, c.sport), "%s.port==%d" % (c.transport, c.sport))
            sels.append(Selection("bpf&iface", [
                ("bpf", [bp]), ("interface", [(text, iface_filter(uuid))])], write=3))
            if c.vlan:
                sels.append(Selection("vlan-bpf&iface", [
                    ("bpf", [vlan_bpf(bp)]), ("interface", [(text, iface_filter(uuid))])],
                    write=3))
            if len(picked) > 1:
                u2, (name2, _) = picked[1]
                # the second by its name in lower case (rpctrace takes any case)
                sels.append(Selection("iface|iface", [
                    ("interface", [(text, iface_filter(uuid)),
                                   ((name2 or u2).lower(), iface_filter(u2))])]))
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
        elif r.get("type") == "smb" and r.get("conversation") in by_id:
            by_id[r["conversation"]].smb.append(
                (r.get("kind"), (r.get("text") or "") + (
                    " " + r["status_name"] if r.get("status_name") else "")))
    for cid, r in tl_convs.items():
        if cid in by_id:
            by_id[cid].pdus = r.get("pdus")
            by_id[cid].port_source = r.get("port_source")
            by_id[cid].epm_link = (r.get("epm_link") or {}).get("conversation")
    if set(tl_convs) != set(by_id):
        rep.fail(name, "baseline", "summary conversations %s != timeline conversations %s"
                 % (sorted(by_id), sorted(tl_convs)))
    starts = [r["start"] for r in srecs if r.get("type") == "summary"]
    # -- tshark, once: every frame's fields, and per selection filter the conversations
    #    (-z conv) having a frame that matches it
    raw = read_pcap_frames(cap)   # VLAN tags, from the original's bytes
    for c in convs:
        if 1 <= c.first <= len(raw):
            rec = raw[c.first - 1]
            c.vlan = rec[3] in (1, None) and rec[4][12:14] in (b"\x81\x00", b"\x88\xa8")
    sels = choose_selections(convs, starts)
    filters = []
    for sel in sels:
        for _, values in sel.kinds:
            for _, df in values:
                if df not in filters:
                    filters.append(df)
    rows, err0, tables = ts.fields(None, FRAME_FIELDS, conv_filters=filters)
    frames = {int(r["frame.number"]): r for r in rows}
    for c in convs:
        c.first_ns = epoch_ns(frames[c.first]["frame.time_epoch"]) if c.first in frames else None
        c.rel = (float(frames[c.first]["frame.time_relative"]) if c.first in frames else 0.0,
                 float(frames[c.last]["frame.time_relative"]) if c.last in frames else 1e18)
    by_pair = collections.defaultdict(list)
    for c in convs:
        for p in c.pairs:
            by_pair[(c.transport, p)].append(c)
    ambiguous = []

    def convs_matching(display_filter):
        """Baseline conversations among tshark's conversations matching the filter."""
        out = set()
        for transport, pair, start, dur, _ in tables[display_filter]:
            cands = by_pair.get((transport, pair), [])
            if len(cands) > 1:   # the same endpoints twice: the one(s) the time overlaps
                cands = [c for c in cands
                         if start <= c.rel[1] + 1e-6 and c.rel[0] <= start + dur + 1e-4]
                if len(cands) > 1:
                    ambiguous.append((display_filter, transport, pair, [c.id for c in cands]))
            out |= {c.id for c in cands}
        return out

    # -- 1. baseline
    t_pairs = collections.defaultdict(list)   # (transport, pair) -> [frame]
    for fn, r in sorted(frames.items()):
        if "dcerpc" in r["frame.protocols"].split(":"):
            ep = endpoints(r)
            if ep:
                t_pairs[ep].append(fn)
    print("  baseline: rpctrace %d conversations, tshark %d endpoint pairs with DCE/RPC"
          % (len(convs), len(t_pairs)))
    rep.baseline["rpctrace_conversations"] += len(convs)
    rep.baseline["tshark_pairs"] += len(t_pairs)
    agree = 0
    for ep, fns in sorted(t_pairs.items(), key=lambda kv: kv[1][0]):
        if ep in by_pair:
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
            why = classify_tshark_only(ep, fns, frames, trecs)
        rep.baseline_diffs.append((name, "tshark-only", ep, fns[:8], why))
        print("  baseline tshark-only %s %s frames %s%s: %s" % (
            ep[0], fmt_pair(ep[1]), ",".join(map(str, fns[:8])),
            "..." if len(fns) > 8 else "", why or "UNCLASSIFIED"))
    for c in convs:
        if any((c.transport, p) in t_pairs for p in c.pairs):
            continue
        why = classify_rpctrace_only(ts, c, frames)
        rep.baseline_diffs.append((name, "rpctrace-only", c, c.pdu_frames[:8], why))
        print("  baseline rpctrace-only %r pdus=%s port_source=%s: %s" % (
            c, c.pdus, c.port_source, why or "UNCLASSIFIED"))
    rep.baseline["agree_pairs"] += agree

    # -- 2. selections
    ctx = {"ts": ts, "frames": frames, "by_id": by_id, "convs_matching": convs_matching}
    base_ids = {c.id for c in convs}
    # -w for the args.writes selections of highest priority (all, bpf&iface, bpf/host2 ...)
    ranked = sorted((s for s in sels if s.write), key=lambda s: -s.write)
    write_sels = {id(s) for s in ranked[:args.writes]}
    writes = 0
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
            for cid in sorted(expected - got):
                c = by_id[cid]
                why = classify_selection_diff(ctx, sel, c, "missing")
                report_diff(rep, name, sel, cmdline, df_text, "missing (tshark selects it)",
                            c, why)
            for cid in sorted(got - expected):
                c = by_id[cid]
                why = classify_selection_diff(ctx, sel, c, "extra")
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
        # whole conversations: each one selected must be the baseline's, frame for frame
        for r in got_recs:
            c = match_conv(r, convs)
            if c is None:
                continue
            rep.tally["conversation_contents"] += 1
            diffs = ["%s %s (baseline %s)" % (f, r.get(f), c.rec.get(f)) for f in CONTENT_FIELDS
                     if r.get(f) != c.rec.get(f)]
            if not diffs:
                rep.tally["contents_same"] += 1
                continue
            detail = "%s\n      conversation %r differs from the baseline's: %s" % (
                cmdline, c, "; ".join(diffs))
            why = classify_content_diff(ctx, sel, c, r, tables)
            if why and why[0] == "explained":
                rep.tally["contents_explained"] += 1
                rep.explain(name, sel.name + " content", why[1], detail)
            else:
                rep.fail(name, sel.name + " content", detail + (
                    "\n      " + why[1] if why else ""))
        # -- 3. -w
        # (the conversations rpctrace selected, when the sets differ: -w is checked apart)
        wset = expected if got == expected else got
        if id(sel) in write_sels and wset:
            # the pcap writer, then the pcapng one (-w NAME.pcapng)
            writes += 1
            check_write(args, ts, cap, name, sel, opts, bpf, [by_id[i] for i in sorted(wset)],
                        frames, rep, tmpdir, err0, ext="pcap" if writes % 2 else "pcapng")
    for a in ambiguous[:5]:
        print("  note: tshark conversation %s %s of filter %r matches baseline conversations %s"
              % (a[1], fmt_pair(a[2]), a[0][:80], a[3]))
    print("  %d selections, %d tshark runs, %.1f s" % (len(sels), ts.runs, time.time() - t0))


def classify_tshark_only(ep, fns, frames, trecs):
    """A tshark DCE/RPC endpoint pair rpctrace has no conversation for."""
    # drep (C706 14.1): integer/character nibbles, floating point, then a reserved octet
    bad = [f for f in fns if len(frames[f]["dcerpc.drep"]) >= 6
           and frames[f]["dcerpc.drep"][4:6] != "00"]
    if bad and len(bad) == len(fns):
        return ("drep %s has its reserved third octet set: tshark's heuristic takes the "
                "datagram for DCE/RPC without checking it, rpctrace rejects it (e.g. the SQL "
                "Slammer worm on UDP 1434, 04 then 01 filler)" % frames[fns[0]]["dcerpc.drep"])
    notes = [r for r in trecs if r.get("type") == "note" and r.get("frame") in set(fns)]
    if notes:
        return "rpctrace notes at those frames: %s" % sorted({
            "%s %s" % (n.get("layer"), n.get("kind")) for n in notes})
    return None


def report_diff(rep, name, sel, cmdline, df_text, what, c, why):
    detail = "%s\n      conversation %r: %s\n      tshark: %s" % (cmdline, c, what, df_text)
    if why and why[0] == "explained":
        rep.explain(name, sel.name, why[1], detail)
        rep.last_diffs.append(("explained",))
    else:
        if why:
            detail += "\n      " + why[1]
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


def classify_rpctrace_only(ts, c, frames):
    if not c.pdu_frames:
        if c.sport in EPM_PORTS or c.cport in EPM_PORTS:
            return "EPM-port conversation without DCE/RPC PDUs (rpctrace shows 135/593 by design)"
        if c.port_source == "epm":
            return ("connection to a port an EPM answer gave (conversation %s), no PDUs "
                    "(rpctrace shows it by design)" % c.epm_link)
        if c.protseq == "ncacn_np":
            kinds = {k for k, _ in c.smb}
            opens = sorted({t for k, t in c.smb if k == "open" and t})
            if "open" in kinds:
                return ("SMB connection that opens a named pipe but carries no DCE/RPC PDU "
                        "(%s)" % "; ".join(opens[:3]))
            if "tree_connect" in kinds:
                return ("SMB connection with a tree connect but no pipe open nor DCE/RPC PDU "
                        "(rpctrace shows SMB sessions to a possible pipe by design)")
            return "SMB connection with no pipe activity and no DCE/RPC PDU"
        return None
    # PDUs: what does tshark make of those frames?
    fns = sorted(set(c.pdu_frames))
    protos = [frames[f]["frame.protocols"] for f in fns if f in frames]
    if any("dcerpc" in p for p in protos):
        return None   # tshark decodes it but with other endpoints: look
    port = c.sport
    dec, _, _ = ts.fields("dcerpc && %s.port==%d" % (c.transport, port), ["frame.number"],
                       extra=["-d", "%s.port==%d,dcerpc" % (c.transport, port)])
    got = {int(r["frame.number"]) for r in dec}
    if got & set(fns):
        c.decode_as = port
        if port in (139, 445):
            how = ("DCE/RPC directly on TCP at an SMB port, without SMB: tshark's SMB "
                   "dissector owns the port")
        elif c.began == "mid_stream":
            how = "picked up mid-stream on a dynamic port: tshark's heuristics need the bind"
        else:
            how = "a port tshark's heuristics do not take"
        return ("tshark decodes its DCE/RPC only with Decode As (%s.port==%d,dcerpc): %s"
                % (c.transport, port, how))
    return None


def classify_selection_diff(ctx, sel, c, which):
    """("explained", why), ("fail", probable cause) or None."""
    kinds = dict(sel.kinds)
    convs_matching = ctx["convs_matching"]
    if "interface" in kinds and which == "extra":
        uuids = [df.split("== ")[1].split(" ")[0] for _, df in kinds["interface"]]
        ops = [o for o in c.operations if o.get("interface")
               and o["interface"].get("uuid", "").lower() in uuids]
        bound = [i for i in c.interfaces if i.get("uuid", "").lower() in uuids]
        if ops and not bound:
            return ("explained", "rpctrace calls the interface inferred from an EPM answer "
                    "(bind not captured); tshark cannot know it without the bind")
        if c.decode_as is not None:
            # tshark does not decode this conversation's DCE/RPC without Decode As: ask it so
            f = "(%s) && %s.port==%d" % (" || ".join(df for _, df in kinds["interface"]),
                                         c.transport, c.decode_as)
            rows, _, _ = ctx["ts"].fields(f, ["frame.number"], extra=[
                "-d", "%s.port==%d,dcerpc" % (c.transport, c.decode_as)])
            hit = [int(r["frame.number"]) for r in rows
                   if c.first <= int(r["frame.number"]) <= c.last]
            if hit:
                return ("explained", "tshark decodes this conversation's DCE/RPC only with "
                        "Decode As (%s.port==%d,dcerpc); so it matches the interface at "
                        "frames %s" % (c.transport, c.decode_as, hit[:5]))
    if "until" in kinds and which == "extra" and c.first_ns is not None:
        t = kinds["until"][0][0]
        t_ns = epoch_ns(t)
        if c.first_ns > t_ns and c.first_ns // 1000 * 1000 <= t_ns:
            return ("explained", "sub-microsecond time: its first frame is at %d.%09d, after "
                    "--until %s by %d ns; rpctrace reads times at the microsecond" % (
                        c.first_ns // 10**9, c.first_ns % 10**9, t, c.first_ns - t_ns))
    if "bpf" in kinds and which == "missing":
        expr = kinds["bpf"][0][0]
        if c.vlan and not expr.startswith("vlan"):
            return ("explained", "802.1Q-tagged frames: a BPF expression without 'vlan and' "
                    "reads the IP header at the untagged offset (pcap-filter(7); tcpdump "
                    "selects nothing either); the 'vlan and (...)' variant is checked too")
        if not c.pdu_frames and c.port_source == "epm" and c.epm_link is not None:
            if c.epm_link not in convs_matching(kinds["bpf"][0][1]):
                return ("explained", "shown only because of an EPM answer in conversation "
                        "%d, which the BPF filter drops before analysis" % c.epm_link)
    if which == "missing" and ("port" in kinds or "host" in kinds):
        link = ctx["by_id"].get(c.epm_link) if c.epm_link is not None else None
        if not c.pdu_frames and c.port_source == "epm" and link is not None:
            sel_sets = [set().union(*[convs_matching(d) for _, d in kinds[k]])
                        for k in ("port", "host") if k in kinds]
            if not all(link.id in st for st in sel_sets):
                return ("fail", "probable cause: --port/--host drop frames before the "
                        "analysis (app/run.cpp), so the ept_map answer of conversation %d "
                        "that makes this PDU-less connection shown is never seen" % link.id)
    return None


def classify_content_diff(ctx, sel, c, r, tables):
    """Why a selected conversation reads otherwise than in the baseline."""
    kinds = dict(sel.kinds)
    if "bpf" in kinds:
        df = kinds["bpf"][0][1]
        n = sum(row[4] for row in tables[df] if (row[0], row[1]) in {
            (c.transport, p) for p in c.pairs})
        if n < c.frames:
            return ("explained", "the BPF filter passes %d of its %d frames (tshark's "
                    "equivalent display filter), before the analysis" % (n, c.frames))
    if r.get("ended") != c.rec.get("ended") and c.rec.get("ended") == "idle":
        return ("fail", "probable cause: frames the selection leaves out no longer advance "
                "the capture clock, so the conversation the baseline evicts as idle (and "
                "judges '%s') is now still open at the capture's end ('%s')" % (
                    c.rec.get("verdict"), r.get("verdict")))
    if "port" in kinds or "host" in kinds:
        if c.transport == "udp" and len(c.pairs) > 1:
            others = [fmt_pair(p) for p in c.pairs if p != c.pair()]
            return ("fail", "probable cause: --port/--host drop frames before the analysis "
                    "(app/run.cpp matches each datagram's own endpoints), so the datagrams "
                    "this connectionless conversation exchanges on other endpoints (%s: the "
                    "server answers from another port) are lost" % ", ".join(others))
    return None


def check_write(args, ts, cap, name, sel, opts, bpf, exp_convs, frames, rep, tmpdir, err0,
                ext="pcap"):
    out = os.path.join(tmpdir, "out." + ext)
    if os.path.exists(out):
        os.unlink(out)
    cmdline = rpctrace_cmd(args.rpctrace, cap, opts, bpf, write="OUT." + ext)
    try:
        rpctrace_jsonl(args.rpctrace, cap, (opts, [bpf] if bpf else []), command="summary",
                       write=out)
    except ToolError as e:
        rep.fail(name, sel.name + " -w", "rpctrace failed: %s" % e)
        return
    rep.tally["write_checks"] += 1
    n_explained = len(rep.explained)
    # tshark's selection of the original: the conversations' endpoint pairs, ORed
    terms = []
    for c in exp_convs:
        for p in sorted(c.pairs, key=sorted):
            t = df_pair(c.transport, p)
            if t not in terms:
                terms.append(t)
    want = sorted(ts.frames_matching(" || ".join(terms)))
    # tshark reads out.pcap
    orows, err, _ = ts.fields(None, ["frame.time_epoch"] + W_FIELDS, path=out)
    problems = []
    probs = tshark_stderr_problems(err)
    if probs:
        known = {normalise_warning(l) for l in tshark_stderr_problems(err0)}
        new = [l for l in probs if normalise_warning(l) not in known]
        if new:
            problems.append("tshark reading out.pcap: %s" % new[:3])
        else:
            rep.explain(name, sel.name + " -w", "tshark warns reading out.pcap as it does "
                        "reading the original (its own dissector's complaint)",
                        "%s: %s" % (cmdline, sorted({normalise_warning(l) for l in probs})[:2]))
    raw_out = read_pcap_frames(out)
    raw_in = load_original(cap, frames)
    if len(orows) != len(raw_out):
        problems.append("tshark reads %d frames of out.pcap, the file has %d"
                        % (len(orows), len(raw_out)))
    # each out.pcap frame is the next original frame with its time (at the us), length and
    # bytes, searching on from the previous one (then anywhere: out of order)
    key = lambda rec: (rec[0] // 1000, rec[2], rec[4])   # noqa: E731
    by_content = collections.defaultdict(list)
    for fn, rec in enumerate(raw_in, 1):
        by_content[key(rec)].append(fn)
    got_ids, pos, used = [], 0, set()
    for rec in raw_out:
        cands = [x for x in by_content.get(key(rec), []) if x not in used]
        nxt = [x for x in cands if x > pos]
        g = (nxt or cands or [None])[0]
        if g is not None:
            used.add(g)
            pos = g
        got_ids.append(g)
    rep.tally["frames_compared"] += len(raw_out)
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
        if raw_in[g - 1][3] is not None and raw_out[i][3] != raw_in[g - 1][3]:
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
        outside = [f for f in missing if f not in frag and f not in icmp
                   and frames[f]["udp.stream"] and "dcerpc" not in
                   frames[f]["frame.protocols"].split(":")
                   and not any(c.first <= f <= c.last for c in exp_convs)]
        rest = [f for f in missing if f not in frag and f not in icmp and f not in outside]
        if outside:
            rep.explain(name, sel.name + " -w", "UDP datagrams without DCE/RPC on the same "
                        "endpoints outside the conversation's frames (rpctrace's ncadg "
                        "conversation spans its DCE/RPC datagrams)",
                        "%s: original frames %s not written" % (cmdline, outside[:10]))
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
    tso = [f for f in extra if f in frames and not frames[f]["tcp.srcport"]
           and not frames[f]["udp.srcport"] and (frames[f]["ipv6.plen"] == "0"
                                                 or frames[f]["ip.len"] == "0")]
    if tso:
        rep.explain(name, sel.name + " -w", "TSO frames (IP length 0): tshark cannot dissect "
                    "their TCP header (malformed), so its filter misses them; rpctrace takes "
                    "the length from the frame", "%s: original frames %s written" % (
                        cmdline, tso[:10]))
        extra = [f for f in extra if f not in tso]
    if extra:
        problems.append("frames written that tshark's filter does not select: %s" % extra[:20])
    if problems:
        rep.fail(name, sel.name + " -w", "%s\n      tshark -Y %s\n      %s" % (
            cmdline, (" || ".join(terms))[:300], "\n      ".join(problems[:6])))
    elif len(rep.explained) > n_explained:
        rep.tally["write_explained"] += 1
    else:
        rep.tally["write_ok"] += 1
    if not problems and args.verbose and len(rep.explained) == n_explained:
        print("  ok -w %s: %d frames" % (sel.name, len(raw_out)))


def normalise_warning(line):
    line = re.sub(r"^\s*\*\* \(tshark:\d+\) [\d:.]+ ", "", line)
    return re.sub(r"in packet \d+", "in packet N", line)


_orig_cache = {}


def epoch_ns(text):
    sec, _, frac = text.partition(".")
    return int(sec) * 10**9 + int((frac + "000000000")[:9])


def load_original(cap, frames):
    """The original's frames; a NetMon file's times are tshark's (frame.time_epoch)."""
    if cap not in _orig_cache:
        _orig_cache.clear()
        recs = read_pcap_frames(cap)
        if recs and recs[0][0] is None:
            recs = [(epoch_ns(frames[n]["frame.time_epoch"]) if n in frames else 0,) + r[1:]
                    for n, r in enumerate(recs, 1)]
        _orig_cache[cap] = recs
    return _orig_cache[cap]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpctrace", default=DEFAULT_RPCTRACE)
    ap.add_argument("--tshark", default=shutil.which("tshark") or "tshark")
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--writes", type=int, default=2, help="-w checks per capture (default 2)")
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
    t = rep.tally
    sel_fail = t["selections"] - t["selections_agree"] - t["selections_explained"]
    print("selections: %d checked; conversation sets: %d agree with tshark, %d differ only in "
          "explained ways, %d FAIL" % (t["selections"], t["selections_agree"],
                                       t["selections_explained"], sel_fail))
    print("conversations selected, each compared with the baseline's (frames, calls, bytes, "
          "end, verdict): %d; %d identical, %d explained, %d FAIL" % (
              t["conversation_contents"], t["contents_same"], t["contents_explained"],
              t["conversation_contents"] - t["contents_same"] - t["contents_explained"]))
    print("-w: %d files checked: %d identical to tshark's selection, %d differ only in "
          "explained ways, %d FAIL; %d frames written, %d of them frames tshark selects" % (
              t["write_checks"], t["write_ok"], t["write_explained"],
              t["write_checks"] - t["write_ok"] - t["write_explained"], t["frames_compared"],
              t["frames_agree"]))
    ex = collections.Counter(r for _, _, r, _ in rep.explained)
    print("explained differences: %d" % len(rep.explained))
    for k, v in ex.most_common():
        print("  %4d  %s" % (v, k))
    print("unexplained FAILs: %d" % len(rep.fails))
    for cap, what, detail in rep.fails:
        print("  %s [%s]: %s" % (cap, what, detail))
    if tool_errors:
        return 2
    return 1 if rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
