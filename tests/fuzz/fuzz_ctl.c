/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_ctl.c - libFuzzer target for the control protocol's decoder
 * (ctl_proto.h): frame reassembly and request validation, what a client of
 * the control socket controls.
 *
 * Input: one byte that chooses how the rest is cut, then the bytes a client
 * sends (frames: a 4-byte big-endian length and a JSON request). The
 * stream is cut into pieces (one piece when the first byte is 0, else
 * sizes drawn from a generator seeded by it), each pushed from its own
 * allocation of exactly its size into a ctl_frame_rx with a 4 KiB limit,
 * so the oversized path is taken too. Every frame is copied to an
 * allocation of its size and decoded; the whole stream is also decoded as
 * one request text. The promises checked (a violation aborts): frames
 * within the limit, discarded ones past it; a refusal has a known code, a
 * message that can go into a reply, and a reply that encodes; an accepted
 * request decodes the same again once re-encoded, its reply and an event
 * frame built from it encode, and the event frame carries the event
 * verbatim.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RX_MAX 4096

static void check_refusal(const struct ctl_err *err, int r)
{
	static const char *const codes[] = {"bad-frame", "bad-request", "unsupported-version",
					    "unknown-op", "internal"};
	json_t *reply, *msg;
	char *frame = NULL;
	size_t len, i;

	if (r != -EINVAL && r != -ENOMEM)
		abort();
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (err->code && !strcmp(err->code, codes[i]))
			break;
	if (i == sizeof(codes) / sizeof(codes[0]) || !err->message[0])
		abort();
	if (err->id && !json_is_integer(err->id) && !json_is_string(err->id))
		abort();
	msg = json_string(err->message);
	if (!msg)
		abort();
	json_decref(msg);
	reply = ctl_err_reply(err);
	if (!reply || ctl_frame_encode(reply, &frame, &len) != 0)
		abort();
	free(frame);
	json_decref(reply);
}

static void check_accepted(const struct ctl_req *req)
{
	struct ctl_req again;
	struct ctl_err err;
	json_t *reply, *back;
	char *frame = NULL, *args = NULL, *ev = NULL;
	size_t len, alen;

	if (!json_is_object(req->args) || ctl_op_name(req->op) == NULL ||
	    (!json_is_integer(req->id) && !json_is_string(req->id)))
		abort();
	/* Re-encoded, it is the same request. */
	if (ctl_frame_encode(req->root, &frame, &len) != 0)
		abort();
	if (ctl_req_decode(frame + 4, len - 4, &again, &err) != 0 || again.op != req->op ||
	    !json_equal(again.id, req->id) || !json_equal(again.args, req->args))
		abort();
	ctl_req_free(&again);
	free(frame);
	frame = NULL;
	/* Its reply, with the args as the result. */
	reply = ctl_reply_ok(req->id, json_deep_copy(req->args));
	if (!reply || ctl_frame_encode(reply, &frame, &len) != 0)
		abort();
	free(frame);
	frame = NULL;
	json_decref(reply);
	/* The args as an event, spliced into an event frame. */
	args = json_dumps(req->args, JSON_COMPACT);
	if (!args)
		abort();
	alen = strlen(args);
	ev = malloc(alen + 1);
	if (!ev)
		abort();
	memcpy(ev, args, alen);
	ev[alen] = '\n';
	if (ctl_frame_encode_event(req->id, ev, alen + 1, &frame, &len) != 0 ||
	    !memmem(frame + 4, len - 4, args, alen))
		abort();
	back = json_loadb(frame + 4, len - 4, 0, NULL);
	if (!back || !json_equal(json_object_get(back, "event"), req->args) ||
	    !json_equal(json_object_get(back, "id"), req->id))
		abort();
	json_decref(back);
	free(frame);
	free(ev);
	free(args);
}

/* @len bytes from an allocation of exactly that size. */
static void decode(const char *p, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct ctl_req req;
	struct ctl_err err;
	int r;

	if (!copy)
		abort();
	memcpy(copy, p, len);
	r = ctl_req_decode(copy, len, &req, &err);
	free(copy);
	if (r == 0)
		check_accepted(&req);
	else
		check_refusal(&err, r);
	ctl_req_free(&req);
	ctl_err_free(&err);
}

static void drain(struct ctl_frame_rx *rx)
{
	const char *msg;
	size_t len;
	int r;

	while ((r = ctl_frame_rx_next(rx, &msg, &len)) != CTL_RX_NONE) {
		if (r == CTL_RX_FRAME) {
			if (!msg || len == 0 || len > RX_MAX)
				abort();
			decode(msg, len);
		} else if (r == CTL_RX_TOO_LARGE) {
			if (len <= RX_MAX)
				abort();
		} else if (r != CTL_RX_EMPTY) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_frame_rx rx;
	uint64_t state;
	size_t off = 1;

	if (size < 1)
		return 0;
	state = 0x9e3779b97f4a7c15ull ^ data[0];
	ctl_frame_rx_init(&rx, RX_MAX);
	while (off < size) {
		size_t n = size - off;
		char *piece;

		if (data[0]) {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			n = 1 + (size_t)(state % (1u << (data[0] % 12)));
			if (n > size - off)
				n = size - off;
		}
		piece = malloc(n);
		if (!piece)
			abort();
		memcpy(piece, data + off, n);
		if (ctl_frame_rx_push(&rx, piece, n) != 0)
			abort();
		free(piece);
		off += n;
		drain(&rx);
	}
	ctl_frame_rx_free(&rx);
	decode((const char *)data + 1, size - 1);
	return 0;
}
