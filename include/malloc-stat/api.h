/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * malloc-stat runtime API: read and reset the allocation counters of the
 * process, turn the log on and off, and redirect it. Source compatible with
 * the original malloc-stat's api.h.
 *
 * Every macro works whether or not malloc-stat.so is loaded: the functions
 * are looked up with dlsym(RTLD_DEFAULT, ...) at the call, and without the
 * preload each macro does nothing and the stat macros yield all zeros. All
 * macros are expressions or single statements, safe in an unbraced if/else.
 * This header compiles as C (gnu89 and later) and as C++.
 *
 * Counters (all in usable bytes, as malloc_usable_size() reports them):
 *   allocations    successful allocation calls (malloc, calloc, realloc,
 *                  memalign, posix_memalign, aligned_alloc, valloc, pvalloc)
 *   allocated      bytes those calls returned
 *   deallocations  frees (free(NULL) and failed calls are not counted)
 *   deallocated    bytes those frees released
 *   in_use         allocated - deallocated
 *   peak_in_use    the highest in_use reached
 * A realloc that succeeds counts as one deallocation of the old block and
 * one allocation of the new one; realloc(p, 0) is a deallocation.
 *
 * Reset (MALLOC_STAT_RESET) sets all six to zero, as the original did:
 * in_use and peak_in_use then count the bytes allocated since the reset,
 * net of frees. Freeing a block allocated before the reset takes in_use
 * below zero, which the unsigned field shows modulo 2^64, so that the
 * differences MALLOC_STAT_GET_DIFF computes stay exact.
 *
 * In a fork child the four tallies start from zero; in_use carries on with
 * the inherited blocks and is the child's starting peak.
 *
 * Thread safety: every function may be called from any thread at any time.
 * Counters are exact; a snapshot taken while other threads allocate reads
 * each field atomically but not all six at one instant.
 */
#ifndef MALLOC_STAT_API_H
#define MALLOC_STAT_API_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>

#ifndef RTLD_DEFAULT
#define RTLD_DEFAULT ((void *)0)
#endif

#define MALLOC_STAT_STRINGIZE_I(x) #x
#define MALLOC_STAT_STRINGIZE(x) MALLOC_STAT_STRINGIZE_I(x)

/*
 * MALLOC_STAT_VERSION / 100000 is the major version,
 * MALLOC_STAT_VERSION / 1000 % 100 the minor, MALLOC_STAT_VERSION % 1000 / 10
 * the bugfix level (the original's encoding).
 */
#define MALLOC_STAT_VERSION_MAJOR 1
#define MALLOC_STAT_VERSION_MINOR 0
#define MALLOC_STAT_VERSION_BUGFIX 0

#define MALLOC_STAT_VERSION                                                  \
	(MALLOC_STAT_VERSION_MAJOR * 100000 + MALLOC_STAT_VERSION_MINOR * 1000 + \
	 MALLOC_STAT_VERSION_BUGFIX * 10)

#define MALLOC_STAT_VERSION_STRING                                           \
	MALLOC_STAT_STRINGIZE(MALLOC_STAT_VERSION_MAJOR)                     \
	"." MALLOC_STAT_STRINGIZE(MALLOC_STAT_VERSION_MINOR) "." MALLOC_STAT_STRINGIZE( \
		MALLOC_STAT_VERSION_BUGFIX)

/* "file(line)", for test helpers. */
#define MALLOC_STAT_MAKE_FILE_LINE() __FILE__ "(" MALLOC_STAT_STRINGIZE(__LINE__) ")"

/* The usable size of a block: what the counters count. */
#define MALLOC_STAT_ALLOCATED_SIZE(ptr) malloc_usable_size(ptr)

typedef struct {
	uint64_t allocations;
	uint64_t allocated;
	uint64_t deallocations;
	uint64_t deallocated;
	uint64_t in_use;
	uint64_t peak_in_use;
} malloc_stat_vars;

typedef enum {
	MALLOC_STAT_GET,  /* read the counters */
	MALLOC_STAT_RESET /* zero them, then read */
} malloc_stat_operation;

/* Exported by malloc-stat.so. */
typedef malloc_stat_vars (*malloc_stat_get_stat_fnptr)(malloc_stat_operation op);
typedef void (*malloc_stat_int_fnptr)(int);
typedef uint32_t (*malloc_stat_version_fnptr)(void);

#ifdef __cplusplus
#define MALLOC_STAT_INLINE_ static inline
#define MALLOC_STAT_CAST_(type, expr) reinterpret_cast<type>(expr)
#elif defined(__GNUC__)
#define MALLOC_STAT_INLINE_ static __inline__
/* dlsym returns an object pointer: POSIX makes it a function pointer,
 * ISO C does not, hence __extension__ for -pedantic builds. */
#define MALLOC_STAT_CAST_(type, expr) (__extension__(type)(expr))
#else
#define MALLOC_STAT_INLINE_ static __inline__
#define MALLOC_STAT_CAST_(type, expr) ((type)(expr))
#endif

#if defined(__GNUC__)
#define MALLOC_STAT_UNUSED_ __attribute__((unused))
#else
#define MALLOC_STAT_UNUSED_
#endif

MALLOC_STAT_INLINE_ MALLOC_STAT_UNUSED_ void *malloc_stat_lookup_(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

MALLOC_STAT_INLINE_ MALLOC_STAT_UNUSED_ malloc_stat_vars
malloc_stat_call_(malloc_stat_get_stat_fnptr fn, malloc_stat_operation op)
{
	malloc_stat_vars zero = { 0, 0, 0, 0, 0, 0 };

	return fn ? fn(op) : zero;
}

MALLOC_STAT_INLINE_ MALLOC_STAT_UNUSED_ void malloc_stat_call_int_(const char *name, int arg)
{
	malloc_stat_int_fnptr fn =
		MALLOC_STAT_CAST_(malloc_stat_int_fnptr, malloc_stat_lookup_(name));

	if (fn)
		fn(arg);
}

MALLOC_STAT_INLINE_ MALLOC_STAT_UNUSED_ int malloc_stat_check_version_(void)
{
	malloc_stat_version_fnptr fn = MALLOC_STAT_CAST_(
		malloc_stat_version_fnptr, malloc_stat_lookup_("malloc_stat_get_version"));

	/* Without the preload there is nothing to match: a mismatch, as in
	 * the original. */
	return fn && fn() / 100000 == MALLOC_STAT_VERSION_MAJOR;
}

MALLOC_STAT_INLINE_ MALLOC_STAT_UNUSED_ malloc_stat_vars
malloc_stat_diff_(malloc_stat_vars before, malloc_stat_vars after)
{
	malloc_stat_vars d;

	d.allocations = after.allocations - before.allocations;
	d.allocated = after.allocated - before.allocated;
	d.deallocations = after.deallocations - before.deallocations;
	d.deallocated = after.deallocated - before.deallocated;
	d.in_use = after.in_use - before.in_use;
	d.peak_in_use = after.peak_in_use - before.peak_in_use;
	return d;
}

MALLOC_STAT_INLINE_ MALLOC_STAT_UNUSED_ int malloc_stat_fprint_(FILE *stream, const char *caption,
								malloc_stat_vars s)
{
	return fprintf(stream,
		       "%s:\n"
		       "+==========================================================================+\n"
		       "| allocs  : %-14" PRIu64 "| deallocs: %-14" PRIu64 "| inuse: %-14" PRIu64 "|\n"
		       "| AL bytes: %-14" PRIu64 "| DE bytes: %-14" PRIu64 "| peak : %-14" PRIu64 "|\n"
		       "+==========================================================================+\n",
		       caption, s.allocations, s.deallocations, s.in_use, s.allocated,
		       s.deallocated, s.peak_in_use);
}

/* The function behind the stat macros, or NULL without the preload. */
#define MALLOC_STAT_GET_STAT_FNPTR()                                         \
	MALLOC_STAT_CAST_(malloc_stat_get_stat_fnptr, malloc_stat_lookup_("malloc_stat_get_stat"))

/* The counters now / after zeroing them; all zero when fnptr is NULL. */
#define MALLOC_STAT_GET_STAT(fnptr) malloc_stat_call_((fnptr), MALLOC_STAT_GET)
#define MALLOC_STAT_RESET_STAT(fnptr) malloc_stat_call_((fnptr), MALLOC_STAT_RESET)

/* after - before, field by field (modulo 2^64). */
#define MALLOC_STAT_GET_DIFF(before, after) malloc_stat_diff_((before), (after))

#define MALLOC_STAT_IS_EQUAL(left, right)                                    \
	((left).allocations == (right).allocations &&                        \
	 (left).deallocations == (right).deallocations && (left).in_use == (right).in_use)

/* Nonzero when the loaded malloc-stat.so has this header's major version. */
#define MALLOC_STAT_CHECK_VERSION() malloc_stat_check_version_()

/*
 * Turn the log on or off. Off, events are still counted; the log notes the
 * gap. On with no log set up, the log goes to fd 1022 if it is open.
 */
#define MALLOC_STAT_ENABLE_LOG() malloc_stat_call_int_("malloc_stat_change_log_state", 1)
#define MALLOC_STAT_DISABLE_LOG() malloc_stat_call_int_("malloc_stat_change_log_state", 0)

/*
 * Send the log of this process to fd from now on (one write per entry, so a
 * reader of a pipe sees each entry at once), replacing the per-process file
 * or fd 1022. A negative fd stops logging. The fd stays the caller's.
 */
#define MALLOC_STAT_SET_LOG_FD(fd) malloc_stat_call_int_("malloc_stat_set_log_fd", (fd))

/* Print a stat in the original's table; the value is fprintf's. */
#define MALLOC_STAT_FPRINT(stream, caption, stat) malloc_stat_fprint_((stream), (caption), (stat))
#define MALLOC_STAT_PRINT(caption, stat) MALLOC_STAT_FPRINT(stdout, (caption), (stat))
#define MALLOC_STAT_FSHOW(stream, caption, fnptr)                            \
	MALLOC_STAT_FPRINT((stream), (caption), MALLOC_STAT_GET_STAT(fnptr))
#define MALLOC_STAT_SHOW(caption, fnptr) MALLOC_STAT_FPRINT(stdout, (caption), MALLOC_STAT_GET_STAT(fnptr))

#ifdef __cplusplus
extern "C" {
#endif
/* The exported functions, for programs that link against them directly. */
malloc_stat_vars malloc_stat_get_stat(malloc_stat_operation op);
void malloc_stat_change_log_state(int on);
void malloc_stat_set_log_fd(int fd);
uint32_t malloc_stat_get_version(void);
#ifdef __cplusplus
}
#endif

#endif /* MALLOC_STAT_API_H */
