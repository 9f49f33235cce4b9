"""The docs cannot rot: the tour's documents run, and the reference pages match the code.

``python -m tests.tour`` refreshes the answers shown in docs/schema-tour.md.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import typing
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from tests.tour import FENCE, TOUR, outline, run_tour, tour_steps

from ultiroam_graphql import cli, create_app
from ultiroam_graphql.config import Settings, settings_from_mapping
from ultiroam_graphql.errors import UltiroamError
from ultiroam_graphql.schema import build_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


# -- the schema tour ---------------------------------------------------------------------------


async def test_every_document_of_the_tour_answers_as_shown() -> None:
    steps = tour_steps(TOUR.read_text(encoding="utf-8"))
    answers = await run_tour(steps)
    differences = [
        f"{step.document}\nshown:  {outline(step.expected)}\nactual: {outline(answer)}\n{answer}"
        for step, answer in zip(steps, answers, strict=True)
        if outline(answer) != outline(step.expected)
    ]
    assert not differences, "\n\n".join(differences)


def test_the_tour_visits_every_root_field() -> None:
    schema = build_schema()._schema
    visited: set[tuple[str, str]] = set()
    for step in tour_steps(TOUR.read_text(encoding="utf-8")):
        for operation in parse(step.document).definitions:
            assert isinstance(operation, OperationDefinitionNode)
            for selection in operation.selection_set.selections:
                visited.add((operation.operation.value, selection.name.value))  # type: ignore[attr-defined]
    roots = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }
    everything = {(kind, name) for kind, root in roots.items() if root for name in root.fields}
    assert everything - visited == set()


# -- the configuration reference -------------------------------------------------------------

CONFIG_DOC = DOCS / "configuration.md"
SECTION = re.compile(r"^## `(\[\[?\w+\]\]?)`$")
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|")
TOML_TYPES = {str: "string", SecretStr: "string", bool: "boolean", int: "integer", float: "float"}


def documented_keys() -> dict[str, dict[str, tuple[str, str]]]:
    """``{"[server]": {"host": ("string", '`"127.0.0.1"`')}, ...}`` from the page's tables."""
    sections: dict[str, dict[str, tuple[str, str]]] = {}
    current: dict[str, tuple[str, str]] | None = None
    for line in CONFIG_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = SECTION.match(line)
            current = sections.setdefault(heading.group(1), {}) if heading else None
        elif current is not None and (row := ROW.match(line)):
            key, kind, default = row.groups()
            assert key not in current, f"{key} documented twice"
            current[key] = (kind, default)
    return sections


def model_sections() -> dict[str, type[BaseModel]]:
    """Each table of the file and its model, read from Settings: ``[[name]]`` for arrays."""
    sections = {}
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not ...]
        model = next(
            a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)
        )
        is_array = typing.get_origin(annotation) is tuple
        sections[f"[[{name}]]" if is_array else f"[{name}]"] = model
    return sections


def toml_type(annotation: Any) -> str:
    """The TOML type a field takes, in the page's words."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not ...]
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return f"array of {toml_type(args[0])}s"
    if origin is typing.Literal:
        return toml_type(type(args[0]))
    if origin is not None:  # X | None
        (annotation,) = args
        return toml_type(annotation)
    return TOML_TYPES[annotation]


def toml_default(info: FieldInfo) -> str:
    """The default as the page writes it: a TOML literal in backticks, ``none`` or ``required``."""
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "none"
    return f"`{_literal(value)}`"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_literal(item) for item in value) + "]"


def test_every_config_key_is_documented_with_its_type_and_default() -> None:
    documented = documented_keys()
    models = model_sections()
    assert set(documented) == set(models), "a table of the config without its section, or back"
    problems = []
    for section, model in models.items():
        keys = documented[section]
        for name, info in model.model_fields.items():
            if name not in keys:
                problems.append(f"{section} {name}: not documented")
                continue
            kind, default = keys[name]
            if kind != toml_type(info.annotation):
                problems.append(f"{section} {name}: type {kind}, not {toml_type(info.annotation)}")
            if default != toml_default(info):
                problems.append(f"{section} {name}: default {default}, not {toml_default(info)}")
        problems += [
            f"{section} {k}: documented, not in the code"
            for k in keys.keys() - set(model.model_fields)
        ]
    assert not problems, "\n".join(problems)


# -- deployment, troubleshooting, links --------------------------------------------------------

DEPLOYMENT = DOCS / "deployment.md"
TROUBLESHOOTING = DOCS / "troubleshooting.md"
PENDING = {
    "graphiql.md",
    "observability.md",
    "graphql-over-http.md",
    "home-assistant.md",
    "node-red",
}
"""What other tasks write; a link to one is excused (skipped) only while it does not exist."""


def blocks(path: Path, language: str) -> list[str]:
    return [
        m.group(2)
        for m in FENCE.finditer(path.read_text(encoding="utf-8"))
        if m.group(1) == language
    ]


def test_the_systemd_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed: it checks the unit in docs/deployment.md")
    (unit,) = [block for block in blocks(DEPLOYMENT, "ini") if "[Service]" in block]
    exec_start = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.MULTILINE)
    assert exec_start is not None
    program, arguments = exec_start.groups()
    installed = Path(sys.executable).with_name("ultiroam-graphql")
    (tmp_path / "ultiroam-graphql.service").write_text(unit.replace(program, str(installed)))
    checked = subprocess.run(
        [tool, "verify", str(tmp_path / "ultiroam-graphql.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")
    # the template unit's line, for one instance per port
    (template,) = [b for b in blocks(DEPLOYMENT, "ini") if b.startswith("ExecStart=")]
    for command in (arguments, template.strip().split(" ", 1)[1]):
        args = cli._parser().parse_args(shlex.split(command.replace("%i", "8001")))
        assert args.command == "serve" and args.config == "/etc/ultiroam-graphql/ultiroam.toml"


def test_the_deployment_configs_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ULTIROAM_API_TOKENS", "OFFICE_GW_PASSWORD"):
        monkeypatch.setenv(name, "secret-for-the-test")
    snippets = [tomllib.loads(block) for block in blocks(DEPLOYMENT, "toml")]
    assert len(snippets) == 2
    for snippet in snippets:
        snippet.setdefault("gateways", [{"id": "gw", "url": "http://gw", "password": "p"}])
        snippet.setdefault("server", {})["state_dir"] = str(tmp_path)  # /var/lib/... in the page
        for gateway in snippet["gateways"]:
            gateway.pop("ca_file", None)  # a file of the reader's
        settings = settings_from_mapping(snippet, path=DEPLOYMENT)
        assert settings.server.host == "127.0.0.1"


def test_the_proxy_snippets_route_every_path_of_the_app(tmp_path: Path) -> None:
    """A route added to the app is a route the proxy examples must pass, or keep closed."""
    gateway = {"id": "gw", "url": "http://gw", "password": "p"}
    app = create_app(
        Settings.model_validate({"server": {"state_dir": str(tmp_path)}, "gateways": [gateway]})
    )
    paths = {route.path.strip("/").split("/")[0] for route in app.routes}  # type: ignore[attr-defined]
    assert {"graphql", "push", "healthz", "readyz"} <= paths
    for proxy in ("nginx", "caddy"):
        config = blocks(DEPLOYMENT, proxy)[0]
        assert {path for path in paths if not re.search(rf"[/(|]{path}\b", config)} == set(), proxy


def test_every_error_code_is_explained() -> None:
    codes = {UltiroamError.code}
    pending = [UltiroamError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            codes.add(subclass.code)
            pending.append(subclass)
    text = TROUBLESHOOTING.read_text(encoding="utf-8")
    table = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.MULTILINE)) == codes


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    """GitHub's ids for a page's headings."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_links_between_the_pages_resolve() -> None:
    pages = [ROOT / "README.md", ROOT / "examples" / "README.md", *sorted(DOCS.glob("*.md"))]
    broken, pending = [], []
    for page in pages:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            path = (page.parent / file).resolve() if file else page
            if not path.exists():
                (pending if path.name in PENDING else broken).append(
                    f"{page.relative_to(ROOT)}: {target}"
                )
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken
    linked = set(LINK.findall((DOCS / "README.md").read_text(encoding="utf-8")))
    assert {page.name for page in DOCS.glob("*.md")} - {"README.md"} <= linked
    if pending:
        pytest.skip(f"pages of other tasks not written yet: {pending}")
