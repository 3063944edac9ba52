#!/usr/bin/env bash
# Build the debug kernel for the tnpu VM tests (KASAN, lockdep, kmemleak,
# KUnit) from Debian's linux-source-6.12, cached outside the repo.
#
#   scripts/build-debug-kernel.sh          build if needed; print the build dir
#
# The build dir holds arch/x86/boot/bzImage, the kernel's own modules
# (installed under mods/lib/modules/<ver>) and everything needed to build
# tnpu.ko out of tree against it (make -C <dir> M=<repo>).  The cache key is
# the kernel version plus a hash of kernel/debug.config's settings (not its
# comments), driver/Kconfig and RECIPE below: bump RECIPE when a change here
# changes what gets built.  Progress goes to stderr; only the directory goes
# to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${TNPU_CACHE:-$HOME/.cache/tnpu}
tarball=${TNPU_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
frag=$here/kernel/debug.config
jobs=$(nproc)

log() { echo "build-debug-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -r "$tarball" ] || die "$tarball missing (scripts/deps.sh installs linux-source-6.12)"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
RECIPE=1
# Keyed by the fragment's settings (comments may change freely), the
# driver's Kconfig and this recipe.
key=$( (grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$frag"; cat "$here/driver/Kconfig"
	echo "recipe $RECIPE") | sha256sum | cut -c1-12)
out=$cache/linux-debug-$srcver-$key
mkdir -p "$cache"

exec 9>"$cache/linux-debug.lock"
flock 9

if [ -e "$out/.done" ]; then
	echo "$out"
	exit 0
fi

# One debug kernel at a time: drop builds of older keys (about 1 GB each).
for old in "$cache"/linux-debug-*; do
	[ -d "$old" ] && [ "$old" != "$out" ] && { log "removing stale $old"; rm -rf "$old"; }
done
rm -rf "$out"
mkdir -p "$out"
log "unpacking $tarball (version $srcver)"
tar -xf "$tarball" -C "$out" --strip-components=1

# The driver's own Kconfig selects the select-only helpers (DRM_SCHED,
# DRM_GEM_SHMEM_HELPER), exactly as an in-tree driver would.
mkdir -p "$out/drivers/accel/tnpu"
cp "$here/driver/Kconfig" "$out/drivers/accel/tnpu/Kconfig"
: >"$out/drivers/accel/tnpu/Makefile"
grep -q 'accel/tnpu/Kconfig' "$out/drivers/accel/Kconfig" ||
	sed -i '/^source "drivers\/accel\/ivpu\/Kconfig"/a source "drivers/accel/tnpu/Kconfig"' \
		"$out/drivers/accel/Kconfig"
grep -q 'accel/tnpu/Kconfig' "$out/drivers/accel/Kconfig" ||
	die "could not hook drivers/accel/tnpu/Kconfig into drivers/accel/Kconfig"

cd "$out"
log "configuring: tinyconfig + kernel/debug.config"
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig >&2

# Kconfig silently drops symbols whose dependencies are unmet: check that
# every line of the fragment is in the final config.
missing=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	grep -qx "$line" .config || { log "not in final config: $line"; missing=1; }
done <"$frag"
for sym in CONFIG_DRM_SCHED CONFIG_DRM_GEM_SHMEM_HELPER; do
	grep -Eq "^$sym=(y|m)" .config || { log "not selected: $sym"; missing=1; }
done
[ "$missing" = 0 ] || die "config fragment did not apply"

log "building bzImage and modules with $jobs jobs (~5 min cold)"
start=$(date +%s)
make -s -j"$jobs" bzImage modules >&2
make -s modules_install INSTALL_MOD_PATH="$out/mods" INSTALL_MOD_STRIP=1 >&2
log "built in $(( $(date +%s) - start )) s"
touch "$out/.done"
echo "$out"
