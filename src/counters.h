/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The six counters of the seed API, in usable bytes. While the process has
 * one thread (as glibc itself decides with __libc_single_threaded), plain
 * arithmetic on mstat_ctr. With threads, each thread counts in a slot of
 * its own (no shared cache line, no lock prefix), and readers add the
 * slots up: calls, bytes and in_use stay exact. The peak is what in_use
 * reached when a thread's unshared part passed MSTAT_SLACK: under threads
 * it is exact only to within MSTAT_SLACK per thread (an exact shared peak
 * needs one shared atomic per event, which costs a threaded allocator
 * benchmark a third of its speed).
 */
#ifndef MSTAT_COUNTERS_H
#define MSTAT_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/single_threaded.h>

#define MSTAT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MSTAT_UNLIKELY(x) __builtin_expect(!!(x), 0)

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

/* One thread's counts since the epoch it names. Only its thread writes it
 * (single instructions, safe against its own signal handlers); others read
 * it word by word. net is its share of in_use; flushed, the part of net
 * already added to mstat_flushed (which the peak follows). */
struct mstat_tslot {
	uint64_t allocations;
	uint64_t allocated;
	uint64_t deallocations;
	uint64_t deallocated;
	int64_t net;
	int64_t flushed;
	uint32_t epoch;
	uint32_t owner;		/* tid; 0: free */
} __attribute__((aligned(64)));

#define MSTAT_TSLOTS 256
#define MSTAT_SLACK ((int64_t)64 << 10)

extern struct mstat_tslot mstat_tslots[MSTAT_TSLOTS];
extern uint32_t mstat_epoch;	/* advanced by each reset */
extern int64_t mstat_flushed;	/* sum of the slots' flushed parts */
extern __thread struct mstat_tslot *mstat_my_slot __attribute__((tls_model("initial-exec")));

/* This thread's slot in the current epoch, or NULL (all taken: the caller
 * counts in mstat_ctr with atomics). */
struct mstat_tslot *mstat_tslot_get(void);
void mstat_tslot_flush(struct mstat_tslot *s);

static inline struct mstat_tslot *mstat_tslot(void)
{
	struct mstat_tslot *s = mstat_my_slot;

	if (MSTAT_LIKELY(s && s->epoch == __atomic_load_n(&mstat_epoch, __ATOMIC_RELAXED)))
		return s;
	return mstat_tslot_get();
}

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
		struct mstat_tslot *s = mstat_tslot();
		int64_t now, peak;

		if (MSTAT_LIKELY(s != NULL)) {
			st_add(&s->allocations, 1);
			st_add(&s->allocated, n);
			now = st_xadd(&s->net, (int64_t)n) + (int64_t)n;
			if (MSTAT_UNLIKELY(now - s->flushed > MSTAT_SLACK))
				mstat_tslot_flush(s);
			return;
		}
		__atomic_fetch_add(&c->allocations, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->allocated, n, __ATOMIC_RELAXED);
		now = __atomic_add_fetch(&c->in_use, (int64_t)n, __ATOMIC_RELAXED) +
		      __atomic_load_n(&mstat_flushed, __ATOMIC_RELAXED);
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
		struct mstat_tslot *s = mstat_tslot();

		if (MSTAT_LIKELY(s != NULL)) {
			int64_t now;

			st_add(&s->deallocations, 1);
			st_add(&s->deallocated, n);
			now = st_xadd(&s->net, -(int64_t)n) - (int64_t)n;
			if (MSTAT_UNLIKELY(now - s->flushed < -MSTAT_SLACK))
				mstat_tslot_flush(s);
			return;
		}
		__atomic_fetch_add(&c->deallocations, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->deallocated, n, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&c->in_use, (int64_t)n, __ATOMIC_RELAXED);
	}
}

/* A snapshot: mstat_ctr plus every slot of the current epoch, each word
 * read atomically; peak_in_use is at least in_use. */
void mstat_counters_get(struct mstat_counters *out);

/* How far the peak may be from the true one (either way): MSTAT_SLACK per
 * thread slot counting in this epoch; 0 while only one thread counted. */
int64_t mstat_counters_peak_slack(void);

/* Zeroes all six (the seed's reset semantics: in_use and the peak then
 * count from the reset). */
void mstat_counters_reset(void);

/* In a fork child: the tallies start again, in_use stays (the child holds
 * the inherited blocks) and becomes the peak; the slots (of threads the
 * child does not have) are folded into mstat_ctr and freed. */
void mstat_counters_fork_child(void);

#endif
