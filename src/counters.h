/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The six counters of the seed API, in usable bytes. Exact under threads
 * without a lock: plain arithmetic while the process has one thread (as
 * glibc itself decides with __libc_single_threaded), atomics afterwards.
 */
#ifndef MSTAT_COUNTERS_H
#define MSTAT_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/single_threaded.h>

struct mstat_counters {
	uint64_t allocations;
	uint64_t allocated;
	uint64_t deallocations;
	uint64_t deallocated;
	/* Net usable bytes since start or the last reset. Signed: freeing a
	 * block allocated before a reset takes it below zero. */
	int64_t in_use;
	int64_t peak_in_use;
} __attribute__((aligned(64)));

extern struct mstat_counters mstat_ctr;

#define MSTAT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MSTAT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Single-threaded updates must still be safe against a signal handler on
 * this thread that allocates: each is one read-modify-write instruction
 * (no lock prefix: nothing else can run on this memory), which a signal
 * cannot split, where `x += n` may compile to load, add, store. */
static inline void st_add(uint64_t *p, uint64_t v)
{
	__asm__ volatile("addq %1, %0" : "+m"(*p) : "er"(v) : "cc");
}

static inline int64_t st_xadd(int64_t *p, int64_t v)
{
	__asm__ volatile("xaddq %0, %1" : "+r"(v), "+m"(*p) : : "cc");
	return v;	/* the old value */
}

static inline void st_max(int64_t *p, int64_t v)
{
	int64_t old = *p;

	while (v > old) {
		int64_t seen = old;

		__asm__ volatile("cmpxchgq %2, %1" : "+a"(seen), "+m"(*p) : "r"(v) : "cc");
		if (seen == old)
			break;
		old = seen;
	}
}

static inline void mstat_counters_alloc(size_t n)
{
	struct mstat_counters *c = &mstat_ctr;

	if (MSTAT_LIKELY(__libc_single_threaded)) {
		int64_t now = st_xadd(&c->in_use, (int64_t)n) + (int64_t)n;

		st_add(&c->allocations, 1);
		st_add(&c->allocated, n);
		if (now > c->peak_in_use)
			st_max(&c->peak_in_use, now);
	} else {
		int64_t now, peak;

		__atomic_fetch_add(&c->allocations, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->allocated, n, __ATOMIC_RELAXED);
		now = __atomic_add_fetch(&c->in_use, (int64_t)n, __ATOMIC_RELAXED);
		peak = __atomic_load_n(&c->peak_in_use, __ATOMIC_RELAXED);
		while (now > peak &&
		       !__atomic_compare_exchange_n(&c->peak_in_use, &peak, now, 1,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
}

static inline void mstat_counters_free(size_t n)
{
	struct mstat_counters *c = &mstat_ctr;

	if (MSTAT_LIKELY(__libc_single_threaded)) {
		st_add(&c->deallocations, 1);
		st_add(&c->deallocated, n);
		st_xadd(&c->in_use, -(int64_t)n);
	} else {
		__atomic_fetch_add(&c->deallocations, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->deallocated, n, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&c->in_use, (int64_t)n, __ATOMIC_RELAXED);
	}
}

/* A snapshot, each field read atomically. */
void mstat_counters_get(struct mstat_counters *out);

/* Zeroes all six (the seed's reset semantics: in_use and the peak then
 * count from the reset). */
void mstat_counters_reset(void);

/* In a fork child: the tallies start again, in_use stays (the child holds
 * the inherited blocks) and becomes the peak. */
void mstat_counters_fork_child(void);

#endif
