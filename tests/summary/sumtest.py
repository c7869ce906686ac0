# SPDX-License-Identifier: LGPL-3.0-or-later
"""What the summary tests share: summary-read.py (the independent decoder)
as `sr`, and check(), which prints a failed assertion and counts it."""
import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "sr", os.path.join(os.path.dirname(os.path.abspath(__file__)), "summary-read.py"))
sr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sr)
fails = 0


def check(cond, what):
    global fails
    if not cond:
        print("FAIL:", what)
        fails += 1
    return cond
