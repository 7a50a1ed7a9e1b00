/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_jndi.c - libFuzzer target for the Log4Shell lookup detector.
 *
 * Input: the value. The detector takes one whole value, not a stream, so
 * the value is copied into an allocation of exactly its length:
 * AddressSanitizer sees any read past it. The result is checked for
 * consistency (the excerpt lies inside the value, the scheme is a short
 * lower-case string, an empty result when there is no hit), every byte of
 * the excerpt is touched, and the same value must give the same answer
 * twice (no hidden state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_jndi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpi_jndi_result r, again;
	uint8_t *v, x = 0;
	size_t slen;
	int rc;

	v = malloc(size ? size : 1);
	if (!v)
		return 0;
	memcpy(v, data, size);
	rc = dpi_jndi_check(v, size, &r);
	if (rc != 0 && rc != 1)
		abort();
	if (r.off > size || r.len > size - r.off || r.truncated != (size > DPI_JNDI_MAX_INPUT))
		abort();
	slen = strnlen(r.scheme, sizeof(r.scheme));
	if (slen == sizeof(r.scheme))
		abort();
	for (size_t i = 0; i < slen; i++)
		if (!((r.scheme[i] >= 'a' && r.scheme[i] <= 'z') ||
		      (i && strchr("0123456789+-.", r.scheme[i]))))
			abort();
	if (rc == 0 && (r.len || r.off || slen || r.obfuscated || r.decoded || r.unresolved))
		abort();
	if (rc == 1 && (!r.len || (r.unresolved && (slen || !r.obfuscated))))
		abort();
	for (uint32_t i = 0; i < r.len; i++)
		x ^= v[r.off + i];
	if (dpi_jndi_check(v, size, &again) != rc || again.off != r.off || again.len != r.len ||
	    again.obfuscated != r.obfuscated || again.unresolved != r.unresolved ||
	    strcmp(again.scheme, r.scheme) != 0)
		abort();
	__asm__ volatile("" : : "r"(x));
	free(v);
	return 0;
}
