/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The HTML report: one self-contained page (inline CSS, SVG and a few
 * lines of script, nothing fetched) with the whole tree's heap over time
 * and the tables of the text report.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "units.h"

#define W 960
#define H 320
#define ML 80
#define MR 20
#define MT 20
#define MB 40
#define POINTS 1200

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
	"h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
	"table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
	"td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}"
	"td.l,th.l{text-align:left;white-space:normal}"
	"th{background:#f4f4f4}.muted{color:#888}"
	"svg text{font:11px sans-serif;fill:#444}"
	".tree td.l{font-family:monospace}";

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
	mstat_image_cmdline(im, buf, sizeof(buf), 160);
	mstat_html_str(out, buf);
	fprintf(out, " <span class=muted>[%lld%s]</span>", (long long)im->pid,
		im->rel == MSTAT_REL_FORK ? " fork" : im->rel == MSTAT_REL_EXEC ? " exec" :
		im->rel == MSTAT_REL_CLONE ? " clone" : "");
}

/* A round step for about five ticks over [0, max]. */
static double nice_step(double max)
{
	double raw = max / 5, p = 1;

	while (p * 10 <= raw)
		p *= 10;
	while (p > raw && p > 1e-9)
		p /= 10;
	return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

static double byte_step(double max)
{
	double unit = 1;

	while (unit * 1024 <= max / 2)
		unit *= 1024;
	return nice_step(max / unit) * unit;
}

/* The highest of curve c over each group of step bins. */
static int64_t group_max(const struct mstat_timeline *tl, unsigned c, size_t i, size_t step)
{
	int64_t m = 0;

	for (size_t k = i * step; k < (i + 1) * step && k < tl->nbins; k++)
		if (tl->curve[c][k] > m)
			m = tl->curve[c][k];
	return m;
}

static const struct {
	const char *id, *name, *stroke, *fill;
} curves[MSTAT_NSERIES] = {
	[MSTAT_HEAP] = { "heap-line", "malloc heap", "#3478c8", "rgba(52,120,200,0.25)" },
	[MSTAT_ANON] = { "anon-line", "anonymous mmap", "#d08a1c", "none" },
	[MSTAT_TOTAL] = { "total-area", "heap + anonymous mmap", "#bbb", "rgba(160,160,160,0.18)" },
	[MSTAT_RSS] = { "rss-line", "resident", "#2a9d4b", "none" },
};

static void chart(const struct mstat_report *r, FILE *out)
{
	static const unsigned order[] = { MSTAT_TOTAL, MSTAT_HEAP, MSTAT_ANON, MSTAT_RSS };
	const struct mstat_timeline *tl = &r->tl;
	size_t step = (tl->nbins + POINTS - 1) / POINTS, np;
	double dur = (double)(tl->nbins * tl->bin_ns) / 1e9;
	double ymax = 0, ys, xs;
	double pw = W - ML - MR, ph = H - MT - MB;
	bool more = r->have_anon || r->have_rss;
	char b[MSTAT_UNIT_LEN];

	for (unsigned c = 0; c < MSTAT_NSERIES; c++)
		if ((double)tl->cpeak[c] > ymax && (more || c == MSTAT_HEAP))
			ymax = (double)tl->cpeak[c];
	ymax = ymax > 0 ? ymax * 1.08 : 1024;
	if (!step)
		step = 1;
	np = (tl->nbins + step - 1) / step;
	fprintf(out, "<svg id=heap-chart xmlns='http://www.w3.org/2000/svg' width=%d height=%d viewBox='0 0 %d %d' role=img aria-label='memory of the whole tree over time'>\n",
		W, H, W, H);
	fprintf(out, "<rect x=%d y=%d width=%.0f height=%.0f fill='#fafafa' stroke='#ccc'/>\n", ML, MT,
		pw, ph);
	ys = byte_step(ymax);
	for (double y = 0; y <= ymax; y += ys) {
		double py = MT + ph - y / ymax * ph;

		fprintf(out, "<line x1=%d x2=%.0f y1=%.1f y2=%.1f stroke='#e4e4e4'/><text x=%d y=%.1f text-anchor=end>%s</text>\n",
			ML, ML + pw, py, py, ML - 6, py + 4, mstat_bytes(b, (int64_t)y));
	}
	xs = nice_step(dur > 0 ? dur : 1);
	for (double x = 0; x <= dur + 1e-9; x += xs) {
		double px = ML + (dur > 0 ? x / dur : 0) * pw;

		fprintf(out, "<line x1=%.1f x2=%.1f y1=%d y2=%.0f stroke='#e4e4e4'/><text x=%.1f y=%.0f text-anchor=middle>%g s</text>\n",
			px, px, MT, MT + ph, px, MT + ph + 16, x);
	}
	fprintf(out, "<text x=%.0f y=%d text-anchor=middle>time since the first process started</text>\n",
		ML + pw / 2, H - 4);
	/* Step lines, highest of each group of bins; the heap and the total
	 * filled down to the axis. */
	for (unsigned o = 0; o < MSTAT_NSERIES; o++) {
		unsigned c = order[o];
		bool fill = strcmp(curves[c].fill, "none") != 0;

		if (!more && c != MSTAT_HEAP)
			continue;
		if (c == MSTAT_RSS && !r->have_rss)
			continue;
		fprintf(out, "<path id=%s fill='%s' stroke='%s' stroke-width=%s d='M%d %.1f", curves[c].id,
			curves[c].fill, curves[c].stroke, c == MSTAT_TOTAL ? "0.8" : "1.4", ML, MT + ph);
		for (size_t i = 0; i < np; i++) {
			double x0 = ML + (double)i / (double)np * pw, x1 = ML + (double)(i + 1) / (double)np * pw;
			double y = MT + ph - (double)group_max(tl, c, i, step) / ymax * ph;

			fprintf(out, "%s%.1f %.1f L%.1f %.1f", i || fill ? " L" : " M", x0, y, x1, y);
		}
		if (fill)
			fprintf(out, " L%.1f %.1f Z", ML + pw, MT + ph);
		fputs("'/>\n", out);
	}
	if (tl->peak > 0) {
		double px = ML + ((double)tl->peak_bin + 0.5) / (double)tl->nbins * pw;
		double py = MT + ph - (double)tl->peak / ymax * ph;

		fprintf(out, "<circle id=heap-peak cx=%.1f cy=%.1f r=4 fill='#c83434'/><text x=%.1f y=%.1f text-anchor=%s fill='#c83434'>heap peak %s at %.2f s</text>\n",
			px, py, px + (px > ML + pw * 0.7 ? -8 : 8), py + 4,
			px > ML + pw * 0.7 ? "end" : "start", mstat_bytes(b, tl->peak),
			(double)(tl->peak_bin * tl->bin_ns) / 1e9);
	}
	if (more && tl->cpeak[MSTAT_TOTAL] > tl->peak) {
		size_t pb = tl->cpeak_bin[MSTAT_TOTAL];
		double px = ML + ((double)pb + 0.5) / (double)tl->nbins * pw;
		double py = MT + ph - (double)tl->cpeak[MSTAT_TOTAL] / ymax * ph;

		fprintf(out, "<circle id=total-peak cx=%.1f cy=%.1f r=4 fill='#555'/><text x=%.1f y=%.1f text-anchor=%s fill='#555'>total %s at %.2f s</text>\n",
			px, py, px + (px > ML + pw * 0.7 ? -8 : 8), py - 6,
			px > ML + pw * 0.7 ? "end" : "start", mstat_bytes(b, tl->cpeak[MSTAT_TOTAL]),
			(double)(pb * tl->bin_ns) / 1e9);
	}
	if (more) {
		/* The legend, top left. */
		double lx = ML + 10;

		for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
			if (c == MSTAT_RSS && !r->have_rss)
				continue;
			fprintf(out, "<rect x=%.0f y=%d width=12 height=4 fill='%s'/><text x=%.0f y=%d>%s</text>\n",
				lx, MT + 8, curves[c].stroke, lx + 16, MT + 13, curves[c].name);
			lx += 30 + 6.2 * (double)strlen(curves[c].name);
		}
	}
	fputs("<text id=heap-hover x=90 y=50></text></svg>\n", out);
	/* Hover read-out: the series are embedded, nothing is fetched. */
	fprintf(out, "<script>(function(){var s=[");
	for (unsigned c = 0; c < MSTAT_NSERIES; c++) {
		fputs(c ? "],[" : "[", out);
		for (size_t i = 0; i < np; i++)
			fprintf(out, "%s%lld", i ? "," : "", (long long)group_max(tl, c, i, step));
	}
	fprintf(out, "]],n=['heap','anon mmap','total','resident'],k=%d,d=%.6f,svg=document.getElementById('heap-chart'),t=document.getElementById('heap-hover');"
		"function h(b){var u=['B','KiB','MiB','GiB','TiB'],i=0;while(b>=1024&&i<4){b/=1024;i++}return (i?b.toFixed(1):b)+' '+u[i]}"
		"svg.addEventListener('mousemove',function(e){var r=svg.getBoundingClientRect(),x=(e.clientX-r.left)*%d/r.width-%d,"
		"i=Math.floor(x/%.1f*s[0].length);if(i<0||i>=s[0].length){t.textContent='';return}"
		"var v=(i/s[0].length*d).toFixed(2)+' s:';for(var c=0;c<k;c++)v+=' '+n[c]+' '+h(s[c][i]);t.textContent=v});})();</script>\n",
		more ? (r->have_rss ? 4 : 3) : 1, dur, W, ML, pw);
}

static void tree(const struct mstat_report *r, FILE *out)
{
	static const char *const cols[] = { "peak", "allocs", "frees", "leaked", "end", "start s",
					    "end s", "<process" };
	struct mstat_row *rows;
	size_t n;
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], b3[MSTAT_UNIT_LEN], b4[MSTAT_UNIT_LEN];

	if (mstat_fold(r, r->top, &rows, &n) < 0)
		return;
	fputs("<h2>Process tree</h2><table id=tree-table class=tree>", out);
	th(out, cols, 8);
	for (size_t i = 0; i < n; i++) {
		const struct mstat_row *row = &rows[i];
		const struct mstat_image *im = &r->set->img[row->img];

		if (row->kind == MSTAT_ROW_NODE && im->virt) {
			fprintf(out, "<tr><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td class=l style='padding-left:%upx'>",
				10 + 18 * row->depth);
		} else if (row->kind == MSTAT_ROW_NODE) {
			fprintf(out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%.3f</td><td>%.3f</td><td class=l style='padding-left:%upx'>",
				mstat_bytes(b1, im->peak), mstat_count(b2, im->allocs),
				mstat_count(b3, im->frees),
				mstat_image_leaks(im) ? mstat_bytes(b4, (int64_t)im->live_bytes) : "-",
				im->end == MSTAT_END_EXIT ? "exit" : im->end == MSTAT_END_EXEC ? "exec" : "died",
				mstat_report_secs(r, im->t_first), mstat_report_secs(r, im->t_last),
				10 + 18 * row->depth);
		} else {
			fprintf(out, "<tr><td>%s</td><td>%s</td><td></td><td>%s</td><td></td><td></td><td></td><td class=l style='padding-left:%upx'>",
				mstat_bytes(b1, row->peak_max), mstat_count(b2, row->allocs),
				row->leaked_bytes ? mstat_bytes(b3, (int64_t)row->leaked_bytes) : "-",
				10 + 18 * row->depth);
		}
		if (row->kind == MSTAT_ROW_NODE) {
			label(out, im);
		} else if (row->kind == MSTAT_ROW_GROUP) {
			fputs("<b>", out);
			mstat_html_str(out, row->name);
			fprintf(out, " &times; %zu</b> <span class=muted>(peaks summed %s; largest below)</span>",
				row->count, mstat_bytes(b1, row->peak_sum));
		} else {
			fprintf(out, "<span class=muted>&hellip; %zu more (peaks summed %s)</span>",
				row->count, mstat_bytes(b1, row->peak_sum));
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	free(rows);
}

static void commands(const struct mstat_report *r, FILE *out)
{
	static const char *const cols[] = { "<command", "count", "calls", "allocated",
					    "peak max", "peak sum", "leaked" };
	char b[5][MSTAT_UNIT_LEN];

	fputs("<h2>Commands</h2><table id=commands-table>", out);
	th(out, cols, 7);
	for (size_t i = 0; i < r->ncmds; i++) {
		const struct mstat_command *c = &r->cmds[i];

		fputs("<tr><td class=l>", out);
		mstat_html_str(out, c->name);
		fprintf(out, "</td><td>%zu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			c->count, mstat_count(b[0], c->allocs + c->frees),
			mstat_bytes(b[1], (int64_t)c->alloc_bytes), mstat_bytes(b[2], c->peak_max),
			mstat_bytes(b[3], c->peak_sum),
			c->leaked_bytes ? mstat_bytes(b[4], (int64_t)c->leaked_bytes) : "-");
	}
	fputs("</tbody></table>\n", out);
}

static void memory(const struct mstat_report *r, FILE *out)
{
	static const char *const cols[] = { "<command", "count", "heap", "anon mmap", "heap+anon",
					    "resident", "<mostly" };
	const struct mstat_estimate *e = &r->est;
	char b[5][MSTAT_UNIT_LEN];

	if (!r->have_anon && !r->have_rss)
		return;
	fputs("<h2>Memory per command (highest per invocation)</h2><table id=memory-table>", out);
	th(out, cols, 7);
	for (size_t i = 0; i < r->ncmds; i++) {
		const struct mstat_command *c = &r->cmds[i];

		fputs("<tr><td class=l>", out);
		mstat_html_str(out, c->name);
		fprintf(out, "</td><td>%zu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=l>%s</td></tr>\n",
			c->count, mstat_bytes(b[0], c->peak_max), mstat_bytes(b[1], c->anon_max),
			mstat_bytes(b[2], c->total_max), c->rss_max ? mstat_bytes(b[3], c->rss_max) : "-",
			c->anon_max > c->peak_max ? "anon mmap" : "malloc heap");
	}
	fputs("</tbody></table>\n", out);
	if (e->cmd < 0)
		return;
	const struct mstat_command *c = &r->cmds[e->cmd];
	enum mstat_series m = e->metric;
	const char *what = m == MSTAT_RSS ? "resident" : "heap + anonymous mmap";

	fputs("<h2>Parallel jobs</h2><p id=estimate>The heaviest command per invocation is <b>", out);
	mstat_html_str(out, c->name);
	fprintf(out, "</b> (%zu runs): at most %s %s each. For N of them at once: N &times; %s + %s, what the other processes held at the tree&#39;s %s peak. An upper bound: it assumes the N peaks coincide; this run reached %s.</p><ul id=estimate-jobs>",
		c->count, mstat_bytes(b[0], e->per_job[m]), what, mstat_bytes(b[1], e->per_job[m]),
		mstat_bytes(b[2], e->rest[m]), what, mstat_bytes(b[3], r->tl.cpeak[m]));
	for (unsigned i = 0; i < e->njobs; i++)
		fprintf(out, "<li>-j%u: %s %s</li>", e->jobs[i],
			mstat_bytes(b[0], (int64_t)e->jobs[i] * e->per_job[m] + e->rest[m]), what);
	fputs("</ul>\n", out);
}

static void at_peak(const struct mstat_report *r, FILE *out)
{
	static const char *const cols[] = { "heap", "<process" };
	char b[MSTAT_UNIT_LEN];

	fprintf(out, "<h2>At the peak (%.2f s)</h2><table id=peak-table>",
		(double)(r->tl.peak_bin * r->tl.bin_ns) / 1e9);
	th(out, cols, 2);
	for (size_t i = 0; i < r->nat_peak; i++) {
		fprintf(out, "<tr><td>%s</td><td class=l>", mstat_bytes(b, r->at_peak[i].bytes));
		label(out, &r->set->img[r->at_peak[i].img]);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void leaks(const struct mstat_report *r, FILE *out)
{
	static const char *const cols[] = { "leaked", "blocks", "requested", "end", "<process" };
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN];

	fputs("<h2>Leaks</h2><table id=leaks-table>", out);
	th(out, cols, 5);
	for (size_t k = 0; k < r->set->n; k++) {
		const struct mstat_image *im = &r->set->img[k];

		if (!mstat_image_leaks(im))
			continue;
		fprintf(out, "<tr><td>%s</td><td>%llu</td><td>%s</td><td>%s</td><td class=l>",
			mstat_bytes(b1, (int64_t)im->live_bytes), (unsigned long long)im->live_blocks,
			mstat_bytes(b2, (int64_t)im->live_req),
			im->end == MSTAT_END_EXIT ? "exit" : "died");
		label(out, im);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void problems(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;

	if (!set->problems)
		return;
	fprintf(out, "<h2>Problems in the logs (%llu)</h2><ul id=problems>\n",
		(unsigned long long)set->problems);
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		for (unsigned i = 0; i < im->diag.nkept; i++) {
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
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], b3[MSTAT_UNIT_LEN];

	fprintf(out, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>malloc-stat report</title><style>%s</style></head><body>\n",
		css);
	fprintf(out, "<h1>malloc-stat: %zu processes, %zu images</h1>\n<p>", r->processes, r->images);
	if (r->log_dir) {
		fputs("Logs in ", out);
		mstat_html_str(out, r->log_dir);
	} else {
		for (size_t i = 0; i < r->ninputs; i++) {
			fputs(i ? ", " : "From ", out);
			mstat_html_str(out, r->inputs[i]);
		}
	}
	fprintf(out, ". %s allocations, %s allocated, %s leaked in %llu processes.</p>\n",
		mstat_count(b1, r->allocs), mstat_bytes(b2, (int64_t)r->alloc_bytes),
		mstat_bytes(b3, (int64_t)r->leaked_bytes), (unsigned long long)r->leaked_images);
	fprintf(out, "<h2>Memory of the whole tree</h2><p>Heap peak %s at %.2f s, at most %u processes alive at once. Fork children count only the blocks they allocated; inherited blocks count in their parent.",
		mstat_bytes(b1, r->tl.peak), (double)(r->tl.peak_bin * r->tl.bin_ns) / 1e9,
		r->live_max);
	if (r->have_anon || r->have_rss)
		fprintf(out, " Heap + anonymous mmap peak %s at %.2f s; resident peak %s at %.2f s (resident sizes summed over processes count shared pages in each).",
			mstat_bytes(b2, r->tl.cpeak[MSTAT_TOTAL]),
			(double)(r->tl.cpeak_bin[MSTAT_TOTAL] * r->tl.bin_ns) / 1e9,
			mstat_bytes(b3, r->tl.cpeak[MSTAT_RSS]),
			(double)(r->tl.cpeak_bin[MSTAT_RSS] * r->tl.bin_ns) / 1e9);
	fputs("</p>\n", out);
	chart(r, out);
	memory(r, out);
	at_peak(r, out);
	tree(r, out);
	commands(r, out);
	leaks(r, out);
	problems(r, out);
	fputs("</body></html>\n", out);
	return ferror(out) ? -5 : 0;
}
