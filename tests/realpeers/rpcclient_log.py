"""Samba rpcclient's "-d 10" log read back into the expected calls and binds (clients.py,
Kerberos scenario)."""

import re

from peerlib import PDU_NAMES, Recorder, hexs, log  # noqa: F401  (names the parser uses)

# ---------------------------------------------------------------------------
# rpcclient (Samba's own client, used for the Kerberos binds): it has no API to
# tap, so its expected file is parsed from its "-d 10" log, where it prints every
# ncacn_packet it sends ("&r: struct ncacn_packet") and receives
# ("state->pkt: struct ncacn_packet"), the "Bind RPC Pipe: ... auth_type T,
# auth_level L" line of each association and the NDR print of each call.
# ---------------------------------------------------------------------------

_RC_BLOCK = re.compile(r"^ {5}(\S.*?): struct (\w+)\s*$")
_RC_FIELD = re.compile(r"^\s+(\w+)\s+: (.*?)\s*$")
_RC_NUM = re.compile(r"\((-?\d+)\)\s*$")


def _rc_num(v):
    m = _RC_NUM.search(v)
    return int(m.group(1)) if m else None


def _rc_retval(v):
    m = re.match(r"^0x([0-9a-fA-F]{8}) \(", v)
    if m:
        return "0x" + m.group(1).lower()
    if v in ("NT_STATUS_OK", "WERR_OK"):
        return "0x00000000"
    return v


def parse_rpcclient_log(path, rec, label):
    port, auth = None, (0, 1)
    ctx = {}
    pending_bind, pending_call = {}, {}
    pending_name = None
    last_call = None
    cur = None
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    events = []
    for line in lines:
        m = re.match(r"^Connecting to (\S+) at port (\d+)", line)
        if m:
            cur = None
            events.append(("connect", int(m.group(2))))
            continue
        m = re.match(r"^Bind RPC Pipe: host (\S+) auth_type (\d+), auth_level (\d+)", line)
        if m:
            cur = None
            events.append(("auth", (int(m.group(2)), int(m.group(3)))))
            continue
        m = _RC_BLOCK.match(line)
        if m:
            cur = {"label": m.group(1), "struct": m.group(2), "fields": []}
            events.append(("block", cur))
            continue
        if cur is not None:
            fm = _RC_FIELD.match(line)
            if fm:
                cur["fields"].append((fm.group(1), fm.group(2)))
            elif line and not line[0].isspace() and not line.startswith("["):
                cur = None
    for kind, val in events:
        if kind == "connect":
            port, ctx = val, {}
            continue
        if kind == "auth":
            auth = val
            continue
        b = val
        f = b["fields"]
        get = lambda k: next((v for kk, v in f if kk == k), None)
        if b["struct"] == "ncacn_packet":
            ptype = _rc_num(get("ptype") or "")
            call_id = _rc_num(get("call_id") or "")
            sent = b["label"] == "&r"
            if sent and ptype in (11, 14):
                # one context item per bind in rpcclient
                uuid = None
                ver = None
                ctx_id = None
                for k, v in f:
                    if k == "context_id" and ctx_id is None:
                        ctx_id = _rc_num(v)
                    if k == "uuid" and uuid is None:
                        uuid = v.lower()
                    if k == "if_version" and ver is None:
                        n = _rc_num(v)
                        ver = "%d.%d" % (n & 0xffff, n >> 16)
                flags = _rc_num(get("pfc_flags") or "") or 0
                r = {"transport": "ncacn_ip_tcp", "port": port, "pdu": PDU_NAMES[ptype], "call_id": call_id,
                     "context_id": ctx_id, "interface": uuid, "version": ver,
                     "auth_type": auth[0], "auth_level": auth[1],
                     "max_xmit_frag": _rc_num(get("max_xmit_frag") or ""),
                     "max_recv_frag": _rc_num(get("max_recv_frag") or ""),
                     "pfc_flags": "0x%02x" % flags, "result": None, "run": label}
                rec.binds.append(r)
                pending_bind[call_id] = r
            elif not sent and ptype in (12, 15, 13):
                r = pending_bind.pop(call_id, None)
                if r is not None:
                    if ptype == 13:
                        r["result"], r["reason"] = "nak", _rc_num(get("reject_reason") or "")
                    else:
                        res = _rc_num(get("result") or "")
                        r["result"] = {0: "accepted", 1: "user_rejection", 2: "rejected"}.get(res, str(res))
                        r["result_code"] = res
                        r["reason"] = _rc_num(get("value") or "") or 0
                        r["ack_max_xmit_frag"] = _rc_num(get("max_xmit_frag") or "")
                        r["ack_max_recv_frag"] = _rc_num(get("max_recv_frag") or "")
                        if res == 0:
                            ctx[r["context_id"]] = r
                    r["answer_pdu"] = PDU_NAMES[ptype]
            elif sent and ptype == 0:
                if call_id in pending_call:
                    pending_call[call_id]["request_fragments"] += 1
                    continue
                ctx_id = _rc_num(get("context_id") or "")
                c = ctx.get(ctx_id, {})
                r = {"transport": "ncacn_ip_tcp", "port": port, "interface": c.get("interface", "unknown"),
                     "version": c.get("version", "?"), "context_id": ctx_id, "call_id": call_id,
                     "opnum": _rc_num(get("opnum") or ""), "auth_type": c.get("auth_type", auth[0]),
                     "auth_level": c.get("auth_level", auth[1]), "request_fragments": 1, "outcome": None,
                     "run": label}
                if pending_name:
                    r["name"] = pending_name
                    pending_name = None
                rec.calls.append(r)
                pending_call[call_id] = r
                last_call = r
            elif not sent and ptype in (2, 3):
                r = pending_call.get(call_id)
                if r is None:
                    continue
                r["response_fragments"] = r.get("response_fragments", 0) + 1
                if ptype == 3:
                    r["outcome"] = "fault"
                    st = _rc_num(get("status") or "")
                    r["status"] = hexs(st) if st is not None else None
                else:
                    r["outcome"] = "response"
                flags = _rc_num(get("pfc_flags") or "") or 0
                if flags & 2:
                    pending_call.pop(call_id, None)
        elif b["label"] == b["struct"]:
            # NDR print of a call: "<name>: struct <name>" then in:/out:
            pending_name = b["struct"]
            res = [v for k, v in f if k == "result"]
            if last_call is not None and last_call.get("name") == b["struct"] and res:
                last_call["retval"] = _rc_retval(res[-1])
                pending_name = None
    return rec
