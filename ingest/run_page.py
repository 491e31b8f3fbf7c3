"""A picture of each run: ``reports/runs/<run_id>.html``, rendered from the run's metrics.

One self-contained file (inline CSS and SVG, no script, nothing fetched), so it opens from a
mail attachment or a shared folder: the run's status and figures, its phases on a timeline,
rows per table, rows per warehouse table, failures, warnings, rejected lines and quarantined
rows. Every figure comes from the same metrics document that ``reports/runs/etl_run_<run_id>.json``
and ``audit.etl_runs`` hold, and carries ``data-figure`` (the metric's name) so a test or a
script can read it back.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

_STATUS_COLOUR = {"success": "#1a7f37", "partial": "#9a6700", "failed": "#cf222e", "running": "#57606a"}
_PHASE_COLOUR = {"ok": "#2f81f7", "failed": "#cf222e", "skipped": "#8c959f"}
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
.status{display:inline-block;color:#fff;border-radius:12px;padding:1px 10px;font-weight:600;font-size:13px}
.meta{color:#57606a} dl.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:16px 0}
dl.figures div{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}
dt{color:#57606a;font-size:12px} dd{margin:0;font-size:20px;font-weight:600}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eaeef2}
td.n{text-align:right;font-variant-numeric:tabular-nums} .bar{background:#2f81f7;height:10px;border-radius:2px}
li.error{color:#cf222e} li.warning{color:#9a6700} .cols{display:grid;grid-template-columns:1fr 1fr;gap:24px}
"""


def _figure(name: str, label: str, value) -> str:
    return f'<div><dt>{escape(label)}</dt><dd data-figure="{name}">{escape(str(value))}</dd></div>'


def _tick_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten seconds) giving 4 to 10 ticks over ``span``."""
    import math

    base = 10 ** math.floor(math.log10(max(span, 1e-6) / 4))
    return next(base * m for m in (1, 2, 5, 10) if span / (base * m) <= 10)


def _timeline(phases: list[dict], total_s: float) -> str:
    """The phases as bars on one time axis (seconds from the start of the run)."""
    if not phases:
        return "<p>No phase ran.</p>"
    width, left, row = 1000, 230, 26
    span = max(total_s, max(p["start_s"] + p["duration_s"] for p in phases), 1e-6)
    scale = (width - left - 70) / span
    height = row * len(phases) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="phases of the run on a timeline">']
    axis_y = height - 14  # the time axis and its grid first, the bars over them
    step = _tick_step(span)
    for k in range(int(span // step) + 1):
        t = k * step
        x = left + t * scale
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{axis_y - 8}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 8}" font-size="11" text-anchor="middle" fill="#57606a">'
                     f"{t:g} s</text>")
    for i, p in enumerate(phases):
        y = 6 + i * row
        x = left + p["start_s"] * scale
        w = max(p["duration_s"] * scale, 2)
        colour = _PHASE_COLOUR.get(p.get("status", "ok"), "#2f81f7")
        label = f'· {p["phase"]}' if p.get("layer_of") else p["phase"]   # a layer of the build above it
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" font-size="13">{escape(label)}</text>')
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" rx="3" fill="{colour}">'
                     f'<title>{escape(p["phase"])}: {p["duration_s"]:.1f} s ({escape(p.get("status", "ok"))})</title></rect>')
        parts.append(f'<text x="{x + w + 6:.1f}" y="{y + 14}" font-size="12" fill="#57606a" '
                     f'data-phase-seconds="{escape(p["phase"])}">{p["duration_s"]:.1f} s</text>')
    parts.append("</svg>")
    return "".join(parts)


def _rows_table(rows: dict[str, int], caption: str, extra: dict[str, int] | None = None,
                extra_label: str = "") -> str:
    if not rows:
        return f"<p>No {escape(caption)}.</p>"
    top = max(rows.values()) or 1
    head = f"<tr><th>{escape(caption)}</th><th>rows</th>" + (f"<th>{escape(extra_label)}</th>" if extra else "") \
        + "<th></th></tr>"
    body = []
    for name, n in rows.items():
        cell = f'<td class="n">{extra.get(name, 0):,}</td>' if extra else ""
        body.append(f'<tr><td>{escape(name)}</td><td class="n" data-rows="{escape(name)}">{n:,}</td>{cell}'
                    f'<td style="width:35%"><div class="bar" style="width:{100 * n / top:.1f}%"></div></td></tr>')
    return f"<table>{head}{''.join(body)}</table>"


def render(m: dict) -> str:
    status = m.get("status", "running")
    phases = m.get("phases", [])
    rejected = m.get("rejected", {})
    quarantine = m.get("quarantine", {})
    figures = "".join([
        _figure("duration_s", "duration", f"{m.get('duration_s', 0):.1f} s"),
        _figure("records_extracted", "rows extracted", f"{m.get('records_extracted', 0):,}"),
        _figure("records_failed", "records failed", f"{m.get('records_failed', 0):,}"),
        _figure("success_rate", "success rate", f"{m.get('success_rate', 0):.2f} %"),
        _figure("nodes_built", "dbt nodes built", f"{m.get('nodes_built', 0):,}"),
        _figure("tests_passed", "checks passed", f"{m.get('tests_passed', 0):,}"),
        _figure("tests_failed", "checks failed", f"{m.get('tests_failed', 0):,}"),
        _figure("peak_memory_mb", "peak memory", f"{m.get('peak_memory_mb', 0):,.0f} MB"),
    ])
    problems = [f'<li class="error">{escape(e)}</li>' for e in m.get("errors", [])] + \
        [f'<li class="warning">{escape(w)}</li>' for w in m.get("warnings", [])]
    rejects = [f"<li>{escape(t)}: {n:,} rejected line(s) (reason in <code>_rechazo</code>)</li>"
               for t, n in sorted(rejected.items()) if n]
    rejects += [f"<li>{escape(t)}: " + ", ".join(f"{n:,} {escape(r)}" for r, n in sorted(reasons.items()))
                + " (rows in <code>_cuarentena</code>)</li>" for t, reasons in sorted(quarantine.items())]
    loaded = {t: n for t, n in m.get("tables", {}).items() if n}
    unchanged = len(m.get("tables", {})) - len(loaded)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>PuntaFina ETL run {escape(m.get('run_id', ''))} - {escape(status)}</title>
<style>{_CSS}</style></head>
<body>
<h1>PuntaFina ETL run <span data-figure="run_id">{escape(m.get('run_id', ''))}</span>
<span class="status" style="background:{_STATUS_COLOUR.get(status, '#57606a')}" data-figure="status">{escape(status)}</span></h1>
<div class="meta"><code>{escape(m.get('command', ''))}</code> on <b>{escape(m.get('target', ''))}</b>,
started {escape(m.get('started_at', ''))}, finished {escape(m.get('finished_at', ''))}
{('<br>build plan: ' + escape(m['build_plan'])) if m.get('build_plan') else ''}
{('<br>dw: <span data-figure="published">' + escape(m['published']) + '</span>') if m.get('published') else ''}</div>
<dl class="figures">{figures}</dl>
<h2>Phases</h2>
{_timeline(phases, float(m.get('duration_s', 0) or 0))}
<h2>Failures, warnings and rejects</h2>
{('<ul>' + ''.join(problems) + '</ul>') if problems else '<p>No failure and no warning.</p>'}
{('<ul>' + ''.join(rejects) + '</ul>') if rejects else '<p>No rejected line and no quarantined row.</p>'}
<div class="cols">
<div><h2>Rows loaded per raw table</h2>
<p class="meta">{len(loaded)} table(s) loaded, {unchanged} unchanged since the last run.</p>
{_rows_table(loaded, "raw table", rejected, "rejected")}</div>
<div><h2>Rows in the warehouse (dw)</h2>
{_rows_table(m.get('dw_rows', {}), "dw table")}</div>
</div>
</body></html>
"""


def page_path(runs_dir: Path, run_id: str) -> Path:
    """Where a run's page is: beside its metrics file in ``<report_dir>/runs/``."""
    return runs_dir / f"{run_id}.html"


def write(report_dir: Path, m: dict) -> Path:
    out = page_path(report_dir / "runs", m["run_id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(render(m), encoding="utf-8")
    tmp.replace(out)
    return out
