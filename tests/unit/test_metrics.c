/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_metrics.c - the Prometheus endpoint through a plain-socket HTTP/1.1
 * client: GET/HEAD /metrics (status, Content-Type, the body byte for byte as
 * the fill function wrote it), / , 404, 405 with Allow, pipelined requests
 * on one connection, a 500 when the fill runs out of memory, concurrent
 * scrapes, the scrape count, IPv4, IPv6 and "any"; the addresses refused
 * with their messages and -EADDRINUSE; a stop that doesn't wait for idle
 * connections and leaves no descriptor behind. And the exposition helpers:
 * escaping, U+FFFD for bad UTF-8, float formatting, each line checked by a
 * small validator of the text format (itself tested on bad lines).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <poll.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "bh_test.h"
#include "ctl_metrics.h"

/* ---- a validator of the text format 0.0.4 ---- */

static bool name_ok(const char *s, size_t n, bool metric)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (metric && c == ':');

		if (!alpha && !(i && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/* A sample value as Go's ParseFloat takes it, without hex forms. */
static bool value_ok(const char *s, size_t n)
{
	char tmp[64], *end;
	size_t i;

	if ((n == 3 && !memcmp(s, "NaN", 3)) || (n == 4 && !memcmp(s, "+Inf", 4)) ||
	    (n == 4 && !memcmp(s, "-Inf", 4)))
		return true;
	if (!n || n >= sizeof(tmp))
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", s[i]))
			return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	strtod(tmp, &end);
	return end == tmp + n;
}

static bool utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4, cp = s[i] & 0x07;
		else
			return false;
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* One line (without its newline): a comment, a HELP or TYPE line, or
 * name{k="v",...} value [timestamp]. */
static bool line_ok(const char *l, size_t n)
{
	const char *p = l, *end = l + n, *q;

	if (!n)
		return false; /* allowed by the format, but we never write one */
	if (*p == '#') {
		bool help = n > 7 && !memcmp(l, "# HELP ", 7), type = n > 7 && !memcmp(l, "# TYPE ", 7);

		if (!help && !type)
			return true; /* a plain comment */
		p += 7;
		for (q = p; q < end && *q != ' '; q++)
			;
		if (!name_ok(p, (size_t)(q - p), true))
			return false;
		if (type) {
			static const char *const types[] = { "counter", "gauge", "histogram",
							     "summary", "untyped" };
			size_t i, tl = q < end ? (size_t)(end - q - 1) : 0;

			for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
				if (tl == strlen(types[i]) && !memcmp(q + 1, types[i], tl))
					return true;
			return false;
		}
		for (p = q; p < end; p++) /* help text: only \\ and \n escapes */
			if (*p == '\\' && (p + 1 == end || (p[1] != '\\' && p[1] != 'n')))
				return false;
			else if (*p == '\\')
				p++;
		return true;
	}
	for (q = p; q < end && *q != '{' && *q != ' '; q++)
		;
	if (!name_ok(p, (size_t)(q - p), true))
		return false;
	p = q;
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			for (q = p; q < end && *q != '='; q++)
				;
			if (!name_ok(p, (size_t)(q - p), false) || q + 1 >= end || q[1] != '"')
				return false;
			for (p = q + 2; p < end && *p != '"'; p++) {
				if (*p != '\\')
					continue;
				if (p + 1 == end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
					return false;
				p++;
			}
			if (p == end)
				return false;
			p++; /* the closing quote */
			if (p < end && *p == ',')
				p++;
			else if (p < end && *p != '}')
				return false;
		}
		if (p == end)
			return false;
		p++;
	}
	if (p == end || *p != ' ')
		return false;
	p++;
	for (q = p; q < end && *q != ' '; q++)
		;
	if (!value_ok(p, (size_t)(q - p)))
		return false;
	if (q == end)
		return true;
	for (p = q + 1; p < end; p++) /* a timestamp: an integer, in ms */
		if (!((*p >= '0' && *p <= '9') || (p == q + 1 && *p == '-')))
			return false;
	return p > q + 1;
}

/* Every line of @text is valid, it ends with a newline, and it is UTF-8. */
static bool text_ok(const char *text, size_t n)
{
	const char *p = text, *end = text + n, *nl;

	if (!utf8_ok((const unsigned char *)text, n))
		return false;
	if (n && text[n - 1] != '\n')
		return false;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!line_ok(p, (size_t)(nl - p))) {
			fprintf(stderr, "bad exposition line: %.*s\n", (int)(nl - p), p);
			return false;
		}
		p = nl + 1;
	}
	return true;
}

static void test_validator(void)
{
	static const char *const good[] = {
		"# HELP a_b Some help, with \\\\ and \\n.",
		"# TYPE a_b counter",
		"# TYPE x:y gauge",
		"# just a comment",
		"a 1",
		"a_b:c{x=\"1\",y=\"\\\"\\\\\\n\"} 1.5e-9",
		"a{x=\"1\",} 2",
		"a{} NaN",
		"a -Inf",
		"a 3 1700000000000",
	};
	static const char *const bad[] = {
		"",         "1a 1",          "a{b=\"c} 1",      "a{b=c} 1",   "a{b=\"\\x\"} 1",
		"a",        "a{} x",         "a 0x10",          "a 1 2x",     "a{1b=\"c\"} 1",
		"a{b:c=\"d\"} 1",            "# TYPE a countr", "# HELP a \\t", "a  1",
		"a-b 1",    "a{b=\"c\" d=\"e\"} 1",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(line_ok(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!line_ok(bad[i], strlen(bad[i])));
		if (line_ok(bad[i], strlen(bad[i])))
			fprintf(stderr, "validator took: %s\n", bad[i]);
	}
	CHECK(text_ok("a 1\n", 4));
	CHECK(!text_ok("a 1", 3));
	CHECK(!text_ok("a{b=\"\xff\"} 1\n", 11));
}

/* ---- the helpers ---- */

static bool buf_is(const struct ctl_buf *b, const char *want)
{
	bool ok = !b->oom && b->len == strlen(want) && b->p && !memcmp(b->p, want, b->len);

	if (!ok)
		fprintf(stderr, "got    [%.*s]\nwanted [%s]\n", (int)b->len, b->p ? b->p : "", want);
	return ok;
}

/* ctl_prom_u64() with one label whose value ends at a guard page. */
static bool label_is(const char *val, size_t len, const char *want)
{
	uint8_t *g = guard_dup(val, len + 1); /* with its NUL: the helper reads to it */
	const char *labels[] = { "k", (const char *)g, NULL };
	struct ctl_buf b;
	bool ok;

	memset(&b, 0, sizeof(b));
	ctl_prom_u64(&b, "m", labels, 7);
	ok = buf_is(&b, want) && text_ok(b.p, b.len);
	ctl_buf_free(&b);
	guard_free(g, len + 1);
	return ok;
}

#define LABEL_IS(lit, want) CHECK(label_is(lit, sizeof(lit) - 1, want))

static bool f64_is(double v, const char *want)
{
	struct ctl_buf b;
	bool ok;

	memset(&b, 0, sizeof(b));
	ctl_prom_f64(&b, "m", NULL, v);
	ok = b.len > 2 && !strncmp(b.p, "m ", 2) && b.p[b.len - 1] == '\n' &&
	     b.len - 3 == strlen(want) && !memcmp(b.p + 2, want, b.len - 3) &&
	     text_ok(b.p, b.len);
	if (!ok)
		fprintf(stderr, "%.17g: got [%.*s], wanted [m %s]\n", v, (int)b.len, b.p, want);
	ctl_buf_free(&b);
	return ok;
}

static void test_helpers(void)
{
	const char *two[] = { "queue", "3", "verdict", "drop", NULL };
	const char *nullval[] = { "a", NULL, NULL };
	const char *none[] = { NULL };
	struct ctl_buf b;

	memset(&b, 0, sizeof(b));
	ctl_prom_family(&b, "bulkhead_x_total", "counter", "Line one\nback\\slash \"quoted\"");
	CHECK(buf_is(&b, "# HELP bulkhead_x_total Line one\\nback\\\\slash \"quoted\"\n"
			 "# TYPE bulkhead_x_total counter\n"));
	CHECK(text_ok(b.p, b.len));
	ctl_buf_reset(&b);

	ctl_prom_u64(&b, "x", NULL, 0);
	ctl_prom_u64(&b, "x", none, UINT64_MAX);
	ctl_prom_u64(&b, "x", two, 42);
	ctl_prom_u64(&b, "x", nullval, 1);
	CHECK(buf_is(&b, "x 0\nx 18446744073709551615\nx{queue=\"3\",verdict=\"drop\"} 42\n"
			 "x{a=\"\"} 1\n"));
	CHECK(text_ok(b.p, b.len));
	ctl_buf_reset(&b);

	ctl_prom_f64(&b, "x", two, 0.5);
	CHECK(buf_is(&b, "x{queue=\"3\",verdict=\"drop\"} 0.5\n"));
	ctl_buf_free(&b);

	/* Label values: escapes, UTF-8 kept, bad bytes as U+FFFD. */
	LABEL_IS("", "m{k=\"\"} 7\n");
	LABEL_IS("plain-rule_1", "m{k=\"plain-rule_1\"} 7\n");
	LABEL_IS("a\"b", "m{k=\"a\\\"b\"} 7\n");
	LABEL_IS("a\\b", "m{k=\"a\\\\b\"} 7\n");
	LABEL_IS("a\nb", "m{k=\"a\\nb\"} 7\n");
	LABEL_IS("\\\"\n", "m{k=\"\\\\\\\"\\n\"} 7\n");
	LABEL_IS("tab\there", "m{k=\"tab\there\"} 7\n");
	LABEL_IS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", "m{k=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\"} 7\n");
	LABEL_IS("a\xff" "b", "m{k=\"a\xef\xbf\xbd" "b\"} 7\n");
	LABEL_IS("\xc3", "m{k=\"\xef\xbf\xbd\"} 7\n");             /* cut at the end */
	LABEL_IS("\xe2\x82", "m{k=\"\xef\xbf\xbd\xef\xbf\xbd\"} 7\n"); /* cut at the end */
	LABEL_IS("\xc0\xaf", "m{k=\"\xef\xbf\xbd\xef\xbf\xbd\"} 7\n"); /* overlong */
	LABEL_IS("\xed\xa0\x80", "m{k=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 7\n"); /* surrogate */
	LABEL_IS("\xf4\x90\x80\x80", "m{k=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 7\n");
	LABEL_IS("\xe2\x82\"", "m{k=\"\xef\xbf\xbd\xef\xbf\xbd\\\"\"} 7\n");

	/* Floats: the shortest text that reads back. */
	CHECK(f64_is(0, "0"));
	CHECK(f64_is(-0.0, "-0"));
	CHECK(f64_is(1, "1"));
	CHECK(f64_is(0.1, "0.1"));
	CHECK(f64_is(0.25, "0.25"));
	CHECK(f64_is(0.1 + 0.2, "0.30000000000000004"));
	CHECK(f64_is(1e-9, "1e-09"));
	CHECK(f64_is(123456789012.0, "123456789012"));
	CHECK(f64_is(1.7976931348623157e308, "1.7976931348623157e+308"));
	CHECK(f64_is(-2.5, "-2.5"));
	CHECK(f64_is(NAN, "NaN"));
	CHECK(f64_is(INFINITY, "+Inf"));
	CHECK(f64_is(-INFINITY, "-Inf"));

	/* A buffer that already failed stays empty and marked. */
	memset(&b, 0, sizeof(b));
	b.oom = true;
	ctl_prom_family(&b, "x", "gauge", "h");
	ctl_prom_u64(&b, "x", two, 1);
	ctl_prom_f64(&b, "x", two, 1.5);
	CHECK(b.oom);
	CHECK_EQ(b.len, 0);
	ctl_buf_free(&b);
}

/* ---- what the server serves ---- */

enum fill_mode { FILL_NORMAL, FILL_EMPTY, FILL_OOM, FILL_LARGE };

struct fill_ctx {
	atomic_int mode;
	atomic_uint seq;
};

#define LARGE_SERIES 20000

/* The exposition of scrape @seq: a few families, labels that need escaping. */
static void sample_text(struct ctl_buf *b, unsigned int seq, bool large)
{
	const char *q0[] = { "queue", "0", "verdict", "accept", NULL };
	const char *q1[] = { "queue", "1", "verdict", "drop", "reason",
			     "rule \"deny-all\"\n\\x \xff", NULL };
	char rule[32];
	unsigned int i;

	ctl_prom_family(b, "bulkhead_test_scrape", "counter", "Which scrape this is.");
	ctl_prom_u64(b, "bulkhead_test_scrape", NULL, seq);
	ctl_prom_family(b, "bulkhead_packets_total", "counter",
			"Packets by queue and verdict.\nSecond line, with a \\ backslash.");
	ctl_prom_u64(b, "bulkhead_packets_total", q0, (uint64_t)seq * 3);
	ctl_prom_u64(b, "bulkhead_packets_total", q1, UINT64_MAX - seq);
	ctl_prom_family(b, "bulkhead_policy_compile_seconds", "gauge", "Compile time.");
	ctl_prom_f64(b, "bulkhead_policy_compile_seconds", NULL, 0.125 + seq);
	if (!large)
		return;
	ctl_prom_family(b, "bulkhead_rule_hits_total", "counter", "Hits by rule.");
	for (i = 0; i < LARGE_SERIES; i++) {
		const char *l[] = { "rule", rule, NULL };

		snprintf(rule, sizeof(rule), "rule-%u", i);
		ctl_prom_u64(b, "bulkhead_rule_hits_total", l, (uint64_t)i * seq);
	}
}

static void fill(void *ctx, struct ctl_buf *out)
{
	struct fill_ctx *f = ctx;
	int mode = atomic_load(&f->mode);
	unsigned int seq = atomic_fetch_add(&f->seq, 1);

	if (mode == FILL_EMPTY)
		return;
	sample_text(out, seq, mode == FILL_LARGE);
	if (mode == FILL_OOM)
		out->oom = true; /* as if an append had failed */
}

/* @body is sample_text() of some scrape; its number goes to *@ret_seq. */
static bool body_ok(const char *body, size_t len, bool large, unsigned int *ret_seq)
{
	static const char key[] = "\nbulkhead_test_scrape ";
	const char *p;
	struct ctl_buf want;
	unsigned long seq;
	char *end;
	bool ok;

	p = len ? memmem(body, len, key, sizeof(key) - 1) : NULL;
	if (!p)
		return false;
	seq = strtoul(p + sizeof(key) - 1, &end, 10);
	memset(&want, 0, sizeof(want));
	sample_text(&want, (unsigned int)seq, large);
	ok = !want.oom && want.len == len && !memcmp(want.p, body, len) && text_ok(body, len);
	ctl_buf_free(&want);
	if (ok && ret_seq)
		*ret_seq = (unsigned int)seq;
	return ok;
}

/* ---- a small HTTP/1.1 client ---- */

static int connect_to(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 5 };
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A server that hangs fails the test instead of stalling it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Everything until the server closes: 0, or -errno (-EAGAIN: timed out). */
static int read_all(int fd, struct ctl_buf *out)
{
	char buf[16384];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return out->oom ? -ENOMEM : 0;
		ctl_buf_put(out, buf, (size_t)n);
	}
}

struct resp {
	int status;
	char ctype[96], allow[32], conn[32];
	long clen;
	const char *body;
	size_t body_len;
};

static void header_value(const char *line, size_t n, const char *name, char *dst, size_t dlen)
{
	size_t nl = strlen(name), vl;

	if (n <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	line += nl + 1;
	n -= nl + 1;
	while (n && *line == ' ')
		line++, n--;
	vl = n < dlen - 1 ? n : dlen - 1;
	memcpy(dst, line, vl);
	dst[vl] = '\0';
}

/* One response at @p (@n bytes); @head: no body follows. Returns the bytes
 * it took, or -1 if it is malformed or cut short. */
static long parse_resp(const char *p, size_t n, bool head, struct resp *r)
{
	const char *hend, *l, *nl;
	char clen[24] = "";
	char *end;
	size_t total;

	memset(r, 0, sizeof(*r));
	r->clen = -1;
	if (!p || n < 13)
		return -1;
	hend = memmem(p, n, "\r\n\r\n", 4);
	if (!hend || n < 13 || memcmp(p, "HTTP/1.1 ", 9) || p[12] != ' ')
		return -1;
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (l = (const char *)memchr(p, '\n', (size_t)(hend - p)) + 1; l < hend + 2; l = nl + 2) {
		nl = memmem(l, (size_t)(hend + 2 - l), "\r\n", 2);
		header_value(l, (size_t)(nl - l), "Content-Type", r->ctype, sizeof(r->ctype));
		header_value(l, (size_t)(nl - l), "Allow", r->allow, sizeof(r->allow));
		header_value(l, (size_t)(nl - l), "Connection", r->conn, sizeof(r->conn));
		header_value(l, (size_t)(nl - l), "Content-Length", clen, sizeof(clen));
	}
	if (!clen[0])
		return -1; /* MHD sends it for every response of ours */
	r->clen = strtol(clen, &end, 10);
	if (*end || r->clen < 0)
		return -1;
	r->body = hend + 4;
	r->body_len = head ? 0 : (size_t)r->clen;
	total = (size_t)(hend + 4 - p) + r->body_len;
	return total <= n ? (long)total : -1;
}

/* Send @req on a new connection, read to the end, and parse the one
 * response in it into @r (pointing into @raw). 0 or -1. */
static int http(int family, uint16_t port, const char *req, bool head, struct ctl_buf *raw,
		struct resp *r)
{
	int fd = connect_to(family, port), ret = -1;

	ctl_buf_reset(raw);
	if (fd < 0)
		return -1;
	if (send_all(fd, req, strlen(req)) < 0 || read_all(fd, raw) < 0)
		goto out;
	if (parse_resp(raw->p, raw->len, head, r) != (long)raw->len)
		goto out;
	ret = 0;
out:
	close(fd);
	return ret;
}

#define REQ(method, path) method " " path " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The requests every server must answer right, through @family. */
static void exercise(struct ctl_metrics *m, struct fill_ctx *f, int family)
{
	struct ctl_buf raw;
	struct resp r, r2;
	uint64_t before = ctl_metrics_scrapes(m);
	unsigned int seq = 0, seq2 = 0;
	size_t get_len;
	long took;
	int fd;

	memset(&raw, 0, sizeof(raw));
	atomic_store(&f->mode, FILL_NORMAL);

	CHECK_EQ(http(family, ctl_metrics_port(m), REQ("GET", "/metrics"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK(!strcmp(r.ctype, PROM_TYPE));
	CHECK(body_ok(r.body, r.body_len, false, &seq));
	get_len = r.body_len;

	/* HEAD: the same headers, no body */
	CHECK_EQ(http(family, ctl_metrics_port(m), REQ("HEAD", "/metrics"), true, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK(!strcmp(r.ctype, PROM_TYPE));
	CHECK_EQ(r.clen, (long)get_len); /* the next scrape's number has as many digits */
	CHECK(raw.len == (size_t)(r.body - raw.p));

	/* The query string is not part of the path. */
	CHECK_EQ(http(family, ctl_metrics_port(m), REQ("GET", "/metrics?x=1"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK(body_ok(r.body, r.body_len, false, &seq2));
	CHECK_EQ(seq2, seq + 2);

	CHECK_EQ(http(family, ctl_metrics_port(m), REQ("GET", "/"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK(!strncmp(r.ctype, "text/plain", 10));
	CHECK(r.body_len > 0 && memmem(r.body, r.body_len, "/metrics", 8));

	static const char *const notfound[] = {
		REQ("GET", "/nope"), REQ("GET", "/metrics/"), REQ("GET", "/metricsx"),
		REQ("POST", "/nope"), REQ("GET", "//metrics"),
	};
	for (size_t i = 0; i < sizeof(notfound) / sizeof(notfound[0]); i++) {
		CHECK_EQ(http(family, ctl_metrics_port(m), notfound[i], false, &raw, &r), 0);
		CHECK_EQ(r.status, 404);
	}

	static const char *const notallowed[] = {
		"POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n"
		"Connection: close\r\n\r\nx=1",
		REQ("PUT", "/metrics"), REQ("DELETE", "/"), REQ("OPTIONS", "/metrics"),
	};
	for (size_t i = 0; i < sizeof(notallowed) / sizeof(notallowed[0]); i++) {
		CHECK_EQ(http(family, ctl_metrics_port(m), notallowed[i], false, &raw, &r), 0);
		CHECK_EQ(r.status, 405);
		CHECK(!strcmp(r.allow, "GET, HEAD"));
	}

	/* Two requests on one connection, sent at once. */
	fd = connect_to(family, ctl_metrics_port(m));
	CHECK(fd >= 0);
	if (fd >= 0) {
		ctl_buf_reset(&raw);
		CHECK_EQ(send_all(fd, "GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n" REQ("GET", "/metrics"),
				  strlen("GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n" REQ("GET", "/metrics"))),
			 0);
		CHECK_EQ(read_all(fd, &raw), 0);
		took = parse_resp(raw.p, raw.len, false, &r);
		CHECK(took > 0);
		if (took > 0) {
			CHECK_EQ(r.status, 200);
			CHECK(body_ok(r.body, r.body_len, false, &seq));
			CHECK_EQ(parse_resp(raw.p + took, raw.len - (size_t)took, false, &r2),
				 (long)(raw.len - (size_t)took));
			CHECK_EQ(r2.status, 200);
			CHECK(body_ok(r2.body, r2.body_len, false, &seq2));
			CHECK_EQ(seq2, seq + 1);
		}
		close(fd);
	}

	/* Each GET or HEAD of /metrics is one scrape: 3 above, 2 pipelined. */
	CHECK_EQ(ctl_metrics_scrapes(m), before + 5);
	ctl_buf_free(&raw);
}

/* Whether ::1 can be bound here (a container may have no IPv6). */
static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_ipv4(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	char err[256];

	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(ctl_metrics_port(m) != 0);
	CHECK_EQ(ctl_metrics_scrapes(m), 0);
	exercise(m, &f, AF_INET);
	/* Bound to 127.0.0.1 only: not reachable through ::1. */
	if (have_ipv6_loopback()) {
		int fd = connect_to(AF_INET6, ctl_metrics_port(m));

		CHECK_EQ(fd, -ECONNREFUSED);
		if (fd >= 0)
			close(fd);
	}
	ctl_metrics_stop(m);
}

static void test_ipv6(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	char err[256];

	if (!have_ipv6_loopback()) {
		printf("# skipping the IPv6 server: ::1 can't be bound here\n");
		return;
	}
	CHECK_EQ(ctl_metrics_start("[::1]:0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(ctl_metrics_port(m) != 0);
	exercise(m, &f, AF_INET6);
	/* IPv6 only. */
	int fd = connect_to(AF_INET, ctl_metrics_port(m));

	CHECK_EQ(fd, -ECONNREFUSED);
	if (fd >= 0)
		close(fd);
	ctl_metrics_stop(m);
}

/* ":0": every address, both families where there is IPv6. */
static void test_any(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	char err[256];

	CHECK_EQ(ctl_metrics_start(":0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	exercise(m, &f, AF_INET);
	if (have_ipv6_loopback())
		exercise(m, &f, AF_INET6);
	else
		printf("# skipping IPv6 on the any-address server: ::1 can't be bound here\n");
	ctl_metrics_stop(m);
}

/* An empty exposition, one too big for a small buffer, and a fill that ran
 * out of memory. */
static void test_fill_modes(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	struct ctl_buf raw;
	struct resp r;
	char err[256];

	memset(&raw, 0, sizeof(raw));
	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m)
		return;

	atomic_store(&f.mode, FILL_EMPTY);
	CHECK_EQ(http(AF_INET, ctl_metrics_port(m), REQ("GET", "/metrics"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.clen, 0);
	CHECK(!strcmp(r.ctype, PROM_TYPE));

	atomic_store(&f.mode, FILL_LARGE);
	CHECK_EQ(http(AF_INET, ctl_metrics_port(m), REQ("GET", "/metrics"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK(r.body_len > 500000);
	CHECK(body_ok(r.body, r.body_len, true, NULL));

	atomic_store(&f.mode, FILL_OOM);
	CHECK_EQ(http(AF_INET, ctl_metrics_port(m), REQ("GET", "/metrics"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 500);
	CHECK(!memmem(r.body, r.body_len, "bulkhead_", 9)); /* nothing of the cut text */

	/* and the server is fine afterwards */
	atomic_store(&f.mode, FILL_NORMAL);
	CHECK_EQ(http(AF_INET, ctl_metrics_port(m), REQ("GET", "/metrics"), false, &raw, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK(body_ok(r.body, r.body_len, false, NULL));
	CHECK_EQ(ctl_metrics_scrapes(m), 4);

	ctl_metrics_stop(m);
	ctl_buf_free(&raw);
}

/* ---- concurrent scrapes ---- */

#define THREADS 4
#define PER_THREAD 50

struct scraper {
	uint16_t port;
	int ok, bad;
	unsigned int seqs[PER_THREAD];
};

static void *scrape_loop(void *arg)
{
	struct scraper *s = arg;
	struct ctl_buf raw;
	struct resp r;
	int i;

	memset(&raw, 0, sizeof(raw));
	for (i = 0; i < PER_THREAD; i++) {
		if (http(AF_INET, s->port, REQ("GET", "/metrics"), false, &raw, &r) == 0 &&
		    r.status == 200 && !strcmp(r.ctype, PROM_TYPE) &&
		    body_ok(r.body, r.body_len, false, &s->seqs[s->ok]))
			s->ok++;
		else
			s->bad++;
	}
	ctl_buf_free(&raw);
	return NULL;
}

static void test_concurrent(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	struct scraper s[THREADS];
	pthread_t th[THREADS];
	bool seen[THREADS * PER_THREAD] = { false };
	bool dup = false, started[THREADS] = { false };
	char err[256];
	int i, j, total = 0;

	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m)
		return;
	memset(s, 0, sizeof(s));
	for (i = 0; i < THREADS; i++) {
		s[i].port = ctl_metrics_port(m);
		started[i] = pthread_create(&th[i], NULL, scrape_loop, &s[i]) == 0;
		CHECK(started[i]);
	}
	for (i = 0; i < THREADS; i++) {
		if (!started[i])
			continue;
		pthread_join(th[i], NULL);
		CHECK_EQ(s[i].bad, 0);
		CHECK_EQ(s[i].ok, PER_THREAD);
		total += s[i].ok;
		for (j = 0; j < s[i].ok; j++) {
			unsigned int q = s[i].seqs[j];

			if (q >= THREADS * PER_THREAD || seen[q])
				dup = true;
			else
				seen[q] = true;
		}
	}
	/* every scrape got its own fill, each exactly once */
	CHECK(!dup);
	CHECK_EQ(total, THREADS * PER_THREAD);
	CHECK_EQ(ctl_metrics_scrapes(m), THREADS * PER_THREAD);
	ctl_metrics_stop(m);
}

/* A keep-alive GET on a new connection, its response read whole: the
 * server has accepted the connection and keeps it open. -1 on failure. */
static int open_idle(uint16_t port)
{
	static const char keep[] = "GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n";
	struct ctl_buf raw;
	struct resp r = { 0 };
	char buf[65536];
	int fd = connect_to(AF_INET, port), i;
	ssize_t n;

	if (fd < 0)
		return -1;
	memset(&raw, 0, sizeof(raw));
	if (send_all(fd, keep, sizeof(keep) - 1) < 0)
		goto fail;
	for (i = 0; i < 100; i++) { /* until the response is whole */
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			goto fail;
		ctl_buf_put(&raw, buf, (size_t)n);
		if (parse_resp(raw.p, raw.len, false, &r) == (long)raw.len)
			break;
	}
	if (r.status != 200 || !strcmp(r.conn, "close"))
		goto fail;
	ctl_buf_free(&raw);
	return fd;
fail:
	ctl_buf_free(&raw);
	close(fd);
	return -1;
}

/* Past CTL_METRICS_CONN_LIMIT open connections a new one waits (in the
 * listen backlog) until one of them closes, then it is served. */
static void test_conn_limit(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	struct ctl_buf raw;
	struct resp r;
	struct pollfd pfd;
	int idle[CTL_METRICS_CONN_LIMIT], fd, i;
	char err[256];

	memset(&raw, 0, sizeof(raw));
	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m)
		return;
	for (i = 0; i < CTL_METRICS_CONN_LIMIT; i++) {
		idle[i] = open_idle(ctl_metrics_port(m));
		CHECK(idle[i] >= 0);
	}
	fd = connect_to(AF_INET, ctl_metrics_port(m));
	CHECK(fd >= 0);
	CHECK_EQ(send_all(fd, REQ("GET", "/metrics"), strlen(REQ("GET", "/metrics"))), 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 300), 0); /* neither served nor closed */
	close(idle[0]);
	CHECK_EQ(read_all(fd, &raw), 0);
	CHECK_EQ(parse_resp(raw.p, raw.len, false, &r), (long)raw.len);
	CHECK_EQ(r.status, 200);
	CHECK(body_ok(r.body, r.body_len, false, NULL));
	close(fd);
	for (i = 1; i < CTL_METRICS_CONN_LIMIT; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	ctl_metrics_stop(m);
	ctl_buf_free(&raw);
}

/* ---- refusals ---- */

static void test_bad_addresses(void)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "nope", "--metrics nope: expected ADDR:PORT" },
		{ "1.2.3.4", "--metrics 1.2.3.4: expected ADDR:PORT" },
		{ "", "--metrics : empty" },
		{ ":0x10", "--metrics :0x10: port is not a decimal number" },
		{ ":-1", "--metrics :-1: port is not a decimal number" },
		{ ": 80", "--metrics : 80: port is not a decimal number" },
		{ "1.2.3.4:", "--metrics 1.2.3.4:: no port after ':'" },
		{ "1.2.3.4:65536", "--metrics 1.2.3.4:65536: port out of range (0-65535)" },
		{ "1.2.3.4:99999999999999999999999", "port out of range (0-65535)" },
		{ "[::1", "--metrics [::1: missing ']' after the IPv6 address" },
		{ "[::1]", "--metrics [::1]: expected ':PORT' after ']'" },
		{ "[::1]9464", "expected ':PORT' after ']'" },
		{ "[::1]:", "no port after ':'" },
		{ "[]:80", "not a numeric IPv6 address" },
		{ "[1.2.3.4]:80", "not a numeric IPv6 address" },
		{ "[localhost]:80", "not a numeric IPv6 address" },
		{ "300.1.1.1:80", "--metrics 300.1.1.1:80: not a numeric IPv4 address" },
		{ "localhost:9464", "not a numeric IPv4 address (host names are not resolved)" },
		{ "127.1:80", "not a numeric IPv4 address" },
		{ "::1:9464", "an IPv6 address goes in brackets" },
		{ "1.2.3.4:80:", "an IPv6 address goes in brackets" },
	};
	struct ctl_metrics *sentinel = (struct ctl_metrics *)&sentinel, *m = sentinel;
	struct fill_ctx f = { 0 };
	char err[256], tiny[8];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(err, 'x', sizeof(err));
		CHECK_EQ(ctl_metrics_start(cases[i].in, fill, &f, &m, err, sizeof(err)), -EINVAL);
		CHECK(m == sentinel);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(strstr(err, cases[i].why) != NULL);
		if (!strstr(err, cases[i].why))
			fprintf(stderr, "%s: got \"%s\"\n", cases[i].in, err);
	}
	/* NULL, a message cut to fit, and no room for one at all */
	CHECK_EQ(ctl_metrics_start(NULL, fill, &f, &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "empty") != NULL);
	CHECK_EQ(ctl_metrics_start("nope", fill, &f, &m, tiny, sizeof(tiny)), -EINVAL);
	CHECK(!strcmp(tiny, "--metri"));
	CHECK_EQ(ctl_metrics_start("nope", fill, &f, &m, NULL, 0), -EINVAL);
	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", NULL, &f, &m, err, sizeof(err)), -EINVAL);
	CHECK(m == sentinel);
	/* An address that isn't this machine's. */
	CHECK_EQ(ctl_metrics_start("192.0.2.1:0", fill, &f, &m, err, sizeof(err)), -EADDRNOTAVAIL);
	CHECK(strstr(err, "--metrics 192.0.2.1:0: ") == err);
	CHECK(m == sentinel);
}

static void test_in_use(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ctl_metrics *sentinel = (struct ctl_metrics *)&sentinel, *m = sentinel, *m1 = NULL;
	struct fill_ctx f = { 0 };
	socklen_t len = sizeof(sin);
	char err[256], ap[64];
	int fds = count_fds(), fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* Someone else's listening socket. */
	CHECK(fd >= 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK_EQ(listen(fd, 1), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(ap, sizeof(ap), "127.0.0.1:%u", ntohs(sin.sin_port));
	CHECK_EQ(ctl_metrics_start(ap, fill, &f, &m, err, sizeof(err)), -EADDRINUSE);
	CHECK(m == sentinel);
	CHECK(strstr(err, ap) && strstr(err, ": address in use"));
	snprintf(ap, sizeof(ap), ":%u", ntohs(sin.sin_port)); /* the any address overlaps */
	CHECK_EQ(ctl_metrics_start(ap, fill, &f, &m, err, sizeof(err)), -EADDRINUSE);
	close(fd);

	/* A second server on the first one's port. */
	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", fill, &f, &m1, err, sizeof(err)), 0);
	if (m1) {
		snprintf(ap, sizeof(ap), "127.0.0.1:%u", ctl_metrics_port(m1));
		CHECK_EQ(ctl_metrics_start(ap, fill, &f, &m, err, sizeof(err)), -EADDRINUSE);
		CHECK(m == sentinel);
		ctl_metrics_stop(m1);
		/* and once it is stopped the port is free again at once */
		m = NULL;
		CHECK_EQ(ctl_metrics_start(ap, fill, &f, &m, err, sizeof(err)), 0);
		ctl_metrics_stop(m);
	}
	ctl_metrics_stop(NULL);
	CHECK_EQ(count_fds(), fds);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After stop, @fd sees the end of the connection (FIN or RST) rather than
 * its 5-second timeout. */
static bool sees_close(int fd)
{
	char buf[4096];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0 || (n < 0 && errno == EINTR));
	return n == 0 || errno == ECONNRESET;
}

/* ctl_metrics_stop() with connections open in every state: idle after a
 * response (keep-alive), halfway through a request, and never accepted.
 * It must not wait for the 10-second idle timeout; it must close them all
 * and leave no descriptor behind. */
static void test_stop_with_open_connections(void)
{
	struct fill_ctx f = { 0 };
	struct ctl_metrics *m = NULL;
	char err[256];
	int fds = count_fds(), idle, partial, fresh;
	double t0, took;

	CHECK_EQ(ctl_metrics_start("127.0.0.1:0", fill, &f, &m, err, sizeof(err)), 0);
	if (!m)
		return;
	idle = open_idle(ctl_metrics_port(m));
	CHECK(idle >= 0);
	partial = connect_to(AF_INET, ctl_metrics_port(m));
	CHECK(partial >= 0);
	CHECK_EQ(send_all(partial, "GET /metrics HTTP/1.1\r\nHo", 25), 0);
	fresh = connect_to(AF_INET, ctl_metrics_port(m));
	CHECK(fresh >= 0);

	t0 = now();
	ctl_metrics_stop(m);
	took = now() - t0;
	CHECK(took < 2.0); /* well under CTL_METRICS_CONN_TIMEOUT */
	if (took >= 2.0)
		fprintf(stderr, "ctl_metrics_stop took %.3f s\n", took);
	CHECK(sees_close(idle));
	CHECK(sees_close(partial));
	CHECK(sees_close(fresh));
	close(idle);
	close(partial);
	close(fresh);
	CHECK_EQ(count_fds(), fds);
}

int main(void)
{
	/* as in bulkheadd, a peer that went away must not kill the process */
	signal(SIGPIPE, SIG_IGN);
	RUN(test_validator);
	RUN(test_helpers);
	RUN(test_ipv4);
	RUN(test_ipv6);
	RUN(test_any);
	RUN(test_fill_modes);
	RUN(test_concurrent);
	RUN(test_conn_limit);
	RUN(test_bad_addresses);
	RUN(test_in_use);
	RUN(test_stop_with_open_connections);
	return bh_test_summary();
}
