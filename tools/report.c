/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The report model: totals over the images, the timeline and its peak's
 * make-up, per-command rows and subtree weights.
 */
#include "report.h"

#include <errno.h>
#include <stdio.h>
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
 * The peak resident size of an image: the higher of FINI's maxrss (the
 * kernel's high-water mark) and the highest RSS sample (its counters are
 * approximate: a sample can pass the mark by a few pages), leaving maxrss
 * out when it may not be this image's own. Linux keeps the mark across exec, so
 * an exec'd or spawned image's maxrss is at least what the memory it was
 * exec'd from held: its parent's (the image before the exec, the vfork
 * parent, or the process whose fork child exec'd before logging) and, when
 * that parent is itself a fork child, its fork parent's (perl, its fork
 * child, the shell that child exec'd). Nothing further up: the children of
 * that shell start from the shell's own memory, not from what its maxrss
 * carried over. When maxrss is no higher than those images' peaks, only
 * the samples count. Parents are judged first (done marks judged images).
 */
static void rss_peak(struct mstat_set *set, size_t k, uint8_t *done, int depth)
{
	struct mstat_image *im = &set->img[k];
	const struct mstat_image *q = im;
	bool own = true;

	if (done[k])
		return;
	done[k] = 1;
	if (im->rel != MSTAT_REL_EXEC && im->rel != MSTAT_REL_SPAWN)
		q = NULL;
	for (int n = 0; q && q->parent >= 0 && n < 16; n++) {
		const struct mstat_image *p = &set->img[q->parent];

		if (p->virt || !p->valid)
			break;
		if (depth < 64)
			rss_peak(set, (size_t)q->parent, done, depth + 1);
		if (im->maxrss <= p->rss_peak || im->maxrss <= p->rss_max) {
			own = false;
			break;
		}
		if (p->rel != MSTAT_REL_FORK && p->rel != MSTAT_REL_CLONE)
			break;
		q = p;
	}
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

/* MemTotal of this machine in bytes, 0 when unknown. */
static uint64_t mem_total(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* The parallel-jobs estimate (report.h): 0 or -ENOMEM. */
static int estimate(struct mstat_report *r)
{
	struct mstat_estimate *e = &r->est;
	static const unsigned dflt[] = { 2, 4, 8 };
	enum mstat_series m = r->have_rss ? MSTAT_RSS : MSTAT_TOTAL;
	const struct mstat_set *set = r->set;
	long heaviest = -1;
	int64_t best = 0;

	e->metric = m;
	e->cmd = -1;
	e->njobs = r->njobs ? r->njobs : 3;
	for (unsigned i = 0; i < e->njobs; i++)
		e->jobs[i] = r->njobs ? r->jobs[i] : dflt[i];
	/* The heaviest single invocation; the tree's roots (make) only when
	 * nothing else ran: the driver is not one of its jobs. */
	for (int pass = 0; pass < 2 && heaviest < 0; pass++) {
		for (size_t k = 0; k < set->n; k++) {
			const struct mstat_image *im = &set->img[k];
			int64_t v = m == MSTAT_RSS ? (int64_t)im->rss_peak : im->total_peak;

			if (!mstat_tree_shown(im) || im->virt || (!pass && im->parent < 0))
				continue;
			if (v > best) {
				best = v;
				heaviest = (long)k;
			}
		}
	}
	for (size_t i = 0; heaviest >= 0 && i < r->ncmds; i++)
		if (!strcmp(r->cmds[i].name, mstat_image_command(&set->img[heaviest])))
			e->cmd = (long)i;
	if (e->cmd < 0)
		return 0;
	const struct mstat_command *c = &r->cmds[e->cmd];

	e->per_job[MSTAT_TOTAL] = c->total_max;
	e->per_job[MSTAT_RSS] = c->rss_max;
	for (enum mstat_series k = MSTAT_TOTAL; k <= MSTAT_RSS; k++) {
		e->rest[k] = mstat_timeline_peak_without(&r->tl, c->name, k);
		if (e->rest[k] < 0)
			return -ENOMEM;
	}
	e->ram_given = r->ram != 0;
	e->ram = r->ram ? r->ram : mem_total();
	e->fit = 0;
	if (e->per_job[m] > 0 && e->ram > (uint64_t)e->rest[m])
		e->fit = (int64_t)((e->ram - (uint64_t)e->rest[m]) / (uint64_t)e->per_job[m]);
	return 0;
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

static size_t errno_slot(int err)
{
	return err > 0 && err < MSTAT_ERRNOS ? (size_t)err : 0;
}

struct ident {
	int64_t pid;
	uint64_t start;		/* 0: unknown */
};

static int cmp_ident(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

/*
 * The PREFIX.nolog records that are processes of their own, for the count
 * of processes started: not an image of a traced process (its exec into
 * a program that could not log), nor a process counted already (an exec
 * chain of images without logs). A start time unknown matches any.
 */
static int nolog_processes(const struct mstat_set *set, size_t *out)
{
	struct ident *t = malloc((set->n + 1) * sizeof(*t));
	size_t nt = 0;

	if (!t)
		return -ENOMEM;
	for (size_t k = 0; k < set->n; k++)
		if (set->img[k].valid && !set->img[k].virt && set->img[k].has_pid)
			t[nt++] = (struct ident){ set->img[k].pid,
						  set->img[k].has_start ? set->img[k].start : 0 };
	qsort(t, nt, sizeof(*t), cmp_ident);
	*out = 0;
	for (size_t i = 0; i < set->nolog.n; i++) {
		const struct mstat_nolog *n = &set->nolog.v[i];
		const struct mstat_nologs before = { .v = set->nolog.v, .n = i };
		size_t lo = 0, hi = nt;
		bool traced = false;

		if (mstat_nolog_has(&before, n->pid, n->start, -1, 0))
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t[mid].pid < n->pid)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nt && t[lo].pid == n->pid && !traced; lo++)
			traced = !n->start || !t[lo].start || t[lo].start == n->start;
		*out += !traced;
	}
	free(t);
	return 0;
}

int mstat_report_build(struct mstat_report *r, struct mstat_set *set)
{
	uint8_t *done;
	bool *boots;	/* boot_no seen */
	int e;

	r->set = set;
	r->nolog = set->nolog.n;
	for (size_t i = 0; i < set->nolog.n; i++)
		r->nolog_by[errno_slot(set->nolog.v[i].err)]++;
	done = calloc(set->n + 1, 1);
	if (!done)
		return -ENOMEM;
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!im->valid || im->virt)
			continue;
		rss_peak(set, k, done, 0);
		r->have_rss = r->have_rss || im->rss_samples || im->maxrss;
		r->have_anon = r->have_anon || im->mmaps;
	}
	free(done);
	e = mstat_timeline_build(&r->tl, set);
	if (e < 0)
		return e;
	e = mstat_untraced_find(set, &r->untraced, &r->untraced_execs);
	if (e == 0)
		e = nolog_processes(set, &r->nolog_procs);
	if (e < 0)
		return e;
	/* Where the gaps are, by image (no marks if there is no memory). */
	if (r->untraced.n && (r->gap_kids = calloc(set->n + 1, sizeof(*r->gap_kids))))
		for (size_t i = 0; i < r->untraced.n; i++)
			if (r->untraced.v[i].image >= 0 && (size_t)r->untraced.v[i].image < set->n)
				r->gap_kids[r->untraced.v[i].image]++;
	if (r->untraced_execs.n && (r->gap_exec = malloc((set->n + 1) * sizeof(*r->gap_exec)))) {
		for (size_t k = 0; k < set->n; k++)
			r->gap_exec[k] = -1;
		for (size_t i = 0; i < r->untraced_execs.n; i++)
			if (r->untraced_execs.v[i].image >= 0 &&
			    (size_t)r->untraced_execs.v[i].image < set->n)
				r->gap_exec[r->untraced_execs.v[i].image] = (long)i;
	}
	e = mstat_commands(set, &r->cmds, &r->ncmds);
	if (e < 0)
		return e;
	r->weight = calloc(set->n + 1, sizeof(*r->weight));
	r->subtree = calloc(set->n + 1, sizeof(*r->subtree));
	r->at_peak = calloc(set->n + 1, sizeof(*r->at_peak));
	boots = calloc(set->nboots + 1, sizeof(*boots));
	if (!r->weight || !r->subtree || !r->at_peak || !boots) {
		free(boots);
		return -ENOMEM;
	}
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
		r->summaries += im->summary;
		r->processes += im->proc == (long)k;
		r->hosts += !boots[im->boot_no];
		boots[im->boot_no] = true;
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
		if (im->end == MSTAT_END_CUT) {
			r->cut++;
			r->cut_by[errno_slot(im->cut_errno)]++;
		}
		r->untraced_forks += im->untraced_forks;
		r->unmatched_frees += im->unknown_frees;
		r->gap_images += im->log_off || im->lost;
		b = mstat_timeline_at(&r->tl, im, r->tl.peak_t, MSTAT_HEAP);
		if (b > 0)
			r->at_peak[r->nat_peak++] = (struct mstat_contrib){ (long)k, b };
	}
	free(boots);
	qsort(r->at_peak, r->nat_peak, sizeof(*r->at_peak), cmp_contrib);
	for (enum mstat_series c = MSTAT_ANON; c < MSTAT_NSERIES; c++)
		if (contributions(r, c) < 0)
			return -ENOMEM;
	if (estimate(r) < 0)
		return -ENOMEM;
	r->live_max = r->tl.live_max;
	r->started = r->processes + r->untraced.n + r->nolog_procs;
	weigh(r);
	return 0;
}

void mstat_report_gap_mark(const struct mstat_report *r, long k, char *buf, size_t cap)
{
	size_t l = 0;

	buf[0] = '\0';
	if (k < 0 || (size_t)k >= r->set->n)
		return;
	if (r->gap_exec && r->gap_exec[k] >= 0) {
		const struct mstat_untraced_one *u = &r->untraced_execs.v[r->gap_exec[k]];
		const char *p = u->path, *b = p ? strrchr(p, '/') : NULL;
		char name[96];

		mstat_text_escape(name, sizeof(name), b && b[1] ? b + 1 : p && *p ? p : "?");
		l = (size_t)snprintf(buf, cap, " -> %s: not traced (%s)", name,
				     mstat_why_names[u->why]);
	}
	if (r->gap_kids && r->gap_kids[k] && l < cap)
		snprintf(buf + l, cap - l, " +%zu untraced %s", r->gap_kids[k],
			 r->gap_kids[k] == 1 ? "child" : "children");
}

void mstat_report_free(struct mstat_report *r)
{
	mstat_timeline_free(&r->tl);
	free(r->gap_kids);
	free(r->gap_exec);
	r->gap_kids = NULL;
	r->gap_exec = NULL;
	mstat_untraced_free(&r->untraced);
	mstat_untraced_free(&r->untraced_execs);
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
