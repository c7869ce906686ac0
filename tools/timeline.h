/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The whole tree's memory over time: the own live bytes of every image
 * summed per time bin (the 4 ms of the preload's coarse clock, wider for
 * long traces), and likewise its anonymous mappings, the two together, and
 * the resident sizes. A fork child adds only blocks it allocated itself: what it
 * inherited is the parent's copy-on-write memory, counted there.
 */
#ifndef MSTAT_TIMELINE_H
#define MSTAT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "load.h"

#define MSTAT_TICK_NS 4000000ull
#define MSTAT_MAX_BINS (1u << 20)

struct mstat_timeline {
	uint64_t t0;		/* CLOCK_MONOTONIC ns of bin 0 */
	uint64_t bin_ns;
	size_t nbins;
	int64_t *curve[MSTAT_NSERIES];	/* bytes per bin: each image's highest in the bin */
	size_t cpeak_bin[MSTAT_NSERIES];
	int64_t cpeak[MSTAT_NSERIES];
	int64_t *total;		/* the heap: curve[MSTAT_HEAP] */
	uint32_t *live;		/* images alive per bin */
	size_t peak_bin;	/* the heap's */
	int64_t peak;
};

/* 0 or -ENOMEM; an empty set gives one empty bin. */
int mstat_timeline_build(struct mstat_timeline *tl, const struct mstat_set *set);
void mstat_timeline_free(struct mstat_timeline *tl);

/* What image im adds to bin b of curve k (as summed into tl->curve[k]). */
int64_t mstat_timeline_at(const struct mstat_timeline *tl, const struct mstat_image *im, size_t b,
			  enum mstat_series k);

/* Bin of a time (clamped). */
size_t mstat_timeline_bin(const struct mstat_timeline *tl, uint64_t t);

#endif
