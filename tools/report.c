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

/*
 * The peak resident size of an image: FINI's maxrss (exact) with the RSS
 * entries' highest (sampled), unless maxrss may not be this image's own.
 * Linux keeps the high-water mark across exec, and a child made by vfork
 * or fork carries its parent's pages, and so its parent's size, into the
 * exec; so for an exec'd or spawned image a maxrss no higher than what its
 * forebears held (up the fork and exec links: perl, its fork child, the
 * shell that child exec'd) may be theirs, and only the samples count.
 */
static bool rss_maxrss_own(const struct mstat_set *set, const struct mstat_image *im)
{
	const struct mstat_image *q = im;

	if (im->rel != MSTAT_REL_EXEC && im->rel != MSTAT_REL_SPAWN)
		return true;
	for (int depth = 0; q->parent >= 0 && depth < 16; depth++) {
		const struct mstat_image *p = &set->img[q->parent];

		if (p->virt)
			break;
		if (im->maxrss <= p->rss_max || im->maxrss <= p->maxrss)
			return false;
		if (q->rel != MSTAT_REL_EXEC && q->rel != MSTAT_REL_SPAWN &&
		    q->rel != MSTAT_REL_FORK && q->rel != MSTAT_REL_CLONE)
			break;
		q = p;
	}
	return true;
}

static void rss_peak(struct mstat_set *set, size_t k)
{
	struct mstat_image *im = &set->img[k];
	bool own = rss_maxrss_own(set, im);
	im->rss_peak = im->rss_max;
	im->rss_from_maxrss = false;
	if (own && im->maxrss >= im->rss_max && im->maxrss) {
		im->rss_peak = im->maxrss;
		im->rss_from_maxrss = true;
	}
}

static int contributions(struct mstat_report *r, enum mstat_series c)
{
	struct mstat_set *set = r->set;

	r->at[c] = calloc(set->n + 1, sizeof(*r->at[c]));
	if (!r->at[c])
		return -ENOMEM;
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];
		int64_t b;

		if (!mstat_tree_shown(im) || im->virt)
			continue;
		b = mstat_timeline_at(&r->tl, im, r->tl.cpeak_t[c], c);
		if (b > 0)
			r->at[c][r->nat[c]++] = (struct mstat_contrib){ (long)k, b };
	}
	qsort(r->at[c], r->nat[c], sizeof(*r->at[c]), cmp_contrib);
	return 0;
}

static void estimate(struct mstat_report *r)
{
	struct mstat_estimate *e = &r->est;
	static const unsigned dflt[] = { 2, 4, 8 };
	enum mstat_series m = r->have_rss ? MSTAT_RSS : MSTAT_TOTAL;
	int64_t best = 0;

	e->metric = m;
	e->cmd = -1;
	e->njobs = r->njobs ? r->njobs : 3;
	for (unsigned i = 0; i < e->njobs; i++)
		e->jobs[i] = r->njobs ? r->jobs[i] : dflt[i];
	/* The heaviest per invocation among commands that ran more than
	 * once (the ones a build runs in parallel), else among all. */
	for (int pass = 0; pass < 2 && e->cmd < 0; pass++) {
		for (size_t i = 0; i < r->ncmds; i++) {
			const struct mstat_command *c = &r->cmds[i];
			int64_t v = m == MSTAT_RSS ? c->rss_max : c->total_max;

			if ((pass || c->count > 1) && v > best) {
				best = v;
				e->cmd = (long)i;
			}
		}
	}
	if (e->cmd < 0)
		return;
	const struct mstat_command *c = &r->cmds[e->cmd];

	e->per_job[MSTAT_TOTAL] = c->total_max;
	e->per_job[MSTAT_RSS] = c->rss_max;
	for (enum mstat_series k = MSTAT_TOTAL; k <= MSTAT_RSS; k++) {
		e->rest[k] = r->tl.cpeak[k];
		for (size_t i = 0; i < r->nat[k]; i++)
			if (!strcmp(mstat_image_command(&r->set->img[r->at[k][i].img]), c->name))
				e->rest[k] -= r->at[k][i].bytes;
	}
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
	r->nolog = set->nolog.n;
	for (size_t i = 0; i < set->nolog.n; i++)
		r->nolog_full += mstat_nolog_is_full(set->nolog.v[i].err);
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!im->valid || im->virt)
			continue;
		rss_peak(set, k);
		r->have_rss = r->have_rss || im->rss_samples || im->maxrss;
		r->have_anon = r->have_anon || im->mmaps;
	}
	e = mstat_timeline_build(&r->tl, set);
	if (e < 0)
		return e;
	e = mstat_untraced_find(set, &r->untraced);
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
		r->cut += im->end == MSTAT_END_CUT;
		r->cut_nospace += im->end == MSTAT_END_CUT && mstat_nolog_is_full(im->cut_errno);
		r->exec_untraced += im->exec_untraced;
		r->untraced_forks += im->untraced_forks;
		r->unmatched_frees += im->unknown_frees;
		r->gap_images += im->log_off || im->lost;
		b = mstat_timeline_at(&r->tl, im, r->tl.peak_t, MSTAT_HEAP);
		if (b > 0)
			r->at_peak[r->nat_peak++] = (struct mstat_contrib){ (long)k, b };
	}
	qsort(r->at_peak, r->nat_peak, sizeof(*r->at_peak), cmp_contrib);
	for (enum mstat_series c = MSTAT_ANON; c < MSTAT_NSERIES; c++)
		if (contributions(r, c) < 0)
			return -ENOMEM;
	estimate(r);
	r->live_max = r->tl.live_max;
	weigh(r);
	return 0;
}

void mstat_report_free(struct mstat_report *r)
{
	mstat_timeline_free(&r->tl);
	mstat_untraced_free(&r->untraced);
	free(r->cmds);
	free(r->weight);
	free(r->subtree);
	free(r->at_peak);
	for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
		free(r->at[c]);
		r->at[c] = NULL;
	}
	r->cmds = NULL;
	r->weight = NULL;
	r->subtree = NULL;
	r->at_peak = NULL;
}
