/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_decisions.c - decision lines for the human summary of a replay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bulkhead/bh_policy.h"
#include "ctl_decisions.h"
#include "ctl_eve.h"

struct line {
	uint64_t order[2];
	bool allow;
	char *text;
};

struct ctl_decisions {
	pthread_mutex_t lock;
	struct line *v;
	size_t n, cap, not_allowed;
};

int ctl_decisions_new(struct ctl_decisions **ret)
{
	struct ctl_decisions *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	*ret = d;
	return 0;
}

static void end_name(char *out, size_t n, const struct bh_workload_ref *w,
		     const union bh_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	snprintf(out, n, "%s", w ? w->name : ctl_addr_text(a, 0, s));
}

/* What the decision was about, shortened to fit a line. */
static void what(char *out, size_t n, const struct bh_event *ev)
{
	const struct bh_str *a = NULL, *b = NULL;

	switch (ev->type) {
	case BH_EV_HTTP:
		a = &ev->http.method;
		b = &ev->http.url_normalized;
		break;
	case BH_EV_DNS:
		a = &ev->dns.rrname;
		break;
	case BH_EV_SQL:
		a = &ev->sql.statement;
		break;
	case BH_EV_TLS:
		a = &ev->tls.sni;
		break;
	default:
		snprintf(out, n, "%s", ev->app_proto ? ev->app_proto : "");
		return;
	}
	snprintf(out, n, "%.*s%s%.*s", (int)(a->len > 60 ? 60 : a->len), a->p, b ? " " : "",
		 b ? (int)(b->len > 60 ? 60 : b->len) : 0, b ? b->p : "");
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '.';
}

void ctl_decisions_add(void *ctx, unsigned worker, const struct bh_event *ev)
{
	static const char *const kind[BH_EV__MAX] = {
		[BH_EV_FLOW] = "flow", [BH_EV_HTTP] = "http", [BH_EV_DNS] = "dns",
		[BH_EV_SQL] = "sql",   [BH_EV_TLS] = "tls",
	};
	struct ctl_decisions *d = ctx;
	const struct bh_verdict *v = ev->verdict;
	char src[64], dst[64], w[160], why[256], text[600];
	struct line l;

	(void)worker;
	if (!v || ev->type >= BH_EV__MAX || !kind[ev->type] || !ev->has_tuple)
		return;
	end_name(src, sizeof(src), ev->src_workload, &ev->tuple.src);
	end_name(dst, sizeof(dst), ev->dest_workload, &ev->tuple.dst);
	what(w, sizeof(w), ev);
	if (v->sid)
		snprintf(why, sizeof(why), "%s:%u", v->reason, v->sid);
	else
		snprintf(why, sizeof(why), "%s", v->reason ? v->reason : "?");
	if (v->policy) {
		size_t o = strlen(why);

		snprintf(why + o, sizeof(why) - o, " (policy %s, %s, %s)", v->policy,
			 v->direction ? v->direction : "-",
			 bh_mode_name(v->mode) ? bh_mode_name(v->mode) : "-");
	}
	snprintf(dst + strlen(dst), sizeof(dst) - strlen(dst), ":%u", ev->tuple.dport);
	snprintf(text, sizeof(text), "%-6s %-4s %-14s -> %-20s %-44s %s",
		 bh_action_name(v->action) ? bh_action_name(v->action) : "?", kind[ev->type], src,
		 dst, w, why);
	l = (struct line){{ev->order[0], ev->order[1]}, v->action == BH_ACT_ALLOW, strdup(text)};
	pthread_mutex_lock(&d->lock);
	if (l.text && d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 256;
		struct line *nv = realloc(d->v, sizeof(*nv) * ncap);

		if (nv) {
			d->v = nv;
			d->cap = ncap;
		}
	}
	if (l.text && d->n < d->cap) {
		d->v[d->n++] = l;
		d->not_allowed += !l.allow;
	} else {
		free(l.text);
	}
	pthread_mutex_unlock(&d->lock);
}

static int by_order(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	if (x->order[0] != y->order[0])
		return x->order[0] < y->order[0] ? -1 : 1;
	if (x->order[1] != y->order[1])
		return x->order[1] < y->order[1] ? -1 : 1;
	return strcmp(x->text, y->text);
}

size_t ctl_decisions_write(struct ctl_decisions *d, FILE *out, bool only_denied)
{
	size_t n = 0;

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), by_order);
	for (size_t i = 0; i < d->n; i++) {
		if (only_denied && d->v[i].allow)
			continue;
		fprintf(out, "%s\n", d->v[i].text);
		n++;
	}
	return n;
}

size_t ctl_decisions_count(const struct ctl_decisions *d, size_t *ret_not_allowed)
{
	*ret_not_allowed = d->not_allowed;
	return d->n;
}

void ctl_decisions_free(struct ctl_decisions *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
