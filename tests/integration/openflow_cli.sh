#!/usr/bin/env bash
# iovsctl's flow commands against iovsd, with traffic between network
# namespaces and ovs-ofctl -O OpenFlow13 as the controller's view: flows added
# with 'iovsctl flow add' forward pings at once and show in ovs-ofctl
# dump-flows (udp set-fields as udp_dst); a flow added by ovs-ofctl shows in
# 'iovsctl flow dump' with its counters rising; flow mod and flow del (strict
# and loose) act on both sides; a delete sends FLOW_REMOVED (ovs-ofctl
# monitor); 'iovsctl ofl trace' names the table, the flow and the output or
# the drop, and counts nothing; garbage is refused with the word at fault while
# iovsd stays up and the flows stay; a bridge without OpenFlow is refused;
# CLI flows are not persisted (gone after a restart).
. "$(dirname "$0")/lib.sh"
need_root_and_netns
command -v ovs-ofctl >/dev/null || skip "ovs-ofctl missing (Debian package openvswitch-common)"

RUN=$T/run
mkdir -p "$RUN"
id=$(($$ % 10000))
PORT=$((20653 + $$ % 1000))
NS1=cli$id-a
NS2=cli$id-b
host "$NS1" 10.86.0.1/24
host "$NS2" 10.86.0.2/24
OF=tcp:127.0.0.1:$PORT
ofctl() { ovs-ofctl -O OpenFlow13 "$@"; }
nflows() { ctl flow dump br0 | grep -c "^table=" || true; }
# cli_packets PATTERN: n_packets of the one flow of 'iovsctl flow dump' matching PATTERN.
cli_packets() { ctl flow dump br0 | grep -E -- "$1" | grep -o 'n_packets=[0-9]*' | cut -d= -f2; }

cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "p1", "type": "af_packet", "iface": "iv-$NS1", "ofport": 1 },
    { "name": "p2", "type": "af_packet", "iface": "iv-$NS2", "ofport": 2 } ],
    "openflow": { "listen": "127.0.0.1:$PORT", "fail_mode": "secure" } },
    { "name": "br1", "ports": [] } ] }
JSON
iovsd_start "$RUN"
ok "iovsd started: br0 with OpenFlow on 127.0.0.1:$PORT (fail_mode secure), br1 without"

# --- an empty table: no flows, no ping
out=$(ctl flow dump br0)
[ "$out" = "no flows" ] || fail "flow dump of an empty table: $out"
no_ping "$NS1" 10.86.0.2 || fail "ping passed with an empty table"
ok "empty table: 'flow dump' says no flows, ping fails"

# --- flow add: the first ping passes (iovsctl returns once every PMD sees it)
ctl flow add br0 "in_port=1,actions=output:2" || fail "flow add in_port=1"
ctl flow add br0 "in_port=2 actions=output:1" || fail "flow add in_port=2"
ip netns exec "$NS1" ping -c 1 -W 2 10.86.0.2 >/dev/null || fail "first ping after flow add lost"
ip netns exec "$NS1" ping -c 3 -i 0.2 -q 10.86.0.2 >/dev/null || fail "ping 1→2"
out=$(ofctl dump-flows "$OF")
echo "$out" | grep -q "in_port=1 actions=output:2" || fail "ovs-ofctl does not see in_port=1: $out"
echo "$out" | grep -q "in_port=2 actions=output:1" || fail "ovs-ofctl does not see in_port=2: $out"
n=$(cli_packets "in_port=1 actions=output:2")
[ "${n:-0}" -ge 4 ] || fail "flow in_port=1 counted ${n:-none} packets: $(ctl flow dump br0)"
ok "iovsctl flow add in_port=1→2, 2→1: the first ping passes, ovs-ofctl dump-flows shows both, n_packets=$n"

# --- the pipeline's counters: the empty table's misses are drops by reason
miss=$(ctl --json controller show br0 | python3 -c "
import json, sys
p = json.load(sys.stdin)['pipeline']
t0 = [t for t in p['tables'] if t['table'] == 0][0]
assert t0['matched'] >= 4 and t0['lookups'] - t0['matched'] == p['drops']['table_miss'], p
print(p['drops']['table_miss'])") || fail "controller show: no or inconsistent pipeline counters"
[ "$miss" -ge 2 ] || fail "controller show: table_miss=$miss after the pings into the empty table"
ctl controller show br0 | grep -q "^pipeline: [0-9]* packet-ins, [0-9]* packet-outs, $miss drops: table_miss=$miss" \
	|| fail "controller show (text) lacks the table_miss drops: $(ctl controller show br0 | tr '\n' '|')"
ok "controller show: table 0 lookups - matched = $miss = drops table_miss (the empty table's pings)"

# --- a flow from ovs-ofctl: iovsctl dumps it, its counters rise
ofctl add-flow "$OF" "priority=40000,cookie=0x77,icmp,actions=drop"
out=$(ctl flow dump br0)
echo "$out" | grep -q "^table=0 priority=40000 cookie=0x77 .* icmp actions=drop$" \
	|| fail "iovsctl does not show the ovs-ofctl flow: $out"
echo "$out" | head -n 1 | grep -q "priority=40000" || fail "not ordered by priority: $out"
no_ping "$NS1" 10.86.0.2 || fail "ping passed the drop flow"
d1=$(cli_packets "priority=40000")
ip netns exec "$NS1" ping -c 2 -W 1 10.86.0.2 >/dev/null 2>&1 || true
d2=$(cli_packets "priority=40000")
[ "$d1" -ge 2 ] && [ "$d2" -gt "$d1" ] || fail "the drop flow's counter: $d1 then $d2"
ok "ovs-ofctl add-flow priority=40000,icmp,actions=drop: iovsctl flow dump lists it first, n_packets $d1 → $d2"

# --- trace: table, flow, output or drop; nothing counted (the icmp flow sees no
# other traffic: its counter must not move)
before=$(cli_packets "priority=40000")
out=$(ctl ofl trace br0 "in_port=1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,icmp,nw_src=10.86.0.1,nw_dst=10.86.0.2,icmp_type=8")
echo "$out" | grep -q "^table 0: priority=40000 cookie=0x77 icmp$" || fail "trace (icmp): $out"
echo "$out" | grep -q "drop: no output" || fail "trace (icmp) has no drop reason: $out"
echo "$out" | grep -q "^result: drop: no output$" || fail "trace (icmp) verdict: $out"
out=$(ctl ofl trace br0 "in_port=1,udp,nw_src=10.86.0.1,nw_dst=10.86.0.2,tp_dst=53")
echo "$out" | grep -q "^table 0: priority=32768 cookie=0x0 in_port=1$" || fail "trace (udp): $out"
echo "$out" | grep -q "^ *output:2 (p2)$" || fail "trace (udp) output: $out"
echo "$out" | grep -q "^result: output:2 (p2)$" || fail "trace (udp) verdict: $out"
out=$(ctl ofl trace br0 "in_port=9,arp")
echo "$out" | grep -q "in_port 9 is not a port of br0" || fail "trace (in_port 9): $out"
echo "$out" | grep -q "^result: drop: table miss$" || fail "trace (miss): $out"
after=$(cli_packets "priority=40000")
[ "$before" = "$after" ] || fail "a trace counted: n_packets $before → $after"
ok "ofl trace: icmp → table 0 priority=40000 cookie=0x77, drop: no output; udp → in_port=1 flow, output:2 (p2); in_port 9 → table miss; no counter moved"

# --- flow del --strict: only that flow
ctl flow del --strict br0 "priority=40000,icmp" || fail "flow del --strict"
[ "$(nflows)" = 2 ] || fail "flow del --strict: $(ctl flow dump br0)"
ofctl dump-flows "$OF" | grep -q "icmp" && fail "ovs-ofctl still sees the icmp flow"
pings "$NS1" 10.86.0.2 || fail "no ping after flow del --strict"
ok "iovsctl flow del --strict priority=40000,icmp: gone for ovs-ofctl too, ping back"

# --- flow mod
ctl flow mod br0 "in_port=1,actions=drop" || fail "flow mod"
no_ping "$NS1" 10.86.0.2 || fail "ping passed after flow mod actions=drop"
ofctl dump-flows "$OF" | grep -q "in_port=1 actions=drop" || fail "ovs-ofctl: $(ofctl dump-flows "$OF")"
ctl flow mod --strict br0 "priority=32768,in_port=1,actions=output:2" || fail "flow mod --strict"
pings "$NS1" 10.86.0.2 || fail "no ping after flow mod back"
ok "iovsctl flow mod in_port=1 actions=drop stops the ping; mod --strict back to output:2 restores it"

# --- udp set_field: ovs-ofctl sees udp_dst (not tcp_dst)
ctl flow add br0 "priority=50,udp,tp_dst=9999,actions=set_field:7777->udp_dst,output:2" \
	|| fail "flow add set_field udp_dst"
out=$(ofctl dump-flows "$OF")
echo "$out" | grep -q "priority=50,udp,tp_dst=9999 actions=set_field:7777->udp_dst,output:2" \
	|| fail "ovs-ofctl dump-flows: $out"
ctl flow dump br0 | grep -q "udp,tp_dst=9999 actions=set_field:7777->udp_dst,output:2" \
	|| fail "iovsctl flow dump: $(ctl flow dump br0)"
ok "flow add udp set_field: both dumps show set_field:7777->udp_dst"

# --- FLOW_REMOVED for a CLI delete
ofctl --unixctl="$T/mon.ctl" monitor "$OF" >"$T/mon.log" 2>&1 &
mon=$!
sleep 1
ctl flow add br0 "priority=60,send_flow_rem,cookie=0x99,udp,tp_dst=6000,actions=drop" \
	|| fail "flow add send_flow_rem"
ctl flow del br0 "cookie=0x99/-1" || fail "flow del by cookie"
for _ in $(seq 1 20); do grep -q "FLOW_REMOVED" "$T/mon.log" && break; sleep 0.25; done
kill "$mon" 2>/dev/null || true
grep -A1 "FLOW_REMOVED" "$T/mon.log" | grep -q "reason=delete" \
	|| fail "no FLOW_REMOVED: $(cat "$T/mon.log")"
ok "iovsctl flow del cookie=0x99/-1 of a send_flow_rem flow: ovs-ofctl monitor sees FLOW_REMOVED reason=delete"

# --- garbage: refused, saying why; iovsd up, flows and ping unchanged
n=$(nflows)
ctl_fails "nw_dst=10.0.0.300: not an IPv4 address" flow add br0 "ip,nw_dst=10.0.0.300,actions=drop"
ctl_fails "tp_dst=53: needs tcp, udp or sctp" flow add br0 "tp_dst=53,actions=drop"
ctl_fails "frob: unknown action" flow add br0 "actions=frob"
ctl_fails "priority=70000: out of range" flow add br0 "priority=70000,actions=drop"
ctl_fails "no action|needs actions=" flow add br0 "in_port=1"
ctl_fails "BAD_OUT_GROUP: a group the actions use does not exist" flow add br0 "actions=group:9"
ctl_fails "tables 0..15" flow add br0 "table=20,actions=drop"
ctl_fails "takes no actions" flow del br0 "in_port=1,actions=drop"
ctl_fails "byte 0x01" flow add br0 "$(printf 'in_port=1\001,actions=drop')"
if out=$(ctl flow add br0 "$(head -c 9000 /dev/zero | tr '\0' 'a')" 2>&1); then
	fail "a flow text of 9000 bytes was accepted"
fi
echo "$out" | grep -q "text longer than 8192 bytes" || fail "overlong text: ${out:0:200}"
ok "refused: a flow text of 9000 bytes → ${out:0:80}"
ctl_fails "a packet needs in_port" ofl trace br0 "ip,nw_dst=10.0.0.1"
ctl_fails "has no OpenFlow: enable it" flow add br1 "actions=drop"
ctl_fails "no bridge named br9" flow dump br9
ctl_fails "quote it|unexpected argument" flow add br0 ip actions=drop
[ "$(nflows)" = "$n" ] || fail "refusals changed the flows: $(ctl flow dump br0)"
ctl show >/dev/null || fail "iovsd does not answer after the refusals"
pings "$NS1" 10.86.0.2 || fail "no ping after the refusals"
ok "garbage refused with the word at fault; iovsd up, still $n flows, ping works"

# --- not persisted: the configuration has no flows, a restart has none
grep -q "actions" "$RUN/iovsd.json" && fail "a CLI flow was persisted"
iovsd_stop "$RUN"
iovsd_start "$RUN"
[ "$(ctl flow dump br0)" = "no flows" ] || fail "flows after a restart: $(ctl flow dump br0)"
ok "CLI flows are not persisted: after a restart the table is empty (fail_mode secure)"

ctl flow add br0 "actions=normal" || fail "flow add actions=normal"
pings "$NS1" 10.86.0.2 || fail "no ping through NORMAL"
ctl flow del br0 || fail "flow del (all)"
[ "$(nflows)" = 0 ] || fail "flow del (all): $(ctl flow dump br0)"
ok "actions=normal forwards (the learning bridge); flow del without a match removes everything"

iovsd_stop "$RUN"
ok "iovsd stopped cleanly"
