// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * C++ demangling for the symbolizer: libstdc++'s abi::__cxa_demangle
 * (elfutils keeps its own use of it private, and Debian ships libiberty
 * only as a static library without a header).
 */
#include <cstdlib>
#include <cxxabi.h>

extern "C" char *mstat_demangle(const char *name);

/* A malloc'd demangled name, or NULL when name is not a mangled C++ one. */
extern "C" char *mstat_demangle(const char *name)
{
	int status = 0;

	if (!name || name[0] != '_' || name[1] != 'Z')
		return nullptr;
	return abi::__cxa_demangle(name, nullptr, nullptr, &status);
}
