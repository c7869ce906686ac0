/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The live blocks of the image being read: an open-addressing hash table
 * from address to sizes, linear probing with backward-shift deletion (no
 * tombstones), so its memory follows the blocks live at one time and never
 * the length of the log.
 */
#ifndef MSTAT_BLOCKS_H
#define MSTAT_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mstat_block {
	uint64_t addr;		/* 0: empty slot */
	uint64_t usable;
	uint64_t req;
	uint32_t stack;		/* the image's stack index + 1, 0 for none (stacks.h) */
	uint32_t line;		/* where it was allocated (the table's line when put) */
};

struct mstat_blocks {
	struct mstat_block *slot;
	size_t mask;		/* capacity - 1, a power of two */
	unsigned shift;		/* 64 - log2(capacity) */
	size_t count;
	uint32_t line;		/* the reader's line, copied into each block put */
};

/* 0 or -ENOMEM. */
int mstat_blocks_init(struct mstat_blocks *b);
void mstat_blocks_free(struct mstat_blocks *b);

/* Empties the table for the next image, giving back memory a big one took. */
void mstat_blocks_reset(struct mstat_blocks *b);

/* Inserts addr (not 0). Returns 0, 1 when addr was live already (its old
 * sizes go to *old, the new ones replace them), or -ENOMEM. */
int mstat_blocks_put(struct mstat_blocks *b, uint64_t addr, uint64_t usable, uint64_t req,
		     struct mstat_block *old);

/* The live block at addr, or NULL. */
struct mstat_block *mstat_blocks_find(struct mstat_blocks *b, uint64_t addr);

/* Removes addr; true and its sizes in *out when it was live (never for 0). */
bool mstat_blocks_take(struct mstat_blocks *b, uint64_t addr, struct mstat_block *out);

/* Live blocks that overlap another one (a corrupt log): calls fn with
 * each overlapping pair, the later allocated second, in address order.
 * Returns the number of pairs, or -ENOMEM. */
long mstat_blocks_overlaps(const struct mstat_blocks *b,
			   void (*fn)(void *arg, const struct mstat_block *x, const struct mstat_block *y),
			   void *arg);

#endif
