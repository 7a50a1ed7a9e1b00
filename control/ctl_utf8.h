/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_utf8.h - strict UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF), for every place control/ takes or writes text:
 * policy files, the state file, the control protocol, JSON and Prometheus
 * output. Pure functions, thread-safe.
 */
#ifndef CTL_UTF8_H
#define CTL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the UTF-8 sequence at @p (@n > 0 bytes readable), or 0 when
 * there is none. Reads at most 4 bytes, never past @n. */
size_t ctl_utf8_seq(const uint8_t *p, size_t n);

/* The offset of the first byte that does not start a sequence, or @n. */
size_t ctl_utf8_bad(const char *s, size_t n);

/* All of @s (@n bytes) is UTF-8. */
bool ctl_utf8_valid(const char *s, size_t n);

/* In place: each byte of @s (NUL-terminated) that starts no sequence
 * becomes '?', so the text can go into JSON. */
void ctl_utf8_fix(char *s);

#endif
