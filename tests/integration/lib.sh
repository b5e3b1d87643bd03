# Shared helpers for the integration tests: skips, hosts in network namespaces,
# iovsd instances, assertions. Sourced; needs IOVSD and IOVSCTL (set by meson).
set -euo pipefail

: "${IOVSD:?path of iovsd}" "${IOVSCTL:?path of iovsctl}"
TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "/tmp/iovs-$TEST_NAME.XXXXXX")
NETNS=()
VETHS=()
DAEMONS=()
CHECKS=0

skip() { echo "SKIP: $*"; exit 77; }
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
fail() {
	echo "not ok - $*"
	for d in "${DAEMONS[@]}"; do
		[ -f "$d/iovsd.log" ] && { echo "--- $d/iovsd.log (tail)"; tail -n 40 "$d/iovsd.log"; }
	done
	exit 1
}

cleanup() {
	local d n v
	for d in "${DAEMONS[@]}"; do iovsd_stop "$d" 2>/dev/null || true; done
	jobs -p | xargs -r kill 2>/dev/null || true
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	for v in "${VETHS[@]}"; do ip link del "$v" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

need_root_and_netns() {
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces and veth pairs"
	ip netns add "iovs-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "iovs-probe-$$"
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (a control core and a PMD core)"
}

# host NS ADDR/CIDR: a namespace whose eth0 is one end of a veth pair; the other
# end, "iv-NS" in the root namespace, is for an iovs port.
host() {
	local ns=$1 addr=$2
	ip netns del "$ns" 2>/dev/null || true
	ip link del "iv-$ns" 2>/dev/null || true
	ip netns add "$ns"; NETNS+=("$ns")
	ip link add "iv-$ns" type veth peer name eth0 netns "$ns"; VETHS+=("iv-$ns")
	ip link set "iv-$ns" up
	# No IPv6 chatter: the tests count packets.
	sysctl -qw "net.ipv6.conf.iv-$ns.disable_ipv6=1"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	[ -n "$addr" ] && ip -n "$ns" addr add "$addr" dev eth0
	return 0
}

# host_vlan NS VID ADDR/CIDR: a tagged sub-interface eth0.VID in NS.
host_vlan() {
	ip -n "$1" link add link eth0 name "eth0.$2" type vlan id "$2"
	ip -n "$1" link set "eth0.$2" up
	ip -n "$1" addr add "$3" dev "eth0.$2"
}

# iovsd_start RUNDIR [iovsd options]: starts iovsd and waits until it answers.
iovsd_start() {
	local run=$1; shift
	mkdir -p "$run"
	"$IOVSD" --run-dir "$run" "$@" >>"$run/iovsd.log" 2>&1 &
	echo $! >"$run/test.pid"
	DAEMONS+=("$run")
	local i
	for i in $(seq 1 100); do
		"$IOVSCTL" --run-dir "$run" show >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$run/test.pid")" 2>/dev/null || fail "iovsd exited at start"
		sleep 0.2
	done
	fail "iovsd did not answer within 20 s"
}

# iovsd_stop RUNDIR: SIGTERM, and the exit status must be 0.
iovsd_stop() {
	local run=$1 pid
	[ -f "$run/test.pid" ] || return 0
	pid=$(cat "$run/test.pid"); rm -f "$run/test.pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	wait "$pid"
}

ctl() { "$IOVSCTL" --run-dir "$RUN" "$@"; }

# ctl_fails PATTERN ARGS...: the command must fail, saying PATTERN.
ctl_fails() {
	local want=$1 out; shift
	if out=$(ctl "$@" 2>&1); then fail "iovsctl $* succeeded: $out"; fi
	echo "$out" | grep -qiE -- "$want" || fail "iovsctl $*: message \"$out\" does not say \"$want\""
	ok "refused: iovsctl $* → $out"
}

# pings NS ADDR: NS reaches ADDR (a few tries while ARP and learning settle).
pings() {
	local i
	for i in 1 2 3 4 5; do
		ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
	done
	return 1
}
# no_ping NS ADDR: NS does not reach ADDR.
no_ping() { ! ip netns exec "$1" ping -c 2 -W 1 "$2" >/dev/null 2>&1; }

# port_counter PORT FIELD: a counter from 'iovsctl --json port stats PORT'.
port_counter() {
	ctl --json port stats "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['ports'][0]['$2'])"
}

# vhost_field PORT KEY: from 'port list --json' → the port's "vhost" object.
vhost_field() {
	ctl --json port list | python3 -c "
import json, sys
for p in json.load(sys.stdin)['ports']:
    if p['name'] == '$1': print(p.get('vhost', {}).get('$2', ''))"
}
# wait_running PORT: the vhost-user port runs (a front-end set up its rings); 60 s.
wait_running() {
	for _ in $(seq 1 300); do
		[ "$(vhost_field "$1" state)" = running ] && return 0
		sleep 0.2
	done
	fail "port $1 is not running: $(vhost_field "$1" state)"
}
has_feature() { vhost_field "$1" features | tr ' ' '\n' | grep -qx "$2"; }
