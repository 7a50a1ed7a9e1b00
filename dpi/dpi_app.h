/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_app.h - inside dpi/: the per-flow state and the table of application
 * protocol handlers that dpi_flow.c dispatches to. Each dpi_app_*.c file
 * glues one parser to the events of bh_event.h.
 */
#ifndef DPI_APP_H
#define DPI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/dpi.h"
#include "dpi_parser.h"
#include "dpi_policy_int.h"

/* Bytes held for detection before giving up on a direction. */
#define DPI_DETECT_MAX 512u

struct dpi_dir {
	uint8_t *pend;         /* bytes not consumed by the parser yet */
	uint32_t plen, pcap;
	bool dead;             /* unparsable from here on: bytes are dropped */
};

struct dpi_app;
struct dpi_sig_stream;

/* Alerts a flow may emit; past it, and for a sid the flow already alerted
 * on, alerts are counted, not emitted (dpi_inspect.c). */
#define DPI_ALERTS_PER_FLOW 16u

struct dpi_flow_alerts {
	uint32_t total;        /* raised, emitted or not */
	uint8_t n;             /* sids emitted */
	uint32_t sid[DPI_ALERTS_PER_FLOW];
};

struct dpi_flow {
	uint8_t proto;         /* enum dpi_proto */
	bool decided;          /* detection is over (proto may be UNKNOWN) */
	bool ended;
	uint8_t ipproto;
	uint16_t server_port;
	const struct dpi_app *app;
	void *st;              /* the handler's state */
	struct dpi_dir d[2];
	struct dpi_sig_stream *sst[2];  /* raw-stream signature state per direction */
	struct dpi_flow_alerts alerts;
	struct dpi_pol_flow pol;
};

struct dpi_dns_scratch;
struct dpi_sql_result;
struct dpi_sigs;
struct dpi_sig_scratch;
struct dpi_inspect_buf;

struct dpi_worker {
	struct dpi_ops ops;
	uint64_t records, anomalies;
	uint64_t alerts, alerts_suppressed;
	/* Signatures: the shared engine, this worker's scratch and room to
	 * build inspection buffers. */
	const struct dpi_sigs *sigs;
	struct dpi_sig_scratch *sig;
	struct dpi_inspect_buf *ib;
	/* The flow being processed and what the caller said of it, for the
	 * glue's callbacks (set on entry to dpi_stream/datagram/flow_end). */
	struct dpi_flow *cur;
	const struct dpi_flow_meta *meta;
	/* Decoding room shared by every DNS flow of the worker: messages are
	 * decoded and reported one at a time. Allocated on first use. */
	struct dpi_dns_scratch *dns;
	struct dpi_sql_result *sql; /* likewise for SQL statements */
	/* Policy: the snapshot, this worker's scratch for its databases, and
	 * what signatures said during the current transaction. */
	const struct dpi_policy *pol;
	struct dpi_policy_scratch *ps;
	struct dpi_pol_tx pol_tx;
	/* Inline: a denied request is reported at once (its connection is
	 * reset, no response will come); replay waits for the capture's. */
	bool inline_mode;
};

/* A protocol handler. parse follows dpi_parser.h (returns consumed,
 * DPI_NEED_MORE or -errno); gap returns false when the direction can't be
 * parsed past the hole; end reports what is still open and frees the state. */
struct dpi_app {
	enum dpi_proto proto;
	int (*init)(struct dpi_flow *f);
	int (*parse)(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		     const uint8_t *buf, size_t len);
	bool (*gap)(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		    uint32_t len);
	void (*eof)(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir);
	void (*end)(struct dpi_worker *w, struct dpi_flow *f, void *cookie);
	/* UDP: one whole message. NULL for stream-only protocols. */
	void (*datagram)(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
			 const uint8_t *buf, size_t len);
};

extern const struct dpi_app dpi_app_http, dpi_app_dns, dpi_app_mysql, dpi_app_pgsql,
	dpi_app_tls;

/* gap handler for protocols framed by length, which can't find the next
 * frame after a hole (dpi_flow.c). */
bool dpi_app_no_resync(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		       uint32_t len);

/* Report an anomaly / a record for the flow with @cookie. */
static inline void dpi_anomaly(struct dpi_worker *w, void *cookie, const char *event)
{
	w->anomalies++;
	if (w->ops.anomaly)
		w->ops.anomaly(w->ops.ctx, cookie, event);
}

static inline void dpi_record(struct dpi_worker *w, void *cookie, struct bh_event *ev)
{
	w->records++;
	if (w->ops.record)
		w->ops.record(w->ops.ctx, cookie, ev);
}

/* Content detection over the bytes seen so far in each direction
 * (dpi_detect.c). Returns the protocol, DPI_PROTO_UNKNOWN when nothing can
 * match any more, or -1 when more bytes are needed to tell. */
int dpi_detect_stream(const uint8_t *c, size_t clen, const uint8_t *s, size_t slen, bool eof);
int dpi_detect_datagram(const uint8_t *buf, size_t len, uint16_t server_port);

/* The protocol usually found on @port (DPI_PROTO_UNKNOWN if none). */
enum dpi_proto dpi_port_hint(uint8_t ipproto, uint16_t port);

/* Copy @len bytes into a bh_str backed by @buf (capacity @cap), truncating;
 * returns the bh_str. For fields that must outlive the parser callback. */
struct bh_str dpi_keep(char *buf, size_t cap, const uint8_t *p, size_t len);

#endif
