// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * C++ at -O2 with an inlined function that allocates: the stack report must
 * name make_buffer (inlined, at the line of its new[]) and its caller
 * build_table (at the line of the call), both demangled.
 */
#include <cstddef>
#include <cstdio>

static inline __attribute__((always_inline)) char *make_buffer(std::size_t n)
{
	char *p = new char[n];	// INLINE-ALLOC
	p[0] = 1;
	return p;
}

namespace table {
__attribute__((noinline)) char *build_table(std::size_t n)
{
	char *t = make_buffer(n * 2);	// CALLER-LINE
	__asm__ volatile("" ::: "memory");
	return t;
}
}

int main()
{
	char *keep = table::build_table(3000);	// leaked: 6000 bytes

	std::printf("%d\n", keep[0]);
	return 0;
}
