"""The examples in the package's docstrings run and show what they say (doctest)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
import rapportage

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(rapportage.__path__, "rapportage."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_examples_are_found():
    finder = doctest.DocTestFinder()
    found = sum(len(t.examples) for n in MODULES for t in finder.find(importlib.import_module(n)))
    assert found >= 15  # 19 on 2026-12-01: the check that the examples are not silently skipped
