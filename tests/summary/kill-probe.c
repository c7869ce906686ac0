/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Kill-test probe: allocation-heavy work whose own record of
 * every returned call sits in a shared file mapping (STATE), for
 * kill-test.py to compare with the summary after a SIGKILL.
 *   kill-probe STATE OPS [SPREAD]
 * Per op: the intent (pend) is written, then the call, then the result, the
 * counters into the buffer of the next seq, then seq (the commit). With
 * SPREAD the calls come from SPREAD + 1 call paths (a recursion of 0 to
 * SPREAD frames), so that with stacks on the body has that many sites.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NSLOTS 4096
struct blk { uint64_t addr, usable, req; };
struct state {
	volatile uint64_t seq, pend_seq;
	uint64_t kind, slot, done;	/* kind: 1 alloc, 2 free, 3 realloc */
	struct blk old, new;
	uint64_t base[6];	/* malloc_stat_get_stat before the loop */
	uint64_t ctr[2][4];	/* allocations allocated deallocations deallocated, by seq & 1 */
	struct blk slots[NSLOTS];
};
typedef struct { uint64_t v[6]; } vars;

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12; x ^= x << 25; x ^= x >> 27; *s = x;
	return x * 0x2545F4914F6CDD1Dull;
}
#define FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* The op's call, depth frames down. */
static __attribute__((noinline)) void *call(unsigned depth, uint64_t kind, unsigned k, size_t n, void *old)
{
	void *p;

	if (depth) {
		p = call(depth - 1, kind, k, n, old);
		__asm__ volatile("" ::: "memory");	/* not a tail call */
		return p;
	}
	if (kind == 1)
		p = k < 50 ? malloc(n) : k < 80 ? calloc(1, n) : realloc(NULL, n);
	else if (kind == 2)
		free(old), p = NULL;
	else
		p = realloc(old, n);
	__asm__ volatile("" ::: "memory");	/* no tail calls: a stack a kind */
	return p;
}

int main(int argc, char **argv)
{
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint64_t ops = strtoull(argv[2], 0, 10), seed = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull | 1;
	unsigned spread = argc > 3 ? (unsigned)strtoul(argv[3], 0, 10) : 0;
	struct state *st;
	vars (*get)(int) = (vars (*)(int))dlsym(RTLD_DEFAULT, "malloc_stat_get_stat");

	if (fd < 0 || ftruncate(fd, sizeof(*st)) < 0)
		return 1;
	st = mmap(0, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (st == MAP_FAILED || !get)
		return 2;
	vars b = get(0);
	memcpy(st->base, b.v, sizeof(b.v));
	for (uint64_t op = 0; op < ops; op++) {
		uint64_t r = rnd(&seed);
		/* the live set breathes between a few and ~4000 blocks */
		unsigned phase = (unsigned)((op >> 14) & 1);
		size_t i = (size_t)(r % NSLOTS);
		unsigned k = (unsigned)((r >> 32) % 100);
		size_t n = (r >> 44) % 1000 < 990 ? 1 + (r >> 20) % 600 : 1 + (r >> 20) % 300000;
		struct blk *s = &st->slots[i];
		uint64_t *c0 = st->ctr[st->seq & 1], *c1 = st->ctr[(st->seq + 1) & 1];
		void *p;

		if (s->addr && (phase ? k < 20 : k < 90))
			continue;	/* phase 0 frees, phase 1 keeps */
		st->old = *s;
		st->done = 0;
		st->slot = i;
		st->kind = !s->addr ? 1 : k < 60 ? 2 : 3;
		FENCE();
		st->pend_seq = st->seq + 1;
		FENCE();
		p = call(spread ? (unsigned)(r >> 56) % (spread + 1) : 0, st->kind, k, n, (void *)s->addr);
		FENCE();
		st->new.addr = (uintptr_t)p;
		st->new.usable = p ? malloc_usable_size(p) : 0;
		st->new.req = p ? n : 0;
		FENCE();
		st->done = 1;
		FENCE();
		c1[0] = c0[0] + (p != NULL);
		c1[1] = c0[1] + st->new.usable;
		c1[2] = c0[2] + (st->kind != 1);
		c1[3] = c0[3] + st->old.usable;
		*s = st->new;
		FENCE();
		st->seq = st->pend_seq;
		if (op % 500 == 0) {	/* text entries: the body must move */
			void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			munmap(m, 4096);
		}
	}
	return 0;
}
