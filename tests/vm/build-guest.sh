#!/bin/bash
# Builds the guest kernel + initramfs used by tests/vm/vm.sh, into a cache directory.
#
#   tests/vm/build-guest.sh [--force] [--quiet]
#
# Cache: $IOVS_VM_CACHE, or build/vm-cache at the top of the source tree. Idempotent: a
# second run with the same inputs does nothing (< 0.1 s) and needs no network. Inputs:
#   - the kernel package that linux-image-amd64 depends on (apt-cache, local lists);
#   - tests/vm/init, this script, /bin/busybox, the module list, extra binaries.
# Output: $CACHE/guest.env with IOVS_VM_KERNEL (uncompressed vmlinux, booted by QEMU
# through PVH), IOVS_VM_INITRD (newc cpio) and IOVS_VM_KVER.
#
# Environment:
#   IOVS_VM_CACHE          cache directory
#   IOVS_VM_EXTRA_MODULES  more modules for the guest (names, space separated), e.g.
#                          "vfio_pci e1000e"; their dependencies come along
#   IOVS_VM_EXTRA_BINS     host programs copied into the guest with the shared
#                          libraries ldd lists (default: ethtool if the host has it)
# Exit status: 0 built or up to date, 1 failure (with the reason on stderr).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${IOVS_VM_CACHE:-$TOP/build/vm-cache}
# pvpanic_mmio: a guest panic ends QEMU at once (-device pvpanic -action panic=exit-failure).
# vfio_pci, vfio_iommu_type1, e1000e, e1000, nvme, tun: the passthrough tests (emulated NICs and
# the NVMe SR-IOV PF bound to vfio-pci behind the emulated IOMMU); one list for every test so
# that the cache holds one kernel tree.
MODULES="virtio_pci virtio_net 9p 9pnet_virtio pvpanic_mmio vfio_pci vfio_iommu_type1 e1000e e1000 nvme tun ${IOVS_VM_EXTRA_MODULES:-}"
if [ -z "${IOVS_VM_EXTRA_BINS+set}" ]; then
	IOVS_VM_EXTRA_BINS=$(PATH=$PATH:/usr/sbin:/sbin command -v ethtool || true)
fi
FORCE=0 QUIET=0
for a in "$@"; do
	case $a in
	--force) FORCE=1 ;;
	--quiet) QUIET=1 ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "build-guest.sh: unknown option $a" >&2; exit 1 ;;
	esac
done

die() { echo "build-guest.sh: error: $*" >&2; exit 1; }
say() { [ "$QUIET" = 1 ] || echo "build-guest.sh: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

for tool in apt-cache apt-get dpkg-deb depmod modprobe cpio xz sha256sum flock; do
	command -v "$tool" >/dev/null || die "missing host tool '$tool'"
done
/bin/busybox --list 2>/dev/null | grep -x ash >/dev/null ||
	die "/bin/busybox is missing (apt-get install busybox-static)"
if ldd /bin/busybox >/dev/null 2>&1; then
	die "/bin/busybox is dynamically linked: the guest needs busybox-static"
fi

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
# One builder at a time (tests may start in parallel).
exec 9>"$CACHE/.lock"
flock 9

T0=$(now)

# --- 1. Which kernel: the package linux-image-amd64 depends on (local apt lists, offline).
# apt-cache takes 0.5-1.5 s here: its answer is reused while the apt lists stay the same. ---
APT_STAMP=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
PKG=""
if [ "$FORCE" = 0 ] && [ "$(sed -n 's/^IOVS_VM_APT_STAMP=//p' "$CACHE/guest.env" 2>/dev/null)" = "$APT_STAMP" ]; then
	PKG=$(sed -n 's/^IOVS_VM_PKG=//p' "$CACHE/guest.env")
fi
if [ -z "$PKG" ]; then
	PKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/^ *\|?Depends: linux-image-[0-9]/ { print $2; exit }') || true
fi
if [ -z "$PKG" ]; then
	# No apt lists (or no metapackage): use whatever kernel is already cached.
	PKG=$(sed -n 's/^IOVS_VM_PKG=//p' "$CACHE/guest.env" 2>/dev/null || true)
	[ -n "$PKG" ] || die "apt-cache knows no linux-image-amd64 and nothing is cached; run 'apt-get update'"
	say "apt-cache knows no linux-image-amd64; keeping the cached $PKG"
fi

# --- 2. Kernel: vmlinux (for PVH) + the selected modules, per kernel version, unpacked from
# the .deb (downloaded once and kept: a new module list needs no network either). ---
MODLIST_KEY=$(echo "$MODULES" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
kver_of() { local v=${1#linux-image-}; echo "${v%-unsigned}"; }
deb_of() { { find "$CACHE/debs" -maxdepth 1 -name "$1_*.deb" 2>/dev/null || true; } | sort -V | tail -n 1; }
kernel_ok() { # kernel_ok KVER: unpacked, with the wanted modules
	local k=$CACHE/kernel-$1
	[ "$FORCE" = 0 ] && [ -s "$k/vmlinux" ] && [ -s "$k/load-order" ] &&
		[ "$(cat "$k/modules.key" 2>/dev/null)" = "$MODLIST_KEY" ]
}
# get_deb PKG: the cached .deb, or apt-get download; returns 1 (with APT_OUT) on failure.
get_deb() {
	local t
	[ -z "$(deb_of "$1")" ] || return 0
	mkdir -p "$CACHE/debs"
	say "downloading $1 (apt-get download)"
	t=$(now)
	# Into a scratch directory first: a failed download leaves no partial .deb behind.
	rm -rf "$CACHE/debs/.partial"
	mkdir "$CACHE/debs/.partial"
	if ! APT_OUT=$(cd "$CACHE/debs/.partial" && apt-get download "$1" 2>&1); then
		rm -rf "$CACHE/debs/.partial"
		return 1
	fi
	mv "$CACHE"/debs/.partial/*.deb "$CACHE/debs/" 2>/dev/null || true
	rm -rf "$CACHE/debs/.partial"
	[ -n "$(deb_of "$1")" ] || { APT_OUT="apt-get download $1 produced no .deb"; return 1; }
	say "downloaded in $(since "$t") s"
	echo "$(date -Is) download $1 $(since "$t") s" >>"$CACHE/build-times.log"
}

# extract_vmlinux BZIMAGE OUT: the compressed payload of a bzImage, decompressed.
# Boot protocol header: setup_sects at 0x1f1 (the protected-mode part starts at
# (setup_sects + 1) * 512), "HdrS" at 0x202, payload_offset/payload_length at 0x248/0x24c
# (relative to the protected-mode part).
extract_vmlinux() {
	local bz=$1 out=$2 magic setup off len kind
	magic=$(od -An -c -j $((0x202)) -N4 "$bz" | tr -d ' ')
	[ "$magic" = HdrS ] || die "$bz: not a bzImage (no HdrS header)"
	setup=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	[ "$setup" -ne 0 ] || setup=4
	read -r off len < <(od -An -tu4 -j $((0x248)) -N8 "$bz")
	[ "$len" -gt 0 ] || die "$bz: boot protocol too old (no payload_offset)"
	off=$(((setup + 1) * 512 + off))
	payload() { dd if="$bz" bs=64K iflag=skip_bytes,count_bytes skip="$off" count="$1" status=none; }
	kind=$(payload 6 | od -An -tx1 | tr -d ' \n')
	case $kind in
	fd377a585a00) payload "$len" | xz -dc --single-stream >"$out" ;;
	1f8b*) payload "$len" | { gzip -dc 2>/dev/null || [ $? = 2 ]; } >"$out" ;;
	28b52ffd*) payload "$len" | zstd -dc -q >"$out" ;;
	*) die "$bz: unknown payload compression (magic $kind)" ;;
	esac
	[ "$(od -An -tx1 -N4 "$out" | tr -d ' \n')" = 7f454c46 ] ||
		die "$bz: the decompressed payload is not an ELF image"
	if command -v readelf >/dev/null &&
		! readelf -n "$out" | grep 'Xen.*0x00000012' >/dev/null; then
		die "$bz: vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); kernel without CONFIG_PVH?"
	fi
}

KVER=$(kver_of "$PKG")
if ! kernel_ok "$KVER"; then
	if ! get_deb "$PKG"; then
		# Offline, and apt's lists name a kernel we never fetched: keep the cached one.
		OLD=$(sed -n 's/^IOVS_VM_PKG=//p' "$CACHE/guest.env" 2>/dev/null || true)
		if [ -n "$OLD" ] && [ "$OLD" != "$PKG" ] &&
			{ kernel_ok "$(kver_of "$OLD")" || [ -n "$(deb_of "$OLD")" ]; }; then
			say "warning: cannot download $PKG; keeping the cached $OLD"
			PKG=$OLD
			APT_STAMP=retry # ask apt again next time
			KVER=$(kver_of "$PKG")
		else
			printf '  apt-get: %s\n' "${APT_OUT//$'\n'/$'\n'  apt-get: }" >&2
			die "cannot download the guest kernel package $PKG with 'apt-get download' (no network or apt source?), and $CACHE has no usable kernel"
		fi
	fi
fi
KDIR=$CACHE/kernel-$KVER
if ! kernel_ok "$KVER"; then
	DEB=$(deb_of "$PKG")
	t=$(now)
	say "unpacking $(basename "$DEB")"
	X=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	trap 'rm -rf "$X"' EXIT
	dpkg-deb -x "$DEB" "$X/root"
	BZ=$(find "$X/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
	[ -n "$BZ" ] || die "$DEB has no /boot/vmlinuz-*"
	KVER=${BZ##*/vmlinuz-}
	KDIR=$CACHE/kernel-$KVER
	rm -rf "$KDIR.new"
	mkdir -p "$KDIR.new/modules"
	extract_vmlinux "$BZ" "$KDIR.new/vmlinux"
	depmod -b "$X/root" "$KVER"
	# insmod lines in load order (dependencies first), de-duplicated; "builtin" lines skipped.
	# shellcheck disable=SC2086 # MODULES is a word list
	modprobe -a --show-depends -d "$X/root" -S "$KVER" $MODULES >"$X/deps" 2>"$X/deps.err" ||
		die "modprobe --show-depends failed for '$MODULES': $(cat "$X/deps.err")"
	: >"$KDIR.new/load-order"
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$X/deps" | while read -r ko; do
		name=$(basename "$ko")
		case $name in
		*.ko.xz) xz -dc "$ko" >"$KDIR.new/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -dcq "$ko" >"$KDIR.new/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$ko" >"$KDIR.new/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$ko" "$KDIR.new/modules/$name" ;;
		esac
		echo "$name" >>"$KDIR.new/load-order"
	done
	echo "$MODLIST_KEY" >"$KDIR.new/modules.key"
	rm -rf "$KDIR"
	mv "$KDIR.new" "$KDIR"
	rm -rf "$X"
	trap - EXIT
	KERNEL_TIME=$(since "$t")
	say "kernel $KVER: vmlinux + $(wc -l <"$KDIR/load-order") modules in $KERNEL_TIME s"
	echo "$(date -Is) kernel $KVER unpacked+vmlinux+modules $KERNEL_TIME s" >>"$CACHE/build-times.log"
fi

# --- 4. Initramfs: busybox + modules + /init (+ extra binaries). ---
bin_key() {
	local b
	for b in $IOVS_VM_EXTRA_BINS; do sha256sum "$b" | cut -c1-16; done
}
KEY=$(
	{
		echo "$KVER"
		sha256sum "$HERE/init" "$0" /bin/busybox "$KDIR/load-order" | cut -c1-64
		bin_key
	} | sha256sum | cut -c1-16
)
INITRD=$CACHE/initramfs-$KEY.cpio
if [ "$FORCE" = 1 ] || [ ! -s "$INITRD" ]; then
	t=$(now)
	R=$(mktemp -d "$CACHE/.initramfs.XXXXXX")
	trap 'rm -rf "$R"' EXIT
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,root,mnt,lib/modules}
	cp /bin/busybox "$R/bin/busybox"
	/bin/busybox --list-full | while read -r p; do
		[ "$p" = bin/busybox ] || [ -e "$R/$p" ] || ln -s /bin/busybox "$R/$p"
	done
	cp "$HERE/init" "$R/init"
	chmod 755 "$R/init"
	cp "$KDIR"/modules/*.ko "$R/lib/modules/"
	cp "$KDIR/load-order" "$R/lib/modules/load-order"
	for b in $IOVS_VM_EXTRA_BINS; do
		[ -x "$b" ] || die "IOVS_VM_EXTRA_BINS: $b is not an executable"
		cp "$b" "$R/usr/sbin/$(basename "$b")"
		ldd "$b" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
			mkdir -p "$R$(dirname "$lib")"
			cp -L "$lib" "$R$lib"
		done
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
	echo "root:x:0:" >"$R/etc/group"
	(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$R"
	trap - EXIT
	INITRD_TIME=$(since "$t")
	say "initramfs $(basename "$INITRD") ($(($(stat -c %s "$INITRD") / 1024)) KiB) in $INITRD_TIME s"
	echo "$(date -Is) initramfs $KEY $INITRD_TIME s" >>"$CACHE/build-times.log"
	# Old initramfs images of this cache are stale now.
	find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "$(basename "$INITRD")" -delete
fi

cat >"$CACHE/guest.env.tmp" <<EOF
IOVS_VM_APT_STAMP=$APT_STAMP
IOVS_VM_PKG=$PKG
IOVS_VM_KVER=$KVER
IOVS_VM_KERNEL=$KDIR/vmlinux
IOVS_VM_INITRD=$INITRD
EOF
mv "$CACHE/guest.env.tmp" "$CACHE/guest.env"
say "guest ready in $(since "$T0") s: $CACHE/guest.env"
