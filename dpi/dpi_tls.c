/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_tls.c - TLS ClientHello / ServerHello parser (see dpi_tls.h).
 *
 * Each call walks the records from the start of @buf until they hold the
 * whole hello message, without consuming anything; only then is the hello
 * parsed, in place when it lies in one record, else from a copy of the
 * fragments on the stack (at most DPI_TLS_MAX_HELLO + 4 bytes). Walking again
 * on the next call costs a few record headers: DPI_TLS_MAX_RECORDS at most.
 */
#include <errno.h>
#include <string.h>

#include "dpi_tls.h"

enum { PH_HELLO, PH_DONE, PH_FAILED };

#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43

/* Returned when the walk found a complete hello. */
#define RETURN_CAP (DPI_MAX_PENDING * 16u)

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint32_t rd_be(struct rd *r, unsigned n)
{
	uint32_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	return v;
}

/* A sub-reader over the next @n bytes (empty and bad if they are not all
 * there). */
static struct rd rd_sub(struct rd *r, uint32_t n)
{
	struct rd s = {r->p, r->p, true};

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return s;
	}
	s.end = r->p + n;
	s.bad = false;
	r->p += n;
	return s;
}

/* A vector with a @lenbytes length prefix. */
static struct rd rd_vec(struct rd *r, unsigned lenbytes)
{
	uint32_t n = rd_be(r, lenbytes);

	return rd_sub(r, n);
}

static void anomaly(const struct dpi_tls_cb *cb, void *ctx, const char *ev)
{
	if (cb && cb->on_anomaly)
		cb->on_anomaly(ctx, ev);
}

/* GREASE values (RFC 8701) are 0x?a?a with both bytes equal. */
static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A DNS host name as SNI wants it (RFC 6066 3): ASCII letters, digits,
 * hyphens (underscores tolerated), labels of 1-63 bytes, no trailing dot. */
static bool hostname_ok(const uint8_t *p, uint32_t n)
{
	uint32_t label = 0;

	if (n == 0 || n > DPI_TLS_MAX_SNI)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label != 0;
}

static bool parse_sni(struct rd *ext, struct dpi_tls_client_hello *h,
		      const struct dpi_tls_cb *cb, void *ctx)
{
	struct rd list = rd_vec(ext, 2);
	bool invalid = false;

	if (ext->bad || ext->p != ext->end || list.p == list.end)
		return false;
	while (!list.bad && list.p < list.end) {
		uint8_t type = (uint8_t)rd_be(&list, 1);
		struct rd name = rd_vec(&list, 2);

		if (list.bad)
			return false;
		if (type != 0)
			continue;
		if (h->has_sni) {
			invalid = true;		/* two host names: which one? */
			continue;
		}
		h->has_sni = true;
		h->sni.p = name.p;
		h->sni.len = (uint32_t)(name.end - name.p);
		if (!hostname_ok(name.p, h->sni.len))
			invalid = true;
		if (h->sni.len > DPI_TLS_MAX_SNI)
			h->sni.len = DPI_TLS_MAX_SNI;
	}
	h->sni_valid = h->has_sni && !invalid;
	if (invalid)
		anomaly(cb, ctx, "tls.sni_invalid");
	return true;
}

static bool parse_alpn(struct rd *ext, struct dpi_tls_client_hello *h)
{
	struct rd list = rd_vec(ext, 2);

	if (ext->bad || ext->p != ext->end || list.p == list.end)
		return false;
	while (list.p < list.end) {
		struct rd name = rd_vec(&list, 1);

		if (list.bad || name.p == name.end)
			return false;
		if (h->alpn_count == DPI_TLS_MAX_ALPN) {
			h->alpn_truncated = true;
			continue;
		}
		h->alpn[h->alpn_count].p = name.p;
		h->alpn[h->alpn_count].len = (uint32_t)(name.end - name.p);
		h->alpn_count++;
	}
	return true;
}

static bool parse_versions(struct rd *ext, struct dpi_tls_client_hello *h)
{
	struct rd list = rd_vec(ext, 1);
	uint16_t max = 0;

	if (ext->bad || ext->p != ext->end || list.p == list.end ||
	    (list.end - list.p) % 2 != 0)
		return false;
	while (list.p < list.end) {
		uint16_t v = (uint16_t)rd_be(&list, 2);

		if (!grease(v) && v > max)
			max = v;
	}
	if (max)
		h->version = max;
	return true;
}

/* ClientHello body @p[0..n). */
static bool client_hello(const uint8_t *p, uint32_t n, uint16_t record_version,
			 const struct dpi_tls_cb *cb, void *ctx)
{
	struct rd r = {p, p + n, false}, sid, suites, comp, exts;
	struct dpi_tls_client_hello h = {.record_version = record_version};
	uint32_t seen = 0;

	h.legacy_version = (uint16_t)rd_be(&r, 2);
	h.version = h.legacy_version;
	(void)rd_sub(&r, 32);		/* random */
	sid = rd_vec(&r, 1);
	suites = rd_vec(&r, 2);
	comp = rd_vec(&r, 1);
	if (r.bad || sid.end - sid.p > 32 || suites.p == suites.end ||
	    (suites.end - suites.p) % 2 != 0 || comp.p == comp.end)
		return false;
	h.cipher_suites.p = suites.p;
	h.cipher_suites.len = (uint32_t)(suites.end - suites.p);
	if (r.p < r.end) {
		exts = rd_vec(&r, 2);
		if (r.bad || r.p != r.end)
			return false;
		h.extensions.p = exts.p;
		h.extensions.len = (uint32_t)(exts.end - exts.p);
		while (exts.p < exts.end) {
			uint16_t type = (uint16_t)rd_be(&exts, 2);
			struct rd ext = rd_vec(&exts, 2);
			uint32_t bit = type == EXT_SERVER_NAME ? 1 : type == EXT_ALPN ? 2
				     : type == EXT_SUPPORTED_VERSIONS ? 4 : 0;
			bool ok = true;

			if (exts.bad)
				return false;
			if (bit & seen) {
				anomaly(cb, ctx, "tls.duplicate_extension");
				continue;
			}
			seen |= bit;
			if (type == EXT_SERVER_NAME)
				ok = parse_sni(&ext, &h, cb, ctx);
			else if (type == EXT_ALPN)
				ok = parse_alpn(&ext, &h);
			else if (type == EXT_SUPPORTED_VERSIONS)
				ok = parse_versions(&ext, &h);
			if (!ok)
				return false;
		}
	}
	if (cb && cb->on_client_hello)
		cb->on_client_hello(ctx, &h);
	return true;
}

static bool server_hello(const uint8_t *p, uint32_t n, const struct dpi_tls_cb *cb, void *ctx)
{
	/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3. */
	static const uint8_t hrr[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	struct rd r = {p, p + n, false}, random, sid, exts;
	struct dpi_tls_server_hello h = {0};

	h.legacy_version = (uint16_t)rd_be(&r, 2);
	h.version = h.legacy_version;
	random = rd_sub(&r, 32);
	sid = rd_vec(&r, 1);
	h.cipher_suite = (uint16_t)rd_be(&r, 2);
	(void)rd_be(&r, 1);		/* compression */
	if (r.bad || sid.end - sid.p > 32)
		return false;
	h.hello_retry = !memcmp(random.p, hrr, 32);
	if (r.p < r.end) {
		exts = rd_vec(&r, 2);
		if (r.bad || r.p != r.end)
			return false;
		while (exts.p < exts.end) {
			uint16_t type = (uint16_t)rd_be(&exts, 2);
			struct rd ext = rd_vec(&exts, 2);

			if (exts.bad)
				return false;
			if (type == EXT_SUPPORTED_VERSIONS) {
				uint16_t v = (uint16_t)rd_be(&ext, 2);

				if (ext.bad || ext.p != ext.end)
					return false;
				h.version = v;
			}
		}
	}
	if (cb && cb->on_server_hello)
		cb->on_server_hello(ctx, &h);
	return true;
}

int dpi_tls_parse(struct dpi_tls_state *st, unsigned dir, const uint8_t *buf, size_t len,
		  const struct dpi_tls_cb *cb, void *ctx)
{
	uint8_t gather[DPI_TLS_MAX_HELLO + 4];
	uint8_t want = dir == DPI_TO_SERVER ? HS_CLIENT_HELLO : HS_SERVER_HELLO;
	uint32_t have = 0, need = 0, nrec = 0;	/* need: 4 + body, once known */
	uint16_t record_version = 0;
	const uint8_t *first = NULL;
	size_t off = 0;
	bool ok;

	if (dir > DPI_TO_CLIENT)
		return -EINVAL;
	if (st->phase[dir] == PH_FAILED)
		return -EBADMSG;
	if (st->phase[dir] == PH_DONE)
		return (int)(len < RETURN_CAP ? len : RETURN_CAP);
	for (;;) {
		uint32_t rlen, take;

		if (len - off < 5)
			return DPI_NEED_MORE;
		if (nrec == 0 && buf[0] == 21 && buf[1] == 3 && buf[2] <= 4) {
			/* An alert instead of a hello (a server refusing the
			 * client's versions, say): the handshake is over. */
			rlen = (uint32_t)buf[3] << 8 | buf[4];
			if (rlen != 2) {
				anomaly(cb, ctx, "tls.malformed");
				goto fail;
			}
			if (len < 7)
				return DPI_NEED_MORE;
			if (cb && cb->on_alert)
				cb->on_alert(ctx, dir, buf[5], buf[6]);
			st->phase[dir] = PH_DONE;
			return (int)(len < RETURN_CAP ? len : RETURN_CAP);
		}
		if (buf[off] != 22 || buf[off + 1] != 3 || buf[off + 2] > 4) {
			anomaly(cb, ctx, "tls.malformed");
			goto fail;
		}
		rlen = (uint32_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen > DPI_TLS_MAX_RECORD) {
			anomaly(cb, ctx, "tls.record_too_large");
			goto fail;
		}
		if (rlen == 0) {		/* forbidden for handshake records */
			anomaly(cb, ctx, "tls.malformed");
			goto fail;
		}
		if (++nrec > DPI_TLS_MAX_RECORDS) {
			anomaly(cb, ctx, "tls.fragmented");
			goto fail;
		}
		if (len - off - 5 < rlen)
			return DPI_NEED_MORE;
		if (nrec == 1) {
			record_version = (uint16_t)(buf[off + 1] << 8 | buf[off + 2]);
			first = buf + off + 5;
		}
		/* Gather the handshake header and, once its length is known,
		 * the body (the copy is used only if the body spans records). */
		take = need ? need - have : 4 - have;
		if (take > rlen)
			take = rlen;
		memcpy(gather + have, buf + off + 5, take);
		have += take;
		if (!need && have == 4) {
			uint32_t body = (uint32_t)gather[1] << 16 | (uint32_t)gather[2] << 8 |
					gather[3];

			if (gather[0] != want) {
				anomaly(cb, ctx, "tls.malformed");
				goto fail;
			}
			if (body > DPI_TLS_MAX_HELLO) {
				anomaly(cb, ctx, "tls.hello_too_large");
				goto fail;
			}
			need = 4 + body;
			if (rlen > take) {
				uint32_t more = rlen - take < body ? rlen - take : body;

				memcpy(gather + have, buf + off + 5 + take, more);
				have += more;
			}
		}
		off += 5 + rlen;
		if (need && have == need)
			break;
	}
	/* In place when the first record held it all. */
	if (first + need <= buf + 5 + ((uint32_t)buf[3] << 8 | buf[4])) {
		if (want == HS_CLIENT_HELLO)
			ok = client_hello(first + 4, need - 4, record_version, cb, ctx);
		else
			ok = server_hello(first + 4, need - 4, cb, ctx);
	} else if (want == HS_CLIENT_HELLO) {
		ok = client_hello(gather + 4, need - 4, record_version, cb, ctx);
	} else {
		ok = server_hello(gather + 4, need - 4, cb, ctx);
	}
	if (!ok) {
		anomaly(cb, ctx, "tls.malformed");
		goto fail;
	}
	st->phase[dir] = PH_DONE;
	return (int)(len < RETURN_CAP ? len : RETURN_CAP);
fail:
	st->phase[dir] = PH_FAILED;
	return -EBADMSG;
}

void dpi_tls_init(struct dpi_tls_state *st)
{
	memset(st, 0, sizeof(*st));
}

bool dpi_tls_done(const struct dpi_tls_state *st, unsigned dir)
{
	return dir <= DPI_TO_CLIENT && st->phase[dir] == PH_DONE;
}

const char *dpi_tls_version_name(uint16_t version)
{
	switch (version) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return "unknown";
	}
}

bool dpi_tls_probe(const uint8_t *buf, size_t len)
{
	uint32_t rlen;

	if (len < 3 || buf[0] != 22 || buf[1] != 3 || buf[2] > 4)
		return false;
	if (len < 5)
		return true;
	rlen = (uint32_t)buf[3] << 8 | buf[4];
	if (rlen == 0 || rlen > DPI_TLS_MAX_RECORD)
		return false;
	return len < 6 || buf[5] == HS_CLIENT_HELLO;
}
