/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Call stacks for allocations: MALLOC_STAT_BACKTRACE=DEPTH turns them on,
 * MALLOC_STAT_SAMPLE=BYTES takes one on average every BYTES allocated bytes
 * (counts stay exact for every event either way).
 */
#ifndef MSTAT_STACK_H
#define MSTAT_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSTAT_STACK_MAX 64

/* 0 when stacks are off: the only thing the allocation path reads. */
extern int mstat_stack_depth;
extern uint64_t mstat_stack_sample;

/* Reads the settings (from lazy init, so no allocation). */
void mstat_stack_configure(const char *depth, const char *sample);

/* Loads the unwinder; from the constructor, never from inside malloc. */
void mstat_stack_load(void);

/* libunwind's code, once loaded: what its calls into the preload's
 * wrappers (pipe2) come from. */
extern uintptr_t mstat_unwinder_lo, mstat_unwinder_hi;

/* Whether this allocation of usable bytes gets a stack. */
bool mstat_stack_want(size_t usable);

/* Up to max return addresses of the program's frames (ours skipped);
 * 0 while the unwinder is not ready or when called from inside it. */
int mstat_stack_capture(uintptr_t *frames, int max);

/* Whether libraries were loaded or unloaded since the last call that said
 * so (the log then needs a new MAPS). Never from inside the writer. */
bool mstat_stack_modules_changed(void);

/* A fork child: the stack ids of the parent's log mean nothing in its
 * new file. */
void mstat_stack_forget(void);

#endif
