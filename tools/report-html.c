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

static void chart(const struct mstat_report *r, FILE *out)
{
	const struct mstat_timeline *tl = &r->tl;
	size_t step = (tl->nbins + POINTS - 1) / POINTS, np;
	double dur = (double)(tl->nbins * tl->bin_ns) / 1e9;
	double ymax = tl->peak > 0 ? (double)tl->peak * 1.08 : 1024, ys, xs;
	double pw = W - ML - MR, ph = H - MT - MB;
	char b[MSTAT_UNIT_LEN];

	if (!step)
		step = 1;
	np = (tl->nbins + step - 1) / step;
	fprintf(out, "<svg id=heap-chart xmlns='http://www.w3.org/2000/svg' width=%d height=%d viewBox='0 0 %d %d' role=img aria-label='heap in use by the whole tree over time'>\n",
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
	/* A step line, highest of each group of bins. */
	fprintf(out, "<path id=heap-line fill='rgba(52,120,200,0.25)' stroke='#3478c8' stroke-width=1.2 d='M%d %.1f", ML,
		MT + ph);
	for (size_t i = 0; i < np; i++) {
		int64_t m = 0;

		for (size_t k = i * step; k < (i + 1) * step && k < tl->nbins; k++)
			if (tl->total[k] > m)
				m = tl->total[k];
		double x0 = ML + (double)i / (double)np * pw, x1 = ML + (double)(i + 1) / (double)np * pw;
		double y = MT + ph - (double)m / ymax * ph;

		fprintf(out, " L%.1f %.1f L%.1f %.1f", x0, y, x1, y);
	}
	fprintf(out, " L%.1f %.1f Z'/>\n", ML + pw, MT + ph);
	if (tl->peak > 0) {
		double px = ML + ((double)tl->peak_bin + 0.5) / (double)tl->nbins * pw;
		double py = MT + ph - (double)tl->peak / ymax * ph;

		fprintf(out, "<circle id=heap-peak cx=%.1f cy=%.1f r=4 fill='#c83434'/><text x=%.1f y=%.1f text-anchor=%s fill='#c83434'>peak %s at %.2f s</text>\n",
			px, py, px + (px > ML + pw * 0.7 ? -8 : 8), py + 4,
			px > ML + pw * 0.7 ? "end" : "start", mstat_bytes(b, tl->peak),
			(double)(tl->peak_bin * tl->bin_ns) / 1e9);
	}
	fputs("<text id=heap-hover x=90 y=34></text></svg>\n", out);
	/* Hover read-out: the series is embedded, nothing is fetched. */
	fprintf(out, "<script>(function(){var s=[");
	for (size_t i = 0; i < np; i++) {
		int64_t m = 0;

		for (size_t k = i * step; k < (i + 1) * step && k < tl->nbins; k++)
			if (tl->total[k] > m)
				m = tl->total[k];
		fprintf(out, "%s%lld", i ? "," : "", (long long)m);
	}
	fprintf(out, "],d=%.6f,svg=document.getElementById('heap-chart'),t=document.getElementById('heap-hover');"
		"function h(b){var u=['B','KiB','MiB','GiB','TiB'],i=0;while(b>=1024&&i<4){b/=1024;i++}return (i?b.toFixed(1):b)+' '+u[i]}"
		"svg.addEventListener('mousemove',function(e){var r=svg.getBoundingClientRect(),x=(e.clientX-r.left)*%d/r.width-%d,"
		"i=Math.floor(x/%.1f*s.length);if(i<0||i>=s.length){t.textContent='';return}"
		"t.textContent=(i/s.length*d).toFixed(2)+' s: '+h(s[i])});})();</script>\n",
		dur, W, ML, pw);
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
	fprintf(out, "<h2>Heap in use by the whole tree</h2><p>Peak %s at %.2f s, at most %u processes alive at once. Fork children count only the blocks they allocated; inherited blocks count in their parent.</p>\n",
		mstat_bytes(b1, r->tl.peak), (double)(r->tl.peak_bin * r->tl.bin_ns) / 1e9,
		r->live_max);
	chart(r, out);
	at_peak(r, out);
	tree(r, out);
	commands(r, out);
	leaks(r, out);
	problems(r, out);
	fputs("</body></html>\n", out);
	return ferror(out) ? -5 : 0;
}
