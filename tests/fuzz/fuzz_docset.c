/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_docset.c - libFuzzer target for splitting policy sources into
 * documents (ctl_docset_split()) next to loading them
 * (ctl_policy_load_bufs()), and for the edits of the set it gives.
 *
 * Input: one byte, then the sources, separated by 0xff bytes (never UTF-8,
 * so no loss: a source with one is refused anyway). Bits 0-1 of the first
 * byte: how many sources (1, 2, 3; 3 is 1); bits 2-4: source i is named
 * "fI.json" when bit 2+i is set, else "fI.yaml". The last source takes the
 * rest, 0xff bytes and all. Each source is copied into an allocation of
 * exactly its size, so ASan sees any read past it.
 *
 * The promises checked (a violation aborts): both return 0 or a known
 * error, with messages "FILE:LINE:COL: text" or "FILE: text" that name a
 * source, none on success and at least one on -EINVAL; the split leaves its
 * out-parameter alone on failure, is sorted and unique, its texts end in
 * '\n'; what loads also splits (unless it holds a NUL byte, which the loader
 * lets pass in a comment and the split refuses). When both succeed: one
 * document per workload and policy loaded, with the same kinds and names;
 * the documents as sources (ctl_docset_sources()) load to the same policy,
 * and so does the set's text (ctl_docset_text()), which splits again into
 * the same kinds, names and texts; the diff of the set with itself and with
 * a copy is empty; the first document removed and upserted again gives the
 * set back, upserted with a changed text it is the only change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/bh_policy_desc.h"
#include "fuzz_docs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SRC 3

/* --------------------------------------------------------------- policies */


/* Every workload and policy of @d is a document of @s, and nothing else. */
static void check_names(const struct ctl_docset *s, const struct bh_policy_doc *d)
{
	if (s->n != (size_t)d->nworkloads + d->npolicies) {
		fprintf(stderr, "%zu documents split, %u workloads and %u policies loaded\n", s->n,
			d->nworkloads, d->npolicies);
		abort();
	}
	for (uint32_t i = 0; i < d->nworkloads; i++)
		if (!ctl_docset_find(s, "Workload", d->workloads[i].name))
			abort();
	for (uint32_t i = 0; i < d->npolicies; i++)
		if (!ctl_docset_find(s, "WorkloadPolicy", d->policies[i].name))
			abort();
}

/* Loads @n sources, which must succeed (they did as the user's files), to
 * what @want describes. */
static void check_loads(const struct ctl_source *src, size_t n, const char *want,
			const char *what)
{
	struct fuzz_msgs m = { .src = src, .nsrc = n };
	struct ctl_policy *p = NULL;
	int r = ctl_policy_load_bufs(src, n, fuzz_on_msg, &m, &p);
	char *desc;

	if (r == -ENOMEM)
		return;
	if (r != 0) {
		fprintf(stderr, "%s: the documents do not load again (%d)\n", what, r);
		abort();
	}
	desc = bh_policy_describe(ctl_policy_doc(p));
	if (strcmp(desc, want) != 0) {
		fprintf(stderr, "%s: the documents load to another policy:\n%s---\n%s", what, desc,
			want);
		abort();
	}
	free(desc);
	ctl_policy_free(p);
}

/* ------------------------------------------------------------------ edits */

static void check_unchanged(const struct ctl_docset *a, const struct ctl_docset *b)
{
	bool changed = true;
	json_t *d = ctl_docset_diff(a, b, &changed);

	if (!d)
		return; /* out of memory */
	if (changed || json_array_size(json_object_get(d, "added")) ||
	    json_array_size(json_object_get(d, "removed")) ||
	    json_array_size(json_object_get(d, "changed")))
		abort();
	json_decref(d);
}

static void check_edits(const struct ctl_docset *s)
{
	struct ctl_docset c = { 0 }, one = { 0 }, other = { 0 };
	const struct ctl_doc *first = &s->docs[0];
	struct ctl_doc changed;
	char *text = NULL;
	json_t *d, *ch;

	check_unchanged(s, s);
	if (ctl_docset_copy(s, &c) != 0)
		return;
	fuzz_check_set(&c);
	if (!fuzz_same_docs(s, &c, true))
		abort();
	check_unchanged(s, &c);

	/* The first document alone, upserted: nothing changes. */
	if (ctl_docset_copy(&(struct ctl_docset){ .docs = (struct ctl_doc *)first, .n = 1 },
			    &one) != 0)
		goto out;
	if (ctl_docset_upsert(&c, &one) != 0)
		goto out;
	if (!fuzz_same_docs(s, &c, true))
		abort();

	/* Removed: gone, once; upserted again: the set is back. */
	if (ctl_docset_remove(&c, first->kind, first->name) != 0 || c.n != s->n - 1 ||
	    ctl_docset_find(&c, first->kind, first->name) ||
	    ctl_docset_remove(&c, first->kind, first->name) != -ENOENT || c.n != s->n - 1)
		abort();
	fuzz_check_set(&c);
	if (ctl_docset_upsert(&c, &one) != 0)
		goto out;
	if (!fuzz_same_docs(s, &c, true))
		abort();

	/* With a line more, it is the one changed document. */
	if (asprintf(&text, "%s# changed\n", first->text) < 0) {
		text = NULL;
		goto out;
	}
	changed = *first;
	changed.text = text;
	changed.len = first->len + 10;
	if (ctl_docset_copy(&(struct ctl_docset){ .docs = &changed, .n = 1 }, &other) != 0 ||
	    ctl_docset_upsert(&c, &other) != 0)
		goto out;
	fuzz_check_set(&c);
	if (c.n != s->n || ctl_docset_find(&c, first->kind, first->name)->len != changed.len)
		abort();
	d = ctl_docset_diff(s, &c, NULL);
	if (d) {
		ch = json_object_get(d, "changed");
		if (json_array_size(json_object_get(d, "added")) ||
		    json_array_size(json_object_get(d, "removed")) || json_array_size(ch) != 1 ||
		    strcmp(json_string_value(json_object_get(json_array_get(ch, 0), "name")),
			   first->name) != 0 ||
		    !strstr(json_string_value(json_object_get(json_array_get(ch, 0), "diff")),
			    "\n+# changed\n"))
			abort();
		json_decref(d);
	}
out:
	free(text);
	ctl_docset_free(&c);
	ctl_docset_free(&one);
	ctl_docset_free(&other);
}

/* ---------------------------------------------------------------- a whole */

/* Both succeeded: the set against the policy, and the set's own promises. */
static void check_both(const struct ctl_docset *s, const struct ctl_policy *p)
{
	struct ctl_source *src = NULL, all;
	struct ctl_docset again = { 0 };
	struct fuzz_msgs m;
	char *want, *text;
	size_t tlen;
	int r;

	check_names(s, ctl_policy_doc(p));
	if (!s->n)
		return;
	want = bh_policy_describe(ctl_policy_doc(p));
	src = fuzz_check_sources(s);
	check_loads(src, s->n, want, "each document by itself");
	text = fuzz_check_text(s, &tlen);
	all = (struct ctl_source){ .name = "all.yaml", .text = text, .len = tlen };
	check_loads(&all, 1, want, "the set's text");
	m = (struct fuzz_msgs){ .src = &all, .nsrc = 1 };
	r = ctl_docset_split(&all, 1, fuzz_on_msg, &m, &again);
	if (r != 0 && r != -ENOMEM) {
		fprintf(stderr, "the set's text does not split (%d)\n", r);
		abort();
	}
	if (r == 0 && !fuzz_same_docs(s, &again, false)) {
		fprintf(stderr, "the set's text splits into other documents\n");
		abort();
	}
	ctl_docset_free(&again);
	check_edits(s);
	free(text);
	free(src);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[2][MAX_SRC] = { { "f0.yaml", "f1.yaml", "f2.yaml" },
						       { "f0.json", "f1.json", "f2.json" } };
	struct ctl_source src[MAX_SRC];
	char *copy[MAX_SRC] = { 0 };
	struct ctl_docset s = { .n = 12345 };
	struct ctl_policy *p = NULL;
	struct fuzz_msgs lm, sm;
	size_t n, off = 1;
	bool nul = false;
	int lr, sr;

	if (!size)
		return 0;
	n = (data[0] & 3u) == 3 ? 1 : (data[0] & 3u) + 1;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *end = i + 1 < n ? memchr(data + off, 0xff, size - off) : NULL;
		size_t len = end ? (size_t)(end - data) - off : size - off;

		copy[i] = malloc(len ? len : 1);
		if (!copy[i])
			abort();
		memcpy(copy[i], data + off, len);
		src[i] = (struct ctl_source){ names[data[0] >> (2 + i) & 1u][i], copy[i], len };
		nul |= memchr(copy[i], '\0', len) != NULL;
		off += len + (end != NULL);
	}
	lm = (struct fuzz_msgs){ .src = src, .nsrc = n };
	sm = lm;
	lr = ctl_policy_load_bufs(src, n, fuzz_on_msg, &lm, &p);
	if ((lr != 0 && lr != -EINVAL && lr != -ENOMEM && lr != -EFBIG) ||
	    ((lr == 0) != (lm.n == 0) && lr != -ENOMEM))
		abort();
	/* Callers split only what loaded, but it must hold on anything. */
	sr = ctl_docset_split(src, n, fuzz_on_msg, &sm, &s);
	if ((sr != 0 && sr != -EINVAL && sr != -ENOMEM) ||
	    ((sr == 0) != (sm.n == 0) && sr != -ENOMEM) || (sr != 0 && s.n != 12345))
		abort();
	if (sr == 0) {
		fuzz_check_set(&s);
		for (size_t i = 0; i < s.n; i++) {
			size_t k = 0;

			while (k < n && strcmp(s.docs[i].file, src[k].name) != 0)
				k++;
			if (k == n)
				abort();
		}
	}
	if (lr == 0 && sr == 0)
		check_both(&s, p);
	else if (lr == 0 && sr != -ENOMEM && !nul &&
		 (ctl_policy_doc(p)->nworkloads || ctl_policy_doc(p)->npolicies)) {
		fprintf(stderr, "loaded, but not split (%d)\n", sr);
		abort();
	}
	if (sr == 0)
		ctl_docset_free(&s);
	ctl_policy_free(p);
	for (size_t i = 0; i < n; i++)
		free(copy[i]);
	return 0;
}
