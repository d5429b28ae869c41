#!/usr/bin/env python3
"""check.py must fail when rpctrace and the client disagree: it is run on copies of the
committed recordings (testdata/rp_*) whose expected files are changed one fact at a time,
and each change must make exactly the check it concerns fail (a Kerberos bind_nak taken for
an acceptance, a fault taken for a response; for the named pipes: a tree
connect's status, a session setup's account, a pipe's name, the SMB dialect, the count of
SMB3-encrypted messages, a call inside encryption expected in clear, a call's pipe).

Usage: check_selftest.py --rpctrace BIN TESTDATA
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def first(items, pred):
    return next(i for i in items if pred(i))


# (capture, the check that must fail, the change to its expected file)
MUTATIONS = [
    ("rp_epm_map_samr", "calls", lambda d: first(d["calls"], lambda c: c["port"] != 135)
     .__setitem__("opnum", 99)),
    ("rp_epm_lookup", "endpoints", lambda d: d["endpoints"].pop(5)),
    ("rp_epm_lookup", "endpoints", lambda d: d["endpoints"][0].__setitem__("version", "9.9")),
    ("rp_firewall", "diagnose", lambda d: d["connect"].__setitem__("port", 1)),
    ("rp_auth_levels", "binds", lambda d: first(d["binds"], lambda b: b["auth_type"] == 10)
     .__setitem__("auth_level", 4)),
    ("rp_errors", "calls", lambda d: first(d["calls"], lambda c: c["outcome"] == "fault")
     .__setitem__("status", "0x00000006")),
    ("rp_errors", "binds", lambda d: first(d["binds"], lambda b: b.get("result") == "rejected")
     .__setitem__("result", "accepted")),
    ("rp_kerberos", "calls", lambda d: d["calls"].pop()),
    # return codes: a Kerberos bind the server refused, the fault on an opnum beyond SAMR
    ("rp_ret_kerberos", "binds", lambda d: first(d["binds"], lambda b: b.get("result") == "nak")
     .__setitem__("result", "accepted")),
    ("rp_ret_samr", "calls", lambda d: first(d["calls"], lambda c: c["outcome"] == "fault")
     .__setitem__("outcome", "response")),
    # named pipes: SMB steps, SMB3 encryption
    # A refused step is an SMB record and a diagnose finding: both checks see the change.
    ("rp_np_refused", "smb diagnose", lambda d: first(d["smb"], lambda s: s.get("share", "").endswith("rpdenied"))
     .__setitem__("status", "0xc00000cc")),
    ("rp_np_refused", "smb diagnose", lambda d: first(d["smb"], lambda s: s["status"] == "0xc000006d")
     .__setitem__("account", "RPCTEST\\Guest")),
    # A step the client saw encrypted: diagnose must then say smb_encrypted.
    ("rp_np_services", "diagnose", lambda d: d["smb"].append(
        {"connection": 1, "step": "create", "pipe": "\\pipe\\spoolss", "status": "0x00000000",
         "encrypted": True})),
    ("rp_np_services", "smb", lambda d: first(d["smb"], lambda s: s["step"] == "create")
     .__setitem__("pipe", "\\pipe\\wkssvc")),
    ("rp_np_smb1", "smb", lambda d: first(d["smb"], lambda s: s["step"] == "negotiate")
     .__setitem__("dialect", "SMB 2.1")),
    ("rp_np_encrypted", "smb", lambda d: d["smb_connections"][0]["messages"]["received"]
     .__setitem__("transform", d["smb_connections"][0]["messages"]["received"]["transform"] + 1)),
    ("rp_np_encrypted", "calls", lambda d: d["calls"][0].pop("smb_encrypted")),
    ("rp_np_smb1", "calls", lambda d: first(d["calls"], lambda c: c.get("pipe") == "\\pipe\\lsarpc")
     .__setitem__("pipe", "\\pipe\\samr")),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("testdata")
    args = ap.parse_args()
    failures = 0
    for capture, check, change in MUTATIONS:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(os.path.join(args.testdata, capture + ".pcap"), tmp)
            with open(os.path.join(args.testdata, capture + ".expected.json")) as f:
                expected = json.load(f)
            change(expected)
            with open(os.path.join(tmp, capture + ".expected.json"), "w") as f:
                json.dump(expected, f)
            p = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), "--rpctrace",
                                args.rpctrace, tmp], stdout=subprocess.PIPE)
            out = p.stdout.decode()
            failed = [l.split()[2] for l in out.splitlines() if l.startswith("FAIL")]
            ok = p.returncode == 1 and failed == check.split()
            print("%s %s: changed expectation -> failed checks %s (want %s)" % (
                "ok  " if ok else "FAIL", capture, failed, check.split()))
            failures += not ok
    # And the unchanged recordings pass.
    p = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), "--rpctrace",
                        args.rpctrace, args.testdata], stdout=subprocess.PIPE)
    print("%s unchanged recordings: exit %d" % ("ok  " if p.returncode == 0 else "FAIL",
                                                p.returncode))
    failures += p.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
