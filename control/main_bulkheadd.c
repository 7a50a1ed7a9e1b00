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
#include "ctl_dropped.h"
#include "ctl_eve.h"
#include "ctl_json.h"
#include "ctl_notify.h"
#include "ctl_policy.h"
#include "ctl_privs.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define MAX_FILES 64
#define SETS_FROM_POLICY (~0u)
#define FLUSH_MS 200
#define EVE_BUFFER (1u << 20)

struct opts {
	const char *bridges[MAX_FILES];
	size_t nbridges;
	const char *policies[MAX_FILES];
	size_t npolicies;
	const char *rule_files[MAX_FILES];
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
	unsigned stats_interval;
	unsigned max_flows;
};

/* Events: formatted on the worker's thread, written under one lock. */
struct out {
	pthread_mutex_t lock;
	FILE *f;
	struct ctl_buf b[DP_MAX_WORKERS + 1];
	uint64_t errors;
};

struct daemon {
	struct opts o;
	struct out out;
	struct dp_inline *dp;
	struct dpi_sigs *sigs;
	struct ctl_policy *docs;
	struct dpi_policy *policy;
	unsigned sig_sets;
	unsigned generation;
	struct dp_rules_config rc;
	const char *ipt_name;
	uint64_t start_us;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(FILE *f)
{
	fputs("usage: bulkheadd --bridge NAME [--bridge NAME]... [--queues N] [--queue-base Q]\n"
	      "                 [--fail-open|--fail-closed] [--policy FILE]...\n"
	      "                 [--sets LIST|all|none] [--rules FILE]... [--eve FILE|-]\n"
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

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"bridge", required_argument, NULL, 'b'},
		{"queues", required_argument, NULL, 'q'},
		{"queue-base", required_argument, NULL, 'Q'},
		{"fail-open", no_argument, NULL, 'o'},
		{"fail-closed", no_argument, NULL, 'c'},
		{"policy", required_argument, NULL, 'P'},
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

static void on_event(void *ctx, unsigned worker, const struct bh_event *ev)
{
	struct out *o = ctx;
	struct ctl_buf *b = &o->b[worker <= DP_MAX_WORKERS ? worker : DP_MAX_WORKERS];

	if (!o->f)
		return;
	ctl_buf_reset(b);
	ctl_eve_format(b, ev);
	if (b->oom)
		return;
	pthread_mutex_lock(&o->lock);
	if (fwrite(b->p, 1, b->len, o->f) != b->len)
		o->errors++;
	pthread_mutex_unlock(&o->lock); /* flushed by the main thread */
}

/* Events reach the file within FLUSH_MS: one write for many events,
 * instead of one per event on the workers' path. */
static void flush_events(struct out *o)
{
	if (!o->f)
		return;
	pthread_mutex_lock(&o->lock);
	if (fflush(o->f) != 0)
		o->errors++;
	pthread_mutex_unlock(&o->lock);
}

static void verdict_counts(struct ctl_buf *b, const char *key, const uint64_t *v)
{
	ctl_json_kobj(b, key);
	for (unsigned a = 0; a < BH_ACT__MAX; a++)
		ctl_json_ku64(b, bh_action_name((enum bh_action)a), v[a]);
	ctl_json_close(b);
}

static void stats_event(struct daemon *d)
{
	struct ctl_buf b = {0};
	struct dp_stats st;
	char ts[40];
	uint64_t now = now_us();

	if (!d->out.f)
		return;
	dp_inline_stats(d->dp, &st);
	ctl_eve_time(ts, sizeof(ts), now);
	ctl_json_open(&b);
	ctl_json_kstr(&b, "timestamp", ts);
	ctl_json_kstr(&b, "event_type", "stats");
	ctl_json_kobj(&b, "stats");
	ctl_json_ku64(&b, "uptime", (now - d->start_us) / 1000000u);
	ctl_json_ku64(&b, "policy_generation", d->generation);
	ctl_json_open_array(&b, "queues");
	for (unsigned i = 0; i < dp_inline_queues(d->dp); i++) {
		struct dp_queue_stats q;

		dp_inline_queue_stats(d->dp, i, &q);
		ctl_json_elem(&b);
		ctl_json_open(&b);
		ctl_json_ku64(&b, "queue", d->o.queue_base + i);
		ctl_json_ku64(&b, "packets", q.packets);
		ctl_json_ku64(&b, "bytes", q.bytes);
		ctl_json_ku64(&b, "accepted", q.accepted);
		ctl_json_ku64(&b, "dropped", q.dropped);
		ctl_json_ku64(&b, "offloaded", q.offloaded);
		ctl_json_ku64(&b, "rejected", q.denied);
		ctl_json_ku64(&b, "resets_sent", q.resets_sent);
		ctl_json_ku64(&b, "verdict_msgs", q.verdict_msgs);
		ctl_json_ku64(&b, "enobufs", q.enobufs);
		ctl_json_ku64(&b, "missed", q.missed);
		ctl_json_ku64(&b, "errors", q.errors);
		ctl_json_close(&b);
	}
	ctl_json_close_array(&b);
	ctl_json_kobj(&b, "flows");
	ctl_json_ku64(&b, "created", st.flows_created);
	ctl_json_ku64(&b, "active", st.flows_active);
	ctl_json_ku64(&b, "offloaded", st.flows_offloaded);
	ctl_json_ku64(&b, "reset", st.flows_reset);
	ctl_json_close(&b);
	ctl_json_kobj(&b, "decisions");
	verdict_counts(&b, "flow", st.flow_verdicts);
	verdict_counts(&b, "transaction", st.tx_verdicts);
	ctl_json_close(&b);
	ctl_json_kobj(&b, "packets");
	ctl_json_ku64(&b, "decoded", st.pkts_decoded);
	ctl_json_ku64(&b, "invalid", st.pkts_invalid);
	ctl_json_ku64(&b, "dropped", st.pkts_dropped);
	ctl_json_ku64(&b, "spoofed", st.pkts_spoofed);
	ctl_json_close(&b);
	ctl_json_ku64(&b, "alerts", st.alerts);
	ctl_json_ku64(&b, "anomalies", st.anomalies);
	ctl_json_ku64(&b, "event_write_errors", d->out.errors);
	ctl_json_close(&b);
	ctl_json_close(&b);
	ctl_buf_puts(&b, "\n");
	if (!b.oom) {
		pthread_mutex_lock(&d->out.lock);
		fwrite(b.p, 1, b.len, d->out.f);
		fflush(d->out.f);
		pthread_mutex_unlock(&d->out.lock);
	}
	ctl_buf_free(&b);
}

/* ------------------------------------------------------------ policy */

static void print_msg(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

/* Load and compile the --policy files; every problem printed. */
static int load_policy(const struct opts *o, struct ctl_policy **ret_docs, struct dpi_policy **ret)
{
	int r;

	*ret_docs = NULL;
	*ret = NULL;
	if (!o->npolicies)
		return 0;
	r = ctl_policy_build(o->policies, o->npolicies, print_msg, NULL, ret_docs, ret);
	if (r < 0 && r != -EINVAL)
		fprintf(stderr, "bulkheadd: policy: %s\n", strerror(-r));
	return r;
}

static void reload(struct daemon *d)
{
	struct ctl_policy *docs;
	struct dpi_policy *p;
	char err[512];
	int r;

	if (!d->o.npolicies) {
		fputs("bulkheadd: SIGHUP: no --policy files to read\n", stderr);
		return;
	}
	if (load_policy(&d->o, &docs, &p) < 0) {
		fprintf(stderr, "bulkheadd: policy not reloaded; generation %u stays in force\n",
			d->generation);
		return;
	}
	if (dpi_policy_sig_sets(p) & DPI_SETS_BUILTIN & ~d->sig_sets) {
		fputs("bulkheadd: the new policy denies on signature sets not loaded (restart with "
		      "--sets naming them); policy not reloaded\n",
		      stderr);
		goto drop_new;
	}
	if (dp_inline_set_policy(d->dp, p, d->generation + 1) < 0) {
		/* Some workers took the new one: back to the old everywhere. */
		if (dp_inline_set_policy(d->dp, d->policy, d->generation) < 0) {
			/* Workers disagree: neither snapshot may be freed. */
			fputs("bulkheadd: out of memory switching policy, and switching back; "
			      "workers enforce different generations: restart the daemon\n",
			      stderr);
			ctl_policy_free(docs);
			return;
		}
		fputs("bulkheadd: out of memory switching policy; the old one stays\n", stderr);
		goto drop_new;
	}
	d->generation++;
	d->rc.generation = d->generation;
	if (d->o.fast_path && (r = dp_rules_set_generation(&d->rc, err, sizeof(err))) < 0)
		fprintf(stderr, "bulkheadd: fast path not re-armed: %s\n", err);
	dpi_policy_free(d->policy);
	ctl_policy_free(d->docs);
	d->policy = p;
	d->docs = docs;
	fprintf(stderr, "bulkheadd: policy reloaded (generation %u)\n", d->generation);
	return;
drop_new:
	dpi_policy_free(p);
	ctl_policy_free(docs);
}

/* ------------------------------------------------------------ main */

static int open_outputs(struct daemon *d, struct ctl_dropped_stream **dropped,
			struct dp_engine_config *cfg)
{
	char err[512];

	pthread_mutex_init(&d->out.lock, NULL);
	if (d->o.eve) {
		d->out.f = strcmp(d->o.eve, "-") ? fopen(d->o.eve, "ae") : stdout;
		if (!d->out.f) {
			fprintf(stderr, "bulkheadd: --eve %s: %s\n", d->o.eve, strerror(errno));
			return -errno;
		}
		setvbuf(d->out.f, NULL, _IOFBF, EVE_BUFFER);
	}
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

static int load_sigs(struct daemon *d)
{
	struct dpi_sigs_config sc = {.rule_files = d->o.rule_files,
				     .n_rule_files = d->o.nrule_files, .error = print_msg};
	int r;

	/* By default the sets the policy denies on; a policy's sets are
	 * always loaded. */
	sc.sets = d->o.sets == SETS_FROM_POLICY ? 0 : d->o.sets;
	if (d->policy)
		sc.sets |= dpi_policy_sig_sets(d->policy) & DPI_SETS_BUILTIN;
	d->sig_sets = sc.sets;
	if (!sc.sets && !sc.n_rule_files)
		return 0;
	r = dpi_sigs_new(&sc, &d->sigs);
	if (r < 0 && r != -EINVAL)
		fprintf(stderr, "bulkheadd: signatures: %s\n", strerror(-r));
	return r;
}

static int wait_signals(struct daemon *d, int sfd)
{
	uint64_t next_stats = d->o.stats_interval ? now_us() + d->o.stats_interval * 1000000ull : 0;

	for (;;) {
		struct pollfd pf = {.fd = sfd, .events = POLLIN};
		struct signalfd_siginfo si;
		int timeout = -1;

		if (next_stats) {
			uint64_t now = now_us();

			timeout = next_stats > now ? (int)((next_stats - now) / 1000u) + 1 : 0;
		}
		if (timeout < 0 || timeout > FLUSH_MS)
			timeout = FLUSH_MS;
		if (poll(&pf, 1, timeout) == 0) {
			flush_events(&d->out);
			if (next_stats && now_us() >= next_stats) {
				stats_event(d);
				next_stats += d->o.stats_interval * 1000000ull;
			}
			continue;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			stats_event(d);
			break;
		default:
			return (int)si.ssi_signo;
		}
	}
}

static void print_summary(struct daemon *d)
{
	struct dp_stats st;

	dp_inline_stats(d->dp, &st);
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

/* Setup up to enforcing; returns 0 or an exit status. */
static int setup(struct daemon *d, struct ctl_dropped_stream **dropped)
{
	static const int keep[] = {CAP_NET_ADMIN, CAP_NET_RAW};
	struct dp_engine_config cfg;
	struct dp_inline_config icfg = {0};
	char err[512];
	int r;

	if (load_policy(&d->o, &d->docs, &d->policy) < 0) {
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
	cfg.policy = d->policy;
	if (open_outputs(d, dropped, &cfg) < 0)
		return EXIT_USAGE;
	icfg.queue_base = (uint16_t)d->o.queue_base;
	icfg.fail_open = d->o.fail_open;
	icfg.offload = d->o.fast_path;
	icfg.rcvbuf = 16u << 20;
	icfg.queue_maxlen = 8192;
	r = dp_inline_new(&cfg, &icfg, on_event, &d->out, &d->dp, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		return EXIT_RUNTIME;
	}
	/* Capabilities are per thread: drop them before the workers start.
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
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {.start_us = now_us()};
	struct ctl_dropped_stream *dropped = NULL;
	char err[512], caps[256] = "";
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
	fprintf(stderr, "bulkheadd: enforcing on ");
	for (size_t i = 0; i < d.o.nbridges; i++)
		fprintf(stderr, "%s%s", i ? "," : "", d.o.bridges[i]);
	fprintf(stderr, " (queues %u-%u, %s, iptables-%s, fast path %s, %s; capabilities %s)\n",
		d.o.queue_base, d.o.queue_base + d.o.queues - 1,
		d.o.fail_open ? "fail-open" : "fail-closed", d.ipt_name,
		d.o.fast_path ? "on" : "off",
		d.policy ? "policy generation 0" : "no policy: inspection only", caps);
	ctl_notify("READY=1");
	sig = wait_signals(&d, sfd);
	ctl_notify("STOPPING=1");
	fprintf(stderr, "bulkheadd: %s: removing rules and stopping\n", strsignal(sig));
out:
	if (d.rc.nbridges && dp_rules_cleanup(err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: removing rules: %s (run `bulkheadd --cleanup`)\n", err);
		status = EXIT_RUNTIME;
	}
	if (d.dp) {
		dp_inline_stop(d.dp);
		if (!status) {
			stats_event(&d);
			print_summary(&d);
		}
		dp_inline_free(d.dp);
	}
	if (dropped)
		ctl_dropped_stream_close(dropped);
	if (d.out.f && d.out.f != stdout)
		fclose(d.out.f);
	for (unsigned i = 0; i <= DP_MAX_WORKERS; i++)
		ctl_buf_free(&d.out.b[i]);
	dpi_sigs_free(d.sigs);
	dpi_policy_free(d.policy);
	ctl_policy_free(d.docs);
	if (sfd >= 0)
		close(sfd);
	return status;
}
