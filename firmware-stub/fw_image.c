// SPDX-License-Identifier: MIT
/*
 * fw_image.c - firmware image format: a 64-byte struct tnpu_fw_header, then
 * payload_size bytes of sections (struct tnpu_fw_section + len bytes, padded
 * to 4).  Validation order is fixed (and documented in docs/hardware.md) so
 * each corruption maps to one enum tnpu_boot_err.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "crc32.h"
#include "fw_image.h"

#define HDR_SIZE	sizeof(struct tnpu_fw_header)
#define SECT_SIZE	sizeof(struct tnpu_fw_section)

static uint32_t header_crc(const struct tnpu_fw_header *h)
{
	struct tnpu_fw_header tmp = *h;

	tmp.header_crc = 0;
	return tnpu_crc32(0, &tmp, sizeof(tmp));
}

static uint32_t pad4(uint32_t len)
{
	return (len + 3u) & ~3u;
}

static enum tnpu_boot_err parse_sched(const uint8_t *p, uint16_t len, uint32_t *burst)
{
	struct tnpu_fw_sched s;

	if (len != sizeof(s))
		return TNPU_BOOT_PAYLOAD;
	memcpy(&s, p, sizeof(s));
	if (s.reserved || s.burst < TNPU_FW_BURST_MIN || s.burst > TNPU_FW_BURST_MAX)
		return TNPU_BOOT_PAYLOAD;
	*burst = s.burst;
	return TNPU_BOOT_OK;
}

static enum tnpu_boot_err parse_sections(const uint8_t *p, uint32_t size, uint32_t *burst)
{
	uint32_t off = 0;
	bool have_sched = false;

	while (off < size) {
		struct tnpu_fw_section s;
		enum tnpu_boot_err err;

		if (size - off < SECT_SIZE)
			return TNPU_BOOT_PAYLOAD;
		memcpy(&s, p + off, SECT_SIZE);
		off += SECT_SIZE;
		if (pad4(s.len) > size - off)
			return TNPU_BOOT_PAYLOAD;
		if (s.type == TNPU_FW_SECT_SCHED) {
			if (have_sched)
				return TNPU_BOOT_PAYLOAD;
			err = parse_sched(p + off, s.len, burst);
			if (err)
				return err;
			have_sched = true;
		} else if (s.type & TNPU_FW_SECT_CRITICAL) {
			/* a section we must understand but do not */
			return TNPU_BOOT_PAYLOAD;
		}
		/* unknown non-critical sections are skipped: forward compatible */
		off += pad4(s.len);
	}
	return have_sched ? TNPU_BOOT_OK : TNPU_BOOT_PAYLOAD;
}

enum tnpu_boot_err tnpu_fw_validate(const void *img, size_t size, struct tnpu_fw_params *out)
{
	const uint8_t *p = img;
	struct tnpu_fw_header h;
	uint32_t burst = 0;
	enum tnpu_boot_err err;

	if (size < HDR_SIZE || size > TNPU_FW_MAX_SIZE)
		return TNPU_BOOT_SIZE;
	memcpy(&h, p, HDR_SIZE);
	if (h.magic != TNPU_FW_MAGIC)
		return TNPU_BOOT_MAGIC;
	if (h.header_size != HDR_SIZE || h.header_version != TNPU_FW_HEADER_VERSION ||
	    h.header_crc != header_crc(&h) || !memchr(h.build, 0, sizeof(h.build)))
		return TNPU_BOOT_HEADER;
	/* same major, any minor: newer minors only add */
	if (h.abi_major != TNPU_FW_ABI_MAJOR)
		return TNPU_BOOT_ABI;
	if ((uint64_t)HDR_SIZE + h.payload_size != size)
		return TNPU_BOOT_SIZE;
	if (tnpu_crc32(0, p + HDR_SIZE, h.payload_size) != h.payload_crc)
		return TNPU_BOOT_CRC;
	err = parse_sections(p + HDR_SIZE, h.payload_size, &burst);
	if (err)
		return err;
	if (out) {
		out->fw_version = h.fw_version;
		out->abi = ((uint32_t)h.abi_major << 16) | h.abi_minor;
		out->features = h.features;
		out->burst = burst;
		memcpy(out->build, h.build, sizeof(out->build));
	}
	return TNPU_BOOT_OK;
}

static size_t put_section(uint8_t *buf, size_t cap, size_t off, uint16_t type,
			  const void *data, uint16_t len)
{
	struct tnpu_fw_section s = { .type = type, .len = len };
	size_t need = SECT_SIZE + pad4(len);

	if (!off || off > cap || cap - off < need)
		return 0;
	memcpy(buf + off, &s, SECT_SIZE);
	memset(buf + off + SECT_SIZE, 0, pad4(len));
	if (len)
		memcpy(buf + off + SECT_SIZE, data, len);
	return off + need;
}

void tnpu_fw_seal(void *img, size_t size)
{
	struct tnpu_fw_header h;
	uint8_t *p = img;

	if (size < HDR_SIZE)
		return;
	memcpy(&h, p, HDR_SIZE);
	if (h.payload_size <= size - HDR_SIZE)
		h.payload_crc = tnpu_crc32(0, p + HDR_SIZE, h.payload_size);
	h.header_crc = header_crc(&h);
	memcpy(p, &h, HDR_SIZE);
}

size_t tnpu_fw_build(void *buf, size_t cap, const struct tnpu_fw_build_opts *o)
{
	struct tnpu_fw_sched sched = { .burst = o->burst, .reserved = 0 };
	struct tnpu_fw_header h;
	uint8_t *p = buf;
	size_t off = HDR_SIZE;
	unsigned int i;

	if (cap < HDR_SIZE)
		return 0;
	off = put_section(p, cap, off, TNPU_FW_SECT_SCHED, &sched, sizeof(sched));
	for (i = 0; i < o->n_extra; i++)
		off = put_section(p, cap, off, o->extra[i].type, o->extra[i].data,
				  o->extra[i].len);
	if (!off || off > TNPU_FW_MAX_SIZE)
		return 0;

	memset(&h, 0, sizeof(h));
	h.magic = TNPU_FW_MAGIC;
	h.header_size = HDR_SIZE;
	h.header_version = TNPU_FW_HEADER_VERSION;
	h.abi_major = o->abi_major;
	h.abi_minor = o->abi_minor;
	h.fw_version = o->fw_version;
	h.features = o->features;
	h.payload_size = (uint32_t)(off - HDR_SIZE);
	if (o->build) {
		size_t n = strlen(o->build);

		if (n > sizeof(h.build) - 1)
			n = sizeof(h.build) - 1;
		memcpy(h.build, o->build, n);
	}
	memcpy(p, &h, HDR_SIZE);
	tnpu_fw_seal(p, off);
	return off;
}

const char *tnpu_boot_err_name(uint32_t err)
{
	static const char *const names[] = {
		[TNPU_BOOT_OK] = "TNPU_BOOT_OK",
		[TNPU_BOOT_DMA] = "TNPU_BOOT_DMA",
		[TNPU_BOOT_SIZE] = "TNPU_BOOT_SIZE",
		[TNPU_BOOT_MAGIC] = "TNPU_BOOT_MAGIC",
		[TNPU_BOOT_HEADER] = "TNPU_BOOT_HEADER",
		[TNPU_BOOT_ABI] = "TNPU_BOOT_ABI",
		[TNPU_BOOT_CRC] = "TNPU_BOOT_CRC",
		[TNPU_BOOT_PAYLOAD] = "TNPU_BOOT_PAYLOAD",
		[TNPU_BOOT_BUSY] = "TNPU_BOOT_BUSY",
	};

	if (err < sizeof(names) / sizeof(names[0]))
		return names[err];
	return "TNPU_BOOT_?";
}
