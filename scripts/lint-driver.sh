#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lint-driver.sh - checkpatch and sparse for driver/, printing TAP lines
# and a final "N passed, N failed" line.  Exit status 1 if anything failed.
#
# checkpatch.pl (+ spelling.txt, const_structs.checkpatch) comes from
# Debian's linux-source-6.12 tarball; it is extracted once into the build
# directory ($O, default build/) and reused.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-$ROOT/build}
case "$O" in /*) ;; *) O=$ROOT/$O ;; esac
KVER=${KVER:-$(ls /lib/modules | grep -E '^6\.12.*-amd64$' | sort -V | tail -1)}
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
LINTDIR=$O/lint
CP=$LINTDIR/scripts/checkpatch.pl

n=0
pass=0
fail=0

tap() {	# tap <0|1> <name> [diagnostic file]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
		pass=$((pass + 1))
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/# /' "$3"
		fail=$((fail + 1))
	fi
}

mkdir -p "$LINTDIR"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# 1. checkpatch
if [ ! -x "$CP" ]; then
	if [ -x /usr/src/linux-source-6.12/scripts/checkpatch.pl ]; then
		mkdir -p "$LINTDIR/scripts"
		cp /usr/src/linux-source-6.12/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} \
			"$LINTDIR/scripts/" 2>"$log"
	elif [ -r "$TARBALL" ]; then
		top=$(tar -tJf "$TARBALL" 2>/dev/null | head -n1 | cut -d/ -f1)
		tar -xJf "$TARBALL" -C "$LINTDIR" --strip-components=1 \
			"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
			"$top/scripts/const_structs.checkpatch" 2>"$log"
	fi
	chmod +x "$CP" 2>/dev/null
fi

if [ ! -x "$CP" ]; then
	echo "checkpatch.pl unavailable (install linux-source-6.12: scripts/deps.sh --lint)" >"$log"
	tap 1 "checkpatch available" "$log"
else
	for f in "$ROOT"/driver/*.[ch] "$ROOT"/driver/tests/*.[ch] "$ROOT"/driver/Kbuild "$ROOT"/driver/Kconfig "$ROOT"/driver/Makefile; do
		case "$f" in *.mod.c) continue ;; esac
		[ -e "$f" ] || continue
		rel=${f#"$ROOT"/}
		# --no-tree: out of tree; --strict adds the CHECK-level rules.
		if (cd "$LINTDIR" && perl "$CP" --no-tree --strict --show-types -q \
			--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$f") >"$log" 2>&1; then
			tap 0 "checkpatch $rel"
		else
			tap 1 "checkpatch $rel" "$log"
		fi
	done
fi

# 2. sparse through Kbuild (C=2 checks every file, even up to date ones)
if ! command -v sparse >/dev/null; then
	echo "sparse not installed" >"$log"
	tap 1 "sparse" "$log"
elif make -C "/lib/modules/$KVER/build" M="$ROOT" C=2 modules >"$log" 2>&1 &&
	! grep -E '(warning|error):' "$log" >/dev/null; then
	tap 0 "sparse"
else
	grep -E '(warning|error):' "$log" >"$log.w" || tail -n 30 "$log" >"$log.w"
	tap 1 "sparse" "$log.w"
	rm -f "$log.w"
fi
rm -f "$ROOT"/Module.symvers "$ROOT"/modules.order "$ROOT"/.module-common.o \
	"$ROOT"/.Module.symvers.cmd "$ROOT"/.modules.order.cmd "$ROOT"/..module-common.o.cmd

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
