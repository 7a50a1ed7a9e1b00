/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_replay.c - the pcap packet source: reads capture files with libpcap,
 * decodes each packet once, and hands it to the worker that owns its address
 * pair, in batches. The workers run the same code as inline.
 *
 * With one worker everything runs on the calling thread (no copies, no
 * hand-off). With more, the reader copies packets into per-worker batches
 * passed through a small queue; batches are recycled, so memory is bounded by
 * BATCHES_PER_WORKER * sizeof(struct batch) per worker.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bulkhead/dp_engine.h"
#include "dp_decode.h"
#include "dp_worker.h"

#define BATCH_PKTS 256
#define BATCH_BYTES (1u << 20)
#define BATCHES_PER_WORKER 8

struct batch {
	struct batch *next;
	uint32_t n, used;
	int rc[BATCH_PKTS];
	struct dp_packet pkts[BATCH_PKTS];
	uint8_t bytes[BATCH_BYTES];
};

struct wthread {
	struct dp_replay *r;
	struct dp_worker *w;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *head, *tail; /* full batches, reader -> worker */
	struct batch *free;        /* empty batches, worker -> reader */
	bool done;
	struct batch *cur;         /* being filled by the reader */
};

struct dp_replay {
	struct dp_engine_config cfg;
	unsigned n;
	struct wthread *wt;
	struct dp_stats src_stats;
	uint64_t end_us;
};

static int map_link(int dlt, enum dp_link *ret)
{
	switch (dlt) {
	case DLT_EN10MB:
		*ret = DP_LINK_ETHERNET;
		return 0;
	case DLT_LINUX_SLL:
		*ret = DP_LINK_SLL;
		return 0;
	case DLT_LINUX_SLL2:
		*ret = DP_LINK_SLL2;
		return 0;
	case DLT_RAW:
#if DLT_RAW != 12
	case 12:
#endif
#if DLT_RAW != 14
	case 14:
#endif
		*ret = DP_LINK_RAW;
		return 0;
	case DLT_IPV4:
		*ret = DP_LINK_IPV4;
		return 0;
	case DLT_IPV6:
		*ret = DP_LINK_IPV6;
		return 0;
	case DLT_NULL:
		*ret = DP_LINK_NULL;
		return 0;
	case DLT_LOOP:
		*ret = DP_LINK_LOOP;
		return 0;
	default:
		return -EINVAL;
	}
}

static void *worker_main(void *arg)
{
	struct wthread *t = arg;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&t->mu);
		while (!t->head && !t->done)
			pthread_cond_wait(&t->cv, &t->mu);
		b = t->head;
		if (b) {
			t->head = b->next;
			if (!t->head)
				t->tail = NULL;
		}
		pthread_mutex_unlock(&t->mu);
		if (!b)
			break; /* done and drained */
		for (uint32_t i = 0; i < b->n; i++)
			dp_worker_process(t->w, &b->pkts[i], b->rc[i]);
		b->n = b->used = 0;
		pthread_mutex_lock(&t->mu);
		b->next = t->free;
		t->free = b;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
	}
	dp_worker_finish(t->w, t->r->end_us);
	return NULL;
}

static void submit(struct wthread *t)
{
	struct batch *b = t->cur;

	if (!b || !b->n)
		return;
	t->cur = NULL;
	b->next = NULL;
	pthread_mutex_lock(&t->mu);
	if (t->tail)
		t->tail->next = b;
	else
		t->head = b;
	t->tail = b;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static struct batch *get_batch(struct wthread *t)
{
	struct batch *b;

	if (t->cur)
		return t->cur;
	pthread_mutex_lock(&t->mu);
	while (!t->free)
		pthread_cond_wait(&t->cv, &t->mu);
	b = t->free;
	t->free = b->next;
	pthread_mutex_unlock(&t->mu);
	b->n = b->used = 0;
	t->cur = b;
	return b;
}

int dp_replay_new(const struct dp_engine_config *cfg, bh_event_fn ev, void *ev_ctx,
		  struct dp_replay **ret)
{
	struct dp_replay *r;
	int err;

	if (!cfg->workers || cfg->workers > DP_MAX_WORKERS || !ev)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	r->n = cfg->workers;
	r->wt = calloc(r->n, sizeof(*r->wt));
	if (!r->wt) {
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct wthread *t = &r->wt[i];

		t->r = r;
		pthread_mutex_init(&t->mu, NULL);
		pthread_cond_init(&t->cv, NULL);
		err = dp_worker_new(cfg, i, ev, ev_ctx, &t->w);
		if (err < 0)
			goto fail;
		if (r->n == 1)
			continue;
		for (unsigned k = 0; k < BATCHES_PER_WORKER; k++) {
			struct batch *b = malloc(sizeof(*b));

			if (!b) {
				err = -ENOMEM;
				goto fail;
			}
			b->next = t->free;
			t->free = b;
		}
	}
	*ret = r;
	return 0;
fail:
	dp_replay_free(r);
	return err;
}

static int start_threads(struct dp_replay *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		int e = pthread_create(&r->wt[i].th, NULL, worker_main, &r->wt[i]);

		if (e)
			return -e;
		r->wt[i].started = true;
	}
	return 0;
}

static void stop_threads(struct dp_replay *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		struct wthread *t = &r->wt[i];

		if (!t->started)
			continue;
		submit(t);
		pthread_mutex_lock(&t->mu);
		t->done = true;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
	}
	for (unsigned i = 0; i < r->n; i++) {
		if (r->wt[i].started)
			pthread_join(r->wt[i].th, NULL);
		r->wt[i].started = false;
	}
}

/* Hand one decoded packet to its worker (multi-threaded mode). */
static void dispatch(struct dp_replay *r, const struct dp_packet *p, int rc)
{
	struct wthread *t = &r->wt[dp_shard(p, r->n)];
	struct batch *b = get_batch(t);
	struct dp_packet *q;

	if (b->n == BATCH_PKTS || BATCH_BYTES - b->used < p->caplen) {
		submit(t);
		b = get_batch(t);
	}
	q = &b->pkts[b->n];
	*q = *p;
	memcpy(b->bytes + b->used, p->data, p->caplen);
	q->data = b->bytes + b->used;
	b->rc[b->n++] = rc;
	b->used += p->caplen;
}

static int replay_file(struct dp_replay *r, const char *file, uint64_t *pkt_no, uint64_t *done,
		       uint64_t total, dp_progress_fn progress, void *pctx, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	enum dp_link link;
	uint64_t base = *done;
	pcap_t *pc;
	int dlt, rc, ret = 0;

	pc = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s: cannot read capture: %s", file, ebuf);
		return -EINVAL;
	}
	dlt = pcap_datalink(pc);
	if (map_link(dlt, &link) < 0) {
		const char *name = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen,
			 "%s: unsupported link type %d (%s); supported: Ethernet, Linux cooked v1/v2, raw IP, BSD loopback",
			 file, dlt, name ? name : "unknown");
		ret = -EINVAL;
		goto out;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct dp_packet p;
		int drc;

		memset(&p, 0, sizeof(p));
		p.data = data;
		p.caplen = h->caplen;
		p.wirelen = h->len > h->caplen ? h->len : h->caplen;
		p.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		p.pkt_no = ++*pkt_no;
		p.source = file;
		p.dlt = dlt;
		if (p.ts_us > r->end_us)
			r->end_us = p.ts_us;
		drc = dp_decode(&p, link);
		if (r->n == 1)
			dp_worker_process(r->wt[0].w, &p, drc);
		else
			dispatch(r, &p, drc);
		if (progress && (*pkt_no & 4095) == 0) {
			FILE *fp = pcap_file(pc);
			long off = fp ? ftell(fp) : -1;

			if (off >= 0)
				*done = base + (uint64_t)off;
			progress(pctx, *done, total);
		}
	}
	if (rc == -1) {
		snprintf(err, errlen, "%s: read error after packet %llu: %s", file,
			 (unsigned long long)*pkt_no, pcap_geterr(pc));
		ret = -EINVAL;
	}
out:
	pcap_close(pc);
	return ret;
}

int dp_replay_run(struct dp_replay *r, char *const *files, size_t nfiles,
		  dp_progress_fn progress, void *progress_ctx, char *err, size_t errlen)
{
	uint64_t pkt_no = 0, done = 0, total = 0;
	int ret = 0;

	err[0] = '\0';
	for (size_t i = 0; i < nfiles; i++) {
		struct stat st;

		if (stat(files[i], &st) == 0)
			total += (uint64_t)st.st_size;
	}
	if (r->n > 1) {
		ret = start_threads(r);
		if (ret < 0) {
			snprintf(err, errlen, "cannot start worker threads: %s", strerror(-ret));
			stop_threads(r);
			return ret;
		}
	}
	for (size_t i = 0; i < nfiles && ret == 0; i++) {
		uint64_t before = done;
		struct stat st;

		ret = replay_file(r, files[i], &pkt_no, &done, total, progress, progress_ctx, err,
				  errlen);
		if (stat(files[i], &st) == 0)
			done = before + (uint64_t)st.st_size;
	}
	if (r->n > 1)
		stop_threads(r);
	else
		dp_worker_finish(r->wt[0].w, r->end_us);
	if (progress)
		progress(progress_ctx, total, total);
	return ret;
}

_Static_assert(sizeof(struct dp_stats) % sizeof(uint64_t) == 0, "dp_stats holds only uint64_t");

static void add_stats(struct dp_stats *a, const struct dp_stats *b)
{
	const uint64_t *s = (const uint64_t *)b;
	uint64_t *d = (uint64_t *)a;

	/* struct dp_stats is nothing but uint64_t counters. */
	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

void dp_replay_stats(const struct dp_replay *r, struct dp_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	add_stats(ret, &r->src_stats);
	for (unsigned i = 0; i < r->n; i++) {
		dp_worker_sync_stats(r->wt[i].w);
		add_stats(ret, dp_worker_stats(r->wt[i].w));
	}
}

void dp_replay_free(struct dp_replay *r)
{
	if (!r)
		return;
	if (r->wt) {
		stop_threads(r);
		for (unsigned i = 0; i < r->n; i++) {
			struct wthread *t = &r->wt[i];

			while (t->free) {
				struct batch *b = t->free;

				t->free = b->next;
				free(b);
			}
			free(t->cur);
			dp_worker_free(t->w);
			pthread_mutex_destroy(&t->mu);
			pthread_cond_destroy(&t->cv);
		}
		free(r->wt);
	}
	free(r);
}
