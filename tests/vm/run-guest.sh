#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-guest.sh - run the tnpu VM test suite inside the guest (installed as
# /usr/bin/tnpu-run-guest-tests).  Prints TAP from every suite program and
# exits non-zero if any test failed.
#
# Environment:
#   TNPU_SUITES            programs to run (default: abi jobs ops stress hang)
#   TNPU_SKIP_HANG=1       leave out tnpu-test-hang (it takes ~2 job timeouts)
#   TNPU_HANG_TIMEOUT_MS=N reload tnpu.ko with job_timeout_ms=N for the hang
#                          suite (and back to the default afterwards)
#   TNPU_DEV               device node (default: first /dev/accel/accel* named "tnpu")

SUITES=${TNPU_SUITES:-abi jobs ops stress hang}
export CMOCKA_MESSAGE_OUTPUT=TAP
BIN=$(dirname "$0")
TMP=$(mktemp /tmp/tnpu-tap.XXXXXX) || exit 2
failed_progs=0
passed=0
failed=0

reload_tnpu() {
	rmmod tnpu || return 1
	# shellcheck disable=SC2086
	insmod /lib/modules/tnpu.ko $1 || return 1
	# wait for the node (udev-less guest: devtmpfs creates it)
	i=0
	while [ $i -lt 50 ] && ! ls /dev/accel/accel* >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}

for s in $SUITES; do
	prog="$BIN/tnpu-test-$s"
	[ -x "$prog" ] || prog="tnpu-test-$s"
	if [ "$s" = hang ] && [ "${TNPU_SKIP_HANG:-0}" = 1 ]; then
		echo "# skipping tnpu-test-hang (TNPU_SKIP_HANG=1)"
		continue
	fi
	reloaded=0
	if [ "$s" = hang ] && [ -n "${TNPU_HANG_TIMEOUT_MS:-}" ]; then
		if reload_tnpu "job_timeout_ms=$TNPU_HANG_TIMEOUT_MS"; then
			reloaded=1
		else
			echo "# could not reload tnpu.ko; hang suite uses the loaded job_timeout_ms"
		fi
	fi
	echo "# ---- tnpu-test-$s"
	"$prog" >"$TMP" 2>&1
	rc=$?
	# cmocka 1.1 prints skipped tests as "not ok N # SKIP": TAP says "ok".
	sed -e 's/^not ok \([0-9]*\) # SKIP/ok \1 # SKIP/' "$TMP"
	p=$(grep -c '^ok ' "$TMP")
	f=$(grep -c '^not ok ' "$TMP")
	[ "$(grep -c '^not ok [0-9]* # SKIP' "$TMP")" -gt 0 ] &&
		f=$((f - $(grep -c '^not ok [0-9]* # SKIP' "$TMP")))
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $rc -ne 0 ] || [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
		echo "# tnpu-test-$s: exit status $rc, $f failed"
		failed_progs=$((failed_progs + 1))
	fi
	if [ $reloaded = 1 ]; then
		reload_tnpu "" || echo "# could not reload tnpu.ko with defaults"
	fi
done
rm -f "$TMP"
echo "# tnpu vm suite: $passed passed, $failed failed ($failed_progs programs failed)"
[ $failed_progs -eq 0 ]
