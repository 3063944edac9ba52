#!/bin/sh
# SPDX-License-Identifier: MIT
#
# module-cycle.sh - load, use, unload and reload tnpu.ko inside the test VM.
# Installed in the guest as /usr/bin/tnpu-module-cycle by the top-level
# Makefile; run with the module NOT loaded:
#
#   scripts/vm.sh --no-load -- tnpu-module-cycle
#
# Prints TAP.  Kernel warnings during any step fail the run through vm.sh's
# console check.  Environment: TNPU_KO (default /lib/modules/tnpu.ko).

KO=${TNPU_KO:-/lib/modules/tnpu.ko}
NODE=/dev/accel/accel0
SYSNODE=/sys/class/accel/accel0
n=0
failed=0

ok() {			# ok CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
diag() { echo "# $*"; }

# wait_for present|absent PATH SECONDS
wait_for() {
	i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		if [ "$1" = present ]; then [ -e "$2" ] && return 0
		else [ -e "$2" ] || return 0; fi
		usleep 100000
		i=$((i + 1))
	done
	return 1
}

loaded() { [ -d /sys/module/tnpu ]; }

load_and_check() {	# load_and_check ROUND
	insmod "$KO"
	ok $? "round $1: insmod $KO"
	wait_for present "$NODE" 10
	ok $? "round $1: $NODE appears"
	drv=$(basename "$(readlink "$SYSNODE/device/driver" 2>/dev/null)" 2>/dev/null)
	[ "$drv" = tnpu ]
	ok $? "round $1: sysfs driver of accel0 is tnpu (got '${drv:-none}')"
	if command -v tnpu-info >/dev/null 2>&1; then
		tnpu-info
		ok $? "round $1: tnpu-info"
	else
		skip "round $1: tnpu-info" "tnpu-info not installed"
	fi
}

unload_and_check() {	# unload_and_check ROUND
	rmmod tnpu
	ok $? "round $1: rmmod tnpu"
	wait_for absent "$NODE" 10
	ok $? "round $1: $NODE is gone"
	! loaded
	ok $? "round $1: /sys/module/tnpu is gone"
}

echo "TAP version 13"
[ -f "$KO" ]
ok $? "$KO exists"
! loaded
ok $? "tnpu is not loaded at start (run with vm.sh --no-load)"
loaded && rmmod tnpu

load_and_check 1

# An open file holds a module reference: rmmod must refuse, not tear down
# under the user.  A background sleep holds the file open (a failed open
# there only fails that command, not this script).
sleep 600 3<>"$NODE" &
holder=$!
usleep 300000
if kill -0 "$holder" 2>/dev/null; then
	rmmod tnpu 2>/dev/null
	rc=$?
	[ "$rc" -ne 0 ] && loaded
	ok $? "round 1: rmmod refused while $NODE is open"
	kill "$holder"
	wait "$holder" 2>/dev/null
	# If it was (wrongly) removed, put it back so the remaining steps run.
	loaded || insmod "$KO"
else
	ok 1 "round 1: open $NODE read-write"
fi

unload_and_check 1
load_and_check 2
unload_and_check 2

echo "1..$n"
[ "$failed" -eq 0 ] || diag "$failed of $n checks failed"
[ "$failed" -eq 0 ]
