#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-all.sh - run tnpu's test suites and print one summary line.
#
#   tests/run-all.sh [SUITE]...     run the named suites (default: all, in order)
#   tests/run-all.sh --list         list the suites and their commands
#
# Suites run in two lanes side by side (TNPU_TEST_JOBS=1: one after
# another): lane b is KUnit, vm-debug and module-cycle-debug, lane a the
# rest; each takes 2.5-3 min when warm on 2 cores.  Each suite's output is saved to
# build/test-logs/<suite>.log and shown when the suite ends (streamed live
# when suites run one at a time).  Results are TAP lines at the start of a line
# (`ok N - ...`, `not ok N - ...`; `# SKIP`/`# TODO` count as skipped).  A
# suite is never silently lost:
#   - a suite that exits non-zero without a `not ok` line counts one failure;
#   - a TAP plan (`1..N`) with fewer results counts the missing ones as failed;
#   - a suite that prints no TAP at all counts as one test (pass = exit 0);
#   - a missing suite (script or tool not there) is a failure.
# It does not build anything: `make test` builds first.
#
# The last line is exactly `N passed, N failed, N skipped`; the exit status
# is non-zero if anything failed.
#
# Environment: TNPU_TEST_JOBS (2 = two lanes, the default on 2+ CPUs; 1 =
# one suite at a time), TNPU_SUITE_TIMEOUT (seconds per suite, default 2400),
# TNPU_LOG_DIR (default build/test-logs),
# TNPU_VM_ARGS (extra scripts/vm.sh options for every VM suite),
# TNPU_DEBUG_VM_ARGS (vm.sh options of the debug-kernel suites; default:
# the output of scripts/debug-guest.sh, which builds the project's debug
# kernel — give another kernel tree with `scripts/debug-guest.sh KDIR`).
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$REPO/build"
LOGDIR=${TNPU_LOG_DIR:-$BUILD/test-logs}
SUITE_TIMEOUT=${TNPU_SUITE_TIMEOUT:-2400}
VM="$REPO/scripts/vm.sh ${TNPU_VM_ARGS:-}"

# name|lane|command (run by bash from the repo root).  The debug-kernel
# suites boot scripts/debug-guest.sh's kernel and guest tree; their vm.sh
# options are in $TNPU_DEBUG_VM_ARGS, which is set below when one of them
# runs.  Lanes balance the two CPUs (see "Lanes" below): lane b is the
# debug-kernel VM suites but the harness, lane a everything else.
DVM="$VM \$TNPU_DEBUG_VM_ARGS"
SUITES=(
	"firmware|a|make -s -C firmware-stub O=$BUILD/firmware check"
	"runtime|a|make -s -C runtime O=$BUILD/runtime check"
	"driver-lint|a|make -s -C driver lint"
	"qtest|a|tests/qtest/run.sh"
	"vm|a|$VM --timeout 1800 --log $LOGDIR/vm.console.log -- tnpu-run-guest-tests"
	"runtime-vm|a|$VM --timeout 600 --log $LOGDIR/runtime-vm.console.log -- tnpu-runtime-test"
	"demo|a|$VM --timeout 600 --log $LOGDIR/demo.console.log -- tnpu-digits"
	"module-cycle|a|$VM --no-load --timeout 600 --log $LOGDIR/module-cycle.console.log -- tnpu-module-cycle"
	"kunit|b|$DVM --timeout 600 --log $LOGDIR/kunit.console.log -- tnpu-kunit"
	"vm-debug|b|$DVM --timeout 2400 --log $LOGDIR/vm-debug.console.log -- tnpu-kmemleak tnpu-run-guest-tests"
	"module-cycle-debug|b|$DVM --no-load --timeout 600 --log $LOGDIR/module-cycle-debug.console.log -- tnpu-module-cycle"
	"harness|a|tests/harness/selftest.sh \$TNPU_DEBUG_VM_ARGS"
)
DEBUG_SUITES=" kunit vm-debug module-cycle-debug harness "

suite_field() {	# suite_field NAME FIELDS (cut -f: 2 = lane, 3- = command)
	local s
	for s in "${SUITES[@]}"; do
		[ "${s%%|*}" = "$1" ] && { echo "$s" | cut -d'|' -f"$2"; return 0; }
	done
	return 1
}
suite_cmd() { suite_field "$1" 3-; }
suite_lane() { suite_field "$1" 2; }

if [ "${1:-}" = "--list" ]; then
	for s in "${SUITES[@]}"; do
		printf '%-18s lane %s  %s\n' "${s%%|*}" "$(suite_lane "${s%%|*}")" "$(suite_cmd "${s%%|*}")"
	done
	exit 0
fi
if [ $# -eq 0 ]; then
	for s in "${SUITES[@]}"; do set -- "$@" "${s%%|*}"; done
fi
for name in "$@"; do
	suite_cmd "$name" >/dev/null || { echo "run-all: unknown suite '$name' (see --list)" >&2; exit 2; }
done

mkdir -p "$LOGDIR"
rm -f "$LOGDIR"/.*.pid	# left by an interrupted run: not ours to kill

# The debug-kernel suites share one prepared kernel + guest tree.  If it
# cannot be prepared they still run, and fail, rather than vanish.
for name in "$@"; do
	case "$DEBUG_SUITES" in *" $name "*) ;; *) continue ;; esac
	if [ -z "${TNPU_DEBUG_VM_ARGS:-}" ]; then
		echo "=== run-all: preparing the debug kernel and guest (scripts/debug-guest.sh)"
		TNPU_DEBUG_VM_ARGS=$("$REPO/scripts/debug-guest.sh") ||
			TNPU_DEBUG_VM_ARGS="--kernel /debug-guest.sh-failed"
	fi
	export TNPU_DEBUG_VM_ARGS
	break
done
LANE_PIDS=()
interrupted() {
	local f
	# Lanes first, so they start no further suite; then the running suites.
	[ ${#LANE_PIDS[@]} -eq 0 ] || kill -TERM "${LANE_PIDS[@]}" 2>/dev/null
	for f in "$LOGDIR"/.*.pid; do
		[ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	echo "run-all: interrupted" >&2
	exit 130
}
trap interrupted INT TERM
export CMOCKA_MESSAGE_OUTPUT=TAP
cd "$REPO" || exit 2

# Count TAP in a log: prints "pass fail skip planned".
count_tap() {
	tr -d '\r' <"$1" | awk '
		/^ok([ \t]|$)/ {
			if ($0 ~ /#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/) s++; else p++
			next
		}
		/^not ok([ \t]|$)/ {
			if ($0 ~ /#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/) s++; else f++
			next
		}
		/^1\.\.[0-9]+/ { split($1, a, "\\.\\."); plan += a[2] }
		END { printf "%d %d %d %d\n", p, f, s, plan }'
}

# suite_exec NAME CMD: run CMD, stdout and stderr together.  timeout(1)
# runs it in its own process group and forwards signals to all of it
# (vm.sh, QEMU); its pid is kept in $LOGDIR/.NAME.pid for Ctrl-C.
suite_exec() {
	bash -c 'echo $$ >"$0"; exec timeout -k 30 "$1" bash -c "$2"' \
		"$LOGDIR/.$1.pid" "$SUITE_TIMEOUT" "$2" </dev/null 2>&1
}

# run_suite NAME STREAM: run one suite, leave its log in $LOGDIR/NAME.log and
# "pass fail skip<TAB>summary line" in $LOGDIR/NAME.result.  STREAM=1 tees
# the output to the terminal as it comes; STREAM=0 (parallel lanes) prints
# the whole log once the suite is done, under a lock so lanes never
# interleave inside a suite's output.
run_suite() {
	local name=$1 stream=$2 cmd log start rc secs p f s plan missing note line
	cmd=$(suite_cmd "$name")
	log="$LOGDIR/$name.log"
	start=$SECONDS
	if [ "$stream" = 1 ]; then
		echo "=== run-all: suite $name: $cmd"
		suite_exec "$name" "$cmd" | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		echo "=== run-all: suite $name started"
		suite_exec "$name" "$cmd" >"$log"
		rc=$?
	fi
	rm -f "$LOGDIR/.$name.pid"
	secs=$((SECONDS - start))
	read -r p f s plan < <(count_tap "$log")
	note=
	if [ $((p + f + s)) -eq 0 ]; then
		# Not a TAP suite (or it died before printing any): one test.
		if [ "$rc" -eq 0 ]; then p=1; else f=1; note="no TAP output, exit $rc"; fi
	else
		missing=$((plan - p - f - s))
		if [ "$missing" -gt 0 ]; then
			f=$((f + missing))
			note="$missing planned test(s) never reported"
		elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			note="exit $rc without a failing test line"
		fi
	fi
	[ "$rc" -ne 124 ] || note="${note:+$note; }timed out after ${SUITE_TIMEOUT}s"
	line=$(printf '%-18s %4d passed %4d failed %4d skipped  exit %3d  %4ds%s' \
		"$name" "$p" "$f" "$s" "$rc" "$secs" "${note:+  ($note)}")
	printf '%d %d %d\t%s\n' "$p" "$f" "$s" "$line" >"$LOGDIR/$name.result"
	if [ "$stream" = 1 ]; then
		echo "=== run-all: $line"
	else
		(
			flock 8
			echo "=== run-all: suite $name: $cmd"
			cat "$log"
			echo "=== run-all: $line"
		) 8>"$LOGDIR/.output.lock"
	fi
}

# Lanes: with TNPU_TEST_JOBS=2 (the default on 2+ CPUs) the suites of lane
# a and lane b run side by side, each lane in list order; otherwise all run
# one after another.  The summary is always in list order.
JOBS=${TNPU_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
LANE_A=() LANE_B=()
for name in "$@"; do
	rm -f "$LOGDIR/$name.result"
	if [ "$(suite_lane "$name")" = b ]; then LANE_B+=("$name"); else LANE_A+=("$name"); fi
done
START=$SECONDS
if [ "$JOBS" -ge 2 ] && [ ${#LANE_A[@]} -gt 0 ] && [ ${#LANE_B[@]} -gt 0 ]; then
	echo "=== run-all: two lanes side by side (TNPU_TEST_JOBS=1 runs them in turn);" \
	     "each suite's output is shown when it ends"
	echo "===   lane a: ${LANE_A[*]}"
	echo "===   lane b: ${LANE_B[*]}"
	( for name in "${LANE_A[@]}"; do run_suite "$name" 0; done ) &
	LANE_PIDS+=($!)
	( for name in "${LANE_B[@]}"; do run_suite "$name" 0; done ) &
	LANE_PIDS+=($!)
	wait
else
	for name in "$@"; do run_suite "$name" 1; done
fi

TOTAL_P=0 TOTAL_F=0 TOTAL_S=0
SUMMARY=()
for name in "$@"; do
	if IFS=$'\t' read -r counts line <"$LOGDIR/$name.result" 2>/dev/null; then
		read -r p f s <<<"$counts"
	else
		p=0 f=1 s=0
		line=$(printf '%-18s did not report a result' "$name")
	fi
	SUMMARY+=("$line")
	TOTAL_P=$((TOTAL_P + p)) TOTAL_F=$((TOTAL_F + f)) TOTAL_S=$((TOTAL_S + s))
done

echo
echo "=== run-all: summary after $((SECONDS - START))s (logs in ${LOGDIR#"$REPO"/})"
printf '  %s\n' "${SUMMARY[@]}"
echo "$TOTAL_P passed, $TOTAL_F failed, $TOTAL_S skipped"
[ "$TOTAL_F" -eq 0 ]
