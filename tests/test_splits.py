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


@pytest.mark.parametrize("seed", [0, 1234])
def test_kfold_test_sets_hold_every_score_in_proportion(seed):
    # The demo cohort's classes (60/60/50/30 subjects): each fold's test set holds each score's fifth, give or take one.
    counts = {0: 60, 1: 60, 2: 50, 3: 30}
    subjects = {f"S{score}{i:03d}": score for score, n in counts.items() for i in range(n)}
    sizes = []
    for fold in range(5):
        test = make_split(subjects, SplitConfig(scheme="kfold", folds=5, fold=fold), seed=seed).test
        for score, n in counts.items():
            assert abs(sum(subjects[s] == score for s in test) - n / 5) <= 1, (fold, score)
        sizes.append(len(test))
    assert max(sizes) - min(sizes) <= 1


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


def two_datasets():
    """Subjects of two cohorts, namespaced by dataset as a several-source corpus names them."""
    subjects = {f"{name}/S{i:03d}": i % 4 for name, n in (("A", 12), ("B", 8)) for i in range(n)}
    return subjects, {subject: subject.split("/")[0] for subject in subjects}


def test_lodo_holds_out_each_dataset_and_stratifies_by_dataset():
    subjects, datasets = two_datasets()
    config = SplitConfig(scheme="lodo")
    assert num_folds(subjects, config, datasets) == 2
    for fold, held_out in enumerate(("A", "B")):
        split = make_split(subjects, SplitConfig(scheme="lodo", fold=fold), seed=0, subject_dataset=datasets)
        assert_disjoint_cover(split, subjects)
        assert {datasets[s] for s in split.test} == {held_out}
        assert {datasets[s] for s in split.train + split.val} == {"AB".replace(held_out, "")}
    # A hold-out split draws test subjects from both datasets, in proportion.
    holdout = make_split(subjects, SplitConfig(test_fraction=0.2), seed=0, subject_dataset=datasets)
    assert sorted(datasets[s] for s in holdout.test) == ["A", "A", "B", "B"]
    assert holdout == make_split(subjects, SplitConfig(test_fraction=0.2), seed=0, subject_dataset=datasets)
    # One dataset: the same split as without datasets.
    single = {s: "A" for s in cohort()}
    assert make_split(cohort(), SplitConfig(), seed=0, subject_dataset=single) == make_split(cohort(), SplitConfig(), 0)
    with pytest.raises(ValueError, match="lodo .* needs a corpus of at least 2 datasets"):
        num_folds(cohort(), config, single)
    with pytest.raises(ValueError, match="lodo fold 2 out of range for 2 datasets"):
        make_split(subjects, SplitConfig(scheme="lodo", fold=2), seed=0, subject_dataset=datasets)
