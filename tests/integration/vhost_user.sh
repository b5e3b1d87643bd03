#!/usr/bin/env bash
# vhost-user ports against a real front-end: dpdk-testpmd with a virtio-user
# port is the guest driver (DPDK's own virtio PMD, not ours). A kernel host in a
# namespace pings each guest through iovsd (testpmd's icmpecho mode answers ARP
# and echo requests; ping checks every payload byte), over the matrix split /
# packed × mrg_rxbuf on / off × in_order × 1 / 4 queue pairs × iovsd as server /
# client. Two guests then exchange traffic and every packet is accounted for at
# both ends. Then iovsd is killed (-9) and restarted under a client-mode
# port: the guest reconnects without restarting and ping resumes. Finally TCP
# streams between two kernel hosts cross two guests that use checksum and TSO
# offloads both ways, and must arrive intact (see the last section).
. "$(dirname "$0")/lib.sh"
need_root_and_netns

RUN=$T/run
mkdir -p "$RUN"
# Names of this run only: a second run on the same host must not tear them down.
NS=iovs-vh$$ TAP=ivh$$ TAP1=ivh1$$ TAP2=ivh2$$ NS2=iovs-vh2$$
ip netns del $NS 2>/dev/null || true
ip netns add $NS; NETNS+=($NS)
ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1

cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "host0", "type": "tap", "iface": "$TAP" } ] } ] }
JSON

# The tap interface is recreated by every iovsd start: move it into the host
# namespace and address it again.
attach_host() {
	local i
	for i in $(seq 1 50); do ip link show $TAP >/dev/null 2>&1 && break; sleep 0.1; done
	ip link set $TAP netns $NS
	ip -n $NS link set lo up
	ip -n $NS link set $TAP up
	ip -n $NS addr add 10.78.0.1/24 dev $TAP
}

iovsd_start "$RUN"
attach_host
ok "iovsd started; the kernel host is 10.78.0.1 in namespace $NS"

# testpmd guests: tests/integration/guests.sh.
. "$(dirname "$0")/guests.sh"

# --- the matrix: kernel host ↔ guest ---------------------------------------

# name | virtio-user options | iovsd mode | queue pairs | features that must be on / off
MATRIX=(
	"split-mrg-server||server|1|MRG_RXBUF|RING_PACKED"
	"split-nomrg-inorder-client|mrg_rxbuf=0,in_order=1|client|1|IN_ORDER|MRG_RXBUF"
	"packed-mrg-server-4q|packed_vq=1|server|4|RING_PACKED MQ MRG_RXBUF|"
	"packed-nomrg-inorder-client-4q|packed_vq=1,mrg_rxbuf=0,in_order=1|client|4|RING_PACKED MQ IN_ORDER|MRG_RXBUF"
)
n=0
for row in "${MATRIX[@]}"; do
	IFS='|' read -r name opts mode q want nowant <<<"$row"
	n=$((n + 1))
	sock=$T/$name.sock mac=52:54:00:78:00:$((10 + n))
	extra=$opts
	if [ "$mode" = client ]; then
		extra=${extra:+$extra,}server=1
		# The guest listens: start it first (virtio-user waits for the back-end).
		guest_start "$name" "$sock" "$mac" "$q" "$extra"
		guest_listening "$sock"
		ctl port add br0 vm vhost-user --socket "$sock" --client --queues "$q" >/dev/null
	else
		ctl port add br0 vm vhost-user --socket "$sock" --queues "$q" >/dev/null
		guest_start "$name" "$sock" "$mac" "$q" "$extra"
	fi
	guest_ready "$name"
	wait_running vm
	for f in $want; do has_feature vm "$f" || fail "$name: $f not negotiated ($(vhost_field vm features))"; done
	for f in $nowant; do ! has_feature vm "$f" || fail "$name: $f negotiated but the guest refused it"; done
	[ "$(vhost_field vm queues_in_use)" = "$q" ] || fail "$name: $(vhost_field vm queues_in_use) queue pairs in use, expected $q"
	guest_cmd "$name" "set fwd icmpecho"
	guest_cmd "$name" "start"
	ip netns exec $NS ping -c 1 -W 2 10.78.0.2 >/dev/null 2>&1 || true # ARP
	out=$(ip netns exec $NS ping -c 10 -i 0.2 -W 2 -s 1400 10.78.0.2 2>&1) ||
		fail "$name: 1400-byte pings lost: $out"
	echo "$out" | grep -q "wrong data" && fail "$name: a payload came back altered: $out"
	out=$(ip netns exec $NS ping -c 10 -i 0.2 -W 2 10.78.0.2 2>&1) ||
		fail "$name: pings lost: $out"
	rx=$(port_counter vm rx_packets) tx=$(port_counter vm tx_packets)
	[ "$rx" -ge 20 ] && [ "$tx" -ge 20 ] || fail "$name: iovsd counted rx $rx tx $tx, expected ≥ 20 each"
	grx=$(guest_stat "$name" RX-packets)
	[ "$grx" -ge 20 ] || fail "$name: the guest received $grx packets, expected ≥ 20"
	guest_stop "$name"
	ctl port del vm >/dev/null
	ok "$name: $q queue pair(s), iovsd $mode; 20 pings (10 of 1400 bytes) answered intact; iovsd rx $rx tx $tx, guest rx $grx"
done

# --- guest ↔ guest, every packet accounted for -----------------------------
# The kernel host stays quiet meanwhile (its link down): an ARP probe for a
# matrix guest's address, flooded to g2, would add to g2's count.
ip -n $NS link set $TAP down

ctl port add br0 g1 vhost-user --socket "$T/g1.sock" >/dev/null
ctl port add br0 g2 vhost-user --socket "$T/g2.sock" >/dev/null
guest_start g1 "$T/g1.sock" 52:54:00:78:01:01 1 ""
guest_start g2 "$T/g2.sock" 52:54:00:78:01:02 1 "packed_vq=1"
guest_ready g1
guest_ready g2
wait_running g1
wait_running g2
guest_cmd g2 "set fwd rxonly"
guest_cmd g2 "start"
guest_cmd g1 "set fwd txonly"
guest_cmd g1 "set eth-peer 0 52:54:00:78:01:02"
guest_cmd g1 "set txpkts 256"
guest_cmd g1 "start"
sleep 3
guest_cmd g1 "stop"
sleep 2 # iovsd drains g1's ring, g2 drains its own
guest_cmd g2 "stop"
g1_tx=$(guest_stat g1 TX-packets)
g2_rx=$(guest_stat g2 RX-packets)
rx1=$(port_counter g1 rx_packets)
tx2=$(port_counter g2 tx_packets)
full2=$(ctl --json port stats g2 | python3 -c "import json,sys; print(json.load(sys.stdin)['ports'][0]['drops']['tx_full'])")
[ "$g1_tx" -gt 1000 ] || fail "guest g1 sent only $g1_tx packets"
[ "$rx1" = "$g1_tx" ] || fail "guest g1 sent $g1_tx packets, iovsd received $rx1"
[ "$((tx2 + full2))" = "$rx1" ] || fail "iovsd received $rx1 from g1 but delivered $tx2 + dropped $full2 to g2"
[ "$g2_rx" = "$tx2" ] || fail "iovsd delivered $tx2 packets to g2, the guest received $g2_rx"
ok "guest → guest (split → packed): g1 sent $g1_tx = iovsd rx $rx1 = to g2 $tx2 + ring-full drops $full2; g2 received $g2_rx"
ip -n $NS link set $TAP up
guest_stop g1
guest_stop g2
ctl port del g1 >/dev/null
ctl port del g2 >/dev/null

# --- kill -9 and restart under a client-mode port ---------------------------

sock=$T/rc.sock
guest_start rc "$sock" 52:54:00:78:02:01 1 "server=1"
guest_listening "$sock"
ctl port add br0 vm vhost-user --socket "$sock" --client >/dev/null
guest_ready rc
wait_running vm
guest_cmd rc "set fwd icmpecho"
guest_cmd rc "start"
pings $NS 10.78.0.2 || fail "no ping before the restart"
gpid=$(cat "$T/rc.pid")
kill -9 "$(cat "$RUN/test.pid")"
wait "$(cat "$RUN/test.pid")" 2>/dev/null || true
rm -f "$RUN/test.pid"
t0=$(date +%s.%N)
iovsd_start "$RUN"
attach_host
wait_running vm
pings $NS 10.78.0.2 || fail "no ping after iovsd restarted"
t1=$(date +%s.%N)
kill -0 "$gpid" || fail "the guest died with iovsd"
ok "iovsd killed (-9) and restarted: the client port reconnected to the same guest process; ping resumed $(python3 -c "print(f'{$t1 - $t0:.1f}')") s after the restart began"
guest_stop rc

# --- offloads: checksums and TSO end to end --------------------------------
# TCP streams (IPv4 and IPv6) from the kernel host in NS to a second one in
# NS2 cross two testpmd guests whose "csum" engines redo every checksum and cut
# with TSO through their virtio-user ports, so what they send carries
# NEEDS_CSUM and gso virtio-net headers. All ports are in VLAN 5: the hosts'
# and o1's untagged (access), o2's tagged (trunk).
#  - o1 (CSUM, HOST_TSO4/6; gso_size 501) forwards to o2; iovsd pushes the
#    tag onto its TSO packets;
#  - o2 takes them as TSO packets (GUEST_CSUM, GUEST_TSO4/6: iovsd hands the
#    gso header over), then, renegotiated without those, as the segments and
#    checksums iovsd made in software; it forwards them, tagged (gso_size 777,
#    then 301), to NS2: iovsd pops the tag, then segments and checksums
#    everything for tap port host1 (net_tap's own offloads are wrong, see
#    vswitch/port_ethdev.c).
# NS2's kernel checks every checksum: the streams must arrive intact with no
# checksum error counted, iovsd must drop nothing for offload reasons (a tag
# pushed or popped without moving l2_len would be refused), and its counters
# must show the segmentation (rte_gso for IPv4, iovsd's copying segmenter for
# IPv6).
#
#   NS 10.78.5.1 ─tap host2─► o1 ─► o2 ─tap host1─► NS2 10.78.5.3
#        ▲                                              │ ACKs, straight back
#        └──────────────────────────────────────────────┘
ctl port del vm >/dev/null
ip netns del $NS2 2>/dev/null || true
ip netns add $NS2; NETNS+=("$NS2")
ctl port add br0 host2 tap --iface $TAP2 --access 5 >/dev/null
ctl port add br0 host1 tap --iface $TAP1 --access 5 >/dev/null
for _ in $(seq 1 50); do
	ip link show $TAP2 >/dev/null 2>&1 && ip link show $TAP1 >/dev/null 2>&1 && break
	sleep 0.1
done
ip link set $TAP2 netns $NS
ip link set $TAP1 netns $NS2
ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=0
# kernel_host NETNS IFACE N: IFACE up with 10.78.5.N/24 and fd78:5::N/64.
kernel_host() {
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
	ip -n "$1" addr add "10.78.5.$3/24" dev "$2"
	ip -n "$1" addr add "fd78:5::$3/64" dev "$2" nodad
}
kernel_host $NS $TAP2 1
kernel_host $NS2 $TAP1 3
O1_MAC=52:54:00:78:03:01 O2_MAC=52:54:00:78:03:02
NS_MAC=$(ip -n $NS -br link show $TAP2 | awk '{print $3}')
NS2_MAC=$(ip -n $NS2 -br link show $TAP1 | awk '{print $3}')
# Static neighbours, no ARP: the guests forward whatever they receive.
ip -n $NS neigh replace 10.78.5.3 lladdr $O1_MAC dev $TAP2 nud permanent
ip -n $NS neigh replace fd78:5::3 lladdr $O1_MAC dev $TAP2 nud permanent
ip -n $NS2 neigh replace 10.78.5.1 lladdr "$NS_MAC" dev $TAP1 nud permanent
ip -n $NS2 neigh replace fd78:5::1 lladdr "$NS_MAC" dev $TAP1 nud permanent

ctl port add br0 o1 vhost-user --socket "$T/o1.sock" --access 5 >/dev/null
ctl port add br0 o2 vhost-user --socket "$T/o2.sock" --trunk 5 >/dev/null
guest_start o1 "$T/o1.sock" $O1_MAC 1 ""
guest_start o2 "$T/o2.sock" $O2_MAC 1 "packed_vq=1"
guest_ready o1
guest_ready o2
wait_running o1
wait_running o2
# wait_features PORT WANT NOWANT: the port's negotiated features come to
# include every name in WANT and none in NOWANT.
wait_features() {
	local f good
	for _ in $(seq 1 100); do
		good=1
		for f in $2; do has_feature "$1" "$f" || good=0; done
		for f in $3; do ! has_feature "$1" "$f" || good=0; done
		[ $good = 1 ] && return 0
		sleep 0.1
	done
	fail "port $1 negotiated $(vhost_field "$1" features): wanted $2, not $3"
}
# guest_offloads NAME RX-OFFLOADS TSO-SEGSZ WANT NOWANT: reconfigures the
# guest's port; virtio-user renegotiates its features with iovsd on start.
guest_offloads() {
	local name=$1 rx=$2 tso=$3 o
	guest_cmd "$name" "port stop 0"
	for o in tcp_cksum udp_cksum tcp_lro; do
		case " $rx " in
		*" $o "*) guest_cmd "$name" "port config 0 rx_offload $o on" ;;
		*) guest_cmd "$name" "port config 0 rx_offload $o off" ;;
		esac
	done
	guest_cmd "$name" "csum set ip sw 0"
	guest_cmd "$name" "csum set tcp hw 0"
	guest_cmd "$name" "csum set udp hw 0"
	guest_cmd "$name" "tso set $tso 0"
	guest_cmd "$name" "port start 0"
	sleep 1
	grep -q "TSO segment size for non-tunneled packets is $tso" "$T/$name.log" ||
		{ tail -n 30 "$T/$name.log"; fail "guest $name: TSO not enabled on its port"; }
	wait_features "$name" "$4" "$5"
	wait_running "$name"
}
guest_offloads o1 "" 501 "CSUM HOST_TSO4 HOST_TSO6" "GUEST_CSUM GUEST_TSO4"
guest_offloads o2 "tcp_cksum udp_cksum tcp_lro" 777 "GUEST_CSUM GUEST_TSO4 GUEST_TSO6" ""
ok "offload guests: o1 negotiated CSUM HOST_TSO4/6 (gso 501), o2 GUEST_CSUM GUEST_TSO4/6 (gso 777)"

# Teach the MAC table the addresses before the guests forward: a frame to an
# unknown MAC floods to both guests, which forward everything. (o2's own is
# learned from the first frame it forwards, tagged: its untagged tx_first
# burst is not admitted on its trunk.)
ip netns exec $NS2 ping -c 1 -W 1 10.78.5.1 >/dev/null 2>&1 || true
guest_cmd o2 "set fwd csum"
guest_cmd o2 "set eth-peer 0 $NS2_MAC"
guest_cmd o2 "start tx_first"
guest_cmd o1 "set fwd csum"
guest_cmd o1 "set eth-peer 0 $O2_MAC"
guest_cmd o1 "start tx_first"

cat >"$T/tcp_sink.py" <<'PY'
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(60)
c, _ = s.accept()
c.settimeout(60)
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
print(n, h.hexdigest())
PY
cat >"$T/tcp_source.py" <<'PY'
import hashlib, socket, sys, time
data = hashlib.shake_256(sys.argv[3].encode()).digest(int(sys.argv[4]))
for _ in range(50):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
        break
    except OSError:
        time.sleep(0.1)
s.sendall(data)
s.close()
print(len(data), hashlib.sha256(data).hexdigest())
PY
# csum_errors NS: IP, TCP and UDP checksum errors the namespace's kernel counted.
csum_errors() {
	ip netns exec "$1" cat /proc/net/snmp /proc/net/netstat | awk '
		/^(IpExt|Tcp|Udp):/ { if (!h[$1]) { for (i = 2; i <= NF; i++) k[$1, i] = $i; h[$1] = 1; next }
		                      for (i = 2; i <= NF; i++) if (k[$1, i] == "InCsumErrors") s += $i }
		END { print s + 0 }'
}
# tcp_stream ADDR PORT BYTES TAG: NS sends BYTES to NS2's ADDR; both ends'
# sha256 must agree.
tcp_stream() {
	local addr=$1 port=$2 bytes=$3 tag=$4 sent got sink
	ip netns exec $NS2 python3 "$T/tcp_sink.py" "$addr" "$port" >"$T/sink-$tag.out" 2>&1 &
	sink=$!
	sleep 0.5
	sent=$(ip netns exec $NS timeout 90 python3 "$T/tcp_source.py" "$addr" "$port" "$tag" "$bytes") ||
		fail "$tag: the TCP stream did not go through: $sent"
	wait $sink || fail "$tag: the receiver failed: $(cat "$T/sink-$tag.out")"
	got=$(cat "$T/sink-$tag.out")
	[ "$sent" = "$got" ] || fail "$tag: sent \"$sent\", received \"$got\""
}
# offload_drops: every port's offload, malformed and too_big drops, summed.
offload_drops() {
	ctl --json port stats | python3 -c "
import json, sys
print(sum(p['drops'].get(d, 0) for p in json.load(sys.stdin)['ports']
          for d in ('offload', 'malformed', 'too_big')))"
}
# snap: packets from o1, to o2, from o2, to NS2 (host1), so far.
snap() {
	echo "$(port_counter o1 rx_packets) $(port_counter o2 tx_packets)" \
		"$(port_counter o2 rx_packets) $(port_counter host1 tx_packets)"
}
# offload_round TAG: a 4 MB stream over IPv4 and one over IPv6; sets from_o1,
# to_o2, from_o2, to_ns2 (packets during the streams) and secs.
offload_round() {
	local a0 b0 c0 d0 a b c d t0 t1 err drops
	read -r a0 b0 c0 d0 <<<"$(snap)"
	t0=$(date +%s.%N)
	tcp_stream 10.78.5.3 5001 4000000 "$1-v4"
	tcp_stream fd78:5::3 5002 4000000 "$1-v6"
	t1=$(date +%s.%N)
	read -r a b c d <<<"$(snap)"
	err=$(csum_errors $NS2) drops=$(offload_drops)
	[ "$err" = "$err0" ] || fail "$1: NS2's kernel counted $((err - err0)) checksum errors"
	[ "$drops" = "$drops0" ] ||
		fail "$1: iovsd dropped $((drops - drops0)) packets (offload, malformed, too_big): $(ctl port stats)"
	from_o1=$((a - a0)) to_o2=$((b - b0)) from_o2=$((c - c0)) to_ns2=$((d - d0))
	secs=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
}

err0=$(csum_errors $NS2)
drops0=$(offload_drops)
offload_round tso-to-guest
# o1's TSO packets enter o2 whole (a few flooded frames aside); o2's (gso 777,
# under the 1448-byte MSS) are cut for the tap: more packets reach NS2.
[ "$to_o2" -le $((from_o1 + from_o1 / 10)) ] ||
	fail "tso-to-guest: o1 sent $from_o1 packets and o2 got $to_o2: segmented for a guest that takes TSO?"
[ "$to_ns2" -gt "$from_o2" ] || fail "tso-to-guest: o2 sent $from_o2 packets and NS2 got $to_ns2: no segmentation?"
ok "offloads, o2 takes TSO: 2 × 4 MB (IPv4, IPv6) NS → o1 → o2 → NS2 intact in $secs s, no checksum error at NS2, no offload drop; packets from o1 $from_o1, to o2 $to_o2 (TSO handed over), from o2 $from_o2, to NS2 $to_ns2 (segmented by iovsd)"

# o2 renegotiates without GUEST_CSUM/GUEST_TSO: iovsd now segments o1's TSO
# packets and completes their checksums before they enter o2.
guest_cmd o2 "stop"
guest_offloads o2 "" 301 "CSUM HOST_TSO4" "GUEST_CSUM GUEST_TSO4 GUEST_TSO6"
guest_cmd o2 "start"
offload_round segments-to-guest
[ "$to_o2" -gt "$from_o1" ] || fail "segments-to-guest: o1 sent $from_o1 packets and o2 got $to_o2: no segmentation?"
[ "$to_ns2" -gt "$from_o2" ] || fail "segments-to-guest: o2 sent $from_o2 packets and NS2 got $to_ns2: no segmentation?"
ok "offloads, o2 renegotiated without GUEST_CSUM/TSO: 2 × 4 MB intact in $secs s, no checksum error, no offload drop; packets from o1 $from_o1, to o2 $to_o2 (segmented by iovsd), from o2 $from_o2, to NS2 $to_ns2"
guest_stop o1
guest_stop o2

echo "vhost_user: $CHECKS checks passed"
