/* SPDX-License-Identifier: MIT */
/*
 * tnpu_internal.h - libtnpu internals: the OS-interface seam and shared
 * helpers.  Not installed; host unit tests include it to replace the OS.
 */
#ifndef TNPU_INTERNAL_H
#define TNPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tnpu.h"

#define TNPU_HIDDEN __attribute__((visibility("hidden")))

/*
 * Every interaction with the kernel goes through these hooks, so host tests
 * can stand in for a device.  All return 0 (or an fd / pointer) on success
 * and a negative errno on failure; none touches errno-based conventions.
 */
struct tnpu_os_ops {
	/* malloc'd array of malloc'd node paths, sorted; *count may be 0. */
	int (*list_nodes)(char ***paths, size_t *count);
	int (*open)(const char *path);			/* fd or -errno */
	void (*close)(int fd);
	int (*ioctl)(int fd, unsigned long request, void *arg);	/* retries EINTR/EAGAIN */
	/* DRM_IOCTL_VERSION: driver name (NUL-terminated, truncated) and version. */
	int (*driver_version)(int fd, char *name, size_t name_len, int *major, int *minor,
			      int *patch);
	int (*mmap)(int fd, size_t len, uint64_t offset, void **out);
	void (*munmap)(void *addr, size_t len);
	int (*syncobj_create)(int fd, uint32_t *handle);
	int (*syncobj_destroy)(int fd, uint32_t handle);
	/* Wait for all, absolute CLOCK_MONOTONIC deadline in ns. */
	int (*syncobj_wait)(int fd, uint32_t *handles, uint32_t count, int64_t deadline_ns);
};

/* The real implementation (libdrm + syscalls). */
TNPU_HIDDEN extern const struct tnpu_os_ops tnpu_os_default;
/* Active ops; replace with tnpu_os_set(), NULL restores the default. */
TNPU_HIDDEN const struct tnpu_os_ops *tnpu_os(void);
TNPU_HIDDEN void tnpu_os_set(const struct tnpu_os_ops *ops);

struct tnpu_device {
	int fd;
	char *path;
	struct tnpu_info info;
};

/* Record a message for tnpu_last_error() and return @err (a negative errno). */
TNPU_HIDDEN int tnpu_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
TNPU_HIDDEN void tnpu_clear_error(void);

/* Read a whole file (at most @max bytes, else -EFBIG). */
/* Prefix the current error message with @path; returns @err. */
TNPU_HIDDEN int tnpu_err_in_file(int err, const char *path);
TNPU_HIDDEN int tnpu_read_file(const char *path, size_t max, void **data, size_t *len);

/* Little-endian loads for file parsing. */
static inline uint32_t tnpu_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

#endif /* TNPU_INTERNAL_H */
