// SPDX-License-Identifier: MIT
/*
 * fwbuild.c - tnpu-fwbuild: write or check a tnpu firmware image.
 *
 *   tnpu-fwbuild -o FILE [--version X.Y.Z] [--abi MAJ.MIN] [--features LIST]
 *                [--burst N] [--build TAG]
 *   tnpu-fwbuild --check FILE
 *
 * LIST is comma-separated names (priority, gemm, copy_fill), "all", "none",
 * or a number.  The default version is the VERSION file, compiled in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_image.h"

#ifndef TNPU_FW_DEFAULT_VERSION
#define TNPU_FW_DEFAULT_VERSION "0.0.0"
#endif

#define FEAT_ALL (TNPU_FW_FEAT_PRIORITY | TNPU_FW_FEAT_GEMM | TNPU_FW_FEAT_COPY_FILL)

static const struct {
	const char *name;
	uint32_t bit;
} feature_names[] = {
	{ "priority", TNPU_FW_FEAT_PRIORITY },
	{ "gemm", TNPU_FW_FEAT_GEMM },
	{ "copy_fill", TNPU_FW_FEAT_COPY_FILL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tnpu-fwbuild -o FILE [--version X.Y.Z] [--abi MAJ.MIN]\n"
		   "                    [--features LIST] [--burst N] [--build TAG]\n"
		   "       tnpu-fwbuild --check FILE\n"
		   "LIST: comma-separated priority,gemm,copy_fill | all | none | NUMBER\n");
}

static int parse_u32(const char *s, unsigned long max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_version(const char *s, uint32_t *out)
{
	unsigned int a, b, c;
	char tail;

	if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 || a > 255 || b > 255 || c > 255)
		return -1;
	*out = TNPU_FW_VERSION(a, b, c);
	return 0;
}

static int parse_abi(const char *s, uint16_t *maj, uint16_t *min)
{
	unsigned int a, b;
	char tail;

	if (sscanf(s, "%u.%u%c", &a, &b, &tail) != 2 || a > 0xffff || b > 0xffff)
		return -1;
	*maj = (uint16_t)a;
	*min = (uint16_t)b;
	return 0;
}

static int parse_features(const char *s, uint32_t *out)
{
	char buf[256], *tok, *save = NULL;
	uint32_t v = 0;
	size_t i;

	if (!parse_u32(s, 0xffffffffUL, out))
		return 0;
	if (!strcmp(s, "all")) {
		*out = FEAT_ALL;
		return 0;
	}
	if (!strcmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (!strcmp(tok, feature_names[i].name))
				break;
		if (i == sizeof(feature_names) / sizeof(feature_names[0]))
			return -1;
		v |= feature_names[i].bit;
	}
	*out = v;
	return 0;
}

static int check_file(const char *path)
{
	static uint8_t img[TNPU_FW_MAX_SIZE + 1];
	struct tnpu_fw_params p;
	enum tnpu_boot_err err;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "tnpu-fwbuild: %s: %s\n", path, strerror(errno));
		return 2;
	}
	n = fread(img, 1, sizeof(img), f);
	fclose(f);
	err = tnpu_fw_validate(img, n, &p);
	if (err != TNPU_BOOT_OK) {
		printf("%s: INVALID: %s\n", path, tnpu_boot_err_name(err));
		return 1;
	}
	printf("%s: OK\n", path);
	printf("  size      %zu\n", n);
	printf("  version   %u.%u.%u\n", p.fw_version >> 16, (p.fw_version >> 8) & 0xff,
	       p.fw_version & 0xff);
	printf("  abi       %u.%u\n", p.abi >> 16, p.abi & 0xffff);
	printf("  features  0x%08x\n", p.features);
	printf("  burst     %u\n", p.burst);
	printf("  build     %s\n", p.build);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t img[TNPU_FW_MAX_SIZE];
	struct tnpu_fw_build_opts o = {
		.abi_major = TNPU_FW_ABI_MAJOR,
		.abi_minor = TNPU_FW_ABI_MINOR,
		.features = FEAT_ALL,
		.burst = TNPU_FW_BURST_DEFAULT,
		.build = "tnpu-fw-stub " TNPU_FW_DEFAULT_VERSION,
	};
	const char *out = NULL;
	size_t size;
	FILE *f;
	int i;

	if (parse_version(TNPU_FW_DEFAULT_VERSION, &o.fw_version)) {
		fprintf(stderr, "tnpu-fwbuild: bad built-in version %s\n", TNPU_FW_DEFAULT_VERSION);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "tnpu-fwbuild: %s needs an argument\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--check"))
			return check_file(v);
		else if (!strcmp(a, "-o"))
			out = v;
		else if (!strcmp(a, "--version"))
			bad = parse_version(v, &o.fw_version);
		else if (!strcmp(a, "--abi"))
			bad = parse_abi(v, &o.abi_major, &o.abi_minor);
		else if (!strcmp(a, "--features"))
			bad = parse_features(v, &o.features);
		else if (!strcmp(a, "--burst"))
			bad = parse_u32(v, TNPU_FW_BURST_MAX, &o.burst) ||
			      o.burst < TNPU_FW_BURST_MIN;
		else if (!strcmp(a, "--build"))
			o.build = v;
		else {
			fprintf(stderr, "tnpu-fwbuild: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "tnpu-fwbuild: bad value for %s: %s\n", a, v);
			return 2;
		}
	}
	if (!out) {
		usage(stderr);
		return 2;
	}
	if (strlen(o.build) > 31) {
		fprintf(stderr, "tnpu-fwbuild: --build tag longer than 31 bytes\n");
		return 2;
	}
	size = tnpu_fw_build(img, sizeof(img), &o);
	if (!size) {
		fprintf(stderr, "tnpu-fwbuild: image too large\n");
		return 1;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "tnpu-fwbuild: %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}
