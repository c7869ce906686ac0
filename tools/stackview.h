/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The call-stack reports: the stacks of each executable symbolized and
 * merged where they read the same, then top allocation sites by bytes, by
 * calls and by what they held at the heap's peak, leaks by stack, in text
 * and JSON, and collapsed stacks for flame graphs.
 */
#ifndef MSTAT_STACKVIEW_H
#define MSTAT_STACKVIEW_H

#include <stdio.h>

#include "stacks.h"

enum mstat_metric {
	MSTAT_METRIC_BYTES,	/* bytes allocated */
	MSTAT_METRIC_CALLS,	/* allocations */
	MSTAT_METRIC_PEAK,	/* bytes live at the heap's peak */
	MSTAT_METRIC_LEAKED,	/* bytes live at exit or death */
	MSTAT_METRICS,
};

struct mstat_view_row {
	char *key;		/* frames innermost first, one a line: func \t file \t line \t inlined \t module */
	unsigned nframes;
	struct mstat_site st;
};

struct mstat_view_exe {
	const struct mstat_agg *agg;
	struct mstat_view_row *rows;
	size_t n;
};

struct mstat_stackview {
	struct mstat_stackdb *db;
	struct mstat_view_exe *ex;	/* largest allocated bytes first */
	size_t nex;
	unsigned depth;		/* frames shown per stack in text */
	double seconds;		/* symbolizing */
	size_t lookups, frames;
};

/* Symbolizes and merges every stack of db. 0 or -ENOMEM. */
int mstat_stackview_build(struct mstat_stackview *v, struct mstat_stackdb *db, unsigned depth);
void mstat_stackview_free(struct mstat_stackview *v);

/* "bytes", "calls", "peak", "leaked": 0 and the metric, or -EINVAL. */
int mstat_metric_parse(const char *s, enum mstat_metric *m);

void mstat_stackview_text(const struct mstat_stackview *v, FILE *out, unsigned top);
void mstat_stackview_json(const struct mstat_stackview *v, FILE *out, unsigned top);

/* "cmd;outermost;...;innermost VALUE" lines, every stack of every
 * executable. 0, or -EIO when out fails. */
int mstat_stackview_collapsed(const struct mstat_stackview *v, FILE *out, enum mstat_metric m);

#endif
