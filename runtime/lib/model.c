// SPDX-License-Identifier: MIT
/*
 * model.c - MLP model files, the CPU reference and device sessions.
 *
 * A model file is untrusted input: every field is range-checked, sizes are
 * computed in 64 bits, the file length must match exactly and every float
 * must be finite, so a loaded model can be run without further checks.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnpu_internal.h"

#define MLP_MAGIC		"TNMM"
#define MLP_VERSION		1
#define MLP_HEADER_SIZE		16
#define MLP_LAYER_DESC_SIZE	16
/* Largest file: header, descriptors and TNPU_MLP_MAX_PARAMS floats. */
#define MLP_MAX_FILE		(MLP_HEADER_SIZE + TNPU_MLP_MAX_LAYERS * MLP_LAYER_DESC_SIZE + \
				 (size_t)TNPU_MLP_MAX_PARAMS * 4)

/* How long a session waits for one batch job (TCG emulation is slow). */
#define MLP_JOB_TIMEOUT_NS	(60ll * 1000000000)

struct mlp_layer {
	uint32_t in, out, act;
	float *w;	/* [out][in] */
	float *b;	/* [out] */
};

struct tnpu_mlp {
	uint32_t num_layers;
	struct mlp_layer layer[TNPU_MLP_MAX_LAYERS];
	float *params;	/* one allocation holding every w and b */
};

void tnpu_mlp_free(struct tnpu_mlp *m)
{
	if (!m)
		return;
	free(m->params);
	free(m);
}

const char *tnpu_act_name(uint32_t act)
{
	return act == TNPU_ACT_NONE ? "none" : act == TNPU_ACT_RELU ? "relu" : "unknown";
}

int tnpu_mlp_parse(const void *data, size_t len, struct tnpu_mlp **out)
{
	const uint8_t *p = data;
	struct tnpu_mlp *m;
	uint64_t need, nparams = 0;
	uint32_t version, n;
	int ret;

	*out = NULL;
	if (len < MLP_HEADER_SIZE)
		return tnpu_err(-EINVAL, "model: file too short for the header (%zu bytes)", len);
	if (memcmp(p, MLP_MAGIC, 4))
		return tnpu_err(-EINVAL, "model: bad magic (not a tnpu MLP file)");
	version = tnpu_le32(p + 4);
	if (version != MLP_VERSION)
		return tnpu_err(-EINVAL, "model: unsupported version %u (this libtnpu reads %u)",
				version, MLP_VERSION);
	n = tnpu_le32(p + 8);
	if (!n || n > TNPU_MLP_MAX_LAYERS)
		return tnpu_err(-EINVAL, "model: layer count %u not in 1..%u", n,
				TNPU_MLP_MAX_LAYERS);
	if (tnpu_le32(p + 12))
		return tnpu_err(-EINVAL, "model: reserved header field is not zero");
	need = MLP_HEADER_SIZE + (uint64_t)n * MLP_LAYER_DESC_SIZE;
	if (len < need)
		return tnpu_err(-EINVAL, "model: file truncated in the layer table");

	m = calloc(1, sizeof(*m));
	if (!m)
		return tnpu_err(-ENOMEM, "out of memory");
	m->num_layers = n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *d = p + MLP_HEADER_SIZE + i * MLP_LAYER_DESC_SIZE;
		struct mlp_layer *l = &m->layer[i];

		l->in = tnpu_le32(d);
		l->out = tnpu_le32(d + 4);
		l->act = tnpu_le32(d + 8);
		if (!l->in || !l->out || l->in > TNPU_MLP_MAX_DIM || l->out > TNPU_MLP_MAX_DIM) {
			ret = tnpu_err(-EINVAL, "model: layer %u dims %ux%u not in 1..%u", i,
				       l->in, l->out, TNPU_MLP_MAX_DIM);
			goto fail;
		}
		if (l->act != TNPU_ACT_NONE && l->act != TNPU_ACT_RELU) {
			ret = tnpu_err(-EINVAL, "model: layer %u has unknown activation %u", i,
				       l->act);
			goto fail;
		}
		if (tnpu_le32(d + 12)) {
			ret = tnpu_err(-EINVAL, "model: layer %u reserved field is not zero", i);
			goto fail;
		}
		if (i && l->in != m->layer[i - 1].out) {
			ret = tnpu_err(-EINVAL, "model: layer %u input %u does not match layer %u "
				       "output %u", i, l->in, i - 1, m->layer[i - 1].out);
			goto fail;
		}
		/* <= 16 * (8192 * 8192 + 8192): no overflow in 64 bits. */
		nparams += (uint64_t)l->in * l->out + l->out;
	}
	if (nparams > TNPU_MLP_MAX_PARAMS) {
		ret = tnpu_err(-EFBIG, "model: %llu parameters, more than the limit of %u",
			       (unsigned long long)nparams, TNPU_MLP_MAX_PARAMS);
		goto fail;
	}
	if (len != need + nparams * 4) {
		ret = tnpu_err(-EINVAL, "model: file is %zu bytes, the header describes %llu (%s)",
			       len, (unsigned long long)(need + nparams * 4),
			       len < need + nparams * 4 ? "truncated" : "trailing data");
		goto fail;
	}
	m->params = malloc(nparams * 4);
	if (!m->params) {
		ret = tnpu_err(-ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(m->params, p + need, nparams * 4);	/* little-endian host (cmd.c) */
	for (uint64_t i = 0; i < nparams; i++) {
		if (!isfinite(m->params[i])) {
			ret = tnpu_err(-EINVAL, "model: parameter %llu is not finite (NaN or Inf)",
				       (unsigned long long)i);
			goto fail;
		}
	}
	{
		float *q = m->params;

		for (uint32_t i = 0; i < n; i++) {
			m->layer[i].w = q;
			q += (size_t)m->layer[i].in * m->layer[i].out;
			m->layer[i].b = q;
			q += m->layer[i].out;
		}
	}
	*out = m;
	return 0;
fail:
	tnpu_mlp_free(m);
	return ret;
}

int tnpu_mlp_load(const char *path, struct tnpu_mlp **out)
{
	void *data;
	size_t len;
	int ret;

	*out = NULL;
	ret = tnpu_read_file(path, MLP_MAX_FILE, &data, &len);
	if (ret)
		return ret;
	ret = tnpu_mlp_parse(data, len, out);
	free(data);
	return ret ? tnpu_err_in_file(ret, path) : 0;
}

uint32_t tnpu_mlp_num_layers(const struct tnpu_mlp *m)
{
	return m->num_layers;
}

uint32_t tnpu_mlp_input_dim(const struct tnpu_mlp *m)
{
	return m->layer[0].in;
}

uint32_t tnpu_mlp_output_dim(const struct tnpu_mlp *m)
{
	return m->layer[m->num_layers - 1].out;
}

int tnpu_mlp_layer(const struct tnpu_mlp *m, uint32_t i, uint32_t *in_dim, uint32_t *out_dim,
		   uint32_t *act, const float **weights, const float **bias)
{
	const struct mlp_layer *l;

	if (i >= m->num_layers)
		return tnpu_err(-EINVAL, "model has no layer %u", i);
	l = &m->layer[i];
	if (in_dim)
		*in_dim = l->in;
	if (out_dim)
		*out_dim = l->out;
	if (act)
		*act = l->act;
	if (weights)
		*weights = l->w;
	if (bias)
		*bias = l->b;
	return 0;
}

/*
 * One layer exactly as the device's FP32 GEMM does it: float accumulator,
 * K in order from 0, then + bias, then ReLU.  Built with -ffp-contract=off
 * so the compiler does not fuse into FMAs the device does not use.
 */
static void layer_forward(const struct mlp_layer *l, const float *x, uint32_t batch, float *y)
{
	for (uint32_t r = 0; r < batch; r++) {
		for (uint32_t o = 0; o < l->out; o++) {
			const float *w = l->w + (size_t)o * l->in;
			const float *xr = x + (size_t)r * l->in;
			float acc = 0.0f;

			for (uint32_t k = 0; k < l->in; k++)
				acc += xr[k] * w[k];
			acc += l->b[o];
			/* As the device: anything not > 0 (also -0 and NaN) becomes +0. */
			if (l->act == TNPU_ACT_RELU && !(acc > 0.0f))
				acc = 0.0f;
			y[(size_t)r * l->out + o] = acc;
		}
	}
}

int tnpu_mlp_forward_cpu(const struct tnpu_mlp *m, const float *x, uint32_t batch, float *y)
{
	uint32_t widest = 0;
	float *buf[2];

	if (!batch || !x || !y)
		return tnpu_err(-EINVAL, "forward: empty batch or NULL buffer");
	for (uint32_t i = 0; i < m->num_layers; i++)
		if (m->layer[i].out > widest)
			widest = m->layer[i].out;
	buf[0] = malloc((size_t)batch * widest * sizeof(float));
	buf[1] = malloc((size_t)batch * widest * sizeof(float));
	if (!buf[0] || !buf[1]) {
		free(buf[0]);
		free(buf[1]);
		return tnpu_err(-ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < m->num_layers; i++) {
		const float *in = i ? buf[(i - 1) & 1] : x;
		float *o = i == m->num_layers - 1 ? y : buf[i & 1];

		layer_forward(&m->layer[i], in, batch, o);
	}
	free(buf[0]);
	free(buf[1]);
	return 0;
}

/* ------------------------------------------------------------------------
 * Sessions: the model resident on a device.
 */
#define ALIGN64(x)	(((x) + 63) & ~(uint64_t)63)

struct tnpu_mlp_session {
	struct tnpu_device *dev;
	const struct tnpu_mlp *m;
	uint32_t max_batch;
	uint32_t queue;
	struct tnpu_bo *weights;	/* device RO: every layer's w and b */
	struct tnpu_bo *act;		/* input, then each layer's output */
	uint64_t w_off[TNPU_MLP_MAX_LAYERS], b_off[TNPU_MLP_MAX_LAYERS];
	uint64_t in_off, out_off[TNPU_MLP_MAX_LAYERS];
	/* The uploaded stream for cmd_batch rows, rebuilt when the batch changes. */
	struct tnpu_bo *cmd;
	uint32_t cmd_size;
	uint32_t cmd_batch;
};

void tnpu_mlp_session_destroy(struct tnpu_mlp_session *s)
{
	if (!s)
		return;
	tnpu_bo_free(s->cmd);
	tnpu_bo_free(s->act);
	tnpu_bo_free(s->weights);
	free(s);
}

int tnpu_mlp_session_create(struct tnpu_device *dev, const struct tnpu_mlp *m,
			    uint32_t max_batch, uint32_t queue, struct tnpu_mlp_session **out)
{
	struct tnpu_mlp_session *s;
	uint64_t woff = 0, aoff;
	int ret;

	*out = NULL;
	if (!max_batch || max_batch > TNPU_GEMM_MAX_DIM)
		return tnpu_err(-EINVAL, "batch size %u not in 1..%u", max_batch, TNPU_GEMM_MAX_DIM);
	if (queue >= tnpu_device_info(dev)->num_queues)
		return tnpu_err(-EINVAL, "queue %u out of range (device has %u)", queue,
				tnpu_device_info(dev)->num_queues);
	if (!(tnpu_device_info(dev)->caps & TNPU_CAP_GEMM_FP32))
		return tnpu_err(-EOPNOTSUPP, "device lacks fp32 GEMM");
	s = calloc(1, sizeof(*s));
	if (!s)
		return tnpu_err(-ENOMEM, "out of memory");
	s->dev = dev;
	s->m = m;
	s->max_batch = max_batch;
	s->queue = queue;

	for (uint32_t i = 0; i < m->num_layers; i++) {
		s->w_off[i] = woff;
		woff = ALIGN64(woff + (uint64_t)m->layer[i].in * m->layer[i].out * 4);
		s->b_off[i] = woff;
		woff = ALIGN64(woff + (uint64_t)m->layer[i].out * 4);
	}
	s->in_off = 0;
	aoff = ALIGN64((uint64_t)max_batch * m->layer[0].in * 4);
	for (uint32_t i = 0; i < m->num_layers; i++) {
		s->out_off[i] = aoff;
		aoff = ALIGN64(aoff + (uint64_t)max_batch * m->layer[i].out * 4);
	}

	ret = tnpu_bo_alloc(dev, woff, TNPU_BO_DEVICE_RO, &s->weights);
	if (ret)
		goto fail;
	ret = tnpu_bo_alloc(dev, aoff, 0, &s->act);
	if (ret)
		goto fail;
	/* Upload once; every batch reuses these. */
	for (uint32_t i = 0; i < m->num_layers; i++) {
		memcpy((uint8_t *)s->weights->map + s->w_off[i], m->layer[i].w,
		       (size_t)m->layer[i].in * m->layer[i].out * 4);
		memcpy((uint8_t *)s->weights->map + s->b_off[i], m->layer[i].b,
		       (size_t)m->layer[i].out * 4);
	}
	*out = s;
	return 0;
fail:
	tnpu_mlp_session_destroy(s);
	return ret;
}

/* Encode the whole forward pass for @batch rows: one GEMM per layer. */
static int build_stream(struct tnpu_mlp_session *s, uint32_t batch)
{
	struct tnpu_cmdbuf *cb;
	int ret;

	ret = tnpu_cmdbuf_create(&cb);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < s->m->num_layers; i++) {
		const struct mlp_layer *l = &s->m->layer[i];
		struct tnpu_gemm g = {
			.dtype = TNPU_DTYPE_FP32,
			.flags = TNPU_GEMM_TRANS_B | TNPU_GEMM_BIAS |
				 (l->act == TNPU_ACT_RELU ? TNPU_GEMM_RELU : 0),
			.m = batch, .n = l->out, .k = l->in,
			.lda = l->in, .ldb = l->in, .ldc = l->out,
			.a = s->act->addr + (i ? s->out_off[i - 1] : s->in_off),
			.b = s->weights->addr + s->w_off[i],
			.c = s->act->addr + s->out_off[i],
			.bias = s->weights->addr + s->b_off[i],
		};

		ret = tnpu_cmd_gemm(cb, &g);
		if (ret < 0)
			goto out;
	}
	tnpu_bo_free(s->cmd);
	s->cmd = NULL;
	s->cmd_batch = 0;
	ret = tnpu_cmdbuf_upload(s->dev, cb, &s->cmd);
	if (ret)
		goto out;
	s->cmd_size = (uint32_t)tnpu_cmdbuf_size(cb);
	s->cmd_batch = batch;
out:
	tnpu_cmdbuf_destroy(cb);
	return ret < 0 ? ret : 0;
}

int tnpu_mlp_session_run(struct tnpu_mlp_session *s, const float *x, uint32_t batch, float *y,
			 struct tnpu_job_result *res)
{
	const struct tnpu_mlp *m = s->m;
	struct tnpu_job_result local;
	struct tnpu_bo *bos[2] = { s->weights, s->act };
	struct tnpu_submit sub;
	uint64_t id;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!batch || batch > s->max_batch || !x || !y)
		return tnpu_err(-EINVAL, "run: batch %u not in 1..%u or NULL buffer", batch,
				s->max_batch);
	if (batch != s->cmd_batch) {
		ret = build_stream(s, batch);
		if (ret)
			return ret;
	}
	memcpy((uint8_t *)s->act->map + s->in_off, x, (size_t)batch * m->layer[0].in * 4);

	memset(&sub, 0, sizeof(sub));
	sub.cmd = s->cmd;
	sub.cmd_size = s->cmd_size;
	sub.queue = s->queue;
	sub.bos = bos;
	sub.bo_count = 2;
	sub.flags = TNPU_SUBMIT_STATUS;
	ret = tnpu_submit(s->dev, &sub, &id);
	if (ret)
		return ret;
	ret = tnpu_wait(s->dev, id, MLP_JOB_TIMEOUT_NS, res);
	if (ret)
		return ret;
	if (res->status != TNPU_STATUS_OK)
		return tnpu_err(-EIO, "model job failed: %s (device: %s) at command offset %u",
				tnpu_status_str(res->status), tnpu_hw_status_str(res->hw_status),
				res->err_offset);
	memcpy(y, (uint8_t *)s->act->map + s->out_off[m->num_layers - 1],
	       (size_t)batch * tnpu_mlp_output_dim(m) * 4);
	return 0;
}

/* ------------------------------------------------------------------------
 * Data sets
 */
#define DS_MAGIC	"TNDS"
#define DS_VERSION	1
#define DS_HEADER_SIZE	24

void tnpu_dataset_free(struct tnpu_dataset *d)
{
	if (!d)
		return;
	free(d->features);
	free(d->labels);
	free(d);
}

int tnpu_dataset_parse(const void *data, size_t len, struct tnpu_dataset **out)
{
	const uint8_t *p = data;
	struct tnpu_dataset *d;
	uint32_t version, ns, nf, nc;
	uint64_t nfloats, need;

	*out = NULL;
	if (len < DS_HEADER_SIZE)
		return tnpu_err(-EINVAL, "dataset: file too short for the header (%zu bytes)", len);
	if (memcmp(p, DS_MAGIC, 4))
		return tnpu_err(-EINVAL, "dataset: bad magic (not a tnpu data set file)");
	version = tnpu_le32(p + 4);
	if (version != DS_VERSION)
		return tnpu_err(-EINVAL, "dataset: unsupported version %u (this libtnpu reads %u)",
				version, DS_VERSION);
	ns = tnpu_le32(p + 8);
	nf = tnpu_le32(p + 12);
	nc = tnpu_le32(p + 16);
	if (!ns || ns > TNPU_DATASET_MAX_SAMPLES)
		return tnpu_err(-EINVAL, "dataset: sample count %u not in 1..%u", ns,
				TNPU_DATASET_MAX_SAMPLES);
	if (!nf || nf > TNPU_DATASET_MAX_FEATURES)
		return tnpu_err(-EINVAL, "dataset: feature count %u not in 1..%u", nf,
				TNPU_DATASET_MAX_FEATURES);
	if (!nc || nc > 256)
		return tnpu_err(-EINVAL, "dataset: class count %u not in 1..256", nc);
	if (tnpu_le32(p + 20))
		return tnpu_err(-EINVAL, "dataset: reserved header field is not zero");
	nfloats = (uint64_t)ns * nf;
	need = DS_HEADER_SIZE + nfloats * 4 + ns;
	if (need > TNPU_DATASET_MAX_BYTES)
		return tnpu_err(-EFBIG, "dataset: %llu bytes, more than the limit of %u",
				(unsigned long long)need, TNPU_DATASET_MAX_BYTES);
	if (len != need)
		return tnpu_err(-EINVAL, "dataset: file is %zu bytes, the header describes %llu (%s)",
				len, (unsigned long long)need,
				len < need ? "truncated" : "trailing data");
	d = calloc(1, sizeof(*d));
	if (!d)
		return tnpu_err(-ENOMEM, "out of memory");
	d->num_samples = ns;
	d->num_features = nf;
	d->num_classes = nc;
	d->features = malloc(nfloats * 4);
	d->labels = malloc(ns);
	if (!d->features || !d->labels) {
		tnpu_dataset_free(d);
		return tnpu_err(-ENOMEM, "out of memory");
	}
	memcpy(d->features, p + DS_HEADER_SIZE, nfloats * 4);
	memcpy(d->labels, p + DS_HEADER_SIZE + nfloats * 4, ns);
	for (uint64_t i = 0; i < nfloats; i++) {
		if (!isfinite(d->features[i])) {
			tnpu_dataset_free(d);
			return tnpu_err(-EINVAL, "dataset: sample %llu feature %llu is not finite",
					(unsigned long long)(i / nf), (unsigned long long)(i % nf));
		}
	}
	for (uint32_t i = 0; i < ns; i++) {
		if (d->labels[i] >= nc) {
			uint8_t bad = d->labels[i];

			tnpu_dataset_free(d);
			return tnpu_err(-EINVAL, "dataset: sample %u label %u >= class count %u",
					i, bad, nc);
		}
	}
	*out = d;
	return 0;
}

int tnpu_dataset_load(const char *path, struct tnpu_dataset **out)
{
	void *data;
	size_t len;
	int ret;

	*out = NULL;
	ret = tnpu_read_file(path, TNPU_DATASET_MAX_BYTES, &data, &len);
	if (ret)
		return ret;
	ret = tnpu_dataset_parse(data, len, out);
	free(data);
	return ret ? tnpu_err_in_file(ret, path) : 0;
}
