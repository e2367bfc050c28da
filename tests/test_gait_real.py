"""Gait parameters of real-looking skeletons: video-lifter output (root-relative, 15 joints, jitter), marker ankles,
curved and slow walks, and the bad inputs of each kind. The >= 10 seeds x 4 scores sweep is
benchmarks/gait_accuracy.py; these are a few seeds of each condition."""

import json
import re

import numpy as np
import pytest

from agir.gait import main as gait_cli
from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.gait_root import METHOD
from agir.motion.io import Motion, save_motion
from agir.motion.skeleton import LEFT_ANKLE, PELVIS, RIGHT_ANKLE, get_layout
from agir.motion.synth import (
    LifterNoise,
    lifter_observation,
    malleoli,
    sample_subject,
    shuffler,
    simulate_trial,
)

HALF_JITTER = LifterNoise(jitter_m=0.01)  # 1 cm across the image, 2 cm along depth
CORE = ("speed_m_s", "stride_length_m", "cadence_steps_min")


def trial_of(score: int, seed: int, **kwargs):
    rng = np.random.default_rng(seed)
    return simulate_trial(sample_subject(f"R{score}", score, rng), rng, **kwargs)


def relative_error(values: dict, truth: dict, key: str) -> float:
    assert values[key] is not None, f"{key} is None"
    return abs(values[key] / truth[key] - 1.0)


def test_lifter_observation_is_root_relative_with_fifteen_joints():
    trial = trial_of(1, 3, fps=30.0)
    joints, measured = lifter_observation(trial.joints, trial.fps, np.random.default_rng(0))
    assert joints.shape == trial.joints.shape and np.array_equal(measured, get_layout("lifter15").measured_mask)
    assert np.abs(joints[:, PELVIS]).max() < 1e-6  # translation removed
    assert not measured[[10, 11]].any()  # no toes
    error = np.linalg.norm(
        joints[:, LEFT_ANKLE] - joints[:, PELVIS] - trial.joints[:, LEFT_ANKLE] + trial.joints[:, 0], axis=-1
    )
    assert 0.02 < np.sqrt(np.mean(error**2)) < 0.07  # a few cm, like published lifters (MPJPE 40-60 mm)


@pytest.mark.parametrize("score, seed, fps", [(0, 1, 30.0), (1, 2, 15.0), (2, 3, 30.0), (3, 4, 15.0)])
def test_root_relative_clean_walk_is_recovered_from_the_feet(score, seed, fps):
    trial = trial_of(score, seed, fps=fps)
    joints, measured = lifter_observation(
        trial.joints, fps, np.random.default_rng(seed), LifterNoise(jitter_m=0.0, bone_wobble=0.0, skate_m=0.0)
    )
    result = extract_gait_parameters(joints, fps, measured=measured)
    assert result.root_relative
    for key in CORE:
        assert relative_error(result.values, trial.truth, key) < 0.05, key
        assert result.methods[key] == METHOD
    assert relative_error(result.values, trial.truth, "step_width_m") < 0.15
    assert result.values["freezing_episodes"] == trial.truth["freezing_episodes"]
    assert json.loads(json.dumps(result.to_dict()))["methods"]["speed_m_s"].startswith("root-relative skeleton")
    for key in ("arm_swing_left_deg", "arm_swing_right_deg"):  # the jitter gate nulls no jitter-free swing
        assert result.values[key] is not None and key not in result.reasons


@pytest.mark.parametrize("score, seed, fps", [(0, 5, 30.0), (2, 6, 15.0), (3, 7, 30.0)])
def test_root_relative_lifter_noise_gives_no_number_from_noise(score, seed, fps):
    """1 / 2 cm correlated jitter, 3% bone wobble, 2 cm foot skating, 15 joints, translation removed: the issue's
    5% on speed, stride and cadence (met at this noise over 10 seeds x 4 scores, benchmarks/gait_accuracy.py)."""
    trial = trial_of(score, seed, fps=fps)
    joints, measured = lifter_observation(trial.joints, fps, np.random.default_rng(seed), HALF_JITTER)
    values = extract_gait_parameters(joints, fps, measured=measured).values
    for key in CORE:
        assert relative_error(values, trial.truth, key) < 0.05, key
    assert values["freezing_episodes"] <= trial.truth["freezing_episodes"]  # no phantom freezing
    assert values["step_length_left_m"] > 0 and values["step_length_right_m"] > 0
    assert 60.0 < values["cadence_steps_min"] < 160.0


def test_freezing_under_full_lifter_noise_is_found_and_jittery_step_width_is_null():
    """2 / 4 cm jitter: a freeze whose foot creeps forward in the hold is still a freeze (the swing is the fast part
    of the foot's rise), so speed is not dragged down by it; widths that scatter like jitter give no step width."""
    rng = np.random.default_rng(10_208)  # benchmarks/gait_accuracy.py: score 2, seed 8, one freeze
    trial = simulate_trial(sample_subject("A2", 2, rng), rng, fps=15.0)
    joints, measured = lifter_observation(trial.joints, 15.0, np.random.default_rng(8), LifterNoise())
    result = extract_gait_parameters(joints, 15.0, measured=measured)
    assert trial.truth["freezing_episodes"] == 1 and result.values["freezing_episodes"] == 1
    assert relative_error(result.values, trial.truth, "speed_m_s") < 0.10  # -15% with the freeze missed
    assert result.values["step_width_m"] is None
    assert result.reasons["step_width_m"].startswith("root-relative skeleton: step widths scatter")


def benchmark_trial(score: int, seed: int, fps: float, noise: LifterNoise):
    """A trial of benchmarks/gait_accuracy.py's lifter conditions, as the lifter writes it."""
    rng = np.random.default_rng(10_000 + 100 * score + seed)
    trial = simulate_trial(sample_subject(f"A{score}", score, rng), rng, fps=fps)
    return trial, *lifter_observation(trial.joints, fps, np.random.default_rng(seed), noise)


@pytest.mark.parametrize("score, seed, fps", [(0, 0, 30.0), (0, 2, 15.0)])
def test_arm_swing_under_full_lifter_noise_within_ten_percent(score, seed, fps):
    """2 / 4 cm jitter: the mean cycle over every straight stride, relative to the axis through the neck and both
    shoulders (a third of the neck's jitter), keeps swings above 20 degrees within 10% where the jitter allows."""
    trial, joints, measured = benchmark_trial(score, seed, fps, LifterNoise())
    values = extract_gait_parameters(joints, fps, measured=measured).values
    for key in ("arm_swing_left_deg", "arm_swing_right_deg"):
        assert trial.truth[key] > 20.0 and relative_error(values, trial.truth, key) < 0.10, key


def test_arm_swing_too_jittery_to_measure_is_null_with_the_reason():
    """5 / 10 cm jitter (twice a published lifter's): the swing's jackknife standard error over the strides exceeds
    its bound, so it is null with the size of the uncertainty; what the jitter leaves measurable is still reported."""
    trial, joints, measured = benchmark_trial(1, 3, 30.0, LifterNoise(jitter_m=0.05))
    result = extract_gait_parameters(joints, 30.0, measured=measured)
    for key in ("arm_swing_left_deg", "arm_swing_right_deg", "arm_swing_asymmetry_pct"):
        assert result.values[key] is None, key
    assert re.fullmatch(
        r"joint jitter too large to measure the swing: about \+/-\d+ degrees around \d+ "
        r"\(2 standard errors over \d+ strides\)",
        result.reasons["arm_swing_left_deg"],
    )
    assert result.reasons["arm_swing_asymmetry_pct"] == "left and right arm swing not measured: joint jitter too large"
    assert relative_error(result.values, trial.truth, "cadence_steps_min") < 0.05


def test_root_relative_clip_too_short_to_recover_says_so():
    trial = trial_of(1, 8, fps=30.0, walk_distance_m=3.0, turn=False)
    joints, measured = lifter_observation(trial.joints, 30.0, np.random.default_rng(0), HALF_JITTER)
    first_step = trial.events["heel_strike_left"].min(initial=10**6)
    first_step = min(first_step, trial.events["heel_strike_right"].min(initial=10**6))
    result = extract_gait_parameters(joints[: first_step + 12], 30.0, measured=measured)
    assert result.root_relative
    reasons = {result.reasons[key] for key, value in result.values.items() if value is None}
    assert len(reasons) == 1 and next(iter(reasons)).startswith("root-relative skeleton: too short to recover")
    assert [key for key, value in result.values.items() if value is not None] == ["duration_s"]


def test_root_relative_clip_without_alternating_steps_says_so():
    """Only one foot steps (a lifter that lost the other leg): no walk to recover, and no number from it."""
    trial = trial_of(0, 9, fps=30.0, walk_distance_m=6.0, turn=False)
    joints, measured = lifter_observation(trial.joints, 30.0, np.random.default_rng(0), HALF_JITTER)
    joints[:, RIGHT_ANKLE] = joints[:1, RIGHT_ANKLE]  # the right foot stays where it stood, under the pelvis
    result = extract_gait_parameters(joints, 30.0, measured=measured)
    reasons = {result.reasons[key] for key, value in result.values.items() if value is None}
    assert reasons == {"root-relative skeleton: the feet do not step in turn, so the walk cannot be recovered"}


def test_person_standing_still_under_lifter_noise_is_standing():
    trial = trial_of(2, 10, fps=30.0)
    still = np.repeat(trial.joints[:1], 150, axis=0)
    joints, measured = lifter_observation(still, 30.0, np.random.default_rng(1), HALF_JITTER)
    result = extract_gait_parameters(joints, 30.0, measured=measured)
    assert not result.root_relative and result.values["freezing_episodes"] == 0
    measured_keys = {key for key, value in result.values.items() if value is not None}
    assert measured_keys <= {"duration_s", "n_strides", "freezing_episodes", "turning_total_deg", "turning_time_s"}
    standing = "standing still throughout: neither the pelvis nor the feet move"
    assert set(result.reasons.values()) == {standing}


def test_step_width_between_ankle_joint_centres_of_marker_like_points():
    """Lateral and medial malleolus points: their midpoint is the joint centre; the lateral markers alone read the
    width ~7 cm wide (what the issue saw on marker data)."""
    trial = trial_of(2, 11, fps=120.0)
    points = malleoli(trial.joints)
    centres = trial.joints.copy()
    lateral = trial.joints.copy()
    for side, ankle in (("L", LEFT_ANKLE), ("R", RIGHT_ANKLE)):
        centres[:, ankle] = (points[f"{side}.Ankle"] + points[f"{side}.Ankle.Medial"]) / 2.0
        lateral[:, ankle] = points[f"{side}.Ankle"]
    width = extract_gait_parameters(centres, 120.0).values["step_width_m"]
    assert abs(width / trial.truth["step_width_m"] - 1.0) < 0.15
    outer = extract_gait_parameters(lateral, 120.0).values["step_width_m"]
    assert outer - width == pytest.approx(0.07, abs=0.01)


@pytest.mark.parametrize("path, score, seed", [("circle", 0, 12), ("figure_eight", 2, 13)])
def test_curved_walks_width_and_turning(path, score, seed):
    trial = trial_of(score, seed, fps=30.0, path=path, walk_distance_m=12.0)
    result = extract_gait_parameters(trial.joints, 30.0)
    values, truth = result.values, trial.truth
    assert relative_error(values, truth, "step_width_m") < 0.15
    for key in CORE:
        assert relative_error(values, truth, key) < 0.05, key
    assert truth["turning_total_deg"] > 360.0
    assert relative_error(values, truth, "turning_total_deg") < 0.10
    assert relative_error(values, truth, "turning_time_s") < 0.15
    assert values["turn_duration_s"] is None and "wide curves" in result.reasons["turn_duration_s"]


def test_the_turn_of_the_test_is_total_turning_too():
    trial = trial_of(1, 14, fps=30.0)
    values = extract_gait_parameters(trial.joints, 30.0).values
    assert trial.truth["turning_total_deg"] == pytest.approx(180.0)
    assert values["turning_total_deg"] == pytest.approx(180.0, rel=0.10)
    assert values["turning_time_s"] == pytest.approx(values["turn_duration_s"], rel=0.15)


def test_straight_walk_turns_zero_degrees():
    values = extract_gait_parameters(trial_of(0, 15, fps=30.0, turn=False).joints, 30.0).values
    assert values["turning_total_deg"] == 0.0 and values["turning_time_s"] == 0.0


@pytest.mark.parametrize("score, seed", [(1, 16), (3, 17)])
def test_shuffling_at_a_fifth_of_a_metre_per_second(score, seed):
    rng = np.random.default_rng(seed)
    subject = shuffler(sample_subject("S", score, rng))
    trial = simulate_trial(subject, rng, fps=30.0)
    values = extract_gait_parameters(trial.joints, 30.0).values
    assert 0.18 < trial.truth["speed_m_s"] < 0.25
    for key in (*CORE, "step_width_m"):
        assert relative_error(values, trial.truth, key) < 0.03, key
    assert values["freezing_episodes"] == trial.truth["freezing_episodes"]


def test_a_walker_slower_than_the_standing_threshold_is_walking():
    """0.13 m/s: a fixed 0.1 m/s quiet threshold made a phantom freeze of this walker (the threshold adapts)."""
    rng = np.random.default_rng(8)
    subject = shuffler(sample_subject("S", 3, rng), speed_m_s=0.12, cadence_steps_min=80.0)
    trial = simulate_trial(subject, rng, fps=30.0)
    values = extract_gait_parameters(trial.joints, 30.0).values
    assert trial.truth["speed_m_s"] < 0.14
    assert relative_error(values, trial.truth, "speed_m_s") < 0.03
    assert values["freezing_episodes"] == trial.truth["freezing_episodes"] == 0


def test_cli_says_the_walk_was_recovered_from_a_root_relative_skeleton(tmp_path, capsys):
    trial = trial_of(1, 18, fps=30.0, walk_distance_m=5.0)
    joints, measured = lifter_observation(trial.joints, 30.0, np.random.default_rng(0), HALF_JITTER)
    path = tmp_path / "lifted.npz"
    save_motion(path, Motion(joints, 30.0, "smpl22", measured, str(path)))
    assert gait_cli([str(path)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.endswith("root-relative skeleton: the walk is recovered from foot contacts")
