/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The processes a traced tree started that left no log of their own (a
 * SPAWN entry: vfork, posix_spawn), the programs its processes exec'd that
 * left none (an EXEC with no traced image after it: the same process), and
 * why, told apart by the exec's error, the child's environment, and the
 * program file (static, setuid).
 */
#ifndef MSTAT_UNTRACED_H
#define MSTAT_UNTRACED_H

#include <stddef.h>

#include "load.h"

enum mstat_why {
	MSTAT_WHY_FAILED,	/* the exec failed */
	MSTAT_WHY_ENV,		/* its environment dropped the preload */
	MSTAT_WHY_STATIC,	/* a static program: nothing to preload into */
	MSTAT_WHY_SETUID,	/* setuid or setgid: the loader ignores LD_PRELOAD */
	MSTAT_WHY_UNKNOWN,	/* none of those (the program may be gone) */
	MSTAT_WHY_N,
};

extern const char *const mstat_why_names[MSTAT_WHY_N];

struct mstat_untraced_one {
	long image;		/* the image that started it, or exec'd it */
	int64_t pid;
	int err;
	enum mstat_why why;
	const char *path;
};

struct mstat_untraced {
	struct mstat_untraced_one *v;
	size_t n, cap;
	size_t by[MSTAT_WHY_N];
};

/* Finds them in a loaded set whose tree is built: the children, new
 * processes, and the execs, which are not. 0 or -ENOMEM. */
int mstat_untraced_find(const struct mstat_set *set, struct mstat_untraced *children,
			struct mstat_untraced *execs);
void mstat_untraced_free(struct mstat_untraced *u);

#endif
