# shellcheck shell=bash
# QEMU guests on vhost-user for the iovs tests. Sourced:
#
#   . tests/vm/vm.sh
#   vm_build                                   # kernel + initramfs (cached)
#   vm_start A --sock "$S/a.sock" --ip 10.0.0.1/24
#   vm_wait_ready A 60
#   vm_run A 30 ping -c 3 10.0.0.2             # output, guest exit status
#   vm_reboot A 90
#   vm_stop A; vm_stop_all                     # vm_stop_all runs on EXIT anyway
#
# Every VM is a directory $VM_TMP/NAME: console.log (serial console), qemu.log (QEMU's
# messages), chan/ (the agent channel, a 9p share), pids. VM_TMP is a fresh mktemp -d
# under /tmp (removed by vm_stop_all) unless the caller sets it before the first vm_start
# (e.g. VM_TMP=$T/vm, then removing it is the caller's business).
# See tests/vm/README.md for the design.
#
# Environment:
#   IOVS_VM_CACHE       cache of build-guest.sh (default: build/vm-cache in the tree)
#   IOVS_VM_LIFETIME    hard limit of each QEMU in seconds (default 1200, via timeout)
#   IOVS_VM_RUN_GRACE   seconds vm_run waits beyond the command's own timeout (default 30)
#   IOVS_VM_KEEP=1      vm_stop_all keeps VM_TMP (logs) and prints where it is
#   QEMU                the QEMU binary (default qemu-system-x86_64)
#
# Rules: call vm_start from the test's main shell, not from $(...) or a ( subshell ): each
# QEMU dies with the shell that started it (PR_SET_PDEATHSIG), so nothing outlives a killed
# test. At most two guests at a time on a 2-CPU machine (TCG is slow).

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${QEMU:=qemu-system-x86_64}"
: "${IOVS_VM_LIFETIME:=1200}"
: "${IOVS_VM_RUN_GRACE:=30}"
VM_TMP=${VM_TMP:-}
VM_TMP_OWNED=0
VM_SEQ=0

_vm_err() { echo "vm: $*" >&2; }
_vm_now() { date +%s.%N; }
_vm_since() { awk -v a="$1" -v b="$(_vm_now)" 'BEGIN { printf "%.1f", b - a }'; }
_vm_dir() { echo "$VM_TMP/$1"; }
_vm_alive() { # _vm_alive NAME: QEMU of NAME still runs
	local d pid
	d=$(_vm_dir "$1")
	pid=$(cat "$d/wrapper.pid" 2>/dev/null) || return 1
	# The pid, and still our wrapper (not a reused pid).
	grep -aq "iovs-$1," "/proc/$pid/cmdline" 2>/dev/null
}

# vm_have_qemu: true when QEMU can run here (the tests skip otherwise).
vm_have_qemu() { command -v "$QEMU" >/dev/null 2>&1; }

# vm_build: builds or reuses the guest image (tests/vm/build-guest.sh) and loads its paths.
vm_build() {
	"$VM_HERE/build-guest.sh" --quiet || return 1
	local env=${IOVS_VM_CACHE:-$VM_HERE/../../build/vm-cache}/guest.env
	# shellcheck source=/dev/null
	. "$env" || { _vm_err "no $env"; return 1; }
	if [ ! -s "$IOVS_VM_KERNEL" ] || [ ! -s "$IOVS_VM_INITRD" ]; then
		_vm_err "guest image missing"
		return 1
	fi
}

_vm_init() {
	if [ -z "$VM_TMP" ]; then
		VM_TMP=$(mktemp -d /tmp/iovs-vm.XXXXXX)
		VM_TMP_OWNED=1
	fi
	mkdir -p "$VM_TMP"
	[ -n "${IOVS_VM_KERNEL:-}" ] || vm_build
}

# vm_start NAME [options]: launches a guest in the background (returns at once).
#   --sock PATH       vhost-user socket of the NIC (no NIC without it)
#   --server          QEMU listens on PATH (server=on,wait=off) and the backend connects;
#                     default: QEMU connects to the backend's PATH, retrying every
#                     --reconnect seconds (1), also after the backend restarts
#   --reconnect S     reconnect interval when QEMU is the client (0: none)
#   --mac MAC         NIC MAC (default 52:54:00:xx:xx:xx from the name)
#   --ip ADDR/LEN     guest address on eth0
#   --queues N        queue pairs (mq=on; the guest enables N with ethtool -L)
#   --packed          packed virtqueues
#   --mrg-rxbuf on|off
#   --nic-opts STR    more virtio-net-pci properties, e.g. "csum=off,guest_tso4=off"
#   --mem SIZE        guest memory (256M), memfd-backed and shared (vhost-user needs that)
#   --smp N           vCPUs (1)
#   --machine TYPE    q35 (default) or pc
#   --share DIR       DIR of the host on /mnt/host in the guest (9p)
#   --cmdline STR     more kernel command line (e.g. iovs.ipv6=1 iovs.debug=1)
#   --qemu-arg ARG    one more QEMU argument (repeatable)
#   --tty1            a second serial port (guest /dev/ttyS1) the host writes to with
#                     vm_tty1_write (a pipe chardev: NAME/tty1.in, NAME/tty1.out)
#   --incoming URI    QEMU waits for a migration stream on URI (-incoming), see
#                     vm_migrate_target
#   --guest-name N    the guest's iovs.name (default NAME)
#   --iommu           an emulated Intel IOMMU (intel-iommu,intremap=on,caching-mode=on), placed
#                     before every device; --iommu-opts STR adds properties (device-iotlb=on)
#   --cpu MODEL       QEMU's -cpu (default: QEMU's; "max" for programs built for a newer
#                     x86-64 level than qemu64, such as Debian's DPDK)
#   --host-root       the host's / read-only on /host in the guest (9p), so that host programs
#                     run there with the host's libraries: vm_run_host
# Every VM has a QMP socket (NAME/qmp.sock) for vm_qmp.
vm_start() {
	local name=$1
	shift || { _vm_err "vm_start NAME ..."; return 2; }
	[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || { _vm_err "bad VM name '$name'"; return 2; }
	if [ "$BASHPID" != "$$" ]; then
		_vm_err "vm_start $name: call it from the main shell (the VM would die with this subshell)"
		return 2
	fi
	_vm_init || return 1
	local d sock="" server=0 reconnect=1 mac="" ip="" queues=1 packed=0 mrg="" nicopts=""
	local mem=256M smp=1 machine=q35 share="" cmdline="" extra=() tty1=0 incoming="" gname=$name
	local iommu="" hostroot=0 cpu=""
	local orig=("$@")
	while [ $# -gt 0 ]; do
		case $1 in
		--sock) sock=$2; shift ;;
		--server) server=1 ;;
		--reconnect) reconnect=$2; shift ;;
		--mac) mac=$2; shift ;;
		--ip) ip=$2; shift ;;
		--queues) queues=$2; shift ;;
		--packed) packed=1 ;;
		--mrg-rxbuf) mrg=$2; shift ;;
		--nic-opts) nicopts=$2; shift ;;
		--mem) mem=$2; shift ;;
		--smp) smp=$2; shift ;;
		--machine) machine=$2; shift ;;
		--share) share=$(cd "$2" && pwd) || return 2; shift ;;
		--cmdline) cmdline=$2; shift ;;
		--qemu-arg) extra+=("$2"); shift ;;
		--tty1) tty1=1 ;;
		--incoming) incoming=$2; shift ;;
		--guest-name) gname=$2; shift ;;
		--iommu) iommu=${iommu:-intel-iommu,intremap=on,caching-mode=on} ;;
		--iommu-opts) iommu=${iommu:-intel-iommu,intremap=on,caching-mode=on},$2; shift ;;
		--host-root) hostroot=1 ;;
		--cpu) cpu=$2; shift ;;
		*) _vm_err "vm_start: unknown option $1"; return 2 ;;
		esac
		shift
	done
	d=$(_vm_dir "$name")
	if _vm_alive "$name"; then _vm_err "VM $name is already running"; return 1; fi
	# The logs of the previous run of NAME stay in NAME.prev.
	rm -rf "$d.prev"
	[ ! -d "$d" ] || mv "$d" "$d.prev"
	mkdir -p "$d/chan/req" "$d/chan/run" "$d/chan/out"
	printf '%q ' "${orig[@]}" >"$d/args"
	if [ -z "$mac" ]; then
		local h
		h=$(printf '%s' "$name" | cksum | awk '{ printf "%06x", $1 % 16777216 }')
		mac=52:54:00:${h:0:2}:${h:2:2}:${h:4:2}
	fi
	echo "$mac" >"$d/mac"
	echo "$gname" >"$d/guest-name"

	local append="console=ttyS0 quiet panic=-1 iovs.name=$gname"
	[ -z "$ip" ] || append+=" iovs.ip=$ip"
	[ "$queues" -le 1 ] || append+=" iovs.queues=$queues"
	[ -z "$cmdline" ] || append+=" $cmdline"

	local args=(
		-name "iovs-$name,debug-threads=on" -msg timestamp=on
		-accel tcg -machine "$machine" -smp "$smp" -m "$mem"
	)
	[ -z "$cpu" ] || args+=(-cpu "$cpu")
	# The IOMMU must exist before the devices it translates for.
	[ -z "$iommu" ] || args+=(-device "$iommu")
	args+=(
		-object "memory-backend-memfd,id=mem,size=$mem,share=on" -numa "node,memdev=mem"
		-nodefaults -no-user-config -display none
		-chardev "file,id=con,path=$d/console.log" -serial chardev:con
		-kernel "$IOVS_VM_KERNEL" -initrd "$IOVS_VM_INITRD" -append "$append"
		-fsdev "local,id=agent,path=$d/chan,security_model=none"
		-device "virtio-9p-pci,fsdev=agent,mount_tag=iovsagent,romfile="
		# A guest panic ends QEMU at once (exit status 1) instead of looping.
		-device pvpanic -action panic=exit-failure
		-pidfile "$d/qemu.pid"
		-qmp "unix:$d/qmp.sock,server=on,wait=off"
	)
	if [ "$tty1" = 1 ]; then
		# QEMU opens both fifos read-write: neither side blocks on open.
		mkfifo "$d/tty1.in" "$d/tty1.out"
		args+=(-chardev "pipe,id=tty1,path=$d/tty1" -serial chardev:tty1)
	fi
	[ -z "$incoming" ] || args+=(-incoming "$incoming")
	if [ "$hostroot" = 1 ]; then
		args+=(-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on"
			-device "virtio-9p-pci,fsdev=hostroot,mount_tag=iovshostroot,romfile=")
	fi
	if [ -n "$share" ]; then
		args+=(-fsdev "local,id=share,path=$share,security_model=none"
			-device "virtio-9p-pci,fsdev=share,mount_tag=iovsshare,romfile=")
	fi
	if [ -n "$sock" ]; then
		if [ ${#sock} -ge 108 ]; then _vm_err "socket path too long (${#sock} >= 108): $sock"; return 2; fi
		local chr="socket,id=vhu0,path=$sock" dev="virtio-net-pci,netdev=net0,mac=$mac,romfile="
		if [ "$server" = 1 ]; then
			chr+=",server=on,wait=off"
			echo "$sock" >"$d/server.sock"
		elif [ "$reconnect" != 0 ]; then
			chr+=",reconnect=$reconnect"
		fi
		# vectors=0: QEMU 7.2 under TCG crashes in vhost_net_start with MSI-X (NULL irqfd).
		dev+=",vectors=0"
		[ "$queues" -le 1 ] || dev+=",mq=on"
		[ "$packed" = 0 ] || dev+=",packed=on"
		[ -z "$mrg" ] || dev+=",mrg_rxbuf=$mrg"
		[ -z "$nicopts" ] || dev+=",$nicopts"
		local nd="vhost-user,id=net0,chardev=vhu0"
		[ "$queues" -le 1 ] || nd+=",queues=$queues"
		args+=(-chardev "$chr" -netdev "$nd" -device "$dev")
		echo "$sock" >"$d/sock"
	fi
	args+=("${extra[@]}")
	printf '%q ' "$QEMU" "${args[@]}" >"$d/qemu.cmd"
	echo >>"$d/qemu.cmd"

	# setpriv --pdeathsig: timeout dies with this shell, QEMU dies with timeout.
	setpriv --pdeathsig KILL -- timeout -k 5 "$IOVS_VM_LIFETIME" \
		setpriv --pdeathsig KILL -- "$QEMU" "${args[@]}" >"$d/qemu.log" 2>&1 </dev/null &
	echo $! >"$d/wrapper.pid"
	_vm_now >"$d/start.time"
}

# vm_wait_ready NAME [TIMEOUT=90]: waits for the agent of the current boot; prints the time.
vm_wait_ready() {
	local name=$1 timeout=${2:-90} d t0 old boot
	d=$(_vm_dir "$name")
	[ -d "$d" ] || { _vm_err "no VM $name"; return 2; }
	t0=$(cat "$d/start.time")
	old=$(cat "$d/old.boot" 2>/dev/null || true)
	local deadline=$((SECONDS + timeout))
	while [ $SECONDS -lt $deadline ]; do
		boot=$(cat "$d/chan/ready" 2>/dev/null || true)
		if [ -n "$boot" ] && [ "$boot" != "$old" ]; then
			echo "$boot" >"$d/boot"
			echo "vm $name: ready in $(_vm_since "$t0") s (boot $boot)"
			return 0
		fi
		if ! _vm_alive "$name"; then
			_vm_err "VM $name: QEMU exited before the guest was ready"
			vm_logs "$name" >&2
			return 1
		fi
		sleep 0.1
	done
	_vm_err "VM $name: not ready within $timeout s"
	if [ ! -s "$d/console.log" ] && [ -f "$d/sock" ] && [ ! -f "$d/server.sock" ]; then
		_vm_err "  (QEMU as vhost-user client waits for the backend's socket $(cat "$d/sock") before it starts the guest)"
	fi
	vm_logs "$name" >&2
	return 1
}

# vm_submit NAME TIMEOUT CMD...: queues CMD (joined with spaces and run by the guest's sh,
# like ssh) and prints a request id for vm_result. Returns at once.
vm_submit() {
	local name=$1 timeout=$2 d id
	shift 2
	d=$(_vm_dir "$name")
	[ -d "$d/chan/req" ] || { _vm_err "no VM $name"; return 2; }
	VM_SEQ=$((VM_SEQ + 1))
	id=$(date +%s%N)-$BASHPID-$VM_SEQ
	printf '# timeout=%d\n%s\n' "$timeout" "$*" >"$d/chan/req/.$id.tmp"
	mv "$d/chan/req/.$id.tmp" "$d/chan/req/$id.sh"
	echo "$id"
}

# vm_result NAME ID WAIT: waits up to WAIT s for request ID; prints its stdout (stderr to
# stderr) and returns its exit status: 124 when the guest killed it at its timeout,
# 255 when there was no answer (QEMU gone, guest hung or rebooted).
vm_result() {
	local name=$1 id=$2 wait=$3 d rc
	d=$(_vm_dir "$name")
	local o=$d/chan/out/$id deadline=$((SECONDS + wait))
	while [ ! -f "$o.rc" ]; do
		if [ $SECONDS -ge $deadline ] || ! _vm_alive "$name"; then
			rm -f "$d/chan/req/$id.sh"
			if _vm_alive "$name"; then
				_vm_err "VM $name: no answer to request $id within $wait s"
			else
				_vm_err "VM $name: QEMU is gone"
				vm_logs "$name" 10 >&2
			fi
			return 255
		fi
		sleep 0.05
	done
	rc=$(cat "$o.rc")
	cat "$o.out"
	cat "$o.err" >&2
	rm -f "$o.rc" "$o.out" "$o.err"
	return "$rc"
}

# vm_run NAME TIMEOUT CMD...: runs CMD in the guest (killed there after TIMEOUT s); prints
# its stdout and stderr, returns its exit status (124 timeout, 255 no answer).
vm_run() {
	local name=$1 timeout=$2 id
	shift 2
	id=$(vm_submit "$name" "$timeout" "$@") || return 255
	vm_result "$name" "$id" $((timeout + IOVS_VM_RUN_GRACE))
}

# vm_run_host NAME TIMEOUT PROG [ARGS...]: runs the host program PROG (absolute path) in the
# guest with the host's dynamic loader and libraries, read through /host (vm_start
# --host-root). Arguments are joined like vm_run's. Output and status as vm_run.
vm_run_host() {
	local name=$1 timeout=$2
	shift 2
	vm_run "$name" "$timeout" hostrun "$@"
}

# vm_wait_link NAME [TIMEOUT=30]: waits until the guest's eth0 has carrier (the vhost-user
# backend is connected and QEMU reports the link up).
vm_wait_link() {
	# shellcheck disable=SC2016 # expanded in the guest
	vm_run "$1" "${2:-30}" 'until [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ]; do sleep 0.2; done'
}

# vm_reboot NAME [TIMEOUT=90]: reboots the guest (reboot -f) and waits until its agent
# is back (a new boot id). The vhost-user connection stays; the guest resets the NIC.
vm_reboot() {
	local name=$1 timeout=${2:-90} d
	d=$(_vm_dir "$name")
	cp "$d/chan/ready" "$d/old.boot" 2>/dev/null || { _vm_err "VM $name was never ready"; return 1; }
	_vm_now >"$d/start.time"
	vm_submit "$name" 10 '(sleep 0.3; reboot -f) >/dev/null 2>&1 &' >/dev/null
	vm_wait_ready "$name" "$timeout"
}

# vm_restart NAME: power-cycles the VM (QEMU stopped and started again, same options).
vm_restart() {
	local name=$1 d args
	d=$(_vm_dir "$name")
	args=$(cat "$d/args") || return 2
	vm_stop "$name"
	eval "vm_start \"\$name\" $args"
}

# vm_stop NAME: ends QEMU (SIGTERM, then SIGKILL after 5 s), removes the socket QEMU
# listened on. Keeps the logs.
vm_stop() {
	local name=$1 d pid qpid
	d=$(_vm_dir "$name")
	[ -f "$d/wrapper.pid" ] || return 0
	pid=$(cat "$d/wrapper.pid")
	qpid=$(cat "$d/qemu.pid" 2>/dev/null || true)
	grep -aq "iovs-$name," "/proc/$qpid/cmdline" 2>/dev/null || qpid=""
	kill -TERM "$pid" 2>/dev/null || true # timeout passes it on to QEMU
	[ -z "$qpid" ] || kill -TERM "$qpid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		_vm_err "VM $name: QEMU ignores SIGTERM, killing it"
		[ -z "$qpid" ] || kill -KILL "$qpid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	rm -f "$d/wrapper.pid"
	if [ -f "$d/server.sock" ]; then rm -f "$(cat "$d/server.sock")"; fi
	return 0
}

# vm_stop_all: every VM of this shell stopped; VM_TMP removed if vm.sh created it (kept
# with IOVS_VM_KEEP=1; a VM_TMP given by the caller is the caller's to remove).
vm_stop_all() {
	local d
	[ -n "$VM_TMP" ] && [ -d "$VM_TMP" ] || return 0
	for d in "$VM_TMP"/*/; do
		[ -f "$d/wrapper.pid" ] && vm_stop "$(basename "$d")"
	done
	if [ "$VM_TMP_OWNED" = 1 ]; then
		if [ "${IOVS_VM_KEEP:-0}" = 1 ]; then
			echo "vm: logs kept in $VM_TMP" >&2
		else
			rm -rf "$VM_TMP"
		fi
	fi
	return 0
}

# vm_logs NAME [LINES=30]: the tails of the console and of QEMU's messages.
vm_logs() {
	local name=$1 n=${2:-30} d
	d=$(_vm_dir "$name")
	echo "--- $name: console (last $n lines)"
	tail -n "$n" "$d/console.log" 2>/dev/null || true
	echo "--- $name: qemu.log (last $n lines)"
	tail -n "$n" "$d/qemu.log" 2>/dev/null || true
}

# vm_console NAME: path of the serial console log.
vm_console() { echo "$(_vm_dir "$1")/console.log"; }

# vm_mac NAME: the NIC's MAC.
vm_mac() { cat "$(_vm_dir "$1")/mac"; }

# vm_qmp NAME COMMAND [ARGUMENTS-JSON]: runs one QMP command on NAME's QEMU; prints its
# "return" value as JSON. Returns 1 (QEMU's error on stderr) when QEMU refuses it.
vm_qmp() {
	local name=$1 cmd=$2 args=${3:-"{}"} d
	d=$(_vm_dir "$name")
	python3 - "$d/qmp.sock" "$cmd" "$args" <<'PY'
import json, socket, sys
path, cmd, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(path)
f = s.makefile("rw")
def call(c, a=None):
    m = {"execute": c}
    if a:
        m["arguments"] = a
    f.write(json.dumps(m) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            sys.exit("vm_qmp: QEMU closed the QMP socket")
        r = json.loads(line)
        if "return" in r:
            return r["return"]
        if "error" in r:
            sys.exit("vm_qmp: %s: %s" % (c, r["error"].get("desc", r["error"])))
json.loads(f.readline())  # greeting
call("qmp_capabilities")
print(json.dumps(call(cmd, args)))
PY
}

# vm_tty1_write NAME TEXT: TEXT and a newline to the guest's /dev/ttyS1 (vm_start --tty1).
# While the guest is detached (vm_detach), a line is a command it runs (output and
# "IOVS-VM-TTY1-RC status" on the console); "attach" ends that (vm_attach).
vm_tty1_write() {
	local d
	d=$(_vm_dir "$1")
	[ -p "$d/tty1.in" ] || { _vm_err "VM $1 has no --tty1"; return 2; }
	# shellcheck disable=SC2016 # expanded by sh
	timeout 10 sh -c 'printf "%s\n" "$1" >"$2"' tty1 "$2" "$d/tty1.in"
}

# --- Live migration. QEMU refuses to migrate a guest that has a 9p share mounted (a
# migration blocker), and the agent channel is one. So the guest detaches it first
# (vm_detach: unmounts it, then waits on ttyS1), the host migrates (vm_migrate) to a
# QEMU started with vm_migrate_target, and vm_attach tells the guest, now on the
# destination, to mount the destination's channel (its boot id goes to "ready").
# Needs vm_start --tty1 and no --share.

# vm_migrate_target DST SRC URI [options]: starts DST as the migration target of SRC:
# SRC's options (same memory, NIC, MAC, kernel command line) plus -incoming URI; the
# options given here come last (e.g. --sock of another vhost-user port).
vm_migrate_target() {
	# shellcheck disable=SC2034 # used in the eval
	local dst=$1 src=$2 uri=$3 d args gname
	shift 3
	d=$(_vm_dir "$src")
	args=$(cat "$d/args") || return 2
	gname=$(cat "$d/guest-name") || return 2
	eval "vm_start \"\$dst\" $args --mac \"\$(vm_mac \"\$src\")\" --guest-name \"\$gname\" --incoming \"\$uri\" \"\$@\""
}

# vm_detach NAME [TIMEOUT=60]: the guest (started with --tty1) unmounts its agent channel
# and waits for vm_attach; returns once the console says it is detached. No vm_run to
# NAME after this.
vm_detach() {
	local name=$1 timeout=${2:-60} d con deadline
	d=$(_vm_dir "$name")
	con=$d/console.log
	# The script runs from tmpfs with no file of the channel open; it unmounts the
	# channel once the request that started it has its answer.
	vm_run "$name" 20 "cat >/tmp/vm-detach.sh <<'END'
$(_vm_detach_script)
END
setsid sh /tmp/vm-detach.sh >/dev/null 2>&1 </dev/null &" || return 1
	deadline=$((SECONDS + timeout))
	until grep -aq IOVS-VM-DETACHED "$con"; do
		if grep -aq IOVS-VM-DETACH-FAILED "$con" || [ $SECONDS -ge $deadline ] || ! _vm_alive "$name"; then
			_vm_err "VM $name: the guest did not detach its agent channel"
			vm_logs "$name" 10 >&2
			return 1
		fi
		sleep 0.1
	done
	cp "$d/chan/ready" "$d/old.boot" 2>/dev/null || true
}

_vm_detach_script() {
	cat <<'SCRIPT'
exec </dev/null >/dev/console 2>&1
cd /
stty -F /dev/ttyS1 -echo 2>/dev/null
i=0
# Not before the request that started this script has its answer (run/ID.sh goes last).
until [ -z "$(ls /run/iovs/run)" ] && umount /run/iovs 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "IOVS-VM-DETACH-FAILED"; exit 1; }
	sleep 0.1
done
exec 3</dev/ttyS1
echo IOVS-VM-DETACHED
# Lines other than "attach" are commands (vm_tty1_write while detached).
while read -r word <&3 && [ "$word" != attach ]; do
	echo "IOVS-VM-TTY1: $word"
	sh -c "$word" </dev/null
	echo "IOVS-VM-TTY1-RC $?"
done
exec 3<&-
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none iovsagent /run/iovs ||
	{ echo IOVS-VM-ATTACH-FAILED; exit 1; }
cat /proc/sys/kernel/random/boot_id >/run/iovs/.ready.tmp
mv -f /run/iovs/.ready.tmp /run/iovs/ready
echo "IOVS-VM-ATTACHED $word"
SCRIPT
}

# vm_attach NAME [TIMEOUT=90]: after a migration to NAME (vm_migrate_target), the guest
# mounts NAME's agent channel; waits until its agent answers there.
vm_attach() {
	local name=$1 timeout=${2:-90}
	vm_tty1_write "$name" attach || return 1
	vm_wait_ready "$name" "$timeout"
}

# vm_tty1_run NAME TIMEOUT CMD: runs CMD in a detached guest (vm_detach) through ttyS1;
# returns its exit status (its output is on the console), 124 without an answer.
vm_tty1_run() {
	local name=$1 timeout=$2 con n deadline
	shift 2
	con=$(_vm_dir "$name")/console.log
	n=$(grep -ac IOVS-VM-TTY1-RC "$con" || true)
	vm_tty1_write "$name" "$*" || return 2
	deadline=$((SECONDS + timeout))
	while [ "$(grep -ac IOVS-VM-TTY1-RC "$con" || true)" -le "$n" ]; do
		[ $SECONDS -lt $deadline ] && _vm_alive "$name" || return 124
		sleep 0.1
	done
	return "$(grep -a IOVS-VM-TTY1-RC "$con" | tail -n 1 | sed 's/.*IOVS-VM-TTY1-RC \([0-9]*\).*/\1/')"
}

# vm_migrate SRC URI [TIMEOUT=300]: live-migrates SRC to URI (a vm_migrate_target) and
# waits until QEMU says completed; leaves query-migrate's last answer in SRC/migrate.json.
# Set parameters (max-bandwidth, downtime-limit) first with vm_qmp migrate-set-parameters.
vm_migrate() {
	vm_migrate_start "$1" "$2" && vm_migrate_wait "$1" "${3:-300}"
}

# vm_migrate_start SRC URI: starts the migration (QMP migrate) and returns.
vm_migrate_start() {
	vm_qmp "$1" migrate "{\"uri\": \"$2\"}" >/dev/null
}

# vm_migrate_status SRC: query-migrate's answer, also left in SRC/migrate.json.
vm_migrate_status() {
	local d
	d=$(_vm_dir "$1")
	vm_qmp "$1" query-migrate >"$d/migrate.json" && cat "$d/migrate.json"
}

# vm_migrate_wait SRC [TIMEOUT=300]: waits until the migration completed (0) or failed (1).
vm_migrate_wait() {
	local src=$1 timeout=${2:-300} st deadline
	deadline=$((SECONDS + timeout))
	while :; do
		st=$(vm_migrate_status "$src" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status", ""))') ||
			return 1
		case $st in
		completed) return 0 ;;
		failed | cancelled)
			_vm_err "VM $src: migration $st: $(cat "$(_vm_dir "$src")/migrate.json")"
			return 1
			;;
		esac
		if [ $SECONDS -ge $deadline ]; then
			_vm_err "VM $src: migration not completed within $timeout s: $(cat "$(_vm_dir "$src")/migrate.json")"
			vm_qmp "$src" migrate_cancel >/dev/null 2>&1 || true
			return 1
		fi
		sleep 0.2
	done
}

# Cleanup on exit, in front of the caller's own EXIT trap if it has one (source this file
# after setting yours, or call vm_stop_all from it).
_vm_install_trap() {
	local cur old=()
	cur=$(trap -p EXIT)
	if [ -n "$cur" ]; then
		eval "old=(${cur#trap -- })"
		case ${old[0]} in *vm_stop_all*) return 0 ;; esac
		# shellcheck disable=SC2064 # expanded now on purpose
		trap "vm_stop_all; ${old[0]}" EXIT
	else
		trap vm_stop_all EXIT
	fi
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
}
_vm_install_trap

# guest_pings NAME ADDR: the guest reaches ADDR (retrying while links and ARP settle).
guest_pings() {
	for _ in $(seq 1 10); do
		vm_run "$1" 30 ping -c 2 -W 3 "$2" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}
