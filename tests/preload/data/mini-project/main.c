/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The mini program: builds a list, prints a line. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "mini.h"

int main(void)
{
	struct node *list = NULL;
	char *line;

	for (int i = 0; i < 100; i++)
		list = mini_push(list, i % 2 ? "odd" : "even");
	line = mini_join(MINI_GREETING, list->key);
	printf("%s %lx\n", line, mini_hash(line));
	free(line);
	mini_free(list);
	return 0;
}
