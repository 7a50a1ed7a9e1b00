/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy_doc.c - Workload and WorkloadPolicy documents
 * (../shared/policy-model.md) checked into bh_policy.h structures: the
 * documents, a policy's spec and its ingress and egress rules with their
 * peers, ports and selectors. The L7 entries of a rule are
 * ctl_policy_l7.c's.
 *
 * Every function reads one mapping or list, reports what is wrong in it and
 * keeps going, so one pass finds every error of a document. What it fills
 * is allocated in the result's arena; after an error it is dropped whole.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "bulkhead/dpi.h"
#include "ctl_policy_int.h"

/* ---------------------------------------------------------------- values */

static const char *read_name(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			     const char *subject)
{
	const char *s = ctl_policy_tree_str(l, n, subject);
	char q[CTL_POLICY_SHOW_BUF];

	if (!s)
		return NULL;
	if (!ctl_policy_check_name(s, n->len)) {
		ctl_policy_err(l, n,
			       "invalid name `%s`: lower-case letters, digits, '-' and '.', "
			       "starting and ending with a letter or digit, at most 253",
			       ctl_policy_show(q, n->text, n->len));
		return NULL;
	}
	return ctl_policy_strdup(l, s, n->len);
}

static const char *read_label_key(struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	char q[CTL_POLICY_SHOW_BUF];

	if (!ctl_policy_check_label_key(n->text)) {
		ctl_policy_err(l, n,
			       "invalid label key `%s`: an optional DNS subdomain and '/', then at "
			       "most 63 letters, digits, '-', '_' or '.', starting and ending with "
			       "a letter or digit",
			       ctl_policy_show(q, n->text, n->len));
		return NULL;
	}
	return ctl_policy_strdup(l, n->text, n->len);
}

static const char *read_label_value(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
				    const char *subject)
{
	const char *s = ctl_policy_tree_str(l, n, subject);
	char q[CTL_POLICY_SHOW_BUF];

	if (!s)
		return NULL;
	if (!ctl_policy_check_label_value(s)) {
		ctl_policy_err(l, n,
			       "invalid label value `%s`: at most 63 letters, digits, '-', '_' or "
			       "'.', starting and ending with a letter or digit (or empty)",
			       ctl_policy_show(q, n->text, n->len));
		return NULL;
	}
	return ctl_policy_strdup(l, s, n->len);
}

/* labels or matchLabels: label keys to values. */
static void read_labels(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			const char *subject, const struct bh_kv **ret, uint32_t *ret_n)
{
	struct bh_kv *kv;
	uint32_t i = 0;

	if (!ctl_policy_tree_want(l, n, CTL_PN_MAP, subject))
		return;
	kv = ctl_policy_alloc(l, n->len / 2, sizeof(*kv));
	if (!kv)
		return;
	ctl_policy_names_clear(&l->keys);
	for (const struct ctl_policy_node *k = n->kids; k && k->next; k = k->next->next) {
		char q[CTL_POLICY_SHOW_BUF], sub[CTL_POLICY_SHOW_BUF + 16];

		if (!ctl_policy_tree_key(l, k) ||
		    !ctl_policy_unique(l, &l->keys, "key", k->text, k))
			continue;
		snprintf(sub, sizeof(sub), "label `%s`", ctl_policy_show(q, k->text, k->len));
		kv[i].key = read_label_key(l, k);
		kv[i].value = read_label_value(l, k->next, sub);
		kv[i].loc = ctl_policy_loc(l, k);
		if (kv[i].key && kv[i].value)
			i++;
	}
	*ret = kv;
	*ret_n = i;
}

static bool read_cidr(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      const char *subject, struct bh_cidr *c)
{
	const char *s = ctl_policy_tree_str(l, n, subject), *why;
	char q[CTL_POLICY_SHOW_BUF], buf[128];

	if (!s)
		return false;
	why = ctl_policy_check_cidr(s, c, buf, sizeof(buf));
	if (why) {
		ctl_policy_err(l, n, "invalid address `%s`: %s",
			       ctl_policy_show(q, n->text, n->len), why);
		return false;
	}
	c->loc = ctl_policy_loc(l, n);
	return true;
}

/* ------------------------------------------------------------- selectors */

enum { EX_KEY, EX_OP, EX_VALUES };
static const char *const expr_keys[] = { "key", "operator", "values", NULL };
static const struct ctl_policy_schema expr_schema = { .what = "a matchExpressions entry",
						      .keys = expr_keys };

static void read_expr_values(struct ctl_policy_loader *l, const struct ctl_policy_node *v,
			     struct bh_sel_expr *e)
{
	const char **vals;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, v, "`values`",
				  "`values` is empty: operators In and NotIn need at least one "
				  "value"))
		return;
	vals = ctl_policy_alloc(l, v->len, sizeof(*vals));
	for (const struct ctl_policy_node *k = v->kids; vals && k; k = k->next)
		if ((vals[i] = read_label_value(l, k, "an entry of `values`")))
			i++;
	e->values = vals;
	e->nvalues = vals ? i : 0;
}

static void read_expr(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      struct bh_sel_expr *e)
{
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };
	struct ctl_policy_fields f;
	int op = -1;

	if (!ctl_policy_tree_fields(l, n, "an entry of `matchExpressions`", &expr_schema, &f))
		return;
	e->loc = ctl_policy_loc(l, n);
	if (!f.val[EX_KEY])
		ctl_policy_err(l, n, "missing `key` in a matchExpressions entry");
	else if (ctl_policy_tree_str(l, f.val[EX_KEY], "`key`"))
		e->key = read_label_key(l, f.val[EX_KEY]);
	if (!f.val[EX_OP])
		ctl_policy_err(l, n, "missing `operator` in a matchExpressions entry");
	else
		op = ctl_policy_tree_enum(l, f.val[EX_OP], "`operator`", "operator", ops,
					  "In, NotIn, Exists or DoesNotExist");
	if (op < 0)
		return;
	e->op = (enum bh_sel_op)op;
	if (op <= BH_SEL_NOT_IN && !f.val[EX_VALUES])
		ctl_policy_err(l, n, "operator %s needs a non-empty `values` list", ops[op]);
	else if (op > BH_SEL_NOT_IN && f.val[EX_VALUES])
		ctl_policy_err(l, f.key[EX_VALUES], "operator %s takes no `values`", ops[op]);
	else if (f.val[EX_VALUES])
		read_expr_values(l, f.val[EX_VALUES], e);
}

enum { SE_LABELS, SE_EXPRS };
static const char *const selector_keys[] = { "matchLabels", "matchExpressions", NULL };
static const struct ctl_policy_schema selector_schema = { .what = "a selector",
							  .keys = selector_keys };

static void read_selector(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  struct bh_selector *s)
{
	struct ctl_policy_fields f;
	struct bh_sel_expr *e;
	const struct ctl_policy_node *x;
	uint32_t i = 0;

	if (!ctl_policy_tree_fields(l, n, "`selector`", &selector_schema, &f))
		return;
	s->loc = ctl_policy_loc(l, n);
	if (f.val[SE_LABELS])
		read_labels(l, f.val[SE_LABELS], "`matchLabels`", &s->labels, &s->nlabels);
	x = f.val[SE_EXPRS];
	if (!x || !ctl_policy_tree_list(l, x, "`matchExpressions`", NULL))
		return;
	e = ctl_policy_alloc(l, x->len, sizeof(*e));
	for (const struct ctl_policy_node *k = x->kids; e && k; k = k->next, i++)
		read_expr(l, k, &e[i]);
	s->exprs = e;
	s->nexprs = e ? i : 0;
}

/* ----------------------------------------------------------------- peers */

enum { PE_SEL, PE_CIDR, PE_EXCEPT };
static const char *const peer_keys[] = { "selector", "cidr", "except", NULL };
static const struct ctl_policy_schema peer_schema = { .what = "a peer", .keys = peer_keys };

static void read_except(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			struct bh_peer *p, bool cidr_ok)
{
	struct bh_cidr *ex;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, "`except`", NULL))
		return;
	ex = ctl_policy_alloc(l, n->len, sizeof(*ex));
	for (const struct ctl_policy_node *k = n->kids; ex && k; k = k->next) {
		char a[CTL_POLICY_SHOW_BUF], b[64];

		if (!read_cidr(l, k, "an entry of `except`", &ex[i]))
			continue;
		if (cidr_ok && !ctl_policy_check_inside(&ex[i], &p->cidr)) {
			ctl_policy_check_format_cidr(b, sizeof(b), &p->cidr);
			ctl_policy_err(l, k, "except `%s` is not inside the cidr %s",
				       ctl_policy_show(a, k->text, k->len), b);
			continue;
		}
		i++;
	}
	p->except = ex;
	p->nexcept = ex ? i : 0;
}

static void read_peer(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      const char *subject, struct bh_peer *p)
{
	struct ctl_policy_fields f;
	bool cidr_ok;

	if (!ctl_policy_tree_fields(l, n, subject, &peer_schema, &f))
		return;
	p->loc = ctl_policy_loc(l, n);
	if (f.val[PE_SEL] && f.val[PE_CIDR]) {
		ctl_policy_err(l, n, "a peer takes either `selector` or `cidr`, not both");
		return;
	}
	if (!f.val[PE_SEL] && !f.val[PE_CIDR]) {
		ctl_policy_err(l, n, "a peer needs `selector` or `cidr`");
		return;
	}
	if (f.val[PE_SEL]) {
		p->kind = BH_PEER_SELECTOR;
		read_selector(l, f.val[PE_SEL], &p->sel);
		if (f.val[PE_EXCEPT])
			ctl_policy_err(l, f.key[PE_EXCEPT],
				       "`except` goes with `cidr`, not with `selector`");
		return;
	}
	p->kind = BH_PEER_CIDR;
	cidr_ok = read_cidr(l, f.val[PE_CIDR], "`cidr`", &p->cidr);
	if (f.val[PE_EXCEPT])
		read_except(l, f.val[PE_EXCEPT], p, cidr_ok);
}

/* from or to (@key): an empty list would match no peer, which a
 * Kubernetes user reads the other way round. */
static void read_peers(struct ctl_policy_loader *l, const struct ctl_policy_node *key,
		       const struct ctl_policy_node *n, struct bh_rule *r)
{
	char subject[16], entry[32], empty[128];
	struct bh_peer *p;
	uint32_t i = 0;

	snprintf(subject, sizeof(subject), "`%s`", key->text);
	snprintf(entry, sizeof(entry), "an entry of `%s`", key->text);
	snprintf(empty, sizeof(empty),
		 "`%s` is empty and would match no peer; leave it out to allow every peer",
		 key->text);
	r->has_peers = true;
	if (!ctl_policy_tree_list(l, n, subject, empty))
		return;
	p = ctl_policy_alloc(l, n->len, sizeof(*p));
	for (const struct ctl_policy_node *e = n->kids; p && e; e = e->next, i++)
		read_peer(l, e, entry, &p[i]);
	r->peers = p;
	r->npeers = p ? i : 0;
}

/* ----------------------------------------------------------------- ports */

enum { PO_PORT, PO_END, PO_PROTO };
static const char *const port_keys[] = { "port", "endPort", "protocol", NULL };
static const struct ctl_policy_schema port_schema = { .what = "a port", .keys = port_keys };

static void read_protocol(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  struct bh_port *p)
{
	const char *s = ctl_policy_tree_str(l, n, "`protocol`");
	char q[CTL_POLICY_SHOW_BUF];

	if (!s)
		return;
	if (!strcmp(s, "TCP") || !strcmp(s, "UDP"))
		p->proto = s[0] == 'T' ? IPPROTO_TCP : IPPROTO_UDP;
	else if (!strcasecmp(s, "TCP") || !strcasecmp(s, "UDP"))
		ctl_policy_err(l, n, "unknown protocol `%s`; expected TCP or UDP (upper case)",
			       ctl_policy_show(q, n->text, n->len));
	else if (!strcasecmp(s, "SCTP"))
		ctl_policy_err(l, n, "protocol SCTP is not supported; expected TCP or UDP");
	else
		ctl_policy_err(l, n, "unknown protocol `%s`; expected TCP or UDP",
			       ctl_policy_show(q, n->text, n->len));
}

static void read_port(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      struct bh_port *p)
{
	struct ctl_policy_fields f;
	bool have_port = false;

	p->proto = IPPROTO_TCP;
	if (!ctl_policy_tree_fields(l, n, "an entry of `ports`", &port_schema, &f))
		return;
	p->loc = ctl_policy_loc(l, n);
	if (f.val[PO_PORT])
		have_port = ctl_policy_tree_port(l, f.val[PO_PORT], "port", &p->port);
	if (f.val[PO_END] && !f.val[PO_PORT])
		ctl_policy_err(l, f.key[PO_END], "`endPort` needs `port`");
	else if (f.val[PO_END] && ctl_policy_tree_port(l, f.val[PO_END], "endPort", &p->end_port) &&
		 have_port && p->end_port < p->port)
		ctl_policy_err(l, f.val[PO_END], "endPort %u is below port %u", p->end_port,
			       p->port);
	if (f.val[PO_PROTO])
		read_protocol(l, f.val[PO_PROTO], p);
}

static void read_ports(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		       struct bh_rule *r)
{
	struct bh_port *p;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, "`ports`", NULL))
		return;
	p = ctl_policy_alloc(l, n->len, sizeof(*p));
	for (const struct ctl_policy_node *e = n->kids; p && e; e = e->next, i++)
		read_port(l, e, &p[i]);
	r->ports = p;
	r->nports = p ? i : 0;
}

/* ----------------------------------------------------------------- rules */

enum { RU_NAME, RU_PEERS, RU_PORTS, RU_RULES };
static const char *const ingress_keys[] = { "name", "from", "ports", "rules", NULL };
static const char *const egress_keys[] = { "name", "to", "ports", "rules", NULL };
static const struct ctl_policy_schema ingress_schema = {
	.what = "an ingress rule",
	.keys = ingress_keys,
	.alien = "to",
	.alien_msg = "`to` in an ingress rule: ingress rules name their peers with `from`",
};
static const struct ctl_policy_schema egress_schema = {
	.what = "an egress rule",
	.keys = egress_keys,
	.alien = "from",
	.alien_msg = "`from` in an egress rule: egress rules name their peers with `to`",
};

static void read_rule(struct ctl_policy_loader *l, const struct ctl_policy_node *n, bool ingress,
		      struct bh_rule *r)
{
	struct ctl_policy_fields f;

	if (!ctl_policy_tree_fields(l, n,
				    ingress ? "an entry of `ingress`" : "an entry of `egress`",
				    ingress ? &ingress_schema : &egress_schema, &f))
		return;
	r->loc = ctl_policy_loc(l, n);
	if (f.val[RU_NAME]) {
		r->name = read_name(l, f.val[RU_NAME], "`name`");
		if (r->name)
			ctl_policy_unique(l, &l->rule_names, "rule name", r->name, f.val[RU_NAME]);
	}
	if (f.val[RU_PEERS])
		read_peers(l, f.key[RU_PEERS], f.val[RU_PEERS], r);
	if (f.val[RU_PORTS])
		read_ports(l, f.val[RU_PORTS], r);
	if (f.val[RU_RULES]) {
		r->has_l7 = true;
		r->l7_loc = ctl_policy_loc(l, f.key[RU_RULES]);
		ctl_policy_l7_read(l, f.val[RU_RULES], r);
	}
}

static void read_rules(struct ctl_policy_loader *l, const struct ctl_policy_node *n, bool ingress,
		       const struct bh_rule **ret, uint32_t *ret_n)
{
	struct bh_rule *r;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, ingress ? "`ingress`" : "`egress`", NULL))
		return;
	r = ctl_policy_alloc(l, n->len, sizeof(*r));
	for (const struct ctl_policy_node *e = n->kids; r && e; e = e->next, i++)
		read_rule(l, e, ingress, &r[i]);
	*ret = r;
	*ret_n = r ? i : 0;
}

/* ------------------------------------------------------------ signatures */

enum { SG_SETS, SG_ACTION };
static const char *const sig_keys[] = { "sets", "action", NULL };
static const struct ctl_policy_schema sig_schema = { .what = "`signatures`", .keys = sig_keys };

/* dpi_set_parse() takes the built-in sets and "all"; "custom" (the rules of
 * user files) is a set a policy may name too. */
static void read_set(struct ctl_policy_loader *l, const struct ctl_policy_node *n, unsigned *mask)
{
	const char *s = ctl_policy_tree_str(l, n, "an entry of `sets`");
	char q[CTL_POLICY_SHOW_BUF], why[128], list[256];
	unsigned m;
	size_t o;

	if (!s)
		return;
	if (!strcmp(s, "custom")) {
		*mask |= 1u << DPI_SET_CUSTOM;
		return;
	}
	if (!strchr(s, ',') && strcmp(s, "none") != 0 &&
	    dpi_set_parse(s, &m, why, sizeof(why)) == 0) {
		*mask |= m;
		return;
	}
	o = (size_t)snprintf(list, sizeof(list), "all");
	for (unsigned i = 0; i < DPI_SET__MAX && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, ", %s", dpi_set_name(i));
	ctl_policy_err(l, n, "unknown signature set `%s`; expected one of: %s",
		       ctl_policy_show(q, n->text, n->len), list);
}

static void read_signatures(struct ctl_policy_loader *l, const struct ctl_policy_node *key,
			    const struct ctl_policy_node *n, struct bh_policy *p)
{
	static const char *const actions[] = { "deny", "alert", NULL };
	struct ctl_policy_fields f;
	const struct ctl_policy_node *sets;

	if (!ctl_policy_tree_fields(l, n, "`signatures`", &sig_schema, &f))
		return;
	p->sig_loc = ctl_policy_loc(l, key);
	sets = f.val[SG_SETS];
	if (!sets)
		ctl_policy_err(l, n, "missing `sets` in `signatures`");
	else if (ctl_policy_tree_list(l, sets, "`sets`", NULL))
		for (const struct ctl_policy_node *e = sets->kids; e; e = e->next)
			read_set(l, e, &p->sig_sets);
	if (f.val[SG_ACTION])
		p->sig_deny = ctl_policy_tree_enum(l, f.val[SG_ACTION], "`action`", "action",
						   actions, "deny or alert") != 1;
}

/* -------------------------------------------------------------- policies */

enum { SP_SEL, SP_MODE, SP_INGRESS, SP_EGRESS, SP_SIG, SP_UNPARSED };
static const char *const spec_keys[] = { "selector",   "mode",	     "ingress", "egress",
					 "signatures", "onUnparsed", NULL };
static const struct ctl_policy_schema spec_schema = { .what = "`spec`", .keys = spec_keys };

static void read_mode(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      struct bh_policy *p)
{
	static const char *const modes[] = { "protect", "monitor", "learn", NULL };
	int m = ctl_policy_tree_enum(l, n, "`mode`", "mode", modes, "learn, monitor or protect");

	p->mode = m < 0 ? BH_MODE_PROTECT : (enum bh_mode)m;
}

static void read_spec(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
		      struct bh_policy *p)
{
	static const char *const unparsed[] = { "deny", "allow", NULL };
	struct ctl_policy_fields f;

	if (!ctl_policy_tree_fields(l, n, "`spec`", &spec_schema, &f))
		return;
	if (!f.val[SP_SEL])
		ctl_policy_err(l, n,
			       "missing `selector` in `spec` (`selector: {}` selects every "
			       "workload)");
	else
		read_selector(l, f.val[SP_SEL], &p->selector);
	if (f.val[SP_MODE])
		read_mode(l, f.val[SP_MODE], p);
	if (!f.val[SP_INGRESS] && !f.val[SP_EGRESS])
		ctl_policy_err(l, n,
			       "the policy restricts nothing: give it `ingress`, `egress` or both "
			       "(an empty list denies everything)");
	ctl_policy_names_clear(&l->rule_names);
	p->has_ingress = f.val[SP_INGRESS] != NULL;
	if (p->has_ingress)
		read_rules(l, f.val[SP_INGRESS], true, &p->ingress, &p->ningress);
	p->has_egress = f.val[SP_EGRESS] != NULL;
	if (p->has_egress)
		read_rules(l, f.val[SP_EGRESS], false, &p->egress, &p->negress);
	if (f.val[SP_SIG])
		read_signatures(l, f.key[SP_SIG], f.val[SP_SIG], p);
	if (f.val[SP_UNPARSED])
		p->unparsed_allow =
			ctl_policy_tree_enum(l, f.val[SP_UNPARSED], "`onUnparsed`", "onUnparsed",
					     unparsed, "deny or allow") == 1;
}

static const char *const metadata_keys[] = { "name", NULL };
static const struct ctl_policy_schema metadata_schema = { .what = "`metadata`",
							  .keys = metadata_keys };

/* metadata: {name}: the name, and *@ret_at where it is written. */
static const char *read_metadata(struct ctl_policy_loader *l, const struct ctl_policy_node *doc,
				 const struct ctl_policy_node *n,
				 const struct ctl_policy_node **ret_at)
{
	struct ctl_policy_fields f;

	if (!n) {
		ctl_policy_err(l, doc, "missing `metadata` (with a `name`)");
		return NULL;
	}
	if (!ctl_policy_tree_fields(l, n, "`metadata`", &metadata_schema, &f))
		return NULL;
	if (!f.val[0]) {
		ctl_policy_err(l, n, "missing `name` in `metadata`");
		return NULL;
	}
	*ret_at = f.val[0];
	return read_name(l, f.val[0], "`name`");
}

enum { PL_API, PL_KIND, PL_META, PL_SPEC };
static const char *const policy_keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
static const struct ctl_policy_schema policy_schema = { .what = "a WorkloadPolicy",
							.keys = policy_keys };

static void read_policy(struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	struct bh_policy p = { .loc = ctl_policy_loc(l, n), .sig_deny = true };
	struct ctl_policy_fields f;
	const struct ctl_policy_node *at = NULL;

	if (!ctl_policy_tree_fields(l, n, "a document", &policy_schema, &f))
		return;
	p.name = read_metadata(l, n, f.val[PL_META], &at);
	if (!f.val[PL_SPEC])
		ctl_policy_err(l, n, "missing `spec`");
	else
		read_spec(l, f.val[PL_SPEC], &p);
	if (p.name)
		ctl_policy_unique(l, &l->pol_names, "policy name", p.name, at);
	ctl_policy_add_policy(l, &p);
}

/* ------------------------------------------------------------- workloads */

static void read_addresses(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			   struct bh_workload *w)
{
	struct bh_cidr *a;
	uint32_t i = 0;

	if (!ctl_policy_tree_list(l, n, "`addresses`", NULL))
		return;
	a = ctl_policy_alloc(l, n->len, sizeof(*a));
	for (const struct ctl_policy_node *e = n->kids; a && e; e = e->next)
		if (read_cidr(l, e, "an entry of `addresses`", &a[i]))
			i++;
	w->addrs = a;
	w->naddrs = a ? i : 0;
}

static void read_interface(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			   struct bh_workload *w)
{
	const char *s = ctl_policy_tree_str(l, n, "`interface`");
	char q[CTL_POLICY_SHOW_BUF];

	if (!s)
		return;
	if (!ctl_policy_check_ifname(s)) {
		ctl_policy_err(l, n,
			       "invalid interface name `%s`: 1 to 15 bytes, without '/', ':' or "
			       "spaces",
			       ctl_policy_show(q, n->text, n->len));
		return;
	}
	w->interface = ctl_policy_strdup(l, s, n->len);
}

enum { WL_API, WL_KIND, WL_META, WL_LABELS, WL_ADDRS, WL_IFACE };
static const char *const workload_keys[] = { "apiVersion", "kind",	"metadata", "labels",
					     "addresses",  "interface", NULL };
static const struct ctl_policy_schema workload_schema = { .what = "a Workload",
							  .keys = workload_keys };

static void read_workload(struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	struct bh_workload w = { .loc = ctl_policy_loc(l, n) };
	struct ctl_policy_fields f;
	const struct ctl_policy_node *at = NULL;

	if (!ctl_policy_tree_fields(l, n, "a document", &workload_schema, &f))
		return;
	w.name = read_metadata(l, n, f.val[WL_META], &at);
	if (f.val[WL_LABELS])
		read_labels(l, f.val[WL_LABELS], "`labels`", &w.labels, &w.nlabels);
	if (f.val[WL_ADDRS])
		read_addresses(l, f.val[WL_ADDRS], &w);
	if (f.val[WL_IFACE])
		read_interface(l, f.val[WL_IFACE], &w);
	if (w.name)
		ctl_policy_unique(l, &l->wl_names, "workload name", w.name, at);
	ctl_policy_add_workload(l, &w);
}

/* ------------------------------------------------------------- documents */

static void read_object(struct ctl_policy_loader *l, const struct ctl_policy_node *n)
{
	static const char *const kinds[] = { "Workload", "WorkloadPolicy", NULL };
	const struct ctl_policy_node *api, *kind;
	char q[CTL_POLICY_SHOW_BUF];
	const char *s;
	int k;

	if (!ctl_policy_tree_want(l, n, CTL_PN_MAP, "a document"))
		return;
	api = ctl_policy_tree_lookup(n, "apiVersion");
	kind = ctl_policy_tree_lookup(n, "kind");
	if (!api)
		ctl_policy_err(l, n, "missing `apiVersion: bulkhead/v1`");
	else if ((s = ctl_policy_tree_str(l, api, "`apiVersion`")) && strcmp(s, "bulkhead/v1") != 0)
		ctl_policy_err(l, api, "unsupported apiVersion `%s`; expected bulkhead/v1",
			       ctl_policy_show(q, api->text, api->len));
	if (!kind) {
		ctl_policy_err(l, n, "missing `kind` (Workload or WorkloadPolicy)");
		return;
	}
	k = ctl_policy_tree_enum(l, kind, "`kind`", "kind", kinds, "Workload or WorkloadPolicy");
	if (k == 0)
		read_workload(l, n);
	else if (k == 1)
		read_policy(l, n);
}

void ctl_policy_doc_read(struct ctl_policy_loader *l, const struct ctl_policy_node *root)
{
	if (root->type == CTL_PN_SCALAR && ctl_policy_tree_kind(root) == CTL_PK_NULL)
		return; /* an empty document, as after a last `---` */
	if (root->type != CTL_PN_SEQ) {
		read_object(l, root);
		return;
	}
	for (const struct ctl_policy_node *e = root->kids; e && !l->stop; e = e->next)
		read_object(l, e);
}
