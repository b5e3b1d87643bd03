# dpdk-testpmd virtio-user guests for the integration tests, driven through a
# fifo. Sourced after lib.sh (needs T, fail; the port views are there).

command -v dpdk-testpmd >/dev/null || skip "dpdk-testpmd missing (Debian package dpdk-dev)"

declare -A GFD
GUESTS=()
# testpmd leaves its EAL runtime directory behind: remove this run's.
guests_cleanup() {
	local g
	for g in "${GUESTS[@]}"; do rm -rf "/run/dpdk/iovs-$g-$$"; done
}
trap 'cleanup; guests_cleanup' EXIT

# guest_start NAME SOCKET MAC QUEUES VDEV-EXTRA: an interactive testpmd whose
# virtio-user port talks to SOCKET (VDEV-EXTRA: packed_vq=1, server=1, ...).
# Its stdin is a fifo we hold open read-write (so opening never blocks and
# testpmd never sees end-of-file). guest_ready waits for its prompt.
guest_start() {
	local name=$1 sock=$2 mac=$3 q=$4 extra=$5 fd
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	exec {fd}<>"$T/$name.in"
	GFD[$name]=$fd
	GUESTS+=("$name")
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --no-huge -m 256 \
		--file-prefix "iovs-$name-$$" --log-level=lib.eal:error \
		--vdev "net_virtio_user0,path=$sock,mac=$mac,queues=$q${extra:+,$extra}" \
		-- -i --total-num-mbufs 4096 --rxq="$q" --txq="$q" --nb-cores=1 \
		<"$T/$name.in" >"$T/$name.log" 2>&1 &
	echo $! >"$T/$name.pid"
}
guest_ready() {
	for _ in $(seq 1 150); do
		grep -q "testpmd>" "$T/$1.log" 2>/dev/null && return 0
		kill -0 "$(cat "$T/$1.pid")" 2>/dev/null || break
		sleep 0.2
	done
	cat "$T/$1.log"
	fail "guest $1 did not start"
}
# guest_listening SOCKET: a server=1 guest created its socket.
guest_listening() {
	for _ in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.1; done
	fail "no guest listens on $1"
}
guest_cmd() {
	echo "$2" >&"${GFD[$1]}"
	sleep 0.3
}
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
