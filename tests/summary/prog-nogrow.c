/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-nogrow THREADS N [as]: THREADS threads (0: the main thread alone)
 * make their first allocations, then RLIMIT_FSIZE is lowered to 64 KiB,
 * so that the summary's body can no longer grow, and each keeps N more
 * blocks live, then frees them all. Every malloc must still succeed (the
 * limit is on files, not memory), nothing may raise SIGXFSZ, and the
 * preload must not retry the growth on every call. With "as", RLIMIT_AS
 * instead, 64 MiB above what the process maps then: the blocks need half
 * of that, and the preload's own maps must leave the program its share.
 * Prints the calls it made: "allocations N".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static pthread_barrier_t ready, limited;
static size_t n;

static void *work(void *arg)
{
	void **v = malloc(n * sizeof(*v));

	(void)arg;
	if (!v)
		abort();
	pthread_barrier_wait(&ready);	/* its first event is made */
	pthread_barrier_wait(&limited);
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = malloc(16 + i % 64)))
			abort();
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 0;
	struct rlimit rl = { 64 << 10, 64 << 10 };
	int which = RLIMIT_FSIZE;
	pthread_t t[16];

	n = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	if (argc > 3 && !strcmp(argv[3], "as")) {
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");

		if (!f || fscanf(f, "%lu", &pages) != 1)
			return 1;
		fclose(f);
		which = RLIMIT_AS;
		rl.rlim_cur = rl.rlim_max = pages * (unsigned long)sysconf(_SC_PAGESIZE) +
					    ((rlim_t)64 << 20) + ((rlim_t)threads << 20);
	}
	if (threads > 16)
		threads = 16;
	pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&limited, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, work, NULL))
			return 1;
	if (!threads) {
		if (setrlimit(which, &rl))
			return 1;
		work(NULL);	/* its barriers have one party: no wait */
	} else {
		pthread_barrier_wait(&ready);
		if (setrlimit(which, &rl))
			return 1;
		pthread_barrier_wait(&limited);
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
	}
	printf("allocations %zu\n", (size_t)(threads ? threads : 1) * (n + 1));
	return 0;
}
