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
import os
import sys

from peerlib import *  # noqa: F401,F403  (the recorder, helpers and Impacket modules)
from rpcclient_log import parse_rpcclient_log


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


# ---------------------------------------------------------------------------
# Named pipes: services, refusals, SMB3 encryption, SMB1
# ---------------------------------------------------------------------------
def share_names(resp):
    try:
        return [s["shi1_netname"].rstrip("\x00") for s in resp["InfoStruct"]["ShareInfo"]["Level1"]["Buffer"]]
    except Exception:
        return None


def srvsvc_share_enum(rec, dce):
    r, err = do_call(rec, "NetrShareEnum(level 1)", srvs.hNetrShareEnum, dce, 1)
    if err is None:
        rec.calls[-1]["shares"] = share_names(r)
    return r, err


def sc_np_services(a):
    """srvsvc and epmapper over named pipes: one SMB connection, both pipes open at once."""
    rec = Recorder()
    smbc = SmbClient(rec, a)
    smbc.login(a.user, a.password, a.domain)
    t1, srv, _ = np_transport(rec, smbc, r"\pipe\srvsvc")
    srv.connect()
    do_bind(rec, "srvsvc", srv, srvs.MSRPC_UUID_SRVS)
    t2, ep, _ = np_transport(rec, smbc, r"\pipe\epmapper")
    ep.connect()
    do_bind(rec, "epmapper", ep, epm.MSRPC_UUID_PORTMAP)
    srvsvc_share_enum(rec, srv)
    entries, n = ept_lookup_all(rec, ep)
    maps = [ept_map(rec, ep, samr.MSRPC_UUID_SAMR, a.server),
            ept_map(rec, ep, samr.MSRPC_UUID_SAMR, a.server, protocol="ncacn_np")]
    r, err = do_call(rec, "NetrServerGetInfo(level 101)", srvs.hNetrServerGetInfo, srv, 101)
    if err is None:
        rec.calls[-1]["server_name"] = r["InfoStruct"]["ServerInfo101"]["sv101_name"].rstrip("\x00")
    ep.disconnect()
    srv.disconnect()
    smbc.close()
    log("ept_lookup over \\pipe\\epmapper: %d entries in %d calls" % (len(entries), n))
    write_expected(a, "rp_np_services", rec, endpoints=entries, ept_lookup_calls=n, epm_map=maps,
                   notes="One SMB connection (impacket SMBConnection, SMB 3.0, NTLM session setup as "
                         "%s\\%s, signed, not encrypted); \\pipe\\srvsvc and \\pipe\\epmapper opened "
                         "one after the other on IPC$ (a tree connect each: impacket's SMBTransport "
                         "connects IPC$ per pipe) and both kept open; binds without RPC-level auth; "
                         "then, interleaved: NetrShareEnum level 1 on srvsvc, ept_lookup (all elements, "
                         "max_ents 500, looping on the entry handle) and ept_map for SAMR (an ncacn_ip_tcp "
                         "tower, then an ncacn_np tower) on epmapper, NetrServerGetInfo level 101 on "
                         "srvsvc. 'smb' lists the SMB steps the client made with the NTSTATUS it got."
                         % (a.domain, a.user))


def sc_np_refused(a):
    """What SMB refuses before any DCE/RPC: a pipe nobody serves, shares that do not exist or
    are denied, a wrong password."""
    rec = Recorder()
    smbc = SmbClient(rec, a, label="logged in; refused create and tree connects")
    smbc.login(a.user, a.password, a.domain)
    tid = smbc.conn.connectTree("IPC$")
    for pipe in (r"\nosuchpipe",):
        try:
            smbc.conn.openFile(tid, pipe)
        except Exception:
            pass
    smbc.conn.disconnectTree(tid)
    for share in ("nosuchshare", a.denied_share):
        try:
            t = smbc.conn.connectTree(share)
            smbc.conn.disconnectTree(t)
        except Exception:
            pass
    smbc.close()
    bad = SmbClient(rec, a, label="wrong password")
    try:
        bad.login(a.user, a.password + "-wrong", a.domain)
    except Exception:
        pass
    bad.close()
    write_expected(a, "rp_np_refused", rec,
                   notes="Connection 1 (SMB 3.0, logged in as %s\\%s): tree connect IPC$, create of "
                         "\\nosuchpipe (no service has that pipe), tree disconnect; tree connect to "
                         "\\\\%s\\nosuchshare (no such share) and to \\\\%s\\%s (a share whose 'valid users' "
                         "leaves the account out). Connection 2: session setup with a wrong password. "
                         "No DCE/RPC PDU is sent. 'smb' lists the steps with the NTSTATUS the client got."
                         % (a.domain, a.user, a.server, a.server, a.denied_share))


def sc_np_encrypted(a):
    """SMB3 with encryption: the server requires it for this client address (record.sh)."""
    rec = Recorder()
    smbc = SmbClient(rec, a)
    smbc.login(a.user, a.password, a.domain)
    t1, srv, _ = np_transport(rec, smbc, r"\pipe\srvsvc")
    srv.connect()
    d, err = do_bind(rec, "srvsvc", srv, srvs.MSRPC_UUID_SRVS)
    if err is None:
        srvsvc_share_enum(rec, srv)
    srv.disconnect()
    t2, lsa, _ = np_transport(rec, smbc, r"\pipe\lsarpc")
    lsa.connect()
    d, err = do_bind(rec, "lsarpc", lsa, lsad.MSRPC_UUID_LSAD)
    if err is None:
        lsa_sequence(rec, lsa)
    lsa.disconnect()
    smbc.close()
    write_expected(a, "rp_np_encrypted", rec,
                   notes="SMB 3.0 from the client's second address %s, for which the server's smb.conf "
                         "includes 'server smb encrypt = required' (record.sh): negotiate and session "
                         "setup in clear, everything after in SMB2 TRANSFORM_HEADERs (AES-128-CCM). "
                         "\\pipe\\srvsvc: NetrShareEnum level 1; \\pipe\\lsarpc: LsarOpenPolicy2, "
                         "QueryInformationPolicy2, LookupNames, Close. Binds and calls marked "
                         "smb_encrypted travelled encrypted; smb_connections[].messages counts the "
                         "NetBIOS messages the client sent and received by protocol id ('transform' = "
                         "encrypted)." % a.client)


def transact_pipe(trans, smbc):
    """SMB1: each DCE/RPC PDU the client writes goes out in a TRANSACTION TransactNmPipe (the
    answer comes back in its response) instead of WRITE_ANDX + READ_ANDX."""
    answers = []

    def send(data, forceWriteAndx=0, forceRecv=0):
        tid, fid = trans._SMBTransport__tid, trans._SMBTransport__handle
        answers.append(smbc.conn.getSMBServer().TransactNamedPipe(tid, fid, data))

    def recv(forceRecv=0, count=0):
        return answers.pop(0)
    trans.send, trans.recv = send, recv


def sc_np_smb1(a):
    from impacket import smb
    rec = Recorder()
    smbc = SmbClient(rec, a, preferred_dialect=smb.SMB_DIALECT)
    smbc.login(a.user, a.password, a.domain)
    t1, d1, _ = np_transport(rec, smbc, r"\pipe\samr")
    d1.connect()
    d, err = do_bind(rec, "samr", d1, samr.MSRPC_UUID_SAMR)
    if err is None:
        samr_sequence(rec, d1, a.domain)
    d1.disconnect()
    t2, d2, _ = np_transport(rec, smbc, r"\pipe\lsarpc", transact=transact_pipe)
    d2.connect()
    d, err = do_bind(rec, "lsarpc", d2, lsad.MSRPC_UUID_LSAD)
    if err is None:
        lsa_sequence(rec, d2)
    d2.disconnect()
    smbc.close()
    write_expected(a, "rp_np_smb1", rec,
                   notes="SMB1 (impacket SMBConnection with preferredDialect 'NT LM 0.12'; the server "
                         "allows it with 'server min protocol = NT1'), extended security NTLM session "
                         "setup as %s\\%s, signed. \\pipe\\samr (NT_CREATE_ANDX): SAMR sequence with "
                         "each PDU written with WRITE_ANDX and read with READ_ANDX (impacket's SMB1 "
                         "SMBTransport); \\pipe\\lsarpc: LSA sequence with each PDU in a TRANSACTION "
                         "TransactNmPipe whose response carries the answer." % (a.domain, a.user))


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
    with open(os.path.join(a.out, ".%s.state.json" % a.scenario_name), "w") as f:
        json.dump(state, f)
    print(m.get("port", 0))


def sc_firewall_connect(a):
    rec = Recorder()
    spath = os.path.join(a.out, ".%s.state.json" % a.scenario_name)
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
    if a.scenario_name == "rp_fw_reject":
        notes = ("ept_map for SAMR over TCP 135 answered; then an nftables rule in the server namespace "
                 "rejects TCP SYNs to the returned port with a TCP reset (reject with tcp reset); the "
                 "client's connect() to that port fails at once (the capture shows the SYN and the RST/ACK "
                 "the firewall sent in the server's name). SAMR is listening on that port all along.")
    else:
        notes = ("ept_map for SAMR over TCP 135 answered; then an nftables rule in the server namespace "
                 "drops TCP SYNs to the returned port; the client's connect() to that port times out "
                 "after %s s (the capture shows the SYN and its retransmissions, no answer)." % a.timeout)
    write_expected(a, a.scenario_name, rec, epm_map=[m],
                   connect={"binding": m["binding"], "port": port, "connected": connected,
                            "error": str(err) if err else None, "timeout_s": a.timeout,
                            "waited_s": round(waited, 1), "firewall": a.firewall},
                   notes=notes)


# ---------------------------------------------------------------------------
# Return codes: calls the server answers with an error in the response stub (NTSTATUS,
# WERROR), a fault, a refused bind or no connection at all. retval is the value impacket
# decoded (the stub's last 4 bytes); retval_type the IDL return type of the operation and
# retval_name the code's name in that type (our table: impacket's own text for a WERROR is
# often the name of an RPC status with the same number).
# ---------------------------------------------------------------------------
def rcall(rec, name, rtype, fn, *args, **kwargs):
    """do_call, then the return type and name of the code on the call's record."""
    r, err = do_call(rec, name, fn, *args, **kwargs)
    if rec.calls and rec.calls[-1].get("name") == name:
        annotate_retval(rec.calls[-1], rtype)
    return r, err


def raw_request(dce, opnum, stub=b""):
    """A request impacket has no NDR for: opnum and stub as given (here: to get a fault)."""
    dce.call(opnum, stub)
    return dce.recv()


def np_session(rec, a, pipe, iface, name):
    """A named pipe on an SMB connection of its own (impacket's SMBTransport), bound without
    RPC-level auth; every bind and call on it carries the pipe's name."""
    trans, dce, tap = tap_transport(rec, r"ncacn_np:%s[%s]" % (a.server, pipe), 445, "ncacn_np", Creds(a))
    tap.extra = {"pipe": pipe}
    dce.connect()
    d, err = do_bind(rec, name, dce, iface)
    return dce, err


def sc_ret_samr(a):
    """SAMR over \\pipe\\samr: names and RIDs that do not exist, a wrong old password, an
    operation Samba does not implement, an opnum beyond the interface."""
    rec = Recorder()
    dce, err = np_session(rec, a, r"\pipe\samr", samr.MSRPC_UUID_SAMR, "samr")
    if err is None:
        N = "NTSTATUS"
        r, err = rcall(rec, "SamrConnect5", N, samr.hSamrConnect5, dce)
        server = r["ServerHandle"]
        r, err = rcall(rec, "SamrLookupDomainInSamServer", N, samr.hSamrLookupDomainInSamServer, dce, server,
                       a.domain)
        r, err = rcall(rec, "SamrOpenDomain", N, samr.hSamrOpenDomain, dce, server, domainId=r["DomainId"])
        dom = r["DomainHandle"]
        rcall(rec, "SamrLookupNamesInDomain(rpnosuchuser)", N, samr.hSamrLookupNamesInDomain, dce, dom,
              ["rpnosuchuser"])
        rcall(rec, "SamrLookupNamesInDomain(rpuser000, rpnosuchuser)", N, samr.hSamrLookupNamesInDomain, dce,
              dom, ["rpuser000", "rpnosuchuser"])
        rcall(rec, "SamrOpenUser(rid 4242)", N, samr.hSamrOpenUser, dce, dom, samr.MAXIMUM_ALLOWED, 4242)
        rcall(rec, "SamrLookupIdsInDomain(rid 4242)", N, samr.hSamrLookupIdsInDomain, dce, dom, [4242])
        rcall(rec, "SamrOpenGroup(rid 4242)", N, samr.hSamrOpenGroup, dce, dom, samr.MAXIMUM_ALLOWED, 4242)
        rcall(rec, "SamrUnicodeChangePasswordUser2(rpuser001, wrong old password)", N,
              samr.hSamrUnicodeChangePasswordUser2, dce, "\x00", "rpuser001", "Wrong!Old001", "Rpct3st!New001")
        r, err = rcall(rec, "SamrLookupNamesInDomain(rpuser002)", N, samr.hSamrLookupNamesInDomain, dce, dom,
                       ["rpuser002"])
        if err is None:
            rid = r["RelativeIds"]["Element"][0]["Data"]
            r, err = rcall(rec, "SamrOpenUser(rpuser002)", N, samr.hSamrOpenUser, dce, dom,
                           samr.MAXIMUM_ALLOWED, rid)
            if err is None:
                user = r["UserHandle"]
                rcall(rec, "SamrChangePasswordUser(rpuser002, wrong old password)", N,
                      samr.hSamrChangePasswordUser, dce, user, "Wrong!Old002", "Rpct3st!New002")
                rcall(rec, "SamrCloseHandle(user)", N, samr.hSamrCloseHandle, dce, user)
        do_call(rec, "SAMR opnum 200 (out of range)", raw_request, dce, 200)
        rcall(rec, "SamrCloseHandle(domain)", N, samr.hSamrCloseHandle, dce, dom)
        rcall(rec, "SamrCloseHandle(server)", N, samr.hSamrCloseHandle, dce, server)
    dce.disconnect()
    write_expected(a, "rp_ret_samr", rec,
                   notes="\\pipe\\samr (SMB 3.0 session as %s\\%s, no RPC-level auth): SamrLookupNamesInDomain "
                         "of a name that does not exist, then of one that does and one that does not; "
                         "SamrOpenUser, SamrLookupIdsInDomain and SamrOpenGroup of RID 4242 (none); "
                         "SamrUnicodeChangePasswordUser2 for rpuser001 with a wrong old password; "
                         "SamrChangePasswordUser on rpuser002's handle with a wrong old password (Samba does "
                         "not implement it); a request with opnum 200 and an empty stub; the handles closed "
                         "after it. retval: the NTSTATUS impacket decoded from the response stub; "
                         "retval_type/retval_name: the operation's return type and the code's name."
                         % (a.domain, a.user))


def sc_ret_services(a):
    """WINREG and SVCCTL as Administrator: a key and a service that do not exist, operations
    Samba's svcctl defines but does not implement."""
    from impacket.dcerpc.v5 import rrp, scmr
    rec = Recorder()
    W = "WERROR"
    dce, err = np_session(rec, a, r"\pipe\winreg", rrp.MSRPC_UUID_RRP, "winreg")
    if err is None:
        r, err = rcall(rec, "OpenLocalMachine", W, rrp.hOpenLocalMachine, dce)
        if err is None:
            hklm = r["phKey"]
            rcall(rec, "BaseRegOpenKey(SOFTWARE\\RpctNoSuchKey)", W, rrp.hBaseRegOpenKey, dce, hklm,
                  "SOFTWARE\\RpctNoSuchKey\x00", samDesired=rrp.KEY_READ)
            rcall(rec, "BaseRegCloseKey(HKLM)", W, rrp.hBaseRegCloseKey, dce, hklm)
    dce.disconnect()
    dce, err = np_session(rec, a, r"\pipe\svcctl", scmr.MSRPC_UUID_SCMR, "svcctl")
    if err is None:
        r, err = rcall(rec, "ROpenSCManagerW", W, scmr.hROpenSCManagerW, dce)
        if err is None:
            scm = r["lpScHandle"]
            rcall(rec, "ROpenServiceW(RpctNoSuchSvc)", W, scmr.hROpenServiceW, dce, scm, "RpctNoSuchSvc\x00")
            rcall(rec, "RCreateServiceW(rpcttestsvc)", W, scmr.hRCreateServiceW, dce, scm, "rpcttestsvc\x00",
                  "rpcttestsvc\x00", lpBinaryPathName="C:\\rpct.exe\x00")
            r, err = rcall(rec, "ROpenServiceW(Netlogon)", W, scmr.hROpenServiceW, dce, scm, "Netlogon\x00")
            if err is None:
                svc = r["lpServiceHandle"]
                rcall(rec, "RDeleteService(Netlogon)", W, scmr.hRDeleteService, dce, svc)
                rcall(rec, "RQueryServiceStatus(Netlogon)", W, scmr.hRQueryServiceStatus, dce, svc)
                rcall(rec, "RCloseServiceHandle(Netlogon)", W, scmr.hRCloseServiceHandle, dce, svc)
            rcall(rec, "RCloseServiceHandle(SCM)", W, scmr.hRCloseServiceHandle, dce, scm)
    dce.disconnect()
    write_expected(a, "rp_ret_services", rec,
                   notes="As %s\\%s, one SMB 3.0 connection per pipe, no RPC-level auth. \\pipe\\winreg: "
                         "OpenLocalMachine, BaseRegOpenKey of HKLM\\SOFTWARE\\RpctNoSuchKey (does not exist), "
                         "BaseRegCloseKey. \\pipe\\svcctl: ROpenSCManagerW, ROpenServiceW of a service that "
                         "does not exist, RCreateServiceW and (on Netlogon's handle) RDeleteService, which "
                         "Samba's svcctl defines but does not implement (it faults them), "
                         "RQueryServiceStatus after the fault (the association goes on), the handles closed. "
                         "retval: the WERROR impacket decoded." % (a.domain, a.user))


def sc_ret_denied(a):
    """A user without admin rights (rpuser000) asks LSA, SAMR, SVCCTL and WINREG for what it may
    not have: the refusal is in the response stub (NTSTATUS / WERROR), not a fault."""
    from impacket.dcerpc.v5 import rrp, scmr
    rec = Recorder()
    N, W = "NTSTATUS", "WERROR"
    dce, err = np_session(rec, a, r"\pipe\lsarpc", lsad.MSRPC_UUID_LSAD, "lsarpc")
    if err is None:
        rcall(rec, "LsarOpenPolicy2(POLICY_TRUST_ADMIN)", N, lsad.hLsarOpenPolicy2, dce, lsad.POLICY_TRUST_ADMIN)
        r, err = rcall(rec, "LsarOpenPolicy2(POLICY_LOOKUP_NAMES)", N, lsad.hLsarOpenPolicy2, dce,
                       lsat.POLICY_LOOKUP_NAMES)
        if err is None:
            rcall(rec, "LsarClose", N, lsad.hLsarClose, dce, r["PolicyHandle"])
    dce.disconnect()
    dce, err = np_session(rec, a, r"\pipe\samr", samr.MSRPC_UUID_SAMR, "samr")
    if err is None:
        r, err = rcall(rec, "SamrConnect5", N, samr.hSamrConnect5, dce)
        if err is None:
            server = r["ServerHandle"]
            r, err = rcall(rec, "SamrLookupDomainInSamServer", N, samr.hSamrLookupDomainInSamServer, dce, server,
                           a.domain)
            if err is None:
                r, err = rcall(rec, "SamrOpenDomain(DOMAIN_WRITE_PASSWORD_PARAMS | DOMAIN_CREATE_USER)", N,
                               samr.hSamrOpenDomain, dce, server,
                               desiredAccess=samr.DOMAIN_WRITE_PASSWORD_PARAMS | samr.DOMAIN_CREATE_USER,
                               domainId=r["DomainId"])
                if err is None:
                    dom = r["DomainHandle"]
                    rcall(rec, "SamrCreateUser2InDomain(rpctdenied)", N, samr.hSamrCreateUser2InDomain, dce, dom,
                          "rpctdenied")
                    rcall(rec, "SamrCloseHandle(domain)", N, samr.hSamrCloseHandle, dce, dom)
            rcall(rec, "SamrCloseHandle(server)", N, samr.hSamrCloseHandle, dce, server)
    dce.disconnect()
    dce, err = np_session(rec, a, r"\pipe\svcctl", scmr.MSRPC_UUID_SCMR, "svcctl")
    if err is None:
        rcall(rec, "ROpenSCManagerW(impacket's default: start, stop, change config, ...)", W,
              scmr.hROpenSCManagerW, dce)
        r, err = rcall(rec, "ROpenSCManagerW(SC_MANAGER_CONNECT)", W, scmr.hROpenSCManagerW, dce,
                       dwDesiredAccess=scmr.SC_MANAGER_CONNECT)
        if err is None:
            scm = r["lpScHandle"]
            rcall(rec, "ROpenServiceW(Netlogon, SERVICE_ALL_ACCESS)", W, scmr.hROpenServiceW, dce, scm,
                  "Netlogon\x00")
            rcall(rec, "RCloseServiceHandle(SCM)", W, scmr.hRCloseServiceHandle, dce, scm)
    dce.disconnect()
    dce, err = np_session(rec, a, r"\pipe\winreg", rrp.MSRPC_UUID_RRP, "winreg")
    if err is None:
        rcall(rec, "OpenLocalMachine", W, rrp.hOpenLocalMachine, dce)
    dce.disconnect()
    write_expected(a, "rp_ret_denied", rec,
                   notes="As %s\\%s (a plain domain user), one SMB 3.0 connection per pipe, no RPC-level auth. "
                         "\\pipe\\lsarpc: LsarOpenPolicy2 asking POLICY_TRUST_ADMIN (denied), then "
                         "POLICY_LOOKUP_NAMES (granted), LsarClose. \\pipe\\samr: SamrConnect5, "
                         "SamrOpenDomain asking DOMAIN_WRITE_PASSWORD_PARAMS | DOMAIN_CREATE_USER (Samba grants "
                         "the open and checks later), SamrCreateUser2InDomain (denied), handles closed. "
                         "\\pipe\\svcctl: ROpenSCManagerW with impacket's default access (denied), with "
                         "SC_MANAGER_CONNECT (granted), ROpenServiceW(Netlogon, SERVICE_ALL_ACCESS) (denied). "
                         "\\pipe\\winreg: OpenLocalMachine (Samba answers WERROR 8, ERROR_NOT_ENOUGH_MEMORY, "
                         "to a non-admin). retval: the NTSTATUS / WERROR impacket decoded." % (a.domain, a.user))


def sc_ret_badpass(a):
    """NTLM binds on the dynamic ports with a wrong password: SAMR and NETLOGON."""
    from impacket.dcerpc.v5 import nrpc
    rec = Recorder()
    creds = Creds(a)
    maps = []
    for iface, name, first in ((samr.MSRPC_UUID_SAMR, "samr",
                                lambda dce: rcall(rec, "SamrConnect5", "NTSTATUS", samr.hSamrConnect5, dce)),
                               (nrpc.MSRPC_UUID_NRPC, "netlogon",
                                lambda dce: rcall(rec, "NetrServerReqChallenge", "NTSTATUS",
                                                  nrpc.hNetrServerReqChallenge, dce, NULL, "RPCCLI\x00",
                                                  b"\x01\x02\x03\x04\x05\x06\x07\x08"))):
        m = map_over_135(rec, a, iface)
        maps.append(m)
        ntlm_integrity_session(rec, a, creds, m, name, iface, first)
    write_expected(a, "rp_ret_badpass", rec, epm_map=maps,
                   notes="ept_map on TCP 135 (no auth) for SAMR, then SAMR on its dynamic port with NTLM "
                         "(auth_type 10) at packet integrity as %s\\%s with a WRONG password: bind, bind_ack "
                         "(NTLM challenge), auth3 (the AUTHENTICATE with the wrong response), SamrConnect5; "
                         "the same for NETLOGON (NetrServerReqChallenge). What the server answered is in "
                         "calls[].outcome/status." % (a.domain, a.user))


def sc_ret_kerberos_impacket(a):
    """Impacket 0.10's own Kerberos against this KDC: ept_map on 135 (no auth), then a
    Kerberos (SPNEGO) bind to SAMR's port that fails in the TGS exchange; the state is kept for
    kerberos_expected, which adds the rpcclient runs."""
    rec = Recorder()
    m = map_over_135(rec, a, samr.MSRPC_UUID_SAMR)
    attempt = {"run": "impacket-kerberos", "tool": "impacket %s" % impacket_version(),
               "binding": r"ncacn_ip_tcp:%s[%s]" % (a.target_name, m.get("port")), "kdc": a.kdc,
               "auth_type": rpcrt.RPC_C_AUTHN_GSS_NEGOTIATE, "auth_level": rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY}
    if "port" in m:
        trans, dce, tap = tap_transport(rec, attempt["binding"], m["port"], "ncacn_ip_tcp", Creds(a))
        trans.set_kerberos(True, kdcHost=a.kdc)
        dce.set_credentials(a.user, a.password, a.domain)
        dce.set_auth_type(rpcrt.RPC_C_AUTHN_GSS_NEGOTIATE)
        dce.set_auth_level(rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
        dce.connect()
        d, err = do_bind(rec, "samr(impacket kerberos)", dce, samr.MSRPC_UUID_SAMR)
        attempt["tcp_connected"] = True
        attempt["pdus_sent"] = list(tap.sent_pdus)
        attempt["error"] = str(err) if err else None
        if err is None:
            rcall(rec, "SamrConnect5", "NTSTATUS", samr.hSamrConnect5, dce)
        try:
            dce.disconnect()
        except Exception:
            pass
    state = {"epm_map": [m], "binds": rec.binds, "calls": rec.calls, "log": LOG, "runs": [attempt]}
    with open(os.path.join(a.out, ".rp_ret_kerberos.state.json"), "w") as f:
        json.dump(state, f)


def rpcclient_errors(path):
    """The lines of an rpcclient -d 10 log that say why it stopped (for the expected file)."""
    pats = ("Server principal", "Bind NACK", "bind request returned", "Error was", "KDC_ERR",
            "KRB5KRB_AP", "failed with error")
    with open(path, errors="replace") as f:
        return [l.strip() for l in f if any(p in l for p in pats)][:8]


KERBEROS_NOTES = {
    "rp_kerberos":
        "kinit Administrator@RPCTEST.LAN (AS exchange on TCP 88, in the capture), then "
        "Samba's rpcclient with --use-kerberos=required and that ccache, binding "
        "ncacn_ip_tcp:rpcdc.rpctest.lan[...]: rpcclient first does ept_map on TCP 135 "
        "(no auth), then a TGS exchange for host/rpcdc.rpctest.lan on TCP 88, then binds on "
        "the dynamic port. Without 'spnego' in the binding options rpcclient uses "
        "auth_type 16 (raw Kerberos, bind/bind_ack/auth3); with 'spnego' auth_type 9 "
        "(SPNEGO: bind/bind_ack/alter_context/alter_context_resp). Calls and binds are "
        "parsed from rpcclient -d 10 (its NDR print of every PDU it sent/received).",
    "rp_ret_kerberos":
        "Kerberos refused, three ways. (1) impacket 0.10's own Kerberos (SPNEGO, packet integrity): "
        "ept_map SAMR on TCP 135 (no auth), TCP connection to SAMR's port, then impacket's AS exchange "
        "(AS-REQ, KDC_ERR_PREAUTH_REQUIRED, AS-REQ, AS-REP) and TGS-REQ for host/rpcdc.rpctest.lan, "
        "answered KRB_AP_ERR_INAPP_CKSUM by the KDC: impacket gives up before sending its bind (the "
        "TCP connection closes empty). (2) kinit Administrator, then rpcclient --use-kerberos=required "
        "to ncacn_ip_tcp:rpcalias.rpctest.lan[sign] and [spnego,sign]: rpcalias.rpctest.lan is the DC's "
        "address in the client's hosts file, but the SPN host/rpcalias.rpctest.lan belongs to the user "
        "rpuser001 (record.sh sets it), so the KDC issues a ticket encrypted with rpuser001's key, which "
        "the DC cannot decrypt: ept_map on 135, TGS exchange (first run), bind with the AP-REQ (auth_type "
        "16, then 9), answered bind_nak. (3) rpcclient to ncacn_ip_tcp:rpcnospn.rpctest.lan[sign] (the "
        "DC's address, no account has that SPN): ept_map on 135, TCP connection to SAMR's port, TGS-REQs "
        "answered KDC_ERR_S_PRINCIPAL_UNKNOWN, no bind. runs[]: each attempt with what the client "
        "said. rpcclient's binds and calls are parsed from its -d 10 log.",
}


def sc_kerberos_expected(a):
    rec = Recorder()
    runs, extra = [], {}
    if a.state:
        with open(a.state) as f:
            state = json.load(f)
        os.unlink(a.state)
        LOG[:0] = state["log"]
        rec.binds, rec.calls = state["binds"], state["calls"]
        runs += state.get("runs", [])
        if state.get("epm_map"):
            extra["epm_map"] = state["epm_map"]
    for spec in a.log:
        label, path, binding, command, rc = spec.split("|", 4)
        parse_rpcclient_log(path, rec, label)
        if a.scenario_name != "rp_kerberos":
            for c in rec.calls:
                if c.get("interface") == "e1af8308-5d1f-11c9-91a4-08002b14a0fa" and "retval_type" not in c:
                    annotate_retval(c, "error_status_t")   # epm_Map's status
        run = {"run": label, "tool": "rpcclient", "binding": binding, "commands": command, "exit_code": int(rc)}
        if a.scenario_name != "rp_kerberos":
            run["errors"] = rpcclient_errors(path)
        runs.append(run)
    write_expected(a, a.scenario_name, rec, runs=runs, tool_override="rpcclient (Samba 4.17, Debian 12)"
                   if a.scenario_name == "rp_kerberos" else
                   "impacket %s (python3-impacket, Debian 12) and rpcclient (Samba 4.17)" % impacket_version(),
                   notes=KERBEROS_NOTES[a.scenario_name], **extra)


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
    import ldb
    lp = LoadParm()
    lp.load(a.smbconf)
    db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
    for i in range(a.count):
        db.newuser("rpuser%03d" % i, "Rpct3st!User%03d" % i, givenname="Rp", surname="User %03d" % i)
    for spec in a.spn:
        # an SPN on a user: a ticket for it is encrypted with that user's key (rp_ret_kerberos)
        user, spn = spec.split("=", 1)
        res = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s)" % user, attrs=["dn"])
        msg = ldb.Message(res[0].dn)
        msg["servicePrincipalName"] = ldb.MessageElement(spn, ldb.FLAG_MOD_ADD, "servicePrincipalName")
        db.modify(msg)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["epm_lookup", "epm_map_samr", "np", "np_services", "np_refused",
                                        "np_encrypted", "np_smb1", "auth_levels", "errors",
                                        "firewall_map", "firewall_connect", "kerberos_expected", "mkusers",
                                        "probe", "ret_samr", "ret_services", "ret_denied", "ret_badpass",
                                        "ret_kerberos_impacket"])
    p.add_argument("--server", default="10.213.7.1")
    p.add_argument("--client", default="10.213.7.2")
    p.add_argument("--out", default=".")
    p.add_argument("--smbconf", help="mkusers: the DC's smb.conf")
    p.add_argument("--count", type=int, default=60, help="mkusers: how many users")
    p.add_argument("--spn", action="append", default=[],
                   help="mkusers: USER=SPN, a servicePrincipalName to add to a user (repeatable)")
    p.add_argument("--user", default="Administrator")
    p.add_argument("--password", default="")
    p.add_argument("--log", action="append", default=[],
                   help="kerberos_expected: LABEL|LOGFILE|BINDING|COMMANDS|EXITCODE, one per rpcclient run")
    p.add_argument("--state", help="kerberos_expected: the state file ret_kerberos_impacket wrote")
    p.add_argument("--scenario-name", default=None,
                   help="firewall_map/_connect: rp_firewall (default) or rp_fw_reject; kerberos_expected: "
                        "rp_kerberos (default) or rp_ret_kerberos")
    p.add_argument("--firewall", default="drop", help="firewall_connect: the rule's verdict, for the record")
    p.add_argument("--target-name", default="rpcdc.rpctest.lan",
                   help="ret_kerberos_impacket: the DC's name (the ticket's service host)")
    p.add_argument("--kdc", default="10.213.7.1", help="ret_kerberos_impacket: the KDC's address")
    p.add_argument("--domain", default="RPCTEST")
    p.add_argument("--timeout", type=float, default=8.0)
    p.add_argument("--denied-share", default="rpdenied",
                   help="np_refused: a share whose 'valid users' leaves --user out")
    a = p.parse_args()
    if a.scenario_name is None:
        a.scenario_name = "rp_kerberos" if a.scenario == "kerberos_expected" else "rp_firewall"
    {"epm_lookup": sc_epm_lookup, "epm_map_samr": sc_epm_map_samr, "np": sc_np,
     "np_services": sc_np_services, "np_refused": sc_np_refused, "np_encrypted": sc_np_encrypted,
     "np_smb1": sc_np_smb1,
     "auth_levels": sc_auth_levels, "errors": sc_errors, "firewall_map": sc_firewall_map,
     "firewall_connect": sc_firewall_connect, "kerberos_expected": sc_kerberos_expected,
     "mkusers": sc_mkusers, "probe": sc_probe, "ret_samr": sc_ret_samr, "ret_services": sc_ret_services,
     "ret_denied": sc_ret_denied, "ret_badpass": sc_ret_badpass,
     "ret_kerberos_impacket": sc_ret_kerberos_impacket}[a.scenario](a)


if __name__ == "__main__":
    main()
