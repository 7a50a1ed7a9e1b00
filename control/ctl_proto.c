/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_proto.c - frames, request validation and replies of the control
 * protocol (PROTOCOL.md). Requests come from whoever can open the socket,
 * so every field is checked here once, against the specification, and the
 * handlers can take args as they are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/dpi.h"
#include "ctl_proto.h"
#include "ctl_utf8.h"

static const char *const op_names[CTL_OP__MAX] = {
	[CTL_OP_PING] = "ping",
	[CTL_OP_POLICY_APPLY] = "policy.apply",
	[CTL_OP_POLICY_GET] = "policy.get",
	[CTL_OP_WORKLOADS_LIST] = "workloads.list",
	[CTL_OP_WORKLOADS_ADD] = "workloads.add",
	[CTL_OP_WORKLOADS_REMOVE] = "workloads.remove",
	[CTL_OP_FLOWS_LIST] = "flows.list",
	[CTL_OP_STATS] = "stats",
	[CTL_OP_EVENTS_SUBSCRIBE] = "events.subscribe",
	[CTL_OP_LEARN_EXPORT] = "learn.export",
	[CTL_OP_LOGS_REOPEN] = "logs.reopen",
	[CTL_OP_GRAPH] = "graph",
};

const char *ctl_op_name(enum ctl_op op)
{
	return (unsigned)op < CTL_OP__MAX ? op_names[op] : NULL;
}

int ctl_op_parse(const char *name, enum ctl_op *ret)
{
	for (unsigned i = 0; i < CTL_OP__MAX; i++)
		if (!strcmp(op_names[i], name)) {
			*ret = (enum ctl_op)i;
			return 0;
		}
	return -ENOENT;
}

/* What the daemon writes (ctl_eve.c's event names and its stats event). */
static const char *const event_types[] = {
	"alert", "anomaly", "dns", "flow", "http", "sql", "stats", "tls",
};

bool ctl_event_type_known(const char *type)
{
	for (size_t i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (!strcmp(event_types[i], type))
			return true;
	return false;
}

/* ------------------------------------------------------------ frames */

static uint32_t get_be32(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void put_be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

/* A buffer this large is given back once it is empty, so that one big
 * frame does not pin its memory for the connection's life. */
#define RX_KEEP (64u << 10)

void ctl_frame_rx_init(struct ctl_frame_rx *rx, uint32_t max)
{
	memset(rx, 0, sizeof(*rx));
	rx->max = max;
}

void ctl_frame_rx_free(struct ctl_frame_rx *rx)
{
	uint32_t max;

	if (!rx)
		return;
	max = rx->max;
	free(rx->buf);
	memset(rx, 0, sizeof(*rx));
	rx->max = max;
}

/* Room for @extra more bytes; growth doubles, but not past @upto (where
 * the frame being received ends), so a 64 MiB frame costs 64 MiB. */
static int rx_reserve(struct ctl_frame_rx *rx, size_t extra, size_t upto)
{
	size_t need, ncap;
	char *nb;

	if (rx->cap - rx->len >= extra)
		return 0;
	if (extra > SIZE_MAX - rx->len)
		return -ENOMEM;
	need = rx->len + extra;
	ncap = rx->cap ? rx->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > upto)
		ncap = upto > need ? upto : need;
	nb = realloc(rx->buf, ncap);
	if (!nb)
		return -ENOMEM;
	rx->buf = nb;
	rx->cap = ncap;
	return 0;
}

static int rx_append(struct ctl_frame_rx *rx, const char *p, size_t k, size_t upto)
{
	int r = rx_reserve(rx, k, upto);

	if (r < 0)
		return r;
	memcpy(rx->buf + rx->len, p, k);
	rx->len += k;
	return 0;
}

int ctl_frame_rx_push(struct ctl_frame_rx *rx, const void *data, size_t n)
{
	const char *p = data;

	if (rx->off) {
		memmove(rx->buf, rx->buf + rx->off, rx->len - rx->off);
		rx->len -= rx->off;
		rx->tail -= rx->off;
		rx->off = 0;
	}
	while (n) {
		size_t have = rx->len - rx->tail, k;
		uint32_t flen;
		int r;

		if (rx->discard) {
			k = n < rx->discard ? n : rx->discard;
			rx->discard -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		if (have < 4) {
			k = n < 4 - have ? n : 4 - have;
			r = rx_append(rx, p, k, SIZE_MAX);
			if (r < 0)
				return r;
			p += k;
			n -= k;
			if (rx->len - rx->tail < 4)
				continue;
			flen = get_be32(rx->buf + rx->tail);
			if (flen > rx->max) {
				/* Only the header stays, to be reported in order. */
				rx->discard = flen;
				rx->tail = rx->len;
			} else if (flen == 0) {
				rx->tail = rx->len;
			}
			continue;
		}
		flen = get_be32(rx->buf + rx->tail);
		k = flen - (have - 4);
		if (k > n)
			k = n;
		/* Grows with what arrives, not with what the header promises. */
		r = rx_append(rx, p, k, rx->tail + 4 + (size_t)flen);
		if (r < 0)
			return r;
		p += k;
		n -= k;
		if (rx->len - rx->tail - 4 == flen)
			rx->tail = rx->len;
	}
	return 0;
}

int ctl_frame_rx_next(struct ctl_frame_rx *rx, const char **ret_msg, size_t *ret_len)
{
	size_t avail;
	uint32_t flen;

	*ret_msg = NULL;
	*ret_len = 0;
	if (rx->off == rx->len) {
		rx->off = rx->len = rx->tail = 0;
		if (rx->cap > RX_KEEP) {
			free(rx->buf);
			rx->buf = NULL;
			rx->cap = 0;
		}
		return CTL_RX_NONE;
	}
	avail = rx->len - rx->off;
	if (avail < 4)
		return CTL_RX_NONE;
	flen = get_be32(rx->buf + rx->off);
	if (flen > rx->max) {
		if (rx->discard && rx->off + 4 == rx->len)
			return CTL_RX_NONE;
		rx->off += 4;
		/* size_t holds any uint32_t on the platforms we build for. */
		*ret_len = (size_t)flen;
		return CTL_RX_TOO_LARGE;
	}
	if (flen == 0) {
		rx->off += 4;
		return CTL_RX_EMPTY;
	}
	if (avail - 4 < flen)
		return CTL_RX_NONE;
	*ret_msg = rx->buf + rx->off + 4;
	*ret_len = flen;
	rx->off += 4 + (size_t)flen;
	return CTL_RX_FRAME;
}

size_t ctl_frame_rx_pending(const struct ctl_frame_rx *rx)
{
	return rx->len - rx->off;
}

int ctl_frame_encode(const json_t *obj, char **ret, size_t *ret_len)
{
	size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	char *buf;

	if (n == 0)
		return -EINVAL;
	if (n > CTL_FRAME_MAX)
		return -E2BIG;
	buf = malloc(n + 4);
	if (!buf)
		return -ENOMEM;
	if (json_dumpb(obj, buf + 4, n, JSON_COMPACT) != n) {
		free(buf);
		return -ENOMEM;
	}
	put_be32(buf, (uint32_t)n);
	*ret = buf;
	*ret_len = n + 4;
	return 0;
}

int ctl_frame_encode_event(const json_t *id, const char *eve, size_t len, char **ret,
			   size_t *ret_len)
{
	static const char head[] = "{\"v\":1,\"id\":", mid[] = ",\"event\":";
	char *idtext = NULL, *buf, *w;
	size_t idlen, total;
	int r = 0;

	while (len && (eve[len - 1] == '\n' || eve[len - 1] == '\r'))
		len--;
	if (!len || eve[0] != '{' || eve[len - 1] != '}')
		return -EINVAL;
	if (id) {
		idtext = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!idtext)
			return -ENOMEM;
		idlen = strlen(idtext);
	} else {
		idlen = 4;
	}
	total = sizeof(head) - 1 + idlen + sizeof(mid) - 1 + len + 1;
	if (len > CTL_FRAME_MAX || total > CTL_FRAME_MAX) {
		r = -E2BIG;
		goto out;
	}
	buf = malloc(total + 4);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	put_be32(buf, (uint32_t)total);
	w = buf + 4;
	memcpy(w, head, sizeof(head) - 1);
	w += sizeof(head) - 1;
	memcpy(w, idtext ? idtext : "null", idlen);
	w += idlen;
	memcpy(w, mid, sizeof(mid) - 1);
	w += sizeof(mid) - 1;
	memcpy(w, eve, len);
	w += len;
	*w = '}';
	*ret = buf;
	*ret_len = total + 4;
out:
	free(idtext);
	return r;
}

/* ------------------------------------------------------------ messages */

__attribute__((format(printf, 3, 4)))
static int fail(struct ctl_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	ctl_utf8_fix(err->message);
	return -EINVAL;
}

/* @path joined with @key ("args" + "files" = "args.files"), cut to fit. */
static const char *join(char *out, size_t size, const char *path, const char *key)
{
	if (snprintf(out, size, "%s%s%s", path, path[0] ? "." : "", key) >= (int)size)
		out[size - 1] = '\0'; /* cut: the message still names the place */
	return out;
}

/* ------------------------------------------------------------ arguments */

#define PATH_LEN 160

typedef int (*check_fn)(const json_t *v, const char *path, struct ctl_err *err);

struct field {
	const char *key;
	check_fn check;
	bool required;
};

static int check_object(const json_t *obj, const char *path, const struct field *fields,
			size_t n, struct ctl_err *err)
{
	char sub[PATH_LEN];
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return fail(err, "bad-request", "%s: not an object", path);
	json_object_foreach ((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; i < n && strcmp(fields[i].key, key); i++)
			;
		if (i == n)
			return fail(err, "bad-request", "%s: unknown key",
				    join(sub, sizeof(sub), path, key));
	}
	for (size_t i = 0; i < n; i++) {
		int r;

		join(sub, sizeof(sub), path, fields[i].key);
		v = json_object_get(obj, fields[i].key);
		if (!v) {
			if (fields[i].required)
				return fail(err, "bad-request", "%s: missing", sub);
			continue;
		}
		r = fields[i].check(v, sub, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_bool(const json_t *v, const char *path, struct ctl_err *err)
{
	return json_is_boolean(v) ? 0 : fail(err, "bad-request", "%s: not a boolean", path);
}

static int check_int(const json_t *v, const char *path, json_int_t min, json_int_t max,
		     struct ctl_err *err)
{
	json_int_t x;

	if (!json_is_integer(v))
		return fail(err, "bad-request", "%s: not an integer", path);
	x = json_integer_value(v);
	if (x < min || x > max)
		return fail(err, "bad-request", "%s: %lld is not in %lld..%lld", path, (long long)x,
			    (long long)min, (long long)max);
	return 0;
}

static int check_str(const json_t *v, const char *path, size_t min, size_t max,
		     struct ctl_err *err)
{
	size_t n;

	if (!json_is_string(v))
		return fail(err, "bad-request", "%s: not a string", path);
	n = json_string_length(v);
	if (n < min || n > max)
		return fail(err, "bad-request", "%s: %zu bytes long, not %zu to %zu", path, n, min,
			    max);
	return 0;
}

static int check_one_of(const json_t *v, const char *path, const char *const *names,
			const char *what, struct ctl_err *err)
{
	const char *s;

	if (!json_is_string(v))
		return fail(err, "bad-request", "%s: not a string", path);
	s = json_string_value(v);
	for (; *names; names++)
		if (!strcmp(*names, s))
			return 0;
	return fail(err, "bad-request", "%s: '%.40s' is not %s", path, s, what);
}

static int check_file(const json_t *v, const char *path, struct ctl_err *err);

static int check_file_name(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_str(v, path, 1, CTL_FILE_NAME_MAX, err);
}

static int check_file_text(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_str(v, path, 0, CTL_FILE_TEXT_MAX, err);
}

static const struct field file_fields[] = {
	{"name", check_file_name, true},
	{"text", check_file_text, true},
};

static int check_file(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_object(v, path, file_fields, sizeof(file_fields) / sizeof(file_fields[0]),
			    err);
}

/* An array of @min..@max elements, each passed to @each as PATH[i]. */
static int check_array(const json_t *v, const char *path, size_t min, size_t max,
		       check_fn each, struct ctl_err *err)
{
	char sub[PATH_LEN];
	size_t n;

	if (!json_is_array(v))
		return fail(err, "bad-request", "%s: not an array", path);
	n = json_array_size(v);
	if (n < min || n > max)
		return fail(err, "bad-request", "%s: %zu elements, not %zu to %zu", path, n, min,
			    max);
	for (size_t i = 0; i < n; i++) {
		int r;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		r = each(json_array_get(v, i), sub, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_files(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_array(v, path, 1, CTL_FILES_MAX, check_file, err);
}

static int check_wl_name(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_str(v, path, 1, CTL_WORKLOAD_NAME_MAX, err);
}

static int check_names(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_array(v, path, 1, CTL_NAMES_MAX, check_wl_name, err);
}

static int check_cidr(const json_t *v, const char *path, struct ctl_err *err)
{
	union bh_addr a;
	uint8_t plen;

	if (!json_is_string(v))
		return fail(err, "bad-request", "%s: not a string", path);
	if (ctl_cidr_parse(json_string_value(v), &a, &plen) < 0)
		return fail(err, "bad-request", "%s: '%.60s' is not an address or CIDR", path,
			    json_string_value(v));
	return 0;
}

static int check_port(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_int(v, path, 0, 65535, err);
}

static int check_proto(const json_t *v, const char *path, struct ctl_err *err)
{
	static const char *const names[] = {"TCP", "UDP", "ICMP", "IPv6-ICMP", NULL};

	return check_one_of(v, path, names, "TCP, UDP, ICMP or IPv6-ICMP", err);
}

static int check_action(const json_t *v, const char *path, struct ctl_err *err)
{
	static const char *const names[] = {"allow", "deny", "audit", "learn", NULL};

	return check_one_of(v, path, names, "allow, deny, audit or learn", err);
}

static int check_app_proto(const json_t *v, const char *path, struct ctl_err *err)
{
	const char *s;

	if (!json_is_string(v))
		return fail(err, "bad-request", "%s: not a string", path);
	s = json_string_value(v);
	for (unsigned i = 0; i < DPI_PROTO__MAX; i++)
		if (!strcmp(dpi_proto_name(i), s))
			return 0;
	return fail(err, "bad-request", "%s: '%.40s' is not an application protocol", path, s);
}

static const struct field filter_fields[] = {
	{"workload", check_wl_name, false},
	{"src", check_cidr, false},
	{"dst", check_cidr, false},
	{"port", check_port, false},
	{"proto", check_proto, false},
	{"app_proto", check_app_proto, false},
	{"action", check_action, false},
	{"offloaded", check_bool, false},
};

static int check_filter(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_object(v, path, filter_fields,
			    sizeof(filter_fields) / sizeof(filter_fields[0]), err);
}

static int check_limit(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_int(v, path, 1, CTL_LIMIT_MAX, err);
}

static int check_type(const json_t *v, const char *path, struct ctl_err *err)
{
	if (!json_is_string(v))
		return fail(err, "bad-request", "%s: not a string", path);
	if (!ctl_event_type_known(json_string_value(v)))
		return fail(err, "bad-request", "%s: '%.40s' is not an event type", path,
			    json_string_value(v));
	return 0;
}

static int check_types(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_array(v, path, 1, CTL_TYPES_MAX, check_type, err);
}

static int check_recent(const json_t *v, const char *path, struct ctl_err *err)
{
	return check_int(v, path, 0, CTL_RECENT_MAX, err);
}

static const struct field apply_fields[] = {
	{"files", check_files, true},
	{"dry_run", check_bool, false},
};
static const struct field remove_fields[] = {
	{"names", check_names, true},
	{"dry_run", check_bool, false},
};
static const struct field flows_fields[] = {
	{"filter", check_filter, false},
	{"limit", check_limit, false},
};
static const struct field subscribe_fields[] = {
	{"types", check_types, false},
	{"recent", check_recent, false},
	{"follow", check_bool, false},
};
static const struct field learn_fields[] = {
	{"reset", check_bool, false},
};

#define FIELDS(a) a, sizeof(a) / sizeof(a[0])

static const struct {
	const struct field *fields;
	size_t n;
} op_args[CTL_OP__MAX] = {
	[CTL_OP_POLICY_APPLY] = {FIELDS(apply_fields)},
	[CTL_OP_WORKLOADS_ADD] = {FIELDS(apply_fields)},
	[CTL_OP_WORKLOADS_REMOVE] = {FIELDS(remove_fields)},
	[CTL_OP_FLOWS_LIST] = {FIELDS(flows_fields)},
	[CTL_OP_EVENTS_SUBSCRIBE] = {FIELDS(subscribe_fields)},
	[CTL_OP_LEARN_EXPORT] = {FIELDS(learn_fields)},
};

/* ------------------------------------------------------------ requests */

#define ID_INT_MAX (1ll << 53)

static bool id_valid(const json_t *id)
{
	if (json_is_integer(id))
		return json_integer_value(id) >= 0 && json_integer_value(id) <= ID_INT_MAX;
	return json_is_string(id) && json_string_length(id) <= CTL_ID_MAX;
}

int ctl_req_decode(const char *text, size_t len, struct ctl_req *req, struct ctl_err *err)
{
	static const char *const top_keys[] = {"v", "id", "op", "args"};
	json_t *root = NULL, *id = NULL, *v, *op, *args;
	json_error_t jerr;
	const char *key;
	const void *nul;
	int r;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	if (len == 0) {
		r = fail(err, "bad-frame", "empty frame");
		goto out;
	}
	nul = memchr(text, '\0', len);
	if (nul) {
		r = fail(err, "bad-frame", "a NUL byte at offset %zu",
			 (size_t)((const char *)nul - text));
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		switch (json_error_code(&jerr)) {
		case json_error_out_of_memory:
			fail(err, "internal", "out of memory");
			r = -ENOMEM;
			break;
		case json_error_duplicate_key:
		case json_error_null_character:
		case json_error_numeric_overflow:
			/* Well-formed JSON that this protocol refuses. */
			r = fail(err, "bad-request", "%s (at byte %d)", jerr.text, jerr.position);
			break;
		default:
			r = fail(err, "bad-frame", "not a JSON object: %s (at byte %d)", jerr.text,
				 jerr.position);
			break;
		}
		goto out;
	}
	if (!json_is_object(root)) {
		r = fail(err, "bad-frame", "not a JSON object");
		goto out;
	}
	id = json_object_get(root, "id");
	if (!id) {
		r = fail(err, "bad-request", "id: missing");
		goto out;
	}
	if (!id_valid(id)) {
		id = NULL;
		r = fail(err, "bad-request",
			 "id: not an integer in 0..2^53 or a string of at most %d bytes", CTL_ID_MAX);
		goto out;
	}
	v = json_object_get(root, "v");
	if (!v) {
		r = fail(err, "bad-request", "v: missing");
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != CTL_PROTO_VERSION) {
		if (json_is_integer(v))
			r = fail(err, "unsupported-version",
				 "v: version %lld is not supported (this daemon speaks %d)",
				 (long long)json_integer_value(v), CTL_PROTO_VERSION);
		else
			r = fail(err, "unsupported-version",
				 "v: not a version number (this daemon speaks %d)",
				 CTL_PROTO_VERSION);
		goto out;
	}
	json_object_foreach (root, key, v) {
		size_t i;

		for (i = 0; i < 4 && strcmp(top_keys[i], key); i++)
			;
		if (i == 4) {
			char sub[PATH_LEN];

			r = fail(err, "bad-request", "%s: unknown key", join(sub, sizeof(sub), "", key));
			goto out;
		}
	}
	op = json_object_get(root, "op");
	if (!op) {
		r = fail(err, "bad-request", "op: missing");
		goto out;
	}
	if (!json_is_string(op)) {
		r = fail(err, "bad-request", "op: not a string");
		goto out;
	}
	if (ctl_op_parse(json_string_value(op), &req->op) < 0) {
		r = fail(err, "unknown-op", "op: no operation '%.64s'", json_string_value(op));
		goto out;
	}
	args = json_object_get(root, "args");
	if (!args) {
		if (json_object_set_new(root, "args", json_object()) < 0) {
			fail(err, "internal", "out of memory");
			r = -ENOMEM;
			goto out;
		}
		args = json_object_get(root, "args");
	}
	r = check_object(args, "args", op_args[req->op].fields, op_args[req->op].n, err);
	if (r < 0)
		goto out;
	req->root = root;
	req->id = id;
	req->args = args;
	root = NULL;
out:
	if (r < 0) {
		if (id)
			err->id = json_incref(id);
		req->op = 0;
	}
	json_decref(root);
	return r;
}

void ctl_req_free(struct ctl_req *req)
{
	if (!req)
		return;
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

void ctl_err_free(struct ctl_err *err)
{
	if (!err)
		return;
	json_decref(err->id);
	err->id = NULL;
}

/* ------------------------------------------------------------ replies */

static json_t *reply_new(const json_t *id, bool ok)
{
	json_t *r = json_object();

	if (!r)
		return NULL;
	if (json_object_set_new(r, "v", json_integer(CTL_PROTO_VERSION)) < 0 ||
	    json_object_set_new(r, "id", id ? json_incref((json_t *)id) : json_null()) < 0 ||
	    json_object_set_new(r, "ok", json_boolean(ok)) < 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *ctl_reply_ok(const json_t *id, json_t *result)
{
	json_t *r = reply_new(id, true);

	if (!result)
		result = json_object();
	if (!r || json_object_set_new(r, "result", result) < 0) {
		if (!r)
			json_decref(result);
		json_decref(r);
		return NULL;
	}
	return r;
}

/* @s as a JSON string, stray bytes as '?'. */
static json_t *safe_string(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *copy;

	if (j || !s)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	ctl_utf8_fix(copy);
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *ctl_reply_error(const json_t *id, const char *code, const char *message, json_t *details)
{
	json_t *r = reply_new(id, false), *e = json_object();

	if (!r || !e)
		goto fail;
	if (json_object_set_new(e, "code", json_string(code ? code : "internal")) < 0 ||
	    json_object_set_new(e, "message", safe_string(message)) < 0)
		goto fail;
	if (details) {
		json_t *d = details;

		details = NULL;
		if (json_object_set_new(e, "details", d) < 0)
			goto fail;
	}
	if (code && !strcmp(code, "unsupported-version")) {
		json_t *sup = json_array();

		if (json_object_set_new(e, "supported", sup) < 0 ||
		    json_array_append_new(sup, json_integer(CTL_PROTO_VERSION)) < 0)
			goto fail;
	}
	if (json_object_set_new(r, "error", e) < 0) {
		e = NULL;
		goto fail;
	}
	return r;
fail:
	json_decref(details);
	json_decref(e);
	json_decref(r);
	return NULL;
}

json_t *ctl_err_reply(const struct ctl_err *err)
{
	return ctl_reply_error(err->id, err->code ? err->code : "internal", err->message, NULL);
}

/* ------------------------------------------------------------ addresses */

int ctl_cidr_parse(const char *s, union bh_addr *ret_net, uint8_t *ret_plen)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	union bh_addr a = {0};
	unsigned plen, max;
	bool v6 = memchr(s, ':', alen) != NULL;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (v6) {
		if (inet_pton(AF_INET6, addr, a.b) != 1)
			return -EINVAL;
		max = 128;
	} else {
		a.b[10] = a.b[11] = 0xff;
		if (inet_pton(AF_INET, addr, a.b + 12) != 1)
			return -EINVAL;
		max = 32;
	}
	plen = max;
	if (slash) {
		const char *p = slash + 1;

		if (!*p || strlen(p) > 3)
			return -EINVAL;
		plen = 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			plen = plen * 10 + (unsigned)(*p - '0');
		}
		if (plen > max)
			return -EINVAL;
	}
	if (!v6)
		plen += 96;
	for (unsigned i = plen; i < 128; i++)
		a.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	*ret_net = a;
	*ret_plen = (uint8_t)plen;
	return 0;
}

bool ctl_cidr_match(const union bh_addr *net, uint8_t plen, const union bh_addr *a)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (plen > 128)
		return false;
	if (memcmp(net->b, a->b, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));

		return (net->b[full] & mask) == (a->b[full] & mask);
	}
	return true;
}
