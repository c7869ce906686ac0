/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Life cycle of struct mstat_image and the two names people see for it:
 * the command it groups under and its printable command line.
 */
#include "image.h"

#include <stdlib.h>
#include <string.h>

void mstat_image_init(struct mstat_image *im)
{
	memset(im, 0, sizeof(*im));
	im->parent = -1;
	im->first_child = -1;
	im->next_sibling = -1;
	im->proc = -1;
}

void mstat_image_free(struct mstat_image *im)
{
	free(im->path);
	free(im->name);
	free(im->src);
	free(im->origin_file);
	free(im->exe);
	free(im->cwd);
	free(im->host);
	free(im->boot);
	free(im->argv);
	free(im->exec_path);
	free(im->samples);
	free(im->forks);
	for (size_t i = 0; i < im->nspawns; i++)
		free(im->spawns[i].path);
	free(im->spawns);
	mstat_image_init(im);
}

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');

	return b && b[1] ? b + 1 : s;
}

const char *mstat_image_command(const struct mstat_image *im)
{
	if (im->argc && im->argv[0])
		return base_name(im->argv);
	if (im->exe && *im->exe)
		return base_name(im->exe);
	return "?";
}

static bool needs_quotes(const char *a)
{
	if (!*a)
		return true;
	for (; *a; a++)
		if (strchr(" \t\n'\"\\$`*?;&|<>()", *a) || (unsigned char)*a < 0x20 || *a == 0x7f)
			return true;
	return false;
}

/* Appends s (quoted when the shell would need it, control characters as
 * \n, \t or \xHH: never raw to a terminal) while it fits before lim;
 * false when it did not fit whole. */
static bool put_arg(char *buf, size_t *n, size_t lim, const char *s, bool quote)
{
	static const char hex[] = "0123456789abcdef";
	bool q = quote && needs_quotes(s);

	if (q && *n >= lim)
		return false;
	if (q)
		buf[(*n)++] = '\'';
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char e[4];
		size_t l = 1;

		if (*c == '\'' && q) {
			memcpy(e, "'\\''", l = 4);
		} else if (*c == '\n' || *c == '\t') {
			e[0] = '\\';
			e[1] = *c == '\n' ? 'n' : 't';
			l = 2;
		} else if (*c < 0x20 || *c == 0x7f) {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[*c >> 4];
			e[3] = hex[*c & 15];
			l = 4;
		} else {
			e[0] = (char)*c;
		}
		if (*n + l > lim)
			return false;
		memcpy(buf + *n, e, l);
		*n += l;
	}
	if (q && *n >= lim)
		return false;
	if (q)
		buf[(*n)++] = '\'';
	return true;
}

size_t mstat_text_escape(char *buf, size_t cap, const char *s)
{
	size_t n = 0;

	if (!put_arg(buf, &n, cap - 1, s, false) && cap > 4) {
		n = n > cap - 4 ? cap - 4 : n;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return n;
}

/* Arguments from the first, each NUL-terminated, argc of them (the
 * executable alone when there is no command line). */
static const char *first_arg(const struct mstat_image *im, unsigned *argc)
{
	*argc = im->argc ? im->argc : im->exe ? 1u : 0u;
	return im->argc ? im->argv : im->exe;
}

/* Joins args [from, argc) after what buf holds, cut to lim with "...". */
static size_t join_args(char *buf, size_t n, size_t lim, const char *a, unsigned from,
			unsigned argc)
{
	bool cut = false;

	for (unsigned i = 0; i < argc; i++, a += strlen(a) + 1) {
		if (i < from)
			continue;
		if (n && n < lim)
			buf[n++] = ' ';
		if (!put_arg(buf, &n, lim, a, true) || (n >= lim && i + 1 < argc)) {
			cut = true;
			break;
		}
	}
	if (cut) {
		n = n > lim - 3 ? lim - 3 : n;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return n;
}

size_t mstat_image_cmdline(const struct mstat_image *im, char *buf, size_t cap, size_t max)
{
	unsigned argc;
	const char *a = first_arg(im, &argc);

	return join_args(buf, 0, max < cap - 1 ? max : cap - 1, a ? a : "", 0, argc);
}

/* ---- the arguments that name the job ---- */

enum job_kind {
	JOB_OTHER,
	JOB_COMPILER,		/* cc1, cc1plus, lto1: the source file */
	JOB_DRIVER,		/* cc, gcc, g++, clang: the sources, else the output */
	JOB_OUTPUT,		/* as, ld, collect2: the output */
	JOB_MAKE,		/* make: -C, -f and the targets */
};

/* "x86_64-linux-gnu-gcc-12" is gcc: a version suffix and a target prefix
 * go. */
static enum job_kind job_kind(const char *base)
{
	static const struct { const char *name; enum job_kind kind; } known[] = {
		{ "cc1", JOB_COMPILER }, { "cc1plus", JOB_COMPILER }, { "cc1obj", JOB_COMPILER },
		{ "cc1objplus", JOB_COMPILER }, { "lto1", JOB_COMPILER }, { "f951", JOB_COMPILER },
		{ "cc", JOB_DRIVER }, { "gcc", JOB_DRIVER }, { "g++", JOB_DRIVER },
		{ "c++", JOB_DRIVER }, { "clang", JOB_DRIVER }, { "clang++", JOB_DRIVER },
		{ "gfortran", JOB_DRIVER }, { "c89", JOB_DRIVER }, { "c99", JOB_DRIVER },
		{ "as", JOB_OUTPUT }, { "ld", JOB_OUTPUT }, { "ld.bfd", JOB_OUTPUT },
		{ "ld.gold", JOB_OUTPUT }, { "ld.lld", JOB_OUTPUT }, { "gold", JOB_OUTPUT },
		{ "collect2", JOB_OUTPUT }, { "mold", JOB_OUTPUT }, { "lld", JOB_OUTPUT },
		{ "make", JOB_MAKE }, { "gmake", JOB_MAKE },
	};
	size_t len = strlen(base);
	const char *dash, *name = base;

	/* "-12", "-12.2" */
	dash = memrchr(base, '-', len);
	if (dash && dash[1] >= '0' && dash[1] <= '9' && strspn(dash + 1, "0123456789.") == strlen(dash + 1))
		len = (size_t)(dash - base);
	dash = memrchr(base, '-', len);
	if (dash)
		name = dash + 1;
	len -= (size_t)(name - base);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == len && !memcmp(known[i].name, name, len))
			return known[i].kind;
	return JOB_OTHER;
}

/* Options of compilers, drivers and linkers whose value is the next
 * argument. */
static bool takes_value(const char *opt, enum job_kind kind)
{
	static const char *const cc[] = {
		"-o", "-x", "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-iquote",
		"-idirafter", "-iprefix", "-iwithprefix", "-isysroot", "-imultiarch", "-imultilib",
		"--sysroot", "-MF", "-MT", "-MQ", "-MD", "-MMD", "-dumpbase", "-dumpbase-ext",
		"-dumpdir", "-auxbase", "-auxbase-strip", "-aux-info", "-main-file-name", "-Xlinker",
		"-Xassembler", "-Xpreprocessor", "-T", "-u", "-e", "-z", "-L", "-l", "-B", "-G",
		"-plugin", "-plugin-opt", "-m", "-soname", "-h", "-rpath", "-dynamic-linker",
		"--dynamic-linker", "-A", "-y", "-Y", NULL,
	};
	static const char *const make[] = {
		"-C", "-f", "-I", "-o", "-W", "--directory", "--file", "--makefile",
		"--include-dir", "--old-file", "--what-if", "--new-file", "--assume-old",
		"--assume-new", NULL,
	};

	for (const char *const *v = kind == JOB_MAKE ? make : cc; *v; v++)
		if (!strcmp(opt, *v))
			return true;
	return false;
}

static bool is_source(const char *a)
{
	static const char *const ext[] = {
		"c", "cc", "cp", "cxx", "cpp", "CPP", "c++", "C", "i", "ii", "m", "mi", "mm", "M",
		"mii", "s", "S", "sx", "f", "for", "ftn", "F", "f90", "f95", "f03", "f08", "F90",
		"F95", "F03", "F08", "d", "go", "adb", "ads", NULL,
	};
	const char *dot = strrchr(a, '.');

	if (!dot || dot == a || strchr(dot, '/'))
		return false;
	for (const char *const *e = ext; *e; e++)
		if (!strcmp(dot + 1, *e))
			return true;
	return false;
}

/* Which arguments of argv (bit per index, first 64) name the job. */
static uint64_t job_args(enum job_kind kind, const char *a, unsigned argc)
{
	uint64_t keys = 0, out = 0;
	const char *prev = a;
	bool value = false;

	a += strlen(a) + 1;
	for (unsigned i = 1; i < argc && i < 64; i++, prev = a, a += strlen(a) + 1) {
		bool opt = a[0] == '-' && a[1];

		if (value) {
			value = false;
			if (kind == JOB_MAKE && (keys & (1ull << (i - 1))))
				keys |= 1ull << i;	/* the directory or makefile */
			else if (kind != JOB_MAKE && !strcmp(prev, "-o") && !out)
				out = 3ull << (i - 1);	/* "-o FILE", the first */
			continue;
		}
		if (opt) {
			value = takes_value(a, kind);
			/* make -j 4, -l 2: optional numbers */
			if (kind == JOB_MAKE && (!strcmp(a, "-j") || !strcmp(a, "-l")) && i + 1 < argc) {
				const char *nx = a + strlen(a) + 1;

				value = strspn(nx, "0123456789.") == strlen(nx) && *nx;
			}
			if (kind == JOB_MAKE && (!strcmp(a, "-C") || !strcmp(a, "-f")))
				keys |= 1ull << i;
			if (kind == JOB_MAKE && (!strncmp(a, "--directory=", 12) ||
						 !strncmp(a, "--file=", 7) || !strncmp(a, "-C", 2) ||
						 (!strncmp(a, "-f", 2) && a[2])))
				keys |= 1ull << i;
			continue;
		}
		if (kind == JOB_MAKE) {
			if (!strchr(a, '='))
				keys |= 1ull << i;	/* a target */
		} else if (kind != JOB_OUTPUT && is_source(a)) {
			keys |= 1ull << i;
			if (kind == JOB_COMPILER)
				break;	/* cc1 compiles one file */
		}
	}
	if (!keys && kind != JOB_COMPILER && kind != JOB_MAKE)
		keys = out;	/* a link, an assembly: what it makes */
	return keys;
}

size_t mstat_image_label(const struct mstat_image *im, char *buf, size_t cap, size_t max)
{
	unsigned argc;
	const char *a = first_arg(im, &argc), *base = mstat_image_command(im);
	size_t lim = max < cap - 1 ? max : cap - 1, n = 0, name_len;
	enum job_kind kind = job_kind(base);
	uint64_t keys = kind == JOB_OTHER || !a ? 0 : job_args(kind, a, argc);

	put_arg(buf, &n, lim, base, true);
	name_len = n;
	if (!a || argc < 2 || !keys)
		return join_args(buf, n, lim, a ? a + strlen(a) + 1 : "", 0, argc ? argc - 1 : 0);
	/* The name and the keys; too long, the longest key keeps its end
	 * from a '/' on: "cc1 .../src/x.c", "ld -o .../obj/prog". */
	char tmp[1024];
	size_t k = 0, at[8], len[8], nk = 0, longest = 0;

	a += strlen(a) + 1;
	for (unsigned i = 1; i < argc && i < 64; i++, a += strlen(a) + 1) {
		if (!(keys & (1ull << i)))
			continue;
		if (nk == 8 || k + 1 >= sizeof(tmp))
			break;
		tmp[k++] = ' ';
		at[nk] = k;
		if (!put_arg(tmp, &k, sizeof(tmp) - 1, a, true))
			return join_args(buf, name_len, lim, "", 0, 0);	/* keys beyond a screen */
		len[nk] = k - at[nk];
		if (len[nk] > len[longest])
			longest = nk;
		nk++;
	}
	size_t skip = 0, over = n + k > lim ? n + k - lim : 0;

	if (over) {
		const char *key = tmp + at[longest], *cut;

		/* drop over + 3 bytes ("...") of its start, then on to a '/' */
		if (over + 3 >= len[longest])
			return join_args(buf, name_len, lim, "", 0, 0);
		skip = over + 3;
		cut = memchr(key + skip, '/', len[longest] - skip);
		if (cut && cut < key + len[longest] - 1)
			skip = (size_t)(cut - key);
	}
	for (size_t i = 0; i < nk; i++) {
		buf[n++] = ' ';
		if (skip && i == longest) {
			memcpy(buf + n, "...", 3);
			n += 3;
			memcpy(buf + n, tmp + at[i] + skip, len[i] - skip);
			n += len[i] - skip;
		} else {
			memcpy(buf + n, tmp + at[i], len[i]);
			n += len[i];
		}
	}
	buf[n] = '\0';
	return n;
}
