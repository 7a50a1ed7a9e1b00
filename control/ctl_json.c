/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"
#include "ctl_utf8.h"

static bool grow(struct ctl_buf *b, size_t more)
{
	size_t want;
	char *n;

	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	want = b->cap ? b->cap : 256;
	while (want < b->len + more + 1)
		want *= 2;
	n = realloc(b->p, want);
	if (!n) {
		b->oom = true;
		return false;
	}
	b->p = n;
	b->cap = want;
	return true;
}

void ctl_buf_free(struct ctl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void ctl_buf_reset(struct ctl_buf *b)
{
	b->len = 0;
	b->oom = false;
	b->depth = 0;
}

void ctl_buf_put(struct ctl_buf *b, const void *data, size_t len)
{
	if (!grow(b, len))
		return;
	if (len) /* @data may be NULL for an empty put; memcpy must not see it */
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void ctl_buf_puts(struct ctl_buf *b, const char *s)
{
	ctl_buf_put(b, s, strlen(s));
}

void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void sep(struct ctl_buf *b)
{
	/* Past CTL_JSON_DEPTH first[] has no slot: push() marked the buffer
	 * cut, so the commas no longer matter. */
	if (b->depth == 0 || b->depth > CTL_JSON_DEPTH)
		return;
	if (!b->first[b->depth - 1])
		ctl_buf_put(b, ",", 1);
	b->first[b->depth - 1] = false;
}

static void push(struct ctl_buf *b, char c)
{
	ctl_buf_put(b, &c, 1);
	if (b->depth < CTL_JSON_DEPTH)
		b->first[b->depth] = true;
	else
		b->oom = true; /* too deep to place commas: the content is cut */
	if (b->depth < UINT8_MAX)
		b->depth++;
}

static void pop(struct ctl_buf *b, char c)
{
	ctl_buf_put(b, &c, 1);
	if (b->depth)
		b->depth--;
}

void ctl_json_open(struct ctl_buf *b)
{
	push(b, '{');
}

void ctl_json_close(struct ctl_buf *b)
{
	pop(b, '}');
}

void ctl_json_open_array(struct ctl_buf *b, const char *key)
{
	ctl_json_key(b, key);
	push(b, '[');
}

void ctl_json_close_array(struct ctl_buf *b)
{
	pop(b, ']');
}

void ctl_json_elem(struct ctl_buf *b)
{
	sep(b);
}

void ctl_json_str(struct ctl_buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	ctl_buf_put(b, "\"", 1);
	while (i < len) {
		unsigned char c = s[i];
		size_t u = ctl_utf8_seq(s + i, len - i);
		char esc[6];

		if (u > 0 && c >= 0x20 && c != '"' && c != '\\') {
			i += u;
			run += u;
			continue;
		}
		ctl_buf_put(b, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': ctl_buf_put(b, "\\\"", 2); break;
		case '\\': ctl_buf_put(b, "\\\\", 2); break;
		case '\n': ctl_buf_put(b, "\\n", 2); break;
		case '\r': ctl_buf_put(b, "\\r", 2); break;
		case '\t': ctl_buf_put(b, "\\t", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			ctl_buf_put(b, esc, 6);
		}
		i++;
	}
	ctl_buf_put(b, s + i - run, run);
	ctl_buf_put(b, "\"", 1);
}

void ctl_json_key(struct ctl_buf *b, const char *key)
{
	sep(b);
	ctl_json_str(b, key, strlen(key));
	ctl_buf_put(b, ":", 1);
}

void ctl_json_kstr(struct ctl_buf *b, const char *key, const char *val)
{
	ctl_json_key(b, key);
	ctl_json_str(b, val, strlen(val));
}

void ctl_json_ku64(struct ctl_buf *b, const char *key, uint64_t val)
{
	ctl_json_key(b, key);
	ctl_buf_printf(b, "%llu", (unsigned long long)val);
}

void ctl_json_kbool(struct ctl_buf *b, const char *key, bool val)
{
	ctl_json_key(b, key);
	ctl_buf_puts(b, val ? "true" : "false");
}

void ctl_json_kobj(struct ctl_buf *b, const char *key)
{
	ctl_json_key(b, key);
	push(b, '{');
}
