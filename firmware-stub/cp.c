// SPDX-License-Identifier: MIT
/*
 * cp.c - the command processor's register file: BAR0 reads and writes,
 * interrupt status/mask, boot handshake, device reset and queue
 * configuration.  Everything here runs with the device lock held and only
 * latches state; the work itself happens in tnpu_cp_next() (cp_job.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cp_internal.h"
#include "fw_image.h"

#define INT_DEVICE_BITS	(TNPU_INT_BOOT_DONE | TNPU_INT_MMU_FAULT | TNPU_INT_RESET_DONE)
#define INT_QUEUE_BITS	(((1u << TNPU_NUM_QUEUES) - 1) << 8)
#define INT_ALL		(INT_DEVICE_BITS | INT_QUEUE_BITS)
#define QREG_END	TNPU_QREG(TNPU_NUM_QUEUES, 0)

#define CAPS		(TNPU_CAP_GEMM_FP32 | TNPU_CAP_GEMM_INT8 | TNPU_CAP_MMU | \
			 TNPU_CAP_COPY_FILL)
#define HW_CFG		TNPU_HW_CFG_MAKE(TNPU_NUM_QUEUES, TNPU_NUM_CORES, \
					 TNPU_NUM_CONTEXTS, TNPU_VA_BITS)

static void deliver(struct tnpu_cp *cp, uint32_t bits)
{
	unsigned int q;

	if (bits & INT_DEVICE_BITS)
		cp->hal->raise_irq(cp->hal->opaque, TNPU_VEC_DEVICE);
	for (q = 0; q < TNPU_NUM_QUEUES; q++)
		if (bits & TNPU_INT_QUEUE(q))
			cp->hal->raise_irq(cp->hal->opaque, TNPU_VEC_QUEUE(q));
}

void tnpu_cp_raise(struct tnpu_cp *cp, uint32_t bits)
{
	cp->int_status |= bits;
	deliver(cp, bits & ~cp->int_mask);
}

/* Everything a reset returns to its power-on value. */
static void clear_state(struct tnpu_cp *cp)
{
	cp->status = 0;
	cp->boot_err = TNPU_BOOT_OK;
	cp->fw_version = 0;
	cp->fw_abi = 0;
	cp->fw_features = 0;
	memset(cp->fw_build, 0, sizeof(cp->fw_build));
	cp->int_status = 0;
	cp->int_mask = 0;
	cp->fw_addr = 0;
	cp->fw_size = 0;
	cp->ctx_table = 0;
	cp->fault_status = 0;
	cp->fault_addr = 0;
	cp->jobs_done = 0;
	memset(cp->q, 0, sizeof(cp->q));
	cp->burst = TNPU_FW_BURST_MIN;
	cp->boot_pending = false;
	cp->last_queue = 0;
}

void tnpu_cp_init(struct tnpu_cp *cp, const struct tnpu_hal *hal)
{
	memset(cp, 0, sizeof(*cp));
	cp->hal = hal;
	clear_state(cp);
}

void tnpu_cp_reset_done(struct tnpu_cp *cp)
{
	cp->status &= ~TNPU_STATUS_RESETTING;
	cp->reset_pending = false;
	__atomic_store_n(&cp->abort, 0, __ATOMIC_RELAXED);
	tnpu_cp_raise(cp, TNPU_INT_RESET_DONE);
}

void tnpu_cp_reset(struct tnpu_cp *cp)
{
	/* first make a running job stop and its finish() a no-op */
	if (cp->running)
		__atomic_store_n(&cp->abort, 1, __ATOMIC_RELAXED);
	cp->generation++;
	clear_state(cp);
	cp->reset_count++;
	if (cp->running) {
		cp->status = TNPU_STATUS_RESETTING | TNPU_STATUS_BUSY;
		cp->reset_pending = true;
	} else {
		tnpu_cp_reset_done(cp);
	}
}

void tnpu_cp_do_boot(struct tnpu_cp *cp)
{
	struct tnpu_fw_params p;
	enum tnpu_boot_err err;
	void *img = NULL;

	cp->boot_pending = false;
	cp->status &= ~TNPU_STATUS_BOOTING;
	if (cp->fw_size < sizeof(struct tnpu_fw_header) || cp->fw_size > TNPU_FW_MAX_SIZE) {
		err = TNPU_BOOT_SIZE;
	} else {
		img = malloc(cp->fw_size);
		if (!img || cp->hal->dma_read(cp->hal->opaque, cp->fw_addr, img, cp->fw_size))
			err = TNPU_BOOT_DMA;
		else
			err = tnpu_fw_validate(img, cp->fw_size, &p);
	}
	free(img);

	cp->boot_err = err;
	if (err == TNPU_BOOT_OK) {
		cp->status = (cp->status & ~TNPU_STATUS_FW_ERROR) | TNPU_STATUS_FW_READY;
		cp->fw_version = p.fw_version;
		cp->fw_abi = p.abi;
		cp->fw_features = p.features;
		memcpy(cp->fw_build, p.build, sizeof(cp->fw_build));
		cp->burst = p.burst;
	} else {
		cp->status = (cp->status & ~TNPU_STATUS_FW_READY) | TNPU_STATUS_FW_ERROR;
		cp_log(cp, "tnpu: firmware boot failed: %s\n", tnpu_boot_err_name(err));
	}
	tnpu_cp_raise(cp, TNPU_INT_BOOT_DONE);
}

static bool control_write(struct tnpu_cp *cp, uint32_t val)
{
	if (val & ~(TNPU_CONTROL_RESET | TNPU_CONTROL_BOOT))
		cp_log(cp, "tnpu: CONTROL: unknown bits 0x%x ignored\n", val);
	if (val & TNPU_CONTROL_RESET)
		tnpu_cp_reset(cp);
	if (!(val & TNPU_CONTROL_BOOT))
		return false;
	if (cp->status & TNPU_STATUS_FW_READY) {
		/* the running firmware stays up; the request is refused */
		cp_log(cp, "tnpu: CONTROL.BOOT while firmware is running\n");
		cp->boot_err = TNPU_BOOT_BUSY;
		tnpu_cp_raise(cp, TNPU_INT_BOOT_DONE);
		return false;
	}
	if (cp->boot_pending) {
		cp_log(cp, "tnpu: CONTROL.BOOT while a boot is pending, ignored\n");
		return false;
	}
	cp->boot_pending = true;
	cp->boot_err = TNPU_BOOT_OK;
	cp->status = (cp->status & ~TNPU_STATUS_FW_ERROR) | TNPU_STATUS_BOOTING;
	return true;
}

static void set_lo(uint64_t *r, uint32_t v)
{
	*r = (*r & 0xffffffff00000000ull) | v;
}

static void set_hi(uint64_t *r, uint32_t v)
{
	*r = (*r & 0xffffffffull) | ((uint64_t)v << 32);
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool queue_config_ok(struct tnpu_cp *cp, unsigned int n)
{
	const struct tnpu_cp_queue *q = &cp->q[n];

	if (!(cp->status & TNPU_STATUS_FW_READY)) {
		cp_log(cp, "tnpu: queue %u enabled before the firmware is ready\n", n);
		return false;
	}
	if (!is_pow2(q->size) || q->size < TNPU_QUEUE_MIN_ENTRIES ||
	    q->size > TNPU_QUEUE_MAX_ENTRIES || (q->ring & 63) || (q->fence & 7) ||
	    q->priority >= TNPU_NUM_PRIORITIES) {
		cp_log(cp, "tnpu: queue %u: bad config (size %u ring 0x%llx fence 0x%llx prio %u)\n",
		       n, q->size, (unsigned long long)q->ring, (unsigned long long)q->fence,
		       q->priority);
		return false;
	}
	return true;
}

static void queue_control(struct tnpu_cp *cp, unsigned int n, uint32_t val)
{
	struct tnpu_cp_queue *q = &cp->q[n];

	if (val & ~TNPU_QCTRL_ENABLE)
		cp_log(cp, "tnpu: queue %u CONTROL: unknown bits 0x%x ignored\n", n, val);
	if (!(val & TNPU_QCTRL_ENABLE)) {
		/* disable: pending entries are dropped, a halted queue recovers */
		q->control = 0;
		q->status = 0;
		q->head = q->tail;
		return;
	}
	if (q->control & TNPU_QCTRL_ENABLE)
		return;
	if (!queue_config_ok(cp, n)) {
		q->status = TNPU_QSTATUS_ERROR;
		return;
	}
	q->control = TNPU_QCTRL_ENABLE;
	q->status = TNPU_QSTATUS_ENABLED;
	q->head = 0;
	q->tail = 0;
	q->burst_used = 0;
}

static bool queue_doorbell(struct tnpu_cp *cp, unsigned int n, uint32_t val)
{
	struct tnpu_cp_queue *q = &cp->q[n];

	if (!(q->status & TNPU_QSTATUS_ENABLED)) {
		cp_log(cp, "tnpu: queue %u: doorbell on a disabled or halted queue\n", n);
		return false;
	}
	if (val >= q->size) {
		cp_log(cp, "tnpu: queue %u: doorbell %u >= size %u, queue halted\n", n, val,
		       q->size);
		q->status = TNPU_QSTATUS_ERROR;
		return false;
	}
	q->tail = val;
	return q->head != q->tail;
}

static bool queue_cfg_write(struct tnpu_cp_queue *q, uint32_t r, uint32_t val)
{
	switch (r) {
	case TNPU_QREG_RING_LO:
		set_lo(&q->ring, val);
		return true;
	case TNPU_QREG_RING_HI:
		set_hi(&q->ring, val);
		return true;
	case TNPU_QREG_FENCE_LO:
		set_lo(&q->fence, val);
		return true;
	case TNPU_QREG_FENCE_HI:
		set_hi(&q->fence, val);
		return true;
	case TNPU_QREG_SIZE:
		q->size = val;
		return true;
	case TNPU_QREG_PRIORITY:
		q->priority = val;
		return true;
	default:
		return false;
	}
}

static bool is_cfg_reg(uint32_t r)
{
	return r <= TNPU_QREG_FENCE_HI;	/* RING, SIZE, PRIORITY, FENCE */
}

static bool queue_write(struct tnpu_cp *cp, unsigned int n, uint32_t r, uint32_t val)
{
	struct tnpu_cp_queue *q = &cp->q[n];

	if (is_cfg_reg(r)) {
		/* the ring must not move under the device: config is frozen while enabled */
		if (q->control & TNPU_QCTRL_ENABLE)
			cp_log(cp, "tnpu: queue %u: config write 0x%x while enabled ignored\n",
			       n, r);
		else
			queue_cfg_write(q, r, val);
		return false;
	}
	switch (r) {
	case TNPU_QREG_CONTROL:
		queue_control(cp, n, val);
		return false;
	case TNPU_QREG_TAIL:
		return queue_doorbell(cp, n, val);
	default:
		cp_log(cp, "tnpu: queue %u: write to read-only/unknown reg 0x%x\n", n, r);
		return false;
	}
}

static uint32_t queue_read(struct tnpu_cp *cp, unsigned int n, uint32_t r)
{
	struct tnpu_cp_queue *q = &cp->q[n];

	switch (r) {
	case TNPU_QREG_RING_LO:		return (uint32_t)q->ring;
	case TNPU_QREG_RING_HI:		return (uint32_t)(q->ring >> 32);
	case TNPU_QREG_SIZE:		return q->size;
	case TNPU_QREG_PRIORITY:	return q->priority;
	case TNPU_QREG_FENCE_LO:	return (uint32_t)q->fence;
	case TNPU_QREG_FENCE_HI:	return (uint32_t)(q->fence >> 32);
	case TNPU_QREG_CONTROL:		return q->control;
	case TNPU_QREG_HEAD:		return q->head;
	case TNPU_QREG_TAIL:		return q->tail;
	case TNPU_QREG_STATUS:		return q->status;
	case TNPU_QREG_COMPLETED:	return (uint32_t)q->completed;
	default:			return 0;
	}
}

uint32_t tnpu_cp_mmio_read(struct tnpu_cp *cp, uint32_t off)
{
	if (off & 3)
		return 0;
	if (off >= TNPU_REG_QUEUE_BASE && off < QREG_END)
		return queue_read(cp, (off - TNPU_REG_QUEUE_BASE) / TNPU_REG_QUEUE_STRIDE,
				  (off - TNPU_REG_QUEUE_BASE) % TNPU_REG_QUEUE_STRIDE);
	switch (off) {
	case TNPU_REG_ID:		return TNPU_ID_MAGIC;
	case TNPU_REG_HW_VERSION:	return TNPU_HW_VERSION;
	case TNPU_REG_CAPS:		return CAPS;
	case TNPU_REG_HW_CFG:		return HW_CFG;
	case TNPU_REG_STATUS:		return cp->status;
	case TNPU_REG_BOOT_ERR:		return cp->boot_err;
	case TNPU_REG_FW_VERSION:	return cp->fw_version;
	case TNPU_REG_FW_ABI:		return cp->fw_abi;
	case TNPU_REG_FW_FEATURES:	return cp->fw_features;
	case TNPU_REG_INT_STATUS:	return cp->int_status;
	case TNPU_REG_INT_MASK:		return cp->int_mask;
	case TNPU_REG_FW_ADDR_LO:	return (uint32_t)cp->fw_addr;
	case TNPU_REG_FW_ADDR_HI:	return (uint32_t)(cp->fw_addr >> 32);
	case TNPU_REG_FW_SIZE:		return cp->fw_size;
	case TNPU_REG_CTX_TABLE_LO:	return (uint32_t)cp->ctx_table;
	case TNPU_REG_CTX_TABLE_HI:	return (uint32_t)(cp->ctx_table >> 32);
	case TNPU_REG_FAULT_STATUS:	return cp->fault_status;
	case TNPU_REG_FAULT_ADDR_LO:	return (uint32_t)cp->fault_addr;
	case TNPU_REG_FAULT_ADDR_HI:	return (uint32_t)(cp->fault_addr >> 32);
	case TNPU_REG_JOBS_DONE:	return cp->jobs_done;
	case TNPU_REG_RESET_COUNT:	return cp->reset_count;
	default:			return 0;	/* CONTROL, MMU_INVALIDATE, holes */
	}
}

static void int_mask_write(struct tnpu_cp *cp, uint32_t val)
{
	uint32_t unmasked = cp->int_mask & ~val;

	if (val & ~INT_ALL)
		cp_log(cp, "tnpu: INT_MASK: unknown bits 0x%x ignored\n", val & ~INT_ALL);
	cp->int_mask = val & INT_ALL;
	/* a source that becomes unmasked while pending is delivered now */
	deliver(cp, unmasked & cp->int_status);
}

bool tnpu_cp_mmio_write(struct tnpu_cp *cp, uint32_t off, uint32_t val)
{
	if (off & 3) {
		cp_log(cp, "tnpu: unaligned register write at 0x%x\n", off);
		return false;
	}
	if (off >= TNPU_REG_QUEUE_BASE && off < QREG_END)
		return queue_write(cp, (off - TNPU_REG_QUEUE_BASE) / TNPU_REG_QUEUE_STRIDE,
				   (off - TNPU_REG_QUEUE_BASE) % TNPU_REG_QUEUE_STRIDE, val);
	switch (off) {
	case TNPU_REG_CONTROL:
		return control_write(cp, val);
	case TNPU_REG_INT_STATUS:
		cp->int_status &= ~val;
		return false;
	case TNPU_REG_INT_MASK:
		int_mask_write(cp, val);
		return false;
	case TNPU_REG_FW_ADDR_LO:
		set_lo(&cp->fw_addr, val);
		return false;
	case TNPU_REG_FW_ADDR_HI:
		set_hi(&cp->fw_addr, val);
		return false;
	case TNPU_REG_FW_SIZE:
		cp->fw_size = val;
		return false;
	case TNPU_REG_CTX_TABLE_LO:
		if (val & (TNPU_PAGE_SIZE - 1))
			cp_log(cp, "tnpu: CTX_TABLE_LO 0x%x not 4 KiB aligned, low bits dropped\n",
			       val);
		set_lo(&cp->ctx_table, val & ~(TNPU_PAGE_SIZE - 1));
		return false;
	case TNPU_REG_CTX_TABLE_HI:
		set_hi(&cp->ctx_table, val);
		return false;
	case TNPU_REG_MMU_INVALIDATE:
		/* translations are never cached across jobs: nothing to drop */
		if (val != TNPU_MMU_INVALIDATE_ALL && val >= TNPU_NUM_CONTEXTS)
			cp_log(cp, "tnpu: MMU_INVALIDATE: bad context %u\n", val);
		return false;
	case TNPU_REG_FAULT_STATUS:
		if (val & TNPU_FAULT_VALID) {
			cp->fault_status = 0;
			cp->fault_addr = 0;
		}
		return false;
	default:
		cp_log(cp, "tnpu: write 0x%x to read-only/unknown register 0x%x\n", val, off);
		return false;
	}
}
