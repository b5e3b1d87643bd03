#!/usr/bin/env bash
# Kernel hosts in network namespaces ping each other through iovsd's learning
# bridge (af_packet ports on veth pairs: no kernel bridge anywhere). Covers:
# untagged forwarding and MAC learning, VLAN access ↔ trunk with isolation,
# a port removed and re-added under traffic while another pair keeps pinging,
# bad control requests refused with nothing changed, and a restart that
# restores ports added at run time.
. "$(dirname "$0")/lib.sh"
need_root_and_netns

RUN=$T/run
mkdir -p "$RUN"
# Hosts: ns1/ns2 on the untagged LAN; ns3 a trunk host with VLANs 100 and 200;
# ns4 on VLAN 100 and ns5 on VLAN 200 through access ports, same IP subnet as
# ns3's VLAN 100 so that only the VLANs keep ns5 apart.
host iovs-ns1 10.77.0.1/24
host iovs-ns2 10.77.0.2/24
host iovs-ns3 ""
# ns3 is a trunk host: tagged 100 and 200. This kernel may lack 802.1Q, so a user
# space host answers ARP/ping only when the tag is exactly right (vlan_host.py).
ip netns exec iovs-ns3 python3 "$(dirname "$0")/vlan_host.py" --iface eth0 \
	--addr 100=10.77.100.3 --addr 200=10.77.200.3 --seconds 300 >"$T/vlan_host.log" 2>&1 &
host iovs-ns4 10.77.100.4/24
host iovs-ns5 10.77.100.5/24

cat >"$RUN/iovsd.json" <<'JSON'
{ "version": 1,
  "bridges": [ { "name": "br0", "mac_aging_s": 120, "ports": [
    { "name": "p1", "type": "af_packet", "iface": "iv-iovs-ns1" },
    { "name": "p2", "type": "af_packet", "iface": "iv-iovs-ns2" },
    { "name": "t3", "type": "af_packet", "iface": "iv-iovs-ns3",
      "vlan_mode": "trunk", "trunks": "100,200" } ] } ] }
JSON
iovsd_start "$RUN"
ok "iovsd started with 3 ports from $RUN/iovsd.json"

# --- untagged LAN, learning
pings iovs-ns1 10.77.0.2 || fail "ns1 cannot ping ns2 through iovsd"
ok "ns1 pings ns2 (untagged, af_packet ports)"
[ "$(port_counter p2 tx_packets)" -gt 0 ] || fail "p2 transmitted nothing: not iovsd's forwarding?"
[ "$(port_counter p1 rx_packets)" -gt 0 ] || fail "p1 received nothing"
ok "the pings were counted by iovsd (p1 rx, p2 tx)"
mac1=$(ip -n iovs-ns1 -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ctl fdb show br0 | grep -i "$mac1" | grep -qw p1 || { ctl fdb show br0; fail "ns1's MAC $mac1 not learned on p1"; }
ok "fdb show: ns1's MAC learned on p1, VLAN 0"

# --- VLANs: access ports added at run time (persisted), trunk tagged
ctl port add br0 a4 af_packet --iface iv-iovs-ns4 --access 100
ctl port add br0 a5 af_packet --iface iv-iovs-ns5 --access 200
ok "added access ports a4 (VLAN 100) and a5 (VLAN 200) at run time"
pings iovs-ns4 10.77.100.3 || fail "ns4 (access 100) cannot reach ns3's eth0.100 over the trunk"
ok "access VLAN 100 ↔ trunk tagged 100"
no_ping iovs-ns5 10.77.100.3 || fail "ns5 on VLAN 200 reached VLAN 100"
no_ping iovs-ns5 10.77.100.4 || fail "ns5 on VLAN 200 reached ns4 on VLAN 100"
ok "VLAN 200 is isolated from VLAN 100 (same IP subnet)"
ip -n iovs-ns5 addr flush dev eth0; ip -n iovs-ns5 addr add 10.77.200.5/24 dev eth0
pings iovs-ns5 10.77.200.3 || fail "ns5 (access 200) cannot reach ns3's eth0.200"
ok "access VLAN 200 ↔ trunk tagged 200"
# Tagged frames on an access port are dropped and counted with reason "vlan".
ip netns exec iovs-ns1 python3 "$(dirname "$0")/vlan_host.py" --iface eth0 --send-tagged 300 --count 5
sleep 0.5
drops=$(ctl --json port stats p1 | python3 -c "import json,sys; print(json.load(sys.stdin)['ports'][0]['drops']['vlan'])")
[ "$drops" -gt 0 ] || fail "tagged frames on access port p1 were not counted as vlan drops"
ok "tagged frames on access port p1 dropped, counted: drops.vlan=$drops"

# --- a port removed and re-added under traffic; another pair is not disturbed
ip netns exec iovs-ns4 ping -i 0.1 -c 60 -W 2 10.77.100.3 >"$T/steady.txt" 2>&1 &
steady=$!
sleep 1
ctl port del p2
ok "p2 removed"
no_ping iovs-ns1 10.77.0.2 || fail "ns1 still reaches ns2 with p2 removed"
ok "ns2 unreachable while p2 is removed"
ctl port add br0 p2 af_packet --iface iv-iovs-ns2
pings iovs-ns1 10.77.0.2 || fail "ns1 cannot ping ns2 after p2 was re-added"
ok "p2 re-added: ns1 pings ns2 again"
wait "$steady" || true
loss=$(grep -o '[0-9.]*% packet loss' "$T/steady.txt" | cut -d% -f1)
[ "$loss" = 0 ] || { cat "$T/steady.txt"; fail "ns4↔ns3 lost $loss% while p2 was removed and re-added"; }
ok "ns4 ↔ ns3 lost 0 of 60 pings during the removal and re-add"

# --- bad input: clear errors, nothing changes, iovsd keeps running
before=$(ctl --json port list | python3 -c "import json,sys; print(sorted(p['name'] for p in json.load(sys.stdin)['ports']))")
conf_before=$(md5sum <"$RUN/iovsd.json")
ctl_fails "no bridge named br9" port add br9 x1 null
ctl_fails "already exists" port add br0 p1 null
ctl_fails "queues.*out of range" port add br0 x2 null --queues 99
ctl_fails "cannot open device|not a network port|invalid" port add br0 x3 dpdk --devargs net_nosuchdriver0
ctl_fails "iface" port add br0 x4 af_packet --iface "bad name"
ctl_fails "no such|cannot open" port add br0 x5 af_packet --iface iv-nonexistent
ctl_fails "no port named" port del nosuchport
ctl_fails "trunk|vlan" port add br0 x6 null --trunk 5000
reply=$(printf '{"cmd":"port.add","args":{"bridge":"br0","port":{"name":"x7","type":"null","quues":2}}}\n{"cmd":\n' \
	| python3 -c "
import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect('$RUN/iovsd.sock'); s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR); print(s.makefile().read())")
echo "$reply" | grep -q 'unknown key \\"quues\\"' || fail "raw request with a typo: $reply"
echo "$reply" | grep -q 'not JSON' || fail "raw malformed JSON: $reply"
ok "raw socket: a typo'd key and malformed JSON get errors naming the problem"
after=$(ctl --json port list | python3 -c "import json,sys; print(sorted(p['name'] for p in json.load(sys.stdin)['ports']))")
[ "$before" = "$after" ] || fail "ports changed after refused requests: $before → $after"
[ "$conf_before" = "$(md5sum <"$RUN/iovsd.json")" ] || fail "config file changed after refused requests"
pings iovs-ns1 10.77.0.2 || fail "forwarding broken after bad requests"
ok "after 10 bad requests: same ports, same config file, still forwarding"

# --- restart: runtime ports come back from the persisted configuration
iovsd_stop "$RUN" || fail "iovsd did not exit 0 on SIGTERM"
ok "SIGTERM: iovsd exited 0"
grep -q '"a4"' "$RUN/iovsd.json" && grep -q '"a5"' "$RUN/iovsd.json" || fail "runtime ports not persisted"
iovsd_start "$RUN"
ctl port list | grep -qw a4 || fail "a4 not restored"
pings iovs-ns4 10.77.100.3 || fail "VLAN 100 broken after restart"
pings iovs-ns1 10.77.0.2 || fail "untagged LAN broken after restart"
ok "restart: a4/a5 restored from the config file, VLAN and untagged pings work"

# --- a corrupt config file is refused, named, and left untouched
BAD=$T/bad
mkdir -p "$BAD"
printf '{ "version": 1,\n  "bridges": [ { "name": "br0", }\n' >"$BAD/iovsd.json"
sum=$(md5sum <"$BAD/iovsd.json")
if "$IOVSD" --run-dir "$BAD" >"$T/bad.log" 2>&1; then fail "iovsd started with a corrupt config"; fi
grep -q "$BAD/iovsd.json:2:" "$T/bad.log" || { cat "$T/bad.log"; fail "error does not name file and line"; }
[ "$sum" = "$(md5sum <"$BAD/iovsd.json")" ] || fail "corrupt config was modified"
ok "corrupt config refused: $(grep -o "$BAD/iovsd.json:2:.*" "$T/bad.log" | head -1)"

echo "$CHECKS checks passed"
