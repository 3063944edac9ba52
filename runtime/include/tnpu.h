/* SPDX-License-Identifier: MIT */
/*
 * tnpu.h - libtnpu, the user-space runtime of the tnpu accelerator.
 *
 * Conventions:
 * - Functions returning int give 0 (or a non-negative value where stated) on
 *   success and a negative errno on failure.  After a failure,
 *   tnpu_last_error() returns a readable message for the calling thread.
 * - Every argument is validated before anything reaches the kernel; the
 *   command encoders apply the same rules as the device, so a bad command is
 *   rejected when it is encoded, not when the job runs.
 * - Objects are opaque unless their struct is shown here; shown structs are
 *   read-only for callers.
 */
#ifndef TNPU_H
#define TNPU_H

#include <stddef.h>
#include <stdint.h>

#include "tnpu_hw.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TNPU_API __attribute__((visibility("default")))

/* Version of libtnpu itself. */
#define TNPU_LIB_VERSION_MAJOR	1
#define TNPU_LIB_VERSION_MINOR	0

/* Environment variable naming the device node tnpu_device_open(TNPU_ANY) uses. */
#define TNPU_DEVICE_ENV		"TNPU_DEVICE"
/* Directory scanned for accel nodes. */
#define TNPU_DEV_DIR		"/dev/accel"

/* ------------------------------------------------------------------------
 * Errors
 */

/* Message describing the last failure of a libtnpu call in this thread. */
TNPU_API const char *tnpu_last_error(void);

/* ------------------------------------------------------------------------
 * Devices
 */
struct tnpu_device;

/* Mirror of struct drm_tnpu_info plus what DRM_IOCTL_VERSION reports. */
struct tnpu_info {
	char driver_name[32];
	int driver_major, driver_minor, driver_patch;
	uint32_t abi_major, abi_minor;
	uint32_t hw_version;		/* major << 16 | minor */
	uint32_t caps;			/* TNPU_CAP_* */
	uint32_t fw_version;		/* major << 16 | minor << 8 | patch */
	uint32_t fw_abi;		/* major << 16 | minor */
	uint32_t fw_features;		/* TNPU_FW_FEAT_* */
	uint32_t num_queues;
	uint32_t num_cores;
	uint8_t queue_priority[8];
	uint64_t va_start, va_size;
	uint64_t max_bo_size;
	uint32_t max_cmd_size;
	uint32_t max_bos_per_job;
	uint32_t reset_count;
	char fw_build[32];		/* NUL-terminated */
};

/* List of accel nodes found in TNPU_DEV_DIR, sorted by number. */
struct tnpu_node_list {
	char **paths;
	size_t count;
};

/* Find every /dev/accel/accel* node (of any driver).  -ENODEV if none. */
TNPU_API int tnpu_list_nodes(struct tnpu_node_list *list);
TNPU_API void tnpu_node_list_free(struct tnpu_node_list *list);

/* Pass as index to tnpu_device_open(): $TNPU_DEVICE, else the first tnpu device. */
#define TNPU_ANY	(-1)

/*
 * Open the index-th tnpu device (nodes of other drivers are skipped), or
 * TNPU_ANY.  -ENODEV when there is none, -EPROTO when the only tnpu devices
 * speak an ABI major other than DRM_TNPU_ABI_MAJOR.
 */
TNPU_API int tnpu_device_open(int index, struct tnpu_device **out);
/* Open one node.  -ENODEV if its driver is not "tnpu", -EPROTO on ABI mismatch. */
TNPU_API int tnpu_device_open_path(const char *path, struct tnpu_device **out);
TNPU_API void tnpu_device_close(struct tnpu_device *dev);
TNPU_API const char *tnpu_device_path(const struct tnpu_device *dev);
TNPU_API int tnpu_device_fd(const struct tnpu_device *dev);
/* Info cached at open time. */
TNPU_API const struct tnpu_info *tnpu_device_info(const struct tnpu_device *dev);
/* Re-read GET_INFO (e.g. for a fresh reset_count). */
TNPU_API int tnpu_device_query(struct tnpu_device *dev, struct tnpu_info *info);

/* Names for bits, for printing; NULL for an unknown bit. */
TNPU_API const char *tnpu_cap_name(uint32_t cap_bit);
TNPU_API const char *tnpu_fw_feature_name(uint32_t feat_bit);

/* ------------------------------------------------------------------------
 * Buffers
 */
#define TNPU_BO_DEVICE_RO	(1u << 0)	/* = DRM_TNPU_BO_DEVICE_RO */

/* Fields are read-only for callers. */
struct tnpu_bo {
	struct tnpu_device *dev;
	uint32_t handle;	/* GEM handle */
	uint32_t flags;		/* TNPU_BO_* */
	uint64_t size;		/* rounded up to 4 KiB by the driver */
	uint64_t addr;		/* device virtual address */
	void *map;		/* CPU mapping of all @size bytes */
};

/* Allocate a zeroed buffer, mapped on both sides. */
TNPU_API int tnpu_bo_alloc(struct tnpu_device *dev, uint64_t size, uint32_t flags,
			   struct tnpu_bo **out);
/* Unmap and close; NULL is a no-op. */
TNPU_API void tnpu_bo_free(struct tnpu_bo *bo);

/* ------------------------------------------------------------------------
 * Command streams (pure user-space encoding; no device needed)
 */
struct tnpu_cmdbuf;

TNPU_API int tnpu_cmdbuf_create(struct tnpu_cmdbuf **out);
TNPU_API void tnpu_cmdbuf_destroy(struct tnpu_cmdbuf *cb);
TNPU_API void tnpu_cmdbuf_reset(struct tnpu_cmdbuf *cb);
TNPU_API const void *tnpu_cmdbuf_data(const struct tnpu_cmdbuf *cb);
TNPU_API size_t tnpu_cmdbuf_size(const struct tnpu_cmdbuf *cb);

/*
 * Encoders append one command and return its byte offset in the stream
 * (what a job's err_offset refers to), or a negative errno: -EINVAL for an
 * argument the device would reject, -E2BIG when the stream would exceed
 * TNPU_CMD_MAX_SIZE, -ENOMEM.  On error the stream is unchanged.
 */
TNPU_API int tnpu_cmd_nop(struct tnpu_cmdbuf *cb);
/* Copy @size bytes from @src to @dst (argument order as memcpy); no overlap. */
TNPU_API int tnpu_cmd_copy(struct tnpu_cmdbuf *cb, uint64_t dst, uint64_t src, uint64_t size);
/* Fill @size bytes (multiple of 4) at @dst with the 32-bit @value. */
TNPU_API int tnpu_cmd_fill(struct tnpu_cmdbuf *cb, uint64_t dst, uint32_t value, uint64_t size);

/*
 * Append @len bytes (a multiple of 4) as they are, without validation: for
 * tests that must hand the device malformed commands.
 */
TNPU_API int tnpu_cmd_raw(struct tnpu_cmdbuf *cb, const void *data, size_t len);

/* Arguments of a GEMM; see struct tnpu_cmd_gemm in tnpu_hw.h for meaning. */
struct tnpu_gemm {
	uint32_t dtype;		/* enum tnpu_dtype */
	uint32_t flags;		/* TNPU_GEMM_* */
	uint32_t m, n, k;
	uint32_t lda, ldb, ldc;	/* 0 = packed (k, TRANS_B ? k : n, n) */
	uint64_t a, b, c, bias;
	int32_t q_mult;		/* INT8 requantization; must be 0 for FP32 */
	uint32_t q_shift;
	int32_t q_zero;
};

TNPU_API int tnpu_cmd_gemm(struct tnpu_cmdbuf *cb, const struct tnpu_gemm *g);

/* Copy the stream into a new device-read-only buffer. */
TNPU_API int tnpu_cmdbuf_upload(struct tnpu_device *dev, const struct tnpu_cmdbuf *cb,
				struct tnpu_bo **out);

/* ------------------------------------------------------------------------
 * Submission and completion
 */
#define TNPU_SUBMIT_STATUS	(1u << 0)	/* = DRM_TNPU_SUBMIT_STATUS: get a job id */

struct tnpu_submit {
	const struct tnpu_bo *cmd;	/* buffer holding the stream */
	uint64_t cmd_offset;		/* 8-byte aligned */
	uint32_t cmd_size;		/* bytes, multiple of 8 */
	uint32_t queue;			/* < info.num_queues */
	struct tnpu_bo *const *bos;	/* every buffer the commands touch */
	uint32_t bo_count;
	const uint32_t *in_syncobjs;	/* wait for these first */
	uint32_t in_syncobj_count;
	uint32_t out_syncobj;		/* 0 or a syncobj to get the job's fence */
	uint32_t flags;			/* TNPU_SUBMIT_* */
};

/* Queue a job.  With TNPU_SUBMIT_STATUS, *job_id receives the id for tnpu_wait(). */
TNPU_API int tnpu_submit(struct tnpu_device *dev, const struct tnpu_submit *s,
			 uint64_t *job_id);

/* Job results (= DRM_TNPU_JOB_*). */
enum tnpu_status {
	TNPU_STATUS_OK		= 0,
	TNPU_STATUS_INVALID	= 1,
	TNPU_STATUS_FAULT	= 2,
	TNPU_STATUS_TIMEOUT	= 3,
	TNPU_STATUS_ABORTED	= 4,
};

struct tnpu_job_result {
	uint32_t status;	/* enum tnpu_status */
	uint32_t hw_status;	/* enum tnpu_job_status */
	uint32_t err_offset;	/* byte offset of the failing command */
	uint64_t duration_ns;	/* device execution time */
	uint64_t fault_addr;	/* with TNPU_STATUS_FAULT */
};

/*
 * Wait up to @timeout_ns (relative; 0 polls) for a job submitted with
 * TNPU_SUBMIT_STATUS.  Returns 0 with @res filled whatever the job's status
 * (check res->status), -ETIME if it is still running, another -errno if the
 * wait itself failed.
 */
TNPU_API int tnpu_wait(struct tnpu_device *dev, uint64_t job_id, int64_t timeout_ns,
		       struct tnpu_job_result *res);

/* Readable text for a tnpu_job_result status / hw_status; never NULL. */
TNPU_API const char *tnpu_status_str(uint32_t status);
TNPU_API const char *tnpu_hw_status_str(uint32_t hw_status);

/*
 * Convenience: upload @cb, submit it with @bos on @queue, wait up to
 * @timeout_ns and release the stream buffer.  Returns 0 if the job completed
 * OK, -EIO if it ended with another status (details in @res and
 * tnpu_last_error()), or the submit/wait error.  @res may be NULL.
 */
TNPU_API int tnpu_run(struct tnpu_device *dev, const struct tnpu_cmdbuf *cb,
		      struct tnpu_bo *const *bos, uint32_t bo_count, uint32_t queue,
		      int64_t timeout_ns, struct tnpu_job_result *res);

/* Syncobjs on the device's DRM file (libdrm's helpers). */
TNPU_API int tnpu_syncobj_create(struct tnpu_device *dev, uint32_t *handle);
TNPU_API void tnpu_syncobj_destroy(struct tnpu_device *dev, uint32_t handle);
/* Wait until every syncobj has signalled, up to @timeout_ns (relative).  -ETIME on timeout. */
TNPU_API int tnpu_syncobj_wait(struct tnpu_device *dev, const uint32_t *handles,
			       uint32_t count, int64_t timeout_ns);

/* ------------------------------------------------------------------------
 * MLP models (file format in runtime/README.md)
 */
#define TNPU_MLP_MAX_LAYERS	16
#define TNPU_MLP_MAX_DIM	TNPU_GEMM_MAX_DIM
#define TNPU_MLP_MAX_PARAMS	(16u << 20)	/* floats over all layers */

enum tnpu_act {
	TNPU_ACT_NONE	= 0,
	TNPU_ACT_RELU	= 1,
};

struct tnpu_mlp;

TNPU_API const char *tnpu_act_name(uint32_t act);

/* Parse and fully validate a model image / file. */
TNPU_API int tnpu_mlp_parse(const void *data, size_t len, struct tnpu_mlp **out);
TNPU_API int tnpu_mlp_load(const char *path, struct tnpu_mlp **out);
TNPU_API void tnpu_mlp_free(struct tnpu_mlp *m);
TNPU_API uint32_t tnpu_mlp_num_layers(const struct tnpu_mlp *m);
TNPU_API uint32_t tnpu_mlp_input_dim(const struct tnpu_mlp *m);
TNPU_API uint32_t tnpu_mlp_output_dim(const struct tnpu_mlp *m);
/* Layer @i: dims, activation, weights [out][in] and bias [out]. */
TNPU_API int tnpu_mlp_layer(const struct tnpu_mlp *m, uint32_t i, uint32_t *in_dim,
			    uint32_t *out_dim, uint32_t *act, const float **weights,
			    const float **bias);

/*
 * CPU reference: @y[batch][out] = the model on @x[batch][in], with the
 * device's arithmetic (fp32, bias added after the in-order K sum).
 */
TNPU_API int tnpu_mlp_forward_cpu(const struct tnpu_mlp *m, const float *x, uint32_t batch,
				  float *y);

/* A model resident on a device: weights uploaded once, buffers for max_batch rows. */
struct tnpu_mlp_session;

TNPU_API int tnpu_mlp_session_create(struct tnpu_device *dev, const struct tnpu_mlp *m,
				     uint32_t max_batch, uint32_t queue,
				     struct tnpu_mlp_session **out);
TNPU_API void tnpu_mlp_session_destroy(struct tnpu_mlp_session *s);
/*
 * Run @batch (1..max_batch) rows as ONE job (one GEMM per layer) and copy
 * the logits to @y.  0 on success; -EIO if the job failed (see @res).
 * @res may be NULL.
 */
TNPU_API int tnpu_mlp_session_run(struct tnpu_mlp_session *s, const float *x, uint32_t batch,
				  float *y, struct tnpu_job_result *res);

/* ------------------------------------------------------------------------
 * Labelled data sets (file format in runtime/README.md)
 */
#define TNPU_DATASET_MAX_SAMPLES	(1u << 20)
#define TNPU_DATASET_MAX_FEATURES	TNPU_MLP_MAX_DIM
#define TNPU_DATASET_MAX_BYTES		(256u << 20)

struct tnpu_dataset {
	uint32_t num_samples;
	uint32_t num_features;
	uint32_t num_classes;
	float *features;	/* [num_samples][num_features] */
	uint8_t *labels;	/* [num_samples], each < num_classes */
};

TNPU_API int tnpu_dataset_parse(const void *data, size_t len, struct tnpu_dataset **out);
TNPU_API int tnpu_dataset_load(const char *path, struct tnpu_dataset **out);
TNPU_API void tnpu_dataset_free(struct tnpu_dataset *d);

/* Index of the largest of @n values (first on ties). */
TNPU_API uint32_t tnpu_argmax(const float *v, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif /* TNPU_H */
