// SPDX-License-Identifier: MIT
/*
 * tnpu-test-abi: device identity, unknown ioctls, GET_INFO, BO_CREATE,
 * BO_INFO, GEM_CLOSE and mmap of buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tnpu_test.h"

#define CTX(s)	((struct tn_ctx *)*(s))
#define MAX_BO	DRM_TNPU_MAX_BO_SIZE

static void test_version(void **state)
{
	drmVersionPtr v = drmGetVersion(CTX(state)->fd);

	assert_non_null(v);
	assert_string_equal(v->name, "tnpu");
	drmFreeVersion(v);
	assert_int_equal(strncmp(tn_dev_path(), "/dev/accel/accel", 16), 0);
}

/* An accel driver's unknown ioctls get what DRM core returns for them. */
static void test_unknown_ioctl(void **state)
{
	static const unsigned int nrs[] = { 0x05, 0x06, 0x10, 0x3f, 0x5f };
	int fd = CTX(state)->fd;
	char buf[64] = { 0 };
	size_t i;

	/* Driver range, past the last tnpu ioctl: DRM core says -EINVAL. */
	for (i = 0; i < ARRAY_LEN(nrs); i++) {
		assert_int_equal(tn_ioctl(fd, DRM_IOWR(DRM_COMMAND_BASE + nrs[i], buf), buf),
				 -EINVAL);
		assert_int_equal(tn_ioctl(fd, DRM_IO(DRM_COMMAND_BASE + nrs[i]), NULL), -EINVAL);
	}
	/* Not a DRM ioctl at all. */
	assert_int_equal(tn_ioctl(fd, _IOWR('x', 0x41, buf), buf), -ENOTTY);
	/* A core ioctl a GEM accel driver does not implement (no KMS). */
	assert_int_equal(tn_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, buf), -EOPNOTSUPP);
	/* The device still answers. */
	tn_info(fd, &CTX(state)->info);
}

static void test_info_fields(void **state)
{
	struct drm_tnpu_info *i = &CTX(state)->info;
	uint32_t q;
	size_t n;

	assert_int_equal(i->abi_major, DRM_TNPU_ABI_MAJOR);
	assert_true((int64_t)i->abi_minor >= (int64_t)DRM_TNPU_ABI_MINOR);
	assert_int_equal(i->hw_version >> 16, TNPU_HW_VERSION_MAJOR);
	assert_int_equal(i->caps & (TNPU_CAP_GEMM_FP32 | TNPU_CAP_GEMM_INT8 | TNPU_CAP_MMU |
				    TNPU_CAP_COPY_FILL),
			 TNPU_CAP_GEMM_FP32 | TNPU_CAP_GEMM_INT8 | TNPU_CAP_MMU |
			 TNPU_CAP_COPY_FILL);
	assert_int_not_equal(i->fw_version, 0);
	assert_int_equal(i->fw_abi >> 16, TNPU_FW_ABI_MAJOR);
	assert_int_equal(i->fw_features & (TNPU_FW_FEAT_GEMM | TNPU_FW_FEAT_COPY_FILL),
			 TNPU_FW_FEAT_GEMM | TNPU_FW_FEAT_COPY_FILL);
	assert_in_range(i->num_queues, 1, TNPU_NUM_QUEUES);
	assert_in_range(i->num_cores, 1, 255);
	for (q = 0; q < 8; q++) {
		if (q < i->num_queues)
			assert_in_range(i->queue_priority[q], 0, TNPU_NUM_PRIORITIES - 1);
		else
			assert_int_equal(i->queue_priority[q], 0);
	}
	assert_int_equal(i->pad, 0);
	assert_int_equal(i->va_start % TNPU_PAGE_SIZE, 0);
	assert_int_equal(i->va_size % TNPU_PAGE_SIZE, 0);
	assert_true(i->va_size >= i->max_bo_size);
	assert_true(i->va_start + i->va_size <= (1ull << TNPU_VA_BITS));
	assert_true(i->va_start + i->va_size > i->va_start);
	assert_int_equal(i->max_bo_size, DRM_TNPU_MAX_BO_SIZE);
	assert_int_equal(i->max_cmd_size, TNPU_CMD_MAX_SIZE);
	assert_int_equal(i->max_bos_per_job, DRM_TNPU_MAX_BOS_PER_JOB);
	n = strnlen(i->fw_build, sizeof(i->fw_build));
	assert_true(n > 0 && n < sizeof(i->fw_build));
	for (n = 0; n < ARRAY_LEN(i->reserved); n++)
		assert_int_equal(i->reserved[n], 0);
	printf("# tnpu abi %u.%u hw %#x caps %#x fw %#x (%s) queues %u prio %u/%u/%u/%u "
	       "va [%#llx, +%#llx) resets %u\n", i->abi_major, i->abi_minor, i->hw_version,
	       i->caps, i->fw_version, i->fw_build, i->num_queues, i->queue_priority[0],
	       i->queue_priority[1], i->queue_priority[2], i->queue_priority[3],
	       (unsigned long long)i->va_start, (unsigned long long)i->va_size, i->reset_count);
}

static void test_info_stable(void **state)
{
	struct drm_tnpu_info a, b;

	tn_info(CTX(state)->fd, &a);
	tn_info(CTX(state)->fd, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&a, &CTX(state)->info, offsetof(struct drm_tnpu_info, reset_count));
}

/*
 * An older binary's shorter struct: DRM core zero-extends it on the way in
 * and copies back only what the caller passed.
 */
static void test_info_short_struct(void **state)
{
	const size_t len = offsetof(struct drm_tnpu_info, queue_priority);
	unsigned char buf[sizeof(struct drm_tnpu_info) + 16];
	struct drm_tnpu_info *i = (struct drm_tnpu_info *)buf;

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tn_ioctl(CTX(state)->fd,
				  _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
				       DRM_COMMAND_BASE + DRM_TNPU_GET_INFO, len), buf), 0);
	assert_int_equal(i->abi_major, DRM_TNPU_ABI_MAJOR);
	assert_int_equal(i->num_queues, CTX(state)->info.num_queues);
	assert_int_equal(buf[len], 0xee);	/* nothing written past the caller's struct */
}

static void test_info_reserved(void **state)
{
	struct drm_tnpu_info i;
	size_t n;

	for (n = 0; n < ARRAY_LEN(i.reserved); n++) {
		memset(&i, 0, sizeof(i));
		i.reserved[n] = 1;
		assert_int_equal(tn_ioctl(CTX(state)->fd, DRM_IOCTL_TNPU_GET_INFO, &i), -EINVAL);
	}
	memset(&i, 0, sizeof(i));
	i.reserved[6] = 0x80000000u;
	assert_int_equal(tn_ioctl(CTX(state)->fd, DRM_IOCTL_TNPU_GET_INFO, &i), -EINVAL);
}

static int bo_info(int fd, uint32_t handle, struct drm_tnpu_bo_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->handle = handle;
	return tn_ioctl(fd, DRM_IOCTL_TNPU_BO_INFO, bi);
}

static void check_bo_in_va(const struct drm_tnpu_info *i, uint64_t va, uint64_t size)
{
	assert_int_equal(va % TNPU_PAGE_SIZE, 0);
	assert_true(va >= i->va_start);
	assert_true(va + size <= i->va_start + i->va_size);
}

static void test_bo_create_basic(void **state)
{
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_create c = { .size = 4096 };
	struct drm_tnpu_bo_info bi;

	assert_int_equal(tn_bo_create_raw(t->fd, &c), 0);
	assert_int_not_equal(c.handle, 0);
	assert_int_equal(c.size, 4096);
	check_bo_in_va(&t->info, c.device_addr, c.size);
	assert_int_not_equal(c.mmap_offset, 0);
	assert_int_equal(c.mmap_offset % 4096, 0);

	assert_int_equal(bo_info(t->fd, c.handle, &bi), 0);
	assert_int_equal(bi.handle, c.handle);
	assert_int_equal(bi.flags, 0);
	assert_int_equal(bi.size, c.size);
	assert_int_equal(bi.device_addr, c.device_addr);
	assert_int_equal(bi.mmap_offset, c.mmap_offset);
	assert_int_equal(bi.reserved[0] | bi.reserved[1], 0);
	assert_int_equal(tn_gem_close(t->fd, c.handle), 0);
}

static void test_bo_create_rounding(void **state)
{
	static const uint64_t in[] = { 1, 8, 4095, 4096, 4097, 12289, 65535, (1 << 20) + 1 };
	static const uint64_t out[] = { 4096, 4096, 4096, 4096, 8192, 16384, 65536,
					(1 << 20) + 4096 };
	struct tn_ctx *t = *state;
	size_t n;

	for (n = 0; n < ARRAY_LEN(in); n++) {
		struct drm_tnpu_bo_create c = { .size = in[n] };
		struct drm_tnpu_bo_info bi;

		assert_int_equal(tn_bo_create_raw(t->fd, &c), 0);
		assert_int_equal(c.size, out[n]);
		check_bo_in_va(&t->info, c.device_addr, c.size);
		assert_int_equal(bo_info(t->fd, c.handle, &bi), 0);
		assert_int_equal(bi.size, out[n]);
		assert_int_equal(tn_gem_close(t->fd, c.handle), 0);
	}
}

static void test_bo_create_max(void **state)
{
	static const uint64_t sizes[] = { MAX_BO, MAX_BO - 1, MAX_BO - 4096 + 1 };
	struct tn_ctx *t = *state;
	size_t n;

	for (n = 0; n < ARRAY_LEN(sizes); n++) {
		struct drm_tnpu_bo_create c = { .size = sizes[n] };

		assert_int_equal(tn_bo_create_raw(t->fd, &c), 0);
		assert_int_equal(c.size, MAX_BO);
		check_bo_in_va(&t->info, c.device_addr, c.size);
		assert_int_equal(tn_gem_close(t->fd, c.handle), 0);
	}
}

static void test_bo_create_bad_size(void **state)
{
	static const uint64_t sizes[] = {
		0, MAX_BO + 1, MAX_BO + 4096, 1ull << 40, 1ull << 63,
		UINT64_MAX, UINT64_MAX - 4094,	/* would wrap when rounded up */
		UINT64_MAX - 4096 * 2 + 2,
	};
	struct tn_ctx *t = *state;
	size_t n;

	for (n = 0; n < ARRAY_LEN(sizes); n++) {
		struct drm_tnpu_bo_create c = { .size = sizes[n] };

		if (tn_bo_create_raw(t->fd, &c) != -EINVAL)
			fail_msg("BO_CREATE size %#llx: expected -EINVAL",
				 (unsigned long long)sizes[n]);
	}
}

static void test_bo_create_flags(void **state)
{
	static const uint32_t bad[] = { 1u << 1, 1u << 2, 1u << 31, 0xffffffffu,
					DRM_TNPU_BO_DEVICE_RO | (1u << 7) };
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_create c = { .size = 4096, .flags = DRM_TNPU_BO_DEVICE_RO };
	struct drm_tnpu_bo_info bi;
	size_t n;

	for (n = 0; n < ARRAY_LEN(bad); n++) {
		struct drm_tnpu_bo_create b = { .size = 4096, .flags = bad[n] };

		if (tn_bo_create_raw(t->fd, &b) != -EINVAL)
			fail_msg("BO_CREATE flags %#x: expected -EINVAL", bad[n]);
	}
	assert_int_equal(tn_bo_create_raw(t->fd, &c), 0);
	assert_int_equal(bo_info(t->fd, c.handle, &bi), 0);
	assert_int_equal(bi.flags, DRM_TNPU_BO_DEVICE_RO);
	assert_int_equal(tn_gem_close(t->fd, c.handle), 0);
}

static void test_bo_create_reserved(void **state)
{
	struct tn_ctx *t = *state;
	int n;

	for (n = 0; n < 2; n++) {
		struct drm_tnpu_bo_create c = { .size = 4096 };

		c.reserved[n] = 1;
		assert_int_equal(tn_bo_create_raw(t->fd, &c), -EINVAL);
		c.reserved[n] = 1ull << 63;
		assert_int_equal(tn_bo_create_raw(t->fd, &c), -EINVAL);
	}
}

/* New buffers are zeroed, also when they reuse a freed buffer's pages. */
static void test_bo_zeroed(void **state)
{
	struct tn_ctx *t = *state;
	struct tn_bo b;
	int round;
	size_t i;

	for (round = 0; round < 3; round++) {
		uint64_t *p;

		tn_bo_new(t->fd, 1 << 20, 0, &b);
		p = b.map;
		for (i = 0; i < b.size / 8; i++)
			if (p[i])
				fail_msg("round %d: byte %zu of a new buffer is not zero", round,
					 i * 8);
		memset(b.map, 0xa5, b.size);
		tn_bo_free(t->fd, &b);
	}
}

/* Buffers have distinct handles, mmap offsets and non-overlapping VAs. */
static void test_bo_distinct(void **state)
{
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_create c[24];
	int i, j;

	for (i = 0; i < 24; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].size = (uint64_t)4096 * (1 + (i * 7) % 13);
		c[i].flags = i & 1 ? DRM_TNPU_BO_DEVICE_RO : 0;
		assert_int_equal(tn_bo_create_raw(t->fd, &c[i]), 0);
		check_bo_in_va(&t->info, c[i].device_addr, c[i].size);
	}
	for (i = 0; i < 24; i++)
		for (j = i + 1; j < 24; j++) {
			assert_int_not_equal(c[i].handle, c[j].handle);
			assert_int_not_equal(c[i].mmap_offset, c[j].mmap_offset);
			assert_true(c[i].device_addr + c[i].size <= c[j].device_addr ||
				    c[j].device_addr + c[j].size <= c[i].device_addr);
		}
	for (i = 0; i < 24; i++)
		assert_int_equal(tn_gem_close(t->fd, c[i].handle), 0);
}

static void test_bo_mmap_rw(void **state)
{
	struct tn_ctx *t = *state;
	uint32_t *p, *q;
	struct tn_bo b, ro;
	size_t i;

	tn_bo_new(t->fd, 3 * 4096 + 100, 0, &b);
	p = b.map;
	for (i = 0; i < b.size / 4; i++)
		p[i] = (uint32_t)(i * 2654435761u);
	q = mmap(NULL, b.size, PROT_READ, MAP_SHARED, t->fd, b.mmap_offset);
	assert_true(q != MAP_FAILED);
	for (i = 0; i < b.size / 4; i++)
		assert_int_equal(q[i], (uint32_t)(i * 2654435761u));
	munmap(q, b.size);
	/* DEVICE_RO restricts the device, not the CPU. */
	tn_bo_new(t->fd, 4096, DRM_TNPU_BO_DEVICE_RO, &ro);
	memset(ro.map, 0x3c, 4096);
	assert_int_equal(((uint8_t *)ro.map)[4095], 0x3c);
	tn_bo_free(t->fd, &ro);
	tn_bo_free(t->fd, &b);
}

static void expect_mmap_fail(int fd, size_t len, uint64_t off, int err)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		fail_msg("mmap len %zu offset %#llx succeeded", len, (unsigned long long)off);
	}
	assert_int_equal(errno, err);
}

static void test_bo_mmap_bad(void **state)
{
	struct tn_ctx *t = *state;
	struct tn_bo b;

	tn_bo_new(t->fd, 2 * 4096, 0, &b);
	expect_mmap_fail(t->fd, 4096, 0, EINVAL);
	expect_mmap_fail(t->fd, 4096, b.mmap_offset + (1ull << 30), EINVAL);
	expect_mmap_fail(t->fd, 4096, b.mmap_offset + 4096, EINVAL);	/* not the start */
	expect_mmap_fail(t->fd, 3 * 4096, b.mmap_offset, EINVAL);	/* longer than the BO */
	expect_mmap_fail(t->fd, 4096, 0x7ffffffff000ull, EINVAL);
	tn_bo_free(t->fd, &b);
}

/* Another file may not map this file's buffer even if it knows the offset. */
static void test_bo_mmap_other_file(void **state)
{
	struct tn_ctx *t = *state;
	int fd2 = tn_open();
	struct tn_bo b;

	tn_bo_new(t->fd, 4096, 0, &b);
	expect_mmap_fail(fd2, 4096, b.mmap_offset, EACCES);
	close(fd2);
	tn_bo_free(t->fd, &b);
}

/* A CPU mapping outlives the handle; the offset dies with the last handle. */
static void test_bo_mmap_after_close(void **state)
{
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_info bi;
	struct tn_bo b;
	uint64_t off;
	uint8_t *p;

	tn_bo_new(t->fd, 4096, 0, &b);
	p = b.map;
	off = b.mmap_offset;
	assert_int_equal(tn_gem_close(t->fd, b.handle), 0);
	p[0] = 1;
	p[4095] = 2;
	assert_int_equal(p[0] + p[4095], 3);
	assert_int_equal(bo_info(t->fd, b.handle, &bi), -ENOENT);
	munmap(b.map, 4096);
	expect_mmap_fail(t->fd, 4096, off, EINVAL);
}

static void test_bo_info_bad(void **state)
{
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_info bi;
	struct tn_bo b;
	int n;

	assert_int_equal(bo_info(t->fd, 0, &bi), -ENOENT);
	assert_int_equal(bo_info(t->fd, 0xffffff, &bi), -ENOENT);
	assert_int_equal(bo_info(t->fd, 0xffffffffu, &bi), -ENOENT);
	tn_bo_new(t->fd, 4096, 0, &b);
	for (n = 0; n < 2; n++) {
		memset(&bi, 0, sizeof(bi));
		bi.handle = b.handle;
		bi.reserved[n] = 1;
		assert_int_equal(tn_ioctl(t->fd, DRM_IOCTL_TNPU_BO_INFO, &bi), -EINVAL);
	}
	assert_int_equal(bo_info(t->fd, b.handle, &bi), 0);
	tn_bo_free(t->fd, &b);
	/* closed handle */
	assert_int_equal(bo_info(t->fd, bi.handle, &bi), -ENOENT);
}

/* Handles are per file: another file's handle numbers mean nothing here. */
static void test_bo_info_other_file(void **state)
{
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_info bi;
	int fd2 = tn_open();
	struct tn_bo b;

	tn_bo_new(t->fd, 4096, 0, &b);
	assert_int_equal(bo_info(fd2, b.handle, &bi), -ENOENT);
	assert_int_equal(tn_gem_close(fd2, b.handle), -EINVAL);
	assert_int_equal(bo_info(t->fd, b.handle, &bi), 0);
	close(fd2);
	tn_bo_free(t->fd, &b);
}

/* GEM_CLOSE is DRM core's: an unknown handle there is -EINVAL. */
static void test_gem_close(void **state)
{
	struct tn_ctx *t = *state;
	struct drm_tnpu_bo_info bi;
	struct tn_bo b;

	assert_int_equal(tn_gem_close(t->fd, 0), -EINVAL);
	assert_int_equal(tn_gem_close(t->fd, 0x7fffffff), -EINVAL);
	tn_bo_new(t->fd, 4096, 0, &b);
	munmap(b.map, b.size);
	assert_int_equal(tn_gem_close(t->fd, b.handle), 0);
	assert_int_equal(tn_gem_close(t->fd, b.handle), -EINVAL);
	assert_int_equal(bo_info(t->fd, b.handle, &bi), -ENOENT);
}

/* Many buffers, freed and reallocated: the VA allocator recycles space. */
static void test_bo_many(void **state)
{
	struct tn_ctx *t = *state;
	static struct drm_tnpu_bo_create c[1024];
	int round, i;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 1024; i++) {
			memset(&c[i], 0, sizeof(c[i]));
			c[i].size = 4096 << (i % 4);
			if (tn_bo_create_raw(t->fd, &c[i]))
				fail_msg("round %d: BO_CREATE %d failed", round, i);
		}
		for (i = 0; i < 1024; i++)
			assert_int_equal(tn_gem_close(t->fd, c[i].handle), 0);
	}
}

/* Closing a file with live buffers and a live mapping frees them cleanly. */
static void test_bo_file_close(void **state)
{
	struct tn_bo b[4];
	int fd, i;

	(void)state;
	fd = tn_open();
	for (i = 0; i < 4; i++)
		tn_bo_new(fd, 65536 << i, i & 1 ? DRM_TNPU_BO_DEVICE_RO : 0, &b[i]);
	close(fd);
	memset(b[3].map, 0x11, b[3].size);
	assert_int_equal(((uint8_t *)b[3].map)[b[3].size - 1], 0x11);
	for (i = 0; i < 4; i++)
		munmap(b[i].map, b[i].size);
	fd = tn_open();
	tn_check_file_works(fd);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tn_setup, tn_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_version),
		T(test_unknown_ioctl),
		T(test_info_fields),
		T(test_info_stable),
		T(test_info_reserved),
		T(test_info_short_struct),
		T(test_bo_create_basic),
		T(test_bo_create_rounding),
		T(test_bo_create_max),
		T(test_bo_create_bad_size),
		T(test_bo_create_flags),
		T(test_bo_create_reserved),
		T(test_bo_zeroed),
		T(test_bo_distinct),
		T(test_bo_mmap_rw),
		T(test_bo_mmap_bad),
		T(test_bo_mmap_other_file),
		T(test_bo_mmap_after_close),
		T(test_bo_info_bad),
		T(test_bo_info_other_file),
		T(test_gem_close),
		T(test_bo_many),
		T(test_bo_file_close),
	};

	tn_apply_env();
	return cmocka_run_group_tests_name("tnpu-abi", tests, tn_group_setup, tn_group_teardown);
}
