/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Untraced children (untraced.h). A SPAWN'd child is traced when an image
 * of its pid names the spawning process as its parent.
 */
#include "untraced.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "grow.h"

const char *const mstat_why_names[MSTAT_WHY_N] = {
	"exec failed", "environment without the preload", "static program",
	"setuid or setgid program", "no log (reason unknown)",
};

/* What the program file says, read now: setuid or setgid bits or file
 * capabilities (any of them puts the loader in secure-execution mode,
 * which drops LD_PRELOAD, unless the process already had those ids: then
 * it was traced and is not asked about), or no PT_INTERP. A relative
 * path is taken from cwd, the directory the exec'ing image started in
 * (NULL: unknown). */
static enum mstat_why program_why(const char *path, const char *cwd)
{
	char full[PATH_MAX];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	struct stat st;
	enum mstat_why why = MSTAT_WHY_UNKNOWN;
	int fd;

	if (!path || !*path)
		return why;
	if (path[0] != '/') {
		int n = cwd && cwd[0] == '/' ? snprintf(full, sizeof(full), "%s/%s", cwd, path) : -1;

		if (n < 0 || (size_t)n >= sizeof(full))
			return why;
		path = full;
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return why;
	if (st.st_mode & (S_ISUID | S_ISGID) || getxattr(path, "security.capability", NULL, 0) > 0)
		return MSTAT_WHY_SETUID;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return why;
	if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh.e_phentsize == sizeof(ph) && eh.e_phnum < 256) {
		why = MSTAT_WHY_STATIC;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
			    (ssize_t)sizeof(ph)) {
				why = MSTAT_WHY_UNKNOWN;
				break;
			}
			if (ph.p_type == PT_INTERP) {
				why = MSTAT_WHY_UNKNOWN;
				break;
			}
		}
	}
	close(fd);
	return why;
}

struct child {
	unsigned boot;
	int64_t pid, ppid;
};

static int cmp_child(const void *a, const void *b)
{
	const struct child *x = a, *y = b;

	if (x->boot != y->boot)
		return x->boot < y->boot ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->ppid > y->ppid) - (x->ppid < y->ppid);
}

static int add(struct mstat_untraced *u, long k, int64_t pid, int err, enum mstat_why why,
	       const char *path)
{
	struct mstat_untraced_one *n = mstat_grow(u->v, &u->cap, u->n, sizeof(*n), 16);

	if (!n)
		return -ENOMEM;
	u->v = n;
	u->v[u->n++] = (struct mstat_untraced_one){ k, pid, err, why, path };
	u->by[why]++;
	return 0;
}

/* Spawns of one image, by child pid and then in log order. */
struct try {
	int64_t pid;
	size_t i;
};

static int cmp_try(const void *a, const void *b)
{
	const struct try *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * The SPAWN entry that speaks for child t[0].pid among its n tries: a
 * child that searched PATH (older preloads logged each execve, or a
 * parent's log holds one per try) is one child. The exec that went
 * through decides; else the last failure, which is what the parent saw.
 */
static const struct mstat_spawn *last_try(const struct mstat_image *im, const struct try *t,
					  size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (!im->spawns[t[j].i].err)
			return &im->spawns[t[j].i];
	return &im->spawns[t[n - 1].i];
}

int mstat_untraced_find(const struct mstat_set *set, struct mstat_untraced *u,
			struct mstat_untraced *execs)
{
	struct child *c = malloc((set->n + 1) * sizeof(*c));
	struct try *t = NULL;
	size_t nc = 0, tcap = 0;
	int r = 0;

	if (!c)
		return -ENOMEM;
	for (size_t k = 0; k < set->n; k++)
		if (set->img[k].valid && !set->img[k].virt && set->img[k].has_pid)
			c[nc++] = (struct child){ set->img[k].boot_no, set->img[k].pid,
						  set->img[k].ppid };
	if (nc)
		qsort(c, nc, sizeof(*c), cmp_child);
	for (size_t k = 0; k < set->n && r == 0; k++) {
		const struct mstat_image *im = &set->img[k];

		if (!im->valid || im->virt)
			continue;
		if (im->nspawns > tcap) {
			free(t);
			tcap = im->nspawns;
			t = malloc(tcap * sizeof(*t));
			if (!t) {
				r = -ENOMEM;
				break;
			}
		}
		for (size_t i = 0; i < im->nspawns; i++)
			t[i] = (struct try){ im->spawns[i].pid, i };
		if (im->nspawns)
			qsort(t, im->nspawns, sizeof(*t), cmp_try);
		for (size_t i = 0, n; i < im->nspawns && r == 0; i += n) {
			const struct mstat_spawn *s;
			struct child key = { im->boot_no, t[i].pid, im->pid };
			enum mstat_why why;

			/* pid 0: a posix_spawn that failed, each its own. */
			for (n = 1; t[i].pid > 0 && i + n < im->nspawns && t[i + n].pid == t[i].pid; n++)
				;
			/* Traced: its own log names us. Whatever its entries say:
			 * the one of the exec that went through may be LOST. */
			if (t[i].pid > 0 && bsearch(&key, c, nc, sizeof(*c), cmp_child))
				continue;
			/* Its image could not write a log: the nolog record says
			 * why (a full disk), better than we could. */
			if (t[i].pid > 0 && mstat_nolog_has(&set->nolog, t[i].pid, 0, im->pid,
							    im->has_start ? im->start : 0))
				continue;
			s = last_try(im, t + i, n);
			why = s->err ? MSTAT_WHY_FAILED : s->env ? MSTAT_WHY_ENV :
				       program_why(s->path, im->cwd);
			r = add(u, (long)k, s->pid, s->err, why, s->path);
		}
		if (im->exec_untraced && r == 0 &&
		    !mstat_nolog_has(&set->nolog, im->pid, im->has_start ? im->start : 0, -1, 0))
			r = add(execs, (long)k, im->pid, 0,
				im->exec_env ? MSTAT_WHY_ENV : program_why(im->exec_path, im->cwd),
				im->exec_path);
	}
	free(t);
	free(c);
	return r;
}

void mstat_untraced_free(struct mstat_untraced *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}
