/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_learn.c - from events, the WorkloadPolicy documents that allow exactly
 * what was seen (policy-model.md, semantics 8).
 *
 * Everything is keyed by a "link": (client end, server end, server port,
 * protocol), an end being a workload's selector (the labels its policy and
 * its peers' rules will select it by) or, for an address no workload owns,
 * the address. A link becomes one egress rule in the client's policy and one
 * ingress rule in the server's (for the ends that are workloads), and both
 * rules carry the same L7 entries: everything learned from the link's
 * transactions. Links and their L7 entries are sets, so the output depends
 * on what was seen, never on the order events arrived in from the workers.
 *
 * The output (ctl_learn_yaml.c) is built as libfyaml nodes and written by
 * fy_emit_document().
 * libfyaml 0.7 (Debian 12) has no way to give a created scalar a style
 * (upstream issue #79) and writes created scalars such as "", "#x", "- x"
 * or "@x" plain, which reads back as something else or not at all; so a
 * string that isn't plainly safe becomes a node parsed from the emitter's
 * own quoted rendering of it (y_quoted()). Nor can it attach comments to
 * built nodes: the reasons for L4-only rules are written above each
 * document.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "bulkhead/bh_policy.h"
#include "bulkhead/dpi.h"
#include "ctl_eve.h"
#include "ctl_learn.h"
#include "ctl_learn_int.h"

/* ------------------------------------------------------------------------
 * Small containers: byte strings, an open-addressing index, a string set.
 */

static uint32_t hash_bytes(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int tab_grow(struct tab *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : 16;
	struct slot *ns;

	if (ncap < t->cap)
		return -ENOMEM;
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->cap; i++) {
		uint32_t j;

		if (!t->s[i].idx1)
			continue;
		for (j = t->s[i].hash & (ncap - 1); ns[j].idx1; j = (j + 1) & (ncap - 1))
			;
		ns[j] = t->s[i];
	}
	free(t->s);
	t->s = ns;
	t->cap = ncap;
	return 0;
}

/* The slot of @p/@len: found (idx1 != 0) or the empty one to fill. Grows
 * first so that the returned slot can be filled. NULL: out of memory. */
static struct slot *find(struct strset *s, const char *p, uint32_t len, uint32_t h)
{
	struct tab *t = &s->t;
	uint32_t j;

	if ((t->n + 1) * 4 > t->cap * 3 && tab_grow(t) < 0)
		return NULL;
	for (j = h & (t->cap - 1); t->s[j].idx1; j = (j + 1) & (t->cap - 1)) {
		const struct bstr *e = &s->v[t->s[j].idx1 - 1];

		if (t->s[j].hash == h && e->len == len && !memcmp(e->p, p, len))
			return &t->s[j];
	}
	return &t->s[j];
}

/* Adds a copy of @p/@len (NUL-terminated). Returns its index, found or
 * added, or -ENOMEM. */
int64_t strset_add(struct strset *s, const char *p, uint32_t len)
{
	uint32_t h = hash_bytes(p, len, 0);
	struct slot *sl = find(s, p, len, h);
	char *copy;

	if (!sl)
		return -ENOMEM;
	if (sl->idx1)
		return sl->idx1 - 1;
	if (s->n == s->cap) {
		uint32_t nc = s->cap ? s->cap * 2 : 8;
		struct bstr *nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	copy = malloc(len + 1u);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	copy[len] = '\0';
	s->v[s->n] = (struct bstr){copy, len};
	*sl = (struct slot){++s->n, h};
	s->t.n++;
	return s->n - 1;
}

bool  strset_has(struct strset *s, const char *p, uint32_t len)
{
	struct slot *sl = find(s, p, len, hash_bytes(p, len, 0));

	return sl && sl->idx1;
}

void  strset_free(struct strset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->v[i].p);
	free(s->v);
	free(s->t.s);
}

int  cmp_bstr(const void *a, const void *b)
{
	const struct bstr *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The set's elements in byte order (pointers into the set), or NULL with
 * *@ret_n 0 for an empty set; -ENOMEM. */
int  strset_sorted(const struct strset *s, struct bstr **ret)
{
	struct bstr *v;

	*ret = NULL;
	if (!s->n)
		return 0;
	v = malloc(s->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_bstr);
	*ret = v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Ends and links.
 */

int ctl_learn_new(struct ctl_learn **ret)
{
	struct ctl_learn *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return -ENOMEM;
	}
	*ret = l;
	return 0;
}

void ctl_learn_free(struct ctl_learn *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->nids; i++) {
		free(l->ids[i].sel_k);
		free(l->ids[i].sel_v);
		free(l->ids[i].short_name);
	}
	for (uint32_t i = 0; i < l->nlinks; i++) {
		free(l->links[i].other_proto);
		strset_free(&l->links[i].http);
		strset_free(&l->links[i].dns);
		strset_free(&l->links[i].sql);
	}
	free(l->ids);
	free(l->links);
	strset_free(&l->idkeys);
	strset_free(&l->linkkeys);
	strset_free(&l->unlabelled);
	strset_free(&l->bad);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static void sb_put(struct sbuf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 64;
		char *np;

		while (nc < b->len + n + 1)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void  sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void  sb_chr(struct sbuf *b, char c)
{
	sb_put(b, &c, 1);
}

static const struct bh_kv *find_label(const struct bh_workload_ref *w, const char *key)
{
	for (uint32_t i = 0; i < w->nlabels; i++)
		if (w->labels[i].key && strcmp(w->labels[i].key, key) == 0)
			return &w->labels[i];
	return NULL;
}

static bool has_labels(const struct bh_workload_ref *w)
{
	return w && w->nlabels > 0 && w->labels;
}

/* The canonical key of an end (struct ident). A workload is selected by
 * matchLabels {app: X} so that replicas share one policy; without an app
 * label by app.kubernetes.io/name, else by all its labels. A workload
 * without labels can't be selected on its own (an empty selector selects
 * every workload): it stands for its address, like one no workload owns. */
static void end_key(struct sbuf *b, const struct bh_workload_ref *w, uint8_t family,
		    const union bh_addr *a)
{
	if (has_labels(w)) {
		const struct bh_kv *one = find_label(w, "app");

		if (!one)
			one = find_label(w, "app.kubernetes.io/name");
		sb_chr(b, 'W');
		for (uint32_t i = 0; i < w->nlabels; i++) {
			const struct bh_kv *kv = one ? one : &w->labels[i];

			sb_put(b, kv->key ? kv->key : "", strlen(kv->key ? kv->key : "") + 1);
			sb_put(b, kv->value ? kv->value : "", strlen(kv->value ? kv->value : "") + 1);
			if (one)
				break;
		}
		return;
	}
	if (family != AF_INET && family != AF_INET6)
		family = ctl_addr_mapped(a) ? AF_INET : AF_INET6;
	sb_chr(b, 'A');
	sb_chr(b, (char)family);
	sb_put(b, a->b, 16);
}

/* Fills the parts of @id its key implies. */
static int ident_init(struct ident *id)
{
	const char *p = id->key.p, *end = id->key.p + id->key.len;
	struct sbuf sn = {0};

	id->workload = p[0] == 'W';
	if (!id->workload) {
		char s[INET6_ADDRSTRLEN];
		uint8_t family = (uint8_t)p[1];
		union bh_addr a;

		memcpy(a.b, p + 2, 16); /* the key holds it unaligned */
		sb_str(&sn, ctl_addr_text(&a, family, s));
		sb_str(&sn, family == AF_INET ? "/32" : "/128");
		id->short_name = sn.p;
		return sn.oom ? -ENOMEM : 0;
	}
	for (const char *q = p + 1; q < end; q += strlen(q) + 1)
		id->nsel++;
	id->nsel /= 2;
	id->sel_k = calloc(id->nsel, sizeof(*id->sel_k));
	id->sel_v = calloc(id->nsel, sizeof(*id->sel_v));
	if (!id->sel_k || !id->sel_v)
		return -ENOMEM;
	p++;
	for (uint32_t i = 0; i < id->nsel; i++) {
		id->sel_k[i] = p;
		p += strlen(p) + 1;
		id->sel_v[i] = p;
		p += strlen(p) + 1;
		if (i)
			sb_chr(&sn, '-');
		sb_str(&sn, id->sel_v[i]);
	}
	if (!sn.p)
		sb_put(&sn, "", 0);
	id->short_name = sn.p;
	return sn.oom ? -ENOMEM : 0;
}

/* The index of the end with key @k, created if new; -ENOMEM. Locked. */
static int64_t intern(struct ctl_learn *l, const struct bstr *k)
{
	int64_t i;

	if (l->nids == l->capids) {
		uint32_t nc = l->capids ? l->capids * 2 : 16;
		struct ident *nv = realloc(l->ids, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->ids = nv;
		l->capids = nc;
	}
	i = strset_add(&l->idkeys, k->p, k->len);
	if (i < 0 || i < l->nids)
		return i;
	/* New: the set's copy is the key from now on. A half-built one is
	 * only freed: the caller marks the learner as having lost events. */
	memset(&l->ids[i], 0, sizeof(l->ids[i]));
	l->ids[i].key = l->idkeys.v[i];
	l->nids++;
	return ident_init(&l->ids[i]) < 0 ? -ENOMEM : i;
}

/* The link of @k, created if new; NULL: out of memory. Locked. */
static struct link *get_link(struct ctl_learn *l, const struct link_key *k)
{
	int64_t i;

	if (l->nlinks == l->caplinks) {
		uint32_t nc = l->caplinks ? l->caplinks * 2 : 16;
		struct link *nv = realloc(l->links, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		l->links = nv;
		l->caplinks = nc;
	}
	i = strset_add(&l->linkkeys, (const char *)k, sizeof(*k));
	if (i < 0)
		return NULL;
	if (i == l->nlinks) {
		memset(&l->links[i], 0, sizeof(l->links[i]));
		l->links[i].cid = k->cid;
		l->links[i].sid = k->sid;
		l->links[i].port = k->port;
		l->links[i].proto = k->proto;
		l->nlinks++;
	}
	return &l->links[i];
}

/* ------------------------------------------------------------------------
 * L7 keys, built before the lock is taken.
 */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	return n > 0;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return true;
}

#define RE_DIGITS "[0-9]+"
#define RE_UUID "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#define RE_HEX "[0-9a-fA-F]+"
#define HEX_MIN 16 /* a shorter run of hex digits may well be a word ("cafe") */

/* @s as a regex that matches exactly it. Bytes outside printable ASCII
 * (and space) become \xNN, so the pattern is ASCII whatever the path held
 * and a YAML reader gives back the very bytes. */
static void re_escape(struct sbuf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f) {
			char x[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};

			sb_put(b, x, 4);
			continue;
		}
		if (strchr("\\^$.|?*+()[]{}", c))
			sb_chr(b, '\\');
		sb_chr(b, (char)c);
	}
}

/* The path pattern of a normalised path: segment by segment, numbers,
 * UUIDs and long hex runs (ids, hashes) generalised, the rest literal. */
static void path_pattern(struct sbuf *b, const char *p, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (all_digits(p + i, j - i))
			sb_str(b, RE_DIGITS);
		else if (is_uuid(p + i, j - i))
			sb_str(b, RE_UUID);
		else if (j - i >= HEX_MIN && all_hex(p + i, j - i))
			sb_str(b, RE_HEX);
		else
			re_escape(b, p + i, j - i);
		if (j == n)
			break;
		sb_chr(b, '/');
		i = j + 1;
	}
}

/* The names policy documents can hold, as the loader checks them
 * (ctl_policy_check.c): DNS names are labels of letters, digits, '-' and
 * '_'; tables are one to three dot-separated parts of letters, digits, '_'
 * and '$'. A name outside these (a query for "*.example", a quoted
 * identifier with a space) can't be allowed by an entry: it is left out
 * and counted. */
static bool dns_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (!n || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label || label > 63)
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || s[i] == '-' || s[i] == '_') {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool table_ok(const char *s, size_t n)
{
	size_t part = 0, dots = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!part || part > 64 || (i < n && ++dots > 2))
				return false;
			part = 0;
		} else if (is_alnum(s[i]) || s[i] == '_' || s[i] == '$') {
			part++;
		} else {
			return false;
		}
	}
	return true;
}

static const char *flow_app(const struct bh_event *ev)
{
	if (ev->flow.app_proto)
		return ev->flow.app_proto;
	return ev->has_flow && ev->app_proto ? ev->app_proto : "unknown";
}

static bool app_has_rules(const char *app)
{
	return !strcmp(app, "http") || !strcmp(app, "dns") || !strcmp(app, "mysql") ||
	       !strcmp(app, "pgsql");
}

/* A TCP flow counts once the server answered: a SYN/ACK, or data from it
 * (a flow picked up mid-stream). A SYN that got nothing or a reset back
 * allowed nothing. */
static bool tcp_answered(const struct bh_flow_record *r)
{
	if (!r->pkts[1])
		return false;
	return (r->tcp_flags[1] & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) ||
	       r->stream[1].delivered > 0;
}

static bool flow_payload(const struct bh_event *ev)
{
	const struct bh_flow_record *r = &ev->flow;

	if (ev->tuple.proto == IPPROTO_UDP)
		return r->bytes[0] + r->bytes[1] > 0;
	return r->stream[0].delivered + r->stream[1].delivered + r->stream[0].gap_bytes +
		       r->stream[1].gap_bytes >
	       0;
}

/* Keys, each followed by its 4-byte length. */
struct keylist {
	struct sbuf b;
	uint32_t n;
};

/* Moves the key in @k to @kl (and empties @k). */
static void kl_add(struct keylist *kl, struct sbuf *k)
{
	uint32_t len = (uint32_t)k->len;

	if (k->oom) {
		kl->b.oom = true;
		return;
	}
	sb_put(&kl->b, k->p, k->len);
	sb_put(&kl->b, &len, sizeof(len));
	kl->n++;
	k->len = 0;
}

static int kl_insert(const struct keylist *kl, struct strset *set)
{
	const char *end = kl->b.p + kl->b.len;

	/* Walk back from the end: each key is followed by its length. */
	while (kl->n && end > kl->b.p) {
		uint32_t len;

		memcpy(&len, end - sizeof(len), sizeof(len));
		end -= sizeof(len) + len;
		if (strset_add(set, end, len) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* What an event adds to its link, prepared outside the lock. */
struct contrib {
	uint8_t unparsed, l7;
	const char *other;   /* UNP_OTHER: the protocol's name */
	size_t set_off;      /* the link's strset the keys go to */
	struct keylist keys;
	struct keylist bad;  /* names documents can't hold ("table x") */
};

static void add_key(struct contrib *c, struct sbuf *k)
{
	kl_add(&c->keys, k);
}

static void add_bad(struct contrib *c, const char *what, const char *p, size_t n)
{
	struct sbuf k = {0};

	sb_str(&k, what);
	sb_put(&k, p, n);
	kl_add(&c->bad, &k);
	free(k.p);
}

static void http_keys(struct contrib *c, const struct bh_http *h)
{
	struct sbuf k = {0};

	if (!h->method.len || !h->method.p || !h->url_normalized.p)
		return;
	path_pattern(&k, h->url_normalized.p, h->url_normalized.len);
	sb_put(&k, "", 1);
	re_escape(&k, h->method.p, h->method.len);
	add_key(c, &k);
	free(k.p);
	c->l7 |= L7_HTTP;
	c->set_off = offsetof(struct link, http);
}

static void dns_keys(struct contrib *c, const struct bh_dns *d)
{
	struct sbuf k = {0};

	if (d->response || !d->rrname.p || !d->rrname.len)
		return;
	c->l7 |= L7_DNS;
	c->set_off = offsetof(struct link, dns);
	if (!dns_ok(d->rrname.p, d->rrname.len)) {
		add_bad(c, "DNS name ", d->rrname.p, d->rrname.len);
		return;
	}
	sb_put(&k, d->rrname.p, d->rrname.len);
	add_key(c, &k);
	free(k.p);
}

/* Statement kinds and their tables. What a rule can't allow is SQL the
 * engine would deny as unparsed behind any SQL rule (dpi_pol_sql()): a
 * statement cut short, or of a kind the analyser doesn't name. */
static void sql_keys(struct contrib *c, const struct bh_sql *q)
{
	struct sbuf k = {0};

	c->set_off = offsetof(struct link, sql);
	c->l7 |= L7_SQL;
	if (q->truncated)
		c->unparsed |= UNP_SQL;
	if (q->kind && !strcmp(q->kind, "init_db")) { /* MySQL's COM_INIT_DB */
		sb_str(&k, "USE");
		add_key(c, &k);
	}
	for (uint32_t i = 0; i < q->ncommands; i++) {
		const struct bh_sql_command *cmd = &q->commands[i];

		if (!cmd->verb || !dpi_sql_verb_known(cmd->verb)) {
			c->unparsed |= UNP_SQL;
			continue;
		}
		if (!cmd->ntables) {
			sb_str(&k, cmd->verb);
			add_key(c, &k);
		}
		for (uint32_t t = 0; t < cmd->ntables; t++) {
			const struct bh_str *tb = &cmd->tables[t];

			if (!tb->p || !table_ok(tb->p, tb->len)) {
				add_bad(c, "table ", tb->p ? tb->p : "", tb->p ? tb->len : 0);
				continue;
			}
			sb_put(&k, cmd->verb, strlen(cmd->verb) + 1);
			sb_put(&k, tb->p, tb->len);
			add_key(c, &k);
		}
	}
	free(k.p);
}

static void note_unlabelled(struct ctl_learn *l, const struct bh_workload_ref *w)
{
	if (w && !has_labels(w) && w->name &&
	    strset_add(&l->unlabelled, w->name, (uint32_t)strlen(w->name)) < 0)
		l->lost = true;
}

/*
 * Thread-safe: workers call it concurrently; keys are built from the
 * borrowed event first, then one lock covers the lookups and inserts.
 * Everything seen is learned whatever its verdict; a verdict only tells
 * that a denied flow's payload went uninspected.
 */
void ctl_learn_event(struct ctl_learn *l, const struct bh_event *ev)
{
	const struct bh_tuple *t;
	struct contrib c = {0};
	struct sbuf ck = {0}, sk = {0};
	struct link_key lk;
	struct link *ln;
	int64_t cid, sid;
	bool ok = false;

	if (!l || !ev || !ev->has_tuple)
		return;
	t = &ev->tuple;
	if (ev->type == BH_EV_FLOW && t->has_proto && t->proto != IPPROTO_TCP &&
	    t->proto != IPPROTO_UDP) {
		pthread_mutex_lock(&l->lock);
		l->portless++;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	if (!t->has_proto || !t->has_ports || (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP))
		return;
	switch (ev->type) {
	case BH_EV_FLOW: {
		const char *app = flow_app(ev);

		if (t->proto == IPPROTO_TCP && !tcp_answered(&ev->flow))
			return;
		/* Denied before its protocol was known (at its first packet,
		 * in protect mode): not inspected, not unknown. */
		if (!strcmp(app, "unknown") && ev->verdict && ev->verdict->action == BH_ACT_DENY) {
			c.l7 = L7_UNSEEN;
			break;
		}
		if (flow_payload(ev) && !app_has_rules(app)) {
			if (!strcmp(app, "tls"))
				c.unparsed = UNP_TLS;
			else if (!strcmp(app, "unknown"))
				c.unparsed = UNP_UNKNOWN;
			else
				c.unparsed = UNP_OTHER, c.other = app;
		}
		break;
	}
	case BH_EV_HTTP:
		http_keys(&c, &ev->http);
		break;
	case BH_EV_DNS:
		if (ev->dns.response)
			return;
		dns_keys(&c, &ev->dns);
		break;
	case BH_EV_SQL:
		sql_keys(&c, &ev->sql);
		break;
	case BH_EV_ANOMALY:
		/* The table lists may be short: denied as unparsed behind
		 * table rules. */
		if (!ev->anomaly.event || strcmp(ev->anomaly.event, "sql.analysis_incomplete"))
			return;
		c.unparsed = UNP_SQL;
		break;
	default:
		return;
	}
	end_key(&ck, ev->src_workload, t->family, &t->src);
	end_key(&sk, ev->dest_workload, t->family, &t->dst);

	pthread_mutex_lock(&l->lock);
	if (c.keys.b.oom || c.bad.b.oom || ck.oom || sk.oom || kl_insert(&c.bad, &l->bad) < 0)
		goto out;
	note_unlabelled(l, ev->src_workload);
	note_unlabelled(l, ev->dest_workload);
	cid = intern(l, &(struct bstr){ck.p, (uint32_t)ck.len});
	sid = intern(l, &(struct bstr){sk.p, (uint32_t)sk.len});
	if (cid < 0 || sid < 0)
		goto out;
	memset(&lk, 0, sizeof(lk)); /* hashed whole: no stray padding bytes */
	lk.cid = (uint32_t)cid;
	lk.sid = (uint32_t)sid;
	lk.port = t->dport;
	lk.proto = t->proto;
	ln = get_link(l, &lk);
	if (!ln)
		goto out;
	ln->unparsed |= c.unparsed;
	ln->l7 |= c.l7;
	if (c.other && (!ln->other_proto || strcmp(c.other, ln->other_proto) < 0)) {
		char *o = strdup(c.other);

		if (!o)
			goto out;
		free(ln->other_proto);
		ln->other_proto = o;
	}
	ok = !c.keys.n || kl_insert(&c.keys, (struct strset *)((char *)ln + c.set_off)) == 0;
out:
	l->lost |= !ok; /* the output would allow less than was seen */
	pthread_mutex_unlock(&l->lock);
	free(c.keys.b.p);
	free(c.bad.b.p);
	free(ck.p);
	free(sk.p);
}

