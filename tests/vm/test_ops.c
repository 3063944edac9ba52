// SPDX-License-Identifier: MIT
/*
 * tnpu-test-ops: COPY, FILL and GEMM (fp32 and int8) results checked against
 * a CPU reference, including odd sizes, unaligned offsets, padded strides,
 * and that bytes outside each destination stay untouched.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnpu_test.h"

#define CTX(s)	((struct tn_ctx *)*(s))
#define GUARD	0xe7

static void fill_random(void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(tn_rand() >> 24);
}

static void check_guard(const uint8_t *p, size_t from, size_t to, const char *what)
{
	size_t i;

	for (i = from; i < to; i++)
		if (p[i] != GUARD)
			fail_msg("%s: byte %zu outside the destination changed to %#x", what, i,
				 p[i]);
}

static void test_copy(void **state)
{
	static const struct { uint64_t size, soff, doff; } cases[] = {
		{ 1, 0, 0 }, { 3, 1, 5 }, { 8, 0, 0 }, { 4095, 7, 1 }, { 4096, 0, 0 },
		{ 4097, 4095, 3 }, { 65541, 13, 4099 }, { (1 << 20) + 7, 1, 2 },
		{ 3 << 20, 0, 4096 },
	};
	int fd = CTX(state)->fd;
	struct tn_bo src, dst;
	struct tn_cmd c;
	uint32_t bos[2];
	size_t i;

	tn_srand(1);
	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 4 << 20, 0, &src);
	tn_bo_new(fd, 4 << 20, 0, &dst);
	bos[0] = src.handle;
	bos[1] = dst.handle;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t n = cases[i].size, so = cases[i].soff, dof = cases[i].doff;
		char what[64];

		snprintf(what, sizeof(what), "COPY %llu bytes", (unsigned long long)n);
		fill_random(src.map, src.size);
		memset(dst.map, GUARD, dst.size);
		tn_cmd_reset(&c);
		tn_cmd_copy(&c, src.va + so, dst.va + dof, n);
		tn_run_ok(fd, &c, bos, 2, i % CTX(state)->info.num_queues);
		if (memcmp((uint8_t *)dst.map + dof, (uint8_t *)src.map + so, n))
			fail_msg("%s: data differs", what);
		check_guard(dst.map, 0, dof, what);
		check_guard(dst.map, dof + n, dst.size, what);
	}
	tn_bo_free(fd, &dst);
	tn_bo_free(fd, &src);
	tn_cmd_free(fd, &c);
}

/* Non-overlapping COPY inside one buffer, across page boundaries. */
static void test_copy_same_bo(void **state)
{
	int fd = CTX(state)->fd;
	struct tn_cmd c;
	struct tn_bo b;
	uint8_t *p;

	tn_srand(2);
	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 64 << 10, 0, &b);
	p = b.map;
	memset(p, GUARD, b.size);
	fill_random(p + 100, 20000);
	tn_cmd_copy(&c, b.va + 100, b.va + 30001, 20000);
	tn_run_ok(fd, &c, &b.handle, 1, 0);
	assert_memory_equal(p + 30001, p + 100, 20000);
	check_guard(p, 20100, 30001, "COPY within a buffer");
	check_guard(p, 50001, b.size, "COPY within a buffer");
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

static void test_fill(void **state)
{
	static const struct { uint64_t size, off; uint32_t value; } cases[] = {
		{ 4, 0, 0xdeadbeef }, { 8, 4, 0 }, { 12, 4092, 0x01020304 },
		{ 4096, 0, 0xffffffff }, { 100000, 8, 0x80000001 }, { 1 << 20, 4096, 0x3f800000 },
		{ (2 << 20) - 4, 4, 0x7f7f7f7f },
	};
	int fd = CTX(state)->fd;
	struct tn_cmd c;
	struct tn_bo b;
	size_t i, k;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 4 << 20, 0, &b);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		uint32_t *w = (uint32_t *)((uint8_t *)b.map + cases[i].off);
		char what[64];

		snprintf(what, sizeof(what), "FILL %llu bytes", (unsigned long long)cases[i].size);
		memset(b.map, GUARD, b.size);
		tn_cmd_reset(&c);
		tn_cmd_fill(&c, b.va + cases[i].off, cases[i].value, cases[i].size);
		tn_run_ok(fd, &c, &b.handle, 1, i % CTX(state)->info.num_queues);
		for (k = 0; k < cases[i].size / 4; k++)
			if (w[k] != cases[i].value)
				fail_msg("%s: word %zu is %#x", what, k, w[k]);
		check_guard(b.map, 0, cases[i].off, what);
		check_guard(b.map, cases[i].off + cases[i].size, b.size, what);
	}
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

/* Commands of one stream run in order. */
static void test_stream_order(void **state)
{
	int fd = CTX(state)->fd;
	struct tn_bo a, b;
	struct tn_cmd c;
	uint32_t bos[2];
	int i;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 65536, 0, &a);
	tn_bo_new(fd, 65536 * 8, 0, &b);
	bos[0] = a.handle;
	bos[1] = b.handle;
	/* b[i] = snapshot of a after the i-th FILL */
	for (i = 0; i < 8; i++) {
		tn_cmd_fill(&c, a.va, 0x100 + i, a.size);
		tn_cmd_nop(&c);
		tn_cmd_copy(&c, a.va, b.va + (uint64_t)i * a.size, a.size);
	}
	tn_run_ok(fd, &c, bos, 2, 0);
	for (i = 0; i < 8; i++) {
		uint32_t *w = (uint32_t *)((uint8_t *)b.map + (size_t)i * a.size);

		assert_int_equal(w[0], 0x100 + i);
		assert_int_equal(w[a.size / 4 - 1], 0x100 + i);
	}
	assert_int_equal(((uint32_t *)a.map)[0], 0x107);
	tn_bo_free(fd, &b);
	tn_bo_free(fd, &a);
	tn_cmd_free(fd, &c);
}

struct gemm_case {
	uint32_t m, n, k;
	uint32_t flags;
	uint32_t dtype;
	uint32_t pad;		/* extra elements in lda, ldb, ldc */
	int32_t q_mult;
	uint32_t q_shift;
	int32_t q_zero;
	int range;		/* int8 inputs in [-range, range] */
};

static int8_t sat8(int64_t v)
{
	return v < -128 ? -128 : v > 127 ? 127 : (int8_t)v;
}

static int32_t requant(int64_t acc, const struct gemm_case *g)
{
	int64_t t;

	if (g->q_shift)
		t = (acc * g->q_mult + (1ll << (g->q_shift - 1))) >> g->q_shift;
	else
		t = acc * g->q_mult;
	t = sat8(t + g->q_zero);
	if ((g->flags & TNPU_GEMM_RELU) && t < g->q_zero)
		t = g->q_zero;
	return (int32_t)t;
}

/* Runs one GEMM on the device and compares every element with the CPU. */
static void run_gemm(int fd, uint32_t queue, const struct gemm_case *g, int *saturated)
{
	bool fp = g->dtype == TNPU_DTYPE_FP32, tb = g->flags & TNPU_GEMM_TRANS_B;
	bool i32 = g->flags & TNPU_GEMM_OUT_I32;
	uint32_t lda = g->k + g->pad, ldb = (tb ? g->k : g->n) + g->pad, ldc = g->n + g->pad;
	size_t esz = fp ? 4 : 1, osz = fp || i32 ? 4 : 1;
	size_t brows = tb ? g->n : g->k;
	struct tn_bo a, b, c, bias;
	struct tnpu_cmd_gemm cmd;
	struct tn_cmd cs;
	uint32_t bos[4];
	uint32_t i, j, kk;
	char what[96];

	snprintf(what, sizeof(what), "GEMM %s %ux%ux%u flags %#x pad %u",
		 fp ? "fp32" : "int8", g->m, g->n, g->k, g->flags, g->pad);
	tn_cmd_new(fd, &cs);
	tn_bo_new(fd, (uint64_t)g->m * lda * esz, 0, &a);
	tn_bo_new(fd, (uint64_t)brows * ldb * esz, 0, &b);
	tn_bo_new(fd, (uint64_t)g->m * ldc * osz, 0, &c);
	tn_bo_new(fd, (uint64_t)g->n * 4, 0, &bias);
	if (fp) {
		float *fa = a.map, *fb = b.map, *fbias = bias.map;

		for (i = 0; i < a.size / 4; i++)
			fa[i] = (float)((int32_t)tn_rand()) / 2147483648.0f;
		for (i = 0; i < b.size / 4; i++)
			fb[i] = (float)((int32_t)tn_rand()) / 2147483648.0f;
		for (i = 0; i < g->n; i++)
			fbias[i] = (float)((int32_t)tn_rand()) / 1073741824.0f;
	} else {
		int8_t *ia = a.map, *ib = b.map;
		int32_t *ibias = bias.map;
		int r = g->range ? g->range : 127;

		for (i = 0; i < a.size; i++)
			ia[i] = (int8_t)((int)(tn_rand() % (2 * r + 1)) - r);
		for (i = 0; i < b.size; i++)
			ib[i] = (int8_t)((int)(tn_rand() % (2 * r + 1)) - r);
		for (i = 0; i < g->n; i++)
			ibias[i] = (int32_t)(tn_rand() % 200001) - 100000;
	}
	memset(c.map, GUARD, c.size);

	memset(&cmd, 0, sizeof(cmd));
	cmd.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, g->flags, TNPU_CMD_GEMM_DW);
	cmd.dtype = g->dtype;
	cmd.m = g->m;
	cmd.n = g->n;
	cmd.k = g->k;
	cmd.lda = lda;
	cmd.ldb = ldb;
	cmd.ldc = ldc;
	cmd.a = a.va;
	cmd.b = b.va;
	cmd.c = c.va;
	cmd.bias = g->flags & TNPU_GEMM_BIAS ? bias.va : 0;
	cmd.q_mult = g->q_mult;
	cmd.q_shift = g->q_shift;
	cmd.q_zero = g->q_zero;
	tn_cmd_gemm(&cs, &cmd);
	bos[0] = a.handle;
	bos[1] = b.handle;
	bos[2] = c.handle;
	bos[3] = bias.handle;
	tn_run_ok(fd, &cs, bos, 4, queue);

	for (i = 0; i < g->m; i++) {
		for (j = 0; j < g->n; j++) {
			size_t bi;

			if (fp) {
				const float *fa = a.map, *fb = b.map, *fbias = bias.map;
				float acc = 0.0f, dev = ((float *)c.map)[(size_t)i * ldc + j];
				double scale = 0;

				for (kk = 0; kk < g->k; kk++) {
					bi = tb ? (size_t)j * ldb + kk : (size_t)kk * ldb + j;
					acc += fa[(size_t)i * lda + kk] * fb[bi];
					scale += fabs((double)fa[(size_t)i * lda + kk] * fb[bi]);
				}
				if (g->flags & TNPU_GEMM_BIAS) {
					acc += fbias[j];
					scale += fabs(fbias[j]);
				}
				if ((g->flags & TNPU_GEMM_RELU) && acc < 0)
					acc = 0;
				if (!(fabs((double)dev - acc) <= 1e-5 * scale + 1e-30))
					fail_msg("%s: C[%u][%u] = %.9g, reference %.9g", what, i, j,
						 dev, acc);
			} else {
				const int8_t *ia = a.map, *ib = b.map;
				const int32_t *ibias = bias.map;
				int64_t acc = 0;
				int32_t ref, dev;

				for (kk = 0; kk < g->k; kk++) {
					bi = tb ? (size_t)j * ldb + kk : (size_t)kk * ldb + j;
					acc += (int32_t)ia[(size_t)i * lda + kk] * ib[bi];
				}
				if (g->flags & TNPU_GEMM_BIAS)
					acc += ibias[j];
				if (i32) {
					ref = (int32_t)acc;
					if ((g->flags & TNPU_GEMM_RELU) && ref < 0)
						ref = 0;
					dev = ((int32_t *)c.map)[(size_t)i * ldc + j];
				} else {
					ref = requant(acc, g);
					dev = ((int8_t *)c.map)[(size_t)i * ldc + j];
					if (saturated && (ref == -128 || ref == 127))
						(*saturated)++;
				}
				if (dev != ref)
					fail_msg("%s: C[%u][%u] = %d, reference %d (acc %lld)", what,
						 i, j, dev, ref, (long long)acc);
			}
		}
		/* row padding of C untouched */
		check_guard((uint8_t *)c.map + (size_t)i * ldc * osz, g->n * osz, ldc * osz,
			    what);
	}
	check_guard(c.map, (size_t)g->m * ldc * osz, c.size, what);
	tn_bo_free(fd, &bias);
	tn_bo_free(fd, &c);
	tn_bo_free(fd, &b);
	tn_bo_free(fd, &a);
	tn_cmd_free(fd, &cs);
}

#define F32(m, n, k, f, p)	{ m, n, k, f, TNPU_DTYPE_FP32, p, 0, 0, 0, 0 }

static void test_gemm_fp32(void **state)
{
	static const struct gemm_case cases[] = {
		F32(1, 1, 1, 0, 0),
		F32(17, 33, 65, 0, 0),
		F32(17, 33, 65, TNPU_GEMM_BIAS, 0),
		F32(17, 33, 65, TNPU_GEMM_RELU, 0),
		F32(17, 33, 65, TNPU_GEMM_BIAS | TNPU_GEMM_RELU, 0),
		F32(17, 33, 65, TNPU_GEMM_TRANS_B, 0),
		F32(17, 33, 65, TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS | TNPU_GEMM_RELU, 3),
		F32(33, 17, 65, TNPU_GEMM_BIAS, 5),
		F32(1, 257, 3, TNPU_GEMM_BIAS, 0),
		F32(129, 1, 200, TNPU_GEMM_TRANS_B, 1),
		F32(64, 64, 64, TNPU_GEMM_TRANS_B, 0),
		F32(100, 70, 300, TNPU_GEMM_BIAS | TNPU_GEMM_RELU, 7),
	};
	size_t i;

	tn_srand(3);
	for (i = 0; i < ARRAY_LEN(cases); i++)
		run_gemm(CTX(state)->fd, i % CTX(state)->info.num_queues, &cases[i], NULL);
}

#define I8(m, n, k, f, p, mult, shift, zero, r) \
	{ m, n, k, f, TNPU_DTYPE_INT8, p, mult, shift, zero, r }

static void test_gemm_int8(void **state)
{
	static const struct gemm_case cases[] = {
		I8(1, 1, 1, 0, 0, 1, 0, 0, 5),
		I8(17, 33, 65, 0, 0, 1907, 20, 3, 0),
		I8(17, 33, 65, TNPU_GEMM_BIAS, 0, 1907, 20, -7, 0),
		I8(17, 33, 65, TNPU_GEMM_RELU, 0, 1907, 20, -5, 0),
		I8(17, 33, 65, TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS | TNPU_GEMM_RELU, 3, 1907, 20,
		   10, 0),
		I8(33, 17, 65, TNPU_GEMM_TRANS_B, 1, -2500, 21, 0, 0),	/* negative mult */
		I8(8, 8, 16, 0, 0, 1, 0, 0, 3),				/* q_shift 0 */
		I8(8, 8, 16, TNPU_GEMM_RELU, 2, -1, 0, 127, 3),		/* zero 127 */
		I8(9, 7, 300, 0, 0, 1 << 30, 62, -128, 0),		/* largest shift */
		I8(64, 64, 64, TNPU_GEMM_TRANS_B, 0, 77, 13, 1, 0),
		I8(5, 300, 9, TNPU_GEMM_BIAS, 4, 3, 1, 0, 0),		/* shift 1: rounding */
	};
	size_t i;

	tn_srand(4);
	for (i = 0; i < ARRAY_LEN(cases); i++)
		run_gemm(CTX(state)->fd, i % CTX(state)->info.num_queues, &cases[i], NULL);
}

/* A large multiplier drives most results to -128 and 127. */
static void test_gemm_int8_saturation(void **state)
{
	static const struct gemm_case cases[] = {
		I8(17, 33, 65, 0, 0, 1 << 20, 8, 0, 0),
		I8(17, 33, 65, TNPU_GEMM_BIAS, 0, 0x7fffffff, 0, 0, 0),
		I8(17, 33, 65, TNPU_GEMM_RELU, 1, -0x7fffffff - 1, 0, -20, 0),
	};
	int sat = 0;
	size_t i;

	tn_srand(5);
	for (i = 0; i < ARRAY_LEN(cases); i++)
		run_gemm(CTX(state)->fd, 0, &cases[i], &sat);
	/* The reference must actually have exercised saturation. */
	assert_true(sat > 17 * 33);
}

static void test_gemm_int8_out_i32(void **state)
{
	static const struct gemm_case cases[] = {
		I8(17, 33, 65, TNPU_GEMM_OUT_I32, 0, 0, 0, 0, 0),
		I8(17, 33, 65, TNPU_GEMM_OUT_I32 | TNPU_GEMM_BIAS, 2, 0, 0, 0, 0),
		I8(17, 33, 65, TNPU_GEMM_OUT_I32 | TNPU_GEMM_BIAS | TNPU_GEMM_RELU, 0, 0, 0,
		   0, 0),
		I8(40, 9, 129, TNPU_GEMM_OUT_I32 | TNPU_GEMM_TRANS_B | TNPU_GEMM_RELU, 3, 0, 0,
		   0, 0),
		/* q_* fields are ignored with OUT_I32 */
		I8(8, 8, 8, TNPU_GEMM_OUT_I32, 0, 12345, 7, 9, 0),
	};
	size_t i;

	tn_srand(6);
	for (i = 0; i < ARRAY_LEN(cases); i++)
		run_gemm(CTX(state)->fd, i % CTX(state)->info.num_queues, &cases[i], NULL);
}

/* Several ops of different kinds in one stream, then checked. */
static void test_mixed_stream(void **state)
{
	int fd = CTX(state)->fd;
	struct tnpu_cmd_gemm g;
	struct tn_bo b;
	struct tn_cmd c;
	float *f;
	int i;

	tn_cmd_new(fd, &c);
	tn_bo_new(fd, 4 * 4096, 0, &b);
	f = b.map;
	/* A (page 0) = 2.0, B (page 1) = 0.5 via FILL; C = A x B (8x8x8) = 8.0 */
	tn_cmd_fill(&c, b.va, 0x40000000, 256);
	tn_cmd_fill(&c, b.va + 4096, 0x3f000000, 256);
	memset(&g, 0, sizeof(g));
	g.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, 0, TNPU_CMD_GEMM_DW);
	g.dtype = TNPU_DTYPE_FP32;
	g.m = g.n = g.k = g.lda = g.ldb = g.ldc = 8;
	g.a = b.va;
	g.b = b.va + 4096;
	g.c = b.va + 8192;
	tn_cmd_gemm(&c, &g);
	tn_cmd_copy(&c, b.va + 8192, b.va + 12288, 256);
	tn_run_ok(fd, &c, &b.handle, 1, 0);
	for (i = 0; i < 64; i++) {
		assert_true(f[2048 + i] == 8.0f);
		assert_true(f[3072 + i] == 8.0f);
	}
	tn_bo_free(fd, &b);
	tn_cmd_free(fd, &c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tn_setup, tn_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_copy),
		T(test_copy_same_bo),
		T(test_fill),
		T(test_stream_order),
		T(test_gemm_fp32),
		T(test_gemm_int8),
		T(test_gemm_int8_saturation),
		T(test_gemm_int8_out_i32),
		T(test_mixed_stream),
	};

	tn_apply_env();
	return cmocka_run_group_tests_name("tnpu-ops", tests, tn_group_setup, tn_group_teardown);
}
