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
 * or records the failure. In a vfork child, which must not touch the log,
 * the parent's thread is left a SPAWN entry to write. envp: what the new
 * image gets (whether it keeps the preload). */
int mstat_proc_before_exec(const char *path, char *const envp[]);
void mstat_proc_exec_failed(int token, int err);

/* posix_spawn returned: the parent logs the child (pid 0 when the spawn
 * failed with err). */
void mstat_proc_spawned(int pid, int err, const char *path, char *const envp[]);

/*
 * Stack captures and fork. The unwinder walks the loaded objects under
 * glibc's dl_load_write_lock, which a fork child inherits as it was: a
 * child forked while another thread of ours unwound would hang at its
 * first stack. A fork waits for the captures under way (its prepare
 * handler), and captures that start while a fork runs take no stack
 * (they must not wait: that thread may hold a stdio lock fork wants).
 */
extern int mstat_forking, mstat_capturing;
/* This thread's captures under way: a fork from a signal handler that
 * interrupted one must not wait for it (it cannot end before the handler). */
extern __thread int mstat_capture_own __attribute__((tls_model("initial-exec")));

static inline bool mstat_capture_enter(void)
{
	if (__atomic_load_n(&mstat_forking, __ATOMIC_RELAXED))
		return false;
	/* Own first: a handler's fork never counts this thread as another. */
	mstat_capture_own++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_add_fetch(&mstat_capturing, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&mstat_forking, __ATOMIC_SEQ_CST))
		return true;
	__atomic_sub_fetch(&mstat_capturing, 1, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	mstat_capture_own--;
	return false;
}

static inline void mstat_capture_leave(void)
{
	__atomic_sub_fetch(&mstat_capturing, 1, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	mstat_capture_own--;
}

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
