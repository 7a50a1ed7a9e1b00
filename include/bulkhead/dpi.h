/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi.h - the contract between the dataplane and the inspection engine.
 *
 * The dataplane hands dpi/ the in-order bytes of each TCP direction (or each
 * UDP datagram) of a flow; dpi/ detects the application protocol by content,
 * runs its parser and reports one record per transaction, and anomalies,
 * through callbacks. A worker owns one struct dpi_worker and the dpi_flow of
 * each of its flows: nothing here is locked or shared between workers.
 */
#ifndef BULKHEAD_DPI_H
#define BULKHEAD_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/bh_event.h"

enum dpi_proto {
	DPI_PROTO_UNKNOWN = 0,
	DPI_PROTO_HTTP,
	DPI_PROTO_DNS,
	DPI_PROTO_MYSQL,
	DPI_PROTO_PGSQL,
	DPI_PROTO_TLS,
	DPI_PROTO__MAX
};

/* EVE name of @p ("http", ..., "unknown" for anything out of range). Static
 * storage, thread-safe. */
const char *dpi_proto_name(unsigned p);

struct dpi_worker;
struct dpi_flow;

/*
 * Outputs. @cookie is what the caller passed with the bytes (its flow).
 * record: @ev has type BH_EV_HTTP/DNS/SQL/TLS and its payload filled; the
 * caller adds time, tuple and flow fields. Pointers in @ev are valid for the
 * call only. anomaly: @event is a static "proto.event" string.
 */
struct dpi_ops {
	void (*record)(void *ctx, void *cookie, struct bh_event *ev);
	void (*anomaly)(void *ctx, void *cookie, const char *event);
	void *ctx;
};

/* Returns 0 and sets *ret, or -ENOMEM. */
int dpi_worker_new(const struct dpi_ops *ops, struct dpi_worker **ret);
void dpi_worker_free(struct dpi_worker *w);

/* What dpi/ knows of a flow besides its bytes. Ports are hints only. */
struct dpi_flow_meta {
	uint8_t ipproto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t client_port, server_port;
};

#define DPI_DATA_GAP 0x01     /* @len bytes missing; data NULL */
#define DPI_DATA_EOF 0x02     /* the direction ended */

/*
 * TCP: in-order bytes of direction @dir (0: to server) of the flow whose
 * state is *@slot (NULL at first; dpi/ allocates it). A gap or the end of the
 * direction is signalled by @flags.
 */
void dpi_stream(struct dpi_worker *w, struct dpi_flow **slot, void *cookie,
		const struct dpi_flow_meta *m, unsigned dir, const uint8_t *data, uint32_t len,
		unsigned flags);

/* UDP: the payload of one datagram of direction @dir. */
void dpi_datagram(struct dpi_worker *w, struct dpi_flow **slot, void *cookie,
		  const struct dpi_flow_meta *m, unsigned dir, const uint8_t *data, uint32_t len);

/* The flow ends: transactions still open are reported, then *@slot is freed
 * and set to NULL. */
void dpi_flow_end(struct dpi_worker *w, struct dpi_flow **slot, void *cookie);

/* Free the flow's state without reporting anything (teardown). */
void dpi_flow_discard(struct dpi_worker *w, struct dpi_flow **slot);

/* The flow's application protocol (DPI_PROTO_UNKNOWN for NULL). */
unsigned dpi_flow_proto(const struct dpi_flow *f);

#endif
