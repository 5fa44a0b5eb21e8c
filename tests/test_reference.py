"""The reference semantics live in the repository (`docs/reference.md`), and every
"docs/reference.md §N" the code, tests, README and BUILD_NOTES cite names one of its
sections."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"
CITATION = re.compile(r"(?:docs/reference\.md|reference) §(\d+)(?:[–-](\d+))?")


def _sections() -> set[int]:
    return {int(m) for m in re.findall(r"^## (\d+)\. ", REFERENCE.read_text(), flags=re.M)}


def _cited() -> dict[str, set[int]]:
    files = [*ROOT.glob("lossevo/**/*.py"), *ROOT.glob("experiments/*.py"), *ROOT.glob("tests/**/*.py"),
             *ROOT.glob("benchmarks/*.py"), ROOT / "README.md", ROOT / "BUILD_NOTES.md"]  # fmt: skip
    out: dict[str, set[int]] = {}
    for path in files:
        for first, last in CITATION.findall(path.read_text()):
            numbers = range(int(first), int(last or first) + 1)
            out.setdefault(str(path.relative_to(ROOT)), set()).update(numbers)
    return out


def test_the_reference_has_its_twelve_sections():
    assert _sections() == set(range(1, 13))
    text = REFERENCE.read_text()
    assert "fill_mode='reflect'" in text and "batch_per_pass" in text  # issue 20's corrections


def test_every_citation_names_a_section():
    cited = _cited()
    assert len(cited) > 20  # the code cites the reference throughout
    sections = _sections()
    unknown = {path: sorted(n - sections) for path, n in cited.items() if n - sections}
    assert unknown == {}
    assert not [p for p in cited if "SPEC §" in (ROOT / p).read_text()]  # the old, unresolvable name
