#!/usr/bin/env bash
# Installs what iovs needs from Debian 12 packages (only what is missing), builds it,
# and reserves hugepages (iovsd falls back to running without them, with a warning).
# Used by scripts/run.sh and scripts/check.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
	meson ninja-build pkg-config gcc clang clang-format
	libdpdk-dev dpdk dpdk-dev libjansson-dev libcmocka-dev   # dpdk-dev: dpdk-testpmd, the virtio-user guest
	libclang-rt-14-dev          # libFuzzer and sanitizer runtimes for clang
	libpci-dev libmnl-dev        # sriov/: config space through libpci, rtnetlink through libmnl
	iproute2 iputils-ping procps kmod
	qemu-system-x86 busybox-static cpio   # tests/vm: real guests (kernel fetched by apt-get download)
	openvswitch-switch-dpdk gnuplot-nox   # bench/: the OVS-DPDK baseline and the plot
	openvswitch-common openvswitch-testcontroller   # tests/integration/openflow.sh: ovs-ofctl, ovs-testcontroller
	tcpdump tshark              # tests/integration/openflow_flows.sh: captures, OpenFlow decoded by Wireshark
)
HUGEPAGES_2M=${IOVS_HUGEPAGES:-512}

if [ "$(id -u)" != 0 ]; then
	echo "setup: run as root (it installs packages and reserves hugepages)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=debugoptimized >/dev/null
fi
ninja -C build >/dev/null

# Hugepages: iovsd uses them through memfd (--in-memory), no hugetlbfs mount needed.
have=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || echo 0)
if [ "$have" -lt "$HUGEPAGES_2M" ]; then
	echo "$HUGEPAGES_2M" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || true
	have=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || echo 0)
fi
if [ "$have" -lt 128 ]; then
	echo "setup: warning: only $have hugepages of 2 MiB could be reserved;" \
	     "iovsd will run without hugepages (slower)" >&2
fi
echo "setup: built in build/, $have hugepages of 2 MiB reserved"
