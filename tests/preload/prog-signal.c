// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * A signal handler that allocates while the interrupted thread is inside
 * the preload, most often in its logger: signals come from a fast
 * interval timer ("timer") or from a second thread calling pthread_kill
 * in a loop ("kill"). Counters must match the calls exactly; the driver
 * checks the log. Usage: prog-signal timer|kill ITERATIONS
 *
 * The handler uses one size class that only it touches, warmed in glibc's
 * per-thread cache, so its malloc and free never take an arena lock that
 * the interrupted thread may hold: any hang is the preload's.
 */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <malloc-stat/api.h>

#include "check.h"

#define HANDLER_SIZE 1000

static uint64_t handler_allocs, handler_frees;
static void *held;
static int stop;
static pthread_barrier_t parked;

/* Allocates on one signal and frees on the next, so that in_use changes
 * across each call: an update of the interrupted call that overwrote the
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

static void *killer(void *arg)
{
	pthread_t target = *(pthread_t *)arg;

	/* One signal at a time: the next goes once the handler ran, so that
	 * none are merged while pending. */
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t seen = __atomic_load_n(&handler_allocs, __ATOMIC_RELAXED) +
				__atomic_load_n(&handler_frees, __ATOMIC_RELAXED);

		pthread_kill(target, SIGUSR1);
		while (__atomic_load_n(&handler_allocs, __ATOMIC_RELAXED) +
			       __atomic_load_n(&handler_frees, __ATOMIC_RELAXED) == seen &&
		       !__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			sched_yield();
	}
	pthread_barrier_wait(&parked);
	return NULL;
}

int main(int argc, char **argv)
{
	malloc_stat_get_stat_fnptr get_stat = MALLOC_STAT_GET_STAT_FNPTR();
	malloc_stat_vars before, after;
	struct sigaction sa;
	struct itimerval it = { { 0, 20 }, { 0, 20 } };
	pthread_t self = pthread_self(), th;
	sigset_t set;
	uint64_t allocs = 0, frees = 0, hallocs, hfrees, h0, f0;
	void *slot[32] = { 0 };
	int timer, iters;

	CHECK(argc == 3 && get_stat != NULL);
	timer = !strcmp(argv[1], "timer");
	iters = atoi(argv[2]);
	/* Warm the handler's size class in this thread's cache. */
	free(malloc(HANDLER_SIZE));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(timer ? SIGALRM : SIGUSR1, &sa, NULL) == 0);
	sigemptyset(&set);
	sigaddset(&set, timer ? SIGALRM : SIGUSR1);
	if (!timer) {
		pthread_barrier_init(&parked, NULL, 2);
		CHECK(pthread_create(&th, NULL, killer, &self) == 0);
	}

	/* The killer may already be at work: count from here. */
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
	before = MALLOC_STAT_GET_STAT(get_stat);
	h0 = handler_allocs;
	f0 = handler_frees;
	CHECK(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0);
	if (timer)
		CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	/* At least ITERATIONS calls, and on until the handler ran often:
	 * the killer thread may start late on a busy machine. */
	for (int k = 0; k < iters || (__atomic_load_n(&handler_allocs, __ATOMIC_RELAXED) < 1000 &&
				      k < 10 * iters); k++) {
		unsigned s = (unsigned)k % 32;
		size_t n = 16 + (k * 37) % 384;

		if (!slot[s]) {
			slot[s] = k & 1 ? malloc(n) : calloc(1, n);
		} else if (k % 3 == 0) {
			void *p = realloc(slot[s], n);

			CHECK(p != NULL);
			slot[s] = p;
			frees++;
		} else {
			free(slot[s]);
			slot[s] = NULL;
			frees++;
			continue;
		}
		CHECK(slot[s] != NULL);
		allocs++;
	}
	for (int s = 0; s < 32; s++) {
		if (slot[s]) {
			free(slot[s]);
			frees++;
		}
	}

	/* Stop the signals, then read everything with the handler blocked. */
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
	if (timer) {
		memset(&it, 0, sizeof(it));
		CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	} else {
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&parked);
	}
	if (held) {
		free(held);
		frees++;
	}
	after = MALLOC_STAT_GET_STAT(get_stat);
	hallocs = __atomic_load_n(&handler_allocs, __ATOMIC_RELAXED) - h0;
	hfrees = __atomic_load_n(&handler_frees, __ATOMIC_RELAXED) - f0;
	CHECK_EQ(after.allocations - before.allocations, allocs + hallocs);
	CHECK_EQ(after.deallocations - before.deallocations, frees + hfrees);
	CHECK_EQ(after.in_use, before.in_use);
	CHECK(hallocs >= 1000);
	CHECK(hfrees + 1 >= hallocs);
	if (!timer)
		CHECK(pthread_join(th, NULL) == 0);
	PUTF(STDOUT_FILENO, "calls %llu handler %llu\n", (unsigned long long)allocs,
	     (unsigned long long)hallocs);
	return 0;
}
