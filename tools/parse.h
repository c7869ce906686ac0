/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The log parser: one pass over one image's log held in memory (a mapped
 * file or a segment of a merged file), recomputing what the preload
 * counted, entry by entry.
 */
#ifndef MSTAT_PARSE_H
#define MSTAT_PARSE_H

#include <stddef.h>

#include "blocks.h"
#include "image.h"

/*
 * Reads the log in buf[0, len) into im (initialised, with path and name
 * set). Reading stops at the first NUL byte (space a killed writer had
 * reserved). tab is the caller's live-block table, emptied on return.
 *
 * Returns 0 when im is a log (im->valid; problems in it are in im->diag),
 * -EINVAL when it is not a malloc-stat log of a version this reader knows
 * (the reason is in im->diag), -ENOMEM.
 */
int mstat_parse(struct mstat_image *im, const char *buf, size_t len, struct mstat_blocks *tab);

/* The same, with call stacks gathered into db (NULL: none) when the log
 * has them. */
struct mstat_stackdb;
int mstat_parse_stacks(struct mstat_image *im, const char *buf, size_t len,
		       struct mstat_blocks *tab, struct mstat_stackdb *db);

/* The same for a log in a private read-only file mapping, whose pages it
 * drops (MADV_DONTNEED) as it reads on: they come back from the file if
 * touched again. */
/* Bytes read between two mstat_drop_pages calls. */
#define RELEASE_EVERY (32 << 20)

/* Gives back the whole pages of [from, to) of a private read-only file
 * mapping, read already: a log of gigabytes then holds the reader's memory
 * no more than its live blocks do. They come back from the file if
 * touched again. */
void mstat_drop_pages(const char *from, const char *to);

int mstat_parse_mapped(struct mstat_image *im, const char *buf, size_t len,
		       struct mstat_blocks *tab, struct mstat_stackdb *db);

#endif
