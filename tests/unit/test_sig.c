/* SPDX-License-Identifier: GPL-2.0-only */
/* test_sig.c - the signature engine: compile, prefilter, confirmation. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_sig.h"

struct fx {
	struct dpi_rule_set *set;
	struct dpi_sig_db *db;
	struct dpi_sig_scratch *s;
	char err[512];
};

struct got {
	int n;
	uint32_t sid[64];
	struct dpi_sig_alert a[64];
};

static void print_err(void *ctx, const struct dpi_rule_error *e)
{
	(void)ctx;
	fprintf(stderr, "rule error: %s\n", e->text);
}

/* Loads and compiles @text; returns dpi_sig_compile()'s result. */
static int setup(struct fx *f, const char *text)
{
	int r;

	memset(f, 0, sizeof(*f));
	r = dpi_rules_load_buffer("t.rules", text, strlen(text), NULL, &f->set, print_err, NULL);
	if (r < 0)
		return -100;
	r = dpi_sig_compile(f->set, &f->db, f->err, sizeof(f->err));
	if (r < 0)
		return r;
	return dpi_sig_scratch_new(f->db, &f->s);
}

static void teardown(struct fx *f)
{
	dpi_sig_scratch_free(f->s);
	dpi_sig_db_free(f->db);
	dpi_rules_free(f->set);
}

static void on_alert(void *ctx, const struct dpi_sig_alert *a)
{
	struct got *g = ctx;

	if (g->n < 64) {
		g->sid[g->n] = a->rule->sid;
		g->a[g->n] = *a;
	}
	g->n++;
}

static int fired(const struct got *g, uint32_t sid)
{
	int c = 0;

	for (int i = 0; i < g->n && i < 64; i++)
		c += g->sid[i] == sid;
	return c;
}

/* A transaction whose buffers hold guard-page copies of strings. */
struct txb {
	struct dpi_sig_tx tx;
	struct dpi_slice v[DPI_RB__COUNT][8];
};

static void txb_init(struct txb *t, enum dpi_rule_app app, unsigned dir)
{
	memset(t, 0, sizeof(*t));
	t->tx.app = app;
	t->tx.dir = dir;
}

static void txb_add(struct txb *t, enum dpi_rule_buffer b, const char *s)
{
	size_t len = strlen(s);
	uint32_t k = t->tx.nvals[b]++;

	t->v[b][k].p = guard_dup(s, len);
	t->v[b][k].len = (uint32_t)len;
	t->tx.vals[b] = t->v[b];
}

static void txb_free(struct txb *t)
{
	for (size_t b = 0; b < DPI_RB__COUNT; b++)
		for (uint32_t k = 0; k < t->tx.nvals[b]; k++)
			guard_free((uint8_t *)t->v[b][k].p, t->v[b][k].len);
}

static struct got run_tx(struct fx *f, struct txb *t)
{
	struct got g = {0};
	int r = dpi_sig_inspect(f->db, f->s, &t->tx, on_alert, &g);

	CHECK_EQ(r, g.n);
	txb_free(t);
	return g;
}

/* One value in one buffer of an HTTP request. */
static struct got one(struct fx *f, enum dpi_rule_app app, enum dpi_rule_buffer b, const char *s)
{
	struct txb t;

	txb_init(&t, app, DPI_TO_SERVER);
	txb_add(&t, b, s);
	return run_tx(f, &t);
}

#define H DPI_RULE_APP_HTTP
#define URI DPI_RB_HTTP_URI

/* Scan @text as the next bytes of stream @st (a guard-page copy). */
static struct got sscan(struct fx *f, struct dpi_sig_stream *st, enum dpi_rule_app app,
			unsigned dir, const char *text)
{
	struct got g = {0};
	size_t len = strlen(text);
	uint8_t *p = guard_dup(text, len);
	int r = dpi_sig_stream_scan(f->db, f->s, st, app, dir, p, len, on_alert, &g);

	CHECK_EQ(r, g.n);
	guard_free(p, len);
	return g;
}

/* Raw streams in streaming mode: split patterns, offsets, gaps, apps. */
static void test_stream(void)
{
	struct fx f;
	struct got g;
	struct dpi_sig_stream *st = NULL;

	CHECK_EQ(setup(&f, "alert tcp any any -> any any (msg:\"split\"; content:\"UNION SELECT\"; "
			   "nocase; sid:1;)\n"
			   "alert tcp any any -> any any (msg:\"two\"; content:\"USER \"; depth:5; "
			   "content:\"PASS\"; sid:2;)\n"
			   "alert tcp any any -> any any (msg:\"re\"; pcre:\"/cmd=[a-z]{3,}\\x3b/\"; "
			   "sid:3;)\n"
			   "alert http any any -> any any (msg:\"app\"; content:\"evil\"; sid:4;)\n"
			   "alert tcp any any -> any any (msg:\"rel\"; content:\"a\"; "
			   "content:\"b\"; distance:0; within:1; sid:5;)\n"),
		 0);
	CHECK(dpi_sig_db_has_streams(f.db));
	CHECK_EQ(dpi_sig_stream_open(f.db, &st), 0);
	CHECK(st != NULL);
	/* split in three segments, case-mixed */
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "id=1 uNi");
	CHECK_EQ(g.n, 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "ON SEL");
	CHECK_EQ(g.n, 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "ect 1,2");
	CHECK_EQ(fired(&g, 1), 1);
	CHECK_EQ(g.n, 1);
	/* the excerpt spans the segments */
	CHECK_EQ(g.a[0].buffer, DPI_RB_STREAM);
	CHECK_EQ(g.a[0].excerpt_len, 12);
	/* once per stream */
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, " union select ");
	CHECK_EQ(fired(&g, 1), 0);
	/* depth counts from the start of the stream: "USER " is not there */
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "USER x PASS y");
	CHECK_EQ(fired(&g, 2), 0);
	/* the relative rule is not streamed (block mode, not here) */
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "ab");
	CHECK_EQ(fired(&g, 5), 0);
	dpi_sig_stream_close(f.s, st);

	CHECK_EQ(dpi_sig_stream_open(f.db, &st), 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "USE");
	CHECK_EQ(g.n, 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "R bob\r\n");
	CHECK_EQ(g.n, 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "PA");
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "SS x\r\ncmd=ab");
	CHECK_EQ(fired(&g, 2), 1);
	CHECK_EQ(fired(&g, 3), 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "c;");
	CHECK_EQ(fired(&g, 3), 1);
	/* an http rule waits for the flow to be HTTP */
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "evil");
	CHECK_EQ(fired(&g, 4), 0);
	g = sscan(&f, st, DPI_RULE_APP_HTTP, 0, "evil");
	CHECK_EQ(fired(&g, 4), 1);
	dpi_sig_stream_close(f.s, st);

	/* a gap: no match across it, and offset-bound patterns are void */
	CHECK_EQ(dpi_sig_stream_open(f.db, &st), 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "xx UNION ");
	CHECK_EQ(dpi_sig_stream_gap(f.db, f.s, st), 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "SELECT 1");
	CHECK_EQ(g.n, 0);
	g = sscan(&f, st, DPI_RULE_APP_NONE, 0, "USER PASS");
	CHECK_EQ(fired(&g, 2), 0);
	dpi_sig_stream_close(f.s, st);
	dpi_sig_stream_close(f.s, NULL);

	/* the block path still sees the relative rule */
	g = one(&f, DPI_RULE_APP_NONE, DPI_RB_STREAM, "xab");
	CHECK_EQ(fired(&g, 5), 1);
	teardown(&f);

	/* a rule mixing the raw stream with a parsed buffer is refused */
	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"mix\"; content:\"a\"; "
			   "http.uri; content:\"b\"; sid:9;)\n"),
		 -EINVAL);
	CHECK(strstr(f.err, "t.rules:1: sid 9") != NULL);
	teardown(&f);
}

static void test_nocase_distance(void)
{
	struct fx f;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"sqli union\"; flow:to_server; "
			   "http.uri; content:\"union\"; nocase; content:\"select\"; nocase; "
			   "distance:0; sid:1;)\n"
			   "alert http any any -> any any (msg:\"cs\"; http.uri; content:\"Admin\"; "
			   "sid:2;)\n"),
		 0);
	g = one(&f, H, URI, "/q?id=1 UNION SeLeCt x");
	CHECK_EQ(fired(&g, 1), 1);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.a[0].buffer, URI);
	CHECK_EQ(g.a[0].value, 0);
	CHECK_EQ(g.a[0].from, 8);
	CHECK_EQ(g.a[0].to, 13);
	g = one(&f, H, URI, "/q?id=select 1 union"); /* wrong order */
	CHECK_EQ(fired(&g, 1), 0);
	g = one(&f, H, URI, "/admin");
	CHECK_EQ(fired(&g, 2), 0);
	g = one(&f, H, URI, "/Admin");
	CHECK_EQ(fired(&g, 2), 1);
	teardown(&f);
}

static void test_offset_depth(void)
{
	struct fx f;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"od\"; http.uri; content:\"abc\"; "
			   "offset:2; depth:4; sid:3;)\n"),
		 0);
	g = one(&f, H, URI, "xxabcx");
	CHECK_EQ(fired(&g, 3), 1);
	g = one(&f, H, URI, "xxxabc");
	CHECK_EQ(fired(&g, 3), 1); /* window [2,6) */
	g = one(&f, H, URI, "xxxxabc");
	CHECK_EQ(fired(&g, 3), 0);
	g = one(&f, H, URI, "abcxxxx");
	CHECK_EQ(fired(&g, 3), 0);
	teardown(&f);
}

static void test_within_backtrack(void)
{
	struct fx f;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"w1\"; http.uri; content:\"a\"; "
			   "content:\"b\"; within:1; sid:4;)\n"
			   "alert http any any -> any any (msg:\"w2\"; http.uri; content:\"a\"; "
			   "content:\"b\"; within:2; sid:5;)\n"
			   "alert http any any -> any any (msg:\"d\"; http.uri; content:\"k\"; "
			   "content:\"z\"; distance:3; sid:6;)\n"),
		 0);
	g = one(&f, H, URI, "axab"); /* first a fails, second a succeeds */
	CHECK_EQ(fired(&g, 4), 1);
	CHECK_EQ(g.a[0].from, 2);
	g = one(&f, H, URI, "a x a b");
	CHECK_EQ(fired(&g, 4), 0);
	CHECK_EQ(fired(&g, 5), 1);
	g = one(&f, H, URI, "a x a  b");
	CHECK_EQ(fired(&g, 5), 0);
	g = one(&f, H, URI, "kz__z");
	CHECK_EQ(fired(&g, 6), 1);
	g = one(&f, H, URI, "kz_z");
	CHECK_EQ(fired(&g, 6), 0);
	teardown(&f);

	/* A value built to exhaust the retry bound: many a's, no b anywhere
	 * near; must terminate and not alert. */
	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"w\"; http.uri; content:\"a\"; "
			   "content:\"a\"; within:1; content:\"a\"; within:1; content:\"b\"; "
			   "within:1; sid:7;)\n"),
		 0);
	{
		char big[4001];

		memset(big, 'a', 4000);
		big[4000] = '\0';
		g = one(&f, H, URI, big);
		CHECK_EQ(fired(&g, 7), 0);
		g = one(&f, H, URI, "xaaab");
		CHECK_EQ(fired(&g, 7), 1);
	}
	teardown(&f);
}

static void test_negated_starts_ends(void)
{
	struct fx f;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"neg\"; http.uri; "
			   "content:\"/login\"; content:!\"safe\"; distance:0; sid:8;)\n"
			   "alert http any any -> any any (msg:\"sw\"; http.uri; content:\"/api\"; "
			   "startswith; content:\".php\"; endswith; sid:9;)\n"),
		 0);
	g = one(&f, H, URI, "/login?u=x");
	CHECK_EQ(fired(&g, 8), 1);
	g = one(&f, H, URI, "/login?safe=1");
	CHECK_EQ(fired(&g, 8), 0);
	g = one(&f, H, URI, "safe/login");
	CHECK_EQ(fired(&g, 8), 1); /* safe is before the window */
	g = one(&f, H, URI, "/api/x.php");
	CHECK_EQ(fired(&g, 9), 1);
	g = one(&f, H, URI, "/v/api/x.php");
	CHECK_EQ(fired(&g, 9), 0);
	g = one(&f, H, URI, "/api/x.php?a");
	CHECK_EQ(fired(&g, 9), 0);
	teardown(&f);
}

static void test_pcre(void)
{
	struct fx f;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"p\"; http.uri; content:\"id=\"; "
			   "pcre:\"/id=\\d+\\s+or\\s+\\d+=\\d+/i\"; sid:10;)\n"
			   "alert http any any -> any any (msg:\"ponly\"; http.user_agent; "
			   "pcre:\"/^sqlmap\\/\\d/\"; sid:11;)\n"
			   "alert http any any -> any any (msg:\"prel\"; http.uri; content:\"cmd=\"; "
			   "pcre:\"/^(ls|cat)\\b/R\"; sid:12;)\n"
			   "alert http any any -> any any (msg:\"pneg\"; http.uri; content:\"/x\"; "
			   "pcre:!\"/debug/\"; sid:21;)\n"),
		 0);
	g = one(&f, H, URI, "/x?a=1");
	CHECK_EQ(fired(&g, 21), 1);
	g = one(&f, H, URI, "/x?debug=1");
	CHECK_EQ(fired(&g, 21), 0);
	{
		/* An empty value, even with a NULL pointer, scans cleanly. */
		struct dpi_slice e = {NULL, 0};
		struct dpi_sig_tx tx = {.app = H, .dir = DPI_TO_SERVER};

		tx.vals[URI] = &e;
		tx.nvals[URI] = 1;
		CHECK_EQ(dpi_sig_inspect(f.db, f.s, &tx, on_alert, &g), 0);
	}
	g = one(&f, H, URI, "/x?id=1 OR 1=1");
	CHECK_EQ(fired(&g, 10), 1);
	g = one(&f, H, URI, "/x?id=1 and 1=1");
	CHECK_EQ(fired(&g, 10), 0);
	g = one(&f, H, DPI_RB_HTTP_USER_AGENT, "sqlmap/1.7");
	CHECK_EQ(fired(&g, 11), 1);
	g = one(&f, H, DPI_RB_HTTP_USER_AGENT, "Mozilla sqlmap/1.7");
	CHECK_EQ(fired(&g, 11), 0);
	g = one(&f, H, URI, "/r?cmd=cat /etc/passwd");
	CHECK_EQ(fired(&g, 12), 1);
	g = one(&f, H, URI, "/r?cmd=echo cat");
	CHECK_EQ(fired(&g, 12), 0);
	teardown(&f);

	/* Backreferences: Hyperscan rejects; the error names file:line and sid. */
	CHECK_EQ(setup(&f, "\nalert http any any -> any any (msg:\"br\"; http.uri; "
			   "pcre:\"/(a+)b\\1/\"; sid:4242;)\n"),
		 -EINVAL);
	CHECK(strstr(f.err, "sid 4242") != NULL);
	CHECK(strstr(f.err, "t.rules:2") != NULL);
	teardown(&f);
}

static void test_multi_buffer_values(void)
{
	struct fx f;
	struct txb t;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"mb\"; http.uri; content:\"/up\"; "
			   "http.user_agent; content:\"curl\"; sid:13;)\n"
			   "alert http any any -> any any (msg:\"param\"; http.param; "
			   "content:\"<script\"; nocase; content:\"alert\"; distance:0; sid:14;)\n"),
		 0);
	txb_init(&t, H, DPI_TO_SERVER);
	txb_add(&t, URI, "/upload");
	txb_add(&t, DPI_RB_HTTP_USER_AGENT, "curl/8.0");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 13), 1);
	txb_init(&t, H, DPI_TO_SERVER);
	txb_add(&t, URI, "/upload");
	txb_add(&t, DPI_RB_HTTP_USER_AGENT, "Mozilla");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 13), 0);
	txb_init(&t, H, DPI_TO_SERVER);
	txb_add(&t, URI, "/upload");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 13), 0);

	/* The chain must hold on one value: split across two params it doesn't. */
	txb_init(&t, H, DPI_TO_SERVER);
	txb_add(&t, DPI_RB_HTTP_PARAM, "hello");
	txb_add(&t, DPI_RB_HTTP_PARAM, "<SCRIPT>alert(1)</script>");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 14), 1);
	CHECK_EQ(g.a[0].buffer, DPI_RB_HTTP_PARAM);
	CHECK_EQ(g.a[0].value, 1);
	CHECK_EQ(g.a[0].from, 0);
	CHECK_EQ(g.a[0].to, 7);
	txb_init(&t, H, DPI_TO_SERVER);
	txb_add(&t, DPI_RB_HTTP_PARAM, "<script>");
	txb_add(&t, DPI_RB_HTTP_PARAM, "alert");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 14), 0);
	teardown(&f);
}

static void test_dns_app_dir(void)
{
	struct fx f;
	struct got g;
	struct txb t;

	CHECK_EQ(setup(&f, "alert dns any any -> any any (msg:\"dns\"; dns.query; "
			   "content:\"evil.example\"; endswith; sid:15;)\n"
			   "alert http any any -> any any (msg:\"h\"; http.uri; content:\"evil\"; "
			   "sid:16;)\n"
			   "alert http any any -> any any (msg:\"tc\"; flow:to_client; "
			   "content:\"evil\"; sid:17;)\n"
			   "alert dns any any -> any any (msg:\"dp\"; dns.query; dotprefix; "
			   "content:\".bad.com\"; endswith; sid:18;)\n"),
		 0);
	g = one(&f, DPI_RULE_APP_DNS, DPI_RB_DNS_QUERY, "www.evil.example");
	CHECK_EQ(fired(&g, 15), 1);
	CHECK_EQ(g.n, 1);
	g = one(&f, DPI_RULE_APP_DNS, DPI_RB_DNS_QUERY, "evil.example.org");
	CHECK_EQ(fired(&g, 15), 0);
	/* app mismatch: http rule on a DNS tx, dns rule on an HTTP tx */
	txb_init(&t, DPI_RULE_APP_DNS, DPI_TO_SERVER);
	txb_add(&t, URI, "/evil");
	txb_add(&t, DPI_RB_DNS_QUERY, "evil.example");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 16), 0);
	CHECK_EQ(fired(&g, 15), 1);
	txb_init(&t, H, DPI_TO_SERVER);
	txb_add(&t, URI, "/evil");
	txb_add(&t, DPI_RB_DNS_QUERY, "evil.example");
	g = run_tx(&f, &t);
	CHECK_EQ(fired(&g, 16), 1);
	CHECK_EQ(fired(&g, 15), 0);
	/* flow direction (sid 17 is a raw-stream rule: streaming mode) */
	{
		struct dpi_sig_stream *st = NULL;

		CHECK_EQ(dpi_sig_stream_open(f.db, &st), 0);
		g = sscan(&f, st, H, DPI_TO_SERVER, "evil bytes");
		CHECK_EQ(fired(&g, 17), 0);
		dpi_sig_stream_close(f.s, st);
		CHECK_EQ(dpi_sig_stream_open(f.db, &st), 0);
		g = sscan(&f, st, H, DPI_TO_CLIENT, "evil bytes");
		CHECK_EQ(fired(&g, 17), 1);
		dpi_sig_stream_close(f.s, st);
	}
	/* dotprefix: ".bad.com" is the domain or any subdomain of it */
	g = one(&f, DPI_RULE_APP_DNS, DPI_RB_DNS_QUERY, "bad.com");
	CHECK_EQ(fired(&g, 18), 1);
	CHECK_EQ(g.a[0].from, 0);
	g = one(&f, DPI_RULE_APP_DNS, DPI_RB_DNS_QUERY, "x.bad.com");
	CHECK_EQ(fired(&g, 18), 1);
	g = one(&f, DPI_RULE_APP_DNS, DPI_RB_DNS_QUERY, "notbad.com");
	CHECK_EQ(fired(&g, 18), 0);
	teardown(&f);
}

static void test_isdataat_bsize(void)
{
	struct fx f;
	struct got g;

	CHECK_EQ(setup(&f, "alert http any any -> any any (msg:\"ida\"; http.uri; "
			   "content:\"/cgi\"; isdataat:10,relative; sid:19;)\n"
			   "alert http any any -> any any (msg:\"bs\"; http.method; "
			   "content:\"GET\"; bsize:3; sid:20;)\n"),
		 0);
	g = one(&f, H, URI, "/cgi0123456789");
	CHECK_EQ(fired(&g, 19), 1);
	g = one(&f, H, URI, "/cgi012345678");
	CHECK_EQ(fired(&g, 19), 0);
	g = one(&f, H, DPI_RB_HTTP_METHOD, "GET");
	CHECK_EQ(fired(&g, 20), 1);
	g = one(&f, H, DPI_RB_HTTP_METHOD, "GETX");
	CHECK_EQ(fired(&g, 20), 0);
	teardown(&f);
}

static void test_many_rules(void)
{
	static char text[1000 * 160];
	size_t off = 0;
	struct fx f;
	struct got g;

	for (unsigned i = 0; i < 1000; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"alert http any any -> any any (msg:\"gen %u\"; http.uri; "
					"content:\"tok%04u\"; %s sid:%u;)\n",
					i, i, i % 3 ? "" : "pcre:\"/tok\\d{4}x/\";", 100000 + i);
	CHECK_EQ(setup(&f, text), 0);
	CHECK_EQ(dpi_sig_db_rules(f.db), 1000);
	g = one(&f, H, URI, "/a/tok0042/tok0999x/tok0500");
	CHECK_EQ(g.n, 3); /* 42 and 500 (no pcre), 999 (pcre holds) */
	CHECK_EQ(fired(&g, 100042), 1);
	CHECK_EQ(fired(&g, 100999), 1);
	CHECK_EQ(fired(&g, 100500), 1);
	g = one(&f, H, URI, "/a/tok0003");
	CHECK_EQ(g.n, 0); /* 3 has a pcre that needs the x */
	g = one(&f, H, URI, "/nothing/here");
	CHECK_EQ(g.n, 0);
	teardown(&f);
}

int main(void)
{
	RUN(test_stream);
	RUN(test_nocase_distance);
	RUN(test_offset_depth);
	RUN(test_within_backtrack);
	RUN(test_negated_starts_ends);
	RUN(test_pcre);
	RUN(test_multi_buffer_values);
	RUN(test_dns_app_dir);
	RUN(test_isdataat_bsize);
	RUN(test_many_rules);
	return bh_test_summary();
}
