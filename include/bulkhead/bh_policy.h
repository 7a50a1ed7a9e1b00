/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bh_policy.h - policy documents as data, and the verdict record.
 *
 * control/ reads Workload and WorkloadPolicy documents (YAML or JSON, see
 * ../shared/policy-model.md) into the plain structures below; dpi/ compiles
 * them into an immutable snapshot (dpi_policy_new(), dpi.h) and evaluates
 * flows and transactions against it. Every element carries the place it was
 * read from, so errors found while compiling (a regex Hyperscan refuses, a
 * shadowed L7 rule) name file, line and column like the loader's own.
 *
 * The structures are read-only to the compiler; it copies what it keeps, so a
 * document can be freed as soon as the snapshot is built.
 */
#ifndef BULKHEAD_BH_POLICY_H
#define BULKHEAD_BH_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/bh_event.h"

/* Where an element was read: 1-based line and column; file may be NULL
 * (then line and col are 0 too: built by a program, not read). */
struct bh_loc {
	const char *file;
	uint32_t line, col;
};

enum bh_mode {
	BH_MODE_PROTECT,  /* enforce (the default) */
	BH_MODE_MONITOR,  /* evaluate, drop nothing, verdict audit */
	BH_MODE_LEARN,    /* pass, record what no rule allows */
	BH_MODE__MAX
};

enum bh_action {
	BH_ACT_ALLOW,
	BH_ACT_DENY,
	BH_ACT_AUDIT,     /* monitor mode: protect would have denied */
	BH_ACT_LEARN,     /* learn mode: no rule allows it, recorded */
	BH_ACT__MAX
};

/* "protect"/"monitor"/"learn", "allow"/"deny"/"audit"/"learn"; NULL out of
 * range. Static storage. */
const char *bh_mode_name(unsigned m);
const char *bh_action_name(unsigned a);

struct bh_kv {
	const char *key, *value;
	struct bh_loc loc;
};

enum bh_sel_op {
	BH_SEL_IN,
	BH_SEL_NOT_IN,
	BH_SEL_EXISTS,
	BH_SEL_DOES_NOT_EXIST,
};

/* One entry of matchExpressions, as in Kubernetes. */
struct bh_sel_expr {
	const char *key;
	enum bh_sel_op op;
	const char *const *values;
	uint32_t nvalues;
	struct bh_loc loc;
};

/* matchLabels AND matchExpressions; both empty: every workload. */
struct bh_selector {
	const struct bh_kv *labels;
	uint32_t nlabels;
	const struct bh_sel_expr *exprs;
	uint32_t nexprs;
	struct bh_loc loc;
};

enum bh_peer_kind {
	BH_PEER_SELECTOR, /* workloads whose labels the selector matches */
	BH_PEER_CIDR,     /* any address in net/plen but the excepted ones */
};

struct bh_cidr {
	union bh_addr net;  /* IPv4 mapped; host bits zero */
	uint8_t plen;       /* 0..128, IPv4 /n is stored as 96 + n */
	struct bh_loc loc;
};

struct bh_peer {
	enum bh_peer_kind kind;
	struct bh_selector sel;
	struct bh_cidr cidr;
	const struct bh_cidr *except;
	uint32_t nexcept;
	struct bh_loc loc;
};

struct bh_port {
	uint16_t port, end_port;  /* port 0: every port; end_port 0: just port */
	uint8_t proto;            /* IPPROTO_TCP or IPPROTO_UDP */
	struct bh_loc loc;
};

/* L7 entries: the fields of one entry are AND'd, entries are OR'd; a NULL
 * field matches anything. Regexes match the whole field. */
struct bh_http_header {
	const char *name;   /* compared case-insensitively */
	const char *value;  /* regex over the whole value; NULL: present */
	struct bh_loc loc, value_loc;
};

struct bh_http_rule {
	const char *method, *path, *host;           /* regexes */
	struct bh_loc method_loc, path_loc, host_loc;
	const struct bh_http_header *headers;
	uint32_t nheaders;
	struct bh_loc loc;
};

struct bh_dns_rule {
	const char *match_name;     /* exact, case-insensitive, no trailing dot */
	const char *match_pattern;  /* '*' stands for one or more labels */
	struct bh_loc loc;
};

struct bh_sql_rule {
	/* Statement kinds, upper case ("SELECT", ...: the verbs of the SQL
	 * analyser); none: every kind. */
	const char *const *statements;
	uint32_t nstatements;
	const struct bh_loc *statement_locs;
	/* "name" or "schema.name"; none: every table. */
	const char *const *tables;
	uint32_t ntables;
	const struct bh_loc *table_locs;
	struct bh_loc loc;
};

/* One allow rule of an ingress or egress list. */
struct bh_rule {
	const char *name;              /* NULL: "<policy>/ingress[i]" is made up */
	bool has_peers;                /* from/to given; false: every peer */
	const struct bh_peer *peers;
	uint32_t npeers;
	const struct bh_port *ports;   /* none: every port and protocol */
	uint32_t nports;
	bool has_l7;                   /* a rules: key was given */
	const struct bh_http_rule *http;
	uint32_t nhttp;
	const struct bh_dns_rule *dns;
	uint32_t ndns;
	const struct bh_sql_rule *sql;
	uint32_t nsql;
	struct bh_loc loc, l7_loc;
};

struct bh_policy {
	const char *name;
	struct bh_selector selector;
	enum bh_mode mode;
	bool has_ingress, has_egress;  /* the list was given (maybe empty) */
	const struct bh_rule *ingress;
	uint32_t ningress;
	const struct bh_rule *egress;
	uint32_t negress;
	/* signatures: bit (1u << enum dpi_set) per set; 0: none */
	unsigned sig_sets;
	bool sig_deny;                 /* action: deny (else alert) */
	struct bh_loc sig_loc;
	bool unparsed_allow;           /* onUnparsed: allow (default deny) */
	struct bh_loc loc;
};

struct bh_workload {
	const char *name;
	const struct bh_kv *labels;
	uint32_t nlabels;
	const struct bh_cidr *addrs;   /* plen 128: one address */
	uint32_t naddrs;
	const char *interface;         /* host side of its bridge port, or NULL */
	struct bh_loc loc;
};

struct bh_policy_doc {
	const struct bh_workload *workloads;
	uint32_t nworkloads;
	const struct bh_policy *policies;
	uint32_t npolicies;
};

/* A workload as events name it (pointers into the snapshot). */
struct bh_workload_ref {
	const char *name;
	const struct bh_kv *labels;  /* sorted by key */
	uint32_t nlabels;
};

/*
 * A decision. Strings are static or point into the policy snapshot that made
 * it (valid while the snapshot is: for the duration of an event callback).
 * reason: the allowing rule's name, or "no-rule", "l7-no-match",
 * "signature", "spoofed", "unparsed", "anomaly"; "unrestricted" when no
 * policy restricts either end.
 */
struct bh_verdict {
	enum bh_action action;
	enum bh_mode mode;
	const char *reason;
	const char *policy;     /* the policy that allowed or denied; NULL: none */
	const char *rule;       /* the allowing rule; NULL: none */
	const char *direction;  /* "ingress" / "egress": whose check decided; NULL */
	uint32_t sid;           /* reason "signature": the rule that matched */
};

#endif
