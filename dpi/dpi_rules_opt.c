/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_rules_opt.c - the options of one rule: each keyword's parser, and the
 * content decoder (|hex| blocks and escapes). Keywords fill the rule state
 * of dpi_rules_priv.h; whole-rule checks run afterwards in dpi_rules.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_rules_priv.h"

/* Suricata's etc/classification.config: name, description, priority. */
static const struct classtype {
	const char *name, *desc;
	uint8_t prio;
} classtypes[] = {
	{"not-suspicious", "Not Suspicious Traffic", 3},
	{"unknown", "Unknown Traffic", 3},
	{"bad-unknown", "Potentially Bad Traffic", 2},
	{"attempted-recon", "Attempted Information Leak", 2},
	{"successful-recon-limited", "Information Leak", 2},
	{"successful-recon-largescale", "Large Scale Information Leak", 2},
	{"attempted-dos", "Attempted Denial of Service", 2},
	{"successful-dos", "Denial of Service", 2},
	{"attempted-user", "Attempted User Privilege Gain", 1},
	{"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
	{"successful-user", "Successful User Privilege Gain", 1},
	{"attempted-admin", "Attempted Administrator Privilege Gain", 1},
	{"successful-admin", "Successful Administrator Privilege Gain", 1},
	{"rpc-portmap-decode", "Decode of an RPC Query", 2},
	{"shellcode-detect", "Executable code was detected", 1},
	{"string-detect", "A suspicious string was detected", 3},
	{"suspicious-filename-detect", "A suspicious filename was detected", 2},
	{"suspicious-login", "An attempted login using a suspicious username was detected", 2},
	{"system-call-detect", "A system call was detected", 2},
	{"tcp-connection", "A TCP connection was detected", 4},
	{"trojan-activity", "A Network Trojan was detected", 1},
	{"unusual-client-port-connection", "A client was using an unusual port", 2},
	{"network-scan", "Detection of a Network Scan", 3},
	{"denial-of-service", "Detection of a Denial of Service Attack", 2},
	{"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
	{"protocol-command-decode", "Generic Protocol Command Decode", 3},
	{"web-application-activity", "access to a potentially vulnerable web application", 2},
	{"web-application-attack", "Web Application Attack", 1},
	{"misc-activity", "Misc activity", 3},
	{"misc-attack", "Misc Attack", 2},
	{"icmp-event", "Generic ICMP event", 3},
	{"inappropriate-content", "Inappropriate Content was Detected", 1},
	{"policy-violation", "Potential Corporate Privacy Violation", 1},
	{"default-login-attempt", "Attempt to login by a default username and password", 2},
	{"targeted-activity", "Targeted Malicious Activity was Detected", 1},
	{"exploit-kit", "Exploit Kit Activity Detected", 1},
	{"external-ip-check", "Device Retrieving External IP Address Detected", 2},
	{"domain-c2", "Domain Observed Used for C2 Detected", 1},
	{"pup-activity", "Possibly Unwanted Program Detected", 2},
	{"credential-theft", "Successful Credential Theft Detected", 1},
	{"social-engineering", "Possible Social Engineering Attempted", 2},
	{"coin-mining", "Crypto Currency Mining Activity Detected", 2},
	{"command-and-control", "Malware Command and Control Activity Detected", 1},
};

/* Parses a decimal integer in [@min, @max] (optional '-' when @min < 0). */
static bool parse_num(const char *p, const char *end, long long min, long long max,
		      long long *ret)
{
	bool neg = false;
	long long v = 0;

	trim(&p, &end);
	if (p < end && *p == '-' && min < 0) {
		neg = true;
		p++;
	}
	if (p == end || end - p > 12)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static int num_opt(struct loader *ld, const char *kw, const char *v, const char *vend,
		   long long min, long long max, long long *ret)
{
	if (!parse_num(v, vend, min, max, ret)) {
		dpi_rules_error(&ld->c, v, "'%s' expects a number in %lld..%lld, not '%.*s'", kw, min,
				max, Q(v, vend));
		return -EINVAL;
	}
	return 0;
}

/* The quoted string that is the whole of [@v, @vend): sets the inside. */
static int quoted(struct loader *ld, const char *kw, const char *v, const char *vend,
		  const char **ret_p, const char **ret_end)
{
	const char *q;

	if (v >= vend || *v != '"') {
		dpi_rules_error(&ld->c, v, "'%s' expects a quoted string", kw);
		return -EINVAL;
	}
	for (q = v + 1; q < vend && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= vend) {
		dpi_rules_error(&ld->c, v, "unterminated quoted string");
		return -EINVAL;
	}
	if (q + 1 != vend) {
		dpi_rules_error(&ld->c, q + 1, "unexpected text after the quoted string of '%s'", kw);
		return -EINVAL;
	}
	*ret_p = v + 1;
	*ret_end = q;
	return 0;
}

static bool escapable(char ch)
{
	return ch == ';' || ch == '"' || ch == '\\' || ch == ':';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes content text: |hex| blocks and the escapes \; \" \\ \:. */
static int decode_content(struct loader *ld, const char *p, const char *end, uint8_t **ret,
			  size_t *ret_len)
{
	uint8_t *out = dpi_rules_arena_alloc(ld->c.arena, (size_t)(end - p) + 1);
	const char *hex_start = NULL;
	size_t n = 0, block = 0;
	int hi = -1;

	if (!out) {
		ld->c.oom = true;
		return -ENOMEM;
	}
	for (const char *q = p; q < end; q++) {
		if (hex_start) {
			int d = hexval(*q);

			if (*q == '|') {
				if (hi >= 0) {
					dpi_rules_error(&ld->c, q, "odd number of hex digits in content");
					return -EINVAL;
				}
				if (block == 0) {
					dpi_rules_error(&ld->c, hex_start, "empty hex block in content");
					return -EINVAL;
				}
				hex_start = NULL;
			} else if (is_space(*q)) {
				if (hi >= 0) {
					dpi_rules_error(&ld->c, q, "hex byte split by a space in content");
					return -EINVAL;
				}
			} else if (d < 0) {
				dpi_rules_error(&ld->c, q, "bad hex digit '%c' in content", *q);
				return -EINVAL;
			} else if (hi < 0) {
				hi = d;
			} else {
				out[n++] = (uint8_t)(hi << 4 | d);
				hi = -1;
				block++;
			}
		} else if (*q == '|') {
			hex_start = q;
			block = 0;
		} else if (*q == '\\') {
			if (q + 1 >= end || !escapable(q[1])) {
				dpi_rules_error(&ld->c, q,
						"bad escape in content (only \\; \\\" \\\\ \\: are allowed)");
				return -EINVAL;
			}
			out[n++] = (uint8_t)*++q;
		} else {
			out[n++] = (uint8_t)*q;
		}
	}
	if (hex_start) {
		dpi_rules_error(&ld->c, hex_start, "unterminated hex block in content");
		return -EINVAL;
	}
	if (n == 0) {
		dpi_rules_error(&ld->c, p > ld->c.text ? p - 1 : p, "empty content");
		return -EINVAL;
	}
	*ret = out;
	*ret_len = n;
	return 0;
}

/* ---- options ---- */

struct kw;
typedef int (*kw_fn)(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		     const char *v, const char *vend);

enum kw_val { V_NONE, V_REQ, V_OPT };

struct kw {
	const char *name;
	kw_fn fn;
	enum kw_val val;
	int arg;
};

static int kw_msg(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		  const char *v, const char *vend)
{
	const char *p = v, *end = vend;
	char *out;
	size_t n = 0;

	if (st->has_msg) {
		dpi_rules_error(&ld->c, kwpos, "'msg' given twice");
		return -EINVAL;
	}
	st->has_msg = true;
	if (v < vend && *v == '"' && quoted(ld, k->name, v, vend, &p, &end) < 0)
		return -EINVAL;
	out = dpi_rules_arena_alloc(ld->c.arena, (size_t)(end - p) + 1);
	if (!out) {
		ld->c.oom = true;
		return -ENOMEM;
	}
	for (const char *q = p; q < end; q++) {
		if (*q == '\\') {
			if (q + 1 >= end || !escapable(q[1])) {
				dpi_rules_error(&ld->c, q,
						"bad escape in msg (only \\; \\\" \\\\ \\: are allowed)");
				return -EINVAL;
			}
			q++;
		}
		out[n++] = *q;
	}
	out[n] = '\0';
	st->r.msg = out;
	return 0;
}

/* sid, rev, gid, priority: arg says which. */
enum { N_SID, N_REV, N_GID, N_PRIO };

static int kw_number(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		     const char *v, const char *vend)
{
	bool *seen[] = {&st->has_sid, &st->has_rev, &st->has_gid, &st->has_prio};
	long long x;

	if (*seen[k->arg]) {
		dpi_rules_error(&ld->c, kwpos, "'%s' given twice", k->name);
		return -EINVAL;
	}
	*seen[k->arg] = true;
	switch (k->arg) {
	case N_SID:
		if (num_opt(ld, k->name, v, vend, 1, UINT32_MAX, &x) < 0)
			return -EINVAL;
		st->r.sid = (uint32_t)x;
		return dpi_rules_sid_insert(ld, v, st->r.sid);
	case N_REV:
	case N_GID:
		if (num_opt(ld, k->name, v, vend, 0, UINT32_MAX, &x) < 0)
			return -EINVAL;
		*(k->arg == N_REV ? &st->r.rev : &st->r.gid) = (uint32_t)x;
		return 0;
	default:
		if (num_opt(ld, k->name, v, vend, 1, 255, &x) < 0)
			return -EINVAL;
		st->r.priority = (uint8_t)x;
		return 0;
	}
}

bool dpi_rules_classtype(const char *name, const char **ret_desc, uint8_t *ret_prio)
{
	for (size_t i = 0; i < sizeof(classtypes) / sizeof(classtypes[0]); i++) {
		if (strcmp(name, classtypes[i].name) == 0) {
			*ret_desc = classtypes[i].desc;
			*ret_prio = classtypes[i].prio;
			return true;
		}
	}
	return false;
}

static int kw_classtype(struct loader *ld, struct rstate *st, const struct kw *k,
			const char *kwpos, const char *v, const char *vend)
{
	(void)k;
	if (st->has_class) {
		dpi_rules_error(&ld->c, kwpos, "'classtype' given twice");
		return -EINVAL;
	}
	st->has_class = true;
	for (size_t i = 0; i < sizeof(classtypes) / sizeof(classtypes[0]); i++) {
		if (word_eq(v, vend, classtypes[i].name)) {
			st->r.classtype = classtypes[i].name;
			st->r.category = classtypes[i].desc;
			if (!st->has_prio)
				st->r.priority = classtypes[i].prio;
			return 0;
		}
	}
	dpi_rules_error(&ld->c, v, "unknown classtype '%.*s'", Q(v, vend));
	return -EINVAL;
}

static int kw_metadata(struct loader *ld, struct rstate *st, const struct kw *k,
		       const char *kwpos, const char *v, const char *vend)
{
	size_t n = (size_t)(vend - v), need = ld->meta_len + n + 3;

	(void)st;
	(void)k;
	(void)kwpos;
	if (need > ld->meta_cap) {
		char *m = realloc(ld->meta, need * 2);

		if (!m) {
			ld->c.oom = true;
			return -ENOMEM;
		}
		ld->meta = m;
		ld->meta_cap = need * 2;
	}
	if (ld->meta_len) {
		memcpy(ld->meta + ld->meta_len, ", ", 2);
		ld->meta_len += 2;
	}
	memcpy(ld->meta + ld->meta_len, v, n);
	ld->meta_len += n;
	ld->meta[ld->meta_len] = '\0';
	return 0;
}

static int kw_reference(struct loader *ld, struct rstate *st, const struct kw *k,
			const char *kwpos, const char *v, const char *vend)
{
	const char *comma = memchr(v, ',', (size_t)(vend - v));
	const char *t = v, *tend = comma, *val = NULL, *valend = vend;

	(void)k;
	if (comma) {
		val = comma + 1;
		trim(&t, &tend);
		trim(&val, &valend);
	}
	if (!comma || t == tend || val == valend) {
		dpi_rules_error(&ld->c, v, "'reference' expects TYPE,VALUE, not '%.*s'", Q(v, vend));
		return -EINVAL;
	}
	if (st->n_refs >= DPI_RULES_MAX_REFERENCES) {
		dpi_rules_error(&ld->c, kwpos, "more than %d references", DPI_RULES_MAX_REFERENCES);
		return -EINVAL;
	}
	ld->refs[st->n_refs] = dpi_rules_arena_strndup(ld->c.arena, v, (size_t)(vend - v));
	if (!ld->refs[st->n_refs]) {
		ld->c.oom = true;
		return -ENOMEM;
	}
	st->n_refs++;
	return 0;
}

/* Calls @fn on each trimmed comma-separated item of [@v, @vend). */
typedef int (*item_fn)(struct loader *ld, struct rstate *st, const char *p, const char *end,
		       void *arg);

static int for_each_item(struct loader *ld, struct rstate *st, const char *kw, const char *v,
			 const char *vend, item_fn fn, void *arg)
{
	int rc = 0;

	for (const char *p = v; p <= vend;) {
		const char *comma = memchr(p, ',', (size_t)(vend - p));
		const char *end = comma ? comma : vend, *a = p;
		int r;

		trim(&a, &end);
		if (a == end) {
			dpi_rules_error(&ld->c, a, "empty item in '%s'", kw);
			return -EINVAL;
		}
		r = fn(ld, st, a, end, arg);
		if (r < 0)
			rc = r;
		if (!comma)
			break;
		p = comma + 1;
	}
	return rc;
}

static int flow_item(struct loader *ld, struct rstate *st, const char *p, const char *end,
		     void *arg)
{
	struct dpi_rule *r = &st->r;
	enum dpi_rule_flow_dir dir = DPI_FLOW_ANY_DIR;
	enum dpi_rule_flow_state state = DPI_FLOW_ANY_STATE;
	enum dpi_rule_flow_stream stream = DPI_FLOW_ANY_STREAM;

	(void)arg;
	if (word_eq(p, end, "to_server") || word_eq(p, end, "from_client"))
		dir = DPI_FLOW_TO_SERVER;
	else if (word_eq(p, end, "to_client") || word_eq(p, end, "from_server"))
		dir = DPI_FLOW_TO_CLIENT;
	else if (word_eq(p, end, "established"))
		state = DPI_FLOW_ESTABLISHED;
	else if (word_eq(p, end, "not_established"))
		state = DPI_FLOW_NOT_ESTABLISHED;
	else if (word_eq(p, end, "stateless"))
		state = DPI_FLOW_STATELESS;
	else if (word_eq(p, end, "only_stream"))
		stream = DPI_FLOW_ONLY_STREAM;
	else if (word_eq(p, end, "no_stream"))
		stream = DPI_FLOW_NO_STREAM;
	else {
		dpi_rules_error(&ld->c, p, "unknown flow option '%.*s'", Q(p, end));
		return -EINVAL;
	}
	if ((dir && r->flow_dir && dir != r->flow_dir) ||
	    (state && r->flow_state && state != r->flow_state) ||
	    (stream && r->flow_stream && stream != r->flow_stream)) {
		dpi_rules_error(&ld->c, p, "flow option '%.*s' contradicts an earlier one", Q(p, end));
		return -EINVAL;
	}
	if (dir)
		r->flow_dir = dir;
	if (state)
		r->flow_state = state;
	if (stream)
		r->flow_stream = stream;
	return 0;
}

static int kw_flow(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		   const char *v, const char *vend)
{
	if (st->has_flow) {
		dpi_rules_error(&ld->c, kwpos, "'flow' given twice");
		return -EINVAL;
	}
	st->has_flow = true;
	return for_each_item(ld, st, k->name, v, vend, flow_item, NULL);
}

struct thr_parse {
	const char *kw;
	bool type, track, count, seconds;
};

static int thr_item(struct loader *ld, struct rstate *st, const char *p, const char *end,
		    void *arg)
{
	struct thr_parse *tp = arg;
	struct dpi_rule_threshold *t = &st->r.threshold;
	const char *key = p, *kend = p, *val;
	long long x;

	while (kend < end && !is_space(*kend))
		kend++;
	val = kend;
	while (val < end && is_space(*val))
		val++;
	if (val == end) {
		dpi_rules_error(&ld->c, p, "'%s' item '%.*s' has no value", tp->kw, Q(p, end));
		return -EINVAL;
	}
	if (word_eq(key, kend, "type") && strcmp(tp->kw, "threshold") == 0 && !tp->type) {
		tp->type = true;
		if (word_eq(val, end, "limit"))
			t->type = DPI_THR_LIMIT;
		else if (word_eq(val, end, "threshold"))
			t->type = DPI_THR_THRESHOLD;
		else if (word_eq(val, end, "both"))
			t->type = DPI_THR_BOTH;
		else
			goto bad_value;
	} else if (word_eq(key, kend, "track") && !tp->track) {
		tp->track = true;
		if (word_eq(val, end, "by_src"))
			t->track = DPI_TRACK_BY_SRC;
		else if (word_eq(val, end, "by_dst"))
			t->track = DPI_TRACK_BY_DST;
		else if (word_eq(val, end, "by_rule"))
			t->track = DPI_TRACK_BY_RULE;
		else if (word_eq(val, end, "by_both"))
			t->track = DPI_TRACK_BY_BOTH;
		else if (word_eq(val, end, "by_flow"))
			t->track = DPI_TRACK_BY_FLOW;
		else
			goto bad_value;
	} else if ((word_eq(key, kend, "count") && !tp->count) ||
		   (word_eq(key, kend, "seconds") && !tp->seconds)) {
		bool count = word_eq(key, kend, "count");

		if (!parse_num(val, end, 1, UINT32_MAX, &x))
			goto bad_value;
		*(count ? &t->count : &t->seconds) = (uint32_t)x;
		*(count ? &tp->count : &tp->seconds) = true;
	} else {
		dpi_rules_error(&ld->c, p, "unknown or repeated '%s' item '%.*s'", tp->kw,
				Q(key, kend));
		return -EINVAL;
	}
	return 0;
bad_value:
	dpi_rules_error(&ld->c, val, "bad value '%.*s' for '%.*s' in '%s'", Q(val, end),
			Q(key, kend), tp->kw);
	return -EINVAL;
}

/* threshold (arg 0) and detection_filter (arg 1). */
static int kw_threshold(struct loader *ld, struct rstate *st, const struct kw *k,
			const char *kwpos, const char *v, const char *vend)
{
	struct thr_parse tp = {.kw = k->name};
	int r;

	if (st->has_thr) {
		dpi_rules_error(&ld->c, kwpos, "only one threshold or detection_filter per rule");
		return -EINVAL;
	}
	st->has_thr = true;
	st->r.threshold.type = DPI_THR_DETECTION_FILTER;
	r = for_each_item(ld, st, k->name, v, vend, thr_item, &tp);
	if (r < 0)
		return r;
	if ((k->arg == 0 && !tp.type) || !tp.track || !tp.count || !tp.seconds) {
		dpi_rules_error(&ld->c, kwpos, "'%s' needs %strack, count and seconds", k->name,
				k->arg == 0 ? "type, " : "");
		return -EINVAL;
	}
	return 0;
}

/* Sticky buffers (arg: the buffer) and pkt_data (DPI_RB_STREAM). */
static int kw_sticky(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		     const char *v, const char *vend)
{
	(void)ld;
	(void)kwpos;
	(void)v;
	(void)vend;
	st->buf = (enum dpi_rule_buffer)k->arg;
	st->sticky = k->arg != DPI_RB_STREAM;
	st->tf = 0;
	st->sticky_n = st->n;
	return 0;
}

static int kw_transform(struct loader *ld, struct rstate *st, const struct kw *k,
			const char *kwpos, const char *v, const char *vend)
{
	(void)v;
	(void)vend;
	if (!st->sticky || st->n != st->sticky_n) {
		dpi_rules_error(&ld->c, kwpos, "transform '%s' must directly follow a sticky buffer",
				k->name);
		return -EINVAL;
	}
	st->tf |= (uint8_t)k->arg;
	return 0;
}

static int new_match(struct loader *ld, struct rstate *st, const char *kwpos,
		     enum dpi_rule_match_type type, struct dpi_rule_match **ret)
{
	struct dpi_rule_match *m;

	if (st->n >= DPI_RULES_MAX_MATCHES) {
		if (!st->too_many)
			dpi_rules_error(&ld->c, kwpos, "more than %d content/pcre/isdataat/bsize keywords",
					DPI_RULES_MAX_MATCHES);
		st->too_many = true;
		return -EINVAL;
	}
	m = &ld->m[st->n];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->buffer = st->buf;
	m->transforms = st->tf;
	m->rel_to = -1;
	dpi_rules_pos(&ld->c, kwpos, &m->line, &m->col);
	ld->mp[st->n] = (struct mpos){.pos = kwpos};
	*ret = m;
	st->n++;
	return 0;
}

/* [!]"..." for content and pcre: sets negation and the inside of the quotes. */
static int negatable_quoted(struct loader *ld, const char *kw, const char *v, const char *vend,
			    bool *neg, const char **p, const char **end)
{
	*neg = false;
	if (v < vend && *v == '!') {
		*neg = true;
		v++;
		while (v < vend && is_space(*v))
			v++;
	}
	return quoted(ld, kw, v, vend, p, end);
}

static int kw_content(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		      const char *v, const char *vend)
{
	struct dpi_rule_match *m;
	const char *p = NULL, *end = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	bool neg = false;
	int r;

	st->last_content = -1;
	st->content_failed = true;
	r = negatable_quoted(ld, k->name, v, vend, &neg, &p, &end);
	if (r == 0)
		r = decode_content(ld, p, end, &bytes, &len);
	if (r == 0)
		r = new_match(ld, st, kwpos, DPI_RM_CONTENT, &m);
	if (r < 0)
		return r;
	m->negated = neg;
	m->bytes = bytes;
	m->len = len;
	st->last_content = (int)(st->n - 1);
	st->content_failed = false;
	return 0;
}

/* The content a modifier applies to. When the content itself was bad, the
 * error is already out: fail quietly. */
static int modifier_target(struct loader *ld, struct rstate *st, const char *kw, const char *pos,
			   struct dpi_rule_match **ret)
{
	if (st->last_content < 0) {
		if (!st->content_failed)
			dpi_rules_error(&ld->c, pos, "'%s' needs a preceding content", kw);
		return -EINVAL;
	}
	*ret = &ld->m[st->last_content];
	return 0;
}

enum { M_NOCASE, M_OFFSET, M_DEPTH, M_DISTANCE, M_WITHIN, M_STARTSWITH, M_ENDSWITH };

static int kw_modifier(struct loader *ld, struct rstate *st, const struct kw *k,
		       const char *kwpos, const char *v, const char *vend)
{
	struct dpi_rule_match *m;
	struct mpos *mp;
	bool abs_given, rel_given, *flag = NULL;
	long long x;

	if (modifier_target(ld, st, k->name, kwpos, &m) < 0)
		return -EINVAL;
	mp = &ld->mp[m - ld->m];
	switch (k->arg) {
	case M_NOCASE:
		flag = &m->nocase;
		break;
	case M_OFFSET:
		flag = &m->has_offset;
		break;
	case M_DEPTH:
		flag = &m->has_depth;
		break;
	case M_DISTANCE:
		flag = &m->has_distance;
		break;
	case M_WITHIN:
		flag = &m->has_within;
		break;
	case M_STARTSWITH:
		flag = &m->startswith;
		break;
	default:
		flag = &m->endswith;
		break;
	}
	if (*flag) {
		dpi_rules_error(&ld->c, kwpos, "'%s' given twice for one content", k->name);
		return -EINVAL;
	}
	abs_given = m->has_offset || m->has_depth;
	rel_given = m->has_distance || m->has_within;
	switch (k->arg) {
	case M_OFFSET:
	case M_DEPTH:
		if (rel_given || m->startswith) {
			dpi_rules_error(&ld->c, kwpos, "'%s' cannot be combined with %s on one content",
					k->name, m->startswith ? "startswith" : "distance/within");
			return -EINVAL;
		}
		if (num_opt(ld, k->name, v, vend, k->arg == M_OFFSET ? 0 : 1, 65535, &x) < 0)
			return -EINVAL;
		if (k->arg == M_DEPTH && (size_t)x < m->len) {
			dpi_rules_error(&ld->c, v, "depth %lld is smaller than the content (%zu bytes)",
					x, m->len);
			return -EINVAL;
		}
		*(k->arg == M_OFFSET ? &m->offset : &m->depth) = (uint16_t)x;
		break;
	case M_DISTANCE:
	case M_WITHIN:
		if (abs_given || m->startswith) {
			dpi_rules_error(&ld->c, kwpos, "'%s' cannot be combined with %s on one content",
					k->name, m->startswith ? "startswith" : "offset/depth");
			return -EINVAL;
		}
		if (num_opt(ld, k->name, v, vend, k->arg == M_WITHIN ? 1 : -65535, 65535, &x) < 0)
			return -EINVAL;
		if (k->arg == M_WITHIN && (size_t)x < m->len) {
			dpi_rules_error(&ld->c, v, "within %lld is smaller than the content (%zu bytes)",
					x, m->len);
			return -EINVAL;
		}
		if (k->arg == M_WITHIN)
			m->within = (uint16_t)x;
		else
			m->distance = (int32_t)x;
		if (!mp->rel_pos) {
			mp->rel_pos = kwpos;
			mp->rel_kw = k->name;
		}
		break;
	case M_STARTSWITH:
		if (abs_given || rel_given) {
			dpi_rules_error(&ld->c, kwpos,
					"'startswith' cannot be combined with offset, depth, distance or within");
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	*flag = true;
	return 0;
}

static int kw_fast_pattern(struct loader *ld, struct rstate *st, const struct kw *k,
			   const char *kwpos, const char *v, const char *vend)
{
	struct dpi_rule_match *m;
	long long off, len;

	if (modifier_target(ld, st, k->name, kwpos, &m) < 0)
		return -EINVAL;
	if (st->has_fp) {
		dpi_rules_error(&ld->c, kwpos, "only one content per rule may be fast_pattern");
		return -EINVAL;
	}
	/* fast_pattern:only is deprecated in Suricata 7 and means fast_pattern. */
	if (v && !word_eq(v, vend, "only")) {
		const char *comma = memchr(v, ',', (size_t)(vend - v));

		if (!comma || !parse_num(v, comma, 0, 65535, &off) ||
		    !parse_num(comma + 1, vend, 1, 65535, &len)) {
			dpi_rules_error(&ld->c, v, "'fast_pattern' expects 'only' or OFFSET,LENGTH, not '%.*s'",
					Q(v, vend));
			return -EINVAL;
		}
		if ((size_t)(off + len) > m->len) {
			dpi_rules_error(&ld->c, v, "fast_pattern %lld,%lld is outside the content (%zu bytes)",
					off, len, m->len);
			return -EINVAL;
		}
		m->fp_chop = true;
		m->fp_offset = (uint16_t)off;
		m->fp_len = (uint16_t)len;
	}
	st->has_fp = true;
	m->fast_pattern = true;
	return 0;
}

/* Suricata 5 content modifiers (arg: the buffer). */
static int kw_legacy(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		     const char *v, const char *vend)
{
	struct dpi_rule_match *m;

	(void)v;
	(void)vend;
	if (st->sticky) {
		dpi_rules_error(&ld->c, kwpos,
				"'%s' modifies a content, but sticky buffer '%s' is active (use pkt_data first)",
				k->name, dpi_rule_buffer_names[st->buf]);
		return -EINVAL;
	}
	if (modifier_target(ld, st, k->name, kwpos, &m) < 0)
		return -EINVAL;
	if (m->buffer != DPI_RB_STREAM) {
		dpi_rules_error(&ld->c, kwpos, "the content already has the modifier for '%s'",
				dpi_rule_buffer_names[m->buffer]);
		return -EINVAL;
	}
	m->buffer = (enum dpi_rule_buffer)k->arg;
	return 0;
}

static int kw_pcre(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		   const char *v, const char *vend)
{
	static const struct {
		char flag;
		enum dpi_rule_buffer buf;
	} bufflags[] = {
		{'U', DPI_RB_HTTP_URI}, {'I', DPI_RB_HTTP_URI_RAW}, {'P', DPI_RB_HTTP_REQUEST_BODY},
		{'H', DPI_RB_HTTP_HEADER}, {'M', DPI_RB_HTTP_METHOD}, {'C', DPI_RB_HTTP_COOKIE},
		{'V', DPI_RB_HTTP_USER_AGENT}, {'W', DPI_RB_HTTP_HOST},
	};
	struct dpi_rule_match *m;
	const char *p, *end, *last, *f;
	char flags[8];
	size_t nf = 0;
	int buf = -1;
	bool neg, rel = false;
	int r;

	r = negatable_quoted(ld, k->name, v, vend, &neg, &p, &end);
	if (r < 0)
		return r;
	for (last = end; last > p && last[-1] != '/'; last--)
		;
	if (end - p < 2 || *p != '/' || last - 1 <= p) {
		dpi_rules_error(&ld->c, p, "pcre expects \"/pattern/flags\"");
		return -EINVAL;
	}
	if (last - 1 == p + 1) {
		dpi_rules_error(&ld->c, p, "empty pcre pattern");
		return -EINVAL;
	}
	for (f = last; f < end; f++) {
		int b = -1;

		for (size_t i = 0; i < sizeof(bufflags) / sizeof(bufflags[0]); i++)
			if (bufflags[i].flag == *f)
				b = (int)bufflags[i].buf;
		if (b >= 0) {
			if (buf >= 0 && buf != b) {
				dpi_rules_error(&ld->c, f, "pcre has two buffer flags");
				return -EINVAL;
			}
			if (st->sticky) {
				dpi_rules_error(&ld->c, f,
						"pcre flag '%c' names a buffer, but sticky buffer '%s' is active",
						*f, dpi_rule_buffer_names[st->buf]);
				return -EINVAL;
			}
			buf = b;
		} else if (*f == 'R') {
			rel = true;
		} else if (*f == 'O') {
			/* Match-limit override: meaningless for Hyperscan. */
		} else if (memchr("ismxAEG", *f, 7)) {
			if (!memchr(flags, *f, nf))
				flags[nf++] = *f;
		} else if (memchr("QSYDZ", *f, 5)) {
			dpi_rules_error(&ld->c, f,
					"pcre flag '%c' names a response-side or raw buffer, which is not supported",
					*f);
			return -EINVAL;
		} else {
			dpi_rules_error(&ld->c, f, "unknown pcre flag '%c'", *f);
			return -EINVAL;
		}
	}
	r = new_match(ld, st, kwpos, DPI_RM_PCRE, &m);
	if (r < 0)
		return r;
	m->negated = neg;
	if (buf >= 0)
		m->buffer = (enum dpi_rule_buffer)buf;
	m->pcre = dpi_rules_arena_strndup(ld->c.arena, p + 1, (size_t)(last - 1 - (p + 1)));
	m->pcre_flags = dpi_rules_arena_strndup(ld->c.arena, flags, nf);
	if (!m->pcre || !m->pcre_flags) {
		ld->c.oom = true;
		return -ENOMEM;
	}
	m->relative = rel;
	if (rel) {
		ld->mp[st->n - 1].rel_pos = kwpos;
		ld->mp[st->n - 1].rel_kw = "pcre /R";
	}
	return 0;
}

struct isdataat_parse {
	struct dpi_rule_match *m;
	bool first;
};

static int isdataat_item(struct loader *ld, struct rstate *st, const char *p, const char *end,
			 void *arg)
{
	struct isdataat_parse *ip = arg;
	long long x;

	(void)st;
	if (ip->first) {
		ip->first = false;
		if (*p == '!') {
			ip->m->negated = true;
			p++;
		}
		if (!parse_num(p, end, 0, 65535, &x)) {
			dpi_rules_error(&ld->c, p, "'isdataat' expects a number, not '%.*s'", Q(p, end));
			return -EINVAL;
		}
		ip->m->isdataat = (uint16_t)x;
	} else if (word_eq(p, end, "relative")) {
		ip->m->relative = true;
	} else if (!word_eq(p, end, "rawbytes")) {
		dpi_rules_error(&ld->c, p, "unknown isdataat option '%.*s'", Q(p, end));
		return -EINVAL;
	}
	return 0;
}

static int kw_isdataat(struct loader *ld, struct rstate *st, const struct kw *k,
		       const char *kwpos, const char *v, const char *vend)
{
	struct isdataat_parse ip = {.first = true};
	int r = new_match(ld, st, kwpos, DPI_RM_ISDATAAT, &ip.m);

	if (r < 0)
		return r;
	r = for_each_item(ld, st, k->name, v, vend, isdataat_item, &ip);
	if (r == 0 && ip.m->relative) {
		ld->mp[st->n - 1].rel_pos = kwpos;
		ld->mp[st->n - 1].rel_kw = "isdataat relative";
	}
	return r;
}

/* bsize:N | <N | >N | <=N | >=N | !N | N<>M (exclusive, as Suricata). */
static int kw_bsize(struct loader *ld, struct rstate *st, const struct kw *k, const char *kwpos,
		    const char *v, const char *vend)
{
	struct dpi_rule_match *m;
	const char *p = v, *rng = NULL;
	long long a, b;
	int r;

	(void)k;
	if (!st->sticky) {
		dpi_rules_error(&ld->c, kwpos, "'bsize' needs a sticky buffer");
		return -EINVAL;
	}
	r = new_match(ld, st, kwpos, DPI_RM_BSIZE, &m);
	if (r < 0)
		return r;
	for (const char *q = v; q + 1 < vend; q++)
		if (q[0] == '<' && q[1] == '>')
			rng = q;
	if (rng) {
		if (!parse_num(v, rng, 0, UINT32_MAX, &a) || !parse_num(rng + 2, vend, 0, UINT32_MAX, &b))
			goto bad;
		if (b <= a + 1) {
			dpi_rules_error(&ld->c, v, "bsize range '%.*s' is empty", Q(v, vend));
			return -EINVAL;
		}
		m->bsize_min = (uint64_t)a + 1;
		m->bsize_max = (uint64_t)b - 1;
		return 0;
	}
	if (p < vend && (*p == '<' || *p == '>' || *p == '!')) {
		char op = *p++;
		bool eq = p < vend && *p == '=' && op != '!';

		if (eq)
			p++;
		if (!parse_num(p, vend, 0, UINT32_MAX, &a))
			goto bad;
		if (op == '<' && !eq && a == 0) {
			dpi_rules_error(&ld->c, v, "bsize '%.*s' can never match", Q(v, vend));
			return -EINVAL;
		}
		m->bsize_min = op == '>' ? (uint64_t)a + !eq : op == '!' ? (uint64_t)a : 0;
		m->bsize_max = op == '<' ? (uint64_t)a - !eq : op == '!' ? (uint64_t)a : UINT64_MAX;
		m->negated = op == '!';
		return 0;
	}
	if (!parse_num(v, vend, 0, UINT32_MAX, &a))
		goto bad;
	m->bsize_min = m->bsize_max = (uint64_t)a;
	return 0;
bad:
	dpi_rules_error(&ld->c, v, "'bsize' expects N, <N, >N, <=N, >=N, !N or N<>M, not '%.*s'",
			Q(v, vend));
	return -EINVAL;
}

static const struct kw keywords[] = {
	{"msg", kw_msg, V_REQ, 0},
	{"sid", kw_number, V_REQ, N_SID},
	{"rev", kw_number, V_REQ, N_REV},
	{"gid", kw_number, V_REQ, N_GID},
	{"priority", kw_number, V_REQ, N_PRIO},
	{"classtype", kw_classtype, V_REQ, 0},
	{"metadata", kw_metadata, V_REQ, 0},
	{"reference", kw_reference, V_REQ, 0},
	{"flow", kw_flow, V_REQ, 0},
	{"threshold", kw_threshold, V_REQ, 0},
	{"detection_filter", kw_threshold, V_REQ, 1},
	{"http.uri", kw_sticky, V_NONE, DPI_RB_HTTP_URI},
	{"http.uri.raw", kw_sticky, V_NONE, DPI_RB_HTTP_URI_RAW},
	{"http.method", kw_sticky, V_NONE, DPI_RB_HTTP_METHOD},
	{"http.host", kw_sticky, V_NONE, DPI_RB_HTTP_HOST},
	{"http.header", kw_sticky, V_NONE, DPI_RB_HTTP_HEADER},
	{"http.user_agent", kw_sticky, V_NONE, DPI_RB_HTTP_USER_AGENT},
	{"http.cookie", kw_sticky, V_NONE, DPI_RB_HTTP_COOKIE},
	{"http.request_body", kw_sticky, V_NONE, DPI_RB_HTTP_REQUEST_BODY},
	{"http.param", kw_sticky, V_NONE, DPI_RB_HTTP_PARAM},
	{"dns.query", kw_sticky, V_NONE, DPI_RB_DNS_QUERY},
	{"dns_query", kw_sticky, V_NONE, DPI_RB_DNS_QUERY},
	{"tls.sni", kw_sticky, V_NONE, DPI_RB_TLS_SNI},
	{"tls_sni", kw_sticky, V_NONE, DPI_RB_TLS_SNI},
	{"sql.query", kw_sticky, V_NONE, DPI_RB_SQL_QUERY},
	{"pkt_data", kw_sticky, V_NONE, DPI_RB_STREAM},
	{"dotprefix", kw_transform, V_NONE, DPI_RT_DOTPREFIX},
	{"to_lowercase", kw_transform, V_NONE, DPI_RT_TO_LOWERCASE},
	{"content", kw_content, V_REQ, 0},
	{"nocase", kw_modifier, V_NONE, M_NOCASE},
	{"offset", kw_modifier, V_REQ, M_OFFSET},
	{"depth", kw_modifier, V_REQ, M_DEPTH},
	{"distance", kw_modifier, V_REQ, M_DISTANCE},
	{"within", kw_modifier, V_REQ, M_WITHIN},
	{"startswith", kw_modifier, V_NONE, M_STARTSWITH},
	{"endswith", kw_modifier, V_NONE, M_ENDSWITH},
	{"fast_pattern", kw_fast_pattern, V_OPT, 0},
	{"http_uri", kw_legacy, V_NONE, DPI_RB_HTTP_URI},
	{"http_raw_uri", kw_legacy, V_NONE, DPI_RB_HTTP_URI_RAW},
	{"http_method", kw_legacy, V_NONE, DPI_RB_HTTP_METHOD},
	{"http_header", kw_legacy, V_NONE, DPI_RB_HTTP_HEADER},
	{"http_user_agent", kw_legacy, V_NONE, DPI_RB_HTTP_USER_AGENT},
	{"http_client_body", kw_legacy, V_NONE, DPI_RB_HTTP_REQUEST_BODY},
	{"http_host", kw_legacy, V_NONE, DPI_RB_HTTP_HOST},
	{"http_cookie", kw_legacy, V_NONE, DPI_RB_HTTP_COOKIE},
	{"pcre", kw_pcre, V_REQ, 0},
	{"isdataat", kw_isdataat, V_REQ, 0},
	{"bsize", kw_bsize, V_REQ, 0},
};

static bool is_kw_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

/*
 * Parses the options between '(' and the rule's final ')' at @close.
 * Returns 0, or -EINVAL when the option list itself is broken (the rule is
 * abandoned; errors in single options only mark the rule bad).
 */
int dpi_rules_parse_options(struct loader *ld, struct rstate *st, const char *p, const char *close)
{
	for (;;) {
		const char *kw, *kwend, *v = NULL, *vend = NULL, *quote = NULL;
		const struct kw *k = NULL;
		int r;

		while (p < close && is_space(*p))
			p++;
		if (p >= close)
			return 0;
		kw = p;
		while (p < close && is_kw_char(*p))
			p++;
		kwend = p;
		if (kw == kwend) {
			dpi_rules_error(&ld->c, kw, "expected an option keyword, found '%c'", *kw);
			return -EINVAL;
		}
		while (p < close && is_space(*p))
			p++;
		if (p < close && *p == ':') {
			bool inq = false;

			v = ++p;
			for (; p < close; p++) {
				if (*p == '\\' && p + 1 < close) {
					p++;
				} else if (*p == '"') {
					inq = !inq;
					quote = p;
				} else if (*p == ';' && !inq) {
					break;
				}
			}
			if (p >= close) {
				if (inq)
					dpi_rules_error(&ld->c, quote, "unterminated quoted string");
				else
					dpi_rules_error(&ld->c, close,
							"option '%.*s' is not terminated by ';'",
							Q(kw, kwend));
				return -EINVAL;
			}
			vend = p++;
			trim(&v, &vend);
		} else if (p < close && *p == ';') {
			p++;
		} else {
			if (p >= close)
				dpi_rules_error(&ld->c, close, "option '%.*s' is not terminated by ';'",
						Q(kw, kwend));
			else
				dpi_rules_error(&ld->c, p, "expected ':' or ';' after '%.*s'",
						Q(kw, kwend));
			return -EINVAL;
		}
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (word_eq(kw, kwend, keywords[i].name))
				k = &keywords[i];
		if (!k) {
			dpi_rules_error(&ld->c, kw, "unsupported keyword '%.*s'", Q(kw, kwend));
			st->bad = true;
			continue;
		}
		if (k->val == V_NONE && v) {
			dpi_rules_error(&ld->c, v, "'%s' takes no value", k->name);
			st->bad = true;
			continue;
		}
		if (k->val == V_REQ && (!v || v == vend)) {
			dpi_rules_error(&ld->c, kw, "'%s' needs a value", k->name);
			st->bad = true;
			continue;
		}
		r = k->fn(ld, st, k, kw, v, vend);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			st->bad = true;
	}
}

