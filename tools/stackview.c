/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Builds the rows of the stack reports. Raw stacks that differ only in
 * addresses inside one line of code read the same once symbolized: their
 * figures are summed under one row (rows sorted by their text, then
 * merged).
 */
#include "stackview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "symbols.h"
#include "units.h"

struct buf {
	char *p;
	size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *np;

		while (cap < b->n + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int puts_(struct buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

/* Names go into tab-separated fields and collapsed lines: no tabs, newlines
 * or semicolons inside. */
static int put_clean(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s == '\t' || *s == '\n' ? ' ' : *s == ';' ? ':' : *s;

		if (put(b, &c, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct mstat_view_row *)a)->key, ((const struct mstat_view_row *)b)->key);
}

static int cmp_agg(const void *a, const void *b)
{
	const struct mstat_view_exe *x = a, *y = b;

	if (x->agg->total.bytes != y->agg->total.bytes)
		return x->agg->total.bytes < y->agg->total.bytes ? 1 : -1;
	return strcmp(x->agg->exe, y->agg->exe);
}

static int build_exe(struct mstat_stackview *v, struct mstat_view_exe *e)
{
	const struct mstat_agg *a = e->agg;
	struct buf b = { 0 };
	size_t w = 0;

	e->rows = calloc(a->n + 1, sizeof(*e->rows));
	if (!e->rows)
		return -ENOMEM;
	for (size_t k = 0; k < a->n; k++) {
		const struct mstat_agg_stack *s = &a->v[k];
		unsigned nf = 0;

		b.n = 0;
		if (puts_(&b, "") < 0)
			return -ENOMEM;
		if (!s->n && puts_(&b, "[no stack]\t\t0\t0\t\n") < 0)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->n; i++) {
			const struct mstat_sym *sy;
			size_t m = mstat_symbolize(v->db, a->pool[s->first + i], &sy);
			const char *mod = mstat_module_name(v->db, a->pool[s->first + i].mod);
			char num[32];

			v->frames++;
			for (size_t j = 0; j < m; j++, nf++) {
				snprintf(num, sizeof(num), "\t%u\t%d\t", sy[j].line, sy[j].inlined);
				if (put_clean(&b, sy[j].func) < 0 || puts_(&b, "\t") < 0 ||
				    put_clean(&b, sy[j].file ? sy[j].file : "") < 0 || puts_(&b, num) < 0 ||
				    put_clean(&b, mod) < 0 || puts_(&b, "\n") < 0)
					return -ENOMEM;
			}
		}
		e->rows[e->n] = (struct mstat_view_row){ strdup(b.p), nf ? nf : 1, s->st };
		if (!e->rows[e->n].key)
			return -ENOMEM;
		e->n++;
	}
	free(b.p);
	qsort(e->rows, e->n, sizeof(*e->rows), cmp_key);
	for (size_t k = 0; k < e->n; k++) {
		if (w && !strcmp(e->rows[w - 1].key, e->rows[k].key)) {
			mstat_site_add(&e->rows[w - 1].st, &e->rows[k].st);
			free(e->rows[k].key);
			continue;
		}
		e->rows[w++] = e->rows[k];
	}
	e->n = w;
	return 0;
}

int mstat_stackview_build(struct mstat_stackview *v, struct mstat_stackdb *db, unsigned depth)
{
	double t0 = now();
	size_t mods;

	memset(v, 0, sizeof(*v));
	v->db = db;
	v->depth = depth;
	v->ex = calloc(db->naggs + 1, sizeof(*v->ex));
	if (!v->ex)
		return -ENOMEM;
	for (size_t i = 0; i < db->naggs; i++) {
		v->ex[v->nex].agg = &db->aggs[i];
		if (build_exe(v, &v->ex[v->nex++]) < 0)
			return -ENOMEM;
	}
	qsort(v->ex, v->nex, sizeof(*v->ex), cmp_agg);
	mstat_symbols_stats(db, &v->lookups, &mods);
	v->seconds = now() - t0;
	return 0;
}

void mstat_stackview_free(struct mstat_stackview *v)
{
	for (size_t i = 0; i < v->nex; i++) {
		for (size_t k = 0; k < v->ex[i].n; k++)
			free(v->ex[i].rows[k].key);
		free(v->ex[i].rows);
	}
	free(v->ex);
	memset(v, 0, sizeof(*v));
}

int mstat_metric_parse(const char *s, enum mstat_metric *m)
{
	static const char *const names[] = { "bytes", "calls", "peak", "leaked" };

	for (unsigned i = 0; i < MSTAT_METRICS; i++) {
		if (!strcmp(s, names[i])) {
			*m = (enum mstat_metric)i;
			return 0;
		}
	}
	return -EINVAL;
}

static double metric(const struct mstat_site *s, enum mstat_metric m)
{
	switch (m) {
	case MSTAT_METRIC_CALLS: return s->calls;
	case MSTAT_METRIC_PEAK: return s->peak_bytes;
	case MSTAT_METRIC_LEAKED: return s->leaked_bytes;
	default: return s->bytes;
	}
}

static enum mstat_metric sort_metric;

static int cmp_rows(const void *a, const void *b)
{
	const struct mstat_view_row *x = *(struct mstat_view_row *const *)a;
	const struct mstat_view_row *y = *(struct mstat_view_row *const *)b;
	double mx = metric(&x->st, sort_metric), my = metric(&y->st, sort_metric);

	if (mx != my)
		return mx < my ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Rows of e with a non-zero metric, largest first, at most top (0: all). */
static size_t ranked(const struct mstat_view_exe *e, enum mstat_metric m, unsigned top,
		     const struct mstat_view_row ***out)
{
	const struct mstat_view_row **r = malloc((e->n + 1) * sizeof(*r));
	size_t n = 0;

	*out = r;
	if (!r)
		return 0;
	for (size_t k = 0; k < e->n; k++)
		if (metric(&e->rows[k].st, m) >= 0.5)
			r[n++] = &e->rows[k];
	sort_metric = m;
	qsort(r, n, sizeof(*r), cmp_rows);
	return top && n > top ? top : n;
}

/* One field of a key line. */
static const char *field(const char *line, unsigned i, size_t *len)
{
	const char *e;

	for (; i; i--) {
		line = strchr(line, '\t');
		if (!line)
			return "";
		line++;
	}
	e = strpbrk(line, "\t\n");
	*len = e ? (size_t)(e - line) : strlen(line);
	return line;
}

static void text_frames(FILE *out, const struct mstat_view_row *r, unsigned depth, int indent)
{
	const char *l = r->key;
	unsigned i = 0;

	for (; *l && (!depth || i < depth); i++) {
		size_t fl = 0, sl = 0, nl = 0, il = 0;
		const char *f = field(l, 0, &fl), *s = field(l, 1, &sl), *n = field(l, 2, &nl);
		const char *in = field(l, 3, &il), *b = s + sl;

		while (b > s && b[-1] != '/')
			b--;
		fprintf(out, "%*s%s%.*s", i ? indent : 0, "", i ? "<- " : "", (int)(fl > 200 ? 200 : fl), f);
		if (sl)
			fprintf(out, " (%.*s:%.*s)", (int)(s + sl - b), b, (int)nl, n);
		if (il && *in == '1')
			fputs(" [inlined]", out);
		fputc('\n', out);
		l = strchr(l, '\n');
		l = l ? l + 1 : "";
	}
	if (*l)
		fprintf(out, "%*s<- ... %u more frames\n", indent, "", r->nframes - i);
}

void mstat_stackview_text(const struct mstat_stackview *v, FILE *out, unsigned top)
{
	static const char *const titles[MSTAT_METRICS] = {
		"Top allocation sites by bytes allocated",
		"Top allocation sites by calls",
		"Top allocation sites by contribution to the peak (bytes live at each process's heap peak)",
		"Leaks by allocation stack (bytes live at exit or death)",
	};
	static const enum mstat_metric order[] = { MSTAT_METRIC_LEAKED, MSTAT_METRIC_BYTES,
						   MSTAT_METRIC_CALLS, MSTAT_METRIC_PEAK };
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN];
	size_t lim = top && v->nex > top ? top : v->nex;

	if (!v->nex) {
		fprintf(out, "\nCall stacks: none in these logs (record them with `malloc-stat run --backtrace DEPTH` or MALLOC_STAT_BACKTRACE=DEPTH)\n");
		return;
	}
	for (size_t i = 0; i < lim; i++) {
		const struct mstat_view_exe *e = &v->ex[i];
		const struct mstat_agg *a = e->agg;

		fprintf(out, "\nCall stacks of %s (%zu process image%s%s", a->exe, a->images,
			a->images == 1 ? "" : "s", v->db->pid >= 0 ? ", one process" : "");
		if (a->sample)
			fprintf(out, "; sampled, one stack every %llu bytes on average: calls and bytes are estimates, each sample scaled by its weight",
				(unsigned long long)a->sample);
		fprintf(out, "): %s allocated in %s calls\n", mstat_bytes(b1, (int64_t)a->total.bytes),
			mstat_count(b2, (uint64_t)a->total.calls));
		for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
			enum mstat_metric m = order[o];
			const struct mstat_view_row **r;
			size_t n = ranked(e, m, top, &r);

			if (m == MSTAT_METRIC_LEAKED && !n) {
				fprintf(out, "  Leaks by allocation stack: none\n");
				free(r);
				continue;
			}
			fprintf(out, "  %s:\n", titles[m]);
			for (size_t k = 0; k < n; k++) {
				const struct mstat_site *s = &r[k]->st;
				double bytes = m == MSTAT_METRIC_LEAKED ? s->leaked_bytes :
					       m == MSTAT_METRIC_PEAK ? s->peak_bytes : s->bytes;
				double calls = m == MSTAT_METRIC_LEAKED ? s->leaked_calls :
					       m == MSTAT_METRIC_PEAK ? s->peak_calls : s->calls;

				fprintf(out, "  %10s %8s %s  ", mstat_bytes(b1, (int64_t)(bytes + 0.5)),
					mstat_count(b2, (uint64_t)(calls + 0.5)),
					m == MSTAT_METRIC_BYTES || m == MSTAT_METRIC_CALLS ? "calls" : "blocks");
				text_frames(out, r[k], v->depth, 30);
			}
			free(r);
		}
	}
	if (lim < v->nex)
		fprintf(out, "\n... call stacks of %zu more executables (--top 0 shows all)\n", v->nex - lim);
}

static void json_str_n(FILE *out, const char *s, size_t n)
{
	char *c = strndup(s, n);

	mstat_json_str(out, c ? c : "");
	free(c);
}

static void json_row(FILE *out, const struct mstat_view_row *r)
{
	const struct mstat_site *s = &r->st;
	const char *l = r->key;
	bool first = true;

	fprintf(out, "{\"calls\": %.0f, \"bytes\": %.0f, \"leaked_blocks\": %.0f, \"leaked_bytes\": %.0f, \"peak_blocks\": %.0f, \"peak_bytes\": %.0f, \"frames\": [",
		s->calls, s->bytes, s->leaked_calls, s->leaked_bytes, s->peak_calls, s->peak_bytes);
	for (; *l; first = false) {
		size_t fl = 0, sl = 0, nl = 0, il = 0, ml = 0;
		const char *f = field(l, 0, &fl), *sf = field(l, 1, &sl), *n = field(l, 2, &nl);
		const char *in = field(l, 3, &il), *mo = field(l, 4, &ml);

		fputs(first ? "{\"function\": " : ", {\"function\": ", out);
		json_str_n(out, f, fl);
		fputs(", \"file\": ", out);
		if (sl)
			json_str_n(out, sf, sl);
		else
			fputs("null", out);
		fprintf(out, ", \"line\": %.*s, \"inlined\": %s, \"module\": ", nl ? (int)nl : 1,
			nl ? n : "0", il && *in == '1' ? "true" : "false");
		json_str_n(out, mo, ml);
		fputs("}", out);
		l = strchr(l, '\n');
		l = l ? l + 1 : "";
	}
	fputs("]}", out);
}

void mstat_stackview_json(const struct mstat_stackview *v, FILE *out, unsigned top)
{
	static const char *const lists[MSTAT_METRICS] = { "by_bytes", "by_calls", "by_peak", "leaks" };

	fprintf(out, "  \"stacks\": {\"pid\": %ld, \"symbolize_seconds\": %.6f, \"frames\": %zu, \"lookups\": %zu, \"symbols\": %s, \"executables\": [",
		v->db->pid, v->seconds, v->frames, v->lookups,
		mstat_symbols_available ? "true" : "false");
	for (size_t i = 0; i < v->nex; i++) {
		const struct mstat_view_exe *e = &v->ex[i];
		const struct mstat_agg *a = e->agg;

		fputs(i ? ",\n    {\"exe\": " : "\n    {\"exe\": ", out);
		mstat_json_str(out, a->exe);
		fprintf(out, ", \"images\": %zu, \"sample\": %llu, \"stacks\": %zu, \"total\": {\"calls\": %.0f, \"bytes\": %.0f, \"leaked_bytes\": %.0f, \"peak_bytes\": %.0f}",
			a->images, (unsigned long long)a->sample, e->n, a->total.calls, a->total.bytes,
			a->total.leaked_bytes, a->total.peak_bytes);
		for (unsigned m = 0; m < MSTAT_METRICS; m++) {
			const struct mstat_view_row **r;
			size_t n = ranked(e, (enum mstat_metric)m, top, &r);

			fprintf(out, ",\n     \"%s\": [", lists[m]);
			for (size_t k = 0; k < n; k++) {
				fputs(k ? ",\n       " : "\n       ", out);
				json_row(out, r[k]);
			}
			fputs("]", out);
			free(r);
		}
		fputs("}", out);
	}
	fputs("]},\n", out);
}

int mstat_stackview_collapsed(const struct mstat_stackview *v, FILE *out, enum mstat_metric m)
{
	for (size_t i = 0; i < v->nex; i++) {
		const struct mstat_view_exe *e = &v->ex[i];
		const char *exe = strrchr(e->agg->exe, '/');

		exe = exe ? exe + 1 : e->agg->exe;
		for (size_t k = 0; k < e->n; k++) {
			const struct mstat_view_row *r = &e->rows[k];
			double val = metric(&r->st, m);
			const char *lines[1024];
			size_t nl = 0;

			if (val < 0.5)
				continue;
			for (const char *l = r->key; *l && nl < 1024;) {
				lines[nl++] = l;
				l = strchr(l, '\n');
				l = l ? l + 1 : "";
			}
			fputs(exe, out);
			while (nl--) {
				size_t fl = 0;
				const char *f = field(lines[nl], 0, &fl);

				fprintf(out, ";%.*s", (int)fl, f);
			}
			fprintf(out, " %.0f\n", val);
		}
	}
	return ferror(out) ? -EIO : 0;
}
