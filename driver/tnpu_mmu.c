// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_mmu.c - MMU contexts: context table entries, per-context 3-level
 * page tables and the device virtual address allocator.
 *
 * Each open file owns one context.  Page-table pages are coherent 4 KiB
 * pages allocated on demand; intermediate tables stay until the context
 * is destroyed.  Leaf entries are cleared when a buffer is freed and the
 * context's translations are then invalidated.
 */
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "tnpu_drv.h"

static void tnpu_ctx_release_work(struct work_struct *work);

static struct tnpu_pt *tnpu_pt_alloc(struct tnpu_device *tdev, unsigned int level)
{
	struct tnpu_pt *pt;

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return NULL;
	pt->entries = dma_alloc_coherent(tdev->drm.dev, TNPU_PAGE_SIZE, &pt->dma,
					 GFP_KERNEL);
	if (!pt->entries)
		goto err_free;
	if (level) {
		pt->next = kcalloc(TNPU_PT_ENTRIES, sizeof(*pt->next), GFP_KERNEL);
		if (!pt->next)
			goto err_dma;
	}
	return pt;

err_dma:
	dma_free_coherent(tdev->drm.dev, TNPU_PAGE_SIZE, pt->entries, pt->dma);
err_free:
	kfree(pt);
	return NULL;
}

static void tnpu_pt_free(struct tnpu_device *tdev, struct tnpu_pt *pt)
{
	unsigned int i;

	if (!pt)
		return;
	if (pt->next) {
		for (i = 0; i < TNPU_PT_ENTRIES; i++)
			tnpu_pt_free(tdev, pt->next[i]);
		kfree(pt->next);
	}
	dma_free_coherent(tdev->drm.dev, TNPU_PAGE_SIZE, pt->entries, pt->dma);
	kfree(pt);
}

static void tnpu_mmu_invalidate(struct tnpu_device *tdev, u32 ctx_id)
{
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	/* Page-table stores must be visible before the device re-walks. */
	wmb();
	tnpu_wr(tdev, TNPU_REG_MMU_INVALIDATE, ctx_id);
	drm_dev_exit(idx);
}

/* Write context @id's table entry; only while the device is bound. */
static void tnpu_ctx_entry_set(struct tnpu_device *tdev, u32 id, u64 pt_root)
{
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	tdev->ctx_table[id].reserved = 0;
	WRITE_ONCE(tdev->ctx_table[id].pt_root, pt_root);
	drm_dev_exit(idx);
	tnpu_mmu_invalidate(tdev, id);
}

int tnpu_ctx_create(struct tnpu_device *tdev, struct tnpu_ctx **out)
{
	unsigned int max_ctx;
	struct tnpu_ctx *ctx;
	int id;

	max_ctx = TNPU_HW_CFG_CONTEXTS(tdev->hw_cfg);
	if (!max_ctx || max_ctx > TNPU_NUM_CONTEXTS)
		max_ctx = TNPU_NUM_CONTEXTS;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	id = ida_alloc_range(&tdev->ctx_ida, 1, max_ctx - 1, GFP_KERNEL);
	if (id < 0) {
		kfree(ctx);
		return id == -ENOSPC ? -EBUSY : id;
	}
	ctx->root = tnpu_pt_alloc(tdev, TNPU_PT_LEVELS - 1);
	if (!ctx->root) {
		ida_free(&tdev->ctx_ida, id);
		kfree(ctx);
		return -ENOMEM;
	}
	kref_init(&ctx->ref);
	ctx->tdev = tdev;
	ctx->id = id;
	mutex_init(&ctx->lock);
	spin_lock_init(&ctx->busy_lock);
	INIT_LIST_HEAD(&ctx->deferred);
	INIT_WORK(&ctx->release_work, tnpu_ctx_release_work);
	drm_mm_init(&ctx->mm, tdev->va_start, tdev->va_size);

	tnpu_ctx_entry_set(tdev, id, ctx->root->dma | TNPU_CTX_VALID);
	*out = ctx;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_ctx_create);

static void tnpu_ctx_release(struct kref *ref)
{
	struct tnpu_ctx *ctx = container_of(ref, struct tnpu_ctx, ref);
	struct tnpu_device *tdev = ctx->tdev;

	/* No job or buffer uses the context any more: retire its id. */
	tnpu_ctx_entry_set(tdev, ctx->id, 0);
	tnpu_pt_free(tdev, ctx->root);
	drm_mm_takedown(&ctx->mm);
	mutex_destroy(&ctx->lock);
	ida_free(&tdev->ctx_ida, ctx->id);
	kfree(ctx);
}

struct tnpu_ctx *tnpu_ctx_get(struct tnpu_ctx *ctx)
{
	kref_get(&ctx->ref);
	return ctx;
}

void tnpu_ctx_put(struct tnpu_ctx *ctx)
{
	if (ctx)
		kref_put(&ctx->ref, tnpu_ctx_release);
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_ctx_put);

/* Point the device at the context table again (after a reset). */
void tnpu_mmu_restore(struct tnpu_device *tdev)
{
	tnpu_wr(tdev, TNPU_REG_CTX_TABLE_LO, lower_32_bits(tdev->ctx_table_dma));
	tnpu_wr(tdev, TNPU_REG_CTX_TABLE_HI, upper_32_bits(tdev->ctx_table_dma));
	tnpu_wr(tdev, TNPU_REG_MMU_INVALIDATE, TNPU_MMU_INVALIDATE_ALL);
}

/* Return the leaf entry for @va, allocating tables on the way if @alloc. */
static u64 *tnpu_pte_get(struct tnpu_ctx *ctx, u64 va, bool alloc)
{
	struct tnpu_pt *pt = ctx->root;
	unsigned int level, i;

	for (level = TNPU_PT_LEVELS - 1; level > 0; level--) {
		i = TNPU_PT_INDEX(va, level);
		if (!pt->next[i]) {
			if (!alloc)
				return NULL;
			pt->next[i] = tnpu_pt_alloc(ctx->tdev, level - 1);
			if (!pt->next[i])
				return NULL;
			WRITE_ONCE(pt->entries[i], pt->next[i]->dma | TNPU_PTE_VALID);
		}
		pt = pt->next[i];
	}
	return &pt->entries[TNPU_PT_INDEX(va, 0)];
}

static void tnpu_mmu_clear(struct tnpu_ctx *ctx, u64 va, u64 size)
{
	u64 end = va + size;
	u64 *pte;

	for (; va < end; va += TNPU_PAGE_SIZE) {
		pte = tnpu_pte_get(ctx, va, false);
		if (pte)
			WRITE_ONCE(*pte, 0);
	}
}

int tnpu_mmu_map_bo(struct tnpu_ctx *ctx, struct tnpu_bo *bo, struct sg_table *sgt)
{
	struct tnpu_device *tdev = ctx->tdev;
	size_t size = bo->base.base.size;
	struct sg_dma_page_iter iter;
	u64 va, prot, *pte;
	unsigned int sub;
	dma_addr_t addr;
	int ret;

	prot = TNPU_PTE_VALID | TNPU_PTE_READ;
	if (!(bo->flags & DRM_TNPU_BO_DEVICE_RO))
		prot |= TNPU_PTE_WRITE;

	mutex_lock(&ctx->lock);
	/* One unmapped guard page after each buffer catches overruns. */
	ret = drm_mm_insert_node_in_range(&ctx->mm, &bo->node, size + TNPU_PAGE_SIZE,
					  TNPU_PAGE_SIZE, 0, tdev->va_start,
					  tdev->va_start + tdev->va_size,
					  DRM_MM_INSERT_BEST);
	if (ret) {
		mutex_unlock(&ctx->lock);
		return ret;
	}

	va = bo->node.start;
	for_each_sgtable_dma_page(sgt, &iter, 0) {
		addr = sg_page_iter_dma_address(&iter);
		for (sub = 0; sub < PAGE_SIZE / TNPU_PAGE_SIZE; sub++) {
			if (va >= bo->node.start + size)
				break;
			pte = tnpu_pte_get(ctx, va, true);
			if (!pte) {
				ret = -ENOMEM;
				goto err_unmap;
			}
			WRITE_ONCE(*pte, ((addr + sub * TNPU_PAGE_SIZE) &
					  TNPU_PTE_ADDR_MASK) | prot);
			va += TNPU_PAGE_SIZE;
		}
	}
	if (va != bo->node.start + size) {
		drm_err(&tdev->drm, "BO backing store smaller than the BO\n");
		ret = -EINVAL;
		goto err_unmap;
	}
	bo->ctx = tnpu_ctx_get(ctx);
	mutex_unlock(&ctx->lock);
	/* Nothing was valid there before, but the device may cache misses. */
	tnpu_mmu_invalidate(tdev, ctx->id);
	return 0;

err_unmap:
	tnpu_mmu_clear(ctx, bo->node.start, va - bo->node.start);
	drm_mm_remove_node(&bo->node);
	mutex_unlock(&ctx->lock);
	tnpu_mmu_invalidate(tdev, ctx->id);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_mmu_map_bo);

/* Clear @bo's entries and free its range.  ctx->lock held. */
static void tnpu_mmu_unmap_locked(struct tnpu_ctx *ctx, struct tnpu_bo *bo)
{
	lockdep_assert_held(&ctx->lock);
	tnpu_mmu_clear(ctx, bo->node.start, bo->base.base.size);
	drm_mm_remove_node(&bo->node);
}

/* Unmap a buffer no job of its context can be using. */
void tnpu_mmu_unmap_bo(struct tnpu_bo *bo)
{
	struct tnpu_ctx *ctx = bo->ctx;

	if (!ctx)
		return;
	mutex_lock(&ctx->lock);
	tnpu_mmu_unmap_locked(ctx, bo);
	mutex_unlock(&ctx->lock);
	tnpu_mmu_invalidate(ctx->tdev, ctx->id);
	bo->ctx = NULL;
	tnpu_ctx_put(ctx);
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_mmu_unmap_bo);

/*
 * Called when the buffer is freed.  While a job of the context may still
 * run on the device, the device may be using the pages (a job can touch
 * buffers it did not list), so the buffer is only queued: its pages stay
 * mapped and allocated until the context's release work frees it.  Returns
 * true if the buffer was unmapped and may be released now.
 */
bool tnpu_mmu_unmap_bo_or_defer(struct tnpu_bo *bo)
{
	struct tnpu_ctx *ctx = bo->ctx;
	bool busy;

	if (!ctx)
		return true;
	mutex_lock(&ctx->lock);
	spin_lock_irq(&ctx->busy_lock);
	busy = ctx->busy;
	if (busy)
		list_add_tail(&bo->deferred, &ctx->deferred);
	spin_unlock_irq(&ctx->busy_lock);
	if (busy) {
		mutex_unlock(&ctx->lock);
		return false;
	}
	/* busy grows only under ctx->lock: no job starts before this is done. */
	tnpu_mmu_unmap_locked(ctx, bo);
	mutex_unlock(&ctx->lock);
	tnpu_mmu_invalidate(ctx->tdev, ctx->id);
	bo->ctx = NULL;
	tnpu_ctx_put(ctx);
	return true;
}

/* Unmap and free the buffers freed while the context was busy. */
static void tnpu_ctx_release_work(struct work_struct *work)
{
	struct tnpu_ctx *ctx = container_of(work, struct tnpu_ctx, release_work);
	struct tnpu_bo *bo, *tmp;
	LIST_HEAD(release);

	mutex_lock(&ctx->lock);
	spin_lock_irq(&ctx->busy_lock);
	/* A job started since: the next idle context queues this again. */
	if (!ctx->busy)
		list_splice_init(&ctx->deferred, &release);
	spin_unlock_irq(&ctx->busy_lock);
	list_for_each_entry(bo, &release, deferred)
		tnpu_mmu_unmap_locked(ctx, bo);
	mutex_unlock(&ctx->lock);

	if (!list_empty(&release)) {
		tnpu_mmu_invalidate(ctx->tdev, ctx->id);
		list_for_each_entry_safe(bo, tmp, &release, deferred) {
			list_del(&bo->deferred);
			bo->ctx = NULL;
			tnpu_ctx_put(ctx);	/* the buffer's reference */
			tnpu_gem_release(bo);
		}
	}
	tnpu_ctx_put(ctx);			/* the work's reference */
}

/* A job of @ctx is created: count it and take a context reference. */
struct tnpu_ctx *tnpu_ctx_job_begin(struct tnpu_ctx *ctx)
{
	mutex_lock(&ctx->lock);
	spin_lock_irq(&ctx->busy_lock);
	ctx->busy++;
	spin_unlock_irq(&ctx->busy_lock);
	mutex_unlock(&ctx->lock);
	return tnpu_ctx_get(ctx);
}

/*
 * The device is done with @job (it completed, or the device was reset or
 * removed first), or the job never reached it.  Called once per job before
 * its fences signal, from any context; the job still holds its context
 * reference.  The last busy job hands deferred buffers to the release work.
 */
void tnpu_ctx_job_idle(struct tnpu_job *job)
{
	struct tnpu_ctx *ctx = job->ctx;
	unsigned long flags;
	bool release = false;

	spin_lock_irqsave(&ctx->busy_lock, flags);
	if (!job->ctx_idle) {
		job->ctx_idle = true;
		release = !--ctx->busy && !list_empty(&ctx->deferred);
	}
	spin_unlock_irqrestore(&ctx->busy_lock, flags);

	if (release) {
		/* Not the last reference: the job holds one. */
		tnpu_ctx_get(ctx);
		if (!queue_work(ctx->tdev->mm_wq, &ctx->release_work))
			tnpu_ctx_put(ctx);
	}
}
