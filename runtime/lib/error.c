// SPDX-License-Identifier: MIT
/*
 * error.c - per-thread last-error message, file reading and small helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tnpu_internal.h"

static _Thread_local char last_error[512];

const char *tnpu_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

void tnpu_clear_error(void)
{
	last_error[0] = '\0';
}

int tnpu_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

int tnpu_err_in_file(int err, const char *path)
{
	char msg[sizeof(last_error)];

	snprintf(msg, sizeof(msg), "%s", last_error);
	return tnpu_err(err, "%s: %s", path, msg);
}

int tnpu_read_file(const char *path, size_t max, void **data, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, ret;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return tnpu_err(ret, "%s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return tnpu_err(ret, "%s: %s", path, strerror(-ret));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return tnpu_err(-EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return tnpu_err(-EFBIG, "%s: %lld bytes, more than the limit of %zu",
				path, (long long)st.st_size, max);
	}
	/* +1 so an empty file still gets a valid pointer. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return tnpu_err(-ENOMEM, "%s: out of memory", path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return tnpu_err(ret, "%s: read failed: %s", path,
					n < 0 ? strerror(-ret) : "file shrank");
		}
		done += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = done;
	return 0;
}

uint32_t tnpu_argmax(const float *v, uint32_t n)
{
	uint32_t best = 0;

	for (uint32_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}
