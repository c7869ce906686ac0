/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Stack capture. libunwind's unw_backtrace is the fastest unwinder for
 * Debian's binaries, which mostly lack frame pointers (measured: about
 * 18 ns a frame, against 270 ns for glibc's backtrace through libgcc). It is
 * dlopen'ed RTLD_LOCAL after start-up: linked normally, its _Unwind_*
 * symbols would capture the program's C++ exceptions and make each throw
 * about 25 times slower. glibc's backtrace() is the fallback.
 */
#include "stack.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <stdlib.h>

#include "counters.h"
#include "process.h"
#include "self.h"

int mstat_stack_depth;
uint64_t mstat_stack_sample;

static int (*unwind)(void **, int);
static uintptr_t self_lo, self_hi;
uintptr_t mstat_unwinder_lo, mstat_unwinder_hi;

struct tstack {
	int64_t until;		/* bytes left before the next sample */
	uint64_t rng;
};
static __thread struct tstack ts __attribute__((tls_model("initial-exec")));

static uint64_t parse_u64(const char *s)
{
	uint64_t v = 0;

	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

void mstat_stack_configure(const char *depth, const char *sample)
{
	uint64_t d = parse_u64(depth);

	mstat_stack_depth = d > MSTAT_STACK_MAX ? MSTAT_STACK_MAX : (int)d;
	mstat_stack_sample = parse_u64(sample);
}

/* The loaded segment holding at: [lo, hi). */
struct seg {
	uintptr_t at, lo, hi;
};

static int find_seg(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct seg *sg = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && sg->at >= lo && sg->at < lo + ph->p_memsz) {
			sg->lo = lo;
			sg->hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

void mstat_stack_load(void)
{
	void *h;

	if (!mstat_stack_depth || unwind)
		return;
	struct seg me = { (uintptr_t)mstat_stack_load, 0, 0 };

	dl_iterate_phdr(find_seg, &me);
	self_lo = me.lo;
	self_hi = me.hi;
	/* What dlopen allocates and maps here is ours, not the program's. */
	mstat_self_inside = 1;
	h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (h)
		unwind = (int (*)(void **, int))dlsym(h, "unw_backtrace");
	if (unwind) {
		struct seg u = { (uintptr_t)unwind, 0, 0 };

		/* Its code, before its first use opens its pipe (pipe2). */
		dl_iterate_phdr(find_seg, &u);
		mstat_unwinder_lo = u.lo;
		mstat_unwinder_hi = u.hi;
		void *warm[4];

		/* Its first use in a thread allocates (the loader's block for
		 * its TLS) in the program's heap: here, at start, not at a
		 * sampled allocation mid-run, where it would move the program's
		 * later blocks and their usable sizes. */
		unwind(warm, 4);
	} else {
		void *warm[4];

		/* backtrace() loads libgcc_s on its first call: do it now. */
		backtrace(warm, 4);
		unwind = backtrace;
	}
	mstat_self_inside = 0;
}

/* A sample every `sample` bytes on average: exponential gaps, as jemalloc
 * and heapprofd draw them, so that no allocation pattern can hide. */
static int64_t next_gap(struct tstack *t)
{
	double u, l = 0;

	if (!t->rng)
		t->rng = (uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15u | 1;
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	u = (double)((t->rng >> 11) + 1) * (1.0 / 9007199254740993.0);
	/* -ln(u) without libm: ln u = ln 2 * (exponent + log2 mantissa) */
	int e = 0;

	while (u < 0.5) {
		u *= 2;
		e--;
	}
	/* u in [0.5, 1): log2 with a short series around 1 */
	double y = (u - 1) / (u + 1), y2 = y * y;

	l = 2 * y * (1 + y2 / 3 + y2 * y2 / 5 + y2 * y2 * y2 / 7) + e * 0.6931471805599453;
	return (int64_t)(-l * (double)mstat_stack_sample) + 1;
}

bool mstat_stack_want(size_t usable)
{
	struct tstack *t = &ts;

	if (!mstat_stack_sample)
		return true;
	/* A new thread draws its first gap: sampling its first allocation
	 * at once would over-count whatever threads allocate first. Its
	 * unwinder state is made now, at this fixed point, as the main
	 * thread's is at start (mstat_stack_load). */
	if (MSTAT_UNLIKELY(!t->rng)) {
		t->until = next_gap(t);
		if (unwind && !mstat_self_inside && mstat_capture_enter()) {
			int err = errno;
			void *warm[4];

			mstat_self_inside = 1;
			unwind(warm, 4);
			mstat_self_inside = 0;
			mstat_capture_leave();
			errno = err;
		}
	}
	t->until -= (int64_t)usable;
	if (t->until > 0)
		return false;
	t->until = next_gap(t);
	return true;
}

int mstat_stack_capture(uintptr_t *frames, int max)
{
	void *raw[MSTAT_STACK_MAX + 8];
	int n, skip = 0, out = 0;

	if (!unwind || mstat_self_inside)
		return 0;
	/* The unwinder's first use in a thread allocates and maps (its
	 * caches, its TLS block): the preload's, not the program's. */
	mstat_self_inside = 1;
	n = unwind(raw, max + 8 < (int)(sizeof(raw) / sizeof(raw[0])) ? max + 8 :
		   (int)(sizeof(raw) / sizeof(raw[0])));
	mstat_self_inside = 0;
	/* Drop our own frames at the top: the stack starts at the program's
	 * call to malloc. */
	while (skip < n && (uintptr_t)raw[skip] >= self_lo && (uintptr_t)raw[skip] < self_hi)
		skip++;
	for (int i = skip; i < n && out < max; i++)
		frames[out++] = (uintptr_t)raw[i];
	return out;
}

static int count_modules(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t *sig = arg;

	sig[0] = info->dlpi_adds;
	sig[1] = info->dlpi_subs;
	return 1;
}

bool mstat_stack_modules_changed(void)
{
	static uint64_t last[2];
	uint64_t sig[2] = { 0, 0 };

	if (!mstat_stack_depth)
		return false;
	dl_iterate_phdr(count_modules, sig);
	if (sig[0] == last[0] && sig[1] == last[1])
		return false;
	last[0] = sig[0];
	last[1] = sig[1];
	return true;
}

void mstat_stack_forget(void)
{
	mstat_self_inside = 0;
	ts.until = mstat_stack_sample ? next_gap(&ts) : 0;
}
