/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The log's number formatting against snprintf: every power of two, every
 * all-ones value, and a million pseudo-random values of every length. The
 * hexadecimal writer stores whole words: it must never touch a byte before
 * its start or past its 18 characters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fmt.h"

static void hex(uint64_t v)
{
	char buf[64], want[32], *e;

	memset(buf, '#', sizeof(buf));
	e = mstat_fmt_hex(buf + 8, v);
	snprintf(want, sizeof(want), "0x%" PRIx64, v);
	CHECK_EQ((size_t)(e - (buf + 8)), strlen(want));
	CHECK(!memcmp(buf + 8, want, strlen(want)));
	for (int i = 0; i < 8; i++)
		CHECK_EQ(buf[i], '#');
	for (char *q = buf + 8 + 18; q < buf + sizeof(buf); q++)
		CHECK_EQ(*q, '#');
}

static void dec(uint64_t v)
{
	char buf[32], want[32], *e;

	e = mstat_fmt_u64(buf, v);
	*e = '\0';
	snprintf(want, sizeof(want), "%" PRIu64, v);
	CHECK(!strcmp(buf, want));
}

int main(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int k = 0; k < 64; k++) {
		hex(1ull << k);
		hex((1ull << k) - 1);
		dec(1ull << k);
		dec((1ull << k) - 1);
	}
	hex(UINT64_MAX);
	dec(UINT64_MAX);
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hex(x >> (i % 64));
		dec(x >> (i % 64));
	}
	puts("ok");
	return 0;
}
