"""Rebuild the generated part of docs/sources.md: every default in configs/, its value and the
source its comment cites, so a reader of a report can look up any number.

    python docs/build_sources.py          # rewrite the index in docs/sources.md
    python docs/build_sources.py --check  # exit 1 if docs/sources.md is out of date (the tests run this)

Reads the YAML files as text (the comments are the citations) and with PyYAML for the keys.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
BEGIN = "<!-- BEGIN generated: python docs/build_sources.py -->"
END = "<!-- END generated -->"
LINE = re.compile(r"^(?P<indent>\s*)(?:- )?(?P<key>[A-Za-z0-9_.\-]+):\s*(?P<value>[^#]*?)\s*(?:#\s*(?P<comment>.*))?$")


def rows(path: Path):
    """(dotted key, value, comment) for every line of `path` that sets a value. A key without a
    comment of its own takes its parent's (a block of grades), else the comment block that heads
    its section of the file (a group of suppliers, a file of lanes)."""
    stack = []  # (indent, key, comment)
    section, block, last_blank = "", [], True
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            text = stripped.lstrip("#").strip(" -")
            block = (block if not last_blank or not block else []) + [text] if text else block
            last_blank = False
            continue
        if block and not raw.startswith(" "):
            section, block = " ".join(block), []
        last_blank = not stripped
        if not stripped:
            continue
        m = LINE.match(raw)
        if not m:
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        comment = (m["comment"] or "").strip()
        inherited = next((c for _, _, c in reversed(stack) if c), "")
        key = ".".join([k for _, k, _ in stack] + [m["key"]])
        if m["value"]:
            note = (comment or (f"(parent's) {inherited}" if inherited else "")
                    or (f"(section note) {section[:300]}" if section else ""))
            yield key, m["value"].strip(), note
        stack.append((indent, m["key"], comment))


def index() -> str:
    out = ["| file | key | default | source (the comment in the file) |", "|---|---|---|---|"]
    for path in sorted((ROOT / "configs").rglob("*.yaml")):
        if "hydra" in path.parts or path.name == "config.yaml":  # composition, not values
            continue
        rel = path.relative_to(ROOT).as_posix()
        for key, value, comment in rows(path):
            cell = lambda s: s.replace("|", "\\|")
            out.append(f"| {rel} | `{key}` | `{cell(value)}` | {cell(comment) or '—'} |")
    return "\n".join(out)


def rebuilt(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{index()}\n{END}{tail}"


def main(argv) -> int:
    text = SOURCES.read_text()
    new = rebuilt(text)
    if "--check" in argv:
        if new != text:
            print("docs/sources.md is out of date: run python docs/build_sources.py", file=sys.stderr)
            return 1
        return 0
    SOURCES.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
