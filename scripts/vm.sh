#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vm.sh - boot the tnpu test VM and run one command in it.
#
#   scripts/vm.sh [options] -- CMD [ARG]...     run CMD in the guest, exit with its status
#   scripts/vm.sh [options] --interactive       a shell in the guest (Ctrl-A X quits)
#
# The guest is Debian's kernel (or --kernel) with an initramfs from
# scripts/mkinitramfs.sh (busybox, drm modules, build/guest); /init loads
# tnpu.ko, runs CMD (arguments passed exactly, no shell re-splitting; use
# `sh -c '...'` for pipelines) and powers off.  The console streams to stdout
# and is saved to the log file.
#
# Options:
#   --qemu PATH        QEMU binary (default: $TNPU_QEMU, else scripts/build-qemu.sh)
#   --kernel PATH      kernel image (default /boot/vmlinuz-<kver>)
#   --kver VER         kernel version for the initramfs modules (default scripts/kver.sh)
#   --modroot DIR      root holding lib/modules/<kver> (default /; for a debug kernel)
#   --guest DIR        guest tree for the initramfs (default build/guest)
#   --tnpu-ko PATH     put this tnpu.ko in the initramfs (built for --kernel)
#   --initrd PATH      use this initramfs instead of building one
#   --timeout SEC      wall-clock limit, QEMU is killed after it (default 600; 0 = none;
#                      interactive: none)
#   --log PATH         console log (default build/vm-last.log)
#   --no-load          do not insmod tnpu.ko (the drm modules are still loaded)
#   --no-device        omit -device tnpu (for QEMUs without it; harness debugging)
#   --kvm              use KVM (hangs on this host's nested KVM; TCG is the default)
#   --append STR       extra kernel command line
#   --qemu-arg ARG     extra QEMU argument (repeat for several)
#
# Accelerator: TCG with one host thread for all vCPUs (TNPU_TCG, default
# "tcg,thread=single"; "tcg" gives multi-threaded TCG).  The guest still has
# 2 vCPUs and the device's worker thread runs beside them, so the driver's
# concurrency with the device is exercised; single-threaded TCG avoids the
# rare guest crashes seen under QEMU 7.2's multi-threaded TCG at boot, and
# on a 2-core host it is as fast (the worker gets the other core).
#   --no-console-check do not fail on kernel warnings in the console
#   --interactive      interactive shell instead of a command
#
# Exit status: the guest command's status; if that is 0 but the console shows
# a kernel problem (WARNING:, BUG:, Oops, Call Trace, hung task, panic,
# general protection, UBSAN, KASAN, ... or a W/D/L taint), 1.  124: timeout.
# 125: the guest never reported a status (QEMU failed, kernel panic, /init
# failed).  Each problem is named with its log line.  When the kernel has a
# vmlinux with debug info (the debug kernel), the first report is also
# decoded to file:line frames into LOG.decoded (scripts/decode-console.sh).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$REPO/scripts/vm.sh"

# Console lines that fail a run (extended regexps, case sensitive).
BAD_PATTERNS=(
	'WARNING:'
	'BUG:'
	'kernel BUG at'
	'Oops'
	'Call Trace'
	'blocked for more than'
	'Kernel panic'
	'general protection'
	'UBSAN'
	'KASAN'
	'KFENCE'
	'soft lockup'
	'rcu_.* (self-)?detected stall'
	'unreferenced object 0x'
)
# Taint bits that mean the kernel complained: D (die/oops, 7), W (warning, 9),
# L (soft lockup, 14).  O/E (out-of-tree, unsigned module) are expected.
BAD_TAINT_MASK=$(((1 << 7) | (1 << 9) | (1 << 14)))

die() { echo "vm.sh: error: $*" >&2; exit 125; }
msg() { echo "vm.sh: $*" >&2; }

QEMU=${TNPU_QEMU:-} KERNEL='' KVER='' MODROOT=/ INITRD='' TIMEOUT='' LOG='' KO='' GUEST=''
LOAD=1 DEVICE=1 KVM=0 APPEND='' INTERACTIVE=0 CONSOLE_CHECK=1
EXTRA=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kvm|--no-load|--no-device|--no-console-check|--interactive|--|-h|--help) ;;
	-*) [ $# -ge 2 ] || die "option $1 needs a value" ;;
	esac
	case "$1" in
	--qemu) QEMU=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--kver) KVER=$2; shift 2 ;;
	--modroot) MODROOT=$2; shift 2 ;;
	--tnpu-ko) KO=$2; shift 2 ;;
	--guest) GUEST=$2; shift 2 ;;
	--initrd) INITRD=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	--no-load) LOAD=0; shift ;;
	--no-device) DEVICE=0; shift ;;
	--kvm) KVM=1; shift ;;
	--append) APPEND="$APPEND $2"; shift 2 ;;
	--qemu-arg) EXTRA+=("$2"); shift 2 ;;
	--no-console-check) CONSOLE_CHECK=0; shift ;;
	--interactive) INTERACTIVE=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '4,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help; the guest command goes after --)" ;;
	esac
done
CMD=("$@")
[ "$INTERACTIVE" = 1 ] || [ ${#CMD[@]} -gt 0 ] ||
	die "no guest command: use 'vm.sh [options] -- CMD...' or --interactive"
[ "$INTERACTIVE" = 0 ] || [ ${#CMD[@]} -eq 0 ] || die "--interactive takes no command"
case "${TIMEOUT:-0}" in *[!0-9]*) die "--timeout wants whole seconds, got '$TIMEOUT'" ;; esac
[ -n "$TIMEOUT" ] || { [ "$INTERACTIVE" = 1 ] && TIMEOUT=0 || TIMEOUT=600; }

# ------------------------------------------------------------ inputs
[ -n "$KVER" ] || KVER=$("$REPO/scripts/kver.sh")
[ -n "$KERNEL" ] || KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "kernel $KERNEL not readable"
if [ -z "$QEMU" ]; then
	[ -x "$REPO/scripts/build-qemu.sh" ] || die "no --qemu and no scripts/build-qemu.sh"
	QEMU=$("$REPO/scripts/build-qemu.sh") || die "scripts/build-qemu.sh failed"
fi
[ -x "$QEMU" ] || die "QEMU '$QEMU' is not executable"
mkdir -p "$REPO/build"
[ -n "$LOG" ] || LOG="$REPO/build/vm-last.log"
mkdir -p "$(dirname "$LOG")"
LOG=$(cd "$(dirname "$LOG")" && pwd)/$(basename "$LOG")
if [ -z "$INITRD" ]; then
	# One cached initramfs per kernel version and guest tree.
	INITRD="$REPO/build/initramfs-$KVER${GUEST:+-$(basename "$GUEST")}.cpio.gz"
	"$REPO/scripts/mkinitramfs.sh" -o "$INITRD" --kver "$KVER" --modroot "$MODROOT" \
		${GUEST:+--guest "$GUEST"} ${KO:+--tnpu-ko "$KO"} ||
		die "building the initramfs failed"
fi
[ -r "$INITRD" ] || die "initramfs $INITRD not readable"

# ------------------------------------------------------------ per-run cpio
# The command travels in a small cpio appended to the initramfs (the kernel
# unpacks concatenated archives in order): no length limit, no quoting
# through the kernel command line.
RUN=$(mktemp -d "$REPO/build/vm-run.XXXXXX")
QPID=
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'msg "interrupted"; exit 130' INT TERM

squote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
mkdir -p "$RUN/root/etc/tnpu-run"
{
	echo "TNPU_MODE=$([ "$INTERACTIVE" = 1 ] && echo shell || echo cmd)"
	echo "TNPU_LOAD=$LOAD"
} >"$RUN/root/etc/tnpu-run/env"
{
	for a in "${CMD[@]}"; do
		squote "$a"
		printf ' '
	done
	echo
} >"$RUN/root/etc/tnpu-run/cmd"
(cd "$RUN/root" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$RUN/run.cpio.gz"
cat "$INITRD" "$RUN/run.cpio.gz" >"$RUN/initrd.img"

# ------------------------------------------------------------ QEMU
# -display none rather than -nographic: same headless guest, but -nographic
# also turns on SeaBIOS's serial console, whose escape sequences (ESC c)
# reset the user's terminal.
ARGS=(-m 1G -smp 2 -display none -no-reboot -nic none
      -L /usr/share/seabios -L /usr/share/qemu
      -kernel "$KERNEL" -initrd "$RUN/initrd.img"
      -append "console=ttyS0 loglevel=5 panic=-1 ${APPEND# }")
if [ "$KVM" = 1 ]; then
	ARGS+=(-accel kvm -cpu host)
else
	ARGS+=(-accel "${TNPU_TCG:-tcg,thread=single}")
fi
[ "$DEVICE" = 0 ] || ARGS+=(-device tnpu)
# The console is QEMU's stdio, also written to $LOG by QEMU itself.
# shellcheck disable=SC2054 # commas are QEMU's option syntax
if [ "$INTERACTIVE" = 1 ]; then
	ARGS+=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$LOG"
	       -serial chardev:con -mon chardev=con,mode=readline)
else
	ARGS+=(-chardev "stdio,id=con,signal=off,logfile=$LOG" -serial chardev:con -monitor none)
fi
ARGS+=("${EXTRA[@]}")

if [ "$INTERACTIVE" = 1 ]; then
	msg "interactive guest ($(basename "$KERNEL"), $([ "$LOAD" = 1 ] && echo 'tnpu.ko loaded' || echo 'tnpu.ko not loaded')); Ctrl-A X quits QEMU"
else
	msg "running in guest: ${CMD[*]} (timeout ${TIMEOUT}s, log $LOG)"
fi
: >"$LOG"
START=$(date +%s.%N)
if [ "$INTERACTIVE" = 1 ]; then
	QRC=0
	"$QEMU" "${ARGS[@]}" || QRC=$?
	TIMED_OUT=0
else
	"$QEMU" "${ARGS[@]}" </dev/null &
	QPID=$!
	TIMED_OUT=0
	if [ "$TIMEOUT" -gt 0 ]; then
		sleep "$TIMEOUT" &
		SPID=$!
		FIRST=
		wait -n -p FIRST "$QPID" "$SPID" || true
		if [ "$FIRST" = "$SPID" ]; then
			TIMED_OUT=1
			msg "TIMEOUT: guest still running after ${TIMEOUT}s; killing QEMU"
			kill -TERM "$QPID" 2>/dev/null || true
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$QPID" 2>/dev/null || break
				sleep 0.5
			done
			kill -KILL "$QPID" 2>/dev/null || true
		else
			kill "$SPID" 2>/dev/null || true
			wait "$SPID" 2>/dev/null || true
		fi
	fi
	QRC=0
	wait "$QPID" || QRC=$?
	QPID=
fi
ELAPSED=$(echo "$START $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

# ------------------------------------------------------------ verdict
CLEAN="$RUN/console.txt"
tr -d '\r' <"$LOG" >"$CLEAN"
PROBLEMS=0
if [ "$CONSOLE_CHECK" = 1 ]; then
	regex=$(IFS='|'; echo "${BAD_PATTERNS[*]}")
	hits=$(grep -anE "$regex" "$CLEAN" | grep -v '^[0-9]*:TNPU-' || true)
	if [ -n "$hits" ]; then
		PROBLEMS=$(printf '%s\n' "$hits" | wc -l)
		msg "console check FAILED: $PROBLEMS kernel problem line(s):"
		printf '%s\n' "$hits" | head -n 20 | sed "s|^|vm.sh:   $LOG:|" >&2
		# With a vmlinux that has debug info (the debug kernel), also
		# write the first report with file:line frames, as kernel CIs do.
		rm -f "$LOG.decoded"
		if "$REPO/scripts/decode-console.sh" --kernel "$KERNEL" \
			--guest "${GUEST:-$REPO/build/guest}" --from "${hits%%:*}" "$CLEAN" \
			>"$LOG.decoded.tmp" 2>/dev/null; then
			mv "$LOG.decoded.tmp" "$LOG.decoded"
			msg "the report decoded to source lines: $LOG.decoded"
			grep -E '\+0x[0-9a-f]+/0x[0-9a-f]+ .*:[0-9]+' "$LOG.decoded" | head -n 12 |
				sed 's/^/vm.sh:   /' >&2 || true
		fi
		rm -f "$LOG.decoded.tmp"
	fi
	taint=$(grep -ao 'TNPU-TAINT=[0-9]*' "$CLEAN" | tail -n1 | cut -d= -f2 || true)
	if [ -n "$taint" ] && [ $((taint & BAD_TAINT_MASK)) -ne 0 ]; then
		msg "console check FAILED: kernel taint $taint has D/W/L set (oops, warning or soft lockup)"
		PROBLEMS=$((PROBLEMS + 1))
	fi
fi

if [ "$INTERACTIVE" = 1 ]; then
	msg "QEMU exited with $QRC after ${ELAPSED}s; log $LOG"
	[ "$PROBLEMS" -eq 0 ] || exit 1
	exit "$QRC"
fi
if [ "$TIMED_OUT" = 1 ]; then
	msg "FAILED: timeout after ${TIMEOUT}s (${ELAPSED}s wall); last console line: $(tail -n1 "$CLEAN")"
	exit 124
fi
RC=$(grep -ao 'TNPU-EXIT=[0-9]*' "$CLEAN" | tail -n1 | cut -d= -f2 || true)
if [ -z "$RC" ]; then
	grep -a 'tnpu-init: ERROR' "$CLEAN" | sed 's/^/vm.sh:   /' >&2 || true
	msg "FAILED: the guest never reported an exit status (QEMU exit $QRC after ${ELAPSED}s: QEMU error, kernel panic or /init failure); log $LOG"
	exit 125
fi
if [ "$RC" = 125 ] && grep -aq 'tnpu-init: ERROR' "$CLEAN"; then
	msg "FAILED: guest /init failed: $(grep -a 'tnpu-init: ERROR' "$CLEAN" | head -n1)"
	exit 125
fi
if [ "$RC" -ne 0 ]; then
	extra=
	[ "$PROBLEMS" -eq 0 ] || extra=" (and $PROBLEMS console problem(s), see above)"
	msg "guest command exited with $RC after ${ELAPSED}s$extra"
	exit "$RC"
fi
if [ "$PROBLEMS" -ne 0 ]; then
	msg "FAILED: guest command passed but the kernel complained (see above); ${ELAPSED}s"
	exit 1
fi
msg "guest command passed in ${ELAPSED}s"
exit 0
