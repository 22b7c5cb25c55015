"""``cxroi survival`` against published values: Freireich's 6-MP leukaemia trial and the Rossi recidivism
data (Fox & Weisberg's R output), each rebuilt as a Qualtrics survey + CRM customer export whose
answer-to-churn times are the published times."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run

AS_OF = date(2025, 12, 31)
# Freireich et al. (1963), remission times in weeks; "+" = censored
SIX_MP = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0),
          (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]  # fmt: skip
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


def write_export(
    folder: Path,
    subjects: Sequence[tuple[int, int, int]],
    extra: dict[str, Sequence[object]] | None = None,
    repeat: int = 1,
    covariates: Sequence[str] = (),
    answers: str = "latest",
    horizon: int = 35,
) -> Path:
    """Customers and a Qualtrics-style survey: subject i (time t, event e, score s) answers on day a and
    churns on a + t (event), or answers t days before the as-of date and is still active (censored)."""
    extra = extra or {}
    heads = list(extra)
    survey = [
        ",".join(
            [
                "StartDate",
                "EndDate",
                "Status",
                "RecordedDate",
                "ResponseId",
                "ExternalReference",
                "Q1",
                *heads,
            ]
        ),
        ",".join(
            [
                "Start Date",
                "End Date",
                "Response Type",
                "Recorded Date",
                "Response ID",
                "External Data Reference",
                "How likely are you to recommend us?",
                *heads,
            ]
        ),
        ",".join(
            [
                f'"{{""ImportId"":""{k}""}}"'
                for k in (
                    "startDate",
                    "endDate",
                    "status",
                    "recordedDate",
                    "_recordId",
                    "externalDataReference",
                    "QID1",
                    *heads,
                )
            ]
        ),
    ]
    customers = ["Customer ID,Signup Date,Churn Date"]
    for i, (t, e, s) in enumerate(subjects):
        answer = AS_OF - timedelta(days=400 + t if e else t)
        end = (answer + timedelta(days=t)).isoformat() if e else ""
        customers.append(f"C{i:04d},{(answer - timedelta(days=900 + 37 * (i % 7))).isoformat()},{end}")
        for r in range(repeat):  # earlier answers of the same customer, same score
            day = answer - timedelta(days=30 * r)
            stamp = f"{day.isoformat()} 10:00:00"
            cells = [
                stamp,
                stamp,
                "0",
                stamp,
                f"R{i}_{r}",
                f"C{i:04d}",
                str(s),
                *(str(extra[h][i]) for h in heads),
            ]
            survey.append(",".join(cells))
    (folder / "survey.csv").write_text("\ufeff" + "\n".join(survey) + "\n", encoding="utf-8")
    (folder / "customers.csv").write_text("\n".join(customers) + "\n", encoding="utf-8")
    cfg = folder / "cxroi.yaml"
    cfg.write_text(
        "inputs:\n  survey: {path: survey.csv}\n  customers: {path: customers.csv}\n"
        "scores:\n  nps: {column: Q1}\n  date: RecordedDate\n"
        f"crm:\n  as_of: {AS_OF.isoformat()}\n"
        f"link:\n  survey_key: ExternalReference\n  answers: {answers}\n"
        f"survival:\n  horizon_days: {horizon}\n  at: [6, 7, 10, 13, 16, 22, 23]\n"
        f"  covariates: [{', '.join(covariates)}]\n",
        encoding="utf-8",
    )
    return cfg


def six_mp(folder: Path, repeat: int = 1, answers: str = "latest") -> Path:
    subjects = [(t, e, 10) for t, e in SIX_MP] + [(t, e, 0) for t, e in PLACEBO]  # 6-MP = promoters
    return write_export(folder, subjects, repeat=repeat, answers=answers)


def survival_json(cfg: Path, *more: str) -> dict[str, object]:
    r = run(["survival", "-c", str(cfg), "--metric", "nps", "-f", "json", *more])
    assert r.exit_code == 0, r.stderr
    doc: dict[str, object] = json.loads(r.stdout)
    return doc


def test_six_mp_kaplan_meier_matches_the_published_curve(tmp_path: Path) -> None:
    doc = survival_json(six_mp(tmp_path))
    at = {(a["group"], a["day"]): a for a in doc["at"]}  # type: ignore[union-attr]
    # Freireich 6-MP arm: 0.857 at 6 weeks, 0.807 at 7, 0.753 at 10, 0.690 at 13, 0.627 at 16, 0.538 at 22,
    # 0.448 at 23 (Kaplan-Meier; e.g. Klein & Moeschberger table 4.1)
    for day, s in [(6, 0.857), (7, 0.807), (10, 0.753), (13, 0.690), (16, 0.627), (22, 0.538), (23, 0.448)]:
        assert at[("promoters", day)]["survival"] == pytest.approx(s, abs=5e-4)
    # log-log Greenwood interval at 6 weeks, as R survfit(conf.type = "log-log"): 0.620 .. 0.952
    assert at[("promoters", 6)]["ci_low"] == pytest.approx(0.620, abs=5e-4)
    assert at[("promoters", 6)]["ci_high"] == pytest.approx(0.952, abs=5e-4)
    assert at[("promoters", 6)]["at_risk"] == 21 and at[("promoters", 7)]["at_risk"] == 17
    groups = {g["group"]: g for g in doc["groups"]}  # type: ignore[union-attr]
    assert groups["promoters"]["median_days"] == 23 and groups["detractors"]["median_days"] == 8
    assert groups["promoters"]["events"] == 9 and groups["detractors"]["events"] == 21
    assert groups["passives"]["answers"] == 0 and groups["passives"]["median_days"] is None
    # RMST to 35 weeks by hand: the area under the published step curve
    steps = [(0, 6, 1.0), (6, 7, 18 / 21), (7, 10, 18 / 21 * 16 / 17), (10, 13, 18 / 21 * 16 / 17 * 14 / 15)]
    s13 = steps[-1][2] * 11 / 12
    s16 = s13 * 10 / 11
    s22 = s16 * 6 / 7
    s23 = s22 * 5 / 6
    steps += [(13, 16, s13), (16, 22, s16), (22, 23, s22), (23, 35, s23)]
    assert groups["promoters"]["rmst_days"] == pytest.approx(sum((b - a) * s for a, b, s in steps), rel=1e-9)
    tests = {t["comparison"]: t for t in doc["tests"]}  # type: ignore[union-attr]
    # log-rank 6-MP vs placebo: chi^2 = 16.79 on 1 df (Freireich data, e.g. R survdiff)
    assert tests["promoters vs detractors"]["statistic"] == pytest.approx(16.79, abs=5e-3)
    assert tests["promoters vs detractors"]["df"] == 1
    hr = {h["term"]: h for h in doc["hazard_ratios"]}  # type: ignore[union-attr]
    # Cox, Efron ties: placebo vs 6-MP hazard ratio 4.82 (R coxph: coef 1.572, se 0.412)
    assert hr["detractors vs promoters"]["hazard_ratio"] == pytest.approx(4.82, abs=5e-3)
    assert np.log(hr["detractors vs promoters"]["ci_high"]) - np.log(
        hr["detractors vs promoters"]["ci_low"]
    ) == (pytest.approx(2 * 1.959964 * 0.412, abs=2e-3))


def test_every_record_of_the_curve_is_an_event_time(tmp_path: Path) -> None:
    r = run(["survival", "-c", str(six_mp(tmp_path)), "--metric", "nps", "-f", "csv"])
    lines = r.stdout.splitlines()
    assert lines[0] == "metric,group,day,at_risk,events,survival,ci_low,ci_high"
    promoters = [ln.split(",") for ln in lines[1:] if ",promoters," in ln]
    assert [int(float(x[2])) for x in promoters] == [6, 7, 10, 13, 16, 22, 23]
    assert "none left out for being recent" in r.stderr


ROSSI_R = {  # Fox & Weisberg (2018), coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio)
    "age": (0.9442, 0.0090),
    "race": (1.3688, 0.3081),
    "wexp": (0.8609, 0.4803),
    "mar": (0.6481, 0.2561),
    "paro": (0.9186, 0.6646),
    "prio": (1.0958, 0.0014),
}


def test_rossi_cox_with_covariates_matches_r(tmp_path: Path) -> None:
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    # financial aid = promoters (score 9), none = detractors (score 0): HR(detractors) = 1 / HR(fin)
    subjects = [
        (int(w), int(a), 9 if f else 0) for w, a, f in zip(rossi.week, rossi.arrest, rossi.fin, strict=True)
    ]
    names = ["age", "race", "wexp", "mar", "paro", "prio"]
    cfg = write_export(
        tmp_path, subjects, {n: rossi[n].tolist() for n in names}, covariates=names, horizon=52
    )
    r = run(["survival", "-c", str(cfg), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    hr = {h["term"]: h for h in doc["hazard_ratios"] if h["model"] == "groups"}
    # fin: coef -0.37942, exp 0.6843, 95% 0.4702 .. 0.9957, p 0.0474
    d = hr["detractors vs promoters"]
    assert d["hazard_ratio"] == pytest.approx(1 / 0.6843, abs=5e-4)
    assert (d["ci_low"], d["ci_high"]) == (
        pytest.approx(1 / 0.9957, abs=5e-4),
        pytest.approx(1 / 0.4702, abs=5e-4),
    )
    assert d["p_value"] == pytest.approx(0.0474, abs=5e-5)
    for name, (value, p) in ROSSI_R.items():
        assert hr[name]["hazard_ratio"] == pytest.approx(value, abs=5e-5), name
        assert hr[name]["p_value"] == pytest.approx(p, abs=5e-5), name
    assert d["covariates"] == "age, race, wexp, mar, paro, prio"
    # Grambsch-Therneau (rank of time): age and wexp fail proportional hazards on these data
    assert "proportional-hazards check fails for age, wexp" in r.stderr


def test_several_answers_per_customer_get_robust_errors(tmp_path: Path) -> None:
    cfg = six_mp(tmp_path, repeat=3, answers="each")
    r = run(["survival", "-c", str(cfg), "--metric", "nps", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["robust"] is True and "clustered by customer" in r.stderr
    groups = {g["group"]: g for g in doc["groups"]}
    assert groups["promoters"]["answers"] == 63 and groups["promoters"]["customers"] == 21
    hr = {h["term"]: h for h in doc["hazard_ratios"]}["detractors vs promoters"]
    assert hr["hazard_ratio"] > 1


def test_text_covariate_is_a_set_of_indicators(tmp_path: Path) -> None:
    subjects = [(t, e, 10) for t, e in SIX_MP] + [(t, e, 0) for t, e in PLACEBO]
    plan = ["Pro" if i % 3 else "Basic" for i in range(len(subjects))]
    cfg = write_export(tmp_path, subjects, {"Plan": plan}, covariates=["Plan", "tenure"])
    doc = survival_json(cfg)
    terms = {h["term"] for h in doc["hazard_ratios"] if h["model"] == "groups"}  # type: ignore[union-attr]
    assert terms == {"detractors vs promoters", "Plan=Basic", "tenure"}  # Pro, the most frequent, is the base


def test_unknown_covariate_is_a_usage_error(tmp_path: Path) -> None:
    subjects = [(t, e, 10) for t, e in SIX_MP]
    cfg = write_export(tmp_path, subjects, covariates=["Region"])
    r = run(["survival", "-c", str(cfg)])
    assert r.exit_code == 2 and "Error: survival.covariates: 'Region'" in r.stderr
