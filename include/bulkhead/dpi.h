/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi.h - the contract between the dataplane and the inspection engine.
 *
 * The dataplane hands dpi/ the in-order bytes of each TCP direction (or each
 * UDP datagram) of a flow; dpi/ detects the application protocol by content,
 * runs its parser and reports one record per transaction, and anomalies,
 * through callbacks. A worker owns one struct dpi_worker and the dpi_flow of
 * each of its flows: nothing here is locked or shared between workers.
 */
#ifndef BULKHEAD_DPI_H
#define BULKHEAD_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/bh_event.h"
#include "bulkhead/bh_policy.h"

enum dpi_proto {
	DPI_PROTO_UNKNOWN = 0,
	DPI_PROTO_HTTP,
	DPI_PROTO_DNS,
	DPI_PROTO_MYSQL,
	DPI_PROTO_PGSQL,
	DPI_PROTO_TLS,
	DPI_PROTO__MAX
};

/* EVE name of @p ("http", ..., "unknown" for anything out of range). Static
 * storage, thread-safe. */
const char *dpi_proto_name(unsigned p);

struct dpi_worker;
struct dpi_flow;

/*
 * Outputs. @cookie is what the caller passed with the bytes (its flow).
 * record: @ev has type BH_EV_HTTP/DNS/SQL/TLS and its payload filled; the
 * caller adds time, tuple and flow fields. Pointers in @ev are valid for the
 * call only. anomaly: @event is a static "proto.event" string.
 */
struct dpi_ops {
	void (*record)(void *ctx, void *cookie, struct bh_event *ev);
	void (*anomaly)(void *ctx, void *cookie, const char *event);
	/* A policy decided against the flow after it was opened (an L7
	 * transaction, a signature, data it can't inspect): @v->action is
	 * DENY (drop the packet at hand and reset the flow; dpi/ inspects
	 * nothing more of it), AUDIT or LEARN. May be NULL. */
	void (*verdict)(void *ctx, void *cookie, const struct bh_verdict *v);
	void *ctx;
};

/*
 * Signature sets. The built-in sets are documented, sid by sid, in
 * dpi/rules/README.md; DPI_SET_CUSTOM holds the rules of user files.
 */
enum dpi_set {
	DPI_SET_SQLI,
	DPI_SET_CMDI,
	DPI_SET_TRAVERSAL,
	DPI_SET_XSS,
	DPI_SET_JNDI,
	DPI_SET_SSRF_METADATA,
	DPI_SET_SCANNER,
	DPI_SET_HTTP_ANOMALY,
	DPI_SET_DNS_TUNNEL,
	DPI_SET_DNS_ANOMALY,
	DPI_SET_CUSTOM,
	DPI_SET__MAX
};
#define DPI_SETS_BUILTIN ((1u << DPI_SET_CUSTOM) - 1u)

/* "sqli", ..., "custom"; NULL out of range. Static storage. */
const char *dpi_set_name(unsigned set);

/* Parses a comma-separated list of built-in set names, or "all" / "none",
 * into *@ret_mask (bits 1u << enum dpi_set). Returns 0, or -EINVAL and
 * writes the offending name to @err. */
int dpi_set_parse(const char *list, unsigned *ret_mask, char *err, size_t errlen);

struct dpi_sigs;

/* Error reporting for dpi_sigs_new(): one message per call, "FILE:LINE:COL:
 * message" for rule files. */
typedef void (*dpi_sigs_error_fn)(void *ctx, const char *msg);

struct dpi_sigs_config {
	unsigned sets;                   /* built-in sets to load (DPI_SETS_BUILTIN) */
	const char *const *rule_files;   /* custom rules (Suricata subset, dpi_rules.h) */
	size_t n_rule_files;
	dpi_sigs_error_fn error;         /* may be NULL */
	void *error_ctx;
};

/*
 * Loads and compiles the built-in sets named in @c and the custom rule
 * files into one immutable engine (Hyperscan databases), to be shared
 * read-only by every worker. Slow: call it off the data path. Returns 0
 * and sets *@ret, -EINVAL when a file has errors (each reported, nothing is
 * kept), -errno when a file can't be read, -ENOMEM. Thread-safe.
 */
int dpi_sigs_new(const struct dpi_sigs_config *c, struct dpi_sigs **ret);

/* NULL is fine; only after every worker using it dropped it. */
void dpi_sigs_free(struct dpi_sigs *s);

/* Rules compiled (rule-text signatures; the built-in detectors written in
 * C are not counted). */
size_t dpi_sigs_rules(const struct dpi_sigs *s);

/*
 * Policy (bh_policy.h, ../shared/policy-model.md). dpi_policy_new() compiles
 * a document into an immutable snapshot: address -> workload lookups, rules
 * indexed by (workload, direction, protocol, port), Hyperscan databases for
 * the HTTP and DNS regexes. Errors and warnings name file:line:col.
 */
struct dpi_policy;

/* @warning: the document is still accepted. */
typedef void (*dpi_policy_error_fn)(void *ctx, bool warning, const char *msg);

/* Returns 0 and sets *@ret; -EINVAL when the document has errors (each
 * reported; nothing is built); -ENOMEM. Slow: off the data path.
 * Thread-safe. */
int dpi_policy_new(const struct bh_policy_doc *doc, dpi_policy_error_fn err, void *err_ctx,
		   struct dpi_policy **ret);

/* A policy that denies every flow (reason "no-policy", mode protect): what
 * a node enforces when its policy can't be read, so that it fails closed.
 * Returns 0 or -ENOMEM. */
int dpi_policy_new_closed(struct dpi_policy **ret);
bool dpi_policy_closed(const struct dpi_policy *p);

/* NULL is fine; only once no worker uses it. */
void dpi_policy_free(struct dpi_policy *p);

/* The signature sets some policy names (bits 1u << enum dpi_set): an engine
 * evaluating @p must have loaded at least these. */
unsigned dpi_policy_sig_sets(const struct dpi_policy *p);

/* The SQL statement kind named @name ("SELECT", ...; upper case) as the
 * analyser reports it: true when it is one. Static, thread-safe. */
bool dpi_sql_verb_known(const char *name);

struct dpi_policy_info {
	uint32_t workloads, policies, rules, l7_entries, regexes, hs_databases;
	uint64_t compile_us;
};
void dpi_policy_info(const struct dpi_policy *p, struct dpi_policy_info *ret);

/* Returns 0 and sets *ret, or -ENOMEM. */
int dpi_worker_new(const struct dpi_ops *ops, struct dpi_worker **ret);
void dpi_worker_free(struct dpi_worker *w);

/*
 * Inspect the worker's transactions and streams with @s (NULL: stop).
 * Allocates the worker's own scratch. Only between flows: flows that began
 * under another engine keep no stream state of it (set it before traffic).
 * Returns 0 or -ENOMEM (the worker keeps its previous engine).
 */
int dpi_worker_set_sigs(struct dpi_worker *w, const struct dpi_sigs *s);

/*
 * Decide flows and transactions with @p (NULL: no policy, nothing is
 * decided). Allocates the worker's scratch. Only between flows, like
 * dpi_worker_set_sigs(); the engine set there must hold
 * dpi_policy_sig_sets(@p). Returns 0 or -ENOMEM (the previous one stays).
 */
int dpi_worker_set_policy(struct dpi_worker *w, const struct dpi_policy *p);

/*
 * The same in two steps, so that a switch made elsewhere can't fail on the
 * worker: dpi_policy_scratch_new() allocates what a worker needs to decide
 * with @p (any thread; 0 or -ENOMEM), and dpi_worker_adopt_policy() switches
 * the worker to @p with @s, taking ownership of @s (NULL @p frees @s).
 */
struct dpi_policy_scratch;
int dpi_policy_scratch_new(const struct dpi_policy *p, struct dpi_policy_scratch **ret);
void dpi_policy_scratch_free(struct dpi_policy_scratch *s);
void dpi_worker_adopt_policy(struct dpi_worker *w, const struct dpi_policy *p,
			     struct dpi_policy_scratch *s);

/* Inline (NFQUEUE) rather than replay: a transaction denied in protect
 * mode is reported at once, since it gets no answer. */
void dpi_worker_set_inline(struct dpi_worker *w, bool on);

/* Alerts raised by the worker: emitted, and suppressed by flood control. */
void dpi_worker_alert_counts(const struct dpi_worker *w, uint64_t *ret_emitted,
			     uint64_t *ret_suppressed);

/* What dpi/ knows of a flow besides its bytes. Ports are hints only. */
struct dpi_flow_meta {
	uint8_t ipproto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t client_port, server_port;
	/* 16-byte addresses (IPv4 mapped), for rules' address lists; NULL
	 * when unknown (then only rules on any address apply). */
	const uint8_t *client_addr, *server_addr;
};

#define DPI_DATA_GAP 0x01     /* @len bytes missing; data NULL */
#define DPI_DATA_EOF 0x02     /* the direction ended */

/*
 * TCP: in-order bytes of direction @dir (0: to server) of the flow whose
 * state is *@slot (NULL at first; dpi/ allocates it). A gap or the end of the
 * direction is signalled by @flags.
 */
void dpi_stream(struct dpi_worker *w, struct dpi_flow **slot, void *cookie,
		const struct dpi_flow_meta *m, unsigned dir, const uint8_t *data, uint32_t len,
		unsigned flags);

/* UDP: the payload of one datagram of direction @dir. */
void dpi_datagram(struct dpi_worker *w, struct dpi_flow **slot, void *cookie,
		  const struct dpi_flow_meta *m, unsigned dir, const uint8_t *data, uint32_t len);

/* The flow ends: transactions still open are reported, then *@slot is freed
 * and set to NULL. */
void dpi_flow_end(struct dpi_worker *w, struct dpi_flow **slot, void *cookie);

/* Free the flow's state without reporting anything (teardown). */
void dpi_flow_discard(struct dpi_worker *w, struct dpi_flow **slot);

/*
 * A new flow, at its first packet: the L3/L4 decision of the worker's policy
 * (NULL without one). Allocates *@slot. The verdict stays valid with the
 * flow; after DENY, dpi/ inspects nothing of the flow.
 */
const struct bh_verdict *dpi_flow_open(struct dpi_worker *w, struct dpi_flow **slot,
				       void *cookie, const struct dpi_flow_meta *m);

/* The flow's current verdict: its L3/L4 one, or the L7 decision that reset
 * it. NULL without a policy (or for NULL). */
const struct bh_verdict *dpi_flow_verdict(const struct dpi_flow *f);

/* The workloads of the flow's client and server (NULL: none, or no
 * policy). */
void dpi_flow_workloads(const struct dpi_flow *f, const struct bh_workload_ref **ret_client,
			const struct bh_workload_ref **ret_server);

/* The flow's application protocol (DPI_PROTO_UNKNOWN for NULL). */
unsigned dpi_flow_proto(const struct dpi_flow *f);

/*
 * Inline: packets of side @side (0: client, 1: server) of the flow entered
 * through bridge port @ifname. When the policy binds that side's address to
 * a workload with another `interface`, the packet is a spoof: the flow's
 * verdict becomes reason `spoofed` (deny in protect mode) and is returned;
 * else NULL (also without a policy or a flow).
 */
const struct bh_verdict *dpi_flow_port(struct dpi_worker *w, struct dpi_flow *f, unsigned side,
				       const char *ifname);

/*
 * Decide the flow again under the worker's current policy (after
 * dpi_worker_set_policy()): at L3/L4 as dpi_flow_open() did, and, when its
 * protocol is known, whether the new L7 rules speak it (onUnparsed through
 * the verdict op, with @cookie). A flow already reset keeps being dropped.
 * Returns the new verdict (NULL without a policy or a flow).
 */
const struct bh_verdict *dpi_flow_redecide(struct dpi_worker *w, struct dpi_flow *f,
					   void *cookie, const struct dpi_flow_meta *m);

/*
 * Nothing of the flow's later bytes can change a decision or raise an
 * alert: it is allowed (or audited), no end checks its transactions, and the
 * worker's signatures have nothing to look at in its protocol. Inline, such
 * a flow is handed to the kernel's fast path. @f NULL: a flow dpi/ has not
 * seen, decided by nothing.
 */
bool dpi_flow_final(const struct dpi_worker *w, const struct dpi_flow *f);

/* Alerts raised on the flow so far, flood-controlled ones included (0 for
 * NULL). */
uint32_t dpi_flow_alerts(const struct dpi_flow *f);

#endif
