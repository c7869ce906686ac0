// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Every allocator function and its failure paths, with the counters checked
 * exactly through the public API, errno checked after every call, and the
 * entries the log must hold written to EXPECT_FILE for the driver to
 * compare. Usage: prog-alloc [--no-preload|--auto] [EXPECT_FILE]
 * (--auto: with or without the preload, whichever is the case)
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc-stat/api.h>

#include "check.h"

#define ERRNO_MARK 4242

static malloc_stat_get_stat_fnptr get_stat;
static malloc_stat_vars before;
static int expect_fd = -1;

static void begin(void)
{
	before = MALLOC_STAT_GET_STAT(get_stat);
}

/* The counters moved by exactly this since begin(); zeros without the
 * preload. */
static void counted(int line, uint64_t na, uint64_t nbytes, uint64_t nd, uint64_t ndbytes)
{
	malloc_stat_vars d = MALLOC_STAT_GET_DIFF(before, MALLOC_STAT_GET_STAT(get_stat));

	if (!get_stat)
		na = nbytes = nd = ndbytes = 0;
	if (d.allocations != na || d.allocated != nbytes || d.deallocations != nd ||
	    d.deallocated != ndbytes || d.in_use != nbytes - ndbytes)
		check_fail(__FILE__, line, "counters (allocations, then allocated)",
			   d.allocations * 1000000 + d.allocated, na * 1000000 + nbytes);
}
#define COUNTED(...) counted(__LINE__, __VA_ARGS__)

/* An entry the log must hold, in order ("TYPE A 0xB [MORE]"). */
#define EXPECT(...)                                                          \
	do {                                                                 \
		if (expect_fd >= 0)                                          \
			PUTF(expect_fd, __VA_ARGS__);                        \
	} while (0)

/* Runs a call that must succeed and leave errno alone. */
#define OK(call)                                                             \
	({                                                                   \
		__typeof__(call) r_;                                         \
		errno = ERRNO_MARK;                                          \
		r_ = (call);                                                 \
		CHECK_EQ(errno, ERRNO_MARK);                                 \
		r_;                                                          \
	})

/* Runs a call that must fail with NULL and errno == err. */
#define FAILS(call, err)                                                     \
	do {                                                                 \
		void *r_;                                                    \
		errno = ERRNO_MARK;                                          \
		r_ = (call);                                                 \
		CHECK(r_ == NULL);                                           \
		CHECK_EQ(errno, err);                                        \
	} while (0)

#define USABLE(p) malloc_usable_size(p)

static void test_malloc_free(void)
{
	void *p, *q;

	begin();
	p = OK(malloc(10));
	CHECK(p != NULL);
	CHECK_EQ(USABLE(p), 24);	/* GLIBC-NOTES 9 */
	memset(p, 1, 10);
	EXPECT("malloc 10 %p 24\n", p);
	COUNTED(1, 24, 0, 0);

	begin();
	OK((free(p), 0));
	EXPECT("free 24 %p\n", p);
	COUNTED(0, 0, 1, 24);

	begin();
	OK((free(NULL), 0));
	COUNTED(0, 0, 0, 0);

	/* malloc(0): a unique pointer, counted. */
	begin();
	p = OK(malloc(0));
	q = OK(malloc(0));
	CHECK(p != NULL && q != NULL && p != q);
	CHECK_EQ(USABLE(p), 24);
	EXPECT("malloc 0 %p 24\nmalloc 0 %p 24\n", p, q);
	COUNTED(2, 48, 0, 0);
	free(p);
	free(q);
	EXPECT("free 24 %p\nfree 24 %p\n", p, q);

	/* A large, mmapped block. */
	begin();
	p = OK(malloc(1 << 20));
	CHECK(p != NULL);
	EXPECT("malloc %d %p %zu\n", 1 << 20, p, USABLE(p));
	COUNTED(1, USABLE(p), 0, 0);
	begin();
	size_t u = USABLE(p);
	free(p);
	EXPECT("free %zu %p\n", u, p);
	COUNTED(0, 0, 1, u);

	/* Failures: NULL, ENOMEM, nothing counted. */
	begin();
	FAILS(malloc(SIZE_MAX), ENOMEM);
	FAILS(malloc((size_t)1 << 48), ENOMEM);
	COUNTED(0, 0, 0, 0);
}

static void test_calloc(void)
{
	unsigned char *p;

	begin();
	p = OK(calloc(3, 10));
	CHECK(p != NULL);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(p[i], 0);
	EXPECT("calloc 30 %p %zu\n", (void *)p, USABLE(p));
	COUNTED(1, USABLE(p), 0, 0);
	EXPECT("free %zu %p\n", USABLE(p), (void *)p);
	free(p);

	/* nmemb * size overflows: NULL with ENOMEM, not counted. */
	begin();
	FAILS(calloc(SIZE_MAX / 2, 4), ENOMEM);
	FAILS(calloc((size_t)1 << 40, (size_t)1 << 30), ENOMEM);
	COUNTED(0, 0, 0, 0);
}

static void test_realloc(void)
{
	char *p, *q, *a, *b;
	size_t u, u0;

	/* realloc(NULL, n) allocates. */
	begin();
	p = OK(realloc(NULL, 40));
	CHECK(p != NULL);
	u0 = USABLE(p);
	EXPECT("realloc-alloc 40 %p %zu\n", (void *)p, u0);
	COUNTED(1, u0, 0, 0);

	/* Shrinking stays in place: one deallocation, one allocation. */
	begin();
	q = OK(realloc(p, 20));
	CHECK(q == p);
	u = USABLE(q);
	EXPECT("realloc-inplace 20 %p %zu %zu\n", (void *)q, u, u0);
	COUNTED(1, u, 1, u0);

	/* Growing past a live neighbour moves the block. */
	a = q;
	b = malloc(100);
	memset(a, 'a', 20);
	EXPECT("malloc 100 %p %zu\n", (void *)b, USABLE(b));
	begin();
	u0 = USABLE(a);
	p = OK(realloc(a, 5000));
	CHECK(p != NULL && p != a);
	CHECK(p[0] == 'a' && p[19] == 'a');
	u = USABLE(p);
	EXPECT("realloc-realloc 5000 %p %zu %p %zu\n", (void *)p, u, (void *)a, u0);
	COUNTED(1, u, 1, u0);
	EXPECT("free %zu %p\n", USABLE(b), (void *)b);
	free(b);

	/* A failed realloc returns NULL, p stays live, nothing counted. */
	begin();
	FAILS(realloc(p, PTRDIFF_MAX), ENOMEM);
	FAILS(realloc(p, (size_t)1 << 48), ENOMEM);
	CHECK(p[0] == 'a' && p[19] == 'a');
	CHECK_EQ(USABLE(p), u);
	COUNTED(0, 0, 0, 0);

	/* realloc(p, 0) frees and returns NULL. */
	begin();
	q = OK(realloc(p, 0));
	CHECK(q == NULL);
	EXPECT("realloc-free %zu %p\n", u, (void *)p);
	COUNTED(0, 0, 1, u);

	/* realloc(NULL, 0) is a unique pointer, counted. */
	begin();
	p = OK(realloc(NULL, 0));
	q = OK(realloc(NULL, 0));
	CHECK(p != NULL && q != NULL && p != q);
	EXPECT("realloc-alloc 0 %p 24\nrealloc-alloc 0 %p 24\n", (void *)p, (void *)q);
	COUNTED(2, 48, 0, 0);
	free(p);
	free(q);
	EXPECT("free 24 %p\nfree 24 %p\n", (void *)p, (void *)q);

	/* reallocarray calls realloc: counted once (GLIBC-NOTES 10). */
	begin();
	p = OK(reallocarray(NULL, 10, 8));
	CHECK(p != NULL);
	u0 = USABLE(p);
	EXPECT("realloc-alloc 80 %p %zu\n", (void *)p, u0);
	COUNTED(1, u0, 0, 0);
	begin();
	FAILS(reallocarray(p, SIZE_MAX / 2, 4), ENOMEM);
	COUNTED(0, 0, 0, 0);
	begin();
	q = OK(reallocarray(p, 2, 8));
	CHECK(q == p);
	u = USABLE(q);
	EXPECT("realloc-inplace 16 %p %zu %zu\n", (void *)q, u, u0);
	COUNTED(1, u, 1, u0);
	free(q);
	EXPECT("free %zu %p\n", u, (void *)q);
}

static void test_aligned(void)
{
	void *p, *sentinel = (void *)0x5e5e;
	size_t bad[] = { 0, 1, 4, 12, 24, 48, 65, 4097 };
	int r;

	begin();
	p = OK(memalign(64, 10));
	CHECK(p != NULL && (uintptr_t)p % 64 == 0);
	/* 56 in GLIBC-NOTES 9, but 24 when the heap has an aligned chunk. */
	CHECK(USABLE(p) >= 10);
	EXPECT("memalign 10 %p %zu\n", p, USABLE(p));
	COUNTED(1, USABLE(p), 0, 0);
	EXPECT("free %zu %p\n", USABLE(p), p);
	free(p);

	begin();
	p = OK(aligned_alloc(32, 64));
	CHECK(p != NULL && (uintptr_t)p % 32 == 0);
	CHECK(USABLE(p) >= 64);		/* 72 or 104, by heap state */
	EXPECT("aligned_alloc 64 %p %zu\n", p, USABLE(p));
	COUNTED(1, USABLE(p), 0, 0);
	EXPECT("free %zu %p\n", USABLE(p), p);
	free(p);

	begin();
	p = sentinel;
	r = OK(posix_memalign(&p, 64, 100));
	CHECK_EQ(r, 0);
	CHECK(p != sentinel && (uintptr_t)p % 64 == 0);
	EXPECT("posix_memalign 100 %p %zu\n", p, USABLE(p));
	COUNTED(1, USABLE(p), 0, 0);
	EXPECT("free %zu %p\n", USABLE(p), p);
	free(p);

	/* Bad alignment: EINVAL, *memptr untouched, errno untouched. */
	begin();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = sentinel;
		r = OK(posix_memalign(&p, bad[i], 16));
		CHECK_EQ(r, EINVAL);
		CHECK(p == sentinel);
	}
	/* Too big: ENOMEM, *memptr untouched, errno ENOMEM as glibc sets it. */
	p = sentinel;
	errno = ERRNO_MARK;
	r = posix_memalign(&p, 64, SIZE_MAX - 4096);
	CHECK_EQ(r, ENOMEM);
	CHECK_EQ(errno, ENOMEM);
	CHECK(p == sentinel);
	FAILS(memalign(64, SIZE_MAX - 4096), ENOMEM);
	FAILS(valloc(SIZE_MAX - 4096), ENOMEM);
	FAILS(pvalloc(SIZE_MAX - 4096), ENOMEM);
	COUNTED(0, 0, 0, 0);

	begin();
	p = OK(valloc(10));
	CHECK(p != NULL && (uintptr_t)p % 4096 == 0);
	EXPECT("valloc 10 %p %zu\n", p, USABLE(p));
	COUNTED(1, USABLE(p), 0, 0);
	EXPECT("free %zu %p\n", USABLE(p), p);
	free(p);

	begin();
	p = OK(pvalloc(10));
	CHECK(p != NULL && (uintptr_t)p % 4096 == 0);
	CHECK_EQ(USABLE(p), 4104);	/* GLIBC-NOTES 9 */
	EXPECT("pvalloc 10 %p 4104\nfree 4104 %p\n", p, p);
	COUNTED(1, 4104, 0, 0);
	free(p);
}

/* libc's own callers of malloc are seen too. */
static void test_libc_internal(void)
{
	char *s;

	begin();
	s = OK(strdup("hello"));
	CHECK(s != NULL);
	EXPECT("malloc 6 %p 24\n", (void *)s);
	COUNTED(1, 24, 0, 0);
	free(s);
	EXPECT("free 24 %p\n", (void *)s);
}

static void marker(size_t n)
{
	void *p = malloc(n);

	CHECK(p != NULL);
	EXPECT("malloc %zu %p %zu\n", n, p, USABLE(p));
	EXPECT("free %zu %p\n", USABLE(p), p);
	free(p);
}

int main(int argc, char **argv)
{
	int no_preload = argc > 1 && !strcmp(argv[1], "--no-preload");
	int any = argc > 1 && !strcmp(argv[1], "--auto");

	if (argc > 1 + no_preload + any) {
		expect_fd = open(argv[1 + no_preload + any], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				 0644);
		CHECK(expect_fd >= 0);
	}
	get_stat = MALLOC_STAT_GET_STAT_FNPTR();
	if (any)
		no_preload = get_stat == NULL;
	CHECK(no_preload ? get_stat == NULL : get_stat != NULL);

	marker(12345);
	test_malloc_free();
	test_calloc();
	test_realloc();
	test_aligned();
	test_libc_internal();
	marker(12346);
	PUTF(STDOUT_FILENO, "prog-alloc: all checks passed%s\n",
	     no_preload ? " (without the preload)" : "");
	return 0;
}
