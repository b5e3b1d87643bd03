#!/usr/bin/env bash
# vfio/ for real, inside QEMU 7.2 guests (TCG, q35) with an emulated Intel IOMMU
# (intel-iommu,intremap=on,caching-mode=on). tests/vm/vfio_check runs in the guest with
# the host's loader and libraries (vm_start --host-root, vm_run_host).
#   1. an e1000e bound to vfio-pci: vfio/ opens it; GET_INFO gives the page sizes and the
#      IOVA ranges with the hole at 0xfee00000; a TX ring in a DMA-mapped buffer,
#      programmed through the BAR0 mmap, gets DD written back by the device (real DMA
#      through the IOMMU), and TX done arrives as MSI through an eventfd;
#   2. the ring at an IOVA that is not mapped: no DD, and the guest kernel logs a DMAR
#      fault (PTE Read access is not set);
#   3. two conventional PCI e1000 behind one pcie-pci-bridge share an IOMMU group; one on
#      vfio-pci, the other left on e1000: vfio/ refuses, naming that device and e1000;
#   4. a guest without an IOMMU: vfio-pci cannot bind, the device has no iommu_group, and
#      vfio/ refuses with "no IOMMU ...".
# Exit: 0 all passed, 1 one failed, 77 skipped (the reason printed).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${VFIO_CHECK:=$HERE/../../build/tests/vm/vfio_check}"
T=$(mktemp -d /tmp/iovs-vfio-guest.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2034 # read by vm.sh
VM_TMP=$T/vm
# shellcheck source=tests/vm/vm.sh
. "$HERE/vm.sh"

skip() { echo "SKIP: $*"; exit 77; }
N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
t_start() { T0=$(date +%s.%N); }
t_took() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
indent() { sed 's/^/    /'; }

vm_have_qemu || skip "qemu-system-x86_64 missing (Debian package qemu-system-x86)"
[ "$(id -u)" = 0 ] || skip "needs root (QEMU's 9p export of / and the guest tools)"
declare -F vm_run_host >/dev/null || skip "tests/vm/vm.sh has no vm_run_host (--host-root)"
[ -x "$VFIO_CHECK" ] || skip "no vfio_check at $VFIO_CHECK (ninja tests/vm/vfio_check)"
VFIO_CHECK=$(cd "$(dirname "$VFIO_CHECK")" && pwd)/$(basename "$VFIO_CHECK")
vm_build >"$T/build.log" 2>&1 || { cat "$T/build.log"; skip "cannot build the guest image (see above)"; }

# Guest-side helpers, run by the guest's busybox sh.
# shellcheck disable=SC2016 # expanded in the guest
GUEST_LIB='
find_pci() { # VENDOR:DEVICE -> the addresses, in order
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor):$(cat $d/device)" = "$1" ] && basename $d
	done
}
driver_of() { basename "$(readlink /sys/bus/pci/devices/$1/driver 2>/dev/null)" 2>/dev/null || echo none; }
bind_vfio() { # ADDR: driver_override + unbind + drivers_probe; prints the driver now
	echo vfio-pci >/sys/bus/pci/devices/$1/driver_override
	[ -e /sys/bus/pci/devices/$1/driver ] && echo $1 >/sys/bus/pci/devices/$1/driver/unbind
	echo $1 >/sys/bus/pci/drivers_probe 2>/dev/null
	driver_of $1
}
'
grun() { vm_run "$1" "$2" "$GUEST_LIB $3"; }

# shellcheck disable=SC2054 # commas inside QEMU device options
IOMMU_VM_ARGS=(--iommu --host-root --mem 256M
	--qemu-arg -device --qemu-arg e1000e,romfile=,mac=52:54:00:00:10:01
	--qemu-arg -device --qemu-arg pcie-root-port,id=rp1,chassis=1
	--qemu-arg -device --qemu-arg pcie-pci-bridge,id=br1,bus=rp1
	--qemu-arg -device --qemu-arg e1000,bus=br1,addr=1,romfile=,mac=52:54:00:00:10:02
	--qemu-arg -device --qemu-arg e1000,bus=br1,addr=2,romfile=,mac=52:54:00:00:10:03)

# ---------------------------------------------------------------- guest with an IOMMU
t_start
vm_start V "${IOMMU_VM_ARGS[@]}" || { echo "not ok - vm_start"; exit 1; }
vm_wait_ready V 180 || { echo "not ok - the guest with an IOMMU did not boot"; exit 1; }
echo "# guest with intel-iommu ready in $(t_took)"
grun V 20 'dmesg | grep -m1 -E "DMAR: (IOMMU enabled|Intel\(R\) Virtualization)"; ls /sys/kernel/iommu_groups | wc -l | sed "s/^/iommu groups: /"' | indent

E1000E=$(grun V 20 'find_pci 0x8086:0x10d3' | head -n 1)
read -r -a E1000 <<<"$(grun V 20 'find_pci 0x8086:0x100e' | tr '\n' ' ')"
echo "# e1000e at ${E1000E:-?}, e1000 at ${E1000[*]:-?}"

# 1. real DMA through the IOMMU
t_start
drv=$(grun V 30 "bind_vfio $E1000E")
if [ "$drv" != vfio-pci ]; then
	not_ok "e1000e $E1000E: bind to vfio-pci gave '$drv'"
else
	out=$(vm_run_host V 60 "$VFIO_CHECK" dma-e1000e "$E1000E" 2>&1)
	rc=$?
	echo "$out" | indent
	if [ $rc = 0 ] && grep -q 'msi hole 0xfee00000-0xfeefffff reserved: yes' <<<"$out" &&
		grep -q 'DD written back' <<<"$out" && grep -q 'iommu pgsizes .* 4K' <<<"$out"; then
		ok "e1000e $E1000E on vfio-pci: page sizes and IOVA ranges (MSI hole), TX descriptor DMA'd through the IOMMU, DD written back ($(t_took))"
	else
		not_ok "e1000e DMA through the IOMMU (exit $rc)"
	fi
	if grep -q 'MSI eventfd: [1-9]' <<<"$out"; then
		ok "e1000e TX-done interrupt delivered as MSI through the eventfd"
	else
		not_ok "e1000e TX-done interrupt through MSI and the eventfd"
	fi
fi

# 2. unmapped IOVA: DMAR fault, no DD
t_start
grun V 10 'dmesg -c >/dev/null'
out=$(vm_run_host V 60 "$VFIO_CHECK" fault-e1000e "$E1000E" 2>&1)
rc=$?
echo "$out" | indent
sleep 0.5
fault=$(grun V 10 'dmesg | grep -E "DMAR.*(fault|PTE Read access)"')
echo "$fault" | indent
if [ $rc = 0 ] && grep -q 'no DD' <<<"$out" && grep -q 'PTE Read access is not set' <<<"$fault"; then
	ok "TX ring at an unmapped IOVA: no DD, and the guest logged the DMAR fault ($(t_took))"
else
	not_ok "unmapped IOVA: expected no DD (exit $rc) and a DMAR 'PTE Read access is not set' fault"
fi

# 3. non-viable group: two e1000 behind one PCIe-to-PCI bridge, one left on e1000
t_start
if [ ${#E1000[@]} -lt 2 ]; then
	not_ok "expected two e1000 behind the pcie-pci-bridge, found '${E1000[*]}'"
else
	A=${E1000[0]} B=${E1000[1]}
	grun V 20 "echo \"group of $A: \$(basename \$(readlink /sys/bus/pci/devices/$A/iommu_group)), of $B: \$(basename \$(readlink /sys/bus/pci/devices/$B/iommu_group)); devices: \$(ls /sys/bus/pci/devices/$A/iommu_group/devices | tr '\n' ' ')\"" | indent
	drv=$(grun V 30 "bind_vfio $A")
	other=$(grun V 20 "driver_of $B")
	echo "    $A -> $drv, $B stays on $other"
	out=$(vm_run_host V 60 "$VFIO_CHECK" open "$A" 2>&1)
	rc=$?
	echo "$out" | indent
	if [ "$drv" = vfio-pci ] && [ "$other" = e1000 ] && [ $rc = 1 ] &&
		grep -q "is not viable: .*$B is bound to e1000" <<<"$out"; then
		ok "non-viable group refused, naming $B and e1000 ($(t_took))"
	else
		not_ok "non-viable group: expected a refusal naming $B bound to e1000 (exit $rc)"
	fi
fi
vm_stop V

# ---------------------------------------------------------------- guest without an IOMMU
t_start
vm_start W --host-root --qemu-arg -device --qemu-arg e1000e,romfile=,mac=52:54:00:00:10:04 ||
	{ echo "not ok - vm_start"; exit 1; }
vm_wait_ready W 180 || { echo "not ok - the guest without an IOMMU did not boot"; exit 1; }
echo "# guest without an IOMMU ready in $(t_took)"
t_start
ADDR=$(grun W 20 'find_pci 0x8086:0x10d3' | head -n 1)
drv=$(grun W 30 "bind_vfio $ADDR")
probe=$(grun W 10 'dmesg | grep -m1 vfio-pci')
groups=$(grun W 10 'ls /sys/kernel/iommu_groups | wc -l')
echo "    $ADDR -> driver '$drv'; iommu groups: $groups; $probe"
out=$(vm_run_host W 60 "$VFIO_CHECK" open "$ADDR" 2>&1)
rc=$?
echo "$out" | indent
if [ "$drv" != vfio-pci ] && [ "$groups" = 0 ] && [ $rc = 1 ] &&
	grep -q "no IOMMU: $ADDR has no iommu_group" <<<"$out"; then
	ok "no IOMMU: vfio-pci does not bind, vfio/ refuses with 'no IOMMU: $ADDR has no iommu_group' ($(t_took))"
else
	not_ok "no IOMMU: expected vfio-pci not to bind and vfio/ to refuse (exit $rc)"
fi
vm_stop W

echo "# $((N - FAILED)) passed, $FAILED failed"
[ $FAILED = 0 ]
