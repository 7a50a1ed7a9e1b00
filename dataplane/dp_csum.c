/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_csum.c - TCP/UDP checksums of whole raw IP packets.
 */
#include <netinet/in.h>

#include "dp_csum.h"

void dp_csum_l4(uint8_t *buf, uint32_t len)
{
	uint32_t hl, l4len, s;
	uint8_t proto;
	size_t off;
	uint16_t c;

	if (len >= 20 && buf[0] >> 4 == 4) {
		hl = (buf[0] & 15u) * 4;
		l4len = (uint32_t)buf[2] << 8 | buf[3];
		proto = buf[9];
		if (hl < 20 || l4len > len || l4len < hl)
			return;
		l4len -= hl;
		s = dp_csum_add(0, buf + 12, 8);
	} else if (len >= 40 && buf[0] >> 4 == 6) {
		hl = 40;
		l4len = (uint32_t)buf[4] << 8 | buf[5];
		proto = buf[6];
		if (l4len > len - 40)
			return;
		s = dp_csum_add(0, buf + 8, 32);
	} else {
		return;
	}
	if (proto == IPPROTO_TCP && l4len >= 20)
		off = hl + 16;
	else if (proto == IPPROTO_UDP && l4len >= 8)
		off = hl + 6;
	else
		return;
	buf[off] = buf[off + 1] = 0;
	c = dp_csum_fold(dp_csum_add(s + proto + l4len, buf + hl, l4len));
	if (proto == IPPROTO_UDP && !c)
		c = 0xffff; /* 0 means "no checksum" in UDP */
	buf[off] = (uint8_t)(c >> 8);
	buf[off + 1] = (uint8_t)c;
}
