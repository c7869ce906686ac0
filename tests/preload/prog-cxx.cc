// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * A C++ program for the identical-output test: exceptions, aligned new,
 * containers and a thread. Under the preload it also checks through the
 * API that new, aligned new, delete and a throw are each counted once.
 */
#include <malloc-stat/api.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct alignas(64) Aligned {
	char c[100];
};

static malloc_stat_get_stat_fnptr get_stat;

#define EXPECT_DIFF(before, na, nd)                                          \
	do {                                                                 \
		malloc_stat_vars d_ = MALLOC_STAT_GET_DIFF(                  \
			before, MALLOC_STAT_GET_STAT(get_stat));             \
		if (get_stat && (d_.allocations != (na) || d_.deallocations != (nd))) { \
			std::cerr << __FILE__ << ":" << __LINE__ << ": counted " \
				  << d_.allocations << "/" << d_.deallocations \
				  << ", expected " << (na) << "/" << (nd) << "\n"; \
			std::exit(1);                                        \
		}                                                            \
	} while (0)

static int thrower(int depth)
{
	if (depth == 0)
		throw std::runtime_error("a runtime error with a long enough message");
	return thrower(depth - 1) + 1;
}

int main()
{
	get_stat = MALLOC_STAT_GET_STAT_FNPTR();

	malloc_stat_vars s = MALLOC_STAT_GET_STAT(get_stat);
	int *i = new int(42);
	EXPECT_DIFF(s, 1u, 0u);
	delete i;
	EXPECT_DIFF(s, 1u, 1u);

	s = MALLOC_STAT_GET_STAT(get_stat);
	Aligned *a = new Aligned();
	if (reinterpret_cast<uintptr_t>(a) % 64 != 0)
		return 2;
	EXPECT_DIFF(s, 1u, 0u);
	delete a;
	EXPECT_DIFF(s, 1u, 1u);

	std::vector<std::unique_ptr<Aligned[]>> arrays;
	for (int k = 1; k < 20; k++)
		arrays.emplace_back(new Aligned[k]);
	arrays.clear();

	int caught = 0;
	for (int k = 0; k < 100; k++) {
		try {
			thrower(k % 10);
		} catch (const std::runtime_error &e) {
			caught += e.what()[0] == 'a';
		}
	}
	std::cout << "caught " << caught << "\n";

	std::map<std::string, std::vector<int>> m;
	for (int k = 0; k < 2000; k++)
		m["key" + std::to_string(k % 97)].push_back(k);
	long sum = 0;
	std::thread t([&] {
		for (auto &kv : m)
			for (int v : kv.second)
				sum += v;
	});
	t.join();
	std::cout << "keys " << m.size() << " sum " << sum << "\n";
	return 0;
}
