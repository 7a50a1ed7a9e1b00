/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy_yaml.c - libfyaml's events into one tree per document.
 *
 * The event parser, not libfyaml's document builder: events carry the
 * place of every scalar and container (the document API of libfyaml 0.7
 * gives no place for a mapping), anchors and tags can be refused where they
 * are written, and the tree is ours to bound (depth, size).
 *
 * libfyaml reports syntax errors to a diag. Ours has an output function
 * that keeps the text instead of printing it: nothing reaches stderr. Its
 * first line is "NAME:LINE:COL: error: MESSAGE" (LINE and COL already
 * 1-based), then come the offending source line and a caret, which are
 * dropped. libfyaml stops at its first error, so one is all there is.
 */
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "ctl_policy_int.h"
#include "ctl_utf8.h"

struct frame {
	struct ctl_policy_node *n, *last;
};

struct builder {
	struct ctl_policy_loader *l;
	struct ctl_policy_arena tree;   /* the current document's nodes */
	struct ctl_policy_node *root;
	struct frame st[CTL_POLICY_MAX_DEPTH];
	unsigned depth;
	size_t nodes;
	uint32_t line, col;             /* the last place seen */
	bool stop;                      /* too deep, too large: skip the rest */
	const char *buf;                /* the input, @len bytes */
	size_t len;
	char diag[512];                 /* libfyaml's message */
	size_t ndiag;
};

static void diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct builder *b = user;
	size_t room = sizeof(b->diag) - 1 - b->ndiag;

	(void)diag;
	if (len > room)
		len = room;
	memcpy(b->diag + b->ndiag, buf, len);
	b->ndiag += len;
	b->diag[b->ndiag] = '\0';
}

/* Nodes without a place (an empty value) get the last one seen: the key. */
static void place(struct builder *b, const struct fy_mark *m)
{
	if (m && m->line >= 0 && m->column >= 0) {
		b->line = (uint32_t)m->line + 1;
		b->col = (uint32_t)m->column + 1;
	}
}

/* libfyaml places a quoted scalar at its first character and an anchor at
 * its name; the quote or the '&' before it (@c) is where a reader looks. */
static uint32_t back_over(const struct builder *b, const struct fy_mark *m, char c,
			  uint32_t col)
{
	if (m && m->input_pos > 0 && m->input_pos <= b->len && b->buf[m->input_pos - 1] == c &&
	    col > 1)
		return col - 1;
	return col;
}

static void token_error(struct builder *b, struct fy_token *t, char mark, const char *msg)
{
	const struct fy_mark *m = fy_token_start_mark(t);
	uint32_t line = b->line, col = b->col;

	if (m && m->line >= 0 && m->column >= 0) {
		line = (uint32_t)m->line + 1;
		col = back_over(b, m, mark, (uint32_t)m->column + 1);
	}
	ctl_policy_err_lc(b->l, line, col, "%s", msg);
}

static void properties(struct builder *b, struct fy_token *anchor, struct fy_token *tag)
{
	if (anchor)
		token_error(b, anchor, '&', "anchors and aliases are not supported");
	if (tag)
		token_error(b, tag, '!', "explicit tags are not supported");
}

static struct ctl_policy_node *add(struct builder *b, enum ctl_policy_ntype type,
				   const struct fy_mark *m)
{
	struct ctl_policy_node *n;
	struct frame *f;

	place(b, m);
	if (++b->nodes > CTL_POLICY_MAX_NODES) {
		ctl_policy_err_lc(b->l, b->line, b->col, "the document has more than %u elements",
				  CTL_POLICY_MAX_NODES);
		b->stop = true;
		return NULL;
	}
	n = ctl_policy_arena_alloc(&b->tree, sizeof(*n));
	if (!n) {
		b->l->oom = b->l->stop = true;
		return NULL;
	}
	n->type = (uint8_t)type;
	n->line = b->line;
	n->col = b->col;
	n->text = "";
	if (!b->depth) {
		b->root = n;
		return n;
	}
	f = &b->st[b->depth - 1];
	if (f->last)
		f->last->next = n;
	else
		f->n->kids = n;
	f->last = n;
	f->n->len++;
	return n;
}

static void open_container(struct builder *b, enum ctl_policy_ntype type, const struct fy_mark *m)
{
	struct ctl_policy_node *n = add(b, type, m);

	if (!n)
		return;
	if (b->depth == CTL_POLICY_MAX_DEPTH) {
		ctl_policy_err_lc(b->l, n->line, n->col, "nested deeper than %u levels",
				  CTL_POLICY_MAX_DEPTH);
		b->stop = true;
		return;
	}
	b->st[b->depth++] = (struct frame){ .n = n };
}

static void scalar(struct builder *b, struct fy_event *e)
{
	const struct fy_mark *m = fy_event_start_mark(e);
	struct fy_token *t = e->scalar.value;
	struct ctl_policy_node *n = add(b, CTL_PN_SCALAR, m);
	enum fy_scalar_style style = t ? fy_token_scalar_style(t) : FYSS_PLAIN;
	const char *s;
	size_t len = 0;
	char *copy;

	if (!n)
		return;
	if (style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED)
		n->col = back_over(b, m, style == FYSS_SINGLE_QUOTED ? '\'' : '"', n->col);
	/* libfyaml 0.7.12 leaks a few KiB here on a scalar made of many pieces
	 * (a single-quoted one with ten or more '' escapes); its chunk
	 * iterator, which doesn't leak, gets those scalars wrong. The text
	 * matters more: found by fuzz_policy, left for a libfyaml upgrade. */
	s = t ? fy_token_get_text(t, &len) : NULL;
	if (!s && t && fy_token_get_text_length(t) > 0) {
		b->l->oom = b->l->stop = true;
		return;
	}
	if (!s)
		len = 0;
	copy = ctl_policy_arena_alloc(&b->tree, len + 1);
	if (!copy) {
		b->l->oom = b->l->stop = true;
		return;
	}
	if (len)
		memcpy(copy, s, len);
	n->text = copy;
	n->len = (uint32_t)len;
	n->plain = style == FYSS_PLAIN;
}

/* Each document's tree is dropped once it is read: what the result keeps
 * was copied into its arena. */
static void reset_document(struct builder *b)
{
	b->root = NULL;
	b->depth = 0;
	b->nodes = 0;
	ctl_policy_arena_free(&b->tree);
}

static void event(struct builder *b, struct fy_event *e)
{
	struct ctl_policy_node *n;

	switch (e->type) {
	case FYET_DOCUMENT_START:
		reset_document(b);
		break;
	case FYET_DOCUMENT_END:
		if (b->root)
			ctl_policy_doc_read(b->l, b->root);
		reset_document(b);
		break;
	case FYET_MAPPING_START:
		properties(b, e->mapping_start.anchor, e->mapping_start.tag);
		open_container(b, CTL_PN_MAP, fy_event_start_mark(e));
		break;
	case FYET_SEQUENCE_START:
		properties(b, e->sequence_start.anchor, e->sequence_start.tag);
		open_container(b, CTL_PN_SEQ, fy_event_start_mark(e));
		break;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		if (b->depth)
			b->depth--;
		break;
	case FYET_SCALAR:
		properties(b, e->scalar.anchor, e->scalar.tag);
		scalar(b, e);
		break;
	case FYET_ALIAS:
		/* Kept as an empty value, so the mapping around it still
		 * pairs keys with values. */
		n = add(b, CTL_PN_SCALAR, fy_event_start_mark(e));
		if (n) {
			n->plain = n->reported = true;
			ctl_policy_err(b->l, n, "anchors and aliases are not supported");
		}
		break;
	default:
		break;
	}
}

/* The number that ends right before *@p, not before @s; *@p moves to its
 * first digit. */
static bool number_before(const char *s, const char **p, uint32_t *ret)
{
	const char *q = *p;

	while (q > s && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (q == *p || *p - q > 9)
		return false;
	*ret = (uint32_t)strtoul(q, NULL, 10);
	*p = q;
	return true;
}

/* "NAME:LINE:COL: error: MESSAGE", the first line of libfyaml's report;
 * without a place, the last place an event had. */
static void syntax_error(struct builder *b)
{
	char *line = b->diag, *nl = strchr(line, '\n'), *e;
	uint32_t ln = b->line ? b->line : 1, col = b->col ? b->col : 1, l1, c1;
	const char *msg = "syntax error", *p;

	if (nl)
		*nl = '\0';
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	e = strstr(line, ": error: ");
	if (!e && *line)
		msg = line; /* some reports have no place: "unsupport version number" */
	if (e) {
		msg = e + strlen(": error: ");
		p = e;
		if (number_before(line, &p, &c1) && p > line + 1 && p[-1] == ':' &&
		    (--p, number_before(line, &p, &l1)) && l1 && c1) {
			ln = l1;
			col = c1;
		}
	}
	ctl_policy_err_lc(b->l, ln, col, "%s", msg);
}

/*
 * libfyaml 0.7.12 loops forever on a directive that holds a byte which is
 * not UTF-8 ("%a \xb5", found by fuzz_policy). Policy files are UTF-8
 * anyway: the input is checked before libfyaml sees it.
 */
static bool utf8_ok(struct ctl_policy_loader *l, const char *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)buf;
	uint32_t line = 1, col = 1;

	for (size_t i = 0; i < len; col++) {
		size_t k = ctl_utf8_seq(p + i, len - i);

		if (!k) {
			ctl_policy_err_lc(l, line, col, "not UTF-8: byte 0x%02x", p[i]);
			return false;
		}
		if (p[i] == '\n') {
			line++;
			col = 0;
		}
		i += k;
	}
	return true;
}

void ctl_policy_yaml_read(struct ctl_policy_loader *l, const char *buf, size_t len, bool json)
{
	struct builder b = { .l = l, .buf = buf, .len = len };
	struct fy_parse_cfg pc = { 0 };
	struct fy_parser *p = NULL;
	struct fy_diag_cfg dc;
	struct fy_diag *diag;
	struct fy_event *e;

	if (!utf8_ok(l, buf, len))
		return;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_out;
	dc.user = &b;
	dc.level = FYET_ERROR;
	dc.colorize = false;
	dc.show_source = dc.show_position = dc.show_type = dc.show_module = false;
	diag = fy_diag_create(&dc);
	pc.flags = FYPCF_QUIET | (json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
	pc.diag = diag;
	if (diag)
		p = fy_parser_create(&pc);
	if (!p || fy_parser_set_string(p, buf, len) != 0) {
		l->oom = l->stop = true;
		goto out;
	}
	while (!b.stop && !l->stop && (e = fy_parser_parse(p))) {
		event(&b, e);
		fy_parser_event_free(p, e);
	}
	if (!b.stop && !l->stop && fy_parser_get_stream_error(p))
		syntax_error(&b);
out:
	if (p)
		fy_parser_destroy(p);
	fy_diag_destroy(diag);
	ctl_policy_arena_free(&b.tree);
}
