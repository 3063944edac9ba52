#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run.sh - boot the VM with an NVMe peer device, run tnpu-bench and nvme-lat,
# and print both results and the tnpu/nvme ratios.
#
#   bench/run.sh [scripts/vm.sh options]      (e.g. --initrd PATH, --qemu PATH)
#
# Environment: BENCH_ARGS (passed to both programs, e.g. "-n 5000 -d 1,16").
# Performance is reported as a ratio against the peer measured in the same
# run, never asserted: both go through the same TCG guest kernel and QEMU.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/build/bench"
mkdir -p "$OUT"
LOG="$OUT/bench-console.log"
ARGS=${BENCH_ARGS:-}

"$REPO/scripts/vm.sh" --log "$OUT/vm-console.log" "$@" \
	--qemu-arg -drive --qemu-arg "file=null-co://,if=none,id=nvm,format=raw,size=1G" \
	--qemu-arg -device --qemu-arg "nvme,serial=tnpubench,drive=nvm" \
	-- sh -c "tnpu-bench $ARGS && nvme-lat $ARGS /dev/nvme0n1" | tee "$LOG"
rc=${PIPESTATUS[0]}
tr -d '\r' <"$LOG" >"$OUT/bench.txt"

field() {	# field FILE KEY WORD -> the number after WORD on the line starting with KEY
	awk -v k="$2" -v w="$3" '$1 == k { for (i = 2; i < NF; i++) if ($i == w) { print $(i + 1); exit } }' "$1"
}
per_s() {	# per_s FILE KEY DEPTH
	awk -v k="$2" -v d="$3" '$1 == k && $2 == "depth" && $3 == d { print $4; exit }' "$1"
}

echo
echo "==== tnpu vs nvme (same VM, same run) ===="
t_med=$(field "$OUT/bench.txt" tnpu_nop_rtt_us median)
t_p90=$(field "$OUT/bench.txt" tnpu_nop_rtt_us p90)
n_med=$(field "$OUT/bench.txt" nvme_read4k_rtt_us median)
n_p90=$(field "$OUT/bench.txt" nvme_read4k_rtt_us p90)
t_p99=$(field "$OUT/bench.txt" tnpu_nop_rtt_us p99)
n_p99=$(field "$OUT/bench.txt" nvme_read4k_rtt_us p99)
t_poll=$(field "$OUT/bench.txt" tnpu_nop_rtt_poll_us median)
if [ -z "$t_med" ] || [ -z "$n_med" ]; then
	echo "bench: missing results (vm.sh exit $rc); console in $LOG" >&2
	exit 1
fi
printf '%-28s %12s %12s %8s\n' "metric" "tnpu" "nvme" "ratio"
printf '%-28s %12s %12s %8.2f\n' "round trip median (us)" "$t_med" "$n_med" \
	"$(echo "$t_med $n_med" | awk '{ print $1 / $2 }')"
printf '%-28s %12s %12s %8.2f\n' "round trip p90 (us)" "$t_p90" "$n_p90" \
	"$(echo "$t_p90 $n_p90" | awk '{ print $1 / $2 }')"
printf '%-28s %12s %12s %8.2f\n' "round trip p99 (us)" "$t_p99" "$n_p99" \
	"$(echo "$t_p99 $n_p99" | awk '{ print $1 / $2 }')"
[ -z "$t_poll" ] || printf '%-28s %12s %12s %8s\n' "tnpu busy-poll median (us)" "$t_poll" "-" "-"
for d in $(awk '$1 == "tnpu_nop_per_s" { print $3 }' "$OUT/bench.txt"); do
	t=$(per_s "$OUT/bench.txt" tnpu_nop_per_s "$d")
	n=$(per_s "$OUT/bench.txt" nvme_read4k_per_s "$d")
	[ -n "$n" ] || continue
	printf '%-28s %12s %12s %8.2f\n' "ops/s, $d in flight" "$t" "$n" \
		"$(echo "$t $n" | awk '{ print $1 / $2 }')"
done
echo "(round trip: lower is better, ratio > 1 means tnpu is slower; ops/s: higher is better)"
exit "$rc"
