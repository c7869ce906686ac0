// SPDX-License-Identifier: LGPL-3.0-or-later
/* A library loaded with dlopen after start-up: its frames must resolve. */
#include <stdlib.h>

__attribute__((noinline)) void *lib_alloc_inner(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void *lib_alloc_outer(size_t n)
{
	void *p = lib_alloc_inner(n);

	__asm__ volatile("" ::: "memory");
	return p;
}
