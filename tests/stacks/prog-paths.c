// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Allocations from known call paths: a chain in the program, one in a
 * dlopen'ed library, and two sites whose bytes are in a known ratio (for
 * sampling). Prints the address of each block so the test can find its
 * entry in the log.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void *path_leaf(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void *path_middle(size_t n)
{
	void *p = path_leaf(n);

	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return p;
}

__attribute__((noinline)) void *path_top(size_t n)
{
	void *p = path_middle(n);

	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void heavy_site(void)
{
	free(malloc(3000));
}

__attribute__((noinline)) void light_site(void)
{
	free(malloc(1000));
}

int main(int argc, char **argv)
{
	void *(*lib_alloc)(size_t);
	void *h, *p, *q;

	errno = 4242;
	p = path_top(4242);	/* the unwinder's first use: system calls */
	printf("errno %d\n", errno);
	printf("chain %p\n", p);
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	lib_alloc = (void *(*)(size_t))dlsym(h, "lib_alloc_outer");
	q = lib_alloc(4343);
	printf("lib %p\n", q);
	for (int i = 0; i < 80000; i++) {
		heavy_site();
		light_site();
	}
	free(p);
	free(q);
	return 0;
}
