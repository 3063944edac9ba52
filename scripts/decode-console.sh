#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# decode-console.sh - turn the first kernel report in a VM console log into
# file:line stack traces, as kernel CIs do.
#
#   scripts/decode-console.sh --kernel IMAGE [--guest DIR] [--from N] LOG
#   scripts/decode-console.sh --kernel IMAGE --check
#
# Finds a vmlinux with debug info for IMAGE: KDIR/vmlinux when IMAGE is
# KDIR/arch/x86/boot/bzImage (the debug kernel, kernel/debug.config has
# DEBUG_INFO), else /usr/lib/debug/boot/vmlinux-<ver> (Debian's -dbg
# package).  Runs the kernel's own scripts/decode_stacktrace.sh over at most
# 150 lines of LOG from line N (default 1; scripts/vm.sh passes its first
# problem line) and prints them decoded.  Module frames are looked up in
# DIR/lib/modules (the guest tree, with tnpu.ko), then by the decoder itself
# in the kernel tree.  --check only tells whether IMAGE can be decoded.
#
# Exit status: 0 decoded (or can be); 3 no vmlinux with debug info or no
# decoder (not an error: nothing to decode with); 1 usage.
set -euo pipefail

KERNEL='' GUEST='' FROM=1 CHECK=0
while [ $# -gt 0 ]; do
	case "$1" in
	--check) CHECK=1; shift ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--guest) GUEST=$2; shift 2 ;;
	--from) FROM=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ -z "$KERNEL" ] || [ $(($# + CHECK)) -ne 1 ]; then
	echo "usage: decode-console.sh --kernel IMAGE {[--guest DIR] [--from N] LOG | --check}" >&2
	exit 1
fi

has_lines() { readelf -WS "$1" 2>/dev/null | grep -wF .debug_line >/dev/null; }

VMLINUX='' KDIR=''
case "$KERNEL" in
*/arch/x86/boot/bzImage)
	KDIR=${KERNEL%/arch/x86/boot/bzImage}
	VMLINUX=$KDIR/vmlinux
	;;
*/vmlinuz-*)
	VMLINUX=/usr/lib/debug/boot/vmlinux-${KERNEL##*/vmlinuz-}
	KDIR=/lib/modules/${KERNEL##*/vmlinuz-}/build
	;;
esac
if [ -z "$VMLINUX" ] || ! has_lines "$VMLINUX"; then
	exit 3
fi
DECODE=$KDIR/scripts/decode_stacktrace.sh
[ -x "$DECODE" ] || exit 3

[ "$CHECK" = 0 ] || exit 0

tr -d '\r' <"$1" | tail -n +"$FROM" | head -n 150 |
	"$DECODE" "$VMLINUX" "$KDIR" "${GUEST:+$GUEST/lib/modules}" 2>/dev/null
