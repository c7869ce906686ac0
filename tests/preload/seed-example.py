#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Extracts the C example of the seed README, unchanged, for the build:
seed-example.py README OUTPUT.c"""
import sys

text = open(sys.argv[1], encoding='utf-8').read()
code = text.split('```c\n', 1)[1].split('```', 1)[0]
with open(sys.argv[2], 'w', encoding='utf-8') as f:
	f.write(code)
