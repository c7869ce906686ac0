/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * What every report shows, computed once from a stitched set: the tree's
 * heap over time and who made up its peak, totals, per-command rows, and
 * subtree weights for folding the tree. The text, JSON and HTML writers
 * only format this.
 */
#ifndef MSTAT_REPORT_H
#define MSTAT_REPORT_H

#include <stdio.h>

#include "commands.h"
#include "load.h"
#include "timeline.h"
#include "untraced.h"

struct mstat_contrib {
	long img;
	int64_t bytes;
};

#define MSTAT_JOBS_MAX 8
#define MSTAT_ERRNOS 256	/* errnos counted apart; larger ones share slot 0 */

/*
 * The build question: how many of my heaviest jobs fit in my RAM? The
 * heaviest job is the command of the heaviest single invocation (the
 * tree's root, the build driver, only when nothing else ran). N of them
 * at once are taken to need N times that invocation's peak (every job as
 * heavy as the heaviest, their peaks at one moment) plus the most that
 * every other command held together at any moment (the driver, shells,
 * lighter jobs). In two measures: heap + anonymous mappings (what the
 * programs asked for) and resident size (what the kernel gave, shared
 * pages counted in each).
 */
struct mstat_estimate {
	long cmd;		/* index in cmds, -1 for none */
	enum mstat_series metric;	/* the one that chose it: MSTAT_RSS, else MSTAT_TOTAL */
	int64_t per_job[MSTAT_NSERIES];	/* TOTAL, RSS: the command's highest per image */
	int64_t rest[MSTAT_NSERIES];	/* every other command together, at its highest */
	unsigned njobs;
	unsigned jobs[MSTAT_JOBS_MAX];
	uint64_t ram;		/* the memory to fill: --ram, else MemTotal; 0 unknown */
	bool ram_given;		/* from --ram */
	int64_t fit;		/* jobs that fit in ram beside the rest (metric) */
};

struct mstat_report {
	struct mstat_set *set;
	struct mstat_timeline tl;
	struct mstat_command *cmds;
	size_t ncmds;
	struct mstat_contrib *at_peak;	/* images alive at the heap's peak, largest first */
	size_t nat_peak;
	struct mstat_contrib *at[MSTAT_NSERIES];	/* the same at each curve's peak */
	size_t nat[MSTAT_NSERIES];
	struct mstat_estimate est;
	bool have_rss;		/* some image logged RSS entries */
	bool have_anon;		/* some image mapped anonymous memory */
	int64_t *weight;	/* per image: peaks summed over its subtree */
	size_t *subtree;	/* per image: shown nodes in its subtree */

	size_t processes, images, virt;
	size_t summaries;	/* images recorded as summaries (heap state, no events) */
	size_t hosts;		/* distinct BOOT ids (logs without one: one more) */
	uint64_t allocs, frees, alloc_bytes, free_bytes;
	uint64_t leaked_blocks, leaked_bytes, leaked_images;
	size_t died, untraced_forks;
	size_t cut, cut_by[MSTAT_ERRNOS];	/* logs cut short, and by errno */
	size_t nolog, nolog_by[MSTAT_ERRNOS];	/* images with no log (PREFIX.nolog), by errno */
	size_t nolog_procs;	/* of which processes of their own, not execs of traced ones */
	struct mstat_untraced untraced;	/* children that left no log, and why */
	struct mstat_untraced untraced_execs;	/* execs into programs that left none */
	size_t *gap_kids;	/* per image: its children in `untraced` (NULL: none) */
	long *gap_exec;		/* per image: its exec in `untraced_execs`, or -1 (NULL: none) */
	size_t started;		/* processes: traced, untraced children, nolog_procs */
	uint64_t unmatched_frees, gap_images;	/* frees after LOG 0 / LOST */
	uint32_t live_max;	/* most images alive in one bin */

	/* context for the writers */
	const struct mstat_stackview *stacks;	/* --stacks: the call-stack reports */
	unsigned njobs;		/* --jobs: N for the estimate (0: 2, 4, 8) */
	unsigned jobs[MSTAT_JOBS_MAX];
	uint64_t ram;		/* --ram: bytes the estimate fills (0: MemTotal here) */
	char *const *inputs;
	size_t ninputs;
	const char *log_dir;	/* run: where the logs went */
	unsigned top;
	int width;		/* text: line width */
};

/* The gaps at image k, to follow its label in a tree: " -> ldconfig: not
 * traced (static program)" for an exec into an untraced program, " +3
 * untraced children" for children that left no log. "" when none. */
void mstat_report_gap_mark(const struct mstat_report *r, long k, char *buf, size_t cap);

/* Builds everything from a loaded set; the tree must be built (njobs,
 * jobs and ram may be set before). 0 or -ENOMEM. */
int mstat_report_build(struct mstat_report *r, struct mstat_set *set);
void mstat_report_free(struct mstat_report *r);

/* Seconds of a CLOCK_MONOTONIC time from the start of the trace. */
double mstat_report_secs(const struct mstat_report *r, uint64_t t);

int mstat_report_text(const struct mstat_report *r, FILE *out);
/* The text report's "Gaps:" paragraph and its notes (nothing when there
 * are none), for the other writers. */
void mstat_report_text_gaps(const struct mstat_report *r, FILE *out);
int mstat_report_json(const struct mstat_report *r, FILE *out);
int mstat_report_html(const struct mstat_report *r, FILE *out);
/* Chrome trace-event JSON (report-trace.c): Perfetto, chrome://tracing. */
int mstat_report_trace(const struct mstat_report *r, FILE *out);

#endif
