// SPDX-License-Identifier: MIT
/*
 * test_device.c - discovery, buffers, submission and model sessions through
 * the OS seam, against the fake kernel in fake_dev.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_dev.h"

#define SHIPPED_MODEL	TNPU_MODEL_DIR "/digits-mlp.tnm"
#define SHIPPED_DATA	TNPU_MODEL_DIR "/digits-test.tnd"

static void assert_error_mentions(const char *part)
{
	if (!strstr(tnpu_last_error(), part))
		fail_msg("error \"%s\" does not mention \"%s\"", tnpu_last_error(), part);
}

/* ---- discovery ---- */

static void test_no_device(void **state)
{
	struct tnpu_device *dev = (struct tnpu_device *)&dev;
	struct tnpu_node_list list;

	(void)state;
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), -ENODEV);
	assert_null(dev);
	assert_error_mentions("no accel device nodes");
	assert_int_equal(tnpu_list_nodes(&list), -ENODEV);
	assert_int_equal(list.count, 0);
	fake.list_err = -EACCES;
	assert_int_equal(tnpu_device_open(0, &dev), -EACCES);
	assert_error_mentions("cannot scan");
	assert_int_equal(fake.open_fds, 0);
}

static void test_wrong_driver_skipped(void **state)
{
	struct tnpu_device *dev;

	(void)state;
	fake_add_node("/dev/accel/accel0", "ivpu", 1);
	fake_add_node("/dev/accel/accel1", NULL, 0);	/* not DRM at all */
	fake_add_node("/dev/accel/accel2", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), 0);
	assert_string_equal(tnpu_device_path(dev), "/dev/accel/accel2");
	assert_string_equal(tnpu_device_info(dev)->driver_name, "tnpu");
	assert_int_equal(tnpu_device_info(dev)->driver_minor, 2);
	assert_int_equal(fake.open_fds, 1);	/* the skipped nodes were closed */
	tnpu_device_close(dev);
	assert_int_equal(fake.open_fds, 0);

	/* index counts tnpu devices only */
	assert_int_equal(tnpu_device_open(0, &dev), 0);
	assert_string_equal(tnpu_device_path(dev), "/dev/accel/accel2");
	tnpu_device_close(dev);
	assert_int_equal(tnpu_device_open(1, &dev), -ENODEV);
	assert_error_mentions("out of range");
	assert_int_equal(tnpu_device_open(-2, &dev), -EINVAL);

	/* explicit path to another driver's node: a clear refusal */
	assert_int_equal(tnpu_device_open_path("/dev/accel/accel0", &dev), -ENODEV);
	assert_null(dev);
	assert_error_mentions("\"ivpu\"");
	assert_int_equal(tnpu_device_open_path("/dev/accel/accel1", &dev), -ENODEV);
	assert_error_mentions("not a DRM device");
	assert_int_equal(fake.open_fds, 0);
}

static void test_only_other_drivers(void **state)
{
	struct tnpu_device *dev;

	(void)state;
	fake_add_node("/dev/accel/accel0", "ivpu", 1);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), -ENODEV);
	assert_error_mentions("no tnpu device");
	assert_int_equal(fake.open_fds, 0);
}

static void test_wrong_abi_rejected(void **state)
{
	struct tnpu_device *dev;

	(void)state;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR + 1);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), -EPROTO);
	assert_null(dev);
	assert_error_mentions("ABI 2.0");
	assert_error_mentions("/dev/accel/accel0");
	assert_int_equal(tnpu_device_open_path("/dev/accel/accel0", &dev), -EPROTO);
	assert_int_equal(fake.open_fds, 0);

	/* a compatible device after it is still found */
	fake_add_node("/dev/accel/accel1", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), 0);
	assert_string_equal(tnpu_device_path(dev), "/dev/accel/accel1");
	tnpu_device_close(dev);
}

static void test_open_errors(void **state)
{
	struct tnpu_device *dev;

	(void)state;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	fake.nodes[0].open_err = -EACCES;
	assert_int_equal(tnpu_device_open_path("/dev/accel/accel0", &dev), -EACCES);
	assert_error_mentions("permissions");
	/* the scan reports why it found nothing, not just "no device" */
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), -EACCES);
	assert_error_mentions("no usable tnpu device");
	assert_error_mentions("permissions");
	assert_int_equal(tnpu_device_open_path("", &dev), -EINVAL);
	assert_int_equal(tnpu_device_open_path("/dev/accel/accel9", &dev), -ENOENT);
}

static void test_env_override(void **state)
{
	struct tnpu_device *dev;

	(void)state;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	fake_add_node("/dev/accel/accel1", "tnpu", DRM_TNPU_ABI_MAJOR);
	fake_add_node("/dev/accel/accel2", "other", 1);
	setenv(TNPU_DEVICE_ENV, "/dev/accel/accel1", 1);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), 0);
	assert_string_equal(tnpu_device_path(dev), "/dev/accel/accel1");
	tnpu_device_close(dev);
	/* an explicit index ignores the variable */
	assert_int_equal(tnpu_device_open(0, &dev), 0);
	assert_string_equal(tnpu_device_path(dev), "/dev/accel/accel0");
	tnpu_device_close(dev);
	/* the variable naming a bad node is an error, not a silent fallback */
	setenv(TNPU_DEVICE_ENV, "/dev/accel/accel2", 1);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), -ENODEV);
	assert_error_mentions("\"other\"");
	unsetenv(TNPU_DEVICE_ENV);
	assert_int_equal(fake.open_fds, 0);
}

static void test_info(void **state)
{
	struct tnpu_device *dev;
	const struct tnpu_info *in;
	struct tnpu_info q;

	(void)state;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), 0);
	in = tnpu_device_info(dev);
	assert_int_equal(in->abi_major, DRM_TNPU_ABI_MAJOR);
	assert_int_equal(in->num_queues, 4);
	assert_int_equal(in->va_start, FAKE_VA_START);
	assert_int_equal(in->max_cmd_size, TNPU_CMD_MAX_SIZE);
	/* the fake sends an unterminated build tag: it must be cut, not overrun */
	assert_int_equal(strlen(in->fw_build), sizeof(in->fw_build) - 1);
	assert_int_equal(tnpu_device_query(dev, &q), 0);
	assert_int_equal(q.caps, in->caps);
	assert_string_equal(tnpu_cap_name(TNPU_CAP_GEMM_FP32), "gemm-fp32");
	assert_null(tnpu_cap_name(1u << 31));
	assert_string_equal(tnpu_fw_feature_name(TNPU_FW_FEAT_PRIORITY), "priority");
	tnpu_device_close(dev);
}

/* ---- buffers and jobs ---- */

static struct tnpu_device *open_fake(void)
{
	struct tnpu_device *dev;

	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), 0);
	return dev;
}

static void test_bo_alloc_free(void **state)
{
	struct tnpu_device *dev = open_fake();
	struct tnpu_bo *bo = (struct tnpu_bo *)&bo;

	(void)state;
	assert_int_equal(tnpu_bo_alloc(dev, 0, 0, &bo), -EINVAL);
	assert_null(bo);
	assert_int_equal(tnpu_bo_alloc(dev, DRM_TNPU_MAX_BO_SIZE + 1, 0, &bo), -EINVAL);
	assert_int_equal(tnpu_bo_alloc(dev, 4096, 0x2, &bo), -EINVAL);
	assert_int_equal(fake_live_bos(), 0);
	assert_int_equal(tnpu_bo_alloc(dev, 100, TNPU_BO_DEVICE_RO, &bo), 0);
	assert_int_equal(bo->size, 4096);
	assert_int_equal(bo->flags, TNPU_BO_DEVICE_RO);
	assert_true(bo->addr >= FAKE_VA_START);
	assert_non_null(bo->map);
	assert_int_equal(fake.bos[bo->handle - 1].mapped, 1);
	assert_int_equal(fake_live_bos(), 1);
	tnpu_bo_free(bo);
	assert_int_equal(fake_live_bos(), 0);
	tnpu_bo_free(NULL);
	tnpu_device_close(dev);
}

static void test_submit_validation(void **state)
{
	struct tnpu_device *dev = open_fake();
	struct tnpu_bo *cmd;
	struct tnpu_submit s;
	uint64_t id;

	(void)state;
	assert_int_equal(tnpu_bo_alloc(dev, 4096, TNPU_BO_DEVICE_RO, &cmd), 0);
	memset(&s, 0, sizeof(s));
	s.cmd = cmd;
	s.cmd_size = 8;
	s.flags = TNPU_SUBMIT_STATUS;
	s.queue = 4;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	assert_error_mentions("queue 4");
	s.queue = 3;
	s.cmd_size = 12;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.cmd_size = 0;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.cmd_size = 8;
	s.cmd_offset = 4;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.cmd_offset = 4096;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.cmd_offset = 0;
	s.bo_count = DRM_TNPU_MAX_BOS_PER_JOB + 1;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.bo_count = 1;		/* no array */
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.bo_count = 0;
	s.in_syncobj_count = 1;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.in_syncobj_count = 0;
	s.flags = 0x80;
	assert_int_equal(tnpu_submit(dev, &s, &id), -EINVAL);
	s.flags = TNPU_SUBMIT_STATUS;
	assert_int_equal(tnpu_submit(dev, &s, NULL), -EINVAL);
	assert_int_equal(fake.submits, 0);	/* nothing reached the kernel */

	/* a kernel error is passed through with its errno */
	fake.force_ioctl_err = -ENOSPC;
	assert_int_equal(tnpu_submit(dev, &s, &id), -ENOSPC);
	assert_error_mentions("SUBMIT");
	assert_int_equal(fake.submits, 1);
	assert_int_equal(fake.last_submit.queue, 3);
	assert_int_equal(fake.last_submit.cmd_handle, cmd->handle);
	assert_int_equal(fake.last_submit.flags, DRM_TNPU_SUBMIT_STATUS);

	/* syncobjs are passed through untouched */
	{
		const uint32_t in[2] = { 5, 6 };

		s.in_syncobjs = in;
		s.in_syncobj_count = 2;
		s.out_syncobj = 9;
		fake.force_ioctl_err = -ENOENT;
		assert_int_equal(tnpu_submit(dev, &s, &id), -ENOENT);
		assert_int_equal(fake.last_submit.in_syncobj_count, 2);
		assert_int_equal(((const uint32_t *)(uintptr_t)fake.last_submit.in_syncobjs)[1], 6);
		assert_int_equal(fake.last_submit.out_syncobj, 9);
		s.in_syncobjs = NULL;
		s.in_syncobj_count = 0;
		s.out_syncobj = 0;
	}

	/* a valid NOP job completes */
	((uint32_t *)cmd->map)[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, 2);
	assert_int_equal(tnpu_submit(dev, &s, &id), 0);
	{
		struct tnpu_job_result r;

		assert_int_equal(tnpu_wait(dev, id, 1000000, &r), 0);
		assert_int_equal(r.status, TNPU_STATUS_OK);
		assert_int_equal(r.hw_status, TNPU_JOB_OK);
		/* reaped: a second wait is an error */
		assert_int_equal(tnpu_wait(dev, id, 0, &r), -ENOENT);
		assert_int_equal(tnpu_wait(dev, id, -1, &r), -EINVAL);
	}
	tnpu_bo_free(cmd);
	tnpu_device_close(dev);
}

static void test_run_fill_copy(void **state)
{
	struct tnpu_device *dev = open_fake();
	struct tnpu_bo *a, *b;
	struct tnpu_cmdbuf *cb;
	struct tnpu_job_result r;
	const uint32_t *out;

	(void)state;
	assert_int_equal(tnpu_bo_alloc(dev, 4096, 0, &a), 0);
	assert_int_equal(tnpu_bo_alloc(dev, 4096, 0, &b), 0);
	assert_int_equal(tnpu_cmdbuf_create(&cb), 0);
	assert_int_equal(tnpu_cmd_fill(cb, a->addr, 0x12345678, 256), 0);
	assert_int_equal(tnpu_cmd_nop(cb), 24);
	assert_int_equal(tnpu_cmd_copy(cb, b->addr + 16, a->addr, 128), 32);
	{
		struct tnpu_bo *bos[] = { a, b };

		assert_int_equal(tnpu_run(dev, cb, bos, 2, 1, 1000000000, &r), 0);
	}
	assert_int_equal(r.status, TNPU_STATUS_OK);
	assert_int_equal(fake.last_submit.bo_count, 2);
	assert_int_equal(fake.last_bo_handles[0], a->handle);
	assert_int_equal(fake.last_bo_handles[1], b->handle);
	assert_int_equal(fake.last_submit.cmd_size, 64);
	out = b->map;
	assert_int_equal(out[3], 0);		/* before the copy target */
	assert_int_equal(out[4], 0x12345678);
	assert_int_equal(out[4 + 31], 0x12345678);
	assert_int_equal(out[4 + 32], 0);	/* after it */
	assert_int_equal(fake_live_bos(), 2);	/* the stream buffer was released */
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(a);
	tnpu_bo_free(b);
	tnpu_device_close(dev);
}

static void test_run_reports_fault(void **state)
{
	struct tnpu_device *dev = open_fake();
	struct tnpu_bo *src, *ro;
	struct tnpu_cmdbuf *cb;
	struct tnpu_job_result r;

	(void)state;
	assert_int_equal(tnpu_bo_alloc(dev, 4096, 0, &src), 0);
	assert_int_equal(tnpu_bo_alloc(dev, 4096, TNPU_BO_DEVICE_RO, &ro), 0);
	assert_int_equal(tnpu_cmdbuf_create(&cb), 0);
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	assert_int_equal(tnpu_cmd_copy(cb, ro->addr, src->addr, 64), 8);	/* RO target */
	{
		struct tnpu_bo *bos[] = { src, ro };

		assert_int_equal(tnpu_run(dev, cb, bos, 2, 0, 1000000000, &r), -EIO);
	}
	assert_int_equal(r.status, TNPU_STATUS_FAULT);
	assert_int_equal(r.hw_status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(r.err_offset, 8);
	assert_error_mentions("fault");
	assert_error_mentions("offset 8");
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(src);
	tnpu_bo_free(ro);
	assert_int_equal(fake_live_bos(), 0);
	tnpu_device_close(dev);
}

static void test_status_strings(void **state)
{
	const char *seen[5];

	(void)state;
	for (uint32_t s = 0; s < 5; s++) {
		seen[s] = tnpu_status_str(s);
		assert_non_null(seen[s]);
		assert_null(strstr(seen[s], "unknown"));
		for (uint32_t t = 0; t < s; t++)
			assert_string_not_equal(seen[s], seen[t]);
	}
	assert_non_null(strstr(tnpu_status_str(99), "unknown"));
	for (uint32_t s = 0; s < TNPU_JOB_STATUS_MAX; s++)
		assert_null(strstr(tnpu_hw_status_str(s), "unknown"));
	assert_non_null(strstr(tnpu_hw_status_str(TNPU_JOB_STATUS_MAX), "unknown"));
}

static void test_syncobj(void **state)
{
	struct tnpu_device *dev = open_fake();
	uint32_t h[2];

	(void)state;
	assert_int_equal(tnpu_syncobj_create(dev, &h[0]), 0);
	assert_int_equal(tnpu_syncobj_create(dev, &h[1]), 0);
	assert_int_not_equal(h[0], h[1]);
	assert_int_equal(tnpu_syncobj_wait(dev, h, 2, 1000), 0);
	assert_int_equal(tnpu_syncobj_wait(dev, h, 0, 1000), -EINVAL);
	assert_int_equal(tnpu_syncobj_wait(dev, h, 2, -1), -EINVAL);
	h[1] = 77;
	assert_int_equal(tnpu_syncobj_wait(dev, h, 2, 1000), -ENOENT);
	tnpu_syncobj_destroy(dev, h[0]);
	tnpu_device_close(dev);
}

/* ---- model sessions ---- */

static void test_session_matches_cpu(void **state)
{
	struct tnpu_device *dev = open_fake();
	struct tnpu_mlp_session *s;
	struct tnpu_dataset *d;
	struct tnpu_mlp *m;
	struct tnpu_job_result r;
	const uint32_t batch = 64;
	float *npu, *cpu;
	uint32_t n, jobs = 0;

	(void)state;
	assert_int_equal(tnpu_mlp_load(SHIPPED_MODEL, &m), 0);
	assert_int_equal(tnpu_dataset_load(SHIPPED_DATA, &d), 0);
	n = d->num_samples;
	npu = calloc((size_t)n * 10, sizeof(float));
	cpu = calloc((size_t)n * 10, sizeof(float));
	assert_int_equal(tnpu_mlp_session_create(dev, m, batch, 4, &s), -EINVAL);	/* queue */
	assert_int_equal(tnpu_mlp_session_create(dev, m, 0, 0, &s), -EINVAL);
	assert_int_equal(tnpu_mlp_session_create(dev, m, batch, 2, &s), 0);
	assert_int_equal(fake_live_bos(), 2);	/* weights + activations */
	for (uint32_t first = 0; first < n; first += batch) {
		uint32_t rows = n - first < batch ? n - first : batch;

		assert_int_equal(tnpu_mlp_session_run(s, d->features + (size_t)first * 64, rows,
						      npu + (size_t)first * 10, &r), 0);
		assert_int_equal(r.status, TNPU_STATUS_OK);
		/* ONE job: two 80-byte GEMMs, weights + activations listed */
		assert_int_equal(fake.last_submit.cmd_size, 2 * 80);
		assert_int_equal(fake.last_submit.bo_count, 2);
		assert_int_equal(fake.last_submit.queue, 2);
		jobs++;
	}
	assert_int_equal(fake.submits, jobs);
	assert_int_equal(jobs, (n + batch - 1) / batch);
	assert_int_equal(tnpu_mlp_forward_cpu(m, d->features, n, cpu), 0);
	/* Same arithmetic, same order: bit-identical logits. */
	assert_memory_equal(npu, cpu, (size_t)n * 10 * sizeof(float));
	assert_int_equal(tnpu_mlp_session_run(s, d->features, batch + 1, npu, &r), -EINVAL);
	assert_int_equal(tnpu_mlp_session_run(s, d->features, 0, npu, &r), -EINVAL);
	tnpu_mlp_session_destroy(s);
	assert_int_equal(fake_live_bos(), 0);
	free(npu);
	free(cpu);
	tnpu_dataset_free(d);
	tnpu_mlp_free(m);
	tnpu_device_close(dev);
}

static void test_session_stream_encoding(void **state)
{
	struct tnpu_device *dev = open_fake();
	struct tnpu_mlp_session *s;
	struct tnpu_mlp *m;
	struct tnpu_cmd_gemm g[2];
	float x[64 * 3] = { 0 }, y[30];

	(void)state;
	assert_int_equal(tnpu_mlp_load(SHIPPED_MODEL, &m), 0);
	assert_int_equal(tnpu_mlp_session_create(dev, m, 8, 0, &s), 0);
	assert_int_equal(tnpu_mlp_session_run(s, x, 3, y, NULL), 0);
	memcpy(g, fake.bos[fake.last_submit.cmd_handle - 1].mem, sizeof(g));
	assert_true(fake.bos[fake.last_submit.cmd_handle - 1].flags & DRM_TNPU_BO_DEVICE_RO);
	assert_int_equal(TNPU_CMD_FLAGS(g[0].hdr),
			 TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS | TNPU_GEMM_RELU);
	assert_int_equal(TNPU_CMD_FLAGS(g[1].hdr), TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS);
	assert_int_equal(g[0].m, 3);
	assert_int_equal(g[0].n, 32);
	assert_int_equal(g[0].k, 64);
	assert_int_equal(g[0].ldb, 64);
	assert_int_equal(g[1].m, 3);
	assert_int_equal(g[1].n, 10);
	assert_int_equal(g[1].k, 32);
	assert_int_equal(g[1].a, g[0].c);	/* layer 2 reads layer 1's output */
	/* weights are in a device-read-only buffer */
	for (int i = 0; i < FAKE_MAX_BOS; i++) {
		struct fake_bo *b = &fake.bos[i];

		if (b->used && g[0].b >= b->va && g[0].b < b->va + b->size)
			assert_true(b->flags & DRM_TNPU_BO_DEVICE_RO);
	}
	tnpu_mlp_session_destroy(s);
	tnpu_mlp_free(m);
	tnpu_device_close(dev);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_device),
		T(test_wrong_driver_skipped),
		T(test_only_other_drivers),
		T(test_wrong_abi_rejected),
		T(test_open_errors),
		T(test_env_override),
		T(test_info),
		T(test_bo_alloc_free),
		T(test_submit_validation),
		T(test_run_fill_copy),
		T(test_run_reports_fault),
		T(test_status_strings),
		T(test_syncobj),
		T(test_session_matches_cpu),
		T(test_session_stream_encoding),
	};

	return cmocka_run_group_tests_name("runtime_device", tests, NULL, NULL);
}
