#!/bin/sh
# SPDX-License-Identifier: MIT
#
# kmemleak.sh - run a workload, unload tnpu.ko and fail on any leak that
# kmemleak then finds.  Runs in the guest on a kernel with
# CONFIG_DEBUG_KMEMLEAK (the debug kernel), with tnpu.ko loaded:
#
#   scripts/vm.sh $(scripts/debug-guest.sh) -- tnpu-kmemleak tnpu-run-guest-tests
#
# The workload's own output (TAP) passes through; this adds its own TAP
# lines.  Objects kmemleak suspected before the workload (boot-time
# allocations) are forgotten first with "clear", so only what the workload
# and the unload leave behind counts.  A report goes to the console, where
# scripts/vm.sh also fails the run on "unreferenced object".
K=/sys/kernel/debug/kmemleak
n=0
fail=0
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

if [ ! -e "$K" ]; then
	echo "not ok 1 - $K exists (kernel without CONFIG_DEBUG_KMEMLEAK?)"
	exit 1
fi
echo clear >"$K"

rc=0
if [ $# -gt 0 ]; then
	"$@"
	rc=$?
fi

rmmod tnpu
tap $? "rmmod tnpu after the workload"
[ -e /dev/accel/accel0 ]
tap $((!$?)) "/dev/accel/accel0 gone after rmmod"

# kmemleak reports an object only once it is older than its minimum age
# (5 s) and unreferenced in a scan; scan twice to settle.
sleep 6
echo scan >"$K"
echo scan >"$K"
report=$(cat "$K")
if [ -n "$report" ]; then
	echo "# kmemleak report:"
	echo "$report"
	tap 1 "kmemleak: no leaks after the workload and rmmod"
else
	tap 0 "kmemleak: no leaks after the workload and rmmod"
fi

[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
