/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sig_bench - the signature engine (dpi_sig.h) at 100, 1,000 and 10,000
 * custom rules, side by side in one run:
 *
 *   1. load (dpi_rules_load_buffer()) and compile (dpi_sig_compile()) times,
 *      Hyperscan databases built and their size;
 *   2. dpi_sig_inspect() throughput per inspection buffer, one buffer value
 *      per transaction, on realistic field values;
 *   3. raw streams through dpi_sig_stream_open/scan/close(), 64 KiB streams
 *      in 1460-byte and in 100-byte segments, and the state a stream keeps;
 *   4. baselines over the same bytes: memmem() for one literal, and a naive
 *      memmem() loop over every literal of the N=100 set's rules of that
 *      buffer;
 *   5. the whole engine on HTTP: dpi_stream() with no signatures, with the
 *      built-in sets, and with the built-in sets plus 1,000 custom rules.
 *
 * Rules are generated from a fixed seed in the rule language of
 * dpi_rules.h; the N=100 and N=1,000 sets are prefixes of the N=10,000 one,
 * so every rule of a smaller set is in the larger ones. Their shapes: a
 * content of 6-20 bytes from a word-like alphabet, shaped for its buffer
 * (a path, a header name, a product token, a JSON key, a DNS label pair,
 * a table name), nocase on about half; 20% with a second content at
 * distance:0 within a few bytes; 10% with a Hyperscan-compatible pcre
 * (alone or after a content); 1% anchored on a token common in benign
 * traffic ("Accept-Language: ", "/api/v1/", ...) with fast_pattern, so the
 * prefilter hands their confirmation work to do on ordinary values. Raw
 * stream rules ("alert tcp" with content before any sticky buffer) keep to
 * what the streaming database takes: contents and plain pcres, no relative
 * keywords.
 *
 * Field values are generated from the same kind of traffic as
 * bench/l7_gen.c builds: URIs with query strings, browser, curl and
 * service-to-service header blocks, real User-Agent strings, parameter
 * values, JSON bodies of 200 B to 4 KiB, cluster and external DNS names,
 * Django and pgbench SQL. About 1% of values carry text that makes one rule
 * of the N=100 set fire (so it fires in all three sets); the alerts columns
 * show that confirmation ran.
 *
 * Timing: one warm-up pass of every cell (a corpus through one engine),
 * then -r rounds (3), each running every cell once, so that load on this
 * shared machine hits all cells alike; in a round a cell makes passes over
 * its corpus until -t seconds (0.5) have gone by. Reported: the median time
 * per pass over the rounds (CLOCK_MONOTONIC), the spread, and the thread
 * CPU time over wall time. Nothing is asserted.
 *
 * To read the state a stream keeps, Hyperscan's stream allocator is
 * replaced by a counting one (hs_set_stream_allocator()), and the heap
 * growth over many dpi_sig_stream_open() calls is read with mallinfo2().
 * The database counts and sizes come from dpi_sig_int.h: this benchmark
 * looks inside the engine on purpose.
 */
#include <errno.h>
#include <getopt.h>
#include <hs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/dpi.h"
#include "dpi_hs.h"
#include "dpi_sig.h"
#include "dpi_sig_int.h"
#include "bench_sys.h"

#define MAX_ROUNDS 9
#define N_SETS 3
#define RULES_MAX 10000u
#define FIRST_SET 100u          /* injected samples come from these rules */
#define SID_BASE 3000000u
#define STREAM_LEN 65536u
#define HTTP_PER_STREAM 10u
#define HTTP_MSS 1460u
#define MAX_CELLS 64
#define STATE_STREAMS 256u

static const size_t set_sizes[N_SETS] = {100, 1000, 10000};

/* ---------------------------------------------------------------- utilities */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("sig_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growing byte buffer. */
struct sb {
	uint8_t *p;
	size_t len, cap;
};

static void sb_add(struct sb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;

		while (c < b->len + n)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_ch(struct sb *b, char c)
{
	sb_add(b, &c, 1);
}

static void sb_fmt(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_fmt(struct sb *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("sb_fmt: too long");
	sb_add(b, tmp, (size_t)n);
}

/* splitmix64: deterministic for a seed, integer only. */
struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

static uint32_t range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + below(r, hi - lo + 1);
}

static bool permille(struct rng *r, unsigned p)
{
	return below(r, 1000) < p;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[below((r), (uint32_t)NELEM(a))])

/* ----------------------------------------------------------- rule kinds */

enum kind { K_URI, K_HDR, K_UA, K_PARAM, K_BODY, K_DNS, K_SQL, K_STREAM, K__N };
#define K_FIELDS K_STREAM /* kinds measured in part 2 */

static const struct kind_info {
	const char *name, *sticky, *proto;
	enum dpi_rule_buffer buf;
	enum dpi_rule_app app;
} kinds[K__N] = {
	[K_URI] = {"http.uri", "http.uri; ", "http", DPI_RB_HTTP_URI, DPI_RULE_APP_HTTP},
	[K_HDR] = {"http.header", "http.header; ", "http", DPI_RB_HTTP_HEADER, DPI_RULE_APP_HTTP},
	[K_UA] = {"http.user_agent", "http.user_agent; ", "http", DPI_RB_HTTP_USER_AGENT,
		  DPI_RULE_APP_HTTP},
	[K_PARAM] = {"http.param", "http.param; ", "http", DPI_RB_HTTP_PARAM, DPI_RULE_APP_HTTP},
	[K_BODY] = {"http.request_body", "http.request_body; ", "http", DPI_RB_HTTP_REQUEST_BODY,
		    DPI_RULE_APP_HTTP},
	[K_DNS] = {"dns.query", "dns.query; ", "dns", DPI_RB_DNS_QUERY, DPI_RULE_APP_DNS},
	[K_SQL] = {"sql.query", "sql.query; ", "tcp", DPI_RB_SQL_QUERY, DPI_RULE_APP_SQL},
	[K_STREAM] = {"raw stream", "", "tcp", DPI_RB_STREAM, DPI_RULE_APP_NONE},
};

/* Rule i inspects kinds[schedule[i % 20]]: every buffer has rules in the
 * first 20, so in every set. */
static const uint8_t schedule[20] = {
	K_URI, K_PARAM, K_HDR, K_STREAM, K_UA,    K_BODY, K_DNS, K_SQL,  K_URI, K_PARAM,
	K_STREAM, K_URI, K_HDR, K_UA,  K_BODY, K_DNS,  K_SQL, K_URI, K_PARAM, K_STREAM,
};

/* Tokens common in benign values, for the 1% of rules whose fast pattern
 * the prefilter reports often (NULL: none for that buffer). */
static const char *const anchors[K__N] = {
	[K_URI] = "/api/v1/",
	[K_HDR] = "Accept-Language: ",
	[K_UA] = "Mozilla/5.0 (",
	[K_BODY] = "\"name\":",
	[K_DNS] = ".svc.cluster.local",
	[K_SQL] = "SELECT ",
	[K_STREAM] = "HTTP/1.1\r\n",
};

#define GR_ANCHOR 0x01
#define GR_PCRE 0x02
#define GR_TWO 0x04

struct grule {
	uint8_t kind, flags;
	uint8_t lit_len;     /* the first content; 0 for a pcre-only rule */
	uint8_t lit[40];
	uint8_t sample_len;  /* bytes that make the rule fire */
	uint8_t sample[128];
};

/* --------------------------------------------------------- text pieces */

static void sb_word(struct sb *b, struct rng *r, size_t len, bool cap)
{
	static const char cons[] = "bcdfghjklmnprstvz", vow[] = "aeiou";

	for (size_t i = 0; i < len; i++) {
		char c = i % 2 == 0 ? cons[below(r, sizeof(cons) - 1)]
				    : vow[below(r, sizeof(vow) - 1)];

		if (i == 0 && cap)
			c = (char)(c - 'a' + 'A');
		sb_ch(b, c);
	}
}

static void sb_hex(struct sb *b, struct rng *r, size_t n)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
		sb_ch(b, hx[below(r, 16)]);
}

static void sb_b64(struct sb *b, struct rng *r, size_t n, bool url)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i++) {
		char c = a[below(r, 64)];

		if (url && c == '+')
			c = '-';
		if (url && c == '/')
			c = '_';
		sb_ch(b, c);
	}
}

static void sb_uuid(struct sb *b, struct rng *r)
{
	sb_hex(b, r, 8);
	sb_ch(b, '-');
	sb_hex(b, r, 4);
	sb_ch(b, '-');
	sb_hex(b, r, 4);
	sb_ch(b, '-');
	sb_hex(b, r, 4);
	sb_ch(b, '-');
	sb_hex(b, r, 12);
}

static bool is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Appends @n bytes, flipping the case of about half the letters when
 * @flip (a nocase match must still fire). */
static void sb_flip(struct sb *b, struct rng *r, const uint8_t *p, size_t n, bool flip)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (flip && is_alpha(c) && below(r, 2))
			c ^= 0x20;
		sb_add(b, &c, 1);
	}
}

/* A content literal for buffer @k, @lo..@hi bytes. */
static void gen_lit(struct sb *b, struct rng *r, unsigned k, uint32_t lo, uint32_t hi)
{
	uint32_t n = range(r, lo, hi), a;

	if (k == K_STREAM)
		k = PICK(r, ((const uint8_t[]){K_URI, K_HDR, K_PARAM, K_STREAM}));
	switch (k) {
	case K_URI:
		sb_ch(b, '/');
		switch (below(r, 3)) {
		case 0:
			sb_word(b, r, n - 1, false);
			break;
		case 1:
			a = range(r, 2, n - 4);
			sb_word(b, r, a, false);
			sb_ch(b, '/');
			sb_word(b, r, n - 2 - a, false);
			break;
		default:
			sb_word(b, r, n - 5, false);
			sb_str(b, ".php");
		}
		break;
	case K_HDR:
		if (below(r, 2)) {
			sb_str(b, "X-");
			sb_word(b, r, n - 4, true);
			sb_str(b, ": ");
		} else {
			a = range(r, 2, n - 3);
			sb_word(b, r, a, true);
			sb_ch(b, '-');
			sb_word(b, r, n - 1 - a, true);
		}
		break;
	case K_UA:
		sb_word(b, r, n - 4, true);
		sb_fmt(b, "/%u.%u", below(r, 10), below(r, 10));
		break;
	case K_PARAM:
		switch (below(r, 3)) {
		case 0:
			sb_word(b, r, n, false);
			break;
		case 1:
			a = range(r, 2, n - 3);
			sb_word(b, r, a, false);
			sb_ch(b, '_');
			sb_word(b, r, n - 1 - a, false);
			break;
		default:
			sb_word(b, r, n - 3, false);
			sb_fmt(b, "%03u", below(r, 1000));
		}
		break;
	case K_BODY:
		sb_ch(b, '"');
		sb_word(b, r, n - 3, false);
		sb_str(b, "\":");
		break;
	case K_DNS:
	case K_SQL:
		a = range(r, 2, n - 3);
		sb_word(b, r, a, false);
		sb_ch(b, k == K_DNS ? (below(r, 2) ? '.' : '-') : '_');
		sb_word(b, r, n - 1 - a, false);
		break;
	default: /* a binary protocol's literal: two control bytes, then a name */
		sb_ch(b, (char)below(r, 32));
		sb_ch(b, (char)below(r, 32));
		sb_word(b, r, n - 2, below(r, 2));
	}
}

/* Rule syntax for content bytes: |hex| for anything but a few plain ones. */
static void sb_content(struct sb *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (is_alpha(c) || (c >= '0' && c <= '9') || (c && strchr("/._-=: (),", c)))
			sb_ch(b, (char)c);
		else
			sb_fmt(b, "|%02X|", c);
	}
}

static void emit_content(struct sb *t, const struct sb *lit, bool nocase, bool fp)
{
	sb_str(t, "content:\"");
	sb_content(t, lit->p, lit->len);
	sb_str(t, "\"; ");
	if (nocase)
		sb_str(t, "nocase; ");
	if (fp)
		sb_str(t, "fast_pattern; ");
}

/* A pcre and a text it matches. */
static void gen_pcre(struct sb *t, struct sb *smp, struct rng *r, unsigned k, bool icase)
{
	static const char *const ext[] = {"php", "aspx", "jsp"};
	struct sb w1 = {0}, w2 = {0};
	unsigned form = below(r, k == K_DNS ? 2 : 4);
	bool flip = icase && k != K_DNS; /* DNS names arrive lower-cased */

	sb_word(&w1, r, range(r, 4, 8), false);
	sb_word(&w2, r, range(r, 4, 8), false);
	sb_ch(&w1, '\0');
	sb_ch(&w2, '\0');
	sb_str(t, "pcre:\"/");
	switch (form) {
	case 0:
		sb_fmt(t, "%s[0-9]{2,4}%s", (char *)w1.p, (char *)w2.p);
		sb_flip(smp, r, w1.p, w1.len - 1, flip);
		sb_fmt(smp, "%0*u", (int)range(r, 2, 4), below(r, 100));
		sb_flip(smp, r, w2.p, w2.len - 1, flip);
		break;
	case 1:
		sb_fmt(t, "%s[_-]?id=[0-9a-f]{8,}", (char *)w1.p);
		sb_flip(smp, r, w1.p, w1.len - 1, flip);
		sb_str(smp, PICK(r, ((const char *const[]){"_", "-", ""})));
		sb_str(smp, "id=");
		sb_hex(smp, r, range(r, 8, 12));
		break;
	case 2:
		sb_fmt(t, "%s/[a-z]{2,8}\\.(php|aspx|jsp)", (char *)w1.p);
		sb_flip(smp, r, w1.p, w1.len - 1, flip);
		sb_ch(smp, '/');
		sb_word(smp, r, range(r, 2, 8), false);
		sb_fmt(smp, ".%s", PICK(r, ext));
		break;
	default:
		sb_fmt(t, "%s\\s*[:=]\\s*[A-Za-z0-9+/]{16,}", (char *)w1.p);
		sb_flip(smp, r, w1.p, w1.len - 1, flip);
		sb_ch(smp, '=');
		sb_b64(smp, r, range(r, 16, 24), false);
	}
	sb_fmt(t, "/%s\"; ", icase ? "i" : "");
	free(w1.p);
	free(w2.p);
}

/* Bytes of the rule's text that sit between a match and the next one. */
static void sb_filler(struct sb *b, struct rng *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_ch(b, (char)('a' + below(r, 26)));
}

static void copy_out(uint8_t *dst, uint8_t *ret_len, size_t cap, const struct sb *src)
{
	if (src->len > cap)
		die("generated text too long (%zu)", src->len);
	if (src->len)
		memcpy(dst, src->p, src->len);
	*ret_len = (uint8_t)src->len;
}

/* RULES_MAX rules into @text, rule i ending at @line_end[i]. */
static void gen_rules(struct grule *rules, struct sb *text, size_t *line_end)
{
	struct rng r = {0x5167b3e7};

	sb_str(text, "# sig_bench: generated rules (fixed seed)\n");
	for (size_t i = 0; i < RULES_MAX; i++) {
		struct grule *g = &rules[i];
		unsigned k = schedule[i % NELEM(schedule)];
		const struct kind_info *ki = &kinds[k];
		/* dns.query is lower-cased by the parser: its samples are too */
		bool nc = k == K_DNS || below(&r, 2), flip = nc && k != K_DNS;
		unsigned p = below(&r, 1000);
		struct sb a = {0}, bb = {0}, smp = {0};

		g->kind = (uint8_t)k;
		sb_fmt(text, "alert %s any any -> any any (msg:\"sig_bench %s rule %zu\"; %s",
		       ki->proto, ki->name, i, ki->sticky);
		if (p < 10 && anchors[k]) {
			uint32_t gap = range(&r, 0, 32), use = below(&r, gap + 1);

			g->flags = GR_ANCHOR;
			sb_str(&a, anchors[k]);
			gen_lit(&bb, &r, k, 6, 10);
			emit_content(text, &a, nc, true);
			sb_flip(&smp, &r, a.p, a.len, flip);
			if (k != K_STREAM)
				sb_filler(&smp, &r, use);
			sb_flip(&smp, &r, bb.p, bb.len, flip);
			emit_content(text, &bb, nc, false);
			if (k != K_STREAM)
				sb_fmt(text, "distance:0; within:%zu; ", bb.len + gap);
		} else if (p < 110) {
			bool icase = k == K_DNS || below(&r, 2);

			g->flags = GR_PCRE;
			if (below(&r, 2)) {
				gen_lit(&a, &r, k, 6, 20);
				emit_content(text, &a, nc, false);
				sb_flip(&smp, &r, a.p, a.len, flip);
			}
			gen_pcre(text, &smp, &r, k, icase);
		} else if (p < 310) {
			uint32_t gap = range(&r, 0, 32), use = below(&r, gap + 1);

			g->flags = GR_TWO;
			gen_lit(&a, &r, k, 6, 20);
			gen_lit(&bb, &r, k, 6, 12);
			emit_content(text, &a, nc, false);
			emit_content(text, &bb, nc, false);
			sb_flip(&smp, &r, a.p, a.len, flip);
			if (k != K_STREAM) {
				sb_fmt(text, "distance:0; within:%zu; ", bb.len + gap);
				sb_filler(&smp, &r, use);
			}
			sb_flip(&smp, &r, bb.p, bb.len, flip);
		} else {
			gen_lit(&a, &r, k, 6, 20);
			emit_content(text, &a, nc, false);
			sb_flip(&smp, &r, a.p, a.len, flip);
		}
		sb_fmt(text, "sid:%u; rev:1;)\n", SID_BASE + (unsigned)i);
		line_end[i] = text->len;
		copy_out(g->lit, &g->lit_len, sizeof(g->lit), &a);
		copy_out(g->sample, &g->sample_len, sizeof(g->sample), &smp);
		free(a.p);
		free(bb.p);
		free(smp.p);
	}
}

/* ---------------------------------------------------------- field values */

static const char *const path_words[] = {
	"api", "v1", "v2", "users", "orders", "items", "products", "search", "account", "cart",
	"checkout", "static", "assets", "js", "css", "img", "admin", "health", "metrics",
	"graphql", "login", "auth", "oauth", "token", "reviews", "inventory", "catalog",
	"payments", "shipping", "notifications", "settings", "profile", "reports", "export",
	"internal", "status", "feed",
};
static const char *const exts[] = {".js", ".css", ".png", ".jpg", ".html", ".json", ".svg",
				   ".woff2"};
static const char *const qnames[] = {
	"page", "limit", "per_page", "sort", "order", "q", "id", "ids", "fields", "lang",
	"locale", "utm_source", "utm_medium", "utm_campaign", "session_id", "ref", "filter",
	"offset", "since", "until", "ts", "cb", "format", "include", "expand", "currency", "region",
};
static const char *const words[] = {
	"desc", "asc", "shoes", "red", "winter", "jacket", "en-US", "de-DE", "json", "csv",
	"true", "false", "all", "active", "pending", "shipped", "google", "newsletter", "spring",
	"summer-sale", "EUR", "USD", "eu-west-1", "blue", "cotton", "kids", "home", "garden",
};
static const char *const uas[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
	"Gecko) Version/17.4.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
	"like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.6367.82 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
	"curl/7.88.1",
	"curl/8.5.0",
	"python-requests/2.31.0",
	"Go-http-client/1.1",
	"kube-probe/1.29",
	"okhttp/4.12.0",
	"Apache-HttpClient/4.5.14 (Java/17.0.10)",
	"axios/1.6.8",
	"grpc-go/1.62.1",
	"Prometheus/2.51.2",
	"Wget/1.21.3",
	"Envoy/HC",
};
static const char *const hosts[] = {
	"shop.example.com", "api.internal", "orders.default.svc.cluster.local:8080",
	"payments.prod.svc:8443", "10.0.3.17:8080", "catalog:8000", "auth.prod.svc.cluster.local",
};
static const char *const json_keys[] = {
	"id", "name", "email", "price", "quantity", "currency", "sku", "created_at",
	"updated_at", "status", "description", "tags", "address", "city", "zip", "country",
	"user_id", "order_id", "total", "discount", "version", "enabled", "note", "locale",
};

static void gen_param_value(struct rng *r, struct sb *v)
{
	switch (below(r, 10)) {
	case 0:
	case 1:
		sb_fmt(v, "%u", below(r, 2) ? below(r, 100) : below(r, 10000000));
		break;
	case 2:
		sb_str(v, PICK(r, words));
		break;
	case 3:
		sb_fmt(v, "%s %s", PICK(r, words), PICK(r, words));
		break;
	case 4:
		sb_fmt(v, "%s.%s%u@example.com", PICK(r, words), PICK(r, words), below(r, 1000));
		break;
	case 5:
		sb_uuid(v, r);
		break;
	case 6:
		sb_b64(v, r, range(r, 20, 43), true);
		break;
	case 7:
		sb_fmt(v, "2024-%02u-%02uT%02u:%02u:%02uZ", range(r, 1, 12), range(r, 1, 28),
		       below(r, 24), below(r, 60), below(r, 60));
		break;
	case 8:
		sb_str(v, "id,name,price,updated_at");
		break;
	default:
		sb_str(v, below(r, 2) ? "true" : "false");
	}
}

static void url_encode(struct sb *v, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (is_alpha(c) || (c >= '0' && c <= '9') || (c && strchr("-._~", c)))
			sb_ch(v, (char)c);
		else
			sb_fmt(v, "%%%02X", c);
	}
}

/* name=value pairs; @encoded: as on the wire, else decoded (http.uri). */
static void gen_query(struct rng *r, struct sb *v, unsigned n, bool encoded)
{
	for (unsigned i = 0; i < n; i++) {
		struct sb val = {0};

		gen_param_value(r, &val);
		sb_fmt(v, "%s%s=", i ? "&" : "", PICK(r, qnames));
		if (encoded)
			url_encode(v, val.p, val.len);
		else
			sb_add(v, val.p, val.len);
		free(val.p);
	}
}

static void gen_path(struct rng *r, struct sb *v)
{
	unsigned n = range(r, 1, 5);

	for (unsigned i = 0; i < n; i++) {
		sb_ch(v, '/');
		switch (below(r, 10)) {
		case 0:
			sb_fmt(v, "%u", range(r, 1, 999999));
			break;
		case 1:
			sb_uuid(v, r);
			break;
		case 2:
			sb_hex(v, r, 24);
			break;
		default:
			sb_str(v, PICK(r, path_words));
		}
	}
	if (below(r, 4) == 0)
		sb_str(v, PICK(r, exts));
}

/* http.uri as the engine builds it: the path, then '?' and the query
 * decoded. */
static void gen_uri(struct rng *r, struct sb *v)
{
	gen_path(r, v);
	if (below(r, 2)) {
		sb_ch(v, '?');
		gen_query(r, v, range(r, 1, 6), false);
	}
}

static void gen_jwt(struct rng *r, struct sb *v)
{
	sb_str(v, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.");
	sb_b64(v, r, range(r, 120, 220), true);
	sb_ch(v, '.');
	sb_b64(v, r, 43, true);
}

/* Header fields "Name: value\r\n" as http.header holds them: a browser's,
 * curl's or a service client's. @ua overrides the User-Agent; @ctype and
 * @clen describe a body (NULL: none); @extra is one more field. */
static void gen_headers(struct rng *r, struct sb *v, const struct sb *ua, const char *ctype,
			size_t clen, const struct sb *extra)
{
	unsigned profile = below(r, 5); /* 0, 1: browser; 2: curl; else a service */
	const char *host = PICK(r, hosts);

	sb_fmt(v, "Host: %s\r\n", host);
	if (profile < 2) {
		sb_str(v, "Connection: keep-alive\r\n");
		sb_str(v, "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", "
			  "\"Not-A.Brand\";v=\"99\"\r\nsec-ch-ua-mobile: ?0\r\n"
			  "sec-ch-ua-platform: \"Windows\"\r\n");
		sb_str(v, "User-Agent: ");
		if (ua)
			sb_add(v, ua->p, ua->len);
		else
			sb_str(v, uas[below(r, 6)]);
		sb_str(v, "\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,"
			  "image/avif,image/webp,*/*;q=0.8\r\n");
		sb_str(v, "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: navigate\r\n"
			  "Sec-Fetch-Dest: document\r\n");
		sb_fmt(v, "Referer: https://%s", host);
		gen_path(r, v);
		sb_str(v, "\r\nAccept-Encoding: gzip, deflate, br\r\n");
		sb_fmt(v, "Accept-Language: %s\r\n",
		       below(r, 2) ? "en-US,en;q=0.9" : "de-DE,de;q=0.9,en;q=0.8");
		sb_fmt(v, "Cookie: _ga=GA1.2.%u.%u; session=", below(r, 1000000000),
		       below(r, 1000000000));
		sb_b64(v, r, range(r, 32, 64), true);
		sb_str(v, "; csrftoken=");
		sb_b64(v, r, 32, true);
		sb_str(v, "\r\n");
	} else if (profile == 2) {
		sb_str(v, "User-Agent: ");
		if (ua)
			sb_add(v, ua->p, ua->len);
		else
			sb_str(v, below(r, 2) ? "curl/7.88.1" : "curl/8.5.0");
		sb_str(v, "\r\nAccept: */*\r\n");
	} else {
		sb_str(v, "User-Agent: ");
		if (ua)
			sb_add(v, ua->p, ua->len);
		else
			sb_str(v, uas[range(r, 8, NELEM(uas) - 1)]);
		sb_str(v, "\r\nAccept: application/json\r\nAccept-Encoding: gzip\r\n"
			  "Authorization: Bearer ");
		gen_jwt(r, v);
		sb_str(v, "\r\nX-Request-Id: ");
		sb_uuid(v, r);
		sb_str(v, "\r\ntraceparent: 00-");
		sb_hex(v, r, 32);
		sb_ch(v, '-');
		sb_hex(v, r, 16);
		sb_str(v, "-01\r\n");
	}
	if (ctype)
		sb_fmt(v, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, clen);
	if (extra)
		sb_add(v, extra->p, extra->len);
}

static uint32_t json_target(struct rng *r)
{
	unsigned b = below(r, 10);

	return b < 5 ? range(r, 200, 800) : b < 8 ? range(r, 800, 2000) : range(r, 2000, 4096);
}

static void gen_json_value(struct rng *r, struct sb *v, unsigned depth)
{
	switch (below(r, depth ? 6 : 8)) {
	case 0:
	case 1:
		sb_fmt(v, "%u", below(r, 100000));
		break;
	case 2:
		sb_fmt(v, "%u.%02u", below(r, 1000), below(r, 100));
		break;
	case 3:
		sb_fmt(v, "\"%s %s %s\"", PICK(r, words), PICK(r, words), PICK(r, words));
		break;
	case 4:
		sb_str(v, below(r, 2) ? "true" : below(r, 2) ? "false" : "null");
		break;
	case 5:
		sb_ch(v, '"');
		sb_uuid(v, r);
		sb_ch(v, '"');
		break;
	default: { /* an array of line items */
		unsigned n = range(r, 1, 4);

		sb_ch(v, '[');
		for (unsigned i = 0; i < n; i++)
			sb_fmt(v, "%s{\"sku\":\"%c%c-%04u\",\"qty\":%u,\"price\":%u.%02u}",
			       i ? "," : "", 'A' + below(r, 26), 'A' + below(r, 26),
			       below(r, 10000), range(r, 1, 5), below(r, 500), below(r, 100));
		sb_ch(v, ']');
	}
	}
}

/* A JSON object of about @target bytes. */
static void gen_json(struct rng *r, struct sb *v, uint32_t target)
{
	size_t start = v->len;

	sb_ch(v, '{');
	for (unsigned i = 0; v->len - start < target; i++) {
		sb_fmt(v, "%s\"%s\":", i ? "," : "", PICK(r, json_keys));
		if (below(r, 8) == 0) {
			sb_fmt(v, "{\"%s\":", PICK(r, json_keys));
			gen_json_value(r, v, 1);
			sb_fmt(v, ",\"%s\":", PICK(r, json_keys));
			gen_json_value(r, v, 1);
			sb_ch(v, '}');
		} else {
			gen_json_value(r, v, 0);
		}
	}
	sb_ch(v, '}');
}

static void gen_dns(struct rng *r, struct sb *v)
{
	static const char *const svcs[] = {
		"orders", "payments", "redis-master", "postgres", "kafka-0.kafka-headless",
		"api-gateway", "auth", "catalog", "inventory", "frontend", "prometheus", "grafana",
		"elasticsearch", "rabbitmq",
	};
	static const char *const nss[] = {"default", "prod", "staging", "monitoring",
					  "kube-system", "data"};
	static const char *const ext[] = {
		"api.github.com", "s3.eu-west-1.amazonaws.com", "sts.amazonaws.com",
		"www.googleapis.com", "oauth2.googleapis.com", "registry-1.docker.io",
		"auth.docker.io", "ghcr.io", "pypi.org", "files.pythonhosted.org",
		"o450123.ingest.sentry.io", "api.stripe.com", "hooks.slack.com",
		"login.microsoftonline.com",
	};
	unsigned b = below(r, 10);

	if (b < 5) {
		sb_fmt(v, "%s.%s.svc.cluster.local", PICK(r, svcs), PICK(r, nss));
	} else if (b < 7) { /* the search list at work */
		sb_fmt(v, "%s.%s.svc.cluster.local", PICK(r, ext), PICK(r, nss));
	} else if (b < 9) {
		sb_str(v, PICK(r, ext));
	} else {
		sb_ch(v, 'd');
		sb_hex(v, r, 13);
		sb_str(v, ".cloudfront.net");
	}
}

static void gen_sql(struct rng *r, struct sb *v)
{
	static const char *const models[] = {"shop_order", "shop_item", "auth_user",
					     "shop_product", "billing_invoice", "core_event"};
	const char *m = PICK(r, models);

	switch (below(r, 7)) {
	case 0:
		sb_fmt(v, "SELECT \"%s\".\"id\", \"%s\".\"customer_id\", \"%s\".\"status\", "
			  "\"%s\".\"total\", \"%s\".\"created_at\" FROM \"%s\" WHERE "
			  "\"%s\".\"customer_id\" = %u ORDER BY \"%s\".\"created_at\" "
			  "DESC LIMIT 21",
		       m, m, m, m, m, m, m, below(r, 1000000), m);
		break;
	case 1:
		sb_fmt(v, "SELECT COUNT(*) AS \"__count\" FROM \"%s\" WHERE (\"%s\".\"order_id\" = "
			  "%u AND \"%s\".\"deleted\" = false)",
		       m, m, below(r, 1000000), m);
		break;
	case 2:
		sb_fmt(v, "INSERT INTO \"%s\" (\"kind\", \"payload\", \"created_at\") "
			  "VALUES ('%s', '",
		       m, PICK(r, words));
		gen_json(r, v, range(r, 60, 300));
		sb_fmt(v, "', '2024-05-%02uT10:%02u:%02u.%06u+00:00') RETURNING \"%s\".\"id\"",
		       range(r, 1, 28), below(r, 60), below(r, 60), below(r, 1000000), m);
		break;
	case 3:
		sb_fmt(v, "UPDATE \"%s\" SET \"last_seen\" = '2024-05-17T10:22:31+00:00', \"ip\" = "
			  "'10.0.%u.%u' WHERE \"%s\".\"session_key\" = '",
		       m, below(r, 256), below(r, 256), m);
		sb_hex(v, r, 32);
		sb_ch(v, '\'');
		break;
	case 4:
		sb_fmt(v, "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %u;",
		       (int)below(r, 10000) - 5000, below(r, 1000000));
		break;
	case 5:
		sb_fmt(v, "SELECT abalance FROM pgbench_accounts WHERE aid = %u;",
		       below(r, 1000000));
		break;
	default:
		sb_fmt(v, "SELECT \"%s\".\"id\", \"%s\".\"name\", \"%s\".\"price\" FROM \"%s\" "
			  "WHERE \"%s\".\"name\"::text LIKE '%%%s%%' LIMIT 50",
		       m, m, m, m, m, PICK(r, words));
	}
}

static void gen_field(unsigned k, struct rng *r, struct sb *v)
{
	switch (k) {
	case K_URI:
		gen_uri(r, v);
		break;
	case K_HDR:
		gen_headers(r, v, NULL, NULL, 0, NULL);
		break;
	case K_UA:
		sb_str(v, PICK(r, uas));
		break;
	case K_PARAM:
		gen_param_value(r, v);
		break;
	case K_BODY:
		gen_json(r, v, json_target(r));
		break;
	case K_DNS:
		gen_dns(r, v);
		break;
	default:
		gen_sql(r, v);
	}
}

/* -------------------------------------------------------------- corpora */

struct corpus {
	struct sb data;
	size_t *off;
	uint32_t *len;
	size_t n, cap;
	struct dpi_slice *v; /* once sealed */
	uint64_t bytes;
	unsigned injected;
};

static void corpus_add(struct corpus *c, const uint8_t *p, size_t n)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->off = xrealloc(c->off, c->cap * sizeof(*c->off));
		c->len = xrealloc(c->len, c->cap * sizeof(*c->len));
	}
	c->off[c->n] = c->data.len;
	c->len[c->n++] = (uint32_t)n;
	sb_add(&c->data, p, n);
	c->bytes += n;
}

static void corpus_seal(struct corpus *c)
{
	c->v = xcalloc(c->n, sizeof(*c->v));
	for (size_t i = 0; i < c->n; i++)
		c->v[i] = (struct dpi_slice){c->data.p + c->off[i], c->len[i]};
}

static void corpus_free(struct corpus *c)
{
	free(c->data.p);
	free(c->off);
	free(c->len);
	free(c->v);
}

struct bench {
	struct grule *rules;
	struct sb text;
	size_t line_end[RULES_MAX];
	/* rules of the first set, per kind: where samples come from and what
	 * the naive baseline looks for */
	const struct grule *first[K__N][FIRST_SET];
	unsigned nfirst[K__N];
	const struct grule *one[K__N];   /* the memmem baseline's literal */

	struct nset {
		size_t n;
		struct dpi_rule_set *rs;
		struct dpi_sig_db *db;
		struct dpi_sig_scratch *s;
		double load_s, compile_s, scratch_s;
		unsigned per_kind[K__N];
		unsigned shape[4];             /* one content, two, pcre, anchored */
		uint64_t hs_state, heap_state; /* bytes per stream */
	} set[N_SETS];

	struct corpus field[K_FIELDS];
	struct corpus streams;         /* STREAM_LEN bytes each */
	unsigned streams_injected;
	struct corpus http;            /* HTTP_PER_STREAM requests per value */
	unsigned http_requests, http_injected;

	struct http_cfg {
		const char *label;
		struct dpi_worker *w;
		struct dpi_sigs *sigs;
		struct dpi_ops ops;
		double new_s;
		uint64_t records, alerts_custom, alerts_builtin, anomalies;
	} cfg[3];

	struct cell {
		enum { CK_FIELD, CK_STREAM, CK_HTTP } ck;
		enum { E_MEMMEM, E_NAIVE, E_SIG } e;
		unsigned kind, ni;
		uint32_t seg;
		uint64_t bytes, items, hits; /* per pass */
		uint64_t passes;             /* warm-up included */
		double t[MAX_ROUNDS];        /* seconds per pass */
		double wall, cpu;
	} cells[MAX_CELLS];
	unsigned ncells;
};

/* @v with a rule's sample inserted at a random place, one time in 100. */
static bool maybe_inject(struct bench *b, struct rng *r, unsigned k, struct sb *v)
{
	const struct grule *g;
	size_t pos;
	struct sb o = {0};

	if (!permille(r, 10) || !b->nfirst[k])
		return false;
	g = b->first[k][below(r, b->nfirst[k])];
	pos = below(r, (uint32_t)v->len + 1);
	sb_add(&o, v->p, pos);
	sb_add(&o, g->sample, g->sample_len);
	sb_add(&o, v->p + pos, v->len - pos);
	free(v->p);
	*v = o;
	return true;
}

static void build_fields(struct bench *b, double scale)
{
	static const unsigned count[K_FIELDS] = {
		[K_URI] = 6000, [K_HDR] = 2000, [K_UA] = 6000, [K_PARAM] = 12000,
		[K_BODY] = 800, [K_DNS] = 10000, [K_SQL] = 3000,
	};

	for (unsigned k = 0; k < K_FIELDS; k++) {
		struct rng r = {100 + k};
		unsigned n = (unsigned)(count[k] * scale);

		for (unsigned i = 0; i < (n ? n : 1); i++) {
			struct sb v = {0};

			gen_field(k, &r, &v);
			b->field[k].injected += maybe_inject(b, &r, k, &v);
			corpus_add(&b->field[k], v.p, v.len);
			free(v.p);
		}
		corpus_seal(&b->field[k]);
	}
}

/* One HTTP/1.1 request: 50% GET with a query, 25% form POST, 25% JSON POST.
 * @inj: a rule whose sample goes where its buffer is (NULL: none). */
static void gen_request(struct rng *r, struct sb *out, const struct grule *inj)
{
	unsigned type = below(r, 4); /* 0, 1: GET; 2: form; 3: JSON */
	unsigned ik = inj ? inj->kind : K__N;
	struct sb path = {0}, body = {0}, ua = {0}, extra = {0};
	const char *ctype = NULL;

	if (ik == K_BODY)
		type = 3;
	gen_path(r, &path);
	if (ik == K_URI) {
		sb_ch(&path, '/');
		for (size_t i = 0; i < inj->sample_len; i++) {
			uint8_t c = inj->sample[i];

			if (c > ' ' && c < 0x7f && !strchr("?#%+\"", c))
				sb_add(&path, &c, 1);
			else
				sb_fmt(&path, "%%%02X", c);
		}
	}
	if (type < 2 || ik == K_PARAM) {
		sb_ch(&path, '?');
		gen_query(r, &path, range(r, 1, 6), true);
		if (ik == K_PARAM) {
			sb_str(&path, "&x=");
			url_encode(&path, inj->sample, inj->sample_len);
		}
	}
	if (type == 2) {
		ctype = "application/x-www-form-urlencoded";
		gen_query(r, &body, range(r, 2, 8), true);
	} else if (type == 3) {
		ctype = "application/json";
		gen_json(r, &body, json_target(r));
		if (ik == K_BODY) {
			struct sb o = {0};

			sb_ch(&o, '{');
			sb_add(&o, inj->sample, inj->sample_len);
			sb_ch(&o, ',');
			sb_add(&o, body.p + 1, body.len - 1);
			free(body.p);
			body = o;
		}
	}
	if (ik == K_UA) {
		sb_fmt(&ua, "%s ", PICK(r, uas));
		sb_add(&ua, inj->sample, inj->sample_len);
	}
	if (ik == K_HDR) {
		sb_str(&extra, "X-Bench: ");
		sb_add(&extra, inj->sample, inj->sample_len);
		sb_str(&extra, "\r\n");
	}
	sb_str(out, type < 2 ? "GET " : "POST ");
	sb_add(out, path.p, path.len);
	sb_str(out, " HTTP/1.1\r\n");
	gen_headers(r, out, ik == K_UA ? &ua : NULL, ctype, body.len, ik == K_HDR ? &extra : NULL);
	sb_str(out, "\r\n");
	sb_add(out, body.p, body.len);
	free(path.p);
	free(body.p);
	free(ua.p);
	free(extra.p);
}

/* Part 3's streams: client HTTP, server JSON responses, or binary (TLS
 * records, gRPC: bytes without structure here), 64 KiB each; one in eight
 * carries a raw-stream rule's sample at a random offset. */
static void build_streams(struct bench *b, unsigned n)
{
	struct rng r = {200};

	for (unsigned i = 0; i < n; i++) {
		struct sb s = {0};

		while (s.len < STREAM_LEN) {
			if (i % 4 < 2) {
				gen_request(&r, &s, NULL);
			} else if (i % 4 == 2) {
				struct sb j = {0};

				gen_json(&r, &j, json_target(&r));
				sb_fmt(&s, "HTTP/1.1 200 OK\r\nServer: nginx/1.25.4\r\n"
					   "Date: Fri, 17 May 2024 10:%02u:%02u GMT\r\n"
					   "Content-Type: application/json\r\n"
					   "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
				       below(&r, 60), below(&r, 60), j.len);
				sb_add(&s, j.p, j.len);
				free(j.p);
			} else {
				uint64_t x = rnd(&r);

				sb_add(&s, &x, sizeof(x));
			}
		}
		s.len = STREAM_LEN;
		if (i % 8 == 3 && b->nfirst[K_STREAM]) {
			const struct grule *g = b->first[K_STREAM][below(&r, b->nfirst[K_STREAM])];
			uint32_t at = below(&r, STREAM_LEN - g->sample_len);

			memcpy(s.p + at, g->sample, g->sample_len);
			b->streams_injected++;
		}
		corpus_add(&b->streams, s.p, s.len);
		free(s.p);
	}
	corpus_seal(&b->streams);
}

/* Part 5's corpus: @n requests, HTTP_PER_STREAM per connection. */
static void build_http(struct bench *b, unsigned n)
{
	static const uint8_t inj_kinds[] = {K_URI, K_HDR, K_UA, K_PARAM, K_BODY};
	struct rng r = {300};
	struct sb s = {0};

	for (unsigned i = 0; i < n; i++) {
		const struct grule *g = NULL;

		if (permille(&r, 10)) {
			unsigned k = PICK(&r, inj_kinds);

			g = b->first[k][below(&r, b->nfirst[k])];
			b->http_injected++;
		}
		gen_request(&r, &s, g);
		if ((i + 1) % HTTP_PER_STREAM == 0 || i + 1 == n) {
			corpus_add(&b->http, s.p, s.len);
			s.len = 0;
		}
	}
	free(s.p);
	b->http_requests = n;
	corpus_seal(&b->http);
}

/* ------------------------------------------------ stream state counting */

static uint64_t hs_live;

static void *count_alloc(size_t n)
{
	uint8_t *p = malloc(n + 16);

	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	hs_live += n;
	return p + 16;
}

static void count_free(void *p)
{
	size_t n;

	if (!p)
		return;
	memcpy(&n, (uint8_t *)p - 16, sizeof(n));
	hs_live -= n;
	free((uint8_t *)p - 16);
}

/* Bytes a stream keeps: Hyperscan's state (exact, from the allocator)
 * and all of it (heap growth, malloc headers included; 0 when the
 * allocator doesn't tell, as under ASan). */
static void stream_state(struct nset *ns)
{
	struct dpi_sig_stream *st[STATE_STREAMS];
	struct mallinfo2 m0, m1;
	uint64_t h0 = hs_live;

	m0 = mallinfo2();
	for (unsigned i = 0; i < STATE_STREAMS; i++)
		if (dpi_sig_stream_open(ns->db, &st[i]) < 0 || !st[i])
			die("dpi_sig_stream_open failed");
	m1 = mallinfo2();
	ns->hs_state = (hs_live - h0) / STATE_STREAMS;
	/* less the counting allocator's own header */
	ns->heap_state = m1.uordblks > m0.uordblks
				 ? (m1.uordblks - m0.uordblks) / STATE_STREAMS - 16
				 : 0;
	for (unsigned i = 0; i < STATE_STREAMS; i++)
		dpi_sig_stream_close(ns->s, st[i]);
}

/* ---------------------------------------------------------------- passes */

static void count_alert(void *ctx, const struct dpi_sig_alert *a)
{
	(void)a;
	(*(uint64_t *)ctx)++;
}

static uint64_t naive(const struct grule *const *g, unsigned n, const uint8_t *p, size_t len)
{
	uint64_t hits = 0;

	for (unsigned i = 0; i < n; i++)
		if (g[i]->lit_len && memmem(p, len, g[i]->lit, g[i]->lit_len))
			hits++;
	return hits;
}

static uint64_t field_pass(struct bench *b, const struct cell *c)
{
	const struct corpus *cp = &b->field[c->kind];
	const struct grule *one = b->one[c->kind];
	uint64_t hits = 0;

	if (c->e == E_SIG) {
		const struct nset *ns = &b->set[c->ni];
		enum dpi_rule_buffer buf = kinds[c->kind].buf;
		struct dpi_sig_tx tx = {.app = kinds[c->kind].app, .dir = DPI_TO_SERVER};
		uint64_t cb = 0;

		tx.nvals[buf] = 1;
		for (size_t i = 0; i < cp->n; i++) {
			int r;

			tx.vals[buf] = &cp->v[i];
			r = dpi_sig_inspect(ns->db, ns->s, &tx, count_alert, &cb);
			if (r < 0)
				die("dpi_sig_inspect: %s", strerror(-r));
			hits += (uint64_t)r;
		}
		return hits;
	}
	for (size_t i = 0; i < cp->n; i++) {
		if (c->e == E_MEMMEM)
			hits += memmem(cp->v[i].p, cp->v[i].len, one->lit, one->lit_len) != NULL;
		else
			hits += naive(b->first[c->kind], b->nfirst[c->kind], cp->v[i].p,
				      cp->v[i].len);
	}
	return hits;
}

static uint64_t stream_pass(struct bench *b, const struct cell *c)
{
	const struct corpus *cp = &b->streams;
	const struct grule *one = b->one[K_STREAM];
	uint64_t hits = 0;

	for (size_t i = 0; i < cp->n; i++) {
		const uint8_t *p = cp->v[i].p;
		uint32_t len = cp->v[i].len;
		const struct nset *ns = &b->set[c->ni];
		struct dpi_sig_stream *st = NULL;

		if (c->e == E_SIG && (dpi_sig_stream_open(ns->db, &st) < 0 || !st))
			die("dpi_sig_stream_open failed");
		for (uint32_t off = 0; off < len; off += c->seg) {
			uint32_t n = len - off < c->seg ? len - off : c->seg;
			int r;

			switch (c->e) {
			case E_MEMMEM:
				hits += memmem(p + off, n, one->lit, one->lit_len) != NULL;
				break;
			case E_NAIVE:
				hits += naive(b->first[K_STREAM], b->nfirst[K_STREAM], p + off, n);
				break;
			default:
				r = dpi_sig_stream_scan(ns->db, ns->s, st, DPI_RULE_APP_NONE,
							DPI_TO_SERVER, p + off, n, count_alert,
							&hits);
				if (r < 0)
					die("dpi_sig_stream_scan: %s", strerror(-r));
			}
		}
		dpi_sig_stream_close(ns->s, st);
	}
	return hits;
}

static void on_record(void *ctx, void *cookie, struct bh_event *ev)
{
	struct http_cfg *h = ctx;

	(void)cookie;
	if (ev->type == BH_EV_ALERT) {
		if (ev->alert.sid >= SID_BASE && ev->alert.sid < SID_BASE + RULES_MAX)
			h->alerts_custom++;
		else
			h->alerts_builtin++;
	} else {
		h->records++;
	}
}

static void on_anomaly(void *ctx, void *cookie, const char *event)
{
	struct http_cfg *h = ctx;

	(void)cookie;
	(void)event;
	h->anomalies++;
}

static uint64_t http_pass(struct bench *b, const struct cell *c)
{
	struct http_cfg *h = &b->cfg[c->ni];
	static const uint8_t cli[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 1, 7};
	static const uint8_t srv[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 3, 17};
	struct dpi_flow_meta m = {.ipproto = IPPROTO_TCP, .client_port = 41000,
				  .server_port = 8080, .client_addr = cli, .server_addr = srv};
	uint64_t a0 = h->alerts_custom + h->alerts_builtin;

	for (size_t i = 0; i < b->http.n; i++) {
		struct dpi_flow *f = NULL;
		const uint8_t *p = b->http.v[i].p;
		uint32_t len = b->http.v[i].len;

		for (uint32_t off = 0; off < len; off += HTTP_MSS) {
			uint32_t n = len - off < HTTP_MSS ? len - off : HTTP_MSS;

			dpi_stream(h->w, &f, b, &m, DPI_TO_SERVER, p + off, n, 0);
		}
		dpi_flow_end(h->w, &f, b);
	}
	return h->alerts_custom + h->alerts_builtin - a0;
}

static uint64_t run_pass(struct bench *b, const struct cell *c)
{
	switch (c->ck) {
	case CK_FIELD:
		return field_pass(b, c);
	case CK_STREAM:
		return stream_pass(b, c);
	default:
		return http_pass(b, c);
	}
}

static struct cell *add_cell(struct bench *b, int ck, int e, unsigned kind, unsigned ni,
			     uint32_t seg)
{
	struct cell *c;

	if (b->ncells == MAX_CELLS)
		die("too many cells");
	c = &b->cells[b->ncells++];
	c->ck = ck;
	c->e = e;
	c->kind = kind;
	c->ni = ni;
	c->seg = seg;
	switch (ck) {
	case CK_FIELD:
		c->bytes = b->field[kind].bytes;
		c->items = b->field[kind].n;
		break;
	case CK_STREAM:
		c->bytes = b->streams.bytes;
		c->items = b->streams.n;
		break;
	default:
		c->bytes = b->http.bytes;
		c->items = b->http_requests;
	}
	return c;
}

/* round < 0: the warm-up, one pass (faults in every page the cell
 * touches). Else as many passes as fit in @target s, at least one. */
static void time_cell(struct bench *b, struct cell *c, int round, double target)
{
	double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), t;
	uint64_t n = 0;

	do {
		c->hits = run_pass(b, c);
		n++;
		t = clock_s(CLOCK_MONOTONIC) - t0;
	} while (round >= 0 && t < target);
	c->passes += n;
	if (round < 0)
		return;
	c->t[round] = t / (double)n;
	c->wall += t;
	c->cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
}

/* ------------------------------------------------------------- printing */

static double median(const double *v, unsigned n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double x = s[j];

			s[j] = s[j - 1];
			s[j - 1] = x;
		}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double mbps(const struct cell *c, unsigned nr)
{
	return (double)c->bytes / median(c->t, nr) / 1e6;
}

/* "min-max" MB/s over the rounds, so the noise shows. */
static void spread(char *out, size_t n, const struct cell *c, unsigned nr)
{
	double lo = 1e300, hi = 0;

	for (unsigned i = 0; i < nr; i++) {
		double v = (double)c->bytes / c->t[i] / 1e6;

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	snprintf(out, n, "%.0f-%.0f", lo, hi);
}

static const struct cell *find_cell(const struct bench *b, int ck, int e, unsigned kind,
				    unsigned ni, uint32_t seg)
{
	for (unsigned i = 0; i < b->ncells; i++) {
		const struct cell *c = &b->cells[i];

		if ((int)c->ck == ck && (int)c->e == e && (ck != CK_FIELD || c->kind == kind) &&
		    (e != E_SIG || c->ni == ni) && (ck != CK_STREAM || c->seg == seg) &&
		    (ck != CK_HTTP || c->ni == ni))
			return c;
	}
	return NULL;
}

static void db_stats(const struct dpi_sig_db *db, unsigned *ret_pre, unsigned *ret_pcre,
		     unsigned *ret_stream, size_t *ret_bytes)
{
	size_t bytes = 0;

	*ret_pre = *ret_pcre = *ret_stream = 0;
	for (unsigned k = 0; k < DPI_RB__COUNT; k++) {
		if (db->bdb[k]) {
			(*ret_pre)++;
			bytes += dpi_hs_db_size(db->bdb[k]);
		}
	}
	for (size_t i = 0; i < db->mbase[db->rules->n_rules]; i++) {
		if (db->mdb[i]) {
			(*ret_pcre)++;
			bytes += dpi_hs_db_size(db->mdb[i]);
		}
	}
	if (db->sdb) {
		*ret_stream = 1;
		bytes += dpi_hs_db_size(db->sdb);
	}
	*ret_bytes = bytes;
}

static void print_part1(const struct bench *b)
{
	printf("== 1. Rule sets: loader and compile times (one run each, wall clock)\n"
	       "   load = dpi_rules_load_buffer() of the rule text; compile = dpi_sig_compile(); "
	       "scratch = dpi_sig_scratch_new().\n"
	       "   hs dbs = Hyperscan databases: prefilter (one per buffer) + pcre confirmation "
	       "(one per pcre) + raw-stream (streaming mode)\n\n");
	printf("%6s %8s %9s %9s %11s %11s %8s %14s %9s %9s %7s\n", "N", "rules", "text_KB",
	       "load_ms", "compile_ms", "scratch_ms", "hs_dbs", "pre+pcre+strm", "db_KB",
	       "streamed", "always");
	for (unsigned i = 0; i < N_SETS; i++) {
		const struct nset *ns = &b->set[i];
		unsigned pre, pcre, strm;
		size_t bytes, streamed = 0;
		char split[32];

		db_stats(ns->db, &pre, &pcre, &strm, &bytes);
		for (size_t r = 0; r < ns->rs->n_rules; r++)
			streamed += ns->db->streamed[r];
		snprintf(split, sizeof(split), "%u+%u+%u", pre, pcre, strm);
		printf("%6zu %8zu %9.1f %9.1f %11.1f %11.1f %8u %14s %9.0f %9zu %7zu\n", ns->n,
		       ns->rs->n_rules, (double)b->line_end[ns->n - 1] / 1024, ns->load_s * 1e3,
		       ns->compile_s * 1e3, ns->scratch_s * 1e3, pre + pcre + strm, split,
		       (double)bytes / 1024, streamed, ns->db->n_always);
	}
	printf("\n   %-18s", "rules on buffer");
	for (unsigned i = 0; i < N_SETS; i++)
		printf(" %6zu", b->set[i].n);
	printf("\n");
	for (unsigned k = 0; k < K__N; k++) {
		printf("   %-18s", kinds[k].name);
		for (unsigned i = 0; i < N_SETS; i++)
			printf(" %6u", b->set[i].per_kind[k]);
		printf("\n");
	}
	printf("   rule shapes (one content / two contents / with a pcre / anchored on a common "
	       "token):");
	for (unsigned i = 0; i < N_SETS; i++)
		printf("%s N=%zu: %u/%u/%u/%u", i ? ";" : "", b->set[i].n, b->set[i].shape[0],
		       b->set[i].shape[1], b->set[i].shape[2], b->set[i].shape[3]);
	printf("\n   streamed = raw-stream rules in the streaming database; always = rules "
	       "without a prefilter pattern (0 expected)\n\n");
}

static void print_field_row(const struct cell *c, const char *engine,
			    unsigned pats, double base, unsigned nr)
{
	char sp[48];
	double t = median(c->t, nr);

	spread(sp, sizeof(sp), c, nr);
	printf("   %-18s %-14s %6u %9.1f %10.0f %8.2f %9llu %5.0f%% %14s\n", kinds[c->kind].name,
	       engine, pats, mbps(c, nr), (double)c->items / t, t / base,
	       (unsigned long long)c->hits, 100 * c->cpu / c->wall, sp);
}

static void print_part2(const struct bench *b, unsigned nr)
{
	printf("== 2. Per-field inspection: dpi_sig_inspect(), one transaction per value with "
	       "ONE buffer set\n"
	       "   (tx.app of the buffer, to server), median of %u rounds; pats = rules on that "
	       "buffer in the set (memmem: literals searched).\n"
	       "   x memmem = time / the memmem row's time; alerts (hits for the baselines) per "
	       "pass over the corpus;\n"
	       "   cpu = thread CPU / wall over all rounds (well under 100%% = waited for a CPU); "
	       "rounds = min-max MB/s\n\n",
	       nr);
	printf("   %-18s %-14s %6s %9s %10s %8s %9s %6s %14s\n", "field", "engine", "pats",
	       "MB/s", "values/s", "x memmem", "alerts", "cpu", "rounds MB/s");
	for (unsigned k = 0; k < K_FIELDS; k++) {
		const struct corpus *cp = &b->field[k];
		const struct cell *mm = find_cell(b, CK_FIELD, E_MEMMEM, k, 0, 0);
		const struct cell *nv = find_cell(b, CK_FIELD, E_NAIVE, k, 0, 0);
		double base = median(mm->t, nr);
		char name[32];

		printf("   %-18s %zu values, %.0f B average, %u carry a rule's sample\n",
		       kinds[k].name, cp->n, (double)cp->bytes / (double)cp->n, cp->injected);
		print_field_row(mm, "memmem 1 lit", 1, base, nr);
		print_field_row(nv, "naive N=100", b->nfirst[k], base, nr);
		for (unsigned i = 0; i < N_SETS; i++) {
			snprintf(name, sizeof(name), "sig N=%zu", b->set[i].n);
			print_field_row(find_cell(b, CK_FIELD, E_SIG, k, i, 0), name,
					b->set[i].per_kind[k], base, nr);
		}
	}
	printf("\n");
}

static void print_part3(const struct bench *b, unsigned nr)
{
	static const uint32_t segs[2] = {1460, 100};
	const struct cell *mm[2];

	printf("== 3. Raw streams: dpi_sig_stream_open/scan/close() per stream (DPI_RULE_APP_NONE, "
	       "to server), median of %u rounds\n"
	       "   %zu streams of %u B per pass (half client HTTP, a quarter JSON responses, a "
	       "quarter binary; %u carry a sample),\n"
	       "   cut into 1460-B and 100-B segments, one scan call each; open and close are "
	       "timed too. Baselines: memmem per segment\n"
	       "   (a literal split across segments is missed). hs state = Hyperscan stream "
	       "state (counting hs_set_stream_allocator);\n"
	       "   heap = malloc growth per dpi_sig_stream_open() over %u opens (mallinfo2; malloc "
	       "headers included, the counting\n"
	       "   allocator's own 16 B not; - when not measurable, as under ASan)\n\n",
	       nr, b->streams.n, STREAM_LEN, b->streams_injected, STATE_STREAMS);
	printf("   %-14s %6s | %9s %8s %7s %5s | %9s %8s %7s %5s | %10s %7s\n", "engine", "pats",
	       "1460B MB/s", "x memmem", "alerts", "cpu", "100B MB/s", "x memmem", "alerts", "cpu",
	       "hs state B", "heap B");
	for (unsigned s = 0; s < 2; s++)
		mm[s] = find_cell(b, CK_STREAM, E_MEMMEM, 0, 0, segs[s]);
	for (int row = -2; row < N_SETS; row++) {
		char name[32], heap[24] = "";
		unsigned pats;

		if (row == -2) {
			snprintf(name, sizeof(name), "memmem 1 lit");
			pats = 1;
		} else if (row == -1) {
			snprintf(name, sizeof(name), "naive N=100");
			pats = b->nfirst[K_STREAM];
		} else {
			snprintf(name, sizeof(name), "sig N=%zu", b->set[row].n);
			pats = b->set[row].per_kind[K_STREAM];
		}
		printf("   %-14s %6u", name, pats);
		for (unsigned s = 0; s < 2; s++) {
			const struct cell *c = find_cell(b, CK_STREAM,
							 row == -2 ? E_MEMMEM
							 : row == -1 ? E_NAIVE : E_SIG,
							 0, row < 0 ? 0 : (unsigned)row, segs[s]);

			printf(" | %10.1f %8.2f %7llu %4.0f%%", mbps(c, nr),
			       median(c->t, nr) / median(mm[s]->t, nr), (unsigned long long)c->hits,
			       100 * c->cpu / c->wall);
		}
		if (row >= 0) {
			if (b->set[row].heap_state)
				snprintf(heap, sizeof(heap), "%llu",
					 (unsigned long long)b->set[row].heap_state);
			else
				snprintf(heap, sizeof(heap), "-");
			printf(" | %10llu %7s\n", (unsigned long long)b->set[row].hs_state, heap);
		} else {
			printf(" | %10s %7s\n", "", "");
		}
	}
	printf("\n");
}

static void print_part4(const struct bench *b, unsigned nr)
{
	printf("== 4. Baselines beside the engine (MB/s from tables 2 and 3): memmem for one "
	       "literal; a naive memmem loop over\n"
	       "   every literal of the N=100 set's rules on that buffer (case-sensitive, no "
	       "confirmation: less work than the engine);\n"
	       "   the naive loop's time grows with the literal count, so at N=10,000 it would "
	       "take ~100x its N=100 time\n\n");
	printf("   %-22s %10s %12s %7s %10s %10s %10s %13s\n", "input", "memmem 1", "naive N=100",
	       "lits", "sig 100", "sig 1000", "sig 10000", "sig100/naive");
	for (unsigned k = 0; k <= K_FIELDS; k++) {
		bool strm = k == K_FIELDS;
		int ck = strm ? CK_STREAM : CK_FIELD;
		const struct cell *nv = find_cell(b, ck, E_NAIVE, k, 0, 1460);
		const struct cell *s100 = find_cell(b, ck, E_SIG, k, 0, 1460);

		printf("   %-22s %10.1f %12.1f %7u", strm ? "raw stream (1460 B)" : kinds[k].name,
		       mbps(find_cell(b, ck, E_MEMMEM, k, 0, 1460), nr), mbps(nv, nr),
		       b->nfirst[strm ? K_STREAM : k]);
		for (unsigned i = 0; i < N_SETS; i++)
			printf(" %10.1f", mbps(find_cell(b, ck, E_SIG, k, i, 1460), nr));
		printf(" %12.2fx\n", mbps(s100, nr) / mbps(nv, nr));
	}
	printf("\n");
}

static void print_part5(const struct bench *b, unsigned nr)
{
	const struct cell *base = find_cell(b, CK_HTTP, 0, 0, 0, 0);

	printf("== 5. Whole engine on HTTP: dpi_stream() in %u-B segments, dpi_flow_end(); %u "
	       "requests (50%% GET with a query,\n"
	       "   25%% form POST, 25%% JSON POST of 200 B-4 KiB) as %zu connections of %u, "
	       "client side only; %u carry a custom rule's sample.\n"
	       "   (a) no signatures; (b) dpi_sigs_new(.sets = DPI_SETS_BUILTIN); (c) built-in + "
	       "the N=1000 rules as a rule file.\n"
	       "   Counts per pass; alerts are flood-controlled per flow (one per sid). Median "
	       "of %u rounds.\n\n",
	       HTTP_MSS, b->http_requests, b->http.n, HTTP_PER_STREAM, b->http_injected, nr);
	printf("   %-28s %6s %10s %9s %8s %8s %9s %9s %8s %5s %7s\n", "config", "rules",
	       "compile_ms", "req/s", "MB/s", "x (a)", "records", "alerts", "custom", "anoms",
	       "cpu");
	for (unsigned i = 0; i < 3; i++) {
		const struct http_cfg *h = &b->cfg[i];
		const struct cell *c = find_cell(b, CK_HTTP, 0, 0, i, 0);
		double t = median(c->t, nr), passes = (double)c->passes;
		printf("   %-28s %6zu %10.1f %9.0f %8.1f %8.2f %9.0f %9.0f %8.0f %5.0f %6.0f%%\n",
		       h->label, dpi_sigs_rules(h->sigs), h->new_s * 1e3, (double)c->items / t,
		       mbps(c, nr), t / median(base->t, nr), (double)h->records / passes,
		       (double)(h->alerts_custom + h->alerts_builtin) / passes,
		       (double)h->alerts_custom / passes, (double)h->anomalies / passes,
		       100 * c->cpu / c->wall);
	}
	printf("\n   x (a) = time per request / (a)'s: b/a = %.2f, c/a = %.2f (1.00 = signatures "
	       "cost nothing)\n",
	       median(find_cell(b, CK_HTTP, 0, 0, 1, 0)->t, nr) / median(base->t, nr),
	       median(find_cell(b, CK_HTTP, 0, 0, 2, 0)->t, nr) / median(base->t, nr));
}

/* ----------------------------------------------------------------- setup */

static void sigs_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "sig_bench: %s\n", msg);
}

static void rules_error(void *ctx, const struct dpi_rule_error *e)
{
	(void)ctx;
	fprintf(stderr, "sig_bench: %s\n", e->text);
}

static void build_sets(struct bench *b)
{
	for (unsigned i = 0; i < N_SETS; i++) {
		struct nset *ns = &b->set[i];
		char err[1024];
		double t0;
		int r;

		ns->n = set_sizes[i];
		for (size_t j = 0; j < ns->n; j++) {
			const struct grule *g = &b->rules[j];

			ns->per_kind[g->kind]++;
			ns->shape[g->flags & GR_ANCHOR ? 3
				  : g->flags & GR_PCRE ? 2
				  : g->flags & GR_TWO	? 1
							: 0]++;
		}
		t0 = clock_s(CLOCK_MONOTONIC);
		r = dpi_rules_load_buffer("sig_bench.rules", (const char *)b->text.p,
					  b->line_end[ns->n - 1], NULL, &ns->rs, rules_error, NULL);
		ns->load_s = clock_s(CLOCK_MONOTONIC) - t0;
		if (r < 0)
			die("loading %zu rules: %s", ns->n, strerror(-r));
		t0 = clock_s(CLOCK_MONOTONIC);
		r = dpi_sig_compile(ns->rs, &ns->db, err, sizeof(err));
		ns->compile_s = clock_s(CLOCK_MONOTONIC) - t0;
		if (r < 0)
			die("compiling %zu rules: %s", ns->n, err);
		t0 = clock_s(CLOCK_MONOTONIC);
		r = dpi_sig_scratch_new(ns->db, &ns->s);
		ns->scratch_s = clock_s(CLOCK_MONOTONIC) - t0;
		if (r < 0)
			die("dpi_sig_scratch_new: %s", strerror(-r));
		stream_state(ns);
		fprintf(stderr, "sig_bench: N=%zu loaded in %.2f s, compiled in %.2f s\n", ns->n,
			ns->load_s, ns->compile_s);
	}
}

/* Part 5's three workers; the custom rules go through a file, as
 * bulkheadd passes them. */
static void build_workers(struct bench *b)
{
	char dir[] = "/tmp/sig_bench.XXXXXX", path[64];
	const char *files[1] = {path};
	static const char *const labels[3] = {"(a) no signatures", "(b) built-in sets",
					      "(c) built-in + 1000 custom"};
	FILE *f;

	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/custom.rules", dir);
	f = fopen(path, "we");
	if (!f || fwrite(b->text.p, 1, b->line_end[999], f) != b->line_end[999] || fclose(f))
		die("writing %s", path);
	for (unsigned i = 0; i < 3; i++) {
		struct http_cfg *h = &b->cfg[i];
		struct dpi_sigs_config sc = {.sets = DPI_SETS_BUILTIN, .rule_files = files,
					     .n_rule_files = i == 2, .error = sigs_error};
		double t0;

		h->label = labels[i];
		h->ops = (struct dpi_ops){.record = on_record, .anomaly = on_anomaly, .ctx = h};
		if (dpi_worker_new(&h->ops, &h->w) < 0)
			die("dpi_worker_new failed");
		if (i == 0)
			continue;
		t0 = clock_s(CLOCK_MONOTONIC);
		if (dpi_sigs_new(&sc, &h->sigs) < 0)
			die("dpi_sigs_new failed");
		h->new_s = clock_s(CLOCK_MONOTONIC) - t0;
		if (dpi_worker_set_sigs(h->w, h->sigs) < 0)
			die("dpi_worker_set_sigs failed");
	}
	unlink(path);
	rmdir(dir);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sig_bench [--quick] [-t SECONDS] [-r ROUNDS]\n"
		   "  -t  seconds per cell and round (default 0.5)\n"
		   "  -r  rounds, median reported (default 3, at most %d)\n"
		   "  --quick  tiny corpora, 1 round, 0.01 s per cell: a smoke test (ASan)\n",
		MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench *b = xcalloc(1, sizeof(*b));
	double target = 0.5, scale = 1, t0;
	unsigned long nr = 3;
	char cpu[128] = "unknown", load[64] = "?";
	int c;

	while ((c = getopt_long(argc, argv, "t:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			target = 0.01;
			nr = 1;
			scale = 0.1;
			break;
		case 't':
			target = strtod(optarg, NULL);
			break;
		case 'r':
			nr = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nr < 1 || nr > MAX_ROUNDS || !(target > 0 && target <= 60)) {
		usage(stderr);
		return 2;
	}
	if (hs_set_stream_allocator(count_alloc, count_free) != HS_SUCCESS)
		die("hs_set_stream_allocator failed");

	/* Inputs and databases first: nothing here is in the throughput. */
	t0 = clock_s(CLOCK_MONOTONIC);
	b->rules = xcalloc(RULES_MAX, sizeof(*b->rules));
	gen_rules(b->rules, &b->text, b->line_end);
	for (size_t i = 0; i < FIRST_SET; i++) {
		const struct grule *g = &b->rules[i];

		b->first[g->kind][b->nfirst[g->kind]++] = g;
		if (!b->one[g->kind] && g->lit_len && !(g->flags & GR_ANCHOR))
			b->one[g->kind] = g;
	}
	for (unsigned k = 0; k < K__N; k++)
		if (!b->one[k])
			die("no plain literal for %s in the first %u rules", kinds[k].name,
			    FIRST_SET);
	build_sets(b);
	build_fields(b, scale);
	build_streams(b, (unsigned)(32 * scale) < 4 ? 4 : (unsigned)(32 * scale));
	build_http(b, (unsigned)(1000 * scale));
	build_workers(b);
	fprintf(stderr, "sig_bench: setup took %.1f s\n", clock_s(CLOCK_MONOTONIC) - t0);

	for (unsigned k = 0; k < K_FIELDS; k++) {
		add_cell(b, CK_FIELD, E_MEMMEM, k, 0, 0);
		add_cell(b, CK_FIELD, E_NAIVE, k, 0, 0);
		for (unsigned i = 0; i < N_SETS; i++)
			add_cell(b, CK_FIELD, E_SIG, k, i, 0);
	}
	for (unsigned s = 0; s < 2; s++) {
		uint32_t seg = s ? 100 : 1460;

		add_cell(b, CK_STREAM, E_MEMMEM, 0, 0, seg);
		add_cell(b, CK_STREAM, E_NAIVE, 0, 0, seg);
		for (unsigned i = 0; i < N_SETS; i++)
			add_cell(b, CK_STREAM, E_SIG, 0, i, seg);
	}
	for (unsigned i = 0; i < 3; i++)
		add_cell(b, CK_HTTP, 0, 0, i, 0);

	t0 = clock_s(CLOCK_MONOTONIC);
	for (unsigned i = 0; i < b->ncells; i++)
		time_cell(b, &b->cells[i], -1, target);
	for (unsigned round = 0; round < nr; round++)
		for (unsigned i = 0; i < b->ncells; i++)
			time_cell(b, &b->cells[i], (int)round, target);

	bench_sysinfo(cpu, sizeof(cpu), load, sizeof(load));
	printf("sig_bench: %ld CPUs online (shared with other jobs: compare rows of this run, "
	       "read ratios), CPU %s,\n"
	       "load average %s; %lu rounds of %.2f s per cell (median shown), %u cells, "
	       "measured in %.0f s; single thread, CLOCK_MONOTONIC\n"
	       "MB = 10^6 bytes. Rules: %u generated (fixed seed), sets N = 100, 1000, 10000 "
	       "are prefixes of them.\n\n",
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, load, nr, target, b->ncells,
	       clock_s(CLOCK_MONOTONIC) - t0, RULES_MAX);
	print_part1(b);
	print_part2(b, (unsigned)nr);
	print_part3(b, (unsigned)nr);
	print_part4(b, (unsigned)nr);
	print_part5(b, (unsigned)nr);

	for (unsigned i = 0; i < 3; i++) {
		dpi_worker_free(b->cfg[i].w);
		dpi_sigs_free(b->cfg[i].sigs);
	}
	for (unsigned i = 0; i < N_SETS; i++) {
		dpi_sig_scratch_free(b->set[i].s);
		dpi_sig_db_free(b->set[i].db);
		dpi_rules_free(b->set[i].rs);
	}
	for (unsigned k = 0; k < K_FIELDS; k++)
		corpus_free(&b->field[k]);
	corpus_free(&b->streams);
	corpus_free(&b->http);
	free(b->text.p);
	free(b->rules);
	free(b);
	return 0;
}
