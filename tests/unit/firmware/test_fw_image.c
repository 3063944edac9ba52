// SPDX-License-Identifier: MIT
/*
 * test_fw_image.c - firmware image build and validation: every corruption
 * maps to its exact enum tnpu_boot_err.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crc32.h"
#include "fw_image.h"

static uint8_t img[TNPU_FW_MAX_SIZE + 64];

static struct tnpu_fw_build_opts defaults(void)
{
	struct tnpu_fw_build_opts o = {
		.fw_version = TNPU_FW_VERSION(1, 4, 2),
		.abi_major = TNPU_FW_ABI_MAJOR,
		.abi_minor = TNPU_FW_ABI_MINOR,
		.features = TNPU_FW_FEAT_GEMM,
		.burst = 3,
		.build = "unit",
	};
	return o;
}

static size_t build(const struct tnpu_fw_build_opts *o)
{
	size_t n;

	memset(img, 0, sizeof(img));
	n = tnpu_fw_build(img, sizeof(img), o);
	assert_true(n > sizeof(struct tnpu_fw_header));
	return n;
}

static size_t build_default(void)
{
	struct tnpu_fw_build_opts o = defaults();

	return build(&o);
}

static struct tnpu_fw_header *hdr(void)
{
	return (struct tnpu_fw_header *)img;
}

/* Build an image whose payload is exactly @payload, with valid CRCs. */
static size_t raw_image(const void *payload, uint32_t len)
{
	size_t n = build_default();

	(void)n;
	memcpy(img + sizeof(struct tnpu_fw_header), payload, len);
	hdr()->payload_size = len;
	tnpu_fw_seal(img, sizeof(struct tnpu_fw_header) + len);
	return sizeof(struct tnpu_fw_header) + len;
}

static void test_crc32_known_value(void **state)
{
	(void)state;
	assert_int_equal(tnpu_crc32(0, "123456789", 9), 0xcbf43926u);
	/* chaining equals one pass */
	assert_int_equal(tnpu_crc32(tnpu_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(tnpu_crc32(0, "", 0), 0);
}

static void test_valid_image(void **state)
{
	struct tnpu_fw_params p;
	size_t n = build_default();

	(void)state;
	memset(&p, 0xff, sizeof(p));
	assert_int_equal(tnpu_fw_validate(img, n, &p), TNPU_BOOT_OK);
	assert_int_equal(p.fw_version, TNPU_FW_VERSION(1, 4, 2));
	assert_int_equal(p.abi, (TNPU_FW_ABI_MAJOR << 16) | TNPU_FW_ABI_MINOR);
	assert_int_equal(p.features, TNPU_FW_FEAT_GEMM);
	assert_int_equal(p.burst, 3);
	assert_string_equal(p.build, "unit");
	assert_int_equal(hdr()->magic, TNPU_FW_MAGIC);
	assert_int_equal(hdr()->header_size, 64);
}

static void test_size_errors(void **state)
{
	size_t n = build_default();

	(void)state;
	assert_int_equal(tnpu_fw_validate(img, 0, NULL), TNPU_BOOT_SIZE);
	assert_int_equal(tnpu_fw_validate(img, 63, NULL), TNPU_BOOT_SIZE);
	assert_int_equal(tnpu_fw_validate(img, TNPU_FW_MAX_SIZE + 1, NULL), TNPU_BOOT_SIZE);
	/* one byte more or less than header + payload_size */
	assert_int_equal(tnpu_fw_validate(img, n + 1, NULL), TNPU_BOOT_SIZE);
	assert_int_equal(tnpu_fw_validate(img, n - 1, NULL), TNPU_BOOT_SIZE);
	/* a huge payload_size does not overflow the comparison */
	hdr()->payload_size = 0xffffffffu;
	tnpu_fw_seal(img, n);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_SIZE);
}

static void test_bad_magic(void **state)
{
	size_t n = build_default();

	(void)state;
	hdr()->magic ^= 1;
	tnpu_fw_seal(img, n);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_MAGIC);
}

static void test_header_errors(void **state)
{
	size_t n = build_default();

	(void)state;
	hdr()->header_size = 60;
	tnpu_fw_seal(img, n);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_HEADER);

	n = build_default();
	hdr()->header_version = 2;
	tnpu_fw_seal(img, n);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_HEADER);

	n = build_default();
	hdr()->header_crc ^= 0x100;
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_HEADER);

	/* a header field changed without resealing */
	n = build_default();
	hdr()->fw_version++;
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_HEADER);

	/* build tag not NUL-terminated */
	n = build_default();
	memset(hdr()->build, 'x', sizeof(hdr()->build));
	tnpu_fw_seal(img, n);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_HEADER);
}

static void test_abi(void **state)
{
	struct tnpu_fw_build_opts o = defaults();
	struct tnpu_fw_params p;
	size_t n;

	(void)state;
	o.abi_major = TNPU_FW_ABI_MAJOR + 1;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_ABI);
	o.abi_major = 0;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_ABI);
	/* a newer minor only adds: accepted and reported */
	o.abi_major = TNPU_FW_ABI_MAJOR;
	o.abi_minor = TNPU_FW_ABI_MINOR + 7;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, &p), TNPU_BOOT_OK);
	assert_int_equal(p.abi, (TNPU_FW_ABI_MAJOR << 16) | (TNPU_FW_ABI_MINOR + 7));
}

static void test_payload_crc(void **state)
{
	size_t n = build_default();

	(void)state;
	img[n - 1] ^= 0x80;
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_CRC);
	n = build_default();
	hdr()->payload_crc++;
	tnpu_fw_seal(img, n);	/* seal recomputes it: valid again */
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_OK);
	hdr()->payload_crc++;
	hdr()->header_crc = 0;
	{
		/* reseal the header only, keeping the wrong payload CRC */
		struct tnpu_fw_header h = *hdr();

		h.header_crc = 0;
		hdr()->header_crc = tnpu_crc32(0, &h, sizeof(h));
	}
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_CRC);
}

static void test_sched_section_errors(void **state)
{
	struct tnpu_fw_build_opts o = defaults();
	struct tnpu_fw_sched s = { .burst = 2, .reserved = 0 };
	struct tnpu_fw_extra dup = { TNPU_FW_SECT_SCHED, sizeof(s), &s };
	size_t n;

	(void)state;
	o.burst = 0;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);
	o.burst = TNPU_FW_BURST_MAX + 1;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);
	o.burst = TNPU_FW_BURST_MAX;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_OK);

	/* reserved field of SCHED non-zero (payload offset 4 + 4) */
	o.burst = 1;
	n = build(&o);
	img[64 + 4 + 4] = 1;
	tnpu_fw_seal(img, n);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);

	/* duplicate SCHED */
	o.extra = &dup;
	o.n_extra = 1;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);
}

static void test_missing_or_malformed_sections(void **state)
{
	uint8_t pl[64] = { 0 };
	struct tnpu_fw_section s;
	struct tnpu_fw_sched sched = { .burst = 1 };
	size_t n;

	(void)state;
	/* empty payload: no SCHED */
	n = raw_image(pl, 0);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);

	/* only a non-critical section: SCHED missing */
	s.type = 0x0042;
	s.len = 4;
	memset(pl, 0, sizeof(pl));
	memcpy(pl, &s, sizeof(s));
	n = raw_image(pl, 8);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);

	/* SCHED with a short length */
	s.type = TNPU_FW_SECT_SCHED;
	s.len = 4;
	memcpy(pl, &s, sizeof(s));
	memcpy(pl + 4, &sched, 4);
	n = raw_image(pl, 8);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);

	/* SCHED claiming more bytes than the payload has */
	s.len = 8;
	memcpy(pl, &s, sizeof(s));
	memcpy(pl + 4, &sched, sizeof(sched));
	n = raw_image(pl, 10);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);

	/* valid SCHED followed by 2 stray bytes */
	n = raw_image(pl, 14);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);
	/* and exactly right */
	n = raw_image(pl, 12);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_OK);
}

static void test_unknown_sections(void **state)
{
	struct tnpu_fw_build_opts o = defaults();
	static const uint8_t blob[5] = { 1, 2, 3, 4, 5 };
	struct tnpu_fw_extra noncrit = { 0x0077, sizeof(blob), blob };
	struct tnpu_fw_extra crit = { 0x0077 | TNPU_FW_SECT_CRITICAL, sizeof(blob), blob };
	struct tnpu_fw_params p;
	size_t n;

	(void)state;
	o.extra = &noncrit;
	o.n_extra = 1;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, &p), TNPU_BOOT_OK);
	assert_int_equal(p.burst, 3);
	o.extra = &crit;
	n = build(&o);
	assert_int_equal(tnpu_fw_validate(img, n, NULL), TNPU_BOOT_PAYLOAD);
}

static void test_build_limits(void **state)
{
	struct tnpu_fw_build_opts o = defaults();
	uint8_t small[70];

	(void)state;
	assert_int_equal(tnpu_fw_build(small, sizeof(small), &o), 0);
	o.build = "a-very-long-build-tag-that-does-not-fit-in-32";
	assert_true(build(&o) > 0);
	assert_int_equal(strlen(hdr()->build), 31);
	assert_int_equal(tnpu_fw_validate(img, 76, NULL), TNPU_BOOT_OK);
}

static void test_err_names(void **state)
{
	(void)state;
	assert_string_equal(tnpu_boot_err_name(TNPU_BOOT_CRC), "TNPU_BOOT_CRC");
	assert_string_equal(tnpu_boot_err_name(TNPU_BOOT_BUSY), "TNPU_BOOT_BUSY");
	assert_string_equal(tnpu_boot_err_name(99), "TNPU_BOOT_?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_known_value),
		cmocka_unit_test(test_valid_image),
		cmocka_unit_test(test_size_errors),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_abi),
		cmocka_unit_test(test_payload_crc),
		cmocka_unit_test(test_sched_section_errors),
		cmocka_unit_test(test_missing_or_malformed_sections),
		cmocka_unit_test(test_unknown_sections),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests_name("firmware image", tests, NULL, NULL);
}
