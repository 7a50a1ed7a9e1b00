/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_learn_int.h - inside the learner: what ctl_learn.c collects from
 * events (ends, links and their L7 keys) and ctl_learn_yaml.c writes out.
 */
#ifndef CTL_LEARN_INT_H
#define CTL_LEARN_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct strset {
	struct tab t;
	struct bstr *v;
	uint32_t n, cap;
};

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

/* A growable byte buffer for keys and patterns built before taking the
 * lock. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static inline bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int64_t strset_add(struct strset *s, const char *p, uint32_t len);
bool strset_has(struct strset *s, const char *p, uint32_t len);
void strset_free(struct strset *s);
int cmp_bstr(const void *a, const void *b);
int strset_sorted(const struct strset *s, struct bstr **ret);
void sb_str(struct sbuf *b, const char *s);
void sb_chr(struct sbuf *b, char c);

#endif
