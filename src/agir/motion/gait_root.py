"""Root-relative skeletons (what video 3D-pose lifters write): detect them and recover the walk from foot contacts.

A lifter puts the pelvis at the origin in every frame, so the pelvis path says nothing about walking. The feet still
do: relative to the pelvis, a foot in stance moves backwards at the walking speed and a swinging foot forwards. The
foot's forward position relative to the pelvis peaks at heel strike and bottoms out at toe off (Zeni et al. 2008).
A stance foot does not slide, so the pelvis moves by minus the stance foot's motion relative to it (the mean of both
feet in double support); integrating that, switching feet at the contacts, gives back the root trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as splinalg

from agir.motion.gait_events import (
    MIN_FREEZE_S,
    PATH_CUTOFF_HZ,
    POSITION_CUTOFF_HZ,
    FootEvents,
    heading_swings,
    horizontal,
    lowpass,
    runs,
)
from agir.motion.skeleton import LEFT_ANKLE, LEFT_HIP, LEFT_SHOULDER, PELVIS, RIGHT_ANKLE, RIGHT_HIP, RIGHT_SHOULDER

FIXED_ROOT_M = 0.05  # a pelvis that stays this close to where it is most of the time does not walk
FACING_CUTOFF_HZ = 0.5  # body facing from the hips and shoulders: slower than the pelvis rotation of each stride
EXCURSION_CUTOFF_HZ = 3.0  # the foot's fore-aft position relative to the pelvis, above step frequencies
MIN_EXCURSION_M = 0.1  # a step moves the foot this far relative to the pelvis, lifter jitter (after the filter) not
EXCURSION_SHARE = 0.6  # or this share of the foot's typical fore-aft range, if more
FLAT_FROM, FLAT_TO = 0.1, 0.6  # share of a stance (heel strike to toe off) where the foot is flat: after loading,
# up to heel rise (~60% of the stance); the whole of it, to pool as many frames of jitter as possible
STILL_WEIGHT = 100.0  # on the root's frame-to-frame motion while the body stands: jitter must not move it
ROOT_CUTOFF_HZ = 1.5  # of the recovered root path between contacts: pools the jitter of more frames into each footprint
ROOT_CUTOFF_SHARE = 0.1  # of the frame rate, at most: at 15 fps a contact has few frames to average the jitter
SWING_EDGE_SHARE = 0.25  # of a swing's rise: where the foot leaves its stance position and reaches the next
MIN_STEPS = 3  # alternating steps needed to recover a stride of each foot
METHOD = "root-relative skeleton: root path reconstructed from foot contacts (the stance foot does not slide)"
PREFIX = "root-relative skeleton"


@dataclass
class RootRecovery:
    """What the root-relative check found, and the joints with the recovered translation when it could be."""

    root_relative: bool  # the pelvis stays in place while the feet step
    joints: np.ndarray | None  # (frames, 22, 3) with the recovered translation; None if it could not be recovered
    reason: str | None  # why not, when root_relative and joints is None
    facing: np.ndarray | None = None  # (frames,) unwrapped body facing (yaw about +y, 0 = +z), with the joints
    feet: dict[str, FootEvents] | None = None  # the contacts found, with the joints
    footprints: dict[str, dict[float, np.ndarray]] | None = None  # side -> heel strike (s) -> (x, z) of that contact


def _facing(joints: np.ndarray, fps: float) -> np.ndarray:
    """(frames, 2) horizontal unit facing direction from the hip and shoulder lines (body left = +x facing +z)."""
    across = horizontal(
        joints[:, LEFT_HIP] - joints[:, RIGHT_HIP] + joints[:, LEFT_SHOULDER] - joints[:, RIGHT_SHOULDER]
    )
    across = lowpass(across, fps, FACING_CUTOFF_HZ)
    forward = np.stack([-across[:, 1], across[:, 0]], axis=-1)
    return forward / np.maximum(np.linalg.norm(forward, axis=-1, keepdims=True), 1e-9)


def _steps(excursion: np.ndarray) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(heel strike, toe off) falls and (toe off, heel strike) rises of one foot's fore-aft position relative to the
    pelvis, in frames: its stances moving back under the walking body, and its swings."""
    spread = np.percentile(excursion, 90) - np.percentile(excursion, 10)
    swings = heading_swings(excursion, max(MIN_EXCURSION_M, EXCURSION_SHARE * spread))
    falls = [(a, b) for a, b in swings if excursion[b] < excursion[a]]
    return falls, [(a, b) for a, b in swings if excursion[b] > excursion[a]]


def _fast_part(excursion: np.ndarray, rise: tuple[int, int]) -> tuple[int, int]:
    """The frames of `rise` where the foot really swings: from where it leaves the low by SWING_EDGE_SHARE of the rise
    to where it comes within that share of the top. A foot that slowly creeps forward in a freeze (tremor, skating,
    jitter) stretches the zigzag's rise over the whole hold; the swing itself lasts a fraction of a second."""
    a, b = rise
    low, high = excursion[a], excursion[b]
    margin = SWING_EDGE_SHARE * (high - low)
    part = excursion[a : b + 1]
    half = int(np.argmax(part >= (low + high) / 2.0))
    start = np.flatnonzero(part[:half] <= low + margin)
    end = np.flatnonzero(part[half:] >= high - margin)
    return a + (int(start[-1]) if len(start) else 0), a + half + (int(end[0]) if len(end) else len(part) - 1 - half)


def _foot_events(rises: list[tuple[int, int]], frames: int, fps: float) -> FootEvents:
    """The contacts of one foot: the time between its swings (toe off to heel strike)."""
    edges = [0] + [frame for rise in rises for frame in rise] + [frames - 1]
    stance = [(edges[k] / fps, edges[k + 1] / fps) for k in range(0, len(edges), 2)]
    return FootEvents(stance, [k > 0 for k in range(len(stance))], [k < len(stance) - 1 for k in range(len(stance))])


def _standing(rises: list[tuple[int, int]], frames: int, fps: float) -> np.ndarray:
    """(frames,) bool: before the first swing, after the last, and every time of at least MIN_FREEZE_S without one
    (freezing): the body does not travel, whatever jitter says."""
    swinging = np.zeros(frames, dtype=bool)
    for a, b in rises:
        swinging[a : b + 1] = True
    standing = np.zeros(frames, dtype=bool)
    for start, stop in runs(~swinging):
        if start == 0 or stop == frames or stop - start >= MIN_FREEZE_S * fps:
            standing[start:stop] = True
    return standing


def _alternating_steps(stances: dict[str, list[tuple[int, int]]]) -> int:
    """Heel strikes in the longest run where left and right strike in turn."""
    order = sorted((a, side) for side, found in stances.items() for a, _ in found)
    best = run = min(len(order), 1)
    for (_, before), (_, after) in zip(order, order[1:], strict=False):
        run = run + 1 if after != before else 1
        best = max(best, run)
    return best


def root_is_fixed(pelvis: np.ndarray, fps: float) -> bool:
    """Whether the (frames, 2) horizontal pelvis joint (the root a lifter puts at the origin), low-passed below step
    frequencies, stays within FIXED_ROOT_M of its median position in 95% of the frames."""
    path = lowpass(pelvis, fps, PATH_CUTOFF_HZ)
    return bool(np.percentile(np.linalg.norm(path - np.median(path, axis=0), axis=-1), 95) < FIXED_ROOT_M)


def recover_root(joints: np.ndarray, fps: float) -> RootRecovery:
    """Check `joints` (frames, 22, 3, y up) for a fixed root and, if the feet step, add back the walk's translation."""
    if not root_is_fixed(horizontal(joints[:, PELVIS]), fps):
        return RootRecovery(False, None, None)
    used = [PELVIS, LEFT_ANKLE, RIGHT_ANKLE]
    filtered = dict(zip(used, lowpass(joints[:, used], fps, EXCURSION_CUTOFF_HZ).transpose(1, 0, 2), strict=True))
    smooth = dict(zip(used, lowpass(joints[:, used], fps, POSITION_CUTOFF_HZ).transpose(1, 0, 2), strict=True))
    facing = _facing(joints, fps)
    relative, stances, swings, excursions = {}, {}, {}, {}
    for side, ankle in (("left", LEFT_ANKLE), ("right", RIGHT_ANKLE)):
        relative[side] = smooth[ankle] - smooth[PELVIS]
        excursions[side] = (horizontal(filtered[ankle] - filtered[PELVIS]) * facing).sum(-1)
        stances[side], swings[side] = _steps(excursions[side])
    steps = _alternating_steps(stances)
    if not any(stances.values()):
        return RootRecovery(False, None, None)  # nothing steps: a person standing still, wherever the root is
    if steps < MIN_STEPS:
        if sum(map(len, stances.values())) >= MIN_STEPS:
            return RootRecovery(True, None, f"{PREFIX}: the feet do not step in turn, so the walk cannot be recovered")
        return RootRecovery(True, None, f"{PREFIX}: too short to recover the walk ({steps} of {MIN_STEPS} steps)")
    frames = len(joints)
    feet = {side: _foot_events(sorted(swings[side]), frames, fps) for side in swings}
    strikes = [
        (side, round(a * fps), round(b * fps))
        for side, foot in feet.items()
        for (a, b), struck in zip(foot.stance, foot.struck, strict=True)
        if struck
    ]
    contacts = [
        (side, a, b, a + int(FLAT_FROM * (b - a)), a + int(np.ceil(FLAT_TO * (b - a)))) for side, a, b in strikes
    ]
    standing = _standing([_fast_part(excursions[side], rise) for side in swings for rise in swings[side]], frames, fps)
    for start, stop in runs(standing):
        contacts += [(side, int(start), int(stop) - 1, int(start), int(stop) - 1) for side in ("left", "right")]
    root, floor = _root_path(relative, contacts, standing, facing, fps)
    footprints = {side: {} for side in feet}
    for (side, strike, _), place in zip(strikes, floor, strict=False):
        footprints[side][strike / fps] = horizontal(place)
    yaw = np.unwrap(np.arctan2(facing[:, 0], facing[:, 1]))
    return RootRecovery(True, joints + root[:, None, :], None, yaw, feet, footprints)


def _root_path(
    relative: dict[str, np.ndarray],
    contacts: list[tuple[str, int, int, int, int]],
    standing: np.ndarray,
    facing: np.ndarray,
    fps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 3) root translation that keeps every foot still on the floor through its contacts and is otherwise
    smooth, and (contacts, 3) where each contact stands.

    Least squares over the root path r(t) and one floor position P per contact (side, stance first/last frame, flat
    first/last frame): r(t) + foot(t) = P (foot relative to the pelvis) on every flat frame, across the walking
    direction on every frame of the stance (rolling over the toe moves the ankle forward and up, not sideways: this
    is what ties the two feet together in double support and keeps the sway), and a small second difference of r
    everywhere (a smoothing spline with a ROOT_CUTOFF_HZ cut-off, at most ROOT_CUTOFF_SHARE x fps). Jitter averages
    out over every frame of a contact instead of entering where the supporting foot changes. Where the body stands
    (`standing`, (frames,) bool) the root does not move.
    """
    frames, count = len(facing), len(contacts)
    unknowns = 3 * frames + 3 * count  # r_x, r_y, r_z per frame, then P_x, P_y, P_z per contact
    rows, cols, vals, rhs = [], [], [], []
    filled = [0]  # rows so far

    def add(columns: list[np.ndarray], weights: list[np.ndarray], target: np.ndarray) -> None:
        index = filled[0] + np.arange(len(target))
        filled[0] += len(target)
        for column, weight in zip(columns, weights, strict=True):
            rows.append(index), cols.append(column), vals.append(np.broadcast_to(weight, index.shape))
        rhs.append(target)

    across = np.stack([facing[:, 1], -facing[:, 0]], axis=-1)
    for c, (side, first, last, flat_first, flat_last) in enumerate(contacts):
        flat = np.arange(flat_first, flat_last + 1)
        for axis in range(3):
            add(
                [axis * frames + flat, np.full(len(flat), 3 * frames + axis * count + c)],
                [1.0, -1.0],
                -relative[side][flat, axis],
            )
        stance = np.arange(first, last + 1)
        nx, nz = across[stance, 0], across[stance, 1]
        add(
            [
                stance,
                2 * frames + stance,
                np.full(len(stance), 3 * frames + c),
                np.full(len(stance), 3 * frames + 2 * count + c),
            ],
            [nx, nz, -nx, -nz],
            -(nx * relative[side][stance, 0] + nz * relative[side][stance, 2]),
        )
    weight = (fps / (2.0 * np.pi * min(ROOT_CUTOFF_HZ, ROOT_CUTOFF_SHARE * fps))) ** 2
    middle = np.arange(1, frames - 1)
    for axis in range(3):
        base = axis * frames + middle
        add([base - 1, base, base + 1], [weight, -2.0 * weight, weight], np.zeros(len(middle)))
    still = np.flatnonzero(standing[1:] & standing[:-1]) + 1
    for axis in range(3):
        add([axis * frames + still - 1, axis * frames + still], [-STILL_WEIGHT, STILL_WEIGHT], np.zeros(len(still)))
    add([np.arange(3) * frames], [1.0], np.zeros(3))  # the path starts at the origin
    design = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(sum(map(len, rhs)), unknowns)
    )
    normal = (design.T @ design).tocsc()
    solution = splinalg.splu(normal, permc_spec="MMD_AT_PLUS_A").solve(design.T @ np.concatenate(rhs))
    return solution[: 3 * frames].reshape(3, frames).T, solution[3 * frames :].reshape(3, count).T
