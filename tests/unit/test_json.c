/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_json.c - the JSON writer: string escaping (quotes, backslash, control
 * characters, valid UTF-8 kept, every kind of invalid UTF-8 as \u00XX),
 * commas and nesting, the depth limit, and that the output parses (through
 * python3's json module when it is installed).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

#include "bh_test.h"
#include "ctl_json.h"

/* ctl_json_str() of @len bytes (read from a guard buffer) gives @want. */
static int str_is(const char *in, size_t len, const char *want)
{
	struct ctl_buf b;
	uint8_t *g = guard_dup(in, len);
	int ok;

	memset(&b, 0, sizeof(b));
	ctl_json_str(&b, (const char *)g, len);
	ok = !b.oom && b.p && strlen(want) == b.len && memcmp(b.p, want, b.len) == 0 &&
	     b.p[b.len] == '\0';
	if (!ok)
		fprintf(stderr, "got   %.*s\nwanted %s\n", (int)b.len, b.p ? b.p : "", want);
	guard_free(g, len);
	ctl_buf_free(&b);
	return ok;
}

#define STR_IS(lit, want) CHECK(str_is(lit, sizeof(lit) - 1, want))

/* Whether python3 is there to judge the output. */
static bool have_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0;
}

/* @text is UTF-8 and parses as one JSON document. Returns true when python3
 * is missing: the exact-string checks still hold. */
static bool parses(const char *text, size_t len)
{
	FILE *f;
	int st;

	if (!have_python())
		return true;
	f = popen("/usr/bin/python3 -c 'import json,sys; "
		  "json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))' 2>/dev/null",
		  "w");
	if (!f)
		return false;
	fwrite(text, 1, len, f);
	st = pclose(f);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_escapes(void)
{
	STR_IS("", "\"\"");
	STR_IS("plain text 123", "\"plain text 123\"");
	STR_IS("a\"b", "\"a\\\"b\"");
	STR_IS("a\\b", "\"a\\\\b\"");
	STR_IS("\\\"", "\"\\\\\\\"\"");
	STR_IS("\n\r\t", "\"\\n\\r\\t\"");
	STR_IS("\b\f", "\"\\u0008\\u000c\"");
	STR_IS("\x01\x1f", "\"\\u0001\\u001f\"");
	STR_IS("x\0y", "\"x\\u0000y\"");
	STR_IS(" ~\x7f", "\" ~\x7f\""); /* DEL and space need no escape */
	STR_IS("/", "\"/\"");
	STR_IS("GET /a?b=\"1\"\r\n", "\"GET /a?b=\\\"1\\\"\\r\\n\"");
	/* Escapes between runs of plain bytes. */
	STR_IS("ab\tcd\"ef", "\"ab\\tcd\\\"ef\"");
}

static void test_utf8_valid(void)
{
	STR_IS("\xc3\xa9", "\"\xc3\xa9\"");                 /* é */
	STR_IS("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080, smallest 2-byte */
	STR_IS("\xdf\xbf", "\"\xdf\xbf\"");                 /* U+07FF */
	STR_IS("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800 */
	STR_IS("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* € */
	STR_IS("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF */
	STR_IS("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000 */
	STR_IS("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");         /* U+FFFF */
	STR_IS("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
	STR_IS("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
	STR_IS("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	STR_IS("a\xc3\xa9\"\xe2\x82\xac", "\"a\xc3\xa9\\\"\xe2\x82\xac\"");
}

static void test_utf8_invalid(void)
{
	/* Lone continuation bytes. */
	STR_IS("\x80", "\"\\u0080\"");
	STR_IS("a\xbf" "b", "\"a\\u00bfb\"");
	/* Overlong forms. */
	STR_IS("\xc0\xaf", "\"\\u00c0\\u00af\"");
	STR_IS("\xc1\xbf", "\"\\u00c1\\u00bf\"");
	STR_IS("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"");
	STR_IS("\xe0\x9f\xbf", "\"\\u00e0\\u009f\\u00bf\"");
	STR_IS("\xf0\x80\x80\xaf", "\"\\u00f0\\u0080\\u0080\\u00af\"");
	STR_IS("\xf0\x8f\xbf\xbf", "\"\\u00f0\\u008f\\u00bf\\u00bf\"");
	/* UTF-16 surrogates. */
	STR_IS("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	STR_IS("\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"");
	/* Past U+10FFFF. */
	STR_IS("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	STR_IS("\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"");
	/* Never valid. */
	STR_IS("\xff", "\"\\u00ff\"");
	STR_IS("\xfe\xfe", "\"\\u00fe\\u00fe\"");
	/* Truncated sequences, at the end and before other bytes. */
	STR_IS("\xc3", "\"\\u00c3\"");
	STR_IS("\xe2\x82", "\"\\u00e2\\u0082\"");
	STR_IS("\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\"");
	STR_IS("\xe2\x82" "A", "\"\\u00e2\\u0082A\"");
	STR_IS("\xe2" "\xc3\xa9", "\"\\u00e2\xc3\xa9\"");
	STR_IS("\xf0\x9f\x98" "\"", "\"\\u00f0\\u009f\\u0098\\\"\"");
	/* A valid sequence right after an invalid lead. */
	STR_IS("\xc3\xc3\xa9", "\"\\u00c3\xc3\xa9\"");
}

static bool buf_is(const struct ctl_buf *b, const char *want)
{
	bool ok = !b->oom && b->p && strlen(want) == b->len && memcmp(b->p, want, b->len) == 0;

	if (!ok)
		fprintf(stderr, "got    %.*s\nwanted %s\n", (int)b->len, b->p ? b->p : "", want);
	return ok;
}

static void test_structure(void)
{
	static const char want[] =
		"{\"a\":\"x\",\"n\":18446744073709551615,\"t\":true,\"o\":{\"f\":false,"
		"\"z\":0},\"arr\":[1,2,{\"k\":\"v\"},{},\"s\"],\"empty\":[],\"e\":{},"
		"\"q\\\"k\":\"\\u00ff\"}";
	struct ctl_buf b;

	memset(&b, 0, sizeof(b));
	for (int round = 0; round < 2; round++) {
		/* The second round reuses the buffer after a reset. */
		ctl_buf_reset(&b);
		ctl_json_open(&b);
		ctl_json_kstr(&b, "a", "x");
		ctl_json_ku64(&b, "n", UINT64_MAX);
		ctl_json_kbool(&b, "t", true);
		ctl_json_kobj(&b, "o");
		ctl_json_kbool(&b, "f", false);
		ctl_json_ku64(&b, "z", 0);
		ctl_json_close(&b);
		ctl_json_open_array(&b, "arr");
		ctl_json_elem(&b);
		ctl_buf_printf(&b, "%d", 1);
		ctl_json_elem(&b);
		ctl_buf_printf(&b, "%d", 2);
		ctl_json_elem(&b);
		ctl_json_open(&b);
		ctl_json_kstr(&b, "k", "v");
		ctl_json_close(&b);
		ctl_json_elem(&b);
		ctl_json_open(&b);
		ctl_json_close(&b);
		ctl_json_elem(&b);
		ctl_json_str(&b, "s", 1);
		ctl_json_close_array(&b);
		ctl_json_open_array(&b, "empty");
		ctl_json_close_array(&b);
		ctl_json_kobj(&b, "e");
		ctl_json_close(&b);
		ctl_json_kstr(&b, "q\"k", "\xff");
		ctl_json_close(&b);
		CHECK(buf_is(&b, want));
		CHECK_EQ(b.depth, 0);
		CHECK(parses(b.p, b.len));
	}

	/* Records one after another (as the EVE lines are): each one starts
	 * with no leading comma. */
	ctl_buf_reset(&b);
	for (int i = 0; i < 3; i++) {
		ctl_json_open(&b);
		ctl_json_ku64(&b, "i", (uint64_t)i);
		ctl_json_ku64(&b, "j", 7);
		ctl_json_close(&b);
		ctl_buf_puts(&b, "\n");
	}
	CHECK(buf_is(&b, "{\"i\":0,\"j\":7}\n{\"i\":1,\"j\":7}\n{\"i\":2,\"j\":7}\n"));
	ctl_buf_free(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	ctl_buf_free(&b); /* twice is fine */
}

/* Nesting to the limit works; past it the record is marked cut (oom)
 * rather than written with wrong commas or past first[]. */
static void test_depth(void)
{
	struct ctl_buf b;
	char want[512];
	size_t n = 0;

	memset(&b, 0, sizeof(b));
	ctl_json_open(&b);
	for (int i = 1; i < CTL_JSON_DEPTH; i++) {
		ctl_json_ku64(&b, "a", 1);
		ctl_json_kobj(&b, "o");
	}
	ctl_json_ku64(&b, "a", 1);
	ctl_json_ku64(&b, "b", 2);
	for (int i = 0; i < CTL_JSON_DEPTH; i++)
		ctl_json_close(&b);
	want[n++] = '{';
	for (int i = 1; i < CTL_JSON_DEPTH; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "\"a\":1,\"o\":{");
	n += (size_t)snprintf(want + n, sizeof(want) - n, "\"a\":1,\"b\":2");
	for (int i = 0; i < CTL_JSON_DEPTH; i++)
		want[n++] = '}';
	want[n] = '\0';
	CHECK(buf_is(&b, want));
	CHECK_EQ(b.depth, 0);
	CHECK(parses(b.p, b.len));

	/* Deeper: must not write past first[] (ASan/UBSan watch the struct on
	 * the stack), must say the content is unusable, and the depth must
	 * come back to 0 so a reset buffer works again. */
	ctl_buf_reset(&b);
	ctl_json_open(&b);
	for (int i = 0; i < 3 * CTL_JSON_DEPTH; i++) {
		ctl_json_ku64(&b, "a", 1);
		ctl_json_kobj(&b, "o");
	}
	for (int i = 0; i < 3 * CTL_JSON_DEPTH + 1; i++)
		ctl_json_close(&b);
	CHECK(b.oom);
	CHECK_EQ(b.depth, 0);
	/* Closing more than was opened leaves depth at 0. */
	ctl_json_close(&b);
	CHECK_EQ(b.depth, 0);
	ctl_buf_reset(&b);
	CHECK(!b.oom);
	ctl_json_open(&b);
	ctl_json_ku64(&b, "x", 1);
	ctl_json_ku64(&b, "y", 2);
	ctl_json_close(&b);
	CHECK(buf_is(&b, "{\"x\":1,\"y\":2}"));
	ctl_buf_free(&b);
}

static void test_buffer(void)
{
	struct ctl_buf b;
	char big[10000];

	memset(&b, 0, sizeof(b));
	/* Growth across many reallocations keeps every byte. */
	for (int i = 0; i < 5000; i++)
		ctl_buf_printf(&b, "%04d,", i % 10000);
	CHECK_EQ(b.len, 25000);
	CHECK(!b.oom);
	CHECK(b.cap > b.len);
	CHECK(b.p && memcmp(b.p, "0000,0001,", 10) == 0 && memcmp(b.p + 24995, "4999,", 5) == 0);
	CHECK(b.p && b.p[b.len] == '\0');
	ctl_buf_reset(&b);
	CHECK_EQ(b.len, 0);

	/* One big string: every byte needs escaping (6x). */
	memset(big, 0x01, sizeof(big));
	ctl_json_str(&b, big, sizeof(big));
	CHECK_EQ(b.len, 2 + 6 * sizeof(big));
	CHECK(b.p && memcmp(b.p, "\"\\u0001\\u0001", 13) == 0);
	ctl_buf_reset(&b);

	/* Empty input, also from a NULL pointer with length 0. */
	ctl_json_str(&b, NULL, 0);
	ctl_buf_put(&b, NULL, 0);
	ctl_buf_puts(&b, "");
	ctl_buf_printf(&b, "%s", "");
	CHECK(buf_is(&b, "\"\""));
	ctl_buf_free(&b);

	/* A put after a failed append changes nothing. */
	memset(&b, 0, sizeof(b));
	ctl_buf_puts(&b, "abc");
	b.oom = true;
	ctl_buf_puts(&b, "def");
	ctl_buf_printf(&b, "%d", 5);
	CHECK_EQ(b.len, 3);
	ctl_buf_free(&b);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(void)
{
	return bh_xorshift(&rng_state);
}

/* Random bytes, biased towards UTF-8 lead and continuation bytes, always
 * give a string python accepts; checked in one document of many keys. */
static void test_random_strings(void)
{
	static const uint8_t pick[] = {0x00, 0x01, 0x1f, 0x20, '"', '\\', 'a', 0x7f, 0x80, 0xbf,
				       0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
				       0xa0, 0x9f, 0x8f, 0x90};
	struct ctl_buf b;
	unsigned bad = 0;

	memset(&b, 0, sizeof(b));
	ctl_json_open(&b);
	ctl_json_open_array(&b, "s");
	for (int i = 0; i < 3000; i++) {
		uint8_t s[24];
		uint32_t len = rnd() % sizeof(s);
		uint8_t *g;
		size_t before;

		for (uint32_t k = 0; k < len; k++)
			s[k] = rnd() % 3 ? pick[rnd() % sizeof(pick)] : (uint8_t)rnd();
		g = guard_dup(s, len);
		ctl_json_elem(&b);
		before = b.len;
		ctl_json_str(&b, (const char *)g, len);
		/* Nothing below 0x20 and no lone quote escapes the string. */
		for (size_t k = before + 1; k + 1 < b.len; k++)
			if ((uint8_t)b.p[k] < 0x20 ||
			    (b.p[k] == '"' && b.p[k - 1] != '\\'))
				bad++;
		guard_free(g, len);
	}
	ctl_json_close_array(&b);
	ctl_json_close(&b);
	CHECK_EQ(bad, 0);
	CHECK(!b.oom);
	CHECK(parses(b.p, b.len));
	ctl_buf_free(&b);
}

static void test_validator(void)
{
	/* The python check itself rejects what it should. */
	if (!have_python())
		return;
	CHECK(!parses("{\"a\":1,}", 8));
	CHECK(!parses("\"\xff\"", 3));
	CHECK(!parses("\"\x01\"", 3));
	CHECK(parses("{\"a\":[1,{}]}", 12));
}

int main(void)
{
	RUN(test_escapes);
	RUN(test_utf8_valid);
	RUN(test_utf8_invalid);
	RUN(test_structure);
	RUN(test_depth);
	RUN(test_buffer);
	RUN(test_random_strings);
	RUN(test_validator);
	return bh_test_summary();
}
