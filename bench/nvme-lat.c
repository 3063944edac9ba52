// SPDX-License-Identifier: MIT
/*
 * nvme-lat - the peer of tnpu-bench: 4 KiB O_DIRECT reads of an NVMe
 * namespace (QEMU's NVMe with a null-co backend), measured the same way.
 *
 *   nvme-lat [-n READS] [-w WARMUP] [-d DEPTHS] [DEVICE]   (default /dev/nvme0n1)
 *
 * Round trip: one pread() at a time, median and p90 over READS after
 * WARMUP.  Throughput: READS reads with DEPTH threads each keeping one read
 * in flight, for each depth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fs.h>

#include "bench_stats.h"

#define BS	4096

static const char *path = "/dev/nvme0n1";
static uint64_t nblocks;

struct reader {
	unsigned int reads;
	unsigned int seed;
	int err;
};

static int read_one(int fd, void *buf, unsigned int *seed)
{
	off_t off = (off_t)(rand_r(seed) % nblocks) * BS;

	return pread(fd, buf, BS, off) == BS ? 0 : -1;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	void *buf;
	unsigned int i;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, BS, BS)) {
		r->err = errno ? errno : ENOMEM;
		return NULL;
	}
	for (i = 0; i < r->reads; i++)
		if (read_one(fd, buf, &r->seed)) {
			r->err = errno;
			break;
		}
	free(buf);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int reads = 2000, warmup = 200, depths[16] = { 1, 4, 16, 64 }, seed = 1, k;
	int ndepths = 4, opt, fd, i;
	uint64_t bytes = 0, *lat;
	void *buf;

	while ((opt = getopt(argc, argv, "n:w:d:h")) != -1) {
		switch (opt) {
		case 'n':
			reads = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			warmup = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			ndepths = bench_parse_list(optarg, depths, 16);
			if (ndepths <= 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		path = argv[optind];
	if (reads < 10)
		goto usage;
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes) || bytes < BS) {
		fprintf(stderr, "nvme-lat: %s: %s\n", path, strerror(errno ? errno : EINVAL));
		return 1;
	}
	nblocks = bytes / BS;
	lat = calloc(reads, sizeof(*lat));
	if (!lat || posix_memalign(&buf, BS, BS))
		return 1;
	printf("nvme-lat: %s, %llu MiB, %u reads after %u warm-up\n", path,
	       (unsigned long long)(bytes >> 20), reads, warmup);
	for (k = 0; k < warmup + reads; k++) {
		uint64_t t0 = bench_now_ns();

		if (read_one(fd, buf, &seed)) {
			fprintf(stderr, "nvme-lat: read: %s\n", strerror(errno));
			return 1;
		}
		if (k >= warmup)
			lat[k - warmup] = bench_now_ns() - t0;
	}
	bench_report_latency("nvme_read4k_rtt", lat, reads);
	close(fd);

	for (i = 0; i < ndepths; i++) {
		unsigned int d = depths[i] > 256 ? 256 : depths[i], t;
		pthread_t th[256];
		struct reader r[256];
		uint64_t t0 = bench_now_ns(), el;

		for (t = 0; t < d; t++) {
			r[t].reads = reads / d + (t < reads % d);
			r[t].seed = 1000 + t;
			r[t].err = 0;
			pthread_create(&th[t], NULL, reader_main, &r[t]);
		}
		for (t = 0; t < d; t++)
			pthread_join(th[t], NULL);
		el = bench_now_ns() - t0;
		for (t = 0; t < d; t++)
			if (r[t].err) {
				fprintf(stderr, "nvme-lat: depth %u: %s\n", d, strerror(r[t].err));
				return 1;
			}
		printf("nvme_read4k_per_s depth %u %.0f\n", d, reads / (el / 1e9));
	}
	return 0;
usage:
	fprintf(stderr, "usage: nvme-lat [-n READS] [-w WARMUP] [-d DEPTHS] [DEVICE]\n");
	return 2;
}
