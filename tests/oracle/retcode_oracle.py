"""Return codes of responses, from tshark's PDML and from rpctrace's JSON, and their
comparison (used by compare_tshark.py; design notes in docs/oracle.md).

tshark's interface dissectors (pidl-generated and hand-written alike) end a response's
dissection with the method's return value as a field directly under the interface's proto
element: samr.status, lsarpc.status, netlogon.rc, svcctl.rc, winreg.werror, srvsvc.werror,
spoolss.rc, epm.rc, mgmt.rc, drsuapi.rc, dcom.hresult (in every DCOM interface's proto), ...
Fields of the same names deeper in the tree are not return values (a DCOM RemQueryInterface
response carries one dcom.hresult per REMQIRESULT, ISystemActivator a ReturnValue inside its
properties, DRSUAPI a status per cracked name), so only depth-1 fields count, and of those
the last: the return value is the last thing the stub carries.

rpctrace reads the last four octets of the complete (fragment-joined) unsealed response stub
when the operation's IDL return type (src/dcerpc/data/operations.tsv, `returns`) is NTSTATUS,
WERROR, HRESULT or error_status_t, and reports it as "return_code" on the PDU that completes
the call, where tshark shows the reassembled stub too.
"""
import collections
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
OPERATIONS = os.path.join(HERE, "..", "..", "src", "dcerpc", "data", "operations.tsv")

# Protos (PDML names) of tshark 4.0's DCE/RPC interface dissectors that decode a return
# value (they own a field "<abbrev>.status|rc|werror|hresult" in `tshark -G fields`, or are
# DCOM interfaces ending with dcom.hresult). compare_tshark.py adds them to tshark's -J so
# that their fields are in the same PDML pass; an absent name costs nothing.
RETURN_PROTOS = (
    "samr lsarpc rpc_netlogon svcctl winreg srvsvc wkssvc spoolss iremotewinspool drsuapi "
    "eventlog dssetup atsvc mgmt efs initshutdown frsrpc frstrans netdfs dnsserver fsrvp "
    "witness clusapi messenger rpc_browser tapi budb butc conv mapi nspi rfr "
    "remact oxid remunk remunk2 isystemactivator dispatch typeinfo provideclassinfo").split()
# The return value's field: "<abbrev>.<word>" (two components). netlogon also has
# netlogon.dos.rc and netlogon.werr.rc for the methods returning a Win32 error.
RETURN_FIELD = re.compile(r"^[a-z0-9_]+\.(status|rc|werror|hresult|MAPISTATUS_status)$"
                          r"|^netlogon\.(dos|werr)\.rc$")
STATUS_KINDS = {"NTSTATUS", "WERROR", "HRESULT", "error_status_t"}


def tshark_return_code(proto):
    """(field name, value) of the return value tshark decoded in an interface's
    <proto> element, or None."""
    found = None
    for f in proto:   # depth 1 only, document order: keep the last
        if f.tag == "field" and RETURN_FIELD.match(f.get("name", "")):
            try:
                found = (f.get("name"), int(f.get("show"), 0) & 0xFFFFFFFF)
            except (TypeError, ValueError):
                pass
    return found


def load_returns(path=OPERATIONS):
    """{(interface uuid, opnum): returns} from operations.tsv ({} when it is absent)."""
    table, header = {}, None
    if not os.path.exists(path):
        return table
    with open(path) as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            row = dict(zip(header, cols))
            try:
                table[(row["uuid"].lower(), int(row["opnum"]))] = row.get("returns", "")
            except (KeyError, ValueError):
                continue
    return table


def rpctrace_return_code(rec, returns):
    """From a rpctrace PDU record: {"value", "kind", "interface", "returns", "sealed"} (value
    and kind None when the record has no return_code; returns: the operation's `returns`
    from the table, or None when rpctrace does not know the interface and opnum)."""
    rc = rec.get("return_code") or {}
    iface = rec.get("interface") or {}
    uuid, opnum = (iface.get("uuid") or "").lower(), rec.get("opnum")
    return {"value": rc.get("value"), "kind": rc.get("kind"),
            "interface": iface.get("name") or (uuid or None),
            "returns": returns.get((uuid, opnum)) if uuid and opnum is not None else None,
            "sealed": bool(rec.get("stub_encrypted"))}


class Tally:
    """Counts over the paired responses of one capture, in total and per interface, and
    why one tool had a value and the other none."""
    KEYS = ("compared", "agree", "differ", "tshark_only", "rpctrace_only")

    def __init__(self):
        self.total = dict.fromkeys(self.KEYS, 0)
        self.by_interface = {}
        self.why = collections.Counter()   # (tshark_only|rpctrace_only, reason) -> count

    def add(self, interface, key, why=None):
        per = self.by_interface.setdefault(interface or "?", dict.fromkeys(self.KEYS, 0))
        for k in (key, "compared") if key in ("agree", "differ") else (key,):
            self.total[k] += 1
            per[k] += 1
        if why:
            self.why[(key, why)] += 1

    def line(self, counts=None):
        c = counts or self.total
        return "compared %d, agree %d, differ %d, tshark only %d, rpctrace only %d" % tuple(
            c[k] for k in self.KEYS)


def compare_return_code(t, r, tally):
    """Compare a paired response's return codes; count it in tally and return the
    disagreements [(field, tshark, rpctrace)]. t["return_code"]: (field, value) or absent,
    t["stub_proto"]: the interface proto tshark put after the PDU, if any;
    r["return_code"]: as rpctrace_return_code().

    agree/differ: both have a value (a difference is a disagreement). tshark_only: rpctrace
    has none, a disagreement when the operation's `returns` is a status type and the stub is
    not sealed (rpctrace should have read it); otherwise by design: the stub is sealed and
    tshark decrypted it (rpctrace never decrypts), the table says the method returns 'other'
    or 'void', or rpctrace does not know the operation. rpctrace_only: tshark shows no return
    field (no stub decode, or its dissector does not decode that operation's response):
    tshark has nothing to compare with."""
    if t["ptype"] != 2:
        return []
    tv, rinfo = t.get("return_code"), r.get("return_code") or {}
    rv = rinfo.get("value")
    iface = rinfo.get("interface") or (tv and tv[0].split(".")[0])
    if tv is None and rv is None:
        return []
    if tv is not None and rv is not None:
        same = tv[1] == rv
        tally.add(iface, "agree" if same else "differ")
        if same:
            return []
        return [("return_code", "0x%08x (%s)" % (tv[1], tv[0]),
                 "0x%08x (%s %s)" % (rv, rinfo.get("kind"), rinfo.get("interface")))]
    if rv is None:
        returns = rinfo.get("returns")
        if rinfo.get("sealed"):
            why = "sealed stub tshark decrypted (rpctrace does not decrypt)"
        elif returns in STATUS_KINDS:
            why = "rpctrace read no %s" % returns
        elif returns:
            why = "method returns %s in operations.tsv" % returns
        else:
            why = "operation not in operations.tsv"
        tally.add(iface, "tshark_only", why)
        if returns in STATUS_KINDS and not rinfo.get("sealed"):   # rpctrace should have one
            return [("return_code", "0x%08x (%s)" % (tv[1], tv[0]),
                     "none (%s returns %s)" % (rinfo.get("interface"), returns))]
        return []
    proto = t.get("stub_proto")
    tally.add(iface, "rpctrace_only", "tshark's %s shows no return field" % proto if proto
              else "tshark shows no stub decode")
    return []


def self_test():
    """python3 retcode_oracle.py: the field selection on hand-made PDML."""
    import xml.etree.ElementTree as ET
    remunk = ET.fromstring(
        '<proto name="remunk2"><field name="remunk.opnum" show="3"/>'
        '<field name="remunk.qiresult" show=""><field name="dcom.hresult" show="0x80004002"/>'
        '</field><field name="dcom.hresult" show="0x00000000"/></proto>')
    assert tshark_return_code(remunk) == ("dcom.hresult", 0), tshark_return_code(remunk)
    samr = ET.fromstring(
        '<proto name="samr"><field name="" show="x"><field name="samr.samr_ValidatePassword'
        'RepCtr.status" show="5"/></field><field name="samr.status" show="0xc0000022"/></proto>')
    assert tshark_return_code(samr) == ("samr.status", 0xC0000022)
    netlogon = ET.fromstring('<proto name="rpc_netlogon"><field name="netlogon.dos.rc" '
                             'show="0x00000005"/></proto>')
    assert tshark_return_code(netlogon) == ("netlogon.dos.rc", 5)
    nested = ET.fromstring('<proto name="drsuapi"><field name="" show="ctr">'
                           '<field name="drsuapi.rc" show="0x1"/></field></proto>')
    assert tshark_return_code(nested) is None
    tally = Tally()
    t = {"ptype": 2, "return_code": ("samr.status", 0xC0000022)}
    r = {"return_code": {"value": 0xC0000022, "kind": "NTSTATUS", "interface": "SAMR"}}
    assert compare_return_code(t, r, tally) == [] and tally.total["agree"] == 1
    r["return_code"]["value"] = 0
    assert compare_return_code(t, r, tally)[0][0] == "return_code"
    r["return_code"].update(value=None, returns="NTSTATUS", sealed=True)
    assert compare_return_code(t, r, tally) == []          # tshark decrypted, rpctrace cannot
    r["return_code"]["sealed"] = False
    assert compare_return_code(t, r, tally)[0][2].startswith("none")
    r["return_code"]["returns"] = "other"
    assert compare_return_code(t, r, tally) == []
    assert tally.total == {"compared": 2, "agree": 1, "differ": 1, "tshark_only": 3,
                           "rpctrace_only": 0}, tally.total
    print("retcode_oracle self-test: ok")


if __name__ == "__main__":
    self_test()
