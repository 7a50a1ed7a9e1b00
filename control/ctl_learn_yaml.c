/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_learn_yaml.c - the learner's output: the links ctl_learn.c collected,
 * planned into one WorkloadPolicy per selector and written as YAML through
 * libfyaml (see ctl_learn.c for why some scalars are quoted by hand).
 */
#include <errno.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/bh_policy.h"
#include "ctl_learn.h"
#include "ctl_learn_int.h"

/* ------------------------------------------------------------------------
 * Output: the documents as libfyaml nodes.
 */

static int emit_ev(struct fy_emitter *e, struct fy_event *fye)
{
	if (!fye)
		return -ENOMEM;
	return fy_emit_event(e, fye) == 0 ? 0 : -EIO;
}

struct yb {
	struct fy_document *d;
	bool oom;
	bool bad; /* a string didn't survive being written and read back */
};

/* A plain scalar a YAML 1.1 or 1.2 reader would take for null, a boolean
 * or a number: a string with that text must be quoted. */
static bool resolves_to_non_string(const char *s, size_t n)
{
	static const char *const words[] = {"null", "~",  "true", "false", "yes",  "no",
					    "on",   "off", "y",    "n",     ".inf", ".nan"};
	bool digit = false;
	size_t i = 0;

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (strlen(words[w]) == n && strncasecmp(s, words[w], n) == 0)
			return true;
	if (s[0] == '+' || s[0] == '-')
		i = 1;
	if (n - i == 4 && strncasecmp(s + i, ".inf", 4) == 0)
		return true;
	if (n - i > 2 && s[i] == '0' && strchr("xXoObB", s[i + 1])) {
		for (size_t j = i + 2; j < n; j++)
			if (!is_hex(s[j]) && s[j] != '_')
				return false;
		return true;
	}
	/* Decimal, float, exponent, 1.1's sexagesimal 1:20 and 1_000. */
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (!strchr("._:eE+-", s[i]))
			return false;
	}
	return digit;
}

/* Text that reads back as the same string when written plain: a
 * conservative set (names, addresses, regexes without brackets) rather
 * than YAML's whole plain-scalar grammar. */
static bool plain_ok(const char *s, size_t n)
{
	if (!n || resolves_to_non_string(s, n))
		return false;
	if (!is_alnum(s[0]) && !strchr("/_.", s[0]))
		return false;
	if (s[n - 1] == ':')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !memchr("_./-+\\()|^$?*:@=~", s[i], 18))
			return false;
	return true;
}

/* A scalar node with a quoted style, all formatting done by libfyaml: the
 * emitter writes it (single quotes for printable ASCII, else double
 * quotes with escapes), the parser builds the node from that text, and
 * the result is checked to read back as @s. */
static struct fy_node *y_quoted(struct yb *b, const char *s, size_t n)
{
	struct fy_emitter *e = fy_emit_to_string(FYECF_MODE_ORIGINAL | FYECF_WIDTH_INF |
						 FYECF_DOC_START_MARK_OFF |
						 FYECF_DOC_END_MARK_OFF | FYECF_NO_ENDING_NEWLINE);
	enum fy_scalar_style st = FYSS_SINGLE_QUOTED;
	struct fy_node *v = NULL;
	const char *back;
	size_t len, blen;
	char *txt = NULL;
	int r = 0;

	if (!e)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			st = FYSS_DOUBLE_QUOTED;
	r = emit_ev(e, fy_emit_event_create(e, FYET_STREAM_START));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_DOCUMENT_START, 1, NULL, NULL));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_SCALAR, st, s, n, NULL, NULL));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_DOCUMENT_END, 1));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_STREAM_END));
	if (!r)
		txt = fy_emit_to_string_collect(e, &len);
	if (txt) /* len counts the NUL */
		v = fy_node_build_from_malloc_string(b->d, txt, strlen(txt)); /* owns txt */
	back = v ? fy_node_get_scalar(v, &blen) : NULL;
	if (v && (!back || blen != n || memcmp(back, s, n) != 0)) {
		fy_node_free(v);
		v = NULL;
		b->bad = true;
	}
out:
	fy_emitter_destroy(e);
	if (!v)
		b->oom = true;
	return v;
}

static struct fy_node *y_str(struct yb *b, const char *s, size_t n)
{
	struct fy_node *v;

	if (b->oom)
		return NULL;
	if (!plain_ok(s, n))
		return y_quoted(b, s, n);
	v = fy_node_create_scalar_copy(b->d, s, n);
	if (!v)
		b->oom = true;
	return v;
}

/* A number: plain, so that it reads back as one. */
static struct fy_node *y_num(struct yb *b, const char *s)
{
	struct fy_node *v;

	if (b->oom)
		return NULL;
	v = fy_node_create_scalar_copy(b->d, s, strlen(s));
	if (!v)
		b->oom = true;
	return v;
}

static struct fy_node *y_cstr(struct yb *b, const char *s)
{
	return y_str(b, s, strlen(s));
}

static struct fy_node *y_coll(struct yb *b, bool map)
{
	struct fy_node *v;

	if (b->oom)
		return NULL;
	v = map ? fy_node_create_mapping(b->d) : fy_node_create_sequence(b->d);
	if (!v)
		b->oom = true;
	return v;
}

/* Appends @val to the mapping @m under @key; takes @val (freed on failure). */
static void y_put(struct yb *b, struct fy_node *m, const char *key, struct fy_node *val)
{
	struct fy_node *k = y_cstr(b, key);

	if (!b->oom && m && val && fy_node_mapping_append(m, k, val) == 0)
		return;
	b->oom = true;
	fy_node_free(k);
	fy_node_free(val);
}

static void y_add(struct yb *b, struct fy_node *s, struct fy_node *val)
{
	if (!b->oom && s && val && fy_node_sequence_append(s, val) == 0)
		return;
	b->oom = true;
	fy_node_free(val);
}

static struct fy_node *y_selector(struct yb *b, const struct ident *id)
{
	struct fy_node *sel = y_coll(b, true), *ml = y_coll(b, true);

	for (uint32_t i = 0; i < id->nsel; i++)
		y_put(b, ml, id->sel_k[i], y_cstr(b, id->sel_v[i]));
	y_put(b, sel, "matchLabels", ml);
	return sel;
}

static struct fy_node *y_peer(struct yb *b, const struct ident *id)
{
	struct fy_node *p = y_coll(b, true);

	if (id->workload)
		y_put(b, p, "selector", y_selector(b, id));
	else
		y_put(b, p, "cidr", y_cstr(b, id->short_name));
	return p;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "TCP" : "UDP";
}

/* http: one entry per path pattern, its methods as one alternation. */
static int y_http(struct yb *b, struct fy_node *rules, const struct strset *set)
{
	struct fy_node *seq = y_coll(b, false);
	struct bstr *v;
	struct sbuf meth = {0};
	int r = strset_sorted(set, &v);

	if (r < 0) {
		fy_node_free(seq);
		return r;
	}
	for (uint32_t i = 0; i < set->n;) {
		const char *path = v[i].p;
		uint32_t j;
		struct fy_node *e = y_coll(b, true);

		meth.len = 0;
		for (j = i; j < set->n && strcmp(v[j].p, path) == 0; j++) {
			if (j > i)
				sb_chr(&meth, '|');
			sb_str(&meth, v[j].p + strlen(v[j].p) + 1);
		}
		if (meth.oom)
			b->oom = true;
		y_put(b, e, "method", meth.oom ? NULL : y_str(b, meth.p, meth.len));
		y_put(b, e, "path", y_cstr(b, path));
		y_add(b, seq, e);
		i = j;
	}
	free(meth.p);
	free(v);
	y_put(b, rules, "http", seq);
	return 0;
}

static int y_dns(struct yb *b, struct fy_node *rules, const struct strset *set)
{
	struct fy_node *seq = y_coll(b, false);
	struct bstr *v;
	int r = strset_sorted(set, &v);

	if (r < 0) {
		fy_node_free(seq);
		return r;
	}
	for (uint32_t i = 0; i < set->n; i++) {
		struct fy_node *e = y_coll(b, true);

		y_put(b, e, "matchName", y_str(b, v[i].p, v[i].len));
		y_add(b, seq, e);
	}
	free(v);
	y_put(b, rules, "dns", seq);
	return 0;
}

/* One statement kind and the tables it was seen on (none: only without). */
struct verb_tables {
	const char *verb;
	const struct bstr *t; /* "VERB\0table" keys; the table after the NUL */
	uint32_t nt;
	bool done;
};

static bool same_tables(const struct verb_tables *x, const struct verb_tables *y)
{
	if (x->nt != y->nt)
		return false;
	for (uint32_t i = 0; i < x->nt; i++) {
		size_t vx = strlen(x->verb) + 1, vy = strlen(y->verb) + 1;

		if (x->t[i].len - vx != y->t[i].len - vy ||
		    memcmp(x->t[i].p + vx, y->t[i].p + vy, x->t[i].len - vx) != 0)
			return false;
	}
	return true;
}

/* sql: per statement kind the set of its tables; kinds with the same set
 * share an entry. A kind also seen without tables needs nothing more: a
 * statement naming no table has no table to refuse (semantics 6). Kinds
 * never seen with a table (BEGIN, SET, ...) share one entry without
 * tables. Entries are in the order of their first kind. */
static int y_sql(struct yb *b, struct fy_node *rules, const struct strset *set)
{
	struct verb_tables *vt = NULL;
	uint32_t nvt = 0;
	struct bstr *v;
	struct fy_node *sql, *allow;
	int r = strset_sorted(set, &v);

	if (r < 0)
		return r;
	vt = calloc(set->n, sizeof(*vt));
	if (!vt) {
		free(v);
		return -ENOMEM;
	}
	/* Sorted keys: a kind's "VERB" (if any) comes right before its
	 * "VERB\0table" keys, which are in table order. */
	for (uint32_t i = 0; i < set->n; i++) {
		const char *verb = v[i].p;
		bool with_table = strlen(verb) < v[i].len;

		if (!nvt || strcmp(vt[nvt - 1].verb, verb) != 0)
			vt[nvt++] = (struct verb_tables){.verb = verb};
		if (with_table) {
			if (!vt[nvt - 1].nt)
				vt[nvt - 1].t = &v[i];
			vt[nvt - 1].nt++;
		}
	}
	sql = y_coll(b, true);
	allow = y_coll(b, false);
	for (uint32_t i = 0; i < nvt; i++) {
		struct fy_node *e, *stm, *tbl;

		if (vt[i].done)
			continue;
		e = y_coll(b, true);
		stm = y_coll(b, false);
		for (uint32_t j = i; j < nvt; j++) {
			if (vt[j].done || !same_tables(&vt[i], &vt[j]))
				continue;
			vt[j].done = true;
			y_add(b, stm, y_cstr(b, vt[j].verb));
		}
		y_put(b, e, "statements", stm);
		if (vt[i].nt) {
			size_t vl = strlen(vt[i].verb) + 1;

			tbl = y_coll(b, false);
			for (uint32_t k = 0; k < vt[i].nt; k++)
				y_add(b, tbl, y_str(b, vt[i].t[k].p + vl, vt[i].t[k].len - vl));
			y_put(b, e, "tables", tbl);
		}
		y_add(b, allow, e);
	}
	y_put(b, sql, "allow", allow);
	y_put(b, rules, "sql", sql);
	free(vt);
	free(v);
	return 0;
}

/* A rule of a policy being written: the link and which end is the peer. */
struct out_rule {
	const struct link *ln;
	const struct ident *peer;
	char *name;
};

struct out_policy {
	const struct ident *id;
	char *name;
	struct out_rule *rules[2]; /* [0] ingress, [1] egress */
	uint32_t nrules[2], caprules[2];
};

static const char *const dir_name[2] = {"ingress", "egress"};

static struct fy_node *y_rule(struct yb *b, const struct out_rule *or, bool egress, int *err)
{
	const struct link *ln = or->ln;
	struct fy_node *rule = y_coll(b, true), *peers = y_coll(b, false);
	struct fy_node *ports = y_coll(b, false), *port = y_coll(b, true);
	char num[8];

	y_put(b, rule, "name", y_cstr(b, or->name));
	y_add(b, peers, y_peer(b, or->peer));
	y_put(b, rule, egress ? "to" : "from", peers);
	snprintf(num, sizeof(num), "%u", ln->port);
	y_put(b, port, "port", y_num(b, num));
	y_put(b, port, "protocol", y_cstr(b, proto_name(ln->proto)));
	y_add(b, ports, port);
	y_put(b, rule, "ports", ports);
	if (!ln->unparsed && (ln->http.n || ln->dns.n || ln->sql.n)) {
		struct fy_node *rules = y_coll(b, true);

		if (!*err && ln->http.n)
			*err = y_http(b, rules, &ln->http);
		if (!*err && ln->dns.n)
			*err = y_dns(b, rules, &ln->dns);
		if (!*err && ln->sql.n)
			*err = y_sql(b, rules, &ln->sql);
		y_put(b, rule, "rules", rules);
	}
	return rule;
}

static struct fy_document *y_policy(const struct out_policy *op, int *err)
{
	/* Quiet: y_quoted() checks what the parser makes of its text. */
	const struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET};
	struct yb b = {.d = fy_document_create(&pcfg)};
	struct fy_node *root, *meta, *spec;

	if (!b.d) {
		*err = -ENOMEM;
		return NULL;
	}
	root = y_coll(&b, true);
	meta = y_coll(&b, true);
	spec = y_coll(&b, true);
	y_put(&b, root, "apiVersion", y_cstr(&b, "bulkhead/v1"));
	y_put(&b, root, "kind", y_cstr(&b, "WorkloadPolicy"));
	y_put(&b, meta, "name", y_cstr(&b, op->name));
	y_put(&b, root, "metadata", meta);
	y_put(&b, spec, "selector", y_selector(&b, op->id));
	y_put(&b, spec, "mode", y_cstr(&b, "protect"));
	/* Both lists, empty ones too: a direction in which nothing was seen
	 * allows nothing (semantics 1), which is exactly what was seen. */
	for (unsigned d = 0; d < 2; d++) {
		struct fy_node *list = y_coll(&b, false);

		for (uint32_t i = 0; i < op->nrules[d]; i++)
			y_add(&b, list, y_rule(&b, &op->rules[d][i], d == 1, err));
		y_put(&b, spec, dir_name[d], list);
	}
	y_put(&b, root, "spec", spec);
	if (!b.oom && !*err && fy_document_set_root(b.d, root) == 0)
		return b.d;
	fy_node_free(root);
	fy_document_destroy(b.d);
	if (!*err)
		*err = b.bad ? -EINVAL : -ENOMEM;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Output: emitting the documents.
 */

struct out_ctx {
	FILE *f;
	char last; /* the last byte written */
};

static int out_fp(struct fy_emitter *e, enum fy_emitter_write_type type, const char *str, int len,
		  void *userdata)
{
	struct out_ctx *o = userdata;

	(void)e;
	(void)type;
	if (len <= 0)
		return 0;
	o->last = str[len - 1];
	return (int)fwrite(str, 1, (size_t)len, o->f);
}

static int emit_doc(struct fy_document *d, FILE *out)
{
	struct out_ctx o = {.f = out};
	struct fy_emitter_cfg cfg = {
		.flags = FYECF_MODE_ORIGINAL | FYECF_WIDTH_INF | FYECF_INDENT_2 |
			 FYECF_DOC_START_MARK_ON | FYECF_DOC_END_MARK_OFF,
		.output = out_fp,
		.userdata = &o,
	};
	struct fy_emitter *e = fy_emitter_create(&cfg);
	int r;

	if (!e)
		return -ENOMEM;
	r = fy_emit_document(e, d) == 0 ? 0 : -EIO;
	fy_emitter_destroy(e);
	/* The next document's comments need a line of their own. */
	if (!r && o.last != '\n')
		fputc('\n', out);
	return r;
}

/* A comment line: no line breaks or other control bytes from names, and
 * ASCII only (a YAML stream must be valid UTF-8; names may not be). */
static void comment(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void comment(FILE *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	fprintf(out, "# %s\n", line);
}

static const char *l7_names(uint8_t l7, char *buf, size_t len)
{
	l7 &= L7_HTTP | L7_DNS | L7_SQL;
	snprintf(buf, len, "%s%s%s%s%s", l7 & L7_HTTP ? "HTTP" : "",
		 (l7 & L7_HTTP) && (l7 & (L7_DNS | L7_SQL)) ? " and " : "", l7 & L7_DNS ? "DNS" : "",
		 (l7 & L7_DNS) && (l7 & L7_SQL) ? " and " : "", l7 & L7_SQL ? "SQL" : "");
	return buf;
}

static void unparsed_names(const struct link *ln, char *buf, size_t len)
{
	static const char *const names[] = {"TLS", "payload of no known protocol", NULL,
					    "SQL whose kinds or tables can't be checked (a "
					    "statement of no known kind, or cut short, or too "
					    "complex to list its tables)"};
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 4; i++) {
		const char *n = i == 2 ? ln->other_proto : names[i];

		if (!(ln->unparsed & (1u << i)) || !n)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
		if (used >= len)
			break;
	}
}

static void unparsed_comments(FILE *out, const struct out_policy *op)
{
	for (unsigned d = 0; d < 2; d++)
		for (uint32_t i = 0; i < op->nrules[d]; i++) {
			const struct link *ln = op->rules[d][i].ln;
			char what[192], l7[32];

			if (!ln->unparsed && ln->l7 == L7_UNSEEN)
				comment(out,
					"%s %s: L4 only: its flows were denied before inspection "
					"while learning (learn in monitor or learn mode to see "
					"their L7).",
					dir_name[d], op->rules[d][i].name);
			if (!ln->unparsed)
				continue;
			unparsed_names(ln, what, sizeof(what));
			if ((ln->l7 & ~L7_UNSEEN) && (ln->unparsed & ~UNP_SQL))
				comment(out,
					"%s %s: L4 only: %s seen beside %s; behind %s rules it "
					"would be denied as unparsed.",
					dir_name[d], op->rules[d][i].name, what,
					l7_names(ln->l7, l7, sizeof(l7)), l7);
			else
				comment(out,
					"%s %s: L4 only: %s seen, which no L7 rule can inspect; "
					"behind L7 rules it would be denied as unparsed.",
					dir_name[d], op->rules[d][i].name, what);
		}
}

static int cmp_rule(const void *a, const void *b)
{
	const struct out_rule *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : cmp_bstr(&x->peer->key, &y->peer->key);
}

static int cmp_policy(const void *a, const void *b)
{
	const struct out_policy *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : cmp_bstr(&x->id->key, &y->id->key);
}

/* "learned-<peer>[-<port>-<proto>]" as the loader takes object names
 * (Kubernetes' DNS-1123 subdomains): lower case, anything but letters,
 * digits and dots between them becomes '-' ("10.0.0.9/32" gives
 * "10.0.0.9-32", "fd00::9/128" "fd00--9-128"). */
static char *make_name(const char *peer, const struct link *ln)
{
	struct sbuf b = {0};
	char tail[24] = "";

	sb_str(&b, "learned-");
	sb_str(&b, peer);
	if (ln) {
		snprintf(tail, sizeof(tail), "-%u-%s", ln->port,
			 ln->proto == IPPROTO_TCP ? "tcp" : "udp");
		sb_str(&b, tail);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (b.len > 253) {
		memmove(b.p + 253 - strlen(tail), b.p + b.len - strlen(tail), strlen(tail) + 1);
		b.len = 253;
	}
	for (size_t i = 0; i < b.len; i++) {
		char c = b.p[i];

		if (c >= 'A' && c <= 'Z')
			b.p[i] = (char)(c - 'A' + 'a');
		else if (c == '.' && !(i + 1 < b.len && is_alnum(b.p[i + 1]) && is_alnum(b.p[i - 1])))
			b.p[i] = '-';
		else if (!is_alnum(c) && c != '.')
			b.p[i] = '-';
	}
	while (b.p[b.len - 1] == '-')
		b.p[--b.len] = '\0';
	return b.p;
}

/* Names are sorted; equal ones (two selectors with the same app value,
 * "app" and "app.kubernetes.io/name") get -2, -3, ... in key order. Each
 * element starts with its char *name at offset @off. */
static int dedup_names(void *base, uint32_t n, size_t size, size_t off)
{
	struct strset seen = {0};
	int r = 0;

	for (uint32_t i = 0; i < n && !r; i++) {
		char **name = (char **)((char *)base + i * size + off);

		if (strset_has(&seen, *name, (uint32_t)strlen(*name))) {
			struct sbuf b = {0};

			for (unsigned k = 2; !b.oom; k++) {
				char sfx[16];

				b.len = 0;
				sb_str(&b, *name);
				snprintf(sfx, sizeof(sfx), "-%u", k);
				sb_str(&b, sfx);
				if (!b.oom && !strset_has(&seen, b.p, (uint32_t)b.len))
					break;
			}
			if (b.oom) {
				free(b.p);
				r = -ENOMEM;
				break;
			}
			free(*name);
			*name = b.p;
		}
		if (strset_add(&seen, *name, (uint32_t)strlen(*name)) < 0)
			r = -ENOMEM;
	}
	strset_free(&seen);
	return r;
}

static int add_rule(struct out_policy *op, unsigned d, const struct link *ln,
		    const struct ident *peer)
{
	struct out_rule *nr;

	if (op->nrules[d] == op->caprules[d]) {
		uint32_t nc = op->caprules[d] ? op->caprules[d] * 2 : 4;

		nr = realloc(op->rules[d], nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		op->rules[d] = nr;
		op->caprules[d] = nc;
	}
	nr = &op->rules[d][op->nrules[d]];
	nr->ln = ln;
	nr->peer = peer;
	nr->name = make_name(peer->short_name, ln);
	if (!nr->name)
		return -ENOMEM;
	op->nrules[d]++;
	return 0;
}

static void free_policies(struct out_policy *ops, uint32_t n)
{
	if (!ops)
		return;
	for (uint32_t i = 0; i < n; i++) {
		for (unsigned d = 0; d < 2; d++) {
			for (uint32_t j = 0; j < ops[i].nrules[d]; j++)
				free(ops[i].rules[d][j].name);
			free(ops[i].rules[d]);
		}
		free(ops[i].name);
	}
	free(ops);
}

/* The policies to write, sorted, their rules sorted and named. Locked. */
static int plan(struct ctl_learn *l, struct out_policy **ret, uint32_t *ret_n, uint64_t *ret_world)
{
	uint32_t *pol_of = NULL, n = 0;
	struct out_policy *ops = NULL;
	uint64_t world = 0;
	int r = 0;

	pol_of = calloc(l->nids ? l->nids : 1, sizeof(*pol_of)); /* policy index + 1 */
	ops = calloc(l->nids ? l->nids : 1, sizeof(*ops));
	if (!pol_of || !ops) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < l->nlinks; i++) {
		const struct link *ln = &l->links[i];
		const uint32_t end[2] = {ln->sid, ln->cid}; /* whose ingress, whose egress */
		const uint32_t peer[2] = {ln->cid, ln->sid};

		if (!l->ids[ln->cid].workload && !l->ids[ln->sid].workload) {
			world++;
			continue;
		}
		for (unsigned d = 0; d < 2; d++) {
			const struct ident *id = &l->ids[end[d]];

			if (!id->workload)
				continue;
			if (!pol_of[end[d]]) {
				ops[n].id = id;
				ops[n].name = make_name(id->short_name, NULL);
				if (!ops[n].name) {
					r = -ENOMEM;
					goto out;
				}
				pol_of[end[d]] = ++n;
			}
			r = add_rule(&ops[pol_of[end[d]] - 1], d, ln, &l->ids[peer[d]]);
			if (r < 0)
				goto out;
		}
	}
	if (n)
		qsort(ops, n, sizeof(*ops), cmp_policy);
	r = dedup_names(ops, n, sizeof(*ops), offsetof(struct out_policy, name));
	for (uint32_t i = 0; i < n && !r; i++)
		for (unsigned d = 0; d < 2 && !r; d++) {
			if (ops[i].nrules[d])
				qsort(ops[i].rules[d], ops[i].nrules[d], sizeof(struct out_rule),
				      cmp_rule);
			r = dedup_names(ops[i].rules[d], ops[i].nrules[d], sizeof(struct out_rule),
					offsetof(struct out_rule, name));
		}
	if (r < 0)
		goto out;
	*ret = ops;
	*ret_n = n;
	*ret_world = world;
	ops = NULL;
	r = 0;
out:
	free_policies(ops, n);
	free(pol_of);
	return r;
}

#define LIST_MAX 20 /* names listed in a comment */

static int header(FILE *out, struct ctl_learn *l, uint32_t npol, uint64_t world)
{
	struct bstr *v = NULL;

	comment(out, "WorkloadPolicy documents learned by bulkhead: each allows exactly the flows");
	comment(out, "and transactions seen, whatever was decided while they were seen.");
	if (l->portless)
		comment(out, "ICMP is not learned: rules name ports, and ICMP has none (%llu "
			     "flow(s) of ICMP or other protocols without ports left out).",
			(unsigned long long)l->portless);
	else
		comment(out, "ICMP is not learned: rules name ports, and ICMP has none.");
	if (world)
		comment(out, "%llu client/server pair(s) with no workload at either end were left out.",
			(unsigned long long)world);
	if (strset_sorted(&l->bad, &v) < 0)
		return -ENOMEM;
	if (l->bad.n)
		comment(out, "Names policy documents can't hold were left out (what used them stays "
			     "denied):");
	for (uint32_t i = 0; i < l->bad.n && i < LIST_MAX; i++)
		comment(out, "  %s", v[i].p);
	if (l->bad.n > LIST_MAX)
		comment(out, "  and %u more", l->bad.n - LIST_MAX);
	free(v);
	if (strset_sorted(&l->unlabelled, &v) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < l->unlabelled.n; i++)
		comment(out, "Workload %s has no labels: no policy can select it alone; its peers' "
			     "rules name its addresses.", v[i].p);
	free(v);
	if (!npol)
		comment(out, "No workload was seen in a flow: nothing to write (the events need "
			     "workload identities, e.g. replay --policy with Workload documents).");
	return 0;
}

/* The whole output into @out (a memory stream). Locked. */
static int render(struct ctl_learn *l, FILE *out, char *err, size_t errlen)
{
	struct out_policy *ops = NULL;
	uint32_t n = 0;
	uint64_t world = 0;
	int r = plan(l, &ops, &n, &world);

	if (r == 0)
		r = header(out, l, n, world);
	if (r < 0)
		snprintf(err, errlen, "building the learned policy: %s", strerror(-r));
	for (uint32_t i = 0; i < n && r == 0; i++) {
		struct fy_document *d = y_policy(&ops[i], &r);

		if (!d) {
			snprintf(err, errlen, "building policy %s: %s", ops[i].name, strerror(-r));
			break;
		}
		unparsed_comments(out, &ops[i]);
		r = emit_doc(d, out);
		fy_document_destroy(d);
		if (r < 0)
			snprintf(err, errlen, "emitting policy %s: %s", ops[i].name, strerror(-r));
	}
	free_policies(ops, n);
	return r;
}

/*
 * Thread-safe: the output is built in memory under the lock (events wait
 * meanwhile), then written without it, so a slow @out never holds up the
 * workers. Comments first, then one document per policy in name order.
 * Returns 0; -ENOMEM (also when events were dropped earlier for want of
 * memory: the output would allow less than was seen); -EINVAL if a string
 * can't be written so that it reads back the same (not expected); or the
 * errno of writing to @out. @err gets a message.
 */
int ctl_learn_write(struct ctl_learn *l, FILE *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	if (errlen)
		err[0] = '\0';
	mem = open_memstream(&text, &len);
	if (!mem) {
		snprintf(err, errlen, "building the learned policy: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_lock(&l->lock);
	if (l->lost) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory while learning: some events were lost");
	} else {
		r = render(l, mem, err, errlen);
	}
	pthread_mutex_unlock(&l->lock);
	if (fclose(mem) != 0 && r == 0) {
		r = -ENOMEM;
		snprintf(err, errlen, "building the learned policy: %s", strerror(ENOMEM));
	}
	if (r == 0) {
		errno = 0;
		if (fwrite(text, 1, len, out) != len || fflush(out) != 0) {
			int e = errno ? errno : EIO;

			r = -e;
			snprintf(err, errlen, "writing the learned policy: %s", strerror(e));
		}
	}
	free(text);
	return r;
}
