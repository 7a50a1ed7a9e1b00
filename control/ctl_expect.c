/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_expect.c - rule tests: a file of expectations (format and examples in
 * tests/data/policy/README.md, "Expectations format") checked against the
 * decisions of a replay.
 *
 * Lines are immutable once loaded, so workers match events against them
 * without a lock; only the per-line results sit under the mutex. A result is
 * bounded: two counts and the KEEP failing events that come first in replay
 * order (ev->order), rendered to text. Which events those are does not depend
 * on the order they arrived in, so the report is the same for every worker
 * count and every interleaving.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bulkhead/bh_policy.h"
#include "ctl_eve.h"
#include "ctl_expect.h"
#include "ctl_json.h"

#define KEEP 5                   /* failing events shown per line */
#define GOT "  + got:      "
#define IND "              "     /* as wide as GOT */

enum end_kind { END_ANY, END_NAME, END_ADDR };

struct end {
	enum end_kind kind;
	char *name;                  /* END_NAME */
	union bh_addr addr;          /* END_ADDR, IPv4 mapped */
};

struct kept {
	uint64_t order[2];
	char *text;                  /* NULL: rendering ran out of memory */
};

struct result {
	uint64_t seen;               /* decisions this line decided */
	uint64_t failed;             /* ... that were not as expected */
	struct kept kept[KEEP];      /* the first failures in replay order */
	unsigned nkept;
};

struct line {
	size_t no;
	bool is_default;
	enum bh_event_type type;
	struct end src, dst;
	int32_t port;                /* -1: any */
	int proto;                   /* -1: any; IPPROTO_ICMP also means ICMPv6 */
	char *glob[2];
	unsigned nglob;
	int fnm_flags;
	enum bh_action action;
	char *reason;                /* NULL: any */
	bool has_sid;                /* reason "signature:SID" */
	uint32_t sid;
	char *head, *want;           /* the line as written, for the report */
	struct result res;
};

struct ctl_expect {
	char *name;
	struct line *lines;          /* file order; the default line among them */
	size_t nlines, cap;
	struct line *dflt;           /* NULL: no default */
	pthread_mutex_t mu;          /* guards every line's res, decisions, lost */
	uint64_t decisions;          /* compared with a line or the default */
	uint64_t lost;               /* not checked: out of memory */
};

static const struct kind {
	const char *name;
	enum bh_event_type type;
	unsigned nglob;
	int fnm_flags;
	bool quoted;                 /* the glob must be one quoted word */
	const char *what;            /* the globs, for messages */
} kinds[] = {
	{"flow", BH_EV_FLOW, 0, 0, false, "nothing"},
	{"http", BH_EV_HTTP, 2, 0, false, "METHOD and TARGET globs"},
	{"dns", BH_EV_DNS, 1, FNM_CASEFOLD, false, "one NAME glob"},
	{"sql", BH_EV_SQL, 1, FNM_CASEFOLD, true, "one double-quoted statement glob"},
	{"tls", BH_EV_TLS, 1, 0, false, "one SNI glob"},
};

/* ---- reading ---------------------------------------------------------- */

struct tok {
	char *v;                     /* unescaped, NUL-terminated */
	const char *raw;             /* as written, quotes included */
	size_t rawlen;
	size_t col;                  /* 1-based */
	bool quoted;
};

struct toks {
	struct tok *t;
	size_t n, cap;
};

struct pctx {
	const char *name;
	ctl_policy_error_fn err;
	void *err_ctx;
	size_t line;                 /* 1-based */
	size_t end_col;              /* just past the line's last token */
	unsigned nerr;
	bool oom;
	struct ctl_expect *x;
	size_t dflt;                 /* index in x->lines; SIZE_MAX: none */
};

__attribute__((format(printf, 3, 4)))
static void perr(struct pctx *p, size_t col, const char *fmt, ...)
{
	char *msg = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f;

	p->nerr++;
	if (!p->err)
		return;
	f = open_memstream(&msg, &len);
	if (!f) {
		p->oom = true;
		return;
	}
	fprintf(f, "%s:%zu:%zu: ", p->name, p->line, col);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) == 0)
		p->err(p->err_ctx, msg);
	else
		p->oom = true;
	free(msg);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool ends_word(char c)
{
	return is_blank(c) || c == '#';
}

static void toks_free(struct toks *tk)
{
	for (size_t i = 0; i < tk->n; i++)
		free(tk->t[i].v);
	free(tk->t);
}

/* Takes @v (freed on failure). */
static int tok_add(struct toks *tk, char *v, const char *raw, size_t rawlen, size_t col,
		   bool quoted)
{
	if (!v)
		return -ENOMEM;
	if (tk->n == tk->cap) {
		size_t nc = tk->cap ? tk->cap * 2 : 8;
		struct tok *t = reallocarray(tk->t, nc, sizeof(*t));

		if (!t) {
			free(v);
			return -ENOMEM;
		}
		tk->t = t;
		tk->cap = nc;
	}
	tk->t[tk->n++] = (struct tok){v, raw, rawlen, col, quoted};
	return 0;
}

static int word(struct pctx *p, const char *s, size_t n, size_t *pos, struct toks *tk)
{
	size_t i = *pos, j = i;

	for (; j < n && !ends_word(s[j]); j++) {
		if (s[j] == '"') {
			perr(p, j + 1, "quote inside a word; quote the whole word");
			return -EINVAL;
		}
	}
	*pos = j;
	return tok_add(tk, strndup(s + i, j - i), s + i, j - i, i + 1, false);
}

/* "...": \" and \\ are escapes, any other backslash is kept (for globs). */
static int quoted(struct pctx *p, const char *s, size_t n, size_t *pos, struct toks *tk)
{
	struct ctl_buf v = {0};
	size_t i = *pos, j = i + 1;

	ctl_buf_put(&v, "", 0); /* an empty word is "", not NULL */
	for (; j < n && s[j] != '"'; j++) {
		if (s[j] == '\\' && j + 1 < n && (s[j + 1] == '"' || s[j + 1] == '\\'))
			j++;
		ctl_buf_put(&v, s + j, 1);
	}
	if (j == n) {
		ctl_buf_free(&v);
		perr(p, i + 1, "unterminated quote");
		return -EINVAL;
	}
	j++;
	if (j < n && !ends_word(s[j])) {
		ctl_buf_free(&v);
		perr(p, j + 1, "expected a blank after the closing quote");
		return -EINVAL;
	}
	if (v.oom) {
		ctl_buf_free(&v);
		return -ENOMEM;
	}
	*pos = j;
	return tok_add(tk, v.p, s + i, j - i, i + 1, true);
}

static int tokenize(struct pctx *p, const char *s, size_t n, struct toks *tk)
{
	size_t i = 0;
	int r;

	for (;;) {
		while (i < n && is_blank(s[i]))
			i++;
		if (i == n || s[i] == '#')
			return 0;
		r = s[i] == '"' ? quoted(p, s, n, &i, tk) : word(p, s, n, &i, tk);
		if (r < 0)
			return r;
	}
}

/* Text files only: this also keeps NUL out of globs (see subject_copy()). */
static int check_chars(struct pctx *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			perr(p, i + 1, "control character 0x%02x", c);
			return -EINVAL;
		}
	}
	return 0;
}

/* Token @i, or NULL after "missing @what" at the end of the line. */
static const struct tok *need(struct pctx *p, const struct toks *tk, size_t i, const char *what)
{
	if (i < tk->n)
		return &tk->t[i];
	perr(p, p->end_col, "missing %s", what);
	return NULL;
}

/* Column of byte @off of @t's value: exact for plain words; a quoted word
 * has escapes, so its own column is the best place to point. */
static size_t sub_col(const struct tok *t, size_t off)
{
	return t->quoted ? t->col : t->col + off;
}

/* Digits only, at most @max. */
static bool parse_uint(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*ret = (uint32_t)v;
	return true;
}

static bool is_name(const char *s)
{
	return *s && s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789._-")] == '\0';
}

static bool looks_like_addr(const char *s)
{
	return *s && (strchr(s, ':') || s[strspn(s, "0123456789.")] == '\0');
}

static int parse_addr(struct pctx *p, const char *s, size_t col, bool need6, union bh_addr *a)
{
	struct in_addr v4;

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a->b) == 1)
			return 0;
	} else if (!need6 && inet_pton(AF_INET, s, &v4) == 1) {
		memset(a, 0, sizeof(*a));
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &v4, 4);
		return 0;
	}
	perr(p, col, "bad address `%s`", s);
	return -EINVAL;
}

static int parse_host(struct pctx *p, const char *s, size_t col, struct end *e)
{
	if (strcmp(s, "*") == 0) {
		e->kind = END_ANY;
		return 0;
	}
	if (looks_like_addr(s)) {
		e->kind = END_ADDR;
		return parse_addr(p, s, col, false, &e->addr);
	}
	if (strstr(s, "->")) {
		perr(p, col, "blanks needed around `->`");
		return -EINVAL;
	}
	if (!is_name(s)) {
		perr(p, col, "bad workload name `%s`", s);
		return -EINVAL;
	}
	e->kind = END_NAME;
	e->name = strdup(s);
	return e->name ? 0 : -ENOMEM;
}

static int parse_proto(struct pctx *p, const char *s, size_t col, int *ret)
{
	if (strcmp(s, "tcp") == 0)
		*ret = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		*ret = IPPROTO_UDP;
	else if (strcmp(s, "icmp") == 0)
		*ret = IPPROTO_ICMP;
	else {
		perr(p, col, "unknown protocol `%s`; expected tcp, udp or icmp", s);
		return -EINVAL;
	}
	return 0;
}

/* PORT[/PROTO] at byte @off of @t; @ps is writable. */
static int parse_portspec(struct pctx *p, const struct tok *t, char *ps, size_t off,
			  struct line *l)
{
	char *slash = strchr(ps, '/');
	uint32_t port;

	if (slash)
		*slash = '\0';
	if (strcmp(ps, "*") == 0) {
		l->port = -1;
	} else if (parse_uint(ps, 65535, &port)) {
		l->port = (int32_t)port;
	} else {
		perr(p, sub_col(t, off), "bad port `%s`; expected 0..65535 or *", ps);
		return -EINVAL;
	}
	if (!slash)
		return 0;
	return parse_proto(p, slash + 1, sub_col(t, off + (size_t)(slash + 1 - ps)), &l->proto);
}

/* "[v6]", "[v6]:PORT...": @h is the copy of the word; *@ret_ps is set to
 * the port spec when there is one. */
static int parse_bracket(struct pctx *p, const struct tok *t, char *h, struct end *e,
			 char **ret_ps)
{
	char *close = strchr(h, ']');

	if (!close || close == h + 1) {
		perr(p, t->col, "bad address `%s`", h);
		return -EINVAL;
	}
	if (close[1] == ':') {
		*ret_ps = close + 2;
	} else if (close[1]) {
		perr(p, sub_col(t, (size_t)(close + 1 - h)), "expected `:PORT` after `]`");
		return -EINVAL;
	}
	*close = '\0';
	e->kind = END_ADDR;
	return parse_addr(p, h + 1, sub_col(t, 1), true, &e->addr);
}

/* SRC (@l NULL: no port) or DST[:PORT[/PROTO]]. */
static int parse_end(struct pctx *p, const struct tok *t, struct end *e, struct line *l)
{
	char *h = strdup(t->v), *ps = NULL, *colon;
	int r;

	if (!h)
		return -ENOMEM;
	if (h[0] == '[') {
		r = parse_bracket(p, t, h, e, &ps);
	} else {
		colon = strchr(h, ':');
		if (colon && !strchr(colon + 1, ':')) { /* two or more: IPv6 */
			*colon = '\0';
			ps = colon + 1;
		}
		r = parse_host(p, h, t->col, e);
	}
	if (r == 0 && ps && !l) {
		perr(p, sub_col(t, (size_t)(ps - 1 - h)), "the source takes no port");
		r = -EINVAL;
	} else if (r == 0 && ps) {
		r = parse_portspec(p, t, ps, (size_t)(ps - h), l);
	}
	free(h);
	return r;
}

static const char *glob_class_end(const char *g)
{
	static const char *const classes[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
					      "lower", "print", "punct", "space", "upper", "xdigit"};
	const char *end = strstr(g, ":]");

	if (!end)
		return NULL;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if ((size_t)(end - g) == strlen(classes[i]) && !memcmp(g, classes[i], strlen(classes[i])))
			return end + 2;
	return NULL;
}

/* A bracket expression starting at @g (after '['); returns what follows
 * its ']' or NULL. */
static const char *glob_bracket(const char *g)
{
	if (*g == '!' || *g == '^')
		g++;
	if (*g == ']')
		g++;
	while (*g && *g != ']') {
		if (g[0] == '[' && g[1] == ':') {
			g = glob_class_end(g + 2);
			if (!g)
				return NULL;
		} else if (*g == '\\') {
			if (!g[1])
				return NULL;
			g += 2;
		} else {
			g++;
		}
	}
	return *g ? g + 1 : NULL;
}

/* fnmatch(3) would take an unclosed '[' literally and never match a
 * trailing backslash or an unknown class: report those instead. */
static const char *glob_error(const char *g)
{
	while (*g) {
		if (*g == '\\') {
			if (!g[1])
				return "ends in a backslash";
			g += 2;
		} else if (*g == '[') {
			g = glob_bracket(g + 1);
			if (!g)
				return "has an unclosed `[` or an unknown [:class:]";
		} else {
			g++;
		}
	}
	return NULL;
}

static int parse_globs(struct pctx *p, const struct toks *tk, size_t first, const struct kind *k,
		       struct line *l)
{
	for (unsigned i = 0; i < k->nglob; i++) {
		const struct tok *t = &tk->t[first + i];
		const char *why;

		if (k->quoted && !t->quoted) {
			perr(p, t->col, "%s takes the statement as one double-quoted glob", k->name);
			return -EINVAL;
		}
		why = glob_error(t->v);
		if (why) {
			perr(p, t->col, "glob `%s` %s", t->v, why);
			return -EINVAL;
		}
		l->glob[i] = strdup(t->v);
		if (!l->glob[i])
			return -ENOMEM;
		l->nglob = i + 1;
	}
	return 0;
}

static bool is_verdict(const char *s)
{
	for (unsigned a = 0; a < BH_ACT__MAX; a++)
		if (strcmp(s, bh_action_name(a)) == 0)
			return true;
	return false;
}

static int parse_verdict(struct pctx *p, const struct tok *t, enum bh_action *ret)
{
	for (unsigned a = 0; a < BH_ACT__MAX; a++) {
		if (strcmp(t->v, bh_action_name(a)) == 0) {
			*ret = (enum bh_action)a;
			return 0;
		}
	}
	perr(p, t->col, "unknown verdict `%s`; expected allow, deny, audit or learn", t->v);
	return -EINVAL;
}

static int parse_reason(struct pctx *p, const struct tok *t, struct line *l)
{
	static const char sig[] = "signature:";

	if (!*t->v) {
		perr(p, t->col, "empty reason");
		return -EINVAL;
	}
	if (strncmp(t->v, sig, sizeof(sig) - 1) == 0) {
		if (!parse_uint(t->v + sizeof(sig) - 1, UINT32_MAX, &l->sid) || l->sid == 0) {
			perr(p, sub_col(t, sizeof(sig) - 1), "bad signature id `%s`; expected 1..%" PRIu32,
			     t->v + sizeof(sig) - 1, UINT32_MAX);
			return -EINVAL;
		}
		l->has_sid = true;
		l->reason = strdup("signature");
	} else {
		l->reason = strdup(t->v);
	}
	return l->reason ? 0 : -ENOMEM;
}

/* The verdict is not where it should be (index @v): say why. */
static void bad_verdict(struct pctx *p, const struct toks *tk, size_t first, size_t v,
			const struct kind *k)
{
	size_t w = first;

	while (w < tk->n && (w == v || !is_verdict(tk->t[w].v)))
		w++;
	if (w < tk->n && w < v)
		perr(p, tk->t[w].col, "%s needs %s before the verdict", k->name, k->what);
	else if (w < tk->n)
		perr(p, tk->t[v].col, "unexpected `%s`: %s takes %s before the verdict", tk->t[v].v,
		     k->name, k->what);
	else if (v < tk->n)
		perr(p, tk->t[v].col, "unknown verdict `%s`; expected allow, deny, audit or learn",
		     tk->t[v].v);
	else
		perr(p, p->end_col, "missing verdict");
}

/* Raw tokens [@from, @to) joined by one blank. */
static char *join_raw(const struct toks *tk, size_t from, size_t to)
{
	struct ctl_buf b = {0};

	ctl_buf_put(&b, "", 0);
	for (size_t i = from; i < to; i++) {
		if (i > from)
			ctl_buf_put(&b, " ", 1);
		ctl_buf_put(&b, tk->t[i].raw, tk->t[i].rawlen);
	}
	if (b.oom) {
		ctl_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* VERDICT [REASON] at @v, nothing after; and the report's texts. */
static int parse_want(struct pctx *p, const struct toks *tk, size_t v, struct line *l)
{
	size_t extra = l->is_default ? v + 1 : v + 2; /* the default has no reason */
	int r = parse_verdict(p, &tk->t[v], &l->action);

	if (r == 0 && v + 1 < tk->n && !l->is_default)
		r = parse_reason(p, &tk->t[v + 1], l);
	if (r == 0 && extra < tk->n) {
		const struct tok *t = &tk->t[extra];

		perr(p, t->col, "unexpected `%s` after the %s", t->v,
		     l->is_default ? "default verdict" : "reason");
		r = -EINVAL;
	}
	if (r)
		return r;
	l->head = join_raw(tk, 0, v);
	l->want = join_raw(tk, v, tk->n);
	return l->head && l->want ? 0 : -ENOMEM;
}

static void line_free(struct line *l)
{
	free(l->src.name);
	free(l->dst.name);
	for (unsigned i = 0; i < l->nglob; i++)
		free(l->glob[i]);
	free(l->reason);
	free(l->head);
	free(l->want);
	for (unsigned i = 0; i < l->res.nkept; i++)
		free(l->res.kept[i].text);
}

/* Takes @l. */
static int add_line(struct ctl_expect *x, struct line *l)
{
	if (x->nlines == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 16;
		struct line *n = reallocarray(x->lines, nc, sizeof(*n));

		if (!n) {
			line_free(l);
			return -ENOMEM;
		}
		x->lines = n;
		x->cap = nc;
	}
	x->lines[x->nlines++] = *l;
	return 0;
}

static int parse_default(struct pctx *p, const struct toks *tk)
{
	struct line l = {.no = p->line, .is_default = true};
	int r;

	if (p->dflt != SIZE_MAX) {
		perr(p, tk->t[0].col, "`default` given twice (first on line %zu)",
		     p->x->lines[p->dflt].no);
		return -EINVAL;
	}
	if (!need(p, tk, 1, "verdict"))
		return -EINVAL;
	r = parse_want(p, tk, 1, &l);
	if (r == 0) {
		p->dflt = p->x->nlines;
		return add_line(p->x, &l);
	}
	line_free(&l);
	return r;
}

static const struct kind *find_kind(const char *s)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, kinds[i].name) == 0)
			return &kinds[i];
	return NULL;
}

/* KIND SRC -> DST[:PORT[/PROTO]] */
static int parse_ends(struct pctx *p, const struct toks *tk, struct line *l)
{
	const struct tok *t;
	int r;

	if (!(t = need(p, tk, 1, "source")))
		return -EINVAL;
	r = parse_end(p, t, &l->src, NULL);
	if (r)
		return r;
	if (!(t = need(p, tk, 2, "`->` after the source")))
		return -EINVAL;
	if (strcmp(t->v, "->") != 0) {
		perr(p, t->col, "expected `->` after the source, got `%s`", t->v);
		return -EINVAL;
	}
	if (!(t = need(p, tk, 3, "destination")))
		return -EINVAL;
	return parse_end(p, t, &l->dst, l);
}

static int parse_rule(struct pctx *p, const struct toks *tk)
{
	const struct kind *k = find_kind(tk->t[0].v);
	struct line l = {.no = p->line, .port = -1, .proto = -1};
	size_t v;
	int r;

	if (!k) {
		perr(p, tk->t[0].col, "unknown kind `%s`; expected flow, http, dns, sql, tls or default",
		     tk->t[0].v);
		return -EINVAL;
	}
	l.type = k->type;
	l.fnm_flags = k->fnm_flags;
	v = 4 + k->nglob;
	r = parse_ends(p, tk, &l);
	if (r == 0 && (v >= tk->n || !is_verdict(tk->t[v].v))) {
		bad_verdict(p, tk, 4, v, k);
		r = -EINVAL;
	}
	if (r == 0)
		r = parse_globs(p, tk, 4, k, &l);
	if (r == 0)
		r = parse_want(p, tk, v, &l);
	if (r == 0)
		return add_line(p->x, &l);
	line_free(&l);
	return r;
}

/* One line without its newline; a syntax error is reported and the next
 * line read all the same, so a file's every error shows at once. */
static int parse_line(struct pctx *p, const char *s, size_t n)
{
	struct toks tk = {0};
	int r;

	r = check_chars(p, s, n);
	if (r == 0)
		r = tokenize(p, s, n, &tk);
	if (r == 0 && tk.n) {
		p->end_col = tk.t[tk.n - 1].col + tk.t[tk.n - 1].rawlen;
		r = strcmp(tk.t[0].v, "default") == 0 ? parse_default(p, &tk)
						       : parse_rule(p, &tk);
	}
	toks_free(&tk);
	return r == -ENOMEM ? r : 0;
}

int ctl_expect_load_mem(const char *name, const char *buf, size_t len, ctl_policy_error_fn err,
			void *err_ctx, struct ctl_expect **ret)
{
	struct pctx p = {.name = name, .err = err, .err_ctx = err_ctx, .dflt = SIZE_MAX};
	const char *s = buf, *end = len ? buf + len : buf; /* buf may be NULL */
	struct ctl_expect *x;
	int r = 0;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	r = -pthread_mutex_init(&x->mu, NULL);
	if (r) {
		free(x);
		return r;
	}
	p.x = x;
	x->name = strdup(name);
	if (!x->name)
		r = -ENOMEM;
	while (r == 0 && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		if (n && s[n - 1] == '\r') /* CRLF files */
			n--;
		p.line++;
		r = parse_line(&p, s, n);
		s = nl ? nl + 1 : end;
	}
	if (r == 0 && p.oom)
		r = -ENOMEM;
	else if (r == 0 && p.nerr)
		r = -EINVAL;
	if (r) {
		ctl_expect_free(x);
		return r;
	}
	x->dflt = p.dflt == SIZE_MAX ? NULL : &x->lines[p.dflt];
	*ret = x;
	return 0;
}

/* "FILE: reason" for a file that can't be read; returns @r. */
static int io_error(const char *file, int r, ctl_policy_error_fn err, void *err_ctx)
{
	char *msg = NULL;

	if (err && asprintf(&msg, "%s: %s", file, strerror(-r)) >= 0) {
		err(err_ctx, msg);
		free(msg);
	}
	return r;
}

int ctl_expect_load(const char *file, ctl_policy_error_fn err, void *err_ctx,
		    struct ctl_expect **ret)
{
	struct ctl_buf b = {0};
	char chunk[65536];
	size_t n;
	FILE *f;
	int r;

	f = fopen(file, "re");
	if (!f)
		return io_error(file, -errno, err, err_ctx);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ctl_buf_put(&b, chunk, n);
	r = ferror(f) ? io_error(file, -EIO, err, err_ctx) : b.oom ? -ENOMEM : 0;
	fclose(f);
	if (r == 0)
		r = ctl_expect_load_mem(file, b.p, b.len, err, err_ctx, ret);
	ctl_buf_free(&b);
	return r;
}

void ctl_expect_free(struct ctl_expect *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nlines; i++)
		line_free(&x->lines[i]);
	free(x->lines);
	free(x->name);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

/* ---- checking --------------------------------------------------------- */

/* NUL-terminated copies of the fields the event's kind matches globs on. */
struct subject {
	char *s[2];
};

/* fnmatch() needs a C string. A NUL byte in the field (a decoded %00)
 * becomes 0x01: the file can't hold that byte (check_chars()), so only a
 * wildcard matches it, as only a wildcard could match the NUL. */
static char *subject_copy(struct bh_str v)
{
	char *s = malloc((size_t)v.len + 1);

	if (!s)
		return NULL;
	for (uint32_t i = 0; i < v.len; i++)
		s[i] = v.p[i] ? v.p[i] : '\x01';
	s[v.len] = '\0';
	return s;
}

static unsigned subject_fields(const struct bh_event *ev, struct bh_str f[2])
{
	switch (ev->type) {
	case BH_EV_HTTP:
		f[0] = ev->http.method;
		f[1] = ev->http.url_normalized;
		return 2;
	case BH_EV_DNS:
		f[0] = ev->dns.rrname;
		return 1;
	case BH_EV_SQL:
		f[0] = ev->sql.statement;
		return 1;
	case BH_EV_TLS:
		f[0] = ev->tls.sni;
		return 1;
	default:
		return 0;
	}
}

static void subject_free(struct subject *sub)
{
	free(sub->s[0]);
	free(sub->s[1]);
}

static int subject_get(const struct bh_event *ev, struct subject *sub)
{
	struct bh_str f[2];
	unsigned n = subject_fields(ev, f);

	for (unsigned i = 0; i < n; i++) {
		sub->s[i] = subject_copy(f[i]);
		if (!sub->s[i])
			return -ENOMEM;
	}
	return 0;
}

/* Only decisions count, and of DNS only the queries. Other event types
 * (alerts, anomalies) have no KIND: an alert's transaction is checked on
 * its own http/dns/sql/tls event. */
static bool counts(const struct bh_event *ev)
{
	if (!ev->verdict)
		return false;
	switch (ev->type) {
	case BH_EV_FLOW:
	case BH_EV_HTTP:
	case BH_EV_SQL:
	case BH_EV_TLS:
		return true;
	case BH_EV_DNS:
		return !ev->dns.response;
	default:
		return false;
	}
}

static bool end_matches(const struct end *e, const struct bh_workload_ref *w, bool has_tuple,
			const union bh_addr *a)
{
	switch (e->kind) {
	case END_ANY:
		return true;
	case END_NAME:
		return w && w->name && strcmp(w->name, e->name) == 0;
	case END_ADDR:
		return has_tuple && memcmp(a->b, e->addr.b, sizeof(a->b)) == 0;
	}
	return false;
}

static bool proto_matches(int want, const struct bh_tuple *t)
{
	if (want < 0)
		return true;
	if (!t->has_proto)
		return false;
	if (want == IPPROTO_ICMP) /* one word for both: ping and ping -6 */
		return t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;
	return t->proto == want;
}

static bool line_matches(const struct line *l, const struct bh_event *ev,
			 const struct subject *sub)
{
	const struct bh_tuple *t = &ev->tuple;

	if (l->is_default || l->type != ev->type)
		return false;
	if (!end_matches(&l->src, ev->src_workload, ev->has_tuple, &t->src) ||
	    !end_matches(&l->dst, ev->dest_workload, ev->has_tuple, &t->dst))
		return false;
	if (l->port >= 0 && !(ev->has_tuple && t->has_ports && t->dport == l->port))
		return false;
	if (l->proto >= 0 && !(ev->has_tuple && proto_matches(l->proto, t)))
		return false;
	for (unsigned i = 0; i < l->nglob; i++)
		if (fnmatch(l->glob[i], sub->s[i], l->fnm_flags) != 0)
			return false;
	return true;
}

static struct line *decider(struct ctl_expect *x, const struct bh_event *ev,
			    const struct subject *sub)
{
	for (size_t i = 0; i < x->nlines; i++)
		if (line_matches(&x->lines[i], ev, sub))
			return &x->lines[i];
	return x->dflt;
}

static bool verdict_ok(const struct line *l, const struct bh_verdict *v)
{
	if (v->action != l->action)
		return false;
	if (!l->reason)
		return true;
	if (!v->reason || strcmp(v->reason, l->reason) != 0)
		return false;
	return !l->has_sid || v->sid == l->sid;
}

/* ---- rendering a failing event ---------------------------------------- */

static void put_addr(struct ctl_buf *b, const struct bh_tuple *t, const union bh_addr *a,
		     bool bracket)
{
	char s[INET6_ADDRSTRLEN]; /* the longest inet_ntop() result: no truncation */
	bool v4 = t->family ? t->family == AF_INET : ctl_addr_mapped(a);

	ctl_addr_text(a, v4 ? AF_INET : AF_INET6, s);
	ctl_buf_printf(b, bracket && !v4 ? "[%s]" : "%s", s);
}

static void put_verdict(struct ctl_buf *b, const struct bh_verdict *v)
{
	const char *a = bh_action_name(v->action), *m = bh_mode_name(v->mode);

	if (a)
		ctl_buf_puts(b, a);
	else
		ctl_buf_printf(b, "action %u", (unsigned)v->action);
	if (v->reason && strcmp(v->reason, "signature") == 0 && v->sid)
		ctl_buf_printf(b, " signature:%" PRIu32, v->sid);
	else if (v->reason)
		ctl_buf_printf(b, " %s", v->reason);
	ctl_buf_puts(b, " (");
	if (v->policy)
		ctl_buf_printf(b, "policy %s, ", v->policy);
	if (v->rule)
		ctl_buf_printf(b, "rule %s, ", v->rule);
	if (m)
		ctl_buf_puts(b, m);
	else
		ctl_buf_printf(b, "mode %u", (unsigned)v->mode);
	if (v->direction)
		ctl_buf_printf(b, ", %s", v->direction);
	ctl_buf_puts(b, ")\n");
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static void put_proto(struct ctl_buf *b, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: ctl_buf_puts(b, "TCP"); break;
	case IPPROTO_UDP: ctl_buf_puts(b, "UDP"); break;
	case IPPROTO_ICMP: ctl_buf_puts(b, "ICMP"); break;
	case IPPROTO_ICMPV6: ctl_buf_puts(b, "IPv6-ICMP"); break;
	case IPPROTO_SCTP: ctl_buf_puts(b, "SCTP"); break;
	default: ctl_buf_printf(b, "%u", proto); break;
	}
}

static void put_tuple(struct ctl_buf *b, const struct bh_tuple *t)
{
	bool ports = t->has_proto && t->has_ports && proto_has_ports(t->proto);

	put_addr(b, t, &t->src, ports);
	if (ports)
		ctl_buf_printf(b, ":%u", t->sport);
	ctl_buf_puts(b, " -> ");
	put_addr(b, t, &t->dst, ports);
	if (ports)
		ctl_buf_printf(b, ":%u", t->dport);
	if (t->has_proto) {
		ctl_buf_puts(b, " ");
		put_proto(b, t->proto);
	}
}

/* "flow 1234567 10.99.7.10:41234 -> 10.99.7.20:8080 TCP, pcap packet 88":
 * where to find the event. */
static void put_where(struct ctl_buf *b, const struct bh_event *ev)
{
	const char *sep = "", *base;

	if (!ev->has_flow && !ev->has_tuple && !ev->pkt_no)
		return;
	ctl_buf_puts(b, IND);
	if (ev->has_flow) {
		ctl_buf_printf(b, "flow %" PRIu64, ev->flow_id);
		sep = " ";
	}
	if (ev->has_tuple) {
		ctl_buf_puts(b, sep);
		put_tuple(b, &ev->tuple);
	}
	if (ev->pkt_no) {
		base = ev->source ? strrchr(ev->source, '/') : NULL;
		base = base ? base + 1 : ev->source ? ev->source : "pcap";
		ctl_buf_printf(b, "%s%s packet %" PRIu64, ev->has_flow || ev->has_tuple ? ", " : "",
			       base, ev->pkt_no);
	}
	ctl_buf_puts(b, "\n");
}

static void put_qchar(struct ctl_buf *b, char c, bool quote)
{
	if (quote && (c == '\\' || c == '"'))
		ctl_buf_put(b, "\\", 1);
	ctl_buf_put(b, &c, 1);
}

/* @v as a glob that matches exactly it (bytes outside printable ASCII
 * become `?`: the text goes to a terminal), quoted where it must be. */
static void put_literal(struct ctl_buf *b, struct bh_str v, bool quote)
{
	for (uint32_t i = 0; i < v.len && !quote; i++)
		quote = is_blank(v.p[i]) || v.p[i] == '"' || v.p[i] == '#';
	quote |= v.len == 0;
	if (quote)
		ctl_buf_put(b, "\"", 1);
	for (uint32_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c < 0x20 || c >= 0x7f) {
			put_qchar(b, '?', quote);
			continue;
		}
		if (strchr("*?[\\", c))
			put_qchar(b, '\\', quote);
		put_qchar(b, (char)c, quote);
	}
	if (quote)
		ctl_buf_put(b, "\"", 1);
}

static void put_end(struct ctl_buf *b, const struct bh_workload_ref *w, const struct bh_event *ev,
		    const union bh_addr *a, bool bracket)
{
	if (w && w->name)
		ctl_buf_puts(b, w->name);
	else if (ev->has_tuple)
		put_addr(b, &ev->tuple, a, bracket);
	else
		ctl_buf_puts(b, "*");
}

static bool has_portspec(const struct bh_event *ev)
{
	const struct bh_tuple *t = &ev->tuple;

	return ev->has_tuple && (t->has_ports || (t->has_proto && proto_matches(IPPROTO_ICMP, t)) ||
				 (t->has_proto && proto_has_ports(t->proto)));
}

static void put_portspec(struct ctl_buf *b, const struct bh_tuple *t)
{
	if (t->has_proto && proto_matches(IPPROTO_ICMP, t)) {
		ctl_buf_puts(b, ":*/icmp");
		return;
	}
	if (t->has_ports)
		ctl_buf_printf(b, ":%u", t->dport);
	else
		ctl_buf_puts(b, ":*");
	if (t->has_proto && (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP))
		ctl_buf_puts(b, t->proto == IPPROTO_TCP ? "/tcp" : "/udp");
}

/* The event as an expectation line would name it ("http frontend ->
 * api:8080/tcp GET /admin"): what to write to expect it, and for the
 * default line the only way to tell what the event was. */
static void put_as_line(struct ctl_buf *b, const struct bh_event *ev)
{
	static const char *const names[] = {[BH_EV_FLOW] = "flow", [BH_EV_HTTP] = "http",
					    [BH_EV_DNS] = "dns", [BH_EV_SQL] = "sql",
					    [BH_EV_TLS] = "tls"};
	bool ps = has_portspec(ev);
	struct bh_str f[2];
	unsigned n = subject_fields(ev, f);

	ctl_buf_printf(b, IND "%s ", names[ev->type]);
	put_end(b, ev->src_workload, ev, &ev->tuple.src, false);
	ctl_buf_puts(b, " -> ");
	put_end(b, ev->dest_workload, ev, &ev->tuple.dst, ps);
	if (ps)
		put_portspec(b, &ev->tuple);
	for (unsigned i = 0; i < n; i++) {
		ctl_buf_puts(b, " ");
		put_literal(b, f[i], ev->type == BH_EV_SQL);
	}
	ctl_buf_puts(b, "\n");
}

/* The text after GOT; NULL when out of memory. */
static char *render(const struct bh_event *ev)
{
	struct ctl_buf b = {0};

	put_verdict(&b, ev->verdict);
	put_where(&b, ev);
	put_as_line(&b, ev);
	if (b.oom) {
		ctl_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* ---- results and the report ------------------------------------------- */

static int kept_cmp(const void *pa, const void *pb)
{
	const struct kept *a = pa, *b = pb;

	for (unsigned i = 0; i < 2; i++)
		if (a->order[i] != b->order[i])
			return a->order[i] < b->order[i] ? -1 : 1;
	/* Same place in the replay (not expected): the text decides. */
	return strcmp(a->text ? a->text : "", b->text ? b->text : "");
}

/* Keep the KEEP first failures in replay order; takes @k.text. */
static void keep(struct result *r, struct kept k)
{
	unsigned worst = 0;

	if (r->nkept < KEEP) {
		r->kept[r->nkept++] = k;
		return;
	}
	for (unsigned i = 1; i < KEEP; i++)
		if (kept_cmp(&r->kept[i], &r->kept[worst]) > 0)
			worst = i;
	if (kept_cmp(&k, &r->kept[worst]) < 0) {
		free(r->kept[worst].text);
		r->kept[worst] = k;
	} else {
		free(k.text);
	}
}

void ctl_expect_event(struct ctl_expect *x, const struct bh_event *ev)
{
	struct subject sub = {0};
	struct line *l = NULL;
	char *text = NULL;
	bool lost, ok = true;

	if (!counts(ev))
		return;
	lost = subject_get(ev, &sub) < 0;
	if (!lost)
		l = decider(x, ev, &sub);
	if (l)
		ok = verdict_ok(l, ev->verdict);
	if (!ok)
		text = render(ev); /* outside the lock */
	pthread_mutex_lock(&x->mu);
	if (lost)
		x->lost++;
	if (l) {
		x->decisions++;
		l->res.seen++;
	}
	if (!ok) {
		l->res.failed++;
		keep(&l->res, (struct kept){{ev->order[0], ev->order[1]}, text});
	}
	pthread_mutex_unlock(&x->mu);
	subject_free(&sub);
}

static const char *plural(uint64_t n, const char *many)
{
	return n == 1 ? "" : many;
}

/* Returns the line's mismatches. */
static uint64_t report_line(const struct ctl_expect *x, struct line *l, FILE *out)
{
	struct result *r = &l->res;
	bool never = !l->is_default && r->seen == 0;

	if (!never && !r->failed)
		return 0;
	fprintf(out, "%s:%zu: %s\n  - expected: %s\n", x->name, l->no, l->head, l->want);
	if (never) {
		fputs(GOT "never seen\n", out);
		return 1;
	}
	qsort(r->kept, r->nkept, sizeof(r->kept[0]), kept_cmp);
	for (unsigned i = 0; i < r->nkept; i++)
		fprintf(out, GOT "%s", r->kept[i].text ? r->kept[i].text : "(out of memory)\n");
	if (r->failed > r->nkept)
		fprintf(out, "  and %" PRIu64 " more\n", r->failed - r->nkept);
	return r->failed;
}

unsigned ctl_expect_report(struct ctl_expect *x, FILE *out)
{
	uint64_t bad = 0;

	pthread_mutex_lock(&x->mu);
	for (size_t i = 0; i < x->nlines; i++)
		bad += report_line(x, &x->lines[i], out);
	if (x->lost) {
		fprintf(out, "expect: out of memory: %" PRIu64 " decision%s not checked\n", x->lost,
			plural(x->lost, "s"));
		bad += x->lost;
	}
	fprintf(out, "expect: %zu line%s, %" PRIu64 " decision%s checked, ", x->nlines,
		plural(x->nlines, "s"), x->decisions, plural(x->decisions, "s"));
	if (bad)
		fprintf(out, "%" PRIu64 " mismatch%s\n", bad, plural(bad, "es"));
	else
		fputs("all match\n", out);
	pthread_mutex_unlock(&x->mu);
	return bad > UINT_MAX ? UINT_MAX : (unsigned)bad;
}
