/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_dns.c - DNS message parser; the contract is in dpi_dns.h.
 *
 * Every read goes through a position and an end checked just before it. The
 * end is the message's, except for the in-place part of a name inside RDATA,
 * which must stay inside that RDATA (a pointer may still reach back anywhere
 * in the message, as compression allows).
 */
#include "dpi_dns.h"

#include <errno.h>
#include <string.h>

/* Anomalies are compared by address when deduplicated, so each has one. */
static const char EV_TRUNCATED[] = "dns.truncated";
static const char EV_COUNTS[] = "dns.counts_invalid";
static const char EV_POINTER_LOOP[] = "dns.pointer_loop";
static const char EV_LABEL_LONG[] = "dns.label_too_long";
static const char EV_LABEL_INVALID[] = "dns.label_invalid";
static const char EV_NAME_LONG[] = "dns.name_too_long";
static const char EV_RDATA[] = "dns.rdata_invalid";
static const char EV_TRAILING[] = "dns.trailing_data";
static const char EV_QLIMIT[] = "dns.question_limit";
static const char EV_ALIMIT[] = "dns.answer_limit";
static const char EV_TXTLIMIT[] = "dns.txt_limit";
static const char EV_TOO_LARGE[] = "dns.message_too_large";

/* Smallest question (root name, type, class) and record (plus TTL, RDLENGTH). */
#define MIN_QUESTION 5u
#define MIN_RR 11u

/* Scratch name slots: the questions first, then two per kept answer. */
#define SLOT_QUESTION(i) (i)
#define SLOT_RRNAME(i) (DPI_DNS_MAX_QUESTIONS + 2 * (i))
#define SLOT_TARGET(i) (DPI_DNS_MAX_QUESTIONS + 2 * (i) + 1)

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void add_anomaly(struct dpi_dns_msg *msg, const char *ev)
{
	for (unsigned i = 0; i < msg->n_anomalies; i++)
		if (msg->anomalies[i] == ev)
			return;
	/* Distinct anomalies per message are fewer than the cap (at most one
	 * fault plus the five non-fatal kinds), so nothing is dropped here. */
	if (msg->n_anomalies < DPI_DNS_MAX_ANOMALIES)
		msg->anomalies[msg->n_anomalies++] = ev;
}

static bool is_ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/*
 * Appends one label's text at @o (the caller has checked the room: four
 * characters per byte at most). Returns the characters written.
 */
static size_t put_label(char *o, const uint8_t *p, size_t n, struct dpi_dns_name *nm)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!is_ldh(c))
			nm->non_ldh = true;
		if (c >= 'A' && c <= 'Z') {
			o[w++] = (char)(c - 'A' + 'a');
		} else if (c == '.' || c == '\\') {
			o[w++] = '\\';
			o[w++] = (char)c;
			nm->escaped = true;
		} else if (c < 0x21 || c > 0x7e) {
			o[w++] = '\\';
			o[w++] = (char)('0' + c / 100);
			o[w++] = (char)('0' + c / 10 % 10);
			o[w++] = (char)('0' + c % 10);
			nm->escaped = true;
		} else {
			o[w++] = (char)c;
		}
	}
	return w;
}

/*
 * Reads the name at @off of message @m[0..@mlen). Its in-place part must end
 * by @limit (<= @mlen; with @in_rdata, the RDATA's end). On success returns
 * NULL and sets *@ret_end to the offset after the in-place part; with @buf
 * (DPI_DNS_NAME_TEXT_MAX bytes) the text is written there and described in
 * *@ret_name. On a fault returns its anomaly: overrunning the RDATA is
 * EV_RDATA (the record's length still frames the message), overrunning the
 * message EV_TRUNCATED.
 */
static const char *read_name(const uint8_t *m, size_t mlen, bool in_rdata, size_t off,
			     size_t limit, size_t *ret_end, struct dpi_dns_name *ret_name,
			     char *buf)
{
	struct dpi_dns_name nm = {.text = buf};
	size_t pos = off, run_start = off, end = limit, after = 0, wire = 1, olen = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t b;

		if (pos >= end)
			return in_rdata && !jumped ? EV_RDATA : EV_TRUNCATED;
		b = m[pos];
		switch (b & 0xc0) {
		case 0x00:
			if (b == 0) {
				if (!jumped)
					after = pos + 1;
				goto done;
			}
			if (b >= end - pos) /* the label's bytes are pos+1 .. pos+b */
				return in_rdata && !jumped ? EV_RDATA : EV_TRUNCATED;
			wire += (size_t)b + 1;
			if (wire > DPI_DNS_NAME_WIRE_MAX)
				return EV_NAME_LONG;
			if (buf) {
				/* The wire cap bounds the text (dpi_dns.h); this check
				 * only makes that proof unnecessary for safety. */
				if (olen + 1 + 4u * b >= DPI_DNS_NAME_TEXT_MAX)
					return EV_NAME_LONG;
				if (nm.labels)
					buf[olen++] = '.';
				olen += put_label(buf + olen, m + pos + 1, b, &nm);
			}
			nm.labels++;
			pos += (size_t)b + 1;
			break;
		case 0xc0: {
			size_t target;

			if (end - pos < 2)
				return in_rdata && !jumped ? EV_RDATA : EV_TRUNCATED;
			target = (size_t)(b & 0x3f) << 8 | m[pos + 1];
			if (!jumped)
				after = pos + 2;
			if (target >= run_start || ++hops > DPI_DNS_MAX_HOPS)
				return EV_POINTER_LOOP;
			jumped = true;
			pos = run_start = target;
			end = mlen;
			break;
		}
		case 0x40:
			return EV_LABEL_LONG;
		default:
			return EV_LABEL_INVALID;
		}
	}
done:
	*ret_end = after;
	if (buf) {
		buf[olen] = '\0';
		nm.len = (uint16_t)olen;
		*ret_name = nm;
	}
	return NULL;
}

static size_t put_u8_dec(char *o, unsigned v)
{
	size_t w = 0;

	if (v >= 100)
		o[w++] = (char)('0' + v / 100);
	if (v >= 10)
		o[w++] = (char)('0' + v / 10 % 10);
	o[w++] = (char)('0' + v % 10);
	return w;
}

/* Dotted quad of @p[0..4) into @o (at least 16 bytes); returns the length. */
static size_t fmt_ipv4(char *o, const uint8_t *p)
{
	size_t w = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			o[w++] = '.';
		w += put_u8_dec(o + w, p[i]);
	}
	o[w] = '\0';
	return w;
}

/*
 * RFC 5952 text of @p[0..16) into @o (DPI_DNS_ADDR_TEXT_MAX bytes): lower-case
 * hex without leading zeros, the longest run of two or more zero groups (the
 * first of equal runs) as "::", and IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
static void fmt_ipv6(char *o, const uint8_t *p)
{
	static const char hex[] = "0123456789abcdef";
	uint16_t g[8];
	int best = -1, best_len = 0;
	size_t w = 0;

	for (int i = 0; i < 8; i++)
		g[i] = rd16(p + 2 * i);
	if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff) {
		memcpy(o, "::ffff:", 7);
		fmt_ipv4(o + 7, p + 12);
		return;
	}
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && !g[j])
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			o[w++] = ':';
			o[w++] = ':';
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			o[w++] = ':';
		for (int s = 12; s >= 0; s -= 4)
			if (g[i] >> s || !s)
				o[w++] = hex[g[i] >> s & 0xf];
	}
	o[w] = '\0';
}

/*
 * Checks and, with @rr (a kept answer, its name slots @tbuf), renders the
 * RDATA m[@off, @off + @rdlen) of type @type. Returns NULL when fine,
 * EV_RDATA when the RDATA does not fit its type (not fatal: the record's
 * length still frames it), or a fatal name anomaly.
 */
static const char *parse_rdata(const uint8_t *m, size_t mlen, size_t off, size_t rdlen,
			       uint16_t type, struct dpi_dns_rr *rr, char *tbuf)
{
	size_t end = off + rdlen, e;
	const char *ev;

	/* Empty RDATA is how UPDATE deletes (class ANY/NONE) and prerequisites
	 * are written: legal for every type. */
	if (rdlen == 0)
		return NULL;
	switch (type) {
	case DPI_DNS_TYPE_A:
	case DPI_DNS_TYPE_AAAA:
		if (rdlen != (type == DPI_DNS_TYPE_A ? 4u : 16u))
			return EV_RDATA;
		if (rr) {
			if (type == DPI_DNS_TYPE_A)
				fmt_ipv4(rr->addr, m + off);
			else
				fmt_ipv6(rr->addr, m + off);
			rr->kind = DPI_DNS_RDATA_ADDR;
		}
		return NULL;
	case DPI_DNS_TYPE_CNAME:
	case DPI_DNS_TYPE_NS:
	case DPI_DNS_TYPE_PTR:
	case DPI_DNS_TYPE_MX: {
		size_t noff = off + (type == DPI_DNS_TYPE_MX ? 2 : 0);

		if (noff >= end)
			return EV_RDATA;
		ev = read_name(m, mlen, true, noff, end, &e, rr ? &rr->target : NULL,
				rr ? tbuf : NULL);
		if (ev)
			return ev;
		if (e != end)
			return EV_RDATA;
		if (rr) {
			rr->kind = type == DPI_DNS_TYPE_MX ? DPI_DNS_RDATA_MX : DPI_DNS_RDATA_NAME;
			if (type == DPI_DNS_TYPE_MX)
				rr->mx_pref = rd16(m + off);
		}
		return NULL;
	}
	case DPI_DNS_TYPE_SOA:
		/* MNAME, RNAME, then five 32-bit fields: validated, not kept. */
		ev = read_name(m, mlen, true, off, end, &e, NULL, NULL);
		if (!ev)
			ev = read_name(m, mlen, true, e, end, &e, NULL, NULL);
		if (ev)
			return ev;
		return end - e == 20 ? NULL : EV_RDATA;
	case DPI_DNS_TYPE_SRV:
		/* Priority, weight, port, target (never compressed, RFC 2782,
		 * but decoders accept it): validated, not kept. */
		if (rdlen < 7)
			return EV_RDATA;
		ev = read_name(m, mlen, true, off + 6, end, &e, NULL, NULL);
		if (ev)
			return ev;
		return e == end ? NULL : EV_RDATA;
	case DPI_DNS_TYPE_TXT: {
		uint16_t n = 0;
		size_t p = off;

		while (p < end) {
			size_t sl = m[p];

			if (sl >= end - p)
				return EV_RDATA;
			if (rr && n < DPI_DNS_MAX_TXT) {
				rr->txt[n].p = m + p + 1;
				rr->txt[n].len = (uint32_t)sl;
			}
			n++;
			p += sl + 1;
		}
		if (rr) {
			rr->n_txt = n;
			rr->kind = DPI_DNS_RDATA_TXT;
		}
		return NULL;
	}
	default:
		return NULL;
	}
}

/* The decoding of one message; @pos advances, faults end it. */
struct dns_parse {
	const uint8_t *m;
	size_t len;
	size_t pos;
	struct dpi_dns_msg *out;
	struct dpi_dns_scratch *scratch;
};

/* Returns NULL, or the fatal anomaly that stopped the section. */
static const char *parse_questions(struct dns_parse *d)
{
	struct dpi_dns_msg *out = d->out;
	const char *ev;

	for (unsigned i = 0; i < out->qdcount; i++) {
		bool keep = i < DPI_DNS_MAX_QUESTIONS;
		struct dpi_dns_question *q = keep ? &out->questions[i] : NULL;
		size_t e;

		ev = read_name(d->m, d->len, false, d->pos, d->len, &e, q ? &q->name : NULL,
			       keep ? d->scratch->names[SLOT_QUESTION(i)] : NULL);
		if (ev)
			return ev;
		if (d->len - e < 4)
			return EV_TRUNCATED;
		if (q) {
			q->qtype = rd16(d->m + e);
			q->qclass = rd16(d->m + e + 2);
			out->n_questions++;
		} else {
			add_anomaly(out, EV_QLIMIT);
		}
		d->pos = e + 4;
	}
	return NULL;
}

/* One section of @count records; @answers: keep them. */
static const char *parse_records(struct dns_parse *d, unsigned count, bool answers)
{
	struct dpi_dns_msg *out = d->out;
	const char *ev;

	for (unsigned i = 0; i < count; i++) {
		bool keep = answers && i < DPI_DNS_MAX_ANSWERS;
		struct dpi_dns_rr *rr = keep ? &out->answers[i] : NULL;
		struct dpi_dns_name nm;
		uint16_t type, rdlen;
		size_t e;

		ev = read_name(d->m, d->len, false, d->pos, d->len, &e, &nm,
			       keep ? d->scratch->names[SLOT_RRNAME(i)] : NULL);
		if (ev)
			return ev;
		if (d->len - e < 10)
			return EV_TRUNCATED;
		type = rd16(d->m + e);
		rdlen = rd16(d->m + e + 8);
		if (d->len - e - 10 < rdlen)
			return EV_TRUNCATED;
		if (rr) {
			memset(rr, 0, sizeof(*rr));
			rr->name = nm;
			rr->rrtype = type;
			rr->rrclass = rd16(d->m + e + 2);
			rr->ttl = rd32(d->m + e + 4);
			rr->rdata.p = d->m + e + 10;
			rr->rdata.len = rdlen;
		} else if (answers) {
			add_anomaly(out, EV_ALIMIT);
		}
		ev = parse_rdata(d->m, d->len, e + 10, rdlen, type, rr,
				 keep ? d->scratch->names[SLOT_TARGET(i)] : NULL);
		if (ev == EV_RDATA) {
			add_anomaly(out, EV_RDATA);
			if (rr)
				rr->kind = DPI_DNS_RDATA_OTHER;
		} else if (ev) {
			return ev;
		}
		if (rr) {
			if (rr->kind == DPI_DNS_RDATA_TXT && rr->n_txt > DPI_DNS_MAX_TXT)
				add_anomaly(out, EV_TXTLIMIT);
			out->n_answers++;
		}
		d->pos = e + 10 + rdlen;
	}
	return NULL;
}

int dpi_dns_parse_msg(const uint8_t *buf, size_t len, struct dpi_dns_msg *out,
		      struct dpi_dns_scratch *scratch)
{
	struct dns_parse d = {.m = buf, .len = len, .pos = DPI_DNS_HEADER_LEN, .out = out,
			      .scratch = scratch};
	const char *ev = NULL;
	uint16_t f;

	if (!out || !scratch || (!buf && len))
		return -EINVAL;
	/* Only the header part: the arrays are written as items are kept. */
	memset(out, 0, offsetof(struct dpi_dns_msg, questions));
	out->malformed = false;
	out->n_anomalies = 0;
	out->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	if (len < DPI_DNS_HEADER_LEN) {
		ev = EV_TRUNCATED;
		goto out;
	}
	out->id = rd16(buf);
	out->flags = f = rd16(buf + 2);
	out->qr = f & DPI_DNS_FLAG_QR;
	out->aa = f & DPI_DNS_FLAG_AA;
	out->tc = f & DPI_DNS_FLAG_TC;
	out->rd = f & DPI_DNS_FLAG_RD;
	out->ra = f & DPI_DNS_FLAG_RA;
	out->ad = f & DPI_DNS_FLAG_AD;
	out->cd = f & DPI_DNS_FLAG_CD;
	out->opcode = (uint8_t)(f >> 11 & 0xf);
	out->rcode = (uint8_t)(f & 0xf);
	out->qdcount = rd16(buf + 4);
	out->ancount = rd16(buf + 6);
	out->nscount = rd16(buf + 8);
	out->arcount = rd16(buf + 10);
	/* Refusing impossible counts up front bounds the work of a message by
	 * its length, whatever the header claims. */
	if (DPI_DNS_HEADER_LEN + (size_t)out->qdcount * MIN_QUESTION +
		    ((size_t)out->ancount + out->nscount + out->arcount) * MIN_RR >
	    len) {
		ev = EV_COUNTS;
		goto out;
	}
	ev = parse_questions(&d);
	if (!ev)
		ev = parse_records(&d, out->ancount, true);
	if (!ev)
		ev = parse_records(&d, out->nscount, false);
	if (!ev)
		ev = parse_records(&d, out->arcount, false);
	if (!ev && d.pos < len)
		add_anomaly(out, EV_TRAILING);
out:
	if (ev) {
		add_anomaly(out, ev);
		out->malformed = true;
		return -EBADMSG;
	}
	return 0;
}

/* Decodes one message into the scratch and reports it. */
static void deliver(struct dpi_dns_scratch *s, unsigned dir, const uint8_t *m, size_t len,
		    const struct dpi_dns_cb *cb, void *ctx)
{
	struct dpi_dns_msg *msg = &s->msg;

	dpi_dns_parse_msg(m, len, msg, s);
	if (!cb)
		return;
	if (cb->on_anomaly)
		for (unsigned i = 0; i < msg->n_anomalies; i++)
			cb->on_anomaly(ctx, msg->anomalies[i]);
	if (cb->on_message && len >= DPI_DNS_HEADER_LEN)
		cb->on_message(ctx, dir, msg);
}

int dpi_dns_udp_parse(struct dpi_dns_scratch *scratch, unsigned dir, const uint8_t *buf,
		      size_t len, const struct dpi_dns_cb *cb, void *ctx)
{
	if (!scratch || (!buf && len))
		return -EINVAL;
	deliver(scratch, dir, buf, len, cb, ctx);
	if (len < DPI_DNS_HEADER_LEN)
		return -EBADMSG;
	return len > INT32_MAX ? INT32_MAX : (int)len;
}

void dpi_dns_tcp_init(struct dpi_dns_tcp_state *st, struct dpi_dns_scratch *scratch)
{
	memset(st, 0, sizeof(*st));
	st->scratch = scratch;
}

int dpi_dns_tcp_parse(struct dpi_dns_tcp_state *st, unsigned dir, const uint8_t *buf,
		      size_t len, const struct dpi_dns_cb *cb, void *ctx)
{
	size_t off = 0;

	dir &= 1;
	/* Stop below INT_MAX so that the count fits the return type; the
	 * caller presents the rest again. */
	if (len > INT32_MAX)
		len = INT32_MAX;
	while (off < len) {
		size_t avail = len - off, mlen;

		if (st->skip[dir]) {
			size_t n = avail < st->skip[dir] ? avail : st->skip[dir];

			st->skip[dir] -= (uint32_t)n;
			off += n;
			continue;
		}
		if (avail < 2)
			break;
		mlen = rd16(buf + off);
		if (mlen + 2 > DPI_MAX_PENDING) {
			if (cb && cb->on_anomaly)
				cb->on_anomaly(ctx, EV_TOO_LARGE);
			st->skip[dir] = (uint32_t)mlen;
			off += 2;
			continue;
		}
		if (avail - 2 < mlen)
			break;
		deliver(st->scratch, dir, buf + off + 2, mlen, cb, ctx);
		off += 2 + mlen;
	}
	return off ? (int)off : DPI_NEED_MORE;
}

const char *dpi_dns_rrtype_name(unsigned type)
{
	switch (type) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 13: return "HINFO";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 29: return "LOC";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 39: return "DNAME";
	case 41: return "OPT";
	case 43: return "DS";
	case 46: return "RRSIG";
	case 47: return "NSEC";
	case 48: return "DNSKEY";
	case 50: return "NSEC3";
	case 52: return "TLSA";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 99: return "SPF";
	case 250: return "TSIG";
	case 251: return "IXFR";
	case 252: return "AXFR";
	case 255: return "ANY";
	case 257: return "CAA";
	default: return NULL;
	}
}

const char *dpi_dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : NULL;
}

bool dpi_dns_probe(const uint8_t *buf, size_t len, bool tcp)
{
	size_t mlen, end, pos = DPI_DNS_HEADER_LEN, wire = 1;
	uint16_t f, qclass;

	if (!buf)
		return false;
	if (tcp) {
		if (len < 2)
			return false;
		mlen = rd16(buf);
		buf += 2;
		len -= 2;
	} else {
		mlen = len;
	}
	end = len < mlen ? len : mlen;
	if (mlen < DPI_DNS_HEADER_LEN + MIN_QUESTION || end < DPI_DNS_HEADER_LEN)
		return false;
	f = rd16(buf + 2);
	/* A query: QR, Z and RCODE clear, an assigned opcode. */
	if (f & (DPI_DNS_FLAG_QR | 0x0040u | 0x000fu))
		return false;
	switch (f >> 11 & 0xf) {
	case 0: case 1: case 2: case 4: case 5:
		break;
	default:
		return false;
	}
	if (rd16(buf + 4) != 1)
		return false;
	if (DPI_DNS_HEADER_LEN + MIN_QUESTION +
		    ((size_t)rd16(buf + 6) + rd16(buf + 8) + rd16(buf + 10)) * MIN_RR >
	    mlen)
		return false;
	/* The first name: plain labels only (nothing before it to point to). */
	for (;;) {
		uint8_t b;

		if (pos >= end)
			return false;
		b = buf[pos];
		if (b == 0)
			break;
		if (b > 63 || b >= end - pos)
			return false;
		wire += (size_t)b + 1;
		if (wire > DPI_DNS_NAME_WIRE_MAX)
			return false;
		pos += (size_t)b + 1;
	}
	pos++;
	if (end - pos < 4 || rd16(buf + pos) == 0)
		return false;
	qclass = rd16(buf + pos + 2);
	return qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255;
}
