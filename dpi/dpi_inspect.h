/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_inspect.h - inside dpi/: signatures applied to what the parsers
 * report. The glue (dpi_app_*.c) calls these for every transaction before it
 * reports the transaction itself; they build the inspection buffers of
 * dpi_rules.h from the parsed message, run the compiled rules
 * (dpi_sig.h) and the built-in detectors written in C, and emit `alert`
 * events through the worker's record callback, flood-controlled per flow.
 */
#ifndef DPI_INSPECT_H
#define DPI_INSPECT_H

#include "dpi_app.h"
#include "dpi_dns.h"
#include "dpi_http.h"
#include "dpi_rules.h"
#include "dpi_sig.h"
#include "dpi_sql.h"

/* Built-in detectors written in C: each is one documented signature. */
enum dpi_csig {
	DPI_CS_SQLI_PARAM,
	DPI_CS_SQLI_BODY,
	DPI_CS_SQLI_PATH,
	DPI_CS_SQLI_COOKIE,
	DPI_CS_SQLI_STATEMENT,
	DPI_CS_JNDI_OBFUSCATED,
	DPI_CS_HTTP_CL_TE,
	DPI_CS_HTTP_CL_INVALID,
	DPI_CS_HTTP_CL_DUPLICATE,
	DPI_CS_HTTP_TE_INVALID,
	DPI_CS_HTTP_TE_HTTP10,
	DPI_CS_HTTP_HEADER_LIMIT,
	DPI_CS_HTTP_LINE_FOLDING,
	DPI_CS_HTTP_CHUNK_INVALID,
	DPI_CS_HTTP_HOST_DUPLICATE,
	DPI_CS_HTTP_REQUEST_LINE,
	DPI_CS_DNS_LONG_LABEL,
	DPI_CS_DNS_HIGH_ENTROPY,
	DPI_CS_DNS_TXT_NULL,
	DPI_CS_DNS_LONG_NAME,
	DPI_CS_DNS_POINTER_LOOP,
	DPI_CS_DNS_ZONE_TRANSFER,
	DPI_CS_DNS_ANY,
	DPI_CS_DNS_MALFORMED,
	DPI_CS__MAX
};

struct dpi_csig_info {
	uint32_t sid;
	uint8_t set;              /* enum dpi_set */
	const char *classtype;    /* Suricata classtype name */
	const char *msg;
};

extern const struct dpi_csig_info dpi_csigs[DPI_CS__MAX];

struct dpi_sigs {
	unsigned sets;            /* enabled built-in sets, plus DPI_SET_CUSTOM */
	struct dpi_rule_set *rules;
	struct dpi_sig_db *db;
	uint8_t *rule_set;        /* per rule: enum dpi_set */
};

/* HTTP anomalies that are signatures (http-anomaly): bit per DPI_CS_HTTP_*
 * from the anomaly name, 0 if none. */
uint32_t dpi_inspect_http_anomaly_bit(const char *event);

/* An HTTP request; @anoms: the http-anomaly bits seen since the last
 * request (to server). */
void dpi_inspect_http(struct dpi_worker *w, void *cookie, const struct dpi_http_request *r,
		      uint32_t anoms);
/* http-anomaly bits with no request to attach them to (a request that
 * failed to parse, a flow ending). */
void dpi_inspect_http_orphans(struct dpi_worker *w, void *cookie, uint32_t anoms);
void dpi_inspect_dns(struct dpi_worker *w, void *cookie, unsigned dir,
		     const struct dpi_dns_msg *m, const struct bh_event *rec);
void dpi_inspect_sql(struct dpi_worker *w, void *cookie, enum dpi_sql_dialect d,
		     struct dpi_slice text, const struct bh_event *rec);
void dpi_inspect_tls(struct dpi_worker *w, void *cookie, const struct bh_event *rec);

/* Raw bytes of a direction (TCP: in order; @gap: a hole of @len bytes) and
 * UDP datagrams. */
void dpi_inspect_stream(struct dpi_worker *w, void *cookie, unsigned dir, const uint8_t *data,
			uint32_t len, bool gap);
void dpi_inspect_datagram(struct dpi_worker *w, void *cookie, unsigned dir,
			  const uint8_t *data, uint32_t len);

/* Frees the flow's signature state (streams). */
void dpi_inspect_flow_free(struct dpi_worker *w, struct dpi_flow *f);

#endif
