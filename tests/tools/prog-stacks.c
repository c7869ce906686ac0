// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Allocations from known call paths, for the symbolized stack reports: a
 * chain that leaks (leak_leaf <- leak_middle <- main), a heavy site of
 * 20000 x 3000 bytes and a light one of 20000 x 1000 (freed), and a chain
 * in a library loaded with dlopen (argv[1]) through its exported
 * lib_stacks_outer into a hidden function.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static __attribute__((noinline)) void *leak_leaf(size_t n)
{
	return malloc(n);
}

static __attribute__((noinline)) void *leak_middle(size_t n)
{
	void *p = leak_leaf(n);

	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return p;
}

static __attribute__((noinline)) void heavy_site(void)
{
	free(malloc(3000));
}

static __attribute__((noinline)) void light_site(void)
{
	free(malloc(1000));
}

int main(int argc, char **argv)
{
	void *(*outer)(size_t);
	void *h, *kept[4];

	for (int i = 0; i < 4; i++)
		kept[i] = leak_middle(2500);	/* leaked: 4 x 2500 */
	(void)kept;
	if (argc > 1) {
		h = dlopen(argv[1], RTLD_NOW);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		outer = (void *(*)(size_t))dlsym(h, "lib_stacks_outer");
		free(outer(4343));
	}
	for (int i = 0; i < 20000; i++) {
		heavy_site();
		light_site();
	}
	return 0;
}
