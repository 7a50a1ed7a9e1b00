/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_node.c - the node's policy: one path for every change (commit()),
 * in this order: validate and compile the whole new set, diff it against
 * the running one, persist it, swap it in on the data path, and only then
 * let go of the old one. Each step that fails stops the change there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_docset.h"
#include "ctl_eve.h"
#include "ctl_node.h"
#include "ctl_policy.h"
#include "ctl_state.h"

struct ctl_node {
	struct ctl_node_config cfg;
	struct ctl_docset docs;      /* the running set, as text */
	struct ctl_policy *pdocs;    /* ... as read */
	struct dpi_policy *policy;   /* ... compiled; NULL: none */
	unsigned generation;
	const char *source;          /* "files", "state", "control", "none" */
	bool closed;
	char closed_why[1100];
	double compile_ms;
	uint64_t applied_us;
	ctl_node_swap_fn swap;
	void *swap_ctx;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void logf_(struct ctl_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct ctl_node *n, const char *fmt, ...)
{
	char b[1024];
	va_list ap;

	if (!n->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	n->cfg.log(n->cfg.log_ctx, b);
}

/* Messages of a load and compile: kept for the reply, or logged. */
struct msgs {
	struct ctl_node *n;
	json_t *list;                /* NULL: log them */
};

static void on_msg(void *ctx, const char *msg)
{
	struct msgs *m = ctx;

	if (m->list)
		json_array_append_new(m->list, json_string(msg));
	else
		logf_(m->n, "%s", msg);
}

/* A compiled candidate set. */
struct cand {
	struct ctl_docset docs;
	struct ctl_policy *pdocs;
	struct dpi_policy *policy;
	double compile_ms;
};

static void cand_free(struct cand *c)
{
	ctl_docset_free(&c->docs);
	ctl_policy_free(c->pdocs);
	dpi_policy_free(c->policy);
	memset(c, 0, sizeof(*c));
}

/* Read and compile @src: every message to @m. 0, -EINVAL or -errno. */
static int compile(const struct ctl_source *src, size_t nsrc, struct msgs *m, struct cand *c)
{
	double t0 = mono_ms();
	int r = ctl_policy_build_bufs(src, nsrc, on_msg, m, &c->pdocs, &c->policy);

	c->compile_ms = mono_ms() - t0;
	return r;
}

/* Compile @c->docs (already split). */
static int compile_docs(struct cand *c, struct msgs *m)
{
	struct ctl_source *src = NULL;
	int r;

	if (!c->docs.n) /* an empty set: no policy at all */
		return 0;
	r = ctl_docset_sources(&c->docs, &src);
	if (r < 0)
		return r;
	r = compile(src, c->docs.n, m, c);
	free(src);
	return r;
}

/* --------------------------------------------------------------- start */

static int read_files(const char *const *files, size_t n, struct ctl_source *src)
{
	for (size_t i = 0; i < n; i++) {
		char *buf;
		int r;

		src[i].name = files[i];
		r = ctl_policy_read_file(files[i], &buf, &src[i].len);
		if (r < 0)
			return r;
		src[i].text = buf;
	}
	return 0;
}

static void free_sources(struct ctl_source *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)src[i].text);
	free(src);
}

/* The --policy files, compiled and split. */
static int load_files(struct ctl_node *n, struct msgs *m, struct cand *c)
{
	struct ctl_source *src = calloc(n->cfg.nfiles, sizeof(*src));
	int r;

	if (!src)
		return -ENOMEM;
	r = read_files(n->cfg.files, n->cfg.nfiles, src);
	if (r < 0) {
		/* The loader says which file and why, as before. */
		struct ctl_policy *p = NULL;

		free_sources(src, n->cfg.nfiles);
		r = ctl_policy_load(n->cfg.files, n->cfg.nfiles, on_msg, m, &p);
		ctl_policy_free(p);
		return r < 0 ? r : -EIO;
	}
	r = compile(src, n->cfg.nfiles, m, c);
	if (r == 0)
		r = ctl_docset_split(src, n->cfg.nfiles, on_msg, m, &c->docs);
	free_sources(src, n->cfg.nfiles);
	return r;
}

static void take(struct ctl_node *n, struct cand *c, const char *source)
{
	ctl_docset_free(&n->docs);
	ctl_policy_free(n->pdocs);
	dpi_policy_free(n->policy);
	n->docs = c->docs;
	n->pdocs = c->pdocs;
	n->policy = c->policy;
	n->compile_ms = c->compile_ms;
	n->source = c->docs.n ? source : "none";
	n->closed = false;
	n->closed_why[0] = 0;
	n->applied_us = now_us();
	memset(c, 0, sizeof(*c));
}

static int persist(struct ctl_node *n, const struct ctl_docset *d, unsigned generation,
		   char *err, size_t errlen)
{
	if (!n->cfg.state_dir)
		return 0;
	return ctl_state_save(n->cfg.state_dir, d, generation, now_us(), err, errlen);
}

static int fail_closed(struct ctl_node *n, const char *why)
{
	int r = dpi_policy_new_closed(&n->policy);

	if (r < 0)
		return r;
	n->closed = true;
	n->source = "state";
	snprintf(n->closed_why, sizeof(n->closed_why), "%s", why);
	logf_(n, "bulkheadd: %s", why);
	logf_(n, "bulkheadd: failing closed: every flow is denied (reason no-policy) until a "
		 "policy is applied (bulkhead policy apply FILE)");
	return 0;
}

static int start_from_state(struct ctl_node *n)
{
	struct msgs m = {n, json_array()};
	struct cand c = {0};
	uint64_t gen = 0, applied = 0;
	char err[768];
	int r;

	r = ctl_state_load(n->cfg.state_dir, &c.docs, &gen, &applied, err, sizeof(err));
	if (r == -ENOENT) {
		n->source = "none";
		json_decref(m.list);
		return 0;
	}
	if (r < 0) {
		char why[1024];

		snprintf(why, sizeof(why), "state file unusable: %s", err);
		json_decref(m.list);
		return fail_closed(n, why);
	}
	r = compile_docs(&c, &m);
	if (r < 0) {
		char why[1024];
		size_t i;
		json_t *v;

		json_array_foreach(m.list, i, v)
			logf_(n, "bulkheadd: state: %s", json_string_value(v));
		snprintf(why, sizeof(why), "%s/policy.state: the persisted policy does not compile (%s)",
			 n->cfg.state_dir, r == -EINVAL ? "errors above" : strerror(-r));
		cand_free(&c);
		json_decref(m.list);
		return r == -ENOMEM ? r : fail_closed(n, why);
	}
	json_decref(m.list);
	n->generation = (unsigned)gen;
	take(n, &c, "state");
	n->applied_us = applied;
	logf_(n, "bulkheadd: policy generation %u from %s/policy.state (%zu documents)",
	      n->generation, n->cfg.state_dir, n->docs.n);
	return 0;
}

int ctl_node_new(const struct ctl_node_config *cfg, struct ctl_node **ret)
{
	struct ctl_node *n = calloc(1, sizeof(*n));
	char err[768];
	int r;

	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	n->source = "none";
	if (cfg->nfiles) {
		struct msgs m = {n, NULL};
		struct cand c = {0};
		uint64_t gen = 0, applied;
		struct ctl_docset old = {0};

		r = load_files(n, &m, &c);
		if (r < 0) {
			cand_free(&c);
			goto fail;
		}
		/* Generations only grow, across restarts too. */
		if (cfg->state_dir &&
		    ctl_state_load(cfg->state_dir, &old, &gen, &applied, err, sizeof(err)) == 0)
			n->generation = (unsigned)gen + 1;
		ctl_docset_free(&old);
		r = persist(n, &c.docs, n->generation, err, sizeof(err));
		if (r < 0) {
			logf_(n, "bulkheadd: --state-dir: %s", err);
			cand_free(&c);
			goto fail;
		}
		take(n, &c, "files");
	} else if (cfg->state_dir) {
		r = start_from_state(n);
		if (r < 0)
			goto fail;
	}
	*ret = n;
	return 0;
fail:
	ctl_node_free(n);
	return r;
}

void ctl_node_attach(struct ctl_node *n, ctl_node_swap_fn swap, void *ctx)
{
	n->swap = swap;
	n->swap_ctx = ctx;
}

const struct dpi_policy *ctl_node_policy(const struct ctl_node *n)
{
	return n->policy;
}

unsigned ctl_node_generation(const struct ctl_node *n)
{
	return n->generation;
}

bool ctl_node_closed(const struct ctl_node *n)
{
	return n->closed;
}

double ctl_node_compile_ms(const struct ctl_node *n)
{
	return n->compile_ms;
}

uint64_t ctl_node_applied_us(const struct ctl_node *n)
{
	return n->applied_us;
}

/* -------------------------------------------------------------- changes */

static void set_err(struct ctl_node_err *e, const char *code, json_t *details, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
static void set_err(struct ctl_node_err *e, const char *code, json_t *details, const char *fmt,
		    ...)
{
	va_list ap;

	e->code = code;
	e->details = details;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/*
 * Put @c in force (consumed): diff, and unless @dry_run persist, swap and
 * keep it. The result names the generation in force afterwards.
 */
static int commit(struct ctl_node *n, struct cand *c, const char *source, bool dry_run,
		  json_t *warnings, json_t **ret, struct ctl_node_err *e)
{
	bool changed = false;
	json_t *diff = ctl_docset_diff(&n->docs, &c->docs, &changed);
	unsigned next = n->generation + 1, prev = n->generation;
	double ms = c->compile_ms;
	size_t ndocs = c->docs.n;
	char err[768];
	int r;

	if (!diff) {
		set_err(e, "internal", NULL, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (n->closed)
		changed = true; /* anything applied lifts the closed state */
	if (n->swap && (r = n->swap(n->swap_ctx, c->policy, next, true)) < 0) {
		set_err(e, "invalid-policy", NULL,
			"the policy denies on signature sets this bulkheadd did not load "
			"(restart it with --sets naming them); nothing changed");
		goto out;
	}
	if (!dry_run && changed) {
		r = persist(n, &c->docs, next, err, sizeof(err));
		if (r < 0) {
			set_err(e, "internal", NULL, "state not saved, nothing changed: %s", err);
			goto out;
		}
		r = n->swap ? n->swap(n->swap_ctx, c->policy, next, false) : 0;
		if (r < 0) {
			/* The data path kept the old policy: so does the state. */
			if (persist(n, &n->docs, n->generation, err, sizeof(err)) < 0)
				logf_(n, "bulkheadd: restoring the state after a failed swap: %s",
				      err);
			set_err(e, "internal", NULL, "switching policy: %s; nothing changed",
				strerror(-r));
			goto out;
		}
		n->generation = next;
		take(n, c, source);
		logf_(n, "bulkheadd: policy generation %u in force (%zu documents, compiled in %.1f ms)",
		      n->generation, n->docs.n, n->compile_ms);
	}
	*ret = json_pack("{s:I, s:I, s:b, s:b, s:f, s:I, s:O, s:O}", "generation",
			 (json_int_t)n->generation, "previous_generation", (json_int_t)prev,
			 "dry_run", dry_run, "changed", changed,
			 "compile_ms", ms, "documents", (json_int_t)ndocs,
			 "warnings", warnings, "diff", diff);
	if (!*ret) {
		set_err(e, "internal", NULL, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	json_decref(diff);
	cand_free(c);
	return r;
}

/* The request's files as sources (pointers into @args). */
static int request_sources(const json_t *args, struct ctl_source **ret, size_t *ret_n)
{
	const json_t *files = json_object_get(args, "files");
	struct ctl_source *src;
	size_t i;
	json_t *f;

	src = calloc(json_array_size(files) ? json_array_size(files) : 1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	json_array_foreach(files, i, f) {
		const json_t *text = json_object_get(f, "text");

		src[i].name = json_string_value(json_object_get(f, "name"));
		src[i].text = json_string_value(text);
		src[i].len = json_string_length(text);
	}
	*ret = src;
	*ret_n = json_array_size(files);
	return 0;
}

static bool dry_run_of(const json_t *args)
{
	return json_is_true(json_object_get(args, "dry_run"));
}

/* Read, compile and split @src into @c; an error reply when it fails. */
static int candidate(struct ctl_node *n, const struct ctl_source *src, size_t nsrc,
		     json_t *msgs, struct cand *c, struct ctl_node_err *e)
{
	struct msgs m = {n, msgs};
	int r = compile(src, nsrc, &m, c);

	if (r == 0)
		r = ctl_docset_split(src, nsrc, on_msg, &m, &c->docs);
	if (r == 0 && !c->docs.n) {
		/* Most likely the wrong file; it would lift every policy. */
		set_err(e, "invalid-policy", NULL,
			"the files hold no document: an empty set would leave every workload "
			"unrestricted; nothing changed");
		return -EINVAL;
	}
	if (r == -EINVAL || r == -EFBIG) {
		set_err(e, "invalid-policy", json_incref(msgs), "%zu problem%s; nothing changed",
			json_array_size(msgs), json_array_size(msgs) == 1 ? "" : "s");
	} else if (r < 0) {
		set_err(e, "internal", json_incref(msgs), "%s; nothing changed", strerror(-r));
	}
	return r;
}

int ctl_node_apply(struct ctl_node *n, const json_t *args, json_t **ret, struct ctl_node_err *e)
{
	json_t *msgs = json_array();
	struct ctl_source *src = NULL;
	struct cand c = {0};
	size_t nsrc;
	int r;

	memset(e, 0, sizeof(*e));
	if (!msgs || request_sources(args, &src, &nsrc) < 0) {
		set_err(e, "internal", NULL, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = candidate(n, src, nsrc, msgs, &c, e);
	if (r < 0) {
		cand_free(&c);
		goto out;
	}
	r = commit(n, &c, "control", dry_run_of(args), msgs, ret, e);
out:
	free(src);
	json_decref(msgs);
	return r;
}

/* The running set edited by @edit, compiled as a whole. */
static int edited(struct ctl_node *n, struct ctl_docset *set, const json_t *args, json_t **ret,
		  struct ctl_node_err *e)
{
	json_t *msgs = json_array();
	struct cand c = {.docs = *set};
	struct msgs m = {n, msgs};
	int r;

	memset(set, 0, sizeof(*set));
	if (!msgs) {
		set_err(e, "internal", NULL, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = compile_docs(&c, &m);
	if (r == -EINVAL) {
		set_err(e, "invalid-policy", json_incref(msgs),
			"the set would have %zu problem%s; nothing changed", json_array_size(msgs),
			json_array_size(msgs) == 1 ? "" : "s");
		goto out;
	}
	if (r < 0) {
		set_err(e, "internal", NULL, "%s; nothing changed", strerror(-r));
		goto out;
	}
	r = commit(n, &c, "control", dry_run_of(args), msgs, ret, e);
out:
	cand_free(&c);
	json_decref(msgs);
	return r;
}

int ctl_node_workloads_add(struct ctl_node *n, const json_t *args, json_t **ret,
			   struct ctl_node_err *e)
{
	json_t *msgs = json_array();
	struct ctl_source *src = NULL;
	struct ctl_docset set = {0};
	struct cand c = {0};
	size_t nsrc;
	int r;

	memset(e, 0, sizeof(*e));
	if (!msgs || request_sources(args, &src, &nsrc) < 0) {
		set_err(e, "internal", NULL, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	/* Each document on its own first, for messages naming the files. */
	r = candidate(n, src, nsrc, msgs, &c, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < c.docs.n; i++) {
		if (strcmp(c.docs.docs[i].kind, "Workload")) {
			set_err(e, "bad-request", NULL,
				"%s: %s `%s`: workloads add takes Workload documents only",
				c.docs.docs[i].file, c.docs.docs[i].kind, c.docs.docs[i].name);
			r = -EINVAL;
			goto out;
		}
	}
	if ((r = ctl_docset_copy(&n->docs, &set)) < 0 || (r = ctl_docset_upsert(&set, &c.docs)) < 0) {
		set_err(e, "internal", NULL, "out of memory");
		goto out;
	}
	r = edited(n, &set, args, ret, e);
out:
	ctl_docset_free(&set);
	cand_free(&c);
	free(src);
	json_decref(msgs);
	return r;
}

int ctl_node_workloads_remove(struct ctl_node *n, const json_t *args, json_t **ret,
			      struct ctl_node_err *e)
{
	const json_t *names = json_object_get(args, "names");
	struct ctl_docset set = {0};
	size_t i;
	json_t *v;
	int r;

	memset(e, 0, sizeof(*e));
	r = ctl_docset_copy(&n->docs, &set);
	if (r < 0) {
		set_err(e, "internal", NULL, "out of memory");
		return r;
	}
	json_array_foreach(names, i, v) {
		r = ctl_docset_remove(&set, "Workload", json_string_value(v));
		if (r == -ENOENT) {
			set_err(e, "not-found", NULL, "no workload `%s`; nothing changed",
				json_string_value(v));
			goto out;
		}
		if (r < 0) {
			set_err(e, "internal", NULL, "out of memory");
			goto out;
		}
	}
	r = edited(n, &set, args, ret, e);
out:
	ctl_docset_free(&set);
	return r;
}

void ctl_node_reload(struct ctl_node *n)
{
	struct msgs m = {n, NULL};
	struct ctl_node_err e = {0};
	struct cand c = {0};
	json_t *res = NULL, *w = json_array();
	int r;

	if (!n->cfg.nfiles) {
		json_decref(w);
		return;
	}
	if (strcmp(n->source, "files") && strcmp(n->source, "none")) {
		logf_(n, "bulkheadd: SIGHUP: policy generation %u was applied over the control "
			 "socket; the --policy files are not read again",
		      n->generation);
		json_decref(w);
		return;
	}
	r = load_files(n, &m, &c);
	if (r < 0) {
		cand_free(&c);
		logf_(n, "bulkheadd: policy not reloaded; generation %u stays in force",
		      n->generation);
		json_decref(w);
		return;
	}
	r = commit(n, &c, "files", false, w, &res, &e);
	if (r < 0)
		logf_(n, "bulkheadd: policy not reloaded: %s", e.msg);
	else if (!json_is_true(json_object_get(res, "changed")))
		logf_(n, "bulkheadd: SIGHUP: the policy files are unchanged (generation %u)",
		      n->generation);
	else
		logf_(n, "bulkheadd: policy reloaded (generation %u)", n->generation);
	json_decref(e.details);
	json_decref(res);
	json_decref(w);
}

/* -------------------------------------------------------------- queries */

json_t *ctl_node_get(const struct ctl_node *n)
{
	json_t *docs = json_array(), *r;
	char ts[40] = "";
	size_t len = 0;
	char *text = ctl_docset_text(&n->docs, &len);

	if (n->applied_us)
		ctl_eve_time(ts, sizeof(ts), n->applied_us);
	for (size_t i = 0; docs && i < n->docs.n; i++) {
		const struct ctl_doc *d = &n->docs.docs[i];

		json_array_append_new(docs, json_pack("{s:s, s:s, s:s, s:s#}", "kind", d->kind,
						      "name", d->name, "file", d->file, "text",
						      d->text, (int)d->len));
	}
	r = json_pack("{s:I, s:s?, s:s, s:b, s:o, s:s#}", "generation", (json_int_t)n->generation,
		      "applied_at", n->applied_us ? ts : NULL, "source", n->source, "closed",
		      n->closed, "documents", docs, "text", text ? text : "", (int)len);
	if (r && n->closed)
		json_object_set_new(r, "closed_reason", json_string(n->closed_why));
	free(text);
	return r;
}

json_t *ctl_node_workloads(const struct ctl_node *n)
{
	const struct bh_policy_doc *d = ctl_policy_doc(n->pdocs);
	json_t *list = json_array();

	for (uint32_t i = 0; d && list && i < d->nworkloads; i++) {
		const struct bh_workload *w = &d->workloads[i];
		json_t *labels = json_object(), *addrs = json_array();

		for (uint32_t k = 0; k < w->nlabels; k++)
			json_object_set_new(labels, w->labels[k].key,
					    json_string(w->labels[k].value));
		for (uint32_t k = 0; k < w->naddrs; k++) {
			char b[INET6_ADDRSTRLEN + 8];
			const struct bh_cidr *c = &w->addrs[k];
			bool v4 = ctl_addr_mapped(&c->net) && c->plen >= 96;

			ctl_addr_text(&c->net, v4 ? AF_INET : AF_INET6, b);
			if (c->plen != 128) {
				size_t l = strlen(b);

				snprintf(b + l, sizeof(b) - l, "/%u", v4 ? c->plen - 96u : c->plen);
			}
			json_array_append_new(addrs, json_string(b));
		}
		json_array_append_new(list, json_pack("{s:s, s:o, s:o, s:s?}", "name", w->name,
						      "labels", labels, "addresses", addrs,
						      "interface", w->interface));
	}
	return json_pack("{s:I, s:o}", "generation", (json_int_t)n->generation, "workloads", list);
}

void ctl_node_free(struct ctl_node *n)
{
	if (!n)
		return;
	ctl_docset_free(&n->docs);
	ctl_policy_free(n->pdocs);
	dpi_policy_free(n->policy);
	free(n);
}
