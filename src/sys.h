/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * System helpers for the preload: whole writes, /proc reads and environment
 * look-ups that work before libc's own initialisation is complete, with no
 * allocation and no stdio.
 */
#ifndef MSTAT_SYS_H
#define MSTAT_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Writes all of buf, looping on EINTR and short writes. 0 or -errno. */
int mstat_write_all(int fd, const void *buf, size_t len);

/* Same with pwrite at off. */
int mstat_pwrite_all(int fd, const void *buf, size_t len, off_t off);

/* Reads up to cap-1 bytes of a small file and NUL-terminates; returns the
 * length or -errno. */
ssize_t mstat_read_small(const char *path, char *buf, size_t cap);

/* Field 22 (start time), field 4 (ppid) and field 20 (threads) of
 * /proc/PID/stat ("self" when pid is 0); each out-parameter may be NULL.
 * 0 or -errno; out-parameters untouched on failure. */
int mstat_proc_stat(pid_t pid, uint64_t *start, pid_t *ppid, uint64_t *threads);

/* getenv that also works while environ is not yet set (reads
 * /proc/self/environ into buf then). Returns NULL when unset. */
const char *mstat_getenv(const char *name, char *buf, size_t cap);

/* Moves fd to a descriptor >= a high floor, close-on-exec; returns the new
 * fd (the old one is closed) or -errno. */
int mstat_fd_high(int fd);

/* The same move for a descriptor that must stay open: fd itself when it
 * cannot be moved. */
int mstat_fd_move(int fd);

/* clock_gettime of the vDSO, past any preload's that replaces it; set by
 * mstat_clock_resolve (lock-free, allocation-free: callable from malloc)
 * when the process sets up, NULL before and without a vDSO. */
extern int (*mstat_vdso_clock)(clockid_t, struct timespec *);
void mstat_clock_resolve(void);

static inline int mstat_clock_gettime(clockid_t clock, struct timespec *ts)
{
	int (*f)(clockid_t, struct timespec *) = __atomic_load_n(&mstat_vdso_clock, __ATOMIC_RELAXED);

	return f ? f(clock, ts) : clock_gettime(clock, ts);
}

uint64_t mstat_clock_ns(int clock);

/* mmap and munmap for the preload's own use: raw system calls, so that
 * they never reach the program-facing wrappers in preload.c. */
void *mstat_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int mstat_sys_munmap(void *addr, size_t len);

/* Resident and shared bytes from /proc/self/statm. 0 or -errno. */
int mstat_statm(uint64_t *resident, uint64_t *shared);

/* Bytes of [addr, addr + len) resident now (mincore: for a file mapping,
 * the pages in the page cache, which are this process's once written). */
uint64_t mstat_resident_in(const void *addr, size_t len);

#endif
