/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Each image's curves become steps over its exact life; the steps of all
 * images, as (time, change) events sorted by time, are summed in one sweep,
 * so that two images count together only where their lives overlap. An
 * image's level within one tick of the coarse clock is known only as the
 * tick's highest and its end: the highest is held for the tick (4 ms, or
 * up to the next tick or the image's end when sooner; the last tick's for
 * 12 ms, the coarse clock's lag), the end level until the next tick. The
 * sum never shows less than the tree held.
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

/* An image without a time (no TIME header, no TIME entry) has no place
 * on the time axis: its entries count in the totals only. One whose
 * header's TIME is missing or damaged starts at its first entry's. */
static bool counted(const struct mstat_image *im)
{
	return im->valid && !im->virt && (im->has_time || im->nsamples);
}

static uint64_t start_of(const struct mstat_image *im)
{
	return im->has_time ? im->mono_ns : im->samples[0].t;
}

struct step {
	uint64_t t;
	int64_t v[MSTAT_NSERIES];
};

static void put(struct step *out, size_t *n, uint64_t t, const int64_t *v)
{
	if (!*n || out[*n - 1].t != t)
		out[(*n)++].t = t;
	memcpy(out[*n - 1].v, v, sizeof(out->v));
}

/*
 * Image im's curves over its life [start, end) as steps in time order:
 * from each step's time to the next step's it holds v; the last step, all
 * zero, is its end (end, or later when the ticks run past it). out has
 * room for 2 * nsamples + 1. An image that logged no RSS holds its peak
 * resident size (FINI's maxrss) all its life.
 */
static size_t steps(const struct mstat_image *im, uint64_t start, uint64_t end, struct step *out)
{
	static const int64_t zero[MSTAT_NSERIES];
	uint64_t prev = start;
	size_t n = 0;

	for (size_t i = 0; i < im->nsamples; i++) {
		const struct mstat_sample *s = &im->samples[i];
		uint64_t a = s->t > prev ? s->t : prev;
		uint64_t next = i + 1 < im->nsamples ? im->samples[i + 1].t : end;
		/* The last sample's highest until its image ends, for two
		 * ticks more: its events were stamped by the coarse clock,
		 * which lags the exact clock of the image's end by up to a
		 * tick, more on a loaded VM (6 ms seen). A parent's last free,
		 * stamped 16.78 ms, really came after its child, started at
		 * 21.07 ms, had died. */
		uint64_t w = s->t + MSTAT_TICK_NS * (i + 1 < im->nsamples ? 1 : 3);

		if (w > next)
			w = next;
		if (w > end)
			w = end;
		if (w <= a && w > prev)
			a = w - 1;	/* a tick at the very end: the last instant */
		else if (w <= a)
			w = a + 1;
		put(out, &n, a, s->max);
		put(out, &n, w, s->end);
		prev = w;
	}
	/* The tree never shows less than an image held: its own blocks live
	 * at the end, when its samples say less (a body whose timeline was
	 * lost or damaged, counters taken from the live blocks): all its life
	 * without samples, else at its last instant. */
	int64_t most = 0;

	for (size_t i = 0; i < n; i++)
		if (out[i].v[MSTAT_HEAP] > most)
			most = out[i].v[MSTAT_HEAP];
	if (im->live_bytes && most < (int64_t)im->live_bytes) {
		int64_t v[MSTAT_NSERIES];
		uint64_t at = n ? (end > prev ? end - 1 : prev) : start;

		memcpy(v, n ? out[n - 1].v : zero, sizeof(v));
		v[MSTAT_HEAP] = v[MSTAT_TOTAL] = (int64_t)im->live_bytes;
		put(out, &n, at, v);
		prev = at + 1 > end ? at + 1 : end;
	}
	put(out, &n, end > prev ? end : prev, zero);
	if (!im->rss_samples)
		for (size_t i = 0; i + 1 < n; i++)
			out[i].v[MSTAT_RSS] = (int64_t)im->rss_peak;
	return n;
}

/*
 * Where an image's life ends: FINI's time; for an exec, the start of the
 * next image of the process, or the last tick's end when sooner (exec
 * takes well under a tick); otherwise the end of its last tick.
 */
static uint64_t end_of(const struct mstat_image *im, uint64_t start, uint64_t next_start)
{
	uint64_t e = im->t_last + MSTAT_TICK_NS;

	if (im->fini_ns)
		e = im->fini_ns >= im->t_last ? im->fini_ns : im->t_last + 1;
	else if (im->end == MSTAT_END_EXEC && next_start && next_start < e)
		e = next_start >= im->t_last ? next_start : im->t_last + 1;
	return e > start ? e : start + 1;
}

struct event {
	uint64_t t;
	int64_t d;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* Sums the changes in time order: the highest per bin into curve or live
 * (when not NULL), and the overall peak and when it began. */
static void sweep(const struct mstat_timeline *tl, struct event *ev, size_t n, int64_t *curve,
		  uint32_t *live, int64_t *peak, uint64_t *peak_t)
{
	int64_t v = 0;

	qsort(ev, n, sizeof(*ev), cmp_event);
	for (size_t i = 0; i < n;) {
		uint64_t t = ev[i].t, next;

		for (; i < n && ev[i].t == t; i++)
			v += ev[i].d;
		next = i < n ? ev[i].t : t + 1;
		if (v > *peak) {
			*peak = v;
			*peak_t = t;
		}
		for (size_t b = mstat_timeline_bin(tl, t), b1 = mstat_timeline_bin(tl, next - 1);
		     b <= b1; b++) {
			if (curve && v > curve[b])
				curve[b] = v;
			if (live && (uint32_t)v > live[b])
				live[b] = (uint32_t)v;
		}
	}
}

int64_t mstat_timeline_at(const struct mstat_timeline *tl, const struct mstat_image *im, uint64_t t,
			  enum mstat_series k)
{
	size_t idx = (size_t)(im - tl->set->img), n;
	struct step *st;
	int64_t v = 0;

	if (!counted(im) || idx >= tl->set->n || t < tl->start[idx])
		return 0;
	st = malloc((2 * im->nsamples + 1) * sizeof(*st));
	if (!st)
		return 0;
	n = steps(im, tl->start[idx], tl->end[idx], st);
	for (size_t i = 0; i < n && st[i].t <= t; i++)
		v = st[i].v[k];
	free(st);
	return v;
}

int64_t mstat_timeline_peak_without(const struct mstat_timeline *tl, const char *command,
				    enum mstat_series k)
{
	const struct mstat_set *set = tl->set;
	size_t cap = 0, most = 0, n = 0;
	struct event *ev;
	struct step *st;
	int64_t peak = 0;
	uint64_t when = 0;

	for (size_t i = 0; i < set->n; i++) {
		cap += 2 * set->img[i].nsamples + 2;
		if (2 * set->img[i].nsamples + 1 > most)
			most = 2 * set->img[i].nsamples + 1;
	}
	ev = malloc((cap + 1) * sizeof(*ev));
	st = malloc((most + 1) * sizeof(*st));
	if (!ev || !st) {
		free(ev);
		free(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct mstat_image *im = &set->img[i];
		int64_t prev = 0;
		size_t m;

		if (!counted(im) || !strcmp(mstat_image_command(im), command))
			continue;
		m = steps(im, tl->start[i], tl->end[i], st);
		for (size_t j = 0; j < m; j++) {
			ev[n++] = (struct event){ st[j].t, st[j].v[k] - prev };
			prev = st[j].v[k];
		}
	}
	sweep(tl, ev, n, NULL, NULL, &peak, &when);
	free(ev);
	free(st);
	return peak;
}

int mstat_timeline_build(struct mstat_timeline *tl, const struct mstat_set *set)
{
	uint64_t lo = UINT64_MAX, hi = 0, span;
	struct event *ev[MSTAT_NSERIES + 1] = { NULL };
	struct step *st = NULL;
	size_t nev = 0, nlive = 0, cap = 0, most = 0;
	int64_t live_peak = 0;
	uint64_t live_t = 0;
	bool ok;

	memset(tl, 0, sizeof(*tl));
	tl->set = set;
	tl->start = calloc(set->n + 1, sizeof(*tl->start));
	tl->end = calloc(set->n + 1, sizeof(*tl->end));
	if (!tl->start || !tl->end)
		goto out_nomem;
	/* An exec'd image starts where the one before it ended. */
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (counted(im) && im->rel == MSTAT_REL_EXEC && im->parent >= 0)
			tl->end[im->parent] = start_of(im);
	}
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!counted(im)) {
			tl->end[k] = 0;
			continue;
		}
		tl->start[k] = start_of(im);
		tl->end[k] = end_of(im, tl->start[k], tl->end[k]);
		cap += 2 * im->nsamples + 2;
		if (2 * im->nsamples + 1 > most)
			most = 2 * im->nsamples + 1;
	}
	st = malloc((most + 1) * sizeof(*st));
	for (unsigned c = 0; c <= MSTAT_NSERIES; c++)
		ev[c] = malloc((cap + 1) * sizeof(*ev[c]));
	ok = st;
	for (unsigned c = 0; c <= MSTAT_NSERIES; c++)
		ok = ok && ev[c];
	if (!ok)
		goto out_nomem;
	/* Steps into changes; the live count is one more curve, +1 at the
	 * start and -1 at the last step. */
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];
		int64_t prev[MSTAT_NSERIES] = { 0 };
		size_t n;

		if (!counted(im))
			continue;
		n = steps(im, tl->start[k], tl->end[k], st);
		tl->end[k] = st[n - 1].t;
		for (size_t i = 0; i < n; i++) {
			for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
				ev[c][nev + i] = (struct event){ st[i].t, st[i].v[c] - prev[c] };
				prev[c] = st[i].v[c];
			}
		}
		nev += n;
		ev[MSTAT_NSERIES][nlive++] = (struct event){ tl->start[k], 1 };
		ev[MSTAT_NSERIES][nlive++] = (struct event){ tl->end[k], -1 };
		if (tl->start[k] < lo)
			lo = tl->start[k];
		if (tl->end[k] > hi)
			hi = tl->end[k];
	}
	if (lo > hi)
		lo = hi = 0;
	span = hi - lo;
	tl->t0 = lo;
	tl->bin_ns = MSTAT_TICK_NS;
	while (span / tl->bin_ns + 1 > MSTAT_MAX_BINS)
		tl->bin_ns *= 2;
	tl->nbins = (size_t)(span / tl->bin_ns) + 1;
	ok = true;
	for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
		tl->curve[c] = calloc(tl->nbins, sizeof(*tl->curve[c]));
		ok = ok && tl->curve[c];
	}
	tl->total = tl->curve[MSTAT_HEAP];
	tl->live = calloc(tl->nbins, sizeof(*tl->live));
	if (!ok || !tl->live)
		goto out_nomem;
	for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
		sweep(tl, ev[c], nev, tl->curve[c], NULL, &tl->cpeak[c], &tl->cpeak_t[c]);
		tl->cpeak_bin[c] = mstat_timeline_bin(tl, tl->cpeak_t[c]);
	}
	sweep(tl, ev[MSTAT_NSERIES], nlive, NULL, tl->live, &live_peak, &live_t);
	tl->live_max = (uint32_t)live_peak;
	tl->peak = tl->cpeak[MSTAT_HEAP];
	tl->peak_bin = tl->cpeak_bin[MSTAT_HEAP];
	tl->peak_t = tl->cpeak_t[MSTAT_HEAP];
	free(st);
	for (unsigned c = 0; c <= MSTAT_NSERIES; c++)
		free(ev[c]);
	return 0;
out_nomem:
	free(st);
	for (unsigned c = 0; c <= MSTAT_NSERIES; c++)
		free(ev[c]);
	mstat_timeline_free(tl);
	return -ENOMEM;
}

void mstat_timeline_free(struct mstat_timeline *tl)
{
	for (unsigned c = 0; c < MSTAT_NSERIES; c++)
		free(tl->curve[c]);
	free(tl->live);
	free(tl->start);
	free(tl->end);
	memset(tl, 0, sizeof(*tl));
}
