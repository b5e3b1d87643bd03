#!/usr/bin/env python3
"""Compares the RTM_NEWLINK VF requests of two netlink captures byte for byte
(tests/integration/sriov_nl.sh).

usage: sriov_nl_compare.py FORMAT IFINDEX EXPECTED ACTUAL
FORMAT is 'pcap' (tcpdump on an nlmon device) or 'rec' (tests/tools/sriov_nlrec.c:
records of a 4-byte host-order length and the bytes). In each capture the one
request to change IFINDEX's VFs is picked: type RTM_NEWLINK, NLM_F_REQUEST, that
ifindex, an IFLA_VFINFO_LIST attribute. nlmsg_seq and nlmsg_pid are set to 0 in
both before comparing: each program numbers its own requests, and the port id
is the sender's. Prints the attributes and exits 1 on any other difference."""
import struct
import sys

RTM_NEWLINK, NLM_F_REQUEST, IFLA_VFINFO_LIST = 16, 1, 22
VF_NAMES = {1: "IFLA_VF_MAC", 2: "IFLA_VF_VLAN", 3: "IFLA_VF_TX_RATE", 4: "IFLA_VF_SPOOFCHK",
            5: "IFLA_VF_LINK_STATE", 6: "IFLA_VF_RATE", 9: "IFLA_VF_TRUST",
            12: "IFLA_VF_VLAN_LIST"}


def messages_in(buf):
    off = 0
    while off + 16 <= len(buf):
        n = struct.unpack_from("<I", buf, off)[0]
        if n < 16 or off + n > len(buf):
            break
        yield buf[off:off + n]
        off += (n + 3) & ~3


def packets_rec(data):
    off = 0
    while off + 4 <= len(data):
        n = struct.unpack_from("<I", data, off)[0]
        yield data[off + 4:off + 4 + n]
        off += 4 + n


def packets_pcap(data):
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    skip = {253: 0, 113: 16, 276: 20}.get(linktype)
    if skip is None:
        sys.exit(f"pcap link type {linktype} is not netlink")
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from(end + "I", data, off + 8)[0]
        yield data[off + 16 + skip:off + 16 + incl]
        off += 16 + incl


def attrs(buf):
    off = 0
    while off + 4 <= len(buf):
        n, t = struct.unpack_from("<HH", buf, off)
        if n < 4 or off + n > len(buf):
            break
        yield t & 0x3fff, buf[off + 4:off + n], t
        off += (n + 3) & ~3


def vf_request(path, fmt, ifindex):
    data = open(path, "rb").read()
    found = []
    for pkt in (packets_pcap(data) if fmt == "pcap" else packets_rec(data)):
        for m in messages_in(pkt):
            typ, flags = struct.unpack_from("<HH", m, 4)
            if typ != RTM_NEWLINK or not flags & NLM_F_REQUEST or len(m) < 32:
                continue
            if struct.unpack_from("<i", m, 20)[0] != ifindex:
                continue
            if any(t == IFLA_VFINFO_LIST for t, _, _ in attrs(m[32:])):
                found.append(bytearray(m))
    if len(found) != 1:
        sys.exit(f"{path}: {len(found)} VF requests for ifindex {ifindex}, expected 1")
    m = found[0]
    m[8:16] = bytes(8)  # nlmsg_seq, nlmsg_pid
    return bytes(m)


def describe(m):
    out = [f"nlmsg len {len(m)} type {struct.unpack_from('<H', m, 4)[0]} "
           f"flags 0x{struct.unpack_from('<H', m, 6)[0]:x}"]
    for t, p, raw in attrs(m[32:]):
        out.append(f"  attr {t} (type field 0x{raw:04x}) len {len(p)}")
        if t == IFLA_VFINFO_LIST:
            for _, info, _ in attrs(p):
                for vt, vp, vraw in attrs(info):
                    out.append(f"    {VF_NAMES.get(vt, vt)} (0x{vraw:04x}): {vp.hex()}")
    return out


def main():
    fmt, ifindex, expected, actual = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    a, b = vf_request(expected, fmt, ifindex), vf_request(actual, fmt, ifindex)
    print("ip:   " + "\n      ".join(describe(a)))
    print("iovs: " + "\n      ".join(describe(b)))
    if a != b:
        diff = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
        sys.exit(f"differ: lengths {len(a)}/{len(b)}, first differing bytes at {diff[:8]}")
    print(f"identical: {len(a)} bytes (nlmsg_seq and nlmsg_pid ignored)")


main()
