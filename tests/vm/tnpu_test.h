/* SPDX-License-Identifier: MIT */
/*
 * tnpu_test.h - shared helpers of the in-guest tnpu ABI test suite.
 *
 * The suite talks to the driver with raw ioctls (drmIoctl) so that it tests
 * the ABI in uapi/drm/tnpu_accel.h, not the runtime library.  Helpers that
 * must succeed assert with cmocka; helpers whose failure is the point of a
 * test return -errno instead.
 */
#ifndef TNPU_TEST_H
#define TNPU_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <xf86drm.h>

#include "tnpu_accel.h"
#include "tnpu_hw.h"

#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))
#define SEC_NS			1000000000ll
#define TN_WAIT_NS		(120 * SEC_NS)	/* generous: the guest runs under TCG */
#define TN_CMD_BO_SIZE		(64u << 10)

/* Per-test state: a fresh file and the reset counter seen when it opened. */
struct tn_ctx {
	int fd;
	struct drm_tnpu_info info;
	uint32_t reset0;
	uint32_t resets_expected;	/* tests that hang the device raise this */
	double start_ms;		/* for TNPU_TEST_TIMES */
};

struct tn_bo {
	uint32_t handle;
	uint32_t flags;
	uint64_t size;
	uint64_t va;
	uint64_t mmap_offset;
	void *map;
};

/* A command stream being built in a buffer object. */
struct tn_cmd {
	struct tn_bo bo;
	uint32_t len;
};

/* Device discovery and files */
const char *tn_dev_path(void);
int tn_open(void);
/*
 * Call first in main(): TNPU_TEST_FILTER=PATTERN runs only the tests whose
 * names match (cmocka wildcards * and ?); TNPU_TEST_TIMES=1 prints each
 * test's wall time as a TAP comment.
 */
void tn_apply_env(void);
int tn_group_setup(void **state);
int tn_group_teardown(void **state);
int tn_setup(void **state);
int tn_teardown(void **state);
void tn_info(int fd, struct drm_tnpu_info *info);
uint32_t tn_reset_count(int fd);

/* ioctl returning 0 or -errno */
int tn_ioctl(int fd, unsigned long req, void *arg);

/* Buffers */
int tn_bo_create_raw(int fd, struct drm_tnpu_bo_create *c);
void tn_bo_new(int fd, uint64_t size, uint32_t flags, struct tn_bo *bo);
void tn_bo_free(int fd, struct tn_bo *bo);
int tn_gem_close(int fd, uint32_t handle);

/* Command streams */
void tn_cmd_new(int fd, struct tn_cmd *c);
void tn_cmd_free(int fd, struct tn_cmd *c);
void tn_cmd_reset(struct tn_cmd *c);
uint32_t tn_cmd_raw(struct tn_cmd *c, const void *data, uint32_t len);
uint32_t tn_cmd_nop(struct tn_cmd *c);
uint32_t tn_cmd_copy(struct tn_cmd *c, uint64_t src, uint64_t dst, uint64_t size);
uint32_t tn_cmd_fill(struct tn_cmd *c, uint64_t dst, uint32_t value, uint64_t size);
uint32_t tn_cmd_gemm(struct tn_cmd *c, const struct tnpu_cmd_gemm *g);

/* Jobs */
void tn_submit_init(struct drm_tnpu_submit *s, const struct tn_cmd *c,
		    const uint32_t *bos, uint32_t nbos, uint32_t queue);
int tn_submit(int fd, struct drm_tnpu_submit *s);
int tn_wait(int fd, uint64_t job_id, int64_t timeout_ns, struct drm_tnpu_wait *w);
/* Submit with DRM_TNPU_SUBMIT_STATUS (asserting success); returns the job id. */
uint64_t tn_start(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t nbos,
		  uint32_t queue, uint32_t out_syncobj);
/* Wait for a job started with tn_start (asserting the wait succeeds). */
void tn_finish(int fd, uint64_t job_id, struct drm_tnpu_wait *w);
/* tn_start + tn_finish; returns w->status. */
uint32_t tn_run(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t nbos,
		uint32_t queue, struct drm_tnpu_wait *w);
/* Runs the stream and asserts DRM_TNPU_JOB_OK. */
void tn_run_ok(int fd, const struct tn_cmd *c, const uint32_t *bos, uint32_t nbos,
	       uint32_t queue);
/* A FILL job on a scratch buffer that must succeed: "the file still works". */
void tn_check_file_works(int fd);

/* Syncobjs */
uint32_t tn_syncobj(int fd, bool signaled);
/* dma_fence status of the syncobj's fence: 1 signalled, 0 active, <0 error. */
int tn_syncobj_status(int fd, uint32_t syncobj);

/* GEMM timing: device nanoseconds per multiply-accumulate (fp32). */
double tn_gemm_ns_per_mac(int fd);
/* Pick a square fp32 GEMM size whose device time is about @target_ns. */
uint32_t tn_gemm_dim_for(int fd, uint64_t target_ns, uint32_t lo, uint32_t hi);
/* A square fp32 GEMM job of size @d: A and B share @ab (TRANS_B), output @c. */
void tn_cmd_square_gemm(struct tn_cmd *cmd, const struct tn_bo *ab, const struct tn_bo *c,
			uint32_t d);

/* Misc */
uint64_t tn_now_ns(void);
uint32_t tn_rand(void);
void tn_srand(uint32_t seed);
/* Job timeout of the loaded driver (module parameter), default 10000. */
unsigned int tn_job_timeout_ms(void);

#endif /* TNPU_TEST_H */
