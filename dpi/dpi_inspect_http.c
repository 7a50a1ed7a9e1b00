/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_inspect_http.c - an HTTP request through the signatures: the
 * inspection buffers of dpi_rules.h built from the parsed request, the
 * compiled rules, the C detectors on each user-controlled value, and the
 * request anomalies that are signatures (http-anomaly).
 */
#include <string.h>

#include "dpi_inspect_int.h"
#include "dpi_sqli.h"

/* Request anomalies that are signatures, and the header whose value the
 * alert quotes (NULL: the request line). */
static const struct {
	const char *event;
	enum dpi_csig cs;
	const char *header;
} http_anoms[] = {
	{"http.cl_te_both", DPI_CS_HTTP_CL_TE, "transfer-encoding"},
	{"http.content_length_invalid", DPI_CS_HTTP_CL_INVALID, "content-length"},
	{"http.content_length_duplicate", DPI_CS_HTTP_CL_DUPLICATE, "content-length"},
	{"http.te_invalid", DPI_CS_HTTP_TE_INVALID, "transfer-encoding"},
	{"http.te_http10", DPI_CS_HTTP_TE_HTTP10, "transfer-encoding"},
	{"http.header_limit", DPI_CS_HTTP_HEADER_LIMIT, NULL},
	{"http.bare_cr", DPI_CS_HTTP_LINE_FOLDING, NULL},
	{"http.bare_lf", DPI_CS_HTTP_LINE_FOLDING, NULL},
	{"http.obs_fold", DPI_CS_HTTP_LINE_FOLDING, NULL},
	{"http.chunk_invalid", DPI_CS_HTTP_CHUNK_INVALID, "transfer-encoding"},
	{"http.host_duplicate", DPI_CS_HTTP_HOST_DUPLICATE, "host"},
	{"http.request_line_invalid", DPI_CS_HTTP_REQUEST_LINE, NULL},
	{"http.header_invalid", DPI_CS_HTTP_REQUEST_LINE, NULL},
};

uint32_t dpi_inspect_http_anomaly_bit(const char *event)
{
	for (size_t i = 0; i < sizeof(http_anoms) / sizeof(http_anoms[0]); i++)
		if (strcmp(event, http_anoms[i].event) == 0)
			return 1u << (http_anoms[i].cs - DPI_CS_HTTP_CL_TE);
	return 0;
}

static bool name_is(struct dpi_slice n, const char *want);

/* The excerpt of an anomaly alert: the last value of @header (the one that
 * conflicts), else the request target; the anomaly's name without a
 * request. */
static struct dpi_slice anomaly_excerpt(const struct dpi_http_request *r, const char *header,
					const char *event)
{
	struct dpi_slice v = {(const uint8_t *)event, (uint32_t)strlen(event)};

	if (!r)
		return v;
	if (r->uri.len)
		v = r->uri;
	for (uint32_t i = 0; header && i < r->n_headers; i++)
		if (name_is(r->headers[i].name, header) && r->headers[i].value.len)
			v = r->headers[i].value;
	return v;
}

static void anomalies(struct dpi_worker *w, void *cookie, uint32_t bits,
		      const struct dpi_http_request *r, const struct bh_event *rec)
{
	for (size_t i = 0; i < sizeof(http_anoms) / sizeof(http_anoms[0]); i++) {
		uint32_t b = 1u << (http_anoms[i].cs - DPI_CS_HTTP_CL_TE);
		struct dpi_slice ex;

		if (!(bits & b))
			continue;
		bits &= ~b; /* one alert per signature, not per anomaly name */
		ex = anomaly_excerpt(r, http_anoms[i].header, http_anoms[i].event);
		dpi_inspect_csig(w, cookie, http_anoms[i].cs,
				 http_anoms[i].header ? "http.header" : "http.request", ex.p,
				 ex.len, http_anoms[i].event, rec);
	}
}

void dpi_inspect_http_orphans(struct dpi_worker *w, void *cookie, uint32_t anoms)
{
	if (w->sigs && anoms)
		anomalies(w, cookie, anoms, NULL, NULL);
}

static bool name_is(struct dpi_slice n, const char *want)
{
	size_t len = strlen(want);

	if (n.len != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = n.p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)want[i])
			return false;
	}
	return true;
}

/* http.uri: the normalised path, then '?' and the query decoded once. */
static struct dpi_slice build_uri(struct dpi_inspect_buf *ib, const struct dpi_http_request *r)
{
	size_t n = r->uri_norm.len < DPI_HTTP_MAX_HEAD ? r->uri_norm.len : DPI_HTTP_MAX_HEAD;
	unsigned fl = 0;

	if (n)
		memcpy(ib->uri, r->uri_norm.p, n);
	if (r->query.len) {
		size_t q = r->query.len < DPI_HTTP_MAX_HEAD ? r->query.len : DPI_HTTP_MAX_HEAD;

		ib->uri[n++] = '?';
		n += dpi_uri_decode(r->query.p, q, 0, ib->uri + n, &fl);
	}
	return (struct dpi_slice){ib->uri, (uint32_t)n};
}

/* http.header: "Name: value\r\n" per field, as sent. */
static struct dpi_slice build_headers(struct dpi_inspect_buf *ib,
				      const struct dpi_http_request *r)
{
	size_t n = 0;

	for (uint32_t i = 0; i < r->n_headers; i++) {
		const struct dpi_http_header *h = &r->headers[i];
		size_t need = (size_t)h->name.len + 2 + h->value.len + 2;

		if (n + need > sizeof(ib->hdr))
			break;
		memcpy(ib->hdr + n, h->name.p, h->name.len);
		n += h->name.len;
		memcpy(ib->hdr + n, ": ", 2);
		n += 2;
		if (h->value.len)
			memcpy(ib->hdr + n, h->value.p, h->value.len);
		n += h->value.len;
		memcpy(ib->hdr + n, "\r\n", 2);
		n += 2;
	}
	return (struct dpi_slice){ib->hdr, (uint32_t)n};
}

static void put(struct dpi_sig_tx *tx, struct dpi_inspect_buf *ib, enum dpi_rule_buffer b,
		struct dpi_slice v)
{
	if (!v.len)
		return;
	ib->one[b] = v;
	tx->vals[b] = &ib->one[b];
	tx->nvals[b] = 1;
}

static struct bh_str bstr(struct dpi_slice s)
{
	return (struct bh_str){(const char *)s.p, s.len};
}

/* Each "name=value" of the Cookie headers: the values, for the sqli
 * detector; the whole header values for http.cookie. */
static void cookie_values(struct dpi_worker *w, void *cookie, struct dpi_slice v,
			  const struct bh_event *rec)
{
	const uint8_t *p = v.p, *end = v.p + v.len;

	while (p < end) {
		const uint8_t *semi = memchr(p, ';', (size_t)(end - p));
		const uint8_t *e = semi ? semi : end, *eq;

		eq = memchr(p, '=', (size_t)(e - p));
		if (eq && e > eq + 1)
			dpi_inspect_sqli_value(w, cookie, DPI_CS_SQLI_COOKIE, "http.cookie", eq + 1,
					       (uint32_t)(e - eq - 1), 0, rec);
		if (e == end)
			break;
		p = e + 1;
	}
}

/* Path segments of the raw target, still encoded ('+' may be a space). */
static void path_segments(struct dpi_worker *w, void *cookie, const struct dpi_http_request *r,
			  const struct bh_event *rec)
{
	struct dpi_uri_target t;
	const uint8_t *p, *end;

	dpi_uri_split_target(r->uri.p, r->uri.len, &t);
	if (!t.path.len)
		return;
	p = t.path.p;
	end = t.path.p + t.path.len;
	while (p < end) {
		const uint8_t *slash = memchr(p, '/', (size_t)(end - p));
		const uint8_t *e = slash ? slash : end;

		if (e > p)
			dpi_inspect_sqli_value(w, cookie, DPI_CS_SQLI_PATH, "http.uri", p,
					       (uint32_t)(e - p), DPI_SQLI_CTX_PLUS, rec);
		if (e == end)
			break;
		p = e + 1;
	}
}

void dpi_inspect_http(struct dpi_worker *w, void *cookie, const struct dpi_http_request *r,
		      uint32_t anoms)
{
	struct dpi_inspect_buf *ib = w->ib;
	struct dpi_sig_tx tx = {.app = DPI_RULE_APP_HTTP, .dir = DPI_TO_SERVER};
	struct bh_event rec;
	uint32_t np = 0, nc = 0;

	if (!w->sigs)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.type = BH_EV_HTTP;
	rec.http.hostname = bstr(r->hostname);
	rec.http.url = bstr(r->uri);
	rec.http.url_normalized = bstr(r->uri_norm);
	rec.http.method = bstr(r->method);
	rec.http.protocol = bstr(r->protocol);
	rec.http.user_agent = bstr(r->user_agent);
	rec.http.content_type = bstr(r->content_type);
	rec.http.request_length = r->body_len;

	put(&tx, ib, DPI_RB_HTTP_URI, build_uri(ib, r));
	put(&tx, ib, DPI_RB_HTTP_URI_RAW, r->uri);
	put(&tx, ib, DPI_RB_HTTP_METHOD, r->method);
	put(&tx, ib, DPI_RB_HTTP_HOST, r->hostname);
	put(&tx, ib, DPI_RB_HTTP_HEADER, build_headers(ib, r));
	put(&tx, ib, DPI_RB_HTTP_USER_AGENT, r->user_agent);
	put(&tx, ib, DPI_RB_HTTP_REQUEST_BODY, r->body);
	for (uint32_t i = 0; i < r->n_params && np < 2 * DPI_HTTP_MAX_PARAMS; i++)
		ib->params[np++] = r->params[i].value;
	for (uint32_t i = 0; i < r->n_form && np < 2 * DPI_HTTP_MAX_PARAMS; i++)
		ib->params[np++] = r->form[i].value;
	if (np) {
		tx.vals[DPI_RB_HTTP_PARAM] = ib->params;
		tx.nvals[DPI_RB_HTTP_PARAM] = np;
	}
	for (uint32_t i = 0; i < r->n_headers && nc < DPI_IB_COOKIES; i++)
		if (name_is(r->headers[i].name, "cookie") && r->headers[i].value.len)
			ib->cookies[nc++] = r->headers[i].value;
	if (nc) {
		tx.vals[DPI_RB_HTTP_COOKIE] = ib->cookies;
		tx.nvals[DPI_RB_HTTP_COOKIE] = nc;
	}
	dpi_inspect_rules(w, cookie, &tx, &rec);

	/* The C detectors, on every value a client controls. */
	for (uint32_t i = 0; i < r->n_params; i++)
		dpi_inspect_sqli_value(w, cookie, DPI_CS_SQLI_PARAM, "http.param",
				       r->params[i].value.p, r->params[i].value.len, 0, &rec);
	for (uint32_t i = 0; i < r->n_form; i++)
		dpi_inspect_sqli_value(w, cookie, DPI_CS_SQLI_BODY, "http.param",
				       r->form[i].value.p, r->form[i].value.len, 0, &rec);
	path_segments(w, cookie, r, &rec);
	for (uint32_t i = 0; i < nc; i++)
		cookie_values(w, cookie, ib->cookies[i], &rec);

	dpi_inspect_jndi_value(w, cookie, "http.uri.raw", r->uri.p, r->uri.len, &rec);
	for (uint32_t i = 0; i < r->n_headers; i++)
		dpi_inspect_jndi_value(w, cookie, "http.header", r->headers[i].value.p,
				       r->headers[i].value.len, &rec);
	for (uint32_t i = 0; i < np; i++)
		dpi_inspect_jndi_value(w, cookie, "http.param", ib->params[i].p, ib->params[i].len,
				       &rec);
	dpi_inspect_jndi_value(w, cookie, "http.request_body", r->body.p, r->body.len, &rec);

	if (anoms)
		anomalies(w, cookie, anoms, r, &rec);
}
