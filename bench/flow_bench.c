/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * flow_bench - what one flow costs in the dataplane, in memory and time.
 *
 * Part 1 drives the flow table (dp_flow.h) directly: N distinct TCP flows are
 * keyed from synthetic decoded packets (dp_flow_key_make), hashed, looked up
 * (a miss) and inserted; then every flow is looked up again in a shuffled
 * order (hits); then N more distinct flows go into the full table, each
 * evicting the least recently used (dp_flow_lru + dp_flow_remove + insert).
 *
 * Part 2 sends N single-SYN Ethernet frames, built in memory beforehand,
 * through the whole worker path (dp_decode + dp_worker_process, as replay
 * does with one worker) with a no-op event callback: new flows into an empty
 * table, the same SYNs again (hits), N new SYNs into the full table (evicts),
 * and dp_worker_finish (emits every flow record).
 *
 * Each part runs R rounds on fresh tables; times are the median over rounds
 * (all rounds printed). Memory is resident set growth (/proc/self/statm) in
 * the first round, so it includes allocator overhead and untouched slack.
 * Nothing is asserted: this prints what it measured.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/dp_engine.h"
#include "dp_decode.h"
#include "dp_flow.h"
#include "dp_worker.h"

#define MAX_ROUNDS 9
#define SYN_FRAME 74 /* Ethernet 14 + IPv4 20 + TCP 20 + options 20 */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time (what is reported) and this process's CPU time alongside: a run
 * whose CPU time is well below its wall time was waiting for a CPU. */
struct stamp {
	double wall, cpu;
};

static struct stamp stamp_now(void)
{
	return (struct stamp){clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID)};
}

static long rss_bytes(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

/* Flow @i as the decoded packet of its client's SYN: 10.x.y.z:port ->
 * 192.0.2.k:80/443, distinct for every i below 2^24. */
static void synth_packet(struct dp_packet *p, uint32_t i)
{
	uint8_t src[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
	uint8_t dst[4] = {192, 0, 2, (uint8_t)(1 + i % 50)};

	p->family = AF_INET;
	p->proto = IPPROTO_TCP;
	p->has_l4 = true;
	dp_addr_from_v4(&p->src, src);
	dp_addr_from_v4(&p->dst, dst);
	p->sport = (uint16_t)(1024 + (i * 7919u) % 60000);
	p->dport = i & 1 ? 443 : 80;
	p->tcp_flags = DP_TH_SYN;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* The same flow as synth_packet(), as a frame on the wire. */
static void synth_frame(uint8_t *f, uint32_t i)
{
	static const uint8_t head[34] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, /* Ethernet */
		0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0,           /* IPv4 */
	};
	uint8_t *ip = f + 14, *t = f + 34;

	memset(f, 0, SYN_FRAME);
	memcpy(f, head, sizeof(head));
	ip[12] = 10, ip[13] = (uint8_t)(i >> 16), ip[14] = (uint8_t)(i >> 8), ip[15] = (uint8_t)i;
	ip[16] = 192, ip[17] = 0, ip[18] = 2, ip[19] = (uint8_t)(1 + i % 50);
	put16(t, (uint16_t)(1024 + (i * 7919u) % 60000));
	put16(t + 2, i & 1 ? 443 : 80);
	t[4] = (uint8_t)(i >> 24), t[5] = (uint8_t)(i >> 16), t[6] = (uint8_t)(i >> 8);
	t[7] = (uint8_t)i;
	t[12] = 10 << 4;     /* 40-byte header */
	t[13] = DP_TH_SYN;
	put16(t + 14, 64240);
	/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7 */
	memcpy(t + 20, (const uint8_t[]){2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7},
	       20);
}

struct round {
	double t[9], cpu[9];
};

static void lap(struct round *r, unsigned k, struct stamp t0)
{
	struct stamp t1 = stamp_now();

	r->t[k] = t1.wall - t0.wall;
	r->cpu[k] = t1.cpu - t0.cpu;
}

enum {
	R_FLOOR,
	R_INSERT,
	R_LOOKUP,
	R_EVICT,
	R_W_DECODE,
	R_W_NEW,
	R_W_HIT,
	R_W_EVICT,
	R_W_FINISH,
};

struct mem {
	long table_empty;   /* RSS growth from dp_flow_table_new */
	long table_full;    /* ... after N inserts */
	long worker_full;   /* RSS growth of a worker holding N flows */
	uint32_t count_after_insert, count_after_evict;
	uint64_t w_created, w_evicted, w_events, w_active;
};

/* The memory floor under a lookup hit: a random 4-byte "bucket" read, then
 * a dependent read of the 256-byte "slot" it names, over arrays as large as
 * a full table's, each op waiting for the previous one (as a packet path
 * does, having other work between lookups). What a lookup costs beyond this
 * is the table's own work. */
static int floor_round(uint32_t n, const uint32_t *perm, struct round *r)
{
	uint32_t *b = malloc(sizeof(*b) * n);
	uint64_t *slots = malloc((size_t)n * 256);
	uint64_t sum = 0;
	struct stamp t0;

	if (!b || !slots) {
		free(b);
		free(slots);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		b[i] = perm[(i * 7u + 3) % n]; /* another permutation */
	memset(slots, 1, (size_t)n * 256); /* touched, like a full table */
	t0 = stamp_now();
	for (uint32_t i = 0; i < n; i++) {
		/* (sum & 1) is 0 or 1 but unknown to the CPU: a dependency. */
		uint32_t j = perm[i] + (uint32_t)(sum & 1);

		sum += slots[(size_t)b[j < n ? j : 0] * 32];
	}
	lap(r, R_FLOOR, t0);
	if (sum == 0)
		fputs("flow_bench: floor read nothing\n", stderr);
	free(b);
	free(slots);
	return 0;
}

static int table_round(uint32_t n, const uint32_t *perm, struct round *r, struct mem *m,
		       bool measure)
{
	struct dp_flow_table *t = NULL;
	struct dp_packet p;
	struct dp_flow_key k;
	uint64_t found = 0;
	long rss0, rss1;
	struct stamp t0;
	int err;

	memset(&p, 0, sizeof(p));
	rss0 = rss_bytes();
	err = dp_flow_table_new(n, NULL, &t);
	if (err < 0)
		return err;
	rss1 = rss_bytes();

	t0 = stamp_now();
	for (uint32_t i = 0; i < n; i++) {
		struct dp_flow *f;
		uint32_t h;

		synth_packet(&p, i);
		dp_flow_key_make(&k, &p);
		h = dp_flow_hash(t, &k);
		if (dp_flow_lookup(t, &k, h))
			continue;
		f = dp_flow_insert(t, &k, h);
		if (!f) {
			err = -ENOMEM;
			goto out;
		}
		f->last_us = i; /* insertion order is LRU order */
	}
	lap(r, R_INSERT, t0);
	if (measure) {
		m->table_empty = rss1 - rss0;
		m->table_full = rss_bytes() - rss0;
		m->count_after_insert = dp_flow_count(t);
	}

	t0 = stamp_now();
	for (uint32_t i = 0; i < n; i++) {
		synth_packet(&p, perm[i]);
		dp_flow_key_make(&k, &p);
		found += dp_flow_lookup(t, &k, dp_flow_hash(t, &k)) != NULL;
	}
	lap(r, R_LOOKUP, t0);
	if (found != n) {
		fprintf(stderr, "flow_bench: only %llu of %u lookups hit\n",
			(unsigned long long)found, n);
		err = -EIO;
		goto out;
	}

	t0 = stamp_now();
	for (uint32_t i = n; i < 2 * n; i++) {
		struct dp_flow *f;
		uint32_t h;

		synth_packet(&p, i);
		dp_flow_key_make(&k, &p);
		h = dp_flow_hash(t, &k);
		if (dp_flow_lookup(t, &k, h))
			continue;
		if (dp_flow_table_full(t))
			dp_flow_remove(t, dp_flow_lru(t));
		f = dp_flow_insert(t, &k, h);
		if (!f) {
			err = -ENOMEM;
			goto out;
		}
		f->last_us = i;
	}
	lap(r, R_EVICT, t0);
	if (measure)
		m->count_after_evict = dp_flow_count(t);
out:
	dp_flow_table_free(t);
	return err;
}

struct sink {
	uint64_t events;
};

static void sink_event(void *ctx, unsigned worker, const struct bh_event *ev)
{
	struct sink *s = ctx;

	(void)worker;
	(void)ev;
	s->events++;
}

/* Feed frames [0, n) of @frames through @w, packet times from *ts_us;
 * the time goes to r->t[k]. */
static void feed(struct dp_worker *w, const uint8_t *frames, uint32_t n, uint64_t *ts_us,
		 uint64_t *pkt_no, struct round *r, unsigned k)
{
	struct stamp t0 = stamp_now();

	for (uint32_t i = 0; i < n; i++) {
		struct dp_packet p;
		int rc;

		memset(&p, 0, sizeof(p));
		p.data = frames + (size_t)i * SYN_FRAME;
		p.caplen = p.wirelen = SYN_FRAME;
		p.ts_us = (*ts_us)++;
		p.pkt_no = ++*pkt_no;
		p.source = "flow_bench";
		rc = dp_decode(&p, DP_LINK_ETHERNET);
		dp_worker_process(w, &p, rc);
	}
	lap(r, k, t0);
}

static int worker_round(uint32_t n, const uint8_t *frames, const uint8_t *frames2,
			struct round *r, struct mem *m, bool measure)
{
	struct dp_engine_config cfg;
	struct dp_worker *w = NULL;
	struct sink sink = {0};
	uint64_t ts = 1700000000ULL * 1000000, pkt_no = 0, sum = 0;
	long rss0;
	struct stamp t0;
	int err;

	/* Decode alone, to split the worker's cost from the decoder's. */
	t0 = stamp_now();
	for (uint32_t i = 0; i < n; i++) {
		struct dp_packet p;

		memset(&p, 0, sizeof(p));
		p.data = frames + (size_t)i * SYN_FRAME;
		p.caplen = p.wirelen = SYN_FRAME;
		sum += (uint64_t)dp_decode(&p, DP_LINK_ETHERNET) + p.sport;
	}
	lap(r, R_W_DECODE, t0);
	if (sum == 0)
		fputs("flow_bench: decode found nothing\n", stderr);

	dp_engine_config_init(&cfg);
	cfg.max_flows = n; /* full after the first pass: the third one evicts */
	rss0 = rss_bytes();
	err = dp_worker_new(&cfg, 0, sink_event, &sink, &w);
	if (err < 0)
		return err;
	feed(w, frames, n, &ts, &pkt_no, r, R_W_NEW);
	if (measure)
		m->worker_full = rss_bytes() - rss0;
	feed(w, frames, n, &ts, &pkt_no, r, R_W_HIT);
	feed(w, frames2, n, &ts, &pkt_no, r, R_W_EVICT);
	t0 = stamp_now();
	dp_worker_finish(w, ts);
	lap(r, R_W_FINISH, t0);
	if (measure) {
		const struct dp_stats *st = dp_worker_stats(w);

		m->w_created = st->flows_created;
		m->w_evicted = st->flows_evicted;
		m->w_active = st->flows_active;
		m->w_events = sink.events;
	}
	dp_worker_free(w);
	return 0;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct round *r, unsigned nr, unsigned k, bool cpu)
{
	double v[MAX_ROUNDS];

	for (unsigned i = 0; i < nr; i++)
		v[i] = cpu ? r[i].cpu[k] : r[i].t[k];
	qsort(v, nr, sizeof(v[0]), cmp_double);
	return nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2;
}

static void row(const char *what, uint32_t n, const struct round *r, unsigned nr, unsigned k,
		const char *how)
{
	double med = median(r, nr, k, false), cpu = median(r, nr, k, true);
	char all[96];
	size_t o = 0;

	all[0] = '\0';
	for (unsigned i = 0; i < nr && o < sizeof(all); i++) {
		int w = snprintf(all + o, sizeof(all) - o, "%s%.3f", i ? " " : "", r[i].t[k]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	printf("%-24s %8u %8.3f %6.0f%% %7.2f %7.1f  %-20s %s\n", what, n, med, 100 * cpu / med,
	       (double)n / med / 1e6, med * 1e9 / n, all, how);
}

static void usage(FILE *f)
{
	fputs("usage: flow_bench [-n FLOWS] [-r ROUNDS]\n"
	      "  -n FLOWS   distinct flows per pass (default 1000000)\n"
	      "  -r ROUNDS  rounds; times are the median (default 3, max 9)\n",
	      f);
}

int main(int argc, char **argv)
{
	unsigned long n = 1000000, nr = 3;
	struct round rounds[MAX_ROUNDS];
	struct mem m = {0};
	uint32_t *perm = NULL;
	uint8_t *frames = NULL, *frames2 = NULL;
	uint64_t seed = 1;
	char cpu[128] = "unknown", load[64] = "?";
	FILE *ci;
	int c, err = 0;

	while ((c = getopt(argc, argv, "n:r:h")) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			nr = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (n < 1 || n > (1u << 23) || nr < 1 || nr > MAX_ROUNDS) {
		usage(stderr);
		return 2;
	}

	ci = fopen("/proc/loadavg", "re");
	if (ci) {
		double l1, l5, l15;

		if (fscanf(ci, "%lf %lf %lf", &l1, &l5, &l15) == 3)
			snprintf(load, sizeof(load), "%.2f %.2f %.2f", l1, l5, l15);
		fclose(ci);
	}
	ci = fopen("/proc/cpuinfo", "re");
	if (ci) {
		char line[256];

		while (fgets(line, sizeof(line), ci)) {
			char *v = strchr(line, ':');

			if (strncmp(line, "model name", 10) == 0 && v) {
				snprintf(cpu, sizeof(cpu), "%s", v + 2);
				cpu[strcspn(cpu, "\n")] = '\0';
				break;
			}
		}
		fclose(ci);
	}

	/* A fixed mmap threshold keeps glibc from raising it after the first big
	 * free: every large block (slab chunks, buckets) is then mapped fresh
	 * and unmapped on free, as in a new process, so RSS growth in round 1
	 * is the table's and not memory recycled from an earlier phase. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);

	/* Inputs are built before anything is measured, so their memory is not
	 * counted and their cost is not timed. */
	perm = malloc(sizeof(*perm) * n);
	frames = malloc((size_t)n * SYN_FRAME);
	frames2 = malloc((size_t)n * SYN_FRAME);
	if (!perm || !frames || !frames2) {
		fputs("flow_bench: out of memory\n", stderr);
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = (uint32_t)n - 1; i > 0; i--) { /* Fisher-Yates, fixed seed */
		uint32_t j = (uint32_t)(splitmix(&seed) % (i + 1)), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (uint32_t i = 0; i < n; i++) {
		synth_frame(frames + (size_t)i * SYN_FRAME, i);
		synth_frame(frames2 + (size_t)i * SYN_FRAME, (uint32_t)n + i);
	}

	for (unsigned i = 0; i < nr && !err; i++)
		err = floor_round((uint32_t)n, perm, &rounds[i]);
	for (unsigned i = 0; i < nr && !err; i++)
		err = table_round((uint32_t)n, perm, &rounds[i], &m, i == 0);
	for (unsigned i = 0; i < nr && !err; i++)
		err = worker_round((uint32_t)n, frames, frames2, &rounds[i], &m, i == 0);
	if (err) {
		fprintf(stderr, "flow_bench: %s\n", strerror(-err));
		goto out;
	}

	printf("flow_bench: %lu flows, %lu rounds (median shown, then every round), "
	       "%ld CPUs online, CPU %s, load average %s\n\n", n, nr,
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, load);

	printf("Memory (RSS growth in round 1, /proc/self/statm)\n");
	printf("  sizeof(struct dp_flow)        %4zu B   (key %zu B, stream state %zu B)\n",
	       sizeof(struct dp_flow), sizeof(struct dp_flow_key), sizeof(struct dp_stream) * 2);
	printf("  key placement                 bytes %zu..%zu of each %zu-byte slot; slots are packed, so\n"
	       "                                a slot's key can straddle two 64-byte cache lines\n",
	       offsetof(struct dp_flow, key), offsetof(struct dp_flow, key) + sizeof(struct dp_flow_key),
	       sizeof(struct dp_flow));
	printf("  bucket bytes per flow         %6.2f B (RSS of an empty table of %lu / %lu)\n",
	       (double)m.table_empty / (double)n, n, n);
	printf("  table memory per flow         %6.2f B (RSS growth with %u flows / %lu)\n",
	       (double)m.table_full / (double)n, m.count_after_insert, n);
	printf("  worker memory per flow        %6.2f B (RSS growth of a worker after %lu SYNs / %lu; incl. defrag, table)\n",
	       (double)m.worker_full / (double)n, n, n);
	printf("  base state target             %4u B   (issue: at most 256 B per flow; reported, not asserted)\n\n",
	       256);

	printf("%-24s %8s %8s %7s %7s %7s  %-20s %s\n", "operation", "count", "median_s", "cpu",
	       "Mops/s", "ns/op", "rounds_s", "how");
	row("memory floor", (uint32_t)n, rounds, (unsigned)nr, R_FLOOR,
	    "random 4 B read, then the 256 B slot it names; serialized");
	row("table insert (miss)", (uint32_t)n, rounds, (unsigned)nr, R_INSERT,
	    "key_make+hash+lookup miss+insert, empty table");
	row("table lookup (hit)", (uint32_t)n, rounds, (unsigned)nr, R_LOOKUP,
	    "key_make+hash+lookup, full table, shuffled order");
	row("table evict+insert", (uint32_t)n, rounds, (unsigned)nr, R_EVICT,
	    "miss, dp_flow_lru+remove+insert, full table");
	row("decode only", (uint32_t)n, rounds, (unsigned)nr, R_W_DECODE,
	    "dp_decode of 74-byte SYN frames");
	row("worker: new flows", (uint32_t)n, rounds, (unsigned)nr, R_W_NEW,
	    "dp_decode+dp_worker_process, 1 SYN per flow, empty table");
	row("worker: existing flows", (uint32_t)n, rounds, (unsigned)nr, R_W_HIT,
	    "same SYNs again (flow hits)");
	row("worker: evicting flows", (uint32_t)n, rounds, (unsigned)nr, R_W_EVICT,
	    "new SYNs into the full table (evict LRU, emit record)");
	row("worker: finish", (uint32_t)n, rounds, (unsigned)nr, R_W_FINISH,
	    "dp_worker_finish: emit every remaining flow");
	printf("\ncpu: process CPU time / wall time (median of each); well under 100%% means the\n"
	       "     machine was busy and the run waited for a CPU: rerun before trusting it\n");
	printf("\nchecks: table held %u flows after inserts and %u after evictions; worker created %llu "
	       "flows, evicted %llu, %llu open at finish, %llu events\n",
	       m.count_after_insert, m.count_after_evict, (unsigned long long)m.w_created,
	       (unsigned long long)m.w_evicted, (unsigned long long)m.w_active,
	       (unsigned long long)m.w_events);
out:
	free(perm);
	free(frames);
	free(frames2);
	return err ? 1 : 0;
}
