/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_dnstun.c - libFuzzer target for the DNS tunnelling heuristic.
 *
 * Input: two bytes of query type (big-endian), then the name. The name is
 * copied into an allocation of exactly its length, so AddressSanitizer sees
 * any read past it. The result is checked for consistency (score range and
 * verdict agree, the excerpt lies inside the name, lengths and entropy are
 * in range), every byte of the excerpt is touched, and the same name must
 * give the same answer twice (no hidden state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_dnstun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpi_dnstun_result r, again;
	uint16_t qtype;
	size_t len;
	uint8_t *v, x = 0;
	int rc;

	if (size < 2)
		return 0;
	qtype = (uint16_t)(data[0] << 8 | data[1]);
	len = size - 2;
	v = malloc(len ? len : 1);
	if (!v)
		return 0;
	memcpy(v, data + 2, len);
	rc = dpi_dnstun_check(v, len, qtype, &r);
	if (rc != 0 && rc != 1)
		abort();
	if ((rc == 1) != (r.score >= DPI_DNSTUN_THRESHOLD) || r.score > 100)
		abort();
	if (r.off > len || r.len > len - r.off || r.sub_len > len || r.longest_label > len ||
	    r.encoded > len || !(r.entropy >= 0 && r.entropy <= 8.0001))
		abort();
	for (uint32_t i = 0; i < r.len; i++)
		x ^= v[r.off + i];
	if (dpi_dnstun_check(v, len, qtype, &again) != rc || again.score != r.score ||
	    again.reasons != r.reasons || again.off != r.off || again.len != r.len ||
	    again.entropy != r.entropy)
		abort();
	__asm__ volatile("" : : "r"(x));
	free(v);
	return 0;
}
