/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_rules.c - libFuzzer target for the rule loader (dpi_rules.h).
 *
 * The input is a rule file, handed over in an allocation of exactly its
 * size (ASan sees any read past it), with a variable table that nests,
 * negates and loops. Every error must be well-formed and counted, and a
 * load succeeds exactly when no error was reported. A loaded set is walked
 * and held to the header's promises: buffers and types in range, decoded
 * contents non-empty, relative references pointing backwards into the same
 * buffer, the fast pattern inside its content, CIDRs and port ranges sorted
 * and disjoint; a violation aborts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static const struct dpi_rule_var vars[] = {
	{"HOME_NET", "[10.0.0.0/8,192.168.0.0/16,fd00::/8,!10.1.2.3]"},
	{"EXTERNAL_NET", "!$HOME_NET"},
	{"HTTP_PORTS", "[80,8000:8100,!8081]"},
	{"A", "[$B,1.2.3.4]"},
	{"B", "$A"},
	{"EMPTY", ""},
	{NULL, NULL},
};

static void on_error(void *ctx, const struct dpi_rule_error *e)
{
	unsigned *n = ctx;

	if (!e->text || !e->msg || !e->file || !*e->msg || strlen(e->text) < strlen(e->msg))
		abort();
	if (e->col && !e->line)
		abort();
	(*n)++;
}

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= b[i];
	__asm__ volatile("" : : "r"(x));
}

static void check_rule(const struct dpi_rule *r)
{
	const uint8_t *fp;
	size_t fplen;
	const struct dpi_rule_match *fm;

	if (!r->msg || !r->file || r->sid == 0 || r->priority == 0 || !r->line)
		abort();
	if (dpi_rule_action_name(r->action) == NULL || dpi_rule_proto_name(r->proto) == NULL)
		abort();
	touch(r->msg, strlen(r->msg));
	if (r->metadata)
		touch(r->metadata, strlen(r->metadata));
	if ((r->classtype == NULL) != (r->category == NULL))
		abort();
	if (r->n_references > DPI_RULES_MAX_REFERENCES || r->n_matches > DPI_RULES_MAX_MATCHES)
		abort();
	for (size_t i = 0; i < r->n_references; i++)
		if (!strchr(r->references[i], ','))
			abort();
	if (r->src.any == (r->src.n != 0) || r->dst.any == (r->dst.n != 0))
		abort();
	for (const struct dpi_rule_addrs *a = &r->src; a; a = a == &r->src ? &r->dst : NULL) {
		for (size_t i = 0; i < a->n; i++) {
			if (a->cidrs[i].prefix > 128)
				abort();
			if (!dpi_rule_addrs_match(a, a->cidrs[i].addr))
				abort();
			if (i && memcmp(a->cidrs[i - 1].addr, a->cidrs[i].addr, 16) >= 0)
				abort();
		}
	}
	for (const struct dpi_rule_ports *p = &r->sport; p; p = p == &r->sport ? &r->dport : NULL) {
		if (p->any == (p->n != 0))
			abort();
		for (size_t i = 0; i < p->n; i++) {
			if (p->ranges[i].lo > p->ranges[i].hi)
				abort();
			if (i && p->ranges[i].lo <= p->ranges[i - 1].hi + 1u)
				abort();
			if (!dpi_rule_ports_match(p, p->ranges[i].lo) || !dpi_rule_ports_match(p, p->ranges[i].hi))
				abort();
		}
	}
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct dpi_rule_match *m = &r->matches[i];

		if (m->buffer >= DPI_RB__COUNT || m->type > DPI_RM_BSIZE)
			abort();
		if (m->rel_to >= (int)i || m->rel_to < -1)
			abort();
		if (m->rel_to >= 0 && (r->matches[m->rel_to].buffer != m->buffer ||
				       r->matches[m->rel_to].transforms != m->transforms))
			abort();
		if ((m->has_distance || m->has_within || m->relative) != (m->rel_to >= 0))
			abort();
		switch (m->type) {
		case DPI_RM_CONTENT:
			if (!m->bytes || m->len == 0)
				abort();
			touch(m->bytes, m->len);
			if (m->has_depth && m->depth < m->len)
				abort();
			if (m->has_within && m->within < m->len)
				abort();
			if ((m->has_offset || m->has_depth) && (m->has_distance || m->has_within))
				abort();
			if (m->fp_chop && (size_t)m->fp_offset + m->fp_len > m->len)
				abort();
			break;
		case DPI_RM_PCRE:
			if (!m->pcre || !*m->pcre || !m->pcre_flags)
				abort();
			touch(m->pcre, strlen(m->pcre));
			break;
		case DPI_RM_BSIZE:
			if (m->bsize_min > m->bsize_max || m->buffer == DPI_RB_STREAM)
				abort();
			break;
		default:
			break;
		}
	}
	fm = dpi_rule_fast_pattern(r, &fp, &fplen);
	if (fm) {
		if (fm->type != DPI_RM_CONTENT || fm->negated || fp < fm->bytes ||
		    fp + fplen > fm->bytes + fm->len || fplen == 0)
			abort();
		touch(fp, fplen);
	} else if (r->fast_pattern != -1) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct dpi_rule_set *set = NULL;
	unsigned errors = 0;
	char *copy;
	int rc;

	if (len > DPI_RULES_MAX_RULE_LEN * 4)
		return 0;
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, buf, len);
	rc = dpi_rules_load_buffer("fuzz.rules", copy, len, vars, &set, on_error, &errors);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if ((rc == 0) != (errors == 0) || (rc == 0) != (set != NULL))
		abort();
	if (errors > DPI_RULES_MAX_ERRORS + 1)
		abort();
	if (set) {
		for (size_t i = 0; i < set->n_rules; i++)
			check_rule(&set->rules[i]);
		for (size_t i = 0; i < set->n_rules; i++)
			for (size_t j = i + 1; j < set->n_rules && j < i + 64; j++)
				if (set->rules[i].sid == set->rules[j].sid)
					abort();
	}
	dpi_rules_free(set);
	free(copy);
	return 0;
}
