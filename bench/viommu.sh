#!/usr/bin/env bash
# vIOMMU ping loss: one QEMU guest with a vIOMMU (intel-iommu, caching mode, device IOTLB;
# the NIC with iommu_platform=on,ats=on, so VIRTIO_F_ACCESS_PLATFORM) pings a host in a
# network namespace through a vhost-user switch, for each switch in turn, in one run:
#   iovs  iovsd: a vhost-user port and an af_packet port on one bridge
#   dpdk  DPDK's own vhost: dpdk-testpmd, net_vhost (iommu-support=1) + net_af_packet, io
#         forwarding
# Every IOVA the switch sees must be translated by QEMU on request (IOTLB misses); the
# loss that follows is the measure. Not a timed test: run it by hand (root). --smoke is CI's.
#
#   bench/viommu.sh [--pings N] [--interval S] [--reps R] [--switches iovs,dpdk] [--smoke]
#                   [--out DIR]
#
# Prints one line per measurement and a summary (loss per switch, all reps), and writes them
# to DIR/viommu.txt (default bench/results/DATE). Exit status: 0 if every available switch was
# measured, 1 if a measurement failed, 77 without root, QEMU or the guest image.
# Environment: IOVS_BUILD (iovs build directory, default build), TESTPMD.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${IOVS_BUILD:-build}
export IOVSD=$TOP/$BUILD/iovsd/iovsd IOVSCTL=$TOP/$BUILD/iovsctl/iovsctl
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || true)}
PINGS=100 INTERVAL=0.2 REPS=2 SWITCHES=iovs,dpdk OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--pings) PINGS=$2; shift ;;
	--interval) INTERVAL=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--switches) SWITCHES=$2; shift ;;
	--out) OUT=$2; shift ;;
	--smoke) PINGS=20 REPS=1 ;;
	*) echo "viommu.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$OUT" ] || OUT=$TOP/bench/results/$(date +%Y%m%d-%H%M%S)

. "$TOP/tests/integration/lib.sh"
need_root_and_netns
VM_TMP=$T/vm
. "$TOP/tests/vm/vm.sh"
vm_have_qemu || skip "qemu-system-x86_64 missing (Debian package qemu-system-x86)"
vm_build >"$T/build.log" 2>&1 || { cat "$T/build.log"; skip "cannot build the guest image"; }
[ -x "$IOVSD" ] || skip "no $IOVSD: build iovs first (IOVS_BUILD)"
mkdir -p "$OUT"
RESULTS=$OUT/viommu.txt
: >"$RESULTS"
say() { echo "$*" | tee -a "$RESULTS"; }

NS=iovs-vib
host $NS 10.0.0.2/24
SOCK=$T/vm.sock
RUN=$T/run

# switch_start NAME / switch_stop NAME: the switch serves SOCK (server) and iv-$NS.
switch_start() {
	case $1 in
	iovs)
		rm -rf "$RUN"
		mkdir -p "$RUN"
		cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "vm", "type": "vhost-user", "socket": "$SOCK" },
    { "name": "peer", "type": "af_packet", "iface": "iv-$NS" } ] } ] }
JSON
		iovsd_start "$RUN"
		;;
	dpdk)
		# testpmd ends at the end of its input: a FIFO this script holds open.
		[ -p "$T/testpmd.in" ] || { mkfifo "$T/testpmd.in" && exec 7<>"$T/testpmd.in"; }
		stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 --no-pci --no-huge -m 512 \
			--file-prefix iovs-viommu-dpdk \
			--vdev "net_vhost0,iface=$SOCK,queues=1,iommu-support=1" \
			--vdev "net_af_packet0,iface=iv-$NS" -- --forward-mode=io --nb-cores=1 \
			--total-num-mbufs=16384 <"$T/testpmd.in" >"$T/testpmd.log" 2>&1 &
		TESTPMD_PID=$!
		local i
		for i in $(seq 1 100); do
			grep -q "Press enter to exit" "$T/testpmd.log" 2>/dev/null && return 0
			sleep 0.2
		done
		cat "$T/testpmd.log"
		switch_stop dpdk
		return 1
		;;
	esac
}

switch_stop() {
	case $1 in
	iovs) iovsd_stop "$RUN" ;;
	dpdk)
		kill "$TESTPMD_PID" 2>/dev/null || true
		wait "$TESTPMD_PID" 2>/dev/null || true
		;;
	esac
	rm -f "$SOCK"
}

# measure SWITCH REP: boots the guest, pings, prints "SWITCH REP sent received loss% rtt".
measure() {
	local sw=$1 rep=$2 out sent recv rtt extra=""
	switch_start "$sw" || { say "$sw $rep: the switch did not start"; return 1; }
	vm_start G --sock "$SOCK" --mac 52:54:00:00:0b:01 --ip 10.0.0.1/24 \
		--cmdline "intel_iommu=on" --iommu --iommu-opts device-iotlb=on \
		--nic-opts "iommu_platform=on,ats=on,disable-legacy=on"
	if ! vm_wait_ready G 240 >/dev/null || ! vm_wait_link G 60; then
		say "$sw $rep: the guest did not come up"
		vm_stop G || true
		switch_stop "$sw"
		return 1
	fi
	# Warm-up (ARP, the first mappings), not counted.
	vm_run G 30 ping -c 3 -i "$INTERVAL" -W 2 10.0.0.2 >/dev/null 2>&1 || true
	out=$(vm_run G "$(python3 -c "print(int($PINGS * $INTERVAL + 60))")" \
		ping -q -c "$PINGS" -i "$INTERVAL" -W 2 10.0.0.2 2>&1) || true
	sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	recv=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	rtt=$(echo "$out" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
	if [ "$sw" = iovs ]; then
		extra=$(ctl --json port list | python3 -c "
import json, sys
for p in json.load(sys.stdin)['ports']:
    if p['name'] == 'vm':
        t = p['vhost']['iotlb']
        print(f\"iotlb: {t['misses_sent']} misses, {t['updates']} updates, \" +
              f\"{t['invalidations']} invalidations, {t['held_packets']} held\")")
	fi
	vm_stop G || true
	switch_stop "$sw"
	if [ -z "$sent" ] || [ -z "$recv" ] || [ "$sent" = 0 ]; then
		say "$sw $rep: no ping statistics: $out"
		return 1
	fi
	say "$(printf '%-5s rep %d: %4d sent %4d received  loss %5.1f %%  rtt avg %s ms  %s' \
		"$sw" "$rep" "$sent" "$recv" "$(python3 -c "print(100 * ($sent - $recv) / $sent)")" \
		"${rtt:--}" "$extra")"
}

status=0
IFS=, read -r -a sws <<<"$SWITCHES"
avail=()
for sw in "${sws[@]}"; do
	case $sw in
	iovs) avail+=(iovs) ;;
	dpdk)
		if [ -n "$TESTPMD" ]; then avail+=(dpdk); else say "dpdk: unavailable (no dpdk-testpmd)"; fi
		;;
	*) echo "viommu.sh: unknown switch $sw" >&2; exit 2 ;;
	esac
done
say "# vIOMMU ping loss: $PINGS pings every $INTERVAL s, $REPS rep(s), switches ${avail[*]}"
for rep in $(seq 1 "$REPS"); do
	for sw in "${avail[@]}"; do
		measure "$sw" "$rep" || status=1
	done
done
say "# summary (all reps): loss per switch"
for sw in "${avail[@]}"; do
	say "$(awk -v sw="$sw" '$1 == sw && $2 == "rep" {s += $4; r += $6}
		END {if (s) printf "%-5s %5d sent %5d received  loss %5.1f %%", sw, s, r, 100 * (s - r) / s;
		     else printf "%-5s no measurement", sw}' "$RESULTS")"
done
echo "results: $RESULTS"
exit $status
