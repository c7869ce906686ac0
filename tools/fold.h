/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The tree folded to what matters, as rows for the text and HTML writers:
 * heaviest subtrees first, long runs of one command among siblings
 * collapsed into one "cc1 x 312" row (with its largest member shown), the
 * light rest summed up in one "... N more" row.
 */
#ifndef MSTAT_FOLD_H
#define MSTAT_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

enum mstat_row_kind {
	MSTAT_ROW_NODE,		/* one image (or a virtual node) */
	MSTAT_ROW_GROUP,	/* siblings of one command */
	MSTAT_ROW_MORE,		/* the rest of a child list */
};

struct mstat_row {
	enum mstat_row_kind kind;
	unsigned depth;
	bool last;		/* last row among its siblings (tree drawing) */
	long img;		/* NODE; GROUP: its largest member */
	const char *name;	/* GROUP */
	size_t count;		/* GROUP, MORE: members (whole subtrees for MORE) */
	uint64_t allocs;
	int64_t peak_max, peak_sum;
	uint64_t leaked_bytes;
};

/* Rows of the whole forest; top bounds the children shown one by one under
 * each node, all when 0. *rows is malloc'd. 0 or -ENOMEM. */
int mstat_fold(const struct mstat_report *r, unsigned top, struct mstat_row **rows, size_t *n);

#endif
