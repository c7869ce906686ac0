/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The malloc-stat command's subcommands and what they share: the report
 * options (--json, --html, --top, ...) and reading logs into a report.
 */
#ifndef MSTAT_CLI_H
#define MSTAT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (documented in --help and the man page). */
#define MSTAT_EXIT_OK 0
#define MSTAT_EXIT_NOLOGS 1	/* nothing readable, or the report could not be written */
#define MSTAT_EXIT_USAGE 2
#define MSTAT_EXIT_RUNFAIL 125	/* run: malloc-stat failed before the command ran */
#define MSTAT_EXIT_NOEXEC 126	/* run: the command could not be executed */
#define MSTAT_EXIT_NOTFOUND 127	/* run: the command was not found */

struct mstat_report_opts {
	bool json;
	const char *html;
	const char *trace_event;	/* --trace-event FILE */
	const char *output;
	unsigned top;
	int progress;		/* -1: when stderr is a terminal */
	unsigned threads;
	bool stats;
	bool quiet;		/* no problem messages */
	long launched;		/* run: the command's pid */
	bool stacks;		/* call-stack reports */
	const char *collapsed;	/* write collapsed stacks here */
	int collapsed_metric;	/* enum mstat_metric */
	long pid;		/* stacks of this process only; -1: all */
	unsigned stack_depth;	/* frames per stack in text */
	unsigned njobs;		/* --jobs */
	unsigned jobs[8];
	uint64_t ram;		/* --ram: bytes the estimate fills (0: MemTotal) */
};

/* Long options shared by run and report, and their handler: 1 when opt
 * was one of them, 0 when not, -1 on a bad argument (reported). */
enum {
	OPT_JSON = 0x100, OPT_HTML, OPT_TOP, OPT_OUTPUT, OPT_PROGRESS, OPT_NO_PROGRESS,
	OPT_THREADS, OPT_STATS, OPT_HELP, OPT_QUIET, OPT_STACKS, OPT_COLLAPSED,
	OPT_COLLAPSED_METRIC, OPT_PID, OPT_STACK_DEPTH, OPT_JOBS, OPT_TRACE_EVENT, OPT_RAM,
};
#define MSTAT_REPORT_LONGOPTS                                              \
	{ "json", no_argument, NULL, OPT_JSON },                           \
	{ "html", required_argument, NULL, OPT_HTML },                     \
	{ "trace-event", required_argument, NULL, OPT_TRACE_EVENT },       \
	{ "top", required_argument, NULL, OPT_TOP },                       \
	{ "output", required_argument, NULL, OPT_OUTPUT },                 \
	{ "progress", no_argument, NULL, OPT_PROGRESS },                   \
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },             \
	{ "threads", required_argument, NULL, OPT_THREADS },               \
	{ "stats", no_argument, NULL, OPT_STATS },                         \
	{ "quiet", no_argument, NULL, OPT_QUIET },                         \
	{ "stacks", no_argument, NULL, OPT_STACKS },                       \
	{ "collapsed", required_argument, NULL, OPT_COLLAPSED },           \
	{ "collapsed-metric", required_argument, NULL, OPT_COLLAPSED_METRIC }, \
	{ "pid", required_argument, NULL, OPT_PID },                       \
	{ "stack-depth", required_argument, NULL, OPT_STACK_DEPTH },       \
	{ "jobs", required_argument, NULL, OPT_JOBS },                     \
	{ "ram", required_argument, NULL, OPT_RAM },                       \
	{ "help", no_argument, NULL, OPT_HELP }

void mstat_report_opts_init(struct mstat_report_opts *o);
int mstat_report_opt(struct mstat_report_opts *o, int opt, const char *arg);

/*
 * Reads inputs, stitches and writes the reports: text or JSON to
 * o->output or else to out, HTML to o->html. log_dir (run) is named in
 * the report. Returns an exit code.
 */
int mstat_report_inputs(const struct mstat_report_opts *o, char *const *inputs, size_t n,
			FILE *out, const char *log_dir);

int mstat_cmd_run(int argc, char **argv);
int mstat_cmd_report(int argc, char **argv);
int mstat_cmd_merge(int argc, char **argv);
int mstat_cmd_show(int argc, char **argv);

/* Prints the usage text; to stdout for --help, stderr after a mistake. */
void mstat_usage(FILE *out);

/* Finds malloc-stat.so (MALLOC_STAT_PRELOAD, the build tree, the install
 * path); an absolute path in buf. 0 or -ENOENT (explained on stderr). */
int mstat_preload_path(char *buf, size_t cap);

#endif
