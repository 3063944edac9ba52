// SPDX-License-Identifier: MIT
/*
 * tnpu-test-stress: many jobs, the pending-status limit, concurrent
 * submitters (one file shared by threads, and a file per thread), submit
 * then close without waiting, every queue/priority, long dependency chains.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tnpu_test.h"

#define CTX(s)	((struct tn_ctx *)*(s))

static void test_many_nops(void **state)
{
	struct tn_ctx *t = *state;
	const int n = 1000;
	struct drm_tnpu_wait w;
	uint64_t *ids = calloc(n, sizeof(*ids));
	struct tn_cmd c;
	int i;

	assert_non_null(ids);
	tn_cmd_new(t->fd, &c);
	tn_cmd_nop(&c);
	for (i = 0; i < n; i++)
		ids[i] = tn_start(t->fd, &c, NULL, 0, i % t->info.num_queues, 0);
	for (i = 0; i < n; i++) {
		tn_finish(t->fd, ids[i], &w);
		if (w.status != DRM_TNPU_JOB_OK)
			fail_msg("NOP %d: status %u", i, w.status);
	}
	free(ids);
	tn_cmd_free(t->fd, &c);
}

/* 1000 NOPs signalling syncobjs, waited for all at once. */
static void test_many_nops_syncobj(void **state)
{
	struct tn_ctx *t = *state;
	uint32_t so[64];
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	int i;

	tn_cmd_new(t->fd, &c);
	tn_cmd_nop(&c);
	for (i = 0; i < 64; i++)
		so[i] = tn_syncobj(t->fd, false);
	for (i = 0; i < 1000; i++) {
		tn_submit_init(&s, &c, NULL, 0, i % t->info.num_queues);
		s.out_syncobj = so[i % 64];
		assert_int_equal(tn_submit(t->fd, &s), 0);
	}
	assert_int_equal(drmSyncobjWait(t->fd, so, 64, tn_now_ns() + TN_WAIT_NS,
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL), 0);
	for (i = 0; i < 64; i++) {
		assert_int_equal(tn_syncobj_status(t->fd, so[i]), 1);
		drmSyncobjDestroy(t->fd, so[i]);
	}
	tn_cmd_free(t->fd, &c);
}

/* DRM_TNPU_MAX_PENDING_STATUS unreaped status jobs, then -ENOSPC. */
static void test_pending_status_limit(void **state)
{
	struct tn_ctx *t = *state;
	const int max = DRM_TNPU_MAX_PENDING_STATUS;
	uint64_t *ids = calloc(max + 1, sizeof(*ids));
	struct drm_tnpu_submit s;
	struct drm_tnpu_wait w;
	uint32_t so;
	struct tn_cmd c;
	int i;

	assert_non_null(ids);
	tn_cmd_new(t->fd, &c);
	tn_cmd_nop(&c);
	for (i = 0; i < max; i++)
		ids[i] = tn_start(t->fd, &c, NULL, 0, i % t->info.num_queues, 0);
	/* All done but unreaped: they still count. */
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	assert_int_equal(tn_submit(t->fd, &s), -ENOSPC);
	/* Jobs without a status are not limited. */
	so = tn_syncobj(t->fd, false);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.out_syncobj = so;
	assert_int_equal(tn_submit(t->fd, &s), 0);
	assert_int_equal(drmSyncobjWait(t->fd, &so, 1, INT64_MAX, 0, NULL), 0);
	/* Another file has its own budget. */
	{
		int fd2 = tn_open();
		struct tn_cmd c2;

		tn_cmd_new(fd2, &c2);
		tn_cmd_nop(&c2);
		tn_run_ok(fd2, &c2, NULL, 0, 0);
		tn_cmd_free(fd2, &c2);
		close(fd2);
	}
	/* Reaping one makes room for one. */
	tn_finish(t->fd, ids[0], &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	ids[0] = tn_start(t->fd, &c, NULL, 0, 0, 0);
	tn_submit_init(&s, &c, NULL, 0, 0);
	s.flags = DRM_TNPU_SUBMIT_STATUS;
	assert_int_equal(tn_submit(t->fd, &s), -ENOSPC);
	for (i = 0; i < max; i++) {
		tn_finish(t->fd, ids[i], &w);
		if (w.status != DRM_TNPU_JOB_OK)
			fail_msg("job %d: status %u", i, w.status);
	}
	drmSyncobjDestroy(t->fd, so);
	free(ids);
	tn_cmd_free(t->fd, &c);
}

struct worker {
	int fd;			/* shared, or -1 to open a file of its own */
	unsigned int id;
	unsigned int queue;
	unsigned int jobs;
	unsigned int in_flight;	/* jobs submitted before the first wait */
	int failed;
	char msg[160];
};

/*
 * Each job FILLs a per-worker, per-job value into the worker's slot; jobs
 * are kept @in_flight deep and each result is checked when it is reaped.
 */
static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	int fd = wk->fd >= 0 ? wk->fd : tn_open();
	struct drm_tnpu_bo_create bc = { .size = 64 * 4096 };
	struct drm_tnpu_submit s;
	struct drm_tnpu_wait w;
	uint64_t ids[64];
	uint32_t cmd_h, *cmd, *out;
	void *map_cmd, *map_out;
	unsigned int i, slots;

	slots = wk->in_flight < 64 ? wk->in_flight : 64;
	/* No cmocka asserts off the main thread: record errors instead. */
	if (tn_bo_create_raw(fd, &bc)) {
		snprintf(wk->msg, sizeof(wk->msg), "worker %u: BO_CREATE", wk->id);
		wk->failed = 1;
		goto out;
	}
	map_out = mmap(NULL, bc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, bc.mmap_offset);
	{
		struct drm_tnpu_bo_create cc = { .size = 64 * 4096,
						  .flags = DRM_TNPU_BO_DEVICE_RO };

		if (tn_bo_create_raw(fd, &cc) || map_out == MAP_FAILED) {
			snprintf(wk->msg, sizeof(wk->msg), "worker %u: setup", wk->id);
			wk->failed = 1;
			goto out;
		}
		cmd_h = cc.handle;
		map_cmd = mmap(NULL, cc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			       cc.mmap_offset);
		if (map_cmd == MAP_FAILED) {
			wk->failed = 1;
			goto out;
		}
	}
	out = map_out;
	for (i = 0; i < wk->jobs + slots; i++) {
		unsigned int slot = i % slots;

		if (i >= slots) {
			unsigned int j = i - slots;

			if (tn_wait(fd, ids[slot], TN_WAIT_NS, &w) || w.status) {
				snprintf(wk->msg, sizeof(wk->msg),
					 "worker %u job %u: wait/status %u", wk->id, j, w.status);
				wk->failed = 1;
				break;
			}
			if (out[slot * 1024 + 1023] != (wk->id << 20 | j)) {
				snprintf(wk->msg, sizeof(wk->msg),
					 "worker %u job %u: slot holds %#x", wk->id, j,
					 out[slot * 1024 + 1023]);
				wk->failed = 1;
				break;
			}
		}
		if (i >= wk->jobs)
			continue;
		/* each slot has its own 4 KiB command page and output page */
		cmd = (uint32_t *)((char *)map_cmd + slot * 4096);
		{
			struct tnpu_cmd_fill f = {
				.hdr = TNPU_CMD_HDR(TNPU_OP_FILL, 0, TNPU_CMD_FILL_DW),
				.value = wk->id << 20 | i,
				.dst = bc.device_addr + slot * 4096,
				.size = 4096,
			};

			memcpy(cmd, &f, sizeof(f));
		}
		memset(&s, 0, sizeof(s));
		s.bo_handles = (uintptr_t)&bc.handle;
		s.bo_count = 1;
		s.cmd_handle = cmd_h;
		s.cmd_offset = slot * 4096;
		s.cmd_size = sizeof(struct tnpu_cmd_fill);
		s.queue = wk->queue;
		s.flags = DRM_TNPU_SUBMIT_STATUS;
		if (tn_submit(fd, &s)) {
			snprintf(wk->msg, sizeof(wk->msg), "worker %u job %u: submit %s", wk->id,
				 i, strerror(errno));
			wk->failed = 1;
			break;
		}
		ids[slot] = s.job_id;
	}
	munmap(map_cmd, 64 * 4096);
	munmap(map_out, 64 * 4096);
	tn_gem_close(fd, cmd_h);
	tn_gem_close(fd, bc.handle);
out:
	if (wk->fd < 0)
		close(fd);
	return NULL;
}

static void run_workers(struct tn_ctx *t, bool shared, unsigned int n, unsigned int jobs,
			unsigned int in_flight)
{
	struct worker wk[8];
	pthread_t th[8];
	unsigned int i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		memset(&wk[i], 0, sizeof(wk[i]));
		wk[i].fd = shared ? t->fd : -1;
		wk[i].id = i;
		wk[i].queue = i % t->info.num_queues;
		wk[i].jobs = jobs;
		wk[i].in_flight = in_flight;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &wk[i]), 0);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++)
		if (wk[i].failed)
			fail_msg("%s", wk[i].msg);
}

static void test_threads_shared_file(void **state)
{
	run_workers(*state, true, 4, 250, 1);
}

static void test_threads_shared_file_pipelined(void **state)
{
	run_workers(*state, true, 6, 200, 16);
}

static void test_threads_own_files(void **state)
{
	run_workers(*state, false, 4, 250, 8);
}

/* Submit work, then close the file without waiting: no leak, no hang, no reset. */
static void test_submit_then_close(void **state)
{
	struct tn_ctx *t = *state;
	int round;

	for (round = 0; round < 8; round++) {
		int fd = tn_open();
		uint32_t d = tn_gemm_dim_for(fd, 20000000ull, 32, 512), bos[2], so;
		struct tn_bo ab, c;
		struct tn_cmd cmd, nop;
		int i;

		tn_cmd_new(fd, &nop);
		tn_cmd_nop(&nop);
		tn_cmd_new(fd, &cmd);
		tn_bo_new(fd, (uint64_t)d * d * 4, 0, &ab);
		tn_bo_new(fd, (uint64_t)d * d * 4, 0, &c);
		tn_cmd_square_gemm(&cmd, &ab, &c, d);
		bos[0] = ab.handle;
		bos[1] = c.handle;
		so = tn_syncobj(fd, false);
		for (i = 0; i < 20; i++) {
			tn_start(fd, &nop, NULL, 0, i % t->info.num_queues, so);
			if (i % 5 == 0)
				tn_start(fd, &cmd, bos, 2, (i + 1) % t->info.num_queues, 0);
		}
		/* Odd rounds also drop the CPU mappings and handles first. */
		if (round & 1) {
			tn_bo_free(fd, &ab);
			tn_bo_free(fd, &c);
			tn_cmd_free(fd, &cmd);
		}
		close(fd);
		if (!(round & 1)) {
			munmap(ab.map, ab.size);
			munmap(c.map, c.size);
			munmap(cmd.bo.map, cmd.bo.size);
		}
		munmap(nop.bo.map, nop.bo.size);
	}
	/* The device still works for everyone. */
	tn_check_file_works(t->fd);
}

/* Jobs on every queue (whatever its priority) all complete. */
static void test_all_priorities(void **state)
{
	struct tn_ctx *t = *state;
	uint32_t nq = t->info.num_queues, q;
	uint64_t ids[TNPU_NUM_QUEUES][50];
	struct drm_tnpu_wait w;
	struct tn_bo b;
	struct tn_cmd c[TNPU_NUM_QUEUES];
	int i;

	tn_bo_new(t->fd, nq * 4096, 0, &b);
	for (q = 0; q < nq; q++) {
		tn_cmd_new(t->fd, &c[q]);
		tn_cmd_fill(&c[q], b.va + q * 4096, 0xf00 + q, 4096);
	}
	for (i = 0; i < 50; i++)
		for (q = 0; q < nq; q++)
			ids[q][i] = tn_start(t->fd, &c[q], &b.handle, 1, q, 0);
	for (q = 0; q < nq; q++)
		for (i = 0; i < 50; i++) {
			tn_finish(t->fd, ids[q][i], &w);
			if (w.status != DRM_TNPU_JOB_OK)
				fail_msg("queue %u (priority %u) job %d: status %u", q,
					 t->info.queue_priority[q], i, w.status);
		}
	for (q = 0; q < nq; q++) {
		assert_int_equal(((uint32_t *)b.map)[q * 1024 + 1023], 0xf00 + q);
		tn_cmd_free(t->fd, &c[q]);
	}
	tn_bo_free(t->fd, &b);
}

/*
 * A chain of 64 COPY jobs hopping between queues, each waiting on the previous
 * job's out syncobj: buf[i+1] = buf[i].  Only ordering makes the data arrive.
 */
static void test_dependency_chain(void **state)
{
	struct tn_ctx *t = *state;
	const int n = 64;
	uint32_t so[65], bos[1];
	struct drm_tnpu_submit s;
	struct tn_cmd c;
	struct tn_bo b;
	uint32_t *p;
	int i;

	tn_bo_new(t->fd, (uint64_t)(n + 1) * 4096, 0, &b);
	tn_cmd_new(t->fd, &c);
	p = b.map;
	for (i = 0; i < 1024; i++)
		p[i] = 0xcafe0000u | i;
	for (i = 0; i < n; i++)
		tn_cmd_copy(&c, b.va + (uint64_t)i * 4096, b.va + (uint64_t)(i + 1) * 4096,
			    4096);
	bos[0] = b.handle;
	so[0] = tn_syncobj(t->fd, true);
	for (i = 0; i < n; i++) {
		so[i + 1] = tn_syncobj(t->fd, false);
		memset(&s, 0, sizeof(s));
		s.bo_handles = (uintptr_t)bos;
		s.bo_count = 1;
		s.cmd_handle = c.bo.handle;
		s.cmd_offset = (uint64_t)i * sizeof(struct tnpu_cmd_copy);
		s.cmd_size = sizeof(struct tnpu_cmd_copy);
		/* later hops on queues the device would otherwise pick first */
		s.queue = (n - i) % t->info.num_queues;
		s.in_syncobjs = (uintptr_t)&so[i];
		s.in_syncobj_count = 1;
		s.out_syncobj = so[i + 1];
		assert_int_equal(tn_submit(t->fd, &s), 0);
	}
	assert_int_equal(drmSyncobjWait(t->fd, &so[n], 1, tn_now_ns() + TN_WAIT_NS, 0, NULL),
			 0);
	for (i = 0; i < 1024; i++)
		if (p[n * 1024 + i] != (0xcafe0000u | i))
			fail_msg("end of chain word %d = %#x", i, p[n * 1024 + i]);
	for (i = 0; i <= n; i++)
		drmSyncobjDestroy(t->fd, so[i]);
	tn_cmd_free(t->fd, &c);
	tn_bo_free(t->fd, &b);
}

struct waiter {
	int fd;
	uint64_t id;
	int ret;
	uint32_t status;
};

static void *waiter_main(void *arg)
{
	struct waiter *wt = arg;
	struct drm_tnpu_wait w;

	wt->ret = tn_wait(wt->fd, wt->id, TN_WAIT_NS, &w);
	wt->status = w.status;
	return NULL;
}

/* Two threads WAIT for the same job: exactly one reaps it, the other gets -ENOENT. */
static void test_concurrent_wait(void **state)
{
	struct tn_ctx *t = *state;
	uint32_t d = tn_gemm_dim_for(t->fd, 300000000ull, 64, 1024), bos[2];
	struct waiter wt[4];
	pthread_t th[4];
	struct tn_bo ab, c;
	struct tn_cmd cmd;
	int i, reaped = 0, round;

	tn_cmd_new(t->fd, &cmd);
	tn_bo_new(t->fd, (uint64_t)d * d * 4, 0, &ab);
	tn_bo_new(t->fd, (uint64_t)d * d * 4, 0, &c);
	tn_cmd_square_gemm(&cmd, &ab, &c, d);
	bos[0] = ab.handle;
	bos[1] = c.handle;
	for (round = 0; round < 3; round++) {
		uint64_t id = tn_start(t->fd, &cmd, bos, 2, 0, 0);

		reaped = 0;
		for (i = 0; i < 4; i++) {
			wt[i].fd = t->fd;
			wt[i].id = id;
			assert_int_equal(pthread_create(&th[i], NULL, waiter_main, &wt[i]), 0);
		}
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < 4; i++) {
			if (wt[i].ret == 0) {
				reaped++;
				assert_int_equal(wt[i].status, DRM_TNPU_JOB_OK);
			} else {
				assert_int_equal(wt[i].ret, -ENOENT);
			}
		}
		assert_int_equal(reaped, 1);
	}
	tn_bo_free(t->fd, &c);
	tn_bo_free(t->fd, &ab);
	tn_cmd_free(t->fd, &cmd);
}

/* Open and close many files, with buffers: contexts are recycled. */
static void test_many_files(void **state)
{
	int i, fds[32];

	(void)state;
	for (i = 0; i < 200; i++) {
		int fd = tn_open();
		struct tn_bo b;

		tn_bo_new(fd, 4096, 0, &b);
		tn_bo_free(fd, &b);
		close(fd);
	}
	/* Many open at once, each running a job on its own MMU context. */
	for (i = 0; i < 32; i++)
		fds[i] = tn_open();
	for (i = 0; i < 32; i++)
		tn_check_file_works(fds[i]);
	for (i = 0; i < 32; i++)
		close(fds[i]);
}

/*
 * A job may touch buffers it did not list.  Freeing such a buffer while the
 * job runs must neither pull the pages from under the device (the job would
 * fault, or write to pages the kernel already reused) nor leave them mapped
 * afterwards: the driver keeps them until the file's jobs have ended.
 */
static void test_free_unlisted_bo_during_job(void **state)
{
	int fd = CTX(state)->fd;
	struct drm_tnpu_wait w;
	struct tn_bo ab, c;
	struct tn_cmd cmd, fill;
	uint64_t id, c_va;
	uint32_t d, status = 0;
	float *a;
	size_t i;
	int tries;

	/* A GEMM long enough that both closes land while it runs. */
	d = tn_gemm_dim_for(fd, tn_job_timeout_ms() / 8 * 1000000ull, 64, 2048);
	tn_bo_new(fd, (uint64_t)d * d * 4, 0, &ab);
	tn_bo_new(fd, (uint64_t)d * d * 4, 0, &c);
	a = ab.map;
	for (i = 0; i < (size_t)d * d; i++)
		a[i] = 1.0f;
	tn_cmd_new(fd, &cmd);
	tn_cmd_square_gemm(&cmd, &ab, &c, d);
	c_va = c.va;

	id = tn_start(fd, &cmd, NULL, 0, 0, 0);	/* ab and c not listed */
	tn_bo_free(fd, &c);
	tn_bo_free(fd, &ab);
	tn_finish(fd, id, &w);
	assert_int_equal(w.status, DRM_TNPU_JOB_OK);
	assert_int_equal(w.fault_addr, 0);

	/*
	 * Once the job has ended the pages go.  The job is freed just after
	 * its fence signals, and a job started before that keeps the buffer a
	 * little longer, so poll until the address faults.
	 */
	tn_cmd_new(fd, &fill);
	tn_cmd_fill(&fill, c_va, 0x5a5a5a5a, 4096);
	for (tries = 0; tries < 100; tries++) {
		status = tn_run(fd, &fill, NULL, 0, 0, &w);
		if (status != DRM_TNPU_JOB_OK)
			break;
		usleep(20000);
	}
	assert_int_equal(status, DRM_TNPU_JOB_FAULT);
	assert_true(w.fault_addr == c_va);
	tn_check_file_works(fd);
	tn_cmd_free(fd, &fill);
	tn_cmd_free(fd, &cmd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tn_setup, tn_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_many_nops),
		T(test_many_nops_syncobj),
		T(test_pending_status_limit),
		T(test_threads_shared_file),
		T(test_threads_shared_file_pipelined),
		T(test_threads_own_files),
		T(test_submit_then_close),
		T(test_all_priorities),
		T(test_dependency_chain),
		T(test_concurrent_wait),
		T(test_many_files),
		T(test_free_unlisted_bo_during_job),
	};

	tn_apply_env();
	return cmocka_run_group_tests_name("tnpu-stress", tests, tn_group_setup, tn_group_teardown);
}
