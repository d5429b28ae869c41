"""Endpoint mapper (EPM) content of one PDU, from tshark's PDML and from rpctrace's JSON,
in one normalised shape, and their comparison (used by compare_tshark.py).

Normalised shape (keys absent when the operation has no such field):
  {"opnum", "inquiry_type", "object", "interface_id": (uuid, major, minor), "vers_option",
   "handle": (attributes, uuid), "max_ents", "max_towers", "num_ents", "num_towers", "replace",
   "status", "towers": [tower], "entries": [{"object", "annotation", "tower"}]}
  tower: {"floors": (protocol ids), "interface": (uuid, major, minor), "transfer": (...),
          "protseq", "ports", "addresses", "pipes", "netbios"}  (lists; protseq may be None)

tshark 4.0 quirks handled here: a tower floor's major version (epm.uuid_version) and minor
version (epm.ver_min) are the little-endian octets read big-endian, so they are byte-swapped
back; the context handle (epm.hnd) is raw octets; an entry's annotation may be absent.
"""

# Tower protocol ids below the interface and transfer syntax floors -> protocol sequence.
PROTSEQS = {(0x0b, 0x07, 0x09): "ncacn_ip_tcp", (0x0a, 0x08, 0x09): "ncadg_ip_udp",
            (0x0b, 0x0f, 0x11): "ncacn_np", (0x0c, 0x10): "ncalrpc",
            (0x0b, 0x1f, 0x09): "ncacn_http", (0x0b, 0x1f): "ncacn_http",
            (0x0b, 0x1f, 0x20): "ncacn_http"}
SCALARS = {"epm.inq_type": "inquiry_type", "epm.ver_opt": "vers_option",
           "epm.max_ents": "max_ents", "epm.max_towers": "max_towers",
           "epm.num_ents": "num_ents", "epm.num_towers": "num_towers",
           "epm.replace": "replace", "epm.rc": "status"}
EMPTY_TOWER = {"floors": (), "interface": None, "transfer": None, "protseq": None,
               "ports": [], "addresses": [], "pipes": [], "netbios": []}


def swap16(v):
    return ((v & 0xff) << 8) | (v >> 8)


def guid_from_octets(octets, little):
    """A DCE UUID string from its 16 NDR octets (first three fields in the PDU's order)."""
    h = octets.hex()
    if little:   # the first three fields are little-endian
        h = (octets[3::-1] + octets[5:3:-1] + octets[7:5:-1] + octets[8:]).hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def children(node):
    return [c for c in node if c.tag == "field"]


def label(node):
    return node.get("show") or ""


# ---------------------------------------------------------------- tshark side

def tshark_tower(node):
    """A tower from a PDML "Tower pointer:" node (its "Floor N" children)."""
    t = dict(EMPTY_TOWER, ports=[], addresses=[], pipes=[], netbios=[])
    floors, uuids = [], []
    for floor in children(node):
        if not label(floor).startswith("Floor "):
            continue
        f = {c.get("name"): c.get("show") for c in floor.iter("field")}
        if "epm.tower.proto_id" not in f:
            continue
        floors.append(int(f["epm.tower.proto_id"], 0))
        if "epm.uuid" in f:
            uuids.append((f["epm.uuid"], swap16(int(f.get("epm.uuid_version", "0"))),
                          swap16(int(f.get("epm.ver_min", "0")))))
        for name, key in (("epm.proto.tcp_port", "ports"), ("epm.proto.udp_port", "ports"),
                          ("epm.proto.http_port", "ports"), ("epm.proto.ip", "addresses"),
                          ("epm.proto.named_pipe", "pipes"), ("epm.proto.netbios_name", "netbios")):
            if name in f:
                t[key].append(int(f[name]) if key == "ports" else f[name])
    t["floors"] = tuple(floors)
    t["interface"] = uuids[0] if uuids else None
    t["transfer"] = uuids[1] if len(uuids) > 1 else None
    t["protseq"] = PROTSEQS.get(tuple(floors[2:]))
    return t


def tshark_epm(proto, little=True):
    """The normalised EPM content of a <proto name="epm">, or None when tshark shows no
    stub fields (an unknown operation, or a response it could not link to its request)."""
    out, towers, entries = {}, [], []
    for f in children(proto):
        name, show, text = f.get("name"), f.get("show"), label(f)
        if name == "epm.opnum":
            out["opnum"] = int(show)
        elif name in SCALARS:
            out[SCALARS[name]] = int(show, 0)
        elif name == "epm.hnd":
            raw = bytes.fromhex(show.replace(":", ""))
            attrs = int.from_bytes(raw[:4], "little" if little else "big")
            out["handle"] = (attrs, guid_from_octets(raw[4:], little))
        elif name == "dcerpc.null_pointer":
            pass   # object / interface absent
        elif text.startswith(("Object:", "UUID pointer:")):
            for c in f.iter("field"):
                if c.get("name") in ("epm.object", "epm.uuid"):
                    out["object"] = c.get("show")
        elif text.startswith("Interface:"):
            g = {c.get("name"): c.get("show") for c in f.iter("field")}
            out["interface_id"] = (g.get("epm.if_id"), int(g.get("epm.ver_maj", "0")),
                                   int(g.get("epm.ver_min", "0")))
        elif text.startswith("Tower pointer:"):
            towers.append(tshark_tower(f))
        elif text.startswith("Tower array:"):
            towers += [tshark_tower(c) for c in children(f) if label(c).startswith("Tower pointer:")]
        elif text.startswith(("Entries:", "Entry:")):
            for e in ([f] if text.startswith("Entry:") else children(f)):
                if not label(e).startswith("Entry:"):
                    continue
                entry = {"object": None, "annotation": None, "tower": None}
                for c in children(e):
                    if c.get("name") == "epm.object":
                        entry["object"] = c.get("show")
                    elif c.get("name") == "epm.annotation":
                        entry["annotation"] = c.get("show")
                    elif label(c).startswith("Tower pointer:"):
                        entry["tower"] = tshark_tower(c)
                entries.append(entry)
    if towers:
        out["towers"] = towers
    if entries or "num_ents" in out:
        out["entries"] = entries
    return out if set(out) - {"opnum"} else None


# ---------------------------------------------------------------- rpctrace side

def version(v):
    major, _, minor = (v or "0.0").partition(".")
    return int(major), int(minor or 0)


def floor_text(rhs_hex):
    """A floor's rhs octets as text, up to the first NUL (pipe and NetBIOS names)."""
    raw = bytes.fromhex(rhs_hex or "")
    return raw.split(b"\0", 1)[0].decode("latin-1")


def rpctrace_tower(t):
    if t is None:
        return None
    # Names come from the floors themselves (0x0f/0x10 pipes, 0x11 NetBIOS), as tshark's do.
    pipes, netbios = [], []
    for f in t.get("floors", []):
        if f["protocol_id"] in (0x0F, 0x10):
            pipes.append(floor_text(f.get("rhs")))
        elif f["protocol_id"] == 0x11:
            netbios.append(floor_text(f.get("rhs")))
    syntax = lambda s: (s["uuid"], *version(s.get("version"))) if s else None
    return {"floors": tuple(f["protocol_id"] for f in t.get("floors", [])),
            "interface": syntax(t.get("interface")), "transfer": syntax(t.get("transfer_syntax")),
            "protseq": t.get("protseq"), "ports": [t["port"]] if "port" in t else [],
            "addresses": [t["address"]] if "address" in t else [],
            "pipes": pipes, "netbios": netbios}


def rpctrace_epm(epm, opnum):
    """The normalised content of a rpctrace "epm" object (None when it has an error)."""
    if not epm or "error" in epm:
        return None
    out = {"opnum": opnum}
    for key in ("inquiry_type", "object", "vers_option", "max_ents", "max_towers",
                "num_ents", "num_towers", "replace", "status"):
        if key in epm:
            out[key] = epm[key]
    if "interface_id" in epm:
        s = epm["interface_id"]
        out["interface_id"] = (s["uuid"], *version(s.get("version")))
    if "entry_handle" in epm:
        out["handle"] = (epm["entry_handle"]["attributes"], epm["entry_handle"]["uuid"])
    towers = epm.get("map_tower", []) + epm.get("towers", [])
    if towers:
        out["towers"] = [rpctrace_tower(t) for t in towers]
    if "entries" in epm:
        out["entries"] = [{"object": e.get("object"), "annotation": e.get("annotation"),
                           "tower": rpctrace_tower((e.get("tower") or [None])[0])}
                          for e in epm["entries"]]
    return out


# ---------------------------------------------------------------- comparison

TOWER_KEYS = ("floors", "interface", "transfer", "protseq", "ports", "addresses", "pipes",
              "netbios")
TOWER_FIELDS = {"ports": "epm_ports", "addresses": "epm_addresses", "floors": "epm_floors",
                "protseq": "epm_protseq", "pipes": "epm_pipes", "netbios": "epm_netbios",
                "interface": "epm_tower_interface", "transfer": "epm_tower_transfer"}


def compare_tower(where, t, r):
    if t is None or r is None:
        return [] if t is r else [("epm_tower", "%s: %s" % (where, t and "tower"),
                                   "%s: %s" % (where, r and "tower"))]
    out = []
    for key in TOWER_KEYS:
        tv, rv = t[key], r[key]
        if key == "protseq" and tv is None:
            continue   # floors tshark's table cannot name: compared as "floors"
        if tv != rv:
            out.append((TOWER_FIELDS[key], "%s: %s" % (where, tv), "%s: %s" % (where, rv)))
    return out


def compare_epm(t, r):
    """(differences [(field, tshark, rpctrace)], entries and towers compared)."""
    out, compared = [], 0
    for key in sorted((set(t) | set(r)) - {"towers", "entries"}):
        if t.get(key) != r.get(key):
            out.append(("epm_" + key, t.get(key), r.get(key)))
    for what in ("towers", "entries"):
        tl, rl = t.get(what, []), r.get(what, [])
        if len(tl) != len(rl):
            out.append(("epm_count", "%d %s" % (len(tl), what), "%d %s" % (len(rl), what)))
        for i, (te, re_) in enumerate(zip(tl, rl)):
            compared += 1
            where = "%s[%d]" % ("tower" if what == "towers" else "entry", i)
            if what == "towers":
                out += compare_tower(where, te, re_)
                continue
            if te["object"] != re_["object"]:
                out.append(("epm_entry_object", "%s: %s" % (where, te["object"]),
                            "%s: %s" % (where, re_["object"])))
            # tshark leaves an empty annotation out in some frames: absent matches "".
            if (te["annotation"] or "") != (re_["annotation"] or ""):
                out.append(("epm_annotation", "%s: %r" % (where, te["annotation"]),
                            "%s: %r" % (where, re_["annotation"])))
            out += compare_tower(where, te["tower"], re_["tower"])
    return out, compared
