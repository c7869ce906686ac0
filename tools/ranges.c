/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * A sorted array of ranges, binary searched. The kernel caps a process at
 * about 65530 mappings, and neighbours of one kind are merged, so the
 * array stays small and a memmove per change is cheap.
 */
#include "ranges.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t page_end(uint64_t addr, uint64_t len)
{
	uint64_t hi = addr + len;

	if (hi < addr)
		return UINT64_MAX & ~(uint64_t)(MSTAT_PAGE - 1);
	return (hi + MSTAT_PAGE - 1) & ~(uint64_t)(MSTAT_PAGE - 1);
}

/* The first range that ends after addr. */
static size_t first_after(const struct mstat_ranges *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->v[mid].hi <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct mstat_ranges *r, size_t more)
{
	if (r->n + more <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 16;

	while (cap < r->n + more)
		cap *= 2;
	struct mstat_range *v = realloc(r->v, cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->v = v;
	r->cap = cap;
	return 0;
}

/* Replaces v[i, j) by the k ranges in add. */
static void splice(struct mstat_ranges *r, size_t i, size_t j, const struct mstat_range *add,
		   size_t k)
{
	memmove(&r->v[i + k], &r->v[j], (r->n - j) * sizeof(*r->v));
	memcpy(&r->v[i], add, k * sizeof(*add));
	r->n = r->n - (j - i) + k;
}

static int cut(struct mstat_ranges *r, uint64_t lo, uint64_t hi)
{
	struct mstat_range keep[2];
	size_t i = first_after(r, lo), j = i, k = 0;

	if (lo >= hi)
		return 0;
	if (reserve(r, 1) < 0)
		return -ENOMEM;
	while (j < r->n && r->v[j].lo < hi) {
		struct mstat_range *x = &r->v[j];
		uint64_t a = x->lo > lo ? x->lo : lo, b = x->hi < hi ? x->hi : hi;

		r->bytes[x->kind] -= b - a;
		if (x->lo < lo)
			keep[k++] = (struct mstat_range){ x->lo, lo, x->kind };
		if (x->hi > hi)
			keep[k++] = (struct mstat_range){ hi, x->hi, x->kind };
		j++;
	}
	if (j > i || k)
		splice(r, i, j, keep, k);
	return 0;
}

int mstat_ranges_map(struct mstat_ranges *r, uint64_t addr, uint64_t len, unsigned kind)
{
	uint64_t lo = addr & ~(uint64_t)(MSTAT_PAGE - 1), hi = page_end(addr, len);
	struct mstat_range x = { lo, hi, kind };
	size_t i;

	if (lo >= hi || kind == MSTAT_RANGE_NONE || kind >= MSTAT_RANGE_KINDS)
		return 0;
	if (cut(r, lo, hi) < 0 || reserve(r, 1) < 0)
		return -ENOMEM;
	r->bytes[kind] += hi - lo;
	i = first_after(r, lo);
	/* Merge with neighbours of the same kind that touch it. */
	size_t a = i, b = i;

	if (a > 0 && r->v[a - 1].hi == lo && r->v[a - 1].kind == kind) {
		x.lo = r->v[a - 1].lo;
		a--;
	}
	if (b < r->n && r->v[b].lo == hi && r->v[b].kind == kind) {
		x.hi = r->v[b].hi;
		b++;
	}
	splice(r, a, b, &x, 1);
	return 0;
}

int mstat_ranges_unmap(struct mstat_ranges *r, uint64_t addr, uint64_t len)
{
	return cut(r, addr & ~(uint64_t)(MSTAT_PAGE - 1), page_end(addr, len));
}

int mstat_ranges_remap(struct mstat_ranges *r, uint64_t newp, uint64_t newlen, uint64_t oldp,
		       uint64_t oldlen)
{
	size_t i = first_after(r, oldp);
	uint64_t end = page_end(oldp, oldlen ? oldlen : 1);
	unsigned kind = i < r->n && r->v[i].lo < end ? r->v[i].kind : MSTAT_RANGE_NONE;

	if (oldlen && mstat_ranges_unmap(r, oldp, oldlen) < 0)
		return -ENOMEM;
	if (kind == MSTAT_RANGE_NONE)
		return mstat_ranges_unmap(r, newp, newlen);
	return mstat_ranges_map(r, newp, newlen, kind);
}

void mstat_ranges_free(struct mstat_ranges *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}
