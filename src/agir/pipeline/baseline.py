"""The gait-parameter baseline: a random forest on the measured gait parameters of each trial.

Hand-crafted gait features with a random forest are the strong classical reference of the PD-gait literature; it
trains on exactly the training subjects of the run's split, so its held-out numbers sit beside AGIR's fairly. A
parameter that could not be measured (None) is imputed with its training median.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline

from agir.data.corpus import CorpusItem
from agir.motion.parameters import PARAMETERS

FEATURE_KEYS = tuple(p.key for p in PARAMETERS if p.feature)


def feature_matrix(parameters: list[dict]) -> np.ndarray:
    return np.array([[np.nan if p.get(key) is None else float(p[key]) for key in FEATURE_KEYS] for p in parameters])


def fit_baseline(items: list[CorpusItem], seed: int, trees: int = 300) -> Pipeline:
    if not items:
        raise ValueError("the baseline needs at least one training item")
    model = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        RandomForestClassifier(n_estimators=trees, random_state=seed, n_jobs=1),
    )
    return model.fit(feature_matrix([item.parameters for item in items]), [item.score for item in items])


def predict_baseline(model: Pipeline, parameters: list[dict]) -> list[int]:
    return [int(score) for score in model.predict(feature_matrix(parameters))]
