// SPDX-License-Identifier: MIT
/*
 * cp_job.c - the job path: arbitration and descriptor fetch (next), command
 * execution (execute, unlocked) and completion (finish).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cp_internal.h"
#include "gemm.h"
#include "mmu.h"
#include "ops.h"

/* The part of a descriptor the device writes back, in ring-slot order. */
struct job_result {
	uint32_t status;
	uint32_t err_offset;
	uint64_t duration_ns;
	uint64_t fault_addr;
};

_Static_assert(offsetof(struct tnpu_job_desc, err_offset) ==
	       offsetof(struct tnpu_job_desc, status) + 4, "result layout");
_Static_assert(offsetof(struct tnpu_job_desc, duration_ns) ==
	       offsetof(struct tnpu_job_desc, status) + 8, "result layout");
_Static_assert(offsetof(struct tnpu_job_desc, fault_addr) ==
	       offsetof(struct tnpu_job_desc, status) + 16, "result layout");
_Static_assert(sizeof(struct job_result) == 24, "result layout");

static bool queue_ready(const struct tnpu_cp_queue *q)
{
	return q->status == TNPU_QSTATUS_ENABLED && q->head != q->tail;
}

bool tnpu_cp_has_work(const struct tnpu_cp *cp)
{
	unsigned int n;

	if (cp->running)
		return false;
	if (cp->boot_pending)
		return true;
	if (!(cp->status & TNPU_STATUS_FW_READY))
		return false;
	for (n = 0; n < TNPU_NUM_QUEUES; n++)
		if (queue_ready(&cp->q[n]))
			return true;
	return false;
}

/*
 * Highest priority first.  Among the ready queues of that priority, the
 * last-served queue keeps going until it has run cp->burst jobs in a row,
 * then the next one after it (cyclically) gets a fresh burst.
 */
static int pick_queue(struct tnpu_cp *cp)
{
	unsigned int n, last = cp->last_queue % TNPU_NUM_QUEUES, pick = 0;
	int best = -1;

	for (n = 0; n < TNPU_NUM_QUEUES; n++)
		if (queue_ready(&cp->q[n]) && (int)cp->q[n].priority > best)
			best = (int)cp->q[n].priority;
	if (best < 0)
		return -1;

	if (queue_ready(&cp->q[last]) && (int)cp->q[last].priority == best &&
	    cp->q[last].burst_used < cp->burst) {
		pick = last;
	} else {
		/* n == TNPU_NUM_QUEUES comes back to @last itself */
		for (n = 1; n <= TNPU_NUM_QUEUES; n++) {
			pick = (last + n) % TNPU_NUM_QUEUES;
			if (queue_ready(&cp->q[pick]) && (int)cp->q[pick].priority == best)
				break;
		}
		cp->q[pick].burst_used = 0;
	}
	cp->q[pick].burst_used++;
	cp->last_queue = pick;
	return (int)pick;
}

static bool desc_valid(const struct tnpu_job_desc *d)
{
	return d->ctx != 0 && d->ctx < TNPU_NUM_CONTEXTS &&
	       !(d->flags & ~TNPU_JOB_F_ALL) &&
	       d->cmd_size != 0 && d->cmd_size % 8 == 0 && d->cmd_size <= TNPU_CMD_MAX_SIZE &&
	       !(d->cmd_addr & 7) &&
	       !d->fault_addr && !d->reserved[0] && !d->reserved[1];
}

bool tnpu_cp_next(struct tnpu_cp *cp, struct tnpu_cp_job *job)
{
	if (cp->running)
		return false;
	if (cp->boot_pending)
		tnpu_cp_do_boot(cp);
	if (!(cp->status & TNPU_STATUS_FW_READY))
		return false;

	for (;;) {
		int n = pick_queue(cp);
		struct tnpu_cp_queue *q;

		if (n < 0)
			return false;
		q = &cp->q[n];
		memset(job, 0, sizeof(*job));
		job->queue = (unsigned int)n;
		job->index = q->head;
		job->generation = cp->generation;
		job->ctx_table = cp->ctx_table;
		q->head = (q->head + 1) & (q->size - 1);
		if (cp->hal->dma_read(cp->hal->opaque, q->ring + (uint64_t)job->index *
				      TNPU_JOB_DESC_SIZE, &job->desc, sizeof(job->desc))) {
			/* no descriptor, so no fence value to report: halt the queue */
			cp_log(cp, "tnpu: queue %d: ring slot %u not readable, queue halted\n",
			       n, job->index);
			q->status = TNPU_QSTATUS_ERROR;
			continue;
		}
		job->status = desc_valid(&job->desc) ? TNPU_JOB_PENDING : TNPU_JOB_INVALID_DESC;
		if (job->status != TNPU_JOB_PENDING)
			cp_log(cp, "tnpu: queue %d slot %u: invalid descriptor\n", n, job->index);
		cp->running = true;
		cp->status |= TNPU_STATUS_BUSY;
		return true;
	}
}

static void record_fault(struct tnpu_cp_job *job, const struct tnpu_mmu_fault *f)
{
	job->fault = true;
	job->fault_status = TNPU_FAULT_MAKE(f->write, f->reason, job->desc.ctx, job->queue);
	job->fault_addr = f->va;
}

void tnpu_cp_execute(struct tnpu_cp *cp, struct tnpu_cp_job *job)
{
	const struct tnpu_hal *hal = cp->hal;
	struct tnpu_mmu mmu;
	struct tnpu_exec ex = { .mmu = &mmu, .abort = &cp->abort };
	uint64_t start;
	uint8_t *cmds;

	if (job->status != TNPU_JOB_PENDING)
		return;
	start = hal->clock_ns(hal->opaque);
	tnpu_mmu_init(&mmu, hal, job->ctx_table, job->desc.ctx);
	cmds = malloc(job->desc.cmd_size);
	if (!cmds) {
		job->status = TNPU_JOB_DMA_ERROR;
	} else {
		switch (tnpu_mmu_read(&mmu, job->desc.cmd_addr, cmds, job->desc.cmd_size,
				      &ex.fault)) {
		case TNPU_MMU_OK:
			job->status = tnpu_ops_run(&ex, cmds, job->desc.cmd_size,
						   &job->err_offset);
			break;
		case TNPU_MMU_FAULTED:
			job->status = TNPU_JOB_MMU_FAULT;
			break;
		default:
			job->status = TNPU_JOB_DMA_ERROR;
			break;
		}
		free(cmds);
	}
	if (job->status == TNPU_JOB_MMU_FAULT)
		record_fault(job, &ex.fault);
	if (tnpu_abort_requested(&cp->abort))
		job->status = TNPU_JOB_ABORTED;
	job->duration_ns = hal->clock_ns(hal->opaque) - start;
}

void tnpu_cp_finish(struct tnpu_cp *cp, struct tnpu_cp_job *job)
{
	const struct tnpu_hal *hal = cp->hal;
	struct tnpu_cp_queue *q = &cp->q[job->queue % TNPU_NUM_QUEUES];
	struct job_result res = {
		.status = job->status,
		.err_offset = job->err_offset,
		.duration_ns = job->duration_ns,
		/* per job: the latched FAULT_* record keeps only the first fault */
		.fault_addr = job->status == TNPU_JOB_MMU_FAULT ? job->fault_addr : 0,
	};

	cp->running = false;
	cp->status &= ~TNPU_STATUS_BUSY;
	if (job->generation != cp->generation) {
		/* a reset happened since next(): the job never completes */
		if (cp->reset_pending)
			tnpu_cp_reset_done(cp);
		return;
	}
	if (!(q->control & TNPU_QCTRL_ENABLE)) {
		/* queue disabled meanwhile: its ring may be gone, drop the job */
		cp_log(cp, "tnpu: queue %u disabled while running a job, completion dropped\n",
		       job->queue);
		return;
	}
	if (job->fault && !(cp->fault_status & TNPU_FAULT_VALID)) {
		cp->fault_status = job->fault_status;
		cp->fault_addr = job->fault_addr;
		tnpu_cp_raise(cp, TNPU_INT_MMU_FAULT);
	}
	if (hal->dma_write(hal->opaque, q->ring + (uint64_t)job->index * TNPU_JOB_DESC_SIZE +
			   offsetof(struct tnpu_job_desc, status), &res, sizeof(res)))
		cp_log(cp, "tnpu: queue %u slot %u: status write-back failed\n", job->queue,
		       job->index);
	if (hal->dma_write(hal->opaque, q->fence, &job->desc.fence_value,
			   sizeof(job->desc.fence_value)))
		cp_log(cp, "tnpu: queue %u: fence write failed\n", job->queue);
	q->completed = job->desc.fence_value;
	cp->jobs_done++;
	if (!(job->desc.flags & TNPU_JOB_F_NO_IRQ))
		tnpu_cp_raise(cp, TNPU_INT_QUEUE(job->queue));
}
