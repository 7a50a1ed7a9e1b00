/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy.h - policy documents in: Workload and WorkloadPolicy documents
 * (../shared/policy-model.md) read from YAML or JSON with libfyaml and
 * checked strictly into the plain structures of bh_policy.h, which dpi/
 * compiles (dpi_policy_new()).
 *
 * Every problem is reported as "FILE:LINE:COL: message"; one error rejects
 * the whole set of files (nothing is returned), so a running policy is never
 * replaced by half of a new one.
 */
#ifndef CTL_POLICY_H
#define CTL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkhead/bh_policy.h"

struct ctl_policy;

/* One message per call, "FILE:LINE:COL: message", or "FILE: message" for
 * the whole file (no newline). */
typedef void (*ctl_policy_error_fn)(void *ctx, const char *msg);

/*
 * Read @nfiles files (YAML or JSON, each one or more documents) into one
 * document set. Returns 0 and sets *@ret; -EINVAL when some document has an
 * error (every error is reported); -errno when a file can't be read (also
 * reported); -ENOMEM. A file larger than 16 MiB gives -EFBIG. @err may be
 * NULL; *@ret is untouched on failure. Thread-safe.
 */
int ctl_policy_load(const char *const *files, size_t nfiles, ctl_policy_error_fn err,
		    void *err_ctx, struct ctl_policy **ret);

/* The same for a buffer (@name is used as the file name in messages). */
int ctl_policy_load_mem(const char *name, const char *buf, size_t len, ctl_policy_error_fn err,
			void *err_ctx, struct ctl_policy **ret);

/* One buffer to read: @len bytes of @text (need not be NUL-terminated), named
 * @name in messages. */
struct ctl_source {
	const char *name;
	const char *text;
	size_t len;
};

/*
 * As ctl_policy_load() for @n buffers: each is read as a file of that name
 * would be (a name ending in .json is read as JSON; otherwise JSON when the
 * text starts with '{' or '['), at most 16 MiB each (-EFBIG). A NULL name is
 * "<buffer>". The buffers are only read during the call. Thread-safe.
 */
int ctl_policy_load_bufs(const struct ctl_source *src, size_t n, ctl_policy_error_fn err,
			 void *err_ctx, struct ctl_policy **ret);

/* The whole of policy file @path into *@ret (malloc'd, *@ret_len bytes, no
 * NUL added): 0, -EFBIG past 16 MiB, -EISDIR, or another -errno. */
int ctl_policy_read_file(const char *path, char **ret, size_t *ret_len);

/* How a source is read: as JSON when @name ends in .json or the text
 * starts with '{' or '[' (after a BOM and blanks), else as YAML. */
bool ctl_policy_looks_json(const char *name, const char *buf, size_t len);

/* The documents read; valid until ctl_policy_free(). */
const struct bh_policy_doc *ctl_policy_doc(const struct ctl_policy *p);

/* NULL is fine. */
void ctl_policy_free(struct ctl_policy *p);

struct dpi_policy;

/*
 * Load @files and compile them (dpi_policy_new()); every error and warning
 * goes to @err, one message per call. Returns 0 with *@ret_docs and *@ret
 * set (the compiled policy keeps no pointer into the documents), or
 * -EINVAL (reported) / -errno with both NULL.
 */
int ctl_policy_build(const char *const *files, size_t nfiles, ctl_policy_error_fn err,
		     void *err_ctx, struct ctl_policy **ret_docs, struct dpi_policy **ret);

/* As ctl_policy_build() for buffers (ctl_policy_load_bufs()). */
int ctl_policy_build_bufs(const struct ctl_source *src, size_t n, ctl_policy_error_fn err,
			  void *err_ctx, struct ctl_policy **ret_docs, struct dpi_policy **ret);

#endif
