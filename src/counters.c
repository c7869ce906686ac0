/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Counter snapshots, resets and the threads' slots; the hot-path updates
 * are inline in counters.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counters.h"

struct mstat_counters mstat_ctr;
struct mstat_tslot mstat_tslots[MSTAT_TSLOTS];
uint32_t mstat_epoch;
int64_t mstat_flushed;
__thread struct mstat_tslot *mstat_my_slot __attribute__((tls_model("initial-exec")));

static void peak_at_least(int64_t now)
{
	int64_t peak = __atomic_load_n(&mstat_ctr.peak_in_use, __ATOMIC_RELAXED);

	while (now > peak && !__atomic_compare_exchange_n(&mstat_ctr.peak_in_use, &peak, now, 1,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The thread's unshared part passed MSTAT_SLACK: it joins the shared sum
 * that the peak follows. */
void mstat_tslot_flush(struct mstat_tslot *s)
{
	int64_t d = s->net - s->flushed, now;

	s->flushed = s->net;
	now = __atomic_add_fetch(&mstat_flushed, d, __ATOMIC_RELAXED) +
	      __atomic_load_n(&mstat_ctr.in_use, __ATOMIC_RELAXED);
	if (d > 0)
		peak_at_least(now);
}

/* A slot whose thread is gone (the kernel no longer knows its tid). */
static bool owner_gone(uint32_t tid)
{
	int err = errno;
	bool gone = syscall(SYS_tgkill, (long)getpid(), (long)tid, 0) < 0 && errno == ESRCH;

	errno = err;
	return gone;
}

static void slot_start(struct mstat_tslot *s, uint32_t epoch)
{
	memset(s, 0, offsetof(struct mstat_tslot, epoch));	/* the counts */
	__atomic_store_n(&s->epoch, epoch, __ATOMIC_RELEASE);
}

/* A thread that found every slot taken counts in mstat_ctr, and looks
 * again only after this many events (each look may probe 256 tids). */
#define SLOT_RETRY 65536u
static __thread uint32_t slot_retry __attribute__((tls_model("initial-exec")));

struct mstat_tslot *mstat_tslot_get(void)
{
	uint32_t epoch = __atomic_load_n(&mstat_epoch, __ATOMIC_ACQUIRE), me;
	struct mstat_tslot *s = mstat_my_slot;

	if (s) {
		/* A reset: the counts start again in the new epoch. Our
		 * flushed part left mstat_flushed with the reset. */
		slot_start(s, epoch);
		return s;
	}
	if (slot_retry) {
		slot_retry--;
		return NULL;
	}
	me = (uint32_t)syscall(SYS_gettid);
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < MSTAT_TSLOTS; i++) {
			uint32_t o = __atomic_load_n(&mstat_tslots[i].owner, __ATOMIC_RELAXED);

			/* Second pass: a dead thread's slot is taken over as
			 * it is: its counts and its share of in_use go on. */
			if (o == 0 ? pass == 0 : pass == 1 && owner_gone(o)) {
				if (!__atomic_compare_exchange_n(&mstat_tslots[i].owner, &o, me, 0,
								 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
					continue;
				s = &mstat_tslots[i];
				if (o == 0 || s->epoch != epoch)
					slot_start(s, epoch);
				mstat_my_slot = s;
				return s;
			}
		}
	slot_retry = SLOT_RETRY;
	return NULL;
}

void mstat_counters_get(struct mstat_counters *out)
{
	struct mstat_counters *c = &mstat_ctr;
	uint32_t epoch = __atomic_load_n(&mstat_epoch, __ATOMIC_ACQUIRE);

	out->allocations = __atomic_load_n(&c->allocations, __ATOMIC_RELAXED);
	out->allocated = __atomic_load_n(&c->allocated, __ATOMIC_RELAXED);
	out->deallocations = __atomic_load_n(&c->deallocations, __ATOMIC_RELAXED);
	out->deallocated = __atomic_load_n(&c->deallocated, __ATOMIC_RELAXED);
	out->in_use = __atomic_load_n(&c->in_use, __ATOMIC_RELAXED);
	out->peak_in_use = __atomic_load_n(&c->peak_in_use, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < MSTAT_TSLOTS; i++) {
		struct mstat_tslot *s = &mstat_tslots[i];

		if (!__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE) != epoch)
			continue;
		out->allocations += __atomic_load_n(&s->allocations, __ATOMIC_RELAXED);
		out->allocated += __atomic_load_n(&s->allocated, __ATOMIC_RELAXED);
		out->deallocations += __atomic_load_n(&s->deallocations, __ATOMIC_RELAXED);
		out->deallocated += __atomic_load_n(&s->deallocated, __ATOMIC_RELAXED);
		out->in_use += __atomic_load_n(&s->net, __ATOMIC_RELAXED);
	}
	if (out->peak_in_use < out->in_use)
		out->peak_in_use = out->in_use;
}

int64_t mstat_counters_peak_slack(void)
{
	uint32_t epoch = __atomic_load_n(&mstat_epoch, __ATOMIC_ACQUIRE);
	int64_t n = 0;

	for (unsigned i = 0; i < MSTAT_TSLOTS; i++)
		if (__atomic_load_n(&mstat_tslots[i].owner, __ATOMIC_RELAXED) &&
		    __atomic_load_n(&mstat_tslots[i].epoch, __ATOMIC_RELAXED) == epoch)
			n++;
	return n * MSTAT_SLACK;
}

void mstat_counters_reset(void)
{
	struct mstat_counters *c = &mstat_ctr;

	/* Slots of the old epoch stop counting in snapshots; each thread
	 * starts its own again at its next event. */
	__atomic_add_fetch(&mstat_epoch, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&mstat_flushed, 0, __ATOMIC_RELAXED);
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

	for (unsigned i = 0; i < MSTAT_TSLOTS; i++) {
		struct mstat_tslot *s = &mstat_tslots[i];

		if (s->owner && s->epoch == mstat_epoch)
			c->in_use += s->net;
		s->owner = 0;
		s->epoch = 0;
	}
	mstat_my_slot = NULL;
	mstat_flushed = 0;
	c->allocations = 0;
	c->allocated = 0;
	c->deallocations = 0;
	c->deallocated = 0;
	c->peak_in_use = c->in_use;
}
