// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_fw.c - firmware image loading, validation and the boot handshake.
 *
 * The image is checked once at probe and kept in a coherent buffer, so a
 * recovery after a hang can boot it again without touching the filesystem.
 */
#include <linux/crc32.h>
#include <linux/dma-mapping.h>
#include <linux/firmware.h>

#include <kunit/visibility.h>

#include <drm/drm_print.h>

#include "tnpu_drv.h"

static const char * const tnpu_boot_err_names[] = {
	[TNPU_BOOT_OK] = "ok",
	[TNPU_BOOT_DMA] = "image not readable (DMA)",
	[TNPU_BOOT_SIZE] = "bad image size",
	[TNPU_BOOT_MAGIC] = "bad magic",
	[TNPU_BOOT_HEADER] = "bad header",
	[TNPU_BOOT_ABI] = "unsupported ABI",
	[TNPU_BOOT_CRC] = "payload CRC mismatch",
	[TNPU_BOOT_PAYLOAD] = "malformed payload",
	[TNPU_BOOT_BUSY] = "already booted",
};

/* CRC-32/ISO-HDLC, the zlib crc32. */
static u32 tnpu_crc32(const void *buf, size_t len)
{
	return crc32_le(~0u, buf, len) ^ ~0u;
}

VISIBLE_IF_KUNIT int tnpu_fw_check(struct tnpu_device *tdev, const u8 *data, size_t size)
{
	struct device *dev = tdev->drm.dev;
	struct tnpu_fw_header hdr;
	u32 crc;

	if (size < sizeof(hdr) || size > TNPU_FW_MAX_SIZE) {
		dev_err(dev, "firmware %s: size %zu not in [%zu, %u]\n",
			tnpu_fw_name, size, sizeof(hdr), TNPU_FW_MAX_SIZE);
		return -EINVAL;
	}
	memcpy(&hdr, data, sizeof(hdr));
	if (hdr.magic != TNPU_FW_MAGIC) {
		dev_err(dev, "firmware %s: bad magic 0x%08x\n", tnpu_fw_name,
			hdr.magic);
		return -EINVAL;
	}
	if (hdr.header_size != sizeof(hdr) ||
	    hdr.header_version != TNPU_FW_HEADER_VERSION) {
		dev_err(dev, "firmware %s: unsupported header (size %u, version %u)\n",
			tnpu_fw_name, hdr.header_size, hdr.header_version);
		return -EINVAL;
	}
	/* Any minor of the supported major: newer compatible images load. */
	if (hdr.abi_major != TNPU_FW_ABI_MAJOR) {
		dev_err(dev, "firmware %s: ABI %u.%u, driver needs %u.x\n",
			tnpu_fw_name, hdr.abi_major, hdr.abi_minor, TNPU_FW_ABI_MAJOR);
		return -EINVAL;
	}
	if (hdr.payload_size != size - sizeof(hdr)) {
		dev_err(dev, "firmware %s: payload size %u, file has %zu\n",
			tnpu_fw_name, hdr.payload_size, size - sizeof(hdr));
		return -EINVAL;
	}
	crc = hdr.header_crc;
	hdr.header_crc = 0;
	if (tnpu_crc32(&hdr, sizeof(hdr)) != crc) {
		dev_err(dev, "firmware %s: header CRC mismatch\n", tnpu_fw_name);
		return -EINVAL;
	}
	if (tnpu_crc32(data + sizeof(hdr), hdr.payload_size) != hdr.payload_crc) {
		dev_err(dev, "firmware %s: payload CRC mismatch\n", tnpu_fw_name);
		return -EINVAL;
	}
	strscpy(tdev->fw_build, hdr.build, sizeof(tdev->fw_build));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tnpu_fw_check);

int tnpu_fw_load(struct tnpu_device *tdev)
{
	struct device *dev = tdev->drm.dev;
	const struct firmware *fw;
	int ret;

	ret = request_firmware(&fw, tnpu_fw_name, dev);
	if (ret) {
		dev_err(dev, "cannot load firmware %s: %d\n", tnpu_fw_name, ret);
		return ret;
	}
	ret = tnpu_fw_check(tdev, fw->data, fw->size);
	if (ret)
		goto out;

	tdev->fw_cpu = dmam_alloc_coherent(dev, fw->size, &tdev->fw_dma, GFP_KERNEL);
	if (!tdev->fw_cpu) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(tdev->fw_cpu, fw->data, fw->size);
	tdev->fw_size = fw->size;
out:
	release_firmware(fw);
	return ret;
}

int tnpu_fw_boot(struct tnpu_device *tdev)
{
	unsigned long left;
	u32 st, err;

	reinit_completion(&tdev->boot_done);
	tnpu_wr(tdev, TNPU_REG_FW_ADDR_LO, lower_32_bits(tdev->fw_dma));
	tnpu_wr(tdev, TNPU_REG_FW_ADDR_HI, upper_32_bits(tdev->fw_dma));
	tnpu_wr(tdev, TNPU_REG_FW_SIZE, tdev->fw_size);
	tnpu_wr(tdev, TNPU_REG_CONTROL, TNPU_CONTROL_BOOT);

	left = wait_for_completion_timeout(&tdev->boot_done,
					   msecs_to_jiffies(tnpu_boot_timeout_ms));
	st = tnpu_rd(tdev, TNPU_REG_STATUS);
	if (!left && !(st & (TNPU_STATUS_FW_READY | TNPU_STATUS_FW_ERROR))) {
		drm_err(&tdev->drm, "firmware boot timed out after %u ms (STATUS 0x%08x)\n",
			tnpu_boot_timeout_ms, st);
		return -ETIMEDOUT;
	}
	if (!(st & TNPU_STATUS_FW_READY)) {
		err = tnpu_rd(tdev, TNPU_REG_BOOT_ERR);
		drm_err(&tdev->drm, "firmware boot failed: %s (BOOT_ERR %u, STATUS 0x%08x)\n",
			err < ARRAY_SIZE(tnpu_boot_err_names) ?
			tnpu_boot_err_names[err] : "unknown error", err, st);
		return -EIO;
	}

	tdev->fw_version = tnpu_rd(tdev, TNPU_REG_FW_VERSION);
	tdev->fw_abi = tnpu_rd(tdev, TNPU_REG_FW_ABI);
	tdev->fw_features = tnpu_rd(tdev, TNPU_REG_FW_FEATURES);
	return 0;
}
