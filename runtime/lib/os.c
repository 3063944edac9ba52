// SPDX-License-Identifier: MIT
/*
 * os.c - the default OS interface: libdrm and system calls.  Everything that
 * talks to the kernel is here, behind struct tnpu_os_ops.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "tnpu_internal.h"

#define ACCEL_PREFIX	"accel"

/* Node number of "accelN", or -1 if @name is not of that form. */
static long node_number(const char *name)
{
	const char *p = name + strlen(ACCEL_PREFIX);
	char *end;
	long n;

	if (strncmp(name, ACCEL_PREFIX, strlen(ACCEL_PREFIX)) || *p < '0' || *p > '9')
		return -1;
	errno = 0;
	n = strtol(p, &end, 10);
	if (*end || errno || n < 0 || n > 1000000)
		return -1;
	return n;
}

static int cmp_nodes(const void *a, const void *b)
{
	const char *pa = strrchr(*(char *const *)a, '/') + 1;
	const char *pb = strrchr(*(char *const *)b, '/') + 1;
	long na = node_number(pa), nb = node_number(pb);

	return (na > nb) - (na < nb);
}

static int os_list_nodes(char ***paths, size_t *count)
{
	DIR *dir = opendir(TNPU_DEV_DIR);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	*paths = NULL;
	*count = 0;
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		char **nv;
		size_t len;

		if (node_number(de->d_name) < 0)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		len = strlen(TNPU_DEV_DIR) + 1 + strlen(de->d_name) + 1;
		v[n] = malloc(len);
		if (!v[n])
			goto nomem;
		snprintf(v[n], len, "%s/%s", TNPU_DEV_DIR, de->d_name);
		n++;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_nodes);
	*paths = v;
	*count = n;
	return 0;
nomem:
	closedir(dir);
	while (n)
		free(v[--n]);
	free(v);
	return -ENOMEM;
}

static int os_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void os_close(int fd)
{
	close(fd);
}

static int os_ioctl(int fd, unsigned long request, void *arg)
{
	return drmIoctl(fd, request, arg) ? -errno : 0;
}

static int os_driver_version(int fd, char *name, size_t name_len, int *major, int *minor,
			     int *patch)
{
	drmVersionPtr v = drmGetVersion(fd);
	size_t n;

	if (!v)
		return errno ? -errno : -ENODEV;
	n = (size_t)v->name_len < name_len - 1 ? (size_t)v->name_len : name_len - 1;
	memcpy(name, v->name ? v->name : "", v->name ? n : 0);
	name[v->name ? n : 0] = '\0';
	*major = v->version_major;
	*minor = v->version_minor;
	*patch = v->version_patchlevel;
	drmFreeVersion(v);
	return 0;
}

static int os_mmap(int fd, size_t len, uint64_t offset, void **out)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static void os_munmap(void *addr, size_t len)
{
	munmap(addr, len);
}

static int os_syncobj_create(int fd, uint32_t *handle)
{
	return drmSyncobjCreate(fd, 0, handle) ? -errno : 0;
}

static int os_syncobj_destroy(int fd, uint32_t handle)
{
	return drmSyncobjDestroy(fd, handle) ? -errno : 0;
}

static int os_syncobj_wait(int fd, uint32_t *handles, uint32_t count, int64_t deadline_ns)
{
	int ret = drmSyncobjWait(fd, handles, count, deadline_ns,
				 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL);

	/* libdrm returns -errno here, unlike most of its calls. */
	return ret < 0 ? ret : 0;
}

const struct tnpu_os_ops tnpu_os_default = {
	.list_nodes = os_list_nodes,
	.open = os_open,
	.close = os_close,
	.ioctl = os_ioctl,
	.driver_version = os_driver_version,
	.mmap = os_mmap,
	.munmap = os_munmap,
	.syncobj_create = os_syncobj_create,
	.syncobj_destroy = os_syncobj_destroy,
	.syncobj_wait = os_syncobj_wait,
};

static const struct tnpu_os_ops *active_ops = &tnpu_os_default;

const struct tnpu_os_ops *tnpu_os(void)
{
	return active_ops;
}

void tnpu_os_set(const struct tnpu_os_ops *ops)
{
	active_ops = ops ? ops : &tnpu_os_default;
}
