/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_rules.h - loader for custom signatures written in a subset of the
 * Suricata 7 rule language.
 *
 * A rule file is parsed, resolved (variables, address and port lists) and
 * validated into a struct dpi_rule_set that the signature engine compiles.
 * Nothing here matches traffic: content bytes are decoded, pcre patterns are
 * kept as text for Hyperscan, addresses and ports are compiled to flat lists.
 *
 * Syntax (one rule per logical line; '#' comments, blank lines, and a
 * trailing '\' that joins the next physical line are accepted):
 *
 *   action proto src sport dir dst dport (keyword[:value]; ...)
 *
 *   action   alert | drop | pass | reject
 *   proto    http (also http1) | dns | tls | tcp | udp | ip
 *   src/dst  any, $VAR, CIDR or address (IPv4 or IPv6), [list], !negation;
 *            lists nest: [10.0.0.0/8,![10.1.0.0/16,!10.1.2.3]]
 *   ports    any, N, N:M, N:, :M, [list], !negation, $VAR
 *   dir      -> or <>
 *
 * Keywords (everything else is an error naming the keyword):
 *   msg, sid (required, unique within one load), rev, gid, classtype,
 *   priority, metadata, reference, flow, threshold, detection_filter;
 *   sticky buffers http.uri, http.uri.raw, http.method, http.host,
 *   http.header, http.user_agent, http.cookie, http.request_body, http.param,
 *   dns.query (alias dns_query), tls.sni (alias tls_sni), sql.query, and
 *   pkt_data (back to the raw stream); transforms dotprefix, to_lowercase;
 *   content with nocase, offset, depth, distance, within, startswith,
 *   endswith, fast_pattern; the Suricata 5 content modifiers http_uri,
 *   http_raw_uri, http_method, http_header, http_user_agent,
 *   http_client_body, http_host, http_cookie (they move the preceding
 *   content to the buffer of the same name); pcre; isdataat; bsize.
 *
 * Semantics where this subset departs from, or pins down, Suricata's:
 *   - Content or pcre given before any sticky buffer goes to
 *     DPI_RB_STREAM: the payload of the rule's direction (the reassembled
 *     TCP stream, or each UDP datagram), also in http/dns/tls rules.
 *   - Content modifiers apply to the most recent content of the rule, as in
 *     Suricata (a pcre in between does not change that).
 *   - depth counts from offset (window [offset, offset + depth)), as in
 *     Suricata. offset/depth cannot be combined with distance/within;
 *     startswith with none of the four.
 *   - Relative keywords (distance, within, pcre /R, isdataat relative) refer
 *     to the previous content or pcre in the same buffer (same transforms);
 *     dpi_rule_match.rel_to names it.
 *   - http.host is lower-cased by the HTTP parser: a content there with an
 *     upper-case letter and no nocase is an error (Suricata does the same),
 *     likewise after to_lowercase. dns.query is lower-cased by bulkhead's DNS
 *     parser, unlike Suricata's: its contents are marked nocase, and a pcre
 *     on it sees lower-case text.
 *   - pcre: the text between the first and the last '/' is kept unchanged
 *     (the escapes \; \" \\ are valid regex escapes for the same character);
 *     flags i s m x A E G are kept in pcre_flags, R sets relative, O is
 *     accepted and ignored; the buffer flags U I P H M C V W select
 *     http.uri, http.uri.raw, http.request_body, http.header, http.method,
 *     http.cookie, http.user_agent, http.host (not allowed while a sticky
 *     buffer is active); the response-side flags Q S Y D Z are errors.
 *     The regex itself is checked when the engine compiles it.
 *   - Every inspection buffer is request-side: with flow:to_client a sticky
 *     buffer is an error. Buffers decide the application: http.* needs an
 *     http, tcp or ip rule, dns.query dns/tcp/udp/ip, tls.sni tls/tcp/ip,
 *     sql.query tcp/ip; one rule inspects one application.
 *   - threshold and detection_filter are parsed and kept (at most one of
 *     them per rule), but not enforced yet: bulkhead's own flood control
 *     (one alert per sid and flow) applies instead. flowbits and every
 *     other keyword are errors.
 *   - The engine (dpi_sig.h) refuses a rule that matches both the raw
 *     stream and a parsed buffer (content before and after a sticky
 *     buffer): write it as two rules.
 *   - Variables: the caller's table overrides the defaults HOME_NET=any,
 *     EXTERNAL_NET=any (east-west: every workload is both), the *_SERVERS
 *     variables of suricata.yaml = $HOME_NET, HTTP_PORTS=any (bulkhead finds
 *     HTTP on any port) and Suricata's other default port variables.
 *     A variable's value may use other variables (nesting of variables and
 *     lists at most DPI_RULES_MAX_VAR_DEPTH deep).
 *
 * Errors: every error in the file is reported through the callback as
 * "FILE:LINE:COL: message" (COL omitted when unknown), up to
 * DPI_RULES_MAX_ERRORS and then one "FILE: too many errors, giving up", and
 * the load fails; a caller keeps its previous set. A rule with an error is
 * still checked to its end, so one rule may report several errors; a
 * content that failed to parse does not drag its modifiers in.
 *
 * Thread safety: no globals. A loaded set is immutable and may be read from
 * any number of threads; dpi_rules_free() must not race with readers.
 */
#ifndef BULKHEAD_DPI_RULES_H
#define BULKHEAD_DPI_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPI_RULES_MAX_ERRORS 50
#define DPI_RULES_MAX_FILE (64u << 20)   /* bytes of one rule file */
#define DPI_RULES_MAX_RULE_LEN 65536     /* one logical rule, joined */
#define DPI_RULES_MAX_RULE_LINES 1024    /* physical lines of one rule */
#define DPI_RULES_MAX_MATCHES 256        /* content/pcre/... per rule */
#define DPI_RULES_MAX_REFERENCES 32
#define DPI_RULES_MAX_VAR_DEPTH 16       /* nested $VAR and [lists] */
#define DPI_RULES_MAX_EXPR_STEPS 100000  /* elements evaluated per address or
					  * port field, variables expanded */
#define DPI_RULES_MAX_CIDRS 4096         /* per compiled address set */
#define DPI_RULES_MAX_PORT_RANGES 4096

enum dpi_rule_action {
	DPI_RULE_ALERT,
	DPI_RULE_DROP,
	DPI_RULE_PASS,
	DPI_RULE_REJECT,
};

enum dpi_rule_proto {
	DPI_RULE_PROTO_IP,
	DPI_RULE_PROTO_TCP,
	DPI_RULE_PROTO_UDP,
	DPI_RULE_PROTO_HTTP,
	DPI_RULE_PROTO_DNS,
	DPI_RULE_PROTO_TLS,
};

/* The application a rule inspects: from its protocol, or from its buffers
 * (an alert tcp rule with http.uri is an HTTP rule, as in Suricata). */
enum dpi_rule_app {
	DPI_RULE_APP_NONE,
	DPI_RULE_APP_HTTP,
	DPI_RULE_APP_DNS,
	DPI_RULE_APP_TLS,
	DPI_RULE_APP_SQL,
};

/* Inspection buffers; names as in dpi_rule_buffer_name(). */
enum dpi_rule_buffer {
	DPI_RB_STREAM,            /* payload of the rule's direction */
	DPI_RB_HTTP_URI,          /* normalised */
	DPI_RB_HTTP_URI_RAW,
	DPI_RB_HTTP_METHOD,
	DPI_RB_HTTP_HOST,         /* lower-cased hostname */
	DPI_RB_HTTP_HEADER,
	DPI_RB_HTTP_USER_AGENT,
	DPI_RB_HTTP_COOKIE,
	DPI_RB_HTTP_REQUEST_BODY,
	DPI_RB_HTTP_PARAM,        /* each decoded parameter value */
	DPI_RB_DNS_QUERY,         /* each query name, lower-cased */
	DPI_RB_TLS_SNI,
	DPI_RB_SQL_QUERY,
	DPI_RB__COUNT
};

/* Buffer transforms (bit set in dpi_rule_match.transforms). */
#define DPI_RT_DOTPREFIX    0x01
#define DPI_RT_TO_LOWERCASE 0x02

enum dpi_rule_match_type {
	DPI_RM_CONTENT,
	DPI_RM_PCRE,
	DPI_RM_ISDATAAT,
	DPI_RM_BSIZE,
};

struct dpi_rule_match {
	enum dpi_rule_match_type type;
	enum dpi_rule_buffer buffer;
	uint8_t transforms;          /* DPI_RT_* */
	bool negated;                /* content:!"..", pcre:!"..", isdataat:!N, bsize:!N */
	int rel_to;                  /* index of the match a relative keyword
				      * refers to, or -1 */

	/* DPI_RM_CONTENT */
	const uint8_t *bytes;        /* decoded, @len bytes (not NUL-terminated) */
	size_t len;
	bool nocase, startswith, endswith, fast_pattern;
	bool has_offset, has_depth, has_distance, has_within;
	uint16_t offset, depth;      /* depth counts from offset */
	int32_t distance;            /* may be negative */
	uint16_t within;
	bool fp_chop;                /* fast_pattern:OFF,LEN */
	uint16_t fp_offset, fp_len;

	/* DPI_RM_PCRE */
	const char *pcre;            /* the pattern between the slashes */
	const char *pcre_flags;      /* subset of "ismxAEG", in rule order */
	bool relative;               /* pcre /R, isdataat ...,relative */

	/* DPI_RM_ISDATAAT: data at @isdataat (relative: past the previous
	 * match). DPI_RM_BSIZE: buffer size in [bsize_min, bsize_max]. */
	uint16_t isdataat;
	uint64_t bsize_min, bsize_max;

	unsigned line, col;          /* where the keyword is, for diagnostics */
};

/* An address set: sorted, disjoint CIDRs over 16-byte addresses; IPv4 is
 * mapped as ::ffff:a.b.c.d with prefix 96 + n. */
struct dpi_rule_cidr {
	uint8_t addr[16];
	uint8_t prefix;
};

struct dpi_rule_addrs {
	bool any;                    /* the set is every address */
	const struct dpi_rule_cidr *cidrs;
	size_t n;
};

struct dpi_rule_port_range {
	uint16_t lo, hi;             /* inclusive */
};

struct dpi_rule_ports {
	bool any;
	const struct dpi_rule_port_range *ranges;   /* sorted, disjoint */
	size_t n;
};

enum dpi_rule_flow_dir { DPI_FLOW_ANY_DIR, DPI_FLOW_TO_SERVER, DPI_FLOW_TO_CLIENT };
enum dpi_rule_flow_state {
	DPI_FLOW_ANY_STATE,
	DPI_FLOW_ESTABLISHED,
	DPI_FLOW_NOT_ESTABLISHED,
	DPI_FLOW_STATELESS,
};
enum dpi_rule_flow_stream { DPI_FLOW_ANY_STREAM, DPI_FLOW_ONLY_STREAM, DPI_FLOW_NO_STREAM };

enum dpi_rule_thr_type {
	DPI_THR_NONE,
	DPI_THR_LIMIT,               /* threshold: type limit */
	DPI_THR_THRESHOLD,           /* threshold: type threshold */
	DPI_THR_BOTH,                /* threshold: type both */
	DPI_THR_DETECTION_FILTER,    /* detection_filter */
};
enum dpi_rule_thr_track {
	DPI_TRACK_BY_SRC,
	DPI_TRACK_BY_DST,
	DPI_TRACK_BY_RULE,
	DPI_TRACK_BY_BOTH,
	DPI_TRACK_BY_FLOW,           /* Suricata 7 */
};

struct dpi_rule_threshold {
	enum dpi_rule_thr_type type;
	enum dpi_rule_thr_track track;
	uint32_t count, seconds;
};

struct dpi_rule {
	uint32_t sid, rev, gid;      /* rev 0 and gid 1 when not given */
	enum dpi_rule_action action;
	enum dpi_rule_proto proto;
	enum dpi_rule_app app;
	const char *msg;             /* never NULL ("" when absent) */
	const char *classtype;       /* NULL when absent */
	const char *category;        /* the classtype's description, or NULL */
	uint8_t priority;            /* 1 (highest) .. 255: priority:, else the
				      * classtype's, else 3; alerts report it as
				      * the severity, as Suricata's EVE does */
	const char *metadata;        /* all metadata values joined by ", ", or NULL */
	const char *const *references;   /* "type,value" texts */
	size_t n_references;

	struct dpi_rule_addrs src, dst;
	struct dpi_rule_ports sport, dport;
	bool bidirectional;          /* <> */
	enum dpi_rule_flow_dir flow_dir;
	enum dpi_rule_flow_state flow_state;
	enum dpi_rule_flow_stream flow_stream;
	struct dpi_rule_threshold threshold;

	const struct dpi_rule_match *matches;   /* in rule order */
	size_t n_matches;
	int fast_pattern;            /* index into matches, or -1 */

	const char *file;            /* the name given to the loader */
	unsigned line;               /* first physical line of the rule */
	uint16_t source;             /* index of its source in the load (0 for
				      * a single file or buffer) */
};

struct dpi_rules_arena;

struct dpi_rule_set {
	struct dpi_rule *rules;
	size_t n_rules;
	struct dpi_rules_arena *arena;   /* private: owns everything above */
};

/* A caller variable: @name without the '$', @value in rule syntax
 * ("[10.0.0.0/8,!10.1.0.0/16]", "$HOME_NET", "[80,8080:8090]"). */
struct dpi_rule_var {
	const char *name;
	const char *value;
};

struct dpi_rule_error {
	const char *file;
	unsigned line, col;          /* 0 when unknown */
	const char *msg;             /* plain message, no position */
	const char *text;            /* "FILE:LINE:COL: msg" */
};

/* Called once per error; the pointers are valid for the call only. */
typedef void (*dpi_rules_error_fn)(void *ctx, const struct dpi_rule_error *err);

/*
 * Parses @len bytes of @text (need not be NUL-terminated; a NUL byte is an
 * error) as the rule file called @name (used in messages and dpi_rule.file;
 * copied). @vars: the caller's variables, ended by an entry whose name is
 * NULL; NULL for the defaults only. @err_cb (may be NULL) is told of every
 * error, up to DPI_RULES_MAX_ERRORS.
 * Returns 0 and sets *@ret_set (free with dpi_rules_free()), -EINVAL if the
 * text has errors, -ENOMEM; *@ret_set is untouched on failure.
 * Reentrant: no shared state.
 */
int dpi_rules_load_buffer(const char *name, const char *text, size_t len,
			  const struct dpi_rule_var *vars, struct dpi_rule_set **ret_set,
			  dpi_rules_error_fn err_cb, void *err_ctx);

/* Reads the file @path (at most DPI_RULES_MAX_FILE bytes) and loads it as
 * dpi_rules_load_buffer() does. Also returns -errno when the file cannot be
 * read (reported through @err_cb too) and -EFBIG when it is too large. */
int dpi_rules_load_file(const char *path, const struct dpi_rule_var *vars,
			struct dpi_rule_set **ret_set, dpi_rules_error_fn err_cb, void *err_ctx);

/* Loads @n files into one set; sids must be unique across all of them. */
int dpi_rules_load_files(const char *const *paths, size_t n, const struct dpi_rule_var *vars,
			 struct dpi_rule_set **ret_set, dpi_rules_error_fn err_cb, void *err_ctx);

/* One input of dpi_rules_load_sources(): @text (@len bytes, as for
 * dpi_rules_load_buffer()) named @name, or, when @text is NULL, the file at
 * path @name. */
struct dpi_rule_source {
	const char *name;
	const char *text;
	size_t len;
};

/* Loads @n sources (at most 65536) into one set, as if one file; sids must be
 * unique across all of them; dpi_rule.source says where each rule came from. */
int dpi_rules_load_sources(const struct dpi_rule_source *src, size_t n,
			   const struct dpi_rule_var *vars, struct dpi_rule_set **ret_set,
			   dpi_rules_error_fn err_cb, void *err_ctx);

/* Frees a set and everything it points to; NULL is accepted. */
void dpi_rules_free(struct dpi_rule_set *set);

/*
 * The literal a prefilter should look for to select @r: the content marked
 * fast_pattern (cut to its fast_pattern:OFF,LEN chop), else the longest
 * content (the first of equals); a negated content is never chosen. Returns the match and
 * sets *@ret_p and *@ret_len to the literal's bytes (inside the match), or
 * returns NULL when the rule has no such content (pcre-only rules need a
 * different prefilter). Thread-safe.
 */
const struct dpi_rule_match *dpi_rule_fast_pattern(const struct dpi_rule *r, const uint8_t **ret_p,
						   size_t *ret_len);

/* Suricata's classification: the description and priority of classtype
 * @name. Returns false for an unknown name. Thread-safe. */
bool dpi_rules_classtype(const char *name, const char **ret_desc, uint8_t *ret_prio);

/* Membership tests for compiled sets. @addr16 is a 16-byte address (IPv4
 * mapped as ::ffff:a.b.c.d). Thread-safe. */
bool dpi_rule_addrs_match(const struct dpi_rule_addrs *a, const uint8_t addr16[16]);
bool dpi_rule_ports_match(const struct dpi_rule_ports *p, uint16_t port);

/* Static names: "http.uri", ..., "stream"; "alert"...; "http"...; NULL when
 * out of range. */
const char *dpi_rule_buffer_name(unsigned b);
const char *dpi_rule_action_name(unsigned a);
const char *dpi_rule_proto_name(unsigned p);

#endif
