/* SPDX-License-Identifier: MIT */
/*
 * gemm.h - the GEMM engines as pure functions on packed host buffers.
 *
 * A is m x k, B is k x n (or n x k with TNPU_GEMM_TRANS_B), C is m x n, all
 * packed (leading dimension = row length); bias has n entries.  The engines
 * poll *abort between rows and return false if it was set (C is then only
 * partly written).
 */
#ifndef TNPU_GEMM_H
#define TNPU_GEMM_H

#include <stdbool.h>
#include <stdint.h>

struct tnpu_gemm_params {
	uint32_t m, n, k;
	uint32_t flags;		/* TNPU_GEMM_* */
	int32_t q_mult;
	uint32_t q_shift;	/* 0..62 */
	int32_t q_zero;		/* -128..127 */
};

/* FP32: C = relu?(sum_k A*B (+ bias)), summed in float with k ascending. */
bool tnpu_gemm_f32(const struct tnpu_gemm_params *p, const float *a, const float *b,
		   const float *bias, float *c, const volatile int *abort);

/*
 * INT8: acc = sum_k A*B in int32, plus bias (wrapping modulo 2^32).  With
 * TNPU_GEMM_OUT_I32, @c is int32_t[] holding relu?(acc); otherwise @c is
 * int8_t[] holding tnpu_requant(acc).
 */
bool tnpu_gemm_i8(const struct tnpu_gemm_params *p, const int8_t *a, const int8_t *b,
		  const int32_t *bias, void *c, const volatile int *abort);

/*
 * Poll a reset's abort flag.  Written under the device lock, read by the
 * worker without it: a relaxed atomic load (QEMU's qatomic_read).
 */
static inline bool tnpu_abort_requested(const volatile int *abort)
{
	return abort && __atomic_load_n(abort, __ATOMIC_RELAXED);
}

/* The requantization of tnpu_hw.h (including ReLU if p->flags has it). */
int8_t tnpu_requant(const struct tnpu_gemm_params *p, int32_t acc);

#endif /* TNPU_GEMM_H */
