/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_expect.c - rule tests (ctl_expect): every kind, both ends by name,
 * address and `*`, ports and protocols, globs and their case rules,
 * first-match-wins, reasons and signature:SID, the default line, never-seen
 * lines, what is ignored (no verdict, DNS responses, alerts), the exact
 * report, a report that does not depend on event order or threads, and every
 * syntax error at its line and column. Expectation files are read from
 * guard-page buffers and event strings sit at guard pages too (bh_str is not
 * NUL-terminated), so an over-read faults.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "bh_test.h"
#include "bulkhead/bh_policy.h"
#include "ctl_expect.h"

/* ---- helpers ---------------------------------------------------------- */

struct errs {
	char **m;
	size_t n;
};

static void on_err(void *ctx, const char *msg)
{
	struct errs *e = ctx;
	char **m = realloc(e->m, (e->n + 1) * sizeof(*m));

	if (!m || !(m[e->n] = strdup(msg)))
		abort();
	e->m = m;
	e->n++;
}

static void errs_free(struct errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->m[i]);
	free(e->m);
	memset(e, 0, sizeof(*e));
}

/* @text as "t.expect", read from a buffer that ends at a guard page and is
 * unmapped right after loading (nothing may point into it). */
static int load(const char *text, struct errs *e, struct ctl_expect **ret)
{
	size_t len = strlen(text);
	uint8_t *g = guard_dup(text, len);
	int r = ctl_expect_load_mem("t.expect", (const char *)g, len, on_err, e, ret);

	guard_free(g, len);
	return r;
}

/* Event strings: guard-page copies, freed by pool_free(). */
static struct {
	uint8_t **p;
	size_t *len;
	size_t n;
} pool;

/* @n bytes of @s (which may hold a NUL) at a guard page. */
static struct bh_str gsn(const char *s, size_t n)
{
	uint8_t **p = realloc(pool.p, (pool.n + 1) * sizeof(*p));
	size_t *l;

	if (!p)
		abort();
	pool.p = p;
	l = realloc(pool.len, (pool.n + 1) * sizeof(*l));
	if (!l)
		abort();
	pool.len = l;
	pool.p[pool.n] = guard_dup(s, n);
	pool.len[pool.n] = n;
	return (struct bh_str){(const char *)pool.p[pool.n++], (uint32_t)n};
}

static struct bh_str gs(const char *s)
{
	return gsn(s, strlen(s));
}

static void pool_free(void)
{
	for (size_t i = 0; i < pool.n; i++)
		guard_free(pool.p[i], pool.len[i]);
	free(pool.p);
	free(pool.len);
	memset(&pool, 0, sizeof(pool));
}

static const struct bh_workload_ref W_FRONT = {.name = "frontend"};
static const struct bh_workload_ref W_API = {.name = "api"};
static const struct bh_workload_ref W_DB = {.name = "db"};
static const struct bh_workload_ref W_DNS = {.name = "dns"};

static const struct bh_verdict V_ALLOW = {
	.action = BH_ACT_ALLOW, .mode = BH_MODE_PROTECT, .reason = "from-frontend",
	.policy = "api-ingress", .rule = "from-frontend", .direction = "ingress"};
static const struct bh_verdict V_L7 = {
	.action = BH_ACT_DENY, .mode = BH_MODE_PROTECT, .reason = "l7-no-match",
	.policy = "api-ingress", .direction = "ingress"};
static const struct bh_verdict V_NORULE = {
	.action = BH_ACT_DENY, .mode = BH_MODE_PROTECT, .reason = "no-rule",
	.policy = "api-ingress", .direction = "ingress"};
static const struct bh_verdict V_SIG = {
	.action = BH_ACT_DENY, .mode = BH_MODE_PROTECT, .reason = "signature",
	.policy = "api-ingress", .sid = 2100498};
static const struct bh_verdict V_SIG2 = {
	.action = BH_ACT_DENY, .mode = BH_MODE_PROTECT, .reason = "signature", .sid = 2100499};
static const struct bh_verdict V_AUDIT = {
	.action = BH_ACT_AUDIT, .mode = BH_MODE_MONITOR, .reason = "no-rule"};
static const struct bh_verdict V_LEARN = {
	.action = BH_ACT_LEARN, .mode = BH_MODE_LEARN, .reason = "no-rule"};
static const struct bh_verdict V_NOREASON = {.action = BH_ACT_ALLOW, .mode = BH_MODE_PROTECT};

static void set_addr(union bh_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a->b) != 1)
			abort();
		return;
	}
	a->b[10] = a->b[11] = 0xff;
	if (inet_pton(AF_INET, s, a->b + 12) != 1)
		abort();
}

static struct bh_event mk(enum bh_event_type type, const struct bh_verdict *v,
			  const struct bh_workload_ref *sw, const char *sip,
			  const struct bh_workload_ref *dw, const char *dip, uint16_t dport,
			  uint8_t proto)
{
	struct bh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.verdict = v;
	ev.src_workload = sw;
	ev.dest_workload = dw;
	ev.has_tuple = true;
	ev.tuple.family = strchr(sip, ':') ? AF_INET6 : AF_INET;
	ev.tuple.proto = proto;
	ev.tuple.has_proto = true;
	ev.tuple.has_ports = true;
	set_addr(&ev.tuple.src, sip);
	set_addr(&ev.tuple.dst, dip);
	ev.tuple.sport = 41234;
	ev.tuple.dport = dport;
	ev.has_flow = true;
	ev.flow_id = 1234567;
	ev.app_proto = "unknown";
	ev.pkt_no = 88;
	ev.source = "/data/pcaps/shop.pcap";
	ev.order[0] = 1;
	return ev;
}

/* frontend 10.99.7.10 -> api 10.99.7.20:8080/tcp */
static struct bh_event http(const struct bh_verdict *v, const char *method, const char *url)
{
	struct bh_event ev = mk(BH_EV_HTTP, v, &W_FRONT, "10.99.7.10", &W_API, "10.99.7.20", 8080,
				IPPROTO_TCP);

	ev.app_proto = "http";
	ev.http.method = gs(method);
	ev.http.url_normalized = gs(url);
	ev.http.url = ev.http.url_normalized;
	return ev;
}

/* api 10.99.7.20 -> dns 10.99.7.53:53/udp, a query */
static struct bh_event dns(const struct bh_verdict *v, const char *name)
{
	struct bh_event ev = mk(BH_EV_DNS, v, &W_API, "10.99.7.20", &W_DNS, "10.99.7.53", 53,
				IPPROTO_UDP);

	ev.app_proto = "dns";
	ev.dns.rrname = gs(name);
	return ev;
}

/* api -> db 10.99.7.30:5432/tcp */
static struct bh_event sql(const struct bh_verdict *v, const char *stmt)
{
	struct bh_event ev = mk(BH_EV_SQL, v, &W_API, "10.99.7.20", &W_DB, "10.99.7.30", 5432,
				IPPROTO_TCP);

	ev.app_proto = "pgsql";
	ev.sql.dialect = "pgsql";
	ev.sql.statement = gs(stmt);
	return ev;
}

/* api -> an outside address :443/tcp */
static struct bh_event tls(const struct bh_verdict *v, const char *sni)
{
	struct bh_event ev = mk(BH_EV_TLS, v, &W_API, "10.99.7.20", NULL, "192.0.2.80", 443,
				IPPROTO_TCP);

	ev.app_proto = "tls";
	ev.tls.sni = gs(sni);
	return ev;
}

static struct bh_event flow(const struct bh_verdict *v, const char *sip, const char *dip,
			    uint16_t dport, uint8_t proto)
{
	return mk(BH_EV_FLOW, v, NULL, sip, NULL, dip, dport, proto);
}

/* Loads @text, feeds @n events, returns the report (free it) and sets
 * *@ret_bad to what ctl_expect_report() returned. NULL: @text didn't load. */
static char *run(const char *text, const struct bh_event *evs, size_t n, unsigned *ret_bad)
{
	struct ctl_expect *x = NULL;
	struct errs e = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (load(text, &e, &x) != 0) {
		for (size_t i = 0; i < e.n; i++)
			fprintf(stderr, "unexpected: %s\n", e.m[i]);
		errs_free(&e);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		ctl_expect_event(x, &evs[i]);
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	*ret_bad = ctl_expect_report(x, f);
	fclose(f);
	ctl_expect_free(x);
	errs_free(&e);
	return out;
}

/* The report of @text over @evs ends with the summary @want. */
static bool summary_is(const char *text, const struct bh_event *evs, size_t n, const char *want,
		       int caller)
{
	unsigned bad = 0;
	char *out = run(text, evs, n, &bad);
	size_t ol, wl = strlen(want);
	bool ok;

	if (!out) {
		fprintf(stderr, "line %d: did not load\n", caller);
		return false;
	}
	ol = strlen(out);
	ok = ol >= wl && strcmp(out + ol - wl, want) == 0 && (ol == wl || out[ol - wl - 1] == '\n');
	if (!ok)
		fprintf(stderr, "line %d: for\n%s\nreport\n%swanted summary\n%s", caller, text, out,
			want);
	free(out);
	return ok;
}

#define SUMMARY(text, ev, want) CHECK(summary_is(text, &(ev), 1, want, __LINE__))
/* One line and one event: the line decided it as expected ... */
#define OK1(text, ev) SUMMARY(text, ev, "expect: 1 line, 1 decision checked, all match\n")
/* ... decided it and was wrong ... */
#define WRONG1(text, ev) SUMMARY(text, ev, "expect: 1 line, 1 decision checked, 1 mismatch\n")
/* ... didn't match it (the line is never seen). */
#define MISS1(text, ev) SUMMARY(text, ev, "expect: 1 line, 0 decisions checked, 1 mismatch\n")

/* ---- matching --------------------------------------------------------- */

static void test_kinds(void)
{
	struct bh_event f = flow(&V_ALLOW, "10.99.7.10", "10.99.7.20", 8080, IPPROTO_TCP);
	struct bh_event h = http(&V_ALLOW, "GET", "/v1/orders/7");
	struct bh_event d = dns(&V_NORULE, "x.evil.example");
	struct bh_event q = sql(&V_ALLOW, "SELECT * FROM orders WHERE id = 7");
	struct bh_event t = tls(&V_AUDIT, "api.example.com");
	struct bh_event all[] = {f, h, d, q, t};
	static const char file[] = "flow * -> *:8080/tcp allow\n"
				   "http frontend -> api GET /v1/* allow\n"
				   "dns api -> dns *.evil.example deny\n"
				   "sql api -> db \"SELECT * FROM orders*\" allow\n"
				   "tls api -> * *.example.com audit\n";

	f.src_workload = &W_FRONT;
	f.dest_workload = &W_API;
	OK1("flow frontend -> api allow", f);
	OK1("http frontend -> api GET /v1/* allow", h);
	OK1("dns api -> dns *.evil.example deny", d);
	OK1("sql api -> db \"SELECT * FROM orders*\" allow", q);
	OK1("tls api -> * *.example.com audit", t);
	CHECK(summary_is(file, all, 5, "expect: 5 lines, 5 decisions checked, all match\n",
			 __LINE__));
	/* A kind matches its own event type only. */
	MISS1("flow * -> * allow", h);
	MISS1("http * -> * * * allow", f);
	MISS1("dns * -> * * deny", q);
	MISS1("sql * -> * \"*\" allow", t);
	MISS1("tls * -> * * audit", d);
	/* Every action. */
	WRONG1("http frontend -> api GET /v1/* deny", h);
	WRONG1("tls api -> * *.example.com allow", t);
	h.verdict = &V_LEARN;
	OK1("http frontend -> api GET /v1/* learn", h);
	pool_free();
}

static void test_ends(void)
{
	struct bh_event e4 = flow(&V_ALLOW, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);
	struct bh_event e6 = flow(&V_ALLOW, "fd00::1", "fd00::2", 53, IPPROTO_UDP);
	struct bh_event ping = flow(&V_ALLOW, "10.0.0.1", "10.0.0.2", 0, IPPROTO_ICMP);
	struct bh_event ping6 = flow(&V_ALLOW, "fd00::1", "fd00::2", 0, IPPROTO_ICMPV6);
	struct bh_event h = http(&V_ALLOW, "GET", "/");

	/* Addresses: IPv4 against IPv4-mapped, IPv6, bracketed IPv6. */
	OK1("flow 10.0.0.1 -> 10.0.0.2 allow", e4);
	OK1("flow 10.0.0.1 -> 10.0.0.2:80 allow", e4);
	OK1("flow 10.0.0.1 -> 10.0.0.2:80/tcp allow", e4);
	OK1("flow * -> 10.0.0.2:*/tcp allow", e4);
	MISS1("flow 10.0.0.3 -> 10.0.0.2 allow", e4);
	MISS1("flow 10.0.0.1 -> 10.0.0.3 allow", e4);
	MISS1("flow 10.0.0.2 -> 10.0.0.1 allow", e4);
	MISS1("flow 10.0.0.1 -> 10.0.0.2:81 allow", e4);
	MISS1("flow 10.0.0.1 -> 10.0.0.2:80/udp allow", e4);
	MISS1("flow ::ffff:10.0.0.3 -> * allow", e4);
	OK1("flow ::ffff:10.0.0.1 -> * allow", e4); /* the same address */
	OK1("flow fd00::1 -> fd00::2 allow", e6);
	OK1("flow [fd00::1] -> [fd00::2] allow", e6);
	OK1("flow fd00::1 -> [fd00::2]:53 allow", e6);
	OK1("flow fd00::1 -> [fd00:0::2]:53/udp allow", e6);
	OK1("flow FD00::1 -> [fd00::2]:*/udp allow", e6);
	MISS1("flow fd00::1 -> [fd00::2]:54 allow", e6);
	MISS1("flow fd00::1 -> [fd00::2]:53/tcp allow", e6);
	MISS1("flow fd00::2 -> fd00::2 allow", e6);
	MISS1("flow 10.0.0.1 -> * allow", e6);
	/* icmp is both ICMP and ICMPv6. */
	OK1("flow * -> *:*/icmp allow", ping);
	OK1("flow * -> [fd00::2]:*/icmp allow", ping6);
	MISS1("flow * -> *:*/icmp allow", e4);
	MISS1("flow * -> *:*/tcp allow", ping);
	/* Names. */
	OK1("http frontend -> api * * allow", h);
	OK1("http * -> api * * allow", h);
	OK1("http frontend -> * * * allow", h);
	OK1("http frontend -> api:8080/tcp * * allow", h);
	OK1("http 10.99.7.10 -> api * * allow", h); /* an address, when a name is known */
	MISS1("http api -> frontend * * allow", h);
	MISS1("http frontend -> Api * * allow", h);
	MISS1("http frontend -> db * * allow", h);
	e4.src_workload = &W_FRONT;
	MISS1("flow frontend -> api allow", e4); /* no dest workload */
	OK1("flow frontend -> * allow", e4);
	/* No tuple: only names and `*` can match, and no port. */
	e4.has_tuple = false;
	OK1("flow frontend -> * allow", e4);
	MISS1("flow 10.0.0.1 -> * allow", e4);
	MISS1("flow * -> *:80 allow", e4);
	MISS1("flow * -> *:*/tcp allow", e4);
	OK1("flow * -> *:* allow", e4);
	/* No ports decoded, no protocol known. */
	e6.tuple.has_ports = false;
	MISS1("flow * -> *:53 allow", e6);
	OK1("flow * -> *:*/udp allow", e6);
	e6.tuple.has_proto = false;
	MISS1("flow * -> *:*/udp allow", e6);
	pool_free();
}

static void test_globs(void)
{
	struct bh_event h = http(&V_ALLOW, "GET", "/api/v1/x/items");
	struct bh_event d = dns(&V_ALLOW, "www.example.com");
	struct bh_event q = sql(&V_ALLOW, "SELECT  id FROM \"t\"");
	struct bh_event t = tls(&V_ALLOW, "a.Example.com");

	/* No FNM_PATHNAME: `*` spans slashes; `?`, brackets and classes. */
	OK1("http * -> * GET /api/*/items allow", h);
	OK1("http * -> * GET /api* allow", h);
	OK1("http * -> * G?T /api/v[0-9]/*/items allow", h);
	OK1("http * -> * [[:upper:]]* /api/v[!a-z]/* allow", h);
	OK1("http * -> * * * allow", h);
	MISS1("http * -> * GET /api allow", h);
	MISS1("http * -> * get /api/* allow", h);  /* the method is case-sensitive */
	MISS1("http * -> * GET /API/* allow", h);  /* so is the target */
	MISS1("http * -> * POST * allow", h);
	/* Quoting and escapes. */
	h.http.url_normalized = gs("/a b#c");
	OK1("http * -> * GET \"/a b#c\" allow # comment", h);
	OK1("http * -> * GET \"/a\\ b\\#c\" allow", h); /* glob escapes inside quotes */
	h.http.url_normalized = gs("/lit*");
	OK1("http * -> * GET /lit\\* allow", h);
	OK1("http * -> * GET \"/lit\\*\" allow", h);
	h.http.url_normalized = gs("/litx");
	MISS1("http * -> * GET /lit\\* allow", h);
	h.http.url_normalized = gs("/back\\slash");
	OK1("http * -> * GET /back\\\\slash allow", h);
	OK1("http * -> * GET \"/back\\\\\\\\slash\" allow", h);
	h.http.url_normalized = gs("/say \"hi\"");
	OK1("http * -> * GET \"/say \\\"hi\\\"\" allow", h);
	/* A NUL byte in a field: only a wildcard matches it. */
	h.http.url_normalized = gsn("/a\0b", 4);
	OK1("http * -> * GET /a?b allow", h);
	OK1("http * -> * GET /a* allow", h);
	MISS1("http * -> * GET /a allow", h);
	MISS1("http * -> * GET /ab allow", h);
	/* An empty target. */
	h.http.url_normalized = gs("");
	OK1("http * -> * GET \"\" allow", h);
	MISS1("http * -> * GET ?* allow", h);
	/* DNS names: case-insensitive. */
	OK1("dns * -> * *.example.com allow", d);
	OK1("dns * -> * *.EXAMPLE.com allow", d);
	OK1("dns * -> * WWW.Example.COM allow", d);
	OK1("dns * -> * \"*\" allow", d);
	MISS1("dns * -> * example.com allow", d);
	MISS1("dns * -> * *.example.org allow", d);
	/* SQL: quoted, case-insensitive, whitespace as it is. */
	OK1("sql * -> * \"select  id from \\\"t\\\"\" allow", q);
	OK1("sql * -> * \"SELECT  *\" allow", q);
	MISS1("sql * -> * \"SELECT id*\" allow", q);
	MISS1("sql * -> * \"SELECT\" allow", q);
	/* TLS SNI: case as it is. */
	OK1("tls * -> * *.Example.com allow", t);
	OK1("tls * -> * a.Example.* allow", t);
	MISS1("tls * -> * *.example.com allow", t);
	t.tls.sni = gs("");
	OK1("tls * -> * \"\" allow", t);
	MISS1("tls * -> * ?* allow", t);
	pool_free();
}

static void test_first_match(void)
{
	struct bh_event evs[] = {
		http(&V_L7, "GET", "/admin"),
		http(&V_ALLOW, "GET", "/x"),
	};
	static const char file[] = "http frontend -> api GET /admin deny\n"
				   "http frontend -> api * * allow\n";

	CHECK(summary_is(file, evs, 2, "expect: 2 lines, 2 decisions checked, all match\n",
			 __LINE__));
	/* Line 2 would accept /admin allowed, but line 1 decides. */
	evs[0].verdict = &V_ALLOW;
	CHECK(summary_is(file, evs, 2, "expect: 2 lines, 2 decisions checked, 1 mismatch\n",
			 __LINE__));
	/* Line 2 never decides anything when line 1 takes every event. */
	CHECK(summary_is("http * -> * * * allow\nhttp frontend -> api GET /x allow\n", evs, 2,
			 "expect: 2 lines, 2 decisions checked, 1 mismatch\n", __LINE__));
	pool_free();
}

static void test_reasons(void)
{
	struct bh_event e = flow(&V_NORULE, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);

	OK1("flow * -> * deny", e);
	OK1("flow * -> * deny no-rule", e);
	WRONG1("flow * -> * deny l7-no-match", e);
	WRONG1("flow * -> * deny No-rule", e);
	WRONG1("flow * -> * allow no-rule", e);
	WRONG1("flow * -> * deny signature", e);
	WRONG1("flow * -> * deny signature:2100498", e);
	e.verdict = &V_SIG;
	OK1("flow * -> * deny", e);
	OK1("flow * -> * deny signature", e);
	OK1("flow * -> * deny signature:2100498", e);
	WRONG1("flow * -> * deny signature:2100499", e);
	WRONG1("flow * -> * deny no-rule", e);
	WRONG1("flow * -> * audit signature:2100498", e);
	e.verdict = &V_SIG2;
	OK1("flow * -> * deny signature:2100499", e);
	e.verdict = &V_ALLOW;
	OK1("flow * -> * allow from-frontend", e);
	OK1("flow * -> * allow \"from-frontend\"", e);
	WRONG1("flow * -> * allow from-frontend2", e);
	e.verdict = &V_NOREASON;
	OK1("flow * -> * allow", e);
	WRONG1("flow * -> * allow from-frontend", e);
	e.verdict = &V_AUDIT;
	OK1("flow * -> * audit no-rule", e);
	pool_free();
}

static void test_default(void)
{
	struct bh_event evs[] = {
		http(&V_ALLOW, "GET", "/ok"),
		http(&V_L7, "GET", "/other"),
		dns(&V_NORULE, "x.example"),
		flow(&V_NORULE, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP),
	};
	static const char file[] = "default deny\n"
				   "http frontend -> api GET /ok allow\n";

	CHECK(summary_is(file, evs, 4, "expect: 2 lines, 4 decisions checked, all match\n",
			 __LINE__));
	/* Without it, what no line matches is ignored. */
	CHECK(summary_is(file + strlen("default deny\n"), evs, 4,
			 "expect: 1 line, 1 decision checked, all match\n", __LINE__));
	evs[2].verdict = &V_ALLOW;
	evs[3].verdict = &V_AUDIT;
	CHECK(summary_is(file, evs, 4, "expect: 2 lines, 4 decisions checked, 2 mismatches\n",
			 __LINE__));
	/* The default is no line to be seen, and it may come anywhere. */
	CHECK(summary_is("default deny\n", NULL, 0, "expect: 1 line, 0 decisions checked, all match\n",
			 __LINE__));
	CHECK(summary_is("http frontend -> api GET /ok allow\ndefault allow\n", evs, 4,
			 "expect: 2 lines, 4 decisions checked, 2 mismatches\n", __LINE__));
	pool_free();
}

static void test_ignored(void)
{
	struct bh_event e = flow(NULL, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);
	struct bh_event r = dns(&V_ALLOW, "x.example");
	struct bh_event a = flow(&V_ALLOW, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);
	struct bh_event an = a;

	/* No verdict: no decision. */
	MISS1("flow * -> * allow", e);
	SUMMARY("default deny", e, "expect: 1 line, 0 decisions checked, all match\n");
	/* DNS responses. */
	r.dns.response = true;
	MISS1("dns * -> * * allow", r);
	SUMMARY("default deny", r, "expect: 1 line, 0 decisions checked, all match\n");
	r.dns.response = false;
	OK1("dns * -> * * allow", r);
	/* Alerts and anomalies have no kind; the default doesn't take them. */
	a.type = BH_EV_ALERT;
	an.type = BH_EV_ANOMALY;
	SUMMARY("default deny", a, "expect: 1 line, 0 decisions checked, all match\n");
	SUMMARY("default deny", an, "expect: 1 line, 0 decisions checked, all match\n");
	pool_free();
}

static void test_syntax_ok(void)
{
	struct bh_event d = dns(&V_ALLOW, "x y");
	struct bh_event f = flow(&V_ALLOW, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);

	/* Tabs, comments, blank lines, CRLF, a last line without newline. */
	SUMMARY("# comment\n\n   \t\n\tdns\tapi  ->\tdns \"x y\"   allow\t# c\r\n  # more\r\n", d,
		"expect: 1 line, 1 decision checked, all match\n");
	SUMMARY("dns api -> dns \"x y\" allow#c", d,
		"expect: 1 line, 1 decision checked, all match\n");
	/* A quoted end and `->`. */
	OK1("flow \"10.0.0.1\" \"->\" \"*\" allow", f);
	/* An empty file. */
	SUMMARY("", f, "expect: 0 lines, 0 decisions checked, all match\n");
	SUMMARY("\n\n# only comments\n", f, "expect: 0 lines, 0 decisions checked, all match\n");
	pool_free();
}

/* ---- the report ------------------------------------------------------- */

static bool report_is(const char *text, const struct bh_event *evs, size_t n, const char *want,
		      unsigned want_bad, int caller)
{
	unsigned bad = 0;
	char *out = run(text, evs, n, &bad);
	bool ok = out && strcmp(out, want) == 0 && bad == want_bad;

	if (!ok)
		fprintf(stderr, "line %d: report (%u)\n%s\nwanted (%u)\n%s\n", caller, bad,
			out ? out : "(did not load)", want_bad, want);
	free(out);
	return ok;
}

static void test_report(void)
{
	static const char file[] = "# shop\n"
				   "default deny\n"
				   "http frontend -> api   GET  /admin\tdeny l7-no-match # no\n"
				   "dns api -> dns *.evil.example deny\n"
				   "flow frontend -> api:8080/tcp allow\n"
				   "sql api -> db \"DROP *\" deny signature:2100498\n";
	static const char want[] =
		"t.expect:2: default\n"
		"  - expected: deny\n"
		"  + got:      allow from-frontend (policy api-ingress, rule from-frontend, protect, ingress)\n"
		"              flow 99 [fd00::1]:5555 -> [fd00::2]:80 TCP, pcap packet 5\n"
		"              http api -> [fd00::2]:80/tcp GET \"/a b\\\\*?\"\n"
		"  + got:      audit no-rule (monitor)\n"
		"              10.0.0.1 -> 10.0.0.2 ICMP\n"
		"              flow 10.0.0.1 -> 10.0.0.2:*/icmp\n"
		"t.expect:3: http frontend -> api GET /admin\n"
		"  - expected: deny l7-no-match\n"
		"  + got:      allow from-frontend (policy api-ingress, rule from-frontend, protect, ingress)\n"
		"              flow 1234567 10.99.7.10:41234 -> 10.99.7.20:8080 TCP, shop.pcap packet 88\n"
		"              http frontend -> api:8080/tcp GET /admin\n"
		"t.expect:4: dns api -> dns *.evil.example\n"
		"  - expected: deny\n"
		"  + got:      never seen\n"
		"t.expect:6: sql api -> db \"DROP *\"\n"
		"  - expected: deny signature:2100498\n"
		"  + got:      deny signature:2100499 (protect)\n"
		"              flow 1234567 10.99.7.20:41234 -> 10.99.7.30:5432 TCP, shop.pcap packet 88\n"
		"              sql api -> db:5432/tcp \"drop \\\\* \\\"x\\\" ?\"\n"
		"expect: 5 lines, 6 decisions checked, 5 mismatches\n";
	struct bh_event evs[6];

	evs[0] = http(&V_ALLOW, "GET", "/admin");
	evs[0].order[0] = 10;
	evs[1] = flow(&V_ALLOW, "10.99.7.10", "10.99.7.20", 8080, IPPROTO_TCP);
	evs[1].src_workload = &W_FRONT;
	evs[1].dest_workload = &W_API;
	/* Unmatched, to the default: IPv6, no workload at the far end, a
	 * target that needs quotes and escapes, no pcap name. */
	evs[2] = mk(BH_EV_HTTP, &V_ALLOW, &W_API, "fd00::1", NULL, "fd00::2", 80, IPPROTO_TCP);
	evs[2].http.method = gs("GET");
	evs[2].http.url_normalized = gs("/a b*\x1b");
	evs[2].flow_id = 99;
	evs[2].tuple.sport = 5555;
	evs[2].pkt_no = 5;
	evs[2].source = NULL;
	evs[2].order[0] = 5;
	/* Unmatched: ICMP, no flow, no packet number; comes after evs[2]. */
	evs[3] = flow(&V_AUDIT, "10.0.0.1", "10.0.0.2", 0, IPPROTO_ICMP);
	evs[3].has_flow = false;
	evs[3].pkt_no = 0;
	evs[3].order[0] = 6;
	/* sql: a signature, the statement quoted in the as-line. */
	evs[4] = sql(&V_SIG2, "drop * \"x\" \n");
	evs[5] = sql(&V_SIG, "DROP TABLE t");
	CHECK(report_is(file, evs, 6, want, 5, __LINE__));
	/* Everything as expected. */
	evs[0].verdict = &V_L7;
	evs[2].verdict = &V_NORULE;
	evs[3].verdict = &V_NORULE;
	evs[4].verdict = &V_SIG;
	evs[5] = dns(&V_NORULE, "c2.evil.example");
	CHECK(report_is(file, evs, 6, "expect: 5 lines, 6 decisions checked, all match\n", 0,
			__LINE__));
	pool_free();
}

/* Only the KEEP first failures in replay order are shown, whatever order
 * they come in; singular words. */
static void test_report_more(void)
{
	static const uint64_t order[] = {7, 3, 9, 1, 5, 2, 8, 4};
	struct bh_event evs[8];
	unsigned bad = 0;
	char *out;

	for (size_t i = 0; i < 8; i++) {
		evs[i] = flow(&V_ALLOW, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);
		evs[i].order[0] = order[i];
		evs[i].flow_id = order[i];
		evs[i].source = NULL;
	}
	out = run("flow * -> * deny\n", evs, 8, &bad);
	CHECK(out != NULL);
	if (!out)
		return;
	CHECK_EQ(bad, 8);
	for (unsigned k = 1; k <= 5; k++) {
		char s[64];
		const char *prev = NULL;

		snprintf(s, sizeof(s), "flow %u 10.0.0.1", k);
		CHECK(strstr(out, s) != NULL);
		if (k > 1) {
			snprintf(s, sizeof(s), "flow %u 10.0.0.1", k - 1);
			prev = strstr(out, s);
			snprintf(s, sizeof(s), "flow %u 10.0.0.1", k);
			CHECK(prev && prev < strstr(out, s));
		}
	}
	CHECK(strstr(out, "flow 7 ") == NULL);
	CHECK(strstr(out, "flow 8 ") == NULL);
	CHECK(strstr(out, "flow 9 ") == NULL);
	CHECK(strstr(out, "  and 3 more\n") != NULL);
	CHECK(strstr(out, "\nexpect: 1 line, 8 decisions checked, 8 mismatches\n") != NULL);
	free(out);
	CHECK(report_is("flow * -> * deny\nflow * -> * allow\n", evs, 1,
			"t.expect:1: flow * -> *\n"
			"  - expected: deny\n"
			"  + got:      allow from-frontend (policy api-ingress, rule from-frontend, protect, ingress)\n"
			"              flow 7 10.0.0.1:41234 -> 10.0.0.2:80 TCP, pcap packet 88\n"
			"              flow 10.0.0.1 -> 10.0.0.2:80/tcp\n"
			"t.expect:2: flow * -> *\n"
			"  - expected: allow\n"
			"  + got:      never seen\n"
			"expect: 2 lines, 1 decision checked, 2 mismatches\n",
			2, __LINE__));
	pool_free();
}

/* ---- threads ---------------------------------------------------------- */

#define NEV 400

static const char thread_file[] = "default deny\n"
				  "http frontend -> api GET /p/1* allow\n"
				  "http frontend -> api * * deny l7-no-match\n"
				  "dns api -> dns *.svc allow\n"
				  "flow * -> *:8080/tcp allow\n"
				  "tls * -> * never.example allow\n";

static void thread_events(struct bh_event *evs)
{
	char s[64];

	for (unsigned i = 0; i < NEV; i++) {
		const struct bh_verdict *v = i % 5 ? &V_ALLOW : &V_L7;

		snprintf(s, sizeof(s), "/p/%u", i);
		switch (i % 4) {
		case 0:
			evs[i] = flow(v, "10.99.7.10", "10.99.7.20", 8080, IPPROTO_TCP);
			break;
		case 1:
			evs[i] = http(v, "GET", s);
			break;
		case 2:
			snprintf(s, sizeof(s), "q%u.%s", i, i % 3 ? "svc" : "evil");
			evs[i] = dns(&V_ALLOW, s);
			break;
		default:
			evs[i] = sql(i % 2 ? &V_NORULE : &V_ALLOW, "SELECT 1");
			break;
		}
		evs[i].flow_id = i / 3;
		evs[i].order[0] = i / 3 + 1;
		evs[i].order[1] = i % 3;
		evs[i].pkt_no = i + 1;
	}
}

struct feeder {
	struct ctl_expect *x;
	const struct bh_event *const *evs;
	size_t n;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;

	for (size_t i = 0; i < f->n; i++)
		ctl_expect_event(f->x, f->evs[i]);
	return NULL;
}

static char *report_of(struct ctl_expect *x)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	ctl_expect_report(x, f);
	fclose(f);
	return out;
}

static void test_threads(void)
{
	static struct bh_event evs[NEV];
	static const struct bh_event *shuf[NEV], *half[2][NEV];
	struct errs e = {0};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char *ref;
	unsigned bad = 0;

	thread_events(evs);
	ref = run(thread_file, evs, NEV, &bad);
	CHECK(ref != NULL);
	if (!ref)
		return;
	CHECK(bad > 0);
	CHECK(strstr(ref, " more\n") != NULL);
	CHECK(strstr(ref, "t.expect:6: tls * -> * never.example\n") != NULL);
	for (unsigned round = 0; round < 4; round++) {
		struct ctl_expect *x = NULL;
		struct feeder fd[2];
		pthread_t th[2];
		size_t n[2] = {0, 0};
		char *out;

		for (unsigned i = 0; i < NEV; i++)
			shuf[i] = &evs[i];
		for (unsigned i = NEV - 1; i > 0; i--) {
			unsigned j = bh_xorshift(&seed) % (i + 1);
			const struct bh_event *t = shuf[i];

			shuf[i] = shuf[j];
			shuf[j] = t;
		}
		for (unsigned i = 0; i < NEV; i++) {
			unsigned w = bh_xorshift(&seed) & 1;

			half[w][n[w]++] = shuf[i];
		}
		CHECK_EQ(load(thread_file, &e, &x), 0);
		if (!x)
			break;
		for (unsigned w = 0; w < 2; w++) {
			fd[w] = (struct feeder){x, half[w], n[w]};
			CHECK_EQ(pthread_create(&th[w], NULL, feed, &fd[w]), 0);
		}
		for (unsigned w = 0; w < 2; w++)
			pthread_join(th[w], NULL);
		out = report_of(x);
		CHECK(strcmp(out, ref) == 0);
		if (strcmp(out, ref) != 0)
			fprintf(stderr, "round %u:\n%s\nreference:\n%s\n", round, out, ref);
		free(out);
		ctl_expect_free(x);
	}
	errs_free(&e);
	free(ref);
	pool_free();
}

/* ---- syntax errors ---------------------------------------------------- */

static const struct bad_case {
	const char *text, *msg;
} bad_cases[] = {
	{"flwo a -> b allow", "1:1: unknown kind `flwo`; expected flow, http, dns, sql, tls or default"},
	{"Flow a -> b allow", "1:1: unknown kind `Flow`; expected flow, http, dns, sql, tls or default"},
	{"flow", "1:5: missing source"},
	{"flow # a -> b allow", "1:5: missing source"},
	{"flow a", "1:7: missing `->` after the source"},
	{"flow a b allow", "1:8: expected `->` after the source, got `b`"},
	{"flow a => b allow", "1:8: expected `->` after the source, got `=>`"},
	{"flow a ->", "1:10: missing destination"},
	{"flow a->b allow", "1:6: blanks needed around `->`"},
	{"flow 10.0.0.300 -> b allow", "1:6: bad address `10.0.0.300`"},
	{"flow 10.0.0 -> b allow", "1:6: bad address `10.0.0`"},
	{"flow fd00:::1 -> b allow", "1:6: bad address `fd00:::1`"},
	{"flow a -> [fd00::1 allow", "1:11: bad address `[fd00::1`"},
	{"flow a -> [] allow", "1:11: bad address `[]`"},
	{"flow a -> [10.0.0.1]:80 allow", "1:12: bad address `10.0.0.1`"},
	{"flow a -> [fd00::1]x allow", "1:20: expected `:PORT` after `]`"},
	{"flow a -> 1.2.3.4:80:90 allow", "1:11: bad address `1.2.3.4:80:90`"},
	{"flow a:80 -> b allow", "1:7: the source takes no port"},
	{"flow [fd00::1]:80 -> b allow", "1:15: the source takes no port"},
	{"flow a -> b/tcp allow", "1:11: bad workload name `b/tcp`"},
	{"flow a -> b@c allow", "1:11: bad workload name `b@c`"},
	{"flow \"\" -> b allow", "1:6: bad workload name ``"},
	{"flow a -> b:99999 allow", "1:13: bad port `99999`; expected 0..65535 or *"},
	{"flow a -> b:65536 allow", "1:13: bad port `65536`; expected 0..65535 or *"},
	{"flow a -> b:-1 allow", "1:13: bad port `-1`; expected 0..65535 or *"},
	{"flow a -> b:/tcp allow", "1:13: bad port ``; expected 0..65535 or *"},
	{"flow a -> b: allow", "1:13: bad port ``; expected 0..65535 or *"},
	{"flow a -> [fd00::1]:8o allow", "1:21: bad port `8o`; expected 0..65535 or *"},
	{"flow a -> b:80/sctp allow", "1:16: unknown protocol `sctp`; expected tcp, udp or icmp"},
	{"flow a -> b:80/TCP allow", "1:16: unknown protocol `TCP`; expected tcp, udp or icmp"},
	{"flow a -> b:80/ allow", "1:16: unknown protocol ``; expected tcp, udp or icmp"},
	{"dns a -> b \"x.example allow", "1:12: unterminated quote"},
	{"dns a -> b \"x\\\" allow", "1:12: unterminated quote"},
	{"dns a -> b x\"y allow", "1:13: quote inside a word; quote the whole word"},
	{"dns a -> b \"x\"y allow", "1:15: expected a blank after the closing quote"},
	{"flow a -> b", "1:12: missing verdict"},
	{"flow a -> b   # allow", "1:12: missing verdict"},
	{"dns a -> b x#y allow", "1:13: missing verdict"},
	{"flow a -> b alow", "1:13: unknown verdict `alow`; expected allow, deny, audit or learn"},
	{"flow a -> b Allow", "1:13: unknown verdict `Allow`; expected allow, deny, audit or learn"},
	{"flow a -> b tcp allow", "1:13: unexpected `tcp`: flow takes nothing before the verdict"},
	{"dns a -> b x y allow", "1:14: unexpected `y`: dns takes one NAME glob before the verdict"},
	{"http a -> b GET allow", "1:17: http needs METHOD and TARGET globs before the verdict"},
	{"http a -> b deny", "1:13: http needs METHOD and TARGET globs before the verdict"},
	{"dns a -> b allow", "1:12: dns needs one NAME glob before the verdict"},
	{"tls a -> b", "1:11: missing verdict"},
	{"flow a -> b allow r extra", "1:21: unexpected `extra` after the reason"},
	{"flow a -> b deny \"\"", "1:18: empty reason"},
	{"sql a -> b SELECT allow", "1:12: sql takes the statement as one double-quoted glob"},
	{"sql a -> b allow", "1:12: sql needs one double-quoted statement glob before the verdict"},
	{"dns a -> b x[ab allow", "1:12: glob `x[ab` has an unclosed `[` or an unknown [:class:]"},
	{"dns a -> b [[:foo:]] allow", "1:12: glob `[[:foo:]]` has an unclosed `[` or an unknown [:class:]"},
	{"http a -> b GET [\\ allow", "1:17: glob `[\\` has an unclosed `[` or an unknown [:class:]"},
	{"dns a -> b x\\ allow", "1:12: glob `x\\` ends in a backslash"},
	{"sql a -> b \"x\\\\\" allow", "1:12: glob `x\\` ends in a backslash"},
	{"flow a -> b deny signature:x", "1:28: bad signature id `x`; expected 1..4294967295"},
	{"flow a -> b deny signature:", "1:28: bad signature id ``; expected 1..4294967295"},
	{"flow a -> b deny signature:0", "1:28: bad signature id `0`; expected 1..4294967295"},
	{"flow a -> b deny signature:4294967296",
	 "1:28: bad signature id `4294967296`; expected 1..4294967295"},
	{"default", "1:8: missing verdict"},
	{"default alow", "1:9: unknown verdict `alow`; expected allow, deny, audit or learn"},
	{"default allow no-rule", "1:15: unexpected `no-rule` after the default verdict"},
	{"default deny\n# x\ndefault allow", "3:1: `default` given twice (first on line 1)"},
	{"flow a -> b allow\x01", "1:18: control character 0x01"},
	{"flow a -> b allow # \x1b[31m", "1:21: control character 0x1b"},
	{"flow a -> b \ra", "1:13: control character 0x0d"},
	{"flow a -> b allow\n\nflow a -> b\x7f allow", "3:12: control character 0x7f"},
};

static bool one_error(const char *text, const char *want)
{
	struct ctl_expect *x = (struct ctl_expect *)(uintptr_t)0x1;
	struct errs e = {0};
	char full[256];
	int r = load(text, &e, &x);
	bool ok;

	snprintf(full, sizeof(full), "t.expect:%s", want);
	ok = r == -EINVAL && e.n == 1 && strcmp(e.m[0], full) == 0 &&
	     x == (struct ctl_expect *)(uintptr_t)0x1;
	if (!ok) {
		fprintf(stderr, "for `%s`: r=%d, %zu errors, wanted `%s`\n", text, r, e.n, full);
		for (size_t i = 0; i < e.n; i++)
			fprintf(stderr, "  got `%s`\n", e.m[i]);
	}
	errs_free(&e);
	return ok;
}

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *nl = NULL, *crlf = NULL;

		CHECK(one_error(c->text, c->msg));
		/* The same with LF and CRLF endings, the end at the guard page
		 * right after the newline. */
		if (asprintf(&nl, "%s\n", c->text) < 0 || asprintf(&crlf, "%s\r\n", c->text) < 0)
			abort();
		CHECK(one_error(nl, c->msg));
		CHECK(one_error(crlf, c->msg));
		free(nl);
		free(crlf);
	}
	/* A valid line before and after changes nothing. */
	CHECK(one_error("flow a -> b allow\nflow a -> b:99999 allow\nflow b -> a deny\n",
			"2:13: bad port `99999`; expected 0..65535 or *"));
}

/* Every error of a file at once, one per line, in order. */
static void test_errors_all(void)
{
	static const char file[] = "default deny\n"
				   "flow a b allow\n"
				   "http a -> b GET /x allow\n"
				   "flwo\n"
				   "# fine\n"
				   "dns a -> b \"x allow\n"
				   "default allow\n"
				   "sql a -> b x allow\n";
	static const char *const want[] = {
		"t.expect:2:8: expected `->` after the source, got `b`",
		"t.expect:4:1: unknown kind `flwo`; expected flow, http, dns, sql, tls or default",
		"t.expect:6:12: unterminated quote",
		"t.expect:7:1: `default` given twice (first on line 1)",
		"t.expect:8:12: sql takes the statement as one double-quoted glob",
	};
	struct ctl_expect *x = NULL;
	struct errs e = {0};

	CHECK_EQ(load(file, &e, &x), -EINVAL);
	CHECK(x == NULL);
	CHECK_EQ(e.n, 5);
	for (size_t i = 0; i < e.n && i < 5; i++) {
		CHECK(strcmp(e.m[i], want[i]) == 0);
		if (strcmp(e.m[i], want[i]) != 0)
			fprintf(stderr, "got `%s`, wanted `%s`\n", e.m[i], want[i]);
	}
	errs_free(&e);
	/* No callback: still -EINVAL. */
	CHECK_EQ(ctl_expect_load_mem("t", file, sizeof(file) - 1, NULL, NULL, &x), -EINVAL);
	/* A NUL byte is a control character too (load_mem takes a length). */
	CHECK_EQ(ctl_expect_load_mem("t", "flow a -> b allow\0", 18, on_err, &e, &x), -EINVAL);
	CHECK(e.n == 1 && strcmp(e.m[0], "t:1:18: control character 0x00") == 0);
	errs_free(&e);
}

/* ---- files ------------------------------------------------------------ */

static void test_load_file(void)
{
	char path[] = "/tmp/test_expect.XXXXXX";
	struct ctl_expect *x = NULL;
	struct errs e = {0};
	int fd = mkstemp(path);
	static const char text[] = "flow * -> * allow\nflow a -> b:x allow\n";

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, text, 18), 18); /* the first line only */
	close(fd);
	CHECK_EQ(ctl_expect_load(path, on_err, &e, &x), 0);
	CHECK_EQ(e.n, 0);
	ctl_expect_free(x);
	x = NULL;
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, text + 18, sizeof(text) - 19) == (ssize_t)sizeof(text) - 19);
	if (fd >= 0)
		close(fd);
	CHECK_EQ(ctl_expect_load(path, on_err, &e, &x), -EINVAL);
	CHECK(x == NULL);
	CHECK_EQ(e.n, 1);
	if (e.n == 1) {
		char want[128];

		snprintf(want, sizeof(want), "%s:2:13: bad port `x`; expected 0..65535 or *", path);
		CHECK(strcmp(e.m[0], want) == 0);
	}
	errs_free(&e);
	unlink(path);
	CHECK_EQ(ctl_expect_load(path, on_err, &e, &x), -ENOENT);
	CHECK_EQ(e.n, 1);
	if (e.n == 1) {
		char want[128];

		snprintf(want, sizeof(want), "%s: No such file or directory", path);
		CHECK(strcmp(e.m[0], want) == 0);
	}
	CHECK(x == NULL);
	errs_free(&e);
	ctl_expect_free(NULL);
}

int main(void)
{
	RUN(test_kinds);
	RUN(test_ends);
	RUN(test_globs);
	RUN(test_first_match);
	RUN(test_reasons);
	RUN(test_default);
	RUN(test_ignored);
	RUN(test_syntax_ok);
	RUN(test_report);
	RUN(test_report_more);
	RUN(test_threads);
	RUN(test_errors);
	RUN(test_errors_all);
	RUN(test_load_file);
	return bh_test_summary();
}
