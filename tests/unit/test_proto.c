/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_proto.c - the control protocol's codec (ctl_proto.h): frame
 * reassembly cut at every byte, many frames at once, oversized frames
 * discarded without being buffered (up to a declared 4 GiB), empty frames;
 * every operation decoded with good arguments and refused, with the right
 * code, message and echoed id, for each way a request can be wrong (each
 * request text read from a buffer that ends at a guard page); replies and
 * event frames encoded and read back; address and CIDR filters.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bh_test.h"
#include "ctl_proto.h"

/* ------------------------------------------------------------ frames */

/* @msg framed: 4-byte big-endian length, then the bytes. */
static size_t frame(char *out, const char *msg, size_t len)
{
	out[0] = (char)(len >> 24);
	out[1] = (char)(len >> 16);
	out[2] = (char)(len >> 8);
	out[3] = (char)len;
	memcpy(out + 4, msg, len);
	return len + 4;
}

/* What came out of the reassembler: kinds and texts, one per line. */
struct seen {
	char text[8192];
	size_t len;
	unsigned frames, too_large, empty;
};

static void drain(struct ctl_frame_rx *rx, struct seen *s)
{
	const char *msg;
	size_t len;
	int r;

	while ((r = ctl_frame_rx_next(rx, &msg, &len)) != CTL_RX_NONE) {
		int n = 0;

		if (r == CTL_RX_FRAME) {
			s->frames++;
			n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "F %.*s\n", (int)len,
				     msg);
		} else if (r == CTL_RX_TOO_LARGE) {
			s->too_large++;
			CHECK(msg == NULL);
			n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "L %zu\n", len);
		} else if (r == CTL_RX_EMPTY) {
			s->empty++;
			CHECK(msg == NULL && len == 0);
			n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "E\n");
		} else {
			CHECK(!"unknown result");
			return;
		}
		if (n > 0 && (size_t)n < sizeof(s->text) - s->len)
			s->len += (size_t)n;
	}
}

/* A stream of frames: a request, an empty one, an oversized one (for
 * max 64), another request. */
static size_t sample_stream(char *buf)
{
	static const char a[] = "{\"v\":1,\"id\":1,\"op\":\"ping\"}";
	static const char b[] = "{\"v\":1,\"id\":\"x\",\"op\":\"stats\"}";
	char big[200];
	size_t n = 0;

	memset(big, 'x', sizeof(big));
	n += frame(buf + n, a, sizeof(a) - 1);
	n += frame(buf + n, "", 0);
	n += frame(buf + n, big, sizeof(big));
	n += frame(buf + n, b, sizeof(b) - 1);
	return n;
}

static const char sample_want[] = "F {\"v\":1,\"id\":1,\"op\":\"ping\"}\n"
				  "E\n"
				  "L 200\n"
				  "F {\"v\":1,\"id\":\"x\",\"op\":\"stats\"}\n";

static void test_split_everywhere(void)
{
	char buf[512];
	size_t n = sample_stream(buf);

	/* In two pieces cut at every byte, each piece in its own exact-size
	 * allocation. */
	for (size_t cut = 0; cut <= n; cut++) {
		struct ctl_frame_rx rx;
		struct seen s = {0};
		uint8_t *p1 = guard_dup(buf, cut), *p2 = guard_dup(buf + cut, n - cut);

		ctl_frame_rx_init(&rx, 64);
		CHECK_EQ(ctl_frame_rx_push(&rx, p1, cut), 0);
		drain(&rx, &s);
		CHECK_EQ(ctl_frame_rx_push(&rx, p2, n - cut), 0);
		drain(&rx, &s);
		if (s.len != sizeof(sample_want) - 1 || memcmp(s.text, sample_want, s.len)) {
			fprintf(stderr, "cut %zu: got\n%.*s", cut, (int)s.len, s.text);
			CHECK(!"split stream");
		}
		/* The oversized body was never kept. */
		CHECK(rx.cap <= 256);
		CHECK_EQ(ctl_frame_rx_pending(&rx), 0);
		ctl_frame_rx_free(&rx);
		guard_free(p1, cut);
		guard_free(p2, n - cut);
	}
	/* Byte by byte. */
	{
		struct ctl_frame_rx rx;
		struct seen s = {0};

		ctl_frame_rx_init(&rx, 64);
		for (size_t i = 0; i < n; i++) {
			CHECK_EQ(ctl_frame_rx_push(&rx, buf + i, 1), 0);
			drain(&rx, &s);
		}
		CHECK(s.len == sizeof(sample_want) - 1 && !memcmp(s.text, sample_want, s.len));
		ctl_frame_rx_free(&rx);
	}
	/* All at once, and drained only at the end. */
	{
		struct ctl_frame_rx rx;
		struct seen s = {0};

		ctl_frame_rx_init(&rx, 64);
		CHECK_EQ(ctl_frame_rx_push(&rx, buf, n), 0);
		drain(&rx, &s);
		CHECK(s.len == sizeof(sample_want) - 1 && !memcmp(s.text, sample_want, s.len));
		ctl_frame_rx_free(&rx);
	}
}

static void test_many_frames(void)
{
	enum { N = 2000 };
	struct ctl_frame_rx rx;
	char *buf = malloc(N * 40), msg[32];
	size_t n = 0, got = 0, half;
	const char *m;
	size_t len;
	int r;

	if (!buf)
		abort();
	for (int i = 0; i < N; i++) {
		int k = snprintf(msg, sizeof(msg), "{\"id\":%d}", i);

		n += frame(buf + n, msg, (size_t)k);
	}
	ctl_frame_rx_init(&rx, CTL_FRAME_MAX);
	/* A push that ends in the middle of a frame, then the rest. */
	half = n / 2 + 3;
	CHECK_EQ(ctl_frame_rx_push(&rx, buf, half), 0);
	while ((r = ctl_frame_rx_next(&rx, &m, &len)) == CTL_RX_FRAME) {
		int k = snprintf(msg, sizeof(msg), "{\"id\":%zu}", got);

		CHECK(len == (size_t)k && !memcmp(m, msg, len));
		got++;
	}
	CHECK_EQ(r, CTL_RX_NONE);
	CHECK(got > 0 && got < N);
	CHECK_EQ(ctl_frame_rx_push(&rx, buf + half, n - half), 0);
	while ((r = ctl_frame_rx_next(&rx, &m, &len)) == CTL_RX_FRAME) {
		int k = snprintf(msg, sizeof(msg), "{\"id\":%zu}", got);

		CHECK(len == (size_t)k && !memcmp(m, msg, len));
		got++;
	}
	CHECK_EQ(r, CTL_RX_NONE);
	CHECK_EQ(got, N);
	CHECK_EQ(ctl_frame_rx_pending(&rx), 0);
	ctl_frame_rx_free(&rx);
	free(buf);
}

/* An oversized frame is discarded exactly: not reported before its last
 * byte, the next frame read whole, nothing of it buffered. */
static void test_too_large(void)
{
	static const char after[] = "{\"after\":true}";
	struct ctl_frame_rx rx;
	char hdr[4], tail[64];
	static char junk[1 << 20];
	const char *m;
	size_t len, tn;
	uint64_t left;

	ctl_frame_rx_init(&rx, 4096);
	/* 4097 bytes: one past the limit. */
	frame(hdr, "", 0);
	hdr[2] = 0x10;
	hdr[3] = 0x01;
	CHECK_EQ(ctl_frame_rx_push(&rx, hdr, 4), 0);
	CHECK_EQ(ctl_frame_rx_push(&rx, junk, 4096), 0);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_NONE);
	tn = frame(tail, after, sizeof(after) - 1);
	/* The last byte of the big one and the next frame in one push. */
	memmove(tail + 1, tail, tn);
	tail[0] = 'x';
	CHECK_EQ(ctl_frame_rx_push(&rx, tail, tn + 1), 0);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_TOO_LARGE);
	CHECK_EQ(len, 4097);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_FRAME);
	CHECK(len == sizeof(after) - 1 && !memcmp(m, after, len));
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_NONE);
	CHECK(rx.cap <= 256);
	ctl_frame_rx_free(&rx);

	/* A declared 0xffffffff: 4 GiB go by, none of it kept. */
	ctl_frame_rx_init(&rx, CTL_FRAME_MAX);
	memset(hdr, 0xff, 4);
	CHECK_EQ(ctl_frame_rx_push(&rx, hdr, 4), 0);
	for (left = 0xffffffffull; left > 0;) {
		size_t k = left < sizeof(junk) ? (size_t)left : sizeof(junk);

		if (ctl_frame_rx_push(&rx, junk, k) != 0) {
			CHECK(!"push");
			break;
		}
		left -= k;
		if (left && ctl_frame_rx_next(&rx, &m, &len) != CTL_RX_NONE) {
			CHECK(!"reported early");
			break;
		}
		if (rx.cap > 256 || ctl_frame_rx_pending(&rx) != 4) {
			CHECK(!"buffered");
			break;
		}
	}
	tn = frame(tail, after, sizeof(after) - 1);
	CHECK_EQ(ctl_frame_rx_push(&rx, tail, tn), 0);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_TOO_LARGE);
	CHECK_EQ(len, 0xffffffffull);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_FRAME);
	CHECK(len == sizeof(after) - 1 && !memcmp(m, after, len));
	ctl_frame_rx_free(&rx);

	/* max 0: every non-empty frame is too large. */
	ctl_frame_rx_init(&rx, 0);
	tn = frame(tail, "{}", 2);
	CHECK_EQ(ctl_frame_rx_push(&rx, tail, tn), 0);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_TOO_LARGE);
	CHECK_EQ(len, 2);
	ctl_frame_rx_free(&rx);
}

/* A large frame arriving in pieces is buffered as it comes, returned whole,
 * and its buffer given back afterwards. */
static void test_large_frame(void)
{
	size_t body = 3u << 20;
	char *buf = malloc(body + 4);
	struct ctl_frame_rx rx;
	const char *m;
	size_t len;

	if (!buf)
		abort();
	memset(buf + 4, 'y', body);
	buf[0] = 0;
	buf[1] = 0x30;
	buf[2] = 0;
	buf[3] = 0;
	ctl_frame_rx_init(&rx, CTL_FRAME_MAX);
	for (size_t off = 0; off < body + 4; off += 65536) {
		size_t k = body + 4 - off < 65536 ? body + 4 - off : 65536;

		CHECK_EQ(ctl_frame_rx_push(&rx, buf + off, k), 0);
	}
	/* Doubling stops where the frame ends. */
	CHECK_EQ(rx.cap, body + 4);
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_FRAME);
	CHECK(len == body && m[0] == 'y' && m[body - 1] == 'y');
	CHECK_EQ(ctl_frame_rx_next(&rx, &m, &len), CTL_RX_NONE);
	CHECK(rx.buf == NULL && rx.cap == 0);
	ctl_frame_rx_free(&rx);
	free(buf);
}

static void test_encode(void)
{
	json_t *obj = json_pack("{s:i, s:s, s:[i,i]}", "v", 1, "op", "ping\"é", "x", 1, 2);
	json_t *back, *big;
	char *out = NULL;
	size_t len = 0;
	uint32_t n;
	char *huge;

	CHECK_EQ(ctl_frame_encode(obj, &out, &len), 0);
	CHECK(len > 4);
	n = (uint32_t)(uint8_t)out[0] << 24 | (uint32_t)(uint8_t)out[1] << 16 |
	    (uint32_t)(uint8_t)out[2] << 8 | (uint8_t)out[3];
	CHECK_EQ(n, len - 4);
	CHECK(memchr(out + 4, '\n', len - 4) == NULL && memchr(out + 4, ' ', len - 4) == NULL);
	back = json_loadb(out + 4, len - 4, 0, NULL);
	CHECK(back && json_equal(back, obj));
	json_decref(back);
	free(out);
	json_decref(obj);

	/* Past 64 MiB: refused, nothing returned. */
	huge = malloc(CTL_FRAME_MAX + 1);
	if (!huge)
		abort();
	memset(huge, 'a', CTL_FRAME_MAX);
	huge[CTL_FRAME_MAX] = '\0';
	big = json_object();
	json_object_set_new(big, "s", json_string(huge));
	out = NULL;
	CHECK_EQ(ctl_frame_encode(big, &out, &len), -E2BIG);
	CHECK(out == NULL);
	json_decref(big);
	free(huge);
}

static void test_encode_event(void)
{
	static const char eve[] = "{\"timestamp\":\"2026-11-22T10:51:42.123456Z\",\"event_type\":"
				  "\"http\",\"http\":{\"url\":\"/a\\\"b\\u00e9\"},\"n\":1.5}\n";
	json_t *ids[3] = {json_integer(42), json_string("sub-1"), NULL};

	for (int i = 0; i < 3; i++) {
		char *out = NULL;
		size_t len = 0;
		json_t *back, *want = json_loads(eve, 0, NULL);

		CHECK_EQ(ctl_frame_encode_event(ids[i], eve, sizeof(eve) - 1, &out, &len), 0);
		if (!out)
			continue;
		CHECK_EQ(((uint32_t)(uint8_t)out[2] << 8 | (uint8_t)out[3]), len - 4);
		back = json_loadb(out + 4, len - 4, 0, NULL);
		CHECK(back != NULL);
		CHECK_EQ(json_integer_value(json_object_get(back, "v")), 1);
		CHECK(ids[i] ? json_equal(json_object_get(back, "id"), ids[i])
			     : json_is_null(json_object_get(back, "id")));
		CHECK(json_equal(json_object_get(back, "event"), want));
		CHECK_EQ(json_object_size(back), 3);
		/* Verbatim, without the newline. */
		CHECK(memmem(out + 4, len - 4, eve, sizeof(eve) - 2) != NULL);
		CHECK(out[len - 1] == '}' && out[len - 2] == '}');
		json_decref(back);
		json_decref(want);
		free(out);
	}
	{
		char *out = NULL;
		size_t len;

		CHECK_EQ(ctl_frame_encode_event(ids[0], "", 0, &out, &len), -EINVAL);
		CHECK_EQ(ctl_frame_encode_event(ids[0], "\n", 1, &out, &len), -EINVAL);
		CHECK_EQ(ctl_frame_encode_event(ids[0], "[1]", 3, &out, &len), -EINVAL);
		CHECK(out == NULL);
		/* Exact length: no trailing newline needed. */
		CHECK_EQ(ctl_frame_encode_event(ids[0], "{}", 2, &out, &len), 0);
		CHECK(out && len == 4 + strlen("{\"v\":1,\"id\":42,\"event\":{}}") &&
		      !memcmp(out + 4, "{\"v\":1,\"id\":42,\"event\":{}}", len - 4));
		free(out);
	}
	json_decref(ids[0]);
	json_decref(ids[1]);
}

/* ------------------------------------------------------------ requests */

/* Decodes @len bytes of @text from a guard-page copy. */
static int decode(const char *text, size_t len, struct ctl_req *req, struct ctl_err *err)
{
	uint8_t *g = guard_dup(text, len);
	int r = ctl_req_decode((const char *)g, len, req, err);

	guard_free(g, len);
	return r;
}

static void good_case(const char *text, enum ctl_op op, int line)
{
	struct ctl_req req;
	struct ctl_err err;
	int r = decode(text, strlen(text), &req, &err);

	bh_test_checks++;
	if (r != 0 || req.op != op || !req.root || !req.id || !json_is_object(req.args)) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: refused (%s: %s): %s\n", __FILE__, line,
			err.code ? err.code : "-", err.message, text);
	}
	CHECK(err.id == NULL);
	ctl_req_free(&req);
	ctl_err_free(&err);
}

#define GOOD(text, op) good_case(text, op, __LINE__)

/* @text is refused with @code, a message that contains @msg, and the id
 * @id (JSON text) or none. */
static void bad_case(const char *text, size_t len, const char *code, const char *msg,
		     const char *id, int line)
{
	struct ctl_req req;
	struct ctl_err err;
	json_t *want = id ? json_loads(id, JSON_DECODE_ANY, NULL) : NULL, *s;
	int r = decode(text, len, &req, &err);
	bool ok = r == -EINVAL && err.code && !strcmp(err.code, code) &&
		  strstr(err.message, msg) != NULL &&
		  (want ? err.id && json_equal(err.id, want) : err.id == NULL) && !req.root;

	bh_test_checks++;
	if (!ok) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: %.*s\n  got %d %s \"%s\" id %s\n", __FILE__, line,
			(int)(len > 200 ? 200 : len), text, r, err.code ? err.code : "-",
			err.message, err.id ? "set" : "none");
	}
	/* The message can always go into a reply. */
	s = json_string(err.message);
	CHECK(s != NULL);
	json_decref(s);
	json_decref(want);
	ctl_req_free(&req);
	ctl_err_free(&err);
}

#define BAD(text, code, msg, id) bad_case(text, sizeof(text) - 1, code, msg, id, __LINE__)
#define BAD_S(text, code, msg, id) bad_case(text, strlen(text), code, msg, id, __LINE__)

#define REQ(op, args) "{\"v\":1,\"id\":7,\"op\":\"" op "\",\"args\":" args "}"

static void test_decode_good(void)
{
	struct ctl_req req;
	struct ctl_err err;

	GOOD("{\"v\":1,\"id\":1,\"op\":\"ping\"}", CTL_OP_PING);
	GOOD("{\"op\":\"ping\",\"args\":{},\"id\":\"abc\",\"v\":1}", CTL_OP_PING);
	GOOD(" {\"v\":1,\"id\":0,\"op\":\"ping\"}\n", CTL_OP_PING);
	GOOD("{\"v\":1,\"id\":9007199254740992,\"op\":\"ping\"}", CTL_OP_PING);
	GOOD("{\"v\":1,\"id\":\"\",\"op\":\"ping\"}", CTL_OP_PING);
	GOOD("{\"v\":1,\"id\":\"0123456789012345678901234567890123456789012345678901234567890123\","
	     "\"op\":\"ping\"}",
	     CTL_OP_PING);
	GOOD(REQ("policy.apply", "{\"files\":[{\"name\":\"shop.yaml\",\"text\":\"kind: Workload\\n\"}],"
				 "\"dry_run\":true}"),
	     CTL_OP_POLICY_APPLY);
	GOOD(REQ("policy.apply", "{\"files\":[{\"text\":\"\",\"name\":\"é.yaml\"}]}"),
	     CTL_OP_POLICY_APPLY);
	GOOD("{\"v\":1,\"id\":7,\"op\":\"policy.get\"}", CTL_OP_POLICY_GET);
	GOOD("{\"v\":1,\"id\":7,\"op\":\"workloads.list\",\"args\":{}}", CTL_OP_WORKLOADS_LIST);
	GOOD(REQ("workloads.add", "{\"files\":[{\"name\":\"a\",\"text\":\"x\"},{\"name\":\"b\","
				  "\"text\":\"y\"}],\"dry_run\":false}"),
	     CTL_OP_WORKLOADS_ADD);
	GOOD(REQ("workloads.remove", "{\"names\":[\"a\",\"b\"]}"), CTL_OP_WORKLOADS_REMOVE);
	GOOD(REQ("workloads.remove", "{\"names\":[\"a\"],\"dry_run\":true}"),
	     CTL_OP_WORKLOADS_REMOVE);
	GOOD(REQ("flows.list", "{}"), CTL_OP_FLOWS_LIST);
	GOOD(REQ("flows.list", "{\"filter\":{\"workload\":\"web\",\"src\":\"10.0.0.1\",\"dst\":"
			       "\"10.0.0.0/8\",\"port\":8080,\"proto\":\"TCP\",\"app_proto\":"
			       "\"http\",\"action\":\"deny\",\"offloaded\":false},\"limit\":1}"),
	     CTL_OP_FLOWS_LIST);
	GOOD(REQ("flows.list", "{\"filter\":{\"src\":\"fd00::/64\",\"dst\":\"::1\",\"port\":0,"
			       "\"proto\":\"IPv6-ICMP\"},\"limit\":1000000}"),
	     CTL_OP_FLOWS_LIST);
	GOOD(REQ("flows.list", "{\"filter\":{\"src\":\"10.1.2.3/8\",\"dst\":\"0.0.0.0/0\","
			       "\"port\":65535,\"proto\":\"UDP\",\"app_proto\":\"unknown\"}}"),
	     CTL_OP_FLOWS_LIST);
	GOOD("{\"v\":1,\"id\":7,\"op\":\"stats\"}", CTL_OP_STATS);
	GOOD(REQ("events.subscribe", "{}"), CTL_OP_EVENTS_SUBSCRIBE);
	GOOD(REQ("events.subscribe", "{\"types\":[\"alert\",\"http\",\"flow\"],\"recent\":1024,"
				     "\"follow\":true}"),
	     CTL_OP_EVENTS_SUBSCRIBE);
	GOOD(REQ("events.subscribe", "{\"recent\":0,\"follow\":false}"), CTL_OP_EVENTS_SUBSCRIBE);
	GOOD(REQ("learn.export", "{\"reset\":true}"), CTL_OP_LEARN_EXPORT);
	GOOD("{\"v\":1,\"id\":7,\"op\":\"learn.export\"}", CTL_OP_LEARN_EXPORT);
	GOOD("{\"v\":1,\"id\":7,\"op\":\"logs.reopen\"}", CTL_OP_LOGS_REOPEN);
	GOOD("{\"v\":1,\"id\":7,\"op\":\"graph\",\"args\":{}}", CTL_OP_GRAPH);

	/* What the handler gets. */
	CHECK_EQ(decode(REQ("workloads.remove", "{\"names\":[\"a\"]}"),
			sizeof(REQ("workloads.remove", "{\"names\":[\"a\"]}")) - 1, &req, &err),
		 0);
	CHECK(json_integer_value(req.id) == 7);
	CHECK(!strcmp(json_string_value(json_array_get(json_object_get(req.args, "names"), 0)),
		      "a"));
	ctl_req_free(&req);
	ctl_req_free(&req); /* twice is fine */
	CHECK_EQ(decode("{\"v\":1,\"id\":\"q\",\"op\":\"stats\"}", strlen("{\"v\":1,\"id\":\"q\",\"op\":\"stats\"}"), &req, &err), 0);
	CHECK(json_is_string(req.id) && !strcmp(json_string_value(req.id), "q"));
	CHECK(json_is_object(req.args) && json_object_size(req.args) == 0);
	ctl_req_free(&req);

	/* The limits exactly: 64 files, 1024 names. */
	{
		char *t = malloc(64 * 40 + 100);
		size_t n = 0;

		if (!t)
			abort();
		n += (size_t)snprintf(t, 100, "{\"v\":1,\"id\":1,\"op\":\"policy.apply\",\"args\":{\"files\":[");
		for (int i = 0; i < 64; i++)
			n += (size_t)snprintf(t + n, 40, "%s{\"name\":\"f%d\",\"text\":\"\"}", i ? "," : "",
					      i);
		n += (size_t)snprintf(t + n, 10, "]}}");
		GOOD(t, CTL_OP_POLICY_APPLY);
		/* One more is too many. */
		n -= 3;
		n += (size_t)snprintf(t + n, 40, ",{\"name\":\"x\",\"text\":\"\"}]}}");
		BAD_S(t, "bad-request", "args.files: 65 elements", "1");
		free(t);
	}
	{
		char *t = malloc(1025 * 8 + 100);
		size_t n = 0;

		if (!t)
			abort();
		n += (size_t)snprintf(t, 100, "{\"v\":1,\"id\":1,\"op\":\"workloads.remove\",\"args\":{\"names\":[");
		for (int i = 0; i < 1024; i++)
			n += (size_t)snprintf(t + n, 8, "%s\"%d\"", i ? "," : "", i);
		n += (size_t)snprintf(t + n, 10, "]}}");
		GOOD(t, CTL_OP_WORKLOADS_REMOVE);
		n -= 3;
		n += (size_t)snprintf(t + n, 20, ",\"x\"]}}");
		BAD_S(t, "bad-request", "args.names: 1025 elements", "1");
		free(t);
	}
}

static void test_decode_bad_frame(void)
{
	static const char nul[] = "{\"v\":1,\"id\":1,\0\"op\":\"ping\"}";
	static const char nul_end[] = "{\"v\":1,\"id\":1,\"op\":\"ping\"}\0";

	BAD("", "bad-frame", "empty", NULL);
	BAD("not json", "bad-frame", "not a JSON object", NULL);
	BAD("[1,2]", "bad-frame", "not a JSON object", NULL);
	BAD("\"ping\"", "bad-frame", "not a JSON object", NULL);
	BAD("7", "bad-frame", "not a JSON object", NULL);
	BAD("null", "bad-frame", "not a JSON object", NULL);
	BAD("{\"v\":1,\"id\":1,\"op\":\"ping\"} x", "bad-frame", "not a JSON object", NULL);
	BAD("{\"v\":1,\"id\":1,\"op\":\"ping\"}{}", "bad-frame", "not a JSON object", NULL);
	BAD("{\"v\":1,\"id\":1,\"op\":\"ping\"", "bad-frame", "not a JSON object", NULL);
	bad_case(nul, sizeof(nul) - 1, "bad-frame", "NUL byte at offset 14", NULL, __LINE__);
	bad_case(nul_end, sizeof(nul_end) - 1, "bad-frame", "NUL", NULL, __LINE__);
	/* Not UTF-8: the message quoting it stays valid UTF-8. */
	BAD("{\"v\":1,\"id\":1,\"op\":\"p\xe9ng\"}", "bad-frame", "not a JSON object", NULL);
	BAD("{\"v\":1,\"id\":1,\"op\":\"\xc0\xaf\"}", "bad-frame", "", NULL);
	BAD("\xff\xfe{}", "bad-frame", "", NULL);
}

static void test_decode_bad_request(void)
{
	char *big;

	/* Version. */
	BAD("{\"v\":2,\"id\":5,\"op\":\"ping\"}", "unsupported-version", "version 2", "5");
	BAD("{\"v\":\"1\",\"id\":5,\"op\":\"ping\"}", "unsupported-version", "v:", "5");
	BAD("{\"v\":1.0,\"id\":5,\"op\":\"ping\"}", "unsupported-version", "v:", "5");
	BAD("{\"id\":5,\"op\":\"ping\"}", "bad-request", "v: missing", "5");
	/* Ids that can't be echoed. */
	BAD("{\"v\":1,\"op\":\"ping\"}", "bad-request", "id: missing", NULL);
	BAD("{\"v\":1,\"id\":1.5,\"op\":\"ping\"}", "bad-request", "id:", NULL);
	BAD("{\"v\":1,\"id\":-1,\"op\":\"ping\"}", "bad-request", "id:", NULL);
	BAD("{\"v\":1,\"id\":9007199254740993,\"op\":\"ping\"}", "bad-request", "id:", NULL);
	BAD("{\"v\":1,\"id\":99999999999999999999,\"op\":\"ping\"}", "bad-request", "", NULL);
	BAD("{\"v\":1,\"id\":\"01234567890123456789012345678901234567890123456789012345678901234\","
	    "\"op\":\"ping\"}",
	    "bad-request", "at most 64 bytes", NULL);
	BAD("{\"v\":1,\"id\":{},\"op\":\"ping\"}", "bad-request", "id:", NULL);
	BAD("{\"v\":1,\"id\":[1],\"op\":\"ping\"}", "bad-request", "id:", NULL);
	BAD("{\"v\":1,\"id\":null,\"op\":\"ping\"}", "bad-request", "id:", NULL);
	BAD("{\"v\":1,\"id\":true,\"op\":\"ping\"}", "bad-request", "id:", NULL);
	/* The id is echoed from here on. */
	BAD("{\"v\":1,\"id\":\"abc\",\"op\":\"pong\"}", "unknown-op", "pong", "\"abc\"");
	BAD("{\"v\":1,\"id\":3,\"op\":\"Ping\"}", "unknown-op", "Ping", "3");
	BAD("{\"v\":1,\"id\":3,\"op\":5}", "bad-request", "op: not a string", "3");
	BAD("{\"v\":1,\"id\":3}", "bad-request", "op: missing", "3");
	BAD("{\"v\":1,\"id\":3,\"op\":\"ping\",\"extra\":1}", "bad-request", "extra: unknown key",
	    "3");
	BAD("{\"v\":1,\"id\":3,\"op\":\"ping\",\"args\":[]}", "bad-request", "args: not an object",
	    "3");
	BAD("{\"v\":1,\"id\":3,\"op\":\"ping\",\"args\":null}", "bad-request", "args: not an object",
	    "3");
	BAD("{\"v\":1,\"id\":3,\"op\":\"ping\",\"args\":{\"x\":1}}", "bad-request",
	    "args.x: unknown key", "3");
	BAD("{\"v\":1,\"id\":3,\"op\":\"stats\",\"args\":{\"verbose\":true}}", "bad-request",
	    "args.verbose: unknown key", "3");
	BAD("{\"v\":1,\"id\":3,\"op\":\"graph\",\"args\":{\"x\":1}}", "bad-request",
	    "args.x: unknown key", "3");
	/* Well-formed JSON that the protocol refuses. */
	BAD("{\"v\":1,\"v\":1,\"id\":3,\"op\":\"ping\"}", "bad-request", "duplicate", NULL);
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\",\"text\":\"x\\u0000y\"}]}"),
	    "bad-request", "", NULL);

	/* policy.apply and workloads.add. */
	BAD(REQ("policy.apply", "{}"), "bad-request", "args.files: missing", "7");
	BAD(REQ("policy.apply", "{\"dry_run\":true}"), "bad-request", "args.files: missing", "7");
	BAD(REQ("policy.apply", "{\"files\":{}}"), "bad-request", "args.files: not an array", "7");
	BAD(REQ("policy.apply", "{\"files\":[]}"), "bad-request", "args.files: 0 elements", "7");
	BAD(REQ("policy.apply", "{\"files\":[\"a\"]}"), "bad-request",
	    "args.files[0]: not an object", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\",\"text\":\"\"},{\"text\":\"\"}]}"),
	    "bad-request", "args.files[1].name: missing", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\"}]}"), "bad-request",
	    "args.files[0].text: missing", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"\",\"text\":\"\"}]}"), "bad-request",
	    "args.files[0].name: 0 bytes", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":5,\"text\":\"\"}]}"), "bad-request",
	    "args.files[0].name: not a string", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\",\"text\":\"\"},{\"name\":\"b\","
				"\"text\":\"\"},{\"name\":\"c\",\"text\":[]}]}"),
	    "bad-request", "args.files[2].text: not a string", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\",\"text\":\"\",\"mode\":1}]}"),
	    "bad-request", "args.files[0].mode: unknown key", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\",\"text\":\"\"}],\"dry_run\":\"yes\"}"),
	    "bad-request", "args.dry_run: not a boolean", "7");
	BAD(REQ("policy.apply", "{\"files\":[{\"name\":\"a\",\"text\":\"\"}],\"dryrun\":true}"),
	    "bad-request", "args.dryrun: unknown key", "7");
	BAD(REQ("workloads.add", "{\"files\":[{\"name\":\"a\",\"text\":null}]}"), "bad-request",
	    "args.files[0].text: not a string", "7");
	{
		/* A name of 256 bytes, a text of 16 MiB + 1. */
		char t[400];
		size_t n = (size_t)snprintf(t, sizeof(t), "%s",
					    "{\"v\":1,\"id\":7,\"op\":\"policy.apply\",\"args\":{"
					    "\"files\":[{\"text\":\"\",\"name\":\"");

		memset(t + n, 'n', 256);
		n += 256;
		snprintf(t + n, sizeof(t) - n, "\"}]}}");
		BAD_S(t, "bad-request", "args.files[0].name: 256 bytes", "7");
		memset(t + n - 1, '"', 1);
		snprintf(t + n, sizeof(t) - n, "}]}}");
		GOOD(t, CTL_OP_POLICY_APPLY);
	}
	big = malloc(CTL_FILE_TEXT_MAX + 200);
	if (!big)
		abort();
	{
		size_t n = (size_t)snprintf(big, 200, "%s",
					    "{\"v\":1,\"id\":7,\"op\":\"policy.apply\",\"args\":{"
					    "\"files\":[{\"name\":\"a\",\"text\":\"");

		memset(big + n, 't', CTL_FILE_TEXT_MAX + 1);
		n += CTL_FILE_TEXT_MAX + 1;
		snprintf(big + n, 10, "\"}]}}");
		BAD_S(big, "bad-request", "args.files[0].text: 16777217 bytes", "7");
		/* Exactly 16 MiB passes. */
		memmove(big + n - 1, big + n, 6);
		GOOD(big, CTL_OP_POLICY_APPLY);
	}
	free(big);

	/* workloads.remove. */
	BAD(REQ("workloads.remove", "{}"), "bad-request", "args.names: missing", "7");
	BAD(REQ("workloads.remove", "{\"names\":[]}"), "bad-request", "args.names: 0 elements",
	    "7");
	BAD(REQ("workloads.remove", "{\"names\":\"a\"}"), "bad-request",
	    "args.names: not an array", "7");
	BAD(REQ("workloads.remove", "{\"names\":[\"a\",5]}"), "bad-request",
	    "args.names[1]: not a string", "7");
	BAD(REQ("workloads.remove", "{\"names\":[\"\"]}"), "bad-request", "args.names[0]: 0 bytes",
	    "7");
	BAD(REQ("workloads.remove", "{\"names\":[\"a\"],\"dry_run\":1}"), "bad-request",
	    "args.dry_run: not a boolean", "7");
	BAD(REQ("workloads.remove", "{\"names\":[\"a\"],\"files\":[]}"), "bad-request",
	    "args.files: unknown key", "7");

	/* flows.list. */
	BAD(REQ("flows.list", "{\"filter\":[]}"), "bad-request", "args.filter: not an object", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"host\":\"x\"}}"), "bad-request",
	    "args.filter.host: unknown key", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"port\":-1}}"), "bad-request",
	    "args.filter.port: -1 is not in 0..65535", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"port\":65536}}"), "bad-request",
	    "args.filter.port: 65536", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"port\":\"80\"}}"), "bad-request",
	    "args.filter.port: not an integer", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"port\":80.0}}"), "bad-request",
	    "args.filter.port: not an integer", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"proto\":\"tcp\"}}"), "bad-request",
	    "args.filter.proto: 'tcp' is not", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"proto\":\"SCTP\"}}"), "bad-request",
	    "args.filter.proto", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"proto\":6}}"), "bad-request",
	    "args.filter.proto: not a string", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"action\":\"drop\"}}"), "bad-request",
	    "args.filter.action: 'drop' is not", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"app_proto\":\"ftp\"}}"), "bad-request",
	    "args.filter.app_proto: 'ftp'", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"src\":\"10.0.0.0/33\"}}"), "bad-request",
	    "args.filter.src: '10.0.0.0/33' is not an address or CIDR", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"src\":\"10.0.0.1/\"}}"), "bad-request",
	    "args.filter.src", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"src\":\"1.2.3\"}}"), "bad-request",
	    "args.filter.src", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"src\":\"10.0.0.0/8x\"}}"), "bad-request",
	    "args.filter.src", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"dst\":\"::1/129\"}}"), "bad-request",
	    "args.filter.dst", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"dst\":\"web\"}}"), "bad-request", "args.filter.dst",
	    "7");
	BAD(REQ("flows.list", "{\"filter\":{\"dst\":5}}"), "bad-request",
	    "args.filter.dst: not a string", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"workload\":\"\"}}"), "bad-request",
	    "args.filter.workload: 0 bytes", "7");
	BAD(REQ("flows.list", "{\"filter\":{\"offloaded\":\"true\"}}"), "bad-request",
	    "args.filter.offloaded: not a boolean", "7");
	BAD(REQ("flows.list", "{\"limit\":0}"), "bad-request", "args.limit: 0 is not in 1..1000000",
	    "7");
	BAD(REQ("flows.list", "{\"limit\":1000001}"), "bad-request", "args.limit", "7");
	BAD(REQ("flows.list", "{\"limit\":1.5}"), "bad-request", "args.limit: not an integer", "7");
	BAD(REQ("flows.list", "{\"limit\":\"10\"}"), "bad-request", "args.limit: not an integer",
	    "7");

	/* events.subscribe. */
	BAD(REQ("events.subscribe", "{\"types\":\"alert\"}"), "bad-request",
	    "args.types: not an array", "7");
	BAD(REQ("events.subscribe", "{\"types\":[]}"), "bad-request", "args.types: 0 elements",
	    "7");
	BAD(REQ("events.subscribe", "{\"types\":[\"http\",\"bogus\"]}"), "bad-request",
	    "args.types[1]: 'bogus' is not an event type", "7");
	BAD(REQ("events.subscribe", "{\"types\":[1]}"), "bad-request",
	    "args.types[0]: not a string", "7");
	BAD(REQ("events.subscribe", "{\"recent\":-1}"), "bad-request", "args.recent", "7");
	BAD(REQ("events.subscribe", "{\"recent\":1025}"), "bad-request",
	    "args.recent: 1025 is not in 0..1024", "7");
	BAD(REQ("events.subscribe", "{\"follow\":1}"), "bad-request",
	    "args.follow: not a boolean", "7");

	/* learn.export. */
	BAD(REQ("learn.export", "{\"reset\":\"no\"}"), "bad-request", "args.reset: not a boolean",
	    "7");
	BAD(REQ("learn.export", "{\"reset\":true,\"format\":\"yaml\"}"), "bad-request",
	    "args.format: unknown key", "7");

	/* A long unknown key is cut, and the message stays UTF-8. */
	{
		char t[600];
		size_t n = (size_t)snprintf(t, sizeof(t), "{\"v\":1,\"id\":7,\"op\":\"ping\",\"args\":{\"");

		for (int i = 0; i < 150; i++) {
			memcpy(t + n, "\xc3\xa9", 2);
			n += 2;
		}
		snprintf(t + n, sizeof(t) - n, "\":1}}");
		BAD_S(t, "bad-request", "args.\xc3\xa9", "7");
	}
}

/* ------------------------------------------------------------ replies */

static json_t *roundtrip(json_t *reply)
{
	char *out = NULL;
	size_t len = 0;
	json_t *back = NULL;

	if (reply && ctl_frame_encode(reply, &out, &len) == 0)
		back = json_loadb(out + 4, len - 4, 0, NULL);
	free(out);
	json_decref(reply);
	return back;
}

static void test_replies(void)
{
	json_t *id = json_integer(9), *sid = json_string("req-1"), *r, *e;
	struct ctl_req req;
	struct ctl_err err;

	r = roundtrip(ctl_reply_ok(id, json_pack("{s:i}", "generation", 4)));
	CHECK(r != NULL);
	CHECK_EQ(json_integer_value(json_object_get(r, "v")), 1);
	CHECK_EQ(json_integer_value(json_object_get(r, "id")), 9);
	CHECK(json_is_true(json_object_get(r, "ok")));
	CHECK_EQ(json_integer_value(json_object_get(json_object_get(r, "result"), "generation")), 4);
	CHECK_EQ(json_object_size(r), 4);
	json_decref(r);

	r = roundtrip(ctl_reply_ok(NULL, NULL));
	CHECK(r && json_is_null(json_object_get(r, "id")) &&
	      json_is_object(json_object_get(r, "result")));
	json_decref(r);

	r = roundtrip(ctl_reply_error(sid, "invalid-policy", "2 errors",
				      json_pack("[s,s]", "a.yaml:1:2: x", "a.yaml:3:4: y")));
	e = json_object_get(r, "error");
	CHECK(r && json_is_false(json_object_get(r, "ok")));
	CHECK(json_equal(json_object_get(r, "id"), sid));
	CHECK(!strcmp(json_string_value(json_object_get(e, "code")), "invalid-policy"));
	CHECK(!strcmp(json_string_value(json_object_get(e, "message")), "2 errors"));
	CHECK_EQ(json_array_size(json_object_get(e, "details")), 2);
	CHECK(json_object_get(r, "result") == NULL);
	json_decref(r);

	/* No details: none in the reply. A message that is not UTF-8 still
	 * gives a reply. */
	r = roundtrip(ctl_reply_error(id, "not-found", "no workload 'w\xe9'", NULL));
	e = json_object_get(r, "error");
	CHECK(r && json_object_get(e, "details") == NULL);
	CHECK(e && !strcmp(json_string_value(json_object_get(e, "message")), "no workload 'w?'"));
	json_decref(r);

	/* A refused request's reply, through ctl_err_reply. */
	CHECK_EQ(decode("{\"v\":3,\"id\":11,\"op\":\"ping\"}", strlen("{\"v\":3,\"id\":11,\"op\":\"ping\"}"), &req, &err), -EINVAL);
	r = roundtrip(ctl_err_reply(&err));
	e = json_object_get(r, "error");
	CHECK(r && json_integer_value(json_object_get(r, "id")) == 11);
	CHECK(e && !strcmp(json_string_value(json_object_get(e, "code")), "unsupported-version"));
	CHECK(json_array_size(json_object_get(e, "supported")) == 1 &&
	      json_integer_value(json_array_get(json_object_get(e, "supported"), 0)) == 1);
	json_decref(r);
	ctl_err_free(&err);
	ctl_err_free(&err);
	CHECK_EQ(decode("{}", 2, &req, &err), -EINVAL);
	r = roundtrip(ctl_err_reply(&err));
	CHECK(r && json_is_null(json_object_get(r, "id")));
	CHECK(!strcmp(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
		      "bad-request"));
	json_decref(r);
	ctl_err_free(&err);

	json_decref(id);
	json_decref(sid);
}

/* ------------------------------------------------------------ misc */

static void test_cidr(void)
{
	union bh_addr net, a;
	uint8_t plen;

	CHECK_EQ(ctl_cidr_parse("10.1.2.3", &net, &plen), 0);
	CHECK_EQ(plen, 128);
	CHECK(net.b[10] == 0xff && net.b[11] == 0xff && net.b[12] == 10 && net.b[15] == 3);
	CHECK_EQ(ctl_cidr_parse("10.1.2.3/8", &net, &plen), 0);
	CHECK_EQ(plen, 104);
	CHECK(net.b[12] == 10 && net.b[13] == 0 && net.b[15] == 0);
	CHECK_EQ(ctl_cidr_parse("10.200.0.1", &a, &plen), 0);
	CHECK(ctl_cidr_match(&net, 104, &a));
	CHECK_EQ(ctl_cidr_parse("11.0.0.1", &a, &plen), 0);
	CHECK(!ctl_cidr_match(&net, 104, &a));
	CHECK_EQ(ctl_cidr_parse("0.0.0.0/0", &net, &plen), 0);
	CHECK_EQ(plen, 96);
	CHECK(ctl_cidr_match(&net, plen, &a));
	CHECK_EQ(ctl_cidr_parse("fd00::1/64", &net, &plen), 0);
	CHECK_EQ(plen, 64);
	CHECK(net.b[0] == 0xfd && net.b[15] == 0);
	CHECK_EQ(ctl_cidr_parse("fd00::ffff:1", &a, &plen), 0);
	CHECK(ctl_cidr_match(&net, 64, &a));
	CHECK_EQ(ctl_cidr_parse("10.0.0.0/31", &net, &plen), 0);
	CHECK_EQ(ctl_cidr_parse("10.0.0.1", &a, &plen), 0);
	CHECK(ctl_cidr_match(&net, 127, &a));
	CHECK_EQ(ctl_cidr_parse("10.0.0.2", &a, &plen), 0);
	CHECK(!ctl_cidr_match(&net, 127, &a));
	CHECK_EQ(ctl_cidr_parse("::/0", &net, &plen), 0);
	CHECK_EQ(plen, 0);
	CHECK_EQ(ctl_cidr_parse("::1/128", &net, &plen), 0);
	CHECK_EQ(ctl_cidr_parse("10.0.0.0/032", &net, &plen), 0);
	CHECK_EQ(plen, 128);

	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
		"10.0.0.0/ 8", "10.0.0", "10.0.0.256", "::1/129", "::1/1000", "fe80::1%eth0",
		"web", " 10.0.0.1", "10.0.0.1 ", "1:2:3:4:5:6:7:8:9",
		"0123456789012345678901234567890123456789012345678901234567890123456789",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bh_test_checks++;
		if (ctl_cidr_parse(bad[i], &net, &plen) != -EINVAL) {
			bh_test_failures++;
			fprintf(stderr, "accepted '%s'\n", bad[i]);
		}
	}
}

static void test_names(void)
{
	for (unsigned i = 0; i < CTL_OP__MAX; i++) {
		enum ctl_op op;

		CHECK(ctl_op_name((enum ctl_op)i) != NULL);
		CHECK_EQ(ctl_op_parse(ctl_op_name((enum ctl_op)i), &op), 0);
		CHECK_EQ(op, i);
	}
	CHECK(ctl_op_name(CTL_OP__MAX) == NULL);
	CHECK(!strcmp(ctl_op_name(CTL_OP_POLICY_APPLY), "policy.apply"));
	CHECK(!strcmp(ctl_op_name(CTL_OP_EVENTS_SUBSCRIBE), "events.subscribe"));
	CHECK(ctl_event_type_known("alert") && ctl_event_type_known("stats"));
	CHECK(!ctl_event_type_known("Alert") && !ctl_event_type_known(""));
	CHECK(ctl_utf8_valid("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));
	CHECK(!ctl_utf8_valid("\xc3", 1));
	CHECK(!ctl_utf8_valid("\xc0\xaf", 2));
	CHECK(!ctl_utf8_valid("\xed\xa0\x80", 3));
	CHECK(!ctl_utf8_valid("\xf4\x90\x80\x80", 4));
}

int main(void)
{
	RUN(test_split_everywhere);
	RUN(test_many_frames);
	RUN(test_too_large);
	RUN(test_large_frame);
	RUN(test_encode);
	RUN(test_encode_event);
	RUN(test_decode_good);
	RUN(test_decode_bad_frame);
	RUN(test_decode_bad_request);
	RUN(test_replies);
	RUN(test_cidr);
	RUN(test_names);
	return bh_test_summary();
}
