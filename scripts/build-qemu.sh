#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# build-qemu.sh - build Debian's QEMU with the tnpu device in hw/misc/tnpu/.
#
# Prints ONLY the absolute path of the built qemu-system-x86_64 on stdout;
# progress goes to stderr.  Everything is cached outside the repo:
#
#   $TNPU_CACHE (default ~/.cache/tnpu)
#     dl/                      apt-get source downloads (.dsc + tarballs)
#     qemu-<ver>/src/          dpkg-source -x tree (Debian patches applied),
#                              unpacked once; hooked + device copied in
#     qemu-<ver>/build/        one configured build dir per QEMU version
#     qemu-<ver>/build/.tnpu-stamp   hash of the device sources it was built from
#
# When only device sources change, they are re-copied into the existing tree
# (only files whose content differs, so ninja rebuilds just those) and ninja
# relinks: seconds, not the 2.5 minute cold build.  A flock serialises
# concurrent runs.
#
# Environment:
#   TNPU_CACHE        cache root (see above)
#   TNPU_CP_DIR       directory holding the command processor sources and
#                     DEVICE_SOURCES (default: <repo>/firmware-stub)
#   TNPU_QEMU_REFRESH=1  re-run apt-get source even if a .dsc is cached
#   TNPU_JOBS         ninja -j (default: nproc)
set -euo pipefail

log() { echo "build-qemu: $*" >&2; }
die() { echo "build-qemu: error: $*" >&2; exit 1; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$REPO/scripts/build-qemu.sh"
CACHE=${TNPU_CACHE:-$HOME/.cache/tnpu}
CP_DIR=${TNPU_CP_DIR:-$REPO/firmware-stub}
DEV_DIR="$REPO/qemu-device"
HW_H="$REPO/include/tnpu_hw.h"
JOBS=${TNPU_JOBS:-$(nproc)}

# ---------------------------------------------------------------- checks
for tool in apt-get dpkg-source meson ninja pkg-config flock sha256sum cc \
	    flex bison /usr/bin/python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' not found; run scripts/deps.sh"
done
for lib in glib-2.0 pixman-1; do
	pkg-config --exists "$lib" ||
		die "pkg-config cannot find $lib; run scripts/deps.sh"
done
[ -f /usr/include/libfdt.h ] || die "libfdt-dev missing; run scripts/deps.sh"
for f in "$DEV_DIR/tnpu.c" "$DEV_DIR/Kconfig" "$DEV_DIR/meson.build.in" "$HW_H" \
	 "$CP_DIR/tnpu_cp.h"; do
	[ -f "$f" ] || die "missing $f"
done
[ -f "$CP_DIR/DEVICE_SOURCES" ] ||
	die "missing $CP_DIR/DEVICE_SOURCES (the command processor's file list;" \
	    "set TNPU_CP_DIR to build against another copy)"

# DEVICE_SOURCES: file names relative to CP_DIR, whitespace separated,
# '#' starts a comment.
mapfile -t CP_FILES < <(sed -e 's/#.*//' "$CP_DIR/DEVICE_SOURCES" | tr -s ' \t' '\n' |
			sed -e '/^$/d')
[ "${#CP_FILES[@]}" -gt 0 ] || die "$CP_DIR/DEVICE_SOURCES lists no files"
CP_C=()
for f in "${CP_FILES[@]}"; do
	case "$f" in
	*/* | .*) die "DEVICE_SOURCES entry '$f': plain file names only" ;;
	esac
	[ -f "$CP_DIR/$f" ] || die "DEVICE_SOURCES lists '$f' but $CP_DIR/$f does not exist"
	case "$f" in *.c) CP_C+=("$f") ;; esac
done

# Every file that ends up in hw/misc/tnpu/ (plus this script) feeds the hash.
DEV_FILES=()
for f in "$DEV_DIR"/*; do
	[ -f "$f" ] || continue
	case "$(basename "$f")" in README.md) continue ;; esac
	DEV_FILES+=("$f")
done
HASH_INPUTS=("${DEV_FILES[@]}" "$HW_H" "$CP_DIR/tnpu_cp.h" "$CP_DIR/DEVICE_SOURCES" "$SELF")
for f in "${CP_FILES[@]}"; do HASH_INPUTS+=("$CP_DIR/$f"); done
for f in "$CP_DIR"/*.h; do HASH_INPUTS+=("$f"); done
HASH=$(for f in "${HASH_INPUTS[@]}"; do
	printf '%s\n' "$(basename "$f")"
	sha256sum <"$f"
done | sha256sum | cut -c1-16)

mkdir -p "$CACHE/dl"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	log "waiting for another build-qemu.sh run ($CACHE/.lock)"
	flock 9
fi

# ---------------------------------------------------------------- source
newest_dsc() { find "$CACHE/dl" -maxdepth 1 -name "qemu_*.dsc" | sort -V | tail -n1; }
DSC=$(newest_dsc)
if [ -z "$DSC" ] || [ "${TNPU_QEMU_REFRESH:-0}" = 1 ]; then
	log "fetching QEMU source (apt-get source qemu)"
	(cd "$CACHE/dl" && apt-get source --download-only -qq qemu >&2) ||
		die "apt-get source qemu failed; run scripts/deps.sh (adds the deb-src entry)"
	DSC=$(newest_dsc)
	[ -n "$DSC" ] || die "apt-get source left no qemu_*.dsc in $CACHE/dl"
fi
VER=$(sed -n 's/^Version: //p' "$DSC" | head -n1)
[ -n "$VER" ] || die "no Version: in $DSC"
VER_DIR="$CACHE/qemu-${VER//[:~]/_}"
SRC="$VER_DIR/src"
BUILD="$VER_DIR/build"
QEMU="$BUILD/qemu-system-x86_64"
STAMP="$BUILD/.tnpu-stamp"

if [ -x "$QEMU" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
	log "up to date (QEMU $VER, device hash $HASH)"
	echo "$QEMU"
	exit 0
fi

if [ ! -f "$SRC/.tnpu-unpacked" ]; then
	log "unpacking QEMU $VER (dpkg-source -x, applies Debian's patches)"
	rm -rf "$SRC" "$SRC.tmp" "$BUILD"
	mkdir -p "$VER_DIR"
	dpkg-source --no-check -x "$DSC" "$SRC.tmp" >&2 || die "dpkg-source -x $DSC failed"
	touch "$SRC.tmp/.tnpu-unpacked"
	mv "$SRC.tmp" "$SRC"
fi

# ---------------------------------------------------------------- hook
# Kconfig: a marked block appended to hw/misc/Kconfig, replaced on change.
KC="$SRC/hw/misc/Kconfig"
BEGIN='# >>> tnpu (added by build-qemu.sh)'
END='# <<< tnpu'
want=$(printf '%s\n' "$BEGIN"; cat "$DEV_DIR/Kconfig"; printf '%s\n' "$END")
have=$(sed -n "/^$BEGIN/,/^$END/p" "$KC")
if [ "$have" != "$want" ]; then
	log "hooking tnpu into hw/misc/Kconfig"
	sed -i "/^$BEGIN/,/^$END/d" "$KC"
	printf '%s\n' "$want" >>"$KC"
fi
# meson: one subdir() line in hw/misc/meson.build.
MB="$SRC/hw/misc/meson.build"
if ! grep -qx "subdir('tnpu')" "$MB"; then
	log "hooking tnpu into hw/misc/meson.build"
	printf "%s\n" "subdir('tnpu')" >>"$MB"
fi

# ---------------------------------------------------------------- device
DST="$SRC/hw/misc/tnpu"
mkdir -p "$DST.new"
rm -f "$DST.new"/*
for f in "${DEV_FILES[@]}"; do
	case "$f" in *.in | */Kconfig) continue ;; esac
	cp "$f" "$DST.new/"
done
cp "$HW_H" "$CP_DIR/tnpu_cp.h" "$DST.new/"
for f in "$CP_DIR"/*.h; do cp "$f" "$DST.new/"; done
for f in "${CP_FILES[@]}"; do cp "$CP_DIR/$f" "$DST.new/"; done
list=$(printf "'%s', " "${CP_C[@]}")
sed -e "s/@TNPU_CP_SOURCES@/${list%, }/" "$DEV_DIR/meson.build.in" >"$DST.new/meson.build"
# Copy only what changed (keeps mtimes so ninja rebuilds the minimum);
# drop files that are gone.
mkdir -p "$DST"
for f in "$DST.new"/*; do
	cmp -s "$f" "$DST/$(basename "$f")" || cp "$f" "$DST/"
done
for f in "$DST"/*; do
	[ -e "$DST.new/$(basename "$f")" ] || rm -f "$f"
done
rm -rf "$DST.new"

# ---------------------------------------------------------------- build
if [ ! -f "$BUILD/build.ninja" ]; then
	log "configuring QEMU $VER in $BUILD"
	rm -rf "$BUILD"
	mkdir -p "$BUILD"
	(cd "$BUILD" && PATH=/usr/bin:$PATH "$SRC/configure" \
		--target-list=x86_64-softmmu --without-default-features \
		--enable-kvm --enable-tcg --disable-docs --disable-werror \
		--enable-fdt=system --disable-install-blobs >&2) ||
		{ rm -f "$BUILD/build.ninja"; die "configure failed (see above)"; }
fi
log "building qemu-system-x86_64 (QEMU $VER, device hash $HASH, -j$JOBS)"
start=$(date +%s)
ninja -C "$BUILD" -j "$JOBS" qemu-system-x86_64 >&2 || die "ninja failed (see above)"
log "built in $(( $(date +%s) - start )) s"
grep -q '^#define CONFIG_TNPU 1' "$BUILD/x86_64-softmmu-config-devices.h" 2>/dev/null ||
	die "CONFIG_TNPU is not enabled in the build (Kconfig hook failed?)"
[ -x "$QEMU" ] || die "no $QEMU after the build"
echo "$HASH" >"$STAMP"
echo "$QEMU"
