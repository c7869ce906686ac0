/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Address -> size table for live blocks. Heap addresses are 16-byte
 * aligned and clustered: a Fibonacci hash of addr >> 4 spreads them. The
 * load stays at or under one half, so probes are short.
 */
#include "blocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BITS 10
#define KEEP_BITS 16		/* tables above this are shrunk on reset */

static inline size_t home(const struct mstat_blocks *b, uint64_t addr)
{
	return (size_t)(((addr >> 4) * 0x9E3779B97F4A7C15ull) >> b->shift);
}

static int alloc_table(struct mstat_blocks *b, unsigned bits)
{
	struct mstat_block *s = calloc((size_t)1 << bits, sizeof(*s));

	if (!s)
		return -ENOMEM;
	b->slot = s;
	b->mask = ((size_t)1 << bits) - 1;
	b->shift = 64 - bits;
	b->count = 0;
	return 0;
}

int mstat_blocks_init(struct mstat_blocks *b)
{
	return alloc_table(b, MIN_BITS);
}

void mstat_blocks_free(struct mstat_blocks *b)
{
	free(b->slot);
	b->slot = NULL;
	b->count = 0;
}

void mstat_blocks_reset(struct mstat_blocks *b)
{
	if (b->mask + 1 > ((size_t)1 << KEEP_BITS)) {
		struct mstat_blocks nb;

		if (alloc_table(&nb, MIN_BITS) == 0) {
			free(b->slot);
			*b = nb;
			return;
		}
	}
	memset(b->slot, 0, (b->mask + 1) * sizeof(*b->slot));
	b->count = 0;
}

static int grow(struct mstat_blocks *b)
{
	struct mstat_blocks nb;
	unsigned bits = 64 - b->shift + 1;

	if (alloc_table(&nb, bits) < 0)
		return -ENOMEM;
	for (size_t i = 0; i <= b->mask; i++) {
		const struct mstat_block *o = &b->slot[i];
		size_t j;

		if (!o->addr)
			continue;
		for (j = home(&nb, o->addr); nb.slot[j].addr; j = (j + 1) & nb.mask)
			;
		nb.slot[j] = *o;
	}
	nb.count = b->count;
	free(b->slot);
	*b = nb;
	return 0;
}

int mstat_blocks_put(struct mstat_blocks *b, uint64_t addr, uint64_t usable, uint64_t req,
		     struct mstat_block *old)
{
	size_t i;

	if ((b->count + 1) * 2 > b->mask + 1 && grow(b) < 0)
		return -ENOMEM;
	for (i = home(b, addr); b->slot[i].addr; i = (i + 1) & b->mask) {
		if (b->slot[i].addr == addr) {
			*old = b->slot[i];
			b->slot[i].usable = usable;
			b->slot[i].req = req;
			b->slot[i].stack = 0;
			b->slot[i].line = b->line;
			return 1;
		}
	}
	b->slot[i].addr = addr;
	b->slot[i].usable = usable;
	b->slot[i].req = req;
	b->slot[i].stack = 0;
	b->slot[i].line = b->line;
	b->count++;
	return 0;
}

struct mstat_block *mstat_blocks_find(struct mstat_blocks *b, uint64_t addr)
{
	if (!addr)
		return NULL;
	for (size_t i = home(b, addr); b->slot[i].addr; i = (i + 1) & b->mask)
		if (b->slot[i].addr == addr)
			return &b->slot[i];
	return NULL;
}

bool mstat_blocks_take(struct mstat_blocks *b, uint64_t addr, struct mstat_block *out)
{
	size_t i, j;

	if (!addr)
		return false;
	for (i = home(b, addr); b->slot[i].addr != addr; i = (i + 1) & b->mask)
		if (!b->slot[i].addr)
			return false;
	*out = b->slot[i];
	/* Backward shift: pull later entries of the run into the hole unless
	 * that would move one before its home slot. */
	for (j = (i + 1) & b->mask; b->slot[j].addr; j = (j + 1) & b->mask) {
		size_t k = home(b, b->slot[j].addr);

		if (((j - k) & b->mask) >= ((j - i) & b->mask)) {
			b->slot[i] = b->slot[j];
			i = j;
		}
	}
	b->slot[i].addr = 0;
	b->count--;
	return true;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct mstat_block *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

long mstat_blocks_overlaps(const struct mstat_blocks *b,
			   void (*fn)(void *arg, const struct mstat_block *x, const struct mstat_block *y),
			   void *arg)
{
	struct mstat_block *v;
	size_t n = 0;
	long pairs = 0;

	if (b->count < 2)
		return 0;
	v = malloc(b->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i <= b->mask; i++)
		if (b->slot[i].addr)
			v[n++] = b->slot[i];
	qsort(v, n, sizeof(*v), cmp_addr);
	/* Each block against the one reaching furthest before it. */
	for (size_t i = 1, far = 0; i < n; i++) {
		if (v[far].addr + v[far].usable > v[i].addr) {
			pairs++;
			if (v[far].line <= v[i].line)
				fn(arg, &v[far], &v[i]);
			else
				fn(arg, &v[i], &v[far]);
		}
		if (v[i].addr + v[i].usable > v[far].addr + v[far].usable)
			far = i;
	}
	free(v);
	return pairs;
}
