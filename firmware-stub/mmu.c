// SPDX-License-Identifier: MIT
/*
 * mmu.c - page walk for the tnpu device MMU.
 *
 * Walk: context entry (CTX_TABLE + 16 * ctx) -> L2 -> L1 -> L0 -> page.
 * Every entry is checked: reserved bits must be clear, upper levels must be
 * VALID with READ/WRITE clear, the leaf must grant the access.
 */
#include <string.h>

#include "mmu.h"

#define VA_LIMIT	(1ull << TNPU_VA_BITS)
#define PTE_PERMS	(TNPU_PTE_READ | TNPU_PTE_WRITE)
/* pt_root may hold only the table address and VALID */
#define CTX_ROOT_RSVD	(~(TNPU_PTE_ADDR_MASK | TNPU_CTX_VALID))

void tnpu_mmu_init(struct tnpu_mmu *m, const struct tnpu_hal *hal, uint64_t ctx_table,
		   unsigned int ctx)
{
	memset(m, 0, sizeof(*m));
	m->hal = hal;
	m->ctx_table = ctx_table;
	m->ctx = ctx;
}

static uint32_t read_u64(struct tnpu_mmu *m, uint64_t addr, uint64_t *val)
{
	if (m->hal->dma_read(m->hal->opaque, addr, val, sizeof(*val)))
		return TNPU_FAULT_WALK_DMA;
	return 0;
}

static uint32_t walk(struct tnpu_mmu *m, uint64_t va, uint64_t *leaf)
{
	struct tnpu_ctx_entry ce;
	uint64_t table, pte = 0;
	int level;

	if (m->ctx == 0 || m->ctx >= TNPU_NUM_CONTEXTS)
		return TNPU_FAULT_BAD_CONTEXT;
	if (m->hal->dma_read(m->hal->opaque, m->ctx_table + m->ctx * sizeof(ce), &ce,
			     sizeof(ce)))
		return TNPU_FAULT_WALK_DMA;
	if (!(ce.pt_root & TNPU_CTX_VALID))
		return TNPU_FAULT_BAD_CONTEXT;
	if (ce.reserved || (ce.pt_root & CTX_ROOT_RSVD))
		return TNPU_FAULT_BAD_ENTRY;

	table = ce.pt_root & TNPU_PTE_ADDR_MASK;
	for (level = TNPU_PT_LEVELS - 1; level >= 0; level--) {
		uint32_t err = read_u64(m, table + TNPU_PT_INDEX(va, level) * 8, &pte);

		if (err)
			return err;
		if (!(pte & TNPU_PTE_VALID))
			return TNPU_FAULT_NOT_MAPPED;
		if (pte & TNPU_PTE_RSVD_MASK)
			return TNPU_FAULT_BAD_ENTRY;
		if (level > 0 && (pte & PTE_PERMS))
			return TNPU_FAULT_BAD_ENTRY;
		table = pte & TNPU_PTE_ADDR_MASK;
	}
	*leaf = pte;
	return 0;
}

uint32_t tnpu_mmu_translate(struct tnpu_mmu *m, uint64_t va, bool write, uint64_t *pa)
{
	uint64_t vpn = va >> TNPU_PAGE_SHIFT, pte;
	uint32_t err;

	if (va >= VA_LIMIT)
		return TNPU_FAULT_RANGE;
	if (m->tlb_valid && m->tlb_vpn == vpn) {
		pte = m->tlb_pte;
	} else {
		err = walk(m, va, &pte);
		if (err)
			return err;
		m->tlb_valid = true;
		m->tlb_vpn = vpn;
		m->tlb_pte = pte;
	}
	if (!(pte & (write ? TNPU_PTE_WRITE : TNPU_PTE_READ)))
		return TNPU_FAULT_PERMISSION;
	*pa = (pte & TNPU_PTE_ADDR_MASK) | (va & (TNPU_PAGE_SIZE - 1));
	return 0;
}

static enum tnpu_mmu_result xfer(struct tnpu_mmu *m, uint64_t va, void *rbuf,
				 const void *wbuf, size_t len, struct tnpu_mmu_fault *f)
{
	bool write = wbuf != NULL;
	size_t done = 0;

	while (done < len) {
		uint64_t cur = va + done, pa;
		size_t chunk = TNPU_PAGE_SIZE - (cur & (TNPU_PAGE_SIZE - 1));
		uint32_t reason;
		int ret;

		if (chunk > len - done)
			chunk = len - done;
		/* a range that wraps the 64-bit space is out of range */
		reason = cur < va ? TNPU_FAULT_RANGE : tnpu_mmu_translate(m, cur, write, &pa);
		if (reason) {
			f->va = cur;
			f->reason = reason;
			f->write = write;
			return TNPU_MMU_FAULTED;
		}
		if (write)
			ret = m->hal->dma_write(m->hal->opaque, pa, (const uint8_t *)wbuf + done,
						chunk);
		else
			ret = m->hal->dma_read(m->hal->opaque, pa, (uint8_t *)rbuf + done, chunk);
		if (ret)
			return TNPU_MMU_DMA_FAILED;
		done += chunk;
	}
	return TNPU_MMU_OK;
}

enum tnpu_mmu_result tnpu_mmu_read(struct tnpu_mmu *m, uint64_t va, void *buf, size_t len,
				   struct tnpu_mmu_fault *f)
{
	return xfer(m, va, buf, NULL, len, f);
}

enum tnpu_mmu_result tnpu_mmu_write(struct tnpu_mmu *m, uint64_t va, const void *buf,
				    size_t len, struct tnpu_mmu_fault *f)
{
	return xfer(m, va, NULL, buf, len, f);
}
