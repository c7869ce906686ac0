/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * A statically linked middleman (the preload cannot reach it): runs
 * argv[1..] as its child with the environment it was given, waits, exits
 * with the child's status. A traced process whose parent is untraced.
 */
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status = 0;
	pid_t pid;

	if (argc < 2)
		return 2;
	pid = fork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
