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
    assert found >= 150  # 161 on 2026-12-01: the check that the examples are not silently skipped


def test_the_readme_library_section_runs_as_written(monkeypatch):
    """README: "Use the statistics as a library" — the numbers shown are the package's (and R's:
    the comments name the R calls, checked in tests/test_reference_r.py)."""
    from tests.conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use the statistics as a library", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(REPO)
    test = doctest.DocTestParser().get_doctest(code, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0 and len(test.examples) >= 10
