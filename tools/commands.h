/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Per-command totals: every image grouped by its command name ("cc1 x 312"),
 * with calls, bytes, the highest and the summed peaks, and leaks.
 */
#ifndef MSTAT_COMMANDS_H
#define MSTAT_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "load.h"

struct mstat_command {
	const char *name;	/* points into an image */
	size_t count;
	uint64_t allocs, frees, alloc_bytes;
	int64_t peak_max, peak_sum;
	long peak_image;	/* the image with the highest peak */
	uint64_t leaked_blocks, leaked_bytes;
	size_t died;		/* images with no FINI nor exec */
	/* the highest per image of: anonymous mappings, heap + anonymous at
	 * one moment, resident size (rss_peak, set by report.c) */
	int64_t anon_max, total_max, rss_max;
	long total_image, rss_image;
};

/* Fills *out (malloc'd) sorted by summed peak, largest first. 0 or -ENOMEM. */
int mstat_commands(const struct mstat_set *set, struct mstat_command **out, size_t *n);

#endif
