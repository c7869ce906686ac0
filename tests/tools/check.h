/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The unit tests' assertion helper: prints file:line and the failed
 * condition, and lets the test go on so one run shows every failure.
 */
#ifndef MSTAT_CHECK_H
#define MSTAT_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                        \
		}                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                           \
	do {                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);              \
		if (a_ != b_) {                                                  \
			fprintf(stderr, "%s:%d: FAIL: %s == %s (%lld != %lld)\n", __FILE__, \
				__LINE__, #a, #b, a_, b_);                       \
			check_failures++;                                        \
		}                                                                \
	} while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
