/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sigs.c - the signature engine as the rest of bulkhead sees it: the
 * built-in sets (rule files embedded at build time, plus detectors written
 * in C) and the user's rule files, compiled into one immutable engine that
 * every worker shares, each with its own scratch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_builtin.h"
#include "dpi_inspect.h"

static const char *const set_names[DPI_SET__MAX] = {
	[DPI_SET_SQLI] = "sqli",
	[DPI_SET_CMDI] = "cmdi",
	[DPI_SET_TRAVERSAL] = "traversal",
	[DPI_SET_XSS] = "xss",
	[DPI_SET_JNDI] = "jndi",
	[DPI_SET_SSRF_METADATA] = "ssrf-metadata",
	[DPI_SET_SCANNER] = "scanner",
	[DPI_SET_HTTP_ANOMALY] = "http-anomaly",
	[DPI_SET_DNS_TUNNEL] = "dns-tunnel",
	[DPI_SET_DNS_ANOMALY] = "dns-anomaly",
	[DPI_SET_CUSTOM] = "custom",
};

/* The detectors written in C; dpi/rules/README.md documents each sid. */
const struct dpi_csig_info dpi_csigs[DPI_CS__MAX] = {
	[DPI_CS_SQLI_PARAM] = {8801001, DPI_SET_SQLI, "web-application-attack",
			       "BULKHEAD SQLI injection in an HTTP query parameter"},
	[DPI_CS_SQLI_BODY] = {8801002, DPI_SET_SQLI, "web-application-attack",
			      "BULKHEAD SQLI injection in an HTTP form body value"},
	[DPI_CS_SQLI_PATH] = {8801003, DPI_SET_SQLI, "web-application-attack",
			      "BULKHEAD SQLI injection in an HTTP URI path segment"},
	[DPI_CS_SQLI_COOKIE] = {8801004, DPI_SET_SQLI, "web-application-attack",
				"BULKHEAD SQLI injection in an HTTP cookie value"},
	[DPI_CS_SQLI_STATEMENT] = {8801005, DPI_SET_SQLI, "web-application-attack",
				   "BULKHEAD SQLI injection-shaped SQL statement sent to a database"},
	[DPI_CS_JNDI_OBFUSCATED] = {8805900, DPI_SET_JNDI, "attempted-admin",
				    "BULKHEAD JNDI obfuscated Log4j lookup resolving to jndi:"},
	[DPI_CS_HTTP_CL_TE] = {8808001, DPI_SET_HTTP_ANOMALY, "web-application-attack",
			       "BULKHEAD HTTP-ANOMALY request with Content-Length and "
			       "Transfer-Encoding (smuggling)"},
	[DPI_CS_HTTP_CL_INVALID] = {8808002, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				    "BULKHEAD HTTP-ANOMALY invalid or conflicting Content-Length"},
	[DPI_CS_HTTP_CL_DUPLICATE] = {8808003, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				      "BULKHEAD HTTP-ANOMALY repeated Content-Length header"},
	[DPI_CS_HTTP_TE_INVALID] = {8808004, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				    "BULKHEAD HTTP-ANOMALY request Transfer-Encoding not ending in "
				    "chunked"},
	[DPI_CS_HTTP_TE_HTTP10] = {8808005, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				   "BULKHEAD HTTP-ANOMALY Transfer-Encoding in an HTTP/1.0 request"},
	[DPI_CS_HTTP_HEADER_LIMIT] = {8808006, DPI_SET_HTTP_ANOMALY, "attempted-dos",
				      "BULKHEAD HTTP-ANOMALY request header limits exceeded"},
	[DPI_CS_HTTP_LINE_FOLDING] = {8808007, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				      "BULKHEAD HTTP-ANOMALY bare CR, bare LF or obsolete line "
				      "folding in a request head"},
	[DPI_CS_HTTP_CHUNK_INVALID] = {8808008, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				       "BULKHEAD HTTP-ANOMALY invalid chunked request body"},
	[DPI_CS_HTTP_HOST_DUPLICATE] = {8808009, DPI_SET_HTTP_ANOMALY, "bad-unknown",
					"BULKHEAD HTTP-ANOMALY conflicting Host headers"},
	[DPI_CS_HTTP_REQUEST_LINE] = {8808010, DPI_SET_HTTP_ANOMALY, "bad-unknown",
				      "BULKHEAD HTTP-ANOMALY invalid request line or header field"},
	[DPI_CS_DNS_LONG_LABEL] = {8809001, DPI_SET_DNS_TUNNEL, "policy-violation",
				   "BULKHEAD DNS-TUNNEL query with an overlong encoded label"},
	[DPI_CS_DNS_HIGH_ENTROPY] = {8809002, DPI_SET_DNS_TUNNEL, "policy-violation",
				     "BULKHEAD DNS-TUNNEL query with a high-entropy subdomain"},
	[DPI_CS_DNS_TXT_NULL] = {8809003, DPI_SET_DNS_TUNNEL, "policy-violation",
				 "BULKHEAD DNS-TUNNEL TXT or NULL query for an encoded name"},
	[DPI_CS_DNS_LONG_NAME] = {8809004, DPI_SET_DNS_TUNNEL, "policy-violation",
				  "BULKHEAD DNS-TUNNEL query with an overlong encoded name"},
	[DPI_CS_DNS_POINTER_LOOP] = {8810001, DPI_SET_DNS_ANOMALY, "attempted-dos",
				     "BULKHEAD DNS-ANOMALY compression pointer loop"},
	[DPI_CS_DNS_ZONE_TRANSFER] = {8810002, DPI_SET_DNS_ANOMALY, "attempted-recon",
				      "BULKHEAD DNS-ANOMALY zone transfer (AXFR/IXFR) request"},
	[DPI_CS_DNS_ANY] = {8810003, DPI_SET_DNS_ANOMALY, "attempted-recon",
			    "BULKHEAD DNS-ANOMALY ANY query"},
	[DPI_CS_DNS_MALFORMED] = {8810004, DPI_SET_DNS_ANOMALY, "protocol-command-decode",
				  "BULKHEAD DNS-ANOMALY malformed DNS message"},
};

const char *dpi_set_name(unsigned set)
{
	return set < DPI_SET__MAX ? set_names[set] : NULL;
}

int dpi_set_parse(const char *list, unsigned *ret_mask, char *err, size_t errlen)
{
	unsigned mask = 0;
	const char *p = list;

	if (!list)
		return -EINVAL;
	if (strcmp(list, "all") == 0) {
		*ret_mask = DPI_SETS_BUILTIN;
		return 0;
	}
	if (strcmp(list, "none") == 0) {
		*ret_mask = 0;
		return 0;
	}
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		unsigned s;

		for (s = 0; s < DPI_SET_CUSTOM; s++)
			if (strlen(set_names[s]) == n && memcmp(set_names[s], p, n) == 0)
				break;
		if (s == DPI_SET_CUSTOM) {
			snprintf(err, errlen, "unknown signature set '%.*s'", (int)(n > 64 ? 64 : n),
				 p);
			return -EINVAL;
		}
		mask |= 1u << s;
		if (!e)
			break;
		p = e + 1;
	}
	*ret_mask = mask;
	return 0;
}

static void rule_error(void *ctx, const struct dpi_rule_error *e)
{
	const struct dpi_sigs_config *c = ctx;

	if (c->error)
		c->error(c->error_ctx, e->text);
}

static void report(const struct dpi_sigs_config *c, const char *msg)
{
	if (c->error)
		c->error(c->error_ctx, msg);
}

void dpi_sigs_free(struct dpi_sigs *s)
{
	if (!s)
		return;
	dpi_sig_db_free(s->db);
	dpi_rules_free(s->rules);
	free(s->rule_set);
	free(s);
}

int dpi_sigs_new(const struct dpi_sigs_config *c, struct dpi_sigs **ret)
{
	size_t nsrc = 0, nmax = dpi_builtin_ntexts + c->n_rule_files;
	struct dpi_rule_source *src = calloc(nmax ? nmax : 1, sizeof(*src));
	uint8_t *src_set = calloc(nmax ? nmax : 1, 1);
	struct dpi_sigs *s = calloc(1, sizeof(*s));
	char err[1024] = "";
	int r = -ENOMEM;

	if (!src || !src_set || !s)
		goto out;
	s->sets = (c->sets & DPI_SETS_BUILTIN) | (1u << DPI_SET_CUSTOM);
	for (size_t i = 0; i < dpi_builtin_ntexts; i++) {
		const struct dpi_builtin_text *t = &dpi_builtin_texts[i];

		if (!(s->sets & (1u << t->set)))
			continue;
		src[nsrc] = (struct dpi_rule_source){t->name, t->text, t->len};
		src_set[nsrc++] = (uint8_t)t->set;
	}
	for (size_t i = 0; i < c->n_rule_files; i++) {
		src[nsrc] = (struct dpi_rule_source){.name = c->rule_files[i]};
		src_set[nsrc++] = DPI_SET_CUSTOM;
	}
	r = dpi_rules_load_sources(src, nsrc, NULL, &s->rules, rule_error, (void *)c);
	if (r < 0)
		goto out;
	s->rule_set = calloc(s->rules->n_rules ? s->rules->n_rules : 1, 1);
	if (!s->rule_set) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->rules->n_rules; i++)
		s->rule_set[i] = src_set[s->rules->rules[i].source];
	r = dpi_sig_compile(s->rules, &s->db, err, sizeof(err));
	if (r < 0) {
		report(c, err);
		goto out;
	}
	*ret = s;
	s = NULL;
out:
	if (r == -ENOMEM)
		report(c, "signatures: out of memory");
	dpi_sigs_free(s);
	free(src);
	free(src_set);
	return r;
}

size_t dpi_sigs_rules(const struct dpi_sigs *s)
{
	return s && s->rules ? s->rules->n_rules : 0;
}
