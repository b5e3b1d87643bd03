#!/usr/bin/env python3
"""A VLAN-tagged end host in user space, for kernels without 802.1Q support.

Runs in a network namespace on a raw AF_PACKET socket and answers ARP requests
and ICMP echo requests for its addresses, each bound to one VLAN: a request
arriving with another tag (or none) is not answered. So a ping through iovsd
succeeds only if iovsd tagged the frame with exactly the right VID both ways.
The kernel hands received tags beside the frame (PACKET_AUXDATA); replies are
sent with the tag inline.

  vlan_host.py --iface eth0 --addr 100=10.77.100.3 --addr 200=10.77.200.3
  vlan_host.py --iface eth0 --send-tagged 300 --count 5    # emit tagged broadcasts
"""
import argparse
import socket
import struct
import sys
import time

ETH_P_ALL, ETH_P_IP, ETH_P_ARP, ETH_P_8021Q = 0x0003, 0x0800, 0x0806, 0x8100
SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(dst, src, vid, ethertype, payload):
    return dst + src + struct.pack("!HHH", ETH_P_8021Q, vid, ethertype) + payload


def recv_tagged(sock):
    """Returns (vid or None, frame without tag)."""
    data, anc, _, _ = sock.recvmsg(65535, socket.CMSG_SPACE(20))
    vid = None
    for level, kind, cdata in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(cdata) >= 20:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", cdata[:20])
            if status & TP_STATUS_VLAN_VALID:
                vid = tci & 0xFFF
    if vid is None and len(data) >= 18 and struct.unpack("!H", data[12:14])[0] == ETH_P_8021Q:
        vid = struct.unpack("!H", data[14:16])[0] & 0xFFF
        data = data[:12] + data[16:]
    return vid, data


def answer(sock, mac, addrs, vid, data):
    """Builds the reply to one untagged-view frame, or None."""
    if len(data) < 14:
        return None
    dst, src, etype = data[0:6], data[6:12], struct.unpack("!H", data[12:14])[0]
    body = data[14:]
    if etype == ETH_P_ARP and len(body) >= 28:
        op = struct.unpack("!H", body[6:8])[0]
        sha, spa, tpa = body[8:14], body[14:18], body[24:28]
        if op == 1 and vid is not None and addrs.get(tpa) == vid:
            arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) + mac + tpa + sha + spa
            return frame(src, mac, vid, ETH_P_ARP, arp)
    if etype == ETH_P_IP and len(body) >= 20 and dst == mac:
        ihl = (body[0] & 0xF) * 4
        proto, saddr, daddr = body[9], body[12:16], body[16:20]
        icmp = body[ihl:]
        if proto == 1 and vid is not None and addrs.get(daddr) == vid and len(icmp) >= 8 \
                and icmp[0] == 8:
            reply = b"\0\0" + b"\0\0" + icmp[4:]
            reply = reply[:2] + struct.pack("!H", checksum(reply)) + reply[4:]
            ip = bytearray(body[:ihl])
            ip[8] = 64
            ip[12:16], ip[16:20] = daddr, saddr
            ip[10:12] = b"\0\0"
            ip[2:4] = struct.pack("!H", ihl + len(reply))
            ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
            return frame(src, mac, vid, ETH_P_IP, bytes(ip) + reply)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--addr", action="append", default=[], help="VID=IPv4 to answer for")
    ap.add_argument("--send-tagged", type=int, help="send tagged broadcasts on this VID and exit")
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=120, help="answer for this long, then exit")
    args = ap.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((args.iface, 0))
    mac = sock.getsockname()[4][:6]
    if args.send_tagged is not None:
        payload = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 1) + mac + bytes(4) + bytes(6) + bytes(4)
        for _ in range(args.count):
            sock.send(frame(b"\xff" * 6, mac, args.send_tagged, ETH_P_ARP, payload))
            time.sleep(0.05)
        return 0

    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    addrs = {}
    for a in args.addr:
        vid, ip = a.split("=")
        addrs[socket.inet_aton(ip)] = int(vid)
    print("vlan_host: %s answering %s" % (args.iface, ", ".join(args.addr)), flush=True)
    deadline = time.monotonic() + args.seconds
    sock.settimeout(1.0)
    answered = 0
    while time.monotonic() < deadline:
        try:
            vid, data = recv_tagged(sock)
        except socket.timeout:
            continue
        if data[6:12] == mac:  # our own transmissions
            continue
        reply = answer(sock, mac, addrs, vid, data)
        if reply is not None:
            sock.send(reply)
            answered += 1
    print("vlan_host: answered %d requests" % answered, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
