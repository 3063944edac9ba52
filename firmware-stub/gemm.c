// SPDX-License-Identifier: MIT
/*
 * gemm.c - reference-exact GEMM engines.  Simple loops: the point is that
 * the result is defined bit for bit (fp32 sums in k order, int8 exact).
 */
#include <stddef.h>

#include "gemm.h"
#include "tnpu_hw.h"

/* floor(v / 2^s) without relying on >> of a negative value */
static int64_t asr64(int64_t v, unsigned int s)
{
	return v >= 0 ? v >> s : ~((~v) >> s);
}

int8_t tnpu_requant(const struct tnpu_gemm_params *p, int32_t acc)
{
	/* |acc * q_mult| <= 2^62, so neither the product nor the rounding overflows */
	int64_t t = (int64_t)acc * p->q_mult;

	if (p->q_shift > 0)
		t = asr64(t + ((int64_t)1 << (p->q_shift - 1)), p->q_shift);
	t += p->q_zero;
	if (t < -128)
		t = -128;
	if (t > 127)
		t = 127;
	if ((p->flags & TNPU_GEMM_RELU) && t < p->q_zero)
		t = p->q_zero;
	return (int8_t)t;
}

bool tnpu_gemm_f32(const struct tnpu_gemm_params *p, const float *a, const float *b,
		   const float *bias, float *c, const volatile int *abort)
{
	bool tb = p->flags & TNPU_GEMM_TRANS_B;
	size_t i, j, l;

	for (i = 0; i < p->m; i++) {
		const float *ar = a + i * p->k;

		if (tnpu_abort_requested(abort))
			return false;
		for (j = 0; j < p->n; j++) {
			float acc = 0.0f;

			for (l = 0; l < p->k; l++)
				acc += ar[l] * (tb ? b[j * p->k + l] : b[l * p->n + j]);
			if (p->flags & TNPU_GEMM_BIAS)
				acc += bias[j];
			if ((p->flags & TNPU_GEMM_RELU) && !(acc > 0.0f))
				acc = 0.0f;
			c[i * p->n + j] = acc;
		}
	}
	return true;
}

bool tnpu_gemm_i8(const struct tnpu_gemm_params *p, const int8_t *a, const int8_t *b,
		  const int32_t *bias, void *c, const volatile int *abort)
{
	bool tb = p->flags & TNPU_GEMM_TRANS_B;
	size_t i, j, l;

	for (i = 0; i < p->m; i++) {
		const int8_t *ar = a + i * p->k;

		if (tnpu_abort_requested(abort))
			return false;
		for (j = 0; j < p->n; j++) {
			/* |sum| <= 8192 * 128 * 128 = 2^27: no int32 overflow */
			int32_t dot = 0;
			int32_t acc;

			for (l = 0; l < p->k; l++)
				dot += (int32_t)ar[l] * (tb ? b[j * p->k + l] : b[l * p->n + j]);
			acc = dot;
			if (p->flags & TNPU_GEMM_BIAS)
				acc = (int32_t)((uint32_t)dot + (uint32_t)bias[j]);
			if (p->flags & TNPU_GEMM_OUT_I32) {
				if ((p->flags & TNPU_GEMM_RELU) && acc < 0)
					acc = 0;
				((int32_t *)c)[i * p->n + j] = acc;
			} else {
				((int8_t *)c)[i * p->n + j] = tnpu_requant(p, acc);
			}
		}
	}
	return true;
}
