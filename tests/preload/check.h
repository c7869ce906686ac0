/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Assertions for the probe programs (prog-*.c): print file:line and the
 * values, exit 1. They print through a stack buffer and write(), so that a
 * check never allocates on its own.
 */
#ifndef MSTAT_TEST_CHECK_H
#define MSTAT_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void check_fail(const char *file, int line, const char *what,
			      unsigned long long a, unsigned long long b)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%d: CHECK failed: %s (%llu vs %llu)\n",
			 file, line, what, a, b);

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
	_exit(1);
}

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			check_fail(__FILE__, __LINE__, #cond, 0, 0);         \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		unsigned long long a_ = (unsigned long long)(a);             \
		unsigned long long b_ = (unsigned long long)(b);             \
		if (a_ != b_)                                                \
			check_fail(__FILE__, __LINE__, #a " == " #b, a_, b_); \
	} while (0)

/* Formats into a stack buffer and writes it whole to fd. */
#define PUTF(fd, ...)                                                        \
	do {                                                                 \
		char b_[512];                                                \
		int n_ = snprintf(b_, sizeof(b_), __VA_ARGS__);              \
		CHECK(n_ > 0 && (size_t)n_ < sizeof(b_));                    \
		CHECK(write((fd), b_, (size_t)n_) == n_);                    \
	} while (0)

#endif
