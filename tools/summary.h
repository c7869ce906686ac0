/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The body of a summary log (MALLOC_STAT_MODE=summary; layout in
 * doc/summary-format.md): the heap state the preload keeps in place. The
 * decoder only checks and points into the file's bytes; parse.c turns it
 * into the same image model an event log gives.
 */
#ifndef MSTAT_SUMMARY_H
#define MSTAT_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSTAT_SUMMARY_PAGE 4096u
#define MSTAT_SUMMARY_SLOT 24u	/* addr, usable, requested (and, version 4, stack id) */
#define MSTAT_SUMMARY_BIN 32u	/* start, in use at start, max, resident */
#define MSTAT_SUMMARY_ROW 64u	/* version 4: one call stack's figures */

#define MSTAT_SUMMARY_TABS 65	/* the superblock's table, or up to 64 shards' */

struct mstat_summary {
	uint64_t off, len;		/* the body in the file */
	unsigned version;
	unsigned ntabs;			/* live-block tables (shards, with threads) */
	struct {
		const unsigned char *slots;
		uint64_t nslots;
	} tabs[MSTAT_SUMMARY_TABS];
	uint64_t ctr[6];		/* allocations allocated deallocations deallocated in_use peak */
	uint64_t lost;			/* events the body could not hold */
	uint64_t unknown_frees, unknown_bytes;	/* of blocks it never had */
	uint64_t nslots;		/* in all tables (mstat_summary_slot) */
	const unsigned char *groups;	/* version 3 on: the packed list's groups */
	const unsigned char *list;	/* and its entries' bytes */
	uint64_t nlist, list_len;
	unsigned threads;		/* thread counter slots added to ctr */
	unsigned threads_counted;	/* of them, those that counted a call */
	const unsigned char *bins;	/* the timeline */
	unsigned nbins;
	uint64_t bin_ns;		/* a bin's width */
	uint64_t hist_n[64], hist_bytes[64];	/* requested sizes, by log2 */
	/* Version 4: call stacks. rows is NULL without them, or when their
	 * words are damaged (then sites_why says why; the rest is read). */
	const unsigned char *rows;	/* row i (1 <= i < nrows) at rows + 64 i */
	uint64_t nrows;
	uint64_t sites_used, site_clock;	/* advisory; the rows' clock */
	uint64_t peak_stamp;		/* the clock when the own heap peaked */
	int64_t peak_heap;		/* the own heap then */
	char sites_why[120];
};

/* One call stack's figures (weighted as the event reader weighs blocks). */
struct mstat_summary_row {
	double calls, bytes;		/* allocations made on it */
	double live_calls, live_bytes;	/* its blocks live now */
	double peak_calls, peak_bytes;	/* live at the heap's peak */
	uint64_t stamp;
};

/* Reads the body at byte offset `at` of buf (the whole file). 0, or
 * -EINVAL with the reason in why. */
int mstat_summary_read(const char *buf, size_t len, uint64_t at, struct mstat_summary *s,
		       char *why, size_t cap);

/* Row id (1 <= id < s->nrows) into r, its peak figures those held at the
 * peak (live ones when the row has not changed since). 1 for a row never
 * written, 0, or -EINVAL with the reason in why for figures no stack can
 * have (not finite, below zero, more live than made). */
int mstat_summary_row(const struct mstat_summary *s, uint64_t id, struct mstat_summary_row *r,
		      char *why, size_t cap);

/* A walk over the live blocks of a body that mstat_summary_read took. */
struct mstat_summary_walk {
	uint64_t slot, entry;
	const unsigned char *p;
	uint64_t addr;
};

/* The next live block into b (address, usable, requested, stack id; the
 * id 0 before version 4): the tables', then the packed list's not freed
 * since. false after the last. A block may come twice: caught moving
 * between two slots, or resized in place since it was packed (the table's
 * first). Start from a zeroed walk. */
bool mstat_summary_next(const struct mstat_summary *s, struct mstat_summary_walk *w, uint64_t b[4]);

static inline uint64_t mstat_summary_u64(const unsigned char *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* Slot i < nslots of the tables taken one after the other. */
static inline const unsigned char *mstat_summary_slot(const struct mstat_summary *s, uint64_t i)
{
	unsigned t = 0;

	while (i >= s->tabs[t].nslots)
		i -= s->tabs[t++].nslots;
	return s->tabs[t].slots + i * MSTAT_SUMMARY_SLOT;
}

#endif
