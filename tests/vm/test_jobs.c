// SPDX-License-Identifier: MIT
/*
 * tnpu-test-jobs: DRM_TNPU_SUBMIT and DRM_TNPU_WAIT semantics and argument
 * checking (each documented errno), syncobj dependencies, and device-side
 * failures: invalid commands, MMU faults, read-only buffers and isolation
 * between files.  After every failure the same file must still run jobs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tnpu_test.h"

#define CTX(s)	((struct tn_ctx *)*(s))

/* A command buffer holding one NOP, ready to submit. */
static void nop_cmd(int fd, struct tn_cmd *c)
{
	tn_cmd_new(fd, c);
	tn_cmd_nop(c);
}

static void test_submit_nop_syncobj(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	uint32_t so = tn_syncobj(fd, false);

	nop_cmd(fd, &c);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.out_syncobj = so;
	assert_int_equal(tn_submit(fd, &s), 0);
	assert_int_equal(drmSyncobjWait(fd, &so, 1, INT64_MAX, 0, NULL), 0);
	assert_int_equal(tn_syncobj_status(fd, so), 1);
	drmSyncobjDestroy(fd, so);
	tn_cmd_free(fd, &c);
}

static void test_submit_nop_status(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	uint32_t so = tn_syncobj(fd, false);
	struct tn_cmd c;
	uint64_t id;

	nop_cmd(fd, &c);
	id = tn_start(fd, &c, NULL, 0, 0, so);
	assert_int_equal(tn_wait(fd, id, TN_WAIT_NS, &w), 0);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	assert_int_equal(w.hw_status, TNPU_JOB_OK);
	assert_int_equal(w.err_offset, 0);
	assert_int_equal(w.fault_addr, 0);
	/* The status job's fence also reached the out syncobj. */
	assert_int_equal(drmSyncobjWait(fd, &so, 1, INT64_MAX, 0, NULL), 0);
	assert_int_equal(tn_syncobj_status(fd, so), 1);
	/* Reaped: a second wait does not find it. */
	assert_int_equal(tn_wait(fd, id, TN_WAIT_NS, &w), -ENOENT);
	assert_int_equal(tn_wait(fd, id, 0, &w), -ENOENT);
	drmSyncobjDestroy(fd, so);
	tn_cmd_free(fd, &c);
}

static void test_wait_unknown(void **state)
{
	static const uint64_t ids[] = { 0, 1, 0xdeadbeef, 1ull << 40, UINT64_MAX };
	int fd = CTX(state)->fd, fd2 = tn_open();
	struct drm_tnpu_wait w;
	struct tn_cmd c;
	uint64_t id;
	size_t i;

	for (i = 0; i < ARRAY_LEN(ids); i++) {
		assert_int_equal(tn_wait(fd, ids[i], 0, &w), -ENOENT);
		assert_int_equal(tn_wait(fd, ids[i], 1000000, &w), -ENOENT);
	}
	/* Job ids are per file: another file cannot wait for (or reap) ours. */
	nop_cmd(fd, &c);
	id = tn_start(fd, &c, NULL, 0, 0, 0);
	assert_int_equal(tn_wait(fd2, id, 1000000, &w), -ENOENT);
	tn_finish(fd, id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	close(fd2);
	tn_cmd_free(fd, &c);
}

static void test_wait_bad_fields(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	struct tn_cmd c;
	uint64_t id;
	int n;

	nop_cmd(fd, &c);
	id = tn_start(fd, &c, NULL, 0, 0, 0);
	memset(&w, 0, sizeof(w));
	w.job_id = id;
	w.timeout_ns = TN_WAIT_NS;
	w.pad = 1;
	assert_int_equal(tn_ioctl(fd, DRM_IOCTL_TNPU_WAIT, &w), -EINVAL);
	for (n = 0; n < 2; n++) {
		memset(&w, 0, sizeof(w));
		w.job_id = id;
		w.timeout_ns = TN_WAIT_NS;
		w.reserved[n] = 1;
		assert_int_equal(tn_ioctl(fd, DRM_IOCTL_TNPU_WAIT, &w), -EINVAL);
	}
	/* The rejected waits did not reap the job. */
	tn_finish(fd, id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	tn_cmd_free(fd, &c);
}

/* A long GEMM (about @ms of device time); C ends up holding d everywhere. */
struct long_job {
	struct tn_bo ab, c;
	struct tn_cmd cmd;
	uint32_t d;
	uint32_t bos[2];
};

static void long_job_init(int fd, struct long_job *j, uint64_t ms)
{
	float *a;
	size_t i;

	j->d = tn_gemm_dim_for(fd, ms * 1000000ull, 64, 2048);
	tn_bo_new(fd, (uint64_t)j->d * j->d * 4, 0, &j->ab);
	tn_bo_new(fd, (uint64_t)j->d * j->d * 4, 0, &j->c);
	a = j->ab.map;
	for (i = 0; i < (size_t)j->d * j->d; i++)
		a[i] = 1.0f;
	tn_cmd_new(fd, &j->cmd);
	tn_cmd_square_gemm(&j->cmd, &j->ab, &j->c, j->d);
	j->bos[0] = j->ab.handle;
	j->bos[1] = j->c.handle;
}

static void long_job_fini(int fd, struct long_job *j)
{
	tn_cmd_free(fd, &j->cmd);
	tn_bo_free(fd, &j->c);
	tn_bo_free(fd, &j->ab);
}

static void test_wait_timeout(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	struct long_job j;
	uint64_t id, t0;

	/* Well below the driver's job timeout, long enough to poll while it runs. */
	long_job_init(fd, &j, tn_job_timeout_ms() / 8);
	id = tn_start(fd, &j.cmd, j.bos, 2, 0, 0);
	assert_int_equal(tn_wait(fd, id, 0, &w), -ETIME);
	t0 = tn_now_ns();
	assert_int_equal(tn_wait(fd, id, 1000000, &w), -ETIME);
	assert_true(tn_now_ns() - t0 >= 1000000);
	/* -ETIME leaves the job waitable. */
	tn_finish(fd, id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	assert_true(w.duration_ns > 0);
	printf("# GEMM %ux%ux%u fp32: %.1f ms device time\n", j.d, j.d, j.d,
	       w.duration_ns / 1e6);
	assert_true(((float *)j.c.map)[0] == (float)j.d);
	assert_true(((float *)j.c.map)[(size_t)j.d * j.d - 1] == (float)j.d);
	long_job_fini(fd, &j);
}

static void test_job_ids(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	uint64_t id[32];
	struct tn_cmd c;
	int i, k;

	nop_cmd(fd, &c);
	for (i = 0; i < 32; i++) {
		id[i] = tn_start(fd, &c, NULL, 0, i % CTX(state)->info.num_queues, 0);
		for (k = 0; k < i; k++)
			assert_true(id[k] != id[i]);
	}
	for (i = 31; i >= 0; i--) {
		tn_finish(fd, id[i], &w);
		assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	}
	tn_cmd_free(fd, &c);
}

/* A count of zero means the pointer is ignored; the command buffer is implicit. */
static void test_submit_no_bos(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct drm_tnpu_wait w;
	struct tn_cmd c;

	nop_cmd(fd, &c);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.bo_handles = 0xdeadbeef000ull;
	s.in_syncobjs = 8;
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	assert_int_equal(tn_submit(fd, &s), 0);
	tn_finish(fd, s.job_id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	/* Listing the command buffer explicitly is fine too, even twice. */
	{
		uint32_t bos[2] = { c.bo.handle, c.bo.handle };

		tn_run_ok(fd, &c, bos, 2, 0);
	}
	tn_cmd_free(fd, &c);
}

static void test_submit_all_queues(void **state)
{
	struct tn_ctx *t = *state;
	struct tn_cmd c;
	uint32_t q;

	nop_cmd(t->fd, &c);
	for (q = 0; q < t->info.num_queues; q++)
		tn_run_ok(t->fd, &c, NULL, 0, q);
	tn_cmd_free(t->fd, &c);
}

/*
 * Submits @s expecting @err, and checks a rejected submit left its out
 * syncobj untouched (no fence).
 */
static void expect_submit(int fd, struct drm_tnpu_submit *s, int err, const char *what)
{
	uint32_t orig = s->out_syncobj, so = 0;
	int ret;

	/*
	 * Syncobj (and GEM) handles are recycled lowest-first: only create a
	 * probe syncobj when the caller did not pick the out syncobj, so a
	 * just-destroyed handle under test is not silently reused.
	 */
	if (!orig)
		so = tn_syncobj(fd, false);

	if (!orig)
		s->out_syncobj = so;
	ret = tn_submit(fd, s);
	if (ret != err)
		fail_msg("%s: SUBMIT returned %d (%s), expected %d (%s)", what, ret,
			 strerror(-ret), err, strerror(-err));
	if (err && !orig)
		assert_int_equal(drmSyncobjWait(fd, &so, 1, 0, 0, NULL), -EINVAL);
	if (!err)
		assert_int_equal(drmSyncobjWait(fd, &s->out_syncobj, 1, INT64_MAX, 0, NULL), 0);
	s->out_syncobj = orig;
	if (so)
		drmSyncobjDestroy(fd, so);
}

static void test_submit_bad_queue(void **state)
{
	struct tn_ctx *t = *state;
	const uint32_t qs[] = { t->info.num_queues, t->info.num_queues + 1, 8, 64,
				0x80000000u, 0xffffffffu };
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	size_t i;

	nop_cmd(t->fd, &c);
	for (i = 0; i < ARRAY_LEN(qs); i++) {
		tn_submit_init(&s, &c, NULL, 0, qs[i]);
		expect_submit(t->fd, &s, -EINVAL, "bad queue");
	}
	tn_cmd_free(t->fd, &c);
}

static void test_submit_bad_flags(void **state)
{
	static const uint32_t flags[] = { 1u << 1, 1u << 8, 1u << 31,
					  DRM_TNPU_SUBMIT_STATUS | (1u << 2), 0xffffffffu };
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	size_t i;

	nop_cmd(fd, &c);
	for (i = 0; i < ARRAY_LEN(flags); i++) {
		tn_submit_init(&s, &c, NULL, 0, 0);
		s.flags = flags[i];
		expect_submit(fd, &s, -EINVAL, "unknown flags");
	}
	tn_cmd_free(fd, &c);
}

static void test_submit_pad_reserved(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	int n;

	nop_cmd(fd, &c);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.pad = 1;
	expect_submit(fd, &s, -EINVAL, "pad");
	for (n = 0; n < 2; n++) {
		tn_submit_init(&s, &c, NULL, 0, 0);
		s.reserved[n] = 1ull << (n * 40);
		expect_submit(fd, &s, -EINVAL, "reserved");
	}
	/* job_id is out only: garbage in it is fine. */
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.job_id = 0x1234;
	expect_submit(fd, &s, 0, "job_id in");
	tn_cmd_free(fd, &c);
}

static void test_submit_cmd_offset(void **state)
{
	static const uint64_t bad[] = { 1, 2, 4, 7, 12, 4097 };
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	size_t i;

	tn_cmd_new(fd, &c);
	tn_cmd_nop(&c);
	tn_cmd_nop(&c);
	tn_cmd_nop(&c);
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		tn_submit_init(&s, &c, NULL, 0, 0);
		s.cmd_offset = bad[i];
		s.cmd_size = 8;
		expect_submit(fd, &s, -EINVAL, "misaligned cmd_offset");
	}
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.cmd_offset = 8;
	s.cmd_size = 16;
	expect_submit(fd, &s, 0, "cmd_offset 8");
	tn_cmd_free(fd, &c);
}

static void test_submit_cmd_size(void **state)
{
	static const uint32_t bad[] = { 0, 1, 4, 7, 12, 20, 0xfffffff8u, 0xffffffffu };
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	size_t i;

	nop_cmd(fd, &c);
	tn_cmd_nop(&c);
	tn_cmd_nop(&c);
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		tn_submit_init(&s, &c, NULL, 0, 0);
		s.cmd_size = bad[i];
		expect_submit(fd, &s, -EINVAL, "bad cmd_size");
	}
	tn_cmd_free(fd, &c);
}

/* Exactly TNPU_CMD_MAX_SIZE is accepted and runs; one command more is not. */
static void test_submit_cmd_max(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct drm_tnpu_wait w;
	struct tn_bo b;
	uint32_t *p;
	size_t i;

	tn_bo_new(fd, 2 * TNPU_CMD_MAX_SIZE, DRM_TNPU_BO_DEVICE_RO, &b);
	p = b.map;
	for (i = 0; i < b.size / 4; i += 2) {
		p[i] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW);
		p[i + 1] = 0;
	}
	memset(&s, 0, sizeof(s));
	s.cmd_handle = b.handle;
	s.cmd_size = TNPU_CMD_MAX_SIZE + 8;
	expect_submit(fd, &s, -EINVAL, "cmd_size above max");
	memset(&s, 0, sizeof(s));
	s.cmd_handle = b.handle;
	s.cmd_size = 2 * TNPU_CMD_MAX_SIZE;
	expect_submit(fd, &s, -EINVAL, "cmd_size 2x max");
	memset(&s, 0, sizeof(s));
	s.cmd_handle = b.handle;
	s.cmd_size = TNPU_CMD_MAX_SIZE;
	s.cmd_offset = TNPU_CMD_MAX_SIZE - 8;
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	assert_int_equal(tn_submit(fd, &s), 0);
	tn_finish(fd, s.job_id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	tn_bo_free(fd, &b);
}

static void test_submit_cmd_beyond_bo(void **state)
{
	static const struct { uint64_t off; uint32_t size; } bad[] = {
		{ TN_CMD_BO_SIZE, 8 },
		{ 0, TN_CMD_BO_SIZE + 8 },
		{ TN_CMD_BO_SIZE - 8, 16 },
		{ TN_CMD_BO_SIZE + 4096, 8 },
		{ 0xfffffffffffffff8ull, 16 },	/* offset + size wraps */
		{ 0xfffffffffffffff8ull, 8 },
		{ 1ull << 63, 8 },
		{ 1ull << 32, 8 },
	};
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	size_t i;

	tn_cmd_new(fd, &c);
	/* A NOP in the last 8 bytes, for the in-bounds control case. */
	c.len = TN_CMD_BO_SIZE - 8;
	tn_cmd_nop(&c);
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		tn_submit_init(&s, &c, NULL, 0, 0);
		s.cmd_offset = bad[i].off;
		s.cmd_size = bad[i].size;
		expect_submit(fd, &s, -EINVAL, "command stream beyond the buffer");
	}
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.cmd_offset = TN_CMD_BO_SIZE - 8;
	s.cmd_size = 8;
	expect_submit(fd, &s, 0, "last 8 bytes");
	tn_cmd_free(fd, &c);
}

static void test_submit_bo_count(void **state)
{
	int fd = CTX(state)->fd;
	uint32_t bos[DRM_TNPU_MAX_BOS_PER_JOB + 1];
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	int i;

	nop_cmd(fd, &c);
	for (i = 0; i <= DRM_TNPU_MAX_BOS_PER_JOB; i++) {
		struct drm_tnpu_bo_create b = { .size = 4096 };

		assert_int_equal(tn_bo_create_raw(fd, &b), 0);
		bos[i] = b.handle;
	}
	tn_submit_init(&s, &c, bos, DRM_TNPU_MAX_BOS_PER_JOB + 1, 0);
	expect_submit(fd, &s, -EINVAL, "bo_count above max");
	tn_submit_init(&s, &c, bos, 0xffffffffu, 0);
	expect_submit(fd, &s, -EINVAL, "bo_count 0xffffffff");
	tn_submit_init(&s, &c, bos, 0x80000000u, 0);
	expect_submit(fd, &s, -EINVAL, "bo_count 0x80000000");
	/* The limit itself is fine (plus the implicit command buffer). */
	tn_run_ok(fd, &c, bos, DRM_TNPU_MAX_BOS_PER_JOB, 0);
	for (i = 0; i <= DRM_TNPU_MAX_BOS_PER_JOB; i++)
		assert_int_equal(tn_gem_close(fd, bos[i]), 0);
	tn_cmd_free(fd, &c);
}

static void test_submit_syncobj_count(void **state)
{
	int fd = CTX(state)->fd;
	uint32_t so[DRM_TNPU_MAX_SYNCOBJS + 1];
	struct drm_tnpu_submit s;
	struct drm_tnpu_wait w;
	struct tn_cmd c;
	int i;

	nop_cmd(fd, &c);
	for (i = 0; i <= DRM_TNPU_MAX_SYNCOBJS; i++)
		so[i] = tn_syncobj(fd, true);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.in_syncobjs = (uintptr_t)so;
	s.in_syncobj_count = DRM_TNPU_MAX_SYNCOBJS + 1;
	expect_submit(fd, &s, -EINVAL, "in_syncobj_count above max");
	s.out_syncobj = 0;
	s.in_syncobj_count = 0xffffffffu;
	expect_submit(fd, &s, -EINVAL, "in_syncobj_count 0xffffffff");
	s.out_syncobj = 0;
	s.in_syncobj_count = DRM_TNPU_MAX_SYNCOBJS;
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	assert_int_equal(tn_submit(fd, &s), 0);
	tn_finish(fd, s.job_id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	for (i = 0; i <= DRM_TNPU_MAX_SYNCOBJS; i++)
		drmSyncobjDestroy(fd, so[i]);
	tn_cmd_free(fd, &c);
}

static void test_submit_efault(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	void *gone;

	nop_cmd(fd, &c);
	gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(gone != MAP_FAILED);
	munmap(gone, 4096);

	tn_submit_init(&s, &c, NULL, 1, 0);
	expect_submit(fd, &s, -EFAULT, "NULL bo_handles");
	tn_submit_init(&s, &c, gone, 4, 0);
	expect_submit(fd, &s, -EFAULT, "unmapped bo_handles");
	tn_submit_init(&s, &c, (uint32_t *)(uintptr_t)0xffff800000000000ull, 1, 0);
	expect_submit(fd, &s, -EFAULT, "kernel bo_handles");

	tn_submit_init(&s, &c, NULL, 0, 0);
	s.in_syncobj_count = 1;
	expect_submit(fd, &s, -EFAULT, "NULL in_syncobjs");
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.in_syncobjs = (uintptr_t)gone;
	s.in_syncobj_count = 2;
	expect_submit(fd, &s, -EFAULT, "unmapped in_syncobjs");
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.in_syncobjs = 0xffffffffffff0000ull;
	s.in_syncobj_count = 1;
	expect_submit(fd, &s, -EFAULT, "kernel in_syncobjs");
	tn_check_file_works(fd);
	tn_cmd_free(fd, &c);
}

static void test_submit_bad_handles(void **state)
{
	int fd = CTX(state)->fd, fd2 = tn_open();
	struct drm_tnpu_submit s;
	struct tn_bo closed, other;
	struct tn_cmd c, closed_cmd;
	uint32_t h[2], so_dead, closed_handle, keeper;

	nop_cmd(fd, &c);
	tn_bo_new(fd, 4096, 0, &closed);
	closed_handle = closed.handle;
	tn_bo_free(fd, &closed);
	/* before any other BO can take the closed handle number again */
	h[0] = c.bo.handle;
	h[1] = closed_handle;
	tn_submit_init(&s, &c, h, 2, 0);
	s.out_syncobj = tn_syncobj(fd, false);
	assert_int_equal(tn_submit(fd, &s), -ENOENT);
	drmSyncobjDestroy(fd, s.out_syncobj);
	nop_cmd(fd, &closed_cmd);
	munmap(closed_cmd.bo.map, closed_cmd.bo.size);
	assert_int_equal(tn_gem_close(fd, closed_cmd.bo.handle), 0);
	/* fd2's buffer: its handle number is unknown (or another BO) in fd */
	tn_bo_new(fd2, 4096, 0, &other);
	other.handle += 1000;

	h[0] = c.bo.handle;
	h[1] = 0;
	tn_submit_init(&s, &c, h, 2, 0);
	expect_submit(fd, &s, -ENOENT, "handle 0 in bo_handles");
	h[1] = 0x7fffffff;
	tn_submit_init(&s, &c, h, 2, 0);
	expect_submit(fd, &s, -ENOENT, "unknown handle in bo_handles");
	h[1] = closed_cmd.bo.handle;
	tn_submit_init(&s, &c, h, 2, 0);
	expect_submit(fd, &s, -ENOENT, "closed handle in bo_handles");
	h[1] = other.handle;
	tn_submit_init(&s, &c, h, 2, 0);
	expect_submit(fd, &s, -ENOENT, "other file's handle in bo_handles");

	tn_submit_init(&s, &closed_cmd, NULL, 0, 0);
	expect_submit(fd, &s, -ENOENT, "closed cmd_handle");
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.cmd_handle = 0;
	expect_submit(fd, &s, -ENOENT, "cmd_handle 0");
	s.cmd_handle = 0x7fffffff;
	expect_submit(fd, &s, -ENOENT, "unknown cmd_handle");

	keeper = tn_syncobj(fd, false);
	so_dead = tn_syncobj(fd, true);
	drmSyncobjDestroy(fd, so_dead);
	h[0] = so_dead;
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.in_syncobjs = (uintptr_t)h;
	s.in_syncobj_count = 1;
	s.out_syncobj = keeper;		/* no syncobj is created before the submit */
	expect_submit(fd, &s, -ENOENT, "destroyed in_syncobj");
	h[0] = 0x7fffffff;
	expect_submit(fd, &s, -ENOENT, "unknown in_syncobj");
	/* the rejected submits left the out syncobj without a fence */
	assert_int_equal(drmSyncobjWait(fd, &keeper, 1, 0, 0, NULL), -EINVAL);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.out_syncobj = 0x7fffffff;
	expect_submit(fd, &s, -ENOENT, "unknown out_syncobj");
	s.out_syncobj = so_dead;
	expect_submit(fd, &s, -ENOENT, "destroyed out_syncobj");

	drmSyncobjDestroy(fd, keeper);
	tn_check_file_works(fd);
	other.handle -= 1000;
	tn_bo_free(fd2, &other);
	close(fd2);
	tn_cmd_free(fd, &c);
}

/*
 * Job B waits for job A's out syncobj.  The device is kept busy with a long
 * job on queue 0 so that A and B sit in the hardware queues together, and B
 * goes to the queue the device would pick first (higher priority, or next in
 * round-robin order): without the dependency B would copy zeros.
 */
static void test_dependency(void **state)
{
	struct tn_ctx *t = *state;
	int fd = t->fd;
	uint32_t nq = t->info.num_queues, qa = nq - 1, qb = nq > 1 ? 1 : 0, q;
	struct drm_tnpu_wait wl, wa, wb;
	struct drm_tnpu_submit s;
	struct tn_bo src, e, d;
	uint32_t sa, bos[2];
	struct tn_cmd ca, cb;
	struct long_job j;
	uint64_t idl, ida;
	uint32_t *p;
	size_t i;

	for (q = 1; q < nq; q++) {
		if (t->info.queue_priority[q] > t->info.queue_priority[qb])
			qb = q;
		if (t->info.queue_priority[q] < t->info.queue_priority[qa])
			qa = q;
	}
	if (qa == qb && nq > 2)
		qa = qb == nq - 1 ? 1 : nq - 1;
	long_job_init(fd, &j, tn_job_timeout_ms() / 10);
	tn_bo_new(fd, 1 << 20, 0, &src);
	tn_bo_new(fd, 1 << 20, 0, &e);
	tn_bo_new(fd, 1 << 20, 0, &d);
	p = src.map;
	for (i = 0; i < src.size / 4; i++)
		p[i] = 0xd00d0000u ^ (uint32_t)i;
	tn_cmd_new(fd, &ca);
	tn_cmd_copy(&ca, src.va, e.va, src.size);
	tn_cmd_new(fd, &cb);
	tn_cmd_copy(&cb, e.va, d.va, e.size);
	sa = tn_syncobj(fd, false);

	idl = tn_start(fd, &j.cmd, j.bos, 2, 0, 0);
	bos[0] = src.handle;
	bos[1] = e.handle;
	ida = tn_start(fd, &ca, bos, 2, qa, sa);
	bos[0] = e.handle;
	bos[1] = d.handle;
	tn_submit_init(&s, &cb, bos, 2, qb);
	s.in_syncobjs = (uintptr_t)&sa;
	s.in_syncobj_count = 1;
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	assert_int_equal(tn_submit(fd, &s), 0);
	tn_finish(fd, s.job_id, &wb);
	assert_int_equal(wb.status, DRM_TNPU_JOB_OK);
	/* B finished, so A must have finished before it. */
	assert_int_equal(tn_wait(fd, ida, 0, &wa), 0);
	assert_int_equal(wa.status, DRM_TNPU_JOB_OK);
	p = d.map;
	for (i = 0; i < d.size / 4; i++)
		if (p[i] != (0xd00d0000u ^ (uint32_t)i))
			fail_msg("D[%zu] = %#x: B (queue %u) ran before A (queue %u) finished",
				 i, p[i], qb, qa);
	tn_finish(fd, idl, &wl);
	assert_int_equal(wl.status, DRM_TNPU_JOB_OK);
	drmSyncobjDestroy(fd, sa);
	tn_cmd_free(fd, &cb);
	tn_cmd_free(fd, &ca);
	tn_bo_free(fd, &d);
	tn_bo_free(fd, &e);
	tn_bo_free(fd, &src);
	long_job_fini(fd, &j);
}

/*
 * Runs a stream expected to fail on the device and checks the reported
 * status, then that the file still runs a good job.
 */
static void expect_job(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t n,
		       uint32_t status, uint32_t hw_status, uint32_t err_offset,
		       const char *what, struct drm_tnpu_wait *out)
{
	struct drm_tnpu_wait w;
	uint32_t so = tn_syncobj(fd, false);
	int fence, want_fence;

	tn_finish(fd, tn_start(fd, c, bos, n, 0, so), &w);
	if (w.status != status || (hw_status && w.hw_status != hw_status) ||
	    w.err_offset != err_offset)
		fail_msg("%s: status %u hw_status %u err_offset %u; expected %u/%u/%u", what,
			 w.status, w.hw_status, w.err_offset, status, hw_status, err_offset);
	assert_int_equal(drmSyncobjWait(fd, &so, 1, INT64_MAX, 0, NULL), 0);
	fence = tn_syncobj_status(fd, so);
	want_fence = status == DRM_TNPU_JOB_OK ? 1 : status == DRM_TNPU_JOB_INVALID ? -EIO :
		     status == DRM_TNPU_JOB_FAULT ? -EFAULT : -ETIMEDOUT;
	if (fence != want_fence)
		fail_msg("%s: out fence status %d, expected %d", what, fence, want_fence);
	drmSyncobjDestroy(fd, so);
	if (out)
		*out = w;
	tn_check_file_works(fd);
}

static void test_invalid_opcode(void **state)
{
	static const uint8_t ops[] = { 0x03, 0x0f, 0x11, 0x7f, 0xff };
	int fd = CTX(state)->fd;
	struct tn_cmd c;
	size_t i;

	tn_cmd_new(fd, &c);
	for (i = 0; i < ARRAY_LEN(ops); i++) {
		uint32_t bad[2] = { TNPU_CMD_HDR(ops[i], 0, 2), 0 };

		tn_cmd_reset(&c);
		tn_cmd_nop(&c);
		tn_cmd_raw(&c, bad, sizeof(bad));
		tn_cmd_nop(&c);
		expect_job(fd, &c, NULL, 0, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_CMD, 8,
			   "unknown opcode", NULL);
	}
	tn_cmd_free(fd, &c);
}

static void test_invalid_cmd_size(void **state)
{
	int fd = CTX(state)->fd;
	struct tn_cmd c;

	tn_cmd_new(fd, &c);
	/* size_dw 0 would loop forever on a naive parser */
	{
		uint32_t bad[2] = { TNPU_CMD_HDR(TNPU_OP_NOP, 0, 0), 0 };

		tn_cmd_raw(&c, bad, sizeof(bad));
		expect_job(fd, &c, NULL, 0, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_CMD, 0,
			   "size_dw 0", NULL);
	}
	{
		uint32_t bad[4] = { TNPU_CMD_HDR(TNPU_OP_NOP, 0, 4), 0, 0, 0 };

		tn_cmd_reset(&c);
		tn_cmd_raw(&c, bad, sizeof(bad));
		expect_job(fd, &c, NULL, 0, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_CMD, 0,
			   "NOP with size_dw 4", NULL);
	}
	{
		/* a FILL header in the last 8 bytes: runs past the end of the stream */
		uint32_t bad[2] = { TNPU_CMD_HDR(TNPU_OP_FILL, 0, TNPU_CMD_FILL_DW), 0 };

		tn_cmd_reset(&c);
		tn_cmd_nop(&c);
		tn_cmd_raw(&c, bad, sizeof(bad));
		expect_job(fd, &c, NULL, 0, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_CMD, 8,
			   "command past the stream end", NULL);
	}
	{
		uint32_t bad[2] = { TNPU_CMD_HDR(TNPU_OP_COPY, 0, 0xffff), 0 };

		tn_cmd_reset(&c);
		tn_cmd_raw(&c, bad, sizeof(bad));
		expect_job(fd, &c, NULL, 0, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_CMD, 0,
			   "size_dw 0xffff", NULL);
	}
	tn_cmd_free(fd, &c);
}

static void gemm_base(struct tnpu_cmd_gemm *g, const struct tn_bo *b)
{
	memset(g, 0, sizeof(*g));
	g->hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, 0, TNPU_CMD_GEMM_DW);
	g->dtype = TNPU_DTYPE_FP32;
	g->m = g->n = g->k = 4;
	g->lda = g->ldb = g->ldc = 4;
	g->a = b->va;
	g->b = b->va + 4096;
	g->c = b->va + 8192;
	g->bias = b->va + 12288;
}

static void test_invalid_args(void **state)
{
	int fd = CTX(state)->fd;
	struct tnpu_cmd_gemm g;
	struct tn_cmd c;
	struct tn_bo b;
	int i;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 4 * 4096, 0, &b);

	/* control: the base GEMM is valid */
	gemm_base(&g, &b);
	tn_cmd_gemm(&c, &g);
	tn_run_ok(fd, &c, &b.handle, 1, 0);

	for (i = 0; i < 13; i++) {
		const char *what = "";

		gemm_base(&g, &b);
		switch (i) {
		case 0:
			g.m = 0;
			what = "GEMM m 0";
			break;
		case 1:
			g.k = TNPU_GEMM_MAX_DIM + 1;
			g.lda = g.k;
			what = "GEMM k > max";
			break;
		case 2:
			g.dtype = 2;
			what = "GEMM dtype 2";
			break;
		case 3:
			g.lda = 3;
			what = "GEMM lda < k";
			break;
		case 4:
			g.ldc = 3;
			what = "GEMM ldc < n";
			break;
		case 5:
			g.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, TNPU_GEMM_OUT_I32, TNPU_CMD_GEMM_DW);
			what = "GEMM OUT_I32 with fp32";
			break;
		case 6:
			g.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, 0x10, TNPU_CMD_GEMM_DW);
			what = "GEMM unknown flag";
			break;
		case 7:
			g.reserved = 1;
			what = "GEMM reserved";
			break;
		case 8:
			g.dtype = TNPU_DTYPE_INT8;
			g.q_shift = 63;
			g.q_mult = 1;
			what = "GEMM q_shift 63";
			break;
		case 9:
			g.dtype = TNPU_DTYPE_INT8;
			g.q_zero = 128;
			g.q_mult = 1;
			what = "GEMM q_zero 128";
			break;
		case 10:
			g.dtype = TNPU_DTYPE_INT8;
			g.q_zero = -129;
			g.q_mult = 1;
			what = "GEMM q_zero -129";
			break;
		case 11:
			g.n = 0;
			what = "GEMM n 0";
			break;
		case 12:
			g.ldb = 3;
			what = "GEMM ldb < n";
			break;
		}
		tn_cmd_reset(&c);
		tn_cmd_gemm(&c, &g);
		expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_ARG, 0,
			   what, NULL);
	}
	tn_cmd_reset(&c);
	tn_cmd_nop(&c);
	tn_cmd_copy(&c, b.va, b.va + 4096, 0);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_ARG, 8,
		   "COPY size 0", NULL);
	tn_cmd_reset(&c);
	tn_cmd_copy(&c, b.va, b.va + 100, 200);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_ARG, 0,
		   "COPY overlapping", NULL);
	tn_cmd_reset(&c);
	tn_cmd_copy(&c, b.va, b.va + 4096, TNPU_COPY_MAX_SIZE + 1);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_ARG, 0,
		   "COPY size > max", NULL);
	tn_cmd_reset(&c);
	tn_cmd_fill(&c, b.va, 1, 6);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_ARG, 0,
		   "FILL size 6", NULL);
	tn_cmd_reset(&c);
	tn_cmd_fill(&c, b.va, 1, 0);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_INVALID, TNPU_JOB_INVALID_ARG, 0,
		   "FILL size 0", NULL);
	{
		uint32_t nop[2] = { TNPU_CMD_HDR(TNPU_OP_NOP, 0, 2), 1 };

		tn_cmd_reset(&c);
		tn_cmd_raw(&c, nop, sizeof(nop));
		/* either "bad command" or "bad argument" is a fair reading */
		expect_job(fd, &c, NULL, 0, DRM_TNPU_JOB_INVALID, 0, 0, "NOP reserved", NULL);
	}
	/* Nothing of the rejected commands touched the buffer's C area. */
	assert_true(((float *)b.map)[2048] == 0.0f);
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

/* A VA that is not mapped in this file: a closed buffer's. */
/*
 * The VA of a buffer that was never used by a job, closed just now: it is
 * unmapped at once.  Use it before anything else allocates: a later buffer
 * may land in the same hole (best fit), and one closed right after its job
 * stays mapped until the driver frees that job, a moment after WAIT.
 */
/*
 * A closed buffer's VA: unmapped until the file allocates again (best fit
 * hands the hole to the next buffer of that size).  Use it before any other
 * allocation of the file.
 */
static uint64_t unmapped_va(int fd, uint64_t size)
{
	struct tn_bo b;
	uint64_t va;

	tn_bo_new(fd, size, 0, &b);
	va = b.va;
	tn_bo_free(fd, &b);
	return va;
}

/*
 * A VA no buffer of a test file ever gets: the allocator fills the range
 * best fit from the bottom, so its last megabyte is used only when the rest
 * is full.  For checks that allocate after choosing the address (a buffer
 * closed right after its job also stays mapped until the driver's free_job
 * ran, a moment after WAIT returned).
 */
static uint64_t never_mapped_va(const struct tn_ctx *t)
{
	return t->info.va_start + t->info.va_size - (1u << 20);
}

static void test_fault_unmapped(void **state)
{
	struct tn_ctx *t = *state;
	int fd = t->fd;
	struct drm_tnpu_wait w;
	struct tn_cmd c;
	struct tn_bo b;
	uint64_t va;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 8192, 0, &b);
	va = unmapped_va(fd, 65536);

	tn_cmd_fill(&c, va + 8192, 0xdead, 4096);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "FILL to a closed buffer's VA", &w);
	assert_int_equal(w.fault_addr, va + 8192);

	/* expect_job allocated and freed buffers since: the hole may be reused. */
	va = never_mapped_va(t);
	tn_cmd_reset(&c);
	tn_cmd_nop(&c);
	tn_cmd_copy(&c, va, b.va, 4096);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 8,
		   "COPY from an unmapped VA", &w);
	assert_int_equal(w.fault_addr, va);

	tn_cmd_reset(&c);
	tn_cmd_copy(&c, b.va, 1ull << TNPU_VA_BITS, 4096);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "COPY beyond the 39-bit VA space", &w);
	assert_int_equal(w.fault_addr, 1ull << TNPU_VA_BITS);

	tn_cmd_reset(&c);
	tn_cmd_fill(&c, 0xfffffffffffff000ull, 0, 4096);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "FILL at the top of the 64-bit space", &w);
	assert_int_equal(w.fault_addr, 0xfffffffffffff000ull);

	if (t->info.va_start >= TNPU_PAGE_SIZE) {
		tn_cmd_reset(&c);
		tn_cmd_fill(&c, 0, 0, 64);
		expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
			   "FILL at VA 0", &w);
		assert_int_equal(w.fault_addr, 0);
	}

	{
		struct tnpu_cmd_gemm g;

		gemm_base(&g, &b);
		g.a = b.va;
		g.b = va;
		g.c = b.va + 4096;
		tn_cmd_reset(&c);
		tn_cmd_gemm(&c, &g);
		expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
			   "GEMM reading an unmapped B", &w);
		assert_int_equal(w.fault_addr & ~0xfffull, va);
	}
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

/* A FILL that runs off the end of a buffer faults at the first unmapped byte. */
static void test_fault_past_end(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	struct tn_bo b, next;
	struct tn_cmd c;
	uint64_t end;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 8192, 0, &b);
	end = b.va + b.size;
	/* If the next buffer sits right behind b, free it so the end is a hole. */
	tn_bo_new(fd, 4096, 0, &next);
	tn_bo_free(fd, &next);
	assert_false(end >= c.bo.va && end < c.bo.va + c.bo.size);

	tn_cmd_fill(&c, end - 4096, 0x77, 8192);
	expect_job(fd, &c, &b.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "FILL past the end of a buffer", &w);
	assert_int_equal(w.fault_addr, end);
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

/* Commands before the failing one ran; commands after it did not. */
static void test_fault_stops_stream(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	struct tn_bo a, z;
	struct tn_cmd c;
	uint32_t bos[2];
	uint64_t va;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 4096, 0, &a);
	tn_bo_new(fd, 4096, 0, &z);
	va = unmapped_va(fd, 4096);
	bos[0] = a.handle;
	bos[1] = z.handle;
	tn_cmd_fill(&c, a.va, 0x11111111, 4096);
	tn_cmd_fill(&c, va, 0x22222222, 4096);
	tn_cmd_fill(&c, z.va, 0x33333333, 4096);
	expect_job(fd, &c, bos, 2, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT,
		   sizeof(struct tnpu_cmd_fill), "fault in the middle of a stream", &w);
	assert_int_equal(w.fault_addr, va);
	assert_int_equal(((uint32_t *)a.map)[1023], 0x11111111);
	assert_int_equal(((uint32_t *)z.map)[0], 0);
	assert_int_equal(((uint32_t *)z.map)[1023], 0);
	tn_bo_free(fd, &z);
	tn_bo_free(fd, &a);
	tn_cmd_free(fd, &c);
}

static void test_fault_device_ro(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	struct tn_bo ro, rw;
	struct tn_cmd c;
	uint32_t bos[2];
	size_t i;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 8192, DRM_TNPU_BO_DEVICE_RO, &ro);
	tn_bo_new(fd, 8192, 0, &rw);
	bos[0] = ro.handle;
	bos[1] = rw.handle;
	for (i = 0; i < 8192; i++)
		((uint8_t *)ro.map)[i] = (uint8_t)(i * 7 + 1);

	tn_cmd_fill(&c, ro.va, 0, 8192);
	expect_job(fd, &c, bos, 2, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "FILL into a DEVICE_RO buffer", &w);
	assert_int_equal(w.fault_addr, ro.va);

	tn_cmd_reset(&c);
	tn_cmd_copy(&c, rw.va, ro.va + 4096, 4096);
	expect_job(fd, &c, bos, 2, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "COPY into a DEVICE_RO buffer", &w);
	assert_int_equal(w.fault_addr, ro.va + 4096);

	/* The command buffer itself is DEVICE_RO too. */
	tn_cmd_reset(&c);
	tn_cmd_fill(&c, c.bo.va + 4096, 0, 4096);
	expect_job(fd, &c, bos, 2, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "FILL into the command buffer", &w);
	assert_int_equal(w.fault_addr, c.bo.va + 4096);

	for (i = 0; i < 8192; i++)
		if (((uint8_t *)ro.map)[i] != (uint8_t)(i * 7 + 1))
			fail_msg("DEVICE_RO buffer byte %zu changed", i);
	/* Reading it is fine. */
	tn_cmd_reset(&c);
	tn_cmd_copy(&c, ro.va, rw.va, 8192);
	tn_run_ok(fd, &c, bos, 2, 0);
	assert_memory_equal(rw.map, ro.map, 8192);
	tn_bo_free(fd, &rw);
	tn_bo_free(fd, &ro);
	tn_cmd_free(fd, &c);
}

static bool overlaps(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

/*
 * Address spaces are per file: a second file writing to the first file's
 * buffer addresses either faults (nothing mapped there) or writes its own
 * buffer at the same VA; the first file's data never changes.
 */
static void test_isolation(void **state)
{
	int fd = CTX(state)->fd, fd2 = tn_open();
	struct tn_bo pad, target, mine, scratch;
	struct drm_tnpu_wait w;
	struct tn_cmd c, c2;
	uint32_t *p;
	size_t i;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 16u << 20, 0, &pad);
	tn_bo_new(fd, 65536, 0, &target);
	p = target.map;
	for (i = 0; i < target.size / 4; i++)
		p[i] = 0xc0de0000 | (uint32_t)i;

	tn_cmd_new(fd2, &c2);
	tn_bo_new(fd2, 4096, 0, &scratch);
	assert_false(overlaps(c2.bo.va, c2.bo.size, target.va, target.size));
	assert_false(overlaps(scratch.va, scratch.size, target.va, target.size));
	tn_cmd_fill(&c2, target.va, 0xbad, target.size);
	expect_job(fd2, &c2, NULL, 0, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "second file writing the first file's VA", &w);
	assert_int_equal(w.fault_addr, target.va);

	tn_cmd_reset(&c2);
	tn_cmd_copy(&c2, target.va, scratch.va, 4096);
	expect_job(fd2, &c2, &scratch.handle, 1, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "second file reading the first file's VA", &w);
	assert_int_equal(w.fault_addr, target.va);

	/* Now give fd2 buffers that may alias the same VAs and write them. */
	tn_bo_new(fd2, 16u << 20, 0, &mine);
	tn_bo_free(fd2, &mine);
	tn_bo_new(fd2, 32u << 20, 0, &mine);
	tn_cmd_reset(&c2);
	tn_cmd_fill(&c2, mine.va, 0xbad, mine.size);
	tn_run_ok(fd2, &c2, &mine.handle, 1, 1 % CTX(state)->info.num_queues);
	assert_int_equal(((uint32_t *)mine.map)[0], 0xbad);
	if (overlaps(mine.va, mine.size, target.va, target.size))
		printf("# second file's buffer aliases the first file's VA %#llx\n",
		       (unsigned long long)target.va);

	for (i = 0; i < target.size / 4; i++)
		if (p[i] != (0xc0de0000 | (uint32_t)i))
			fail_msg("first file's buffer word %zu changed to %#x", i, p[i]);
	tn_check_file_works(fd);
	tn_bo_free(fd2, &mine);
	tn_bo_free(fd2, &scratch);
	tn_cmd_free(fd2, &c2);
	close(fd2);
	tn_bo_free(fd, &target);
	tn_bo_free(fd, &pad);
	tn_cmd_free(fd, &c);
}

/* An older binary's SUBMIT without the trailing job_id/reserved still works. */
static void test_submit_short_struct(void **state)
{
	int fd = CTX(state)->fd;
	const size_t len = offsetof(struct drm_tnpu_submit, job_id);
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	uint32_t so = tn_syncobj(fd, false);

	nop_cmd(fd, &c);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.out_syncobj = so;
	s.reserved[0] = 1;	/* beyond the short struct: never read */
	assert_int_equal(tn_ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
					   DRM_COMMAND_BASE + DRM_TNPU_SUBMIT, len), &s), 0);
	assert_int_equal(drmSyncobjWait(fd, &so, 1, INT64_MAX, 0, NULL), 0);
	assert_int_equal(tn_syncobj_status(fd, so), 1);
	drmSyncobjDestroy(fd, so);
	tn_cmd_free(fd, &c);
}

/* A fault in one file does not disturb another file's running job. */
static void test_fault_other_file_unaffected(void **state)
{
	struct tn_ctx *t = *state;
	int fd = t->fd, fd2 = tn_open();
	struct drm_tnpu_wait w;
	struct long_job j;
	struct tn_cmd c2;
	uint64_t id;
	float *p;
	size_t i;

	long_job_init(fd, &j, tn_job_timeout_ms() / 10);
	id = tn_start(fd, &j.cmd, j.bos, 2, 0, 0);
	tn_cmd_new(fd2, &c2);
	tn_cmd_fill(&c2, unmapped_va(fd2, 4096), 0, 4096);
	expect_job(fd2, &c2, NULL, 0, DRM_TNPU_JOB_FAULT, TNPU_JOB_MMU_FAULT, 0,
		   "fault while another file's job runs", NULL);
	tn_finish(fd, id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	p = j.c.map;
	for (i = 0; i < (size_t)j.d * j.d; i++)
		if (p[i] != (float)j.d)
			fail_msg("C[%zu] = %g after another file's fault, expected %u", i, p[i],
				 j.d);
	tn_cmd_free(fd2, &c2);
	close(fd2);
	long_job_fini(fd, &j);
}

/*
 * Two faulting jobs that complete back to back on one queue, before the
 * driver handles either completion, each report their own address.  The
 * device's latched fault record keeps only the first fault, so this needs
 * the per-job address the device writes into the ring slot.  A long job in
 * front holds both in the ring so they run one right after the other.
 */
static void test_fault_two_jobs_one_queue(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w1, w2, wl;
	struct tn_cmd c1, c2;
	struct long_job j;
	uint64_t id, id1, id2, va;
	struct tn_bo b;

	long_job_init(fd, &j, tn_job_timeout_ms() / 10);
	tn_cmd_new(fd, &c1);
	tn_cmd_new(fd, &c2);
	tn_bo_new(fd, 4096, 0, &b);
	va = unmapped_va(fd, 65536);
	tn_cmd_fill(&c1, va + 4096, 0x5a5a5a5a, 4096);	/* write fault, offset 0 */
	tn_cmd_nop(&c2);
	tn_cmd_copy(&c2, va + 40960, b.va, 4096);	/* read fault, offset 8 */

	id = tn_start(fd, &j.cmd, j.bos, 2, 0, 0);
	id1 = tn_start(fd, &c1, NULL, 0, 0, 0);
	id2 = tn_start(fd, &c2, &b.handle, 1, 0, 0);
	/* In reverse order: neither result may depend on when it is reaped. */
	tn_finish(fd, id2, &w2);
	tn_finish(fd, id1, &w1);
	tn_finish(fd, id, &wl);
	assert_int_equal(wl.status, DRM_TNPU_JOB_OK);
	assert_int_equal(wl.fault_addr, 0);

	if (w1.status != DRM_TNPU_JOB_FAULT || w1.hw_status != TNPU_JOB_MMU_FAULT ||
	    w1.err_offset != 0 || w1.fault_addr != va + 4096)
		fail_msg("first fault: status %u/%u err_offset %u fault_addr %#llx, expected %#llx",
			 w1.status, w1.hw_status, w1.err_offset,
			 (unsigned long long)w1.fault_addr, (unsigned long long)(va + 4096));
	if (w2.status != DRM_TNPU_JOB_FAULT || w2.hw_status != TNPU_JOB_MMU_FAULT ||
	    w2.err_offset != 8 || w2.fault_addr != va + 40960)
		fail_msg("second fault: status %u/%u err_offset %u fault_addr %#llx, expected %#llx",
			 w2.status, w2.hw_status, w2.err_offset,
			 (unsigned long long)w2.fault_addr, (unsigned long long)(va + 40960));
	tn_check_file_works(fd);
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c2);
	tn_cmd_free(fd, &c1);
	long_job_fini(fd, &j);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tn_setup, tn_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_submit_nop_syncobj),
		T(test_submit_nop_status),
		T(test_wait_unknown),
		T(test_wait_bad_fields),
		T(test_wait_timeout),
		T(test_job_ids),
		T(test_submit_no_bos),
		T(test_submit_all_queues),
		T(test_submit_bad_queue),
		T(test_submit_bad_flags),
		T(test_submit_pad_reserved),
		T(test_submit_short_struct),
		T(test_submit_cmd_offset),
		T(test_submit_cmd_size),
		T(test_submit_cmd_max),
		T(test_submit_cmd_beyond_bo),
		T(test_submit_bo_count),
		T(test_submit_syncobj_count),
		T(test_submit_efault),
		T(test_submit_bad_handles),
		T(test_dependency),
		T(test_invalid_opcode),
		T(test_invalid_cmd_size),
		T(test_invalid_args),
		T(test_fault_unmapped),
		T(test_fault_past_end),
		T(test_fault_stops_stream),
		T(test_fault_device_ro),
		T(test_fault_two_jobs_one_queue),
		T(test_isolation),
		T(test_fault_other_file_unaffected),
	};

	tn_apply_env();
	return cmocka_run_group_tests_name("tnpu-jobs", tests, tn_group_setup, tn_group_teardown);
}
