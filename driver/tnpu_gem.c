// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_gem.c - buffer objects: GEM shmem objects whose pages are pinned
 * and mapped into the creating file's device address space for their
 * whole life.
 */
#include <linux/slab.h>

#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include "tnpu_drv.h"

/* Free the pages and the object of a buffer that is no longer mapped. */
void tnpu_gem_release(struct tnpu_bo *bo)
{
	drm_gem_shmem_free(&bo->base);
}

static void tnpu_gem_free(struct drm_gem_object *obj)
{
	struct tnpu_bo *bo = to_tnpu_bo(obj);

	/* Deferred while a job of the file is alive: see tnpu_ctx_job_end(). */
	if (tnpu_mmu_unmap_bo_or_defer(bo))
		tnpu_gem_release(bo);
}

static const struct drm_gem_object_funcs tnpu_gem_funcs = {
	.free = tnpu_gem_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

struct drm_gem_object *tnpu_gem_create_object(struct drm_device *dev, size_t size)
{
	struct tnpu_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.base.funcs = &tnpu_gem_funcs;
	return &bo->base.base;
}

static bool tnpu_reserved_zero(const __u64 *r, unsigned int n)
{
	while (n--)
		if (r[n])
			return false;
	return true;
}

int tnpu_ioctl_bo_create(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct tnpu_file *tfile = file->driver_priv;
	struct drm_tnpu_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	struct tnpu_bo *bo;
	u32 handle;
	int ret;

	if (args->flags & ~DRM_TNPU_BO_FLAGS_ALL ||
	    !tnpu_reserved_zero(args->reserved, ARRAY_SIZE(args->reserved)))
		return -EINVAL;
	if (!args->size || args->size > DRM_TNPU_MAX_BO_SIZE)
		return -EINVAL;

	shmem = drm_gem_shmem_create(dev, round_up(args->size, TNPU_PAGE_SIZE));
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	bo = container_of(shmem, struct tnpu_bo, base);
	bo->flags = args->flags;

	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_put;
	}
	ret = tnpu_mmu_map_bo(tfile->ctx, bo, sgt);
	if (ret)
		goto out_put;
	ret = drm_gem_create_mmap_offset(&shmem->base);
	if (ret)
		goto out_put;
	ret = drm_gem_handle_create(file, &shmem->base, &handle);
	if (ret)
		goto out_put;

	args->size = shmem->base.size;
	args->handle = handle;
	args->device_addr = bo->node.start;
	args->mmap_offset = drm_vma_node_offset_addr(&shmem->base.vma_node);
out_put:
	/* On success the handle holds the only reference. */
	drm_gem_object_put(&shmem->base);
	return ret;
}

int tnpu_ioctl_bo_info(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct tnpu_file *tfile = file->driver_priv;
	struct drm_tnpu_bo_info *args = data;
	struct drm_gem_object *obj;
	struct tnpu_bo *bo;
	int ret = 0;

	if (!tnpu_reserved_zero(args->reserved, ARRAY_SIZE(args->reserved)))
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_tnpu_bo(obj);
	/* A buffer imported from another file is not mapped in this one. */
	if (bo->ctx != tfile->ctx) {
		ret = -ENOENT;
		goto out;
	}
	args->flags = bo->flags;
	args->size = obj->size;
	args->device_addr = bo->node.start;
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
out:
	drm_gem_object_put(obj);
	return ret;
}
