#!/usr/bin/env bash
# vhost-user ports against a real front-end: dpdk-testpmd with a virtio-user
# port is the guest driver (DPDK's own virtio PMD, not ours). A kernel host in a
# namespace pings each guest through iovsd (testpmd's icmpecho mode answers ARP
# and echo requests; ping checks every payload byte), over the matrix split /
# packed × mrg_rxbuf on / off × in_order × 1 / 4 queue pairs × iovsd as server /
# client. Two guests then exchange traffic and every packet is accounted for at
# both ends. Finally iovsd is killed (-9) and restarted under a client-mode
# port: the guest reconnects without restarting and ping resumes.
. "$(dirname "$0")/lib.sh"
need_root_and_netns
command -v dpdk-testpmd >/dev/null || skip "dpdk-testpmd missing (Debian package dpdk-dev)"

RUN=$T/run
mkdir -p "$RUN"
# Names of this run only: a second run on the same host must not tear them down.
NS=iovs-vh$$ TAP=ivh$$
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
	for i in $(seq 1 50); do ip link show "$TAP" >/dev/null 2>&1 && break; sleep 0.1; done
	ip link set "$TAP" netns $NS
	ip -n $NS link set lo up
	ip -n $NS link set "$TAP" up
	ip -n $NS addr add 10.78.0.1/24 dev "$TAP"
}

iovsd_start "$RUN"
attach_host
ok "iovsd started; the kernel host is 10.78.0.1 in namespace $NS"

# --- testpmd guests, driven through a fifo ---------------------------------

declare -A GFD
# guest_start NAME SOCKET MAC QUEUES VDEV-EXTRA: an interactive testpmd whose
# virtio-user port talks to SOCKET (VDEV-EXTRA: packed_vq=1, server=1, ...).
# Its stdin is a fifo we hold open read-write (so opening never blocks and
# testpmd never sees end-of-file). guest_ready waits for its prompt.
guest_start() {
	local name=$1 sock=$2 mac=$3 q=$4 extra=$5 fd
	rm -f "$T/$name.in"; mkfifo "$T/$name.in"
	exec {fd}<>"$T/$name.in"
	GFD[$name]=$fd
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --no-huge -m 256 \
		--file-prefix "iovs-$name-$$" --log-level=lib.eal:error \
		--vdev "net_virtio_user0,path=$sock,mac=$mac,queues=$q${extra:+,$extra}" \
		-- -i --total-num-mbufs 4096 --rxq="$q" --txq="$q" --nb-cores=1 \
		<"$T/$name.in" >"$T/$name.log" 2>&1 &
	echo $! >"$T/$name.pid"
}
guest_ready() {
	local i
	for i in $(seq 1 150); do
		grep -q "testpmd>" "$T/$1.log" 2>/dev/null && return 0
		kill -0 "$(cat "$T/$1.pid")" 2>/dev/null || break
		sleep 0.2
	done
	cat "$T/$1.log"; fail "guest $1 did not start"
}
# guest_listening SOCKET: a server=1 guest created its socket.
guest_listening() {
	for _ in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.1; done
	fail "no guest listens on $1"
}
guest_cmd() { echo "$2" >&"${GFD[$1]}"; sleep 0.3; }
# guest_stat NAME FIELD: RX-packets or TX-packets of port 0, asked now.
guest_stat() {
	local before
	before=$(grep -c "$2:" "$T/$1.log" || true)
	echo "show port stats 0" >&"${GFD[$1]}"
	for _ in $(seq 1 50); do
		[ "$(grep -c "$2:" "$T/$1.log" || true)" -gt "$before" ] && break
		sleep 0.1
	done
	grep "$2:" "$T/$1.log" | tail -n 1 | sed -E "s/.*$2: *([0-9]+).*/\1/"
}
guest_stop() {
	local pid fd=${GFD[$1]}
	echo "quit" >&"$fd" || true
	exec {fd}>&-
	pid=$(cat "$T/$1.pid")
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
}

# vhost_field PORT KEY: from 'port list --json' → the port's "vhost" object.
vhost_field() {
	ctl --json port list | python3 -c "
import json, sys
for p in json.load(sys.stdin)['ports']:
    if p['name'] == '$1': print(p.get('vhost', {}).get('$2', ''))"
}
wait_running() {
	for _ in $(seq 1 100); do
		[ "$(vhost_field "$1" state)" = running ] && return 0
		sleep 0.2
	done
	fail "port $1 is not running: $(vhost_field "$1" state)"
}
has_feature() { vhost_field "$1" features | tr ' ' '\n' | grep -qx "$2"; }

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

echo "vhost_user: $CHECKS checks passed"
