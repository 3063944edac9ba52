#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# inject.sh BUG DIR - plant a known bug in a copy of the driver sources.
#
# Used only by tests/harness/selftest.sh, on a copy under build/: the driver
# in the repo never carries these bugs.  Each injection must apply exactly
# once, so a driver change that moves the code makes the self-test fail
# loudly instead of silently testing nothing.
#
#   uaf          BO_INFO drops the lookup reference twice: the buffer is freed
#                while its handle still points at it, and closing the handle
#                is a use-after-free (KASAN: slab-use-after-free).
#   bo-leak      BO_CREATE takes an extra reference nobody drops: every
#                buffer leaks, and DRM's own check at unload finds the mmap
#                offsets still allocated (WARNING in drm_mm_takedown).
#   status-leak  WAIT forgets to drop the reference the id held: every reaped
#                job status object leaks (kmemleak: unreferenced object).
#
# (kmemleak cannot see a leaked BO: all BOs of a device are threaded on
# the vma-offset drm_mm node list, so they form one cycle that any stale
# pointer keeps "reachable".  DRM's takedown check catches it instead.)
set -euo pipefail
bug=$1 dir=$2
file=$dir/driver/tnpu_gem.c

case "$bug" in
uaf)
	old='out:\n\tdrm_gem_object_put(obj);\n\treturn ret;'
	new='out:\n\tdrm_gem_object_put(obj);\n\tdrm_gem_object_put(obj);\n\treturn ret;'
	;;
bo-leak)
	old='\targs->mmap_offset = drm_vma_node_offset_addr(&shmem->base.vma_node);\nout_put:'
	new='\targs->mmap_offset = drm_vma_node_offset_addr(&shmem->base.vma_node);\n\tdrm_gem_object_get(\&shmem->base);\nout_put:'
	;;
status-leak)
	file=$dir/driver/tnpu_job.c
	old='\t\tatomic_dec(&tfile->status_count);\n\t\ttnpu_status_put(st);\n\t\tret = 0;'
	new='\t\tatomic_dec(\&tfile->status_count);\n\t\tret = 0;'
	;;
*)
	echo "inject.sh: unknown bug '$bug'" >&2
	exit 2
	;;
esac

count=$(perl -0ne 'my $o = "'"$old"'"; $o =~ s/\\n/\n/g; $o =~ s/\\t/\t/g; my $n = () = /\Q$o\E/g; print $n' "$file")
if [ "$count" != 1 ]; then
	echo "inject.sh: the $bug injection point matches $count times in $file (want 1)" >&2
	exit 1
fi
perl -0pi -e 'my $o = "'"$old"'"; my $n = "'"$new"'"; for ($o, $n) { s/\\n/\n/g; s/\\t/\t/g; s/\\&/&/g } s/\Q$o\E/$n/' "$file"
