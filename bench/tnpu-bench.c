// SPDX-License-Identifier: MIT
/*
 * tnpu-bench - submission cost of the tnpu stack, measured with a NOP job.
 *
 *   tnpu-bench [-n JOBS] [-w WARMUP] [-d DEPTHS] [-q QUEUE] [-D DEVICE]
 *
 * Round trip: DRM_TNPU_SUBMIT (with DRM_TNPU_SUBMIT_STATUS) of a one-NOP
 * job, then DRM_TNPU_WAIT, one job at a time; median and p90 over JOBS after
 * WARMUP.  The same again with DRM_TNPU_WAIT polled (timeout 0) instead of
 * sleeping, which separates the completion wake-up from the rest of the
 * path.  Throughput: JOBS NOPs with DEPTH jobs in flight (reaped oldest
 * first), for each depth.  Raw ioctls, like the VM test suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "tnpu_accel.h"
#include "tnpu_hw.h"
#include "bench_stats.h"

static int open_tnpu(const char *path)
{
	char p[64];
	int i;

	if (path)
		return open(path, O_RDWR | O_CLOEXEC);
	for (i = 0; i < 64; i++) {
		drmVersionPtr v;
		int fd, ok;

		snprintf(p, sizeof(p), "/dev/accel/accel%d", i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		ok = v && v->name && !strcmp(v->name, "tnpu");
		drmFreeVersion(v);
		if (ok)
			return fd;
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

static int submit(int fd, struct drm_tnpu_submit *s, uint64_t *id)
{
	if (drmIoctl(fd, DRM_IOCTL_TNPU_SUBMIT, s))
		return -errno;
	*id = s->job_id;
	return 0;
}

static int wait_job(int fd, uint64_t id)
{
	struct drm_tnpu_wait w = { .job_id = id, .timeout_ns = 60ll * 1000000000 };

	if (drmIoctl(fd, DRM_IOCTL_TNPU_WAIT, &w))
		return -errno;
	return w.status == DRM_TNPU_JOB_OK ? 0 : -EIO;
}

/* Busy-polls DRM_TNPU_WAIT with a zero timeout. */
static int poll_job(int fd, uint64_t id)
{
	uint64_t t0 = bench_now_ns();

	for (;;) {
		struct drm_tnpu_wait w = { .job_id = id, .timeout_ns = 0 };

		if (!drmIoctl(fd, DRM_IOCTL_TNPU_WAIT, &w))
			return w.status == DRM_TNPU_JOB_OK ? 0 : -EIO;
		if (errno != ETIME || bench_now_ns() - t0 > 60ull * 1000000000)
			return -errno;
	}
}

/*
 * One job at a time; round-trip latencies of the measured jobs go to @lat,
 * the time spent in the SUBMIT ioctl alone to @sub (if not NULL).
 */
static int round_trips(int fd, struct drm_tnpu_submit *s, unsigned int warmup,
		       unsigned int jobs, uint64_t *lat, uint64_t *sub,
		       int (*wait)(int, uint64_t))
{
	unsigned int k;
	uint64_t id = 0;
	int ret;

	for (k = 0; k < warmup + jobs; k++) {
		uint64_t t0 = bench_now_ns(), t1;

		ret = submit(fd, s, &id);
		t1 = bench_now_ns();
		if (!ret)
			ret = wait(fd, id);
		if (ret) {
			fprintf(stderr, "tnpu-bench: job %u: %s\n", k, strerror(-ret));
			return ret;
		}
		if (k >= warmup) {
			lat[k - warmup] = bench_now_ns() - t0;
			if (sub)
				sub[k - warmup] = t1 - t0;
		}
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: tnpu-bench [-n JOBS] [-w WARMUP] [-d DEPTHS] [-q QUEUE] [-D DEVICE]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int jobs = 2000, warmup = 200, queue = 0, depths[16] = { 1, 4, 16, 64 };
	int ndepths = 4, opt, fd, ret, i;
	struct drm_tnpu_bo_create bc = { .size = 4096, .flags = DRM_TNPU_BO_DEVICE_RO };
	struct drm_tnpu_info info = { 0 };
	struct drm_tnpu_submit s;
	const char *dev = NULL;
	uint64_t *lat, *ids;
	uint32_t *cmd;
	unsigned int k;

	while ((opt = getopt(argc, argv, "n:w:d:q:D:h")) != -1) {
		switch (opt) {
		case 'n':
			jobs = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			warmup = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			queue = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			dev = optarg;
			break;
		case 'd':
			ndepths = bench_parse_list(optarg, depths, 16);
			if (ndepths <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (jobs < 10)
		usage();
	fd = open_tnpu(dev);
	if (fd < 0) {
		perror("tnpu-bench: open tnpu device");
		return 1;
	}
	if (drmIoctl(fd, DRM_IOCTL_TNPU_GET_INFO, &info) ||
	    drmIoctl(fd, DRM_IOCTL_TNPU_BO_CREATE, &bc)) {
		perror("tnpu-bench: GET_INFO/BO_CREATE");
		return 1;
	}
	cmd = mmap(NULL, bc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, bc.mmap_offset);
	if (cmd == MAP_FAILED) {
		perror("tnpu-bench: mmap");
		return 1;
	}
	cmd[0] = TNPU_CMD_HDR(TNPU_OP_NOP, 0, TNPU_CMD_NOP_DW);
	cmd[1] = 0;
	memset(&s, 0, sizeof(s));
	s.cmd_handle = bc.handle;
	s.cmd_size = sizeof(struct tnpu_cmd_nop);
	s.queue = queue;
	s.flags = DRM_TNPU_SUBMIT_STATUS;

	lat = calloc(jobs, sizeof(*lat));
	ids = calloc(jobs > 4096 ? jobs : 4096, sizeof(*ids));
	if (!lat || !ids)
		return 1;
	printf("tnpu-bench: fw %s, %u queues, queue %u, %u jobs after %u warm-up\n",
	       info.fw_build, info.num_queues, queue, jobs, warmup);

	if (round_trips(fd, &s, warmup, jobs, lat, ids, wait_job))
		return 1;
	bench_report_latency("tnpu_nop_rtt", lat, jobs);
	bench_report_latency("tnpu_submit_ioctl", ids, jobs);
	if (round_trips(fd, &s, warmup / 4, jobs, lat, NULL, poll_job))
		return 1;
	bench_report_latency("tnpu_nop_rtt_poll", lat, jobs);

	for (i = 0; i < ndepths; i++) {
		unsigned int d = depths[i] > DRM_TNPU_MAX_PENDING_STATUS / 2 ?
				 DRM_TNPU_MAX_PENDING_STATUS / 2 : depths[i];
		uint64_t t0 = bench_now_ns(), el;

		for (k = 0; k < jobs + d; k++) {
			ret = k >= d ? wait_job(fd, ids[k % d]) : 0;
			if (!ret && k < jobs)
				ret = submit(fd, &s, &ids[k % d]);
			if (ret) {
				fprintf(stderr, "tnpu-bench: depth %u: %s\n", d, strerror(-ret));
				return 1;
			}
		}
		el = bench_now_ns() - t0;
		printf("tnpu_nop_per_s depth %u %.0f\n", d, jobs / (el / 1e9));
	}
	return 0;
}
