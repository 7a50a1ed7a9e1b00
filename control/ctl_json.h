/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_json.h - a small JSON writer for the event outputs: a growable buffer
 * and helpers that take care of commas and string escaping. Output only;
 * documents coming in are parsed by a real JSON library.
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_JSON_DEPTH 16

struct ctl_buf {
	char *p;
	size_t len, cap;
	bool oom;                          /* an append failed: content is cut */
	uint8_t depth;
	bool first[CTL_JSON_DEPTH];        /* no member written yet at this depth */
};

/* Not thread-safe; one buffer per thread. */
void ctl_buf_free(struct ctl_buf *b);
void ctl_buf_reset(struct ctl_buf *b);
void ctl_buf_put(struct ctl_buf *b, const void *data, size_t len);
void ctl_buf_puts(struct ctl_buf *b, const char *s);
void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ctl_json_open(struct ctl_buf *b);   /* { */
void ctl_json_close(struct ctl_buf *b);  /* } */
void ctl_json_open_array(struct ctl_buf *b, const char *key);
void ctl_json_close_array(struct ctl_buf *b);
/* Start member @key (comma as needed); the value follows. @key is escaped. */
void ctl_json_key(struct ctl_buf *b, const char *key);
/* Begin an array element or nested object inside an array. */
void ctl_json_elem(struct ctl_buf *b);

/* A JSON string of @len bytes: control characters, quotes and backslashes
 * escaped, bytes that are not valid UTF-8 written as \u00XX (Latin-1), so any
 * attacker-supplied bytes give valid JSON. */
void ctl_json_str(struct ctl_buf *b, const char *s, size_t len);

void ctl_json_kstr(struct ctl_buf *b, const char *key, const char *val);
void ctl_json_ku64(struct ctl_buf *b, const char *key, uint64_t val);
void ctl_json_kbool(struct ctl_buf *b, const char *key, bool val);
void ctl_json_kobj(struct ctl_buf *b, const char *key); /* "key":{ */

#endif
