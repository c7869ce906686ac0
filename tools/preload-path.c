/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Where malloc-stat.so is: MALLOC_STAT_PRELOAD when set; the build tree's
 * when this program runs from the build tree; the installed one; and the
 * build tree's as a last resort. Paths are baked in by meson (config.h).
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static int take(const char *path, char *buf, size_t cap)
{
	char real[PATH_MAX];

	if (!path || !*path || access(path, R_OK) < 0 || !realpath(path, real) ||
	    strlen(real) >= cap)
		return -ENOENT;
	strcpy(buf, real);
	return 0;
}

static bool in_build_tree(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t bl = strlen(MSTAT_BUILD_ROOT);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	return !strncmp(exe, MSTAT_BUILD_ROOT, bl) && exe[bl] == '/';
}

int mstat_preload_path(char *buf, size_t cap)
{
	const char *env = getenv("MALLOC_STAT_PRELOAD");

	if (env && *env) {
		if (take(env, buf, cap) == 0)
			return 0;
		fprintf(stderr, "malloc-stat: MALLOC_STAT_PRELOAD='%s': %s\n", env, strerror(errno ? errno : ENOENT));
		return -ENOENT;
	}
	if (in_build_tree() && take(MSTAT_BUILD_PRELOAD, buf, cap) == 0)
		return 0;
	if (take(MSTAT_INSTALL_PRELOAD, buf, cap) == 0 || take(MSTAT_BUILD_PRELOAD, buf, cap) == 0)
		return 0;
	fprintf(stderr, "malloc-stat: cannot find malloc-stat.so (looked at %s and %s); set MALLOC_STAT_PRELOAD\n",
		MSTAT_INSTALL_PRELOAD, MSTAT_BUILD_PRELOAD);
	return -ENOENT;
}
