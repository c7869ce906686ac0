/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Counts a program's stdio output calls (fwrite, fputc, putc, fputs,
 * fprintf and their unlocked forms), preloaded into malloc-stat itself:
 * the number, written to $COUNTIO_OUT at exit, tells a writer that calls
 * stdio per byte from one that calls it per run of bytes, without timing
 * anything.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long long calls;

#undef fwrite_unlocked
#undef fputc_unlocked
#undef putc
#undef putc_unlocked
#undef fputs_unlocked

/* The next definition of the function we are in. */
#define REAL(fn)                                    \
	static __typeof__(&fn) real;                \
	if (!real)                                  \
		real = (__typeof__(&fn))dlsym(RTLD_NEXT, #fn)

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	REAL(fwrite);
	calls++;
	return real(p, size, n, f);
}

size_t fwrite_unlocked(const void *p, size_t size, size_t n, FILE *f)
{
	REAL(fwrite_unlocked);
	calls++;
	return real(p, size, n, f);
}

int fputc(int c, FILE *f)
{
	REAL(fputc);
	calls++;
	return real(c, f);
}

int fputc_unlocked(int c, FILE *f)
{
	REAL(fputc_unlocked);
	calls++;
	return real(c, f);
}

int putc(int c, FILE *f)
{
	REAL(putc);
	calls++;
	return real(c, f);
}

int putc_unlocked(int c, FILE *f)
{
	REAL(putc_unlocked);
	calls++;
	return real(c, f);
}

int fputs(const char *s, FILE *f)
{
	REAL(fputs);
	calls++;
	return real(s, f);
}

int fputs_unlocked(const char *s, FILE *f)
{
	REAL(fputs_unlocked);
	calls++;
	return real(s, f);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	REAL(vfprintf);
	calls++;
	return real(f, fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	REAL(__vfprintf_chk);
	calls++;
	return real(f, flag, fmt, ap);
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("COUNTIO_OUT");
	FILE *f;

	if (!path || !(f = fopen(path, "we")))
		return;
	fprintf(f, "%llu\n", calls);
	fclose(f);
}
