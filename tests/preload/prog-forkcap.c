// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Forks from a signal handler while the interrupted thread allocates, with
 * a second thread alive (so a fork waits for the stack captures of other
 * threads). With stacks on, many of the signals land while this thread is
 * inside a capture of its own, which cannot end before the handler does:
 * the fork must not wait for it. Prints how many forks it made.
 *
 *   prog-forkcap [FORKS]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int forks;	/* both threads' handlers fork: atomic */

static void *idle(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* The count printed is every fork made: a handler of the other thread
 * still running when the loop ends is waited for, and none forks once
 * `stopping` is set (a signal pending past the timer's stop). */
static int inflight, stopping;

static void on_alarm(int sig)
{
	pid_t p;

	(void)sig;
	__atomic_add_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&stopping, __ATOMIC_SEQ_CST)) {
		p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0) {
			__atomic_add_fetch(&forks, 1, __ATOMIC_RELAXED);
			while (waitpid(p, NULL, 0) < 0)
				;	/* EINTR: a nested signal's fork */
		}
	}
	__atomic_sub_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv)
{
	int target = argc > 1 ? atoi(argv[1]) : 200;
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	pthread_t t;

	if (pthread_create(&t, NULL, idle, NULL))
		return 1;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (__atomic_load_n(&forks, __ATOMIC_RELAXED) < target)
		free(malloc(100));
	__atomic_store_n(&stopping, 1, __ATOMIC_SEQ_CST);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (__atomic_load_n(&inflight, __ATOMIC_SEQ_CST))
		;
	printf("forks %d\n", __atomic_load_n(&forks, __ATOMIC_RELAXED));
	return 0;
}
