#!/bin/sh
# Instructions per packet of the vhost-user fast path, the same on every run:
# bench/micro/vhu_micro under callgrind, counting only micro_host_step() (the
# device side; the in-process guest is not counted). See bench/README.md.
#   bench/micro/callgrind.sh [BUILD_DIR [ITERS [CONFIG...]]]
# A CONFIG is vhu_micro's options with ',' for spaces, e.g. "--packed,--size,1518".
# With IOVS_MICRO_KEEP=DIR the callgrind.out files stay there for
# callgrind_annotate.
set -eu
build=${1:-build}
iters=${2:-2000}
shift 2 2>/dev/null || shift $#
prog=$build/bench/micro/vhu_micro
[ -x "$prog" ] || { echo "no $prog: build first (ninja -C $build)" >&2; exit 1; }
if [ $# -eq 0 ]; then
	set -- "" "--packed" "--size,1518" "--packed,--size,1518" "--mrg" "--packed,--mrg" \
		"--pvp" "--pvp,--packed" "--pvp,--size,1518" "--pvp,--packed,--size,1518"
fi
keep=${IOVS_MICRO_KEEP:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" /var/run/dpdk/iovs-micro-$$-*' EXIT
i=0
for cfg in "$@"; do
	i=$((i + 1))
	args=$(echo "$cfg" | tr ',' ' ')
	out=$tmp/callgrind.out.$i
	# shellcheck disable=SC2086
	line=$(valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=micro_host_step --dump-instr=no \
		"$prog" -l 0 --no-huge --no-pci -m 256 --no-shconf --log-level=error \
		--file-prefix "iovs-micro-$$-$i" -- $args --iters "$iters" 2>/dev/null |
		grep '^ring=')
	pkts=$(echo "$line" | sed 's/.*packets=\([0-9]*\).*/\1/')
	ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
	# The warm-up steps (64) are counted too: subtract them in proportion.
	echo "$line" | sed 's/ cycles.*//' | tr '\n' ' '
	awk -v ir="$ir" -v p="$pkts" -v it="$iters" \
		'BEGIN { printf "Ir/pkt=%.1f\n", ir * it / (it + 64) / p }'
	[ -z "$keep" ] || cp "$out" "$keep/callgrind.out.$(echo "$args" | tr -d ' -' )"
done
