/* SPDX-License-Identifier: MIT */
/*
 * bench_stats.h - timing and percentile helpers shared by tnpu-bench and
 * nvme-lat, so both peers are measured and reported the same way.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sorts @ns in place; prints
 * "<name>_us median M p90 P p99 Q mean A min L max H n N".
 */
static inline void bench_report_latency(const char *name, uint64_t *ns, size_t n)
{
	double sum = 0;
	size_t i;

	qsort(ns, n, sizeof(*ns), bench_cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)ns[i];
	printf("%s_us median %.2f p90 %.2f p99 %.2f mean %.2f min %.2f max %.2f n %zu\n",
	       name, ns[n / 2] / 1e3, ns[(n * 9) / 10] / 1e3, ns[(n * 99) / 100] / 1e3,
	       sum / n / 1e3, ns[0] / 1e3, ns[n - 1] / 1e3, n);
}

/* Parses "1,4,16" into @out (at most @max entries); returns the count. */
static inline int bench_parse_list(const char *s, unsigned int *out, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		unsigned long v = strtoul(s, &end, 0);

		if (end == s || v == 0 || v > 4096)
			return -1;
		out[n++] = (unsigned int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

#endif /* BENCH_STATS_H */
