/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli_grammar.c - the SQL injection detector's grammar: a lenient
 * recursive-descent reader of the tokens that follow the break (or of the
 * whole value, read as-is), recording evidence (family and score) as it
 * goes. See dpi_sqli.c for the scores and where the grammar is lenient.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpi_sqli.h"
#include "dpi_sqli_int.h"

/* --------------------------------------------------------------- grammar */

static const struct tk *cur(const struct ps *p)
{
	return &p->t[p->i];
}

static const struct tk *peek(const struct ps *p, unsigned k)
{
	return &p->t[p->i + k < p->n ? p->i + k : p->n];
}

static void adv(struct ps *p)
{
	if (p->i < p->n) {
		p->end = p->t[p->i].off + p->t[p->i].len;
		p->i++;
	}
}

static unsigned fail(struct ps *p)
{
	p->bad = true;
	return 0;
}

static bool is_kw(const struct tk *t, unsigned kw)
{
	return (t->tc == TC_KW || t->tc == TC_ID) && t->kw == kw;
}

static bool at_stop(const struct tk *t)
{
	return t->tc == TC_EOF || t->tc == TC_END;
}

static void found(struct ps *p, unsigned fam, unsigned score)
{
	if (score > p->score) {
		p->score = score;
		p->fam = fam;
		p->ev_end = p->end;
	}
}

/* Literal-only: literals, possibly through functions and operators. */
static bool lit_only(unsigned s)
{
	return (s & S_LIT) && !(s & (S_ID | S_SUBQ));
}

static bool same_text(const struct ps *p, uint32_t ao, uint32_t al, uint32_t bo, uint32_t bl)
{
	if (al != bl || al == 0 || al > 64)
		return false;
	for (uint32_t i = 0; i < al; i++) {
		uint8_t a = p->text[ao + i], b = p->text[bo + i];

		if (a >= 'A' && a <= 'Z')
			a |= 0x20;
		if (b >= 'A' && b <= 'Z')
			b |= 0x20;
		if (a != b)
			return false;
	}
	return true;
}

static unsigned expr(struct ps *p, bool logic);
static unsigned select_body(struct ps *p);
static unsigned select_chain(struct ps *p);
static unsigned paren(struct ps *p);
static void stmt(struct ps *p, unsigned penalty);

/* Arity a dangerous function needs to be the real thing ("benchmark(2023)"
 * in a search box is not MySQL's BENCHMARK(count, expr)); 0: any. */
static unsigned danger_arity(unsigned kw)
{
	switch (kw) {
	case K_benchmark:
	case K_extractvalue:
	case K_gtid_subset:
	case K_gtid_subtract:
	case K_name_const:
		return 2;
	case K_updatexml:
		return 3;
	case K_sleep:
	case K_pg_sleep:
		return 1;
	default:
		return 0;
	}
}

static void note_call(struct ps *p, unsigned kf)
{
	if (kf & KF_TIME)
		found(p, DPI_SQLI_TIME, 95);
	if (kf & KF_ERR)
		found(p, DPI_SQLI_ERROR, 95);
	if (kf & KF_OOB)
		found(p, DPI_SQLI_OOB, 95);
}

/* Function arguments from '(' to ')'. Lenient about the keywords some
 * functions take between arguments (CAST(x AS t), SUBSTRING(x FROM 1 FOR 1),
 * GROUP_CONCAT(x SEPARATOR ','), TRIM(LEADING ..)). *ret_args counts them. */
static unsigned call_args(struct ps *p, unsigned *ret_args)
{
	unsigned s = 0, args = 0;
	bool need_sep = false;

	adv(p); /* ( */
	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	while (!p->bad) {
		const struct tk *t = cur(p);

		if (t->tc == TC_RP) {
			adv(p);
			break;
		}
		if (at_stop(t))
			break; /* open at the end: the query's text may close it */
		if (t->tc == TC_COMMA) {
			adv(p);
			need_sep = false;
			continue;
		}
		if ((t->tc == TC_KW &&
		     (t->kw == K_as || t->kw == K_using || t->kw == K_from || t->kw == K_for ||
		      t->kw == K_in || t->kw == K_order || t->kw == K_by || t->kw == K_distinct ||
		      t->kw == K_all || t->kw == K_leading || t->kw == K_trailing ||
		      t->kw == K_both || t->kw == K_asc || t->kw == K_desc)) ||
		    is_kw(t, K_separator)) {
			bool type = t->kw == K_as || t->kw == K_using;

			adv(p);
			need_sep = false;
			/* a type or charset: CHAR, SIGNED INTEGER, DECIMAL(10,2), utf8 */
			while (type && (cur(p)->tc == TC_ID || cur(p)->tc == TC_KW)) {
				adv(p);
				if (cur(p)->tc == TC_LP)
					paren(p);
				need_sep = true;
			}
			continue;
		}
		if (need_sep)
			return fail(p);
		if (t->tc == TC_STAR) {
			adv(p);
		} else if (is_kw(t, K_select)) {
			adv(p);
			s |= select_chain(p);
		} else {
			s |= expr(p, true);
		}
		if (!args)
			args = 1;
		need_sep = true;
		if (cur(p)->tc == TC_COMMA)
			args++;
	}
	p->depth--;
	*ret_args = args;
	return s;
}

/* A possibly qualified name: a.b, a..b (MSSQL), [dbo].[t], `db`.`t`.
 * Returns the keyword flags of its parts. */
#define KF_DANGER (KF_TIME | KF_ERR | KF_OOB | KF_GEOM)

static unsigned qname(struct ps *p)
{
	unsigned kf = 0, first = 0, last = 0, parts = 0;
	bool after_dot = false;

	for (;;) {
		const struct tk *t = cur(p);

		if (t->tc == TC_ID || (after_dot && t->tc == TC_KW)) {
			last = dpi_sqli_kw_flags(t->kw);
			if (!parts++)
				first = last;
			kf |= last & ~KF_DANGER;
			adv(p);
		} else if (t->tc == TC_LB) {
			adv(p);
			while (!at_stop(cur(p)) && cur(p)->tc != TC_RB && cur(p)->tc != TC_BAD)
				adv(p);
			if (cur(p)->tc != TC_RB)
				return fail(p);
			adv(p);
		} else {
			return fail(p);
		}
		if (cur(p)->tc != TC_DOT || peek(p, 1)->tc == TC_STAR)
			break;
		adv(p);
		if (cur(p)->tc == TC_DOT)
			adv(p);
		after_dot = true;
	}
	/* sleep() and master..xp_dirtree are channels, time.sleep() and
	 * polygon.get_xy() are someone's code */
	if (parts <= 1 || (first & KF_SCHEMA))
		kf |= last & KF_DANGER;
	else if (first & KF_PKG)
		kf |= first & KF_DANGER;
	return kf;
}

static unsigned case_expr(struct ps *p)
{
	unsigned s = S_FUNC;

	adv(p); /* CASE */
	if (!is_kw(cur(p), K_when))
		s |= expr(p, true);
	while (!p->bad && is_kw(cur(p), K_when)) {
		adv(p);
		s |= expr(p, true);
		if (!is_kw(cur(p), K_then))
			return fail(p);
		adv(p);
		s |= expr(p, true);
	}
	if (!p->bad && is_kw(cur(p), K_else)) {
		adv(p);
		s |= expr(p, true);
	}
	if (p->bad)
		return 0;
	if (is_kw(cur(p), K_end))
		adv(p);
	else if (!at_stop(cur(p)))
		return fail(p);
	return s;
}

/* '(' subquery ')' or '(' expression list ')'. */
static unsigned paren(struct ps *p)
{
	unsigned s;

	adv(p); /* ( */
	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	if (is_kw(cur(p), K_select)) {
		adv(p);
		s = select_chain(p);
		if (!p->bad && (s & S_STRONG))
			found(p, DPI_SQLI_SUBQUERY, 85);
	} else {
		s = expr(p, true);
		while (!p->bad && cur(p)->tc == TC_COMMA) {
			adv(p);
			s |= expr(p, true);
		}
	}
	if (!p->bad) {
		if (cur(p)->tc == TC_RP)
			adv(p);
		else if (!at_stop(cur(p)))
			fail(p);
	}
	p->depth--;
	return p->bad ? 0 : s;
}

static unsigned primary(struct ps *p)
{
	const struct tk *t = cur(p);
	unsigned kf, s, args = 0;

	switch (t->tc) {
	case TC_NUM:
		adv(p);
		return S_LIT;
	case TC_STR:
		adv(p);
		while (p->mysql && cur(p)->tc == TC_STR) /* 'a' 'b' is 'ab' */
			adv(p);
		return S_LIT;
	case TC_VAR:
		adv(p);
		return S_LIT | ((t->f & TF_SYSVAR) ? S_INFO : 0);
	case TC_ID:
	case TC_LB:
		/* charset introducer: _utf8'x', _binary 0x41 */
		if (t->tc == TC_ID && t->len > 1 && p->text[t->off] == '_' &&
		    (peek(p, 1)->tc == TC_STR || peek(p, 1)->tc == TC_NUM)) {
			adv(p);
			adv(p);
			return S_LIT;
		}
		kf = qname(p);
		if (p->bad)
			return 0;
		if (cur(p)->tc != TC_LP)
			return S_ID | ((kf & KF_INFO) ? S_INFO : 0);
		s = call_args(p, &args);
		if (p->bad)
			return 0;
		/* the real thing takes literals or a subquery: sleep(5), not
		 * sleep(timestep); POLYGON((SELECT ...)), not Polygon(xy) */
		if ((t->tc == TC_ID && danger_arity(t->kw) && args != danger_arity(t->kw)) ||
		    !(s & (S_LIT | S_SUBQ | S_INFO)) || ((kf & KF_GEOM) && !(s & S_SUBQ)))
			kf &= ~(unsigned)KF_DANGER;
		note_call(p, kf);
		return S_FUNC | s | ((kf & KF_INFO) ? S_INFO : 0);
	case TC_KW:
		kf = dpi_sqli_kw_flags(t->kw);
		if (t->kw == K_case)
			return case_expr(p);
		if (peek(p, 1)->tc == TC_LP && (kf & KF_CALL)) {
			adv(p);
			s = call_args(p, &args);
			note_call(p, kf);
			return p->bad ? 0 : S_FUNC | s | ((kf & KF_INFO) ? S_INFO : 0);
		}
		if (kf & KF_LIT) {
			adv(p);
			return S_LIT | ((kf & KF_INFO) ? S_INFO : 0) |
			       ((t->kw == K_true || t->kw == K_false) ? S_BOOL : 0);
		}
		if (t->kw == K_interval) {
			adv(p);
			s = dpi_sqli_operand(p);
			if (cur(p)->tc == TC_ID)
				adv(p);
			return s | S_LIT;
		}
		return fail(p);
	case TC_LP:
		return paren(p);
	default:
		return fail(p);
	}
}

/* Prefix operators, a primary, postfix casts and COLLATE. */
unsigned dpi_sqli_operand(struct ps *p)
{
	uint32_t start;
	unsigned s;

	while (!at_stop(cur(p)) &&
	       ((cur(p)->tc == TC_OP && (cur(p)->f & TF_UNARY)) || is_kw(cur(p), K_not) ||
		is_kw(cur(p), K_binary)))
		adv(p);
	start = cur(p)->off;
	s = primary(p);
	while (!p->bad) {
		const struct tk *t = cur(p);

		if (t->tc == TC_OP && (t->f & TF_CAST)) {
			adv(p);
			if (cur(p)->tc != TC_ID && cur(p)->tc != TC_KW)
				return fail(p);
			adv(p);
			if (cur(p)->tc == TC_LP)
				paren(p);
			while (cur(p)->tc == TC_LB && peek(p, 1)->tc == TC_RB) {
				adv(p);
				adv(p);
			}
		} else if (is_kw(t, K_collate)) {
			adv(p);
			if (cur(p)->tc != TC_ID && cur(p)->tc != TC_STR)
				return fail(p);
			adv(p);
		} else {
			break;
		}
	}
	p->last_off = start;
	p->last_len = p->end > start ? p->end - start : 0;
	return p->bad ? 0 : s;
}

/* The operators after a left operand whose summary is @left. With @logic,
 * AND/OR/XOR continue the expression; without, they end it (a clause). */
static unsigned expr_rest(struct ps *p, bool logic, unsigned left)
{
	unsigned s = left;
	uint32_t loff = p->last_off, llen = p->last_len;

	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	while (!p->bad) {
		const struct tk *t = cur(p);
		unsigned r, kw = (t->tc == TC_KW || t->tc == TC_ID) ? t->kw : K_NONE;
		bool cmp = false;

		if (t->tc == TC_KW && kw == K_not) {
			const struct tk *n = peek(p, 1);

			if (!is_kw(n, K_like) && !is_kw(n, K_ilike) && !is_kw(n, K_rlike) &&
			    !is_kw(n, K_regexp) && !is_kw(n, K_in) && !is_kw(n, K_between) &&
			    !is_kw(n, K_similar) && !is_kw(n, K_glob))
				break;
			adv(p);
			t = cur(p);
			kw = t->kw;
		}
		if (t->tc == TC_CMP) {
			adv(p);
			cmp = true;
		} else if (t->tc == TC_OP || t->tc == TC_STAR) {
			if (t->f & TF_ASSIGN)
				break;
			adv(p);
			r = dpi_sqli_operand(p);
			s |= r | S_OP;
			left |= r;
			llen = 0;
			continue;
		} else if (t->tc == TC_LOGIC || (t->tc == TC_KW && (kw == K_and || kw == K_or ||
								    kw == K_xor))) {
			if (!logic)
				break;
			adv(p);
			r = dpi_sqli_operand(p);
			s |= r;
			left = r;
			loff = p->last_off;
			llen = p->last_len;
			continue;
		} else if (t->tc == TC_KW && (kw == K_div || kw == K_mod)) {
			adv(p);
			r = dpi_sqli_operand(p);
			s |= r | S_OP;
			left |= r;
			llen = 0;
			continue;
		} else if (t->tc == TC_KW && kw == K_is) {
			adv(p);
			if (is_kw(cur(p), K_not))
				adv(p);
			if (is_kw(cur(p), K_null) || is_kw(cur(p), K_true) ||
			    is_kw(cur(p), K_false) || is_kw(cur(p), K_unknown)) {
				adv(p);
				s |= S_CMP | (lit_only(left) ? S_LITCMP : 0);
				continue;
			}
			if (!is_kw(cur(p), K_distinct) || !is_kw(peek(p, 1), K_from))
				return fail(p);
			adv(p);
			adv(p);
			cmp = true;
		} else if (t->tc == TC_KW && (kw == K_like || kw == K_ilike || kw == K_rlike ||
					      kw == K_regexp || kw == K_glob)) {
			adv(p);
			cmp = true;
		} else if (t->tc == TC_KW && (kw == K_sounds || kw == K_similar)) {
			adv(p);
			if (!is_kw(cur(p), kw == K_sounds ? K_like : K_to))
				return fail(p);
			adv(p);
			cmp = true;
		} else if (t->tc == TC_KW && kw == K_in) {
			adv(p);
			if (cur(p)->tc != TC_LP)
				return fail(p);
			r = paren(p);
			s |= r | S_CMP | ((lit_only(left) && lit_only(r)) ? S_LITCMP : 0);
			continue;
		} else if (t->tc == TC_KW && kw == K_between) {
			unsigned r2;

			adv(p);
			r = dpi_sqli_operand(p);
			if (p->bad || !is_kw(cur(p), K_and))
				return fail(p);
			adv(p);
			r2 = dpi_sqli_operand(p);
			s |= r | r2 | S_CMP |
			     ((lit_only(left) && lit_only(r) && lit_only(r2)) ? S_LITCMP : 0);
			continue;
		} else {
			break;
		}
		if (cmp) {
			r = dpi_sqli_operand(p);
			if (p->bad)
				break;
			s |= r | S_CMP;
			if ((lit_only(left) && lit_only(r)) ||
			    (llen && same_text(p, loff, llen, p->last_off, p->last_len)))
				s |= S_LITCMP;
			if (is_kw(cur(p), K_escape)) {
				adv(p);
				dpi_sqli_operand(p);
			}
			left = r;
			loff = p->last_off;
			llen = p->last_len;
		}
	}
	p->depth--;
	return p->bad ? 0 : s;
}

static unsigned expr(struct ps *p, bool logic)
{
	unsigned s = dpi_sqli_operand(p);

	if (p->bad)
		return 0;
	return expr_rest(p, logic, s);
}

/* [AS] alias after a select item or a table. */
static void alias(struct ps *p)
{
	if (is_kw(cur(p), K_as)) {
		adv(p);
		if (cur(p)->tc != TC_ID && cur(p)->tc != TC_STR)
			fail(p);
		else
			adv(p);
	} else if (cur(p)->tc == TC_ID && cur(p)->kw != K_separator) {
		adv(p);
	}
}

static void from_list(struct ps *p);

static void from_item(struct ps *p)
{
	const struct tk *t = cur(p);
	unsigned kf, args;

	if (t->tc == TC_LP) {
		adv(p);
		if (++p->depth > DPI_SQLI_MAX_DEPTH) {
			fail(p);
			return;
		}
		if (is_kw(cur(p), K_select)) {
			adv(p);
			select_chain(p);
		} else {
			from_list(p);
		}
		p->depth--;
		if (p->bad)
			return;
		if (cur(p)->tc == TC_RP)
			adv(p);
		else if (!at_stop(cur(p)))
			fail(p);
	} else if (t->tc == TC_ID || t->tc == TC_LB ||
		   (t->tc == TC_KW && (dpi_sqli_kw_flags(t->kw) & KF_CALL) && peek(p, 1)->tc == TC_DOT)) {
		/* mysql.user, information_schema.tables, dbo.[t] */
		if (t->tc == TC_KW) {
			adv(p);
			adv(p);
		}
		kf = qname(p);
		if (!p->bad && cur(p)->tc == TC_LP) { /* table function: pg_sleep(5) */
			call_args(p, &args);
			note_call(p, kf);
		}
	} else {
		fail(p);
		return;
	}
	if (p->bad)
		return;
	alias(p);
	if (is_kw(cur(p), K_with) && peek(p, 1)->tc == TC_LP) { /* WITH (NOLOCK) */
		adv(p);
		paren(p);
	}
}

static void from_list(struct ps *p)
{
	while (!p->bad) {
		const struct tk *t;

		from_item(p);
		t = cur(p);
		if (t->tc == TC_COMMA) {
			adv(p);
			continue;
		}
		if (is_kw(t, K_natural) || is_kw(t, K_inner) || is_kw(t, K_left) ||
		    is_kw(t, K_right) || is_kw(t, K_full) || is_kw(t, K_cross) ||
		    is_kw(t, K_join) || is_kw(t, K_straight_join)) {
			while (!is_kw(cur(p), K_join) && !is_kw(cur(p), K_straight_join) &&
			       cur(p)->tc == TC_KW)
				adv(p);
			if (!is_kw(cur(p), K_join) && !is_kw(cur(p), K_straight_join)) {
				fail(p);
				return;
			}
			adv(p);
			from_item(p);
			if (is_kw(cur(p), K_on)) {
				adv(p);
				expr(p, true);
			} else if (is_kw(cur(p), K_using) && peek(p, 1)->tc == TC_LP) {
				adv(p);
				paren(p);
			}
			if (cur(p)->tc == TC_COMMA) {
				adv(p);
				continue;
			}
			if (is_kw(cur(p), K_natural) || is_kw(cur(p), K_inner) ||
			    is_kw(cur(p), K_left) || is_kw(cur(p), K_right) || is_kw(cur(p), K_full) ||
			    is_kw(cur(p), K_cross) || is_kw(cur(p), K_join))
				continue;
		}
		break;
	}
}

/* ORDER BY / GROUP BY list: 1 if every item is a number (a column probe). */
static bool by_list(struct ps *p)
{
	bool all_num = true;

	while (!p->bad) {
		const struct tk *t = cur(p);
		unsigned before = p->i;

		if (t->tc == TC_NUM && (peek(p, 1)->tc == TC_COMMA || at_stop(peek(p, 1)) ||
					peek(p, 1)->tc == TC_RP || peek(p, 1)->tc == TC_SEMI ||
					is_kw(peek(p, 1), K_asc) || is_kw(peek(p, 1), K_desc))) {
			adv(p);
		} else {
			expr(p, true);
			all_num = false;
		}
		if (p->i == before)
			fail(p);
		if (is_kw(cur(p), K_asc) || is_kw(cur(p), K_desc))
			adv(p);
		if (cur(p)->tc != TC_COMMA)
			break;
		adv(p);
	}
	if (!p->bad && is_kw(cur(p), K_with) && peek(p, 1)->tc == TC_ID) { /* WITH ROLLUP */
		adv(p);
		adv(p);
	}
	return all_num && !p->bad;
}

/*
 * One clause that may follow a WHERE condition or a select list. Returns
 * the evidence score of seeing it appended to a value (0 when the current
 * token starts none; nothing consumed then).
 */
static unsigned clause(struct ps *p, bool in_select)
{
	const struct tk *t = cur(p);
	unsigned s, args;

	if (t->tc != TC_KW)
		return 0;
	switch (t->kw) {
	case K_where:
		if (!in_select)
			return 0;
		adv(p);
		expr(p, true);
		return 40;
	case K_order:
	case K_group:
		if (!is_kw(peek(p, 1), K_by))
			return 0;
		adv(p);
		adv(p);
		return by_list(p) ? 75 : 45;
	case K_having:
		adv(p);
		s = expr(p, true);
		return (s & S_CMP) ? 75 : 45;
	case K_limit:
		adv(p);
		if (is_kw(cur(p), K_all))
			adv(p);
		else
			dpi_sqli_operand(p);
		if (cur(p)->tc == TC_COMMA || is_kw(cur(p), K_offset)) {
			adv(p);
			dpi_sqli_operand(p);
		}
		return 60;
	case K_offset:
		adv(p);
		dpi_sqli_operand(p);
		if (cur(p)->tc == TC_ID)
			adv(p); /* ROWS */
		return 45;
	case K_fetch:
		adv(p);
		while (cur(p)->tc == TC_ID || cur(p)->tc == TC_NUM)
			adv(p);
		return 45;
	case K_procedure:
		adv(p);
		qname(p);
		if (!p->bad && cur(p)->tc == TC_LP)
			call_args(p, &args);
		return 75;
	case K_into:
		adv(p);
		if (is_kw(cur(p), K_outfile) || is_kw(cur(p), K_dumpfile)) {
			adv(p);
			if (cur(p)->tc != TC_STR) {
				fail(p);
				return 0;
			}
			adv(p);
			/* FIELDS/LINES TERMINATED BY '...' and the like */
			while (!p->bad && (cur(p)->tc == TC_ID || cur(p)->tc == TC_KW ||
					   cur(p)->tc == TC_STR) &&
			       !is_kw(cur(p), K_union) && !is_kw(cur(p), K_from))
				adv(p);
			found(p, DPI_SQLI_OOB, 95);
			return 95;
		}
		if (in_select && (cur(p)->tc == TC_ID || cur(p)->tc == TC_LB)) {
			qname(p); /* MSSQL SELECT ... INTO newtable */
			return 50;
		}
		if (cur(p)->tc != TC_VAR) {
			fail(p);
			return 0;
		}
		while (cur(p)->tc == TC_VAR) {
			adv(p);
			if (cur(p)->tc != TC_COMMA)
				break;
			adv(p);
		}
		return 50;
	case K_for:
		if (!in_select)
			return 0;
		adv(p);
		while (cur(p)->tc == TC_ID || is_kw(cur(p), K_update)) {
			adv(p);
			if (cur(p)->tc == TC_LP)
				paren(p);
			if (cur(p)->tc == TC_COMMA)
				adv(p);
		}
		return 30;
	default:
		return 0;
	}
}

/* After SELECT: the select list, FROM, and the clauses. */
static unsigned select_body(struct ps *p)
{
	unsigned s = 0, items = 0;
	bool strong = false;

	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	for (;;) {
		const struct tk *t = cur(p);

		if (is_kw(t, K_all) || is_kw(t, K_distinct) || is_kw(t, K_distinctrow) ||
		    is_kw(t, K_straight_join) ||
		    (t->tc == TC_ID && t->len > 4 && !strncasecmp((const char *)p->text + t->off, "sql_", 4))) {
			adv(p);
		} else if (is_kw(t, K_top)) {
			adv(p);
			dpi_sqli_operand(p);
			strong = true;
		} else {
			break;
		}
	}
	while (!p->bad) {
		const struct tk *t = cur(p);

		if (t->tc == TC_STAR) {
			adv(p);
			strong = true;
		} else if (t->tc == TC_ID && peek(p, 1)->tc == TC_DOT && peek(p, 2)->tc == TC_STAR) {
			adv(p);
			adv(p);
			adv(p);
			strong = true;
		} else {
			/* the query's closing quote as the only item proves nothing:
			 * ... "union select" in a search box */
			bool open_str = t->tc == TC_STR && (t->f & TF_OPEN);
			unsigned f = expr(p, true);

			if (p->bad)
				break;
			s |= f;
			if (f != S_ID && !open_str)
				strong = true;
			alias(p);
		}
		items++;
		if (cur(p)->tc != TC_COMMA)
			break;
		adv(p);
	}
	if (items >= 2)
		strong = true;
	while (!p->bad) {
		unsigned c;

		if (is_kw(cur(p), K_from)) {
			adv(p);
			from_list(p);
			strong = true;
			continue;
		}
		c = clause(p, true);
		if (!c)
			break;
		strong = true;
	}
	p->depth--;
	if (p->bad)
		return 0;
	return s | S_SUBQ | (strong ? S_STRONG : 0);
}

/* A select body and the UNION / INTERSECT / EXCEPT arms after it, as in
 * a subquery. */
static unsigned select_chain(struct ps *p)
{
	unsigned s = select_body(p);

	while (!p->bad && (is_kw(cur(p), K_union) || is_kw(cur(p), K_intersect) ||
			   is_kw(cur(p), K_except))) {
		adv(p);
		if (is_kw(cur(p), K_all) || is_kw(cur(p), K_distinct))
			adv(p);
		if (cur(p)->tc == TC_LP && is_kw(peek(p, 1), K_select)) {
			s |= paren(p) | S_STRONG;
			continue;
		}
		if (!is_kw(cur(p), K_select))
			return fail(p);
		adv(p);
		s |= select_body(p) | S_STRONG;
	}
	return p->bad ? 0 : s;
}

/* Skip a statement we don't model to its end (';', a comment, the end),
 * still noticing dangerous calls in it. Fails on stray bytes. */
static void skip_stmt(struct ps *p)
{
	unsigned depth = 0;

	while (!p->bad) {
		const struct tk *t = cur(p);

		if (at_stop(t) || (t->tc == TC_SEMI && depth == 0))
			return;
		if (t->tc == TC_BAD || (t->tc == TC_RP && depth == 0))
			return (void)fail(p);
		if (t->tc == TC_ID && peek(p, 1)->tc == TC_LP &&
		    (dpi_sqli_kw_flags(t->kw) & (KF_TIME | KF_ERR | KF_OOB))) {
			unsigned args;

			adv(p);
			call_args(p, &args);
			note_call(p, dpi_sqli_kw_flags(t->kw));
			continue;
		}
		if (is_kw(t, K_program) || is_kw(t, K_infile) || is_kw(t, K_outfile))
			found(p, DPI_SQLI_OOB, 95);
		if (t->tc == TC_LP && ++depth > DPI_SQLI_MAX_DEPTH)
			return (void)fail(p);
		if (t->tc == TC_RP)
			depth--;
		adv(p);
	}
}

static void assignments(struct ps *p)
{
	while (!p->bad) {
		if (cur(p)->tc == TC_VAR)
			adv(p);
		else
			qname(p);
		if (p->bad)
			return;
		if (cur(p)->tc != TC_CMP && !(cur(p)->f & TF_ASSIGN))
			return (void)fail(p);
		adv(p);
		expr(p, true);
		if (cur(p)->tc != TC_COMMA)
			return;
		adv(p);
	}
}

/* A statement after ';' (or, MSSQL, right after an expression: @penalty). */
static void stmt(struct ps *p, unsigned penalty)
{
	const struct tk *t = cur(p);
	unsigned kw = (t->tc == TC_KW || t->tc == TC_ID) ? t->kw : K_NONE;
	unsigned score = 0, s, kf;

	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return (void)fail(p);
	switch (kw) {
	case K_select:
		adv(p);
		s = select_body(p);
		score = (s & S_STRONG) ? 90 : 55;
		break;
	case K_insert:
	case K_replace:
		adv(p);
		if (is_kw(cur(p), K_into))
			adv(p);
		qname(p);
		if (!p->bad && cur(p)->tc == TC_LP && !is_kw(peek(p, 1), K_select))
			paren(p);
		if (p->bad)
			break;
		if (is_kw(cur(p), K_values) || (cur(p)->tc == TC_ID && cur(p)->len == 5 &&
						 !strncasecmp((const char *)p->text + cur(p)->off, "value", 5))) {
			adv(p);
			do {
				if (cur(p)->tc == TC_COMMA)
					adv(p);
				if (cur(p)->tc != TC_LP) {
					fail(p);
					break;
				}
				paren(p);
			} while (!p->bad && cur(p)->tc == TC_COMMA);
		} else if (is_kw(cur(p), K_select)) {
			adv(p);
			select_body(p);
		} else if (is_kw(cur(p), K_set)) {
			adv(p);
			assignments(p);
		} else {
			fail(p);
		}
		score = 90;
		break;
	case K_update:
		adv(p);
		qname(p);
		if (!p->bad && cur(p)->tc == TC_ID)
			adv(p);
		if (p->bad || !is_kw(cur(p), K_set)) {
			fail(p);
			break;
		}
		adv(p);
		assignments(p);
		if (!p->bad && is_kw(cur(p), K_where)) {
			adv(p);
			expr(p, true);
		}
		score = 90;
		break;
	case K_delete:
		adv(p);
		if (!is_kw(cur(p), K_from)) {
			fail(p);
			break;
		}
		adv(p);
		qname(p);
		if (!p->bad && is_kw(cur(p), K_where)) {
			adv(p);
			expr(p, true);
		}
		score = 90;
		break;
	case K_drop:
	case K_create:
	case K_alter:
		adv(p);
		if (kw == K_create && is_kw(cur(p), K_or)) { /* OR REPLACE */
			adv(p);
			adv(p);
		}
		if (!(dpi_sqli_kw_flags(cur(p)->kw) & KF_OBJ) ||
		    (cur(p)->tc != TC_KW && cur(p)->tc != TC_ID)) {
			fail(p);
			break;
		}
		adv(p);
		if (is_kw(cur(p), K_if)) { /* IF [NOT] EXISTS */
			while (is_kw(cur(p), K_if) || is_kw(cur(p), K_not) || is_kw(cur(p), K_exists))
				adv(p);
		}
		if (cur(p)->tc != TC_ID && cur(p)->tc != TC_LB) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = 90;
		break;
	case K_truncate:
	case K_rename:
		adv(p);
		if (is_kw(cur(p), K_table))
			adv(p);
		qname(p);
		skip_stmt(p);
		score = 90;
		break;
	case K_grant:
	case K_revoke:
		adv(p);
		if (at_stop(cur(p))) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = 85;
		break;
	case K_exec:
	case K_execute:
		adv(p);
		if (cur(p)->tc == TC_LP) { /* EXEC('dynamic sql') */
			paren(p);
			score = 85;
			break;
		}
		if (cur(p)->tc == TC_VAR) /* EXEC @rc = proc */
			assignments(p);
		t = cur(p);
		kf = qname(p);
		if (p->bad)
			break;
		if (kf & KF_OOB)
			found(p, DPI_SQLI_OOB, 95);
		skip_stmt(p);
		/* a system procedure (sp_, xp_) is what an attacker runs */
		score = (t->tc == TC_ID && t->len > 3 && p->text[t->off + 2] == '_' &&
			 ((p->text[t->off] | 0x20) == 's' || (p->text[t->off] | 0x20) == 'x') &&
			 (p->text[t->off + 1] | 0x20) == 'p') ? 90 : 60;
		break;
	case K_declare:
		adv(p);
		if (cur(p)->tc != TC_VAR) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = 85;
		break;
	case K_set:
		adv(p);
		assignments(p);
		score = 70;
		break;
	case K_shutdown:
		adv(p);
		if (is_kw(cur(p), K_with)) {
			adv(p);
			if (cur(p)->tc == TC_ID)
				adv(p);
		}
		if (!at_stop(cur(p)) && cur(p)->tc != TC_SEMI)
			fail(p);
		score = 85;
		break;
	case K_waitfor:
		adv(p);
		if (!is_kw(cur(p), K_delay) && cur(p)->tc != TC_ID) { /* DELAY, TIME */
			fail(p);
			break;
		}
		adv(p);
		dpi_sqli_operand(p); /* '0:0:5', @d */
		if (!p->bad)
			found(p, DPI_SQLI_TIME, 95);
		break;
	case K_if:
		adv(p);
		expr(p, true);
		if (p->bad || at_stop(cur(p)))
			break;
		stmt(p, 0);
		if (!p->bad && is_kw(cur(p), K_else)) {
			adv(p);
			stmt(p, 0);
		}
		score = 60;
		break;
	case K_desc:
	case K_describe:
	case K_explain:
	case K_do: /* MySQL DO expr, ...: DO SLEEP(5) */
		adv(p);
		do {
			if (cur(p)->tc == TC_COMMA)
				adv(p);
			expr(p, true);
		} while (!p->bad && cur(p)->tc == TC_COMMA);
		score = 60;
		break;
	case K_begin:
	case K_call:
	case K_copy:
	case K_load:
	case K_use:
	case K_show:
		adv(p);
		if (at_stop(cur(p))) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = (kw == K_begin || kw == K_use) ? 50 : 70;
		break;
	default:
		fail(p);
		break;
	}
	p->depth--;
	if (!p->bad && score > penalty)
		found(p, DPI_SQLI_STACKED, score - penalty);
}

/* OR/AND followed by the operand summary @r. */
static void logic_evidence(struct ps *p, bool is_or, unsigned r)
{
	unsigned fam = is_or ? DPI_SQLI_TAUTOLOGY : DPI_SQLI_BOOLEAN_BLIND;

	p->lit_logic = false;
	if (r & S_LITCMP)
		found(p, fam, is_or ? 90 : 85);
	else if ((r & S_CMP) && (r & (S_FUNC | S_SUBQ | S_INFO)))
		found(p, DPI_SQLI_BOOLEAN_BLIND, 88); /* above the subquery it holds */
	else if (r & S_SUBQ)
		found(p, DPI_SQLI_BOOLEAN_BLIND, (r & S_STRONG) ? 85 : 60);
	else if (r & S_CMP) /* OR name='x': after a quote; as-is it is often code */
		found(p, fam, p->quoted ? 70 : 45);
	else if (r & S_BOOL) /* OR TRUE; after a bare number it may be English */
		found(p, fam, p->quoted ? 60 : 45);
	else if (lit_only(r)) /* ' OR ''-' (but ' OR 'x' is also code: print " or ") */
		p->lit_logic = true, found(p, fam, p->quoted && (r & S_OP) ? 55 : 40);
}

/*
 * What follows the value's first operand (as-is) or the string break:
 * closing parentheses, boolean clauses, operators, UNION, clauses, stacked
 * statements, until the end or a comment. @first: summary of the operand
 * the fragment continues.
 */
void dpi_sqli_tail(struct ps *p, unsigned first, bool quoted)
{
	bool only_closers = true;

	while (!p->bad) {
		const struct tk *t = cur(p);
		unsigned kw = (t->tc == TC_KW || t->tc == TC_ID) ? t->kw : K_NONE, c;

		if (t->tc == TC_EOF)
			break;
		if (t->tc == TC_END) {
			adv(p);
			/* '#' and '--' in quotes are text about comments, not one */
			if (p->quote && memchr(p->text + t->off, p->quote, t->len))
				break;
			/* admin'-- cuts the query; say "#!/bin/sh" quotes a text */
			if (quoted && only_closers && !p->open_quote)
				found(p, DPI_SQLI_COMMENT, 80);
			else if (p->lit_logic)
				found(p, p->fam, 65);
			else if (p->score >= 40 && p->score < 100 && (quoted || p->strong_start))
				found(p, p->fam, p->score + 20 > 95 ? 95 : p->score + 20);
			p->ev_end = p->end;
			break;
		}
		if (t->tc == TC_RP) {
			adv(p);
			continue;
		}
		if (t->tc == TC_COMMA) {
			/* the value is one of a list: VALUES ('x', 'VALUE'), IN (...) */
			adv(p);
			only_closers = false;
			first = expr(p, true);
			continue;
		}
		if (t->tc == TC_SEMI) {
			adv(p);
			if (!at_stop(cur(p)) && cur(p)->tc != TC_SEMI) {
				only_closers = false;
				stmt(p, 0);
			}
			continue;
		}
		only_closers = false;
		if (t->tc == TC_LOGIC || (t->tc == TC_KW && (kw == K_and || kw == K_or || kw == K_xor))) {
			bool is_or = kw == K_or || kw == K_xor ||
				     (t->tc == TC_LOGIC && p->text[t->off] == '|');
			unsigned r;

			adv(p);
			r = expr(p, false);
			if (!p->bad)
				logic_evidence(p, is_or, r);
			first = r;
			continue;
		}
		if (t->tc == TC_CMP || t->tc == TC_OP || t->tc == TC_STAR ||
		    (t->tc == TC_KW && (kw == K_like || kw == K_ilike || kw == K_rlike ||
					kw == K_regexp || kw == K_in || kw == K_is ||
					kw == K_between || kw == K_not || kw == K_div ||
					kw == K_mod || kw == K_sounds || kw == K_similar ||
					kw == K_glob || kw == K_collate))) {
			unsigned before = p->i, r;

			if (kw == K_collate) {
				adv(p);
				if (cur(p)->tc == TC_ID)
					adv(p);
				continue;
			}
			r = expr_rest(p, false, first);
			if (p->i == before)
				fail(p);
			if (!p->bad && (r & S_LITCMP))
				found(p, DPI_SQLI_TAUTOLOGY, 45);
			first = r;
			continue;
		}
		if (kw == K_union || kw == K_intersect || kw == K_except) {
			unsigned open = 0, s;

			adv(p);
			if (is_kw(cur(p), K_all) || is_kw(cur(p), K_distinct))
				adv(p);
			while (cur(p)->tc == TC_LP) {
				adv(p);
				open++;
			}
			if (!is_kw(cur(p), K_select) || open > DPI_SQLI_MAX_DEPTH) {
				fail(p);
				break;
			}
			adv(p);
			s = select_body(p);
			while (!p->bad && open && cur(p)->tc == TC_RP) {
				adv(p);
				open--;
			}
			if (!p->bad) /* UNION SELECT name: a comment or more must confirm it */
				found(p, DPI_SQLI_UNION, (s & S_STRONG) ? 95 : 45);
			continue;
		}
		c = clause(p, false);
		if (c) {
			if (!p->bad)
				found(p, DPI_SQLI_CLAUSE, c);
			continue;
		}
		if (p->bad)
			break;
		if ((dpi_sqli_kw_flags(kw) & KF_VERB) && !p->mysql && kw != K_select) {
			/* MSSQL runs "1 WAITFOR DELAY ..." and "x' EXEC ..." without ';' */
			stmt(p, kw == K_waitfor ? 0 : 25);
			continue;
		}
		fail(p);
	}
}
