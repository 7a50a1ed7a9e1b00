/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_dropped.c - collect dropped packets and write them as a pcap file.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_dropped.h"

struct pkt {
	uint64_t pkt_no, ts_us;
	uint32_t caplen, wirelen;
	int dlt;
	uint8_t data[];
};

struct ctl_dropped {
	pthread_mutex_t lock;
	struct pkt **v;
	size_t n, cap;
	size_t lost;  /* out of memory */
};

int ctl_dropped_new(struct ctl_dropped **ret)
{
	struct ctl_dropped *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	pthread_mutex_init(&x->lock, NULL);
	*ret = x;
	return 0;
}

void ctl_dropped_add(void *ctx, unsigned worker, const struct dp_dropped *d)
{
	struct ctl_dropped *x = ctx;
	struct pkt *p = malloc(sizeof(*p) + d->caplen);

	(void)worker;
	pthread_mutex_lock(&x->lock);
	if (p && x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 256;
		struct pkt **nv = realloc(x->v, sizeof(*nv) * ncap);

		if (!nv) {
			free(p);
			p = NULL;
		} else {
			x->v = nv;
			x->cap = ncap;
		}
	}
	if (!p) {
		x->lost++;
	} else {
		*p = (struct pkt){d->pkt_no, d->ts_us, d->caplen, d->wirelen, d->dlt};
		memcpy(p->data, d->data, d->caplen);
		x->v[x->n++] = p;
	}
	pthread_mutex_unlock(&x->lock);
}

static int by_no(const void *a, const void *b)
{
	const struct pkt *x = *(const struct pkt *const *)a, *y = *(const struct pkt *const *)b;

	return x->pkt_no < y->pkt_no ? -1 : x->pkt_no > y->pkt_no;
}

long ctl_dropped_write(struct ctl_dropped *x, const char *path, size_t *ret_skipped, char *err,
		       size_t errlen)
{
	pcap_t *pd;
	pcap_dumper_t *dump;
	long n = 0;

	*ret_skipped = x->lost;
	if (x->lost) {
		snprintf(err, errlen, "%s: %zu dropped packets lost to memory", path, x->lost);
		return -ENOMEM;
	}
	if (x->n)
		qsort(x->v, x->n, sizeof(*x->v), by_no);
	pd = pcap_open_dead(x->n ? x->v[0]->dlt : DLT_EN10MB, 262144);
	if (!pd) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	dump = pcap_dump_open(pd, path);
	if (!dump) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pd));
		pcap_close(pd);
		return -EIO;
	}
	for (size_t i = 0; i < x->n; i++) {
		const struct pkt *p = x->v[i];
		struct pcap_pkthdr h = {
			.ts = {.tv_sec = (time_t)(p->ts_us / 1000000u),
			       .tv_usec = (suseconds_t)(p->ts_us % 1000000u)},
			.caplen = p->caplen,
			.len = p->wirelen,
		};

		if (p->dlt != x->v[0]->dlt) {
			(*ret_skipped)++;
			continue;
		}
		pcap_dump((u_char *)dump, &h, p->data);
		n++;
	}
	if (pcap_dump_flush(dump) < 0) {
		snprintf(err, errlen, "%s: write error", path);
		n = -EIO;
	}
	pcap_dump_close(dump);
	pcap_close(pd);
	return n;
}

void ctl_dropped_free(struct ctl_dropped *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i]);
	free(x->v);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

/* ------------------------------------------------------------ inline */

struct ctl_dropped_stream {
	pthread_mutex_t lock;
	pcap_t *pd;
	pcap_dumper_t *dump;
	int dlt;
	uint64_t written, skipped;
};

int ctl_dropped_stream_open(const char *path, int dlt, struct ctl_dropped_stream **ret, char *err,
			    size_t errlen)
{
	struct ctl_dropped_stream *s = calloc(1, sizeof(*s));

	if (!s || !(s->pd = pcap_open_dead(dlt, 262144))) {
		free(s);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	s->dump = pcap_dump_open(s->pd, path);
	if (!s->dump) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(s->pd));
		pcap_close(s->pd);
		free(s);
		return -EIO;
	}
	s->dlt = dlt;
	pthread_mutex_init(&s->lock, NULL);
	*ret = s;
	return 0;
}

void ctl_dropped_stream_add(void *ctx, unsigned worker, const struct dp_dropped *d)
{
	struct ctl_dropped_stream *s = ctx;
	struct pcap_pkthdr h = {
		.ts = {.tv_sec = (time_t)(d->ts_us / 1000000u),
		       .tv_usec = (suseconds_t)(d->ts_us % 1000000u)},
		.caplen = d->caplen,
		.len = d->wirelen,
	};

	(void)worker;
	pthread_mutex_lock(&s->lock);
	if (d->dlt != s->dlt) {
		s->skipped++;
	} else {
		pcap_dump((u_char *)s->dump, &h, d->data);
		pcap_dump_flush(s->dump); /* a reader sees whole packets */
		s->written++;
	}
	pthread_mutex_unlock(&s->lock);
}

uint64_t ctl_dropped_stream_close(struct ctl_dropped_stream *s)
{
	uint64_t n;

	if (!s)
		return 0;
	n = s->written;
	pcap_dump_close(s->dump);
	pcap_close(s->pd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return n;
}
