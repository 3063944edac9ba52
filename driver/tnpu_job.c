// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_job.c - job submission, scheduling, completion, WAIT and recovery.
 *
 * Fence flow: SUBMIT creates a drm_sched job on the file's entity for the
 * requested queue.  When its dependencies are met the queue's scheduler
 * calls run_job(), which writes a descriptor into the queue's ring with
 * fence_value = the queue's next seqno, rings the doorbell and returns a
 * hardware fence.  The queue's MSI-X vector reads the fence value the
 * device stored and signals every in-flight job up to it, with an error
 * taken from the job's ring slot.  drm_sched then signals the job's
 * finished fence, which is what out-syncobjs and WAIT see.
 *
 * Recovery: the scheduler timeout handler (run by drm_sched's timer, or at
 * once by the hang watchdog, see "Hang detection") or debugfs force_reset
 * stops every scheduler, resets the device, fails every in-flight job
 * (-ETIMEDOUT for the hung one, -ECANCELED for the rest), boots the cached
 * firmware again, reprograms the MMU and queues and restarts the
 * schedulers.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kunit/visibility.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>

#include "tnpu_drv.h"

static const char * const tnpu_queue_names[TNPU_NUM_QUEUES] = {
	"tnpu-q0", "tnpu-q1", "tnpu-q2", "tnpu-q3",
};

/*
 * Hang detection.  The device runs one job at a time across its queues, so
 * it is hung when it had jobs and completed none for job_timeout_ms: its
 * stall clock restarts at every completion and when it goes from idle to
 * busy.  A drm_sched timer alone cannot see that, because the scheduler
 * restarts a queue's timer each time it hands the device another job of
 * that queue: jobs arriving behind a hung one would keep postponing it.
 * So a watchdog checks the stall clock every quarter of the timeout, and a
 * hang is detected between 1 and 1.25 job timeouts after the last progress.
 */
static unsigned long tnpu_watchdog_period(void)
{
	return max(msecs_to_jiffies(tnpu_job_timeout_ms) / 4, 1UL);
}

static bool tnpu_stalled(struct tnpu_device *tdev)
{
	return time_after_eq(jiffies, READ_ONCE(tdev->last_progress) +
			     msecs_to_jiffies(tnpu_job_timeout_ms));
}

static inline struct tnpu_job *to_tnpu_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct tnpu_job, base);
}

/* ---- hardware fences ---------------------------------------------------- */

static const char *tnpu_fence_get_driver_name(struct dma_fence *fence)
{
	return "tnpu";
}

static const char *tnpu_fence_get_timeline_name(struct dma_fence *fence)
{
	return "tnpu-queue";
}

static const struct dma_fence_ops tnpu_fence_ops = {
	.get_driver_name = tnpu_fence_get_driver_name,
	.get_timeline_name = tnpu_fence_get_timeline_name,
};

/* ---- job results -------------------------------------------------------- */

static void tnpu_status_release(struct kref *ref)
{
	struct tnpu_status *st = container_of(ref, struct tnpu_status, ref);

	dma_fence_put(st->finished);
	kfree(st);
}

static void tnpu_status_put(struct tnpu_status *st)
{
	if (st)
		kref_put(&st->ref, tnpu_status_release);
}

/* Device status -> (fence error, DRM_TNPU_JOB_*). */
VISIBLE_IF_KUNIT u32 tnpu_hw_result(u32 hw_status, int *err)
{
	switch (hw_status) {
	case TNPU_JOB_OK:
		*err = 0;
		return DRM_TNPU_JOB_OK;
	case TNPU_JOB_MMU_FAULT:
	case TNPU_JOB_DMA_ERROR:
		*err = -EFAULT;
		return DRM_TNPU_JOB_FAULT;
	case TNPU_JOB_ABORTED:
		*err = -ECANCELED;
		return DRM_TNPU_JOB_ABORTED;
	default:	/* INVALID_*, or a status the device should not report */
		*err = -EIO;
		return DRM_TNPU_JOB_INVALID;
	}
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_hw_result);

/* Fence error -> DRM_TNPU_JOB_*, for jobs that ended without the device. */
VISIBLE_IF_KUNIT u32 tnpu_err_result(int err)
{
	switch (err) {
	case 0:
		return DRM_TNPU_JOB_OK;
	case -ETIMEDOUT:
		return DRM_TNPU_JOB_TIMEOUT;
	case -EFAULT:
		return DRM_TNPU_JOB_FAULT;
	case -EIO:
		return DRM_TNPU_JOB_INVALID;
	default:
		return DRM_TNPU_JOB_ABORTED;
	}
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_err_result);

/* Record the result and signal the hardware fence.  Queue lock held. */
static void tnpu_job_signal(struct tnpu_job *job, u32 hw_status, u32 result,
			    u32 err_offset, u64 duration_ns, u64 fault_addr, int err)
{
	struct tnpu_status *st = job->status;

	if (st) {
		st->status = result;
		st->hw_status = hw_status;
		st->err_offset = err_offset;
		st->duration_ns = duration_ns;
		st->fault_addr = fault_addr;
		/* Pairs with smp_load_acquire() in WAIT: fields before flag. */
		smp_store_release(&st->hw_done, true);
	}
	if (err)
		dma_fence_set_error(&job->hw_fence->base, err);
	/* Before any fence signals: a WAIT that returns sees the file idle. */
	tnpu_ctx_job_idle(job);
	dma_fence_signal(&job->hw_fence->base);
}

/* Signal every job the device has finished on @q. */
static void tnpu_queue_process(struct tnpu_queue *q)
{
	struct tnpu_device *tdev = q->tdev;
	struct tnpu_job *job, *tmp;
	unsigned long flags;
	u64 done, fault_addr;
	u32 hw, result;
	int err;

	spin_lock_irqsave(&q->lock, flags);
	done = READ_ONCE(*q->fence_cpu);
	/* The fence store is ordered after the descriptor write-back. */
	dma_rmb();
	if (done > q->completed)
		q->completed = done;

	list_for_each_entry_safe(job, tmp, &q->inflight, node) {
		struct tnpu_job_desc *d = &q->ring[job->slot];

		if (job->seqno > done)
			break;
		hw = READ_ONCE(d->status);
		result = tnpu_hw_result(hw, &err);
		/*
		 * The device writes the job's own fault address into its slot;
		 * the latched FAULT_* record only holds the first of several.
		 */
		fault_addr = hw == TNPU_JOB_MMU_FAULT ? READ_ONCE(d->fault_addr) : 0;
		list_del_init(&job->node);
		tnpu_job_signal(job, hw, result, READ_ONCE(d->err_offset),
				READ_ONCE(d->duration_ns), fault_addr, err);
		atomic_dec(&tdev->hw_jobs);
		WRITE_ONCE(tdev->last_progress, jiffies);
	}
	spin_unlock_irqrestore(&q->lock, flags);
}

irqreturn_t tnpu_queue_irq(int irq, void *arg)
{
	struct tnpu_queue *q = arg;

	/* Clear first: a completion after the clear raises a new message. */
	tnpu_wr(q->tdev, TNPU_REG_INT_STATUS, TNPU_INT_QUEUE(q->idx));
	tnpu_queue_process(q);
	return IRQ_HANDLED;
}

/* Identifies the hung job by value: it may finish and be freed meanwhile. */
struct tnpu_hang {
	int queue;			/* -1: no job is to blame */
	u64 seqno;
};

/* Fail every job still on the device (reset or unplug). */
static void tnpu_queue_cancel(struct tnpu_queue *q, const struct tnpu_hang *hang,
			      int err)
{
	struct tnpu_job *job, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	list_for_each_entry_safe(job, tmp, &q->inflight, node) {
		list_del_init(&job->node);
		atomic_dec(&q->tdev->hw_jobs);
		if (hang && hang->queue == (int)q->idx && hang->seqno == job->seqno)
			tnpu_job_signal(job, TNPU_JOB_ABORTED, DRM_TNPU_JOB_TIMEOUT,
					0, 0, 0, -ETIMEDOUT);
		else
			tnpu_job_signal(job, TNPU_JOB_ABORTED, tnpu_err_result(err),
					0, 0, 0, err);
	}
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Program the queue registers; the ring restarts empty. */
void tnpu_queue_hw_init(struct tnpu_queue *q)
{
	struct tnpu_device *tdev = q->tdev;
	unsigned int i = q->idx;
	unsigned long flags;
	u32 st;

	spin_lock_irqsave(&q->lock, flags);
	memset(q->ring, 0, TNPU_RING_ENTRIES * sizeof(*q->ring));
	q->tail = 0;
	/* Seqnos keep counting across resets; everything before is done. */
	WRITE_ONCE(*q->fence_cpu, q->seqno);
	q->completed = q->seqno;
	spin_unlock_irqrestore(&q->lock, flags);
	/* wmb: ring and fence reset reach memory before the queue is enabled. */
	wmb();

	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_RING_LO), lower_32_bits(q->ring_dma));
	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_RING_HI), upper_32_bits(q->ring_dma));
	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_SIZE), TNPU_RING_ENTRIES);
	/* Queue i has priority i: higher index, more urgent. */
	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_PRIORITY),
		min_t(u32, i, TNPU_NUM_PRIORITIES - 1));
	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_FENCE_LO), lower_32_bits(q->fence_dma));
	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_FENCE_HI), upper_32_bits(q->fence_dma));
	tnpu_wr(tdev, TNPU_QREG(i, TNPU_QREG_CONTROL), TNPU_QCTRL_ENABLE);

	st = tnpu_rd(tdev, TNPU_QREG(i, TNPU_QREG_STATUS));
	if ((st & TNPU_QSTATUS_ERROR) || !(st & TNPU_QSTATUS_ENABLED))
		drm_err(&tdev->drm, "queue %u did not start (QSTATUS 0x%08x)\n", i, st);
}

/* ---- scheduler backend -------------------------------------------------- */

static void tnpu_job_free(struct tnpu_job *job)
{
	struct tnpu_device *tdev = job->tdev;
	u32 i;

	for (i = 0; i < job->bo_count; i++)
		if (job->bos[i])
			drm_gem_object_put(job->bos[i]);
	kvfree(job->bos);
	if (job->hw_fence) {
		if (job->hw_armed)
			dma_fence_put(&job->hw_fence->base);
		else
			kfree(job->hw_fence);
	}
	tnpu_status_put(job->status);
	tnpu_ctx_job_idle(job);		/* if it never reached the device */
	tnpu_ctx_put(job->ctx);
	kfree(job);
	if (atomic_dec_and_test(&tdev->jobs_alive))
		wake_up_all(&tdev->jobs_wq);
}

static struct dma_fence *tnpu_run_job(struct drm_sched_job *sched_job)
{
	struct tnpu_job *job = to_tnpu_job(sched_job);
	struct tnpu_queue *q = job->q;
	struct tnpu_device *tdev = q->tdev;
	struct tnpu_job_desc *d;
	unsigned long flags;
	int err, idx;

	err = sched_job->s_fence->finished.error;
	if (err)
		return ERR_PTR(err);
	if (!drm_dev_enter(&tdev->drm, &idx))
		return ERR_PTR(-ENODEV);
	if (READ_ONCE(tdev->wedged)) {
		drm_dev_exit(idx);
		return ERR_PTR(-ECANCELED);
	}

	spin_lock_irqsave(&q->lock, flags);
	job->seqno = ++q->seqno;
	job->slot = q->tail;
	d = &q->ring[job->slot];
	memset(d, 0, sizeof(*d));
	d->ctx = job->ctx->id;
	d->flags = 0;
	d->cmd_size = job->cmd_size;
	d->cmd_addr = job->cmd_addr;
	d->fence_value = job->seqno;
	d->status = TNPU_JOB_PENDING;
	dma_fence_init(&job->hw_fence->base, &tnpu_fence_ops, &job->hw_fence->lock,
		       q->fence_context, job->seqno);
	job->hw_armed = true;
	list_add_tail(&job->node, &q->inflight);
	if (atomic_inc_return(&tdev->hw_jobs) == 1) {
		/* The device was idle: its stall clock starts now. */
		WRITE_ONCE(tdev->last_progress, jiffies);
		queue_delayed_work(tdev->reset_wq, &tdev->watchdog, tnpu_watchdog_period());
	}
	q->tail = (q->tail + 1) & (TNPU_RING_ENTRIES - 1);
	/* wmb: the descriptor must be in memory before the doorbell. */
	wmb();
	tnpu_wr(tdev, TNPU_QREG(q->idx, TNPU_QREG_TAIL), q->tail);
	spin_unlock_irqrestore(&q->lock, flags);

	drm_dev_exit(idx);
	return dma_fence_get(&job->hw_fence->base);
}

static void tnpu_free_job(struct drm_sched_job *sched_job)
{
	drm_sched_job_cleanup(sched_job);
	tnpu_job_free(to_tnpu_job(sched_job));
}

/*
 * Recover from a hang.  Runs on the ordered reset workqueue (the
 * schedulers' timeout queue), so it never races another timeout handler.
 */
static void tnpu_recover(struct tnpu_device *tdev, struct tnpu_job *bad,
			 const struct tnpu_hang *hang)
{
	unsigned int i;
	int ret;

	mutex_lock(&tdev->reset_lock);
	for (i = 0; i < tdev->num_queues; i++)
		drm_sched_wqueue_stop(&tdev->queue[i].sched);

	/* Honour what did finish before the reset. */
	for (i = 0; i < tdev->num_queues; i++)
		tnpu_queue_process(&tdev->queue[i]);

	ret = tnpu_dev_reset(tdev);
	/* Counted before any waiter can see a job failed by this reset. */
	atomic_inc(&tdev->reset_count);
	for (i = 0; i < tdev->num_queues; i++) {
		synchronize_irq(pci_irq_vector(tdev->pdev, TNPU_VEC_QUEUE(i)));
		tnpu_queue_cancel(&tdev->queue[i], hang, -ECANCELED);
	}
	/* The schedulers are stopped: nothing is on the device any more. */
	drm_WARN_ON_ONCE(&tdev->drm, atomic_read(&tdev->hw_jobs));
	atomic_set(&tdev->hw_jobs, 0);
	if (!ret)
		ret = tnpu_dev_start(tdev);
	if (ret)
		drm_err(&tdev->drm, "recovery failed (%d): jobs fail until a recovery succeeds (debugfs force_reset) or the driver is reloaded\n",
			ret);
	else
		drm_info(&tdev->drm, "device reset and firmware rebooted (reset %d)\n",
			 atomic_read(&tdev->reset_count));
	WRITE_ONCE(tdev->wedged, ret != 0);

	/* Every job is signalled: drm_sched_stop() just frees them. */
	for (i = 0; i < tdev->num_queues; i++) {
		struct drm_gpu_scheduler *sched = &tdev->queue[i].sched;

		drm_sched_stop(sched, bad ? &bad->base : NULL);
		drm_sched_start(sched);
	}
	mutex_unlock(&tdev->reset_lock);
}

/*
 * drm_sched took the job off its pending list before calling us; put it
 * back when no reset is done, so it is freed (and timed) normally.
 */
static void tnpu_job_reinsert(struct drm_sched_job *sched_job)
{
	struct drm_gpu_scheduler *sched = sched_job->sched;

	spin_lock(&sched->job_list_lock);
	list_add(&sched_job->list, &sched->pending_list);
	spin_unlock(&sched->job_list_lock);
	/* Kicks the free worker in case the job already finished. */
	drm_sched_wqueue_start(sched);
}

/* Signal what finished on every queue, interrupts still in flight included. */
static void tnpu_process_all(struct tnpu_device *tdev)
{
	unsigned int i;

	for (i = 0; i < tdev->num_queues; i++) {
		synchronize_irq(pci_irq_vector(tdev->pdev, TNPU_VEC_QUEUE(i)));
		tnpu_queue_process(&tdev->queue[i]);
	}
}

/*
 * The job the device is executing: the oldest in-flight job of a queue whose
 * ring slot the device has fetched (HEAD moved past it).  The device runs
 * one job at a time, so there is at most one.  Called before the reset.
 */
static bool tnpu_find_running(struct tnpu_device *tdev, struct tnpu_hang *hang,
			      u32 *ctx_id)
{
	struct tnpu_job *job;
	unsigned long flags;
	unsigned int i;
	bool found = false;
	u32 head;

	for (i = 0; i < tdev->num_queues && !found; i++) {
		struct tnpu_queue *q = &tdev->queue[i];

		head = tnpu_rd(tdev, TNPU_QREG(i, TNPU_QREG_HEAD));
		spin_lock_irqsave(&q->lock, flags);
		job = list_first_entry_or_null(&q->inflight, struct tnpu_job, node);
		if (job && ((job->slot - head) & (TNPU_RING_ENTRIES - 1)) >=
			   ((q->tail - head) & (TNPU_RING_ENTRIES - 1))) {
			hang->queue = i;
			hang->seqno = job->seqno;
			*ctx_id = job->ctx->id;
			found = true;
		}
		spin_unlock_irqrestore(&q->lock, flags);
	}
	return found;
}

/*
 * Called when a queue's drm_sched timer expires, or at once when the
 * watchdog saw the device stall (drm_sched_fault).  A queue's job may wait
 * behind other queues' jobs for longer than the timeout, so this resets
 * only if the device's stall clock ran out; the job it is executing then
 * is the guilty one (-ETIMEDOUT).
 */
static enum drm_gpu_sched_stat tnpu_timedout_job(struct drm_sched_job *sched_job)
{
	struct tnpu_job *job = to_tnpu_job(sched_job);
	struct tnpu_queue *q = job->q;
	struct tnpu_device *tdev = q->tdev;
	struct tnpu_hang hang;
	u32 ctx_id;
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx)) {
		/* Unplugged: remove() already failed every in-flight job. */
		tnpu_job_reinsert(sched_job);
		return DRM_GPU_SCHED_STAT_ENODEV;
	}

	tnpu_process_all(tdev);
	if (!tnpu_stalled(tdev) || dma_fence_is_signaled(&sched_job->s_fence->finished) ||
	    !READ_ONCE(job->hw_armed) || dma_fence_is_signaled(&job->hw_fence->base)) {
		tnpu_job_reinsert(sched_job);
		drm_dev_exit(idx);
		return DRM_GPU_SCHED_STAT_NOMINAL;
	}

	if (!tnpu_find_running(tdev, &hang, &ctx_id)) {
		/* Nothing fetched: the device stalled; blame the timed-out job. */
		hang.queue = q->idx;
		hang.seqno = job->seqno;
		ctx_id = job->ctx->id;
	}
	drm_err(&tdev->drm, "no progress for %u ms: job %llu on queue %d (context %u) hung, resetting\n",
		tnpu_job_timeout_ms, hang.seqno, hang.queue, ctx_id);
	tnpu_recover(tdev, job, &hang);
	drm_dev_exit(idx);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

/*
 * Every quarter of the timeout while the device has jobs (see "Hang
 * detection" above): a stalled device goes to the timeout handler of the
 * queue whose job it is executing, at once.
 */
static void tnpu_watchdog(struct work_struct *work)
{
	struct tnpu_device *tdev = container_of(to_delayed_work(work), struct tnpu_device,
						watchdog);
	struct tnpu_hang hang;
	unsigned int i;
	u32 ctx_id;
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	tnpu_process_all(tdev);
	/* Idle: run_job starts the watchdog again with the next job. */
	if (!atomic_read(&tdev->hw_jobs))
		goto out;
	if (tnpu_stalled(tdev)) {
		if (tnpu_find_running(tdev, &hang, &ctx_id)) {
			i = hang.queue;
		} else {
			/* Nothing fetched: the oldest queue with jobs. */
			for (i = 0; i < tdev->num_queues; i++)
				if (!list_empty_careful(&tdev->queue[i].inflight))
					break;
		}
		if (i < tdev->num_queues)
			drm_sched_fault(&tdev->queue[i].sched);
	}
	queue_delayed_work(tdev->reset_wq, &tdev->watchdog, tnpu_watchdog_period());
out:
	drm_dev_exit(idx);
}

static const struct drm_sched_backend_ops tnpu_sched_ops = {
	.run_job = tnpu_run_job,
	.timedout_job = tnpu_timedout_job,
	.free_job = tnpu_free_job,
};

static void tnpu_reset_work(struct work_struct *work)
{
	struct tnpu_device *tdev = container_of(work, struct tnpu_device, reset_work);
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	drm_info(&tdev->drm, "reset requested through debugfs\n");
	tnpu_recover(tdev, NULL, NULL);
	drm_dev_exit(idx);
}

void tnpu_reset_force(struct tnpu_device *tdev)
{
	queue_work(tdev->reset_wq, &tdev->reset_work);
	flush_work(&tdev->reset_work);
}

int tnpu_job_init(struct tnpu_device *tdev)
{
	struct drm_sched_init_args args = {
		.ops = &tnpu_sched_ops,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.credit_limit = TNPU_RING_ENTRIES - 1,
		.timeout = msecs_to_jiffies(tnpu_job_timeout_ms),
		.dev = tdev->drm.dev,
	};
	unsigned int i;
	int ret;

	INIT_WORK(&tdev->reset_work, tnpu_reset_work);
	INIT_DELAYED_WORK(&tdev->watchdog, tnpu_watchdog);
	tdev->last_progress = jiffies;
	tdev->reset_wq = alloc_ordered_workqueue("tnpu-reset", 0);
	tdev->mm_wq = alloc_workqueue("tnpu-mm", WQ_UNBOUND, 0);
	if (!tdev->reset_wq || !tdev->mm_wq) {
		tnpu_job_fini(tdev);
		return -ENOMEM;
	}
	args.timeout_wq = tdev->reset_wq;

	for (i = 0; i < tdev->num_queues; i++) {
		struct tnpu_queue *q = &tdev->queue[i];

		q->fence_context = dma_fence_context_alloc(1);
		args.name = tnpu_queue_names[i];
		ret = drm_sched_init(&q->sched, &args);
		if (ret) {
			drm_err(&tdev->drm, "cannot create scheduler %u: %d\n", i, ret);
			tnpu_job_fini(tdev);
			return ret;
		}
		q->sched_ready = true;
	}
	return 0;
}

/* Device release: every file is closed, so no entity is left. */
void tnpu_job_fini(struct tnpu_device *tdev)
{
	unsigned int i;

	for (i = 0; i < tdev->num_queues; i++) {
		if (tdev->queue[i].sched_ready)
			drm_sched_fini(&tdev->queue[i].sched);
		tdev->queue[i].sched_ready = false;
	}
	/* A delayed work's timer is not drained by destroy_workqueue(). */
	cancel_delayed_work_sync(&tdev->watchdog);
	if (tdev->reset_wq)
		destroy_workqueue(tdev->reset_wq);
	tdev->reset_wq = NULL;
	/* Drains pending buffer releases. */
	if (tdev->mm_wq)
		destroy_workqueue(tdev->mm_wq);
	tdev->mm_wq = NULL;
}

/*
 * Called from remove() after drm_dev_unplug() and after the device is
 * quiet: fail what the device held and wait (bounded) for the schedulers
 * to free the jobs, so no driver code runs after the module is gone.
 */
void tnpu_job_unplug(struct tnpu_device *tdev)
{
	unsigned int i;

	cancel_work_sync(&tdev->reset_work);
	cancel_delayed_work_sync(&tdev->watchdog);
	for (i = 0; i < tdev->num_queues; i++)
		tnpu_queue_cancel(&tdev->queue[i], NULL, -ENODEV);
	if (!wait_event_timeout(tdev->jobs_wq, !atomic_read(&tdev->jobs_alive),
				10 * HZ))
		drm_warn(&tdev->drm, "%d jobs still waiting on foreign fences at unplug\n",
			 atomic_read(&tdev->jobs_alive));
}

/* ---- per file ----------------------------------------------------------- */

void tnpu_file_jobs_fini(struct tnpu_file *tfile)
{
	struct tnpu_status *st;
	unsigned long id;
	unsigned int i;

	/* Waits until queued jobs reached the device (or kills them). */
	for (i = 0; i < TNPU_NUM_QUEUES; i++) {
		if (!tfile->entity[i])
			continue;
		drm_sched_entity_destroy(tfile->entity[i]);
		kfree(tfile->entity[i]);
		tfile->entity[i] = NULL;
	}
	xa_for_each(&tfile->status_xa, id, st)
		tnpu_status_put(st);
	xa_destroy(&tfile->status_xa);
}

static struct drm_sched_entity *tnpu_file_entity(struct tnpu_file *tfile,
						 struct tnpu_queue *q)
{
	struct drm_gpu_scheduler *sched = &q->sched;
	struct drm_sched_entity *entity;
	int ret;

	lockdep_assert_held(&tfile->lock);
	if (tfile->entity[q->idx])
		return tfile->entity[q->idx];
	entity = kzalloc(sizeof(*entity), GFP_KERNEL);
	if (!entity)
		return ERR_PTR(-ENOMEM);
	ret = drm_sched_entity_init(entity, DRM_SCHED_PRIORITY_NORMAL, &sched, 1, NULL);
	if (ret) {
		kfree(entity);
		return ERR_PTR(ret);
	}
	tfile->entity[q->idx] = entity;
	return entity;
}

VISIBLE_IF_KUNIT int tnpu_submit_check(struct tnpu_device *tdev,
				       const struct drm_tnpu_submit *args)
{
	if (args->flags & ~DRM_TNPU_SUBMIT_FLAGS_ALL || args->pad ||
	    args->reserved[0] || args->reserved[1])
		return -EINVAL;
	if (args->queue >= tdev->num_queues)
		return -EINVAL;
	if (args->bo_count > DRM_TNPU_MAX_BOS_PER_JOB ||
	    args->in_syncobj_count > DRM_TNPU_MAX_SYNCOBJS)
		return -EINVAL;
	if (!args->cmd_size || args->cmd_size % 8 || args->cmd_size > TNPU_CMD_MAX_SIZE ||
	    args->cmd_offset % 8)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_submit_check);

/* Look up the listed BOs and the command BO; all must be this file's. */
static int tnpu_submit_lookup_bos(struct tnpu_job *job, struct drm_file *file,
				  const struct drm_tnpu_submit *args)
{
	struct tnpu_file *tfile = file->driver_priv;
	struct drm_gem_object *cmd;
	u32 *handles = NULL;
	u32 i, n = args->bo_count;
	int ret = 0;

	job->bos = kvcalloc(n + 1, sizeof(*job->bos), GFP_KERNEL);
	if (!job->bos)
		return -ENOMEM;
	if (n) {
		handles = kvmalloc_array(n, sizeof(*handles), GFP_KERNEL);
		if (!handles)
			return -ENOMEM;
		if (copy_from_user(handles, u64_to_user_ptr(args->bo_handles),
				   n * sizeof(*handles))) {
			ret = -EFAULT;
			goto out;
		}
	}
	for (i = 0; i <= n; i++) {
		struct drm_gem_object *obj;

		obj = drm_gem_object_lookup(file, i < n ? handles[i] : args->cmd_handle);
		if (!obj) {
			ret = -ENOENT;
			goto out;
		}
		job->bos[job->bo_count++] = obj;
		if (to_tnpu_bo(obj)->ctx != tfile->ctx) {
			ret = -ENOENT;
			goto out;
		}
	}

	cmd = job->bos[n];
	if (args->cmd_offset > cmd->size || args->cmd_size > cmd->size - args->cmd_offset) {
		ret = -EINVAL;
		goto out;
	}
	job->cmd_addr = to_tnpu_bo(cmd)->node.start + args->cmd_offset;
	job->cmd_size = args->cmd_size;
out:
	kvfree(handles);
	return ret;
}

static int tnpu_submit_add_deps(struct tnpu_job *job, struct drm_file *file,
				const struct drm_tnpu_submit *args)
{
	u32 i, n = args->in_syncobj_count;
	u32 *handles;
	int ret = 0;

	if (!n)
		return 0;
	handles = kmalloc_array(n, sizeof(*handles), GFP_KERNEL);
	if (!handles)
		return -ENOMEM;
	if (copy_from_user(handles, u64_to_user_ptr(args->in_syncobjs),
			   n * sizeof(*handles))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = drm_sched_job_add_syncobj_dependency(&job->base, file, handles[i], 0);
		if (ret)
			goto out;
	}
out:
	kfree(handles);
	return ret;
}

int tnpu_ioctl_submit(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct tnpu_device *tdev = to_tnpu(dev);
	struct tnpu_file *tfile = file->driver_priv;
	struct drm_tnpu_submit *args = data;
	struct drm_syncobj *out_sync = NULL;
	struct drm_sched_entity *entity;
	struct tnpu_status *st = NULL;
	struct dma_fence *finished;
	struct tnpu_job *job;
	bool sched_init = false;
	u32 id = 0;
	int ret, idx;

	ret = tnpu_submit_check(tdev, args);
	if (ret)
		return ret;
	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		ret = -ENOMEM;
		goto out_exit;
	}
	atomic_inc(&tdev->jobs_alive);
	job->tdev = tdev;
	job->q = &tdev->queue[args->queue];
	job->ctx = tnpu_ctx_job_begin(tfile->ctx);
	INIT_LIST_HEAD(&job->node);
	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	if (!job->hw_fence) {
		ret = -ENOMEM;
		goto out_free;
	}
	spin_lock_init(&job->hw_fence->lock);

	ret = tnpu_submit_lookup_bos(job, file, args);
	if (ret)
		goto out_free;

	if (args->out_syncobj) {
		out_sync = drm_syncobj_find(file, args->out_syncobj);
		if (!out_sync) {
			ret = -ENOENT;
			goto out_free;
		}
	}

	if (args->flags & DRM_TNPU_SUBMIT_STATUS) {
		if (atomic_inc_return(&tfile->status_count) > DRM_TNPU_MAX_PENDING_STATUS) {
			atomic_dec(&tfile->status_count);
			ret = -ENOSPC;
			goto out_free;
		}
		st = kzalloc(sizeof(*st), GFP_KERNEL);
		if (!st) {
			atomic_dec(&tfile->status_count);
			ret = -ENOMEM;
			goto out_free;
		}
		kref_init(&st->ref);
		/* Reserve the id; WAIT sees it only once the job is pushed. */
		ret = xa_alloc_cyclic(&tfile->status_xa, &id, NULL, XA_LIMIT(1, U32_MAX),
				      &tfile->status_next, GFP_KERNEL);
		if (ret < 0) {
			atomic_dec(&tfile->status_count);
			kfree(st);
			st = NULL;
			goto out_free;
		}
		job->status = st;
	}

	mutex_lock(&tfile->lock);
	entity = tnpu_file_entity(tfile, job->q);
	mutex_unlock(&tfile->lock);
	if (IS_ERR(entity)) {
		ret = PTR_ERR(entity);
		goto out_status;
	}

	ret = drm_sched_job_init(&job->base, entity, 1, tfile, file->client_id);
	if (ret)
		goto out_status;
	sched_init = true;

	ret = tnpu_submit_add_deps(job, file, args);
	if (ret)
		goto out_status;

	mutex_lock(&tfile->lock);
	drm_sched_job_arm(&job->base);
	finished = dma_fence_get(&job->base.s_fence->finished);
	if (st) {
		st->finished = dma_fence_get(finished);
		kref_get(&st->ref);
		xa_store(&tfile->status_xa, id, st, GFP_KERNEL);
		args->job_id = id;
	}
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&tfile->lock);

	if (out_sync) {
		drm_syncobj_replace_fence(out_sync, finished);
		drm_syncobj_put(out_sync);
	}
	dma_fence_put(finished);
	drm_dev_exit(idx);
	return 0;

out_status:
	if (st) {
		xa_erase(&tfile->status_xa, id);
		atomic_dec(&tfile->status_count);
	}
out_free:
	if (out_sync)
		drm_syncobj_put(out_sync);
	if (sched_init)
		drm_sched_job_cleanup(&job->base);
	tnpu_job_free(job);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

int tnpu_ioctl_wait(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct tnpu_file *tfile = file->driver_priv;
	struct drm_tnpu_wait *args = data;
	struct tnpu_status *st;
	long ret;

	if (args->pad || args->reserved[0] || args->reserved[1] || args->timeout_ns < 0)
		return -EINVAL;
	if (!args->job_id || args->job_id > U32_MAX)
		return -ENOENT;

	xa_lock(&tfile->status_xa);
	st = xa_load(&tfile->status_xa, args->job_id);
	if (st)
		kref_get(&st->ref);
	xa_unlock(&tfile->status_xa);
	if (!st)
		return -ENOENT;

	if (!args->timeout_ns) {
		ret = dma_fence_is_signaled(st->finished);
	} else {
		u64 j = nsecs_to_jiffies64(args->timeout_ns);

		ret = dma_fence_wait_timeout(st->finished, true,
					     clamp_t(u64, j, 1, MAX_SCHEDULE_TIMEOUT - 1));
	}
	if (ret < 0)
		goto out;
	if (!ret) {
		ret = -ETIME;
		goto out;
	}

	/* Pairs with smp_store_release() in tnpu_job_signal(). */
	if (smp_load_acquire(&st->hw_done)) {
		args->status = st->status;
		args->hw_status = st->hw_status;
		args->err_offset = st->err_offset;
		args->duration_ns = st->duration_ns;
		args->fault_addr = st->fault_addr;
	} else {
		/* Ended without the device: dependency error, kill or unplug. */
		args->status = tnpu_err_result(st->finished->error);
		args->hw_status = args->status == DRM_TNPU_JOB_OK ?
				  TNPU_JOB_OK : TNPU_JOB_ABORTED;
		args->err_offset = 0;
		args->duration_ns = 0;
		args->fault_addr = 0;
	}

	/* Release the id, unless a concurrent WAIT already did. */
	if (xa_cmpxchg(&tfile->status_xa, args->job_id, st, NULL, 0) == st) {
		atomic_dec(&tfile->status_count);
		tnpu_status_put(st);
		ret = 0;
	} else {
		ret = -ENOENT;
	}
out:
	tnpu_status_put(st);
	return ret;
}
