#!/usr/bin/env bash
# A real QEMU 7.2 guest (TCG) with a vIOMMU on an iovsd vhost-user port:
# intel-iommu with caching mode and a device IOTLB (ATS), the virtio-net NIC
# with iommu_platform=on (VIRTIO_F_ACCESS_PLATFORM), the guest kernel with
# intel_iommu=on. Every ring and buffer address iovs sees is then an IOVA that
# QEMU translates for it on request (VHOST_USER_BACKEND_IOTLB_MSG misses,
# IOTLB_MSG updates and invalidations). The guest pings a host in a network
# namespace (veth, an af_packet port of the same bridge) 50 times: none may be
# lost (a miss must never drop a packet), and the port's counters must show
# that the IOTLB was used (misses sent, updates received, entries).
# One guest; vm_start --iommu puts the intel-iommu device before the NIC.
. "$(dirname "$0")/../integration/lib.sh"
need_root_and_netns
VM_TMP=$T/vm
. "$(dirname "$0")/vm.sh"
vm_have_qemu || skip "qemu-system-x86_64 missing (Debian package qemu-system-x86)"
vm_build >"$T/build.log" 2>&1 || { cat "$T/build.log"; skip "cannot build the guest image (see above)"; }
PINGS=${IOVS_VIOMMU_PINGS:-50}

RUN=$T/run
mkdir -p "$RUN"
host iovs-vi 10.0.0.2/24
cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "vm-a", "type": "vhost-user", "socket": "$T/a.sock" },
    { "name": "peer", "type": "af_packet", "iface": "iv-iovs-vi" } ] } ] }
JSON
iovsd_start "$RUN"
ok "iovsd serves vm-a on $T/a.sock and peer on iv-iovs-vi"

iotlb() { # iotlb FIELD: from 'port list --json', vm-a's vhost.iotlb
	ctl --json port list | python3 -c "
import json, sys
for p in json.load(sys.stdin)['ports']:
    if p['name'] == 'vm-a': print(p['vhost']['iotlb']['$1'])"
}

mac=52:54:00:00:0a:01
t0=$(date +%s.%N)
vm_start A --sock "$T/a.sock" --mac $mac --ip 10.0.0.1/24 --cmdline "intel_iommu=on" \
	--iommu --iommu-opts device-iotlb=on --nic-opts "iommu_platform=on,ats=on,disable-legacy=on"
vm_wait_ready A 240 >/dev/null || fail "guest A did not boot"
wait_running vm-a
has_feature vm-a ACCESS_PLATFORM || fail "ACCESS_PLATFORM not negotiated: $(vhost_field vm-a features)"
vm_run A 20 dmesg | grep -qiE "DMAR|IOMMU" || fail "no IOMMU in the guest's kernel log"
ok "guest A booted with a vIOMMU; ACCESS_PLATFORM negotiated ($(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s)"

guest_pings A 10.0.0.2 || fail "guest A cannot reach the namespace host"
misses0=$(iotlb misses_sent) updates0=$(iotlb updates)
t1=$(date +%s.%N)
out=$(vm_run A 120 ping -c "$PINGS" -i 0.2 -W 5 10.0.0.2) || fail "pings lost: $out"
t2=$(date +%s.%N)
summary=$(echo "$out" | grep -E "packets transmitted")
echo "$summary" | grep -qE "^$PINGS packets transmitted, $PINGS packets received" ||
	fail "ping loss: $summary"
ok "$summary ($(python3 -c "print(f'{$t2 - $t1:.1f}')") s; $(echo "$out" | tail -n 1))"

out=$(vm_run A 60 ping -c 10 -i 0.2 -W 5 -s 1472 10.0.0.2) || fail "full-size pings lost: $out"
ok "10 full-size pings answered"

misses=$(iotlb misses_sent) updates=$(iotlb updates) inval=$(iotlb invalidations)
entries=$(iotlb entries) held=$(iotlb held_packets) waits=$(iotlb miss_waits)
refused=$(iotlb updates_refused) access=$(iotlb access_failures)
echo "# iotlb: entries $entries, updates $updates (refused $refused), invalidations $inval," \
	"misses sent $misses, miss waits $waits, packets held $held, access failures $access" \
	"(before the $PINGS pings: misses $misses0, updates $updates0)"
[ "$misses" -gt 0 ] && [ "$updates" -gt 0 ] && [ "$entries" -gt 0 ] ||
	fail "the IOTLB was not used: misses $misses, updates $updates, entries $entries"
[ "$access" = 0 ] || fail "$access access failures"
ok "the vIOMMU path was used: $misses misses sent, $updates updates, $inval invalidations"
drops=$(ctl --json port stats vm-a | python3 -c "
import json, sys
p = json.load(sys.stdin)['ports'][0]
d = {}
for q in p['queues']:
    for k, v in q['drops'].items(): d[k] = d.get(k, 0) + v
print(' '.join(f'{k}={v}' for k, v in sorted(d.items()) if v))")
echo "# vm-a queue drops: ${drops:-none}"
case " $drops " in
*" iotlb_"*) fail "packets dropped for the IOTLB: $drops" ;;
esac
ok "no packet dropped for the IOTLB (iotlb_hold_full, iotlb_access: 0)"
ctl port stats vm-a

echo "iovs_viommu: $CHECKS checks passed"
