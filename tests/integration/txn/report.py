"""Runs a list of scripted cases on a target and prints them as expected-vs-got tables.

Written by hand so that the integration test (test_txn_pg15.py) and the command line (run.py)
run and describe the scripted suites the same way. One table per case and level: each step with
PostgreSQL's outcome and the target's, a mark where they differ, then the check's finding on
both sides and the verdict; and one summary line per case with a column per level.
"""

from txn.script import Drain, at, judge, run_case

MARK_DIFF = "*"
SQL_COL = 52


def run_scripted(target, cases, levels=None, only=None):
    """[(case, level, obs, verdict)] for each case at each level both it and the target have."""
    out = []
    for case in cases:
        if only and not any(p in case.name for p in only):
            continue
        for level in case.levels:
            if level in (levels or target.levels):
                obs = run_case(target, case, level)
                out.append((case, level, obs, judge(case, obs, target.flavor)))
    return out


def _clip(s, n):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "~"


def case_table(case, level, obs, v, target_name):
    lines = [f"--- {case.name} ({case.title}) at {level}: "
             f"{'PASS' if v.ok else 'FAIL'} — {v.note}"]
    if obs.error:
        return "\n".join(lines)
    lines.append(f"    {'step':<{SQL_COL}} {'postgres15':<24} {target_name}")
    for step, got in obs.results:
        e = at(step.expect, level)
        if isinstance(step, Drain):
            for s in step.sessions:
                ea, eb = e[s]
                ga, gb = got[s]
                mark = " " if ea.matches(ga) and eb.matches(gb) else MARK_DIFF
                lines.append(f"  {mark} {_clip(s + ': (drain)', SQL_COL):<{SQL_COL}} "
                             f"{_clip(f'{ea!r}; {eb!r}', 24):<24} {ga!r}; {gb!r}")
            continue
        mark = MARK_DIFF if not e.matches(got) else " "
        lines.append(f"  {mark} {_clip(step.text(), SQL_COL):<{SQL_COL}} {_clip(repr(e), 24):<24} "
                     f"{got!r}")
    fe = at(case.final, level)
    mark = MARK_DIFF if not fe.matches(obs.final) else " "
    lines.append(f"  {mark} {'final table':<{SQL_COL}} {_clip(repr(fe), 24):<24} {obs.final!r}")
    if case.check:
        lines.append(f"    check on postgres15's record: {v.pg_violation or 'none'}")
        lines.append(f"    check on {target_name}: {v.got_violation or 'none'}")
    return "\n".join(lines)


def summary(results, target_name):
    """One line per case: per level, the verdict and whether the anomaly showed."""
    by_case = {}
    for case, level, obs, v in results:
        by_case.setdefault(case, {})[level] = (obs, v)
    levels = [lv for lv in ("rc", "rr", "ser") if any(lv in d for d in by_case.values())]
    head = f"{'case':<24}" + "".join(f"{lv:<34}" for lv in levels)
    lines = [f"summary for {target_name} (pg: what PostgreSQL 15 does; got: this target)", head]
    for case, d in by_case.items():
        cells = []
        for lv in levels:
            if lv not in d:
                cells.append(f"{'-':<34}")
                continue
            obs, v = d[lv]
            cells.append(f"{_cell(case, obs, v):<34}")
        lines.append(f"{case.name:<24}" + "".join(cells))
    return "\n".join(lines)


def _cell(case, obs, v):
    verdict = "PASS" if v.ok else "FAIL"
    if obs.error:
        return f"{verdict} could not run"
    if case.kind == "anomaly":
        pg = "allows" if v.pg_violation else "prevents"
        got = "ANOMALY" if v.got_violation else "prevented"
        return f"{verdict} pg {pg}, got {got}"
    return f"{verdict} {'holds' if v.got_violation is None else 'BROKEN'}"
