// The compiler workload of the benchmark suite: one cc1plus run that
// includes <bits/stdc++.h> and instantiates <regex>, so that g++ -O2 -c
// makes about 7 M allocator calls (3 processes: g++, cc1plus, as).
#include <bits/stdc++.h>

std::size_t regexes(const std::string &s)
{
	std::regex r1("([a-z]+)@([a-z]+)\\.com"), r2("\\d{3}-\\d{4}");
	std::smatch m;
	std::size_t n = 0;

	if (std::regex_search(s, m, r1))
		n += m.size();
	n += std::regex_replace(s, r2, "x").size();
	std::ostringstream os;
	os << std::setw(10) << std::hex << n << std::fixed << 3.5;
	return n + os.str().size();
}

int main()
{
	std::cout << regexes("abc@def.com 555-1234") << '\n';
}
