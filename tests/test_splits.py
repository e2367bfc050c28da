import pytest

from agir.data.data_config import SplitConfig
from agir.data.splits import SubjectSplit, make_split, num_folds, subject_scores


def cohort(n=40):
    return {f"S{i:03d}": i % 4 for i in range(n)}


def assert_disjoint_cover(split, subjects):
    parts = [set(split.train), set(split.val), set(split.test)]
    assert all(not (a & b) for i, a in enumerate(parts) for b in parts[i + 1 :])
    assert set().union(*parts) == set(subjects)


def test_holdout_is_subject_disjoint_stratified_and_seeded():
    subjects = cohort()
    split = make_split(subjects, SplitConfig(test_fraction=0.2, val_fraction=0.15), seed=0)
    assert_disjoint_cover(split, subjects)
    assert len(split.test) == 8
    assert sorted(subjects[s] for s in split.test) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert {subjects[s] for s in split.val} == {0, 1, 2, 3}
    assert split == make_split(subjects, SplitConfig(), seed=0)
    assert split != make_split(subjects, SplitConfig(), seed=1)


def test_kfold_test_sets_partition_the_subjects():
    subjects = cohort(23)
    config = SplitConfig(scheme="kfold", folds=5)
    tests = []
    for fold in range(num_folds(subjects, config)):
        split = make_split(subjects, SplitConfig(scheme="kfold", folds=5, fold=fold), seed=3)
        assert_disjoint_cover(split, subjects)
        tests += split.test
    assert sorted(tests) == sorted(subjects)


def test_loso_holds_out_one_named_subject_per_fold():
    subjects = cohort(6)
    assert num_folds(subjects, SplitConfig(scheme="loso")) == 6
    split = make_split(subjects, SplitConfig(scheme="loso", fold=2), seed=0)
    assert split.test == ("S002",)
    assert_disjoint_cover(split, subjects)


def test_split_round_trips_through_json(tmp_path):
    split = make_split(cohort(), SplitConfig(), seed=0)
    split.save(tmp_path / "splits.json")
    assert SubjectSplit.load(tmp_path / "splits.json") == split
    assert split.part_of(split.test[0]) == "test" and split.part_of("nobody") is None


def test_modal_score_and_bad_requests():
    assert subject_scores([("a", 1), ("a", 2), ("a", 2), ("b", 0)]) == {"a": 2, "b": 0}
    with pytest.raises(ValueError, match="at least 3 subjects"):
        make_split({"a": 0, "b": 1}, SplitConfig(), seed=0)
    with pytest.raises(ValueError, match="fold 7 out of range"):
        make_split(cohort(), SplitConfig(scheme="kfold", folds=5, fold=7), seed=0)
