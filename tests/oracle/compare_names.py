#!/usr/bin/env python3
"""List every interface UUID bound (bind / alter_context) or named in an endpoint mapper
tower or ept_lookup request in the given captures, with tshark's name for it and rpctrace's,
and classify the pair.

Usage: compare_names.py [--markdown] [--rpctrace BIN] [--tshark BIN] [CAPTURE|DIR ...]
  default: the repository's testdata/ and ../shared/captures/public beside it.

tshark's name: the showname of dcerpc.cn_bind_to_uuid ("Interface: NAME UUID: ...") or of
an interface floor's epm.uuid / ept_lookup's epm.if_id ("UUID: NAME (uuid)"), over any
carrier (TCP, SMB pipes, ...). rpctrace's name: interface.name / abstract_syntax.name in its
JSON where rpctrace saw the UUID (it reads TCP only), else the row of
src/dcerpc/data/interfaces.tsv that rpctrace compiles in (read here, never changed).

Classes: same; same-spelling (equal after case and punctuation are ignored); wording (the
same interface named differently, checked by hand: VERDICTS); DIFFERENT (not the same
interface: a real disagreement, VERDICTS says which tool is right); tshark-only;
rpctrace-only; unnamed (neither knows it); unchecked (differs and no verdict yet: exit 1).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
TSV = os.path.join(ROOT, "src", "dcerpc", "data", "interfaces.tsv")

# Hand-checked verdicts for names that differ after normalisation:
# uuid -> (class, justification). class "wording" or "DIFFERENT".
VERDICTS = {
    "12345678-1234-abcd-ef00-01234567cffb": ("wording", "MS-NRPC: the Netlogon interface "
        "(logon); tshark registers it as RPC_NETLOGON, rpctrace as NETLOGON"),
    "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57": ("wording", "MS-DCOM 1.9: IRemoteActivation; "
        "tshark abbreviates it REMACT (its dissector packet-dcom-remact.c)"),
    "6bffd098-a112-3610-9833-012892020162": ("wording", "MS-BRWSA 1.9/2.1: the CIFS Browser "
        "Auxiliary Protocol interface (browser, v0.0); tshark calls it RPC_BROWSER"),
    "86d35949-83c9-4044-b424-db363231fd0c": ("wording", "MS-TSCH 1.9: ITaskSchedulerService; "
        "tshark drops the interface prefix I"),
    "a4f1db00-ca47-1067-b31f-00dd010662da": ("wording", "MS-OXCRPC 1.9: the EMSMDB interface "
        "(Exchange store, MAPI over RPC); tshark names it after MAPI"),
    "c681d488-d850-11d0-8c52-00c04fd90f7e": ("wording", "MS-EFSR 1.9: efsrpc over "
        "\\pipe\\lsarpc (EFSRPC); tshark calls it EFS"),
}


def norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def tsv_names():
    names = {}
    with open(TSV) as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh if not line.startswith("#")]
    for row in rows[1:]:
        if len(row) >= 3:
            names[row[0].lower()] = row[2]
    return names


def tshark_names(tshark, capture, found):
    """found: uuid -> {"tshark": Counter(names), "where": set, "captures": set}"""
    cmd = [tshark, "-r", capture, "-Y", "dcerpc.cn_bind_to_uuid || epm.uuid || epm.if_id",
           "-T", "pdml", "-J", "dcerpc epm"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for _, elem in ET.iterparse(proc.stdout, events=("end",)):
            if elem.tag != "packet":
                continue
            hits = [(f, "bind") for f in elem.iter("field")
                    if f.get("name") == "dcerpc.cn_bind_to_uuid"]
            for node in elem.iter("field"):   # floor 1 names the interface, floor 2 the
                if (node.get("show") or "").startswith("Floor 1 ") or \
                        (node.get("show") or "").startswith("Interface:"):  # transfer syntax
                    hits += [(f, "epm") for f in node
                             if f.get("name") in ("epm.uuid", "epm.if_id")]
            for f, where in hits:
                show, text = f.get("show"), f.get("showname") or ""
                if where == "bind":
                    m = re.match(r"Interface: (.*?) ?UUID: ", text)
                else:
                    m = re.match(r"(?:UUID|Interface): (.*) \([0-9a-f-]{36}\)$", text)
                entry = found[show.lower()]
                entry["tshark"][(m.group(1) if m else "") or None] += 1
                entry["where"].add(where)
                entry["captures"].add(os.path.basename(capture))
            elem.clear()
    except ET.ParseError:
        pass   # a damaged capture: keep what was read
    proc.wait()


def rpctrace_names(rpctrace, capture, names):
    out = subprocess.run([rpctrace, capture, "--format", "jsonl"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode(errors="replace")

    def visit(node):
        if isinstance(node, dict):
            for key in ("interface", "abstract_syntax", "interface_id"):
                s = node.get(key)
                if isinstance(s, dict) and "uuid" in s:
                    names[s["uuid"].lower()][s.get("name")] += 1
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)
    for line in out.splitlines():
        try:
            visit(json.loads(line))
        except ValueError:
            pass


def classify(uuid, t, r):
    if t is None and r is None:
        return "unnamed"
    if r is None:
        return "tshark-only"
    if t is None:
        return "rpctrace-only"
    if t == r:
        return "same"
    if norm(t) == norm(r):
        return "same-spelling"
    return VERDICTS.get(uuid, ("unchecked", ""))[0]


def captures_in(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    full = os.path.join(d, f)
                    with open(full, "rb") as fh:
                        magic = fh.read(4).hex()
                    if magic in ("a1b2c3d4", "d4c3b2a1", "a1b23c4d", "4d3cb2a1", "0a0d0d0a",
                                 "474d4255"):
                        yield full
        else:
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--rpctrace", default=os.environ.get(
        "RPCTRACE", os.path.join(ROOT, "build", "rpctrace")))
    ap.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    paths = args.paths or [os.path.join(ROOT, "testdata"),
                           os.path.join(ROOT, "..", "shared", "captures", "public")]
    found = collections.defaultdict(lambda: {"tshark": collections.Counter(), "where": set(),
                                             "captures": set()})
    seen = collections.defaultdict(collections.Counter)
    for cap in captures_in(paths):
        tshark_names(args.tshark, cap, found)
        rpctrace_names(args.rpctrace, cap, seen)
    table, rows = tsv_names(), []
    for uuid in sorted(found):
        e = found[uuid]
        t = e["tshark"].most_common(1)[0][0] if e["tshark"] else None
        if uuid in seen:
            r, source = seen[uuid].most_common(1)[0][0], "json"
        else:
            r, source = table.get(uuid), "tsv"
        rows.append((uuid, t, r, source, classify(uuid, t, r), sorted(e["where"]),
                     len(e["captures"])))
    counts = collections.Counter(row[4] for row in rows)
    if args.markdown:
        print("| UUID | tshark | rpctrace | class | seen in | captures |")
        print("|---|---|---|---|---|---|")
        for uuid, t, r, source, cls, where, ncap in rows:
            if cls == "unnamed":
                continue
            r_text = (r or "-") + (" (table)" if source == "tsv" and r else "")
            print("| `%s` | %s | %s | %s | %s | %d |" % (
                uuid, t or "-", r_text, cls, "+".join(where), ncap))
        print("\nNamed by neither tool (%d): %s" % (
            counts["unnamed"], ", ".join("`%s`" % row[0] for row in rows if row[4] == "unnamed")))
    else:
        for uuid, t, r, source, cls, where, ncap in rows:
            print("%-36s  %-26s %-26s %-14s %s" % (uuid, t or "-", (r or "-") + (
                "*" if source == "tsv" and r else ""), cls, "+".join(where)))
            if cls in ("wording", "DIFFERENT"):
                print("    %s" % VERDICTS[uuid][1])
        print("(* rpctrace did not see this UUID over TCP: its interfaces.tsv name)")
    print("\n" + ", ".join("%s %d" % kv for kv in sorted(counts.items())), file=sys.stderr)
    return 1 if counts["unchecked"] else 0


if __name__ == "__main__":
    sys.exit(main())
