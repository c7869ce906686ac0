/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Counter snapshots and resets; the hot-path updates are inline in
 * counters.h.
 */
#include "counters.h"

struct mstat_counters mstat_ctr;

void mstat_counters_get(struct mstat_counters *out)
{
	struct mstat_counters *c = &mstat_ctr;

	out->allocations = __atomic_load_n(&c->allocations, __ATOMIC_RELAXED);
	out->allocated = __atomic_load_n(&c->allocated, __ATOMIC_RELAXED);
	out->deallocations = __atomic_load_n(&c->deallocations, __ATOMIC_RELAXED);
	out->deallocated = __atomic_load_n(&c->deallocated, __ATOMIC_RELAXED);
	out->in_use = __atomic_load_n(&c->in_use, __ATOMIC_RELAXED);
	out->peak_in_use = __atomic_load_n(&c->peak_in_use, __ATOMIC_RELAXED);
}

void mstat_counters_reset(void)
{
	struct mstat_counters *c = &mstat_ctr;

	__atomic_store_n(&c->allocations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->allocated, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->deallocations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->deallocated, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->in_use, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->peak_in_use, 0, __ATOMIC_RELAXED);
}

void mstat_counters_fork_child(void)
{
	struct mstat_counters *c = &mstat_ctr;

	c->allocations = 0;
	c->allocated = 0;
	c->deallocations = 0;
	c->deallocated = 0;
	c->peak_in_use = c->in_use;
}
