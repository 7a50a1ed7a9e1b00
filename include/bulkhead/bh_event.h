/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bh_event.h - the event contract between the engine (dataplane/, dpi/) and
 * the outputs (control/).
 *
 * Workers fill a struct bh_event on their stack and hand it to a callback; the
 * callback must copy what it keeps before returning (every pointer in the
 * struct is borrowed and valid only for the duration of the call). Strings
 * named *_name or of type `const char *` point to static storage unless
 * documented otherwise.
 */
#ifndef BULKHEAD_BH_EVENT_H
#define BULKHEAD_BH_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d) so that keys and
 * comparisons need no family switch. */
union bh_addr {
	uint8_t b[16];
	uint32_t w[4];
	uint64_t q[2];
};

enum bh_event_type {
	BH_EV_FLOW,    /* a flow ended (timeout, close, eviction, shutdown) */
	BH_EV_ANOMALY, /* malformed or suspicious input, see bh_anomaly */
	BH_EV_HTTP,    /* one HTTP request and its response */
	BH_EV_DNS,     /* one DNS message */
	BH_EV_SQL,     /* one statement text sent by a SQL client */
	BH_EV_TLS,     /* one TLS ClientHello */
	BH_EV_ALERT,   /* a signature matched a transaction or a stream */
	BH_EV__MAX
};

/* Bytes from the wire or decoded from it: not NUL-terminated, not UTF-8 by
 * promise; outputs escape them. */
struct bh_str {
	const char *p;
	uint32_t len;
};

struct bh_http {
	struct bh_str hostname, url, url_normalized, method, protocol, user_agent;
	struct bh_str content_type;      /* of the request */
	uint16_t status;                 /* 0: no response seen */
	uint64_t length;                 /* response body bytes */
	uint64_t request_length;         /* request body bytes */
};

struct bh_dns_answer {
	struct bh_str rrname, rdata;     /* rdata rendered as text */
	uint16_t rrtype;
	uint32_t ttl;
};

struct bh_dns {
	bool response;
	uint16_t id;
	uint8_t rcode;
	uint16_t rrtype;                 /* of the first question */
	struct bh_str rrname;            /* first question, lower case, no trailing dot */
	const struct bh_dns_answer *answers;
	uint32_t nanswers;
};

struct bh_sql_command {
	const char *verb;                /* "SELECT", ...: static */
	const struct bh_str *tables;
	uint32_t ntables;
};

struct bh_sql {
	const char *dialect;             /* "mysql" / "pgsql" */
	const char *kind;                /* "query", "prepare", "init_db", "parse" */
	struct bh_str user, database, statement;
	const struct bh_sql_command *commands;
	uint32_t ncommands;
	bool truncated;                  /* statement longer than what is kept */
};

struct bh_tls {
	struct bh_str sni;               /* len 0: none */
	uint16_t version;                /* 0x0304 = TLS 1.3 */
};

/* A signature alert: the rule, where it matched, and the transaction it
 * matched in (tx_type BH_EV_HTTP/DNS/SQL/TLS with the request side of the
 * record filled; BH_EV_FLOW when it matched the raw stream). */
struct bh_alert {
	uint32_t gid, sid, rev;
	const char *action;              /* "blocked" when a policy in protect
					  * mode denies on it, else "allowed" */
	const char *msg;                 /* the rule's msg */
	const char *category;            /* classtype description; NULL: none */
	uint8_t severity;                /* 1 (high) .. */
	const char *set;                 /* "sqli", ..., "custom" */
	const char *field;               /* inspection buffer: "http.param", ... */
	struct bh_str excerpt;           /* the matching bytes, at most
					  * BH_ALERT_EXCERPT */
	const char *detail;              /* detector's reason ("string-break+
					  * or-tautology"), or NULL */
	enum bh_event_type tx_type;
	union {
		struct bh_http http;
		struct bh_dns dns;
		struct bh_sql sql;
		struct bh_tls tls;
	} tx;
};

#define BH_ALERT_EXCERPT 256u

/* Why a flow record was emitted. */
enum bh_flow_end {
	BH_END_TIMEOUT,  /* idle longer than its protocol/state timeout */
	BH_END_EVICTED,  /* table full: least recently used flow made room */
	BH_END_SHUTDOWN, /* still active when the input ended */
	BH_END_REUSED,   /* closed TCP flow whose tuple a new SYN reused */
};

/* Coarse TCP state as Suricata's EVE reports it. */
enum bh_tcp_state {
	BH_TCP_NONE,        /* not TCP */
	BH_TCP_NEW,         /* SYN seen, no SYN/ACK yet */
	BH_TCP_SYN_RECV,    /* SYN/ACK seen */
	BH_TCP_ESTABLISHED, /* handshake done, or picked up mid-stream */
	BH_TCP_CLOSING,     /* one side sent FIN */
	BH_TCP_CLOSED,      /* both FINs, or RST */
};

/* Per-direction TCP stream accounting (0 = to server, 1 = to client). */
struct bh_stream_stats {
	uint64_t delivered;    /* in-order bytes handed to the L7 layer */
	uint32_t gaps;         /* holes reported to the L7 layer */
	uint64_t gap_bytes;    /* bytes in those holes */
	uint32_t overlaps;     /* segments overlapping seen data */
	uint32_t conflicts;    /* ... whose bytes differed */
	uint32_t overflows;    /* times the reassembly buffer cap was hit */
};

/* The 5-tuple plus identity of a flow, oriented client -> server. */
struct bh_tuple {
	uint8_t family;  /* AF_INET or AF_INET6; 0 when unknown */
	uint8_t proto;   /* IPPROTO_* */
	uint16_t vlan[2];
	uint8_t vlan_cnt;
	bool has_proto;        /* proto is known (not before IPv6 ext headers) */
	bool has_ports;        /* sport/dport decoded */
	union bh_addr src, dst;
	uint16_t sport, dport; /* ICMP: type and code */
};

struct bh_flow_record {
	uint64_t flow_id;          /* 51 bits: survives JSON doubles */
	uint64_t start_us, end_us; /* first and last packet */
	uint64_t pkts[2], bytes[2];
	uint8_t tcp_flags[2];      /* OR of flags seen, per direction */
	enum bh_tcp_state tcp_state;
	enum bh_flow_end end;
	const char *app_proto;     /* "unknown" until dpi/ names it */
	struct bh_stream_stats stream[2];
	uint32_t anomalies;        /* anomalies raised on this flow */
	uint32_t alerts;           /* alert events emitted for this flow (at
				    * least; the count saturates at 255) */
};

struct bh_anomaly {
	const char *type;  /* "decode", "stream", "defrag", "applayer" */
	const char *event; /* e.g. "ipv4.trunc_pkt", "tcp.overlap_conflict" */
};

struct bh_verdict;
struct bh_workload_ref;

struct bh_event {
	enum bh_event_type type;
	uint64_t ts_us;        /* event time (flow: start), µs since epoch */
	uint64_t pkt_no;       /* 1-based packet number in its source, 0 if none */
	const char *source;    /* pcap file name, NULL inline */
	const char *in_iface;  /* inline: the bridge port of the packet, or NULL */
	/* Deterministic order for replay output: (flow's first packet number,
	 * sequence within the flow). Identical for every worker count. */
	uint64_t order[2];
	bool has_tuple;        /* tuple is valid (anomalies may lack it) */
	bool has_flow;         /* flow_id and app_proto are valid */
	struct bh_tuple tuple;
	uint64_t flow_id;
	const char *app_proto;
	/* With a policy (bh_policy.h): the decision this event carries (the
	 * flow's final one on BH_EV_FLOW, the transaction's on HTTP, SQL and
	 * DNS queries) and the workloads of the ends; NULL when unknown or
	 * none. */
	const struct bh_verdict *verdict;
	const struct bh_workload_ref *src_workload, *dest_workload;
	union {
		struct bh_flow_record flow;
		struct bh_anomaly anomaly;
		struct bh_http http;
		struct bh_dns dns;
		struct bh_sql sql;
		struct bh_tls tls;
		struct bh_alert alert;
	};
};

/*
 * Callback receiving events. Called from worker threads; @worker identifies
 * the caller (0..workers-1, or workers for the packet source thread), so a
 * sink can keep per-thread state without locks. Must not block for long.
 */
typedef void (*bh_event_fn)(void *ctx, unsigned worker, const struct bh_event *ev);

#endif
