/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_inspect_int.h - shared by the dpi_inspect*.c files. */
#ifndef DPI_INSPECT_INT_H
#define DPI_INSPECT_INT_H

#include "dpi_inspect.h"

#define DPI_IB_URI (2u * DPI_HTTP_MAX_HEAD + 2u)
#define DPI_IB_HDR (DPI_HTTP_MAX_HEAD + 4u * DPI_HTTP_MAX_HEADERS)
#define DPI_IB_COOKIES 8u

/* A worker's room to build inspection buffers (one transaction at a time). */
struct dpi_inspect_buf {
	uint8_t uri[DPI_IB_URI];              /* http.uri: path '?' decoded query */
	uint8_t hdr[DPI_IB_HDR];              /* http.header */
	struct dpi_slice params[2 * DPI_HTTP_MAX_PARAMS];
	struct dpi_slice cookies[DPI_IB_COOKIES];
	struct dpi_slice dnsq[DPI_DNS_MAX_QUESTIONS];
	struct dpi_slice one[DPI_RB__COUNT];  /* single-valued buffers */
	struct dpi_sig_stream *udp;           /* reset for each datagram */
};

/* One alert before flood control: a rule's, or a C detector's. */
struct dpi_hit {
	const struct dpi_rule *rule;          /* NULL: csig */
	enum dpi_csig csig;
	unsigned set;
	const char *field;
	const uint8_t *ex;
	uint32_t exlen;
	const char *detail;
};

void dpi_inspect_emit(struct dpi_worker *w, void *cookie, const struct dpi_hit *h,
		      const struct bh_event *rec);
void dpi_inspect_csig(struct dpi_worker *w, void *cookie, enum dpi_csig cs, const char *field,
		      const uint8_t *ex, uint32_t exlen, const char *detail,
		      const struct bh_event *rec);
/* Runs the compiled rules on @tx; alerts carry @rec. */
void dpi_inspect_rules(struct dpi_worker *w, void *cookie, const struct dpi_sig_tx *tx,
		       const struct bh_event *rec);
enum dpi_rule_app dpi_inspect_app(const struct dpi_flow *f);

/* The C detectors (dpi_inspect_detect.c). */
void dpi_inspect_sqli_value(struct dpi_worker *w, void *cookie, enum dpi_csig cs,
			    const char *field, const uint8_t *v, uint32_t len, unsigned ctx,
			    const struct bh_event *rec);
void dpi_inspect_jndi_value(struct dpi_worker *w, void *cookie, const char *field,
			    const uint8_t *v, uint32_t len, const struct bh_event *rec);
void dpi_inspect_dns_tunnel(struct dpi_worker *w, void *cookie,
			    const struct dpi_dns_question *q, const struct bh_event *rec);
void dpi_inspect_sql_statement(struct dpi_worker *w, void *cookie, enum dpi_sql_dialect d,
			       struct dpi_slice text, const struct bh_event *rec);

#endif
