/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_metrics.h - the Prometheus endpoint of bulkheadd: a small HTTP server
 * (libmicrohttpd, one internal thread) that answers GET /metrics with text
 * the caller's fill function writes, and the helpers that write that text in
 * the exposition format 0.0.4 (HELP and TYPE lines, samples with escaped
 * label values).
 */
#ifndef CTL_METRICS_H
#define CTL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_json.h" /* struct ctl_buf */

struct ctl_metrics;

/* Called on the server's thread for each scrape (GET or HEAD /metrics), one
 * call at a time, to append the whole exposition text to @out: a fresh,
 * empty buffer the server owns and frees. Setting out->oom (as a failed
 * append does) makes the answer a 500. Must not block for long: other
 * requests wait meanwhile. */
typedef void (*ctl_metrics_fill_fn)(void *ctx, struct ctl_buf *out);

#define CTL_METRICS_CONN_LIMIT 16    /* connections open at once; more wait in the backlog */
#define CTL_METRICS_CONN_TIMEOUT 10  /* seconds a connection may be idle */

/*
 * Listen on @addr_port and serve from a thread of its own:
 *   "127.0.0.1:9464"  an IPv4 address;
 *   "[::1]:9464"      an IPv6 address (IPv6 only);
 *   ":9464"           every address, IPv6 and IPv4 (IPv4 alone where the
 *                     kernel has no IPv6).
 * Addresses are numeric only: no host names, not even "localhost". Port 0
 * takes any free port; ctl_metrics_port() tells which.
 * Serves GET and HEAD of /metrics (200, "text/plain; version=0.0.4;
 * charset=utf-8", the text @fill wrote) and of / (a short page pointing to
 * /metrics); any other path is a 404 (whatever the method), another method
 * on those two a 405 with "Allow: GET, HEAD". A GET or HEAD leaves the
 * connection open for the next request; the others close it. The listening
 * socket is close-on-exec.
 * @fill and @ctx are borrowed until ctl_metrics_stop() returns.
 * Returns 0 with *@ret set (free with ctl_metrics_stop()), or -errno with
 * *@ret untouched and @err (@errlen bytes, may be 0) holding a whole message
 * that names the option, e.g. "--metrics 1.2.3.4:65536: port out of range
 * (0-65535)": -EINVAL for a malformed @addr_port, what bind() said
 * (-EADDRINUSE: "address in use", -EADDRNOTAVAIL, -EACCES), -EIO when
 * libmicrohttpd would not start (its reason in @err), -ENOMEM etc.
 * Binding a port below 1024 needs CAP_NET_BIND_SERVICE at this point.
 * Thread-safe (no shared state).
 */
int ctl_metrics_start(const char *addr_port, ctl_metrics_fill_fn fill, void *ctx,
		      struct ctl_metrics **ret, char *err, size_t errlen);

/* The port the server listens on (the one picked when asked for 0).
 * Thread-safe. */
uint16_t ctl_metrics_port(const struct ctl_metrics *m);

/* How many times @fill has been called (each GET or HEAD /metrics, whatever
 * came of it). Thread-safe. */
uint64_t ctl_metrics_scrapes(const struct ctl_metrics *m);

/* Close every connection, stop the thread (waits for it: a scrape under way
 * finishes first) and free @m. NULL is fine. Not to be called from @fill. */
void ctl_metrics_stop(struct ctl_metrics *m);

/*
 * Exposition format helpers (text format 0.0.4). Metric names and label
 * names are the caller's constants and are written as they are: they must
 * match [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*. Not thread-safe
 * on one buffer (see struct ctl_buf); an append that fails sets b->oom.
 */

/* "# HELP @name @help\n# TYPE @name @type\n"; @type is "counter", "gauge",
 * "untyped"...; in @help backslash and newline are escaped. */
void ctl_prom_family(struct ctl_buf *b, const char *name, const char *type, const char *help);

/* One sample: "@name{k="v",...} value\n". @labels is NULL (no braces) or a
 * list of key, value pairs ended by a NULL key; a NULL value is written as
 * "" (which Prometheus takes as no such label). Values may be any bytes
 * (rule and policy names come from the operator's documents): backslash,
 * double quote and newline are escaped, and bytes that are not valid UTF-8
 * are each written as U+FFFD, so the text stays valid UTF-8 as the format
 * demands. */
void ctl_prom_u64(struct ctl_buf *b, const char *name, const char *const *labels, uint64_t v);

/* As ctl_prom_u64() for a float: the shortest decimal that reads back as
 * @v, "NaN", "+Inf" or "-Inf". */
void ctl_prom_f64(struct ctl_buf *b, const char *name, const char *const *labels, double v);

#endif
