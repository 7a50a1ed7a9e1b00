/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_flow.c - per-flow inspection: detect the protocol from the first bytes
 * of each direction, then feed a parser, holding what it hasn't consumed yet.
 *
 * Bytes are handed to a parser straight from the caller's buffer when nothing
 * is pending (the common case: zero copy); only a parser's unconsumed tail is
 * copied, and never more than DPI_MAX_PENDING per direction. A direction that
 * can't be parsed any more (parse error, hole where resync is impossible,
 * pending cap) is marked dead and reported as an anomaly: its bytes are then
 * uninspected, which the policy layer treats per onUnparsed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_app.h"
#include "dpi_inspect.h"

static const struct dpi_app *app_for(unsigned p)
{
	switch (p) {
	case DPI_PROTO_HTTP: return &dpi_app_http;
	case DPI_PROTO_DNS: return &dpi_app_dns;
	case DPI_PROTO_MYSQL: return &dpi_app_mysql;
	case DPI_PROTO_PGSQL: return &dpi_app_pgsql;
	case DPI_PROTO_TLS: return &dpi_app_tls;
	default: return NULL;
	}
}

int dpi_worker_new(const struct dpi_ops *ops, struct dpi_worker **ret)
{
	struct dpi_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->ops = *ops;
	*ret = w;
	return 0;
}

void dpi_worker_free(struct dpi_worker *w)
{
	if (!w)
		return;
	dpi_worker_set_sigs(w, NULL);
	dpi_worker_set_policy(w, NULL);
	free(w->dns);
	free(w->sql);
	free(w);
}

unsigned dpi_flow_proto(const struct dpi_flow *f)
{
	return f ? f->proto : DPI_PROTO_UNKNOWN;
}

struct bh_str dpi_keep(char *buf, size_t cap, const uint8_t *p, size_t len)
{
	if (len > cap)
		len = cap;
	if (len)
		memcpy(buf, p, len);
	return (struct bh_str){buf, (uint32_t)len};
}

static struct dpi_flow *flow_get(struct dpi_flow **slot, const struct dpi_flow_meta *m)
{
	if (!*slot) {
		struct dpi_flow *f = calloc(1, sizeof(*f));

		if (!f)
			return NULL;
		f->ipproto = m->ipproto;
		f->server_port = m->server_port;
		*slot = f;
	}
	return *slot;
}

static void dir_drop(struct dpi_dir *d)
{
	free(d->pend);
	d->pend = NULL;
	d->plen = d->pcap = 0;
}

static void kill_dir(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		     const char *why)
{
	struct dpi_dir *d = &f->d[dir];

	if (d->dead)
		return;
	d->dead = true;
	dir_drop(d);
	dpi_anomaly(w, cookie, why);
	if (dir == DPI_TO_SERVER)
		dpi_pol_unparsed(w, f, cookie, "policy.unparsed");
}

static int pend_append(struct dpi_dir *d, const uint8_t *data, uint32_t len, uint32_t cap)
{
	if ((uint64_t)d->plen + len > cap)
		return -ENOBUFS;
	if (d->plen + len > d->pcap) {
		uint32_t want = d->pcap ? d->pcap : 256;
		uint8_t *n;

		while (want < d->plen + len)
			want *= 2;
		n = realloc(d->pend, want);
		if (!n)
			return -ENOMEM;
		d->pend = n;
		d->pcap = want;
	}
	memcpy(d->pend + d->plen, data, len);
	d->plen += len;
	return 0;
}

/* Run the parser over @buf until it wants more; returns bytes consumed or
 * -errno. */
static long run_parser(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		       const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		int r = f->app->parse(w, f, cookie, dir, buf + off, len - off);

		if (r < 0)
			return r;
		if (r == DPI_NEED_MORE)
			break;
		off += (size_t)r > len - off ? len - off : (size_t)r;
	}
	return (long)off;
}

static void feed(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		 const uint8_t *data, uint32_t len)
{
	struct dpi_dir *d = &f->d[dir];
	long used;

	if (d->dead || !f->app)
		return;
	if (d->plen == 0) {
		used = run_parser(w, f, cookie, dir, data, len);
		if (used < 0) {
			kill_dir(w, f, cookie, dir, "applayer.parse_error");
			return;
		}
		if ((uint32_t)used < len && pend_append(d, data + used, len - (uint32_t)used,
							DPI_MAX_PENDING) < 0)
			kill_dir(w, f, cookie, dir, "applayer.buffer_overflow");
		return;
	}
	if (pend_append(d, data, len, DPI_MAX_PENDING) < 0) {
		kill_dir(w, f, cookie, dir, "applayer.buffer_overflow");
		return;
	}
	used = run_parser(w, f, cookie, dir, d->pend, d->plen);
	if (used < 0) {
		kill_dir(w, f, cookie, dir, "applayer.parse_error");
		return;
	}
	memmove(d->pend, d->pend + used, d->plen - (uint32_t)used);
	d->plen -= (uint32_t)used;
	if (d->plen == 0)
		dir_drop(d);
}

static void start_app(struct dpi_worker *w, struct dpi_flow *f, void *cookie, int proto)
{
	enum dpi_proto hint = dpi_port_hint(f->ipproto, f->server_port);

	f->decided = true;
	f->proto = (uint8_t)proto;
	/* Ports are hints: what the content says wins, but a well-known port
	 * carrying something else is worth a word (TLS on a plain-text port,
	 * HTTP on a database port). */
	if (hint != DPI_PROTO_UNKNOWN && (int)hint != proto)
		dpi_anomaly(w, cookie, proto == DPI_PROTO_UNKNOWN ? "applayer.unknown_on_known_port"
								  : "applayer.protocol_mismatch");
	f->app = app_for((unsigned)proto);
	if (f->app && f->app->init(f) < 0) {
		f->app = NULL;
		dpi_anomaly(w, cookie, "applayer.no_memory");
	}
	dpi_pol_app(w, f, cookie);
}

/* Detection is over: hand what was held for it to the parser. */
static void replay_pending(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	for (unsigned dir = 0; dir < 2; dir++) {
		struct dpi_dir *d = &f->d[dir];
		uint8_t *held = d->pend;
		uint32_t n = d->plen;

		if (!n)
			continue;
		d->pend = NULL;
		d->plen = d->pcap = 0;
		if (f->app)
			feed(w, f, cookie, dir, held, n);
		free(held);
	}
}

static void detect(struct dpi_worker *w, struct dpi_flow *f, void *cookie, bool eof)
{
	int p;

	/* Not a byte either way (a TCP health probe, a client that gave up):
	 * no protocol to name, and nothing left unparsed. */
	if (!f->d[0].plen && !f->d[1].plen)
		return;
	p = dpi_detect_stream(f->d[0].pend, f->d[0].plen, f->d[1].pend, f->d[1].plen, eof);

	if (p < 0 && (f->d[0].plen >= DPI_DETECT_MAX || f->d[1].plen >= DPI_DETECT_MAX))
		p = DPI_PROTO_UNKNOWN;
	if (p < 0)
		return;
	start_app(w, f, cookie, p);
	replay_pending(w, f, cookie);
}

static void dispatch(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		     const uint8_t *data, uint32_t len, unsigned flags)
{
	if (!f->decided) {
		if (flags & DPI_DATA_GAP) {
			/* A hole before the protocol is known: nothing to parse. */
			start_app(w, f, cookie, DPI_PROTO_UNKNOWN);
			dir_drop(&f->d[0]);
			dir_drop(&f->d[1]);
			return;
		}
		if (len && pend_append(&f->d[dir], data, len, DPI_DETECT_MAX + 65536) < 0) {
			start_app(w, f, cookie, DPI_PROTO_UNKNOWN);
			dir_drop(&f->d[0]);
			dir_drop(&f->d[1]);
			return;
		}
		detect(w, f, cookie, flags & DPI_DATA_EOF);
		if (!f->decided)
			return;
		if (flags & DPI_DATA_EOF && f->app && f->app->eof && !f->d[dir].dead)
			f->app->eof(w, f, cookie, dir);
		return;
	}
	if (!f->app)
		return;
	if (flags & DPI_DATA_GAP) {
		if (f->d[dir].dead)
			return;
		/* Even where the parser can go on, the bytes in the hole
		 * weren't inspected. */
		if (dir == DPI_TO_SERVER)
			dpi_pol_unparsed(w, f, cookie, "policy.stream_gap");
		dir_drop(&f->d[dir]);
		if (!f->app->gap || !f->app->gap(w, f, cookie, dir, len))
			kill_dir(w, f, cookie, dir, "applayer.gap");
		return;
	}
	if (len)
		feed(w, f, cookie, dir, data, len);
	if (flags & DPI_DATA_EOF && f->app->eof && !f->d[dir].dead)
		f->app->eof(w, f, cookie, dir);
}

void dpi_stream(struct dpi_worker *w, struct dpi_flow **slot, void *cookie,
		const struct dpi_flow_meta *m, unsigned dir, const uint8_t *data, uint32_t len,
		unsigned flags)
{
	struct dpi_flow *f = flow_get(slot, m);

	if (!f || dir > 1 || dpi_pol_dropped(&f->pol))
		return;
	w->cur = f;
	w->meta = m;
	dispatch(w, f, cookie, dir, data, len, flags);
	/* The raw stream after the parser: the application is known by then
	 * for most flows, which rules of an application wait for. */
	if (w->sigs && (len || (flags & DPI_DATA_GAP)) && !dpi_pol_dropped(&f->pol))
		dpi_inspect_stream(w, cookie, dir, data, len, flags & DPI_DATA_GAP);
	dpi_pol_flush(w, f, cookie);
	w->cur = NULL;
	w->meta = NULL;
}

void dpi_datagram(struct dpi_worker *w, struct dpi_flow **slot, void *cookie,
		  const struct dpi_flow_meta *m, unsigned dir, const uint8_t *data, uint32_t len)
{
	struct dpi_flow *f = flow_get(slot, m);

	if (!f || dir > 1 || dpi_pol_dropped(&f->pol))
		return;
	w->cur = f;
	w->meta = m;
	w->pol_tx.seen = false;
	if (!f->decided) {
		int p = dpi_detect_datagram(data, len, m->server_port);

		/* undecided: look at the next datagram */
		if (p >= 0)
			start_app(w, f, cookie, p);
	}
	if (f->app && f->app->datagram)
		f->app->datagram(w, f, cookie, dir, data, len);
	/* A datagram to a DNS rule's server that held no query. */
	if (dir == DPI_TO_SERVER && f->proto == DPI_PROTO_DNS && !w->pol_tx.seen)
		dpi_pol_unparsed(w, f, cookie, "policy.dns_no_query");
	if (w->sigs && !dpi_pol_dropped(&f->pol))
		dpi_inspect_datagram(w, cookie, dir, data, len);
	dpi_pol_flush(w, f, cookie);
	w->cur = NULL;
	w->meta = NULL;
}

const struct bh_verdict *dpi_flow_open(struct dpi_worker *w, struct dpi_flow **slot,
				       void *cookie, const struct dpi_flow_meta *m)
{
	struct dpi_flow *f = flow_get(slot, m);

	(void)cookie;
	if (!f || !w->pol)
		return NULL;
	return dpi_pol_open(w, f, m);
}

void dpi_flow_end(struct dpi_worker *w, struct dpi_flow **slot, void *cookie)
{
	struct dpi_flow *f = *slot;

	if (!f)
		return;
	w->cur = f;
	w->meta = NULL;
	if (!f->decided)
		detect(w, f, cookie, true);
	if (f->app && f->app->end)
		f->app->end(w, f, cookie);
	else
		free(f->st);
	dir_drop(&f->d[0]);
	dir_drop(&f->d[1]);
	dpi_inspect_flow_free(w, f);
	w->cur = NULL;
	free(f);
	*slot = NULL;
}

void dpi_flow_discard(struct dpi_worker *w, struct dpi_flow **slot)
{
	struct dpi_ops saved = w->ops;

	w->ops = (struct dpi_ops){0};
	dpi_flow_end(w, slot, NULL);
	w->ops = saved;
}

bool dpi_app_no_resync(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		       uint32_t len)
{
	(void)w;
	(void)f;
	(void)cookie;
	(void)dir;
	(void)len;
	return false;
}

bool dpi_flow_final(const struct dpi_worker *w, const struct dpi_flow *f)
{
	const struct dpi_sigs *s = w->sigs;

	if (!f)
		return !w->pol && !s;
	if (!dpi_pol_final(&f->pol))
		return false;
	if (!s)
		return true;
	/* Signatures: raw-stream ones see every byte; the others see the
	 * fields of a protocol, and a flow detection gave up on has none. */
	if (dpi_sig_db_has_streams(s->db) || dpi_sig_db_has_block_stream(s->db))
		return false;
	return f->decided && f->proto == DPI_PROTO_UNKNOWN;
}
