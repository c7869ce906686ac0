/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Header lines: identity (PID, START and the parent's, the machine's
 * HOST and BOOT), the clocks at the start, where the image came from, and
 * what people recognise it by (EXE, CWD, CMDLINE). Unknown keys are from
 * newer versions: counted and skipped.
 */
#include "header.h"
#include "summary.h"

#define HEADER_ARGS_MAX (64 << 20)	/* escaped CMDLINE bytes kept (a 256 MiB stack limit allows 64 MiB of arguments) */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mstat_header_version(const char *p, const char *eol)
{
	size_t m = sizeof(MSTAT_LOG_MAGIC) - 1;
	int v = 0;

	if ((size_t)(eol - p) <= m || memcmp(p, MSTAT_LOG_MAGIC, m))
		return -EINVAL;
	for (p += m; p < eol && *p >= '0' && *p <= '9'; p++) {
		if (v > 100000)
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	/* "1", "1.2" and "1 more" are all version 1. */
	if (p < eol && *p != '.' && *p != ' ')
		return -EINVAL;
	return v;
}

char *mstat_unescape(const char *p, size_t n, bool args, size_t *len, unsigned *nargs)
{
	char *out = malloc(n + 1), *o = out;
	unsigned k = n ? 1 : 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '\\' && i + 1 < n) {
			char e = p[++i];

			c = e == 'n' ? '\n' : e == 's' && args ? ' ' : e;
			if (e != 'n' && e != 's' && e != '\\')
				*o++ = '\\';	/* not an escape: keep both */
		} else if (c == ' ' && args) {
			c = '\0';
			k++;
		}
		*o++ = c;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	if (nargs)
		*nargs = k;
	return out;
}

static bool num(const char *p, const char *eol, uint64_t *v)
{
	uint64_t x = 0;

	if (p == eol || eol - p > 19)
		return false;
	for (; p < eol; p++) {
		if (*p < '0' || *p > '9')
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	return true;
}

static int set_str(char **dst, const char *p, const char *eol)
{
	size_t len;
	char *s = mstat_unescape(p, (size_t)(eol - p), false, &len, NULL);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int origin(struct mstat_image *im, const char *v, const char *eol, uint64_t line)
{
	const char *sp;

	if (eol - v == 5 && !memcmp(v, "image", 5)) {
		im->origin = MSTAT_ORIGIN_IMAGE;
		return 0;
	}
	if (eol - v > 5 && (!memcmp(v, "fork ", 5) || !memcmp(v, "clone", 5)) &&
	    (sp = memrchr(v + 5, ' ', (size_t)(eol - v - 5))) && sp > v + 5) {
		const char *f = v + (v[1] == 'o' ? 5 : 6);
		uint64_t off;

		if (f < sp && num(sp + 1, eol, &off)) {
			int r = set_str(&im->origin_file, f, sp);

			if (r < 0)
				return r;
			im->origin = v[1] == 'o' ? MSTAT_ORIGIN_FORK : MSTAT_ORIGIN_CLONE;
			im->origin_off = off;
			return 0;
		}
	}
	mstat_diag_add(&im->diag, line, "bad ORIGIN header line");
	return 0;
}

#define KEY(s) (klen == sizeof(s) - 1 && !memcmp(p, s, sizeof(s) - 1))

/* Hexadecimal digits only, all of them. */
static bool hexnum(const char *p, const char *e, uint64_t *v)
{
	uint64_t x = 0;

	if (p == e || e - p > 16)
		return false;
	for (; p < e; p++) {
		unsigned d = (unsigned)(*p >= '0' && *p <= '9' ? *p - '0' :
					*p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : 16);

		if (d > 15)
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

int mstat_header_line(struct mstat_image *im, const char *p, const char *eol, uint64_t line)
{
	const char *sp = memchr(p, ' ', (size_t)(eol - p));
	const char *v = sp ? sp + 1 : eol;
	size_t klen = (size_t)((sp ? sp : eol) - p);
	uint64_t x, y;

	if (KEY("PID") || KEY("PPID") || KEY("START") || KEY("INHERITED")) {
		if (!num(v, eol, &x) || (p[0] == 'P' && x > INT32_MAX)) {
			mstat_diag_add(&im->diag, line, "bad %.*s header value", (int)klen, p);
			return 0;
		}
		if (KEY("PID")) {
			im->pid = (int64_t)x;
			im->has_pid = true;
		} else if (KEY("PPID")) {
			im->ppid = (int64_t)x;
		} else if (KEY("START")) {
			im->start = x;
			im->has_start = true;
		} else {
			im->inherited = x;
		}
	} else if (KEY("PSTART")) {
		/* Empty when the parent's start could not be read. */
		if (v < eol && !num(v, eol, &x))
			mstat_diag_add(&im->diag, line, "bad PSTART header value");
		else if (v < eol) {
			im->pstart = x;
			im->has_pstart = true;
		}
	} else if (KEY("TIME")) {
		const char *s2 = memchr(v, ' ', (size_t)(eol - v));

		if (!s2 || !num(v, s2, &x) || !num(s2 + 1, eol, &y)) {
			mstat_diag_add(&im->diag, line, "bad TIME header value");
			return 0;
		}
		im->wall_ns = x;
		im->mono_ns = y;
		im->has_time = true;
	} else if (KEY("HOST")) {
		return set_str(&im->host, v, eol);
	} else if (KEY("BOOT")) {
		return set_str(&im->boot, v, eol);
	} else if (KEY("ORIGIN")) {
		return origin(im, v, eol, line);
	} else if (KEY("FILE")) {
		/* Children name their parent's file by this: it survives a
		 * rename. */
		return v < eol ? set_str(&im->name, v, eol) : 0;
	} else if (KEY("EXE") || KEY("CWD")) {
		/* Paths: PATH_MAX, escaped. */
		if (eol - v > 4 * 4096) {
			mstat_diag_add(&im->diag, line, "%s longer than 16 KiB: cut", KEY("EXE") ? "EXE" : "CWD");
			eol = v + 4 * 4096;
		}
		return set_str(KEY("EXE") ? &im->exe : &im->cwd, v, eol);
	} else if (KEY("CMDLINE")) {
		size_t len;
		unsigned n;
		char *a;

		/* A command line the kernel takes is a few MB at most: a longer
		 * one is damage, and would cost the report twice its size. */
		if (eol - v > HEADER_ARGS_MAX) {
			mstat_diag_add(&im->diag, line, "CMDLINE longer than %d MiB: cut",
				       HEADER_ARGS_MAX >> 20);
			eol = v + HEADER_ARGS_MAX;
		}
		a = mstat_unescape(v, (size_t)(eol - v), true, &len, &n);

		if (!a)
			return -ENOMEM;
		free(im->argv);
		im->argv = a;
		im->argv_len = len;
		im->argc = n;
	} else if (KEY("STACKS")) {
		const char *s2 = memchr(v, ' ', (size_t)(eol - v));

		if (!s2 || !num(v, s2, &x) || !num(s2 + 1, eol, &y) || x > 1024) {
			mstat_diag_add(&im->diag, line, "bad STACKS header value");
			return 0;
		}
		im->stack_depth = (unsigned)x;
		im->stack_sample = y;
	} else if (KEY("SUMMARY")) {
		const char *s2 = memchr(v, ' ', (size_t)(eol - v));

		/* "2 OOOOOOOO": the body's start in 64-byte units; "1
		 * PPPPPPPP", in 4 KiB pages. */
		if (!s2 || !num(v, s2, &x) || (x != 1 && x != 2) || eol - s2 != 9 ||
		    !hexnum(s2 + 1, eol, &y)) {
			mstat_diag_add(&im->diag, line, "bad SUMMARY header value (a newer version?)");
			im->summary_bad = true;
			return 0;
		}
		im->summary = true;
		im->summary_off = y * (x == 1 ? MSTAT_SUMMARY_PAGE : 64);
	} else if (KEY("MAPS")) {
		return 1;
	} else if (KEY("END")) {
		/* "# END MAPS" without a MAPS: harmless */
	} else if (klen == 0 || klen > 32) {
		mstat_diag_add(&im->diag, line, "bad header line");
	} else {
		mstat_diag_add(&im->diag, line, "unknown header key '%.*s' ignored", (int)klen, p);
	}
	return 0;
}
