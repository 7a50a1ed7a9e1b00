/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_csum.h - the Internet checksum (RFC 1071) for what dataplane/ writes:
 * reassembled IPv4 headers, the resets it sends, and dropped packets whose
 * TCP/UDP checksum the kernel left to the NIC.
 */
#ifndef DP_CSUM_H
#define DP_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add @n bytes at @p as big-endian 16-bit words (an odd last byte padded). */
static inline uint32_t dp_csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

/* The checksum of sum @s: folded to 16 bits, complemented. */
static inline uint16_t dp_csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Compute the TCP or UDP checksum of raw IP packet @buf (@len bytes present)
 * in place, pseudo-header included: IPv4, or IPv6 without extension headers.
 * Anything else, or a packet shorter than its headers say, is left as it is.
 */
void dp_csum_l4(uint8_t *buf, uint32_t len);

#endif
