// SPDX-License-Identifier: MIT
/*
 * test_gemm.c - the GEMM engines against a naive, independently written
 * reference: fp32 within 1e-5 relative, int8 bit-exact (rounding, negative
 * values, saturation at both ends, ReLU, OUT_I32, TRANS_B, bias).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "gemm.h"
#include "tnpu_hw.h"

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static float rnd_f(void)
{
	return ((float)(rnd() % 20001) - 10000.0f) / 2500.0f;	/* [-4, 4] */
}

static int8_t rnd_i8(void)
{
	return (int8_t)(rnd() & 0xff);
}

/* B element (k, n) in either layout */
#define BAT(b, kk, nn, p) (((p)->flags & TNPU_GEMM_TRANS_B) ? (b)[(nn) * (p)->k + (kk)] \
							    : (b)[(kk) * (p)->n + (nn)])

static void ref_f32(const struct tnpu_gemm_params *p, const float *a, const float *b,
		    const float *bias, double *c)
{
	for (uint32_t i = 0; i < p->m; i++)
		for (uint32_t j = 0; j < p->n; j++) {
			double s = 0;

			for (uint32_t l = 0; l < p->k; l++)
				s += (double)a[i * p->k + l] * BAT(b, l, j, p);
			if (p->flags & TNPU_GEMM_BIAS)
				s += bias[j];
			if ((p->flags & TNPU_GEMM_RELU) && s < 0)
				s = 0;
			c[i * p->n + j] = s;
		}
}

/* floor((x) / 2^s) by division, not by shifting */
static int64_t floor_div_pow2(int64_t x, unsigned int s)
{
	int64_t d = (int64_t)1 << s, q = x / d;

	if (x % d != 0 && x < 0)
		q--;
	return q;
}

static int32_t ref_requant(const struct tnpu_gemm_params *p, int64_t acc)
{
	int64_t t = acc * p->q_mult;

	if (p->q_shift)
		t = floor_div_pow2(t + ((int64_t)1 << (p->q_shift - 1)), p->q_shift);
	t += p->q_zero;
	t = t < -128 ? -128 : t > 127 ? 127 : t;
	if ((p->flags & TNPU_GEMM_RELU) && t < p->q_zero)
		t = p->q_zero;
	return (int32_t)t;
}

static void ref_i8(const struct tnpu_gemm_params *p, const int8_t *a, const int8_t *b,
		   const int32_t *bias, int64_t *acc_out)
{
	for (uint32_t i = 0; i < p->m; i++)
		for (uint32_t j = 0; j < p->n; j++) {
			int64_t s = 0;

			for (uint32_t l = 0; l < p->k; l++)
				s += (int64_t)a[i * p->k + l] * BAT(b, l, j, p);
			if (p->flags & TNPU_GEMM_BIAS)
				s += bias[j];
			acc_out[i * p->n + j] = s;
		}
}

static void check_f32(uint32_t m, uint32_t n, uint32_t k, uint32_t flags)
{
	struct tnpu_gemm_params p = { .m = m, .n = n, .k = k, .flags = flags };
	float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
	float *bias = malloc(sizeof(float) * n), *c = malloc(sizeof(float) * m * n);
	double *ref = malloc(sizeof(double) * m * n), sum_abs = 0;
	unsigned int negatives = 0;

	assert_true(a && b && bias && c && ref);
	for (size_t i = 0; i < (size_t)m * k; i++)
		a[i] = rnd_f();
	for (size_t i = 0; i < (size_t)k * n; i++)
		b[i] = rnd_f();
	for (size_t i = 0; i < n; i++)
		bias[i] = rnd_f() * 4;
	assert_true(tnpu_gemm_f32(&p, a, b, bias, c, NULL));
	ref_f32(&p, a, b, bias, ref);
	for (size_t i = 0; i < (size_t)m * n; i++) {
		double tol = 1e-5 * fmax(fabs(ref[i]), 1.0) * (k > 16 ? k / 16.0 : 1.0);

		if (fabs((double)c[i] - ref[i]) > tol)
			fail_msg("c[%zu] = %.9g, reference %.9g", i, c[i], ref[i]);
		if (flags & TNPU_GEMM_RELU)
			assert_true(c[i] >= 0.0f);
		negatives += c[i] < 0;
		sum_abs += fabs(ref[i]);
	}
	assert_true(sum_abs > 0);
	if (!(flags & TNPU_GEMM_RELU) && m * n >= 16)
		assert_true(negatives > 0);	/* the data really had both signs */
	free(a);
	free(b);
	free(bias);
	free(c);
	free(ref);
}

static void test_f32_plain(void **state)
{
	(void)state;
	check_f32(7, 5, 3, 0);
	check_f32(1, 1, 1, 0);
	check_f32(33, 17, 64, 0);
}

static void test_f32_bias_relu_trans(void **state)
{
	(void)state;
	check_f32(9, 11, 13, TNPU_GEMM_BIAS);
	check_f32(9, 11, 13, TNPU_GEMM_RELU);
	check_f32(9, 11, 13, TNPU_GEMM_TRANS_B);
	check_f32(16, 10, 64, TNPU_GEMM_BIAS | TNPU_GEMM_RELU | TNPU_GEMM_TRANS_B);
}

static void test_f32_exact_small(void **state)
{
	struct tnpu_gemm_params p = { .m = 2, .n = 2, .k = 2, .flags = TNPU_GEMM_BIAS };
	const float a[] = { 1, 2, 3, 4 }, b[] = { 5, 6, 7, 8 }, bias[] = { 0.5f, -100 };
	float c[4];

	(void)state;
	assert_true(tnpu_gemm_f32(&p, a, b, bias, c, NULL));
	assert_true(c[0] == 19.5f && c[1] == -78.0f && c[2] == 43.5f && c[3] == -50.0f);
	p.flags |= TNPU_GEMM_RELU | TNPU_GEMM_TRANS_B;	/* B^T = {5,7; 6,8} */
	assert_true(tnpu_gemm_f32(&p, a, b, bias, c, NULL));
	assert_true(c[0] == 17.5f && c[1] == 0.0f && c[2] == 39.5f && c[3] == 0.0f);
}

static void check_i8(uint32_t m, uint32_t n, uint32_t k, uint32_t flags, int32_t mult,
		     uint32_t shift, int32_t zero)
{
	struct tnpu_gemm_params p = {
		.m = m, .n = n, .k = k, .flags = flags,
		.q_mult = mult, .q_shift = shift, .q_zero = zero,
	};
	int8_t *a = malloc((size_t)m * k), *b = malloc((size_t)k * n);
	int32_t *bias = malloc(sizeof(int32_t) * n), *c32 = malloc(sizeof(int32_t) * m * n);
	int8_t *c8 = malloc((size_t)m * n);
	int64_t *acc = malloc(sizeof(int64_t) * m * n);
	unsigned int lo = 0, hi = 0;

	assert_true(a && b && bias && c32 && c8 && acc);
	for (size_t i = 0; i < (size_t)m * k; i++)
		a[i] = rnd_i8();
	for (size_t i = 0; i < (size_t)k * n; i++)
		b[i] = rnd_i8();
	for (size_t i = 0; i < n; i++)
		bias[i] = (int32_t)(rnd() % 200001) - 100000;
	ref_i8(&p, a, b, bias, acc);
	if (flags & TNPU_GEMM_OUT_I32) {
		assert_true(tnpu_gemm_i8(&p, a, b, bias, c32, NULL));
		for (size_t i = 0; i < (size_t)m * n; i++) {
			int64_t want = acc[i];

			if ((flags & TNPU_GEMM_RELU) && want < 0)
				want = 0;
			assert_int_equal((int64_t)c32[i], want);
		}
		goto out;
	}
	assert_true(tnpu_gemm_i8(&p, a, b, bias, c8, NULL));
	for (size_t i = 0; i < (size_t)m * n; i++) {
		int32_t want = ref_requant(&p, acc[i]);

		if (c8[i] != want)
			fail_msg("c[%zu] = %d, reference %d (acc %lld)", i, c8[i], want,
				 (long long)acc[i]);
		lo += c8[i] == -128;
		hi += c8[i] == 127;
	}
	/* these parameter sets are chosen to saturate at both ends */
	if (!(flags & TNPU_GEMM_RELU) && shift <= 8 && m * n >= 64) {
		assert_true(lo > 0);
		assert_true(hi > 0);
	}
out:
	free(a);
	free(b);
	free(bias);
	free(c32);
	free(c8);
	free(acc);
}

static void test_i8_requant_random(void **state)
{
	(void)state;
	check_i8(8, 8, 16, 0, 1, 8, 0);			/* saturates */
	check_i8(8, 8, 16, TNPU_GEMM_BIAS, 3, 8, -5);
	check_i8(13, 9, 100, TNPU_GEMM_TRANS_B, 1234567, 31, 7);
	check_i8(13, 9, 100, TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS | TNPU_GEMM_RELU, -77777,
		 27, -20);
	check_i8(5, 6, 7, 0, 1, 0, 0);			/* shift 0 */
	check_i8(4, 4, 4, 0, 0x7fffffff, 62, 127);
	check_i8(4, 4, 4, TNPU_GEMM_BIAS, (int32_t)0x80000000, 62, -128);
}

static void test_i8_out_i32(void **state)
{
	(void)state;
	check_i8(6, 7, 50, TNPU_GEMM_OUT_I32, 0, 0, 0);
	check_i8(6, 7, 50, TNPU_GEMM_OUT_I32 | TNPU_GEMM_BIAS | TNPU_GEMM_RELU, 0, 0, 0);
	check_i8(6, 7, 50, TNPU_GEMM_OUT_I32 | TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS, 0, 0, 0);
}

static void test_requant_hand_values(void **state)
{
	struct tnpu_gemm_params p = { .q_mult = 1, .q_shift = 1 };

	(void)state;
	assert_int_equal(tnpu_requant(&p, 5), 3);	/* (5 + 1) >> 1 */
	assert_int_equal(tnpu_requant(&p, 4), 2);
	assert_int_equal(tnpu_requant(&p, -5), -2);	/* (-5 + 1) >> 1 = -2 */
	assert_int_equal(tnpu_requant(&p, -6), -3);	/* floor(-2.5) */
	assert_int_equal(tnpu_requant(&p, -7), -3);	/* floor(-3) */
	p.q_shift = 0;
	assert_int_equal(tnpu_requant(&p, 1000), 127);
	assert_int_equal(tnpu_requant(&p, -1000), -128);
	assert_int_equal(tnpu_requant(&p, -128), -128);
	p.q_zero = 5;
	assert_int_equal(tnpu_requant(&p, 0), 5);
	assert_int_equal(tnpu_requant(&p, 123), 127);
	p.q_zero = -3;
	p.flags = TNPU_GEMM_RELU;
	assert_int_equal(tnpu_requant(&p, -100), -3);
	assert_int_equal(tnpu_requant(&p, 10), 7);
	/* extreme product does not overflow */
	p.flags = 0;
	p.q_zero = 0;
	p.q_mult = INT32_MIN;
	p.q_shift = 62;
	assert_int_equal(tnpu_requant(&p, INT32_MIN), 1);	/* 2^62 / 2^62 */
	assert_int_equal(tnpu_requant(&p, INT32_MAX), -1);	/* (-2^62 + 2^31 + 2^61) >> 62 */
}

static void test_i8_bias_wraps(void **state)
{
	struct tnpu_gemm_params p = {
		.m = 1, .n = 1, .k = 1, .flags = TNPU_GEMM_BIAS | TNPU_GEMM_OUT_I32,
	};
	const int8_t a = 2, b = 3;
	const int32_t bias = INT32_MAX;
	int32_t c = 0;

	(void)state;
	assert_true(tnpu_gemm_i8(&p, &a, &b, &bias, &c, NULL));
	assert_int_equal(c, INT32_MIN + 5);
}

static void test_abort_between_rows(void **state)
{
	struct tnpu_gemm_params p = { .m = 4, .n = 1, .k = 1 };
	const float a[4] = { 1, 2, 3, 4 }, b[1] = { 1 };
	float c[4] = { -1, -1, -1, -1 };
	volatile int abort_flag = 1;

	(void)state;
	assert_false(tnpu_gemm_f32(&p, a, b, NULL, c, &abort_flag));
	assert_true(c[0] == -1.0f);
	abort_flag = 0;
	assert_true(tnpu_gemm_f32(&p, a, b, NULL, c, &abort_flag));
	assert_true(c[3] == 4.0f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f32_plain),
		cmocka_unit_test(test_f32_bias_relu_trans),
		cmocka_unit_test(test_f32_exact_small),
		cmocka_unit_test(test_requant_hand_values),
		cmocka_unit_test(test_i8_requant_random),
		cmocka_unit_test(test_i8_out_i32),
		cmocka_unit_test(test_i8_bias_wraps),
		cmocka_unit_test(test_abort_between_rows),
	};

	return cmocka_run_group_tests_name("gemm", tests, NULL, NULL);
}
