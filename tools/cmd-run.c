/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * `malloc-stat run [-o PREFIX] -- COMMAND...`: runs the command with the
 * preload appended to LD_PRELOAD, an absolute MALLOC_STAT_PREFIX and the
 * capture settings (MALLOC_STAT_BACKTRACE, MALLOC_STAT_SAMPLE), waits
 * for it, reports on stderr (the command keeps stdout), and exits with the
 * command's status (128+N for a signal N). malloc-stat itself is never
 * traced: only the child's environment changes.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load.h"

static void run_usage(FILE *out)
{
	fputs("Usage: malloc-stat run [OPTIONS] [--] COMMAND [ARGS...]\n"
	      "Runs COMMAND with every process of its tree traced, then reports on stderr.\n"
	      "Exits with the command's status (128+N when signal N ended it).\n\n"
	      "What is recorded (in the logs; `malloc-stat report` reads them again later):\n"
	      "  -o, --prefix PREFIX   write the logs as PREFIX.PID.EPOCH.N (a directory or a\n"
	      "                        path ending in '/' gets PREFIX/log); default: a fresh\n"
	      "                        directory $TMPDIR/malloc-stat.XXXXXX\n"
	      "      --backtrace DEPTH a call stack of up to DEPTH frames (at most 64) per\n"
	      "                        allocation; 0: none (MALLOC_STAT_BACKTRACE)\n"
	      "      --sample BYTES    stacks for one allocation every BYTES allocated bytes\n"
	      "                        on average, not for each; counts stay exact\n"
	      "                        (MALLOC_STAT_SAMPLE)\n"
	      "      --summary         keep each image's heap state, not every event (the\n"
	      "                        default; MALLOC_STAT_MODE=summary): files follow the\n"
	      "                        live blocks, not the calls, and survive a SIGKILL\n"
	      "      --events          every event, the text log (MALLOC_STAT_MODE=events);\n"
	      "                        the default when MALLOC_STAT_MODE says so\n\n"
	      "What is reported (as for `malloc-stat report`):\n"
	      "      --json, --html FILE, --top N, --output FILE, --progress, --threads N,\n"
	      "      --stats, --quiet, --jobs N,..., --stacks, --pid PID, --stack-depth N,\n"
	      "      --collapsed FILE, --collapsed-metric M, --trace-event FILE, --ram SIZE\n"
	      "                        --stacks and --collapsed also record stacks, 32\n"
	      "                        frames deep, unless --backtrace or\n"
	      "                        MALLOC_STAT_BACKTRACE says otherwise\n"
	      "      --help\n", out);
}

/* A capture setting from the command line, for the preload's environment
 * variable. */
static int capture_arg(const char *name, const char *arg, unsigned long long max,
		       const char **out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > max) {
		fprintf(stderr, "malloc-stat: --%s wants a number from 0 to %llu, not '%s'\n", name,
			max, arg);
		return -1;
	}
	*out = arg;
	return 0;
}

/* PREFIX as an absolute path whose directory exists; no log with it yet. */
static int make_prefix(const char *arg, char *prefix, size_t cap, char *dir, size_t dcap)
{
	char tmp[PATH_MAX], real[PATH_MAX];
	const char *base;
	struct stat st;
	size_t n;

	if (!arg) {
		const char *t = getenv("TMPDIR");

		snprintf(tmp, sizeof(tmp), "%s/malloc-stat.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp)) {
			fprintf(stderr, "malloc-stat: cannot create a log directory '%s': %s\n", tmp,
				strerror(errno));
			return -1;
		}
		if (!realpath(tmp, real))
			return -1;
		snprintf(dir, dcap, "%s", real);
		if ((size_t)snprintf(prefix, cap, "%s/log", real) >= cap)
			return -1;
		return 0;
	}
	n = strlen(arg);
	if (!n || n >= sizeof(tmp) - 8) {
		fprintf(stderr, "malloc-stat: bad log prefix '%s'\n", arg);
		return -1;
	}
	if (arg[n - 1] == '/' || (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))) {
		if (mkdir(arg, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "malloc-stat: cannot create '%s': %s\n", arg, strerror(errno));
			return -1;
		}
		snprintf(tmp, sizeof(tmp), "%s", arg);
		base = "log";
	} else {
		const char *slash = strrchr(arg, '/');

		snprintf(tmp, sizeof(tmp), "%.*s", slash ? (int)(slash - arg) : 1,
			 slash ? (slash == arg ? "/" : arg) : ".");
		base = slash ? slash + 1 : arg;
	}
	if (!realpath(tmp, real)) {
		fprintf(stderr, "malloc-stat: cannot use log directory '%s': %s\n", tmp, strerror(errno));
		return -1;
	}
	snprintf(dir, dcap, "%s", real);
	if ((size_t)snprintf(prefix, cap, "%s/%s", strcmp(real, "/") ? real : "", base) >= cap)
		return -1;

	/* Old logs of the same prefix would be stitched in with the new. */
	DIR *d = opendir(real);
	struct dirent *de;
	size_t bl = strlen(base);

	while (d && (de = readdir(d))) {
		if (mstat_is_log_name(de->d_name, base, bl)) {
			fprintf(stderr, "malloc-stat: logs with the prefix '%s' exist already (%s); remove them or choose another -o\n",
				prefix, de->d_name);
			closedir(d);
			return -1;
		}
	}
	if (d)
		closedir(d);
	return 0;
}

/* LD_PRELOAD with ours appended (once), as the loader reads it: separated
 * by spaces or colons. */
static char *preload_env(const char *so)
{
	const char *old = getenv("LD_PRELOAD");
	size_t ol = old ? strlen(old) : 0, sl = strlen(so);
	char *v;

	if (old) {
		const char *p = old;

		while ((p = strstr(p, so))) {
			bool start = p == old || p[-1] == ' ' || p[-1] == ':';
			bool end = p[sl] == '\0' || p[sl] == ' ' || p[sl] == ':';

			if (start && end)
				return strdup(old);
			p += sl;
		}
	}
	v = malloc(ol + sl + 2);
	if (!v)
		return NULL;
	if (ol)
		sprintf(v, "%s:%s", old, so);
	else
		memcpy(v, so, sl + 1);
	return v;
}

static volatile sig_atomic_t run_child;

/* SIGTERM or SIGHUP to us (a `timeout`, a closed terminal, a CI runner
 * stopping the job): passed on to the command, which we then wait for and
 * report on, as for a ^C. */
static void pass_on(int sig)
{
	if (run_child > 0)
		kill((pid_t)run_child, sig);
}

int mstat_cmd_run(int argc, char **argv)
{
	enum { OPT_BACKTRACE = 0x200, OPT_SAMPLE, OPT_SUMMARY, OPT_EVENTS };
	static const struct option longopts[] = {
		{ "prefix", required_argument, NULL, 'o' },
		{ "backtrace", required_argument, NULL, OPT_BACKTRACE },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "events", no_argument, NULL, OPT_EVENTS },
		MSTAT_REPORT_LONGOPTS, { 0 }
	};
	struct mstat_report_opts o;
	const char *prefix_arg = NULL, *backtrace = NULL, *sample = NULL, *mode = NULL;
	char so[PATH_MAX], prefix[PATH_MAX], dir[PATH_MAX];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit, old_term, old_hup;
	struct sigaction fwd = { .sa_handler = pass_on };
	int c, pfd[2], status = 0, code, err = 0;
	char *preload;
	pid_t pid;

	mstat_report_opts_init(&o);
	/* '+': options end at the command, so its own options stay its own. */
	while ((c = getopt_long(argc, argv, "+ho:", longopts, NULL)) != -1) {
		int r = mstat_report_opt(&o, c, optarg);

		if (r < 0)
			return MSTAT_EXIT_USAGE;
		if (r)
			continue;
		if (c == 'o') {
			prefix_arg = optarg;
		} else if (c == OPT_SUMMARY || c == OPT_EVENTS) {
			mode = c == OPT_SUMMARY ? "summary" : "events";
		} else if (c == OPT_BACKTRACE || c == OPT_SAMPLE) {
			if (capture_arg(c == OPT_SAMPLE ? "sample" : "backtrace", optarg,
					c == OPT_SAMPLE ? 1ull << 40 : 64,
					c == OPT_SAMPLE ? &sample : &backtrace) < 0)
				return MSTAT_EXIT_USAGE;
		} else if (c == 'h' || c == OPT_HELP) {
			run_usage(stdout);
			return MSTAT_EXIT_OK;
		} else {
			run_usage(stderr);
			return MSTAT_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "malloc-stat: run: which command?\n");
		run_usage(stderr);
		return MSTAT_EXIT_USAGE;
	}
	if (mstat_preload_path(so, sizeof(so)) < 0)
		return MSTAT_EXIT_RUNFAIL;
	if (strpbrk(so, " :")) {
		fprintf(stderr, "malloc-stat: the preload path '%s' has a space or colon, which LD_PRELOAD cannot carry\n",
			so);
		return MSTAT_EXIT_RUNFAIL;
	}
	/* Stacks asked for in the report, or sampled, and no depth set:
	 * recorded 32 frames deep. */
	if (!backtrace && !getenv("MALLOC_STAT_BACKTRACE") && (sample || o.stacks || o.collapsed))
		backtrace = "32";
	/* The summary kind unless asked otherwise: the report's figures
	 * either way, at a fraction of the files (doc/summary-format.md). */
	if (!mode && !getenv("MALLOC_STAT_MODE"))
		mode = "summary";
	if (make_prefix(prefix_arg, prefix, sizeof(prefix), dir, sizeof(dir)) < 0)
		return MSTAT_EXIT_RUNFAIL;
	/* Room, before the command starts, for the images that will get no
	 * log of their own (a full disk): the report counts them. */
	(void)mstat_nolog_create(prefix);
	preload = preload_env(so);
	if (!preload || pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, "malloc-stat: cannot start: %s\n", strerror(errno));
		return MSTAT_EXIT_RUNFAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "malloc-stat: cannot fork: %s\n", strerror(errno));
		return MSTAT_EXIT_RUNFAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (setenv("MALLOC_STAT_PREFIX", prefix, 1) == 0 &&
		    setenv("LD_PRELOAD", preload, 1) == 0 &&
		    (!backtrace || setenv("MALLOC_STAT_BACKTRACE", backtrace, 1) == 0) &&
		    (!sample || setenv("MALLOC_STAT_SAMPLE", sample, 1) == 0) &&
		    (!mode || setenv("MALLOC_STAT_MODE", mode, 1) == 0))
			execvp(argv[optind], argv + optind);
		err = errno;
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(err == ENOENT ? MSTAT_EXIT_NOTFOUND : MSTAT_EXIT_NOEXEC);
	}
	free(preload);
	close(pfd[1]);
	/* As system() does: a ^C is for the command, and we still report. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	run_child = pid;
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	if (read(pfd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	run_child = 0;
	if (err) {
		fprintf(stderr, "malloc-stat: cannot run '%s': %s\n", argv[optind], strerror(err));
		if (!prefix_arg) {
			char nolog[PATH_MAX + 8];

			snprintf(nolog, sizeof(nolog), "%s.nolog", prefix);
			unlink(nolog);
			rmdir(dir);	/* the fresh directory, empty again */
		}
		return err == ENOENT ? MSTAT_EXIT_NOTFOUND : MSTAT_EXIT_NOEXEC;
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	char *inputs[1] = { prefix };

	o.launched = pid;
	int rc = mstat_report_inputs(&o, inputs, 1, stderr, dir);

	if (rc != MSTAT_EXIT_OK)
		fprintf(stderr, "malloc-stat: no report (is '%s' static or setuid? such programs cannot be traced)\n",
			argv[optind]);
	if (WIFSIGNALED(status))
		fprintf(stderr, "malloc-stat: %s was killed by signal %d (%s); exit status %d\n",
			argv[optind], WTERMSIG(status), strsignal(WTERMSIG(status)), code);
	else if (code)
		fprintf(stderr, "malloc-stat: %s exited with status %d\n", argv[optind], code);
	return code;
}
