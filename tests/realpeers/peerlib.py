"""Shared machinery of the real-peer clients (clients.py): the recorder, the PduTap that
parses the connection-oriented PDUs a client writes and reads, call and bind helpers, the
endpoint mapper helpers, the SAMR/LSA call sequences and the expected-file writer."""

import argparse
import json
import os
import re
import socket
import struct
import sys
import time

from impacket.dcerpc.v5 import transport, epm, samr, lsad, lsat, mgmt, rpcrt, srvs
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
    """Ordered record of every bind and call, across all transports of a scenario, and of
    the SMB steps (negotiate, session setup, tree connect, create) of its SMB connections."""

    def __init__(self):
        self.binds = []
        self.calls = []
        self.smb = []               # one entry per SMB step, in the order the client made them
        self.smb_connections = []   # one entry per SMB connection (dialect, encryption, messages)


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
        self.extra = {}          # fields added to every bind and call record (pipe, SMB connection)
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
                r.update(self.extra)
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
                r.update(self.extra)
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
# SMB: the steps of an impacket SMBConnection, as the client observed them
# ---------------------------------------------------------------------------
SMB_DIALECT_NAMES = {0x0202: "SMB 2.0.2", 0x0210: "SMB 2.1", 0x0300: "SMB 3.0", 0x0302: "SMB 3.0.2",
                     0x0311: "SMB 3.1.1", "NT LM 0.12": "NT LM 0.12"}
SMB2_SESSION_FLAG_ENCRYPT_DATA = 0x0004
STATUS_OK = "0x00000000"

_NBT_PATCHED = []


def _count_nbt_messages():
    """Count, per NetBIOS session (= SMB connection), the messages the client sends and
    receives by their protocol id: 0xFF 'SMB' (SMB1), 0xFE 'SMB' (SMB2/3), 0xFD 'SMB'
    (SMB3 TRANSFORM_HEADER: encrypted). Patched once into impacket's NetBIOSTCPSession;
    the counts live on the session object (nbt._rpct_counts)."""
    if _NBT_PATCHED:
        return
    from impacket import nmb
    kinds = {b"\xffSMB": "smb1", b"\xfeSMB": "smb2", b"\xfdSMB": "transform", b"\xfcSMB": "compressed"}
    orig_send, orig_recv = nmb.NetBIOSTCPSession.send_packet, nmb.NetBIOSTCPSession.recv_packet

    def counts(sess):
        if not hasattr(sess, "_rpct_counts"):
            sess._rpct_counts = {"sent": {}, "received": {}}
            sess._rpct_depth = 0
        return sess._rpct_counts

    def bump(sess, way, data):
        k = kinds.get(bytes(data[:4]), "other")
        c = counts(sess)[way]
        c[k] = c.get(k, 0) + 1

    def send_packet(self, data):
        bump(self, "sent", data)
        return orig_send(self, data)

    def recv_packet(self, timeout=None):
        counts(self)
        self._rpct_depth += 1     # recv_packet calls itself to skip keep-alives: count once
        try:
            p = orig_recv(self, timeout)
        finally:
            self._rpct_depth -= 1
        if self._rpct_depth == 0:
            bump(self, "received", p.get_trailer())
        return p
    nmb.NetBIOSTCPSession.send_packet = send_packet
    nmb.NetBIOSTCPSession.recv_packet = recv_packet
    _NBT_PATCHED.append(True)


def _smb_error_code(e):
    for attr in ("getErrorCode", "get_error_code"):
        f = getattr(e, attr, None)
        if f is not None:
            try:
                return hexs(f())
            except Exception:
                pass
    return None


class SmbClient:
    """An impacket SMBConnection whose steps are recorded in rec.smb as the client observed
    them: negotiate (the dialect it got), session setup (account, NTSTATUS), tree connect
    (the UNC it sent, NTSTATUS), create of a pipe (the name given to impacket, the pipe,
    NTSTATUS). Each step says whether it travelled encrypted (SMB3 TRANSFORM_HEADER: the
    session or the tree asked for encryption and impacket encrypts whenever it can)."""

    def __init__(self, rec, a, preferred_dialect=None, timeout=10, label=None):
        from impacket.smbconnection import SMBConnection
        _count_nbt_messages()
        self.rec, self.a = rec, a
        self.index = len(rec.smb_connections) + 1
        self.info = {"connection": self.index, "server": a.server, "port": 445}
        if label:
            self.info["label"] = label
        rec.smb_connections.append(self.info)
        self.session_encrypted = False
        self.tree_encrypted = {}
        self.conn = SMBConnection(a.server, a.server, sess_port=445, timeout=timeout,
                                  preferredDialect=preferred_dialect)
        srv = self.conn.getSMBServer()
        nbt = getattr(srv, "_NetBIOSSession", None) or getattr(srv, "_sess", None)
        self.info["messages"] = nbt._rpct_counts if hasattr(nbt, "_rpct_counts") else {}
        d = self.conn.getDialect()
        self.info["dialect"] = SMB_DIALECT_NAMES.get(d, str(d))
        self.info["encrypted"] = False
        self.step("negotiate", STATUS_OK, dialect=self.info["dialect"])
        # the steps impacket's SMBTransport makes on a connection it is handed
        self._connectTree, self._openFile = self.conn.connectTree, self.conn.openFile
        self.conn.connectTree = self.connect_tree
        self.conn.openFile = self.open_file

    def sent(self):
        """Messages the client has sent on this connection so far."""
        return sum(self.info["messages"].get("sent", {}).values())

    def step(self, kind, status, encrypted=False, before=None, **fields):
        s = {"connection": self.index, "step": kind}
        s.update(fields)
        s["status"] = status
        s["encrypted"] = encrypted
        if before is not None and self.sent() == before:
            # impacket answered from its own state (SMB2: a share already connected is
            # reused), nothing went on the wire
            s["on_wire"] = False
        self.rec.smb.append(s)
        log("smb #%d %s %s -> %s%s%s" % (self.index, kind, " ".join(str(v) for v in fields.values()),
                                         status, " (encrypted)" if encrypted else "",
                                         " (nothing sent)" if s.get("on_wire") is False else ""))
        return s

    def login(self, user, password, domain):
        account = "%s\\%s" % (domain, user) if domain else user
        before = self.sent()
        try:
            self.conn.login(user, password, domain)
        except Exception as e:
            self.step("session_setup", _smb_error_code(e) or str(e), before=before, account=account,
                      error=str(e))
            raise
        srv = self.conn.getSMBServer()
        sess = getattr(srv, "_Session", None)
        if isinstance(sess, dict) and sess.get("SessionFlags", 0) & SMB2_SESSION_FLAG_ENCRYPT_DATA:
            self.session_encrypted = True
            self.info["encrypted"] = True
        self.step("session_setup", STATUS_OK, before=before, account=account)

    def unc(self, share):
        if share.startswith("\\\\"):
            return share
        return "\\\\%s\\%s" % (self.a.server, share)

    def connect_tree(self, share):
        unc = self.unc(share)
        enc = self.session_encrypted
        before = self.sent()
        try:
            tid = self._connectTree(share)
        except Exception as e:
            self.step("tree_connect", _smb_error_code(e) or str(e), encrypted=enc, before=before, share=unc,
                      error=str(e))
            raise
        srv = self.conn.getSMBServer()
        sess = getattr(srv, "_Session", None)
        if isinstance(sess, dict):
            entry = sess.get("TreeConnectTable", {}).get(tid, {})
            if entry.get("EncryptData"):
                self.tree_encrypted[tid] = True
                self.info["encrypted"] = True
        self.step("tree_connect", STATUS_OK, encrypted=enc, before=before, share=unc)
        return tid

    def open_file(self, tid, name, *args, **kwargs):
        enc = self.session_encrypted or self.tree_encrypted.get(tid, False)
        pipe = name if name.lower().startswith("\\pipe\\") else "\\pipe\\" + name.lstrip("\\")
        before = self.sent()
        try:
            fid = self._openFile(tid, name, *args, **kwargs)
        except Exception as e:
            self.step("create", _smb_error_code(e) or str(e), encrypted=enc, before=before, name=name,
                      pipe=pipe, error=str(e))
            raise
        self.step("create", STATUS_OK, encrypted=enc, before=before, name=name, pipe=pipe)
        return fid

    def close(self):
        for f in (self.conn.logoff, self.conn.close):
            try:
                f()
            except Exception:
                pass


def np_transport(rec, smbc, pipe, tap_name="ncacn_np", transact=None):
    """A DCE/RPC transport over \\pipe\\NAME on an SmbClient's (logged-in) connection, tapped."""
    # as impacket's DCERPCTransportFactory does for ncacn_np:HOST[\pipe\NAME]: filename \NAME
    name = pipe[len(r"\pipe"):] if pipe.lower().startswith("\\pipe\\") else pipe
    trans = transport.SMBTransport(smbc.a.server, filename=name, smb_connection=smbc.conn)
    if transact is not None:
        transact(trans, smbc)   # replaces send/recv before the tap wraps them
    dce = trans.get_dce_rpc()
    tap = PduTap(rec, trans, tap_name, 445)
    tap.extra = {"pipe": pipe, "smb_connection": smbc.index}
    if smbc.info.get("encrypted"):
        tap.extra["smb_encrypted"] = True    # the PDUs travel inside SMB3 TRANSFORM_HEADERs
    return trans, dce, tap


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
        rec.calls[-1]["retval_type"] = "error_status_t"
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
    rec.calls[-1]["retval_type"] = "error_status_t"
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


# Return codes: names of the codes the recordings meet, by the operation's return type.
RETVAL_NAMES = {
    "NTSTATUS": {0x00000000: "STATUS_SUCCESS", 0x00000107: "STATUS_SOME_NOT_MAPPED",
                 0xc0000002: "STATUS_NOT_IMPLEMENTED", 0xc0000022: "STATUS_ACCESS_DENIED",
                 0xc0000064: "STATUS_NO_SUCH_USER", 0xc0000066: "STATUS_NO_SUCH_GROUP",
                 0xc000006a: "STATUS_WRONG_PASSWORD", 0xc0000073: "STATUS_NONE_MAPPED"},
    "WERROR": {0x00000000: "ERROR_SUCCESS", 0x00000002: "ERROR_FILE_NOT_FOUND",
               0x00000005: "ERROR_ACCESS_DENIED", 0x00000008: "ERROR_NOT_ENOUGH_MEMORY",
               0x00000424: "ERROR_SERVICE_DOES_NOT_EXIST"},
    "error_status_t": {0x00000000: "rpc_s_ok", 0x16c9a0d6: "ept_s_not_registered"},
}


def annotate_retval(c, rtype):
    """retval_type and, when the table knows the code, retval_name on an answered call."""
    if c.get("outcome") != "response":
        return
    c["retval_type"] = rtype
    if c.get("retval", "").startswith("0x"):
        name = RETVAL_NAMES.get(rtype, {}).get(int(c["retval"], 16))
        if name:
            c["retval_name"] = name


def write_expected(a, scenario, rec, tool_override=None, **extra):
    out = {"scenario": scenario, "server": a.server, "client": a.client,
           "tool": tool_override or "impacket %s (python3-impacket, Debian 12)" % impacket_version()}
    out.update(extra)
    if rec.smb_connections:
        out["smb_connections"] = rec.smb_connections
        out["smb"] = rec.smb
    for c in rec.calls:
        if c.get("retval_type") and "retval_name" not in c:
            annotate_retval(c, c["retval_type"])
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
