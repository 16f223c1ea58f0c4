"""Reader-facing rendering shared by the report and the sweep comparison: a document as a list of
blocks rendered to Markdown and to self-contained HTML (so the two cannot disagree), and the one
way an estimate with its interval is written."""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import pandas as pd


@dataclass
class Block:
    kind: str  # h1 | h2 | p | table | list | figure
    text: str = ""
    rows: Optional[List[Sequence[str]]] = None  # table: header first; list: items in rows[0]
    path: str = ""  # figure: relative path without extension


def display_round(x: float, digits: int) -> float:
    """Round for display; a value that rounds to zero prints as 0, not -0."""
    return round(float(x), digits) + 0.0


def format_estimate(mean: float, low: float, high: float, digits: int, unit: str = "",
                    signed: bool = False) -> str:
    """`mean<unit> (low to high)`, or just the mean where the interval is undefined; a high end
    that is missing (a censored duration whose band does not close within the run) reads
    "beyond the run"."""
    text = f"{display_round(mean, digits):{'+' if signed else ''},.{digits}f}{unit}"
    if not pd.isna(low):
        upper = "beyond the run" if pd.isna(high) else f"{display_round(high, digits):,.{digits}f}"
        text += f" ({display_round(low, digits):,.{digits}f} to {upper})"
    return text


def to_markdown(blocks: List[Block]) -> str:
    out = []
    for b in blocks:
        if b.kind == "h1":
            out += [f"# {b.text}", ""]
        elif b.kind == "h2":
            out += [f"## {b.text}", ""]
        elif b.kind == "p":
            out += [b.text, ""]
        elif b.kind == "list":
            out += [f"- {item}" for item in b.rows[0]] + [""]
        elif b.kind == "table":
            header, *body = b.rows
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
            out.append("")
        elif b.kind == "figure":
            out += [f"![{b.text}]({b.path}.png)", "", f"*{b.text}* ([PDF]({b.path}.pdf))", ""]
    return "\n".join(out)


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee}figcaption{font-style:italic;
margin-bottom:2em}"""


def to_html(blocks: List[Block], run_dir: Path) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
           f"<title>{e(blocks[0].text)}</title><style>{CSS}</style></head><body>"]
    for b in blocks:
        if b.kind in ("h1", "h2"):
            out.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.rows[0]) + "</ul>")
        elif b.kind == "table":
            header, *body = b.rows
            out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in body]
            out.append("</table>")
        elif b.kind == "figure":
            data = base64.b64encode((run_dir / f"{b.path}.png").read_bytes()).decode("ascii")
            out.append(f"<figure><img alt='{e(b.text)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{e(b.text)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)
