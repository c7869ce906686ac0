/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-workers: four threads, one after the other, each allocating and
 * freeing 100 blocks and leaking one; main leaks one more. With stacks on,
 * each thread's first unwind makes libunwind allocate and map for itself:
 * none of that may show in the program's figures. No stdio.
 */
#include <pthread.h>
#include <stdlib.h>

static void *work(void *arg)
{
	void *p[100];

	for (int i = 0; i < 100; i++)
		p[i] = malloc(32 + (size_t)i + (size_t)arg);
	for (int i = 0; i < 100; i++)
		free(p[i]);
	return malloc(1000);	/* leaked */
}

int main(void)
{
	void *keep = malloc(2000);	/* leaked */

	for (size_t i = 0; i < 4; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, work, (void *)i) || pthread_join(t, NULL))
			return 1;
	}
	return keep == NULL;
}
