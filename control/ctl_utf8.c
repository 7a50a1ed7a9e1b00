/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_utf8.c - one strict UTF-8 decoder for control/ (see ctl_utf8.h).
 */
#include <string.h>

#include "ctl_utf8.h"

size_t ctl_utf8_seq(const uint8_t *p, size_t n)
{
	size_t k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong 3- and 4-byte forms, surrogates, past U+10FFFF */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

size_t ctl_utf8_bad(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = ctl_utf8_seq((const uint8_t *)s + i, n - i);

		if (!k)
			return i;
		i += k;
	}
	return n;
}

bool ctl_utf8_valid(const char *s, size_t n)
{
	return ctl_utf8_bad(s, n) == n;
}

void ctl_utf8_fix(char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t k = ctl_utf8_seq((const uint8_t *)s + i, n - i);

		if (k) {
			i += k;
		} else {
			s[i] = '?';
			i++;
		}
	}
}
