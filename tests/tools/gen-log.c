/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Writes synthetic logs for the parse benchmark: FILES per-process logs of
 * about MB megabytes in all, with the preload's entry mix (mostly malloc
 * and free, some realloc and calloc, a TIME entry every few hundred) and a
 * bounded live set, so that reading them exercises the parser and the
 * block table as a big build would.
 *
 *   gen-log DIR FILES MB
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE 4096

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	unsigned files;
	uint64_t per;

	if (argc != 4) {
		fprintf(stderr, "usage: gen-log DIR FILES MB\n");
		return 2;
	}
	files = (unsigned)atoi(argv[2]);
	per = (uint64_t)atoll(argv[3]) * 1000000 / (files ? files : 1);
	for (unsigned f = 0; f < files; f++) {
		static uint64_t addr[LIVE], size[LIVE];
		uint64_t t = 1000000000000ull + f * 4000000ull, base = 0x55d94d790000ull, n = 0;
		char path[4096];
		FILE *o;
		long pos = 0;

		snprintf(path, sizeof(path), "%s/log.%u.1700000000.0", argv[1], 1000 + f);
		o = fopen(path, "w");
		if (!o) {
			fprintf(stderr, "gen-log: cannot write '%s': %s\n", path, strerror(errno));
			return 1;
		}
		fprintf(o, "# MALLOC-STAT-LOG 1\n# PID %u\n# PPID %u\n# START %u\n# PSTART 100\n"
			   "# TIME 1700000000000000000 %llu\n# ORIGIN image\n# FILE log.%u.1700000000.0\n"
			   "# EXE /usr/bin/gen\n# CWD /tmp\n# CMDLINE gen %u\n# MAPS\n# END MAPS\n+ INIT 0 0x0\n-\n",
			f ? 1000 + f : 1000, f ? 1000 : 1, 200 + f, (unsigned long long)t, 1000 + f, f);
		memset(addr, 0, sizeof(addr));
		while (pos < (long)per) {
			unsigned i = (unsigned)(next() % LIVE), k = (unsigned)(next() % 16);

			if (++n % 300 == 0) {
				t += 4000000;
				fprintf(o, "+ TIME %llu 0x0\n-\n", (unsigned long long)t);
			}
			if (addr[i] && k < 7) {
				fprintf(o, "+ free %llu 0x%llx\n-\n", (unsigned long long)size[i],
					(unsigned long long)addr[i]);
				addr[i] = 0;
			} else if (addr[i] && k < 8) {
				uint64_t req = next() % 2000;
				uint64_t na = base + ((uint64_t)i << 24) + (next() % (1u << 16)) * 16;
				uint64_t us = (req + 23) & ~15ull;

				fprintf(o, "+ realloc-realloc %llu 0x%llx %llu 0x%llx %llu\n-\n",
					(unsigned long long)req, (unsigned long long)na,
					(unsigned long long)us, (unsigned long long)addr[i],
					(unsigned long long)size[i]);
				addr[i] = na;
				size[i] = us;
			} else if (!addr[i]) {
				uint64_t req = next() % (k < 15 ? 256 : 65536);

				size[i] = (req + 23) & ~15ull;
				/* Unique addresses: a slot owns its stripe. */
				addr[i] = base + ((uint64_t)i << 24) + (next() % (1u << 16)) * 16;
				fprintf(o, "+ %s %llu 0x%llx %llu\n-\n", k == 3 ? "calloc" : "malloc",
					(unsigned long long)req, (unsigned long long)addr[i],
					(unsigned long long)size[i]);
			}
			pos = ftell(o);
		}
		fclose(o);
	}
	return 0;
}
