/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Process lifecycle: lazy set-up on the first allocator call, one log per
 * process image, fork children (with and without fork handlers), exec,
 * exit, and the runtime API's state.
 */
#ifndef MSTAT_PROCESS_H
#define MSTAT_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "log.h"

enum mstat_state {
	MSTAT_STATE_NONE,
	MSTAT_STATE_INITIALISING,
	MSTAT_STATE_READY,
	MSTAT_STATE_CHILD, /* fork child whose log is opened at its first event */
};

extern int mstat_state;
extern volatile uint32_t *mstat_fork_guard;
void mstat_proc_after_clone(void);

/* Idempotent and safe against recursion and signals: a call made while
 * set-up runs returns at once, its event counted but not logged. */
void mstat_proc_init(void);

/* Before an event is counted: set-up, and a child made without fork
 * handlers (_Fork, clone) noticed through the fork guard page, which the
 * kernel zeroes in every child, so that its first event is its own. */
static inline void mstat_proc_ensure(void)
{
	if (MSTAT_UNLIKELY(__atomic_load_n(&mstat_state, __ATOMIC_ACQUIRE) != MSTAT_STATE_READY))
		mstat_proc_init();
	else if (MSTAT_UNLIKELY(!*mstat_fork_guard))
		mstat_proc_after_clone();
}

/* An allocator event while this process sets its log up (the first call
 * of a function another preload wraps may allocate: fakeroot's fstat,
 * faketime's getpid): kept, and logged once the log is open. */
void mstat_proc_early(enum mstat_ev ev, const void *p, size_t req, size_t usable,
		      const void *old, size_t old_usable);

/* Around exec: logs EXEC and makes the log durable (returns a token),
 * or records the failure. Does nothing in a vfork child. */
int mstat_proc_before_exec(const char *path);
void mstat_proc_exec_failed(int token, int err);

/* A fork made by the program: the parent logs the child. */
void mstat_proc_forked(int pid);

/* Libraries were loaded or unloaded: log the maps again. */
void mstat_proc_maps_changed(void);

/* FINI: the destructor and _exit. */
void mstat_proc_fini(void);

/* The seed API. */
void mstat_api_get(struct mstat_counters *out, int reset);
void mstat_api_log_state(int on);
void mstat_api_log_fd(int fd);

#endif
