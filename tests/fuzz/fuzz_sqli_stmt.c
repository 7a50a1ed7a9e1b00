/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_sqli_stmt.c - libFuzzer target for the statement-level SQL injection
 * detector (dpi_sqli_stmt.h).
 *
 * Input: one byte whose low bit picks the dialect (0 MySQL, 1 PostgreSQL),
 * then the statement text. The detector takes one whole query text, not a
 * stream, so instead of splitting the input into segments the text is
 * copied into an allocation of exactly its length: AddressSanitizer sees any
 * read past it. The result is checked for consistency (score and verdict
 * agree, the family is known, the fragment lies inside the text, the reason
 * is a string, benign results are empty), every byte of the fragment is
 * touched, and the same text must give the same answer twice (no hidden
 * state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_sqli.h"
#include "dpi_sqli_stmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpi_sqli_stmt_result r, again;
	enum dpi_sql_dialect d;
	size_t len;
	uint8_t *v, x = 0;
	int rc;

	if (size < 1)
		return 0;
	d = (data[0] & 1) ? DPI_SQL_PGSQL : DPI_SQL_MYSQL;
	len = size - 1;
	v = malloc(len ? len : 1);
	if (!v)
		return 0;
	memcpy(v, data + 1, len);
	rc = dpi_sqli_stmt_check(d, v, len, &r);
	if (rc != 0 && rc != 1)
		abort();
	if ((rc == 1) != (r.score >= DPI_SQLI_STMT_THRESHOLD) || r.score > 100 || !r.reason ||
	    r.family >= DPI_SQLI_FAMILY__MAX || (rc == 1 && (r.family == DPI_SQLI_NONE || !r.reason[0])) ||
	    (rc == 0 && (r.family != DPI_SQLI_NONE || r.len || r.off || r.reason[0])) ||
	    (r.flags & ~DPI_SQLI_STMT_F_TRUNCATED))
		abort();
	if (r.off > len || r.len > len - r.off)
		abort();
	for (uint32_t i = 0; i < r.len; i++)
		x ^= v[r.off + i];
	x ^= (uint8_t)strlen(r.reason) ^ (uint8_t)dpi_sqli_family_name(r.family)[0];
	if (dpi_sqli_stmt_check(d, v, len, &again) != rc || again.score != r.score ||
	    again.off != r.off || again.len != r.len || again.family != r.family ||
	    again.flags != r.flags || strcmp(again.reason, r.reason) != 0)
		abort();
	__asm__ volatile("" : : "r"(x));
	free(v);
	return 0;
}
