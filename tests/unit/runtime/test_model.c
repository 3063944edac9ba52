// SPDX-License-Identifier: MIT
/*
 * test_model.c - MLP model and data-set files: the shipped files load, every
 * kind of corruption is rejected with a message, and the CPU reference
 * matches hand-computed values.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tnpu_internal.h"

#define SHIPPED_MODEL	TNPU_MODEL_DIR "/digits-mlp.tnm"
#define SHIPPED_DATA	TNPU_MODEL_DIR "/digits-test.tnd"

/* ---- builders for in-memory files ---- */
struct blob {
	uint8_t *p;
	size_t len;
};

static void put32(struct blob *b, uint32_t v)
{
	b->p = realloc(b->p, b->len + 4);
	memcpy(b->p + b->len, &v, 4);
	b->len += 4;
}

static void putf(struct blob *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	put32(b, v);
}

/*
 * The tiny model: 2 -> 2 (relu) -> 1.
 *   W1 = [[1, -1], [2, 0.5]], b1 = [0.5, -1]; W2 = [[3, -2]], b2 = [0.25]
 */
static struct blob tiny_model(void)
{
	struct blob b = { 0 };

	put32(&b, 0x4d4d4e54);	/* "TNMM" */
	put32(&b, 1);
	put32(&b, 2);
	put32(&b, 0);
	put32(&b, 2); put32(&b, 2); put32(&b, TNPU_ACT_RELU); put32(&b, 0);
	put32(&b, 2); put32(&b, 1); put32(&b, TNPU_ACT_NONE); put32(&b, 0);
	putf(&b, 1); putf(&b, -1); putf(&b, 2); putf(&b, 0.5f);
	putf(&b, 0.5f); putf(&b, -1);
	putf(&b, 3); putf(&b, -2);
	putf(&b, 0.25f);
	return b;
}

/* Offsets in tiny_model() */
#define T_VERSION	4
#define T_LAYERS	8
#define T_RSVD		12
#define T_L0_IN		16
#define T_L0_OUT	20
#define T_L0_ACT	24
#define T_L0_RSVD	28
#define T_L1_IN		32
#define T_W0		48
#define T_B1		(48 + 4 * 8)

static void set32(struct blob *b, size_t off, uint32_t v)
{
	memcpy(b->p + off, &v, 4);
}

static void setf(struct blob *b, size_t off, float f)
{
	memcpy(b->p + off, &f, 4);
}

static int parse_blob(const struct blob *b)
{
	struct tnpu_mlp *m = NULL;
	int ret = tnpu_mlp_parse(b->p, b->len, &m);

	if (!ret)
		tnpu_mlp_free(m);
	else
		assert_null(m);
	return ret;
}

static void expect_reject(struct blob *b, int err, const char *msg_part)
{
	assert_int_equal(parse_blob(b), err);
	if (!strstr(tnpu_last_error(), msg_part))
		fail_msg("error \"%s\" does not mention \"%s\"", tnpu_last_error(), msg_part);
}

/* ---- tests ---- */

static void test_shipped_model_loads(void **state)
{
	struct tnpu_mlp *m;
	uint32_t in, out, act;
	const float *w, *bias;

	(void)state;
	assert_int_equal(tnpu_mlp_load(SHIPPED_MODEL, &m), 0);
	assert_int_equal(tnpu_mlp_num_layers(m), 2);
	assert_int_equal(tnpu_mlp_input_dim(m), 64);
	assert_int_equal(tnpu_mlp_output_dim(m), 10);
	assert_int_equal(tnpu_mlp_layer(m, 0, &in, &out, &act, &w, &bias), 0);
	assert_int_equal(in, 64);
	assert_int_equal(out, 32);
	assert_int_equal(act, TNPU_ACT_RELU);
	assert_non_null(w);
	assert_non_null(bias);
	assert_int_equal(tnpu_mlp_layer(m, 1, &in, &out, &act, NULL, NULL), 0);
	assert_int_equal(in, 32);
	assert_int_equal(out, 10);
	assert_int_equal(act, TNPU_ACT_NONE);
	assert_int_equal(tnpu_mlp_layer(m, 2, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	tnpu_mlp_free(m);
}

static void test_shipped_model_accuracy(void **state)
{
	struct tnpu_mlp *m;
	struct tnpu_dataset *d;
	float *y;
	uint32_t ok = 0;

	(void)state;
	assert_int_equal(tnpu_mlp_load(SHIPPED_MODEL, &m), 0);
	assert_int_equal(tnpu_dataset_load(SHIPPED_DATA, &d), 0);
	assert_int_equal(d->num_samples, 540);
	assert_int_equal(d->num_features, 64);
	assert_int_equal(d->num_classes, 10);
	y = calloc((size_t)d->num_samples * 10, sizeof(float));
	assert_int_equal(tnpu_mlp_forward_cpu(m, d->features, d->num_samples, y), 0);
	for (uint32_t i = 0; i < d->num_samples; i++)
		ok += tnpu_argmax(y + (size_t)i * 10, 10) == d->labels[i];
	/* train_digits.py reports 97.4% for the float32 export. */
	assert_true(ok >= (uint32_t)(0.95 * d->num_samples));
	free(y);
	tnpu_dataset_free(d);
	tnpu_mlp_free(m);
}

static void test_tiny_model_accepted(void **state)
{
	struct blob b = tiny_model();

	(void)state;
	assert_int_equal(b.len, 48 + 4 * 9);
	assert_int_equal(parse_blob(&b), 0);
	free(b.p);
}

static void test_truncated_rejected(void **state)
{
	struct blob b = tiny_model();

	(void)state;
	/* Every proper prefix, including the empty file, is rejected. */
	for (size_t len = 0; len < b.len; len++) {
		struct blob t = { b.p, len };

		assert_int_equal(parse_blob(&t), -EINVAL);
	}
	{
		struct blob t = { b.p, b.len - 1 };

		expect_reject(&t, -EINVAL, "truncated");
	}
	free(b.p);
}

static void test_trailing_rejected(void **state)
{
	struct blob b = tiny_model();

	(void)state;
	put32(&b, 0);
	expect_reject(&b, -EINVAL, "trailing");
	free(b.p);
}

static void test_corrupt_header_rejected(void **state)
{
	struct blob b;

	(void)state;
	b = tiny_model(); b.p[0] = 'X';
	expect_reject(&b, -EINVAL, "magic"); free(b.p);
	b = tiny_model(); set32(&b, T_VERSION, 2);
	expect_reject(&b, -EINVAL, "version 2"); free(b.p);
	b = tiny_model(); set32(&b, T_LAYERS, 0);
	expect_reject(&b, -EINVAL, "layer count 0"); free(b.p);
	b = tiny_model(); set32(&b, T_LAYERS, TNPU_MLP_MAX_LAYERS + 1);
	expect_reject(&b, -EINVAL, "layer count 17"); free(b.p);
	b = tiny_model(); set32(&b, T_LAYERS, 0xffffffff);
	expect_reject(&b, -EINVAL, "layer count"); free(b.p);
	b = tiny_model(); set32(&b, T_RSVD, 1);
	expect_reject(&b, -EINVAL, "reserved"); free(b.p);
	/* 3 layers declared, only 2 descriptors worth of header + data */
	b = tiny_model(); set32(&b, T_LAYERS, 3);
	assert_int_equal(parse_blob(&b), -EINVAL); free(b.p);
}

static void test_corrupt_layers_rejected(void **state)
{
	struct blob b;

	(void)state;
	b = tiny_model(); set32(&b, T_L0_IN, 0);
	expect_reject(&b, -EINVAL, "dims"); free(b.p);
	b = tiny_model(); set32(&b, T_L0_OUT, TNPU_MLP_MAX_DIM + 1);
	expect_reject(&b, -EINVAL, "dims"); free(b.p);
	b = tiny_model(); set32(&b, T_L0_ACT, 7);
	expect_reject(&b, -EINVAL, "activation"); free(b.p);
	b = tiny_model(); set32(&b, T_L0_RSVD, 1);
	expect_reject(&b, -EINVAL, "reserved"); free(b.p);
	b = tiny_model(); set32(&b, T_L1_IN, 3);
	expect_reject(&b, -EINVAL, "does not match"); free(b.p);
	/* A size that only fits after 32-bit wrap-around must not pass. */
	b = tiny_model(); set32(&b, T_L0_IN, 8192); set32(&b, T_L0_OUT, 8192);
	set32(&b, T_L1_IN, 8192);
	expect_reject(&b, -EFBIG, "parameters"); free(b.p);
}

static void test_non_finite_rejected(void **state)
{
	struct blob b;

	(void)state;
	b = tiny_model(); setf(&b, T_W0 + 4, NAN);
	expect_reject(&b, -EINVAL, "parameter 1 is not finite"); free(b.p);
	b = tiny_model(); setf(&b, T_B1, INFINITY);
	expect_reject(&b, -EINVAL, "not finite"); free(b.p);
	b = tiny_model(); setf(&b, T_B1, -INFINITY);
	expect_reject(&b, -EINVAL, "not finite"); free(b.p);
}

static void test_oversized_file_rejected(void **state)
{
	char path[] = "/tmp/tnpu-model-XXXXXX";
	struct tnpu_mlp *m = (struct tnpu_mlp *)&m;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	/* Sparse file far beyond any legal model: refused before reading. */
	assert_int_equal(ftruncate(fd, 1ll << 30), 0);
	close(fd);
	assert_int_equal(tnpu_mlp_load(path, &m), -EFBIG);
	assert_null(m);
	assert_non_null(strstr(tnpu_last_error(), path));
	unlink(path);
}

static void test_load_errors_name_the_file(void **state)
{
	char path[] = "/tmp/tnpu-model-XXXXXX";
	struct blob b = tiny_model();
	struct tnpu_mlp *m;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.p, b.len - 3), (ssize_t)(b.len - 3));
	close(fd);
	assert_int_equal(tnpu_mlp_load(path, &m), -EINVAL);
	assert_non_null(strstr(tnpu_last_error(), path));
	assert_non_null(strstr(tnpu_last_error(), "truncated"));
	unlink(path);
	assert_int_equal(tnpu_mlp_load("/nonexistent/model.tnm", &m), -ENOENT);
	assert_non_null(strstr(tnpu_last_error(), "/nonexistent/model.tnm"));
	assert_int_equal(tnpu_mlp_load("/tmp", &m), -EINVAL);	/* a directory */
	free(b.p);
}

static void test_cpu_reference_hand_computed(void **state)
{
	struct blob b = tiny_model();
	struct tnpu_mlp *m;
	const float x[] = { 1, 2, 0, 0, -1, 1 };
	float y[3] = { 99, 99, 99 };

	(void)state;
	assert_int_equal(tnpu_mlp_parse(b.p, b.len, &m), 0);
	assert_int_equal(tnpu_mlp_forward_cpu(m, x, 3, y), 0);
	/*
	 * x=[1,2]:  h = relu([1-2+0.5, 2+1-1]) = [0, 2];   y = 0*3 + 2*-2 + 0.25 = -3.75
	 * x=[0,0]:  h = relu([0.5, -1]) = [0.5, 0];         y = 1.5 + 0.25 = 1.75
	 * x=[-1,1]: h = relu([-1-1+0.5, -2+0.5-1]) = [0,0]; y = 0.25
	 */
	assert_float_equal(y[0], -3.75f, 0.0f);
	assert_float_equal(y[1], 1.75f, 0.0f);
	assert_float_equal(y[2], 0.25f, 0.0f);
	assert_int_equal(tnpu_mlp_forward_cpu(m, x, 0, y), -EINVAL);
	tnpu_mlp_free(m);
	free(b.p);
}

/* ---- data sets ---- */

static struct blob tiny_dataset(void)
{
	struct blob b = { 0 };

	put32(&b, 0x53444e54);	/* "TNDS" */
	put32(&b, 1);
	put32(&b, 3);		/* samples */
	put32(&b, 2);		/* features */
	put32(&b, 4);		/* classes */
	put32(&b, 0);
	for (int i = 0; i < 6; i++)
		putf(&b, (float)i);
	b.p = realloc(b.p, b.len + 3);
	b.p[b.len++] = 0;
	b.p[b.len++] = 3;
	b.p[b.len++] = 1;
	return b;
}

static int parse_ds(const struct blob *b)
{
	struct tnpu_dataset *d = NULL;
	int ret = tnpu_dataset_parse(b->p, b->len, &d);

	tnpu_dataset_free(d);
	return ret;
}

static void test_dataset(void **state)
{
	struct blob b = tiny_dataset();
	struct tnpu_dataset *d;

	(void)state;
	assert_int_equal(tnpu_dataset_parse(b.p, b.len, &d), 0);
	assert_int_equal(d->num_samples, 3);
	assert_float_equal(d->features[5], 5.0f, 0.0f);
	assert_int_equal(d->labels[1], 3);
	tnpu_dataset_free(d);
	for (size_t len = 0; len < b.len; len++) {
		struct blob t = { b.p, len };

		assert_int_equal(parse_ds(&t), -EINVAL);
	}
	b.p[b.len - 2] = 4;	/* label == class count */
	assert_int_equal(parse_ds(&b), -EINVAL);
	assert_non_null(strstr(tnpu_last_error(), "label"));
	b.p[b.len - 2] = 3;
	setf(&b, 24 + 8, NAN);
	assert_int_equal(parse_ds(&b), -EINVAL);
	assert_non_null(strstr(tnpu_last_error(), "sample 1 feature 0"));
	setf(&b, 24 + 8, 2);
	set32(&b, 16, 0);	/* zero classes */
	assert_int_equal(parse_ds(&b), -EINVAL);
	set32(&b, 16, 4);
	set32(&b, 8, 0xffffffff);	/* huge sample count */
	assert_int_equal(parse_ds(&b), -EINVAL);
	set32(&b, 8, 1u << 20);
	set32(&b, 12, 8192);	/* 32 GiB of features: over the size limit */
	assert_int_equal(parse_ds(&b), -EFBIG);
	set32(&b, 8, 3);
	set32(&b, 12, 2);
	b.p[0] = 'X';
	assert_int_equal(parse_ds(&b), -EINVAL);
	b.p[0] = 'T';
	assert_int_equal(parse_ds(&b), 0);
	free(b.p);
}

static void test_argmax(void **state)
{
	const float v[] = { 1, 5, 5, -2 };

	(void)state;
	assert_int_equal(tnpu_argmax(v, 4), 1);	/* first on ties */
	assert_int_equal(tnpu_argmax(v + 2, 2), 0);
	assert_int_equal(tnpu_argmax(v + 3, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_model_loads),
		cmocka_unit_test(test_shipped_model_accuracy),
		cmocka_unit_test(test_tiny_model_accepted),
		cmocka_unit_test(test_truncated_rejected),
		cmocka_unit_test(test_trailing_rejected),
		cmocka_unit_test(test_corrupt_header_rejected),
		cmocka_unit_test(test_corrupt_layers_rejected),
		cmocka_unit_test(test_non_finite_rejected),
		cmocka_unit_test(test_oversized_file_rejected),
		cmocka_unit_test(test_load_errors_name_the_file),
		cmocka_unit_test(test_cpu_reference_hand_computed),
		cmocka_unit_test(test_dataset),
		cmocka_unit_test(test_argmax),
	};

	return cmocka_run_group_tests_name("runtime_model", tests, NULL, NULL);
}
