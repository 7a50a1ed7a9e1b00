/* SPDX-License-Identifier: GPL-2.0-only */
/* dp_anomaly.h - every reason the dataplane counts as malformed or odd input. */
#ifndef DP_ANOMALY_H
#define DP_ANOMALY_H

/* X(id, type, event) - ids are stable only within one build. */
#define DP_ANOMALIES(X)                                              \
	X(LINK_UNSUPPORTED, "decode", "link.unsupported")            \
	X(ETH_TRUNC, "decode", "ethernet.pkt_too_small")             \
	X(VLAN_TRUNC, "decode", "vlan.pkt_too_small")                \
	X(VLAN_TOO_MANY, "decode", "vlan.too_many_layers")           \
	X(SLL_TRUNC, "decode", "sll.pkt_too_small")                  \
	X(NULL_TRUNC, "decode", "null.pkt_too_small")                \
	X(L3_UNSUPPORTED, "decode", "ethertype.unsupported")         \
	X(IPV4_TRUNC, "decode", "ipv4.pkt_too_small")                \
	X(IPV4_BAD_VER, "decode", "ipv4.wrong_ip_version")           \
	X(IPV4_HLEN_SMALL, "decode", "ipv4.hlen_too_small")          \
	X(IPV4_HLEN_BIG, "decode", "ipv4.hlen_too_large")            \
	X(IPV4_IPLEN_SMALL, "decode", "ipv4.iplen_smaller_than_hlen") \
	X(IPV4_TRUNC_PKT, "decode", "ipv4.trunc_pkt")                \
	X(IPV4_OPT_INVALID, "decode", "ipv4.opt_invalid")            \
	X(IPV4_OPT_MALFORMED, "decode", "ipv4.opt_malformed")        \
	X(IPV6_TRUNC, "decode", "ipv6.pkt_too_small")                \
	X(IPV6_BAD_VER, "decode", "ipv6.wrong_ip_version")           \
	X(IPV6_TRUNC_PKT, "decode", "ipv6.trunc_pkt")                \
	X(IPV6_EXTHDR_TRUNC, "decode", "ipv6.exthdr_truncated")      \
	X(IPV6_EXTHDR_TOO_MANY, "decode", "ipv6.exthdr_too_many")    \
	X(IPV6_EXTHDR_DUPL, "decode", "ipv6.exthdr_duplicated")      \
	X(IPV6_FRAG_HDR_MISPLACED, "decode", "ipv6.frag_hdr_misplaced") \
	X(TCP_TRUNC, "decode", "tcp.pkt_too_small")                  \
	X(TCP_HLEN_SMALL, "decode", "tcp.hlen_too_small")            \
	X(TCP_HLEN_BIG, "decode", "tcp.hlen_too_large")              \
	X(TCP_OPT_INVALID, "decode", "tcp.opt_invalid_len")          \
	X(TCP_BAD_FLAGS, "decode", "tcp.invalid_flags")              \
	X(UDP_TRUNC, "decode", "udp.pkt_too_small")                  \
	X(UDP_BAD_LEN, "decode", "udp.len_invalid")                  \
	X(ICMPV4_TRUNC, "decode", "icmpv4.pkt_too_small")            \
	X(ICMPV6_TRUNC, "decode", "icmpv6.pkt_too_small")            \
	X(ICMP_PROTO_MISMATCH, "decode", "icmp.wrong_ip_version")    \
	X(FRAG_OVERLAP, "defrag", "frag.overlap")                    \
	X(FRAG_OVERLAP_CONFLICT, "defrag", "frag.overlap_conflict")  \
	X(FRAG_TOO_LARGE, "defrag", "frag.too_large")                \
	X(FRAG_TOO_MANY, "defrag", "frag.too_many_fragments")        \
	X(FRAG_TIMEOUT, "defrag", "frag.timeout")                    \
	X(FRAG_MEMCAP, "defrag", "frag.memcap")                      \
	X(FRAG_BAD_LEN, "defrag", "frag.invalid_length")             \
	X(TCP_OVERLAP_CONFLICT, "stream", "tcp.overlap_conflict")    \
	X(TCP_GAP, "stream", "tcp.gap")                              \
	X(TCP_BUFFER_OVERFLOW, "stream", "tcp.reassembly_overflow")  \
	X(TCP_MIDSTREAM, "stream", "tcp.midstream")                  \
	X(TCP_SEQ_OUT_OF_WINDOW, "stream", "tcp.seq_out_of_window")  \
	X(TCP_DATA_AFTER_CLOSE, "stream", "tcp.data_after_close")    \
	X(TCP_SYN_DATA_MISMATCH, "stream", "tcp.syn_seq_mismatch")   \
	X(TCP_RST_INVALID, "stream", "tcp.rst_out_of_window")        \
	X(FLOW_EVICTED, "flow", "flow.table_full")

enum dp_anomaly {
	DP_ANOM_NONE = 0,
#define DP_ANOM_ENUM(id, type, event) DP_ANOM_##id,
	DP_ANOMALIES(DP_ANOM_ENUM)
#undef DP_ANOM_ENUM
	DP_ANOM__MAX
};

/* Static strings for anomaly @a; "unknown" out of range. */
const char *dp_anomaly_type(enum dp_anomaly a);
const char *dp_anomaly_event(enum dp_anomaly a);

#endif
