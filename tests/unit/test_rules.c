/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_rules.c - the Suricata-subset rule loader against dpi_rules.h: the
 * realistic rule file loading unchanged (fields checked rule by rule), every
 * header form (actions, protocols, addresses, ports, variables, lists and
 * negation), every keyword and content modifier, hex and escapes, the
 * legacy content modifiers, pcre flags, whole-rule checks, each error path
 * with its FILE:LINE:COL, the error cap, files and continuation lines, and
 * every prefix and random mutations of real rules. Every buffer the loader
 * reads ends at a guard page.
 *
 * Argument: the directory with the rule files (default: tests/data/rules
 * next to this source file).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_rules.h"

static char data_dir[1024];

/* ---- helpers ---- */

#define MAX_ERRS 64

struct errs {
	int n;
	char text[MAX_ERRS][400];
	unsigned line[MAX_ERRS], col[MAX_ERRS];
};

static void collect(void *ctx, const struct dpi_rule_error *e)
{
	struct errs *es = ctx;

	if (es->n < MAX_ERRS) {
		snprintf(es->text[es->n], sizeof(es->text[0]), "%s", e->text);
		es->line[es->n] = e->line;
		es->col[es->n] = e->col;
	}
	es->n++;
}

static bool verbose;

/* Loads @text from a guard-page buffer of exactly its length. */
static int load(const char *text, const struct dpi_rule_var *vars, struct dpi_rule_set **ret,
		struct errs *es)
{
	size_t len = strlen(text);
	uint8_t *g = guard_dup(text, len);
	int r;

	memset(es, 0, sizeof(*es));
	r = dpi_rules_load_buffer("t.rules", (const char *)g, len, vars, ret, collect, es);
	guard_free(g, len);
	if (verbose)
		for (int i = 0; i < es->n && i < MAX_ERRS; i++)
			fprintf(stderr, "  %s\n", es->text[i]);
	return r;
}

/* One rule that must load: returns the set (one rule) or NULL. */
static struct dpi_rule_set *load1(const char *text, const struct dpi_rule_var *vars)
{
	struct dpi_rule_set *s = NULL;
	struct errs es;
	int r = load(text, vars, &s, &es);

	CHECK_EQ(r, 0);
	CHECK_EQ(es.n, 0);
	if (es.n)
		fprintf(stderr, "  unexpected: %s\n", es.text[0]);
	if (r < 0 || !s || s->n_rules != 1) {
		CHECK(s && s->n_rules == 1);
		dpi_rules_free(s);
		return NULL;
	}
	return s;
}

static bool bytes_eq(const struct dpi_rule_match *m, const void *p, size_t n)
{
	return m->len == n && memcmp(m->bytes, p, n) == 0;
}

static void v4(uint8_t a[16], unsigned b0, unsigned b1, unsigned b2, unsigned b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = (uint8_t)b0;
	a[13] = (uint8_t)b1;
	a[14] = (uint8_t)b2;
	a[15] = (uint8_t)b3;
}

static bool in4(const struct dpi_rule_addrs *s, unsigned b0, unsigned b1, unsigned b2,
		unsigned b3)
{
	uint8_t a[16];

	v4(a, b0, b1, b2, b3);
	return dpi_rule_addrs_match(s, a);
}

static bool in6(const struct dpi_rule_addrs *s, const char *text)
{
	uint8_t a[16];

	if (inet_pton(AF_INET6, text, a) != 1)
		abort();
	return dpi_rule_addrs_match(s, a);
}

/* Expects @text to fail with exactly one error, at the column where
 * @needle first occurs in @text (0: no column), whose message contains
 * @msg. */
static void expect_error_at(int line, const struct dpi_rule_var *vars, const char *text,
			    const char *needle, const char *msg)
{
	struct dpi_rule_set *s = (struct dpi_rule_set *)&s;   /* must stay untouched */
	struct dpi_rule_set *const sentinel = s;
	struct errs es;
	char want[64];
	int r = load(text, vars, &s, &es);

	CHECK_EQ(r, -EINVAL);
	CHECK(s == sentinel);
	if (es.n != 1) {
		fprintf(stderr, "%s:%d: %d errors for: %s\n", __FILE__, line, es.n, text);
		for (int i = 0; i < es.n && i < MAX_ERRS; i++)
			fprintf(stderr, "    %s\n", es.text[i]);
		CHECK_EQ(es.n, 1);
		if (es.n == 0)
			return;
	}
	if (needle) {
		const char *at = strstr(text, needle);

		if (!at)
			abort();
		snprintf(want, sizeof(want), "t.rules:1:%d: ", (int)(at - text) + 1);
	} else {
		snprintf(want, sizeof(want), "t.rules:1: ");
	}
	if (strncmp(es.text[0], want, strlen(want)) || !strstr(es.text[0], msg)) {
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s...%s\"\n", __FILE__, line, es.text[0],
			want, msg);
		CHECK(0);
	}
}

#define EXPECT_ERROR(text, needle, msg) expect_error_at(__LINE__, NULL, text, needle, msg)
#define EXPECT_ERROR_V(vars, text, needle, msg) expect_error_at(__LINE__, vars, text, needle, msg)

#define HDR "alert http any any -> any any "

/* ---- the realistic rule file ---- */

static const struct dpi_rule *by_sid(const struct dpi_rule_set *s, uint32_t sid)
{
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].sid == sid)
			return &s->rules[i];
	return NULL;
}

static void test_realistic_file(void)
{
	char path[1200];
	struct dpi_rule_set *s = NULL;
	const struct dpi_rule *r;
	const struct dpi_rule_match *m;
	const uint8_t *fp;
	size_t fplen;
	struct errs es = {0};
	int rc;

	snprintf(path, sizeof(path), "%s/realistic.rules", data_dir);
	rc = dpi_rules_load_file(path, NULL, &s, collect, &es);
	CHECK_EQ(rc, 0);
	CHECK_EQ(es.n, 0);
	for (int i = 0; i < es.n && i < MAX_ERRS; i++)
		fprintf(stderr, "  %s\n", es.text[i]);
	if (!s)
		return;
	CHECK_EQ(s->n_rules, 17);

	/* UNION SELECT in the URI: sticky buffer, nocase, distance, pcre. */
	r = by_sid(s, 1000001);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ(r->action, DPI_RULE_ALERT);
		CHECK_EQ(r->proto, DPI_RULE_PROTO_HTTP);
		CHECK_EQ(r->app, DPI_RULE_APP_HTTP);
		CHECK_EQ(r->rev, 3);
		CHECK_EQ(r->gid, 1);
		CHECK(!strcmp(r->msg, "LOCAL WEB_SERVER Possible SQL Injection UNION SELECT in URI"));
		CHECK(!strcmp(r->classtype, "web-application-attack"));
		CHECK(!strcmp(r->category, "Web Application Attack"));
		CHECK_EQ(r->priority, 1);
		CHECK_EQ(r->flow_dir, DPI_FLOW_TO_SERVER);
		CHECK_EQ(r->flow_state, DPI_FLOW_ESTABLISHED);
		CHECK(r->src.any && r->dst.any && r->sport.any && r->dport.any);
		CHECK(!r->bidirectional);
		CHECK_EQ(r->n_references, 1);
		CHECK(r->n_references == 1 &&
		      !strcmp(r->references[0], "url,owasp.org/www-community/attacks/SQL_Injection"));
		CHECK(r->metadata && strstr(r->metadata, "signature_severity Major") &&
		      strstr(r->metadata, "attack_target Web_Server"));
		CHECK_EQ(r->n_matches, 3);
		CHECK_EQ(r->line, 10);
		CHECK(strstr(r->file, "realistic.rules") != NULL);
		m = &r->matches[0];
		CHECK(m->type == DPI_RM_CONTENT && m->buffer == DPI_RB_HTTP_URI && m->nocase &&
		      m->fast_pattern && bytes_eq(m, "UNION", 5));
		m = &r->matches[1];
		CHECK(m->type == DPI_RM_CONTENT && m->has_distance && m->distance == 0 &&
		      m->rel_to == 0 && bytes_eq(m, "SELECT", 6));
		m = &r->matches[2];
		CHECK(m->type == DPI_RM_PCRE && m->buffer == DPI_RB_HTTP_URI &&
		      !strcmp(m->pcre, "UNION\\s+(?:ALL\\s+)?SELECT") && !strcmp(m->pcre_flags, "i"));
		CHECK(dpi_rule_fast_pattern(r, &fp, &fplen) == &r->matches[0]);
	}

	/* Suricata 5 style: content modifiers move contents; pcre /I. */
	r = by_sid(s, 1000002);
	CHECK(r != NULL);
	if (r && r->n_matches == 4) {
		CHECK_EQ(r->matches[0].buffer, DPI_RB_HTTP_METHOD);
		CHECK_EQ(r->matches[1].buffer, DPI_RB_HTTP_URI_RAW);
		CHECK_EQ(r->matches[2].buffer, DPI_RB_HTTP_URI_RAW);
		CHECK(r->matches[2].nocase);
		CHECK_EQ(r->matches[2].rel_to, 1);
		CHECK_EQ(r->matches[3].buffer, DPI_RB_HTTP_URI_RAW);
		CHECK(!strcmp(r->matches[3].pcre_flags, "i"));
		CHECK(r->dport.any);     /* $HTTP_PORTS: any by default */
	}

	/* log4j: hex in content. */
	r = by_sid(s, 1000004);
	CHECK(r != NULL);
	if (r && r->n_matches == 1) {
		CHECK(bytes_eq(&r->matches[0], "${jndi:", 7));
		CHECK_EQ(r->matches[0].buffer, DPI_RB_HTTP_HEADER);
		CHECK_EQ(r->n_references, 1);
	}

	/* sqlmap: startswith, threshold. */
	r = by_sid(s, 1000007);
	CHECK(r != NULL);
	if (r && r->n_matches == 1) {
		CHECK(r->matches[0].startswith);
		CHECK_EQ(r->matches[0].buffer, DPI_RB_HTTP_USER_AGENT);
		CHECK_EQ(r->threshold.type, DPI_THR_LIMIT);
		CHECK_EQ(r->threshold.track, DPI_TRACK_BY_SRC);
		CHECK_EQ(r->threshold.count, 1);
		CHECK_EQ(r->threshold.seconds, 60);
		CHECK_EQ(r->priority, 2);
	}
	r = by_sid(s, 1000009);
	CHECK(r && r->threshold.type == DPI_THR_DETECTION_FILTER && r->threshold.count == 5 &&
	      r->threshold.seconds == 30);

	/* Destination list with a negated CIDR. */
	r = by_sid(s, 1000010);
	CHECK(r != NULL);
	if (r) {
		CHECK(!r->dst.any);
		CHECK(in4(&r->dst, 192, 168, 1, 1));
		CHECK(!in4(&r->dst, 10, 1, 2, 3));
		CHECK(in6(&r->dst, "2001:db8::1"));
		CHECK(r->n_matches == 2 && r->matches[1].has_within && r->matches[1].within == 64);
	}

	/* bsize on http.host, startswith on http.uri. */
	r = by_sid(s, 1000012);
	CHECK(r != NULL);
	if (r && r->n_matches == 3) {
		CHECK_EQ(r->matches[1].type, DPI_RM_BSIZE);
		CHECK_EQ(r->matches[1].bsize_min, 15);
		CHECK_EQ(r->matches[1].bsize_max, 15);
		CHECK(r->matches[2].startswith && r->matches[2].buffer == DPI_RB_HTTP_URI);
		CHECK(dpi_rule_fast_pattern(r, &fp, &fplen) == &r->matches[2]);
	}

	/* DNS: dotprefix, endswith, implied nocase. */
	r = by_sid(s, 1000013);
	CHECK(r != NULL);
	if (r && r->n_matches == 1) {
		CHECK_EQ(r->proto, DPI_RULE_PROTO_DNS);
		CHECK_EQ(r->app, DPI_RULE_APP_DNS);
		CHECK_EQ(r->matches[0].transforms, DPI_RT_DOTPREFIX);
		CHECK(r->matches[0].endswith && r->matches[0].nocase);
		CHECK(bytes_eq(&r->matches[0], ".onion", 6));
		CHECK(r->src.any);       /* $HOME_NET: any by default */
	}
	r = by_sid(s, 1000015);
	CHECK(r && r->fast_pattern == -1 && !dpi_rule_fast_pattern(r, &fp, &fplen));

	/* Raw DNS over UDP: stream buffer, offset/depth, binary content. */
	r = by_sid(s, 1000016);
	CHECK(r != NULL);
	if (r && r->n_matches == 2) {
		static const uint8_t q[] = "\x07" "duckdns" "\x03" "org" "\x00\x00\x10\x00\x01";

		CHECK_EQ(r->proto, DPI_RULE_PROTO_UDP);
		CHECK_EQ(r->app, DPI_RULE_APP_NONE);
		CHECK(!r->dport.any && dpi_rule_ports_match(&r->dport, 53) &&
		      !dpi_rule_ports_match(&r->dport, 54));
		CHECK(r->matches[0].buffer == DPI_RB_STREAM && r->matches[0].has_depth &&
		      r->matches[0].depth == 10 && r->matches[0].offset == 2);
		CHECK(bytes_eq(&r->matches[1], q, sizeof(q) - 1));
		CHECK(dpi_rule_fast_pattern(r, &fp, &fplen) == &r->matches[1]);
	}

	/* A rule continued over two lines. */
	r = by_sid(s, 1000017);
	CHECK(r && r->line == 50 && r->n_matches == 2 && r->matches[1].type == DPI_RM_BSIZE &&
	      r->matches[1].line == 51);
	dpi_rules_free(s);
}

/* ---- header ---- */

static void test_actions_protos(void)
{
	static const struct {
		const char *rule;
		enum dpi_rule_action action;
		enum dpi_rule_proto proto;
	} cases[] = {
		{"alert http any any -> any any (sid:1;)", DPI_RULE_ALERT, DPI_RULE_PROTO_HTTP},
		{"drop http1 any any -> any any (sid:1;)", DPI_RULE_DROP, DPI_RULE_PROTO_HTTP},
		{"pass dns any any -> any any (sid:1;)", DPI_RULE_PASS, DPI_RULE_PROTO_DNS},
		{"reject tcp any any -> any any (sid:1;)", DPI_RULE_REJECT, DPI_RULE_PROTO_TCP},
		{"alert udp any any -> any any (sid:1;)", DPI_RULE_ALERT, DPI_RULE_PROTO_UDP},
		{"alert ip any any -> any any (sid:1;)", DPI_RULE_ALERT, DPI_RULE_PROTO_IP},
		{"alert tls any any -> any any (sid:1;)", DPI_RULE_ALERT, DPI_RULE_PROTO_TLS},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpi_rule_set *s = load1(cases[i].rule, NULL);

		if (!s)
			continue;
		CHECK_EQ(s->rules[0].action, cases[i].action);
		CHECK_EQ(s->rules[0].proto, cases[i].proto);
		CHECK_EQ(s->rules[0].priority, 3);
		CHECK(!strcmp(s->rules[0].msg, ""));
		CHECK(s->rules[0].classtype == NULL);
		dpi_rules_free(s);
	}
	{
		struct dpi_rule_set *s = load1("alert tcp any any <> any any (sid:1;)", NULL);

		CHECK(s && s->rules[0].bidirectional);
		dpi_rules_free(s);
	}
	CHECK(!strcmp(dpi_rule_action_name(DPI_RULE_REJECT), "reject"));
	CHECK(!strcmp(dpi_rule_proto_name(DPI_RULE_PROTO_TLS), "tls"));
	CHECK(!strcmp(dpi_rule_buffer_name(DPI_RB_SQL_QUERY), "sql.query"));
	CHECK(dpi_rule_buffer_name(DPI_RB__COUNT) == NULL);
	CHECK(dpi_rule_action_name(9) == NULL && dpi_rule_proto_name(9) == NULL);
}

static void test_addresses(void)
{
	static const struct dpi_rule_var vars[] = {
		{"HOME_NET", "[10.0.0.0/8, 192.168.0.0/16, fd00::/8]"},
		{"EXTERNAL_NET", "!$HOME_NET"},
		{"DB", "[$HOME_NET,!10.9.0.0/16]"},
		{"LOOP_A", "$LOOP_B"},
		{"LOOP_B", "$LOOP_A"},
		{NULL, NULL},
	};
	struct dpi_rule_set *s;
	const struct dpi_rule *r;

	s = load1("alert tcp 10.1.2.3 any -> 10.0.0.0/8 any (sid:1;)", NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(!r->src.any && r->src.n == 1 && r->src.cidrs[0].prefix == 128);
		CHECK(in4(&r->src, 10, 1, 2, 3) && !in4(&r->src, 10, 1, 2, 4));
		CHECK(r->dst.n == 1 && r->dst.cidrs[0].prefix == 104);
		CHECK(in4(&r->dst, 10, 255, 0, 1) && !in4(&r->dst, 11, 0, 0, 0));
		CHECK(!in6(&r->dst, "2001:db8::1"));
		dpi_rules_free(s);
	}
	/* Host bits are dropped; IPv6 CIDRs. */
	s = load1("alert tcp 10.1.2.3/16 any -> [2001:db8::/32,::1] any (sid:1;)", NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(in4(&r->src, 10, 1, 200, 7) && !in4(&r->src, 10, 2, 0, 0));
		CHECK(in6(&r->dst, "2001:db8:ffff::9") && in6(&r->dst, "::1") &&
		      !in6(&r->dst, "2001:db9::") && !in4(&r->dst, 10, 1, 1, 1));
		dpi_rules_free(s);
	}
	/* Lists, negation, nesting. */
	s = load1("alert tcp [10.0.0.0/8,!10.1.0.0/16,![10.2.0.0/16,!10.2.3.4]] any -> !192.168.1.1 any (sid:1;)",
		  NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(in4(&r->src, 10, 0, 0, 1));
		CHECK(!in4(&r->src, 10, 1, 0, 1));
		CHECK(!in4(&r->src, 10, 2, 0, 1));
		CHECK(in4(&r->src, 10, 2, 3, 4));
		CHECK(!in4(&r->src, 11, 0, 0, 0));
		CHECK(!in4(&r->dst, 192, 168, 1, 1) && in4(&r->dst, 192, 168, 1, 2) &&
		      in6(&r->dst, "::2"));
		CHECK(!r->dst.any);
		dpi_rules_free(s);
	}
	/* A list of negations only: everything but them. */
	s = load1("alert tcp [!1.2.3.4,!5.6.7.0/24] any -> any any (sid:1;)", NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(!in4(&r->src, 1, 2, 3, 4) && !in4(&r->src, 5, 6, 7, 9) &&
		      in4(&r->src, 1, 2, 3, 5) && in6(&r->src, "fe80::1"));
		dpi_rules_free(s);
	}
	/* Defaults: HOME_NET and EXTERNAL_NET are any. */
	s = load1("alert tcp $HOME_NET any -> $EXTERNAL_NET any (sid:1;)", NULL);
	CHECK(s && s->rules[0].src.any && s->rules[0].dst.any);
	dpi_rules_free(s);
	s = load1("alert tcp $SQL_SERVERS any -> $DNS_SERVERS any (sid:1;)", NULL);
	CHECK(s && s->rules[0].src.any && s->rules[0].dst.any);
	dpi_rules_free(s);
	/* Caller variables; one refers to another. */
	s = load1("alert tcp $EXTERNAL_NET any -> $HOME_NET any (sid:1;)", vars);
	if (s) {
		r = &s->rules[0];
		CHECK(!in4(&r->src, 10, 0, 0, 1) && in4(&r->src, 8, 8, 8, 8) &&
		      !in6(&r->src, "fd00::5") && in6(&r->src, "2001:db8::5"));
		CHECK(in4(&r->dst, 10, 0, 0, 1) && in4(&r->dst, 192, 168, 5, 5) &&
		      in6(&r->dst, "fd12::1") && !in4(&r->dst, 8, 8, 8, 8));
		dpi_rules_free(s);
	}
	s = load1("alert tcp [$DB,!192.168.0.0/24] any -> any any (sid:1;)", vars);
	if (s) {
		r = &s->rules[0];
		CHECK(in4(&r->src, 10, 8, 0, 1) && !in4(&r->src, 10, 9, 0, 1) &&
		      !in4(&r->src, 192, 168, 0, 7) && in4(&r->src, 192, 168, 1, 7));
		dpi_rules_free(s);
	}
	/* The smallest CIDR cover of a complement. */
	s = load1("alert tcp !0.0.0.0/1 any -> any any (sid:1;)", NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(in4(&r->src, 128, 0, 0, 1) && !in4(&r->src, 127, 0, 0, 1) &&
		      in6(&r->src, "::") && in6(&r->src, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
		CHECK(r->src.n <= 128);
		for (size_t i = 1; i < r->src.n; i++)
			CHECK(memcmp(r->src.cidrs[i - 1].addr, r->src.cidrs[i].addr, 16) < 0);
		dpi_rules_free(s);
	}

	EXPECT_ERROR_V(vars, "alert tcp $LOOP_A any -> any any (sid:1;)", "$LOOP_A",
		       "variables nest too deep (a loop?)");
	EXPECT_ERROR("alert tcp $NOPE any -> any any (sid:1;)", "$NOPE", "unknown variable '$NOPE'");
	EXPECT_ERROR("alert tcp 10.0.0.256 any -> any any (sid:1;)", "10.0", "bad address '10.0.0.256'");
	EXPECT_ERROR("alert tcp 10.0.0.0/33 any -> any any (sid:1;)", "10.0", "bad prefix length");
	EXPECT_ERROR("alert tcp 1.2.3.4-1.2.3.9 any -> any any (sid:1;)", "1.2",
		     "address ranges are not supported");
	EXPECT_ERROR("alert tcp !any any -> any any (sid:1;)", "!any", "matches nothing");
	EXPECT_ERROR("alert tcp [1.2.3.4,!1.2.3.4] any -> any any (sid:1;)", "[1.2",
		     "matches nothing");
	EXPECT_ERROR("alert tcp [1.2.3.4,] any -> any any (sid:1;)", "]", "empty element");
	EXPECT_ERROR("alert tcp [] any -> any any (sid:1;)", "]", "empty list");
	EXPECT_ERROR("alert tcp [1.2.3.4 any -> any any (sid:1;)", "[1.2", "unterminated '['");
	EXPECT_ERROR("alert tcp [[1.2.3.4],5.6.7.8]] any -> any any (sid:1;)", "[[", "unbalanced");
	{
		static const struct dpi_rule_var bad[] = {{"HOME_NET", "[10.0.0.0/8,foo]"}, {0}};
		struct dpi_rule_set *out = NULL;
		struct errs es;
		int rc = load("alert tcp $HOME_NET any -> any any (sid:1;)", bad, &out, &es);

		CHECK_EQ(rc, -EINVAL);
		CHECK(es.n == 1 && strstr(es.text[0], "t.rules:1:11: bad address 'foo' (in $HOME_NET)"));
	}
}

static void test_ports(void)
{
	static const struct dpi_rule_var vars[] = {
		{"HTTP_PORTS", "[80,8000:8100,!8081]"},
		{"WEB", "[$HTTP_PORTS,443]"},
		{NULL, NULL},
	};
	struct dpi_rule_set *s;
	const struct dpi_rule *r;

	s = load1("alert tcp any 1024: -> any [80,443,8080:8090,!8081] (sid:1;)", NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(!r->sport.any && r->sport.n == 1 && r->sport.ranges[0].lo == 1024 &&
		      r->sport.ranges[0].hi == 65535);
		CHECK_EQ(r->dport.n, 4);
		CHECK(dpi_rule_ports_match(&r->dport, 80) && dpi_rule_ports_match(&r->dport, 443) &&
		      dpi_rule_ports_match(&r->dport, 8080) && !dpi_rule_ports_match(&r->dport, 8081) &&
		      dpi_rule_ports_match(&r->dport, 8090) && !dpi_rule_ports_match(&r->dport, 8091) &&
		      !dpi_rule_ports_match(&r->dport, 0));
		dpi_rules_free(s);
	}
	s = load1("alert tcp any :1023 -> any !22 (sid:1;)", NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(dpi_rule_ports_match(&r->sport, 0) && dpi_rule_ports_match(&r->sport, 1023) &&
		      !dpi_rule_ports_match(&r->sport, 1024));
		CHECK(!dpi_rule_ports_match(&r->dport, 22) && dpi_rule_ports_match(&r->dport, 21) &&
		      dpi_rule_ports_match(&r->dport, 65535));
		dpi_rules_free(s);
	}
	/* HTTP_PORTS defaults to any; other defaults are Suricata's. */
	s = load1("alert tcp any $HTTP_PORTS -> any $SSH_PORTS (sid:1;)", NULL);
	CHECK(s && s->rules[0].sport.any && s->rules[0].dport.n == 1 &&
	      s->rules[0].dport.ranges[0].lo == 22);
	dpi_rules_free(s);
	s = load1("alert tcp any $WEB -> any [$HTTP_PORTS] (sid:1;)", vars);
	if (s) {
		r = &s->rules[0];
		CHECK(dpi_rule_ports_match(&r->sport, 443) && dpi_rule_ports_match(&r->sport, 8000) &&
		      !dpi_rule_ports_match(&r->sport, 8081) && !dpi_rule_ports_match(&r->sport, 22));
		CHECK(dpi_rule_ports_match(&r->dport, 80) && !dpi_rule_ports_match(&r->dport, 443));
		dpi_rules_free(s);
	}
	EXPECT_ERROR("alert tcp any 80:70 -> any any (sid:1;)", "80:70", "bad port range '80:70'");
	EXPECT_ERROR("alert tcp any 65536 -> any any (sid:1;)", "65536", "bad port '65536'");
	EXPECT_ERROR("alert tcp any http -> any any (sid:1;)", "http ->", "bad port 'http'");
	EXPECT_ERROR("alert tcp any : -> any any (sid:1;)", ": ->", "bad port ':'");
	EXPECT_ERROR("alert tcp any !any -> any any (sid:1;)", "!any", "matches nothing");
	EXPECT_ERROR("alert tcp any [80,!80] -> any any (sid:1;)", "[80", "matches nothing");
	EXPECT_ERROR("alert tcp any $NOPE_PORTS -> any any (sid:1;)", "$NOPE", "unknown variable");
}

static void test_header_errors(void)
{
	EXPECT_ERROR("alarm http any any -> any any (sid:1;)", "alarm", "unknown action 'alarm'");
	EXPECT_ERROR("alert smtp any any -> any any (sid:1;)", "smtp", "unsupported protocol 'smtp'");
	EXPECT_ERROR("alert http any any <- any any (sid:1;)", "<-", "bad direction '<-'");
	EXPECT_ERROR("alert http any any any -> any any (sid:1;)", "any (", "unexpected 'any");
	EXPECT_ERROR("alert http any any -> any (sid:1;)", "(", "rule header has 6 fields");
	EXPECT_ERROR("alert http any any -> any any", NULL, "rule has no options");
	EXPECT_ERROR("alert http any any -> any any (sid:1;", ";", "rule must end with ')'");
	EXPECT_ERROR("alert http any any -> any any (sid:1;) x", "x", "rule must end with ')'");
	EXPECT_ERROR("alert http any any -> any any ()", NULL, "rule has no sid");
}

/* ---- options ---- */

static void test_meta_options(void)
{
	struct dpi_rule_set *s;
	const struct dpi_rule *r;

	s = load1(HDR "(msg:\"a \\\"quoted\\\" \\; semi\\\\colon\\:\"; sid:4294967295; rev:7; gid:3; "
		      "classtype:trojan-activity; metadata:a b, c d; metadata:e f; "
		      "reference:cve,2021-44228; reference: url , example.com/x ;)",
		  NULL);
	if (s) {
		r = &s->rules[0];
		CHECK(!strcmp(r->msg, "a \"quoted\" ; semi\\colon:"));
		CHECK_EQ(r->sid, 4294967295u);
		CHECK_EQ(r->rev, 7);
		CHECK_EQ(r->gid, 3);
		CHECK(!strcmp(r->classtype, "trojan-activity") &&
		      !strcmp(r->category, "A Network Trojan was detected") && r->priority == 1);
		CHECK(r->metadata && !strcmp(r->metadata, "a b, c d, e f"));
		CHECK_EQ(r->n_references, 2);
		CHECK(r->n_references == 2 && !strcmp(r->references[0], "cve,2021-44228") &&
		      !strcmp(r->references[1], "url , example.com/x"));
		dpi_rules_free(s);
	}
	/* priority overrides the classtype's, in either order. */
	s = load1(HDR "(priority:4; classtype:tcp-connection; sid:1;)", NULL);
	CHECK(s && s->rules[0].priority == 4);
	dpi_rules_free(s);
	s = load1(HDR "(classtype:attempted-admin; priority:200; sid:1;)", NULL);
	CHECK(s && s->rules[0].priority == 200);
	dpi_rules_free(s);
	s = load1(HDR "(classtype:tcp-connection; sid:1;)", NULL);
	CHECK(s && s->rules[0].priority == 4);
	dpi_rules_free(s);
	/* Unquoted msg, keywords in any case, spaces around ':' and ';'. */
	s = load1(HDR "( msg : plain words ;SID:9 ;  Rev:2;)", NULL);
	CHECK(s && !strcmp(s->rules[0].msg, "plain words") && s->rules[0].sid == 9 &&
	      s->rules[0].rev == 2);
	dpi_rules_free(s);

	EXPECT_ERROR(HDR "(sid:0;)", "0;", "'sid' expects a number in 1..4294967295, not '0'");
	EXPECT_ERROR(HDR "(sid:4294967296;)", "4294", "'sid' expects a number");
	EXPECT_ERROR(HDR "(sid:12a;)", "12a", "'sid' expects a number");
	EXPECT_ERROR(HDR "(sid:1; sid:2;)", "sid:2", "'sid' given twice");
	EXPECT_ERROR(HDR "(sid:1; rev:-1;)", "-1", "'rev' expects a number");
	EXPECT_ERROR(HDR "(sid:1; priority:0;)", "0;", "'priority' expects a number in 1..255");
	EXPECT_ERROR(HDR "(sid:1; classtype:nope;)", "nope", "unknown classtype 'nope'");
	EXPECT_ERROR(HDR "(sid:1; classtype:misc-attack; classtype:misc-attack;)", "classtype:misc-attack;)",
		     "'classtype' given twice");
	EXPECT_ERROR(HDR "(sid:1; msg:\"a\"; msg:\"b\";)", "msg:\"b", "'msg' given twice");
	EXPECT_ERROR(HDR "(sid:1; msg:\"bad \\q escape\";)", "\\q", "bad escape in msg");
	EXPECT_ERROR(HDR "(sid:1; reference:nocomma;)", "nocomma", "'reference' expects TYPE,VALUE");
	EXPECT_ERROR(HDR "(sid:1; reference:cve,;)", "cve", "'reference' expects TYPE,VALUE");
	EXPECT_ERROR(HDR "(sid:1; msg;)", "msg", "'msg' needs a value");
	EXPECT_ERROR(HDR "(sid:1; sid:;)", "sid:;", "'sid' needs a value");
	EXPECT_ERROR(HDR "(sid:1; nocase:1; content:\"a\";)", "1; c", "'nocase' takes no value");
	EXPECT_ERROR(HDR "(sid:1; flowbits:set,foo;)", "flowbits", "unsupported keyword 'flowbits'");
	EXPECT_ERROR(HDR "(sid:1; byte_test:1,>,2,0;)", "byte_test", "unsupported keyword 'byte_test'");
	EXPECT_ERROR(HDR "(sid:1; http.header_names; content:\"a\";)", "http.header_names",
		     "unsupported keyword 'http.header_names'");
	EXPECT_ERROR(HDR "(sid:1; file.data; content:\"a\";)", "file.data", "unsupported keyword");
	EXPECT_ERROR(HDR "(sid:1 msg:\"x\";)", "1 msg", "'sid' expects a number");
	EXPECT_ERROR(HDR "(sid:1; msg \"x\";)", "\"x", "expected ':' or ';' after 'msg'");
	EXPECT_ERROR(HDR "(sid:1; ;)", ";)", "expected an option keyword");
	EXPECT_ERROR(HDR "(msg:\"x\"; sid:1)", ")", "option 'sid' is not terminated by ';'");
	EXPECT_ERROR(HDR "(sid:1; nocase)", ")", "option 'nocase' is not terminated by ';'");
	EXPECT_ERROR(HDR "(sid:1; msg:\"x;)", "\"x", "unterminated quoted string");
	EXPECT_ERROR(HDR "(sid:1; content:\"abc\\\";)", "\"abc", "unterminated quoted string");
	EXPECT_ERROR(HDR "(msg:\"no sid\";)", NULL, "rule has no sid");
}

static void test_flow(void)
{
	static const struct {
		const char *v;
		enum dpi_rule_flow_dir dir;
		enum dpi_rule_flow_state state;
		enum dpi_rule_flow_stream stream;
	} ok[] = {
		{"to_server", DPI_FLOW_TO_SERVER, DPI_FLOW_ANY_STATE, DPI_FLOW_ANY_STREAM},
		{"from_client,established", DPI_FLOW_TO_SERVER, DPI_FLOW_ESTABLISHED, DPI_FLOW_ANY_STREAM},
		{"established, to_client", DPI_FLOW_TO_CLIENT, DPI_FLOW_ESTABLISHED, DPI_FLOW_ANY_STREAM},
		{"from_server,not_established", DPI_FLOW_TO_CLIENT, DPI_FLOW_NOT_ESTABLISHED,
		 DPI_FLOW_ANY_STREAM},
		{"stateless", DPI_FLOW_ANY_DIR, DPI_FLOW_STATELESS, DPI_FLOW_ANY_STREAM},
		{"to_server,established,only_stream", DPI_FLOW_TO_SERVER, DPI_FLOW_ESTABLISHED,
		 DPI_FLOW_ONLY_STREAM},
		{"no_stream,to_server,to_server", DPI_FLOW_TO_SERVER, DPI_FLOW_ANY_STATE,
		 DPI_FLOW_NO_STREAM},
	};
	char rule[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct dpi_rule_set *s;

		snprintf(rule, sizeof(rule), HDR "(flow:%s; sid:1;)", ok[i].v);
		s = load1(rule, NULL);
		if (!s)
			continue;
		CHECK_EQ(s->rules[0].flow_dir, ok[i].dir);
		CHECK_EQ(s->rules[0].flow_state, ok[i].state);
		CHECK_EQ(s->rules[0].flow_stream, ok[i].stream);
		dpi_rules_free(s);
	}
	EXPECT_ERROR(HDR "(flow:to_server,to_client; sid:1;)", "to_client",
		     "flow option 'to_client' contradicts");
	EXPECT_ERROR(HDR "(flow:established,stateless; sid:1;)", "stateless", "contradicts");
	EXPECT_ERROR(HDR "(flow:only_stream,no_stream; sid:1;)", "no_stream", "contradicts");
	EXPECT_ERROR(HDR "(flow:to_servr; sid:1;)", "to_servr", "unknown flow option 'to_servr'");
	EXPECT_ERROR(HDR "(flow:to_server,,established; sid:1;)", ",established", "empty item in 'flow'");
	EXPECT_ERROR(HDR "(flow:to_server; flow:established; sid:1;)", "flow:est", "'flow' given twice");
	EXPECT_ERROR(HDR "(flow:to_client; http.uri; content:\"a\"; sid:1;)", "content",
		     "'http.uri' inspects requests, but the rule has flow:to_client");
	/* The raw stream of the server's direction is fine. */
	{
		struct dpi_rule_set *s = load1(HDR "(flow:to_client; content:\"HTTP/1.1 500\"; sid:1;)", NULL);

		CHECK(s && s->rules[0].matches[0].buffer == DPI_RB_STREAM);
		dpi_rules_free(s);
	}
}

static void test_content_decoding(void)
{
	static const struct {
		const char *v;
		const char *bytes;
		size_t len;
	} ok[] = {
		{"\"abc\"", "abc", 3},
		{"\"|0d 0a|\"", "\r\n", 2},
		{"\"|0D0a|\"", "\r\n", 2},
		{"\"GET |20|/\"", "GET  /", 6},
		{"\"a|00|b\"", "a\0b", 3},
		{"\"|  41  42 |\"", "AB", 2},
		{"\"x\\;y\\\"z\\\\w\\:v\"", "x;y\"z\\w:v", 9},
		{"\"semi;colon\"", "semi;colon", 10},
		{"\"|ff fe|\xc3\xa9\"", "\xff\xfe\xc3\xa9", 4},
		{" \"spaced\" ", "spaced", 6},
	};
	char rule[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct dpi_rule_set *s;

		snprintf(rule, sizeof(rule), HDR "(content:%s; sid:1;)", ok[i].v);
		s = load1(rule, NULL);
		if (!s)
			continue;
		CHECK(s->rules[0].n_matches == 1 && bytes_eq(&s->rules[0].matches[0], ok[i].bytes, ok[i].len));
		CHECK(!s->rules[0].matches[0].negated);
		dpi_rules_free(s);
	}
	{
		struct dpi_rule_set *s = load1(HDR "(content:!\"evil\"; content: ! \"x\"; sid:1;)", NULL);

		CHECK(s && s->rules[0].matches[0].negated && s->rules[0].matches[1].negated &&
		      bytes_eq(&s->rules[0].matches[1], "x", 1));
		/* Negated contents are never the fast pattern. */
		CHECK(s && s->rules[0].fast_pattern == -1);
		dpi_rules_free(s);
	}
	EXPECT_ERROR(HDR "(content:\"|0g|\"; sid:1;)", "g|", "bad hex digit 'g'");
	EXPECT_ERROR(HDR "(content:\"|0d 0|\"; sid:1;)", "|\";", "odd number of hex digits");
	EXPECT_ERROR(HDR "(content:\"|0 d|\"; sid:1;)", " d|", "hex byte split by a space");
	EXPECT_ERROR(HDR "(content:\"ab|0d\"; sid:1;)", "|0d", "unterminated hex block");
	EXPECT_ERROR(HDR "(content:\"a||b\"; sid:1;)", "||", "empty hex block");
	EXPECT_ERROR(HDR "(content:\"\"; sid:1;)", "\"\"", "empty content");
	EXPECT_ERROR(HDR "(content:\"a\\nb\"; sid:1;)", "\\n", "bad escape in content");
	EXPECT_ERROR(HDR "(content:abc; sid:1;)", "abc", "'content' expects a quoted string");
	EXPECT_ERROR(HDR "(content:\"abc\" x; sid:1;)", " x;", "unexpected text after the quoted string");
}

static void test_content_modifiers(void)
{
	struct dpi_rule_set *s;
	const struct dpi_rule_match *m;

	s = load1(HDR "(content:\"abc\"; nocase; offset:4; depth:10; fast_pattern:1,2; "
		      "content:\"de\"; distance:-3; within:7; content:\"fg\"; startswith; endswith; sid:1;)",
		  NULL);
	if (s) {
		const uint8_t *fp;
		size_t fplen;

		m = s->rules[0].matches;
		CHECK(m[0].nocase && m[0].has_offset && m[0].offset == 4 && m[0].has_depth &&
		      m[0].depth == 10 && m[0].fast_pattern && m[0].fp_chop && m[0].fp_offset == 1 &&
		      m[0].fp_len == 2 && !m[0].has_distance && m[0].rel_to == -1);
		CHECK(m[1].has_distance && m[1].distance == -3 && m[1].has_within && m[1].within == 7 &&
		      m[1].rel_to == 0 && !m[1].nocase);
		CHECK(m[2].startswith && m[2].endswith && m[2].rel_to == -1);
		CHECK(dpi_rule_fast_pattern(&s->rules[0], &fp, &fplen) == &m[0]);
		CHECK(fplen == 2 && !memcmp(fp, "bc", 2));
		dpi_rules_free(s);
	}
	/* fast_pattern:only is taken as fast_pattern; longest content otherwise. */
	s = load1(HDR "(content:\"abcdef\"; content:\"xy\"; fast_pattern:only; sid:1;)", NULL);
	CHECK(s && s->rules[0].fast_pattern == 1 && !s->rules[0].matches[1].fp_chop);
	dpi_rules_free(s);
	s = load1(HDR "(content:\"ab\"; content:\"abcd\"; content:\"wxyz\"; sid:1;)", NULL);
	CHECK(s && s->rules[0].fast_pattern == 1);
	dpi_rules_free(s);
	/* Modifiers apply to the last content even past a pcre (as Suricata). */
	s = load1(HDR "(content:\"a\"; pcre:\"/b/\"; nocase; sid:1;)", NULL);
	CHECK(s && s->rules[0].matches[0].nocase);
	dpi_rules_free(s);
	/* isdataat. */
	s = load1(HDR "(http.uri; content:\"a\"; isdataat:!10,relative; isdataat:5, rawbytes; sid:1;)", NULL);
	if (s) {
		m = s->rules[0].matches;
		CHECK(m[1].type == DPI_RM_ISDATAAT && m[1].negated && m[1].isdataat == 10 &&
		      m[1].relative && m[1].rel_to == 0 && m[1].buffer == DPI_RB_HTTP_URI);
		CHECK(m[2].type == DPI_RM_ISDATAAT && !m[2].negated && m[2].isdataat == 5 &&
		      !m[2].relative && m[2].rel_to == -1);
		dpi_rules_free(s);
	}

	EXPECT_ERROR(HDR "(nocase; sid:1;)", "nocase", "'nocase' needs a preceding content");
	EXPECT_ERROR(HDR "(pcre:\"/a/\"; depth:3; sid:1;)", "depth", "'depth' needs a preceding content");
	EXPECT_ERROR(HDR "(content:\"a\"; nocase; nocase; sid:1;)", "nocase; sid", "'nocase' given twice");
	EXPECT_ERROR(HDR "(content:\"abcdef\"; depth:3; sid:1;)", "3;", "depth 3 is smaller than the content (6 bytes)");
	EXPECT_ERROR(HDR "(content:\"a\"; content:\"abcdef\"; within:3; sid:1;)", "3;",
		     "within 3 is smaller than the content (6 bytes)");
	EXPECT_ERROR(HDR "(content:\"a\"; offset:x; sid:1;)", "x;", "'offset' expects a number in 0..65535, not 'x'");
	EXPECT_ERROR(HDR "(content:\"a\"; offset:65536; sid:1;)", "65536", "'offset' expects a number");
	EXPECT_ERROR(HDR "(content:\"a\"; offset:-1; sid:1;)", "-1", "'offset' expects a number");
	EXPECT_ERROR(HDR "(content:\"a\"; depth:0; sid:1;)", "0;", "'depth' expects a number in 1..65535");
	EXPECT_ERROR(HDR "(content:\"a\"; content:\"b\"; within:0; sid:1;)", "0;", "'within' expects a number in 1..65535");
	EXPECT_ERROR(HDR "(content:\"a\"; distance:-70000; sid:1;)", "-70000", "'distance' expects a number in -65535..65535");
	EXPECT_ERROR(HDR "(content:\"a\"; content:\"b\"; offset:1; distance:0; sid:1;)", "distance",
		     "'distance' cannot be combined with offset/depth");
	EXPECT_ERROR(HDR "(content:\"a\"; content:\"b\"; within:3; depth:3; sid:1;)", "depth",
		     "'depth' cannot be combined with distance/within");
	EXPECT_ERROR(HDR "(content:\"a\"; startswith; offset:1; sid:1;)", "offset",
		     "'offset' cannot be combined with startswith");
	EXPECT_ERROR(HDR "(content:\"a\"; depth:5; startswith; sid:1;)", "startswith",
		     "'startswith' cannot be combined");
	EXPECT_ERROR(HDR "(content:\"a\"; distance:0; sid:1;)", "distance",
		     "'distance' needs a preceding content or pcre in the same buffer (stream)");
	EXPECT_ERROR(HDR "(http.uri; content:\"a\"; http.header; content:\"b\"; within:5; sid:1;)", "within",
		     "'within' needs a preceding content or pcre in the same buffer (http.header)");
	EXPECT_ERROR(HDR "(content:\"a\"; fast_pattern; content:\"b\"; fast_pattern; sid:1;)",
		     "fast_pattern; sid", "only one content per rule may be fast_pattern");
	EXPECT_ERROR(HDR "(content:\"abc\"; fast_pattern:2,2; sid:1;)", "2,2", "outside the content");
	EXPECT_ERROR(HDR "(content:\"abc\"; fast_pattern:foo; sid:1;)", "foo", "'fast_pattern' expects");
	EXPECT_ERROR(HDR "(isdataat:x; sid:1;)", "x;", "'isdataat' expects a number");
	EXPECT_ERROR(HDR "(isdataat:1,sideways; sid:1;)", "sideways", "unknown isdataat option");
	EXPECT_ERROR(HDR "(isdataat:1,relative; sid:1;)", "isdataat",
		     "'isdataat relative' needs a preceding content");
	/* A bad content does not drag its modifiers into the error list. */
	EXPECT_ERROR(HDR "(content:\"|zz|\"; nocase; depth:1; sid:1;)", "zz", "bad hex digit");
}

static void test_buffers(void)
{
	static const struct {
		const char *kw;
		enum dpi_rule_buffer buf;
		const char *proto;
		enum dpi_rule_app app;
	} sticky[] = {
		{"http.uri", DPI_RB_HTTP_URI, "http", DPI_RULE_APP_HTTP},
		{"http.uri.raw", DPI_RB_HTTP_URI_RAW, "http", DPI_RULE_APP_HTTP},
		{"http.method", DPI_RB_HTTP_METHOD, "http", DPI_RULE_APP_HTTP},
		{"http.host", DPI_RB_HTTP_HOST, "http", DPI_RULE_APP_HTTP},
		{"http.header", DPI_RB_HTTP_HEADER, "tcp", DPI_RULE_APP_HTTP},
		{"http.user_agent", DPI_RB_HTTP_USER_AGENT, "http1", DPI_RULE_APP_HTTP},
		{"http.cookie", DPI_RB_HTTP_COOKIE, "http", DPI_RULE_APP_HTTP},
		{"http.request_body", DPI_RB_HTTP_REQUEST_BODY, "ip", DPI_RULE_APP_HTTP},
		{"http.param", DPI_RB_HTTP_PARAM, "http", DPI_RULE_APP_HTTP},
		{"dns.query", DPI_RB_DNS_QUERY, "dns", DPI_RULE_APP_DNS},
		{"dns_query", DPI_RB_DNS_QUERY, "udp", DPI_RULE_APP_DNS},
		{"tls.sni", DPI_RB_TLS_SNI, "tls", DPI_RULE_APP_TLS},
		{"tls_sni", DPI_RB_TLS_SNI, "tcp", DPI_RULE_APP_TLS},
		{"sql.query", DPI_RB_SQL_QUERY, "tcp", DPI_RULE_APP_SQL},
	};
	static const struct {
		const char *kw;
		enum dpi_rule_buffer buf;
	} legacy[] = {
		{"http_uri", DPI_RB_HTTP_URI},
		{"http_raw_uri", DPI_RB_HTTP_URI_RAW},
		{"http_method", DPI_RB_HTTP_METHOD},
		{"http_header", DPI_RB_HTTP_HEADER},
		{"http_user_agent", DPI_RB_HTTP_USER_AGENT},
		{"http_client_body", DPI_RB_HTTP_REQUEST_BODY},
		{"http_host", DPI_RB_HTTP_HOST},
		{"http_cookie", DPI_RB_HTTP_COOKIE},
	};
	char rule[256];
	struct dpi_rule_set *s;
	const struct dpi_rule_match *m;

	for (size_t i = 0; i < sizeof(sticky) / sizeof(sticky[0]); i++) {
		snprintf(rule, sizeof(rule),
			 "alert %s any any -> any any (content:\"raw\"; %s; content:\"a\"; content:\"b\"; sid:1;)",
			 sticky[i].proto, sticky[i].kw);
		s = load1(rule, NULL);
		if (!s)
			continue;
		m = s->rules[0].matches;
		CHECK_EQ(m[0].buffer, DPI_RB_STREAM);
		CHECK_EQ(m[1].buffer, sticky[i].buf);
		CHECK_EQ(m[2].buffer, sticky[i].buf);
		CHECK_EQ(s->rules[0].app, sticky[i].app);
		CHECK_EQ(m[1].nocase, sticky[i].buf == DPI_RB_DNS_QUERY);
		dpi_rules_free(s);
	}
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		snprintf(rule, sizeof(rule),
			 HDR "(content:\"a\"; %s; content:\"b\"; pcre:\"/c/\"; sid:1;)", legacy[i].kw);
		s = load1(rule, NULL);
		if (!s)
			continue;
		m = s->rules[0].matches;
		CHECK_EQ(m[0].buffer, legacy[i].buf);
		CHECK_EQ(m[1].buffer, DPI_RB_STREAM);   /* not sticky */
		CHECK_EQ(m[2].buffer, DPI_RB_STREAM);
		dpi_rules_free(s);
	}
	/* pkt_data goes back to the stream; transforms follow a sticky buffer. */
	EXPECT_ERROR(HDR "(http.host; content:\"a\"; dns.query; content:\"b\"; sid:1;)", "content:\"b",
		     "'dns.query' cannot be used in a http rule");
	s = load1(HDR "(http.host; to_lowercase; dotprefix; content:\".example.com\"; endswith; "
		      "pkt_data; content:\"X\"; http.host; content:\"Y\"; nocase; sid:1;)",
		  NULL);
	if (s) {
		m = s->rules[0].matches;
		CHECK(m[0].buffer == DPI_RB_HTTP_HOST &&
		      m[0].transforms == (DPI_RT_TO_LOWERCASE | DPI_RT_DOTPREFIX));
		CHECK(m[1].buffer == DPI_RB_STREAM && m[1].transforms == 0);
		CHECK(m[2].buffer == DPI_RB_HTTP_HOST && m[2].transforms == 0);
		dpi_rules_free(s);
	}
	/* Relative keywords follow the buffer after a legacy move. */
	s = load1(HDR "(content:\"/a\"; http_uri; content:\"x\"; content:\"b\"; http_uri; distance:0; sid:1;)", NULL);
	CHECK(s && s->rules[0].matches[2].rel_to == 0);
	dpi_rules_free(s);

	EXPECT_ERROR(HDR "(http.uri; content:\"a\"; http_uri; sid:1;)", "http_uri",
		     "'http_uri' modifies a content, but sticky buffer 'http.uri' is active");
	EXPECT_ERROR(HDR "(http_header; sid:1;)", "http_header", "'http_header' needs a preceding content");
	EXPECT_ERROR(HDR "(content:\"a\"; http_uri; http_header; sid:1;)", "http_header",
		     "the content already has the modifier for 'http.uri'");
	EXPECT_ERROR(HDR "(dotprefix; content:\"a\"; sid:1;)", "dotprefix",
		     "transform 'dotprefix' must directly follow a sticky buffer");
	EXPECT_ERROR("alert dns any any -> any any (dns.query; content:\"a\"; dotprefix; sid:1;)", "dotprefix",
		     "must directly follow");
	EXPECT_ERROR("alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)", "content",
		     "'http.uri' cannot be used in a dns rule");
	EXPECT_ERROR("alert http any any -> any any (tls.sni; content:\"a\"; sid:1;)", "content",
		     "'tls.sni' cannot be used in a http rule");
	EXPECT_ERROR("alert udp any any -> any any (http.uri; content:\"a\"; sid:1;)", "content",
		     "'http.uri' cannot be used in a udp rule");
	EXPECT_ERROR("alert tcp any any -> any any (http.uri; content:\"a\"; sql.query; content:\"b\"; sid:1;)",
		     "content:\"b", "rule mixes http and sql buffers");
	EXPECT_ERROR(HDR "(http.host; content:\"Example.com\"; sid:1;)", "content",
		     "content has upper-case letters but http.host is lower-case");
	EXPECT_ERROR(HDR "(http.uri; to_lowercase; content:\"/Admin\"; sid:1;)", "content",
		     "http.uri with to_lowercase is lower-case");
	s = load1(HDR "(http.host; content:\"Example.com\"; nocase; sid:1;)", NULL);
	CHECK(s != NULL);
	dpi_rules_free(s);
	s = load1(HDR "(content:\"Example.com\"; http_host; nocase; sid:1;)", NULL);
	CHECK(s != NULL);
	dpi_rules_free(s);
}

static void test_pcre(void)
{
	struct dpi_rule_set *s;
	const struct dpi_rule_match *m;

	s = load1(HDR "(pcre:\"/a\\/b\\;c\\\"d/ismxAEGO\"; http.uri; content:\"q\"; pcre:!\"/^x$/R\"; sid:1;)", NULL);
	if (s) {
		m = s->rules[0].matches;
		CHECK(m[0].type == DPI_RM_PCRE && m[0].buffer == DPI_RB_STREAM && !m[0].negated);
		CHECK(!strcmp(m[0].pcre, "a\\/b\\;c\\\"d"));
		CHECK(!strcmp(m[0].pcre_flags, "ismxAEG"));
		CHECK(m[2].type == DPI_RM_PCRE && m[2].negated && m[2].relative && m[2].rel_to == 1 &&
		      m[2].buffer == DPI_RB_HTTP_URI && !strcmp(m[2].pcre, "^x$") &&
		      !strcmp(m[2].pcre_flags, ""));
		dpi_rules_free(s);
	}
	{
		static const struct {
			char flag;
			enum dpi_rule_buffer buf;
		} bf[] = {
			{'U', DPI_RB_HTTP_URI}, {'I', DPI_RB_HTTP_URI_RAW},
			{'P', DPI_RB_HTTP_REQUEST_BODY}, {'H', DPI_RB_HTTP_HEADER},
			{'M', DPI_RB_HTTP_METHOD}, {'C', DPI_RB_HTTP_COOKIE},
			{'V', DPI_RB_HTTP_USER_AGENT}, {'W', DPI_RB_HTTP_HOST},
		};
		char rule[200];

		for (size_t i = 0; i < sizeof(bf) / sizeof(bf[0]); i++) {
			snprintf(rule, sizeof(rule), HDR "(pcre:\"/abc/i%c\"; sid:1;)", bf[i].flag);
			s = load1(rule, NULL);
			CHECK(s && s->rules[0].matches[0].buffer == bf[i].buf &&
			      !strcmp(s->rules[0].matches[0].pcre_flags, "i"));
			dpi_rules_free(s);
		}
	}
	/* A pattern with a '/' inside: the last one ends it. */
	s = load1(HDR "(pcre:\"/\\/etc\\/passwd/\"; sid:1;)", NULL);
	CHECK(s && !strcmp(s->rules[0].matches[0].pcre, "\\/etc\\/passwd"));
	dpi_rules_free(s);

	EXPECT_ERROR(HDR "(pcre:\"abc\"; sid:1;)", "abc", "pcre expects \"/pattern/flags\"");
	EXPECT_ERROR(HDR "(pcre:\"/abc\"; sid:1;)", "/abc", "pcre expects");
	EXPECT_ERROR(HDR "(pcre:\"//i\"; sid:1;)", "//i", "empty pcre pattern");
	EXPECT_ERROR(HDR "(pcre:\"/a/q\"; sid:1;)", "q\"", "unknown pcre flag 'q'");
	EXPECT_ERROR(HDR "(pcre:\"/a/S\"; sid:1;)", "S\"", "pcre flag 'S' names a response-side");
	EXPECT_ERROR(HDR "(pcre:\"/a/UH\"; sid:1;)", "H\"", "pcre has two buffer flags");
	EXPECT_ERROR(HDR "(http.uri; pcre:\"/a/U\"; sid:1;)", "U\"",
		     "pcre flag 'U' names a buffer, but sticky buffer 'http.uri' is active");
	EXPECT_ERROR(HDR "(pcre:\"/a/R\"; sid:1;)", "pcre", "'pcre /R' needs a preceding content");
	EXPECT_ERROR(HDR "(pcre:/a/; sid:1;)", "/a/", "'pcre' expects a quoted string");
}

static void test_bsize(void)
{
	static const struct {
		const char *v;
		uint64_t min, max;
		bool neg;
	} ok[] = {
		{"10", 10, 10, false},   {"<10", 0, 9, false},   {"<=10", 0, 10, false},
		{">10", 11, UINT64_MAX, false}, {">=10", 10, UINT64_MAX, false},
		{"!10", 10, 10, true},   {"5<>10", 6, 9, false}, {" 5 <> 10 ", 6, 9, false},
	};
	char rule[200];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct dpi_rule_set *s;

		snprintf(rule, sizeof(rule), HDR "(http.uri; bsize:%s; sid:1;)", ok[i].v);
		s = load1(rule, NULL);
		if (!s)
			continue;
		CHECK(s->rules[0].matches[0].type == DPI_RM_BSIZE &&
		      s->rules[0].matches[0].buffer == DPI_RB_HTTP_URI);
		CHECK(s->rules[0].matches[0].bsize_min == ok[i].min);
		CHECK(s->rules[0].matches[0].bsize_max == ok[i].max);
		CHECK_EQ(s->rules[0].matches[0].negated, ok[i].neg);
		dpi_rules_free(s);
	}
	EXPECT_ERROR(HDR "(bsize:10; sid:1;)", "bsize", "'bsize' needs a sticky buffer");
	EXPECT_ERROR(HDR "(http.uri; bsize:ten; sid:1;)", "ten", "'bsize' expects");
	EXPECT_ERROR(HDR "(http.uri; bsize:5<>6; sid:1;)", "5<>6", "bsize range '5<>6' is empty");
	EXPECT_ERROR(HDR "(http.uri; bsize:<0; sid:1;)", "<0", "can never match");
	EXPECT_ERROR(HDR "(http.uri; content:\"abcdef\"; bsize:<5; sid:1;)", "content",
		     "content of 6 bytes cannot match with bsize at most 4");
}

static void test_threshold(void)
{
	struct dpi_rule_set *s;

	s = load1(HDR "(threshold: type both , track by_dst, count 3, seconds 10; sid:1;)", NULL);
	CHECK(s && s->rules[0].threshold.type == DPI_THR_BOTH &&
	      s->rules[0].threshold.track == DPI_TRACK_BY_DST && s->rules[0].threshold.count == 3 &&
	      s->rules[0].threshold.seconds == 10);
	dpi_rules_free(s);
	s = load1(HDR "(threshold:seconds 5,count 2,track by_flow,type threshold; sid:1;)", NULL);
	CHECK(s && s->rules[0].threshold.type == DPI_THR_THRESHOLD &&
	      s->rules[0].threshold.track == DPI_TRACK_BY_FLOW);
	dpi_rules_free(s);
	s = load1(HDR "(detection_filter:track by_rule, count 100, seconds 1; sid:1;)", NULL);
	CHECK(s && s->rules[0].threshold.type == DPI_THR_DETECTION_FILTER &&
	      s->rules[0].threshold.track == DPI_TRACK_BY_RULE && s->rules[0].threshold.count == 100);
	dpi_rules_free(s);
	s = load1(HDR "(detection_filter:track by_both, count 1, seconds 1; sid:1;)", NULL);
	CHECK(s && s->rules[0].threshold.track == DPI_TRACK_BY_BOTH);
	dpi_rules_free(s);
	s = load1(HDR "(sid:1;)", NULL);
	CHECK(s && s->rules[0].threshold.type == DPI_THR_NONE);
	dpi_rules_free(s);

	EXPECT_ERROR(HDR "(threshold:type limit, track by_src, count 1; sid:1;)", "threshold",
		     "'threshold' needs type, track, count and seconds");
	EXPECT_ERROR(HDR "(detection_filter:type limit, track by_src, count 1, seconds 1; sid:1;)",
		     "type", "unknown or repeated 'detection_filter' item 'type'");
	EXPECT_ERROR(HDR "(threshold:type often, track by_src, count 1, seconds 1; sid:1;)", "often",
		     "bad value 'often' for 'type'");
	EXPECT_ERROR(HDR "(threshold:type limit, track by_src, count 0, seconds 1; sid:1;)", "0,",
		     "bad value '0' for 'count'");
	EXPECT_ERROR(HDR "(threshold:type limit, track by_src, count 1, count 2, seconds 1; sid:1;)",
		     "count 2", "unknown or repeated");
	EXPECT_ERROR(HDR "(threshold:type limit, track, count 1, seconds 1; sid:1;)", "track,",
		     "'threshold' item 'track' has no value");
	EXPECT_ERROR(HDR "(threshold:type limit,track by_src,count 1,seconds 1; "
			 "detection_filter:track by_src,count 1,seconds 1; sid:1;)",
		     "detection_filter", "only one threshold or detection_filter per rule");
}

/* ---- files, lines, and whole-load behaviour ---- */

static void test_lines_and_comments(void)
{
	struct dpi_rule_set *s = NULL;
	struct errs es;
	const char *text =
		"# comment\r\n"
		"\r\n"
		"   \t\n"
		"  # indented comment \\\n"
		"alert http any any -> any any (msg:\"one\"; sid:1;)\r\n"
		"alert http any any -> any any \\\n"
		"  (msg:\"two\"; \\  \n"
		"   sid:2;)\n"
		"\talert dns any any -> any any (msg:\"three\"; sid:3;)";   /* no final newline */
	int r = load(text, NULL, &s, &es);

	CHECK_EQ(r, 0);
	CHECK_EQ(es.n, 0);
	if (!s)
		return;
	CHECK_EQ(s->n_rules, 3);
	if (s->n_rules == 3) {
		CHECK(!strcmp(s->rules[0].msg, "one") && s->rules[0].line == 5);
		CHECK(!strcmp(s->rules[1].msg, "two") && s->rules[1].line == 6);
		CHECK(!strcmp(s->rules[2].msg, "three") && s->rules[2].line == 9);
	}
	dpi_rules_free(s);

	/* An empty file and a comments-only file are empty sets. */
	s = NULL;
	CHECK_EQ(load("", NULL, &s, &es), 0);
	CHECK(s && s->n_rules == 0);
	dpi_rules_free(s);
	s = NULL;
	CHECK_EQ(load("# nothing\n\n", NULL, &s, &es), 0);
	CHECK(s && s->n_rules == 0);
	dpi_rules_free(s);

	/* An error on a continuation line reports that line and its column. */
	s = NULL;
	r = load("alert http any any -> any any (msg:\"x\"; \\\n   sid:1; bogus; \\\n)\n", NULL, &s, &es);
	CHECK_EQ(r, -EINVAL);
	CHECK(es.n == 1 && !strcmp(es.text[0], "t.rules:2:11: unsupported keyword 'bogus'"));
	CHECK(es.line[0] == 2 && es.col[0] == 11);

	/* A file ending right after a '\'. */
	s = NULL;
	r = load("alert http any any -> any any (sid:1;) \\", NULL, &s, &es);
	CHECK_EQ(r, 0);
	CHECK(s && s->n_rules == 1);
	dpi_rules_free(s);

	/* NUL bytes and over-long rules. */
	{
		static const char nul[] = "alert http any any -> any any (msg:\"a\0b\"; sid:1;)\n";
		size_t len = sizeof(nul) - 1;
		uint8_t *g = guard_dup(nul, len);

		memset(&es, 0, sizeof(es));
		s = NULL;
		r = dpi_rules_load_buffer("nul.rules", (const char *)g, len, NULL, &s, collect, &es);
		guard_free(g, len);
		CHECK_EQ(r, -EINVAL);
		CHECK(s == NULL);
		CHECK(es.n == 1 && !strcmp(es.text[0], "nul.rules:1:38: NUL byte in rule"));
	}
	{
		size_t n = DPI_RULES_MAX_RULE_LEN + 100;
		char *big = malloc(n + 64);
		size_t off = 0;

		if (!big)
			abort();
		off += (size_t)snprintf(big, 64, "alert http any any -> any any (msg:\"");
		memset(big + off, 'a', n - off);
		memcpy(big + n, "\"; sid:1;)\nalert", 17);
		s = NULL;
		r = load(big, NULL, &s, &es);
		CHECK_EQ(r, -EINVAL);
		/* The long rule and then the truncated header after it. */
		CHECK(es.n == 2 && strstr(es.text[0], "t.rules:1: rule is longer than 65536 bytes or 1024 lines") &&
		      strstr(es.text[1], "t.rules:2:"));
		free(big);
	}
}

/* Caps on what one rule may ask for. */
static void test_caps(void)
{
	static const struct dpi_rule_var fan[] = {
		{"V0", "[1.0.0.0,1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6,1.0.0.7]"},
		{"V1", "[$V0,$V0,$V0,$V0,$V0,$V0,$V0,$V0,$V0,$V0]"},
		{"V2", "[$V1,$V1,$V1,$V1,$V1,$V1,$V1,$V1,$V1,$V1]"},
		{"V3", "[$V2,$V2,$V2,$V2,$V2,$V2,$V2,$V2,$V2,$V2]"},
		{"V4", "[$V3,$V3,$V3,$V3,$V3,$V3,$V3,$V3,$V3,$V3]"},
		{"V5", "[$V4,$V4,$V4,$V4,$V4,$V4,$V4,$V4,$V4,$V4]"},
		{NULL, NULL},
	};
	size_t cap = 64 * 1024, off;
	char *text = malloc(cap);
	struct dpi_rule_set *s;

	if (!text)
		abort();
	/* 256 matches load, 257 or more do not (one error). */
	for (int n = 256; n <= 300; n += n == 256 ? 1 : 43) {
		off = (size_t)snprintf(text, cap, HDR "(");
		for (int i = 0; i < n; i++)
			off += (size_t)snprintf(text + off, cap - off, "content:\"%d\"; ", i);
		snprintf(text + off, cap - off, "sid:1;)");
		if (n == 256) {
			s = load1(text, NULL);
			CHECK(s && s->rules[0].n_matches == 256);
			dpi_rules_free(s);
		} else {
			EXPECT_ERROR(text, "content:\"256\"", "more than 256 content/pcre/isdataat/bsize keywords");
		}
	}
	off = (size_t)snprintf(text, cap, HDR "(");
	for (int i = 0; i < 33; i++)
		off += (size_t)snprintf(text + off, cap - off, "reference:url,x/%d; ", i);
	snprintf(text + off, cap - off, "sid:1;)");
	EXPECT_ERROR(text, "reference:url,x/32", "more than 32 references");
	/* One rule over too many physical lines. */
	off = (size_t)snprintf(text, cap, HDR "(msg:\"x\"; \\\n");
	for (int i = 0; i < DPI_RULES_MAX_RULE_LINES; i++)
		off += (size_t)snprintf(text + off, cap - off, " \\\n");
	snprintf(text + off, cap - off, "sid:1;)\n");
	EXPECT_ERROR(text, NULL, "rule is longer than 65536 bytes or 1024 lines");
	/* Variables fanning out: 10^5 copies are refused, not evaluated. */
	EXPECT_ERROR_V(fan, "alert tcp $V5 any -> any any (sid:1;)", "$V5",
		       "expression expands to too many elements");
	s = load1("alert tcp $V3 any -> any any (sid:1;)", fan);
	CHECK(s && s->rules[0].src.n == 1 && s->rules[0].src.cidrs[0].prefix == 125);
	dpi_rules_free(s);
	free(text);
}

/* Big sets and many rules: the caps on CIDRs and port ranges, the sid
 * table growing, lists nested too deep. */
static void test_big_sets(void)
{
	size_t cap = 256 * 1024, off;
	char *text = malloc(cap);
	struct dpi_rule_set *s = NULL;
	struct errs es;
	uint8_t a[16] = {0};
	int r;

	if (!text)
		abort();
	/* 4096 single addresses fit, 4097 do not. */
	for (int n = 4096; n <= 4097; n++) {
		off = (size_t)snprintf(text, cap, "alert tcp [");
		for (int i = 0; i < n; i++)
			off += (size_t)snprintf(text + off, cap - off, "%s10.%d.%d.1", i ? "," : "",
						i / 256, i % 256);
		snprintf(text + off, cap - off, "] any -> any any (sid:1;)");
		if (n == 4096) {
			s = load1(text, NULL);
			CHECK(s && s->rules[0].src.n == 4096 && in4(&s->rules[0].src, 10, 15, 255, 1) &&
			      !in4(&s->rules[0].src, 10, 15, 255, 2));
			dpi_rules_free(s);
		} else {
			EXPECT_ERROR(text, "[10.0", "address set needs more than 4096 CIDRs");
		}
	}
	/* 4096 port ranges fit, 4097 do not. */
	for (int n = 4096; n <= 4097; n++) {
		off = (size_t)snprintf(text, cap, "alert tcp any [");
		for (int i = 0; i < n; i++)
			off += (size_t)snprintf(text + off, cap - off, "%s%d", i ? "," : "", 2 * i + 1);
		snprintf(text + off, cap - off, "] -> any any (sid:1;)");
		if (n == 4096) {
			s = load1(text, NULL);
			CHECK(s && s->rules[0].sport.n == 4096 && dpi_rule_ports_match(&s->rules[0].sport, 8191) &&
			      !dpi_rule_ports_match(&s->rules[0].sport, 8190));
			dpi_rules_free(s);
		} else {
			EXPECT_ERROR(text, "[1,", "port set needs more than 4096 ranges");
		}
	}
	/* Lists of negations only; the whole range is any. */
	s = load1("alert tcp any [!80,!443] -> any [0:65535] (sid:1;)", NULL);
	if (s) {
		CHECK(!dpi_rule_ports_match(&s->rules[0].sport, 80) &&
		      dpi_rule_ports_match(&s->rules[0].sport, 81) && s->rules[0].sport.n == 3);
		CHECK(s->rules[0].dport.any && dpi_rule_ports_match(&s->rules[0].dport, 7));
		CHECK(s->rules[0].src.any && dpi_rule_addrs_match(&s->rules[0].src, a));
		dpi_rules_free(s);
	}
	/* The full IPv6 space written out is any too. */
	s = load1("alert tcp ::/0 any -> [0.0.0.0/0,::/0] any (sid:1;)", NULL);
	CHECK(s && s->rules[0].src.any && s->rules[0].dst.any);
	dpi_rules_free(s);
	EXPECT_ERROR("alert tcp [[[[[[[[[[[[[[[[[1.2.3.4]]]]]]]]]]]]]]]]] any -> any any (sid:1;)", "1.2.3.4]",
		     "address lists nest too deep at '1.2.3.4'");
	EXPECT_ERROR("alert tcp any [[[[[[[[[[[[[[[[[80]]]]]]]]]]]]]]]]] -> any any (sid:1;)", "80]",
		     "port lists nest too deep at '80'");
	EXPECT_ERROR("alert tcp [1.2.3.4,,5.6.7.8] any -> any any (sid:1;)", ",5.6", "empty element in list '[1.2.3.4,,5.6.7.8]'");
	EXPECT_ERROR("alert tcp $ any -> any any (sid:1;)", "$", "bad variable name '$'");
	EXPECT_ERROR("alert tcp $A-B any -> any any (sid:1;)", "$A", "bad variable name '$A-B'");
	EXPECT_ERROR("alert tcp [1.2.3.4,!] any -> any any (sid:1;)", "]", "missing address");
	EXPECT_ERROR("alert tcp any [80,!] -> any any (sid:1;)", "]", "missing port");
	{
		static const struct dpi_rule_var empty[] = {{"NOTHING", " "}, {NULL, NULL}};

		EXPECT_ERROR_V(empty, "alert tcp [$NOTHING] any -> any any (sid:1;)", "[$",
			       "missing address (in $NOTHING)");
	}
	/* 3000 rules: the sid table grows; sids stay unique. */
	off = 0;
	for (int i = 0; i < 3000; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"alert http any any -> any any (content:\"r%d\"; sid:%d;)\n", i, 7 * i + 1);
	s = NULL;
	r = load(text, NULL, &s, &es);
	CHECK_EQ(r, 0);
	CHECK(s && s->n_rules == 3000 && s->rules[2999].sid == 7 * 2999 + 1 &&
	      bytes_eq(&s->rules[2999].matches[0], "r2999", 5) && s->rules[2999].line == 3000);
	dpi_rules_free(s);
	snprintf(text + off, cap - off, "alert tcp any any -> any any (sid:%d;)\n", 7 * 1234 + 1);
	s = NULL;
	r = load(text, NULL, &s, &es);
	CHECK_EQ(r, -EINVAL);
	CHECK(es.n == 1 && strstr(es.text[0], "t.rules:3001:35: duplicate sid 8639 (first used at t.rules:1235)"));
	free(text);
}

static void test_error_file(void)
{
	static const char *const want[] = {
		":5:48: unsupported keyword 'flowbits'",
		":6: rule has no sid",
		":7:60: duplicate sid 2000001 (first used at ",
		":8:63: unterminated quoted string",
		":9:58: bad hex digit 'g' in content",
		":10:15: bad port range '80:70'",
		":11:69: depth 3 is smaller than the content (6 bytes)",
		":14:13: unsupported keyword 'bogus_kw'",
		":15:61: 'http.uri' cannot be used in a dns rule",
		":16:12: unknown variable '$NOPE'",
		":17:97: 'distance' needs a preceding content or pcre in the same buffer (http.header)",
		":18:59: unknown classtype 'not-a-class'",
		":19:58: pcre flag 'Q' names a response-side",
		":20:68: option 'sid' is not terminated by ';'",
	};
	char path[1200];
	struct dpi_rule_set *s = (struct dpi_rule_set *)&path;   /* must stay untouched */
	struct errs es = {0};
	int r;

	snprintf(path, sizeof(path), "%s/errors.rules", data_dir);
	r = dpi_rules_load_file(path, NULL, &s, collect, &es);
	CHECK_EQ(r, -EINVAL);
	CHECK(s == (struct dpi_rule_set *)&path);
	CHECK_EQ(es.n, (int)(sizeof(want) / sizeof(want[0])));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]) && i < (size_t)es.n; i++) {
		const char *t = strstr(es.text[i], "errors.rules");

		if (!t || strncmp(t + strlen("errors.rules"), want[i], strlen(want[i]))) {
			fprintf(stderr, "  error %zu: got \"%s\", want \"...%s\"\n", i, es.text[i], want[i]);
			CHECK(0);
		}
	}
}

static void test_error_cap(void)
{
	size_t n = 200, cap = n * 80 + 1, off = 0;
	char *text = malloc(cap);
	struct dpi_rule_set *s = NULL;
	struct errs es;
	int r;

	if (!text)
		abort();
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"alert http any any -> any any (flowbits:set,x; sid:%zu;)\n", i + 1);
	r = load(text, NULL, &s, &es);
	CHECK_EQ(r, -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(es.n, DPI_RULES_MAX_ERRORS + 1);
	CHECK(es.n == DPI_RULES_MAX_ERRORS + 1 &&
	      !strcmp(es.text[DPI_RULES_MAX_ERRORS], "t.rules: too many errors, giving up"));
	CHECK(strstr(es.text[49], "t.rules:50:32:") == es.text[49]);
	free(text);

	/* Without a callback the result is the same. */
	{
		size_t len = strlen("alert http any any -> any any (sid:1; sid:2;)");
		uint8_t *g = guard_dup("alert http any any -> any any (sid:1; sid:2;)", len);

		s = NULL;
		r = dpi_rules_load_buffer(NULL, (const char *)g, len, NULL, &s, NULL, NULL);
		guard_free(g, len);
		CHECK_EQ(r, -EINVAL);
		CHECK(s == NULL);
	}
}

static void test_sids_and_files(void)
{
	char p1[1200], p2[1200], p3[1200];
	const char *paths[2];
	struct dpi_rule_set *s = NULL;
	struct errs es = {0};
	FILE *f;
	int r;

	r = load("alert http any any -> any any (sid:7;)\nalert dns any any -> any any (sid: 7;)", NULL, &s,
		 &es);
	CHECK_EQ(r, -EINVAL);
	CHECK(es.n == 1 && !strcmp(es.text[0], "t.rules:2:36: duplicate sid 7 (first used at t.rules:1)"));

	/* Across files of one load. */
	snprintf(p1, sizeof(p1), "%s/realistic.rules", data_dir);
	snprintf(p2, sizeof(p2), "/tmp/bh-test-rules-%d.rules", (int)getpid());
	f = fopen(p2, "w");
	if (!f)
		abort();
	fputs("alert tcp any any -> any any (msg:\"clash\"; sid:1000004;)\n", f);
	fclose(f);
	paths[0] = p1;
	paths[1] = p2;
	s = NULL;
	memset(&es, 0, sizeof(es));
	r = dpi_rules_load_files(paths, 2, NULL, &s, collect, &es);
	CHECK_EQ(r, -EINVAL);
	CHECK(s == NULL);
	CHECK(es.n == 1 && strstr(es.text[0], ":1:48: duplicate sid 1000004 (first used at ") &&
	      strstr(es.text[0], "realistic.rules:18)"));
	unlink(p2);

	/* A missing file: -ENOENT, reported; the others are still checked. */
	snprintf(p3, sizeof(p3), "%s/does-not-exist.rules", data_dir);
	s = NULL;
	memset(&es, 0, sizeof(es));
	r = dpi_rules_load_file(p3, NULL, &s, collect, &es);
	CHECK_EQ(r, -ENOENT);
	CHECK(s == NULL);
	CHECK(es.n == 1 && strstr(es.text[0], "does-not-exist.rules: No such file or directory"));
	paths[0] = p3;
	paths[1] = p1;
	memset(&es, 0, sizeof(es));
	r = dpi_rules_load_files(paths, 2, NULL, &s, collect, &es);
	CHECK_EQ(r, -ENOENT);
	CHECK(s == NULL && es.n == 1);
	/* A directory cannot be read. */
	memset(&es, 0, sizeof(es));
	r = dpi_rules_load_file(data_dir, NULL, &s, collect, &es);
	CHECK_EQ(r, -EISDIR);
	CHECK(s == NULL && es.n == 1);
	dpi_rules_free(NULL);
}

/* Every prefix of the realistic file from a guard page: any may fail, none
 * may read past its end; then random byte mutations of it. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	if (!f || !buf)
		abort();
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static void count_err(void *ctx, const struct dpi_rule_error *e)
{
	(*(int *)ctx)++;
	if (!e->text || !e->msg || !e->file || strlen(e->text) < strlen(e->msg))
		abort();
}

static void test_guard_prefixes_and_mutations(void)
{
	char path[1200];
	size_t len;
	char *text;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	int full_ok = 0;

	snprintf(path, sizeof(path), "%s/realistic.rules", data_dir);
	text = read_all(path, &len);
	for (size_t n = 0; n <= len; n++) {
		uint8_t *g = guard_dup(text, n);
		struct dpi_rule_set *s = NULL;
		int errs = 0;
		int r = dpi_rules_load_buffer("p.rules", (const char *)g, n, NULL, &s, count_err, &errs);

		CHECK(r == 0 || r == -EINVAL);
		CHECK((r == 0) == (errs == 0));
		CHECK((r == 0) == (s != NULL));
		if (n == len)
			full_ok = r == 0 && s && s->n_rules == 17;
		dpi_rules_free(s);
		guard_free(g, n);
	}
	CHECK(full_ok);
	for (int i = 0; i < 3000; i++) {
		char *mut = malloc(len);
		uint8_t *g;
		struct dpi_rule_set *s = NULL;
		int errs = 0, r;
		unsigned nmut = 1 + bh_xorshift(&seed) % 8;

		if (!mut)
			abort();
		memcpy(mut, text, len);
		for (unsigned k = 0; k < nmut; k++) {
			static const char alphabet[] = "|\\\";:()[]!,$-> 0aF/\n#";
			size_t at = bh_xorshift(&seed) % len;

			mut[at] = bh_xorshift(&seed) & 1 ? alphabet[bh_xorshift(&seed) % (sizeof(alphabet) - 1)]
							 : (char)bh_xorshift(&seed);
		}
		g = guard_dup(mut, len);
		r = dpi_rules_load_buffer("m.rules", (const char *)g, len, NULL, &s, count_err, &errs);
		CHECK(r == 0 || r == -EINVAL);
		CHECK((r == 0) == (errs == 0));
		dpi_rules_free(s);
		guard_free(g, len);
		free(mut);
	}
	free(text);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		snprintf(data_dir, sizeof(data_dir), "%s", argv[1]);
	} else {
		/* tests/unit/test_rules.c -> tests/data/rules */
		const char *f = __FILE__, *slash = strrchr(f, '/');
		int dir = slash ? (int)(slash - f) : 0;

		snprintf(data_dir, sizeof(data_dir), "%.*s%s../data/rules", dir, f, dir ? "/" : "");
	}
	verbose = getenv("BH_VERBOSE") != NULL;
	RUN(test_realistic_file);
	RUN(test_actions_protos);
	RUN(test_addresses);
	RUN(test_ports);
	RUN(test_header_errors);
	RUN(test_meta_options);
	RUN(test_flow);
	RUN(test_content_decoding);
	RUN(test_content_modifiers);
	RUN(test_buffers);
	RUN(test_pcre);
	RUN(test_bsize);
	RUN(test_threshold);
	RUN(test_lines_and_comments);
	RUN(test_caps);
	RUN(test_big_sets);
	RUN(test_error_file);
	RUN(test_error_cap);
	RUN(test_sids_and_files);
	RUN(test_guard_prefixes_and_mutations);
	return bh_test_summary();
}
