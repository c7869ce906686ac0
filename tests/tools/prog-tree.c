/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Probe with a known process tree (roles by argv[1]):
 *   root    keeps 5000 bytes across its forks, then makes
 *   fork    a fork child: frees the inherited block, leaks 3 x 1000 bytes
 *   spawn   posix_spawn'd: leaks 2 x 777 bytes
 *   exec    a fork child that allocates 64 bytes, then execs itself as
 *   image2  which allocates and frees 4242 bytes
 *   killed  a fork child that allocates 9999 bytes and is killed (SIGKILL)
 *   static  a fork child that execs the static middleman, whose child is
 *   grand   leaking 555 bytes under an untraced parent
 * and exits 7. Run as `prog-tree root [STATIC]`. No stdio. Built with
 * -fno-builtin.
 */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void wait_all(void)
{
	while (wait(NULL) > 0)
		;
}

int main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "root";
	char *self = argv[0];
	volatile char *keep;
	pid_t pid;

	if (!strcmp(role, "spawn")) {
		(void)!malloc(777);
		(void)!malloc(777);
		return 0;
	}
	if (!strcmp(role, "image2")) {
		free(malloc(4242));
		return 0;
	}
	if (!strcmp(role, "grand")) {
		(void)!malloc(555);
		return 0;
	}

	keep = malloc(5000);
	keep[0] = 1;

	if (fork() == 0) {				/* fork */
		free((void *)keep);
		for (int i = 0; i < 3; i++)
			(void)!malloc(1000);
		exit(0);
	}
	wait_all();

	char *sargv[] = { self, "spawn", NULL };	/* spawn */

	if (posix_spawn(&pid, self, NULL, NULL, sargv, environ) == 0)
		waitpid(pid, NULL, 0);

	if (fork() == 0) {				/* exec */
		char *eargv[] = { self, "image2", NULL };

		(void)!malloc(64);
		execv(self, eargv);
		_exit(127);
	}
	wait_all();

	int fds[2];

	if (pipe(fds) == 0) {				/* killed */
		pid = fork();
		if (pid == 0) {
			(void)!malloc(9999);
			(void)!write(fds[1], "x", 1);
			pause();
			_exit(0);
		}
		char c;

		(void)!read(fds[0], &c, 1);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}

	if (argc > 2 && fork() == 0) {			/* static, grand */
		char *margv[] = { argv[2], self, "grand", NULL };


		execv(argv[2], margv);
		_exit(127);
	}
	wait_all();

	free((void *)keep);
	return 7;
}
