/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * One Dwfl per module (each reported at bias 0, so that modules that all
 * want the same addresses, as non-PIE programs do, never collide), opened
 * when its first frame is asked for. A frame's file offset becomes an ELF
 * address through the module's PT_LOAD headers (the load bias of the
 * process is gone already: the frames were made relative when read); one
 * is subtracted to land in the call instruction. dwarf_getscopes gives the
 * chain of inlined calls; each inlined call's DW_AT_call_file/line is the
 * place in the function around it.
 */
#include "symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"

#ifdef MSTAT_HAVE_LIBDW
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
const bool mstat_symbols_available = true;
#else
const bool mstat_symbols_available = false;
#endif

char *mstat_demangle(const char *name);

struct entry {
	uint64_t off;		/* key + 1 (0: empty slot) */
	uint32_t first, n;
};

struct load {
	uint64_t off, filesz, vaddr;
};

/* The module's function symbols sorted by address: dwfl_module_addrinfo
 * scans the whole symbol table on every call. */
struct fsym {
	uint64_t addr, size;
	const char *name;	/* libdwfl's, valid while the Dwfl is */
};

struct symmod {
	bool tried, ok;
#ifdef MSTAT_HAVE_LIBDW
	Dwfl *dwfl;
	Dwfl_Module *mod;
#endif
	uint64_t bias;
	struct load *loads;
	size_t nloads;
	struct fsym *fsyms;
	size_t nfsyms;
	struct entry *ix;	/* open addressing by offset */
	size_t imask, nix;
	struct mstat_sym *syms;
	size_t nsyms, symcap;
	char **strs;		/* owned strings */
	size_t nstrs, strcap;
	size_t lookups;
};

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

const char *mstat_module_name(const struct mstat_stackdb *db, unsigned mod)
{
	if (!mod || mod >= db->nmods)
		return "?";
	return base_name(db->mods[mod].path);
}

static const char *keep(struct symmod *m, char *s)
{
	if (!s)
		return NULL;
	if (m->nstrs == m->strcap) {
		size_t cap = m->strcap ? m->strcap * 2 : 64;
		char **n = realloc(m->strs, cap * sizeof(*n));

		if (!n) {
			free(s);
			return NULL;
		}
		m->strs = n;
		m->strcap = cap;
	}
	m->strs[m->nstrs++] = s;
	return s;
}

static int add_sym(struct symmod *m, struct mstat_sym s)
{
	struct mstat_sym *n = mstat_grow(m->syms, &m->symcap, m->nsyms, sizeof(*n), 256);

	if (!n)
		return -ENOMEM;
	m->syms = n;
	m->syms[m->nsyms++] = s;
	return 0;
}

#ifdef MSTAT_HAVE_LIBDW
static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static void load_symbols(struct symmod *m);

static void open_module(struct symmod *m, const struct mstat_module *mod)
{
	struct stat st;
	Elf *elf;
	GElf_Addr bias = 0;
	size_t nph = 0;

	m->tried = true;
	/* A file rebuilt or replaced since the run would give wrong names. */
	if (mod->path[0] != '/' || stat(mod->path, &st) < 0 || (mod->inode && st.st_ino != mod->inode))
		return;
	m->dwfl = dwfl_begin(&callbacks);
	if (!m->dwfl)
		return;
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, base_name(mod->path), mod->path, -1, 0, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod || !(elf = dwfl_module_getelf(m->mod, &bias)) || elf_getphdrnum(elf, &nph) < 0)
		return;
	m->bias = bias;
	m->loads = calloc(nph + 1, sizeof(*m->loads));
	if (!m->loads)
		return;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			m->loads[m->nloads++] = (struct load){ ph.p_offset, ph.p_filesz, ph.p_vaddr };
	}
	load_symbols(m);
	m->ok = true;
}

static int cmp_fsym(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_symbols(struct symmod *m)
{
	int n = dwfl_module_getsymtab(m->mod);

	if (n <= 0 || !(m->fsyms = calloc((size_t)n, sizeof(*m->fsyms))))
		return;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		if (name && *name && addr && sym.st_shndx != SHN_UNDEF &&
		    (type == STT_FUNC || type == STT_GNU_IFUNC))
			m->fsyms[m->nfsyms++] = (struct fsym){ addr, sym.st_size, name };
	}
	qsort(m->fsyms, m->nfsyms, sizeof(*m->fsyms), cmp_fsym);
}

/* The function holding pc, or NULL. */
static const char *find_symbol(const struct symmod *m, uint64_t pc)
{
	size_t lo = 0, hi = m->nfsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->fsyms[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Aliases share an address: any of them holding pc will do. */
	for (size_t i = lo; i-- > 0 && m->fsyms[i].addr + 65536 > pc;)
		if (pc < m->fsyms[i].addr + m->fsyms[i].size)
			return m->fsyms[i].name;
	return NULL;
}

static const char *die_name(struct symmod *m, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *n = NULL;
	char *d;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		n = dwarf_formstring(&a);
	if (n && (d = mstat_demangle(n)))
		return keep(m, d);
	if (!n && dwarf_attr_integrate(die, DW_AT_name, &a))
		n = dwarf_formstring(&a);
	return n ? keep(m, strdup(n)) : NULL;
}

static bool function_like(Dwarf_Die *d)
{
	int tag = dwarf_tag(d);

	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* The inline chain at pc (an address of the module as reported). After an
 * inlined call, dwarf_getscopes goes on with the scopes of the abstract
 * definition; the function it was inlined into is found among the DIEs
 * that physically hold the inlined_subroutine (dwarf_getscopes_die). */
static size_t resolve_dwarf(struct symmod *m, Dwarf_Addr pc)
{
	Dwarf_Addr cubias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, pc, &cubias), *scopes = NULL, cur;
	Dwfl_Line *ln = dwfl_module_getsrc(m->mod, pc);
	const char *file = NULL;
	int line = 0, n, i;
	size_t made = 0;

	if (ln)
		file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);
	if (!cu || (n = dwarf_getscopes(cu, pc - cubias, &scopes)) <= 0) {
		free(scopes);
		return 0;
	}
	for (i = 0; i < n && !function_like(&scopes[i]); i++)
		;
	if (i == n) {
		free(scopes);
		return 0;
	}
	cur = scopes[i];
	free(scopes);
	for (unsigned guard = 0; guard < 256; guard++) {
		bool inl = dwarf_tag(&cur) == DW_TAG_inlined_subroutine;
		struct mstat_sym s = { die_name(m, &cur), file ? keep(m, strdup(file)) : NULL,
				       (unsigned)(line > 0 ? line : 0), inl, true };

		if (!s.func)
			s.func = "??";
		if (add_sym(m, s) < 0)
			break;
		made++;
		if (!inl)
			break;
		/* Where the function around it made this call. */
		Dwarf_Attribute a;
		Dwarf_Word fi = 0, cl = 0;
		Dwarf_Files *files;
		size_t nfiles;

		file = NULL;
		line = 0;
		if (dwarf_formudata(dwarf_attr(&cur, DW_AT_call_file, &a), &fi) == 0 &&
		    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && fi < nfiles)
			file = dwarf_filesrc(files, fi, NULL, NULL);
		if (dwarf_formudata(dwarf_attr(&cur, DW_AT_call_line, &a), &cl) == 0)
			line = (int)cl;
		n = dwarf_getscopes_die(&cur, &scopes);
		for (i = 1; i < n && !function_like(&scopes[i]); i++)
			;
		if (n <= 0 || i >= n) {
			free(scopes);
			break;
		}
		cur = scopes[i];
		free(scopes);
	}
	return made;
}
#endif

static void fallback(struct symmod *m, const struct mstat_stackdb *db, struct mstat_frame f,
		     uint64_t addr)
{
	char buf[300];

	if (f.mod)
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, mstat_module_name(db, f.mod), addr);
	else
		snprintf(buf, sizeof(buf), "0x%" PRIx64, f.off);
	add_sym(m, (struct mstat_sym){ keep(m, strdup(buf)), NULL, 0, false, false });
	if (m->syms[m->nsyms - 1].func == NULL)
		m->syms[m->nsyms - 1].func = "?";
}

/* The frame's syms appended to m. */
static void resolve(struct symmod *m, const struct mstat_stackdb *db, struct mstat_frame f)
{
	uint64_t addr = f.off;

#ifdef MSTAT_HAVE_LIBDW
	if (f.mod && !m->tried)
		open_module(m, &db->mods[f.mod]);
	if (m->ok) {
		size_t i;

		for (i = 0; i < m->nloads; i++)
			if (f.off >= m->loads[i].off && f.off < m->loads[i].off + m->loads[i].filesz)
				break;
		if (i < m->nloads) {
			Dwarf_Addr pc;
			const char *name;
			char *d;

			addr = f.off - m->loads[i].off + m->loads[i].vaddr;
			pc = addr + m->bias - 1;
			if (resolve_dwarf(m, pc))
				return;
			name = find_symbol(m, pc);
			if (name) {
				d = mstat_demangle(name);
				add_sym(m, (struct mstat_sym){ keep(m, d ? d : strdup(name)), NULL, 0,
							       false, true });
				if (!m->syms[m->nsyms - 1].func)
					m->syms[m->nsyms - 1].func = "?";
				return;
			}
		}
	}
#endif
	fallback(m, db, f, addr);
}

size_t mstat_symbolize(struct mstat_stackdb *db, struct mstat_frame f, const struct mstat_sym **out)
{
	static const struct mstat_sym none = { "?", NULL, 0, false, false };
	struct mstat_module *mod = &db->mods[f.mod < db->nmods ? f.mod : 0];
	struct symmod *m = mod->sym;
	size_t i, first;

	if (!m) {
		m = mod->sym = calloc(1, sizeof(*m));
		if (!m)
			goto nomem;
	}
	if ((m->nix + 1) * 2 > m->imask + 1 || !m->ix) {
		size_t nmask = m->ix ? m->imask * 2 + 1 : 1023;
		struct entry *nix = calloc(nmask + 1, sizeof(*nix));

		if (!nix)
			goto nomem;
		for (size_t k = 0; m->ix && k <= m->imask; k++) {
			size_t j;

			if (!m->ix[k].off)
				continue;
			for (j = (m->ix[k].off * 0x9e3779b97f4a7c15u >> 20) & nmask; nix[j].off;
			     j = (j + 1) & nmask)
				;
			nix[j] = m->ix[k];
		}
		free(m->ix);
		m->ix = nix;
		m->imask = nmask;
	}
	for (i = ((f.off + 1) * 0x9e3779b97f4a7c15u >> 20) & m->imask; m->ix[i].off;
	     i = (i + 1) & m->imask) {
		if (m->ix[i].off == f.off + 1) {
			*out = &m->syms[m->ix[i].first];
			return m->ix[i].n;
		}
	}
	first = m->nsyms;
	m->lookups++;
	resolve(m, db, f);
	if (m->nsyms == first)
		goto nomem;
	m->ix[i] = (struct entry){ f.off + 1, (uint32_t)first, (uint32_t)(m->nsyms - first) };
	m->nix++;
	*out = &m->syms[first];
	return m->nsyms - first;
nomem:
	*out = &none;
	return 1;
}

void mstat_symbols_stats(const struct mstat_stackdb *db, size_t *lookups, size_t *modules)
{
	*lookups = *modules = 0;
	for (size_t k = 0; k < db->nmods; k++) {
		const struct symmod *m = db->mods[k].sym;

		if (!m)
			continue;
		*lookups += m->lookups;
		*modules += m->tried;
	}
}

void mstat_symbols_free(struct mstat_stackdb *db)
{
	for (size_t k = 0; k < db->nmods; k++) {
		struct symmod *m = db->mods[k].sym;

		if (!m)
			continue;
#ifdef MSTAT_HAVE_LIBDW
		if (m->dwfl)
			dwfl_end(m->dwfl);
#endif
		for (size_t i = 0; i < m->nstrs; i++)
			free(m->strs[i]);
		free(m->strs);
		free(m->syms);
		free(m->ix);
		free(m->loads);
		free(m->fsyms);
		free(m);
		db->mods[k].sym = NULL;
	}
}
