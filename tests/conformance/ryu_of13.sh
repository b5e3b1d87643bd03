#!/usr/bin/env bash
# Ryu's OpenFlow 1.3 switch conformance tests against iovsd (ryu_of13.py does
# the work). Sets up the target: iovsd with bridge br0 (fail_mode secure, an
# OpenFlow listener on loopback) and three af_packet ports, OpenFlow ports 1, 2
# and 3, on veths whose other ends are eth0 in three network namespaces, where
# the runner sends and captures (Ryu's tester ports). Exit 77 (SKIP) without
# root, network namespaces, 2 CPUs, or the test files (RYU_OF13_DIR, else
# ../shared/data/ryu-of13 beside the repository, else
# /work/shared/data/ryu-of13). CONFORMANCE_REPORT names the JSON report.
. "$(dirname "$0")/../integration/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${RYU_OF13_DIR:-$HERE/../../../shared/data/ryu-of13}
[ -n "${RYU_OF13_DIR:-}" ] || [ -d "$DATA" ] || DATA=/work/shared/data/ryu-of13
[ -d "$DATA" ] || skip "the Ryu OF1.3 test files are not in $DATA (set RYU_OF13_DIR)"
need_root_and_netns
command -v python3 >/dev/null || skip "python3 missing"

id=$(($$ % 10000))
PORT=$((26000 + $$ % 1000))
RUN=$T/run
NSS=()
for i in 1 2 3; do
	ns=rc$id-n$i veth=rc$id-p$i
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$veth" 2>/dev/null || true
	ip netns add "$ns"; NETNS+=("$ns"); NSS+=("$ns")
	ip link add "$veth" type veth peer name eth0 netns "$ns"; VETHS+=("$veth")
	# No IPv6 or other kernel chatter on the tester's ports: frames are compared.
	sysctl -qw "net.ipv6.conf.$veth.disable_ipv6=1"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip link set "$veth" up
	ip -n "$ns" link set eth0 up
done
mkdir -p "$RUN"
cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "p1", "type": "af_packet", "iface": "rc$id-p1", "ofport": 1 },
    { "name": "p2", "type": "af_packet", "iface": "rc$id-p2", "ofport": 2 },
    { "name": "p3", "type": "af_packet", "iface": "rc$id-p3", "ofport": 3 } ],
    "openflow": { "listen": "127.0.0.1:$PORT", "fail_mode": "secure" } } ] }
JSON
iovsd_start "$RUN" -- --file-prefix "rc$id"
echo "# iovsd: br0, OpenFlow on 127.0.0.1:$PORT, ports 1-3 on rc$id-p1..3"

rc=0
python3 "$HERE/ryu_of13.py" --data "$DATA" --of "127.0.0.1:$PORT" \
	--netns "$(IFS=,; echo "${NSS[*]}")" \
	--report "${CONFORMANCE_REPORT:-$T/ryu_of13_report.json}" "$@" || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
	echo "--- iovsd.log (tail)"; tail -n 20 "$RUN/iovsd.log"
fi
iovsd_stop "$RUN" || { echo "iovsd did not stop cleanly"; [ "$rc" = 0 ] && rc=1; }
exit "$rc"
