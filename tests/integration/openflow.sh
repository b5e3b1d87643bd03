#!/usr/bin/env bash
# iovsd's OpenFlow agent against real clients from Debian's openvswitch
# packages: ovs-ofctl -O OpenFlow13 show / dump-ports-desc / dump-ports (after a
# ping between two namespaces, counters equal to iovsctl's) / dump-tables /
# probe / ping; raw messages from python3 (garbage and bad lengths answered
# with OFPT_ERROR on a connection that stays usable, a length under 8 closing
# it, a non-1.3 HELLO refused); the listener on 127.0.0.1 only; an active
# connection to ovs-testcontroller that comes back after the controller
# restarts; controller set/show through iovsctl, persisted; OpenFlow port
# numbers stable across a restart.
. "$(dirname "$0")/lib.sh"
need_root_and_netns
command -v ovs-ofctl >/dev/null || skip "ovs-ofctl missing (Debian package openvswitch-common)"
command -v ovs-testcontroller >/dev/null \
	|| skip "ovs-testcontroller missing (Debian package openvswitch-testcontroller)"
command -v ss >/dev/null || skip "ss missing (iproute2)"

RUN=$T/run
mkdir -p "$RUN"
# Per-run names and ports: several runs may share the machine.
id=$(($$ % 10000))
PORT=$((16653 + $$ % 1000))
CPORT=$((PORT + 1000))
NS1=iof$id-a
NS2=iof$id-b
host "$NS1" 10.81.0.1/24
host "$NS2" 10.81.0.2/24
OF=tcp:127.0.0.1:$PORT
ofctl() { ovs-ofctl -O OpenFlow13 "$@"; }

cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "p1", "type": "af_packet", "iface": "iv-$NS1" },
    { "name": "p2", "type": "af_packet", "iface": "iv-$NS2", "ofport": 7 } ],
    "openflow": { "listen": "127.0.0.1:$PORT", "datapath_id": "0000000000c0ffee",
      "fail_mode": "standalone" } } ] }
JSON
iovsd_start "$RUN"
ok "iovsd started with OpenFlow on 127.0.0.1:$PORT"

# --- the listener: loopback only
ss -ltn | grep -q "127.0.0.1:$PORT " || { ss -ltn; fail "no listener on 127.0.0.1:$PORT"; }
if ss -ltn | grep -E "(0\.0\.0\.0|\*|\[::\]):$PORT " >/dev/null; then fail "listener not on loopback only"; fi
ok "ss -ltn: listening on 127.0.0.1:$PORT only"

# --- show and dump-ports-desc
out=$(ofctl show "$OF") || fail "ovs-ofctl show: $out"
echo "$out" | grep -q "dpid:0000000000c0ffee" || fail "show: wrong datapath id: $out"
echo "$out" | grep -q "capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS" \
	|| fail "show: capabilities: $out"
echo "$out" | grep -q " 1(p1): addr:" || fail "show: port 1(p1) missing: $out"
echo "$out" | grep -q " 7(p2): addr:" || fail "show: port 7(p2) (ofport from the config) missing: $out"
ok "ovs-ofctl show: dpid 0000000000c0ffee, ports 1(p1) and 7(p2)"
mac1=$(cat "/sys/class/net/iv-$NS1/address")
out=$(ofctl dump-ports-desc "$OF") || fail "dump-ports-desc: $out"
[ "$(echo "$out" | grep -c '^ [0-9]*(p[12]): addr:')" = 2 ] || fail "dump-ports-desc: $out"
echo "$out" | grep -A3 " 1(p1)" | grep -q "state: *LIVE" || fail "dump-ports-desc: p1 not LIVE: $out"
ok "dump-ports-desc: both ports, LIVE"

# --- counters after a ping equal iovsctl's
pings "$NS1" 10.81.0.2 || fail "$NS1 cannot ping $NS2 through iovsd"
ip netns exec "$NS1" ping -c 5 -i 0.2 -q 10.81.0.2 >/dev/null || fail "ping lost packets"
match=""
for i in 1 2 3 4 5; do
	sleep 1.5 # the agent's port snapshot is refreshed once a second
	of=$(ofctl dump-ports "$OF" 1 | grep -o 'rx pkts=[0-9]*' | cut -d= -f2)
	oftx=$(ofctl dump-ports "$OF" 7 | grep -A1 'port  7' | grep -o 'tx pkts=[0-9]*' | cut -d= -f2)
	ctlrx=$(port_counter p1 rx_packets)
	ctltx=$(port_counter p2 tx_packets)
	if [ "$of" = "$ctlrx" ] && [ "$oftx" = "$ctltx" ]; then match=1; break; fi
done
[ -n "$match" ] || fail "dump-ports p1 rx=$of p2 tx=$oftx, iovsctl p1 rx=$ctlrx p2 tx=$ctltx"
[ "$of" -ge 6 ] || fail "p1 received only $of packets"
ok "dump-ports after a ping: p1 rx=$of, p2 tx=$oftx, the same as iovsctl port stats"

out=$(ofctl dump-tables "$OF") || fail "dump-tables: $out"
# Table 0 holds the standalone NORMAL flow (active=1): it differs from the rest.
echo "$out" | grep -q "table 0:" && echo "$out" | grep -A1 "table 0:" | grep -q "active=1" \
	&& echo "$out" | grep -q "tables 2...15: ditto" || fail "dump-tables: $out"
ok "dump-tables: 16 tables, table 0 with the default NORMAL flow"
ofctl probe "$OF" || fail "ovs-ofctl probe"
out=$(ofctl ping "$OF" 64 2>&1) || fail "ovs-ofctl ping: $out"
[ "$(echo "$out" | grep -c 'bytes from')" -ge 5 ] || fail "ovs-ofctl ping: $out"
ok "ovs-ofctl probe and ping (echo with 64 bytes of payload)"

# --- raw messages: refusals keep the connection; a length under 8 closes it
python3 - "$PORT" "$IOVSCTL" "$RUN" >"$T/raw.log" 2>&1 <<'PY' || { cat "$T/raw.log"; fail "raw OpenFlow checks"; }
import json, socket, struct, subprocess, sys
port, iovsctl, run = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def conn(version=4):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    h = recv(s)
    assert h[1] == 0 and h[0] == 4, "our HELLO first: %r" % h
    s.sendall(struct.pack("!BBHI", version, 0, 8, 1))
    return s

def recv(s):
    b = b""
    while len(b) < 8:
        c = s.recv(8 - len(b))
        if not c:
            return None
        b += c
    n = struct.unpack("!H", b[2:4])[0]
    while len(b) < n:
        c = s.recv(n - len(b))
        assert c, "closed mid-message"
        b += c
    return b

def error_of(m):
    assert m[1] == 1, "expected OFPT_ERROR, got type %d" % m[1]
    return struct.unpack("!HH", m[8:12])

def echo_ok(s, xid):
    s.sendall(struct.pack("!BBHI", 4, 2, 8, xid))
    m = recv(s)
    assert m[1] == 3 and struct.unpack("!I", m[4:8])[0] == xid, "echo reply %r" % m

s = conn()
s.sendall(struct.pack("!BBHI", 4, 200, 8, 10) )           # unknown type
assert error_of(recv(s)) == (1, 1), "BAD_REQUEST/BAD_TYPE"
s.sendall(struct.pack("!BBHI", 4, 5, 16, 11) + b"\0" * 8)  # FEATURES_REQUEST too long
assert error_of(recv(s)) == (1, 6), "BAD_REQUEST/BAD_LEN"
s.sendall(struct.pack("!BBHI", 4, 18, 16, 12) + struct.pack("!HH4x", 1, 0))  # FLOW stats, no body
assert error_of(recv(s)) == (1, 6), "short multipart: BAD_LEN"
s.sendall(struct.pack("!BBHI", 4, 18, 16, 13) + struct.pack("!HH4x", 5, 0))  # QUEUE stats
assert error_of(recv(s)) == (1, 2), "BAD_REQUEST/BAD_MULTIPART"
s.sendall(bytes([4, 14, 0, 56]) + b"\xde\xad\xbe\xef" + b"\xff" * 48)  # garbage FLOW_MOD
error_of(recv(s))
echo_ok(s, 14)
print("refusals answered, connection usable")
# While this connection is up, iovsctl shows it.
out = json.loads(subprocess.check_output([iovsctl, "--run-dir", run, "--json", "controller", "show", "br0"]))
c = [x for x in out["connections"] if x["kind"] == "passive" and x["state"] == "up"]
assert c and c[0]["version"] == "1.3" and c[0]["errors_sent"] >= 5, out
print("controller show:", c[0])
s.sendall(struct.pack("!BBHI", 4, 2, 4, 15))               # length 4 < 8
assert error_of(recv(s)) == (1, 6)
assert recv(s) is None, "still open after a length under 8"
print("length under 8: error, closed")

# A HELLO of version 1.0 only (no bitmap): HELLO_FAILED/INCOMPATIBLE, closed.
s = socket.create_connection(("127.0.0.1", port), timeout=5)
recv(s)
s.sendall(struct.pack("!BBHI", 1, 0, 8, 99))
assert error_of(recv(s)) == (0, 0), "HELLO_FAILED/INCOMPATIBLE"
assert recv(s) is None
# A bitmap with 1.0 and 1.4 but not 1.3: refused too.
s = socket.create_connection(("127.0.0.1", port), timeout=5)
recv(s)
s.sendall(struct.pack("!BBHIHHI", 5, 0, 16, 98, 1, 8, (1 << 1) | (1 << 5)))
assert error_of(recv(s)) == (0, 0)
assert recv(s) is None
print("non-1.3 hellos refused")
PY
grep -q "connection usable" "$T/raw.log" && grep -q "non-1.3 hellos refused" "$T/raw.log" \
	|| { cat "$T/raw.log"; fail "raw checks incomplete"; }
ok "python3: unknown type, bad lengths, unsupported multipart and a garbage FLOW_MOD get OFPT_ERROR; echo still answered"
ok "python3: a length under 8 closes after BAD_LEN; HELLO 1.0 and a bitmap without 1.3 get HELLO_FAILED"
if out=$(ovs-ofctl -O OpenFlow10 show "$OF" 2>&1); then fail "an OpenFlow 1.0 client was served: $out"; fi
echo "$out" | grep -q "version negotiation failed" || fail "ovs-ofctl 1.0: $out"
ok "ovs-ofctl -O OpenFlow10: version negotiation failed"
ofctl show "$OF" >/dev/null || fail "agent unusable after the bad clients"
ok "the agent still serves ovs-ofctl"

# --- an active controller: ovs-testcontroller, restarted
conn_state() { # conn_state FIELD: of the first active connection
	ctl --json controller show br0 | python3 -c "
import json,sys
c=[x for x in json.load(sys.stdin)['connections'] if x['kind']=='active']
print(c[0]['$1'] if c else '')"
}
wait_state() { # wait_state STATE SECONDS
	local i
	for i in $(seq 1 $(($2 * 5))); do
		[ "$(conn_state state)" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
start_tc() {
	ovs-testcontroller --unixctl="$T/tc.ctl" "ptcp:$CPORT:127.0.0.1" >>"$T/tc.log" 2>&1 &
	TC=$!
}
start_tc
ctl controller set br0 "tcp:127.0.0.1:$CPORT"
wait_state up 10 || { ctl controller show br0; fail "no session with ovs-testcontroller"; }
[ "$(conn_state version)" = 1.3 ] || fail "active connection not 1.3"
ok "controller set: active connection to ovs-testcontroller up (OpenFlow 1.3)"
grep -q "tcp:127.0.0.1:$CPORT" "$RUN/iovsd.json" || fail "controller not persisted"
ok "controller persisted in iovsd.json"
kill "$TC"; wait "$TC" 2>/dev/null || true
wait_state backoff 10 || fail "controller gone, but state is $(conn_state state)"
err=$(conn_state last_error)
ok "ovs-testcontroller stopped: state backoff, last error \"$err\""
sleep 3 # a few failed attempts: the backoff grows (1 s, 2 s, 4 s, at most 8 s)
b=$(conn_state backoff_ms)
[ "$b" -ge 2000 ] && [ "$b" -le 8000 ] || fail "backoff $b ms after failed attempts"
ok "backoff grew to $b ms while the controller was away"
start_tc
t0=$(date +%s)
wait_state up 12 || { ctl controller show br0; fail "no reconnection after the controller restarted"; }
n=$(conn_state n_connects)
[ "$n" -ge 2 ] || fail "n_connects $n"
ok "ovs-testcontroller restarted: reconnected within $(( $(date +%s) - t0 )) s (n_connects=$n)"
kill "$TC"; wait "$TC" 2>/dev/null || true

# --- controller set: bad input refused, nothing changed
sum=$(md5sum <"$RUN/iovsd.json")
ctl_fails "expected tcp:IP" controller set br0 "ssl:1.2.3.4:6653"
ctl_fails "no bridge named br9" controller set br9 none
ctl_fails "listen" controller set br0 none --listen "localhost:1"
BPORT=$((PORT + 2000))
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', $BPORT)); s.listen(1); time.sleep(20)" &
busy=$!
for i in $(seq 1 50); do ss -ltn | grep -q "127.0.0.1:$BPORT " && break; sleep 0.2; done
ss -ltn | grep -q "127.0.0.1:$BPORT " || fail "could not occupy port $BPORT for the test"
ctl_fails "Address already in use" controller set br0 none --listen "127.0.0.1:$BPORT"
kill $busy 2>/dev/null || true
[ "$sum" = "$(md5sum <"$RUN/iovsd.json")" ] || fail "config changed by refused requests"
ofctl show "$OF" >/dev/null || fail "old listener gone after a refused change"
ok "refused changes leave the config and the listener as they were"
ctl controller set br0 none
[ "$(ctl --json controller show br0 | python3 -c "import json,sys; print(len(json.load(sys.stdin)['controllers']))")" = 0 ] \
	|| fail "controller set none"
ok "controller set br0 none: no controller"

# --- restart: port numbers and the datapath id persist
iovsd_stop "$RUN" || fail "iovsd did not exit 0"
iovsd_start "$RUN"
out=$(ofctl show "$OF") || fail "show after restart"
echo "$out" | grep -q " 7(p2)" && echo "$out" | grep -q " 1(p1)" && echo "$out" | grep -q "dpid:0000000000c0ffee" \
	|| fail "after restart: $out"
ofctl --unixctl="$T/mon.ctl" monitor "$OF" >"$T/monitor.log" 2>&1 &
MON=$!
sleep 1
ctl port add br0 p3 null
ofctl show "$OF" | grep -q " 2(p3)" || fail "new port p3 did not get ofport 2 (lowest free)"
ok "restart keeps 1(p1), 7(p2) and the dpid; a new port takes the lowest free number, 2"

# --- PORT_STATUS: a controller hears of ports added and deleted (the agent
# looks every 100 ms: a port added and deleted between two looks is not told)
for i in $(seq 1 30); do
	grep -q "ADD: 2(p3)" "$T/monitor.log" && break
	sleep 0.1
done
ctl port del p3
for i in $(seq 1 30); do
	grep -q "DEL: 2(p3)" "$T/monitor.log" && break
	sleep 0.1
done
kill "$MON" 2>/dev/null || true
wait "$MON" 2>/dev/null || true
grep -A1 "OFPT_PORT_STATUS" "$T/monitor.log" | grep -q "ADD: 2(p3)" \
	|| fail "no PORT_STATUS ADD for p3: $(cat "$T/monitor.log")"
grep -A1 "OFPT_PORT_STATUS" "$T/monitor.log" | grep -q "DEL: 2(p3)" \
	|| fail "no PORT_STATUS DELETE for p3: $(cat "$T/monitor.log")"
ok "ovs-ofctl monitor: PORT_STATUS ADD 2(p3) on port add, DEL on port del"

echo "$CHECKS checks passed"
