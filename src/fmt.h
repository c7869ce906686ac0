/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Number and string formatting for the log writer. It runs inside malloc and
 * in fork children, so it never allocates, never uses stdio or locale, and
 * writes into caller-provided buffers.
 */
#ifndef MSTAT_FMT_H
#define MSTAT_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Writes v in decimal at p; returns the end. At most 20 characters. */
static inline char *mstat_fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	char *t = tmp + sizeof(tmp);

	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, t, (size_t)(tmp + sizeof(tmp) - t));
	return p + (tmp + sizeof(tmp) - t);
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
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	*p++ = '0';
	*p++ = 'x';
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 0xf];
	return p;
}

static inline char *mstat_fmt_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

#endif
