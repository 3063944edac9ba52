// SPDX-License-Identifier: MIT
/*
 * test_cp.c - the command processor through its registers: identity, boot
 * handshake, interrupts, queue configuration, doorbells, arbitration and
 * reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cp_rig.h"
#include "fw_image.h"

#define NOP_VA	0x10000ull

static int setup(void **state)
{
	*state = rig_new();
	return 0;
}

static int teardown(void **state)
{
	rig_free(*state);
	return 0;
}

/* A booted device with a one-NOP command buffer at NOP_VA in context 1. */
static int setup_booted(void **state)
{
	struct rig *r = rig_new();
	const struct tnpu_cmd_nop nop = { TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW), 0 };

	rig_boot(r, 2);
	rig_cmds(r, NOP_VA, &nop, sizeof(nop));
	*state = r;
	return 0;
}

static void test_identity_registers(void **state)
{
	struct rig *r = *state;
	uint32_t cfg = rig_rd(r, TNPU_REG_HW_CFG);
	unsigned int logs = r->f.n_logs;

	assert_int_equal(rig_rd(r, TNPU_REG_ID), TNPU_ID_MAGIC);
	assert_int_equal(rig_rd(r, TNPU_REG_HW_VERSION), TNPU_HW_VERSION);
	assert_int_equal(rig_rd(r, TNPU_REG_CAPS), TNPU_CAP_GEMM_FP32 | TNPU_CAP_GEMM_INT8 |
			 TNPU_CAP_MMU | TNPU_CAP_COPY_FILL);
	assert_int_equal(TNPU_HW_CFG_QUEUES(cfg), TNPU_NUM_QUEUES);
	assert_int_equal(TNPU_HW_CFG_CORES(cfg), TNPU_NUM_CORES);
	assert_int_equal(TNPU_HW_CFG_CONTEXTS(cfg), TNPU_NUM_CONTEXTS);
	assert_int_equal(TNPU_HW_CFG_VA_BITS(cfg), TNPU_VA_BITS);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_CONTROL), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_RESET_COUNT), 0);
	assert_int_equal(rig_rd(r, 0x0ffc), 0);		/* hole */
	assert_int_equal(rig_rd(r, TNPU_REG_ID + 1), 0);	/* unaligned */
	assert_int_equal(rig_rd(r, TNPU_QREG(TNPU_NUM_QUEUES, 0)), 0);
	/* read-only register: write ignored and logged */
	assert_false(rig_wr(r, TNPU_REG_ID, 0));
	assert_int_equal(rig_rd(r, TNPU_REG_ID), TNPU_ID_MAGIC);
	assert_int_equal(r->f.n_logs, logs + 1);
	/* CTX_TABLE low bits dropped */
	rig_wr(r, TNPU_REG_CTX_TABLE_LO, 0x12345678);
	assert_int_equal(rig_rd(r, TNPU_REG_CTX_TABLE_LO), 0x12345000);
}

static void test_boot_ok(void **state)
{
	struct rig *r = *state;
	uint8_t img[256];
	struct tnpu_fw_build_opts o = {
		.fw_version = TNPU_FW_VERSION(2, 5, 9), .abi_major = 1, .abi_minor = 3,
		.features = TNPU_FW_FEAT_GEMM, .burst = 5, .build = "b",
	};
	size_t len = tnpu_fw_build(img, sizeof(img), &o);
	uint64_t bus = fake_alloc(&r->f, len, 64);
	struct tnpu_cp_job job;

	memcpy(fake_ptr(&r->f, bus), img, len);
	rig_wr(r, TNPU_REG_FW_ADDR_LO, (uint32_t)bus);
	rig_wr(r, TNPU_REG_FW_ADDR_HI, 0);
	rig_wr(r, TNPU_REG_FW_SIZE, (uint32_t)len);
	assert_true(rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT));
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_BOOTING);
	assert_true(tnpu_cp_has_work(&r->cp));
	assert_int_equal(r->f.n_irqs, 0);
	assert_false(tnpu_cp_next(&r->cp, &job));
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_FW_READY);
	assert_int_equal(rig_rd(r, TNPU_REG_BOOT_ERR), TNPU_BOOT_OK);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_BOOT_DONE);
	assert_int_equal(r->f.n_irqs, 1);
	assert_int_equal(r->f.irqs[0], TNPU_VEC_DEVICE);
	assert_int_equal(rig_rd(r, TNPU_REG_FW_VERSION), TNPU_FW_VERSION(2, 5, 9));
	assert_int_equal(rig_rd(r, TNPU_REG_FW_ABI), (1 << 16) | 3);
	assert_int_equal(rig_rd(r, TNPU_REG_FW_FEATURES), TNPU_FW_FEAT_GEMM);
	assert_int_equal(r->cp.burst, 5);
	assert_false(tnpu_cp_has_work(&r->cp));
	/* RW1C */
	rig_wr(r, TNPU_REG_INT_STATUS, TNPU_INT_BOOT_DONE);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), 0);
}

static void test_boot_bad_image(void **state)
{
	struct rig *r = *state;
	uint8_t img[256];
	struct tnpu_fw_build_opts o = { .abi_major = 1, .burst = 1 };
	size_t len = tnpu_fw_build(img, sizeof(img), &o);

	img[len - 1] ^= 1;	/* payload CRC */
	assert_int_equal(rig_boot_image(r, img, len), TNPU_BOOT_CRC);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_FW_ERROR);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_BOOT_DONE);
	assert_int_equal(r->f.irq_count[TNPU_VEC_DEVICE], 1);
	assert_int_equal(rig_rd(r, TNPU_REG_FW_VERSION), 0);
	assert_true(r->f.n_logs > 0);
	/* a good image afterwards clears FW_ERROR */
	img[len - 1] ^= 1;
	assert_int_equal(rig_boot_image(r, img, len), TNPU_BOOT_OK);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_FW_READY);
	assert_int_equal(r->f.irq_count[TNPU_VEC_DEVICE], 2);
}

static void test_boot_size_and_dma(void **state)
{
	struct rig *r = *state;
	struct tnpu_cp_job job;

	/* FW_SIZE 0 */
	rig_wr(r, TNPU_REG_FW_SIZE, 0);
	rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT);
	assert_false(tnpu_cp_next(&r->cp, &job));
	assert_int_equal(rig_rd(r, TNPU_REG_BOOT_ERR), TNPU_BOOT_SIZE);
	/* FW_SIZE above the limit */
	rig_wr(r, TNPU_REG_FW_SIZE, TNPU_FW_MAX_SIZE + 1);
	rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT);
	assert_false(tnpu_cp_next(&r->cp, &job));
	assert_int_equal(rig_rd(r, TNPU_REG_BOOT_ERR), TNPU_BOOT_SIZE);
	/* image address not in RAM */
	rig_wr(r, TNPU_REG_FW_ADDR_HI, 0x100);
	rig_wr(r, TNPU_REG_FW_SIZE, 128);
	rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT);
	assert_false(tnpu_cp_next(&r->cp, &job));
	assert_int_equal(rig_rd(r, TNPU_REG_BOOT_ERR), TNPU_BOOT_DMA);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_FW_ERROR);
	assert_int_equal(rig_rd(r, TNPU_REG_FW_ADDR_HI), 0x100);
	assert_int_equal(r->f.irq_count[TNPU_VEC_DEVICE], 3);
	/* garbage image */
	assert_int_equal(rig_boot_image(r, "not firmware at all, just some bytes that are long "
					"enough to hold a header...", 72), TNPU_BOOT_MAGIC);
}

static void test_boot_out_of_memory(void **state)
{
	struct rig *r = *state;
	uint8_t img[256];
	struct tnpu_fw_build_opts o = { .abi_major = 1, .burst = 1 };
	size_t len = tnpu_fw_build(img, sizeof(img), &o);
	uint32_t err;

	fake_malloc_budget = 0;
	err = rig_boot_image(r, img, len);
	fake_malloc_budget = -1;
	assert_int_equal(err, TNPU_BOOT_DMA);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_FW_ERROR);
}

static void test_boot_busy(void **state)
{
	struct rig *r = *state;

	rig_boot(r, 1);
	assert_false(rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT));
	assert_int_equal(rig_rd(r, TNPU_REG_BOOT_ERR), TNPU_BOOT_BUSY);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_FW_READY);
	assert_int_equal(r->f.irq_count[TNPU_VEC_DEVICE], 2);
}

static void test_irq_mask_and_pending_delivery(void **state)
{
	struct rig *r = *state;

	rig_wr(r, TNPU_REG_INT_MASK, 0xffffffff);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_MASK), 0x00000f07);	/* defined bits only */
	rig_boot(r, 1);
	assert_int_equal(r->f.n_irqs, 0);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_BOOT_DONE);
	/* unmasking a pending source sends its message */
	rig_wr(r, TNPU_REG_INT_MASK, 0);
	assert_int_equal(r->f.n_irqs, 1);
	assert_int_equal(r->f.irqs[0], TNPU_VEC_DEVICE);
	/* unmasking with nothing pending sends nothing */
	rig_wr(r, TNPU_REG_INT_STATUS, 0xffffffff);
	rig_wr(r, TNPU_REG_INT_MASK, TNPU_INT_BOOT_DONE);
	rig_wr(r, TNPU_REG_INT_MASK, 0);
	assert_int_equal(r->f.n_irqs, 1);
}

static void test_queue_enable_before_boot(void **state)
{
	struct rig *r = *state;

	assert_int_equal(rig_queue(r, 0, 8, 0), TNPU_QSTATUS_ERROR);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_CONTROL)), 0);
	/* doorbells on it are ignored */
	assert_false(rig_wr(r, TNPU_QREG(0, TNPU_QREG_TAIL), 1));
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_TAIL)), 0);
	assert_false(tnpu_cp_has_work(&r->cp));
}

static void expect_bad_config(struct rig *r, uint32_t reg, uint32_t val)
{
	unsigned int logs = r->f.n_logs;

	rig_wr(r, TNPU_QREG(2, TNPU_QREG_CONTROL), 0);
	assert_int_equal(rig_queue(r, 2, 8, 1), TNPU_QSTATUS_ENABLED);
	rig_wr(r, TNPU_QREG(2, TNPU_QREG_CONTROL), 0);
	rig_wr(r, TNPU_QREG(2, reg), val);
	rig_wr(r, TNPU_QREG(2, TNPU_QREG_CONTROL), TNPU_QCTRL_ENABLE);
	assert_int_equal(rig_rd(r, TNPU_QREG(2, TNPU_QREG_STATUS)), TNPU_QSTATUS_ERROR);
	assert_int_equal(rig_rd(r, TNPU_QREG(2, TNPU_QREG_CONTROL)), 0);
	assert_true(r->f.n_logs > logs);
}

static void test_queue_config_validation(void **state)
{
	struct rig *r = *state;
	static const uint32_t bad_sizes[] = { 0, 1, 3, 6, 100, 8192, 0x80000000u };
	size_t i;

	rig_boot(r, 1);
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		expect_bad_config(r, TNPU_QREG_SIZE, bad_sizes[i]);
	expect_bad_config(r, TNPU_QREG_RING_LO, (uint32_t)r->q[2].ring + 32);
	expect_bad_config(r, TNPU_QREG_FENCE_LO, (uint32_t)r->q[2].fence + 4);
	expect_bad_config(r, TNPU_QREG_PRIORITY, TNPU_NUM_PRIORITIES);
	/* the extremes are fine */
	assert_int_equal(rig_queue(r, 1, TNPU_QUEUE_MIN_ENTRIES, 0), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 3, TNPU_QUEUE_MAX_ENTRIES, 3), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_rd(r, TNPU_QREG(3, TNPU_QREG_SIZE)), TNPU_QUEUE_MAX_ENTRIES);
	assert_int_equal(rig_rd(r, TNPU_QREG(3, TNPU_QREG_PRIORITY)), 3);
	assert_int_equal(rig_rd(r, TNPU_QREG(3, TNPU_QREG_RING_LO)), (uint32_t)r->q[3].ring);
	/* config is frozen while enabled */
	rig_wr(r, TNPU_QREG(3, TNPU_QREG_SIZE), 4);
	assert_int_equal(rig_rd(r, TNPU_QREG(3, TNPU_QREG_SIZE)), TNPU_QUEUE_MAX_ENTRIES);
	/* disabling clears the error of queue 2 */
	rig_wr(r, TNPU_QREG(2, TNPU_QREG_CONTROL), 0);
	assert_int_equal(rig_rd(r, TNPU_QREG(2, TNPU_QREG_STATUS)), 0);
}

static void test_bad_doorbell_halts_queue(void **state)
{
	struct rig *r = *state;
	unsigned int logs;

	assert_int_equal(rig_queue(r, 0, 4, 0), TNPU_QSTATUS_ENABLED);
	logs = r->f.n_logs;
	assert_false(rig_wr(r, TNPU_QREG(0, TNPU_QREG_TAIL), 4));
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_STATUS)), TNPU_QSTATUS_ERROR);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_TAIL)), 0);
	assert_int_equal(r->f.n_logs, logs + 1);
	/* further (valid) doorbells are ignored until the queue is re-enabled */
	rig_submit(r, 0, 1, NOP_VA, 8, 1);
	assert_false(tnpu_cp_has_work(&r->cp));
	assert_int_equal(rig_drain(r), 0);
	rig_wr(r, TNPU_QREG(0, TNPU_QREG_CONTROL), 0);
	rig_wr(r, TNPU_QREG(0, TNPU_QREG_CONTROL), TNPU_QCTRL_ENABLE);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_STATUS)), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_HEAD)), 0);
	r->q[0].tail = 0;
	rig_submit(r, 0, 1, NOP_VA, 8, 7);
	assert_int_equal(rig_drain(r), 1);
	assert_int_equal(rig_fence(r, 0), 7);
}

static void test_disable_drops_pending(void **state)
{
	struct rig *r = *state;

	assert_int_equal(rig_queue(r, 1, 8, 0), TNPU_QSTATUS_ENABLED);
	rig_submit(r, 1, 1, NOP_VA, 8, 1);
	rig_submit(r, 1, 1, NOP_VA, 8, 2);
	assert_true(tnpu_cp_has_work(&r->cp));
	rig_wr(r, TNPU_QREG(1, TNPU_QREG_CONTROL), 0);
	assert_int_equal(rig_rd(r, TNPU_QREG(1, TNPU_QREG_HEAD)),
			 rig_rd(r, TNPU_QREG(1, TNPU_QREG_TAIL)));
	assert_int_equal(rig_rd(r, TNPU_QREG(1, TNPU_QREG_STATUS)), 0);
	assert_int_equal(rig_drain(r), 0);
	assert_int_equal(rig_fence(r, 1), 0);
	assert_int_equal(rig_desc(r, 1, 0)->status, TNPU_JOB_PENDING);
}

static void test_disable_while_running_drops_completion(void **state)
{
	struct rig *r = *state;
	struct tnpu_cp_job job;

	assert_int_equal(rig_queue(r, 1, 8, 0), TNPU_QSTATUS_ENABLED);
	rig_submit(r, 1, 1, NOP_VA, 8, 5);
	assert_true(tnpu_cp_next(&r->cp, &job));
	rig_wr(r, TNPU_QREG(1, TNPU_QREG_CONTROL), 0);
	tnpu_cp_execute(&r->cp, &job);
	tnpu_cp_finish(&r->cp, &job);
	assert_int_equal(rig_fence(r, 1), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_JOBS_DONE), 0);
	assert_false(rig_rd(r, TNPU_REG_STATUS) & TNPU_STATUS_BUSY);
}

static void test_priority_order(void **state)
{
	struct rig *r = *state;
	struct tnpu_cp_job job;
	static const unsigned int want[] = { 1, 1, 2, 2, 0, 0 };
	unsigned int i;

	assert_int_equal(rig_queue(r, 0, 8, 0), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 1, 8, 3), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 2, 8, 1), TNPU_QSTATUS_ENABLED);
	for (i = 0; i < 2; i++) {
		rig_submit(r, 0, 1, NOP_VA, 8, 10 + i);
		rig_submit(r, 2, 1, NOP_VA, 8, 20 + i);
		rig_submit(r, 1, 1, NOP_VA, 8, 30 + i);
	}
	for (i = 0; i < 6; i++) {
		assert_true(rig_step(r, &job));
		assert_int_equal(job.queue, want[i]);
		assert_int_equal(job.status, TNPU_JOB_OK);
	}
	assert_false(rig_step(r, &job));
	assert_int_equal(rig_fence(r, 0), 11);
	assert_int_equal(rig_fence(r, 1), 31);
	assert_int_equal(rig_fence(r, 2), 21);
}

static void run_order(struct rig *r, const unsigned int *want, unsigned int n)
{
	struct tnpu_cp_job job;
	unsigned int i;

	for (i = 0; i < n; i++) {
		assert_true(rig_step(r, &job));
		if (job.queue != want[i])
			fail_msg("job %u ran on queue %u, expected %u", i, job.queue, want[i]);
	}
	assert_false(rig_step(r, &job));
}

static void test_round_robin_burst(void **state)
{
	struct rig *r = *state;
	static const unsigned int want[] = { 0, 0, 1, 1, 0, 0, 1, 1, 0, 3 };
	unsigned int i;

	/* setup_booted used burst 2 */
	assert_int_equal(rig_queue(r, 0, 16, 2), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 1, 16, 2), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 3, 16, 1), TNPU_QSTATUS_ENABLED);
	rig_submit(r, 3, 1, NOP_VA, 8, 99);
	for (i = 0; i < 5; i++)
		rig_submit(r, 0, 1, NOP_VA, 8, i + 1);
	for (i = 0; i < 4; i++)
		rig_submit(r, 1, 1, NOP_VA, 8, i + 1);
	run_order(r, want, 10);	/* the lower-priority queue 3 runs last */
	assert_int_equal(rig_fence(r, 3), 99);
}

static void test_round_robin_three_queues_burst1(void **state)
{
	struct rig *r = *state;
	static const unsigned int want[] = { 0, 2, 3, 0, 2, 0, 1 };
	static uint8_t img[256];
	struct tnpu_fw_build_opts o = { .abi_major = 1, .burst = 1 };
	size_t len = tnpu_fw_build(img, sizeof(img), &o);

	assert_int_equal(rig_boot_image(r, img, len), TNPU_BOOT_OK);
	assert_int_equal(r->cp.burst, 1);
	assert_int_equal(rig_queue(r, 0, 8, 1), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 1, 8, 0), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 2, 8, 1), TNPU_QSTATUS_ENABLED);
	assert_int_equal(rig_queue(r, 3, 8, 1), TNPU_QSTATUS_ENABLED);
	rig_cmds(r, NOP_VA, (const struct tnpu_cmd_nop[]){
		 { TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW), 0 } }, 8);
	rig_submit(r, 1, 1, NOP_VA, 8, 1);
	rig_submit(r, 0, 1, NOP_VA, 8, 1);
	rig_submit(r, 0, 1, NOP_VA, 8, 2);
	rig_submit(r, 0, 1, NOP_VA, 8, 3);
	rig_submit(r, 2, 1, NOP_VA, 8, 1);
	rig_submit(r, 2, 1, NOP_VA, 8, 2);
	rig_submit(r, 3, 1, NOP_VA, 8, 1);
	run_order(r, want, 7);
	assert_int_equal(rig_fence(r, 0), 3);
	assert_int_equal(rig_fence(r, 1), 1);
}

static void test_reset_discards_inflight(void **state)
{
	struct rig *r = *state;
	struct tnpu_cp_job job, other;

	assert_int_equal(rig_queue(r, 0, 8, 0), TNPU_QSTATUS_ENABLED);
	rig_submit(r, 0, 1, NOP_VA, 8, 42);
	rig_submit(r, 0, 1, NOP_VA, 8, 43);
	assert_true(tnpu_cp_next(&r->cp, &job));
	assert_true(rig_rd(r, TNPU_REG_STATUS) & TNPU_STATUS_BUSY);
	r->f.n_irqs = 0;
	rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_RESET);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS),
			 TNPU_STATUS_RESETTING | TNPU_STATUS_BUSY);
	assert_int_equal(rig_rd(r, TNPU_REG_RESET_COUNT), 1);
	assert_int_equal(r->f.n_irqs, 0);	/* RESET_DONE only when complete */
	/* nothing else is fetched while the old job is out */
	assert_false(tnpu_cp_next(&r->cp, &other));
	tnpu_cp_execute(&r->cp, &job);
	assert_int_equal(job.status, TNPU_JOB_ABORTED);
	tnpu_cp_finish(&r->cp, &job);
	/* no status write-back, no fence, no completion interrupt */
	assert_int_equal(rig_fence(r, 0), 0);
	assert_int_equal(rig_desc(r, 0, 0)->status, TNPU_JOB_PENDING);
	assert_int_equal(rig_rd(r, TNPU_REG_JOBS_DONE), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_RESET_DONE);
	assert_int_equal(r->f.n_irqs, 1);
	assert_int_equal(r->f.irqs[0], TNPU_VEC_DEVICE);
	/* the queue is gone and the other job never runs */
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_STATUS)), 0);
	assert_int_equal(rig_drain(r), 0);
	assert_false(r->cp.abort);
}

static void test_reset_idle(void **state)
{
	struct rig *r = *state;

	assert_int_equal(rig_queue(r, 0, 8, 0), TNPU_QSTATUS_ENABLED);
	rig_wr(r, TNPU_REG_INT_MASK, TNPU_INT_QUEUE(0));
	r->f.n_irqs = 0;
	rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_RESET);
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS), TNPU_INT_RESET_DONE);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_MASK), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_FW_VERSION), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_CTX_TABLE_LO), 0);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_SIZE)), 0);
	assert_int_equal(rig_rd(r, TNPU_REG_RESET_COUNT), 1);
	assert_int_equal(r->f.n_irqs, 1);
	/* jobs refused until the next boot */
	assert_int_equal(rig_queue(r, 0, 8, 0), TNPU_QSTATUS_ERROR);
	tnpu_cp_reset(&r->cp);	/* bus reset */
	assert_int_equal(rig_rd(r, TNPU_REG_RESET_COUNT), 2);
	rig_boot(r, 1);
	assert_int_equal(rig_queue(r, 0, 8, 0), TNPU_QSTATUS_ENABLED);
}

static void test_reset_and_boot_in_one_write(void **state)
{
	struct rig *r = *state;
	struct tnpu_cp_job job;

	/* FW_ADDR/SIZE are cleared by the reset, so this boot fails on SIZE */
	assert_true(rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_RESET | TNPU_CONTROL_BOOT));
	assert_int_equal(rig_rd(r, TNPU_REG_STATUS), TNPU_STATUS_BOOTING);
	assert_false(tnpu_cp_next(&r->cp, &job));
	assert_int_equal(rig_rd(r, TNPU_REG_BOOT_ERR), TNPU_BOOT_SIZE);
	assert_int_equal(rig_rd(r, TNPU_REG_INT_STATUS),
			 TNPU_INT_RESET_DONE | TNPU_INT_BOOT_DONE);
}

static void test_unreadable_ring_halts_queue(void **state)
{
	struct rig *r = *state;

	rig_wr(r, TNPU_QREG(0, TNPU_QREG_RING_LO), 0);
	rig_wr(r, TNPU_QREG(0, TNPU_QREG_RING_HI), 0x1000);
	rig_wr(r, TNPU_QREG(0, TNPU_QREG_FENCE_LO), 0x200000);
	rig_wr(r, TNPU_QREG(0, TNPU_QREG_SIZE), 4);
	rig_wr(r, TNPU_QREG(0, TNPU_QREG_CONTROL), TNPU_QCTRL_ENABLE);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_STATUS)), TNPU_QSTATUS_ENABLED);
	assert_true(rig_wr(r, TNPU_QREG(0, TNPU_QREG_TAIL), 1));
	assert_int_equal(rig_drain(r), 0);
	assert_int_equal(rig_rd(r, TNPU_QREG(0, TNPU_QREG_STATUS)), TNPU_QSTATUS_ERROR);
	assert_int_equal(rig_rd(r, TNPU_REG_JOBS_DONE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_bad_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_size_and_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_mask_and_pending_delivery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_queue_enable_before_boot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_config_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_doorbell_halts_queue, setup_booted,
						teardown),
		cmocka_unit_test_setup_teardown(test_disable_drops_pending, setup_booted,
						teardown),
		cmocka_unit_test_setup_teardown(test_disable_while_running_drops_completion,
						setup_booted, teardown),
		cmocka_unit_test_setup_teardown(test_priority_order, setup_booted, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_burst, setup_booted, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_three_queues_burst1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_discards_inflight, setup_booted,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_idle, setup_booted, teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_boot_in_one_write, setup_booted,
						teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_ring_halts_queue, setup_booted,
						teardown),
	};

	return cmocka_run_group_tests_name("command processor", tests, NULL, NULL);
}
