/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * What the preload allocates for itself: the blocks and mappings that
 * dlopen and libunwind take while the preload works (loading the unwinder,
 * a thread's first unwind and its TLS block) are forwarded without being
 * counted or logged, and so are the frees of those blocks and the unmaps of
 * those mappings, whenever and by whomever they come: their addresses wait
 * in a small lock-free set.
 */
#ifndef MSTAT_SELF_H
#define MSTAT_SELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

/* Non-zero while this thread runs the preload's own work (the unwinder,
 * dlopen of it): what it allocates or maps then is the preload's. */
extern __thread uint8_t mstat_self_inside __attribute__((tls_model("initial-exec")));

/* Blocks in the set: 0 unless stacks are on. Read on every free. */
extern unsigned mstat_self_n;

bool mstat_self_alloc_slow(void *p);
bool mstat_self_take(const void *p);
void *mstat_self_realloc(void *old, size_t size, bool *kept);

/*
 * A block p just returned by the allocator: true when it is the
 * preload's (made inside and remembered), which the caller then neither
 * counts nor logs. When the set is full it is false, and the block counts
 * as the program's, its free too.
 */
static inline bool mstat_self_alloc(void *p)
{
	if (MSTAT_LIKELY(!mstat_self_inside && !__atomic_load_n(&mstat_self_n, __ATOMIC_RELAXED)))
		return false;
	return mstat_self_alloc_slow(p);
}

/* A block about to be freed: true (and forgotten) when it was the
 * preload's. */
static inline bool mstat_self_free(const void *p)
{
	if (MSTAT_LIKELY(!__atomic_load_n(&mstat_self_n, __ATOMIC_RELAXED)))
		return false;
	return mstat_self_take(p);
}

/*
 * Anonymous mappings, kept in the set by their start (tagged in bit 0,
 * which page addresses leave free): a mapping made inside is the
 * preload's, and so are munmap and mremap of one, from anywhere (libunwind
 * unmaps a thread's caches when the thread ends). True: neither log it.
 */
bool mstat_self_map(void *p);
bool mstat_self_unmap(const void *p);
bool mstat_self_remap(const void *old, void *p);

#endif
