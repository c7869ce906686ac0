/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * What the reader knows of one process image (one log file, or one segment
 * of a merged file): its header, its counters recomputed from the entries,
 * its heap over time, and where it sits in the stitched tree.
 */
#ifndef MSTAT_IMAGE_H
#define MSTAT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum mstat_origin {
	MSTAT_ORIGIN_NONE,	/* no ORIGIN line */
	MSTAT_ORIGIN_IMAGE,
	MSTAT_ORIGIN_FORK,
	MSTAT_ORIGIN_CLONE,
};

enum mstat_end {
	MSTAT_END_DIED,		/* no FINI: _exit, a signal, abort, SIGKILL */
	MSTAT_END_EXIT,		/* FINI */
	MSTAT_END_EXEC,		/* EXEC, not followed by EXEC-FAILED */
	MSTAT_END_CUT,		/* CUT: the log stopped (a full disk); the process went on */
};

/* How a node hangs from its parent in the stitched tree. */
enum mstat_rel {
	MSTAT_REL_ROOT,		/* no parent: the top, or a parent outside the logs */
	MSTAT_REL_FORK,		/* ORIGIN fork */
	MSTAT_REL_CLONE,	/* ORIGIN clone */
	MSTAT_REL_SPAWN,	/* a new process that exec'd before logging */
	MSTAT_REL_EXEC,		/* the next image of the same process */
};

/* The curves the reports draw over time, per image: own heap (blocks it
 * allocated itself), anonymous mappings, the two summed (at each event,
 * not the sum of their highs), and the resident size of the last RSS
 * entry. */
enum mstat_series {
	MSTAT_HEAP,
	MSTAT_ANON,
	MSTAT_TOTAL,
	MSTAT_RSS,
	MSTAT_NSERIES,
};

/* An image in one tick of the coarse clock: for each curve the highest
 * level reached in it and the level at its end (kept until the next
 * sample). */
struct mstat_sample {
	uint64_t t;
	int64_t max[MSTAT_NSERIES];
	int64_t end[MSTAT_NSERIES];
};

/* A SPAWN entry: a vfork or posix_spawn child, which may leave no log. */
struct mstat_spawn {
	int64_t pid;		/* 0: posix_spawn failed before it had one */
	int err;		/* exec's errno; 0 when it went through */
	bool env;		/* its environment dropped the preload */
	char *path;
};

/* A FORK entry: a child this image made. */
struct mstat_fork {
	int64_t pid;
	uint64_t off;
	uint64_t t;
	bool matched;		/* a traced child is linked to it */
};

struct mstat_image {
	/* where it came from */
	char *path;		/* for messages: file, or merged file(name) */
	char *name;		/* base name, as ORIGIN names files */
	char *src;		/* the file it is read from */
	uint64_t src_off;	/* where the log starts in it */
	uint64_t line0;		/* line number of the first line, minus one */
	uint64_t size;		/* bytes before the first NUL */
	uint64_t whole;		/* of which in whole lines */
	uint64_t lines;
	bool valid;		/* a malloc-stat log with the required header */
	bool empty;		/* nothing in it: the process ended before its header */
	bool virt;		/* a process known only from others' logs */

	/* header */
	int64_t pid, ppid;
	uint64_t start, pstart;
	bool has_pid, has_start, has_pstart, has_time;
	uint64_t wall_ns, mono_ns;
	char *host;		/* HOST: the machine's name; NULL in older logs */
	char *boot;		/* BOOT: its boot id; NULL (older logs) or "": one unnamed boot */
	enum mstat_origin origin;
	char *origin_file;
	uint64_t origin_off;
	uint64_t inherited;
	char *exe, *cwd;
	unsigned stack_depth;	/* STACKS: 0 without call stacks */
	uint64_t stack_sample;
	bool summary;		/* SUMMARY: the heap state is a body (summary.h) */
	bool summary_bad;	/* a SUMMARY line this reader cannot read */
	uint64_t summary_off;	/* where the body starts: a byte offset, a multiple of 64 */
	uint64_t summary_end;	/* a readable body ends here (0: none): merge copies up to it */
	uint64_t summary_nl;	/* newline bytes before summary_end, for merge's line numbers */
	char *argv;		/* arguments, each NUL-terminated, back to back */
	size_t argv_len;
	unsigned argc;

	/* entries, as the preload counts them (usable bytes) */
	uint64_t allocs, alloc_bytes, frees, free_bytes;
	int64_t in_use, peak;
	/* How far peak may be from the true peak with threads (FINI's
	 * peak_slack, or the summary's counting threads x 64 KiB); 0: exact. */
	uint64_t peak_slack;
	uint64_t live_blocks, live_bytes, live_req;	/* own, at the end */
	uint64_t inh_frees, inh_free_bytes;	/* of inherited blocks */
	uint64_t unknown_frees, unknown_free_bytes;	/* in gaps */
	uint64_t log_off, lost;	/* LOG 0 entries, LOST events */
	uint64_t mmaps, mmap_bytes, munmaps, mremaps;	/* anonymous mappings */
	uint64_t anon_end, anon_peak;	/* live anonymous bytes: at the end, highest */
	uint64_t reserved_peak;	/* PROT_NONE mappings: address space only */
	int64_t total_peak;	/* in_use + anonymous, highest at any event */
	uint64_t rss_max, maxrss;	/* RSS entries' highest; FINI's maxrss */
	uint64_t rss_samples;	/* RSS entries */
	uint64_t rss_peak;	/* the peak resident size reported (report.c) */
	bool rss_from_maxrss;	/* rss_peak is FINI's maxrss */
	bool has_init, has_fini, fini_mismatch;
	bool fini_ok;		/* FINI's counters are all there and possible */
	uint64_t fini[6];	/* allocations allocated deallocations deallocated in_use peak */
	uint64_t fini_ns;	/* FINI's time= (CLOCK_MONOTONIC), 0 when absent */
	enum mstat_end end;
	int cut_errno;		/* CUT: why the log stopped; 0 without one */
	char *exec_path;
	uint64_t t_first, t_last;	/* first and last tick (or the header's time) */
	struct mstat_sample *samples;
	size_t nsamples, samples_cap;
	struct mstat_fork *forks;
	size_t nforks, forks_cap;
	struct mstat_spawn *spawns;
	size_t nspawns, spawns_cap;
	bool exec_env;		/* EXEC 1: the new image's environment drops the preload */

	struct mstat_diag diag;

	/* the stitched tree (tree.c) */
	long parent;		/* index, -1 for none */
	enum mstat_rel rel;
	long first_child, next_sibling;
	long proc;		/* first image of the process */
	unsigned boot_no;	/* the set's number of BOOT, 1.. (0: none): (boot, pid, start) is a process */
	bool exec_untraced;	/* ended by exec; the next image has no log */
	bool pid_reused;	/* another process of the set had its pid */
	unsigned untraced_forks;	/* FORK entries with no traced child */
};

void mstat_image_init(struct mstat_image *im);
void mstat_image_free(struct mstat_image *im);

/* The command name used to group invocations: the base name of argv[0],
 * else of the executable; "?" when neither is known. */
const char *mstat_image_command(const struct mstat_image *im);

/* The command line for people: arguments joined by spaces, those with
 * spaces, quotes or control characters single-quoted, control characters
 * as \n, \t or \xHH, cut to max bytes (with "..."). Returns the length
 * written into buf (always NUL-terminated, cap > 4). */
size_t mstat_image_cmdline(const struct mstat_image *im, char *buf, size_t cap, size_t max);

/* The name of a row, as mstat_image_cmdline writes it: the program's base
 * name and the arguments that say which job it was: the source file of a
 * compiler (cc1, cc1plus) and of a compiling driver (cc, gcc, g++, clang),
 * the output of a linking driver and of as, ld and collect2 ("-o FILE"),
 * the directory, makefile and targets of make; every argument for other
 * programs. Cut to max bytes: the job's arguments keep their ends. */
size_t mstat_image_label(const struct mstat_image *im, char *buf, size_t cap, size_t max);

/* s for a terminal, control characters escaped as in the command line,
 * cut to cap - 1 bytes with "...". */
size_t mstat_text_escape(char *buf, size_t cap, const char *s);

/* Leaked means own blocks live at the end of an image that exited or died;
 * at an exec the new image replaces them, which is no leak; a log cut
 * short does not know what the process freed afterwards. */
static inline bool mstat_image_leaks(const struct mstat_image *im)
{
	return im->valid && im->end != MSTAT_END_EXEC && im->end != MSTAT_END_CUT &&
	       im->live_blocks;
}

#endif
