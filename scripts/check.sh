#!/usr/bin/env bash
# The one check that CI and developers both run (CONVENTIONS.md 19):
#   1. gcc build, -Werror: unit tests and the integration tests with real peers
#   2. bench/pvp.sh --smoke, bench/coupling.sh --smoke, bench/viommu.sh --smoke,
#      bench/flows.sh scaling|setup --smoke:
#      the benchmarks run (tools, not timed tests)
#   3. clang build, -Werror: unit tests
#   4. ASan + UBSan build: unit tests
#   5. libFuzzer targets, a short run each from their seed corpora
#   6. clang-format --dry-run --Werror over the C sources
# Ends with one line "check: N passed, M failed, K skipped" and fails if anything did.
# FUZZ_SECONDS (default 20) sets the length of each fuzz run.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

PASS=0 FAIL=0 SKIP=0
FAILED=()
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

# Adds the counts of a 'meson test' run (its summary block) to the totals.
count_meson() { # LOGFILE STEP
	local ok fail skip
	ok=$(awk '/^Ok:/ {print $2}' "$1"); fail=$(awk '/^Fail:/ {print $2}' "$1")
	skip=$(awk '/^Skipped:/ {print $2}' "$1")
	local timeout_n=$(awk '/^Timeout:/ {print $2}' "$1")
	# An expected failure that passes is a known bug fixed: move its test.
	local upass=$(awk '/^Unexpected Pass:/ {print $3}' "$1")
	local xfail=$(awk '/^Expected Fail:/ {print $3}' "$1")
	PASS=$((PASS + ${ok:-0} + ${xfail:-0})); SKIP=$((SKIP + ${skip:-0}))
	FAIL=$((FAIL + ${fail:-0} + ${timeout_n:-0} + ${upass:-0}))
	if [ "${fail:-0}" != 0 ] || [ "${timeout_n:-0}" != 0 ] || [ "${upass:-0}" != 0 ] ||
		[ -z "$ok" ]; then
		FAILED+=("$2")
		[ -z "$ok" ] && FAIL=$((FAIL + 1))
	fi
	grep -E "^ *[0-9]+/[0-9]+ " "$1" || true
}

step() { echo; echo "=== $*"; }

meson_build() { # DIR [meson options...]
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null || return 1
	ninja -C "$dir" >/dev/null
}

step "gcc: build, unit and integration tests"
if meson_build build; then
	meson test -C build --print-errorlogs --num-processes 1 >build/check-test.log 2>&1
	tail -n 8 build/check-test.log; count_meson build/check-test.log "gcc tests"
else FAIL=$((FAIL + 1)); FAILED+=("gcc build"); fi

step "benchmark: smoke run (bench/pvp.sh --smoke)"
rc=0
bench/pvp.sh --smoke --out build/bench-smoke >build/bench-smoke.log 2>&1 || rc=$?
tail -n 12 build/bench-smoke.log
case $rc in
0) PASS=$((PASS + 1)); echo "bench smoke: ok" ;;
77) SKIP=$((SKIP + 1)); echo "bench smoke: skipped" ;;
*) FAIL=$((FAIL + 1)); FAILED+=("bench smoke") ;;
esac

step "benchmark: smoke run (bench/coupling.sh --smoke)"
rc=0
bench/coupling.sh --smoke --out build/coupling-smoke >build/coupling-smoke.log 2>&1 || rc=$?
tail -n 14 build/coupling-smoke.log
case $rc in
0) PASS=$((PASS + 1)); echo "coupling smoke: ok" ;;
77) SKIP=$((SKIP + 1)); echo "coupling smoke: skipped" ;;
*) FAIL=$((FAIL + 1)); FAILED+=("coupling smoke") ;;
esac

step "benchmark: smoke run (bench/viommu.sh --smoke)"
rc=0
bench/viommu.sh --smoke --out build/viommu-smoke >build/viommu-smoke.log 2>&1 || rc=$?
tail -n 6 build/viommu-smoke.log
case $rc in
0) PASS=$((PASS + 1)); echo "viommu smoke: ok" ;;
77) SKIP=$((SKIP + 1)); echo "viommu smoke: skipped" ;;
*) FAIL=$((FAIL + 1)); FAILED+=("viommu smoke") ;;
esac

step "benchmark: OpenFlow smoke runs (bench/flows.sh scaling --smoke, setup --smoke)"
for mode in scaling setup; do
	rc=0
	log=build/bench-flows-$mode.log
	bench/flows.sh "$mode" --smoke --out "build/bench-flows-$mode" >"$log" 2>&1 || rc=$?
	case $rc in
	0) PASS=$((PASS + 1)); echo "flows $mode smoke: ok $(grep -o '\[[0-9.]* s\]' "$log" | tail -n 1)" ;;
	77) SKIP=$((SKIP + 1)); echo "flows $mode smoke: skipped: $(tail -n 1 "$log")" ;;
	*) tail -n 30 "$log"; FAIL=$((FAIL + 1)); FAILED+=("flows $mode smoke") ;;
	esac
done

step "clang: build, unit tests"
if CC=clang meson_build build-clang; then
	meson test -C build-clang --suite unit --print-errorlogs >build-clang/check-test.log 2>&1
	tail -n 6 build-clang/check-test.log; count_meson build-clang/check-test.log "clang unit tests"
else FAIL=$((FAIL + 1)); FAILED+=("clang build"); fi

step "ASan+UBSan: unit tests"
if meson_build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --suite unit --print-errorlogs >build-asan/check-test.log 2>&1
	tail -n 6 build-asan/check-test.log; count_meson build-asan/check-test.log "ASan unit tests"
else FAIL=$((FAIL + 1)); FAILED+=("ASan build"); fi

step "libFuzzer: ${FUZZ_SECONDS}s per target"
if CC=clang meson_build build-fuzz -Dfuzz=true -Dtests=disabled; then
	for f in build-fuzz/tests/fuzz/fuzz_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=$(basename "$f"); seeds=tests/fuzz/corpus/${name#fuzz_}
		work=$(mktemp -d)
		if "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 "$work" "$seeds" \
			>"build-fuzz/$name.log" 2>&1; then
			echo "fuzz $name: ok ($(grep -c . "build-fuzz/$name.log") log lines)"; PASS=$((PASS + 1))
		else
			echo "fuzz $name: FAILED"; tail -n 30 "build-fuzz/$name.log"
			FAIL=$((FAIL + 1)); FAILED+=("fuzz $name")
		fi
		rm -rf "$work"
	done
else FAIL=$((FAIL + 1)); FAILED+=("fuzz build"); fi

step "clang-format"
if git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run --Werror; then
	PASS=$((PASS + 1)); echo "clang-format: ok"
else FAIL=$((FAIL + 1)); FAILED+=("clang-format"); fi

echo
[ ${#FAILED[@]} -gt 0 ] && echo "failed: ${FAILED[*]}"
echo "check: $PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
