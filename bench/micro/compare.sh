#!/bin/sh
# TSC cycles per packet of two builds of bench/micro/vhu_micro, interleaved
# (A B A B ...) on CPU 0, with the median of each and their ratio: on a noisy
# host only the paired comparison means something (bench/README.md).
#   bench/micro/compare.sh BUILD_A BUILD_B [REPS [ITERS [CONFIG...]]]
# A CONFIG is vhu_micro's options with ',' for spaces, e.g. "--pvp,--packed".
set -eu
a=$1/bench/micro/vhu_micro
b=$2/bench/micro/vhu_micro
reps=${3:-5}
iters=${4:-30000}
shift 2
shift 2 2>/dev/null || shift $#
for p in "$a" "$b"; do [ -x "$p" ] || { echo "no $p" >&2; exit 1; }; done
if [ $# -eq 0 ]; then
	set -- "" "--packed" "--size,1518" "--packed,--size,1518" "--pvp" "--pvp,--packed" \
		"--pvp,--size,1518" "--pvp,--packed,--size,1518"
fi
trap 'rm -rf /var/run/dpdk/iovs-micro-$$' EXIT
run() {
	# shellcheck disable=SC2086
	"$1" -l 0 --no-huge --no-pci -m 256 --no-shconf --log-level=error \
		--file-prefix "iovs-micro-$$" -- $2 --iters "$iters" |
		sed -n 's/.*cycles\/pkt=\([0-9.]*\).*/\1/p'
}
median() { sort -n | awk '{v[NR] = $1} END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-28s %10s %10s %8s\n' config A B B/A
for cfg in "$@"; do
	args=$(echo "$cfg" | tr ',' ' ')
	ra="" rb=""
	i=0
	while [ $i -lt "$reps" ]; do
		ra="$ra $(run "$a" "$args")"
		rb="$rb $(run "$b" "$args")"
		i=$((i + 1))
	done
	ma=$(echo "$ra" | tr ' ' '\n' | grep . | median)
	mb=$(echo "$rb" | tr ' ' '\n' | grep . | median)
	printf '%-28s %10.1f %10.1f %8.2f\n' "${args:-vhost split 64}" "$ma" "$mb" \
		"$(awk -v a="$ma" -v b="$mb" 'BEGIN { print b / a }')"
done
