/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Allocates and frees for argv[1] milliseconds (256 live blocks of up to
 * 4 KiB), then exits: a process that lives long enough to be sampled. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double end = now_ms() + (argc > 1 ? atof(argv[1]) : 100);
	void *live[256] = { 0 };
	uint32_t x = 1;

	for (long i = 0;; i++) {
		x = x * 1103515245u + 12345u;
		free(live[x >> 24]);
		live[x >> 24] = malloc((x >> 8) & 4095);
		if ((i & 1023) == 0 && now_ms() > end)
			break;
	}
	for (int i = 0; i < 256; i++)
		free(live[i]);
	return 0;
}
