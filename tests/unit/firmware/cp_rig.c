// SPDX-License-Identifier: MIT
/*
 * cp_rig.c - see cp_rig.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cp_rig.h"
#include "fw_image.h"

struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	fake_init(&r->f);
	tnpu_cp_init(&r->cp, &r->f.hal);
	fake_ctx_create(&r->f, 1);
	rig_wr(r, TNPU_REG_CTX_TABLE_LO, (uint32_t)r->f.ctx_table);
	rig_wr(r, TNPU_REG_CTX_TABLE_HI, (uint32_t)(r->f.ctx_table >> 32));
	return r;
}

void rig_free(struct rig *r)
{
	fake_fini(&r->f);
	free(r);
}

uint32_t rig_rd(struct rig *r, uint32_t off)
{
	return tnpu_cp_mmio_read(&r->cp, off);
}

bool rig_wr(struct rig *r, uint32_t off, uint32_t val)
{
	return tnpu_cp_mmio_write(&r->cp, off, val);
}

uint32_t rig_boot_image(struct rig *r, const void *img, size_t len)
{
	uint64_t bus = fake_alloc(&r->f, len ? len : 1, 64);
	struct tnpu_cp_job job;

	memcpy(fake_ptr(&r->f, bus), img, len);
	rig_wr(r, TNPU_REG_FW_ADDR_LO, (uint32_t)bus);
	rig_wr(r, TNPU_REG_FW_ADDR_HI, (uint32_t)(bus >> 32));
	rig_wr(r, TNPU_REG_FW_SIZE, (uint32_t)len);
	rig_wr(r, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT);
	assert_false(tnpu_cp_next(&r->cp, &job));
	return rig_rd(r, TNPU_REG_BOOT_ERR);
}

void rig_boot(struct rig *r, uint32_t burst)
{
	static uint8_t img[4096];
	struct tnpu_fw_build_opts o = {
		.fw_version = TNPU_FW_VERSION(1, 2, 3),
		.abi_major = TNPU_FW_ABI_MAJOR,
		.abi_minor = TNPU_FW_ABI_MINOR,
		.features = TNPU_FW_FEAT_PRIORITY | TNPU_FW_FEAT_GEMM | TNPU_FW_FEAT_COPY_FILL,
		.burst = burst,
		.build = "test",
	};
	size_t len = tnpu_fw_build(img, sizeof(img), &o);

	assert_true(len > 0);
	assert_int_equal(rig_boot_image(r, img, len), TNPU_BOOT_OK);
	assert_true(rig_rd(r, TNPU_REG_STATUS) & TNPU_STATUS_FW_READY);
}

uint32_t rig_queue(struct rig *r, unsigned int q, uint32_t size, uint32_t prio)
{
	struct rig_queue *rq = &r->q[q];

	rq->size = size;
	rq->tail = 0;
	rq->ring = fake_alloc(&r->f, (size_t)size * TNPU_JOB_DESC_SIZE, 64);
	rq->fence = fake_alloc(&r->f, 8, 8);
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_RING_LO), (uint32_t)rq->ring);
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_RING_HI), (uint32_t)(rq->ring >> 32));
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_FENCE_LO), (uint32_t)rq->fence);
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_FENCE_HI), (uint32_t)(rq->fence >> 32));
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_SIZE), size);
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_PRIORITY), prio);
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_CONTROL), TNPU_QCTRL_ENABLE);
	return rig_rd(r, TNPU_QREG(q, TNPU_QREG_STATUS));
}

struct tnpu_job_desc *rig_desc(struct rig *r, unsigned int q, uint32_t idx)
{
	return fake_ptr(&r->f, r->q[q].ring + (uint64_t)idx * TNPU_JOB_DESC_SIZE);
}

uint64_t rig_fence(struct rig *r, unsigned int q)
{
	uint64_t v;

	memcpy(&v, fake_ptr(&r->f, r->q[q].fence), sizeof(v));
	return v;
}

uint32_t rig_submit_desc(struct rig *r, unsigned int q, const struct tnpu_job_desc *d)
{
	struct rig_queue *rq = &r->q[q];
	uint32_t idx = rq->tail;

	*rig_desc(r, q, idx) = *d;
	rq->tail = (rq->tail + 1) & (rq->size - 1);
	rig_wr(r, TNPU_QREG(q, TNPU_QREG_TAIL), rq->tail);
	return idx;
}

uint32_t rig_submit(struct rig *r, unsigned int q, uint16_t ctx, uint64_t cmd_va,
		    uint32_t cmd_size, uint64_t fence_value)
{
	struct tnpu_job_desc d = {
		.ctx = ctx,
		.cmd_size = cmd_size,
		.cmd_addr = cmd_va,
		.fence_value = fence_value,
	};

	return rig_submit_desc(r, q, &d);
}

bool rig_step(struct rig *r, struct tnpu_cp_job *job)
{
	if (!tnpu_cp_next(&r->cp, job))
		return false;
	tnpu_cp_execute(&r->cp, job);
	tnpu_cp_finish(&r->cp, job);
	return true;
}

unsigned int rig_drain(struct rig *r)
{
	struct tnpu_cp_job job;
	unsigned int n = 0;

	while (rig_step(r, &job))
		n++;
	assert_false(tnpu_cp_has_work(&r->cp));
	return n;
}

void rig_cmds(struct rig *r, uint64_t va, const void *cmds, size_t len)
{
	void *p = fake_map_new(&r->f, 1, va, len, TNPU_PTE_READ);

	memcpy(p, cmds, len);
}
