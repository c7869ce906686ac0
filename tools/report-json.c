/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The JSON report, schema in doc/report-json.md: every image with its
 * place in the tree, per-command totals, the heap of the whole tree over
 * time, and the problems met while reading.
 */
#include "report.h"

#include <stdlib.h>

#include "stackview.h"
#include "tree.h"
#include "units.h"

#define SERIES_MAX 2000

static const char *const end_names[] = { "died", "exit", "exec", "cut" };
static const char *const rel_names[] = { "root", "fork", "clone", "spawn", "exec" };
static const char *const origin_names[] = { "none", "image", "fork", "clone" };

static void key(FILE *out, const char *k, bool *first)
{
	fprintf(out, "%s\n    \"%s\": ", *first ? "" : ",", k);
	*first = false;
}

static void id_or_null(FILE *out, const long *ids, long k)
{
	if (k < 0 || ids[k] < 0)
		fputs("null", out);
	else
		fprintf(out, "%ld", ids[k]);
}

static void str_or_null(FILE *out, const char *s)
{
	if (s)
		mstat_json_str(out, s);
	else
		fputs("null", out);
}

static void image(const struct mstat_report *r, FILE *out, const long *ids, long k)
{
	const struct mstat_image *im = &r->set->img[k];
	bool f = true, cut = im->end == MSTAT_END_CUT;
	const char *a;

	fprintf(out, "  {");
	key(out, "id", &f);
	fprintf(out, "%ld", ids[k]);
	key(out, "virtual", &f);
	fputs(im->virt ? "true" : "false", out);
	key(out, "pid", &f);
	fprintf(out, "%lld", (long long)im->pid);
	key(out, "start", &f);
	if (im->has_start)
		fprintf(out, "%llu", (unsigned long long)im->start);
	else
		fputs("null", out);
	key(out, "host", &f);
	if (im->host && *im->host)
		mstat_json_str(out, im->host);
	else
		fputs("null", out);
	key(out, "parent", &f);
	id_or_null(out, ids, im->parent);
	key(out, "relation", &f);
	fprintf(out, "\"%s\"", rel_names[im->rel]);
	key(out, "start_time", &f);
	fprintf(out, "%.6f", mstat_report_secs(r, im->t_first));
	key(out, "end_time", &f);
	fprintf(out, "%.6f", mstat_report_secs(r, im->t_last));
	if (im->virt) {
		key(out, "exec_path", &f);
		if (im->exec_path)
			mstat_json_str(out, im->exec_path);
		else
			fputs("null", out);
		fputs("\n  }", out);
		return;
	}
	key(out, "process", &f);
	id_or_null(out, ids, im->proc);
	key(out, "file", &f);
	mstat_json_str(out, im->path);
	key(out, "recorded", &f);
	fputs(im->summary ? "\"summary\"" : "\"events\"", out);
	key(out, "ppid", &f);
	fprintf(out, "%lld", (long long)im->ppid);
	key(out, "pstart", &f);
	if (im->has_pstart)
		fprintf(out, "%llu", (unsigned long long)im->pstart);
	else
		fputs("null", out);
	key(out, "command", &f);
	mstat_json_str(out, mstat_image_command(im));
	key(out, "argv", &f);
	fputc('[', out);
	a = im->argv;
	for (unsigned i = 0; i < im->argc; i++) {
		if (i)
			fputs(", ", out);
		mstat_json_str(out, a);
		while (*a)
			a++;
		a++;
	}
	fputc(']', out);
	key(out, "exe", &f);
	mstat_json_str(out, im->exe);
	key(out, "cwd", &f);
	mstat_json_str(out, im->cwd);
	key(out, "origin", &f);
	fprintf(out, "\"%s\"", origin_names[im->origin]);
	key(out, "origin_file", &f);
	if (im->origin_file)
		mstat_json_str(out, im->origin_file);
	else
		fputs("null", out);
	key(out, "inherited", &f);
	fprintf(out, "%llu", (unsigned long long)im->inherited);
	key(out, "wall_start_ns", &f);
	fprintf(out, "%llu", (unsigned long long)im->wall_ns);
	key(out, "end", &f);
	fprintf(out, "\"%s\"", end_names[im->end]);
	/* Why a CUT log stops: a full disk is not a file-size limit, nor
	 * any other error. */
	key(out, "cut_errno", &f);
	if (cut)
		fprintf(out, "%d", im->cut_errno);
	else
		fputs("null", out);
	key(out, "cut_error", &f);
	str_or_null(out, cut ? mstat_errno_name(im->cut_errno) : NULL);
	key(out, "cut_cause", &f);
	str_or_null(out, cut ? mstat_nolog_cause(im->cut_errno) : NULL);
	key(out, "exec_path", &f);
	if (im->exec_path)
		mstat_json_str(out, im->exec_path);
	else
		fputs("null", out);
	key(out, "exec_untraced", &f);
	fputs(im->exec_untraced ? "true" : "false", out);
	key(out, "allocations", &f);
	fprintf(out, "%llu", (unsigned long long)im->allocs);
	key(out, "allocated", &f);
	fprintf(out, "%llu", (unsigned long long)im->alloc_bytes);
	key(out, "frees", &f);
	fprintf(out, "%llu", (unsigned long long)im->frees);
	key(out, "freed", &f);
	fprintf(out, "%llu", (unsigned long long)im->free_bytes);
	key(out, "in_use_end", &f);
	fprintf(out, "%lld", (long long)im->in_use);
	key(out, "peak", &f);
	fprintf(out, "%lld", (long long)im->peak);
	key(out, "peak_slack", &f);
	fprintf(out, "%llu", (unsigned long long)im->peak_slack);
	key(out, "live_blocks_end", &f);
	fprintf(out, "%llu", (unsigned long long)im->live_blocks);
	key(out, "live_bytes_end", &f);
	fprintf(out, "%llu", (unsigned long long)im->live_bytes);
	key(out, "leaked_blocks", &f);
	fprintf(out, "%llu", (unsigned long long)(mstat_image_leaks(im) ? im->live_blocks : 0));
	key(out, "leaked_bytes", &f);
	fprintf(out, "%llu", (unsigned long long)(mstat_image_leaks(im) ? im->live_bytes : 0));
	key(out, "leaked_requested", &f);
	fprintf(out, "%llu", (unsigned long long)(mstat_image_leaks(im) ? im->live_req : 0));
	key(out, "inherited_frees", &f);
	fprintf(out, "%llu", (unsigned long long)im->inh_frees);
	key(out, "inherited_freed", &f);
	fprintf(out, "%llu", (unsigned long long)im->inh_free_bytes);
	key(out, "unmatched_frees", &f);
	fprintf(out, "%llu", (unsigned long long)im->unknown_frees);
	key(out, "log_off", &f);
	fprintf(out, "%llu", (unsigned long long)im->log_off);
	key(out, "lost", &f);
	fprintf(out, "%llu", (unsigned long long)im->lost);
	key(out, "mmaps", &f);
	fprintf(out, "%llu", (unsigned long long)im->mmaps);
	key(out, "mmap_bytes", &f);
	fprintf(out, "%llu", (unsigned long long)im->mmap_bytes);
	key(out, "munmaps", &f);
	fprintf(out, "%llu", (unsigned long long)im->munmaps);
	key(out, "mremaps", &f);
	fprintf(out, "%llu", (unsigned long long)im->mremaps);
	key(out, "anon_end", &f);
	fprintf(out, "%llu", (unsigned long long)im->anon_end);
	key(out, "anon_peak", &f);
	fprintf(out, "%llu", (unsigned long long)im->anon_peak);
	key(out, "reserved_peak", &f);
	fprintf(out, "%llu", (unsigned long long)im->reserved_peak);
	key(out, "total_peak", &f);
	fprintf(out, "%lld", (long long)im->total_peak);
	key(out, "rss_samples", &f);
	fprintf(out, "%llu", (unsigned long long)im->rss_samples);
	key(out, "rss_max", &f);
	fprintf(out, "%llu", (unsigned long long)im->rss_max);
	key(out, "maxrss", &f);
	fprintf(out, "%llu", (unsigned long long)im->maxrss);
	key(out, "rss_peak", &f);
	fprintf(out, "%llu", (unsigned long long)im->rss_peak);
	key(out, "rss_peak_source", &f);
	fputs(im->rss_from_maxrss ? "\"maxrss\"" : im->rss_samples ? "\"samples\"" : "null", out);
	key(out, "untraced_forks", &f);
	fprintf(out, "%u", im->untraced_forks);
	key(out, "fini", &f);
	if (im->has_fini && im->fini_ok)
		fprintf(out, "{\"allocations\": %llu, \"allocated\": %llu, \"deallocations\": %llu, \"deallocated\": %llu, \"in_use\": %lld, \"peak_in_use\": %lld, \"matches\": %s}",
			(unsigned long long)im->fini[0], (unsigned long long)im->fini[1],
			(unsigned long long)im->fini[2], (unsigned long long)im->fini[3],
			(long long)im->fini[4], (long long)im->fini[5],
			im->fini_mismatch ? "false" : "true");
	else
		fputs("null", out);
	key(out, "problems", &f);
	fprintf(out, "%llu", (unsigned long long)im->diag.count);
	fputs("\n  }", out);
}

static const char *const curve_names[MSTAT_NSERIES] = { "heap", "anon", "total", "rss" };

static void contribs(FILE *out, const long *ids, const struct mstat_contrib *v, size_t n)
{
	fputs("[", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s{\"image\": %ld, \"bytes\": %lld}", i ? ", " : "", ids[v[i].img],
			(long long)v[i].bytes);
	fputs("]", out);
}

/* The four curves side by side, each point the highest of its group of
 * bins per curve. */
static void memory(const struct mstat_report *r, FILE *out, const long *ids)
{
	const struct mstat_timeline *tl = &r->tl;
	const struct mstat_estimate *e = &r->est;
	size_t step = (tl->nbins + SERIES_MAX - 1) / SERIES_MAX;

	if (!step)
		step = 1;
	fputs("  \"memory\": {\n    \"peaks\": {", out);
	for (unsigned c = 0; c < MSTAT_NSERIES; c++)
		fprintf(out, "%s\"%s\": {\"bytes\": %lld, \"time\": %.6f}", c ? ", " : "", curve_names[c],
			(long long)tl->cpeak[c], (double)(tl->cpeak_bin[c] * tl->bin_ns) / 1e9);
	fputs("},\n    \"at_total_peak\": ", out);
	contribs(out, ids, r->at[MSTAT_TOTAL], r->nat[MSTAT_TOTAL]);
	fputs(",\n    \"at_rss_peak\": ", out);
	contribs(out, ids, r->at[MSTAT_RSS], r->nat[MSTAT_RSS]);
	fputs(",\n    \"estimate\": ", out);
	if (e->cmd < 0) {
		fputs("null", out);
	} else {
		const struct mstat_command *c = &r->cmds[e->cmd];

		fputs("{\"command\": ", out);
		mstat_json_str(out, c->name);
		fprintf(out, ", \"count\": %zu, \"metric\": \"%s\", \"per_job\": {\"total\": %lld, \"rss\": %lld}, \"rest\": {\"total\": %lld, \"rss\": %lld}, \"jobs\": [",
			c->count, curve_names[e->metric], (long long)e->per_job[MSTAT_TOTAL],
			(long long)e->per_job[MSTAT_RSS], (long long)e->rest[MSTAT_TOTAL],
			(long long)e->rest[MSTAT_RSS]);
		for (unsigned i = 0; i < e->njobs; i++)
			fprintf(out, "%s{\"jobs\": %u, \"total\": %lld, \"rss\": %lld}", i ? ", " : "",
				e->jobs[i],
				(long long)(e->jobs[i] * e->per_job[MSTAT_TOTAL] + e->rest[MSTAT_TOTAL]),
				(long long)(e->jobs[i] * e->per_job[MSTAT_RSS] + e->rest[MSTAT_RSS]));
		if (e->ram)
			fprintf(out, "], \"ram\": %llu, \"ram_source\": \"%s\", \"fit\": %lld}",
				(unsigned long long)e->ram, e->ram_given ? "--ram" : "MemTotal",
				(long long)e->fit);
		else
			fputs("], \"ram\": null, \"ram_source\": null, \"fit\": null}", out);
	}
	fputs(",\n    \"series\": [", out);
	for (size_t b = 0; b < tl->nbins; b += step) {
		int64_t m[MSTAT_NSERIES] = { 0 };

		for (size_t i = b; i < b + step && i < tl->nbins; i++)
			for (unsigned c = 0; c < MSTAT_NSERIES; c++)
				if (tl->curve[c][i] > m[c])
					m[c] = tl->curve[c][i];
		fprintf(out, "%s[%.3f, %lld, %lld, %lld, %lld]", b ? ", " : "",
			(double)(b * tl->bin_ns) / 1e9, (long long)m[MSTAT_HEAP], (long long)m[MSTAT_ANON],
			(long long)m[MSTAT_TOTAL], (long long)m[MSTAT_RSS]);
	}
	fputs("]\n  },\n", out);
}

static void series(const struct mstat_report *r, FILE *out)
{
	const struct mstat_timeline *tl = &r->tl;
	size_t step = (tl->nbins + SERIES_MAX - 1) / SERIES_MAX;

	if (!step)
		step = 1;
	fputs("[", out);
	for (size_t b = 0; b < tl->nbins; b += step) {
		int64_t m = 0;
		uint32_t live = 0;

		for (size_t i = b; i < b + step && i < tl->nbins; i++) {
			if (tl->total[i] > m)
				m = tl->total[i];
			if (tl->live[i] > live)
				live = tl->live[i];
		}
		fprintf(out, "%s[%.3f, %lld, %u]", b ? ", " : "", (double)(b * tl->bin_ns) / 1e9,
			(long long)m, live);
	}
	fputs("]", out);
}

/* "NAME": [{"BY": ID, "pid", "errno", "why", "path"}, ...]: BY names the
 * image that started the child (or exec'd the program). */
static void untraced_list(FILE *out, const long *ids, const char *name, const char *by,
			  const struct mstat_untraced *u)
{
	fprintf(out, "  \"%s\": [", name);
	for (size_t i = 0; i < u->n; i++) {
		const struct mstat_untraced_one *o = &u->v[i];

		fprintf(out, "%s\n    {\"%s\": ", i ? "," : "", by);
		id_or_null(out, ids, o->image);
		fprintf(out, ", \"pid\": %lld, \"errno\": %d, \"why\": ", (long long)o->pid, o->err);
		mstat_json_str(out, mstat_why_names[o->why]);
		fputs(", \"path\": ", out);
		mstat_json_str(out, o->path ? o->path : "");
		fputc('}', out);
	}
	fputs(u->n ? "\n  ],\n" : "],\n", out);
}

int mstat_report_json(const struct mstat_report *r, FILE *out)
{
	const struct mstat_set *set = r->set;
	const struct mstat_timeline *tl = &r->tl;
	long *ids = malloc((set->n + 1) * sizeof(*ids));
	long next = 0;
	bool first = true;

	if (!ids)
		return -12;
	for (size_t k = 0; k < set->n; k++)
		ids[k] = mstat_tree_shown(&set->img[k]) ? next++ : -1;

	fprintf(out, "{\n  \"format\": \"malloc-stat-report\",\n  \"version\": 1,\n  \"inputs\": [");
	for (size_t i = 0; i < r->ninputs; i++) {
		fputs(i ? ", " : "", out);
		mstat_json_str(out, r->inputs[i]);
	}
	fputs("],\n  \"log_dir\": ", out);
	if (r->log_dir)
		mstat_json_str(out, r->log_dir);
	else
		fputs("null", out);
	fprintf(out, ",\n  \"read\": {\"logs\": %zu, \"valid\": %zu, \"not_logs\": %zu, \"empty\": %zu, \"bytes\": %llu, \"lines\": %llu, \"seconds\": %.6f, \"threads\": %u, \"problems\": %llu},\n",
		set->ninputs, set->nvalid, set->bad_inputs, set->empty, (unsigned long long)set->bytes,
		(unsigned long long)set->lines, set->seconds, set->threads,
		(unsigned long long)set->problems);

	fputs("  \"problems\": [", out);
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		for (unsigned i = 0; i < im->diag.nkept; i++) {
			fprintf(out, "%s\n    {\"file\": ", first ? "" : ",");
			first = false;
			mstat_json_str(out, im->path);
			if (im->diag.kept[i].line)
				fprintf(out, ", \"line\": %llu",
					(unsigned long long)(im->line0 + im->diag.kept[i].line));
			else
				fputs(", \"line\": null", out);
			fputs(", \"message\": ", out);
			mstat_json_str(out, im->diag.kept[i].msg);
			fprintf(out, ", \"times\": %llu}", (unsigned long long)im->diag.kept[i].times);
		}
	}
	fputs(first ? "],\n" : "\n  ],\n", out);
	/* What the summaries cannot give: event order (trace views, replay)
	 * and, in this version, call stacks. */
	fprintf(out, "  \"summary_images\": %zu,\n", r->summaries);

	fprintf(out, "  \"totals\": {\"processes\": %zu, \"images\": %zu, \"hosts\": %zu, \"allocations\": %llu, \"allocated\": %llu, \"frees\": %llu, \"freed\": %llu, \"leaked_blocks\": %llu, \"leaked_bytes\": %llu, \"leaking_images\": %llu, \"died\": %zu, \"logs_cut\": %zu, \"no_log\": %zu, \"untraced\": %zu, \"untraced_parents\": %zu, \"untraced_execs\": %zu, \"untraced_forks\": %zu, \"logging_gaps\": %llu, \"unmatched_frees\": %llu, \"no_log_processes\": %zu, \"processes_started\": %zu},\n",
		r->processes, r->images, r->hosts, (unsigned long long)r->allocs,
		(unsigned long long)r->alloc_bytes, (unsigned long long)r->frees,
		(unsigned long long)r->free_bytes, (unsigned long long)r->leaked_blocks,
		(unsigned long long)r->leaked_bytes, (unsigned long long)r->leaked_images, r->died,
		r->cut, r->nolog, r->untraced.n, r->virt, r->untraced_execs.n, r->untraced_forks,
		(unsigned long long)r->gap_images, (unsigned long long)r->unmatched_frees,
		r->nolog_procs, r->started);

	untraced_list(out, ids, "untraced", "parent", &r->untraced);
	untraced_list(out, ids, "untraced_execs", "image", &r->untraced_execs);
	fputs("  \"no_log\": [", out);
	for (size_t i = 0; i < r->set->nolog.n; i++) {
		const struct mstat_nolog *n = &r->set->nolog.v[i];

		fprintf(out, "%s\n    {\"pid\": %lld, \"start\": %llu, \"ppid\": %lld, \"errno\": %d, \"why\": ",
			i ? "," : "", (long long)n->pid, (unsigned long long)n->start,
			(long long)n->ppid, n->err);
		mstat_json_str(out, n->what);
		fputs(", \"exe\": ", out);
		mstat_json_str(out, n->exe);
		fputs(", \"cmdline\": ", out);
		mstat_json_str(out, n->cmdline);
		fputc('}', out);
	}
	fputs(r->set->nolog.n ? "\n  ],\n" : "],\n", out);

	fprintf(out, "  \"heap\": {\n    \"peak_bytes\": %lld,\n    \"peak_time\": %.6f,\n    \"bin_ns\": %llu,\n    \"start_ns\": %llu,\n    \"duration\": %.6f,\n    \"max_alive\": %u,\n    \"at_peak\": [",
		(long long)tl->peak, (double)(tl->peak_bin * tl->bin_ns) / 1e9,
		(unsigned long long)tl->bin_ns, (unsigned long long)tl->t0,
		(double)(tl->nbins * tl->bin_ns) / 1e9, r->live_max);
	for (size_t i = 0; i < r->nat_peak; i++)
		fprintf(out, "%s{\"image\": %ld, \"bytes\": %lld}", i ? ", " : "",
			ids[r->at_peak[i].img], (long long)r->at_peak[i].bytes);
	fputs("],\n    \"series\": ", out);
	series(r, out);
	fputs("\n  },\n", out);
	memory(r, out, ids);
	if (r->stacks)
		mstat_stackview_json(r->stacks, out, r->top);
	fputs("  \"commands\": [", out);
	for (size_t i = 0; i < r->ncmds; i++) {
		const struct mstat_command *c = &r->cmds[i];

		fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
		mstat_json_str(out, c->name);
		fprintf(out, ", \"count\": %zu, \"allocations\": %llu, \"frees\": %llu, \"allocated\": %llu, \"peak_max\": %lld, \"peak_sum\": %lld, \"peak_image\": %ld, \"leaked_blocks\": %llu, \"leaked_bytes\": %llu, \"died\": %zu, ",
			c->count, (unsigned long long)c->allocs, (unsigned long long)c->frees,
			(unsigned long long)c->alloc_bytes, (long long)c->peak_max,
			(long long)c->peak_sum, ids[c->peak_image],
			(unsigned long long)c->leaked_blocks, (unsigned long long)c->leaked_bytes,
			c->died);
		fprintf(out, "%s\"anon_peak_max\": %lld, \"total_peak_max\": %lld, \"total_peak_image\": %ld, \"rss_peak_max\": %lld, \"rss_peak_image\": %ld, \"dominant\": \"%s\"}",
			"", (long long)c->anon_max, (long long)c->total_max, ids[c->total_image],
			(long long)c->rss_max, ids[c->rss_image],
			c->anon_max > c->peak_max ? "anon" : "heap");
	}
	fputs(r->ncmds ? "\n  ],\n  \"images\": [\n" : "],\n  \"images\": [\n", out);
	first = true;
	for (size_t k = 0; k < set->n; k++) {
		if (ids[k] < 0)
			continue;
		if (!first)
			fputs(",\n", out);
		first = false;
		image(r, out, ids, (long)k);
	}
	fputs("\n  ]\n}\n", out);
	free(ids);
	return ferror(out) ? -5 : 0;
}
