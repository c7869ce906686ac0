/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The trace in Chrome's trace-event JSON, for ui.perfetto.dev and
 * chrome://tracing: one track per process (its images as consecutive
 * slices), counter tracks for its heap, anonymous mappings and resident
 * size, and the whole tree's curves on a track of their own.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "tree.h"
#include "units.h"

/* Linux pids stay below 2^22 (PID_MAX_LIMIT): the tree's own track and
 * processes whose pid an earlier process of the trace had take numbers
 * above, and keep their real pid in their name and args. */
#define TREE_PID (1ll << 22)

struct proc {
	long head;		/* first node of its exec chain */
	long *nodes;		/* its images (and untraced execs), in time order */
	size_t n;
	int64_t tpid;		/* the pid in the trace */
	long parent;		/* index in procs, -1 for none */
	unsigned depth;
	uint64_t lo, hi;	/* its slices' span, ns from t0 */
};

struct cev {
	uint64_t t;
	int64_t v;
};

struct ctrack {
	struct cev *v;
	size_t n, cap;
};

static int cpush(struct ctrack *c, uint64_t t, int64_t v)
{
	struct cev *n;

	if (c->n && t <= c->v[c->n - 1].t) {
		/* Two images' ticks at one time (an exec within a tick): the
		 * higher, as the timeline bounds from above. */
		if (v > c->v[c->n - 1].v)
			c->v[c->n - 1].v = v;
		return 0;
	}
	if (c->n && v == c->v[c->n - 1].v)
		return 0;
	n = mstat_grow(c->v, &c->cap, c->n, sizeof(*n), 64);
	if (!n)
		return -ENOMEM;
	c->v = n;
	c->v[c->n++] = (struct cev){ t, v };
	return 0;
}

/* Microseconds with the nanoseconds kept. */
static void ts(FILE *out, uint64_t ns)
{
	fprintf(out, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

static uint64_t rel(const struct mstat_report *r, uint64_t t)
{
	return t > r->tl.t0 ? t - r->tl.t0 : 0;
}

static bool placed(const struct mstat_image *im)
{
	return im->virt ? im->t_first != 0 : im->valid && im->has_time;
}

static long head_of(const struct mstat_set *set, long k)
{
	while (set->img[k].rel == MSTAT_REL_EXEC && set->img[k].parent >= 0)
		k = set->img[k].parent;
	return k;
}

static void node_name(FILE *out, const struct mstat_image *im)
{
	char buf[200];

	if (!im->virt) {
		mstat_json_str(out, mstat_image_command(im));
		return;
	}
	if (im->rel == MSTAT_REL_EXEC) {
		snprintf(buf, sizeof(buf), "not traced: %s", im->exec_path ? im->exec_path : "?");
		mstat_json_str(out, buf);
	} else {
		fputs("\"not traced\"", out);
	}
}

/* "cc [123]", "sh -> cc1 [123]": the commands of its chain, at most three. */
static void proc_name(FILE *out, const struct mstat_set *set, const struct proc *p)
{
	char buf[512];		/* at most 300 + 64 + 7 + 24 bytes below */
	size_t len = 0, shown = 0;
	const char *last = NULL;

	buf[0] = 0;
	for (size_t i = 0; i < p->n && len < 300; i++) {
		const struct mstat_image *im = &set->img[p->nodes[i]];
		const char *c = im->virt ? "?" : mstat_image_command(im);

		if (last && !strcmp(last, c))
			continue;
		if (shown == 3) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, " -> ...");
			break;
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.60s", shown ? " -> " : "", c);
		last = c;
		shown++;
	}
	if (!shown)
		len = (size_t)snprintf(buf, sizeof(buf), "not traced");
	snprintf(buf + len, sizeof(buf) - len, " [%lld]", (long long)set->img[p->head].pid);
	mstat_json_str(out, buf);
}

static int cmp_tpid(const void *a, const void *b)
{
	const struct proc *const *x = a, *const *y = b;
	int64_t px = (*x)->tpid, py = (*y)->tpid;

	if (px != py)
		return px < py ? -1 : 1;
	return (*x)->lo < (*y)->lo ? -1 : (*x)->lo > (*y)->lo;
}

static int cmp_root(const void *a, const void *b, void *set)
{
	const struct mstat_image *x = &((struct mstat_set *)set)->img[*(const long *)a];
	const struct mstat_image *y = &((struct mstat_set *)set)->img[*(const long *)b];

	return x->t_first < y->t_first ? -1 : x->t_first > y->t_first;
}

/* The shown nodes in tree order: roots by start, each followed by its
 * subtree (children in the tree's order, by start). */
static size_t preorder(const struct mstat_set *set, long *order, long *stack)
{
	size_t n = 0, sp = 0, nroots = 0;

	for (size_t k = 0; k < set->n; k++)
		if (mstat_tree_shown(&set->img[k]) && set->img[k].parent < 0)
			stack[nroots++] = (long)k;
	qsort_r(stack, nroots, sizeof(*stack), cmp_root, (void *)set);
	/* Reversed, so that the earliest root is popped first. */
	for (size_t i = 0; i < nroots / 2; i++) {
		long t = stack[i];

		stack[i] = stack[nroots - 1 - i];
		stack[nroots - 1 - i] = t;
	}
	sp = nroots;
	while (sp) {
		long k = stack[--sp];
		size_t first = sp;

		order[n++] = k;
		for (long c = set->img[k].first_child; c >= 0; c = set->img[c].next_sibling)
			if (mstat_tree_shown(&set->img[c]))
				stack[sp++] = c;
		for (size_t i = first, j = sp; i + 1 < j; i++, j--) {
			long t = stack[i];

			stack[i] = stack[j - 1];
			stack[j - 1] = t;
		}
	}
	return n;
}

static void counter(FILE *out, int64_t pid, const char *name, const struct ctrack *c, bool *first)
{
	for (size_t i = 0; i < c->n; i++) {
		fprintf(out, "%s\n{\"ph\":\"C\",\"pid\":%lld,\"tid\":%lld,\"name\":\"%s\",\"ts\":",
			*first ? "" : ",", (long long)pid, (long long)pid, name);
		ts(out, c->v[i].t);
		fprintf(out, ",\"args\":{\"bytes\":%lld}}", (long long)c->v[i].v);
		*first = false;
	}
}

static void meta(FILE *out, int64_t pid, const char *what, bool *first)
{
	fprintf(out, "%s\n{\"ph\":\"M\",\"pid\":%lld,\"tid\":%lld,\"name\":\"%s\",\"args\":{", *first ? "" : ",",
		(long long)pid, (long long)pid, what);
	*first = false;
}

/* One process's counter tracks from its images' ticks: at each tick the
 * highest level in it, and where the next tick with a change comes later,
 * the level at its end one tick on; zero when the process is gone. */
static int proc_counters(const struct mstat_report *r, const struct proc *p, FILE *out, bool *first)
{
	static const char *const names[] = { [MSTAT_HEAP] = "heap", [MSTAT_ANON] = "anon mmap",
					     [MSTAT_TOTAL] = NULL, [MSTAT_RSS] = "resident" };
	const struct mstat_set *set = r->set;
	struct ctrack c = { 0 };
	int e = 0;

	for (unsigned k = 0; k < MSTAT_NSERIES && !e; k++) {
		bool any = false;

		if (!names[k])
			continue;
		c.n = 0;
		for (size_t i = 0; i < p->n && !e; i++) {
			const struct mstat_image *im = &set->img[p->nodes[i]];
			int64_t prev = 0;

			if (im->virt)
				continue;
			if (k == MSTAT_ANON && im->anon_peak)
				any = true;
			if (k == MSTAT_HEAP)
				any = true;
			if (k == MSTAT_RSS && im->rss_samples)
				any = true;
			for (size_t j = 0; j < im->nsamples && !e; j++) {
				const struct mstat_sample *s = &im->samples[j];
				uint64_t t = rel(r, s->t < im->t_first ? im->t_first : s->t);
				int64_t v = s->max[k] > prev ? s->max[k] : prev;

				if (k != MSTAT_RSS || v || c.n)	/* resident: unknown before its first entry */
					e = cpush(&c, t, v);
				prev = s->end[k];
				if (!e && j + 1 < im->nsamples && im->samples[j + 1].t > s->t + MSTAT_TICK_NS &&
				    s->end[k] != v)
					e = cpush(&c, t + MSTAT_TICK_NS, s->end[k]);
			}
		}
		if (!e && any && c.n) {
			e = cpush(&c, p->hi > c.v[c.n - 1].t ? p->hi : c.v[c.n - 1].t + 1, 0);
			counter(out, p->tpid, names[k], &c, first);
		}
	}
	free(c.v);
	return e;
}

static void slices(const struct mstat_report *r, const struct proc *procs, const struct proc *p,
		   const long *ids, FILE *out, bool *first)
{
	const struct mstat_set *set = r->set;
	char buf[400];

	for (size_t i = 0; i < p->n; i++) {
		const struct mstat_image *im = &set->img[p->nodes[i]];
		uint64_t lo = rel(r, im->t_first), hi = rel(r, im->t_last) + MSTAT_TICK_NS;

		/* An image lasts to the end of its last tick, or to the next
		 * image of its process. */
		if (i + 1 < p->n && rel(r, set->img[p->nodes[i + 1]].t_first) < hi)
			hi = rel(r, set->img[p->nodes[i + 1]].t_first);
		if (hi < lo)
			hi = lo;
		fprintf(out, "%s\n{\"ph\":\"X\",\"pid\":%lld,\"tid\":%lld,\"cat\":\"%s\",\"name\":",
			*first ? "" : ",", (long long)p->tpid, (long long)p->tpid,
			im->virt ? "untraced" : "image");
		*first = false;
		node_name(out, im);
		fputs(",\"ts\":", out);
		ts(out, lo);
		fputs(",\"dur\":", out);
		ts(out, hi - lo);
		fprintf(out, ",\"args\":{\"image\":%ld,\"pid\":%lld", ids[p->nodes[i]], (long long)im->pid);
		if (p->parent >= 0)
			fprintf(out, ",\"parent_pid\":%lld", (long long)set->img[procs[p->parent].head].pid);
		fprintf(out, ",\"relation\":\"%s\"",
			(const char *[]){ "root", "fork", "clone", "spawn", "exec" }[im->rel]);
		fprintf(out, ",\"first_tick_s\":%.6f,\"last_tick_s\":%.6f", mstat_report_secs(r, im->t_first),
			mstat_report_secs(r, im->t_last));
		if (!im->virt) {
			mstat_image_cmdline(im, buf, sizeof(buf), 300);
			fputs(",\"command_line\":", out);
			mstat_json_str(out, buf);
			if (im->exe) {
				fputs(",\"exe\":", out);
				mstat_json_str(out, im->exe);
			}
			fprintf(out, ",\"heap_peak\":%lld,\"anon_peak\":%llu,\"total_peak\":%lld,\"rss_peak\":%llu,\"allocations\":%llu,\"allocated\":%llu,\"leaked_bytes\":%llu,\"end\":\"%s\"",
				(long long)im->peak, (unsigned long long)im->anon_peak,
				(long long)im->total_peak, (unsigned long long)im->rss_peak,
				(unsigned long long)im->allocs, (unsigned long long)im->alloc_bytes,
				mstat_image_leaks(im) ? (unsigned long long)im->live_bytes : 0ull,
				im->end == MSTAT_END_EXIT ? "exit" : im->end == MSTAT_END_EXEC ? "exec" : "died");
		}
		fputs("}}", out);
	}
}

/* The tree's curves, one event per bin where one changes. */
static void tree_counters(const struct mstat_report *r, FILE *out, bool *first)
{
	static const char *const names[] = { [MSTAT_HEAP] = "tree heap", [MSTAT_ANON] = "tree anon mmap",
					     [MSTAT_TOTAL] = "tree heap + anon mmap",
					     [MSTAT_RSS] = "tree resident" };
	const struct mstat_timeline *tl = &r->tl;

	for (unsigned k = 0; k < MSTAT_NSERIES; k++) {
		int64_t prev = -1;

		if (k == MSTAT_ANON && !r->have_anon)
			continue;
		if (k == MSTAT_RSS && !r->have_rss)
			continue;
		for (size_t b = 0; b <= tl->nbins; b++) {
			int64_t v = b < tl->nbins ? tl->curve[k][b] : 0;

			if (v == prev)
				continue;
			fprintf(out, "%s\n{\"ph\":\"C\",\"pid\":%lld,\"tid\":%lld,\"name\":\"%s\",\"ts\":",
				*first ? "" : ",", TREE_PID, TREE_PID, names[k]);
			ts(out, b * tl->bin_ns);
			fprintf(out, ",\"args\":{\"bytes\":%lld}}", (long long)v);
			*first = false;
			prev = v;
		}
	}
	for (size_t b = 0, prev = SIZE_MAX; b <= tl->nbins; b++) {
		size_t v = b < tl->nbins ? tl->live[b] : 0;

		if (v == prev)
			continue;
		fprintf(out, ",\n{\"ph\":\"C\",\"pid\":%lld,\"tid\":%lld,\"name\":\"processes alive\",\"ts\":",
			TREE_PID, TREE_PID);
		ts(out, b * tl->bin_ns);
		fprintf(out, ",\"args\":{\"images\":%zu}}", v);
		prev = v;
	}
}

int mstat_report_trace(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;
	size_t n = set->n, norder, nprocs = 0, next_id = 0;
	long *order = malloc((n + 1) * sizeof(*order)), *stack = malloc((n + 1) * sizeof(*stack));
	long *ids = malloc((n + 1) * sizeof(*ids)), *pof = malloc((n + 1) * sizeof(*pof));
	long *pool = malloc((n + 1) * sizeof(*pool));
	struct proc *procs = calloc(n + 1, sizeof(*procs));
	struct proc **byp = calloc(n + 1, sizeof(*byp));
	bool first = true;
	int e = 0;

	if (!order || !stack || !ids || !pof || !pool || !procs || !byp) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		ids[k] = mstat_tree_shown(&set->img[k]) ? (long)next_id++ : -1;
		pof[k] = -1;
	}
	norder = preorder(set, order, stack);
	/* Processes in tree order; each node joins its chain's head. */
	for (size_t i = 0; i < norder; i++) {
		long k = order[i], h = head_of(set, k);

		if (!placed(&set->img[k]))
			continue;
		if (pof[h] < 0) {
			struct proc *p = &procs[nprocs];

			pof[h] = (long)nprocs++;
			p->head = h;
			p->parent = -1;
			for (long a = set->img[h].parent; a >= 0; a = set->img[a].parent) {
				long ah = head_of(set, a);

				if (pof[ah] >= 0) {
					p->parent = pof[ah];
					p->depth = procs[pof[ah]].depth + 1;
					break;
				}
				a = ah;
			}
		}
		procs[pof[h]].n++;
	}
	/* Each process's nodes, in time order (a chain is linear). */
	{
		size_t at = 0;

		for (size_t j = 0; j < nprocs; j++) {
			procs[j].nodes = pool + at;
			at += procs[j].n;
			procs[j].n = 0;
		}
		for (size_t i = 0; i < norder; i++) {
			long k = order[i];

			if (placed(&set->img[k]))
				procs[pof[head_of(set, k)]].nodes[procs[pof[head_of(set, k)]].n++] = k;
		}
	}
	for (size_t j = 0; j < nprocs; j++) {
		struct proc *p = &procs[j];
		const struct mstat_image *last = &set->img[p->nodes[p->n - 1]];

		p->lo = rel(r, set->img[p->nodes[0]].t_first);
		p->hi = rel(r, last->t_last) + MSTAT_TICK_NS;
		p->tpid = set->img[p->head].pid;
		byp[j] = p;
	}
	/* A pid used twice: the first process by start keeps it. */
	qsort(byp, nprocs, sizeof(*byp), cmp_tpid);
	for (size_t j = 1, extra = 1; j < nprocs; j++)
		if (byp[j]->tpid == set->img[byp[j - 1]->head].pid && byp[j]->tpid < TREE_PID)
			byp[j]->tpid = TREE_PID + (int64_t)extra++;
		else if (byp[j]->tpid <= 0)
			byp[j]->tpid = TREE_PID + (int64_t)extra++;

	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"malloc-stat\",\"version\":1,\"inputs\":[", out);
	for (size_t i = 0; i < r->ninputs; i++) {
		fputs(i ? "," : "", out);
		mstat_json_str(out, r->inputs[i]);
	}
	fprintf(out, "],\"start_ns\":%llu,\"heap_peak\":%lld},\n\"traceEvents\":[",
		(unsigned long long)r->tl.t0, (long long)r->tl.peak);
	meta(out, TREE_PID, "process_name", &first);
	fputs("\"name\":\"whole tree\"}}", out);
	meta(out, TREE_PID, "process_sort_index", &first);
	fputs("\"sort_index\":-1}}", out);
	tree_counters(r, out, &first);
	for (size_t j = 0; j < nprocs && !e; j++) {
		const struct proc *p = &procs[j];

		meta(out, p->tpid, "process_name", &first);
		fputs("\"name\":", out);
		proc_name(out, set, p);
		fputs("}}", out);
		meta(out, p->tpid, "process_sort_index", &first);
		fprintf(out, "\"sort_index\":%zu}}", j);
		meta(out, p->tpid, "thread_name", &first);
		fputs("\"name\":\"images\"}}", out);
		if (p->parent >= 0) {
			const struct proc *pp = &procs[p->parent];

			meta(out, p->tpid, "process_labels", &first);
			fputs("\"labels\":", out);
			{
				char buf[160];

				snprintf(buf, sizeof(buf), "child of %s [%lld], depth %u",
					 set->img[pp->nodes[0]].virt ? "untraced" :
					 mstat_image_command(&set->img[pp->nodes[0]]),
					 (long long)set->img[pp->head].pid, p->depth);
				mstat_json_str(out, buf);
			}
			fputs("}}", out);
			/* A flow from the parent at the child's start, when
			 * the parent's slices cover it. */
			if (p->lo >= pp->lo && p->lo <= pp->hi) {
				fprintf(out, ",\n{\"ph\":\"s\",\"id\":%zu,\"pid\":%lld,\"tid\":%lld,\"cat\":\"child\",\"name\":\"start\",\"ts\":",
					j, (long long)pp->tpid, (long long)pp->tpid);
				ts(out, p->lo);
				fprintf(out, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"id\":%zu,\"pid\":%lld,\"tid\":%lld,\"cat\":\"child\",\"name\":\"start\",\"ts\":",
					j, (long long)p->tpid, (long long)p->tpid);
				ts(out, p->lo);
				fputs("}", out);
			}
		}
		slices(r, procs, p, ids, out, &first);
		e = proc_counters(r, p, out, &first);
	}
	fputs("\n]}\n", out);
	if (!e && ferror(out))
		e = -EIO;
out:
	free(order);
	free(stack);
	free(ids);
	free(pof);
	free(pool);
	free(procs);
	free(byp);
	return e;
}
