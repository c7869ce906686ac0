/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Builds the process forest from the images' headers. A process is
 * (BOOT, PID, START): logs of several machines (or boots) never link
 * across them. Links come only from what the logs say: a fork child's ORIGIN names its parent's file; a new
 * process names its parent (PPID, PSTART) and is hung from that process's
 * image live at its start; a FORK entry vouches for a child whose parent is
 * unknown only when the child's START agrees with the fork's time.
 */
#include "tree.h"

#include "timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_TICK (1000000000ull / MSTAT_CLK_TCK)

/* Open addressing from a 64-bit key to an index (stored + 1; 0 is empty). */
struct itab {
	uint64_t *keys;
	long *vals;
	size_t mask, n;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static long *itab_find(const struct itab *t, uint64_t key)
{
	if (!t->vals)
		return NULL;
	for (size_t i = mix64(key) & t->mask; t->vals[i]; i = (i + 1) & t->mask)
		if (t->keys[i] == key)
			return &t->vals[i];
	return NULL;
}

static int itab_put(struct itab *t, uint64_t key, long val)
{
	size_t i;

	if ((t->n + 1) * 2 > (t->vals ? t->mask + 1 : 0)) {
		struct itab g = { .mask = t->vals ? t->mask * 2 + 1 : 255 };

		g.keys = calloc(g.mask + 1, sizeof(*g.keys));
		g.vals = calloc(g.mask + 1, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -ENOMEM;
		}
		for (size_t j = 0; t->vals && j <= t->mask; j++) {
			if (!t->vals[j])
				continue;
			for (i = mix64(t->keys[j]) & g.mask; g.vals[i]; i = (i + 1) & g.mask)
				;
			g.keys[i] = t->keys[j];
			g.vals[i] = t->vals[j];
		}
		g.n = t->n;
		free(t->keys);
		free(t->vals);
		*t = g;
	}
	for (i = mix64(key) & t->mask; t->vals[i] && t->keys[i] != key; i = (i + 1) & t->mask)
		;
	t->n += !t->vals[i];
	t->keys[i] = key;
	t->vals[i] = val + 1;
	return 0;
}

static void itab_free(struct itab *t)
{
	free(t->keys);
	free(t->vals);
}
#define FORK_SLACK_NS 30000000ll	/* START is in 10 ms ticks, TIME lags 4 ms */
#define IDLE_GAP_NS 5000000000ull	/* longer than a build waits on untraced steps, mostly */

struct ctx {
	struct mstat_set *set;
	long *ord;		/* placeable images by (boot, pid, start, time) */
	size_t nord;
	long *names;		/* open addressing: (name, boot) -> image */
	size_t nmask;
	/* Per boot_no: CLOCK_MONOTONIC minus START time, for FORK checks
	 * (each boot has its own clocks). */
	struct boot_clock { bool have; int64_t off; } *clk;
	/* Indexes, so that many processes with untraced parents (a static
	 * build driver, env -i) stay linear: */
	struct fref { long k, next; size_t f; } *forks;	/* FORK entries by child pid */
	struct itab fork_heads;	/* pid -> first fref + 1 */
	bool forks_built;
	struct itab virts;	/* (pid, start) -> virtual node */
	struct itab execs;	/* image -> virtual node of the program it exec'd */
};

bool mstat_tree_shown(const struct mstat_image *im)
{
	return (im->valid && !im->virt) || (im->virt && im->first_child >= 0);
}

static bool placeable(const struct mstat_image *im)
{
	return im->valid && !im->virt && im->has_pid && im->has_start && im->has_time &&
	       im->origin != MSTAT_ORIGIN_NONE;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The same process: (boot, pid, start). */
static bool same_proc(const struct mstat_image *a, const struct mstat_image *b)
{
	return a->boot_no == b->boot_no && a->pid == b->pid && a->start == b->start;
}

/* Numbers the distinct BOOT ids of the valid images 1, 2, ... in boot_no
 * (0: none, an older log: all those count as one boot). 0 or -ENOMEM. */
static int boots_number(struct mstat_set *set)
{
	struct itab seen = { 0 };	/* hash of the id -> first image with it */
	int r = 0;

	set->nboots = 0;
	for (size_t k = 0; k < set->n && r == 0; k++) {
		struct mstat_image *im = &set->img[k];
		uint64_t h;
		long *hit;

		im->boot_no = 0;
		if (!im->valid || !im->boot || !*im->boot)
			continue;
		h = str_hash(im->boot);
		hit = itab_find(&seen, h);
		if (hit && !strcmp(set->img[*hit - 1].boot, im->boot)) {
			im->boot_no = set->img[*hit - 1].boot_no;
			continue;
		}
		for (size_t j = 0; hit && j < k; j++)	/* two ids alike: look */
			if (set->img[j].boot_no && !strcmp(set->img[j].boot, im->boot))
				im->boot_no = set->img[j].boot_no;
		if (!im->boot_no) {
			im->boot_no = ++set->nboots;
			if (!hit)
				r = itab_put(&seen, h, (long)k);
		}
	}
	itab_free(&seen);
	return r;
}

static struct ctx *cmp_ctx;	/* qsort has no argument; tree building is single-threaded */

static int cmp_ord(const void *a, const void *b)
{
	const struct mstat_image *x = &cmp_ctx->set->img[*(const long *)a];
	const struct mstat_image *y = &cmp_ctx->set->img[*(const long *)b];

	if (x->boot_no != y->boot_no)
		return x->boot_no < y->boot_no ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->mono_ns != y->mono_ns)
		return x->mono_ns < y->mono_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* First position in ord of (boot, pid, start), or nord. */
static size_t find_proc(const struct ctx *c, unsigned boot, int64_t pid, uint64_t start)
{
	const struct mstat_image key = { .boot_no = boot, .pid = pid, .start = start };
	size_t lo = 0, hi = c->nord;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct mstat_image *m = &c->set->img[c->ord[mid]];

		if (m->boot_no < boot || (m->boot_no == boot && (m->pid < pid ||
		    (m->pid == pid && m->start < start))))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nord && same_proc(&c->set->img[c->ord[lo]], &key))
		return lo;
	return c->nord;
}

/* The image of the process at ord[pos] live at time t: the last of its
 * exec chain that began no later. */
static long live_at(const struct ctx *c, size_t pos, uint64_t t)
{
	const struct mstat_image *first = &c->set->img[c->ord[pos]];
	long best = c->ord[pos];

	for (size_t i = pos + 1; i < c->nord; i++) {
		const struct mstat_image *m = &c->set->img[c->ord[i]];

		if (!same_proc(m, first) || m->mono_ns > t)
			break;
		best = c->ord[i];
	}
	return best;
}

/* File names are unique within one boot only: another machine may have
 * had the same pid at the same second. */
static long name_find(const struct ctx *c, const char *name, unsigned boot)
{
	for (size_t i = str_hash(name) & c->nmask; c->names[i] >= 0; i = (i + 1) & c->nmask)
		if (c->set->img[c->names[i]].boot_no == boot &&
		    !strcmp(c->set->img[c->names[i]].name, name))
			return c->names[i];
	return -1;
}

/* A file that still has the name its writer gave it (FILE). */
static bool own_name(const struct mstat_image *im)
{
	const char *b = strrchr(im->path, '/');

	return !strcmp(b ? b + 1 : im->path, im->name);
}

static int names_build(struct ctx *c, FILE *msgs)
{
	size_t cap = 16;

	while (cap < c->set->n * 2)
		cap *= 2;
	c->names = malloc(cap * sizeof(*c->names));
	if (!c->names)
		return -ENOMEM;
	memset(c->names, 0xff, cap * sizeof(*c->names));
	c->nmask = cap - 1;
	for (size_t k = 0; k < c->set->n; k++) {
		struct mstat_image *im = &c->set->img[k];
		long other;
		size_t i;

		if (!im->valid)
			continue;
		other = name_find(c, im->name, im->boot_no);
		if (other >= 0) {
			/* The same log twice (a directory and a merged file of
			 * it, a renamed copy): the one under its own name stays. */
			struct mstat_image *o = &c->set->img[other], *out = im;

			if (!own_name(o) && own_name(im)) {
				out = o;
				for (i = str_hash(im->name) & c->nmask; c->names[i] != other;
				     i = (i + 1) & c->nmask)
					;
				c->names[i] = (long)k;
			}
			if (msgs)
				fprintf(msgs, "malloc-stat: %s: same log as %s, left out\n", out->path,
					(out == im ? o : im)->path);
			out->valid = false;
			c->set->nvalid--;
			continue;
		}
		for (i = str_hash(im->name) & c->nmask; c->names[i] >= 0; i = (i + 1) & c->nmask)
			;
		c->names[i] = (long)k;
	}
	return 0;
}

/* Estimated CLOCK_MONOTONIC time of a START, per boot: calibrated on the
 * new processes, whose first log time comes soon after their start. */
static void calibrate(struct ctx *c)
{
	for (size_t i = 0; i < c->nord; i++) {
		const struct mstat_image *m = &c->set->img[c->ord[i]];
		struct boot_clock *b = &c->clk[m->boot_no];
		int64_t d;

		if (m->origin != MSTAT_ORIGIN_IMAGE || (i && same_proc(&c->set->img[c->ord[i - 1]], m)))
			continue;
		d = (int64_t)m->mono_ns - (int64_t)(m->start * NS_PER_TICK);
		if (!b->have || d < b->off)
			b->off = d;
		b->have = true;
	}
}

/* An unmatched FORK entry of pid whose time agrees with START, made on the
 * same boot, by an image of process ppid when ppid is given (> 1). Marks
 * it matched. */
static long fork_of(struct ctx *c, unsigned boot, int64_t pid, uint64_t start, int64_t ppid)
{
	int64_t est = (int64_t)(start * NS_PER_TICK) + c->clk[boot].off;
	long best = -1;
	struct mstat_fork *bf = NULL;

	long *head;

	if (!c->clk[boot].have || !c->forks_built)
		return -1;
	head = itab_find(&c->fork_heads, (uint64_t)pid);
	for (long r = head ? *head - 1 : -1; r >= 0; r = c->forks[r].next) {
		struct mstat_image *im = &c->set->img[c->forks[r].k];
		struct mstat_fork *fk = &im->forks[c->forks[r].f];
		int64_t d = (int64_t)fk->t - est;

		if (im->boot_no != boot || (ppid > 1 && im->pid != ppid) || fk->matched ||
		    d > FORK_SLACK_NS || d < -FORK_SLACK_NS)
			continue;
		if (bf) /* two candidates: no link rather than a guess */
			return -1;
		best = c->forks[r].k;
		bf = fk;
	}
	if (bf)
		bf->matched = true;
	return best;
}

/* Every FORK entry of the placeable images, chained by the child's pid. */
static int forks_build(struct ctx *c)
{
	size_t n = 0, i = 0;

	for (size_t k = 0; k < c->set->n; k++)
		if (placeable(&c->set->img[k]))
			n += c->set->img[k].nforks;
	c->forks = malloc((n + 1) * sizeof(*c->forks));
	if (!c->forks)
		return -ENOMEM;
	/* Pushed in reverse, so that each chain runs in image order. */
	for (size_t k = c->set->n; k-- > 0;) {
		const struct mstat_image *im = &c->set->img[k];

		if (!placeable(im))
			continue;
		for (size_t f = im->nforks; f-- > 0;) {
			long *head = itab_find(&c->fork_heads, (uint64_t)im->forks[f].pid);

			c->forks[i] = (struct fref){ (long)k, head ? *head - 1 : -1, f };
			if (head)
				*head = (long)i + 1;
			else if (itab_put(&c->fork_heads, (uint64_t)im->forks[f].pid, (long)i) < 0)
				return -ENOMEM;
			i++;
		}
	}
	c->forks_built = true;
	return 0;
}

/* Marks the parent's FORK entry of the child: the latest one before the
 * child began (a pid can be forked twice by one long-lived parent). */
static void mark_fork(struct mstat_image *parent, const struct mstat_image *child)
{
	struct mstat_fork *best = NULL, *any = NULL;

	for (size_t f = 0; f < parent->nforks; f++) {
		struct mstat_fork *fk = &parent->forks[f];

		if (fk->matched || fk->pid != child->pid)
			continue;
		any = fk;
		if (fk->t <= child->mono_ns + FORK_SLACK_NS && (!best || fk->t > best->t))
			best = fk;
	}
	if (best || any)
		(best ? best : any)->matched = true;
}

/* The virtual node of the untraced parent (PPID, PSTART) of image k, on
 * k's boot, made on first use. */
static long virtual_node(struct ctx *c, long k)
{
	struct mstat_set *set = c->set;
	const struct mstat_image *child = &set->img[k];
	const struct mstat_image want = { .boot_no = child->boot_no, .pid = child->ppid,
					  .start = child->pstart, .has_start = child->has_pstart };
	/* START counts ticks since boot: far below 2^40 */
	uint64_t key = mix64((uint64_t)want.pid ^ (uint64_t)want.boot_no << 32) ^
		       (want.start << 1 | want.has_start);
	const char *host;
	long v, p, *hit = itab_find(&c->virts, key);

	if (hit && same_proc(&set->img[*hit - 1], &want) &&
	    set->img[*hit - 1].has_start == want.has_start)
		return *hit - 1;
	for (size_t j = 0; hit && j < set->n; j++) {	/* two keys alike: look */
		struct mstat_image *im = &set->img[j];

		if (im->virt && same_proc(im, &want) && im->has_start == want.has_start)
			return (long)j;
	}
	v = mstat_set_add(set);
	if (v < 0 || (!hit && itab_put(&c->virts, key, v) < 0))
		return v < 0 ? v : -ENOMEM;
	host = set->img[k].host;	/* the array may have moved */
	set->img[v].virt = true;
	set->img[v].boot_no = want.boot_no;
	set->img[v].host = host ? strdup(host) : NULL;
	set->img[v].pid = want.pid;
	set->img[v].has_pid = true;
	set->img[v].start = want.start;
	set->img[v].has_start = want.has_start;
	if (want.has_start) {
		p = fork_of(c, want.boot_no, want.pid, want.start, 0);
		if (p >= 0) {
			set->img[v].parent = p;
			set->img[v].rel = MSTAT_REL_FORK;
		}
	}
	return v;
}

/* The virtual node of the untraced program image k exec'd. */
static long exec_node(struct ctx *c, long k)
{
	struct mstat_set *set = c->set;
	long v, *hit = itab_find(&c->execs, (uint64_t)k);

	if (hit)
		return *hit - 1;
	v = mstat_set_add(set);
	if (v < 0 || itab_put(&c->execs, (uint64_t)k, v) < 0)
		return v < 0 ? v : -ENOMEM;
	set->img[v].virt = true;
	set->img[v].boot_no = set->img[k].boot_no;
	set->img[v].host = set->img[k].host ? strdup(set->img[k].host) : NULL;
	set->img[v].pid = set->img[k].pid;
	set->img[v].has_pid = true;
	set->img[v].start = set->img[k].start;
	set->img[v].has_start = true;
	set->img[v].parent = k;
	set->img[v].rel = MSTAT_REL_EXEC;
	set->img[v].exec_path = set->img[k].exec_path ? strdup(set->img[k].exec_path) : NULL;
	return v;
}

/* Hangs the first image of a process from its parent. */
static int link_first(struct ctx *c, long k)
{
	struct mstat_set *set = c->set;
	struct mstat_image *im = &set->img[k];
	bool forked = im->origin == MSTAT_ORIGIN_FORK || im->origin == MSTAT_ORIGIN_CLONE;
	enum mstat_rel rel = im->origin == MSTAT_ORIGIN_CLONE ? MSTAT_REL_CLONE :
			     forked ? MSTAT_REL_FORK : MSTAT_REL_SPAWN;
	long p = -1;

	if (forked) {
		p = name_find(c, im->origin_file, im->boot_no);
		/* A file of another pid is not the parent, whatever its name. */
		if (p >= 0 && (!placeable(&set->img[p]) || set->img[p].pid != im->ppid))
			p = -1;
	}
	if (p < 0 && im->has_pstart) {
		size_t pos = find_proc(c, im->boot_no, im->ppid, im->pstart);

		if (pos < c->nord)
			p = live_at(c, pos, im->mono_ns);
		/* Started after its parent exec'd a program we cannot see. */
		if (p >= 0 && set->img[p].exec_untraced &&
		    im->mono_ns > set->img[p].t_last + MSTAT_TICK_NS) {
			p = exec_node(c, p);
			if (p < 0)
				return (int)p;
			im = &set->img[k];
		}
	}
	if (p >= 0) {
		mark_fork(&set->img[p], im);
	} else {
		/* Parent unknown or gone (PPID 1 after reparenting): a FORK
		 * entry whose time matches is the only trustworthy link. */
		p = fork_of(c, im->boot_no, im->pid, im->start, im->has_pstart ? im->ppid : 0);
		if (p < 0 && im->ppid > 1) {
			p = virtual_node(c, k);
			if (p < 0)
				return (int)p;
			im = &set->img[k];	/* the array may have moved */
		}
	}
	if (p >= 0) {
		im->parent = p;
		im->rel = rel;
	}
	return 0;
}

static int cmp_child(const void *a, const void *b)
{
	const struct mstat_image *x = &cmp_ctx->set->img[*(const long *)a];
	const struct mstat_image *y = &cmp_ctx->set->img[*(const long *)b];

	if (x->t_first != y->t_first)
		return x->t_first < y->t_first ? -1 : 1;
	return *(const long *)a < *(const long *)b ? -1 : 1;
}

/* A virtual root holding only the first process of the trace dissolves:
 * that is whatever started the trace (a shell, malloc-stat run), not a
 * gap in it. With more children it is an untraced program of the trace
 * (a static make), which stays as the gap it is. */
static void dissolve_root(struct mstat_set *set, long top)
{
	long v = top >= 0 ? set->img[top].parent : -1;
	size_t n = 0;

	if (v < 0 || !set->img[v].virt || set->img[v].parent >= 0)
		return;
	for (size_t j = 0; j < set->n; j++)
		n += set->img[j].parent == v;
	if (n == 1 && set->img[v].pid != set->launched) {
		set->img[top].parent = -1;
		set->img[top].rel = MSTAT_REL_ROOT;
	}
}

/* Child lists in start order, after the first process of each boot (each
 * machine's trace) lost the launcher above it. */
static int link_children(struct ctx *c)
{
	struct mstat_set *set = c->set;
	long *kids = malloc((set->n + 1) * sizeof(*kids));
	long *top = malloc((set->nboots + 1) * sizeof(*top));	/* per boot_no */
	size_t nk = 0;

	if (!kids || !top) {
		free(kids);
		free(top);
		return -ENOMEM;
	}
	for (unsigned b = 0; b <= set->nboots; b++)
		top[b] = -1;
	for (size_t i = 0; i < c->nord; i++) {
		long k = c->ord[i], *t = &top[set->img[k].boot_no];

		if (set->img[k].proc == k && (*t < 0 || set->img[k].mono_ns < set->img[*t].mono_ns))
			*t = k;
	}
	for (unsigned b = 0; b <= set->nboots; b++)
		dissolve_root(set, top[b]);
	free(top);
	/* Virtual nodes live while their children do. */
	for (size_t k = 0; k < set->n; k++) {
		struct mstat_image *im = &set->img[k], *v;

		if (!im->valid || im->parent < 0 || !set->img[im->parent].virt)
			continue;
		v = &set->img[im->parent];
		if (!v->t_first || im->t_first < v->t_first)
			v->t_first = im->t_first;
		if (im->t_last > v->t_last)
			v->t_last = im->t_last;
	}
	for (size_t k = 0; k < set->n; k++)
		if ((set->img[k].valid || set->img[k].virt) && set->img[k].parent >= 0)
			kids[nk++] = (long)k;
	qsort(kids, nk, sizeof(*kids), cmp_child);
	for (size_t i = nk; i-- > 0;) {
		struct mstat_image *im = &set->img[kids[i]];
		struct mstat_image *p = &set->img[im->parent];

		im->next_sibling = p->first_child;
		p->first_child = kids[i];
	}
	free(kids);
	return 0;
}

struct span {
	uint64_t lo, hi;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* A long stretch with no traced process alive: logs of separate runs in
 * one place (a prefix used twice), or a gap the trace cannot see into.
 * Said, with where it lies; the report still covers everything. */
static int idle_gap(const struct mstat_set *set, FILE *msgs)
{
	struct span *sp = malloc((set->n + 1) * sizeof(*sp));
	uint64_t hi, t0, gap = 0, from = 0;
	size_t ns = 0;

	if (!sp)
		return -ENOMEM;
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (im->valid && !im->virt && im->has_time)
			sp[ns++] = (struct span){ im->t_first, im->t_last };
	}
	qsort(sp, ns, sizeof(*sp), cmp_span);
	t0 = hi = ns ? sp[0].lo : 0;
	for (size_t i = 0; i < ns; i++) {
		if (sp[i].lo > hi && sp[i].lo - hi > gap) {
			gap = sp[i].lo - hi;
			from = hi;
		}
		if (sp[i].hi > hi)
			hi = sp[i].hi;
	}
	if (gap >= IDLE_GAP_NS && msgs)
		fprintf(msgs, "malloc-stat: no traced process was alive or logging for %.1f s (from %.3f s to %.3f s of the trace): logs of separate runs?\n",
			(double)gap / 1e9, (double)(from - t0) / 1e9, (double)(from + gap - t0) / 1e9);
	free(sp);
	return 0;
}

int mstat_tree_build(struct mstat_set *set, FILE *msgs)
{
	struct ctx c = { .set = set };
	size_t ninput = set->n;
	int r;

	r = boots_number(set);
	if (r == 0)
		r = names_build(&c, msgs);
	if (r < 0)
		return r;
	c.ord = malloc((set->n + 1) * sizeof(*c.ord));
	c.clk = calloc(set->nboots + 1, sizeof(*c.clk));
	if (!c.ord || !c.clk) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < ninput; k++)
		if (placeable(&set->img[k]))
			c.ord[c.nord++] = (long)k;
	cmp_ctx = &c;
	qsort(c.ord, c.nord, sizeof(*c.ord), cmp_ord);
	calibrate(&c);

	/* Exec chains. */
	for (size_t i = 0; i < c.nord; i++) {
		struct mstat_image *im = &set->img[c.ord[i]];
		struct mstat_image *prev = i ? &set->img[c.ord[i - 1]] : NULL;

		if (prev && same_proc(prev, im)) {
			im->proc = prev->proc;
			im->parent = c.ord[i - 1];
			im->rel = MSTAT_REL_EXEC;
		} else {
			im->proc = c.ord[i];
		}
	}
	/* A pid that two processes of one boot had: all their images say so. */
	for (size_t i = 0, j; i < c.nord; i = j) {
		bool reused = false;

		for (j = i + 1; j < c.nord && set->img[c.ord[j]].pid == set->img[c.ord[i]].pid &&
		     set->img[c.ord[j]].boot_no == set->img[c.ord[i]].boot_no; j++)
			reused |= set->img[c.ord[j]].proc != set->img[c.ord[i]].proc;
		for (size_t k = i; reused && k < j; k++)
			set->img[c.ord[k]].pid_reused = true;
	}
	for (size_t i = 0; i < c.nord; i++) {
		struct mstat_image *im = &set->img[c.ord[i]];
		struct mstat_image *next = i + 1 < c.nord ? &set->img[c.ord[i + 1]] : NULL;

		if (im->end == MSTAT_END_EXEC && (!next || next->proc != im->proc))
			im->exec_untraced = true;
	}
	/* Parents of the first images of the processes. */
	r = forks_build(&c);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < c.nord; i++) {
		long k = c.ord[i];

		if (set->img[k].proc != k)
			continue;
		r = link_first(&c, k);
		if (r < 0)
			goto out;
	}
	for (size_t k = 0; k < ninput; k++) {
		struct mstat_image *im = &set->img[k];

		if (!im->valid)
			continue;
		if (!placeable(im))
			im->proc = (long)k;
		/* A child in PREFIX.nolog is counted there. */
		for (size_t f = 0; f < im->nforks; f++)
			im->untraced_forks += !im->forks[f].matched &&
				!mstat_nolog_has(&set->nolog, im->forks[f].pid, 0, im->pid,
						 im->has_start ? im->start : 0);
	}
	cmp_ctx = &c;
	r = link_children(&c);
	if (r == 0)
		r = idle_gap(set, msgs);
out:
	free(c.ord);
	free(c.clk);
	free(c.names);
	free(c.forks);
	itab_free(&c.fork_heads);
	itab_free(&c.virts);
	itab_free(&c.execs);
	return r;
}
