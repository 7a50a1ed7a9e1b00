/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_cli_render.c - what `bulkhead` prints of the daemon's results: aligned
 * tables, the policy change summary, the stats summary, one line per event
 * and the Graphviz graph. Nothing here trusts the shape of a result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cli.h"
#include "ctl_json.h"
#include "ctl_proto.h"

/* ------------------------------------------------------------ JSON */

static json_t *jget(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
	json_t *v = jget(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An integer member; false when missing or of another type. */
static bool jint(const json_t *o, const char *key, long long *ret)
{
	json_t *v = jget(o, key);

	if (!json_is_integer(v))
		return false;
	*ret = (long long)json_integer_value(v);
	return true;
}

static long long jint0(const json_t *o, const char *key)
{
	long long v = 0;

	return jint(o, key, &v) ? v : 0;
}

/* A number member as text, "-" when missing. */
static const char *jnum(const json_t *o, const char *key, char *buf, size_t size)
{
	json_t *v = jget(o, key);

	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.1f", json_real_value(v));
	else
		snprintf(buf, size, "-");
	return buf;
}

/* ------------------------------------------------------------ text */

/* @s with tabs and line breaks as spaces and other control characters
 * (C0, DEL, C1) as '?', appended to @b; "-" for NULL or empty. */
static void put_clean(struct ctl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s || !*s) {
		ctl_buf_puts(b, "-");
		return;
	}
	for (; *p; p++) {
		char c = (char)*p;

		if (*p == '\t' || *p == '\n' || *p == '\r')
			c = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			c = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			c = '?';
			p++;
		}
		ctl_buf_put(b, &c, 1);
	}
}

/* Like put_clean, but keeps line breaks and tabs: for multi-line text the
 * user wrote (document diffs). */
static void put_text(struct ctl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		char c = (char)*p;

		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			c = '?';
		ctl_buf_put(b, &c, 1);
	}
}

static void fput_clean(FILE *f, const char *s)
{
	struct ctl_buf b = {0};

	put_clean(&b, s);
	if (b.p)
		fwrite(b.p, 1, b.len, f);
	ctl_buf_free(&b);
}

/* Terminal columns of @s: code points (wide characters count one). */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* ------------------------------------------------------------ tables */

struct table {
	size_t ncols, nrows, cap;
	const char *const *head;
	const bool *right;      /* per column: right-aligned (numbers) */
	char **cells;           /* nrows * ncols, cleaned copies */
	bool oom;
};

/* Adds a row of ncols cells (borrowed; NULL or "" show as "-"). */
static void table_row(struct table *t, const char *const *row)
{
	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));

		if (!nc) {
			t->oom = true;
			return;
		}
		t->cells = nc;
		t->cap = ncap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		struct ctl_buf b = {0};

		put_clean(&b, row[c]);
		ctl_buf_put(&b, "", 1);
		if (b.oom) {
			ctl_buf_free(&b);
			b.p = NULL;
			t->oom = true;
		}
		t->cells[t->nrows * t->ncols + c] = b.p;
	}
	t->nrows++;
}

static void put_cell(FILE *f, const char *s, size_t w, bool right, bool last)
{
	size_t pad = w - width(s);

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	fputs(s, f);
	if (!right && !last)
		fprintf(f, "%*s", (int)pad, "");
}

/* Prints the header and the rows, columns two spaces apart, no trailing
 * spaces; frees the table. */
static void table_print(FILE *f, struct table *t)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (!w || t->oom) {
		fputs("bulkhead: out of memory\n", stderr);
		goto out;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t x = width(t->cells[r * t->ncols + c]);

			if (x > w[c])
				w[c] = x;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] : t->head[c];

			if (c)
				fputs("  ", f);
			put_cell(f, s, w[c], t->right && t->right[c], c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
out:
	for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* ------------------------------------------------------------ ping */

void ctl_cli_print_ping(FILE *out, const json_t *result)
{
	char g[32], p[32], pid[32];

	fputs("bulkheadd ", out);
	fput_clean(out, jstr(result, "version"));
	fprintf(out, ", protocol %s, policy generation %s, pid %s\n",
		jnum(result, "protocol", p, sizeof(p)), jnum(result, "generation", g, sizeof(g)),
		jnum(result, "pid", pid, sizeof(pid)));
}

/* ------------------------------------------------------------ changes */

static void print_docs(struct ctl_buf *b, const json_t *diff, const char *what)
{
	json_t *list = jget(diff, what), *d;
	size_t i;

	if (!json_is_array(list))
		return;
	json_array_foreach (list, i, d) {
		ctl_buf_printf(b, "%-8s ", what);
		put_clean(b, jstr(d, "kind"));
		ctl_buf_puts(b, " ");
		put_clean(b, jstr(d, "name"));
		ctl_buf_puts(b, "\n");
	}
}

void ctl_cli_print_change(FILE *out, FILE *err, const json_t *result, long long prev)
{
	json_t *diff = jget(result, "diff"), *changed = jget(diff, "changed"), *w, *d;
	struct ctl_buf b = {0};
	char g[32], num[32];
	size_t i;

	jnum(result, "generation", g, sizeof(g));
	if (!json_is_true(jget(result, "changed"))) {
		ctl_buf_printf(&b, "no change (generation %s)\n", g);
	} else {
		if (json_is_true(jget(result, "dry_run")))
			ctl_buf_printf(&b, "dry run: generation stays %s", g);
		else if (prev >= 0)
			ctl_buf_printf(&b, "generation %s in force (was %lld)", g, prev);
		else
			ctl_buf_printf(&b, "generation %s in force", g);
		if (jget(result, "documents"))
			ctl_buf_printf(&b, ", %s documents", jnum(result, "documents", num, sizeof(num)));
		if (jget(result, "compile_ms"))
			ctl_buf_printf(&b, ", compiled in %s ms",
				       jnum(result, "compile_ms", num, sizeof(num)));
		ctl_buf_puts(&b, "\n");
		print_docs(&b, diff, "added");
		print_docs(&b, diff, "removed");
		print_docs(&b, diff, "changed");
		if (json_is_array(changed))
			json_array_foreach (changed, i, d) {
				const char *text = jstr(d, "diff");

				if (!text || !*text)
					continue;
				put_text(&b, text);
				if (text[strlen(text) - 1] != '\n')
					ctl_buf_puts(&b, "\n");
			}
	}
	if (b.p)
		fwrite(b.p, 1, b.len, out);
	ctl_buf_free(&b);
	if (json_is_array(jget(result, "warnings")))
		json_array_foreach (jget(result, "warnings"), i, w) {
			/* "FILE:LINE:COL: warning: ..." as the compiler wrote it */
			fputs("bulkhead: ", err);
			fput_clean(err, json_string_value(w));
			fputc('\n', err);
		}
}

/* ------------------------------------------------------------ workloads */

void ctl_cli_print_workloads(FILE *out, const json_t *result)
{
	static const char *const head[] = {"NAME", "ADDRESSES", "INTERFACE", "LABELS"};
	struct table t = {.ncols = 4, .head = head};
	json_t *list = jget(result, "workloads"), *wl;
	size_t i;

	if (json_is_array(list))
		json_array_foreach (list, i, wl) {
			struct ctl_buf addrs = {0}, labels = {0};
			json_t *a, *v;
			const char *key;
			const char *row[4];
			size_t k;

			if (json_is_array(jget(wl, "addresses")))
				json_array_foreach (jget(wl, "addresses"), k, a) {
					if (!json_is_string(a))
						continue;
					if (addrs.len)
						ctl_buf_puts(&addrs, ",");
					ctl_buf_puts(&addrs, json_string_value(a));
				}
			if (json_is_object(jget(wl, "labels")))
				json_object_foreach (jget(wl, "labels"), key, v) {
					if (labels.len)
						ctl_buf_puts(&labels, ",");
					ctl_buf_printf(&labels, "%s=%s", key,
						       json_is_string(v) ? json_string_value(v) : "");
				}
			ctl_buf_put(&addrs, "", 1);
			ctl_buf_put(&labels, "", 1);
			row[0] = jstr(wl, "name");
			row[1] = addrs.oom ? NULL : addrs.p;
			row[2] = jstr(wl, "interface");
			row[3] = labels.oom ? NULL : labels.p;
			table_row(&t, row);
			ctl_buf_free(&addrs);
			ctl_buf_free(&labels);
		}
	table_print(out, &t);
}

/* ------------------------------------------------------------ flows */

int ctl_cli_parse_time(const char *s, time_t *ret)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = 0;
	time_t t;

	if (!p)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, d[4], n = 0;

		for (p++; n < 4 && *p; p++) {
			if (*p == ':' && n == 2)
				continue;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			d[n++] = *p - '0';
		}
		if (n != 4)
			return -EINVAL;
		off = sign * ((d[0] * 10 + d[1]) * 3600L + (d[2] * 10 + d[3]) * 60L);
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = t - off;
	return 0;
}

static void put_age(struct ctl_buf *b, const char *start, time_t now)
{
	time_t t;
	long long age;

	if (!start || ctl_cli_parse_time(start, &t) < 0) {
		ctl_buf_puts(b, "-");
		return;
	}
	age = now > t ? (long long)(now - t) : 0;
	if (age < 60)
		ctl_buf_printf(b, "%llds", age);
	else if (age < 3600)
		ctl_buf_printf(b, "%lldm", age / 60);
	else if (age < 86400)
		ctl_buf_printf(b, "%lldh", age / 3600);
	else
		ctl_buf_printf(b, "%lldd", age / 86400);
}

/* ADDR:PORT, [ADDR]:PORT for IPv6, ADDR alone without a port. */
static void put_endpoint(struct ctl_buf *b, const json_t *o, const char *ip_key,
			 const char *port_key)
{
	const char *ip = jstr(o, ip_key);
	long long port;
	bool v6 = ip && strchr(ip, ':');

	if (!jint(o, port_key, &port)) {
		put_clean(b, ip);
		return;
	}
	if (v6)
		ctl_buf_puts(b, "[");
	put_clean(b, ip);
	ctl_buf_printf(b, "%s:%lld", v6 ? "]" : "", port);
}

/* A workload member: a name, or {"name": ...}, or null. */
static const char *wl_name(const json_t *o, const char *key)
{
	json_t *v = jget(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	return jstr(v, "name");
}

/* "A/B" of two counters, "-" for a missing one. */
static void put_pair(struct ctl_buf *b, const json_t *o, const char *k1, const char *k2)
{
	char x[32], y[32];

	ctl_buf_printf(b, "%s/%s", jnum(o, k1, x, sizeof(x)), jnum(o, k2, y, sizeof(y)));
}

static char *buf_take(struct ctl_buf *b)
{
	ctl_buf_put(b, "", 1);
	if (b->oom) {
		ctl_buf_free(b);
		return NULL;
	}
	return b->p;
}

void ctl_cli_print_flows(FILE *out, const json_t *result, time_t now)
{
	static const char *const head[] = {"CLIENT -> SERVER", "PROTO", "APP", "WORKLOADS",
					   "VERDICT/REASON", "PKTS", "BYTES", "AGE/STATE",
					   "OFFLOADED"};
	static const bool right[] = {false, false, false, false, false, true, true, false, false};
	struct table t = {.ncols = 9, .head = head, .right = right};
	json_t *list = jget(result, "flows"), *fl, *off;
	size_t i, shown = 0;
	char total[32];

	if (json_is_array(list))
		json_array_foreach (list, i, fl) {
			struct ctl_buf b[6] = {{0}};
			json_t *verdict = jget(fl, "verdict");
			const char *row[9];

			put_endpoint(&b[0], fl, "src_ip", "src_port");
			ctl_buf_puts(&b[0], " -> ");
			put_endpoint(&b[0], fl, "dest_ip", "dest_port");
			put_clean(&b[1], wl_name(fl, "src_workload"));
			ctl_buf_puts(&b[1], " -> ");
			put_clean(&b[1], wl_name(fl, "dest_workload"));
			put_clean(&b[2], jstr(verdict, "action"));
			ctl_buf_puts(&b[2], "/");
			put_clean(&b[2], jstr(verdict, "reason"));
			put_pair(&b[3], fl, "pkts_toserver", "pkts_toclient");
			put_pair(&b[4], fl, "bytes_toserver", "bytes_toclient");
			put_age(&b[5], jstr(fl, "start"), now);
			ctl_buf_puts(&b[5], "/");
			put_clean(&b[5], jstr(fl, "state"));
			off = jget(fl, "offloaded");
			row[0] = buf_take(&b[0]);
			row[1] = jstr(fl, "proto");
			row[2] = jstr(fl, "app_proto");
			row[3] = buf_take(&b[1]);
			row[4] = buf_take(&b[2]);
			row[5] = buf_take(&b[3]);
			row[6] = buf_take(&b[4]);
			row[7] = buf_take(&b[5]);
			row[8] = json_is_boolean(off) ? (json_is_true(off) ? "yes" : "no") : NULL;
			table_row(&t, row);
			for (int k = 0; k < 6; k++)
				ctl_buf_free(&b[k]);
			shown++;
		}
	table_print(out, &t);
	fprintf(out, "%zu of %s flows%s\n", shown, jnum(result, "total", total, sizeof(total)),
		json_is_true(jget(result, "truncated")) ? " (more than --limit)" : "");
}

/* ------------------------------------------------------------ stats */

/* "N KEY, N KEY, ..." of an object's numbers, in its order. */
static void put_counts(struct ctl_buf *b, const json_t *o)
{
	const char *key;
	json_t *v;
	bool first = true;

	if (!json_is_object(o) || !json_object_size(o)) {
		ctl_buf_puts(b, "-");
		return;
	}
	json_object_foreach ((json_t *)o, key, v) {
		char num[32];

		if (!json_is_number(v))
			continue;
		ctl_buf_printf(b, "%s%s ", first ? "" : ", ",
			       jnum(o, key, num, sizeof(num)));
		put_clean(b, key);
		first = false;
	}
}

void ctl_cli_print_stats(FILE *out, const json_t *r)
{
	static const char *const head[] = {"QUEUE", "PACKETS", "ACCEPTED", "DROPPED",
					   "OFFLOADED", "REJECTED", "ENOBUFS", "MISSED",
					   "ERRORS"};
	static const char *const keys[] = {"queue", "packets", "accepted", "dropped",
					   "offloaded", "rejected", "enobufs", "missed",
					   "errors"};
	static const bool right[] = {true, true, true, true, true, true, true, true, true};
	struct table t = {.ncols = 9, .head = head, .right = right};
	json_t *pol = jget(r, "policy"), *fl = jget(r, "flows"), *dec = jget(r, "decisions");
	json_t *pk = jget(r, "packets"), *ev = jget(r, "events"), *queues = jget(r, "queues"), *q;
	char a[32], b[32], c[32], d[32];
	struct ctl_buf line = {0};
	size_t i;

	fprintf(out, "policy       generation %s",
		jnum(pol, "generation", a, sizeof(a)));
	if (jstr(pol, "applied_at")) {
		fputs(", applied ", out);
		fput_clean(out, jstr(pol, "applied_at"));
	}
	if (jget(pol, "compile_ms"))
		fprintf(out, ", compiled in %s ms", jnum(pol, "compile_ms", a, sizeof(a)));
	if (json_is_true(jget(pol, "closed")))
		fputs(", CLOSED: denying everything (the state file was unreadable)", out);
	fputc('\n', out);
	fprintf(out, "uptime       %s s\n", jnum(r, "uptime", a, sizeof(a)));
	fprintf(out, "flows        %s active, %s created, %s offloaded, %s reset\n",
		jnum(fl, "active", a, sizeof(a)), jnum(fl, "created", b, sizeof(b)),
		jnum(fl, "offloaded", c, sizeof(c)), jnum(fl, "reset", d, sizeof(d)));
	ctl_buf_puts(&line, "decisions    flows: ");
	put_counts(&line, jget(dec, "flow"));
	ctl_buf_puts(&line, "; transactions: ");
	put_counts(&line, jget(dec, "transaction"));
	ctl_buf_puts(&line, "\n");
	if (line.p)
		fwrite(line.p, 1, line.len, out);
	ctl_buf_free(&line);
	fprintf(out, "packets      %s decoded, %s invalid, %s dropped, %s spoofed\n",
		jnum(pk, "decoded", a, sizeof(a)), jnum(pk, "invalid", b, sizeof(b)),
		jnum(pk, "dropped", c, sizeof(c)), jnum(pk, "spoofed", d, sizeof(d)));
	fprintf(out, "alerts       %s, anomalies %s\n", jnum(r, "alerts", a, sizeof(a)),
		jnum(r, "anomalies", b, sizeof(b)));
	fprintf(out, "events       %s written, %s dropped, %s aggregated, %s subscribers\n",
		jnum(ev, "written", a, sizeof(a)), jnum(ev, "dropped", b, sizeof(b)),
		jnum(ev, "aggregated", c, sizeof(c)), jnum(ev, "subscribers", d, sizeof(d)));
	fputs("queues\n", out);
	if (json_is_array(queues))
		json_array_foreach (queues, i, q) {
			char num[9][32];
			const char *row[9];

			for (size_t k = 0; k < 9; k++)
				row[k] = jnum(q, keys[k], num[k], sizeof(num[k]));
			table_row(&t, row);
		}
	table_print(out, &t);
}

/* ------------------------------------------------------------ events */

void ctl_cli_print_event(FILE *out, const json_t *e)
{
	struct ctl_buf b = {0};
	const char *type = jstr(e, "event_type"), *detail = NULL;
	json_t *verdict = jget(e, "verdict"), *sub = type ? jget(e, type) : NULL;

	put_clean(&b, jstr(e, "timestamp"));
	ctl_buf_puts(&b, " ");
	put_clean(&b, type);
	ctl_buf_puts(&b, " ");
	put_endpoint(&b, e, "src_ip", "src_port");
	ctl_buf_puts(&b, " -> ");
	put_endpoint(&b, e, "dest_ip", "dest_port");
	ctl_buf_puts(&b, " ");
	put_clean(&b, wl_name(e, "src_workload"));
	ctl_buf_puts(&b, " -> ");
	put_clean(&b, wl_name(e, "dest_workload"));
	ctl_buf_puts(&b, " ");
	put_clean(&b, jstr(verdict, "action"));
	ctl_buf_puts(&b, " ");
	put_clean(&b, jstr(verdict, "reason"));
	if (type && !strcmp(type, "http")) {
		if (jstr(sub, "http_method") || jstr(sub, "url")) {
			ctl_buf_puts(&b, " ");
			put_clean(&b, jstr(sub, "http_method"));
			ctl_buf_puts(&b, " ");
			put_clean(&b, jstr(sub, "url"));
		}
	} else if (type && !strcmp(type, "dns")) {
		detail = jstr(sub, "rrname");
	} else if (type && !strcmp(type, "sql")) {
		detail = jstr(sub, "statement");
	} else if (type && !strcmp(type, "alert")) {
		detail = jstr(sub, "signature");
	} else if (type && !strcmp(type, "tls")) {
		detail = jstr(sub, "sni");
	} else if (type && !strcmp(type, "anomaly")) {
		detail = jstr(sub, "event");
	}
	if (detail) {
		ctl_buf_puts(&b, " ");
		put_clean(&b, detail);
	}
	ctl_buf_puts(&b, "\n");
	if (b.p && !b.oom)
		fwrite(b.p, 1, b.len, out);
	ctl_buf_free(&b);
}

/* ------------------------------------------------------------ graph */

/* @s as the inside of a DOT quoted string: quotes and backslashes escaped
 * (so that a name ending in a backslash cannot end the string), control
 * characters as '?'. */
static void put_dot(struct ctl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "?");

	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};

			ctl_buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			ctl_buf_puts(b, "?");
		} else {
			ctl_buf_put(b, p, 1);
		}
	}
}

static const char *node_name(const json_t *edge, const char *key)
{
	json_t *v = jget(edge, key);

	if (json_is_string(v))
		return json_string_value(v);
	return json_is_null(v) ? "world" : "?";
}

void ctl_cli_print_graph(FILE *out, const json_t *result)
{
	static const char *const counts[] = {"allow", "deny", "audit", "learn"};
	json_t *edges = jget(result, "edges"), *e, *nodes = json_object(), *dummy;
	struct ctl_buf b = {0};
	const char *name;
	size_t i;

	ctl_buf_puts(&b, "digraph bulkhead {\n"
			 "\trankdir=LR;\n"
			 "\tnode [shape=box];\n");
	/* Nodes first, each once, in order of appearance (a JSON object keeps
	 * insertion order and makes a set). */
	if (json_is_array(edges) && nodes)
		json_array_foreach (edges, i, e) {
			json_object_set_new(nodes, node_name(e, "src"), json_null());
			json_object_set_new(nodes, node_name(e, "dst"), json_null());
		}
	if (nodes)
		json_object_foreach (nodes, name, dummy) {
			union bh_addr a;
			uint8_t plen;

			ctl_buf_puts(&b, "\t\"");
			put_dot(&b, name);
			/* An address (no workload has it) looks different. */
			ctl_buf_puts(&b, ctl_cidr_parse(name, &a, &plen) == 0 || !strcmp(name, "world")
						 ? "\" [shape=ellipse];\n"
						 : "\";\n");
		}
	if (json_is_array(edges))
		json_array_foreach (edges, i, e) {
			long long n[4], port;
			const char *proto = jstr(e, "proto"), *color;
			bool first = true;

			for (int k = 0; k < 4; k++)
				n[k] = jint0(e, counts[k]);
			color = n[1] > 0 ? "red" : n[2] > 0 ? "orange" : n[3] > 0 ? "blue" : "green";
			ctl_buf_puts(&b, "\t\"");
			put_dot(&b, node_name(e, "src"));
			ctl_buf_puts(&b, "\" -> \"");
			put_dot(&b, node_name(e, "dst"));
			ctl_buf_puts(&b, "\" [label=\"");
			put_dot(&b, proto ? proto : "-");
			if (jint(e, "port", &port) && (!proto || strstr(proto, "ICMP") == NULL))
				ctl_buf_printf(&b, "/%lld", port);
			for (int k = 0; k < 4; k++) {
				if (!n[k])
					continue;
				ctl_buf_printf(&b, "%s%lld %s", first ? "\\n" : ", ", n[k], counts[k]);
				first = false;
			}
			ctl_buf_printf(&b, "\", color=%s, fontcolor=%s];\n", color, color);
		}
	ctl_buf_puts(&b, "}\n");
	if (b.p && !b.oom)
		fwrite(b.p, 1, b.len, out);
	else
		fputs("bulkhead: out of memory\n", stderr);
	ctl_buf_free(&b);
	json_decref(nodes);
}
