/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Fork children that make no call of their own: one leaves by _exit, one
 * by exit, each holding the 1000 bytes it inherited, and one frees them
 * and leaves by _exit. Their images' figures (in use and peak from what
 * they inherited) come from the counters alone. Built with -fno-builtin.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	void *volatile p = malloc(1000);

	if (fork() == 0)
		_exit(0);
	wait(NULL);
	if (fork() == 0)
		exit(0);
	wait(NULL);
	if (fork() == 0) {
		free(p);
		_exit(0);
	}
	wait(NULL);
	free(p);
	return 0;
}
