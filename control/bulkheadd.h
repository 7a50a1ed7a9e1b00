/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bulkheadd.h - the daemon's own state, shared by its files: main
 * (options, setup, the main loop), bulkheadd_ops.c (control requests) and
 * bulkheadd_metrics.c (the Prometheus text). Only the bulkheadd binary
 * links these.
 *
 * Threads: the main thread owns everything here but `pub`, `learn` and
 * the event rings; workers only push events (ctl_evq) and feed `learn`;
 * the metrics thread reads `pub` and the engine's counters.
 */
#ifndef BULKHEADD_H
#define BULKHEADD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/dp_inline.h"
#include "bulkhead/dpi.h"
#include "ctl_evout.h"
#include "ctl_evq.h"
#include "ctl_json.h"
#include "ctl_learn.h"
#include "ctl_metrics.h"
#include "ctl_node.h"
#include "ctl_server.h"

#define BHD_MAX_ARGS 64

struct bhd_opts {
	const char *bridges[BHD_MAX_ARGS];
	size_t nbridges;
	const char *policies[BHD_MAX_ARGS];
	size_t npolicies;
	const char *rule_files[BHD_MAX_ARGS];
	size_t nrule_files;
	unsigned queues;
	unsigned queue_base;
	bool fail_open;
	bool fast_path;
	bool setup_sysctls;
	bool cleanup_only;
	unsigned sets;
	enum dp_ipt ipt;
	const char *eve;
	const char *dropped;
	const char *state_dir;
	const char *control;         /* NULL: no control socket */
	const char *metrics;
	unsigned stats_interval;
	unsigned max_flows;
	unsigned alert_window_ms;
};

/* What the metrics thread may read, published by the main thread. */
struct bhd_pub {
	pthread_mutex_t lock;
	unsigned generation;
	bool closed;
	double compile_ms;
	uint64_t applies, apply_errors;
	uint64_t events_written, event_write_errors;
	uint64_t ctl_requests, ctl_errors, ctl_refused;
	unsigned ctl_clients, subscribers;
	uint64_t sub_events_dropped;
};

struct bhd {
	struct bhd_opts o;
	struct dp_inline *dp;
	struct dpi_sigs *sigs;
	unsigned sig_sets;
	struct ctl_node *node;
	struct dp_rules_config rc;
	const char *ipt_name;
	uint64_t start_us;

	/* events: formatted on the workers, queued, written by main */
	struct ctl_evq *evq;
	struct ctl_evout *eve;
	struct ctl_buf fmt[DP_MAX_WORKERS + 1];
	pthread_mutex_t learn_lock;
	struct ctl_learn *learn;

	struct ctl_server *srv;
	struct ctl_metrics *metrics;
	struct bhd_pub pub;
	uint64_t applies, apply_errors;
	uint64_t failopen_passes;    /* the metrics thread's */
	pthread_t main_thread;       /* the consumer of evq */
};

uint64_t bhd_now_us(void);

/* The stats object (as in the `stats` event) appended to @b. */
void bhd_stats_object(struct bhd *d, struct ctl_buf *b);

/* Queue one event of the main thread (stats, ...): producer = queues. */
void bhd_main_event(struct bhd *d, unsigned type, const struct ctl_buf *b);

/* Pass on every event queued so far (main thread). */
void bhd_drain_events(struct bhd *d);

/* ctl_server_req_fn: every control request. */
void bhd_request(void *ctx, struct ctl_conn *c, const struct ctl_req *req);

/* ctl_metrics_fill_fn: the exposition text. */
void bhd_metrics_fill(void *ctx, struct ctl_buf *out);

/* Publish what the metrics thread reads (main thread). */
void bhd_publish(struct bhd *d);

#endif
