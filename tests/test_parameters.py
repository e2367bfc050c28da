"""The parameter table (agir.motion.parameters) and what reads it."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from agir.data.summary import SUMMARY_KEYS
from agir.motion.gait_parameters import UNITS, extract_gait_parameters
from agir.motion.parameters import PARAMETER_KEYS, PARAMETERS, SHARED_LABEL_PATTERNS, WRITTEN
from agir.motion.synth import TRUTH_KEYS, make_cohort
from agir.pipeline.baseline import FEATURE_KEYS
from agir.text.claims import SIDES, extract_claims, pending_claim_keys
from agir.text.faithfulness import check_faithfulness
from agir.text.norms import NORMS
from agir.text.parameter_table import format_table
from agir.text.rationale import FORMATS, LABELS, NAMES, PRECISION, describe, format_value, measurements, rationale
from agir.viz.bands import PD_BANDS, healthy_band
from agir.viz.charts import parameter_chart_png

# sha256 of `_fingerprint()` on the commit before the table (06d8d5e): texts, claims, grades, faithfulness, the
# parameter table of `agir.gait` and the chart bands. It changes only when what is written or read changes: since,
# the gait branch (#14) added turning_total_deg / turning_time_s to the table and the `methods` object (the measured
# values of a walking root are unchanged), faithfulness lists the claims about unmeasured parameters (`unmeasured`),
# and texts put every grade after what it grades and say "not measurable" (#16: grounded grades); arm swing is measured
# against the trunk axis through the neck and both shoulders (#14: the cohort's swings move by under 0.001 degree,
# none is nulled by the arm-swing jitter gate); every grade phrase grades one parameter, never a group (#16: a shared
# grade cannot be grounded when the group's grades differ); the score-2 verdict holds no bracket (`substantial:
# mild`, #17: the model left `(mild` open).
FINGERPRINT = "46f98bc9b852a016b0069d4d129a9878800ec87f4025f1ad03d5dd15c2ef6533"


def _fingerprint() -> str:
    digest = hashlib.sha256()

    def add(value: object) -> None:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())

    measured = [
        (subject.score, extract_gait_parameters(trial.joints, trial.fps).to_dict())
        for subject, trials in make_cohort(4, 1, 3)
        for trial in trials
    ]
    rng = random.Random(0)
    for i in range(120):
        score, parameters = measured[i % len(measured)]
        parameters = dict(parameters)
        for key, value in parameters.items():
            if isinstance(value, float) and rng.random() < 0.5:
                parameters[key] = value * rng.uniform(0.5, 1.6)  # every grade, not only the cohort's
            if key != "reasons" and rng.random() < 0.05:
                parameters[key] = None
        texts_rng = random.Random(i)
        texts = [describe(parameters, texts_rng), rationale(parameters, score, texts_rng), measurements(parameters)]
        add(texts)
        for text in texts:
            add([(claim.key, claim.value, claim.span) for claim in extract_claims(text)])
            add(check_faithfulness(text, parameters, score))
        add([sorted(pending_claim_keys(texts[1][:end], end - 4)) for end in range(5, len(texts[1]), 11)])
    add([format_table(parameters) for _, parameters in measured])
    add({key: healthy_band(key) for key in PD_BANDS})
    return digest.hexdigest()


def test_texts_claims_and_grades_are_those_before_the_table():
    assert _fingerprint() == FINGERPRINT


def test_every_consumer_covers_every_parameter():
    keys, written = list(PARAMETER_KEYS), [p.key for p in WRITTEN]
    assert list(UNITS) == list(TRUTH_KEYS) == keys and len(set(keys)) == len(keys)
    assert list(FORMATS) == list(NAMES) == list(PRECISION) == written
    assert set(LABELS) <= set(written) and set(SUMMARY_KEYS) <= set(written)
    # Every parameter a text writes about is graded, charted and scored by the baseline.
    assert set(NORMS) == set(PD_BANDS) == set(written) <= set(FEATURE_KEYS)
    assert set(FEATURE_KEYS) == {p.key for p in PARAMETERS if p.feature}
    assert {key for _, shared in SHARED_LABEL_PATTERNS for key in shared} | set(SIDES) <= set(written)
    table = format_table(dict.fromkeys(keys, 1) | {"reasons": {}}).splitlines()
    assert [line.split()[-1] for line in table] == [p.unit for p in PARAMETERS]
    assert parameter_chart_png({key: PD_BANDS[key][0] for key in written}).startswith(b"\x89PNG")


@pytest.mark.parametrize("parameter", WRITTEN, ids=lambda p: p.key)
def test_each_written_parameter_is_read_back_by_its_labels_and_name(parameter):
    value = parameter.pd_band[1]
    for label in (*parameter.labels, parameter.name):
        text = f"{label} is {format_value(parameter.key, value)}"
        assert [(c.key, c.value) for c in extract_claims(text)] == [(parameter.key, pytest.approx(value))], text
