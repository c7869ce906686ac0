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
extern const char mstat_hex_pairs[512];

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

/* Writes "0x" and v in lowercase hexadecimal; returns the end. At most 18. */
static inline char *mstat_fmt_hex(char *p, uint64_t v)
{
	unsigned digits = v ? (64 - (unsigned)__builtin_clzll(v) + 3) / 4 : 1;
	char *e = p + 2 + digits;
	char *d = e;

	p[0] = '0';
	p[1] = 'x';
	while (d - (p + 2) >= 2) {
		d -= 2;
		memcpy(d, mstat_hex_pairs + (v & 0xff) * 2, 2);
		v >>= 8;
	}
	if (d > p + 2)
		*--d = mstat_hex_pairs[(v & 0xf) * 2 + 1];
	return e;
}

static inline char *mstat_fmt_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

#endif
