// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_kunit.c - KUnit tests for the pure logic of tnpu.ko: page-table
 * build and teardown, device address allocation, context ids, submit
 * argument validation, job result mapping and firmware header checks.
 *
 * The tests run on a fake device: registers are a zeroed array, coherent
 * DMA memory comes from a KUnit struct device, and no PCI device is
 * touched, so they run whether or not a tnpu is present.  Built only
 * against kernels with CONFIG_KUNIT (the debug kernel of the VM tests).
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/crc32.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>

#include "../tnpu_drv.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_DMA_BASE	0x100000000ull	/* fake bus addresses of BO pages */

static struct tnpu_device *fake_tdev(struct kunit *test)
{
	struct tnpu_device *tdev;
	struct device *dev;
	void *regs;

	dev = kunit_device_register(test, "tnpu-kunit");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	dev->dma_mask = &dev->coherent_dma_mask;

	tdev = kunit_kzalloc(test, sizeof(*tdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tdev);
	regs = kunit_kzalloc(test, TNPU_BAR_REGS_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, regs);
	tdev->ctx_table = kunit_kcalloc(test, TNPU_NUM_CONTEXTS,
					sizeof(*tdev->ctx_table), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tdev->ctx_table);

	tdev->drm.dev = dev;
	tdev->regs = (void __iomem __force *)regs;
	tdev->hw_cfg = TNPU_HW_CFG_MAKE(TNPU_NUM_QUEUES, TNPU_NUM_CORES,
					TNPU_NUM_CONTEXTS, TNPU_VA_BITS);
	tdev->num_queues = TNPU_NUM_QUEUES;
	tdev->va_start = TNPU_VA_START;
	tdev->va_size = (1ull << TNPU_VA_BITS) - TNPU_VA_START;
	ida_init(&tdev->ctx_ida);
	return tdev;
}

static u32 fake_reg(struct tnpu_device *tdev, u32 reg)
{
	return ((u32 __force *)tdev->regs)[reg / 4];
}

/* Walk @ctx's tables like the device does; 0 if any level is missing. */
static u64 walk(struct kunit *test, struct tnpu_ctx *ctx, u64 va)
{
	struct tnpu_pt *pt = ctx->root;
	unsigned int level, i;
	u64 e;

	for (level = TNPU_PT_LEVELS - 1; level > 0; level--) {
		i = TNPU_PT_INDEX(va, level);
		e = pt->entries[i];
		if (!(e & TNPU_PTE_VALID))
			return 0;
		/* Upper levels point at the next table and grant nothing. */
		KUNIT_EXPECT_EQ(test, e & (TNPU_PTE_READ | TNPU_PTE_WRITE), 0ull);
		KUNIT_ASSERT_NOT_NULL(test, pt->next[i]);
		KUNIT_EXPECT_EQ(test, e & TNPU_PTE_ADDR_MASK, (u64)pt->next[i]->dma);
		pt = pt->next[i];
	}
	return pt->entries[TNPU_PT_INDEX(va, 0)];
}

struct fake_bo {
	struct tnpu_bo bo;
	struct sg_table sgt;
};

/*
 * A buffer of @pages 4 KiB pages whose backing store is @backing pages at
 * scattered fake bus addresses (page i at FAKE_DMA_BASE + 3 * i pages).
 */
static struct fake_bo *fake_bo(struct kunit *test, unsigned int pages,
			       unsigned int backing, u32 flags)
{
	struct scatterlist *sg;
	struct fake_bo *fb;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, PAGE_SIZE, (unsigned long)TNPU_PAGE_SIZE);
	fb = kunit_kzalloc(test, sizeof(*fb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fb);
	fb->bo.base.base.size = (size_t)pages * TNPU_PAGE_SIZE;
	fb->bo.flags = flags;
	KUNIT_ASSERT_EQ(test, sg_alloc_table(&fb->sgt, backing, GFP_KERNEL), 0);
	for_each_sgtable_sg(&fb->sgt, sg, i) {
		sg_dma_address(sg) = FAKE_DMA_BASE + 3ull * i * TNPU_PAGE_SIZE;
		sg_dma_len(sg) = TNPU_PAGE_SIZE;
	}
	return fb;
}

static void fake_bo_free(struct fake_bo *fb)
{
	sg_free_table(&fb->sgt);
}

static void ctx_create_sets_table_entry(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct tnpu_ctx *ctx;
	u32 id;

	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx), 0);
	id = ctx->id;
	KUNIT_EXPECT_GE(test, id, 1u);
	KUNIT_EXPECT_LT(test, id, (u32)TNPU_NUM_CONTEXTS);
	KUNIT_EXPECT_EQ(test, tdev->ctx_table[id].pt_root,
			(u64)ctx->root->dma | TNPU_CTX_VALID);
	KUNIT_EXPECT_EQ(test, tdev->ctx_table[id].reserved, 0ull);
	KUNIT_EXPECT_EQ(test, fake_reg(tdev, TNPU_REG_MMU_INVALIDATE), id);
	/* A fresh context maps nothing. */
	KUNIT_EXPECT_EQ(test, walk(test, ctx, TNPU_VA_START), 0ull);

	tnpu_ctx_put(ctx);
	KUNIT_EXPECT_EQ(test, tdev->ctx_table[id].pt_root, 0ull);
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&tdev->ctx_ida));
}

static void ctx_ids_exhaust_and_reuse(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct tnpu_ctx *ctx[TNPU_NUM_CONTEXTS];
	struct tnpu_ctx *extra;
	unsigned int i, n = TNPU_NUM_CONTEXTS - 1;
	u32 freed;

	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx[i]), 0);
		KUNIT_EXPECT_NE(test, ctx[i]->id, 0u);
	}
	/* Context 0 is reserved: 63 contexts, then -EBUSY. */
	KUNIT_EXPECT_EQ(test, tnpu_ctx_create(tdev, &extra), -EBUSY);

	freed = ctx[7]->id;
	tnpu_ctx_put(ctx[7]);
	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx[7]), 0);
	KUNIT_EXPECT_EQ(test, ctx[7]->id, freed);

	for (i = 0; i < n; i++)
		tnpu_ctx_put(ctx[i]);
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&tdev->ctx_ida));
}

static void map_bo_writes_leaf_entries(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct fake_bo *fb = fake_bo(test, 3, 3, 0);
	struct tnpu_ctx *ctx;
	unsigned int i;
	u64 va, pte;

	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx), 0);
	KUNIT_ASSERT_EQ(test, tnpu_mmu_map_bo(ctx, &fb->bo, &fb->sgt), 0);
	va = fb->bo.node.start;
	KUNIT_EXPECT_GE(test, va, (u64)TNPU_VA_START);
	KUNIT_EXPECT_EQ(test, va % TNPU_PAGE_SIZE, 0ull);
	KUNIT_EXPECT_PTR_EQ(test, fb->bo.ctx, ctx);

	for (i = 0; i < 3; i++) {
		pte = walk(test, ctx, va + i * TNPU_PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, pte, (FAKE_DMA_BASE + 3ull * i * TNPU_PAGE_SIZE) |
				TNPU_PTE_VALID | TNPU_PTE_READ | TNPU_PTE_WRITE);
		KUNIT_EXPECT_EQ(test, pte & TNPU_PTE_RSVD_MASK, 0ull);
	}
	/* The guard page after the buffer stays unmapped. */
	KUNIT_EXPECT_EQ(test, walk(test, ctx, va + 3 * TNPU_PAGE_SIZE), 0ull);

	tnpu_mmu_unmap_bo(&fb->bo);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, walk(test, ctx, va + i * TNPU_PAGE_SIZE), 0ull);
	KUNIT_EXPECT_TRUE(test, drm_mm_clean(&ctx->mm));
	KUNIT_EXPECT_NULL(test, fb->bo.ctx);
	KUNIT_EXPECT_EQ(test, fake_reg(tdev, TNPU_REG_MMU_INVALIDATE), ctx->id);
	tnpu_ctx_put(ctx);
	fake_bo_free(fb);
}

static void map_bo_device_ro_has_no_write(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct fake_bo *fb = fake_bo(test, 1, 1, DRM_TNPU_BO_DEVICE_RO);
	struct tnpu_ctx *ctx;
	u64 pte;

	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx), 0);
	KUNIT_ASSERT_EQ(test, tnpu_mmu_map_bo(ctx, &fb->bo, &fb->sgt), 0);
	pte = walk(test, ctx, fb->bo.node.start);
	KUNIT_EXPECT_TRUE(test, pte & TNPU_PTE_VALID);
	KUNIT_EXPECT_TRUE(test, pte & TNPU_PTE_READ);
	KUNIT_EXPECT_FALSE(test, pte & TNPU_PTE_WRITE);
	tnpu_mmu_unmap_bo(&fb->bo);
	tnpu_ctx_put(ctx);
	fake_bo_free(fb);
}

static void map_bo_ranges_do_not_overlap(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct fake_bo *a = fake_bo(test, 5, 5, 0);
	struct fake_bo *b = fake_bo(test, 2, 2, 0);
	struct tnpu_ctx *ctx;
	u64 a_end, b_end;

	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx), 0);
	KUNIT_ASSERT_EQ(test, tnpu_mmu_map_bo(ctx, &a->bo, &a->sgt), 0);
	KUNIT_ASSERT_EQ(test, tnpu_mmu_map_bo(ctx, &b->bo, &b->sgt), 0);
	/* Each range includes its guard page; ranges must be disjoint. */
	a_end = a->bo.node.start + a->bo.node.size;
	b_end = b->bo.node.start + b->bo.node.size;
	KUNIT_EXPECT_EQ(test, a->bo.node.size, 6ull * TNPU_PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, a_end <= b->bo.node.start || b_end <= a->bo.node.start);

	tnpu_mmu_unmap_bo(&a->bo);
	tnpu_mmu_unmap_bo(&b->bo);
	KUNIT_EXPECT_TRUE(test, drm_mm_clean(&ctx->mm));
	tnpu_ctx_put(ctx);
	fake_bo_free(a);
	fake_bo_free(b);
}

static void map_bo_spans_page_tables(struct kunit *test)
{
	/* 600 pages cross at least one 2 MiB (L0 table) boundary. */
	struct tnpu_device *tdev = fake_tdev(test);
	struct fake_bo *fb = fake_bo(test, 600, 600, 0);
	struct tnpu_ctx *ctx;
	unsigned int i, bad = 0;
	u64 va;

	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx), 0);
	KUNIT_ASSERT_EQ(test, tnpu_mmu_map_bo(ctx, &fb->bo, &fb->sgt), 0);
	va = fb->bo.node.start;
	KUNIT_EXPECT_NE(test, TNPU_PT_INDEX(va, 1), TNPU_PT_INDEX(va + 599 * TNPU_PAGE_SIZE, 1));
	for (i = 0; i < 600; i++) {
		u64 want = (FAKE_DMA_BASE + 3ull * i * TNPU_PAGE_SIZE) |
			   TNPU_PTE_VALID | TNPU_PTE_READ | TNPU_PTE_WRITE;

		if (walk(test, ctx, va + (u64)i * TNPU_PAGE_SIZE) != want)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0u);
	tnpu_mmu_unmap_bo(&fb->bo);
	tnpu_ctx_put(ctx);
	fake_bo_free(fb);
}

static void map_bo_short_backing_fails_clean(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct fake_bo *fb = fake_bo(test, 4, 2, 0);
	struct tnpu_ctx *ctx;

	KUNIT_ASSERT_EQ(test, tnpu_ctx_create(tdev, &ctx), 0);
	KUNIT_EXPECT_EQ(test, tnpu_mmu_map_bo(ctx, &fb->bo, &fb->sgt), -EINVAL);
	/* Nothing stays mapped or allocated, and no context reference leaks. */
	KUNIT_EXPECT_TRUE(test, drm_mm_clean(&ctx->mm));
	KUNIT_EXPECT_NULL(test, fb->bo.ctx);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->ref), 1u);
	tnpu_ctx_put(ctx);
	fake_bo_free(fb);
}

static void submit_check_accepts_valid(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	struct drm_tnpu_submit args = {
		.cmd_size = 8, .cmd_offset = 16, .queue = TNPU_NUM_QUEUES - 1,
		.bo_count = DRM_TNPU_MAX_BOS_PER_JOB,
		.in_syncobj_count = DRM_TNPU_MAX_SYNCOBJS,
		.flags = DRM_TNPU_SUBMIT_STATUS,
	};

	KUNIT_EXPECT_EQ(test, tnpu_submit_check(tdev, &args), 0);
	args.cmd_size = TNPU_CMD_MAX_SIZE;
	KUNIT_EXPECT_EQ(test, tnpu_submit_check(tdev, &args), 0);
}

static void submit_check_rejects_each_field(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	const struct drm_tnpu_submit good = { .cmd_size = 8 };
	struct drm_tnpu_submit a;

#define EXPECT_BAD(stmt)						\
	do {								\
		a = good;						\
		stmt;							\
		KUNIT_EXPECT_EQ_MSG(test, tnpu_submit_check(tdev, &a),	\
				    -EINVAL, #stmt);			\
	} while (0)
	EXPECT_BAD(a.flags = 1u << 31);
	EXPECT_BAD(a.pad = 1);
	EXPECT_BAD(a.reserved[0] = 1);
	EXPECT_BAD(a.reserved[1] = 1);
	EXPECT_BAD(a.queue = TNPU_NUM_QUEUES);
	EXPECT_BAD(a.queue = ~0u);
	EXPECT_BAD(a.bo_count = DRM_TNPU_MAX_BOS_PER_JOB + 1);
	EXPECT_BAD(a.in_syncobj_count = DRM_TNPU_MAX_SYNCOBJS + 1);
	EXPECT_BAD(a.cmd_size = 0);
	EXPECT_BAD(a.cmd_size = 12);
	EXPECT_BAD(a.cmd_size = TNPU_CMD_MAX_SIZE + 8);
	EXPECT_BAD(a.cmd_offset = 4);
#undef EXPECT_BAD
}

static void job_results_map_to_uapi(struct kunit *test)
{
	int err = 1;

	KUNIT_EXPECT_EQ(test, tnpu_hw_result(TNPU_JOB_OK, &err), (u32)DRM_TNPU_JOB_OK);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, tnpu_hw_result(TNPU_JOB_MMU_FAULT, &err), (u32)DRM_TNPU_JOB_FAULT);
	KUNIT_EXPECT_EQ(test, err, -EFAULT);
	KUNIT_EXPECT_EQ(test, tnpu_hw_result(TNPU_JOB_ABORTED, &err), (u32)DRM_TNPU_JOB_ABORTED);
	KUNIT_EXPECT_EQ(test, err, -ECANCELED);
	KUNIT_EXPECT_EQ(test, tnpu_hw_result(TNPU_JOB_INVALID_CMD, &err),
			(u32)DRM_TNPU_JOB_INVALID);
	KUNIT_EXPECT_EQ(test, err, -EIO);
	/* A status the device must never report is not mistaken for success. */
	KUNIT_EXPECT_EQ(test, tnpu_hw_result(TNPU_JOB_PENDING, &err), (u32)DRM_TNPU_JOB_INVALID);
	KUNIT_EXPECT_EQ(test, tnpu_hw_result(0xdead, &err), (u32)DRM_TNPU_JOB_INVALID);

	KUNIT_EXPECT_EQ(test, tnpu_err_result(0), (u32)DRM_TNPU_JOB_OK);
	KUNIT_EXPECT_EQ(test, tnpu_err_result(-ETIMEDOUT), (u32)DRM_TNPU_JOB_TIMEOUT);
	KUNIT_EXPECT_EQ(test, tnpu_err_result(-ECANCELED), (u32)DRM_TNPU_JOB_ABORTED);
	KUNIT_EXPECT_EQ(test, tnpu_err_result(-ENODEV), (u32)DRM_TNPU_JOB_ABORTED);
}

/* A valid image: header + one SCHED section, CRCs filled in. */
#define FW_PAYLOAD	(sizeof(struct tnpu_fw_section) + sizeof(struct tnpu_fw_sched))
#define FW_SIZE		(sizeof(struct tnpu_fw_header) + FW_PAYLOAD)

static u32 zlib_crc(const void *p, size_t len)
{
	return crc32_le(~0u, p, len) ^ ~0u;
}

/* CRCs over the bytes really there, whatever payload_size claims. */
static void fw_seal(u8 *img)
{
	struct tnpu_fw_header *h = (void *)img;

	h->payload_crc = zlib_crc(img + sizeof(*h), FW_PAYLOAD);
	h->header_crc = 0;
	h->header_crc = zlib_crc(h, sizeof(*h));
}

static void fw_make(u8 *img)
{
	struct tnpu_fw_header *h = (void *)img;
	struct tnpu_fw_section *s = (void *)(img + sizeof(*h));
	struct tnpu_fw_sched *sched = (void *)(s + 1);

	memset(img, 0, FW_SIZE);
	h->magic = TNPU_FW_MAGIC;
	h->header_size = sizeof(*h);
	h->header_version = TNPU_FW_HEADER_VERSION;
	h->abi_major = TNPU_FW_ABI_MAJOR;
	h->abi_minor = TNPU_FW_ABI_MINOR;
	h->fw_version = TNPU_FW_VERSION(1, 2, 3);
	h->payload_size = FW_PAYLOAD;
	strscpy(h->build, "kunit", sizeof(h->build));
	s->type = TNPU_FW_SECT_SCHED;
	s->len = sizeof(*sched);
	sched->burst = 4;
	fw_seal(img);
}

static void fw_check_valid_and_newer_minor(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	u8 img[FW_SIZE];
	struct tnpu_fw_header *h = (void *)img;

	fw_make(img);
	KUNIT_EXPECT_EQ(test, tnpu_fw_check(tdev, img, sizeof(img)), 0);
	KUNIT_EXPECT_STREQ(test, tdev->fw_build, "kunit");

	/* A newer minor of the same ABI major must load (no exact pinning). */
	h->abi_minor = TNPU_FW_ABI_MINOR + 7;
	fw_seal(img);
	KUNIT_EXPECT_EQ(test, tnpu_fw_check(tdev, img, sizeof(img)), 0);
}

static void fw_check_rejects_corruption(struct kunit *test)
{
	struct tnpu_device *tdev = fake_tdev(test);
	u8 img[FW_SIZE];
	struct tnpu_fw_header *h = (void *)img;

#define EXPECT_BAD(stmt, reseal)					\
	do {								\
		fw_make(img);						\
		stmt;							\
		if (reseal)						\
			fw_seal(img);					\
		KUNIT_EXPECT_EQ_MSG(test, tnpu_fw_check(tdev, img, sizeof(img)), \
				    -EINVAL, #stmt);			\
	} while (0)
	EXPECT_BAD(h->magic ^= 1, true);
	EXPECT_BAD(h->header_size = 32, true);
	EXPECT_BAD(h->header_version = 2, true);
	EXPECT_BAD(h->abi_major = TNPU_FW_ABI_MAJOR + 1, true);
	EXPECT_BAD(h->payload_size += 4, true);
	EXPECT_BAD(h->fw_version ^= 1, false);		/* header CRC */
	EXPECT_BAD(img[FW_SIZE - 1] ^= 0x80, false);	/* payload CRC */
#undef EXPECT_BAD

	fw_make(img);
	KUNIT_EXPECT_EQ(test, tnpu_fw_check(tdev, img, sizeof(*h) - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, tnpu_fw_check(tdev, img, FW_SIZE - 4), -EINVAL);
	/* The size limit is checked before anything is read. */
	KUNIT_EXPECT_EQ(test, tnpu_fw_check(tdev, img, TNPU_FW_MAX_SIZE + 1), -EINVAL);
}

static struct kunit_case tnpu_mmu_cases[] = {
	KUNIT_CASE(ctx_create_sets_table_entry),
	KUNIT_CASE(ctx_ids_exhaust_and_reuse),
	KUNIT_CASE(map_bo_writes_leaf_entries),
	KUNIT_CASE(map_bo_device_ro_has_no_write),
	KUNIT_CASE(map_bo_ranges_do_not_overlap),
	KUNIT_CASE(map_bo_spans_page_tables),
	KUNIT_CASE(map_bo_short_backing_fails_clean),
	{}
};

static struct kunit_suite tnpu_mmu_suite = {
	.name = "tnpu_mmu",
	.test_cases = tnpu_mmu_cases,
};

static struct kunit_case tnpu_job_cases[] = {
	KUNIT_CASE(submit_check_accepts_valid),
	KUNIT_CASE(submit_check_rejects_each_field),
	KUNIT_CASE(job_results_map_to_uapi),
	{}
};

static struct kunit_suite tnpu_job_suite = {
	.name = "tnpu_job",
	.test_cases = tnpu_job_cases,
};

static struct kunit_case tnpu_fw_cases[] = {
	KUNIT_CASE(fw_check_valid_and_newer_minor),
	KUNIT_CASE(fw_check_rejects_corruption),
	{}
};

static struct kunit_suite tnpu_fw_suite = {
	.name = "tnpu_fw",
	.test_cases = tnpu_fw_cases,
};

kunit_test_suites(&tnpu_mmu_suite, &tnpu_job_suite, &tnpu_fw_suite);

MODULE_DESCRIPTION("KUnit tests for the tnpu accel driver");
MODULE_LICENSE("GPL");
