/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy_l7.c - the `rules` of an ingress or egress rule: http entries
 * (regexes kept as written: the compiler checks that Hyperscan takes them),
 * dns names and patterns (lower-cased, without the trailing dot), and sql
 * allow entries (statement kinds upper-cased and known to the SQL analyser,
 * tables lower-cased).
 *
 * An empty entry or list is an error rather than a silent "allow all" or
 * "allow nothing": which one was meant can't be told.
 */
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "ctl_policy_int.h"

/* ------------------------------------------------------------------ HTTP */

enum { HH_NAME, HH_VALUE };
static const char *const header_keys[] = { "name", "value", NULL };
static const struct ctl_policy_schema header_schema = { .what = "a header", .keys = header_keys };

static void read_header(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			struct bh_http_header *h)
{
	const struct ctl_policy_node *name, *value;
	struct ctl_policy_fields f;
	char q[CTL_POLICY_SHOW_BUF];
	const char *s = NULL;

	if (!ctl_policy_tree_fields(l, n, "an entry of `headers`", &header_schema, &f))
		return;
	h->loc = ctl_policy_loc(l, n);
	name = f.val[HH_NAME];
	value = f.val[HH_VALUE];
	if (!name)
		ctl_policy_err(l, n, "missing `name` in a header");
	else if ((s = ctl_policy_tree_str(l, name, "`name`")) && !ctl_policy_check_http_token(s))
		ctl_policy_err(l, name,
			       "invalid header name `%s`: letters, digits and !#$%%&'*+-.^_`|~",
			       ctl_policy_show(q, name->text, name->len));
	else if (s)
		h->name = ctl_policy_strdup(l, s, name->len);
	if (value && (s = ctl_policy_tree_str(l, value, "`value`"))) {
		h->value = ctl_policy_strdup(l, s, value->len);
		h->value_loc = ctl_policy_loc(l, value);
	}
}

static void read_headers(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			 struct bh_http_rule *r)
{
	struct bh_http_header *h;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, "`headers`", NULL))
		return;
	h = ctl_policy_alloc(l, n->len, sizeof(*h));
	for (const struct ctl_policy_node *e = n->kids; h && e; e = e->next, i++)
		read_header(l, e, &h[i]);
	r->headers = h;
	r->nheaders = h ? i : 0;
}

/* A regex field (@n may be NULL: absent). */
static const char *read_regex(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			      const char *subject, struct bh_loc *ret_loc)
{
	const char *s = n ? ctl_policy_tree_str(l, n, subject) : NULL;

	if (!s)
		return NULL;
	*ret_loc = ctl_policy_loc(l, n);
	return ctl_policy_strdup(l, s, n->len);
}

enum { HT_METHOD, HT_PATH, HT_HOST, HT_HEADERS };
static const char *const http_keys[] = { "method", "path", "host", "headers", NULL };
static const struct ctl_policy_schema http_schema = { .what = "an http entry", .keys = http_keys };

static void read_http(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      struct bh_http_rule *r)
{
	struct ctl_policy_fields f;
	const struct ctl_policy_node *hdrs;

	if (!ctl_policy_tree_fields(l, n, "an entry of `http`", &http_schema, &f))
		return;
	r->loc = ctl_policy_loc(l, n);
	hdrs = f.val[HT_HEADERS];
	if (!f.val[HT_METHOD] && !f.val[HT_PATH] && !f.val[HT_HOST] && (!hdrs || !hdrs->len)) {
		ctl_policy_err(
			l, n,
			"an empty http entry allows every request; leave out `rules` instead");
		return;
	}
	r->method = read_regex(l, f.val[HT_METHOD], "`method`", &r->method_loc);
	r->path = read_regex(l, f.val[HT_PATH], "`path`", &r->path_loc);
	r->host = read_regex(l, f.val[HT_HOST], "`host`", &r->host_loc);
	if (hdrs)
		read_headers(l, hdrs, r);
}

static void read_http_list(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			   struct bh_rule *r)
{
	struct bh_http_rule *h;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, "`http`",
				  "`http` is empty and would allow no request; leave it out to "
				  "allow every request"))
		return;
	h = ctl_policy_alloc(l, n->len, sizeof(*h));
	for (const struct ctl_policy_node *e = n->kids; h && e; e = e->next, i++)
		read_http(l, e, &h[i]);
	r->http = h;
	r->nhttp = h ? i : 0;
}

/* ------------------------------------------------------------------- DNS */

enum { DN_NAME, DN_PATTERN };
static const char *const dns_keys[] = { "matchName", "matchPattern", NULL };
static const struct ctl_policy_schema dns_schema = { .what = "a dns entry", .keys = dns_keys };

static void read_dns(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		     struct bh_dns_rule *r)
{
	const struct ctl_policy_node *v;
	struct ctl_policy_fields f;
	char q[CTL_POLICY_SHOW_BUF], *out;
	const char *s, *why, *field;

	if (!ctl_policy_tree_fields(l, n, "an entry of `dns`", &dns_schema, &f))
		return;
	r->loc = ctl_policy_loc(l, n);
	if (f.val[DN_NAME] && f.val[DN_PATTERN]) {
		ctl_policy_err(l, n,
			       "a dns entry takes either `matchName` or `matchPattern`, not both");
		return;
	}
	if (!f.val[DN_NAME] && !f.val[DN_PATTERN]) {
		ctl_policy_err(l, n, "an empty dns entry: give `matchName` or `matchPattern`");
		return;
	}
	v = f.val[DN_NAME] ? f.val[DN_NAME] : f.val[DN_PATTERN];
	field = f.val[DN_NAME] ? "matchName" : "matchPattern";
	s = ctl_policy_tree_str(l, v, f.val[DN_NAME] ? "`matchName`" : "`matchPattern`");
	if (!s || !(out = ctl_policy_alloc(l, v->len + 1, 1)))
		return;
	why = ctl_policy_check_dns(s, !f.val[DN_NAME], out);
	if (why)
		ctl_policy_err(l, v, "invalid %s `%s`: %s", field,
			       ctl_policy_show(q, v->text, v->len), why);
	else if (f.val[DN_NAME])
		r->match_name = out;
	else
		r->match_pattern = out;
}

static void read_dns_list(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  struct bh_rule *r)
{
	struct bh_dns_rule *d;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, "`dns`",
				  "`dns` is empty and would allow no query; leave it out to allow "
				  "every query"))
		return;
	d = ctl_policy_alloc(l, n->len, sizeof(*d));
	for (const struct ctl_policy_node *e = n->kids; d && e; e = e->next, i++)
		read_dns(l, e, &d[i]);
	r->dns = d;
	r->ndns = d ? i : 0;
}

/* ------------------------------------------------------------------- SQL */

static const char *read_verb(struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	const char *s = ctl_policy_tree_str(l, n, "an entry of `statements`");
	char up[33], q[CTL_POLICY_SHOW_BUF];

	if (!s)
		return NULL;
	if (!ctl_policy_check_verb(s, up)) {
		ctl_policy_err(l, n, "unknown SQL statement kind `%s`",
			       ctl_policy_show(q, n->text, n->len));
		return NULL;
	}
	return ctl_policy_strdup(l, up, strlen(up));
}

static const char *read_table(struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	const char *s = ctl_policy_tree_str(l, n, "an entry of `tables`");
	char q[CTL_POLICY_SHOW_BUF], *out;

	if (!s || !(out = ctl_policy_alloc(l, n->len + 1, 1)))
		return NULL;
	if (!ctl_policy_check_table(s, out)) {
		ctl_policy_err(l, n,
			       "invalid table name `%s`: name, schema.name or db.schema.name, each "
			       "of letters, digits, '_' and '$'",
			       ctl_policy_show(q, n->text, n->len));
		return NULL;
	}
	return out;
}

typedef const char *(*read_word_fn)(struct ctl_policy_loader *l, const struct ctl_policy_node *n);

/* statements or tables: strings, each read by @one, and their places. */
static void read_words(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		       const char *subject, const char *empty, read_word_fn one,
		       const char *const **ret, const struct bh_loc **ret_locs, uint32_t *ret_n)
{
	struct bh_loc *locs;
	const char **w;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, subject, empty))
		return;
	w = ctl_policy_alloc(l, n->len, sizeof(*w));
	locs = ctl_policy_alloc(l, n->len, sizeof(*locs));
	if (!w || !locs)
		return;
	for (const struct ctl_policy_node *e = n->kids; e; e = e->next)
		if ((w[i] = one(l, e)))
			locs[i++] = ctl_policy_loc(l, e);
	*ret = w;
	*ret_locs = locs;
	*ret_n = i;
}

enum { SA_STATEMENTS, SA_TABLES };
static const char *const sql_allow_keys[] = { "statements", "tables", NULL };
static const struct ctl_policy_schema sql_allow_schema = { .what = "an sql allow entry",
							   .keys = sql_allow_keys };

static void read_sql_allow(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			   struct bh_sql_rule *r)
{
	struct ctl_policy_fields f;

	if (!ctl_policy_tree_fields(l, n, "an entry of `allow`", &sql_allow_schema, &f))
		return;
	r->loc = ctl_policy_loc(l, n);
	if (!f.val[SA_STATEMENTS] && !f.val[SA_TABLES]) {
		ctl_policy_err(l, n,
			       "an empty sql allow entry allows every statement; leave out `sql` "
			       "instead");
		return;
	}
	if (f.val[SA_STATEMENTS])
		read_words(l, f.val[SA_STATEMENTS], "`statements`",
			   "`statements` is empty; leave it out to allow every statement kind",
			   read_verb, &r->statements, &r->statement_locs, &r->nstatements);
	if (f.val[SA_TABLES])
		read_words(l, f.val[SA_TABLES], "`tables`",
			   "`tables` is empty; leave it out to allow every table", read_table,
			   &r->tables, &r->table_locs, &r->ntables);
}

static const char *const sql_keys[] = { "allow", NULL };
static const struct ctl_policy_schema sql_schema = { .what = "`sql`", .keys = sql_keys };

static void read_sql(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		     struct bh_rule *r)
{
	const struct ctl_policy_node *a;
	struct ctl_policy_fields f;
	struct bh_sql_rule *s;
	uint32_t i = 0;

	if (!ctl_policy_tree_fields(l, n, "`sql`", &sql_schema, &f))
		return;
	a = f.val[0];
	if (!a) {
		ctl_policy_err(l, n, "missing `allow` in `sql`");
		return;
	}
	if (!ctl_policy_tree_list(l, a, "`allow`",
				  "`allow` is empty and would allow no statement; leave out `sql` "
				  "to allow every statement"))
		return;
	s = ctl_policy_alloc(l, a->len, sizeof(*s));
	for (const struct ctl_policy_node *e = a->kids; s && e; e = e->next, i++)
		read_sql_allow(l, e, &s[i]);
	r->sql = s;
	r->nsql = s ? i : 0;
}

/* ----------------------------------------------------------------- rules */

static bool all_udp(const struct bh_rule *r)
{
	if (!r->nports)
		return false;
	for (uint32_t i = 0; i < r->nports; i++)
		if (r->ports[i].proto != IPPROTO_UDP)
			return false;
	return true;
}

enum { L7_HTTP, L7_DNS, L7_SQL };
static const char *const l7_keys[] = { "http", "dns", "sql", NULL };
static const struct ctl_policy_schema l7_schema = { .what = "`rules`", .keys = l7_keys };

void ctl_policy_l7_read(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			struct bh_rule *r)
{
	struct ctl_policy_fields f;
	bool udp = all_udp(r);

	if (!ctl_policy_tree_fields(l, n, "`rules`", &l7_schema, &f))
		return;
	if (!n->len) {
		ctl_policy_err(
			l, n,
			"`rules` is empty: give `http`, `dns` or `sql` entries, or leave out "
			"`rules`");
		return;
	}
	if (f.val[L7_HTTP] && udp)
		ctl_policy_err(l, f.key[L7_HTTP],
			       "HTTP rules on a rule whose ports are all UDP: HTTP runs over TCP");
	else if (f.val[L7_HTTP])
		read_http_list(l, f.val[L7_HTTP], r);
	if (f.val[L7_DNS])
		read_dns_list(l, f.val[L7_DNS], r);
	if (f.val[L7_SQL] && udp)
		ctl_policy_err(l, f.key[L7_SQL],
			       "SQL rules on a rule whose ports are all UDP: SQL runs over TCP");
	else if (f.val[L7_SQL])
		read_sql(l, f.val[L7_SQL], r);
}
