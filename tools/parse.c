/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The entry scanner. Every line of the region it scans ends in '\n' (the
 * partial last line is cut off first), so field decoders stop at the
 * newline without bounds checks. Allocations and frees go through the
 * live-block table; counters follow the preload's rules (usable bytes, a
 * realloc is a free then an allocation).
 */
#include "parse.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "grow.h"
#include "header.h"
#include "ranges.h"
#include "summary.h"
#include "stacks.h"


struct state {
	struct mstat_image *im;
	struct mstat_blocks *tab;
	uint64_t line;
	int err;		/* -ENOMEM, sticky */
	bool fork_child;	/* unknown frees are of inherited blocks */
	bool gap;		/* LOG 0 or LOST seen: unknown frees are expected */
	bool have_t;
	uint64_t t;		/* current tick */
	int64_t cur[MSTAT_NSERIES];	/* each curve now (HEAP: own live bytes) */
	int64_t tmax[MSTAT_NSERIES];	/* each curve's highest in the tick */
	int64_t own_peak;	/* the HEAP curve's highest: the stacks' peak */
	struct mstat_ranges anon;	/* anonymous mappings */
	struct mstat_istacks *is;	/* call stacks, when wanted and logged */
	struct mstat_summary sum;	/* a summary log's body */
	bool has_sum;
	uint64_t nostack_live, nostack_live_bytes;	/* its live blocks without a stack */
	bool pending;		/* an allocation waits for its stack line */
	bool maps_open;		/* inside a MAPS entry */
	bool holes;		/* NUL bytes inside the log, not only at its end */
	bool mapped;		/* buf is a file mapping: read pages can go */
	const char *kept;	/* mapped: pages from here on are still mapped in */
	uint64_t pend_addr, pend_usable;
	uint64_t time_line, inherited_line;	/* header lines, for messages */
};

void mstat_drop_pages(const char *from, const char *to)
{
	uintptr_t a = ((uintptr_t)from + 4095) & ~(uintptr_t)4095;
	uintptr_t b = (uintptr_t)to & ~(uintptr_t)4095;

	if (b > a)
		(void)madvise((void *)a, b - a, MADV_DONTNEED);
}

/* A line with a NUL byte in a damaged log: said, and skipped. */
static bool hole(struct state *s, const char *p, const char *eol)
{
	if (!s->holes || !memchr(p, '\0', (size_t)(eol - p)))
		return false;
	mstat_diag_add(&s->im->diag, s->line, "NUL bytes inside the log (a damaged copy?): line skipped");
	return true;
}

/* Where the log ends. A writer fills its file with zeros ahead of the
 * entries and publishes an entry by its first byte, so a killed process
 * leaves zeros, at most one unpublished entry after the first of them, and
 * zeros again to the end of the file. Anything else after zeros is damage:
 * the log is then read past them, line by line. */
static size_t log_end(const char *buf, size_t len, bool *holes, bool mapped)
{
	const char *nul = NULL, *q, *end = buf + len;

	/* A mapped log is searched a piece at a time, each piece's pages
	 * given back before the next: the parse maps them in again. */
	for (q = buf; !nul && q < end; q += RELEASE_EVERY) {
		size_t n = (size_t)(end - q) < RELEASE_EVERY ? (size_t)(end - q) : RELEASE_EVERY;

		nul = memchr(q, '\0', n);
		if (mapped)
			mstat_drop_pages(q, q + n);
	}
	*holes = false;
	if (!nul)
		return len;
	/* the entry being written: up to its end line at most */
	for (q = nul + 1; q < end && *q; q++)
		if (q + 2 < end && !memcmp(q, "\n-\n", 3)) {
			q += 3;
			break;
		}
	for (; q < end && !*q; q++)
		;
	if (q == end)
		return (size_t)(nul - buf);
	*holes = true;
	return len;
}

static const unsigned char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

/* A decimal field ending at a space or newline; NULL when malformed. */
static inline const char *dec(const char *p, uint64_t *v)
{
	const char *s = p;
	uint64_t x = 0;

	while ((unsigned)(*p - '0') < 10u)
		x = x * 10 + (uint64_t)(*p++ - '0');
	if (p == s || p - s > 19 || (*p != ' ' && *p != '\n'))
		return NULL;
	*v = x;
	return p;
}

static inline const char *hex(const char *p, uint64_t *v)
{
	const char *s;
	uint64_t x = 0;
	unsigned d;

	if (p[0] != '0' || p[1] != 'x')
		return NULL;
	for (s = p += 2; (d = hexval[(unsigned char)*p]); p++)
		x = (x << 4) | (d - 1);
	if (p == s || p - s > 16 || (*p != ' ' && *p != '\n'))
		return NULL;
	*v = x;
	return p;
}

/* Fields "SEP FIELD": sep must be a space. */
#define FIELD(fn, var)                         \
	do {                                   \
		if (*p != ' ')                 \
			goto bad;              \
		p = fn(p + 1, &(var));         \
		if (!p)                        \
			goto bad;              \
	} while (0)

/* ---- accounting ---- */

/* Wrapping arithmetic: corrupt sizes must give wrong numbers that the
 * size check below reports, never undefined behaviour. */
static inline int64_t add(int64_t a, uint64_t b)
{
	return (int64_t)((uint64_t)a + b);
}

static inline int64_t sub(int64_t a, uint64_t b)
{
	return (int64_t)((uint64_t)a - b);
}

#define SIZE_MAX_PLAUSIBLE (1ull << 48)	/* the x86-64 address space */
#define ADDR_END_PLAUSIBLE (1ull << 57)	/* user space, 5-level page tables */
#define MONO_PLAUSIBLE (1ull << 60)	/* CLOCK_MONOTONIC: 36 years of uptime */
#define SPAN_PLAUSIBLE (100ull * 86400 * 1000000000)	/* 100 days in one image */
#define BEFORE_PLAUSIBLE 1000000000ull	/* a tick 1 s before the header's time */

static void sample_push(struct state *s)
{
	struct mstat_image *im = s->im;
	struct mstat_sample *last = im->nsamples ? &im->samples[im->nsamples - 1] : NULL;
	bool same = true;

	/* A tick that changed nothing continues the step before it. */
	for (unsigned k = 0; k < MSTAT_NSERIES; k++)
		same = same && s->tmax[k] == s->cur[k] && (last ? last->end[k] : 0) == s->cur[k];
	if (same)
		return;
	if (im->nsamples == im->samples_cap) {
		size_t cap = im->samples_cap ? im->samples_cap * 2 : 64;
		struct mstat_sample *n = realloc(im->samples, cap * sizeof(*n));

		if (!n) {
			s->err = -ENOMEM;
			return;
		}
		im->samples = n;
		im->samples_cap = cap;
	}
	last = &im->samples[im->nsamples++];
	last->t = s->t;
	memcpy(last->max, s->tmax, sizeof(last->max));
	memcpy(last->end, s->cur, sizeof(last->end));
}

static inline void tick(struct state *s, uint64_t t)
{
	struct mstat_image *im = s->im;

	if (t > MONO_PLAUSIBLE || (im->has_time && (t > im->mono_ns + SPAN_PLAUSIBLE ||
						    t + BEFORE_PLAUSIBLE < im->mono_ns))) {
		mstat_diag_add(&im->diag, s->line, "implausible TIME (%s the header's by more than %s) skipped",
			       t < im->mono_ns ? "before" : "after",
			       t < im->mono_ns ? "1 s" : "100 days");
		return;
	}
	if (s->have_t && t < s->t) {
		mstat_diag_add(&im->diag, s->line, "TIME goes backwards: skipped");
		return;
	}
	if (!s->have_t) {
		/* Entries before the first tick belong to it. */
		s->have_t = true;
		s->t = t;
		s->im->t_first = t;
		return;
	}
	if (t <= s->t)
		return;
	sample_push(s);
	s->t = t;
	memcpy(s->tmax, s->cur, sizeof(s->tmax));
}

/* The heap or the mappings grew: the highs of the tick and of the image. */
static inline void grew(struct state *s)
{
	struct mstat_image *im = s->im;
	int64_t total = im->in_use + s->cur[MSTAT_ANON];

	if (s->cur[MSTAT_HEAP] > s->tmax[MSTAT_HEAP])
		s->tmax[MSTAT_HEAP] = s->cur[MSTAT_HEAP];
	if (s->cur[MSTAT_TOTAL] > s->tmax[MSTAT_TOTAL])
		s->tmax[MSTAT_TOTAL] = s->cur[MSTAT_TOTAL];
	if (total > im->total_peak)
		im->total_peak = total;
}

static void anon_changed(struct state *s, int r)
{
	struct mstat_image *im = s->im;
	int64_t a = (int64_t)s->anon.bytes[MSTAT_RANGE_ANON];

	if (r < 0) {
		s->err = r;
		return;
	}
	s->cur[MSTAT_TOTAL] += a - s->cur[MSTAT_ANON];
	s->cur[MSTAT_ANON] = a;
	if (a > s->tmax[MSTAT_ANON])
		s->tmax[MSTAT_ANON] = a;
	if ((uint64_t)a > im->anon_peak)
		im->anon_peak = (uint64_t)a;
	if (s->anon.bytes[MSTAT_RANGE_RESERVED] > im->reserved_peak)
		im->reserved_peak = s->anon.bytes[MSTAT_RANGE_RESERVED];
	grew(s);
}

static inline void alloc(struct state *s, uint64_t addr, uint64_t usable, uint64_t req)
{
	struct mstat_image *im = s->im;
	struct mstat_block old;
	int r;

	if (usable > SIZE_MAX_PLAUSIBLE || req > SIZE_MAX_PLAUSIBLE) {
		mstat_diag_add(&im->diag, s->line, "implausible block size skipped");
		return;
	}
	im->allocs++;
	im->alloc_bytes += usable;
	im->in_use = add(im->in_use, usable);
	if (im->in_use > im->peak)
		im->peak = im->in_use;
	if (!addr) {
		mstat_diag_add(&im->diag, s->line, "allocation at address 0");
		return;
	}
	s->tab->line = s->line < UINT32_MAX ? (uint32_t)s->line : UINT32_MAX;
	r = mstat_blocks_put(s->tab, addr, usable, req, &old);
	if (r < 0) {
		s->err = r;
		return;
	}
	if (r) {
		/* Its free was never logged: forget the old block. */
		if (!s->gap)	/* after LOG 0 or LOST, frees may be missing */
			mstat_diag_add(&im->diag, s->line, "allocation of a block already live");
		if (s->is && old.stack)
			mstat_istacks_free(s->is, old.stack - 1, old.usable);
		im->live_blocks--;
		im->live_bytes -= old.usable;
		im->live_req -= old.req;
		s->cur[MSTAT_HEAP] = sub(s->cur[MSTAT_HEAP], old.usable);
		s->cur[MSTAT_TOTAL] = sub(s->cur[MSTAT_TOTAL], old.usable);
	}
	im->live_blocks++;
	im->live_bytes += usable;
	im->live_req += req;
	s->cur[MSTAT_HEAP] = add(s->cur[MSTAT_HEAP], usable);
	s->cur[MSTAT_TOTAL] = add(s->cur[MSTAT_TOTAL], usable);
	grew(s);
	if (s->is) {
		/* The stacks' peak is the own heap's, as a summary's peak
		 * stamp has it: a fork child's inherited blocks left out. */
		if (s->cur[MSTAT_HEAP] > s->own_peak) {
			s->own_peak = s->cur[MSTAT_HEAP];
			s->is->peak_ev = s->is->ev;
		}
		s->pending = true;
		s->pend_addr = addr;
		s->pend_usable = usable;
	}
}

/* The allocation's stack: idx, or none (SIZE_MAX) when the entry had no
 * stack line. Sampled logs leave most allocations without one: those are
 * stood for by the sampled ones. */
static void attach(struct state *s, size_t idx)
{
	struct mstat_block *b;

	s->pending = false;
	if (idx == SIZE_MAX) {
		if (s->is->sample)
			return;
		idx = 0;
	}
	b = mstat_blocks_find(s->tab, s->pend_addr);
	if (!b)
		return;
	b->stack = (uint32_t)idx + 1;
	mstat_istacks_alloc(s->is, (uint32_t)idx, s->pend_usable);
}

static void stack_line(struct state *s, const char *p, const char *eol)
{
	long idx = mstat_istacks_line(s->is, p, eol);

	if (s->is->err) {
		s->err = s->is->err;
		return;
	}
	if (idx == -2) {
		mstat_diag_add(&s->im->diag, s->line, "bad stack line");
		idx = 0;
	} else if (idx == -1) {
		mstat_diag_add(&s->im->diag, s->line, "stack id used before its frames");
		idx = 0;
	}
	if (s->pending)
		attach(s, (size_t)idx);
}

static inline void release(struct state *s, uint64_t addr, uint64_t usable)
{
	struct mstat_image *im = s->im;
	struct mstat_block b;

	if (usable > SIZE_MAX_PLAUSIBLE) {
		mstat_diag_add(&im->diag, s->line, "implausible block size skipped");
		return;
	}
	if (mstat_blocks_take(s->tab, addr, &b)) {
		if (b.usable != usable) {
			/* The block's size is what it held: the figures stay
			 * those of the blocks. */
			mstat_diag_add(&im->diag, s->line,
				       "free of %llu bytes of a block of %llu: counted as its block's size",
				       (unsigned long long)usable, (unsigned long long)b.usable);
			usable = b.usable;
		}
		im->frees++;
		im->free_bytes += usable;
		im->in_use = sub(im->in_use, usable);
		if (s->is && b.stack)
			mstat_istacks_free(s->is, b.stack - 1, b.usable);
		im->live_blocks--;
		im->live_bytes -= b.usable;
		im->live_req -= b.req;
		s->cur[MSTAT_HEAP] = sub(s->cur[MSTAT_HEAP], b.usable);
		s->cur[MSTAT_TOTAL] = sub(s->cur[MSTAT_TOTAL], b.usable);
		return;
	}
	im->frees++;
	im->free_bytes += usable;
	if (s->fork_child) {
		/* In use falls by what is left of INHERITED at most: never
		 * below the blocks the child holds itself. */
		uint64_t left = im->inherited > im->inh_free_bytes ? im->inherited - im->inh_free_bytes : 0;

		im->in_use = sub(im->in_use, usable < left ? usable : left);
		im->inh_frees++;
		im->inh_free_bytes += usable;
		if (im->inh_free_bytes > im->inherited && !s->gap)
			mstat_diag_add(&im->diag, s->line,
				       "frees more inherited bytes than INHERITED");
		return;
	}
	/* A block this log never had: nothing of it was in use here. */
	im->unknown_frees++;
	im->unknown_free_bytes += usable;
	if (!s->gap)
		mstat_diag_add(&im->diag, s->line, "free of a block never allocated");
}

/* " WHY PATH" after SPAWN's two numbers. */
static int add_spawn(struct state *s, uint64_t pid, uint64_t err, const char *p,
		     const char *eol)
{
	struct mstat_image *im = s->im;
	struct mstat_spawn *n;
	size_t len;

	if (*p != ' ')
		return 1;
	p++;
	bool env = eol - p >= 3 && !memcmp(p, "env", 3) && (p + 3 == eol || p[3] == ' ');

	if (!env && !(eol - p >= 6 && !memcmp(p, "traced", 6) && (p + 6 == eol || p[6] == ' ')))
		return 1;
	p += env ? 3 : 6;
	n = mstat_grow(im->spawns, &im->spawns_cap, im->nspawns, sizeof(*n), 4);
	if (!n)
		return -ENOMEM;
	im->spawns = n;
	n = &im->spawns[im->nspawns];
	n->pid = pid <= INT32_MAX ? (int64_t)pid : 0;
	n->err = err < 4096 ? (int)err : EIO;
	n->env = env;
	n->path = mstat_unescape(p < eol ? p + 1 : p, (size_t)(eol - (p < eol ? p + 1 : p)), false,
				 &len, NULL);
	if (!n->path)
		return -ENOMEM;
	im->nspawns++;
	return 0;
}

static int add_fork(struct state *s, uint64_t pid, uint64_t off)
{
	struct mstat_image *im = s->im;

	struct mstat_fork *n = mstat_grow(im->forks, &im->forks_cap, im->nforks, sizeof(*n), 8);

	if (!n)
		return -ENOMEM;
	im->forks = n;
	im->forks[im->nforks++] = (struct mstat_fork){
		(int64_t)pid, off, s->have_t ? s->t : im->mono_ns, false };
	return 0;
}

static void fini(struct state *s, const char *p, const char *eol)
{
	static const char *const keys[10] = { "allocations=", "allocated=", "deallocations=",
					      "deallocated=", "in_use=", "peak_in_use=",
					      "maxrss=", "threads=", "time=", "peak_slack=" };
	struct mstat_image *im = s->im;
	unsigned seen = 0, bad = 0;
	uint64_t threads = 1;

	im->has_fini = true;
	im->end = MSTAT_END_EXIT;
	while (p < eol) {
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		const char *e = sp ? sp : eol;

		for (unsigned k = 0; k < 10; k++) {
			size_t kl = strlen(keys[k]);
			uint64_t v = 0;
			bool neg = false;
			const char *q;

			if ((size_t)(e - p) <= kl || memcmp(p, keys[k], kl))
				continue;
			q = p + kl;
			if (*q == '-') {
				neg = true;
				q++;
			}
			/* Only in_use and the peak may be below zero (after a
			 * reset through the API); no size beyond the address
			 * space. */
			if (dec(q, &v) != e || (neg && k != 4 && k != 5) ||
			    ((k < 7 || k == 9) && v > SIZE_MAX_PLAUSIBLE && (k != 0 && k != 2)) ||
			    (k == 8 && v > MONO_PLAUSIBLE)) {
				bad |= 1u << k;
				continue;
			}
			if (k == 6)
				im->maxrss = v;
			else if (k == 7)
				threads = v;
			else if (k == 8)
				im->fini_ns = v;
			else if (k == 9)
				im->peak_slack = v;
			else
				im->fini[k] = neg ? 0 - v : v;
			seen |= 1u << k;
		}
		p = e + 1;
	}
	for (unsigned k = 0; k < 10; k++) {
		if (!(bad & (1u << k)))
			continue;
		mstat_diag_add(&im->diag, s->line, "FINI %.*s is impossible (negative or too large): ignored",
			       (int)strlen(keys[k]) - 1, keys[k]);
		break;
	}
	if ((seen & 0x1f) != 0x1f) {
		unsigned k = 0;

		while (seen & (1u << k))
			k++;
		mstat_diag_add(&im->diag, s->line, "FINI without its counters (no readable %.*s)",
			       (int)strlen(keys[k]) - 1, keys[k]);
		return;
	}
	im->fini_ok = true;
	/* The log and the counters agree unless events went unlogged. The
	 * peak may differ under threads (counters and log are ordered
	 * apart); with threads still running at exit, so may the rest. */
	const uint64_t logged[5] = { im->allocs, im->alloc_bytes, im->frees, im->free_bytes,
				     (uint64_t)im->in_use };
	char what[MSTAT_DIAG_MSG] = "";
	size_t n = 0;

	for (unsigned k = 0; k < 5; k++) {
		if (im->fini[k] == logged[k])
			continue;
		im->fini_mismatch = true;
		if (n < sizeof(what) - 1)
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%.*s %lld, logged %lld",
					      n ? "; " : "", (int)strlen(keys[k]) - 1, keys[k],
					      (long long)im->fini[k], (long long)logged[k]);
	}
	if (im->fini_mismatch && !s->gap && threads < 2)
		mstat_diag_add(&im->diag, s->line, "FINI counters differ from the entries: %s", what);
	if (s->gap)
		im->fini_mismatch = false;
}

/* ---- entries ---- */

#define IS(lit) (tl == sizeof(lit) - 1 && !memcmp(t, lit, sizeof(lit) - 1))

/* One "+ TYPE ..." line, p after "+ ". Returns the start of the next line. */
static const char *entry(struct state *s, const char *p, const char *end)
{
	struct mstat_image *im = s->im;
	const char *t = p, *eol;
	uint64_t a, b, c, d, e;
	size_t tl;

	/* The type: whole-word compares for the two hot ones (the line has
	 * room when 8 bytes are left before the end), a scan otherwise. */
	if (end - p >= 8 && !memcmp(p, "malloc ", 7))
		p += 6;
	else if (end - p >= 8 && !memcmp(p, "free ", 5))
		p += 4;
	else
		while (*p != ' ' && *p != '\n')
			p++;
	tl = (size_t)(p - t);

	if (s->is)
		s->is->ev++;
	/* The hot two first. */
	if (tl == 6 && !memcmp(t, "malloc", 6)) {
		FIELD(dec, a);
		FIELD(hex, b);
		FIELD(dec, c);
		alloc(s, b, c, a);
	} else if (tl == 4 && !memcmp(t, "free", 4)) {
		FIELD(dec, a);
		FIELD(hex, b);
		release(s, b, a);
	} else if (IS("TIME")) {
		FIELD(dec, a);
		FIELD(hex, b);
		tick(s, a);
	} else if (IS("calloc") || IS("memalign") || IS("posix_memalign") ||
		   IS("aligned_alloc") || IS("valloc") || IS("pvalloc") || IS("realloc-alloc")) {
		FIELD(dec, a);
		FIELD(hex, b);
		FIELD(dec, c);
		alloc(s, b, c, a);
	} else if (IS("realloc-free")) {
		FIELD(dec, a);
		FIELD(hex, b);
		release(s, b, a);
	} else if (IS("realloc-inplace")) {
		FIELD(dec, a);
		FIELD(hex, b);
		FIELD(dec, c);
		FIELD(dec, d);
		release(s, b, d);
		alloc(s, b, c, a);
	} else if (IS("realloc-realloc")) {
		FIELD(dec, a);
		FIELD(hex, b);
		FIELD(dec, c);
		FIELD(hex, d);
		FIELD(dec, e);
		release(s, d, e);
		alloc(s, b, c, a);
	} else if (IS("mmap")) {
		FIELD(dec, a);
		FIELD(hex, b);
		/* PROT and FLAGS; a preload of 1.0.0 wrote neither. */
		c = 3;
		if (*p == ' ') {
			FIELD(dec, c);
			FIELD(hex, d);
		}
		if (a > SIZE_MAX_PLAUSIBLE || b > ADDR_END_PLAUSIBLE - a) {
			mstat_diag_add(&im->diag, s->line, a > SIZE_MAX_PLAUSIBLE ?
				       "implausible mapping size skipped" :
				       "mapping beyond the address space skipped");
		} else {
			im->mmaps++;
			im->mmap_bytes += a;
			anon_changed(s, mstat_ranges_map(&s->anon, b, a, c ? MSTAT_RANGE_ANON :
							 MSTAT_RANGE_RESERVED));
		}
	} else if (IS("munmap")) {
		FIELD(dec, a);
		FIELD(hex, b);
		im->munmaps++;
		if (b > ADDR_END_PLAUSIBLE || a > ADDR_END_PLAUSIBLE - b)
			mstat_diag_add(&im->diag, s->line, "unmap beyond the address space: only its start counted");
		a = b > ADDR_END_PLAUSIBLE ? 0 : a > ADDR_END_PLAUSIBLE - b ? ADDR_END_PLAUSIBLE - b : a;
		anon_changed(s, mstat_ranges_unmap(&s->anon, b, a));
	} else if (IS("mremap")) {
		FIELD(dec, a);
		FIELD(hex, b);
		FIELD(hex, c);
		FIELD(dec, d);
		im->mremaps++;
		if (a > SIZE_MAX_PLAUSIBLE || d > SIZE_MAX_PLAUSIBLE)
			mstat_diag_add(&im->diag, s->line, "implausible mapping size skipped");
		else if (b > ADDR_END_PLAUSIBLE - a || c > ADDR_END_PLAUSIBLE - d)
			mstat_diag_add(&im->diag, s->line, "mapping beyond the address space skipped");
		else
			anon_changed(s, mstat_ranges_remap(&s->anon, b, a, c, d));
	} else if (IS("RSS")) {
		FIELD(dec, a);
		FIELD(hex, b);
		if (a > SIZE_MAX_PLAUSIBLE) {
			mstat_diag_add(&im->diag, s->line, "implausible RSS skipped");
			goto rest;
		}
		im->rss_samples++;
		if (a > im->rss_max)
			im->rss_max = a;
		s->cur[MSTAT_RSS] = (int64_t)a;
		if ((int64_t)a > s->tmax[MSTAT_RSS])
			s->tmax[MSTAT_RSS] = (int64_t)a;
	} else if (IS("SITE")) {
		/* A summary's stack: its frames on the '@' line that follows;
		 * the body's row of that id has its figures. */
		FIELD(dec, a);
		FIELD(hex, b);
	} else if (IS("MAPS")) {
		/* The maps lines follow inside the entry. */
		if (s->is) {
			mstat_istacks_maps_clear(s->is);
			s->maps_open = true;
		}
	} else if (IS("INIT") || IS("FORK") || IS("EXEC") || IS("EXEC-FAILED") || IS("LOG") ||
		   IS("LOST") || IS("FINI") || IS("CUT") || IS("SPAWN")) {
		FIELD(dec, a);
		FIELD(hex, b);
		eol = memchr(p, '\n', (size_t)(end - p));
		if (IS("INIT")) {
			im->has_init = true;
		} else if (IS("FORK")) {
			/* OFFSET may be missing (preloads of 1.0.0 leave it out). */
			c = 0;
			if (*p == ' ' && !dec(p + 1, &c))
				goto bad;
			s->err = add_fork(s, a, c);
		} else if (IS("EXEC")) {
			size_t len;

			free(im->exec_path);
			im->exec_path = *p == ' ' ? mstat_unescape(p + 1, (size_t)(eol - p - 1),
								   false, &len, NULL)
						  : strdup("");
			if (!im->exec_path)
				s->err = -ENOMEM;
			im->end = MSTAT_END_EXEC;
			im->exec_env = a == 1;
		} else if (IS("EXEC-FAILED")) {
			free(im->exec_path);
			im->exec_path = NULL;
			im->end = im->has_fini ? MSTAT_END_EXIT : MSTAT_END_DIED;
		} else if (IS("LOG")) {
			if (a == 0)
				im->log_off++;
			s->gap = true;
		} else if (IS("LOST")) {
			im->lost += a;
			s->gap = true;
		} else if (IS("SPAWN")) {
			int r = add_spawn(s, a, b, p, eol);

			if (r > 0)
				goto bad;
			s->err = r;
		} else if (IS("CUT")) {
			/* The writer could not go on (a full disk): whatever
			 * follows in the process is unknown, and is no death. */
			im->cut_errno = a > 0 && a < 4096 ? (int)a : EIO;
			if (!im->has_fini)
				im->end = MSTAT_END_CUT;
		} else {
			fini(s, *p == ' ' ? p + 1 : p, eol);
		}
		return eol + 1;
	} else {
		mstat_diag_add(&im->diag, s->line, "unknown entry type '%.*s' skipped",
			       (int)(tl < 32 ? tl : 32), t);
	}
	/* Newer versions may add fields: the rest of the line is theirs. */
rest:
	if (*p == '\n')
		return p + 1;
	return (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
bad:
	mstat_diag_add(&im->diag, s->line, "bad %.*s entry", (int)(tl < 32 ? tl : 32), t);
	return (const char *)memchr(t, '\n', (size_t)(end - t)) + 1;
}

/* "# KEY ..." among the entries: the keys that would change what the
 * log says are named. */
static void misplaced(struct state *s, const char *p, const char *eol)
{
	static const char *const keys[] = { "PID", "PPID", "START", "PSTART", "TIME", "ORIGIN",
					     "INHERITED", "STACKS" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i]);

		if ((size_t)(eol - p) > n && p[n] == ' ' && !memcmp(p, keys[i], n)) {
			mstat_diag_add(&s->im->diag, s->line, "header line %s among the entries ignored",
				       keys[i]);
			return;
		}
	}
}

static void overlap(void *arg, const struct mstat_block *x, const struct mstat_block *y)
{
	struct state *s = arg;

	(void)x;
	mstat_diag_add(&s->im->diag, y->line, "allocation overlaps a block still live");
}

static const char *skip_line(const char *p, const char *end)
{
	return (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
}

/* Scans the header; returns where the entries begin, NULL on ENOMEM. */
static const char *header(struct state *s, const char *p, const char *end)
{
	struct mstat_image *im = s->im;
	bool maps = false;

	while (p < end && *p != '+') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		s->line++;
		if (hole(s, p, eol)) {
			/* skipped */
		} else if (maps) {
			if (eol - p == 10 && !memcmp(p, "# END MAPS", 10))
				maps = false;
			else if (s->is)
				mstat_istacks_maps_line(s->is, p, eol);
		} else if (p[0] == '#' && p[1] == ' ') {
			int r = mstat_header_line(im, p + 2, eol, s->line);

			if (eol - p > 7 && !memcmp(p + 2, "TIME ", 5))
				s->time_line = s->line;
			else if (eol - p > 12 && !memcmp(p + 2, "INHERITED ", 10))
				s->inherited_line = s->line;

			if (r < 0)
				return NULL;
			maps = r == 1;
		} else if (p[0] == '-' && eol == p + 1) {
			/* closes INIT-less nothing; harmless */
		} else {
			mstat_diag_add(&im->diag, s->line, "unexpected line in the header");
		}
		p = eol + 1;
	}
	if (maps)
		mstat_diag_add(&im->diag, s->line, "MAPS block not closed");
	return p;
}


/*
 * A summary log: the body holds the heap state (counters, live blocks,
 * timeline) that an event log's entries would have built; the text part
 * before it has the header and control entries, read as usual.
 */
static void summary_load(struct state *s, const char *buf, size_t len)
{
	struct mstat_image *im = s->im;
	struct mstat_summary *m = &s->sum;
	char why[160];

	if (mstat_summary_read(buf, len, im->summary_off, m, why, sizeof(why)) < 0) {
		mstat_diag_add(&im->diag, 2, "%s: only the text part is read", why);
		return;
	}
	if (m->sites_why[0])
		mstat_diag_add(&im->diag, 2, "%s", m->sites_why);
	s->has_sum = true;
	im->summary_end = m->off + m->len;
	for (const char *q = buf, *e = buf + im->summary_end; (q = memchr(q, '\n', (size_t)(e - q))); q++)
		im->summary_nl++;
	struct mstat_summary_walk w = { 0 };
	uint64_t b[4], beyond = 0;

	while (mstat_summary_next(m, &w, b)) {
		struct mstat_block old;
		int r;

		if (b[1] > SIZE_MAX_PLAUSIBLE || b[2] > SIZE_MAX_PLAUSIBLE) {
			mstat_diag_add(&im->diag, 2, "implausible live block in the summary skipped");
			continue;
		}
		if (mstat_blocks_find(s->tab, b[0]))
			continue;	/* caught moving, or resized since packed */
		r = mstat_blocks_put(s->tab, b[0], b[1], b[2], &old);
		if (r < 0) {
			s->err = r;
			return;
		}
		im->live_blocks++;
		im->live_bytes += b[1];
		im->live_req += b[2];
		/* No row counts a stack id beyond the rows: such a block is
		 * "no stack"'s, as its allocation is. */
		if (b[3] >= m->nrows || !b[3]) {
			beyond += b[3] != 0;
			s->nostack_live++;
			s->nostack_live_bytes += b[1];
		}
	}
	if (beyond && !m->sites_why[0])
		mstat_diag_add(&im->diag, 2, "%llu live blocks name a call stack beyond the summary's %llu rows: "
			       "counted under no stack", (unsigned long long)beyond, (unsigned long long)m->nrows);
	im->allocs = m->ctr[0];
	im->alloc_bytes = m->ctr[1];
	im->frees = m->ctr[2];
	im->free_bytes = m->ctr[3];
	im->in_use = (int64_t)m->ctr[4];
	im->peak = (int64_t)m->ctr[5];
	if (im->peak < im->in_use)
		im->peak = im->in_use;
	if (s->fork_child) {
		im->inh_frees = m->unknown_frees;
		im->inh_free_bytes = m->unknown_bytes;
	} else {
		im->unknown_frees = m->unknown_frees;
		im->unknown_free_bytes = m->unknown_bytes;
	}
	if (m->lost) {
		im->lost += m->lost;
		s->gap = true;
	}
	/* A damaged body: the live blocks stand, the counters give way. */
	uint64_t known = im->inh_frees + im->unknown_frees;

	/* Frees of blocks it never had: no more than a process can free (not
	 * bounded by the counters, which a reset through the API restarts). */
	if (known > ((uint64_t)1 << 48) || im->allocs > ((uint64_t)1 << 48) ||
	    im->frees > ((uint64_t)1 << 48) || im->inh_free_bytes > SIZE_MAX_PLAUSIBLE * 1024 ||
	    im->unknown_free_bytes > SIZE_MAX_PLAUSIBLE * 1024 ||
	    im->live_blocks > im->allocs || im->live_bytes > im->alloc_bytes ||
	    im->frees > im->allocs + known || im->alloc_bytes > SIZE_MAX_PLAUSIBLE * 1024 ||
	    im->free_bytes > im->alloc_bytes + im->inh_free_bytes + im->unknown_free_bytes ||
	    im->in_use > (int64_t)(im->alloc_bytes + im->inherited) ||
	    im->peak > (int64_t)(im->alloc_bytes + im->inherited) ||
	    im->in_use < -(int64_t)im->free_bytes) {
		mstat_diag_add(&im->diag, 2, "impossible summary counters (more freed than allocated, "
			       "or fewer allocations than live blocks): taken from the live blocks");
		im->allocs = im->live_blocks;
		im->alloc_bytes = im->live_bytes;
		im->frees = im->free_bytes = 0;
		im->inh_frees = im->unknown_frees = 0;
		im->inh_free_bytes = im->unknown_free_bytes = 0;
		im->in_use = im->peak = (int64_t)im->live_bytes;
	}
	/* As the event reader counts: a free of a block the image never had
	 * (a double free glibc aborts on, a block from before a logging gap)
	 * takes nothing off, frees of inherited blocks at most INHERITED,
	 * and nothing is below zero. The preload's counters took them off.
	 * (After the check above: a damaged body's figures are bounded.)
	 * Not when the body lost events: then a free the table did not know
	 * is most likely of a block it could not hold, which the counters
	 * counted rightly. */
	uint64_t back = m->lost ? 0 : !s->fork_child ? im->unknown_free_bytes :
		im->inh_free_bytes > im->inherited ? im->inh_free_bytes - im->inherited : 0;
	int64_t iu;

	if (back <= im->free_bytes && !__builtin_add_overflow(im->in_use, (int64_t)back, &iu))
		im->in_use = iu;
	if (im->in_use < 0)
		im->in_use = 0;
	if (im->peak < im->in_use)
		im->peak = im->in_use;
	/* The heap held at least what is live: a process killed between a
	 * block's entry in the table and its count (a call that had not
	 * returned), or a peak that threads count in 64 KiB steps, may have
	 * a peak below it. */
	if (im->peak < (int64_t)im->live_bytes)
		im->peak = (int64_t)im->live_bytes;
	if (!im->peak_slack && m->threads_counted)
		im->peak_slack = (uint64_t)m->threads_counted << 16;
	s->cur[MSTAT_HEAP] = s->cur[MSTAT_TOTAL] = (int64_t)im->live_bytes;
	if (im->peak > im->total_peak)
		im->total_peak = im->peak;
}

/* The body's call-stack rows into the image's stacks, once the text part
 * has given their frames; without sampling, what no row holds goes to the
 * "no stack" entry, as the event reader puts allocations without a stack
 * line there (doc/summary-format.md, "No stack"). */
static void summary_sites(struct state *s)
{
	struct mstat_image *im = s->im;
	const struct mstat_summary *m = &s->sum;
	struct mstat_summary_row r;
	double calls = 0, bytes = 0, peak = 0, c, b, pb;
	char why[160];

	if (m->sites_why[0])
		return;		/* said: the rows are not read */
	for (uint64_t id = 1; id < m->nrows; id++) {
		int k = mstat_summary_row(m, id, &r, why, sizeof(why));

		if (k < 0)
			mstat_diag_add(&im->diag, 2, "%s: skipped", why);
		if (k)
			continue;
		calls += r.calls;
		bytes += r.bytes;
		peak += r.peak_bytes;
		mstat_istacks_site(s->is, id, r.calls, r.bytes, r.live_calls, r.live_bytes, r.peak_calls,
				   r.peak_bytes);
	}
	if (s->is->sample)
		return;		/* unsampled blocks stand for nothing */
	c = (double)im->allocs - calls;
	b = (double)im->alloc_bytes - bytes;
	pb = (double)m->peak_heap - peak;
	c = c > 0 ? c : 0;
	b = b > 0 ? b : 0;
	pb = pb > 0 ? pb : 0;
	/* The body has no count of these blocks at the peak: the live ones
	 * when they are what it held, else as many as their mean size says. */
	double live_b = (double)s->nostack_live_bytes, live_c = (double)s->nostack_live;
	double pc = pb == live_b ? live_c : b > 0 ? pb * c / b : 0;

	mstat_istacks_site(s->is, 0, c, b, live_c, live_b, pc, pb);
}

/* The heap curve from the body's bins, the mappings' from the text's
 * samples: one series of samples in time order. */
static int summary_timeline(struct state *s)
{
	struct mstat_image *im = s->im;
	const struct mstat_summary *m = &s->sum;
	struct mstat_sample *out, *old = im->samples;
	size_t n = im->nsamples, i = 0, j = 0, k = 0;
	int64_t heap_end = 0, anon_max = 0, anon_end = 0, rss_end = 0;
	uint64_t lim = im->alloc_bytes + im->inherited;	/* no heap beyond it */
	uint64_t prev_t = 0;

	out = calloc(n + m->nbins + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	while (i < n || j < m->nbins) {
		const unsigned char *b = j < m->nbins ? m->bins + (size_t)j * MSTAT_SUMMARY_BIN : NULL;
		uint64_t bt = b ? mstat_summary_u64(b) : UINT64_MAX;
		int64_t heap_max = heap_end;
		struct mstat_sample *o;

		if (b && (bt < prev_t || bt > MONO_PLAUSIBLE)) {
			mstat_diag_add(&im->diag, 2, "summary timeline out of order: bins after %zu skipped", j);
			j = m->nbins;
			continue;
		}
		uint64_t tt = i < n ? old[i].t : UINT64_MAX;

		o = &out[k];
		o->t = tt < bt ? tt : bt;
		if (tt == o->t) {
			anon_max = old[i].max[MSTAT_ANON];
			anon_end = old[i].end[MSTAT_ANON];
			if (old[i].end[MSTAT_RSS])
				rss_end = old[i].end[MSTAT_RSS];
			i++;
		} else {
			anon_max = anon_end;
		}
		if (bt == o->t) {
			int64_t start = (int64_t)mstat_summary_u64(b + 8);
			int64_t max = (int64_t)mstat_summary_u64(b + 16);
			int64_t rss = (int64_t)mstat_summary_u64(b + 24);

			if (start < 0 || max < 0 || (uint64_t)start > lim || (uint64_t)max > lim ||
			    rss < 0 || (uint64_t)rss > SIZE_MAX_PLAUSIBLE) {
				/* The curve goes on as it was. */
				mstat_diag_add(&im->diag, 2, "impossible summary timeline bin %zu skipped", j);
				j++;
			} else {
				heap_max = max > start ? max : start;
				/* The level at the bin's end is the next bin's start. */
				heap_end = j + 1 < m->nbins ?
					(int64_t)mstat_summary_u64(b + MSTAT_SUMMARY_BIN + 8) :
					(int64_t)im->live_bytes;
				if (heap_end < 0 || (uint64_t)heap_end > lim)
					heap_end = heap_max;
				if (heap_end > heap_max)
					heap_max = heap_end;
				if (rss > 0)
					rss_end = rss;
				j++;
			}
		}
		prev_t = o->t;
		o->max[MSTAT_HEAP] = heap_max;
		o->end[MSTAT_HEAP] = heap_end;
		o->max[MSTAT_ANON] = anon_max;
		o->end[MSTAT_ANON] = anon_end;
		o->max[MSTAT_TOTAL] = heap_max + anon_max;
		o->end[MSTAT_TOTAL] = heap_end + anon_end;
		o->max[MSTAT_RSS] = o->end[MSTAT_RSS] = rss_end;
		if (o->max[MSTAT_TOTAL] > im->total_peak)
			im->total_peak = o->max[MSTAT_TOTAL];
		if ((uint64_t)rss_end > im->rss_max)
			im->rss_max = (uint64_t)rss_end;
		if (k && out[k - 1].t == o->t)
			out[k - 1] = *o;	/* a bin and a text sample at one time */
		else
			k++;
	}
	free(old);
	im->samples = out;
	im->nsamples = k;
	im->samples_cap = n + m->nbins + 1;
	if (k) {
		if (!im->t_first || out[0].t < im->t_first)
			im->t_first = out[0].t;
		if (out[k - 1].t > s->t)
			s->t = out[k - 1].t;
	}
	return 0;
}

static int parse(struct mstat_image *im, const char *buf, size_t len, struct mstat_blocks *tab,
		 struct mstat_istacks *is, bool mapped)
{
	struct state s = { .im = im, .tab = tab, .is = is, .mapped = mapped, .kept = buf };
	const char *end, *p, *eol;
	int v;

	/* A summary log's text ends at its first NUL: the body follows. */
	size_t whole = len;

	if (len > 32 && !memcmp(buf + 20, "# SUMMARY ", 10)) {
		const char *nul = memchr(buf, '\0', len);

		len = nul ? (size_t)(nul - buf) : len;
	}
	len = log_end(buf, len, &s.holes, mapped);
	im->size = len;
	eol = memchr(buf, '\n', len);
	if (!len) {
		im->empty = true;	/* counted apart: not a problem of the log */
		return -EINVAL;
	}
	if (!eol) {
		mstat_diag_add(&im->diag, 1, mstat_header_version(buf, buf + len) >= 0 ?
			       "log cut short in its first line" : "not a malloc-stat log");
		return -EINVAL;
	}
	v = mstat_header_version(buf, eol);
	const char *eol2 = memchr(eol + 1, '\n', (size_t)(buf + len - eol - 1));

	if (v < 0 && len > 6 && !memcmp(buf, "# PID ", 6) &&
	    mstat_header_version(eol + 1, eol2 ? eol2 : buf + len) >= 0) {
		mstat_diag_add(&im->diag, 1, "a shared-stream log (fd 1022) where one image was expected");
		return -EINVAL;
	}
	if (v < 0) {
		mstat_diag_add(&im->diag, 1, "not a malloc-stat log");
		return -EINVAL;
	}
	if (v != MSTAT_LOG_MAJOR) {
		mstat_diag_add(&im->diag, 1, "log format version %d is not supported (this reader knows %d)",
			       v, MSTAT_LOG_MAJOR);
		return -EINVAL;
	}
	/* Whole lines only: a line cut short is a writer that was killed
	 * mid-copy, or a truncated copy of the file. */
	end = memrchr(buf, '\n', len);
	end = end + 1;
	s.line = 1;
	p = header(&s, eol + 1, end);
	if (!p)
		return -ENOMEM;
	if (!im->has_pid && p >= end) {
		mstat_diag_add(&im->diag, 1, "header without PID and no entries: nothing to read");
		return -EINVAL;
	}
	if (im->has_time && im->mono_ns > MONO_PLAUSIBLE) {
		mstat_diag_add(&im->diag, s.time_line, "implausible TIME header (36 years of uptime or more)");
		im->has_time = false;
	}
	if (!im->has_pid || !im->has_start || !im->has_time || im->origin == MSTAT_ORIGIN_NONE) {
		mstat_diag_add(&im->diag, 1, "header lacks %s: not placed in the tree",
			       !im->has_pid ? "PID" : !im->has_start ? "START" :
			       !im->has_time ? "TIME" : "ORIGIN");
	}
	s.fork_child = im->origin == MSTAT_ORIGIN_FORK || im->origin == MSTAT_ORIGIN_CLONE;
	if (im->inherited > SIZE_MAX_PLAUSIBLE) {
		mstat_diag_add(&im->diag, s.inherited_line, "implausible INHERITED ignored");
		im->inherited = 0;
	} else if (s.inherited_line && !s.fork_child) {
		mstat_diag_add(&im->diag, s.inherited_line, "INHERITED in a log that is no fork child's: ignored");
		im->inherited = 0;
	}
	if (s.fork_child)
		im->in_use = im->peak = im->total_peak = (int64_t)im->inherited;
	if (im->summary)
		summary_load(&s, buf, whole);
	if (s.is && !im->stack_depth)
		s.is = NULL;	/* no stacks in this log */
	if (s.is)
		s.is->sample = im->stack_sample;

	bool open = false;

	while (p < end && !s.err) {
		if (s.mapped && p - s.kept >= RELEASE_EVERY) {
			mstat_drop_pages(s.kept, p);
			s.kept = p;
		}
		s.line++;
		if (__builtin_expect(s.holes, 0) && hole(&s, p, memchr(p, '\n', (size_t)(end - p)))) {
			p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
		} else if (p[0] == '-' && p[1] == '\n') {
			open = false;
			if (s.pending)
				attach(&s, SIZE_MAX);
			if (s.maps_open)
				mstat_istacks_maps_done(s.is);
			s.maps_open = false;
			p += 2;
		} else if (p[0] == '+' && p[1] == ' ') {
			if (open)
				mstat_diag_add(&im->diag, s.line - 1, "entry not closed by '-'");
			if (s.pending)
				attach(&s, SIZE_MAX);
			s.maps_open = false;
			open = true;
			p = entry(&s, p + 2, end);
		} else if (s.is && open && p[0] == '@' && p[1] == ' ') {
			eol = memchr(p, '\n', (size_t)(end - p));
			stack_line(&s, p + 2, eol);
			p = eol + 1;
		} else if (s.maps_open && open) {
			eol = memchr(p, '\n', (size_t)(end - p));
			mstat_istacks_maps_line(s.is, p, eol);
			p = eol + 1;
		} else if (open || p[0] == '#') {
			/* Lines inside an entry (call stacks, later) and
			 * comments: not ours to read, but a header line down
			 * here would have changed the figures. */
			if (!open && p[1] == ' ')
				misplaced(&s, p + 2, memchr(p, '\n', (size_t)(end - p)));
			p = skip_line(p, end);
		} else {
			mstat_diag_add(&im->diag, s.line, "unexpected line skipped");
			p = skip_line(p, end);
		}
	}
	if (s.pending)
		attach(&s, SIZE_MAX);
	if (!s.err && s.has_sum && s.is)
		summary_sites(&s);
	if (!s.err && mstat_blocks_overlaps(tab, overlap, &s) < 0)
		s.err = -ENOMEM;
	if (s.err) {
		mstat_ranges_free(&s.anon);
		return s.err;
	}
	if (end < buf + len)
		mstat_diag_add(&im->diag, s.line + 1, "last line cut short (ignored)");
	if (!s.have_t) {
		s.have_t = true;
		s.t = im->mono_ns;
		im->t_first = im->mono_ns;
	}
	sample_push(&s);
	mstat_ranges_free(&s.anon);
	if (!s.err && s.has_sum)
		s.err = summary_timeline(&s);
	if (s.err)
		return s.err;
	im->anon_end = (uint64_t)s.cur[MSTAT_ANON];
	im->t_last = s.t;
	im->lines = s.line;
	im->whole = (uint64_t)(end - buf);
	im->valid = true;
	return 0;
}

int mstat_parse(struct mstat_image *im, const char *buf, size_t len, struct mstat_blocks *tab)
{
	return mstat_parse_stacks(im, buf, len, tab, NULL);
}

static int parse_with_stacks(struct mstat_image *im, const char *buf, size_t len,
			     struct mstat_blocks *tab, struct mstat_stackdb *db, bool mapped)
{
	struct mstat_istacks is;
	bool on = db && mstat_istacks_begin(&is, db, 0) == 0;
	int r = parse(im, buf, len, tab, on ? &is : NULL, mapped);

	if (on)
		mstat_istacks_end(&is, im, r == 0 && im->stack_depth);
	mstat_blocks_reset(tab);
	return r;
}

int mstat_parse_stacks(struct mstat_image *im, const char *buf, size_t len,
		       struct mstat_blocks *tab, struct mstat_stackdb *db)
{
	return parse_with_stacks(im, buf, len, tab, db, false);
}

int mstat_parse_mapped(struct mstat_image *im, const char *buf, size_t len,
		       struct mstat_blocks *tab, struct mstat_stackdb *db)
{
	return parse_with_stacks(im, buf, len, tab, db, true);
}
