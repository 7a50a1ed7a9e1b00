/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_app_http.c - HTTP transactions out of dpi_http's messages.
 *
 * The parser reports a request when its head (and inspected body) is complete
 * and a response when it ends; the EVE `http` record carries both. A request
 * is kept, as a compact copy of the fields the record needs, until its
 * response arrives (pipelining keeps several) or the flow ends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_app.h"
#include "dpi_http.h"
#include "dpi_inspect.h"

/* Longest URL kept in a record; longer ones are cut (the parser saw all). */
#define URL_KEEP 4096u
#define FIELD_KEEP 512u

struct tx {
	struct tx *next;
	uint64_t id;
	bool has_v;
	struct bh_verdict v;   /* the policy's, taken when the request was read */
	struct bh_http h;
	char mem[]; /* the strings of h */
};

struct http_flow {
	struct dpi_http_state *p;
	struct tx *head, *tail; /* requests waiting for their response */
	unsigned n;
	/* A response that came before its request was reported (a 413 sent
	 * while the body still streams in): kept for the request. */
	bool early;
	uint64_t early_id;
	uint16_t early_status;
	uint64_t early_len;
	/* http-anomaly signatures seen in requests since the last one was
	 * reported (dpi_inspect_http_anomaly_bit()). */
	uint32_t anoms;
};

struct call {
	struct dpi_worker *w;
	struct http_flow *hf;
	void *cookie;
	unsigned dir;
};

static size_t cap_len(struct dpi_slice s, size_t cap)
{
	return s.len < cap ? s.len : cap;
}

static char *put(struct bh_str *dst, char *at, struct dpi_slice s, size_t cap)
{
	size_t n = cap_len(s, cap);

	if (n)
		memcpy(at, s.p, n);
	*dst = (struct bh_str){at, (uint32_t)n};
	return at + n;
}

/* Take the oldest pending request off the queue. */
static struct tx *pop(struct http_flow *hf)
{
	struct tx *t = hf->head;

	hf->head = t->next;
	if (!hf->head)
		hf->tail = NULL;
	hf->n--;
	return t;
}

static void emit(struct dpi_worker *w, void *cookie, struct tx *t)
{
	struct bh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_HTTP;
	ev.http = t->h;
	ev.verdict = t->has_v ? &t->v : NULL;
	dpi_record(w, cookie, &ev);
}

static size_t vname_len(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copy the string *@s points to to @at, point *@s at the copy. */
static char *vname_put(const char **s, char *at)
{
	size_t n;

	if (!*s)
		return at;
	n = strlen(*s) + 1;
	memcpy(at, *s, n);
	*s = at;
	return at + n;
}

static void on_request(void *ctx, const struct dpi_http_request *r)
{
	struct call *c = ctx;
	size_t need = cap_len(r->hostname, FIELD_KEEP) + cap_len(r->uri, URL_KEEP) +
		      cap_len(r->uri_norm, URL_KEEP) + cap_len(r->method, FIELD_KEEP) +
		      cap_len(r->protocol, FIELD_KEEP) + cap_len(r->user_agent, FIELD_KEEP) +
		      cap_len(r->content_type, FIELD_KEEP);
	struct tx *t;
	struct bh_verdict v;
	bool has_v;
	char *at;

	/* After a denial the connection is reset: what follows never runs. */
	if (dpi_pol_dropped(&c->w->cur->pol))
		return;
	dpi_inspect_http(c->w, c->cookie, r, c->hf->anoms);
	c->hf->anoms = 0;
	has_v = dpi_pol_http(c->w, c->w->cur, c->cookie, r, &v);
	/* The parser caps outstanding requests too; this is the same bound. */
	if (c->hf->n >= DPI_HTTP_MAX_PIPELINE) {
		struct tx *old = pop(c->hf);

		emit(c->w, c->cookie, old);
		free(old);
	}
	/* The verdict's names live in the policy, which a new one may
	 * replace before the response comes: the record keeps copies. */
	if (has_v)
		need += vname_len(v.reason) + vname_len(v.policy) + vname_len(v.rule);
	t = malloc(sizeof(*t) + need);
	if (!t) {
		dpi_anomaly(c->w, c->cookie, "applayer.no_memory");
		return;
	}
	memset(t, 0, sizeof(*t));
	t->id = r->tx_id;
	t->has_v = has_v;
	if (has_v)
		t->v = v;
	at = t->mem;
	at = put(&t->h.hostname, at, r->hostname, FIELD_KEEP);
	at = put(&t->h.url, at, r->uri, URL_KEEP);
	at = put(&t->h.url_normalized, at, r->uri_norm, URL_KEEP);
	at = put(&t->h.method, at, r->method, FIELD_KEEP);
	at = put(&t->h.protocol, at, r->protocol, FIELD_KEEP);
	at = put(&t->h.user_agent, at, r->user_agent, FIELD_KEEP);
	at = put(&t->h.content_type, at, r->content_type, FIELD_KEEP);
	if (has_v) {
		at = vname_put(&t->v.reason, at);
		at = vname_put(&t->v.policy, at);
		vname_put(&t->v.rule, at);
	}
	t->h.request_length = r->body_len;
	if (c->hf->early && c->hf->early_id == r->tx_id) {
		c->hf->early = false;
		t->h.status = c->hf->early_status;
		t->h.length = c->hf->early_len;
		emit(c->w, c->cookie, t);
		free(t);
		return;
	}
	if (c->w->inline_mode && has_v && v.action == BH_ACT_DENY) {
		/* Dropped inline: neither this request nor those before it
		 * will be answered; their records go now, in order. */
		while (c->hf->head) {
			struct tx *old = pop(c->hf);

			emit(c->w, c->cookie, old);
			free(old);
		}
		emit(c->w, c->cookie, t);
		free(t);
		return;
	}
	if (c->hf->tail)
		c->hf->tail->next = t;
	else
		c->hf->head = t;
	c->hf->tail = t;
	c->hf->n++;
}

static void on_response(void *ctx, const struct dpi_http_response *r)
{
	struct call *c = ctx;
	struct tx *t, *want = c->hf->head;

	while (want && want->id != r->tx_id)
		want = want->next;
	if (!want) {
		/* Unsolicited (the parser reported it), or early: its request
		 * is still being read. */
		c->hf->early = true;
		c->hf->early_id = r->tx_id;
		c->hf->early_status = (uint16_t)r->status;
		c->hf->early_len = r->body_len;
		return;
	}
	/* Responses come in request order; requests older than the one
	 * answered lost their response (a gap) and go out without one. */
	while ((t = pop(c->hf)) != want) {
		emit(c->w, c->cookie, t);
		free(t);
	}
	t->h.status = (uint16_t)r->status;
	t->h.length = r->body_len;
	emit(c->w, c->cookie, t);
	free(t);
}

static void on_anomaly(void *ctx, const char *event)
{
	struct call *c = ctx;

	if (c->dir == DPI_TO_SERVER)
		c->hf->anoms |= dpi_inspect_http_anomaly_bit(event);
	dpi_anomaly(c->w, c->cookie, event);
}

/* Request anomalies that no reported request carries (the request failed
 * to parse, or never ended): alerts without a transaction. */
static void flush_anoms(struct call *c)
{
	if (c->hf->anoms)
		dpi_inspect_http_orphans(c->w, c->cookie, c->hf->anoms);
	c->hf->anoms = 0;
}

static const struct dpi_http_cb callbacks = {
	.on_request = on_request,
	.on_response = on_response,
	.on_anomaly = on_anomaly,
};

static int http_init(struct dpi_flow *f)
{
	struct http_flow *hf = calloc(1, sizeof(*hf));

	if (!hf)
		return -ENOMEM;
	if (dpi_http_new(&hf->p) < 0) {
		free(hf);
		return -ENOMEM;
	}
	f->st = hf;
	return 0;
}

static int http_parse(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		      const uint8_t *buf, size_t len)
{
	struct call c = {w, f->st, cookie, dir};
	int r = dpi_http_parse(c.hf->p, dir, buf, len, &callbacks, &c);

	if (r < 0)
		flush_anoms(&c);
	return r;
}

static bool http_gap(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		     uint32_t len)
{
	struct call c = {w, f->st, cookie, dir};

	/* The parser says itself whether it can go on ("http.body_gap") or
	 * not ("http.stream_gap"; later parse calls then fail). */
	dpi_http_gap(c.hf->p, dir, len, &callbacks, &c);
	if (dir == DPI_TO_SERVER)
		flush_anoms(&c);
	return true;
}

static void http_eof(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir)
{
	struct call c = {w, f->st, cookie, dir};

	dpi_http_eof(c.hf->p, dir, &callbacks, &c);
	if (dir == DPI_TO_SERVER)
		flush_anoms(&c);
}

static void http_end(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	struct http_flow *hf = f->st;

	if (!hf)
		return;
	if (hf->anoms) {
		struct call c = {w, hf, cookie, DPI_TO_SERVER};

		flush_anoms(&c);
	}
	while (hf->head) {
		struct tx *t = hf->head;

		hf->head = t->next;
		emit(w, cookie, t);
		free(t);
	}
	dpi_http_free(hf->p);
	free(hf);
	f->st = NULL;
}

const struct dpi_app dpi_app_http = {
	.proto = DPI_PROTO_HTTP,
	.init = http_init,
	.parse = http_parse,
	.gap = http_gap,
	.eof = http_eof,
	.end = http_end,
};
