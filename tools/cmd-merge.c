/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * `malloc-stat merge INPUTS... -o FILE`: the stitched tree as one file. A
 * node list (each image's parent, relation, and where its log sits in the
 * file) followed by the logs themselves, whole lines only, byte for byte;
 * `malloc-stat report FILE` reads it back. Format in malloc-stat(1).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "load.h"
#include "tree.h"

static const char *const rel_names[] = { "root", "fork", "clone", "spawn", "exec" };

static void merge_usage(FILE *out)
{
	fputs("Usage: malloc-stat merge [OPTIONS] PREFIX|DIR|FILE... -o FILE\n"
	      "Writes the logs of a traced run, stitched, as one file that `malloc-stat\n"
	      "report` reads back (for archiving or other tools).\n\n"
	      "  -o, --output FILE  the merged file (written whole, then renamed into place)\n"
	      "      --threads N    reader threads\n"
	      "      --quiet        no messages about problems in the logs\n"
	      "      --help\n", out);
}

/* The name on a NODE line: the rest of the line, \\ and \n escaped. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* What of an image's file goes into the merged file: its whole lines, or
 * for a summary everything up to its body's end (the NULs after the text
 * included: the reader finds the body at the same offset from the start). */
static uint64_t kept_len(const struct mstat_image *im)
{
	return im->summary_end ? im->summary_end : im->whole;
}

static int copy(FILE *f, const struct mstat_image *im)
{
	int fd = open(im->src, O_RDONLY | O_CLOEXEC);
	uint64_t moff = im->src_off & ~(uint64_t)4095, delta = im->src_off - moff;
	uint64_t len = kept_len(im);
	void *map;

	if (fd < 0)
		return -errno;
	if (!len) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, len + delta, PROT_READ, MAP_PRIVATE, fd, (off_t)moff);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	fwrite((char *)map + delta, 1, len, f);
	munmap(map, len + delta);
	return ferror(f) ? -EIO : 0;
}

static int write_merged(const struct mstat_set *set, const char *path)
{
	char tmp[PATH_MAX];
	long *ids = malloc((set->n + 1) * sizeof(*ids)), next = 0;
	uint64_t off = 0, line, nodes = 0;
	FILE *f;
	int e = 0;

	if (!ids)
		return -ENOMEM;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		free(ids);
		return -ENAMETOOLONG;
	}
	for (size_t k = 0; k < set->n; k++) {
		ids[k] = mstat_tree_shown(&set->img[k]) ? next++ : -1;
		nodes += ids[k] >= 0;
	}
	f = fopen(tmp, "we");
	if (!f) {
		free(ids);
		return -errno;
	}
	fprintf(f, "%s1\n", MSTAT_MERGE_MAGIC);
	line = nodes + 3;	/* the first line of the first log */
	for (size_t k = 0; k < set->n; k++) {
		const struct mstat_image *im = &set->img[k];

		if (ids[k] < 0)
			continue;
		fprintf(f, "# NODE %ld ", ids[k]);
		if (im->parent >= 0)
			fprintf(f, "%ld", ids[im->parent]);
		else
			fputc('-', f);
		fprintf(f, " %s ", rel_names[im->rel]);
		if (im->virt) {
			fprintf(f, "untraced %lld ", (long long)im->pid);
			if (im->has_start)
				fprintf(f, "%llu\n", (unsigned long long)im->start);
			else
				fputs("-\n", f);
			continue;
		}
		fprintf(f, "image %llu %llu %llu ", (unsigned long long)off,
			(unsigned long long)kept_len(im), (unsigned long long)line);
		put_name(f, im->name);
		fputc('\n', f);
		off += kept_len(im);
		/* A body's bytes count too: the next log's lines stay true. */
		line += im->summary_end ? im->summary_nl : im->lines;
	}
	fputs("# END NODES\n", f);
	for (size_t k = 0; k < set->n && !e; k++)
		if (ids[k] >= 0 && !set->img[k].virt)
			e = copy(f, &set->img[k]);
	if (fclose(f) != 0 && !e)
		e = -errno;
	if (!e && rename(tmp, path) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	free(ids);
	return e;
}

int mstat_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mstat_report_opts o;
	struct mstat_load_opts lo = { 0 };
	struct mstat_set set = { 0 };
	const char *out = NULL;
	int c, e, code = MSTAT_EXIT_OK;

	mstat_report_opts_init(&o);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (c == 'o') {
			out = optarg;
		} else if (c == 'h') {
			merge_usage(stdout);
			return MSTAT_EXIT_OK;
		} else if (mstat_report_opt(&o, c, optarg) <= 0) {
			merge_usage(stderr);
			return MSTAT_EXIT_USAGE;
		}
	}
	if (!out || optind == argc) {
		fprintf(stderr, "malloc-stat: merge: %s\n", !out ? "where to? (-o FILE)" : "which logs?");
		merge_usage(stderr);
		return MSTAT_EXIT_USAGE;
	}
	lo.threads = o.threads;
	lo.msgs = o.quiet ? NULL : stderr;
	e = mstat_load(&set, argv + optind, (size_t)(argc - optind), &lo);
	if (e == 0)
		e = mstat_tree_build(&set, lo.msgs);
	if (e == 0)
		e = write_merged(&set, out);
	if (e == -ENOENT && !set.nvalid) {
		code = MSTAT_EXIT_NOLOGS;
	} else if (e < 0) {
		fprintf(stderr, "malloc-stat: cannot write '%s': %s\n", out, strerror(-e));
		code = MSTAT_EXIT_NOLOGS;
	} else {
		fprintf(stderr, "malloc-stat: merged %zu %s into %s\n", set.nvalid,
			set.nvalid == 1 ? "log" : "logs", out);
	}
	mstat_set_free(&set);
	return code;
}
