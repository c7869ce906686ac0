/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * malloc-stat show: one summary log as text, for people. The header as
 * written, then what the body holds: the counters, the live blocks (the
 * largest first), requested sizes by power of two and the timeline.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "header.h"
#include "image.h"
#include "summary.h"
#include "units.h"

#define TOP_BLOCKS 20

struct blk {
	uint64_t addr, usable, req, stack;
	uint64_t at;		/* its place in the body's walk */
};

static int by_size(const void *a, const void *b)
{
	const struct blk *x = a, *y = b;

	if (x->usable != y->usable)
		return x->usable < y->usable ? 1 : -1;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

static int by_addr(const void *a, const void *b)
{
	const struct blk *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* The text part's header lines, up to the first entry, printed and read
 * as the report reads them: the body's byte offset when there is a SUMMARY line,
 * else UINT64_MAX. */
static uint64_t show_header(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	struct mstat_image im;
	uint64_t at, line = 1;

	mstat_image_init(&im);
	/* Line by line, not a NUL searched for in the whole file: a 2 GB
	 * log's header is read without reading the log. */
	while (p < end && *p == '#') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol || memchr(p, '\0', (size_t)(eol - p)))
			break;
		printf("%.*s\n", (int)(eol - p), p);
		if (line++ > 1 && eol - p > 2 && p[1] == ' ' &&
		    mstat_header_line(&im, p + 2, eol, line) == 1)
			break;	/* MAPS: the rest is addresses */
		p = eol + 1;
	}
	at = im.summary ? im.summary_off : UINT64_MAX;
	mstat_image_free(&im);
	return at;
}

/* Version 4's call-stack rows: how many, and those with live blocks (with
 * all, every one) by id; their frames are the text part's SITE entries. */
static void show_sites(const char *file, const struct mstat_summary *s, bool all)
{
	struct mstat_summary_row r;
	char why[160], b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], b3[MSTAT_UNIT_LEN];
	uint64_t used = 0, bad = 0, shown = 0;

	if (s->version < 4)
		return;
	if (s->sites_why[0]) {
		fprintf(stderr, "malloc-stat: %s:2: %s\n", file, s->sites_why);
		return;
	}
	for (uint64_t id = 1; id < s->nrows; id++) {
		int k = mstat_summary_row(s, id, &r, why, sizeof(why));

		used += k == 0;
		if (k < 0 && !bad++)
			fprintf(stderr, "malloc-stat: %s:2: %s\n", file, why);
	}
	printf("\nCall stacks: %" PRIu64 " rows written of %" PRIu64 " (%" PRIu64 " bad); clock %" PRIu64
	       ", own heap highest %s at stamp %" PRIu64 "\n", used, s->nrows ? s->nrows - 1 : 0, bad,
	       s->site_clock, mstat_bytes(b1, s->peak_heap), s->peak_stamp);
	for (uint64_t id = 1; id < s->nrows && (all || shown < TOP_BLOCKS); id++) {
		if (mstat_summary_row(s, id, &r, why, sizeof(why)))
			continue;
		if (!all && r.live_bytes < 0.5)
			continue;
		shown++;
		printf("  stack %-8" PRIu64 " %10.0f calls %10s  live %8.0f %10s  at the peak %8.0f %10s\n",
		       id, r.calls, mstat_bytes(b1, (int64_t)(r.bytes + 0.5)), r.live_calls,
		       mstat_bytes(b2, (int64_t)(r.live_bytes + 0.5)), r.peak_calls,
		       mstat_bytes(b3, (int64_t)(r.peak_bytes + 0.5)));
	}
}

static int show_body(const char *file, const char *buf, size_t len, uint64_t body_at, bool all)
{
	struct mstat_summary s;
	struct blk *v;
	char why[160], b1[MSTAT_UNIT_LEN], b2[MSTAT_UNIT_LEN], b3[MSTAT_UNIT_LEN];
	static const char *const names[6] = { "allocations", "allocated", "deallocations",
					      "deallocated", "in_use", "peak_in_use" };
	uint64_t n = 0, bytes = 0;

	if (mstat_summary_read(buf, len, body_at, &s, why, sizeof(why)) < 0) {
		fprintf(stderr, "malloc-stat: %s:2: %s\n", file, why);
		return -EINVAL;
	}
	printf("\nBody at byte %" PRIu64 ", %" PRIu64 " bytes\n", s.off, s.len);
	for (unsigned k = 0; k < 6; k++)
		if (k >= 4)	/* below zero after a reset through the API */
			printf("  %-14s %" PRId64 "\n", names[k], (int64_t)s.ctr[k]);
		else
			printf("  %-14s %" PRIu64 "\n", names[k], s.ctr[k]);
	printf("  frees of blocks it never had: %" PRIu64 " (%s)\n", s.unknown_frees,
	       mstat_bytes(b1, (int64_t)s.unknown_bytes));
	if (s.lost)
		printf("  events not recorded: %" PRIu64 "\n", s.lost);

	struct mstat_summary_walk w = { 0 };
	uint64_t e[4];

	v = malloc((s.nslots + s.nlist + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (mstat_summary_next(&s, &w, e)) {
		v[n].addr = e[0];
		v[n].usable = e[1];
		v[n].req = e[2];
		v[n].stack = e[3];
		v[n].at = n;
		n++;
	}
	/* A block caught moving between two slots shows twice, alike; one
	 * resized since the list was packed, the table's first. */
	qsort(v, n, sizeof(*v), by_addr);
	uint64_t m = 0;

	for (uint64_t i = 0; i < n; i++)
		if (!m || v[m - 1].addr != v[i].addr)
			v[m++] = v[i];
	n = m;
	for (uint64_t i = 0; i < n; i++)
		bytes += v[i].usable;
	qsort(v, n, sizeof(*v), by_size);
	printf("\nLive blocks: %" PRIu64 ", %s (table of %" PRIu64 " slots, %" PRIu64 " packed)%s\n", n,
	       mstat_bytes(b1, (int64_t)bytes), s.nslots, s.nlist,
	       !all && n > TOP_BLOCKS ? "; the largest:" : "");
	for (uint64_t i = 0; i < n && (all || i < TOP_BLOCKS); i++) {
		printf("  0x%012" PRIx64 "  %10" PRIu64 " usable  %10" PRIu64 " requested",
		       v[i].addr, v[i].usable, v[i].req);
		if (v[i].stack)
			printf("  stack %" PRIu64, v[i].stack);
		putchar('\n');
	}
	free(v);
	show_sites(file, &s, all);

	printf("\nRequested sizes (calls, bytes):\n");
	for (unsigned k = 0; k < 64; k++) {
		if (!s.hist_n[k])
			continue;
		/* Class k: the sizes with k significant bits. */
		uint64_t lo = k ? (uint64_t)1 << (k - 1) : 0, hi = k ? ((uint64_t)1 << k) - 1 : 0;

		/* Sizes are below 2^63: the last classes print at that bound. */
		if (lo > INT64_MAX)
			lo = INT64_MAX;
		if (hi > INT64_MAX)
			hi = INT64_MAX;

		printf("  %10s .. %-10s %10" PRIu64 "  %s\n", mstat_bytes(b1, (int64_t)lo),
		       mstat_bytes(b2, (int64_t)hi), s.hist_n[k],
		       mstat_bytes(b3, s.hist_bytes[k] > INT64_MAX ? INT64_MAX : (int64_t)s.hist_bytes[k]));
	}

	int64_t max = 0;
	uint64_t at = 0, t0 = s.nbins ? mstat_summary_u64(s.bins) : 0;

	for (unsigned j = 0; j < s.nbins; j++) {
		const unsigned char *b = s.bins + (size_t)j * MSTAT_SUMMARY_BIN;

		if ((int64_t)mstat_summary_u64(b + 16) > max) {
			max = (int64_t)mstat_summary_u64(b + 16);
			at = mstat_summary_u64(b);
		}
	}
	printf("\nTimeline: %u bins of %.3f ms; own heap highest %s at +%.3f s\n", s.nbins,
	       (double)s.bin_ns / 1e6, mstat_bytes(b1, max), at > t0 ? (double)(at - t0) / 1e9 : 0.0);
	if (all) {
		for (unsigned j = 0; j < s.nbins; j++) {
			const unsigned char *b = s.bins + (size_t)j * MSTAT_SUMMARY_BIN;

			printf("  +%.3f s  start %" PRId64 "  max %" PRId64 "  resident %" PRIu64 "\n",
			       (double)(mstat_summary_u64(b) - t0) / 1e9, (int64_t)mstat_summary_u64(b + 8),
			       (int64_t)mstat_summary_u64(b + 16), mstat_summary_u64(b + 24));
		}
	}
	return 0;
}

static int show_file(const char *file, bool all)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	char *buf;
	uint64_t at;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "malloc-stat: %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		fprintf(stderr, "malloc-stat: %s: %s\n", file,
			S_ISREG(st.st_mode) ? "empty file" : "not a regular file");
		close(fd);
		return -EINVAL;
	}
	buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "malloc-stat: %s: cannot map: %s\n", file, strerror(errno));
		return -errno;
	}
	if (st.st_size < 20 || memcmp(buf, "# MALLOC-STAT-LOG ", 18)) {
		fprintf(stderr, "malloc-stat: %s:1: not a malloc-stat log\n", file);
		r = -EINVAL;
	} else {
		printf("%s\n", file);
		at = show_header(buf, (size_t)st.st_size);
		if (at == UINT64_MAX)
			printf("\nAn event log (no SUMMARY line): `malloc-stat report` reads its entries.\n");
		else
			r = show_body(file, buf, (size_t)st.st_size, at, all);
	}
	munmap(buf, (size_t)st.st_size);
	return r;
}

int mstat_cmd_show(int argc, char **argv)
{
	bool all = false;
	int files = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("Usage: malloc-stat show [--all] FILE...\n\n"
			     "Prints a summary log (MALLOC_STAT_MODE=summary) as text: its header,\n"
			     "counters, the largest live blocks, requested sizes by power of two\n"
			     "and the timeline. --all lists every live block and every bin.");
			return MSTAT_EXIT_OK;
		}
		if (!strcmp(argv[i], "--all")) {
			all = true;
			continue;
		}
		if (files++)
			putchar('\n');
		bad += show_file(argv[i], all) < 0;
	}
	if (!files) {
		fputs("malloc-stat show: no file given (malloc-stat show --help)\n", stderr);
		return MSTAT_EXIT_USAGE;
	}
	return bad ? MSTAT_EXIT_NOLOGS : MSTAT_EXIT_OK;
}
