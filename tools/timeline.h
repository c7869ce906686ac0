/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The whole tree's memory over time: the own live bytes of every image
 * summed over the images alive at each moment, and likewise its anonymous
 * mappings, the two together, and the resident sizes. An image lives from
 * its header's TIME to its end (FINI's time, else the start of the image
 * its exec made, else its last tick), exactly: images that never lived at
 * the same time are never added up. The sums are kept per time bin (the
 * 4 ms of the preload's coarse clock, wider for long traces) as the
 * highest of the bin. A fork child adds only blocks it allocated itself:
 * what it inherited is the parent's copy-on-write memory, counted there.
 */
#ifndef MSTAT_TIMELINE_H
#define MSTAT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "load.h"

#define MSTAT_TICK_NS 4000000ull
#define MSTAT_MAX_BINS (1u << 20)

struct mstat_timeline {
	const struct mstat_set *set;
	uint64_t t0;		/* CLOCK_MONOTONIC ns of bin 0 */
	uint64_t bin_ns;
	size_t nbins;
	int64_t *curve[MSTAT_NSERIES];	/* bytes per bin: the highest sum in the bin */
	size_t cpeak_bin[MSTAT_NSERIES];
	uint64_t cpeak_t[MSTAT_NSERIES];	/* when the peak began (ns) */
	int64_t cpeak[MSTAT_NSERIES];
	int64_t *total;		/* the heap: curve[MSTAT_HEAP] */
	uint32_t *live;		/* most images alive at one moment, per bin */
	uint32_t live_max;
	size_t peak_bin;	/* the heap's */
	uint64_t peak_t;
	int64_t peak;
	uint64_t *start, *end;	/* per image: its life, [start, end) in ns */
};

/* 0 or -ENOMEM; an empty set gives one empty bin. The tree must be built
 * (an exec'd image ends where the next one starts). */
int mstat_timeline_build(struct mstat_timeline *tl, const struct mstat_set *set);
void mstat_timeline_free(struct mstat_timeline *tl);

/* What image im holds at time t in curve k (as summed into tl->curve[k]);
 * 0 outside its life. */
int64_t mstat_timeline_at(const struct mstat_timeline *tl, const struct mstat_image *im, uint64_t t,
			  enum mstat_series k);

/* The highest of curve k summed over every image whose command is not
 * command, at any moment; -ENOMEM. */
int64_t mstat_timeline_peak_without(const struct mstat_timeline *tl, const char *command,
				    enum mstat_series k);

/* Bin of a time (clamped). */
size_t mstat_timeline_bin(const struct mstat_timeline *tl, uint64_t t);

#endif
