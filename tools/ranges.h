/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The anonymous mappings of the image being read, as a set of disjoint
 * address ranges with a kind each: mmap adds page-rounded ranges (over
 * whatever was there), munmap subtracts any overlap (splitting ranges),
 * mremap moves or resizes a range and keeps its kind.
 */
#ifndef MSTAT_RANGES_H
#define MSTAT_RANGES_H

#include <stddef.h>
#include <stdint.h>

#define MSTAT_PAGE 4096u

enum mstat_range_kind {
	MSTAT_RANGE_NONE,
	MSTAT_RANGE_ANON,	/* anonymous memory the program can use */
	MSTAT_RANGE_RESERVED,	/* mapped PROT_NONE: address space, not memory */
	MSTAT_RANGE_KINDS,
};

struct mstat_range {
	uint64_t lo, hi;	/* [lo, hi), page aligned */
	unsigned kind;
};

struct mstat_ranges {
	struct mstat_range *v;	/* sorted, disjoint; neighbours of one kind merged */
	size_t n, cap;
	uint64_t bytes[MSTAT_RANGE_KINDS];	/* live bytes per kind */
};

/* Maps [addr, addr+len) (len rounded up to pages) as kind, replacing what
 * was there. 0 or -ENOMEM. */
int mstat_ranges_map(struct mstat_ranges *r, uint64_t addr, uint64_t len, unsigned kind);

/* Unmaps the overlap of [addr, addr+len) with the known ranges. 0 or
 * -ENOMEM (a split needs room). */
int mstat_ranges_unmap(struct mstat_ranges *r, uint64_t addr, uint64_t len);

/* mremap: OLD..OLD+OLDLEN retired (kept when oldlen is 0, a copy), NEW..
 * NEW+NEWLEN mapped with the kind the old range had; nothing is added when
 * the old range was not known (a file mapping). 0 or -ENOMEM. */
int mstat_ranges_remap(struct mstat_ranges *r, uint64_t newp, uint64_t newlen, uint64_t oldp,
		       uint64_t oldlen);

void mstat_ranges_free(struct mstat_ranges *r);

#endif
