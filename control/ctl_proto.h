/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_proto.h - the control protocol (control/PROTOCOL.md), both ends' half
 * of it that is not I/O: frames (a 4-byte big-endian length, then one JSON
 * object) reassembled from a byte stream and encoded, requests decoded and
 * validated against the specification, replies built.
 *
 * Nothing here reads or writes a socket and nothing prints; the daemon's
 * server and the `bulkhead` client (ctl_cli.c) do that.
 */
#ifndef CTL_PROTO_H
#define CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl_utf8.h"

#include "bulkhead/bh_event.h"

#define CTL_PROTO_VERSION 1
#define CTL_FRAME_MAX (64u << 20)
#define CTL_ID_MAX 64

/* Limits of the arguments (PROTOCOL.md). */
#define CTL_FILES_MAX 64
#define CTL_FILE_NAME_MAX 255
#define CTL_FILE_TEXT_MAX (16u << 20)
#define CTL_NAMES_MAX 1024
#define CTL_WORKLOAD_NAME_MAX 253
#define CTL_LIMIT_MAX 1000000
#define CTL_LIMIT_DEFAULT 1000
#define CTL_RECENT_MAX 1024
#define CTL_TYPES_MAX 64

enum ctl_op {
	CTL_OP_PING,
	CTL_OP_POLICY_APPLY,
	CTL_OP_POLICY_GET,
	CTL_OP_WORKLOADS_LIST,
	CTL_OP_WORKLOADS_ADD,
	CTL_OP_WORKLOADS_REMOVE,
	CTL_OP_FLOWS_LIST,
	CTL_OP_STATS,
	CTL_OP_EVENTS_SUBSCRIBE,
	CTL_OP_LEARN_EXPORT,
	CTL_OP_LOGS_REOPEN,
	CTL_OP_GRAPH,
	CTL_OP__MAX
};

/* The wire name of @op ("policy.apply", ...), or NULL past CTL_OP__MAX.
 * Static storage; thread-safe. */
const char *ctl_op_name(enum ctl_op op);

/* The operation called @name: 0 with *@ret set, or -ENOENT. Thread-safe. */
int ctl_op_parse(const char *name, enum ctl_op *ret);

/* @type is an event_type that events.subscribe's "types" accepts. */
bool ctl_event_type_known(const char *type);

/* ------------------------------------------------------------ frames */

/*
 * Frame reassembly over a byte stream (non-blocking sockets). Every pushed
 * byte is either part of a frame kept in @buf (which holds, from @off, a
 * run of length headers each followed by its body, the last one possibly
 * incomplete) or of an oversized frame being discarded. An oversized frame
 * leaves only its 4-byte header in @buf, so its bytes never are buffered.
 * The fields are visible so that the struct can be embedded; treat them as
 * private. Not thread-safe: one per connection.
 */
struct ctl_frame_rx {
	char *buf;
	size_t off;          /* first byte not yet returned by next() */
	size_t tail;         /* start of the record still being received */
	size_t len, cap;
	uint32_t max;
	uint32_t discard;    /* bytes of an oversized frame still to drop */
};

/* Frames of at most @max bytes (CTL_FRAME_MAX for the protocol) are kept;
 * larger ones are discarded. */
void ctl_frame_rx_init(struct ctl_frame_rx *rx, uint32_t max);
/* Frees the buffer; @rx may be zeroed or NULL. */
void ctl_frame_rx_free(struct ctl_frame_rx *rx);
/* Bytes received (@p borrowed). 0 or -ENOMEM; after -ENOMEM the stream is
 * out of step and the connection should be closed. Bytes of an oversized
 * frame are discarded as they arrive, never buffered. */
int ctl_frame_rx_push(struct ctl_frame_rx *rx, const void *p, size_t n);
enum { CTL_RX_NONE, CTL_RX_FRAME, CTL_RX_TOO_LARGE, CTL_RX_EMPTY };
/* Next frame: CTL_RX_FRAME with *ret_msg and *ret_len (valid until the next
 * push/next/free call), CTL_RX_TOO_LARGE once an oversized frame has been
 * discarded entirely (*ret_len = declared size, truncated to SIZE_MAX),
 * CTL_RX_EMPTY for a zero length, CTL_RX_NONE when more bytes are needed.
 * *ret_msg is NULL for all but CTL_RX_FRAME. */
int ctl_frame_rx_next(struct ctl_frame_rx *rx, const char **ret_msg, size_t *ret_len);
/* Bytes held: frames not yet returned and the one being received. */
size_t ctl_frame_rx_pending(const struct ctl_frame_rx *rx);

/* @obj (borrowed) as one frame (4-byte BE length + compact JSON) in
 * malloc'd *ret (the caller's to free), *ret_len bytes in all. 0, -ENOMEM,
 * -E2BIG (longer than CTL_FRAME_MAX), -EINVAL (@obj cannot be encoded).
 * Thread-safe. */
int ctl_frame_encode(const json_t *obj, char **ret, size_t *ret_len);
/* A subscription's event frame {"v":1,"id":ID,"event":EVE} with @eve (@len
 * bytes, an already valid JSON object, trailing newline allowed and
 * dropped) spliced in verbatim. @id (borrowed) may be NULL (JSON null).
 * Returns as ctl_frame_encode(). Thread-safe. */
int ctl_frame_encode_event(const json_t *id, const char *eve, size_t len, char **ret,
			   size_t *ret_len);

/* ------------------------------------------------------------ requests */

struct ctl_req {
	json_t *root;      /* owns the rest */
	json_t *id;        /* borrowed: integer or string */
	enum ctl_op op;
	json_t *args;      /* borrowed: an object, empty when none was sent */
};
struct ctl_err {
	const char *code;        /* "bad-frame", "bad-request", ... static */
	char message[256];       /* names the field and the problem: "args.files[2].text: not a string" */
	json_t *id;              /* new reference, or NULL when unreadable */
};

/*
 * Decode and validate one request (@text: @len bytes, not NUL-terminated,
 * may contain NULs -> bad-frame). Validates v, id, op, and args of op
 * against PROTOCOL.md: types, ranges, required fields, unknown keys (also
 * inside files[] and filter), "proto"/"action"/"app_proto"/"types" enums,
 * addresses/CIDRs parse (an address, or address/prefix with the prefix in
 * range; host bits may be set), names' lengths, file counts/sizes, duplicate
 * keys. After success the handler may use args without re-checking types;
 * optional members may be absent. Returns 0 (ctl_req_free it) or -EINVAL
 * with @err filled (ctl_err_free it): code "bad-frame" (not one JSON
 * object), "bad-request", "unsupported-version" or "unknown-op"; err->id is
 * the request's id when it was valid. -ENOMEM with err->code "internal".
 * @req and @err are written in both cases. Thread-safe.
 */
int ctl_req_decode(const char *text, size_t len, struct ctl_req *req, struct ctl_err *err);
/* Both accept zeroed structs and may be called twice. */
void ctl_req_free(struct ctl_req *req);
void ctl_err_free(struct ctl_err *err);

/* Replies (new references, NULL on out of memory; @id borrowed, NULL ->
 * JSON null; @result / @details stolen, may be NULL: no result is {}, no
 * details leaves "details" out). A message that is not valid UTF-8 has its
 * stray bytes replaced by '?'. An "unsupported-version" error carries
 * "supported": [1]. Thread-safe. */
json_t *ctl_reply_ok(const json_t *id, json_t *result);
json_t *ctl_reply_error(const json_t *id, const char *code, const char *message, json_t *details);
/* The error reply for a failed ctl_req_decode() (@err borrowed). */
json_t *ctl_err_reply(const struct ctl_err *err);

/* ------------------------------------------------------------ text */


/* ------------------------------------------------------------ addresses */

/* An address or CIDR as flows.list's filter takes it ("10.0.0.1",
 * "10.0.0.0/8", "fd00::/64"): 0 with the network in *@ret_net (IPv4
 * mapped, host bits cleared) and the prefix in *@ret_plen (IPv4 /n as
 * 96 + n; a bare address is a full-length prefix), or -EINVAL.
 * Thread-safe. */
int ctl_cidr_parse(const char *s, union bh_addr *ret_net, uint8_t *ret_plen);
/* @a (IPv4 mapped) lies in @net/@plen. */
bool ctl_cidr_match(const union bh_addr *net, uint8_t plen, const union bh_addr *a);

#endif
