#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/qtest/run.sh [QEMU] - device-level tests of -device tnpu over qtest.
#
# QEMU defaults to the output of scripts/build-qemu.sh.  The firmware image is
# built with build/firmware/tnpu-fwbuild if present, else
# build/firmware/tnpu-fw.bin is used, else the test builds one itself.
# Prints TAP and a final "N passed, N failed" line; exit status 1 on failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
QEMU=${1:-}
if [ -z "$QEMU" ]; then
	QEMU=$("$REPO/scripts/build-qemu.sh") || {
		echo "not ok 1 - build QEMU with the tnpu device"
		echo "0 passed, 1 failed"
		exit 1
	}
fi
[ -x "$QEMU" ] || { echo "qtest: $QEMU is not executable" >&2; exit 1; }

FWDIR=${TNPU_FW_DIR:-$REPO/build/firmware}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FW=
if [ -x "$FWDIR/tnpu-fwbuild" ] && "$FWDIR/tnpu-fwbuild" -o "$tmp/tnpu-fw.bin" >/dev/null; then
	FW=$tmp/tnpu-fw.bin
elif [ -f "$FWDIR/tnpu-fw.bin" ]; then
	FW=$FWDIR/tnpu-fw.bin
fi

exec timeout 300 /usr/bin/python3 "$HERE/test_tnpu.py" "$QEMU" "$FW"
