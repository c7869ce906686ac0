/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Arrays that grow one element at a time, doubling from a first capacity.
 */
#ifndef MSTAT_GROW_H
#define MSTAT_GROW_H

#include <stddef.h>
#include <stdlib.h>

/* Room for element n of v (elem bytes each, *cap of them): v itself, or
 * the moved array with *cap doubled (first when 0), or NULL (out of memory,
 * v untouched). */
static inline void *mstat_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t c;
	void *nv;

	if (n < *cap)
		return v;
	c = *cap ? *cap * 2 : first;
	nv = realloc(v, c * elem);
	if (nv)
		*cap = c;
	return nv;
}

#endif
