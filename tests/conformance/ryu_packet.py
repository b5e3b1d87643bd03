"""Frames from Ryu packet-library constructor strings, as Ryu's switch tester
builds them.

The Ryu OF1.3 test files describe each frame as a list of Python expressions,
one per layer: "ethernet(dst='22:22:22:22:22:22', ethertype=2048)",
"ipv4(proto=6, ttl=64)", "tcp(option=bytes(b'\\x00' * 4))", "b'\\x01\\x02'".
This module reads them with the ast module (nothing is eval'd: only calls of
the known layer names, literals, arithmetic, bytes(), netaddr.IPAddress(),
netaddr.EUI() and randint() are accepted) and serialises the stack to bytes the way Ryu does:
fields Ryu leaves at 0 (lengths, checksums, TCP offset, ND option length) are
computed, the others are written as given. Defaults are Ryu's. Layers outside
OpenFlow-lite (mpls, itag, IPv6 extension headers) raise Unsupported.
"""

import ast
import ipaddress
import random
import struct

ETH_IPV4, ETH_ARP, ETH_IPV6 = 0x0800, 0x0806, 0x86DD
PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6, PROTO_SCTP = 1, 6, 17, 58, 132


class Unsupported(Exception):
    """A layer this tester does not build (outside OpenFlow-lite's scope)."""


class Layer:
    """One protocol layer: a name and its keyword arguments."""

    def __init__(self, name, kwargs):
        self.name = name
        self.kw = kwargs

    def get(self, key, default):
        return self.kw.get(key, default)


# --- parsing the constructor strings -----------------------------------

LAYER_NAMES = {
    "ethernet", "vlan", "svlan", "ipv4", "ipv6", "tcp", "udp", "sctp", "icmp",
    "icmpv6", "arp", "echo", "icmpv6echo", "dest_unreach", "nd_neighbor", "nd_option_sla",
    "nd_option_tla", "chunk_data", "mpls", "itag", "hop_opts", "auth",
    "dst_opts", "routing", "fragment",
}


class _Eval:
    """A tiny evaluator for the expression subset the test files use."""

    def __init__(self, rng):
        self.rng = rng

    def eval(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise ValueError("unsupported expression: %s" % ast.dump(node))
        return method(node)

    def _Constant(self, node):
        return node.value

    def _List(self, node):
        return [self.eval(e) for e in node.elts]

    def _UnaryOp(self, node):
        if isinstance(node.op, ast.USub):
            return -self.eval(node.operand)
        raise ValueError("unsupported unary operator")

    def _BinOp(self, node):
        a, b = self.eval(node.left), self.eval(node.right)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.Pow: lambda: a ** b, ast.BitAnd: lambda: a & b}
        for kind, fn in ops.items():
            if isinstance(node.op, kind):
                return fn()
        raise ValueError("unsupported operator")

    def _Call(self, node):
        name = self._func_name(node.func)
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
        if name == "bytes":
            return bytes(*args)
        if name == "randint":
            return self.rng.randint(*args)
        if name == "netaddr.IPAddress":
            value = args[0]
            return str(ipaddress.ip_address(value)) if value < 2 ** 32 else \
                str(ipaddress.IPv6Address(value))
        if name == "netaddr.EUI":
            return ":".join("%02x" % b for b in args[0].to_bytes(6, "big"))
        if name in LAYER_NAMES:
            if args:
                raise ValueError("%s: positional arguments" % name)
            return Layer(name, kwargs)
        raise ValueError("unknown constructor %s" % name)

    @staticmethod
    def _func_name(func):
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return func.value.id + "." + func.attr
        raise ValueError("unsupported call")


def parse_layers(texts, rng=None):
    """The list of Layer objects and bytes that the strings describe."""
    ev = _Eval(rng or random.Random(0))
    return [ev.eval(ast.parse(t.strip(), mode="eval").body) for t in texts]


def build(texts, rng=None):
    """The frame (bytes) that the constructor strings describe."""
    return serialize(parse_layers(texts, rng))


# --- serialisation -------------------------------------------------------

def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip4(text):
    return ipaddress.IPv4Address(text).packed


def ip6(text):
    return ipaddress.IPv6Address(text).packed


def csum16(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def crc32c(data):
    """CRC-32C (Castagnoli), as SCTP uses it (RFC 4960 appendix B)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return ~crc & 0xFFFFFFFF


def pseudo_header(prev, length):
    """The IPv4 or IPv6 pseudo-header of an L4 checksum. Its protocol is the IP
    header's (proto, nxt), not the L4 layer's own, as Ryu computes it: after a
    set_field of ip_proto the model frame's TCP checksum covers the new value."""
    if prev is None:
        return b""
    if prev.name == "ipv4":
        proto = prev.get("proto", 0)
        return ip4(prev.get("src", "10.0.0.1")) + ip4(prev.get("dst", "10.0.0.2")) + \
            struct.pack("!BBH", 0, proto, length)
    return ip6(prev.get("src", "10::10")) + ip6(prev.get("dst", "20::20")) + \
        struct.pack("!IxxxB", length, prev.get("nxt", PROTO_TCP))


def serialize(layers):
    """Bytes of a layer stack, innermost first so lengths and checksums are known."""
    payload = b""
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        if isinstance(layer, (bytes, bytearray)):
            payload = bytes(layer) + payload
            continue
        prev = _previous_ip(layers, i)
        fn = SERIALIZERS.get(layer.name)
        if fn is None:
            raise Unsupported("layer %s" % layer.name)
        payload = fn(layer, payload, prev)
    return payload


def _previous_ip(layers, i):
    for layer in reversed(layers[:i]):
        if isinstance(layer, Layer) and layer.name in ("ipv4", "ipv6"):
            return layer
    return None


def ser_ethernet(l, payload, prev):
    return mac(l.get("dst", "ff:ff:ff:ff:ff:ff")) + mac(l.get("src", "00:00:00:00:00:00")) + \
        struct.pack("!H", l.get("ethertype", ETH_IPV4)) + payload


def ser_vlan(l, payload, prev):
    tci = l.get("pcp", 0) << 13 | l.get("cfi", 0) << 12 | l.get("vid", 0)
    return struct.pack("!HH", tci, l.get("ethertype", ETH_IPV4)) + payload


def ser_ipv4(l, payload, prev):
    if l.get("option", None):
        raise Unsupported("IPv4 options")
    ihl = l.get("header_length", 5)
    total = l.get("total_length", 0) or ihl * 4 + len(payload)
    frag = l.get("flags", 0) << 13 | l.get("offset", 0)
    hdr = struct.pack("!BBHHHBBH4s4s", l.get("version", 4) << 4 | ihl, l.get("tos", 0),
                      total, l.get("identification", 0), frag, l.get("ttl", 255),
                      l.get("proto", 0), l.get("csum", 0), ip4(l.get("src", "10.0.0.1")),
                      ip4(l.get("dst", "10.0.0.2")))
    if l.get("csum", 0) == 0:
        hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
    return hdr + payload


def ser_ipv6(l, payload, prev):
    if l.get("ext_hdrs", None):
        raise Unsupported("IPv6 extension headers")
    word = l.get("version", 6) << 28 | l.get("traffic_class", 0) << 20 | l.get("flow_label", 0)
    plen = l.get("payload_length", 0) or len(payload)
    return struct.pack("!IHBB16s16s", word, plen, l.get("nxt", PROTO_TCP),
                       l.get("hop_limit", 255), ip6(l.get("src", "10::10")),
                       ip6(l.get("dst", "20::20"))) + payload


def _l4_checksum(hdr, payload, prev, offset):
    seg = hdr + payload
    c = csum16(pseudo_header(prev, len(seg)) + seg)
    return hdr[:offset] + struct.pack("!H", c) + hdr[offset + 2:]


def ser_tcp(l, payload, prev):
    opt = l.get("option", None) or b""
    if not isinstance(opt, (bytes, bytearray)):
        raise Unsupported("TCP option objects")
    opt = bytes(opt) + b"\0" * (-len(opt) % 4)
    offset = l.get("offset", 0) or (20 + len(opt)) // 4
    hdr = struct.pack("!HHIIBBHHH", l.get("src_port", 1), l.get("dst_port", 1),
                      l.get("seq", 0), l.get("ack", 0), offset << 4, l.get("bits", 0),
                      l.get("window_size", 0), l.get("csum", 0), l.get("urgent", 0)) + opt
    if l.get("csum", 0) == 0:
        hdr = _l4_checksum(hdr, payload, prev, 16)
    return hdr + payload


def ser_udp(l, payload, prev):
    length = l.get("total_length", 0) or 8 + len(payload)
    hdr = struct.pack("!HHHH", l.get("src_port", 1), l.get("dst_port", 1), length,
                      l.get("csum", 0))
    if l.get("csum", 0) == 0:
        hdr = _l4_checksum(hdr, payload, prev, 6)
    return hdr + payload


def ser_chunk_data(l):
    data = l.get("payload_data", b"")
    flags = l.get("unordered", 0) << 2 | l.get("begin", 0) << 1 | l.get("end", 0)
    length = l.get("length", 0) or 16 + len(data)
    return struct.pack("!BBHIHHI", 0, flags, length, l.get("tsn", 0), l.get("sid", 0),
                       l.get("seq", 0), l.get("payload_id", 0)) + data


def ser_sctp(l, payload, prev):
    chunks = b"".join(ser_chunk_data(c) for c in l.get("chunks", []))
    hdr = struct.pack("!HHII", l.get("src_port", 0), l.get("dst_port", 0), l.get("vtag", 0),
                      l.get("csum", 0)) + chunks
    if l.get("csum", 0) == 0:
        # The CRC goes on the wire least significant byte first (RFC 4960 B).
        hdr = hdr[:8] + struct.pack("<I", crc32c(hdr)) + hdr[12:]
    return hdr + payload


def ser_icmp_body(body):
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if body.name in ("echo", "icmpv6echo"):
        return struct.pack("!HH", body.get("id_", 0), body.get("seq", 0)) + \
            (body.get("data", None) or b"")
    if body.name == "dest_unreach":
        return struct.pack("!xBH", body.get("data_len", 0), body.get("mtu", 0)) + \
            (body.get("data", None) or b"")
    if body.name == "nd_neighbor":
        return struct.pack("!I16s", body.get("res", 0) << 29, ip6(body.get("dst", "::"))) + \
            ser_nd_option(body.get("option", None))
    raise Unsupported("ICMP body %s" % body.name)


def ser_nd_option(opt):
    if opt is None:
        return b""
    kind = {"nd_option_sla": 1, "nd_option_tla": 2}[opt.name]
    buf = struct.pack("!BB6s", kind, opt.get("length", 0),
                      mac(opt.get("hw_src", "00:00:00:00:00:00")))
    buf += opt.get("data", None) or b""
    buf += b"\0" * (-len(buf) % 8)
    if opt.get("length", 0) == 0:
        buf = buf[:1] + bytes([len(buf) // 8]) + buf[2:]
    return buf


def ser_icmp(l, payload, prev):
    hdr = struct.pack("!BBH", l.get("type_", 8), l.get("code", 0), l.get("csum", 0)) + \
        ser_icmp_body(l.get("data", None))
    if l.get("csum", 0) == 0:
        hdr = hdr[:2] + struct.pack("!H", csum16(hdr + payload)) + hdr[4:]
    return hdr + payload


def ser_icmpv6(l, payload, prev):
    hdr = struct.pack("!BBH", l.get("type_", 0), l.get("code", 0), l.get("csum", 0)) + \
        ser_icmp_body(l.get("data", None))
    if l.get("csum", 0) == 0:
        hdr = _l4_checksum(hdr, payload, prev, 2)
    return hdr + payload


def ser_arp(l, payload, prev):
    return struct.pack("!HHBBH6s4s6s4s", l.get("hwtype", 1), l.get("proto", ETH_IPV4),
                       l.get("hlen", 6), l.get("plen", 4), l.get("opcode", 1),
                       mac(l.get("src_mac", "ff:ff:ff:ff:ff:ff")), ip4(l.get("src_ip", "0.0.0.0")),
                       mac(l.get("dst_mac", "ff:ff:ff:ff:ff:ff")),
                       ip4(l.get("dst_ip", "0.0.0.0"))) + payload


SERIALIZERS = {
    "ethernet": ser_ethernet, "vlan": ser_vlan, "svlan": ser_vlan, "ipv4": ser_ipv4,
    "ipv6": ser_ipv6, "tcp": ser_tcp, "udp": ser_udp, "sctp": ser_sctp, "icmp": ser_icmp,
    "icmpv6": ser_icmpv6, "arp": ser_arp,
}
