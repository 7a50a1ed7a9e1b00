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
 * The output is built as libfyaml nodes and written by fy_emit_document().
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

#include "ctl_learn.h"
#include "bulkhead/bh_policy.h"
#include "bulkhead/dpi.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* Why a link's data can't get L7 rules: with rules on its port the replay
 * would deny that data as unparsed (semantics 9). */
#define UNP_TLS 0x01
#define UNP_UNKNOWN 0x02 /* payload no parser recognised */
#define UNP_OTHER 0x04   /* a protocol the policy has no rules for */
#define UNP_SQL 0x08     /* SQL whose kinds or tables can't be checked */

/* What a link's transactions were (for the comments on L4-only rules). */
#define L7_HTTP 0x01
#define L7_DNS 0x02
#define L7_SQL 0x04
#define L7_UNSEEN 0x08 /* a flow denied before inspection while learning */

/* ------------------------------------------------------------------------
 * Small containers: byte strings, an open-addressing index, a string set.
 */

struct bstr {
	char *p;
	uint32_t len;
};

struct slot {
	uint32_t idx1; /* element index + 1; 0: empty */
	uint32_t hash;
};

struct tab {
	struct slot *s;
	uint32_t cap, n; /* cap: a power of two, or 0 */
};

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

struct strset {
	struct tab t;
	struct bstr *v;
	uint32_t n, cap;
};

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
static int64_t strset_add(struct strset *s, const char *p, uint32_t len)
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

static bool strset_has(struct strset *s, const char *p, uint32_t len)
{
	struct slot *sl = find(s, p, len, hash_bytes(p, len, 0));

	return sl && sl->idx1;
}

static void strset_free(struct strset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->v[i].p);
	free(s->v);
	free(s->t.s);
}

static int cmp_bstr(const void *a, const void *b)
{
	const struct bstr *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The set's elements in byte order (pointers into the set), or NULL with
 * *@ret_n 0 for an empty set; -ENOMEM. */
static int strset_sorted(const struct strset *s, struct bstr **ret)
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

/* An end: a workload by its selector, or an address no labelled workload
 * owns. Interned by its canonical key: 'W' then key NUL value NUL per
 * selector label (in key order), or 'A', the family and 16 address bytes. */
struct ident {
	struct bstr key;             /* in ctl_learn.idkeys */
	bool workload;
	uint32_t nsel;
	const char **sel_k, **sel_v; /* into key */
	char *short_name;            /* app value(s), or "A/32" / "A/128" */
};

struct link {
	uint32_t cid, sid; /* idents */
	uint16_t port;
	uint8_t proto;
	uint8_t unparsed;  /* UNP_* */
	uint8_t l7;        /* L7_*: transactions seen */
	char *other_proto; /* UNP_OTHER: the first name seen (smallest) */
	struct strset http; /* "pattern\0method" */
	struct strset dns;  /* names */
	struct strset sql;  /* "VERB\0table", or "VERB" for a statement without tables */
};

struct link_key {
	uint32_t cid, sid;
	uint16_t port;
	uint8_t proto;
};

struct ctl_learn {
	pthread_mutex_t lock;
	struct strset idkeys;     /* ends by key; ids[] in the same order */
	struct ident *ids;
	uint32_t nids, capids;
	struct strset linkkeys;   /* links by struct link_key; links[] likewise */
	struct link *links;
	uint32_t nlinks, caplinks;
	struct strset unlabelled; /* names of workloads without labels */
	uint64_t portless;        /* flows of ICMP and other protocols without ports */
	struct strset bad;        /* DNS names and tables documents can't hold */
	bool lost;                /* something was dropped for want of memory */
};

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

/* A growable byte buffer for keys and patterns built before taking the
 * lock. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

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

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_chr(struct sbuf *b, char c)
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
	if (family != AF_INET && family != AF_INET6) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		family = memcmp(a->b, mapped, 12) == 0 ? AF_INET : AF_INET6;
	}
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

		if (family == AF_INET)
			inet_ntop(AF_INET, p + 2 + 12, s, sizeof(s));
		else
			inet_ntop(AF_INET6, p + 2, s, sizeof(s));
		sb_str(&sn, s);
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

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

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

/* ------------------------------------------------------------------------
 * Output: the documents as libfyaml nodes.
 */

static int emit_ev(struct fy_emitter *e, struct fy_event *fye)
{
	if (!fye)
		return -ENOMEM;
	return fy_emit_event(e, fye) == 0 ? 0 : -EIO;
}

struct yb {
	struct fy_document *d;
	bool oom;
	bool bad; /* a string didn't survive being written and read back */
};

/* A plain scalar a YAML 1.1 or 1.2 reader would take for null, a boolean
 * or a number: a string with that text must be quoted. */
static bool resolves_to_non_string(const char *s, size_t n)
{
	static const char *const words[] = {"null", "~",  "true", "false", "yes",  "no",
					    "on",   "off", "y",    "n",     ".inf", ".nan"};
	bool digit = false;
	size_t i = 0;

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (strlen(words[w]) == n && strncasecmp(s, words[w], n) == 0)
			return true;
	if (s[0] == '+' || s[0] == '-')
		i = 1;
	if (n - i == 4 && strncasecmp(s + i, ".inf", 4) == 0)
		return true;
	if (n - i > 2 && s[i] == '0' && strchr("xXoObB", s[i + 1])) {
		for (size_t j = i + 2; j < n; j++)
			if (!is_hex(s[j]) && s[j] != '_')
				return false;
		return true;
	}
	/* Decimal, float, exponent, 1.1's sexagesimal 1:20 and 1_000. */
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (!strchr("._:eE+-", s[i]))
			return false;
	}
	return digit;
}

/* Text that reads back as the same string when written plain: a
 * conservative set (names, addresses, regexes without brackets) rather
 * than YAML's whole plain-scalar grammar. */
static bool plain_ok(const char *s, size_t n)
{
	if (!n || resolves_to_non_string(s, n))
		return false;
	if (!is_alnum(s[0]) && !strchr("/_.", s[0]))
		return false;
	if (s[n - 1] == ':')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !memchr("_./-+\\()|^$?*:@=~", s[i], 18))
			return false;
	return true;
}

/* A scalar node with a quoted style, all formatting done by libfyaml: the
 * emitter writes it (single quotes for printable ASCII, else double
 * quotes with escapes), the parser builds the node from that text, and
 * the result is checked to read back as @s. */
static struct fy_node *y_quoted(struct yb *b, const char *s, size_t n)
{
	struct fy_emitter *e = fy_emit_to_string(FYECF_MODE_ORIGINAL | FYECF_WIDTH_INF |
						 FYECF_DOC_START_MARK_OFF |
						 FYECF_DOC_END_MARK_OFF | FYECF_NO_ENDING_NEWLINE);
	enum fy_scalar_style st = FYSS_SINGLE_QUOTED;
	struct fy_node *v = NULL;
	const char *back;
	size_t len, blen;
	char *txt = NULL;
	int r = 0;

	if (!e)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			st = FYSS_DOUBLE_QUOTED;
	r = emit_ev(e, fy_emit_event_create(e, FYET_STREAM_START));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_DOCUMENT_START, 1, NULL, NULL));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_SCALAR, st, s, n, NULL, NULL));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_DOCUMENT_END, 1));
	if (!r)
		r = emit_ev(e, fy_emit_event_create(e, FYET_STREAM_END));
	if (!r)
		txt = fy_emit_to_string_collect(e, &len);
	if (txt) /* len counts the NUL */
		v = fy_node_build_from_malloc_string(b->d, txt, strlen(txt)); /* owns txt */
	back = v ? fy_node_get_scalar(v, &blen) : NULL;
	if (v && (!back || blen != n || memcmp(back, s, n) != 0)) {
		fy_node_free(v);
		v = NULL;
		b->bad = true;
	}
out:
	fy_emitter_destroy(e);
	if (!v)
		b->oom = true;
	return v;
}

static struct fy_node *y_str(struct yb *b, const char *s, size_t n)
{
	struct fy_node *v;

	if (b->oom)
		return NULL;
	if (!plain_ok(s, n))
		return y_quoted(b, s, n);
	v = fy_node_create_scalar_copy(b->d, s, n);
	if (!v)
		b->oom = true;
	return v;
}

/* A number: plain, so that it reads back as one. */
static struct fy_node *y_num(struct yb *b, const char *s)
{
	struct fy_node *v;

	if (b->oom)
		return NULL;
	v = fy_node_create_scalar_copy(b->d, s, strlen(s));
	if (!v)
		b->oom = true;
	return v;
}

static struct fy_node *y_cstr(struct yb *b, const char *s)
{
	return y_str(b, s, strlen(s));
}

static struct fy_node *y_coll(struct yb *b, bool map)
{
	struct fy_node *v;

	if (b->oom)
		return NULL;
	v = map ? fy_node_create_mapping(b->d) : fy_node_create_sequence(b->d);
	if (!v)
		b->oom = true;
	return v;
}

/* Appends @val to the mapping @m under @key; takes @val (freed on failure). */
static void y_put(struct yb *b, struct fy_node *m, const char *key, struct fy_node *val)
{
	struct fy_node *k = y_cstr(b, key);

	if (!b->oom && m && val && fy_node_mapping_append(m, k, val) == 0)
		return;
	b->oom = true;
	fy_node_free(k);
	fy_node_free(val);
}

static void y_add(struct yb *b, struct fy_node *s, struct fy_node *val)
{
	if (!b->oom && s && val && fy_node_sequence_append(s, val) == 0)
		return;
	b->oom = true;
	fy_node_free(val);
}

static struct fy_node *y_selector(struct yb *b, const struct ident *id)
{
	struct fy_node *sel = y_coll(b, true), *ml = y_coll(b, true);

	for (uint32_t i = 0; i < id->nsel; i++)
		y_put(b, ml, id->sel_k[i], y_cstr(b, id->sel_v[i]));
	y_put(b, sel, "matchLabels", ml);
	return sel;
}

static struct fy_node *y_peer(struct yb *b, const struct ident *id)
{
	struct fy_node *p = y_coll(b, true);

	if (id->workload)
		y_put(b, p, "selector", y_selector(b, id));
	else
		y_put(b, p, "cidr", y_cstr(b, id->short_name));
	return p;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "TCP" : "UDP";
}

/* http: one entry per path pattern, its methods as one alternation. */
static int y_http(struct yb *b, struct fy_node *rules, const struct strset *set)
{
	struct fy_node *seq = y_coll(b, false);
	struct bstr *v;
	struct sbuf meth = {0};
	int r = strset_sorted(set, &v);

	if (r < 0) {
		fy_node_free(seq);
		return r;
	}
	for (uint32_t i = 0; i < set->n;) {
		const char *path = v[i].p;
		uint32_t j;
		struct fy_node *e = y_coll(b, true);

		meth.len = 0;
		for (j = i; j < set->n && strcmp(v[j].p, path) == 0; j++) {
			if (j > i)
				sb_chr(&meth, '|');
			sb_str(&meth, v[j].p + strlen(v[j].p) + 1);
		}
		if (meth.oom)
			b->oom = true;
		y_put(b, e, "method", meth.oom ? NULL : y_str(b, meth.p, meth.len));
		y_put(b, e, "path", y_cstr(b, path));
		y_add(b, seq, e);
		i = j;
	}
	free(meth.p);
	free(v);
	y_put(b, rules, "http", seq);
	return 0;
}

static int y_dns(struct yb *b, struct fy_node *rules, const struct strset *set)
{
	struct fy_node *seq = y_coll(b, false);
	struct bstr *v;
	int r = strset_sorted(set, &v);

	if (r < 0) {
		fy_node_free(seq);
		return r;
	}
	for (uint32_t i = 0; i < set->n; i++) {
		struct fy_node *e = y_coll(b, true);

		y_put(b, e, "matchName", y_str(b, v[i].p, v[i].len));
		y_add(b, seq, e);
	}
	free(v);
	y_put(b, rules, "dns", seq);
	return 0;
}

/* One statement kind and the tables it was seen on (none: only without). */
struct verb_tables {
	const char *verb;
	const struct bstr *t; /* "VERB\0table" keys; the table after the NUL */
	uint32_t nt;
	bool done;
};

static bool same_tables(const struct verb_tables *x, const struct verb_tables *y)
{
	if (x->nt != y->nt)
		return false;
	for (uint32_t i = 0; i < x->nt; i++) {
		size_t vx = strlen(x->verb) + 1, vy = strlen(y->verb) + 1;

		if (x->t[i].len - vx != y->t[i].len - vy ||
		    memcmp(x->t[i].p + vx, y->t[i].p + vy, x->t[i].len - vx) != 0)
			return false;
	}
	return true;
}

/* sql: per statement kind the set of its tables; kinds with the same set
 * share an entry. A kind also seen without tables needs nothing more: a
 * statement naming no table has no table to refuse (semantics 6). Kinds
 * never seen with a table (BEGIN, SET, ...) share one entry without
 * tables. Entries are in the order of their first kind. */
static int y_sql(struct yb *b, struct fy_node *rules, const struct strset *set)
{
	struct verb_tables *vt = NULL;
	uint32_t nvt = 0;
	struct bstr *v;
	struct fy_node *sql, *allow;
	int r = strset_sorted(set, &v);

	if (r < 0)
		return r;
	vt = calloc(set->n, sizeof(*vt));
	if (!vt) {
		free(v);
		return -ENOMEM;
	}
	/* Sorted keys: a kind's "VERB" (if any) comes right before its
	 * "VERB\0table" keys, which are in table order. */
	for (uint32_t i = 0; i < set->n; i++) {
		const char *verb = v[i].p;
		bool with_table = strlen(verb) < v[i].len;

		if (!nvt || strcmp(vt[nvt - 1].verb, verb) != 0)
			vt[nvt++] = (struct verb_tables){.verb = verb};
		if (with_table) {
			if (!vt[nvt - 1].nt)
				vt[nvt - 1].t = &v[i];
			vt[nvt - 1].nt++;
		}
	}
	sql = y_coll(b, true);
	allow = y_coll(b, false);
	for (uint32_t i = 0; i < nvt; i++) {
		struct fy_node *e, *stm, *tbl;

		if (vt[i].done)
			continue;
		e = y_coll(b, true);
		stm = y_coll(b, false);
		for (uint32_t j = i; j < nvt; j++) {
			if (vt[j].done || !same_tables(&vt[i], &vt[j]))
				continue;
			vt[j].done = true;
			y_add(b, stm, y_cstr(b, vt[j].verb));
		}
		y_put(b, e, "statements", stm);
		if (vt[i].nt) {
			size_t vl = strlen(vt[i].verb) + 1;

			tbl = y_coll(b, false);
			for (uint32_t k = 0; k < vt[i].nt; k++)
				y_add(b, tbl, y_str(b, vt[i].t[k].p + vl, vt[i].t[k].len - vl));
			y_put(b, e, "tables", tbl);
		}
		y_add(b, allow, e);
	}
	y_put(b, sql, "allow", allow);
	y_put(b, rules, "sql", sql);
	free(vt);
	free(v);
	return 0;
}

/* A rule of a policy being written: the link and which end is the peer. */
struct out_rule {
	const struct link *ln;
	const struct ident *peer;
	char *name;
};

struct out_policy {
	const struct ident *id;
	char *name;
	struct out_rule *rules[2]; /* [0] ingress, [1] egress */
	uint32_t nrules[2], caprules[2];
};

static const char *const dir_name[2] = {"ingress", "egress"};

static struct fy_node *y_rule(struct yb *b, const struct out_rule *or, bool egress, int *err)
{
	const struct link *ln = or->ln;
	struct fy_node *rule = y_coll(b, true), *peers = y_coll(b, false);
	struct fy_node *ports = y_coll(b, false), *port = y_coll(b, true);
	char num[8];

	y_put(b, rule, "name", y_cstr(b, or->name));
	y_add(b, peers, y_peer(b, or->peer));
	y_put(b, rule, egress ? "to" : "from", peers);
	snprintf(num, sizeof(num), "%u", ln->port);
	y_put(b, port, "port", y_num(b, num));
	y_put(b, port, "protocol", y_cstr(b, proto_name(ln->proto)));
	y_add(b, ports, port);
	y_put(b, rule, "ports", ports);
	if (!ln->unparsed && (ln->http.n || ln->dns.n || ln->sql.n)) {
		struct fy_node *rules = y_coll(b, true);

		if (!*err && ln->http.n)
			*err = y_http(b, rules, &ln->http);
		if (!*err && ln->dns.n)
			*err = y_dns(b, rules, &ln->dns);
		if (!*err && ln->sql.n)
			*err = y_sql(b, rules, &ln->sql);
		y_put(b, rule, "rules", rules);
	}
	return rule;
}

static struct fy_document *y_policy(const struct out_policy *op, int *err)
{
	/* Quiet: y_quoted() checks what the parser makes of its text. */
	const struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET};
	struct yb b = {.d = fy_document_create(&pcfg)};
	struct fy_node *root, *meta, *spec;

	if (!b.d) {
		*err = -ENOMEM;
		return NULL;
	}
	root = y_coll(&b, true);
	meta = y_coll(&b, true);
	spec = y_coll(&b, true);
	y_put(&b, root, "apiVersion", y_cstr(&b, "bulkhead/v1"));
	y_put(&b, root, "kind", y_cstr(&b, "WorkloadPolicy"));
	y_put(&b, meta, "name", y_cstr(&b, op->name));
	y_put(&b, root, "metadata", meta);
	y_put(&b, spec, "selector", y_selector(&b, op->id));
	y_put(&b, spec, "mode", y_cstr(&b, "protect"));
	/* Both lists, empty ones too: a direction in which nothing was seen
	 * allows nothing (semantics 1), which is exactly what was seen. */
	for (unsigned d = 0; d < 2; d++) {
		struct fy_node *list = y_coll(&b, false);

		for (uint32_t i = 0; i < op->nrules[d]; i++)
			y_add(&b, list, y_rule(&b, &op->rules[d][i], d == 1, err));
		y_put(&b, spec, dir_name[d], list);
	}
	y_put(&b, root, "spec", spec);
	if (!b.oom && !*err && fy_document_set_root(b.d, root) == 0)
		return b.d;
	fy_node_free(root);
	fy_document_destroy(b.d);
	if (!*err)
		*err = b.bad ? -EINVAL : -ENOMEM;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Output: emitting the documents.
 */

struct out_ctx {
	FILE *f;
	char last; /* the last byte written */
};

static int out_fp(struct fy_emitter *e, enum fy_emitter_write_type type, const char *str, int len,
		  void *userdata)
{
	struct out_ctx *o = userdata;

	(void)e;
	(void)type;
	if (len <= 0)
		return 0;
	o->last = str[len - 1];
	return (int)fwrite(str, 1, (size_t)len, o->f);
}

static int emit_doc(struct fy_document *d, FILE *out)
{
	struct out_ctx o = {.f = out};
	struct fy_emitter_cfg cfg = {
		.flags = FYECF_MODE_ORIGINAL | FYECF_WIDTH_INF | FYECF_INDENT_2 |
			 FYECF_DOC_START_MARK_ON | FYECF_DOC_END_MARK_OFF,
		.output = out_fp,
		.userdata = &o,
	};
	struct fy_emitter *e = fy_emitter_create(&cfg);
	int r;

	if (!e)
		return -ENOMEM;
	r = fy_emit_document(e, d) == 0 ? 0 : -EIO;
	fy_emitter_destroy(e);
	/* The next document's comments need a line of their own. */
	if (!r && o.last != '\n')
		fputc('\n', out);
	return r;
}

/* A comment line: no line breaks or other control bytes from names, and
 * ASCII only (a YAML stream must be valid UTF-8; names may not be). */
static void comment(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void comment(FILE *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	fprintf(out, "# %s\n", line);
}

static const char *l7_names(uint8_t l7, char *buf, size_t len)
{
	l7 &= L7_HTTP | L7_DNS | L7_SQL;
	snprintf(buf, len, "%s%s%s%s%s", l7 & L7_HTTP ? "HTTP" : "",
		 (l7 & L7_HTTP) && (l7 & (L7_DNS | L7_SQL)) ? " and " : "", l7 & L7_DNS ? "DNS" : "",
		 (l7 & L7_DNS) && (l7 & L7_SQL) ? " and " : "", l7 & L7_SQL ? "SQL" : "");
	return buf;
}

static void unparsed_names(const struct link *ln, char *buf, size_t len)
{
	static const char *const names[] = {"TLS", "payload of no known protocol", NULL,
					    "SQL whose kinds or tables can't be checked (a "
					    "statement of no known kind, or cut short, or too "
					    "complex to list its tables)"};
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 4; i++) {
		const char *n = i == 2 ? ln->other_proto : names[i];

		if (!(ln->unparsed & (1u << i)) || !n)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
		if (used >= len)
			break;
	}
}

static void unparsed_comments(FILE *out, const struct out_policy *op)
{
	for (unsigned d = 0; d < 2; d++)
		for (uint32_t i = 0; i < op->nrules[d]; i++) {
			const struct link *ln = op->rules[d][i].ln;
			char what[192], l7[32];

			if (!ln->unparsed && ln->l7 == L7_UNSEEN)
				comment(out,
					"%s %s: L4 only: its flows were denied before inspection "
					"while learning (learn in monitor or learn mode to see "
					"their L7).",
					dir_name[d], op->rules[d][i].name);
			if (!ln->unparsed)
				continue;
			unparsed_names(ln, what, sizeof(what));
			if ((ln->l7 & ~L7_UNSEEN) && (ln->unparsed & ~UNP_SQL))
				comment(out,
					"%s %s: L4 only: %s seen beside %s; behind %s rules it "
					"would be denied as unparsed.",
					dir_name[d], op->rules[d][i].name, what,
					l7_names(ln->l7, l7, sizeof(l7)), l7);
			else
				comment(out,
					"%s %s: L4 only: %s seen, which no L7 rule can inspect; "
					"behind L7 rules it would be denied as unparsed.",
					dir_name[d], op->rules[d][i].name, what);
		}
}

static int cmp_rule(const void *a, const void *b)
{
	const struct out_rule *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : cmp_bstr(&x->peer->key, &y->peer->key);
}

static int cmp_policy(const void *a, const void *b)
{
	const struct out_policy *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : cmp_bstr(&x->id->key, &y->id->key);
}

/* "learned-<peer>[-<port>-<proto>]" as the loader takes object names
 * (Kubernetes' DNS-1123 subdomains): lower case, anything but letters,
 * digits and dots between them becomes '-' ("10.0.0.9/32" gives
 * "10.0.0.9-32", "fd00::9/128" "fd00--9-128"). */
static char *make_name(const char *peer, const struct link *ln)
{
	struct sbuf b = {0};
	char tail[24] = "";

	sb_str(&b, "learned-");
	sb_str(&b, peer);
	if (ln) {
		snprintf(tail, sizeof(tail), "-%u-%s", ln->port,
			 ln->proto == IPPROTO_TCP ? "tcp" : "udp");
		sb_str(&b, tail);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (b.len > 253) {
		memmove(b.p + 253 - strlen(tail), b.p + b.len - strlen(tail), strlen(tail) + 1);
		b.len = 253;
	}
	for (size_t i = 0; i < b.len; i++) {
		char c = b.p[i];

		if (c >= 'A' && c <= 'Z')
			b.p[i] = (char)(c - 'A' + 'a');
		else if (c == '.' && !(i + 1 < b.len && is_alnum(b.p[i + 1]) && is_alnum(b.p[i - 1])))
			b.p[i] = '-';
		else if (!is_alnum(c) && c != '.')
			b.p[i] = '-';
	}
	while (b.p[b.len - 1] == '-')
		b.p[--b.len] = '\0';
	return b.p;
}

/* Names are sorted; equal ones (two selectors with the same app value,
 * "app" and "app.kubernetes.io/name") get -2, -3, ... in key order. Each
 * element starts with its char *name at offset @off. */
static int dedup_names(void *base, uint32_t n, size_t size, size_t off)
{
	struct strset seen = {0};
	int r = 0;

	for (uint32_t i = 0; i < n && !r; i++) {
		char **name = (char **)((char *)base + i * size + off);

		if (strset_has(&seen, *name, (uint32_t)strlen(*name))) {
			struct sbuf b = {0};

			for (unsigned k = 2; !b.oom; k++) {
				char sfx[16];

				b.len = 0;
				sb_str(&b, *name);
				snprintf(sfx, sizeof(sfx), "-%u", k);
				sb_str(&b, sfx);
				if (!b.oom && !strset_has(&seen, b.p, (uint32_t)b.len))
					break;
			}
			if (b.oom) {
				free(b.p);
				r = -ENOMEM;
				break;
			}
			free(*name);
			*name = b.p;
		}
		if (strset_add(&seen, *name, (uint32_t)strlen(*name)) < 0)
			r = -ENOMEM;
	}
	strset_free(&seen);
	return r;
}

static int add_rule(struct out_policy *op, unsigned d, const struct link *ln,
		    const struct ident *peer)
{
	struct out_rule *nr;

	if (op->nrules[d] == op->caprules[d]) {
		uint32_t nc = op->caprules[d] ? op->caprules[d] * 2 : 4;

		nr = realloc(op->rules[d], nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		op->rules[d] = nr;
		op->caprules[d] = nc;
	}
	nr = &op->rules[d][op->nrules[d]];
	nr->ln = ln;
	nr->peer = peer;
	nr->name = make_name(peer->short_name, ln);
	if (!nr->name)
		return -ENOMEM;
	op->nrules[d]++;
	return 0;
}

static void free_policies(struct out_policy *ops, uint32_t n)
{
	if (!ops)
		return;
	for (uint32_t i = 0; i < n; i++) {
		for (unsigned d = 0; d < 2; d++) {
			for (uint32_t j = 0; j < ops[i].nrules[d]; j++)
				free(ops[i].rules[d][j].name);
			free(ops[i].rules[d]);
		}
		free(ops[i].name);
	}
	free(ops);
}

/* The policies to write, sorted, their rules sorted and named. Locked. */
static int plan(struct ctl_learn *l, struct out_policy **ret, uint32_t *ret_n, uint64_t *ret_world)
{
	uint32_t *pol_of = NULL, n = 0;
	struct out_policy *ops = NULL;
	uint64_t world = 0;
	int r = 0;

	pol_of = calloc(l->nids ? l->nids : 1, sizeof(*pol_of)); /* policy index + 1 */
	ops = calloc(l->nids ? l->nids : 1, sizeof(*ops));
	if (!pol_of || !ops) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < l->nlinks; i++) {
		const struct link *ln = &l->links[i];
		const uint32_t end[2] = {ln->sid, ln->cid}; /* whose ingress, whose egress */
		const uint32_t peer[2] = {ln->cid, ln->sid};

		if (!l->ids[ln->cid].workload && !l->ids[ln->sid].workload) {
			world++;
			continue;
		}
		for (unsigned d = 0; d < 2; d++) {
			const struct ident *id = &l->ids[end[d]];

			if (!id->workload)
				continue;
			if (!pol_of[end[d]]) {
				ops[n].id = id;
				ops[n].name = make_name(id->short_name, NULL);
				if (!ops[n].name) {
					r = -ENOMEM;
					goto out;
				}
				pol_of[end[d]] = ++n;
			}
			r = add_rule(&ops[pol_of[end[d]] - 1], d, ln, &l->ids[peer[d]]);
			if (r < 0)
				goto out;
		}
	}
	if (n)
		qsort(ops, n, sizeof(*ops), cmp_policy);
	r = dedup_names(ops, n, sizeof(*ops), offsetof(struct out_policy, name));
	for (uint32_t i = 0; i < n && !r; i++)
		for (unsigned d = 0; d < 2 && !r; d++) {
			if (ops[i].nrules[d])
				qsort(ops[i].rules[d], ops[i].nrules[d], sizeof(struct out_rule),
				      cmp_rule);
			r = dedup_names(ops[i].rules[d], ops[i].nrules[d], sizeof(struct out_rule),
					offsetof(struct out_rule, name));
		}
	if (r < 0)
		goto out;
	*ret = ops;
	*ret_n = n;
	*ret_world = world;
	ops = NULL;
	r = 0;
out:
	free_policies(ops, n);
	free(pol_of);
	return r;
}

#define LIST_MAX 20 /* names listed in a comment */

static int header(FILE *out, struct ctl_learn *l, uint32_t npol, uint64_t world)
{
	struct bstr *v = NULL;

	comment(out, "WorkloadPolicy documents learned by bulkhead: each allows exactly the flows");
	comment(out, "and transactions seen, whatever was decided while they were seen.");
	if (l->portless)
		comment(out, "ICMP is not learned: rules name ports, and ICMP has none (%llu "
			     "flow(s) of ICMP or other protocols without ports left out).",
			(unsigned long long)l->portless);
	else
		comment(out, "ICMP is not learned: rules name ports, and ICMP has none.");
	if (world)
		comment(out, "%llu client/server pair(s) with no workload at either end were left out.",
			(unsigned long long)world);
	if (strset_sorted(&l->bad, &v) < 0)
		return -ENOMEM;
	if (l->bad.n)
		comment(out, "Names policy documents can't hold were left out (what used them stays "
			     "denied):");
	for (uint32_t i = 0; i < l->bad.n && i < LIST_MAX; i++)
		comment(out, "  %s", v[i].p);
	if (l->bad.n > LIST_MAX)
		comment(out, "  and %u more", l->bad.n - LIST_MAX);
	free(v);
	if (strset_sorted(&l->unlabelled, &v) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < l->unlabelled.n; i++)
		comment(out, "Workload %s has no labels: no policy can select it alone; its peers' "
			     "rules name its addresses.", v[i].p);
	free(v);
	if (!npol)
		comment(out, "No workload was seen in a flow: nothing to write (the events need "
			     "workload identities, e.g. replay --policy with Workload documents).");
	return 0;
}

/* The whole output into @out (a memory stream). Locked. */
static int render(struct ctl_learn *l, FILE *out, char *err, size_t errlen)
{
	struct out_policy *ops = NULL;
	uint32_t n = 0;
	uint64_t world = 0;
	int r = plan(l, &ops, &n, &world);

	if (r == 0)
		r = header(out, l, n, world);
	if (r < 0)
		snprintf(err, errlen, "building the learned policy: %s", strerror(-r));
	for (uint32_t i = 0; i < n && r == 0; i++) {
		struct fy_document *d = y_policy(&ops[i], &r);

		if (!d) {
			snprintf(err, errlen, "building policy %s: %s", ops[i].name, strerror(-r));
			break;
		}
		unparsed_comments(out, &ops[i]);
		r = emit_doc(d, out);
		fy_document_destroy(d);
		if (r < 0)
			snprintf(err, errlen, "emitting policy %s: %s", ops[i].name, strerror(-r));
	}
	free_policies(ops, n);
	return r;
}

/*
 * Thread-safe: the output is built in memory under the lock (events wait
 * meanwhile), then written without it, so a slow @out never holds up the
 * workers. Comments first, then one document per policy in name order.
 * Returns 0; -ENOMEM (also when events were dropped earlier for want of
 * memory: the output would allow less than was seen); -EINVAL if a string
 * can't be written so that it reads back the same (not expected); or the
 * errno of writing to @out. @err gets a message.
 */
int ctl_learn_write(struct ctl_learn *l, FILE *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	if (errlen)
		err[0] = '\0';
	mem = open_memstream(&text, &len);
	if (!mem) {
		snprintf(err, errlen, "building the learned policy: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_lock(&l->lock);
	if (l->lost) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory while learning: some events were lost");
	} else {
		r = render(l, mem, err, errlen);
	}
	pthread_mutex_unlock(&l->lock);
	if (fclose(mem) != 0 && r == 0) {
		r = -ENOMEM;
		snprintf(err, errlen, "building the learned policy: %s", strerror(ENOMEM));
	}
	if (r == 0) {
		errno = 0;
		if (fwrite(text, 1, len, out) != len || fflush(out) != 0) {
			int e = errno ? errno : EIO;

			r = -e;
			snprintf(err, errlen, "writing the learned policy: %s", strerror(e));
		}
	}
	free(text);
	return r;
}
