#!/usr/bin/env bash
# The VF lifecycle for real, with iovsctl, inside a QEMU guest that has an
# emulated Intel IOMMU and QEMU's SR-IOV NVMe controller as the PF (QEMU 7.2 has
# no SR-IOV NIC; the PF/VF mechanics are the same): iovsd finds the PF, creates
# two VFs, binds one to vfio-pci and vfio/ opens it, assigns the other to a VM
# (QEMU and libvirt lines), releases both (original drivers back), recreates and
# rebinds them at start from its persisted configuration after they were removed
# behind its back, rolls back a bind whose step fails half-way (injected), and
# destroys the VFs. VF attributes over rtnetlink need a NIC PF driver, which no
# emulated device has: tests/integration/sriov_nl.sh checks those requests
# byte for byte against `ip link set ... vf ...` instead.
. "$(dirname "$0")/../integration/lib.sh"
need_root_and_netns
VM_TMP=$T/vm
. "$(dirname "$0")/vm.sh"
vm_have_qemu || skip "qemu-system-x86_64 missing (Debian package qemu-system-x86)"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (the guest runs iovsd's PMD on its second vCPU)"
VFIO_CHECK=${VFIO_CHECK:-$(dirname "$IOVSD")/../tests/vm/vfio_check}
[ -x "$VFIO_CHECK" ] || fail "no vfio_check at $VFIO_CHECK"
vm_build >"$T/build.log" 2>&1 || { cat "$T/build.log"; skip "cannot build the guest image (see above)"; }

PF=0000:00:12.0
vm_start G --iommu --host-root --cpu max --smp 2 --mem 768M \
	--qemu-arg -device --qemu-arg nvme-subsys,id=s0 \
	--qemu-arg -device --qemu-arg "nvme,id=n0,serial=iovs,subsys=s0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,addr=0x12"
vm_wait_ready G 180 >/dev/null || fail "the guest did not boot"
gsh() { vm_run G "$@"; }

G_RUN=/run/iovsd
start_iovsd() { # start_iovsd [IOVSD-OPTIONS]
	gsh 20 "mkdir -p $G_RUN && (hostrun $IOVSD --no-huge --mem 256 --run-dir $G_RUN \
		--config $G_RUN/iovsd.json --cores 0,1 $* >>$G_RUN/iovsd.log 2>&1 &)" ||
		fail "cannot start iovsd in the guest"
	for _ in $(seq 1 120); do gctl show >/dev/null 2>&1 && return 0; sleep 1; done
	gsh 10 cat $G_RUN/iovsd.log
	fail "iovsd did not start in the guest"
}
stop_iovsd() {
	gsh 30 "kill \$(pidof ld-linux-x86-64.so.2) 2>/dev/null; for i in \$(seq 1 100); do
		[ -S $G_RUN/iovsd.sock ] && [ -n \"\$(pidof ld-linux-x86-64.so.2)\" ] || break; sleep 0.2; done" || true
	sleep 1
}
gctl() { vm_run_host G 60 "$IOVSCTL" --run-dir $G_RUN "$@"; }
say() { echo "\$ iovsctl $*"; gctl "$@"; }
driver_of() { gsh 10 "basename \$(readlink /sys/bus/pci/devices/$1/driver) 2>/dev/null || echo none"; }

start_iovsd
out=$(say vf list) || fail "vf list: $out"
echo "$out"
echo "$out" | grep -q "PF $PF .*0 of 2 VFs (offset 1, stride 1" || fail "the NVMe PF is not listed with 2 VFs possible"
ok "vf list finds the PF $PF: TotalVFs 2, offset 1, stride 1"

out=$(say vf create $PF 2 --no-autoprobe) || fail "vf create: $out"
out=$(say vf list) || fail "vf list: $out"
echo "$out"
VF0=$(gctl --json vf list | python3 -c 'import json,sys; print(json.load(sys.stdin)["pfs"][0]["vfs"][0]["addr"])')
VF1=$(gctl --json vf list | python3 -c 'import json,sys; print(json.load(sys.stdin)["pfs"][0]["vfs"][1]["addr"])')
[ "$VF0" = 0000:00:12.1 ] && [ "$VF1" = 0000:00:12.2 ] || fail "VF addresses $VF0 $VF1 (expected 00:12.1, 00:12.2)"
[ "$(gsh 10 cat /sys/bus/pci/devices/$PF/sriov_numvfs)" = 2 ] || fail "sriov_numvfs is not 2"
[ "$(driver_of $VF0)" = none ] || fail "VF 0 got a driver although autoprobe was off"
ok "vf create: 2 VFs at $VF0 and $VF1 (offset/stride), no driver (autoprobe off during creation)"

out=$(say vf bind $PF:0 vfio-pci) || fail "vf bind: $out"
[ "$(driver_of $VF0)" = vfio-pci ] || fail "VF 0 is not on vfio-pci"
out=$(vm_run_host G 60 "$VFIO_CHECK" open $VF0) || fail "vfio/ cannot open VF 0: $out"
echo "$out" | head -4
ok "vf bind $PF:0 vfio-pci, and vfio/ opens the VF (group viable, type1v2)"

out=$(say vf assign $PF:1 --to vm) || fail "vf assign --to vm: $out"
echo "$out"
echo "$out" | grep -q -- "-device vfio-pci,host=$VF1" || fail "no QEMU line for $VF1"
echo "$out" | grep -q "<address domain='0x0000' bus='0x00' slot='0x12' function='0x2'/>" ||
	fail "no libvirt hostdev for $VF1"
[ "$(driver_of $VF1)" = vfio-pci ] || fail "VF 1 is not on vfio-pci"
ok "vf assign $PF:1 --to vm: group checked, QEMU and libvirt lines printed"

# The desired state survives a restart, and is reconciled: remove the VFs behind
# iovsd's back, restart it, and they come back, VF 0 on vfio-pci again.
stop_iovsd
gsh 20 "echo 0 >/sys/bus/pci/devices/$PF/sriov_numvfs" || fail "cannot remove the VFs by hand"
start_iovsd
[ "$(gsh 10 cat /sys/bus/pci/devices/$PF/sriov_numvfs)" = 2 ] || fail "iovsd did not recreate the VFs at start"
[ "$(driver_of $VF0)" = vfio-pci ] && [ "$(driver_of $VF1)" = vfio-pci ] ||
	fail "the VFs are not back on vfio-pci after the restart"
ok "restart: the persisted VFs were recreated and rebound (reconcile at start)"

out=$(say vf release $PF:0) && out=$(say vf release $PF:1) || fail "vf release: $out"
[ "$(driver_of $VF0)" != vfio-pci ] && [ "$(driver_of $VF1)" != vfio-pci ] || fail "a VF stayed on vfio-pci"
ok "vf release: both VFs left vfio-pci (VF 0 now $(driver_of $VF0), VF 1 $(driver_of $VF1))"
# Released: the VF is no longer iovs's. Its attributes need the PF's netdev (none here).
if out=$(say vf release $PF:0 2>&1); then fail "a second release succeeded: $out"; fi
echo "$out"
echo "$out" | grep -q "nothing to release" || fail "second release: $out"
if out=$(say vf set $PF:0 --trust 2>&1); then fail "vf set without a PF netdev succeeded: $out"; fi
echo "$out"
echo "$out" | grep -q "no network interface" || fail "vf set: $out"
ok "a second release is refused (nothing to release); vf set on the NVMe PF: no network interface"

# A failure half-way: the "probe" step of bind fails (injected); what came
# before it (unbind, driver_override) is rolled back and the error says so.
stop_iovsd
start_iovsd --sriov-fail-step probe
before=$(driver_of $VF0)
if out=$(say vf bind $PF:0 vfio-pci 2>&1); then fail "the injected failure did not fail: $out"; fi
echo "$out"
echo "$out" | grep -q "probe" && echo "$out" | grep -qi "rolled back" || fail "the error does not name the step and the rollback: $out"
[ "$(driver_of $VF0)" = "$before" ] || fail "VF 0's driver is $(driver_of $VF0), was $before: not rolled back"
[ -z "$(gsh 10 cat /sys/bus/pci/devices/$VF0/driver_override | grep -v '(null)')" ] ||
	fail "driver_override left set after the rollback"
ok "a bind failing at its probe step is rolled back (driver $before, driver_override cleared)"
stop_iovsd
start_iovsd

out=$(say vf destroy $PF) || fail "vf destroy: $out"
[ "$(gsh 10 cat /sys/bus/pci/devices/$PF/sriov_numvfs)" = 0 ] || fail "VFs left after vf destroy"
gsh 10 "! grep -q sriov $G_RUN/iovsd.json" || fail "the destroyed PF is still in the configuration"
ok "vf destroy: no VFs, nothing left in the configuration"
echo "iovs_sriov: $CHECKS checks passed"
