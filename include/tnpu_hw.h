/* SPDX-License-Identifier: MIT */
/*
 * tnpu_hw.h - the tnpu hardware contract.
 *
 * Registers, interrupts, command queues, job descriptors, the command-stream
 * encoding, device page tables, job status codes, the firmware image header
 * and reset semantics of the tnpu inference accelerator.  docs/hardware.md is
 * the prose reference; this header is the single definition every part of
 * the stack (QEMU device, firmware, kernel driver, runtime, tests) includes.
 * Nothing else may redefine a register or a layout.
 *
 * All multi-byte values, in registers and in host memory, are little-endian.
 * The header has no kernel or QEMU dependency.
 */
#ifndef TNPU_HW_H
#define TNPU_HW_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define TNPU_BIT(n)			(1u << (n))

/* ------------------------------------------------------------------------
 * PCI identity and BARs
 */
#define TNPU_PCI_VENDOR_ID		0x1234	/* QEMU's experimental vendor */
#define TNPU_PCI_DEVICE_ID		0x7e5a
#define TNPU_PCI_REVISION		0x01
#define TNPU_PCI_CLASS			0x1200	/* processing accelerator */

#define TNPU_BAR_REGS			0	/* 64 KiB, 32-bit MMIO registers */
#define TNPU_BAR_REGS_SIZE		0x10000
#define TNPU_BAR_MSIX			2	/* MSI-X table and PBA */

/* ------------------------------------------------------------------------
 * Hardware limits
 */
#define TNPU_NUM_QUEUES			4
#define TNPU_NUM_CORES			1
#define TNPU_NUM_CONTEXTS		64	/* context 0 is reserved (never valid) */
#define TNPU_NUM_PRIORITIES		4	/* 0 = lowest, 3 = highest */

#define TNPU_QUEUE_MIN_ENTRIES		2
#define TNPU_QUEUE_MAX_ENTRIES		4096	/* power of two */

#define TNPU_CMD_MAX_SIZE		(1u << 20)	/* bytes per command stream */
#define TNPU_GEMM_MAX_DIM		8192		/* M, N and K */
#define TNPU_COPY_MAX_SIZE		(1ull << 30)	/* COPY/FILL bytes per command */

/* MSI-X vectors */
#define TNPU_VEC_DEVICE			0	/* boot, MMU fault, device error */
#define TNPU_VEC_QUEUE(q)		(1 + (q))
#define TNPU_NUM_VECTORS		(1 + TNPU_NUM_QUEUES)

/* ------------------------------------------------------------------------
 * BAR0 registers (32-bit accesses only; other sizes read 0 / are ignored)
 */
#define TNPU_REG_ID			0x000	/* RO: TNPU_ID_MAGIC */
#define   TNPU_ID_MAGIC			0x55504e54	/* "TNPU" */
#define TNPU_REG_HW_VERSION		0x004	/* RO: major << 16 | minor */
#define   TNPU_HW_VERSION_MAJOR		1
#define   TNPU_HW_VERSION_MINOR		0
#define   TNPU_HW_VERSION		((TNPU_HW_VERSION_MAJOR << 16) | TNPU_HW_VERSION_MINOR)
#define TNPU_REG_CAPS			0x008	/* RO: TNPU_CAP_* */
#define   TNPU_CAP_GEMM_FP32		TNPU_BIT(0)
#define   TNPU_CAP_GEMM_INT8		TNPU_BIT(1)
#define   TNPU_CAP_MMU			TNPU_BIT(2)
#define   TNPU_CAP_COPY_FILL		TNPU_BIT(3)
#define TNPU_REG_HW_CFG			0x00c	/* RO: counts, see TNPU_HW_CFG_* */
#define   TNPU_HW_CFG_QUEUES(v)		((v) & 0xff)
#define   TNPU_HW_CFG_CORES(v)		(((v) >> 8) & 0xff)
#define   TNPU_HW_CFG_CONTEXTS(v)	(((v) >> 16) & 0xff)
#define   TNPU_HW_CFG_VA_BITS(v)	(((v) >> 24) & 0xff)
#define   TNPU_HW_CFG_MAKE(q, c, x, va)	((q) | ((c) << 8) | ((x) << 16) | ((uint32_t)(va) << 24))

#define TNPU_REG_STATUS			0x010	/* RO */
#define   TNPU_STATUS_FW_READY		TNPU_BIT(0)	/* firmware booted; queues usable */
#define   TNPU_STATUS_FW_ERROR		TNPU_BIT(1)	/* last boot failed, see BOOT_ERR */
#define   TNPU_STATUS_RESETTING		TNPU_BIT(2)	/* reset in progress */
#define   TNPU_STATUS_BUSY		TNPU_BIT(3)	/* a job is executing */
#define   TNPU_STATUS_BOOTING		TNPU_BIT(4)	/* boot requested, not finished */
#define TNPU_REG_CONTROL		0x014	/* WO: write 1 to trigger; reads 0 */
#define   TNPU_CONTROL_RESET		TNPU_BIT(0)
#define   TNPU_CONTROL_BOOT		TNPU_BIT(1)
#define TNPU_REG_BOOT_ERR		0x018	/* RO: enum tnpu_boot_err */
#define TNPU_REG_FW_VERSION		0x01c	/* RO: from the booted image header */
#define TNPU_REG_FW_ABI			0x020	/* RO: abi_major << 16 | abi_minor */
#define TNPU_REG_FW_FEATURES		0x024	/* RO: from the booted image header */

#define TNPU_REG_INT_STATUS		0x030	/* RW1C: TNPU_INT_* */
#define   TNPU_INT_BOOT_DONE		TNPU_BIT(0)	/* boot finished (ok or error) */
#define   TNPU_INT_MMU_FAULT		TNPU_BIT(1)	/* fault record latched */
#define   TNPU_INT_RESET_DONE		TNPU_BIT(2)
#define   TNPU_INT_QUEUE(q)		TNPU_BIT(8 + (q))	/* job completed on queue q */
#define TNPU_REG_INT_MASK		0x034	/* RW: 1 = masked (no MSI-X message) */

#define TNPU_REG_FW_ADDR_LO		0x040	/* RW: bus address of the image */
#define TNPU_REG_FW_ADDR_HI		0x044
#define TNPU_REG_FW_SIZE		0x048	/* RW: bytes */

#define TNPU_REG_CTX_TABLE_LO		0x050	/* RW: bus address, 4 KiB aligned */
#define TNPU_REG_CTX_TABLE_HI		0x054
#define TNPU_REG_MMU_INVALIDATE		0x058	/* WO: context id; 0xffffffff = all */
#define   TNPU_MMU_INVALIDATE_ALL	0xffffffffu

#define TNPU_REG_FAULT_STATUS		0x060	/* RW1C on bit 0 */
#define   TNPU_FAULT_VALID		TNPU_BIT(0)
#define   TNPU_FAULT_WRITE		TNPU_BIT(1)	/* 1 = write access, 0 = read */
#define   TNPU_FAULT_REASON(v)		(((v) >> 4) & 0xf)	/* enum tnpu_fault_reason */
#define   TNPU_FAULT_CTX(v)		(((v) >> 8) & 0xff)
#define   TNPU_FAULT_QUEUE(v)		(((v) >> 16) & 0xff)
#define   TNPU_FAULT_MAKE(w, r, ctx, q)	(TNPU_FAULT_VALID | ((w) ? TNPU_FAULT_WRITE : 0) | \
					 ((uint32_t)(r) << 4) | ((uint32_t)(ctx) << 8) | \
					 ((uint32_t)(q) << 16))
#define TNPU_REG_FAULT_ADDR_LO		0x064	/* RO: faulting device virtual address */
#define TNPU_REG_FAULT_ADDR_HI		0x068

#define TNPU_REG_JOBS_DONE		0x070	/* RO: jobs completed since reset */
#define TNPU_REG_RESET_COUNT		0x074	/* RO: device resets since power-on */

/* Per-queue register blocks */
#define TNPU_REG_QUEUE_BASE		0x1000
#define TNPU_REG_QUEUE_STRIDE		0x40
#define TNPU_QREG(q, r)			(TNPU_REG_QUEUE_BASE + (q) * TNPU_REG_QUEUE_STRIDE + (r))
#define TNPU_QREG_RING_LO		0x00	/* RW: ring bus address, 64 B aligned */
#define TNPU_QREG_RING_HI		0x04
#define TNPU_QREG_SIZE			0x08	/* RW: entries, power of two */
#define TNPU_QREG_PRIORITY		0x0c	/* RW: 0..TNPU_NUM_PRIORITIES-1 */
#define TNPU_QREG_FENCE_LO		0x10	/* RW: bus address of a u64, 8 B aligned */
#define TNPU_QREG_FENCE_HI		0x14
#define TNPU_QREG_CONTROL		0x18	/* RW: TNPU_QCTRL_* */
#define   TNPU_QCTRL_ENABLE		TNPU_BIT(0)
#define TNPU_QREG_HEAD			0x1c	/* RO: next entry the device fetches */
#define TNPU_QREG_TAIL			0x20	/* RW: doorbell, next entry the host fills */
#define TNPU_QREG_STATUS		0x24	/* RO: TNPU_QSTATUS_* */
#define   TNPU_QSTATUS_ENABLED		TNPU_BIT(0)
#define   TNPU_QSTATUS_ERROR		TNPU_BIT(1)	/* bad config or doorbell; queue halted */
#define TNPU_QREG_COMPLETED		0x28	/* RO: low 32 bits of the last fence value */

/* ------------------------------------------------------------------------
 * Job descriptor: one 64-byte ring entry.  The host fills it, the device
 * writes back status, err_offset, duration_ns and fault_addr, then stores
 * fence_value to the queue's fence address and raises TNPU_VEC_QUEUE(q).
 *
 * fault_addr is the per-job copy of the fault record: the FAULT_* registers
 * hold only the first fault until cleared, so they cannot tell which job a
 * later fault belongs to.  Like the reserved words, the host must write it
 * as 0; a non-zero value at fetch fails the job with TNPU_JOB_INVALID_DESC.
 */
#define TNPU_JOB_DESC_SIZE		64

#define TNPU_JOB_F_NO_IRQ		TNPU_BIT(0)	/* complete without an interrupt */
#define TNPU_JOB_F_ALL			TNPU_JOB_F_NO_IRQ

struct tnpu_job_desc {
	uint16_t ctx;		/* MMU context, 1..TNPU_NUM_CONTEXTS-1 */
	uint16_t flags;		/* TNPU_JOB_F_* */
	uint32_t cmd_size;	/* bytes, multiple of 8, 8..TNPU_CMD_MAX_SIZE */
	uint64_t cmd_addr;	/* device virtual address, 8 B aligned */
	uint64_t fence_value;	/* stored to the queue fence on completion */
	uint32_t status;	/* device writes enum tnpu_job_status */
	uint32_t err_offset;	/* device writes: byte offset of the failing command */
	uint64_t duration_ns;	/* device writes: execution time */
	uint64_t fault_addr;	/* device writes: faulting VA with TNPU_JOB_MMU_FAULT,
				 * else 0; host writes 0 */
	uint64_t reserved[2];	/* must be zero */
};

enum tnpu_job_status {
	TNPU_JOB_PENDING	= 0,	/* host writes this before ringing */
	TNPU_JOB_OK		= 1,
	TNPU_JOB_INVALID_DESC	= 2,	/* bad ctx, flags, size, alignment, fault_addr,
					 * reserved */
	TNPU_JOB_INVALID_CMD	= 3,	/* unknown opcode or bad command size */
	TNPU_JOB_INVALID_ARG	= 4,	/* bad op field (dims, dtype, flags, ...) */
	TNPU_JOB_MMU_FAULT	= 5,	/* address in fault_addr; see the fault record */
	TNPU_JOB_DMA_ERROR	= 6,	/* host memory not reachable */
	TNPU_JOB_ABORTED	= 7,	/* reset or queue disable while queued/running */
	TNPU_JOB_STATUS_MAX,
};

/* ------------------------------------------------------------------------
 * Command stream: a sequence of commands, each starting with a 32-bit header.
 * Every command is a multiple of 8 bytes; size_dw counts 32-bit words
 * including the header.  Commands execute in order; the first failing
 * command ends the job.
 */
#define TNPU_CMD_HDR(op, flags, size_dw) \
	((uint32_t)(op) | ((uint32_t)(flags) << 8) | ((uint32_t)(size_dw) << 16))
#define TNPU_CMD_OP(h)			((h) & 0xff)
#define TNPU_CMD_FLAGS(h)		(((h) >> 8) & 0xff)
#define TNPU_CMD_SIZE_DW(h)		((h) >> 16)

enum tnpu_op {
	TNPU_OP_NOP	= 0x00,
	TNPU_OP_COPY	= 0x01,
	TNPU_OP_FILL	= 0x02,
	TNPU_OP_GEMM	= 0x10,
};

/* NOP: does nothing.  size_dw == 2. */
struct tnpu_cmd_nop {
	uint32_t hdr;
	uint32_t reserved;	/* must be zero */
};

/* COPY: size bytes from src to dst (device VAs).  Overlap is not allowed. */
struct tnpu_cmd_copy {
	uint32_t hdr;
	uint32_t reserved;	/* must be zero */
	uint64_t src;
	uint64_t dst;
	uint64_t size;		/* 1..TNPU_COPY_MAX_SIZE */
};

/* FILL: size bytes at dst with the repeated 32-bit little-endian value. */
struct tnpu_cmd_fill {
	uint32_t hdr;
	uint32_t value;
	uint64_t dst;
	uint64_t size;		/* multiple of 4, 4..TNPU_COPY_MAX_SIZE */
};

/*
 * GEMM: C[M][N] = epilogue(A[M][K] x B[K][N] + bias[N]), row-major with
 * element strides lda, ldb, ldc.  With TNPU_GEMM_TRANS_B, B is stored [N][K]
 * (row n holds column n), which is how weight matrices are usually kept.
 *
 * FP32: A, B, C, bias are float; accumulation in float, K in order.
 * INT8: A, B are int8; accumulation and bias are int32; the result is
 *   requantized to int8:
 *     t = ((int64)acc * q_mult + (1 << (q_shift - 1))) >> q_shift   (q_shift > 0)
 *     t = (int64)acc * q_mult                                       (q_shift == 0)
 *     t = t + q_zero, saturated to [-128, 127]
 *   (the shift is arithmetic).  With TNPU_GEMM_RELU, t = max(t, q_zero)
 *   after saturation.  With TNPU_GEMM_OUT_I32, C is int32 and holds
 *   acc (+ bias, then ReLU at 0), with no requantization.
 */
#define TNPU_GEMM_BIAS			TNPU_BIT(0)
#define TNPU_GEMM_RELU			TNPU_BIT(1)
#define TNPU_GEMM_TRANS_B		TNPU_BIT(2)
#define TNPU_GEMM_OUT_I32		TNPU_BIT(3)	/* INT8 only */
#define TNPU_GEMM_FLAGS_ALL		0x0f

enum tnpu_dtype {
	TNPU_DTYPE_FP32	= 0,
	TNPU_DTYPE_INT8	= 1,
};

struct tnpu_cmd_gemm {
	uint32_t hdr;		/* flags: TNPU_GEMM_* */
	uint32_t dtype;		/* enum tnpu_dtype */
	uint32_t m, n, k;	/* 1..TNPU_GEMM_MAX_DIM */
	uint32_t lda, ldb, ldc;	/* elements; lda >= k, ldb >= (TRANS_B ? k : n), ldc >= n */
	uint64_t a, b, c;	/* device VAs */
	uint64_t bias;		/* device VA, used with TNPU_GEMM_BIAS */
	int32_t q_mult;		/* INT8 requantization */
	uint32_t q_shift;	/* 0..62 */
	int32_t q_zero;		/* -128..127 */
	uint32_t reserved;	/* must be zero */
};

#define TNPU_CMD_NOP_DW			(sizeof(struct tnpu_cmd_nop) / 4)
#define TNPU_CMD_COPY_DW		(sizeof(struct tnpu_cmd_copy) / 4)
#define TNPU_CMD_FILL_DW		(sizeof(struct tnpu_cmd_fill) / 4)
#define TNPU_CMD_GEMM_DW		(sizeof(struct tnpu_cmd_gemm) / 4)

/* ------------------------------------------------------------------------
 * Device MMU.
 *
 * Context table: TNPU_NUM_CONTEXTS 16-byte entries at CTX_TABLE.  Entry i
 * describes MMU context i; entry 0 is never valid.  Page tables: three
 * levels of 512 8-byte entries (one 4 KiB page each), 39-bit device
 * virtual addresses: L2 index = va[38:30], L1 = va[29:21], L0 = va[20:12].
 * Upper-level entries point to the next table (VALID set, READ/WRITE clear);
 * L0 entries map one 4 KiB page.  Page tables live in host memory and are
 * read by bus address.  The device may cache translations: after clearing
 * or changing a valid entry, write the context id to MMU_INVALIDATE.
 */
#define TNPU_PAGE_SHIFT			12
#define TNPU_PAGE_SIZE			(1u << TNPU_PAGE_SHIFT)
#define TNPU_VA_BITS			39
#define TNPU_PT_LEVELS			3
#define TNPU_PT_ENTRIES			512
#define TNPU_PT_INDEX(va, level)	(((va) >> (TNPU_PAGE_SHIFT + 9 * (level))) & 0x1ff)

#define TNPU_PTE_VALID			(1ull << 0)
#define TNPU_PTE_READ			(1ull << 1)
#define TNPU_PTE_WRITE			(1ull << 2)
#define TNPU_PTE_ADDR_MASK		0x000ffffffffff000ull	/* bits 51:12 */
#define TNPU_PTE_RSVD_MASK		(~(TNPU_PTE_ADDR_MASK | 0x7ull))

#define TNPU_CTX_VALID			(1ull << 0)

struct tnpu_ctx_entry {
	uint64_t pt_root;	/* bus address of the L2 table | TNPU_CTX_VALID */
	uint64_t reserved;	/* must be zero */
};

#define TNPU_CTX_TABLE_SIZE		(TNPU_NUM_CONTEXTS * sizeof(struct tnpu_ctx_entry))

enum tnpu_fault_reason {
	TNPU_FAULT_NOT_MAPPED	= 1,	/* an entry on the walk is not VALID */
	TNPU_FAULT_PERMISSION	= 2,	/* leaf lacks READ or WRITE */
	TNPU_FAULT_BAD_ENTRY	= 3,	/* reserved bits set, bad upper-level entry */
	TNPU_FAULT_BAD_CONTEXT	= 4,	/* context entry not VALID */
	TNPU_FAULT_RANGE	= 5,	/* address beyond TNPU_VA_BITS */
	TNPU_FAULT_WALK_DMA	= 6,	/* a page-table read failed */
};

/* ------------------------------------------------------------------------
 * Firmware image: a 64-byte header followed by payload_size bytes of
 * payload.  CRCs are CRC-32/ISO-HDLC (the zlib crc32).  The payload is a
 * sequence of sections, each a struct tnpu_fw_section followed by len bytes
 * padded to 4; a section whose type has TNPU_FW_SECT_CRITICAL set must be
 * understood by the device or the boot fails.
 */
#define TNPU_FW_MAGIC			0x57464e54	/* "TNFW" */
#define TNPU_FW_HEADER_VERSION		1
#define TNPU_FW_ABI_MAJOR		1		/* the device accepts exactly this major */
#define TNPU_FW_ABI_MINOR		0		/* and any minor */
#define TNPU_FW_MAX_SIZE		(1u << 20)
#define TNPU_FW_VERSION(maj, min, pat)	(((maj) << 16) | ((min) << 8) | (pat))

#define TNPU_FW_FEAT_PRIORITY		TNPU_BIT(0)	/* priority arbitration */
#define TNPU_FW_FEAT_GEMM		TNPU_BIT(1)
#define TNPU_FW_FEAT_COPY_FILL		TNPU_BIT(2)

struct tnpu_fw_header {
	uint32_t magic;
	uint16_t header_size;	/* sizeof(struct tnpu_fw_header) */
	uint16_t header_version;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t fw_version;	/* TNPU_FW_VERSION() */
	uint32_t features;	/* TNPU_FW_FEAT_* */
	uint32_t payload_size;
	uint32_t payload_crc;
	uint32_t header_crc;	/* CRC of the header with this field zero */
	char build[32];		/* NUL-terminated build tag */
};

struct tnpu_fw_section {
	uint16_t type;
	uint16_t len;
};

#define TNPU_FW_SECT_CRITICAL		0x8000
#define TNPU_FW_SECT_SCHED		(0x0001 | TNPU_FW_SECT_CRITICAL)

/* SCHED section: command processor arbitration parameters. */
struct tnpu_fw_sched {
	uint32_t burst;		/* jobs a queue may run before yielding to a peer
				 * of equal priority, 1..64 */
	uint32_t reserved;	/* must be zero */
};

enum tnpu_boot_err {
	TNPU_BOOT_OK		= 0,
	TNPU_BOOT_DMA		= 1,	/* image not readable at FW_ADDR */
	TNPU_BOOT_SIZE		= 2,	/* FW_SIZE too small, too large, or != header */
	TNPU_BOOT_MAGIC		= 3,
	TNPU_BOOT_HEADER	= 4,	/* header size/version or header CRC */
	TNPU_BOOT_ABI		= 5,	/* unsupported abi_major */
	TNPU_BOOT_CRC		= 6,	/* payload CRC mismatch */
	TNPU_BOOT_PAYLOAD	= 7,	/* malformed or missing section */
	TNPU_BOOT_BUSY		= 8,	/* boot requested while already booted */
};

#ifndef __KERNEL__
_Static_assert(sizeof(struct tnpu_job_desc) == TNPU_JOB_DESC_SIZE, "job desc");
_Static_assert(sizeof(struct tnpu_cmd_nop) == 8, "nop");
_Static_assert(sizeof(struct tnpu_cmd_copy) == 32, "copy");
_Static_assert(sizeof(struct tnpu_cmd_fill) == 24, "fill");
_Static_assert(sizeof(struct tnpu_cmd_gemm) == 80, "gemm");
_Static_assert(sizeof(struct tnpu_ctx_entry) == 16, "ctx");
_Static_assert(sizeof(struct tnpu_fw_header) == 64, "fw header");
#endif

#endif /* TNPU_HW_H */
