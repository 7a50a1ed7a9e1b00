/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_policy_int.h - inside dpi/: the compiled policy snapshot
 * (dpi_policy.c builds it, dpi_policy_eval.c reads it) and the per-flow
 * decision state.
 *
 * The snapshot is immutable once built. Workloads, rules and L7 entries are
 * arrays addressed by 32-bit indices; strings live in one arena. Lookups on
 * the packet path are hashes: address -> workload (exact, then one probe per
 * prefix length in use, longest first), (workload, direction, protocol,
 * port) -> rules. Label selectors are evaluated against the peer's labels,
 * interned to integers, so a peer check costs a few compares whatever the
 * number of workloads.
 */
#ifndef DPI_POLICY_INT_H
#define DPI_POLICY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/dpi.h"

#define POL_NONE UINT32_MAX

/* Sides of a flow: each enforces its own direction. */
enum { POL_CLIENT = 0, POL_SERVER = 1 }; /* client: egress, server: ingress */

/* Matcher classes: one Hyperscan database each for the regexes of a field. */
enum pol_class { PC_METHOD, PC_PATH, PC_HOST, PC_HVAL, PC__MAX };

/* A field matcher: a literal compared as bytes (@id POL_NONE), or a regex:
 * its literal prefix @lit (maybe empty), then pattern @id of its class's
 * database over the rest of the field. */
struct pol_match {
	const char *lit;
	uint32_t litlen;
	uint32_t id;
};

struct pol_label {
	uint32_t k, v;    /* interned */
};

struct pol_expr {
	uint32_t k;
	uint8_t op;       /* enum bh_sel_op */
	uint32_t nv;
	const uint32_t *v;
};

struct pol_sel {
	const struct pol_label *lab;  /* sorted by k */
	uint32_t nlab;
	const struct pol_expr *ex;
	uint32_t nex;
};

struct pol_cidr {
	union bh_addr net;
	uint8_t plen;
};

struct pol_peer {
	uint8_t kind;     /* enum bh_peer_kind */
	struct pol_sel sel;
	struct pol_cidr cidr;
	const struct pol_cidr *except;
	uint32_t nexcept;
};

struct pol_hdr {
	const char *name;
	uint32_t namelen;
	bool any;         /* no value: presence */
	struct pol_match val;
};

struct pol_http {
	bool has_method, has_path, has_host;
	struct pol_match method, path, host;
	const struct pol_hdr *hdr;
	uint32_t nhdr;
};

/* A label of a DNS pattern: a name's label (lower case), or a '*' that
 * stands for one or more labels (compiled as ANY then STAR: one label, then
 * any number). */
enum { DL_LIT, DL_ANY, DL_STAR };

struct pol_dlabel {
	uint8_t kind;
	uint8_t len;
	const char *s;
};

struct pol_dns {
	const char *name;    /* matchName: lower case, no trailing dot */
	uint32_t namelen;
	const struct pol_dlabel *lab; /* matchPattern */
	uint32_t nlab;
};

/* A name against a pattern's labels, case-insensitively; O(labels^2) at
 * worst, whatever the pattern. */
bool dpi_pol_dns_match(const struct pol_dlabel *lab, uint32_t nlab, const char *name,
		       uint32_t len);

struct pol_sql {
	uint64_t verbs;      /* bit per statement kind (index in pol->verbs); 0: all */
	const char *const *tables;
	uint32_t ntables;    /* 0: every table */
};

struct pol_port {
	uint16_t lo, hi;
	uint8_t proto;
};

struct pol_rule {
	const char *name;
	uint32_t policy;
	uint8_t side;        /* POL_CLIENT: egress rule, POL_SERVER: ingress */
	bool has_peers, has_l7;
	const struct pol_peer *peers;
	uint32_t npeers;
	const struct pol_port *ports;
	uint32_t nports;
	const struct pol_http *http;
	uint32_t nhttp;
	const struct pol_dns *dns;
	uint32_t ndns;
	const struct pol_sql *sql;
	uint32_t nsql;
};

struct pol_policy {
	const char *name;
	uint8_t mode;
	unsigned sig_sets;
	bool sig_deny, unparsed_allow;
};

struct pol_wl {
	struct bh_workload_ref ref;
	struct pol_label *lab;   /* sorted by k */
	const char *iface;
	/* From the policies that select it: */
	bool selected;           /* by at least one */
	uint8_t mode;            /* strictest: protect > monitor > learn */
	bool restricted[2];      /* [POL_CLIENT]: egress, [POL_SERVER]: ingress */
	uint32_t first_policy[2];
	unsigned sig_deny;       /* sets whose matches deny */
	bool unparsed_allow;     /* only if every selecting policy says so */
};

/* (workload, side, proto, port) -> rules[first .. first + n). */
struct pol_slot {
	uint64_t key;            /* 0: empty */
	uint32_t first, n;
};

struct pol_addr {
	union bh_addr a;         /* masked */
	uint8_t plen;
	uint32_t wl;             /* POL_NONE: empty slot */
};

struct dpi_hs_db;

/* Patterns per Hyperscan database: small databases compile much faster per
 * pattern (and in parallel), and a check scans only the one holding its
 * pattern (id / POL_SLICE). */
#define POL_SLICE 256

struct dpi_policy {
	struct pol_arena *arena;
	struct pol_wl *wl;
	uint32_t nwl;
	struct pol_policy *pol;
	uint32_t npol;
	struct pol_rule *rules;
	uint32_t nrules;
	uint32_t *refs;          /* rule ids, grouped by index slot */
	struct pol_slot *idx;
	uint32_t idx_mask;
	struct pol_addr *addr;
	uint32_t addr_mask;
	uint8_t plens[129];      /* prefix lengths in use, longest first */
	uint32_t nplens;
	uint32_t nverbs;
	const char **verbs;      /* statement kinds named by some rule */
	struct dpi_hs_db **db[PC__MAX]; /* a class, in slices of POL_SLICE */
	uint32_t ndb[PC__MAX];
	uint32_t npat[PC__MAX];
	unsigned sig_sets;
	bool closed;             /* dpi_policy_new_closed(): deny everything */
	struct dpi_policy_info info;
};

struct dpi_policy_scratch;

/* The decision state of one flow (inside struct dpi_flow). */
struct dpi_pol_flow {
	bool on;                 /* a policy decided this flow */
	bool dropped;            /* denied in protect: inspect nothing more */
	bool checked_app;        /* the flow's protocol was checked against L7 */
	uint8_t ipproto;
	uint16_t port;
	uint32_t wl[2];          /* client, server (POL_NONE: world) */
	union bh_addr addr[2];
	const struct dpi_policy *p;
	/* Per end, the rule that allowed the flow at L3/L4 (NULL: no rule, or
	 * the end restricts nothing); with L7 rules, every transaction is
	 * checked against them. */
	const struct pol_rule *by[2];
	struct bh_verdict v;     /* the flow's verdict */
};

/* Signatures that matched while a transaction (or a packet's bytes) was
 * inspected, per end, for the decision that follows. */
struct dpi_pol_tx {
	uint32_t sid[2];
	bool seen;               /* a DNS query was decided (datagrams) */
};

struct dpi_worker;
struct dpi_flow;
struct dpi_http_request;

/* The hooks of dpi/ (dpi_policy_eval.c). The transaction ones return false
 * when no policy decides the flow (@v untouched); they call the worker's
 * verdict op for DENY, AUDIT and LEARN. dpi_pol_sql's @incomplete: the text
 * was cut or its tables may not all be known (DPI_SQL_F_INCOMPLETE). */
const struct bh_verdict *dpi_pol_open(struct dpi_worker *w, struct dpi_flow *f,
				      const struct dpi_flow_meta *m);
bool dpi_pol_http(struct dpi_worker *w, struct dpi_flow *f, void *cookie,
		  const struct dpi_http_request *r, struct bh_verdict *v);
bool dpi_pol_dns(struct dpi_worker *w, struct dpi_flow *f, void *cookie, const struct bh_dns *q,
		 struct bh_verdict *v);
bool dpi_pol_sql(struct dpi_worker *w, struct dpi_flow *f, void *cookie, const struct bh_sql *s,
		 bool incomplete, struct bh_verdict *v);
void dpi_pol_unparsed(struct dpi_worker *w, struct dpi_flow *f, void *cookie, const char *why);
void dpi_pol_app(struct dpi_worker *w, struct dpi_flow *f, void *cookie);
const char *dpi_pol_alert(struct dpi_worker *w, struct dpi_flow *f, unsigned set, uint32_t sid);
void dpi_pol_flush(struct dpi_worker *w, struct dpi_flow *f, void *cookie);
/* The policy needs nothing more of the flow (see dpi_flow_final()). */
bool dpi_pol_final(const struct dpi_pol_flow *pf);

/* Nothing more of the flow is inspected: a policy denied it. */
static inline bool dpi_pol_dropped(const struct dpi_pol_flow *pf)
{
	return pf->dropped;
}

/* Key of the rule index. */
static inline uint64_t pol_key(uint32_t wl, unsigned side, uint8_t proto, uint16_t port)
{
	return 1ull << 63 | (uint64_t)wl << 26 | (uint64_t)side << 25 | (uint64_t)proto << 16 |
	       port;
}

/* Slot of @key, or NULL. */
const struct pol_slot *dpi_pol_find(const struct dpi_policy *p, uint64_t key);

/* Workload bound to @addr (exact, else longest prefix), or POL_NONE. */
uint32_t dpi_pol_addr_lookup(const struct dpi_policy *p, const union bh_addr *addr);

/* L7 rules shadowed by L4-only ones, within each policy of @d and between
 * every two policies that select a common workload (@sel[i]: the @nsel[i]
 * workloads policy i selects; @wl: the workloads). Each is an error for
 * @fn, at the L7 rules' place (dpi_policy_shadow.c). */
typedef void (*pol_err_fn)(void *ctx, const struct bh_loc *loc, const char *msg);
void dpi_pol_check_shadows(const struct bh_policy_doc *d, uint32_t *const *sel,
			   const uint32_t *nsel, const struct pol_wl *wl, pol_err_fn fn, void *ctx);

/* Selector @s against workload @wl's labels. */
bool dpi_pol_sel_match(const struct dpi_policy *p, const struct pol_sel *s, uint32_t wl);

bool dpi_pol_cidr_has(const struct pol_cidr *c, const union bh_addr *a);

#endif
