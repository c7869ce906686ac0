/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The HTML report: one self-contained page, nothing fetched. The headline
 * figures, the folded tree and the estimate are HTML; the data for the
 * rest (the tree's curves, every process with its own curve, commands,
 * flame graphs) is embedded as JSON and drawn by tools/html/report.js,
 * which the build inlines with tools/html/report.css (report-assets.h).
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "grow.h"
#include "report-assets.h"
#include "stackview.h"
#include "tree.h"
#include "units.h"

#define SERIES_POINTS 16384	/* the tree's curves: highest of each group of bins (zoom) */
#define CURVE_BUDGET 60000	/* per-process curves, points over all processes */
#define CURVE_MIN 12
#define CURVE_MAX 500
#define ARGV_MAX 120		/* command lines, bytes */
#define FLAME_SHARE 0.0001	/* stacks below this share of every metric are summed */

static void th(FILE *out, const char *const *cols, size_t n)
{
	fputs("<thead><tr>", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "<th%s>%s</th>", cols[i][0] == '<' ? " class=l" : "",
			cols[i][0] == '<' ? cols[i] + 1 : cols[i]);
	fputs("</tr></thead><tbody>\n", out);
}

static void label(FILE *out, const struct mstat_image *im)
{
	char buf[600];

	if (im->virt) {
		fputs("<span class=muted>", out);
		if (im->rel == MSTAT_REL_EXEC) {
			fputs("exec&#39;d ", out);
			mstat_html_str(out, im->exec_path ? im->exec_path : "?");
		} else {
			fprintf(out, "pid %lld", (long long)im->pid);
		}
		fputs(": not traced</span>", out);
		return;
	}
	/* the job's name shown, the whole command line on hover */
	mstat_image_cmdline(im, buf, sizeof(buf), sizeof(buf) - 1);
	fputs("<span title=\"", out);
	mstat_html_str(out, buf);
	fputs("\">", out);
	mstat_image_label(im, buf, sizeof(buf), 160);
	mstat_html_str(out, buf);
	fprintf(out, "</span> <span class=muted>[%lld%s]</span>", (long long)im->pid,
		im->rel == MSTAT_REL_FORK ? " fork" : im->rel == MSTAT_REL_EXEC ? " exec" :
		im->rel == MSTAT_REL_CLONE ? " clone" : "");
}

/* A JSON string that is safe inside <script>: <, > and & as \u escapes,
 * control bytes escaped, invalid UTF-8 as U+FFFD. */
static void js_str(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	putc('"', out);
	while (*p && n < max) {
		unsigned c = *p, len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
				 (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len > 0 && !(len == 2 && c < 0xc2);

		for (unsigned i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			fputs("\\ufffd", out);
			p++;
			n++;
			continue;
		}
		if (len > 1) {
			fwrite(p, 1, len, out);
		} else if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			fprintf(out, "\\u%04x", c);
		} else {
			putc((int)c, out);
		}
		p += len;
		n += len;
	}
	putc('"', out);
}

struct page {
	const struct mstat_report *r;
	long *ids;		/* JSON ids of the shown nodes, -1 else */
	long *cmd;		/* per node: index in r->cmds, -1 */
	size_t nshown;
};

static double secs(const struct mstat_report *r, uint64_t t)
{
	return mstat_report_secs(r, t);
}

/* The tree's curves, the highest of each group of bins. */
static void series(const struct page *pg, FILE *out)
{
	static const char *const names[] = { "heap", "anon", "total", "rss" };
	const struct mstat_timeline *tl = &pg->r->tl;
	size_t step = (tl->nbins + SERIES_POINTS - 1) / SERIES_POINTS, np;

	if (!step)
		step = 1;
	np = (tl->nbins + step - 1) / step;
	fprintf(out, "\"series\":{\"step\":%.9g,\"tick\":%.9g", (double)(step * tl->bin_ns) / 1e9,
		(double)MSTAT_TICK_NS / 1e9);
	for (unsigned c = 0; c <= MSTAT_NSERIES; c++) {
		fprintf(out, ",\"%s\":[", c < MSTAT_NSERIES ? names[c] : "alive");
		for (size_t i = 0; i < np; i++) {
			int64_t m = 0;

			for (size_t k = i * step; k < (i + 1) * step && k < tl->nbins; k++) {
				int64_t v = c < MSTAT_NSERIES ? tl->curve[c][k] : (int64_t)tl->live[k];

				if (v > m)
					m = v;
			}
			fprintf(out, "%s%lld", i ? "," : "", (long long)m);
		}
		putc(']', out);
	}
	fputs("},\n", out);
	fprintf(out, "\"step\":%.9g,", (double)(step * tl->bin_ns) / 1e9);
}

static void procs(const struct page *pg, FILE *out)
{
	const struct mstat_report *r = pg->r;
	const struct mstat_set *set = r->set;
	bool first = true;

	fputs("\"procs\":[", out);
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (pg->ids[k] < 0)
			continue;
		fprintf(out, "%s\n[%ld,", first ? "" : ",", pg->ids[k]);
		if (im->parent >= 0 && pg->ids[im->parent] >= 0)
			fprintf(out, "%ld", pg->ids[im->parent]);
		else
			fputs("null", out);
		fprintf(out, ",%lld,%ld,%.4f,%.4f,%lld,%llu,%lld,%llu,%llu,%llu,%llu,%llu,%llu,%d,%d,%d,%llu]",
			(long long)im->pid, pg->cmd[k], secs(r, im->t_first), secs(r, im->t_last),
			(long long)im->peak, (unsigned long long)im->anon_peak, (long long)im->total_peak,
			(unsigned long long)im->rss_peak, (unsigned long long)im->allocs,
			(unsigned long long)im->frees, (unsigned long long)im->alloc_bytes,
			mstat_image_leaks(im) ? (unsigned long long)im->live_bytes : 0ull,
			mstat_image_leaks(im) ? (unsigned long long)im->live_blocks : 0ull, (int)im->end,
			(int)im->rel, im->virt, (unsigned long long)im->inherited);
		first = false;
	}
	fputs("],\n\"argv\":[", out);
	first = true;
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];
		char buf[ARGV_MAX + 8];

		if (pg->ids[k] < 0)
			continue;
		if (im->virt)
			snprintf(buf, sizeof(buf), "%s", im->exec_path ? im->exec_path : "");
		else
			mstat_image_cmdline(im, buf, sizeof(buf), ARGV_MAX);
		fputs(first ? "" : ",", out);
		js_str(out, buf, ARGV_MAX + 8);
		first = false;
	}
	fputs("],\n", out);
}

/* Each image's own curve, [ms from its start, heap, heap + anon, resident]
 * per point: the highest in each tick, the level at its end where the next
 * change comes later; thinned to a budget by the highest of each stretch. */
static int curves(const struct page *pg, FILE *out, unsigned *capp)
{
	const struct mstat_report *r = pg->r;
	const struct mstat_set *set = r->set;
	size_t cap = pg->nshown ? CURVE_BUDGET / pg->nshown : CURVE_MAX, maxn = 0;
	int64_t(*pt)[4] = NULL;
	bool first = true;

	if (cap < CURVE_MIN)
		cap = CURVE_MIN;
	if (cap > CURVE_MAX)
		cap = CURVE_MAX;
	*capp = (unsigned)cap;
	for (size_t k = 0; k < set->n; k++)
		if (set->img[k].nsamples * 2 > maxn)
			maxn = set->img[k].nsamples * 2;
	pt = malloc((maxn + 1) * sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	fputs("\"curves\":{", out);
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];
		size_t n = 0, groups;
		int64_t prev[MSTAT_NSERIES] = { 0 };

		if (pg->ids[k] < 0 || im->virt || !im->nsamples || !im->has_time)
			continue;
		for (size_t j = 0; j < im->nsamples; j++) {
			const struct mstat_sample *s = &im->samples[j];
			uint64_t t = s->t > im->t_first ? s->t - im->t_first : 0;

			pt[n][0] = (int64_t)t;
			pt[n][1] = s->max[MSTAT_HEAP] > prev[MSTAT_HEAP] ? s->max[MSTAT_HEAP] : prev[MSTAT_HEAP];
			pt[n][2] = s->max[MSTAT_TOTAL] > prev[MSTAT_TOTAL] ? s->max[MSTAT_TOTAL] : prev[MSTAT_TOTAL];
			pt[n][3] = s->max[MSTAT_RSS];
			n++;
			memcpy(prev, s->end, sizeof(prev));
			if (j + 1 < im->nsamples && im->samples[j + 1].t > s->t + MSTAT_TICK_NS) {
				pt[n][0] = (int64_t)(t + MSTAT_TICK_NS);
				pt[n][1] = s->end[MSTAT_HEAP];
				pt[n][2] = s->end[MSTAT_TOTAL];
				pt[n][3] = s->end[MSTAT_RSS];
				n++;
			}
		}
		groups = n < cap ? n : cap;
		fprintf(out, "%s\n\"%ld\":[", first ? "" : ",", pg->ids[k]);
		first = false;
		for (size_t g = 0; g < groups; g++) {
			size_t a = g * n / groups, b = (g + 1) * n / groups;
			int64_t m[4] = { pt[a][0], 0, 0, 0 };

			for (size_t i = a; i < b; i++)
				for (unsigned c = 1; c < 4; c++)
					if (pt[i][c] > m[c])
						m[c] = pt[i][c];
			fprintf(out, "%s%.1f,%lld,%lld,%lld", g ? "," : "", (double)m[0] / 1e6, (long long)m[1],
				(long long)m[2], (long long)m[3]);
		}
		putc(']', out);
	}
	fputs("},\n", out);
	free(pt);
	return 0;
}

/* Interned strings for the flame graphs' frames. */
struct strtab {
	char **v;
	size_t n, cap;
	size_t *slot;		/* index + 1, open addressing */
	size_t mask;
};

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The index of s[0..len), added when new; -1 for no memory. */
static long intern(struct strtab *t, const char *s, size_t len)
{
	char **v;
	size_t i;

	if (2 * (t->n + 1) > t->mask) {
		size_t mask = t->mask ? t->mask * 2 + 1 : 255;
		size_t *slot = calloc(mask + 1, sizeof(*slot));

		if (!slot)
			return -1;
		for (size_t k = 0; k < t->n; k++) {
			for (i = hash(t->v[k], strlen(t->v[k])) & mask; slot[i]; i = (i + 1) & mask)
				;
			slot[i] = k + 1;
		}
		free(t->slot);
		t->slot = slot;
		t->mask = mask;
	}
	for (i = hash(s, len) & t->mask; t->slot[i]; i = (i + 1) & t->mask) {
		const char *old = t->v[t->slot[i] - 1];

		if (!strncmp(old, s, len) && !old[len])
			return (long)t->slot[i] - 1;
	}
	v = mstat_grow(t->v, &t->cap, t->n, sizeof(*v), 256);
	if (!v)
		return -1;
	t->v = v;
	t->v[t->n] = strndup(s, len);
	if (!t->v[t->n])
		return -1;
	t->slot[i] = ++t->n;
	return (long)t->n - 1;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slot);
}

/* Field i of a frame line "func \t file \t line \t inlined \t module". */
static const char *field(const char *l, unsigned i, size_t *len)
{
	for (; i; i--) {
		const char *tab = strpbrk(l, "\t\n");

		if (!tab || *tab == '\n') {
			*len = 0;
			return "";
		}
		l = tab + 1;
	}
	*len = strcspn(l, "\t\n");
	return l;
}

/* Stacks per executable: [allocated, live at the peak, leaked, frames
 * outermost first], frames as [name, where] in two string tables. */
static int flame(const struct mstat_report *r, FILE *out)
{
	const struct mstat_stackview *v = r->stacks;
	struct strtab names = { 0 }, locs = { 0 }, frames = { 0 };
	bool pruned = false;
	int e = 0;

	if (!v || !v->nex) {
		fputs("\"flame\":null", out);
		return 0;
	}
	fputs("\"flame\":{\"exes\":[", out);
	for (size_t i = 0; i < v->nex && !e; i++) {
		const struct mstat_view_exe *x = &v->ex[i];
		const struct mstat_site *tot = &x->agg->total;
		const char *base = strrchr(x->agg->exe, '/');
		double small[3] = { 0, 0, 0 };
		bool first = true;

		fprintf(out, "%s\n{\"exe\":", i ? "," : "");
		js_str(out, x->agg->exe, 4096);
		fputs(",\"name\":", out);
		js_str(out, base ? base + 1 : x->agg->exe, 4096);
		fprintf(out, ",\"images\":%zu,\"sample\":%llu,\"stacks\":[", x->agg->images,
			(unsigned long long)x->agg->sample);
		for (size_t k = 0; k < x->n && !e; k++) {
			const struct mstat_view_row *row = &x->rows[k];
			double m[3] = { row->st.bytes, row->st.peak_bytes, row->st.leaked_bytes };
			double t[3] = { tot->bytes, tot->peak_bytes, tot->leaked_bytes };
			const char *lines[1024];
			size_t nl = 0;
			bool keep = false;

			for (unsigned c = 0; c < 3; c++)
				keep = keep || (m[c] >= 0.5 && m[c] >= FLAME_SHARE * t[c]);
			if (!keep) {
				for (unsigned c = 0; c < 3; c++)
					small[c] += m[c];
				pruned = true;
				continue;
			}
			for (const char *l = row->key; *l && nl < 1024;) {
				lines[nl++] = l;
				l = strchr(l, '\n');
				l = l ? l + 1 : "";
			}
			fprintf(out, "%s[%.0f,%.0f,%.0f", first ? "" : ",", m[0], m[1], m[2]);
			first = false;
			while (nl--) {
				size_t fl, ml, ll, il, nlen;
				const char *fn = field(lines[nl], 0, &nlen), *file = field(lines[nl], 1, &fl);
				const char *line = field(lines[nl], 2, &ll), *inl = field(lines[nl], 3, &il);
				const char *mod = field(lines[nl], 4, &ml);
				char where[600], key[40];
				long ni, li, fi;
				int wl;

				wl = fl ? snprintf(where, sizeof(where), "%.*s:%.*s%s%s%.*s", (int)(fl > 300 ? 300 : fl),
						   file, (int)ll, line, il && inl[0] == '1' ? " (inlined)" : "",
						   ml ? " in " : "", (int)(ml > 200 ? 200 : ml), mod) :
					  snprintf(where, sizeof(where), "%.*s", (int)(ml > 200 ? 200 : ml), mod);
				ni = intern(&names, fn, nlen);
				li = intern(&locs, where, wl < 0 ? 0 : (size_t)wl >= sizeof(where) ? sizeof(where) - 1 : (size_t)wl);
				if (ni < 0 || li < 0) {
					e = -ENOMEM;
					break;
				}
				snprintf(key, sizeof(key), "%ld,%ld", ni, li);
				fi = intern(&frames, key, strlen(key));
				if (fi < 0) {
					e = -ENOMEM;
					break;
				}
				fprintf(out, ",%ld", fi);
			}
			putc(']', out);
		}
		if (!e && small[0] + small[1] + small[2] >= 0.5) {
			long ni = intern(&names, "[small stacks]", 14), li = intern(&locs, "", 0), fi = -1;
			char key[40];

			snprintf(key, sizeof(key), "%ld,%ld", ni, li);
			if (ni >= 0 && li >= 0)
				fi = intern(&frames, key, strlen(key));
			if (fi < 0)
				e = -ENOMEM;
			else
				fprintf(out, "%s[%.0f,%.0f,%.0f,%ld]", first ? "" : ",", small[0], small[1],
					small[2], fi);
		}
		fputs("]}", out);
	}
	fputs("],\n\"names\":[", out);
	for (size_t i = 0; i < names.n; i++) {
		fputs(i ? "," : "", out);
		js_str(out, names.v[i], 4096);
	}
	fputs("],\n\"frames\":[", out);
	for (size_t i = 0; i < frames.n; i++) {
		long ni = strtol(frames.v[i], NULL, 10), li = strtol(strchr(frames.v[i], ',') + 1, NULL, 10);

		fprintf(out, "%s[%ld,", i ? "," : "", ni);
		js_str(out, locs.v[li], 4096);
		putc(']', out);
	}
	fprintf(out, "],\"pruned\":%s}", pruned ? "true" : "false");
	strtab_free(&names);
	strtab_free(&locs);
	strtab_free(&frames);
	return e;
}

static int data(const struct page *pg, FILE *out)
{
	const struct mstat_report *r = pg->r;
	const struct mstat_timeline *tl = &r->tl;
	unsigned cap;
	int e;

	fputs("<script id=data type=application/json>{\"version\":1,\n", out);
	fprintf(out, "\"duration\":%.9g,\"have_anon\":%s,\"have_rss\":%s,\n",
		(double)(tl->nbins * tl->bin_ns) / 1e9, r->have_anon ? "true" : "false",
		r->have_rss ? "true" : "false");
	fprintf(out, "\"peaks\":{\"heap\":[%lld,%.6f],\"total\":[%lld,%.6f],\"rss\":[%lld,%.6f]},\n",
		(long long)tl->peak, (double)(tl->peak_bin * tl->bin_ns) / 1e9,
		(long long)tl->cpeak[MSTAT_TOTAL], (double)(tl->cpeak_bin[MSTAT_TOTAL] * tl->bin_ns) / 1e9,
		(long long)tl->cpeak[MSTAT_RSS], (double)(tl->cpeak_bin[MSTAT_RSS] * tl->bin_ns) / 1e9);
	series(pg, out);
	fputs("\"cmds\":[", out);
	for (size_t i = 0; i < r->ncmds; i++) {
		const struct mstat_command *c = &r->cmds[i];

		fputs(i ? ",\n[" : "\n[", out);
		js_str(out, c->name, 200);
		fprintf(out, ",%zu,%llu,%llu,%lld,%lld,%llu,%llu,%lld,%lld,%lld]", c->count,
			(unsigned long long)c->allocs, (unsigned long long)c->alloc_bytes,
			(long long)c->peak_max, (long long)c->peak_sum, (unsigned long long)c->leaked_bytes,
			(unsigned long long)c->leaked_blocks, (long long)c->anon_max,
			(long long)c->total_max, (long long)c->rss_max);
	}
	fputs("],\n", out);
	procs(pg, out);
	e = curves(pg, out, &cap);
	if (e < 0)
		return e;
	fprintf(out, "\"curve_cap\":%u,\n", cap);
	e = flame(r, out);
	fputs("}</script>\n", out);
	return e;
}

static void tree(const struct page *pg, FILE *out)
{
	static const char *const cols[] = { "peak", "anon mmap", "resident", "allocs", "frees",
					    "leaked", "end", "start s", "end s", "<process" };
	const struct mstat_report *r = pg->r;
	struct mstat_row *rows;
	size_t n;
	char b[6][MSTAT_UNIT_LEN];

	if (mstat_fold(r, r->top, &rows, &n) < 0)
		return;
	fputs("<h2 id=tree>Process tree</h2><p class=muted>Heaviest subtrees first; runs of one command among siblings folded. Click a row for the process.</p><div class=twrap><table id=tree-table class=tree>",
	      out);
	th(out, cols, 10);
	for (size_t i = 0; i < n; i++) {
		const struct mstat_row *row = &rows[i];
		const struct mstat_image *im = &r->set->img[row->img];

		if (row->kind == MSTAT_ROW_MORE)
			fputs("<tr>", out);
		else
			fprintf(out, "<tr data-img=%ld>", pg->ids[row->img]);
		if (row->kind == MSTAT_ROW_NODE && im->virt) {
			fputs("<td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td>", out);
		} else if (row->kind == MSTAT_ROW_NODE) {
			fprintf(out, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%.3f</td><td>%.3f</td>",
				mstat_bytes(b[0], im->peak), mstat_bytes(b[1], (int64_t)im->anon_peak),
				im->rss_peak ? mstat_bytes(b[2], (int64_t)im->rss_peak) : "-",
				mstat_count(b[3], im->allocs), mstat_count(b[4], im->frees),
				mstat_image_leaks(im) ? mstat_bytes(b[5], (int64_t)im->live_bytes) : "-",
				im->end == MSTAT_END_EXIT ? "exit" : im->end == MSTAT_END_EXEC ? "exec" : "died",
				mstat_report_secs(r, im->t_first), mstat_report_secs(r, im->t_last));
		} else {
			fprintf(out, "<td>%s</td><td></td><td></td><td>%s</td><td></td><td>%s</td><td></td><td></td><td></td>",
				mstat_bytes(b[0], row->peak_max), mstat_count(b[1], row->allocs),
				row->leaked_bytes ? mstat_bytes(b[2], (int64_t)row->leaked_bytes) : "-");
		}
		fprintf(out, "<td class=l style='padding-left:%upx'>", 10 + 18 * row->depth);
		if (row->kind == MSTAT_ROW_NODE) {
			char gap[192];

			label(out, im);
			mstat_report_gap_mark(r, row->img, gap, sizeof(gap));
			if (gap[0]) {
				fputs(" <span class=muted>", out);
				mstat_html_str(out, gap);
				fputs("</span>", out);
			}
		} else if (row->kind == MSTAT_ROW_GROUP) {
			fputs("<b>", out);
			mstat_html_str(out, row->name);
			fprintf(out, " &times; %zu</b> <span class=muted>(peaks summed %s; largest below)</span>",
				row->count, mstat_bytes(b[0], row->peak_sum));
		} else {
			fprintf(out, "<span class=muted>&hellip; %zu more (peaks summed %s)</span>",
				row->count, mstat_bytes(b[0], row->peak_sum));
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
	free(rows);
}

/* The text report's Gaps paragraph and notes, as they are: untraced
 * children and execs with their causes, deaths, cut logs, a threaded
 * peak's slack. */
static void gaps(const struct mstat_report *r, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return;
	mstat_report_text_gaps(r, m);
	if (fclose(m) == 0 && len) {
		char *p = text;

		while (*p == '\n')
			p++;
		if (!strncmp(p, "Gaps: ", 6))
			p += 6;
		fputs("<h2 id=gaps>Gaps</h2>", out);
		for (char *line = p, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			if (!*line)
				continue;
			fputs("<p class=gaps>", out);
			mstat_html_str(out, line);
			fputs("</p>\n", out);
		}
	}
	free(text);
}

static void estimate(const struct mstat_report *r, FILE *out)
{
	const struct mstat_estimate *e = &r->est;
	char b[5][MSTAT_UNIT_LEN];

	if ((!r->have_anon && !r->have_rss) || e->cmd < 0)
		return;
	const struct mstat_command *c = &r->cmds[e->cmd];
	enum mstat_series m = e->metric;
	const char *what = m == MSTAT_RSS ? "resident" : "heap + anonymous mmap";

	fputs("<h2>Parallel jobs</h2><p id=estimate>The heaviest job is <b>", out);
	mstat_html_str(out, c->name);
	fprintf(out, "</b> (%zu %s): at most %s %s in one run. N of them at once need about N &times; %s + %s, the most all other commands held together. This assumes every job needs as much as the heaviest run and that their peaks coincide: an upper bound; this run reached %s.",
		c->count, c->count == 1 ? "run" : "runs", mstat_bytes(b[0], e->per_job[m]), what,
		mstat_bytes(b[1], e->per_job[m]), mstat_bytes(b[2], e->rest[m]),
		mstat_bytes(b[3], r->tl.cpeak[m]));
	if (e->ram && e->per_job[m] > 0)
		fprintf(out, " In %s of RAM (%s): %lld of them at once.", mstat_bytes(b[4], (int64_t)e->ram),
			e->ram_given ? "--ram" : "MemTotal of the machine that made this page",
			(long long)e->fit);
	fputs("</p><ul id=estimate-jobs>", out);
	for (unsigned i = 0; i < e->njobs; i++)
		fprintf(out, "<li>-j%u: %s %s</li>", e->jobs[i],
			mstat_bytes(b[0], (int64_t)e->jobs[i] * e->per_job[m] + e->rest[m]), what);
	fputs("</ul>\n", out);
}

static void at_peak(const struct page *pg, FILE *out)
{
	static const char *const cols[] = { "heap", "<process" };
	const struct mstat_report *r = pg->r;
	char b[MSTAT_UNIT_LEN];
	size_t n = r->nat_peak < 20 ? r->nat_peak : 20;

	fprintf(out, "<h2>At the heap&#39;s peak (%.2f s)</h2><div class=twrap><table id=peak-table>",
		(double)(r->tl.peak_bin * r->tl.bin_ns) / 1e9);
	th(out, cols, 2);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "<tr data-img=%ld><td>%s</td><td class=l>", pg->ids[r->at_peak[i].img],
			mstat_bytes(b, r->at_peak[i].bytes));
		label(out, &r->set->img[r->at_peak[i].img]);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
	if (r->nat_peak > n)
		fprintf(out, "<p class=muted>and %zu more %s.</p>\n", r->nat_peak - n,
			r->nat_peak - n == 1 ? "process" : "processes");
}

static void problems(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;
	unsigned shown = 0;

	if (!set->problems)
		return;
	fprintf(out, "<h2>Problems in the logs (%llu)</h2><ul id=problems>\n",
		(unsigned long long)set->problems);
	for (size_t k = 0; k < set->n && shown < 200; k++) {
		const struct mstat_image *im = &set->img[k];

		for (unsigned i = 0; i < im->diag.nkept && shown < 200; i++, shown++) {
			fputs("<li>", out);
			mstat_html_str(out, im->path);
			if (im->diag.kept[i].line)
				fprintf(out, ":%llu", (unsigned long long)(im->line0 + im->diag.kept[i].line));
			fputs(": ", out);
			mstat_html_str(out, im->diag.kept[i].msg);
			fputs("</li>\n", out);
		}
	}
	fputs("</ul>\n", out);
}

int mstat_report_html(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;
	const struct mstat_timeline *tl = &r->tl;
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], b3[MSTAT_UNIT_LEN];
	struct page pg = { .r = r };
	int e = 0;

	pg.ids = malloc((set->n + 1) * sizeof(*pg.ids));
	pg.cmd = malloc((set->n + 1) * sizeof(*pg.cmd));
	if (!pg.ids || !pg.cmd) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		pg.ids[k] = mstat_tree_shown(im) ? (long)pg.nshown++ : -1;
		pg.cmd[k] = -1;
		if (pg.ids[k] < 0 || im->virt)
			continue;
		for (size_t i = 0; i < r->ncmds; i++)
			if (!strcmp(r->cmds[i].name, mstat_image_command(im))) {
				pg.cmd[k] = (long)i;
				break;
			}
	}
	fprintf(out, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'><title>malloc-stat report</title><style>%s</style></head><body><main>\n",
		mstat_report_css);
	fprintf(out, "<h1>malloc-stat: %zu %s, %zu %s</h1>\n<p>", r->processes,
		r->processes == 1 ? "process" : "processes", r->images,
		r->images == 1 ? "image" : "images");
	if (r->log_dir) {
		fputs("Logs in ", out);
		mstat_html_str(out, r->log_dir);
	} else {
		for (size_t i = 0; i < r->ninputs; i++) {
			fputs(i ? ", " : "From ", out);
			mstat_html_str(out, r->inputs[i]);
		}
	}
	fprintf(out, ". %s allocations, %s allocated, %s leaked in %llu %s.</p>\n",
		mstat_count(b1, r->allocs), mstat_bytes(b2, (int64_t)r->alloc_bytes),
		mstat_bytes(b3, (int64_t)r->leaked_bytes), (unsigned long long)r->leaked_images,
		r->leaked_images == 1 ? "process" : "processes");
	fputs("<noscript><p><b>The charts, tables and flame graphs need JavaScript.</b></p></noscript>\n", out);
	fprintf(out, "<h2>Memory of the whole tree</h2><p id=summary>Heap peak %s at %.2f s, at most %u %s alive at once. Fork children count only the blocks they allocated; inherited blocks count in their parent.",
		mstat_bytes(b1, tl->peak), (double)(tl->peak_bin * tl->bin_ns) / 1e9, r->live_max,
		r->live_max == 1 ? "process" : "processes");
	if (r->have_anon || r->have_rss)
		fprintf(out, " Heap + anonymous mmap peak %s at %.2f s; resident peak %s at %.2f s (resident sizes summed over processes count shared pages in each).",
			mstat_bytes(b2, tl->cpeak[MSTAT_TOTAL]),
			(double)(tl->cpeak_bin[MSTAT_TOTAL] * tl->bin_ns) / 1e9,
			mstat_bytes(b3, tl->cpeak[MSTAT_RSS]),
			(double)(tl->cpeak_bin[MSTAT_RSS] * tl->bin_ns) / 1e9);
	fputs("</p>\n<div id=chart-box><div id=legend></div><div id=chart class=chart></div><div id=readout class=muted></div>\n"
	      "<div class=tbar><span>Shown: <span id=range></span></span><button id=zoom-out disabled>zoom out</button><button id=zoom-reset disabled>reset zoom</button></div></div>\n"
	      "<h3>Processes alive in the range shown</h3><div id=alive></div><div id=proc hidden></div>\n",
	      out);
	estimate(r, out);
	at_peak(&pg, out);
	fputs("<h2>Processes</h2><p class=muted>Every process image; click a row for its own curve and figures.</p><div id=procs></div>\n"
	      "<h2>Commands</h2><p class=muted>Images grouped by command; highest per invocation, and peaks summed. Click a row to list its processes.</p><div id=commands></div>\n"
	      "<h2>Leaks</h2><p class=muted>Blocks a process allocated itself and still held at exit or death (a fork child&#39;s inherited blocks count in its parent).</p><div id=leaks></div>\n",
	      out);
	if (r->stacks && r->stacks->nex)
		fputs("<h2>Flame graphs</h2><div id=flame></div>\n", out);
	tree(&pg, out);
	gaps(r, out);
	problems(r, out);
	fputs("</main>\n", out);
	e = data(&pg, out);
	fprintf(out, "<script>%s</script>\n</body></html>\n", mstat_report_js);
out:
	free(pg.ids);
	free(pg.cmd);
	if (!e && ferror(out))
		e = -EIO;
	return e;
}
