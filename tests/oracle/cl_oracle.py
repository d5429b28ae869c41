"""Connectionless DCE/RPC (ncadg_ip_udp, C706 chapter 12.5) PDUs, from tshark's PDML and
from rpctrace's JSON, in one normalised shape, their pairing and their comparison (used by
compare_tshark.py; design notes in docs/oracle.md). `python3 cl_oracle.py` runs a self-test.

Each UDP datagram carries one CL PDU: an 80-octet header (C706 12.5.3.1) and a body whose
length is the header's `len`. tshark 4.0 shows the header fields directly under the dcerpc
proto (dcerpc.ver, pkt_type, dg_flags1, dg_flags2, drep, dg_serial_hi/lo, obj_id, dg_if_id,
dg_act_id, dg_server_boot, dg_if_ver, dg_seqnum, opnum, dg_ihint, dg_ahint, dg_frag_len,
dg_frag_num, dg_auth_proto) and after them the body of a fault or reject (dg_status), a
fack or a nocall with a body (fack_vers, fack_window_size, fack_max_tsdu, fack_max_frag_size,
fack_serial_num, fack_selack_len, fack_selack per element), a cl_cancel (dg_cancel_vers,
dg_cancel_id) or a cancel_ack (the same and server_accepting_cancels). rpctrace carries the
header and body in its record's "cl" object (a fault's status at the top level, as on TCP).

Normalisation: the serial number is tshark's dg_serial_hi * 256 + dg_serial_lo (C706 splits
it around the header); the server boot time, an FT_ABSOLUTE_TIME, is read back from tshark's
UTC text (tshark runs with TZ=UTC) into seconds since 1970; drep is the three octets.
"""
import calendar
import collections
import time

from pairing import pair_pdus

CL_PROTSEQ = "ncadg_ip_udp"
FAULT, NOCALL, REJECT, CL_CANCEL, FACK, CANCEL_ACK = 3, 5, 6, 8, 9, 10
ANSWERS = {2, FAULT, REJECT}   # the PDUs rpctrace links to their request (request_frame)
# Compared key -> (ptypes it applies to, or None for all; tshark field; rpctrace "cl" key).
# A tshark field ending in "*" collects every occurrence into a list.
CL_FIELDS = {
    "rpc_vers": (None, "dcerpc.ver", None),            # the record's rpc_vers
    "drep": (None, "dcerpc.drep", None),               # the record's packed_drep
    "flags1": (None, "dcerpc.dg_flags1", "flags1"),
    "flags2": (None, "dcerpc.dg_flags2", "flags2"),
    "serial": (None, None, "serial"),                  # dg_serial_hi/lo
    "object": (None, "dcerpc.obj_id", "object"),
    "if_id": (None, "dcerpc.dg_if_id", "if_id"),
    "if_vers": (None, "dcerpc.dg_if_ver", "if_vers"),
    "act_id": (None, "dcerpc.dg_act_id", "act_id"),
    "server_boot": (None, "dcerpc.dg_server_boot", "server_boot"),
    "seqnum": (None, "dcerpc.dg_seqnum", "seqnum"),
    "opnum": (None, "dcerpc.opnum", "opnum"),          # the header's, on every ptype
    "ihint": (None, "dcerpc.dg_ihint", "ihint"),
    "ahint": (None, "dcerpc.dg_ahint", "ahint"),
    "len": (None, "dcerpc.dg_frag_len", "len"),
    "fragnum": (None, "dcerpc.dg_frag_num", "fragnum"),
    "auth_proto": (None, "dcerpc.dg_auth_proto", "auth_proto"),
    "status": ({FAULT, REJECT}, "dcerpc.dg_status", "status"),
    "fack_vers": ({FACK, NOCALL}, "dcerpc.fack_vers", "fack.vers"),
    "fack_window_size": ({FACK, NOCALL}, "dcerpc.fack_window_size", "fack.window_size"),
    "fack_max_tsdu": ({FACK, NOCALL}, "dcerpc.fack_max_tsdu", "fack.max_tsdu"),
    "fack_max_frag_size": ({FACK, NOCALL}, "dcerpc.fack_max_frag_size", "fack.max_frag_size"),
    "fack_serial_num": ({FACK, NOCALL}, "dcerpc.fack_serial_num", "fack.serial_num"),
    "fack_selack_len": ({FACK, NOCALL}, "dcerpc.fack_selack_len", "fack.selack_len"),
    "fack_selack": ({FACK, NOCALL}, "dcerpc.fack_selack*", "fack.selack"),
    "cancel_vers": ({CL_CANCEL, CANCEL_ACK}, "dcerpc.dg_cancel_vers", "cancel_vers"),
    "cancel_id": ({CL_CANCEL, CANCEL_ACK}, "dcerpc.dg_cancel_id", "cancel_id"),
    "server_is_accepting": ({CANCEL_ACK}, "dcerpc.server_accepting_cancels",
                            "server_is_accepting"),
}
STRINGS = {"dcerpc.obj_id", "dcerpc.dg_if_id", "dcerpc.dg_act_id", "dcerpc.dg_server_boot",
           "dcerpc.drep"}


def number(s):
    try:
        return int(s, 0)
    except (TypeError, ValueError):
        return s


def boot_seconds(show):
    """tshark's "Mar 20, 2006 08:06:40.000000000 UTC" as seconds since 1970 (the text
    itself when it is not in that form)."""
    if not show or not show.endswith(" UTC"):
        return show
    try:
        return calendar.timegm(time.strptime(show[:-4].split(".")[0], "%b %d, %Y %H:%M:%S"))
    except ValueError:
        return show


# ---------------------------------------------------------------- tshark side

def tshark_cl(proto):
    """One CL PDU from a <proto name="dcerpc"> element of a UDP frame (rpc version 4).
    An absent list (no selective acks) is None, as rpctrace's empty one is."""
    first, every = {}, collections.defaultdict(list)
    for f in proto.iter("field"):   # the header and body fields are all at depth 1
        name = f.get("name", "")
        if name.startswith("dcerpc."):
            v = f.get("show") if name in STRINGS else number(f.get("show"))
            first.setdefault(name, v)
            every[name].append(v)
    pdu = {"ptype": first.get("dcerpc.pkt_type"), "request_in": first.get("dcerpc.request_in"),
           "little": first.get("dcerpc.drep.byteorder", 1) != 0}
    for key, (_, tf, _) in CL_FIELDS.items():
        if tf is None:
            continue
        pdu[key] = (every.get(tf[:-1]) or None) if tf[-1] == "*" else first.get(tf)
    hi, lo = first.get("dcerpc.dg_serial_hi"), first.get("dcerpc.dg_serial_lo")
    pdu["serial"] = hi * 256 + lo if isinstance(hi, int) and isinstance(lo, int) else None
    pdu["server_boot"] = boot_seconds(pdu["server_boot"])
    if isinstance(pdu["drep"], str):
        pdu["drep"] = pdu["drep"].replace(":", "").lower()
    return pdu


# ---------------------------------------------------------------- rpctrace side

def rpctrace_cl(rec):
    """The compared fields of a rpctrace "pdu" record with protseq ncadg_ip_udp."""
    cl = rec.get("cl") or {}
    pdu = {"ptype": rec.get("ptype_value"), "request_in": rec.get("request_frame"),
           "rpc_vers": rec.get("rpc_vers"), "drep": (rec.get("packed_drep") or "")[:6].lower()
           or None, "duplicate": bool(cl.get("duplicate"))}
    for key, (_, _, path) in CL_FIELDS.items():
        if path is None:
            continue
        v = cl
        for part in path.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        pdu[key] = int(v) if isinstance(v, bool) else (v or None) if isinstance(v, list) else v
    if pdu["status"] is None and pdu["ptype"] == FAULT:
        pdu["status"] = rec.get("status")          # a fault's status sits at the top level
    return pdu


# ---------------------------------------------------------------- pairing and comparison

def match_cl(tpdus, rpdus):
    """Pair CL PDUs: in the same frame on (ptype, seqnum), preferring the same fragnum, then
    across frames on (ptype, activity, seqnum, fragnum, serial, ports). Return (same-frame
    pairs, tshark-only, rpctrace-only, cross-frame pairs)."""
    return pair_pdus(
        tpdus, rpdus, lambda p: (p["ptype"], p["seqnum"]),
        lambda t, r: r["fragnum"] == t["fragnum"],
        lambda p: (p["ptype"], p["act_id"], p["seqnum"], p["fragnum"], p["serial"],
                   frozenset((p["src_port"], p["dst_port"]))))


def first_request_frames(tpdus):
    """{(activity, seqnum): the first frame tshark shows a request of that call in}."""
    first = {}
    for t in tpdus:
        if t["ptype"] == 0:
            k = (t["act_id"], t["seqnum"])
            first[k] = min(first.get(k, t["frame"]), t["frame"])
    return first


def compare_cl(t, r, t_first_requests):
    """[(field, tshark value, rpctrace value)] for a paired CL PDU (header, body, direction
    and, on answers tshark linked, the request frame). tshark links a response to the frame
    of the request's last fragment (where it reassembles); rpctrace names the request's first
    frame, so tshark's value is taken back to the first request frame tshark shows for the
    same activity and sequence number. tshark also shows request_in on a call's pings, acks
    and facks; rpctrace links answers only (response, fault, reject), so only those count."""
    out = [("direction", "%s>%s" % (t["src_port"], t["dst_port"]),
            "%s>%s" % (r["src_port"], r["dst_port"]))] if t["src_port"] != r["src_port"] else []
    for key, (ptypes, _, _) in CL_FIELDS.items():
        if (ptypes is None or t["ptype"] in ptypes) and t[key] != r[key]:
            out.append((key, t[key], r[key]))
    if t["request_in"] is not None and t["ptype"] in ANSWERS:
        treq = t_first_requests.get((t["act_id"], t["seqnum"]), t["request_in"])
        treq = min(treq, t["request_in"])
        if treq != r["request_in"]:
            out.append(("request_frame", "%s (request_in %s)" % (treq, t["request_in"]),
                        r["request_in"]))
    return out


def describe_cl(p, names):
    ptype = p["ptype"]
    name = names[ptype] if ptype in range(len(names)) else ptype
    return "%s act=%s seq=%s frag=%s serial=%s len=%s ports=%s>%s" % (
        name, (p["act_id"] or "?")[-12:], p["seqnum"], p["fragnum"], p["serial"], p["len"],
        p["src_port"], p["dst_port"])


def self_test():
    """python3 cl_oracle.py: the field reading on hand-made PDML and JSON."""
    import xml.etree.ElementTree as ET
    pdml = ET.fromstring(
        '<proto name="dcerpc"><field name="dcerpc.ver" show="4"/>'
        '<field name="dcerpc.pkt_type" show="9"/><field name="dcerpc.dg_flags1" show="0x00">'
        '<field name="dcerpc.dg_flags1_frag" show="0"/></field>'
        '<field name="dcerpc.dg_flags2" show="0x00"/>'
        '<field name="dcerpc.drep" show="00:00:00"><field name="dcerpc.drep.byteorder" '
        'show="0"/></field><field name="dcerpc.dg_serial_hi" show="0x01"/>'
        '<field name="dcerpc.obj_id" show="00000000-0000-0000-0000-000000000000"/>'
        '<field name="dcerpc.dg_if_id" show="5a7e0003-0000-4000-8000-000000000003"/>'
        '<field name="dcerpc.dg_act_id" show="0b1e0c5d-4f1a-4e2b-9c3d-0a05010a0001"/>'
        '<field name="dcerpc.dg_server_boot" show="Mar 20, 2006 07:30:00.000000000 UTC"/>'
        '<field name="dcerpc.dg_if_ver" show="1"/><field name="dcerpc.dg_seqnum" show="0"/>'
        '<field name="dcerpc.opnum" show="1"/><field name="dcerpc.dg_ihint" show="0x0002"/>'
        '<field name="dcerpc.dg_ahint" show="0x0005"/><field name="dcerpc.dg_frag_len" '
        'show="20"/><field name="dcerpc.dg_frag_num" show="1"/>'
        '<field name="dcerpc.dg_auth_proto" show="0"/><field name="dcerpc.dg_serial_lo" '
        'show="0x02"/><field name="dcerpc.fack_vers" show="1"/>'
        '<field name="dcerpc.fack_window_size" show="8"/><field name="dcerpc.fack_max_tsdu" '
        'show="1464"/><field name="dcerpc.fack_max_frag_size" show="1464"/>'
        '<field name="dcerpc.fack_serial_num" show="1"/><field name="dcerpc.fack_selack_len" '
        'show="1"/><field name="dcerpc.fack_selack" show="0x00000005"/></proto>')
    t = tshark_cl(pdml)
    assert t["serial"] == 0x102 and t["server_boot"] == 1142839800, t
    assert t["drep"] == "000000" and not t["little"] and t["fack_selack"] == [5], t
    ping = tshark_cl(ET.fromstring('<proto name="dcerpc"><field name="dcerpc.pkt_type" '
                                   'show="1"/><field name="dcerpc.request_in" show="1"/></proto>'))
    assert ping["fack_selack"] is None and ping["request_in"] == 1, ping
    assert boot_seconds("Jan  1, 1970 00:00:00.000000000 UTC") == 0
    rec = {"type": "pdu", "frame": 5, "protseq": CL_PROTSEQ, "ptype_value": 9, "rpc_vers": 4,
           "packed_drep": "00000000", "cl": {
               "flags1": 0, "flags2": 0, "serial": 0x102,
               "object": "00000000-0000-0000-0000-000000000000",
               "if_id": "5a7e0003-0000-4000-8000-000000000003", "if_vers": 1,
               "act_id": "0b1e0c5d-4f1a-4e2b-9c3d-0a05010a0001", "server_boot": 1142839800,
               "seqnum": 0, "opnum": 1, "ihint": 2, "ahint": 5, "len": 20, "fragnum": 1,
               "auth_proto": 0, "fack": {"vers": 1, "window_size": 8, "max_tsdu": 1464,
                                         "max_frag_size": 1464, "serial_num": 1,
                                         "selack_len": 1, "selack": [5]}}}
    r = rpctrace_cl(rec)
    for p in (t, r):
        p.update(frame=5, src_port=1031, dst_port=1026)
    assert compare_cl(t, r, {}) == [], compare_cl(t, r, {})
    rec["cl"]["fack"]["selack"] = [4]
    assert [d[0] for d in compare_cl(t, rpctrace_cl(rec) | {"frame": 5, "src_port": 1031,
                                                           "dst_port": 1026}, {})] == [
        "fack_selack"]
    fault = rpctrace_cl({"ptype_value": FAULT, "status": 0x1C010002, "cl": {}})
    assert fault["status"] == 0x1C010002
    # A response tshark links to the last request fragment (frame 6; the first is 3).
    resp_t = dict(t, ptype=2, request_in=6, frame=9)
    resp_r = dict(r, ptype=2, request_in=3, frame=9, fack_selack=[5])
    first = first_request_frames([dict(t, ptype=0, frame=3), dict(t, ptype=0, frame=6)])
    assert compare_cl(resp_t, resp_r, first) == [], compare_cl(resp_t, resp_r, first)
    assert compare_cl(dict(resp_t, ptype=1), dict(resp_r, ptype=1, request_in=None), first) == []
    assert compare_cl(resp_t, dict(resp_r, request_in=None), first)[0][0] == "request_frame"
    assert rpctrace_cl({"cl": {"fack": {"selack": []}}})["fack_selack"] is None
    pairs, t_only, r_only, moved = match_cl([t], [dict(r, frame=7)])
    assert not pairs and not t_only and not r_only and len(moved) == 1
    print("cl_oracle self-test: ok")


if __name__ == "__main__":
    self_test()
