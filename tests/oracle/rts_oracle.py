"""RTS PDUs (ptype 20, RPC over HTTP v2, MS-RPCH 2.2.3.6) from tshark's PDML and from
rpctrace's JSON, in one normalised shape, and their comparison field by field (used by
compare_tshark.py; design notes in docs/oracle.md). `python3 rts_oracle.py` runs a self-test.

tshark 4.0 shows, directly under the dcerpc proto, dcerpc.cn_rts_flags and
dcerpc.cn_rts_commands_nb, then inside an "RTS PDU: N commands" subtree one
dcerpc.cn_rts_command per command (its CommandType, MS-RPCH 2.2.3.5) with the command's
fields as children: cn_rts_command.receivewindowsize, fack.bytesreceived,
fack.availablewindow, fack.channelcookie, connectiontimeout, cookie, channellifetime,
clientkeepalive, version, padding.conformancecount, addrtype, associationgroupid,
forwarddestination, pingtrafficsentnotify, and dcerpc.cmd_client_ipv4/ipv6 (the padding
octets, padding.padding, are not compared: rpctrace reports only their count). It names the
PDU from its flags and command types alone, at the end of the proto's text ("..., Call: 0,
CONN/C1,CONN/C2"; "unknown RTS PDU" when its table has no match). rpctrace gives rts_flags,
number_of_commands, rts_commands (one object per command: "command" and the fields under
MS-RPCH's names) and rts_names (the 2.2.4 step, also from the channel and the sender).

Normalisation: UUIDs (cookies, the association group id) are compared as lower-case text;
both tools read their first three fields in the PDU's byte order (drep) and print them in the
usual form. Client addresses go through ipaddress (IPv6 compression). Command types are
compared as numbers (tshark writes "ConnectionTimeOut", rpctrace "ConnectionTimeout") and
listed under rpctrace's names.

Compared per RTS PDU (each a "field" in the counts): rts_flags, rts_number_of_commands, for
command i rts_command[i] (its type) and, when both tools read the same type there,
rts_command[i].<field> for every field either tool shows, and rts_name when rpctrace names
the PDU: each of rpctrace's names must be one of tshark's (tshark cannot tell CONN/C1 from
CONN/C2 without knowing who sent it; rpctrace leaves a PDU unnamed when its channel or sender
does not fit the step, which is not compared). tshark 4.0 marks an RTS PDU with no command
(Ping, Echo) malformed and names it nothing, so such a PDU's name is not compared either.
"""
import ipaddress
import re

# MS-RPCH 2.2.3.5 CommandType values, by rpctrace's "command" names.
COMMAND_TYPES = {"ReceiveWindowSize": 0, "FlowControlAck": 1, "ConnectionTimeout": 2,
                 "Cookie": 3, "ChannelLifetime": 4, "ClientKeepalive": 5, "Version": 6,
                 "Empty": 7, "Padding": 8, "NegativeANCE": 9, "ANCE": 10, "ClientAddress": 11,
                 "AssociationGroupId": 12, "Destination": 13, "PingTrafficSentNotify": 14}
COMMAND_NAMES = {v: k for k, v in COMMAND_TYPES.items()}
# tshark field -> rpctrace's key in the command object.
TSHARK_VALUES = {
    "dcerpc.cn_rts_command.receivewindowsize": "ReceiveWindowSize",
    "dcerpc.cn_rts_command.fack.bytesreceived": "BytesReceived",
    "dcerpc.cn_rts_command.fack.availablewindow": "AvailableWindow",
    "dcerpc.cn_rts_command.fack.channelcookie": "ChannelCookie",
    "dcerpc.cn_rts_command.connectiontimeout": "ConnectionTimeout",
    "dcerpc.cn_rts_command.cookie": "Cookie",
    "dcerpc.cn_rts_command.channellifetime": "ChannelLifetime",
    "dcerpc.cn_rts_command.clientkeepalive": "ClientKeepalive",
    "dcerpc.cn_rts_command.version": "Version",
    "dcerpc.cn_rts_command.padding.conformancecount": "ConformanceCount",
    "dcerpc.cn_rts_command.addrtype": "AddressType",
    "dcerpc.cmd_client_ipv4": "ClientAddress",
    "dcerpc.cmd_client_ipv6": "ClientAddress",
    "dcerpc.cn_rts_command.associationgroupid": "AssociationGroupId",
    "dcerpc.cn_rts_command.forwarddestination": "Destination",
    "dcerpc.cn_rts_command.pingtrafficsentnotify": "PingTrafficSent",
}
VALUE_KEYS = set(TSHARK_VALUES.values())
TEXT_KEYS = {"ChannelCookie", "Cookie", "AssociationGroupId", "ClientAddress"}
NAME_RE = re.compile(r"Call: \d+, (.+)$")


def number(s):
    try:
        return int(s, 0)
    except (TypeError, ValueError):   # not a number: keep it as it is
        return s


def normal(key, v):
    """A command field's value in the compared form."""
    if v is None:
        return None
    if key == "ClientAddress":
        try:
            return str(ipaddress.ip_address(v))
        except ValueError:
            return str(v)
    if key in TEXT_KEYS:
        return str(v).lower()
    return number(v) if isinstance(v, str) else v


def name_key(n):
    """tshark writes "PingTrafficSentNotify", rpctrace "Ping Traffic Sent Notify"."""
    return n.replace(" ", "").lower()


def tshark_rts(proto):
    """{"flags", "count", "commands": [(type, {key: value})], "names": [..]} from a
    <proto name="dcerpc"> element of an RTS PDU."""
    out = {"flags": None, "count": None, "commands": [], "names": []}
    for f in proto.iter("field"):
        name = f.get("name")
        if name == "dcerpc.cn_rts_flags" and out["flags"] is None:
            out["flags"] = number(f.get("show"))
        elif name == "dcerpc.cn_rts_commands_nb" and out["count"] is None:
            out["count"] = number(f.get("show"))
        elif name == "dcerpc.cn_rts_command":
            values = {}
            for c in f.iter("field"):
                key = TSHARK_VALUES.get(c.get("name"))
                if key is not None:
                    values.setdefault(key, normal(key, c.get("show")))
            out["commands"].append((number(f.get("show")), values))
    m = NAME_RE.search(proto.get("showname") or "")
    if m and m.group(1).strip() != "unknown RTS PDU":
        out["names"] = [n.strip() for n in m.group(1).split(",") if n.strip()]
    return out


def rpctrace_rts(rec):
    """The same shape from an rpctrace "pdu" record of ptype rts."""
    commands = []
    for c in rec.get("rts_commands") or []:
        ctype = COMMAND_TYPES.get(c.get("command"), c.get("command"))
        commands.append((ctype, {k: normal(k, v) for k, v in c.items() if k in VALUE_KEYS}))
    return {"flags": rec.get("rts_flags"), "count": rec.get("number_of_commands"),
            "commands": commands, "names": list(rec.get("rts_names") or [])}


def type_text(t):
    if t is None:
        return None
    return COMMAND_NAMES.get(t, "0x%x" % t if isinstance(t, int) else str(t))


def compare_rts(t, r):
    """([(field, tshark value, rpctrace value)], fields compared) for two RTS shapes
    (tshark_rts, rpctrace_rts); either may be None (the tool decoded no RTS body)."""
    t = t or {"flags": None, "count": None, "commands": [], "names": []}
    r = r or {"flags": None, "count": None, "commands": [], "names": []}
    diffs, compared = [], 0

    def check(field, tv, rv):
        nonlocal compared
        compared += 1
        if tv != rv:
            diffs.append((field, tv, rv))

    check("rts_flags", t["flags"], r["flags"])
    check("rts_number_of_commands", t["count"], r["count"])
    for i in range(max(len(t["commands"]), len(r["commands"]))):
        tt, tvals = t["commands"][i] if i < len(t["commands"]) else (None, {})
        rt, rvals = r["commands"][i] if i < len(r["commands"]) else (None, {})
        check("rts_command[%d]" % i, type_text(tt), type_text(rt))
        if tt != rt:
            continue                       # the values of different commands: not compared
        for key in sorted(set(tvals) | set(rvals)):
            check("rts_command[%d].%s" % (i, key), tvals.get(key), rvals.get(key))
    if r["names"] and (t["names"] or t["count"] != 0):
        # tshark 4.0 throws on an RTS PDU with no command (Ping, Echo: its "RTS PDU: 0
        # commands" subtree starts at the PDU's end) before naming it: nothing to compare.
        tnames = {name_key(n) for n in t["names"]}
        compared += 1
        if not all(name_key(n) in tnames for n in r["names"]):
            diffs.append(("rts_name", ",".join(t["names"]) or "unknown RTS PDU",
                          ",".join(r["names"])))
    return diffs, compared


def self_test():
    """python3 rts_oracle.py: the reading and comparison on hand-made PDML and JSON."""
    import xml.etree.ElementTree as ET
    pdml = ET.fromstring(
        '<proto name="dcerpc" showname="DCE/RPC RPC-over-HTTP RTS, Fragment: Single, '
        'FragLen: 44, Call: 0, CONN/C1,CONN/C2">'
        '<field name="dcerpc.cn_rts_flags" show="0x0000">'
        '<field name="dcerpc.cn_rts.flags.ping" show="0"/></field>'
        '<field name="dcerpc.cn_rts_commands_nb" show="4"/>'
        '<field show="RTS PDU: 4 commands">'
        '<field name="dcerpc.cn_rts_command" show="0x00000006">'
        '<field name="dcerpc.cn_rts_command.version" show="0x00000001"/></field>'
        '<field name="dcerpc.cn_rts_command" show="0x00000000">'
        '<field name="dcerpc.cn_rts_command.receivewindowsize" show="0x00010000"/></field>'
        '<field name="dcerpc.cn_rts_command" show="0x00000002">'
        '<field name="dcerpc.cn_rts_command.connectiontimeout" show="120000"/></field>'
        '<field name="dcerpc.cn_rts_command" show="0x0000000b">'
        '<field name="dcerpc.cn_rts_command.addrtype" show="1"/>'
        '<field name="dcerpc.cmd_client_ipv6" show="fe80::1:2"/>'
        '<field name="dcerpc.cn_rts_command.padding.padding" show="00:00"/></field>'
        '</field></proto>')
    t = tshark_rts(pdml)
    assert t["flags"] == 0 and t["count"] == 4 and t["names"] == ["CONN/C1", "CONN/C2"], t
    assert t["commands"][3] == (11, {"AddressType": 1, "ClientAddress": "fe80::1:2"}), t
    rec = {"rts_flags": 0, "number_of_commands": 4, "rts_names": ["CONN/C2"],
           "rts_commands": [{"command": "Version", "Version": 1},
                            {"command": "ReceiveWindowSize", "ReceiveWindowSize": 65536},
                            {"command": "ConnectionTimeout", "ConnectionTimeout": 120000},
                            {"command": "ClientAddress", "AddressType": 1,
                             "ClientAddress": "FE80:0:0::1:2"}]}
    assert compare_rts(t, rpctrace_rts(rec)) == ([], 12), compare_rts(t, rpctrace_rts(rec))
    rec["rts_commands"][1]["ReceiveWindowSize"] = 65535
    rec["rts_names"] = ["CONN/A3"]
    diffs, n = compare_rts(t, rpctrace_rts(rec))
    assert [d[0] for d in diffs] == ["rts_command[1].ReceiveWindowSize", "rts_name"], diffs
    assert n == 12
    rec["rts_commands"][1] = {"command": "Cookie", "Cookie": "9A1D4C52-7E03-4F6B-8C21-5B0E6D3F7A10"}
    rec["rts_names"] = []
    diffs, n = compare_rts(t, rpctrace_rts(rec))
    assert diffs == [("rts_command[1]", "ReceiveWindowSize", "Cookie")] and n == 10, diffs
    assert rpctrace_rts(rec)["commands"][1][1] == {
        "Cookie": "9a1d4c52-7e03-4f6b-8c21-5b0e6d3f7a10"}
    # tshark stops at a command it cannot read (an exception): the rest are rpctrace's only.
    t["commands"] = t["commands"][:2]
    diffs, n = compare_rts(t, None)
    assert [d[0] for d in diffs] == ["rts_flags", "rts_number_of_commands", "rts_command[0]",
                                     "rts_command[1]"] and n == 4, diffs
    unknown = tshark_rts(ET.fromstring('<proto name="dcerpc" showname="RTS, Fragment: Single, '
                                       'FragLen: 28, Call: 0, unknown RTS PDU"/>'))
    assert unknown["names"] == [] and unknown["flags"] is None, unknown
    ping = tshark_rts(ET.fromstring('<proto name="dcerpc" showname="x, Call: 0, '
                                    'PingTrafficSentNotify"/>'))
    assert compare_rts(ping, {"flags": None, "count": None, "commands": [],
                              "names": ["Ping Traffic Sent Notify"]}) == ([], 3)
    # A Ping (flags 0x0001, no command): tshark throws before naming it.
    bare = {"flags": 1, "count": 0, "commands": [], "names": []}
    assert compare_rts(bare, dict(bare, names=["Ping"])) == ([], 2)
    print("rts_oracle self-test: ok")


if __name__ == "__main__":
    self_test()
