/* SPDX-License-Identifier: MIT */
/*
 * fw_image.h - build and validate tnpu firmware images.
 *
 * Shared by the command processor (validation at boot) and the host tool
 * tnpu-fwbuild (building and --check).  Pure functions on host buffers.
 */
#ifndef TNPU_FW_IMAGE_H
#define TNPU_FW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "tnpu_hw.h"

#define TNPU_FW_BURST_MIN	1
#define TNPU_FW_BURST_MAX	64
#define TNPU_FW_BURST_DEFAULT	4

/* What a valid image tells the device. */
struct tnpu_fw_params {
	uint32_t fw_version;	/* TNPU_FW_VERSION() */
	uint32_t abi;		/* abi_major << 16 | abi_minor */
	uint32_t features;	/* TNPU_FW_FEAT_* as stored */
	uint32_t burst;		/* from the SCHED section */
	char build[32];		/* NUL-terminated */
};

/* An extra raw section for tnpu_fw_build() (tests, future sections). */
struct tnpu_fw_extra {
	uint16_t type;
	uint16_t len;
	const void *data;
};

struct tnpu_fw_build_opts {
	uint32_t fw_version;
	uint16_t abi_major, abi_minor;
	uint32_t features;
	uint32_t burst;
	const char *build;		/* truncated to 31 bytes; NULL = "" */
	const struct tnpu_fw_extra *extra;	/* appended after SCHED */
	unsigned int n_extra;
};

/*
 * Validate @size bytes at @img.  On TNPU_BOOT_OK fills @out (may be NULL).
 * Never reads outside [img, img + size).
 */
enum tnpu_boot_err tnpu_fw_validate(const void *img, size_t size, struct tnpu_fw_params *out);

/*
 * Write an image into @buf (capacity @cap).  Returns its size, or 0 if it
 * does not fit or is larger than TNPU_FW_MAX_SIZE.
 */
size_t tnpu_fw_build(void *buf, size_t cap, const struct tnpu_fw_build_opts *opts);

/* Recompute payload_crc and header_crc of an image of @size bytes in place. */
void tnpu_fw_seal(void *img, size_t size);

/* "TNPU_BOOT_CRC" etc.; "TNPU_BOOT_?" for an unknown value. */
const char *tnpu_boot_err_name(uint32_t err);

#endif /* TNPU_FW_IMAGE_H */
