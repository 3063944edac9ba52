// SPDX-License-Identifier: MIT
/*
 * tnpu-runtime-test - libtnpu against a real device, in the guest.
 *
 * Prints TAP ("ok N - name" / "not ok N - name"); exit status 0 only if
 * every test passed.  Complements the driver's raw-ioctl VM suite by going
 * through the library: encoders, buffers, submit/wait, statuses, syncobjs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnpu.h"

#define SEC	1000000000ll

static int test_num, failures;

static void report(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - %s", ok ? "" : "not ", ++test_num, name);
	if (!ok && fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf(why, sizeof(why), __VA_ARGS__);	\
			goto out;					\
		}							\
	} while (0)

static uint32_t lcg = 12345;

static float rnd(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return (float)((lcg >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void t_info(struct tnpu_device *dev)
{
	const struct tnpu_info *in = tnpu_device_info(dev);
	char why[256] = "";

	CHECK(!strcmp(in->driver_name, "tnpu"), "driver %s", in->driver_name);
	CHECK(in->num_queues >= 1 && in->num_queues <= 8, "queues %u", in->num_queues);
	CHECK(in->caps & TNPU_CAP_GEMM_FP32, "caps 0x%x", in->caps);
	CHECK(in->max_cmd_size == TNPU_CMD_MAX_SIZE, "max_cmd_size %u", in->max_cmd_size);
	CHECK(in->va_size > 0, "va_size 0");
out:
	report(!why[0], "info", "%s", why);
}

static void t_fill_copy_every_queue(struct tnpu_device *dev)
{
	struct tnpu_bo *a = NULL, *b = NULL;
	struct tnpu_cmdbuf *cb = NULL;
	char why[256] = "";

	CHECK(!tnpu_bo_alloc(dev, 3 * 4096, 0, &a) && !tnpu_bo_alloc(dev, 3 * 4096, 0, &b),
	      "alloc: %s", tnpu_last_error());
	CHECK(!tnpu_cmdbuf_create(&cb), "cmdbuf");
	for (uint32_t q = 0; q < tnpu_device_info(dev)->num_queues; q++) {
		struct tnpu_bo *bos[] = { a, b };
		uint32_t *w = b->map;

		memset(b->map, 0, b->size);
		tnpu_cmdbuf_reset(cb);
		/* page-crossing ranges, value depends on the queue */
		CHECK(tnpu_cmd_fill(cb, a->addr + 4000, 0x11110000 + q, 6000) >= 0, "fill");
		CHECK(tnpu_cmd_nop(cb) >= 0, "nop");
		CHECK(tnpu_cmd_copy(cb, b->addr + 8, a->addr + 4000, 6000) >= 0, "copy");
		CHECK(!tnpu_run(dev, cb, bos, 2, q, 30 * SEC, NULL), "queue %u: %s", q,
		      tnpu_last_error());
		CHECK(w[1] == 0 && w[2] == 0x11110000 + q && w[2 + 1499] == 0x11110000 + q &&
		      w[2 + 1500] == 0, "queue %u: wrong data %x %x %x %x", q, w[1], w[2],
		      w[2 + 1499], w[2 + 1500]);
	}
out:
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(a);
	tnpu_bo_free(b);
	report(!why[0], "fill and copy on every queue", "%s", why);
}

/* C = A x B (+bias, relu) with strides, on the device and on the CPU. */
static void t_gemm_fp32(struct tnpu_device *dev, int trans_b)
{
	const uint32_t m = 7, n = 13, k = 19, lda = 21, ldb = trans_b ? 23 : 17, ldc = 15;
	struct tnpu_bo *buf = NULL;
	struct tnpu_cmdbuf *cb = NULL;
	float *a, *b, *bias, *c;
	char why[256] = "";
	struct tnpu_gemm g;

	CHECK(!tnpu_bo_alloc(dev, 4 * 4096, 0, &buf), "alloc: %s", tnpu_last_error());
	a = buf->map;
	b = a + 1024;
	bias = a + 2048;
	c = a + 3072;
	for (int i = 0; i < 1024; i++) {
		a[i] = rnd();
		b[i] = rnd();
	}
	for (uint32_t j = 0; j < n; j++)
		bias[j] = rnd();
	memset(&g, 0, sizeof(g));
	g.dtype = TNPU_DTYPE_FP32;
	g.flags = TNPU_GEMM_BIAS | TNPU_GEMM_RELU | (trans_b ? TNPU_GEMM_TRANS_B : 0);
	g.m = m;
	g.n = n;
	g.k = k;
	g.lda = lda;
	g.ldb = ldb;
	g.ldc = ldc;
	g.a = buf->addr;
	g.b = buf->addr + 1024 * 4;
	g.bias = buf->addr + 2048 * 4;
	g.c = buf->addr + 3072 * 4;
	CHECK(!tnpu_cmdbuf_create(&cb) && tnpu_cmd_gemm(cb, &g) == 0, "encode: %s",
	      tnpu_last_error());
	CHECK(!tnpu_run(dev, cb, &buf, 1, 0, 30 * SEC, NULL), "%s", tnpu_last_error());
	for (uint32_t i = 0; i < m; i++) {
		for (uint32_t j = 0; j < n; j++) {
			float acc = 0.0f;

			for (uint32_t l = 0; l < k; l++)
				acc += a[i * lda + l] * (trans_b ? b[j * ldb + l] : b[l * ldb + j]);
			acc += bias[j];
			if (!(acc > 0.0f))
				acc = 0.0f;
			CHECK(memcmp(&acc, &c[i * ldc + j], 4) == 0, "C[%u][%u] = %g, expected %g",
			      i, j, c[i * ldc + j], acc);
		}
	}
out:
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(buf);
	report(!why[0], trans_b ? "fp32 gemm, B transposed, strided, bit-exact"
				: "fp32 gemm, strided, bit-exact", "%s", why);
}

static void t_fault(struct tnpu_device *dev)
{
	struct tnpu_bo *ro = NULL;
	struct tnpu_cmdbuf *cb = NULL;
	struct tnpu_job_result r;
	char why[256] = "";
	int ret;

	CHECK(!tnpu_bo_alloc(dev, 4096, TNPU_BO_DEVICE_RO, &ro), "alloc: %s", tnpu_last_error());
	CHECK(!tnpu_cmdbuf_create(&cb), "cmdbuf");
	tnpu_cmd_nop(cb);
	CHECK(tnpu_cmd_fill(cb, ro->addr + 64, 7, 64) == 8, "encode");
	ret = tnpu_run(dev, cb, &ro, 1, 0, 30 * SEC, &r);
	CHECK(ret == -EIO, "run returned %d (%s)", ret, tnpu_last_error());
	CHECK(r.status == TNPU_STATUS_FAULT, "status %u (%s)", r.status,
	      tnpu_status_str(r.status));
	CHECK(r.hw_status == TNPU_JOB_MMU_FAULT, "hw_status %u", r.hw_status);
	CHECK(r.err_offset == 8, "err_offset %u", r.err_offset);
	CHECK(r.fault_addr >= ro->addr && r.fault_addr < ro->addr + ro->size,
	      "fault_addr 0x%llx", (unsigned long long)r.fault_addr);
	CHECK(((uint32_t *)ro->map)[16] == 0, "read-only buffer was written");
out:
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(ro);
	report(!why[0], "write to a device-read-only buffer faults", "%s", why);
}

static void t_invalid(struct tnpu_device *dev)
{
	const uint32_t bad[2] = { TNPU_CMD_HDR(0x7f, 0, 2), 0 };
	struct tnpu_cmdbuf *cb = NULL;
	struct tnpu_job_result r;
	char why[256] = "";
	int ret;

	CHECK(!tnpu_cmdbuf_create(&cb), "cmdbuf");
	tnpu_cmd_nop(cb);
	tnpu_cmd_nop(cb);
	CHECK(tnpu_cmd_raw(cb, bad, sizeof(bad)) == 16, "encode");
	ret = tnpu_run(dev, cb, NULL, 0, 0, 30 * SEC, &r);
	CHECK(ret == -EIO, "run returned %d", ret);
	CHECK(r.status == TNPU_STATUS_INVALID && r.hw_status == TNPU_JOB_INVALID_CMD,
	      "status %u hw %u", r.status, r.hw_status);
	CHECK(r.err_offset == 16, "err_offset %u", r.err_offset);
out:
	tnpu_cmdbuf_destroy(cb);
	report(!why[0], "unknown opcode is reported at its offset", "%s", why);
}

/* Job 2 waits for job 1's out-syncobj, writes behind it; wait on job 2's syncobj. */
static void t_syncobj_chain(struct tnpu_device *dev)
{
	struct tnpu_bo *buf = NULL, *cmd1 = NULL, *cmd2 = NULL;
	struct tnpu_cmdbuf *cb = NULL;
	uint32_t s1 = 0, s2 = 0;
	char why[256] = "";
	struct tnpu_submit s;

	CHECK(!tnpu_bo_alloc(dev, 2 * 4096, 0, &buf), "alloc: %s", tnpu_last_error());
	CHECK(!tnpu_syncobj_create(dev, &s1) && !tnpu_syncobj_create(dev, &s2), "syncobj: %s",
	      tnpu_last_error());
	CHECK(!tnpu_cmdbuf_create(&cb), "cmdbuf");
	tnpu_cmd_fill(cb, buf->addr, 0xabcd1234, 4096);
	CHECK(!tnpu_cmdbuf_upload(dev, cb, &cmd1), "upload: %s", tnpu_last_error());
	tnpu_cmdbuf_reset(cb);
	tnpu_cmd_copy(cb, buf->addr + 4096, buf->addr, 4096);
	CHECK(!tnpu_cmdbuf_upload(dev, cb, &cmd2), "upload: %s", tnpu_last_error());

	memset(&s, 0, sizeof(s));
	s.cmd = cmd1;
	s.cmd_size = 24;
	s.bos = &buf;
	s.bo_count = 1;
	s.out_syncobj = s1;
	s.queue = 0;
	CHECK(!tnpu_submit(dev, &s, NULL), "submit 1: %s", tnpu_last_error());
	s.cmd = cmd2;
	s.cmd_size = 32;
	s.in_syncobjs = &s1;
	s.in_syncobj_count = 1;
	s.out_syncobj = s2;
	s.queue = tnpu_device_info(dev)->num_queues - 1;	/* another queue */
	CHECK(!tnpu_submit(dev, &s, NULL), "submit 2: %s", tnpu_last_error());
	CHECK(!tnpu_syncobj_wait(dev, &s2, 1, 30 * SEC), "wait: %s", tnpu_last_error());
	CHECK(((uint32_t *)buf->map)[1024 + 1023] == 0xabcd1234, "copy ran before the fill");
out:
	tnpu_syncobj_destroy(dev, s1);
	tnpu_syncobj_destroy(dev, s2);
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(cmd1);
	tnpu_bo_free(cmd2);
	tnpu_bo_free(buf);
	report(!why[0], "in/out syncobjs order two jobs on different queues", "%s", why);
}

/* A large GEMM: poll with timeout 0 (-ETIME or done), then wait. */
static void t_poll_then_wait(struct tnpu_device *dev)
{
	const uint32_t d = 256;
	struct tnpu_bo *buf = NULL, *cmd = NULL;
	struct tnpu_cmdbuf *cb = NULL;
	struct tnpu_job_result r;
	struct tnpu_submit s;
	char why[256] = "";
	uint64_t id;
	int ret;
	struct tnpu_gemm g = {
		.dtype = TNPU_DTYPE_FP32, .m = d, .n = d, .k = d,
	};

	CHECK(!tnpu_bo_alloc(dev, 3ull * d * d * 4, 0, &buf), "alloc: %s", tnpu_last_error());
	g.a = buf->addr;
	g.b = buf->addr + d * d * 4;
	g.c = buf->addr + 2 * d * d * 4;
	CHECK(!tnpu_cmdbuf_create(&cb) && tnpu_cmd_gemm(cb, &g) == 0, "encode");
	CHECK(!tnpu_cmdbuf_upload(dev, cb, &cmd), "upload");
	memset(&s, 0, sizeof(s));
	s.cmd = cmd;
	s.cmd_size = 80;
	s.bos = &buf;
	s.bo_count = 1;
	s.flags = TNPU_SUBMIT_STATUS;
	CHECK(!tnpu_submit(dev, &s, &id), "submit: %s", tnpu_last_error());
	ret = tnpu_wait(dev, id, 0, &r);
	CHECK(ret == 0 || ret == -ETIME, "poll returned %d (%s)", ret, tnpu_last_error());
	if (ret == -ETIME) {
		ret = tnpu_wait(dev, id, 60 * SEC, &r);
		CHECK(ret == 0, "wait returned %d (%s)", ret, tnpu_last_error());
	}
	CHECK(r.status == TNPU_STATUS_OK, "status %s", tnpu_status_str(r.status));
	CHECK(r.duration_ns > 0, "duration 0");
	ret = tnpu_wait(dev, id, 0, &r);
	CHECK(ret == -ENOENT, "second wait returned %d", ret);
out:
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(cmd);
	tnpu_bo_free(buf);
	report(!why[0], "poll, wait, and a reaped job id is gone", "%s", why);
}

static void t_submit_rejected_early(struct tnpu_device *dev)
{
	struct tnpu_bo *cmd = NULL;
	struct tnpu_submit s;
	char why[256] = "";
	uint64_t id;

	CHECK(!tnpu_bo_alloc(dev, 4096, TNPU_BO_DEVICE_RO, &cmd), "alloc");
	memset(&s, 0, sizeof(s));
	s.cmd = cmd;
	s.cmd_size = 8;
	s.queue = tnpu_device_info(dev)->num_queues;
	s.flags = TNPU_SUBMIT_STATUS;
	CHECK(tnpu_submit(dev, &s, &id) == -EINVAL, "bad queue accepted");
	s.queue = 0;
	s.cmd_size = 4;
	CHECK(tnpu_submit(dev, &s, &id) == -EINVAL, "cmd_size 4 accepted");
	s.cmd_size = 8;
	CHECK(tnpu_wait(dev, 0xdeadbeef, 0, &(struct tnpu_job_result){ 0 }) == -ENOENT,
	      "wait on an unknown job id: %s", tnpu_last_error());
out:
	tnpu_bo_free(cmd);
	report(!why[0], "bad submits are refused, unknown job id is -ENOENT", "%s", why);
}

int main(void)
{
	struct tnpu_device *dev;
	struct tnpu_info before, after;

	if (tnpu_device_open(TNPU_ANY, &dev)) {
		printf("1..1\nnot ok 1 - open device: %s\n", tnpu_last_error());
		return 1;
	}
	before = *tnpu_device_info(dev);
	printf("1..10\n");
	t_info(dev);
	t_fill_copy_every_queue(dev);
	t_gemm_fp32(dev, 0);
	t_gemm_fp32(dev, 1);
	t_fault(dev);
	t_invalid(dev);
	t_syncobj_chain(dev);
	t_poll_then_wait(dev);
	t_submit_rejected_early(dev);
	tnpu_device_query(dev, &after);
	report(after.reset_count == before.reset_count, "no device reset during the run",
	       "reset_count %u -> %u", before.reset_count, after.reset_count);
	tnpu_device_close(dev);
	return failures ? 1 : 0;
}
