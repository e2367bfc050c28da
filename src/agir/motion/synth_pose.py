"""Joint positions of a planned synthetic trial at any times (local frame of the plan, metres, y up).

Feet follow their contacts: fixed on the floor in stance (rotating about the ankle after heel strike and about the
toe during push-off, so no contact point slides) and minimum-jerk swings in between. The pelvis rides the path with
sway, rotation and a bob, lowered wherever a leg could not otherwise reach its ankle; knees come from analytic
two-bone IK and the upper body from forward kinematics, so every bone keeps its length exactly.
"""

from __future__ import annotations

import numpy as np

from agir.motion.skeleton import JOINT_INDEX, NUM_JOINTS
from agir.motion.synth_plan import LEFT, RIGHT, FootContacts, GaitPlan, Tremble, left_of
from agir.motion.synth_profile import SubjectProfile

_REACH = 0.999  # longest hip-ankle distance allowed, as a share of thigh + shank
_SOFTMIN_M = 0.004  # smoothing of the pelvis height where a leg's reach takes over
_WALK_CROUCH_M = 0.015  # knees flex a little more while walking than while standing
_BOB_MARGIN_M = 0.015  # room below the legs' reach at double support, for step-length variability
_TRUNK_PITCH_SWAY_DEG = 0.8  # the trunk nods twice per stride
_TRUNK_ROLL_DEG = 1.5  # and leans towards the stance leg once per stride
_HEAD_FLEXION_SHARE = 0.4  # the head flexes less than the trunk, to keep looking ahead
_ARM_FORWARD_DEG = 2.0  # arms hang slightly forward of the trunk axis
_ELBOW_SWING_SHARE = 0.5  # the elbow flexes further as the arm swings forward
_FOREARM_INWARD_DEG = 10.0  # hands closer to the body than the elbows


def _progress(t: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """0 before start, 1 after end, linear in between; infinite bounds allowed."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (t - start) / (end - start)
    return np.where(t <= start, 0.0, np.where(t >= end, 1.0, ratio))


def _min_jerk(x: np.ndarray) -> np.ndarray:
    return x**3 * (10.0 - 15.0 * x + 6.0 * x**2)


def _yaw_rotate(v: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotate (..., 3) vectors about +y by yaw (0 keeps +z, positive turns +z towards +x)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([v[..., 0] * c + v[..., 2] * s, v[..., 1], -v[..., 0] * s + v[..., 2] * c], axis=-1)


def _body_rotation(yaw: np.ndarray, roll: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """(n, 3, 3) yaw . roll . pitch: pitch leans up towards forward, roll leans up towards the left."""
    n = len(yaw)
    cp, sp, cr, sr, cy, sy = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll), np.cos(yaw), np.sin(yaw)
    zeros, ones = np.zeros(n), np.ones(n)
    pitch_m = np.stack([ones, zeros, zeros, zeros, cp, -sp, zeros, sp, cp], -1).reshape(n, 3, 3)
    roll_m = np.stack([cr, sr, zeros, -sr, cr, zeros, zeros, zeros, ones], -1).reshape(n, 3, 3)
    yaw_m = np.stack([cy, zeros, sy, zeros, ones, zeros, -sy, zeros, cy], -1).reshape(n, 3, 3)
    return yaw_m @ roll_m @ pitch_m


def _forward(yaw: np.ndarray) -> np.ndarray:
    """(n, 3) horizontal unit vector of a walking direction."""
    return np.stack([np.sin(yaw), np.zeros_like(yaw), np.cos(yaw)], axis=-1)


def _foot_vector(profile: SubjectProfile, yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """(n, 3) ankle -> toe for a foot heading `yaw` and pitched toe-up by `pitch` (0 = flat, toe on the floor)."""
    height, forward = profile.body.ankle_height_m, profile.body.foot_forward_m
    up = -height * np.cos(pitch) + forward * np.sin(pitch)
    ahead = height * np.sin(pitch) + forward * np.cos(pitch)
    return np.stack([ahead * np.sin(yaw), up, ahead * np.cos(yaw)], axis=-1)


def _tremble_pitch(trembles: list[Tremble], side: int, times: np.ndarray) -> np.ndarray:
    """Heel-rise angle (rad) of freezing tremor: bursts in each freezing window, the two feet in anti-phase."""
    pitch = np.zeros_like(times)
    for tremble in trembles:
        window = _progress(times, tremble.start, tremble.end)
        shake = 0.5 - 0.5 * np.cos(2.0 * np.pi * tremble.frequency_hz * (times - tremble.start) + np.pi * side)
        pitch += np.radians(tremble.amplitude_deg) * np.sin(np.pi * window) ** 2 * shake
    return pitch


def foot_positions(
    contacts: FootContacts, side: int, profile: SubjectProfile, trembles: list[Tremble], times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) ankle and (n, 3) toe of one foot."""
    heel_strike, push_off = np.radians(profile.heel_strike_deg), np.radians(profile.push_off_deg)
    toe_out = np.radians(profile.toe_out_deg) * (1.0 if side == LEFT else -1.0)
    c = np.searchsorted(contacts.strike, times, side="right") - 1  # the contact of the last heel strike
    nxt = np.minimum(c + 1, len(contacts.strike) - 1)
    floor_ankle = np.column_stack(
        [contacts.ankle[:, 0], np.full(len(contacts.ankle), profile.body.ankle_height_m), contacts.ankle[:, 1]]
    )
    yaw = contacts.yaw + toe_out
    toe_fixed = floor_ankle + _foot_vector(profile, yaw, np.zeros_like(yaw))

    # Stance: toe-up rocker about the ankle until foot flat, then heel rise (push-off, tremor) about the toe.
    rocker = heel_strike * (1.0 - _min_jerk(_progress(times, contacts.strike[c], contacts.flat[c])))
    rise = push_off * _min_jerk(_progress(times, contacts.heel_off[c], contacts.toe_off[c]))
    rise = rise + _tremble_pitch(trembles, side, times)
    on_heel = times < contacts.flat[c]
    rocker_toe = floor_ankle[c] + _foot_vector(profile, yaw[c], rocker)
    rise_ankle = toe_fixed[c] - _foot_vector(profile, yaw[c], -rise)
    ankle = np.where(on_heel[:, None], floor_ankle[c], rise_ankle)
    toe = np.where(on_heel[:, None], rocker_toe, toe_fixed[c])

    # Swing from the push-off pose to the heel-strike pose of the next contact.
    swinging = times >= contacts.toe_off[c]
    if swinging.any():
        t, i, j = times[swinging], c[swinging], nxt[swinging]
        lift_off = toe_fixed[i] - _foot_vector(profile, yaw[i], np.full(len(i), -push_off))
        tau = _progress(t, contacts.toe_off[i], contacts.strike[j])
        blend = _min_jerk(tau)[:, None]
        swing_ankle = (1.0 - blend) * lift_off + blend * floor_ankle[j]
        swing_ankle[:, 1] += profile.foot_lift_m * 64.0 * (tau * (1.0 - tau)) ** 3
        swing_yaw = (1.0 - blend[:, 0]) * yaw[i] + blend[:, 0] * yaw[j]
        swing_pitch = (1.0 - blend[:, 0]) * -push_off + blend[:, 0] * heel_strike
        swing_toe = swing_ankle + _foot_vector(profile, swing_yaw, swing_pitch)
        # A low swing must not dig the toe into the floor: lift the whole foot instead.
        dig = np.maximum(-swing_toe[:, 1], 0.0)[:, None] * np.array([0.0, 1.0, 0.0])
        ankle[swinging], toe[swinging] = swing_ankle + dig, swing_toe + dig
    return ankle, toe


def _softmin(values: np.ndarray, temperature: float) -> np.ndarray:
    """Smooth minimum along axis 0, never above the true minimum."""
    low = values.min(axis=0)
    return low - temperature * np.log(np.exp(-(values - low) / temperature).sum(axis=0))


def _knee(hip: np.ndarray, ankle: np.ndarray, thigh: float, shank: float, forward: np.ndarray) -> np.ndarray:
    """Two-bone IK: the knee that keeps both bone lengths, bending towards `forward`."""
    reach = ankle - hip
    distance = np.linalg.norm(reach, axis=-1, keepdims=True)
    axis = reach / distance
    cos_hip = np.clip((thigh**2 + distance**2 - shank**2) / (2.0 * thigh * distance), -1.0, 1.0)
    bend = forward - (forward * axis).sum(-1, keepdims=True) * axis
    bend /= np.linalg.norm(bend, axis=-1, keepdims=True)
    return hip + thigh * (cos_hip * axis + np.sqrt(1.0 - cos_hip**2) * bend)


def _pelvis_bob(profile: SubjectProfile, swing: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Pelvis height: standing height, lowered a little while walking, lowest at heel strikes.

    The dip is deep enough for both legs to reach the floor half a step away at double support, so the legs'
    reach (the hard limit applied after this) rarely binds and the bob stays a smooth sinusoid.
    """
    body = profile.body
    leg = body.thigh_m + body.shank_m
    standing = body.ankle_height_m + profile.knee_extension * leg - body.hip[1]
    double_support = (
        body.ankle_height_m + np.sqrt((_REACH * leg) ** 2 - (profile.stride_length_m / 4.0) ** 2) - body.hip[1]
    )
    top = standing - _WALK_CROUCH_M
    bob = max(profile.pelvis_bob_m, top - double_support + _BOB_MARGIN_M)
    return standing - swing * (_WALK_CROUCH_M + bob * (1.0 + np.cos(2.0 * phase)) / 2.0)


def pose(plan: GaitPlan, profile: SubjectProfile, times: np.ndarray) -> np.ndarray:
    """(n, 22, 3) float64 joints at `times` (seconds)."""
    joints = np.zeros((len(times), NUM_JOINTS, 3))
    arc = plan.progress(times)
    walk_yaw = plan.path.heading(arc)
    phase, swing = plan.phase(times), plan.envelope(times)
    _pelvis_and_legs(plan, profile, times, joints, arc, walk_yaw, phase, swing)
    _upper_body(plan, profile, times, joints, walk_yaw, phase, swing)
    return joints


def _pelvis_and_legs(
    plan: GaitPlan,
    profile: SubjectProfile,
    times: np.ndarray,
    joints: np.ndarray,
    arc: np.ndarray,
    walk_yaw: np.ndarray,
    phase: np.ndarray,
    swing: np.ndarray,
) -> None:
    """Feet from their contacts, the pelvis above them (low enough for both legs to reach), knees by IK."""
    body = profile.body
    feet = [foot_positions(plan.feet[side], side, profile, plan.trembles, times) for side in (LEFT, RIGHT)]
    centre = plan.path.point(arc) + (profile.pelvis_sway_m * swing * np.sin(phase))[:, None] * left_of(walk_yaw)
    pelvis_yaw = walk_yaw - np.radians(profile.pelvis_rotation_deg) * swing * np.cos(phase)
    hip_offsets = [
        _yaw_rotate(np.broadcast_to(np.multiply(body.hip, mirror), (len(times), 3)), pelvis_yaw)
        for mirror in ([1.0, 1.0, 1.0], [-1.0, 1.0, 1.0])
    ]

    heights = [_pelvis_bob(profile, swing, phase)]
    reach = _REACH * (body.thigh_m + body.shank_m)
    for (ankle, _), hip_offset in zip(feet, hip_offsets, strict=True):
        apart = np.linalg.norm(centre + hip_offset[:, [0, 2]] - ankle[:, [0, 2]], axis=-1)
        heights.append(ankle[:, 1] + np.sqrt(np.maximum(reach**2 - apart**2, 0.0)) - body.hip[1])
    pelvis = np.column_stack([centre[:, 0], _softmin(np.stack(heights), _SOFTMIN_M), centre[:, 1]])
    joints[:, JOINT_INDEX["pelvis"]] = pelvis

    knee_forward = _forward(pelvis_yaw)
    for prefix, hip_offset, (ankle, toe) in zip(("left", "right"), hip_offsets, feet, strict=True):
        hip = pelvis + hip_offset
        joints[:, JOINT_INDEX[f"{prefix}_hip"]] = hip
        joints[:, JOINT_INDEX[f"{prefix}_knee"]] = _knee(hip, ankle, body.thigh_m, body.shank_m, knee_forward)
        joints[:, JOINT_INDEX[f"{prefix}_ankle"]] = ankle
        joints[:, JOINT_INDEX[f"{prefix}_foot"]] = toe


def _upper_body(
    plan: GaitPlan,
    profile: SubjectProfile,
    times: np.ndarray,
    joints: np.ndarray,
    walk_yaw: np.ndarray,
    phase: np.ndarray,
    swing: np.ndarray,
) -> None:
    """Spine, head and arms by forward kinematics on top of the pelvis already in `joints`."""
    body = profile.body
    index = JOINT_INDEX

    def heading_ahead(seconds: float) -> np.ndarray:  # the head and thorax lead the body into the turn
        return plan.path.heading(plan.progress(np.clip(times + seconds, 0.0, plan.duration_s)))

    # The thorax counter-rotates against the pelvis; the rest pose's own lean is taken out so that pelvis -> neck
    # leans exactly trunk_flexion_deg on average.
    counter_rotation = 0.5 * np.radians(profile.pelvis_rotation_deg) * swing * np.cos(phase)
    spine_sum = np.sum(body.spine, axis=0)
    rest_lean = np.arctan2(spine_sum[2], spine_sum[1])
    flexion = np.radians(profile.trunk_flexion_deg)
    pitch = flexion - rest_lean + np.radians(_TRUNK_PITCH_SWAY_DEG) * swing * np.cos(2.0 * phase)
    roll = np.radians(_TRUNK_ROLL_DEG) * swing * np.sin(phase)
    trunk = _body_rotation(heading_ahead(profile.head_lead_s / 2.0) + counter_rotation, roll, pitch)
    head = _body_rotation(
        heading_ahead(profile.head_lead_s), np.zeros_like(times), np.full_like(times, _HEAD_FLEXION_SHARE * flexion)
    )

    position = joints[:, index["pelvis"]]
    for name, offset in zip(("spine1", "spine2", "spine3", "neck"), body.spine, strict=True):
        position = position + trunk @ np.array(offset)
        joints[:, index[name]] = position
    joints[:, index["head"]] = position + head @ np.array(body.head)

    # Arms swing in the sagittal plane of the walking direction, relative to the trunk axis (pelvis -> neck).
    forward = _forward(walk_yaw)
    up = np.array([0.0, 1.0, 0.0])
    left = np.stack([np.cos(walk_yaw), np.zeros_like(walk_yaw), -np.sin(walk_yaw)], axis=-1)
    axis = joints[:, index["neck"]] - joints[:, index["pelvis"]]
    lean = np.arctan2((axis * forward).sum(-1), axis[:, 1])
    abduction = np.radians(profile.arm_abduction_deg)
    neutral = flexion + np.radians(_ARM_FORWARD_DEG)
    amplitudes = {"left": profile.arm_swing_left_deg, "right": profile.arm_swing_right_deg}
    for prefix, mirror, sign in (("left", 1.0, -1.0), ("right", -1.0, 1.0)):
        collar = joints[:, index["spine3"]] + trunk @ (np.array(body.collar) * [mirror, 1.0, 1.0])
        shoulder = collar + trunk @ (np.array(body.shoulder) * [mirror, 1.0, 1.0])
        relative = neutral + sign * np.radians(amplitudes[prefix]) / 2.0 * swing * np.cos(phase)
        elbow_flexion = np.maximum(
            np.radians(profile.elbow_flexion_deg) + _ELBOW_SWING_SHARE * (relative - neutral), np.radians(3.0)
        )
        elbow = shoulder + body.upper_arm_m * _limb(relative - lean, abduction, mirror, forward, up, left)
        forearm = _limb(
            relative - lean + elbow_flexion, abduction - np.radians(_FOREARM_INWARD_DEG), mirror, forward, up, left
        )
        wrist = elbow + body.forearm_m * forearm
        for name, value in (("collar", collar), ("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist)):
            joints[:, index[f"{prefix}_{name}"]] = value


def _limb(
    angle: np.ndarray, abduction: float, mirror: float, forward: np.ndarray, up: np.ndarray, left: np.ndarray
) -> np.ndarray:
    """Unit vector hanging down, swung forward by `angle` in the sagittal plane and out to its side by `abduction`."""
    sagittal = np.sin(angle)[:, None] * forward - np.cos(angle)[:, None] * up
    return np.cos(abduction) * sagittal + np.sin(abduction) * mirror * left
