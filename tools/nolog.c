/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Reads PREFIX.nolog (see nolog.h): every slot whose first byte is '+'
 * holds one line "+ PID START PPID PSTART ERRNO WHAT EXE CMDLINE".
 */
#include "nolog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"

#define NOLOG_MAX (64u << 20)

const char *mstat_errno_name(int err)
{
	const char *n = err > 0 ? strerrorname_np(err) : NULL;

	return n ? n : "unknown errno";
}

const char *mstat_nolog_cause(int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return "full disk";
	if (err == EFBIG)
		return "file-size limit";
	return mstat_errno_name(err);
}

static bool num(char **p, uint64_t *v)
{
	char *e;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtoull(*p, &e, 10);
	if (errno || *e != ' ')
		return false;
	*p = e + 1;
	return true;
}

static char *word(char **p)
{
	char *s = *p, *sp = strchr(s, ' ');

	if (sp) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

/* One slot, copied NUL-terminated into line. 1 parsed, 0 bad, -ENOMEM. */
static int slot(struct mstat_nologs *out, char *line)
{
	uint64_t v[5];
	char *p = line + 2, *what, *exe;
	struct mstat_nolog *n;

	if (line[1] != ' ')
		return 0;
	for (int i = 0; i < 5; i++)
		if (!num(&p, &v[i]))
			return 0;
	if (v[0] == 0 || v[0] > INT32_MAX || v[2] > INT32_MAX || v[4] == 0 || v[4] > 4095)
		return 0;
	what = word(&p);
	exe = word(&p);
	if (!*what || strlen(what) >= sizeof(n->what) || !*exe)
		return 0;
	n = mstat_grow(out->v, &out->cap, out->n, sizeof(*n), 16);
	if (!n)
		return -ENOMEM;
	out->v = n;
	n = &out->v[out->n];
	*n = (struct mstat_nolog){ .pid = (int64_t)v[0], .start = v[1], .ppid = (int64_t)v[2],
				   .pstart = v[3], .err = (int)v[4] };
	strcpy(n->what, what);
	n->exe = strdup(exe);
	n->cmdline = strdup(p);
	if (!n->exe || !n->cmdline) {
		free(n->exe);
		free(n->cmdline);
		return -ENOMEM;
	}
	out->n++;
	return 1;
}

int mstat_nolog_read(struct mstat_nologs *out, const char *file, const char *shown,
		     FILE *msgs)
{
	char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (msgs)
			fprintf(msgs, "malloc-stat: cannot open '%s': %s\n", shown, strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size > NOLOG_MAX) {
		if (msgs)
			fprintf(msgs, "malloc-stat: %s: larger than any nolog file (%lld bytes): read its first %u MiB\n",
				shown, (long long)st.st_size, NOLOG_MAX >> 20);
	}
	len = (size_t)st.st_size < NOLOG_MAX ? (size_t)st.st_size : NOLOG_MAX;
	buf = malloc(len + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t got = 0; got < len;) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n <= 0) {
			len = got;
			break;
		}
		got += (size_t)n;
	}
	out->files++;
	if (len % MSTAT_NOLOG_SLOT && msgs)
		fprintf(msgs, "malloc-stat: %s:%zu: last slot cut short (%zu bytes)\n", shown,
			len / MSTAT_NOLOG_SLOT + 1, len % MSTAT_NOLOG_SLOT);
	for (size_t off = MSTAT_NOLOG_SLOT; off + MSTAT_NOLOG_SLOT <= len && r == 0;
	     off += MSTAT_NOLOG_SLOT) {
		char line[MSTAT_NOLOG_SLOT + 1], *nl;
		size_t lineno = off / MSTAT_NOLOG_SLOT + 1;

		if (buf[off] == '\0' || buf[off] == '~')
			continue;	/* free, or claimed by a process that died then */
		memcpy(line, buf + off, MSTAT_NOLOG_SLOT);
		line[MSTAT_NOLOG_SLOT] = '\0';
		nl = memchr(line, '\n', MSTAT_NOLOG_SLOT);
		if (nl)
			*nl = '\0';
		r = line[0] == '+' && nl ? slot(out, line) : 0;
		if (r == 0 && msgs)
			fprintf(msgs, "malloc-stat: %s:%zu: not a nolog record: skipped\n", shown, lineno);
		r = r < 0 ? r : 0;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* A start time the record or the caller may not know (0) matches any. */
static bool same_start(uint64_t a, uint64_t b)
{
	return !a || !b || a == b;
}

bool mstat_nolog_has(const struct mstat_nologs *l, int64_t pid, uint64_t start, int64_t ppid,
		     uint64_t pstart)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct mstat_nolog *n = &l->v[i];

		if (n->pid == pid && same_start(n->start, start) &&
		    (ppid < 0 || (n->ppid == ppid && same_start(n->pstart, pstart))))
			return true;
	}
	return false;
}

void mstat_nologs_free(struct mstat_nologs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].exe);
		free(l->v[i].cmdline);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int mstat_nolog_create(const char *prefix)
{
	static const char zeros[MSTAT_NOLOG_SLOT];
	char path[4096], head[MSTAT_NOLOG_SLOT] = MSTAT_NOLOG_MAGIC "1\n";
	int fd, r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s.nolog", prefix) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (unsigned i = 1; i < MSTAT_NOLOG_SLOTS && r == 0; i++)
		if (pwrite(fd, zeros, sizeof(zeros), (off_t)i * MSTAT_NOLOG_SLOT) != (ssize_t)sizeof(zeros))
			r = -ENOSPC;
	if (r == 0 && pwrite(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		r = -ENOSPC;
	close(fd);
	if (r < 0)
		unlink(path);
	return r;
}
