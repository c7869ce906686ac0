/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The names malloc-stat.so exports: the glibc allocator, the exec family,
 * fork and _exit, and the seed's runtime API. Each is a short forward into
 * the hidden core. The real allocator is reached through glibc's exported
 * __libc_* entry points: no dlsym, no bootstrap arena.
 */
/* Meson builds with _FILE_OFFSET_BITS=64, which renames mmap to mmap64 in
 * the headers; here both names are defined, as glibc exports them. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <malloc-stat/api.h>

#include "counters.h"
#include "log.h"
#include "process.h"
#include "self.h"
#include "stack.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* malloc_usable_size() for a block of glibc 2.36's allocator, which is the
 * only one reached here (through __libc_*): the chunk header is the word
 * before the block; mmapped chunks (bit 1) carry two words of overhead. */
static inline size_t usable_size(const void *p)
{
	size_t head = ((const size_t *)p)[-1];

	return (head & ~(size_t)7) - ((head & 2) ? 2 * sizeof(size_t) : sizeof(size_t));
}

/* A stack for an allocation entry; libraries loaded since the last MAPS
 * are logged first, so that its frames resolve. Not from inside the
 * writer (a signal handler, or another library's fork handler allocating
 * while ours holds the writer): the next stack taken outside logs them. */
static int capture(uintptr_t *frames)
{
	int err = errno;	/* the unwinder's first use makes system calls */
	int n;

	if (!mstat_capture_enter())
		return -1;	/* a fork is under way: no stack this time */
	n = mstat_stack_capture(frames, mstat_stack_depth);
	if (!mstat_log_nested() && MSTAT_UNLIKELY(mstat_stack_modules_changed()))
		mstat_proc_maps_changed();
	mstat_capture_leave();
	errno = err;
	return n;
}

static __attribute__((noinline)) void log_alloc_stack(enum mstat_ev ev, void *p, size_t req,
						      size_t usable)
{
	uintptr_t frames[MSTAT_STACK_MAX];
	int n = capture(frames);

	if (n < 0)
		mstat_log_alloc(ev, p, req, usable);
	else
		mstat_log_alloc_stack(ev, p, req, usable, frames, n, mstat_log_site(frames, n));
}

static inline void *on_alloc(enum mstat_ev ev, void *p, size_t req)
{
	if (MSTAT_LIKELY(p != NULL)) {
		size_t usable = usable_size(p);

		if (MSTAT_UNLIKELY(mstat_self_alloc(p)))
			return p;	/* the preload's own (self.h) */
		mstat_proc_ensure();
		mstat_counters_alloc(usable);
		if (mstat_log_on) {
			if (MSTAT_UNLIKELY(mstat_stack_depth) && mstat_stack_want(usable))
				log_alloc_stack(ev, p, req, usable);
			else
				mstat_log_alloc(ev, p, req, usable);
		} else if (MSTAT_UNLIKELY(mstat_state == MSTAT_STATE_INITIALISING)) {
			mstat_proc_early(ev, p, req, usable, NULL, 0);
		}
	}
	return p;
}

static inline void on_free(enum mstat_ev ev, void *p)
{
	size_t usable = usable_size(p);

	if (MSTAT_UNLIKELY(mstat_self_free(p)))
		return;
	mstat_proc_ensure();
	mstat_counters_free(usable);
	if (mstat_log_on)
		mstat_log_free(ev, p, usable);
	else if (MSTAT_UNLIKELY(mstat_state == MSTAT_STATE_INITIALISING))
		mstat_proc_early(ev, p, 0, usable, NULL, 0);
}

EXPORT void *malloc(size_t size)
{
	return on_alloc(MSTAT_EV_MALLOC, __libc_malloc(size), size);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	return on_alloc(MSTAT_EV_CALLOC, __libc_calloc(nmemb, size), nmemb * size);
}

EXPORT void free(void *p)
{
	/* Logged before the block returns: another thread may get it next. */
	if (p)
		on_free(MSTAT_EV_FREE, p);
	__libc_free(p);
}

EXPORT void *realloc(void *old, size_t size)
{
	uintptr_t frames[MSTAT_STACK_MAX];
	size_t old_usable, usable;
	int nframes = -1;
	uint32_t site = 0;
	void *p;
	unsigned held;

	if (!old)
		return on_alloc(MSTAT_EV_REALLOC_ALLOC, __libc_realloc(NULL, size), size);
	if (size == 0) {
		/* glibc frees and returns NULL */
		on_free(MSTAT_EV_REALLOC_FREE, old);
		return __libc_realloc(old, 0);
	}
	if (MSTAT_UNLIKELY(mstat_self_free(old))) {
		bool kept;	/* the preload's block stays the preload's */

		p = mstat_self_realloc(old, size, &kept);
		return kept ? p : on_alloc(MSTAT_EV_REALLOC_ALLOC, p, size);
	}
	mstat_proc_ensure();
	old_usable = usable_size(old);
	/* The stack is taken before the writer is held: the unwinder takes
	 * the loader lock, which a thread inside dlopen may hold while it
	 * waits for the writer. Sampling goes by the size asked for. */
	if (MSTAT_UNLIKELY(mstat_stack_depth) && mstat_log_on && mstat_stack_want(size)) {
		nframes = capture(frames);
		site = mstat_log_site(frames, nframes);
	}
	held = mstat_log_hold_realloc(old);
	p = __libc_realloc(old, size);
	if (!p) {
		/* Failed: old stays live, nothing happened. */
		mstat_log_unhold_realloc(held, old);
		return NULL;
	}
	usable = usable_size(p);
	mstat_counters_free(old_usable);
	mstat_counters_alloc(usable);
	if (mstat_log_on) {
		if (nframes >= 0)
			mstat_log_realloc_stack(p, size, usable, old, old_usable, &held, frames,
						nframes, site);
		else
			mstat_log_realloc(p, size, usable, old, old_usable, &held);
	} else if (MSTAT_UNLIKELY(mstat_state == MSTAT_STATE_INITIALISING)) {
		mstat_proc_early(MSTAT_EV_REALLOC_REALLOC, p, size, usable, old, old_usable);
	}
	mstat_log_unhold_realloc(held, old);
	return p;
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	return on_alloc(MSTAT_EV_MEMALIGN, __libc_memalign(alignment, size), size);
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	/* glibc 2.36: aligned_alloc is memalign. */
	return on_alloc(MSTAT_EV_ALIGNED_ALLOC, __libc_memalign(alignment, size), size);
}

EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size)
{
	void *p;

	/* glibc's own check; *memptr stays untouched on failure. */
	if (alignment % sizeof(void *) != 0 || alignment == 0 ||
	    ((alignment / sizeof(void *)) & (alignment / sizeof(void *) - 1)) != 0)
		return EINVAL;
	p = __libc_memalign(alignment, size);
	if (!p)
		return ENOMEM;
	*memptr = on_alloc(MSTAT_EV_POSIX_MEMALIGN, p, size);
	return 0;
}

EXPORT void *valloc(size_t size)
{
	return on_alloc(MSTAT_EV_VALLOC, __libc_valloc(size), size);
}

EXPORT void *pvalloc(size_t size)
{
	return on_alloc(MSTAT_EV_PVALLOC, __libc_pvalloc(size), size);
}

/* ---- memory mappings ---- */

static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);

static void *do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (!real_mmap)
		real_mmap = (__typeof__(real_mmap))dlsym(RTLD_NEXT, "mmap");
	p = real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && !mstat_self_map(p) && (flags & MAP_ANONYMOUS)) {
		mstat_proc_ensure();
		if (mstat_log_on)
			mstat_log_mmap(p, len, prot, flags);
	}
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

/* The same function on 64-bit glibc, under its LFS name. */
EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

/* libunwind checks the memory it reads through a pipe, opened at its
 * first use and again whenever the program has closed it: its two
 * descriptors are moved out of the program's way like the logs' (a
 * program that closed 0-2 had its stdout writing into that pipe, and any
 * other its open() returning 5 for 3). Everyone else's pipe2 (a signal
 * handler's in the middle of an unwind too) goes on unchanged, to the
 * next definition (a later preload's, else glibc's). */
static int (*real_pipe2)(int *, int);

EXPORT int pipe2(int fds[2], int flags)
{
	uintptr_t from = (uintptr_t)__builtin_return_address(0);
	int r;

	if (!real_pipe2)
		real_pipe2 = (__typeof__(real_pipe2))dlsym(RTLD_NEXT, "pipe2");
	r = real_pipe2 ? real_pipe2(fds, flags) : (int)syscall(SYS_pipe2, fds, flags);

	if (MSTAT_UNLIKELY(from >= mstat_unwinder_lo && from < mstat_unwinder_hi) && r == 0) {
		int err = errno;

		fds[0] = mstat_fd_move(fds[0]);
		fds[1] = mstat_fd_move(fds[1]);
		errno = err;
	}
	return r;
}

EXPORT int munmap(void *addr, size_t len)
{
	bool held;
	int r;

	if (!real_munmap)
		real_munmap = (__typeof__(real_munmap))dlsym(RTLD_NEXT, "munmap");
	mstat_proc_ensure();
	held = mstat_log_hold();
	r = real_munmap(addr, len);
	if (r == 0 && mstat_log_on && !mstat_self_unmap(addr))
		mstat_log_munmap(addr, len, held);
	mstat_log_unhold(held);
	return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *fixed = NULL, *p;
	bool held;

	if (flags & MREMAP_FIXED) {
		va_list ap;

		va_start(ap, flags);
		fixed = va_arg(ap, void *);
		va_end(ap);
	}
	if (!real_mremap)
		real_mremap = (__typeof__(real_mremap))dlsym(RTLD_NEXT, "mremap");
	mstat_proc_ensure();
	held = mstat_log_hold();
	p = real_mremap(old, old_len, new_len, flags, fixed);
	if (p != MAP_FAILED && mstat_log_on && !mstat_self_remap(old, p))
		mstat_log_mremap(p, new_len, old, old_len, held);
	mstat_log_unhold(held);
	return p;
}

/* ---- exec, fork, _exit ---- */

#define REAL(name) real_##name
#define RESOLVE(name)                                                        \
	(REAL(name) ? REAL(name) :                                           \
		      (REAL(name) = (__typeof__(REAL(name)))dlsym(RTLD_NEXT, #name)))

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvp)(const char *, char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_execveat)(int, const char *, char *const[], char *const[], int);
static pid_t (*real_fork)(void);
static int (*real_posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			       const posix_spawnattr_t *, char *const[], char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
				const posix_spawnattr_t *, char *const[], char *const[]);
static void (*real__exit)(int);
static void (*real__Exit)(int);

/* Resolved at start-up: a vfork child must not take the loader's locks. */
__attribute__((constructor(101))) static void resolve_all(void)
{
	RESOLVE(execve);
	RESOLVE(execvp);
	RESOLVE(execvpe);
	RESOLVE(fexecve);
	RESOLVE(execveat);
	RESOLVE(fork);
	RESOLVE(posix_spawn);
	RESOLVE(posix_spawnp);
	RESOLVE(_exit);
	RESOLVE(_Exit);
	RESOLVE(mmap);
	RESOLVE(munmap);
	RESOLVE(mremap);
}

#define EXEC_CALL(path, envp, call)                                          \
	do {                                                                 \
		int token_ = mstat_proc_before_exec(path, envp);             \
		int r_ = (call);                                             \
		mstat_proc_exec_failed(token_, errno);                       \
		return r_;                                                   \
	} while (0)

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	if (!RESOLVE(execve))
		return errno = ENOSYS, -1;
	EXEC_CALL(path, envp, real_execve(path, argv, envp));
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	if (!RESOLVE(execvp))
		return errno = ENOSYS, -1;
	EXEC_CALL(file, environ, real_execvp(file, argv));
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!RESOLVE(execvpe))
		return errno = ENOSYS, -1;
	EXEC_CALL(file, envp, real_execvpe(file, argv, envp));
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (!RESOLVE(fexecve))
		return errno = ENOSYS, -1;
	EXEC_CALL("(fd)", envp, real_fexecve(fd, argv, envp));
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
		    int flags)
{
	if (!RESOLVE(execveat))
		return errno = ENOSYS, -1;
	EXEC_CALL(path, envp, real_execveat(dirfd, path, argv, envp, flags));
}

/* The execl family is variadic: gather the arguments on the stack. */
#define COLLECT_ARGS(argv, arg0, ap, extra)                                  \
	size_t n_ = 1;                                                       \
	va_list c_;                                                          \
	va_copy(c_, ap);                                                     \
	while (va_arg(c_, char *))                                           \
		n_++;                                                        \
	va_end(c_);                                                          \
	char *argv[n_ + 1];                                                  \
	argv[0] = (char *)(arg0);                                            \
	for (size_t i_ = 1; i_ <= n_; i_++)                                  \
		argv[i_] = va_arg(ap, char *);                               \
	extra

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	COLLECT_ARGS(argv, arg, ap, );
	va_end(ap);
	return execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	COLLECT_ARGS(argv, arg, ap, );
	va_end(ap);
	return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;

	va_start(ap, arg);
	COLLECT_ARGS(argv, arg, ap, envp = va_arg(ap, char **));
	va_end(ap);
	return execve(path, argv, envp);
}

EXPORT pid_t fork(void)
{
	pid_t pid;

	if (!RESOLVE(fork))
		return errno = ENOSYS, -1;
	pid = real_fork();
	if (pid > 0) {
		int err = errno;

		mstat_proc_forked(pid);
		errno = err;
	}
	return pid;
}

/* posix_spawn's child execs in our memory, inside glibc: the parent logs
 * it (SPAWN), so that a child that goes untraced or fails still shows. */
#define SPAWN_CALL(real, pid, path, envp, ...)                               \
	do {                                                                 \
		pid_t p_ = 0;                                                \
		int r_;                                                      \
		if (!RESOLVE(real))                                          \
			return ENOSYS;                                       \
		r_ = real_##real(&p_, path, __VA_ARGS__);                    \
		if (r_ == 0 && pid)                                          \
			*pid = p_;                                           \
		mstat_proc_spawned(r_ == 0 ? p_ : 0, r_, path, envp);        \
		return r_;                                                   \
	} while (0)

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	SPAWN_CALL(posix_spawn, pid, path, envp, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	SPAWN_CALL(posix_spawnp, pid, file, envp, fa, attr, argv, envp);
}

EXPORT void _exit(int status)
{
	mstat_proc_fini();
	if (RESOLVE(_exit))
		real__exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	mstat_proc_fini();
	if (RESOLVE(_Exit))
		real__Exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

/* ---- the seed API ---- */

EXPORT malloc_stat_vars malloc_stat_get_stat(malloc_stat_operation op)
{
	struct mstat_counters c;
	malloc_stat_vars v;

	mstat_api_get(&c, op == MALLOC_STAT_RESET);
	v.allocations = c.allocations;
	v.allocated = c.allocated;
	v.deallocations = c.deallocations;
	v.deallocated = c.deallocated;
	v.in_use = (uint64_t)c.in_use;
	v.peak_in_use = (uint64_t)c.peak_in_use;
	return v;
}

EXPORT void malloc_stat_change_log_state(int on)
{
	mstat_api_log_state(on);
}

EXPORT void malloc_stat_set_log_fd(int fd)
{
	mstat_api_log_fd(fd);
}

EXPORT uint32_t malloc_stat_get_version(void)
{
	return MALLOC_STAT_VERSION;
}
