/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-exitbusy: three threads allocate without pause while main returns
 * from main: the process ends with events counted but not yet logged, or
 * logged after FINI's counters were read.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *churn(void *arg)
{
	for (size_t i = (size_t)arg;; i++)
		free(malloc(16 + i % 512));
	return NULL;
}

int main(void)
{
	pthread_t t;

	for (long i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, churn, (void *)i) != 0)
			return 1;
	usleep(20000);
	puts("bye");
	return 4;
}
