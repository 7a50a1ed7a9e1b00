/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_evq.c - the daemon's event path: the per-producer rings (order,
 * wrap-around, a full ring, concurrent producers against a draining
 * consumer), alert aggregation (against a model of the windows), the
 * recent events, and the file/stdout output (logrotate, write errors, a
 * line cut by a failed write).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bh_test.h"
#include "ctl_evout.h"
#include "ctl_evq.h"

/* ------------------------------------------------------------ helpers */

struct got_ev {
	unsigned type;
	char *text;
	size_t len;
};

struct got {
	struct got_ev *ev;
	size_t n, cap;
};

static void collect(void *ctx, unsigned type, const char *text, size_t len)
{
	struct got *g = ctx;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
		if (!g->ev)
			abort();
	}
	g->ev[g->n].type = type;
	g->ev[g->n].len = len;
	g->ev[g->n].text = malloc(len + 1);
	if (!g->ev[g->n].text)
		abort();
	memcpy(g->ev[g->n].text, text, len);
	g->ev[g->n].text[len] = '\0';
	g->n++;
}

static void got_clear(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->ev[i].text);
	g->n = 0;
}

static void got_free(struct got *g)
{
	got_clear(g);
	free(g->ev);
	memset(g, 0, sizeof(*g));
}

static bool push_str(struct ctl_evq *q, unsigned p, unsigned type, uint64_t key, const char *s)
{
	return ctl_evq_push(q, p, type, key, s, strlen(s));
}

static bool got_is(const struct got *g, size_t i, const char *text)
{
	return i < g->n && strcmp(g->ev[i].text, text) == 0 && g->ev[i].len == strlen(text);
}

/* The deterministic text of event @seq of producer @p: a JSON object whose
 * length varies with seq (0..@maxpad padding bytes), into @out. */
static size_t gen_text(char *out, size_t outlen, unsigned p, unsigned seq, unsigned maxpad)
{
	uint64_t st = ((uint64_t)p << 32 | seq) * 0x9e3779b97f4a7c15ull + 1;
	unsigned pad = maxpad ? bh_xorshift(&st) % (maxpad + 1) : 0;
	int n = snprintf(out, outlen, "{\"p\":%u,\"seq\":%u,\"pad\":\"", p, seq);

	if (n < 0 || (size_t)n + pad + 3 > outlen)
		abort();
	for (unsigned i = 0; i < pad; i++)
		out[n + i] = (char)('a' + (seq + i) % 26);
	memcpy(out + n + pad, "\"}", 3);
	return (size_t)n + pad + 2;
}

/* ------------------------------------------------------------ config */

static void test_config(void)
{
	struct ctl_evq *q = NULL;
	struct ctl_evq_config c = {.producers = 0, .ring_bytes = 4096};

	CHECK_EQ(ctl_evq_new(&c, &q), -EINVAL);
	CHECK(q == NULL);
	c.producers = CTL_EVQ_MAX_PRODUCERS + 1;
	CHECK_EQ(ctl_evq_new(&c, &q), -EINVAL);
	c.producers = 1;
	c.ring_bytes = CTL_EVQ_MAX_RING + 1;
	CHECK_EQ(ctl_evq_new(&c, &q), -EINVAL);
	c.ring_bytes = 1000; /* rounded up to 1024 */
	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	CHECK_EQ(ctl_evq_max_event(q), 1024 / 4 - 16);
	/* A producer id out of range: dropped, counted, nothing else. */
	CHECK(!push_str(q, 1, 0, 0, "{}"));
	struct ctl_evq_stats st;
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.dropped, 1);
	CHECK_EQ(st.queued, 0);
	CHECK_EQ(ctl_evq_dropped(q, 0), 0);
	CHECK_EQ(ctl_evq_dropped(q, 1), 0);
	ctl_evq_free(q);
	ctl_evq_free(NULL);
}

/* ------------------------------------------------------------ rings */

static void test_order(void)
{
	struct ctl_evq_config c = {.producers = 3, .ring_bytes = 4096};
	struct ctl_evq *q;
	struct got g = {0};
	struct ctl_evq_stats st;
	char want[64];

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	/* Interleaved pushes; per producer the order is kept. */
	for (unsigned i = 0; i < 10; i++)
		for (unsigned p = 0; p < 3; p++) {
			snprintf(want, sizeof(want), "{\"p\":%u,\"i\":%u}\n", p, i);
			CHECK(push_str(q, p, p + 1, 0, want));
		}
	CHECK_EQ(ctl_evq_drain(q, 1, collect, &g), 30);
	CHECK_EQ(g.n, 30);
	for (unsigned p = 0, k = 0; p < 3; p++) {
		unsigned last = 0;
		bool first = true;

		for (size_t j = 0; j < g.n; j++) {
			unsigned gp, gi;

			if (sscanf(g.ev[j].text, "{\"p\":%u,\"i\":%u}", &gp, &gi) != 2) {
				CHECK(!"unparsable");
				continue;
			}
			if (gp != p)
				continue;
			CHECK(first || gi == last + 1);
			CHECK_EQ(g.ev[j].type, p + 1);
			/* The trailing newline is dropped. */
			snprintf(want, sizeof(want), "{\"p\":%u,\"i\":%u}", p, gi);
			CHECK(got_is(&g, j, want));
			first = false;
			last = gi;
			k++;
		}
		CHECK_EQ(k, 10 * (p + 1));
		CHECK_EQ(last, 9);
	}
	/* Nothing left: a second drain passes nothing. */
	got_clear(&g);
	CHECK_EQ(ctl_evq_drain(q, 2, collect, &g), 0);
	CHECK_EQ(g.n, 0);
	/* An empty text is an event too. */
	CHECK(ctl_evq_push(q, 0, 2, 0, "\n", 1));
	CHECK(ctl_evq_push(q, 0, 2, 0, "", 0));
	CHECK_EQ(ctl_evq_drain(q, 3, collect, &g), 2);
	CHECK(got_is(&g, 0, "") && got_is(&g, 1, ""));
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.queued, 32);
	CHECK_EQ(st.output, 32);
	CHECK_EQ(st.dropped, 0);
	got_free(&g);
	ctl_evq_free(q);
}

/* Many sizes through a small ring, pushed and drained in random batches so
 * that records wrap at every offset; contents compared byte for byte. */
static void test_wrap(void)
{
	struct ctl_evq_config c = {.producers = 1, .ring_bytes = 1024};
	struct ctl_evq *q;
	struct got g = {0};
	uint64_t rnd = 42, fails = 0, toolong = 0;
	unsigned *pushed = NULL, npushed = 0, checked = 0, seq = 0;
	char text[512];
	size_t max;

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	max = ctl_evq_max_event(q);
	pushed = calloc(20000, sizeof(*pushed));
	if (!pushed)
		abort();
	while (seq < 20000) {
		unsigned batch = 1 + bh_xorshift(&rnd) % 12;

		for (unsigned b = 0; b < batch && seq < 20000; b++, seq++) {
			/* gen_text's fixed part is 24-28 bytes: some are too long. */
			size_t len = gen_text(text, sizeof(text), 0, seq, (unsigned)max - 20);

			if (len > max) {
				CHECK(!ctl_evq_push(q, 0, 1, 0, text, len));
				fails++;
				toolong++;
				continue;
			}
			if (ctl_evq_push(q, 0, 1, 0, text, len))
				pushed[npushed++] = seq;
			else
				fails++;
		}
		got_clear(&g);
		ctl_evq_drain(q, 0, collect, &g);
		for (size_t i = 0; i < g.n; i++, checked++) {
			char want[512];
			size_t wl;

			if (checked >= npushed) {
				CHECK(!"more events than pushed");
				break;
			}
			wl = gen_text(want, sizeof(want), 0, pushed[checked], (unsigned)max - 20);
			CHECK(g.ev[i].len == wl && memcmp(g.ev[i].text, want, wl) == 0);
		}
	}
	CHECK_EQ(checked, npushed);
	CHECK_EQ(ctl_evq_dropped(q, 0), fails);
	CHECK(fails > toolong && toolong > 0 && npushed > 10000); /* every path taken */

	/* The size limit, exactly: a trailing newline does not count. */
	memset(text, 'x', sizeof(text));
	text[0] = '{';
	text[max - 1] = '}';
	text[max] = '\n';
	got_clear(&g);
	CHECK(ctl_evq_push(q, 0, 1, 0, text, max + 1));
	CHECK(ctl_evq_push(q, 0, 1, 0, text, max));
	CHECK(!ctl_evq_push(q, 0, 1, 0, text, max + 2));
	CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 2);
	CHECK(g.n == 2 && g.ev[0].len == max && g.ev[1].len == max &&
	      memcmp(g.ev[1].text, text, max) == 0);
	CHECK_EQ(ctl_evq_dropped(q, 0), fails + 1);
	got_free(&g);
	free(pushed);
	ctl_evq_free(q);
}

static void test_full(void)
{
	struct ctl_evq_config c = {.producers = 2, .ring_bytes = 256};
	struct ctl_evq *q;
	struct got g = {0};
	struct ctl_evq_stats st;
	char text[64];

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	CHECK_EQ(ctl_evq_max_event(q), 48);
	/* 48 bytes + 16 of header: four fill the 256-byte ring exactly. */
	for (unsigned i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "{\"i\":%u,\"x\":\"%034u\"}", i, i);
		CHECK_EQ(strlen(text), 48);
		CHECK(push_str(q, 0, 1, 0, text));
	}
	CHECK(!push_str(q, 0, 1, 0, "{\"i\":4}"));
	CHECK(!push_str(q, 0, 1, 0, "{}"));
	CHECK_EQ(ctl_evq_dropped(q, 0), 2);
	/* The other producer's ring is its own. */
	CHECK(push_str(q, 1, 1, 0, "{\"other\":1}"));
	CHECK_EQ(ctl_evq_dropped(q, 1), 0);
	CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 5);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "{\"i\":%u,\"x\":\"%034u\"}", i, i);
		CHECK(got_is(&g, i, text));
	}
	CHECK(got_is(&g, 4, "{\"other\":1}"));
	/* Room again, and the wrap from a full ring is clean. */
	got_clear(&g);
	CHECK(push_str(q, 0, 1, 0, "{\"i\":5}"));
	CHECK(push_str(q, 0, 1, 0, "{\"i\":6}"));
	CHECK(push_str(q, 0, 1, 0, "{\"i\":7}"));
	CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 3);
	CHECK(got_is(&g, 0, "{\"i\":5}") && got_is(&g, 1, "{\"i\":6}") &&
	      got_is(&g, 2, "{\"i\":7}"));
	/* The head is at offset 96 now: of 64-byte records one at a time,
	 * every fourth wraps behind a 32-byte padding record. */
	got_clear(&g);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(text, sizeof(text), "{\"i\":%u,\"x\":\"%034u\"}", i, i);
		CHECK(push_str(q, 0, 1, 0, text));
		CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 1);
		CHECK(got_is(&g, g.n - 1, text));
	}
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.queued, 14);
	CHECK_EQ(st.dropped, 2);
	CHECK_EQ(st.output, 14);
	got_free(&g);
	ctl_evq_free(q);
}

/* ------------------------------------------------------------ concurrent */

#define CC_PRODUCERS 4
#define CC_EVENTS 40000
#define CC_PAD 120

struct cc {
	struct ctl_evq *q;
	atomic_int running;         /* producers not finished */
	unsigned pushed_ok[CC_PRODUCERS];
	/* The consumer's view. */
	unsigned delivered[CC_PRODUCERS];
	long last_seq[CC_PRODUCERS];
	unsigned bad;
};

struct cc_producer {
	struct cc *cc;
	unsigned p;
};

static void *cc_produce(void *arg)
{
	struct cc_producer *pr = arg;
	char text[256];

	for (unsigned s = 0; s < CC_EVENTS; s++) {
		size_t len = gen_text(text, sizeof(text), pr->p, s, CC_PAD);

		if (ctl_evq_push(pr->cc->q, pr->p, pr->p, 0, text, len))
			pr->cc->pushed_ok[pr->p]++;
		if (s % 64 == 0)
			sched_yield(); /* give the consumer a chance on 2 cores */
	}
	atomic_fetch_sub(&pr->cc->running, 1);
	return NULL;
}

static void cc_check(void *ctx, unsigned type, const char *text, size_t len)
{
	struct cc *cc = ctx;
	unsigned p, s;
	char want[256];

	if (sscanf(text, "{\"p\":%u,\"seq\":%u,", &p, &s) != 2 || p >= CC_PRODUCERS ||
	    type != p || (long)s <= cc->last_seq[p] ||
	    gen_text(want, sizeof(want), p, s, CC_PAD) != len || memcmp(want, text, len) != 0) {
		cc->bad++;
		return;
	}
	cc->last_seq[p] = s;
	cc->delivered[p]++;
}

static void *cc_consume(void *arg)
{
	struct cc *cc = arg;
	uint64_t now = 0;

	while (atomic_load(&cc->running) > 0) {
		if (!ctl_evq_drain(cc->q, now++, cc_check, cc))
			sched_yield();
	}
	ctl_evq_drain(cc->q, now, cc_check, cc);
	return NULL;
}

static void test_concurrent(void)
{
	struct ctl_evq_config c = {.producers = CC_PRODUCERS, .ring_bytes = 4096};
	struct cc cc = {0};
	struct cc_producer pr[CC_PRODUCERS];
	pthread_t th[CC_PRODUCERS], cons;
	struct ctl_evq_stats st;
	uint64_t delivered = 0, dropped = 0;

	CHECK_EQ(ctl_evq_new(&c, &cc.q), 0);
	atomic_store(&cc.running, CC_PRODUCERS);
	for (unsigned p = 0; p < CC_PRODUCERS; p++)
		cc.last_seq[p] = -1;
	CHECK_EQ(pthread_create(&cons, NULL, cc_consume, &cc), 0);
	for (unsigned p = 0; p < CC_PRODUCERS; p++) {
		pr[p] = (struct cc_producer){.cc = &cc, .p = p};
		CHECK_EQ(pthread_create(&th[p], NULL, cc_produce, &pr[p]), 0);
	}
	for (unsigned p = 0; p < CC_PRODUCERS; p++)
		pthread_join(th[p], NULL);
	pthread_join(cons, NULL);

	CHECK_EQ(cc.bad, 0);
	for (unsigned p = 0; p < CC_PRODUCERS; p++) {
		CHECK_EQ(cc.delivered[p], cc.pushed_ok[p]);
		CHECK_EQ(cc.delivered[p] + ctl_evq_dropped(cc.q, p), CC_EVENTS);
		delivered += cc.delivered[p];
		dropped += ctl_evq_dropped(cc.q, p);
	}
	ctl_evq_stats(cc.q, &st);
	CHECK_EQ(st.queued, delivered);
	CHECK_EQ(st.output, delivered);
	CHECK_EQ(st.dropped, dropped);
	CHECK(delivered > 0);
	printf("# concurrent: %llu delivered, %llu dropped\n", (unsigned long long)delivered,
	       (unsigned long long)dropped);
	ctl_evq_free(cc.q);
}

/* ------------------------------------------------------------ aggregation */

#define MS 1000ull

/* aggregated.count of a summary's text, checked for the rest: every member
 * of @orig is there unchanged, and window_ms is @window. -1 on a mismatch. */
static long long summary_count(const char *text, const char *orig, unsigned window)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e), *o = json_loads(orig, 0, &e), *a;
	long long n = -1;
	const char *k;
	json_t *v;

	if (!j || !o)
		goto out;
	a = json_object_get(j, "aggregated");
	if (!json_is_object(a) || json_integer_value(json_object_get(a, "window_ms")) != window ||
	    json_object_size(a) != 2 || json_object_size(j) != json_object_size(o) + 1)
		goto out;
	json_object_foreach(o, k, v)
		if (!json_equal(v, json_object_get(j, k)))
			goto out;
	if (json_is_integer(json_object_get(a, "count")))
		n = json_integer_value(json_object_get(a, "count"));
out:
	json_decref(j);
	json_decref(o);
	return n;
}

static void test_agg(void)
{
	struct ctl_evq_config c = {.producers = 2, .ring_bytes = 4096, .alert_window_ms = 100};
	struct ctl_evq *q;
	struct got g = {0};
	struct ctl_evq_stats st;

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	/* The first alert of a key passes at once and opens the window. */
	CHECK(push_str(q, 0, 6, 7, "{\"a\":1}"));
	CHECK_EQ(ctl_evq_drain(q, 1000 * MS, collect, &g), 1);
	CHECK(got_is(&g, 0, "{\"a\":1}"));
	CHECK_EQ(g.ev[0].type, 6);
	/* Repeats are held; key 0 never is; other keys are independent. */
	got_clear(&g);
	CHECK(push_str(q, 0, 6, 7, "{\"a\":2}"));
	CHECK(push_str(q, 1, 6, 7, "{\"a\":3, \"s\":\"x}\"} \n"));
	CHECK(push_str(q, 0, 6, 0, "{\"z\":1}"));
	CHECK(push_str(q, 0, 6, 0, "{\"z\":1}"));
	CHECK(push_str(q, 0, 6, 9, "{\"b\":1}"));
	CHECK_EQ(ctl_evq_drain(q, 1050 * MS, collect, &g), 3);
	CHECK(got_is(&g, 0, "{\"z\":1}") && got_is(&g, 1, "{\"z\":1}") &&
	      got_is(&g, 2, "{\"b\":1}"));
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.aggregated, 2);
	CHECK_EQ(st.summaries, 0);
	/* Before the end nothing; at the end (1100 ms) one summary: the last
	 * held alert with the count spliced in before its final '}', passed
	 * before the events of the same drain. */
	got_clear(&g);
	CHECK_EQ(ctl_evq_drain(q, 1099 * MS, collect, &g), 0);
	CHECK(push_str(q, 0, 6, 7, "{\"a\":4}"));
	CHECK_EQ(ctl_evq_drain(q, 1100 * MS, collect, &g), 2);
	CHECK(got_is(&g, 0, "{\"a\":3, \"s\":\"x}\",\"aggregated\":{\"count\":2,\"window_ms\":100}} "));
	CHECK_EQ(summary_count(g.n ? g.ev[0].text : "", "{\"a\":3, \"s\":\"x}\"}", 100), 2);
	CHECK_EQ(g.ev[0].type, 6);
	/* The key's next alert opened a new window and passed at once. */
	CHECK(got_is(&g, 1, "{\"a\":4}"));
	/* Key 9's window (opened at 1050) ends at 1150 with nothing held:
	 * forgotten, no summary. */
	got_clear(&g);
	CHECK_EQ(ctl_evq_drain(q, 1150 * MS, collect, &g), 0);
	CHECK(push_str(q, 0, 6, 9, "{\"b\":2}"));
	CHECK(push_str(q, 0, 6, 9, "{\"b\":3}"));
	CHECK(push_str(q, 0, 6, 7, "{\"a\":5}"));
	CHECK_EQ(ctl_evq_drain(q, 1160 * MS, collect, &g), 1);
	CHECK(got_is(&g, 0, "{\"b\":2}"));
	/* Shutdown: flush ends every open window now. */
	got_clear(&g);
	CHECK(push_str(q, 1, 6, 9, "{\"b\":4}"));
	CHECK_EQ(ctl_evq_flush(q, collect, &g), 2);
	CHECK(got_is(&g, 0, "{\"a\":5,\"aggregated\":{\"count\":1,\"window_ms\":100}}"));
	CHECK(got_is(&g, 1, "{\"b\":4,\"aggregated\":{\"count\":2,\"window_ms\":100}}"));
	CHECK_EQ(summary_count(g.ev[1].text, "{\"b\":4}", 100), 2);
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.aggregated, 5);
	CHECK_EQ(st.summaries, 3);
	CHECK_EQ(st.queued, 11);
	CHECK_EQ(st.output, st.queued - st.aggregated + st.summaries);
	/* Flushed windows are closed: the key's next alert passes at once. */
	got_clear(&g);
	CHECK(push_str(q, 0, 6, 9, "{\"b\":5}"));
	CHECK_EQ(ctl_evq_drain(q, 1170 * MS, collect, &g), 1);
	CHECK(got_is(&g, 0, "{\"b\":5}"));

	/* An empty object gets no comma; a window of 0 turns it all off. */
	got_clear(&g);
	CHECK(push_str(q, 0, 6, 9, "{ }"));
	CHECK_EQ(ctl_evq_flush(q, collect, &g), 1);
	CHECK(got_is(&g, 0, "{ \"aggregated\":{\"count\":1,\"window_ms\":100}}"));
	CHECK_EQ(summary_count(g.ev[0].text, "{}", 100), 1);
	got_free(&g);
	ctl_evq_free(q);

	c.alert_window_ms = 0;
	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	for (unsigned i = 0; i < 5; i++)
		CHECK(push_str(q, 0, 6, 7, "{\"a\":1}"));
	CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 5);
	CHECK_EQ(ctl_evq_flush(q, collect, &g), 0);
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.aggregated, 0);
	got_free(&g);
	ctl_evq_free(q);
}

static void test_agg_full(void)
{
	struct ctl_evq_config c = {.producers = 1, .ring_bytes = 4096, .alert_window_ms = 10,
				   .agg_keys = 2};
	struct ctl_evq *q;
	struct got g = {0};
	struct ctl_evq_stats st;

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	CHECK(push_str(q, 0, 6, 1, "{\"k\":1}"));
	CHECK(push_str(q, 0, 6, 2, "{\"k\":2}"));
	/* The table is full: key 3 passes, every time. */
	CHECK(push_str(q, 0, 6, 3, "{\"k\":3}"));
	CHECK(push_str(q, 0, 6, 3, "{\"k\":3}"));
	CHECK(push_str(q, 0, 6, 1, "{\"k\":1}"));
	CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 4);
	CHECK(got_is(&g, 2, "{\"k\":3}") && got_is(&g, 3, "{\"k\":3}"));
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.aggregated, 1);
	/* Once the windows ended, key 3 gets one. */
	got_clear(&g);
	CHECK(push_str(q, 0, 6, 3, "{\"k\":3}"));
	CHECK(push_str(q, 0, 6, 3, "{\"k\":3}"));
	CHECK_EQ(ctl_evq_drain(q, 10 * MS, collect, &g), 2);
	CHECK(got_is(&g, 0, "{\"k\":1,\"aggregated\":{\"count\":1,\"window_ms\":10}}"));
	CHECK(got_is(&g, 1, "{\"k\":3}"));
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.aggregated, 2);
	got_free(&g);
	ctl_evq_free(q);
}

/* Random keys against a model of the windows, with a small table so that
 * keys collide, windows open and close all the time and the table fills:
 * the hash table's deletions are what this is about. */
struct model_win {
	uint64_t key, end, held;
	char last[32];
};

static void test_agg_model(void)
{
	enum { KEYS = 32, WINDOW_MS = 10 };
	struct ctl_evq_config c = {.producers = 1, .ring_bytes = 1 << 16,
				   .alert_window_ms = WINDOW_MS, .agg_keys = KEYS};
	struct model_win win[KEYS];
	struct ctl_evq *q;
	struct got g = {0};
	struct ctl_evq_stats st;
	uint64_t rnd = 7, now = 0, held = 0, sums = 0, full = 0;
	unsigned nwin = 0, mismatch = 0;
	struct got want = {0};
	char text[32];

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	for (unsigned round = 0; round < 6000; round++) {
		unsigned batch = bh_xorshift(&rnd) % 8;

		now += (bh_xorshift(&rnd) % 3) * MS;
		/* Expected: windows ended by now, oldest first ... */
		while (nwin && win[0].end <= now) {
			if (win[0].held) {
				char s[96];

				snprintf(s, sizeof(s), "%.*s,\"aggregated\":{\"count\":%llu,\"window_ms\":%d}}",
					 (int)strlen(win[0].last) - 1, win[0].last,
					 (unsigned long long)win[0].held, WINDOW_MS);
				collect(&want, 6, s, strlen(s));
				sums++;
			}
			memmove(&win[0], &win[1], (nwin - 1) * sizeof(win[0]));
			nwin--;
		}
		/* ... then the batch. */
		for (unsigned b = 0; b < batch; b++) {
			uint64_t key = 1 + bh_xorshift(&rnd) % 100;
			unsigned w;

			snprintf(text, sizeof(text), "{\"k\":%llu,\"r\":%u}", (unsigned long long)key,
				 round);
			CHECK(push_str(q, 0, 6, key, text));
			for (w = 0; w < nwin && win[w].key != key; w++)
				;
			if (w < nwin) {
				win[w].held++;
				snprintf(win[w].last, sizeof(win[w].last), "%s", text);
				held++;
				continue;
			}
			if (nwin < KEYS)
				win[nwin++] = (struct model_win){.key = key, .end = now + WINDOW_MS * MS};
			else
				full++;
			collect(&want, 6, text, strlen(text));
		}
		ctl_evq_drain(q, now, collect, &g);
	}
	CHECK_EQ(g.n, want.n);
	for (size_t i = 0; i < g.n && i < want.n; i++)
		if (strcmp(g.ev[i].text, want.ev[i].text) != 0 && mismatch++ < 3)
			fprintf(stderr, "event %zu: got %s, want %s\n", i, g.ev[i].text,
				want.ev[i].text);
	CHECK_EQ(mismatch, 0);
	ctl_evq_stats(q, &st);
	CHECK_EQ(st.aggregated, held);
	CHECK_EQ(st.summaries, sums);
	CHECK(held > 1000 && sums > 100 && full > 100);
	printf("# model: %zu passed, %llu held, %llu summaries, %llu past a full table\n", g.n,
	       (unsigned long long)held, (unsigned long long)sums, (unsigned long long)full);
	got_free(&g);
	got_free(&want);
	ctl_evq_free(q);
}

/* ------------------------------------------------------------ recent */

static void test_recent(void)
{
	struct ctl_evq_config c = {.producers = 1, .ring_bytes = 4096, .recent = 4,
				   .alert_window_ms = 10};
	struct ctl_evq *q;
	struct got g = {0};
	char text[600];

	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	CHECK_EQ(ctl_evq_recent(q, 10, collect, &g), 0);
	CHECK(push_str(q, 0, 1, 0, "{\"i\":0}"));
	CHECK(push_str(q, 0, 2, 0, "{\"i\":1}"));
	ctl_evq_drain(q, 0, NULL, NULL);
	CHECK_EQ(ctl_evq_recent(q, 10, collect, &g), 2);
	CHECK(got_is(&g, 0, "{\"i\":0}") && got_is(&g, 1, "{\"i\":1}"));
	CHECK(g.n == 2 && g.ev[0].type == 1 && g.ev[1].type == 2);
	/* Past the capacity: the last 4 (held alerts are not passed on, the
	 * summary is), a longer text than the slot had before. */
	CHECK(push_str(q, 0, 6, 5, "{\"i\":2}"));
	CHECK(push_str(q, 0, 6, 5, "{\"i\":3}"));
	memset(text, 'y', sizeof(text));
	memcpy(text, "{\"i\":4,\"y\":\"", 13);
	memcpy(text + sizeof(text) - 3, "\"}", 3);
	CHECK(push_str(q, 0, 1, 0, text));
	CHECK(push_str(q, 0, 1, 0, "{\"i\":5}"));
	ctl_evq_drain(q, 0, NULL, NULL);
	CHECK(push_str(q, 0, 1, 0, "{\"i\":6}"));
	ctl_evq_drain(q, 10 * MS, NULL, NULL);
	got_clear(&g);
	CHECK_EQ(ctl_evq_recent(q, 10, collect, &g), 4);
	CHECK(got_is(&g, 0, text));
	CHECK(got_is(&g, 1, "{\"i\":5}"));
	CHECK(got_is(&g, 2, "{\"i\":3,\"aggregated\":{\"count\":1,\"window_ms\":10}}"));
	CHECK(got_is(&g, 3, "{\"i\":6}"));
	got_clear(&g);
	CHECK_EQ(ctl_evq_recent(q, 2, collect, &g), 2);
	CHECK(got_is(&g, 0, "{\"i\":3,\"aggregated\":{\"count\":1,\"window_ms\":10}}"));
	CHECK(got_is(&g, 1, "{\"i\":6}"));
	CHECK_EQ(ctl_evq_recent(q, 0, collect, &g), 0);
	got_free(&g);
	ctl_evq_free(q);

	c.recent = 0;
	CHECK_EQ(ctl_evq_new(&c, &q), 0);
	CHECK(push_str(q, 0, 1, 0, "{\"i\":0}"));
	CHECK_EQ(ctl_evq_drain(q, 0, collect, &g), 1);
	got_clear(&g);
	CHECK_EQ(ctl_evq_recent(q, 10, collect, &g), 0);
	CHECK_EQ(g.n, 0);
	got_free(&g);
	ctl_evq_free(q);
}

/* ------------------------------------------------------------ evout */

/* The whole file at @path, NUL-terminated (empty string if unreadable). */
static char *slurp(const char *path)
{
	struct bh_corpus c;
	char *empty;

	if (bh_corpus_load("/", path, &c) < 0) {
		empty = calloc(1, 1);
		if (!empty)
			abort();
		return empty;
	}
	c.data[c.size] = '\0';
	return c.data;
}

static bool file_is(const char *path, const char *want)
{
	char *s = slurp(path);
	bool ok = strcmp(s, want) == 0;

	if (!ok)
		fprintf(stderr, "%s: [%s], expected [%s]\n", path, s, want);
	free(s);
	return ok;
}

static void test_evout_file(void)
{
	char dir[] = "/tmp/bh-evout-XXXXXX", path[256], rot[256], dir2[64], err[256];
	struct ctl_evout *o = NULL;
	struct stat stb;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/eve.json", dir);
	snprintf(rot, sizeof(rot), "%s/eve.json.1", dir);
	CHECK_EQ(ctl_evout_open(path, &o, err, sizeof(err)), 0);
	if (!o)
		return;
	CHECK(stat(path, &stb) == 0 && (stb.st_mode & 0777) == 0640);
	ctl_evout_write(o, "{\"n\":1}", 7);
	ctl_evout_write(o, "{\"n\":2}\n", 8);
	CHECK(file_is(path, ""));    /* buffered */
	CHECK_EQ(ctl_evout_written(o), 0);
	CHECK_EQ(ctl_evout_flush(o), 0);
	CHECK(file_is(path, "{\"n\":1}\n{\"n\":2}\n"));
	CHECK_EQ(ctl_evout_written(o), 2);
	/* logrotate: rename, then reopen; lines before the reopen still go to
	 * the renamed file. */
	CHECK(rename(path, rot) == 0);
	ctl_evout_write(o, "{\"n\":3}", 7);
	CHECK_EQ(ctl_evout_reopen(o, err, sizeof(err)), 0);
	ctl_evout_write(o, "{\"n\":4}", 7);
	CHECK_EQ(ctl_evout_flush(o), 0);
	CHECK(file_is(rot, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));
	CHECK(file_is(path, "{\"n\":4}\n"));
	/* A failed reopen (the directory is gone) keeps the old file. */
	snprintf(dir2, sizeof(dir2), "%s.moved", dir);
	CHECK(rename(dir, dir2) == 0);
	err[0] = '\0';
	CHECK_EQ(ctl_evout_reopen(o, err, sizeof(err)), -ENOENT);
	CHECK(strncmp(err, path, strlen(path)) == 0 && strstr(err, ": ") != NULL);
	ctl_evout_write(o, "{\"n\":5}", 7);
	CHECK_EQ(ctl_evout_errors(o), 0);
	ctl_evout_close(o);
	snprintf(path, sizeof(path), "%s/eve.json", dir2);
	CHECK(file_is(path, "{\"n\":4}\n{\"n\":5}\n"));
	/* Appends to what is there. */
	CHECK_EQ(ctl_evout_open(path, &o, err, sizeof(err)), 0);
	ctl_evout_write(o, "{\"n\":6}", 7);
	ctl_evout_close(o);
	CHECK(file_is(path, "{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n"));
	unlink(path);
	snprintf(rot, sizeof(rot), "%s/eve.json.1", dir2);
	unlink(rot);
	rmdir(dir2);

	/* Unopenable: the error names the path. */
	o = NULL;
	CHECK_EQ(ctl_evout_open("/nonexistent-bh/eve.json", &o, err, sizeof(err)), -ENOENT);
	CHECK(o == NULL);
	CHECK(strncmp(err, "/nonexistent-bh/eve.json: ", 26) == 0);
}

/* A line longer than the buffer, and a buffer that fills. */
static void test_evout_big(void)
{
	char dir[] = "/tmp/bh-evout-XXXXXX", path[128], err[256];
	struct ctl_evout *o = NULL;
	size_t big = CTL_EVOUT_BUF + 100, line = 1000, nlines = 2 * CTL_EVOUT_BUF / line;
	char *text = malloc(big), *s;
	struct stat stb;

	if (!text)
		abort();
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/eve.json", dir);
	CHECK_EQ(ctl_evout_open(path, &o, err, sizeof(err)), 0);
	if (!o)
		return;
	memset(text, 'q', big);
	ctl_evout_write(o, "{}", 2);
	ctl_evout_write(o, text, big);
	CHECK_EQ(ctl_evout_written(o), 2);  /* the long one pushed the buffer out */
	for (size_t i = 0; i < nlines; i++)
		ctl_evout_write(o, text, line - 1);
	/* Filled once or more: written without a flush. */
	CHECK(ctl_evout_written(o) > 2 + nlines / 2);
	ctl_evout_close(o);
	CHECK(stat(path, &stb) == 0 && (size_t)stb.st_size == 3 + big + 1 + nlines * line);
	s = slurp(path);
	CHECK(strncmp(s, "{}\nqqq", 6) == 0 && s[3 + big] == '\n' && s[3 + big + 1 + line - 1] == '\n');
	free(s);
	free(text);
	unlink(path);
	rmdir(dir);
}

static void test_evout_errors(void)
{
	char dir[] = "/tmp/bh-evout-XXXXXX", path[128], err[256];
	struct ctl_evout *o = NULL;
	char *big = malloc(CTL_EVOUT_BUF + 1);
	struct rlimit old, lim;
	void (*oldsig)(int);

	if (!big)
		abort();
	/* /dev/full: every write fails with ENOSPC; lines counted, not fatal. */
	CHECK_EQ(ctl_evout_open("/dev/full", &o, err, sizeof(err)), 0);
	if (o) {
		ctl_evout_write(o, "{\"n\":1}", 7);
		ctl_evout_write(o, "{\"n\":2}", 7);
		ctl_evout_write(o, "{\"n\":3}", 7);
		CHECK_EQ(ctl_evout_flush(o), -ENOSPC);
		CHECK_EQ(ctl_evout_errors(o), 3);
		CHECK_EQ(ctl_evout_written(o), 0);
		CHECK_EQ(ctl_evout_flush(o), 0);  /* nothing left */
		memset(big, 'x', CTL_EVOUT_BUF + 1);
		ctl_evout_write(o, big, CTL_EVOUT_BUF + 1);
		CHECK_EQ(ctl_evout_errors(o), 4);
		ctl_evout_write(o, "{\"n\":4}", 7);
		ctl_evout_close(o);  /* the last one lost too, quietly */
	}

	/* A write cut short (RLIMIT_FSIZE): the whole lines count as written,
	 * the rest lost, and the cut line is ended before the next. */
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/eve.json", dir);
	CHECK_EQ(ctl_evout_open(path, &o, err, sizeof(err)), 0);
	if (!o) {
		free(big);
		return;
	}
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 100;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (unsigned i = 0; i < 5; i++)
		ctl_evout_write(o, "{\"n\":\"0123456789abcdefghij\"}", 28); /* 29 with '\n' */
	CHECK_EQ(ctl_evout_flush(o), -EFBIG);
	CHECK_EQ(ctl_evout_written(o), 3);  /* 87 bytes; 13 of the 4th */
	CHECK_EQ(ctl_evout_errors(o), 2);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, oldsig);
	ctl_evout_write(o, "{\"n\":6}", 7);
	CHECK_EQ(ctl_evout_flush(o), 0);
	CHECK_EQ(ctl_evout_written(o), 4);
	ctl_evout_close(o);
	CHECK(file_is(path, "{\"n\":\"0123456789abcdefghij\"}\n"
			    "{\"n\":\"0123456789abcdefghij\"}\n"
			    "{\"n\":\"0123456789abcdefghij\"}\n"
			    "{\"n\":\"0123456\n"
			    "{\"n\":6}\n"));
	unlink(path);
	rmdir(dir);
	free(big);
}

static void test_evout_stdout(void)
{
	char tmp[] = "/tmp/bh-evout-stdout-XXXXXX", err[256];
	struct ctl_evout *o = NULL;
	int fd = mkstemp(tmp), saved;

	CHECK(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CHECK(saved >= 0 && dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
	CHECK_EQ(ctl_evout_open("-", &o, err, sizeof(err)), 0);
	if (o) {
		ctl_evout_write(o, "{\"out\":1}", 9);
		CHECK_EQ(ctl_evout_reopen(o, err, sizeof(err)), 0); /* a no-op */
		ctl_evout_write(o, "{\"out\":2}", 9);
		CHECK_EQ(ctl_evout_flush(o), 0);
		CHECK_EQ(ctl_evout_written(o), 2);
		ctl_evout_close(o);
	}
	/* stdout stays open. */
	CHECK(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	CHECK(file_is(tmp, "{\"out\":1}\n{\"out\":2}\n"));
	unlink(tmp);
}

int main(void)
{
	RUN(test_config);
	RUN(test_order);
	RUN(test_wrap);
	RUN(test_full);
	RUN(test_concurrent);
	RUN(test_agg);
	RUN(test_agg_full);
	RUN(test_agg_model);
	RUN(test_recent);
	RUN(test_evout_file);
	RUN(test_evout_big);
	RUN(test_evout_errors);
	RUN(test_evout_stdout);
	return bh_test_summary();
}
