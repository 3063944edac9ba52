/* SPDX-License-Identifier: MIT */
/*
 * fake_hal.h - a HAL for host tests: a byte array as "host memory" (DMA
 * outside it fails), an IRQ log, a fake clock, a captured guest-error log,
 * and helpers that build MMU contexts and page tables in that memory.
 */
#ifndef FAKE_HAL_H
#define FAKE_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tnpu_cp.h"

#define FAKE_MEM_BASE	0x100000ull		/* bus address of mem[0] */
#define FAKE_MEM_SIZE	(8u << 20)
#define FAKE_MAX_IRQS	256

struct fake_hal {
	struct tnpu_hal hal;
	uint8_t *mem;
	uint64_t brk;			/* bump allocator, offset into mem */
	unsigned int irqs[FAKE_MAX_IRQS];	/* vectors in order raised */
	unsigned int n_irqs;
	unsigned int irq_count[TNPU_NUM_VECTORS];
	uint64_t now;			/* advances by clock_step per call */
	uint64_t clock_step;
	unsigned int n_logs;
	char last_log[256];
	uint64_t ctx_table;		/* bus address, allocated by fake_init */
	uint64_t roots[TNPU_NUM_CONTEXTS];
};

/*
 * malloc() is wrapped in the test binaries (-Wl,--wrap=malloc): with
 * fake_malloc_budget >= 0, that many more allocations succeed and the rest
 * return NULL, to test the out-of-memory paths.  -1 (default) = unlimited.
 */
extern int fake_malloc_budget;
void *__wrap_malloc(size_t size);

void fake_init(struct fake_hal *f);
void fake_fini(struct fake_hal *f);

/* Zeroed memory; returns its bus address. */
uint64_t fake_alloc(struct fake_hal *f, size_t size, size_t align);
/* Host pointer for a bus address (asserts it is inside memory). */
void *fake_ptr(struct fake_hal *f, uint64_t bus);

/* Make context @ctx valid with an empty L2 table. */
void fake_ctx_create(struct fake_hal *f, unsigned int ctx);
/* Map [va, va+size) to [pa, ...) with @perms (TNPU_PTE_READ/WRITE). */
void fake_map(struct fake_hal *f, unsigned int ctx, uint64_t va, uint64_t pa, size_t size,
	      uint64_t perms);
/* Allocate and map; returns the host pointer of the backing memory. */
void *fake_map_new(struct fake_hal *f, unsigned int ctx, uint64_t va, size_t size,
		   uint64_t perms);
/* The entry for @va at @level (2 = L2 .. 0 = leaf); NULL if a table is missing. */
uint64_t *fake_pte(struct fake_hal *f, unsigned int ctx, uint64_t va, int level);

#endif /* FAKE_HAL_H */
