"""Generated completion code: an object's fields completed by one Python function.

Each field gives its completion as template lines (``Code``); ``generate`` joins them into the
source of one function and compiles it. The source holds this package's templates and Python
identifiers only: response names (client aliases) appear as ``repr`` literals, and every value
the code uses comes through its namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Code", "call", "generate"]


@dataclass(frozen=True, slots=True)
class Code:
    """A field's completion as straight-line source: it sets ``{out}`` from ``{src}``.

    ``{p}`` prefixes the names it uses, which ``names`` holds: every field gets its own prefix,
    so all the fields of a plan share one namespace. A line ``{fields}`` stands for ``fields``,
    an object's own fields completed in place from ``{p}o`` into ``{out}``.
    """

    lines: tuple[str, ...]
    names: dict[str, Any]
    fields: tuple[tuple[str, Code], ...] = ()


def call(step: Callable[[Any], Any]) -> Code:
    """A step that is only a call of its closure."""
    return Code(("{out} = {p}step({src})",), {"step": step})


def generate(type_name: str, codes: tuple[tuple[str, Code], ...]) -> Callable[[Any], Any]:
    """One function completing an object's fields, in the order graphql-core collected them.

    The source is made of this module's templates and Python identifiers only: response names
    (client aliases) appear as ``repr`` literals, every value through the namespace.
    """
    namespace: dict[str, Any] = {}
    lines = ["def complete(src):"]
    _render_fields(codes, "src", "result", "f", "    ", namespace, lines)
    lines.append("    return result")
    exec(compile("\n".join(lines), f"<plan of {type_name}>", "exec"), namespace)
    complete: Callable[[Any], Any] = namespace["complete"]
    return complete


def _render_fields(
    codes: tuple[tuple[str, Code], ...],
    src: str,
    out: str,
    prefix: str,
    indent: str,
    namespace: dict[str, Any],
    lines: list[str],
) -> None:
    """The lines completing an object's fields from ``src``, its response left in ``out``."""
    for index, (_, code) in enumerate(codes):
        p = f"{prefix}{index}_"
        namespace.update({p + name: value for name, value in code.names.items()})
        for line in code.lines:
            if line.strip() == "{fields}":
                inner = indent + line[: line.index("{")]
                _render_fields(code.fields, p + "o", f"{p}v", p, inner, namespace, lines)
                continue
            text = line.replace("{out}", f"{p}v").replace("{src}", src).replace("{p}", p)
            lines.append(indent + text)
    pairs = ", ".join(f"{name!r}: {prefix}{index}_v" for index, (name, _) in enumerate(codes))
    lines.append(f"{indent}{out} = {{{pairs}}}")
