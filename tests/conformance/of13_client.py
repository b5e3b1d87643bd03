"""A small OpenFlow 1.3 controller for the conformance runner.

Connects to a switch's listener, says HELLO, and encodes the messages of Ryu's
JSON encoding (OFPFlowMod, OFPGroupMod, OFPMeterMod with their matches,
instructions, actions, buckets and bands) with struct, following the
OpenFlow 1.3.5 specification (§7: the wire structures). It also sends
BARRIER, the multiparts the runner needs (FLOW, TABLE, GROUP_DESC,
METER_CONFIG), and collects PACKET_INs and ERRORs that arrive on the same
connection. Ryu's defaults apply to what a JSON object leaves out.
"""

import ipaddress
import select
import socket
import struct
import time

OFP_VERSION = 4
T_HELLO, T_ERROR, T_ECHO_REQUEST, T_ECHO_REPLY = 0, 1, 2, 3
T_FEATURES_REQUEST, T_FEATURES_REPLY = 5, 6
T_PACKET_IN, T_FLOW_MOD, T_GROUP_MOD = 10, 14, 15
T_MULTIPART_REQUEST, T_MULTIPART_REPLY = 18, 19
T_BARRIER_REQUEST, T_BARRIER_REPLY, T_METER_MOD = 20, 21, 29
MP_FLOW, MP_TABLE, MP_GROUP_DESC, MP_METER_CONFIG = 1, 3, 7, 10
MP_REPLY_MORE = 1

OFPP_ANY = 0xFFFFFFFF
OFPG_ANY = 0xFFFFFFFF
OFPG_ALL = 0xFFFFFFFC
OFPM_ALL = 0xFFFFFFFF
OFPTT_ALL = 0xFF
OFP_NO_BUFFER = 0xFFFFFFFF
OFPCML_MAX = 0xFFE5
OFP_DEFAULT_PRIORITY = 0x8000
OFPFC_ADD, OFPFC_DELETE = 0, 3
OFPGC_ADD, OFPGC_DELETE = 0, 2
OFPMC_ADD, OFPMC_DELETE = 0, 2
OFPMF_KBPS = 1
OXM_CLASS_BASIC = 0x8000

# OXM basic fields (§7.2.3.7): name -> (field number, value length).
OXM_FIELDS = {
    "in_port": (0, 4), "in_phy_port": (1, 4), "metadata": (2, 8), "eth_dst": (3, 6),
    "eth_src": (4, 6), "eth_type": (5, 2), "vlan_vid": (6, 2), "vlan_pcp": (7, 1),
    "ip_dscp": (8, 1), "ip_ecn": (9, 1), "ip_proto": (10, 1), "ipv4_src": (11, 4),
    "ipv4_dst": (12, 4), "tcp_src": (13, 2), "tcp_dst": (14, 2), "udp_src": (15, 2),
    "udp_dst": (16, 2), "sctp_src": (17, 2), "sctp_dst": (18, 2), "icmpv4_type": (19, 1),
    "icmpv4_code": (20, 1), "arp_op": (21, 2), "arp_spa": (22, 4), "arp_tpa": (23, 4),
    "arp_sha": (24, 6), "arp_tha": (25, 6), "ipv6_src": (26, 16), "ipv6_dst": (27, 16),
    "ipv6_flabel": (28, 4), "icmpv6_type": (29, 1), "icmpv6_code": (30, 1),
    "ipv6_nd_target": (31, 16), "ipv6_nd_sll": (32, 6), "ipv6_nd_tll": (33, 6),
    "mpls_label": (34, 4), "mpls_tc": (35, 1), "mpls_bos": (36, 1), "pbb_isid": (37, 3),
    "tunnel_id": (38, 8), "ipv6_exthdr": (39, 2),
}


class OFError(Exception):
    """The switch answered with OFPT_ERROR."""

    def __init__(self, etype, code, data):
        super().__init__("OFPT_ERROR type %d code %d" % (etype, code))
        self.etype, self.code, self.data = etype, code, data


def pad8(buf):
    return buf + b"\0" * (-len(buf) % 8)


# --- matches --------------------------------------------------------------

def oxm_value(value, size):
    """A JSON OXM value (int, MAC or IP text) as 'size' bytes."""
    if isinstance(value, int):
        return value.to_bytes(size, "big")
    if ":" in value and size == 6:
        return bytes(int(x, 16) for x in value.split(":"))
    return ipaddress.ip_address(value).packed


def encode_oxm(tlv):
    field, size = OXM_FIELDS[tlv["field"]]
    mask = tlv.get("mask")
    body = oxm_value(tlv["value"], size)
    if mask is not None:
        body += oxm_value(mask, size)
    return struct.pack("!HBB", OXM_CLASS_BASIC, field << 1 | (mask is not None), len(body)) + body


def encode_match(match):
    """ofp_match (OXM), padded to 8 bytes."""
    fields = b"".join(encode_oxm(f["OXMTlv"]) for f in (match or {}).get("oxm_fields", []))
    return pad8(struct.pack("!HH", 1, 4 + len(fields)) + fields)


# --- actions and instructions --------------------------------------------

def _act(kind, body=b""):
    return struct.pack("!HH", kind, 4 + len(body)) + body


ACTIONS = {
    "OFPActionOutput": lambda a: _act(0, struct.pack("!IH6x", a["port"],
                                                     a.get("max_len", OFPCML_MAX))),
    "OFPActionCopyTtlOut": lambda a: _act(11, b"\0" * 4),
    "OFPActionCopyTtlIn": lambda a: _act(12, b"\0" * 4),
    "OFPActionSetMplsTtl": lambda a: _act(15, struct.pack("!B3x", a["mpls_ttl"])),
    "OFPActionDecMplsTtl": lambda a: _act(16, b"\0" * 4),
    "OFPActionPushVlan": lambda a: _act(17, struct.pack("!H2x", a.get("ethertype", 0x8100))),
    "OFPActionPopVlan": lambda a: _act(18, b"\0" * 4),
    "OFPActionPushMpls": lambda a: _act(19, struct.pack("!H2x", a.get("ethertype", 0x8847))),
    "OFPActionPopMpls": lambda a: _act(20, struct.pack("!H2x", a.get("ethertype", 0x0800))),
    "OFPActionSetQueue": lambda a: _act(21, struct.pack("!I", a["queue_id"])),
    "OFPActionGroup": lambda a: _act(22, struct.pack("!I", a.get("group_id", 0))),
    "OFPActionSetNwTtl": lambda a: _act(23, struct.pack("!B3x", a["nw_ttl"])),
    "OFPActionDecNwTtl": lambda a: _act(24, b"\0" * 4),
    "OFPActionPushPbb": lambda a: _act(26, struct.pack("!H2x", a.get("ethertype", 0x88E7))),
    "OFPActionPopPbb": lambda a: _act(27, b"\0" * 4),
}


def encode_set_field(a):
    oxm = encode_oxm(a["field"]["OXMTlv"])
    body = oxm + b"\0" * (-(4 + len(oxm)) % 8)
    return _act(25, body)


def encode_actions(actions):
    out = b""
    for a in actions or []:
        (kind, args), = a.items()
        out += encode_set_field(args) if kind == "OFPActionSetField" else ACTIONS[kind](args)
    return out


def encode_instruction(inst):
    (kind, a), = inst.items()
    if kind == "OFPInstructionGotoTable":
        return struct.pack("!HHB3x", 1, 8, a["table_id"])
    if kind == "OFPInstructionWriteMetadata":
        return struct.pack("!HH4xQQ", 2, 24, a["metadata"], a["metadata_mask"])
    if kind == "OFPInstructionActions":
        acts = encode_actions(a.get("actions"))
        return struct.pack("!HH4x", a["type"], 8 + len(acts)) + acts
    if kind == "OFPInstructionMeter":
        return struct.pack("!HHI", 6, 8, a["meter_id"])
    raise ValueError("unknown instruction %s" % kind)


# --- messages -------------------------------------------------------------

def header(kind, length, xid):
    return struct.pack("!BBHI", OFP_VERSION, kind, length, xid)


def message(kind, body, xid):
    return header(kind, 8 + len(body), xid) + body


def flow_mod_body(fm):
    """ofp_flow_mod after the header, from a Ryu OFPFlowMod dict."""
    fixed = struct.pack("!QQBBHHHIIIH2x", fm.get("cookie", 0), fm.get("cookie_mask", 0),
                        fm.get("table_id", 0), fm.get("command", OFPFC_ADD),
                        fm.get("idle_timeout", 0), fm.get("hard_timeout", 0),
                        fm.get("priority", OFP_DEFAULT_PRIORITY),
                        fm.get("buffer_id", OFP_NO_BUFFER), fm.get("out_port", 0),
                        fm.get("out_group", 0), fm.get("flags", 0))
    match = encode_match((fm.get("match") or {}).get("OFPMatch"))
    insts = b"".join(encode_instruction(i) for i in fm.get("instructions", []))
    return fixed + match + insts


def group_mod_body(gm):
    buckets = b""
    for b in gm.get("buckets", []):
        b = b["OFPBucket"]
        acts = encode_actions(b.get("actions"))
        buckets += struct.pack("!HHII4x", 16 + len(acts), b.get("weight", 0),
                               b.get("watch_port", OFPP_ANY), b.get("watch_group", OFPG_ANY))
        buckets += acts
    return struct.pack("!HBxI", gm.get("command", OFPGC_ADD), gm.get("type", 0),
                       gm.get("group_id", 0)) + buckets


def encode_band(band):
    (kind, b), = band.items()
    if kind == "OFPMeterBandDrop":
        return struct.pack("!HHII4x", 1, 16, b["rate"], b.get("burst_size", 0))
    if kind == "OFPMeterBandDscpRemark":
        return struct.pack("!HHIIB3x", 2, 16, b["rate"], b.get("burst_size", 0),
                           b.get("prec_level", 0))
    raise ValueError("unknown meter band %s" % kind)


def meter_mod_body(mm):
    bands = b"".join(encode_band(b) for b in mm.get("bands", []))
    return struct.pack("!HHI", mm.get("command", OFPMC_ADD), mm.get("flags", OFPMF_KBPS),
                       mm.get("meter_id", 1)) + bands


PREREQ_ENCODERS = {
    "OFPFlowMod": (T_FLOW_MOD, flow_mod_body),
    "OFPGroupMod": (T_GROUP_MOD, group_mod_body),
    "OFPMeterMod": (T_METER_MOD, meter_mod_body),
}


def parse_match_fields(buf):
    """{field number: value bytes} of an ofp_match at the start of buf, and its padded size."""
    mtype, mlen = struct.unpack_from("!HH", buf)
    fields, off = {}, 4
    while off + 4 <= mlen:
        _cls, fh, flen = struct.unpack_from("!HBB", buf, off)
        fields[fh >> 1] = buf[off + 4:off + 4 + flen]
        off += 4 + flen
    return fields, (mlen + 7) // 8 * 8


class Client:
    """One controller connection: requests with replies, and the asynchronous messages."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.xid = 0
        self.packet_ins = []
        self.errors = []
        self.send(T_HELLO, b"")
        self._expect_type(T_HELLO)
        self.datapath_id = struct.unpack_from("!Q", self.request(T_FEATURES_REQUEST, b"")[0])[0]

    def close(self):
        self.sock.close()

    def send(self, kind, body, xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.sock.sendall(message(kind, body, xid))
        return xid

    # receiving ---------------------------------------------------------

    def _read_message(self, deadline):
        while True:
            if len(self.buf) >= 8:
                length = struct.unpack_from("!H", self.buf, 2)[0]
                if len(self.buf) >= length:
                    msg, self.buf = self.buf[:length], self.buf[length:]
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("switch closed the connection")
            self.buf += data

    def _dispatch(self, msg):
        """Keeps asynchronous messages; answers echo. True if msg was consumed."""
        kind = msg[1]
        if kind == T_ECHO_REQUEST:
            self.sock.sendall(header(T_ECHO_REPLY, len(msg), struct.unpack_from("!I", msg, 4)[0])
                              + msg[8:])
            return True
        if kind == T_PACKET_IN:
            self.packet_ins.append(msg)
            return True
        if kind == T_ERROR:
            self.errors.append(msg)
            return True
        return False

    def poll(self, seconds):
        """Reads what arrives within 'seconds' (packet-ins, errors)."""
        deadline = time.monotonic() + seconds
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                return
            if not self._dispatch(msg):
                raise ConnectionError("unexpected message type %d" % msg[1])

    def _expect_type(self, kind, xid=None):
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                raise TimeoutError("no reply of type %d" % kind)
            if msg[1] == kind and (xid is None or struct.unpack_from("!I", msg, 4)[0] == xid):
                return msg
            if not self._dispatch(msg):
                raise ConnectionError("unexpected message type %d" % msg[1])

    def request(self, kind, body):
        """Sends a request and returns the bodies of its reply (multiparts: every part)."""
        xid = self.send(kind, body)
        reply_type = {T_FEATURES_REQUEST: T_FEATURES_REPLY, T_BARRIER_REQUEST: T_BARRIER_REPLY,
                      T_MULTIPART_REQUEST: T_MULTIPART_REPLY}[kind]
        parts = []
        while True:
            msg = self._expect_type_or_error(reply_type, xid)
            if kind != T_MULTIPART_REQUEST:
                return [msg[8:]]
            flags = struct.unpack_from("!H", msg, 10)[0]
            parts.append(msg[16:])
            if not flags & MP_REPLY_MORE:
                return parts

    def _expect_type_or_error(self, kind, xid):
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                raise TimeoutError("no reply of type %d to xid %d" % (kind, xid))
            mxid = struct.unpack_from("!I", msg, 4)[0]
            if msg[1] == T_ERROR and mxid == xid:
                etype, code = struct.unpack_from("!HH", msg, 8)
                raise OFError(etype, code, msg[12:])
            if msg[1] == kind and mxid == xid:
                return msg
            if not self._dispatch(msg):
                raise ConnectionError("unexpected message type %d" % msg[1])

    # requests ----------------------------------------------------------

    def barrier(self):
        self.request(T_BARRIER_REQUEST, b"")

    def errors_for(self, xids):
        """(xid, type, code) of the errors that answer one of 'xids'."""
        out = []
        for msg in self.errors:
            xid = struct.unpack_from("!I", msg, 4)[0]
            if xid in xids:
                out.append((xid,) + struct.unpack_from("!HH", msg, 8))
        return out

    def multipart(self, mp_type, body=b""):
        return self.request(T_MULTIPART_REQUEST, struct.pack("!HH4x", mp_type, 0) + body)

    def send_prereq(self, obj):
        """Sends one Ryu JSON message ({"OFPFlowMod": {...}}); returns its xid."""
        (kind, args), = obj.items()
        msg_type, encoder = PREREQ_ENCODERS[kind]
        return self.send(msg_type, encoder(args))

    def delete_all(self):
        """Deletes every flow, group and meter; returns the xids (errors come later)."""
        return [self.send(T_FLOW_MOD, flow_mod_body({"table_id": OFPTT_ALL, "command": OFPFC_DELETE,
                                                     "out_port": OFPP_ANY,
                                                     "out_group": OFPG_ANY})),
                self.send(T_GROUP_MOD, struct.pack("!HBxI", OFPGC_DELETE, 0, OFPG_ALL)),
                self.send(T_METER_MOD, struct.pack("!HHI", OFPMC_DELETE, 0, OFPM_ALL))]

    def count_flows(self):
        body = struct.pack("!B3xII4xQQ", OFPTT_ALL, OFPP_ANY, OFPG_ANY, 0, 0) + encode_match(None)
        n = 0
        for part in self.multipart(MP_FLOW, body):
            off = 0
            while off < len(part):
                n += 1
                off += struct.unpack_from("!H", part, off)[0]
        return n

    def count_groups(self):
        n = 0
        for part in self.multipart(MP_GROUP_DESC):
            off = 0
            while off < len(part):
                n += 1
                off += struct.unpack_from("!H", part, off)[0]
        return n

    def count_meters(self):
        n = 0
        for part in self.multipart(MP_METER_CONFIG, struct.pack("!I4x", OFPM_ALL)):
            off = 0
            while off < len(part):
                n += 1
                off += struct.unpack_from("!H", part, off)[0]
        return n

    def table_stats(self):
        """{table_id: (lookup_count, matched_count)}."""
        out = {}
        for part in self.multipart(MP_TABLE):
            for off in range(0, len(part) - 23, 24):
                tid, _active, lookup, matched = struct.unpack_from("!B3xIQQ", part, off)
                out[tid] = (lookup, matched)
        return out

    def take_packet_ins(self):
        """The PACKET_INs received so far as (reason, table_id, match fields, data)."""
        out = []
        for msg in self.packet_ins:
            _buf, _total, reason, table_id, _cookie = struct.unpack_from("!IHBBQ", msg, 8)
            fields, mlen = parse_match_fields(msg[24:])
            out.append((reason, table_id, fields, msg[24 + mlen + 2:]))
        self.packet_ins = []
        return out
