#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# selftest.sh - prove the debug VM run catches real bugs.
#
#   tests/harness/selftest.sh [DEBUG-VM-ARGS...]
#
# For each bug tests/harness/inject.sh can plant, build tnpu.ko from a
# bugged copy of the sources for the debug kernel, boot it with a workload
# that reaches the bug, and check that the run fails with the checker's own
# report in the console:
#
#   uaf          the ABI suite's BO_INFO tests    BUG: KASAN: slab-use-after-free
#   bo-leak      tnpu-runtime-test, rmmod tnpu    WARNING: ... drm_mm_takedown
#   status-leak  tnpu-kmemleak tnpu-runtime-test  unreferenced object 0x...
#
# Each workload is the smallest that reaches its bug, so the three boots
# stay short; the full suites run on the same kernel in vm-debug.  The
# use-after-free report must also come out decoded to file:line
# (scripts/decode-console.sh; skipped on a kernel without debug info).
#
# DEBUG-VM-ARGS are scripts/debug-guest.sh's output (default: run it).
# Prints TAP; everything is built under build/harness/.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$REPO/build/harness

[ $# -gt 0 ] || set -- $("$REPO/scripts/debug-guest.sh") || exit 1
ARGS=("$@")
KVER='' MODROOT='' GUEST=''
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) KVER=$2 ;;
	--modroot) MODROOT=$2 ;;
	--guest) GUEST=$2 ;;
	esac
	shift
done
KDIR=${MODROOT%/mods}
[ -n "$KVER" ] && [ -d "$KDIR" ] && [ -d "$GUEST" ] || {
	echo "not ok 1 - debug VM arguments (got: ${ARGS[*]})"
	exit 1
}

n=0 failed=0
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# plant BUG PATTERN DESCRIPTION -- WORKLOAD...
plant() {
	local bug=$1 pattern=$2 what=$3
	local dir=$WORK/$bug log=$WORK/$bug/console.log rc
	shift 4

	rm -rf "$dir"
	mkdir -p "$dir/src"
	cp -a "$REPO/Kbuild" "$REPO/include" "$REPO/uapi" "$dir/src/"
	mkdir -p "$dir/src/driver"
	cp -a "$REPO"/driver/Kbuild "$REPO"/driver/*.[ch] "$REPO/driver/tests" "$dir/src/driver/"
	rm -f "$dir"/src/driver/*.mod.c
	if ! "$REPO/tests/harness/inject.sh" "$bug" "$dir/src"; then
		tap 1 "$what: inject the bug"
		return
	fi
	if ! make -s -C "$KDIR" M="$dir/src" modules >"$dir/build.log" 2>&1; then
		sed 's/^/# /' "$dir/build.log"
		tap 1 "$what: build the bugged tnpu.ko"
		return
	fi
	cp -a "$GUEST" "$dir/guest"
	install -m 0644 "$dir/src/driver/tnpu.ko" "$dir/guest/lib/modules/tnpu.ko"

	"$REPO/scripts/vm.sh" "${ARGS[@]}" --guest "$dir/guest" --timeout 600 \
		--log "$log" -- "$@" >"$dir/vm.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -Eq -- "$pattern" "$log"; then
		grep -Em1 -- "$pattern" "$log" | sed 's/^/# caught: /'
		tap 0 "$what: the run fails with the checker's report"
	else
		tail -n 20 "$dir/vm.out" | sed 's/^/# /'
		tap 1 "$what: the run fails with the checker's report (vm.sh exit $rc, '$pattern' $(grep -Ec -- "$pattern" "$log" 2>/dev/null || echo 0) times)"
	fi
}

plant uaf "BUG: KASAN: slab-use-after-free" "use-after-free planted in BO_INFO" \
	-- env 'TNPU_TEST_FILTER=test_bo_info*' tnpu-test-abi
# vm.sh decodes the report when the kernel has line tables: the frames of
# the planted bug must name the driver's source file and line.
decoded=$WORK/uaf/console.log.decoded
if ! "$REPO/scripts/decode-console.sh" --kernel "$KDIR/arch/x86/boot/bzImage" --check; then
	tap 0 "use-after-free report decoded to source lines # SKIP $KDIR has no vmlinux with debug info"
elif grep -Eq 'tnpu_gem\.c:[0-9]+' "$decoded" 2>/dev/null; then
	grep -Em1 'tnpu_gem\.c:[0-9]+' "$decoded" | sed 's/^ */# decoded: /'
	tap 0 "use-after-free report decoded to source lines"
else
	tap 1 "use-after-free report decoded to source lines (no tnpu_gem.c:LINE in $decoded)"
fi
plant bo-leak "WARNING: .* drm_mm_takedown" "buffer object leak planted in BO_CREATE" \
	-- sh -c 'tnpu-runtime-test; rmmod tnpu'
plant status-leak "unreferenced object 0x" "job status leak planted in WAIT" \
	-- tnpu-kmemleak tnpu-runtime-test

echo "1..$n"
[ "$failed" -eq 0 ]
