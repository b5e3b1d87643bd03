#!/usr/bin/env bash
# iovsd inside a QEMU guest with an emulated Intel IOMMU forwards real packets
# between an e1000e bound to vfio-pci (DPDK's e1000 PMD over VFIO: the device's
# DMA goes through the IOMMU's page tables) and a tap port. The e1000e's wire is
# a QEMU hub shared with a virtio-net NIC of the same guest, which sits in its
# own network namespace:
#
#   netns a: eth (virtio-net) ─ QEMU hub ─ e1000e ─ VFIO ─ iovsd br0 ─ tap iovs0 :netns b
#
# iovsd and iovsctl are this build's, run in the guest with the host's loader and
# libraries (vm_start --host-root). Guests: tests/vm/build-guest.sh.
. "$(dirname "$0")/../integration/lib.sh"
need_root_and_netns
VM_TMP=$T/vm
. "$(dirname "$0")/vm.sh"
vm_have_qemu || skip "qemu-system-x86_64 missing (Debian package qemu-system-x86)"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (the guest runs iovsd's PMD on its second vCPU)"
vm_build >"$T/build.log" 2>&1 || { cat "$T/build.log"; skip "cannot build the guest image (see above)"; }

NIC=0000:00:10.0
# --cpu max: Debian's DPDK needs SSE4.2, which QEMU's default TCG CPU lacks.
vm_start G --iommu --host-root --cpu max --smp 2 --mem 768M \
	--qemu-arg -netdev --qemu-arg hubport,id=h0,hubid=0 \
	--qemu-arg -device --qemu-arg "e1000e,netdev=h0,romfile=,addr=0x10,mac=52:54:00:00:10:00" \
	--qemu-arg -netdev --qemu-arg hubport,id=h1,hubid=0 \
	--qemu-arg -device --qemu-arg "virtio-net-pci,netdev=h1,romfile=,addr=0x11,mac=52:54:00:00:11:00"
vm_wait_ready G 180 >/dev/null || fail "the guest did not boot"
gsh() { vm_run G "$@"; }
gip() { vm_run_host G 30 /usr/bin/ip "$@"; }

grp=$(gsh 10 "basename \$(readlink /sys/bus/pci/devices/$NIC/iommu_group)") ||
	fail "the e1000e has no IOMMU group: is the emulated IOMMU on?"
gsh 20 "echo vfio-pci >/sys/bus/pci/devices/$NIC/driver_override &&
	echo $NIC >/sys/bus/pci/devices/$NIC/driver/unbind &&
	echo $NIC >/sys/bus/pci/drivers_probe &&
	[ \$(basename \$(readlink /sys/bus/pci/devices/$NIC/driver)) = vfio-pci ] &&
	[ -c /dev/vfio/$grp ]" || fail "cannot bind $NIC to vfio-pci"
ok "e1000e $NIC bound to vfio-pci in the guest, IOMMU group $grp"

G_RUN=/run/iovsd
gsh 20 "mkdir -p $G_RUN && (hostrun $IOVSD --no-huge --mem 256 --run-dir $G_RUN \
	--config $G_RUN/iovsd.json --cores 0,1 >$G_RUN/iovsd.log 2>&1 &)" ||
	fail "cannot start iovsd in the guest"
gctl() { vm_run_host G 60 "$IOVSCTL" --run-dir $G_RUN "$@"; }
for _ in $(seq 1 120); do gctl show >/dev/null 2>&1 && break; sleep 1; done
gctl show >/dev/null || { gsh 10 cat $G_RUN/iovsd.log; fail "iovsd did not start in the guest"; }
ok "iovsd runs in the guest (default config: br0 with tap host0 = iovs0)"

out=$(gctl port add br0 nic pci --devargs $NIC 2>&1) || {
	gsh 10 tail -20 $G_RUN/iovsd.log
	fail "port add pci $NIC: $out"
}
gsh 10 "grep -q 'port nic (net_e1000_em)' $G_RUN/iovsd.log" ||
	{ gsh 10 cat $G_RUN/iovsd.log; fail "DPDK's e1000 PMD did not take $NIC"; }
ok "port nic: $NIC through DPDK's e1000 PMD over VFIO"

virt=$(gsh 10 "basename /sys/bus/pci/devices/0000:00:11.0/virtio*/net/*") ||
	fail "no netdev on the virtio-net NIC"
gip netns add a && gip netns add b || fail "ip netns add in the guest"
gip link set "$virt" netns a && gip link set iovs0 netns b || fail "cannot move the interfaces"
gip -n a addr add 10.9.0.1/24 dev "$virt" && gip -n a link set "$virt" up &&
	gip -n b addr add 10.9.0.2/24 dev iovs0 && gip -n b link set iovs0 up ||
	fail "cannot address the interfaces"
out=$(gip netns exec a hostrun /usr/bin/ping -c 20 -i 0.2 -W 3 10.9.0.2 2>&1) ||
	fail "ping a → b through the e1000e and iovsd: $out"
echo "$out" | tail -2
ok "20 pings a → e1000e (VFIO) → iovsd → tap → b answered"

stats=$(gctl --json port stats) || fail "port stats"
rx=$(echo "$stats" | python3 -c 'import json,sys
p={x["name"]:x for x in json.load(sys.stdin)["ports"]}; print(p["nic"]["rx_packets"], p["nic"]["tx_packets"])') ||
	fail "cannot read port stats: $stats"
read -r nrx ntx <<<"$rx"
[ "$nrx" -ge 20 ] && [ "$ntx" -ge 20 ] || fail "port nic counted rx $nrx tx $ntx (< 20)"
ok "port nic counted $nrx packets received and $ntx sent through VFIO"

gctl port del nic >/dev/null || fail "port del nic"
gsh 10 "[ -c /dev/vfio/$grp ]" || fail "the group's device node went away"
echo "iovs_vfio_dp: $CHECKS checks passed"
