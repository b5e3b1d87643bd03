#!/usr/bin/env bash
# Live migration of a real QEMU 7.2 guest (TCG) between two vhost-user ports of iovsd,
# with traffic flowing: the dirty-page log (LOG_ALL, SET_LOG_BASE with LOG_SHMFD) and
# SEND_RARP with a real front-end.
#
# iovsd: one bridge, ports vm-a, vm-b, vm-c. Guest G1 runs on vm-a, guest G2 on vm-c.
# G2 pings G1 every 0.1 s and sends it a UDP stream (20 datagrams/s of 1400 bytes,
# every byte a function of the datagram's sequence number), so iovs writes G1's rx
# buffers and used rings all through the migration. G1 migrates (QMP, 8 MiB/s) to a QEMU
# started with -incoming -S on vm-b; a dirtier in G1 (4 MiB rewritten in a loop) keeps
# QEMU iterating after its first pass over the RAM. Then G1 takes eth0 down: its driver
# no longer touches the rx ring while iovs fills it, so those pages change only through
# iovs, after QEMU sent them, and only the dirty log brings them to the destination (a
# guest that reads its packets dirties the pages itself and would hide a missing log).
# The dirtier stops, the migration completes. Before the destination runs, the test
# compares the whole guest RAM of the paused source and of the loaded destination page by
# page and says for every differing page what it is (the rings iovsd logs at debug level,
# checked against QEMU's view; the rx buffers iovs wrote, from the source's used ring and
# descriptor table; the guest kernel's symbols): a difference in bytes iovs wrote (used
# ring, rx buffers) is a write it did not log and fails the test. (With logging disabled
# in iovsd, 85-90 pages differed by 971-3785 bytes each, all in rx buffers iovs wrote.)
# On the destination eth0 comes up and the datagrams held in the ring must be intact.
# QEMU 7.2 under TCG loses guest-CPU writes in a migration when the guest RAM is a
# multiple of 256 KiB (a QEMU bug, fixed in QEMU 9.0 by 03bfc2188f "physmem: Fix
# migration dirty bitmap coherency with TCG memory access"; tests/vm/README.md): 1-32
# pages of guest kernel data (jiffies, timekeeper, RCU state, the idle task's stack)
# then differ. G1 therefore has 128 MiB + 8 KiB, which makes QEMU take its slow path
# that has no such bug; since then the RAMs are identical. A difference only outside
# what iovs wrote ends the run as a skip that says so (not iovs's; the guest may crash).
# Checks: migration completed; iovsd mapped the log and turned logging on for vm-a and
# got SEND_RARP on vm-b, and G2 saw the RARP frame with G1's MAC; the two RAMs are
# identical; G1 is the same boot after; every datagram that arrived is intact and none
# twice, including those held in the ring; ping answered again once G1's link is up on
# the destination and kept going; no virtio errors in either guest's kernel log. Prints
# the migration time, QEMU's downtime and how fast ping resumed.
# Guests: Debian's kernel and busybox (tests/vm/build-guest.sh) plus tests/vm/migcheck.c,
# compiled here as a static program. IOVS_VM_KEEP=1 keeps the logs (VMs, iovsd) in
# /tmp/iovs_migrate-logs.PID.
# Experiments: IOVS_MIG_MEM_KIB=131072 (128 MiB: QEMU's buggy fast path),
# IOVS_MIG_RECV_STOP=1 (G1's receiver stopped during the migration, the load that loses
# the most writes there; ends after the RAM comparison), IOVS_MIG_KEEP_RAM=DIR (keeps
# both RAM dumps and iovsd.log), IOVS_MIG_BW, IOVS_MIG_DOWNTIME.
# shellcheck disable=SC2016 # $(...) in single quotes are expanded in the guests
. "$(dirname "$0")/../integration/lib.sh"
need_root_and_netns
HERE=$(cd "$(dirname "$0")" && pwd)
VM_TMP=$T/vm
. "$HERE/vm.sh"
keep_logs() {
	[ "${IOVS_VM_KEEP:-0}" = 1 ] || return 0
	mkdir -p "/tmp/iovs_migrate-logs.$$"
	(cd "$T" && find . -type f -name '*.log' -o -type f -name '*.json' -o -type f -name '*.cmd' |
		cpio -pdm --quiet "/tmp/iovs_migrate-logs.$$") || true
	echo "logs kept in /tmp/iovs_migrate-logs.$$" >&2
}
trap 'keep_logs; vm_stop_all; cleanup' EXIT
vm_have_qemu || skip "qemu-system-x86_64 missing (Debian package qemu-system-x86)"
command -v python3 >/dev/null || skip "python3 missing (QMP client)"
vm_build >"$T/build.log" 2>&1 || { cat "$T/build.log"; skip "cannot build the guest image (see above)"; }
${CC:-cc} -O2 -Wall -Wextra -Werror -static -o "$T/migcheck" "$HERE/migcheck.c" ||
	fail "cannot build tests/vm/migcheck.c as a static program (gcc, libc6-dev)"

# Migration speed: slow enough that logging runs for several seconds.
MIG_BW=${IOVS_MIG_BW:-8388608} # bytes/s
MIG_DOWNTIME=${IOVS_MIG_DOWNTIME:-100} # ms
PPS=20 SIZE=1400 PORT=5000
# G1's RAM: not a multiple of 256 KiB (64 pages), so that QEMU 7.2 syncs its dirty
# bitmap page by page, resetting the TCG TLB's dirty state as it goes; its fast path for
# whole 64-page words does not, and the guest CPU's later stores through such TLB entries
# are never sent (QEMU commit 03bfc2188f, QEMU 9.0). (-m rounds to 8 KiB.)
MEM_KIB=${IOVS_MIG_MEM_KIB:-131080}

RUN=$T/run
mkdir -p "$RUN"
cat >"$RUN/iovsd.json" <<JSON
{ "version": 1,
  "bridges": [ { "name": "br0", "ports": [
    { "name": "vm-a", "type": "vhost-user", "socket": "$T/a.sock" },
    { "name": "vm-b", "type": "vhost-user", "socket": "$T/b.sock" },
    { "name": "vm-c", "type": "vhost-user", "socket": "$T/c.sock" } ] } ] }
JSON
iovsd_start "$RUN" -v # -v: ring addresses (guest-physical) for the RAM comparison
ok "iovsd serves vm-a, vm-b and vm-c"

g() { vm_run "$@" || fail "in guest $1: ${*:3}"; }
# stat_of LINE KEY: the number after KEY in "key value key value ..."
stat_of() { echo "$1" | tr ' ' '\n' | sed -n "/^$2\$/{n;p;q}"; }
since() { python3 -c "import time; print(f'{time.time() - $1:.1f}')"; }

# guest_announce=off: with it the guest announces itself and QEMU sends no SEND_RARP.
# --tty1: the line vm_attach uses after the migration.
vm_start G1 --sock "$T/a.sock" --ip 10.0.0.1/24 --mem "${MEM_KIB}K" --tty1 --nic-opts guest_announce=off
vm_start G2 --sock "$T/c.sock" --ip 10.0.0.2/24 --mem 128M
vm_wait_ready G1 180 >/dev/null || fail "guest G1 did not boot"
vm_wait_ready G2 180 >/dev/null || fail "guest G2 did not boot"
wait_running vm-a
wait_running vm-c
guest_pings G2 10.0.0.1 || fail "guest G2 cannot ping guest G1"
ok "G1 on vm-a and G2 on vm-c ping each other"

# G1's rings in guest-physical terms as iovsd sees them (its debug log) must be where
# QEMU has them: the RAM comparison below names differing pages with iovsd's view.
# x-query-virtio-vhost-queue-status only reads QEMU's vhost state. Not
# x-query-virtio-queue-status: on a running vhost-user device QEMU 7.2 sends
# GET_VRING_BASE for it, which stops the ring (G1 then receives nothing).
if vnet=$(vm_qmp G1 x-query-virtio 2>/dev/null | python3 -c '
import json, sys
print([d["path"] for d in json.load(sys.stdin) if d["name"] == "virtio-net"][0])'); then
	rings=""
	for q in 0 1; do
		qemu_q=$(vm_qmp G1 x-query-virtio-vhost-queue-status "{\"path\": \"$vnet\", \"queue\": $q}" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("desc 0x%x avail 0x%x used 0x%x" % (r["desc-phys"], r["avail-phys"], r["used-phys"]))')
		iovs_q=$(grep -o "$T/a.sock: ring $q started .*" "$RUN/iovsd.log" | tail -n 1 |
			sed -n 's/.*guest-physical \(desc 0x[0-9a-f]* avail 0x[0-9a-f]* used 0x[0-9a-f]*\);.*/\1/p')
		[ "$qemu_q" = "$iovs_q" ] || fail "ring $q of vm-a: iovsd has '$iovs_q', QEMU '$qemu_q'"
		rings+="${rings:+; }ring $q: $iovs_q"
	done
	ok "G1's rings, guest-physical, iovsd's view = QEMU's (x-query-virtio-vhost-queue-status): $rings"
else
	echo "# QEMU has no x-query-virtio: G1's ring addresses not cross-checked"
fi

MAC1=$(vm_mac G1)
cp "$T/migcheck" "$VM_TMP/G1/chan/"
cp "$T/migcheck" "$VM_TMP/G2/chan/"
g G1 30 "cp /run/iovs/migcheck /tmp/ && sysctl -qw net.core.rmem_max=16777216 &&
	{ setsid /tmp/migcheck recv $PORT $SIZE /tmp/udp.stats </dev/null >/tmp/recv.log 2>&1 &
	  echo \$! >/tmp/recv.pid; }"
g G2 30 "cp /run/iovs/migcheck /tmp/ &&
	{ setsid /tmp/migcheck rarp eth0 /tmp/rarp.stats </dev/null >/tmp/rarp.log 2>&1 & echo \$! >/tmp/rarp.pid; } &&
	{ setsid ping -i 0.1 10.0.0.1 </dev/null >/tmp/ping.log 2>&1 & echo \$! >/tmp/ping.pid; } &&
	{ setsid /tmp/migcheck send 10.0.0.1 $PORT $PPS $SIZE 900 /tmp/send.stats </dev/null >/tmp/send.log 2>&1 &
	  echo \$! >/tmp/send.pid; }"
for _ in $(seq 1 120); do
	st=$(vm_run G1 10 cat /tmp/udp.stats 2>/dev/null || true)
	[ "$(stat_of "$st" received)" -ge 60 ] 2>/dev/null && break
	sleep 0.5
done
[ "$(stat_of "$st" received)" -ge 60 ] 2>/dev/null || fail "the UDP stream G2 → G1 does not flow: $st"
ok "UDP stream G2 → G1 flows ($st), G2 pings G1 every 0.1 s"

boot1=$(g G1 20 cat /proc/sys/kernel/random/boot_id)
# Where G1's kernel image is and its data symbols: names for differing pages there.
g G1 30 "grep -E 'Kernel (code|data|bss)' /proc/iomem; grep -E ' [tTdDbBrR] ' /proc/kallsyms" >"$T/g1.syms"
g G2 20 "arp -s 10.0.0.1 $MAC1" # G1 answers no ARP while its link is down (below)
seq0=$(stat_of "$(g G2 20 cat /tmp/send.stats)" seq)
# A dirtier (4 MiB rewritten in a loop) keeps QEMU iterating after its first pass over the
# RAM until the test stops it (below).
g G1 20 'setsid sh -c "while :; do dd if=/dev/zero of=/dev/shm/dirty bs=1M count=4 2>/dev/null; done" </dev/null >/dev/null 2>&1 & echo $! >/tmp/dirty.pid'
# IOVS_MIG_RECV_STOP=1 (an experiment, not a check of iovs): G1's receiver is stopped
# (SIGSTOP) for the migration, so G1's kernel keeps queueing datagrams in its socket: the
# load under which QEMU 7.2 TCG lost the most guest-CPU writes (tests/vm/README.md). The
# run ends after the RAM comparison.
[ "${IOVS_MIG_RECV_STOP:-0}" = 0 ] || g G1 20 'kill -STOP $(cat /tmp/recv.pid)'
vm_detach G1 60 || fail "G1 did not detach its agent channel"

MIG=$T/mig.sock
vm_migrate_target G1d G1 "unix:$MIG" --sock "$T/b.sock" --qemu-arg -S
for _ in $(seq 1 300); do [ -S "$MIG" ] && break; sleep 0.1; done
[ -S "$MIG" ] || { vm_logs G1d >&2; fail "the destination QEMU does not listen on $MIG"; }
vm_qmp G1 migrate-set-parameters "{\"max-bandwidth\": $MIG_BW, \"downtime-limit\": $MIG_DOWNTIME}" >/dev/null ||
	fail "migrate-set-parameters"
# iovsd's view of vm-a while the migration runs.
(
	while :; do
		f=$(vhost_field vm-a features 2>/dev/null || true)
		case " $f " in *" LOG_ALL "* | *LOG_ALL*) echo "$f" >"$T/log_all.seen" ;; esac
		sleep 0.3
	done
) &
poller=$!
t0=$(date +%s.%N)
vm_migrate_start G1 "unix:$MIG" || { kill "$poller"; fail "cannot start the migration"; }
# After the first pass (every page sent once), G1 takes eth0 down: its driver no longer
# looks at the rx ring, which iovs keeps filling. Those pages then change only through
# iovs, after QEMU sent them: only the dirty log brings them to the destination (the RAM
# comparison and the datagrams read there once eth0 is up check that). A guest that reads
# its packets dirties the pages itself and would hide a missing log.
for _ in $(seq 1 3000); do
	syncs=$(vm_migrate_status G1 | python3 -c 'import json,sys; m = json.load(sys.stdin); print(m.get("ram", {}).get("dirty-sync-count", 0), m.get("status"))')
	[ "${syncs% *}" -ge 2 ] && break
	case ${syncs#* } in failed | cancelled | completed) break ;; esac
	sleep 0.2
done
if [ "${syncs#* }" != active ] || [ "${syncs% *}" -lt 2 ]; then
	kill "$poller"
	fail "migration: $syncs (dirty-bitmap syncs, status) instead of iterating after the first pass"
fi
t_down=$(date +%s.%N)
vm_tty1_run G1 60 ip link set eth0 down || { kill "$poller"; fail "G1 could not take eth0 down"; }
seq_down=$(stat_of "$(g G2 20 cat /tmp/send.stats)" seq)
sleep 6 # about 120 datagrams into G1's rx ring (256 buffers)
vm_tty1_run G1 60 'kill $(cat /tmp/dirty.pid); rm -f /dev/shm/dirty' || { kill "$poller"; fail "G1 could not stop its dirtier"; }
vm_migrate_wait G1 600 || { kill "$poller"; fail "migration failed"; }
mig_s=$(since "$t0")
seq_done=$(stat_of "$(g G2 20 cat /tmp/send.stats)" seq)
kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
mig=$(cat "$VM_TMP/G1/migrate.json")
read -r total downtime setup ram_mb dirty_sync <<<"$(python3 -c '
import json, sys
m = json.load(sys.stdin); r = m.get("ram", {})
print(m.get("total-time", -1), m.get("downtime", -1), m.get("setup-time", -1),
      round(r.get("transferred", 0) / 1048576, 1), r.get("dirty-sync-count", -1))' <<<"$mig")"
ok "migration completed in $mig_s s (QEMU: total ${total} ms, downtime ${downtime} ms, setup ${setup} ms, ${ram_mb} MiB sent, ${dirty_sync} dirty-bitmap syncs)"

# The destination has loaded everything and waits (-S): both RAMs must be identical.
# Every differing page is printed with what it is: bytes iovs writes (G1's used rings,
# the rx buffers its used entries name, up to the length written: a write iovs did not
# log; this fails the test), other parts of the rings, a posted buffer's unwritten
# rest, the guest kernel image (symbol from /proc/kallsyms), or other guest memory.
# The first pages also get their differing bytes (source>destination). A back-end's
# unlogged used-ring writes would not show here: QEMU marks the used rings dirty itself
# when it stops vhost at the end (vhost_virtqueue_stop unmaps them as written), so this
# test is about the rx buffers; vhost-user/vhu_vq_test.c checks the used-ring log.
t_hold=$(date +%s.%N)
for _ in $(seq 1 300); do
	st=$(vm_qmp G1d query-status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
	[ "$st" = inmigrate ] || break
	sleep 0.1
done
[ "$st" = paused ] || fail "the destination QEMU is $st, not paused after the migration"
vm_qmp G1 pmemsave "{\"val\": 0, \"size\": $((MEM_KIB << 10)), \"filename\": \"$T/src.ram\"}" >/dev/null
vm_qmp G1d pmemsave "{\"val\": 0, \"size\": $((MEM_KIB << 10)), \"filename\": \"$T/dst.ram\"}" >/dev/null
ramcmp=$(python3 - "$T/src.ram" "$T/dst.ram" "$RUN/iovsd.log" "$T/a.sock" "$T/g1.syms" <<'PY'
# SRC DST IOVSD_LOG SOCK SYMS: compares two RAM dumps page by page and says, for
# every differing page, what it is from iovs's point of view (see iovs_migrate.sh).
import bisect, re, struct, sys

P = 4096
MAGIC = struct.pack("<I", 0x494F5653)
src_path, dst_path, log_path, sock, syms_path = sys.argv[1:6]
src = open(src_path, "rb").read()
dst = open(dst_path, "rb").read()

# The rings as iovsd last started them (iovsd -v): guest-physical addresses.
rings = {}
pat = re.compile(re.escape(sock) + r": ring (\d+) started \((\d+) entries, (\w+), base \d+; "
                 r"guest-physical desc 0x([0-9a-f]+) avail 0x([0-9a-f]+) used 0x([0-9a-f]+); "
                 r"log (on|off)")
for line in open(log_path, errors="replace"):
    m = pat.search(line)
    if m:
        r, n = int(m.group(1)), int(m.group(2))
        rings[r] = dict(n=n, packed=m.group(3) == "packed", desc=int(m.group(4), 16),
                        avail=int(m.group(5), 16), used=int(m.group(6), 16), log=m.group(7))

# The guest kernel image (/proc/iomem "Kernel code" .. "Kernel bss", physical) and its
# symbols (/proc/kallsyms, virtual): names for differing bytes in the image.
kimg, ksyms, ktext = [], [], None
for line in open(syms_path, errors="replace"):
    m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) : Kernel (code|data|bss)", line)
    if m:
        kimg.append((int(m.group(1), 16), int(m.group(2), 16) + 1))
        continue
    f = line.split()
    if len(f) >= 3 and len(f[0]) == 16 and int(f[0], 16) != 0:  # 0: kptr_restrict
        v = int(f[0], 16)
        ksyms.append((v, f[2], f[1]))
        if f[2] == "_text":
            ktext = v
ksyms.sort()
kvals = [k[0] for k in ksyms]
kphys = min(a for a, _ in kimg) if kimg else None

def kernel_symbol(pa):
    """'jiffies_64+0x8 (D)' for a physical address inside the kernel image, else None."""
    if kphys is None or not any(a <= pa < b for a, b in kimg):
        return None
    if ktext is None:
        return "kernel image (no symbols)"
    v = pa - kphys + ktext
    i = bisect.bisect_right(kvals, v) - 1
    if i < 0:
        return "kernel image"
    return "%s+0x%x (%s)" % (ksyms[i][1], v - ksyms[i][0], ksyms[i][2])

def u16(b, a): return struct.unpack_from("<H", b, a)[0]
def u32(b, a): return struct.unpack_from("<I", b, a)[0]
def u64(b, a): return struct.unpack_from("<Q", b, a)[0]

# Areas: (start, end, name, iovs_writes). Byte ranges iovs writes are "iovs's": a
# difference there is a write iovs did not log. Split rings only here (the test's
# guests); a packed ring's descriptor ring is written by both sides.
areas = []
for r, g in sorted(rings.items()):
    n, kind = g["n"], "rx" if r % 2 == 0 else "tx"
    if g["packed"]:
        areas.append((g["desc"], g["desc"] + 16 * n, "ring %d (%s) packed descriptors" % (r, kind), True))
        areas.append((g["avail"], g["avail"] + 4, "ring %d (%s) driver event" % (r, kind), False))
        areas.append((g["used"], g["used"] + 4, "ring %d (%s) device event" % (r, kind), True))
        continue
    areas.append((g["desc"], g["desc"] + 16 * n, "ring %d (%s) descriptor table" % (r, kind), False))
    areas.append((g["avail"], g["avail"] + 6 + 2 * n, "ring %d (%s) avail ring" % (r, kind), False))
    # used: flags, idx, elements (iovs); avail_event (not written by iovs: it polls)
    areas.append((g["used"], g["used"] + 4 + 8 * n, "ring %d (%s) used ring" % (r, kind), True))
    areas.append((g["used"] + 4 + 8 * n, g["used"] + 6 + 8 * n, "ring %d (%s) used ring avail_event" % (r, kind), False))
    # Buffers, from the source's descriptor table and used ring.
    d0, u0 = g["desc"], g["used"]
    if d0 + 16 * n > len(src) or u0 + 6 + 8 * n > len(src):
        continue
    descs = [(u64(src, d0 + 16 * i), u32(src, d0 + 16 * i + 8), u16(src, d0 + 16 * i + 12)) for i in range(n)]
    if kind == "rx":
        # The last n used entries: what iovs wrote into each buffer (one descriptor per
        # buffer: mergeable rx buffers). An entry the driver already took back and whose
        # descriptor it reused may name a newer buffer: still a posted rx buffer.
        uidx = u16(src, u0 + 2)
        for k in range(n):
            slot = (uidx - 1 - k) % n
            bid, blen = u32(src, u0 + 4 + 8 * slot), u32(src, u0 + 8 + 8 * slot)
            if bid < n and blen > 0:
                a, dl, _ = descs[bid]
                areas.append((a, a + min(blen, dl), "rx buffer (desc %d, used idx %d, %d bytes written by iovs)"
                              % (bid, (uidx - 1 - k) & 0xFFFF, blen), True))
        for i, (a, dl, fl) in enumerate(descs):
            if dl:
                areas.append((a, a + dl, "rx buffer (desc %d, %d bytes)" % (i, dl), False))
    else:
        for i, (a, dl, fl) in enumerate(descs):
            if dl and not fl & 2:
                areas.append((a, a + dl, "tx buffer (desc %d, read by iovs only)" % i, False))

def runs(x, y, base):
    out, i = [], 0
    while i < P:
        if x[i] != y[i]:
            j = i
            while j < P and (x[j] != y[j] or (j + 1 < P and x[j + 1] != y[j + 1])):
                j += 1
            out.append((base + i, base + j))
            i = j
        else:
            i += 1
    return out

pages = len(src) // P
bad = []
for p in range(pages):
    x, y = src[p * P:(p + 1) * P], dst[p * P:(p + 1) * P]
    if x != y:
        bad.append(p)
n_iovs = 0
lines = []
for k, p in enumerate(bad):
    base = p * P
    x, y = src[base:base + P], dst[base:base + P]
    rr = runs(x, y, base)
    nbytes = sum(1 for i in range(P) if x[i] != y[i])
    mine, known, kern, other = [], [], [], 0
    for (s, e) in rr:
        hit = [(a, b, name, w) for (a, b, name, w) in areas if a < e and s < b]
        for (a, b, name, w) in hit:
            lst = mine if w else known
            if not any(l.startswith(name + " +") for l in lst):
                lst.append("%s +0x%x" % (name, max(s, a) - a))
        if not hit:
            ks = kernel_symbol(s)
            if ks:
                kern.append(ks)
            else:
                other += 1
    dgram = MAGIC in x or MAGIC in y
    if dgram:
        mine.append("holds a datagram")
    if mine:
        n_iovs += 1
        what = "IOVS WROTE THIS: " + ", ".join(mine[:3]) + (" ..." if len(mine) > 3 else "")
    else:
        parts = []
        if known:
            parts.append("in %s (bytes iovs does not write)" % ", ".join(sorted(set(known))[:3]))
        if kern:
            seen = []
            for ks in kern:
                if ks.split("+")[0] not in [z.split("+")[0] for z in seen]:
                    seen.append(ks)
            parts.append("kernel image: " + ", ".join(seen[:4]) + (" ..." if len(seen) > 4 else ""))
        if other:
            parts.append("guest memory outside the kernel image, G1's rings and its rx buffers")
        what = "not iovs's: " + "; ".join(parts)
    line = "0x%x: %d bytes in %d runs, %s" % (base, nbytes, len(rr), what)
    if k < 6:
        line += "\n      src>dst " + " ".join("+0x%03x %s>%s" % (s - base, x[s - base:min(e, s + 8) - base].hex(),
                                                                  y[s - base:min(e, s + 8) - base].hex()) for (s, e) in rr[:8])
        if len(rr) > 8:
            line += " ..."
    lines.append(line)
print("pages %d differ %d iovs %d rings %s" % (pages, len(bad), n_iovs,
      ",".join("%d:%s" % (r, "desc=0x%x/avail=0x%x/used=0x%x/n=%d/log=%s" % (g["desc"], g["avail"], g["used"], g["n"], g["log"]))
               for r, g in sorted(rings.items())) or "none"))
for l in lines:
    print("  " + l)
PY
) || fail "RAM comparison: $ramcmp"
if [ -n "${IOVS_MIG_KEEP_RAM:-}" ]; then
	mkdir -p "$IOVS_MIG_KEEP_RAM"
	mv "$T/src.ram" "$T/dst.ram" "$IOVS_MIG_KEEP_RAM/"
	cp "$RUN/iovsd.log" "$IOVS_MIG_KEEP_RAM/"
fi
rm -f "$T/src.ram" "$T/dst.ram"
read -r _ ram_pages _ ram_bad _ ram_iovs _ rings <<<"$(head -n 1 <<<"$ramcmp")"
echo "# RAM comparison: $ram_pages pages, $ram_bad differ, $ram_iovs in what iovs wrote; G1's rings (iovsd): $rings"
sed -n '2,$p' <<<"$ramcmp" | sed 's/^/# /'
[ "$ram_pages" -eq $((MEM_KIB / 4)) ] || fail "RAM comparison read $ram_pages pages"
[ "$ram_iovs" = 0 ] || fail "$ram_bad guest pages differ between the source and the destination, $ram_iovs of them in bytes iovs wrote (rx buffers, used rings; above): writes iovs did not log"
if [ "$ram_bad" != 0 ]; then
	where=$(grep '^  0x' <<<"$ramcmp" | head -n 3 | sed 's/^ *//' | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
	skip "$ram_bad pages differ, none in a ring or buffer iovs wrote: $where$([ "$ram_bad" -le 3 ] || echo '; and more'). Guest-CPU writes lost by QEMU/TCG (tests/vm/README.md, \"QEMU 7.2 TCG loses guest-CPU writes\"), not iovs's; the guest may crash on the destination, so the run ends here"
fi
if [ "${IOVS_MIG_RECV_STOP:-0}" != 0 ]; then
	ok "guest RAM identical on the source and the destination ($ram_pages pages compared; receiver stopped during the migration)"
	exit 0
fi
vm_qmp G1d cont >/dev/null || fail "cannot start the destination"
hold=$(since "$t_hold")
ok "guest RAM identical on the source and the destination ($ram_pages pages compared, destination held paused $hold s)"

vm_attach G1d 120 >/dev/null || fail "G1 did not come back on the destination"
n_replies=$(g G2 20 "grep -c seq= /tmp/ping.log || true")
g G1d 20 ip link set eth0 up
t_up=$(date +%s.%N)
down_s=$(since "$t_down")
# How long until G2's ping (every 0.1 s) is answered by G1 on its new port.
for _ in $(seq 1 300); do
	[ "$(g G2 20 "grep -c seq= /tmp/ping.log || true")" -gt "$n_replies" ] && break
	sleep 0.1
done
resume_s=$(since "$t_up")
vm_stop G1
seq1=$(stat_of "$(g G2 20 cat /tmp/send.stats)" seq)
wait_running vm-b
[ "$(g G1d 20 cat /proc/sys/kernel/random/boot_id)" = "$boot1" ] || fail "G1 rebooted"
ok "G1 runs on vm-b, same boot ($boot1)"

# Ten more seconds of traffic after the migration, then stop everything.
sleep 10
g G2 20 'kill -TERM $(cat /tmp/send.pid); kill -INT $(cat /tmp/ping.pid); sleep 1; cat /tmp/send.log' >"$T/send.log"
sleep 2
g G1d 20 'kill -TERM $(cat /tmp/recv.pid); sleep 1; cat /tmp/udp.stats' >"$T/udp.stats"
g G1d 20 'cat /tmp/udp.stats.ranges' >"$T/udp.ranges"
g G2 20 'kill -TERM $(cat /tmp/rarp.pid); cat /tmp/rarp.stats' >"$T/rarp.stats"
g G2 20 cat /tmp/ping.log >"$T/ping.log"

# The dirty log, from iovsd's side.
grep -q "a.sock: dirty log of" "$RUN/iovsd.log" || fail "iovsd got no SET_LOG_BASE on vm-a"
grep -q "a.sock: dirty-page logging on" "$RUN/iovsd.log" || fail "iovsd never turned logging on for vm-a"
[ -s "$T/log_all.seen" ] || fail "iovsctl never showed LOG_ALL on vm-a during the migration"
ok "vm-a: $(grep -o 'dirty log of .*' "$RUN/iovsd.log" | head -n 1), LOG_ALL seen by iovsctl; $(grep -c 'a.sock: dirty-page logging' "$RUN/iovsd.log") logging switches"

# SEND_RARP on vm-b, and the frame at G2.
n_rarp=$(grep -c "b.sock: announcing $MAC1" "$RUN/iovsd.log" || true)
[ "$n_rarp" -ge 1 ] || fail "iovsd got no SEND_RARP for $MAC1 on vm-b"
rarp=$(cat "$T/rarp.stats")
[ "$(stat_of "$rarp" rarp)" -ge 1 ] || fail "G2 saw no RARP frame ($rarp)"
[ "$(stat_of "$rarp" last)" = "$MAC1" ] || fail "the RARP frame G2 saw is not from $MAC1: $rarp"
ok "SEND_RARP ×$n_rarp on vm-b; G2 received $(stat_of "$rarp" rarp) RARP frame(s) from $MAC1"

# The stream: every datagram intact, none twice, some during the migration, many after.
udp=$(cat "$T/udp.stats")
sent=$(sed -n 's/^sent \([0-9]*\).*/\1/p' "$T/send.log")
[ -n "$sent" ] || fail "no sender summary: $(cat "$T/send.log")"
[ "$(stat_of "$udp" bad)" = 0 ] || fail "G1 received corrupted datagrams: $udp"
[ "$(stat_of "$udp" dup)" = 0 ] || fail "G1 received datagrams twice: $udp"
during=$(awk -F- -v a="$seq0" -v b="$seq1" '{ lo = $1 > a ? $1 : a; hi = $2 < b - 1 ? $2 : b - 1;
	if (hi >= lo) n += hi - lo + 1 } END { print n + 0 }' "$T/udp.ranges")
after=$(awk -F- -v b="$seq1" '{ lo = $1 > b ? $1 : b; if ($2 >= lo) n += $2 - lo + 1 } END { print n + 0 }' "$T/udp.ranges")
held=$(awk -F- -v a="$seq_down" -v b="$seq_done" '{ lo = $1 > a ? $1 : a; hi = $2 < b - 1 ? $2 : b - 1;
	if (hi >= lo) n += hi - lo + 1 } END { print n + 0 }' "$T/udp.ranges")
[ "$held" -ge 50 ] || fail "only $held datagrams of seq $seq_down..$seq_done (written while G1's link was down) arrived: $udp"
[ "$during" -ge 100 ] || fail "only $during datagrams of seq $seq0..$seq1 (sent during the migration) arrived: $udp"
[ "$after" -ge 100 ] || fail "only $after datagrams arrived after the migration: $udp"
ok "UDP: $(stat_of "$udp" received) of $sent datagrams intact, 0 corrupted, 0 twice; $during of $((seq1 - seq0)) sent between detach and attach, among them $held written by iovs into G1's ring while its link was down during the migration and read on the destination; $after after"

# Ping: the outage, and replies after it.
read -r replies maxgap at tail_n dups <<<"$(awk '
	/seq=/ { if ($0 ~ /DUP/) { d++; next } s = $0; sub(/.*seq=/, "", s); sub(/ .*/, "", s); s += 0
		n++; if (n > 1 && s - prev > gap) { gap = s - prev; at = s } prev = s; seqs[n] = s }
	END { t = 0; for (i = 1; i <= n; i++) if (seqs[i] >= at) t++; print n + 0, gap + 0, at + 0, t, d + 0 }' "$T/ping.log")"
outage=$(awk -v g="$maxgap" 'BEGIN { printf "%.1f", g * 0.1 }')
[ "$replies" -ge 100 ] || fail "only $replies ping replies: $(tail -n 5 "$T/ping.log")"
[ "$tail_n" -ge 50 ] || fail "ping did not keep working after the outage ($tail_n replies after seq $at)"
[ "$dups" = 0 ] || fail "$dups duplicate ping replies"
ok "ping: $replies replies; answered again ${resume_s} s after G1's eth0 came up on the destination (longest gap ${outage} s, G2's clock: G1's link was down ${down_s} s for the test, the destination paused ${hold} s of it), then $tail_n replies"

# Kernel logs: no virtio or virtqueue complaint in either guest.
for v in G1d G2; do
	errs=$(g "$v" 20 "dmesg | grep -iE 'virtio|virtqueue|vring|eth0' | grep -ivE 'link (is )?up|registered|renamed' || true")
	[ -z "$errs" ] || fail "guest $v's kernel log: $errs"
done
ok "no virtio/virtqueue message in either guest's kernel log"

echo "iovs_migrate: migration ${mig_s} s (QEMU downtime ${downtime} ms), ping answered ${resume_s} s after the link came up: $CHECKS checks passed"
