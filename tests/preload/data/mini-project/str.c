/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* String helpers. */
#include <stdlib.h>
#include <string.h>

#include "mini.h"

char *mini_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	s[la] = ' ';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}
