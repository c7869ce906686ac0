/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Reading a whole trace: the inputs named on the command line (a
 * directory, a log prefix, single logs, merged files) become one set of
 * images, read by worker threads, each with its own live-block table.
 */
#ifndef MSTAT_LOAD_H
#define MSTAT_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "image.h"
#include "nolog.h"

#define MSTAT_MERGE_MAGIC "# MALLOC-STAT-MERGE "

struct mstat_set {
	struct mstat_image *img;	/* inputs in name order; tree.c appends */
	size_t n, cap;
	size_t ninputs;		/* images read (valid or not) */
	size_t nvalid;
	uint64_t bytes;		/* log bytes parsed */
	uint64_t lines;
	uint64_t problems;	/* in all inputs */
	size_t bad_inputs;	/* inputs that were not logs */
	size_t empty;		/* of which empty: processes that ended at once */
	double seconds;		/* wall time of the reading */
	double cpu_seconds;	/* CPU time of the reading, all threads */
	unsigned threads;
	int64_t launched;	/* run: the command's pid, never a mere launcher */
	unsigned nboots;	/* distinct BOOT ids, numbered in boot_no (tree.c) */
	struct mstat_nologs nolog;	/* images that got no log (PREFIX.nolog) */
};

struct mstat_load_opts {
	unsigned threads;	/* 0: one per online CPU, at most 8 */
	bool progress;		/* a progress line on stderr after a moment */
	FILE *msgs;		/* problems go here, in file order (NULL: none) */
	struct mstat_stackdb *stacks;	/* gather call stacks here (NULL: skip them) */
};

/*
 * Reads every input: a directory (its regular files), a regular file (a
 * log or a merged file), a pipe or FIFO, or a log prefix P (the files
 * P.PID.EPOCH.N); an input given twice is read once. Returns 0 with
 * at least one valid image, -ENOENT when nothing was found or readable
 * (explained on o->msgs), -ENOMEM.
 */
int mstat_load(struct mstat_set *set, char *const *inputs, size_t ninputs,
	       const struct mstat_load_opts *o);

void mstat_set_free(struct mstat_set *set);

/* Whether a file name is a log of prefix (its first plen bytes) as the
 * preload names them: PREFIX.PID.EPOCH.COUNTER. */
bool mstat_is_log_name(const char *name, const char *prefix, size_t plen);

/* Appends an image (tree.c's virtual nodes); its index, or -ENOMEM. */
long mstat_set_add(struct mstat_set *set);

#endif
