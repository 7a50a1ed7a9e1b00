/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * main_bulkheadd.c - the inline daemon: policy and signatures loaded, queues
 * bound, workers started, then the kernel rules that feed them installed;
 * on exit the rules go first, then the workers, so nothing is left behind.
 *
 * The main thread only waits for signals (signalfd): SIGTERM/SIGINT end,
 * SIGHUP re-reads the policy files, SIGUSR1 writes a stats event.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/dp_inline.h"
#include "bulkhead/dpi.h"
#include "bulkheadd.h"
#include "ctl_dropped.h"
#include "ctl_eve.h"
#include "ctl_json.h"
#include "ctl_notify.h"
#include "ctl_policy.h"
#include "ctl_privs.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define MAX_FILES BHD_MAX_ARGS
#define SETS_FROM_POLICY (~0u)
#define LOOP_MS 50     /* events drained at least this often */
#define FLUSH_MS 200   /* and written to the file */
#define RING_BYTES (16u << 20) /* per worker: ~0.5 s of a busy queue's events */
#define RECENT_EVENTS 1024
#define DEFAULT_CONTROL "/run/bulkhead/control.sock"

uint64_t bhd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(FILE *f)
{
	fputs("usage: bulkheadd --bridge NAME [--bridge NAME]... [--queues N] [--queue-base Q]\n"
	      "                 [--fail-open|--fail-closed] [--policy FILE]... [--state-dir DIR]\n"
	      "                 [--control PATH|none] [--metrics ADDR:PORT] [--eve FILE|-]\n"
	      "                 [--sets LIST|all|none] [--rules FILE]... [--alert-window MS]\n"
	      "                 [--write-dropped FILE.pcap] [--stats-interval SEC]\n"
	      "                 [--setup-sysctls] [--iptables auto|nft|legacy] [--no-fast-path]\n"
	      "                 [--max-flows N]\n"
	      "       bulkheadd --cleanup\n"
	      "       bulkheadd --version\n"
	      "See bulkheadd(8).\n",
	      f);
}

static int parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
		      unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "bulkheadd: %s: `%s` is not a number from %lu to %lu\n", opt, s, min,
			max);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int add_file(const char *opt, const char **v, size_t *n, const char *s)
{
	if (*n == MAX_FILES) {
		fprintf(stderr, "bulkheadd: at most %d %s\n", MAX_FILES, opt);
		return -E2BIG;
	}
	v[(*n)++] = s;
	return 0;
}

static int parse_args(int argc, char **argv, struct bhd_opts *o)
{
	static const struct option lo[] = {
		{"bridge", required_argument, NULL, 'b'},
		{"queues", required_argument, NULL, 'q'},
		{"queue-base", required_argument, NULL, 'Q'},
		{"fail-open", no_argument, NULL, 'o'},
		{"fail-closed", no_argument, NULL, 'c'},
		{"policy", required_argument, NULL, 'P'},
		{"state-dir", required_argument, NULL, 'D'},
		{"control", required_argument, NULL, 'k'},
		{"metrics", required_argument, NULL, 'M'},
		{"alert-window", required_argument, NULL, 'A'},
		{"sets", required_argument, NULL, 'S'},
		{"rules", required_argument, NULL, 'r'},
		{"eve", required_argument, NULL, 'e'},
		{"write-dropped", required_argument, NULL, 'W'},
		{"stats-interval", required_argument, NULL, 'i'},
		{"setup-sysctls", no_argument, NULL, 'y'},
		{"iptables", required_argument, NULL, 'I'},
		{"no-fast-path", no_argument, NULL, 'n'},
		{"max-flows", required_argument, NULL, 'm'},
		{"cleanup", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->fast_path = true;
	o->sets = SETS_FROM_POLICY;
	o->max_flows = 1u << 20;
	o->control = DEFAULT_CONTROL;
	o->alert_window_ms = 10000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case 'b':
			if (!*optarg || strlen(optarg) >= 16 || strpbrk(optarg, " /:\t")) {
				fprintf(stderr, "bulkheadd: --bridge: `%s` is not an interface name\n",
					optarg);
				return -EINVAL;
			}
			r = add_file("--bridge", o->bridges, &o->nbridges, optarg);
			break;
		case 'q':
			r = parse_uint("--queues", optarg, 1, DP_MAX_WORKERS, &o->queues);
			break;
		case 'Q':
			r = parse_uint("--queue-base", optarg, 0, 65535, &o->queue_base);
			break;
		case 'o':
			o->fail_open = true;
			break;
		case 'c':
			o->fail_open = false;
			break;
		case 'P':
			r = add_file("--policy", o->policies, &o->npolicies, optarg);
			break;
		case 'D':
			if (!*optarg) {
				fputs("bulkheadd: --state-dir: empty\n", stderr);
				r = -EINVAL;
			}
			o->state_dir = optarg;
			break;
		case 'k':
			o->control = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'M':
			o->metrics = optarg;
			break;
		case 'A':
			r = parse_uint("--alert-window", optarg, 0, 3600000, &o->alert_window_ms);
			break;
		case 'S':
			if (dpi_set_parse(optarg, &o->sets, err, sizeof(err)) < 0) {
				fprintf(stderr, "bulkheadd: --sets: %s\n", err);
				r = -EINVAL;
			}
			break;
		case 'r':
			r = add_file("--rules", o->rule_files, &o->nrule_files, optarg);
			break;
		case 'e':
			o->eve = optarg;
			break;
		case 'W':
			o->dropped = optarg;
			break;
		case 'i':
			r = parse_uint("--stats-interval", optarg, 0, 86400, &o->stats_interval);
			break;
		case 'y':
			o->setup_sysctls = true;
			break;
		case 'I':
			if (!strcmp(optarg, "auto"))
				o->ipt = DP_IPT_AUTO;
			else if (!strcmp(optarg, "nft"))
				o->ipt = DP_IPT_NFT;
			else if (!strcmp(optarg, "legacy"))
				o->ipt = DP_IPT_LEGACY;
			else {
				fprintf(stderr, "bulkheadd: --iptables: `%s`: auto, nft or legacy\n",
					optarg);
				r = -EINVAL;
			}
			break;
		case 'n':
			o->fast_path = false;
			break;
		case 'm':
			r = parse_uint("--max-flows", optarg, 1, 1u << 26, &o->max_flows);
			break;
		case 'C':
			o->cleanup_only = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "bulkheadd: unexpected argument `%s`\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->cleanup_only && !o->nbridges) {
		fputs("bulkheadd: no --bridge given: which bridges should be enforced?\n", stderr);
		usage(stderr);
		return -EINVAL;
	}
	if (o->queue_base + o->queues > 65536) {
		fprintf(stderr, "bulkheadd: queues %u..%u: past 65535\n", o->queue_base,
			o->queue_base + o->queues - 1);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------ events */

/* Alerts repeat per signature, client, server and port: that is what is
 * aggregated (a scanner hitting one server from many ports is one). */
static uint64_t alert_key(const struct bh_event *ev)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)ev->alert.gid << 32 | ev->alert.sid);

	if (ev->has_tuple) {
		h = (h ^ ev->tuple.src.q[0]) * 0xbf58476d1ce4e5b9ull;
		h = (h ^ ev->tuple.src.q[1]) * 0xbf58476d1ce4e5b9ull;
		h = (h ^ ev->tuple.dst.q[0]) * 0x94d049bb133111ebull;
		h = (h ^ ev->tuple.dst.q[1]) * 0x94d049bb133111ebull;
		h ^= (uint64_t)ev->tuple.dport << 8 | ev->tuple.proto;
	}
	h ^= h >> 31;
	return h ? h : 1;
}

static void event_out(void *ctx, unsigned type, const char *text, size_t len);

/* On a worker's thread (or main's at shutdown): format, queue; never
 * blocks. Learn mode's events also go to the learner. */
static void on_event(void *ctx, unsigned worker, const struct bh_event *ev)
{
	struct bhd *d = ctx;
	unsigned p = worker < DP_MAX_WORKERS ? worker : DP_MAX_WORKERS;
	struct ctl_buf *b = &d->fmt[p];

	if (ev->verdict &&
	    (ev->verdict->action == BH_ACT_LEARN || ev->verdict->mode == BH_MODE_LEARN)) {
		pthread_mutex_lock(&d->learn_lock);
		if (d->learn)
			ctl_learn_event(d->learn, ev);
		pthread_mutex_unlock(&d->learn_lock);
	}
	ctl_buf_reset(b);
	ctl_eve_format(b, ev);
	if (b->oom)
		return;
	if (!ctl_evq_push(d->evq, p, ev->type, ev->type == BH_EV_ALERT ? alert_key(ev) : 0, b->p,
			  b->len) &&
	    pthread_equal(pthread_self(), d->main_thread)) {
		/* At shutdown the flows end on the main thread, which is the
		 * consumer too: make room instead of losing their records. */
		ctl_evq_drain(d->evq, bhd_now_us(), event_out, d);
		ctl_evq_push(d->evq, p, ev->type, 0, b->p, b->len);
	}
}

void bhd_main_event(struct bhd *d, unsigned type, const struct ctl_buf *b)
{
	if (!b->oom)
		ctl_evq_push(d->evq, d->o.queues, type, 0, b->p, b->len);
}

/* ctl_evq_fn: one event out, to the file and the subscribers. */
static void event_out(void *ctx, unsigned type, const char *text, size_t len)
{
	struct bhd *d = ctx;

	if (d->eve)
		ctl_evout_write(d->eve, text, len);
	ctl_server_broadcast(d->srv, type, text, len);
}

void bhd_drain_events(struct bhd *d)
{
	ctl_evq_drain(d->evq, bhd_now_us(), event_out, d);
}

static void verdict_counts(struct ctl_buf *b, const char *key, const uint64_t *v)
{
	ctl_json_kobj(b, key);
	for (unsigned a = 0; a < BH_ACT__MAX; a++)
		ctl_json_ku64(b, bh_action_name((enum bh_action)a), v[a]);
	ctl_json_close(b);
}

static void reason_counts(struct ctl_buf *b, const char *key, const uint64_t (*v)[DP_R__MAX])
{
	ctl_json_kobj(b, key);
	for (unsigned a = 0; a < BH_ACT__MAX; a++) {
		ctl_json_kobj(b, bh_action_name((enum bh_action)a));
		for (unsigned r = 0; r < DP_R__MAX; r++)
			if (v[a][r])
				ctl_json_ku64(b, dp_reason_name((enum dp_reason)r), v[a][r]);
		ctl_json_close(b);
	}
	ctl_json_close(b);
}

void bhd_stats_object(struct bhd *d, struct ctl_buf *b)
{
	struct ctl_evq_stats es;
	struct dp_stats st;
	uint64_t now = bhd_now_us();

	dp_inline_stats(d->dp, &st);
	ctl_evq_stats(d->evq, &es);
	ctl_json_open(b);
	ctl_json_ku64(b, "uptime", (now - d->start_us) / 1000000u);
	ctl_json_ku64(b, "policy_generation", ctl_node_generation(d->node));
	ctl_json_open_array(b, "queues");
	for (unsigned i = 0; i < dp_inline_queues(d->dp); i++) {
		struct dp_queue_stats q;

		dp_inline_queue_stats(d->dp, i, &q);
		ctl_json_elem(b);
		ctl_json_open(b);
		ctl_json_ku64(b, "queue", d->o.queue_base + i);
		ctl_json_ku64(b, "packets", q.packets);
		ctl_json_ku64(b, "bytes", q.bytes);
		ctl_json_ku64(b, "accepted", q.accepted);
		ctl_json_ku64(b, "dropped", q.dropped);
		ctl_json_ku64(b, "offloaded", q.offloaded);
		ctl_json_ku64(b, "rejected", q.denied);
		ctl_json_ku64(b, "resets_sent", q.resets_sent);
		ctl_json_ku64(b, "verdict_msgs", q.verdict_msgs);
		ctl_json_ku64(b, "enobufs", q.enobufs);
		ctl_json_ku64(b, "missed", q.missed);
		ctl_json_ku64(b, "errors", q.errors);
		ctl_json_close(b);
	}
	ctl_json_close_array(b);
	ctl_json_kobj(b, "flows");
	ctl_json_ku64(b, "created", st.flows_created);
	ctl_json_ku64(b, "active", st.flows_active);
	ctl_json_ku64(b, "offloaded", st.flows_offloaded);
	ctl_json_ku64(b, "reset", st.flows_reset);
	ctl_json_close(b);
	ctl_json_kobj(b, "decisions");
	verdict_counts(b, "flow", st.flow_verdicts);
	verdict_counts(b, "transaction", st.tx_verdicts);
	ctl_json_close(b);
	ctl_json_kobj(b, "reasons");
	reason_counts(b, "flow", st.flow_reasons);
	reason_counts(b, "transaction", st.tx_reasons);
	ctl_json_close(b);
	ctl_json_kobj(b, "packets");
	ctl_json_ku64(b, "decoded", st.pkts_decoded);
	ctl_json_ku64(b, "invalid", st.pkts_invalid);
	ctl_json_ku64(b, "dropped", st.pkts_dropped);
	ctl_json_ku64(b, "spoofed", st.pkts_spoofed);
	ctl_json_close(b);
	ctl_json_ku64(b, "alerts", st.alerts);
	ctl_json_ku64(b, "anomalies", st.anomalies);
	ctl_json_kobj(b, "events");
	ctl_json_ku64(b, "queued", es.queued);
	ctl_json_ku64(b, "dropped", es.dropped);
	ctl_json_ku64(b, "aggregated", es.aggregated);
	ctl_json_ku64(b, "written", d->eve ? ctl_evout_written(d->eve) : 0);
	ctl_json_ku64(b, "write_errors", d->eve ? ctl_evout_errors(d->eve) : 0);
	ctl_json_close(b);
	ctl_json_close(b);
}

static void stats_event(struct bhd *d)
{
	struct ctl_buf b = {0};
	char ts[40];

	ctl_eve_time(ts, sizeof(ts), bhd_now_us());
	ctl_json_open(&b);
	ctl_json_kstr(&b, "timestamp", ts);
	ctl_json_kstr(&b, "event_type", "stats");
	ctl_json_key(&b, "stats");
	bhd_stats_object(d, &b);
	ctl_json_close(&b);
	bhd_main_event(d, CTL_EV_STATS, &b);
	ctl_buf_free(&b);
}

/* ------------------------------------------------------------ policy */

static void print_msg(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

/* The fast path's marks that must not match generation @gen (@any: none
 * may match, at start). A failure is reported; the swap goes on (the
 * marks of 256 generations ago are the only ones at stake). */
static void clear_marks(struct bhd *d, unsigned gen, bool any)
{
	uint64_t n = 0;
	char err[256];

	if (!d->o.fast_path)
		return;
	if (dp_ct_clear_offload(gen, any, &n, err, sizeof(err)) < 0)
		fprintf(stderr, "bulkheadd: fast path: clearing old conntrack marks: %s\n", err);
	else if (n)
		fprintf(stderr, "bulkheadd: fast path: %llu connection%s offloaded by %s back to "
				"inspection\n",
			(unsigned long long)n, n == 1 ? "" : "s",
			any ? "an earlier run" : "a policy 256 generations old");
}

/* ctl_node_swap_fn: the data path takes @p as generation @gen. */
static int swap_policy(void *ctx, const struct dpi_policy *p, unsigned gen, bool check_only)
{
	struct bhd *d = ctx;
	char err[512];
	int r;

	if (dpi_policy_sig_sets(p) & DPI_SETS_BUILTIN & ~d->sig_sets)
		return -ENOTSUP;
	if (check_only)
		return 0;
	clear_marks(d, gen, false);
	r = dp_inline_set_policy(d->dp, p, gen);
	if (r < 0) {
		d->apply_errors++;
		return r;
	}
	d->applies++;
	d->rc.generation = gen;
	if (d->o.fast_path && dp_rules_set_generation(&d->rc, err, sizeof(err)) < 0)
		fprintf(stderr, "bulkheadd: fast path not re-armed: %s\n", err);
	return 0;
}

/* ------------------------------------------------------------ main */

static int open_outputs(struct bhd *d, struct ctl_dropped_stream **dropped,
			struct dp_engine_config *cfg)
{
	struct ctl_evq_config qc = {.producers = d->o.queues + 1, .ring_bytes = RING_BYTES,
				    .recent = RECENT_EVENTS,
				    .alert_window_ms = d->o.alert_window_ms};
	char err[512];
	int r;

	r = ctl_evq_new(&qc, &d->evq);
	if (r < 0) {
		fprintf(stderr, "bulkheadd: event queues: %s\n", strerror(-r));
		return r;
	}
	if (d->o.eve && (r = ctl_evout_open(d->o.eve, &d->eve, err, sizeof(err))) < 0) {
		fprintf(stderr, "bulkheadd: --eve %s\n", err);
		return r;
	}
	if (ctl_learn_new(&d->learn) < 0)
		return -ENOMEM;
	if (d->o.dropped) {
		if (ctl_dropped_stream_open(d->o.dropped, 12 /* DLT_RAW */, dropped, err,
					    sizeof(err)) < 0) {
			fprintf(stderr, "bulkheadd: --write-dropped %s\n", err);
			return -EIO;
		}
		cfg->drop = ctl_dropped_stream_add;
		cfg->drop_ctx = *dropped;
	}
	return 0;
}

static int load_sigs(struct bhd *d)
{
	struct dpi_sigs_config sc = {.rule_files = d->o.rule_files,
				     .n_rule_files = d->o.nrule_files, .error = print_msg};
	int r;

	/* By default the sets the policy denies on; a policy's sets are
	 * always loaded. A node that starts without a policy waits for one
	 * from its control plane, which may deny on any set: all of them. */
	sc.sets = d->o.sets != SETS_FROM_POLICY ? d->o.sets
		  : ctl_node_policy(d->node) && !ctl_node_closed(d->node) ? 0
									 : DPI_SETS_BUILTIN;
	sc.sets |= dpi_policy_sig_sets(ctl_node_policy(d->node)) & DPI_SETS_BUILTIN;
	d->sig_sets = sc.sets;
	if (!sc.sets && !sc.n_rule_files)
		return 0;
	r = dpi_sigs_new(&sc, &d->sigs);
	if (r < 0 && r != -EINVAL)
		fprintf(stderr, "bulkheadd: signatures: %s\n", strerror(-r));
	return r;
}

static void reopen_logs(struct bhd *d)
{
	char err[512];

	if (d->eve && ctl_evout_reopen(d->eve, err, sizeof(err)) < 0)
		fprintf(stderr, "bulkheadd: reopening --eve: %s (still writing the old file)\n",
			err);
}

static int main_loop(struct bhd *d, int sfd)
{
	uint64_t now = bhd_now_us();
	uint64_t next_stats = d->o.stats_interval ? now + d->o.stats_interval * 1000000ull : 0;
	uint64_t next_flush = now + FLUSH_MS * 1000ull;

	for (;;) {
		struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN},
				       {.fd = d->srv ? ctl_server_fd(d->srv) : -1,
					.events = POLLIN}};
		struct signalfd_siginfo si;
		int r = poll(pf, 2, LOOP_MS);

		now = bhd_now_us();
		if (r > 0 && (pf[1].revents & POLLIN))
			ctl_server_run(d->srv);
		ctl_evq_drain(d->evq, now, event_out, d);
		if (now >= next_flush) {
			if (d->eve)
				ctl_evout_flush(d->eve);
			bhd_publish(d);
			next_flush = now + FLUSH_MS * 1000ull;
		}
		if (next_stats && now >= next_stats) {
			stats_event(d);
			next_stats += d->o.stats_interval * 1000000ull;
		}
		if (r <= 0 || !(pf[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGHUP:
			reopen_logs(d);
			ctl_node_reload(d->node);
			break;
		case SIGUSR1:
			stats_event(d);
			break;
		default:
			return (int)si.ssi_signo;
		}
	}
}

static void print_summary(struct bhd *d)
{
	struct dp_stats st;
	struct ctl_evq_stats es;

	dp_inline_stats(d->dp, &st);
	ctl_evq_stats(d->evq, &es);
	for (unsigned i = 0; i < dp_inline_queues(d->dp); i++) {
		struct dp_queue_stats q;

		dp_inline_queue_stats(d->dp, i, &q);
		fprintf(stderr,
			"bulkheadd: queue %u: %llu packets, %llu accepted (%llu offloaded), %llu "
			"dropped (%llu rejected), %llu enobufs, %llu missed\n",
			d->o.queue_base + i, (unsigned long long)q.packets,
			(unsigned long long)q.accepted, (unsigned long long)q.offloaded,
			(unsigned long long)q.dropped, (unsigned long long)q.denied,
			(unsigned long long)q.enobufs, (unsigned long long)q.missed);
	}
	fprintf(stderr,
		"bulkheadd: flows %llu (%llu offloaded, %llu reset); flow decisions allow %llu deny "
		"%llu audit %llu learn %llu; transactions allow %llu deny %llu audit %llu learn "
		"%llu\n",
		(unsigned long long)st.flows_created, (unsigned long long)st.flows_offloaded,
		(unsigned long long)st.flows_reset, (unsigned long long)st.flow_verdicts[BH_ACT_ALLOW],
		(unsigned long long)st.flow_verdicts[BH_ACT_DENY],
		(unsigned long long)st.flow_verdicts[BH_ACT_AUDIT],
		(unsigned long long)st.flow_verdicts[BH_ACT_LEARN],
		(unsigned long long)st.tx_verdicts[BH_ACT_ALLOW],
		(unsigned long long)st.tx_verdicts[BH_ACT_DENY],
		(unsigned long long)st.tx_verdicts[BH_ACT_AUDIT],
		(unsigned long long)st.tx_verdicts[BH_ACT_LEARN]);
	fprintf(stderr, "bulkheadd: events %llu queued, %llu dropped, %llu aggregated\n",
		(unsigned long long)es.queued, (unsigned long long)es.dropped,
		(unsigned long long)es.aggregated);
}

static int cleanup_only(void)
{
	char err[512];
	int r = dp_rules_cleanup(err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "bulkheadd: cleanup: %s\n", err);
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "bulkheadd: %d stale jump rule%s removed\n", r, r == 1 ? "" : "s");
	return 0;
}

static void node_log(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

/* Setup up to enforcing; returns 0 or an exit status. */
static int setup(struct bhd *d, struct ctl_dropped_stream **dropped)
{
	static const int keep[] = {CAP_NET_ADMIN, CAP_NET_RAW};
	struct ctl_node_config nc = {.state_dir = d->o.state_dir, .files = d->o.policies,
				     .nfiles = d->o.npolicies, .log = node_log};
	struct dp_engine_config cfg;
	struct dp_inline_config icfg = {0};
	char err[512];
	int r;

	/* The policy first: a node is never open while it starts. */
	if (ctl_node_new(&nc, &d->node) < 0) {
		fputs("bulkheadd: policy not loaded; not started\n", stderr);
		return EXIT_USAGE;
	}
	if (load_sigs(d) < 0) {
		fputs("bulkheadd: signatures not loaded; not started\n", stderr);
		return EXIT_USAGE;
	}
	if (dp_rules_check_sysctls(d->o.setup_sysctls, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		return EXIT_USAGE;
	}
	d->rc.ipt = d->o.ipt;
	if (dp_rules_detect(&d->rc.ipt, &d->ipt_name, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		return EXIT_USAGE;
	}
	if (d->o.control) {
		struct ctl_server_config sc = {.path = d->o.control, .on_req = bhd_request,
					       .ctx = d};

		if (ctl_server_open(&sc, &d->srv, err, sizeof(err)) < 0) {
			fprintf(stderr, "bulkheadd: --control %s\n", err);
			return EXIT_USAGE;
		}
	}
	/* A crashed run's rules first: they may point at our queues. */
	r = dp_rules_cleanup(err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "bulkheadd: removing stale rules: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (r > 0)
		fprintf(stderr, "bulkheadd: removed %d stale rule%s of an earlier run\n", r,
			r == 1 ? "" : "s");
	dp_engine_config_init(&cfg);
	cfg.workers = d->o.queues;
	cfg.max_flows = d->o.max_flows;
	cfg.sigs = d->sigs;
	if (open_outputs(d, dropped, &cfg) < 0)
		return EXIT_USAGE;
	icfg.queue_base = (uint16_t)d->o.queue_base;
	icfg.fail_open = d->o.fail_open;
	icfg.offload = d->o.fast_path;
	icfg.rcvbuf = 16u << 20;
	icfg.queue_maxlen = 8192;
	r = dp_inline_new(&cfg, &icfg, on_event, d, &d->dp, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		return EXIT_RUNTIME;
	}
	/* In force before the first packet, as generation N of the node. */
	r = dp_inline_set_policy(d->dp, ctl_node_policy(d->node), ctl_node_generation(d->node));
	if (r < 0) {
		fprintf(stderr, "bulkheadd: policy: %s\n", strerror(-r));
		return EXIT_RUNTIME;
	}
	d->rc.generation = ctl_node_generation(d->node);
	ctl_node_attach(d->node, swap_policy, d);
	/* Capabilities are per thread: drop them before any thread starts.
	 * NET_ADMIN answers the queues and, with NET_RAW, lets the iptables
	 * run at exit remove the rules. */
	if (ctl_privs_drop(keep, sizeof(keep) / sizeof(keep[0]), err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: dropping privileges: %s\n", err);
		return EXIT_RUNTIME;
	}
	r = dp_inline_start(d->dp);
	if (r < 0) {
		fprintf(stderr, "bulkheadd: worker threads: %s\n", strerror(-r));
		return EXIT_RUNTIME;
	}
	/* Connections an earlier run offloaded are unknown here. */
	clear_marks(d, 0, true);
	d->rc.bridges = d->o.bridges;
	d->rc.nbridges = d->o.nbridges;
	d->rc.queue_base = (uint16_t)d->o.queue_base;
	d->rc.queues = (uint16_t)d->o.queues;
	d->rc.fail_open = d->o.fail_open;
	d->rc.offload = d->o.fast_path;
	if (dp_rules_install(&d->rc, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: installing rules: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (d->o.metrics && ctl_metrics_start(d->o.metrics, bhd_metrics_fill, d, &d->metrics, err,
					      sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		return EXIT_USAGE;
	}
	bhd_publish(d);
	return 0;
}

int main(int argc, char **argv)
{
	struct bhd d = {.start_us = bhd_now_us()};
	struct ctl_dropped_stream *dropped = NULL;
	char err[512], caps[256] = "", pol[64];
	sigset_t ss;
	int sfd = -1, status, sig;

	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("bulkheadd %s\n", BULKHEAD_VERSION);
		return 0;
	}
	if (parse_args(argc, argv, &d.o) < 0)
		return EXIT_USAGE;
	if (d.o.cleanup_only)
		return cleanup_only();
	d.main_thread = pthread_self();
	/* Workers build JSON for flow and graph requests: jansson's hash seed
	 * is set once, here, not raced for by them. */
	json_object_seed(0);
	pthread_mutex_init(&d.learn_lock, NULL);
	pthread_mutex_init(&d.pub.lock, NULL);
	/* Signals are read from a signalfd by this thread only; the workers
	 * inherit the mask. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("bulkheadd: signalfd");
		return EXIT_RUNTIME;
	}
	status = setup(&d, &dropped);
	if (status)
		goto out;
	ctl_privs_report(caps, sizeof(caps));
	if (ctl_node_closed(d.node))
		snprintf(pol, sizeof(pol), "CLOSED: no policy could be read");
	else if (ctl_node_policy(d.node))
		snprintf(pol, sizeof(pol), "policy generation %u", ctl_node_generation(d.node));
	else
		snprintf(pol, sizeof(pol), "no policy: inspection only");
	fprintf(stderr, "bulkheadd: enforcing on ");
	for (size_t i = 0; i < d.o.nbridges; i++)
		fprintf(stderr, "%s%s", i ? "," : "", d.o.bridges[i]);
	fprintf(stderr, " (queues %u-%u, %s, iptables-%s, fast path %s, %s; control %s",
		d.o.queue_base, d.o.queue_base + d.o.queues - 1,
		d.o.fail_open ? "fail-open" : "fail-closed", d.ipt_name,
		d.o.fast_path ? "on" : "off", pol, d.o.control ? d.o.control : "off");
	if (d.metrics)
		fprintf(stderr, "; metrics port %u", ctl_metrics_port(d.metrics));
	fprintf(stderr, "; capabilities %s)\n", caps);
	ctl_notify("READY=1");
	sig = main_loop(&d, sfd);
	ctl_notify("STOPPING=1");
	fprintf(stderr, "bulkheadd: %s: removing rules and stopping\n", strsignal(sig));
out:
	if (d.rc.nbridges && dp_rules_cleanup(err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: removing rules: %s (run `bulkheadd --cleanup`)\n", err);
		status = EXIT_RUNTIME;
	}
	ctl_metrics_stop(d.metrics);
	if (d.dp) {
		dp_inline_stop(d.dp);
		if (!status) {
			stats_event(&d);
			print_summary(&d);
		}
	}
	if (d.evq)
		ctl_evq_flush(d.evq, event_out, &d);
	ctl_server_close(d.srv);
	d.srv = NULL;
	dp_inline_free(d.dp);
	if (dropped)
		ctl_dropped_stream_close(dropped);
	ctl_evout_close(d.eve);
	ctl_evq_free(d.evq);
	for (unsigned i = 0; i <= DP_MAX_WORKERS; i++)
		ctl_buf_free(&d.fmt[i]);
	ctl_learn_free(d.learn);
	dpi_sigs_free(d.sigs);
	ctl_node_free(d.node);
	if (sfd >= 0)
		close(sfd);
	return status;
}
