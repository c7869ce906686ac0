// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * A signal handler that allocates while the interrupted thread is inside
 * the preload (most often in its logger): SIGALRM from a fast interval
 * timer, in a single-threaded process ("timer") or while a second thread
 * allocates and contends for the writer ("threads"). The counters must
 * match the calls exactly; the driver checks the log.
 * Usage: prog-signal timer|threads ITERATIONS
 *
 * glibc's malloc is not async-signal-safe, so both sides stay in glibc's
 * per-thread cache, which needs no lock and no shared state: every size
 * class is warmed full, the main loop holds at most one block per class,
 * its realloc stays inside the block, and the handler has a class of its
 * own. A crash or hang here is then the preload's.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <malloc-stat/api.h>

#include "check.h"

#define CLASSES 16
#define TCACHE_FILL 7
#define HANDLER_SIZE 1000

static uint64_t handler_allocs, handler_frees;
static uint64_t other_allocs, other_frees;
static void *held;
static int stop;
static pthread_barrier_t ready, go, parked, leave;

static size_t class_size(unsigned c)
{
	return 24 + 16 * (size_t)c;	/* chunks of 32 + 16c bytes */
}

/* Fills glibc's cache for n-byte blocks. */
static void warm(size_t n)
{
	void *p[TCACHE_FILL];

	for (int i = 0; i < TCACHE_FILL; i++)
		CHECK((p[i] = malloc(n)) != NULL);
	for (int i = 0; i < TCACHE_FILL; i++)
		free(p[i]);
}

/* Allocates on one signal and frees on the next, so that in_use changes
 * across each call: an update by the interrupted call that overwrote the
 * handler's would show. */
static void handler(int sig)
{
	if (held) {
		free(held);
		held = NULL;
		__atomic_add_fetch(&handler_frees, 1, __ATOMIC_RELAXED);
		return;
	}
	held = malloc(HANDLER_SIZE);
	if (held) {
		memset(held, sig, 16);
		__atomic_add_fetch(&handler_allocs, 1, __ATOMIC_RELAXED);
	}
}

/* The other thread: its own arena and cache, any calls, counted; parked
 * at the barriers while main reads the counters. */
static void *contender(void *arg)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		void *p = malloc(100);

		CHECK(p != NULL);
		p = realloc(p, 3000);
		CHECK(p != NULL);
		free(calloc(2, 50));
		free(p);
		other_allocs += 3;
		other_frees += 3;
	}
	pthread_barrier_wait(&parked);
	pthread_barrier_wait(&leave);
	return arg;
}

int main(int argc, char **argv)
{
	malloc_stat_get_stat_fnptr get_stat = MALLOC_STAT_GET_STAT_FNPTR();
	malloc_stat_vars before, after;
	struct sigaction sa;
	struct itimerval it = { { 0, 20 }, { 0, 20 } };
	uint64_t allocs = 0, frees = 0, hallocs, hfrees, h0, f0;
	void *slot[CLASSES] = { 0 };
	pthread_t th;
	sigset_t set;
	int threads, iters;

	CHECK(argc == 3 && get_stat != NULL);
	threads = !strcmp(argv[1], "threads");
	iters = atoi(argv[2]);
	if (threads) {
		pthread_barrier_init(&ready, NULL, 2);
		pthread_barrier_init(&go, NULL, 2);
		pthread_barrier_init(&parked, NULL, 2);
		pthread_barrier_init(&leave, NULL, 2);
		CHECK(pthread_create(&th, NULL, contender, NULL) == 0);
		pthread_barrier_wait(&ready);
	}
	for (unsigned c = 0; c < CLASSES; c++)
		warm(class_size(c));
	warm(HANDLER_SIZE);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);

	before = MALLOC_STAT_GET_STAT(get_stat);
	h0 = handler_allocs;
	f0 = handler_frees;
	if (threads)
		pthread_barrier_wait(&go);
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	for (int k = 0; k < iters; k++) {
		unsigned c = (unsigned)k % CLASSES;
		size_t n = class_size(c);

		if (!slot[c]) {
			slot[c] = malloc(n);
			CHECK(slot[c] != NULL);
			allocs++;
		} else if (k % 3 == 0) {
			/* Within the same chunk: no allocator state changes. */
			void *p = realloc(slot[c], (k / CLASSES) % 2 ? n : n - 5);

			CHECK(p == slot[c]);
			allocs++;
			frees++;
		} else {
			free(slot[c]);
			slot[c] = NULL;
			frees++;
		}
	}
	for (unsigned c = 0; c < CLASSES; c++) {
		if (slot[c]) {
			free(slot[c]);
			frees++;
		}
	}

	/* Stop the signals, then read everything with the handler blocked. */
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
	memset(&it, 0, sizeof(it));
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	if (threads) {
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&parked);
		allocs += other_allocs;
		frees += other_frees;
	}
	hallocs = handler_allocs - h0;
	hfrees = handler_frees - f0;
	if (held) {
		free(held);
		hfrees++;
	}
	after = MALLOC_STAT_GET_STAT(get_stat);
	if (threads) {
		pthread_barrier_wait(&leave);
		CHECK(pthread_join(th, NULL) == 0);
	}
	CHECK_EQ(after.allocations - before.allocations, allocs + hallocs);
	CHECK_EQ(after.deallocations - before.deallocations, frees + hfrees);
	CHECK_EQ(hallocs, hfrees);
	CHECK_EQ((int64_t)(after.in_use - before.in_use), 0);
	CHECK(hallocs >= 100);
	PUTF(STDOUT_FILENO, "calls %llu handler %llu\n", (unsigned long long)allocs,
	     (unsigned long long)hallocs);
	return 0;
}
