/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_policy_load.c - the policy loader (ctl_policy.h) against the
 * documents of tests/data/policy (argv[1]):
 *
 *   bad/          each fails, and its FIRST error is at the place and holds
 *                 the text its header names: "# expect: LINE:COL: text" on
 *                 line 1 (YAML), or the same line in NAME.json.expect;
 *                 again through a buffer that ends at a guard page
 *   good/         each loads without a message (and compiles);
 *                 01-full.yaml, which uses every key, is checked field by
 *                 field; 02-model.yaml and 02-model.json read the same
 *   bad-compile/  each loads, and dpi_policy_new() rejects it at the place
 *                 its header names
 *
 * and: every error of a document is reported, in the order of the text; a
 * file that doesn't exist; an input over 16 MiB; the cap on errors; names
 * repeated across files; libfyaml never writes to stderr.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "bh_test.h"
#include "bulkhead/dpi.h"
#include "ctl_policy.h"

static const char *data_dir;

/* --------------------------------------------------------------- helpers */

#define MAX_MSGS 256

struct msgs {
	char *m[MAX_MSGS];
	unsigned n;
};

static void collect(void *ctx, const char *msg)
{
	struct msgs *c = ctx;

	if (c->n < MAX_MSGS)
		c->m[c->n] = strdup(msg);
	c->n++;
}

static void collect_compile(void *ctx, bool warning, const char *msg)
{
	if (warning)
		printf("# warning: %s\n", msg);
	else
		collect(ctx, msg);
}

static void msgs_free(struct msgs *c)
{
	for (unsigned i = 0; i < c->n && i < MAX_MSGS; i++)
		free(c->m[i]);
	memset(c, 0, sizeof(*c));
}

static void msgs_print(const struct msgs *c, const char *indent)
{
	if (!c->n)
		fprintf(stderr, "%s(no message)\n", indent);
	for (unsigned i = 0; i < c->n && i < MAX_MSGS; i++)
		fprintf(stderr, "%s%s\n", indent, c->m[i]);
}

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The .yaml and .json files of DIR/SUB, sorted; free with names_free(). */
static int list_docs(const char *sub, struct dirent ***ret)
{
	char path[4096];
	struct dirent **ents;
	int n, k = 0;

	snprintf(path, sizeof(path), "%s/%s", data_dir, sub);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (has_suffix(ents[i]->d_name, ".yaml") || has_suffix(ents[i]->d_name, ".json"))
			ents[k++] = ents[i];
		else
			free(ents[i]);
	}
	*ret = ents;
	return k;
}

static void names_free(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

struct expect {
	unsigned line, col;
	char text[512];
};

/* "LINE:COL: text" at @s (up to the end of its line). */
static bool parse_expect(const char *s, struct expect *e)
{
	int off = 0;
	size_t n;

	if (sscanf(s, "%u:%u: %n", &e->line, &e->col, &off) != 2 || !off)
		return false;
	s += off;
	n = strcspn(s, "\r\n");
	if (!n || n >= sizeof(e->text))
		return false;
	memcpy(e->text, s, n);
	e->text[n] = '\0';
	return true;
}

/* The expectation of SUB/NAME, whose text is @c. */
static bool read_expect(const char *sub, const char *name, const struct bh_corpus *c,
			struct expect *e)
{
	char dir[4096], file[512];
	struct bh_corpus x;
	bool ok;

	if (!has_suffix(name, ".json")) {
		ok = strncmp(c->data, "# expect: ", 10) == 0 && parse_expect(c->data + 10, e);
	} else {
		snprintf(dir, sizeof(dir), "%s/%s", data_dir, sub);
		snprintf(file, sizeof(file), "%s.expect", name);
		if (bh_corpus_load(dir, file, &x) < 0)
			return false;
		ok = parse_expect(x.data, e);
		free(x.data);
	}
	if (!ok)
		fprintf(stderr, "%s/%s: no valid expectation (\"LINE:COL: text\")\n", sub, name);
	return ok;
}

/* Whether @msg is "PATH:LINE:COL: ...text..." as @e expects. */
static bool msg_matches(const char *msg, const char *path, const struct expect *e)
{
	char head[4200];
	int n = snprintf(head, sizeof(head), "%s:%u:%u: ", path, e->line, e->col);

	if (n < 0 || (size_t)n >= sizeof(head))
		return false;
	return msg && strncmp(msg, head, (size_t)n) == 0 && strstr(msg + n, e->text) != NULL;
}

static void show_mismatch(const char *what, const char *path, const struct expect *e,
			  const struct msgs *m)
{
	fprintf(stderr, "%s: %s: expected as the first error\n    %s:%u:%u: ...%s...\n  got\n",
		path, what, path, e->line, e->col, e->text);
	msgs_print(m, "    ");
}

static int load_path(const char *path, struct msgs *m, struct ctl_policy **ret)
{
	const char *files[] = { path };

	return ctl_policy_load(files, 1, collect, m, ret);
}

static void doc_path(char *buf, size_t size, const char *sub, const char *name)
{
	snprintf(buf, size, "%s/%s/%s", data_dir, sub, name);
}

/* ------------------------------------------------------------------ bad/ */

/* One bad document, from its file and again from a guarded buffer. */
static void check_bad(const char *name, unsigned *njson)
{
	struct ctl_policy *p = (struct ctl_policy *)&p; /* must stay untouched */
	struct msgs m = { 0 }, g = { 0 };
	char dir[4096], path[4200];
	struct bh_corpus c;
	struct expect e;
	uint8_t *buf;
	int r;

	snprintf(dir, sizeof(dir), "%s/bad", data_dir);
	doc_path(path, sizeof(path), "bad", name);
	if (bh_corpus_load(dir, name, &c) < 0 || !read_expect("bad", name, &c, &e)) {
		CHECK(!"readable document with an expectation");
		free(c.data);
		return;
	}
	*njson += has_suffix(name, ".json");
	r = load_path(path, &m, &p);
	CHECK_EQ(r, -EINVAL);
	CHECK(p == (struct ctl_policy *)&p);
	CHECK(m.n > 0);
	if (!msg_matches(m.n ? m.m[0] : NULL, path, &e)) {
		bh_test_failures++;
		show_mismatch("read from its file", path, &e, &m);
	}
	buf = guard_dup(c.data, c.size);
	r = ctl_policy_load_mem(path, (const char *)buf, c.size, collect, &g, &p);
	CHECK_EQ(r, -EINVAL);
	if (!msg_matches(g.n ? g.m[0] : NULL, path, &e)) {
		bh_test_failures++;
		show_mismatch("read from a guarded buffer", path, &e, &g);
	}
	guard_free(buf, c.size);
	free(c.data);
	msgs_free(&m);
	msgs_free(&g);
}

static void test_bad(void)
{
	struct dirent **ents = NULL;
	int n = list_docs("bad", &ents);
	unsigned njson = 0;

	for (int i = 0; i < n; i++)
		check_bad(ents[i]->d_name, &njson);
	printf("# bad: %d documents, %u of them JSON\n", n, njson);
	CHECK(n >= 55);
	CHECK(njson >= 10);
	names_free(ents, n);
}

/* ----------------------------------------------------------------- good/ */

static void check_good(const char *name)
{
	struct msgs m = { 0 }, g = { 0 }, cm = { 0 };
	struct ctl_policy *p = NULL, *q = NULL;
	struct dpi_policy *dp = NULL;
	char dir[4096], path[4200];
	struct bh_corpus c;
	uint8_t *buf;

	snprintf(dir, sizeof(dir), "%s/good", data_dir);
	doc_path(path, sizeof(path), "good", name);
	CHECK_EQ(load_path(path, &m, &p), 0);
	CHECK_EQ(m.n, 0);
	if (m.n) {
		fprintf(stderr, "%s: should load without a message, got\n", path);
		msgs_print(&m, "    ");
	}
	if (p) {
		CHECK_EQ(dpi_policy_new(ctl_policy_doc(p), collect_compile, &cm, &dp), 0);
		if (cm.n) {
			fprintf(stderr, "%s: should compile, got\n", path);
			msgs_print(&cm, "    ");
		}
	}
	if (bh_corpus_load(dir, name, &c) == 0) {
		buf = guard_dup(c.data, c.size);
		CHECK_EQ(ctl_policy_load_mem(path, (const char *)buf, c.size, collect, &g, &q), 0);
		CHECK_EQ(g.n, 0);
		guard_free(buf, c.size);
		free(c.data);
	}
	dpi_policy_free(dp);
	ctl_policy_free(p);
	ctl_policy_free(q);
	msgs_free(&m);
	msgs_free(&g);
	msgs_free(&cm);
}

static void test_good(void)
{
	struct dirent **ents = NULL;
	int n = list_docs("good", &ents);

	for (int i = 0; i < n; i++)
		check_good(ents[i]->d_name);
	CHECK(n >= 4);
	names_free(ents, n);
}

/* --------------------------------------------------- good/01-full.yaml */

static bool loc_is(const struct bh_loc *l, const char *file, unsigned line, unsigned col)
{
	if (l->file && !strcmp(l->file, file) && l->line == line && l->col == col)
		return true;
	fprintf(stderr, "  loc %s:%u:%u, expected %u:%u\n", l->file ? l->file : "(null)", l->line,
		l->col, line, col);
	return false;
}

static bool str_is(const char *s, const char *want)
{
	if (s && want && !strcmp(s, want))
		return true;
	fprintf(stderr, "  \"%s\", expected \"%s\"\n", s ? s : "(null)", want ? want : "(null)");
	return false;
}

static bool cidr_is(const struct bh_cidr *c, const char *addr, unsigned plen)
{
	union bh_addr a = { 0 };

	if (strchr(addr, ':')) {
		inet_pton(AF_INET6, addr, a.b);
	} else {
		a.b[10] = a.b[11] = 0xff;
		inet_pton(AF_INET, addr, a.b + 12);
	}
	return c->plen == plen && !memcmp(&a, &c->net, sizeof(a));
}

static void check_full_workload(const struct bh_workload *w, const char *f)
{
	CHECK(str_is(w->name, "orders-api-7f9c"));
	CHECK(loc_is(&w->loc, f, 3, 1));
	CHECK_EQ(w->nlabels, 4);
	if (w->nlabels == 4) {
		CHECK(str_is(w->labels[0].key, "app") && str_is(w->labels[0].value, "orders-api"));
		CHECK(str_is(w->labels[2].key, "example.com/tier"));
		CHECK(str_is(w->labels[2].value, "backend"));
		CHECK(str_is(w->labels[3].value, "2")); /* a plain number, as its text */
		CHECK(loc_is(&w->labels[1].loc, f, 6, 27));
	}
	CHECK_EQ(w->naddrs, 4);
	if (w->naddrs == 4) {
		CHECK(cidr_is(&w->addrs[0], "10.42.1.17", 128));
		CHECK(cidr_is(&w->addrs[1], "fd00::17", 128));
		CHECK(cidr_is(&w->addrs[2], "10.42.2.0", 96 + 24));
		CHECK(cidr_is(&w->addrs[3], "fd00:1::", 64));
		CHECK(loc_is(&w->addrs[0].loc, f, 7, 13));
		CHECK(loc_is(&w->addrs[1].loc, f, 7, 25));
	}
	CHECK(str_is(w->interface, "veth3a9f"));
}

static void check_full_selector(const struct bh_selector *s, const char *f)
{
	CHECK(loc_is(&s->loc, f, 16, 5));
	CHECK_EQ(s->nlabels, 1);
	CHECK_EQ(s->nexprs, 4);
	if (s->nexprs != 4)
		return;
	CHECK(str_is(s->exprs[0].key, "team"));
	CHECK_EQ(s->exprs[0].op, BH_SEL_IN);
	CHECK_EQ(s->exprs[0].nvalues, 2);
	if (s->exprs[0].nvalues == 2)
		CHECK(str_is(s->exprs[0].values[1], "billing"));
	CHECK(loc_is(&s->exprs[0].loc, f, 18, 7));
	CHECK_EQ(s->exprs[1].op, BH_SEL_NOT_IN);
	CHECK_EQ(s->exprs[2].op, BH_SEL_EXISTS);
	CHECK(str_is(s->exprs[2].key, "example.com/tier"));
	CHECK_EQ(s->exprs[2].nvalues, 0);
	CHECK_EQ(s->exprs[3].op, BH_SEL_DOES_NOT_EXIST);
}

static void check_full_http(const struct bh_rule *r, const char *f)
{
	const struct bh_http_rule *h = r->http;

	CHECK_EQ(r->nhttp, 2);
	if (r->nhttp != 2)
		return;
	CHECK(loc_is(&h[0].loc, f, 34, 9));
	CHECK(str_is(h[0].method, "GET|POST"));
	CHECK(loc_is(&h[0].method_loc, f, 34, 17));
	CHECK(str_is(h[0].path, "/v1/orders(/[0-9]+)?"));
	CHECK(loc_is(&h[0].path_loc, f, 35, 15));
	CHECK(str_is(h[0].host, "orders\\.example\\.com"));
	CHECK_EQ(h[0].nheaders, 2);
	if (h[0].nheaders == 2) {
		CHECK(str_is(h[0].headers[0].name, "X-Probe"));
		CHECK(str_is(h[0].headers[0].value, "kubelet"));
		CHECK(loc_is(&h[0].headers[0].loc, f, 38, 11));
		CHECK(loc_is(&h[0].headers[0].value_loc, f, 38, 34));
		CHECK(str_is(h[0].headers[1].name, "Authorization"));
		CHECK(h[0].headers[1].value == NULL);
	}
	CHECK(h[1].method == NULL && h[1].host == NULL);
	CHECK(str_is(h[1].path, "/healthz"));
}

static void check_full_ingress(const struct bh_policy *p, const char *f)
{
	const struct bh_rule *r = p->ingress;

	CHECK(p->has_ingress);
	CHECK_EQ(p->ningress, 1);
	if (p->ningress != 1)
		return;
	CHECK(str_is(r->name, "from-frontend"));
	CHECK(loc_is(&r->loc, f, 24, 5));
	CHECK(r->has_peers);
	CHECK_EQ(r->npeers, 2);
	if (r->npeers == 2) {
		CHECK_EQ(r->peers[0].kind, BH_PEER_SELECTOR);
		CHECK(loc_is(&r->peers[0].loc, f, 26, 7));
		CHECK_EQ(r->peers[0].sel.nlabels, 1);
		CHECK_EQ(r->peers[1].kind, BH_PEER_CIDR);
		CHECK(cidr_is(&r->peers[1].cidr, "10.0.0.0", 96 + 8));
		CHECK(loc_is(&r->peers[1].cidr.loc, f, 27, 13));
		CHECK_EQ(r->peers[1].nexcept, 2);
		if (r->peers[1].nexcept == 2) {
			CHECK(cidr_is(&r->peers[1].except[1], "10.99.7.99", 128));
			CHECK(loc_is(&r->peers[1].except[1].loc, f, 28, 30));
		}
	}
	CHECK_EQ(r->nports, 2);
	if (r->nports == 2) {
		CHECK(r->ports[0].port == 8080 && r->ports[0].end_port == 0);
		CHECK_EQ(r->ports[0].proto, IPPROTO_TCP);
		CHECK(loc_is(&r->ports[0].loc, f, 30, 7));
		CHECK(r->ports[1].port == 9000 && r->ports[1].end_port == 9010);
		CHECK_EQ(r->ports[1].proto, IPPROTO_TCP); /* the default */
	}
	CHECK(r->has_l7);
	CHECK(loc_is(&r->l7_loc, f, 32, 5));
	check_full_http(r, f);
	CHECK(r->ndns == 0 && r->nsql == 0);
}

static void check_full_egress(const struct bh_policy *p, const char *f)
{
	const struct bh_rule *r = p->egress;

	CHECK_EQ(p->negress, 3);
	if (p->negress != 3)
		return;
	CHECK_EQ(r[0].npeers, 1);
	CHECK(r[0].npeers == 1 && r[0].peers[0].sel.nlabels == 0 && r[0].peers[0].sel.nexprs == 0);
	CHECK_EQ(r[0].nports, 2);
	if (r[0].nports == 2)
		CHECK(r[0].ports[0].proto == IPPROTO_UDP && r[0].ports[1].proto == IPPROTO_TCP);
	CHECK_EQ(r[0].ndns, 2);
	if (r[0].ndns == 2) {
		CHECK(str_is(r[0].dns[0].match_pattern, "*.shop.svc.cluster.local"));
		CHECK(r[0].dns[0].match_name == NULL);
		CHECK(str_is(r[0].dns[1].match_name, "api.example.com"));
		CHECK(loc_is(&r[0].dns[1].loc, f, 48, 9));
	}
	CHECK(cidr_is(&r[1].peers[0].cidr, "fd00:99::", 48));
	CHECK_EQ(r[1].nsql, 2);
	if (r[1].nsql == 2) {
		const struct bh_sql_rule *s = r[1].sql;

		CHECK_EQ(s[0].nstatements, 3);
		if (s[0].nstatements == 3) {
			CHECK(str_is(s[0].statements[0], "SELECT"));
			CHECK(str_is(s[0].statements[1], "INSERT"));
			CHECK(loc_is(&s[0].statement_locs[1], f, 55, 33));
		}
		CHECK_EQ(s[0].ntables, 2);
		if (s[0].ntables == 2) {
			CHECK(str_is(s[0].tables[0], "orders"));
			CHECK(str_is(s[0].tables[1], "shop.order_items"));
			CHECK(loc_is(&s[0].table_locs[1], f, 55, 67));
		}
		CHECK(s[1].nstatements == 0 && s[1].statements == NULL);
		CHECK_EQ(s[1].ntables, 1);
	}
	CHECK(r[2].name == NULL && !r[2].has_l7);
	CHECK(r[2].nports == 1 && r[2].ports[0].port == 0 && r[2].ports[0].proto == IPPROTO_UDP);
}

static void test_full(void)
{
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };
	char f[4200];
	const struct bh_policy_doc *d;
	const struct bh_policy *pol;

	doc_path(f, sizeof(f), "good", "01-full.yaml");
	CHECK_EQ(load_path(f, &m, &p), 0);
	d = ctl_policy_doc(p);
	if (!d || d->nworkloads != 1 || d->npolicies != 1) {
		CHECK(!"01-full.yaml: one workload and one policy");
		goto out;
	}
	check_full_workload(&d->workloads[0], f);
	pol = &d->policies[0];
	CHECK(str_is(pol->name, "orders-api"));
	CHECK(loc_is(&pol->loc, f, 10, 1));
	CHECK_EQ(pol->mode, BH_MODE_MONITOR);
	check_full_selector(&pol->selector, f);
	check_full_ingress(pol, f);
	CHECK(pol->has_egress);
	check_full_egress(pol, f);
	CHECK_EQ(pol->sig_sets,
		 (1u << DPI_SET_SQLI) | (1u << DPI_SET_TRAVERSAL) | (1u << DPI_SET_CUSTOM));
	CHECK(!pol->sig_deny);
	CHECK(loc_is(&pol->sig_loc, f, 59, 3));
	CHECK(pol->unparsed_allow);
out:
	ctl_policy_free(p);
	msgs_free(&m);
}

/* Defaults: protect, signatures none, deny, onUnparsed deny. */
static void test_defaults(void)
{
	static const char doc[] = "apiVersion: bulkhead/v1\nkind: WorkloadPolicy\n"
				  "metadata: {name: p}\nspec: {selector: {}, ingress: []}\n";
	struct ctl_policy *p = NULL;
	const struct bh_policy *pol;

	CHECK_EQ(ctl_policy_load_mem("d.yaml", doc, sizeof(doc) - 1, NULL, NULL, &p), 0);
	if (!p)
		return;
	pol = &ctl_policy_doc(p)->policies[0];
	CHECK_EQ(pol->mode, BH_MODE_PROTECT);
	CHECK(pol->has_ingress && pol->ningress == 0 && !pol->has_egress);
	CHECK(pol->sig_sets == 0 && pol->sig_deny && !pol->unparsed_allow);
	CHECK(pol->selector.nlabels == 0 && pol->selector.nexprs == 0);
	ctl_policy_free(p);
}

/* ------------------------------------------------------- JSON and YAML */

static int diffs;

#define SAME(cond, what)                                                                 \
	do {                                                                             \
		if (!(cond) && diffs++ < 10)                                             \
			fprintf(stderr, "  JSON and YAML differ: %s\n", what);            \
	} while (0)

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_kv(const struct bh_kv *a, uint32_t na, const struct bh_kv *b, uint32_t nb)
{
	if (na != nb)
		return false;
	for (uint32_t i = 0; i < na; i++)
		if (!same_str(a[i].key, b[i].key) || !same_str(a[i].value, b[i].value))
			return false;
	return true;
}

static bool same_strs(const char *const *a, uint32_t na, const char *const *b, uint32_t nb)
{
	if (na != nb)
		return false;
	for (uint32_t i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return false;
	return true;
}

static bool same_cidr(const struct bh_cidr *a, const struct bh_cidr *b)
{
	return a->plen == b->plen && !memcmp(&a->net, &b->net, sizeof(a->net));
}

static void same_selector(const struct bh_selector *a, const struct bh_selector *b)
{
	SAME(same_kv(a->labels, a->nlabels, b->labels, b->nlabels), "matchLabels");
	SAME(a->nexprs == b->nexprs, "number of matchExpressions");
	for (uint32_t i = 0; i < a->nexprs && i < b->nexprs; i++) {
		SAME(same_str(a->exprs[i].key, b->exprs[i].key) && a->exprs[i].op == b->exprs[i].op,
		     "matchExpressions key or operator");
		SAME(same_strs(a->exprs[i].values, a->exprs[i].nvalues, b->exprs[i].values,
			       b->exprs[i].nvalues),
		     "matchExpressions values");
	}
}

static void same_peer(const struct bh_peer *a, const struct bh_peer *b)
{
	SAME(a->kind == b->kind, "peer kind");
	same_selector(&a->sel, &b->sel);
	SAME(a->kind != BH_PEER_CIDR || same_cidr(&a->cidr, &b->cidr), "peer cidr");
	SAME(a->nexcept == b->nexcept, "number of excepts");
	for (uint32_t i = 0; i < a->nexcept && i < b->nexcept; i++)
		SAME(same_cidr(&a->except[i], &b->except[i]), "except");
}

static void same_http(const struct bh_http_rule *a, const struct bh_http_rule *b)
{
	SAME(same_str(a->method, b->method) && same_str(a->path, b->path) &&
		     same_str(a->host, b->host),
	     "http method, path or host");
	SAME(a->nheaders == b->nheaders, "number of headers");
	for (uint32_t i = 0; i < a->nheaders && i < b->nheaders; i++)
		SAME(same_str(a->headers[i].name, b->headers[i].name) &&
			     same_str(a->headers[i].value, b->headers[i].value),
		     "header");
}

static void same_l7(const struct bh_rule *a, const struct bh_rule *b)
{
	SAME(a->has_l7 == b->has_l7, "has_l7");
	SAME(a->nhttp == b->nhttp && a->ndns == b->ndns && a->nsql == b->nsql,
	     "number of L7 entries");
	for (uint32_t i = 0; i < a->nhttp && i < b->nhttp; i++)
		same_http(&a->http[i], &b->http[i]);
	for (uint32_t i = 0; i < a->ndns && i < b->ndns; i++)
		SAME(same_str(a->dns[i].match_name, b->dns[i].match_name) &&
			     same_str(a->dns[i].match_pattern, b->dns[i].match_pattern),
		     "dns entry");
	for (uint32_t i = 0; i < a->nsql && i < b->nsql; i++) {
		SAME(same_strs(a->sql[i].statements, a->sql[i].nstatements, b->sql[i].statements,
			       b->sql[i].nstatements),
		     "sql statements");
		SAME(same_strs(a->sql[i].tables, a->sql[i].ntables, b->sql[i].tables,
			       b->sql[i].ntables),
		     "sql tables");
	}
}

static void same_rules(const struct bh_rule *a, uint32_t na, const struct bh_rule *b, uint32_t nb)
{
	SAME(na == nb, "number of rules");
	for (uint32_t i = 0; i < na && i < nb; i++) {
		SAME(same_str(a[i].name, b[i].name), "rule name");
		SAME(a[i].has_peers == b[i].has_peers && a[i].npeers == b[i].npeers, "peers");
		for (uint32_t k = 0; k < a[i].npeers && k < b[i].npeers; k++)
			same_peer(&a[i].peers[k], &b[i].peers[k]);
		SAME(a[i].nports == b[i].nports, "number of ports");
		for (uint32_t k = 0; k < a[i].nports && k < b[i].nports; k++)
			SAME(a[i].ports[k].port == b[i].ports[k].port &&
				     a[i].ports[k].end_port == b[i].ports[k].end_port &&
				     a[i].ports[k].proto == b[i].ports[k].proto,
			     "port");
		same_l7(&a[i], &b[i]);
	}
}

static void same_doc(const struct bh_policy_doc *a, const struct bh_policy_doc *b)
{
	SAME(a->nworkloads == b->nworkloads && a->npolicies == b->npolicies, "document counts");
	for (uint32_t i = 0; i < a->nworkloads && i < b->nworkloads; i++) {
		const struct bh_workload *x = &a->workloads[i], *y = &b->workloads[i];

		SAME(same_str(x->name, y->name) && same_str(x->interface, y->interface),
		     "workload name or interface");
		SAME(same_kv(x->labels, x->nlabels, y->labels, y->nlabels), "labels");
		SAME(x->naddrs == y->naddrs, "number of addresses");
		for (uint32_t k = 0; k < x->naddrs && k < y->naddrs; k++)
			SAME(same_cidr(&x->addrs[k], &y->addrs[k]), "address");
	}
	for (uint32_t i = 0; i < a->npolicies && i < b->npolicies; i++) {
		const struct bh_policy *x = &a->policies[i], *y = &b->policies[i];

		SAME(same_str(x->name, y->name) && x->mode == y->mode, "policy name or mode");
		same_selector(&x->selector, &y->selector);
		SAME(x->has_ingress == y->has_ingress && x->has_egress == y->has_egress,
		     "has_ingress, has_egress");
		same_rules(x->ingress, x->ningress, y->ingress, y->ningress);
		same_rules(x->egress, x->negress, y->egress, y->negress);
		SAME(x->sig_sets == y->sig_sets && x->sig_deny == y->sig_deny &&
			     x->unparsed_allow == y->unparsed_allow,
		     "signatures or onUnparsed");
	}
}

static void test_json_yaml(void)
{
	struct ctl_policy *y = NULL, *j = NULL;
	struct msgs m = { 0 };
	char fy[4200], fj[4200];

	doc_path(fy, sizeof(fy), "good", "02-model.yaml");
	doc_path(fj, sizeof(fj), "good", "02-model.json");
	CHECK_EQ(load_path(fy, &m, &y), 0);
	CHECK_EQ(load_path(fj, &m, &j), 0);
	if (y && j) {
		const struct bh_policy_doc *a = ctl_policy_doc(y), *b = ctl_policy_doc(j);

		diffs = 0;
		CHECK(a->nworkloads == 1 && a->npolicies == 1 && a->policies[0].negress == 3);
		same_doc(a, b);
		CHECK_EQ(diffs, 0);
		if (b->npolicies)
			CHECK(!strcmp(b->policies[0].loc.file, fj) && b->policies[0].loc.line == 10);
	}
	ctl_policy_free(y);
	ctl_policy_free(j);
	msgs_free(&m);
}

/* ---------------------------------------------------------- bad-compile/ */

static void check_bad_compile(const char *name, unsigned *enforced)
{
	struct msgs m = { 0 }, cm = { 0 };
	struct ctl_policy *p = NULL;
	struct dpi_policy *dp = NULL;
	char dir[4096], path[4200];
	struct bh_corpus c;
	struct expect e;
	int r;

	snprintf(dir, sizeof(dir), "%s/bad-compile", data_dir);
	doc_path(path, sizeof(path), "bad-compile", name);
	if (bh_corpus_load(dir, name, &c) < 0 || !read_expect("bad-compile", name, &c, &e)) {
		CHECK(!"readable document with an expectation");
		free(c.data);
		return;
	}
	free(c.data);
	CHECK_EQ(load_path(path, &m, &p), 0);
	if (!p) {
		msgs_print(&m, "    ");
		return;
	}
	r = dpi_policy_new(ctl_policy_doc(p), collect_compile, &cm, &dp);
	if (r != 0)
		(*enforced)++;
	if (r != 0 && !msg_matches(cm.n ? cm.m[0] : NULL, path, &e)) {
		bh_test_failures++;
		show_mismatch("compiled", path, &e, &cm);
	}
	if (r == 0 && cm.n)
		msgs_print(&cm, "    ");
	dpi_policy_free(dp);
	ctl_policy_free(p);
	msgs_free(&m);
	msgs_free(&cm);
}

static void test_bad_compile(void)
{
	struct dirent **ents = NULL;
	int n = list_docs("bad-compile", &ents);
	unsigned enforced = 0;

	for (int i = 0; i < n; i++)
		check_bad_compile(ents[i]->d_name, &enforced);
	CHECK(n >= 3);
	if (!enforced) {
		printf("bad-compile: compiler not enforcing yet\n");
		bh_test_failures++;
	} else {
		CHECK_EQ(enforced, (unsigned)n);
	}
	names_free(ents, n);
}

/* ---------------------------------------------------------------- others */

/* Three errors, reported in the order of the text whatever order they are
 * found in; nothing is returned. */
static void test_all_errors(void)
{
	static const char doc[] = "apiVersion: bulkhead/v1\n"
				  "kind: WorkloadPolicy\n"
				  "metadata: {name: Web}\n"
				  "spec:\n"
				  "  ingress:\n"
				  "  - ports: [{port: 0}]\n"
				  "  selector: {}\n"
				  "  mode: enforce\n";
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };

	CHECK_EQ(ctl_policy_load_mem("three.yaml", doc, sizeof(doc) - 1, collect, &m, &p), -EINVAL);
	CHECK(p == NULL);
	CHECK_EQ(m.n, 3);
	if (m.n == 3) {
		CHECK(starts_with(m.m[0], "three.yaml:3:18: invalid name `Web`"));
		CHECK(starts_with(m.m[1], "three.yaml:6:20: port 0 is out of range"));
		CHECK(starts_with(m.m[2], "three.yaml:8:9: unknown mode `enforce`"));
	} else {
		msgs_print(&m, "    ");
	}
	msgs_free(&m);
}

static void test_missing_file(void)
{
	struct ctl_policy *p = (struct ctl_policy *)&p;
	char good[4200];
	const char *files[2] = { NULL, "/nonexistent/bulkhead/policy.yaml" };
	struct msgs m = { 0 };

	doc_path(good, sizeof(good), "good", "02-model.yaml");
	files[0] = good;
	CHECK_EQ(ctl_policy_load(files, 2, collect, &m, &p), -ENOENT);
	CHECK(p == (struct ctl_policy *)&p);
	CHECK_EQ(m.n, 1);
	CHECK(m.n && strstr(m.m[0], "/nonexistent/bulkhead/policy.yaml: ") == m.m[0] &&
	      strstr(m.m[0], "No such file or directory"));
	msgs_free(&m);
	CHECK_EQ(ctl_policy_load(files + 1, 1, NULL, NULL, &p), -ENOENT); /* no callback */
	{
		char dir[4200];
		const char *d[] = { dir };

		snprintf(dir, sizeof(dir), "%s/good", data_dir);
		CHECK_EQ(ctl_policy_load(d, 1, collect, &m, &p), -EISDIR);
		msgs_free(&m);
	}
}

/* The cap is 16 MiB: one byte more is refused before parsing; exactly that
 * much (a comment) is read. */
static void test_size(void)
{
	size_t cap = 16u << 20;
	char *big = malloc(cap + 1);
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };

	if (!big)
		abort();
	memset(big, ' ', cap + 1);
	big[0] = '#';
	big[cap - 1] = '\n';
	CHECK_EQ(ctl_policy_load_mem("big.yaml", big, cap + 1, collect, &m, &p), -EFBIG);
	CHECK(p == NULL);
	CHECK_EQ(m.n, 1);
	CHECK(m.n && !strcmp(m.m[0], "big.yaml: larger than the limit of 16 MiB"));
	msgs_free(&m);
	CHECK_EQ(ctl_policy_load_mem("big.yaml", big, cap, collect, &m, &p), 0);
	CHECK(p && ctl_policy_doc(p)->nworkloads == 0 && ctl_policy_doc(p)->npolicies == 0);
	CHECK_EQ(m.n, 0);
	ctl_policy_free(p);
	free(big);
}

/* 150 errors: the first 100, then one line that says so. */
static void test_error_cap(void)
{
	static const char head[] = "apiVersion: bulkhead/v1\nkind: WorkloadPolicy\n"
				   "metadata: {name: p}\nspec:\n  selector: {}\n  ingress:\n"
				   "  - ports:\n";
	size_t size = sizeof(head) + 150 * 20, n = sizeof(head) - 1;
	char *doc = malloc(size);
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };

	if (!doc)
		abort();
	memcpy(doc, head, n);
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(doc + n, size - n, "    - {port: 0}\n");
	CHECK_EQ(ctl_policy_load_mem("cap.yaml", doc, n, collect, &m, &p), -EINVAL);
	CHECK_EQ(m.n, 101);
	CHECK(m.n == 101 && !strcmp(m.m[99], "cap.yaml:107:14: port 0 is out of range (1..65535)"));
	CHECK(m.n == 101 &&
	      !strcmp(m.m[100], "cap.yaml: too many errors; stopped after the first 100"));
	msgs_free(&m);
	free(doc);
}

/* Documents of several files are one set: names are unique across them. */
static void test_files(void)
{
	char a[4200], b[4200], c[4200], want[8600];
	const char *merge[] = { a, b }, *dup[] = { c, a };
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };

	doc_path(a, sizeof(a), "good", "03-list.yaml");
	doc_path(b, sizeof(b), "good", "04-object.json");
	doc_path(c, sizeof(c), "good", "02-model.yaml");
	CHECK_EQ(ctl_policy_load(merge, 2, collect, &m, &p), 0);
	if (p) {
		const struct bh_policy_doc *d = ctl_policy_doc(p);

		CHECK(d->nworkloads == 2 && d->npolicies == 3);
		CHECK(d->npolicies == 3 && !strcmp(d->policies[2].loc.file, b));
		CHECK(d->npolicies == 3 && !strcmp(d->policies[1].name, "open-out"));
	}
	ctl_policy_free(p);
	p = NULL;
	doc_path(a, sizeof(a), "good", "01-full.yaml");
	CHECK_EQ(ctl_policy_load(dup, 2, collect, &m, &p), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:5:18: duplicate workload name `orders-api-7f9c` (first at %s:5:18)", a, c);
	CHECK(m.n >= 1 && !strcmp(m.m[0], want));
	if (m.n < 1 || strcmp(m.m[0], want))
		msgs_print(&m, "    ");
	msgs_free(&m);
}

/* libfyaml's diagnostics go through our callback, never to stderr. */
static void test_quiet(void)
{
	static const char *const docs[] = {
		"a: [1\n", "{\"a\": 1,}", "a: 1\n\tb: 2\n", "a: *x\n", "%YAML 9.9\n---\na: 1\n",
		"a: \"\xc3\x28\"\n", /* malformed UTF-8 */
	};
	char tmpl[] = "/tmp/test_policy_load.XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(2);
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };
	size_t rejected = 0;
	struct stat st;

	if (fd < 0 || saved < 0)
		abort();
	unlink(tmpl);
	fflush(stderr);
	dup2(fd, 2);
	/* No CHECK while stderr is redirected: its output would be counted. */
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (ctl_policy_load_mem("q", docs[i], strlen(docs[i]), collect, &m, &p) < 0 &&
		    m.n >= 1)
			rejected++;
		msgs_free(&m);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_EQ(rejected, sizeof(docs) / sizeof(docs[0]));
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
}

static void test_null(void)
{
	struct ctl_policy *p = NULL;

	ctl_policy_free(NULL);
	CHECK(ctl_policy_doc(NULL) == NULL);
	CHECK_EQ(ctl_policy_load_mem("empty.yaml", NULL, 0, NULL, NULL, &p), 0);
	CHECK(p && ctl_policy_doc(p)->nworkloads == 0);
	ctl_policy_free(p);
	CHECK_EQ(ctl_policy_load(NULL, 0, NULL, NULL, &p), 0);
	ctl_policy_free(p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s tests/data/policy\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	RUN(test_bad);
	RUN(test_good);
	RUN(test_full);
	RUN(test_defaults);
	RUN(test_json_yaml);
	RUN(test_all_errors);
	RUN(test_missing_file);
	RUN(test_size);
	RUN(test_error_cap);
	RUN(test_files);
	RUN(test_quiet);
	RUN(test_null);
	RUN(test_bad_compile);
	return bh_test_summary();
}
