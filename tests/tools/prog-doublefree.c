/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * A double free, which glibc detects and aborts on (tcache: "free():
 * double free detected in tcache 2"): the preload has counted the second
 * free before glibc's free ran. Built with -fno-builtin.
 */
#include <stdlib.h>

int main(void)
{
	char *volatile keep = malloc(100);
	char *volatile x = malloc(32);

	keep[0] = 1;
	free(x);
	free(x);
	return 0;
}
