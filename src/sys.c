/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * System helpers for the preload; see sys.h. Plain syscalls only: this code
 * runs inside malloc, in fork children and before libc has set environ.
 */
#include "sys.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"

const char mstat_dec_pairs[200] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/* write (off < 0) or pwrite, looping on EINTR and short writes. */
static int io_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

/*
 * Our writes to streams (fd 1022, a descriptor set through the API,
 * stderr) must not raise the program's signals: a pipe whose reader left
 * sends SIGPIPE, a file past RLIMIT_FSIZE SIGXFSZ, and either kills a
 * program that would have run to its end untraced. Both are blocked
 * around the write, and one that the write raised (not pending before) is
 * taken off again before the mask comes back.
 */
int mstat_write_all(int fd, const void *buf, size_t len)
{
	static const int sigs[] = { SIGPIPE, SIGXFSZ };
	sigset_t block, old, before;
	int r;

	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	sigaddset(&block, SIGXFSZ);
	if (pthread_sigmask(SIG_BLOCK, &block, &old) != 0)
		return io_all(fd, buf, len, -1);
	sigpending(&before);
	r = io_all(fd, buf, len, -1);
	if (r == -EPIPE || r == -EFBIG) {
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			sigset_t one;
			struct timespec now = { 0, 0 };

			if (sigismember(&before, sigs[i]))
				continue;	/* the program's, left pending */
			sigemptyset(&one);
			sigaddset(&one, sigs[i]);
			while (sigtimedwait(&one, NULL, &now) < 0 && errno == EINTR)
				;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int mstat_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : io_all(fd, buf, len, off);
}

ssize_t mstat_read_small(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd;

	if (cap == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < cap - 1) {
		size_t want = cap - 1 - len;
		ssize_t n = read(fd, buf + len, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		/* procfs hands a small file over in one read: a short read is
		 * its end, without a second read to see 0. */
		if ((size_t)n < want)
			break;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

int mstat_proc_stat(pid_t pid, uint64_t *start, pid_t *ppid, uint64_t *threads)
{
	char path[64] = "/proc/";
	char buf[1024];
	char *p;
	int field;
	uint64_t v_ppid = 0, v_start = 0, v_threads = 0;

	if (pid)
		*mstat_fmt_u64(path + 6, (uint64_t)pid) = '\0';
	else
		strcpy(path + 6, "self");
	strcat(path, "/stat");
	if (mstat_read_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	/* The command name in field 2 may hold spaces and parentheses: the
	 * fields that follow start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (field = 3; *p && field <= 22; field++) {
		uint64_t v = 0;

		while (*p == ' ')
			p++;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
		while (*p && *p != ' ')
			p++;
		if (field == 4)
			v_ppid = v;
		else if (field == 20)
			v_threads = v;
		else if (field == 22)
			v_start = v;
	}
	if (field <= 22)
		return -EINVAL;
	if (start)
		*start = v_start;
	if (ppid)
		*ppid = (pid_t)v_ppid;
	if (threads)
		*threads = v_threads;
	return 0;
}

const char *mstat_getenv(const char *name, char *buf, size_t cap)
{
	extern char **environ;
	size_t nlen = strlen(name);
	ssize_t len;
	char *p, *end;

	if (environ) {
		for (char **e = environ; *e; e++)
			if (!strncmp(*e, name, nlen) && (*e)[nlen] == '=')
				return *e + nlen + 1;
		return NULL;
	}
	len = mstat_read_small("/proc/self/environ", buf, cap);
	if (len <= 0)
		return NULL;
	for (p = buf, end = buf + len; p < end; p += strlen(p) + 1)
		if (!strncmp(p, name, nlen) && p[nlen] == '=')
			return p + nlen + 1;
	return NULL;
}

/* A copy of fd high enough to stay out of the way of programs that use
 * low numbers; below a soft limit under 900 (EINVAL), a lower floor. With
 * threads, within the descriptor table a process starts with (64):
 * growing a shared table waits for an RCU grace period, which took
 * 12.8 ms in a fork child whose threads allocated meanwhile. */
static int fd_dup_out(int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, __libc_single_threaded ? 900 : 48);

	if (nfd < 0)
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	return nfd;
}

int mstat_fd_move(int fd)
{
	int nfd = fd_dup_out(fd);

	if (nfd < 0)
		return fd;
	syscall(SYS_close, fd);	/* not a cancellation point */
	return nfd;
}

int mstat_fd_high(int fd)
{
	int nfd = fd_dup_out(fd);

	if (nfd < 0)
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0) {
		nfd = -errno;
		close(fd);	/* no descriptor of ours left in the program's range */
		return nfd;
	}
	close(fd);
	return nfd;
}

/* The vDSO's clock_gettime, called directly: a preload that replaces
 * clock_gettime (libfaketime) restarts its clock in every new image, and a
 * trace must see real time to order images and draw heap over time. Found
 * in the vDSO's own symbol table: no lock, no allocation, so it works from
 * inside malloc at any time. */
static void *vdso_sym(const char *name)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) *ph;
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *sym = NULL;
	const Elf_Symndx *hash = NULL;
	const char *str = NULL;
	uintptr_t base = 0;
	bool have_base = false;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	ph = (const void *)((const char *)eh + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_base) {
			base = (uintptr_t)eh + ph[i].p_offset - ph[i].p_vaddr;
			have_base = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const void *)((const char *)eh + ph[i].p_offset);
		}
	}
	if (!have_base || !dyn)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			sym = (const void *)(base + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			str = (const void *)(base + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const void *)(base + dyn->d_un.d_ptr);
	}
	if (!sym || !str || !hash)
		return NULL;
	for (Elf_Symndx i = 0; i < hash[1]; i++)	/* nchain: every symbol */
		if (sym[i].st_shndx != SHN_UNDEF && ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC &&
		    !strcmp(str + sym[i].st_name, name))
			return (void *)(base + sym[i].st_value);
	return NULL;
}

int (*mstat_vdso_clock)(clockid_t, struct timespec *);

void mstat_clock_resolve(void)
{
	__atomic_store_n(&mstat_vdso_clock, (int (*)(clockid_t, struct timespec *))
			 vdso_sym("__vdso_clock_gettime"), __ATOMIC_RELAXED);
}

uint64_t mstat_clock_ns(int clock)
{
	struct timespec ts;

	mstat_clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *mstat_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	return r == -1 ? MAP_FAILED : (void *)r;
}

int mstat_sys_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

uint64_t mstat_resident_in(const void *addr, size_t len)
{
	unsigned char vec[512];	/* 2 MiB a call: this may run on a small stack */
	uintptr_t a = (uintptr_t)addr & ~(uintptr_t)4095, end = (uintptr_t)addr + len;
	uint64_t n = 0;

	while (addr && a < end) {
		size_t pages = (end - a + 4095) / 4096;

		if (pages > sizeof(vec))
			pages = sizeof(vec);
		if (syscall(SYS_mincore, a, pages * 4096, vec) != 0)
			break;
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
		a += pages * 4096;
	}
	return n * 4096;
}

int mstat_statm(uint64_t *resident, uint64_t *shared)
{
	char buf[128];
	uint64_t v[3] = { 0, 0, 0 };
	const char *p = buf;

	if (mstat_read_small("/proc/self/statm", buf, sizeof(buf)) <= 0)
		return -EIO;
	for (int i = 0; i < 3; i++) {
		while (*p == ' ')
			p++;
		while (*p >= '0' && *p <= '9')
			v[i] = v[i] * 10 + (uint64_t)(*p++ - '0');
	}
	*resident = v[1] * 4096;
	*shared = v[2] * 4096;
	return 0;
}
