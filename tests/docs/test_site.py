"""The documentation site: it builds with ``mkdocs build --strict`` (a broken link, a page left out of the nav or
a reference mkdocstrings cannot resolve fails it), its CLI reference is generated from the typer app and holds
every command, and its Python API page renders each feature's ``__all__``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import typer.core
import typer.main
import yaml

ROOT = Path(__file__).parents[2]
MKDOCS = Path(sys.executable).with_name("mkdocs")


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hook", ROOT / "docs" / "_hooks" / "generated.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def command_paths() -> list[str]:
    """Every command of ``vision-r1``, groups and their subcommands, as typed: ``vision-r1 eval score``."""
    from vision_r1_plugins.cli.app import app

    paths: list[str] = []

    def walk(command: typer.core.TyperCommand, path: str) -> None:
        paths.append(path)
        if isinstance(command, typer.core.TyperGroup):
            context = typer.Context(command, info_name=path)
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                if sub is not None and not sub.hidden:
                    walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "vision-r1")
    return paths


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").glob("*.md"))
    in_nav = re.findall(r"([\w-]+\.md)", str(config["nav"]))
    assert sorted(in_nav) == pages
    for page in pages:
        html = site / ("index.html" if page == "index.md" else page.removesuffix(".md") + "/index.html")
        assert html.is_file(), page
    # The included files are there, not their markers.
    for page in ("examples", "data", "contributing"):
        text = (site / page / "index.html").read_text(encoding="utf-8")
        assert "<!-- include:" not in text


def test_cli_reference_is_generated_with_every_command(site: Path) -> None:
    markdown = load_hook().cli_reference()
    html = (site / "cli" / "index.html").read_text(encoding="utf-8")
    paths = command_paths()
    assert {"vision-r1 bridge", "vision-r1 eval score", "vision-r1 ptst run", "vision-r1 recipes copy"} <= set(paths)
    for path in paths[1:]:
        assert re.search(rf"^#+ `{re.escape(path)}`$", markdown, flags=re.MULTILINE), f"no section for {path}"
        assert f"<code>{path}</code>" in html, f"{path} is not on the built page"
    # The options come from the app: a flag of `ptst run` is in its section.
    assert "--dry-run" in markdown.split("`vision-r1 ptst run`", 1)[1]


def test_the_api_page_renders_every_name_of_each_feature_surface(site: Path) -> None:
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    rendered = set(re.findall(r'id="(vision_r1_plugins[\w.]*)"', html))
    assert "vision_r1_plugins.core.accounting.RowAccount" in rendered
    for package in ("reward", "bridge", "eval", "llamafactory", "verl", "ptst"):
        names = importlib.import_module(f"vision_r1_plugins.{package}").__all__
        assert "compute_score" in names if package == "reward" else names
        for name in names:
            # Under the package, or under its module's path where a module of the same name hides it.
            shown = {f"vision_r1_plugins.{package}.{name}", f"vision_r1_plugins.{package}.{name}.{name}"}
            shown.add(f"vision_r1_plugins.{package}.adapters.{name}")
            assert shown & rendered, f"vision_r1_plugins.{package}.{name} is not on the API page"


def test_an_included_file_keeps_its_text_and_loses_its_repository_links(tmp_path: Path) -> None:
    hook = load_hook()
    (tmp_path / "examples" / "verl").mkdir(parents=True)
    (tmp_path / "examples" / "verl" / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "examples" / "README.md").write_text(
        "# Examples\n\n## verl\n\nRun [the script](verl/run.sh).\n\n```bash\n# a comment in code\n```\n"
    )
    text = hook.included("examples/README.md", tmp_path)
    assert "# Examples" not in text  # the page gives the title
    assert "## verl" in text and "\n# a comment in code" in text
    assert "the script (`examples/verl/run.sh`)" in text
    (tmp_path / "examples" / "README.md").write_text("See [gone](missing.yaml).\n")
    with pytest.raises(Exception, match=r"missing\.yaml"):
        hook.included("examples/README.md", tmp_path)


def test_make_test_builds_the_docs_strictly_and_setup_installs_them() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_target = re.search(r"^test: (.*)$", makefile, flags=re.MULTILINE)
    assert test_target and "docs" in test_target.group(1).split()
    docs_recipe = re.search(r"^docs: .*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)
    assert docs_recipe and "mkdocs build --strict" in docs_recipe.group(1)
    assert "-e '.[all,dev,docs]'" in makefile
    # README's `make demo` is the command tests/test_demo.py runs.
    assert re.search(r"^demo: setup\n\t\$\(BIN\)/vision-r1 demo$", makefile, flags=re.MULTILINE)
