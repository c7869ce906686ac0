// SPDX-License-Identifier: LGPL-3.0-or-later
/* Loaded with dlopen by prog-stacks: an exported function (in .dynsym,
 * named even when stripped) calling a hidden one (named only by debug
 * information or .symtab). */
#include <stdlib.h>

void *lib_stacks_hidden(size_t n);
void *lib_stacks_outer(size_t n);

__attribute__((noinline, visibility("hidden"))) void *lib_stacks_hidden(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void *lib_stacks_outer(size_t n)
{
	void *p = lib_stacks_hidden(n);

	__asm__ volatile("" ::: "memory");
	return p;
}
