#!/usr/bin/env bash
# Control/data coupling: V2V forwarding of iovs and OVS-DPDK while bench/ofl_churn applies
# 0, 100, 10,000 flow_mods/s with 1k and 100k rules installed, and the flow-install latency.
# The driver is bench/coupling.py (python3, standard library only); see bench/README.md.
#   bench/coupling.sh [--reps N] [--duration S] [--rules 1000,100000] [--rates 0,100,10000]
#                     [--switches iovs,ovs] [--smoke] [--out DIR] ...   (--help for all)
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
exec python3 -B "$here/coupling.py" "$@"
