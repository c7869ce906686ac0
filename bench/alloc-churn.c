/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * alloc-churn: an allocation-heavy microbenchmark for tracers.
 *
 *   alloc-churn [THREADS [OPS [SLOTS]]]
 *
 * THREADS (1 or more, default 1) threads share OPS operations (default
 * 4000000, split evenly). Each thread keeps a working set of SLOTS live
 * blocks (default 4096) and, per operation, picks a slot at random: an
 * empty slot gets a block from malloc (55%), calloc (20%), realloc(NULL)
 * (10%) or posix_memalign/aligned_alloc (15% split); a full slot is
 * resized with realloc (25%) or freed (75%). Sizes are mostly small, some
 * medium, a few large (above glibc's mmap threshold). Each new or resized
 * block has its first and last byte touched.
 *
 * With two or more threads, one free in eight goes to the next thread
 * through a single-producer single-consumer ring and is freed there
 * (cross-thread frees), as in producer/consumer programs.
 *
 * Deterministic: a fixed xorshift seed per thread. Built with -fno-builtin
 * so that the compiler neither removes nor merges allocator calls.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 1024u		/* power of two */
#define MAX_THREADS 64

struct ring {
	_Alignas(64) _Atomic uint32_t head;	/* written by the producer */
	_Alignas(64) _Atomic uint32_t tail;	/* written by the consumer */
	_Alignas(64) void *slot[RING];
};

struct worker {
	pthread_t tid;
	int index;
	int nthreads;
	uint64_t ops;
	size_t nslots;
	uint64_t checksum;
	struct ring *in;	/* blocks other threads send us to free */
	struct ring *out;	/* blocks we send to the next thread */
};

static atomic_int running;

static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Mostly small blocks, as real programs: 70% 8-128 B, 25% 129 B-4 KiB,
 * 4.6% 4-64 KiB, 0.4% 128 KiB-1 MiB (mmap'd by glibc). */
static size_t pick_size(uint64_t *s)
{
	uint64_t r = rnd(s);
	unsigned p = (unsigned)(r % 1000);

	r >>= 10;
	if (p < 700)
		return 8 + (size_t)(r % 121);
	if (p < 950)
		return 129 + (size_t)(r % (4096 - 129));
	if (p < 996)
		return 4096 + (size_t)(r % (65536 - 4096));
	return (128u << 10) + (size_t)(r % (896u << 10));
}

static inline void touch(void *p, size_t n, uint64_t v)
{
	unsigned char *c = p;

	c[0] = (unsigned char)v;
	c[n - 1] = (unsigned char)(v >> 8);
}

static int ring_push(struct ring *r, void *p)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (h - t >= RING)
		return 0;
	r->slot[h % RING] = p;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 1;
}

static uint64_t ring_drain(struct ring *r)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t n = 0;

	for (; t != h; t++, n++)
		free(r->slot[t % RING]);
	atomic_store_explicit(&r->tail, t, memory_order_release);
	return n;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = 0x9E3779B97F4A7C15ull * (uint64_t)(w->index + 1);
	void **slot = calloc(w->nslots, sizeof(*slot));
	size_t *len = calloc(w->nslots, sizeof(*len));
	uint64_t sum = 0;

	if (!slot || !len) {
		fprintf(stderr, "alloc-churn: out of memory\n");
		exit(1);
	}
	for (uint64_t op = 0; op < w->ops; op++) {
		uint64_t r = rnd(&seed);
		size_t i = (size_t)(r % w->nslots);
		unsigned kind = (unsigned)((r >> 32) % 100);

		if (w->in && (op & 63) == 0)
			sum += ring_drain(w->in);
		if (!slot[i]) {
			size_t n = pick_size(&seed);
			void *p;

			if (kind < 55) {
				p = malloc(n);
			} else if (kind < 75) {
				p = calloc(1, n);
			} else if (kind < 85) {
				p = realloc(NULL, n);
			} else if (kind < 95) {
				if (posix_memalign(&p, 64, n))
					p = NULL;
			} else {
				p = aligned_alloc(32, (n + 31) & ~(size_t)31);
			}
			if (!p) {
				fprintf(stderr, "alloc-churn: allocation of %zu failed\n", n);
				exit(1);
			}
			touch(p, n, r);
			slot[i] = p;
			len[i] = n;
		} else if (kind < 25) {
			size_t n = pick_size(&seed);
			void *p = realloc(slot[i], n);

			if (!p) {
				fprintf(stderr, "alloc-churn: realloc to %zu failed\n", n);
				exit(1);
			}
			touch(p, n, r);
			slot[i] = p;
			len[i] = n;
		} else {
			sum += ((unsigned char *)slot[i])[0];
			if (!(w->out && kind >= 88 && ring_push(w->out, slot[i])))
				free(slot[i]);
			slot[i] = NULL;
		}
	}
	for (size_t i = 0; i < w->nslots; i++)
		free(slot[i]);
	free(slot);
	free(len);
	if (w->in) {
		/* Keep draining until every thread is done sending. */
		atomic_fetch_sub(&running, 1);
		while (atomic_load(&running) > 0)
			sum += ring_drain(w->in);
		sum += ring_drain(w->in);
	}
	w->checksum = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 1;
	uint64_t ops = argc > 2 ? strtoull(argv[2], NULL, 10) : 4000000;
	size_t nslots = argc > 3 ? strtoull(argv[3], NULL, 10) : 4096;
	struct worker w[MAX_THREADS];
	struct ring *rings = NULL;
	uint64_t sum = 0;

	if (nthreads < 1 || nthreads > MAX_THREADS || nslots < 1) {
		fprintf(stderr, "usage: alloc-churn [THREADS(1-%d) [OPS [SLOTS]]]\n", MAX_THREADS);
		return 2;
	}
	if (nthreads > 1) {
		rings = aligned_alloc(64, sizeof(*rings) * (size_t)nthreads);
		if (!rings)
			return 1;
		memset(rings, 0, sizeof(*rings) * (size_t)nthreads);
	}
	atomic_store(&running, nthreads);
	for (int t = 0; t < nthreads; t++) {
		w[t] = (struct worker){
			.index = t,
			.nthreads = nthreads,
			.ops = ops / (uint64_t)nthreads,
			.nslots = nslots,
			.in = rings ? &rings[t] : NULL,
			.out = rings ? &rings[(t + 1) % nthreads] : NULL,
		};
	}
	if (nthreads == 1) {
		work(&w[0]);
	} else {
		for (int t = 0; t < nthreads; t++)
			if (pthread_create(&w[t].tid, NULL, work, &w[t])) {
				fprintf(stderr, "alloc-churn: pthread_create failed\n");
				return 1;
			}
		for (int t = 0; t < nthreads; t++)
			pthread_join(w[t].tid, NULL);
	}
	for (int t = 0; t < nthreads; t++)
		sum += w[t].checksum;
	free(rings);
	printf("alloc-churn: %d thread(s), %llu ops, checksum %llu\n", nthreads,
	       (unsigned long long)ops, (unsigned long long)sum);
	return 0;
}
