// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * C++ exceptions under the preload with stacks on must still unwind through
 * libgcc_s: prints the object that provides _Unwind_RaiseException to the
 * program, and throws and catches to show it works.
 */
#include <dlfcn.h>
#include <cstdio>
#include <stdexcept>
#include <string>

int main()
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "_Unwind_RaiseException");
	int caught = 0;

	for (int i = 0; i < 1000; i++) {
		try {
			throw std::runtime_error(std::string(64, 'x'));
		} catch (const std::exception &e) {
			caught += e.what()[0] == 'x';
		}
	}
	if (!sym || !dladdr(sym, &info)) {
		std::puts("unwinder: none");
		return 1;
	}
	std::printf("unwinder: %s\ncaught: %d\n", info.dli_fname, caught);
	return 0;
}
