// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * The program's blocks lie in its heap as they would without the
 * preload, stacks sampled or not: the unwinder's own block (the loader's
 * block for its TLS, made at its first use in a thread) comes at start in
 * main's thread and at a new thread's first allocation, not at a sampled
 * call mid-run, where it moved the program's later blocks (and, through
 * glibc's splitting of free chunks, their usable sizes). 2,000 blocks of
 * 8 KiB are carved one after the other from the top of the heap; prints
 * "main G thread G": in each thread, the index after which the next block
 * is not adjacent (-1: all adjacent).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 2000

static long gap(void)
{
	static __thread void *v[N];
	long at = -1;

	for (int i = 0; i < N; i++)
		v[i] = malloc(8192);
	for (int i = 0; i + 1 < N && at < 0; i++)
		if ((uintptr_t)v[i + 1] - (uintptr_t)v[i] != 8192 + 16)
			at = i;
	for (int i = 0; i < N; i++)
		free(v[i]);
	return at;
}

static void *worker(void *arg)
{
	*(long *)arg = gap();
	return NULL;
}

int main(void)
{
	long m = gap(), t = -2;
	pthread_t th;

	if (pthread_create(&th, NULL, worker, &t) || pthread_join(th, NULL))
		return 1;
	printf("main %ld thread %ld\n", m, t);
	return 0;
}
