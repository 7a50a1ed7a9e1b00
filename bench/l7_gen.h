/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * l7_gen.h - realistic L7 conversations for parser_bench, built in memory.
 *
 * A trace is the bytes of one or more connections as flights: what one side
 * sends before the other answers, in wire order. Generators append to a
 * trace and count the wire messages they wrote per direction; pieces cut
 * the flights into what a parser is handed per call. Everything is
 * deterministic for a given seed. Out of memory ends the program: these are
 * benchmark inputs, built before anything is measured. Not thread-safe.
 */
#ifndef L7_GEN_H
#define L7_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* splitmix64; seed it with any value. */
struct l7_rng {
	uint64_t s;
};

/* A growing byte buffer. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* What one side sends before the other answers: one call in "whole" mode. */
struct l7_flight {
	size_t off;
	uint32_t len;
	uint8_t dir;  /* DPI_TO_SERVER or DPI_TO_CLIENT */
	bool newflow; /* the first bytes of a new connection */
};

struct l7_trace {
	struct buf data;
	struct l7_flight *fl;
	size_t nfl, capfl;
	uint64_t msgs[2]; /* wire messages per direction */
	size_t mark;      /* start of the flight being built */
	bool newflow;
};

/* SQL texts, as offsets into a trace's data (they move while it grows). */
struct l7_texts {
	size_t *off;
	uint32_t *len;
	size_t n, cap;
};

/* What a parser call is given: a slice of a trace's data. */
struct l7_piece {
	const uint8_t *p;
	uint32_t len;
	uint8_t dir;
	bool newflow;
};

struct l7_pieces {
	struct l7_piece *v;
	size_t n;
};

/* @n exchanges on one keep-alive connection: 60% static assets, 15% pages,
 * 10% API GETs, 8% form POSTs, 7% JSON POSTs; browser heads of about 12
 * fields, nginx responses with Content-Length or chunked bodies of realistic
 * sizes. Requests and responses alternate in batches of half the parser's
 * pipelining cap, so that each direction can be timed on its own. */
void l7_gen_http(struct l7_trace *t, struct l7_rng *r, unsigned n);

/* @n queries and their responses as a pod's resolver sees them (cluster
 * services, search-list NXDOMAINs, external names behind CNAME chains,
 * AAAA NODATA), one UDP datagram per flight. */
void l7_gen_dns_udp(struct l7_trace *t, struct l7_rng *r, unsigned n);

/* The same exchanges over TCP: a forwarder pipelining @batch queries per
 * flight, then their responses. */
void l7_gen_dns_tcp(struct l7_trace *t, struct l7_rng *r, unsigned n, unsigned batch);

/* A MariaDB session: captured greeting and login, @n COM_QUERY of Django
 * statements, OK packets and text result sets, COM_QUIT. Each statement's
 * text is added to @sql. */
void l7_gen_mysql(struct l7_trace *t, struct l7_texts *sql, struct l7_rng *r, unsigned n);

/* A PostgreSQL session: captured pgbench startup, then @n_tx pgbench
 * TPC-B transactions with -M extended, each followed by @orm_per_tx Django
 * queries in the simple protocol; Terminate. Statement texts go to @sql. */
void l7_gen_pgsql(struct l7_trace *t, struct l7_texts *sql, struct l7_rng *r, unsigned n_tx,
		  unsigned orm_per_tx);

/* @n Chrome ClientHellos, one connection each: 517 bytes with SNI, ALPN
 * and supported_versions; with @mlkem, the X25519MLKEM768 key share makes
 * them 1547 bytes (two segments). */
void l7_gen_tls(struct l7_trace *t, struct l7_rng *r, unsigned n, bool mlkem);

/* Cuts @t's flights into pieces of at most @mss bytes (0: a piece per
 * flight) into @out (freed by the caller with free(out->v)). */
void l7_pieces_make(const struct l7_trace *t, uint32_t mss, struct l7_pieces *out);

/* A piece per SQL text of @x (in @t's data). */
void l7_pieces_of_texts(const struct l7_texts *x, const struct l7_trace *t,
			struct l7_pieces *out);

void l7_trace_free(struct l7_trace *t);
void l7_texts_free(struct l7_texts *x);

#endif
