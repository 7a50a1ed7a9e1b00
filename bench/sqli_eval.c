/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sqli_eval.c - measure the SQL injection detector on labelled corpora.
 *
 *   sqli_eval [-v] [-n ROUNDS] ATTACK_FILE BENIGN_FILE
 *   sqli_eval -e VALUE...        explain single values
 *
 * Each file holds one value per line (the bytes dpi_sqli_check() sees; no
 * unescaping). Prints the true-positive rate on the attack file, the
 * false-positive rate on the benign file, the misclassified lines (all with
 * -v, else the first 20 of each) and the throughput in values per second
 * over ROUNDS passes of both files (default 20). A benchmark, not a test:
 * tests/unit/test_sqli.c asserts the targets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpi_sql.h"
#include "dpi_sqli.h"

struct corpus {
	char *data;
	size_t size;
	size_t n;
	char **line;
	size_t *len;
};

static int load(const char *path, struct corpus *c)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, start = 0;

	memset(c, 0, sizeof(*c));
	if (!f) {
		perror(path);
		return -1;
	}
	for (;;) {
		size_t got;

		if (c->size == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			c->data = realloc(c->data, cap + 1);
			if (!c->data)
				abort();
		}
		got = fread(c->data + c->size, 1, cap - c->size, f);
		if (!got)
			break;
		c->size += got;
	}
	fclose(f);
	for (size_t i = 0; i < c->size; i++)
		c->n += c->data[i] == '\n';
	c->n++;
	c->line = calloc(c->n, sizeof(*c->line));
	c->len = calloc(c->n, sizeof(*c->len));
	if (!c->line || !c->len)
		abort();
	c->n = 0;
	for (size_t i = 0; i <= c->size; i++) {
		if (i == c->size || c->data[i] == '\n') {
			if (i > start) {
				c->line[c->n] = c->data + start;
				c->len[c->n++] = i - start;
			}
			start = i + 1;
		}
	}
	return 0;
}

static void explain(const char *v, size_t len)
{
	struct dpi_sqli_result r;
	int rc = dpi_sqli_check((const uint8_t *)v, len, 0, &r);

	printf("%d score=%3u %-55s ctx=%u %s reading=%#x frag=[%.*s]  <- %.*s\n", rc, r.score,
	       r.reason, r.context, r.dialect == DPI_SQL_PGSQL ? "pg" : "my", r.reading,
	       (int)r.len, v + r.off, (int)len, v);
}

int main(int argc, char **argv)
{
	struct corpus atk, ben;
	int verbose = 0, rounds = 20, a = 1;
	size_t tp = 0, fp = 0, shown;
	struct timespec t0, t1;
	double secs;
	unsigned long long values = 0;

	if (argc > 2 && !strcmp(argv[1], "-e")) {
		for (int i = 2; i < argc; i++)
			explain(argv[i], strlen(argv[i]));
		return 0;
	}
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-v"))
			verbose = 1;
		else if (!strcmp(argv[a], "-n") && a + 1 < argc)
			rounds = (int)strtol(argv[++a], NULL, 10);
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: %s [-v] [-n ROUNDS] ATTACK_FILE BENIGN_FILE\n", argv[0]);
		return 2;
	}
	if (load(argv[a], &atk) < 0 || load(argv[a + 1], &ben) < 0)
		return 1;

	shown = 0;
	for (size_t i = 0; i < atk.n; i++) {
		struct dpi_sqli_result r;

		if (dpi_sqli_check((const uint8_t *)atk.line[i], atk.len[i], 0, &r) == 1)
			tp++;
		else if (verbose || shown++ < 20)
			printf("missed: %.*s\n", (int)atk.len[i], atk.line[i]);
	}
	shown = 0;
	for (size_t i = 0; i < ben.n; i++) {
		struct dpi_sqli_result r;

		if (dpi_sqli_check((const uint8_t *)ben.line[i], ben.len[i], 0, &r) == 1) {
			fp++;
			if (verbose || shown++ < 20)
				printf("false positive (%s, score %u): %.*s\n", r.reason, r.score,
				       (int)ben.len[i], ben.line[i]);
		}
	}
	printf("attack: %zu values, detected %zu, TPR %.3f%%\n", atk.n, tp,
	       atk.n ? 100.0 * (double)tp / (double)atk.n : 0.0);
	printf("benign: %zu values, flagged %zu, FPR %.3f%%\n", ben.n, fp,
	       ben.n ? 100.0 * (double)fp / (double)ben.n : 0.0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < rounds; k++) {
		struct corpus *cs[2] = {&atk, &ben};

		for (int c = 0; c < 2; c++)
			for (size_t i = 0; i < cs[c]->n; i++) {
				struct dpi_sqli_result r;

				dpi_sqli_check((const uint8_t *)cs[c]->line[i], cs[c]->len[i], 0, &r);
				values++;
			}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("throughput: %.0f values/s (%llu values in %.3f s, one thread)\n",
	       secs > 0 ? (double)values / secs : 0.0, values, secs);
	free(atk.line);
	free(atk.len);
	free(atk.data);
	free(ben.line);
	free(ben.len);
	free(ben.data);
	return 0;
}
