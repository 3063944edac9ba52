// SPDX-License-Identifier: MIT
/*
 * test_jobs.c - jobs submitted through a real ring: NOP, COPY, FILL, GEMM,
 * completion (status, fence, COMPLETED, JOBS_DONE, interrupts), every bad
 * descriptor, bad commands and arguments, and MMU faults with the fault
 * record and the per-job fault_addr in the ring slot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cp_rig.h"

#define CMD_VA	0x100000ull
#define SRC_VA	0x200000ull
#define DST_VA	0x300000ull
#define RO_VA	0x400000ull
#define RW	(TNPU_PTE_READ | TNPU_PTE_WRITE)

struct stream {
	uint8_t buf[4096];
	uint32_t len;
};

static void put(struct stream *s, const void *cmd, size_t len)
{
	assert_true(s->len + len <= sizeof(s->buf));
	memcpy(s->buf + s->len, cmd, len);
	s->len += (uint32_t)len;
}

static void put_nop(struct stream *s)
{
	struct tnpu_cmd_nop c = { TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW), 0 };

	put(s, &c, sizeof(c));
}

static void put_copy(struct stream *s, uint64_t src, uint64_t dst, uint64_t size)
{
	struct tnpu_cmd_copy c = {
		TNPU_CMD_HDR(TNPU_OP_COPY, 0, TNPU_CMD_COPY_DW), 0, src, dst, size,
	};

	put(s, &c, sizeof(c));
}

static void put_fill(struct stream *s, uint64_t dst, uint64_t size, uint32_t value)
{
	struct tnpu_cmd_fill c = {
		TNPU_CMD_HDR(TNPU_OP_FILL, 0, TNPU_CMD_FILL_DW), value, dst, size,
	};

	put(s, &c, sizeof(c));
}

struct world {
	struct rig *r;
	uint8_t *src, *dst, *ro;
};

static int setup(void **state)
{
	static struct world w;

	w.r = rig_new();
	rig_boot(w.r, 4);
	assert_int_equal(rig_queue(w.r, 0, 8, 0), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(w.r, 1, 8, 0), TNPU_QSTATUS_ENABLED);
	w.src = fake_map_new(&w.r->f, 1, SRC_VA, 4 * TNPU_PAGE_SIZE, RW);
	w.dst = fake_map_new(&w.r->f, 1, DST_VA, 4 * TNPU_PAGE_SIZE, RW);
	w.ro = fake_map_new(&w.r->f, 1, RO_VA, TNPU_PAGE_SIZE, TNPU_PTE_READ);
	rig_wr(w.r, TNPU_REG_INT_STATUS, 0xffffffff);
	w.r->f.n_irqs = 0;
	memset(w.r->f.irq_count, 0, sizeof(w.r->f.irq_count));
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	rig_free(w->r);
	return 0;
}

/* Submit @s as one job on queue @q with @fence; run it; return its slot. */
static struct tnpu_job_desc *run(struct world *w, unsigned int q, const struct stream *s,
				 uint64_t fence)
{
	uint32_t slot;

	rig_cmds(w->r, CMD_VA, s->buf, s->len);
	slot = rig_submit(w->r, q, 1, CMD_VA, s->len, fence);
	assert_int_equal(rig_drain(w->r), 1);
	return rig_desc(w->r, q, slot);
}

static void test_nop_completion(void **state)
{
	struct world *w = *state;
	struct rig *r = w->r;
	struct stream s = { .len = 0 };
	struct tnpu_job_desc *d;

	put_nop(&s);
	put_nop(&s);
	d = run(w, 1, &s, 0x1122334455667788ull);
	assert_int_equal(d->status, TNPU_JOB_OK);
	assert_int_equal(d->err_offset, 0);
	assert_true(d->duration_ns > 0);
	assert_int_equal(d->fault_addr, 0);
	assert_int_equal(rig_fence(r, 1), 0x1122334455667788ull);
	assert_int_equal(rig_rd(r, TNPU_QREG(1, TNPU_QREG_COMPLETED)), 0x55667788);
	assert_int_equal(rig_rd(r, TNPU_QREG(1, TNPU_QREG_HEAD)), 1);
	assert_int_equal(rig_rd(r, TNPU_REG_JOBS_DONE), 1);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_QUEUE(1));
	assert_int_equal(r->f.n_irqs, 1);
	assert_int_equal(r->f.irqs[0], TNPU_VEC_QUEUE(1));
	assert_false(rig_rd(r, TNPU_REG_STATUS) & TNPU_STATUS_BUSY);
	/* the descriptor fields the host wrote are untouched */
	assert_int_equal(d->ctx, 1);
	assert_int_equal(d->cmd_addr, CMD_VA);
}

static void test_no_irq_flag_and_mask(void **state)
{
	struct world *w = *state;
	struct rig *r = w->r;
	struct stream s = { .len = 0 };
	struct tnpu_job_desc d = { .ctx = 1, .flags = TNPU_JOB_F_NO_IRQ, .cmd_addr = CMD_VA,
				   .cmd_size = 8, .fence_value = 3 };

	put_nop(&s);
	rig_cmds(r, CMD_VA, s.buf, s.len);
	rig_submit_desc(r, 0, &d);
	assert_int_equal(rig_drain(r), 1);
	assert_int_equal(rig_fence(r, 0), 3);
	assert_int_equal(rig_desc(r, 0, 0)->status, TNPU_JOB_OK);
	assert_int_equal(r->f.n_irqs, 0);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), 0);

	/* masked: status bit set, message held back until unmasked */
	rig_wr(r, TNPU_REG_INT_MASK, TNPU_INT_QUEUE(0));
	rig_submit(r, 0, 1, CMD_VA, 8, 4);
	assert_int_equal(rig_drain(r), 1);
	assert_int_equal(rig_fence(r, 0), 4);
	assert_int_equal(r->f.n_irqs, 0);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_QUEUE(0));
	rig_wr(r, TNPU_REG_INT_MASK, 0);
	assert_int_equal(r->f.n_irqs, 1);
	assert_int_equal(r->f.irqs[0], TNPU_VEC_QUEUE(0));
}

static void test_copy_across_pages(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	size_t i;

	for (i = 0; i < 3 * TNPU_PAGE_SIZE; i++)
		w->src[i] = (uint8_t)(i * 13 + 5);
	memset(w->dst, 0xee, 4 * TNPU_PAGE_SIZE);
	put_copy(&s, SRC_VA + 100, DST_VA + 3, 2 * TNPU_PAGE_SIZE + 77);
	assert_int_equal(run(w, 0, &s, 1)->status, TNPU_JOB_OK);
	assert_memory_equal(w->dst + 3, w->src + 100, 2 * TNPU_PAGE_SIZE + 77);
	assert_int_equal(w->dst[2], 0xee);
	assert_int_equal(w->dst[3 + 2 * TNPU_PAGE_SIZE + 77], 0xee);
}

static void test_fill(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	const uint32_t v = 0xa1b2c3d4;
	size_t i, n = TNPU_PAGE_SIZE + 8;

	memset(w->dst, 0, 4 * TNPU_PAGE_SIZE);
	put_fill(&s, DST_VA + 2, n, v);
	assert_int_equal(run(w, 0, &s, 1)->status, TNPU_JOB_OK);
	for (i = 0; i < n; i += 4)
		assert_memory_equal(w->dst + 2 + i, &v, 4);
	assert_int_equal(w->dst[1], 0);
	assert_int_equal(w->dst[2 + n], 0);
	/* little-endian byte order */
	assert_int_equal(w->dst[2], 0xd4);
}

static void test_stream_runs_in_order(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	const uint32_t v = 0x01020304;

	put_fill(&s, SRC_VA, 64, v);
	put_nop(&s);
	put_copy(&s, SRC_VA, DST_VA, 64);
	assert_int_equal(run(w, 0, &s, 9)->status, TNPU_JOB_OK);
	assert_memory_equal(w->dst, w->src, 64);
	assert_memory_equal(w->dst + 60, &v, 4);
}

/* Build a GEMM command. */
static struct tnpu_cmd_gemm gemm_cmd(uint32_t flags, uint32_t dtype, uint32_t m, uint32_t n,
				     uint32_t k)
{
	struct tnpu_cmd_gemm g = {
		.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, flags, TNPU_CMD_GEMM_DW),
		.dtype = dtype, .m = m, .n = n, .k = k,
		.lda = k, .ldb = (flags & TNPU_GEMM_TRANS_B) ? k : n, .ldc = n,
		.a = SRC_VA, .b = SRC_VA + 0x1000, .c = DST_VA, .bias = SRC_VA + 0x2000,
	};
	return g;
}

static void test_gemm_fp32_strided(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	/* A 2x3 with lda 4, B 3x2, bias, ReLU, C with ldc 3 */
	const float a[8] = { 1, 2, 3, 99, -4, 5, -6, 99 };
	const float b[6] = { 1, 0.5f, -1, 2, 0.25f, -3 };
	const float bias[2] = { 0.5f, 1 };
	struct tnpu_cmd_gemm g = gemm_cmd(TNPU_GEMM_BIAS | TNPU_GEMM_RELU, TNPU_DTYPE_FP32,
					  2, 2, 3);
	float c[6];

	memcpy(w->src, a, sizeof(a));
	memcpy(w->src + 0x1000, b, sizeof(b));
	memcpy(w->src + 0x2000, bias, sizeof(bias));
	memset(w->dst, 0x7f, 64);
	g.lda = 4;
	g.ldc = 3;
	put(&s, &g, sizeof(g));
	assert_int_equal(run(w, 0, &s, 1)->status, TNPU_JOB_OK);
	memcpy(c, w->dst, sizeof(c));
	/* row0: 1*1 + 2*-1 + 3*0.25 = -0.25 +0.5 = 0.25; 0.5 + 4 - 9 = -4.5 + 1 -> 0 */
	assert_true(c[0] == 0.25f);
	assert_true(c[1] == 0.0f);
	/* row1: -4 - 5 - 1.5 = -10.5 + 0.5 -> 0; -2 + 10 + 18 = 26 + 1 = 27 */
	assert_true(c[3] == 0.0f);
	assert_true(c[4] == 27.0f);
	/* the ldc padding column is untouched */
	assert_int_equal(w->dst[2 * 4], 0x7f);
	assert_int_equal(w->dst[5 * 4 + 3], 0x7f);
}

static void test_gemm_int8_trans_b(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	const int8_t a[4] = { 100, 100, -100, 3 };		/* 2x2 */
	const int8_t bt[4] = { 127, 127, -1, 2 };		/* B^T: 2x2 */
	const int32_t bias[2] = { 0, -7 };
	struct tnpu_cmd_gemm g = gemm_cmd(TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS, TNPU_DTYPE_INT8,
					  2, 2, 2);
	int8_t c[4];
	int32_t c32[4];

	memcpy(w->src, a, sizeof(a));
	memcpy(w->src + 0x1000, bt, sizeof(bt));
	memcpy(w->src + 0x2000, bias, sizeof(bias));
	g.q_mult = 1;
	g.q_shift = 4;
	g.q_zero = -1;
	put(&s, &g, sizeof(g));
	assert_int_equal(run(w, 0, &s, 1)->status, TNPU_JOB_OK);
	memcpy(c, w->dst, sizeof(c));
	/* acc: [25400, 100-7=93; -12319, 106-7=99] */
	assert_int_equal(c[0], 127);			/* saturated */
	assert_int_equal(c[1], ((93 + 8) >> 4) - 1);	/* 6 - 1 = 5 */
	assert_int_equal(c[2], -128);			/* saturated */
	assert_int_equal(c[3], ((99 + 8) >> 4) - 1);	/* 6 - 1 = 5 */

	/* the same with OUT_I32 and ReLU */
	s.len = 0;
	g.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS | TNPU_GEMM_RELU |
			     TNPU_GEMM_OUT_I32, TNPU_CMD_GEMM_DW);
	put(&s, &g, sizeof(g));
	assert_int_equal(run(w, 0, &s, 2)->status, TNPU_JOB_OK);
	memcpy(c32, w->dst, sizeof(c32));
	assert_int_equal(c32[0], 25400);
	assert_int_equal(c32[1], 93);
	assert_int_equal(c32[2], 0);
	assert_int_equal(c32[3], 99);
}

static void expect_desc_invalid(struct world *w, struct tnpu_job_desc d, uint64_t fence)
{
	uint32_t slot;

	d.fence_value = fence;
	slot = rig_submit_desc(w->r, 0, &d);
	assert_int_equal(rig_drain(w->r), 1);
	if (rig_desc(w->r, 0, slot)->status != TNPU_JOB_INVALID_DESC)
		fail_msg("descriptor case %llu: status %u", (unsigned long long)fence,
			 rig_desc(w->r, 0, slot)->status);
	/* the fence still advances so the driver sees the completion */
	assert_int_equal(rig_fence(w->r, 0), fence);
}

static void test_bad_descriptors(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	const struct tnpu_job_desc good = { .ctx = 1, .cmd_size = 8, .cmd_addr = CMD_VA };
	struct tnpu_job_desc d;
	unsigned int irqs;

	put_nop(&s);
	rig_cmds(w->r, CMD_VA, s.buf, s.len);
	d = good; d.ctx = 0;			expect_desc_invalid(w, d, 1);
	d = good; d.ctx = TNPU_NUM_CONTEXTS;	expect_desc_invalid(w, d, 2);
	d = good; d.ctx = 0xffff;		expect_desc_invalid(w, d, 3);
	d = good; d.flags = 2;			expect_desc_invalid(w, d, 4);
	d = good; d.cmd_size = 0;		expect_desc_invalid(w, d, 5);
	d = good; d.cmd_size = 12;		expect_desc_invalid(w, d, 6);
	d = good; d.cmd_size = TNPU_CMD_MAX_SIZE + 8;	expect_desc_invalid(w, d, 7);
	d = good; d.cmd_addr = CMD_VA + 4;	expect_desc_invalid(w, d, 8);
	d = good; d.reserved[0] = 1;		expect_desc_invalid(w, d, 9);
	d = good; d.reserved[1] = 1ull << 63;	expect_desc_invalid(w, d, 10);
	irqs = w->r->f.irq_count[TNPU_VEC_QUEUE(0)];
	assert_int_equal(irqs, 10);
	assert_int_equal(rig_rd(w->r, TNPU_REG_JOBS_DONE), 10);
	/* and the good one works */
	d = good;
	d.fence_value = 11;
	rig_submit_desc(w->r, 0, &d);
	assert_int_equal(rig_drain(w->r), 1);
	assert_int_equal(rig_desc(w->r, 0, 2)->status, TNPU_JOB_OK);
	assert_int_equal(rig_desc(w->r, 0, 2)->fault_addr, 0);
}

/* fault_addr is device-written: a host value at submit is a bad descriptor. */
static void test_bad_descriptor_fault_addr(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	struct tnpu_job_desc d = { .ctx = 1, .cmd_size = 8, .cmd_addr = CMD_VA };
	struct tnpu_job_desc *slot;
	uint32_t idx;

	put_nop(&s);
	rig_cmds(w->r, CMD_VA, s.buf, s.len);
	d.fault_addr = SRC_VA;
	expect_desc_invalid(w, d, 1);
	d.fault_addr = 1ull << 63;
	d.fence_value = 2;
	idx = rig_submit_desc(w->r, 0, &d);
	assert_int_equal(rig_drain(w->r), 1);
	slot = rig_desc(w->r, 0, idx);
	assert_int_equal(slot->status, TNPU_JOB_INVALID_DESC);
	/* the write-back replaces the host's value: no fault happened */
	assert_int_equal(slot->fault_addr, 0);
	assert_int_equal(slot->duration_ns, 0);
	/* never executed, so no fault record either */
	assert_int_equal(rig_rd(w->r, TNPU_REG_FAULT_STATUS), 0);
	assert_int_equal(rig_fence(w->r, 0), 2);
}

static void expect_cmd(struct world *w, const struct stream *s, uint32_t status,
		       uint32_t err_offset)
{
	struct tnpu_job_desc *d = run(w, 0, s, 1);

	if (d->status != status || d->err_offset != err_offset)
		fail_msg("status %u err_offset %u, expected %u at %u", d->status, d->err_offset,
			 status, err_offset);
}

static void test_bad_commands(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	uint32_t hdr[2] = { 0, 0 };

	/* unknown opcode after a good NOP */
	put_nop(&s);
	hdr[0] = TNPU_CMD_HDR(0x77, 0, 2);
	put(&s, hdr, 8);
	expect_cmd(w, &s, TNPU_JOB_INVALID_CMD, 8);
	/* size_dw 0, odd, beyond the stream, wrong for the opcode */
	s.len = 0;
	hdr[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, 0);
	put(&s, hdr, 8);
	expect_cmd(w, &s, TNPU_JOB_INVALID_CMD, 0);
	s.len = 0;
	hdr[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, 3);
	put(&s, hdr, 8);
	put(&s, hdr, 8);
	expect_cmd(w, &s, TNPU_JOB_INVALID_CMD, 0);
	s.len = 0;
	put_nop(&s);
	hdr[0] = TNPU_CMD_HDR(TNPU_OP_COPY, 0, TNPU_CMD_COPY_DW);
	put(&s, hdr, 8);	/* a COPY header with only 8 of its 32 bytes */
	expect_cmd(w, &s, TNPU_JOB_INVALID_CMD, 8);
	s.len = 0;
	hdr[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, 4);
	put(&s, hdr, 8);
	put(&s, hdr, 8);
	expect_cmd(w, &s, TNPU_JOB_INVALID_CMD, 0);
	/* NOP: flags or reserved */
	s.len = 0;
	hdr[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 1, 2);
	put(&s, hdr, 8);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0;
	hdr[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, 2);
	hdr[1] = 5;
	put(&s, hdr, 8);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
}

static void test_bad_copy_fill_args(void **state)
{
	struct world *w = *state;
	struct stream s;
	struct tnpu_cmd_copy c;

	s.len = 0; put_copy(&s, SRC_VA, DST_VA, 0);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_copy(&s, SRC_VA, DST_VA, TNPU_COPY_MAX_SIZE + 1);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_copy(&s, SRC_VA, SRC_VA + 10, 11);	/* overlap */
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_copy(&s, SRC_VA + 10, SRC_VA, 11);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_copy(&s, SRC_VA + 10, SRC_VA, 10);	/* adjacent is fine */
	expect_cmd(w, &s, TNPU_JOB_OK, 0);
	s.len = 0; put_nop(&s); put_copy(&s, SRC_VA, DST_VA, 8);
	memcpy(&c, s.buf + 8, sizeof(c));
	c.reserved = 1;
	memcpy(s.buf + 8, &c, sizeof(c));
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 8);
	s.len = 0; put_copy(&s, SRC_VA, DST_VA, 8);
	s.buf[1] = 1;	/* header flags */
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_fill(&s, DST_VA, 0, 1);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_fill(&s, DST_VA, 6, 1);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
	s.len = 0; put_fill(&s, DST_VA, TNPU_COPY_MAX_SIZE + 4, 1);
	expect_cmd(w, &s, TNPU_JOB_INVALID_ARG, 0);
}

static void expect_gemm_invalid(struct world *w, struct tnpu_cmd_gemm g, const char *what)
{
	struct stream s = { .len = 0 };
	struct tnpu_job_desc *d;

	put_nop(&s);
	put(&s, &g, sizeof(g));
	d = run(w, 0, &s, 1);
	if (d->status != TNPU_JOB_INVALID_ARG || d->err_offset != 8)
		fail_msg("GEMM %s: status %u err_offset %u", what, d->status, d->err_offset);
}

static void test_bad_gemm_args(void **state)
{
	struct world *w = *state;
	const struct tnpu_cmd_gemm ok = gemm_cmd(0, TNPU_DTYPE_FP32, 2, 2, 2);
	struct tnpu_cmd_gemm g;

	g = ok; g.m = 0;				expect_gemm_invalid(w, g, "m=0");
	g = ok; g.n = TNPU_GEMM_MAX_DIM + 1;		expect_gemm_invalid(w, g, "n");
	g = ok; g.k = 0; g.lda = 0;			expect_gemm_invalid(w, g, "k=0");
	g = ok; g.dtype = 2;				expect_gemm_invalid(w, g, "dtype");
	g = ok; g.hdr |= 0x10 << 8;			expect_gemm_invalid(w, g, "flags");
	g = ok; g.hdr |= TNPU_GEMM_OUT_I32 << 8;	expect_gemm_invalid(w, g, "OUT_I32 fp32");
	g = ok; g.lda = 1;				expect_gemm_invalid(w, g, "lda");
	g = ok; g.ldb = 1;				expect_gemm_invalid(w, g, "ldb");
	g = ok; g.ldc = 1;				expect_gemm_invalid(w, g, "ldc");
	g = gemm_cmd(TNPU_GEMM_TRANS_B, TNPU_DTYPE_INT8, 2, 8, 3);
	g.ldb = 2;					expect_gemm_invalid(w, g, "ldb trans");
	g = ok; g.q_shift = 63;				expect_gemm_invalid(w, g, "q_shift");
	g = ok; g.q_zero = 128;				expect_gemm_invalid(w, g, "q_zero hi");
	g = ok; g.q_zero = -129;			expect_gemm_invalid(w, g, "q_zero lo");
	g = ok; g.reserved = 1;				expect_gemm_invalid(w, g, "reserved");
	/* and the unmodified command is accepted */
	{
		struct stream s = { .len = 0 };

		put(&s, &ok, sizeof(ok));
		expect_cmd(w, &s, TNPU_JOB_OK, 0);
	}
}

static void expect_fault(struct world *w, uint32_t reason, bool write, uint64_t addr,
			 uint16_t ctx, unsigned int q)
{
	struct rig *r = w->r;
	uint32_t fs = rig_rd(r, TNPU_REG_FAULT_STATUS);

	assert_true(fs & TNPU_FAULT_VALID);
	assert_int_equal(TNPU_FAULT_REASON(fs), reason);
	assert_int_equal(!!(fs & TNPU_FAULT_WRITE), write);
	assert_int_equal(TNPU_FAULT_CTX(fs), ctx);
	assert_int_equal(TNPU_FAULT_QUEUE(fs), q);
	assert_int_equal(rig_rd(r, TNPU_REG_FAULT_ADDR_LO), (uint32_t)addr);
	assert_int_equal(rig_rd(r, TNPU_REG_FAULT_ADDR_HI), (uint32_t)(addr >> 32));
	assert_true(rig_rd(r, TNPU_REG_INT_STATUS) & TNPU_INT_MMU_FAULT);
	assert_true(r->f.irq_count[TNPU_VEC_DEVICE] > 0);
	/* RW1C: clear for the next one */
	rig_wr(r, TNPU_REG_FAULT_STATUS, TNPU_FAULT_VALID);
	rig_wr(r, TNPU_REG_INT_STATUS, TNPU_INT_MMU_FAULT);
	assert_int_equal(rig_rd(r, TNPU_REG_FAULT_STATUS), 0);
	memset(r->f.irq_count, 0, sizeof(r->f.irq_count));
}

static void test_fault_write_to_read_only(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	struct tnpu_job_desc *d;

	put_nop(&s);
	put_copy(&s, SRC_VA, RO_VA + 16, 32);
	d = run(w, 1, &s, 77);
	assert_int_equal(d->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(d->err_offset, 8);
	assert_int_equal(d->fault_addr, RO_VA + 16);
	assert_int_equal(rig_fence(w->r, 1), 77);
	assert_int_equal(w->r->f.irq_count[TNPU_VEC_QUEUE(1)], 1);
	expect_fault(w, TNPU_FAULT_PERMISSION, true, RO_VA + 16, 1, 1);
}

static void test_fault_unmapped_and_first_wins(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };

	struct tnpu_job_desc *d;

	/* read from an unmapped page (SRC mapping is 4 pages) */
	put_copy(&s, SRC_VA + 4 * TNPU_PAGE_SIZE - 8, DST_VA, 16);
	d = run(w, 0, &s, 1);
	assert_int_equal(d->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(d->fault_addr, SRC_VA + 4 * TNPU_PAGE_SIZE);
	/* a second fault while the record is valid does not overwrite it */
	s.len = 0;
	put_fill(&s, 0x7000000000ull, 4, 0);
	d = run(w, 0, &s, 2);
	assert_int_equal(d->status, TNPU_JOB_MMU_FAULT);
	/* but the job's own slot has its own address */
	assert_int_equal(d->fault_addr, 0x7000000000ull);
	expect_fault(w, TNPU_FAULT_NOT_MAPPED, false, SRC_VA + 4 * TNPU_PAGE_SIZE, 1, 0);
	/* after clearing, the next fault latches (beyond 39 bits: RANGE) */
	s.len = 0;
	put_fill(&s, 1ull << TNPU_VA_BITS, 4, 0);
	d = run(w, 0, &s, 3);
	assert_int_equal(d->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(d->fault_addr, 1ull << TNPU_VA_BITS);
	expect_fault(w, TNPU_FAULT_RANGE, true, 1ull << TNPU_VA_BITS, 1, 0);
}

/*
 * Two faulting jobs queued back to back, completed before the host looks at
 * anything: each ring slot holds its own job's address, while the latched
 * record keeps the first.  A good job between and after them reports 0.
 */
static void test_fault_addr_per_job(void **state)
{
	struct world *w = *state;
	struct rig *r = w->r;
	const uint64_t a1 = 0x5000000ull + 0x123, a2 = 0x6000000ull + 0x40;
	struct stream s1 = { .len = 0 }, s2 = { .len = 0 }, s3 = { .len = 0 };
	struct tnpu_job_desc *d1, *d2, *d3, *d4;
	uint32_t i1, i2, i3, i4;

	put_nop(&s1);
	put_fill(&s1, a1, 8, 0);		/* write fault at a1, err_offset 8 */
	put_copy(&s2, a2, DST_VA, 16);		/* read fault at a2, err_offset 0 */
	put_nop(&s3);
	rig_cmds(r, CMD_VA, s1.buf, s1.len);
	rig_cmds(r, CMD_VA + 0x10000, s2.buf, s2.len);
	rig_cmds(r, CMD_VA + 0x20000, s3.buf, s3.len);
	i1 = rig_submit(r, 0, 1, CMD_VA, s1.len, 1);
	i3 = rig_submit(r, 0, 1, CMD_VA + 0x20000, s3.len, 2);
	i2 = rig_submit(r, 0, 1, CMD_VA + 0x10000, s2.len, 3);
	i4 = rig_submit(r, 0, 1, CMD_VA + 0x20000, s3.len, 4);
	assert_int_equal(rig_drain(r), 4);
	d1 = rig_desc(r, 0, i1);
	d2 = rig_desc(r, 0, i2);
	d3 = rig_desc(r, 0, i3);
	d4 = rig_desc(r, 0, i4);
	assert_int_equal(d1->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(d1->err_offset, 8);
	assert_int_equal(d1->fault_addr, a1);
	assert_int_equal(d3->status, TNPU_JOB_OK);
	assert_int_equal(d3->fault_addr, 0);
	assert_int_equal(d2->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(d2->err_offset, 0);
	assert_int_equal(d2->fault_addr, a2);
	assert_int_equal(d4->status, TNPU_JOB_OK);
	assert_int_equal(d4->fault_addr, 0);
	assert_int_equal(rig_fence(r, 0), 4);
	/* the latched record is the first fault's, exactly as before */
	expect_fault(w, TNPU_FAULT_NOT_MAPPED, true, a1, 1, 0);
}

static void test_fault_bad_context_and_cmd_stream(void **state)
{
	struct world *w = *state;
	struct rig *r = w->r;
	uint32_t slot;

	/* context 9 was never set up */
	slot = rig_submit(r, 0, 9, CMD_VA, 8, 5);
	assert_int_equal(rig_drain(r), 1);
	assert_int_equal(rig_desc(r, 0, slot)->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(rig_desc(r, 0, slot)->fault_addr, CMD_VA);
	assert_int_equal(rig_fence(r, 0), 5);
	expect_fault(w, TNPU_FAULT_BAD_CONTEXT, false, CMD_VA, 9, 0);
	/* command stream address not mapped */
	slot = rig_submit(r, 0, 1, 0x5550000, 16, 6);
	assert_int_equal(rig_drain(r), 1);
	assert_int_equal(rig_desc(r, 0, slot)->status, TNPU_JOB_MMU_FAULT);
	assert_int_equal(rig_desc(r, 0, slot)->err_offset, 0);
	assert_int_equal(rig_desc(r, 0, slot)->fault_addr, 0x5550000);
	expect_fault(w, TNPU_FAULT_NOT_MAPPED, false, 0x5550000, 1, 0);
}

static void test_fault_bad_upper_entry(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	uint64_t *e = fake_pte(&w->r->f, 1, DST_VA, 1);

	assert_non_null(e);
	*e |= TNPU_PTE_WRITE;	/* permission bits are not allowed above the leaf */
	put_fill(&s, DST_VA, 4, 1);
	assert_int_equal(run(w, 0, &s, 1)->status, TNPU_JOB_MMU_FAULT);
	expect_fault(w, TNPU_FAULT_BAD_ENTRY, true, DST_VA, 1, 0);
	*e &= ~TNPU_PTE_WRITE;
}

static void test_dma_error(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };

	/* a valid mapping to a bus address that is not RAM */
	fake_map(&w->r->f, 1, 0x900000, 0x7f0000000000ull, TNPU_PAGE_SIZE, RW);
	struct tnpu_job_desc *d;

	put_fill(&s, 0x900000, 64, 1);
	d = run(w, 0, &s, 1);
	assert_int_equal(d->status, TNPU_JOB_DMA_ERROR);
	/* not an MMU fault: no record, no address */
	assert_int_equal(d->fault_addr, 0);
	assert_int_equal(rig_rd(w->r, TNPU_REG_FAULT_STATUS), 0);
}

static void test_out_of_memory_is_dma_error(void **state)
{
	struct world *w = *state;
	struct stream s = { .len = 0 };
	struct tnpu_cmd_gemm g = gemm_cmd(0, TNPU_DTYPE_FP32, 2, 2, 2);
	uint32_t slot;
	int budget;

	put(&s, &g, sizeof(g));
	rig_cmds(w->r, CMD_VA, s.buf, s.len);
	/* 0: the command-stream buffer, 1..3: A, B, C */
	for (budget = 0; budget <= 3; budget++) {
		slot = rig_submit(w->r, 0, 1, CMD_VA, s.len, (uint64_t)budget + 1);
		fake_malloc_budget = budget;
		assert_int_equal(rig_drain(w->r), 1);
		fake_malloc_budget = -1;
		assert_int_equal(rig_desc(w->r, 0, slot)->status, TNPU_JOB_DMA_ERROR);
		assert_int_equal(rig_fence(w->r, 0), (uint64_t)budget + 1);
	}
	/* with memory it works */
	slot = rig_submit(w->r, 0, 1, CMD_VA, s.len, 9);
	assert_int_equal(rig_drain(w->r), 1);
	assert_int_equal(rig_desc(w->r, 0, slot)->status, TNPU_JOB_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nop_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_irq_flag_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_runs_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gemm_fp32_strided, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gemm_int8_trans_b, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_descriptor_fault_addr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_copy_fill_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_gemm_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_write_to_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_unmapped_and_first_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_addr_per_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_bad_context_and_cmd_stream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_bad_upper_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory_is_dma_error, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
