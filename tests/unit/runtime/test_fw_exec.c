// SPDX-License-Identifier: MIT
/*
 * test_fw_exec.c - libtnpu against the device's own command executor.
 *
 * The fake kernel's jobs run through firmware-stub's tnpu_ops_run() (the
 * code the QEMU device embeds), with an MMU context whose page tables map
 * every fake buffer by host address.  This checks the encoders and the
 * model session against the real device semantics: bit-identical logits,
 * real fault/invalid reporting, and that the encoders reject exactly what
 * the device rejects.
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
#include "mmu.h"
#include "ops.h"

#define SHIPPED_MODEL	TNPU_MODEL_DIR "/digits-mlp.tnm"
#define SHIPPED_DATA	TNPU_MODEL_DIR "/digits-test.tnd"
#define CTX		1

/* ---- identity-mapped HAL: bus address == host address ---- */
static int hal_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	(void)opaque;
	if (!addr)
		return -1;
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return 0;
}

static int hal_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
	(void)opaque;
	if (!addr)
		return -1;
	memcpy((void *)(uintptr_t)addr, buf, len);
	return 0;
}

static const struct tnpu_hal hal = { .dma_read = hal_read, .dma_write = hal_write };

#define MAX_TABLES 64
static void *tables[MAX_TABLES];
static int num_tables;

static uint64_t *new_table(size_t size)
{
	void *t = aligned_alloc(4096, size);

	assert_true(num_tables < MAX_TABLES);
	assert_non_null(t);
	memset(t, 0, size);
	tables[num_tables++] = t;
	return t;
}

static void free_tables(void)
{
	while (num_tables)
		free(tables[--num_tables]);
}

static uint64_t bus(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t *next_level(uint64_t *table, unsigned int idx)
{
	if (!(table[idx] & TNPU_PTE_VALID))
		table[idx] = bus(new_table(4096)) | TNPU_PTE_VALID;
	return (uint64_t *)(uintptr_t)(table[idx] & TNPU_PTE_ADDR_MASK);
}

/* Context table with context CTX mapping every live fake buffer. */
static uint64_t build_context(void)
{
	struct tnpu_ctx_entry *ctx = (struct tnpu_ctx_entry *)new_table(4096);
	uint64_t *l2 = new_table(4096);

	ctx[CTX].pt_root = bus(l2) | TNPU_CTX_VALID;
	for (int i = 0; i < FAKE_MAX_BOS; i++) {
		struct fake_bo *b = &fake.bos[i];

		if (!b->used)
			continue;
		for (uint64_t off = 0; off < b->size; off += 4096) {
			uint64_t va = b->va + off;
			uint64_t *l1 = next_level(l2, TNPU_PT_INDEX(va, 2));
			uint64_t *l0 = next_level(l1, TNPU_PT_INDEX(va, 1));

			l0[TNPU_PT_INDEX(va, 0)] = bus(b->mem + off) | TNPU_PTE_VALID |
				TNPU_PTE_READ |
				((b->flags & DRM_TNPU_BO_DEVICE_RO) ? 0 : TNPU_PTE_WRITE);
		}
	}
	return bus(ctx);
}

static const volatile int no_abort;
static struct tnpu_mmu_fault last_fault;

static uint32_t fw_run(const uint8_t *cs, uint32_t size, uint32_t *err_off)
{
	struct tnpu_mmu mmu;
	struct tnpu_exec ex;
	uint32_t st;

	tnpu_mmu_init(&mmu, &hal, build_context(), CTX);
	memset(&ex, 0, sizeof(ex));
	ex.mmu = &mmu;
	ex.abort = &no_abort;
	st = tnpu_ops_run(&ex, cs, size, err_off);
	last_fault = ex.fault;
	free_tables();
	return st;
}

static int setup(void **state)
{
	fake_setup(state);
	fake.exec = fw_run;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	return 0;
}

static struct tnpu_device *open_dev(void)
{
	struct tnpu_device *dev;

	assert_int_equal(tnpu_device_open(TNPU_ANY, &dev), 0);
	return dev;
}

/* ---- tests ---- */

static void test_model_bit_exact_on_firmware(void **state)
{
	struct tnpu_device *dev = open_dev();
	struct tnpu_mlp_session *s;
	struct tnpu_dataset *d;
	struct tnpu_mlp *m;
	struct tnpu_job_result r;
	const uint32_t batch = 128;
	float *npu, *cpu;
	uint32_t n;

	(void)state;
	assert_int_equal(tnpu_mlp_load(SHIPPED_MODEL, &m), 0);
	assert_int_equal(tnpu_dataset_load(SHIPPED_DATA, &d), 0);
	n = d->num_samples;
	npu = calloc((size_t)n * 10, sizeof(float));
	cpu = calloc((size_t)n * 10, sizeof(float));
	assert_int_equal(tnpu_mlp_session_create(dev, m, batch, 0, &s), 0);
	for (uint32_t first = 0; first < n; first += batch) {
		uint32_t rows = n - first < batch ? n - first : batch;

		assert_int_equal(tnpu_mlp_session_run(s, d->features + (size_t)first * 64, rows,
						      npu + (size_t)first * 10, &r), 0);
		assert_int_equal(r.hw_status, TNPU_JOB_OK);
	}
	assert_int_equal(tnpu_mlp_forward_cpu(m, d->features, n, cpu), 0);
	assert_memory_equal(npu, cpu, (size_t)n * 10 * sizeof(float));
	tnpu_mlp_session_destroy(s);
	free(npu);
	free(cpu);
	tnpu_dataset_free(d);
	tnpu_mlp_free(m);
	tnpu_device_close(dev);
}

static void test_copy_fill_on_firmware(void **state)
{
	struct tnpu_device *dev = open_dev();
	struct tnpu_bo *a, *b;
	struct tnpu_cmdbuf *cb;
	const uint32_t *w;

	(void)state;
	assert_int_equal(tnpu_bo_alloc(dev, 8192, 0, &a), 0);
	assert_int_equal(tnpu_bo_alloc(dev, 8192, 0, &b), 0);
	assert_int_equal(tnpu_cmdbuf_create(&cb), 0);
	/* spans a page boundary on both sides */
	assert_int_equal(tnpu_cmd_fill(cb, a->addr + 4000, 0xa5a5a5a5, 400), 0);
	assert_int_equal(tnpu_cmd_copy(cb, b->addr + 8, a->addr + 4000, 400), 24);
	{
		struct tnpu_bo *bos[] = { a, b };

		assert_int_equal(tnpu_run(dev, cb, bos, 2, 0, 1000000000, NULL), 0);
	}
	w = b->map;
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 0xa5a5a5a5);
	assert_int_equal(w[2 + 99], 0xa5a5a5a5);
	assert_int_equal(w[2 + 100], 0);
	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(a);
	tnpu_bo_free(b);
	assert_int_equal(fake_live_bos(), 0);
	tnpu_device_close(dev);
}

static void test_faults_and_invalid_on_firmware(void **state)
{
	struct tnpu_device *dev = open_dev();
	struct tnpu_bo *rw, *ro;
	struct tnpu_cmdbuf *cb;
	struct tnpu_job_result r;
	const uint32_t bad_op[2] = { TNPU_CMD_HDR(0x7f, 0, 2), 0 };
	const uint32_t nop_flags[2] = { TNPU_CMD_HDR(TNPU_OP_NOP, 1, 2), 0 };
	struct tnpu_bo *bos[2];

	(void)state;
	assert_int_equal(tnpu_bo_alloc(dev, 4096, 0, &rw), 0);
	assert_int_equal(tnpu_bo_alloc(dev, 4096, TNPU_BO_DEVICE_RO, &ro), 0);
	bos[0] = rw;
	bos[1] = ro;
	assert_int_equal(tnpu_cmdbuf_create(&cb), 0);

	/* write to a device-read-only buffer: an MMU fault at that command */
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	assert_int_equal(tnpu_cmd_fill(cb, ro->addr, 1, 16), 8);
	assert_int_equal(tnpu_run(dev, cb, bos, 2, 0, 1000000000, &r), -EIO);
	assert_int_equal(r.status, TNPU_STATUS_FAULT);
	assert_int_equal(r.err_offset, 8);
	assert_int_equal(last_fault.reason, TNPU_FAULT_PERMISSION);

	/* unmapped address */
	tnpu_cmdbuf_reset(cb);
	assert_int_equal(tnpu_cmd_copy(cb, rw->addr, 0x7000000000ull, 64), 0);
	assert_int_equal(tnpu_run(dev, cb, bos, 2, 0, 1000000000, &r), -EIO);
	assert_int_equal(r.status, TNPU_STATUS_FAULT);
	assert_int_equal(last_fault.reason, TNPU_FAULT_NOT_MAPPED);

	/* raw malformed commands: unknown opcode, flags on a NOP */
	tnpu_cmdbuf_reset(cb);
	assert_int_equal(tnpu_cmd_nop(cb), 0);
	assert_int_equal(tnpu_cmd_raw(cb, bad_op, sizeof(bad_op)), 8);
	assert_int_equal(tnpu_run(dev, cb, bos, 2, 0, 1000000000, &r), -EIO);
	assert_int_equal(r.status, TNPU_STATUS_INVALID);
	assert_int_equal(r.hw_status, TNPU_JOB_INVALID_CMD);
	assert_int_equal(r.err_offset, 8);
	tnpu_cmdbuf_reset(cb);
	assert_int_equal(tnpu_cmd_raw(cb, nop_flags, sizeof(nop_flags)), 0);
	assert_int_equal(tnpu_run(dev, cb, bos, 2, 0, 1000000000, &r), -EIO);
	assert_int_equal(r.hw_status, TNPU_JOB_INVALID_ARG);

	tnpu_cmdbuf_destroy(cb);
	tnpu_bo_free(rw);
	tnpu_bo_free(ro);
	tnpu_device_close(dev);
}

/* The device's verdict on one raw GEMM: true if it rejects the arguments. */
static bool device_rejects(const struct tnpu_gemm *g)
{
	struct tnpu_cmd_gemm c;
	uint32_t err;

	memset(&c, 0, sizeof(c));
	c.hdr = TNPU_CMD_HDR(TNPU_OP_GEMM, g->flags & 0xff, TNPU_CMD_GEMM_DW);
	c.dtype = g->dtype;
	c.m = g->m;
	c.n = g->n;
	c.k = g->k;
	c.lda = g->lda;
	c.ldb = g->ldb;
	c.ldc = g->ldc;
	c.a = g->a;
	c.b = g->b;
	c.c = g->c;
	c.bias = g->bias;
	c.q_mult = g->q_mult;
	c.q_shift = g->q_shift;
	c.q_zero = g->q_zero;
	/* Nothing is mapped: a GEMM the device accepts ends in an MMU fault. */
	return fw_run((const uint8_t *)&c, sizeof(c), &err) == TNPU_JOB_INVALID_ARG;
}

static void test_encoder_rejects_what_device_rejects(void **state)
{
	static const struct {
		const char *what;
		int field;	/* which member to set */
		int64_t value;
	} cases[] = {
		{ "valid", -1, 0 },
		{ "dtype 2", 0, 2 }, { "flags 0x10", 1, 0x10 }, { "flags 0x80", 1, 0x80 },
		{ "OUT_I32 fp32", 1, TNPU_GEMM_OUT_I32 },
		{ "m 0", 2, 0 }, { "m max", 2, TNPU_GEMM_MAX_DIM },
		{ "m max+1", 2, TNPU_GEMM_MAX_DIM + 1 },
		{ "n 0", 3, 0 }, { "n max+1", 3, TNPU_GEMM_MAX_DIM + 1 },
		{ "k 0", 4, 0 }, { "k max+1", 4, TNPU_GEMM_MAX_DIM + 1 },
		{ "lda < k", 5, 15 }, { "lda > k", 5, 17 },
		{ "ldb < k", 6, 15 }, { "ldb > k", 6, 100 },
		{ "ldc < n", 7, 7 }, { "ldc > n", 7, 9 },
		{ "int8 q_shift 62", 8, 62 }, { "int8 q_shift 63", 8, 63 },
		{ "int8 q_zero 127", 9, 127 }, { "int8 q_zero 128", 9, 128 },
		{ "int8 q_zero -128", 9, -128 }, { "int8 q_zero -129", 9, -129 },
		{ "int8 OUT_I32", 10, 0 },
	};
	struct tnpu_cmdbuf *cb;

	(void)state;
	assert_int_equal(tnpu_cmdbuf_create(&cb), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tnpu_gemm g = {
			.dtype = TNPU_DTYPE_FP32, .flags = TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS,
			.m = 4, .n = 8, .k = 16, .lda = 16, .ldb = 16, .ldc = 8,
			.a = 0x1000000, .b = 0x2000000, .c = 0x3000000, .bias = 0x4000000,
		};
		bool lib, dev;

		switch (cases[i].field) {
		case 0:
			g.dtype = (uint32_t)cases[i].value;
			break;
		case 1:
			g.flags = (uint32_t)cases[i].value;
			break;
		case 2:
			g.m = (uint32_t)cases[i].value;
			break;
		case 3:
			g.n = (uint32_t)cases[i].value;
			g.ldc = TNPU_GEMM_MAX_DIM + 1;
			break;
		case 4:
			g.k = (uint32_t)cases[i].value;
			g.lda = TNPU_GEMM_MAX_DIM + 1;
			g.ldb = TNPU_GEMM_MAX_DIM + 1;
			break;
		case 5:
			g.lda = (uint32_t)cases[i].value;
			break;
		case 6:
			g.ldb = (uint32_t)cases[i].value;
			break;
		case 7:
			g.ldc = (uint32_t)cases[i].value;
			break;
		case 8:
			g.dtype = TNPU_DTYPE_INT8;
			g.q_shift = (uint32_t)cases[i].value;
			break;
		case 9:
			g.dtype = TNPU_DTYPE_INT8;
			g.q_zero = (int32_t)cases[i].value;
			break;
		case 10:
			g.dtype = TNPU_DTYPE_INT8;
			g.flags |= TNPU_GEMM_OUT_I32;
			break;
		default:
			break;
		}
		tnpu_cmdbuf_reset(cb);
		lib = tnpu_cmd_gemm(cb, &g) < 0;
		dev = device_rejects(&g);
		if (lib != dev)
			fail_msg("%s: library %s, device %s", cases[i].what,
				 lib ? "rejects" : "accepts", dev ? "rejects" : "accepts");
	}
	/* The one documented difference: q parameters on fp32 (library only). */
	{
		struct tnpu_gemm g = {
			.dtype = TNPU_DTYPE_FP32, .m = 1, .n = 1, .k = 1, .lda = 1, .ldb = 1,
			.ldc = 1, .a = 0x1000000, .b = 0x2000000, .c = 0x3000000, .q_mult = 3,
		};

		assert_true(tnpu_cmd_gemm(cb, &g) < 0);
		assert_false(device_rejects(&g));
	}
	tnpu_cmdbuf_destroy(cb);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_model_bit_exact_on_firmware),
		T(test_copy_fill_on_firmware),
		T(test_faults_and_invalid_on_firmware),
		T(test_encoder_rejects_what_device_rejects),
	};

	return cmocka_run_group_tests_name("runtime_fw_exec", tests, NULL, NULL);
}
