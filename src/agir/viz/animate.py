"""A skeleton animation of a walk as a GIF: bones of SMPL-22, foot contacts marked, a camera that follows.

The camera is orthographic and fixed in direction (a three-quarter view from the front left, slightly above), and
moves with the pelvis on the ground so the walker stays in frame through a 10 m walk and turn; floor dots fixed in the
world show the progression. Frames are subsampled to `gif_fps` and capped at `max_frames` (a longer clip is
subsampled further), which keeps a 30 s walk to a few seconds of rendering.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from agir.motion.features import FOOT_JOINTS, foot_contacts  # noqa: E402
from agir.motion.skeleton import NUM_JOINTS, PELVIS, SMPL22_JOINTS, SMPL22_PARENTS  # noqa: E402

AZIMUTH_DEG, ELEVATION_DEG = 35.0, 15.0
HALF_VIEW_M = 1.1  # half the width of the view around the pelvis
FLOOR_SPACING_M = 0.5
_SIDE_COLOURS = {"left": "#1f77b4", "right": "#d62728", "centre": "#555555"}


def _side(joint: int) -> str:
    name = SMPL22_JOINTS[joint]
    return "left" if name.startswith("left") else "right" if name.startswith("right") else "centre"


def _project(points: np.ndarray) -> np.ndarray:
    """(..., 3) y-up world points -> (..., 2) screen coordinates of the fixed camera."""
    azimuth, elevation = math.radians(AZIMUTH_DEG), math.radians(ELEVATION_DEG)
    right = np.array([math.cos(azimuth), 0.0, -math.sin(azimuth)])
    towards = np.array([math.sin(azimuth), 0.0, math.cos(azimuth)])  # horizontal direction to the camera
    depth = points @ towards
    return np.stack([points @ right, points[..., 1] * math.cos(elevation) - depth * math.sin(elevation)], axis=-1)


def frame_indices(frames: int, fps: float, gif_fps: float, max_frames: int) -> np.ndarray:
    """The frames shown: every k-th, so the GIF plays at about `gif_fps` in real time, at most `max_frames`."""
    step = max(1, round(fps / gif_fps), math.ceil(frames / max_frames))
    return np.arange(0, frames, step)


def animate(
    joints: np.ndarray,
    fps: float,
    path: str | Path,
    *,
    gif_fps: float = 10.0,
    max_frames: int = 150,
    size_in: float = 3.2,
    dpi: int = 80,
) -> Path:
    """Write an animated GIF of canonical (frames, 22, 3) joints; returns its path."""
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or len(joints) < 2:
        raise ValueError(f"joints must be (frames >= 2, {NUM_JOINTS}, 3), got {joints.shape}")
    contacts = foot_contacts(joints, fps) > 0.5
    shown = frame_indices(len(joints), fps, gif_fps, max_frames)
    step = int(shown[1] - shown[0]) if len(shown) > 1 else 1
    floor_level = float(joints[:, FOOT_JOINTS, 1].min())

    figure, axes = plt.subplots(figsize=(size_in, size_in), dpi=dpi)
    axes.set_aspect("equal")
    axes.set_axis_off()
    figure.subplots_adjust(0, 0, 1, 1)
    floor = axes.scatter([], [], s=4, c="#bbbbbb")
    bones = LineCollection([], linewidths=2.5, colors=[_SIDE_COLOURS[_side(j)] for j in range(1, NUM_JOINTS)])
    axes.add_collection(bones)
    feet = axes.scatter([], [], s=36, zorder=3)
    caption = axes.text(0.03, 0.96, "", transform=axes.transAxes, fontsize=8, va="top")

    def draw(frame: int) -> tuple:
        pose = joints[frame]
        centre = np.array([pose[PELVIS, 0], floor_level, pose[PELVIS, 2]])
        grid = np.arange(-3, 4) * FLOOR_SPACING_M
        xs, zs = np.meshgrid(
            np.round(centre[0] / FLOOR_SPACING_M) * FLOOR_SPACING_M + grid,
            np.round(centre[2] / FLOOR_SPACING_M) * FLOOR_SPACING_M + grid,
        )
        dots = np.stack([xs.ravel(), np.full(xs.size, floor_level), zs.ravel()], axis=-1)
        offset = _project(centre) - np.array([0.0, -0.1])
        screen = _project(pose) - offset
        floor.set_offsets(_project(dots) - offset)
        bones.set_segments([[screen[SMPL22_PARENTS[j]], screen[j]] for j in range(1, NUM_JOINTS)])
        down = contacts[frame]
        feet.set_offsets(screen[list(FOOT_JOINTS)])
        feet.set_facecolors(["#ff9900" if on else "none" for on in down])
        feet.set_edgecolors(["#ff9900" if on else "#888888" for on in down])
        caption.set_text(f"{frame / fps:5.1f} s   foot contact: orange")
        return floor, bones, feet, caption

    axes.set_xlim(-HALF_VIEW_M, HALF_VIEW_M)
    axes.set_ylim(-0.4, 2 * HALF_VIEW_M - 0.4)
    path = Path(path)
    animation = FuncAnimation(figure, draw, frames=shown, blit=False)
    animation.save(path, writer=PillowWriter(fps=fps / step))
    plt.close(figure)
    return path
