/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Folding the forest into rows, depth first. Under each node the children
 * are ranked by subtree weight (peaks summed); commands with GROUP_MIN or
 * more siblings become one group row when the list is longer than top.
 */
#include "fold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "tree.h"

#define GROUP_MIN 3
#define DEPTH_MAX 40

struct out {
	const struct mstat_report *r;
	unsigned top;
	struct mstat_row *v;
	size_t n, cap;
};

static const struct mstat_report *cmp_r;

static int cmp_weight(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	if (cmp_r->weight[x] != cmp_r->weight[y])
		return cmp_r->weight[x] < cmp_r->weight[y] ? 1 : -1;
	return (x > y) - (x < y);
}

static int cmp_cmd(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	int c = strcmp(mstat_image_command(&cmp_r->set->img[x]),
		       mstat_image_command(&cmp_r->set->img[y]));

	return c ? c : cmp_weight(a, b);
}

static struct mstat_row *push(struct out *o, enum mstat_row_kind kind, unsigned depth)
{
	struct mstat_row *v = mstat_grow(o->v, &o->cap, o->n, sizeof(*v), 64);

	if (!v)
		return NULL;
	o->v = v;
	memset(&o->v[o->n], 0, sizeof(o->v[0]));
	o->v[o->n].kind = kind;
	o->v[o->n].depth = depth;
	return &o->v[o->n++];
}

static void add_stats(const struct mstat_report *r, struct mstat_row *row, long k)
{
	const struct mstat_image *im = &r->set->img[k];

	row->count++;
	row->allocs += im->allocs;
	if (im->peak > row->peak_max)
		row->peak_max = im->peak;
	row->peak_sum += r->weight[k];
	if (mstat_image_leaks(im))
		row->leaked_bytes += im->live_bytes;
}

static int node(struct out *o, long k, unsigned depth);

static int children(struct out *o, long k, unsigned depth)
{
	const struct mstat_report *r = o->r;
	const struct mstat_image *im = &r->set->img[k];
	size_t n = 0, shown = 0, first_row = o->n;
	long *kids;
	bool *taken;
	int e = 0;

	for (long c = im->first_child; c >= 0; c = r->set->img[c].next_sibling)
		n += mstat_tree_shown(&r->set->img[c]);
	if (!n)
		return 0;
	kids = malloc(n * sizeof(*kids));
	taken = calloc(n, sizeof(*taken));
	if (!kids || !taken) {
		e = -ENOMEM;
		goto out;
	}
	n = 0;
	for (long c = im->first_child; c >= 0; c = r->set->img[c].next_sibling)
		if (mstat_tree_shown(&r->set->img[c]))
			kids[n++] = c;
	cmp_r = r;
	if (depth >= DEPTH_MAX) {
		struct mstat_row *row = push(o, MSTAT_ROW_MORE, depth);

		if (!row) {
			e = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			add_stats(r, row, kids[i]);
		goto last;
	}
	if (o->top && n > o->top) {
		/* Groups of one command, heaviest member first inside. */
		qsort(kids, n, sizeof(*kids), cmp_cmd);
		for (size_t i = 0, j; i < n; i = j) {
			const char *name = mstat_image_command(&r->set->img[kids[i]]);
			struct mstat_row *row;

			for (j = i + 1; j < n && !strcmp(name, mstat_image_command(&r->set->img[kids[j]])); j++)
				;
			if (j - i < GROUP_MIN || r->set->img[kids[i]].virt)
				continue;
			row = push(o, MSTAT_ROW_GROUP, depth);
			if (!row) {
				e = -ENOMEM;
				goto out;
			}
			row->name = name;
			row->img = kids[i];
			for (size_t m = i; m < j; m++) {
				add_stats(r, row, kids[m]);
				taken[m] = true;
			}
			size_t at = o->n;

			e = node(o, kids[i], depth + 1);
			if (e < 0)
				goto out;
			o->v[at].last = true;
		}
	}
	qsort(kids, n, sizeof(*kids), cmp_weight);
	memset(taken, 0, n * sizeof(*taken));
	/* Recompute which are grouped: by name, as above. */
	if (o->top && n > o->top) {
		for (size_t i = first_row; i < o->n; i++) {
			if (o->v[i].kind != MSTAT_ROW_GROUP || o->v[i].depth != depth)
				continue;
			for (size_t m = 0; m < n; m++)
				if (!strcmp(o->v[i].name, mstat_image_command(&r->set->img[kids[m]])) &&
				    !r->set->img[kids[m]].virt)
					taken[m] = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (taken[i])
			continue;
		if (o->top && shown == o->top) {
			struct mstat_row *row = push(o, MSTAT_ROW_MORE, depth);

			if (!row) {
				e = -ENOMEM;
				goto out;
			}
			for (size_t m = i; m < n; m++)
				if (!taken[m])
					add_stats(r, row, kids[m]);
			break;
		}
		e = node(o, kids[i], depth);
		if (e < 0)
			goto out;
		shown++;
	}
last:
	/* The last row at this depth closes the list. */
	for (size_t i = o->n; i-- > first_row;) {
		if (o->v[i].depth == depth) {
			o->v[i].last = true;
			break;
		}
	}
out:
	free(kids);
	free(taken);
	return e;
}

static int node(struct out *o, long k, unsigned depth)
{
	struct mstat_row *row = push(o, MSTAT_ROW_NODE, depth);

	if (!row)
		return -ENOMEM;
	row->img = k;
	row->count = 1;
	return children(o, k, depth + 1);
}

int mstat_fold(const struct mstat_report *r, unsigned top, struct mstat_row **rows, size_t *n)
{
	struct out o = { .r = r, .top = top };
	size_t nroots = 0;
	long *roots = malloc((r->set->n + 1) * sizeof(*roots));
	int e = 0;

	if (!roots)
		return -ENOMEM;
	for (size_t k = 0; k < r->set->n; k++)
		if (mstat_tree_shown(&r->set->img[k]) && r->set->img[k].parent < 0)
			roots[nroots++] = (long)k;
	cmp_r = r;
	qsort(roots, nroots, sizeof(*roots), cmp_weight);
	for (size_t i = 0; i < nroots && e == 0; i++) {
		size_t at = o.n;

		e = node(&o, roots[i], 0);
		if (e == 0 && i + 1 == nroots)
			o.v[at].last = true;
	}
	free(roots);
	if (e < 0) {
		free(o.v);
		return e;
	}
	*rows = o.v;
	*n = o.n;
	return 0;
}
