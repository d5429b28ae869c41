#!/usr/bin/env python3
"""Check rpctrace against what real clients did, on captures record.sh made.

Usage: check.py [--rpctrace BIN] [--tshark BIN] DIR [DIR...]

For every DIR/<name>.pcap with its DIR/<name>.expected.json (written by clients.py during the
same recording), these checks:
  endpoints  `rpctrace endpoints` lists exactly the ept_lookup entries the client received
             (object, interface UUID, version, annotation, string binding), as a multiset;
  binds      every bind/alter_context over TCP and SMB named pipes, in order: port, pipe,
             interface, version, auth type
             and level, and the answer (accepted / rejected with its reason, or bind_nak);
  calls      every call over TCP and SMB named pipes, in order: port, pipe, interface, opnum,
             response or fault (status);
  tshark     PDU by PDU agreement with tshark is 100% (tests/oracle/compare_tshark.py with an
             empty allow-list: frame, ptype, call_id, opnum, context id, auth type and level,
             the verifier's fields, EPM stubs), and the PDU counts by type are printed side
             by side;
  smb        captures with SMB named pipes (expected "smb", "smb_connections"): every SMB step
             the client made that went on the wire in clear, in order, against rpctrace's
             "type":"smb" records (with --all): negotiate (the dialect), session setup (the
             account, the final NTSTATUS), tree connect (the UNC path, NTSTATUS), create of a
             pipe (its name, NTSTATUS), each on the same SMB connection; steps inside SMB3
             encryption are not visible: rpctrace must count exactly the TRANSFORM_HEADER
             messages the client sent and received (stats smb_encrypted_messages), say
             "encrypted" on each encrypted connection, and show no PDU there;
  diagnose   rp_firewall: the finding names the dropped dynamic port; rp_epm_lookup,
             rp_epm_map_samr, rp_np_samr, rp_np_smb1 (healthy runs): no error or warning
             finding, exit 0; every SMB step the client saw refused (session setup, tree
             connect, create of a pipe) is a smb_session_refused / smb_tree_refused /
             pipe_open_refused finding naming it and its status, and a connection the client
             saw encrypted gives smb_encrypted; rp_fw_reject (nftables REJECT with tcp reset): a
             port_refused finding for the port offering a firewall, with the reset's TTL.
  calls      also each response's return value: the "retval" the client decoded from the end
             of the response stub (NTSTATUS / WERROR / error_status_t) is rpctrace's
             return_code value on the response completing the call (sealed stubs: none);
  diagnose   every Kerberos error a client run logged is a kerberos_error finding naming it;
             every call whose retval is an error (NTSTATUS severity error, a non-zero WERROR or
             error_status_t; not EPM's) is an error_returned finding naming the operation and
             the code.
Binds and calls the client made inside SMB3 encryption (smb_encrypted) are not expected in
rpctrace's output: any PDU it reports there is an extra, and fails binds/calls.
Exit status: 0 every check passed, 1 a check failed, 2 nothing to check.
"""
import argparse
import collections
import re
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
import compare_tshark  # noqa: E402  (the oracle's tshark reader)

HEALTHY = {"rp_epm_lookup", "rp_epm_map_samr", "rp_np_samr", "rp_np_smb1"}
PTYPES = compare_tshark.PTYPE_NAMES


def jsonl(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc.returncode, [json.loads(l) for l in proc.stdout.decode().splitlines() if l]


def check_endpoints(rpctrace, pcap, expected):
    want = collections.Counter(
        (e["object"], e["interface"], e["version"], e.get("annotation", ""), e["binding"])
        for e in expected["endpoints"])
    _, recs = jsonl([rpctrace, "endpoints", "--format", "jsonl", pcap])
    got = collections.Counter(
        (r.get("object", "00000000-0000-0000-0000-000000000000"), r["uuid"], r["version"],
         r.get("annotation", ""), r["string_binding"])
        for r in recs if r.get("type") == "endpoint" and r.get("source") == "ept_lookup")
    missing, extra = want - got, got - want
    detail = "%d endpoints, %d ept_lookup calls" % (sum(want.values()),
                                                    expected.get("ept_lookup_calls", 0))
    problems = ["missing %s" % (k,) for k in missing] + ["extra %s" % (k,) for k in extra]
    return problems, detail


def rpctrace_pdus(rpctrace, pcap):
    rc, recs = jsonl([rpctrace, "--format", "jsonl", pcap])
    if rc != 0:
        raise SystemExit("%s: rpctrace exit %d" % (pcap, rc))
    return recs


def check_binds(recs, expected):
    want = [(b["port"], b.get("pipe", "").lower(), b["pdu"], b["interface"], b["version"],
             b["auth_type"], b["auth_level"], b.get("result"),
             b.get("reason") if b.get("result") != "accepted" else 0)
            for b in expected.get("binds", []) if not b.get("smb_encrypted")]
    named = any(b.get("pipe") for b in expected.get("binds", []))  # the client logged its pipes
    pdus = [r for r in recs if r.get("type") == "pdu"]
    answers = {}   # (conversation, pipe, call_id) -> answers in order
    for r in pdus:
        if r["ptype"] in ("bind_ack", "alter_context_resp", "bind_nak"):
            answers.setdefault((r["conversation"], pipe_id(r), r["call_id"]), []).append(r)
    got = []
    for r in pdus:
        if r["ptype"] not in ("bind", "alter_context"):
            continue
        ctx = (r.get("p_cont_elem") or [{}])[0]
        iface = ctx.get("abstract_syntax", {})
        trailer = r.get("sec_trailer") or {}
        queue = answers.get((r["conversation"], pipe_id(r), r["call_id"]), [])
        answer = queue.pop(0) if queue else None
        result, reason = None, None
        if answer and answer["ptype"] == "bind_nak":
            result, reason = "nak", answer.get("provider_reject_reason")
        elif answer:
            res = next((x for x in answer.get("p_results", [])
                        if x.get("p_cont_id") == ctx.get("p_cont_id")),
                       (answer.get("p_results") or [{}])[0])
            result = {0: "accepted", 2: "rejected", 1: "rejected"}.get(res.get("result"))
            reason = res.get("reason", 0) if result != "accepted" else 0
        got.append((r["dst_port"], pipe_name(r) if named else "", r["ptype"], iface.get("uuid"),
                    iface.get("version"), trailer.get("auth_type", 0),
                    trailer.get("auth_level", 1), result, reason))
    return diff_lists(want, got), "%d binds/alter_contexts over TCP and SMB named pipes" % len(want)


def pipe_id(r):   # the pipe a PDU travelled in (ncacn_np); call ids are per pipe
    return (r.get("pipe") or {}).get("id", 0)


def pipe_name(r):
    return (r.get("pipe") or {}).get("name", "").lower()


def check_calls(recs, expected):
    # A fault's status; a response's return value as the client decoded it (none where the
    # stub was sealed: rpctrace guesses nothing there).
    def result(c):
        if c["outcome"] == "fault":
            return c.get("status")
        if c["outcome"] == "response" and "retval" in c and c.get("auth_level") != 6:
            return c["retval"].lower()
        return None
    want = [(c["port"], c.get("pipe", "").lower(), c["interface"], c["opnum"], c["outcome"],
             result(c))
            for c in expected.get("calls", []) if not c.get("smb_encrypted")]
    named = any(c.get("pipe") for c in expected.get("calls", []))  # the client logged its pipes
    pdus = [r for r in recs if r.get("type") == "pdu"]
    requests = {}
    for r in pdus:   # the call's last request fragment completes it
        if r["ptype"] == "request" and r.get("call_complete"):
            requests[(r["conversation"], pipe_id(r), r["frame"], r["call_id"])] = r
    outcome = {}
    for r in pdus:
        if r["ptype"] in ("response", "fault") and r.get("request_frame") is not None:
            if r["ptype"] == "response" and not r.get("call_complete"):
                continue
            # request_frame is the request's first frame; find the request of that call.
            for key, q in requests.items():
                if key[0] == r["conversation"] and key[1] == pipe_id(r) and \
                        key[3] == r["call_id"] and q.get("first_frame", q["frame"]) <= r["frame"] \
                        and key not in outcome and key[2] >= r["request_frame"]:
                    rc = r.get("return_code")
                    outcome[key] = ("fault", "0x%08x" % r["status"]) if r["ptype"] == "fault" \
                        else ("response", "0x%08x" % rc["value"] if rc else None)
                    break
    got = []
    for key in sorted(requests, key=lambda k: k[2]):
        q = requests[key]
        res = outcome.get(key, ("none", None))
        got.append((q["dst_port"], pipe_name(q) if named else "",
                    (q.get("interface") or {}).get("uuid"),
                    q["opnum"], res[0], res[1]))
    return diff_lists(want, got), "%d calls over TCP and SMB named pipes" % len(want)


def diff_lists(want, got):
    problems = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w != g:
            problems.append("#%d client %s, rpctrace %s" % (i + 1, w, g))
    return problems


STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016


def pipe_base(name):
    """\\PIPE\\samr, \\pipe\\samr, \\samr, samr -> samr (SMB2 creates carry 'samr', SMB1 '\\samr')."""
    n = (name or "").replace("/", "\\").lower().lstrip("\\")
    return n[len("pipe\\"):] if n.startswith("pipe\\") else n


def smb_key(step, subject, status):
    return (step, subject, status)


def check_smb(rpctrace, pcap, expected):
    """The client's SMB steps against rpctrace's "type":"smb" records, connection by connection."""
    conns = expected.get("smb_connections", [])
    encrypted = {c["connection"] for c in conns if c.get("encrypted")}
    want = []
    hidden = 0
    for s in expected.get("smb", []):
        if s.get("on_wire") is False:
            continue                      # impacket reused a tree it had: nothing was sent
        if s.get("encrypted"):
            hidden += 1                   # inside TRANSFORM_HEADERs: rpctrace cannot see it
            continue
        subject = {"negotiate": s.get("dialect", ""), "session_setup": s.get("account", ""),
                   "tree_connect": s.get("share", ""),
                   "create": pipe_base(s.get("pipe") or s.get("name"))}[s["step"]].lower()
        want.append((s["connection"], s["step"], subject, s["status"]))
    rc, recs = jsonl([rpctrace, "--all", "--format", "jsonl", pcap])
    if rc != 0:
        return ["rpctrace --all exit %d" % rc], ""
    smb = sorted((r for r in recs if r.get("type") == "smb"), key=lambda r: r["frame"])
    order = {}      # rpctrace conversation -> SMB connection number, in order of appearance
    for r in smb:
        order.setdefault(r["conversation"], len(order) + 1)
    got = []
    for r in smb:
        if not r.get("response"):
            continue
        kind, text, status = r.get("kind"), r.get("text") or "", r.get("status")
        if kind == "negotiate" and text.startswith("SMB2 wildcard"):
            continue                      # the SMB1 negotiate answered by SMB2: a step between
        if kind == "session_setup" and status == STATUS_MORE_PROCESSING_REQUIRED:
            continue                      # a leg of the exchange; the last answer is the outcome
        step = {"negotiate": "negotiate", "session_setup": "session_setup",
                "tree_connect": "tree_connect", "open": "create"}.get(kind)
        if step is None:
            continue
        subject = pipe_base(text) if step == "create" else text.lower()
        got.append((order[r["conversation"]], step, subject,
                    "0x%08x" % status if status is not None else None))
    problems = diff_lists(want, got)
    # SMB3 encryption: counted, said, and nothing invented inside it
    sent = sum(c.get("messages", {}).get("sent", {}).get("transform", 0) for c in conns)
    received = sum(c.get("messages", {}).get("received", {}).get("transform", 0) for c in conns)
    stats = next((r for r in recs if r.get("type") == "stats"), {})
    counted = stats.get("not_decoded", {}).get("smb_encrypted_messages", 0)
    if counted != sent + received:
        problems.append("encrypted SMB3 messages: client sent %d and received %d, rpctrace counts %d"
                        % (sent, received, counted))
    said = {order.get(r["conversation"]) for r in smb if r.get("kind") == "encrypted"}
    for c in sorted(encrypted - said):
        problems.append("SMB connection %d is encrypted, rpctrace has no \"encrypted\" record on it" % c)
    for c in sorted(said - encrypted):
        problems.append("rpctrace says SMB connection %s is encrypted, the client did not encrypt" % c)
    conv_of = {v: k for k, v in order.items()}
    invented = [r["frame"] for r in recs if r.get("type") == "pdu" and
                r.get("conversation") in {conv_of.get(c) for c in encrypted}]
    if invented:
        problems.append("PDUs reported inside encrypted SMB3 (frames %s)" % invented[:10])
    detail = "%d SMB steps on %d connection(s)" % (len(want), len(conns))
    if encrypted:
        detail += "; %d more inside SMB3 encryption, %d encrypted messages (client %d sent + %d received)" % (
            hidden, counted, sent, received)
    return problems, detail


def check_tshark(rpctrace, tshark, pcap, recs):
    with tempfile.NamedTemporaryFile("w", suffix=".allow") as empty:
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, "..", "oracle", "compare_tshark.py"), pcap,
             "--rpctrace", rpctrace, "--tshark", tshark, "--allowlist", empty.name],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.decode(errors="replace")
    problems = [] if proc.returncode == 0 and "disagreements 0 " in out else [out.strip()]
    tpdus, counts, _, err = compare_tshark.run_tshark(
        tshark, pcap, set(compare_tshark.BASE_DECODE_PORTS), [])
    if err:
        problems.append("tshark: %s" % err)
    t_by = collections.Counter(PTYPES[p["ptype"]] for p in tpdus)
    stats = next(r for r in recs if r.get("type") == "stats")
    r_by = collections.Counter(stats.get("pdus_by_ptype", {}))
    table = ", ".join("%s %d/%d" % (k, r_by.get(k, 0), t_by.get(k, 0))
                      for k in PTYPES if r_by.get(k) or t_by.get(k))
    summary = "rpctrace/tshark PDUs: %s" % (table or "none")
    return problems, summary


def check_diagnose(rpctrace, pcap, name, expected):
    rc, recs = jsonl([rpctrace, "diagnose", "--format", "jsonl", pcap])
    findings = [r for r in recs if r.get("type") == "finding"]
    if name == "rp_firewall":
        port = expected["connect"]["port"]
        hit = [f for f in findings if f["kind"] == "firewall_drops_dynamic_port" and
               f.get("port") == port]
        problems = [] if hit and rc == 1 else [
            "no firewall_drops_dynamic_port finding for port %s (exit %d): %s" % (
                port, rc, [f["kind"] for f in findings])]
        return problems, "names port %s: %s" % (port, hit[0]["message"] if hit else "-")
    if expected.get("connect", {}).get("firewall", "").startswith("reject"):
        # A REJECT with resets looks like a closed port: both causes offered, with the TTL.
        port = expected["connect"]["port"]
        hit = [f for f in findings if f["kind"] == "port_refused" and f.get("port") == port
               and "firewall" in f["message"] and "TTL" in f["evidence"]]
        problems = [] if hit and rc == 1 else [
            "no port_refused finding offering a firewall for port %s (exit %d): %s" % (
                port, rc, [f["kind"] for f in findings])]
        return problems, "port %s: %s" % (port, hit[0]["message"] if hit else "-")
    # Every SMB step the client saw refused is a finding naming what was refused and the
    # status; an encrypted connection is said.
    problems, said = [], []
    kinds = {"session_setup": "smb_session_refused", "tree_connect": "smb_tree_refused",
             "create": "pipe_open_refused"}
    for step in expected.get("smb", []):
        status = int(step.get("status", "0x0"), 16)
        if (step.get("encrypted") or step.get("on_wire") is False or step["step"] not in kinds
                or status in (0, 0xC0000016)):
            continue
        what = step.get("share") or step.get("pipe") or step.get("account") or ""
        code = "0x%X" % status
        hit = [f for f in findings if f["kind"] == kinds[step["step"]] and code in f["message"]
               and what.lower() in f["message"].lower()]
        if not hit:
            problems.append("no %s finding for %s %s (%s)" % (kinds[step["step"]], step["step"],
                                                            what, code))
        said.append("%s %s" % (kinds[step["step"]], code))
    # Every call the client saw return an error status is an error_returned finding naming
    # the operation and the code (EPM's not-registered has its own rule).
    for c in expected.get("calls", []):
        if c["outcome"] != "response" or "retval" not in c or c.get("auth_level") == 6:
            continue
        value = int(c["retval"], 16)
        kind = c.get("retval_type") or ("NTSTATUS" if value >> 30 == 3 else "")
        error = (value >> 30 == 3) if kind == "NTSTATUS" else (
            value != 0 and kind in ("WERROR", "error_status_t"))
        if not error or c.get("name", "").startswith("ept_"):
            continue
        code = "0x%X" % value
        op = c.get("name", "").split("(")[0]   # "LsarOpenPolicy2(POLICY_TRUST_ADMIN)"
        hit = [f for f in findings if f["kind"] == "error_returned" and code in f["message"]
               and op in f["message"]]
        if not hit:
            problems.append("no error_returned finding for %s returning %s" % (op, code))
        said.append("%s %s" % (op, code))
    # Every Kerberos error a client logged (impacket's "KRB_AP_ERR_INAPP_CKSUM(...)", the KDC
    # names rpcclient does not print) is a kerberos_error finding naming it.
    for run in expected.get("runs", []):
        text = " ".join([run.get("error", "")] + run.get("errors", []))
        for name in re.findall(r"\b(KRB_[A-Z_]+|KDC_ERR_[A-Z_]+)", text):
            if not any(f["kind"] == "kerberos_error" and name in f["message"] for f in findings):
                problems.append("no kerberos_error finding for %s" % name)
            said.append(name)
    if any(s.get("encrypted") for s in expected.get("smb", [])):
        if not any(f["kind"] == "smb_encrypted" for f in findings):
            problems.append("no smb_encrypted finding")
        said.append("smb_encrypted")
    if name in HEALTHY:
        bad = [f for f in findings if f["severity"] in ("error", "warning")]
        problems += ["%s: %s" % (f["kind"], f["message"]) for f in bad]
        if rc != 0:
            problems.append("exit %d" % rc)
        return problems, "healthy: %d finding(s), none error or warning" % len(findings)
    counts = collections.Counter(f["kind"] for f in findings)
    return problems, "findings: %s%s" % (
        ", ".join("%s %d" % kv for kv in sorted(counts.items())) or "none",
        "; required: %s" % ", ".join(said) if said else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--rpctrace", default=os.path.join(HERE, "..", "..", "build", "rpctrace"))
    ap.add_argument("--tshark", default="tshark")
    args = ap.parse_args()
    failed, checked = 0, 0
    for d in args.dirs:
        for f in sorted(os.listdir(d)):
            if not f.endswith(".expected.json"):
                continue
            name = f[:-len(".expected.json")]
            pcap = os.path.join(d, name + ".pcap")
            if not os.path.exists(pcap):
                print("%s: no capture beside %s" % (name, f))
                failed += 1
                continue
            with open(os.path.join(d, f)) as fh:
                expected = json.load(fh)
            recs = rpctrace_pdus(args.rpctrace, pcap)
            checks = [("tshark", check_tshark(args.rpctrace, args.tshark, pcap, recs)),
                      ("binds", check_binds(recs, expected)),
                      ("calls", check_calls(recs, expected)),
                      ("diagnose", check_diagnose(args.rpctrace, pcap, name, expected))]
            if expected.get("endpoints"):
                checks.insert(1, ("endpoints", check_endpoints(args.rpctrace, pcap, expected)))
            if expected.get("smb_connections"):
                checks.insert(-1, ("smb", check_smb(args.rpctrace, pcap, expected)))
            for what, (problems, detail) in checks:
                checked += 1
                status = "ok  " if not problems else "FAIL"
                print("%s %-16s %-9s %s" % (status, name, what, detail))
                for p in problems[:20]:
                    print("       %s" % p)
                failed += bool(problems)
    if checked == 0:
        print("nothing to check in %s" % ", ".join(args.dirs))
        return 2
    print("%d checks, %d failed" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
