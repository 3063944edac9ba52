// SPDX-License-Identifier: MIT
/*
 * tnpu-info - describe tnpu devices.
 *
 *   tnpu-info [DEVICE]     the default device ($TNPU_DEVICE or the first), or DEVICE
 *   tnpu-info --all        every accel node, with why a node is not usable
 *
 * Exit status: 0 if at least one device was described, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "tnpu.h"

static void print_bits(const char *label, uint32_t bits, const char *(*name)(uint32_t))
{
	printf("  %-16s0x%08x", label, bits);
	for (int i = 0; i < 32; i++) {
		uint32_t bit = 1u << i;

		if (!(bits & bit))
			continue;
		if (name(bit))
			printf(" %s", name(bit));
		else
			printf(" bit%d", i);
	}
	printf("\n");
}

static void print_info(const char *path, const struct tnpu_info *in)
{
	printf("%s\n", path);
	printf("  %-16s%s %d.%d.%d\n", "driver:", in->driver_name, in->driver_major,
	       in->driver_minor, in->driver_patch);
	printf("  %-16s%u.%u\n", "uapi ABI:", in->abi_major, in->abi_minor);
	printf("  %-16s%u.%u\n", "hw version:", in->hw_version >> 16, in->hw_version & 0xffff);
	print_bits("caps:", in->caps, tnpu_cap_name);
	printf("  %-16s%u.%u.%u (ABI %u.%u, build \"%s\")\n", "firmware:",
	       in->fw_version >> 16, (in->fw_version >> 8) & 0xff, in->fw_version & 0xff,
	       in->fw_abi >> 16, in->fw_abi & 0xffff, in->fw_build);
	print_bits("fw features:", in->fw_features, tnpu_fw_feature_name);
	printf("  %-16s%u:", "queues:", in->num_queues);
	for (uint32_t q = 0; q < in->num_queues && q < 8; q++)
		printf(" q%u=prio%u", q, in->queue_priority[q]);
	printf("\n");
	printf("  %-16s%u\n", "cores:", in->num_cores);
	printf("  %-16s0x%llx..0x%llx (%llu MiB)\n", "VA range:",
	       (unsigned long long)in->va_start,
	       (unsigned long long)(in->va_start + in->va_size),
	       (unsigned long long)(in->va_size >> 20));
	printf("  %-16smax buffer %llu MiB, max command stream %u KiB, max %u buffers/job\n",
	       "limits:", (unsigned long long)(in->max_bo_size >> 20), in->max_cmd_size >> 10,
	       in->max_bos_per_job);
	printf("  %-16s%u\n", "resets:", in->reset_count);
}

static int show_all(void)
{
	struct tnpu_node_list list;
	int found = 0;

	if (tnpu_list_nodes(&list)) {
		fprintf(stderr, "tnpu-info: %s\n", tnpu_last_error());
		return 1;
	}
	for (size_t i = 0; i < list.count; i++) {
		struct tnpu_device *dev;

		if (tnpu_device_open_path(list.paths[i], &dev)) {
			printf("%s\n  not usable: %s\n", list.paths[i], tnpu_last_error());
			continue;
		}
		print_info(list.paths[i], tnpu_device_info(dev));
		tnpu_device_close(dev);
		found++;
	}
	tnpu_node_list_free(&list);
	if (!found) {
		fprintf(stderr, "tnpu-info: no usable tnpu device\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tnpu_device *dev;
	int ret;

	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fprintf(argc > 2 ? stderr : stdout,
			"usage: tnpu-info [--all | DEVICE]\n"
			"  default device: $" TNPU_DEVICE_ENV " or the first tnpu in " TNPU_DEV_DIR "\n");
		return argc > 2 ? 2 : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--all"))
		return show_all();
	if (argc == 2 && argv[1][0] == '-') {
		fprintf(stderr, "tnpu-info: unknown option %s\n", argv[1]);
		return 2;
	}
	ret = argc == 2 ? tnpu_device_open_path(argv[1], &dev) : tnpu_device_open(TNPU_ANY, &dev);
	if (ret) {
		fprintf(stderr, "tnpu-info: %s\n", tnpu_last_error());
		return 1;
	}
	print_info(tnpu_device_path(dev), tnpu_device_info(dev));
	tnpu_device_close(dev);
	return 0;
}
