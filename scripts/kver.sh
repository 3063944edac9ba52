#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kver.sh - print the Debian 6.12 kernel version the guest boots and the
# driver builds against (newest /lib/modules/6.12*-amd64).  $KVER overrides.
set -euo pipefail

if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi
ver=$(ls /lib/modules 2>/dev/null | grep -E '^6\.12.*-amd64$' | sort -V | tail -n1 || true)
if [ -z "$ver" ]; then
	echo "kver.sh: no /lib/modules/6.12*-amd64 found; run scripts/deps.sh" >&2
	exit 1
fi
echo "$ver"
