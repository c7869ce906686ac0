/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Finds the logs behind the command-line inputs and reads them on worker
 * threads, largest first so that the last file read is a small one. Each
 * file is mapped, parsed in one pass and unmapped: memory follows the
 * blocks live in the images being read, not the size of the trace.
 */
#include "load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "grow.h"
#include "header.h"
#include "parse.h"

#define SMALL_FILE (256u << 10)

struct item {
	char *file;		/* what to open */
	uint64_t off, len;	/* segment of a merged file; len UINT64_MAX: whole */
	uint64_t size;		/* for scheduling */
	size_t slot;		/* index in set->img */
};

struct job {
	struct mstat_set *set;
	struct mstat_stackdb *db;
	struct item *items;	/* in schedule order */
	size_t nitems;
	size_t next;		/* atomic */
	size_t done;		/* atomic */
	uint64_t done_bytes;	/* atomic */
	int err;		/* atomic: -ENOMEM stops everyone */
};

static double cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long mstat_set_add(struct mstat_set *set)
{
	struct mstat_image *n = mstat_grow(set->img, &set->cap, set->n, sizeof(*n), 64);

	if (!n)
		return -ENOMEM;
	set->img = n;
	mstat_image_init(&set->img[set->n]);
	return (long)set->n++;
}

void mstat_set_free(struct mstat_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		mstat_image_free(&set->img[i]);
	free(set->img);
	mstat_nologs_free(&set->nolog);
	memset(set, 0, sizeof(*set));
}

/* ---- finding the inputs ---- */

struct list {
	struct item *v;
	size_t n, cap;
};

static int list_add(struct list *l, struct mstat_set *set, const char *file, uint64_t off,
		    uint64_t len, uint64_t size, const char *path, const char *name,
		    uint64_t line0)
{
	long slot;
	struct mstat_image *im;

	struct item *n = mstat_grow(l->v, &l->cap, l->n, sizeof(*n), 64);

	if (!n)
		return -ENOMEM;
	l->v = n;
	slot = mstat_set_add(set);
	if (slot < 0)
		return (int)slot;
	im = &set->img[slot];
	im->path = strdup(path);
	im->name = strdup(name);
	im->line0 = line0;
	im->src = strdup(file);
	im->src_off = off;
	l->v[l->n] = (struct item){ strdup(file), off, len, size, (size_t)slot };
	if (!im->path || !im->name || !im->src || !l->v[l->n].file)
		return -ENOMEM;
	l->n++;
	return 0;
}

static const char *base_of(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The node lines of a merged file: each image segment becomes an item. */
static int add_merged(struct list *l, struct mstat_set *set, const char *file, const char *shown,
		      FILE *msgs)
{
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0, first = l->n;
	uint64_t base = 0, fsize;
	struct stat st;
	ssize_t n;
	int r = 0;
	bool ended = false;

	if (!f || fstat(fileno(f), &st) < 0) {
		if (msgs)
			fprintf(msgs, "malloc-stat: cannot open '%s': %s\n", shown, strerror(errno));
		if (f)
			fclose(f);
		return 0;
	}
	fsize = (uint64_t)st.st_size;
	while ((n = getline(&line, &cap, f)) > 0) {
		unsigned long long v[3];
		char *tok[9], *save = NULL, *rest;
		unsigned nt = 0;

		lineno++;
		base += (uint64_t)n;
		if (lineno == 1)
			continue;
		if (!strcmp(line, "# END NODES\n")) {
			ended = true;
			break;
		}
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		/* # NODE ID PARENT REL image OFFSET LENGTH LINE NAME */
		for (rest = line; nt < 9 && (tok[nt] = strtok_r(nt ? NULL : rest, " ", &save)); nt++)
			;
		if (nt == 9 && !strcmp(tok[1], "NODE") && !strcmp(tok[5], "image") && save && *save &&
		    sscanf(tok[6], "%llu", &v[0]) == 1 && sscanf(tok[7], "%llu", &v[1]) == 1 &&
		    sscanf(tok[8], "%llu", &v[2]) == 1) {
			size_t len;
			char *name = mstat_unescape(save, strlen(save), false, &len, NULL);

			if (!name) {
				r = -ENOMEM;
				goto out;
			}
			r = list_add(l, set, file, v[0], v[1], v[1], shown, name, v[2] ? v[2] - 1 : 0);
			free(name);
			if (r < 0)
				goto out;
		} else if ((nt < 2 || strcmp(tok[1], "NODE")) && msgs) {
			fprintf(msgs, "malloc-stat: %s:%zu: unexpected line in the node list\n",
				shown, lineno);
		}
	}
	if (!ended && msgs)
		fprintf(msgs, "malloc-stat: %s:%zu: node list not closed (merged file cut short)\n",
			shown, lineno + 1);
	/* Offsets count from the end of the node list. */
	for (size_t i = first; i < l->n; i++) {
		struct item *it = &l->v[i];

		it->off += base;
		if (it->off > fsize)
			it->off = fsize;
		if (it->len > fsize - it->off) {
			if (msgs)
				fprintf(msgs, "malloc-stat: %s: segment %s runs past the end of the file\n",
					shown, set->img[it->slot].name);
			it->len = fsize - it->off;
		}
	}
out:
	free(line);
	fclose(f);
	return r;
}

/* An unlinked file in $TMPDIR, read through /proc/self/fd while it stays
 * open; -errno on failure. */
static int scratch_file(const char *what)
{
	const char *td = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	int fd;

	snprintf(tmpl, sizeof(tmpl), "%s/malloc-stat-%s.XXXXXX", td && *td ? td : "/tmp", what);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(tmpl);
	return fd;
}

/* ---- shared streams (fd 1022) ----
 *
 * Every write of a stream is "# PID n" and whole lines of that process;
 * a version line starts a new image of the process, and the "# PID" line
 * right after it is the header's own. The stream is split into one
 * contiguous log per image, copied into an unlinked temporary file that
 * the readers map like a merged file's segments: memory stays bounded,
 * and each image is named "FILE (pid N, image K)" in messages, whose line
 * numbers count within that image. */

struct simg {
	uint32_t pid, nth;	/* the nth image of pid, from 1 */
	uint64_t size, off;
};

struct stream {
	const char *p, *end;
	struct simg *img;
	size_t nimg, cap;
	uint32_t *cur;		/* pid -> current image + 1, open addressing */
	uint32_t *keys;
	size_t hcap;
	uint64_t stray;		/* lines before any header of their process */
};

static uint32_t *stream_slot(struct stream *st, uint32_t pid)
{
	size_t m = st->hcap - 1;

	for (size_t i = (pid * 2654435761u) & m;; i = (i + 1) & m)
		if (!st->cur[i] || st->keys[i] == pid)
			return &st->cur[i];
}

static int stream_new_image(struct stream *st, uint32_t pid)
{
	uint32_t nth = 1, *slot;

	if (st->nimg * 2 >= st->hcap) {
		size_t oc = st->hcap, nc = oc ? oc * 4 : 1024;
		uint32_t *oldc = st->cur, *oldk = st->keys;

		uint32_t *nk = calloc(nc, sizeof(*nk)), *ncur = calloc(nc, sizeof(*ncur));

		if (!nk || !ncur) {
			free(nk);
			free(ncur);
			return -ENOMEM;
		}
		st->cur = ncur;
		st->keys = nk;
		st->hcap = nc;
		for (size_t i = 0; i < oc; i++) {
			if (!oldc[i])
				continue;
			slot = stream_slot(st, oldk[i]);
			*slot = oldc[i];
			st->keys[slot - st->cur] = oldk[i];
		}
		free(oldc);
		free(oldk);
	}
	struct simg *n = mstat_grow(st->img, &st->cap, st->nimg, sizeof(*n), 64);

	if (!n)
		return -ENOMEM;
	st->img = n;
	slot = stream_slot(st, pid);
	if (*slot)
		nth = st->img[*slot - 1].nth + 1;
	st->img[st->nimg] = (struct simg){ pid, nth, 0, 0 };
	*slot = (uint32_t)++st->nimg;
	st->keys[slot - st->cur] = pid;
	return 0;
}

static bool line_is(const char *p, const char *eol, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(eol - p) >= n && !memcmp(p, lit, n);
}

/* One pass over the stream. Counting (fd < 0): finds the images and
 * their sizes. Writing: copies every run of lines of one image to that
 * image's place in fd; the images come in the same order again. */
static int stream_pass(struct stream *st, int fd)
{
	const char *p = st->p, *run = NULL, *kept = st->p;
	uint32_t pid = 0, seen = 0;
	long img = -1, run_img = -1;
	bool after_version = false;

	st->stray = 0;
	if (fd >= 0 && st->hcap)
		memset(st->cur, 0, st->hcap * sizeof(*st->cur));
	while (p <= st->end) {
		const char *eol = p < st->end ? memchr(p, '\n', (size_t)(st->end - p)) : NULL;
		const char *next = eol ? eol + 1 : st->end;
		bool marker = false, version = false;

		if (p < st->end) {
			if (!eol)
				eol = st->end;
			marker = !after_version && line_is(p, eol, "# PID ");
			version = line_is(p, eol, "# MALLOC-STAT-LOG ");
		}
		/* A run ends at the end, at a marker and at a new image. */
		if (run && (p == st->end || marker || version)) {
			struct simg *si = &st->img[run_img];
			size_t n = (size_t)(p - run);

			if (fd < 0) {
				si->size += n;
			} else {
				if (pwrite(fd, run, n, (off_t)si->off) != (ssize_t)n)
					return errno ? -errno : -EIO;
				si->off += n;
			}
			run = NULL;
		}
		if (p == st->end)
			break;
		if (p - kept >= RELEASE_EVERY) {
			mstat_drop_pages(kept, p);	/* a run's text comes back if needed */
			kept = p;
		}
		after_version = version;
		if (marker) {
			unsigned long long v = 0;

			for (const char *q = p + 6; q < eol && *q >= '0' && *q <= '9' && v < (1ull << 32); q++)
				v = v * 10 + (unsigned long long)(*q - '0');
			pid = (uint32_t)v;
			img = st->hcap ? (long)*stream_slot(st, pid) - 1 : -1;
			p = next;
			continue;
		}
		if (version) {
			if (fd < 0) {
				int r = stream_new_image(st, pid);

				if (r < 0)
					return r;
			} else if (seen < st->nimg) {
				uint32_t *slot = stream_slot(st, pid);

				*slot = seen + 1;
				st->keys[slot - st->cur] = pid;
			}
			img = (long)seen++;
			if (img >= (long)st->nimg)
				img = -1;
		}
		if (img < 0) {
			st->stray++;	/* before any header of its process */
		} else if (!run) {
			run = p;
			run_img = img;
		}
		p = next;
	}
	return 0;
}

static int add_stream(struct list *l, struct mstat_set *set, const char *file, const char *shown,
		      FILE *msgs)
{
	struct stream st = { 0 };
	char tmp[64], name[PATH_MAX + 64];
	struct stat sb;
	void *map = MAP_FAILED;
	int fd = open(file, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	uint64_t off = 0;

	if (fd < 0 || fstat(fd, &sb) < 0 || !sb.st_size) {
		r = -errno;
		goto done;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto done;
	}
	(void)madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	st.p = map;
	st.end = st.p + sb.st_size;
	r = stream_pass(&st, -1);
	if (r < 0)
		goto done;
	if (!st.nimg) {
		/* "# PID" with no version line anywhere: the seed's own format */
		if (msgs)
			fprintf(msgs, "malloc-stat: %s:1: not a malloc-stat log of this version (no '# MALLOC-STAT-LOG' line: written by the original malloc-stat?)\n",
				shown);
		goto done;
	}
	for (size_t i = 0; i < st.nimg; i++) {
		st.img[i].off = off;
		off += st.img[i].size;
	}
	out = scratch_file("stream");
	if (out < 0) {
		r = out;
		goto done;
	}
	/* The second pass writes; the offsets it advances start where the
	 * first pass put them. Images are found again in the same order. */
	{
		struct stream w = st;

		w.img = malloc(st.nimg * sizeof(*w.img));
		if (!w.img && st.nimg) {
			r = -ENOMEM;
			goto done;
		}
		memcpy(w.img, st.img, st.nimg * sizeof(*w.img));
		r = stream_pass(&w, out);
		free(w.img);
		if (r < 0)
			goto done;
	}
	snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", out);
	for (size_t i = 0; i < st.nimg && r == 0; i++) {
		snprintf(name, sizeof(name), "%s (pid %u, image %u)", shown, st.img[i].pid,
			 st.img[i].nth);
		r = list_add(l, set, tmp, st.img[i].off, st.img[i].size, st.img[i].size, name,
			     base_of(name), 0);
	}
	if (st.stray && msgs)
		fprintf(msgs, "malloc-stat: %s: %llu lines of processes whose header is not in the stream (skipped)\n",
			shown, (unsigned long long)st.stray);
	out = -1;	/* stays open for the readers, until exit */
done:
	if (r < 0 && r != -ENOMEM && msgs)
		fprintf(msgs, "malloc-stat: cannot read the stream '%s': %s\n", shown, strerror(-r));
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	if (fd >= 0)
		close(fd);
	if (out >= 0)
		close(out);
	free(st.img);
	free(st.cur);
	free(st.keys);
	return r == -ENOMEM ? r : 0;
}

static int add_file(struct list *l, struct mstat_set *set, const char *file, const char *shown,
		    uint64_t size, FILE *msgs)
{
	char head[32] = "";
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, head, sizeof(head) - 1);

		head[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (!strncmp(head, MSTAT_MERGE_MAGIC, sizeof(MSTAT_MERGE_MAGIC) - 1))
		return add_merged(l, set, file, shown, msgs);
	if (!strncmp(head, MSTAT_NOLOG_MAGIC, sizeof(MSTAT_NOLOG_MAGIC) - 1))
		return mstat_nolog_read(&set->nolog, file, shown, msgs);
	if (!strncmp(head, "# PID ", 6) && size)
		return add_stream(l, set, file, shown, msgs);
	return list_add(l, set, file, 0, UINT64_MAX, size, shown, base_of(shown), 0);
}

/* A pipe, FIFO or terminal (`report <(...)`, the seed's `1022>fifo`):
 * copied into an unlinked temporary file first, which is then read like
 * any log. The reader maps files and needs their size. */
static int add_spooled(struct list *l, struct mstat_set *set, const char *in, FILE *msgs)
{
	char path[64], buf[1 << 16];
	int fd = open(in, O_RDONLY | O_CLOEXEC | O_NONBLOCK), out = -1, r = 0;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	uint64_t size = 0;
	ssize_t n;

	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* Opened without waiting for a writer, which a FIFO may never get:
	 * after a second without data, say what we wait for. */
	if (poll(&pf, 1, 1000) == 0 && msgs) {
		fprintf(msgs, "malloc-stat: waiting for '%s' (a pipe or FIFO): nothing written to it yet\n",
			in);
		fflush(msgs);
	}
	while (poll(&pf, 1, -1) < 0 && errno == EINTR)
		;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	out = scratch_file("input");
	if (out < 0) {
		r = out;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			r = errno ? -errno : -EIO;
			goto out;
		}
		size += (uint64_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
	r = add_file(l, set, path, in, size, msgs);
	out = -1;	/* stays open for the readers, until exit */
out:
	if (r < 0 && r != -ENOMEM && msgs) {
		fprintf(msgs, "malloc-stat: cannot read '%s': %s\n", in, strerror(-r));
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	if (out >= 0)
		close(out);
	return r;
}

bool mstat_is_log_name(const char *name, const char *prefix, size_t plen)
{
	const char *p = name + plen;

	if (strncmp(name, prefix, plen))
		return false;
	for (int field = 0; field < 3; field++) {
		if (*p++ != '.' || *p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return !*p;
}

/* The regular files of a directory, or the logs of a prefix beside it
 * (not PREFIX.out, the output a command was redirected to). */
static int add_dir(struct list *l, struct mstat_set *set, const char *dir, const char *prefix,
		   FILE *msgs, size_t *found)
{
	DIR *d = opendir(*dir ? dir : ".");
	size_t plen = prefix ? strlen(prefix) : 0, nn = 0, cap = 0;
	char **names = NULL;
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		if (prefix && !mstat_is_log_name(de->d_name, prefix, plen) &&
		    !(!strncmp(de->d_name, prefix, plen) && !strcmp(de->d_name + plen, ".nolog")))
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(names, cap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				goto out;
			}
			names = nv;
		}
		names[nn] = strdup(de->d_name);
		if (!names[nn]) {
			r = -ENOMEM;
			goto out;
		}
		nn++;
	}
	if (nn)
		qsort(names, nn, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nn && r == 0; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", names[i]) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		(*found)++;
		r = add_file(l, set, path, path, (uint64_t)st.st_size, msgs);
	}
out:
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

static int add_input(struct list *l, struct mstat_set *set, const char *in, FILE *msgs)
{
	struct stat st;
	size_t found = 0;
	int r;

	if (stat(in, &st) < 0 && errno != ENOENT) {
		/* a symlink loop, no permission, a file as a directory */
		if (msgs)
			fprintf(msgs, "malloc-stat: cannot open '%s': %s\n", in, strerror(errno));
		return 0;
	}
	if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = add_dir(l, set, in, NULL, msgs, &found);
		if (r == 0 && !found && msgs)
			fprintf(msgs, "malloc-stat: %s: no log files in this directory\n", in);
	} else if (stat(in, &st) == 0 && S_ISREG(st.st_mode)) {
		r = add_file(l, set, in, in, (uint64_t)st.st_size, msgs);
		found = 1;
	} else if (stat(in, &st) == 0) {
		r = add_spooled(l, set, in, msgs);
		found = 1;
	} else {
		char dir[PATH_MAX];
		const char *b = base_of(in);
		size_t dl = (size_t)(b - in);

		if (dl >= sizeof(dir) || !*b) {
			/* "gone/": a directory, or nothing */
			if (msgs)
				fprintf(msgs, "malloc-stat: cannot open '%s': %s\n", in,
					dl >= sizeof(dir) ? strerror(ENAMETOOLONG) :
					"no such directory, log or log prefix");
			return 0;
		}
		memcpy(dir, in, dl);
		dir[dl ? dl - 1 : 0] = '\0';
		if (dl == 1)
			strcpy(dir, "/");
		r = add_dir(l, set, dir, b, msgs, &found);
		if ((r == 0 && !found) || r == -ENOENT) {
			if (msgs)
				fprintf(msgs, "malloc-stat: cannot open '%s': no such directory, log or log prefix\n",
					in);
			r = 0;
		}
	}
	if (r < 0 && r != -ENOMEM && msgs) {
		fprintf(msgs, "malloc-stat: cannot read '%s': %s\n", in, strerror(-r));
		r = 0;
	}
	return r;
}

/* ---- reading ---- */

static void read_item(struct job *j, struct item *it, struct mstat_blocks *tab, char *buf)
{
	struct mstat_image *im = &j->set->img[it->slot];
	int fd = open(it->file, O_RDONLY | O_CLOEXEC);
	uint64_t len = it->len, moff, delta;
	struct stat st;
	void *map;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0) {
		mstat_diag_add(&im->diag, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (len == UINT64_MAX)
		len = (uint64_t)st.st_size;
	if (!len) {
		r = mstat_parse_stacks(im, "", 0, tab, j->db);
		goto out;
	}
	if (len <= SMALL_FILE && buf) {
		/* Most logs of a build are small: one read beats mapping. */
		ssize_t n = pread(fd, buf, len, (off_t)it->off);

		if (n < 0) {
			mstat_diag_add(&im->diag, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		r = mstat_parse_stacks(im, buf, (size_t)n, tab, j->db);
		goto parsed;
	}
	moff = it->off & ~(uint64_t)4095;
	delta = it->off - moff;
	map = mmap(NULL, len + delta, PROT_READ, MAP_PRIVATE, fd, (off_t)moff);
	if (map == MAP_FAILED) {
		mstat_diag_add(&im->diag, 0, "cannot map: %s", strerror(errno));
		goto out;
	}
	(void)madvise(map, len + delta, MADV_SEQUENTIAL);
	r = mstat_parse_mapped(im, (const char *)map + delta, len, tab, j->db);
	munmap(map, len + delta);
parsed:
	if (r == -ENOMEM)
		__atomic_store_n(&j->err, r, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->done_bytes, len, __ATOMIC_RELAXED);
out:
	if (fd >= 0)
		close(fd);
	__atomic_fetch_add(&j->done, 1, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct mstat_blocks tab;
	char *buf = malloc(SMALL_FILE);	/* without it, everything is mapped */
	size_t i;

	if (mstat_blocks_init(&tab) < 0) {
		free(buf);
		__atomic_store_n(&j->err, -ENOMEM, __ATOMIC_RELAXED);
		return NULL;
	}
	while (!__atomic_load_n(&j->err, __ATOMIC_RELAXED) &&
	       (i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->nitems)
		read_item(j, &j->items[i], &tab, buf);
	mstat_blocks_free(&tab);
	free(buf);
	return NULL;
}

static int cmp_size_desc(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->size < y->size ? 1 : x->size > y->size ? -1 : (x->slot > y->slot) - (x->slot < y->slot);
}

static void progress(struct job *j, uint64_t total, double t0, bool *shown)
{
	size_t done = __atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
	uint64_t bytes = __atomic_load_n(&j->done_bytes, __ATOMIC_RELAXED);

	fprintf(stderr, "\rmalloc-stat: reading %zu/%zu logs, %llu/%llu MiB, %.1f s\033[K", done,
		j->nitems, (unsigned long long)(bytes >> 20), (unsigned long long)(total >> 20),
		now_s() - t0);
	*shown = true;
}

struct ident {
	dev_t dev;
	ino_t ino;
	size_t i;
};

static int cmp_ident(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Marks the inputs that name the same file as an earlier one (said on
 * msgs): a FIFO read twice would wait for a second writer forever. */
static int mark_repeats(char *const *inputs, size_t n, bool *again, FILE *msgs)
{
	struct ident *v = malloc((n + 1) * sizeof(*v));
	size_t m = 0;
	struct stat st;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (stat(inputs[i], &st) == 0)
			v[m++] = (struct ident){ st.st_dev, st.st_ino, i };
	if (m)
		qsort(v, m, sizeof(*v), cmp_ident);
	for (size_t k = 1, first = 0; k < m; k++) {
		if (v[k].dev != v[first].dev || v[k].ino != v[first].ino) {
			first = k;
			continue;
		}
		again[v[k].i] = true;
		if (msgs)
			fprintf(msgs, "malloc-stat: '%s' is '%s' again: read once\n", inputs[v[k].i],
				inputs[v[first].i]);
	}
	free(v);
	return 0;
}

int mstat_load(struct mstat_set *set, char *const *inputs, size_t ninputs,
	       const struct mstat_load_opts *o)
{
	struct list l = { 0 };
	struct job j = { .set = set, .db = o->stacks };
	pthread_t tid[8];
	unsigned nt = o->threads, started = 0;
	uint64_t total = 0;
	double t0 = now_s(), last = 0, c0 = cpu_s();
	bool shown = false, *again;
	int r = 0;

	again = calloc(ninputs + 1, sizeof(*again));
	r = again ? mark_repeats(inputs, ninputs, again, o->msgs) : -ENOMEM;
	for (size_t i = 0; i < ninputs && r == 0; i++)
		if (!again[i])
			r = add_input(&l, set, inputs[i], o->msgs);
	free(again);
	if (r < 0)
		goto out;
	set->ninputs = l.n;
	if (!nt) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		nt = c > 0 ? (unsigned)c : 1;
	}
	if (nt > 8)
		nt = 8;
	if (nt > l.n)
		nt = l.n ? (unsigned)l.n : 1;
	set->threads = nt;
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_size_desc);
	for (size_t i = 0; i < l.n; i++)
		total += l.v[i].size == UINT64_MAX ? 0 : l.v[i].size;
	j.items = l.v;
	j.nitems = l.n;
	for (unsigned i = 0; i < nt; i++) {
		if (pthread_create(&tid[i], NULL, worker, &j) != 0)
			break;
		started++;
	}
	if (!started)
		worker(&j);
	while (o->progress && started && __atomic_load_n(&j.done, __ATOMIC_ACQUIRE) < l.n &&
	       !__atomic_load_n(&j.err, __ATOMIC_RELAXED)) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (now_s() - t0 > 0.5 && now_s() - last > 0.2) {
			progress(&j, total, t0, &shown);
			last = now_s();
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (shown)
		fprintf(stderr, "\r\033[K");
	r = j.err;
	set->seconds = now_s() - t0;
	set->cpu_seconds = cpu_s() - c0;
	if (r < 0)
		goto out;
	const char *first_empty = NULL;

	for (size_t i = 0; i < set->n; i++) {
		struct mstat_image *im = &set->img[i];

		if (o->msgs)
			mstat_diag_print(&im->diag, o->msgs, im->path, im->line0);
		set->problems += im->diag.count;
		set->bytes += im->size;
		set->lines += im->lines;
		if (im->valid)
			set->nvalid++;
		else
			set->bad_inputs++;
		if (im->empty && !set->empty++)
			first_empty = im->path;
	}
	/* A process killed while it created its log (a build's `timeout`, a
	 * test killing its child at once) leaves an empty file: one line for
	 * them all, not a problem of any log. */
	if (set->empty && o->msgs)
		fprintf(o->msgs, "malloc-stat: %zu empty log%s (processes that ended before writing their first line, killed at start most likely), such as %s\n",
			set->empty, set->empty > 1 ? "s" : "", first_empty);
	if (!set->nvalid) {
		if (o->msgs && set->n)
			fprintf(o->msgs, "malloc-stat: no readable logs among %zu files\n", set->n);
		r = -ENOENT;
	}
out:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].file);
	free(l.v);
	return r;
}
