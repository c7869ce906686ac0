/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The set of the preload's own blocks: 256 buckets of 8 addresses, one
 * cache line each, filled and emptied with compare-and-swap. No lock, so
 * a fork child (which may copy it in the middle of another thread's
 * change) and a signal handler can use it; a block whose bucket is full
 * is simply not the preload's (counted as before). Dozens of blocks live
 * at a time in practice: the loader's for libunwind and liblzma, and one
 * TLS block of libunwind per thread that has unwound.
 */
#include "self.h"

extern void *__libc_realloc(void *, size_t);

#define BUCKETS 256
#define WAYS 8

__thread uint8_t mstat_self_inside __attribute__((tls_model("initial-exec")));
unsigned mstat_self_n;
static uintptr_t set[BUCKETS][WAYS] __attribute__((aligned(64)));

static uintptr_t *bucket(uintptr_t p)
{
	return set[(uint64_t)(p >> 4) * 0x9e3779b97f4a7c15ull >> 56];
}

static bool keep(void *p)
{
	uintptr_t *b = bucket((uintptr_t)p);

	for (int i = 0; i < WAYS; i++) {
		uintptr_t zero = 0;

		if (!__atomic_load_n(&b[i], __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&b[i], &zero, (uintptr_t)p, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_add(&mstat_self_n, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

bool mstat_self_take(const void *p)
{
	uintptr_t *b = bucket((uintptr_t)p);

	for (int i = 0; i < WAYS; i++) {
		uintptr_t want = (uintptr_t)p;

		if (__atomic_load_n(&b[i], __ATOMIC_RELAXED) == want &&
		    __atomic_compare_exchange_n(&b[i], &want, 0, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
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
