#!/usr/bin/env bash
# Every kind of kernel-facing port forwards through iovsd: a tap port (its
# interface moved into a namespace), an af_xdp port and a 2-queue af_packet port
# on veth pairs ping each other. Multi-queue null/ring ports open with their rx
# queues placed on the PMD. Two iovsd instances run side by side; a second
# daemon on a busy run directory is refused.
. "$(dirname "$0")/lib.sh"
need_root_and_netns

RUN=$T/run
mkdir -p "$RUN"
host iovs-xd 10.79.0.1/24
host iovs-pk 10.79.0.2/24
ip netns del iovs-tp 2>/dev/null || true
ip netns add iovs-tp; NETNS+=(iovs-tp)

cat >"$RUN/iovsd.json" <<'JSON'
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "host0", "type": "tap", "iface": "iovs-tst0" },
    { "name": "xd", "type": "af_xdp", "iface": "iv-iovs-xd" },
    { "name": "pk", "type": "af_packet", "iface": "iv-iovs-pk", "queues": 2 } ] } ] }
JSON
iovsd_start "$RUN"
ok "iovsd started with tap, af_xdp and 2-queue af_packet ports"
ip link set iovs-tst0 netns iovs-tp
ip -n iovs-tp link set iovs-tst0 up
ip -n iovs-tp addr add 10.79.0.3/24 dev iovs-tst0
pings iovs-xd 10.79.0.2 || fail "af_xdp host cannot reach af_packet host"
ok "af_xdp ↔ af_packet"
pings iovs-tp 10.79.0.1 || fail "tap host cannot reach af_xdp host"
pings iovs-tp 10.79.0.2 || fail "tap host cannot reach af_packet host"
ok "tap ↔ af_xdp and tap ↔ af_packet"
for p in host0 xd pk; do
	[ "$(port_counter $p rx_packets)" -gt 0 ] && [ "$(port_counter $p tx_packets)" -gt 0 ] \
		|| fail "port $p did not both receive and transmit"
done
ok "every port counted rx and tx"
nq=$(ctl --json port stats pk | python3 -c "import json,sys; print(len(json.load(sys.stdin)['ports'][0]['rxqs']))")
[ "$nq" = 2 ] || fail "pk has $nq rx queues, expected 2"
ok "pk has 2 rx queues"

ctl port add br0 n4 null --queues 4
ctl port add br0 r1 ring
pmd_rxqs=$(ctl --json pmd stats | python3 -c "import json,sys; print(sum(p['rx_queues'] for p in json.load(sys.stdin)['pmds']))")
[ "$pmd_rxqs" = 9 ] || fail "PMDs poll $pmd_rxqs rx queues, expected 9 (1+1+2+4+1)"
ok "null port with 4 queues and ring port added: PMDs poll 9 rx queues"
pmd_core=$(ctl --json pmd stats | python3 -c "import json,sys; print(json.load(sys.stdin)['pmds'][0]['core'])")
ctl port add br0 n5 null --queues 2 --rxq-pmd "1:$pmd_core"
core_of_q1=$(ctl --json port stats n5 | python3 -c "import json,sys; print(json.load(sys.stdin)['ports'][0]['rxqs'][1]['pmd_core'])")
[ "$core_of_q1" = "$pmd_core" ] || fail "rx queue 1 of n5 is on core $core_of_q1, pinned to $pmd_core"
ok "rx queue pinned with --rxq-pmd 1:$pmd_core is polled there"
ctl_fails "runs no PMD|pmd" port add br0 n6 null --queues 2 --rxq-pmd "0:7"
ctl port del n4
ctl port del n5
ctl port del r1
pings iovs-xd 10.79.0.2 || fail "forwarding broken after null/ring ports came and went"
ok "null and ring ports removed, forwarding intact"

# A second daemon on the same run directory is refused; on another, it runs.
if "$IOVSD" --run-dir "$RUN" >"$T/second.log" 2>&1; then fail "second iovsd on $RUN started"; fi
grep -q "another iovsd" "$T/second.log" || { cat "$T/second.log"; fail "no clear refusal"; }
ok "second iovsd on the same run directory refused: $(head -1 "$T/second.log")"
RUN2=$T/run2
mkdir -p "$RUN2"
echo '{"version": 1, "bridges": [{"name": "brB", "ports": [{"name": "nb", "type": "null"}]}]}' \
	>"$RUN2/iovsd.json"
iovsd_start "$RUN2"
IOVS_RUN_DIR=$RUN2 "$IOVSCTL" port list | grep -qw nb || fail "second instance does not list its port"
ctl port list | grep -qw nb && fail "first instance sees the second's port"
pings iovs-xd 10.79.0.2 || fail "first instance stopped forwarding"
ok "two instances side by side, each with its own ports (IOVS_RUN_DIR works)"
iovsd_stop "$RUN2" || fail "second instance did not exit 0"
ok "second instance stopped cleanly"

echo "$CHECKS checks passed"
