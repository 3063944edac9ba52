// SPDX-License-Identifier: MIT
/*
 * fake_hal.c - see fake_hal.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"

int fake_malloc_budget = -1;

void *__real_malloc(size_t size);

void *__wrap_malloc(size_t size)
{
	if (fake_malloc_budget == 0)
		return NULL;
	if (fake_malloc_budget > 0)
		fake_malloc_budget--;
	return __real_malloc(size);
}

static bool in_mem(uint64_t addr, size_t len)
{
	return addr >= FAKE_MEM_BASE && len <= FAKE_MEM_SIZE &&
	       addr - FAKE_MEM_BASE <= FAKE_MEM_SIZE - len;
}

static int fake_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct fake_hal *f = opaque;

	if (!in_mem(addr, len))
		return -1;
	memcpy(buf, f->mem + (addr - FAKE_MEM_BASE), len);
	return 0;
}

static int fake_dma_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
	struct fake_hal *f = opaque;

	if (!in_mem(addr, len))
		return -1;
	memcpy(f->mem + (addr - FAKE_MEM_BASE), buf, len);
	return 0;
}

static void fake_raise_irq(void *opaque, unsigned int vector)
{
	struct fake_hal *f = opaque;

	if (vector < TNPU_NUM_VECTORS)
		f->irq_count[vector]++;
	if (f->n_irqs < FAKE_MAX_IRQS)
		f->irqs[f->n_irqs++] = vector;
}

static uint64_t fake_clock_ns(void *opaque)
{
	struct fake_hal *f = opaque;

	f->now += f->clock_step;
	return f->now;
}

static void fake_log(void *opaque, const char *fmt, ...)
{
	struct fake_hal *f = opaque;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->last_log, sizeof(f->last_log), fmt, ap);
	va_end(ap);
	f->n_logs++;
}

void fake_init(struct fake_hal *f)
{
	memset(f, 0, sizeof(*f));
	f->mem = calloc(1, FAKE_MEM_SIZE);
	if (!f->mem)
		abort();
	f->hal.opaque = f;
	f->hal.dma_read = fake_dma_read;
	f->hal.dma_write = fake_dma_write;
	f->hal.raise_irq = fake_raise_irq;
	f->hal.clock_ns = fake_clock_ns;
	f->hal.log = fake_log;
	f->clock_step = 100;
	f->ctx_table = fake_alloc(f, TNPU_CTX_TABLE_SIZE, TNPU_PAGE_SIZE);
}

void fake_fini(struct fake_hal *f)
{
	free(f->mem);
	f->mem = NULL;
}

uint64_t fake_alloc(struct fake_hal *f, size_t size, size_t align)
{
	uint64_t off = (f->brk + align - 1) & ~(uint64_t)(align - 1);

	if (off + size > FAKE_MEM_SIZE) {
		fprintf(stderr, "fake_alloc: out of fake memory\n");
		abort();
	}
	f->brk = off + size;
	memset(f->mem + off, 0, size);
	return FAKE_MEM_BASE + off;
}

void *fake_ptr(struct fake_hal *f, uint64_t bus)
{
	if (!in_mem(bus, 1)) {
		fprintf(stderr, "fake_ptr: 0x%llx outside memory\n", (unsigned long long)bus);
		abort();
	}
	return f->mem + (bus - FAKE_MEM_BASE);
}

void fake_ctx_create(struct fake_hal *f, unsigned int ctx)
{
	struct tnpu_ctx_entry *ce = fake_ptr(f, f->ctx_table);

	f->roots[ctx] = fake_alloc(f, TNPU_PAGE_SIZE, TNPU_PAGE_SIZE);
	ce[ctx].pt_root = f->roots[ctx] | TNPU_CTX_VALID;
	ce[ctx].reserved = 0;
}

/* Entry for @va at @level, creating lower tables on the way if @create. */
static uint64_t *walk(struct fake_hal *f, unsigned int ctx, uint64_t va, int level, bool create)
{
	uint64_t table = f->roots[ctx];
	int l;

	if (!table)
		return NULL;
	for (l = TNPU_PT_LEVELS - 1; ; l--) {
		uint64_t *e = (uint64_t *)fake_ptr(f, table) + TNPU_PT_INDEX(va, l);

		if (l == level)
			return e;
		if (!(*e & TNPU_PTE_VALID)) {
			if (!create)
				return NULL;
			*e = fake_alloc(f, TNPU_PAGE_SIZE, TNPU_PAGE_SIZE) | TNPU_PTE_VALID;
		}
		table = *e & TNPU_PTE_ADDR_MASK;
	}
}

void fake_map(struct fake_hal *f, unsigned int ctx, uint64_t va, uint64_t pa, size_t size,
	      uint64_t perms)
{
	uint64_t off;

	for (off = 0; off < size; off += TNPU_PAGE_SIZE) {
		uint64_t *e = walk(f, ctx, va + off, 0, true);

		*e = ((pa + off) & TNPU_PTE_ADDR_MASK) | TNPU_PTE_VALID | perms;
	}
}

void *fake_map_new(struct fake_hal *f, unsigned int ctx, uint64_t va, size_t size,
		   uint64_t perms)
{
	size_t len = (size + TNPU_PAGE_SIZE - 1) & ~(size_t)(TNPU_PAGE_SIZE - 1);
	uint64_t pa = fake_alloc(f, len, TNPU_PAGE_SIZE);

	fake_map(f, ctx, va, pa, len, perms);
	return fake_ptr(f, pa);
}

uint64_t *fake_pte(struct fake_hal *f, unsigned int ctx, uint64_t va, int level)
{
	return walk(f, ctx, va, level, false);
}
