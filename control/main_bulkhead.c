/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * main_bulkhead.c - the `bulkhead` client. `replay` wires the dataplane's pcap
 * source to control's event writer through the contracts in include/.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/dp_engine.h"
#include "bulkhead/dpi.h"
#include "ctl_cli.h"
#include "ctl_decisions.h"
#include "ctl_dropped.h"
#include "ctl_eve.h"
#include "ctl_expect.h"
#include "ctl_learn.h"
#include "ctl_policy.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fputs("usage: bulkhead replay [--policy FILE]... [--rules FILE]... [--workers N]\n"
	      "                       [--eve FILE|-] [--expect FILE] [--learn FILE]\n"
	      "                       [--write-dropped FILE.pcap] [--progress]\n"
	      "                       [--max-flows N] [--stream-cap BYTES]\n"
	      "                       [--dump-streams DIR] [--sets LIST|all|none] PCAP...\n",
	      f);
	ctl_cli_usage(f);
	fputs("       bulkhead --version\n", f);
}

/* Parse a decimal in [min, max]; names the option on error. */
static int parse_uint(const char *opt, const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "bulkhead: %s: '%s' is not a number in [%llu, %llu]\n", opt, s, min,
			max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

struct dump_ctx {
	const char *dir;
	unsigned errors;
};

/* --dump-streams: append each direction's in-order bytes to its own file.
 * Debugging aid (like tcpflow); opening per delivery keeps it stateless. */
static void dump_tap(void *ctx, unsigned worker, uint64_t flow_id, unsigned dir,
		     const uint8_t *data, uint32_t len, unsigned flags)
{
	struct dump_ctx *d = ctx;
	char path[PATH_MAX];
	int fd;

	(void)worker;
	if (flags & DP_TAP_GAP)
		return;
	if (snprintf(path, sizeof(path), "%s/%llu.%s", d->dir, (unsigned long long)flow_id,
		     dir ? "toclient" : "toserver") >= (int)sizeof(path))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		__atomic_add_fetch(&d->errors, 1, __ATOMIC_RELAXED);
		return;
	}
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n <= 0) {
			__atomic_add_fetch(&d->errors, 1, __ATOMIC_RELAXED);
			break;
		}
		data += n;
		len -= (uint32_t)n;
	}
	close(fd);
}

/* Without --eve, events are only counted (per thread, no locks): keeping
 * their JSON would cost memory and time for nothing. */
struct counter {
	uint64_t n[DP_MAX_WORKERS + 1][BH_EV__MAX];
};

/* Where events go: the EVE writer or the counter, and any of the
 * expectations, the learner and the decision log. */
struct sinks {
	struct ctl_eve_sorter *sorter;
	struct counter *counter;
	struct ctl_expect *expect;
	struct ctl_learn *learn;
	struct ctl_decisions *decisions;
};

static void on_event(void *ctx, unsigned worker, const struct bh_event *ev)
{
	struct sinks *s = ctx;

	if (s->sorter)
		ctl_eve_sorter_add(s->sorter, worker, ev);
	else if (worker <= DP_MAX_WORKERS && ev->type < BH_EV__MAX)
		s->counter->n[worker][ev->type]++;
	if (s->expect)
		ctl_expect_event(s->expect, ev);
	if (s->learn)
		ctl_learn_event(s->learn, ev);
	if (s->decisions)
		ctl_decisions_add(s->decisions, worker, ev);
}

static uint64_t counted(const struct counter *c, enum bh_event_type t)
{
	uint64_t n = 0;

	for (unsigned i = 0; i <= DP_MAX_WORKERS; i++)
		n += c->n[i][t];
	return n;
}

struct progress {
	bool on;
	time_t last;
};

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *pr = ctx;
	time_t now = time(NULL);
	unsigned pct, bar;
	char line[64];

	if (done < total && now == pr->last)
		return;
	pr->last = now;
	pct = total ? (unsigned)(done * 100 / total) : 0;
	bar = pct * 40 / 100;
	memset(line, '#', bar);
	memset(line + bar, '.', 40 - bar);
	line[40] = '\0';
	fprintf(stderr, "\r[%s] %3u%% %.1f/%.1f MB", line, pct, (double)done / (1 << 20),
		(double)total / (1 << 20));
	if (done >= total)
		fputc('\n', stderr);
}

static void print_summary(FILE *f, const struct dp_stats *st, uint64_t anomaly_events,
			  double secs, unsigned workers)
{
	fprintf(f, "packets      %llu (%llu bytes), %llu decoded, %llu invalid\n",
		(unsigned long long)st->pkts, (unsigned long long)st->bytes,
		(unsigned long long)st->pkts_decoded, (unsigned long long)st->pkts_invalid);
	fprintf(f, "protocols    tcp %llu, udp %llu, icmp %llu, other %llu\n",
		(unsigned long long)st->tcp_pkts, (unsigned long long)st->udp_pkts,
		(unsigned long long)st->icmp_pkts, (unsigned long long)st->other_pkts);
	fprintf(f, "flows        %llu (%llu timed out, %llu evicted, %llu open at end)\n",
		(unsigned long long)st->flows_created, (unsigned long long)st->flows_timeout,
		(unsigned long long)st->flows_evicted, (unsigned long long)st->flows_active);
	fprintf(f, "fragments    %llu, %llu datagrams reassembled\n",
		(unsigned long long)st->frags, (unsigned long long)st->frags_reassembled);
	fprintf(f, "tcp streams  %llu bytes in order, %llu gaps, %llu overlaps (%llu conflicting), %llu buffer overflows\n",
		(unsigned long long)st->stream_delivered, (unsigned long long)st->stream_gaps,
		(unsigned long long)st->stream_overlaps, (unsigned long long)st->stream_conflicts,
		(unsigned long long)st->stream_overflows);
	fprintf(f, "l7           %llu transactions, %llu applayer anomalies\n",
		(unsigned long long)st->l7_records, (unsigned long long)st->l7_anomalies);
	fprintf(f, "alerts       %llu (%llu more held back by flood control)\n",
		(unsigned long long)st->alerts, (unsigned long long)st->alerts_suppressed);
	if (st->flow_verdicts[0] + st->flow_verdicts[1] + st->flow_verdicts[2] +
	    st->flow_verdicts[3])
		fprintf(f, "verdicts     flows: %llu allow, %llu deny, %llu audit, %llu learn; "
			   "transactions: %llu allow, %llu deny, %llu audit, %llu learn; "
			   "%llu flows reset, %llu packets dropped\n",
			(unsigned long long)st->flow_verdicts[0], (unsigned long long)st->flow_verdicts[1],
			(unsigned long long)st->flow_verdicts[2], (unsigned long long)st->flow_verdicts[3],
			(unsigned long long)st->tx_verdicts[0], (unsigned long long)st->tx_verdicts[1],
			(unsigned long long)st->tx_verdicts[2], (unsigned long long)st->tx_verdicts[3],
			(unsigned long long)st->flows_reset, (unsigned long long)st->pkts_dropped);
	fprintf(f, "anomalies    %llu (%llu events)\n", (unsigned long long)st->anomalies,
		(unsigned long long)anomaly_events);
	for (unsigned i = 1;; i++) {
		const char *type, *event;

		if (!dp_anomaly_names(i, &type, &event))
			break;
		if (st->anomaly_by_id[i])
			fprintf(f, "  %-40s %llu\n", event, (unsigned long long)st->anomaly_by_id[i]);
	}
	fprintf(f, "time         %.3f s, %u worker%s, %.0f packets/s\n", secs, workers,
		workers == 1 ? "" : "s", secs > 0 ? (double)st->pkts / secs : 0.0);
}

#define MAX_RULE_FILES 64

static void rule_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

/* Load and compile the policy files; every problem is printed. */
static int load_policy(const char *const *files, size_t n, struct ctl_policy **ret_docs,
		       struct dpi_policy **ret)
{
	int rc = ctl_policy_build(files, n, rule_error, NULL, ret_docs, ret);

	if (rc < 0) {
		if (rc == -EINVAL)
			fputs("bulkhead replay: policy not loaded, nothing replayed\n", stderr);
		else
			fprintf(stderr, "bulkhead replay: policy: %s; nothing replayed\n",
				strerror(-rc));
	}
	return rc;
}

/* After the replay: the decision lines, the learned policy, the dropped
 * packets. */
static int finish(struct sinks *s, FILE *f, const char *learn_file, struct ctl_dropped *dropped,
		  const char *dropped_file)
{
	char err[512];
	int ret = 0;

	if (s->decisions) {
		size_t bad, all = ctl_decisions_count(s->decisions, &bad);
		bool some = all > 200;

		fprintf(f, "decisions    %zu (%zu not allowed)%s\n", all, bad,
			some ? "; the ones not allowed (--eve has them all):" : ":");
		ctl_decisions_write(s->decisions, f, some);
	}
	if (learn_file) {
		FILE *lf = strcmp(learn_file, "-") ? fopen(learn_file, "we") : stdout;

		if (!lf || ctl_learn_write(s->learn, lf, err, sizeof(err)) < 0) {
			fprintf(stderr, "bulkhead replay: --learn %s: %s\n", learn_file,
				lf ? err : strerror(errno));
			ret = -EIO;
		}
		if (lf && lf != stdout && fclose(lf) != 0 && !ret) {
			fprintf(stderr, "bulkhead replay: --learn %s: %s\n", learn_file,
				strerror(errno));
			ret = -EIO;
		}
	}
	if (dropped) {
		size_t skipped;
		long n = ctl_dropped_write(dropped, dropped_file, &skipped, err, sizeof(err));

		if (n < 0) {
			fprintf(stderr, "bulkhead replay: --write-dropped %s\n", err);
			ret = -EIO;
		} else if (skipped) {
			fprintf(stderr,
				"bulkhead replay: --write-dropped: %zu packets of another link type left out\n",
				skipped);
		}
	}
	return ret;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"workers", required_argument, NULL, 'w'},
		{"eve", required_argument, NULL, 'e'},
		{"progress", no_argument, NULL, 'p'},
		{"max-flows", required_argument, NULL, 'm'},
		{"stream-cap", required_argument, NULL, 's'},
		{"dump-streams", required_argument, NULL, 'd'},
		{"sets", required_argument, NULL, 'S'},
		{"rules", required_argument, NULL, 'r'},
		{"policy", required_argument, NULL, 'P'},
		{"expect", required_argument, NULL, 'x'},
		{"learn", required_argument, NULL, 'l'},
		{"write-dropped", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct dp_engine_config cfg;
	struct ctl_eve_sorter *sorter = NULL;
	struct dp_replay *r = NULL;
	struct dump_ctx dump = {0};
	struct counter *counter = NULL;
	struct progress pr = {0};
	struct dp_stats st;
	struct timespec t0, t1;
	const char *eve = NULL;
	FILE *out = NULL;
	char err[512];
	unsigned long long v;
	int c, rc, ret = EXIT_USAGE;
	const char *rule_files[MAX_RULE_FILES];
	struct dpi_sigs_config sc = {.sets = DPI_SETS_BUILTIN, .rule_files = rule_files,
				     .error = rule_error};
	struct dpi_sigs *sigs = NULL;
	const char *policy_files[MAX_RULE_FILES];
	size_t npolicy = 0;
	const char *expect_file = NULL, *learn_file = NULL, *dropped_file = NULL;
	struct ctl_policy *docs = NULL;
	struct dpi_policy *policy = NULL;
	struct ctl_dropped *dropped = NULL;
	struct sinks sinks = {0};
	FILE *human = stdout;

	dp_engine_config_init(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+w:e:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (parse_uint("--workers", optarg, 1, DP_MAX_WORKERS, &v) < 0)
				return EXIT_USAGE;
			cfg.workers = (unsigned)v;
			break;
		case 'e':
			eve = optarg;
			break;
		case 'p':
			pr.on = true;
			break;
		case 'm':
			if (parse_uint("--max-flows", optarg, 1, 1u << 30, &v) < 0)
				return EXIT_USAGE;
			cfg.max_flows = (uint32_t)v;
			break;
		case 's':
			if (parse_uint("--stream-cap", optarg, 0, 64u << 20, &v) < 0)
				return EXIT_USAGE;
			cfg.stream_cap = (uint32_t)v;
			break;
		case 'd':
			dump.dir = optarg;
			break;
		case 'S':
			if (dpi_set_parse(optarg, &sc.sets, err, sizeof(err)) < 0) {
				fprintf(stderr, "bulkhead replay: --sets: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (sc.n_rule_files == MAX_RULE_FILES) {
				fprintf(stderr, "bulkhead replay: at most %d --rules files\n",
					MAX_RULE_FILES);
				return EXIT_USAGE;
			}
			rule_files[sc.n_rule_files++] = optarg;
			break;
		case 'P':
			if (npolicy == MAX_RULE_FILES) {
				fprintf(stderr, "bulkhead replay: at most %d --policy files\n",
					MAX_RULE_FILES);
				return EXIT_USAGE;
			}
			policy_files[npolicy++] = optarg;
			break;
		case 'x':
			expect_file = optarg;
			break;
		case 'l':
			learn_file = optarg;
			break;
		case 'D':
			dropped_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("bulkhead replay: no capture file given\n", stderr);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cfg.max_flows < cfg.workers)
		cfg.max_flows = cfg.workers;
	if (dump.dir) {
		if (mkdir(dump.dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "bulkhead replay: --dump-streams %s: %s\n", dump.dir,
				strerror(errno));
			return EXIT_USAGE;
		}
		cfg.stream_tap = dump_tap;
		cfg.stream_tap_ctx = &dump;
	}
	/* Policy and rules first: a bad file must not cost a replay. */
	if (npolicy) {
		rc = load_policy(policy_files, npolicy, &docs, &policy);
		if (rc < 0)
			goto out;
		cfg.policy = policy;
		/* Whatever a policy enforces must be inspected. */
		sc.sets |= dpi_policy_sig_sets(policy) & DPI_SETS_BUILTIN;
	}
	if (expect_file && !npolicy) {
		fputs("bulkhead replay: --expect needs --policy (decisions come from a policy)\n",
		      stderr);
		goto out;
	}
	if (expect_file && ctl_expect_load(expect_file, rule_error, NULL, &sinks.expect) < 0) {
		fprintf(stderr, "bulkhead replay: %s: expectations not loaded, nothing replayed\n",
			expect_file);
		goto out;
	}
	if (learn_file && !npolicy) {
		fputs("bulkhead replay: --learn needs --policy with the Workload documents (peers "
		      "are learned by their labels)\n",
		      stderr);
		goto out;
	}
	if (learn_file && ctl_learn_new(&sinks.learn) < 0)
		goto nomem;
	if (dropped_file) {
		if (ctl_dropped_new(&dropped) < 0)
			goto nomem;
		cfg.drop = ctl_dropped_add;
		cfg.drop_ctx = dropped;
	}
	if (npolicy && !eve && ctl_decisions_new(&sinks.decisions) < 0)
		goto nomem;
	if (sc.sets || sc.n_rule_files) {
		rc = dpi_sigs_new(&sc, &sigs);
		if (rc < 0) {
			if (rc == -EINVAL || rc == -ENOMEM)
				fputs("bulkhead replay: signatures not loaded, nothing replayed\n",
				      stderr);
			else
				fprintf(stderr, "bulkhead replay: rules: %s; nothing replayed\n",
					strerror(-rc));
			goto out;
		}
		cfg.sigs = sigs;
	}
	if (eve) {
		if (strcmp(eve, "-") == 0) {
			out = stdout;
		} else {
			out = fopen(eve, "we");
			if (!out) {
				fprintf(stderr, "bulkhead replay: --eve %s: %s\n", eve, strerror(errno));
				goto out;
			}
		}
	}
	if (out) {
		rc = ctl_eve_sorter_new(cfg.workers, &sorter);
		sinks.sorter = sorter;
	} else {
		counter = calloc(1, sizeof(*counter));
		rc = counter ? 0 : -ENOMEM;
		sinks.counter = counter;
	}
	if (rc == 0)
		rc = dp_replay_new(&cfg, on_event, &sinks, &r);
	if (rc < 0) {
		fprintf(stderr, "bulkhead replay: cannot start: %s\n", strerror(-rc));
		goto out;
	}
	/* stdout belongs to the EVE or learned output when they go there. */
	human = out == stdout || (learn_file && !strcmp(learn_file, "-")) ? stderr : stdout;
	pr.on = pr.on && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dp_replay_run(r, argv + optind, (size_t)(argc - optind),
			   pr.on ? show_progress : NULL, &pr, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc < 0)
		fprintf(stderr, "bulkhead replay: %s\n", err);
	ret = rc < 0 ? EXIT_USAGE : 0;
	if (out) {
		int w = ctl_eve_sorter_write(sorter, out);

		if (w == -ENOMEM)
			fputs("bulkhead replay: out of memory: some events were lost\n", stderr);
		else if (w < 0)
			fprintf(stderr, "bulkhead replay: --eve %s: write error\n", eve);
		if (w < 0)
			ret = EXIT_USAGE;
	}
	dp_replay_stats(r, &st);
	if (rc == 0 || st.pkts)
		print_summary(human, &st,
			      sorter ? ctl_eve_sorter_count(sorter, BH_EV_ANOMALY)
				     : counted(counter, BH_EV_ANOMALY),
			      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			      cfg.workers);
	if (dump.errors)
		fprintf(stderr, "bulkhead replay: %u stream dump writes failed\n", dump.errors);
	if (rc == 0 && finish(&sinks, human, learn_file, dropped,
			      dropped_file) < 0)
		ret = EXIT_USAGE;
	if (ret == 0 && sinks.expect &&
	    ctl_expect_report(sinks.expect, human))
		ret = 1;
	goto out;
nomem:
	fputs("bulkhead replay: out of memory\n", stderr);
out:
	dp_replay_free(r);
	dpi_sigs_free(sigs);
	dpi_policy_free(policy);
	ctl_policy_free(docs);
	ctl_expect_free(sinks.expect);
	ctl_learn_free(sinks.learn);
	ctl_decisions_free(sinks.decisions);
	ctl_dropped_free(dropped);
	ctl_eve_sorter_free(sorter);
	free(counter);
	if (out && out != stdout && fclose(out) != 0) {
		fprintf(stderr, "bulkhead replay: --eve %s: %s\n", eve, strerror(errno));
		ret = EXIT_USAGE;
	}
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("bulkhead %s\n", BULKHEAD_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	/* Every other command talks to the daemon. */
	return ctl_cli_main(argc, argv);
}
