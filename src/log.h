/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The log writer: formats entries and puts them into the sink (a mapped
 * per-process file, or a shared stream such as fd 1022). Entries are whole
 * and in the order the allocator saw them; a process killed at any point
 * leaves every entry whose call had returned.
 */
#ifndef MSTAT_LOG_H
#define MSTAT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* RSS entries: at most one per period, none before a process lived one. */
#define MSTAT_RSS_EVERY_NS 10000000u

enum mstat_ev {
	MSTAT_EV_MALLOC,
	MSTAT_EV_CALLOC,
	MSTAT_EV_MEMALIGN,
	MSTAT_EV_POSIX_MEMALIGN,
	MSTAT_EV_ALIGNED_ALLOC,
	MSTAT_EV_VALLOC,
	MSTAT_EV_PVALLOC,
	MSTAT_EV_REALLOC_ALLOC,
	MSTAT_EV_FREE,
	MSTAT_EV_REALLOC_FREE,
	MSTAT_EV_REALLOC_INPLACE,
	MSTAT_EV_REALLOC_REALLOC,
};

enum mstat_sink_kind {
	MSTAT_SINK_NONE,
	MSTAT_SINK_FILE,   /* our own file, written through a shared mapping */
	MSTAT_SINK_STREAM, /* a descriptor other processes may share */
};

/* True while entries are to be logged: a sink exists, the API has not
 * turned logging off, and no error has stopped it. Read on every event. */
extern bool mstat_log_on;

void mstat_log_alloc(enum mstat_ev ev, const void *p, size_t req, size_t usable);
void mstat_log_free(enum mstat_ev ev, const void *p, size_t usable);

/* n events that could not be logged: a LOST entry. */
void mstat_log_add_lost(unsigned n);
/* held: what mstat_log_hold_realloc() returned; the event may change it. */
void mstat_log_realloc(const void *newp, size_t req, size_t usable,
		       const void *oldp, size_t old_usable, unsigned *held);

/* The same with a call stack: an "@ ID [frames]" line in the entry, the
 * frames written the first time this file sees that stack; the summary
 * kind records site, mstat_log_site()'s, instead. */
void mstat_log_alloc_stack(enum mstat_ev ev, const void *p, size_t req, size_t usable,
			   const uintptr_t *frames, int n, uint32_t site);
void mstat_log_realloc_stack(const void *newp, size_t req, size_t usable, const void *oldp,
			     size_t old_usable, unsigned *held, const uintptr_t *frames, int n,
			     uint32_t site);

/* The summary kind: the stack's site (its row made, its frames in the
 * text the first time), 0 for none or in the event log. Takes the
 * writer: not with a realloc's hold. */
uint32_t mstat_log_site(const uintptr_t *frames, int n);
void mstat_log_stacks_forget(void);

/* The program's own memory mappings: anonymous mmaps, and every munmap and
 * mremap (the reader intersects them with the anonymous ranges it knows).
 * glibc's malloc maps through internal calls that never reach these. */
void mstat_log_mmap(const void *p, size_t len, int prot, int flags);
void mstat_log_munmap(const void *p, size_t len, bool held);
void mstat_log_mremap(const void *newp, size_t newlen, const void *oldp, size_t oldlen,
		      bool held);

/* Around a realloc in a multi-threaded process: the old block returns to
 * the allocator inside realloc, and another thread may receive it and log
 * it before this thread logs the move. Holding the writer across the call
 * keeps the log in allocator order; munmap and mremap likewise.
 * Returns whether it holds. */
bool mstat_log_hold(void);
void mstat_log_unhold(bool held);

/* The same for realloc's old block; in summary mode with threads it holds
 * only that block's shard. The hold is the caller's (a signal handler's
 * realloc has its own): what it holds, which the event may release. */
enum { MSTAT_HOLD_NONE, MSTAT_HOLD_WRITER, MSTAT_HOLD_SHARD, MSTAT_HOLD_DONE };
unsigned mstat_log_hold_realloc(const void *old);
void mstat_log_unhold_realloc(unsigned held, const void *old);

/* Writer control for the lifecycle code (process.c); all take the writer
 * lock themselves unless noted. */
void mstat_log_lock(void);
void mstat_log_unlock(void);

/* Puts text made of whole lines (header lines, control entries). Caller
 * holds the lock. */
void mstat_log_put_locked(const char *text, size_t len);

/* Puts one control entry "+ TYPE A 0xB[ TAIL]\n-\n". */
void mstat_log_control(const char *type, uint64_t a, uint64_t b, const char *tail);
/* An RSS entry of a sample just taken (the next periodic one waits). */
void mstat_log_rss(uint64_t resident, uint64_t shared);

/* The preload's own resident bytes (its segments and the unwinder's, its
 * log window, the summary's body, the stack table), and of them the
 * file-backed ones (statm's shared part): an estimate, read without the
 * writer's lock where a timeline lock is held. mstat_log_own_init() finds
 * the objects' segments, out of malloc (it takes the loader's lock). */
void mstat_log_own_init(void);
uint64_t mstat_log_own_resident(uint64_t *file_backed);

/* /proc/self/statm less what is the preload's own: the program's. */
int mstat_statm_program(uint64_t *resident, uint64_t *shared);

/* The program's peak resident size from the process's (getrusage's, in
 * bytes): less the most the preload held, and at least the program's
 * highest sample. */
uint64_t mstat_log_program_peak(uint64_t maxrss);
/* The same with a second word of tail after a space. */
void mstat_log_control2(const char *type, uint64_t a, uint64_t b, const char *tail,
			const char *tail2);

/* Sink set-up. The file sink takes ownership of fd (already high and
 * close-on-exec) and keeps path (which must stay valid) to reopen it if the
 * program closes or replaces the descriptor. 0 or -errno. */
int mstat_log_open_file(int fd, const char *path);
/* A stream: buffered (fd 1022: batches of up to PIPE_BUF) or one write per
 * entry (an fd the program set through the API). fd is owned when owned. */
void mstat_log_open_stream(int fd, bool buffered, bool owned);
void mstat_log_close(void);
enum mstat_sink_kind mstat_log_sink(void);

/* Under the writer lock, just before fork. */
void mstat_log_before_fork(void);

/* Byte offset of the next entry in the file sink (the fork point). */
uint64_t mstat_log_offset(void);

/* Stream batches say whose entries follow. */
void mstat_log_set_pid(pid_t pid);

/* Makes everything written so far durable against the process ending now:
 * flushes a stream, trims and unmaps a file (later entries go through
 * pwrite until mstat_log_remap). Caller holds the lock. */
void mstat_log_seal_locked(void);
void mstat_log_remap_locked(void);

/* In a fork child: drops the parent's sink without touching the parent's
 * file, and resets the lock. */
void mstat_log_forget_in_child(void);

/* In a vfork child, which runs on its parent's thread and memory: an
 * entry that the parent thread writes at its next event (the parent is
 * stopped until the child execs or exits). A child pid that pended one
 * before (its earlier exec failed) replaces it: one entry per child.
 * Returns a mark for mstat_log_vfork_redo, which replaces that entry
 * (the exec failed), or UINT_MAX when it did not fit. */
unsigned mstat_log_vfork_pend(int pid, const char *p, size_t len);
void mstat_log_vfork_redo(unsigned mark, const char *p, size_t len);

/* True when this thread is inside the writer: a signal handler interrupted
 * it there. Lifecycle code must not take the writer lock then. */
bool mstat_log_nested(void);

/* Turns logging on/off as the API asks (a sink must exist to turn on). */
void mstat_log_enable(bool on);
bool mstat_log_enabled(void);

/* MALLOC_STAT_MODE=summary (per-process files only; doc/summary-format.md). The text
 * area before the first body (bytes, MALLOC_STAT_SUMMARY_TEXT). */
void mstat_log_summary_mode(bool on, uint64_t text_first);
/* The header's "# SUMMARY 2 OOOOOOOO\n" (the body's 64-byte unit), right after the
 * version line so that the digits sit at file offset 32; 0 when this
 * image has no body. */
#define MSTAT_SUMMARY_LINE 21
size_t mstat_log_summary_line(char line[MSTAT_SUMMARY_LINE]);
/* A fork child's inherited bytes: in the counters, not in its own heap. */
/* After the counters' reset: the summary's copies of them follow. */
void mstat_log_summary_reset(void);
void mstat_log_summary_inherit(int64_t bytes);


#endif
