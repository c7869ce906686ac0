/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Process lifecycle. Each process image writes its own log: set up lazily
 * on the first allocator call (other libraries' constructors allocate
 * before ours runs), again in every fork child at its first event, and
 * detected through a MADV_WIPEONFORK page in children that skipped the fork
 * handlers (_Fork, clone). vfork children share our memory: they change
 * nothing here.
 */
#include "process.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/single_threaded.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "stack.h"
#include "sys.h"

#define LOG_VERSION "1"
#define HDR_MAX 8192

enum origin { ORIGIN_IMAGE, ORIGIN_FORK, ORIGIN_CLONE };

int mstat_state;
/* Points at a MADV_WIPEONFORK page once set up; before that (and if the
 * kernel cannot wipe) at a word that is never zero. */
static volatile uint32_t guard_fallback = 1;
volatile uint32_t *mstat_fork_guard = &guard_fallback;

static struct {
	pid_t pid;
	uint64_t start;
	bool want_file;		/* MALLOC_STAT_PREFIX is set */
	bool prefix_relative;
	bool fini_done;
	bool stream_maps;	/* fd 1022: the header has MAPS */
	bool verbose;		/* MALLOC_STAT_VERBOSE: failures on stderr too */
	enum origin origin;
	pid_t ppid;		/* fork children: the forking process */
	uint64_t pstart;
	uint64_t fork_off;
	uint64_t mono0;		/* the header's CLOCK_MONOTONIC */
	int64_t inherited;
	const char *arg_start;	/* the argument strings, from our constructor */
	const char *arg_end;
	size_t exe_len;		/* /proc/self/exe, read once per image */
	size_t boot_len;	/* boot_id, read once per process: fork children keep it */
	char boot[40];
	char parent_file[NAME_MAX + 1];
	char prefix[PATH_MAX];
	char file[PATH_MAX];
	char exe[PATH_MAX];
} P;

static char self_base[64] = "malloc-stat.so";	/* our file name, from the constructor */

/* ---- header ---- */

struct hbuf {
	char *p;
	char *end;
	char b[HDR_MAX];
};

static void h_raw(struct hbuf *h, const char *s, size_t n)
{
	if ((size_t)(h->end - h->p) < n)
		n = (size_t)(h->end - h->p);
	memcpy(h->p, s, n);
	h->p += n;
}

static void h_str(struct hbuf *h, const char *s)
{
	h_raw(h, s, strlen(s));
}

static void h_u64(struct hbuf *h, uint64_t v)
{
	char tmp[24];

	h_raw(h, tmp, (size_t)(mstat_fmt_u64(tmp, v) - tmp));
}

/* Escapes \ and newline; in a command line also spaces, since arguments are
 * separated by one space. */
static void h_esc(struct hbuf *h, const char *s, size_t n, bool spaces)
{
	for (size_t i = 0; i < n && h->end - h->p > 2; i++) {
		char c = s[i];

		if (c == '\\' || c == '\n' || (spaces && c == ' ')) {
			*h->p++ = '\\';
			*h->p++ = c == '\n' ? 'n' : c == ' ' ? 's' : '\\';
		} else {
			*h->p++ = c;
		}
	}
}

static void h_flush(struct hbuf *h)
{
	mstat_log_put_locked(h->b, (size_t)(h->p - h->b));
	h->p = h->b;
}

/* Arguments are NUL-terminated; the header separates them by a space. */
static void h_args(struct hbuf *h, const char *b, size_t n, bool *first)
{
	for (size_t i = 0; i < n && h->end - h->p >= 16; i++) {
		if (b[i] == '\0') {
			*first = false;
			*h->p++ = ' ';
		} else {
			h_esc(h, b + i, 1, true);
		}
	}
}

/* The command line: the argument strings in our own memory when the
 * constructor saw them (what /proc/self/cmdline reads, without its cost),
 * else /proc/self/cmdline. */
static void h_cmdline_args(struct hbuf *h)
{
	char buf[4096];
	bool first = true;
	ssize_t n;

	if (P.arg_start) {
		h_args(h, P.arg_start, (size_t)(P.arg_end - P.arg_start), &first);
	} else {
		int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				h_args(h, buf, (size_t)n, &first);
			close(fd);
		}
	}
	/* Drop the separator after the last argument. */
	if (!first && h->p[-1] == ' ')
		h->p--;
}

static void h_cmdline(struct hbuf *h)
{
	h_str(h, "# CMDLINE ");
	h_cmdline_args(h);
	h_str(h, "\n");
}

/* Copies /proc/self/maps in whole lines, so that a stream batch never
 * splits one. */
/* Copies /proc/self/maps in whole lines, at most MAPS_PIECE bytes a put,
 * so that a stream batch (PIPE_BUF, with its "# PID" line) never splits
 * one. */
#define MAPS_PIECE 3968

static void put_maps(const char *begin, const char *end)
{
	char buf[4096];
	size_t len = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	mstat_log_put_locked(begin, strlen(begin));
	if (fd >= 0) {
		while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0) {
			len += (size_t)n;
			for (;;) {
				char *nl = memrchr(buf, '\n', len < MAPS_PIECE ? len : MAPS_PIECE);
				size_t piece;

				if (!nl)
					break;
				piece = (size_t)(nl + 1 - buf);
				mstat_log_put_locked(buf, piece);
				len -= piece;
				memmove(buf, nl + 1, len);
			}
			if (len == sizeof(buf))
				len = 0;	/* a line longer than 4 KiB: drop it */
		}
		close(fd);
	}
	mstat_log_put_locked(end, strlen(end));
}

void mstat_proc_maps_changed(void)
{
	if (mstat_state != MSTAT_STATE_READY || !mstat_log_on || mstat_log_nested())
		return;
	mstat_log_lock();
	put_maps("+ MAPS 0 0x0\n", "-\n");
	mstat_log_unlock();
}

/* What the header says of the process that costs /proc reads, read once
 * per image and before its file is created: a process killed in between
 * leaves an empty file, and this keeps that moment short. */
static void identify(void)
{
	ssize_t n;

	if (!P.start)
		mstat_proc_stat(0, &P.start, NULL, NULL);
	if (P.origin == ORIGIN_IMAGE && !P.ppid) {
		P.ppid = getppid();
		mstat_proc_stat(P.ppid, &P.pstart, NULL, NULL);
	}
	/* A fork child runs its parent's executable: the parent's copy. */
	if (!P.exe_len) {
		n = readlink("/proc/self/exe", P.exe, sizeof(P.exe));
		P.exe_len = n > 0 ? (size_t)n : 0;
	}
	/* Names the boot, so that pids of different machines (or boots) never
	 * meet in one tree. Unchanged by fork: read once per process. */
	if (!P.boot_len) {
		n = mstat_read_small("/proc/sys/kernel/random/boot_id", P.boot, sizeof(P.boot));
		while (n > 0 && P.boot[n - 1] == '\n')
			n--;
		P.boot_len = n > 0 ? (size_t)n : 0;
	}
}

/* Writes the header and INIT. Caller holds the writer lock. */
static struct hbuf h;	/* under the writer lock; too big for some stacks */

static void put_header(bool maps)
{
	char path[PATH_MAX], sum[MSTAT_SUMMARY_LINE];
	struct utsname uts;

	h.p = h.b;
	h.end = h.b + sizeof(h.b);
	identify();
	h_str(&h, "# MALLOC-STAT-LOG " LOG_VERSION "\n");
	h_raw(&h, sum, mstat_log_summary_line(sum));	/* digits at offset 32 */
	h_str(&h, "# PID ");
	h_u64(&h, (uint64_t)P.pid);
	h_str(&h, "\n# PPID ");
	h_u64(&h, (uint64_t)P.ppid);
	h_str(&h, "\n# START ");
	h_u64(&h, P.start);
	h_str(&h, "\n# PSTART ");
	if (P.pstart)
		h_u64(&h, P.pstart);
	h_str(&h, "\n# TIME ");
	h_u64(&h, mstat_clock_ns(CLOCK_REALTIME));
	h_str(&h, " ");
	P.mono0 = mstat_clock_ns(CLOCK_MONOTONIC);
	h_u64(&h, P.mono0);
	h_str(&h, "\n# HOST ");
	if (uname(&uts) == 0)
		h_esc(&h, uts.nodename, strnlen(uts.nodename, sizeof(uts.nodename)), false);
	h_str(&h, "\n# BOOT ");
	h_esc(&h, P.boot, P.boot_len, false);
	h_str(&h, "\n# ORIGIN ");
	if (P.origin == ORIGIN_IMAGE) {
		h_str(&h, "image\n");
	} else {
		h_str(&h, P.origin == ORIGIN_FORK ? "fork " : "clone ");
		if (P.parent_file[0])
			h_esc(&h, P.parent_file, strlen(P.parent_file), true);
		else
			h_str(&h, "-");	/* a stream has no parent file */
		h_str(&h, " ");
		h_u64(&h, P.fork_off);
		h_str(&h, "\n# INHERITED ");
		h_u64(&h, P.inherited > 0 ? (uint64_t)P.inherited : 0);
		h_str(&h, "\n");
	}
	if (mstat_log_sink() == MSTAT_SINK_FILE) {
		const char *base = strrchr(P.file, '/');

		h_str(&h, "# FILE ");
		h_esc(&h, base ? base + 1 : P.file, strlen(base ? base + 1 : P.file), false);
		h_str(&h, "\n");
	}
	h_str(&h, "# EXE ");
	h_esc(&h, P.exe, P.exe_len, false);
	h_str(&h, "\n# CWD ");
	if (getcwd(path, sizeof(path)))
		h_esc(&h, path, strlen(path), false);
	h_str(&h, "\n");
	h_cmdline(&h);
	if (mstat_stack_depth) {
		h_str(&h, "# STACKS ");
		h_u64(&h, (uint64_t)mstat_stack_depth);
		h_str(&h, " ");
		h_u64(&h, mstat_stack_sample);
		h_str(&h, "\n");
	}
	h_flush(&h);
	/* The maps serve only to resolve return addresses: without stacks
	 * they would be the largest part of a short process's log, and
	 * formatting them costs the kernel tens of microseconds. */
	if (maps && mstat_stack_depth)
		put_maps("# MAPS\n", "# END MAPS\n");
	mstat_log_put_locked("+ INIT 0 0x0\n-\n", 15);
}

/* ---- files ---- */

/*
 * An image that gets no log of its own is recorded in PREFIX.nolog, where
 * the tools count it: slots of NOLOG_SLOT bytes, the first a version line,
 * each other "+ PID START PPID PSTART ERRNO WHAT EXE CMDLINE\n" padded with
 * NULs, claimed by its first byte. `malloc-stat run` makes the file before
 * the build starts, its blocks written, so that a full disk cannot stop
 * the record; without it the first image that fails makes it if it can.
 * Nothing reaches the program's descriptors unless MALLOC_STAT_VERBOSE
 * asks: a line on stderr inside a configure test changes what it decides.
 */
#define NOLOG_SLOT 256u
#define NOLOG_SLOTS 1024u
#define NOLOG_VERSION "# MALLOC-STAT-NOLOG 1\n"

static int nolog_open(const char *path)
{
	static const char zeros[NOLOG_SLOT];
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? open(path, O_RDWR | O_CLOEXEC) : -1;
	/* The version line last, once the slots are there. */
	for (unsigned i = 1; i < NOLOG_SLOTS; i++)
		if (pwrite(fd, zeros, sizeof(zeros), (off_t)i * NOLOG_SLOT) != (ssize_t)sizeof(zeros))
			break;
	(void)!pwrite(fd, NOLOG_VERSION, sizeof(NOLOG_VERSION) - 1, 0);
	return fd;
}

static void nolog_record(const char *what, int err)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(P.prefix);
	char *map;
	int fd;

	if (n + sizeof(".nolog") > sizeof(path))
		return;
	memcpy(path, P.prefix, n);
	memcpy(path + n, ".nolog", sizeof(".nolog"));
	fd = nolog_open(path);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)(2 * NOLOG_SLOT) ||
	    (map = mstat_sys_mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				  fd, 0)) == MAP_FAILED) {
		close(fd);
		return;
	}
	close(fd);
	h.p = h.b;
	h.end = h.b + NOLOG_SLOT - 1;
	h_str(&h, "+ ");
	h_u64(&h, (uint64_t)P.pid);
	h_str(&h, " ");
	h_u64(&h, P.start);
	h_str(&h, " ");
	h_u64(&h, (uint64_t)P.ppid);
	h_str(&h, " ");
	h_u64(&h, P.pstart);
	h_str(&h, " ");
	h_u64(&h, (uint64_t)err);
	h_str(&h, " ");
	h_str(&h, what);
	h_str(&h, " ");
	h_esc(&h, P.exe_len ? P.exe : "-", P.exe_len ? P.exe_len : 1, true);
	h_str(&h, " ");
	h_cmdline_args(&h);
	*h.p++ = '\n';
	for (size_t off = NOLOG_SLOT; off + NOLOG_SLOT <= (size_t)st.st_size; off += NOLOG_SLOT) {
		char free_ = 0;

		if (!__atomic_compare_exchange_n(map + off, &free_, '~', 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		memcpy(map + off + 1, h.b + 1, (size_t)(h.p - h.b) - 1);
		__atomic_store_n(map + off, '+', __ATOMIC_RELEASE);
		break;
	}
	mstat_sys_munmap(map, (size_t)st.st_size);
}

static void no_log(const char *what, const char *path, int err)
{
	char line[PATH_MAX + 128];
	char *e = line;

	nolog_record(what, err);
	if (!P.verbose)
		return;
	/* One line; strerror may allocate and translate, the number does not. */
	e = mstat_fmt_str(e, "malloc-stat: cannot ");
	e = mstat_fmt_str(e, what);
	e = mstat_fmt_str(e, " log '");
	e = mstat_fmt_str(e, path);
	e = mstat_fmt_str(e, "': errno ");
	e = mstat_fmt_u64(e, (uint64_t)err);
	e = mstat_fmt_str(e, "; tracing continues without a log\n");
	(void)mstat_write_all(STDERR_FILENO, line, (size_t)(e - line));
}

/* Creates PREFIX.PID.EPOCH.COUNTER with the first free COUNTER and makes it
 * the sink. Caller holds the writer lock. */
static int open_file(void)
{
	uint64_t epoch = mstat_clock_ns(CLOCK_REALTIME) / 1000000000u;
	size_t plen = strlen(P.prefix);
	int fd = -1, r;

	if (plen + 64 > sizeof(P.file))
		return -ENAMETOOLONG;
	identify();
	for (unsigned counter = 0; counter < 100000; counter++) {
		char *e = P.file + plen;

		memcpy(P.file, P.prefix, plen);
		*e++ = '.';
		e = mstat_fmt_u64(e, (uint64_t)P.pid);
		*e++ = '.';
		e = mstat_fmt_u64(e, epoch);
		*e++ = '.';
		e = mstat_fmt_u64(e, counter);
		*e = '\0';
		fd = open(P.file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		r = -errno;
		no_log("create", P.file, -r);
		P.want_file = false;
		return r;
	}
	fd = mstat_fd_high(fd);
	if (fd < 0) {
		/* No descriptor to spare (the program's table is full): no
		 * empty file left behind, and the program keeps its slots. */
		unlink(P.file);
		no_log("keep-fd", P.file, -fd);
		P.want_file = false;
		return fd;
	}
	r = mstat_log_open_file(fd, P.file);
	if (r < 0) {
		close(fd);
		unlink(P.file);
		no_log("write", P.file, -r);
		P.want_file = false;
		return r;
	}
	put_header(true);
	if (!mstat_log_on) {
		/* No room even for the header (a full disk): leave no empty
		 * file behind. A log that stops later stays: it shows the
		 * process, and whole entries up to where it stopped. */
		unlink(P.file);
		no_log("write", P.file, ENOSPC);
		P.want_file = false;
		return -ENOSPC;
	}
	mstat_log_remap_locked();	/* if the header went through pwrite */
	return 0;
}

static void set_prefix(const char *prefix)
{
	size_t n = strlen(prefix);

	P.prefix[0] = '\0';
	if (prefix[0] != '/') {
		if (!getcwd(P.prefix, sizeof(P.prefix) - 2))
			return;
		strcat(P.prefix, "/");
		P.prefix_relative = true;
	}
	if (strlen(P.prefix) + n < sizeof(P.prefix))
		strcat(P.prefix, prefix);
	P.want_file = true;
}

/* ---- fork ---- */

/* A child's own log: a new file, or its header in the shared stream.
 * Caller holds the writer lock. */
static void child_log_open(void)
{
	if (P.want_file)
		open_file();
	else if (mstat_log_sink() == MSTAT_SINK_STREAM)
		put_header(P.stream_maps);
}

/*
 * Our fork handlers take no lock across the fork. glibc runs prepare
 * handlers before it takes stdio's list lock (and its arena locks after
 * that, bug 19431): a prepare handler that held the writer would wait
 * there for a thread inside fflush(NULL), which waits for a stream that a
 * thread in getline holds while its realloc waits for the writer. The
 * prepare handler takes the writer only long enough to note the log's
 * position; the parent's FORK entry and the child's ORIGIN both name that
 * position. Entries other threads write between it and the fork itself
 * (events that raced with the fork) land after it, as events of a fork
 * child's parent after the fork would.
 *
 * Per thread, as several threads may fork at once (glibc runs their
 * prepare handlers side by side), and by depth, as a signal handler's fork
 * nests inside the fork it interrupted: each handler finds what its own
 * prepare handler noted in the forking thread's copy of these.
 */
#define FORK_NEST 4u
static __thread unsigned fork_depth;
static __thread struct {
	uint64_t off;	/* the log's position when the fork began */
	uint64_t boot;	/* CLOCK_BOOTTIME just before the fork */
	bool drained;	/* captures held off (mstat_forking) */
	bool mid_capture;	/* a handler's fork, its thread inside the unwinder */
} fork_at[FORK_NEST];
static __thread uint64_t fork_off;	/* for the parent's FORK entry */

int mstat_forking, mstat_capturing;
__thread int mstat_capture_own __attribute__((tls_model("initial-exec")));

/* Until no other thread is inside the unwinder (see mstat_capture_enter).
 * Bounded (a few ms): a capture may wait on the loader lock of a thread
 * stuck in a handler that ran before ours, or belong to a thread that is
 * itself in a signal handler's fork, waiting for this one. Whether none is
 * left: if some are, the child takes no stacks (the loader's lock may be
 * held for good there). */
static bool captures_drain(void)
{
	struct timespec pause = { 0, 20000 };

	__atomic_add_fetch(&mstat_forking, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 200; i++) {
		if (__atomic_load_n(&mstat_capturing, __ATOMIC_ACQUIRE) <= mstat_capture_own)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

/* Events made while the log is set up, in order, logged once it is: the
 * set-up's own (a signal handler's, another preload's) and other threads'
 * once their wait ran out (init_wait); more than fit are counted as lost.
 * Pages never touched cost nothing. */
#define EARLY_MAX 4096
static struct early {
	uint8_t ev, done;
	const void *p, *old;
	size_t req, usable, old_usable;
} early[EARLY_MAX];
static unsigned early_n, early_lost;

/* The thread that sets the process's log up: its signal handlers must
 * not wait for it. */
static __thread bool init_here __attribute__((tls_model("initial-exec")));

/*
 * Another thread sets the log up: this one's events wait for it, so that
 * they come after the set-up's in the log and none is lost (a fork child
 * that starts threads before its first event has them all allocate
 * meanwhile: an early buffer of 4096 lost half of 400,000 events, and
 * replaying it after the others had logged put frees before their
 * blocks). Bounded, in case the set-up is stuck: past 200 ms the events
 * go to the early buffer again, and no event waits for that set-up any
 * more. nanosleep by its system call: the libc function is a
 * cancellation point.
 */
#define INIT_WAIT_NS 200000000ull

/* Set when a wait ran out: later events do not wait for that set-up. */
static bool init_stuck;

static void init_wait(void)
{
	const struct timespec nap = { 0, 50000 };
	uint64_t end = 0;
	int err = errno;

	for (int i = 0; !__atomic_load_n(&init_stuck, __ATOMIC_RELAXED); i++) {
		if (__atomic_load_n(&mstat_state, __ATOMIC_ACQUIRE) != MSTAT_STATE_INITIALISING)
			break;
		if (i < 200) {
			__builtin_ia32_pause();
			continue;
		}
		uint64_t now = mstat_clock_ns(CLOCK_MONOTONIC);

		if (!end)
			end = now + INIT_WAIT_NS;
		else if (now >= end)
			__atomic_store_n(&init_stuck, true, __ATOMIC_RELAXED);
		syscall(SYS_nanosleep, &nap, NULL);
	}
	errno = err;
}

static void init_busy(int seen)
{
	if (seen == MSTAT_STATE_INITIALISING && !init_here)
		init_wait();
}

static void atfork_prepare(void)
{
	unsigned d = fork_depth++ % FORK_NEST;

	fork_at[d].off = 0;
	fork_at[d].boot = 0;
	fork_at[d].mid_capture = false;
	/* A fork child forking before its first event (a shell's subshell
	 * running a pipeline): its own log first, for its children to name;
	 * they would otherwise take its identity. */
	if (mstat_state == MSTAT_STATE_CHILD && !mstat_log_nested())
		mstat_proc_init();
	/* Another thread sets the log up: the child would inherit the set-up
	 * half done, without the thread doing it. */
	else if (mstat_state == MSTAT_STATE_INITIALISING)
		init_busy(MSTAT_STATE_INITIALISING);
	if (mstat_state != MSTAT_STATE_READY)
		return;
	int err = errno;

	/* A fork from a signal handler that interrupted this thread in the
	 * writer: the writer is this thread's already, at rest. */
	bool lock = !mstat_log_nested();

	fork_at[d].drained = mstat_stack_depth && lock && !__libc_single_threaded;
	fork_at[d].mid_capture = mstat_capture_own > 0;
	if (fork_at[d].drained && !captures_drain())
		fork_at[d].mid_capture = true;

	if (lock)
		mstat_log_lock();
	fork_at[d].off = mstat_log_offset();
	if (lock) {
		mstat_log_before_fork();
		if (mstat_log_sink() == MSTAT_SINK_STREAM)
			mstat_log_seal_locked(); /* the child drops what follows */
		mstat_log_unlock();
	}
	fork_at[d].boot = mstat_clock_ns(CLOCK_BOOTTIME);	/* the vDSO's: real time */
	errno = err;
}

/* The slot of the fork whose handler runs now. */
static unsigned fork_leave(void)
{
	return --fork_depth % FORK_NEST;
}

static void atfork_parent(void)
{
	unsigned d = fork_leave();

	fork_off = fork_at[d].off;
	if (fork_at[d].drained)
		__atomic_sub_fetch(&mstat_forking, 1, __ATOMIC_RELEASE);
}

/*
 * A fork child's START without reading /proc (a process's first /proc
 * access costs it 20-30 us, about as much as the rest of its log file):
 * the kernel stamps a child with CLOCK_BOOTTIME while fork runs, and
 * /proc/PID/stat shows that stamp in whole clock ticks. Read before the
 * fork and again in the child, the clock brackets the stamp; when both
 * readings fall in the same tick, so does the stamp. Otherwise (about one
 * fork in fifty) /proc/self/stat decides.
 */
static uint64_t tick_ns;	/* of START; 0: not whole nanoseconds */

static void init_tick(void)
{
	unsigned long hz = getauxval(AT_CLKTCK);

	/* The kernel divides exactly only when a tick is whole ns. */
	tick_ns = hz && 1000000000u % hz == 0 ? 1000000000u / hz : 0;
}

static uint64_t start_between(uint64_t before, uint64_t after)
{
	if (!before || !tick_ns || before / tick_ns != after / tick_ns)
		return 0;
	return before / tick_ns;
}

/* The child's half, shared by fork handlers and clone detection. The file
 * is opened at the child's first event (many children exec at once). */
static void become_child(enum origin origin, uint64_t off, uint64_t boot)
{
	const char *base = strrchr(P.file, '/');

	*mstat_fork_guard = 1;
	P.ppid = P.pid;
	P.pstart = P.start;
	P.pid = getpid();
	/* 0: read when the header is written */
	P.start = origin == ORIGIN_FORK ?
		start_between(boot, mstat_clock_ns(CLOCK_BOOTTIME)) : 0;
	P.origin = origin;
	P.fork_off = off;
	P.fini_done = false;
	P.parent_file[0] = '\0';
	if (mstat_log_sink() == MSTAT_SINK_FILE) {
		base = base ? base + 1 : P.file;
		if (strlen(base) < sizeof(P.parent_file))
			strcpy(P.parent_file, base);
	}
	mstat_counters_fork_child();
	mstat_stack_forget();
	mstat_log_stacks_forget();
	P.inherited = mstat_ctr.in_use;
	mstat_log_set_pid(P.pid);
	mstat_log_forget_in_child();
	mstat_log_summary_inherit(P.inherited);
}

static void atfork_child(void)
{
	int err = errno;	/* the child's fstat and close of our copy */

	unsigned d = fork_leave();

	/* One thread now, and none inside the unwinder. */
	mstat_forking = 0;
	mstat_capturing = mstat_capture_own;	/* this thread's, resumed after the handler */
	/* Forked by a signal handler from inside a capture, or while another
	 * thread's went on too long: the loader's lock may be held for good
	 * in this child; it records no stacks. */
	if (fork_at[d].mid_capture)
		mstat_stack_depth = 0;
	/* Forked while a set-up was under way (it ran out of time, or a
	 * signal handler of the set-up's own thread forked): the thread doing
	 * it is not in this child, nor is a log it could finish. The child
	 * counts and logs nothing, and says so in PREFIX.nolog. */
	if (mstat_state == MSTAT_STATE_INITIALISING && !*mstat_fork_guard) {
		become_child(ORIGIN_FORK, fork_at[d].off, fork_at[d].boot);
		init_here = false;
		init_stuck = false;
		early_n = early_lost = 0;
		__atomic_store_n(&mstat_state, MSTAT_STATE_READY, __ATOMIC_RELEASE);
		if (P.prefix[0] == '/')
			nolog_record("set-up", EBUSY);
		errno = err;
		return;
	}
	/* A fork handler registered before ours may have allocated in the
	 * child already; the fork guard then caught the child first. */
	if (mstat_state != MSTAT_STATE_READY || *mstat_fork_guard)
		return;
	become_child(ORIGIN_FORK, fork_at[d].off, fork_at[d].boot);
	if (mstat_log_enabled() && (P.want_file || mstat_log_sink() == MSTAT_SINK_STREAM))
		__atomic_store_n(&mstat_state, MSTAT_STATE_CHILD, __ATOMIC_RELEASE);
	errno = err;
}

void mstat_proc_after_clone(void)
{
	uint64_t off = mstat_log_offset();
	int err = errno;

	become_child(ORIGIN_CLONE, off, 0);
	if (mstat_log_enabled() && (P.want_file || mstat_log_sink() == MSTAT_SINK_STREAM)) {
		mstat_log_lock();
		child_log_open();
		mstat_log_unlock();
	}
	errno = err;
}

/* ---- set-up ---- */

/* The fork guard: a page the kernel zeroes in every child, however made.
 * Counters need it too (a child's tallies start again). */
static void init_guard(void)
{
	void *guard;

	guard = mstat_sys_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
	if (guard == MAP_FAILED)
		return;
	if (madvise(guard, 4096, MADV_WIPEONFORK) < 0) {
		mstat_sys_munmap(guard, 4096);
		return;
	}
	*(volatile uint32_t *)guard = 1;
	mstat_fork_guard = guard;
}

/* Logging needs our identity and the stack settings. */
static void init_logging(void)
{
	char envbuf[16384];

	P.pid = getpid();
	mstat_log_set_pid(P.pid);
	mstat_stack_configure(mstat_getenv("MALLOC_STAT_BACKTRACE", envbuf, sizeof(envbuf)),
			      mstat_getenv("MALLOC_STAT_SAMPLE", envbuf, sizeof(envbuf)));
	const char *v = mstat_getenv("MALLOC_STAT_VERBOSE", envbuf, sizeof(envbuf));

	P.verbose = v && *v && strcmp(v, "0") != 0;
	v = mstat_getenv("MALLOC_STAT_MODE", envbuf, sizeof(envbuf));
	if (v && strcmp(v, "summary") == 0) {
		const char *t = mstat_getenv("MALLOC_STAT_SUMMARY_TEXT", envbuf, sizeof(envbuf));

		mstat_log_summary_mode(true, t ? strtoull(t, NULL, 10) : 0);
	}
}

static void init_once(void)
{
	char envbuf[16384];
	const char *prefix;
	int fd;

	P.origin = ORIGIN_IMAGE;
	mstat_clock_resolve();
	init_guard();
	init_tick();	/* here: a fork child would write it to a shared page */
	P.pid = getpid();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);

	prefix = mstat_getenv("MALLOC_STAT_PREFIX", envbuf, sizeof(envbuf));
	if (prefix && *prefix) {
		init_logging();
		set_prefix(prefix);
		mstat_log_lock();
		if (P.want_file)
			open_file();
		mstat_log_unlock();
	} else if (fcntl(1022, F_GETFD) >= 0 && (fd = fcntl(1022, F_DUPFD_CLOEXEC, 900)) >= 0) {
		/* The seed's single stream: a private copy of the descriptor, so
		 * that the program closing or reusing 1022 cannot redirect us. */
		init_logging();
		mstat_log_summary_mode(false, 0);	/* files only */
		mstat_log_open_stream(fd, true, true);
		P.stream_maps = true;
		mstat_log_lock();
		put_header(true);
		mstat_log_unlock();
	}
}

void mstat_proc_early(enum mstat_ev ev, const void *p, size_t req, size_t usable,
		      const void *old, size_t old_usable)
{
	unsigned i = __atomic_fetch_add(&early_n, 1, __ATOMIC_RELAXED);

	if (i >= EARLY_MAX) {
		__atomic_fetch_add(&early_lost, 1, __ATOMIC_RELAXED);
		return;
	}
	early[i] = (struct early){ (uint8_t)ev, 0, p, old, req, usable, old_usable };
	__atomic_store_n(&early[i].done, 1, __ATOMIC_RELEASE);
}

static void early_replay(void)
{
	unsigned n = __atomic_exchange_n(&early_n, 0, __ATOMIC_ACQ_REL);

	if (n > EARLY_MAX)
		n = EARLY_MAX;
	for (unsigned i = 0; i < n; i++) {
		struct early *e = &early[i];

		if (!__atomic_load_n(&e->done, __ATOMIC_ACQUIRE) || !mstat_log_on)
			continue;
		if (e->old)
			mstat_log_realloc(e->p, e->req, e->usable, e->old, e->old_usable, false);
		else if (e->ev == MSTAT_EV_FREE || e->ev == MSTAT_EV_REALLOC_FREE)
			mstat_log_free((enum mstat_ev)e->ev, e->p, e->usable);
		else
			mstat_log_alloc((enum mstat_ev)e->ev, e->p, e->req, e->usable);
		e->done = 0;
	}
	n = __atomic_exchange_n(&early_lost, 0, __ATOMIC_RELAXED);
	if (n && mstat_log_on)
		mstat_log_add_lost(n);
}

void mstat_proc_init(void)
{
	int expected = MSTAT_STATE_NONE;
	int err = errno;

	if (__atomic_load_n(&mstat_state, __ATOMIC_ACQUIRE) == MSTAT_STATE_CHILD) {
		expected = MSTAT_STATE_CHILD;
		if (!__atomic_compare_exchange_n(&mstat_state, &expected,
						 MSTAT_STATE_INITIALISING, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			init_busy(expected);
			return;
		}
		init_here = true;
		init_stuck = false;
		/* Made without fork handlers (_Fork, clone) by a fork child
		 * that had no log yet: a child of that process, not it. */
		if (!*mstat_fork_guard)
			become_child(ORIGIN_CLONE, 0, 0);
		mstat_log_lock();
		child_log_open();
		mstat_log_unlock();
	} else {
		if (!__atomic_compare_exchange_n(&mstat_state, &expected,
						 MSTAT_STATE_INITIALISING, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			init_busy(expected);
			return;
		}
		init_here = true;
		init_stuck = false;
		init_once();
	}
	/* The set-up's own events (a signal handler's, another preload's)
	 * while the other threads still wait; then those that stopped
	 * waiting. */
	if (MSTAT_UNLIKELY(__atomic_load_n(&early_n, __ATOMIC_RELAXED)))
		early_replay();
	__atomic_store_n(&mstat_state, MSTAT_STATE_READY, __ATOMIC_RELEASE);
	if (MSTAT_UNLIKELY(__atomic_load_n(&early_n, __ATOMIC_RELAXED)))
		early_replay();
	init_here = false;
	errno = err;
}

/* The argument strings, if they lie one after the other as the kernel put
 * them (an explicit ld.so invocation hands on a tail of them). */
static void note_args(int argc, char **argv)
{
	const char *e;

	if (argc <= 0 || !argv || !argv[0])
		return;
	e = argv[0];
	for (int i = 0; i < argc; i++) {
		if (!argv[i] || argv[i] != e)
			return;
		e += strlen(e) + 1;
	}
	P.arg_end = e;
	P.arg_start = argv[0];
}

/* glibc calls the constructors of shared objects with main's arguments. */
__attribute__((constructor)) static void mstat_ctor(int argc, char **argv, char **envp)
{
	Dl_info self;

	(void)envp;
	note_args(argc, argv);
	mstat_proc_init();
	/* Our own file name, for telling whether a child keeps us. */
	if (dladdr((void *)mstat_ctor, &self) && self.dli_fname) {
		const char *b = strrchr(self.dli_fname, '/');

		b = b ? b + 1 : self.dli_fname;
		if (strlen(b) < sizeof(self_base))
			strcpy(self_base, b);
	}
	/* Out of malloc: dlopen takes the loader lock and allocates. */
	mstat_stack_load();
	mstat_stack_modules_changed();
	mstat_log_own_init();	/* after the unwinder is loaded */
	/* Children that chdir must write beside us: hand them the absolute
	 * prefix. Done here, not inside malloc, where setenv could deadlock. */
	if (P.prefix_relative) {
		int err = errno;

		setenv("MALLOC_STAT_PREFIX", P.prefix, 1);
		P.prefix_relative = false;
		errno = err;
	}
}

extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static void late_fini(void *unused)
{
	mstat_proc_fini();
}

/* Our destructor runs inside _dl_fini, before the destructors of the
 * program's libraries, whose frees (C++ static containers: possibly
 * millions) must still be logged. glibc runs exit handlers registered while
 * exit handlers run, after the current one: registered here, with no DSO
 * handle, late_fini runs after every library destructor, so FINI carries
 * the truly final counters and the log stays mapped until then. */
__attribute__((destructor)) static void mstat_dtor(void)
{
	if (mstat_state != MSTAT_STATE_READY || !mstat_log_on ||
	    __cxa_atexit(late_fini, NULL, NULL) != 0)
		mstat_proc_fini();
}

/* ---- exec and exit ---- */

/*
 * Whether a new image started with envp is traced: LD_PRELOAD still names
 * this object and, with per-process files, MALLOC_STAT_PREFIX is set. The
 * tools tell the rest (a static or setuid program) from the program file.
 */

static bool env_keeps_us(char *const envp[])
{
	const char *pre = NULL, *prefix = NULL;
	size_t bl = strlen(self_base);

	for (char *const *e = envp; e && *e; e++) {
		if (!strncmp(*e, "LD_PRELOAD=", 11))
			pre = *e + 11;
		else if (!strncmp(*e, "MALLOC_STAT_PREFIX=", 19))
			prefix = *e + 19;
	}
	if (!pre || (P.want_file && (!prefix || !*prefix)))
		return false;
	for (const char *p = pre; *p;) {
		size_t n = strcspn(p, ": ");
		const char *b = memrchr(p, '/', n);

		b = b ? b + 1 : p;
		if ((size_t)(p + n - b) == bl && !memcmp(b, self_base, bl))
			return true;
		p += n;
		p += strspn(p, ": ");
	}
	return false;
}

/* "+ SPAWN PID 0xERRNO WHY PATH": a child this image started that may
 * leave no log (a vfork or posix_spawn child: it runs in our memory until
 * it execs, so it cannot have a file of its own before). WHY is "traced"
 * when its environment keeps the preload, "env" when not. */
static size_t fmt_spawn(char *rec, size_t cap, int pid, int err, bool traced, const char *path)
{
	char *e = mstat_fmt_str(rec, "+ SPAWN ");
	size_t n = path ? strlen(path) : 0;

	e = mstat_fmt_u64(e, (uint64_t)(pid > 0 ? pid : 0));
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uint64_t)(err > 0 ? err : 0));
	e = mstat_fmt_str(e, traced ? " traced " : " env ");
	if (n > cap - (size_t)(e - rec) - 4)
		n = cap - (size_t)(e - rec) - 4;
	for (size_t i = 0; i < n; i++)
		*e++ = path[i] == '\n' ? ' ' : path[i];
	return (size_t)(mstat_fmt_str(e, "\n-\n") - rec);
}

/* Tokens for mstat_proc_exec_failed: nothing to do, a log to reopen, a
 * vfork child's SPAWN entry to redo (its mark + 2). */
#define EXEC_NONE 0
#define EXEC_LOGGED 1
#define VFORK_REC 224	/* fits the parent thread's pending entries */

/* A vfork child's exec, in its parent thread's memory, for the redo. */
static __thread const char *vfork_path;
static __thread bool vfork_traced;

int mstat_proc_before_exec(const char *path, char *const envp[])
{
	int err = errno;
	bool traced;

	if (mstat_state == MSTAT_STATE_NONE || mstat_state == MSTAT_STATE_INITIALISING ||
	    !mstat_log_on || mstat_log_nested())
		return EXEC_NONE;
	traced = env_keeps_us(envp);
	/* vfork and CLONE_VM children run in our memory: the parent's thread
	 * writes their SPAWN entry when it next logs. */
	if (getpid() != P.pid) {
		char rec[VFORK_REC];
		unsigned mark;

		if (mstat_state != MSTAT_STATE_READY)
			return EXEC_NONE;
		vfork_path = path;
		vfork_traced = traced;
		mark = mstat_log_vfork_pend((int)getpid(), rec,
					    fmt_spawn(rec, sizeof(rec), (int)getpid(), 0, traced, path));
		errno = err;
		return mark == UINT_MAX ? EXEC_NONE : (int)mark + 2;
	}
	/* A fork child that never allocated needs no file when the new image
	 * names its parent itself; one whose new image goes untraced gets its
	 * file now, so that the tree shows where it went. */
	if (mstat_state == MSTAT_STATE_CHILD) {
		if (traced)
			return EXEC_NONE;
		mstat_proc_init();
	}
	if (mstat_state != MSTAT_STATE_READY || !mstat_log_on)
		return EXEC_NONE;
	if (mstat_stack_modules_changed())
		mstat_proc_maps_changed();
	mstat_log_control("EXEC", traced ? 0 : 1, 0, path ? path : "");
	mstat_log_lock();
	mstat_log_seal_locked();
	mstat_log_unlock();
	errno = err;
	return EXEC_LOGGED;
}

void mstat_proc_exec_failed(int token, int err)
{
	if (token == EXEC_NONE)
		return;
	if (token >= 2) {
		/* A vfork child whose exec failed: say so in its entry. */
		char rec[VFORK_REC];
		size_t n = fmt_spawn(rec, sizeof(rec), (int)getpid(), err, vfork_traced, vfork_path);

		mstat_log_vfork_redo((unsigned)token - 2, rec, n);
		errno = err;
		return;
	}
	mstat_log_lock();
	mstat_log_remap_locked();
	mstat_log_unlock();
	mstat_log_control("EXEC-FAILED", (uint64_t)err, 0, NULL);
	errno = err;
}

void mstat_proc_spawned(int pid, int err, const char *path, char *const envp[])
{
	int e = errno;

	mstat_proc_ensure();
	if (mstat_state == MSTAT_STATE_READY && mstat_log_on && !mstat_log_nested())
		mstat_log_control2("SPAWN", (uint64_t)(pid > 0 ? pid : 0), (uint64_t)err,
				   env_keeps_us(envp) ? "traced" : "env", path ? path : "");
	errno = e;
}

void mstat_proc_forked(int pid)
{
	char off[24];

	if (pid > 0 && mstat_state == MSTAT_STATE_READY && mstat_log_on) {
		/* The offset this thread's fork handlers saw, as the child's
		 * ORIGIN says (other threads may have forked since). */
		*mstat_fmt_u64(off, fork_off) = '\0';
		mstat_log_control("FORK", (uint64_t)pid, 0, off);
	}
}

static void put_fini(void)
{
	struct mstat_counters c;
	struct rusage ru;
	char tail[320];
	char *e = tail;

	uint64_t resident, shared;

	/* Resident size at exit: short processes get no periodic sample. An
	 * exec'd image needs it (its maxrss may be the previous image's); a
	 * fork child that lived less than a sample period is left with its
	 * maxrss, as reading /proc would be most of its logging cost. */
	if ((P.origin == ORIGIN_IMAGE ||
	     mstat_clock_ns(CLOCK_MONOTONIC) - P.mono0 >= MSTAT_RSS_EVERY_NS) &&
	    mstat_statm_program(&resident, &shared) == 0)
		mstat_log_rss(resident, shared);
	uint64_t threads = 1;

	/* Threads still running may have counted an event they have not
	 * logged yet, or logged one counted after this: FINI says so, and
	 * the reader expects the two to differ a little. */
	if (!__libc_single_threaded)
		(void)mstat_proc_stat(0, NULL, NULL, &threads);
	mstat_counters_get(&c);
	int64_t slack = mstat_counters_peak_slack();
	const struct {
		const char *key;
		int64_t v;
	} kv[] = {
		{ "allocations=", (int64_t)c.allocations },
		{ " allocated=", (int64_t)c.allocated },
		{ " deallocations=", (int64_t)c.deallocations },
		{ " deallocated=", (int64_t)c.deallocated },
		{ " in_use=", c.in_use },
		{ " peak_in_use=", c.peak_in_use },
		{ " maxrss=", getrusage(RUSAGE_SELF, &ru) == 0 ?
			       (int64_t)mstat_log_program_peak((uint64_t)ru.ru_maxrss * 1024) : -1 },
		{ " threads=", threads > 1 ? (int64_t)threads : -1 },
		{ " peak_slack=", slack > 0 ? slack : -1 },
		{ " time=", (int64_t)mstat_clock_ns(CLOCK_MONOTONIC) },	/* the image's end */
	};

	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		if (kv[i].v < 0 && i >= 6)
			continue;	/* no maxrss; one thread */
		e = mstat_fmt_str(e, kv[i].key);
		e = mstat_fmt_i64(e, kv[i].v);
	}
	*e = '\0';
	mstat_log_control("FINI", 0, 0, tail);
}

void mstat_proc_fini(void)
{
	int err = errno;

	/* A fork child leaving before its first event still gets its file:
	 * it is a process of the tree. */
	if (mstat_log_nested()) {
		/* _exit from a signal handler that interrupted the writer: what
		 * is written stays; taking the lock again would deadlock. */
		errno = err;
		return;
	}
	/* A vfork child (sharing our memory) must change nothing here. */
	if (getpid() != P.pid) {
		errno = err;
		return;
	}
	if (mstat_state == MSTAT_STATE_CHILD)
		mstat_proc_init();
	if (mstat_state != MSTAT_STATE_READY || P.fini_done) {
		errno = err;
		return;
	}
	P.fini_done = true;
	if (mstat_stack_modules_changed())
		mstat_proc_maps_changed();
	if (mstat_log_on)
		put_fini();
	/* Library destructors free after this: their entries follow through
	 * pwrite into the trimmed file. */
	mstat_log_lock();
	mstat_log_seal_locked();
	mstat_log_unlock();
	errno = err;
}

/* ---- API ---- */

void mstat_api_get(struct mstat_counters *out, int reset)
{
	mstat_proc_ensure();
	if (reset) {
		mstat_counters_reset();
		mstat_log_summary_reset();
	}
	mstat_counters_get(out);
}

static void api_log_state(int on)
{
	mstat_proc_ensure();
	if (!!on == mstat_log_enabled())
		return;
	if (!on) {
		mstat_log_control("LOG", 0, 0, NULL);
		mstat_log_enable(false);
		return;
	}
	mstat_log_enable(true);
	if (!P.pid)
		init_logging();
	if (mstat_log_sink() == MSTAT_SINK_NONE && fcntl(1022, F_GETFD) >= 0) {
		/* As in the original: logging goes to fd 1022 unless set. */
		mstat_log_lock();
		mstat_log_open_stream(1022, false, false);
		put_header(false);
		mstat_log_unlock();
	} else {
		mstat_log_control("LOG", 1, 0, NULL);
	}
}

/* The API's calls leave errno as the program had it (fcntl on a closed
 * 1022, the header's /proc reads). */
void mstat_api_log_state(int on)
{
	int err = errno;

	api_log_state(on);
	errno = err;
}

void mstat_api_log_fd(int fd)
{
	int err = errno;

	mstat_proc_ensure();
	if (!P.pid)
		init_logging();
	mstat_log_lock();
	if (mstat_log_sink() != MSTAT_SINK_NONE && mstat_log_on) {
		char rec[] = "+ LOG 0 0x0\n-\n";

		mstat_log_put_locked(rec, sizeof(rec) - 1);
	}
	mstat_log_close();
	P.want_file = false;
	if (fd >= 0) {
		mstat_log_open_stream(fd, false, false);
		put_header(false);
	}
	mstat_log_unlock();
	errno = err;
}
