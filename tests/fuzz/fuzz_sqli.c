/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_sqli.c - libFuzzer target for the SQL injection detector.
 *
 * Input: one byte of context flags (DPI_SQLI_CTX_*), then the value. The
 * detector takes one whole value, not a stream, so instead of splitting the
 * input into segments the value is copied into an allocation of exactly its
 * length: AddressSanitizer sees any read past it. The result is checked for
 * consistency (score and verdict agree, the fragment lies inside the value,
 * the reason is a string), every byte of the fragment is touched, and the
 * same value must give the same answer twice (no hidden state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_sqli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpi_sqli_result r, again;
	unsigned flags;
	size_t len;
	uint8_t *v, x = 0;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0] & 0x7f;
	len = size - 1;
	v = malloc(len ? len : 1);
	if (!v)
		return 0;
	memcpy(v, data + 1, len);
	rc = dpi_sqli_check(v, len, flags, &r);
	if (rc != 0 && rc != 1)
		abort();
	if ((rc == 1) != (r.score >= DPI_SQLI_THRESHOLD) || r.score > 100 || !r.reason ||
	    r.family >= DPI_SQLI_FAMILY__MAX || (rc == 1 && r.family == DPI_SQLI_NONE) ||
	    (rc == 0 && (r.family != DPI_SQLI_NONE || r.len)))
		abort();
	if (r.off > len || r.len > len - r.off)
		abort();
	for (uint32_t i = 0; i < r.len; i++)
		x ^= v[r.off + i];
	x ^= (uint8_t)strlen(r.reason) ^ (uint8_t)dpi_sqli_family_name(r.family)[0];
	if (dpi_sqli_check(v, len, flags, &again) != rc || again.score != r.score ||
	    again.off != r.off || again.len != r.len || again.family != r.family)
		abort();
	__asm__ volatile("" : : "r"(x));
	free(v);
	return 0;
}
