// SPDX-License-Identifier: MIT
/*
 * cmd.c - command-stream builder and op encoders.
 *
 * Each encoder checks its arguments with the device's rules (tnpu_hw.h) so
 * that a mistake is reported at the call that made it, with a message,
 * instead of as TNPU_JOB_INVALID_ARG from a job later.  Addresses are not
 * checked against the address space: a wrong address is the MMU's to
 * report (and tests rely on provoking faults).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tnpu_internal.h"

/* Commands are written as host structs; the device is little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host required");

struct tnpu_cmdbuf {
	uint8_t *data;
	size_t size;
	size_t cap;
};

int tnpu_cmdbuf_create(struct tnpu_cmdbuf **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : tnpu_err(-ENOMEM, "out of memory");
}

void tnpu_cmdbuf_destroy(struct tnpu_cmdbuf *cb)
{
	if (!cb)
		return;
	free(cb->data);
	free(cb);
}

void tnpu_cmdbuf_reset(struct tnpu_cmdbuf *cb)
{
	cb->size = 0;
}

const void *tnpu_cmdbuf_data(const struct tnpu_cmdbuf *cb)
{
	return cb->data;
}

size_t tnpu_cmdbuf_size(const struct tnpu_cmdbuf *cb)
{
	return cb->size;
}

/* Append @len bytes; returns the offset they start at. */
static int emit(struct tnpu_cmdbuf *cb, const void *cmd, size_t len)
{
	int off;

	if (cb->size + len > TNPU_CMD_MAX_SIZE)
		return tnpu_err(-E2BIG, "command stream would exceed %u bytes", TNPU_CMD_MAX_SIZE);
	if (cb->size + len > cb->cap) {
		size_t cap = cb->cap ? cb->cap * 2 : 256;
		uint8_t *p;

		while (cap < cb->size + len)
			cap *= 2;
		p = realloc(cb->data, cap);
		if (!p)
			return tnpu_err(-ENOMEM, "out of memory");
		cb->data = p;
		cb->cap = cap;
	}
	memcpy(cb->data + cb->size, cmd, len);
	off = (int)cb->size;
	cb->size += len;
	return off;
}

int tnpu_cmd_nop(struct tnpu_cmdbuf *cb)
{
	struct tnpu_cmd_nop c = {
		.hdr = TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW),
	};

	return emit(cb, &c, sizeof(c));
}

int tnpu_cmd_raw(struct tnpu_cmdbuf *cb, const void *data, size_t len)
{
	if (!len || len % 4 || !data)
		return tnpu_err(-EINVAL, "raw: length %zu is not a non-zero multiple of 4", len);
	if (len > TNPU_CMD_MAX_SIZE)
		return tnpu_err(-E2BIG, "command stream would exceed %u bytes", TNPU_CMD_MAX_SIZE);
	return emit(cb, data, len);
}

/* True if [addr, addr + size) wraps around the 64-bit space. */
static bool wraps(uint64_t addr, uint64_t size)
{
	return size && addr + (size - 1) < addr;
}

int tnpu_cmd_copy(struct tnpu_cmdbuf *cb, uint64_t dst, uint64_t src, uint64_t size)
{
	struct tnpu_cmd_copy c;

	if (!size || size > TNPU_COPY_MAX_SIZE)
		return tnpu_err(-EINVAL, "copy: size %llu not in 1..%llu",
				(unsigned long long)size, (unsigned long long)TNPU_COPY_MAX_SIZE);
	if (wraps(src, size) || wraps(dst, size))
		return tnpu_err(-EINVAL, "copy: range wraps around the address space");
	if (src < dst + size && dst < src + size)
		return tnpu_err(-EINVAL, "copy: source 0x%llx and destination 0x%llx overlap "
				"(%llu bytes)", (unsigned long long)src, (unsigned long long)dst,
				(unsigned long long)size);
	memset(&c, 0, sizeof(c));
	c.hdr = TNPU_CMD_HDR(TNPU_OP_COPY, 0, TNPU_CMD_COPY_DW);
	c.src = src;
	c.dst = dst;
	c.size = size;
	return emit(cb, &c, sizeof(c));
}

int tnpu_cmd_fill(struct tnpu_cmdbuf *cb, uint64_t dst, uint32_t value, uint64_t size)
{
	struct tnpu_cmd_fill c;

	if (size < 4 || size > TNPU_COPY_MAX_SIZE || size % 4)
		return tnpu_err(-EINVAL, "fill: size %llu not a multiple of 4 in 4..%llu",
				(unsigned long long)size, (unsigned long long)TNPU_COPY_MAX_SIZE);
	if (wraps(dst, size))
		return tnpu_err(-EINVAL, "fill: range wraps around the address space");
	memset(&c, 0, sizeof(c));
	c.hdr = TNPU_CMD_HDR(TNPU_OP_FILL, 0, TNPU_CMD_FILL_DW);
	c.value = value;
	c.dst = dst;
	c.size = size;
	return emit(cb, &c, sizeof(c));
}

/* Bytes a rows x cols matrix with stride ld spans; false if it wraps at @addr. */
static bool matrix_ok(uint64_t addr, uint32_t rows, uint32_t cols, uint32_t ld, uint32_t esize)
{
	/* All factors are below 2^32, so the span fits in 64 bits. */
	uint64_t span = ((uint64_t)(rows - 1) * ld + cols) * esize;

	return !wraps(addr, span);
}

int tnpu_cmd_gemm(struct tnpu_cmdbuf *cb, const struct tnpu_gemm *g)
{
	struct tnpu_cmd_gemm c;
	bool trans_b = g->flags & TNPU_GEMM_TRANS_B;
	uint32_t lda, ldb, ldc, in_size, out_size;

	if (g->dtype != TNPU_DTYPE_FP32 && g->dtype != TNPU_DTYPE_INT8)
		return tnpu_err(-EINVAL, "gemm: unknown dtype %u", g->dtype);
	if (g->flags & ~TNPU_GEMM_FLAGS_ALL)
		return tnpu_err(-EINVAL, "gemm: unknown flags 0x%x", g->flags & ~TNPU_GEMM_FLAGS_ALL);
	if ((g->flags & TNPU_GEMM_OUT_I32) && g->dtype != TNPU_DTYPE_INT8)
		return tnpu_err(-EINVAL, "gemm: TNPU_GEMM_OUT_I32 needs dtype int8");
	if (!g->m || !g->n || !g->k || g->m > TNPU_GEMM_MAX_DIM || g->n > TNPU_GEMM_MAX_DIM ||
	    g->k > TNPU_GEMM_MAX_DIM)
		return tnpu_err(-EINVAL, "gemm: dims m=%u n=%u k=%u not in 1..%u",
				g->m, g->n, g->k, TNPU_GEMM_MAX_DIM);
	lda = g->lda ? g->lda : g->k;
	ldb = g->ldb ? g->ldb : (trans_b ? g->k : g->n);
	ldc = g->ldc ? g->ldc : g->n;
	if (lda < g->k)
		return tnpu_err(-EINVAL, "gemm: lda %u < k %u", lda, g->k);
	if (ldb < (trans_b ? g->k : g->n))
		return tnpu_err(-EINVAL, "gemm: ldb %u < %s %u", ldb, trans_b ? "k" : "n",
				trans_b ? g->k : g->n);
	if (ldc < g->n)
		return tnpu_err(-EINVAL, "gemm: ldc %u < n %u", ldc, g->n);
	if (g->q_shift > 62)
		return tnpu_err(-EINVAL, "gemm: q_shift %u > 62", g->q_shift);
	if (g->q_zero < -128 || g->q_zero > 127)
		return tnpu_err(-EINVAL, "gemm: q_zero %d not in -128..127", g->q_zero);
	if (g->dtype == TNPU_DTYPE_FP32 && (g->q_mult || g->q_shift || g->q_zero))
		return tnpu_err(-EINVAL, "gemm: quantization parameters given for fp32");

	in_size = g->dtype == TNPU_DTYPE_FP32 ? 4 : 1;
	out_size = g->dtype == TNPU_DTYPE_INT8 && !(g->flags & TNPU_GEMM_OUT_I32) ? 1 : 4;
	if (!matrix_ok(g->a, g->m, g->k, lda, in_size) ||
	    !matrix_ok(g->b, trans_b ? g->n : g->k, trans_b ? g->k : g->n, ldb, in_size) ||
	    !matrix_ok(g->c, g->m, g->n, ldc, out_size) ||
	    ((g->flags & TNPU_GEMM_BIAS) && wraps(g->bias, (uint64_t)g->n * 4)))
		return tnpu_err(-EINVAL, "gemm: an operand wraps around the address space");

	memset(&c, 0, sizeof(c));
	c.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, g->flags, TNPU_CMD_GEMM_DW);
	c.dtype = g->dtype;
	c.m = g->m;
	c.n = g->n;
	c.k = g->k;
	c.lda = lda;
	c.ldb = ldb;
	c.ldc = ldc;
	c.a = g->a;
	c.b = g->b;
	c.c = g->c;
	c.bias = g->bias;
	c.q_mult = g->q_mult;
	c.q_shift = g->q_shift;
	c.q_zero = g->q_zero;
	return emit(cb, &c, sizeof(c));
}
