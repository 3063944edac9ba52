// SPDX-License-Identifier: MIT
/*
 * test_tools.c - tnpu-info and tnpu-digits end to end on the fake kernel:
 * exit codes and the lines the VM suite and users rely on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_dev.h"

int tnpu_info_main(int argc, char **argv);
int tnpu_digits_main(int argc, char **argv);

/* Pull in both tools with their main() renamed. */
#define main tnpu_info_main
#include "../../../runtime/tools/tnpu-info.c"
#undef main
#define main tnpu_digits_main
#include "../../../runtime/tools/tnpu-digits.c"
#undef main

#define SHIPPED_MODEL	TNPU_MODEL_DIR "/digits-mlp.tnm"
#define SHIPPED_DATA	TNPU_MODEL_DIR "/digits-test.tnd"

static char out[16384];

/* Run @fn with stdout and stderr captured into out[]; returns its exit code. */
static int run_captured(int (*fn)(int, char **), int argc, char **argv)
{
	char path[] = "/tmp/tnpu-tool-out-XXXXXX";
	int fd = mkstemp(path), saved1, saved2, rc;
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	saved1 = dup(1);
	saved2 = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	optind = 0;	/* glibc: restart getopt */
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(saved1);
	close(saved2);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void assert_out_has(const char *part)
{
	if (!strstr(out, part))
		fail_msg("output lacks \"%s\":\n%s", part, out);
}

static void test_info_no_device(void **state)
{
	char *argv[] = { "tnpu-info", NULL };

	(void)state;
	assert_int_equal(run_captured(tnpu_info_main, 1, argv), 1);
	assert_string_equal(out, "tnpu-info: no accel device nodes in /dev/accel "
			    "(is tnpu.ko loaded?)\n");
}

static void test_info_prints_device(void **state)
{
	char *argv[] = { "tnpu-info", NULL };
	char *all[] = { "tnpu-info", "--all", NULL };

	(void)state;
	fake_add_node("/dev/accel/accel0", "ivpu", 1);
	fake_add_node("/dev/accel/accel1", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(run_captured(tnpu_info_main, 1, argv), 0);
	assert_out_has("/dev/accel/accel1\n");
	assert_out_has("tnpu 1.2.3");
	assert_out_has("uapi ABI:       1.0");
	assert_out_has("gemm-fp32 mmu copy-fill");
	assert_out_has("queues:         4: q0=prio0");
	assert_out_has("resets:         0");
	assert_int_equal(run_captured(tnpu_info_main, 2, all), 0);
	assert_out_has("/dev/accel/accel0\n  not usable: /dev/accel/accel0: driver is \"ivpu\"");
	assert_out_has("/dev/accel/accel1\n  driver:");
	assert_int_equal(fake.open_fds, 0);
}

static void test_digits_pass(void **state)
{
	char *argv[] = { "tnpu-digits", "--model", SHIPPED_MODEL, "--data", SHIPPED_DATA,
			 "--batch", "100", "--queue", "1", NULL };

	(void)state;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(run_captured(tnpu_digits_main, 9, argv), 0);
	assert_out_has("samples:  540 in 6 batch jobs of up to 100 (queue 1)");
	assert_out_has("NPU/CPU agreement:   100.00% (540/540), max |logit diff| 0\n");
	assert_out_has("PASS");
	assert_int_equal(fake.submits, 6);
	assert_int_equal(fake_live_bos(), 0);
	assert_int_equal(fake.open_fds, 0);
}

static void test_digits_detects_wrong_results(void **state)
{
	char *argv[] = { "tnpu-digits", "--model", SHIPPED_MODEL, "--data", SHIPPED_DATA, NULL };

	(void)state;
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	fake.gemm_skew = 100.0f;	/* favours the last class everywhere */
	assert_int_equal(run_captured(tnpu_digits_main, 5, argv), 1);
	assert_out_has("FAIL");
}

static void test_digits_setup_errors(void **state)
{
	char *nodev[] = { "tnpu-digits", "--model", SHIPPED_MODEL, "--data", SHIPPED_DATA, NULL };
	char *swapped[] = { "tnpu-digits", "--model", SHIPPED_DATA, "--data", SHIPPED_MODEL,
			    NULL };
	char *badq[] = { "tnpu-digits", "--model", SHIPPED_MODEL, "--data", SHIPPED_DATA,
			 "--queue", "9", NULL };
	char *badb[] = { "tnpu-digits", "--batch", "8193", NULL };

	(void)state;
	assert_int_equal(run_captured(tnpu_digits_main, 5, nodev), 2);
	assert_out_has("no accel device nodes");
	assert_int_equal(run_captured(tnpu_digits_main, 5, swapped), 2);
	assert_out_has("bad magic");
	fake_add_node("/dev/accel/accel0", "tnpu", DRM_TNPU_ABI_MAJOR);
	assert_int_equal(run_captured(tnpu_digits_main, 7, badq), 2);
	assert_out_has("queue 9 out of range (device has 4)");
	assert_int_equal(run_captured(tnpu_digits_main, 3, badb), 2);
	assert_out_has("--batch must be 1..8192");
	assert_int_equal(fake.submits, 0);
	assert_int_equal(fake_live_bos(), 0);
	assert_int_equal(fake.open_fds, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_info_no_device),
		T(test_info_prints_device),
		T(test_digits_pass),
		T(test_digits_detects_wrong_results),
		T(test_digits_setup_errors),
	};

	return cmocka_run_group_tests_name("runtime_tools", tests, NULL, NULL);
}
