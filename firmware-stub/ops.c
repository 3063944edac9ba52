// SPDX-License-Identifier: MIT
/*
 * ops.c - NOP, COPY, FILL and GEMM: validation of every field, then data
 * movement through the MMU.  COPY/FILL stream through a bounce buffer one
 * chunk at a time; GEMM gathers A, B and bias into packed host buffers,
 * computes, and scatters C.  A reset is noticed between chunks and rows.
 */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "ops.h"

#define CHUNK		TNPU_PAGE_SIZE

static bool aborted(const struct tnpu_exec *ex)
{
	return tnpu_abort_requested(ex->abort);
}

static uint32_t mmu_status(enum tnpu_mmu_result r)
{
	switch (r) {
	case TNPU_MMU_OK:
		return TNPU_JOB_OK;
	case TNPU_MMU_FAULTED:
		return TNPU_JOB_MMU_FAULT;
	default:
		return TNPU_JOB_DMA_ERROR;
	}
}

static uint32_t do_copy(struct tnpu_exec *ex, const struct tnpu_cmd_copy *c)
{
	uint8_t buf[CHUNK];
	uint64_t done;

	if (c->reserved || c->size == 0 || c->size > TNPU_COPY_MAX_SIZE)
		return TNPU_JOB_INVALID_ARG;
	/* overlapping ranges (sizes are <= 2^30, so no overflow below 2^64 - 2^30) */
	if (c->src < c->dst + c->size && c->dst < c->src + c->size)
		return TNPU_JOB_INVALID_ARG;
	for (done = 0; done < c->size; done += CHUNK) {
		size_t n = c->size - done < CHUNK ? (size_t)(c->size - done) : CHUNK;
		uint32_t st;

		if (aborted(ex))
			return TNPU_JOB_ABORTED;
		st = mmu_status(tnpu_mmu_read(ex->mmu, c->src + done, buf, n, &ex->fault));
		if (st == TNPU_JOB_OK)
			st = mmu_status(tnpu_mmu_write(ex->mmu, c->dst + done, buf, n, &ex->fault));
		if (st != TNPU_JOB_OK)
			return st;
	}
	return TNPU_JOB_OK;
}

static uint32_t do_fill(struct tnpu_exec *ex, const struct tnpu_cmd_fill *c)
{
	uint8_t buf[CHUNK];
	uint64_t done;
	size_t i;

	if (c->size < 4 || c->size % 4 || c->size > TNPU_COPY_MAX_SIZE)
		return TNPU_JOB_INVALID_ARG;
	/* chunks start at multiples of CHUNK, so the pattern phase is always 0 */
	for (i = 0; i < CHUNK; i += 4) {
		buf[i] = c->value & 0xff;
		buf[i + 1] = (c->value >> 8) & 0xff;
		buf[i + 2] = (c->value >> 16) & 0xff;
		buf[i + 3] = c->value >> 24;
	}
	for (done = 0; done < c->size; done += CHUNK) {
		size_t n = c->size - done < CHUNK ? (size_t)(c->size - done) : CHUNK;
		uint32_t st;

		if (aborted(ex))
			return TNPU_JOB_ABORTED;
		st = mmu_status(tnpu_mmu_write(ex->mmu, c->dst + done, buf, n, &ex->fault));
		if (st != TNPU_JOB_OK)
			return st;
	}
	return TNPU_JOB_OK;
}

static bool dim_ok(uint32_t d)
{
	return d >= 1 && d <= TNPU_GEMM_MAX_DIM;
}

static uint32_t gemm_check(const struct tnpu_cmd_gemm *g, uint32_t flags)
{
	if (g->dtype != TNPU_DTYPE_FP32 && g->dtype != TNPU_DTYPE_INT8)
		return TNPU_JOB_INVALID_ARG;
	if (flags & ~TNPU_GEMM_FLAGS_ALL)
		return TNPU_JOB_INVALID_ARG;
	if ((flags & TNPU_GEMM_OUT_I32) && g->dtype != TNPU_DTYPE_INT8)
		return TNPU_JOB_INVALID_ARG;
	if (!dim_ok(g->m) || !dim_ok(g->n) || !dim_ok(g->k))
		return TNPU_JOB_INVALID_ARG;
	if (g->lda < g->k || g->ldc < g->n ||
	    g->ldb < ((flags & TNPU_GEMM_TRANS_B) ? g->k : g->n))
		return TNPU_JOB_INVALID_ARG;
	if (g->q_shift > 62 || g->q_zero < -128 || g->q_zero > 127 || g->reserved)
		return TNPU_JOB_INVALID_ARG;
	return TNPU_JOB_OK;
}

/*
 * Allocate rows * cols elements of @es bytes, or NULL.  The 64-bit product
 * is at most 8192 * 8192 * 4 = 2^28, but size_t may be 32 bits.
 */
static void *alloc_matrix(uint32_t rows, uint32_t cols, uint32_t es)
{
	uint64_t bytes = (uint64_t)rows * cols * es;

	if (bytes > SIZE_MAX)
		return NULL;
	return malloc((size_t)bytes);
}

/* Copy a strided matrix from device memory into a packed buffer. */
static uint32_t gather(struct tnpu_exec *ex, uint64_t va, uint32_t rows, uint32_t cols,
		       uint32_t ld, uint32_t es, void *dst)
{
	uint64_t pitch = (uint64_t)ld * es, row_bytes = (uint64_t)cols * es;
	uint32_t r, st;

	if (ld == cols) /* contiguous: one transfer */
		return mmu_status(tnpu_mmu_read(ex->mmu, va, dst, row_bytes * rows, &ex->fault));
	for (r = 0; r < rows; r++) {
		if (aborted(ex))
			return TNPU_JOB_ABORTED;
		st = mmu_status(tnpu_mmu_read(ex->mmu, va + r * pitch,
					      (uint8_t *)dst + r * row_bytes, row_bytes,
					      &ex->fault));
		if (st != TNPU_JOB_OK)
			return st;
	}
	return TNPU_JOB_OK;
}

static uint32_t scatter(struct tnpu_exec *ex, uint64_t va, uint32_t rows, uint32_t cols,
			uint32_t ld, uint32_t es, const void *src)
{
	uint64_t pitch = (uint64_t)ld * es, row_bytes = (uint64_t)cols * es;
	uint32_t r, st;

	for (r = 0; r < rows; r++) {
		if (aborted(ex))
			return TNPU_JOB_ABORTED;
		st = mmu_status(tnpu_mmu_write(ex->mmu, va + r * pitch,
					       (const uint8_t *)src + r * row_bytes, row_bytes,
					       &ex->fault));
		if (st != TNPU_JOB_OK)
			return st;
	}
	return TNPU_JOB_OK;
}

static uint32_t do_gemm(struct tnpu_exec *ex, const struct tnpu_cmd_gemm *g, uint32_t flags)
{
	struct tnpu_gemm_params p = {
		.m = g->m, .n = g->n, .k = g->k, .flags = flags,
		.q_mult = g->q_mult, .q_shift = g->q_shift, .q_zero = g->q_zero,
	};
	bool i8 = g->dtype == TNPU_DTYPE_INT8;
	uint32_t es_in = i8 ? 1 : 4;
	uint32_t es_out = (i8 && !(flags & TNPU_GEMM_OUT_I32)) ? 1 : 4;
	bool tb = flags & TNPU_GEMM_TRANS_B;
	void *a, *b, *c, *bias = NULL;
	uint32_t st;
	bool done;

	st = gemm_check(g, flags);
	if (st != TNPU_JOB_OK)
		return st;

	a = alloc_matrix(g->m, g->k, es_in);
	b = alloc_matrix(g->k, g->n, es_in);
	c = alloc_matrix(g->m, g->n, es_out);
	if (flags & TNPU_GEMM_BIAS)
		bias = alloc_matrix(1, g->n, 4);	/* fp32 or int32 */
	if (!a || !b || !c || ((flags & TNPU_GEMM_BIAS) && !bias)) {
		st = TNPU_JOB_DMA_ERROR;
		goto out;
	}

	st = gather(ex, g->a, g->m, g->k, g->lda, es_in, a);
	if (st == TNPU_JOB_OK)
		st = tb ? gather(ex, g->b, g->n, g->k, g->ldb, es_in, b)
			: gather(ex, g->b, g->k, g->n, g->ldb, es_in, b);
	if (st == TNPU_JOB_OK && bias)
		st = gather(ex, g->bias, 1, g->n, g->n, 4, bias);
	if (st != TNPU_JOB_OK)
		goto out;

	if (i8)
		done = tnpu_gemm_i8(&p, a, b, bias, c, ex->abort);
	else
		done = tnpu_gemm_f32(&p, a, b, bias, c, ex->abort);
	st = done ? scatter(ex, g->c, g->m, g->n, g->ldc, es_out, c) : TNPU_JOB_ABORTED;
out:
	free(a);
	free(b);
	free(c);
	free(bias);
	return st;
}

/* Decode and run one command of @bytes bytes (already bounds-checked). */
static uint32_t run_one(struct tnpu_exec *ex, const uint8_t *cmd, uint32_t hdr)
{
	uint32_t op = TNPU_CMD_OP(hdr), flags = TNPU_CMD_FLAGS(hdr);
	uint32_t dw = TNPU_CMD_SIZE_DW(hdr);

	switch (op) {
	case TNPU_OP_NOP: {
		struct tnpu_cmd_nop c;

		if (dw != TNPU_CMD_NOP_DW)
			return TNPU_JOB_INVALID_CMD;
		memcpy(&c, cmd, sizeof(c));
		return (flags || c.reserved) ? TNPU_JOB_INVALID_ARG : TNPU_JOB_OK;
	}
	case TNPU_OP_COPY: {
		struct tnpu_cmd_copy c;

		if (dw != TNPU_CMD_COPY_DW)
			return TNPU_JOB_INVALID_CMD;
		memcpy(&c, cmd, sizeof(c));
		return flags ? TNPU_JOB_INVALID_ARG : do_copy(ex, &c);
	}
	case TNPU_OP_FILL: {
		struct tnpu_cmd_fill c;

		if (dw != TNPU_CMD_FILL_DW)
			return TNPU_JOB_INVALID_CMD;
		memcpy(&c, cmd, sizeof(c));
		return flags ? TNPU_JOB_INVALID_ARG : do_fill(ex, &c);
	}
	case TNPU_OP_GEMM: {
		struct tnpu_cmd_gemm c;

		if (dw != TNPU_CMD_GEMM_DW)
			return TNPU_JOB_INVALID_CMD;
		memcpy(&c, cmd, sizeof(c));
		return do_gemm(ex, &c, flags);
	}
	default:
		return TNPU_JOB_INVALID_CMD;
	}
}

uint32_t tnpu_ops_run(struct tnpu_exec *ex, const uint8_t *cmds, uint32_t size,
		      uint32_t *err_offset)
{
	uint32_t off = 0;

	*err_offset = 0;
	while (off < size) {
		uint32_t hdr, bytes, st;

		if (aborted(ex))
			return TNPU_JOB_ABORTED;
		*err_offset = off;
		if (size - off < 8)
			return TNPU_JOB_INVALID_CMD;
		memcpy(&hdr, cmds + off, sizeof(hdr));
		bytes = TNPU_CMD_SIZE_DW(hdr) * 4;
		if (bytes == 0 || bytes % 8 || bytes > size - off)
			return TNPU_JOB_INVALID_CMD;
		st = run_one(ex, cmds + off, hdr);
		if (st != TNPU_JOB_OK)
			return st;
		off += bytes;
	}
	*err_offset = 0;
	return TNPU_JOB_OK;
}
