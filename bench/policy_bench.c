/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy_bench - the policy compiler and the L3/L4 lookup at fleet sizes:
 * N = 500, 5,000 and 20,000 workloads, each with its own WorkloadPolicy of
 * 10 rules, built in memory as a bh_policy_doc (no YAML: the loader is not
 * what is measured).
 *
 * Workload i is "wl-i", labels {app: svc-i, team: team-(i % 50)}, address
 * 10.x.y.z (i + 1 spread over the last three bytes). Its policy selects
 * {app: svc-i}, mode protect, and has these rules (peers are other
 * workloads by index, modulo N):
 *
 *   ingress  0  L4    from {app: svc-(i+1)}          8080/TCP
 *            1  L4    from 192.168.(i%256).0/24       9090/TCP
 *            2  HTTP  from {app: svc-(i+7)}          80/TCP   4 entries
 *            3  HTTP  from {team: team-(i%50)}       8000/TCP 3 entries
 *            4  SQL   from {app: svc-(i+13)}         5432/TCP 2 entries
 *   egress   5  DNS   to 10.96.0.10/32               53/UDP   3 entries
 *            6  L4    to {app: svc-(i-1)}            8080/TCP
 *            7  L4    to 203.0.113.0/24              443/TCP
 *            8  HTTP  to {app: svc-(i+11)}           8080/TCP 2 entries
 *            9  SQL   to {app: svc-(i+5)}            3306/TCP 2 entries
 *
 * As in real fleets, some L7 entries are the same in every policy (GET
 * /healthz, GET|POST /api/v1/orders/[0-9]+, GET /static/.*\.(js|css), GET
 * /metrics, *.svc.cluster.local) and some are unique to the policy (GET
 * /svc-i/items/[0-9a-f]{8}, PUT /svc-i/config/[a-z]+, /svc-i/status, the
 * DNS name svc-i.ns.svc.cluster.local and pattern *.svc-i.example.com,
 * tables orders_i and stock_i). So the regexes Hyperscan compiles grow with
 * N (two unique paths per policy; DNS patterns are matched label by label,
 * without Hyperscan) while the shared ones are compiled once.
 *
 * Measured, each N in a child process of its own so that memory figures
 * start from the same place:
 *   - dpi_policy_new(): wall time of 3 compiles, median shown with the
 *     range; compile_us of dpi_policy_info() for the kept one;
 *   - peak RSS delta: VmHWM after the first compile minus VmRSS before it
 *     (the peak reset through /proc/self/clear_refs first), and "kept", the
 *     RSS the snapshot still holds after it (later compiles reuse freed
 *     memory, so only the first is measured);
 *   - lookups: one dpi worker (dpi_worker_new(), dpi_worker_set_policy())
 *     opening flows with dpi_flow_open() and freeing each with
 *     dpi_flow_discard(), for two mixes: "allowed" (wl-i to wl-(i-1) on
 *     8080, which both ends' rules allow) and "random" (random pairs on a
 *     random port of 80, 8080, 5432, 6379: mostly no rule). Flows come from
 *     a precomputed table of 65,536; each mix runs -t seconds (0.3) per
 *     round, 3 rounds, median flows/s shown.
 * Nothing is asserted; the target printed (5,000 workloads x 10 rules in
 * under 2 s) is a reference to read the table against.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/dpi.h"
#include "bench_sys.h"

#define RULES_PER 10
#define ROUNDS 3
#define NFLOWS 65536u
#define TARGET_N 5000u
#define TARGET_S 2.0

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("policy_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a bump allocator for the document: one free at the end ---------- */

struct arena {
	struct arena *next;
	size_t used, cap;
	max_align_t mem[];
};

static struct arena *g_arena;

static void *alloc(size_t n)
{
	struct arena *a = g_arena;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!a || a->cap - a->used < n) {
		size_t cap = n > (1u << 20) ? n : (1u << 20);

		a = malloc(sizeof(*a) + cap);
		if (!a)
			die("out of memory");
		a->next = g_arena;
		a->used = 0;
		a->cap = cap;
		g_arena = a;
	}
	p = (char *)a->mem + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(void)
{
	while (g_arena) {
		struct arena *n = g_arena->next;

		free(g_arena);
		g_arena = n;
	}
}

/* --unique-tails: the per-policy paths differ after their first
 * metacharacter (/items/[0-9a-f]{8}/svc-i), so each is a regex of its own
 * for Hyperscan: the compiler's worst case. */
static bool unique_tails;

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static const char *fmt(const char *f, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	s = alloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

/* ---- the document ------------------------------------------------------ */

static void v4(union bh_addr *a, unsigned b0, unsigned b1, unsigned b2, unsigned b3)
{
	memset(a, 0, sizeof(*a));
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = (uint8_t)b0;
	a->b[13] = (uint8_t)b1;
	a->b[14] = (uint8_t)b2;
	a->b[15] = (uint8_t)b3;
}

static void wl_addr(union bh_addr *a, unsigned i)
{
	unsigned k = i + 1;

	v4(a, 10, (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff);
}

static struct bh_selector sel1(const char *key, const char *value)
{
	struct bh_kv *kv = alloc(sizeof(*kv));

	kv->key = key;
	kv->value = value;
	return (struct bh_selector){.labels = kv, .nlabels = 1};
}

static const struct bh_peer *peer_app(unsigned j)
{
	struct bh_peer *p = alloc(sizeof(*p));

	p->kind = BH_PEER_SELECTOR;
	p->sel = sel1("app", fmt("svc-%u", j));
	return p;
}

static const struct bh_peer *peer_cidr(union bh_addr net, uint8_t plen)
{
	struct bh_peer *p = alloc(sizeof(*p));

	p->kind = BH_PEER_CIDR;
	p->cidr.net = net;
	p->cidr.plen = plen;
	return p;
}

static const struct bh_port *port1(uint16_t port, uint8_t proto)
{
	struct bh_port *p = alloc(sizeof(*p));

	p->port = port;
	p->proto = proto;
	return p;
}

static void rule(struct bh_rule *r, const char *name, const struct bh_peer *peer, uint16_t port,
		 uint8_t proto)
{
	r->name = name;
	r->has_peers = true;
	r->peers = peer;
	r->npeers = 1;
	r->ports = port1(port, proto);
	r->nports = 1;
}

static struct bh_http_rule http(const char *method, const char *path)
{
	return (struct bh_http_rule){.method = method, .path = path};
}

static struct bh_sql_rule sql(const char *s1, const char *s2, const char *t1, const char *t2)
{
	const char **st = alloc(2 * sizeof(*st)), **tb = alloc(2 * sizeof(*tb));
	struct bh_sql_rule q = {.statements = st, .tables = tb};

	st[q.nstatements++] = s1;
	if (s2)
		st[q.nstatements++] = s2;
	if (t1)
		tb[q.ntables++] = t1;
	if (t2)
		tb[q.ntables++] = t2;
	return q;
}

static void build_doc(unsigned n, struct bh_policy_doc *doc)
{
	struct bh_workload *wl = alloc(n * sizeof(*wl));
	struct bh_policy *pol = alloc(n * sizeof(*pol));
	union bh_addr net;

	for (unsigned i = 0; i < n; i++) {
		struct bh_kv *kv = alloc(2 * sizeof(*kv));
		struct bh_cidr *a = alloc(sizeof(*a));

		kv[0] = (struct bh_kv){.key = "app", .value = fmt("svc-%u", i)};
		kv[1] = (struct bh_kv){.key = "team", .value = fmt("team-%u", i % 50)};
		wl_addr(&a->net, i);
		a->plen = 128;
		wl[i] = (struct bh_workload){
			.name = fmt("wl-%u", i), .labels = kv, .nlabels = 2, .addrs = a, .naddrs = 1};
	}
	for (unsigned i = 0; i < n; i++) {
		struct bh_rule *in = alloc(5 * sizeof(*in)), *eg = alloc(5 * sizeof(*eg));
		struct bh_http_rule *h;
		struct bh_dns_rule *d;
		struct bh_sql_rule *q;
		struct bh_peer *team;

		rule(&in[0], "from-peer-l4", peer_app((i + 1) % n), 8080, IPPROTO_TCP);
		v4(&net, 192, 168, i % 256, 0);
		rule(&in[1], "from-net-l4", peer_cidr(net, 96 + 24), 9090, IPPROTO_TCP);
		rule(&in[2], "from-web-http", peer_app((i + 7) % n), 80, IPPROTO_TCP);
		h = alloc(4 * sizeof(*h));
		h[0] = http("GET", "/healthz");
		h[1] = http("GET|POST", "/api/v1/orders/[0-9]+");
		h[2] = http("GET", unique_tails ? fmt("/items/[0-9a-f]{8}/svc-%u", i)
					       : fmt("/svc-%u/items/[0-9a-f]{8}", i));
		h[3] = http("GET", fmt("/svc-%u/status", i));
		in[2].has_l7 = true;
		in[2].http = h;
		in[2].nhttp = 4;
		team = alloc(sizeof(*team));
		team->kind = BH_PEER_SELECTOR;
		team->sel = sel1("team", fmt("team-%u", i % 50));
		rule(&in[3], "from-team-http", team, 8000, IPPROTO_TCP);
		h = alloc(3 * sizeof(*h));
		h[0] = http("GET", "/static/.*\\.(js|css)");
		h[1] = http("GET", "/metrics");
		h[2] = http("PUT", unique_tails ? fmt("/config/[a-z]+/svc-%u", i)
					       : fmt("/svc-%u/config/[a-z]+", i));
		in[3].has_l7 = true;
		in[3].http = h;
		in[3].nhttp = 3;
		rule(&in[4], "from-app-sql", peer_app((i + 13) % n), 5432, IPPROTO_TCP);
		q = alloc(2 * sizeof(*q));
		q[0] = sql("SELECT", "INSERT", fmt("orders_%u", i), "items");
		q[1] = sql("BEGIN", "COMMIT", NULL, NULL);
		in[4].has_l7 = true;
		in[4].sql = q;
		in[4].nsql = 2;

		v4(&net, 10, 96, 0, 10);
		rule(&eg[0], "to-dns", peer_cidr(net, 128), 53, IPPROTO_UDP);
		d = alloc(3 * sizeof(*d));
		d[0].match_name = fmt("svc-%u.ns.svc.cluster.local", i);
		d[1].match_pattern = "*.svc.cluster.local";
		d[2].match_pattern = fmt("*.svc-%u.example.com", i);
		eg[0].has_l7 = true;
		eg[0].dns = d;
		eg[0].ndns = 3;
		rule(&eg[1], "to-peer-l4", peer_app((i + n - 1) % n), 8080, IPPROTO_TCP);
		v4(&net, 203, 0, 113, 0);
		rule(&eg[2], "to-ext-l4", peer_cidr(net, 96 + 24), 443, IPPROTO_TCP);
		rule(&eg[3], "to-api-http", peer_app((i + 11) % n), 8080, IPPROTO_TCP);
		h = alloc(2 * sizeof(*h));
		h[0] = http("GET", "/api/v1/orders/[0-9]+");
		h[1] = http("POST", fmt("/svc-%u/items", (i + 11) % n));
		eg[3].has_l7 = true;
		eg[3].http = h;
		eg[3].nhttp = 2;
		rule(&eg[4], "to-db-sql", peer_app((i + 5) % n), 3306, IPPROTO_TCP);
		q = alloc(2 * sizeof(*q));
		q[0] = sql("SELECT", NULL, "catalog", NULL);
		q[1] = sql("UPDATE", NULL, fmt("stock_%u", i), NULL);
		eg[4].has_l7 = true;
		eg[4].sql = q;
		eg[4].nsql = 2;

		pol[i] = (struct bh_policy){
			.name = fmt("svc-%u", i),
			.selector = sel1("app", fmt("svc-%u", i)),
			.mode = BH_MODE_PROTECT,
			.has_ingress = true,
			.has_egress = true,
			.ingress = in,
			.ningress = 5,
			.egress = eg,
			.negress = 5,
		};
	}
	*doc = (struct bh_policy_doc){.workloads = wl, .nworkloads = n, .policies = pol,
				      .npolicies = n};
}

/* ---- memory ------------------------------------------------------------- */

/* A field of /proc/self/status in KiB, or -1. */
static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t n = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0); false if it can't. */
static bool reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

/* ---- one size, in a child --------------------------------------------- */

struct result {
	unsigned n;
	int err;                  /* dpi_policy_new()'s, or 0 */
	unsigned errors, warnings;
	double compile_s[ROUNDS];
	double build_s;           /* the in-memory document */
	struct dpi_policy_info info;
	long peak_kib, kept_kib;  /* -1: not measurable */
	double fps[2][ROUNDS];    /* [0] allowed mix, [1] random mix */
	double allowed_frac[2];
};

static void on_error(void *ctx, bool warning, const char *msg)
{
	struct result *r = ctx;

	if (warning)
		r->warnings++;
	else
		r->errors++;
	if (r->errors + r->warnings <= 5)
		fprintf(stderr, "policy_bench: N=%u: %s: %s\n", r->n, warning ? "warning" : "error",
			msg);
}

struct flow_in {
	uint8_t client[16], server[16];
	uint16_t port;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void make_flows(struct flow_in *f, unsigned n, bool allowed)
{
	static const uint16_t ports[] = {80, 8080, 5432, 6379};

	for (unsigned k = 0; k < NFLOWS; k++) {
		unsigned c = rnd() % n, s = allowed ? (c + n - 1) % n : rnd() % n;
		union bh_addr a;

		wl_addr(&a, c);
		memcpy(f[k].client, a.b, 16);
		wl_addr(&a, s);
		memcpy(f[k].server, a.b, 16);
		f[k].port = allowed ? 8080 : ports[rnd() % 4];
	}
}

/* Opens and discards flows for @secs; returns flows/s and the share that
 * was allowed. */
static double run_flows(struct dpi_worker *w, const struct flow_in *f, double secs,
			double *ret_allowed)
{
	uint64_t done = 0, allowed = 0;
	double t0 = clock_s(), t;

	do {
		for (unsigned k = 0; k < NFLOWS; k++) {
			struct dpi_flow *slot = NULL;
			struct dpi_flow_meta m = {
				.ipproto = IPPROTO_TCP,
				.client_port = (uint16_t)(40000 + (k & 8191)),
				.server_port = f[k].port,
				.client_addr = f[k].client,
				.server_addr = f[k].server,
			};
			const struct bh_verdict *v = dpi_flow_open(w, &slot, NULL, &m);

			allowed += v && v->action == BH_ACT_ALLOW;
			dpi_flow_discard(w, &slot);
		}
		done += NFLOWS;
		t = clock_s() - t0;
	} while (t < secs);
	*ret_allowed = (double)allowed / (double)done;
	return (double)done / t;
}

static void measure(unsigned n, double secs, struct result *r)
{
	struct bh_policy_doc doc;
	struct dpi_policy *p = NULL;
	struct dpi_worker *w;
	struct dpi_ops ops = {0};
	struct flow_in *flows[2];
	double t0;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->peak_kib = r->kept_kib = -1;
	t0 = clock_s();
	build_doc(n, &doc);
	r->build_s = clock_s() - t0;
	/* Memory from the first compile only: later ones reuse what the
	 * earlier ones freed. */
	for (unsigned round = 0; round < ROUNDS; round++) {
		long before = round ? -1 : status_kib("VmRSS");
		bool reset = round == 0 && reset_peak();
		int e;

		t0 = clock_s();
		e = dpi_policy_new(&doc, on_error, r, &p);
		r->compile_s[round] = clock_s() - t0;
		if (e < 0) {
			r->err = e;
			return;
		}
		if (round == 0 && before >= 0) {
			long peak = status_kib("VmHWM"), now = status_kib("VmRSS");

			if (reset && peak >= 0)
				r->peak_kib = peak - before;
			if (now >= 0)
				r->kept_kib = now - before;
		}
		if (round + 1 < ROUNDS) {
			dpi_policy_free(p);
			p = NULL;
		}
	}
	dpi_policy_info(p, &r->info);

	if (dpi_worker_new(&ops, &w) < 0 || dpi_worker_set_policy(w, p) < 0)
		die("dpi worker setup failed");
	for (unsigned mix = 0; mix < 2; mix++) {
		flows[mix] = malloc(NFLOWS * sizeof(*flows[mix]));
		if (!flows[mix])
			die("out of memory");
		make_flows(flows[mix], n, mix == 0);
		run_flows(w, flows[mix], secs / 3, &r->allowed_frac[mix]); /* warm-up */
	}
	for (unsigned round = 0; round < ROUNDS; round++)
		for (unsigned mix = 0; mix < 2; mix++)
			r->fps[mix][round] = run_flows(w, flows[mix], secs, &r->allowed_frac[mix]);
	free(flows[0]);
	free(flows[1]);
	dpi_worker_free(w);
	dpi_policy_free(p);
	arena_free();
}

/* Runs measure() in a child: each size starts from a fresh heap. */
static int measure_child(unsigned n, double secs, struct result *r)
{
	int fds[2], status;
	pid_t pid;
	ssize_t got;

	if (pipe(fds) < 0)
		return -errno;
	fflush(stdout); /* or the child's exit could write it twice */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(fds[0]);
		measure(n, secs, r);
		_exit(write(fds[1], r, sizeof(*r)) == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	close(fds[1]);
	got = read(fds[0], r, sizeof(*r));
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (got != (ssize_t)sizeof(*r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

/* ---- report ------------------------------------------------------------ */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n, double *ret_min, double *ret_max)
{
	double s[ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_d);
	*ret_min = s[0];
	*ret_max = s[n - 1];
	return s[n / 2];
}

static void kib(char *buf, size_t len, long v)
{
	if (v < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.1f", (double)v / 1024.0);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: policy_bench [--quick] [-t SECONDS] [-n N]...\n"
		   "  -n  workloads (repeatable; default 500, 5000 and 20000)\n"
		   "  -t  seconds per lookup mix and round (default 0.3)\n"
		   "  --quick  N = 200 and 0.01 s: a smoke test (ASan)\n"
		   "  --unique-tails  per-policy regexes that differ after their first\n"
		   "           metacharacter: each one is Hyperscan's to compile\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"unique-tails", no_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned sizes[8], nsizes = 0;
	double secs = 0.3, t0;
	char cpu[128] = "unknown", load[64] = "?";
	bool quick = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quick = true;
			break;
		case 'u':
			unique_tails = true;
			break;
		case 'n': {
			unsigned long v = strtoul(optarg, NULL, 10);

			if (nsizes == 8 || v < 2 || v > 1000000) {
				usage(stderr);
				return 2;
			}
			sizes[nsizes++] = (unsigned)v;
			break;
		}
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!(secs > 0 && secs <= 60)) {
		usage(stderr);
		return 2;
	}
	if (quick) {
		secs = 0.01;
		if (!nsizes)
			sizes[nsizes++] = 200;
	}
	if (!nsizes) {
		sizes[nsizes++] = 500;
		sizes[nsizes++] = 5000;
		sizes[nsizes++] = 20000;
	}

	t0 = clock_s();
	bench_sysinfo(cpu, sizeof(cpu), load, sizeof(load));
	printf("policy_bench: %ld CPUs online (shared: compare rows of one run), CPU %s, load "
	       "average %s\n"
	       "Each workload has its own WorkloadPolicy of %u rules (4 L4-only with selectors "
	       "and CIDRs, 3 HTTP, 1 DNS, 2 SQL; see the source),\nbuilt in memory; CLOCK_MONOTONIC. "
	       "compile: dpi_policy_new() x %u (its Hyperscan compiles use every CPU), median "
	       "[min..max]; "
	       "peak: VmHWM - VmRSS\naround the first compile; kept: RSS its snapshot "
	       "holds. Lookups (one thread): dpi_flow_open() + dpi_flow_discard(), median of %u "
	       "rounds of "
	       "%.2f s.\n\n",
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, load, RULES_PER, ROUNDS, ROUNDS, secs);
	printf("%9s %7s %8s %7s %4s | %-22s %10s | %8s %8s | %-23s %-23s\n", "workloads",
	       "rules", "l7 ents", "regexes", "dbs", "compile s", "info ms", "peak MiB",
	       "kept MiB", "allowed pairs flows/s", "random pairs flows/s");
	for (unsigned i = 0; i < nsizes; i++) {
		struct result r;
		double lo, hi, med, flo, fhi, fa, fr;
		char range[40], pk[16], kp[16], a[32], b[32];
		int e = measure_child(sizes[i], secs, &r);

		if (e < 0) {
			printf("%9u   (the measuring child failed: %s)\n", sizes[i], strerror(-e));
			continue;
		}
		if (r.err) {
			printf("%9u   dpi_policy_new() failed: %s (%u errors)\n", r.n,
			       strerror(-r.err), r.errors);
			continue;
		}
		med = median(r.compile_s, ROUNDS, &lo, &hi);
		snprintf(range, sizeof(range), "%.3f [%.3f..%.3f]", med, lo, hi);
		kib(pk, sizeof(pk), r.peak_kib);
		kib(kp, sizeof(kp), r.kept_kib);
		fa = median(r.fps[0], ROUNDS, &flo, &fhi);
		snprintf(a, sizeof(a), "%.2fM (%.0f%% allowed)", fa / 1e6, 100 * r.allowed_frac[0]);
		fr = median(r.fps[1], ROUNDS, &flo, &fhi);
		snprintf(b, sizeof(b), "%.2fM (%.0f%% allowed)", fr / 1e6, 100 * r.allowed_frac[1]);
		printf("%9u %7u %8u %7u %4u | %-22s %10.1f | %8s %8s | %-23s %-23s\n",
		       r.info.workloads, r.info.rules, r.info.l7_entries, r.info.regexes,
		       r.info.hs_databases, range, (double)r.info.compile_us / 1e3, pk, kp, a, b);
		if (r.warnings || r.errors)
			printf("%9s   (%u warnings, %u errors reported while compiling)\n", "",
			       r.warnings, r.errors);
		if (r.n == TARGET_N)
			printf("%9s   target %u x %u rules in < %.0f s: %s (median %.3f s)\n", "",
			       TARGET_N, RULES_PER, TARGET_S, med < TARGET_S ? "met" : "MISSED",
			       med);
		fflush(stdout);
	}
	printf("\n(measured in %.0f s; the document build is not in the compile times)\n",
	       clock_s() - t0);
	return 0;
}
