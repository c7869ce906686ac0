/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The log writer. A per-process file is written through a MAP_SHARED window
 * whose pages were written with zeros beforehand: an entry is in the page cache
 * the moment it is copied, so _exit, abort, a fatal signal or SIGKILL lose
 * nothing, and a full disk fails a syscall here instead of raising SIGBUS
 * in the program. Shared streams (fd 1022) get whole batches of entries of
 * at most PIPE_BUF bytes, each headed by the writer's pid.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/futex.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "fmt.h"
#include "stack.h"
#include "sys.h"

#define PAGE_SIZE_ 4096u
/* Windows grow fourfold from WIN_FIRST to WIN_MAX: most processes of a
 * build write a few kilobytes, and every page reserved and trimmed again
 * costs them. */
#define WIN_FIRST (4u << 10)
#define WIN_MAX (1u << 20)
#define ZERO_IOVS 64u		/* a pwritev of up to 256 KiB of zeros */
#define STREAM_BATCH 4096u	/* PIPE_BUF: a write of this size is atomic */
#define STREAM_FLUSH_NS 10000000u
#define ENTRY_MAX 160
/* The tail of every window that entries never use: room for the CUT entry
 * that says why the log stops, which needs no disk space then. */
#define CUT_ROOM 64u

/* Per-thread state. initial-exec: the default TLS model may call malloc. */
struct tstate {
	uint32_t tid;		/* gettid(), cached; 0 until this thread locks */
	uint8_t depth;		/* inside the writer: nested events are pended */
	uint8_t flushing;
	uint8_t leaving;	/* past the last flush, about to leave the writer */
	uint8_t section;	/* writer_enter() of mstat_log_lock() */
	uint8_t section_cancel;	/* its thread's cancel state before */
	uint16_t pend_len;
	uint16_t vfork_mark;	/* where vfork_pid's SPAWN entry starts in pend */
	int32_t vfork_pid;	/* a vfork child with an entry pended, 0 none */
	uint32_t lost;
	uint8_t in_sum;		/* holds a summary shard's lock (summary.inc) */
	char pend[243];		/* entries made by signal handlers meanwhile */
};
static __thread struct tstate tls __attribute__((tls_model("initial-exec")));

static void sum_before_fork(void);

/* The writer. The fields every entry touches come first, in one cache
 * line with the lock; the buffers come last. */
static struct {
	uint32_t lock;		/* see mstat_log_lock */
	enum mstat_sink_kind kind;
	bool enabled;
	bool failed;
	bool direct;		/* sealed: entries go through pwrite */
	bool fd_checked;	/* just opened: no fstat needed yet */
	char *win;
	size_t win_len;		/* what entries may use: the map less CUT_ROOM */
	size_t map_len;
	size_t pos;		/* next entry, inside the window */
	bool win_nofork;	/* MADV_DONTFORK: not in fork children */
	char *stale;		/* a sealed window, left for exec or exit */
	size_t stale_len;
	uint64_t stale_off;	/* its file offset */
	uint64_t last_tick;	/* TIME entries */
	uint64_t last_rss;	/* RSS entries */
	uint64_t win_off;	/* file offset of the window */
	/* file sink */
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t file_len;	/* bytes reserved in the file */
	/* stream sink */
	bool buffered;
	bool owned;
	uint64_t last_flush;
	size_t blen;
	size_t pidline_len;
	char pidline[32];
	const char *path;	/* the caller's, kept as long as the sink */
	char buf[STREAM_BATCH];
} W __attribute__((aligned(64))) = { .fd = -1, .enabled = true };

bool mstat_log_on;

static const struct {
	char name[16];
	uint8_t len;
} ev_names[] = {
#define EV(e, s) [e] = { s, sizeof(s) - 1 }
	EV(MSTAT_EV_MALLOC, "malloc"),
	EV(MSTAT_EV_CALLOC, "calloc"),
	EV(MSTAT_EV_MEMALIGN, "memalign"),
	EV(MSTAT_EV_POSIX_MEMALIGN, "posix_memalign"),
	EV(MSTAT_EV_ALIGNED_ALLOC, "aligned_alloc"),
	EV(MSTAT_EV_VALLOC, "valloc"),
	EV(MSTAT_EV_PVALLOC, "pvalloc"),
	EV(MSTAT_EV_REALLOC_ALLOC, "realloc-alloc"),
	EV(MSTAT_EV_FREE, "free"),
	EV(MSTAT_EV_REALLOC_FREE, "realloc-free"),
	EV(MSTAT_EV_REALLOC_INPLACE, "realloc-inplace"),
	EV(MSTAT_EV_REALLOC_REALLOC, "realloc-realloc"),
#undef EV
};

static inline uint64_t coarse_now(void)
{
	struct timespec ts;

	mstat_clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void update_on(void)
{
	__atomic_store_n(&mstat_log_on, W.kind != MSTAT_SINK_NONE && W.enabled && !W.failed,
			 __ATOMIC_RELAXED);
}

/* ---- lock: taken only with several threads ---- */

/* The lock word is the owner's tid, with WAITERS set when a thread may be
 * asleep on it. Knowing the owner matters for signal handlers that
 * allocate: one that interrupts its thread while that thread owns the lock
 * must pend its entries (taking the lock would deadlock), but one that
 * interrupts a thread still waiting for the lock must take it: the
 * handler's frees return memory to glibc at once, and another thread that
 * gets that memory must not log it before the handler's entries. */
#define WAITERS 0x80000000u

static inline uint32_t self_tid(struct tstate *t)
{
	if (MSTAT_UNLIKELY(!t->tid))
		t->tid = (uint32_t)syscall(SYS_gettid);
	return t->tid;
}

static void lock_raw(void)
{
	uint32_t me = self_tid(&tls), c = 0;
	int err;

	if (MSTAT_LIKELY(__atomic_compare_exchange_n(&W.lock, &c, me, 0, __ATOMIC_ACQUIRE,
						     __ATOMIC_RELAXED)))
		return;
	for (int spin = 0; spin < 100; spin++) {
		__builtin_ia32_pause();
		c = 0;
		if (__atomic_compare_exchange_n(&W.lock, &c, me, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
	}
	err = errno;
	for (;;) {
		c = __atomic_load_n(&W.lock, __ATOMIC_RELAXED);
		if (c == 0) {
			/* Others may sleep on it still: keep WAITERS. */
			if (__atomic_compare_exchange_n(&W.lock, &c, me | WAITERS, 0,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		if (!(c & WAITERS) &&
		    !__atomic_compare_exchange_n(&W.lock, &c, c | WAITERS, 0, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			continue;
		syscall(SYS_futex, &W.lock, FUTEX_WAIT_PRIVATE, c | WAITERS, NULL, NULL, 0);
	}
	errno = err;
}

static void unlock_raw(void)
{
	if (__atomic_exchange_n(&W.lock, 0, __ATOMIC_RELEASE) & WAITERS) {
		int err = errno;

		syscall(SYS_futex, &W.lock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		errno = err;
	}
}

/* Whether this thread is inside the writer, where a nested event must be
 * pended: by depth while single-threaded (no lock then), by lock
 * ownership with threads. */
static inline bool nested(struct tstate *t)
{
	if (__libc_single_threaded)
		return t->depth != 0;
	return t->tid && (__atomic_load_n(&W.lock, __ATOMIC_RELAXED) & ~WAITERS) == t->tid;
}

/* ---- file sink ---- */

/* Copies whole entries so that the first byte lands last (see publish). */
static inline void copy_published(char *dst, const char *p, size_t len)
{
	memcpy(dst + 1, p + 1, len - 1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	dst[0] = p[0];
}

/* Before a fork: fork children neither copy the window nor need to unmap
 * it. Done when a process forks, not for every window of every process. */
void mstat_log_before_fork(void)
{
	if (W.win && !W.win_nofork)
		W.win_nofork = madvise(W.win, W.map_len, MADV_DONTFORK) == 0;
	sum_before_fork();
}

/* Unmaps the window (and a sealed one kept mapped). In a fork child
 * only what the child inherited: windows are MADV_DONTFORK. */
static void win_unmap(bool child)
{
	if (W.win && !(child && W.win_nofork))
		mstat_sys_munmap(W.win, W.map_len);
	if (W.stale && !(child && W.win_nofork))
		mstat_sys_munmap(W.stale, W.stale_len);
	W.win = W.stale = NULL;
	W.win_len = W.map_len = W.stale_len = 0;
}

static bool fd_is_ours(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == W.dev && st.st_ino == W.ino;
}

/* The log's descriptor is held only while the log needs it: to reserve
 * and map a window, or to write through pwrite. Between windows the
 * program has every descriptor number to itself (it may list them, close
 * them all, or run at a tiny RLIMIT_NOFILE); a new window opens the file
 * again by its path. Never closes a number that may now be the program's. */
static void file_fd_drop(void)
{
	if (W.fd >= 0 && fd_is_ours(W.fd))
		close(W.fd);
	W.fd = -1;
	W.fd_checked = false;
}

/* Makes sure W.fd is our file, opening it again when it was dropped or
 * when the program closed it or dup2'ed over it. */
static int file_fd_check(void)
{
	int fd;

	if (W.fd_checked) {
		W.fd_checked = false;
		return 0;
	}
	if (fd_is_ours(W.fd))
		return 0;
	fd = open(W.path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!fd_is_ours(fd)) {
		close(fd);
		return -ESTALE;
	}
	fd = mstat_fd_high(fd);
	if (fd < 0)
		return fd;
	W.fd = fd;
	return 0;
}

/* The file cut at len: through W.fd when we hold it, else through a
 * descriptor of its own, checked and closed (no dup out of the program's
 * numbers: it lives for three calls). */
static void file_cut(uint64_t len)
{
	struct stat st;
	int fd;

	if (W.fd >= 0) {
		if (file_fd_check() == 0 && ftruncate(W.fd, (off_t)len) == 0)
			W.file_len = len;
		return;
	}
	fd = open(W.path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_dev == W.dev && st.st_ino == W.ino &&
	    ftruncate(fd, (off_t)len) == 0)
		W.file_len = len;
	close(fd);
}

static int fsize_check(uint64_t size);
static void own_note(void);
static uint64_t own_hwm, program_max;	/* see raise_to() */
/* summary.inc */
static uint64_t sum_text_cap(void);
static int sum_relocate(uint64_t need);
static bool sum_has_body(void);
static void sum_compact(uint64_t text_end);

/* Why logging stopped, for the reader: "+ CUT ERRNO 0x0", written into
 * the room every window keeps for it. Without it a log that stops reads
 * as a process that died there, and its live blocks as leaks. */
static void put_cut(int err)
{
	char rec[CUT_ROOM];
	char *e = mstat_fmt_str(rec, "+ CUT ");

	e = mstat_fmt_u64(e, (uint64_t)(err > 0 ? err : EIO));
	e = mstat_fmt_str(e, " 0x0\n-\n");
	if (W.win && W.pos + (size_t)(e - rec) <= W.map_len) {
		copy_published(W.win + W.pos, rec, (size_t)(e - rec));
		W.pos += (size_t)(e - rec);
	} else if (!W.win && W.direct && fsize_check(W.win_off + (size_t)(e - rec)) == 0 &&
		   file_fd_check() == 0 &&
		   mstat_pwrite_all(W.fd, rec, (size_t)(e - rec), (off_t)W.win_off) == 0) {
		W.win_off += (uint64_t)(e - rec);	/* the last bytes of a block may hold it */
	}
}

static void log_fail(int err)
{
	W.failed = true;
	update_on();
	if (W.kind == MSTAT_SINK_FILE)
		put_cut(err);
	if (W.kind == MSTAT_SINK_FILE && W.win) {
		uint64_t end = W.win_off + W.pos;

		win_unmap(false);
		W.win_off = end;
		W.pos = 0;
		/* Often the failure is that W.fd is no longer our file (the
		 * program replaced it and our path is gone): never cut or
		 * grow the program's file. */
		if (!sum_has_body() && file_fd_check() == 0)
			(void)!ftruncate(W.fd, (off_t)end);
	}
	if (W.kind == MSTAT_SINK_FILE)
		file_fd_drop();
}

/* Growing past RLIMIT_FSIZE would send SIGXFSZ to the program: treat the
 * limit as a full disk. */
static int fsize_check(uint64_t size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    size > (uint64_t)rl.rlim_cur)
		return -EFBIG;
	return 0;
}

/* Reserves disk space up to size before it is mapped, by writing zeros: a
 * write into a mapped hole on a full disk would be SIGBUS in the program,
 * while a short pwrite is an error we can handle. Zeros beat fallocate by
 * far on ext4 (bench/RESULTS.md): a page written through the map costs
 * 1.8-2 us after pwrite, 5-6.5 us over an unwritten extent, and trimming
 * an fallocated tail at exit frees blocks (a discard on `-o discard`),
 * while trimming delayed-allocation pages frees nothing on disk. */
static int file_reserve(uint64_t size)
{
	static char zeros[4096];
	static struct iovec iov[ZERO_IOVS];	/* under the writer lock */
	int r;

	if (size <= W.file_len)
		return 0;
	r = fsize_check(size);
	if (r < 0)
		return r;
	while (W.file_len < size) {
		uint64_t left = size - W.file_len;
		size_t n = 0, len = 0;

		for (; n < ZERO_IOVS && left; n++) {
			iov[n].iov_base = zeros;
			iov[n].iov_len = left < sizeof(zeros) ? left : sizeof(zeros);
			left -= iov[n].iov_len;
			len += iov[n].iov_len;
		}
		ssize_t w = pwritev(W.fd, iov, (int)n, (off_t)W.file_len);

		if (w < 0)
			return -errno;
		if ((size_t)w != len)
			return -ENOSPC;
		W.file_len += len;
	}
	return 0;
}

static int file_next_window(void)
{
	uint64_t end = W.win_off + W.pos;
	uint64_t off = end & ~(uint64_t)(PAGE_SIZE_ - 1);
	size_t len = WIN_FIRST;
	void *win;
	int r;

	/* Room for a page of entries after the end, at least (the window
	 * before may have ended just short of an entry). */
	while (len < WIN_MAX && (len <= end || len - (end - off) < PAGE_SIZE_))
		len <<= 2;
	/* Even when the file is long enough already: the program may have
	 * closed our descriptor since the last window. */
	r = file_fd_check();
	if (r < 0)
		return r;
	/* Summary: the text stops where the body starts; the body moves
	 * further out when the text needs the room. */
	if (end + 2 * PAGE_SIZE_ > sum_text_cap() && (r = sum_relocate(end)) < 0)
		return r;
	if (off + len > sum_text_cap())
		len = (size_t)(sum_text_cap() - off);
	r = file_reserve(off + len);
	if (r < 0)
		return r;
	/* The old window stays until the new one is mapped: a failure still
	 * finds room there for the CUT entry. */
	win = mstat_sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, W.fd, (off_t)off);
	if (win == MAP_FAILED)
		return -errno;
	if (W.win && W.pos >= W.map_len / 2)
		own_note();	/* a full window: the most the text held */
	win_unmap(false);
	W.win = win;
	W.win_off = off;
	W.map_len = len;
	W.win_len = len - CUT_ROOM;
	W.win_nofork = false;
	W.pos = (size_t)(end - off);
	W.direct = false;
	file_fd_drop();
	return 0;
}

static void file_put_slow_(const char *p, size_t len)
{
	if (W.direct) {
		int r = fsize_check(W.win_off + len);

		if (r == 0)
			r = file_fd_check();
		/* After the shrink at exit the body follows the text closely:
		 * more text than its room moves the body out. */
		if (r == 0 && W.win_off + len + 1 > sum_text_cap())
			r = sum_relocate(W.win_off + len);
		if (r == 0 && mstat_pwrite_all(W.fd, p, len, (off_t)W.win_off) < 0)
			r = -errno;
		if (r < 0) {
			log_fail(-r);
			return;
		}
		W.win_off += len;
		if (W.win_off > W.file_len)
			W.file_len = W.win_off;
		return;
	}
	if (!len)
		return;
	/* A new window starts at the page the log ends in: an entry that
	 * fits in one is never split, so it can be published whole. */
	if (len > W.win_len - W.pos) {
		int r = file_next_window();

		if (r < 0) {
			log_fail(-r);
			return;
		}
	}
	if (len <= W.win_len - W.pos) {
		copy_published(W.win + W.pos, p, len);
		W.pos += len;
		return;
	}
	/* Longer than a window (a huge header line): in pieces. */
	while (len) {
		size_t room = W.win_len - W.pos, n;

		if (!room) {
			int r = file_next_window();

			if (r < 0) {
				log_fail(-r);
				return;
			}
		}
		room = W.win_len - W.pos;
		n = len < room ? len : room;
		memcpy(W.win + W.pos, p, n);
		W.pos += n;
		p += n;
		len -= n;
	}
}

/* Slow paths make syscalls: the program's errno is what glibc left. They
 * call open, read, write and close, which are cancellation points: a
 * thread cancelled there would die holding the writer lock, and every
 * other thread would wait for it for ever. */
static int cancel_off(void)
{
	int old = PTHREAD_CANCEL_ENABLE;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	return old;
}

static void cancel_restore(int old)
{
	int unused;

	if (old != PTHREAD_CANCEL_DISABLE)
		pthread_setcancelstate(old, &unused);
}

static void file_put_slow(const char *p, size_t len)
{
	int err = errno, c = cancel_off();

	file_put_slow_(p, len);
	cancel_restore(c);
	errno = err;
}

/* ---- stream sink ---- */

/* Our copy of fd 1022 is checked like the file sink's descriptor. */
static void stream_write(const char *p, size_t len)
{
	if (W.owned && !fd_is_ours(W.fd))
		log_fail(EBADF);
	else if (mstat_write_all(W.fd, p, len) < 0)
		log_fail(errno);
}

static void stream_flush(void)
{
	if (!W.blen)
		return;
	stream_write(W.buf, W.blen);
	W.blen = 0;
}

static void stream_put_(const char *p, size_t len)
{
	if (!W.buffered) {
		/* One write per entry, as the seed API's users read it. */
		char one[STREAM_BATCH];

		if (W.pidline_len + len <= sizeof(one)) {
			memcpy(one, W.pidline, W.pidline_len);
			memcpy(one + W.pidline_len, p, len);
			if (mstat_write_all(W.fd, one, W.pidline_len + len) < 0)
				log_fail(errno);
		} else if (mstat_write_all(W.fd, p, len) < 0) {
			log_fail(errno);
		}
		return;
	}
	if (W.blen && W.blen + len > sizeof(W.buf))
		stream_flush();
	if (!W.blen) {
		memcpy(W.buf, W.pidline, W.pidline_len);
		W.blen = W.pidline_len;
	}
	if (W.blen + len > sizeof(W.buf)) {
		/* Longer than a batch (a huge header line): not atomic. */
		stream_flush();
		if (!W.failed)
			stream_write(p, len);
		return;
	}
	memcpy(W.buf + W.blen, p, len);
	W.blen += len;
}

static void stream_put(const char *p, size_t len)
{
	int err = errno, c = cancel_off();

	stream_put_(p, len);
	cancel_restore(c);
	errno = err;
}

/* ---- entries ---- */

static inline void sink_put(const char *p, size_t len)
{
	if (MSTAT_LIKELY(W.kind == MSTAT_SINK_FILE)) {
		if (MSTAT_LIKELY(len <= W.win_len - W.pos && len)) {
			copy_published(W.win + W.pos, p, len);
			W.pos += len;
			return;
		}
		file_put_slow(p, len);
	} else if (W.kind == MSTAT_SINK_STREAM) {
		stream_put(p, len);
	}
}

static char *fmt_control(char *e, const char *type, uint64_t a, uint64_t b)
{
	*e++ = '+';
	*e++ = ' ';
	e = mstat_fmt_str(e, type);
	*e++ = ' ';
	e = mstat_fmt_u64(e, a);
	*e++ = ' ';
	return mstat_fmt_hex(e, b);
}

static inline char *fmt_end(char *e)
{
	memcpy(e, "\n-\n", 3);
	return e + 3;
}

/* A TIME entry whenever the coarse monotonic clock (a vDSO read, no
 * syscall) has moved: heap over time at its resolution. */
static void tick_at(uint64_t now);

static inline void tick(void)
{
	tick_at(coarse_now());
}

/* Caller is in the writer; `now` may have been read before the lock. */
static void tick_at(uint64_t now)
{
	if (MSTAT_LIKELY(now <= W.last_tick))
		return;
	W.last_tick = now;

	char rec[96];
	char *e = fmt_end(fmt_control(rec, "TIME", now, 0));
	int err = errno;

	sink_put(rec, (size_t)(e - rec));
	if (now - W.last_rss >= MSTAT_RSS_EVERY_NS) {
		uint64_t resident, shared;
		int c = cancel_off();
		bool ok = mstat_statm_program(&resident, &shared) == 0;

		cancel_restore(c);
		W.last_rss = now;
		if (ok) {
			e = fmt_control(rec, "RSS", resident, 0);
			*e++ = ' ';
			e = fmt_end(mstat_fmt_u64(e, shared));
			sink_put(rec, (size_t)(e - rec));
		}
	}
	if (W.kind == MSTAT_SINK_STREAM && now - W.last_flush >= STREAM_FLUSH_NS) {
		int c = cancel_off();

		W.last_flush = now;
		stream_flush();
		cancel_restore(c);
	}
	errno = err;
}

static void put_lost_locked(struct tstate *t)
{
	char rec[64];
	char *e = fmt_end(fmt_control(rec, "LOST", t->lost, 0));

	t->lost = 0;
	sink_put(rec, (size_t)(e - rec));
}

static void flush_pending_locked(struct tstate *t)
{
	/* A signal handler that allocates during this copy is counted as
	 * lost rather than raced with. */
	t->flushing = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (t->pend_len) {
		sink_put(t->pend, t->pend_len);
		t->pend_len = 0;
	}
	t->vfork_pid = 0;	/* its entry is written: a new one is a new child */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->flushing = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (t->lost)
		put_lost_locked(t);
}

static void pend(struct tstate *t, const char *p, size_t len)
{
	if (!t->flushing && t->pend_len + len <= sizeof(t->pend)) {
		memcpy(t->pend + t->pend_len, p, len);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		t->pend_len = (uint16_t)(t->pend_len + len);
	} else {
		t->lost++;
	}
}

/* Enters the writer: nested calls (a signal handler that allocates while
 * this thread is in here) are pended by the caller instead. Returns whether
 * the lock was taken. errno is left alone: only slow paths touch it, and
 * they save it. */
static inline unsigned writer_enter(struct tstate *t)
{
	unsigned prev = t->depth;
	bool lk;

	t->depth = 1;
	lk = !__libc_single_threaded;
	if (lk)
		lock_raw();
	/* The caller's depth comes back on leaving: a handler that took the
	 * lock while its thread waited for it must not clear that thread's. */
	return (prev << 1) | lk;
}

/* A handler that runs after the last flush of pended entries and before
 * the writer is left would pend entries that nothing flushes until this
 * thread's next event, while other threads may already reuse the blocks
 * it freed: the log would show them allocated while live. From the last
 * flush on, this thread's writer state is at rest, so nested events are
 * written straight away instead (nested_put). */
static inline void leave_begin(struct tstate *t)
{
	for (;;) {
		if (MSTAT_UNLIKELY(t->pend_len || t->lost) && mstat_log_on)
			flush_pending_locked(t);
		t->leaving = 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		/* A handler between the flush and the store above pended. */
		if (MSTAT_LIKELY(!t->pend_len && !t->lost) || !mstat_log_on)
			return;
		t->leaving = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
}

static inline void leave_end(struct tstate *t, uint8_t depth)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->depth = depth;	/* first: nested() may be by depth */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->leaving = 0;
}

static inline void writer_leave(struct tstate *t, unsigned lk)
{
	leave_begin(t);
	if (lk & 1)
		unlock_raw();
	leave_end(t, (uint8_t)(lk >> 1));
}

#include "summary.inc"

void mstat_log_add_lost(unsigned n)
{
	struct tstate *t = &tls;
	unsigned lk = writer_enter(t);

	t->lost += n;
	writer_leave(t, lk);	/* writes LOST */
}

/* The lifecycle code's sections (process.c): a writer section like any
 * entry's, so that a handler arriving meanwhile is pended and flushed at
 * the end, never written into the middle of a header, single-threaded or
 * not. Sections do not nest. */
void mstat_log_lock(void)
{
	struct tstate *t = &tls;
	int c = cancel_off();	/* sections read /proc, open and trim files */

	t->section = (uint8_t)writer_enter(t);
	t->section_cancel = (uint8_t)c;
}

void mstat_log_unlock(void)
{
	struct tstate *t = &tls;
	int c = t->section_cancel;

	writer_leave(t, t->section);
	cancel_restore(c);
}

/* An event of a signal handler that interrupted this thread inside the
 * writer. */
static void nested_put(struct tstate *t, const char *p, size_t len)
{
	if (t->leaving) {
		if (mstat_log_on)
			sink_put(p, len);
	} else {
		pend(t, p, len);
	}
}

/* Entries formatted in place start with a NUL where the '+' goes: a reader
 * stops at the first NUL, so an entry becomes visible only when publish()
 * stores its first byte, after all the others. A process killed halfway
 * leaves no torn entry. */
#define ENTRY_HOLD '\0'

static inline void publish(char *start)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);	/* x86 keeps store order */
	start[0] = '+';
}

/* Entries are formatted straight into the mapped window when it has room,
 * else into the caller's stack buffer and copied. */
static inline char *entry_begin(char *stack, size_t max)
{
	if (MSTAT_LIKELY(W.kind == MSTAT_SINK_FILE && W.win_len - W.pos >= max))
		return W.win + W.pos;
	return stack;
}

static inline void entry_end(char *start, char *end, char *stack)
{
	if (start != stack) {
		publish(start);
		W.pos += (size_t)(end - start);
	} else {
		stack[0] = '+';
		sink_put(stack, (size_t)(end - stack));
	}
}

static void put_entry(const char *p, size_t len)
{
	struct tstate *t = &tls;
	unsigned lk;

	if (nested(t)) {
		nested_put(t, p, len);
		return;
	}
	lk = writer_enter(t);
	if (mstat_log_on) {
		int err = errno;

		tick();
		sink_put(p, len);
		errno = err;
	}
	writer_leave(t, lk);
}

static inline char *fmt_name(char *e, enum mstat_ev ev)
{
	*e++ = ENTRY_HOLD;
	*e++ = ' ';
	memcpy(e, ev_names[ev].name, sizeof(ev_names[ev].name));
	e += ev_names[ev].len;
	*e++ = ' ';
	return e;
}

static inline char *fmt_alloc_head(char *e, enum mstat_ev ev, const void *p, size_t req,
				   size_t usable)
{
	e = fmt_name(e, ev);
	e = mstat_fmt_u64(e, req);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)p);
	*e++ = ' ';
	return mstat_fmt_u64(e, usable);
}

static inline char *fmt_alloc(char *e, enum mstat_ev ev, const void *p, size_t req,
			      size_t usable)
{
	return fmt_end(fmt_alloc_head(e, ev, p, req, usable));
}

static inline char *fmt_free(char *e, enum mstat_ev ev, const void *p, size_t usable)
{
	e = fmt_name(e, ev);
	e = mstat_fmt_u64(e, usable);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)p);
	return fmt_end(e);
}

static inline char *fmt_realloc_head(char *e, const void *newp, size_t req, size_t usable,
				     const void *oldp, size_t old_usable)
{
	bool moved = newp != oldp;

	e = fmt_name(e, moved ? MSTAT_EV_REALLOC_REALLOC : MSTAT_EV_REALLOC_INPLACE);
	e = mstat_fmt_u64(e, req);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)newp);
	*e++ = ' ';
	e = mstat_fmt_u64(e, usable);
	*e++ = ' ';
	if (moved) {
		e = mstat_fmt_hex(e, (uintptr_t)oldp);
		*e++ = ' ';
	}
	return mstat_fmt_u64(e, old_usable);
}

static inline char *fmt_realloc(char *e, const void *newp, size_t req, size_t usable,
				const void *oldp, size_t old_usable)
{
	return fmt_end(fmt_realloc_head(e, newp, req, usable, oldp, old_usable));
}

/* Every entry point has one shape: FMT formats the entry into its first
 * argument; PFMT the entry pended by a signal handler that interrupted this
 * thread inside the writer (without a stack: the pend buffer is small);
 * MAX bounds the entry. EARLY: FMT may run before the lock is taken (with
 * threads, the lock is then held only for the copy); not for entries with
 * a stack, whose id table FMT changes. */
#define LOG_ENTRY(held, MAX, EARLY, FMT, PFMT, ...)                           \
	do {                                                                  \
		struct tstate *t_ = &tls;                                     \
		char stack_[MAX];                                             \
		unsigned lk_ = 0;                                             \
		if (!(held)) {                                                \
			if (MSTAT_UNLIKELY(nested(t_))) {                     \
				char *e_ = PFMT(stack_, __VA_ARGS__);         \
				stack_[0] = '+';                              \
				nested_put(t_, stack_, (size_t)(e_ - stack_)); \
				break;                                        \
			}                                                     \
			if (!__libc_single_threaded && (EARLY)) {             \
				/* Threads: format and read the clock before \
				 * the lock, hold it only for the copy. */    \
				char *e_ = FMT(stack_, __VA_ARGS__);          \
				uint64_t now_ = coarse_now();                 \
				stack_[0] = '+';                              \
				lk_ = writer_enter(t_);                       \
				if (MSTAT_LIKELY(mstat_log_on)) {             \
					tick_at(now_);                        \
					sink_put(stack_, (size_t)(e_ - stack_)); \
				}                                             \
				writer_leave(t_, lk_);                        \
				break;                                        \
			}                                                     \
			lk_ = writer_enter(t_);                               \
		}                                                             \
		if (MSTAT_LIKELY(mstat_log_on)) {                             \
			char *d_;                                             \
			tick();	/* before taking the destination: it writes too */ \
			d_ = entry_begin(stack_, MAX);                        \
			entry_end(d_, FMT(d_, __VA_ARGS__), stack_);          \
		}                                                             \
		if (!(held))                                                  \
			writer_leave(t_, lk_);                                \
	} while (0)

static inline char *fmt_mmap(char *e, const void *p, size_t len, int prot, int flags)
{
	*e++ = ENTRY_HOLD;
	e = mstat_fmt_str(e, " mmap ");
	e = mstat_fmt_u64(e, len);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)p);
	*e++ = ' ';
	e = mstat_fmt_u64(e, (uint64_t)(unsigned)prot);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uint64_t)(unsigned)flags);
	return fmt_end(e);
}

static inline char *fmt_munmap(char *e, const void *p, size_t len)
{
	*e++ = ENTRY_HOLD;
	e = mstat_fmt_str(e, " munmap ");
	e = mstat_fmt_u64(e, len);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)p);
	return fmt_end(e);
}

static inline char *fmt_mremap(char *e, const void *newp, size_t newlen, const void *oldp,
			       size_t oldlen)
{
	*e++ = ENTRY_HOLD;
	e = mstat_fmt_str(e, " mremap ");
	e = mstat_fmt_u64(e, newlen);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)newp);
	*e++ = ' ';
	e = mstat_fmt_hex(e, (uintptr_t)oldp);
	*e++ = ' ';
	e = mstat_fmt_u64(e, oldlen);
	return fmt_end(e);
}

void mstat_log_mmap(const void *p, size_t len, int prot, int flags)
{
	LOG_ENTRY(false, ENTRY_MAX, true, fmt_mmap, fmt_mmap, p, len, prot, flags);
}

void mstat_log_munmap(const void *p, size_t len, bool held)
{
	LOG_ENTRY(held, ENTRY_MAX, true, fmt_munmap, fmt_munmap, p, len);
}

void mstat_log_mremap(const void *newp, size_t newlen, const void *oldp, size_t oldlen,
		      bool held)
{
	LOG_ENTRY(held, ENTRY_MAX, true, fmt_mremap, fmt_mremap, newp, newlen, oldp, oldlen);
}

/* The text entries apart from the entry points: their frame (the entry's
 * buffer, six saved registers) is not paid by the summary's events. */
static __attribute__((noinline)) void text_alloc(enum mstat_ev ev, const void *p, size_t req,
						 size_t usable)
{
	LOG_ENTRY(false, ENTRY_MAX, true, fmt_alloc, fmt_alloc, ev, p, req, usable);
}

static __attribute__((noinline)) void text_free(enum mstat_ev ev, const void *p, size_t usable)
{
	LOG_ENTRY(false, ENTRY_MAX, true, fmt_free, fmt_free, ev, p, usable);
}

static __attribute__((noinline)) void text_realloc(const void *newp, size_t req, size_t usable,
						   const void *oldp, size_t old_usable,
						   unsigned *held)
{
	LOG_ENTRY(*held == MSTAT_HOLD_WRITER, ENTRY_MAX, true, fmt_realloc, fmt_realloc, newp, req, usable, oldp, old_usable);
}

void mstat_log_alloc(enum mstat_ev ev, const void *p, size_t req, size_t usable)
{
	if (SUM.mode)
		sum_event(p, req, usable, NULL, 0, false, 0, NULL);
	else
		text_alloc(ev, p, req, usable);
}

void mstat_log_free(enum mstat_ev ev, const void *p, size_t usable)
{
	if (SUM.mode)
		sum_event(NULL, 0, 0, p, usable, false, 0, NULL);
	else
		text_free(ev, p, usable);
}

void mstat_log_realloc(const void *newp, size_t req, size_t usable, const void *oldp,
		       size_t old_usable, unsigned *held)
{
	if (SUM.mode)
		sum_event(newp, req, usable, oldp, old_usable, newp == oldp, 0, held);
	else
		text_realloc(newp, req, usable, oldp, old_usable, held);
}

/* ---- call stacks ---- */

/* Stack ids: a stack's frames are written the first time it appears in
 * this file, later entries name its id. The table keeps a 64-bit hash of
 * the frames per id (a collision among a million distinct stacks has odds
 * of about 1 in 30 million). It starts at 64 KiB and grows fourfold at
 * half full: the lookup is a cache and TLB miss per stack, and a table
 * sized for the largest programs (16 MiB) cost cc1plus 5.6% of its time
 * in that one load. A fork child's new file starts an empty table. */
#define STAB_BITS_FIRST 12
#define STAB_BITS_MAX 22
#define STAB_PROBES 32
#define HUGE_PAGE (2u << 20)

struct stab_slot {
	uint64_t hash;		/* 0: empty */
	uint64_t id;
};

static struct stab_slot *stab;
static size_t stab_bits, stab_used, stab_map_len;
static void *stab_map;
static uint32_t stab_next_id = 1;

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdu;
	return h ^ (h >> 32);
}

/* Four independent lanes: one serial chain over 32 frames was a third of
 * the lookup's time. */
static uint64_t stack_hash(const uintptr_t *f, int n)
{
	uint64_t a = 0x9e3779b97f4a7c15u ^ (uint64_t)n, b = 0xc2b2ae3d27d4eb4fu,
		 c = 0x165667b19e3779f9u, d = 0x27d4eb2f165667c5u;
	int i = 0;

	for (; i + 4 <= n; i += 4) {
		a = mix(a, f[i]);
		b = mix(b, f[i + 1]);
		c = mix(c, f[i + 2]);
		d = mix(d, f[i + 3]);
	}
	for (; i < n; i++)
		a = mix(a, f[i]);
	a = mix(mix(mix(a, b), c), d);
	return a ? a : 1;
}

static struct stab_slot *stab_find(struct stab_slot *t, size_t bits, uint64_t h)
{
	size_t mask = ((size_t)1 << bits) - 1;

	for (size_t i = (size_t)h, k = 0; k < STAB_PROBES; i++, k++) {
		struct stab_slot *sl = &t[i & mask];

		if (!sl->hash || sl->hash == h)
			return sl;
	}
	return NULL;
}

static void stab_free(void)
{
	if (stab_map)
		mstat_sys_munmap(stab_map, stab_map_len);
	stab = NULL;
	stab_map = NULL;
	stab_bits = stab_used = stab_map_len = 0;
}

/* A table of 1 << bits slots with the old one's entries, or false (then
 * the old one stays). From 2 MiB on, aligned for transparent huge pages. */
static bool stab_grow(size_t bits)
{
	size_t len = sizeof(*stab) << bits, map_len = len;
	char *m;

	if (len >= HUGE_PAGE)
		map_len += HUGE_PAGE;
	m = mstat_sys_mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return false;
	struct stab_slot *t = (struct stab_slot *)m;

	if (len >= HUGE_PAGE) {
		t = (struct stab_slot *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
		(void)madvise(t, len, MADV_HUGEPAGE);
	}
	for (size_t i = 0; stab && i < ((size_t)1 << stab_bits); i++) {
		struct stab_slot *sl;

		if (!stab[i].hash)
			continue;
		sl = stab_find(t, bits, stab[i].hash);
		if (!sl) {
			mstat_sys_munmap(m, map_len);
			return false;
		}
		*sl = stab[i];
	}
	if (stab_map) {
		own_note();	/* both tables resident */
		mstat_sys_munmap(stab_map, stab_map_len);
	}
	stab = t;
	stab_bits = bits;
	stab_map = m;
	stab_map_len = map_len;
	return true;
}

/* Returns the id (0 when the table is full) and whether it is new. Caller
 * is in the writer. */
static uint32_t stack_id(const uintptr_t *f, int n, bool *fresh)
{
	uint64_t h = stack_hash(f, n);
	struct stab_slot *sl;

	*fresh = true;
	if (!stab && !stab_grow(STAB_BITS_FIRST))
		return 0;
	sl = stab_find(stab, stab_bits, h);
	if (sl && sl->hash) {
		*fresh = false;
		return (uint32_t)sl->id;
	}
	if ((!sl || stab_used >= ((size_t)1 << stab_bits) / 2) && stab_bits < STAB_BITS_MAX &&
	    stab_grow(stab_bits + 2))
		sl = stab_find(stab, stab_bits, h);
	if (!sl)
		return 0;
	sl->hash = h;
	sl->id = stab_next_id++;
	stab_used++;
	return (uint32_t)sl->id;
}

#define STACK_ENTRY_MAX (ENTRY_MAX + 24 + MSTAT_STACK_MAX * 19)

/* "\n@ ID", and the frames when the file has not had them yet. */
static char *fmt_stack_line(char *e, uint32_t id, const uintptr_t *f, int n, bool frames)
{
	*e++ = '\n';
	*e++ = '@';
	*e++ = ' ';
	e = mstat_fmt_u64(e, id);
	for (int i = 0; frames && i < n; i++) {
		*e++ = ' ';
		e = mstat_fmt_hex(e, f[i]);
	}
	return e;
}

static char *fmt_stack(char *e, const uintptr_t *f, int n)
{
	bool fresh;
	uint32_t id;

	if (n <= 0)
		return fmt_end(e);	/* no unwinder yet: no stack line */
	id = stack_id(f, n, &fresh);
	return fmt_end(fmt_stack_line(e, id, f, n, fresh));
}

static inline char *fmt_alloc_st(char *e, enum mstat_ev ev, const void *p, size_t req,
				 size_t usable, const uintptr_t *f, int n)
{
	return fmt_stack(fmt_alloc_head(e, ev, p, req, usable), f, n);
}

static inline char *fmt_alloc_nost(char *e, enum mstat_ev ev, const void *p, size_t req,
				   size_t usable, const uintptr_t *f, int n)
{
	return fmt_alloc(e, ev, p, req, usable);
}

static inline char *fmt_realloc_st(char *e, const void *newp, size_t req, size_t usable,
				   const void *oldp, size_t old_usable, const uintptr_t *f, int n)
{
	return fmt_stack(fmt_realloc_head(e, newp, req, usable, oldp, old_usable), f, n);
}

static inline char *fmt_realloc_nost(char *e, const void *newp, size_t req, size_t usable,
				     const void *oldp, size_t old_usable, const uintptr_t *f,
				     int n)
{
	return fmt_realloc(e, newp, req, usable, oldp, old_usable);
}

uint32_t mstat_log_site(const uintptr_t *frames, int n)
{
	struct tstate *t = &tls;
	char rec[STACK_ENTRY_MAX];
	uint32_t id = 0;
	bool fresh;
	unsigned lk;

	if (!SUM.mode || n <= 0 || nested(t) || t->in_sum)
		return 0;
	lk = writer_enter(t);
	if (mstat_log_on && SUM.body && (id = stack_id(frames, n, &fresh)) != 0) {
		if (fresh) {	/* its frames, before any row names it */
			char *e = fmt_control(rec, "SITE", id, 0);

			e = fmt_stack_line(e, id, frames, n, true);
			e = fmt_end(e);
			sink_put(rec, (size_t)(e - rec));
		}
		if (!sum_rows_room(id))
			id = 0;
	}
	writer_leave(t, lk);
	return id;
}

void mstat_log_alloc_stack(enum mstat_ev ev, const void *p, size_t req, size_t usable,
			   const uintptr_t *frames, int n, uint32_t site)
{
	if (SUM.mode) {
		sum_event(p, req, usable, NULL, 0, false, site, NULL);
		return;
	}
	LOG_ENTRY(false, STACK_ENTRY_MAX, false, fmt_alloc_st, fmt_alloc_nost, ev, p, req, usable,
		  frames, n);
}

void mstat_log_realloc_stack(const void *newp, size_t req, size_t usable, const void *oldp,
			     size_t old_usable, unsigned *held, const uintptr_t *frames, int n,
			     uint32_t site)
{
	if (SUM.mode) {
		sum_event(newp, req, usable, oldp, old_usable, newp == oldp, site, held);
		return;
	}
	LOG_ENTRY(*held == MSTAT_HOLD_WRITER, STACK_ENTRY_MAX, false, fmt_realloc_st, fmt_realloc_nost, newp, req, usable,
		  oldp, old_usable, frames, n);
}

void mstat_log_stacks_forget(void)
{
	stab_free();
	stab_next_id = 1;
}

unsigned mstat_log_hold_realloc(const void *old)
{
	struct tstate *t = &tls;

	if (SUM.mode && mstat_log_on && !__libc_single_threaded && !nested(t) && !t->in_sum &&
	    SUM.body && sum_hold(old))
		return MSTAT_HOLD_SHARD;
	return mstat_log_hold() ? MSTAT_HOLD_WRITER : MSTAT_HOLD_NONE;
}

void mstat_log_unhold_realloc(unsigned held, const void *old)
{
	if (held == MSTAT_HOLD_SHARD)	/* no event took it (the realloc failed) */
		sum_unhold(old);
	else if (held == MSTAT_HOLD_WRITER)
		mstat_log_unhold(true);
}

bool mstat_log_hold(void)
{
	struct tstate *t = &tls;

	if (!mstat_log_on || __libc_single_threaded || nested(t) || t->in_sum)
		return false;
	writer_enter(t);	/* threaded and not nested: locks, depth 0 -> 1 */
	return true;
}

void mstat_log_unhold(bool held)
{
	struct tstate *t = &tls;
	int err;

	if (!held)
		return;
	err = errno;
	writer_leave(t, 1);	/* as writer_enter() returned in hold */
	errno = err;
}

void mstat_log_put_locked(const char *text, size_t len)
{
	if (mstat_log_on)
		sink_put(text, len);
}

void mstat_log_control2(const char *type, uint64_t a, uint64_t b, const char *tail,
			const char *tail2)
{
	char rec[ENTRY_MAX + 2 * PATH_MAX];
	char *e = fmt_control(rec, type, a, b);

	for (const char *t = tail; t; t = t == tail ? tail2 : NULL) {
		size_t n = strnlen(t, PATH_MAX);

		*e++ = ' ';
		for (size_t i = 0; i < n; i++)	/* one line, whatever the path */
			*e++ = t[i] == '\n' ? ' ' : t[i];
	}
	e = fmt_end(e);
	put_entry(rec, (size_t)(e - rec));
}

void mstat_log_control(const char *type, uint64_t a, uint64_t b, const char *tail)
{
	mstat_log_control2(type, a, b, tail, NULL);
}

void mstat_log_rss(uint64_t resident, uint64_t shared)
{
	char tail[24];

	*mstat_fmt_u64(tail, shared) = '\0';
	/* The entry's own TIME must not read /proc again. */
	__atomic_store_n(&W.last_rss, coarse_now(), __ATOMIC_RELAXED);
	mstat_log_control("RSS", resident, 0, tail);
}

int mstat_log_open_file(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	W.path = path;
	W.kind = MSTAT_SINK_FILE;
	W.fd = fd;
	W.fd_checked = true;
	W.dev = st.st_dev;
	W.ino = st.st_ino;
	W.direct = false;
	W.win = NULL;
	W.win_off = 0;
	W.win_len = 0;
	W.pos = 0;
	W.file_len = (uint64_t)st.st_size;
	W.failed = false;
	W.last_tick = 0;
	/* Summary: the body first, while fd is the caller's. */
	if (SUM.mode)
		(void)sum_open();
	/* No room for a window (a nearly full disk): the header still goes
	 * through pwrite so that the process shows in the tree, and the
	 * caller's mstat_log_remap_locked() tries the window once more. */
	if (file_next_window() < 0) {
		W.direct = true;
		W.win = NULL;
		W.win_off = 0;
		W.pos = 0;
		W.win_len = 0;
	}
	/* No RSS sample before the process has lived MSTAT_RSS_EVERY_NS: most
	 * processes of a build are shorter, and FINI has their maxrss. */
	W.last_rss = coarse_now();
	update_on();
	return 0;
}

void mstat_log_open_stream(int fd, bool buffered, bool owned)
{
	struct stat st;

	if (W.kind == MSTAT_SINK_STREAM)
		stream_flush();
	W.kind = MSTAT_SINK_STREAM;
	W.fd = fd;
	W.buffered = buffered;
	W.owned = owned;
	W.blen = 0;
	W.failed = false;
	W.last_tick = 0;
	if (owned && fstat(fd, &st) == 0) {
		W.dev = st.st_dev;
		W.ino = st.st_ino;
	}
	update_on();
}

void mstat_log_close(void)
{
	if (W.kind == MSTAT_SINK_FILE) {
		mstat_log_seal_locked();
		win_unmap(false);
		sum_forget(false);
		/* The number may be the program's now (see file_fd_check). */
		if (fd_is_ours(W.fd))
			close(W.fd);
	} else if (W.kind == MSTAT_SINK_STREAM) {
		stream_flush();
		if (W.owned && fd_is_ours(W.fd))
			close(W.fd);
	}
	W.fd = -1;
	W.kind = MSTAT_SINK_NONE;
	update_on();
}

enum mstat_sink_kind mstat_log_sink(void)
{
	return W.kind;
}

uint64_t mstat_log_offset(void)
{
	return W.kind == MSTAT_SINK_FILE ? W.win_off + W.pos : 0;
}

void mstat_log_set_pid(pid_t pid)
{
	char *e = mstat_fmt_str(W.pidline, "# PID ");

	e = mstat_fmt_u64(e, (uint64_t)pid);
	*e++ = '\n';
	W.pidline_len = (size_t)(e - W.pidline);
}

void mstat_log_seal_locked(void)
{
	if (W.kind == MSTAT_SINK_STREAM) {
		stream_flush();
		return;
	}
	if (W.kind != MSTAT_SINK_FILE || W.direct || W.failed)
		return;
	uint64_t end = W.win_off + W.pos;

	/* Sealing comes before exec and at exit, which unmap it anyway: the
	 * window stays mapped, unused (the trim below cuts its tail off). */
	W.stale = W.win;
	W.stale_len = W.win_len;
	W.stale_off = W.win_off;
	W.win = NULL;
	W.win_len = 0;
	W.win_off = end;
	W.pos = 0;
	W.direct = true;
	if (sum_has_body())
		sum_compact(end);
	else
		file_cut(end);
}

void mstat_log_remap_locked(void)
{
	int r;

	if (W.kind == MSTAT_SINK_FILE && W.direct && !W.failed && (r = file_next_window()) < 0)
		log_fail(-r);
}

void mstat_log_forget_in_child(void)
{
	struct tstate *t = &tls;
	/* The fork handlers hold no lock across the fork: a thread of the
	 * parent (or a signal handler's fork, this one) may have been in the
	 * writer, its window fields half changed. The child then leaves every
	 * mapping as it is: unmapping a stale address could take the
	 * program's memory. */
	bool torn = W.lock != 0 || t->depth != 0;

	/* The parent's highest figures are not the child's. */
	own_hwm = program_max = 0;
	W.lock = 0;
	t->tid = 0;	/* a new thread id in the child */
	t->depth = 0;
	t->flushing = 0;
	t->leaving = 0;
	t->pend_len = 0;
	t->vfork_pid = 0;
	t->lost = 0;
	t->in_sum = 0;
	if (W.kind == MSTAT_SINK_FILE) {
		/* The descriptor (and a window madvise could not keep out)
		 * are copies; closing them leaves the parent's file alone. */
		if (!torn)
			win_unmap(true);
		sum_forget(true);
		W.win = W.stale = NULL;
		W.win_len = W.stale_len = 0;
		/* Only if still our log: the program may have dup2'ed its own
		 * file onto the number, which the child must keep. */
		if (fd_is_ours(W.fd))
			close(W.fd);
		W.fd = -1;
		W.kind = MSTAT_SINK_NONE;
	} else if (W.kind == MSTAT_SINK_STREAM) {
		W.blen = 0;	/* the parent flushed before forking */
	}
	W.last_tick = 0;
	update_on();
}

unsigned mstat_log_vfork_pend(int pid, const char *p, size_t len)
{
	struct tstate *t = &tls;
	unsigned mark = t->pend_len;

	/* The same child again: a PATH search (execvp, posix_spawnp, Python's
	 * _posixsubprocess) execs once per directory, and one entry per try
	 * would tell of children that never were and overflow the buffer.
	 * The parent is stopped meanwhile, so its entry is still pended. */
	if (t->vfork_pid == pid && t->vfork_mark <= t->pend_len)
		mark = t->vfork_mark;
	t->pend_len = (uint16_t)mark;
	pend(t, p, len);
	if (t->pend_len <= mark) {
		t->vfork_pid = 0;
		return UINT_MAX;
	}
	t->vfork_pid = pid;
	t->vfork_mark = (uint16_t)mark;
	return mark;
}

void mstat_log_vfork_redo(unsigned mark, const char *p, size_t len)
{
	struct tstate *t = &tls;

	if (mark == UINT_MAX || mark > t->pend_len)
		return;	/* it did not fit: counted as lost already */
	t->pend_len = (uint16_t)mark;
	pend(t, p, len);
}

bool mstat_log_nested(void)
{
	return nested(&tls);
}

void mstat_log_enable(bool on)
{
	W.enabled = on;
	update_on();
}

bool mstat_log_enabled(void)
{
	return W.enabled;
}

/* ---- the preload's own resident pages ---- */

/* The segments of this object and of the unwinder: their pages are ours,
 * not the program's. Code pages count when the page cache has them
 * (mincore), a page or two more than the program maps of them. */
#define OWN_SEGS 16
static struct {
	uintptr_t lo, len;
	bool file;	/* not writable: file-backed pages */
} own_seg[OWN_SEGS];
static unsigned own_nseg;

static int own_find(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	const char *base = strrchr(name, '/');
	bool mine = false;

	(void)size;
	base = base ? base + 1 : name;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz)
			mine = true;
	}
	if (!mine && strncmp(base, "libunwind.so", 12) != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && own_nseg < OWN_SEGS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		bool file = !(ph->p_flags & PF_W);

		if (ph->p_type != PT_LOAD)
			continue;
		/* The read-only segments follow each other page to page: one
		 * mincore for them all (it fails on a range with a hole, so
		 * only where the pages meet). */
		if (own_nseg && own_seg[own_nseg - 1].file == file) {
			uintptr_t *plen = &own_seg[own_nseg - 1].len, plo = own_seg[own_nseg - 1].lo;
			uintptr_t pend = (plo + *plen + PAGE_SIZE_ - 1) & ~(uintptr_t)(PAGE_SIZE_ - 1);

			if ((lo & ~(uintptr_t)(PAGE_SIZE_ - 1)) == pend) {
				*plen = lo + ph->p_memsz - plo;
				continue;
			}
		}
		own_seg[own_nseg++] = (typeof(own_seg[0])){ lo, ph->p_memsz, file };
	}
	return 0;
}

void mstat_log_own_init(void)
{
	own_nseg = 0;
	dl_iterate_phdr(own_find, (void *)(uintptr_t)mstat_log_own_init);
}

/* The segments' resident bytes at the last reading: [0] writable, [1]
 * file-backed; own_seg_read once there was one. Relaxed: read and
 * written by several threads. */
static uint64_t own_seg_res[2];
static bool own_seg_read;

/* fresh: the segments read again (mincore, at a sample and at FINI); else
 * their figures of the last reading, for the notes at a window's switch
 * and a table's growth, whose change is in the part known by size. */
static uint64_t own_resident(bool fresh, uint64_t *file_backed)
{
	uint64_t anon = 0, file = 0;

	/* mincore for the segments only (two calls); the tables by their
	 * size: a body of a million blocks is 25,000 pages, and this runs at
	 * every RSS sample, with the world stopped. A hashed table's pages
	 * are all touched once it has as many entries as pages. */
	if (fresh || !__atomic_load_n(&own_seg_read, __ATOMIC_RELAXED)) {
		for (unsigned i = 0; i < own_nseg; i++)
			*(own_seg[i].file ? &file : &anon) +=
				mstat_resident_in((const void *)own_seg[i].lo, own_seg[i].len);
		__atomic_store_n(&own_seg_res[0], anon, __ATOMIC_RELAXED);
		__atomic_store_n(&own_seg_res[1], file, __ATOMIC_RELAXED);
		__atomic_store_n(&own_seg_read, true, __ATOMIC_RELAXED);
	} else {
		anon = __atomic_load_n(&own_seg_res[0], __ATOMIC_RELAXED);
		file = __atomic_load_n(&own_seg_res[1], __ATOMIC_RELAXED);
	}
	if (stab_map) {
		uint64_t t = ((uint64_t)stab_used + 1) * PAGE_SIZE_;

		anon += t < stab_map_len ? t : stab_map_len;
	}
	if (W.kind == MSTAT_SINK_FILE) {
		/* A window's pages are the program's to map only once written
		 * (the zeros that reserved the rest are in the page cache, not
		 * in the process): up to its next entry. */
		if (W.win)
			file += ((uint64_t)W.pos + PAGE_SIZE_ - 1) / PAGE_SIZE_ * PAGE_SIZE_;
		if (W.stale)
			file += W.stale_len;	/* written to its end */
		if (SUM.body)
			file += sum_lead(SUM.off) + SUM.len - (SUM.released < SUM.len ? SUM.released : 0);
	}
	if (file_backed)
		*file_backed = file;
	return anon + file;
}

uint64_t mstat_log_own_resident(uint64_t *file_backed)
{
	return own_resident(true, file_backed);
}

/* own_hwm and program_max (declared above): the highest own resident
 * bytes seen (at samples, at each growth of a table, when old and new
 * are both resident, and at a window's switch), and the program's highest
 * sample: what FINI's peak resident size can be told apart by. Raised
 * from several threads (the writer's, a timeline lock's), relaxed. */
static void raise_to(uint64_t *v, uint64_t x)
{
	uint64_t old = __atomic_load_n(v, __ATOMIC_RELAXED);

	while (x > old && !__atomic_compare_exchange_n(v, &old, x, true, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static void own_note(void)
{
	raise_to(&own_hwm, own_resident(false, NULL));
}

int mstat_statm_program(uint64_t *resident, uint64_t *shared)
{
	uint64_t file, own;
	int r = mstat_statm(resident, shared);

	if (r < 0)
		return r;
	own = mstat_log_own_resident(&file);
	raise_to(&own_hwm, own);
	*resident = *resident > own ? *resident - own : 0;
	*shared = *shared > file ? *shared - file : 0;
	raise_to(&program_max, *resident);
	return 0;
}

uint64_t mstat_log_program_peak(uint64_t maxrss)
{
	uint64_t hwm, top, v;

	raise_to(&own_hwm, mstat_log_own_resident(NULL));
	hwm = __atomic_load_n(&own_hwm, __ATOMIC_RELAXED);
	top = __atomic_load_n(&program_max, __ATOMIC_RELAXED);
	/* Neither term exceeds the program's own peak: at the kernel's peak
	 * the preload held at most own_hwm; a sample is the program's. */
	v = maxrss > hwm ? maxrss - hwm : 0;
	return v > top ? v : top;
}
