#!/usr/bin/env bash
# Sets everything up and runs iovsd in the foreground with the default
# configuration (bridge br0 with a tap port "host0", interface iovs0), or with
# whatever options are given (see: build/iovsd/iovsd --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/iovsd/iovsd "$@"
