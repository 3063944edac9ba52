/* SPDX-License-Identifier: MIT */
/*
 * fake_dev.h - a stand-in for the kernel behind libtnpu's OS seam.
 *
 * Nodes are described by a table (path, driver name, ABI major, whether
 * open fails).  A "tnpu" node answers GET_INFO, BO_CREATE, GEM_CLOSE,
 * SUBMIT and WAIT; SUBMIT runs the command stream at once with a small
 * interpreter of NOP/COPY/FILL/FP32-GEMM over the fake buffers, so model
 * sessions can be checked end to end on the host.  Every call is recorded
 * so tests can assert what reached the "kernel".
 */
#ifndef FAKE_DEV_H
#define FAKE_DEV_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnpu_accel.h"
#include "tnpu_internal.h"

#define FAKE_MAX_NODES	8
#define FAKE_MAX_BOS	64
#define FAKE_MAX_JOBS	64
#define FAKE_FD_BASE	100
#define FAKE_VA_START	0x100000ull

struct fake_node {
	const char *path;
	const char *driver;	/* NULL: VERSION fails (not DRM) */
	uint32_t abi_major;
	int open_err;		/* negative errno open returns, or 0 */
};

struct fake_bo {
	int used;
	uint32_t flags;
	uint64_t size, va, mmap_offset;
	uint8_t *mem;
	int mapped;
};

struct fake_job {
	int used;
	struct drm_tnpu_wait result;
};

static struct fake_state {
	struct fake_node nodes[FAKE_MAX_NODES];
	int num_nodes;
	int list_err;
	int open_fds;			/* currently open */
	struct fake_bo bos[FAKE_MAX_BOS];	/* handle = index + 1 */
	uint64_t next_va;
	struct fake_job jobs[FAKE_MAX_JOBS];	/* job id = index + 1 */
	struct drm_tnpu_submit last_submit;
	uint32_t last_bo_handles[DRM_TNPU_MAX_BOS_PER_JOB];
	int submits;
	int force_ioctl_err;		/* next SUBMIT fails with this */
	uint32_t next_syncobj;
	float gemm_skew;		/* added to every GEMM output: a "broken device" */
	/* Replaces fake_execute() when set (e.g. the real firmware executor). */
	uint32_t (*exec)(const uint8_t *cs, uint32_t size, uint32_t *err_off);
} fake;

static void fake_reset(void)
{
	for (int i = 0; i < FAKE_MAX_BOS; i++)
		free(fake.bos[i].mem);
	memset(&fake, 0, sizeof(fake));
	fake.next_va = FAKE_VA_START;
}

static void fake_add_node(const char *path, const char *driver, uint32_t abi_major)
{
	struct fake_node *n = &fake.nodes[fake.num_nodes++];

	n->path = path;
	n->driver = driver;
	n->abi_major = abi_major;
}

static int fake_live_bos(void)
{
	int n = 0;

	for (int i = 0; i < FAKE_MAX_BOS; i++)
		n += fake.bos[i].used;
	return n;
}

static int fake_list_nodes(char ***paths, size_t *count)
{
	char **v;

	*paths = NULL;
	*count = 0;
	if (fake.list_err)
		return fake.list_err;
	if (!fake.num_nodes)
		return 0;
	v = calloc((size_t)fake.num_nodes, sizeof(*v));
	for (int i = 0; i < fake.num_nodes; i++)
		v[i] = strdup(fake.nodes[i].path);
	*paths = v;
	*count = (size_t)fake.num_nodes;
	return 0;
}

static int fake_open(const char *path)
{
	for (int i = 0; i < fake.num_nodes; i++) {
		if (strcmp(fake.nodes[i].path, path))
			continue;
		if (fake.nodes[i].open_err)
			return fake.nodes[i].open_err;
		fake.open_fds++;
		return FAKE_FD_BASE + i;
	}
	return -ENOENT;
}

static void fake_close(int fd)
{
	(void)fd;
	fake.open_fds--;
}

static struct fake_node *fake_node_of(int fd)
{
	return &fake.nodes[fd - FAKE_FD_BASE];
}

static int fake_driver_version(int fd, char *name, size_t len, int *major, int *minor,
			       int *patch)
{
	struct fake_node *n = fake_node_of(fd);

	if (!n->driver)
		return -ENOTTY;
	snprintf(name, len, "%s", n->driver);
	*major = 1;
	*minor = 2;
	*patch = 3;
	return 0;
}

/* Host pointer for [va, va + len) inside one buffer, or NULL (a "fault"). */
static uint8_t *fake_ptr(uint64_t va, uint64_t len, int write)
{
	for (int i = 0; i < FAKE_MAX_BOS; i++) {
		struct fake_bo *b = &fake.bos[i];

		if (!b->used || va < b->va || va - b->va > b->size || len > b->size - (va - b->va))
			continue;
		if (write && (b->flags & DRM_TNPU_BO_DEVICE_RO))
			return NULL;
		return b->mem + (va - b->va);
	}
	return NULL;
}

/* Run a stream; returns enum tnpu_job_status and sets *err_off. */
static uint32_t fake_execute(const uint8_t *cs, uint32_t size, uint32_t *err_off)
{
	uint32_t off = 0;

	while (off < size) {
		uint32_t hdr;

		*err_off = off;
		memcpy(&hdr, cs + off, 4);
		if (TNPU_CMD_SIZE_DW(hdr) * 4u > size - off || !TNPU_CMD_SIZE_DW(hdr))
			return TNPU_JOB_INVALID_CMD;
		switch (TNPU_CMD_OP(hdr)) {
		case TNPU_OP_NOP:
			break;
		case TNPU_OP_COPY: {
			struct tnpu_cmd_copy c;
			uint8_t *s, *d;

			memcpy(&c, cs + off, sizeof(c));
			s = fake_ptr(c.src, c.size, 0);
			d = fake_ptr(c.dst, c.size, 1);
			if (!s || !d)
				return TNPU_JOB_MMU_FAULT;
			memmove(d, s, c.size);
			break;
		}
		case TNPU_OP_FILL: {
			struct tnpu_cmd_fill c;
			uint8_t *d;

			memcpy(&c, cs + off, sizeof(c));
			d = fake_ptr(c.dst, c.size, 1);
			if (!d)
				return TNPU_JOB_MMU_FAULT;
			for (uint64_t i = 0; i < c.size; i += 4)
				memcpy(d + i, &c.value, 4);
			break;
		}
		case TNPU_OP_GEMM: {
			struct tnpu_cmd_gemm g;
			int tb;
			float *a, *b, *c, *bias = NULL;

			memcpy(&g, cs + off, sizeof(g));
			if (g.dtype != TNPU_DTYPE_FP32)
				return TNPU_JOB_INVALID_ARG;
			tb = TNPU_CMD_FLAGS(hdr) & TNPU_GEMM_TRANS_B;
			a = (float *)fake_ptr(g.a, ((uint64_t)(g.m - 1) * g.lda + g.k) * 4, 0);
			b = (float *)fake_ptr(g.b, tb ? ((uint64_t)(g.n - 1) * g.ldb + g.k) * 4
						      : ((uint64_t)(g.k - 1) * g.ldb + g.n) * 4, 0);
			c = (float *)fake_ptr(g.c, ((uint64_t)(g.m - 1) * g.ldc + g.n) * 4, 1);
			if (TNPU_CMD_FLAGS(hdr) & TNPU_GEMM_BIAS)
				bias = (float *)fake_ptr(g.bias, (uint64_t)g.n * 4, 0);
			if (!a || !b || !c || ((TNPU_CMD_FLAGS(hdr) & TNPU_GEMM_BIAS) && !bias))
				return TNPU_JOB_MMU_FAULT;
			for (uint32_t i = 0; i < g.m; i++) {
				for (uint32_t j = 0; j < g.n; j++) {
					float acc = 0.0f;

					for (uint32_t k = 0; k < g.k; k++)
						acc += a[(size_t)i * g.lda + k] *
						       (tb ? b[(size_t)j * g.ldb + k]
							   : b[(size_t)k * g.ldb + j]);
					if (bias)
						acc += bias[j];
					if ((TNPU_CMD_FLAGS(hdr) & TNPU_GEMM_RELU) && !(acc > 0.0f))
						acc = 0.0f;
					c[(size_t)i * g.ldc + j] = acc + fake.gemm_skew * (float)j;
				}
			}
			break;
		}
		default:
			return TNPU_JOB_INVALID_CMD;
		}
		off += TNPU_CMD_SIZE_DW(hdr) * 4;
	}
	return TNPU_JOB_OK;
}

static int fake_submit(struct drm_tnpu_submit *s)
{
	const uint32_t *handles = (const uint32_t *)(uintptr_t)s->bo_handles;
	struct fake_bo *cmd;
	struct fake_job *job = NULL;
	uint32_t hw, err_off = 0;

	fake.submits++;
	fake.last_submit = *s;
	if (fake.force_ioctl_err) {
		int e = fake.force_ioctl_err;

		fake.force_ioctl_err = 0;
		return e;
	}
	if (s->cmd_handle < 1 || s->cmd_handle > FAKE_MAX_BOS || !fake.bos[s->cmd_handle - 1].used)
		return -ENOENT;
	for (uint32_t i = 0; i < s->bo_count; i++) {
		if (handles[i] < 1 || handles[i] > FAKE_MAX_BOS || !fake.bos[handles[i] - 1].used)
			return -ENOENT;
		fake.last_bo_handles[i] = handles[i];
	}
	cmd = &fake.bos[s->cmd_handle - 1];
	if (s->cmd_offset + s->cmd_size > cmd->size)
		return -EINVAL;
	if (s->flags & DRM_TNPU_SUBMIT_STATUS) {
		for (int i = 0; i < FAKE_MAX_JOBS; i++) {
			if (!fake.jobs[i].used) {
				job = &fake.jobs[i];
				job->used = 1;
				s->job_id = (uint64_t)i + 1;
				break;
			}
		}
		if (!job)
			return -ENOSPC;
	}
	hw = (fake.exec ? fake.exec : fake_execute)(cmd->mem + s->cmd_offset, s->cmd_size,
						    &err_off);
	if (job) {
		memset(&job->result, 0, sizeof(job->result));
		job->result.hw_status = hw;
		job->result.status = hw == TNPU_JOB_OK ? DRM_TNPU_JOB_OK :
				     hw == TNPU_JOB_MMU_FAULT ? DRM_TNPU_JOB_FAULT :
				     DRM_TNPU_JOB_INVALID;
		job->result.err_offset = hw == TNPU_JOB_OK ? 0 : err_off;
		job->result.duration_ns = 1000;
	}
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	struct fake_node *n = fake_node_of(fd);

	if (req == DRM_IOCTL_TNPU_GET_INFO) {
		struct drm_tnpu_info *in = arg;

		if (!n->driver || strcmp(n->driver, "tnpu"))
			return -ENOTTY;
		memset(in, 0, sizeof(*in));
		in->abi_major = n->abi_major;
		in->abi_minor = 0;
		in->hw_version = TNPU_HW_VERSION;
		in->caps = TNPU_CAP_GEMM_FP32 | TNPU_CAP_MMU | TNPU_CAP_COPY_FILL;
		in->fw_version = TNPU_FW_VERSION(1, 0, 0);
		in->fw_abi = 1 << 16;
		in->num_queues = 4;
		in->num_cores = 1;
		in->va_start = FAKE_VA_START;
		in->va_size = 1ull << 32;
		in->max_bo_size = DRM_TNPU_MAX_BO_SIZE;
		in->max_cmd_size = TNPU_CMD_MAX_SIZE;
		in->max_bos_per_job = DRM_TNPU_MAX_BOS_PER_JOB;
		memset(in->fw_build, 'x', sizeof(in->fw_build));	/* unterminated on purpose */
		return 0;
	}
	if (req == DRM_IOCTL_TNPU_BO_CREATE) {
		struct drm_tnpu_bo_create *c = arg;

		for (int i = 0; i < FAKE_MAX_BOS; i++) {
			struct fake_bo *b = &fake.bos[i];

			if (b->used)
				continue;
			b->used = 1;
			b->flags = c->flags;
			b->size = (c->size + 4095) & ~4095ull;
			/* page-aligned so a page table can map it by host address */
			b->mem = aligned_alloc(4096, b->size);
			memset(b->mem, 0, b->size);
			b->va = fake.next_va;
			fake.next_va += b->size + 4096;
			b->mmap_offset = (uint64_t)(i + 1) << 32;
			c->size = b->size;
			c->handle = (uint32_t)i + 1;
			c->device_addr = b->va;
			c->mmap_offset = b->mmap_offset;
			return 0;
		}
		return -ENOSPC;
	}
	if (req == DRM_IOCTL_GEM_CLOSE) {
		struct drm_gem_close *gc = arg;
		struct fake_bo *b;

		if (gc->handle < 1 || gc->handle > FAKE_MAX_BOS || !fake.bos[gc->handle - 1].used)
			return -ENOENT;
		b = &fake.bos[gc->handle - 1];
		free(b->mem);
		memset(b, 0, sizeof(*b));
		return 0;
	}
	if (req == DRM_IOCTL_TNPU_SUBMIT)
		return fake_submit(arg);
	if (req == DRM_IOCTL_TNPU_WAIT) {
		struct drm_tnpu_wait *w = arg;
		struct fake_job *j;

		if (w->job_id < 1 || w->job_id > FAKE_MAX_JOBS || !fake.jobs[w->job_id - 1].used)
			return -ENOENT;
		j = &fake.jobs[w->job_id - 1];
		w->status = j->result.status;
		w->hw_status = j->result.hw_status;
		w->err_offset = j->result.err_offset;
		w->duration_ns = j->result.duration_ns;
		j->used = 0;
		return 0;
	}
	return -ENOTTY;
}

static int fake_mmap(int fd, size_t len, uint64_t offset, void **out)
{
	(void)fd;
	for (int i = 0; i < FAKE_MAX_BOS; i++) {
		struct fake_bo *b = &fake.bos[i];

		if (b->used && b->mmap_offset == offset && len <= b->size) {
			b->mapped = 1;
			*out = b->mem;
			return 0;
		}
	}
	return -EINVAL;
}

static void fake_munmap(void *addr, size_t len)
{
	(void)len;
	for (int i = 0; i < FAKE_MAX_BOS; i++)
		if (fake.bos[i].mem == addr)
			fake.bos[i].mapped = 0;
}

static int fake_syncobj_create(int fd, uint32_t *h)
{
	(void)fd;
	*h = ++fake.next_syncobj;
	return 0;
}

static int fake_syncobj_destroy(int fd, uint32_t h)
{
	(void)fd;
	(void)h;
	return 0;
}

static int fake_syncobj_wait(int fd, uint32_t *h, uint32_t n, int64_t deadline)
{
	(void)fd;
	(void)deadline;
	for (uint32_t i = 0; i < n; i++)
		if (!h[i] || h[i] > fake.next_syncobj)
			return -ENOENT;
	return 0;
}

static const struct tnpu_os_ops fake_ops = {
	.list_nodes = fake_list_nodes,
	.open = fake_open,
	.close = fake_close,
	.ioctl = fake_ioctl,
	.driver_version = fake_driver_version,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.syncobj_create = fake_syncobj_create,
	.syncobj_destroy = fake_syncobj_destroy,
	.syncobj_wait = fake_syncobj_wait,
};

/* cmocka group setup/teardown */
static int fake_setup(void **state)
{
	(void)state;
	fake_reset();
	unsetenv(TNPU_DEVICE_ENV);
	tnpu_os_set(&fake_ops);
	return 0;
}

static int fake_teardown(void **state)
{
	(void)state;
	tnpu_os_set(NULL);
	fake_reset();
	return 0;
}

#endif /* FAKE_DEV_H */
