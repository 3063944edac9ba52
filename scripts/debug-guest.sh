#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# debug-guest.sh - prepare a VM run of the tnpu tests on a debug kernel.
#
#   scripts/debug-guest.sh [KDIR]
#
# KDIR is a built kernel tree (bzImage and modules already built, configured
# with at least CONFIG_MODULES, DRM_ACCEL, DEBUG_FS; add KASAN, lockdep,
# kmemleak and KUnit for the checks to mean something).  Without KDIR it
# builds (or reuses) the project's own debug kernel:
# scripts/build-debug-kernel.sh.  Then it
#   - installs that kernel's modules under KDIR/mods if they are not there,
#   - builds tnpu.ko (and tnpu_kunit.ko when the kernel has KUnit) for it
#     from a copy of the sources (make -C driver debug),
#   - makes build/guest-debug: build/guest (run 'make guest' first) with
#     those modules instead of the Debian ones,
# and prints the scripts/vm.sh options that boot it on one line, e.g.
#
#   scripts/vm.sh $(scripts/debug-guest.sh) -- tnpu-run-guest-tests
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUEST=$REPO/build/guest
DGUEST=$REPO/build/guest-debug

log() { echo "debug-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ $# -ge 1 ]; then
	KDIR=$(cd "$1" && pwd)
else
	KDIR=$("$REPO/scripts/build-debug-kernel.sh")
fi
BZ=$KDIR/arch/x86/boot/bzImage
[ -r "$BZ" ] || die "$BZ missing: build the kernel first (make bzImage modules)"
[ -r "$KDIR/include/config/kernel.release" ] || die "$KDIR is not a configured kernel tree"
KVER=$(cat "$KDIR/include/config/kernel.release")
[ -d "$GUEST/usr/bin" ] || die "$GUEST missing: run 'make guest' first"

if [ ! -d "$KDIR/mods/lib/modules/$KVER" ]; then
	log "installing $KVER modules into $KDIR/mods"
	make -s -C "$KDIR" modules_install INSTALL_MOD_PATH="$KDIR/mods" INSTALL_MOD_STRIP=1 >&2
fi

rm -rf "$DGUEST"
cp -a "$GUEST" "$DGUEST"
rm -f "$DGUEST"/lib/modules/*.ko
make -s -C "$REPO/driver" install-guest-debug KDIR="$KDIR" DESTDIR="$DGUEST" >&2

echo "--kernel $BZ --kver $KVER --modroot $KDIR/mods --guest $DGUEST"
