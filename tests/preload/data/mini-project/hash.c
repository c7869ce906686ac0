/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FNV-1a. */
#include "mini.h"

unsigned long mini_hash(const char *s)
{
	unsigned long h = 14695981039346656037ul;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ul;
	return h;
}
