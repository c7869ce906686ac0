/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-live N: N blocks of 16 bytes, live until the process exits (the
 * summary's live table then holds N slots at least, about 48 bytes each
 * with growth: more than the blocks themselves). Built with -fno-builtin.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	void **v = malloc(n * sizeof(*v));

	if (!v)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = malloc(16)))
			return 1;
	return 0;
}
