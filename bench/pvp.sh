#!/usr/bin/env bash
# PVP benchmark of iovs against DPDK's own vhost (testpmd) and OVS-DPDK, interleaved in one run.
# The driver is bench/pvp.py (python3, standard library only); see bench/README.md.
#   bench/pvp.sh [--reps N] [--duration S] [--sizes 64,1518] [--rings split,packed]
#                [--switches iovs,dpdk,ovs] [--smoke] [--out DIR] ...   (--help for all)
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
exec python3 "$here/pvp.py" "$@"
