#!/usr/bin/env bash
# A controller's flows program the data plane end to end: ovs-ofctl -O
# OpenFlow13 against iovsd, with traffic between network namespaces checked to
# follow the flows. fail_mode standalone's default NORMAL flow; del-flows →
# table miss drops; add-flow both ways → ping; a higher-priority drop flow →
# no ping and its n_packets counts it; mod-flows; del-flows --strict and loose;
# add-flows FILE; --bundle add-flows (atomic: one bad flow, nothing applied);
# a dump of 30,003 flows (larger than the 1 MiB output cap) arrives whole;
# dump-tables / dump-aggregate; VLAN push/pop with a tagged receiver
# (vlan_host.py); set_field eth_dst seen by the receiver; groups (all, select)
# and a meter (drop band) used by flows; packet-out seen by tcpdump;
# ovs-testcontroller as an active controller (a learning switch through
# PACKET_IN/PACKET_OUT, no flows by hand), and with --noflow (every packet a
# packet-in and a packet-out); FLOW_REMOVED on idle timeout (ovs-ofctl
# monitor); BARRIER (ovs-ofctl sends one after each change: the first ping
# after add-flow already passes); tshark decodes the whole capture of the
# test's OpenFlow traffic with no malformed frame.
. "$(dirname "$0")/lib.sh"
need_root_and_netns
command -v ovs-ofctl >/dev/null || skip "ovs-ofctl missing (Debian package openvswitch-common)"
command -v ovs-testcontroller >/dev/null \
	|| skip "ovs-testcontroller missing (Debian package openvswitch-testcontroller)"
command -v tcpdump >/dev/null || skip "tcpdump missing"

RUN=$T/run
mkdir -p "$RUN"
id=$(($$ % 10000))
PORT=$((18653 + $$ % 1000))
CPORT=$((PORT + 1000))
NS1=iff$id-a
NS2=iff$id-b
NS3=iff$id-v
host "$NS1" 10.83.0.1/24
host "$NS2" 10.83.0.2/24
host "$NS3" ""
ip -n "$NS1" addr add 10.83.100.1/24 dev eth0
# NS3 answers ARP and ping for 10.83.100.3 only on VLAN 100, tag inline.
ip netns exec "$NS3" python3 "$(dirname "$0")/vlan_host.py" --iface eth0 \
	--addr 100=10.83.100.3 --seconds 300 >"$T/vlan_host.log" 2>&1 &
OF=tcp:127.0.0.1:$PORT
ofctl() { ovs-ofctl -O OpenFlow13 "$@"; }
nflows() { ofctl dump-flows "$OF" | grep -c "cookie=" || true; }
# flow_packets PATTERN: n_packets of the one flow whose line matches PATTERN.
flow_packets() { ofctl dump-flows "$OF" | grep -E -- "$1" | grep -o 'n_packets=[0-9]*' | cut -d= -f2; }

cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "p1", "type": "af_packet", "iface": "iv-$NS1", "ofport": 1 },
    { "name": "p2", "type": "af_packet", "iface": "iv-$NS2", "ofport": 2 },
    { "name": "p3", "type": "af_packet", "iface": "iv-$NS3", "ofport": 3 } ],
    "openflow": { "listen": "127.0.0.1:$PORT", "fail_mode": "standalone" } } ] }
JSON
# Every OpenFlow byte of this test, for tshark at the end.
tcpdump -i lo -w "$T/of.pcap" -U "tcp port $PORT or tcp port $CPORT" >"$T/tcpdump-of.log" 2>&1 &
CAP_PID=$!
iovsd_start "$RUN"
ok "iovsd started: br0 with OpenFlow on 127.0.0.1:$PORT, fail_mode standalone"

# --- standalone: the default flow, as Open vSwitch
sleep 0.5
out=$(ofctl dump-flows "$OF")
echo "$out" | grep -q "priority=0 actions=NORMAL" || fail "no default NORMAL flow: $out"
pings "$NS1" 10.83.0.2 || fail "no ping through the default NORMAL flow"
n=$(flow_packets "priority=0 actions=NORMAL")
[ "$n" -ge 2 ] || fail "the NORMAL flow counted $n packets"
ok "standalone: default flow priority=0 actions=NORMAL forwards (n_packets=$n)"

# --- no flows: a table miss drops (OF 1.3)
ofctl del-flows "$OF"
[ "$(nflows)" = 0 ] || fail "del-flows left flows"
no_ping "$NS1" 10.83.0.2 || fail "ping passed with an empty table"
ok "del-flows: empty table, ping fails (table miss drops)"

# --- add-flow both ways: the first ping passes (BARRIER after each flow_mod)
ofctl add-flow "$OF" in_port=1,actions=output:2
ofctl add-flow "$OF" in_port=2,actions=output:1
ip netns exec "$NS1" ping -c 1 -W 2 10.83.0.2 >/dev/null || fail "first ping after add-flow lost"
ip netns exec "$NS1" ping -c 3 -i 0.2 -q 10.83.0.2 >/dev/null || fail "ping in_port=1→2 / 2→1"
n1=$(flow_packets "in_port=1 actions=output:2")
[ "$n1" -ge 4 ] || fail "flow in_port=1 counted $n1 packets"
ok "add-flow in_port=1→2 and 2→1: ping works, n_packets=$n1"

# --- a drop flow at higher priority
ofctl add-flow "$OF" priority=40000,icmp,actions=drop
no_ping "$NS1" 10.83.0.2 || fail "ping passed the drop flow"
d=$(flow_packets "priority=40000,icmp actions=drop")
[ "$d" -ge 2 ] || fail "drop flow counted $d packets"
ok "priority=40000,icmp,actions=drop: ping fails, the drop flow counted $d packets"
ofctl --strict del-flows "$OF" priority=40000,icmp
[ "$(nflows)" = 2 ] || fail "del-flows --strict: $(ofctl dump-flows "$OF")"
pings "$NS1" 10.83.0.2 || fail "ping after del-flows --strict"
ok "del-flows --strict priority=40000,icmp: only that flow removed, ping back"

# --- mod-flows
ofctl mod-flows "$OF" in_port=1,actions=drop
no_ping "$NS1" 10.83.0.2 || fail "ping after mod-flows actions=drop"
out=$(ofctl dump-flows "$OF")
echo "$out" | grep -q "in_port=1 actions=drop" || fail "mod-flows: $out"
ofctl mod-flows "$OF" in_port=1,actions=output:2
pings "$NS1" 10.83.0.2 || fail "ping after mod-flows back to output:2"
ok "mod-flows: actions=drop stops the ping, output:2 brings it back (counters kept)"

# --- add-flows FILE, dump-aggregate, dump-tables, loose del-flows
cat >"$T/flows.txt" <<EOF
table=0,priority=10,udp,tp_dst=5000,actions=drop
table=0,priority=10,udp,tp_dst=5001,actions=drop
table=0,priority=10,tcp,tp_dst=80,actions=drop
EOF
ofctl add-flows "$OF" "$T/flows.txt"
[ "$(nflows)" = 5 ] || fail "add-flows: $(ofctl dump-flows "$OF")"
out=$(ofctl dump-aggregate "$OF")
echo "$out" | grep -q "flow_count=5" || fail "dump-aggregate: $out"
out=$(ofctl dump-tables "$OF")
echo "$out" | grep -A1 "table 0:" | grep -q "active=5" || fail "dump-tables: $out"
ofctl del-flows "$OF" udp
[ "$(nflows)" = 3 ] || fail "del-flows udp (loose): $(ofctl dump-flows "$OF")"
ok "add-flows FILE (3 flows), dump-aggregate flow_count=5, dump-tables active=5, del-flows udp (loose) removed 2"

# --- bundles: all or nothing
cat >"$T/bad2.txt" <<EOF
priority=20,udp,tp_dst=6000,actions=drop
priority=20,udp,tp_dst=6001,actions=group:77
EOF
if out=$(ofctl --bundle add-flows "$OF" "$T/bad2.txt" 2>&1); then
	fail "a bundle with a flow to a missing group was accepted: $out"
fi
[ "$(nflows)" = 3 ] || fail "failed bundle left flows: $(ofctl dump-flows "$OF")"
printf 'priority=20,udp,tp_dst=6000,actions=drop\npriority=20,udp,tp_dst=6001,actions=drop\n' \
	>"$T/good.txt"
ofctl --bundle add-flows "$OF" "$T/good.txt" || fail "good bundle refused"
[ "$(nflows)" = 5 ] || fail "bundle not applied: $(ofctl dump-flows "$OF")"
ofctl del-flows "$OF" udp
ok "--bundle add-flows: a bundle with one bad flow applies nothing, a good one everything"

# --- a dump larger than the connection's 1 MiB output cap arrives whole
python3 -c 'for i in range(30000): print("priority=5,ip,nw_dst=10.200.%d.%d,actions=drop" % (i >> 8, i & 255))' \
	>"$T/many.txt"
ofctl --bundle add-flows "$OF" "$T/many.txt" || fail "30,000 flows in a bundle refused"
ofctl dump-flows "$OF" >"$T/many.dump" || fail "dump-flows of 30,003 flows failed"
n=$(grep -c "cookie=" "$T/many.dump")
[ "$n" = 30003 ] || fail "dump-flows listed $n flows, not 30,003"
sz=$(ofctl dump-flows "$OF" --no-names 2>/dev/null | wc -c)
ofctl del-flows "$OF" ip,nw_dst=10.200.0.0/16
[ "$(nflows)" = 3 ] || fail "del-flows nw_dst=10.200.0.0/16 left $(nflows) flows"
pings "$NS1" 10.83.0.2 || fail "no ping after the large dump"
ok "dump-flows of 30,003 flows (about $((sz / 1024)) KiB as text, over the 1 MiB output cap on the wire) lists them all; the connection's other users go on"

# --- groups and a meter (the only in_port=1 flows)
ofctl del-flows "$OF"
ofctl add-flow "$OF" in_port=2,actions=output:1
no_ping "$NS1" 10.83.0.2 || fail "ping passed without an in_port=1 flow"
ofctl add-group "$OF" group_id=1,type=all,bucket=output:2
ofctl add-flow "$OF" priority=100,in_port=1,actions=group:1
pings "$NS1" 10.83.0.2 || fail "ping through group 1 (all)"
ofctl add-group "$OF" group_id=2,type=select,bucket=weight:1,output:2,bucket=weight:1,output:2
ofctl mod-flows "$OF" priority=100,in_port=1,actions=group:2
pings "$NS1" 10.83.0.2 || fail "ping through group 2 (select)"
g=$(flow_packets "priority=100,in_port=1 actions=group:2")
[ "$g" -ge 2 ] || fail "the group flow counted $g packets"
out=$(ofctl dump-groups "$OF")
echo "$out" | grep -q "group_id=2,type=select" || fail "dump-groups: $out"
# Group counters: each group saw the pings sent to it; a select group's
# buckets share its packets.
gstats=$(ofctl dump-group-stats "$OF")
echo "$gstats" | python3 -c "
import re, sys
g = {}
for line in sys.stdin:
    m = re.search(r'group_id=(\d+),.*?ref_count=(\d+),packet_count=(\d+),byte_count=(\d+)', line)
    if m:
        b = [int(x) for x in re.findall(r'bucket\d+:packet_count=(\d+)', line)]
        g[int(m.group(1))] = (int(m.group(3)), int(m.group(4)), b)
assert set(g) == {1, 2}, g
for gid in (1, 2):
    pk, by, b = g[gid]
    # ARP (42 bytes) goes through the groups too when the neighbour entry
    # has expired; an ICMP echo is 98.
    assert pk >= 1 and by >= 42 * pk and sum(b) == pk, (gid, g[gid])
assert len(g[2][2]) == 2, g
" || fail "dump-group-stats: $gstats"
ok "groups: type=all and type=select used by a flow, ping works, dump-groups lists them, dump-group-stats counts each group's packets and its buckets'"
ofctl add-meter "$OF" meter=1,pktps,band=type=drop,rate=1
ofctl add-flow "$OF" priority=200,icmp,in_port=1,actions=meter:1,output:2
ip netns exec "$NS1" ping -c 20 -i 0.05 -q 10.83.0.2 >"$T/meter.log" 2>&1 || true
recv=$(grep -o '[0-9]* received' "$T/meter.log" | cut -d' ' -f1)
ms=$(grep -o 'time [0-9]*ms' "$T/meter.log" | grep -o '[0-9]*')
# 1 packet/s and a burst of one packet: about one per second of the run, plus the first.
max=$((ms / 1000 + 3))
[ -n "$recv" ] && [ "$recv" -ge 1 ] && [ "$recv" -le "$max" ] \
	|| fail "meter rate=1 pktps: $recv of 20 received in $ms ms: $(cat "$T/meter.log")"
out=$(ofctl meter-stats "$OF")
echo "$out" | grep -q "meter:1 flow_count:1" || fail "meter-stats: $out"
ofctl del-meter "$OF" meter=1
out=$(ofctl dump-flows "$OF")
echo "$out" | grep -q "meter:1" && fail "del-meter left its flow: $out"
ok "meter 1 (drop band 1 pktps): $recv of 20 pings in $ms ms passed; del-meter removed its flow"
ofctl del-flows "$OF"
ofctl del-groups "$OF"

# --- VLAN push/pop and set_field, checked by a tagged receiver
ofctl add-flow "$OF" "in_port=1,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:3"
ofctl add-flow "$OF" "in_port=3,dl_vlan=100,actions=pop_vlan,output:1"
pings "$NS1" 10.83.100.3 || { cat "$T/vlan_host.log"; fail "no ping to the VLAN 100 host"; }
ofctl mod-flows "$OF" "in_port=1,actions=push_vlan:0x8100,set_field:4296->vlan_vid,output:3"
ip -n "$NS1" neigh flush all
no_ping "$NS1" 10.83.100.3 || fail "ping passed with VLAN 200"
ok "push_vlan + set_field vlan_vid=100 out, pop_vlan back: ping the tagged host; VID 200: no answer"
ofctl del-flows "$OF"
mac2=$(ip netns exec "$NS2" cat /sys/class/net/eth0/address)
ofctl add-flow "$OF" "in_port=1,icmp,actions=set_field:02:00:00:00:00:99->eth_dst,output:2"
ofctl add-flow "$OF" "in_port=1,arp,actions=output:2"
ofctl add-flow "$OF" "in_port=2,actions=output:1"
ip netns exec "$NS2" timeout 5 tcpdump -l -n -e -i eth0 -c 1 icmp >"$T/td.log" 2>/dev/null &
td=$!
sleep 1
ip netns exec "$NS1" ping -c 2 -W 1 10.83.0.2 >/dev/null 2>&1 || true
wait "$td" || true
grep -q "> 02:00:00:00:00:99" "$T/td.log" || fail "set_field eth_dst not seen: $(cat "$T/td.log")"
ok "set_field eth_dst=02:00:00:00:00:99: tcpdump in $NS2 sees the rewritten frame"
ofctl del-flows "$OF"

# --- packet-out
ip netns exec "$NS2" timeout 5 tcpdump -l -n -e -i eth0 -c 1 ether proto 0x88b5 \
	>"$T/po.log" 2>/dev/null &
td=$!
sleep 1
ofctl packet-out "$OF" \
	"in_port=controller packet=ffffffffffff02000000aa0188b5696f76732d7061636b65742d6f7574 actions=output:2"
wait "$td" || true
grep -q "02:00:00:00:aa:01 > ff:ff:ff:ff:ff:ff" "$T/po.log" || fail "packet-out not seen: $(cat "$T/po.log")"
ok "packet-out (in_port=controller, output:2): the frame reaches $NS2"

# --- FLOW_REMOVED on idle timeout
ofctl --unixctl="$T/mon.ctl" monitor "$OF" >"$T/mon.log" 2>&1 &
mon=$!
sleep 1
ofctl add-flow "$OF" "priority=7,idle_timeout=1,send_flow_rem,udp,tp_dst=7777,actions=drop"
for i in $(seq 1 20); do grep -q "FLOW_REMOVED" "$T/mon.log" && break; sleep 0.5; done
kill "$mon" 2>/dev/null || true
grep -A1 "FLOW_REMOVED" "$T/mon.log" | grep -q "reason=idle" || fail "no FLOW_REMOVED: $(cat "$T/mon.log")"
[ "$(nflows)" = 0 ] || fail "idle flow still there"
ok "idle_timeout=1,send_flow_rem: the flow expired and FLOW_REMOVED reason=idle reached ovs-ofctl monitor"

# --- ovs-testcontroller: a learning switch through PACKET_IN / PACKET_OUT
ofctl del-flows "$OF" # a controller-run switch starts empty: the learning comes from it
ovs-testcontroller --unixctl="$T/tc.ctl" "ptcp:$CPORT:127.0.0.1" >>"$T/tc.log" 2>&1 &
ctl controller set br0 "tcp:127.0.0.1:$CPORT" --listen "127.0.0.1:$PORT" --fail-mode secure \
	>/dev/null || fail "controller set"
for i in $(seq 1 50); do
	ctl controller show br0 2>/dev/null | grep -q " up" && break
	sleep 0.2
done
ip -n "$NS1" neigh flush all
ip -n "$NS2" neigh flush all
pings "$NS1" 10.83.0.2 || { cat "$T/tc.log"; fail "no ping with ovs-testcontroller"; }
ip netns exec "$NS1" ping -c 3 -i 0.2 -q 10.83.0.2 >/dev/null || fail "ping with ovs-testcontroller lost packets"
pin=$(flow_packets "actions=CONTROLLER")
[ -n "$pin" ] && [ "$pin" -ge 1 ] || fail "no packet went to the controller: $(ofctl dump-flows "$OF")"
ok "ovs-testcontroller (active controller): ping works with no flows added by hand ($pin packet-ins, $(nflows) flows installed by it)"

# --- every packet through the controller (ovs-testcontroller --noflow): the
# PMD wakes the OpenFlow thread for each packet-in (no waiting for a tick).
kill "$(cat "$T/tc.pid" 2>/dev/null || pgrep -f "ovs-testcontroller --unixctl=$T/tc.ctl")" 2>/dev/null
ofctl del-flows "$OF"
ovs-testcontroller --noflow --unixctl="$T/tcn.ctl" "ptcp:$CPORT:127.0.0.1" >>"$T/tc.log" 2>&1 &
for i in $(seq 1 100); do
	ctl --json controller show br0 2>/dev/null | grep -q '"connected": true' && break
	sleep 0.1
done
ip -n "$NS1" neigh flush all
ip -n "$NS2" neigh flush all
pings "$NS1" 10.83.0.2 || { cat "$T/tc.log"; fail "no ping with ovs-testcontroller --noflow"; }
rtt=$(ip netns exec "$NS1" ping -c 10 -i 0.1 -q 10.83.0.2) || fail "ping via packet-in/packet-out lost packets: $rtt"
pin2=$(flow_packets "actions=CONTROLLER")
[ -n "$pin2" ] && [ "$pin2" -ge 20 ] || fail "not every packet went to the controller ($pin2): $(ofctl dump-flows "$OF")"
ok "ovs-testcontroller --noflow: 10/10 pings, each packet a packet-in and a packet-out ($pin2 packet-ins; rtt min/avg/max/mdev ${rtt##*= })"

iovsd_stop "$RUN"
ok "iovsd stopped cleanly"

# --- tshark (Wireshark's OpenFlow dissector) decodes everything both ways
sleep 0.5
kill -INT "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null || true
if command -v tshark >/dev/null; then
	# ovs-ofctl's 30,000 BUNDLE_ADDs come in segments of hundreds of messages:
	# more than Wireshark's default tree depth, whose assertion it then
	# reports as a dissector bug in the client's frames.
	dec=(-r "$T/of.pcap" -d "tcp.port==$PORT,openflow" -d "tcp.port==$CPORT,openflow"
		-o gui.max_tree_depth:10000)
	n_of=$(tshark "${dec[@]}" -Y openflow_v4 2>/dev/null | wc -l)
	# An OFPT_ERROR quotes the first 64 bytes of the request (§7.4.4): Wireshark
	# calls the cut quote malformed, so those frames are listed, not judged.
	bad=$(tshark "${dec[@]}" -Y '(_ws.malformed || _ws.expert.severity >= error) && openflow_v4.type != 1' \
		-T fields -e frame.number -e _ws.col.Info 2>/dev/null)
	# OFPT_ERRORs: only the ones this test provokes (the bad bundle).
	errs=$(tshark "${dec[@]}" -Y 'openflow_v4.type == 1' -T fields -e openflow_v4.error.type \
		-e openflow_v4.error.code 2>/dev/null | sort | uniq -c | tr -s ' \t\n' ' ')
	types=$(tshark "${dec[@]}" -Y openflow_v4 -T fields -e openflow_v4.type 2>/dev/null \
		| tr ',' '\n' | sort -un | tr '\n' ' ')
	[ "$n_of" -ge 100 ] || fail "tshark decoded only $n_of OpenFlow 1.3 frames"
	[ -z "$bad" ] || fail "tshark: malformed frames or dissector errors: $bad"
	echo "# OFPT_ERROR (count type code): $errs"
	ok "tshark: $n_of frames of OpenFlow 1.3 decoded, none malformed; message types seen: $types"
else
	echo "# tshark missing (Debian package tshark): the capture was not decoded"
fi
