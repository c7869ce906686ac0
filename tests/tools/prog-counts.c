/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Probe with exact answers: 114 allocation calls, 64 frees, 50 blocks
 * leaked (13220 bytes requested), every allocator entry point once or
 * more. No stdio: nothing else allocates. Built with -fno-builtin.
 */
#include <malloc.h>
#include <stdlib.h>

int main(void)
{
	void *p[100], *c, *a, *m = NULL, *r;

	for (int i = 0; i < 100; i++)
		p[i] = malloc((size_t)i + 1);		/* 100 allocations */
	for (int i = 0; i < 50; i++)
		free(p[i]);				/* 50 frees */
	for (int i = 50; i < 60; i++)
		p[i] = realloc(p[i], 1000);		/* 10 frees + 10 allocations */
	c = calloc(10, 10);				/* 1 */
	a = aligned_alloc(64, 128);			/* 1 */
	if (posix_memalign(&m, 32, 100))		/* 1 */
		return 1;
	r = realloc(NULL, 50);				/* 1 */
	r = realloc(r, 0);				/* 1 free */
	free(NULL);					/* nothing */
	free(c);
	free(a);
	free(m);					/* 3 frees */
	/* p[50..99] stay: 10 x 1000 + (61 + ... + 100) = 13220 bytes */
	return r != NULL;
}
