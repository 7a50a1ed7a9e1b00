/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy_tree.c - typed access to a document's tree: what a scalar is
 * (the YAML 1.2 core schema, which JSON's values also follow), mappings
 * sorted into the fields of the model, strings, lists, names from a list,
 * port numbers. Every wrong type is reported at the value, every unknown or
 * repeated key at the key.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_policy_int.h"

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static size_t ndigits(const char *s)
{
	return strspn(s, "0123456789");
}

/* Integers: decimal, 0o octal, 0x hex. */
static bool is_int(const char *s)
{
	if (s[0] == '0' && s[1] == 'o')
		return s[2] && !s[2 + strspn(s + 2, "01234567")];
	if (s[0] == '0' && s[1] == 'x')
		return s[2] && !s[2 + strspn(s + 2, "0123456789abcdefABCDEF")];
	if (*s == '-' || *s == '+')
		s++;
	return *s && !s[ndigits(s)];
}

static bool is_float(const char *s)
{
	static const char *const special[] = {
		".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL
	};
	size_t a, b = 0;

	if (*s == '-' || *s == '+')
		s++;
	if (is_one_of(s, special))
		return true;
	a = ndigits(s);
	s += a;
	if (*s == '.') {
		b = ndigits(s + 1);
		s += 1 + b;
	}
	if (!a && !b)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!ndigits(s))
			return false;
		s += ndigits(s);
	}
	return !*s;
}

enum ctl_policy_kind ctl_policy_tree_kind(const struct ctl_policy_node *n)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = {
		"true", "True", "TRUE", "false", "False", "FALSE", NULL
	};

	if (n->type != CTL_PN_SCALAR || !n->plain)
		return CTL_PK_STR;
	if (!n->len || is_one_of(n->text, nulls))
		return CTL_PK_NULL;
	if (is_one_of(n->text, bools))
		return CTL_PK_BOOL;
	if (is_int(n->text))
		return CTL_PK_INT;
	if (is_float(n->text))
		return CTL_PK_FLOAT;
	return CTL_PK_STR;
}

const char *ctl_policy_tree_type(const struct ctl_policy_node *n)
{
	if (n->type == CTL_PN_MAP)
		return "a mapping";
	if (n->type == CTL_PN_SEQ)
		return "a list";
	switch (ctl_policy_tree_kind(n)) {
	case CTL_PK_NULL:
		return "null";
	case CTL_PK_BOOL:
		return "a boolean";
	case CTL_PK_INT:
	case CTL_PK_FLOAT:
		return "a number";
	default:
		return "a string";
	}
}

bool ctl_policy_tree_want(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  enum ctl_policy_ntype type, const char *subject)
{
	static const char *const names[] = { "a string", "a mapping", "a list" };

	if (n->reported)
		return false;
	if (n->type == type && (type != CTL_PN_SCALAR || ctl_policy_tree_kind(n) != CTL_PK_NULL))
		return true;
	ctl_policy_err(l, n, "%s must be %s, got %s", subject, names[type],
		       ctl_policy_tree_type(n));
	return false;
}

/* A plain number or boolean is taken as its text: Kubernetes users write
 * `version: 2` in labels. */
const char *ctl_policy_tree_str(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
				const char *subject)
{
	if (!ctl_policy_tree_want(l, n, CTL_PN_SCALAR, subject))
		return NULL;
	if (memchr(n->text, '\0', n->len)) {
		ctl_policy_err(l, n, "%s contains a NUL byte", subject);
		return NULL;
	}
	return n->text;
}

bool ctl_policy_tree_list(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  const char *subject, const char *empty_msg)
{
	if (!ctl_policy_tree_want(l, n, CTL_PN_SEQ, subject))
		return false;
	if (!n->len && empty_msg) {
		ctl_policy_err(l, n, "%s", empty_msg);
		return false;
	}
	return true;
}

bool ctl_policy_tree_key(struct ctl_policy_loader *l, const struct ctl_policy_node *k)
{
	if (k->reported)
		return false;
	if (k->type != CTL_PN_SCALAR || ctl_policy_tree_kind(k) == CTL_PK_NULL) {
		ctl_policy_err(l, k, "a key must be a string, got %s", ctl_policy_tree_type(k));
		return false;
	}
	if (memchr(k->text, '\0', k->len)) {
		ctl_policy_err(l, k, "a key contains a NUL byte");
		return false;
	}
	return true;
}

static void unknown_key(struct ctl_policy_loader *l, const struct ctl_policy_node *k,
			const struct ctl_policy_schema *s)
{
	char list[256], q[CTL_POLICY_SHOW_BUF];
	size_t o = 0;

	list[0] = '\0';
	for (const char *const *p = s->keys; *p && o < sizeof(list); p++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", *p);
	ctl_policy_err(l, k, "unknown key `%s` in %s; expected one of: %s",
		       ctl_policy_show(q, k->text, k->len), s->what, list);
}

bool ctl_policy_tree_fields(struct ctl_policy_loader *l, const struct ctl_policy_node *map,
			    const char *subject, const struct ctl_policy_schema *s,
			    struct ctl_policy_fields *f)
{
	memset(f, 0, sizeof(*f));
	if (!ctl_policy_tree_want(l, map, CTL_PN_MAP, subject))
		return false;
	for (const struct ctl_policy_node *k = map->kids; k && k->next; k = k->next->next) {
		char q[CTL_POLICY_SHOW_BUF];
		unsigned i;

		if (!ctl_policy_tree_key(l, k))
			continue;
		for (i = 0; s->keys[i] && strcmp(s->keys[i], k->text) != 0; i++)
			;
		if (!s->keys[i]) {
			if (s->alien && strcmp(s->alien, k->text) == 0)
				ctl_policy_err(l, k, "%s", s->alien_msg);
			else
				unknown_key(l, k, s);
		} else if (f->key[i]) {
			ctl_policy_err(l, k, "duplicate key `%s` (first at %u:%u)",
				       ctl_policy_show(q, k->text, k->len), f->key[i]->line,
				       f->key[i]->col);
		} else {
			f->key[i] = k;
			f->val[i] = k->next;
		}
	}
	return true;
}

const struct ctl_policy_node *ctl_policy_tree_lookup(const struct ctl_policy_node *map,
						     const char *name)
{
	for (const struct ctl_policy_node *k = map->kids; k && k->next; k = k->next->next)
		if (k->type == CTL_PN_SCALAR && strlen(name) == k->len &&
		    memcmp(k->text, name, k->len) == 0)
			return k->next;
	return NULL;
}

int ctl_policy_tree_enum(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			 const char *subject, const char *what, const char *const *names,
			 const char *expect)
{
	const char *s = ctl_policy_tree_str(l, n, subject);
	char q[CTL_POLICY_SHOW_BUF];

	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	ctl_policy_err(l, n, "unknown %s `%s`; expected %s", what,
		       ctl_policy_show(q, n->text, n->len), expect);
	return -1;
}

bool ctl_policy_tree_port(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  const char *field, uint16_t *ret)
{
	enum ctl_policy_kind k = ctl_policy_tree_kind(n);
	char q[CTL_POLICY_SHOW_BUF];
	bool neg = n->text[0] == '-';
	const char *s = n->text + (neg || n->text[0] == '+');
	unsigned long v = 0;

	if (n->reported)
		return false;
	if (n->type != CTL_PN_SCALAR || k == CTL_PK_NULL || k == CTL_PK_BOOL) {
		ctl_policy_err(l, n, "`%s` must be a number, got %s", field,
			       ctl_policy_tree_type(n));
		return false;
	}
	if (k == CTL_PK_STR) {
		ctl_policy_err(
			l, n, "`%s` must be a number, got a string (named ports are not supported)",
			field);
		return false;
	}
	if (k != CTL_PK_INT || !s[0] || s[ndigits(s)]) {
		ctl_policy_err(l, n, "`%s` must be a whole decimal number, got %s", field,
			       ctl_policy_show(q, n->text, n->len));
		return false;
	}
	for (; *s && v <= 65535; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (neg || v < 1 || v > 65535) {
		ctl_policy_err(l, n, "%s %s is out of range (1..65535)", field,
			       ctl_policy_show(q, n->text, n->len));
		return false;
	}
	*ret = (uint16_t)v;
	return true;
}
