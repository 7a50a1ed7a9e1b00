/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_rules.c - the rule loader: splits a rule file into logical rules,
 * parses each rule's header and options, validates the whole rule, and
 * collects the result into a struct dpi_rule_set (see dpi_rules.h for the
 * accepted subset and its semantics). Addresses and ports are compiled by
 * dpi_rules_net.c.
 *
 * The parser works on one logical rule at a time, copied out of the file
 * with its continuation lines joined; every scan runs against an end
 * pointer, so the input need not be NUL-terminated. A rule with an error is
 * dropped, the next rule is parsed, and all errors reach the callback; any
 * error fails the load, so a set is either complete or not built at all.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpi_rules_priv.h"

/* ---- arena ---- */

struct arena_blk {
	struct arena_blk *next;
	size_t size, used;
	max_align_t data[];
};

struct dpi_rules_arena {
	struct arena_blk *head;
};

void *dpi_rules_arena_alloc(struct dpi_rules_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	struct arena_blk *b = a->head;
	void *p;

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (!b || b->size - b->used < n) {
		size_t size = n > 65536 ? n : 65536;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *dpi_rules_arena_strndup(struct dpi_rules_arena *a, const char *s, size_t n)
{
	char *d = dpi_rules_arena_alloc(a, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void arena_free(struct dpi_rules_arena *a)
{
	struct arena_blk *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

/* ---- names ---- */

const char *const dpi_rule_buffer_names[DPI_RB__COUNT] = {
	[DPI_RB_STREAM] = "stream",
	[DPI_RB_HTTP_URI] = "http.uri",
	[DPI_RB_HTTP_URI_RAW] = "http.uri.raw",
	[DPI_RB_HTTP_METHOD] = "http.method",
	[DPI_RB_HTTP_HOST] = "http.host",
	[DPI_RB_HTTP_HEADER] = "http.header",
	[DPI_RB_HTTP_USER_AGENT] = "http.user_agent",
	[DPI_RB_HTTP_COOKIE] = "http.cookie",
	[DPI_RB_HTTP_REQUEST_BODY] = "http.request_body",
	[DPI_RB_HTTP_PARAM] = "http.param",
	[DPI_RB_DNS_QUERY] = "dns.query",
	[DPI_RB_TLS_SNI] = "tls.sni",
	[DPI_RB_SQL_QUERY] = "sql.query",
};

static const char *const action_names[] = {"alert", "drop", "pass", "reject"};
static const char *const proto_names[] = {"ip", "tcp", "udp", "http", "dns", "tls"};
static const char *const app_names[] = {"none", "http", "dns", "tls", "sql"};

const char *dpi_rule_buffer_name(unsigned b)
{
	return b < DPI_RB__COUNT ? dpi_rule_buffer_names[b] : NULL;
}

const char *dpi_rule_action_name(unsigned a)
{
	return a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : NULL;
}

const char *dpi_rule_proto_name(unsigned p)
{
	return p < sizeof(proto_names) / sizeof(proto_names[0]) ? proto_names[p] : NULL;
}

static enum dpi_rule_app buffer_app(enum dpi_rule_buffer b)
{
	switch (b) {
	case DPI_RB_STREAM:
		return DPI_RULE_APP_NONE;
	case DPI_RB_DNS_QUERY:
		return DPI_RULE_APP_DNS;
	case DPI_RB_TLS_SNI:
		return DPI_RULE_APP_TLS;
	case DPI_RB_SQL_QUERY:
		return DPI_RULE_APP_SQL;
	default:
		return DPI_RULE_APP_HTTP;
	}
}

/* ---- errors ---- */

void dpi_rules_pos(const struct dpi_rules_ctx *c, const char *pos, unsigned *line,
			   unsigned *col)
{
	size_t off = (size_t)(pos - c->text), i = 0;

	while (i + 1 < c->n_segs && c->segs[i + 1].off <= off)
		i++;
	*line = c->segs[i].line;
	*col = (unsigned)(off - c->segs[i].off) + 1;
}

static void report(struct dpi_rules_ctx *c, unsigned line, unsigned col, const char *msg)
{
	char text[1400];
	struct dpi_rule_error e = {.file = c->file, .line = line, .col = col, .msg = msg};

	if (line && col)
		snprintf(text, sizeof(text), "%s:%u:%u: %s", c->file, line, col, msg);
	else if (line)
		snprintf(text, sizeof(text), "%s:%u: %s", c->file, line, msg);
	else
		snprintf(text, sizeof(text), "%s: %s", c->file, msg);
	e.text = text;
	if (c->err_cb)
		c->err_cb(c->err_ctx, &e);
}

static void vreport_at(struct dpi_rules_ctx *c, unsigned line, unsigned col, const char *fmt,
		       va_list ap) __attribute__((format(printf, 4, 0)));

static void vreport_at(struct dpi_rules_ctx *c, unsigned line, unsigned col, const char *fmt,
		       va_list ap)
{
	char msg[1024];

	if (c->gave_up)
		return;
	if (c->n_errors >= DPI_RULES_MAX_ERRORS) {
		c->gave_up = true;
		report(c, 0, 0, "too many errors, giving up");
		return;
	}
	c->n_errors++;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	report(c, line, col, msg);
}

void dpi_rules_error(struct dpi_rules_ctx *c, const char *pos, const char *fmt, ...)
{
	unsigned line = c->n_segs ? c->segs[0].line : 0, col = 0;
	va_list ap;

	if (pos && c->n_segs && pos >= c->text && pos <= c->text + c->len)
		dpi_rules_pos(c, pos, &line, &col);
	va_start(ap, fmt);
	vreport_at(c, line, col, fmt, ap);
	va_end(ap);
}

static void file_error(struct dpi_rules_ctx *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void file_error(struct dpi_rules_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_at(c, line, 0, fmt, ap);
	va_end(ap);
}

/* ---- sids ---- */

int dpi_rules_sid_insert(struct loader *ld, const char *pos, uint32_t sid)
{
	size_t mask, i;

	if (ld->sid_n * 2 >= ld->sid_cap) {
		size_t cap = ld->sid_cap ? ld->sid_cap * 2 : 256;
		struct sid_slot *t = calloc(cap, sizeof(*t));

		if (!t) {
			ld->c.oom = true;
			return -ENOMEM;
		}
		for (size_t j = 0; j < ld->sid_cap; j++) {
			if (!ld->sids[j].sid)
				continue;
			for (i = ld->sids[j].sid * 2654435761u & (cap - 1); t[i].sid; i = (i + 1) & (cap - 1))
				;
			t[i] = ld->sids[j];
		}
		free(ld->sids);
		ld->sids = t;
		ld->sid_cap = cap;
	}
	mask = ld->sid_cap - 1;
	for (i = sid * 2654435761u & mask; ld->sids[i].sid; i = (i + 1) & mask) {
		if (ld->sids[i].sid == sid) {
			dpi_rules_error(&ld->c, pos, "duplicate sid %u (first used at %s:%u)", sid,
					ld->sids[i].file, ld->sids[i].line);
			return -EINVAL;
		}
	}
	ld->sids[i].sid = sid;
	ld->sids[i].file = ld->c.file;
	ld->sids[i].line = ld->c.segs[0].line;
	ld->sid_n++;
	return 0;
}

/* ---- whole-rule checks ---- */

static bool same_buffer(const struct dpi_rule_match *a, const struct dpi_rule_match *b)
{
	return a->buffer == b->buffer && a->transforms == b->transforms;
}

static void check_app(struct loader *ld, struct rstate *st)
{
	struct dpi_rule *r = &st->r;

	switch (r->proto) {
	case DPI_RULE_PROTO_HTTP:
		r->app = DPI_RULE_APP_HTTP;
		break;
	case DPI_RULE_PROTO_DNS:
		r->app = DPI_RULE_APP_DNS;
		break;
	case DPI_RULE_PROTO_TLS:
		r->app = DPI_RULE_APP_TLS;
		break;
	default:
		r->app = DPI_RULE_APP_NONE;
		break;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct dpi_rule_match *m = &ld->m[i];
		enum dpi_rule_app a = buffer_app(m->buffer);

		if (a == DPI_RULE_APP_NONE || a == r->app)
			continue;
		if (r->app == DPI_RULE_APP_NONE &&
		    (r->proto != DPI_RULE_PROTO_UDP || a == DPI_RULE_APP_DNS)) {
			r->app = a;
			continue;
		}
		if (r->app == DPI_RULE_APP_NONE || r->proto == DPI_RULE_PROTO_HTTP ||
		    r->proto == DPI_RULE_PROTO_DNS || r->proto == DPI_RULE_PROTO_TLS)
			dpi_rules_error(&ld->c, ld->mp[i].pos, "'%s' cannot be used in a %s rule",
					dpi_rule_buffer_names[m->buffer], proto_names[r->proto]);
		else
			dpi_rules_error(&ld->c, ld->mp[i].pos, "rule mixes %s and %s buffers",
					app_names[r->app], app_names[a]);
		st->bad = true;
		return;
	}
}

static bool has_upper(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return true;
	return false;
}

static void check_matches(struct loader *ld, struct rstate *st)
{
	struct dpi_rule_match *m = ld->m;
	size_t n = st->n;

	for (size_t i = 0; i < n; i++) {
		if (m[i].buffer != DPI_RB_STREAM && st->r.flow_dir == DPI_FLOW_TO_CLIENT) {
			dpi_rules_error(&ld->c, ld->mp[i].pos,
					"'%s' inspects requests, but the rule has flow:to_client",
					dpi_rule_buffer_names[m[i].buffer]);
			st->bad = true;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool rel = m[i].has_distance || m[i].has_within || m[i].relative;

		if (!rel)
			continue;
		for (size_t j = i; j-- > 0;) {
			if ((m[j].type == DPI_RM_CONTENT || m[j].type == DPI_RM_PCRE) &&
			    same_buffer(&m[j], &m[i])) {
				m[i].rel_to = (int)j;
				break;
			}
		}
		if (m[i].rel_to < 0) {
			dpi_rules_error(&ld->c, ld->mp[i].rel_pos,
					"'%s' needs a preceding content or pcre in the same buffer (%s)",
					ld->mp[i].rel_kw, dpi_rule_buffer_names[m[i].buffer]);
			st->bad = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].type != DPI_RM_CONTENT)
			continue;
		if (m[i].buffer == DPI_RB_DNS_QUERY)
			m[i].nocase = true;
		if ((m[i].buffer == DPI_RB_HTTP_HOST || (m[i].transforms & DPI_RT_TO_LOWERCASE)) &&
		    !m[i].nocase && has_upper(m[i].bytes, m[i].len)) {
			dpi_rules_error(&ld->c, ld->mp[i].pos,
					"content has upper-case letters but %s%s is lower-case: write it in lower case or add nocase",
					dpi_rule_buffer_names[m[i].buffer],
					m[i].transforms & DPI_RT_TO_LOWERCASE ? " with to_lowercase" : "");
			st->bad = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].type != DPI_RM_BSIZE || m[i].negated)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (m[j].type == DPI_RM_CONTENT && !m[j].negated && same_buffer(&m[i], &m[j]) &&
			    m[j].len > m[i].bsize_max) {
				dpi_rules_error(&ld->c, ld->mp[j].pos,
						"content of %zu bytes cannot match with bsize at most %llu",
						m[j].len, (unsigned long long)m[i].bsize_max);
				st->bad = true;
			}
		}
	}
}

static int pick_fast_pattern(const struct dpi_rule_match *m, size_t n)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if (m[i].type == DPI_RM_CONTENT && m[i].fast_pattern && !m[i].negated)
			return (int)i;
	for (size_t i = 0; i < n; i++)
		if (m[i].type == DPI_RM_CONTENT && !m[i].negated &&
		    (best < 0 || m[i].len > m[best].len))
			best = (int)i;
	return best;
}

const struct dpi_rule_match *dpi_rule_fast_pattern(const struct dpi_rule *r, const uint8_t **ret_p,
						   size_t *ret_len)
{
	const struct dpi_rule_match *m;

	if (r->fast_pattern < 0 || (size_t)r->fast_pattern >= r->n_matches)
		return NULL;
	m = &r->matches[r->fast_pattern];
	*ret_p = m->fp_chop ? m->bytes + m->fp_offset : m->bytes;
	*ret_len = m->fp_chop ? m->fp_len : m->len;
	return m;
}

/* Copies the finished rule into the set. */
static int store_rule(struct loader *ld, struct rstate *st)
{
	struct dpi_rule_set *set = ld->set;
	struct dpi_rule *r = &st->r;
	void *mem;

	if (set->n_rules == ld->cap_rules) {
		size_t cap = ld->cap_rules ? ld->cap_rules * 2 : 64;
		struct dpi_rule *v = realloc(set->rules, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		set->rules = v;
		ld->cap_rules = cap;
	}
	if (st->n) {
		mem = dpi_rules_arena_alloc(ld->c.arena, st->n * sizeof(*ld->m));
		if (!mem)
			return -ENOMEM;
		memcpy(mem, ld->m, st->n * sizeof(*ld->m));
		r->matches = mem;
	}
	r->n_matches = st->n;
	if (st->n_refs) {
		mem = dpi_rules_arena_alloc(ld->c.arena, st->n_refs * sizeof(char *));
		if (!mem)
			return -ENOMEM;
		memcpy(mem, ld->refs, st->n_refs * sizeof(char *));
		r->references = mem;
		r->n_references = st->n_refs;
	}
	if (ld->meta_len) {
		r->metadata = dpi_rules_arena_strndup(ld->c.arena, ld->meta, ld->meta_len);
		if (!r->metadata)
			return -ENOMEM;
	}
	r->fast_pattern = pick_fast_pattern(ld->m, st->n);
	r->source = ld->source;
	set->rules[set->n_rules++] = *r;
	return 0;
}

/* ---- the rule header ---- */

static int parse_action(struct loader *ld, struct dpi_rule *r, const char *p, const char *end)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (word_eq(p, end, action_names[i])) {
			r->action = (enum dpi_rule_action)i;
			return 0;
		}
	}
	dpi_rules_error(&ld->c, p, "unknown action '%.*s' (expected alert, drop, pass or reject)",
			Q(p, end));
	return -EINVAL;
}

static int parse_proto(struct loader *ld, struct dpi_rule *r, const char *p, const char *end)
{
	if (word_eq(p, end, "http1")) {
		r->proto = DPI_RULE_PROTO_HTTP;
		return 0;
	}
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (word_eq(p, end, proto_names[i])) {
			r->proto = (enum dpi_rule_proto)i;
			return 0;
		}
	}
	dpi_rules_error(&ld->c, p, "unsupported protocol '%.*s' (expected http, dns, tls, tcp, udp or ip)",
			Q(p, end));
	return -EINVAL;
}

static int parse_rule(struct loader *ld)
{
	struct dpi_rules_ctx *c = &ld->c;
	const char *p = c->text, *end = c->text + c->len, *tok[7], *tokend[7];
	struct rstate st = {.last_content = -1};
	unsigned ntok = 0;
	int r;

	st.r.msg = "";
	st.r.gid = 1;
	st.r.priority = 3;
	st.r.fast_pattern = -1;
	st.r.file = c->file;
	st.r.line = c->segs[0].line;
	ld->meta_len = 0;
	trim(&p, &end);
	for (;;) {
		const char *s;
		int depth = 0;

		while (p < end && is_space(*p))
			p++;
		if (p >= end || *p == '(')
			break;
		if (ntok == 7) {
			dpi_rules_error(c, p, "unexpected '%.*s' after the rule header (expected '(')",
					Q(p, end));
			return -EINVAL;
		}
		for (s = p; p < end; p++) {
			if (*p == '[')
				depth++;
			else if (*p == ']')
				depth--;
			else if (depth <= 0 && (is_space(*p) || *p == '('))
				break;
		}
		if (depth > 0) {
			dpi_rules_error(c, s, "unterminated '[' in the rule header");
			return -EINVAL;
		}
		tok[ntok] = s;
		tokend[ntok++] = p;
	}
	if (ntok < 7) {
		dpi_rules_error(c, p < end ? p : NULL,
				"rule header has %u fields, expected 7: action proto src sport direction dst dport",
				ntok);
		return -EINVAL;
	}
	if (p >= end) {
		dpi_rules_error(c, NULL, "rule has no options: expected '(' after the header");
		return -EINVAL;
	}
	if (end[-1] != ')' || end - 1 == p) {
		dpi_rules_error(c, end - 1, "rule must end with ')'");
		return -EINVAL;
	}
	st.bad |= parse_action(ld, &st.r, tok[0], tokend[0]) < 0;
	st.bad |= parse_proto(ld, &st.r, tok[1], tokend[1]) < 0;
	if (word_eq(tok[4], tokend[4], "<>")) {
		st.r.bidirectional = true;
	} else if (!word_eq(tok[4], tokend[4], "->")) {
		dpi_rules_error(c, tok[4], "bad direction '%.*s' (expected -> or <>)",
				Q(tok[4], tokend[4]));
		st.bad = true;
	}
	st.bad |= dpi_rules_compile_addrs(c, tok[2], tokend[2], &st.r.src) < 0;
	st.bad |= dpi_rules_compile_ports(c, tok[3], tokend[3], &st.r.sport) < 0;
	st.bad |= dpi_rules_compile_addrs(c, tok[5], tokend[5], &st.r.dst) < 0;
	st.bad |= dpi_rules_compile_ports(c, tok[6], tokend[6], &st.r.dport) < 0;
	if (c->oom)
		return -ENOMEM;
	r = dpi_rules_parse_options(ld, &st, p + 1, end - 1);
	if (r == -ENOMEM || c->oom)
		return -ENOMEM;
	if (r < 0)
		return r;
	if (!st.has_sid) {
		dpi_rules_error(c, NULL, "rule has no sid");
		st.bad = true;
	}
	check_app(ld, &st);
	check_matches(ld, &st);
	if (st.bad)
		return -EINVAL;
	return store_rule(ld, &st);
}

/* ---- files and lines ---- */

static int append(struct dpi_rules_ctx *c, const char *p, size_t n, unsigned line)
{
	if (c->n_segs == c->cap_segs) {
		size_t cap = c->cap_segs ? c->cap_segs * 2 : 16;
		struct dpi_rules_seg *s = realloc(c->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		c->segs = s;
		c->cap_segs = cap;
	}
	c->segs[c->n_segs].off = c->len;
	c->segs[c->n_segs++].line = line;
	if (c->len + n > DPI_RULES_MAX_RULE_LEN || c->n_segs > DPI_RULES_MAX_RULE_LINES)
		return -E2BIG;
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->len + n + 1) * 2;
		char *t = realloc(c->text, cap);

		if (!t)
			return -ENOMEM;
		c->text = t;
		c->cap = cap;
	}
	memcpy(c->text + c->len, p, n);
	c->len += n;
	c->text[c->len] = '\0';
	return 0;
}

/* Parses the logical rule gathered in ctx->text. */
static int finish_rule(struct loader *ld, bool too_long)
{
	struct dpi_rules_ctx *c = &ld->c;
	const char *nul;
	int r;

	if (too_long) {
		dpi_rules_error(c, NULL, "rule is longer than %d bytes or %d lines",
				DPI_RULES_MAX_RULE_LEN, DPI_RULES_MAX_RULE_LINES);
		return 0;
	}
	nul = memchr(c->text, '\0', c->len);
	if (nul) {
		dpi_rules_error(c, nul, "NUL byte in rule");
		return 0;
	}
	r = parse_rule(ld);
	return r == -ENOMEM ? r : 0;
}

static int load_text(struct loader *ld, const char *name, const char *text, size_t len)
{
	struct dpi_rules_ctx *c = &ld->c;
	size_t i = 0;
	unsigned lineno = 0;
	bool cont = false, too_long = false;
	int r;

	c->file = dpi_rules_arena_strndup(c->arena, name, strlen(name));
	if (!c->file)
		return -ENOMEM;
	while (i < len && !c->gave_up) {
		const char *s = text + i, *nl = memchr(s, '\n', len - i);
		size_t le = nl ? (size_t)(nl - s) : len - i, te;
		bool more;

		i += nl ? le + 1 : le;
		lineno++;
		if (le && s[le - 1] == '\r')
			le--;
		if (!cont) {
			size_t k = 0;

			while (k < le && is_space(s[k]))
				k++;
			/* Comments never continue, as in Suricata. */
			if (k == le || s[k] == '#')
				continue;
			c->len = 0;
			c->n_segs = 0;
			too_long = false;
		}
		for (te = le; te && (is_space(s[te - 1]) || s[te - 1] == '\r'); te--)
			;
		more = te && s[te - 1] == '\\';
		if (!too_long) {
			r = append(c, s, more ? te - 1 : le, lineno);
			if (r == -ENOMEM)
				return r;
			too_long = r == -E2BIG;
		}
		cont = more;
		if (!more) {
			r = finish_rule(ld, too_long);
			if (r < 0)
				return r;
		}
	}
	/* The file ended right after a '\'. */
	if (cont && !c->gave_up) {
		r = finish_rule(ld, too_long);
		if (r < 0)
			return r;
	}
	c->len = 0;
	c->n_segs = 0;
	return 0;
}

static int read_file(struct loader *ld, const char *path, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			/* One byte past the cap tells a file of exactly the
			 * cap from a larger one. */
			if (cap > DPI_RULES_MAX_FILE) {
				r = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			if (cap > DPI_RULES_MAX_FILE)
				cap = DPI_RULES_MAX_FILE + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
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
	}
	if (len > DPI_RULES_MAX_FILE)
		r = -EFBIG;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		const char *saved = ld->c.file;

		ld->c.file = path;
		if (r == -EFBIG)
			file_error(&ld->c, 0, "larger than %u bytes", DPI_RULES_MAX_FILE);
		else
			file_error(&ld->c, 0, "%s", strerror(-r));
		ld->c.file = saved;
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int loader_init(struct loader *ld, const struct dpi_rule_var *vars, dpi_rules_error_fn cb,
		       void *ctx)
{
	memset(ld, 0, sizeof(*ld));
	ld->c.vars = vars;
	ld->c.err_cb = cb;
	ld->c.err_ctx = ctx;
	ld->c.file = "";
	ld->set = calloc(1, sizeof(*ld->set));
	ld->c.arena = calloc(1, sizeof(*ld->c.arena));
	ld->m = calloc(DPI_RULES_MAX_MATCHES, sizeof(*ld->m));
	ld->mp = calloc(DPI_RULES_MAX_MATCHES, sizeof(*ld->mp));
	if (!ld->set || !ld->c.arena || !ld->m || !ld->mp)
		return -ENOMEM;
	ld->set->arena = ld->c.arena;
	return 0;
}

/* Frees the loader's scratch; hands over the set when @r is 0. */
static int loader_done(struct loader *ld, int r, struct dpi_rule_set **ret_set)
{
	if (r == 0 && ld->c.oom)
		r = -ENOMEM;
	if (r == 0 && ld->c.n_errors)
		r = -EINVAL;
	if (r == 0) {
		*ret_set = ld->set;
	} else if (ld->set) {
		dpi_rules_free(ld->set);
	} else {
		arena_free(ld->c.arena);
	}
	free(ld->sids);
	free(ld->m);
	free(ld->mp);
	free(ld->meta);
	free(ld->c.text);
	free(ld->c.segs);
	return r;
}

int dpi_rules_load_buffer(const char *name, const char *text, size_t len,
			  const struct dpi_rule_var *vars, struct dpi_rule_set **ret_set,
			  dpi_rules_error_fn err_cb, void *err_ctx)
{
	struct loader ld;
	int r = loader_init(&ld, vars, err_cb, err_ctx);

	if (r == 0)
		r = load_text(&ld, name ? name : "<buffer>", text, len);
	return loader_done(&ld, r, ret_set);
}

int dpi_rules_load_sources(const struct dpi_rule_source *src, size_t n,
			   const struct dpi_rule_var *vars, struct dpi_rule_set **ret_set,
			   dpi_rules_error_fn err_cb, void *err_ctx)
{
	struct loader ld;
	int r = loader_init(&ld, vars, err_cb, err_ctx), first_io = 0;

	if (r == 0 && n > UINT16_MAX + 1u)
		r = -E2BIG;
	for (size_t i = 0; r == 0 && i < n && !ld.c.gave_up; i++) {
		char *buf = NULL;
		size_t len = src[i].len;

		ld.source = (uint16_t)i;
		if (src[i].text) {
			r = load_text(&ld, src[i].name, src[i].text, len);
			continue;
		}
		r = read_file(&ld, src[i].name, &buf, &len);
		if (r < 0 && r != -ENOMEM) {
			/* Keep going: the other files' errors are worth seeing too. */
			if (!first_io)
				first_io = r;
			r = 0;
			continue;
		}
		if (r == 0)
			r = load_text(&ld, src[i].name, buf, len);
		free(buf);
	}
	if (r == 0 && first_io)
		r = first_io;
	return loader_done(&ld, r, ret_set);
}

int dpi_rules_load_files(const char *const *paths, size_t n, const struct dpi_rule_var *vars,
			 struct dpi_rule_set **ret_set, dpi_rules_error_fn err_cb, void *err_ctx)
{
	struct dpi_rule_source *src = calloc(n ? n : 1, sizeof(*src));
	int r;

	if (!src)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		src[i].name = paths[i];
	r = dpi_rules_load_sources(src, n, vars, ret_set, err_cb, err_ctx);
	free(src);
	return r;
}

int dpi_rules_load_file(const char *path, const struct dpi_rule_var *vars,
			struct dpi_rule_set **ret_set, dpi_rules_error_fn err_cb, void *err_ctx)
{
	return dpi_rules_load_files(&path, 1, vars, ret_set, err_cb, err_ctx);
}

void dpi_rules_free(struct dpi_rule_set *set)
{
	if (!set)
		return;
	arena_free(set->arena);
	free(set->rules);
	free(set);
}
