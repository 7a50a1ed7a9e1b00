/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * l7_gen.c - realistic L7 conversations for parser_bench, built in memory
 * from a seed (see l7_gen.h): browser and nginx HTTP/1.1, a pod's DNS, a
 * Django session on MariaDB, pgbench and Django on PostgreSQL, Chrome
 * ClientHellos. The same seed gives the same bytes.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_dns.h"
#include "dpi_http.h"
#include "dpi_mysql.h"
#include "l7_gen.h"

/* ------------------------------------------------------------ utilities */

static void die(const char *what)
{
	fprintf(stderr, "parser_bench: %s\n", what);
	exit(1);
}

static uint64_t rnd64(struct l7_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rnd(struct l7_rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd64(r) % n) : 0;
}

/* Uniform in [lo, hi]. */
static uint32_t rnd_in(struct l7_rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rnd(r, hi - lo + 1);
}

/* Log-uniform in [lo, hi] (lo > 0), octave by octave: sizes spread over
 * orders of magnitude without libm. */
static uint32_t rnd_log(struct l7_rng *r, uint32_t lo, uint32_t hi)
{
	unsigned a = 31u - (unsigned)__builtin_clz(lo), z = 31u - (unsigned)__builtin_clz(hi);
	uint32_t v;

	do {
		unsigned k = a + rnd(r, z - a + 1);

		v = (1u << k) + rnd(r, 1u << k);
	} while (v < lo || v > hi);
	return v;
}

#define PICK(r, arr) ((arr)[rnd((r), sizeof(arr) / sizeof((arr)[0]))])

static void buf_need(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *np;

	if (b->len + n <= b->cap)
		return;
	while (cap < b->len + n)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np)
		die("out of memory");
	b->p = np;
	b->cap = cap;
}

static void put(struct buf *b, const void *p, size_t n)
{
	buf_need(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_s(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;

	put(b, &c, 1);
}

static void put16be(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put32be(struct buf *b, uint32_t v)
{
	put16be(b, v >> 16);
	put16be(b, v & 0xffff);
}

static void set16be(struct buf *b, size_t at, unsigned v)
{
	b->p[at] = (uint8_t)(v >> 8);
	b->p[at + 1] = (uint8_t)v;
}

static void set24be(struct buf *b, size_t at, uint32_t v)
{
	b->p[at] = (uint8_t)(v >> 16);
	b->p[at + 1] = (uint8_t)(v >> 8);
	b->p[at + 2] = (uint8_t)v;
}

static void set32be(struct buf *b, size_t at, uint32_t v)
{
	set16be(b, at, v >> 16);
	set16be(b, at + 2, v & 0xffff);
}

__attribute__((format(printf, 2, 3))) static void putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("format");
	buf_need(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	die("bad hex");
	return 0;
}

static void put_hex(struct buf *b, const char *hex)
{
	for (; hex[0] && hex[1]; hex += 2)
		put8(b, hexval(hex[0]) << 4 | hexval(hex[1]));
}

static void put_rand(struct buf *b, struct l7_rng *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(b, (uint8_t)rnd64(r));
}

static void put_token(struct buf *b, struct l7_rng *r, size_t n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

	for (size_t i = 0; i < n; i++)
		put8(b, (uint8_t)al[rnd(r, sizeof(al) - 1)]);
}

/* Text that reads like HTML, CSS, JS or JSON to a byte scanner: words,
 * punctuation, a newline every 60-120 bytes. */
static void make_text(struct buf *b, struct l7_rng *r, size_t n)
{
	static const char *const words[] = {
		"the", "div", "class", "return", "function", "var", "const", "product", "price",
		"<span>", "</div>", "{", "}", "items", "\"id\":", "\"name\":", "color:", "margin:",
		"0px;", "width", "=", "if", "(", ")", "null", "true", "false", "data-id", "href",
		"https://cdn.example.internal/img/", "<li>", "</li>", "checkout", "cart", "order",
	};
	size_t line = 0, want = rnd_in(r, 60, 120);

	while (b->len < n) {
		const char *w = PICK(r, words);

		put_s(b, w);
		line += strlen(w) + 1;
		if (line >= want) {
			put8(b, '\n');
			line = 0;
			want = rnd_in(r, 60, 120);
		} else {
			put8(b, ' ');
		}
	}
	b->len = n;
}

/* ------------------------------------------------------------- traces */

static void trace_flow(struct l7_trace *t)
{
	t->newflow = true;
}

/* Everything written since the last flight is one flight of @dir. */
static void trace_flight(struct l7_trace *t, unsigned dir)
{
	if (t->data.len == t->mark)
		return;
	if (t->nfl == t->capfl) {
		size_t cap = t->capfl ? 2 * t->capfl : 1024;
		struct l7_flight *n = realloc(t->fl, cap * sizeof(*n));

		if (!n)
			die("out of memory");
		t->fl = n;
		t->capfl = cap;
	}
	t->fl[t->nfl++] = (struct l7_flight){t->mark, (uint32_t)(t->data.len - t->mark), (uint8_t)dir,
					  t->newflow};
	t->mark = t->data.len;
	t->newflow = false;
}

/* @mss 0: one piece per flight. */
void l7_pieces_make(const struct l7_trace *t, uint32_t mss, struct l7_pieces *out)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < t->nfl; i++)
		n += mss ? (t->fl[i].len + mss - 1) / mss : 1;
	out->v = calloc(n, sizeof(*out->v));
	if (!out->v)
		die("out of memory");
	for (size_t i = 0; i < t->nfl; i++) {
		const struct l7_flight *f = &t->fl[i];
		uint32_t step = mss ? mss : f->len;

		for (uint32_t o = 0; o < f->len; o += step) {
			uint32_t len = f->len - o < step ? f->len - o : step;

			out->v[k++] = (struct l7_piece){t->data.p + f->off + o, len, f->dir,
						     f->newflow && o == 0};
		}
	}
	out->n = k;
}

static void text_add(struct l7_texts *x, size_t off, size_t len)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 1024;
		size_t *o = realloc(x->off, cap * sizeof(*o));
		uint32_t *l;

		if (!o)
			die("out of memory");
		x->off = o;
		l = realloc(x->len, cap * sizeof(*l));
		if (!l)
			die("out of memory");
		x->len = l;
		x->cap = cap;
	}
	x->off[x->n] = off;
	x->len[x->n++] = (uint32_t)len;
}

void l7_pieces_of_texts(const struct l7_texts *x, const struct l7_trace *t, struct l7_pieces *out)
{
	out->v = calloc(x->n ? x->n : 1, sizeof(*out->v));
	if (!out->v)
		die("out of memory");
	for (size_t i = 0; i < x->n; i++)
		out->v[i] = (struct l7_piece){t->data.p + x->off[i], x->len[i], 0, false};
	out->n = x->n;
}

/* ----------------------------------------------------------------- HTTP */

static const char *const http_hosts[] = {
	"shop.example.internal", "www.example.internal", "api.shop.svc.cluster.local",
	"catalog.default.svc.cluster.local:8080", "static.example.internal",
};
static const char *const http_ua[] = {
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
	"Gecko) Version/17.4 Safari/605.1.15",
};

enum { H_ASSET, H_PAGE, H_API, H_FORM, H_JSON };

static const char *const http_date = "Sun, 22 Nov 2026 11:59:46 GMT";

/* A browser's headers after Host: about 12 fields with the cookie. */
static void http_browser_fields(struct buf *b, struct l7_rng *r, const char *accept,
				const char *mode, const char *dest, const char *ua)
{
	put_s(b, "Connection: keep-alive\r\n");
	put_s(b, "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", "
		 "\"Not-A.Brand\";v=\"99\"\r\nsec-ch-ua-mobile: ?0\r\n");
	putf(b, "User-Agent: %s\r\n", ua);
	put_s(b, "sec-ch-ua-platform: \"Linux\"\r\n");
	putf(b, "Accept: %s\r\n", accept);
	putf(b, "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: %s\r\nSec-Fetch-Dest: %s\r\n",
	     mode, dest);
	putf(b, "Referer: https://shop.example.internal/products/%u?ref=home\r\n",
	     rnd_in(r, 1000, 99999));
	put_s(b, "Accept-Encoding: gzip, deflate, br, zstd\r\n"
		 "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n");
	put_s(b, "Cookie: sessionid=");
	put_token(b, r, 32);
	put_s(b, "; csrftoken=");
	put_token(b, r, 32);
	putf(b, "; _ga=GA1.1.%u.%u; cart_items=%u\r\n", rnd(r, 1u << 30), rnd(r, 1u << 30),
	     rnd(r, 9));
}

static void http_request(struct buf *b, struct l7_rng *r, int kind, struct buf *tmp)
{
	static const char *const assets[][3] = {
		{"js", "*/*", "script"},
		{"css", "text/css,*/*;q=0.1", "style"},
		{"webp", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image"},
		{"png", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image"},
		{"woff2", "*/*", "font"},
	};
	static const char *const cats[] = {"shoes", "jackets", "bags", "socks", "hats"};
	const char *host = PICK(r, http_hosts), *ua = PICK(r, http_ua);

	switch (kind) {
	case H_ASSET: {
		unsigned a = rnd(r, 5);

		putf(b, "GET /static/%s/%s.%08x.%s HTTP/1.1\r\nHost: %s\r\n", assets[a][0],
		     PICK(r, cats), rnd(r, 0xffffffffu), assets[a][0], host);
		http_browser_fields(b, r, assets[a][1], "no-cors", assets[a][2], ua);
		break;
	}
	case H_PAGE:
		putf(b, "GET /products/%u/%s-running-shoe?ref=home&utm_source=newsletter&"
			"utm_medium=email&utm_campaign=nov%%20sale HTTP/1.1\r\nHost: %s\r\n",
		     rnd_in(r, 1000, 99999), PICK(r, cats), host);
		put_s(b, "Upgrade-Insecure-Requests: 1\r\n");
		http_browser_fields(b, r,
				    "text/html,application/xhtml+xml,application/xml;q=0.9,"
				    "image/avif,image/webp,*/*;q=0.8",
				    "navigate", "document", ua);
		break;
	case H_API:
		putf(b, "GET /api/v1/products?category=%s&page=%u&page_size=24&sort=price_asc&"
			"q=running+shoes%%20men HTTP/1.1\r\nHost: %s\r\n",
		     PICK(r, cats), rnd_in(r, 1, 40), host);
		put_s(b, "X-Requested-With: XMLHttpRequest\r\n");
		http_browser_fields(b, r, "application/json, text/plain, */*", "cors", "empty", ua);
		break;
	case H_FORM:
		tmp->len = 0;
		put_s(tmp, "csrfmiddlewaretoken=");
		put_token(tmp, r, 64);
		putf(tmp, "&username=user%u&password=", rnd(r, 100000));
		put_token(tmp, r, rnd_in(r, 10, 20));
		put_s(tmp, "%21%40&remember=on&next=%2Faccount%2Forders%2F");
		putf(b, "POST /account/login/ HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n"
			"Cache-Control: max-age=0\r\nOrigin: https://%s\r\n"
			"Content-Type: application/x-www-form-urlencoded\r\n",
		     host, tmp->len, host);
		http_browser_fields(b, r, "text/html,application/xhtml+xml,*/*;q=0.8", "navigate",
				    "document", ua);
		put_s(b, "\r\n");
		put(b, tmp->p, tmp->len);
		return;
	case H_JSON: {
		uint32_t want = rnd_log(r, 200, 4096);

		tmp->len = 0;
		put_s(tmp, "{\"items\":[");
		for (unsigned i = 0; tmp->len + 120 < want; i++)
			putf(tmp, "%s{\"sku\":\"SKU-%06u\",\"qty\":%u,\"price\":%u,\"options\":{"
				  "\"size\":\"%s\",\"color\":\"blue\"}}",
			     i ? "," : "", rnd(r, 999999), rnd_in(r, 1, 5), rnd_in(r, 199, 99999),
			     i & 1 ? "M" : "XL");
		putf(tmp, "],\"currency\":\"EUR\",\"coupon\":null,\"client_ts\":%u}",
		     rnd(r, 1u << 31));
		putf(b, "POST /api/v1/cart/items HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n"
			"Content-Type: application/json\r\nX-CSRFToken: ",
		     host, tmp->len);
		put_token(b, r, 32);
		putf(b, "\r\nOrigin: https://%s\r\n", host);
		http_browser_fields(b, r, "application/json, text/plain, */*", "cors", "empty", ua);
		put_s(b, "\r\n");
		put(b, tmp->p, tmp->len);
		return;
	}
	}
	put_s(b, "\r\n");
}

/* Static asset sizes: 72% 100 B-4 KiB, 25% 4-64 KiB, 3% 64-512 KiB (as
 * gen_pcap draws them). */
static uint32_t http_asset_size(struct l7_rng *r)
{
	uint32_t p = rnd(r, 1000);

	if (p < 720)
		return rnd_log(r, 100, 4096);
	if (p < 970)
		return rnd_log(r, 4096, 65536);
	return rnd_log(r, 65536, 512 * 1024);
}

static void http_body(struct buf *b, const struct buf *text, struct l7_rng *r, uint32_t n)
{
	size_t at = rnd(r, (uint32_t)(text->len - n));

	put(b, text->p + at, n);
}

static void http_fields_common(struct buf *b, const char *ctype)
{
	putf(b, "Server: nginx/1.24.0\r\nDate: %s\r\nContent-Type: %s\r\n", http_date, ctype);
}

static void http_response(struct buf *b, struct l7_rng *r, int kind, const struct buf *text)
{
	static const char *const ctypes[] = {
		"application/javascript", "text/css", "image/webp", "image/png", "font/woff2",
	};

	switch (kind) {
	case H_ASSET:
		if (rnd(r, 10) == 0) {
			putf(b, "HTTP/1.1 304 Not Modified\r\nServer: nginx/1.24.0\r\nDate: %s\r\n"
				"Last-Modified: Tue, 10 Nov 2026 08:12:01 GMT\r\n"
				"Connection: keep-alive\r\nETag: \"6551d0a1-%x\"\r\n"
				"Cache-Control: public, max-age=31536000, immutable\r\n\r\n",
			     http_date, rnd(r, 0xfffff));
		} else {
			uint32_t n = http_asset_size(r);

			put_s(b, "HTTP/1.1 200 OK\r\n");
			http_fields_common(b, PICK(r, ctypes));
			putf(b, "Content-Length: %u\r\nLast-Modified: Tue, 10 Nov 2026 08:12:01 GMT\r\n"
				"Connection: keep-alive\r\nETag: \"6551d0a1-%x\"\r\n"
				"Cache-Control: public, max-age=31536000, immutable\r\n"
				"Accept-Ranges: bytes\r\nVary: Accept-Encoding\r\n\r\n",
			     n, n);
			http_body(b, text, r, n);
		}
		return;
	case H_PAGE:
	case H_API: {
		/* Dynamic: chunked, in the chunks the application wrote. */
		uint32_t total = kind == H_PAGE ? rnd_log(r, 8192, 131072) : rnd_log(r, 500, 32768);

		put_s(b, "HTTP/1.1 200 OK\r\n");
		http_fields_common(b, kind == H_PAGE ? "text/html; charset=utf-8"
						     : "application/json");
		put_s(b, "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
			 "Vary: Accept-Encoding, Cookie\r\nX-Frame-Options: DENY\r\n"
			 "X-Content-Type-Options: nosniff\r\nReferrer-Policy: same-origin\r\n"
			 "Cache-Control: private, no-cache\r\nX-Request-Id: ");
		put_token(b, r, 32);
		put_s(b, "\r\n\r\n");
		while (total) {
			uint32_t c = rnd_in(r, 512, 8192);

			if (c > total)
				c = total;
			putf(b, "%x\r\n", c);
			http_body(b, text, r, c);
			put_s(b, "\r\n");
			total -= c;
		}
		put_s(b, "0\r\n\r\n");
		return;
	}
	case H_FORM:
		putf(b, "HTTP/1.1 302 Found\r\nServer: nginx/1.24.0\r\nDate: %s\r\n"
			"Content-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\n"
			"Connection: keep-alive\r\nLocation: /account/orders/\r\n"
			"Vary: Cookie\r\nSet-Cookie: sessionid=",
		     http_date);
		put_token(b, r, 32);
		put_s(b, "; expires=Sun, 06 Dec 2026 11:59:46 GMT; HttpOnly; Max-Age=1209600; "
			 "Path=/; SameSite=Lax\r\nX-Frame-Options: DENY\r\n\r\n");
		return;
	case H_JSON: {
		uint32_t n = rnd_in(r, 100, 600);

		put_s(b, "HTTP/1.1 201 Created\r\n");
		http_fields_common(b, "application/json");
		putf(b, "Content-Length: %u\r\nConnection: keep-alive\r\nVary: Cookie\r\n"
			"X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n\r\n",
		     n);
		http_body(b, text, r, n);
		return;
	}
	}
}

/* @n exchanges on one keep-alive connection, requests and responses in
 * alternating batches of DPI_HTTP_MAX_PIPELINE / 2 (see the README). */
void l7_gen_http(struct l7_trace *t, struct l7_rng *r, unsigned n)
{
	enum { BATCH = DPI_HTTP_MAX_PIPELINE / 2 };
	struct buf text = {0}, tmp = {0};
	int kinds[BATCH];

	make_text(&text, r, 2u << 20);
	trace_flow(t);
	for (unsigned i = 0; i < n; i += BATCH) {
		unsigned m = n - i < BATCH ? n - i : BATCH;

		for (unsigned k = 0; k < m; k++) {
			uint32_t p = rnd(r, 100);

			kinds[k] = p < 60 ? H_ASSET : p < 75 ? H_PAGE : p < 85 ? H_API
				 : p < 93 ? H_FORM : H_JSON;
			http_request(&t->data, r, kinds[k], &tmp);
			t->msgs[0]++;
			trace_flight(t, DPI_TO_SERVER);
		}
		for (unsigned k = 0; k < m; k++) {
			http_response(&t->data, r, kinds[k], &text);
			t->msgs[1]++;
			trace_flight(t, DPI_TO_CLIENT);
		}
	}
	free(text.p);
	free(tmp.p);
}

/* ------------------------------------------------------------------ DNS */

/* A DNS message writer with name compression, as servers do it: every
 * suffix written is remembered and later names point to it. */
struct dnsw {
	struct buf *b;
	size_t base;
	unsigned n;
	struct {
		char name[256];
		uint16_t off;
	} dict[48];
};

static void dns_begin(struct dnsw *w, struct buf *b)
{
	w->b = b;
	w->base = b->len;
	w->n = 0;
}

static void dns_name(struct dnsw *w, const char *name)
{
	const char *s = name;

	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		for (unsigned i = 0; i < w->n; i++)
			if (!strcmp(w->dict[i].name, s)) {
				put16be(w->b, 0xc000u | w->dict[i].off);
				return;
			}
		if (w->n < sizeof(w->dict) / sizeof(w->dict[0]) && w->b->len - w->base < 0x3fff) {
			snprintf(w->dict[w->n].name, sizeof(w->dict[0].name), "%s", s);
			w->dict[w->n++].off = (uint16_t)(w->b->len - w->base);
		}
		put8(w->b, (unsigned)l);
		put(w->b, s, l);
		s = dot ? dot + 1 : s + l;
	}
	put8(w->b, 0);
}

static void dns_header(struct buf *b, unsigned id, unsigned flags, unsigned qd, unsigned an,
		       unsigned ns, unsigned ar)
{
	put16be(b, id);
	put16be(b, flags);
	put16be(b, qd);
	put16be(b, an);
	put16be(b, ns);
	put16be(b, ar);
}

/* A record; the RDATA is written by the caller between rr_begin and rr_end. */
static size_t dns_rr_begin(struct dnsw *w, const char *owner, unsigned type, uint32_t ttl)
{
	dns_name(w, owner);
	put16be(w->b, type);
	put16be(w->b, DPI_DNS_CLASS_IN);
	put32be(w->b, ttl);
	put16be(w->b, 0);
	return w->b->len;
}

static void dns_rr_end(struct dnsw *w, size_t rdata)
{
	set16be(w->b, rdata - 2, (unsigned)(w->b->len - rdata));
}

static void dns_opt(struct buf *b, bool cookie, struct l7_rng *r)
{
	put8(b, 0);
	put16be(b, DPI_DNS_TYPE_OPT);
	put16be(b, 1232);
	put32be(b, 0);
	if (cookie) {
		put16be(b, 12);
		put16be(b, 10);
		put16be(b, 8);
		put_rand(b, r, 8);
	} else {
		put16be(b, 0);
	}
}

enum { D_SVC, D_NX, D_EXT_A, D_EXT_AAAA, D_NODATA };

static void dns_question(struct dnsw *w, const char *name, unsigned qtype)
{
	dns_name(w, name);
	put16be(w->b, qtype);
	put16be(w->b, DPI_DNS_CLASS_IN);
}

/* One query and its response, as a pod's resolver sees them: cluster
 * services, search-list misses, external names behind CDN CNAMEs. Each is
 * written into @q and @a (without TCP prefix). */
static void dns_exchange(struct buf *q, struct buf *a, struct l7_rng *r)
{
	static const char *const svcs[] = {"payments", "catalog", "redis-master", "postgres",
					   "auth", "kafka-0.kafka-headless", "orders-api"};
	static const char *const nss[] = {"default", "shop", "data", "kube-system"};
	static const char *const ext[][3] = {
		{"api.stripe.com", "api-stripe.cdn.stripe-edge.net", NULL},
		{"www.github.com", "github.com", NULL},
		{"s3.eu-central-1.amazonaws.com", "s3-r-w.eu-central-1.amazonaws.com", NULL},
		{"registry-1.docker.io", "registry-1-docker-io.lb.docker-cdn.net",
		 "d2glxqk2uabbnd.cloudfront.net"},
		{"sentry.io", "sentry-ingest.global.ssl.fastly.net", NULL},
	};
	unsigned kind = rnd(r, 100), id = rnd(r, 65536);
	bool edns = rnd(r, 2), cookie = edns && rnd(r, 2);
	char name[256];
	unsigned qtype = DPI_DNS_TYPE_A, flags = 0x8180, an = 0, ns = 0;
	unsigned e = rnd(r, 5);
	struct dnsw w;
	size_t rd;

	kind = kind < 35 ? D_SVC : kind < 55 ? D_NX : kind < 80 ? D_EXT_A : kind < 92 ? D_EXT_AAAA
									      : D_NODATA;
	switch (kind) {
	case D_SVC:
		snprintf(name, sizeof(name), "%s.%s.svc.cluster.local", PICK(r, svcs), PICK(r, nss));
		an = 1;
		break;
	case D_NX:
		snprintf(name, sizeof(name), "%s.%s.svc.cluster.local", ext[e][0], PICK(r, nss));
		flags = 0x8183;
		ns = 1;
		break;
	case D_EXT_A:
	case D_EXT_AAAA:
		snprintf(name, sizeof(name), "%s", ext[e][0]);
		qtype = kind == D_EXT_A ? DPI_DNS_TYPE_A : DPI_DNS_TYPE_AAAA;
		an = 1 + (ext[e][2] != NULL) + rnd_in(r, 2, 4);
		break;
	default:
		snprintf(name, sizeof(name), "%s.%s.svc.cluster.local", PICK(r, svcs), PICK(r, nss));
		qtype = DPI_DNS_TYPE_AAAA;
		flags = 0x8580;
		ns = 1;
		break;
	}

	dns_begin(&w, q);
	dns_header(q, id, 0x0100, 1, 0, 0, edns);
	dns_question(&w, name, qtype);
	if (edns)
		dns_opt(q, cookie, r);

	dns_begin(&w, a);
	dns_header(a, id, flags, 1, an, ns, edns);
	dns_question(&w, name, qtype);
	if (kind == D_SVC) {
		rd = dns_rr_begin(&w, name, DPI_DNS_TYPE_A, 5);
		put32be(a, 0x0a600000u | rnd(r, 0xffff));
		dns_rr_end(&w, rd);
	} else if (kind == D_EXT_A || kind == D_EXT_AAAA) {
		const char *owner = name;
		unsigned k = 1;

		rd = dns_rr_begin(&w, owner, DPI_DNS_TYPE_CNAME, 300);
		dns_name(&w, ext[e][1]);
		dns_rr_end(&w, rd);
		owner = ext[e][1];
		if (ext[e][2]) {
			rd = dns_rr_begin(&w, owner, DPI_DNS_TYPE_CNAME, 60);
			dns_name(&w, ext[e][2]);
			dns_rr_end(&w, rd);
			owner = ext[e][2];
			k++;
		}
		for (; k < an; k++) {
			rd = dns_rr_begin(&w, owner, qtype, 60);
			if (qtype == DPI_DNS_TYPE_A) {
				put32be(a, 0x34000000u | rnd(r, 1u << 24));
			} else {
				put32be(a, 0x2a0498c0u);
				put32be(a, rnd(r, 0xffff));
				put32be(a, 0);
				put32be(a, rnd(r, 1u << 31));
			}
			dns_rr_end(&w, rd);
		}
	} else {
		/* NXDOMAIN or NODATA: the zone's SOA in the authority section. */
		rd = dns_rr_begin(&w, "cluster.local", DPI_DNS_TYPE_SOA, 5);
		dns_name(&w, "ns.dns.cluster.local");
		dns_name(&w, "hostmaster.cluster.local");
		put32be(a, 1763812786u);
		put32be(a, 7200);
		put32be(a, 1800);
		put32be(a, 86400);
		put32be(a, 5);
		dns_rr_end(&w, rd);
	}
	if (edns)
		dns_opt(a, cookie, r);
}

/* UDP: one datagram per flight. */
void l7_gen_dns_udp(struct l7_trace *t, struct l7_rng *r, unsigned n)
{
	struct buf q = {0}, a = {0};

	for (unsigned i = 0; i < n; i++) {
		q.len = a.len = 0;
		dns_exchange(&q, &a, r);
		trace_flow(t);
		put(&t->data, q.p, q.len);
		trace_flight(t, DPI_TO_SERVER);
		put(&t->data, a.p, a.len);
		trace_flight(t, DPI_TO_CLIENT);
		t->msgs[0]++;
		t->msgs[1]++;
	}
	free(q.p);
	free(a.p);
}

/* TCP: a forwarder pipelining @batch queries on one connection, then the
 * answers. */
void l7_gen_dns_tcp(struct l7_trace *t, struct l7_rng *r, unsigned n, unsigned batch)
{
	struct buf q = {0}, a = {0}, ans = {0};

	trace_flow(t);
	for (unsigned i = 0; i < n; i += batch) {
		unsigned m = n - i < batch ? n - i : batch;

		ans.len = 0;
		for (unsigned k = 0; k < m; k++) {
			q.len = a.len = 0;
			dns_exchange(&q, &a, r);
			put16be(&t->data, (unsigned)q.len);
			put(&t->data, q.p, q.len);
			put16be(&ans, (unsigned)a.len);
			put(&ans, a.p, a.len);
		}
		trace_flight(t, DPI_TO_SERVER);
		put(&t->data, ans.p, ans.len);
		trace_flight(t, DPI_TO_CLIENT);
		t->msgs[0] += m;
		t->msgs[1] += m;
	}
	free(q.p);
	free(a.p);
	free(ans.p);
}

/* ---------------------------------------------------------------- MySQL */

/* Captured from MariaDB 10.11 and its client (tests/unit/test_mysql.c):
 * greeting, HandshakeResponse with database "shop", OK. */
static const char my_greeting[] =
	"640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	"6231327531000a000000665f28497638537700feff080200ff81150000000000"
	"001d000000223c473364237e7347476c6c006d7973716c5f6e61746976655f70"
	"617373776f726400";
static const char my_login[] =
	"d40000018ca2bf00000010002100000000000000000000000000000000000000"
	"1d00000061707000149a4b7f39a3e1a69c47ea4fa49f2aa13bdd45ee4373686f"
	"70006d7973716c5f6e61746976655f70617373776f7264007f035f6f73054c69"
	"6e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f706964"
	"0533313134340f5f636c69656e745f76657273696f6e06332e332e3230095f70"
	"6c6174666f726d067838365f36340c70726f6772616d5f6e616d65056d797371"
	"6c0c5f7365727665725f686f7374093132372e302e302e31";
static const char my_login_ok[] = "1000000200000002400000000701050473686f70";

/* A MySQL packet: header, then the payload the caller writes; my_end
 * fills in the length. */
static size_t my_begin(struct buf *b, unsigned seq)
{
	put8(b, 0);
	put8(b, 0);
	put8(b, 0);
	put8(b, seq);
	return b->len;
}

static void my_end(struct buf *b, size_t payload)
{
	size_t n = b->len - payload;

	b->p[payload - 4] = (uint8_t)n;
	b->p[payload - 3] = (uint8_t)(n >> 8);
	b->p[payload - 2] = (uint8_t)(n >> 16);
}

static void my_lenenc_str(struct buf *b, const char *s, size_t n)
{
	if (n < 251) {
		put8(b, (unsigned)n);
	} else {
		put8(b, 0xfc);
		put8(b, (unsigned)n);
		put8(b, (unsigned)(n >> 8));
	}
	put(b, s, n);
}

/* Django's tables; column types are MySQL's: 1 TINY, 3 LONG, 8 LONGLONG,
 * 12 DATETIME, 246 NEWDECIMAL, 253 VAR_STRING. */
static const char *const my_users_cols[] = {
	"id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
	"email", "is_staff", "is_active", "date_joined",
};
static const uint8_t my_users_types[] = {3, 253, 12, 1, 253, 253, 253, 253, 1, 1, 12};
static const char *const my_order_cols[] = {
	"id", "customer_id", "status", "total", "created_at", "id", "name", "email",
};
static const uint8_t my_order_types[] = {8, 8, 253, 246, 12, 8, 253, 253};
static const char *const my_order_tables[] = {
	"shop_order", "shop_order", "shop_order", "shop_order", "shop_order",
	"shop_customer", "shop_customer", "shop_customer",
};

/* A value as the text protocol sends it, for column type @type. */
static void my_value(struct buf *v, struct l7_rng *r, uint8_t type, const char *col)
{
	v->len = 0;
	if (type == 3 || type == 8)
		putf(v, "%u", rnd_in(r, 1, 2000000));
	else if (type == 1)
		putf(v, "%u", rnd(r, 2));
	else if (type == 246)
		putf(v, "%u.%02u", rnd(r, 2000), rnd(r, 100));
	else if (type == 12)
		putf(v, "2026-%02u-%02u %02u:%02u:%02u.%06u", rnd_in(r, 1, 11), rnd_in(r, 1, 28),
		     rnd(r, 24), rnd(r, 60), rnd(r, 60), rnd(r, 1000000));
	else if (!strcmp(col, "password")) {
		put_s(v, "pbkdf2_sha256$720000$");
		put_token(v, r, 22);
		put8(v, '$');
		put_token(v, r, 43);
		put8(v, '=');
	} else if (!strcmp(col, "email")) {
		put_token(v, r, rnd_in(r, 5, 12));
		put_s(v, "@example.com");
	} else if (!strcmp(col, "status")) {
		put_s(v, rnd(r, 3) ? "paid" : "shipped");
	} else {
		put_token(v, r, rnd_in(r, 4, 14));
	}
}

/* A text result set: column count, definitions, EOF, rows, EOF (the
 * captured client does not set CLIENT_DEPRECATE_EOF). */
static void my_resultset(struct buf *b, struct l7_rng *r, unsigned ncols, const char *const *cols,
			 const uint8_t *types, const char *const *tables, const char *table,
			 unsigned rows, uint64_t *msgs)
{
	struct buf v = {0};
	unsigned seq = 1;
	size_t p;

	p = my_begin(b, seq++);
	put8(b, ncols);
	my_end(b, p);
	for (unsigned c = 0; c < ncols; c++) {
		const char *tb = tables ? tables[c] : table;

		p = my_begin(b, seq++);
		my_lenenc_str(b, "def", 3);
		my_lenenc_str(b, "shop", 4);
		my_lenenc_str(b, tb, strlen(tb));
		my_lenenc_str(b, tb, strlen(tb));
		my_lenenc_str(b, cols[c], strlen(cols[c]));
		my_lenenc_str(b, cols[c], strlen(cols[c]));
		put8(b, 0x0c);
		put8(b, 45); /* utf8mb4_general_ci */
		put8(b, 0);
		put8(b, 0xff);
		put8(b, 0x03);
		put8(b, 0);
		put8(b, 0);
		put8(b, types[c]);
		put8(b, 0x01);
		put8(b, 0x10);
		put8(b, types[c] == 246 ? 2 : 0);
		put8(b, 0);
		put8(b, 0);
		my_end(b, p);
	}
	p = my_begin(b, seq++);
	put_hex(b, "fe00002200");
	my_end(b, p);
	for (unsigned i = 0; i < rows; i++) {
		p = my_begin(b, seq++ & 0xff);
		for (unsigned c = 0; c < ncols; c++) {
			my_value(&v, r, types[c], cols[c]);
			my_lenenc_str(b, (const char *)v.p, v.len);
		}
		my_end(b, p);
	}
	p = my_begin(b, seq++ & 0xff);
	put_hex(b, "fe00002200");
	my_end(b, p);
	*msgs += 3 + ncols + rows;
	free(v.p);
}

static void my_ok(struct buf *b, uint64_t affected, uint64_t insert_id, const char *info)
{
	size_t p = my_begin(b, 1);

	put8(b, 0);
	put8(b, (unsigned)affected);
	if (insert_id < 251) {
		put8(b, (unsigned)insert_id);
	} else {
		put8(b, 0xfd);
		put8(b, (unsigned)insert_id);
		put8(b, (unsigned)(insert_id >> 8));
		put8(b, (unsigned)(insert_id >> 16));
	}
	put16be(b, 0x0200); /* status: autocommit (little-endian 0x0002) */
	put16be(b, 0);
	if (info)
		my_lenenc_str(b, info, strlen(info));
	my_end(b, p);
}

/* Django-style statements (MySQL backend) into @b. */
enum { Q_USER, Q_ORDERS, Q_INSERT, Q_UPDATE, Q_COUNT, Q_TX, Q_ITEMS };

/* The statements below are written with MySQL's backticks; PostgreSQL's
 * double quotes replace them from @from on. */
static void sql_quote(struct buf *b, size_t from, char q)
{
	for (size_t i = from; i < b->len; i++)
		if (b->p[i] == '`')
			b->p[i] = (uint8_t)q;
}

static void sql_select_user(struct buf *b, struct l7_rng *r, char q)
{
	size_t from = b->len;

	put_s(b, "SELECT ");
	for (unsigned c = 0; c < 11; c++)
		putf(b, "%s`auth_user`.`%s`", c ? ", " : "", my_users_cols[c]);
	putf(b, " FROM `auth_user` WHERE `auth_user`.`id` = %u LIMIT 21", rnd_in(r, 1, 200000));
	sql_quote(b, from, q);
}

static void sql_select_orders(struct buf *b, struct l7_rng *r, char q)
{
	size_t from = b->len;

	put_s(b, "SELECT ");
	for (unsigned c = 0; c < 8; c++)
		putf(b, "%s`%s`.`%s`", c ? ", " : "", my_order_tables[c], my_order_cols[c]);
	putf(b, " FROM `shop_order` INNER JOIN `shop_customer` ON (`shop_order`.`customer_id` = "
		"`shop_customer`.`id`) WHERE (`shop_order`.`status` = 'paid' AND "
		"`shop_order`.`created_at` >= '2026-%02u-01 00:00:00'%s) ORDER BY "
		"`shop_order`.`created_at` DESC LIMIT 20",
	     rnd_in(r, 1, 11), q == '"' ? "::timestamptz" : "");
	sql_quote(b, from, q);
}

static void sql_select_items(struct buf *b, struct l7_rng *r, char q)
{
	size_t from = b->len;

	putf(b, "SELECT `i`.`id`, `i`.`quantity`, `i`.`unit_price`, `p`.`id`, `p`.`sku`, "
		"`p`.`name` FROM `shop_orderitem` `i` INNER JOIN `shop_product` `p` ON "
		"(`i`.`product_id` = `p`.`id`) LEFT OUTER JOIN `shop_order` `o` ON "
		"(`i`.`order_id` = `o`.`id`) WHERE `o`.`id` IN (SELECT U0.`id` FROM `shop_order` U0 "
		"WHERE U0.`customer_id` = %u)",
	     rnd_in(r, 1, 200000));
	sql_quote(b, from, q);
}

static void sql_insert_session(struct buf *b, struct l7_rng *r, char q)
{
	size_t from = b->len;

	put_s(b, "INSERT INTO `django_session` (`session_key`, `session_data`, `expire_date`) "
		 "VALUES ('");
	put_token(b, r, 32);
	put_s(b, "', '");
	put_token(b, r, rnd_in(r, 120, 400));
	put_s(b, ":1uXq:");
	put_token(b, r, 43);
	putf(b, "', '2026-12-%02u %02u:%02u:%02u.%06u'%s)", rnd_in(r, 1, 28), rnd(r, 24),
	     rnd(r, 60), rnd(r, 60), rnd(r, 1000000), q == '"' ? "::timestamptz" : "");
	sql_quote(b, from, q);
}

static void sql_update_stock(struct buf *b, struct l7_rng *r, char q)
{
	size_t from = b->len;

	putf(b, "UPDATE `shop_product` SET `stock` = (`shop_product`.`stock` - 1), `updated_at` = "
		"'2026-11-22 11:%02u:%02u.%06u' WHERE `shop_product`.`id` = %u",
	     rnd(r, 60), rnd(r, 60), rnd(r, 1000000), rnd_in(r, 1, 50000));
	sql_quote(b, from, q);
}

void l7_gen_mysql(struct l7_trace *t, struct l7_texts *sql, struct l7_rng *r, unsigned n)
{
	static const char *const tx[] = {"SET autocommit=0", "COMMIT", "SET autocommit=1",
					 "ROLLBACK"};
	const char *items_cols[] = {"id", "quantity", "unit_price", "id", "sku", "name"};
	const uint8_t items_types[] = {8, 3, 246, 8, 253, 253};
	const char *items_tables[] = {"i", "i", "i", "p", "p", "p"};
	const char *count_col[] = {"__count"};
	const uint8_t count_type[] = {8};

	trace_flow(t);
	put_hex(&t->data, my_greeting);
	t->msgs[1]++;
	trace_flight(t, DPI_TO_CLIENT);
	put_hex(&t->data, my_login);
	t->msgs[0]++;
	trace_flight(t, DPI_TO_SERVER);
	put_hex(&t->data, my_login_ok);
	t->msgs[1]++;
	trace_flight(t, DPI_TO_CLIENT);

	for (unsigned i = 0; i < n; i++) {
		uint32_t p = rnd(r, 100);
		int kind = p < 40 ? Q_USER : p < 55 ? Q_ORDERS : p < 62 ? Q_ITEMS : p < 77 ? Q_INSERT
			 : p < 89 ? Q_UPDATE : p < 95 ? Q_COUNT : Q_TX;
		size_t pk = my_begin(&t->data, 0), text;

		put8(&t->data, DPI_MYSQL_COM_QUERY);
		text = t->data.len;
		switch (kind) {
		case Q_USER:
			sql_select_user(&t->data, r, '`');
			break;
		case Q_ORDERS:
			sql_select_orders(&t->data, r, '`');
			break;
		case Q_ITEMS:
			sql_select_items(&t->data, r, '`');
			break;
		case Q_INSERT:
			sql_insert_session(&t->data, r, '`');
			break;
		case Q_UPDATE:
			sql_update_stock(&t->data, r, '`');
			break;
		case Q_COUNT:
			putf(&t->data, "SELECT COUNT(*) AS `__count` FROM `shop_order` WHERE "
				       "`shop_order`.`customer_id` = %u", rnd_in(r, 1, 200000));
			break;
		default:
			put_s(&t->data, PICK(r, tx));
			break;
		}
		text_add(sql, text, t->data.len - text);
		my_end(&t->data, pk);
		t->msgs[0]++;
		trace_flight(t, DPI_TO_SERVER);

		switch (kind) {
		case Q_USER:
			my_resultset(&t->data, r, 11, my_users_cols, my_users_types, NULL, "auth_user",
				     rnd(r, 20) ? 1 : 0, &t->msgs[1]);
			break;
		case Q_ORDERS:
			my_resultset(&t->data, r, 8, my_order_cols, my_order_types, my_order_tables,
				     NULL, rnd_in(r, 0, 20), &t->msgs[1]);
			break;
		case Q_ITEMS:
			my_resultset(&t->data, r, 6, items_cols, items_types, items_tables, NULL,
				     rnd_in(r, 1, 12), &t->msgs[1]);
			break;
		case Q_COUNT:
			my_resultset(&t->data, r, 1, count_col, count_type, NULL, "", 1, &t->msgs[1]);
			break;
		case Q_INSERT:
			my_ok(&t->data, 1, 0, NULL);
			t->msgs[1]++;
			break;
		case Q_UPDATE:
			my_ok(&t->data, 1, 0, "Rows matched: 1  Changed: 1  Warnings: 0");
			t->msgs[1]++;
			break;
		default:
			my_ok(&t->data, 0, 0, NULL);
			t->msgs[1]++;
			break;
		}
		trace_flight(t, DPI_TO_CLIENT);
	}
	put_hex(&t->data, "0100000001"); /* COM_QUIT */
	t->msgs[0]++;
	trace_flight(t, DPI_TO_SERVER);
}

/* ------------------------------------------------------------ PostgreSQL */

/* Captured from PostgreSQL 15 and pgbench (tests/unit/test_pgsql.c):
 * StartupMessage, SCRAM-SHA-256 exchange, AuthenticationOk, ParameterStatus
 * x14, BackendKeyData, ReadyForQuery. */
static const struct {
	unsigned dir;
	unsigned msgs;
	const char *hex;
} pg_startup[] = {
	{DPI_TO_SERVER, 1,
	 "0000003e000300007573657200706f7374677265730064617461626173650073"
	 "686f70006170706c69636174696f6e5f6e616d6500706762656e63680000"},
	{DPI_TO_CLIENT, 1, "52000000170000000a534352414d2d5348412d3235360000"},
	{DPI_TO_SERVER, 1,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d4b"
	 "396d6a36775a372b457363392b66426766754156392b63"},
	{DPI_TO_CLIENT, 1,
	 "520000005c0000000b723d4b396d6a36775a372b457363392b66426766754156"
	 "392b6362356a55367439587046324438454b625943366b495659512c733d5264"
	 "7a3869324b736247325a766962512b3647554c773d3d2c693d34303936"},
	{DPI_TO_SERVER, 1,
	 "700000006c633d626977732c723d4b396d6a36775a372b457363392b66426766"
	 "754156392b6362356a55367439587046324438454b625943366b495659512c70"
	 "3d774a64455851647843756a487674746f38414a524d70506a5a2b2f306b5535"
	 "3962772b5578586944586c4d3d"},
	{DPI_TO_CLIENT, 17,
	 "52000000360000000c763d66746337675a5151692b46554c424f4d4c6e547672"
	 "49792b6e5952557266527235784e6c5750703753476b3d520000000800000000"
	 "530000001d6170706c69636174696f6e5f6e616d6500706762656e6368005300"
	 "000019636c69656e745f656e636f64696e670055544638005300000017446174"
	 "655374796c650049534f2c204d445900530000002664656661756c745f747261"
	 "6e73616374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f68"
	 "6f745f7374616e646279006f6666005300000019696e74656765725f64617465"
	 "74696d6573006f6e00530000001b496e74657276616c5374796c6500706f7374"
	 "6772657300530000001469735f737570657275736572006f6e00530000001973"
	 "65727665725f656e636f64696e6700555446380053000000327365727665725f"
	 "76657273696f6e0031352e3138202844656269616e2031352e31382d302b6465"
	 "62313275312900530000002373657373696f6e5f617574686f72697a6174696f"
	 "6e00706f7374677265730053000000237374616e646172645f636f6e666f726d"
	 "696e675f737472696e6773006f6e00530000001554696d655a6f6e6500457463"
	 "2f555443004b0000000c000017c6f3f2e8255a0000000549"},
};

/* A typed message: type, length (patched by pg_end), payload. */
static size_t pg_begin(struct buf *b, char type)
{
	put8(b, (uint8_t)type);
	put32be(b, 0);
	return b->len - 4;
}

static void pg_end(struct buf *b, size_t at)
{
	set32be(b, at, (uint32_t)(b->len - at));
}

static void pg_simple_msg(struct buf *b, char type, const char *tag)
{
	size_t m = pg_begin(b, type);

	if (tag)
		put(b, tag, strlen(tag) + 1);
	pg_end(b, m);
}

static void pg_ready(struct buf *b, char status)
{
	size_t m = pg_begin(b, 'Z');

	put8(b, (uint8_t)status);
	pg_end(b, m);
}

/* RowDescription of text columns @cols (type oids @oids). */
static void pg_rowdesc(struct buf *b, unsigned n, const char *const *cols, const uint32_t *oids)
{
	size_t m = pg_begin(b, 'T');

	put16be(b, n);
	for (unsigned i = 0; i < n; i++) {
		put(b, cols[i], strlen(cols[i]) + 1);
		put32be(b, 16390 + i / 4);
		put16be(b, i + 1);
		put32be(b, oids[i]);
		put16be(b, oids[i] == 23 ? 4 : oids[i] == 20 ? 8 : 0xffff);
		put32be(b, 0xffffffffu);
		put16be(b, 0);
	}
	pg_end(b, m);
}

static void pg_datarow(struct buf *b, struct l7_rng *r, unsigned n, const char *const *cols,
		       const uint8_t *mytypes, struct buf *v)
{
	size_t m = pg_begin(b, 'D');

	put16be(b, n);
	for (unsigned i = 0; i < n; i++) {
		my_value(v, r, mytypes[i], cols[i]);
		put32be(b, (uint32_t)v->len);
		put(b, v->p, v->len);
	}
	pg_end(b, m);
}

/* pgbench's TPC-B-like transaction with -M extended: per statement Parse
 * (unnamed), Bind, Describe portal, Execute, Sync, in one flight; the
 * server's ParseComplete, BindComplete, NoData or RowDescription, DataRow,
 * CommandComplete, ReadyForQuery in another. */
static void pg_pgbench_tx(struct l7_trace *t, struct l7_texts *sql, struct l7_rng *r)
{
	static const char *const stmts[] = {
		"BEGIN;",
		"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;",
		"SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
		"UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;",
		"UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;",
		("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
		 "CURRENT_TIMESTAMP);"),
		"END;",
	};
	static const char *const tags[] = {"BEGIN", "UPDATE 1", "SELECT 1", "UPDATE 1",
					   "UPDATE 1", "INSERT 0 1", "COMMIT"};
	static const unsigned nparams[] = {0, 2, 1, 2, 2, 4, 0};
	static const char *const abal[] = {"abalance"};
	static const uint32_t int4[] = {23};
	struct buf *b = &t->data;
	char val[16];

	for (unsigned s = 0; s < 7; s++) {
		size_t m = pg_begin(b, 'P'), text;

		put8(b, 0); /* unnamed statement */
		text = b->len;
		put(b, stmts[s], strlen(stmts[s]) + 1);
		text_add(sql, text, strlen(stmts[s]));
		put16be(b, 0);
		pg_end(b, m);
		m = pg_begin(b, 'B');
		put8(b, 0);
		put8(b, 0);
		put16be(b, 0);
		put16be(b, nparams[s]);
		for (unsigned k = 0; k < nparams[s]; k++) {
			int l = snprintf(val, sizeof(val), "%d",
					 k == 0 && s != 5 ? (int)rnd(r, 10001) - 5000
							  : (int)rnd_in(r, 1, 100000));

			put32be(b, (uint32_t)l);
			put(b, val, (size_t)l);
		}
		put16be(b, 1);
		put16be(b, 0);
		pg_end(b, m);
		m = pg_begin(b, 'D');
		put8(b, 'P');
		put8(b, 0);
		pg_end(b, m);
		m = pg_begin(b, 'E');
		put8(b, 0);
		put32be(b, 0);
		pg_end(b, m);
		pg_simple_msg(b, 'S', NULL);
		t->msgs[0] += 5;
		trace_flight(t, DPI_TO_SERVER);

		pg_simple_msg(b, '1', NULL);
		pg_simple_msg(b, '2', NULL);
		if (s == 2) {
			pg_rowdesc(b, 1, abal, int4);
			m = pg_begin(b, 'D');
			put16be(b, 1);
			snprintf(val, sizeof(val), "%d", (int)rnd(r, 200001) - 100000);
			put32be(b, (uint32_t)strlen(val));
			put_s(b, val);
			pg_end(b, m);
			t->msgs[1] += 2;
		} else {
			pg_simple_msg(b, 'n', NULL);
			t->msgs[1]++;
		}
		pg_simple_msg(b, 'C', tags[s]);
		pg_ready(b, s == 6 ? 'I' : 'T');
		t->msgs[1] += 4;
		trace_flight(t, DPI_TO_CLIENT);
	}
}

/* A Django query through psycopg2 (simple protocol, values inlined). */
static void pg_orm_query(struct l7_trace *t, struct l7_texts *sql, struct l7_rng *r)
{
	static const uint32_t user_oids[] = {23, 1043, 1184, 16, 1043, 1043, 1043, 1043, 16, 16, 1184};
	static const uint32_t order_oids[] = {20, 20, 1043, 1700, 1184, 20, 1043, 1043};
	static const char *const items_cols[] = {"id", "quantity", "unit_price", "id", "sku", "name"};
	static const uint8_t items_types[] = {8, 3, 246, 8, 253, 253};
	static const uint32_t items_oids[] = {20, 23, 1700, 20, 1043, 1043};
	static const char *const id_col[] = {"id"};
	static const uint8_t id_type[] = {8};
	static const uint32_t id_oid[] = {20};
	struct buf *b = &t->data, v = {0};
	uint32_t p = rnd(r, 100);
	size_t m = pg_begin(b, 'Q'), text = b->len;
	unsigned rows = 0;
	char tag[32];

	if (p < 45)
		sql_select_user(b, r, '"');
	else if (p < 65)
		sql_select_orders(b, r, '"');
	else if (p < 75)
		sql_select_items(b, r, '"');
	else if (p < 90)
		sql_insert_session(b, r, '"');
	else
		sql_update_stock(b, r, '"');
	text_add(sql, text, b->len - text);
	put8(b, 0);
	pg_end(b, m);
	t->msgs[0]++;
	trace_flight(t, DPI_TO_SERVER);

	if (p < 45) {
		rows = rnd(r, 20) ? 1 : 0;
		pg_rowdesc(b, 11, my_users_cols, user_oids);
		for (unsigned i = 0; i < rows; i++)
			pg_datarow(b, r, 11, my_users_cols, my_users_types, &v);
	} else if (p < 65) {
		rows = rnd_in(r, 0, 20);
		pg_rowdesc(b, 8, my_order_cols, order_oids);
		for (unsigned i = 0; i < rows; i++)
			pg_datarow(b, r, 8, my_order_cols, my_order_types, &v);
	} else if (p < 75) {
		rows = rnd_in(r, 1, 12);
		pg_rowdesc(b, 6, items_cols, items_oids);
		for (unsigned i = 0; i < rows; i++)
			pg_datarow(b, r, 6, items_cols, items_types, &v);
	} else if (p < 90) {
		/* Django adds RETURNING for the primary key. */
		pg_rowdesc(b, 1, id_col, id_oid);
		pg_datarow(b, r, 1, id_col, id_type, &v);
		t->msgs[1] += 2;
		pg_simple_msg(b, 'C', "INSERT 0 1");
		goto done;
	}
	if (p < 75) {
		snprintf(tag, sizeof(tag), "SELECT %u", rows);
		t->msgs[1] += 1 + rows;
		pg_simple_msg(b, 'C', tag);
	} else {
		pg_simple_msg(b, 'C', "UPDATE 1");
	}
done:
	pg_ready(b, 'I');
	t->msgs[1] += 2;
	trace_flight(t, DPI_TO_CLIENT);
	free(v.p);
}

void l7_gen_pgsql(struct l7_trace *t, struct l7_texts *sql, struct l7_rng *r, unsigned n_tx,
		      unsigned orm_per_tx)
{
	trace_flow(t);
	for (size_t i = 0; i < sizeof(pg_startup) / sizeof(pg_startup[0]); i++) {
		put_hex(&t->data, pg_startup[i].hex);
		t->msgs[pg_startup[i].dir] += pg_startup[i].msgs;
		trace_flight(t, pg_startup[i].dir);
	}
	for (unsigned i = 0; i < n_tx; i++) {
		pg_pgbench_tx(t, sql, r);
		for (unsigned k = 0; k < orm_per_tx; k++)
			pg_orm_query(t, sql, r);
	}
	pg_simple_msg(&t->data, 'X', NULL);
	t->msgs[0]++;
	trace_flight(t, DPI_TO_SERVER);
}

/* ------------------------------------------------------------------ TLS */

static uint16_t tls_grease(struct l7_rng *r)
{
	unsigned g = rnd(r, 16);

	return (uint16_t)((g << 12) | 0x0a00 | (g << 4) | 0x0a);
}

static size_t tls_ext(struct buf *b, unsigned type)
{
	put16be(b, type);
	put16be(b, 0);
	return b->len;
}

static void tls_ext_end(struct buf *b, size_t at)
{
	set16be(b, at - 2, (unsigned)(b->len - at));
}

/* A Chrome 124-like ClientHello: GREASE, SNI, ALPN h2/http1.1, X25519 key
 * share, supported_versions 1.3/1.2, padded to 512 bytes of handshake
 * (517 on the wire). With @mlkem, Chrome 131's X25519MLKEM768 share is added
 * (1216 bytes more) and there is no padding: 1547 bytes, two segments. */
static void tls_client_hello(struct buf *b, struct l7_rng *r, const char *sni, bool mlkem)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
					  0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
					  0x0035};
	static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
					   0x0601};
	size_t rec = b->len, hs, exts, e, l;
	uint16_t g1 = tls_grease(r), g2 = tls_grease(r);

	put_hex(b, "1603010000");
	hs = b->len;
	put_hex(b, "01000000");
	put16be(b, 0x0303);
	put_rand(b, r, 32);
	put8(b, 32);
	put_rand(b, r, 32);
	put16be(b, 2 * (1 + sizeof(suites) / sizeof(suites[0])));
	put16be(b, tls_grease(r));
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		put16be(b, suites[i]);
	put_hex(b, "0100");
	put16be(b, 0);
	exts = b->len;

	tls_ext_end(b, tls_ext(b, g1));
	e = tls_ext(b, 0x0000);
	put16be(b, (unsigned)strlen(sni) + 3);
	put8(b, 0);
	put16be(b, (unsigned)strlen(sni));
	put_s(b, sni);
	tls_ext_end(b, e);
	tls_ext_end(b, tls_ext(b, 0x0017));
	e = tls_ext(b, 0xff01);
	put8(b, 0);
	tls_ext_end(b, e);
	e = tls_ext(b, 0x000a);
	put16be(b, mlkem ? 10 : 8);
	put16be(b, g2);
	if (mlkem)
		put16be(b, 0x11ec);
	put_hex(b, "001d00170018");
	tls_ext_end(b, e);
	e = tls_ext(b, 0x000b);
	put_hex(b, "0100");
	tls_ext_end(b, e);
	tls_ext_end(b, tls_ext(b, 0x0023));
	e = tls_ext(b, 0x0010);
	put_hex(b, "000c02683208687474702f312e31");
	tls_ext_end(b, e);
	e = tls_ext(b, 0x0005);
	put_hex(b, "0100000000");
	tls_ext_end(b, e);
	e = tls_ext(b, 0x000d);
	put16be(b, 2 * (unsigned)(sizeof(sigalgs) / sizeof(sigalgs[0])));
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		put16be(b, sigalgs[i]);
	tls_ext_end(b, e);
	tls_ext_end(b, tls_ext(b, 0x0012));
	e = tls_ext(b, 0x0033);
	l = b->len;
	put16be(b, 0);
	put16be(b, g2);
	put_hex(b, "000100");
	if (mlkem) {
		put16be(b, 0x11ec);
		put16be(b, 1216);
		put_rand(b, r, 1216);
	}
	put_hex(b, "001d0020");
	put_rand(b, r, 32);
	set16be(b, l, (unsigned)(b->len - l - 2));
	tls_ext_end(b, e);
	e = tls_ext(b, 0x002d);
	put_hex(b, "0101");
	tls_ext_end(b, e);
	e = tls_ext(b, 0x002b);
	put8(b, 6);
	put16be(b, tls_grease(r));
	put_hex(b, "03040303");
	tls_ext_end(b, e);
	e = tls_ext(b, 0x001b);
	put_hex(b, "020002");
	tls_ext_end(b, e);
	e = tls_ext(b, 0x4469);
	put_hex(b, "0003026832");
	tls_ext_end(b, e);
	e = tls_ext(b, tls_grease(r));
	put8(b, 0);
	tls_ext_end(b, e);
	if (!mlkem && b->len - hs < 512 - 4) {
		/* BoringSSL pads hellos of 256-511 bytes to 512. */
		size_t pad = 512 - (b->len - hs) - 4;

		e = tls_ext(b, 0x0015);
		buf_need(b, pad);
		memset(b->p + b->len, 0, pad);
		b->len += pad;
		tls_ext_end(b, e);
	}
	set16be(b, exts - 2, (unsigned)(b->len - exts));
	set24be(b, hs + 1, (uint32_t)(b->len - hs - 4));
	set16be(b, rec + 3, (unsigned)(b->len - rec - 5));
}

void l7_gen_tls(struct l7_trace *t, struct l7_rng *r, unsigned n, bool mlkem)
{
	static const char *const snis[] = {
		"api.stripe.com", "www.google.com", "registry-1.docker.io", "github.com",
		"s3.eu-central-1.amazonaws.com", "payments.default.svc.cluster.local",
		"sentry.io", "login.microsoftonline.com", "objects.githubusercontent.com",
	};
	char sni[128];

	for (unsigned i = 0; i < n; i++) {
		if (rnd(r, 3) == 0)
			snprintf(sni, sizeof(sni), "%s", PICK(r, snis));
		else
			snprintf(sni, sizeof(sni), "edge-%u.%s", rnd(r, 10000), PICK(r, snis));
		trace_flow(t);
		tls_client_hello(&t->data, r, sni, mlkem);
		t->msgs[0]++;
		trace_flight(t, DPI_TO_SERVER);
	}
}

void l7_trace_free(struct l7_trace *t)
{
	free(t->data.p);
	free(t->fl);
	memset(t, 0, sizeof(*t));
}

void l7_texts_free(struct l7_texts *x)
{
	free(x->off);
	free(x->len);
	memset(x, 0, sizeof(*x));
}
