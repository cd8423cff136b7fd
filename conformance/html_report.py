"""One self-contained HTML file of a run: summary, then every step with its exchange.

No external assets (inline CSS, no scripts): the file can be mailed or archived by CI as it
is. The page shows the run's settings and notes, the counts per transaction, a list of the
failed steps (linked), then per NIST test, section and step: verdict, expected vs actual,
error codes, reasons, notes and the full request and response in collapsible ``<details>``.
Everything is escaped. Each body is cut at :data:`BODY_BYTES` (64 KB; large MTOM bodies
say how much was left out), and once :data:`TOTAL_BYTES` of bodies were written the rest
are cut at :data:`BODY_BYTES_OVER_BUDGET`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance.outcome import (
    KNOWN,
    SUCCESSFUL,
    RunInfo,
    by_section,
    by_test,
    clean,
    error_codes,
    excerpt,
    label,
    skip_reasons,
    step_counts,
    total,
    transaction,
    unexpected_failures,
    verdict,
)
from conformance.results import RunReport, StepResult

BODY_BYTES = 64 * 1024
TOTAL_BYTES = 32 * 1024 * 1024
BODY_BYTES_OVER_BUDGET = 4 * 1024

_LABELS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", KNOWN: "KNOWN"}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;
padding:1em 2em;color:#1d2330;background:#fff}
h1{font-size:1.6em;margin:.2em 0}
h2{border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:1em 0 .4em;color:#445}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccd;padding:.25em .7em;
text-align:left;vertical-align:top}th{background:#f0f2f7}td.n{text-align:right}
.banner{font-size:1.25em;font-weight:600;padding:.5em .8em;border-radius:4px;margin:.6em 0}
.banner.pass{background:#e3f4e6;color:#17622a}.banner.fail{background:#fbe4e4;color:#8f1d1d}
.badge{display:inline-block;min-width:3.6em;text-align:center;font-size:.8em;font-weight:700;
border-radius:3px;padding:.05em .3em;margin-right:.5em;color:#fff}
.badge.pass{background:#2e8540}.badge.fail{background:#c62828}.badge.skip{background:#8a8f99}
.badge.known{background:#c77700}
details.test{border:1px solid #dde;border-radius:4px;margin:.4em 0;padding:.3em .8em}
details.test>summary{cursor:pointer;font-weight:600}
.step{border-left:4px solid #8a8f99;margin:.6em 0 .6em .4em;padding:.2em .8em;background:#fafbfd}
.step.pass{border-color:#2e8540}.step.fail{border-color:#c62828}.step.known{border-color:#c77700}
.step h4{margin:.2em 0;font-size:1em}.step small{color:#667;font-weight:normal}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.3em 0}
dt{color:#667}dd{margin:0;word-break:break-word}
ul.reasons li{color:#8f1d1d}ul.notes li,ul.reasons li{white-space:pre-wrap;word-break:break-word}
pre{background:#f4f5f8;border:1px solid #dde;padding:.6em;max-height:40em;overflow:auto;
white-space:pre-wrap;word-break:break-all;font-size:12px}
.cut{color:#8a5a00;font-style:italic;margin:.2em 0}
details.body>summary{cursor:pointer;color:#2949a8}
"""


@dataclass
class _Budget:
    """How many body bytes may still be written at full length."""

    left: int

    def limit(self) -> int:
        return BODY_BYTES if self.left > 0 else BODY_BYTES_OVER_BUDGET


def render(report: RunReport, info: RunInfo | None = None) -> str:
    """The HTML document of ``report``."""
    info = info or RunInfo()
    budget = _Budget(TOTAL_BYTES)
    failed = unexpected_failures(report)
    ids = {id(r): f"step-{n}" for n, r in enumerate(report.results)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(info.title)}</title><style>{_CSS}</style></head><body>",
        *_header(report, info, failed),
        *_summary(report),
        *_failed(failed, ids),
        *_skipped(report),
        "<h2>Tests</h2>",
    ]
    if not report.results:
        parts.append("<p>No step was run.</p>")
    for test, results in by_test(report.results).items():
        parts += _test(test, results, ids, budget)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_html(report: RunReport, path: Path, info: RunInfo | None = None) -> None:
    """Write :func:`render` to ``path`` (parent folders are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, info), encoding="utf-8")


def _e(text: object) -> str:
    return html.escape(clean(str(text)), quote=True)


def _header(report: RunReport, info: RunInfo, failed: list[StepResult]) -> list[str]:
    counts = total(report.results)
    outcome = verdict(report, info)
    ok = outcome in SUCCESSFUL
    text = {
        "passed": f"PASSED: {counts.passed} steps passed, {counts.skipped} skipped",
        "failed": f"FAILED: {len(failed)} of {counts.run} judged steps failed",
        "interrupted": f"INTERRUPTED: the run did not finish ({len(failed)} steps failed)",
        "nothing judged": f"NOTHING JUDGED: all {counts.skipped} steps were skipped",
        "nothing run": "NOTHING RUN: no test was selected",
    }[outcome]
    if counts.known:
        text += f" ({counts.known} failed under a known deviation, not counted)"
    rows = [("started", info.started.strftime("%Y-%m-%d %H:%M:%S %Z")), *info.settings]
    rows.append(("duration", f"{info.seconds:.1f} s"))
    notes = [*info.endpoint_problems, *info.notes]
    if report.missing_tests:
        notes.append(f"tests not found in the test kit: {', '.join(report.missing_tests)}")
    lines = [
        f"<h1>{_e(info.title)}</h1>",
        f'<p class="banner {"pass" if ok else "fail"}">{_e(text)}</p>',
        "<table>",
        *(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows),
        "</table>",
    ]
    if notes:
        lines += ['<ul class="notes">', *(f"<li>{_e(n)}</li>" for n in notes), "</ul>"]
    return lines


def _summary(report: RunReport) -> list[str]:
    lines = [
        "<h2>Summary per transaction</h2>",
        "<table><tr><th>transaction</th><th>passed</th><th>failed</th>"
        "<th>of which known deviations</th><th>skipped</th><th>steps</th></tr>",
    ]
    rows = [*step_counts(report.results).items(), ("all", total(report.results))]
    for tx, c in rows:
        cells = (c.passed, c.failed, c.known, c.skipped, c.passed + c.failed + c.skipped)
        tag = "th" if tx == "all" else "td"
        lines.append(
            f"<tr><{tag}>{_e(tx)}</{tag}>"
            + "".join(f'<td class="n">{n}</td>' for n in cells)
            + "</tr>"
        )
    lines.append("</table>")
    return lines


def _failed(failed: list[StepResult], ids: dict[int, str]) -> list[str]:
    if not failed:
        return []
    lines = [f"<h2>Failed steps ({len(failed)})</h2>", "<ol>"]
    for r in failed:
        reason = r.reasons[0] if r.reasons else "failed"
        lines.append(
            f'<li><a href="#{ids[id(r)]}">{_e(r.case_id or r.name)}</a> '
            f"[{_e(transaction(r))}]: {_e(reason)}</li>"
        )
    lines.append("</ol>")
    return lines


def _skipped(report: RunReport) -> list[str]:
    reasons = skip_reasons(report.results)
    if not reasons:
        return []
    lines = ["<h2>Why steps were skipped</h2>", "<table><tr><th>steps</th><th>reason</th></tr>"]
    lines += [f'<tr><td class="n">{n}</td><td>{_e(reason)}</td></tr>' for reason, n in reasons]
    lines.append("</table>")
    return lines


def _test(test: str, results: list[StepResult], ids: dict[int, str], budget: _Budget) -> list[str]:
    c = total(results)
    worst = (
        "fail" if c.failed > c.known else (KNOWN if c.known else ("pass" if c.passed else "skip"))
    )
    tally = f"{c.passed} passed, {c.failed} failed, {c.skipped} skipped"
    lines = [
        f'<details class="test {worst}"{" open" if worst == "fail" else ""}>',
        f'<summary><span class="badge {worst}">{_LABELS[worst]}</span>NIST {_e(test)}'
        f" <small>({tally})</small></summary>",
    ]
    for section, steps in by_section(results).items():
        lines.append(f"<h3>section {_e(section)}</h3>")
        for r in steps:
            lines += _step(r, ids[id(r)], budget)
    lines.append("</details>")
    return lines


def _step(r: StepResult, anchor: str, budget: _Budget) -> list[str]:
    kind = label(r)
    sub = " ".join(x for x in (f"[{transaction(r)}]", r.case_id or "") if x)
    lines = [
        f'<article class="step {kind}" id="{anchor}">',
        f'<h4><span class="badge {kind}">{_LABELS[kind]}</span>{_e(r.step)} '
        f"<small>{_e(sub)}</small></h4>",
        "<dl>",
    ]
    actual = r.actual or "-"
    rows: list[tuple[str, str]] = [("expected", r.expected or "-"), ("actual", actual)]
    if r.error_codes:
        rows.append(("error codes", error_codes(r)))
    if r.known_deviation:
        rows.append(("known deviation", r.known_deviation))
    if r.exchange is not None:
        x = r.exchange
        status = f"HTTP {x.http_status}" if x.http_status else "no HTTP answer"
        rows.append(("exchange", f"POST {x.url} -> {status}"))
    if r.seconds is not None:
        rows.append(("time", f"{r.seconds:.3f} s"))
    lines += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows]
    lines.append("</dl>")
    lines += _list("reasons", r.reasons)
    lines += _list("notes", r.notes)
    if r.exchange is not None:
        lines += _body("Request", r.exchange.request_text, budget)
        lines += _body("Response", r.exchange.response_text, budget)
    lines.append("</article>")
    return lines


def _list(kind: str, items: Iterable[str]) -> list[str]:
    entries = [f"<li>{_e(i.strip())}</li>" for i in items if i.strip()]
    return [f'<ul class="{kind}">', *entries, "</ul>"] if entries else []


def _body(title: str, text: str, budget: _Budget) -> list[str]:
    if not text:
        return [f'<p class="cut">{_e(title)}: none</p>']
    shown, cut = excerpt(text, budget.limit())
    size = len(text.encode("utf-8", errors="replace"))
    budget.left -= len(shown)
    lines = [f'<details class="body"><summary>{_e(title)} ({size:,} bytes)</summary>']
    if cut:
        lines.append(f'<p class="cut">{_e(cut)}</p>')
    lines += [f"<pre>{_e(shown)}</pre>", "</details>"]
    return lines
