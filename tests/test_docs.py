"""The guide in `docs/` and the README: every list of names in a page matches the registry it
lists, every link resolves, every launcher flag shown exists, and the README stays short.

A name list is a Markdown table right after a `<!-- names: KEY -->` line, KEY one of
`REGISTRIES`. The first column of each row holds one name in backticks; a column headed
"aliases" holds that name's aliases. The table must list every name of the registry, and
nothing else.
"""

import functools
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.glob("*.md"))
MAX_README_LINES = 200

MARKER = re.compile(r"^<!-- names: (\w+) -->$")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.M)
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
CITATION = re.compile(r"(?:docs/reference\.md|reference) §(\d+)(?:[–-](\d+))?")
LAUNCHER = re.compile(r"experiments/(\w+)\.py")
FLAG = re.compile(r"--([a-z][a-z0-9_]*)")


def _plain(names) -> dict[str, set[str]]:
    return {name: set() for name in names}


def _aliased(names, aliases: dict[str, str]) -> dict[str, set[str]]:
    out = _plain(names)
    for alias, name in aliases.items():
        out[name].add(alias)
    return out


def _losses():
    from lossevo import losses

    aliases = {alias: e.name for e in losses.catalog.ENTRIES for alias in e.aliases}
    return _aliased(losses.names(), aliases)


def _surrogates():
    from lossevo import fitness

    return _aliased(fitness.SURROGATES, fitness.ALIASES)


def _pairings():
    from lossevo import fitness

    return _plain(fitness.PAIRINGS)


def _recipes():
    from lossevo.training import recipes

    return _aliased(recipes.RECIPES, recipes.ALIASES)


def _datasets():
    from lossevo.data import sources

    return _plain(sources.LOADERS)


def _techniques():
    from lossevo.data import pipelines

    return _plain(pipelines.technique_names())


def _phase_tables():
    from lossevo.data import progressive

    return _plain(progressive.PHASE_TABLES)


def _models():
    from lossevo import models

    return _plain(models.names())


def _configs():
    from lossevo import configs

    return _plain(configs.names())


def _representations():
    from lossevo import space

    # lossevo's own kinds only: a test may have registered one of its own in this process.
    return _plain(k for k in space.kinds() if space.get(k).from_dict.__module__.startswith("lossevo."))


def _protocols():
    from lossevo.analysis import protocols

    return _plain(protocols.PROTOCOLS)


def _final_protocols():
    from lossevo.analysis import evaluation

    return _plain(evaluation.FINAL_PROTOCOLS)


def _code_settings():
    from lossevo.analysis import evaluation

    return _plain(evaluation.CODE_SETTINGS)


def _published_tables():
    from lossevo.analysis import published

    return _plain(published.TABLES)


def _reproductions():
    from lossevo.analysis import reproduce

    return _plain(reproduce.REPRODUCTIONS)


REGISTRIES = {
    "losses": _losses,
    "surrogates": _surrogates,
    "pairings": _pairings,
    "recipes": _recipes,
    "datasets": _datasets,
    "techniques": _techniques,
    "phase_tables": _phase_tables,
    "models": _models,
    "configs": _configs,
    "representations": _representations,
    "protocols": _protocols,
    "final_protocols": _final_protocols,
    "code_settings": _code_settings,
    "published_tables": _published_tables,
    "reproductions": _reproductions,
}


def _rel(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT))


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _name_tables() -> list[tuple[str, str, list[list[str]]]]:
    """(page, key, rows of cells, the header first) of every name list in `docs/`."""
    found = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            match = MARKER.match(line.strip())
            if match:
                rows = []
                for row in lines[i + 1 :]:
                    if not row.startswith("|"):
                        break
                    rows.append(_cells(row))
                found.append((_rel(page), match.group(1), rows))
    return found


def _listed(page: str, rows: list[list[str]]) -> dict[str, set[str]]:
    """name -> aliases, as a table lists them."""
    assert len(rows) >= 3, f"{page}: a names marker must be followed by a table with rows"
    header, separator, body = rows[0], rows[1], rows[2:]
    assert all(set(cell) <= set("-:") for cell in separator), f"{page}: no table after the marker"
    alias_column = header.index("aliases") if "aliases" in header else None
    listed: dict[str, set[str]] = {}
    for cells in body:
        assert len(cells) == len(header), f"{page}: row {cells} has {len(cells)} cells, not {len(header)}"
        names = CODE_SPAN.findall(cells[0])
        assert len(names) == 1, f"{page}: the first cell of {cells} must hold one `name`"
        assert names[0] not in listed, f"{page}: {names[0]} is listed twice"
        listed[names[0]] = set(CODE_SPAN.findall(cells[alias_column])) if alias_column is not None else set()
    return listed


@pytest.mark.parametrize("key", sorted(REGISTRIES))
def test_each_name_list_matches_its_registry(key):
    tables = [(page, rows) for page, k, rows in _name_tables() if k == key]
    assert tables, f"no page in docs/ lists the {key} (a table after '<!-- names: {key} -->')"
    expected = REGISTRIES[key]()
    for page, rows in tables:
        listed = _listed(page, rows)
        missing, unknown = sorted(set(expected) - set(listed)), sorted(set(listed) - set(expected))
        assert not missing and not unknown, f"{page}, {key}: missing {missing}, not in the registry {unknown}"
        wrong = {n: (sorted(listed[n]), sorted(expected[n])) for n in expected if listed[n] != expected[n]}
        assert not wrong, f"{page}, {key}: aliases (listed, registry) differ: {wrong}"


def test_every_names_marker_names_a_registry():
    unknown = [(page, key) for page, key, _ in _name_tables() if key not in REGISTRIES]
    assert not unknown, f"markers of no registry (known: {', '.join(REGISTRIES)}): {unknown}"


def test_the_readme_is_short():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail to docs/"


def test_the_readme_links_every_docs_page():
    linked = {
        (README.parent / target.split("#")[0]).resolve()
        for target in LINK.findall(README.read_text(encoding="utf-8"))
        if target.startswith("docs/")
    }
    assert PAGES, "docs/ has no pages"
    missing = [_rel(p) for p in PAGES if p.resolve() not in linked]
    assert not missing, f"README.md does not link {missing}"
    absent = sorted(_rel(p) for p in linked if not p.exists())
    assert not absent, f"README.md links pages that do not exist: {absent}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = CODE_SPAN.sub(r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: pathlib.Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(h) for h in HEADING.findall(text)}


@pytest.mark.parametrize("path", [README, *PAGES], ids=_rel)
def test_relative_links_resolve(path):
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{_rel(path)}: broken links {broken}"


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_reference_citations_in_docs_name_a_section(path):
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", (DOCS / "reference.md").read_text(), flags=re.M)}
    text = path.read_text(encoding="utf-8")
    cited = {n for first, last in CITATION.findall(text) for n in range(int(first), int(last or first) + 1)}
    assert cited <= sections, f"{_rel(path)} cites sections the reference lacks: {sorted(cited - sections)}"
    assert not re.search(r"reference\.md\s*\n\s*§", text), f"{_rel(path)}: a citation broken across lines"


@functools.cache
def _launcher_flags(name: str) -> set[str]:
    """The flags the launcher defines, as absl has them once its module is imported in a
    fresh Python, which imports no TensorFlow (so a bad flag is reported at once)."""
    code = ("import sys; sys.path.insert(0, 'experiments'); import importlib; from absl import flags; "
            f"importlib.import_module({name!r}); print(' '.join(flags.FLAGS)); assert 'tensorflow' not in sys.modules")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(out.stdout.split())


def _commands(text: str) -> list[str]:
    """The lines of the fenced blocks, a trailing `\\` joining the next."""
    blocks = "\n".join(FENCE.findall(text))
    return [line for line in blocks.replace("\\\n", " ").splitlines() if line.strip()]


@pytest.mark.parametrize("path", [README, *PAGES], ids=_rel)
def test_launcher_commands_use_flags_the_launchers_define(path):
    text = path.read_text(encoding="utf-8")
    launchers = {p.stem for p in (ROOT / "experiments").glob("*.py")}
    unknown = []
    for line in _commands(text):
        command = line.split(" #")[0]
        match = LAUNCHER.search(command)
        if match:
            assert match.group(1) in launchers, f"{_rel(path)}: no launcher experiments/{match.group(1)}.py"
            defined = _launcher_flags(match.group(1))
            unknown += [
                f"{match.group(1)} --{f}" for f in FLAG.findall(command[match.end() :]) if f not in defined
            ]
    every = set().union(*(_launcher_flags(name) for name in launchers))
    prose = FENCE.sub("", text)
    spans = [span for span in CODE_SPAN.findall(prose) if span.startswith("--")]  # `--small`, `--batched_k=K`
    unknown += [f"--{f}" for span in spans for f in FLAG.findall(span) if f not in every]
    assert not unknown, f"{_rel(path)}: flags no launcher defines: {unknown}"


def test_the_readme_keeps_the_two_set_up_commands():
    """The main job offline, and the test command that `.ci/run` runs."""
    text = README.read_text(encoding="utf-8")
    assert '.venv/bin/pip install -e ".[dev]"' in text
    assert ".venv/bin/python experiments/evolve.py --workdir=runs/search --small" in text
    test_command = "-m pytest -q -n 2 --dist loadfile tests"
    assert f".venv/bin/python {test_command}" in text
    assert test_command in (ROOT / ".ci" / "run").read_text(), (
        ".ci/run no longer runs the README's test command"
    )
