#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_fwbuild.sh TOOL - command-line tests of tnpu-fwbuild, printing TAP.
set -u
TOOL=${1:?usage: test_fwbuild.sh path/to/tnpu-fwbuild}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
fails=0

t() {
	n=$((n + 1))
	name=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then
		echo "ok $n - fwbuild: $name"
	else
		echo "not ok $n - fwbuild: $name"
		sed 's/^/# /' "$TMP/out"
		fails=$((fails + 1))
	fi
}

VERSION_FILE=$(dirname "$0")/../../../firmware-stub/VERSION

default_image() {
	"$TOOL" -o "$TMP/a.bin" &&
	"$TOOL" --check "$TMP/a.bin" | grep -q "version   $(cat "$VERSION_FILE")"
}

options_roundtrip() {
	"$TOOL" -o "$TMP/b.bin" --version 3.4.5 --abi 1.9 --features gemm,copy_fill \
		--burst 7 --build ci-123 &&
	"$TOOL" --check "$TMP/b.bin" >"$TMP/b.txt" &&
	grep -q 'version   3.4.5' "$TMP/b.txt" && grep -q 'abi       1.9' "$TMP/b.txt" &&
	grep -q 'features  0x00000006' "$TMP/b.txt" && grep -q 'burst     7' "$TMP/b.txt" &&
	grep -q 'build     ci-123' "$TMP/b.txt"
}

corrupt_rejected() {
	"$TOOL" -o "$TMP/c.bin" || return 1
	# flip the last payload byte: CRC error, non-zero exit, error named
	printf '\377' | dd of="$TMP/c.bin" bs=1 seek=75 conv=notrunc 2>/dev/null
	! "$TOOL" --check "$TMP/c.bin" >"$TMP/c.txt" && grep -q TNPU_BOOT_CRC "$TMP/c.txt"
}

bad_args_rejected() {
	! "$TOOL" -o "$TMP/d.bin" --burst 0 && ! "$TOOL" -o "$TMP/d.bin" --burst 65 &&
	! "$TOOL" -o "$TMP/d.bin" --version 1.2 && ! "$TOOL" -o "$TMP/d.bin" --features bogus &&
	! "$TOOL" -o "$TMP/d.bin" --abi x && ! "$TOOL" --bogus x && ! "$TOOL" &&
	! "$TOOL" --check "$TMP/does-not-exist" && [ ! -e "$TMP/d.bin" ]
}

major_abi_rejected() {
	"$TOOL" -o "$TMP/e.bin" --abi 2.0 || return 1
	! "$TOOL" --check "$TMP/e.bin" >"$TMP/e.txt" && grep -q TNPU_BOOT_ABI "$TMP/e.txt"
}

echo "1..5"
t "default image uses VERSION and validates" default_image
t "options round-trip through --check" options_roundtrip
t "corrupted image rejected with its error name" corrupt_rejected
t "bad arguments rejected" bad_args_rejected
t "other ABI major rejected" major_abi_rejected
[ "$fails" -eq 0 ]
