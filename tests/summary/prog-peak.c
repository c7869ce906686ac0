/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-peak N KEEP ROUNDS: ROUNDS times, N blocks live at once and all
 * but KEEP freed again; exits with KEEP x ROUNDS blocks of 100 bytes
 * live. Built with -fno-builtin: every call reaches the allocator.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t keep = argc > 2 ? strtoul(argv[2], NULL, 10) : 10;
	size_t rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
	void **v = malloc(n * sizeof(*v));

	if (!v || keep > n)
		return 1;
	for (size_t r = 0; r < rounds; r++) {
		for (size_t i = 0; i < n; i++)
			v[i] = malloc(100);
		for (size_t i = keep; i < n; i++)
			free(v[i]);
	}
	free(v);
	return 0;
}
