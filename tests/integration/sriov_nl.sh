#!/usr/bin/env bash
# VF attributes through rtnetlink, iovs against iproute2: 'ip link set dev D vf 0
# ...' and tests/tools/sriov_vfset (sriov/sriov_nl.c's builder and real libmnl
# seam) send the same change to a device without VFs; the requests are captured
# and compared byte for byte, nlmsg_seq and nlmsg_pid aside (each sender numbers
# its own; the kernel fills the port id). The kernel refuses both (the device has
# no SR-IOV): iovs must report its error. Capture: tcpdump on an nlmon device, or,
# where the kernel has no nlmon, tests/tools/sriov_nlrec.so preloaded into both
# programs (it records what they pass to sendmsg/sendto on netlink sockets).
# Target: a dummy device, or a veth where the kernel has no dummy.
set -uo pipefail
: "${SRIOV_VFSET:?path of sriov_vfset}" "${SRIOV_NLREC:?path of sriov_nlrec.so}"
HERE=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "not ok - $*"; exit 1; }
CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (links, nlmon, and the kernel's answer to a VF change)"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v python3 >/dev/null || skip "no python3 to decode the captures"
T=$(mktemp -d /tmp/iovs-sriov_nl.XXXXXX)
DEV=iovs-sriov0
cleanup() {
	[ -n "${TD_PID:-}" ] && kill "$TD_PID" 2>/dev/null
	ip link del iovs-nlmon0 2>/dev/null
	ip link del "$DEV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip link del "$DEV" 2>/dev/null
if ip link add "$DEV" type dummy 2>/dev/null; then
	KIND=dummy
elif ip link add "$DEV" type veth peer name iovs-sriov1 2>/dev/null; then
	KIND=veth
else
	skip "cannot create a dummy or veth device"
fi
IFINDEX=$(cat "/sys/class/net/$DEV/ifindex")

MODE=rec
if command -v tcpdump >/dev/null && ip link add iovs-nlmon0 type nlmon 2>/dev/null; then
	ip link set iovs-nlmon0 up
	MODE=pcap
elif ! LD_PRELOAD=$SRIOV_NLREC true 2>/dev/null; then
	skip "no nlmon in this kernel, and $SRIOV_NLREC cannot be preloaded (a sanitizer build?)"
fi
echo "# target: $KIND $DEV (ifindex $IFINDEX); capture: $([ $MODE = pcap ] && echo "nlmon + tcpdump" || echo "no nlmon here: LD_PRELOAD recorder")"

# run NAME CMD...: runs CMD with its netlink requests captured into $T/NAME.cap;
# its stderr into $T/NAME.err, its exit status into $T/NAME.rc.
run() {
	local name=$1; shift
	if [ $MODE = pcap ]; then
		tcpdump -i iovs-nlmon0 -U -w "$T/$name.cap" 2>/dev/null &
		TD_PID=$!
		sleep 1
		"$@" 2>"$T/$name.err"; echo $? >"$T/$name.rc"
		sleep 1
		kill "$TD_PID"; wait "$TD_PID" 2>/dev/null; TD_PID=
	else
		SRIOV_NLREC_OUT=$T/$name.cap LD_PRELOAD=$SRIOV_NLREC "$@" 2>"$T/$name.err"
		echo $? >"$T/$name.rc"
	fi
}

# compare CASE ARGS...: ip and iovs with the same arguments.
compare() {
	local case=$1; shift
	run "ip-$case" ip link set dev "$DEV" vf 0 "$@"
	run "iovs-$case" "$SRIOV_VFSET" "$DEV" 0 "$@"
	echo "# $case: ip link set dev $DEV vf 0 $*"
	python3 "$HERE/sriov_nl_compare.py" $MODE "$IFINDEX" "$T/ip-$case.cap" "$T/iovs-$case.cap" |
		sed 's/^/#   /'
	[ "${PIPESTATUS[0]}" = 0 ] || fail "$case: iovs's request differs from ip's"
	ok "$case: the RTM_NEWLINK request is ip's, byte for byte"
	[ "$(cat "$T/ip-$case.rc")" != 0 ] || fail "$case: the kernel accepted ip's change on a $KIND device"
	[ "$(cat "$T/iovs-$case.rc")" = 1 ] || fail "$case: sriov_vfset exited $(cat "$T/iovs-$case.rc")"
	grep -q "Operation not supported" "$T/iovs-$case.err" ||
		fail "$case: iovs did not report EOPNOTSUPP: $(cat "$T/iovs-$case.err")"
	ok "$case: iovs reports the kernel's refusal: $(cat "$T/iovs-$case.err")"
}

compare all mac 02:00:00:00:00:01 vlan 10 qos 3 proto 802.1ad spoofchk on trust on \
	state enable min_tx_rate 100 max_tx_rate 1000
compare vlan_8021q vlan 10 qos 3
compare mac_only mac 02:00:00:00:00:02
compare off_disable spoofchk off trust off state disable
compare rate_max max_tx_rate 500 min_tx_rate 0
echo "# $CHECKS checks passed"
