/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The text report: the whole tree's peak and who made it, the folded
 * process tree, per-command totals, leaks, gaps and problems, in human
 * units on lines that fit the terminal.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "units.h"

/* "1 process", "2 processes". */
static const char *plural(uint64_t n, const char *one, const char *more)
{
	return n == 1 ? one : more;
}

static const char *end_name(const struct mstat_image *im)
{
	if (im->virt)
		return "";
	switch (im->end) {
	case MSTAT_END_EXIT: return "exit";
	case MSTAT_END_EXEC: return "exec";
	case MSTAT_END_CUT: return "log cut";
	default: return "died";
	}
}

static const char *rel_tag(enum mstat_rel rel)
{
	switch (rel) {
	case MSTAT_REL_FORK: return " fork";
	case MSTAT_REL_CLONE: return " clone";
	case MSTAT_REL_EXEC: return " exec";
	default: return "";
	}
}

/* "name job-args [pid tag]" cut to fit max columns; a pid that two
 * processes had gets the start of this one ("[10002 at 1.250 s]"); with
 * logs of several machines, the machine ("[10002 on ci-3]"). */
static void label(const struct mstat_report *r, const struct mstat_image *im, char *buf,
		  size_t cap, size_t max)
{
	char tail[160], at[48] = "", host[72] = "";
	size_t tl, n;

	if (r->hosts > 1) {
		memcpy(host, " on ", 4);
		mstat_text_escape(host + 4, sizeof(host) - 4, im->host && *im->host ? im->host : "?");
	}
	if (im->virt) {
		char path[256];

		mstat_text_escape(path, sizeof(path), im->exec_path ? im->exec_path : "?");
		if (im->rel == MSTAT_REL_EXEC)
			snprintf(buf, cap, "[exec'd %s%s: not traced]", path, host);
		else
			snprintf(buf, cap, "[pid %lld%s: not traced]", (long long)im->pid, host);
		return;
	}
	if (im->pid_reused)
		snprintf(at, sizeof(at), " at %.3f s", mstat_report_secs(r, im->t_first));
	tl = (size_t)snprintf(tail, sizeof(tail), " [%lld%s%s%s]", (long long)im->pid, host, at,
			      rel_tag(im->rel));
	n = mstat_image_label(im, buf, cap, max > tl + 8 ? max - tl : 8);
	if (n + tl < cap)
		memcpy(buf + n, tail, tl + 1);
}

static void tree(const struct mstat_report *r, FILE *out)
{
	struct mstat_row *rows;
	size_t n;
	bool open[64] = { 0 };	/* an ancestor at this depth has siblings below */
	int room = r->width - 64;

	if (mstat_fold(r, r->top, &rows, &n) < 0)
		return;
	fprintf(out, "\nProcess tree (heaviest subtrees first%s):\n",
		r->top ? "; --top 0 shows all" : "");
	fprintf(out, "%10s %10s %10s %8s %8s %9s %-4s  %s\n", "PEAK", "ANON MMAP", "RESIDENT",
		"ALLOCS", "FREES", "LEAKED", "END", "PROCESS");
	for (size_t i = 0; i < n; i++) {
		const struct mstat_row *row = &rows[i];
		char pre[256] = "", text[1024], b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN],
		     b3[MSTAT_UNIT_LEN], b4[MSTAT_UNIT_LEN], b5[MSTAT_UNIT_LEN], b6[MSTAT_UNIT_LEN];
		size_t pl = 0;
		unsigned d = row->depth < 63 ? row->depth : 63;

		for (unsigned l = 1; l < d && pl + 4 < sizeof(pre); l++) {
			memcpy(pre + pl, open[l] ? "|  " : "   ", 3);
			pl += 3;
		}
		if (d) {
			memcpy(pre + pl, row->last ? "`- " : "|- ", 3);
			pl += 3;
		}
		pre[pl] = '\0';
		open[d] = !row->last;
		int max = room - (int)pl > 24 ? room - (int)pl : 24;

		if (row->kind == MSTAT_ROW_NODE) {
			const struct mstat_image *im = &r->set->img[row->img];
			bool lk = mstat_image_leaks(im);

			char gap[192];
			size_t gl;

			mstat_report_gap_mark(r, row->img, gap, sizeof(gap));
			gl = strlen(gap);
			label(r, im, text, sizeof(text) - gl,
			      (size_t)(max > (int)gl + 24 ? max - (int)gl : 24));
			memcpy(text + strlen(text), gap, gl + 1);
			if (im->virt)
				fprintf(out, "%10s %10s %10s %8s %8s %9s %-4s  %s%s\n", "", "", "", "", "", "",
					"", pre, text);
			else
				fprintf(out, "%10s %10s %10s %8s %8s %9s %-4s  %s%s\n",
					mstat_bytes(b1, im->peak),
					im->anon_peak ? mstat_bytes(b5, (int64_t)im->anon_peak) : "-",
					im->rss_peak ? mstat_bytes(b6, (int64_t)im->rss_peak) : "-",
					mstat_count(b2, im->allocs), mstat_count(b3, im->frees),
					lk ? mstat_bytes(b4, (int64_t)im->live_bytes) : "-",
					end_name(im), pre, text);
		} else if (row->kind == MSTAT_ROW_GROUP) {
			char name[128];

			mstat_text_escape(name, sizeof(name), row->name);
			snprintf(text, sizeof(text), "%s x %zu (peaks summed %s; largest below)",
				 name, row->count, mstat_bytes(b4, row->peak_sum));
			fprintf(out, "%10s %10s %10s %8s %8s %9s %-4s  %s%s\n", mstat_bytes(b1, row->peak_max),
				"", "", mstat_count(b2, row->allocs), "", row->leaked_bytes ?
				mstat_bytes(b3, (int64_t)row->leaked_bytes) : "-", "", pre, text);
		} else {
			snprintf(text, sizeof(text), "... %zu more (peaks summed %s)", row->count,
				 mstat_bytes(b4, row->peak_sum));
			fprintf(out, "%10s %10s %10s %8s %8s %9s %-4s  %s%s\n", mstat_bytes(b1, row->peak_max),
				"", "", mstat_count(b2, row->allocs), "", row->leaked_bytes ?
				mstat_bytes(b3, (int64_t)row->leaked_bytes) : "-", "", pre, text);
		}
	}
	free(rows);
}

static void commands(const struct mstat_report *r, FILE *out)
{
	size_t lim = r->top && r->ncmds > r->top ? r->top : r->ncmds;
	size_t room = r->width > 81 + 24 ? (size_t)r->width - 81 : 24;
	char b[6][MSTAT_UNIT_LEN], name[128], text[512];

	fprintf(out, "\nCommands (all invocations, by summed peak):\n");
	fprintf(out, "  %-16s %6s %9s %10s %10s %10s %10s  %s\n", "COMMAND", "COUNT", "ALLOCS",
		"ALLOCATED", "PEAK MAX", "PEAK SUM", "LEAKED", "PEAK MAX IN");
	for (size_t i = 0; i < lim; i++) {
		const struct mstat_command *c = &r->cmds[i];

		mstat_text_escape(name, sizeof(name), c->name);
		label(r, &r->set->img[c->peak_image], text, sizeof(text), room);
		fprintf(out, "  %-16.40s %6zu %9s %10s %10s %10s %10s  %s\n", name, c->count,
			mstat_count(b[0], c->allocs), mstat_bytes(b[1], (int64_t)c->alloc_bytes),
			mstat_bytes(b[2], c->peak_max), mstat_bytes(b[3], c->peak_sum),
			c->leaked_bytes ? mstat_bytes(b[4], (int64_t)c->leaked_bytes) : "-", text);
	}
	if (lim < r->ncmds)
		fprintf(out, "  ... %zu more %s\n", r->ncmds - lim,
			plural(r->ncmds - lim, "command", "commands"));
}

static int cmp_leak(const void *a, const void *b, void *arg)
{
	const struct mstat_set *set = arg;
	uint64_t x = set->img[*(const long *)a].live_bytes, y = set->img[*(const long *)b].live_bytes;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void leaks(const struct mstat_report *r, FILE *out)
{
	long *v = malloc((r->set->n + 1) * sizeof(*v));
	size_t n = 0, lim;
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], text[512];

	if (!v)
		return;
	for (size_t k = 0; k < r->set->n; k++)
		if (mstat_image_leaks(&r->set->img[k]))
			v[n++] = (long)k;
	if (!n) {
		fprintf(out, "\nLeaks: none (no blocks live at exit in any process)\n");
		free(v);
		return;
	}
	qsort_r(v, n, sizeof(*v), cmp_leak, r->set);
	lim = r->top && n > r->top ? r->top : n;
	fprintf(out, "\nLeaks: %s in %s %s in %zu %s (own blocks live at exit or death):\n",
		mstat_bytes(b1, (int64_t)r->leaked_bytes), mstat_count(b2, r->leaked_blocks),
		plural(r->leaked_blocks, "block", "blocks"), n, plural(n, "process", "processes"));
	for (size_t i = 0; i < lim; i++) {
		const struct mstat_image *im = &r->set->img[v[i]];

		label(r, im, text, sizeof(text), (size_t)(r->width > 70 ? r->width - 40 : 30));
		fprintf(out, "  %10s in %6llu %-6s (%s requested)  %s%s\n",
			mstat_bytes(b1, (int64_t)im->live_bytes), (unsigned long long)im->live_blocks,
			plural(im->live_blocks, "block", "blocks"),
			mstat_bytes(b2, (int64_t)im->live_req), text,
			im->end == MSTAT_END_DIED ? " (died)" : "");
	}
	if (lim < n)
		fprintf(out, "  ... %zu more %s\n", n - lim, plural(n - lim, "process", "processes"));
	free(v);
}

/*
 * The answer to "how much memory did this need", first: the resident
 * peak and the heap + anonymous mmap peak of the whole tree (cc1plus takes
 * 90% of its memory from mmap), the malloc heap alone beside them.
 */
static void needed(const struct mstat_report *r, FILE *out)
{
	const struct mstat_timeline *tl = &r->tl;
	double dur = (double)(tl->nbins * tl->bin_ns) / 1e9;
	int prec = dur < 10 ? 3 : 1;
	char b[3][MSTAT_UNIT_LEN];

	fputs("Memory needed:", out);
	if (r->have_rss)
		fprintf(out, " %s resident at the peak (%.*f s),", mstat_bytes(b[0], tl->cpeak[MSTAT_RSS]),
			prec, (double)(tl->cpeak_bin[MSTAT_RSS] * tl->bin_ns) / 1e9);
	if (r->have_anon)
		fprintf(out, " %s of malloc heap + anonymous mmap (%.*f s), of which", mstat_bytes(b[1],
			tl->cpeak[MSTAT_TOTAL]), prec, (double)(tl->cpeak_bin[MSTAT_TOTAL] * tl->bin_ns) / 1e9);
	fprintf(out, " %s of malloc heap%s (%.*f s); at most %u %s alive at once\n",
		mstat_bytes(b[2], tl->peak), r->have_anon ? " alone" : "", prec,
		(double)(tl->peak_bin * tl->bin_ns) / 1e9, r->live_max,
		plural(r->live_max, "process", "processes"));
}

static void peak(const struct mstat_report *r, FILE *out)
{
	const struct mstat_timeline *tl = &r->tl;
	size_t lim = r->top && r->nat_peak > r->top ? r->top : r->nat_peak;
	char b1[MSTAT_UNIT_LEN], text[512];
	int64_t rest = 0;

	double at = (double)(tl->peak_bin * tl->bin_ns) / 1e9, dur = (double)(tl->nbins * tl->bin_ns) / 1e9;

	fprintf(out, "\nMalloc heap of the whole tree: peak %s at %.*f s (trace %.*f s), %zu %s holding it\n",
		mstat_bytes(b1, tl->peak), dur < 10 ? 3 : 1, at, dur < 10 ? 3 : 1, dur, r->nat_peak,
		plural(r->nat_peak, "process", "processes"));
	for (size_t i = 0; i < r->nat_peak; i++) {
		const struct mstat_contrib *c = &r->at_peak[i];

		if (i >= lim) {
			rest += c->bytes;
			continue;
		}
		label(r, &r->set->img[c->img], text, sizeof(text),
		      (size_t)(r->width > 70 ? r->width - 14 : 56));
		fprintf(out, "  %10s  %s\n", mstat_bytes(b1, c->bytes), text);
	}
	if (lim < r->nat_peak)
		fprintf(out, "  %10s  ... %zu more %s\n", mstat_bytes(b1, rest), r->nat_peak - lim,
			plural(r->nat_peak - lim, "process", "processes"));
}

/* Which of heap and mappings dominates, for the MOSTLY column. */
static const char *mostly(int64_t heap, int64_t anon)
{
	if (!heap && !anon)
		return "-";
	return anon > heap ? "anon mmap" : "malloc heap";
}

/* How many of the heaviest jobs fit in RAM, and what that assumes. */
static void jobs(const struct mstat_report *r, FILE *out, int prec)
{
	const struct mstat_timeline *tl = &r->tl;
	const struct mstat_estimate *e = &r->est;
	const struct mstat_command *c = &r->cmds[e->cmd];
	bool rss = e->metric == MSTAT_RSS;
	enum mstat_series m = e->metric, o = rss ? MSTAT_TOTAL : MSTAT_RSS;
	const char *what = rss ? "resident" : "heap + anonymous mmap";
	char b[3][MSTAT_UNIT_LEN], name[128];

	mstat_text_escape(name, sizeof(name), c->name);
	fprintf(out, "\nParallel jobs: the heaviest job is %s (%zu %s), at most %s %s in one run.\n",
		name, c->count, plural(c->count, "run", "runs"), mstat_bytes(b[0], e->per_job[m]),
		what);
	fprintf(out, "  N of them at once need about N x %s + %s, the most all other commands held together.\n",
		mstat_bytes(b[0], e->per_job[m]), mstat_bytes(b[1], e->rest[m]));
	fputs("  This assumes every job needs as much as the heaviest run and that their peaks coincide: an upper bound.\n",
	      out);
	if (e->ram && e->per_job[m] > 0)
		fprintf(out, "  In %s of RAM (%s): %lld of them at once.\n", mstat_bytes(b[0], (int64_t)e->ram),
			e->ram_given ? "--ram" : "MemTotal of this machine", (long long)e->fit);
	fprintf(out, "  This run reached %s %s at %.*f s, with at most %u %s alive at once.\n",
		mstat_bytes(b[0], tl->cpeak[m]), what, prec, (double)(tl->cpeak_bin[m] * tl->bin_ns) / 1e9,
		r->live_max, plural(r->live_max, "process", "processes"));
	for (unsigned i = 0; i < e->njobs; i++) {
		int64_t n = e->jobs[i];

		fprintf(out, "  -j%-3u %10s %s", e->jobs[i], mstat_bytes(b[0], n * e->per_job[m] + e->rest[m]),
			what);
		if (rss || r->have_rss)
			fprintf(out, "  (%s: %s)", rss ? "heap + anonymous mmap" : "resident",
				mstat_bytes(b[1], n * e->per_job[o] + e->rest[o]));
		fputs("\n", out);
	}
}

static void memory(const struct mstat_report *r, FILE *out)
{
	const struct mstat_timeline *tl = &r->tl;
	const struct mstat_estimate *e = &r->est;
	size_t lim = r->top && r->ncmds > r->top ? r->top : r->ncmds, tb = tl->cpeak_bin[MSTAT_TOTAL];
	char b[6][MSTAT_UNIT_LEN];
	double dur = (double)(tl->nbins * tl->bin_ns) / 1e9;
	int prec = dur < 10 ? 3 : 1;

	if (!r->have_anon && !r->have_rss)
		return;
	fprintf(out, "\nMemory of the whole tree: highest total %s at %.*f s (malloc heap %s + anonymous mmap %s in that bin)",
		mstat_bytes(b[0], tl->cpeak[MSTAT_TOTAL]), prec, (double)(tb * tl->bin_ns) / 1e9,
		mstat_bytes(b[1], tl->curve[MSTAT_HEAP][tb]), mstat_bytes(b[2], tl->curve[MSTAT_ANON][tb]));
	if (r->have_rss)
		fprintf(out, "; resident %s at %.*f s", mstat_bytes(b[3], tl->cpeak[MSTAT_RSS]), prec,
			(double)(tl->cpeak_bin[MSTAT_RSS] * tl->bin_ns) / 1e9);
	fputs("\n", out);
	fprintf(out, "  %-16s %6s %10s %10s %10s %10s  %-11s  %s\n", "COMMAND", "COUNT", "HEAP",
		"ANON MMAP", "HEAP+ANON", "RESIDENT", "MOSTLY", r->have_rss ? "HIGHEST RESIDENT IN" :
		"HIGHEST HEAP+ANON IN");
	for (size_t i = 0; i < lim; i++) {
		const struct mstat_command *c = &r->cmds[i];
		long who = r->have_rss && c->rss_max ? c->rss_image : c->total_image;
		char name[128], text[512];

		mstat_text_escape(name, sizeof(name), c->name);
		label(r, &r->set->img[who], text, sizeof(text),
		      r->width > 84 + 24 ? (size_t)r->width - 84 : 24);
		fprintf(out, "  %-16.40s %6zu %10s %10s %10s %10s  %-11s  %s\n", name, c->count,
			mstat_bytes(b[0], c->peak_max), mstat_bytes(b[1], c->anon_max),
			mstat_bytes(b[2], c->total_max), c->rss_max ? mstat_bytes(b[3], c->rss_max) : "-",
			mostly(c->peak_max, c->anon_max), text);
	}
	if (lim < r->ncmds)
		fprintf(out, "  ... %zu more %s\n", r->ncmds - lim,
			plural(r->ncmds - lim, "command", "commands"));
	if (e->cmd >= 0)
		jobs(r, out, prec);
}

/* "N what (why N, ...: name, name)": the first four program names. */
static void untraced_list(const struct mstat_untraced *u, const char *what, FILE *out)
{
	size_t rest[MSTAT_WHY_N] = { 0 };
	const char *in = " (";

	/* Each name with its own cause, then what the rest were: "2 execs
	 * into untraced programs: ldconfig (static program), ls (environment
	 * without the preload)". */
	fprintf(out, "%zu %s: ", u->n, what);
	for (size_t i = 0; i < u->n; i++) {
		if (i >= 4) {
			rest[u->v[i].why]++;
			continue;
		}
		const char *p = u->v[i].path, *b = p ? strrchr(p, '/') : NULL;
		/* A name for a terminal: no control characters. */
		const char *c = b && b[1] ? b + 1 : p && *p ? p : "?";

		fputs(i ? ", " : "", out);
		for (int k = 0; c[k] && k < 48; k++)
			fputc((unsigned char)c[k] < 0x20 || c[k] == 0x7f ? '?' : c[k], out);
		fprintf(out, " (%s)", mstat_why_names[u->v[i].why]);
	}
	if (u->n <= 4)
		return;
	fprintf(out, ", and %zu more", u->n - 4);
	for (int w = 0; w < MSTAT_WHY_N; w++) {
		if (!rest[w])
			continue;
		fprintf(out, "%s%s %zu", in, mstat_why_names[w], rest[w]);
		in = ", ";
	}
	fputc(')', out);
}

/* " (full disk 2, file-size limit 1, ENOMEM 1)": counts by errno, those
 * of one cause together, the disk's first. */
static void causes(const size_t by[MSTAT_ERRNOS], FILE *out)
{
	static const int first[] = { ENOSPC, EFBIG };
	const char *in = " (";

	for (int i = 0; i < 2 + MSTAT_ERRNOS; i++) {
		int e = i < 2 ? first[i] : i - 2;
		size_t n = by[e] + (e == ENOSPC ? by[EDQUOT] : 0);

		if (!n || (i >= 2 && (e == ENOSPC || e == EFBIG || e == EDQUOT)))
			continue;
		fprintf(out, "%s%s %zu", in, mstat_nolog_cause(e), n);
		in = ", ";
	}
	if (*in == ',')
		fputc(')', out);
}

/* Peaks of processes with threads are exact only to within their slack:
 * said once, with the largest. */
static void slack_note(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;
	uint64_t most = 0;
	size_t n = 0;
	char b[MSTAT_UNIT_LEN];

	for (size_t k = 0; k < set->n; k++)
		if (set->img[k].valid && !set->img[k].virt && set->img[k].peak_slack) {
			n++;
			if (set->img[k].peak_slack > most)
				most = set->img[k].peak_slack;
		}
	if (n)
		fprintf(out, "Note: the heap peaks of %zu %s with threads are exact to within 64 KiB a thread "
			"(at most %s here; `peak_slack` in --json); calls, bytes and leaks are exact.\n",
			n, plural(n, "image", "images"), mstat_bytes(b, (int64_t)most));
}

static void gaps(const struct mstat_report *r, FILE *out)
{
	const char *sep = " ";
	size_t missed = r->untraced.n + r->nolog_procs;

	if (!r->virt && !r->untraced.n && !r->untraced_execs.n && !r->untraced_forks && !r->died &&
	    !r->gap_images && !r->cut && !r->nolog)
		return;
	fprintf(out, "\nGaps:");
	if (r->virt) {
		fprintf(out, "%s%zu %s seen only as parents (not traced: static binary, setuid or scrubbed environment)",
			sep, r->virt, plural(r->virt, "process", "processes"));
		sep = "; ";
	}
	if (r->untraced.n) {
		fputs(sep, out);
		untraced_list(&r->untraced, r->untraced.n == 1 ? "child started untraced" :
				  "children started untraced", out);
		sep = "; ";
	}
	/* The same processes, traced until then: not new ones. */
	if (r->untraced_execs.n) {
		fputs(sep, out);
		untraced_list(&r->untraced_execs, r->untraced_execs.n == 1 ?
				  "exec into an untraced program" : "execs into untraced programs", out);
		sep = "; ";
	}
	if (r->untraced_forks) {
		fprintf(out, "%s%zu fork %s that left no log (no allocation before _exit or exec)",
			sep, (size_t)r->untraced_forks, plural(r->untraced_forks, "child", "children"));
		sep = "; ";
	}
	if (r->died) {
		fprintf(out, "%s%zu %s ended without FINI (_exit, signal, abort or kill)", sep, r->died,
			plural(r->died, "image", "images"));
		sep = "; ";
	}
	if (r->nolog) {
		fprintf(out, "%s%zu %s could not write a log", sep, r->nolog,
			plural(r->nolog, "image", "images"));
		causes(r->nolog_by, out);
		sep = "; ";
	}
	if (r->cut) {
		fprintf(out, "%s%zu %s cut short", sep, r->cut, plural(r->cut, "log", "logs"));
		causes(r->cut_by, out);
		fputs(": not counted as deaths or leaks", out);
		sep = "; ";
	}
	if (r->gap_images)
		fprintf(out, "%s%llu %s turned logging off or lost events (LOG 0, LOST), with %llu frees of blocks allocated meanwhile",
			sep, (unsigned long long)r->gap_images,
			plural(r->gap_images, "image", "images"), (unsigned long long)r->unmatched_frees);
	fputc('\n', out);
	/* Said on a line of its own when it changes what the totals mean. */
	if (missed > 0 && missed * 20 > r->started)
		fprintf(out, "Note: %zu of the %zu processes started %s not traced (%.0f%%): the totals leave them out.\n",
			missed, r->started, plural(missed, "was", "were"),
			100.0 * (double)missed / (double)r->started);
}

void mstat_report_text_gaps(const struct mstat_report *r, FILE *out)
{
	gaps(r, out);
	slack_note(r, out);
}

int mstat_report_text(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;
	char b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], b3[MSTAT_UNIT_LEN], b4[MSTAT_UNIT_LEN];

	fprintf(out, "malloc-stat: %zu %s, %zu %s", r->processes,
		plural(r->processes, "process", "processes"), r->images,
		plural(r->images, "image", "images"));
	if (r->hosts > 1)
		fprintf(out, " on %zu hosts", r->hosts);
	if (r->log_dir)
		fprintf(out, ", logs in %s", r->log_dir);
	else
		for (size_t i = 0; i < r->ninputs; i++)
			fprintf(out, "%s%s", i ? ", " : " from ", r->inputs[i]);
	fprintf(out, " (%s read)\n", mstat_bytes(b1, (int64_t)set->bytes));
	if (r->summaries)
		fprintf(out, "Recorded as summaries: %zu of the %zu images (the heap's state, not its events: "
			"no event order; --trace-event has their timelines)\n", r->summaries, r->images);
	fprintf(out, "All processes: %s allocations (%s), %s frees (%s)\n",
		mstat_count(b1, r->allocs), mstat_bytes(b2, (int64_t)r->alloc_bytes),
		mstat_count(b3, r->frees), mstat_bytes(b4, (int64_t)r->free_bytes));
	needed(r, out);
	peak(r, out);
	memory(r, out);
	tree(r, out);
	commands(r, out);
	leaks(r, out);
	mstat_report_text_gaps(r, out);
	if (set->problems)
		fprintf(out, "\nProblems: %llu in the logs (messages on stderr); the numbers above are from everything readable\n",
			(unsigned long long)set->problems);
	return ferror(out) ? -5 : 0;
}
