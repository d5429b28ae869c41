#!/usr/bin/env python3
"""Write a large, deterministic pcap of MSRPC over TCP for rpctrace's throughput benchmark.

The capture is classic pcap (microsecond timestamps, LINKTYPE_ETHERNET) holding Ethernet/IPv4/TCP
with correct lengths and IPv4 and TCP checksums. It interleaves many sessions (--concurrency at a
time, thousands in all). Each session is what a Windows client does to reach a dynamic endpoint:

  1. a connection to the endpoint mapper on TCP 135: handshake; bind to EPM
     (e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0) with NDR 2.0; bind_ack; ept_map (opnum 3)
     request and response, the response carrying a TCP/IP tower (C706 appendix L) with the
     dynamic port; FIN teardown (sometimes RST);
  2. a connection to that port: bind to the interface, bind_ack, then request/response calls
     with stubs from tens of bytes to about 100 KB, fragmented into PDUs of at most 5840 octets
     (PFC_FIRST_FRAG / PFC_LAST_FRAG), each flight cut into MSS 1460 segments; some small calls
     are pipelined, so several PDUs share a segment; delayed pure ACKs; teardown.

With --carrier np the second connection is instead SMB2 on TCP 445 (MS-SMB2): NEGOTIATE,
SESSION_SETUP, TREE_CONNECT to IPC$ and CREATE of a pipe; then, as Windows sends them, each
call's request fragments but the last in WRITEs, the last in an IOCTL FSCTL_PIPE_TRANSCEIVE
whose answer carries the first response fragment, and the other response fragments in READs:
the DCE/RPC bytes are the same as over TCP, with the SMB messages around them; the pipe is
closed before the teardown. Its ratio to the TCP capture says what pipes cost per byte.

About 3% of ept_map lookups answer EPT_S_NOT_REGISTERED with no tower; no second connection
follows those. The interfaces are synthetic (random UUIDs drawn from the seed): stubs are random
bytes, and tshark would call a real interface's stub malformed. Everything is little-endian NDR
(packed_drep 10 00 00 00) without authentication.

Only the standard library is used. The same --seed, --size-mb and --concurrency give the same
bytes. Usage:

  bench/gen_capture.py --output /tmp/rpctrace-bench/msrpc.pcap --size-mb 600 --seed 1
"""

import argparse
import math
import os
import random
import struct
import sys
import time
import uuid

# PTYPE values and pfc_flags bits, from the connection-oriented PDU definitions in C706 ch. 12.
PTYPE_REQUEST = 0
PTYPE_RESPONSE = 2
PTYPE_BIND = 11
PTYPE_BIND_ACK = 12
PFC_FIRST_FRAG = 0x01
PFC_LAST_FRAG = 0x02

PACKED_DREP_LE = b"\x10\x00\x00\x00"  # little-endian integers, ASCII, IEEE floats
COMMON_HEADER_LEN = 16
REQUEST_HEADER_LEN = 24  # common header + alloc_hint, p_cont_id, opnum
RESPONSE_HEADER_LEN = 24  # common header + alloc_hint, p_cont_id, cancel_count, reserved
MAX_FRAG = 5840  # max_xmit_frag / max_recv_frag that Windows offers
MAX_FRAG_STUB = MAX_FRAG - REQUEST_HEADER_LEN  # 5816, a multiple of 8 as NDR senders keep it
MSS = 1460

EPM_UUID = "e1af8308-5d1f-11c9-91a4-08002b14a0fa"  # v3.0
NDR_UUID = "8a885d04-1ceb-11c9-9fe8-08002b104860"  # v2.0
NDR64_UUID = "71710533-beba-4937-8319-b5dbef9ccc36"  # v1.0, NDR64 (MS-RPCE)
BIND_TIME_FEATURES_UUID = "6cb71c2c-9812-4540-0300-000000000000"  # v1.0 (MS-RPCE)
EPM_PORT = 135
EPT_MAP_OPNUM = 3
EPT_S_NOT_REGISTERED = 0x16C9A0D6
MAX_TOWERS = 4

# bind_ack p_result_t.result values (C706 ch. 12) and the bind-time feature answer (MS-RPCE).
RESULT_ACCEPTANCE = 0
RESULT_PROVIDER_REJECTION = 2
RESULT_NEGOTIATE_ACK = 3
REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED = 2

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
TCP_WINDOW = 64240
# SYN options: MSS 1460, NOP, NOP, SACK permitted (8 octets keep the header 4-aligned).
SYN_OPTIONS = struct.pack("!BBH", 2, 4, MSS) + b"\x01\x01\x04\x02"

PCAP_GLOBAL_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
START_TIME_US = 1709283600 * 1_000_000  # 2024-03-01 09:00:00 UTC
WRITE_CHUNK = 8 << 20


def syntax_id(uuid_text, major, minor):
    """p_syntax_id_t: the UUID in drep (little-endian) order, then if_version, major first."""
    return uuid.UUID(uuid_text).bytes_le + struct.pack("<HH", major, minor)


NDR_SYNTAX = syntax_id(NDR_UUID, 2, 0)
NDR64_SYNTAX = syntax_id(NDR64_UUID, 1, 0)
BTFN_SYNTAX = syntax_id(BIND_TIME_FEATURES_UUID, 1, 0)
NULL_SYNTAX = bytes(20)


def common_header(ptype, pfc_flags, frag_length, call_id):
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, pfc_flags, PACKED_DREP_LE, frag_length, 0,
                       call_id)


def bind_pdu(call_id, contexts):
    """contexts: list of (abstract_syntax, [transfer_syntax, ...]); p_cont_id is the index."""
    body = [struct.pack("<HHIB3x", MAX_FRAG, MAX_FRAG, 0, len(contexts))]
    for p_cont_id, (abstract, transfers) in enumerate(contexts):
        body.append(struct.pack("<HBx", p_cont_id, len(transfers)))
        body.append(abstract)
        body.extend(transfers)
    body = b"".join(body)
    return common_header(PTYPE_BIND, PFC_FIRST_FRAG | PFC_LAST_FRAG,
                         COMMON_HEADER_LEN + len(body), call_id) + body


def bind_ack_pdu(call_id, assoc_group_id, port, results):
    """results: list of (result, reason, transfer_syntax) in the order of the bind's contexts."""
    sec_addr = str(port).encode() + b"\x00"
    head = struct.pack("<HHIH", MAX_FRAG, MAX_FRAG, assoc_group_id, len(sec_addr)) + sec_addr
    pad = -(COMMON_HEADER_LEN + len(head)) % 4  # bind_ack pad2: p_result_list is 4-aligned
    body = [head, bytes(pad), struct.pack("<B3x", len(results))]
    for result, reason, transfer in results:
        body.append(struct.pack("<HH", result, reason))
        body.append(transfer)
    body = b"".join(body)
    return common_header(PTYPE_BIND_ACK, PFC_FIRST_FRAG | PFC_LAST_FRAG,
                         COMMON_HEADER_LEN + len(body), call_id) + body


def call_pdus(ptype, call_id, p_cont_id, opnum, stub):
    """Request (opnum set) or response PDUs carrying stub, fragmented at MAX_FRAG."""
    pdus = []
    total = len(stub)
    offset = 0
    while True:
        chunk = stub[offset:offset + MAX_FRAG_STUB]
        flags = (PFC_FIRST_FRAG if offset == 0 else 0)
        if offset + len(chunk) >= total:
            flags |= PFC_LAST_FRAG
        header_len = REQUEST_HEADER_LEN if ptype == PTYPE_REQUEST else RESPONSE_HEADER_LEN
        frag_length = header_len + len(chunk)
        alloc_hint = total - offset  # what remains of the stub, as Windows sends it
        head = common_header(ptype, flags, frag_length, call_id)
        if ptype == PTYPE_REQUEST:
            head += struct.pack("<IHH", alloc_hint, p_cont_id, opnum)
        else:
            head += struct.pack("<IHBB", alloc_hint, p_cont_id, 0, 0)
        pdus.append(head + chunk)
        offset += len(chunk)
        if flags & PFC_LAST_FRAG:
            return pdus


def tower(if_syntax, port, ip4):
    """C706 appendix L tower: floor count and lhs/rhs lengths little-endian; port, IP big-endian.

    if_syntax is a p_syntax_id_t (UUID + major + minor); a floor's lhs holds the UUID and major
    version, its rhs the minor version.
    """
    floors = (
        (b"\x0d" + if_syntax[:18], if_syntax[18:20]),
        (b"\x0d" + NDR_SYNTAX[:18], NDR_SYNTAX[18:20]),
        (b"\x0b", b"\x00\x00"),  # RPC connection-oriented protocol, minor version 0
        (b"\x07", struct.pack(">H", port)),  # TCP port
        (b"\x09", ip4),  # IPv4 address
    )
    out = [struct.pack("<H", len(floors))]
    for lhs, rhs in floors:
        out.append(struct.pack("<H", len(lhs)) + lhs + struct.pack("<H", len(rhs)) + rhs)
    return b"".join(out)


def ndr_tower(twr):
    """A twr_t pointee: conformance (max_count), tower_length, octets, padded to 4."""
    return struct.pack("<II", len(twr), len(twr)) + twr + bytes(-len(twr) % 4)


def ept_map_request_stub(if_syntax):
    return b"".join((
        struct.pack("<I", 1), bytes(16),  # object: referent, nil UUID
        struct.pack("<I", 2), ndr_tower(tower(if_syntax, 0, bytes(4))),  # map_tower
        bytes(20),  # entry_handle: a null context handle
        struct.pack("<I", MAX_TOWERS),
    ))


def ept_map_response_stub(if_syntax, port, ip4):
    """The answer with one tower, or EPT_S_NOT_REGISTERED and none when port is None."""
    towers = [] if port is None else [tower(if_syntax, port, ip4)]
    out = [bytes(20), struct.pack("<I", len(towers))]  # entry_handle, num_towers
    out.append(struct.pack("<III", MAX_TOWERS, 0, len(towers)))  # max, offset, actual count
    out.extend(struct.pack("<I", 3 + i) for i in range(len(towers)))  # referent ids
    out.extend(ndr_tower(t) for t in towers)
    out.append(struct.pack("<I", 0 if towers else EPT_S_NOT_REGISTERED))
    return b"".join(out)


class Connection:
    """One TCP connection; frames come out fully encoded, with sequence numbers and checksums.

    Direction 0 is client to server, 1 is server to client.
    """

    def __init__(self, rng, client_ip, client_port, client_mac, server_ip, server_port,
                 server_mac):
        self.ips = (client_ip, server_ip)
        self.ports = (client_port, server_port)
        self.eth = (server_mac + client_mac + b"\x08\x00", client_mac + server_mac + b"\x08\x00")
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]
        self.ip_id = [rng.getrandbits(16), rng.getrandbits(16)]
        self.ttl = (128, 128)
        addr_words = [sum(struct.unpack("!HHHH", self.ips[d] + self.ips[1 - d])) for d in (0, 1)]
        # IPv4 header words that never change: version/IHL/TOS, DF, TTL/protocol, addresses.
        self.ip_fixed = [0x4500 + 0x4000 + (self.ttl[d] << 8 | 6) + addr_words[d] for d in (0, 1)]
        # TCP pseudo-header words that never change: addresses and protocol.
        self.tcp_fixed = [addr_words[d] + 6 for d in (0, 1)]
        self.bytes_out = 0  # frame bytes produced, for the writer's size budget

    def frame(self, d, flags, payload=b"", options=b""):
        seq = self.seq[d]
        ack = self.seq[1 - d] if flags & TCP_ACK else 0
        tcp_len = 20 + len(options)
        seg_len = tcp_len + len(payload)
        total_len = 20 + seg_len
        ip_id = self.ip_id[d]
        self.ip_id[d] = (ip_id + 1) & 0xFFFF
        ip_sum = (-(self.ip_fixed[d] + total_len + ip_id)) % 0xFFFF
        ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total_len, ip_id, 0x4000, self.ttl[d], 6,
                             ip_sum, self.ips[d], self.ips[1 - d])
        sport, dport = self.ports[d], self.ports[1 - d]
        off_flags = (tcp_len // 4) << 12 | flags
        # A big-endian integer of 2n octets is congruent, modulo 0xFFFF, to the sum of its
        # 16-bit words (2**16 == 1 mod 0xFFFF), so int.from_bytes does the ones'-complement sum.
        words = (self.tcp_fixed[d] + seg_len + sport + dport + (seq >> 16) + (seq & 0xFFFF)
                 + (ack >> 16) + (ack & 0xFFFF) + off_flags + TCP_WINDOW
                 + int.from_bytes(options, "big"))
        if payload:
            value = int.from_bytes(payload, "big")
            words += value << 8 if len(payload) & 1 else value
        tcp_sum = (-words) % 0xFFFF
        tcp_hdr = struct.pack("!HHIIHHHH", sport, dport, seq, ack, off_flags, TCP_WINDOW, tcp_sum,
                              0)
        self.seq[d] = (seq + len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)) & 0xFFFFFFFF
        frame = b"".join((self.eth[d], ip_hdr, tcp_hdr, options, payload))
        self.bytes_out += len(frame) + 16
        return frame

    def handshake(self):
        yield self.frame(0, TCP_SYN, options=SYN_OPTIONS)
        yield self.frame(1, TCP_SYN | TCP_ACK, options=SYN_OPTIONS)
        yield self.frame(0, TCP_ACK)

    def flight(self, rng, d, pdus):
        """Send what one side has to say before it waits: cut into MSS segments, the receiver
        acking every second one (and sometimes the last, as a delayed ACK)."""
        data = b"".join(pdus)
        count = (len(data) + MSS - 1) // MSS
        for i in range(count):
            last = i == count - 1
            yield self.frame(d, TCP_ACK | (TCP_PSH if last else 0), data[i * MSS:(i + 1) * MSS])
            if (i & 1 and not last) or (last and rng.random() < 0.3):
                yield self.frame(1 - d, TCP_ACK)

    def close(self, rng):
        if rng.random() < 0.05:
            yield self.frame(0, TCP_RST | TCP_ACK)
            return
        yield self.frame(0, TCP_FIN | TCP_ACK)
        yield self.frame(1, TCP_FIN | TCP_ACK)
        yield self.frame(0, TCP_ACK)


# SMB2 (MS-SMB2 2.2): the 64-octet sync header and the bodies a named pipe needs.
SMB2_NEGOTIATE, SMB2_SESSION_SETUP, SMB2_TREE_CONNECT, SMB2_CREATE = 0, 1, 3, 5
SMB2_CLOSE, SMB2_READ, SMB2_WRITE, SMB2_IOCTL = 6, 8, 9, 11
FSCTL_PIPE_TRANSCEIVE = 0x0011C017
SMB_PORT = 445


class Smb2:
    """One SMB2 connection's message ids, session, tree and file; each method returns one
    session message (the 4-octet direct-TCP header, MS-SMB2 2.1, and the message)."""

    def __init__(self, rng):
        self.message_id = 0
        self.session = rng.getrandbits(63)
        self.tree = rng.getrandbits(31)
        self.file = struct.pack("<QQ", rng.getrandbits(63), rng.getrandbits(63))

    def message(self, command, response, body, status=0, msg_id=None):
        if msg_id is None:
            msg_id = self.message_id
        header = struct.pack("<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 1, status, command, 1,
                             1 if response else 0, 0, msg_id, 0, self.tree, self.session,
                             b"\0" * 16)
        data = header + body
        return struct.pack(">I", len(data)) + data

    def exchange(self, command, request_body, response_body):
        msg_id = self.message_id
        self.message_id += 1
        return (self.message(command, False, request_body, msg_id=msg_id),
                self.message(command, True, response_body, msg_id=msg_id))

    def setup(self, pipe):
        """(request, response) pairs from NEGOTIATE to the pipe's CREATE."""
        path = "\\\\dc\\IPC$".encode("utf-16-le")
        name = pipe.encode("utf-16-le")
        blob = b"NTLMSSP\0" + struct.pack("<I", 1) + b"\0" * 24
        return [
            self.exchange(SMB2_NEGOTIATE,
                          struct.pack("<HHHHI16sQHH", 36, 2, 1, 0, 0, b"\0" * 16, 0, 0x0202,
                                      0x0311),
                          struct.pack("<HHHH16sIIIIQQHHI", 65, 1, 0x0311, 0, b"\0" * 16, 0,
                                      65536, 65536, 65536, 0, 0, 128, 0, 0)),
            self.exchange(SMB2_SESSION_SETUP,
                          struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, len(blob), 0) + blob,
                          struct.pack("<HHHH", 9, 0, 72, 0) + b"\0"),
            self.exchange(SMB2_TREE_CONNECT, struct.pack("<HHHH", 9, 0, 72, len(path)) + path,
                          struct.pack("<HBBIII", 16, 2, 0, 0, 0, 0x1F01FF)),
            self.exchange(SMB2_CREATE,
                          struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019F, 0, 7, 1,
                                      0, 120, len(name), 0, 0) + name,
                          struct.pack("<HBBI32sQQII", 89, 0, 0, 1, b"\0" * 32, 4096, 0, 0x80, 0)
                          + self.file + struct.pack("<II", 0, 0)),
        ]

    def write(self, pdu):
        return self.exchange(SMB2_WRITE,
                             struct.pack("<HHIQ16sIIHHI", 49, 112, len(pdu), 0, self.file, 0, 0,
                                         0, 0, 0) + pdu,
                             struct.pack("<HHIIHH", 17, 0, len(pdu), 0, 0, 0))

    def read(self, pdu):
        return self.exchange(SMB2_READ,
                             struct.pack("<HBBIQ16sIIIHHB", 49, 0, 0, 65536, 0, self.file, 0, 0,
                                         0, 0, 0, 0),
                             struct.pack("<HBBIII", 17, 80, 0, len(pdu), 0, 0) + pdu)

    def transceive(self, request_pdu, response_pdu):
        """IOCTL FSCTL_PIPE_TRANSCEIVE (MS-SMB2 2.2.31, MS-FSCC 2.3.49): a PDU in, one out."""
        return self.exchange(SMB2_IOCTL,
                             struct.pack("<HHI16sIIIIIIII", 57, 0, FSCTL_PIPE_TRANSCEIVE,
                                         self.file, 120, len(request_pdu), 0, 120, 0, 65536, 1,
                                         0) + request_pdu,
                             struct.pack("<HHI16sIIIIII", 49, 0, FSCTL_PIPE_TRANSCEIVE,
                                         self.file, 112, 0, 112, len(response_pdu), 0, 0)
                             + response_pdu)

    def close(self):
        return self.exchange(SMB2_CLOSE, struct.pack("<HHI", 24, 0, 0) + self.file,
                             struct.pack("<HHI32sQQI", 60, 0, 0, b"\0" * 32, 0, 0, 0))


def log_uniform(rng, low, high):
    """An NDR-ish stub size: log-uniform in [low, high], rounded up to a multiple of 4."""
    size = int(math.exp(rng.uniform(math.log(low), math.log(high))))
    return (size + 3) & ~3


class Network:
    """Hosts, interfaces and dynamic ports, all drawn from the seed."""

    def __init__(self, rng, n_servers=40, n_clients=2000, n_interfaces=24):
        self.servers = [bytes((10, 0, 0, 10 + i)) for i in range(n_servers)]
        self.clients = [bytes((10, 1, i // 250, 1 + i % 250)) for i in range(n_clients)]
        self.next_port = {c: rng.randrange(49152, 60000) for c in self.clients}
        self.interfaces = []
        for _ in range(n_interfaces):
            if_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            self.interfaces.append((syntax_id(if_uuid, rng.randrange(4), rng.randrange(2)),
                                    rng.randrange(4, 80)))
        # Each server registers every interface on its own dynamic port (Windows uses 49664 up).
        self.dynamic_port = {}
        for server in self.servers:
            ports = rng.sample(range(49664, 49760), n_interfaces)
            for (if_syntax, _), port in zip(self.interfaces, ports):
                self.dynamic_port[server, if_syntax] = port
        # 1 MiB of random bytes; stubs are slices of it.
        self.pool = rng.randbytes(1 << 20)

    @staticmethod
    def mac(ip):
        return b"\x00\x15\x5d" + ip[1:]

    def ephemeral_port(self, client):
        port = self.next_port[client]
        self.next_port[client] = 49152 if port == 65535 else port + 1
        if port == 57000:  # tshark 4.0 decodes TCP 57000 as IRC, which would skew its run
            return self.ephemeral_port(client)
        return port

    def stub(self, rng, size):
        offset = rng.randrange(len(self.pool) - size)
        return self.pool[offset:offset + size]


class Session:
    """One client's ept_map lookup and its use of the endpoint; frames() yields its packets."""

    def __init__(self, rng, net, stats, carrier="tcp", max_calls=40, max_stub=100000):
        self.rng = rng
        self.net = net
        self.stats = stats
        self.carrier = carrier
        self.client = rng.choice(net.clients)
        self.server = rng.choice(net.servers)
        self.if_syntax, self.n_opnums = rng.choice(net.interfaces)
        self.registered = rng.random() >= 0.03
        # The calls on the dynamic connection, as batches of (opnum, request size, response size).
        self.batches = []
        estimate = 4000
        for _ in range(rng.randint(1, max_calls) if self.registered else 0):
            if rng.random() < 0.15:
                batch = [(rng.randrange(self.n_opnums), log_uniform(rng, 16, 600),
                          log_uniform(rng, 16, 600)) for _ in range(rng.randint(2, 4))]
            else:
                shape = rng.random()
                if shape < 0.7:  # a query: small request, answer up to ~100 KB
                    sizes = (log_uniform(rng, 16, min(2000, max_stub)), log_uniform(rng, 16, max_stub))
                elif shape < 0.9:  # an upload: large request, short status
                    sizes = (log_uniform(rng, 16, max_stub), log_uniform(rng, 8, 256))
                else:
                    sizes = (log_uniform(rng, 16, 256), log_uniform(rng, 8, 256))
                batch = [(rng.randrange(self.n_opnums),) + sizes]
            self.batches.append(batch)
            for _, req, resp in batch:
                # PDU headers, then per MSS segment its pcap record, Ethernet, IPv4 and TCP
                # headers and about half a pure ACK.
                estimate += (req + resp) * (1 + (16 + 54 + 35) / MSS) + 2 * (24 + 110)
        self.estimate = int(estimate)
        self.connections = []

    def connect(self, port):
        net = self.net
        conn = Connection(self.rng, self.client, net.ephemeral_port(self.client),
                          net.mac(self.client), self.server, port, net.mac(self.server))
        self.connections.append(conn)
        self.stats["connections"] += 1
        return conn

    def bytes_out(self):
        return sum(c.bytes_out for c in self.connections)

    def bind(self, conn, abstract, port):
        """Bind with NDR, sometimes offering NDR64 and bind-time features as Windows 7+ does."""
        rng = self.rng
        if rng.random() < 0.5:
            contexts = [(abstract, [NDR_SYNTAX])]
            results = [(RESULT_ACCEPTANCE, 0, NDR_SYNTAX)]
        else:
            contexts = [(abstract, [NDR_SYNTAX]), (abstract, [NDR64_SYNTAX]),
                        (abstract, [BTFN_SYNTAX])]
            results = [(RESULT_ACCEPTANCE, 0, NDR_SYNTAX),
                       (RESULT_PROVIDER_REJECTION, REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED,
                        NULL_SYNTAX),
                       (RESULT_NEGOTIATE_ACK, 0x0003, NULL_SYNTAX)]
        assoc_group_id = rng.randrange(0x1000, 0x10000)
        yield from conn.flight(rng, 0, [bind_pdu(1, contexts)])
        yield from conn.flight(rng, 1, [bind_ack_pdu(1, assoc_group_id, port, results)])

    def frames(self):
        rng, net = self.rng, self.net
        # Endpoint mapper.
        conn = self.connect(EPM_PORT)
        yield from conn.handshake()
        yield from self.bind(conn, syntax_id(EPM_UUID, 3, 0), EPM_PORT)
        request = ept_map_request_stub(self.if_syntax)
        yield from conn.flight(rng, 0, call_pdus(PTYPE_REQUEST, 2, 0, EPT_MAP_OPNUM, request))
        port = net.dynamic_port[self.server, self.if_syntax] if self.registered else None
        response = ept_map_response_stub(self.if_syntax, port, self.server)
        yield from conn.flight(rng, 1, call_pdus(PTYPE_RESPONSE, 2, 0, 0, response))
        yield from conn.close(rng)
        if port is None:
            self.stats["not_registered"] += 1
            return
        if self.carrier == "np":
            yield from self.over_pipe()
            return
        # The endpoint it announced.
        conn = self.connect(port)
        yield from conn.handshake()
        yield from self.bind(conn, self.if_syntax, port)
        for requests, responses in self.calls():
            yield from conn.flight(rng, 0, requests)
            yield from conn.flight(rng, 1, responses)
        yield from conn.close(rng)

    def calls(self):
        """Per batch, its request PDUs and its response PDUs (call ids from 2)."""
        rng, net = self.rng, self.net
        call_id = 2
        for batch in self.batches:
            requests, responses = [], []
            for opnum, req, resp in batch:
                requests += call_pdus(PTYPE_REQUEST, call_id, 0, opnum, net.stub(rng, req))
                responses += call_pdus(PTYPE_RESPONSE, call_id, 0, 0, net.stub(rng, resp))
                call_id += 1
                self.stats["calls"] += 1
            yield requests, responses


    def over_pipe(self):
        """The same bind and calls through a named pipe on TCP 445."""
        rng = self.rng
        conn = self.connect(SMB_PORT)
        smb = Smb2(rng)
        yield from conn.handshake()
        for request, response in smb.setup("rpcbench"):
            yield from conn.flight(rng, 0, [request])
            yield from conn.flight(rng, 1, [response])
        conn_pdus = [bind_pdu(1, [(self.if_syntax, [NDR_SYNTAX])])]
        ack = [bind_ack_pdu(1, rng.randrange(0x1000, 0x10000), SMB_PORT,
                            [(RESULT_ACCEPTANCE, 0, NDR_SYNTAX)])]
        yield from self.pipe_flights(conn, smb, conn_pdus, ack)
        for requests, responses in self.calls():
            yield from self.pipe_flights(conn, smb, requests, responses)
        request, response = smb.close()
        yield from conn.flight(rng, 0, [request])
        yield from conn.flight(rng, 1, [response])
        yield from conn.close(rng)

    def pipe_flights(self, conn, smb, requests, responses):
        """As Windows' RPC runtime does (MS-RPCE 3.1.1.5.1): the request's fragments but the
        last in WRITEs, the last in a transceive whose answer carries the first response
        fragment, the other response fragments in READs."""
        rng = self.rng
        writes = [smb.write(pdu) for pdu in requests[:-1]]
        if writes:
            yield from conn.flight(rng, 0, [q for q, _ in writes])
            yield from conn.flight(rng, 1, [a for _, a in writes])
        request, response = smb.transceive(requests[-1], responses[0])
        yield from conn.flight(rng, 0, [request])
        yield from conn.flight(rng, 1, [response])
        for pdu in responses[1:]:
            request, response = smb.read(pdu)
            yield from conn.flight(rng, 0, [request])
            yield from conn.flight(rng, 1, [response])


def generate(out, size_bytes, seed, concurrency, carrier="tcp", max_calls=40, max_stub=100000):
    rng = random.Random(seed)
    net = Network(rng)
    stats = {"peak": 0, "packets": 0, "sessions": 0, "connections": 0, "calls": 0, "not_registered": 0}
    out.write(PCAP_GLOBAL_HEADER)
    produced = len(PCAP_GLOBAL_HEADER)  # bytes of the file so far, written or in `chunk`
    chunk, chunk_len = [], 0
    ts = START_TIME_US
    active = []  # (Session, its frame iterator)
    record = struct.Struct("<IIII").pack

    # What the running sessions are expected still to write, kept up to date frame by frame
    # (summing it over thousands of sessions at every start would be quadratic).
    pending = 0

    def remaining(session):
        return max(0, session.estimate - session.bytes_out())

    def start_sessions():
        # Start sessions while the file, plus what the running sessions are expected still to
        # write, stays under the size asked for; so every session in the file is complete.
        nonlocal pending
        while len(active) < concurrency and produced + pending < size_bytes:
            session = Session(rng, net, stats, carrier, max_calls, max_stub)
            stats["sessions"] += 1
            active.append((session, session.frames()))
            pending += session.estimate
        stats["peak"] = max(stats["peak"], len(active))

    start_sessions()
    while active:
        index = rng.randrange(len(active))
        session, frames = active[index]
        before = remaining(session)
        frame = next(frames, None)
        pending += remaining(session) - before
        if frame is None:
            pending -= remaining(session)
            active[index] = active[-1]
            active.pop()
            start_sessions()
            continue
        ts += 1 + int(rng.expovariate(1 / 40))
        length = len(frame)
        chunk.append(record(ts // 1_000_000, ts % 1_000_000, length, length))
        chunk.append(frame)
        chunk_len += length + 16
        produced += length + 16
        stats["packets"] += 1
        if chunk_len >= WRITE_CHUNK:
            out.write(b"".join(chunk))
            chunk, chunk_len = [], 0
    out.write(b"".join(chunk))
    stats["bytes"] = produced
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", "-o", required=True, help="pcap file to write")
    parser.add_argument("--size-mb", type=float, default=600,
                        help="approximate size in MB (10^6 bytes); default 600")
    parser.add_argument("--seed", type=int, default=1, help="random seed; default 1")
    parser.add_argument("--concurrency", type=int, default=200,
                        help="sessions in progress at any time; default 200")
    parser.add_argument("--carrier", choices=("tcp", "np"), default="tcp",
                        help="the calls on a dynamic TCP port (tcp, default) or in a named "
                             "pipe over SMB2 on 445 (np)")
    parser.add_argument("--max-calls", type=int, default=40,
                        help="calls per dynamic connection are 1 to N; default 40 (smaller "
                             "sessions let thousands run at once in a short file)")
    parser.add_argument("--max-stub", type=int, default=100000,
                        help="largest stub in bytes; default 100000")
    args = parser.parse_args()
    if args.size_mb <= 0 or args.concurrency < 1 or args.max_calls < 1 or args.max_stub < 256:
        parser.error("--size-mb must be positive, --concurrency and --max-calls at least 1, "
                     "--max-stub at least 256")

    started = time.monotonic()
    temporary = args.output + ".partial"
    with open(temporary, "wb", buffering=0) as out:
        stats = generate(out, int(args.size_mb * 1_000_000), args.seed, args.concurrency,
                         args.carrier, args.max_calls, args.max_stub)
    os.replace(temporary, args.output)
    elapsed = time.monotonic() - started
    print(f"{args.output}: {stats['bytes']} bytes, {stats['packets']} packets, "
          f"{stats['sessions']} sessions, {stats['connections']} connections, "
          f"{stats['calls']} calls, {stats['not_registered']} ept_map not registered, "
          f"{stats['peak']} sessions at once at most; "
          f"seed {args.seed}, concurrency {args.concurrency}, {elapsed:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
