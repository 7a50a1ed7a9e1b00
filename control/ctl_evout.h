/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_evout.h - the daemon's --eve output: JSON lines appended to a file
 * (reopened for logrotate) or to stdout, through its own buffer and plain
 * write(2) so that every lost line is counted exactly. Errors are never
 * fatal: the daemon keeps filtering whatever the disk does.
 */
#ifndef CTL_EVOUT_H
#define CTL_EVOUT_H

#include <stddef.h>
#include <stdint.h>

#define CTL_EVOUT_BUF ((size_t)1 << 20) /* bytes buffered before a write */

struct ctl_evout;

/*
 * Open the output: @path "-" is stdout (not closed by ctl_evout_close()),
 * anything else a file opened for append (O_APPEND|O_CREAT|O_CLOEXEC, mode
 * 0640 when created), buffered (CTL_EVOUT_BUF). @path is copied. Returns 0
 * with the output in *@ret, or -errno (*@ret untouched) with "PATH: message"
 * in @err (@errlen bytes, NUL-terminated).
 * Every ctl_evout_* call on one output must come from one thread at a time.
 */
int ctl_evout_open(const char *path, struct ctl_evout **ret, char *err, size_t errlen);

/* Append @text (@len bytes; borrowed) and '\n' (a trailing '\n' in @text is
 * not doubled). Buffered: written when the buffer fills or on
 * ctl_evout_flush(); a line longer than the buffer is written at once. A
 * write error loses the lines it concerns and counts them
 * (ctl_evout_errors()), never fatal. */
void ctl_evout_write(struct ctl_evout *o, const char *text, size_t len);

/* Write what is buffered. Returns 0, or -errno of the failed write(2): the
 * buffered lines are then lost and counted. A line cut by a failed write
 * is ended by a newline before the next write, so that it does not swallow
 * the next line. */
int ctl_evout_flush(struct ctl_evout *o);

/* logrotate: flush, open the path anew, switch to it and close the old
 * file. On failure keep writing to the old one and return -errno with "PATH:
 * message" in @err. stdout: nothing to do, returns 0. */
int ctl_evout_reopen(struct ctl_evout *o, char *err, size_t errlen);

/* Lines lost to write errors. */
uint64_t ctl_evout_errors(const struct ctl_evout *o);

/* Lines written whole (buffered ones not yet). */
uint64_t ctl_evout_written(const struct ctl_evout *o);

/* Flush and close; frees @o. NULL fine. */
void ctl_evout_close(struct ctl_evout *o);

#endif
