"""The tester's side of the switch ports: raw AF_PACKET sockets on the veth ends
that live in network namespaces (one namespace per switch port).

Each socket is opened inside its namespace (setns through libc, then back), so
the runner stays one process. Received frames get their VLAN tag back: the
kernel moves an outer tag into metadata on receive; PACKET_AUXDATA gives it
(TCI and TPID) and it is put back where it was, as libpcap does. Frames the
socket itself sent (PACKET_OUTGOING) are ignored. For throughput the sockets
count in the kernel: a classic BPF filter selects the frames and
PACKET_STATISTICS gives how many passed it, so Python never reads them.
"""

import ctypes
import os
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def open_in_netns(netns, iface):
    """A raw AF_PACKET socket bound to 'iface' inside namespace 'netns'."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + netns, os.O_RDONLY)
    try:
        _setns(target)
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            sock.bind((iface, 0))
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    return sock


class Port:
    """One switch port seen from the tester: send frames, receive frames."""

    def __init__(self, number, netns, iface="eth0"):
        self.number = number
        self.sock = open_in_netns(netns, iface)
        self.counter = None

    def send(self, frame):
        self.sock.send(frame)

    def drain(self):
        while self.recv(0) is not None:
            pass

    def recv(self, timeout):
        """The next frame received (tag restored) within 'timeout' seconds, or None."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                data, anc, _flags, addr = self.sock.recvmsg(65536, socket.CMSG_SPACE(20))
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                    return None
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            return _restore_vlan(data, anc)

    def close(self):
        self.sock.close()
        if self.counter is not None:
            self.counter.close()


def _restore_vlan(data, ancillary):
    for level, kind, cdata in ancillary:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(cdata) < 20:
            continue
        status, _len, _snap, _mac, _net, tci, tpid = struct.unpack_from("=IIIHHHH", cdata)
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = 0x8100
            return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


# --- kernel-side counting for throughput ----------------------------------

class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


BPF_LD_H_ABS, BPF_LD_B_ABS = 0x28, 0x30
BPF_ALU_AND_K, BPF_ALU_RSH_K = 0x54, 0x74
BPF_JEQ_K, BPF_RET_K = 0x15, 0x06


def bpf_program(eth_type=None, ip_dscp=None):
    """Classic BPF accepting untagged frames with that eth_type and DSCP (None: any)."""
    prog = []

    def require(load, value):
        prog.extend(load)
        prog.append((BPF_JEQ_K, 0, "reject", value))

    if eth_type is not None:
        require([(BPF_LD_H_ABS, 0, 0, 12)], eth_type)
    if ip_dscp is not None and eth_type == 0x0800:
        require([(BPF_LD_B_ABS, 0, 0, 15), (BPF_ALU_RSH_K, 0, 0, 2)], ip_dscp)
    elif ip_dscp is not None and eth_type == 0x86DD:
        require([(BPF_LD_H_ABS, 0, 0, 14), (BPF_ALU_RSH_K, 0, 0, 6),
                 (BPF_ALU_AND_K, 0, 0, 0x3F)], ip_dscp)
    prog.append((BPF_RET_K, 0, 0, 0xFFFF))
    reject = len(prog)
    prog.append((BPF_RET_K, 0, 0, 0))
    out = []
    for i, (code, jt, jf, k) in enumerate(prog):
        if jf == "reject":
            jf = reject - i - 1
        out.append((code, jt, jf, k))
    return out


class Counter:
    """Counts, in the kernel, the frames received on a port that pass a filter."""

    def __init__(self, netns, iface, eth_type=None, ip_dscp=None):
        self.sock = open_in_netns(netns, iface)
        insns = bpf_program(eth_type, ip_dscp)
        self._filters = (_SockFilter * len(insns))(*[_SockFilter(*i) for i in insns])
        prog = _SockFprog(len(insns), self._filters)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(prog))
        self.reset()

    def reset(self):
        self.read()

    def read(self):
        """Frames counted since the last read (including those the socket dropped)."""
        packets, _drops = struct.unpack("II", self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        return packets

    def close(self):
        self.sock.close()
