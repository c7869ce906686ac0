/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Stacks per image and per executable. The blocks live at the heap's peak
 * are found in the one pass without snapshots: each stack remembers the
 * event of its last change, and a stack unchanged since the event that set
 * the peak held at the peak what it holds now; so before each change (and
 * at the end) such a stack copies its live figures into its peak figures.
 *
 * With sampling (SAMPLE bytes on average between stacks, exponential
 * gaps) a block of s bytes got a stack with probability p = 1 - e^(-s/SAMPLE);
 * each sampled block counts as 1/p blocks and s/p bytes, an unbiased
 * estimate (heapprofd and jemalloc scale the same way).
 */
#include "stacks.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdu;
	return h ^ (h >> 32);
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*v, c * size);
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = c;
	return 0;
}

int mstat_stackdb_init(struct mstat_stackdb *db, long pid)
{
	memset(db, 0, sizeof(*db));
	db->pid = pid;
	pthread_mutex_init(&db->lock, NULL);
	db->mods = calloc(16, sizeof(*db->mods));
	db->modcap = 16;
	db->nmods = 1;		/* [0]: outside every module */
	db->modmask = 255;
	db->modix = calloc(256, sizeof(*db->modix));
	return db->mods && db->modix ? 0 : -ENOMEM;
}

void mstat_stackdb_free(struct mstat_stackdb *db)
{
	for (size_t i = 0; i < db->nmods; i++)
		free(db->mods[i].path);
	for (size_t i = 0; i < db->naggs; i++) {
		struct mstat_agg *a = &db->aggs[i];

		free(a->exe);
		free(a->v);
		free(a->index);
		free(a->pool);
	}
	free(db->mods);
	free(db->modix);
	free(db->aggs);
	pthread_mutex_destroy(&db->lock);
	memset(db, 0, sizeof(*db));
}

static uint64_t str_hash(const char *s, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The module of (path, inode), added when new; 0 on ENOMEM. Locked. */
static uint32_t module(struct mstat_stackdb *db, const char *path, size_t len, uint64_t inode)
{
	uint64_t h = mix(str_hash(path, len, 1469598103934665603ull), inode);
	size_t i;

	for (i = h & db->modmask; db->modix[i]; i = (i + 1) & db->modmask) {
		struct mstat_module *m = &db->mods[db->modix[i]];

		if (m->inode == inode && !strncmp(m->path, path, len) && !m->path[len])
			return db->modix[i];
	}
	if ((db->nmods + 1) * 2 > db->modmask + 1) {
		size_t nmask = db->modmask * 2 + 1;
		uint32_t *nix = calloc(nmask + 1, sizeof(*nix));

		if (!nix)
			return 0;
		for (size_t k = 1; k < db->nmods; k++) {
			struct mstat_module *m = &db->mods[k];
			uint64_t hk = mix(str_hash(m->path, strlen(m->path), 1469598103934665603ull),
					  m->inode);
			size_t j;

			for (j = hk & nmask; nix[j]; j = (j + 1) & nmask)
				;
			nix[j] = (uint32_t)k;
		}
		free(db->modix);
		db->modix = nix;
		db->modmask = nmask;
		for (i = h & db->modmask; db->modix[i]; i = (i + 1) & db->modmask)
			;
	}
	if (grow((void **)&db->mods, &db->modcap, db->nmods + 1, sizeof(*db->mods)) < 0)
		return 0;
	db->mods[db->nmods] = (struct mstat_module){ strndup(path, len), inode, NULL };
	if (!db->mods[db->nmods].path)
		return 0;
	db->modix[i] = (uint32_t)db->nmods;
	return (uint32_t)db->nmods++;
}

/* ---- one image ---- */

int mstat_istacks_begin(struct mstat_istacks *is, struct mstat_stackdb *db, uint64_t sample)
{
	memset(is, 0, sizeof(*is));
	is->db = db;
	is->sample = sample;
	is->v = calloc(16, sizeof(*is->v));
	is->cap = 16;
	is->n = 1;		/* [0]: no stack */
	return is->v ? 0 : -ENOMEM;
}

void mstat_istacks_maps_clear(struct mstat_istacks *is)
{
	is->nmap = 0;
}

static const char *hexnum(const char *p, const char *eol, uint64_t *v)
{
	uint64_t x = 0;
	const char *s = p;

	for (; p < eol; p++) {
		unsigned c = (unsigned char)*p, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 32) >= 'a' && (c | 32) <= 'f')
			d = (c | 32) - 'a' + 10;
		else
			break;
		x = x << 4 | d;
	}
	*v = x;
	return p > s ? p : NULL;
}

/* "lo-hi perms offset dev inode   path": executable mappings of files
 * (and the vdso) become modules. */
void mstat_istacks_maps_line(struct mstat_istacks *is, const char *p, const char *eol)
{
	uint64_t lo, hi, off, inode = 0;
	const char *q, *perms, *path;
	uint32_t mod;

	if (!(q = hexnum(p, eol, &lo)) || *q != '-' || !(q = hexnum(q + 1, eol, &hi)) || *q != ' ')
		return;
	perms = q + 1;
	if (eol - perms < 5 || perms[2] != 'x' || !(q = hexnum(perms + 5, eol, &off)) || *q != ' ')
		return;
	q = memchr(q + 1, ' ', (size_t)(eol - q - 1));	/* after dev */
	if (!q)
		return;
	for (q++; q < eol && *q >= '0' && *q <= '9'; q++)
		inode = inode * 10 + (uint64_t)(*q - '0');
	while (q < eol && *q == ' ')
		q++;
	path = q;
	if (path == eol || (*path != '/' && *path != '['))
		return;
	if (grow((void **)&is->map, &is->mapcap, is->nmap + 1, sizeof(*is->map)) < 0) {
		is->err = -ENOMEM;
		return;
	}
	pthread_mutex_lock(&is->db->lock);
	mod = module(is->db, path, (size_t)(eol - path), inode);
	pthread_mutex_unlock(&is->db->lock);
	if (!mod) {
		is->err = -ENOMEM;
		return;
	}
	is->map[is->nmap++] = (struct mstat_imap){ lo, hi, off, mod };
}

static struct mstat_frame resolve(const struct mstat_istacks *is, uint64_t addr)
{
	size_t lo = 0, hi = is->nmap;

	/* /proc/PID/maps lists mappings in address order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (is->map[mid].hi <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < is->nmap && is->map[lo].lo <= addr)
		return (struct mstat_frame){ is->map[lo].mod, addr - is->map[lo].lo + is->map[lo].off };
	return (struct mstat_frame){ 0, addr };
}

void mstat_istacks_maps_done(struct mstat_istacks *is)
{
	size_t w = 0;

	for (size_t i = 0; i < is->nunres; i++) {
		struct mstat_frame *f = &is->pool[is->unres[i]];

		*f = resolve(is, f->off);
		if (!f->mod)
			is->unres[w++] = is->unres[i];
	}
	is->nunres = w;
}

long mstat_istacks_line(struct mstat_istacks *is, const char *p, const char *eol)
{
	uint64_t id = 0, a;
	const char *q = p;
	size_t first = is->npool, n = 0;

	for (; q < eol && *q >= '0' && *q <= '9'; q++)
		id = id * 10 + (uint64_t)(*q - '0');
	if (q == p || id > (1u << 26))
		return -2;
	if (q == eol) {
		if (id < is->idcap && is->byid[id])
			return (long)is->byid[id] - 1;
		return -1;
	}
	while (q < eol) {
		if (q[0] != ' ' || q[1] != '0' || q[2] != 'x' || !(q = hexnum(q + 3, eol, &a)))
			return -2;
		if (grow((void **)&is->pool, &is->poolcap, is->npool + 1, sizeof(*is->pool)) < 0) {
			is->err = -ENOMEM;
			return -2;
		}
		is->pool[is->npool] = resolve(is, a);
		if (!is->pool[is->npool].mod) {
			if (grow((void **)&is->unres, &is->unrescap, is->nunres + 1,
				 sizeof(*is->unres)) < 0) {
				is->err = -ENOMEM;
				return -2;
			}
			is->unres[is->nunres++] = (uint32_t)is->npool;
		}
		is->npool++;
		n++;
	}
	size_t old = is->idcap;

	if (grow((void **)&is->v, &is->cap, is->n + 1, sizeof(*is->v)) < 0 ||
	    (id && grow((void **)&is->byid, &is->idcap, id + 1, sizeof(*is->byid)) < 0)) {
		is->err = -ENOMEM;
		return -2;
	}
	if (is->idcap > old)
		memset(is->byid + old, 0, (is->idcap - old) * sizeof(*is->byid));
	is->v[is->n] = (struct mstat_istack){ .first = (uint32_t)first, .n = (uint32_t)n };
	if (id)
		is->byid[id] = (uint32_t)is->n + 1;
	return (long)is->n++;
}

static void weight(const struct mstat_istacks *is, uint64_t usable, double *calls, double *bytes)
{
	double p;

	if (!is->sample) {
		*calls = 1;
		*bytes = (double)usable;
		return;
	}
	p = -expm1(-(double)usable / (double)is->sample);
	if (p < 1e-12)
		p = 1e-12;
	*calls = 1 / p;
	*bytes = (double)usable / p;
}

/* Before a change: a stack unchanged since the peak keeps what it held. */
static struct mstat_istack *touch(struct mstat_istacks *is, uint32_t idx)
{
	struct mstat_istack *s = &is->v[idx];

	if (s->touched <= is->peak_ev) {
		s->st.peak_calls = s->live_calls;
		s->st.peak_bytes = s->live_bytes;
	}
	s->touched = is->ev;
	return s;
}

void mstat_istacks_alloc(struct mstat_istacks *is, uint32_t idx, uint64_t usable)
{
	struct mstat_istack *s;
	double c, b;

	if (idx >= is->n)
		return;
	s = touch(is, idx);
	weight(is, usable, &c, &b);
	s->st.calls += c;
	s->st.bytes += b;
	s->live_calls += c;
	s->live_bytes += b;
}

void mstat_istacks_free(struct mstat_istacks *is, uint32_t idx, uint64_t usable)
{
	struct mstat_istack *s;
	double c, b;

	if (idx >= is->n)
		return;
	s = touch(is, idx);
	weight(is, usable, &c, &b);
	s->live_calls -= c;
	s->live_bytes -= b;
}

void mstat_istacks_site(struct mstat_istacks *is, uint64_t id, double calls, double bytes,
			double live_calls, double live_bytes, double peak_calls, double peak_bytes)
{
	struct mstat_istack *s = &is->v[id < is->idcap && is->byid[id] ? is->byid[id] - 1 : 0];

	s->st.calls += calls;
	s->st.bytes += bytes;
	s->live_calls += live_calls;
	s->live_bytes += live_bytes;
	s->st.peak_calls += peak_calls;
	s->st.peak_bytes += peak_bytes;
	s->touched = UINT64_MAX;	/* its peak is the body's, not the live figures */
}

/* ---- per executable ---- */

static uint64_t frames_hash(const struct mstat_frame *f, uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ n;

	for (uint32_t i = 0; i < n; i++)
		h = mix(mix(h, f[i].mod), f[i].off);
	return h;
}

void mstat_site_add(struct mstat_site *d, const struct mstat_site *s)
{
	d->calls += s->calls;
	d->bytes += s->bytes;
	d->leaked_calls += s->leaked_calls;
	d->leaked_bytes += s->leaked_bytes;
	d->peak_calls += s->peak_calls;
	d->peak_bytes += s->peak_bytes;
}

static struct mstat_agg *agg_of(struct mstat_stackdb *db, const char *exe)
{
	for (size_t i = 0; i < db->naggs; i++)
		if (!strcmp(db->aggs[i].exe, exe))
			return &db->aggs[i];
	if (grow((void **)&db->aggs, &db->aggcap, db->naggs + 1, sizeof(*db->aggs)) < 0)
		return NULL;
	struct mstat_agg *a = &db->aggs[db->naggs];

	memset(a, 0, sizeof(*a));
	a->exe = strdup(exe);
	a->imask = 1023;
	a->index = calloc(a->imask + 1, sizeof(*a->index));
	if (!a->exe || !a->index) {
		free(a->exe);
		free(a->index);
		return NULL;
	}
	db->naggs++;
	return a;
}

static int agg_rehash(struct mstat_agg *a)
{
	size_t nmask = a->imask * 2 + 1;
	uint32_t *nix = calloc(nmask + 1, sizeof(*nix));

	if (!nix)
		return -ENOMEM;
	for (size_t k = 0; k < a->n; k++) {
		size_t j;

		for (j = a->v[k].hash & nmask; nix[j]; j = (j + 1) & nmask)
			;
		nix[j] = (uint32_t)k + 1;
	}
	free(a->index);
	a->index = nix;
	a->imask = nmask;
	return 0;
}

static int agg_add(struct mstat_agg *a, const struct mstat_frame *f, uint32_t n,
		   const struct mstat_site *st)
{
	uint64_t h = frames_hash(f, n);
	size_t i;

	for (i = h & a->imask; a->index[i]; i = (i + 1) & a->imask) {
		struct mstat_agg_stack *s = &a->v[a->index[i] - 1];

		if (s->hash == h && s->n == n && (!n || !memcmp(&a->pool[s->first], f, n * sizeof(*f)))) {
			mstat_site_add(&s->st, st);
			return 0;
		}
	}
	if ((a->n + 1) * 2 > a->imask + 1) {
		if (agg_rehash(a) < 0)
			return -ENOMEM;
		for (i = h & a->imask; a->index[i]; i = (i + 1) & a->imask)
			;
	}
	if (grow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v)) < 0 ||
	    grow((void **)&a->pool, &a->poolcap, a->npool + n, sizeof(*a->pool)) < 0)
		return -ENOMEM;
	if (n)
		memcpy(&a->pool[a->npool], f, n * sizeof(*f));
	a->v[a->n] = (struct mstat_agg_stack){ h, (uint32_t)a->npool, n, *st };
	a->npool += n;
	a->index[i] = (uint32_t)++a->n;
	return 0;
}

void mstat_istacks_end(struct mstat_istacks *is, const struct mstat_image *im, bool ok)
{
	struct mstat_stackdb *db = is->db;
	bool leaks = im->end != MSTAT_END_EXEC;

	if (ok && !is->err && im->valid && (db->pid < 0 || im->pid == db->pid) && is->n > 1) {
		pthread_mutex_lock(&db->lock);
		struct mstat_agg *a = agg_of(db, im->exe && *im->exe ? im->exe : mstat_image_command(im));

		if (a) {
			a->images++;
			if (is->sample > a->sample)
				a->sample = is->sample;
			db->stacked_images++;
		}
		for (size_t k = 0; a && k < is->n; k++) {
			struct mstat_istack *s = &is->v[k];

			if (s->touched <= is->peak_ev) {
				s->st.peak_calls = s->live_calls;
				s->st.peak_bytes = s->live_bytes;
			}
			if (leaks) {
				s->st.leaked_calls = s->live_calls > 0.5 ? s->live_calls : 0;
				s->st.leaked_bytes = s->live_bytes > 0.5 ? s->live_bytes : 0;
			}
			if (!s->st.calls && !s->st.peak_bytes && !s->st.leaked_bytes)
				continue;
			mstat_site_add(&a->total, &s->st);
			if (agg_add(a, s->n ? &is->pool[s->first] : NULL, s->n, &s->st) < 0)
				break;
		}
		pthread_mutex_unlock(&db->lock);
	}
	free(is->map);
	free(is->byid);
	free(is->v);
	free(is->pool);
	free(is->unres);
	memset(is, 0, sizeof(*is));
}
