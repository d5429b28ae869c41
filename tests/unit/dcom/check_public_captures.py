#!/usr/bin/env python3
"""The dcom decoder against tshark on every DCOM activation answer of the public captures.

For each capture in CAPTURES_DIR, tshark finds the responses of ISystemActivator
(IRemoteSCMActivator), IRemoteActivation and IObjectExporter (IOXIDResolver) that it
dissects; their stubs (PDU body minus the sec_trailer and auth padding) go through
dcom_stub_decode, and the OXID and string bindings must agree with tshark's dcom.oxid and
dcom.dualstringarray.tower_id / network_addr. tshark also lists the resolver bindings of the
OBJREF_STANDARD inside PropsOutInfo, which the decoder does not read: its list must end with
the decoder's, and what comes before must name no endpoint. For every port a binding names,
the first later TCP SYN to it is reported (the connection an analysis would link).

Exit status: 0 all agree; 1 a disagreement or a stub the decoder rejects; 77 (skipped)
without tshark or the captures. Nothing from the captures is written anywhere.
"""
import argparse
import os
import subprocess
import sys

IFACES = {
    "isystemactivator": "000001a0-0000-0000-c000-000000000046",
    "remact": "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57",
    "oxid": "99fcfec4-5260-101b-bbcb-00aa0021347a",
}
# The (interface, opnum) pairs of the answers decoded (MS-DCOM 3.1.2.5).
ANSWERS = {(IFACES["isystemactivator"], "3"), (IFACES["isystemactivator"], "4"),
           (IFACES["remact"], "0"), (IFACES["oxid"], "0"), (IFACES["oxid"], "4"),
           (IFACES["oxid"], "5")}
# Answers tshark cannot attribute, since the capture starts after the bind: (frame,
# interface, opnum) known from the request on port 135 (opnum 3) and the decoder alone.
MIDSTREAM = {"LM_dcom_mmc20.application_dcerpc.pcapng": [("2", IFACES["isystemactivator"], "3")]}


def tshark(args, exe, capture, fields, display_filter):
    cmd = [exe, "-r", capture, "-Y", display_filter, "-T", "fields", "-E", "separator=/t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def response_stubs(data):
    """(drep little-endian, stub) of each complete response PDU in the octets."""
    pos = 0
    while pos + 16 <= len(data):
        if data[pos] != 5:
            return
        order = "little" if data[pos + 4] & 0x10 else "big"
        frag = int.from_bytes(data[pos + 8:pos + 10], order)
        auth = int.from_bytes(data[pos + 10:pos + 12], order)
        pdu = data[pos:pos + frag]
        if len(pdu) == frag and frag >= 24 and pdu[2] == 2 and (pdu[3] & 3) == 3:
            end = frag - auth - (8 if auth else 0)
            pad = pdu[end + 2] if auth else 0
            yield order == "little", pdu[24:end - pad]
        pos += frag if frag else len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--decoder", required=True)
    ap.add_argument("--tshark", default="")
    ap.add_argument("captures")
    a = ap.parse_args()
    if not a.tshark or not os.path.isdir(a.captures):
        print("skipped: no tshark or no captures directory")
        return 77
    failures = 0
    answers = 0
    for name in sorted(os.listdir(a.captures)):
        if not name.endswith((".pcap", ".pcapng", ".cap")):
            continue
        capture = os.path.join(a.captures, name)
        # A response's frame.protocols names only dcerpc, so ask once per interface.
        rows = []
        for proto, iface in IFACES.items():
            for row in tshark(a, a.tshark, capture,
                              ["frame.number", "dcerpc.opnum", "tcp.reassembled.data",
                               "tcp.payload", "dcom.oxid", "dcom.dualstringarray.tower_id",
                               "dcom.dualstringarray.network_addr"],
                              f"dcerpc.pkt_type == 2 && {proto}"):
                rows.append([iface] + row + [""] * (7 - len(row)))
        for frame, iface, opnum in MIDSTREAM.get(name, []):
            row = tshark(a, a.tshark, capture, ["frame.number", "tcp.reassembled.data", "tcp.payload"],
                         f"frame.number == {frame}")[0]
            rows.append([iface, frame, opnum, row[1], row[2], None, "", ""])
        rows.sort(key=lambda r: int(r[1]))
        for row in rows:
            iface, frame, opnum, reassembled, payload, oxids, towers, addrs = row[:8]
            opnum = opnum.split(",")[0]
            if (iface, opnum) not in ANSWERS:
                continue
            data = bytes.fromhex((reassembled or payload).replace(":", ""))
            stubs = list(response_stubs(data))
            if not stubs:
                print(f"{name} frame {frame}: no complete response PDU in the frame (skipped)")
                continue
            little, stub = stubs[-1]
            line = f"f{frame} {iface} {opnum} {'le' if little else 'be'} {stub.hex()}\n"
            out = subprocess.run([a.decoder], input=line, capture_output=True, text=True).stdout
            answers += 1
            words = out.split(" ", 2)
            if len(words) < 3 or words[1] != "ok":
                print(f"{name} frame {frame}: decoder: {out.strip()}")
                failures += 1
                continue
            fields = dict(w.split("=", 1) for w in words[2].split() if "=" in w)
            operation = words[2].split()[0]
            ours = [b for b in fields.get("bindings", "").split(",") if b]
            ours_pairs = []
            for b in ours:
                tower, rest = b.split(":", 1)
                ours_pairs.append((int(tower, 16), rest.split("/port=")[0]))
            theirs = list(zip([int(t, 16) for t in towers.split(",") if t],
                              [x for x in addrs.split(",")] if addrs else []))
            prefix = theirs[:len(theirs) - len(ours_pairs)]
            agree = theirs[len(theirs) - len(ours_pairs):] == ours_pairs and all(
                not addr.endswith("]") for _, addr in prefix)
            oxid = fields.get("oxid", "-")
            if oxids is None:  # not dissected by tshark: reported, not compared
                agree = None
            elif oxid != "-" and oxid not in [o.strip() for o in oxids.split(",")]:
                agree = False
            ports = sorted({int(p.split("/port=")[1]) for p in ours if "/port=" in p})
            links = []
            for port in ports:
                syn = tshark(a, a.tshark, capture, ["frame.number", "ip.src", "tcp.srcport"],
                             f"tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == {port}"
                             f" && frame.number > {frame}")
                links.append(f"port {port}: " + (f"SYN frame {syn[0][0]} from {syn[0][1]}:{syn[0][2]}"
                                                 if syn else "no later SYN in the capture"))
            status = {True: "agrees", False: "DISAGREES", None: "tshark does not dissect it"}[agree]
            print(f"{name} frame {frame} {operation} oxid={oxid} hresult={fields.get('hresult')}"
                  f" bindings={','.join(addr for _, addr in ours_pairs) or '-'}"
                  f" tshark={','.join(addr for _, addr in theirs) or '-'}: {status}; "
                  + ("; ".join(links) if links else "no port named"))
            if agree is False:
                failures += 1
    print(f"{answers} activation answers, {failures} failures")
    # The captures hold at least the answers docs/dcom.md lists; none found means this check
    # (or tshark's dissection) broke, not that all is well.
    return 1 if failures or answers == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
