#!/usr/bin/env bash
# OpenFlow benchmarks of iovs against OVS-DPDK on the V2V topology (bench/v2v.py), interleaved:
#   bench/flows.sh scaling [--reps N] [--duration S] [--counts 1,10,...] [--switches iovs,ovs]
#                          [--smoke] [--out DIR]      throughput with 1..1M installed flows
#   bench/flows.sh setup   [--reps N] [--flows N] [--modes plain,bundle] [--smoke] ...
#                                                     add-flows rate, plain and --bundle
# The driver is bench/flows.py (python3, standard library only); see bench/README.md.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
exec python3 "$here/flows.py" "$@"
