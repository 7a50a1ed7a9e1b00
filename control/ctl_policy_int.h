/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy_int.h - what the files of the policy loader share.
 *
 *   ctl_policy.c        the API, the loader's state, errors, memory, files
 *   ctl_policy_yaml.c   libfyaml events -> one tree per document
 *   ctl_policy_tree.c   typed access to the tree: fields, strings, ports
 *   ctl_policy_check.c  checks of values: names, labels, CIDRs, DNS names
 *   ctl_policy_doc.c    Workload and WorkloadPolicy documents, their rules
 *   ctl_policy_l7.c     the http, dns and sql entries of a rule
 *
 * A loader belongs to one call of ctl_policy_load(): nothing here is shared
 * between calls, so the loader is thread-safe as a whole.
 */
#ifndef CTL_POLICY_INT_H
#define CTL_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_policy.h"

#define CTL_POLICY_MAX_INPUT  (16u << 20) /* bytes of one file or buffer */
#define CTL_POLICY_MAX_DEPTH  32u         /* nesting; the model needs 12 */
#define CTL_POLICY_MAX_NODES  (2u << 20)  /* scalars and containers of a document */
#define CTL_POLICY_MAX_ERRORS 100u
#define CTL_POLICY_MAX_FIELDS 8u          /* keys of one mapping of the model */
#define CTL_POLICY_SHOW_MAX   64u         /* bytes of a user's string in a message */
#define CTL_POLICY_SHOW_BUF   (CTL_POLICY_SHOW_MAX * 4 + 8)
#define CTL_POLICY_WHERE_BUF  320u        /* "FILE:LINE:COL" of an earlier definition */

/* Memory freed all at once; blocks are zeroed. */
struct ctl_policy_chunk;
struct ctl_policy_arena {
	struct ctl_policy_chunk *head;
};

/* @n zeroed bytes aligned for anything, or NULL when out of memory. */
void *ctl_policy_arena_alloc(struct ctl_policy_arena *a, size_t n);
void ctl_policy_arena_free(struct ctl_policy_arena *a);

/* A document as read: in a mapping, keys and values alternate in @kids. */
enum ctl_policy_ntype { CTL_PN_SCALAR, CTL_PN_MAP, CTL_PN_SEQ };

struct ctl_policy_node {
	struct ctl_policy_node *next, *kids;
	const char *text;  /* scalar: NUL-terminated, may hold NULs (see len) */
	uint32_t len;      /* scalar: bytes; container: children */
	uint32_t line, col;
	uint8_t type;      /* enum ctl_policy_ntype */
	bool plain;        /* scalar written without quotes: may be a number */
	bool reported;     /* wrong already (an alias): say nothing more of it */
};

/* Names already defined, and where: duplicates are errors. */
struct ctl_policy_names {
	struct ctl_policy_name {
		const char *name;
		struct bh_loc loc;
	} *e;
	size_t n, cap;
};

struct ctl_policy_err;

struct ctl_policy_loader {
	struct ctl_policy *out;          /* the result; its arena holds everything */
	const char *file;                /* in the result's arena: locs point at it */
	ctl_policy_error_fn err;
	void *err_ctx;
	struct ctl_policy_err *errs;     /* the current file's, reported at its end */
	size_t nerrs, caperrs;
	unsigned found;                  /* errors found, every file */
	int file_errno;                  /* the first file that could not be read */
	bool oom, stop, said_too_many;
	struct bh_workload *wl;          /* grown while reading, then copied */
	size_t nwl, capwl;
	struct bh_policy *pol;
	size_t npol, cappol;
	struct ctl_policy_names wl_names, pol_names, rule_names, keys;
};

/* ctl_policy.c. Allocations in the result; on failure they set l->oom and
 * l->stop and return NULL. */
void *ctl_policy_alloc(struct ctl_policy_loader *l, size_t n, size_t size); /* NULL for n 0 */
char *ctl_policy_strdup(struct ctl_policy_loader *l, const char *s, size_t len);
__attribute__((format(printf, 3, 4))) void
ctl_policy_err(struct ctl_policy_loader *l, const struct ctl_policy_node *at, const char *fmt, ...);
/* line 0: about the whole file ("FILE: message"). */
__attribute__((format(printf, 4, 5))) void
ctl_policy_err_lc(struct ctl_policy_loader *l, uint32_t line, uint32_t col, const char *fmt, ...);
/* @len bytes of @s fit for a message (CTL_POLICY_SHOW_BUF bytes of @buf):
 * at most CTL_POLICY_SHOW_MAX, anything but printable ASCII escaped. */
const char *ctl_policy_show(char *buf, const char *s, size_t len);
struct bh_loc ctl_policy_loc(const struct ctl_policy_loader *l, const struct ctl_policy_node *n);
/* @name (kept, not copied), written at @at, must be new in @set; else
 * "duplicate @what `name` (first at ...)" is reported. */
bool ctl_policy_unique(struct ctl_policy_loader *l, struct ctl_policy_names *set, const char *what,
		       const char *name, const struct ctl_policy_node *at);
void ctl_policy_names_clear(struct ctl_policy_names *set);
void ctl_policy_add_workload(struct ctl_policy_loader *l, const struct bh_workload *w);
void ctl_policy_add_policy(struct ctl_policy_loader *l, const struct bh_policy *p);

/* ctl_policy_yaml.c: reads every document of @buf (YAML, or JSON when
 * @json) into ctl_policy_doc_read(). */
void ctl_policy_yaml_read(struct ctl_policy_loader *l, const char *buf, size_t len, bool json);

/* ctl_policy_tree.c. @subject starts the messages: "`ports`", "an entry of
 * `ports`". Each returns false or NULL after reporting. */
enum ctl_policy_kind { CTL_PK_NULL, CTL_PK_BOOL, CTL_PK_INT, CTL_PK_FLOAT, CTL_PK_STR };

struct ctl_policy_schema {
	const char *what;          /* "an ingress rule", for unknown keys */
	const char *const *keys;   /* NULL-terminated, at most CTL_POLICY_MAX_FIELDS */
	const char *alien;         /* a key with a message of its own, or NULL */
	const char *alien_msg;
};

struct ctl_policy_fields {
	const struct ctl_policy_node *key[CTL_POLICY_MAX_FIELDS], *val[CTL_POLICY_MAX_FIELDS];
};

enum ctl_policy_kind ctl_policy_tree_kind(const struct ctl_policy_node *n);
const char *ctl_policy_tree_type(const struct ctl_policy_node *n); /* "a list", ... */
bool ctl_policy_tree_want(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  enum ctl_policy_ntype type, const char *subject);
const char *ctl_policy_tree_str(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
				const char *subject);
/* A list; when @empty_msg is given, an empty one is reported with it. */
bool ctl_policy_tree_list(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  const char *subject, const char *empty_msg);
bool ctl_policy_tree_key(struct ctl_policy_loader *l, const struct ctl_policy_node *k);
/* Sorts the pairs of the mapping @map into @f by the keys of @s. */
bool ctl_policy_tree_fields(struct ctl_policy_loader *l, const struct ctl_policy_node *map,
			    const char *subject, const struct ctl_policy_schema *s,
			    struct ctl_policy_fields *f);
const struct ctl_policy_node *ctl_policy_tree_lookup(const struct ctl_policy_node *map,
						     const char *name);
/* Index of the string @n in @names, or -1: "unknown @what `x`; expected
 * @expect" is reported. */
int ctl_policy_tree_enum(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			 const char *subject, const char *what, const char *const *names,
			 const char *expect);
/* A port number 1..65535 written as a plain integer; @field names it. */
bool ctl_policy_tree_port(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			  const char *field, uint16_t *ret);

/* ctl_policy_check.c: checks of values, on plain strings. */
bool ctl_policy_check_name(const char *s, size_t n); /* DNS-1123 subdomain */
bool ctl_policy_check_label_key(const char *k);
bool ctl_policy_check_label_value(const char *v);
bool ctl_policy_check_ifname(const char *s);
bool ctl_policy_check_http_token(const char *s);
/* "ADDR" or "ADDR/LEN" into *@c (IPv4 mapped). NULL, or the problem (maybe
 * written into @why). */
const char *ctl_policy_check_cidr(const char *text, struct bh_cidr *c, char *why, size_t whysize);
bool ctl_policy_check_inside(const struct bh_cidr *in, const struct bh_cidr *out);
void ctl_policy_check_format_cidr(char *buf, size_t size, const struct bh_cidr *c);
/* matchName or matchPattern @s lower-cased, its trailing dot stripped, into
 * @out (strlen(@s) + 1 bytes). NULL, or the problem. */
const char *ctl_policy_check_dns(const char *s, bool pattern, char *out);
/* A table, lower-cased into @out (strlen(@s) + 1 bytes). */
bool ctl_policy_check_table(const char *s, char *out);
/* An SQL statement kind, upper-cased into @out (33 bytes). */
bool ctl_policy_check_verb(const char *s, char *out);

/* ctl_policy_doc.c: one document's tree (a mapping, a list of them, or
 * empty). */
void ctl_policy_doc_read(struct ctl_policy_loader *l, const struct ctl_policy_node *root);

/* ctl_policy_l7.c: the `rules` of @r, whose ports are read already. */
void ctl_policy_l7_read(struct ctl_policy_loader *l, const struct ctl_policy_node *n,
			struct bh_rule *r);

#endif
