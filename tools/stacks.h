/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Call stacks of allocations (MALLOC_STAT_BACKTRACE): while an image is
 * read, its stack table (ids are per file) and its address map turn each
 * new stack into frames of (module, file offset), and each block carries
 * its stack, so calls, bytes, leaks and the blocks live at the image's
 * peak add up per stack. At the end of the image the table is merged into
 * one table per executable and freed: memory follows the distinct stacks
 * of a program, not the number of its processes.
 */
#ifndef MSTAT_STACKS_H
#define MSTAT_STACKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* A frame before symbols: the offset in a module's file (mod > 0), or a
 * raw address outside every known module (mod 0). */
struct mstat_frame {
	uint32_t mod;
	uint64_t off;
};

/* What one stack did; scaled by the sample weights when sampling. */
struct mstat_site {
	double calls, bytes;		/* allocations made */
	double leaked_calls, leaked_bytes;	/* live at exit or death */
	double peak_calls, peak_bytes;	/* live at the image's heap peak */
};

/* d += s, field by field. */
void mstat_site_add(struct mstat_site *d, const struct mstat_site *s);

struct mstat_module {
	char *path;		/* as the maps name it */
	uint64_t inode;
	void *sym;		/* symbols.c's state, made when first needed */
};

struct mstat_agg_stack {
	uint64_t hash;
	uint32_t first, n;	/* frames in pool, innermost first */
	struct mstat_site st;
};

/* The stacks of every image of one executable (or, with a pid filter,
 * of one process's images of it). */
struct mstat_agg {
	char *exe;
	size_t images;
	uint64_t sample;	/* the highest SAMPLE of its images (0: all stacked) */
	struct mstat_agg_stack *v;
	size_t n, cap;
	uint32_t *index;	/* open addressing: index + 1 */
	size_t imask;
	struct mstat_frame *pool;
	size_t npool, poolcap;
	struct mstat_site total;
};

struct mstat_stackdb {
	pthread_mutex_t lock;
	long pid;		/* only images of this process; -1: all */
	struct mstat_module *mods;	/* [0] stands for "no module" */
	size_t nmods, modcap;
	uint32_t *modix;
	size_t modmask;
	struct mstat_agg *aggs;
	size_t naggs, aggcap;
	uint64_t stacked_images;	/* images that had stacks */
};

int mstat_stackdb_init(struct mstat_stackdb *db, long pid);
void mstat_stackdb_free(struct mstat_stackdb *db);

/* ---- while one image is read (parse.c) ---- */

struct mstat_imap {
	uint64_t lo, hi, off;
	uint32_t mod;
};

struct mstat_istack {
	uint32_t first, n;
	uint64_t touched;	/* event of the last change */
	double live_calls, live_bytes;
	struct mstat_site st;
};

struct mstat_istacks {
	struct mstat_stackdb *db;
	struct mstat_imap *map;
	size_t nmap, mapcap;
	uint32_t *byid;		/* stack id -> index + 1 */
	size_t idcap;
	struct mstat_istack *v;	/* [0]: allocations without a stack */
	size_t n, cap;
	struct mstat_frame *pool;
	size_t npool, poolcap;
	uint32_t *unres;	/* pool frames in no module yet */
	size_t nunres, unrescap;
	uint64_t sample;
	uint64_t ev, peak_ev;	/* events, and the one that set the heap's peak */
	int err;
};

/* 0 or -ENOMEM. */
int mstat_istacks_begin(struct mstat_istacks *is, struct mstat_stackdb *db, uint64_t sample);

/* A MAPS block starts (the old map is dropped), one of its lines. */
void mstat_istacks_maps_clear(struct mstat_istacks *is);
void mstat_istacks_maps_line(struct mstat_istacks *is, const char *p, const char *eol);

/* A MAPS entry is complete. Frames in no module of the maps in force when
 * their stack was written are looked up in it: the preload checks for new
 * libraries only every 1024th stack, so a library's first stacks can
 * precede the MAPS entry that lists it. */
void mstat_istacks_maps_done(struct mstat_istacks *is);

/* "@ ID [0xRET...]" after the '@ ': the stack's index, or -1 for an id
 * never given frames, -2 for a malformed line. */
long mstat_istacks_line(struct mstat_istacks *is, const char *p, const char *eol);

/* A block of usable bytes became live on stack idx, or was freed. */
void mstat_istacks_alloc(struct mstat_istacks *is, uint32_t idx, uint64_t usable);
void mstat_istacks_free(struct mstat_istacks *is, uint32_t idx, uint64_t usable);

/* A summary's call-stack row (doc/summary-format.md): the figures of the
 * stack whose id is `id` in this file, weighted already, added to its
 * entry; id 0, or one the text part gave no frames, adds to the "no
 * stack" entry. The peak figures are what it held at the image's peak. */
void mstat_istacks_site(struct mstat_istacks *is, uint64_t id, double calls, double bytes,
			double live_calls, double live_bytes, double peak_calls, double peak_bytes);

/* The image is read: its stacks join its executable's table (when it is
 * valid and passes the pid filter) and the per-image table is freed. */
void mstat_istacks_end(struct mstat_istacks *is, const struct mstat_image *im, bool ok);

#endif
