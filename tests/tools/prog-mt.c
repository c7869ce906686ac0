// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Threads with known totals, whatever the interleaving: THREADS workers
 * (default 4) each run OPS rounds (default 200000) over a working set of
 * 256 slots (malloc, calloc, realloc that moves or stays, free), hand one
 * block in eight to the next worker, which frees it (cross-thread frees),
 * map and unmap 64 KiB every 512 rounds (entries of the text part, written
 * in the writer while other threads allocate), and leave LEAK blocks of
 * 777 bytes each allocated at the end. The calls,
 * requested sizes and the leaks are the same in every run; so are the
 * usable sizes glibc gives them. Prints the expected leaks.
 *
 *   prog-mt [THREADS [OPS [LEAK]]]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLOTS 256
#define RING 4096u

struct worker {
	pthread_t th;
	unsigned id;
	_Atomic unsigned head, tail;	/* ring filled by the previous worker */
	void *ring[RING];
	_Atomic int done;
};

static struct worker *w;
static unsigned nthreads, ops, leak;

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void drain(struct worker *me, int all)
{
	for (;;) {
		unsigned h = atomic_load(&me->head), t = atomic_load(&me->tail);

		if (h == t) {
			struct worker *prev = &w[(me->id + nthreads - 1) % nthreads];

			if (!all || atomic_load(&prev->done))
				if (h == atomic_load(&me->tail))
					return;
			continue;
		}
		free(me->ring[h % RING]);
		atomic_store(&me->head, h + 1);
	}
}

static void give(struct worker *to, void *p)
{
	unsigned t = atomic_load(&to->tail);

	while (t - atomic_load(&to->head) >= RING)
		;	/* the consumer drains as it works */
	to->ring[t % RING] = p;
	atomic_store(&to->tail, t + 1);
}

static void *work(void *arg)
{
	struct worker *me = arg, *nx = &w[(me->id + 1) % nthreads];
	uint64_t s = 0x9e3779b97f4a7c15ull * (me->id + 1);
	void *slot[SLOTS] = { 0 };

	for (unsigned i = 0; i < ops; i++) {
		unsigned k = (unsigned)(next(&s) % SLOTS), r = (unsigned)(next(&s) % 100);
		size_t sz = 16 + next(&s) % 600;

		if (!slot[k]) {
			slot[k] = r < 70 ? malloc(sz) : calloc(1, sz);
			memset(slot[k], 1, 1);
		} else if (r < 30) {
			slot[k] = realloc(slot[k], r < 15 ? sz : sz * 3);
		} else if (r < 42 && nthreads > 1) {
			give(nx, slot[k]);
			slot[k] = NULL;
		} else {
			free(slot[k]);
			slot[k] = NULL;
		}
		if ((i & 63) == 0)
			drain(me, 0);
		if ((i & 511) == 0) {
			void *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				abort();
			memset(m, 2, 4096);
			munmap(m, 65536);
		}
	}
	for (unsigned k = 0; k < SLOTS; k++)
		free(slot[k]);
	for (unsigned k = 0; k < leak; k++)
		if (!malloc(777))	/* leaked on purpose */
			abort();
	atomic_store(&me->done, 1);
	drain(me, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	nthreads = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
	ops = argc > 2 ? (unsigned)atoi(argv[2]) : 200000;
	leak = argc > 3 ? (unsigned)atoi(argv[3]) : 10;
	if (nthreads < 1 || nthreads > 64)
		return 2;
	w = calloc(nthreads, sizeof(*w));
	for (unsigned i = 0; i < nthreads; i++)
		w[i].id = i;
	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]))
			return 1;
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	free(w);
	printf("leaks %u blocks\n", nthreads * leak);
	return 0;
}
