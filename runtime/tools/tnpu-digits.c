// SPDX-License-Identifier: MIT
/*
 * tnpu-digits - classify the held-out sklearn digits on the NPU and check
 * the result against libtnpu's CPU reference.
 *
 * Exit status: 0 when every NPU prediction equals the CPU one (and so the
 * accuracies agree), 1 on a mismatch, 2 on a usage or setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tnpu.h"

#define DEFAULT_MODEL	"/usr/share/tnpu/digits-mlp.tnm"
#define DEFAULT_DATA	"/usr/share/tnpu/digits-test.tnd"
#define DEFAULT_BATCH	64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tnpu-digits [--model FILE] [--data FILE] [--batch N] [--queue Q]\n"
		"                   [--device PATH]\n"
		"  --model FILE   MLP model (default " DEFAULT_MODEL ")\n"
		"  --data FILE    labelled test set (default " DEFAULT_DATA ")\n"
		"  --batch N      samples per NPU job, 1..%u (default %u)\n"
		"  --queue Q      hardware queue (default 0)\n"
		"  --device PATH  accel node (default $" TNPU_DEVICE_ENV " or the first tnpu)\n",
		TNPU_GEMM_MAX_DIM, DEFAULT_BATCH);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "data", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "queue", required_argument, NULL, 'q' },
		{ "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model_path = DEFAULT_MODEL, *data_path = DEFAULT_DATA, *dev_path = NULL;
	uint32_t batch = DEFAULT_BATCH, queue = 0, n, nin, nout, jobs = 0;
	uint32_t npu_ok = 0, cpu_ok = 0, agree = 0;
	struct tnpu_mlp_session *sess = NULL;
	struct tnpu_dataset *ds = NULL;
	struct tnpu_device *dev = NULL;
	struct tnpu_mlp *m = NULL;
	float *npu = NULL, *cpu = NULL;
	double wall = 0, max_diff = 0;
	uint64_t dev_ns = 0;
	int c, rc = 2;

	while ((c = getopt_long(argc, argv, "m:d:b:q:D:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			model_path = optarg;
			break;
		case 'd':
			data_path = optarg;
			break;
		case 'D':
			dev_path = optarg;
			break;
		case 'b':
			if (parse_u32(optarg, 1, TNPU_GEMM_MAX_DIM, &batch)) {
				fprintf(stderr, "tnpu-digits: --batch must be 1..%u\n",
					TNPU_GEMM_MAX_DIM);
				return 2;
			}
			break;
		case 'q':
			if (parse_u32(optarg, 0, 255, &queue)) {
				fprintf(stderr, "tnpu-digits: --queue must be a queue index\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (tnpu_mlp_load(model_path, &m) || tnpu_dataset_load(data_path, &ds)) {
		fprintf(stderr, "tnpu-digits: %s\n", tnpu_last_error());
		goto out;
	}
	n = ds->num_samples;
	nin = tnpu_mlp_input_dim(m);
	nout = tnpu_mlp_output_dim(m);
	if (ds->num_features != nin || ds->num_classes != nout) {
		fprintf(stderr, "tnpu-digits: data set has %u features and %u classes, the model "
			"takes %u inputs and gives %u outputs\n", ds->num_features,
			ds->num_classes, nin, nout);
		goto out;
	}
	if (batch > n)
		batch = n;
	npu = calloc((size_t)n * nout, sizeof(float));
	cpu = calloc((size_t)n * nout, sizeof(float));
	if (!npu || !cpu) {
		fprintf(stderr, "tnpu-digits: out of memory\n");
		goto out;
	}

	if ((dev_path ? tnpu_device_open_path(dev_path, &dev) : tnpu_device_open(TNPU_ANY, &dev)) ||
	    tnpu_mlp_session_create(dev, m, batch, queue, &sess)) {
		fprintf(stderr, "tnpu-digits: %s\n", tnpu_last_error());
		goto out;
	}
	printf("device:   %s\n", tnpu_device_path(dev));
	printf("model:    %s (%u layers, %u -> %u)\n", model_path, tnpu_mlp_num_layers(m), nin,
	       nout);
	printf("data:     %s\n", data_path);

	for (uint32_t first = 0; first < n; first += batch) {
		uint32_t rows = n - first < batch ? n - first : batch;
		struct tnpu_job_result res;
		double t0 = now_s();

		if (tnpu_mlp_session_run(sess, ds->features + (size_t)first * nin, rows,
					 npu + (size_t)first * nout, &res)) {
			fprintf(stderr, "tnpu-digits: batch at sample %u: %s\n", first,
				tnpu_last_error());
			rc = 1;
			goto out;
		}
		wall += now_s() - t0;
		dev_ns += res.duration_ns;
		jobs++;
	}
	if (tnpu_mlp_forward_cpu(m, ds->features, n, cpu)) {
		fprintf(stderr, "tnpu-digits: %s\n", tnpu_last_error());
		goto out;
	}

	for (uint32_t i = 0; i < n; i++) {
		uint32_t pn = tnpu_argmax(npu + (size_t)i * nout, nout);
		uint32_t pc = tnpu_argmax(cpu + (size_t)i * nout, nout);

		npu_ok += pn == ds->labels[i];
		cpu_ok += pc == ds->labels[i];
		agree += pn == pc;
		for (uint32_t j = 0; j < nout; j++) {
			double d = fabs((double)npu[(size_t)i * nout + j] -
					(double)cpu[(size_t)i * nout + j]);

			/* NaN from the device must count as a difference. */
			if (!(d <= max_diff))
				max_diff = isnan(d) ? INFINITY : d;
		}
	}
	printf("samples:  %u in %u batch jobs of up to %u (queue %u)\n", n, jobs, batch, queue);
	printf("NPU accuracy:        %.2f%% (%u/%u)\n", 100.0 * npu_ok / n, npu_ok, n);
	printf("CPU-ref accuracy:    %.2f%% (%u/%u)\n", 100.0 * cpu_ok / n, cpu_ok, n);
	printf("NPU/CPU agreement:   %.2f%% (%u/%u), max |logit diff| %.3g\n",
	       100.0 * agree / n, agree, n, max_diff);
	printf("time per inference:  %.1f us/sample, %.1f us/batch job "
	       "(device %.1f us/job)\n", wall * 1e6 / n, wall * 1e6 / jobs,
	       dev_ns / 1e3 / jobs);
	if (agree != n || npu_ok != cpu_ok) {
		printf("FAIL: NPU and CPU reference disagree\n");
		rc = 1;
	} else {
		printf("PASS\n");
		rc = 0;
	}
out:
	tnpu_mlp_session_destroy(sess);
	tnpu_device_close(dev);
	tnpu_dataset_free(ds);
	tnpu_mlp_free(m);
	free(npu);
	free(cpu);
	return rc;
}
