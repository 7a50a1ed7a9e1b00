/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_rules_net.c - compiles a rule's address and port expressions.
 *
 * An expression (any, $VAR, CIDR, port range, [list], !negation, nested) is
 * evaluated as a set, then flattened: addresses to sorted disjoint CIDRs,
 * ports to sorted disjoint ranges. A list is the union of its positive
 * elements (every address when it has none, so [!1.2.3.4] is "all but
 * 1.2.3.4", as in Suricata) minus the union of its negated elements.
 * Evaluating to the empty set ("!any", "[1.2.3.4,!1.2.3.4]") is an error,
 * as in Suricata. Address sets are interval lists over 128-bit numbers (IPv4
 * mapped into ::ffff:0:0/96); port sets are 65536-bit bitmaps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_rules_priv.h"

typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)
#define MAX_INTERVALS 8192

/* Defaults, looked up after the caller's table. HTTP_PORTS is "any", not
 * Suricata's "80": bulkhead finds HTTP by content on any port. */
static const struct dpi_rule_var default_vars[] = {
	{"HOME_NET", "any"},
	{"EXTERNAL_NET", "any"},
	{"HTTP_SERVERS", "$HOME_NET"},
	{"SMTP_SERVERS", "$HOME_NET"},
	{"SQL_SERVERS", "$HOME_NET"},
	{"DNS_SERVERS", "$HOME_NET"},
	{"TELNET_SERVERS", "$HOME_NET"},
	{"AIM_SERVERS", "$EXTERNAL_NET"},
	{"DC_SERVERS", "$HOME_NET"},
	{"DNP3_SERVER", "$HOME_NET"},
	{"DNP3_CLIENT", "$HOME_NET"},
	{"MODBUS_CLIENT", "$HOME_NET"},
	{"MODBUS_SERVER", "$HOME_NET"},
	{"ENIP_CLIENT", "$HOME_NET"},
	{"ENIP_SERVER", "$HOME_NET"},
	{"HTTP_PORTS", "any"},
	{"SHELLCODE_PORTS", "!80"},
	{"ORACLE_PORTS", "1521"},
	{"SSH_PORTS", "22"},
	{"DNP3_PORTS", "20000"},
	{"MODBUS_PORTS", "502"},
	{"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
	{"FTP_PORTS", "21"},
	{"GENEVE_PORTS", "6081"},
	{"VXLAN_PORTS", "4789"},
	{"TEREDO_PORTS", "3544"},
	{NULL, NULL},
};

/* One evaluation: the rule and the token being compiled, so that errors
 * inside a variable's value point at the token that named it. */
struct eval {
	struct dpi_rules_ctx *c;
	const char *tok;             /* the expression's start in the rule text */
	const char *var;             /* outermost variable being expanded, or NULL */
	size_t var_len;
	int err;                     /* first error, -EINVAL or -ENOMEM */
	unsigned steps;              /* elements evaluated: a variable may
				      * expand to many copies of others */
};

static const char *err_pos(const struct eval *e, const char *p)
{
	const struct dpi_rules_ctx *c = e->c;

	if (!e->var && p >= c->text && p <= c->text + c->len)
		return p;
	return e->tok;
}

/* "bad address 'x'" plus " (in $VAR)" when the text came from a variable. */
static void eval_error(struct eval *e, const char *p, const char *what, const char *s,
		       const char *send)
{
	int n = (int)(send - s > QUOTE_MAX ? QUOTE_MAX : send - s);

	if (e->var)
		dpi_rules_error(e->c, err_pos(e, p), "%s '%.*s' (in $%.*s)", what, n, s,
				(int)e->var_len, e->var);
	else
		dpi_rules_error(e->c, err_pos(e, p), "%s '%.*s'", what, n, s);
	if (!e->err)
		e->err = -EINVAL;
}

static int count_step(struct eval *e, const char *p, const char *end)
{
	if (++e->steps <= DPI_RULES_MAX_EXPR_STEPS)
		return 0;
	if (e->steps == DPI_RULES_MAX_EXPR_STEPS + 1)
		eval_error(e, p, "expression expands to too many elements at", p, end);
	return -EINVAL;
}

static bool is_var_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_';
}

static const char *lookup_var(const struct dpi_rule_var *vars, const char *name, size_t n)
{
	if (vars)
		for (const struct dpi_rule_var *v = vars; v->name; v++)
			if (strlen(v->name) == n && !memcmp(v->name, name, n))
				return v->value ? v->value : "";
	for (const struct dpi_rule_var *v = default_vars; v->name; v++)
		if (strlen(v->name) == n && !memcmp(v->name, name, n))
			return v->value;
	return NULL;
}

/* Splits the list [@p, @end) (brackets included) at its top-level commas,
 * calling @fn on each trimmed element. Returns 0 or the first error. */
typedef int (*elem_fn)(struct eval *e, const char *p, const char *end, unsigned depth, void *arg);

static int for_each_elem(struct eval *e, const char *p, const char *end, unsigned depth, elem_fn fn,
			 void *arg)
{
	const char *s, *q;
	int nest = 0, r;

	if (end - p < 2 || end[-1] != ']') {
		eval_error(e, p, "unterminated list", p, end);
		return -EINVAL;
	}
	s = p + 1;
	for (q = p + 1; q < end - 1; q++) {
		if (*q == '[')
			nest++;
		else if (*q == ']' && --nest < 0)
			break;
		else if (*q == ',' && nest == 0) {
			const char *a = s, *b = q;

			trim(&a, &b);
			if (a == b) {
				eval_error(e, q, "empty element in list", p, end);
				return -EINVAL;
			}
			r = fn(e, a, b, depth, arg);
			if (r < 0)
				return r;
			s = q + 1;
		}
	}
	if (nest != 0) {
		eval_error(e, p, "unbalanced brackets in", p, end);
		return -EINVAL;
	}
	{
		const char *a = s, *b = end - 1;

		trim(&a, &b);
		if (a == b) {
			eval_error(e, end - 1, a == p + 1 ? "empty list" : "empty element in list", p,
				   end);
			return -EINVAL;
		}
		return fn(e, a, b, depth, arg);
	}
}

/* Resolves $NAME at [@p, @end) for @fn; @p points at the '$'. */
typedef int (*expr_fn)(struct eval *e, const char *p, const char *end, unsigned depth, void *out);

static int eval_var(struct eval *e, const char *p, const char *end, unsigned depth, expr_fn fn,
		    void *out)
{
	const char *name = p + 1, *val;
	size_t n = (size_t)(end - name);
	int r;

	for (const char *q = name; q < end; q++)
		if (!is_var_char(*q)) {
			eval_error(e, p, "bad variable name", p, end);
			return -EINVAL;
		}
	if (n == 0) {
		eval_error(e, p, "bad variable name", p, end);
		return -EINVAL;
	}
	if (depth >= DPI_RULES_MAX_VAR_DEPTH) {
		eval_error(e, p, "variables nest too deep (a loop?) at", p, end);
		return -EINVAL;
	}
	val = lookup_var(e->c->vars, name, n);
	if (!val) {
		eval_error(e, p, "unknown variable", p, end);
		return -EINVAL;
	}
	if (!e->var) {
		e->var = name;
		e->var_len = n;
		r = fn(e, val, val + strlen(val), depth + 1, out);
		e->var = NULL;
		return r;
	}
	return fn(e, val, val + strlen(val), depth + 1, out);
}

/* ---- addresses ---- */

struct ivset {
	struct iv {
		u128 lo, hi;
	} *v;
	size_t n, cap;
};

static void iv_free(struct ivset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int iv_add(struct eval *e, struct ivset *s, u128 lo, u128 hi)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct iv *v;

		if (s->n >= MAX_INTERVALS) {
			dpi_rules_error(e->c, e->tok, "address set too large (more than %d ranges)",
					MAX_INTERVALS);
			e->err = e->err ? e->err : -EINVAL;
			return -EINVAL;
		}
		v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			e->c->oom = true;
			e->err = -ENOMEM;
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].lo = lo;
	s->v[s->n].hi = hi;
	s->n++;
	return 0;
}

static int iv_cmp(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges overlapping or adjacent intervals. */
static void iv_normalize(struct ivset *s)
{
	size_t w = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), iv_cmp);
	for (size_t i = 1; i < s->n; i++) {
		struct iv *last = &s->v[w];

		if (last->hi == U128_MAX || s->v[i].lo <= last->hi + 1) {
			if (s->v[i].hi > last->hi)
				last->hi = s->v[i].hi;
		} else {
			s->v[++w] = s->v[i];
		}
	}
	s->n = w + 1;
}

/* @s := its complement (@s normalized). */
static int iv_complement(struct eval *e, struct ivset *s)
{
	struct ivset out = {0};
	u128 next = 0;
	bool done = false;
	int r = 0;

	for (size_t i = 0; i < s->n && !done; i++) {
		if (s->v[i].lo > next)
			r = iv_add(e, &out, next, s->v[i].lo - 1);
		if (r < 0)
			break;
		if (s->v[i].hi == U128_MAX)
			done = true;
		else
			next = s->v[i].hi + 1;
	}
	if (r == 0 && !done)
		r = iv_add(e, &out, next, U128_MAX);
	if (r < 0) {
		iv_free(&out);
		return r;
	}
	iv_free(s);
	*s = out;
	return 0;
}

/* @a := @a minus @b (both normalized). */
static int iv_subtract(struct eval *e, struct ivset *a, struct ivset *b)
{
	struct ivset out = {0};
	size_t j = 0;
	int r;

	r = iv_complement(e, b);
	if (r < 0)
		return r;
	/* Intersect @a with the complement, two cursors over sorted lists. */
	for (size_t i = 0; i < a->n; i++) {
		while (j < b->n && b->v[j].hi < a->v[i].lo)
			j++;
		for (size_t k = j; k < b->n && b->v[k].lo <= a->v[i].hi; k++) {
			u128 lo = a->v[i].lo > b->v[k].lo ? a->v[i].lo : b->v[k].lo;
			u128 hi = a->v[i].hi < b->v[k].hi ? a->v[i].hi : b->v[k].hi;

			r = iv_add(e, &out, lo, hi);
			if (r < 0) {
				iv_free(&out);
				return r;
			}
		}
	}
	iv_free(a);
	*a = out;
	return 0;
}

/* Appends @b to @a; the caller normalizes @a once it has all parts. */
static int iv_append(struct eval *e, struct ivset *a, const struct ivset *b)
{
	for (size_t i = 0; i < b->n; i++) {
		int r = iv_add(e, a, b->v[i].lo, b->v[i].hi);

		if (r < 0)
			return r;
	}
	return 0;
}

static u128 load_u128(const uint8_t b[16])
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | b[i];
	return v;
}

static void store_u128(u128 v, uint8_t b[16])
{
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static bool parse_uint(const char *p, const char *end, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (p == end || end - p > 10)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return false;
	}
	*ret = v;
	return true;
}

/* One address or CIDR, IPv4 or IPv6. */
static int eval_cidr(struct eval *e, const char *p, const char *end, struct ivset *out)
{
	char buf[64];
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *aend = slash ? slash : end;
	uint8_t a16[16] = {0};
	unsigned prefix, bits;
	u128 v, mask;

	if ((size_t)(aend - p) >= sizeof(buf))
		goto bad;
	memcpy(buf, p, (size_t)(aend - p));
	buf[aend - p] = '\0';
	if (memchr(buf, ':', (size_t)(aend - p))) {
		if (inet_pton(AF_INET6, buf, a16) != 1)
			goto bad;
		bits = 128;
	} else {
		if (inet_pton(AF_INET, buf, a16 + 12) != 1)
			goto bad;
		a16[10] = a16[11] = 0xff;
		bits = 32;
	}
	prefix = bits;
	if (slash && !parse_uint(slash + 1, end, bits, &prefix)) {
		eval_error(e, p, "bad prefix length in", p, end);
		return -EINVAL;
	}
	prefix += 128 - bits;
	v = load_u128(a16);
	/* Host bits set (10.0.0.1/8) are dropped, as Suricata does. */
	mask = prefix == 0 ? 0 : U128_MAX << (128 - prefix);
	return iv_add(e, out, v & mask, (v & mask) | ~mask);
bad:
	eval_error(e, p, (memchr(p, '-', (size_t)(end - p)) ? "address ranges are not supported:"
							      : "bad address"),
		   p, end);
	return -EINVAL;
}

static int eval_addr(struct eval *e, const char *p, const char *end, unsigned depth, void *out);

struct addr_list {
	struct ivset pos, neg;
	bool has_pos;
};

static int addr_elem(struct eval *e, const char *p, const char *end, unsigned depth, void *arg)
{
	struct addr_list *l = arg;
	struct ivset s = {0};
	bool neg = false;
	int r;

	if (*p == '!') {
		neg = true;
		p++;
		while (p < end && is_space(*p))
			p++;
	}
	r = eval_addr(e, p, end, depth + 1, &s);
	if (r == 0)
		r = iv_append(e, neg ? &l->neg : &l->pos, &s);
	if (!neg)
		l->has_pos = true;
	iv_free(&s);
	return r;
}

/* Evaluates [@p, @end) into *@out, an empty set on entry, normalized on
 * success. */
static int eval_addr(struct eval *e, const char *p, const char *end, unsigned depth, void *out)
{
	struct ivset *s = out;
	int r;

	trim(&p, &end);
	if (p == end) {
		if (e->var)
			dpi_rules_error(e->c, err_pos(e, p), "missing address (in $%.*s)",
					(int)e->var_len, e->var);
		else
			dpi_rules_error(e->c, err_pos(e, p), "missing address");
		e->err = e->err ? e->err : -EINVAL;
		return -EINVAL;
	}
	if (count_step(e, p, end) < 0)
		return -EINVAL;
	if (depth > DPI_RULES_MAX_VAR_DEPTH) {
		eval_error(e, p, "address lists nest too deep at", p, end);
		return -EINVAL;
	}
	if (*p == '!') {
		r = eval_addr(e, p + 1, end, depth + 1, s);
		return r < 0 ? r : iv_complement(e, s);
	}
	if (*p == '$')
		return eval_var(e, p, end, depth, eval_addr, s);
	if (*p == '[') {
		struct addr_list l = {0};

		r = for_each_elem(e, p, end, depth, addr_elem, &l);
		if (r == 0 && !l.has_pos)
			r = iv_add(e, &l.pos, 0, U128_MAX);
		iv_normalize(&l.pos);
		iv_normalize(&l.neg);
		if (r == 0)
			r = iv_subtract(e, &l.pos, &l.neg);
		iv_free(&l.neg);
		if (r < 0) {
			iv_free(&l.pos);
			return r;
		}
		*s = l.pos;
		return 0;
	}
	if (end - p == 3 && !memcmp(p, "any", 3))
		return iv_add(e, s, 0, U128_MAX);
	return eval_cidr(e, p, end, s);
}

struct cidrvec {
	struct dpi_rule_cidr *v;
	size_t n, cap;
};

/* Emits [lo, hi] as the fewest CIDRs. */
static int emit_cidrs(struct eval *e, u128 lo, u128 hi, struct cidrvec *out)
{
	for (;;) {
		unsigned k = 0;
		u128 last;

		/* The largest block of 2^k addresses aligned at @lo within @hi. */
		while (k < 128) {
			unsigned nk = k + 1;

			if (nk == 128) {
				if (lo != 0 || hi != U128_MAX)
					break;
			} else {
				u128 mask = (((u128)1) << nk) - 1;

				if ((lo & mask) || (lo | mask) > hi)
					break;
			}
			k = nk;
		}
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			struct dpi_rule_cidr *nv;

			if (out->n >= DPI_RULES_MAX_CIDRS) {
				dpi_rules_error(e->c, e->tok, "address set needs more than %d CIDRs",
						DPI_RULES_MAX_CIDRS);
				return -EINVAL;
			}
			nv = realloc(out->v, cap * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			out->v = nv;
			out->cap = cap;
		}
		store_u128(lo, out->v[out->n].addr);
		out->v[out->n++].prefix = (uint8_t)(128 - k);
		if (k == 128)
			return 0;
		last = lo | ((((u128)1) << k) - 1);
		if (last >= hi)
			return 0;
		lo = last + 1;
	}
}

int dpi_rules_compile_addrs(struct dpi_rules_ctx *c, const char *p, const char *end,
			    struct dpi_rule_addrs *ret)
{
	struct eval e = {.c = c, .tok = p};
	struct ivset s = {0};
	struct cidrvec v = {0};
	int r;

	memset(ret, 0, sizeof(*ret));
	if (end - p == 3 && !memcmp(p, "any", 3)) {
		ret->any = true;
		return 0;
	}
	r = eval_addr(&e, p, end, 0, &s);
	if (r < 0)
		goto out;
	if (s.n == 0) {
		dpi_rules_error(c, p, "address '%.*s' matches nothing", Q(p, end));
		r = -EINVAL;
		goto out;
	}
	if (s.n == 1 && s.v[0].lo == 0 && s.v[0].hi == U128_MAX) {
		ret->any = true;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		r = emit_cidrs(&e, s.v[i].lo, s.v[i].hi, &v);
		if (r < 0)
			goto out;
	}
	ret->cidrs = dpi_rules_arena_alloc(c->arena, v.n * sizeof(*v.v));
	if (!ret->cidrs) {
		r = -ENOMEM;
		goto out;
	}
	memcpy((void *)ret->cidrs, v.v, v.n * sizeof(*v.v));
	ret->n = v.n;
out:
	if (r == -ENOMEM)
		c->oom = true;
	free(v.v);
	iv_free(&s);
	return r;
}

/* ---- ports ---- */

#define PORT_WORDS (65536 / 64)

struct portset {
	uint64_t w[PORT_WORDS];
};

static void ps_fill(struct portset *s, unsigned lo, unsigned hi)
{
	while (lo <= hi) {
		if ((lo & 63) == 0 && hi - lo >= 63) {
			s->w[lo >> 6] = ~0ull;
			lo += 64;
		} else {
			s->w[lo >> 6] |= 1ull << (lo & 63);
			lo++;
		}
	}
}

static bool ps_test(const struct portset *s, unsigned i)
{
	return s->w[i >> 6] >> (i & 63) & 1;
}

static int eval_port(struct eval *e, const char *p, const char *end, unsigned depth, void *out);

struct port_list {
	struct portset *pos, *neg;
	bool has_pos;
};

static int port_elem(struct eval *e, const char *p, const char *end, unsigned depth, void *arg)
{
	struct port_list *l = arg;
	struct portset *s = calloc(1, sizeof(*s));
	bool neg = false;
	int r;

	if (!s) {
		e->c->oom = true;
		return -ENOMEM;
	}
	if (*p == '!') {
		neg = true;
		p++;
		while (p < end && is_space(*p))
			p++;
	}
	r = eval_port(e, p, end, depth + 1, s);
	if (r == 0) {
		struct portset *d = neg ? l->neg : l->pos;

		for (unsigned i = 0; i < PORT_WORDS; i++)
			d->w[i] |= s->w[i];
	}
	if (!neg)
		l->has_pos = true;
	free(s);
	return r;
}

static int eval_port(struct eval *e, const char *p, const char *end, unsigned depth, void *out)
{
	struct portset *s = out;
	const char *colon;
	unsigned lo = 0, hi = 65535;
	int r;

	trim(&p, &end);
	if (p == end) {
		if (e->var)
			dpi_rules_error(e->c, err_pos(e, p), "missing port (in $%.*s)",
					(int)e->var_len, e->var);
		else
			dpi_rules_error(e->c, err_pos(e, p), "missing port");
		e->err = e->err ? e->err : -EINVAL;
		return -EINVAL;
	}
	if (count_step(e, p, end) < 0)
		return -EINVAL;
	if (depth > DPI_RULES_MAX_VAR_DEPTH) {
		eval_error(e, p, "port lists nest too deep at", p, end);
		return -EINVAL;
	}
	if (*p == '!') {
		r = eval_port(e, p + 1, end, depth + 1, s);
		if (r == 0)
			for (unsigned i = 0; i < PORT_WORDS; i++)
				s->w[i] = ~s->w[i];
		return r;
	}
	if (*p == '$')
		return eval_var(e, p, end, depth, eval_port, s);
	if (*p == '[') {
		struct port_list l = {0};

		l.pos = calloc(1, sizeof(*l.pos));
		l.neg = calloc(1, sizeof(*l.neg));
		r = l.pos && l.neg ? for_each_elem(e, p, end, depth, port_elem, &l) : -ENOMEM;
		if (r == 0) {
			if (!l.has_pos)
				memset(l.pos, 0xff, sizeof(*l.pos));
			for (unsigned i = 0; i < PORT_WORDS; i++)
				s->w[i] = l.pos->w[i] & ~l.neg->w[i];
		}
		if (r == -ENOMEM)
			e->c->oom = true;
		free(l.pos);
		free(l.neg);
		return r;
	}
	if (end - p == 3 && !memcmp(p, "any", 3)) {
		memset(s, 0xff, sizeof(*s));
		return 0;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon) {
		if (!parse_uint(p, end, 65535, &lo))
			goto bad;
		hi = lo;
	} else {
		if (colon > p && !parse_uint(p, colon, 65535, &lo))
			goto bad;
		if (colon + 1 < end && !parse_uint(colon + 1, end, 65535, &hi))
			goto bad;
		if (colon == p && colon + 1 == end)
			goto bad;
		if (lo > hi) {
			eval_error(e, p, "bad port range", p, end);
			return -EINVAL;
		}
	}
	ps_fill(s, lo, hi);
	return 0;
bad:
	eval_error(e, p, "bad port", p, end);
	return -EINVAL;
}

/* The first port >= @i whose bit is @set, or 65536. */
static unsigned ps_find(const struct portset *s, unsigned i, bool set)
{
	while (i < 65536) {
		uint64_t w = set ? s->w[i >> 6] : ~s->w[i >> 6];

		w &= ~0ull << (i & 63);
		if (w)
			return (i & ~63u) + (unsigned)__builtin_ctzll(w);
		i = (i | 63) + 1;
	}
	return 65536;
}

int dpi_rules_compile_ports(struct dpi_rules_ctx *c, const char *p, const char *end,
			    struct dpi_rule_ports *ret)
{
	struct eval e = {.c = c, .tok = p};
	struct portset *s;
	struct dpi_rule_port_range *v;
	size_t n = 0;
	unsigned lo, hi;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (end - p == 3 && !memcmp(p, "any", 3)) {
		ret->any = true;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		c->oom = true;
		return -ENOMEM;
	}
	r = eval_port(&e, p, end, 0, s);
	if (r < 0)
		goto out;
	for (lo = ps_find(s, 0, true); lo < 65536; lo = ps_find(s, hi + 1, true)) {
		hi = ps_find(s, lo, false) - 1;
		n++;
		if (hi == 65535)
			break;
	}
	if (n == 0) {
		dpi_rules_error(c, p, "port '%.*s' matches nothing", Q(p, end));
		r = -EINVAL;
		goto out;
	}
	if (n == 1 && ps_test(s, 0) && ps_test(s, 65535)) {
		ret->any = true;
		goto out;
	}
	/* At most 32768 ranges fit in 65536 ports; cap what a rule may ask. */
	if (n > DPI_RULES_MAX_PORT_RANGES) {
		dpi_rules_error(c, p, "port set needs more than %d ranges",
				DPI_RULES_MAX_PORT_RANGES);
		r = -EINVAL;
		goto out;
	}
	v = dpi_rules_arena_alloc(c->arena, n * sizeof(*v));
	if (!v) {
		c->oom = true;
		r = -ENOMEM;
		goto out;
	}
	ret->ranges = v;
	ret->n = n;
	n = 0;
	for (lo = ps_find(s, 0, true); lo < 65536; lo = ps_find(s, hi + 1, true)) {
		hi = ps_find(s, lo, false) - 1;
		v[n].lo = (uint16_t)lo;
		v[n++].hi = (uint16_t)hi;
		if (hi == 65535)
			break;
	}
out:
	free(s);
	return r;
}

bool dpi_rule_addrs_match(const struct dpi_rule_addrs *a, const uint8_t addr16[16])
{
	u128 v;

	if (a->any)
		return true;
	v = load_u128(addr16);
	for (size_t i = 0; i < a->n; i++) {
		u128 base = load_u128(a->cidrs[i].addr);
		unsigned pl = a->cidrs[i].prefix;
		u128 mask = pl == 0 ? 0 : U128_MAX << (128 - pl);

		if ((v & mask) == base)
			return true;
	}
	return false;
}

bool dpi_rule_ports_match(const struct dpi_rule_ports *p, uint16_t port)
{
	size_t lo = 0, hi = p->n;

	if (p->any)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (port < p->ranges[mid].lo)
			hi = mid;
		else if (port > p->ranges[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}
