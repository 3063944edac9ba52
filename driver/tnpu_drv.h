/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tnpu_drv.h - shared state of the tnpu DRM accel driver.
 *
 * Object graph (arrows are counted references):
 *
 *   tnpu_file --> tnpu_ctx <-- tnpu_bo <-- tnpu_job --> tnpu_ctx
 *                                          tnpu_job --> tnpu_status <-- file xarray
 *
 * A context (MMU context id, page tables, VA allocator) lives until the file
 * and every BO and job of that file are gone, so jobs still running after
 * close never see freed page tables.
 */
#ifndef TNPU_DRV_H
#define TNPU_DRV_H

#include <linux/completion.h>
#include <linux/dma-fence.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>
#include <drm/gpu_scheduler.h>

#include "tnpu_hw.h"
#include "tnpu_accel.h"

#define TNPU_RING_ENTRIES	256		/* power of two, <= TNPU_QUEUE_MAX_ENTRIES */
#define TNPU_VA_START		(16ull << 20)	/* keep low addresses unmapped */

extern unsigned int tnpu_boot_timeout_ms;
extern unsigned int tnpu_job_timeout_ms;
extern char *tnpu_fw_name;

struct tnpu_device;

/* Page table: one 4 KiB coherent page plus CPU-side pointers to children. */
struct tnpu_pt {
	u64 *entries;
	dma_addr_t dma;
	struct tnpu_pt **next;		/* NULL for L0 tables */
};

/* Per-file MMU context. */
struct tnpu_ctx {
	struct kref ref;
	struct tnpu_device *tdev;
	u32 id;				/* 1..TNPU_NUM_CONTEXTS-1 */
	struct mutex lock;		/* protects mm and the page tables */
	struct drm_mm mm;
	struct tnpu_pt *root;		/* L2 table */
	/*
	 * A job may touch buffers it did not list, so a buffer freed while a
	 * job of the context may still run on the device keeps its pages
	 * mapped on @deferred until @busy (jobs submitted and not yet ended on
	 * the device) drops to zero; @release_work then unmaps and frees them.
	 * @busy grows only under @lock as well, so a free that sees it zero
	 * can unmap before any new job starts.
	 */
	spinlock_t busy_lock;		/* busy, deferred; taken from IRQs */
	unsigned int busy;
	struct list_head deferred;	/* tnpu_bo.deferred */
	struct work_struct release_work;
};

struct tnpu_bo {
	struct drm_gem_shmem_object base;
	u32 flags;			/* DRM_TNPU_BO_* */
	struct tnpu_ctx *ctx;		/* counted; NULL until mapped */
	struct drm_mm_node node;	/* VA range (plus one guard page) */
	struct list_head deferred;	/* on ctx->deferred once freed while busy */
};

/* Result of a job submitted with DRM_TNPU_SUBMIT_STATUS. */
struct tnpu_status {
	struct kref ref;
	struct dma_fence *finished;	/* scheduler finished fence */
	bool hw_done;			/* fields below valid (set before signalling) */
	u32 status;			/* DRM_TNPU_JOB_* */
	u32 hw_status;
	u32 err_offset;
	u64 duration_ns;
	u64 fault_addr;
};

struct tnpu_hw_fence {
	struct dma_fence base;
	spinlock_t lock;		/* own lock: fence may outlive the queue */
};

struct tnpu_queue {
	struct tnpu_device *tdev;
	unsigned int idx;
	struct drm_gpu_scheduler sched;
	bool sched_ready;

	struct tnpu_job_desc *ring;	/* coherent, TNPU_RING_ENTRIES */
	dma_addr_t ring_dma;
	u64 *fence_cpu;			/* coherent u64 written by the device */
	dma_addr_t fence_dma;

	spinlock_t lock;		/* tail, seqno, inflight */
	u32 tail;
	u64 seqno;			/* last fence value handed to the device */
	u64 completed;			/* last fence value seen */
	u64 fence_context;
	struct list_head inflight;	/* tnpu_job, in seqno order */
};

struct tnpu_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;

	u32 hw_version, caps, hw_cfg;
	u32 fw_version, fw_abi, fw_features;
	char fw_build[32];
	unsigned int num_queues;
	u64 va_start, va_size;

	/* cached firmware image, re-booted after every reset */
	void *fw_cpu;
	dma_addr_t fw_dma;
	size_t fw_size;

	struct tnpu_ctx_entry *ctx_table;	/* coherent */
	dma_addr_t ctx_table_dma;
	struct ida ctx_ida;

	struct completion boot_done;
	bool wedged;			/* recovery failed: jobs fail fast */

	struct tnpu_queue queue[TNPU_NUM_QUEUES];
	struct workqueue_struct *reset_wq;	/* ordered: timeouts + forced resets */
	struct workqueue_struct *mm_wq;		/* deferred buffer release */
	struct work_struct reset_work;		/* forced reset (debugfs) */
	struct mutex reset_lock;
	atomic_t reset_count;
	/* hang watchdog (tnpu_watchdog): the device's stall clock */
	atomic_t hw_jobs;		/* jobs on the device, all queues */
	unsigned long last_progress;	/* jiffies: last completion, or idle -> busy */
	struct delayed_work watchdog;
	atomic_t jobs_alive;
	wait_queue_head_t jobs_wq;
	struct dentry *debugfs_link;		/* accel/<minor> -> accel/<device> */
};

struct tnpu_file {
	struct tnpu_device *tdev;
	struct tnpu_ctx *ctx;
	struct mutex lock;		/* entity creation, arm+push order */
	struct drm_sched_entity *entity[TNPU_NUM_QUEUES];
	struct xarray status_xa;	/* job_id -> tnpu_status */
	u32 status_next;
	atomic_t status_count;
};

struct tnpu_job {
	struct drm_sched_job base;
	struct tnpu_device *tdev;
	struct tnpu_queue *q;
	struct tnpu_ctx *ctx;
	bool ctx_idle;			/* counted out of ctx->busy (busy_lock) */
	struct drm_gem_object **bos;	/* bo_count listed BOs + the command BO */
	u32 bo_count;
	u64 cmd_addr;
	u32 cmd_size;
	struct tnpu_hw_fence *hw_fence;	/* allocated at submit, armed in run_job */
	bool hw_armed;
	u64 seqno;
	u32 slot;
	struct list_head node;		/* queue->inflight */
	struct tnpu_status *status;	/* counted, may be NULL */
};

static inline struct tnpu_device *to_tnpu(struct drm_device *drm)
{
	return container_of(drm, struct tnpu_device, drm);
}

static inline struct tnpu_bo *to_tnpu_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct tnpu_bo, base.base);
}

static inline u32 tnpu_rd(struct tnpu_device *tdev, u32 reg)
{
	return readl(tdev->regs + reg);
}

static inline void tnpu_wr(struct tnpu_device *tdev, u32 reg, u32 val)
{
	writel(val, tdev->regs + reg);
}

/* tnpu_dev.c */
int tnpu_dev_init_hw(struct tnpu_device *tdev);
int tnpu_dev_irq_init(struct tnpu_device *tdev);
int tnpu_dev_reset(struct tnpu_device *tdev);
int tnpu_dev_start(struct tnpu_device *tdev);
void tnpu_dev_shutdown(struct tnpu_device *tdev);

/* tnpu_fw.c */
int tnpu_fw_load(struct tnpu_device *tdev);
int tnpu_fw_boot(struct tnpu_device *tdev);

/* tnpu_mmu.c */
int tnpu_ctx_create(struct tnpu_device *tdev, struct tnpu_ctx **out);
void tnpu_ctx_put(struct tnpu_ctx *ctx);
struct tnpu_ctx *tnpu_ctx_get(struct tnpu_ctx *ctx);
void tnpu_mmu_restore(struct tnpu_device *tdev);
int tnpu_mmu_map_bo(struct tnpu_ctx *ctx, struct tnpu_bo *bo, struct sg_table *sgt);
void tnpu_mmu_unmap_bo(struct tnpu_bo *bo);
bool tnpu_mmu_unmap_bo_or_defer(struct tnpu_bo *bo);
struct tnpu_ctx *tnpu_ctx_job_begin(struct tnpu_ctx *ctx);
struct tnpu_job;
void tnpu_ctx_job_idle(struct tnpu_job *job);

/* tnpu_gem.c */
struct drm_gem_object *tnpu_gem_create_object(struct drm_device *dev, size_t size);
int tnpu_ioctl_bo_create(struct drm_device *dev, void *data, struct drm_file *file);
int tnpu_ioctl_bo_info(struct drm_device *dev, void *data, struct drm_file *file);
void tnpu_gem_release(struct tnpu_bo *bo);

/* tnpu_job.c */
int tnpu_job_init(struct tnpu_device *tdev);
void tnpu_job_fini(struct tnpu_device *tdev);
void tnpu_job_unplug(struct tnpu_device *tdev);
void tnpu_queue_hw_init(struct tnpu_queue *q);
irqreturn_t tnpu_queue_irq(int irq, void *arg);
void tnpu_file_jobs_fini(struct tnpu_file *tfile);
void tnpu_reset_force(struct tnpu_device *tdev);
int tnpu_ioctl_submit(struct drm_device *dev, void *data, struct drm_file *file);
int tnpu_ioctl_wait(struct drm_device *dev, void *data, struct drm_file *file);

/* Pure logic made visible to the KUnit tests (tests/tnpu_kunit.c) */
#if IS_ENABLED(CONFIG_KUNIT)
int tnpu_fw_check(struct tnpu_device *tdev, const u8 *data, size_t size);
int tnpu_submit_check(struct tnpu_device *tdev, const struct drm_tnpu_submit *args);
u32 tnpu_hw_result(u32 hw_status, int *err);
u32 tnpu_err_result(int err);
#endif

/* tnpu_debugfs.c */
void tnpu_debugfs_init(struct tnpu_device *tdev);
void tnpu_debugfs_fini(struct tnpu_device *tdev);

#endif /* TNPU_DRV_H */
