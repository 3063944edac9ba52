/* SPDX-License-Identifier: MIT */
/*
 * tnpu_cp.h - the tnpu command processor, as portable C behind a small HAL.
 *
 * This is the device's "firmware": it owns the register file of BAR0, the
 * boot handshake, queue arbitration, job fetch and validation, the MMU walk,
 * op execution and completion.  The same code runs inside the QEMU device
 * model (HAL = pci_dma_*, MSI-X, virtual clock) and on the host under unit
 * tests (HAL = a fake memory array).
 *
 * Threading contract (the caller provides the lock):
 *   - tnpu_cp_mmio_read/write, tnpu_cp_next, tnpu_cp_finish and
 *     tnpu_cp_reset are called with the device lock held.  They never block
 *     for long: MMIO handlers only latch state.
 *   - tnpu_cp_execute is called WITHOUT the lock, on a worker thread, and
 *     touches only the job, the HAL and atomics in the cp.  It may take as
 *     long as the job takes.
 *   - A worker loop is:
 *       lock; while (!tnpu_cp_next(cp, &job)) wait(cond); unlock;
 *       tnpu_cp_execute(cp, &job);
 *       lock; tnpu_cp_finish(cp, &job); unlock;
 *     and the MMIO path signals cond when tnpu_cp_mmio_write returns true.
 */
#ifndef TNPU_CP_H
#define TNPU_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tnpu_hw.h"

struct tnpu_hal {
	void *opaque;
	/*
	 * Bus-address DMA.  Return 0 on success, -1 if any byte of the range
	 * is not ordinary host RAM (the device never DMAs to MMIO).
	 * Called from both locked and unlocked contexts.
	 */
	int (*dma_read)(void *opaque, uint64_t addr, void *buf, size_t len);
	int (*dma_write)(void *opaque, uint64_t addr, const void *buf, size_t len);
	/* Request an MSI-X message on @vector; may be called with the lock held. */
	void (*raise_irq)(void *opaque, unsigned int vector);
	/* Monotonic nanoseconds. */
	uint64_t (*clock_ns)(void *opaque);
	/* Report a guest programming error (LOG_GUEST_ERROR in QEMU); may be NULL. */
	void (*log)(void *opaque, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
};

struct tnpu_cp_queue {
	uint64_t ring;		/* bus address */
	uint32_t size;		/* entries */
	uint32_t priority;
	uint64_t fence;		/* bus address */
	uint32_t control;
	uint32_t head;		/* next index to fetch, 0..size-1 */
	uint32_t tail;		/* doorbell value */
	uint32_t status;	/* TNPU_QSTATUS_* */
	uint64_t completed;	/* last fence value written */
	uint32_t burst_used;	/* arbitration state */
};

/* A fetched job, owned by the worker between next() and finish(). */
struct tnpu_cp_job {
	unsigned int queue;
	uint32_t index;			/* ring slot */
	uint32_t generation;		/* cp->generation at fetch */
	struct tnpu_job_desc desc;	/* host copy of the descriptor */
	uint32_t status;		/* enum tnpu_job_status, set by execute */
	uint32_t err_offset;
	uint64_t duration_ns;
	bool fault;			/* execute latched an MMU fault */
	uint32_t fault_status;		/* TNPU_FAULT_MAKE() value */
	uint64_t fault_addr;
	uint64_t ctx_table;		/* CTX_TABLE at fetch (execute runs unlocked) */
};

struct tnpu_cp {
	const struct tnpu_hal *hal;

	/* registers */
	uint32_t status;
	uint32_t boot_err;
	uint32_t fw_version, fw_abi, fw_features;
	char fw_build[32];
	uint32_t int_status, int_mask;
	uint64_t fw_addr;
	uint32_t fw_size;
	uint64_t ctx_table;
	uint32_t fault_status;
	uint64_t fault_addr;
	uint32_t jobs_done;
	uint32_t reset_count;
	struct tnpu_cp_queue q[TNPU_NUM_QUEUES];

	/* firmware parameters from the SCHED section */
	uint32_t burst;

	/* worker handshake */
	bool boot_pending;
	bool reset_pending;
	bool running;			/* a job is between next() and finish() */
	uint32_t generation;		/* bumped by every reset */
	volatile int abort;		/* execute polls this; set by reset */
	unsigned int last_queue;	/* round-robin cursor */
};

/* Power-on state.  @hal must outlive @cp. */
void tnpu_cp_init(struct tnpu_cp *cp, const struct tnpu_hal *hal);

/*
 * Device reset (CONTROL.RESET or a bus reset): drops the firmware, disables
 * and clears every queue, clears interrupts and the fault record.  A job in
 * execute is aborted and its completion discarded (no status, no fence).
 * If a job is running, STATUS.RESETTING stays set until its finish().
 */
void tnpu_cp_reset(struct tnpu_cp *cp);

/* 32-bit register access at BAR0 offset @off. */
uint32_t tnpu_cp_mmio_read(struct tnpu_cp *cp, uint32_t off);
/* Returns true if the worker should be woken. */
bool tnpu_cp_mmio_write(struct tnpu_cp *cp, uint32_t off, uint32_t val);

/*
 * Do pending boot/reset work and pick the next job by priority (highest
 * first, round-robin with a burst of cp->burst among equals).  Returns true
 * and fills @job if one was fetched; its ring slot is consumed (HEAD moves).
 * A descriptor that fails validation is still returned, with job->status
 * already set, so finish() reports it.
 */
bool tnpu_cp_next(struct tnpu_cp *cp, struct tnpu_cp_job *job);

/* Run the job's command stream.  No lock held. */
void tnpu_cp_execute(struct tnpu_cp *cp, struct tnpu_cp_job *job);

/*
 * Write back status/err_offset/duration_ns/fault_addr into the ring slot,
 * store the fence value, latch a fault record (if none is latched), set
 * INT_STATUS bits and raise vectors.
 * Discards the job if a reset happened since it was fetched.
 */
void tnpu_cp_finish(struct tnpu_cp *cp, struct tnpu_cp_job *job);

/* True if tnpu_cp_next() would find work (boot, reset or a queued job). */
bool tnpu_cp_has_work(const struct tnpu_cp *cp);

#endif /* TNPU_CP_H */
