// SPDX-License-Identifier: MIT
/*
 * test_mmu.c - the page walk against page tables built by fake_hal: every
 * enum tnpu_fault_reason, permissions, page-crossing transfers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_hal.h"
#include "mmu.h"

#define VA	0x40000000ull	/* L2 index 1 */

static int setup(void **state)
{
	static struct fake_hal f;

	fake_init(&f);
	fake_ctx_create(&f, 1);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fake_fini(*state);
	return 0;
}

static uint32_t xlate(struct fake_hal *f, unsigned int ctx, uint64_t va, bool write,
		      uint64_t *pa)
{
	struct tnpu_mmu m;

	tnpu_mmu_init(&m, &f->hal, f->ctx_table, ctx);
	return tnpu_mmu_translate(&m, va, write, pa);
}

static void test_translate_ok(void **state)
{
	struct fake_hal *f = *state;
	uint64_t pa = 0, backing = fake_alloc(f, 2 * TNPU_PAGE_SIZE, TNPU_PAGE_SIZE);

	fake_map(f, 1, VA, backing, 2 * TNPU_PAGE_SIZE, TNPU_PTE_READ | TNPU_PTE_WRITE);
	assert_int_equal(xlate(f, 1, VA + 0x123, false, &pa), 0);
	assert_int_equal(pa, backing + 0x123);
	assert_int_equal(xlate(f, 1, VA + TNPU_PAGE_SIZE + 8, true, &pa), 0);
	assert_int_equal(pa, backing + TNPU_PAGE_SIZE + 8);
}

static void test_not_mapped(void **state)
{
	struct fake_hal *f = *state;
	uint64_t pa;

	/* nothing at L2 index 5 */
	assert_int_equal(xlate(f, 1, 5ull << 30, false, &pa), TNPU_FAULT_NOT_MAPPED);
	/* L2/L1 exist but the leaf does not */
	fake_map_new(f, 1, VA + 0x200000, TNPU_PAGE_SIZE, TNPU_PTE_READ);
	assert_int_equal(xlate(f, 1, VA + 0x201000, false, &pa), TNPU_FAULT_NOT_MAPPED);
}

static void test_permissions(void **state)
{
	struct fake_hal *f = *state;
	uint64_t pa;

	fake_map_new(f, 1, VA + 0x400000, TNPU_PAGE_SIZE, TNPU_PTE_READ);
	fake_map_new(f, 1, VA + 0x401000, TNPU_PAGE_SIZE, TNPU_PTE_WRITE);
	fake_map_new(f, 1, VA + 0x402000, TNPU_PAGE_SIZE, 0);
	assert_int_equal(xlate(f, 1, VA + 0x400000, false, &pa), 0);
	assert_int_equal(xlate(f, 1, VA + 0x400000, true, &pa), TNPU_FAULT_PERMISSION);
	assert_int_equal(xlate(f, 1, VA + 0x401000, true, &pa), 0);
	assert_int_equal(xlate(f, 1, VA + 0x401000, false, &pa), TNPU_FAULT_PERMISSION);
	assert_int_equal(xlate(f, 1, VA + 0x402000, false, &pa), TNPU_FAULT_PERMISSION);
}

static void test_bad_context(void **state)
{
	struct fake_hal *f = *state;
	struct tnpu_ctx_entry *ce = fake_ptr(f, f->ctx_table);
	uint64_t pa;

	assert_int_equal(xlate(f, 0, VA, false, &pa), TNPU_FAULT_BAD_CONTEXT);
	assert_int_equal(xlate(f, 2, VA, false, &pa), TNPU_FAULT_BAD_CONTEXT);
	assert_int_equal(xlate(f, TNPU_NUM_CONTEXTS, VA, false, &pa), TNPU_FAULT_BAD_CONTEXT);
	/* context entry with reserved bits */
	fake_ctx_create(f, 3);
	ce[3].reserved = 1;
	assert_int_equal(xlate(f, 3, VA, false, &pa), TNPU_FAULT_BAD_ENTRY);
	ce[3].reserved = 0;
	ce[3].pt_root |= 0x10;
	assert_int_equal(xlate(f, 3, VA, false, &pa), TNPU_FAULT_BAD_ENTRY);
	ce[3].pt_root &= ~0x10ull;
	assert_int_equal(xlate(f, 3, VA, false, &pa), TNPU_FAULT_NOT_MAPPED);
}

static void test_bad_upper_entries(void **state)
{
	struct fake_hal *f = *state;
	uint64_t pa, *e;

	fake_map_new(f, 1, VA + 0x600000, TNPU_PAGE_SIZE, TNPU_PTE_READ);
	assert_int_equal(xlate(f, 1, VA + 0x600000, false, &pa), 0);
	/* upper-level entry with a permission bit */
	e = fake_pte(f, 1, VA + 0x600000, 1);
	assert_non_null(e);
	*e |= TNPU_PTE_READ;
	assert_int_equal(xlate(f, 1, VA + 0x600000, false, &pa), TNPU_FAULT_BAD_ENTRY);
	*e &= ~TNPU_PTE_READ;
	/* reserved bit (63) in the L2 entry */
	e = fake_pte(f, 1, VA + 0x600000, 2);
	*e |= 1ull << 63;
	assert_int_equal(xlate(f, 1, VA + 0x600000, false, &pa), TNPU_FAULT_BAD_ENTRY);
	*e &= ~(1ull << 63);
	/* reserved bit in the leaf */
	e = fake_pte(f, 1, VA + 0x600000, 0);
	*e |= 1ull << 8;
	assert_int_equal(xlate(f, 1, VA + 0x600000, false, &pa), TNPU_FAULT_BAD_ENTRY);
	*e &= ~(1ull << 8);
	assert_int_equal(xlate(f, 1, VA + 0x600000, false, &pa), 0);
}

static void test_range_and_walk_dma(void **state)
{
	struct fake_hal *f = *state;
	uint64_t pa, *e;

	assert_int_equal(xlate(f, 1, 1ull << TNPU_VA_BITS, false, &pa), TNPU_FAULT_RANGE);
	assert_int_equal(xlate(f, 1, ~0ull, false, &pa), TNPU_FAULT_RANGE);
	/* an L1 pointer to a table outside host memory */
	fake_map_new(f, 1, VA + 0x800000, TNPU_PAGE_SIZE, TNPU_PTE_READ);
	e = fake_pte(f, 1, VA + 0x800000, 1);
	*e = 0x7f0000000000ull | TNPU_PTE_VALID;
	assert_int_equal(xlate(f, 1, VA + 0x800000, false, &pa), TNPU_FAULT_WALK_DMA);
	/* context table outside memory */
	{
		struct tnpu_mmu m;

		tnpu_mmu_init(&m, &f->hal, 0x10000000000ull, 1);
		assert_int_equal(tnpu_mmu_translate(&m, VA, false, &pa), TNPU_FAULT_WALK_DMA);
	}
}

static void test_read_write_across_pages(void **state)
{
	struct fake_hal *f = *state;
	uint64_t va = VA + 0xa00000;
	uint8_t *p0 = fake_map_new(f, 1, va, TNPU_PAGE_SIZE, TNPU_PTE_READ | TNPU_PTE_WRITE);
	/* the second page is elsewhere in host memory: not contiguous */
	uint8_t *p1 = fake_map_new(f, 1, va + TNPU_PAGE_SIZE, TNPU_PAGE_SIZE,
				   TNPU_PTE_READ | TNPU_PTE_WRITE);
	uint8_t out[64], in[64];
	struct tnpu_mmu m;
	struct tnpu_mmu_fault flt;
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	tnpu_mmu_init(&m, &f->hal, f->ctx_table, 1);
	assert_int_equal(tnpu_mmu_write(&m, va + TNPU_PAGE_SIZE - 32, in, sizeof(in), &flt),
			 TNPU_MMU_OK);
	assert_memory_equal(p0 + TNPU_PAGE_SIZE - 32, in, 32);
	assert_memory_equal(p1, in + 32, 32);
	assert_int_equal(tnpu_mmu_read(&m, va + TNPU_PAGE_SIZE - 32, out, sizeof(out), &flt),
			 TNPU_MMU_OK);
	assert_memory_equal(out, in, sizeof(in));
	/* running off the end faults at the first unmapped page */
	assert_int_equal(tnpu_mmu_read(&m, va + 2 * TNPU_PAGE_SIZE - 8, out, 16, &flt),
			 TNPU_MMU_FAULTED);
	assert_int_equal(flt.va, va + 2 * TNPU_PAGE_SIZE);
	assert_int_equal(flt.reason, TNPU_FAULT_NOT_MAPPED);
	assert_false(flt.write);
}

static void test_leaf_outside_memory_is_dma_error(void **state)
{
	struct fake_hal *f = *state;
	uint64_t va = VA + 0xc00000;
	struct tnpu_mmu m;
	struct tnpu_mmu_fault flt;
	uint8_t b[4];

	fake_map(f, 1, va, 0x7f0000000000ull, TNPU_PAGE_SIZE, TNPU_PTE_READ | TNPU_PTE_WRITE);
	tnpu_mmu_init(&m, &f->hal, f->ctx_table, 1);
	assert_int_equal(tnpu_mmu_read(&m, va, b, sizeof(b), &flt), TNPU_MMU_DMA_FAILED);
	assert_int_equal(tnpu_mmu_write(&m, va, b, sizeof(b), &flt), TNPU_MMU_DMA_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translate_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_upper_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_and_walk_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf_outside_memory_is_dma_error, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("mmu", tests, NULL, NULL);
}
