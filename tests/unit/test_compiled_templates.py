"""Compiled templates are shared by the process's apps, and never outlive their source."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from jinja2.bccache import Bucket

from app.web.templating import CompiledTemplates


class Watched(CompiledTemplates):
    """Says, for each template an environment loads, whether compiled code was found."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[bool] = []

    def load_bytecode(self, bucket: Bucket) -> None:
        super().load_bytecode(bucket)
        self.found.append(bucket.code is not None)


def _environment(directory: Path, compiled: CompiledTemplates) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        bytecode_cache=compiled,
        auto_reload=True,
        autoescape=True,
    )


def test_a_second_app_renders_from_the_first_apps_compiled_code(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ who }}</p>")
    compiled = Watched()
    first = _environment(tmp_path, compiled)
    assert first.get_template("page.html").render(who="Ada") == "<p>Ada</p>"

    second = _environment(tmp_path, compiled)
    assert second.get_template("page.html").render(who="<b>") == "<p>&lt;b&gt;</p>"
    assert compiled.found == [False, True]


def test_an_edited_template_is_compiled_anew_not_served_stale(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>old {{ who }}</p>")
    compiled = Watched()
    assert _environment(tmp_path, compiled).get_template("page.html").render(who="A") == (
        "<p>old A</p>"
    )

    (tmp_path / "page.html").write_text("<p>new {{ who }}</p>")
    assert _environment(tmp_path, compiled).get_template("page.html").render(who="A") == (
        "<p>new A</p>"
    )
    assert compiled.found == [False, False]
