// SPDX-License-Identifier: MIT
/*
 * tnpu_test.c - shared helpers of the in-guest tnpu ABI test suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include "tnpu_test.h"

static char dev_path[64];

const char *tn_dev_path(void)
{
	const char *env = getenv("TNPU_DEV");
	int i;

	if (dev_path[0])
		return dev_path;
	if (env && *env) {
		snprintf(dev_path, sizeof(dev_path), "%s", env);
		return dev_path;
	}
	for (i = 0; i < 64; i++) {
		char path[64];
		drmVersionPtr v;
		bool match;
		int fd;

		snprintf(path, sizeof(path), "/dev/accel/accel%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		match = v && v->name && !strcmp(v->name, "tnpu");
		drmFreeVersion(v);
		close(fd);
		if (match) {
			snprintf(dev_path, sizeof(dev_path), "%s", path);
			return dev_path;
		}
	}
	return NULL;
}

int tn_open(void)
{
	const char *path = tn_dev_path();
	int fd;

	assert_non_null(path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	return fd;
}

static double tn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void tn_apply_env(void)
{
	const char *filter = getenv("TNPU_TEST_FILTER");

	if (filter && *filter)
		cmocka_set_test_filter(filter);
}

int tn_group_setup(void **state)
{
	(void)state;
	if (!tn_dev_path()) {
		fprintf(stderr, "# no /dev/accel/accel* with DRM driver name \"tnpu\"\n");
		return -1;
	}
	return 0;
}

int tn_group_teardown(void **state)
{
	(void)state;
	return 0;
}

int tn_setup(void **state)
{
	struct tn_ctx *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->fd = tn_open();
	tn_info(t->fd, &t->info);
	t->reset0 = t->info.reset_count;
	t->start_ms = tn_now_ms();
	*state = t;
	return 0;
}

/*
 * Like Intel's npu-kmd-test: a test that should not reset the device fails
 * if the reset counter moved while it ran.
 */
int tn_teardown(void **state)
{
	struct tn_ctx *t = *state;
	uint32_t now;

	if (!t)
		return 0;
	if (getenv("TNPU_TEST_TIMES"))
		printf("# %.0f ms\n", tn_now_ms() - t->start_ms);
	now = tn_reset_count(t->fd);
	close(t->fd);
	*state = NULL;
	if (now != t->reset0 + t->resets_expected) {
		uint32_t r0 = t->reset0, exp = t->resets_expected;

		free(t);
		fail_msg("reset_count moved from %u to %u, expected +%u", r0, now, exp);
	}
	free(t);
	return 0;
}

int tn_ioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

void tn_info(int fd, struct drm_tnpu_info *info)
{
	memset(info, 0, sizeof(*info));
	assert_int_equal(tn_ioctl(fd, DRM_IOCTL_TNPU_GET_INFO, info), 0);
}

uint32_t tn_reset_count(int fd)
{
	struct drm_tnpu_info info;

	tn_info(fd, &info);
	return info.reset_count;
}

int tn_bo_create_raw(int fd, struct drm_tnpu_bo_create *c)
{
	return tn_ioctl(fd, DRM_IOCTL_TNPU_BO_CREATE, c);
}

void tn_bo_new(int fd, uint64_t size, uint32_t flags, struct tn_bo *bo)
{
	struct drm_tnpu_bo_create c = { .size = size, .flags = flags };
	int ret;

	ret = tn_bo_create_raw(fd, &c);
	if (ret)
		fail_msg("BO_CREATE size %llu flags %#x: %s", (unsigned long long)size,
			 flags, strerror(-ret));
	memset(bo, 0, sizeof(*bo));
	bo->handle = c.handle;
	bo->flags = flags;
	bo->size = c.size;
	bo->va = c.device_addr;
	bo->mmap_offset = c.mmap_offset;
	bo->map = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, c.mmap_offset);
	if (bo->map == MAP_FAILED)
		fail_msg("mmap BO %u: %s", c.handle, strerror(errno));
}

int tn_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return tn_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

void tn_bo_free(int fd, struct tn_bo *bo)
{
	if (bo->map && bo->map != MAP_FAILED)
		munmap(bo->map, bo->size);
	if (bo->handle)
		assert_int_equal(tn_gem_close(fd, bo->handle), 0);
	memset(bo, 0, sizeof(*bo));
}

void tn_cmd_new(int fd, struct tn_cmd *c)
{
	/* Command streams live in device-read-only buffers, as in real use. */
	tn_bo_new(fd, TN_CMD_BO_SIZE, DRM_TNPU_BO_DEVICE_RO, &c->bo);
	c->len = 0;
}

void tn_cmd_free(int fd, struct tn_cmd *c)
{
	tn_bo_free(fd, &c->bo);
	c->len = 0;
}

void tn_cmd_reset(struct tn_cmd *c)
{
	c->len = 0;
}

/* Appends @len bytes; returns the offset of the command in the stream. */
uint32_t tn_cmd_raw(struct tn_cmd *c, const void *data, uint32_t len)
{
	uint32_t off = c->len;

	assert_true(c->len + len <= c->bo.size);
	memcpy((char *)c->bo.map + c->len, data, len);
	c->len += len;
	return off;
}

uint32_t tn_cmd_nop(struct tn_cmd *c)
{
	struct tnpu_cmd_nop n = { .hdr = TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW) };

	return tn_cmd_raw(c, &n, sizeof(n));
}

uint32_t tn_cmd_copy(struct tn_cmd *c, uint64_t src, uint64_t dst, uint64_t size)
{
	struct tnpu_cmd_copy k = {
		.hdr = TNPU_CMD_HDR(TNPU_OP_COPY, 0, TNPU_CMD_COPY_DW),
		.src = src, .dst = dst, .size = size,
	};

	return tn_cmd_raw(c, &k, sizeof(k));
}

uint32_t tn_cmd_fill(struct tn_cmd *c, uint64_t dst, uint32_t value, uint64_t size)
{
	struct tnpu_cmd_fill f = {
		.hdr = TNPU_CMD_HDR(TNPU_OP_FILL, 0, TNPU_CMD_FILL_DW),
		.value = value, .dst = dst, .size = size,
	};

	return tn_cmd_raw(c, &f, sizeof(f));
}

uint32_t tn_cmd_gemm(struct tn_cmd *c, const struct tnpu_cmd_gemm *g)
{
	return tn_cmd_raw(c, g, sizeof(*g));
}

void tn_submit_init(struct drm_tnpu_submit *s, const struct tn_cmd *c,
		    const uint32_t *bos, uint32_t nbos, uint32_t queue)
{
	memset(s, 0, sizeof(*s));
	s->bo_handles = (uintptr_t)bos;
	s->bo_count = nbos;
	s->cmd_handle = c->bo.handle;
	s->cmd_size = c->len;
	s->cmd_offset = 0;
	s->queue = queue;
}

int tn_submit(int fd, struct drm_tnpu_submit *s)
{
	return tn_ioctl(fd, DRM_IOCTL_TNPU_SUBMIT, s);
}

int tn_wait(int fd, uint64_t job_id, int64_t timeout_ns, struct drm_tnpu_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->job_id = job_id;
	w->timeout_ns = timeout_ns;
	return tn_ioctl(fd, DRM_IOCTL_TNPU_WAIT, w);
}

uint64_t tn_start(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t nbos,
		  uint32_t queue, uint32_t out_syncobj)
{
	struct drm_tnpu_submit s;
	int ret;

	tn_submit_init(&s, c, bos, nbos, queue);
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	s.out_syncobj = out_syncobj;
	ret = tn_submit(fd, &s);
	if (ret)
		fail_msg("SUBMIT queue %u: %s", queue, strerror(-ret));
	return s.job_id;
}

void tn_finish(int fd, uint64_t job_id, struct drm_tnpu_wait *w)
{
	int ret = tn_wait(fd, job_id, TN_WAIT_NS, w);

	if (ret)
		fail_msg("WAIT job %llu: %s", (unsigned long long)job_id, strerror(-ret));
}

uint32_t tn_run(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t nbos,
		uint32_t queue, struct drm_tnpu_wait *w)
{
	tn_finish(fd, tn_start(fd, c, bos, nbos, queue, 0), w);
	return w->status;
}

void tn_run_ok(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t nbos,
	       uint32_t queue)
{
	struct drm_tnpu_wait w;

	if (tn_run(fd, c, bos, nbos, queue, &w) != DRM_TNPU_JOB_OK)
		fail_msg("job on queue %u: status %u hw_status %u err_offset %u fault %#llx",
			 queue, w.status, w.hw_status, w.err_offset,
			 (unsigned long long)w.fault_addr);
	assert_int_equal(w.hw_status, TNPU_JOB_OK);
}

void tn_check_file_works(int fd)
{
	struct tn_cmd c;
	struct tn_bo b;
	uint32_t *p;
	size_t i;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 8192, 0, &b);
	tn_cmd_fill(&c, b.va, 0x5a5aa5a5, b.size);
	tn_run_ok(fd, &c, &b.handle, 1, 0);
	p = b.map;
	for (i = 0; i < b.size / 4; i++)
		assert_int_equal(p[i], 0x5a5aa5a5);
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

uint32_t tn_syncobj(int fd, bool signaled)
{
	uint32_t h = 0;

	assert_int_equal(drmSyncobjCreate(fd, signaled ? DRM_SYNCOBJ_CREATE_SIGNALED : 0, &h),
			 0);
	assert_int_not_equal(h, 0);
	return h;
}

int tn_syncobj_status(int fd, uint32_t syncobj)
{
	struct sync_file_info info;
	int sfd = -1, ret;

	assert_int_equal(drmSyncobjExportSyncFile(fd, syncobj, &sfd), 0);
	memset(&info, 0, sizeof(info));
	ret = ioctl(sfd, SYNC_IOC_FILE_INFO, &info);
	close(sfd);
	assert_int_equal(ret, 0);
	return info.status;
}

void tn_cmd_square_gemm(struct tn_cmd *cmd, const struct tn_bo *ab, const struct tn_bo *c,
			uint32_t d)
{
	struct tnpu_cmd_gemm g = {
		.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, TNPU_GEMM_TRANS_B, TNPU_CMD_GEMM_DW),
		.dtype = TNPU_DTYPE_FP32,
		.m = d, .n = d, .k = d, .lda = d, .ldb = d, .ldc = d,
		.a = ab->va, .b = ab->va, .c = c->va,
	};

	tn_cmd_gemm(cmd, &g);
}

double tn_gemm_ns_per_mac(int fd)
{
	static double cached;
	const uint32_t d = 128;
	struct drm_tnpu_wait w;
	struct tn_bo ab, c;
	struct tn_cmd cmd;
	uint32_t bos[2];
	uint64_t t0, wall;
	double best = 0;
	int i;

	if (cached > 0)
		return cached;
	tn_cmd_new(fd, &cmd);
	tn_bo_new(fd, (uint64_t)d * d * 4, 0, &ab);
	tn_bo_new(fd, (uint64_t)d * d * 4, 0, &c);
	bos[0] = ab.handle;
	bos[1] = c.handle;
	tn_cmd_square_gemm(&cmd, &ab, &c, d);
	for (i = 0; i < 3; i++) {
		double ns;

		t0 = tn_now_ns();
		assert_int_equal(tn_run(fd, &cmd, bos, 2, 0, &w), DRM_TNPU_JOB_OK);
		wall = tn_now_ns() - t0;
		/* Prefer the device's own clock; fall back to the round trip. */
		ns = (double)(w.duration_ns ? w.duration_ns : wall) / ((double)d * d * d);
		if (best == 0 || ns < best)
			best = ns;
	}
	tn_bo_free(fd, &c);
	tn_bo_free(fd, &ab);
	tn_cmd_free(fd, &cmd);
	cached = best > 0.01 ? best : 0.01;
	return cached;
}

uint32_t tn_gemm_dim_for(int fd, uint64_t target_ns, uint32_t lo, uint32_t hi)
{
	double macs = (double)target_ns / tn_gemm_ns_per_mac(fd);
	uint32_t d = lo;

	while (d < hi && (double)d * d * d < macs)
		d += 16;
	return d > hi ? hi : d;
}

uint64_t tn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC_NS + ts.tv_nsec;
}

static uint32_t rng_state = 0x12345678;

void tn_srand(uint32_t seed)
{
	rng_state = seed ? seed : 1;
}

uint32_t tn_rand(void)
{
	/* xorshift32: deterministic data so failures reproduce. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

unsigned int tn_job_timeout_ms(void)
{
	FILE *f = fopen("/sys/module/tnpu/parameters/job_timeout_ms", "r");
	unsigned int v = 10000;

	if (f) {
		if (fscanf(f, "%u", &v) != 1 || v == 0)
			v = 10000;
		fclose(f);
	}
	return v;
}
