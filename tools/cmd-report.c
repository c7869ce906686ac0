/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * `malloc-stat report PREFIX|DIR|FILE...`: reads existing logs and writes
 * the reports. Also the report half of `run`, and the shared handling of
 * the report options.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "load.h"
#include "report.h"
#include "stacks.h"
#include "stackview.h"
#include "symbols.h"
#include "tree.h"

void mstat_report_opts_init(struct mstat_report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->top = 10;
	o->progress = -1;
	o->pid = -1;
	o->stack_depth = 8;
}

/* "2,4,8" */
static int jobs_arg(struct mstat_report_opts *o, const char *arg)
{
	const char *p = arg;

	o->njobs = 0;
	while (*p && o->njobs < 8) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || !v || v > 4096 || (*end && *end != ','))
			break;
		o->jobs[o->njobs++] = (unsigned)v;
		p = *end ? end + 1 : end;
	}
	if (*p || !o->njobs) {
		fprintf(stderr, "malloc-stat: --jobs wants numbers like 2,4,8 (at most 8), not '%s'\n", arg);
		return -1;
	}
	return 1;
}

/* "16G", "512M", "16GiB", "1e9" bytes: binary units, K to T. */
static int ram_arg(struct mstat_report_opts *o, const char *arg)
{
	static const char units[] = "KMGT";
	char *end;
	double v;
	const char *u;

	errno = 0;
	v = strtod(arg, &end);
	u = *end ? strchr(units, *end & ~0x20) : NULL;
	if (u && *u) {
		v *= (double)(1ull << (10 * (u - units + 1)));
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	} else if (!strcmp(end, "B")) {
		end++;
	}
	if (errno || end == arg || *end || !(v >= 1) || v > 1e18) {
		fprintf(stderr, "malloc-stat: --ram wants a size like 16G or 512M, not '%s'\n", arg);
		return -1;
	}
	o->ram = (uint64_t)v;
	return 1;
}

static int uint_arg(const char *name, const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v > 1000000 || arg[0] == '-') {
		fprintf(stderr, "malloc-stat: --%s wants a number, not '%s'\n", name, arg);
		return -1;
	}
	*out = (unsigned)v;
	return 1;
}

int mstat_report_opt(struct mstat_report_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_JSON: o->json = true; return 1;
	case OPT_HTML: o->html = arg; return 1;
	case OPT_TRACE_EVENT: o->trace_event = arg; return 1;
	case OPT_OUTPUT: o->output = arg; return 1;
	case OPT_TOP: return uint_arg("top", arg, &o->top);
	case OPT_THREADS: return uint_arg("threads", arg, &o->threads);
	case OPT_PROGRESS: o->progress = 1; return 1;
	case OPT_NO_PROGRESS: o->progress = 0; return 1;
	case OPT_STATS: o->stats = true; return 1;
	case OPT_QUIET: o->quiet = true; return 1;
	case OPT_STACKS: o->stacks = true; return 1;
	case OPT_COLLAPSED: o->collapsed = arg; return 1;
	case OPT_STACK_DEPTH: return uint_arg("stack-depth", arg, &o->stack_depth);
	case OPT_JOBS: return jobs_arg(o, arg);
	case OPT_RAM: return ram_arg(o, arg);
	case OPT_PID: {
		unsigned v;

		if (uint_arg("pid", arg, &v) < 0)
			return -1;
		o->pid = (long)v;
		return 1;
	}
	case OPT_COLLAPSED_METRIC: {
		enum mstat_metric m;

		if (mstat_metric_parse(arg, &m) < 0) {
			fprintf(stderr, "malloc-stat: --collapsed-metric wants bytes, calls, peak or leaked, not '%s'\n",
				arg);
			return -1;
		}
		o->collapsed_metric = (int)m;
		return 1;
	}
	default: return 0;
	}
}

static int text_and_stacks(const struct mstat_report *r, FILE *out)
{
	int e = mstat_report_text(r, out);

	if (r->stacks)
		mstat_stackview_text(r->stacks, out, r->top);
	return e < 0 || ferror(out) ? -5 : 0;
}

static int collapsed_to(const char *path, const struct mstat_stackview *v, enum mstat_metric m)
{
	FILE *f = fopen(path, "we");
	int e;

	if (!f) {
		fprintf(stderr, "malloc-stat: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	e = mstat_stackview_collapsed(v, f, m);
	if (fclose(f) != 0 || e < 0) {
		fprintf(stderr, "malloc-stat: cannot write '%s': %s\n", path, strerror(errno ? errno : EIO));
		return -1;
	}
	if (!v->nex)
		fprintf(stderr, "malloc-stat: %s: empty: no call stacks in these logs (record them with `malloc-stat run --backtrace DEPTH` or MALLOC_STAT_BACKTRACE=DEPTH)\n",
			path);
	return 0;
}

static int write_to(const char *path, const struct mstat_report *r,
		    int (*fn)(const struct mstat_report *, FILE *))
{
	FILE *f = fopen(path, "we");
	int e;

	if (!f) {
		fprintf(stderr, "malloc-stat: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	e = fn(r, f);
	if (fclose(f) != 0 || e < 0) {
		fprintf(stderr, "malloc-stat: cannot write '%s': %s\n", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int width_of(FILE *out)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");

	if (c && atoi(c) >= 60)
		return atoi(c);
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 60)
		return ws.ws_col;
	return 120;
}

int mstat_report_inputs(const struct mstat_report_opts *o, char *const *inputs, size_t n,
			FILE *out, const char *log_dir)
{
	struct mstat_load_opts lo = {
		.threads = o->threads,
		.progress = o->progress < 0 ? isatty(STDERR_FILENO) : o->progress,
		.msgs = o->quiet ? NULL : stderr,
	};
	struct mstat_set set = { 0 };
	struct mstat_report r = { 0 };
	struct mstat_stackdb db;
	struct mstat_stackview sv = { 0 };
	bool stacks = o->stacks || o->collapsed || o->html;	/* HTML: flame graphs */
	int code = MSTAT_EXIT_OK, e;

	if (stacks) {
		if (mstat_stackdb_init(&db, o->pid) < 0)
			goto nomem;
		lo.stacks = &db;
	}
	e = mstat_load(&set, inputs, n, &lo);
	if (e == -ENOMEM)
		goto nomem;
	if (o->stats) {
		double s = set.seconds > 0 ? set.seconds : 1e-9;
		double cs = set.cpu_seconds > 0 ? set.cpu_seconds : 1e-9;

		fprintf(stderr, "malloc-stat: read %zu logs, %llu bytes, %llu lines in %.3f s (%.3f s CPU) with %u threads: %.1f MB/s, %.1f MB per CPU second, %.1f Mlines/s\n",
			set.ninputs, (unsigned long long)set.bytes, (unsigned long long)set.lines,
			set.seconds, set.cpu_seconds, set.threads, (double)set.bytes / s / 1e6,
			(double)set.bytes / cs / 1e6, (double)set.lines / s / 1e6);
	}
	if (e < 0) {
		code = MSTAT_EXIT_NOLOGS;
		goto out;
	}
	set.launched = o->launched;
	r.njobs = o->njobs;
	memcpy(r.jobs, o->jobs, sizeof(r.jobs));
	r.ram = o->ram;
	if (mstat_tree_build(&set, lo.msgs) < 0 || mstat_report_build(&r, &set) < 0)
		goto nomem;
	r.inputs = inputs;
	r.ninputs = n;
	r.log_dir = log_dir;
	r.top = o->top;
	if (stacks) {
		if (mstat_stackview_build(&sv, &db, o->stack_depth) < 0)
			goto nomem;
		if (o->stats)
			fprintf(stderr, "malloc-stat: symbolized %zu frames (%zu distinct addresses) in %.3f s: %.0f frames/s\n",
				sv.frames, sv.lookups, sv.seconds,
				(double)sv.frames / (sv.seconds > 0 ? sv.seconds : 1e-9));
		if (o->stacks)
			r.stacks = &sv;
		if (o->collapsed && collapsed_to(o->collapsed, &sv, (enum mstat_metric)o->collapsed_metric) < 0)
			code = MSTAT_EXIT_NOLOGS;
	}
	if (o->output) {
		r.width = 120;
		if (write_to(o->output, &r, o->json ? mstat_report_json : text_and_stacks) < 0)
			code = MSTAT_EXIT_NOLOGS;
	} else {
		r.width = width_of(out);
		fflush(stderr);
		if ((o->json ? mstat_report_json : text_and_stacks)(&r, out) < 0 || fflush(out)) {
			fprintf(stderr, "malloc-stat: cannot write the report: %s\n", strerror(errno));
			code = MSTAT_EXIT_NOLOGS;
		}
	}
	if (o->html) {
		r.stacks = sv.nex ? &sv : NULL;
		if (write_to(o->html, &r, mstat_report_html) < 0)
			code = MSTAT_EXIT_NOLOGS;
		r.stacks = o->stacks ? &sv : NULL;
	}
	if (o->trace_event && write_to(o->trace_event, &r, mstat_report_trace) < 0)
		code = MSTAT_EXIT_NOLOGS;
	goto out;
nomem:
	fprintf(stderr, "malloc-stat: out of memory\n");
	code = MSTAT_EXIT_NOLOGS;
out:
	mstat_report_free(&r);
	mstat_set_free(&set);
	if (stacks) {
		mstat_stackview_free(&sv);
		mstat_symbols_free(&db);
		mstat_stackdb_free(&db);
	}
	return code;
}

static void report_usage(FILE *out)
{
	fputs("Usage: malloc-stat report [OPTIONS] PREFIX|DIR|FILE...\n"
	      "Reads the logs of a traced run and reports heap use per process, per\n"
	      "command and for the whole process tree over time.\n\n"
	      "      --json          the report as JSON (doc/report-json.md)\n"
	      "      --html FILE     also write a self-contained HTML page\n"
	      "      --trace-event FILE  also write the trace as Chrome trace-event JSON\n"
	      "                      (ui.perfetto.dev, chrome://tracing)\n"
	      "      --top N         rows per list and children per node (default 10, 0: all)\n"
	      "      --output FILE   write the text or JSON report to FILE\n"
	      "      --progress      show progress on stderr (default: when it is a terminal)\n"
	      "      --no-progress\n"
	      "      --threads N     reader threads (default: one per CPU)\n"
	      "      --stats         print the reading speed on stderr\n"
	      "      --quiet         no messages about problems in the logs\n"
	      "      --jobs N,...    the parallel-jobs estimate for these N (default 2,4,8)\n"
	      "      --ram SIZE      how many of the heaviest jobs fit in SIZE (16G, 512M;\n"
	      "                      default: this machine's MemTotal)\n\n"
	      "Call stacks (logs made with MALLOC_STAT_BACKTRACE=DEPTH):\n"
	      "      --stacks        per executable: leaks by allocation stack, top sites by\n"
	      "                      bytes, by calls and by contribution to the heap's peak\n"
	      "      --pid PID       stacks of that process only, not of all processes of\n"
	      "                      the same executable\n"
	      "      --stack-depth N frames shown per stack (default 8, 0: all)\n"
	      "      --collapsed FILE  write collapsed stacks (cmd;outer;...;inner VALUE) for\n"
	      "                      flamegraph.pl, inferno or speedscope\n"
	      "      --collapsed-metric bytes|calls|peak|leaked  their value (default bytes\n"
	      "                      allocated); sampled logs give scaled estimates\n"
	      "      --help\n", out);
}

int mstat_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = { MSTAT_REPORT_LONGOPTS, { 0 } };
	struct mstat_report_opts o;
	int c;

	mstat_report_opts_init(&o);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int r = mstat_report_opt(&o, c, optarg);

		if (r < 0)
			return MSTAT_EXIT_USAGE;
		if (r)
			continue;
		if (c == 'h' || c == OPT_HELP) {
			report_usage(stdout);
			return MSTAT_EXIT_OK;
		}
		report_usage(stderr);
		return MSTAT_EXIT_USAGE;
	}
	if (optind == argc) {
		fprintf(stderr, "malloc-stat: report: which logs? (a prefix, a directory or files)\n");
		report_usage(stderr);
		return MSTAT_EXIT_USAGE;
	}
	return mstat_report_inputs(&o, argv + optind, (size_t)(argc - optind), stdout, NULL);
}
