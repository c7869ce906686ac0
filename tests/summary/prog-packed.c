/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-packed N [kill]: N blocks, an exec that fails (the preload packs
 * the body before it), then a third of them freed, a third shrunk in place
 * and N/10 new ones. Prints its blocks live then, "ADDR USABLE REQUESTED"
 * a line, and exits or, with "kill", SIGKILLs itself so that the body
 * stays as those calls left it. Built with -fno-builtin.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000, all = n + n / 10;
	void **v = calloc(all, sizeof(*v));
	size_t *req = calloc(all, sizeof(*req));
	char *args[] = { "/nonexistent/prog-packed", NULL };

	if (!v || !req)
		return 1;
	for (size_t i = 0; i < n; i++)
		v[i] = malloc(req[i] = 16 + i % 300);
	execv(args[0], args);
	for (size_t i = 0; i < n; i++) {
		if (i % 3 == 0) {
			free(v[i]);
			v[i] = NULL;
		} else if (i % 3 == 1) {
			v[i] = realloc(v[i], req[i] /= 2);
		}
	}
	for (size_t i = n; i < all; i++)
		v[i] = malloc(req[i] = 24);
	for (size_t i = 0; i < all; i++)
		if (v[i])
			printf("%p %zu %zu\n", v[i], malloc_usable_size(v[i]), req[i]);
	fflush(stdout);
	if (argc > 2)
		raise(SIGKILL);
	return 0;
}
