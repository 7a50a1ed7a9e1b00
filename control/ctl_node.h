/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_node.h - the policy a node enforces, and every way it changes: the
 * --policy files at start and on SIGHUP, the state persisted under
 * --state-dir, and the control operations policy.apply, workloads.add and
 * workloads.remove. A change is validated and compiled here, off the data
 * path, persisted, and only then handed to the data path (the swap
 * callback); any failure on the way leaves the running policy as it was.
 *
 * Not thread-safe: the daemon's main thread drives it.
 */
#ifndef CTL_NODE_H
#define CTL_NODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/dpi.h"

struct ctl_node;

/* Put @p in force as generation @generation on the data path; returns 0
 * or -errno (then the node keeps the old one). With @check_only, only say
 * whether it could (-ENOTSUP: it denies on signature sets not loaded),
 * before anything is persisted. */
typedef int (*ctl_node_swap_fn)(void *ctx, const struct dpi_policy *p, unsigned generation,
				bool check_only);

/* Messages for the operator (the daemon's stderr). */
typedef void (*ctl_node_log_fn)(void *ctx, const char *msg);

struct ctl_node_config {
	const char *state_dir;             /* NULL: nothing persisted */
	const char *const *files;          /* --policy */
	size_t nfiles;
	ctl_node_log_fn log;
	void *log_ctx;
};

/*
 * The policy to start with, before any rule is installed: the --policy
 * files when given (persisted), else the persisted state, else none
 * (inspection only). A state file that can't be read or compiled is
 * reported and the node fails closed: it denies everything (reason
 * "no-policy") until a policy is applied. Returns 0, or -EINVAL when the
 * --policy files have errors (every one logged), or -errno.
 */
int ctl_node_new(const struct ctl_node_config *c, struct ctl_node **ret);

/* The data path is up: changes go through @swap from now on. */
void ctl_node_attach(struct ctl_node *n, ctl_node_swap_fn swap, void *ctx);

const struct dpi_policy *ctl_node_policy(const struct ctl_node *n); /* NULL: none */
unsigned ctl_node_generation(const struct ctl_node *n);
bool ctl_node_closed(const struct ctl_node *n);
double ctl_node_compile_ms(const struct ctl_node *n);                /* the last compile */
uint64_t ctl_node_applied_us(const struct ctl_node *n);

/*
 * SIGHUP: read the --policy files again, when the running set came from
 * them (a set applied over the socket since is kept: logrotate sends
 * SIGHUP too). Errors are logged and change nothing.
 */
void ctl_node_reload(struct ctl_node *n);

/*
 * The control operations on @args (validated by ctl_req_decode()). Each
 * returns 0 with *@ret_result set (a new reference), or -errno with
 * *@ret_code, *@ret_msg (static or in @msgbuf) and *@ret_details (a new
 * reference or NULL) for the error reply.
 */
struct ctl_node_err {
	const char *code;
	char msg[512];
	json_t *details;
};
int ctl_node_apply(struct ctl_node *n, const json_t *args, json_t **ret_result,
		   struct ctl_node_err *err);
int ctl_node_workloads_add(struct ctl_node *n, const json_t *args, json_t **ret_result,
			   struct ctl_node_err *err);
int ctl_node_workloads_remove(struct ctl_node *n, const json_t *args, json_t **ret_result,
			      struct ctl_node_err *err);
json_t *ctl_node_get(const struct ctl_node *n);
json_t *ctl_node_workloads(const struct ctl_node *n);

void ctl_node_free(struct ctl_node *n);

#endif
