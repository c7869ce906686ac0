// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Makes processes in every way the per-process log must follow: fork (and
 * from a thread while others allocate), _Fork and raw clone, vfork,
 * posix_spawn, system, popen, a double-forking daemon, exec of a missing
 * file, chdir, closing or replacing every descriptor. test-procs.py runs
 * one mode and checks the logs. Usage: prog-procs MODE PROG-CHILD [N]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

static const char *child;
static void *live[64];
static int nlive;

/* n blocks, every other one freed again; the rest stay live. */
static void alloc_some(int n)
{
	for (int i = 0; i < n; i++) {
		void *p = malloc(24 + 8 * (size_t)i);

		CHECK(p != NULL);
		if (i % 2 || nlive == 64)
			free(p);
		else
			live[nlive++] = p;
	}
}

static void wait_status(pid_t pid, int want)
{
	int st;

	CHECK(pid > 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), want);
}

static void mode_fork(void)
{
	pid_t pid;

	alloc_some(20);
	/* A child that frees an inherited block and leaves through exit. */
	pid = fork();
	if (pid == 0) {
		alloc_some(5);
		free(live[0]);
		exit(0);
	}
	wait_status(pid, 0);
	/* One that leaves through _exit, one that never allocates. */
	pid = fork();
	if (pid == 0) {
		alloc_some(3);
		_exit(0);
	}
	wait_status(pid, 0);
	pid = fork();
	if (pid == 0)
		_exit(0);
	wait_status(pid, 0);
	alloc_some(2);
}

static void mode_fork_exec(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		alloc_some(2);
		execl(child, child, "fork-exec-1", (char *)NULL);
		_exit(127);
	}
	wait_status(pid, 0);
	/* No allocation between fork and exec: the exec'd image links to
	 * us through its parent pid. */
	pid = fork();
	if (pid == 0) {
		execl(child, child, "fork-exec-2", (char *)NULL);
		_exit(127);
	}
	wait_status(pid, 0);
}

static void mode_spawn(void)
{
	char *args[] = { (char *)child, "spawn", NULL };
	char *argsp[] = { (char *)child, "spawnp", NULL };
	char line[256];
	pid_t pid;
	FILE *f;

	alloc_some(4);
	CHECK(posix_spawn(&pid, child, NULL, NULL, args, environ) == 0);
	wait_status(pid, 0);
	CHECK(posix_spawnp(&pid, child, NULL, NULL, argsp, environ) == 0);
	wait_status(pid, 0);
	snprintf(line, sizeof(line), "%s system", child);
	CHECK_EQ(system(line), 0);
	snprintf(line, sizeof(line), "%s popen", child);
	f = popen(line, "r");
	CHECK(f != NULL);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(!strcmp(line, "child popen\n"));
	CHECK_EQ(pclose(f), 0);
}

static void mode_daemon(void)
{
	int fds[2];
	char buf[16];
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		alloc_some(2);
		CHECK(setsid() > 0);
		if (fork() > 0)
			_exit(0);
		/* The daemon: keeps only the pipe, works from /. */
		close(fds[0]);
		CHECK(dup2(fds[1], 0) == 0);
		closefrom(1);
		CHECK(chdir("/") == 0);
		alloc_some(6);
		CHECK(write(0, "ok", 2) == 2);
		exit(0);
	}
	close(fds[1]);
	wait_status(pid, 0);
	/* EOF: the daemon has exited, after its FINI. */
	CHECK(read(fds[0], buf, sizeof(buf)) == 2);
	CHECK(read(fds[0], buf, sizeof(buf)) == 0);
	alloc_some(1);
}

static void mode_exec_missing(void)
{
	alloc_some(3);
	errno = 0;
	CHECK(execl("/nonexistent/mstat-prog", "x", (char *)NULL) == -1);
	CHECK_EQ(errno, ENOENT);
	CHECK(execlp("mstat-no-such-command", "x", (char *)NULL) == -1);
	CHECK_EQ(errno, ENOENT);
	alloc_some(3);
}

static void mode_vfork(void)
{
	pid_t pid;

	alloc_some(2);
	pid = vfork();
	if (pid == 0) {
		execl(child, child, "vfork", (char *)NULL);
		_exit(127);
	}
	wait_status(pid, 0);
	pid = vfork();
	if (pid == 0) {
		execl("/nonexistent/mstat-prog", "x", (char *)NULL);
		_exit(126);
	}
	wait_status(pid, 126);
	alloc_some(2);
}

static void mode_clone(void)
{
	pid_t pid;

	alloc_some(4);
	pid = _Fork();
	if (pid == 0) {
		alloc_some(3);
		free(live[0]);
		_exit(0);
	}
	wait_status(pid, 0);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		alloc_some(3);
		free(live[1]);
		_exit(0);
	}
	wait_status(pid, 0);
	alloc_some(2);
}

static void mode_chdir(void)
{
	pid_t pid;

	alloc_some(2);
	pid = fork();
	if (pid == 0) {
		CHECK(chdir("sub") == 0);
		alloc_some(2);
		execl(child, child, "chdir", (char *)NULL);
		_exit(127);
	}
	wait_status(pid, 0);
	CHECK(chdir("sub") == 0);
	pid = fork();
	if (pid == 0) {
		alloc_some(1);
		_exit(0);
	}
	wait_status(pid, 0);
	alloc_some(1);
}

/* The descriptor whose target starts with the log prefix, or -1. */
static int find_log_fd(const char *prefix)
{
	char path[64], target[PATH_MAX];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	CHECK(d != NULL);
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strncmp(target, prefix, strlen(prefix)) && atoi(e->d_name) != dirfd(d))
			found = atoi(e->d_name);
	}
	closedir(d);
	return found;
}

/* Many log entries, enough to move the log's window on. */
static void churn(int n)
{
	for (int i = 0; i < n; i++)
		free(malloc(16 + (size_t)i % 200));
}

/* The program's own file on every number the log could take when it opens
 * its file again for a new window (900 and up, as high as the limit). */
static void own_file_on_high_numbers(int fd)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (int n = 900; n < 1024 && (rlim_t)n < rl.rlim_cur; n++)
		CHECK(dup2(fd, n) == n);
}

static void mode_closefd(void)
{
	const char *prefix = getenv("MALLOC_STAT_PREFIX");
	int fd;
	pid_t pid;

	CHECK(prefix != NULL && prefix[0] == '/');
	alloc_some(10);
	/* Between windows the log holds no descriptor: the program sees
	 * only its own. */
	CHECK_EQ(find_log_fd(prefix), -1);
	closefrom(3);
	churn(5000);
	fd = open("own-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(fd, 3);
	CHECK(write(fd, "own data 1\n", 11) == 11);
	own_file_on_high_numbers(fd);
	churn(5000);
	CHECK_EQ(find_log_fd(prefix), -1);
	CHECK(write(fd, "own data 2\n", 11) == 11);
	close_range(3, ~0u, 0);
	/* fork leaves errno alone on both sides. */
	errno = EDOM;
	pid = fork();
	CHECK_EQ(errno, EDOM);
	if (pid == 0) {
		churn(3000);
		_exit(0);
	}
	wait_status(pid, 0);
	churn(3000);
}

/* The path of this process's log, from its directory. */
static void find_log_path(const char *prefix, char *path, size_t size)
{
	char dir[PATH_MAX], want[64];
	const char *base = strrchr(prefix, '/') + 1;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - prefix - 1), prefix);
	snprintf(want, sizeof(want), "%s.%d.", base, (int)getpid());
	d = opendir(dir);
	CHECK(d != NULL);
	path[0] = '\0';
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, want, strlen(want)))
			snprintf(path, size, "%s/%s", dir, e->d_name);
	closedir(d);
	CHECK(path[0] != '\0');
}

/* The log renamed away and the program's own file created under the log's
 * name: the preload can neither find its log nor keep writing, and must
 * leave the program's file alone when it gives up. */
static void mode_logmoved(void)
{
	const char *prefix = getenv("MALLOC_STAT_PREFIX");
	char path[PATH_MAX], moved[PATH_MAX + 8];
	int fd;

	CHECK(prefix != NULL && prefix[0] == '/');
	alloc_some(10);
	find_log_path(prefix, path, sizeof(path));
	snprintf(moved, sizeof(moved), "%s.moved", path);
	CHECK(rename(path, moved) == 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "own data 1\n", 11) == 11);
	churn(20000);
	CHECK(write(fd, "own data 2\n", 11) == 11);
	CHECK(close(fd) == 0);
	CHECK(symlink(path, "own-file") == 0);
}

/* The program's own file on the numbers the log would take, then a fork:
 * the child keeps the program's descriptors (it writes through one), and
 * both processes log in full. */
static void mode_dup2fork(void)
{
	int fd;
	pid_t pid;

	alloc_some(10);
	fd = open("own-file", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	CHECK(fd >= 0);
	own_file_on_high_numbers(fd);
	CHECK(close(fd) == 0);
	pid = fork();
	if (pid == 0) {
		churn(100);
		CHECK(write(900, "child\n", 6) == 6);
		_exit(0);
	}
	wait_status(pid, 0);
	churn(20000);
	CHECK(write(900, "parent\n", 7) == 7);
}

static void *cancel_worker(void *arg)
{
	(void)arg;
	for (unsigned i = 0;; i++) {
		free(malloc(16 + i % 512));
		if (i % 16384 == 0)
			pthread_testcancel();
	}
	return NULL;
}

/* Threads cancelled while they allocate (deferred cancellation): the
 * logger's own system calls are cancellation points, and a thread
 * cancelled inside the logger would hold its lock for ever. */
static void mode_cancel(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;

		CHECK(pthread_create(&t, NULL, cancel_worker, NULL) == 0);
		usleep(500 + (unsigned)(i % 4) * 500);
		CHECK(pthread_cancel(t) == 0);
		CHECK(pthread_join(t, NULL) == 0);
		churn(100);
	}
}

/* Our private copy of the fd 1022 stream: the descriptor, other than 1022,
 * open on the same file. */
static int find_stream_fd(void)
{
	struct stat want, st;
	int found = -1;

	CHECK(fstat(1022, &want) == 0);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != 1022 && fstat(fd, &st) == 0 && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino)
			found = fd;
	return found;
}

/* The stream's private descriptor taken over by the program's own file in
 * a fork child, whose first entry is a header longer than a batch (a long
 * command line): nothing of ours may land in the program's file. */
static void mode_streamdup2(void)
{
	int fd, sfd;
	pid_t pid;

	alloc_some(10);
	sfd = find_stream_fd();
	CHECK(sfd > 2);
	pid = fork();
	if (pid == 0) {
		fd = open("own-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0);
		CHECK(dup2(fd, sfd) == sfd);
		churn(100);
		CHECK(write(sfd, "child\n", 6) == 6);
		_exit(0);
	}
	wait_status(pid, 0);
}

static int stop;

static void *allocator(void *arg)
{
	for (unsigned i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
		void *p = malloc(32 + (size_t)arg);

		free(realloc(p, 64 + (size_t)arg));
		if (i % 16 == 0)
			usleep(20);	/* bursts: a log of a sane size */
	}
	return NULL;
}

static void *forker(void *arg)
{
	int n = (int)(long)arg;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			alloc_some(3);
			if (i % 2)
				exit(0);
			_exit(0);
		}
		wait_status(pid, 0);
	}
	return NULL;
}

/* Forks from a thread while two other threads allocate. */
static void mode_fork_threads(int n)
{
	pthread_t th[3];

	for (long i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, allocator, (void *)(i * 100)) == 0);
	CHECK(pthread_create(&th[2], NULL, forker, (void *)(long)n) == 0);
	CHECK(pthread_join(th[2], NULL) == 0);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
}

static void *pairs(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		free(malloc(100));
	return NULL;
}

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* A fork child of a process with threads starts a thread before its
 * first allocation (glibc gives it a dead thread's cached stack: no
 * allocation), then both threads make n malloc/free pairs: the first
 * event of one sets the log up while the other allocates. */
static void mode_threaded_child(int n)
{
	pthread_t t0, t;
	pid_t pid;

	CHECK(pthread_create(&t0, NULL, idle, NULL) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(pthread_create(&t, NULL, pairs, (void *)(long)n) == 0);
		pairs((void *)(long)n);
		CHECK(pthread_join(t, NULL) == 0);
		_exit(0);
	}
	wait_status(pid, 0);
}

static void *nop(void *arg)
{
	return arg;
}

static int started;

static void *started_pairs(void *arg)
{
	__atomic_store_n(&started, 1, __ATOMIC_RELEASE);
	return pairs(arg);
}

/* n fork children of a process that has had a thread; each starts a
 * thread that allocates at once (its first event sets the child's log
 * up) and forks 0-190 us later, often in the middle of that set-up; the
 * grandchild allocates and exits. */
static void mode_fork_in_setup(int n)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, nop, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	for (int k = 0; k < n; k++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			struct timespec a, b;
			pid_t g;

			started = 0;
			CHECK(pthread_create(&t, NULL, started_pairs, (void *)2000L) == 0);
			while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
				;
			clock_gettime(CLOCK_MONOTONIC, &a);
			do
				clock_gettime(CLOCK_MONOTONIC, &b);
			while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) <
			       (k % 20) * 10000L);
			g = fork();
			CHECK(g >= 0);
			if (g == 0) {
				pairs((void *)10L);
				_exit(0);
			}
			wait_status(g, 0);
			CHECK(pthread_join(t, NULL) == 0);
			_exit(0);
		}
		wait_status(pid, 0);
	}
}

/* glibc's tst-malloc-fork-deadlock in small: two threads fork while three
 * read a 50,000-byte line through stdio (getline reallocs holding the
 * stream's lock) and one flushes every stream (holding stdio's list lock,
 * waiting for stream locks). fork takes the list lock after the prepare
 * handlers: one that held a lock of ours there would hang all of them. */
static const char *stdio_path;

static void *stdio_reader(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		FILE *f = fopen(stdio_path, "r");
		char *line = NULL;
		size_t cap = 0;

		CHECK(f != NULL);
		while (getline(&line, &cap, f) > 0)
			;
		free(line);
		fclose(f);
	}
	return arg;
}

static void *stdio_flusher(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		fflush(NULL);
	return arg;
}

static void mode_fork_stdio(int n)
{
	pthread_t th[6];
	FILE *f;

	stdio_path = "long-line";
	f = fopen(stdio_path, "w");
	CHECK(f != NULL);
	for (int i = 0; i < 50000; i++)
		fputc('x', f);
	fputc('\n', f);
	CHECK(fclose(f) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&th[i], NULL, stdio_reader, NULL) == 0);
	CHECK(pthread_create(&th[3], NULL, stdio_flusher, NULL) == 0);
	for (int i = 4; i < 6; i++)
		CHECK(pthread_create(&th[i], NULL, forker, (void *)(long)n) == 0);
	for (int i = 4; i < 6; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
}

/* Several threads forking at once while another allocates: their fork
 * handlers run side by side. */
static void mode_fork_race(int n)
{
	pthread_t th[4];

	CHECK(pthread_create(&th[0], NULL, allocator, (void *)0L) == 0);
	for (long i = 1; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, forker, (void *)(long)n) == 0);
	for (int i = 1; i < 4; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	CHECK(pthread_join(th[0], NULL) == 0);
	alloc_some(3);	/* the lock is free again */
}

/* A fork child that forks twice before its own first allocation (a
 * shell's subshell running a pipeline); each grandchild leaks n bytes. */
static void mode_fork_nested(int n)
{
	pid_t a;

	alloc_some(3);
	a = fork();
	if (a == 0) {
		for (int k = 0; k < 2; k++) {
			pid_t b = fork();

			if (b == 0) {
				CHECK(malloc((size_t)n) != NULL);
				free(malloc(50));
				_exit(0);
			}
			wait_status(b, 0);
		}
		_exit(0);
	}
	wait_status(a, 0);
}

/* Short children, to run through the pid space. */
static void mode_forkmany(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			free(malloc(10));
			_exit(0);
		}
		wait_status(pid, 0);
	}
}

/* Children that report what /proc says of them, for the log's identity
 * lines: "PID START EXE-LENGTH" and the raw command line follow. Some
 * children sleep across a clock tick, some fork from a thread. */
static void report_self(void)
{
	char buf[8192], out[8400];
	ssize_t n;
	int fd, len;
	char *p;
	unsigned long long start = 0;

	free(malloc(10));
	fd = open("/proc/self/stat", O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	close(fd);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	CHECK(p != NULL);
	for (int field = 2; field < 22; field++)
		p = strchr(p + 1, ' ');
	start = strtoull(p + 1, NULL, 10);
	fd = open("/proc/self/cmdline", O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	CHECK(n > 0);
	close(fd);
	len = snprintf(out, sizeof(out), "%d %llu %zd\n", (int)getpid(), start, n);
	memcpy(out + len, buf, (size_t)n);
	/* One write: lines of children never interleave. */
	CHECK(write(STDOUT_FILENO, out, (size_t)len + (size_t)n) == len + n);
}

static void *fork_reporter(void *arg)
{
	pid_t pid = fork();

	(void)arg;
	if (pid == 0) {
		report_self();
		_exit(0);
	}
	wait_status(pid, 0);
	return NULL;
}

static void mode_identity(int n)
{
	alloc_some(4);
	for (int i = 0; i < n; i++) {
		pid_t pid;

		if (i % 10 == 9) {
			pthread_t t;

			CHECK(pthread_create(&t, NULL, fork_reporter, NULL) == 0);
			CHECK(pthread_join(t, NULL) == 0);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			if (i % 7 == 3)
				usleep(15000);
			report_self();
			_exit(0);
		}
		wait_status(pid, 0);
	}
}

/* Traced fork children, each a file. */
static pid_t lap(int n)
{
	pid_t first = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			free(malloc(10));
			_exit(0);
		}
		if (!first)
			first = pid;
		wait_status(pid, 0);
	}
	return first;
}

/* Runs the pid counter round to just before target with children that
 * run no code of ours (raw clone, exit_group at once: no log), reaped in
 * batches. */
static void burn_pids_to(pid_t target)
{
	pid_t last = 0;
	int wrapped = 0;

	for (int i = 0; i < 200000; i++) {
		pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);

		if (pid == 0)
			syscall(SYS_exit_group, 0);
		CHECK(pid > 0);
		if (pid < last)
			wrapped = 1;
		last = pid;
		if (i % 256 == 255 || (wrapped && pid >= target))
			while (waitpid(-1, NULL, 0) > 0)
				;
		if (wrapped && pid >= target)
			return;
	}
	CHECK(!"the pid counter did not come round");
}

/* Two laps of traced children with the pid counter run round in between:
 * the second lap reuses the first one's pids. */
static void mode_pidreuse(int n)
{
	pid_t first = lap(n);

	alloc_some(2);
	burn_pids_to(first > 310 ? first - 10 : first);
	lap(n);
}

int main(int argc, char **argv)
{
	const char *mode;
	int n;

	CHECK(argc >= 3);
	mode = argv[1];
	child = argv[2];
	n = argc > 3 ? atoi(argv[3]) : 100;
	if (!strcmp(mode, "fork"))
		mode_fork();
	else if (!strcmp(mode, "fork-exec"))
		mode_fork_exec();
	else if (!strcmp(mode, "spawn"))
		mode_spawn();
	else if (!strcmp(mode, "daemon"))
		mode_daemon();
	else if (!strcmp(mode, "exec-missing"))
		mode_exec_missing();
	else if (!strcmp(mode, "vfork"))
		mode_vfork();
	else if (!strcmp(mode, "clone"))
		mode_clone();
	else if (!strcmp(mode, "chdir"))
		mode_chdir();
	else if (!strcmp(mode, "closefd"))
		mode_closefd();
	else if (!strcmp(mode, "fork-in-setup"))
		mode_fork_in_setup(n);
	else if (!strcmp(mode, "threaded-child"))
		mode_threaded_child(n);
	else if (!strcmp(mode, "fork-threads"))
		mode_fork_threads(n);
	else if (!strcmp(mode, "fork-nested"))
		mode_fork_nested(n);
	else if (!strcmp(mode, "fork-race"))
		mode_fork_race(n);
	else if (!strcmp(mode, "fork-stdio"))
		mode_fork_stdio(n);
	else if (!strcmp(mode, "forkmany"))
		mode_forkmany(n);
	else if (!strcmp(mode, "streamdup2"))
		mode_streamdup2();
	else if (!strcmp(mode, "cancel"))
		mode_cancel(n);
	else if (!strcmp(mode, "dup2fork"))
		mode_dup2fork();
	else if (!strcmp(mode, "logmoved"))
		mode_logmoved();
	else if (!strcmp(mode, "identity"))
		mode_identity(n);
	else if (!strcmp(mode, "pidreuse"))
		mode_pidreuse(n);
	else
		CHECK(!"unknown mode");
	PUTF(STDOUT_FILENO, "procs %s done\n", mode);
	return 0;
}
