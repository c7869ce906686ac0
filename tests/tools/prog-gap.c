/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Probe for a logging gap: a block allocated while the log is off and
 * freed after it is back on. The reader must tolerate that free, say
 * so, and count no problem. Built with -fno-builtin.
 */
#include <stdlib.h>

#include <malloc-stat/api.h>

int main(void)
{
	void *p, *q;

	q = malloc(10);
	MALLOC_STAT_DISABLE_LOG();
	p = malloc(300);
	MALLOC_STAT_ENABLE_LOG();
	free(p);
	free(q);
	return 0;
}
