/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Life cycle of struct mstat_image and the two names people see for it:
 * the command it groups under and its printable command line.
 */
#include "image.h"

#include <stdlib.h>
#include <string.h>

void mstat_image_init(struct mstat_image *im)
{
	memset(im, 0, sizeof(*im));
	im->parent = -1;
	im->first_child = -1;
	im->next_sibling = -1;
	im->proc = -1;
}

void mstat_image_free(struct mstat_image *im)
{
	free(im->path);
	free(im->name);
	free(im->src);
	free(im->origin_file);
	free(im->exe);
	free(im->cwd);
	free(im->argv);
	free(im->exec_path);
	free(im->samples);
	free(im->forks);
	for (size_t i = 0; i < im->nspawns; i++)
		free(im->spawns[i].path);
	free(im->spawns);
	mstat_image_init(im);
}

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');

	return b && b[1] ? b + 1 : s;
}

const char *mstat_image_command(const struct mstat_image *im)
{
	if (im->argc && im->argv[0])
		return base_name(im->argv);
	if (im->exe && *im->exe)
		return base_name(im->exe);
	return "?";
}

static bool needs_quotes(const char *a)
{
	if (!*a)
		return true;
	for (; *a; a++)
		if (strchr(" \t\n'\"\\$`*?;&|<>()", *a))
			return true;
	return false;
}

size_t mstat_image_cmdline(const struct mstat_image *im, char *buf, size_t cap, size_t max)
{
	size_t n = 0, lim = max < cap - 1 ? max : cap - 1;
	const char *a = im->argv;
	bool cut = false;

	if (!im->argc && im->exe)
		a = im->exe;
	for (unsigned i = 0; i < (im->argc ? im->argc : (im->exe ? 1u : 0u)); i++) {
		bool q = needs_quotes(a);

		if (i && n < lim)
			buf[n++] = ' ';
		if (q && n < lim)
			buf[n++] = '\'';
		for (const char *c = a; *c; c++) {
			const char *s = *c == '\'' ? "'\\''" : *c == '\n' ? "\\n" : NULL;
			size_t l = s ? strlen(s) : 1;

			if (n + l > lim) {
				cut = true;
				break;
			}
			memcpy(buf + n, s ? s : c, l);
			n += l;
		}
		if (q && n < lim)
			buf[n++] = '\'';
		if (cut || n >= lim) {
			cut = cut || i + 1 < im->argc;
			break;
		}
		a += strlen(a) + 1;
	}
	if (cut) {
		n = n > lim - 3 ? lim - 3 : n;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return n;
}
