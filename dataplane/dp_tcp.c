/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_tcp.c - TCP state and stream reassembly (see dp_tcp.h for the contract).
 *
 * Sequence numbers are compared with serial arithmetic (the sign of the 32-bit
 * difference), so wrap-around needs no special case. A segment's bytes are
 * classified against three regions: already delivered (compared with the
 * retained copy, never delivered again), the next expected byte (delivered
 * from the packet), and beyond a hole (copied into the out-of-order list).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dp_tcp.h"

/* Segments further than this from the next expected byte are not ours:
 * larger than any scaled window a real stack advertises. */
#define SEQ_WINDOW_MAX (1u << 30)

struct seg {
	struct seg *next;
	uint32_t seq, len;
	uint8_t data[];
};

struct dp_sbuf {
	struct seg *ooo;       /* sorted by seq, never overlapping */
	uint32_t ooo_bytes, nsegs;
	/* Ring of delivered, not yet acknowledged bytes [ret_seq, ret_seq + ret_len). */
	uint8_t *ret;
	uint32_t ret_seq, ret_len, ret_head, ret_cap;
};

static inline int32_t sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static void anomaly(const struct dp_tcp_config *cfg, struct dp_flow *f, const struct dp_packet *p,
		    enum dp_anomaly a)
{
	if (cfg->anom)
		cfg->anom(cfg->ctx, f, p, a);
}

static struct dp_sbuf *sbuf_get(struct dp_stream *s)
{
	if (!s->buf)
		s->buf = calloc(1, sizeof(*s->buf));
	return s->buf;
}

static void sbuf_free(struct dp_stream *s)
{
	struct dp_sbuf *b = s->buf;

	if (!b)
		return;
	while (b->ooo) {
		struct seg *x = b->ooo;

		b->ooo = x->next;
		free(x);
	}
	free(b->ret);
	free(b);
	s->buf = NULL;
}

static void ret_drop(struct dp_sbuf *b, uint32_t n)
{
	if (n > b->ret_len)
		n = b->ret_len;
	b->ret_head = (b->ret_head + n) & (b->ret_cap - 1);
	b->ret_len -= n;
	b->ret_seq += n;
}

/* Keep a copy of bytes just delivered at sequence @seq, within the cap left
 * over by the out-of-order data; the oldest retained bytes go first. */
static void retain(const struct dp_tcp_config *cfg, struct dp_stream *s, uint32_t seq,
		   const uint8_t *data, uint32_t len)
{
	struct dp_sbuf *b = sbuf_get(s);
	uint32_t room, tail;

	if (!b)
		return;
	if (b->ret_len == 0 || b->ret_seq + b->ret_len != seq) {
		b->ret_len = 0;
		b->ret_head = 0;
		b->ret_seq = seq;
	}
	room = cfg->cap > b->ooo_bytes ? cfg->cap - b->ooo_bytes : 0;
	if (len > room) {
		data += len - room;
		seq += len - room;
		len = room;
		b->ret_len = 0;
		b->ret_head = 0;
		b->ret_seq = seq;
	} else if (b->ret_len + len > room) {
		/* The ring grows in powers of two and may be larger than the
		 * room: bound what it holds, not its size. */
		ret_drop(b, b->ret_len + len - room);
	}
	if (len == 0)
		return;
	if (b->ret_len + len > b->ret_cap) {
		uint32_t want = b->ret_cap ? b->ret_cap : 1024;

		while (want < b->ret_len + len && want < cfg->cap)
			want <<= 1;
		if (want > b->ret_cap) {
			uint8_t *n = malloc(want);

			if (!n) {
				b->ret_len = 0;
				return;
			}
			for (uint32_t i = 0; i < b->ret_len; i++)
				n[i] = b->ret[(b->ret_head + i) & (b->ret_cap - 1)];
			free(b->ret);
			b->ret = n;
			b->ret_cap = want;
			b->ret_head = 0;
		}
		/* At the cap: make room by forgetting the oldest bytes. */
		if (b->ret_len + len > b->ret_cap)
			ret_drop(b, b->ret_len + len - b->ret_cap);
	}
	tail = (b->ret_head + b->ret_len) & (b->ret_cap - 1);
	for (uint32_t i = 0; i < len;) {
		uint32_t chunk = b->ret_cap - tail;

		if (chunk > len - i)
			chunk = len - i;
		memcpy(b->ret + tail, data + i, chunk);
		i += chunk;
		tail = (tail + chunk) & (b->ret_cap - 1);
	}
	b->ret_len += len;
}

/* Compare bytes [seq, seq + len) of a retransmission with the retained copy.
 * Returns 1 on a difference, 0 if equal or nothing to compare. */
static int retained_differs(const struct dp_stream *s, uint32_t seq, const uint8_t *data,
			    uint32_t len)
{
	const struct dp_sbuf *b = s->buf;
	int32_t from;
	uint32_t i, n;

	if (!b || b->ret_len == 0)
		return 0;
	from = sdiff(seq, b->ret_seq);
	i = 0;
	if (from < 0) {
		if ((uint32_t)-from >= len)
			return 0;
		i = (uint32_t)-from;
		from = 0;
	}
	if ((uint32_t)from >= b->ret_len)
		return 0;
	n = len - i;
	if (n > b->ret_len - (uint32_t)from)
		n = b->ret_len - (uint32_t)from;
	for (uint32_t k = 0; k < n; k++)
		if (b->ret[(b->ret_head + (uint32_t)from + k) & (b->ret_cap - 1)] != data[i + k])
			return 1;
	return 0;
}

static void deliver(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
		    const uint8_t *data, uint32_t len)
{
	struct dp_stream *s = &f->stream[dir];
	unsigned flags = 0;

	if (s->flags & DP_ST_MIDSTREAM && s->delivered == 0 && s->gaps == 0)
		flags |= DP_SD_MIDSTREAM;
	if (cfg->cap)
		retain(cfg, s, s->next, data, len);
	s->next += len;
	s->delivered += len;
	if (cfg->data)
		cfg->data(cfg->ctx, f, dir, data, len, flags);
}

static void deliver_gap(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
			const struct dp_packet *p, uint32_t len)
{
	struct dp_stream *s = &f->stream[dir];

	if (len == 0)
		return;
	s->next += len;
	s->gaps++;
	s->gap_bytes += len;
	if (s->buf)
		s->buf->ret_len = 0; /* retained bytes no longer adjoin next */
	anomaly(cfg, f, p, DP_ANOM_TCP_GAP);
	if (cfg->data)
		cfg->data(cfg->ctx, f, dir, NULL, len, DP_SD_GAP);
}

static void deliver_eof(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir)
{
	struct dp_stream *s = &f->stream[dir];

	if (!(s->flags & DP_ST_INIT) || (s->flags & DP_ST_EOF))
		return;
	s->flags |= DP_ST_EOF;
	sbuf_free(s); /* no byte of this direction will be delivered again */
	if (cfg->data)
		cfg->data(cfg->ctx, f, dir, NULL, 0, DP_SD_EOF);
}

/* Deliver out-of-order segments that became contiguous. */
static void drain(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir)
{
	struct dp_stream *s = &f->stream[dir];
	struct dp_sbuf *b = s->buf;

	while (b && b->ooo && b->ooo->seq == s->next) {
		struct seg *x = b->ooo;

		b->ooo = x->next;
		b->ooo_bytes -= x->len;
		b->nsegs--;
		deliver(cfg, f, dir, x->data, x->len);
		free(x);
	}
}

/* Give up on the hole before the first buffered segment: report it as a gap
 * and deliver what follows it. */
static void skip_hole(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
		      const struct dp_packet *p)
{
	struct dp_stream *s = &f->stream[dir];

	if (!s->buf || !s->buf->ooo)
		return;
	deliver_gap(cfg, f, dir, p, s->buf->ooo->seq - s->next);
	drain(cfg, f, dir);
}

static struct seg *seg_new(uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct seg *x = malloc(sizeof(*x) + len);

	if (!x)
		return NULL;
	x->next = NULL;
	x->seq = seq;
	x->len = len;
	memcpy(x->data, data, len);
	return x;
}

/* Insert [seq, seq + len) into the out-of-order list; bytes already buffered
 * win over the new ones. Returns 0 or -ENOMEM. */
static int ooo_insert(struct dp_stream *s, uint32_t seq, const uint8_t *data, uint32_t len,
		      bool *overlap, bool *conflict)
{
	struct dp_sbuf *b = s->buf;
	struct seg **pp = &b->ooo;
	uint32_t c = seq, e = seq + len;

	while (sdiff(e, c) > 0) {
		struct seg *x = *pp;

		if (x && sdiff(x->seq + x->len, c) <= 0) {
			pp = &x->next; /* entirely before the cursor */
			continue;
		}
		if (!x || sdiff(x->seq, c) > 0) {
			/* A hole in the list: the new bytes fill it. */
			uint32_t pe = (x && sdiff(x->seq, e) < 0) ? x->seq : e;
			struct seg *n = seg_new(c, data + (c - seq), pe - c);

			if (!n)
				return -ENOMEM;
			n->next = x;
			*pp = n;
			b->ooo_bytes += n->len;
			b->nsegs++;
			pp = &n->next;
			c = pe;
			continue;
		}
		/* x covers the cursor: compare the overlapping bytes. */
		uint32_t oe = sdiff(x->seq + x->len, e) < 0 ? x->seq + x->len : e;

		*overlap = true;
		if (memcmp(x->data + (c - x->seq), data + (c - seq), oe - c) != 0)
			*conflict = true;
		c = oe;
		pp = &x->next;
	}
	return 0;
}

static void count_overlap(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
			  const struct dp_packet *p, bool conflict)
{
	struct dp_stream *s = &f->stream[dir];

	s->overlaps++;
	if (conflict) {
		s->conflicts++;
		anomaly(cfg, f, p, DP_ANOM_TCP_OVERLAP_CONFLICT);
	}
}

/* Forget retained bytes, oldest first, so that the out-of-order bytes, the
 * retained ones and @len more fit in the cap. */
static void make_room(struct dp_sbuf *b, uint32_t cap, uint32_t len)
{
	uint64_t need = (uint64_t)b->ooo_bytes + b->ret_len + len;

	if (need > cap)
		ret_drop(b, (uint32_t)(need - cap));
}

static int stream_data(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
		       const struct dp_packet *p, uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct dp_stream *s = &f->stream[dir];
	struct dp_sbuf *b;
	int32_t rel;
	bool overlap = false, conflict = false;
	int r = 0;

	if (!(s->flags & DP_ST_INIT)) {
		s->next = seq;
		s->flags |= DP_ST_INIT | DP_ST_MIDSTREAM;
	}
	if (s->flags & DP_ST_EOF) {
		anomaly(cfg, f, p, DP_ANOM_TCP_DATA_AFTER_CLOSE);
		return 0;
	}
	rel = sdiff(seq, s->next);
	if (rel > (int32_t)SEQ_WINDOW_MAX || rel < -(int32_t)SEQ_WINDOW_MAX) {
		anomaly(cfg, f, p, DP_ANOM_TCP_SEQ_OUT_OF_WINDOW);
		return 0;
	}
	/* Each pass consumes a prefix of the segment; overlaps are counted once
	 * per segment, at the end. */
	for (;;) {
		if (rel < 0) {
			/* Starts in delivered bytes: a retransmission, maybe extended. */
			uint32_t old = (uint32_t)-rel < len ? (uint32_t)-rel : len;

			overlap = true;
			if (retained_differs(s, seq, data, old))
				conflict = true;
			if (old == len)
				break;
			seq += old;
			data += old;
			len -= old;
			rel = 0;
		}
		b = s->buf;
		if (rel == 0) {
			/* In order: deliver from the packet up to the first buffered
			 * segment (whose bytes, seen first, win), then what became
			 * contiguous, and go on with the rest. This needs no buffer
			 * space, so a full buffer never turns in-order bytes into a
			 * gap. */
			uint32_t n = len;

			if (b && b->ooo && sdiff(b->ooo->seq, seq) >= 0 &&
			    sdiff(b->ooo->seq, seq + len) < 0)
				n = b->ooo->seq - seq;
			if (n)
				deliver(cfg, f, dir, data, n);
			drain(cfg, f, dir);
			if (n == len)
				break;
			seq += n;
			data += n;
			len -= n;
			rel = sdiff(seq, s->next);
			continue;
		}

		/* Beyond a hole: buffer it. */
		b = sbuf_get(s);
		if (!b) {
			/* No memory to buffer: the bytes are lost, say so. */
			deliver_gap(cfg, f, dir, p, (uint32_t)rel);
			deliver(cfg, f, dir, data, len);
			r = -ENOMEM;
			break;
		}
		/* Keep the buffer within the cap: retained copies go first (see
		 * make_room below), then holes are given up on, oldest first. */
		if ((uint64_t)b->ooo_bytes + len > cfg->cap || b->nsegs >= cfg->max_segs) {
			s->overflows++;
			anomaly(cfg, f, p, DP_ANOM_TCP_BUFFER_OVERFLOW);
			while (b->ooo &&
			       ((uint64_t)b->ooo_bytes + len > cfg->cap || b->nsegs >= cfg->max_segs))
				skip_hole(cfg, f, dir, p);
			rel = sdiff(seq, s->next);
			if (rel <= 0)
				continue; /* the stream caught up with it */
			if (len > cfg->cap) {
				deliver_gap(cfg, f, dir, p, (uint32_t)rel);
				rel = 0;
				continue;
			}
		}
		make_room(b, cfg->cap, len);
		if (ooo_insert(s, seq, data, len, &overlap, &conflict) < 0) {
			skip_hole(cfg, f, dir, p);
			r = -ENOMEM;
			break;
		}
		drain(cfg, f, dir);
		break;
	}
	if (overlap)
		count_overlap(cfg, f, dir, p, conflict);
	return r;
}

/* The peer acknowledged up to @ack in direction @dir: release retained
 * bytes, and report bytes it acknowledged that we never saw as a gap. */
static void stream_ack(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
		       const struct dp_packet *p, uint32_t ack)
{
	struct dp_stream *s = &f->stream[dir];
	uint32_t upto = ack;
	int32_t ahead;

	if (!(s->flags & DP_ST_INIT) || (s->flags & DP_ST_EOF))
		return;
	if ((s->flags & DP_ST_FIN) && sdiff(upto, s->fin_seq) > 0)
		upto = s->fin_seq; /* the FIN takes a sequence number, not a byte */
	ahead = sdiff(upto, s->next);
	if (ahead > 0 && ahead <= (int32_t)SEQ_WINDOW_MAX) {
		while (sdiff(upto, s->next) > 0) {
			struct dp_sbuf *b = s->buf;

			if (b && b->ooo && sdiff(b->ooo->seq, upto) < 0) {
				skip_hole(cfg, f, dir, p);
				continue;
			}
			deliver_gap(cfg, f, dir, p, upto - s->next);
		}
		/* A gap ending right where buffered data starts made it
		 * contiguous: deliver it now, not on the next segment. */
		drain(cfg, f, dir);
	}
	/* Released last: bytes just delivered above are acknowledged too. */
	if (s->buf && s->buf->ret_len && sdiff(ack, s->buf->ret_seq) > 0)
		ret_drop(s->buf, (uint32_t)sdiff(ack, s->buf->ret_seq));
	/* Nothing held: give the memory back now, not when the flow ends
	 * (an idle keep-alive flow would otherwise keep its buffers for the
	 * whole established timeout). */
	if (s->buf && !s->buf->ret_len && !s->buf->ooo)
		sbuf_free(s);
}

static void maybe_eof(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir)
{
	struct dp_stream *s = &f->stream[dir];

	if ((s->flags & DP_ST_FIN) && s->next == s->fin_seq && !(s->buf && s->buf->ooo))
		deliver_eof(cfg, f, dir);
}

static void flush_dir(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir)
{
	struct dp_stream *s = &f->stream[dir];

	while (s->buf && s->buf->ooo)
		skip_hole(cfg, f, dir, NULL);
	if ((s->flags & DP_ST_FIN) && (s->flags & DP_ST_INIT) && sdiff(s->fin_seq, s->next) > 0 &&
	    sdiff(s->fin_seq, s->next) <= (int32_t)SEQ_WINDOW_MAX)
		deliver_gap(cfg, f, dir, NULL, s->fin_seq - s->next);
	deliver_eof(cfg, f, dir);
	sbuf_free(s);
}

void dp_tcp_flush(const struct dp_tcp_config *cfg, struct dp_flow *f)
{
	flush_dir(cfg, f, 0);
	flush_dir(cfg, f, 1);
}

static void update_state(struct dp_flow *f, unsigned dir, uint8_t fl)
{
	uint8_t st = f->tcp_state;

	if (fl & DP_TH_RST) {
		f->tcp_state = BH_TCP_CLOSED;
		return;
	}
	if ((fl & (DP_TH_SYN | DP_TH_ACK)) == DP_TH_SYN) {
		if (st == BH_TCP_NONE)
			st = BH_TCP_NEW;
	} else if ((fl & (DP_TH_SYN | DP_TH_ACK)) == (DP_TH_SYN | DP_TH_ACK)) {
		if (st == BH_TCP_NONE || st == BH_TCP_NEW)
			st = BH_TCP_SYN_RECV;
	} else if (st == BH_TCP_NONE) {
		st = BH_TCP_ESTABLISHED; /* picked up mid-stream */
	} else if (st == BH_TCP_SYN_RECV && (fl & DP_TH_ACK) && dir == 0) {
		st = BH_TCP_ESTABLISHED;
	}
	if (fl & DP_TH_FIN) {
		if ((f->stream[0].flags & DP_ST_FIN) && (f->stream[1].flags & DP_ST_FIN))
			st = BH_TCP_CLOSED;
		else if (st != BH_TCP_CLOSED)
			st = BH_TCP_CLOSING;
	}
	f->tcp_state = st;
}

/* A RST counts only if its sequence number falls in the window the receiver
 * would accept (RFC 793); anything else would let a forged RST end
 * inspection while the real stacks carry on. Unknown windows are taken at
 * their 64 KiB base. */
static bool rst_acceptable(const struct dp_flow *f, unsigned dir, uint32_t seq)
{
	const struct dp_stream *s = &f->stream[dir];
	int32_t d;

	if (!(s->flags & DP_ST_INIT))
		return true; /* nothing to check against (e.g. a refused SYN) */
	d = sdiff(seq, s->next);
	return d >= 0 && (uint32_t)d <= (65535u << f->wscale[dir ^ 1]);
}

int dp_tcp_packet(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
		  const struct dp_packet *p)
{
	struct dp_stream *s = &f->stream[dir];
	uint8_t fl = p->tcp_flags;
	uint32_t seq = p->seq;
	uint32_t len = p->payload_len;
	const uint8_t *data = dp_packet_payload(p);
	int r = 0;

	if ((fl & DP_TH_RST) && !rst_acceptable(f, dir, seq)) {
		anomaly(cfg, f, p, DP_ANOM_TCP_RST_INVALID);
		return 0;
	}
	f->tcp_flags[dir] |= fl;
	if (fl & DP_TH_SYN) {
		if (p->wscale != 0xff)
			f->wscale[dir] = p->wscale;
		if (!(s->flags & DP_ST_INIT) || (!s->delivered && !s->gaps)) {
			if ((s->flags & DP_ST_SYN) && s->next != seq + 1)
				anomaly(cfg, f, p, DP_ANOM_TCP_SYN_DATA_MISMATCH);
			s->next = seq + 1;
			s->flags = (uint16_t)((s->flags & ~DP_ST_MIDSTREAM) | DP_ST_INIT | DP_ST_SYN);
		} else if (s->next != seq + 1 && sdiff(seq + 1, s->next) > 0) {
			anomaly(cfg, f, p, DP_ANOM_TCP_SYN_DATA_MISMATCH);
		}
		seq++; /* SYN data (TCP Fast Open) follows the SYN's number */
	}
	if (fl & DP_TH_FIN && !(s->flags & DP_ST_FIN)) {
		s->flags |= DP_ST_FIN;
		s->fin_seq = seq + len;
		if (!(s->flags & DP_ST_INIT)) {
			s->next = seq;
			s->flags |= DP_ST_INIT | DP_ST_MIDSTREAM;
		}
	}
	update_state(f, dir, fl);

	if (len && !(fl & DP_TH_RST && !(s->flags & DP_ST_INIT)))
		r = stream_data(cfg, f, dir, p, seq, data, len);
	if (fl & DP_TH_ACK)
		stream_ack(cfg, f, dir ^ 1, p, p->ack);
	maybe_eof(cfg, f, dir);
	maybe_eof(cfg, f, dir ^ 1);
	if (fl & DP_TH_RST) {
		f->stream[0].flags |= DP_ST_RST;
		f->stream[1].flags |= DP_ST_RST;
		dp_tcp_flush(cfg, f);
	}
	return r;
}

uint32_t dp_tcp_buffered(const struct dp_flow *f)
{
	uint32_t n = 0;

	for (unsigned d = 0; d < 2; d++)
		if (f->stream[d].buf)
			n += f->stream[d].buf->ooo_bytes + f->stream[d].buf->ret_len;
	return n;
}

enum dp_flow_class dp_tcp_class(const struct dp_flow *f)
{
	switch (f->tcp_state) {
	case BH_TCP_ESTABLISHED:
		return DP_FC_TCP_EST;
	case BH_TCP_CLOSING:
		return DP_FC_TCP_CLOSING;
	case BH_TCP_CLOSED:
		return DP_FC_TCP_CLOSED;
	default:
		return DP_FC_TCP_NEW;
	}
}
