// SPDX-License-Identifier: MIT
/*
 * submit.c - buffers, job submission, waiting and syncobjs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tnpu_accel.h"
#include "tnpu_internal.h"

_Static_assert(TNPU_BO_DEVICE_RO == DRM_TNPU_BO_DEVICE_RO, "bo flag");
_Static_assert(TNPU_SUBMIT_STATUS == DRM_TNPU_SUBMIT_STATUS, "submit flag");
_Static_assert(TNPU_STATUS_ABORTED == DRM_TNPU_JOB_ABORTED, "job status");

int tnpu_bo_alloc(struct tnpu_device *dev, uint64_t size, uint32_t flags, struct tnpu_bo **out)
{
	struct drm_tnpu_bo_create c;
	struct tnpu_bo *bo;
	uint64_t max = dev->info.max_bo_size ? dev->info.max_bo_size : DRM_TNPU_MAX_BO_SIZE;
	int ret;

	*out = NULL;
	if (!size || size > max)
		return tnpu_err(-EINVAL, "buffer size %llu not in 1..%llu",
				(unsigned long long)size, (unsigned long long)max);
	if (flags & ~DRM_TNPU_BO_FLAGS_ALL)
		return tnpu_err(-EINVAL, "unknown buffer flags 0x%x", flags & ~DRM_TNPU_BO_FLAGS_ALL);
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return tnpu_err(-ENOMEM, "out of memory");

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.flags = flags;
	ret = tnpu_os()->ioctl(dev->fd, DRM_IOCTL_TNPU_BO_CREATE, &c);
	if (ret) {
		free(bo);
		return tnpu_err(ret, "BO_CREATE of %llu bytes failed: %s",
				(unsigned long long)size, strerror(-ret));
	}
	bo->dev = dev;
	bo->handle = c.handle;
	bo->flags = flags;
	bo->size = c.size;
	bo->addr = c.device_addr;
	if (c.size < size || c.size > SIZE_MAX) {
		ret = tnpu_err(-EPROTO, "driver returned a %llu-byte buffer for %llu bytes",
			       (unsigned long long)c.size, (unsigned long long)size);
		goto close;
	}
	ret = tnpu_os()->mmap(dev->fd, (size_t)c.size, c.mmap_offset, &bo->map);
	if (ret) {
		tnpu_err(ret, "mmap of buffer %u failed: %s", c.handle, strerror(-ret));
		goto close;
	}
	*out = bo;
	return 0;
close:
	{
		struct drm_gem_close gc = { .handle = c.handle };

		tnpu_os()->ioctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &gc);
	}
	free(bo);
	return ret;
}

void tnpu_bo_free(struct tnpu_bo *bo)
{
	struct drm_gem_close gc;

	if (!bo)
		return;
	if (bo->map)
		tnpu_os()->munmap(bo->map, (size_t)bo->size);
	memset(&gc, 0, sizeof(gc));
	gc.handle = bo->handle;
	tnpu_os()->ioctl(bo->dev->fd, DRM_IOCTL_GEM_CLOSE, &gc);
	free(bo);
}

int tnpu_cmdbuf_upload(struct tnpu_device *dev, const struct tnpu_cmdbuf *cb,
		       struct tnpu_bo **out)
{
	size_t size = tnpu_cmdbuf_size(cb);
	int ret;

	*out = NULL;
	if (!size)
		return tnpu_err(-EINVAL, "empty command stream");
	ret = tnpu_bo_alloc(dev, size, TNPU_BO_DEVICE_RO, out);
	if (ret)
		return ret;
	memcpy((*out)->map, tnpu_cmdbuf_data(cb), size);
	return 0;
}

int tnpu_submit(struct tnpu_device *dev, const struct tnpu_submit *s, uint64_t *job_id)
{
	struct drm_tnpu_submit d;
	uint32_t *handles = NULL;
	uint32_t max_bos = dev->info.max_bos_per_job ? dev->info.max_bos_per_job
						     : DRM_TNPU_MAX_BOS_PER_JOB;
	int ret;

	if (!s || !s->cmd)
		return tnpu_err(-EINVAL, "submit without a command buffer");
	if (s->cmd->dev != dev)
		return tnpu_err(-EINVAL, "command buffer belongs to another device");
	if (!s->cmd_size || s->cmd_size % 8 || s->cmd_size > TNPU_CMD_MAX_SIZE ||
	    s->cmd_offset % 8 || s->cmd_offset > s->cmd->size ||
	    s->cmd_size > s->cmd->size - s->cmd_offset)
		return tnpu_err(-EINVAL,
				"bad command range: offset %llu size %u in a %llu-byte buffer "
				"(need 8-byte alignment, 8..%u bytes, inside the buffer)",
				(unsigned long long)s->cmd_offset, s->cmd_size,
				(unsigned long long)s->cmd->size, TNPU_CMD_MAX_SIZE);
	if (s->queue >= dev->info.num_queues)
		return tnpu_err(-EINVAL, "queue %u out of range (device has %u)", s->queue,
				dev->info.num_queues);
	if (s->bo_count > max_bos)
		return tnpu_err(-EINVAL, "%u buffers, more than %u per job", s->bo_count, max_bos);
	if (s->bo_count && !s->bos)
		return tnpu_err(-EINVAL, "buffer count without a buffer array");
	if (s->in_syncobj_count > DRM_TNPU_MAX_SYNCOBJS)
		return tnpu_err(-EINVAL, "%u in-syncobjs, more than %u", s->in_syncobj_count,
				DRM_TNPU_MAX_SYNCOBJS);
	if (s->in_syncobj_count && !s->in_syncobjs)
		return tnpu_err(-EINVAL, "syncobj count without a syncobj array");
	if (s->flags & ~DRM_TNPU_SUBMIT_FLAGS_ALL)
		return tnpu_err(-EINVAL, "unknown submit flags 0x%x",
				s->flags & ~DRM_TNPU_SUBMIT_FLAGS_ALL);
	if ((s->flags & TNPU_SUBMIT_STATUS) && !job_id)
		return tnpu_err(-EINVAL, "TNPU_SUBMIT_STATUS needs a job_id pointer");

	if (s->bo_count) {
		handles = malloc(s->bo_count * sizeof(*handles));
		if (!handles)
			return tnpu_err(-ENOMEM, "out of memory");
		for (uint32_t i = 0; i < s->bo_count; i++) {
			if (!s->bos[i] || s->bos[i]->dev != dev) {
				free(handles);
				return tnpu_err(-EINVAL, "buffer %u is NULL or from another device",
						i);
			}
			handles[i] = s->bos[i]->handle;
		}
	}
	memset(&d, 0, sizeof(d));
	d.bo_handles = (uintptr_t)handles;
	d.bo_count = s->bo_count;
	d.in_syncobjs = (uintptr_t)s->in_syncobjs;
	d.in_syncobj_count = s->in_syncobj_count;
	d.cmd_handle = s->cmd->handle;
	d.cmd_size = s->cmd_size;
	d.cmd_offset = s->cmd_offset;
	d.queue = s->queue;
	d.flags = s->flags;
	d.out_syncobj = s->out_syncobj;
	ret = tnpu_os()->ioctl(dev->fd, DRM_IOCTL_TNPU_SUBMIT, &d);
	free(handles);
	if (ret)
		return tnpu_err(ret, "SUBMIT on queue %u failed: %s", s->queue, strerror(-ret));
	if (job_id)
		*job_id = (s->flags & TNPU_SUBMIT_STATUS) ? d.job_id : 0;
	return 0;
}

int tnpu_wait(struct tnpu_device *dev, uint64_t job_id, int64_t timeout_ns,
	      struct tnpu_job_result *res)
{
	struct drm_tnpu_wait w;
	int ret;

	if (!res)
		return tnpu_err(-EINVAL, "wait without a result pointer");
	if (timeout_ns < 0)
		return tnpu_err(-EINVAL, "negative timeout");
	memset(&w, 0, sizeof(w));
	w.job_id = job_id;
	w.timeout_ns = timeout_ns;
	ret = tnpu_os()->ioctl(dev->fd, DRM_IOCTL_TNPU_WAIT, &w);
	if (ret == -ETIME || ret == -ETIMEDOUT)
		return tnpu_err(-ETIME, "job %llu still running after %lld ns",
				(unsigned long long)job_id, (long long)timeout_ns);
	if (ret)
		return tnpu_err(ret, "WAIT for job %llu failed: %s", (unsigned long long)job_id,
				strerror(-ret));
	memset(res, 0, sizeof(*res));
	res->status = w.status;
	res->hw_status = w.hw_status;
	res->err_offset = w.err_offset;
	res->duration_ns = w.duration_ns;
	res->fault_addr = w.fault_addr;
	return 0;
}

const char *tnpu_status_str(uint32_t status)
{
	switch (status) {
	case TNPU_STATUS_OK:		return "ok";
	case TNPU_STATUS_INVALID:	return "invalid: the device rejected a command or argument";
	case TNPU_STATUS_FAULT:		return "fault: device MMU fault (address not mapped "
					       "or not writable)";
	case TNPU_STATUS_TIMEOUT:	return "timeout: the job hung and the device was reset";
	case TNPU_STATUS_ABORTED:	return "aborted: cancelled by a device reset or unplug";
	default:			return "unknown job status";
	}
}

const char *tnpu_hw_status_str(uint32_t hw_status)
{
	switch (hw_status) {
	case TNPU_JOB_PENDING:		return "pending";
	case TNPU_JOB_OK:		return "ok";
	case TNPU_JOB_INVALID_DESC:	return "invalid job descriptor";
	case TNPU_JOB_INVALID_CMD:	return "invalid command (opcode or size)";
	case TNPU_JOB_INVALID_ARG:	return "invalid command argument";
	case TNPU_JOB_MMU_FAULT:	return "MMU fault";
	case TNPU_JOB_DMA_ERROR:	return "DMA error";
	case TNPU_JOB_ABORTED:		return "aborted";
	default:			return "unknown hardware status";
	}
}

int tnpu_run(struct tnpu_device *dev, const struct tnpu_cmdbuf *cb, struct tnpu_bo *const *bos,
	     uint32_t bo_count, uint32_t queue, int64_t timeout_ns, struct tnpu_job_result *res)
{
	struct tnpu_job_result local;
	struct tnpu_submit s;
	struct tnpu_bo *cmd;
	uint64_t id;
	int ret;

	if (!res)
		res = &local;
	ret = tnpu_cmdbuf_upload(dev, cb, &cmd);
	if (ret)
		return ret;
	memset(&s, 0, sizeof(s));
	s.cmd = cmd;
	s.cmd_size = (uint32_t)tnpu_cmdbuf_size(cb);
	s.queue = queue;
	s.bos = bos;
	s.bo_count = bo_count;
	s.flags = TNPU_SUBMIT_STATUS;
	ret = tnpu_submit(dev, &s, &id);
	if (!ret)
		ret = tnpu_wait(dev, id, timeout_ns, res);
	/* On -ETIME the job may still read the stream: the kernel keeps it alive. */
	tnpu_bo_free(cmd);
	if (ret)
		return ret;
	if (res->status != TNPU_STATUS_OK)
		return tnpu_err(-EIO, "job %llu failed: %s (device: %s) at command offset %u%s",
				(unsigned long long)id, tnpu_status_str(res->status),
				tnpu_hw_status_str(res->hw_status), res->err_offset,
				res->status == TNPU_STATUS_FAULT ? " (see fault_addr)" : "");
	return 0;
}

int tnpu_syncobj_create(struct tnpu_device *dev, uint32_t *handle)
{
	int ret = tnpu_os()->syncobj_create(dev->fd, handle);

	if (ret)
		return tnpu_err(ret, "syncobj create failed: %s", strerror(-ret));
	return 0;
}

void tnpu_syncobj_destroy(struct tnpu_device *dev, uint32_t handle)
{
	if (handle)
		tnpu_os()->syncobj_destroy(dev->fd, handle);
}

int tnpu_syncobj_wait(struct tnpu_device *dev, const uint32_t *handles, uint32_t count,
		      int64_t timeout_ns)
{
	struct timespec ts;
	uint32_t *copy;
	int64_t now, deadline;
	int ret;

	if (!count || !handles)
		return tnpu_err(-EINVAL, "no syncobjs to wait for");
	if (timeout_ns < 0)
		return tnpu_err(-EINVAL, "negative timeout");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	deadline = timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
	/* libdrm's prototype takes a non-const array. */
	copy = malloc(count * sizeof(*copy));
	if (!copy)
		return tnpu_err(-ENOMEM, "out of memory");
	memcpy(copy, handles, count * sizeof(*copy));
	ret = tnpu_os()->syncobj_wait(dev->fd, copy, count, deadline);
	free(copy);
	if (ret == -ETIME)
		return tnpu_err(ret, "syncobj wait timed out after %lld ns", (long long)timeout_ns);
	if (ret)
		return tnpu_err(ret, "syncobj wait failed: %s", strerror(-ret));
	return 0;
}
