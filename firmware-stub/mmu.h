/* SPDX-License-Identifier: MIT */
/*
 * mmu.h - the device MMU: context table lookup and 3-level page walk.
 *
 * One struct tnpu_mmu is used per job, by the worker thread only.  It holds
 * a one-entry translation cache that lives only as long as the job, so a
 * page-table change is always seen by the next job (see MMU_INVALIDATE in
 * docs/hardware.md).
 */
#ifndef TNPU_MMU_H
#define TNPU_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tnpu_cp.h"

struct tnpu_mmu {
	const struct tnpu_hal *hal;
	uint64_t ctx_table;	/* bus address of the context table */
	unsigned int ctx;	/* context id */
	bool tlb_valid;
	uint64_t tlb_vpn;	/* va >> TNPU_PAGE_SHIFT */
	uint64_t tlb_pte;	/* leaf entry */
};

/* Where and why an access faulted. */
struct tnpu_mmu_fault {
	uint64_t va;
	uint32_t reason;	/* enum tnpu_fault_reason */
	bool write;
};

enum tnpu_mmu_result {
	TNPU_MMU_OK = 0,
	TNPU_MMU_FAULTED,	/* translation failed, see struct tnpu_mmu_fault */
	TNPU_MMU_DMA_FAILED,	/* translated, but the bus address is not RAM */
};

void tnpu_mmu_init(struct tnpu_mmu *m, const struct tnpu_hal *hal, uint64_t ctx_table,
		   unsigned int ctx);

/*
 * Translate @va for a read or write.  Returns 0 and the bus address in @pa,
 * or an enum tnpu_fault_reason.
 */
uint32_t tnpu_mmu_translate(struct tnpu_mmu *m, uint64_t va, bool write, uint64_t *pa);

/*
 * Copy @len bytes between device VA @va and @buf, page by page.  On
 * TNPU_MMU_FAULTED @f holds the first faulting VA (the start of the failing
 * page, or @va).  Bytes before the failing page may have been transferred.
 */
enum tnpu_mmu_result tnpu_mmu_read(struct tnpu_mmu *m, uint64_t va, void *buf, size_t len,
				   struct tnpu_mmu_fault *f);
enum tnpu_mmu_result tnpu_mmu_write(struct tnpu_mmu *m, uint64_t va, const void *buf,
				    size_t len, struct tnpu_mmu_fault *f);

#endif /* TNPU_MMU_H */
