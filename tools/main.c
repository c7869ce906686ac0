/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The malloc-stat command: dispatch to its subcommands (run, report,
 * merge, show), --help and --version.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

void mstat_usage(FILE *out)
{
	fputs("Usage: malloc-stat run [-o PREFIX] [REPORT OPTIONS] [--] COMMAND [ARGS...]\n"
	      "       malloc-stat report [REPORT OPTIONS] PREFIX|DIR|FILE...\n"
	      "       malloc-stat merge PREFIX|DIR|FILE... -o FILE\n"
	      "       malloc-stat show [--all] FILE...\n"
	      "       malloc-stat --help | --version\n\n"
	      "Traces every heap allocation of a whole process tree (LD_PRELOAD of\n"
	      "malloc-stat.so), stitches the per-process logs back into the tree and\n"
	      "reports per process, per command and for the whole tree over time.\n\n"
	      "Report options: --json, --html FILE, --top N, --output FILE, --progress,\n"
	      "--no-progress, --threads N, --stats, --quiet, --jobs N,..., --ram SIZE;\n"
	      "call stacks:\n"
	      "--stacks, --pid PID, --stack-depth N, --collapsed FILE, --collapsed-metric M.\n"
	      "`malloc-stat CMD --help` says more.\n\n"
	      "Exit status: run exits with the command's status (128+N for signal N),\n"
	      "125 when malloc-stat could not start it, 126 when it cannot be executed,\n"
	      "127 when it is not found. report and merge: 0 done, 1 no readable logs or\n"
	      "the output could not be written, 2 usage error.\n\n"
	      "Environment: MALLOC_STAT_PRELOAD overrides where malloc-stat.so is found.\n"
	      "See malloc-stat(1).\n", out);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		mstat_usage(stderr);
		return MSTAT_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		mstat_usage(stdout);
		return MSTAT_EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("malloc-stat %s\n", MSTAT_VERSION);
		return MSTAT_EXIT_OK;
	}
	if (!strcmp(cmd, "run"))
		return mstat_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return mstat_cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "merge"))
		return mstat_cmd_merge(argc - 1, argv + 1);
	if (!strcmp(cmd, "show"))
		return mstat_cmd_show(argc - 1, argv + 1);
	fprintf(stderr, "malloc-stat: unknown command '%s'\n", cmd);
	mstat_usage(stderr);
	return MSTAT_EXIT_USAGE;
}
