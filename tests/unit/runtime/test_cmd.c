// SPDX-License-Identifier: MIT
/*
 * test_cmd.c - command-stream encoders: exact tnpu_hw.h layouts, and every
 * argument the device would reject is rejected at encode time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tnpu_internal.h"

static struct tnpu_cmdbuf *new_cb(void)
{
	struct tnpu_cmdbuf *cb;

	assert_int_equal(tnpu_cmdbuf_create(&cb), 0);
	assert_int_equal(tnpu_cmdbuf_size(cb), 0);
	return cb;
}

/* A valid fp32 GEMM to mutate in rejection tests. */
static struct tnpu_gemm good_gemm(void)
{
	struct tnpu_gemm g = {
		.dtype = TNPU_DTYPE_FP32, .flags = TNPU_GEMM_BIAS | TNPU_GEMM_TRANS_B,
		.m = 4, .n = 10, .k = 32, .lda = 32, .ldb = 32, .ldc = 10,
		.a = 0x10000, .b = 0x20000, .c = 0x30000, .bias = 0x40000,
	};
	return g;
}

static void test_nop_layout(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	const uint32_t *w;

	(void)state;
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	assert_int_equal(tnpu_cmd_nop(cb), 8);	/* returns the byte offset */
	assert_int_equal(tnpu_cmdbuf_size(cb), 16);
	w = tnpu_cmdbuf_data(cb);
	assert_int_equal(w[0], TNPU_OP_NOP | (2u << 16));
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], w[0]);
	tnpu_cmdbuf_destroy(cb);
}

static void test_copy_layout(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	const uint8_t *p;
	uint64_t v;
	uint32_t hdr, rsvd;

	(void)state;
	assert_int_equal(tnpu_cmd_copy(cb, 0x2000, 0x1000, 0x100), 0);
	assert_int_equal(tnpu_cmdbuf_size(cb), 32);
	p = tnpu_cmdbuf_data(cb);
	memcpy(&hdr, p, 4);
	memcpy(&rsvd, p + 4, 4);
	assert_int_equal(hdr, TNPU_OP_COPY | (8u << 16));
	assert_int_equal(rsvd, 0);
	memcpy(&v, p + offsetof(struct tnpu_cmd_copy, src), 8);
	assert_int_equal(v, 0x1000);	/* memcpy order in the API, src first on the wire */
	memcpy(&v, p + offsetof(struct tnpu_cmd_copy, dst), 8);
	assert_int_equal(v, 0x2000);
	memcpy(&v, p + offsetof(struct tnpu_cmd_copy, size), 8);
	assert_int_equal(v, 0x100);
	tnpu_cmdbuf_destroy(cb);
}

static void test_fill_layout(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	const uint8_t *p;
	uint32_t hdr, value;
	uint64_t v;

	(void)state;
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	assert_int_equal(tnpu_cmd_fill(cb, 0x3000, 0xdeadbeef, 64), 8);
	assert_int_equal(tnpu_cmdbuf_size(cb), 8 + 24);
	p = (const uint8_t *)tnpu_cmdbuf_data(cb) + 8;
	memcpy(&hdr, p, 4);
	memcpy(&value, p + 4, 4);
	assert_int_equal(hdr, TNPU_OP_FILL | (6u << 16));
	assert_int_equal(value, 0xdeadbeef);
	memcpy(&v, p + 8, 8);
	assert_int_equal(v, 0x3000);
	memcpy(&v, p + 16, 8);
	assert_int_equal(v, 64);
	tnpu_cmdbuf_destroy(cb);
}

static void test_gemm_layout(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	struct tnpu_gemm g = good_gemm();
	struct tnpu_cmd_gemm c;

	(void)state;
	g.flags |= TNPU_GEMM_RELU;
	assert_int_equal(tnpu_cmd_gemm(cb, &g), 0);
	assert_int_equal(tnpu_cmdbuf_size(cb), 80);
	memcpy(&c, tnpu_cmdbuf_data(cb), sizeof(c));
	assert_int_equal(TNPU_CMD_OP(c.hdr), TNPU_OP_GEMM);
	assert_int_equal(TNPU_CMD_FLAGS(c.hdr),
			 TNPU_GEMM_BIAS | TNPU_GEMM_TRANS_B | TNPU_GEMM_RELU);
	assert_int_equal(TNPU_CMD_SIZE_DW(c.hdr), 20);
	assert_int_equal(c.dtype, TNPU_DTYPE_FP32);
	assert_int_equal(c.m, 4);
	assert_int_equal(c.n, 10);
	assert_int_equal(c.k, 32);
	assert_int_equal(c.lda, 32);
	assert_int_equal(c.ldb, 32);
	assert_int_equal(c.ldc, 10);
	assert_int_equal(c.a, 0x10000);
	assert_int_equal(c.b, 0x20000);
	assert_int_equal(c.c, 0x30000);
	assert_int_equal(c.bias, 0x40000);
	assert_int_equal(c.q_mult, 0);
	assert_int_equal(c.q_shift, 0);
	assert_int_equal(c.q_zero, 0);
	assert_int_equal(c.reserved, 0);
	/* Raw offsets of the u64 fields, independent of the struct. */
	{
		const uint8_t *p = tnpu_cmdbuf_data(cb);
		uint64_t a;

		memcpy(&a, p + 32, 8);
		assert_int_equal(a, 0x10000);
		memcpy(&a, p + 56, 8);
		assert_int_equal(a, 0x40000);
	}
	tnpu_cmdbuf_destroy(cb);
}

static void test_gemm_packed_defaults_and_int8(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	struct tnpu_gemm g = {
		.dtype = TNPU_DTYPE_INT8, .flags = 0, .m = 3, .n = 7, .k = 5,
		.a = 0x1000, .b = 0x2000, .c = 0x3000,
		.q_mult = -12345, .q_shift = 62, .q_zero = -128,
	};
	struct tnpu_cmd_gemm c;

	(void)state;
	assert_int_equal(tnpu_cmd_gemm(cb, &g), 0);
	memcpy(&c, tnpu_cmdbuf_data(cb), sizeof(c));
	assert_int_equal(c.lda, 5);
	assert_int_equal(c.ldb, 7);	/* not transposed: ldb defaults to n */
	assert_int_equal(c.ldc, 7);
	assert_int_equal(c.dtype, TNPU_DTYPE_INT8);
	assert_int_equal(c.q_mult, -12345);
	assert_int_equal(c.q_shift, 62);
	assert_int_equal(c.q_zero, -128);
	g.flags = TNPU_GEMM_TRANS_B | TNPU_GEMM_OUT_I32;
	g.ldb = 0;
	assert_int_equal(tnpu_cmd_gemm(cb, &g), 80);
	memcpy(&c, (const uint8_t *)tnpu_cmdbuf_data(cb) + 80, sizeof(c));
	assert_int_equal(c.ldb, 5);	/* transposed: ldb defaults to k */
	tnpu_cmdbuf_destroy(cb);
}

/* Apply @mutate to a good GEMM and expect -EINVAL with an unchanged stream. */
#define EXPECT_GEMM_REJECT(field_stmt)						\
	do {									\
		struct tnpu_gemm g = good_gemm();				\
		field_stmt;							\
		assert_int_equal(tnpu_cmd_gemm(cb, &g), -EINVAL);		\
		assert_int_equal(tnpu_cmdbuf_size(cb), 8);			\
		assert_string_not_equal(tnpu_last_error(), "no error");	\
	} while (0)

static void test_gemm_rejects(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();

	(void)state;
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	EXPECT_GEMM_REJECT(g.dtype = 2);
	EXPECT_GEMM_REJECT(g.flags = 0x10);
	EXPECT_GEMM_REJECT(g.flags = TNPU_GEMM_OUT_I32);	/* fp32 */
	EXPECT_GEMM_REJECT(g.m = 0);
	EXPECT_GEMM_REJECT(g.n = 0);
	EXPECT_GEMM_REJECT(g.k = 0);
	EXPECT_GEMM_REJECT(g.m = TNPU_GEMM_MAX_DIM + 1);
	EXPECT_GEMM_REJECT(g.n = TNPU_GEMM_MAX_DIM + 1);
	EXPECT_GEMM_REJECT(g.k = TNPU_GEMM_MAX_DIM + 1);
	EXPECT_GEMM_REJECT(g.lda = 31);
	EXPECT_GEMM_REJECT(g.ldb = 31);			/* TRANS_B: ldb >= k */
	EXPECT_GEMM_REJECT((g.flags = 0, g.ldb = 9));	/* plain: ldb >= n */
	EXPECT_GEMM_REJECT(g.ldc = 9);
	EXPECT_GEMM_REJECT(g.q_mult = 1);		/* q params on fp32 */
	EXPECT_GEMM_REJECT((g.dtype = TNPU_DTYPE_INT8, g.q_shift = 63));
	EXPECT_GEMM_REJECT((g.dtype = TNPU_DTYPE_INT8, g.q_zero = 128));
	EXPECT_GEMM_REJECT((g.dtype = TNPU_DTYPE_INT8, g.q_zero = -129));
	EXPECT_GEMM_REJECT(g.c = UINT64_MAX - 8);	/* wraps */
	/* The boundary values themselves are fine. */
	{
		struct tnpu_gemm g = good_gemm();

		g.m = g.n = g.k = TNPU_GEMM_MAX_DIM;
		g.lda = g.ldb = g.ldc = TNPU_GEMM_MAX_DIM;
		assert_int_equal(tnpu_cmd_gemm(cb, &g), 8);
	}
	tnpu_cmdbuf_destroy(cb);
}

static void test_copy_fill_rejects(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();

	(void)state;
	assert_int_equal(tnpu_cmd_copy(cb, 0x2000, 0x1000, 0), -EINVAL);
	assert_int_equal(tnpu_cmd_copy(cb, 0x2000, 0x1000, TNPU_COPY_MAX_SIZE + 1), -EINVAL);
	assert_int_equal(tnpu_cmd_copy(cb, 0x1800, 0x1000, 0x1000), -EINVAL);	/* overlap */
	assert_int_equal(tnpu_cmd_copy(cb, 0x1000, 0x1800, 0x1000), -EINVAL);	/* overlap */
	assert_int_equal(tnpu_cmd_copy(cb, 0x1000, 0x1000, 4), -EINVAL);	/* same */
	assert_int_equal(tnpu_cmd_copy(cb, 0x1000, UINT64_MAX - 2, 8), -EINVAL);
	assert_int_equal(tnpu_cmd_fill(cb, 0x1000, 0, 0), -EINVAL);
	assert_int_equal(tnpu_cmd_fill(cb, 0x1000, 0, 6), -EINVAL);
	assert_int_equal(tnpu_cmd_fill(cb, 0x1000, 0, TNPU_COPY_MAX_SIZE + 4), -EINVAL);
	assert_int_equal(tnpu_cmdbuf_size(cb), 0);
	/* Adjacent ranges do not overlap; max sizes are accepted. */
	assert_int_equal(tnpu_cmd_copy(cb, 0x2000, 0x1000, 0x1000), 0);
	assert_int_equal(tnpu_cmd_copy(cb, 0, 1ull << 31, TNPU_COPY_MAX_SIZE), 32);
	assert_int_equal(tnpu_cmd_fill(cb, 0x1000, 0, TNPU_COPY_MAX_SIZE), 64);
	tnpu_cmdbuf_destroy(cb);
}

static void test_stream_size_limit(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	int ret = 0;

	(void)state;
	for (uint32_t i = 0; i < TNPU_CMD_MAX_SIZE / 8; i++) {
		ret = tnpu_cmd_nop(cb);
		if (ret < 0)
			break;
	}
	assert_true(ret >= 0);
	assert_int_equal(tnpu_cmdbuf_size(cb), TNPU_CMD_MAX_SIZE);
	assert_int_equal(tnpu_cmd_nop(cb), -E2BIG);
	assert_int_equal(tnpu_cmdbuf_size(cb), TNPU_CMD_MAX_SIZE);
	tnpu_cmdbuf_reset(cb);
	assert_int_equal(tnpu_cmdbuf_size(cb), 0);
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	tnpu_cmdbuf_destroy(cb);
}

static void test_raw(void **state)
{
	struct tnpu_cmdbuf *cb = new_cb();
	const uint32_t bad[2] = { TNPU_CMD_HDR(0x7f, 0, 2), 0xffffffff };

	(void)state;
	assert_int_equal(tnpu_cmd_raw(cb, bad, 6), -EINVAL);
	assert_int_equal(tnpu_cmd_raw(cb, bad, 0), -EINVAL);
	assert_int_equal(tnpu_cmd_raw(cb, NULL, 8), -EINVAL);
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	assert_int_equal(tnpu_cmd_raw(cb, bad, 8), 8);
	assert_memory_equal((const uint8_t *)tnpu_cmdbuf_data(cb) + 8, bad, 8);
	tnpu_cmdbuf_destroy(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nop_layout),
		cmocka_unit_test(test_copy_layout),
		cmocka_unit_test(test_fill_layout),
		cmocka_unit_test(test_gemm_layout),
		cmocka_unit_test(test_gemm_packed_defaults_and_int8),
		cmocka_unit_test(test_gemm_rejects),
		cmocka_unit_test(test_copy_fill_rejects),
		cmocka_unit_test(test_stream_size_limit),
		cmocka_unit_test(test_raw),
	};

	return cmocka_run_group_tests_name("runtime_cmd", tests, NULL, NULL);
}
