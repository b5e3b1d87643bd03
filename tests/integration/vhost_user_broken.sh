#!/usr/bin/env bash
# A misbehaving vhost-user guest next to healthy ones (DESIGN.md, "Trust
# boundaries"; bad-input.md classes 1, 3, 5, 11). Two dpdk-testpmd
# virtio-user guests (split and packed) exchange traffic through iovsd in VLAN
# 10 for the whole run, served by the same PMD as port "r", to which
# tests/tools/vhu_rogue connects, one mode after another:
#   loop, index  a tx descriptor chain that loops / points beyond the ring
#   address      an rx buffer outside the rogue's memory
#   short        tx chains shorter than the virtio-net header, non-stop
#   flood        rx buffers posted and never taken back, the tx ring kept full
# while a kernel host in VLAN 20 sends to the rogue's MAC. Checked per mode:
# the port's state says "broken: ring N: REASON" (or "running" where nothing
# breaks), its per-queue drop counters rise with the right reason, iovsd logs
# the reason once, the rogue keeps its connection, and the healthy pair keeps
# forwarding. Then: iovsd's RSS and open fds are back near where they were,
# and every packet the healthy sender sent is accounted for at the receiver
# (exact testpmd and iovsd counts; no timed throughput checks).
. "$(dirname "$0")/lib.sh"
need_root_and_netns
: "${VHU_ROGUE:?path of vhu_rogue (tests/tools)}"

RUN=$T/run
mkdir -p "$RUN"
# Names of this run only.
NS=iovs-vb$$ TAP=ivb$$
ROGUE_MAC=52:54:00:78:0f:0f # vhu_rogue.c's own_mac
G1_MAC=52:54:00:79:01:01 G2_MAC=52:54:00:79:01:02
ip netns del $NS 2>/dev/null || true
ip netns add $NS
NETNS+=("$NS")
ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1

cat >"$RUN/iovsd.json" <<JSON
{ "version": 1, "bridges": [ { "name": "br0", "ports": [] } ] }
JSON
iovsd_start "$RUN"
ctl port add br0 host0 tap --iface $TAP --access 20 >/dev/null
for _ in $(seq 1 50); do ip link show $TAP >/dev/null 2>&1 && break; sleep 0.1; done
ip link set $TAP netns $NS
ip -n $NS link set lo up
ip -n $NS link set $TAP up
ip -n $NS addr add 10.79.0.1/24 dev $TAP
# The rogue has no IP stack: its address is a static neighbour.
ip -n $NS neigh replace 10.79.0.99 lladdr $ROGUE_MAC dev $TAP nud permanent
IOVSD_PID=$(cat "$RUN/test.pid")

. "$(dirname "$0")/guests.sh"
# qdrop PORT REASON: queue 0's drop counter REASON of a vhost-user port.
qdrop() {
	ctl --json port stats "$1" | python3 -c "
import json, sys
print(json.load(sys.stdin)['ports'][0]['queues'][0]['drops']['$2'])"
}
# port_drop PORT REASON: a port-level drop counter.
port_drop() {
	ctl --json port stats "$1" | python3 -c "
import json, sys
print(json.load(sys.stdin)['ports'][0]['drops']['$2'])"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$IOVSD_PID/status"; }
nfds() { ls "/proc/$IOVSD_PID/fd" | wc -l; }

# --- the healthy pair, VLAN 10 ---------------------------------------------

ctl port add br0 g1 vhost-user --socket "$T/g1.sock" --access 10 >/dev/null
ctl port add br0 g2 vhost-user --socket "$T/g2.sock" --access 10 >/dev/null
ctl port add br0 r vhost-user --socket "$T/r.sock" --access 20 >/dev/null
guest_start g1 "$T/g1.sock" $G1_MAC 1 ""
guest_start g2 "$T/g2.sock" $G2_MAC 1 "packed_vq=1"
guest_ready g1
guest_ready g2
wait_running g1
wait_running g2
guest_cmd g2 "set fwd rxonly"
guest_cmd g2 "start"
guest_cmd g1 "set fwd txonly"
guest_cmd g1 "set eth-peer 0 $G2_MAC"
guest_cmd g1 "set txpkts 128"
guest_cmd g1 "start"
sleep 3
rss0=$(rss_kib) fds0=$(nfds)
ok "healthy pair g1 (split) → g2 (packed) forwarding in VLAN 10; iovsd RSS $rss0 KiB, $fds0 fds"

# --- the rogue, one mode after another --------------------------------------

# rogue MODE WANT_STATE COUNTER: runs vhu_rogue in MODE while the host sends
# 400 packets to it; its port's state must become WANT_STATE (a prefix
# is enough for "running") and queue 0's drop COUNTER must rise.
rogue() {
	local mode=$1 want=$2 counter=$3 pid c0 c1 g0 g1n state logs ring reason
	c0=$(qdrop r "$counter")
	g0=$(port_counter g2 tx_packets)
	logs=$(grep -c "r.sock: ring .* broken" "$RUN/iovsd.log" || true)
	"$VHU_ROGUE" --socket "$T/r.sock" --mode "$mode" --seconds 120 >"$T/rogue-$mode.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do grep -q ready "$T/rogue-$mode.log" && break; sleep 0.1; done
	grep -q ready "$T/rogue-$mode.log" || fail "$mode: the rogue did not start: $(cat "$T/rogue-$mode.log")"
	ip netns exec $NS ping -q -c 400 -i 0.005 -W 1 10.79.0.99 >/dev/null 2>&1 || true
	state=$(vhost_field r state)
	for _ in $(seq 1 30); do
		case "$state" in "$want"*) break ;; esac
		sleep 0.1
		state=$(vhost_field r state)
	done
	case "$state" in
	"$want"*) ;;
	*) fail "$mode: port r is \"$state\", expected \"$want\"; the rogue: $(cat "$T/rogue-$mode.log")" ;;
	esac
	c1=$(qdrop r "$counter")
	[ "$c1" -gt "$c0" ] || fail "$mode: queue 0 drop counter $counter stayed at $c0"
	kill -TERM "$pid"
	wait "$pid" || fail "$mode: the rogue lost its connection: $(cat "$T/rogue-$mode.log")"
	g1n=$(port_counter g2 tx_packets)
	[ "$g1n" -gt "$g0" ] || fail "$mode: the healthy pair stopped: iovsd sent g2 $g0 → $g1n"
	if [ "$want" != running ]; then
		ring=${want#broken: ring }
		reason=${ring#*: }
		ring=${ring%%:*}
		n=$(grep -c "r.sock: ring $ring broken: $reason" "$RUN/iovsd.log" || true)
		[ "$n" = 1 ] || fail "$mode: iovsd logged \"ring $ring broken: $reason\" $n times, expected once"
		[ "$(grep -c "r.sock: ring .* broken" "$RUN/iovsd.log")" = $((logs + 1)) ] ||
			fail "$mode: more than one broken-ring log line"
	fi
	ok "$mode: port r \"$state\"; queue 0 $counter drops $c0 → $c1; $(tail -n 1 "$T/rogue-$mode.log"); g2 still received ($g0 → $g1n)"
}

rogue loop "broken: ring 1: descriptor chain loops or is longer than the ring" no_buffers
rogue index "broken: ring 1: descriptor next index out of range" no_buffers
rogue address "broken: ring 0: descriptor buffer is not inside guest memory" broken
m0=$(qdrop r malformed)
rogue short running malformed
[ "$(($(qdrop r malformed) - m0))" -gt 1000 ] || fail "short: only $(($(qdrop r malformed) - m0)) malformed chains counted"
rss1=$(rss_kib)
rogue flood running no_buffers
[ "$(port_drop r no_route)" -gt 1000 ] || fail "flood: the rogue's frames were not seen ($(port_drop r no_route) hairpin drops)"
rss2=$(rss_kib)

# Back to where it was: the rogue's memory unmapped, its fds closed.
for _ in $(seq 1 50); do [ "$(nfds)" -le "$fds0" ] && break; sleep 0.1; done
fds1=$(nfds) rss3=$(rss_kib)
[ "$fds1" -le "$fds0" ] || fail "iovsd has $fds1 fds open, $fds0 before the rogue"
[ "$rss3" -lt $((rss0 + 16384)) ] || fail "iovsd RSS grew from $rss0 to $rss3 KiB"
[ "$rss2" -lt $((rss1 + 8192)) ] || fail "iovsd RSS grew from $rss1 to $rss2 KiB during the flood"
ok "iovsd RSS $rss0 → $rss1 (before the flood) → $rss2 (after it) → $rss3 KiB; fds $fds0 → $fds1"

# --- the healthy pair's accounting ----------------------------------------

guest_cmd g1 "stop"
sleep 2 # iovsd drains g1's ring, g2 drains its own
guest_cmd g2 "stop"
g1_tx=$(guest_stat g1 TX-packets)
g2_rx=$(guest_stat g2 RX-packets)
rx1=$(port_counter g1 rx_packets)
tx2=$(port_counter g2 tx_packets)
full2=$(port_drop g2 tx_full)
[ "$g1_tx" -gt 1000 ] || fail "guest g1 sent only $g1_tx packets"
[ "$rx1" = "$g1_tx" ] || fail "guest g1 sent $g1_tx packets, iovsd received $rx1"
[ "$((tx2 + full2))" = "$rx1" ] || fail "iovsd received $rx1 from g1 but delivered $tx2 + dropped $full2 to g2"
[ "$g2_rx" = "$tx2" ] || fail "iovsd delivered $tx2 packets to g2, the guest received $g2_rx"
for p in g1 g2; do
	for d in malformed no_mbuf too_big no_route; do
		[ "$(port_drop $p $d)" = 0 ] || fail "port $p dropped $(port_drop $p $d) packets as $d"
	done
done
[ "$(vhost_field g1 state)" = running ] && [ "$(vhost_field g2 state)" = running ] ||
	fail "a healthy port changed state: g1 $(vhost_field g1 state), g2 $(vhost_field g2 state)"
ok "healthy pair: g1 sent $g1_tx = iovsd rx $rx1 = to g2 $tx2 + ring-full drops $full2; g2 received $g2_rx"
guest_stop g1
guest_stop g2
iovsd_stop "$RUN"
ok "iovsd stopped cleanly"
