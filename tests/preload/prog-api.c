// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * The seed API as the original project's test.c used it: reset semantics,
 * diffs, the version check, enable/disable, and a log sent to a pipe that
 * can be read at once. With --no-preload, every macro must be a harmless
 * no-op returning zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc-stat/api.h>

#include "check.h"

static malloc_stat_get_stat_fnptr get_stat;

#define CHECK_STAT(s, a, ab, d, db, iu, pk)                                  \
	do {                                                                 \
		CHECK_EQ((s).allocations, a);                                \
		CHECK_EQ((s).allocated, ab);                                 \
		CHECK_EQ((s).deallocations, d);                              \
		CHECK_EQ((s).deallocated, db);                               \
		CHECK_EQ((s).in_use, iu);                                    \
		CHECK_EQ((s).peak_in_use, pk);                               \
	} while (0)

/* Everything the pipe holds now, without waiting. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

/* After a reset all six are zero; they count from there. */
static void test_reset(void)
{
	malloc_stat_vars s;
	char *old = malloc(100);
	size_t u_old = malloc_usable_size(old);
	char *p, *q;

	s = MALLOC_STAT_RESET_STAT(get_stat);
	CHECK_STAT(s, 0, 0, 0, 0, 0, 0);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 0, 0, 0, 0, 0, 0);

	p = malloc(32);
	q = malloc(200);
	size_t u = malloc_usable_size(p), uq = malloc_usable_size(q);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 2, u + uq, 0, 0, u + uq, u + uq);
	free(q);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 2, u + uq, 1, uq, u, u + uq);

	/* A block from before the reset: in_use goes below zero (mod 2^64)
	 * and the peak stays. */
	free(old);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 2, u + uq, 2, uq + u_old, (uint64_t)u - u_old, u + uq);

	/* The original test_02: realloc(NULL), in place, moved, to zero. */
	s = MALLOC_STAT_RESET_STAT(get_stat);
	CHECK_STAT(s, 0, 0, 0, 0, 0, 0);
	free(p);
	p = realloc(NULL, 32);
	size_t a0 = malloc_usable_size(p);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 1, a0, 1, u, (uint64_t)a0 - u, a0 > u ? a0 - u : 0);
	MALLOC_STAT_RESET_STAT(get_stat);
	q = realloc(p, 1024 * 1024);
	size_t a1 = malloc_usable_size(q);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 1, a1, 1, a0, a1 - a0, a1 - a0);
	p = realloc(q, 0);
	CHECK(p == NULL);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 1, a1, 2, a0 + a1, (uint64_t)0 - a0, a1 - a0);
}

/* The original test_00/test_01 with MALLOC_STAT_GET_DIFF. */
static void test_diff(void)
{
	malloc_stat_vars b, a, d;
	char *p;

	b = MALLOC_STAT_GET_STAT(get_stat);
	p = malloc(32);
	memset(p, 'x', 32);
	a = MALLOC_STAT_GET_STAT(get_stat);
	d = MALLOC_STAT_GET_DIFF(b, a);
	CHECK_EQ(d.allocations, 1);
	CHECK_EQ(d.deallocations, 0);
	CHECK_EQ(d.in_use, MALLOC_STAT_ALLOCATED_SIZE(p));
	CHECK(!MALLOC_STAT_IS_EQUAL(a, b));
	free(p);
	a = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_EQ(a.allocations, b.allocations + 1);
	CHECK_EQ(a.deallocations, b.deallocations + 1);
	CHECK_EQ(a.in_use, b.in_use);
	b = MALLOC_STAT_GET_STAT(get_stat);
	CHECK(MALLOC_STAT_IS_EQUAL(a, b));
}

/* MALLOC_STAT_SET_LOG_FD(pipe) + ENABLE, then a realloc: the pipe holds
 * "realloc-inplace" at once. DISABLE: nothing more but the LOG entry. */
static void test_log_fd(void)
{
	char buf[8192];
	int fds[2];
	char *p = malloc(32), *q;

	CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
	MALLOC_STAT_ENABLE_LOG();
	MALLOC_STAT_SET_LOG_FD(fds[1]);
	q = realloc(p, 20);
	CHECK(q == p);
	drain(fds[0], buf, sizeof(buf));
	CHECK(strstr(buf, "# MALLOC-STAT-LOG 1\n") != NULL);
	CHECK(strstr(buf, "\n+ realloc-inplace 20 ") != NULL);

	MALLOC_STAT_DISABLE_LOG();
	drain(fds[0], buf, sizeof(buf));
	CHECK(strstr(buf, "+ LOG 0 0x0\n-\n") != NULL);
	p = malloc(77);
	free(p);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 0);

	MALLOC_STAT_ENABLE_LOG();
	p = malloc(78);
	drain(fds[0], buf, sizeof(buf));
	CHECK(strstr(buf, "+ LOG 1 0x0\n-\n") != NULL);
	CHECK(strstr(buf, "+ malloc 78 ") != NULL);
	CHECK(strstr(buf, "+ malloc 77 ") == NULL);

	/* A negative fd stops logging. */
	MALLOC_STAT_SET_LOG_FD(-1);
	drain(fds[0], buf, sizeof(buf));
	free(p);
	free(q);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 0);
	close(fds[0]);
	close(fds[1]);
}

static void test_without_preload(void)
{
	malloc_stat_vars s;
	char buf[64];
	int fds[2];
	char *p;

	CHECK(get_stat == NULL);
	s = MALLOC_STAT_GET_STAT(get_stat);
	CHECK_STAT(s, 0, 0, 0, 0, 0, 0);
	p = malloc(10);
	s = MALLOC_STAT_RESET_STAT(get_stat);
	CHECK_STAT(s, 0, 0, 0, 0, 0, 0);
	CHECK(pipe2(fds, O_NONBLOCK) == 0);
	MALLOC_STAT_ENABLE_LOG();
	MALLOC_STAT_SET_LOG_FD(fds[1]);
	p = realloc(p, 100);
	MALLOC_STAT_DISABLE_LOG();
	free(p);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 0);
	CHECK(MALLOC_STAT_SHOW("no preload", get_stat) > 0);
	fflush(stdout);
	/* The original reported a version mismatch without the preload. */
	CHECK(!MALLOC_STAT_CHECK_VERSION());
}

int main(int argc, char **argv)
{
	/* Warm up stdout, as the original did. */
	printf("warming up the stdout stream\n");
	fflush(stdout);
	get_stat = MALLOC_STAT_GET_STAT_FNPTR();
	if (argc > 1 && !strcmp(argv[1], "--no-preload")) {
		test_without_preload();
	} else {
		CHECK(get_stat != NULL);
		CHECK(MALLOC_STAT_CHECK_VERSION());
		test_reset();
		test_diff();
		test_log_fd();
	}
	printf("prog-api: all checks passed\n");
	return 0;
}
