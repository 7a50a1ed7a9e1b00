/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_app_tls.c - one `tls` record per ClientHello (SNI and version). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_app.h"
#include "dpi_inspect.h"
#include "dpi_tls.h"

struct call {
	struct dpi_worker *w;
	void *cookie;
};

static void on_client_hello(void *ctx, const struct dpi_tls_client_hello *h)
{
	struct call *c = ctx;
	struct bh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_TLS;
	if (h->has_sni)
		ev.tls.sni = (struct bh_str){(const char *)h->sni.p, h->sni.len};
	ev.tls.version = h->version;
	dpi_inspect_tls(c->w, c->cookie, &ev);
	dpi_record(c->w, c->cookie, &ev);
}

static void on_anomaly(void *ctx, const char *event)
{
	struct call *c = ctx;

	dpi_anomaly(c->w, c->cookie, event);
}

static const struct dpi_tls_cb callbacks = {
	.on_client_hello = on_client_hello,
	.on_anomaly = on_anomaly,
};

static int tls_init(struct dpi_flow *f)
{
	struct dpi_tls_state *st = malloc(sizeof(*st));

	if (!st)
		return -ENOMEM;
	dpi_tls_init(st);
	f->st = st;
	return 0;
}

static int tls_parse(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		     const uint8_t *buf, size_t len)
{
	struct call c = {w, cookie};

	return dpi_tls_parse(f->st, dir, buf, len, &callbacks, &c);
}

/* After the hellos everything is encrypted: a hole changes nothing. */
static bool tls_gap(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		    uint32_t len)
{
	(void)w;
	(void)cookie;
	(void)len;
	return dpi_tls_done(f->st, dir);
}

static void tls_end(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	(void)w;
	(void)cookie;
	free(f->st);
	f->st = NULL;
}

const struct dpi_app dpi_app_tls = {
	.proto = DPI_PROTO_TLS,
	.init = tls_init,
	.parse = tls_parse,
	.gap = tls_gap,
	.end = tls_end,
};
