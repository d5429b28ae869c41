#!/usr/bin/python3
"""DCE/RPC client scenarios for tests/realpeers/record.sh.

Run with Debian's /usr/bin/python3 (python3-impacket 0.10). Each subcommand drives
one scenario against the Samba AD DC that record.sh started, and writes
OUTDIR/<scenario>.expected.json: what the client really sent and received.

What goes into the expected file is not guessed from what the client meant to do:
every DCE/RPC transport the client opens is wrapped by a PduTap that parses the
connection-oriented PDUs the client writes and reads (bind / alter_context and
their answers, request / response / fault, with call_id, context id, opnum,
fragment flags, auth trailer), so "calls" and "binds" are what crossed the wire
as seen from the client socket. On top of that each call gets the impacket helper
or request name and the return value impacket decoded (retval).
"""

import argparse
import json
import os
import re
import socket
import struct
import sys
import time

from impacket.dcerpc.v5 import transport, epm, samr, lsad, lsat, mgmt, rpcrt
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.dcerpc.v5.dtypes import NULL, MAXIMUM_ALLOWED
from impacket.uuid import bin_to_string, uuidtup_to_bin

PDU_NAMES = {0: "request", 2: "response", 3: "fault", 11: "bind", 12: "bind_ack",
             13: "bind_nak", 14: "alter_context", 15: "alter_context_resp", 16: "auth3",
             17: "shutdown", 18: "co_cancel", 19: "orphaned", 20: "rts"}

LOG = []   # free-form lines, echoed to stderr as they happen


def log(msg):
    LOG.append(msg)
    print("  [client] " + msg, file=sys.stderr, flush=True)


def hexs(v):
    return "0x%08x" % (v & 0xffffffff)


def uuid_ver(b):
    """20-byte syntax id (uuid + u16 major + u16 minor) -> ('uuid', 'M.m')."""
    major, minor = struct.unpack("<HH", b[16:20])
    return bin_to_string(b[:16]).lower(), "%d.%d" % (major, minor)


class Recorder:
    """Ordered record of every bind and call, across all transports of a scenario."""

    def __init__(self):
        self.binds = []
        self.calls = []


class PduTap:
    """Wraps a DCERPCTransport's send/recv and parses the CO PDUs crossing it."""

    def __init__(self, rec, trans, transport_name, port):
        self.rec = rec
        self.transport_name = transport_name
        self.port = port
        self.ctx = {}            # ctx_id -> dict(interface, version, auth_type, auth_level)
        self.pending_bind = {}   # call_id -> list of bind records (one per ctx item)
        self.pending_call = {}   # call_id -> call record
        self.inbuf = b""
        self.sent_pdus = []
        self.recv_pdus = []
        self._send = trans.send
        self._recv = trans.recv
        trans.send = self.send
        trans.recv = self.recv

    # -- parsing helpers ------------------------------------------------------
    @staticmethod
    def header(pdu):
        (ver, minor, ptype, flags, drep, frag_len, auth_len, call_id) = struct.unpack("<BBBB4sHHL", pdu[:16])
        return ptype, flags, frag_len, auth_len, call_id

    @staticmethod
    def auth_trailer(pdu, auth_len):
        if not auth_len:
            return None, None
        frag_len = len(pdu)
        off = frag_len - auth_len - 8
        auth_type, auth_level = struct.unpack("<BB", pdu[off:off + 2])
        return auth_type, auth_level

    def send(self, data, *args, **kwargs):
        buf = bytes(data)
        while len(buf) >= 16:
            ptype, flags, frag_len, auth_len, call_id = self.header(buf)
            pdu, buf = buf[:frag_len], buf[frag_len:]
            self.on_sent(pdu)
        return self._send(data, *args, **kwargs)

    def recv(self, *args, **kwargs):
        data = self._recv(*args, **kwargs)
        if data:
            self.inbuf += bytes(data)
            while len(self.inbuf) >= 16:
                ptype, flags, frag_len, auth_len, call_id = self.header(self.inbuf)
                if frag_len < 16 or len(self.inbuf) < frag_len:
                    break
                pdu, self.inbuf = self.inbuf[:frag_len], self.inbuf[frag_len:]
                self.on_recv(pdu)
        return data

    # -- client -> server ------------------------------------------------------
    def on_sent(self, pdu):
        ptype, flags, frag_len, auth_len, call_id = self.header(pdu)
        self.sent_pdus.append(PDU_NAMES.get(ptype, str(ptype)))
        auth_type, auth_level = self.auth_trailer(pdu, auth_len)
        if ptype in (11, 14):   # bind, alter_context
            max_xmit, max_recv, assoc = struct.unpack("<HHL", pdu[16:24])
            n_ctx = pdu[24]
            off = 28
            recs = []
            for _ in range(n_ctx):
                ctx_id, n_ts = struct.unpack("<HB", pdu[off:off + 3])
                iface, ver = uuid_ver(pdu[off + 4:off + 24])
                ts, tsver = uuid_ver(pdu[off + 24:off + 44])
                off += 4 + 20 + 20 * n_ts
                r = {"transport": self.transport_name, "port": self.port,
                     "pdu": PDU_NAMES[ptype], "call_id": call_id, "context_id": ctx_id,
                     "interface": iface, "version": ver, "transfer_syntax": ts + " v" + tsver,
                     "auth_type": auth_type if auth_type is not None else 0,
                     "auth_level": auth_level if auth_level is not None else 1,
                     "max_xmit_frag": max_xmit, "max_recv_frag": max_recv,
                     "result": None}
                recs.append(r)
                self.rec.binds.append(r)
            self.pending_bind[call_id] = recs
        elif ptype == 0:   # request
            ctx_id, opnum = struct.unpack("<HH", pdu[20:24])
            if call_id not in self.pending_call:
                c = self.ctx.get(ctx_id, {})
                r = {"transport": self.transport_name, "port": self.port,
                     "interface": c.get("interface", "unknown"), "version": c.get("version", "?"),
                     "context_id": ctx_id, "call_id": call_id, "opnum": opnum,
                     "auth_type": c.get("auth_type", 0), "auth_level": c.get("auth_level", 1),
                     "request_fragments": 0, "outcome": None}
                if auth_len:
                    r["auth_type"], r["auth_level"] = auth_type, auth_level
                self.pending_call[call_id] = r
                self.rec.calls.append(r)
            self.pending_call[call_id]["request_fragments"] += 1

    # -- server -> client ------------------------------------------------------
    def on_recv(self, pdu):
        ptype, flags, frag_len, auth_len, call_id = self.header(pdu)
        self.recv_pdus.append(PDU_NAMES.get(ptype, str(ptype)))
        if ptype in (12, 15):   # bind_ack, alter_context_resp
            max_xmit, max_recv, assoc = struct.unpack("<HHL", pdu[16:24])
            sec_len = struct.unpack("<H", pdu[24:26])[0]
            off = 26 + sec_len
            off += (4 - off % 4) % 4
            n_res = pdu[off]
            off += 4
            recs = self.pending_bind.pop(call_id, [])
            for i in range(n_res):
                result, reason = struct.unpack("<HH", pdu[off:off + 4])
                ts, tsver = uuid_ver(pdu[off + 4:off + 24])
                off += 24
                if i < len(recs):
                    r = recs[i]
                    r["result"] = {0: "accepted", 1: "user_rejection", 2: "rejected"}.get(result, str(result))
                    r["result_code"] = result
                    r["reason"] = reason
                    r["answer_pdu"] = PDU_NAMES[ptype]
                    r["ack_max_xmit_frag"] = max_xmit
                    r["ack_max_recv_frag"] = max_recv
                    r["assoc_group"] = hexs(assoc)
                    if result == 0:
                        self.ctx[r["context_id"]] = {"interface": r["interface"], "version": r["version"],
                                                     "auth_type": r["auth_type"], "auth_level": r["auth_level"]}
        elif ptype == 13:   # bind_nak
            reason = struct.unpack("<H", pdu[16:18])[0]
            for r in self.pending_bind.pop(call_id, []):
                r["result"] = "nak"
                r["reason"] = reason
                r["answer_pdu"] = "bind_nak"
        elif ptype in (2, 3):
            r = self.pending_call.get(call_id)
            if r is None:
                # A fault answering a bind/alter_context (Samba does that for some auth errors).
                for b in self.pending_bind.pop(call_id, []):
                    b["result"] = "fault"
                    b["status"] = hexs(struct.unpack("<L", pdu[24:28])[0])
                    b["answer_pdu"] = "fault"
                return
            if ptype == 3:
                r["outcome"] = "fault"
                r["status"] = hexs(struct.unpack("<L", pdu[24:28])[0])
                r["response_fragments"] = r.get("response_fragments", 0) + 1
            else:
                r["outcome"] = "response"
                r["response_fragments"] = r.get("response_fragments", 0) + 1
                r["response_pdu_bytes"] = r.get("response_pdu_bytes", 0) + frag_len
            if flags & rpcrt.PFC_LAST_FRAG:
                del self.pending_call[call_id]


def tap_transport(rec, binding, port, transport_name, creds=None, timeout=None):
    trans = transport.DCERPCTransportFactory(binding)
    if creds is not None and hasattr(trans, "set_credentials"):
        trans.set_credentials(creds.user, creds.password, creds.domain)
    if timeout is not None:
        trans.set_connect_timeout(timeout)
    dce = trans.get_dce_rpc()
    tap = PduTap(rec, trans, transport_name, port)
    return trans, dce, tap


def do_call(rec, name, fn, *args, **kwargs):
    """Run one impacket call, annotate the record(s) the tap made for it."""
    before = len(rec.calls)
    result, err = None, None
    try:
        result = fn(*args, **kwargs)
    except DCERPCException as e:
        err = e
    except Exception as e:   # socket errors etc.
        err = e
    new = rec.calls[before:]
    for c in new:
        c["name"] = name
    if new:
        last = new[-1]
        if err is None:
            last["retval"] = "0x00000000"
        else:
            code = getattr(err, "error_code", None)
            if code is not None and last.get("outcome") == "response":
                last["retval"] = hexs(code)
            last["error"] = str(err)
        if last.get("outcome") is None:
            last["outcome"] = "none"
    log("%s -> %s%s" % (name, (new[-1].get("outcome") if new else "no PDU sent"),
                        (" " + str(err)) if err else ""))
    return result, err


def do_bind(rec, name, dce, iface, alter=False):
    before = len(rec.binds)
    err, newdce = None, None
    try:
        if alter:
            newdce = dce.alter_ctx(iface)
        else:
            dce.bind(iface)
            newdce = dce
    except Exception as e:
        err = e
    for b in rec.binds[before:]:
        b["name"] = name
        if err is not None:
            b["error"] = str(err)
    log("%s %s -> %s%s" % ("alter_ctx" if alter else "bind", name,
                          rec.binds[-1].get("result") if len(rec.binds) > before else "nothing sent",
                          (" " + str(err)) if err else ""))
    return newdce, err


class Creds:
    def __init__(self, a):
        self.user, self.password, self.domain = a.user, a.password, a.domain


# ---------------------------------------------------------------------------
# EPM helpers
# ---------------------------------------------------------------------------
def tower_info(tower_bytes):
    t = epm.EPMTower(tower_bytes)
    floors = t["Floors"]
    iface = floors[0]
    return {"interface": bin_to_string(iface["InterfaceUUID"]).lower(),
            "version": "%d.%d" % (iface["MajorVersion"], iface["MinorVersion"]),
            "binding": epm.PrintStringBinding(floors)}


def ept_lookup_all(rec, dce, max_ents=500):
    """ept_lookup, inquiry RPC_C_EP_ALL_ELTS, looping on entry_handle.

    Samba 4.17 answers every entry, returns a non-null handle, and answers the next
    call with status ept_s_not_registered (0x16c9a0d6) and no entries: that is the
    normal end of the listing here, not an error."""
    entries, ncalls = [], 0
    handle = epm.ept_lookup_handle_t()
    while True:
        req = epm.ept_lookup()
        req["inquiry_type"] = epm.RPC_C_EP_ALL_ELTS
        req["object"] = NULL
        req["Ifid"] = NULL
        req["vers_option"] = epm.RPC_C_VERS_ALL
        req["entry_handle"] = handle
        req["max_ents"] = max_ents
        ncalls += 1
        resp, err = do_call(rec, "ept_lookup", dce.request, req, checkError=False)
        if err is not None:
            break
        status = resp["status"]
        rec.calls[-1]["retval"] = hexs(status)
        for i in range(resp["num_ents"]):
            e = resp["entries"][i]
            info = tower_info(b"".join(e["tower"]["tower_octet_string"]))
            ann = b"".join(e["annotation"])
            ann = ann.split(b"\x00")[0].decode("utf-8", "replace")
            entries.append({"object": bin_to_string(e["object"]).lower(), "interface": info["interface"],
                            "version": info["version"], "annotation": ann, "binding": info["binding"]})
        rec.calls[-1]["entries"] = int(resp["num_ents"])
        handle = resp["entry_handle"]
        if status != 0 or handle.isNull():
            break
    return entries, ncalls


def ept_map(rec, dce, iface_bin, dest, protocol="ncacn_ip_tcp"):
    """ept_map of one interface (as impacket's hept_map, but keeping the raw tower)."""
    tower = epm.EPMTower()
    interface = epm.EPMRPCInterface()
    interface["InterfaceUUID"] = iface_bin[:16]
    interface["MajorVersion"] = struct.unpack("<H", iface_bin[16:18])[0]
    interface["MinorVersion"] = struct.unpack("<H", iface_bin[18:20])[0]
    ndr = uuidtup_to_bin(("8a885d04-1ceb-11c9-9fe8-08002b104860", "2.0"))
    dataRep = epm.EPMRPCDataRepresentation()
    dataRep["DataRepUuid"] = ndr[:16]
    dataRep["MajorVersion"] = struct.unpack("<H", ndr[16:18])[0]
    dataRep["MinorVersion"] = struct.unpack("<H", ndr[18:20])[0]
    protId = epm.EPMProtocolIdentifier()
    protId["ProtIdentifier"] = epm.FLOOR_RPCV5_IDENTIFIER
    if protocol == "ncacn_np":
        pipeName = epm.EPMPipeName()
        pipeName["PipeName"] = b"\x00"
        hostName = epm.EPMHostName()
        hostName["HostName"] = (dest + "\x00").encode()
        transportData = pipeName.getData() + hostName.getData()
    else:
        portAddr = epm.EPMPortAddr()
        portAddr["IpPort"] = 0
        hostAddr = epm.EPMHostAddr()
        hostAddr["Ip4addr"] = socket.inet_aton("0.0.0.0")
        transportData = portAddr.getData() + hostAddr.getData()
    tower["NumberOfFloors"] = 5
    tower["Floors"] = interface.getData() + dataRep.getData() + protId.getData() + transportData
    req = epm.ept_map()
    req["max_towers"] = 1
    req["map_tower"]["tower_length"] = len(tower)
    req["map_tower"]["tower_octet_string"] = tower.getData()
    req.fields["obj"].fields["ReferentID"] = 1
    req.fields["map_tower"].fields["ReferentID"] = 2
    resp, err = do_call(rec, "ept_map", dce.request, req, checkError=False)
    iface, ver = uuid_ver(iface_bin)
    out = {"interface": iface, "version": ver, "protocol": protocol}
    if err is not None:
        out["error"] = str(err)
        return out
    out["status"] = hexs(resp["status"])
    rec.calls[-1]["retval"] = hexs(resp["status"])
    if resp["num_towers"] < 1:
        return out
    raw = b"".join(resp["ITowers"][0]["Data"]["tower_octet_string"])
    info = tower_info(raw)
    t = epm.EPMTower(raw)
    out["tower_binding"] = info["binding"]       # as the server wrote it (host may be 0.0.0.0)
    if protocol == "ncacn_np":
        pipe = epm.EPMPipeName(t["Floors"][3].getData())["PipeName"].decode()[:-1]
        out["pipe"] = pipe
        out["binding"] = "ncacn_np:%s[%s]" % (dest, pipe)
    else:
        port = epm.EPMPortAddr(t["Floors"][3].getData())["IpPort"]
        out["port"] = port
        out["binding"] = "ncacn_ip_tcp:%s[%d]" % (dest, port)   # what impacket's hept_map returns
    return out


def map_over_135(rec, a, iface_bin):
    """ept_map for one interface on a connection of its own to TCP 135 (no auth)."""
    trans, dce, tap = tap_transport(rec, r"ncacn_ip_tcp:%s[135]" % a.server, 135, "ncacn_ip_tcp")
    dce.connect()
    do_bind(rec, "epmapper", dce, epm.MSRPC_UUID_PORTMAP)
    m = ept_map(rec, dce, iface_bin, a.server)
    dce.disconnect()
    return m


def ntlm_integrity_session(rec, a, creds, m, name, iface_bin, calls):
    """A connection to the port ept_map answered (m), NTLM at packet integrity, then calls."""
    if "port" not in m:
        return
    trans, dce, tap = tap_transport(rec, m["binding"], m["port"], "ncacn_ip_tcp", creds)
    dce.set_credentials(a.user, a.password, a.domain)
    dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
    dce.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
    dce.connect()
    d, err = do_bind(rec, name, dce, iface_bin)
    if err is None:
        calls(dce)
    dce.disconnect()


# ---------------------------------------------------------------------------
# SAMR / LSA call sequences
# ---------------------------------------------------------------------------
def samr_sequence(rec, dce, domain_name):
    r, err = do_call(rec, "SamrConnect5", samr.hSamrConnect5, dce)
    if err is not None:
        return
    server = r["ServerHandle"]
    do_call(rec, "SamrEnumerateDomainsInSamServer", samr.hSamrEnumerateDomainsInSamServer, dce, server)
    r, err = do_call(rec, "SamrLookupDomainInSamServer", samr.hSamrLookupDomainInSamServer, dce, server, domain_name)
    if err is None:
        sid = r["DomainId"]
        r, err = do_call(rec, "SamrOpenDomain", samr.hSamrOpenDomain, dce, server, domainId=sid)
        if err is None:
            dom = r["DomainHandle"]
            r, err = do_call(rec, "SamrEnumerateUsersInDomain", samr.hSamrEnumerateUsersInDomain, dce, dom)
            resp = r if err is None else getattr(err, "packet", None)
            if resp is not None:
                try:
                    rec.calls[-1]["users"] = sorted(u["Name"] for u in resp["Buffer"]["Buffer"])
                except Exception:
                    pass
            do_call(rec, "SamrCloseHandle", samr.hSamrCloseHandle, dce, dom)
    do_call(rec, "SamrCloseHandle", samr.hSamrCloseHandle, dce, server)


def lsa_sequence(rec, dce, names=("Administrator",)):
    r, err = do_call(rec, "LsarOpenPolicy2", lsad.hLsarOpenPolicy2, dce,
                     MAXIMUM_ALLOWED | lsat.POLICY_LOOKUP_NAMES)
    if err is not None:
        # Over ncacn_ip_tcp Samba refuses policy handles; try the handle-less
        # LsarLookupNames4 (what Windows uses over TCP) to record what happens.
        do_call(rec, "LsarLookupNames4", lsat.hLsarLookupNames4, dce, list(names))
        return
    pol = r["PolicyHandle"]
    r, err = do_call(rec, "LsarQueryInformationPolicy2", lsad.hLsarQueryInformationPolicy2, dce, pol,
                     lsad.POLICY_INFORMATION_CLASS.PolicyAccountDomainInformation)
    do_call(rec, "LsarLookupNames", lsat.hLsarLookupNames, dce, pol, list(names))
    do_call(rec, "LsarClose", lsad.hLsarClose, dce, pol)


def write_expected(a, scenario, rec, tool_override=None, **extra):
    out = {"scenario": scenario, "server": a.server, "client": a.client,
           "tool": tool_override or "impacket %s (python3-impacket, Debian 12)" % impacket_version()}
    out.update(extra)
    out["binds"] = rec.binds
    out["calls"] = rec.calls
    out.setdefault("notes", "")
    out["client_log"] = LOG
    path = os.path.join(a.out, scenario + ".expected.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")


def impacket_version():
    try:
        from impacket import version
        return version.version
    except Exception:
        return "?"


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------
def sc_epm_lookup(a):
    rec = Recorder()
    trans, dce, tap = tap_transport(rec, r"ncacn_ip_tcp:%s[135]" % a.server, 135, "ncacn_ip_tcp")
    dce.connect()
    do_bind(rec, "epmapper", dce, epm.MSRPC_UUID_PORTMAP)
    entries, n = ept_lookup_all(rec, dce)
    dce.disconnect()
    log("ept_lookup: %d entries in %d calls" % (len(entries), n))
    write_expected(a, "rp_epm_lookup", rec, endpoints=entries, ept_lookup_calls=n,
                   notes="ept_lookup inquiry_type=RPC_C_EP_ALL_ELTS, vers_option=RPC_C_VERS_ALL, max_ents=500, "
                         "looping on entry_handle. Samba 4.17 returns all entries with a non-null handle, then "
                         "answers the next call with status 0x16c9a0d6 (ept_s_not_registered) and 0 entries: "
                         "normal end of the listing (the call's retval). Bindings are epm.PrintStringBinding of "
                         "the tower as the server sent it: Samba writes host 0.0.0.0 in ncacn_ip_tcp/ncacn_http "
                         "towers and an empty NetBIOS host in ncacn_np towers.")


def sc_epm_map_samr(a):
    rec = Recorder()
    creds = Creds(a)
    m_samr = map_over_135(rec, a, samr.MSRPC_UUID_SAMR)

    maps = [m_samr]
    # SAMR on its dynamic port, NTLM at packet integrity.
    ntlm_integrity_session(rec, a, creds, m_samr, "samr", samr.MSRPC_UUID_SAMR,
                           lambda dce: samr_sequence(rec, dce, a.domain))
    write_expected(a, "rp_epm_map_samr", rec, epm_map=maps,
                   notes="ept_map over TCP 135 for SAMR (ncacn_ip_tcp tower), then a connection to "
                         "its dynamic port, NTLM (auth_type 10) at packet integrity (5): a healthy run "
                         "(Samba refuses LSA policy handles over TCP: that connection is in rp_errors). "
                         "retval is the NTSTATUS/return value impacket decoded from the response stub.")


def sc_np(a):
    rec = Recorder()
    creds = Creds(a)
    for pipe, iface, seq in ((r"\pipe\samr", samr.MSRPC_UUID_SAMR, "samr"),
                             (r"\pipe\lsarpc", lsad.MSRPC_UUID_LSAD, "lsa")):
        nb, nc = len(rec.binds), len(rec.calls)
        trans, dce, tap = tap_transport(rec, r"ncacn_np:%s[%s]" % (a.server, pipe), 445, "ncacn_np", creds)
        dce.connect()
        d, err = do_bind(rec, seq, dce, iface)
        if err is None:
            if seq == "samr":
                samr_sequence(rec, dce, a.domain)
            else:
                lsa_sequence(rec, dce)
        dce.disconnect()
        for r in rec.binds[nb:] + rec.calls[nc:]:
            r["pipe"] = pipe
    write_expected(a, "rp_np_samr", rec,
                   notes="ncacn_np over SMB (impacket SMBConnection, NTLM session setup as %s\\%s, SMB "
                         "encryption off on the server); DCE/RPC binds without RPC-level auth (auth_level 1): "
                         "the SMB session authenticates. First \\pipe\\samr then \\pipe\\lsarpc, "
                         "one SMB connection each." % (a.domain, a.user))


def sc_auth_levels(a):
    rec = Recorder()
    creds = Creds(a)
    m_samr = map_over_135(rec, a, samr.MSRPC_UUID_SAMR)
    port = m_samr.get("port")
    levels = [(rpcrt.RPC_C_AUTHN_LEVEL_NONE, "none"), (rpcrt.RPC_C_AUTHN_LEVEL_CONNECT, "connect"),
              (rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, "integrity"), (rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY, "privacy")]
    for level, lname in levels:
        trans, dce, tap = tap_transport(rec, r"ncacn_ip_tcp:%s[%d]" % (a.server, port), port, "ncacn_ip_tcp", creds)
        if level != rpcrt.RPC_C_AUTHN_LEVEL_NONE:
            dce.set_credentials(a.user, a.password, a.domain)
            dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
        dce.set_auth_level(level)
        dce.connect()
        d, err = do_bind(rec, "samr/" + lname, dce, samr.MSRPC_UUID_SAMR)
        if err is None:
            r, err = do_call(rec, "SamrConnect5", samr.hSamrConnect5, dce)
            if err is None:
                server = r["ServerHandle"]
                do_call(rec, "SamrEnumerateDomainsInSamServer", samr.hSamrEnumerateDomainsInSamServer, dce, server)
                do_call(rec, "SamrCloseHandle", samr.hSamrCloseHandle, dce, server)
            # the management interface on the same association, same auth level
            m, err2 = do_bind(rec, "mgmt/" + lname, dce, mgmt.MSRPC_UUID_MGMT, alter=True)
            if err2 is None:
                do_call(rec, "inq_if_ids", mgmt.hinq_if_ids, m)
        try:
            dce.disconnect()
        except Exception:
            pass
    write_expected(a, "rp_auth_levels", rec, epm_map=[m_samr],
                   notes="SAMR on its ncacn_ip_tcp dynamic port, one TCP connection per auth level: "
                         "none(1), connect(2), packet integrity(5), packet privacy(6), NTLM (auth_type 10) "
                         "for 2/5/6. After the SAMR calls, alter_context to mgmt (afa8bd80 v1.0) on the same "
                         "connection (impacket alter_ctx: new context id, same auth level, new auth context) "
                         "and inq_if_ids.")


def small_frag_bind(max_frag):
    """Make impacket's next bind/alter_context advertise max_xmit/recv_frag = max_frag."""
    orig = rpcrt.MSRPCBind

    class SmallBind(orig):
        def __init__(self, data=None, alignment=0):
            orig.__init__(self, data, alignment)
            if data is None:
                self["max_tfrag"] = max_frag
                self["max_rfrag"] = max_frag
    rpcrt.MSRPCBind = SmallBind
    return orig


def sc_errors(a):
    rec = Recorder()
    creds = Creds(a)
    sub = {}
    # (a) bind to an unknown interface on TCP 135
    unknown = uuidtup_to_bin(("6b2f0b9a-2f7e-4b2c-9d3e-5a1c0ffee001", "1.0"))
    trans, dce, tap = tap_transport(rec, r"ncacn_ip_tcp:%s[135]" % a.server, 135, "ncacn_ip_tcp")
    dce.connect()
    d, err = do_bind(rec, "unknown-uuid", dce, unknown)
    b = rec.binds[-1]
    sub["a_unknown_interface"] = {"interface": b["interface"], "version": b["version"],
                                  "answer_pdu": b.get("answer_pdu"), "result": b.get("result"),
                                  "result_code": b.get("result_code"), "reason": b.get("reason"),
                                  "impacket_error": str(err) if err else None}
    # (c) alter_context on the same connection: to epmapper (accepted), then a call on it
    d2, err = do_bind(rec, "epmapper(alter)", dce, epm.MSRPC_UUID_PORTMAP, alter=True)
    b = rec.binds[-1]
    sub["c_alter_context"] = {"interface": b["interface"], "version": b["version"], "context_id": b["context_id"],
                              "answer_pdu": b.get("answer_pdu"), "result": b.get("result"),
                              "reason": b.get("reason"), "impacket_error": str(err) if err else None}
    if err is None:
        # a call on the new context: ept_lookup of one entry
        req = epm.ept_lookup()
        req["inquiry_type"] = epm.RPC_C_EP_ALL_ELTS
        req["object"] = NULL
        req["Ifid"] = NULL
        req["vers_option"] = epm.RPC_C_VERS_ALL
        req["entry_handle"] = epm.ept_lookup_handle_t()
        req["max_ents"] = 1
        r, e = do_call(rec, "ept_lookup(max_ents=1)", d2.request, req, checkError=False)
        c = rec.calls[-1]
        sub["c_alter_context"]["call"] = {"opnum": c["opnum"], "context_id": c["context_id"],
                                          "outcome": c["outcome"], "status": c.get("status")}
        # a second alter_context on the same connection: mgmt
        d3, err = do_bind(rec, "mgmt(alter)", d2, mgmt.MSRPC_UUID_MGMT, alter=True)
        b = rec.binds[-1]
        sub["c_alter_context"]["second"] = {"interface": b["interface"], "context_id": b["context_id"],
                                            "result": b.get("result"), "reason": b.get("reason")}
        if err is None:
            do_call(rec, "inq_if_ids", mgmt.hinq_if_ids, d3)
        # (b) opnum out of range on the bound epmapper context
        def raw_call(opnum):
            d2.call(opnum, b"")
            return d2.recv()
        r, e = do_call(rec, "epmapper opnum 42 (out of range)", raw_call, 42)
        c = rec.calls[-1]
        sub["b_bad_opnum"] = {"interface": c["interface"], "opnum": c["opnum"], "outcome": c["outcome"],
                              "status": c.get("status"), "impacket_error": str(e) if e else None}
    dce.disconnect()

    # (d) fragmented response: advertise a small max_recv_frag, ask for a big answer.
    asked = 1024
    orig = small_frag_bind(asked)
    try:
        trans, dce, tap = tap_transport(rec, r"ncacn_ip_tcp:%s[135]" % a.server, 135, "ncacn_ip_tcp")
        dce.connect()
        d, err = do_bind(rec, "epmapper(small frag)", dce, epm.MSRPC_UUID_PORTMAP)
    finally:
        rpcrt.MSRPCBind = orig
    b = rec.binds[-1]
    entries, n = ept_lookup_all(rec, dce)
    first = [c for c in rec.calls if c["port"] == 135][-n]
    dce.disconnect()
    sub["d_fragmented_response"] = {"bind_max_xmit_frag": asked, "bind_max_recv_frag": asked,
                                    "ack_max_xmit_frag": b.get("ack_max_xmit_frag"),
                                    "ack_max_recv_frag": b.get("ack_max_recv_frag"),
                                    "call": first["name"], "opnum": first["opnum"],
                                    "entries": len(entries),
                                    "response_fragments": first.get("response_fragments"),
                                    "response_pdu_bytes": first.get("response_pdu_bytes"),
                                    "ept_lookup_calls": n}
    # (d') the same over a named pipe: SAMR user list with a small max_recv_frag
    orig = small_frag_bind(asked)
    try:
        trans, dce, tap = tap_transport(rec, r"ncacn_np:%s[\pipe\samr]" % a.server, 445, "ncacn_np", creds)
        dce.connect()
        d, err = do_bind(rec, "samr(small frag)", dce, samr.MSRPC_UUID_SAMR)
    finally:
        rpcrt.MSRPCBind = orig
    b = rec.binds[-1]
    if err is None:
        samr_sequence(rec, dce, a.domain)
        enum = [c for c in rec.calls if c.get("name") == "SamrEnumerateUsersInDomain"]
        if enum:
            sub["d_fragmented_response_np"] = {"ack_max_xmit_frag": b.get("ack_max_xmit_frag"),
                                               "ack_max_recv_frag": b.get("ack_max_recv_frag"),
                                               "call": "SamrEnumerateUsersInDomain", "opnum": enum[-1]["opnum"],
                                               "users": len(enum[-1].get("users", [])),
                                               "response_fragments": enum[-1].get("response_fragments"),
                                               "response_pdu_bytes": enum[-1].get("response_pdu_bytes")}
    dce.disconnect()
    # (e) LSA on its dynamic port over TCP: Samba refuses policy handles there (access denied).
    m_lsa = map_over_135(rec, a, lsad.MSRPC_UUID_LSAD)
    ntlm_integrity_session(rec, a, creds, m_lsa, "lsarpc", lsad.MSRPC_UUID_LSAD,
                           lambda dce: lsa_sequence(rec, dce))
    lsa_calls = [c for c in rec.calls if c["interface"] == "12345778-1234-abcd-ef00-0123456789ab"]
    sub["e_lsa_over_tcp"] = {"epm_map": m_lsa, "calls": [{"opnum": c["opnum"], "outcome": c["outcome"],
                                                          "status": c.get("status")} for c in lsa_calls]}
    write_expected(a, "rp_errors", rec, subcases=sub,
                   notes="(a) bind to an unknown interface on TCP 135; (c) alter_context to epmapper on the "
                         "same connection + ept_lookup on it, then alter_context to mgmt + inq_if_ids; (b) raw "
                         "request opnum 42 with empty stub on the epmapper context; (d) new association whose "
                         "bind advertises max_xmit_frag=max_recv_frag=1024, then ept_lookup(max_ents=500) whose "
                         "response is fragmented; (d') same on \\pipe\\samr with SamrEnumerateUsersInDomain; (e) "
                         "ept_map for LSA, then LSA on its dynamic port with NTLM at packet integrity: "
                         "Samba answers access denied (policy handles are refused over ncacn_ip_tcp).")


def sc_firewall_map(a):
    rec = Recorder()
    trans, dce, tap = tap_transport(rec, r"ncacn_ip_tcp:%s[135]" % a.server, 135, "ncacn_ip_tcp")
    dce.connect()
    do_bind(rec, "epmapper", dce, epm.MSRPC_UUID_PORTMAP)
    m = ept_map(rec, dce, samr.MSRPC_UUID_SAMR, a.server)
    dce.disconnect()
    state = {"epm_map": [m], "binds": rec.binds, "calls": rec.calls, "log": LOG}
    with open(os.path.join(a.out, ".rp_firewall.state.json"), "w") as f:
        json.dump(state, f)
    print(m.get("port", 0))


def sc_firewall_connect(a):
    rec = Recorder()
    spath = os.path.join(a.out, ".rp_firewall.state.json")
    with open(spath) as f:
        state = json.load(f)
    os.unlink(spath)
    LOG[:0] = state["log"]
    rec.binds = state["binds"]
    rec.calls = state["calls"]
    m = state["epm_map"][0]
    port = m["port"]
    trans, dce, tap = tap_transport(rec, m["binding"], port, "ncacn_ip_tcp", Creds(a), timeout=a.timeout)
    dce.set_credentials(a.user, a.password, a.domain)
    dce.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
    t0 = time.monotonic()
    err = None
    try:
        dce.connect()
        connected = True
    except Exception as e:
        connected, err = False, e
    waited = time.monotonic() - t0
    log("connect to %s -> %s after %.1f s" % (m["binding"], "connected" if connected else str(err), waited))
    if connected:
        dce.disconnect()
    write_expected(a, "rp_firewall", rec, epm_map=[m],
                   connect={"binding": m["binding"], "port": port, "connected": connected,
                            "error": str(err) if err else None, "timeout_s": a.timeout,
                            "waited_s": round(waited, 1)},
                   notes="ept_map for SAMR over TCP 135 answered; then an nftables rule in the server namespace "
                         "drops TCP SYNs to the returned port; the client's connect() to that port times out "
                         "after %s s (the capture shows the SYN and its retransmissions, no answer)." % a.timeout)



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


def sc_kerberos_expected(a):
    rec = Recorder()
    runs = []
    for spec in a.log:
        label, path, binding, command, rc = spec.split("|", 4)
        parse_rpcclient_log(path, rec, label)
        runs.append({"run": label, "binding": binding, "commands": command, "exit_code": int(rc)})
    write_expected(a, "rp_kerberos", rec, runs=runs, tool_override="rpcclient (Samba 4.17, Debian 12)",
                   notes="kinit Administrator@RPCTEST.LAN (AS exchange on TCP 88, in the capture), then "
                         "Samba's rpcclient with --use-kerberos=required and that ccache, binding "
                         "ncacn_ip_tcp:rpcdc.rpctest.lan[...]: rpcclient first does ept_map on TCP 135 "
                         "(no auth), then a TGS exchange for host/rpcdc.rpctest.lan on TCP 88, then binds on "
                         "the dynamic port. Without 'spnego' in the binding options rpcclient uses "
                         "auth_type 16 (raw Kerberos, bind/bind_ack/auth3); with 'spnego' auth_type 9 "
                         "(SPNEGO: bind/bind_ack/alter_context/alter_context_resp). Calls and binds are "
                         "parsed from rpcclient -d 10 (its NDR print of every PDU it sent/received).")


def sc_probe(a):
    """One readiness attempt (record.sh loops): TCP 135 + ept_map SAMR + SMB login. Exit 0 when all work."""
    from impacket.smbconnection import SMBConnection
    try:
        trans = transport.DCERPCTransportFactory(r"ncacn_ip_tcp:%s[135]" % a.server)
        trans.set_connect_timeout(2)
        dce = trans.get_dce_rpc()
        dce.connect()
        binding = epm.hept_map(a.server, samr.MSRPC_UUID_SAMR, protocol="ncacn_ip_tcp", dce=dce)
        dce.disconnect()
        smb = SMBConnection(a.server, a.server, sess_port=445, timeout=2)
        smb.login(a.user, a.password, a.domain)
        smb.logoff()
        smb.close()
    except Exception as e:
        print("not ready: %s" % e)
        sys.exit(1)
    print("ready: samr at %s" % binding)


def sc_mkusers(a):
    """Offline, before samba starts: add N plain users to the new domain (record.sh)."""
    from samba.samdb import SamDB
    from samba.param import LoadParm
    from samba.auth import system_session
    lp = LoadParm()
    lp.load(a.smbconf)
    db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
    for i in range(a.count):
        db.newuser("rpuser%03d" % i, "Rpct3st!User%03d" % i, givenname="Rp", surname="User %03d" % i)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["epm_lookup", "epm_map_samr", "np", "auth_levels", "errors",
                                        "firewall_map", "firewall_connect", "kerberos_expected", "mkusers",
                                        "probe"])
    p.add_argument("--server", default="10.213.7.1")
    p.add_argument("--client", default="10.213.7.2")
    p.add_argument("--out", default=".")
    p.add_argument("--smbconf", help="mkusers: the DC's smb.conf")
    p.add_argument("--count", type=int, default=60, help="mkusers: how many users")
    p.add_argument("--user", default="Administrator")
    p.add_argument("--password", default="")
    p.add_argument("--log", action="append", default=[],
                   help="kerberos_expected: LABEL|LOGFILE|BINDING|COMMANDS|EXITCODE, one per rpcclient run")
    p.add_argument("--domain", default="RPCTEST")
    p.add_argument("--timeout", type=float, default=8.0)
    a = p.parse_args()
    {"epm_lookup": sc_epm_lookup, "epm_map_samr": sc_epm_map_samr, "np": sc_np,
     "auth_levels": sc_auth_levels, "errors": sc_errors, "firewall_map": sc_firewall_map,
     "firewall_connect": sc_firewall_connect, "kerberos_expected": sc_kerberos_expected,
     "mkusers": sc_mkusers, "probe": sc_probe}[a.scenario](a)


if __name__ == "__main__":
    main()
