#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mkinitramfs.sh - build the tnpu test VM's initramfs (gzip'd newc cpio).
#
#   scripts/mkinitramfs.sh [-o OUT] [--guest DIR] [--kver VER] [--modroot DIR]
#                           [--tnpu-ko PATH] [--force]
#
# Contents:
#   /bin            busybox-static and a symlink per applet
#   /init           scripts/guest-init (mounts, loads modules, runs the command)
#   /lib/modules/deps/*.ko + order
#                   the kernel modules tnpu.ko needs (`modinfo -F depends`,
#                   required) plus drm, drm_kms_helper, gpu-sched,
#                   drm_shmem_helper and the NVMe stack for the benchmarks
#                   (loaded when the kernel has them), with their transitive
#                   dependencies, decompressed, in load order.  Modules built
#                   into the kernel (modules.builtin) are skipped, so a debug
#                   kernel with DRM=y works too.
#   the guest tree  build/guest (TEAM.md layout: /usr/bin, /usr/lib,
#                   /usr/share/tnpu, /lib/firmware/tnpu, /lib/modules/tnpu.ko)
#   shared libs     every library an ELF file in the tree needs (ldd), at the
#                   path ldd reports, plus the dynamic loader; an ld.so.cache
#                   that also covers /usr/lib (libtnpu).
#
# Cached: the output is rebuilt only when an input changed (a hash of the
# guest tree's names/sizes/mtimes, the module files, busybox and the scripts
# is stored next to it).  A rebuild takes about a second.
#
# Options:
#   -o OUT          output file (default build/initramfs-<kver>.cpio.gz)
#   --guest DIR     guest tree (default build/guest; may be missing)
#   --kver VER      kernel version of the modules (default scripts/kver.sh)
#   --modroot DIR   root holding lib/modules/<kver> (default /; a debug kernel
#                   build passes its mods/ directory)
#   --tnpu-ko PATH  use this tnpu.ko instead of the guest tree's (one built
#                   against another kernel)
#   --force         rebuild even if up to date
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$REPO/scripts/mkinitramfs.sh"
INIT="$REPO/scripts/guest-init"

# Modules the guest loads if the kernel has them (tnpu.ko's own `depends`
# are required on top): the drm helpers, so --no-load guests can insmod
# tnpu.ko by hand, and the NVMe stack, the benchmarks' peer device.
BASE_MODULES=(drm drm_kms_helper gpu-sched drm_shmem_helper
	      nvme-keyring nvme-auth nvme-core nvme)

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
log() { echo "mkinitramfs: $*" >&2; }

OUT='' GUEST="$REPO/build/guest" KVER='' MODROOT=/ FORCE=0 KO_OVERRIDE=''
while [ $# -gt 0 ]; do
	case "$1" in
	--force|-h|--help) ;;
	-*) [ $# -ge 2 ] || die "option $1 needs a value" ;;
	esac
	case "$1" in
	-o) OUT=$2; shift 2 ;;
	--guest) GUEST=$2; shift 2 ;;
	--kver) KVER=$2; shift 2 ;;
	--modroot) MODROOT=$2; shift 2 ;;
	--tnpu-ko) KO_OVERRIDE=$2; shift 2 ;;
	--force) FORCE=1; shift ;;
	-h|--help) sed -n '4,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

[ -n "$KVER" ] || KVER=$("$REPO/scripts/kver.sh")
[ -n "$OUT" ] || OUT="$REPO/build/initramfs-$KVER.cpio.gz"
MODDIR="${MODROOT%/}/lib/modules/$KVER"
BUSYBOX=$(command -v busybox || true)

for tool in cpio gzip xz ldd ldconfig modinfo sha256sum; do
	command -v "$tool" >/dev/null || die "'$tool' not found; run scripts/deps.sh"
done
[ -x /bin/busybox ] && BUSYBOX=/bin/busybox
[ -n "$BUSYBOX" ] || die "busybox not found; run scripts/deps.sh (busybox-static)"
file_is_static() { ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is dynamically linked; install busybox-static"
[ -d "$MODDIR" ] || die "no module directory $MODDIR (kernel $KVER)"
[ -f "$INIT" ] || die "missing $INIT"
[ -d "$GUEST" ] || log "note: guest tree $GUEST does not exist (run 'make guest'); building without it"

mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
exec 9>"$OUT.lock"
flock 9

# ------------------------------------------------------------ module list
# Module name -> file, honouring '-' == '_' like modprobe does.
mod_file() {
	{ modinfo -b "$MODROOT" -k "$KVER" -F filename "$1" 2>/dev/null || true; } | head -n1
}
mod_builtin() {
	local n=${1//-/_}
	[ -f "$MODDIR/modules.builtin" ] &&
		grep -q "/$n\.ko\$" <(sed 's/-/_/g' "$MODDIR/modules.builtin")
}

declare -A SEEN=()
ORDER=()		# module names, dependencies first
FILES=()		# matching files
visit() {		# visit NAME required|optional
	local name=$1 file dep
	local key=${name//-/_}
	[ -z "${SEEN[$key]:-}" ] || return 0
	SEEN[$key]=1
	file=$(mod_file "$name")
	if [ -z "$file" ] || [ "$file" = "(builtin)" ]; then
		if ! mod_builtin "$name" && [ "$file" != "(builtin)" ]; then
			[ "$2" = optional ] ||
				die "module '$name' not found in $MODDIR and not built in"
			log "note: kernel $KVER has no module '$name'; not loading it"
		fi
		return 0
	fi
	for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
		visit "$dep" required
	done
	ORDER+=("$name")
	FILES+=("$file")
}

TNPU_KO=${KO_OVERRIDE:-$GUEST/lib/modules/tnpu.ko}
[ -z "$KO_OVERRIDE" ] || [ -f "$KO_OVERRIDE" ] || die "--tnpu-ko $KO_OVERRIDE does not exist"
if [ -f "$TNPU_KO" ]; then
	for dep in $(modinfo -F depends "$TNPU_KO" | tr ',' ' '); do
		visit "$dep" required
	done
fi
for m in "${BASE_MODULES[@]}"; do
	visit "$m" optional
done

# ------------------------------------------------------------ cache check
inputs_hash() {
	{
		echo "kver=$KVER modroot=$MODROOT"
		sha256sum "$SELF" "$INIT" "$BUSYBOX"
		printf '%s\n' "${FILES[@]}" | xargs -r stat -L -c '%n %s %Y'
		[ -z "$KO_OVERRIDE" ] || stat -L -c '%n %s %Y' "$KO_OVERRIDE"
		[ -d "$GUEST" ] && (cd "$GUEST" && find . -printf '%p %s %T@ %m %l\n' | LC_ALL=C sort)
		# Host libraries the tree links against may be upgraded by apt.
		stat -L -c '%n %s %Y' /lib/x86_64-linux-gnu/libc.so.6
	} | sha256sum | cut -d' ' -f1
}
HASH=$(inputs_hash)
if [ "$FORCE" = 0 ] && [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$HASH" ]; then
	log "up to date: $OUT"
	exit 0
fi

# ------------------------------------------------------------ staging tree
STAGE="$OUT.d"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,mnt,var/tmp} \
	 "$STAGE"/{lib,lib64,usr/bin,usr/sbin,usr/lib,usr/share/tnpu} \
	 "$STAGE/lib/modules/deps" "$STAGE/lib/firmware"
chmod 1777 "$STAGE/tmp" "$STAGE/var/tmp"

# busybox: every applet as a symlink in /bin; the guest tree's /usr/bin
# comes first in PATH, so our tools win over an applet of the same name.
cp "$BUSYBOX" "$STAGE/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$STAGE/bin/$applet"
done

# Kernel modules, decompressed, plus their load order for /init.
for i in "${!ORDER[@]}"; do
	f=${FILES[$i]} dst="$STAGE/lib/modules/deps/${ORDER[$i]}.ko"
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$dst" ;;
	*.ko.zst) zstd -q -dc "$f" >"$dst" ;;
	*.ko.gz) gzip -dc "$f" >"$dst" ;;
	*.ko) cp "$f" "$dst" ;;
	*) die "unexpected module file $f" ;;
	esac
	echo "${ORDER[$i]}" >>"$STAGE/lib/modules/deps/order"
done
touch "$STAGE/lib/modules/deps/order"

# The guest tree (our tools, libraries, data, firmware, tnpu.ko).
[ -d "$GUEST" ] && cp -a "$GUEST/." "$STAGE/"
[ -z "$KO_OVERRIDE" ] || install -D -m 0644 "$KO_OVERRIDE" "$STAGE/lib/modules/tnpu.ko"

cp "$INIT" "$STAGE/init"
chmod 755 "$STAGE/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$STAGE/etc/passwd"
printf 'root:x:0:\n' >"$STAGE/etc/group"
echo tnpu-vm >"$STAGE/etc/hostname"
printf '%s\n' /usr/lib /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu >"$STAGE/etc/ld.so.conf"

# Shared libraries of every dynamically linked ELF file in the tree.  ldd
# runs with the tree's /usr/lib first so libtnpu resolves to our copy (which
# is already in the tree and need not be copied).
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }
declare -A LIBS=()
missing=()
while IFS= read -r -d '' f; do
	case "$f" in *.ko) continue ;; esac
	is_elf "$f" || continue
	out=$(LD_LIBRARY_PATH="$STAGE/usr/lib" LC_ALL=C ldd "$f" 2>/dev/null) || continue
	while read -r line; do
		case "$line" in
		*"not found"*) missing+=("${f#"$STAGE"}: ${line%% *}") ;;
		*"=> /"*) lib=${line#*=> }; LIBS[${lib%% (*}]=1 ;;
		/*) LIBS[${line%% (*}]=1 ;;
		esac
	done <<<"$out"
done < <(find "$STAGE" -path "$STAGE/lib/modules" -prune -o -type f -perm -u+x -print0 -o \
	-type f -name '*.so*' -print0)
[ ${#missing[@]} -eq 0 ] || die "unresolved shared libraries: ${missing[*]}"
# glibc dlopen()s libgcc_s for pthread_cancel and unwinding.
[ ! -e /lib/x86_64-linux-gnu/libgcc_s.so.1 ] || LIBS[/lib/x86_64-linux-gnu/libgcc_s.so.1]=1
for lib in "${!LIBS[@]}"; do
	case "$lib" in "$STAGE"/*) continue ;; esac
	mkdir -p "$STAGE$(dirname "$lib")"
	[ -e "$STAGE$lib" ] || cp -L "$lib" "$STAGE$lib"
done
ldconfig -r "$STAGE" 2>/dev/null || ldconfig -r "$STAGE"

# Pack: sorted names, root-owned, newest-first not needed.
(cd "$STAGE" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$HASH" >"$OUT.stamp"
rm -rf "$STAGE"
log "built $OUT ($(du -h "$OUT" | cut -f1), modules: ${ORDER[*]})"
