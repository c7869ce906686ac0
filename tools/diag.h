/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Problems found while reading one log: kept per image (workers read in
 * parallel) and printed afterwards in file order, one line each as
 * "malloc-stat: FILE:LINE: reason". Repeats of one reason are counted, not
 * repeated.
 */
#ifndef MSTAT_DIAG_H
#define MSTAT_DIAG_H

#include <stdint.h>
#include <stdio.h>

#define MSTAT_DIAG_KEEP 8
#define MSTAT_DIAG_MSG 128

struct mstat_diag_item {
	uint64_t line;		/* 0: about the whole file */
	uint64_t times;
	char msg[MSTAT_DIAG_MSG];
};

struct mstat_diag {
	uint64_t count;		/* all problems, kept or not */
	unsigned nkept;
	struct mstat_diag_item kept[MSTAT_DIAG_KEEP];
};

/* Records a problem at a line (relative to the image's first line). A
 * reason already kept is counted on its first line. */
void mstat_diag_add(struct mstat_diag *d, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints the kept problems of one file; line numbers are offset by line0
 * (segments of a merged file). */
void mstat_diag_print(const struct mstat_diag *d, FILE *out, const char *path, uint64_t line0);

#endif
