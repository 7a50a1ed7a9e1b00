/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy.c - Workload and WorkloadPolicy documents in (ctl_policy.h):
 * the API, the loader's state, its errors and memory, and reading files.
 *
 * Each file is read whole (at most 16 MiB), parsed by libfyaml into one tree
 * per document (ctl_policy_yaml.c) and each tree checked against the model
 * (ctl_policy_doc.c), which fills the bh_policy.h structures in the arena of
 * the result.
 *
 * Errors are collected per file, sorted by place, then reported, so their
 * order follows the text whatever order the checks run in. After one error
 * the result is dropped: nothing half-read is returned. Problems with a
 * whole file (it can't be read, it is too large) are reported as "FILE:
 * message", without a place.
 *
 * Nothing is global: ctl_policy_load() and ctl_policy_load_bufs() are
 * thread-safe, and a ctl_policy is read-only once returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/dpi.h"
#include "ctl_policy_int.h"

#define ARENA_CHUNK (64u << 10)

struct ctl_policy {
	struct ctl_policy_arena arena;
	struct bh_policy_doc doc;
};

struct ctl_policy_err {
	uint32_t line, col, seq;
	char *msg;
};

/* ------------------------------------------------------------------ arena */

struct ctl_policy_chunk {
	struct ctl_policy_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void ctl_policy_arena_free(struct ctl_policy_arena *a)
{
	struct ctl_policy_chunk *c = a->head, *n;

	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
}

void *ctl_policy_arena_alloc(struct ctl_policy_arena *a, size_t n)
{
	const size_t al = sizeof(max_align_t);
	struct ctl_policy_chunk *c = a->head;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = n ? (n + al - 1) / al * al : al;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		struct ctl_policy_chunk *nc = malloc(sizeof(*nc) + cap);

		if (!nc)
			return NULL;
		nc->used = 0;
		nc->cap = cap;
		/* A chunk for one large block goes behind the current one,
		 * whose free space small blocks still use. */
		if (c && cap != ARENA_CHUNK) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			a->head = nc;
		}
		c = nc;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

void *ctl_policy_alloc(struct ctl_policy_loader *l, size_t n, size_t size)
{
	void *p;

	if (!n)
		return NULL;
	p = size && n <= SIZE_MAX / size ? ctl_policy_arena_alloc(&l->out->arena, n * size) : NULL;
	if (!p)
		l->oom = l->stop = true;
	return p;
}

char *ctl_policy_strdup(struct ctl_policy_loader *l, const char *s, size_t len)
{
	char *p = ctl_policy_alloc(l, len + 1, 1);

	if (p)
		memcpy(p, s, len);
	return p;
}

/* ----------------------------------------------------------------- errors */

__attribute__((format(printf, 4, 0))) static void
verr(struct ctl_policy_loader *l, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
	struct ctl_policy_err *e;
	char buf[640];

	if (l->found >= CTL_POLICY_MAX_ERRORS) {
		l->found++;
		l->stop = true;
		return;
	}
	l->found++;
	if (l->nerrs == l->caperrs) {
		size_t cap = l->caperrs ? l->caperrs * 2 : 16;

		e = realloc(l->errs, cap * sizeof(*e));
		if (!e) {
			l->oom = l->stop = true;
			return;
		}
		l->errs = e;
		l->caperrs = cap;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	e = &l->errs[l->nerrs];
	e->msg = strdup(buf);
	if (!e->msg) {
		l->oom = l->stop = true;
		return;
	}
	e->line = line;
	e->col = col;
	e->seq = (uint32_t)l->nerrs++;
}

void ctl_policy_err_lc(struct ctl_policy_loader *l, uint32_t line, uint32_t col, const char *fmt,
		       ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(l, line, col, fmt, ap);
	va_end(ap);
}

void ctl_policy_err(struct ctl_policy_loader *l, const struct ctl_policy_node *at, const char *fmt,
		    ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(l, at->line, at->col, fmt, ap);
	va_end(ap);
}

static int cmp_err(const void *a, const void *b)
{
	const struct ctl_policy_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void report(struct ctl_policy_loader *l, const char *msg)
{
	if (l->err)
		l->err(l->err_ctx, msg);
}

/* Reports the current file's errors in the order of the text. */
static void flush_errors(struct ctl_policy_loader *l)
{
	char buf[1024];

	if (l->nerrs)
		qsort(l->errs, l->nerrs, sizeof(*l->errs), cmp_err);
	for (size_t i = 0; i < l->nerrs; i++) {
		const struct ctl_policy_err *e = &l->errs[i];

		if (e->line)
			snprintf(buf, sizeof(buf), "%s:%u:%u: %s", l->file, e->line, e->col,
				 e->msg);
		else
			snprintf(buf, sizeof(buf), "%s: %s", l->file, e->msg);
		report(l, buf);
		free(e->msg);
	}
	l->nerrs = 0;
	if (l->found > CTL_POLICY_MAX_ERRORS && !l->said_too_many) {
		snprintf(buf, sizeof(buf), "%s: too many errors; stopped after the first %u",
			 l->file, CTL_POLICY_MAX_ERRORS);
		report(l, buf);
		l->said_too_many = true;
	}
}

const char *ctl_policy_show(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len && i < CTL_POLICY_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (len > CTL_POLICY_SHOW_MAX) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

struct bh_loc ctl_policy_loc(const struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	return (struct bh_loc){ .file = l->file, .line = n->line, .col = n->col };
}

/* ------------------------------------------------------------------ names */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static void names_free(struct ctl_policy_names *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

void ctl_policy_names_clear(struct ctl_policy_names *s)
{
	/* A large table is dropped rather than wiped, or clearing it for
	 * each of many small mappings would cost its size every time. */
	if (s->cap > 1024)
		names_free(s);
	else if (s->n)
		memset(s->e, 0, s->cap * sizeof(*s->e));
	s->n = 0;
}

static struct ctl_policy_name *names_slot(struct ctl_policy_names *s, const char *name)
{
	size_t i = (size_t)hash_str(name) & (s->cap - 1);

	while (s->e[i].name && strcmp(s->e[i].name, name) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->e[i];
}

static bool names_grow(struct ctl_policy_names *s)
{
	struct ctl_policy_names n = { .cap = s->cap ? s->cap * 2 : 16 };

	n.e = calloc(n.cap, sizeof(*n.e));
	if (!n.e)
		return false;
	for (size_t i = 0; i < s->cap; i++)
		if (s->e[i].name)
			*names_slot(&n, s->e[i].name) = s->e[i];
	n.n = s->n;
	free(s->e);
	*s = n;
	return true;
}

bool ctl_policy_unique(struct ctl_policy_loader *l, struct ctl_policy_names *set, const char *what,
		       const char *name, const struct ctl_policy_node *at)
{
	struct ctl_policy_name *e;
	char q[CTL_POLICY_SHOW_BUF], w[CTL_POLICY_WHERE_BUF];

	if ((set->n + 1) * 2 > set->cap && !names_grow(set)) {
		l->oom = l->stop = true;
		return false;
	}
	e = names_slot(set, name);
	if (!e->name) {
		e->name = name;
		e->loc = ctl_policy_loc(l, at);
		set->n++;
		return true;
	}
	if (e->loc.file == l->file)
		snprintf(w, sizeof(w), "%u:%u", e->loc.line, e->loc.col);
	else
		snprintf(w, sizeof(w), "%s:%u:%u", e->loc.file, e->loc.line, e->loc.col);
	ctl_policy_err(l, at, "duplicate %s `%s` (first at %s)", what,
		       ctl_policy_show(q, name, strlen(name)), w);
	return false;
}

/* -------------------------------------------------------------- documents */

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *np;

	if (n < *cap)
		return true;
	if (ncap > SIZE_MAX / size)
		return false;
	np = realloc(*p, ncap * size);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

void ctl_policy_add_workload(struct ctl_policy_loader *l, const struct bh_workload *w)
{
	if (l->found)
		return; /* nothing will be returned: spare the copy */
	if (!grow((void **)&l->wl, &l->capwl, l->nwl, sizeof(*w))) {
		l->oom = l->stop = true;
		return;
	}
	l->wl[l->nwl++] = *w;
}

void ctl_policy_add_policy(struct ctl_policy_loader *l, const struct bh_policy *p)
{
	if (l->found)
		return;
	if (!grow((void **)&l->pol, &l->cappol, l->npol, sizeof(*p))) {
		l->oom = l->stop = true;
		return;
	}
	l->pol[l->npol++] = *p;
}

/* ------------------------------------------------------------------ input */

bool ctl_policy_looks_json(const char *name, const char *buf, size_t len)
{
	size_t n = strlen(name), i = 0;

	if (n >= 5 && strcmp(name + n - 5, ".json") == 0)
		return true;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i < len && (buf[i] == '{' || buf[i] == '[');
}

int ctl_policy_read_file(const char *path, char **ret, size_t *ret_len)
{
	size_t cap, len = 0;
	char *buf = NULL;
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > (off_t)CTL_POLICY_MAX_INPUT) {
		r = -EFBIG;
		goto out;
	}
	/* One byte more than the file holds, to see its end in one read. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CTL_POLICY_MAX_INPUT) { /* a pipe, or a file that grew */
			r = -EFBIG;
			goto out;
		}
	}
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

static void file_error(struct ctl_policy_loader *l, int r)
{
	char b[128];

	if (!l->file_errno)
		l->file_errno = r;
	if (r == -EFBIG)
		ctl_policy_err_lc(l, 0, 0, "larger than the limit of %u MiB",
				  CTL_POLICY_MAX_INPUT >> 20);
	else
		ctl_policy_err_lc(l, 0, 0, "cannot read: %s", strerror_r(-r, b, sizeof(b)));
}

/* The file name every loc of the file will point at. */
static bool start_file(struct ctl_policy_loader *l, const char *name)
{
	l->file = ctl_policy_strdup(l, name, strlen(name));
	return l->file != NULL;
}

static void read_buffer(struct ctl_policy_loader *l, const char *buf, size_t len)
{
	if (len > CTL_POLICY_MAX_INPUT) {
		file_error(l, -EFBIG);
		return;
	}
	ctl_policy_yaml_read(l, buf, len, ctl_policy_looks_json(l->file, buf, len));
}

/* ------------------------------------------------------------------- API */

static int loader_init(struct ctl_policy_loader *l, ctl_policy_error_fn err, void *err_ctx)
{
	memset(l, 0, sizeof(*l));
	l->err = err;
	l->err_ctx = err_ctx;
	l->out = calloc(1, sizeof(*l->out));
	return l->out ? 0 : -ENOMEM;
}

/* The arrays of documents, copied into the result's arena. */
static void build_doc(struct ctl_policy_loader *l)
{
	struct bh_policy_doc *d = &l->out->doc;
	struct bh_workload *w = ctl_policy_alloc(l, l->nwl, sizeof(*w));
	struct bh_policy *p = ctl_policy_alloc(l, l->npol, sizeof(*p));

	if (w)
		memcpy(w, l->wl, l->nwl * sizeof(*w));
	if (p)
		memcpy(p, l->pol, l->npol * sizeof(*p));
	d->workloads = w;
	d->nworkloads = w ? (uint32_t)l->nwl : 0;
	d->policies = p;
	d->npolicies = p ? (uint32_t)l->npol : 0;
}

static int loader_finish(struct ctl_policy_loader *l, struct ctl_policy **ret)
{
	int r;

	if (!l->oom && !l->file_errno && !l->found)
		build_doc(l);
	if (l->oom)
		r = -ENOMEM;
	else if (l->file_errno)
		r = l->file_errno;
	else if (l->found)
		r = -EINVAL;
	else
		r = 0;
	if (r == 0) {
		*ret = l->out;
		l->out = NULL;
	}
	for (size_t i = 0; i < l->nerrs; i++)
		free(l->errs[i].msg);
	free(l->errs);
	free(l->wl);
	free(l->pol);
	names_free(&l->wl_names);
	names_free(&l->pol_names);
	names_free(&l->rule_names);
	names_free(&l->keys);
	ctl_policy_free(l->out);
	return r;
}

/* The current input (start_file() done): @buf, or the error @r of reading
 * it. */
static void read_input(struct ctl_policy_loader *l, const char *buf, size_t len, int r)
{
	if (r == -ENOMEM)
		l->oom = true;
	else if (r < 0)
		file_error(l, r);
	else
		read_buffer(l, buf, len);
	flush_errors(l);
}

int ctl_policy_load(const char *const *files, size_t nfiles, ctl_policy_error_fn err, void *err_ctx,
		    struct ctl_policy **ret)
{
	struct ctl_policy_loader l;
	int r = loader_init(&l, err, err_ctx);

	for (size_t i = 0; r == 0 && i < nfiles && !l.stop; i++) {
		char *buf = NULL;
		size_t len = 0;
		int fr;

		if (!start_file(&l, files[i]))
			break;
		fr = ctl_policy_read_file(files[i], &buf, &len);
		read_input(&l, buf, len, fr);
		free(buf);
	}
	return r < 0 ? r : loader_finish(&l, ret);
}

int ctl_policy_load_bufs(const struct ctl_source *src, size_t n, ctl_policy_error_fn err,
			 void *err_ctx, struct ctl_policy **ret)
{
	struct ctl_policy_loader l;
	int r = loader_init(&l, err, err_ctx);

	for (size_t i = 0; r == 0 && i < n && !l.stop; i++) {
		const struct ctl_source *s = &src[i];

		if (!start_file(&l, s->name ? s->name : "<buffer>"))
			break;
		read_input(&l, s->text ? s->text : "", s->text ? s->len : 0, 0);
	}
	return r < 0 ? r : loader_finish(&l, ret);
}

int ctl_policy_load_mem(const char *name, const char *buf, size_t len, ctl_policy_error_fn err,
			void *err_ctx, struct ctl_policy **ret)
{
	const struct ctl_source s = { .name = name, .text = buf, .len = len };

	return ctl_policy_load_bufs(&s, 1, err, err_ctx, ret);
}

const struct bh_policy_doc *ctl_policy_doc(const struct ctl_policy *p)
{
	return p ? &p->doc : NULL;
}

void ctl_policy_free(struct ctl_policy *p)
{
	if (!p)
		return;
	ctl_policy_arena_free(&p->arena);
	free(p);
}

struct build_msg {
	ctl_policy_error_fn err;
	void *ctx;
};

static void build_msg(void *ctx, bool warning, const char *msg)
{
	struct build_msg *m = ctx;

	(void)warning;
	if (m->err)
		m->err(m->ctx, msg);
}

/* Compiles what a load (its result @r) gave in *@ret_docs. */
static int compile(int r, ctl_policy_error_fn err, void *err_ctx, struct ctl_policy **ret_docs,
		   struct dpi_policy **ret)
{
	struct build_msg m = {err, err_ctx};

	if (r == 0)
		r = dpi_policy_new(ctl_policy_doc(*ret_docs), build_msg, &m, ret);
	if (r < 0) {
		ctl_policy_free(*ret_docs);
		*ret_docs = NULL;
	}
	return r;
}

int ctl_policy_build(const char *const *files, size_t nfiles, ctl_policy_error_fn err,
		     void *err_ctx, struct ctl_policy **ret_docs, struct dpi_policy **ret)
{
	*ret_docs = NULL;
	*ret = NULL;
	return compile(ctl_policy_load(files, nfiles, err, err_ctx, ret_docs), err, err_ctx,
		       ret_docs, ret);
}

int ctl_policy_build_bufs(const struct ctl_source *src, size_t n, ctl_policy_error_fn err,
			  void *err_ctx, struct ctl_policy **ret_docs, struct dpi_policy **ret)
{
	*ret_docs = NULL;
	*ret = NULL;
	return compile(ctl_policy_load_bufs(src, n, err, err_ctx, ret_docs), err, err_ctx,
		       ret_docs, ret);
}
