/* SPDX-License-Identifier: MIT */
/*
 * crc32.h - CRC-32/ISO-HDLC (the zlib crc32), used by the firmware image.
 */
#ifndef TNPU_CRC32_H
#define TNPU_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC over @len bytes.  Start with @crc = 0; the result of one
 * call can be fed to the next, exactly like zlib's crc32().
 */
uint32_t tnpu_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* TNPU_CRC32_H */
