/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The report model: totals over the images, the timeline and its peak's
 * make-up, per-command rows and subtree weights.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static int cmp_contrib(const void *a, const void *b)
{
	const struct mstat_contrib *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return (x->img > y->img) - (x->img < y->img);
}

double mstat_report_secs(const struct mstat_report *r, uint64_t t)
{
	return t > r->tl.t0 ? (double)(t - r->tl.t0) / 1e9 : 0.0;
}

/* Subtree sums, children before parents: iterate from leaves by depth. */
static void weigh(struct mstat_report *r)
{
	struct mstat_set *set = r->set;

	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!mstat_tree_shown(im))
			continue;
		/* Every shown node adds itself to each ancestor. */
		for (long a = (long)k; a >= 0; a = set->img[a].parent) {
			r->weight[a] += im->virt ? 0 : im->peak;
			r->subtree[a]++;
		}
	}
}

int mstat_report_build(struct mstat_report *r, struct mstat_set *set)
{
	int e;

	r->set = set;
	e = mstat_timeline_build(&r->tl, set);
	if (e < 0)
		return e;
	e = mstat_commands(set, &r->cmds, &r->ncmds);
	if (e < 0)
		return e;
	r->weight = calloc(set->n + 1, sizeof(*r->weight));
	r->subtree = calloc(set->n + 1, sizeof(*r->subtree));
	r->at_peak = calloc(set->n + 1, sizeof(*r->at_peak));
	if (!r->weight || !r->subtree || !r->at_peak)
		return -ENOMEM;
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];
		int64_t b;

		if (!mstat_tree_shown(im))
			continue;
		if (im->virt) {
			r->virt += im->rel != MSTAT_REL_EXEC;
			continue;
		}
		r->images++;
		r->processes += im->proc == (long)k;
		r->allocs += im->allocs;
		r->frees += im->frees;
		r->alloc_bytes += im->alloc_bytes;
		r->free_bytes += im->free_bytes;
		if (mstat_image_leaks(im)) {
			r->leaked_blocks += im->live_blocks;
			r->leaked_bytes += im->live_bytes;
			r->leaked_images++;
		}
		r->died += im->end == MSTAT_END_DIED;
		r->exec_untraced += im->exec_untraced;
		r->untraced_forks += im->untraced_forks;
		r->unmatched_frees += im->unknown_frees;
		r->gap_images += im->log_off || im->lost;
		b = mstat_timeline_at(&r->tl, im, r->tl.peak_bin);
		if (b > 0)
			r->at_peak[r->nat_peak++] = (struct mstat_contrib){ (long)k, b };
	}
	qsort(r->at_peak, r->nat_peak, sizeof(*r->at_peak), cmp_contrib);
	for (size_t b = 0; b < r->tl.nbins; b++)
		if (r->tl.live[b] > r->live_max)
			r->live_max = r->tl.live[b];
	weigh(r);
	return 0;
}

void mstat_report_free(struct mstat_report *r)
{
	mstat_timeline_free(&r->tl);
	free(r->cmds);
	free(r->weight);
	free(r->subtree);
	free(r->at_peak);
	r->cmds = NULL;
	r->weight = NULL;
	r->subtree = NULL;
	r->at_peak = NULL;
}
