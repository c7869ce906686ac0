// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Threaded stress: N threads run a fixed mix of allocator calls and hand
 * blocks to the next thread, which frees them (cross-thread frees). The
 * counters must move by exactly the calls made, and in_use return to its
 * start. Usage: prog-threads THREADS OPS_PER_THREAD
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <malloc-stat/api.h>

#include "check.h"

#define SLOTS 64
#define QCAP 1024

struct queue {		/* single producer, single consumer */
	void *item[QCAP];
	unsigned head;	/* next to pop, consumer's */
	unsigned tail;	/* next to push, producer's */
	int done;	/* the producer has finished */
};

struct worker {
	pthread_t th;
	unsigned id;
	struct queue *in, *out;
	uint64_t allocs, frees;
};

static unsigned nthreads, ops;
static struct queue *queues;
static pthread_barrier_t started, go, finished, leave;

static int push(struct queue *q, void *p)
{
	unsigned t = q->tail;

	if (t - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) == QCAP)
		return 0;
	q->item[t % QCAP] = p;
	__atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
	return 1;
}

static void *pop(struct queue *q)
{
	unsigned h = q->head;
	void *p;

	if (h == __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE))
		return NULL;
	p = q->item[h % QCAP];
	__atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);
	return p;
}

static void drain(struct worker *w)
{
	void *p;

	while ((p = pop(w->in))) {
		free(p);
		w->frees++;
	}
}

static size_t size_of(unsigned k)
{
	if (k % 997 == 0)
		return 200000 + k % 4096;	/* mmapped */
	return 1 + (k * 2654435761u) % 600;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	void *slot[SLOTS] = { 0 };

	pthread_barrier_wait(&started);
	pthread_barrier_wait(&go);
	for (unsigned k = 0; k < ops; k++) {
		unsigned s = (k * 7 + w->id) % SLOTS;
		void *p = NULL;

		if (slot[s] && k % 8 != 5) {
			free(slot[s]);
			w->frees++;
			slot[s] = NULL;
		}
		switch (k % 8) {
		case 0: case 1: case 2: case 3:
			p = malloc(size_of(k));
			break;
		case 4:
			p = calloc(1 + k % 5, size_of(k) / 4 + 1);
			break;
		case 5:
			/* realloc(NULL, n) when empty, else a resize: one
			 * allocation, plus one deallocation when it resizes. */
			if (slot[s])
				w->frees++;
			p = realloc(slot[s], size_of(k + 1));
			slot[s] = NULL;
			break;
		case 6:
			if (k & 8)
				p = memalign(64, size_of(k));
			else
				CHECK(posix_memalign(&p, 32, size_of(k)) == 0);
			break;
		case 7:
			p = malloc(size_of(k));
			CHECK(p != NULL);
			w->allocs++;
			if (push(w->out, p))
				p = NULL;
			break;
		}
		if (k % 8 != 7) {
			CHECK(p != NULL);
			w->allocs++;
		}
		if (p) {
			memset(p, (int)k, 8);
			slot[s] = p;
		}
		if (k % 16 == 0)
			drain(w);
	}
	for (unsigned s = 0; s < SLOTS; s++) {
		if (slot[s]) {
			free(slot[s]);
			w->frees++;
		}
	}
	__atomic_store_n(&w->out->done, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->in->done, __ATOMIC_ACQUIRE))
		drain(w);
	drain(w);
	pthread_barrier_wait(&finished);
	pthread_barrier_wait(&leave);
	return NULL;
}

int main(int argc, char **argv)
{
	malloc_stat_get_stat_fnptr get_stat = MALLOC_STAT_GET_STAT_FNPTR();
	malloc_stat_vars before, after;
	struct worker *w;
	uint64_t allocs = 0, frees = 0;

	CHECK(argc == 3);
	CHECK(get_stat != NULL);
	nthreads = (unsigned)atoi(argv[1]);
	ops = (unsigned)atoi(argv[2]);
	CHECK(nthreads >= 2 && ops > 0);
	queues = calloc(nthreads, sizeof(*queues));
	w = calloc(nthreads, sizeof(*w));
	CHECK(queues && w);
	pthread_barrier_init(&started, NULL, nthreads + 1);
	pthread_barrier_init(&go, NULL, nthreads + 1);
	pthread_barrier_init(&finished, NULL, nthreads + 1);
	pthread_barrier_init(&leave, NULL, nthreads + 1);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].out = &queues[i];
		w[i].in = &queues[(i + nthreads - 1) % nthreads];
		CHECK(pthread_create(&w[i].th, NULL, work, &w[i]) == 0);
	}
	/* Every thread is parked: nothing allocates between the snapshots
	 * but the workers' own calls. */
	pthread_barrier_wait(&started);
	before = MALLOC_STAT_GET_STAT(get_stat);
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&finished);
	after = MALLOC_STAT_GET_STAT(get_stat);
	pthread_barrier_wait(&leave);
	for (unsigned i = 0; i < nthreads; i++) {
		CHECK(pthread_join(w[i].th, NULL) == 0);
		allocs += w[i].allocs;
		frees += w[i].frees;
	}
	CHECK_EQ(allocs, frees);
	CHECK_EQ(after.allocations - before.allocations, allocs);
	CHECK_EQ(after.deallocations - before.deallocations, frees);
	CHECK_EQ(after.allocated - before.allocated, after.deallocated - before.deallocated);
	CHECK_EQ(after.in_use, before.in_use);
	CHECK(after.peak_in_use >= before.peak_in_use);
	PUTF(STDOUT_FILENO, "calls %llu frees %llu in_use %llu\n", (unsigned long long)allocs,
	     (unsigned long long)frees, (unsigned long long)after.in_use);
	free(queues);
	free(w);
	return 0;
}
