/* SPDX-License-Identifier: MIT */
/*
 * ops.h - command-stream executor: validates each command and moves its
 * data through the MMU.  Runs on the worker thread without the device lock.
 */
#ifndef TNPU_OPS_H
#define TNPU_OPS_H

#include <stdint.h>

#include "mmu.h"

struct tnpu_exec {
	struct tnpu_mmu *mmu;
	const volatile int *abort;	/* set by a device reset */
	struct tnpu_mmu_fault fault;	/* valid when a command returns MMU_FAULT */
};

/*
 * Execute the @size-byte command stream @cmds (already copied from device
 * memory).  Returns an enum tnpu_job_status; on failure *err_offset is the
 * byte offset of the failing command.
 */
uint32_t tnpu_ops_run(struct tnpu_exec *ex, const uint8_t *cmds, uint32_t size,
		      uint32_t *err_offset);

#endif /* TNPU_OPS_H */
