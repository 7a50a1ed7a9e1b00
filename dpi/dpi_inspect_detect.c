/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_inspect_detect.c - the built-in detectors written in C, as
 * signatures: SQL injection in values (dpi_sqli.h) and in statements
 * (dpi_sqli_stmt.h), obfuscated Log4j lookups (dpi_jndi.h), DNS tunnels
 * (dpi_dnstun.h).
 */
#include <string.h>

#include "dpi_inspect_int.h"
#include "dpi_dnstun.h"
#include "dpi_jndi.h"
#include "dpi_sqli.h"
#include "dpi_sqli_stmt.h"

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

/* Only values that can hold a lookup: "${", or its encoded forms. */
static bool maybe_lookup(const uint8_t *v, uint32_t len)
{
	return memchr(v, '$', len) || memchr(v, '%', len) || memchr(v, '\\', len);
}

void dpi_inspect_jndi_value(struct dpi_worker *w, void *cookie, const char *field,
			    const uint8_t *v, uint32_t len, const struct bh_event *rec)
{
	struct dpi_jndi_result res;

	if (!len || !(w->sigs->sets & (1u << DPI_SET_JNDI)) || !maybe_lookup(v, len))
		return;
	if (dpi_jndi_check(v, len, &res) != 1)
		return;
	/* A plain "${jndi:" is the rule-text signature's (jndi.rules); this
	 * one is for what only resolving the lookups shows. */
	if (!res.obfuscated && !res.decoded && !res.unresolved)
		return;
	if (res.off > len || res.len > len - res.off)
		res.off = res.len = 0;
	dpi_inspect_csig(w, cookie, DPI_CS_JNDI_OBFUSCATED, field, res.len ? v + res.off : v,
			 res.len ? res.len : len, res.scheme[0] ? res.scheme : "unresolved", rec);
}

void dpi_inspect_dns_tunnel(struct dpi_worker *w, void *cookie,
			    const struct dpi_dns_question *q, const struct bh_event *rec)
{
	struct dpi_dnstun_result res;
	const uint8_t *name = (const uint8_t *)q->name.text;
	enum dpi_csig cs;

	if (!q->name.len || !(w->sigs->sets & (1u << DPI_SET_DNS_TUNNEL)))
		return;
	if (dpi_dnstun_check(name, q->name.len, q->qtype, &res) != 1)
		return;
	if (res.reasons & DPI_DNSTUN_TXT_NULL)
		cs = DPI_CS_DNS_TXT_NULL;
	else if (res.reasons & DPI_DNSTUN_LONG_LABEL)
		cs = DPI_CS_DNS_LONG_LABEL;
	else if (res.reasons & DPI_DNSTUN_LONG_NAME && !(res.reasons & DPI_DNSTUN_HIGH_ENTROPY))
		cs = DPI_CS_DNS_LONG_NAME;
	else
		cs = DPI_CS_DNS_HIGH_ENTROPY;
	if (res.off > q->name.len || res.len > q->name.len - res.off)
		res.off = res.len = 0;
	dpi_inspect_csig(w, cookie, cs, "dns.query", res.len ? name + res.off : name,
			 res.len ? res.len : q->name.len, NULL, rec);
}

void dpi_inspect_sql_statement(struct dpi_worker *w, void *cookie, enum dpi_sql_dialect d,
			       struct dpi_slice text, const struct bh_event *rec)
{
	struct dpi_sqli_stmt_result res;

	if (!text.len || !(w->sigs->sets & (1u << DPI_SET_SQLI)))
		return;
	if (dpi_sqli_stmt_check(d, text.p, text.len, &res) != 1)
		return;
	if (res.off > text.len || res.len > text.len - res.off)
		res.off = res.len = 0;
	dpi_inspect_csig(w, cookie, DPI_CS_SQLI_STATEMENT, "sql.query",
			 res.len ? text.p + res.off : text.p, res.len ? res.len : text.len,
			 res.reason, rec);
}
