// SPDX-License-Identifier: MIT
/*
 * tnpu-test-hang: hang recovery.  A GEMM far longer than the driver's
 * job_timeout_ms must end with DRM_TNPU_JOB_TIMEOUT (out fence -ETIMEDOUT),
 * bump GET_INFO.reset_count by exactly one, leave other files' jobs either
 * completed or aborted (never stuck), and the next jobs must succeed.
 * Separate program: each test takes about one job timeout (default 10 s).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tnpu_test.h"

#define CTX(s)	((struct tn_ctx *)*(s))

/*
 * A GEMM that runs for minutes.  A and B share one buffer (B transposed)
 * so 4096x4096x8192 fp32 needs 128 + 64 MiB; the 1 GiB guest cannot hold
 * three 256 MiB buffers.  Falls back to the full 8192 cube only if the
 * device is fast enough that the smaller one might finish.
 */
struct hang_job {
	struct tn_bo ab, c;
	struct tn_cmd cmd;
	uint32_t bos[2];
	double est_ms;
};

static void hang_job_init(int fd, struct hang_job *h)
{
	double ns = tn_gemm_ns_per_mac(fd);
	double limit = tn_job_timeout_ms();
	uint32_t m = 4096, k = 8192;
	struct tnpu_cmd_gemm g;

	h->est_ms = ns * m * m * k / 1e6;
	if (h->est_ms < 5 * limit) {
		m = 8192;
		h->est_ms = ns * m * m * k / 1e6;
	}
	printf("# hang GEMM %ux%ux%u fp32: estimated %.0f s on the device, "
	       "job_timeout_ms %.0f\n", m, m, k, h->est_ms / 1000, limit);
	assert_true(h->est_ms > 2 * limit);
	tn_bo_new(fd, (uint64_t)m * k * 4, 0, &h->ab);
	tn_bo_new(fd, (uint64_t)m * m * 4, 0, &h->c);
	tn_cmd_new(fd, &h->cmd);
	memset(&g, 0, sizeof(g));
	g.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, TNPU_GEMM_TRANS_B, TNPU_CMD_GEMM_DW);
	g.dtype = TNPU_DTYPE_FP32;
	g.m = m;
	g.n = m;
	g.k = k;
	g.lda = k;
	g.ldb = k;
	g.ldc = m;
	g.a = h->ab.va;
	g.b = h->ab.va;
	g.c = h->c.va;
	tn_cmd_gemm(&h->cmd, &g);
	h->bos[0] = h->ab.handle;
	h->bos[1] = h->c.handle;
}

static void hang_job_fini(int fd, struct hang_job *h)
{
	tn_cmd_free(fd, &h->cmd);
	tn_bo_free(fd, &h->c);
	tn_bo_free(fd, &h->ab);
}

static int64_t hang_wait_ns(void)
{
	/* the timeout, the reset, and plenty of TCG slack */
	return (int64_t)tn_job_timeout_ms() * 4000000ll + 120 * SEC_NS;
}

/* The other file's job, queued while the device hung: done or aborted. */
static void check_bystander(int fd, uint64_t id, uint32_t so, const char *what)
{
	struct drm_tnpu_wait w;
	int fence;

	assert_int_equal(tn_wait(fd, id, hang_wait_ns(), &w), 0);
	assert_int_equal(drmSyncobjWait(fd, &so, 1, INT64_MAX, 0, NULL), 0);
	fence = tn_syncobj_status(fd, so);
	printf("# %s: status %u (fence %d)\n", what, w.status, fence);
	if (w.status == DRM_TNPU_JOB_OK)
		assert_int_equal(fence, 1);
	else if (w.status == DRM_TNPU_JOB_ABORTED)
		assert_int_equal(fence, -ECANCELED);
	else
		fail_msg("%s: status %u, expected OK or ABORTED", what, w.status);
}

static void test_hang_recovery(void **state)
{
	struct tn_ctx *t = *state;
	int fd = t->fd, fd2 = tn_open();
	uint32_t so = tn_syncobj(fd, false), so_behind = tn_syncobj(fd, false);
	uint32_t so2 = tn_syncobj(fd2, false);
	uint64_t id, id_behind, id2, t0, el;
	struct drm_tnpu_wait w;
	struct hang_job h;
	struct tn_cmd nop, nop2;
	uint32_t q2 = t->info.num_queues > 1 ? 1 : 0;
	int fence;

	hang_job_init(fd, &h);
	tn_cmd_new(fd, &nop);
	tn_cmd_nop(&nop);
	tn_cmd_new(fd2, &nop2);
	tn_cmd_nop(&nop2);

	t0 = tn_now_ns();
	id = tn_start(fd, &h.cmd, h.bos, 2, 0, so);
	/* Queued behind the hang on the same queue, and from another file. */
	id_behind = tn_start(fd, &nop, NULL, 0, 0, so_behind);
	id2 = tn_start(fd2, &nop2, NULL, 0, q2, so2);

	assert_int_equal(tn_wait(fd, id, 0, &w), -ETIME);
	assert_int_equal(tn_wait(fd, id, hang_wait_ns(), &w), 0);
	el = tn_now_ns() - t0;
	printf("# hung job ended after %.1f s: status %u hw_status %u\n", el / 1e9, w.status,
	       w.hw_status);
	assert_int_equal(w.status, DRM_TNPU_JOB_TIMEOUT);
	assert_int_equal(drmSyncobjWait(fd, &so, 1, INT64_MAX, 0, NULL), 0);
	fence = tn_syncobj_status(fd, so);
	assert_int_equal(fence, -ETIMEDOUT);
	/* It was the timeout that ended it, not anything quicker. */
	assert_true(el >= (uint64_t)tn_job_timeout_ms() * 1000000ull / 2);

	check_bystander(fd, id_behind, so_behind, "job queued behind the hang");
	check_bystander(fd2, id2, so2, "other file's job during the hang");

	assert_int_equal(tn_reset_count(fd), t->reset0 + 1);
	t->resets_expected = 1;

	/* Both files work again, on every queue. */
	tn_check_file_works(fd);
	tn_check_file_works(fd2);
	{
		uint32_t q;

		for (q = 0; q < t->info.num_queues; q++)
			tn_run_ok(fd, &nop, NULL, 0, q);
	}
	/* The hung job's buffers are still usable. */
	tn_cmd_reset(&h.cmd);
	tn_cmd_fill(&h.cmd, h.c.va, 0x12345678, 4096);
	tn_run_ok(fd, &h.cmd, h.bos, 2, 0);
	assert_int_equal(((uint32_t *)h.c.map)[1023], 0x12345678);
	assert_int_equal(tn_reset_count(fd), t->reset0 + 1);

	drmSyncobjDestroy(fd, so);
	drmSyncobjDestroy(fd, so_behind);
	drmSyncobjDestroy(fd2, so2);
	tn_cmd_free(fd2, &nop2);
	tn_cmd_free(fd, &nop);
	hang_job_fini(fd, &h);
	close(fd2);
}

/*
 * A hang whose file is closed before the timeout still recovers; another
 * file's job queued behind it on the same queue ends (OK or ABORTED).
 */
static void test_hang_then_close(void **state)
{
	struct tn_ctx *t = *state;
	int fd = tn_open();
	uint32_t so = tn_syncobj(t->fd, false);
	struct tn_cmd nop;
	struct hang_job h;
	uint64_t t0, id;

	hang_job_init(fd, &h);
	tn_cmd_new(t->fd, &nop);
	tn_cmd_nop(&nop);
	t0 = tn_now_ns();
	tn_start(fd, &h.cmd, h.bos, 2, 0, 0);
	munmap(h.ab.map, h.ab.size);
	munmap(h.c.map, h.c.size);
	munmap(h.cmd.bo.map, h.cmd.bo.size);
	close(fd);

	id = tn_start(t->fd, &nop, NULL, 0, 0, so);
	check_bystander(t->fd, id, so, "other file's job behind a closed file's hang");
	printf("# it ended after %.1f s\n", (tn_now_ns() - t0) / 1e9);
	/* The closed file's job was reset exactly once. */
	while (tn_reset_count(t->fd) == t->reset0 &&
	       tn_now_ns() - t0 < (uint64_t)hang_wait_ns())
		usleep(100000);
	assert_int_equal(tn_reset_count(t->fd), t->reset0 + 1);
	t->resets_expected = 1;
	tn_check_file_works(t->fd);
	tn_run_ok(t->fd, &nop, NULL, 0, 0);
	drmSyncobjDestroy(t->fd, so);
	tn_cmd_free(t->fd, &nop);
}

/*
 * drm_sched restarts a queue's timer whenever it hands the device another
 * job of that queue.  Jobs that keep arriving behind a hang must not
 * postpone its detection: the device completed nothing, so it is reset
 * between 1 and 1.25 job timeouts after the hang began (1.6 allowed).
 */
static void test_hang_jobs_keep_coming(void **state)
{
	struct tn_ctx *t = *state;
	int fd = t->fd;
	uint64_t limit_ns = (uint64_t)tn_job_timeout_ms() * 1000000ull;
	uint64_t id, ids[64], t0, el;
	struct drm_tnpu_wait w;
	struct hang_job h;
	struct tn_cmd nop;
	unsigned int n = 0, i;

	hang_job_init(fd, &h);
	tn_cmd_new(fd, &nop);
	tn_cmd_nop(&nop);
	t0 = tn_now_ns();
	id = tn_start(fd, &h.cmd, h.bos, 2, 0, 0);
	/* A job behind it every tenth of the timeout until the reset. */
	while (tn_wait(fd, id, (int64_t)limit_ns / 10, &w) == -ETIME) {
		if (tn_now_ns() - t0 > 4 * limit_ns)
			fail_msg("no reset %.1f s after the hang (job_timeout_ms %u, %u jobs queued behind)",
				 (tn_now_ns() - t0) / 1e9, tn_job_timeout_ms(), n);
		assert_true(n < ARRAY_LEN(ids));
		ids[n++] = tn_start(fd, &nop, NULL, 0, 0, 0);
	}
	el = tn_now_ns() - t0;
	printf("# hang reset after %.1f s (job_timeout_ms %u) with %u jobs queued behind\n",
	       el / 1e9, tn_job_timeout_ms(), n);
	assert_int_equal(w.status, DRM_TNPU_JOB_TIMEOUT);
	assert_true(el >= limit_ns);
	assert_true(el < limit_ns * 16 / 10);
	assert_true(n >= 5);
	for (i = 0; i < n; i++) {
		assert_int_equal(tn_wait(fd, ids[i], hang_wait_ns(), &w), 0);
		if (w.status != DRM_TNPU_JOB_OK && w.status != DRM_TNPU_JOB_ABORTED)
			fail_msg("job %u behind the hang: status %u", i, w.status);
	}
	assert_int_equal(tn_reset_count(fd), t->reset0 + 1);
	t->resets_expected = 1;
	tn_run_ok(fd, &nop, NULL, 0, 0);
	tn_cmd_free(fd, &nop);
	hang_job_fini(fd, &h);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tn_setup, tn_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hang_recovery),
		T(test_hang_then_close),
		T(test_hang_jobs_keep_coming),
	};

	tn_apply_env();
	return cmocka_run_group_tests_name("tnpu-hang", tests, tn_group_setup, tn_group_teardown);
}
