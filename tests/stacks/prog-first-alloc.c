// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * 32 threads whose first allocation is 777 bytes, followed by 200 blocks
 * of 8 KiB each: with a sample every 64 KiB on average, the 777-byte site
 * should be sampled about 0.4 times in all, not once per thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 32

static void *worker(void *arg)
{
	void *first = malloc(777);

	for (int i = 0; i < 200; i++)
		free(malloc(8192));
	free(first);
	return arg;
}

int main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	puts("done");
	return 0;
}
