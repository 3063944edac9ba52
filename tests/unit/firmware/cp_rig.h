/* SPDX-License-Identifier: MIT */
/*
 * cp_rig.h - a command processor on a fake HAL, driven through its
 * registers the way a driver would: boot, queues, ring submission.
 */
#ifndef CP_RIG_H
#define CP_RIG_H

#include "fake_hal.h"
#include "tnpu_cp.h"

struct rig_queue {
	uint64_t ring, fence;
	uint32_t size, tail;
};

struct rig {
	struct fake_hal f;
	struct tnpu_cp cp;
	struct rig_queue q[TNPU_NUM_QUEUES];
};

/* Fresh device; context 1 exists with an empty page table; CTX_TABLE set. */
struct rig *rig_new(void);
void rig_free(struct rig *r);

uint32_t rig_rd(struct rig *r, uint32_t off);
bool rig_wr(struct rig *r, uint32_t off, uint32_t val);

/* Place @len bytes at a new bus address and boot them; returns BOOT_ERR. */
uint32_t rig_boot_image(struct rig *r, const void *img, size_t len);
/* Boot a default image with SCHED burst @burst; asserts success. */
void rig_boot(struct rig *r, uint32_t burst);

/* Program queue @q (ring, fence, size, priority) and enable; returns QSTATUS. */
uint32_t rig_queue(struct rig *r, unsigned int q, uint32_t size, uint32_t prio);

/* Host view of ring slot @idx of queue @q. */
struct tnpu_job_desc *rig_desc(struct rig *r, unsigned int q, uint32_t idx);
uint64_t rig_fence(struct rig *r, unsigned int q);

/* Fill the next ring slot and ring the doorbell; returns the slot index. */
uint32_t rig_submit_desc(struct rig *r, unsigned int q, const struct tnpu_job_desc *d);
uint32_t rig_submit(struct rig *r, unsigned int q, uint16_t ctx, uint64_t cmd_va,
		    uint32_t cmd_size, uint64_t fence_value);

/* One worker iteration: next, execute, finish.  Returns false if idle. */
bool rig_step(struct rig *r, struct tnpu_cp_job *job);
/* Run until idle; returns the number of jobs run. */
unsigned int rig_drain(struct rig *r);

/* Map a fresh command buffer for context 1 at @va holding @len bytes. */
void rig_cmds(struct rig *r, uint64_t va, const void *cmds, size_t len);

#endif /* CP_RIG_H */
