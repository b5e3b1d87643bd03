#!/bin/bash
# Self-test of the VM harness itself, no switch needed: one guest without a NIC, its agent
# (exit status, stdout/stderr, quoting, timeouts, parallel requests, large output,
# background processes), --share, a reboot, and a QEMU that dies under a request.
#
#   tests/vm/harness_selftest.sh         exit 0 pass, 1 fail, 77 skip
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T0=$(date +%s.%N)
T=$(mktemp -d /tmp/iovs-vmself.XXXXXX)
VM_TMP=$T/vm
FAILED=0
N=0

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { N=$((N + 1)); echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	FAILED=1
	vm_logs S 20 || true
	exit 1
}
cleanup() {
	if [ "$FAILED" = 1 ]; then echo "logs kept in $T"; else rm -rf "$T"; fi
	echo "total time: $(elapsed "$T0") s"
}
trap cleanup EXIT
# shellcheck source=SCRIPTDIR/vm.sh
. "$HERE/vm.sh"

vm_have_qemu || skip "no $QEMU (apt-get install qemu-system-x86)"
vm_build || fail "guest build"

mkdir -p "$T/share"
echo "hello from the host" >"$T/share/greeting"
# shellcheck disable=SC2016 # the guest expands these
{
	( vm_start X ) 2>/dev/null && fail "vm_start in a subshell was accepted"
	pass "vm_start refuses to run in a subshell"

	vm_start S --share "$T/share"
	t=$(date +%s.%N)
	vm_wait_ready S 60 || fail "not ready"
	pass "ready in $(elapsed "$t") s"

	out=$(vm_run S 10 'echo out; echo err >&2; exit 7' 2>"$T/err") && fail "exit 7 became 0"
	rc=$?
	if [ "$rc" != 7 ] || [ "$out" != out ] || [ "$(cat "$T/err")" != err ]; then
		fail "exit/stdout/stderr: rc=$rc out='$out' err='$(cat "$T/err")'"
	fi
	pass "exit status, stdout and stderr come back apart"

	t=$(date +%s.%N)
	for _ in 1 2 3 4 5; do vm_run S 10 true || fail "true failed"; done
	pass "5 sequential requests in $(elapsed "$t") s"

	out=$(vm_run S 10 printf '"[%s]"' '"a  b"' '$HOME' "'\$HOME'")
	[ "$out" = '[a  b][/root][$HOME]' ] || fail "quoting: $out"
	pass "arguments are joined and run by the guest's sh, like ssh"

	[ "$(vm_run S 10 cat /mnt/host/greeting)" = "hello from the host" ] || fail "--share"
	pass "--share DIR is /mnt/host"

	t=$(date +%s.%N)
	rc=0
	vm_run S 2 'echo before; sleep 30 | cat; echo never' >"$T/out" || rc=$?
	if [ "$rc" != 124 ] || [ "$(cat "$T/out")" != before ]; then
		fail "timeout: rc=$rc out=$(cat "$T/out")"
	fi
	[ -z "$(vm_run S 10 'ps -o args | grep -x "sleep 30"' || true)" ] || fail "timeout left processes behind"
	pass "a command over its timeout is killed with its whole group: 124 after $(elapsed "$t") s"

	t=$(date +%s.%N)
	ids=()
	for i in 1 2 3 4; do ids+=("$(vm_submit S 20 "sleep 2; echo job$i")"); done
	out=""
	for id in "${ids[@]}"; do out+=$(vm_result S "$id" 40); done
	[ "$out" = job1job2job3job4 ] || fail "parallel requests: $out"
	pass "4 requests of 2 s in parallel took $(elapsed "$t") s"

	[ "$(vm_run S 30 'seq 1 200000' | wc -l)" = 200000 ] || fail "large output"
	pass "200000 lines of output"

	vm_run S 10 'sleep 300 >/dev/null 2>&1 &' || fail "background start"
	[ -n "$(vm_run S 10 'ps -o args | grep -x "sleep 300"')" ] || fail "background process gone"
	pass "a background process outlives its request"

	[ "$(vm_run S 10 hostname)" = S ] || fail "hostname"
	id=$(vm_submit S 60 'sleep 50')
	t=$(date +%s.%N)
	vm_reboot S 60 || fail "reboot"
	pass "reboot: ready again in $(elapsed "$t") s"
	rc=0
	vm_result S "$id" 10 2>/dev/null || rc=$?
	[ "$rc" = 255 ] || fail "a request cut by the reboot returned $rc"
	pass "a request cut by the reboot ends with 255"
	[ -z "$(vm_run S 10 'ps -o args | grep -xE "sleep (300|50)"' || true)" ] || fail "the old boot's processes survived"
	pass "agent answers after the reboot"

	kill -KILL "$(cat "$VM_TMP/S/qemu.pid")"
	t=$(date +%s.%N)
	rc=0
	vm_run S 30 true 2>/dev/null || rc=$?
	[ "$rc" = 255 ] || fail "request to a dead QEMU returned $rc"
	pass "a dead QEMU is noticed at once: 255 after $(elapsed "$t") s"
	vm_stop S
}
echo "all $N checks passed"
