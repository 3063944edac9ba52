// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_dev.c - register-level device control: identification, coherent
 * buffers shared with the device, interrupts, reset and (re)start.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>

#include <drm/drm_print.h>

#include "tnpu_drv.h"

#define TNPU_RESET_TIMEOUT_US	(5 * USEC_PER_SEC)

static const char * const tnpu_fault_reason_names[] = {
	[TNPU_FAULT_NOT_MAPPED] = "not mapped",
	[TNPU_FAULT_PERMISSION] = "permission",
	[TNPU_FAULT_BAD_ENTRY] = "bad entry",
	[TNPU_FAULT_BAD_CONTEXT] = "bad context",
	[TNPU_FAULT_RANGE] = "out of range",
	[TNPU_FAULT_WALK_DMA] = "walk DMA error",
};

static const char * const tnpu_queue_irq_names[TNPU_NUM_QUEUES] = {
	"tnpu-q0", "tnpu-q1", "tnpu-q2", "tnpu-q3",
};

/*
 * Log and clear the device's fault record, so the next fault is latched.
 * Only for the log: the record holds just the first fault until cleared, so
 * each job's own address comes from its ring slot (fault_addr), not from
 * here.  Runs only in the device vector's handler, which never nests.
 */
static void tnpu_fault_latch(struct tnpu_device *tdev)
{
	u32 fs, reason;
	u64 addr;

	fs = tnpu_rd(tdev, TNPU_REG_FAULT_STATUS);
	if (!(fs & TNPU_FAULT_VALID))
		return;
	addr = tnpu_rd(tdev, TNPU_REG_FAULT_ADDR_LO) |
	       ((u64)tnpu_rd(tdev, TNPU_REG_FAULT_ADDR_HI) << 32);
	tnpu_wr(tdev, TNPU_REG_FAULT_STATUS, TNPU_FAULT_VALID);

	reason = TNPU_FAULT_REASON(fs);
	dev_err_ratelimited(tdev->drm.dev,
			    "MMU fault: ctx %u queue %u %s at 0x%llx: %s\n",
			    TNPU_FAULT_CTX(fs), TNPU_FAULT_QUEUE(fs),
			    fs & TNPU_FAULT_WRITE ? "write" : "read", addr,
			    reason < ARRAY_SIZE(tnpu_fault_reason_names) &&
			    tnpu_fault_reason_names[reason] ?
			    tnpu_fault_reason_names[reason] : "unknown reason");
}

static irqreturn_t tnpu_device_irq(int irq, void *arg)
{
	struct tnpu_device *tdev = arg;
	u32 st;

	st = tnpu_rd(tdev, TNPU_REG_INT_STATUS) &
	     (TNPU_INT_BOOT_DONE | TNPU_INT_MMU_FAULT | TNPU_INT_RESET_DONE);
	if (!st)
		return IRQ_NONE;
	tnpu_wr(tdev, TNPU_REG_INT_STATUS, st);

	if (st & TNPU_INT_MMU_FAULT)
		tnpu_fault_latch(tdev);
	if (st & TNPU_INT_BOOT_DONE)
		complete(&tdev->boot_done);
	/* RESET_DONE: reset completion is polled through STATUS.RESETTING. */
	return IRQ_HANDLED;
}

int tnpu_dev_irq_init(struct tnpu_device *tdev)
{
	struct pci_dev *pdev = tdev->pdev;
	unsigned int i;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, TNPU_NUM_VECTORS, TNPU_NUM_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot allocate %u MSI-X vectors: %d\n",
			TNPU_NUM_VECTORS, ret);
		return ret;
	}

	ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, TNPU_VEC_DEVICE),
			       tnpu_device_irq, 0, "tnpu-dev", tdev);
	if (ret)
		return ret;

	for (i = 0; i < tdev->num_queues; i++) {
		ret = devm_request_irq(&pdev->dev,
				       pci_irq_vector(pdev, TNPU_VEC_QUEUE(i)),
				       tnpu_queue_irq, 0, tnpu_queue_irq_names[i],
				       &tdev->queue[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Identify the device and allocate the memory it shares with the host.
 * Everything here is device-managed, so it is released after remove().
 */
int tnpu_dev_init_hw(struct tnpu_device *tdev)
{
	struct device *dev = tdev->drm.dev;
	unsigned int i, major;
	u32 id;
	u64 *fences;
	dma_addr_t fences_dma;

	id = tnpu_rd(tdev, TNPU_REG_ID);
	if (id != TNPU_ID_MAGIC) {
		dev_err(dev, "bad ID register 0x%08x (expected 0x%08x)\n",
			id, TNPU_ID_MAGIC);
		return -ENODEV;
	}
	tdev->hw_version = tnpu_rd(tdev, TNPU_REG_HW_VERSION);
	major = tdev->hw_version >> 16;
	if (major != TNPU_HW_VERSION_MAJOR) {
		dev_err(dev, "unsupported hardware version %u.%u (driver supports %u.x)\n",
			major, tdev->hw_version & 0xffff, TNPU_HW_VERSION_MAJOR);
		return -ENODEV;
	}
	tdev->caps = tnpu_rd(tdev, TNPU_REG_CAPS);
	tdev->hw_cfg = tnpu_rd(tdev, TNPU_REG_HW_CFG);

	tdev->num_queues = min_t(unsigned int, TNPU_HW_CFG_QUEUES(tdev->hw_cfg),
				 TNPU_NUM_QUEUES);
	if (!tdev->num_queues) {
		dev_err(dev, "device reports no queues (HW_CFG 0x%08x)\n", tdev->hw_cfg);
		return -ENODEV;
	}
	i = TNPU_HW_CFG_VA_BITS(tdev->hw_cfg);
	if (!i || i > TNPU_VA_BITS)
		i = TNPU_VA_BITS;
	if ((1ull << i) <= 2 * TNPU_VA_START) {
		dev_err(dev, "device VA space too small (%u bits)\n", i);
		return -ENODEV;
	}
	tdev->va_start = TNPU_VA_START;
	tdev->va_size = (1ull << i) - TNPU_VA_START;

	tdev->ctx_table = dmam_alloc_coherent(dev, TNPU_CTX_TABLE_SIZE,
					      &tdev->ctx_table_dma, GFP_KERNEL);
	if (!tdev->ctx_table)
		return -ENOMEM;

	/* One page holds every queue's fence, 64 bytes apart. */
	fences = dmam_alloc_coherent(dev, PAGE_SIZE, &fences_dma, GFP_KERNEL);
	if (!fences)
		return -ENOMEM;

	for (i = 0; i < tdev->num_queues; i++) {
		struct tnpu_queue *q = &tdev->queue[i];

		q->ring = dmam_alloc_coherent(dev,
					      TNPU_RING_ENTRIES * sizeof(*q->ring),
					      &q->ring_dma, GFP_KERNEL);
		if (!q->ring)
			return -ENOMEM;
		q->fence_cpu = fences + i * 8;
		q->fence_dma = fences_dma + i * 64;
	}
	return 0;
}

/* Hard-reset the device.  Every queued or running job is dropped by it. */
int tnpu_dev_reset(struct tnpu_device *tdev)
{
	u32 st;
	int ret;

	tnpu_wr(tdev, TNPU_REG_CONTROL, TNPU_CONTROL_RESET);
	ret = readl_poll_timeout(tdev->regs + TNPU_REG_STATUS, st,
				 !(st & TNPU_STATUS_RESETTING), 100,
				 TNPU_RESET_TIMEOUT_US);
	if (ret)
		drm_err(&tdev->drm, "device reset timed out (STATUS 0x%08x)\n", st);
	return ret;
}

/* Boot firmware and program the MMU and queues: at probe and after reset. */
int tnpu_dev_start(struct tnpu_device *tdev)
{
	unsigned int i;
	int ret;

	tnpu_wr(tdev, TNPU_REG_INT_STATUS, ~0u);
	tnpu_wr(tdev, TNPU_REG_INT_MASK, 0);

	ret = tnpu_fw_boot(tdev);
	if (ret)
		return ret;

	tnpu_mmu_restore(tdev);
	for (i = 0; i < tdev->num_queues; i++)
		tnpu_queue_hw_init(&tdev->queue[i]);
	return 0;
}

/* Quiesce the device before its memory is released (remove, probe error). */
void tnpu_dev_shutdown(struct tnpu_device *tdev)
{
	unsigned int i;

	tnpu_wr(tdev, TNPU_REG_INT_MASK, ~0u);
	for (i = 0; i < tdev->num_queues; i++)
		tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_CONTROL), 0);
	tnpu_dev_reset(tdev);
	tnpu_wr(tdev, TNPU_REG_CTX_TABLE_LO, 0);
	tnpu_wr(tdev, TNPU_REG_CTX_TABLE_HI, 0);
	for (i = 0; i < TNPU_NUM_VECTORS; i++)
		synchronize_irq(pci_irq_vector(tdev->pdev, i));
}
