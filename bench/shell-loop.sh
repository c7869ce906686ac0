#!/bin/bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# configure's pattern without the compiler: a command substitution (a bash
# fork child that execs /bin/echo) and a command run through fork and exec,
# 400 times. 1,600 process images of a few hundred allocator calls each,
# so the per-process cost of tracing dominates. Usage: shell-loop.sh [N]
n=${1:-400}
i=0
while [ $i -lt "$n" ]; do
	v=$(/bin/echo $i)
	if /bin/test -n "$v"; then :; fi
	i=$((i + 1))
done
