import re
from pathlib import Path

import numpy as np
import pytest

from agir.motion.skeleton import JOINT_INDEX, LEFT_HIP, PELVIS, RIGHT_HIP, bone_lengths
from agir.motion.synth import (
    TRUTH_KEYS,
    SubjectProfile,
    add_observation_noise,
    make_cohort,
    sample_subject,
    simulate_trial,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "gait_parameters.md"


def trial_of(score: int, seed: int, **kwargs):
    rng = np.random.default_rng(seed)
    return simulate_trial(sample_subject(f"T{score}", score, rng), rng, **kwargs)


@pytest.fixture(scope="module")
def trials():
    """One full clinical-test trial per score at 120 Hz (seeds chosen so the score-3 walker freezes)."""
    return {score: trial_of(score, seed, fps=120.0) for score, seed in ((0, 1), (1, 2), (2, 3), (3, 13))}


def horizontal(points: np.ndarray) -> np.ndarray:
    return points[..., [0, 2]]


def facing(joints: np.ndarray, frame: int) -> np.ndarray:
    """Unit (x, z) facing direction from the hips' left-right axis (body left = +x when facing +z)."""
    across = horizontal(joints[frame, LEFT_HIP] - joints[frame, RIGHT_HIP])
    forward = np.array([-across[1], across[0]])
    return forward / np.linalg.norm(forward)


def stances(trial, side: str) -> list[tuple[int, int]]:
    """(first, last) frames of each ground contact of one foot, including the start and end stances."""
    strikes = np.concatenate([[0], trial.events[f"heel_strike_{side}"]])
    toe_offs = np.concatenate([trial.events[f"toe_off_{side}"], [len(trial.joints) - 1]])
    return list(zip(strikes, toe_offs, strict=True))


def straight_strides(trial) -> list[tuple[int, int]]:
    """Same-foot heel-strike pairs clear of the turn, freezing and the final closing step, from public events."""
    blocked = [tuple(trial.events["turn"])] if len(trial.events["turn"]) else []
    blocked += [tuple(episode) for episode in trial.events["freezing"]]
    last_strike = max(trial.events["heel_strike_left"][-1], trial.events["heel_strike_right"][-1])
    strides = []
    for side in ("left", "right"):
        strikes = trial.events[f"heel_strike_{side}"]
        for a, b in zip(strikes[:-1], strikes[1:], strict=True):
            if b != last_strike and all(b < start or a > end for start, end in blocked):
                strides.append((a, b))
    return strides


def test_same_seed_same_cohort_and_exact_score_shares():
    first = make_cohort(8, 2, seed=7, score_weights=(0.25, 0.25, 0.25, 0.25), walk_distance_m=3.0)
    again = make_cohort(8, 2, seed=7, score_weights=(0.25, 0.25, 0.25, 0.25), walk_distance_m=3.0)
    other = make_cohort(8, 2, seed=8, score_weights=(0.25, 0.25, 0.25, 0.25), walk_distance_m=3.0)
    assert [s for s, _ in first] == [s for s, _ in again]
    for (_, trials_a), (_, trials_b) in zip(first, again, strict=True):
        for a, b in zip(trials_a, trials_b, strict=True):
            np.testing.assert_array_equal(a.joints, b.joints)
            assert a.truth == b.truth
    assert not np.array_equal(first[0][1][0].joints, other[0][1][0].joints)
    assert sorted(s.score for s, _ in first) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert len({s.subject_id for s, _ in first}) == 8
    # Two trials of one subject differ a little (day to day), not a lot.
    subject, (day1, day2) = first[0]
    assert day1.truth["stride_length_m"] != day2.truth["stride_length_m"]
    assert abs(day1.truth["stride_length_m"] / day2.truth["stride_length_m"] - 1) < 0.2
    assert day1.profile.subject_id == subject.subject_id and day1.profile.body == subject.body
    assert day1.profile.speed_m_s != subject.speed_m_s


def test_shapes_units_floor_and_quiet_ends(trials):
    for trial in trials.values():
        joints = trial.joints
        assert joints.dtype == np.float32 and joints.ndim == 3 and joints.shape[1:] == (22, 3)
        assert trial.truth["duration_s"] == pytest.approx(len(joints) / trial.fps)
        feet = joints[:, [JOINT_INDEX[j] for j in ("left_ankle", "right_ankle", "left_foot", "right_foot")], 1]
        assert feet.min() == pytest.approx(0.0, abs=1e-5)  # toes rest on the floor at y = 0
        assert joints[..., 1].min() > -1e-5
        assert 0.7 < np.median(joints[:, PELVIS, 1]) < 1.15  # metres, y up
        assert (joints[:, JOINT_INDEX["head"], 1] > joints[:, PELVIS, 1] + 0.4).all()
        quiet = int(0.4 * trial.fps)
        for still in (joints[:quiet], joints[-quiet:]):
            assert np.abs(still - still[0]).max() < 1e-4


def test_bone_lengths_are_constant(trials):
    for trial in trials.values():
        lengths = bone_lengths(trial.joints.astype(np.float64))
        assert (lengths.max(0) - lengths.min(0)).max() < 1e-4
        assert lengths.min() > 0.02


def test_stance_feet_do_not_slide(trials):
    for trial in trials.values():
        for side in ("left", "right"):
            ankle = horizontal(trial.joints[:, JOINT_INDEX[f"{side}_ankle"]])
            toe = horizontal(trial.joints[:, JOINT_INDEX[f"{side}_foot"]])
            for strike, toe_off in stances(trial, side):
                frames = np.arange(strike + 1, toe_off)
                heel_moved = np.linalg.norm(ankle[frames] - ankle[strike + 1], axis=-1)
                toe_moved = np.linalg.norm(toe[frames] - toe[toe_off - 1], axis=-1)
                # Heel fixed until heel rise, toe fixed from foot flat to toe-off: always one contact point pinned.
                assert np.minimum(heel_moved, toe_moved).max() < 1e-3, (side, strike)
                assert heel_moved[: int(0.4 * len(frames))].max() < 5e-3, (side, strike)
                assert toe_moved[int(0.6 * len(frames)) :].max() < 1e-3, (side, strike)


def test_turn_reverses_heading_and_heading_sets_walking_direction():
    trial = trial_of(1, seed=4, heading_deg=90.0)
    joints = trial.joints
    strikes = np.sort(np.concatenate([trial.events["heel_strike_left"], trial.events["heel_strike_right"]]))
    walked = horizontal(joints[strikes[3], PELVIS] - joints[strikes[1], PELVIS])
    np.testing.assert_allclose(walked / np.linalg.norm(walked), [1.0, 0.0], atol=0.03)  # heading 90 = +x
    np.testing.assert_allclose(facing(joints, strikes[2]), [1.0, 0.0], atol=0.1)
    start, end = trial.events["turn"]
    before, after = facing(joints, max(start - int(trial.fps), 0)), facing(joints, end + int(trial.fps))
    assert np.degrees(np.arccos(np.clip(before @ after, -1, 1))) > 165
    assert 0.5 < trial.truth["turn_duration_s"] < 6 and trial.truth["turn_steps"] >= 1
    assert trial.truth["turn_duration_s"] == pytest.approx((end - start) / trial.fps, abs=1.5 / trial.fps)


def test_straight_clip_has_no_turn_and_a_few_strides():
    trial = trial_of(0, seed=5, turn=False, walk_distance_m=4.0)
    assert trial.truth["turn_duration_s"] is None and trial.truth["turn_steps"] is None
    assert trial.events["turn"].shape == (0,)
    assert 2 <= trial.truth["n_strides"] <= 8
    heading = [facing(trial.joints, f) for f in (0, len(trial.joints) // 2, len(trial.joints) - 1)]
    assert min(heading[0] @ h for h in heading) > np.cos(np.radians(10))


def test_truth_has_every_documented_key():
    documented = re.findall(r"^\| `(\w+)` \|", DOCS.read_text(), flags=re.MULTILINE)
    assert set(documented) == set(TRUTH_KEYS)
    truth = trial_of(2, seed=6, walk_distance_m=5.0).truth
    assert set(truth) == set(TRUTH_KEYS)
    assert all(value is not None for value in truth.values())
    assert isinstance(truth["turn_steps"], int) and isinstance(truth["freezing_episodes"], int)


def test_truth_matches_the_definitions_measured_on_the_joints(trials):
    """An independent read of the returned joints and events agrees with the truth."""
    for score, trial in trials.items():
        joints, truth, fps = trial.joints.astype(np.float64), trial.truth, trial.fps
        strides = straight_strides(trial)
        assert len(strides) == truth["n_strides"], score
        starts, ends = np.array(strides).T
        assert 120 * fps / np.mean(ends - starts) == pytest.approx(truth["cadence_steps_min"], rel=0.005)
        lengths = []
        for side in ("left", "right"):
            heel = horizontal(joints[:, JOINT_INDEX[f"{side}_ankle"]])
            mine = [(a, b) for a, b in strides if a in trial.events[f"heel_strike_{side}"]]
            lengths += [np.linalg.norm(heel[b] - heel[a]) for a, b in mine]
        assert np.mean(lengths) == pytest.approx(truth["stride_length_m"], rel=1e-3)

        # Arm swing: upper arm vs the trunk axis in the sagittal plane of the walking direction.
        trunk = joints[:, JOINT_INDEX["neck"]] - joints[:, PELVIS]
        for side in ("left", "right"):
            arm = joints[:, JOINT_INDEX[f"{side}_elbow"]] - joints[:, JOINT_INDEX[f"{side}_shoulder"]]
            swings = []
            for a, b in strides:
                forward = horizontal(joints[b, PELVIS] - joints[a, PELVIS])
                forward /= np.linalg.norm(forward)
                along = lambda v, a=a, b=b, forward=forward: horizontal(v[a:b]) @ forward  # noqa: E731
                angle = np.arctan2(along(arm), -arm[a:b, 1]) - np.arctan2(-along(trunk), trunk[a:b, 1])
                swings.append(np.degrees(np.ptp(angle)))
            assert np.mean(swings) == pytest.approx(truth[f"arm_swing_{side}_deg"], rel=0.005), (score, side)


def test_impairment_grows_with_score_and_adjacent_scores_overlap():
    rng = np.random.default_rng(0)
    subjects = {score: [sample_subject(f"S{i}", score, rng) for i in range(50)] for score in range(4)}

    def values(score: int, name: str) -> np.ndarray:
        return np.array([getattr(s, name) for s in subjects[score]])

    arm = {score: values(score, "arm_swing_left_deg") + values(score, "arm_swing_right_deg") for score in range(4)}
    for name, falls in (
        ("speed_m_s", True),
        ("stride_length_m", True),
        ("foot_lift_m", True),
        ("trunk_flexion_deg", False),
        ("double_support_pct", False),
        ("turn_steps", False),
    ):
        means = [values(score, name).mean() for score in range(4)]
        assert np.all(np.diff(means) < 0) if falls else np.all(np.diff(means) > 0), name
    assert np.all(np.diff([arm[score].mean() for score in range(4)]) < 0)
    for score in range(3):  # a fast higher score walks faster than a slow lower one, in every pair
        assert values(score + 1, "speed_m_s").max() > values(score, "speed_m_s").min()
        assert arm[score + 1].max() > arm[score].min()
    assert all(s.freezing_per_trial == 0 for s in subjects[0] + subjects[1])
    assert np.mean([s.freezing_per_trial > 0 for s in subjects[3]]) > 0.4


def test_score3_freezes_walks_slower_and_freezing_events_match_truth():
    cohort = make_cohort(12, 1, seed=3, score_weights=(0.5, 0.0, 0.0, 0.5))
    by_score = {0: [], 3: []}
    for subject, (trial,) in cohort:
        by_score[subject.score].append(trial)
        episodes = trial.events["freezing"]
        assert len(episodes) == trial.truth["freezing_episodes"]
        pelvis = horizontal(trial.joints[:, PELVIS].astype(np.float64))
        speed = np.linalg.norm(np.gradient(pelvis, 1 / trial.fps, axis=0), axis=-1)
        for start, end in episodes:
            assert (end - start) / trial.fps >= 0.95
            assert speed[start + 1 : end].max() < 0.1
    assert sum(t.truth["freezing_episodes"] for t in by_score[0]) == 0
    assert sum(t.truth["freezing_episodes"] for t in by_score[3]) >= 2
    speeds = {score: np.mean([t.truth["speed_m_s"] for t in ts]) for score, ts in by_score.items()}
    assert speeds[3] < 0.8 * speeds[0]
    turns = {score: np.mean([t.truth["turn_steps"] for t in ts]) for score, ts in by_score.items()}
    assert turns[3] > turns[0]


def test_truth_and_motion_do_not_depend_on_the_frame_rate():
    slow, fast = trial_of(1, seed=9, fps=30.0, walk_distance_m=4.0), trial_of(1, seed=9, fps=120.0, walk_distance_m=4.0)
    for key in TRUTH_KEYS:
        if key != "duration_s":
            assert slow.truth[key] == fast.truth[key], key
    np.testing.assert_allclose(slow.joints[10], fast.joints[40], atol=1e-5)  # the same instant, t = 1/3 s
    np.testing.assert_allclose(slow.events["heel_strike_left"] * 4, fast.events["heel_strike_left"], atol=2)


def test_observation_noise_is_seeded_correlated_and_breaks_bones():
    clean = trial_of(0, seed=10, walk_distance_m=3.0).joints
    noisy = add_observation_noise(clean, 0.01, np.random.default_rng(1))
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape
    np.testing.assert_array_equal(noisy, add_observation_noise(clean, 0.01, np.random.default_rng(1)))
    error = (noisy - clean).astype(np.float64)
    assert error.std() == pytest.approx(0.01, rel=0.1)
    lag1 = np.corrcoef(error[1:].ravel(), error[:-1].ravel())[0, 1]
    assert 0.4 < lag1 < 0.8
    assert np.ptp(bone_lengths(noisy.astype(np.float64)), axis=0).min() > 1e-3
    np.testing.assert_array_equal(add_observation_noise(clean, 0.0, np.random.default_rng(1)), clean)


def test_bad_input_is_refused():
    rng = np.random.default_rng(0)
    subject = sample_subject("a", 1, rng)
    with pytest.raises(ValueError, match="score"):
        sample_subject("a", 4, rng)
    with pytest.raises(ValueError, match="score"):
        SubjectProfile(**{**subject.__dict__, "score": -1})
    with pytest.raises(ValueError, match="fps"):
        simulate_trial(subject, rng, fps=0)
    with pytest.raises(ValueError, match="walk_distance_m"):
        simulate_trial(subject, rng, walk_distance_m=0.2)
    with pytest.raises(ValueError, match="score_weights"):
        make_cohort(4, 1, seed=0, score_weights=(1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="subject"):
        make_cohort(0, 1, seed=0)
    with pytest.raises(ValueError, match="sigma_m"):
        add_observation_noise(np.zeros((5, 22, 3)), -1.0, rng)
    with pytest.raises(ValueError, match="joints"):
        add_observation_noise(np.zeros((5, 22)), 0.01, rng)
