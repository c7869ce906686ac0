/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Number and string formatting for the log writer. It runs inside malloc and
 * in fork children, so it never allocates, never uses stdio or locale, and
 * writes into caller-provided buffers. Two digits per step: this is on the
 * allocation path.
 */
#ifndef MSTAT_FMT_H
#define MSTAT_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern const char mstat_dec_pairs[200];

/* Writes v in decimal at p; returns the end. At most 20 characters.
 * Digits go straight to the destination, last first: no copy. */
static inline char *mstat_fmt_u64(char *p, uint64_t v)
{
	unsigned digits = 1;
	char *e, *d;

	for (uint64_t x = v; x >= 10; x /= 10)
		digits++;
	e = p + digits;
	d = e;
	while (v >= 100) {
		d -= 2;
		memcpy(d, mstat_dec_pairs + (v % 100) * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		d -= 2;
		memcpy(d, mstat_dec_pairs + v * 2, 2);
	} else {
		*--d = (char)('0' + v);
	}
	return e;
}

static inline char *mstat_fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return mstat_fmt_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return mstat_fmt_u64(p, (uint64_t)v);
}

/* Eight nibbles of v, most significant first, as eight lowercase hex
 * characters in a little-endian word (memory order): no loop and no table.
 * A table of digit pairs is as fast in a loop that keeps it in the cache,
 * but a program evicts it between two allocations: a traced `make -j2` of
 * libiberty spent 2.5-5% less CPU with this (bench/RESULTS.md). */
static inline uint64_t mstat_hex8(uint32_t v)
{
	uint64_t x = v, nine;

	x = (x | x << 16) & 0x0000ffff0000ffffull;
	x = (x | x << 8) & 0x00ff00ff00ff00ffull;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;	/* byte k: nibble k */
	nine = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
	return __builtin_bswap64(x + 0x3030303030303030ull + nine * ('a' - '0' - 10));
}

/* Writes "0x" and v in lowercase hexadecimal; returns the end. At most 18
 * characters; it stores whole words and may write zero bytes after the end,
 * never past p + 18. */
static inline char *mstat_fmt_hex(char *p, uint64_t v)
{
	unsigned digits = v ? (64 - (unsigned)__builtin_clzll(v) + 3) / 4 : 1;
	uint64_t w;

	p[0] = '0';
	p[1] = 'x';
	p += 2;
	if (digits <= 8) {
		w = mstat_hex8((uint32_t)v) >> (8 * (8 - digits));
		memcpy(p, &w, 8);
	} else {
		w = mstat_hex8((uint32_t)(v >> 32)) >> (8 * (16 - digits));
		memcpy(p, &w, 8);
		w = mstat_hex8((uint32_t)v);
		memcpy(p + digits - 8, &w, 8);
	}
	return p + digits;
}

static inline char *mstat_fmt_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

#endif
