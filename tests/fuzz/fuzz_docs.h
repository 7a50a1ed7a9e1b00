/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_docs.h - what fuzz_state.c and fuzz_docset.c both check of a
 * document set (ctl_docset.h): its invariants, its text, its sources, and
 * messages that name one of the sources. A violation aborts.
 */
#ifndef FUZZ_DOCS_H
#define FUZZ_DOCS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_docset.h"

/* The sources a message may name, and how many messages came. */
struct fuzz_msgs {
	const struct ctl_source *src;
	size_t nsrc;
	unsigned n;
};

/* A message is "NAME:LINE:COL: text" or "NAME: text", NAME one of the
 * sources' (which may hold ':' themselves: every one is tried). */
static inline void fuzz_on_msg(void *ctx, const char *msg)
{
	struct fuzz_msgs *m = ctx;
	bool ok = false;

	m->n++;
	for (size_t i = 0; i < m->nsrc && !ok; i++) {
		const char *name = m->src[i].name ? m->src[i].name : "<buffer>";
		size_t n = strlen(name);
		unsigned line, col;
		int off = 0;

		if (strncmp(msg, name, n) != 0 || msg[n] != ':')
			continue;
		if (msg[n + 1] == ' ')
			ok = msg[n + 2] != '\0';
		else
			ok = sscanf(msg + n + 1, "%u:%u: %n", &line, &col, &off) == 2 && off &&
			     line && col && msg[n + 1 + off];
	}
	if (!ok) {
		fprintf(stderr, "bad message: %s\n", msg);
		abort();
	}
}

/* @s is sorted by (kind, name), each once; every document has a kind, a
 * name and a text that ends in '\n' with no NUL before its end. */
static inline void fuzz_check_set(const struct ctl_docset *s)
{
	if (s->n && !s->docs)
		abort();
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];

		if (!d->kind || !d->name || !d->file || !d->text || !d->kind[0] || !d->name[0] ||
		    !d->len || d->text[d->len - 1] != '\n' || strlen(d->text) != d->len)
			abort();
		if (i) {
			int c = strcmp(s->docs[i - 1].kind, d->kind);

			if (c > 0 || (c == 0 && strcmp(s->docs[i - 1].name, d->name) >= 0))
				abort();
		}
	}
}

/* Every document's kind, name and text of @a equal @b's (and its file, with
 * @files). */
static inline bool fuzz_same_docs(const struct ctl_docset *a, const struct ctl_docset *b,
				  bool files)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct ctl_doc *x = &a->docs[i], *y = &b->docs[i];

		if (strcmp(x->kind, y->kind) || strcmp(x->name, y->name) || x->len != y->len ||
		    memcmp(x->text, y->text, x->len) || (files && strcmp(x->file, y->file)))
			return false;
	}
	return true;
}

/* ctl_docset_text() of @s is each text, after "---\n" unless it starts with
 * its own "--- ". Returns it (free() it), its length in *@ret_len. */
static inline char *fuzz_check_text(const struct ctl_docset *s, size_t *ret_len)
{
	size_t len = 7, off = 0;
	char *t = ctl_docset_text(s, &len);

	if (!t || strlen(t) != len)
		abort();
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];
		bool own = d->len >= 4 && memcmp(d->text, "---", 3) == 0 &&
			   (d->text[3] == ' ' || d->text[3] == '\t' || d->text[3] == '\r' ||
			    d->text[3] == '\n');

		if (!own) {
			if (len - off < 4 || memcmp(t + off, "---\n", 4) != 0)
				abort();
			off += 4;
		}
		if (len - off < d->len || memcmp(t + off, d->text, d->len) != 0)
			abort();
		off += d->len;
	}
	if (off != len)
		abort();
	*ret_len = len;
	return t;
}

/* Whether the loader reads @d's text as JSON, by its name or its start. */
static inline bool fuzz_read_as_json(const char *name, const char *t, size_t len)
{
	size_t n = strlen(name), i = len >= 3 && !memcmp(t, "\xef\xbb\xbf", 3) ? 3 : 0;

	if (n >= 5 && !strcmp(name + n - 5, ".json"))
		return true;
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	return i < len && (t[i] == '{' || t[i] == '[');
}

/* ctl_docset_sources() of @s: one per document, "FILE#KIND/NAME", its text,
 * read as JSON only when the text is JSON. Returns them (free() it; NULL for
 * an empty set). */
static inline struct ctl_source *fuzz_check_sources(const struct ctl_docset *s)
{
	struct ctl_source *src = (struct ctl_source *)1;

	if (ctl_docset_sources(s, &src) != 0 || (!s->n) != !src)
		abort();
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];
		size_t f = strlen(d->file), k = strlen(d->kind), nl = strlen(d->name);
		const char *n = src[i].name;

		if (src[i].text != d->text || src[i].len != d->len || strncmp(n, d->file, f) != 0 ||
		    n[f] != '#' || strncmp(n + f + 1, d->kind, k) != 0 || n[f + 1 + k] != '/' ||
		    strncmp(n + f + k + 2, d->name, nl) != 0 ||
		    (strcmp(n + f + k + 2 + nl, "") &&
		     strcmp(n + f + k + 2 + nl, CTL_DOCSET_YAML_SUFFIX)) ||
		    fuzz_read_as_json(n, d->text, d->len) != fuzz_read_as_json("", d->text, d->len))
			abort();
	}
	return src;
}

#endif
