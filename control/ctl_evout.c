/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_evout.c - JSON lines to a file or stdout with a buffer of our own:
 * stdio would hide how much of a failed write reached the file, and the
 * lines-lost counter is meant to be exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_evout.h"

struct ctl_evout {
	int fd;
	bool is_stdout;
	bool torn;          /* the output ends inside a line a failed write cut */
	char *path;
	char *buf;          /* CTL_EVOUT_BUF bytes */
	size_t len;         /* bytes buffered */
	uint64_t lines;     /* lines buffered */
	uint64_t errors, written;
};

static int open_path(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return fd;
}

/* Write all @n bytes of @p. Returns 0 or -errno; *@ret_done: bytes that
 * made it either way. */
static int write_full(int fd, const char *p, size_t n, size_t *ret_done)
{
	size_t done = 0;
	int r = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (w == 0) {
			r = -EIO;
			break;
		}
		done += (size_t)w;
	}
	*ret_done = done;
	return r;
}

/* End a line a failed write cut: the garbled line stays, the next is whole. */
static int untear(struct ctl_evout *o)
{
	size_t done;
	int r;

	if (!o->torn)
		return 0;
	r = write_full(o->fd, "\n", 1, &done);
	if (r == 0)
		o->torn = false;
	return r;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p++;
	}
	return c;
}

int ctl_evout_flush(struct ctl_evout *o)
{
	size_t done = 0;
	int r;

	if (!o->len)
		return 0;
	r = untear(o);
	if (r == 0)
		r = write_full(o->fd, o->buf, o->len, &done);
	if (r < 0) {
		uint64_t whole = count_lines(o->buf, done);

		o->written += whole;
		o->errors += o->lines - whole;
		if (done)
			o->torn = o->buf[done - 1] != '\n';
	} else {
		o->written += o->lines;
	}
	o->len = 0;
	o->lines = 0;
	return r;
}

/* A line longer than the buffer: straight to the file, after what was
 * buffered. */
static void write_long(struct ctl_evout *o, const char *text, size_t len)
{
	size_t done = 0, nl = 0;
	int r;

	ctl_evout_flush(o);
	r = untear(o);
	if (r == 0)
		r = write_full(o->fd, text, len, &done);
	if (r == 0)
		r = write_full(o->fd, "\n", 1, &nl);
	if (r < 0) {
		o->errors++;
		if (done + nl)
			o->torn = !nl;
		return;
	}
	o->written++;
}

void ctl_evout_write(struct ctl_evout *o, const char *text, size_t len)
{
	if (len && text[len - 1] == '\n')
		len--;
	if (len + 1 > CTL_EVOUT_BUF) {
		write_long(o, text, len);
		return;
	}
	if (o->len + len + 1 > CTL_EVOUT_BUF)
		ctl_evout_flush(o);
	memcpy(o->buf + o->len, text, len);
	o->buf[o->len + len] = '\n';
	o->len += len + 1;
	o->lines++;
}

int ctl_evout_reopen(struct ctl_evout *o, char *err, size_t errlen)
{
	int fd;

	if (o->is_stdout)
		return 0;
	ctl_evout_flush(o);  /* its errors are counted; the old file is done */
	fd = open_path(o->path, err, errlen);
	if (fd < 0)
		return fd;
	close(o->fd);
	o->fd = fd;
	o->torn = false;
	return 0;
}

int ctl_evout_open(const char *path, struct ctl_evout **ret, char *err, size_t errlen)
{
	struct ctl_evout *o;
	int r = -ENOMEM;

	o = calloc(1, sizeof(*o));
	if (o) {
		o->fd = -1;
		o->path = strdup(path);
		o->buf = malloc(CTL_EVOUT_BUF);
	}
	if (!o || !o->path || !o->buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		goto out;
	}
	if (strcmp(path, "-") == 0) {
		o->is_stdout = true;
		o->fd = STDOUT_FILENO;
	} else {
		r = open_path(path, err, errlen);
		if (r < 0)
			goto out;
		o->fd = r;
	}
	*ret = o;
	o = NULL;
	r = 0;
out:
	ctl_evout_close(o);
	return r;
}

uint64_t ctl_evout_errors(const struct ctl_evout *o)
{
	return o->errors;
}

uint64_t ctl_evout_written(const struct ctl_evout *o)
{
	return o->written;
}

void ctl_evout_close(struct ctl_evout *o)
{
	if (!o)
		return;
	if (o->fd >= 0 && o->buf)
		ctl_evout_flush(o);
	if (o->fd >= 0 && !o->is_stdout)
		close(o->fd);
	free(o->buf);
	free(o->path);
	free(o);
}
