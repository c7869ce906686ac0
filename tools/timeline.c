/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Sums the images' steps into bins with a difference array: each image adds
 * its highest level of a bin to that bin and carries its end level over the
 * bins up to its next sample, and past the last one to its end. Within a
 * bin the sum of highs bounds the real high from above: the chart never
 * shows less than the tree held.
 */
#include "timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t mstat_timeline_bin(const struct mstat_timeline *tl, uint64_t t)
{
	uint64_t b = t > tl->t0 ? (t - tl->t0) / tl->bin_ns : 0;

	return b >= tl->nbins ? tl->nbins - 1 : (size_t)b;
}

/* An image without TIME has no place on the time axis: its entries count
 * in the totals only. */
static bool counted(const struct mstat_image *im)
{
	return im->valid && !im->virt && im->has_time;
}

/*
 * Walks one image's bins: calls put(bin, value) for each bin with a sample
 * and carry(from, to, value) for the runs between (from inclusive, to
 * exclusive). Both callbacks see bins in increasing order.
 */
struct walk {
	void (*put)(struct walk *w, size_t b, int64_t v);
	void (*carry)(struct walk *w, size_t from, size_t to, int64_t v);
};

static void walk(const struct mstat_timeline *tl, const struct mstat_image *im, unsigned k,
		 struct walk *w)
{
	size_t cur = SIZE_MAX, first = mstat_timeline_bin(tl, im->t_first);
	int64_t val = 0, prev_end = 0;

	for (size_t i = 0; i < im->nsamples; i++) {
		const struct mstat_sample *s = &im->samples[i];
		size_t b = mstat_timeline_bin(tl, s->t);

		if (b < first)
			b = first;
		if (cur != SIZE_MAX && b < cur)
			b = cur;	/* out of order: keep it in the current bin */
		if (b != cur) {
			if (cur != SIZE_MAX) {
				w->put(w, cur, val);
				if (b > cur + 1)
					w->carry(w, cur + 1, b, prev_end);
			}
			cur = b;
			val = prev_end > s->max[k] ? prev_end : s->max[k];
		} else if (s->max[k] > val) {
			val = s->max[k];
		}
		prev_end = s->end[k];
	}
	if (cur != SIZE_MAX) {
		size_t last = mstat_timeline_bin(tl, im->t_last);

		w->put(w, cur, val);
		if (last > cur)
			w->carry(w, cur + 1, last + 1, prev_end);
	}
}

struct sum {
	struct walk w;
	int64_t *excess, *diff;
};

static void sum_put(struct walk *w, size_t b, int64_t v)
{
	((struct sum *)w)->excess[b] += v;
}

static void sum_carry(struct walk *w, size_t from, size_t to, int64_t v)
{
	((struct sum *)w)->diff[from] += v;
	((struct sum *)w)->diff[to] -= v;
}

struct probe {
	struct walk w;
	size_t b;
	int64_t v;
};

static void probe_put(struct walk *w, size_t b, int64_t v)
{
	struct probe *p = (struct probe *)w;

	if (b == p->b)
		p->v = v;
}

static void probe_carry(struct walk *w, size_t from, size_t to, int64_t v)
{
	struct probe *p = (struct probe *)w;

	if (p->b >= from && p->b < to)
		p->v = v;
}

int64_t mstat_timeline_at(const struct mstat_timeline *tl, const struct mstat_image *im, size_t b,
			  enum mstat_series k)
{
	struct probe p = { { probe_put, probe_carry }, b, 0 };

	if (!counted(im))
		return 0;
	walk(tl, im, k, &p.w);
	return p.v;
}

int mstat_timeline_build(struct mstat_timeline *tl, const struct mstat_set *set)
{
	uint64_t lo = UINT64_MAX, hi = 0, span;
	struct sum s = { { sum_put, sum_carry }, NULL, NULL };
	int64_t *ldiff;
	bool ok = true;

	memset(tl, 0, sizeof(*tl));
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!counted(im))
			continue;
		if (im->t_first < lo)
			lo = im->t_first;
		if (im->t_last > hi)
			hi = im->t_last;
	}
	if (lo > hi)
		lo = hi = 0;
	span = hi - lo;
	tl->t0 = lo;
	tl->bin_ns = MSTAT_TICK_NS;
	while (span / tl->bin_ns + 1 > MSTAT_MAX_BINS)
		tl->bin_ns *= 2;
	tl->nbins = (size_t)(span / tl->bin_ns) + 1;
	for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
		tl->curve[c] = calloc(tl->nbins, sizeof(*tl->curve[c]));
		ok = ok && tl->curve[c];
	}
	tl->total = tl->curve[MSTAT_HEAP];
	tl->live = calloc(tl->nbins, sizeof(*tl->live));
	s.diff = calloc(tl->nbins + 1, sizeof(*s.diff));
	ldiff = calloc(tl->nbins + 1, sizeof(*ldiff));
	if (!ok || !tl->live || !s.diff || !ldiff) {
		free(s.diff);
		free(ldiff);
		mstat_timeline_free(tl);
		return -ENOMEM;
	}
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!counted(im))
			continue;
		ldiff[mstat_timeline_bin(tl, im->t_first)]++;
		ldiff[mstat_timeline_bin(tl, im->t_last) + 1]--;
	}
	for (size_t b = 0, lrun = 0; b < tl->nbins; b++) {
		lrun += (size_t)ldiff[b];
		tl->live[b] = (uint32_t)lrun;
	}
	for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
		int64_t run = 0, *v = tl->curve[c];

		memset(s.diff, 0, (tl->nbins + 1) * sizeof(*s.diff));
		s.excess = v;
		for (size_t k = 0; k < set->n; k++)
			if (counted(&set->img[k]))
				walk(tl, &set->img[k], c, &s.w);
		for (size_t b = 0; b < tl->nbins; b++) {
			run += s.diff[b];
			v[b] += run;
			if (v[b] > tl->cpeak[c]) {
				tl->cpeak[c] = v[b];
				tl->cpeak_bin[c] = b;
			}
		}
	}
	tl->peak = tl->cpeak[MSTAT_HEAP];
	tl->peak_bin = tl->cpeak_bin[MSTAT_HEAP];
	free(s.diff);
	free(ldiff);
	return 0;
}

void mstat_timeline_free(struct mstat_timeline *tl)
{
	for (unsigned c = 0; c < MSTAT_NSERIES; c++)
		free(tl->curve[c]);
	free(tl->live);
	memset(tl, 0, sizeof(*tl));
}
