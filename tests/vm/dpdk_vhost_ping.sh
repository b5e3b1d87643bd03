#!/bin/bash
# End-to-end check of the VM harness against DPDK's own vhost-user backend:
# dpdk-testpmd is the "switch" (io forwarding between two net_vhost ports), two guests
# ping each other through it, in both socket directions:
#   guest A: QEMU is the vhost-user client (reconnect=1), testpmd's net_vhost0 the server;
#   guest B: QEMU is the server (server=on,wait=off), testpmd's net_vhost1 has client=1.
# Then B reboots and they ping again; then the switch restarts and they ping again (both
# sides reconnect on their own); last, B comes back as a new QEMU with a packed ring and
# mrg_rxbuf=off (testpmd, the client of that socket, reconnects) and they ping again.
# (B is not packed during the switch restart: QEMU 7.2 cannot tell a restarted backend
# where a packed ring stood, see README.md.)
#
#   tests/vm/dpdk_vhost_ping.sh          exit 0 pass, 1 fail, 77 skip
# Environment: TESTPMD (default dpdk-testpmd), QEMU, IOVS_VM_CACHE, IOVS_VM_KEEP=1 (keep logs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTPMD=${TESTPMD:-dpdk-testpmd}
T0=$(date +%s.%N)
T=$(mktemp -d /tmp/iovs-vmtest.XXXXXX)
VM_TMP=$T/vm
SW_PID=""
FAILED=0

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "PASS: $* ($(elapsed "$T0") s)"; }
fail() {
	echo "FAIL: $*"
	FAILED=1
	vm_logs A 20 || true
	vm_logs B 20 || true
	echo "--- testpmd (last 20 lines)"
	tail -n 20 "$T/testpmd.log" 2>/dev/null || true
	exit 1
}

switch_stop() {
	[ -n "$SW_PID" ] || return 0
	kill -TERM "$SW_PID" 2>/dev/null || true
	local i
	for i in $(seq 50); do
		kill -0 "$SW_PID" 2>/dev/null || break
		[ "$i" != 50 ] || kill -KILL "$SW_PID" 2>/dev/null || true
		sleep 0.1
	done
	wait "$SW_PID" 2>/dev/null || true
	SW_PID=""
	exec 7>&- # the fifo that kept testpmd's stdin open
	rm -f "$T/sw-a.sock" "$T/testpmd.in"
	rm -rf "/var/run/dpdk/iovs-vmtest-$$" # EAL's runtime directory (even with --no-shconf)
}

cleanup() {
	switch_stop
	if [ "$FAILED" = 1 ] || [ "${IOVS_VM_KEEP:-0}" = 1 ]; then
		echo "logs kept in $T"
	else
		rm -rf "$T"
	fi
	echo "total time: $(elapsed "$T0") s"
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted"; FAILED=1; exit 130' INT
trap 'echo "FAIL: terminated"; FAILED=1; exit 143' TERM
# vm.sh puts vm_stop_all in front of the trap above: VMs go first, then the switch.
# shellcheck source=SCRIPTDIR/vm.sh
. "$HERE/vm.sh"

# EAL's runtime directories of earlier runs that were SIGKILLed (no trap ran).
for d in /var/run/dpdk/iovs-vmtest-*; do
	if [ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null; then rm -rf "$d"; fi
done

vm_have_qemu || skip "no $QEMU (apt-get install qemu-system-x86)"
command -v "$TESTPMD" >/dev/null || skip "no $TESTPMD (apt-get install dpdk)"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (testpmd polls one)"

# switch_start: testpmd as the switch. Core 1 polls, core 0 (main) sleeps. Without
# hugepages (nothing left in /dev/hugepages), small mbuf pool.
# Non-interactive testpmd forwards until its stdin ends: a fifo held open by this shell,
# so testpmd also ends when the test dies.
switch_start() {
	rm -f "$T/testpmd.in"
	mkfifo "$T/testpmd.in"
	exec 7<>"$T/testpmd.in"
	setpriv --pdeathsig TERM -- stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 0 --no-pci --no-huge -m 256 \
		--no-shconf --file-prefix "iovs-vmtest-$$" \
		--vdev "net_vhost0,iface=$T/sw-a.sock,queues=1" \
		--vdev "net_vhost1,iface=$T/vm-b.sock,queues=1,client=1" \
		-- --forward-mode=io --nb-cores=1 --txq=1 --rxq=1 --total-num-mbufs=16384 --disable-link-check \
		<"$T/testpmd.in" >>"$T/testpmd.log" 2>&1 &
	SW_PID=$!
	local i
	for i in $(seq 100); do
		[ -S "$T/sw-a.sock" ] && grep -q 'Press enter to exit' "$T/testpmd.log" && return 0
		kill -0 "$SW_PID" 2>/dev/null || fail "testpmd exited at start"
		sleep 0.1
	done
	fail "testpmd did not start within 10 s"
}

# pings FROM ADDR: first waits until ADDR answers at all (ARP, links coming up), then
# 3 pings (0.2 s apart) must all come back. Prints the summary line.
pings() {
	local from=$1 to=$2 out rc=0
	out=$(vm_run "$from" 60 "i=0; until ping -c 1 -W 1 $to >/dev/null; do i=\$((i+1)); [ \$i -lt 40 ] || exit 2; done;" \
		"ping -c 3 -i 0.2 -W 2 $to") || rc=$?
	[ $rc != 2 ] || fail "$from cannot reach $to"
	[ $rc = 0 ] || fail "$from: ping -c 3 $to (exit $rc): $out"
	echo "$out" | grep -q '3 packets transmitted, 3 packets received' || fail "$from: ping -c 3 $to lost packets: $out"
	echo "$from -> $to: $(echo "$out" | tail -n 1)"
}

t=$(date +%s.%N)
vm_build || fail "guest build"
pass "guest kernel + initramfs ready in $(elapsed "$t") s"

switch_start
pass "testpmd switch up"

t=$(date +%s.%N)
vm_start A --sock "$T/sw-a.sock" --ip 10.0.0.1/24
vm_start B --sock "$T/vm-b.sock" --server --ip 10.0.0.2/24
vm_wait_ready A 90 || fail "A not ready"
vm_wait_ready B 90 || fail "B not ready"
pass "both guests ready in $(elapsed "$t") s"

t=$(date +%s.%N)
pings A 10.0.0.2
pass "A (QEMU client) pings B (QEMU server) through testpmd, $(elapsed "$t") s"
pings B 10.0.0.1
pass "B pings A"

t=$(date +%s.%N)
vm_reboot B 90 || fail "B did not come back after reboot"
pass "B rebooted, ready again in $(elapsed "$t") s"
pings A 10.0.0.2
pings B 10.0.0.1
pass "A and B ping each other after B's reboot"

t=$(date +%s.%N)
switch_stop
switch_start
pings A 10.0.0.2
pings B 10.0.0.1
pass "switch restarted, both sides reconnected, pings again in $(elapsed "$t") s"

t=$(date +%s.%N)
vm_stop B
[ ! -e "$T/vm-b.sock" ] || fail "B's server socket left behind by vm_stop"
vm_start B --sock "$T/vm-b.sock" --server --ip 10.0.0.2/24 --packed --mrg-rxbuf off
vm_wait_ready B 90 || fail "B (packed) not ready"
pings B 10.0.0.1
pings A 10.0.0.2
pass "B restarted with a packed ring and mrg_rxbuf=off, pings in $(elapsed "$t") s"

vm_stop A
vm_stop B
pass "guests stopped"
