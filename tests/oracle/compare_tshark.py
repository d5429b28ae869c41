#!/usr/bin/env python3
"""Compare rpctrace's PDU records with tshark's DCE/RPC dissection of one capture.

Usage: compare_tshark.py CAPTURE [--rpctrace BIN] [--tshark BIN] [--allowlist FILE]
                         [--summary] [--max-list N]        (design notes: docs/oracle.md)

tshark runs with `-Y dcerpc -T pdml`: PDML keeps one <proto name="dcerpc"> per PDU, so
several PDUs in a frame cannot be misaligned as with `-T fields -E occurrence=a`. Only
PDUs on a single IP layer are compared (rpctrace's scope): connection-oriented ones directly
on TCP (ncacn_ip_tcp) or in SMB/SMB2 named pipes, over NBSS or not (ncacn_np), and
connectionless ones directly on UDP (ncadg_ip_udp, cl_oracle.py: every header and body
field, counted apart); ICMP-quoted and tunnelled PDUs are only counted. Ports 593 and
6001-6004 are always decoded as DCE/RPC, and tshark is re-run with `-d tcp.port==P,dcerpc`
for any server port where rpctrace found more connection-oriented PDUs than tshark. PDUs
pair per frame on (ptype, call_id), then across frames of one connection ("frame"
disagreement); the rest are "missing" (tshark only) or "extra"
(rpctrace only). Paired PDUs are compared on FIELDS, opnum, request frame, auth_type and
auth_level (where both have them), when both decode an endpoint mapper stub, its content
(epm_oracle.py: ept_lookup/ept_map fields, entries, towers, statuses), and for responses the
method's return code (retcode_oracle.py: tshark's samr.status, netlogon.rc, winreg.werror,
dcom.hresult, ... against rpctrace's return_code), and for RTS PDUs (RPC over HTTP v2) the
flags, the number and types of the commands, each command's fields and the step's name
(rts_oracle.py).

Allow-list lines: "capture-name frame field reason..." (frame may be '*'; '#' comments),
or "capture-name tshark-args ARG...". Exit status: 0 no unexplained disagreement, 1 some,
2 tool failure, 3 skipped (rpctrace cannot read the file).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from cl_oracle import (CL_PROTSEQ, compare_cl, describe_cl, first_request_frames, match_cl,
                       rpctrace_cl, tshark_cl)
from epm_oracle import compare_epm, rpctrace_epm, tshark_epm
from pairing import pair_pdus
from retcode_oracle import (RETURN_PROTOS, Tally, compare_return_code, load_returns,
                            rpctrace_return_code, tshark_return_code)
from rts_oracle import compare_rts, rpctrace_rts, tshark_rts

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RPCTRACE = os.path.join(HERE, "..", "..", "build", "rpctrace")
BASE_DECODE_PORTS = {593, 6001, 6002, 6003, 6004}   # ncacn_http and Exchange RPC
PTYPE_NAMES = ("request ping response fault working nocall reject ack cl_cancel fack cancel_ack "
               "bind bind_ack bind_nak alter_context alter_context_resp auth3 shutdown co_cancel "
               "orphaned rts").split()
CALLS, BINDS, ACKS = {0, 2, 3}, {11, 14}, {12, 15}
RTS = 20   # RPC over HTTP v2 (MS-RPCH 2.2.3.6): flags and commands, rts_oracle.py
# Compared field -> (ptypes it applies to, or None for all; tshark field; rpctrace path).
# A tshark field name ending in "*" collects every occurrence into a list; a rpctrace path
# "a[].b" collects b from each element of list a.
FIELDS = {
    "frag_length": (None, "dcerpc.cn_frag_len", "frag_length"),
    "auth_length": (None, "dcerpc.cn_auth_len", "auth_length"),
    "pfc_flags": (None, "dcerpc.cn_flags", "pfc_flags"),
    "alloc_hint": (CALLS, "dcerpc.cn_alloc_hint", "alloc_hint"),
    "ctx_id": (CALLS, "dcerpc.cn_ctx_id", "p_cont_id"),
    "status": ({3}, "dcerpc.cn_status", "status"),
    "ctx_list": (BINDS, "dcerpc.cn_ctx_id*", "p_cont_elem[].p_cont_id"),
    "abstract_syntaxes": (BINDS, "dcerpc.cn_bind_to_uuid*", "p_cont_elem[].abstract_syntax.uuid"),
    "max_xmit_frag": (BINDS | ACKS, "dcerpc.cn_max_xmit", "max_xmit_frag"),
    "max_recv_frag": (BINDS | ACKS, "dcerpc.cn_max_recv", "max_recv_frag"),
    "assoc_group_id": (BINDS | ACKS, "dcerpc.cn_assoc_group", "assoc_group_id"),
    "results": (ACKS, "dcerpc.cn_ack_result*", "p_results[].result"),
    "sec_addr": ({12}, "dcerpc.cn_sec_addr", "sec_addr"),
    "reject_reason": ({13}, "dcerpc.cn_reject_reason", "provider_reject_reason"),
}
STRING_FIELDS = {"dcerpc.cn_sec_addr", "dcerpc.cn_bind_to_uuid"}   # never read as numbers
# The sec_trailer and the decoded auth_value: compared key -> (tshark field, rpctrace value
# from the record's sec_trailer). Fields of the security providers' own dissectors (NTLMSSP,
# Kerberos, SPNEGO, Netlogon) nested in the dcerpc proto; compared wherever tshark has one.
NTLM_TYPES = {"negotiate": 1, "challenge": 2, "authenticate": 3}
KRB_TYPES = {"AP-REQ": 14, "AP-REP": 15, "TGT-REQ": 16, "TGT-REP": 17, "KRB-ERROR": 30}
NETLOGON_TYPES = {"negotiate request": 0, "negotiate response": 1}


def auth_token(trailer, mechanism):
    token = (trailer.get("auth_value") or {})
    return token if token.get("mechanism") == mechanism else {}


def auth_spnego(trailer):
    return (trailer.get("auth_value") or {}).get("spnego") or {}


AUTH_FIELDS = {
    "auth_pad_length": ("dcerpc.auth_pad_len", lambda t: t.get("auth_pad_length")),
    "auth_context_id": ("dcerpc.auth_ctx_id", lambda t: t.get("auth_context_id")),
    "ntlmssp_message": ("ntlmssp.messagetype",
                        lambda t: NTLM_TYPES.get(auth_token(t, "NTLMSSP").get("message"))),
    "ntlmssp_domain": ("ntlmssp.auth.domain", lambda t: auth_token(t, "NTLMSSP").get("domain")
                       if auth_token(t, "NTLMSSP").get("message") == "authenticate" else None),
    "ntlmssp_user": ("ntlmssp.auth.username", lambda t: auth_token(t, "NTLMSSP").get("user")),
    "ntlmssp_workstation": ("ntlmssp.auth.hostname",
                            lambda t: auth_token(t, "NTLMSSP").get("workstation")
                            if auth_token(t, "NTLMSSP").get("message") == "authenticate" else None),
    "ntlmssp_flags": ("ntlmssp.negotiateflags", lambda t: auth_token(t, "NTLMSSP").get("flags")),
    "kerberos_message": ("kerberos.msg_type",
                         lambda t: KRB_TYPES.get(auth_token(t, "Kerberos").get("message"))),
    "kerberos_realm": ("kerberos.realm", lambda t: auth_token(t, "Kerberos").get("realm")),
    "kerberos_service": ("kerberos.SNameString*",
                         lambda t: auth_token(t, "Kerberos").get("service", "").split("/")
                         if auth_token(t, "Kerberos").get("service") else []),
    "kerberos_error": ("kerberos.error_code", lambda t: auth_token(t, "Kerberos").get("error_code")),
    "spnego_neg_state": ("spnego.negResult", lambda t: auth_spnego(t).get("neg_state")),
    "spnego_mech_count": ("spnego.MechType*", lambda t: auth_spnego(t).get("mech_types", [])),
    "netlogon_message": ("netlogon.secchan.nl_auth_message.message_type",
                         lambda t: NETLOGON_TYPES.get(auth_token(t, "Netlogon").get("message"))),
    "netlogon_domain": ("netlogon.secchan.nl_auth_message.nb_domain",
                        lambda t: auth_token(t, "Netlogon").get("domain")),
    "netlogon_computer": ("netlogon.secchan.nl_auth_message.nb_host",
                          lambda t: auth_token(t, "Netlogon").get("computer")),
}
AUTH_STRINGS = {"ntlmssp.auth.domain", "ntlmssp.auth.username", "ntlmssp.auth.hostname",
                "kerberos.realm", "kerberos.SNameString",
                "netlogon.secchan.nl_auth_message.nb_domain",
                "netlogon.secchan.nl_auth_message.nb_host"}
TUNNEL_PROTOS = {"icmp", "icmpv6", "gre", "udp", "wccp", "erspan", "vxlan", "l2tp", "gtp"}
SMB_PROTOS = {"nbss", "smb", "smb2", "smb_pipe", "netbios"}
# Top-level protos after a dcerpc one that are not its stub's interface (expert info, data
# wrappers, a verifier's security provider).
NOT_STUB_PROTOS = {"_ws.malformed", "_ws.short", "_ws.expert", "fake-field-wrapper", "data",
                   "gss-api", "ntlmssp", "kerberos", "spnego"}


def fail(message):   # a tool failure, not a disagreement
    sys.exit(print(message, file=sys.stderr) or 2)


def value(s):
    """A PDML 'show' string as an int when it is one (decimal or 0x hex), else itself."""
    try:
        return int(s, 0)
    except (TypeError, ValueError):   # not a number (or absent): keep it as it is
        return s


# ---------------------------------------------------------------- tshark side

def carrier(protocols):
    """Classify a frame.protocols chain: 'tcp' (in scope) or why it is excluded."""
    layers = protocols.split(":")
    head = layers[:layers.index("dcerpc")] if "dcerpc" in layers else layers
    if SMB_PROTOS & set(head):
        before = head[:head.index("tcp")] if "tcp" in head else head
        if sum(p in ("ip", "ipv6") for p in before) == 1 and not TUNNEL_PROTOS & set(before):
            return "smb"                  # named pipe over SMB/SMB2/NBSS on TCP
        return "tunnel"
    if "icmp" in head or "icmpv6" in head:
        return "icmp"                     # quoted inside an ICMP error
    if head and head[-1] == "tcp":
        before = head[:-1]
        if sum(p in ("ip", "ipv6") for p in before) == 1 and not TUNNEL_PROTOS & set(before):
            return "tcp"
        return "tunnel"                   # GRE, IP-in-IP, ...: rpctrace does not decapsulate
    if head and head[-1] == "udp":
        before = head[:-1]
        if sum(p in ("ip", "ipv6") for p in before) == 1 and not TUNNEL_PROTOS & set(before):
            return "udp"                  # connectionless (ncadg_ip_udp): in scope
        return "tunnel"
    return "other"                        # e.g. RPC over HTTP


def walk_fields(elem):
    """Yield (field, depth) below a proto element in document order, not entering nested
    protos (NTLMSSP, SPNEGO, ... inside the auth verifier)."""
    stack = [(c, 1) for c in reversed(list(elem))]
    while stack:
        node, depth = stack.pop()
        if node.tag == "proto":
            continue
        yield node, depth
        stack.extend((c, depth + 1) for c in reversed(list(node)))


def parse_dcerpc(proto):
    """One tshark PDU from a <proto name="dcerpc"> element."""
    first, every = {}, collections.defaultdict(list)
    for f, depth in walk_fields(proto):
        name = f.get("name", "")
        if name.startswith("dcerpc."):
            if name == "dcerpc.cn_ctx_id" and depth > 1:
                name = "dcerpc.cn_ctx_id*"    # inside a bind's p_cont_elem, not the header's
            v = f.get("show") if name in STRING_FIELDS else value(f.get("show"))
            first.setdefault(name, v)
            every[name].append(v)
    pdu = {"ptype": first.get("dcerpc.pkt_type"), "call_id": first.get("dcerpc.cn_call_id"),
           "opnum": first.get("dcerpc.opnum"), "request_in": first.get("dcerpc.request_in"),
           "auth_type": first.get("dcerpc.auth_type"),
           "auth_level": first.get("dcerpc.auth_level"),
           "little": first.get("dcerpc.drep.byteorder", 1) != 0}
    for key, (_, tf, _) in FIELDS.items():   # "x*": every occurrence of x, as a list
        pdu[key] = every.get(tf, every.get(tf[:-1], [])) if tf[-1] == "*" else first.get(tf)
    # The verifier: dcerpc's own auth fields and the nested providers' fields.
    # Only below dcerpc.auth_info: a stub may carry Kerberos or NTLMSSP of its own.
    nested_first, nested_every = {}, collections.defaultdict(list)
    for info in (f for f in proto.iter("field") if f.get("name") == "dcerpc.auth_info"):
        for f in info.iter("field"):
            name = f.get("name", "")
            if name in ("dcerpc.auth_pad_len", "dcerpc.auth_ctx_id") or (
                    name.split(".")[0] in ("ntlmssp", "kerberos", "spnego", "netlogon")):
                v = f.get("show") if name in AUTH_STRINGS else value(f.get("show"))
                if v == "NULL" and name in AUTH_STRINGS:
                    v = None                  # tshark's word for an empty string
                if name == "ntlmssp.messagetype" and v not in (1, 2, 3):
                    v = None                  # tshark reads any 16 octets as NTLMSSP
                nested_first.setdefault(name, v)
                nested_every[name].append(v)
    if pdu["ptype"] == RTS:
        pdu["rts"] = tshark_rts(proto)
    pdu["auth"] = {}
    for key, (tf, _) in AUTH_FIELDS.items():
        if tf[-1] == "*":
            if tf[:-1] in nested_every:
                pdu["auth"][key] = nested_every[tf[:-1]]
        elif nested_first.get(tf) is not None:
            pdu["auth"][key] = nested_first[tf]
    return pdu


def packet_info(packet):
    """(frame number, frame.protocols, {"tcp"|"udp": (src port, dst port)}) of a PDML
    packet: the ports of its first TCP and first UDP layer."""
    info = {}
    for f in packet.iter("field"):
        name = f.get("name")
        if name in ("frame.number", "frame.protocols", "tcp.srcport", "tcp.dstport",
                    "udp.srcport", "udp.dstport"):
            info.setdefault(name, f.get("show"))
    ports = {t: tuple(int(info[k]) if k in info else None
                      for k in (t + ".srcport", t + ".dstport")) for t in ("tcp", "udp")}
    return int(info["frame.number"]), info.get("frame.protocols", ""), ports


def run_tshark(tshark, capture, ports, extra_args):
    """Run tshark; return (PDUs over TCP and, marked "cl", over UDP; PDU counts per carrier,
    warning, error). TZ=UTC: the CL server boot time is read back from its text."""
    cmd = [tshark, "-r", capture, "-Y", "dcerpc", "-T", "pdml",
           "-J", " ".join(["frame ip ipv6 tcp udp dcerpc epm"] + RETURN_PROTOS)] + extra_args
    cmd += [arg for p in sorted(ports) for arg in ("-d", "tcp.port==%d,dcerpc" % p)]
    errors = tempfile.TemporaryFile()   # a file, not a pipe: tshark never blocks on it
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors,
                                env=dict(os.environ, TZ="UTC"))
    except OSError as exc:
        fail("%s: cannot run tshark: %s" % (os.path.basename(capture), exc))
    pdus, counts = [], collections.Counter()
    try:
        for _, packet in ET.iterparse(proc.stdout, events=("end",)):
            if packet.tag != "packet":
                continue
            frame, protocols, ports = packet_info(packet)
            kind, last = carrier(protocols), None
            sport, dport = ports["udp" if kind == "udp" else "tcp"]
            for proto in packet.iter("proto"):
                if proto.get("name") == "dcerpc":
                    counts[kind] += 1
                    last = None
                    if kind in ("tcp", "smb"):
                        last = parse_dcerpc(proto)
                    elif kind == "udp":
                        last = dict(tshark_cl(proto), cl=True)
                    if last is not None:
                        last.update(frame=frame, src_port=sport, dst_port=dport)
                        pdus.append(last)
                elif last is not None:        # the stub of the PDU before
                    if proto.get("name") not in NOT_STUB_PROTOS:   # the interface's
                        last.setdefault("stub_proto", proto.get("name"))
                    if proto.get("name") == "epm":
                        epm = tshark_epm(proto, last["little"])
                        if epm is not None:
                            last["epm"] = epm
                    if proto.get("name") in RETURN_PROTOS + ["epm"]:
                        rc = tshark_return_code(proto)
                        if rc is not None:
                            last["return_code"] = rc
            packet.clear()
    except ET.ParseError as exc:
        proc.kill()
        proc.wait()
        return pdus, counts, None, "PDML parse error: %s" % exc
    status = proc.wait()
    errors.seek(0)
    err = "\n".join(line for line in errors.read().decode(errors="replace").splitlines()
                    if "Running as user" not in line).strip()
    if status != 0 and "cut short in the middle of a packet" not in err:
        return pdus, counts, None, err or "tshark failed"
    return pdus, counts, err or None, None   # a damaged file end: what precedes it counts


# ---------------------------------------------------------------- rpctrace side

def dig(rec, path):
    """Follow a FIELDS rpctrace path ("a.b", "a[].b") through a JSON record."""
    if "[]." in path:
        head, rest = path.split("[].", 1)
        return [dig(e, rest) for e in rec.get(head, [])]
    for part in path.split("."):
        rec = rec.get(part) if isinstance(rec, dict) else None
    return rec


def run_rpctrace(rpctrace, capture):
    """Return (PDUs, {conversation: server port}, error text or None)."""
    returns = load_returns()
    try:
        proc = subprocess.run([rpctrace, capture, "--format", "jsonl"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        fail("%s: cannot run rpctrace: %s" % (os.path.basename(capture), exc))
    if proc.returncode != 0:
        return [], {}, proc.stderr.decode(errors="replace").strip() or "exit %d" % proc.returncode
    pdus, servers = [], {}
    for line in proc.stdout.decode(errors="replace").splitlines():
        rec = json.loads(line)
        if rec.get("type") == "conversation":
            servers[rec["conversation"]] = rec.get("server_port")
        if rec.get("type") != "pdu":
            continue
        if rec.get("protseq") == CL_PROTSEQ:   # connectionless: its own fields
            pdu = dict(rpctrace_cl(rec), cl=True, frame=rec["frame"],
                       conversation=rec.get("conversation"), src_port=rec.get("src_port"),
                       dst_port=rec.get("dst_port"))
        else:
            pdu = rpctrace_co(rec)
        epm = rpctrace_epm(rec.get("epm"), rec.get("opnum"))
        if epm is not None:
            pdu["epm"] = epm
        if pdu["ptype"] == 2:
            pdu["return_code"] = rpctrace_return_code(rec, returns)
        pdus.append(pdu)
    return pdus, servers, None


def rpctrace_co(rec):
    """The compared fields of a connection-oriented PDU record."""
    trailer = rec.get("sec_trailer") or {}
    pdu = {"frame": rec["frame"], "conversation": rec.get("conversation"),
           "src_port": rec.get("src_port"), "dst_port": rec.get("dst_port"),
           "ptype": rec.get("ptype_value"), "call_id": rec.get("call_id"),
           "opnum": rec.get("opnum"), "request_in": rec.get("request_frame"),
           "auth_type": trailer.get("auth_type"), "auth_level": trailer.get("auth_level"),
           "auth": {key: get(trailer) for key, (_, get) in AUTH_FIELDS.items()}}
    for key, (_, _, path) in FIELDS.items():
        pdu[key] = dig(rec, path)
    if pdu["ptype"] == RTS:
        pdu["rts"] = rpctrace_rts(rec)
    return pdu


# ---------------------------------------------------------------- comparison

def compare_pair(t, r, t_requests, tally, rts_count):
    """([(field, tshark value, rpctrace value)], EPM entries/towers compared) for a pair,
    RTS fields compared and agreeing added to rts_count; tshark links a response to its
    request only after seeing the bind, so mid-stream its responses lack opnum: rpctrace's
    opnum is then checked against tshark's request at rpctrace's request_frame
    (t_requests: (frame, call_id) -> opnum)."""
    out = [("direction", "%s>%s" % (t["src_port"], t["dst_port"]),
            "%s>%s" % (r["src_port"], r["dst_port"]))] if t["src_port"] != r["src_port"] else []
    for key, (ptypes, _, _) in FIELDS.items():
        if (ptypes is None or t["ptype"] in ptypes) and t[key] != r[key]:
            if key == "sec_addr" and t[key] is None:
                continue                       # tshark shows no sec_addr when its length is 0
            out.append((key, t[key], r[key]))
    topnum = t["opnum"]
    if (topnum is None and r["opnum"] is not None and t["ptype"] in (2, 3)
            and t_requests.get((r["request_in"], r["call_id"]), "none") == r["opnum"]):
        topnum = r["opnum"]
    if topnum != r["opnum"]:
        out.append(("opnum", topnum, r["opnum"]))
    if t["request_in"] is not None and t["ptype"] in (2, 3) and t["request_in"] != r["request_in"]:
        out.append(("request_frame", t["request_in"], r["request_in"]))
    for key in ("auth_type", "auth_level"):
        if t[key] is not None and r[key] is not None and t[key] != r[key]:
            out.append((key, t[key], r[key]))
    for key, tv in t["auth"].items():   # what tshark shows of the verifier, rpctrace must too
        rv = r["auth"].get(key)
        if key == "spnego_mech_count":
            tv, rv = len(tv), len(rv or [])
        if tv != rv:
            out.append((key, tv, rv))
    out += compare_return_code(t, r, tally)
    if t["ptype"] == RTS:
        diffs, compared = compare_rts(t.get("rts"), r.get("rts"))
        rts_count.update(compared=compared, agree=compared - len(diffs))
        out += diffs
    if "epm" in t and "epm" in r:
        diffs, compared = compare_epm(t["epm"], r["epm"])
        return out + diffs, compared
    if "epm" in t or "epm" in r:   # one tool decoded the stub, the other did not
        out.append(("epm_decoded", "epm" in t, "epm" in r))
    return out, 0


def match(tpdus, rpdus):
    """Pair PDUs on (ptype, call_id), preferring the same frag_length; across frames also on
    frag_length and the connection's ports. Return (same-frame pairs, tshark-only,
    rpctrace-only, cross-frame pairs)."""
    return pair_pdus(
        tpdus, rpdus, lambda p: (p["ptype"], p["call_id"]),
        lambda t, r: r["frag_length"] == t["frag_length"],
        lambda p: (p["ptype"], p["call_id"], p["frag_length"],
                   frozenset((p["src_port"], p["dst_port"]))))


def describe(p):
    ptype = p["ptype"]   # its name when it is a known number
    name = PTYPE_NAMES[ptype] if ptype in range(len(PTYPE_NAMES)) else ptype
    return "%s call_id=%s frag_len=%s ports=%s>%s" % (
        name, p["call_id"], p["frag_length"], p["src_port"], p["dst_port"])


def load_allowlist(path, capture):
    """({(frame or '*', field)} allow-listed for this capture, extra tshark arguments).
    A line "capture tshark-args ARG..." passes ARGs (e.g. -o pref:value) to tshark."""
    allowed, tshark_args = set(), []
    if path and os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                words = line.split("#", 1)[0].split()
                if len(words) >= 3 and words[0] == capture and words[1] == "tshark-args":
                    tshark_args += words[2:]
                elif len(words) >= 4 and words[0] == capture:
                    allowed.add((words[1], words[2]))
    return allowed, tshark_args


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture")
    ap.add_argument("--rpctrace", default=os.environ.get("RPCTRACE", DEFAULT_RPCTRACE))
    ap.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"))
    ap.add_argument("--allowlist", default=os.path.join(HERE, "allowlist.txt"))
    ap.add_argument("--summary", action="store_true", help="add a SUMMARY line for run_all.sh")
    ap.add_argument("--max-list", type=int, default=200, help="disagreements to list")
    args = ap.parse_args()
    name = os.path.basename(args.capture)

    allowed, tshark_args = load_allowlist(args.allowlist, name)
    rpdus, servers, rerr = run_rpctrace(args.rpctrace, args.capture)
    decode_ports = set(BASE_DECODE_PORTS)
    tpdus, counts, warning, terr = run_tshark(args.tshark, args.capture, decode_ports, tshark_args)
    if rerr or terr:
        why = "rpctrace cannot read: " + rerr if rerr else "tshark failed: " + terr
        print("%s: skipped: %s" % (name, why))
        if args.summary:
            print("SUMMARY\t%s\tskip\t%d\t-\t-\t-\t-\t%s" % (
                name, counts["tcp"], why.split(":")[0]))
        return 3 if rerr else 2

    # Server ports where rpctrace found more PDUs over TCP than tshark: force tshark's
    # dcerpc there (connectionless PDUs are left out: tshark's UDP heuristic needs no help).
    r_ports = collections.Counter(servers.get(r["conversation"]) for r in rpdus if not r.get("cl"))
    t_ports = collections.Counter(p for t in tpdus if not t.get("cl")
                                  for p in {t["src_port"], t["dst_port"]})
    extra = {p for p, n in r_ports.items() if p is not None and n > t_ports[p]} - decode_ports
    if extra:
        tpdus, counts, warning, terr = run_tshark(args.tshark, args.capture, decode_ports | extra,
                                                  tshark_args)
        if terr:
            fail("%s: tshark failed with decode-as: %s" % (name, terr))
    t_cl, r_cl = [t for t in tpdus if t.get("cl")], [r for r in rpdus if r.get("cl")]
    tpdus, rpdus = [t for t in tpdus if not t.get("cl")], [r for r in rpdus if not r.get("cl")]

    pairs, t_only, r_only, moved = match(tpdus, rpdus)
    t_requests = {(t["frame"], t["call_id"]): t["opnum"] for t in tpdus if t["ptype"] == 0}
    problems, agreed = [], 0          # problems: (frame, field, tshark value, rpctrace value)
    epm_pdus = epm_items = epm_agreed = 0   # stubs both decoded, entries/towers in them
    auth_fields = sum(len(t["auth"]) for t, _ in pairs + moved)   # verifier fields compared
    tally = Tally()                   # response return codes
    rts_count = collections.Counter()   # RTS fields compared, agreeing
    for t, r, is_moved in [p + (False,) for p in pairs] + [p + (True,) for p in moved]:
        if is_moved:
            problems.append((t["frame"], "frame", "%d (%s)" % (t["frame"], describe(t)),
                             r["frame"]))
        diffs, items = compare_pair(t, r, t_requests, tally, rts_count)
        agreed += not diffs and not is_moved
        problems += [(t["frame"], f, tv, rv) for f, tv, rv in diffs]
        if "epm" in t and "epm" in r:
            epm_pdus += 1
            epm_items += items
            epm_agreed += not any(f.startswith("epm_") for f, _, _ in diffs)
    problems += [(t["frame"], "missing", describe(t), None) for t in t_only]
    problems += [(r["frame"], "extra", None, describe(r)) for r in r_only]

    # Connectionless PDUs over UDP: counted apart, in the same problem list.
    cl = collections.Counter()        # agreed, epm, epmok, items
    cl_problems, cl_tally = [], Tally()
    cl_pairs, cl_t_only, cl_r_only, cl_moved = match_cl(t_cl, r_cl)
    first_requests = first_request_frames(t_cl)
    for t, r, is_moved in [p + (False,) for p in cl_pairs] + [p + (True,) for p in cl_moved]:
        if is_moved:
            cl_problems.append((t["frame"], "frame", "%d (%s)" % (
                t["frame"], describe_cl(t, PTYPE_NAMES)), r["frame"]))
        diffs = compare_cl(t, r, first_requests) + compare_return_code(t, r, cl_tally)
        if "epm" in t and "epm" in r:
            epm_diffs, items = compare_epm(t["epm"], r["epm"])
            diffs += epm_diffs
            cl.update(epm=1, items=items, epmok=int(not epm_diffs))
        elif "epm" in t or "epm" in r:   # one tool decoded the stub, the other did not
            diffs.append(("epm_decoded", "epm" in t, "epm" in r))
        cl["agreed"] += not diffs and not is_moved
        cl_problems += [(t["frame"], f, tv, rv) for f, tv, rv in diffs]
    cl_problems += [(t["frame"], "missing", describe_cl(t, PTYPE_NAMES), None)
                    for t in cl_t_only]
    cl_problems += [(r["frame"], "extra", None, describe_cl(r, PTYPE_NAMES)) for r in cl_r_only]

    is_allowed = lambda p: (str(p[0]), p[1]) in allowed or ("*", p[1]) in allowed
    unexplained = [p for p in problems if not is_allowed(p)]
    cl_unexplained = [p for p in cl_problems if not is_allowed(p)]
    excluded = ", ".join("%s %d" % kv for kv in sorted(counts.items())
                         if kv[0] not in ("tcp", "udp"))
    print("%s: tshark %d PDUs over TCP (not compared: %s), rpctrace %d, agreed %d, "
          "disagreements %d (%d allow-listed); EPM stubs both decoded %d (%d agree), "
          "entries/towers compared %d; auth verifier fields compared %d" % (
              name, counts["tcp"], excluded or "none", len(rpdus), agreed, len(problems),
              len(problems) - len(unexplained), epm_pdus, epm_agreed, epm_items, auth_fields))
    print("  return codes: %s" % tally.line())
    for iface, per in sorted(tally.by_interface.items()):
        print("    %-22s %s" % (iface, tally.line(per)))
    for (key, why), n in sorted(tally.why.items()):
        print("    %s: %d %s" % (key.replace("_", " "), n, why))
    if rts_count["compared"]:
        print("  RTS fields compared %d: agree %d, differ %d" % (
            rts_count["compared"], rts_count["agree"],
            rts_count["compared"] - rts_count["agree"]))
    if t_cl or r_cl:
        print("  connectionless over UDP: tshark %d PDUs, rpctrace %d, agreed %d, disagreements "
              "%d (%d allow-listed); EPM stubs both decoded %d (%d agree), entries/towers "
              "compared %d; return codes: %s" % (
                  len(t_cl), len(r_cl), cl["agreed"], len(cl_problems),
                  len(cl_problems) - len(cl_unexplained), cl["epm"], cl["epmok"], cl["items"],
                  cl_tally.line()))
        for (key, why), n in sorted(cl_tally.why.items()):
            print("    %s: %d %s" % (key.replace("_", " "), n, why))
    for label, text in (("tshark arguments from the allow-list", " ".join(tshark_args)),
                        ("tshark warning", (warning or "").replace("\n", " ")),
                        ("tshark decode-as added for ports", ", ".join(map(str, sorted(extra))))):
        if text:
            print("  %s: %s" % (label, text))
    listed = sorted([p + ("",) for p in problems] + [p + (" [udp]",) for p in cl_problems],
                    key=lambda p: (p[0], p[1]))
    for p in listed[:args.max_list]:
        print("  frame %-6s %-17s tshark=%-36s rpctrace=%s%s%s" % (
            p[0], p[1], "-" if p[2] in (None, []) else p[2], "-" if p[3] in (None, []) else p[3],
            p[4], " (allowed)" if is_allowed(p) else ""))
    if len(listed) > args.max_list:
        print("  ... %d more" % (len(listed) - args.max_list))
    if args.summary:
        total = max(counts["tcp"], len(rpdus))
        pct = "%.1f" % (100.0 * agreed / total) if total else "-"   # "-": nothing to compare
        print("SUMMARY\t%s\tok\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d" % (
            name, counts["tcp"], len(rpdus), agreed, len(problems), len(unexplained), pct,
            epm_pdus, epm_agreed, epm_items, auth_fields,
            "\t".join(str(tally.total[k]) for k in Tally.KEYS),
            "\t".join(str(n) for n in (
                len(t_cl), len(r_cl), cl["agreed"], len(cl_problems), len(cl_unexplained),
                cl["epm"], cl["epmok"], cl["items"], cl_tally.total["compared"],
                cl_tally.total["agree"])), rts_count["compared"], rts_count["agree"]))
        for iface, c in sorted(tally.by_interface.items()):   # run_all.sh sums these
            print("RETCODE\t%s\t%s\t%s" % (name, iface, "\t".join(str(c[k]) for k in Tally.KEYS)))
        for (key, why), n in sorted(tally.why.items()):
            print("RCWHY\t%s\t%s\t%s\t%d" % (name, key.replace("_", "-"), why, n))
    return 1 if unexplained or cl_unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
