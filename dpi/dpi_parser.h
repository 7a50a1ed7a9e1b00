/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_parser.h - conventions every L7 parser in dpi/ follows.
 *
 * Parsers are fed the in-order bytes of one direction of a flow, as the TCP
 * reassembly (or one UDP datagram) delivers them:
 *
 *   int dpi_x_parse(struct dpi_x_state *st, unsigned dir, const uint8_t *buf,
 *                   size_t len, const struct dpi_x_cb *cb, void *ctx);
 *
 * returns the number of bytes consumed (> 0), DPI_NEED_MORE (0: nothing can be
 * consumed until more bytes follow these), or a negative errno (-EBADMSG: the
 * bytes are not this protocol, or broken beyond recovery; the caller stops
 * parsing the direction and treats the rest as unparsed). Bytes not consumed
 * are presented again, followed by new ones, on the next call; a parser keeps
 * no pointer into @buf after returning. The caller caps how much it holds
 * unconsumed for a parser (DPI_MAX_PENDING); a parser that needs more than that
 * to make progress (a header block larger than its cap, say) must report an
 * anomaly and consume or fail instead.
 *
 * Parsed fields are zero-copy slices into @buf, valid only during the callback
 * that receives them. Decoded values (percent-decoding, DNS names) live in
 * scratch storage of the parser state, also valid only during the callback.
 *
 * Every count and size the peer controls has a hard cap; exceeding one is an
 * anomaly (a static string "proto.event", e.g. "http.header_limit"), reported
 * through the anomaly callback, and never a crash, a hang, or a silent skip.
 * Parsers allocate nothing per byte, print nothing, and are not thread-safe
 * (one state per flow; flows belong to one worker).
 */
#ifndef DPI_PARSER_H
#define DPI_PARSER_H

#include <stddef.h>
#include <stdint.h>

#define DPI_NEED_MORE 0

/* Most bytes the caller holds unconsumed for one direction of a parser. */
#define DPI_MAX_PENDING (64u * 1024u)

/* Direction of the bytes: to the server (client's bytes) or to the client. */
#define DPI_TO_SERVER 0u
#define DPI_TO_CLIENT 1u

struct dpi_slice {
	const uint8_t *p;
	uint32_t len;
};

/* Anomaly callback: @event is a static string "proto.event". */
typedef void (*dpi_anom_fn)(void *ctx, const char *event);

#endif
