/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The set of the preload's own blocks: 256 buckets of 8 addresses, one
 * cache line each, filled and emptied with compare-and-swap. No lock, so
 * a fork child (which may copy it in the middle of another thread's
 * change) and a signal handler can use it; a block whose bucket is full
 * is simply not the preload's (counted as before). Dozens of blocks live
 * at a time in practice: the loader's for libunwind and liblzma, and one
 * TLS block of libunwind per thread that has unwound. A byte per bucket
 * counts its addresses, so that a free or a malloc of the program's (the
 * set is read on each once stacks are on) looks at one byte, not a line,
 * when its bucket is empty: most are. A block is counted before its
 * malloc returns and uncounted after it left its bucket, so a lookup that
 * follows the malloc (as any free of it does) finds the count set.
 */
#include "self.h"

extern void *__libc_realloc(void *, size_t);

#define BUCKETS 256
#define WAYS 8

__thread uint8_t mstat_self_inside __attribute__((tls_model("initial-exec")));
unsigned mstat_self_n;
static uintptr_t set[BUCKETS][WAYS] __attribute__((aligned(64)));
static uint8_t fill[BUCKETS] __attribute__((aligned(64)));

static unsigned bucket(uintptr_t p)
{
	return (unsigned)((uint64_t)(p >> 4) * 0x9e3779b97f4a7c15ull >> 56);
}

static bool keep(void *p)
{
	unsigned k = bucket((uintptr_t)p);
	uintptr_t *b = set[k];

	/* Counted first: a lookup never sees the address with a zero count. */
	__atomic_fetch_add(&fill[k], 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WAYS; i++) {
		uintptr_t zero = 0;

		if (!__atomic_load_n(&b[i], __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&b[i], &zero, (uintptr_t)p, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_add(&mstat_self_n, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	__atomic_fetch_sub(&fill[k], 1, __ATOMIC_RELAXED);
	return false;
}

bool mstat_self_take(const void *p)
{
	unsigned k = bucket((uintptr_t)p);
	uintptr_t *b = set[k];

	if (MSTAT_LIKELY(!__atomic_load_n(&fill[k], __ATOMIC_RELAXED)))
		return false;
	for (int i = 0; i < WAYS; i++) {
		uintptr_t want = (uintptr_t)p;

		if (__atomic_load_n(&b[i], __ATOMIC_RELAXED) == want &&
		    __atomic_compare_exchange_n(&b[i], &want, 0, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_sub(&fill[k], 1, __ATOMIC_RELAXED);
			__atomic_fetch_sub(&mstat_self_n, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

bool mstat_self_alloc_slow(void *p)
{
	if (mstat_self_inside)
		return keep(p);
	/* An address the allocator hands out again is live only once: a
	 * block that left without our free (none known) is no longer ours. */
	mstat_self_take(p);
	return false;
}

/*
 * realloc of a block of the preload's (taken out of the set already): the
 * moved block stays the preload's. *kept is false when the new block could
 * not be remembered: the caller then counts it as an allocation of the
 * program's, so that its free balances.
 */
void *mstat_self_realloc(void *old, size_t size, bool *kept)
{
	void *p = __libc_realloc(old, size);

	*kept = true;
	if (p)
		*kept = keep(p);
	else if (size)
		(void)keep(old);	/* failed: old is still live, still ours */
	return p;
}

bool mstat_self_map(void *p)
{
	return mstat_self_inside && keep((void *)((uintptr_t)p | 1));
}

bool mstat_self_unmap(const void *p)
{
	return __atomic_load_n(&mstat_self_n, __ATOMIC_RELAXED) &&
	       mstat_self_take((const void *)((uintptr_t)p | 1));
}

bool mstat_self_remap(const void *old, void *p)
{
	if (!mstat_self_unmap(old))
		return false;
	/* Not kept (a full bucket): its unmap is logged later, of a range
	 * the reader never saw, which changes no figure. */
	(void)keep((void *)((uintptr_t)p | 1));
	return true;
}
