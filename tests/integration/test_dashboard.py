"""dist/grafana/tern-dashboard.json against docs/operations.md "Metrics and health": the
dashboard queries only the metrics (and labels) in the doc's table, and every metric in the
table has a panel. No server needed."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dist" / "grafana" / "tern-dashboard.json"
OPERATIONS = ROOT / "docs" / "operations.md"

METRIC_RE = re.compile(r"(?<![A-Za-z0-9_:])tern_[a-z_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Labels Prometheus adds to every series it scrapes.
TARGET_LABELS = {"instance", "job"}


def doc_metrics() -> dict[str, dict]:
    """The metrics table of operations.md "Metrics and health": name -> {type, labels}."""
    text = OPERATIONS.read_text()
    start = text.index("\n## Metrics and health\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else len(text)]
    metrics: dict[str, dict] = {}
    in_table = False
    for line in section.splitlines():
        if line.startswith("| Metric | Type | Labels | Meaning |"):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            break
        if line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = re.fullmatch(r"`(tern_[a-z_]+)`", cells[0])
        assert name, f"operations.md metrics table: no metric name in {line!r}"
        assert name.group(1) not in metrics, f"{name.group(1)} twice in the table"
        metrics[name.group(1)] = {
            "histogram": cells[1].startswith("histogram"),
            "labels": set(re.findall(r"`([a-z_]+)`", cells[2])),
        }
    assert metrics, "no metrics table in operations.md \"Metrics and health\""
    return metrics


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def expressions(dash) -> list[tuple[str, str]]:
    """(panel title, expr) of every panel target."""
    return [(p.get("title", ""), t["expr"])
            for p in all_panels(dash["panels"]) for t in p.get("targets", []) if "expr" in t]


def base_name(name: str, metrics: dict[str, dict]) -> str:
    """The table's name for a series name: histogram series lose their suffix."""
    for suffix in HISTOGRAM_SUFFIXES:
        base = name[: -len(suffix)]
        if name.endswith(suffix) and metrics.get(base, {}).get("histogram"):
            return base
    return name


def test_dashboard_is_json_with_uid_and_title():
    dash = dashboard()
    assert dash["uid"] == "tern-overview"
    assert dash["title"] == "Tern"
    assert dash["schemaVersion"] == 39
    assert [i["name"] for i in dash["__inputs"]] == ["DS_PROMETHEUS"]
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["instance"]["definition"] == "label_values(tern_build_info, instance)"


def test_every_target_has_an_expression_using_the_instance_variable():
    exprs = expressions(dashboard())
    assert exprs
    for title, expr in exprs:
        assert METRIC_RE.search(expr), f"{title}: no tern_ metric in {expr!r}"
        assert 'instance=~"$instance"' in expr, f"{title}: {expr!r} ignores $instance"
        if "rate(" in expr:
            assert "[$__rate_interval]" in expr, f"{title}: {expr!r}"


def test_dashboard_uses_only_documented_metrics():
    metrics = doc_metrics()
    dash = dashboard()
    queries = expressions(dash) + [("variable " + v["name"], v["definition"])
                                   for v in dash["templating"]["list"]]
    for title, expr in queries:
        for name in METRIC_RE.findall(expr):
            base = base_name(name, metrics)
            assert base in metrics, f"{title}: {name} is not in operations.md's metrics table"
            if metrics[base]["histogram"]:
                assert base != name, f"{title}: histogram {name} without _bucket/_sum/_count"


def test_dashboard_labels_are_documented():
    metrics = doc_metrics()
    for title, expr in expressions(dashboard()):
        names = [base_name(n, metrics) for n in METRIC_RE.findall(expr)]
        allowed = set(TARGET_LABELS)
        for n in names:
            allowed |= metrics.get(n, {}).get("labels", set())
        if "_bucket" in expr:
            allowed.add("le")
        used = set()
        for matchers in re.findall(r"\{([^}]*)\}", expr):
            used |= set(re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)", matchers))
        for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            used |= {g.strip() for g in grouping.split(",") if g.strip()}
        assert used <= allowed, f"{title}: labels {sorted(used - allowed)} not in the table for {names}"


def test_every_documented_metric_has_a_panel():
    metrics = doc_metrics()
    used = {base_name(n, metrics) for _, expr in expressions(dashboard())
            for n in METRIC_RE.findall(expr)}
    missing = sorted(set(metrics) - used)
    assert not missing, f"metrics in operations.md without a panel: {missing}"
