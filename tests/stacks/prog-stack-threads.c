// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Threads allocating from thousands of distinct call stacks at once, so
 * that the preload's table of stack ids grows while other threads look
 * stacks up. Each of 8 threads walks 4,096 paths of 12 calls (one of two
 * functions at each level). Usage: prog-stack-threads
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define LEVELS 12
#define THREADS 8

static void *rec_a(int n, unsigned bits);
static void *rec_b(int n, unsigned bits);

__attribute__((noinline)) static void *rec_b(int n, unsigned bits)
{
	void *p;

	if (!n)
		return malloc(16 + bits % 64);
	p = (bits & 1) ? rec_b(n - 1, bits >> 1) : rec_a(n - 1, bits >> 1);
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) static void *rec_a(int n, unsigned bits)
{
	void *p;

	if (!n)
		return malloc(32 + bits % 64);
	p = (bits & 1) ? rec_a(n - 1, bits >> 1) : rec_b(n - 1, bits >> 1);
	__asm__ volatile("" ::: "memory");
	return p;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg * 977u;

	for (unsigned i = 0; i < 3 * (1u << LEVELS); i++) {
		void *p = rec_a(LEVELS, (i + seed) & ((1u << LEVELS) - 1));

		if (!p)
			abort();
		free(p);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (size_t i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			return 1;
	for (size_t i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	puts("done");
	return 0;
}
