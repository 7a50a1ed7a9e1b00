/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_rules_priv.h - what the rule loader's files share: the arena that owns
 * a set's memory, the load context with its error reporting, one rule's
 * parse state, the option parser (dpi_rules_opt.c) and the address/port
 * compiler (dpi_rules_net.c).
 */
#ifndef BULKHEAD_DPI_RULES_PRIV_H
#define BULKHEAD_DPI_RULES_PRIV_H

#include <string.h>
#include <strings.h>

#include "dpi_rules.h"

/* User text quoted in a message: at most QUOTE_MAX bytes, as "%.*s". */
#define QUOTE_MAX 60
#define Q(p, end) (int)((end) - (p) > QUOTE_MAX ? QUOTE_MAX : (end) - (p)), (p)

/* Everything a set points to lives in its arena and goes with it. */
void *dpi_rules_arena_alloc(struct dpi_rules_arena *a, size_t n);
char *dpi_rules_arena_strndup(struct dpi_rules_arena *a, const char *s, size_t n);

/* Where a piece of a logical rule came from: the text at @off onwards is
 * physical line @line, starting at column 1. */
struct dpi_rules_seg {
	size_t off;
	unsigned line;
};

struct dpi_rules_ctx {
	const struct dpi_rule_var *vars;
	dpi_rules_error_fn err_cb;
	void *err_ctx;
	unsigned n_errors;
	bool gave_up;
	bool oom;
	struct dpi_rules_arena *arena;
	const char *file;            /* arena copy of the current file name */

	/* The logical rule being parsed (continuation lines joined). */
	char *text;
	size_t len, cap;
	struct dpi_rules_seg *segs;
	size_t n_segs, cap_segs;
};

struct sid_slot {
	uint32_t sid;                /* 0: empty */
	unsigned line;
	const char *file;
};

/* Per match, what only the parser needs: where to point errors. */
struct mpos {
	const char *pos;             /* the content/pcre/... keyword */
	const char *rel_pos;         /* the relative keyword, if any */
	const char *rel_kw;
};

struct loader {
	uint16_t source;             /* index of the source being loaded */
	struct dpi_rules_ctx c;
	struct dpi_rule_set *set;
	size_t cap_rules;
	struct sid_slot *sids;       /* open addressing, sid -> first use */
	size_t sid_cap, sid_n;
	struct dpi_rule_match *m;    /* DPI_RULES_MAX_MATCHES of the rule */
	struct mpos *mp;
	const char *refs[DPI_RULES_MAX_REFERENCES];
	char *meta;                  /* metadata being joined */
	size_t meta_len, meta_cap;
};

struct rstate {
	struct dpi_rule r;
	size_t n;                    /* matches so far */
	enum dpi_rule_buffer buf;    /* where the next content goes */
	uint8_t tf;                  /* its transforms */
	bool sticky;
	size_t sticky_n;             /* matches when the sticky buffer was set */
	int last_content;            /* what content modifiers apply to, or -1 */
	bool content_failed;         /* the last content was bad: modifiers are
				      * not checked against it */
	bool bad;
	bool too_many;               /* DPI_RULES_MAX_MATCHES reported */
	bool has_sid, has_rev, has_gid, has_msg, has_class, has_prio, has_flow, has_thr, has_fp;
	size_t n_refs;
};

extern const char *const dpi_rule_buffer_names[DPI_RB__COUNT];

/* Reports an error at @pos (a pointer into ctx->text, or NULL for the
 * rule's first line without a column). */
void dpi_rules_error(struct dpi_rules_ctx *c, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Line and column of @pos, a pointer into ctx->text. */
void dpi_rules_pos(const struct dpi_rules_ctx *c, const char *pos, unsigned *line, unsigned *col);

/* Records @sid for the rule being parsed; a duplicate is reported at @pos.
 * Returns 0, -EINVAL or -ENOMEM. */
int dpi_rules_sid_insert(struct loader *ld, const char *pos, uint32_t sid);

/*
 * Parses the options between '(' and the rule's final ')' at @close.
 * Returns 0, -ENOMEM, or -EINVAL when the option list itself is broken (the
 * rule is abandoned); an error in one option only sets st->bad.
 */
int dpi_rules_parse_options(struct loader *ld, struct rstate *st, const char *p, const char *close);

/* Compile the address or port expression [@p, @end) of the rule text into
 * @ret (arrays in the arena). Errors are reported; returns 0, -EINVAL or
 * -ENOMEM. */
int dpi_rules_compile_addrs(struct dpi_rules_ctx *c, const char *p, const char *end,
			    struct dpi_rule_addrs *ret);
int dpi_rules_compile_ports(struct dpi_rules_ctx *c, const char *p, const char *end,
			    struct dpi_rule_ports *ret);

static inline bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static inline void trim(const char **p, const char **end)
{
	while (*p < *end && is_space(**p))
		(*p)++;
	while (*end > *p && is_space((*end)[-1]))
		(*end)--;
}

/* Case-insensitive: Suricata's keywords and names are. */
static inline bool word_eq(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) == n && strncasecmp(p, w, n) == 0;
}

#endif
