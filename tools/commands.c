/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Groups images by command name: sort the image indices by name, then one
 * run per name.
 */
#include "commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct mstat_set *cmp_set;

static int cmp_name(const void *a, const void *b)
{
	int r = strcmp(mstat_image_command(&cmp_set->img[*(const long *)a]),
		       mstat_image_command(&cmp_set->img[*(const long *)b]));

	return r ? r : (*(const long *)a > *(const long *)b) - (*(const long *)a < *(const long *)b);
}

static int cmp_peak(const void *a, const void *b)
{
	const struct mstat_command *x = a, *y = b;

	if (x->peak_sum != y->peak_sum)
		return x->peak_sum < y->peak_sum ? 1 : -1;
	return strcmp(x->name, y->name);
}

int mstat_commands(const struct mstat_set *set, struct mstat_command **out, size_t *n)
{
	long *ix = malloc((set->n + 1) * sizeof(*ix));
	struct mstat_command *v = calloc(set->n + 1, sizeof(*v));
	size_t ni = 0, nc = 0;

	if (!ix || !v) {
		free(ix);
		free(v);
		return -ENOMEM;
	}
	for (size_t k = 0; k < set->n; k++)
		if (set->img[k].valid && !set->img[k].virt)
			ix[ni++] = (long)k;
	cmp_set = set;
	qsort(ix, ni, sizeof(*ix), cmp_name);
	for (size_t i = 0; i < ni; i++) {
		const struct mstat_image *im = &set->img[ix[i]];
		const char *name = mstat_image_command(im);
		struct mstat_command *c;

		if (!nc || strcmp(v[nc - 1].name, name)) {
			v[nc] = (struct mstat_command){ .name = name, .peak_image = ix[i],
							.total_image = ix[i], .rss_image = ix[i] };
			nc++;
		}
		c = &v[nc - 1];
		c->count++;
		c->allocs += im->allocs;
		c->frees += im->frees;
		c->alloc_bytes += im->alloc_bytes;
		c->peak_sum += im->peak;
		if (im->peak > c->peak_max) {
			c->peak_max = im->peak;
			c->peak_image = ix[i];
		}
		if (mstat_image_leaks(im)) {
			c->leaked_blocks += im->live_blocks;
			c->leaked_bytes += im->live_bytes;
		}
		c->died += im->end == MSTAT_END_DIED;
		if ((int64_t)im->anon_peak > c->anon_max)
			c->anon_max = (int64_t)im->anon_peak;
		if (im->total_peak > c->total_max) {
			c->total_max = im->total_peak;
			c->total_image = ix[i];
		}
		if ((int64_t)im->rss_peak > c->rss_max) {
			c->rss_max = (int64_t)im->rss_peak;
			c->rss_image = ix[i];
		}
	}
	qsort(v, nc, sizeof(*v), cmp_peak);
	free(ix);
	*out = v;
	*n = nc;
	return 0;
}
