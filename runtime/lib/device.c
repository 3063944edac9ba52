// SPDX-License-Identifier: MIT
/*
 * device.c - finding, opening and describing tnpu devices.
 *
 * There is no libdrm helper for accel nodes, so we scan /dev/accel/accel*
 * ourselves and identify each node by DRM_IOCTL_VERSION's driver name, then
 * check the ABI major from GET_INFO before anything else is used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnpu_accel.h"
#include "tnpu_internal.h"

#define TNPU_DRIVER_NAME "tnpu"

int tnpu_list_nodes(struct tnpu_node_list *list)
{
	int ret;

	list->paths = NULL;
	list->count = 0;
	ret = tnpu_os()->list_nodes(&list->paths, &list->count);
	if (ret)
		return tnpu_err(ret, "cannot scan %s: %s", TNPU_DEV_DIR, strerror(-ret));
	if (!list->count)
		return tnpu_err(-ENODEV, "no accel device nodes in %s (is tnpu.ko loaded?)",
				TNPU_DEV_DIR);
	return 0;
}

void tnpu_node_list_free(struct tnpu_node_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->paths[i]);
	free(list->paths);
	list->paths = NULL;
	list->count = 0;
}

static void info_from_drm(struct tnpu_info *info, const struct drm_tnpu_info *d)
{
	info->abi_major = d->abi_major;
	info->abi_minor = d->abi_minor;
	info->hw_version = d->hw_version;
	info->caps = d->caps;
	info->fw_version = d->fw_version;
	info->fw_abi = d->fw_abi;
	info->fw_features = d->fw_features;
	info->num_queues = d->num_queues;
	info->num_cores = d->num_cores;
	memcpy(info->queue_priority, d->queue_priority, sizeof(info->queue_priority));
	info->va_start = d->va_start;
	info->va_size = d->va_size;
	info->max_bo_size = d->max_bo_size;
	info->max_cmd_size = d->max_cmd_size;
	info->max_bos_per_job = d->max_bos_per_job;
	info->reset_count = d->reset_count;
	memcpy(info->fw_build, d->fw_build, sizeof(info->fw_build));
	/* Never trust the kernel to terminate a string we will print. */
	info->fw_build[sizeof(info->fw_build) - 1] = '\0';
}

static int get_info(int fd, const char *path, struct tnpu_info *info)
{
	struct drm_tnpu_info d;
	int ret;

	memset(&d, 0, sizeof(d));
	ret = tnpu_os()->ioctl(fd, DRM_IOCTL_TNPU_GET_INFO, &d);
	if (ret)
		return tnpu_err(ret, "%s: GET_INFO failed: %s", path, strerror(-ret));
	info_from_drm(info, &d);
	return 0;
}

int tnpu_device_query(struct tnpu_device *dev, struct tnpu_info *info)
{
	struct tnpu_info tmp = dev->info;
	int ret;

	ret = get_info(dev->fd, dev->path, &tmp);
	if (ret)
		return ret;
	dev->info = tmp;
	if (info)
		*info = tmp;
	return 0;
}

/* Identify @fd: 0 if it is a tnpu with our ABI, -ENODEV / -EPROTO otherwise. */
static int identify(int fd, const char *path, struct tnpu_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = tnpu_os()->driver_version(fd, info->driver_name, sizeof(info->driver_name),
					&info->driver_major, &info->driver_minor,
					&info->driver_patch);
	if (ret)
		return tnpu_err(-ENODEV, "%s: not a DRM device (VERSION failed: %s)", path,
				strerror(-ret));
	if (strcmp(info->driver_name, TNPU_DRIVER_NAME))
		return tnpu_err(-ENODEV, "%s: driver is \"%s\", not \"%s\"", path,
				info->driver_name, TNPU_DRIVER_NAME);
	ret = get_info(fd, path, info);
	if (ret)
		return ret;
	if (info->abi_major != DRM_TNPU_ABI_MAJOR)
		return tnpu_err(-EPROTO,
				"%s: driver ABI %u.%u is incompatible with libtnpu (needs %u.x); "
				"update libtnpu or the driver", path, info->abi_major,
				info->abi_minor, DRM_TNPU_ABI_MAJOR);
	return 0;
}

int tnpu_device_open_path(const char *path, struct tnpu_device **out)
{
	struct tnpu_device *dev;
	int fd, ret;

	*out = NULL;
	if (!path || !*path)
		return tnpu_err(-EINVAL, "empty device path");
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return tnpu_err(-ENOMEM, "out of memory");
	dev->path = strdup(path);
	if (!dev->path) {
		free(dev);
		return tnpu_err(-ENOMEM, "out of memory");
	}
	fd = tnpu_os()->open(path);
	if (fd < 0) {
		ret = tnpu_err(fd, "%s: cannot open: %s%s", path, strerror(-fd),
			       fd == -EACCES ? " (check the node's permissions)" : "");
		goto fail;
	}
	dev->fd = fd;
	ret = identify(fd, path, &dev->info);
	if (ret) {
		tnpu_os()->close(fd);
		goto fail;
	}
	tnpu_clear_error();
	*out = dev;
	return 0;
fail:
	free(dev->path);
	free(dev);
	return ret;
}

int tnpu_device_open(int index, struct tnpu_device **out)
{
	struct tnpu_node_list list;
	const char *env = getenv(TNPU_DEVICE_ENV);
	char first_msg[512] = "";
	int seen = 0, first_err = 0, ret;

	*out = NULL;
	if (index < TNPU_ANY)
		return tnpu_err(-EINVAL, "bad device index %d", index);
	if (index == TNPU_ANY && env && *env)
		return tnpu_device_open_path(env, out);
	if (index == TNPU_ANY)
		index = 0;

	ret = tnpu_list_nodes(&list);
	if (ret)
		return ret;
	for (size_t i = 0; i < list.count; i++) {
		ret = tnpu_device_open_path(list.paths[i], out);
		/*
		 * Another driver's node is skipped quietly; anything else (no
		 * permission, wrong ABI, GET_INFO failing) is remembered so that
		 * "nothing found" can say why.
		 */
		if (ret && ret != -ENODEV && !first_err) {
			first_err = ret;
			snprintf(first_msg, sizeof(first_msg), "%s", tnpu_last_error());
		}
		if (ret)
			continue;
		if (seen++ == index) {
			tnpu_node_list_free(&list);
			return 0;
		}
		tnpu_device_close(*out);
		*out = NULL;
	}
	tnpu_node_list_free(&list);
	if (!seen && first_err)
		return tnpu_err(first_err, "no usable tnpu device: %s", first_msg);
	if (!seen)
		return tnpu_err(-ENODEV, "no tnpu device among the nodes in %s", TNPU_DEV_DIR);
	return tnpu_err(-ENODEV, "tnpu device index %d out of range (%d found)", index, seen);
}

void tnpu_device_close(struct tnpu_device *dev)
{
	if (!dev)
		return;
	tnpu_os()->close(dev->fd);
	free(dev->path);
	free(dev);
}

const char *tnpu_device_path(const struct tnpu_device *dev)
{
	return dev->path;
}

int tnpu_device_fd(const struct tnpu_device *dev)
{
	return dev->fd;
}

const struct tnpu_info *tnpu_device_info(const struct tnpu_device *dev)
{
	return &dev->info;
}

const char *tnpu_cap_name(uint32_t cap)
{
	switch (cap) {
	case TNPU_CAP_GEMM_FP32:	return "gemm-fp32";
	case TNPU_CAP_GEMM_INT8:	return "gemm-int8";
	case TNPU_CAP_MMU:		return "mmu";
	case TNPU_CAP_COPY_FILL:	return "copy-fill";
	default:			return NULL;
	}
}

const char *tnpu_fw_feature_name(uint32_t feat)
{
	switch (feat) {
	case TNPU_FW_FEAT_PRIORITY:	return "priority";
	case TNPU_FW_FEAT_GEMM:		return "gemm";
	case TNPU_FW_FEAT_COPY_FILL:	return "copy-fill";
	default:			return NULL;
	}
}
