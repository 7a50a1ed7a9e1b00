/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * parser_bench - L7 parser throughput, in MB/s and messages/s, on realistic
 * streams built in memory beforehand from fixed seeds (l7_gen.h).
 *
 * Streams are fed the way dpi/dpi_flow.c feed() does: each call gets the new
 * bytes straight from the "packet" when nothing is pending, else they are
 * appended to a pending buffer of unconsumed bytes (grown from 256 bytes by
 * doubling, freed once empty) and the whole buffer is presented again; the
 * parser is called in a loop until it wants more. Two ways to cut a stream:
 *
 *   mss    each flight (what one side sends before the other answers) in
 *          1448-byte pieces, as TCP segments of a 1500-byte MTU bring it;
 *   whole  each flight in one call.
 *
 * Every case is paired with a memscan over the same pieces: memchr() for the
 * byte value rarest in those bytes, one call per piece, counting hits. That
 * is about the cheapest way to touch every byte once from the same pieces,
 * so "x memscan" (parser time / memscan time) says how far a parser is from
 * that floor. A parser that skips bytes without reading them (a body of
 * known length) can be below 1.
 *
 * A warm-up pass of every case faults in its memory and measures its CPU
 * time; from that each case gets a number of passes over its input per
 * round (fresh parser state each pass) so that a round lasts about -t
 * seconds of CPU, and the memscan its own (half that). Then R rounds; a
 * round runs every case once, its memscan right before it, so machine load
 * hits both alike. Times are CLOCK_MONOTONIC, the median over the rounds
 * (all rounds printed). HTTP's two directions are timed apart: a clock read
 * around each batch of requests or responses (l7_gen_http()).
 *
 * Callbacks only count and sum a few lengths. Nothing is asserted: this
 * prints what it measured, then what the parsers reported (messages,
 * anomalies, errors), which shows the inputs were parsed as intended.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dpi_dns.h"
#include "dpi_http.h"
#include "dpi_mysql.h"
#include "dpi_parser.h"
#include "dpi_pgsql.h"
#include "dpi_sql.h"
#include "dpi_tls.h"
#include "l7_gen.h"
#include "bench_sys.h"

#define MAX_ROUNDS 15
#define MSS 1448u
#define MAX_ROWS 24
#define MAX_JOBS 16
#define MAX_ANOM 16

/* ------------------------------------------------------------ utilities */

static void die(const char *what)
{
	fprintf(stderr, "parser_bench: %s\n", what);
	exit(1);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --------------------------------------------------- the engine's caller */

/* Every parser as the engine calls it through f->app->parse. */
typedef int (*parse_fn)(void *ctx, unsigned dir, const uint8_t *buf, size_t len);

struct pend {
	uint8_t *p;
	uint32_t len, cap;
	bool dead;
};

struct feeder {
	parse_fn parse;
	void *ctx;
	struct pend d[2];
	uint64_t copied;   /* bytes appended to a pending buffer */
	uint64_t errors;   /* directions failed by a parse error */
	uint64_t overflow; /* directions failed by the pending cap */
};

/* dpi_flow.c pend_append(). */
static int pend_append(struct pend *d, const uint8_t *data, uint32_t len, uint32_t cap)
{
	if ((uint64_t)d->len + len > cap)
		return -ENOBUFS;
	if (d->len + len > d->cap) {
		uint32_t want = d->cap ? d->cap : 256;
		uint8_t *n;

		while (want < d->len + len)
			want *= 2;
		n = realloc(d->p, want);
		if (!n)
			return -ENOMEM;
		d->p = n;
		d->cap = want;
	}
	memcpy(d->p + d->len, data, len);
	d->len += len;
	return 0;
}

static void pend_drop(struct pend *d)
{
	free(d->p);
	d->p = NULL;
	d->len = d->cap = 0;
}

/* dpi_flow.c run_parser(). */
static long run_parser(struct feeder *f, unsigned dir, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		int r = f->parse(f->ctx, dir, buf + off, len - off);

		if (r < 0)
			return r;
		if (r == DPI_NEED_MORE)
			break;
		off += (size_t)r > len - off ? len - off : (size_t)r;
	}
	return (long)off;
}

static void kill_dir(struct feeder *f, struct pend *d, bool overflow)
{
	d->dead = true;
	pend_drop(d);
	if (overflow)
		f->overflow++;
	else
		f->errors++;
}

/* dpi_flow.c feed(). */
static void feed(struct feeder *f, unsigned dir, const uint8_t *data, uint32_t len)
{
	struct pend *d = &f->d[dir];
	long used;

	if (d->dead)
		return;
	if (d->len == 0) {
		used = run_parser(f, dir, data, len);
		if (used < 0) {
			kill_dir(f, d, false);
			return;
		}
		if ((uint32_t)used < len) {
			f->copied += len - (uint32_t)used;
			if (pend_append(d, data + used, len - (uint32_t)used, DPI_MAX_PENDING) < 0)
				kill_dir(f, d, true);
		}
		return;
	}
	f->copied += len;
	if (pend_append(d, data, len, DPI_MAX_PENDING) < 0) {
		kill_dir(f, d, true);
		return;
	}
	used = run_parser(f, dir, d->p, d->len);
	if (used < 0) {
		kill_dir(f, d, false);
		return;
	}
	memmove(d->p, d->p + used, d->len - (uint32_t)used);
	d->len -= (uint32_t)used;
	if (d->len == 0)
		pend_drop(d);
}

static void feeder_reset(struct feeder *f)
{
	for (unsigned i = 0; i < 2; i++) {
		pend_drop(&f->d[i]);
		f->d[i].dead = false;
	}
}

/* ------------------------------------------------ parsers and callbacks */

/* What callbacks saw; the sums keep the compiler from dropping the work
 * a real consumer of the fields would depend on. */
struct anom_log {
	const char *name[MAX_ANOM];
	uint64_t count[MAX_ANOM];
	unsigned n;
};

struct tally {
	uint64_t a, b, c, d; /* per-parser counters, named in its check line */
	uint64_t sum;
	struct anom_log anom;
};

static void tally_anomaly(void *ctx, const char *ev)
{
	struct tally *t = ctx;
	unsigned i;

	for (i = 0; i < t->anom.n; i++)
		if (t->anom.name[i] == ev || !strcmp(t->anom.name[i], ev))
			break;
	if (i == t->anom.n) {
		if (i == MAX_ANOM)
			return;
		t->anom.name[t->anom.n++] = ev;
	}
	t->anom.count[i]++;
}

/* HTTP: a: requests, b: responses. */
struct http_ctx {
	struct tally t;
	struct dpi_http_state *st;
};

static void http_on_request(void *ctx, const struct dpi_http_request *rq)
{
	struct tally *t = ctx;

	t->a++;
	t->sum += rq->uri_norm.len + rq->hostname.len + rq->n_headers + rq->n_params + rq->n_form +
		  rq->body.len;
}

static void http_on_response(void *ctx, const struct dpi_http_response *rs)
{
	struct tally *t = ctx;

	t->b++;
	t->sum += rs->status + rs->n_headers + rs->body_len;
}

static const struct dpi_http_cb http_cb = {http_on_request, http_on_response, tally_anomaly};

static int http_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct http_ctx *h = ctx;

	return dpi_http_parse(h->st, dir, buf, len, &http_cb, &h->t);
}

static void http_reset(void *ctx)
{
	struct http_ctx *h = ctx;

	dpi_http_free(h->st);
	h->st = NULL;
	if (dpi_http_new(&h->st) < 0)
		die("out of memory");
}

static void http_fini(void *ctx)
{
	struct http_ctx *h = ctx;

	dpi_http_free(h->st);
	h->st = NULL;
}

/* DNS: a: queries, b: responses, c: malformed. */
struct dns_ctx {
	struct tally t;
	struct dpi_dns_scratch *scratch;
	struct dpi_dns_tcp_state tcp;
};

static void dns_on_message(void *ctx, unsigned dir, const struct dpi_dns_msg *m)
{
	struct tally *t = ctx;

	(void)dir;
	if (m->qr)
		t->b++;
	else
		t->a++;
	t->c += m->malformed;
	t->sum += m->n_answers + (m->n_questions ? m->questions[0].name.len : 0);
}

static const struct dpi_dns_cb dns_cb = {dns_on_message, tally_anomaly};

static int dns_udp_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct dns_ctx *d = ctx;

	return dpi_dns_udp_parse(d->scratch, dir, buf, len, &dns_cb, &d->t);
}

static int dns_tcp_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct dns_ctx *d = ctx;

	return dpi_dns_tcp_parse(&d->tcp, dir, buf, len, &dns_cb, &d->t);
}

static void dns_reset(void *ctx)
{
	struct dns_ctx *d = ctx;

	dpi_dns_tcp_init(&d->tcp, d->scratch);
}

static void dns_fini(void *ctx)
{
	(void)ctx;
}

/* MySQL: a: queries, b: responses, c: errors, d: greetings + logins. */
struct mysql_ctx {
	struct tally t;
	struct dpi_mysql_state st;
};

static void my_on_greeting(void *ctx, const struct dpi_mysql_greeting *g)
{
	struct tally *t = ctx;

	t->d++;
	t->sum += g->server_version.len;
}

static void my_on_login(void *ctx, const struct dpi_mysql_login *l)
{
	struct tally *t = ctx;

	t->d++;
	t->sum += l->user.len;
}

static void my_on_query(void *ctx, const struct dpi_mysql_query *q)
{
	struct tally *t = ctx;

	t->a++;
	t->sum += q->text.len + q->database.len;
}

static void my_on_error(void *ctx, const struct dpi_mysql_error *e)
{
	struct tally *t = ctx;

	t->c++;
	t->sum += e->code;
}

static void my_on_response(void *ctx, const struct dpi_mysql_response *rs)
{
	struct tally *t = ctx;

	t->b++;
	t->sum += rs->rows + rs->affected_rows;
}

static const struct dpi_mysql_cb my_cb = {
	.on_greeting = my_on_greeting,
	.on_login = my_on_login,
	.on_query = my_on_query,
	.on_error = my_on_error,
	.on_response = my_on_response,
	.on_anomaly = tally_anomaly,
};

static int mysql_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct mysql_ctx *m = ctx;

	return dpi_mysql_parse(&m->st, dir, buf, len, &my_cb, &m->t);
}

static void mysql_reset(void *ctx)
{
	struct mysql_ctx *m = ctx;

	dpi_mysql_fini(&m->st);
	dpi_mysql_init(&m->st);
}

static void mysql_fini(void *ctx)
{
	struct mysql_ctx *m = ctx;

	dpi_mysql_fini(&m->st);
}

/* PgSQL: a: queries, b: typed messages, c: errors, d: startups + ready. */
struct pgsql_ctx {
	struct tally t;
	struct dpi_pgsql_state st;
};

static void pg_on_startup(void *ctx, const struct dpi_pgsql_startup *s)
{
	struct tally *t = ctx;

	t->d++;
	t->sum += s->user.len;
}

static void pg_on_query(void *ctx, const struct dpi_pgsql_query *q)
{
	struct tally *t = ctx;

	t->a++;
	t->sum += q->text.len + q->database.len;
}

static void pg_on_error(void *ctx, const struct dpi_pgsql_error *e)
{
	struct tally *t = ctx;

	t->c++;
	t->sum += e->code.len;
}

static void pg_on_ready(void *ctx, uint8_t status)
{
	struct tally *t = ctx;

	t->d++;
	t->sum += status;
}

static void pg_on_complete(void *ctx, struct dpi_slice tag)
{
	struct tally *t = ctx;

	t->sum += tag.len;
}

static void pg_on_message(void *ctx, unsigned dir, uint8_t type, uint32_t len)
{
	struct tally *t = ctx;

	(void)dir;
	t->b++;
	t->sum += type + len;
}

static const struct dpi_pgsql_cb pg_cb = {
	.on_startup = pg_on_startup,
	.on_query = pg_on_query,
	.on_error = pg_on_error,
	.on_complete = pg_on_complete,
	.on_ready = pg_on_ready,
	.on_message = pg_on_message,
	.on_anomaly = tally_anomaly,
};

static int pgsql_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct pgsql_ctx *p = ctx;

	return dpi_pgsql_parse(&p->st, dir, buf, len, &pg_cb, &p->t);
}

static void pgsql_reset(void *ctx)
{
	struct pgsql_ctx *p = ctx;

	dpi_pgsql_fini(&p->st);
	dpi_pgsql_init(&p->st);
}

static void pgsql_fini(void *ctx)
{
	struct pgsql_ctx *p = ctx;

	dpi_pgsql_fini(&p->st);
}

/* TLS: a: hellos, b: with a valid SNI, c: ALPN h2 offered. */
struct tls_ctx {
	struct tally t;
	struct dpi_tls_state st;
};

static void tls_on_client_hello(void *ctx, const struct dpi_tls_client_hello *h)
{
	struct tally *t = ctx;

	t->a++;
	t->b += h->sni_valid;
	t->c += h->alpn_count && h->alpn[0].len == 2;
	t->sum += h->sni.len + h->version + h->cipher_suites.len + h->extensions.len;
}

static const struct dpi_tls_cb tls_cb = {.on_client_hello = tls_on_client_hello,
					 .on_anomaly = tally_anomaly};

static int tls_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct tls_ctx *x = ctx;

	return dpi_tls_parse(&x->st, dir, buf, len, &tls_cb, &x->t);
}

static void tls_reset(void *ctx)
{
	struct tls_ctx *x = ctx;

	dpi_tls_init(&x->st);
}

static void tls_fini(void *ctx)
{
	(void)ctx;
}

/* SQL: a: statements, b: tables, c: queries flagged incomplete. */
struct sql_ctx {
	struct tally t;
	enum dpi_sql_dialect dialect;
	struct dpi_sql_result *res;
};

static int sql_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	struct sql_ctx *s = ctx;

	(void)dir;
	if (dpi_sql_analyze(s->dialect, buf, len, s->res) < 0)
		return -EINVAL;
	s->t.a += s->res->nstmts;
	s->t.b += s->res->ntables;
	s->t.c += (s->res->flags & DPI_SQL_F_INCOMPLETE) != 0;
	s->t.sum += s->res->ntokens;
	return (int)len;
}

static void sql_reset(void *ctx)
{
	(void)ctx;
}

static void sql_fini(void *ctx)
{
	(void)ctx;
}

/* -------------------------------------------------------------- measuring */

struct row {
	char name[48];
	uint64_t bytes, msgs;    /* one pass over the input */
	unsigned reps;           /* parser passes per round */
	unsigned scan_reps;      /* memscan passes per round */
	struct l7_pieces pc;     /* the job's pieces of this row's directions */
	bool own_pc;             /* pc.v is this row's copy */
	int scan_byte;           /* the rarest byte value in them */
	double t[MAX_ROUNDS];    /* parser wall time */
	double tc[MAX_ROUNDS];   /* parser thread CPU time */
	double sc[MAX_ROUNDS];   /* memscan thread CPU time */
	double cpu[MAX_ROUNDS];  /* process CPU time of the job's run (whole job) */
	double wall[MAX_ROUNDS]; /* wall time of the job's run (whole job) */
	double scan[MAX_ROUNDS]; /* memscan wall time */
};

struct job {
	const char *label;
	parse_fn parse;
	void (*reset)(void *ctx);
	void (*fini)(void *ctx);
	void *ctx;
	struct tally *tally;
	struct tally seen;   /* the tally of the job's last pass */
	unsigned reps;       /* passes per round, from the warm-up */
	bool feeder;         /* through the engine's pending-buffer model */
	bool split;          /* time each direction on its own (two rows) */
	struct l7_pieces pc;
	int row[2];
	uint64_t copied, errors, overflow;
	uint64_t expect[2];  /* wire messages built, per direction */
	const char *counters; /* what tally a..d count */
};

struct bench {
	struct row rows[MAX_ROWS];
	unsigned nrows;
	struct job jobs[MAX_JOBS];
	unsigned njobs;
	const char *filter;
};

static uint64_t memscan(const struct l7_pieces *pc, int c)
{
	uint64_t hits = 0;

	for (size_t i = 0; i < pc->n; i++) {
		const uint8_t *p = pc->v[i].p, *end = p + pc->v[i].len;

		while ((p = memchr(p, c, (size_t)(end - p))) != NULL) {
			hits++;
			p++;
		}
	}
	return hits;
}

static int rarest_byte(const struct l7_pieces *pc)
{
	uint64_t h[256] = {0};
	int best = 0;

	for (size_t i = 0; i < pc->n; i++)
		for (uint32_t k = 0; k < pc->v[i].len; k++)
			h[pc->v[i].p[k]]++;
	for (int c = 1; c < 256; c++)
		if (h[c] < h[best])
			best = c;
	return best;
}

/* A row for the pieces of @j in directions @dirmask (bit 0: to the server). */
static int add_row(struct bench *b, const char *name, unsigned dirmask, const struct job *j)
{
	struct row *r;

	if (b->nrows == MAX_ROWS)
		die("too many rows");
	r = &b->rows[b->nrows];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (dirmask == 3) {
		r->pc = j->pc;
	} else {
		/* The memscan must not pay for skipping the other direction. */
		r->pc.v = calloc(j->pc.n ? j->pc.n : 1, sizeof(*r->pc.v));
		if (!r->pc.v)
			die("out of memory");
		r->own_pc = true;
		for (size_t i = 0; i < j->pc.n; i++)
			if (dirmask & (1u << j->pc.v[i].dir))
				r->pc.v[r->pc.n++] = j->pc.v[i];
	}
	for (size_t i = 0; i < r->pc.n; i++)
		r->bytes += r->pc.v[i].len;
	for (unsigned d = 0; d < 2; d++)
		if (dirmask & (1u << d))
			r->msgs += j->expect[d];
	r->scan_byte = rarest_byte(&r->pc);
	return (int)b->nrows++;
}

/*
 * Adds a copy of @tmpl (its pieces set) unless -f leaves it out. With
 * tmpl->split each direction gets a row, "@label @dirname[dir]"; else one
 * row named @label.
 */
static void add_job(struct bench *b, const struct job *tmpl, const char *label,
		    const char *const dirname[2])
{
	struct job *j;
	char name[64];

	if (b->filter && !strstr(label, b->filter))
		return;
	if (b->njobs == MAX_JOBS)
		die("too many jobs");
	j = &b->jobs[b->njobs++];
	*j = *tmpl;
	j->label = label;
	if (j->split) {
		for (unsigned d = 0; d < 2; d++) {
			snprintf(name, sizeof(name), "%s %s", label, dirname[d]);
			j->row[d] = add_row(b, name, 1u << d, j);
		}
	} else {
		j->row[0] = add_row(b, label, 3, j);
		j->row[1] = -1;
	}
}

/* One pass of the parser over the job's pieces, adding its wall and thread
 * CPU time to @t and @tc: per direction (split) or all in [0]. */
static void parse_pass(struct job *j, struct feeder *f, double t[2], double tc[2])
{
	const struct l7_piece *v = j->pc.v;

	if (!j->split) {
		double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), s0 = clock_s(CLOCK_MONOTONIC);

		for (size_t i = 0; i < j->pc.n; i++) {
			if (v[i].newflow) {
				j->reset(j->ctx);
				feeder_reset(f);
			}
			if (j->feeder)
				feed(f, v[i].dir, v[i].p, v[i].len);
			else if (j->parse(j->ctx, v[i].dir, v[i].p, v[i].len) < 0)
				f->errors++;
		}
		t[0] += clock_s(CLOCK_MONOTONIC) - s0;
		tc[0] += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		return;
	}
	/* Clocks are read around each run of same-direction pieces (a batch
	 * of messages), not around each call. */
	for (size_t i = 0; i < j->pc.n;) {
		unsigned dir = v[i].dir;
		double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), s0 = clock_s(CLOCK_MONOTONIC);

		for (; i < j->pc.n && v[i].dir == dir; i++) {
			if (v[i].newflow) {
				j->reset(j->ctx);
				feeder_reset(f);
			}
			feed(f, dir, v[i].p, v[i].len);
		}
		t[dir] += clock_s(CLOCK_MONOTONIC) - s0;
		tc[dir] += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
}

/* Whether -f selects one of the cases @labels (NULL-terminated) stand
 * for: an input is built only if a case needs it. */
static bool want(const struct bench *b, const char *const *labels)
{
	for (; b->filter && *labels; labels++)
		if (strstr(*labels, b->filter))
			return true;
	return !b->filter;
}

/* Round @round of job @j (its memscan, then the parser), @j->reps passes
 * each; round < 0 is the warm-up, which sets @j->reps so that a round of
 * the parser takes about @target seconds of CPU. */
static void run_job(struct bench *b, struct job *j, int round, double target)
{
	struct feeder f = {.parse = j->parse, .ctx = j->ctx};
	double t[2] = {0, 0}, tc[2] = {0, 0}, c0, w0;
	uint64_t hits = 0;

	/* The memscan gets its own pass count: it is much faster than the
	 * parser, and a round of a few milliseconds would be at the mercy of
	 * the scheduler. */
	for (unsigned k = 0; k < 2; k++) {
		struct row *r;
		double s0, sc0;

		if (j->row[k] < 0)
			continue;
		r = &b->rows[j->row[k]];
		sc0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		s0 = clock_s(CLOCK_MONOTONIC);
		for (unsigned p = 0; p < (round < 0 ? 1 : r->scan_reps); p++)
			hits += memscan(&r->pc, r->scan_byte);
		if (round >= 0) {
			r->scan[round] = clock_s(CLOCK_MONOTONIC) - s0;
			r->sc[round] = clock_s(CLOCK_THREAD_CPUTIME_ID) - sc0;
		} else {
			double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - sc0;

			r->scan_reps = cpu > 0 && cpu < target / 2 ? (unsigned)(target / 2 / cpu) + 1
								   : 1;
		}
	}
	if (hits == UINT64_MAX) /* keeps the scan's result alive */
		fputs("parser_bench: memscan overflow\n", stderr);

	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	w0 = clock_s(CLOCK_MONOTONIC);
	for (unsigned p = 0; p < (round < 0 ? 1 : j->reps); p++) {
		memset(j->tally, 0, sizeof(*j->tally));
		parse_pass(j, &f, t, tc);
	}
	if (round < 0) {
		double cpu = tc[0] + tc[1];

		j->reps = cpu > 0 && cpu < target ? (unsigned)(target / cpu) + 1 : 1;
	}
	for (unsigned k = 0; k < 2 && round >= 0; k++) {
		struct row *r;

		if (j->row[k] < 0)
			continue;
		r = &b->rows[j->row[k]];
		r->reps = j->reps;
		r->t[round] = t[k];
		r->tc[round] = tc[k];
		r->wall[round] = clock_s(CLOCK_MONOTONIC) - w0;
		r->cpu[round] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	j->seen = *j->tally;
	j->copied = f.copied / (round < 0 ? 1 : j->reps);
	j->errors = f.errors / (round < 0 ? 1 : j->reps);
	j->overflow = f.overflow / (round < 0 ? 1 : j->reps);
	feeder_reset(&f);
	j->fini(j->ctx);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *x, unsigned n)
{
	double v[MAX_ROUNDS];

	memcpy(v, x, n * sizeof(*v));
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_row(const struct row *r, unsigned nr)
{
	double med = median(r->t, nr), scan = median(r->scan, nr) / r->scan_reps * r->reps;
	double tcpu = median(r->tc, nr), scpu = median(r->sc, nr) / r->scan_reps * r->reps;
	double cpu = median(r->cpu, nr), wall = median(r->wall, nr);
	double nb = (double)r->bytes * r->reps, nm = (double)r->msgs * r->reps;
	char all[128], bytes[16];
	size_t o = 0;

	all[0] = '\0';
	for (unsigned i = 0; i < nr && o < sizeof(all); i++) {
		int w = snprintf(all + o, sizeof(all) - o, "%s%.4f", i ? " " : "", r->t[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	snprintf(bytes, sizeof(bytes), "%.1f MB", nb / 1e6);
	printf("%-26s %9s %9.0f %4u %8.4f %8.1f %10.0f %9.1f %4.0f%% %8.1f %7.1f  %s\n", r->name,
	       bytes, nm, r->reps, med, nb / med / 1e6, nm / med, med / scan,
	       wall > 0 ? 100 * cpu / wall : 0, nb / tcpu / 1e6, tcpu / scpu, all);
}

static void print_checks(const struct bench *b)
{
	printf("\nchecks (one pass; counters: what each parser's callbacks reported):\n");
	for (unsigned i = 0; i < b->njobs; i++) {
		const struct job *j = &b->jobs[i];
		const struct tally *t = &j->seen;

		printf("  %-26s built %llu+%llu msgs; %s %llu/%llu/%llu/%llu; pending copies %llu B; "
		       "errors %llu, overflows %llu, passes %u; anomalies:",
		       j->label, (unsigned long long)j->expect[0], (unsigned long long)j->expect[1],
		       j->counters, (unsigned long long)t->a, (unsigned long long)t->b,
		       (unsigned long long)t->c, (unsigned long long)t->d,
		       (unsigned long long)j->copied, (unsigned long long)j->errors,
		       (unsigned long long)j->overflow, j->reps);
		if (!t->anom.n)
			printf(" none");
		for (unsigned k = 0; k < t->anom.n; k++)
			printf(" %s x%llu", t->anom.name[k], (unsigned long long)t->anom.count[k]);
		printf("\n");
	}
}

static void usage(FILE *f)
{
	fputs("usage: parser_bench [-r ROUNDS] [-s SCALE] [-t SECONDS] [-f FILTER]\n"
	      "  -r ROUNDS  rounds; times are the median (default 5, max 15)\n"
	      "  -s SCALE   multiply every case's input size (default 1)\n"
	      "  -t SECONDS CPU time a case's round should last at least; the input is\n"
	      "             parsed again (fresh state) until it does (default 0.08)\n"
	      "  -f FILTER  only cases whose name contains FILTER (e.g. for perf)\n",
	      f);
}

int main(int argc, char **argv)
{
	static const char *const http_dirs[2] = {"requests", "responses"};
	struct bench *b = calloc(1, sizeof(*b));
	struct l7_trace t_http = {0}, t_udp = {0}, t_tcp = {0}, t_my = {0}, t_pg = {0};
	struct l7_trace t_tls = {0}, t_tlspq = {0};
	struct l7_texts sql_my = {0}, sql_pg = {0};
	struct l7_pieces p_http_mss, p_http_whole, p_udp, p_tcp_mss, p_tcp_whole, p_my_mss;
	struct l7_pieces p_my_whole, p_pg_mss, p_pg_whole, p_tls, p_tlspq, p_sql_my, p_sql_pg;
	struct http_ctx hc = {0};
	struct dns_ctx dc = {0};
	struct mysql_ctx mc = {0};
	struct pgsql_ctx pc = {0};
	struct tls_ctx tc = {0};
	struct sql_ctx sm = {0}, sp = {0};
	unsigned long nr = 5;
	double scale = 1, target = 0.08;
	char cpu[128] = "unknown", load[64] = "?";
	double t0;
	int c;

	if (!b)
		die("out of memory");
	while ((c = getopt(argc, argv, "r:s:t:f:h")) != -1) {
		switch (c) {
		case 'r':
			nr = strtoul(optarg, NULL, 10);
			break;
		case 's':
			scale = strtod(optarg, NULL);
			break;
		case 't':
			target = strtod(optarg, NULL);
			break;
		case 'f':
			b->filter = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nr < 1 || nr > MAX_ROUNDS || !(scale > 0 && scale <= 100) ||
	    !(target >= 0 && target <= 60)) {
		usage(stderr);
		return 2;
	}

	/* Inputs first: nothing below is timed. Each generator has its own
	 * seed, so that -f leaves the inputs it builds unchanged. */
	t0 = clock_s(CLOCK_MONOTONIC);
	if (want(b, (const char *const[]){"http mss", "http whole", NULL}))
		l7_gen_http(&t_http, &(struct l7_rng){1}, (unsigned)(4096 * scale));
	if (want(b, (const char *const[]){"dns udp", NULL}))
		l7_gen_dns_udp(&t_udp, &(struct l7_rng){2}, (unsigned)(100000 * scale));
	if (want(b, (const char *const[]){"dns tcp mss", "dns tcp whole", NULL}))
		l7_gen_dns_tcp(&t_tcp, &(struct l7_rng){3}, (unsigned)(100000 * scale), 32);
	if (want(b, (const char *const[]){"mysql session mss", "mysql session whole",
					     "sql analyze mysql", NULL}))
		l7_gen_mysql(&t_my, &sql_my, &(struct l7_rng){4}, (unsigned)(10000 * scale));
	if (want(b, (const char *const[]){"pgsql session mss", "pgsql session whole",
					     "sql analyze pgsql", NULL}))
		l7_gen_pgsql(&t_pg, &sql_pg, &(struct l7_rng){5}, (unsigned)(1500 * scale), 2);
	if (want(b, (const char *const[]){"tls hello 517 B", NULL}))
		l7_gen_tls(&t_tls, &(struct l7_rng){6}, (unsigned)(65536 * scale), false);
	if (want(b, (const char *const[]){"tls hello+mlkem 1.5 KB mss", NULL}))
		l7_gen_tls(&t_tlspq, &(struct l7_rng){7}, (unsigned)(16384 * scale), true);
	l7_pieces_make(&t_http, MSS, &p_http_mss);
	l7_pieces_make(&t_http, 0, &p_http_whole);
	l7_pieces_make(&t_udp, 0, &p_udp);
	l7_pieces_make(&t_tcp, MSS, &p_tcp_mss);
	l7_pieces_make(&t_tcp, 0, &p_tcp_whole);
	l7_pieces_make(&t_my, MSS, &p_my_mss);
	l7_pieces_make(&t_my, 0, &p_my_whole);
	l7_pieces_make(&t_pg, MSS, &p_pg_mss);
	l7_pieces_make(&t_pg, 0, &p_pg_whole);
	l7_pieces_make(&t_tls, MSS, &p_tls);
	l7_pieces_make(&t_tlspq, MSS, &p_tlspq);
	l7_pieces_of_texts(&sql_my, &t_my, &p_sql_my);
	l7_pieces_of_texts(&sql_pg, &t_pg, &p_sql_pg);

	dc.scratch = malloc(sizeof(*dc.scratch));
	sm.res = malloc(sizeof(*sm.res));
	sp.res = malloc(sizeof(*sp.res));
	if (!dc.scratch || !sm.res || !sp.res)
		die("out of memory");
	sm.dialect = DPI_SQL_MYSQL;
	sp.dialect = DPI_SQL_PGSQL;

	{
		const struct job http = {
			.parse = http_parse, .reset = http_reset, .fini = http_fini, .ctx = &hc,
			.tally = &hc.t, .feeder = true, .split = true,
			.expect = {t_http.msgs[0], t_http.msgs[1]}, .counters = "req/resp/-/-",
		};
		const struct job udp = {
			.parse = dns_udp_parse, .reset = dns_reset, .fini = dns_fini, .ctx = &dc,
			.tally = &dc.t, .feeder = true, .pc = p_udp,
			.expect = {t_udp.msgs[0], t_udp.msgs[1]}, .counters = "q/r/malformed/-",
		};
		const struct job tcp = {
			.parse = dns_tcp_parse, .reset = dns_reset, .fini = dns_fini, .ctx = &dc,
			.tally = &dc.t, .feeder = true,
			.expect = {t_tcp.msgs[0], t_tcp.msgs[1]}, .counters = "q/r/malformed/-",
		};
		const struct job my = {
			.parse = mysql_parse, .reset = mysql_reset, .fini = mysql_fini, .ctx = &mc,
			.tally = &mc.t, .feeder = true,
			.expect = {t_my.msgs[0], t_my.msgs[1]},
			.counters = "query/response/error/greet+login",
		};
		const struct job pg = {
			.parse = pgsql_parse, .reset = pgsql_reset, .fini = pgsql_fini, .ctx = &pc,
			.tally = &pc.t, .feeder = true,
			.expect = {t_pg.msgs[0], t_pg.msgs[1]},
			.counters = "query/typed msg/error/startup+ready",
		};
		const struct job tls = {
			.parse = tls_parse, .reset = tls_reset, .fini = tls_fini, .ctx = &tc,
			.tally = &tc.t, .feeder = true, .counters = "hello/sni ok/alpn h2/-",
		};
		const struct job sql = {
			.parse = sql_parse, .reset = sql_reset, .fini = sql_fini,
			.counters = "stmts/tables/incomplete/-",
		};
		struct job j;

		j = http;
		j.pc = p_http_mss;
		add_job(b, &j, "http mss", http_dirs);
		j.pc = p_http_whole;
		add_job(b, &j, "http whole", http_dirs);
		add_job(b, &udp, "dns udp", NULL);
		j = tcp;
		j.pc = p_tcp_mss;
		add_job(b, &j, "dns tcp mss", NULL);
		j.pc = p_tcp_whole;
		add_job(b, &j, "dns tcp whole", NULL);
		j = my;
		j.pc = p_my_mss;
		add_job(b, &j, "mysql session mss", NULL);
		j.pc = p_my_whole;
		add_job(b, &j, "mysql session whole", NULL);
		j = pg;
		j.pc = p_pg_mss;
		add_job(b, &j, "pgsql session mss", NULL);
		j.pc = p_pg_whole;
		add_job(b, &j, "pgsql session whole", NULL);
		j = tls;
		j.pc = p_tls;
		j.expect[0] = t_tls.msgs[0];
		add_job(b, &j, "tls hello 517 B", NULL);
		j.pc = p_tlspq;
		j.expect[0] = t_tlspq.msgs[0];
		add_job(b, &j, "tls hello+mlkem 1.5 KB mss", NULL);
		j = sql;
		j.ctx = &sm;
		j.tally = &sm.t;
		j.pc = p_sql_my;
		j.expect[0] = sql_my.n;
		add_job(b, &j, "sql analyze mysql", NULL);
		j.ctx = &sp;
		j.tally = &sp.t;
		j.pc = p_sql_pg;
		j.expect[0] = sql_pg.n;
		add_job(b, &j, "sql analyze pgsql", NULL);
	}
	fprintf(stderr, "parser_bench: inputs built in %.1f s; %u jobs, %lu rounds\n",
		clock_s(CLOCK_MONOTONIC) - t0, b->njobs, nr);

	/* The warm-up pass also faults in every page the parsers touch. Its
	 * CPU times set the pass counts. */
	for (unsigned i = 0; i < b->njobs; i++)
		run_job(b, &b->jobs[i], -1, target);
	for (unsigned round = 0; round < nr; round++)
		for (unsigned i = 0; i < b->njobs; i++)
			run_job(b, &b->jobs[i], (int)round, target);

	bench_sysinfo(cpu, sizeof(cpu), load, sizeof(load));
	printf("parser_bench: %lu rounds (median shown, then every round), %ld CPUs online, CPU %s, "
	       "load average %s\n\n",
	       nr, sysconf(_SC_NPROCESSORS_ONLN), cpu, load);
	printf("%-26s %9s %9s %4s %8s %8s %10s %9s %5s %8s %7s  %s\n", "case", "bytes", "messages",
	       "reps", "median_s", "MB/s", "msgs/s", "x memscan", "cpu", "cpu MB/s", "cpu x", "rounds_s");
	for (unsigned i = 0; i < b->nrows; i++)
		print_row(&b->rows[i], (unsigned)nr);
	printf("\nmss: each flight in 1448-byte pieces through the engine's pending buffer "
	       "(dpi_flow.c feed()); whole: each flight in one call\n"
	       "memscan: memchr() for the rarest byte value over the same pieces (passes of its own, "
	       "scaled to the parser's);\n"
	       "x memscan = parser time / memscan time; reps = passes over the input per round, "
	       "each with fresh parser state\n"
	       "cpu: process CPU time / wall time of the case's run; well under 100%% means it "
	       "waited for a CPU\n"
	       "cpu MB/s, cpu x: the same from thread CPU time (CLOCK_THREAD_CPUTIME_ID), "
	       "which a wait for a CPU does not inflate\n"
	       "MB = 10^6 bytes; messages = wire messages (HTTP messages, DNS messages, MySQL "
	       "packets, PostgreSQL messages,\n"
	       "TLS hellos, SQL statements)\n");
	print_checks(b);

	l7_trace_free(&t_http);
	l7_trace_free(&t_udp);
	l7_trace_free(&t_tcp);
	l7_trace_free(&t_my);
	l7_trace_free(&t_pg);
	l7_trace_free(&t_tls);
	l7_trace_free(&t_tlspq);
	l7_texts_free(&sql_my);
	l7_texts_free(&sql_pg);
	free(p_http_mss.v);
	free(p_http_whole.v);
	free(p_udp.v);
	free(p_tcp_mss.v);
	free(p_tcp_whole.v);
	free(p_my_mss.v);
	free(p_my_whole.v);
	free(p_pg_mss.v);
	free(p_pg_whole.v);
	free(p_tls.v);
	free(p_tlspq.v);
	free(p_sql_my.v);
	free(p_sql_pg.v);
	for (unsigned i = 0; i < b->nrows; i++)
		if (b->rows[i].own_pc)
			free(b->rows[i].pc.v);
	free(dc.scratch);
	free(sm.res);
	free(sp.res);
	free(b);
	return 0;
}
