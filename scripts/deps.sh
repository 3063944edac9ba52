#!/usr/bin/env bash
# Install everything tnpu needs on a Debian 12 machine. Idempotent: a second
# run with everything present does no network work.
#
#   scripts/deps.sh     everything `make test` and `make demo` need: toolchain,
#                       Debian's 6.12 kernel + headers, QEMU build deps and
#                       source, libdrm, cmocka, busybox, numpy/sklearn, and
#                       linux-source-6.12 (checkpatch, the debug kernel)
set -euo pipefail

PKGS=(
	build-essential pkg-config git cpio xz-utils zstd kmod
	linux-headers-6.12-amd64
	libdrm-dev libcmocka-dev
	busybox-static
	seabios qemu-system-data
	dpkg-dev meson ninja-build libglib2.0-dev libpixman-1-dev libfdt-dev
	flex bison
	python3-numpy python3-sklearn
	sparse
	linux-source-6.12 bc libelf-dev
)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# qemu's source comes from a deb-src entry mirroring the existing deb one.
add_deb_src() {
	local src=/etc/apt/sources.list.d/debian.sources
	local dst=/etc/apt/sources.list.d/tnpu-deb-src.sources
	[ -e "$dst" ] && return 0
	if grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null; then
		return 0
	fi
	if grep -qs '^deb-src ' /etc/apt/sources.list 2>/dev/null; then
		return 0
	fi
	if [ -e "$src" ]; then
		sed -e 's/^Types:.*/Types: deb-src/' "$src" | $SUDO tee "$dst" >/dev/null
	elif [ -e /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
			$SUDO tee /etc/apt/sources.list.d/tnpu-deb-src.list >/dev/null
	fi
	echo "deps: added deb-src entries" >&2
	NEED_UPDATE=1
}

missing() {
	local p out=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			out+=("$p")
	done
	echo "${out[@]:-}"
}

NEED_UPDATE=0
add_deb_src
todo=$(missing)
if [ -n "$todo" ] || [ "$NEED_UPDATE" = 1 ]; then
	echo "deps: installing: ${todo:-<sources only>}" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	[ -z "$todo" ] || $SUDO apt-get install -y -qq --no-install-recommends $todo >/dev/null
fi

# The headers package pulls the matching image; make sure the pair exists.
ver=$(ls -d /lib/modules/6.12*-amd64/build 2>/dev/null | sort -V | tail -n1 | cut -d/ -f4)
if [ -z "$ver" ] || [ ! -e "/boot/vmlinuz-$ver" ]; then
	echo "deps: no 6.12 kernel image + headers pair found" >&2
	exit 1
fi
echo "deps: ok (kernel $ver)" >&2
