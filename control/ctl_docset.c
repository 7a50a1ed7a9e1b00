/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_docset.c - the running document set (ctl_docset.h): sources split
 * into documents that keep their own text, edits of the set, the set as one
 * YAML stream, and the diff between two sets.
 *
 * Splitting parses each source once more with libfyaml's event parser and
 * cuts the text at the marks of the events: where a document's content
 * starts and ends, where its `---` is. Nothing is re-emitted: a document's
 * text is bytes of its source (less the indentation of a list it sat in).
 * What to cut, and why, is in ctl_docset.h.
 *
 * The diff compares lines by a longest common subsequence over the part of
 * the two texts between their common first and last lines, one bit per pair
 * of lines (CTL_DOCSET_DIFF_MAX_LINES bounds it to ~3 MiB and 25M steps).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "ctl_docset.h"
#include "ctl_utf8.h"
#include "ctl_policy_int.h"

#define DIFF_CONTEXT 3u
#define DIFF_BUDGET  (100u << 20) /* pairs of lines compared by one ctl_docset_diff() */
#define MAX_LEVELS   4u  /* of nesting followed: a list, a document, metadata */

/* ---------------------------------------------------------------- buffers */

struct tbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct tbuf *t, const char *s, size_t n)
{
	if (t->oom || !n)
		return;
	if (t->cap - t->len <= n) {
		size_t cap = t->cap ? t->cap : 256;
		char *np;

		while (cap - t->len <= n) {
			if (cap > SIZE_MAX / 2) {
				t->oom = true;
				return;
			}
			cap *= 2;
		}
		np = realloc(t->p, cap);
		if (!np) {
			t->oom = true;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void puts_(struct tbuf *t, const char *s)
{
	put(t, s, strlen(s));
}

/* ------------------------------------------------------------------ lines */

/* The start of the line after the one @p is in, or @len: lines end in a
 * LF (the diff's lines, as diff(1) has them). */
static size_t nl_line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = p < len ? memchr(buf + p, '\n', len - p) : NULL;

	return nl ? (size_t)(nl - buf) + 1 : len;
}

/* The same for YAML, where a CR alone ends a line too (libfyaml agrees):
 * indentation stripped only after a LF would leave the next line
 * misaligned. */
static size_t line_end(const char *buf, size_t len, size_t p)
{
	size_t e = nl_line_end(buf, len, p);
	const char *cr = e > p ? memchr(buf + p, '\r', e - p) : NULL;

	if (cr && (size_t)(cr - buf) + 1 < e && buf[(size_t)(cr - buf) + 1] != '\n')
		return (size_t)(cr - buf) + 1;
	return e;
}

static bool at_line_start(const char *buf, size_t len, size_t p)
{
	return p == 0 || buf[p - 1] == '\n' || (buf[p - 1] == '\r' && (p == len || buf[p] != '\n'));
}

enum line_kind { LINE_BLANK, LINE_COMMENT, LINE_OTHER };

static enum line_kind classify(const char *buf, size_t p, size_t q)
{
	while (p < q && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\r'))
		p++;
	if (p == q || buf[p] == '\n')
		return LINE_BLANK;
	return buf[p] == '#' ? LINE_COMMENT : LINE_OTHER;
}

/* Whether [@p, @q) holds only whole blank and comment lines. */
static bool only_comments(const char *buf, size_t p, size_t q)
{
	while (p < q) {
		size_t e = line_end(buf, q, p);

		if (classify(buf, p, e) == LINE_OTHER)
			return false;
		p = e;
	}
	return true;
}

/* Where the text of a document whose content ends at @ce ends: after the
 * rest of that line and the comment lines that follow, not after the blank
 * lines behind them. */
static size_t region_end(const char *buf, size_t len, size_t ce)
{
	size_t p = ce, last;

	if (!at_line_start(buf, len, p))
		p = line_end(buf, len, p);
	last = p;
	while (p < len) {
		size_t q = line_end(buf, len, p);
		enum line_kind k = classify(buf, p, q);

		if (k == LINE_OTHER)
			break;
		p = q;
		if (k == LINE_COMMENT)
			last = p;
	}
	return last;
}

/*
 * Appends [@p, @q) to @t, each line less up to @indent leading spaces (and
 * tabs when @tabs: JSON). Blank lines before the first other line are
 * dropped when @t is still empty.
 */
static void put_lines(struct tbuf *t, const char *buf, size_t p, size_t q, size_t indent,
		      bool tabs)
{
	while (p < q) {
		size_t e = line_end(buf, q, p), k = 0;

		if (!t->len && classify(buf, p, e) == LINE_BLANK) {
			p = e;
			continue;
		}
		while (k < indent && p < e && (buf[p] == ' ' || (tabs && buf[p] == '\t'))) {
			p++;
			k++;
		}
		put(t, buf + p, e - p);
		p = e;
	}
}

/* ------------------------------------------------------------------ UTF-8 */

/* -------------------------------------------------------------- documents */

static void doc_free(struct ctl_doc *d)
{
	free(d->kind);
	free(d->name);
	free(d->file);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static int doc_copy(const struct ctl_doc *d, struct ctl_doc *ret)
{
	struct ctl_doc c = { .len = d->len };

	c.kind = strdup(d->kind);
	c.name = strdup(d->name);
	c.file = strdup(d->file ? d->file : "");
	c.text = malloc(d->len + 1);
	if (!c.kind || !c.name || !c.file || !c.text) {
		doc_free(&c);
		return -ENOMEM;
	}
	memcpy(c.text, d->text, d->len);
	c.text[d->len] = '\0';
	*ret = c;
	return 0;
}

static int cmp_key(const char *kind, const char *name, const struct ctl_doc *d)
{
	int c = strcmp(kind, d->kind);

	return c ? c : strcmp(name, d->name);
}

static int cmp_doc(const struct ctl_doc *a, const struct ctl_doc *b)
{
	return cmp_key(a->kind, a->name, b);
}

/* The index of @kind/@name in @s, or where it would go (*@found false). */
static size_t lookup(const struct ctl_docset *s, const char *kind, const char *name, bool *found)
{
	size_t lo = 0, hi = s->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(kind, name, &s->docs[mid]);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void ctl_docset_free(struct ctl_docset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		doc_free(&s->docs[i]);
	free(s->docs);
	s->docs = NULL;
	s->n = 0;
}

int ctl_docset_copy(const struct ctl_docset *s, struct ctl_docset *ret)
{
	struct ctl_docset c = { 0 };

	if (s->n) {
		c.docs = calloc(s->n, sizeof(*c.docs));
		if (!c.docs)
			return -ENOMEM;
	}
	for (; c.n < s->n; c.n++) {
		if (doc_copy(&s->docs[c.n], &c.docs[c.n]) < 0) {
			ctl_docset_free(&c);
			return -ENOMEM;
		}
	}
	*ret = c;
	return 0;
}

const struct ctl_doc *ctl_docset_find(const struct ctl_docset *s, const char *kind,
				      const char *name)
{
	bool found;
	size_t i = lookup(s, kind, name, &found);

	return found ? &s->docs[i] : NULL;
}

int ctl_docset_remove(struct ctl_docset *s, const char *kind, const char *name)
{
	bool found;
	size_t i = lookup(s, kind, name, &found);

	if (!found)
		return -ENOENT;
	doc_free(&s->docs[i]);
	memmove(&s->docs[i], &s->docs[i + 1], (s->n - i - 1) * sizeof(*s->docs));
	s->n--;
	return 0;
}

int ctl_docset_upsert(struct ctl_docset *s, const struct ctl_docset *add)
{
	struct ctl_docset in = { 0 };
	struct ctl_doc *out;
	size_t i = 0, j = 0, k = 0;
	int r;

	if (!add->n)
		return 0;
	if (s->n > SIZE_MAX / sizeof(*out) - add->n)
		return -ENOMEM;
	r = ctl_docset_copy(add, &in);
	if (r < 0)
		return r;
	out = malloc((s->n + add->n) * sizeof(*out));
	if (!out) {
		ctl_docset_free(&in);
		return -ENOMEM;
	}
	/* Both sorted: a merge, where a document of @add wins a tie. */
	while (i < s->n || j < in.n) {
		int c = i == s->n ? 1 : j == in.n ? -1 : cmp_doc(&s->docs[i], &in.docs[j]);

		if (c < 0) {
			out[k++] = s->docs[i++];
		} else {
			if (c == 0)
				doc_free(&s->docs[i++]);
			out[k++] = in.docs[j++];
		}
	}
	free(in.docs);
	free(s->docs);
	s->docs = out;
	s->n = k;
	return 0;
}


/* What follows "FILE#KIND/NAME": ctl_policy_load_bufs() reads a source whose
 * name ends in ".json" as JSON, and a YAML document may be named so. */
static const char *yaml_suffix(const struct ctl_doc *d)
{
	size_t n = strlen(d->name);

	if (n < 5 || strcmp(d->name + n - 5, ".json") != 0 || ctl_policy_looks_json("", d->text, d->len))
		return "";
	return CTL_DOCSET_YAML_SUFFIX;
}

int ctl_docset_sources(const struct ctl_docset *s, struct ctl_source **ret)
{
	size_t size = s->n * sizeof(struct ctl_source);
	struct ctl_source *src;
	char *names;

	*ret = NULL;
	if (!s->n)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];

		size += strlen(d->file ? d->file : "") + strlen(d->kind) + strlen(d->name) +
			strlen(yaml_suffix(d)) + 3;
	}
	src = malloc(size);
	if (!src)
		return -ENOMEM;
	names = (char *)(src + s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];
		size_t room = size - (size_t)(names - (char *)src);
		int w = snprintf(names, room, "%s#%s/%s%s", d->file ? d->file : "", d->kind, d->name,
				 yaml_suffix(d));

		src[i] = (struct ctl_source){ .name = names, .text = d->text, .len = d->len };
		names += (size_t)w + 1;
	}
	*ret = src;
	return 0;
}

static bool is_marker(const char *t, size_t len)
{
	return len >= 4 && memcmp(t, "---", 3) == 0 &&
	       (t[3] == ' ' || t[3] == '\t' || t[3] == '\r' || t[3] == '\n');
}

char *ctl_docset_text(const struct ctl_docset *s, size_t *ret_len)
{
	struct tbuf t = { 0 };

	put(&t, "", 1); /* "" for an empty set */
	t.len = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];

		if (!is_marker(d->text, d->len))
			puts_(&t, "---\n");
		put(&t, d->text, d->len);
		if (d->len && d->text[d->len - 1] != '\n')
			puts_(&t, "\n");
	}
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	if (ret_len)
		*ret_len = t.len;
	return t.p;
}

/* ------------------------------------------------------------- splitting */

enum key { KEY_OTHER, KEY_KIND, KEY_METADATA, KEY_NAME };

struct level {
	bool map, key_next;
	uint8_t key;         /* the key whose value comes next (maps) */
	uint8_t parent_key;  /* the key this collection is the value of */
};

/* A document found, with where it was for messages. */
struct found {
	struct ctl_doc d;
	uint32_t line, col;
	size_t seq;
};

/* A document being read: its mapping and what was read of it. */
struct object {
	size_t start;       /* its mapping's first byte */
	size_t end;         /* where its content ends */
	uint32_t line, col;  /* 1-based, of @start */
	bool flow;
	char *kind, *name;
};

struct splitter {
	const char *file, *buf;
	size_t len;
	bool json;                 /* the source is read as JSON */
	ctl_policy_error_fn err;
	void *err_ctx;
	int r;
	bool oom;
	struct found *out;         /* every source's documents */
	size_t nout, capout;

	/* the current document */
	size_t bound;              /* where text not yet given to a document starts */
	size_t from;               /* where its text starts (after its `---`) */
	size_t hs, he;             /* comments before its `---`, to put first */
	size_t last_end;           /* where the content read so far ends */
	bool content;              /* it has some */
	unsigned depth, obj_depth; /* obj_depth 1: a mapping; 2: a list of them */
	bool seq_flow;
	size_t seq_indent;
	struct level lv[MAX_LEVELS];
	struct object o;           /* the mapping being read */
	bool in_obj;
	struct object pend;        /* a block list's entry, whose text ends at the next */
	bool have_pend;
	size_t pend_from;
	bool pend_first;
	size_t entry_from;         /* where a block list's next entry's text starts */
	size_t entries;            /* of the list read so far */

	char diag[256];
	size_t ndiag;
};

__attribute__((format(printf, 4, 5))) static void
split_err(struct splitter *sp, uint32_t line, uint32_t col, const char *fmt, ...)
{
	char msg[512], *out;
	va_list ap;
	int w;

	if (sp->r == 0)
		sp->r = -EINVAL;
	if (!sp->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Sized to the name, which a fixed buffer could fill whole (a
	 * document's source from the state file, "FILE#KIND/NAME"). */
	if (line)
		w = asprintf(&out, "%s:%u:%u: %s", sp->file, line, col, msg);
	else
		w = asprintf(&out, "%s: %s", sp->file, msg);
	if (w < 0) {
		sp->oom = true;
		return;
	}
	sp->err(sp->err_ctx, out);
	free(out);
}

static void object_free(struct object *o)
{
	free(o->kind);
	free(o->name);
	memset(o, 0, sizeof(*o));
}

static bool grow_out(struct splitter *sp)
{
	size_t cap = sp->capout ? sp->capout * 2 : 16;
	struct found *f;

	if (sp->nout < sp->capout)
		return true;
	f = realloc(sp->out, cap * sizeof(*f));
	if (!f)
		return false;
	sp->out = f;
	sp->capout = cap;
	return true;
}

/* Takes @o (its strings) and the text in @t into the result. */
static void add_doc(struct splitter *sp, struct object *o, struct tbuf *t)
{
	struct found *f;
	char *file = NULL;

	if (!o->kind || !o->name) {
		split_err(sp, o->line, o->col, "a document without %s",
			  !o->kind ? "`kind` (a string)" : "`metadata.name` (a string)");
		goto out;
	}
	if (!t->len || t->p[t->len - 1] != '\n')
		puts_(t, "\n");
	if (t->oom || !grow_out(sp) || !(file = strdup(sp->file))) {
		sp->oom = true;
		goto out;
	}
	f = &sp->out[sp->nout];
	*f = (struct found){
		.d = { .kind = o->kind, .name = o->name, .file = file, .text = t->p, .len = t->len },
		.line = o->line,
		.col = o->col,
		.seq = sp->nout,
	};
	sp->nout++;
	o->kind = o->name = NULL;
	t->p = NULL;
out:
	free(t->p);
	memset(t, 0, sizeof(*t));
	object_free(o);
}

/* The comments before a document's `---`, then [@p, @q) less @indent. */
static void put_region(struct splitter *sp, struct tbuf *t, bool first, size_t p, size_t q,
		       size_t indent)
{
	if (first && sp->he > sp->hs)
		put_lines(t, sp->buf, sp->hs, sp->he, indent, false);
	put_lines(t, sp->buf, p, q, indent, false);
}

/* A flow mapping that is also JSON is kept as JSON. */
static bool is_json(const struct splitter *sp, const struct object *o)
{
	json_t *j;

	if (sp->json)
		return true;
	if (!o->flow)
		return false;
	j = json_loadb(sp->buf + o->start, o->end - o->start, JSON_REJECT_DUPLICATES, NULL);
	json_decref(j);
	return j != NULL;
}

/* A YAML text that would start with '{' or '[' would be read as JSON. */
static void guard_yaml(struct tbuf *t)
{
	size_t i = 0;
	char *np;

	while (i < t->len && (t->p[i] == ' ' || t->p[i] == '\t' || t->p[i] == '\r' ||
			      t->p[i] == '\n'))
		i++;
	if (t->oom || i == t->len || (t->p[i] != '{' && t->p[i] != '['))
		return;
	np = malloc(t->len + 5);
	if (!np) {
		t->oom = true;
		return;
	}
	memcpy(np, "--- ", 4);
	memcpy(np + 4, t->p, t->len + 1);
	free(t->p);
	t->p = np;
	t->len += 4;
	t->cap = t->len + 1;
}

/* The entry of a block list read last, whose text ends at @end. */
static void flush_pending(struct splitter *sp, size_t end)
{
	struct tbuf t = { 0 };

	if (!sp->have_pend)
		return;
	sp->have_pend = false;
	put_region(sp, &t, sp->pend_first, sp->pend_from, end, sp->seq_indent);
	add_doc(sp, &sp->pend, &t);
}

static void end_object(struct splitter *sp)
{
	struct object *o = &sp->o;
	bool block_entry = sp->obj_depth == 2 && !sp->seq_flow;
	bool first = !sp->entries++;
	size_t from = sp->entry_from;
	struct tbuf t = { 0 };

	sp->in_obj = false;
	o->end = sp->last_end;
	if (block_entry) {
		/* A block list's entry: its text runs from the line after
		 * the entry before to the next entry's first line (the last
		 * one's over the comments after it). */
		sp->entry_from = line_end(sp->buf, sp->len, o->end);
		flush_pending(sp, from);
	}
	if (is_json(sp, o)) {
		put_lines(&t, sp->buf, o->start, o->end, o->col - 1, true);
	} else if (sp->obj_depth == 1) {
		put_region(sp, &t, true, sp->from, region_end(sp->buf, sp->len, o->end), 0);
		guard_yaml(&t);
	} else if (!block_entry) {
		put_lines(&t, sp->buf, o->start, o->end, o->col - 1, false);
		guard_yaml(&t);
	} else {
		sp->pend = *o;
		memset(o, 0, sizeof(*o));
		sp->have_pend = true;
		sp->pend_from = first ? sp->from : from;
		sp->pend_first = first;
		return;
	}
	add_doc(sp, o, &t);
}

/* Whether the line [@p, @q) is a `...` marker (not a scalar "...x"). */
static bool is_doc_end(const char *buf, size_t p, size_t q)
{
	return q - p >= 3 && memcmp(buf + p, "...", 3) == 0 &&
	       (q - p == 3 || buf[p + 3] == ' ' || buf[p + 3] == '\t' || buf[p + 3] == '\r' ||
		buf[p + 3] == '\n');
}

/* Where an implicit document's text starts: after the `...` lines (and the
 * comments among them) that end no document, which libfyaml skips. */
static size_t past_doc_ends(const char *buf, size_t len, size_t p)
{
	size_t from = p;

	while (p < len) {
		size_t q = line_end(buf, len, p);

		if (classify(buf, p, q) == LINE_OTHER) {
			if (!is_doc_end(buf, p, q))
				break;
			from = q;
		}
		p = q;
	}
	return from;
}

static void doc_start(struct splitter *sp, struct fy_event *e)
{
	const struct fy_mark *m = fy_event_start_mark(e), *me = fy_event_end_mark(e);

	sp->depth = sp->obj_depth = 0;
	sp->content = false;
	sp->hs = sp->he = 0;
	sp->from = sp->entry_from = sp->bound;
	sp->entries = 0;
	if (e->document_start.implicit)
		sp->from = sp->entry_from = past_doc_ends(sp->buf, sp->len, sp->bound);
	if (e->document_start.implicit || !m || !me || me->input_pos > sp->len)
		return;
	/* Comments alone before the `---` are the document's too. */
	if (m->input_pos >= sp->bound && only_comments(sp->buf, sp->bound, m->input_pos)) {
		sp->hs = sp->bound;
		sp->he = m->input_pos;
	}
	/* "--- # comment" keeps the comment; "---\n" starts on the next line. */
	sp->from = me->input_pos;
	while (sp->from < sp->len && (sp->buf[sp->from] == ' ' || sp->buf[sp->from] == '\t'))
		sp->from++;
	if (sp->from < sp->len && sp->buf[sp->from] == '\r')
		sp->from++;
	if (sp->from < sp->len && sp->buf[sp->from] == '\n')
		sp->from++;
	sp->entry_from = sp->from;
}

static void doc_end(struct splitter *sp, struct fy_event *e)
{
	size_t p;

	if (sp->have_pend)
		flush_pending(sp, region_end(sp->buf, sp->len, sp->pend.end));
	sp->bound = sp->content ? region_end(sp->buf, sp->len, sp->last_end) : sp->from;
	if (e->document_end.implicit)
		return;
	/* After a `...`, what follows it is the next document's. */
	for (p = sp->bound; p < sp->len;) {
		size_t q = line_end(sp->buf, sp->len, p);

		if (classify(sp->buf, p, q) == LINE_OTHER) {
			if (q - p >= 3 && memcmp(sp->buf + p, "...", 3) == 0)
				sp->bound = q;
			break;
		}
		p = q;
	}
}

static void content_to(struct splitter *sp, size_t end)
{
	if (end <= sp->len && end > sp->last_end)
		sp->last_end = end;
	sp->content = true;
}

/* A scalar, an alias or a collection opens at depth sp->depth (0: the
 * root): pairs it with its key, returns the key it is the value of. */
static uint8_t item(struct splitter *sp, const char *text, size_t len, bool scalar)
{
	struct level *l;
	uint8_t key;

	if (!sp->depth || sp->depth >= MAX_LEVELS)
		return KEY_OTHER;
	l = &sp->lv[sp->depth];
	if (!l->map)
		return KEY_OTHER;
	if (l->key_next) {
		l->key_next = false;
		l->key = KEY_OTHER;
		if (!scalar)
			return KEY_OTHER;
		if (sp->depth == sp->obj_depth && len == 4 && memcmp(text, "kind", 4) == 0)
			l->key = KEY_KIND;
		else if (sp->depth == sp->obj_depth && len == 8 && memcmp(text, "metadata", 8) == 0)
			l->key = KEY_METADATA;
		else if (sp->depth == sp->obj_depth + 1 && l->parent_key == KEY_METADATA && len == 4 &&
			 memcmp(text, "name", 4) == 0)
			l->key = KEY_NAME;
		return KEY_OTHER;
	}
	l->key_next = true;
	key = l->key;
	l->key = KEY_OTHER;
	return key;
}

static void set_string(struct splitter *sp, char **dst, const char *text, size_t len)
{
	char *s;

	if (!len || memchr(text, '\0', len))
		return;
	s = malloc(len + 1);
	if (!s) {
		sp->oom = true;
		return;
	}
	memcpy(s, text, len);
	s[len] = '\0';
	free(*dst);
	*dst = s;
}

static bool is_null(const char *s, size_t n)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };

	if (!n)
		return true;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strlen(nulls[i]) == n && memcmp(nulls[i], s, n) == 0)
			return true;
	return false;
}

static void not_a_document(struct splitter *sp, const struct fy_mark *m)
{
	uint32_t line = m ? (uint32_t)m->line + 1 : 1, col = m ? (uint32_t)m->column + 1 : 1;

	split_err(sp, line, col, "not a document: a mapping (or a list of them) is expected");
}

static void scalar(struct splitter *sp, struct fy_event *e)
{
	const struct fy_mark *m = fy_event_start_mark(e), *me = fy_event_end_mark(e);
	struct fy_token *t = fy_event_get_token(e);
	enum fy_scalar_style style = FYSS_PLAIN;
	const char *text = NULL;
	size_t len = 0, end;
	uint8_t key;

	if (e->type == FYET_SCALAR && t) {
		style = fy_token_scalar_style(t);
		text = fy_token_get_text(t, &len);
		if (!text && fy_token_get_text_length(t) > 0) {
			sp->oom = true;
			return;
		}
	}
	if (!text)
		len = 0;
	if (sp->depth == 0 || sp->depth + 1 == sp->obj_depth) {
		/* The root (empty: a document of comments), or an entry of
		 * the list of documents. */
		if (sp->depth || style != FYSS_PLAIN || !is_null(text, len) || e->type != FYET_SCALAR)
			not_a_document(sp, m);
		return;
	}
	if (me) {
		/* libfyaml's marks leave the closing quote out. */
		end = me->input_pos;
		if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && end < sp->len &&
		    sp->buf[end] == (style == FYSS_SINGLE_QUOTED ? '\'' : '"'))
			end++;
		content_to(sp, end);
	}
	key = item(sp, text, len, e->type == FYET_SCALAR);
	if (!sp->in_obj || e->type != FYET_SCALAR)
		return;
	if (key == KEY_KIND && sp->depth == sp->obj_depth)
		set_string(sp, &sp->o.kind, text, len);
	else if (key == KEY_NAME && sp->depth == sp->obj_depth + 1)
		set_string(sp, &sp->o.name, text, len);
}

static void open_collection(struct splitter *sp, struct fy_event *e, bool map)
{
	const struct fy_mark *m = fy_event_start_mark(e);
	struct fy_token *t = fy_event_get_token(e);
	enum fy_token_type tt = t ? fy_token_get_type(t) : FYTT_NONE;
	uint8_t parent = item(sp, NULL, 0, false);

	if (sp->depth == 0) {
		sp->obj_depth = map ? 1 : 2;
		if (!map) {
			sp->seq_flow = tt == FYTT_FLOW_SEQUENCE_START;
			/* libfyaml's column (characters, not bytes) is
			 * what to strip: only blanks are stripped. */
			sp->seq_indent = m ? (size_t)m->column : 0;
		}
	}
	if (sp->depth + 1 == sp->obj_depth) {
		if (!map) {
			not_a_document(sp, m);
		} else {
			object_free(&sp->o);
			sp->in_obj = true;
			sp->o.start = m && m->input_pos <= sp->len ? m->input_pos : sp->last_end;
			sp->o.line = m ? (uint32_t)m->line + 1 : 1;
			sp->o.col = m ? (uint32_t)m->column + 1 : 1;
			sp->o.flow = tt == FYTT_FLOW_MAPPING_START;
		}
	}
	sp->depth++;
	if (sp->depth < MAX_LEVELS)
		sp->lv[sp->depth] = (struct level){ .map = map, .key_next = true, .parent_key = parent };
	sp->content = true;
}

static void close_collection(struct splitter *sp, struct fy_event *e)
{
	const struct fy_mark *me = fy_event_end_mark(e);
	struct fy_token *t = fy_event_get_token(e);
	enum fy_token_type tt = t ? fy_token_get_type(t) : FYTT_NONE;

	if (me && (tt == FYTT_FLOW_MAPPING_END || tt == FYTT_FLOW_SEQUENCE_END))
		content_to(sp, me->input_pos);
	if (!sp->depth)
		return;
	if (sp->depth == sp->obj_depth && sp->in_obj)
		end_object(sp);
	sp->depth--;
}

static void event(struct splitter *sp, struct fy_event *e)
{
	switch (e->type) {
	case FYET_DOCUMENT_START:
		doc_start(sp, e);
		break;
	case FYET_DOCUMENT_END:
		doc_end(sp, e);
		break;
	case FYET_MAPPING_START:
	case FYET_SEQUENCE_START:
		open_collection(sp, e, e->type == FYET_MAPPING_START);
		break;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		close_collection(sp, e);
		break;
	case FYET_SCALAR:
	case FYET_ALIAS:
		scalar(sp, e);
		break;
	default:
		break;
	}
}

static void diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct splitter *sp = user;
	size_t room = sizeof(sp->diag) - 1 - sp->ndiag;

	(void)diag;
	if (len > room)
		len = room;
	memcpy(sp->diag + sp->ndiag, buf, len);
	sp->ndiag += len;
	sp->diag[sp->ndiag] = '\0';
}

static void split_source(struct splitter *sp, const struct ctl_source *src)
{
	struct fy_parse_cfg pc = { 0 };
	struct fy_parser *p = NULL;
	struct fy_diag *diag = NULL;
	struct fy_diag_cfg dc;
	struct fy_event *e;
	const char *nul;
	size_t bad;

	sp->file = src->name ? src->name : "<buffer>";
	sp->buf = src->text ? src->text : "";
	sp->len = src->text ? src->len : 0;
	sp->json = ctl_policy_looks_json(sp->file, sp->buf, sp->len);
	sp->bound = sp->len >= 3 && memcmp(sp->buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	sp->last_end = sp->bound;
	sp->depth = sp->obj_depth = 0;
	sp->in_obj = sp->have_pend = false;
	sp->ndiag = 0;
	sp->diag[0] = '\0';
	if (sp->len > CTL_POLICY_MAX_INPUT) {
		split_err(sp, 0, 0, "larger than the limit of %u MiB", CTL_POLICY_MAX_INPUT >> 20);
		return;
	}
	/* libfyaml 0.7.12 can loop on bytes that are not UTF-8. */
	bad = ctl_utf8_bad(sp->buf, sp->len);
	if (bad < sp->len) {
		split_err(sp, 0, 0, "not UTF-8 at byte %zu", bad);
		return;
	}
	/* Neither YAML nor JSON allows one, yet libfyaml takes it in a
	 * comment: a text with a NUL would not survive the state file
	 * (ctl_state.c refuses it) nor anything that takes it as a string. */
	nul = memchr(sp->buf, '\0', sp->len);
	if (nul) {
		split_err(sp, 0, 0, "a NUL byte at byte %zu", (size_t)(nul - sp->buf));
		return;
	}
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_out;
	dc.user = sp;
	dc.level = FYET_ERROR;
	dc.colorize = false;
	dc.show_source = dc.show_position = dc.show_type = dc.show_module = false;
	diag = fy_diag_create(&dc);
	pc.flags = FYPCF_QUIET | (sp->json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
	pc.diag = diag;
	if (diag)
		p = fy_parser_create(&pc);
	if (!p || fy_parser_set_string(p, sp->buf, sp->len) != 0) {
		sp->oom = true;
		goto out;
	}
	while (!sp->oom && (e = fy_parser_parse(p))) {
		event(sp, e);
		fy_parser_event_free(p, e);
	}
	if (!sp->oom && fy_parser_get_stream_error(p)) {
		char *nl = strchr(sp->diag, '\n'), *what;

		if (nl)
			*nl = '\0';
		/* Past libfyaml's "<memory-@0x...>:1:3: error: ". */
		what = strstr(sp->diag, "error: ");
		what = what ? what + 7 : sp->diag;
		split_err(sp, 0, 0, "cannot be split into documents: %s",
			  what[0] ? what : "syntax error");
	}
out:
	if (p)
		fy_parser_destroy(p);
	fy_diag_destroy(diag);
	object_free(&sp->o);
	object_free(&sp->pend);
	sp->in_obj = sp->have_pend = false;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = cmp_doc(&x->d, &y->d);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

int ctl_docset_split(const struct ctl_source *src, size_t n, ctl_policy_error_fn err, void *ctx,
		     struct ctl_docset *ret)
{
	struct splitter sp = { .err = err, .err_ctx = ctx };
	struct ctl_docset s = { 0 };
	int r;

	for (size_t i = 0; i < n && !sp.oom; i++)
		split_source(&sp, &src[i]);
	if (!sp.oom && sp.nout) {
		qsort(sp.out, sp.nout, sizeof(*sp.out), cmp_found);
		for (size_t i = 1; i < sp.nout; i++) {
			const struct found *a = &sp.out[i - 1], *b = &sp.out[i];

			if (cmp_doc(&a->d, &b->d) == 0) {
				sp.file = b->d.file;
				split_err(&sp, b->line, b->col, "duplicate %s `%s` (first in %s:%u:%u)",
					  b->d.kind, b->d.name, a->d.file, a->line, a->col);
			}
		}
	}
	r = sp.oom ? -ENOMEM : sp.r;
	if (r == 0 && sp.nout) {
		s.docs = malloc(sp.nout * sizeof(*s.docs));
		if (!s.docs)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < sp.nout; i++) {
		if (r == 0)
			s.docs[s.n++] = sp.out[i].d;
		else
			doc_free(&sp.out[i].d);
	}
	free(sp.out);
	if (r == 0)
		*ret = s;
	return r;
}

/* ------------------------------------------------------------------- diff */

struct line {
	const char *p;
	size_t len;
	uint64_t h;
};

static size_t count_lines(const char *t, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += t[i] == '\n';
	return n + (len && t[len - 1] != '\n');
}

static void fill_lines(const char *t, size_t len, struct line *l)
{
	size_t p = 0;

	while (p < len) {
		size_t e = nl_line_end(t, len, p);
		uint64_t h = 0xcbf29ce484222325ull;

		for (size_t i = p; i < e; i++)
			h = (h ^ (unsigned char)t[i]) * 0x100000001b3ull;
		*l++ = (struct line){ .p = t + p, .len = e - p, .h = h };
		p = e;
	}
}

static bool line_eq(const struct line *a, const struct line *b)
{
	return a->h == b->h && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

struct op {
	char c;                  /* ' ', '-', '+' */
	const struct line *l;
};

/* The edit script from @a to @b (@na, @nb lines) into @ops (na + nb long):
 * its length, or 0 with *@oom, or 0 with *@over when it would take more
 * than *@budget (NULL: no limit) steps. */
static size_t edit_script(const struct line *a, size_t na, const struct line *b, size_t nb,
			  struct op *ops, uint64_t *budget, bool *oom, bool *over)
{
	size_t pre = 0, suf = 0, n, m, k = 0, i, j;
	uint32_t *next = NULL, *cur = NULL;
	uint8_t *dir = NULL;

	while (pre < na && pre < nb && line_eq(&a[pre], &b[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre && line_eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
		suf++;
	n = na - pre - suf;
	m = nb - pre - suf;
	if (budget) {
		if ((uint64_t)n * m > *budget) {
			*over = true;
			return 0;
		}
		*budget -= (uint64_t)n * m;
	}
	for (i = 0; i < pre; i++)
		ops[k++] = (struct op){ ' ', &a[i] };
	if (n && m) {
		/* dir bit (i, j): a[i] is dropped rather than b[j] inserted. */
		next = calloc(m + 1, sizeof(*next));
		cur = calloc(m + 1, sizeof(*cur));
		dir = calloc((n * m + 7) / 8, 1);
		if (!next || !cur || !dir) {
			*oom = true;
			goto out;
		}
		for (i = n; i-- > 0;) {
			uint32_t *sw;

			cur[m] = 0;
			for (j = m; j-- > 0;) {
				if (line_eq(&a[pre + i], &b[pre + j])) {
					cur[j] = next[j + 1] + 1;
				} else if (next[j] >= cur[j + 1]) {
					cur[j] = next[j];
					dir[(i * m + j) / 8] |= (uint8_t)(1u << ((i * m + j) % 8));
				} else {
					cur[j] = cur[j + 1];
				}
			}
			sw = next;
			next = cur;
			cur = sw;
		}
	}
	for (i = j = 0; i < n || j < m;) {
		if (i < n && j < m && line_eq(&a[pre + i], &b[pre + j])) {
			ops[k++] = (struct op){ ' ', &a[pre + i] };
			i++;
			j++;
		} else if (j == m ||
			   (i < n && (dir[(i * m + j) / 8] & (1u << ((i * m + j) % 8))))) {
			ops[k++] = (struct op){ '-', &a[pre + i++] };
		} else {
			ops[k++] = (struct op){ '+', &b[pre + j++] };
		}
	}
	for (i = 0; i < suf; i++)
		ops[k++] = (struct op){ ' ', &a[na - suf + i] };
out:
	free(next);
	free(cur);
	free(dir);
	return *oom ? 0 : k;
}

static void put_range(struct tbuf *t, size_t before, size_t count)
{
	char b[48];

	if (count == 1)
		snprintf(b, sizeof(b), "%zu", before + 1);
	else
		snprintf(b, sizeof(b), "%zu,%zu", count ? before + 1 : before, count);
	puts_(t, b);
}

static void put_hunks(struct tbuf *t, const struct op *ops, size_t nops)
{
	size_t k = 0, pos = 0, oldn = 0, newn = 0;

	while (k < nops) {
		size_t start, end, stop, oc = 0, nc = 0;

		while (k < nops && ops[k].c == ' ')
			k++;
		if (k == nops)
			break;
		start = k > DIFF_CONTEXT ? k - DIFF_CONTEXT : 0;
		end = k;
		for (;;) {
			size_t q;

			while (end < nops && ops[end].c != ' ')
				end++;
			q = end;
			while (q < nops && ops[q].c == ' ')
				q++;
			if (q == nops || q - end > 2 * DIFF_CONTEXT)
				break;
			end = q;
		}
		stop = end + DIFF_CONTEXT < nops ? end + DIFF_CONTEXT : nops;
		for (; pos < start; pos++) {
			oldn += ops[pos].c != '+';
			newn += ops[pos].c != '-';
		}
		for (size_t i = start; i < stop; i++) {
			oc += ops[i].c != '+';
			nc += ops[i].c != '-';
		}
		puts_(t, "@@ -");
		put_range(t, oldn, oc);
		puts_(t, " +");
		put_range(t, newn, nc);
		puts_(t, " @@\n");
		for (size_t i = start; i < stop; i++) {
			const struct line *l = ops[i].l;

			put(t, &ops[i].c, 1);
			put(t, l->p, l->len);
			if (!l->len || l->p[l->len - 1] != '\n')
				puts_(t, "\n\\ No newline at end of file\n");
		}
		k = stop;
	}
}

static char *unified(const char *a, size_t alen, const char *b, size_t blen, uint64_t *budget)
{
	size_t na = count_lines(a, alen), nb = count_lines(b, blen), nops;
	struct line *la = NULL, *lb = NULL;
	struct op *ops = NULL;
	struct tbuf t = { 0 };
	bool oom = false, large = false;

	put(&t, "", 1);
	t.len = 0;
	if (alen == blen && memcmp(a, b, alen) == 0)
		goto out;
	large = na > CTL_DOCSET_DIFF_MAX_LINES || nb > CTL_DOCSET_DIFF_MAX_LINES;
	if (large)
		goto out;
	la = malloc((na + 1) * sizeof(*la));
	lb = malloc((nb + 1) * sizeof(*lb));
	ops = malloc((na + nb + 1) * sizeof(*ops));
	if (!la || !lb || !ops) {
		oom = true;
		goto out;
	}
	fill_lines(a, alen, la);
	fill_lines(b, blen, lb);
	nops = edit_script(la, na, lb, nb, ops, budget, &oom, &large);
	if (oom || large)
		goto out;
	puts_(&t, "--- running\n+++ new\n");
	put_hunks(&t, ops, nops);
out:
	if (large) {
		char m[96];

		snprintf(m, sizeof(m), "(%zu lines -> %zu lines; too large to show)", na, nb);
		puts_(&t, m);
	}
	free(la);
	free(lb);
	free(ops);
	if (oom || t.oom) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

char *ctl_docset_unified_diff(const char *a, size_t alen, const char *b, size_t blen)
{
	return unified(a, alen, b, blen, NULL);
}

/* Appends {"kind", "name"} (and "diff") to @arr; false when out of memory. */
static bool diff_entry(json_t *arr, const struct ctl_doc *d, const struct ctl_doc *was,
		       uint64_t *budget)
{
	json_t *o = json_object();
	char *u = NULL;
	bool ok = false;

	if (!o)
		return false;
	if (json_object_set_new(o, "kind", json_string(d->kind)) < 0 ||
	    json_object_set_new(o, "name", json_string(d->name)) < 0)
		goto out;
	if (was) {
		u = unified(was->text, was->len, d->text, d->len, budget);
		if (!u || json_object_set_new(o, "diff", json_string(u)) < 0)
			goto out;
	}
	ok = json_array_append(arr, o) == 0;
out:
	free(u);
	json_decref(o);
	return ok;
}

json_t *ctl_docset_diff(const struct ctl_docset *old, const struct ctl_docset *new_set,
			bool *ret_changed)
{
	json_t *res = json_object(), *added = json_array(), *removed = json_array(),
	       *changed = json_array();
	uint64_t budget = DIFF_BUDGET;
	size_t i = 0, j = 0;
	bool ok = res && added && removed && changed;

	while (ok && (i < old->n || j < new_set->n)) {
		const struct ctl_doc *a = i < old->n ? &old->docs[i] : NULL;
		const struct ctl_doc *b = j < new_set->n ? &new_set->docs[j] : NULL;
		int c = !a ? 1 : !b ? -1 : cmp_doc(a, b);

		if (c < 0) {
			ok = diff_entry(removed, a, NULL, NULL);
			i++;
		} else if (c > 0) {
			ok = diff_entry(added, b, NULL, NULL);
			j++;
		} else {
			if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0)
				ok = diff_entry(changed, b, a, &budget);
			i++;
			j++;
		}
	}
	if (ok)
		ok = json_object_set(res, "added", added) == 0 &&
		     json_object_set(res, "removed", removed) == 0 &&
		     json_object_set(res, "changed", changed) == 0;
	if (ok && ret_changed)
		*ret_changed = json_array_size(added) || json_array_size(removed) ||
			       json_array_size(changed);
	json_decref(added);
	json_decref(removed);
	json_decref(changed);
	if (!ok) {
		json_decref(res);
		return NULL;
	}
	return res;
}
