"""Read motion files into AGIR's canonical joints (SMPL-22, metres, y up) with safe, explicit checks.

A reader, chosen by file suffix from a small registry, returns the array exactly as stored plus whatever
metadata the file states (fps, layout, units, up axis; or a layout it built for the file, e.g. from C3D markers).
`load_motion` then resolves that metadata against the caller's flags (a frame rate the file states wins, with a
note), fills short gaps and cuts long ones (`agir.motion.gaps`), maps the layout to SMPL-22, converts units, turns
the up axis to +y by a proper rotation and checks left and right (`agir.motion.orientation`), and resamples. What
it did that the user should know is in `Motion.notes`. Every problem with a file is a `MotionFileError` whose
message starts with the path; nothing is unpickled except through `agir.motion.formats.safe_pickle`, which admits
only plain containers and numeric arrays. The flags of the commands map onto `load_motion` in
`agir.motion.load_options`.

Supported files:
- `.npy`: a numeric (frames, joints, 3) array; fps must be given, the layout is inferred from the joint count.
- `.npz`: `joints` (or `positions`) plus optional scalar `fps`, `layout`, `units`, `up`. A file that also holds
  a `measured` mask was written by `save_motion`: its joints are already canonical, `layout` names their source.
- `.csv`: a header of `<joint>_x,<joint>_y,<joint>_z` columns naming one layout's joints, plus an optional `time`
  (seconds, fps derived from it) or `frame` column; an empty cell is a missing value (NaN), a gap like any other.
- `.npy` of (frames, 263) HumanML3D feature vectors, `.pkl` (CARE-PD walk), `.bvh`, `.c3d`: see
  `agir.motion.formats`, whose readers register themselves with `register_reader` and `register_feature_decoder`.
"""

from __future__ import annotations

import csv
import math
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfiltfilt

from agir.motion.gaps import DEFAULT_MAX_GAP_S, listed_gaps, repair_gaps
from agir.motion.orientation import detect_up, head_above_ankles, parse_up, rotate_to_y_up, sides_swapped, swap_sides
from agir.motion.skeleton import (
    JOINT_INDEX,
    LAYOUTS,
    LEFT_ANKLE,
    NUM_JOINTS,
    RIGHT_ANKLE,
    SMPL22_JOINTS,
    JointLayout,
    get_layout,
)

# "in" and "cmu" occur in BVH files: CMU's mocap skeletons are in units of 1/0.45 inch (about 5.6 cm).
UNIT_SCALES: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "cmu": 0.0254 / 0.45}
# What "auto" chooses from unless a reader names other candidates; their size ranges below do not overlap.
AUTO_UNITS = ("m", "cm", "mm")
# Head-to-ankle distance of anyone from a small child to a very tall adult.
BODY_SIZE_RANGE_M = (0.6, 2.5)
# Where several candidate units give a plausible size, the one closest to an adult's (on a log scale) wins.
TYPICAL_BODY_SIZE_M = 1.5
HEAD = JOINT_INDEX["head"]
# Errors a library raises on a corrupt or truncated file.
_UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


class MotionFileError(ValueError):
    """A motion file that cannot be used; `str(error)` is "<path>: <reason>"."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class Motion:
    """A motion in canonical form: (frames, 22, 3) float32 SMPL-22 joints in metres, y up."""

    joints: np.ndarray
    fps: float
    layout: str  # the source layout name
    measured: np.ndarray  # (22,) bool: False where the source layout had no such joint
    path: str
    # What reading did that the user should know (marker set chosen, gaps filled or cut, axis turned, ...).
    notes: list[str] = field(default_factory=list)


@dataclass
class RawMotion:
    """What a reader found: the array as stored and the metadata the file itself states (None when silent)."""

    joints: np.ndarray
    fps: float | None = None
    layout: str | None = None
    units: str | None = None
    up: str | None = None
    measured: np.ndarray | None = None  # only in files already holding canonical joints
    unit_candidates: tuple[str, ...] = AUTO_UNITS  # what units="auto" may choose for this file
    joint_layout: JointLayout | None = None  # a layout the reader built for this file's joints (a marker set, a rig)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    """What some readers need from the caller: C3D a marker map, CARE-PD pickles of SMPL parameters a model."""

    markers: dict[str, str | list[str]] | None = None  # canonical joint -> marker, or markers whose midpoint it is
    smpl_model: object | None = None  # an agir.motion.formats.smpl.SMPLModel


Reader = Callable[[Path, ReadOptions], RawMotion]
READERS: dict[str, Reader] = {}
FeatureDecoder = Callable[[Path, np.ndarray], RawMotion]
# Decoders of (frames, width) per-frame feature vectors stored as .npy, by width (HumanML3D's 263).
FEATURE_DECODERS: dict[int, FeatureDecoder] = {}


def register_reader(*suffixes: str) -> Callable[[Reader], Reader]:
    """Register a reader for file suffixes (with the dot, lower case); it raises MotionFileError on bad files."""

    def register(reader: Reader) -> Reader:
        for suffix in suffixes:
            READERS[suffix] = reader
        return reader

    return register


def register_feature_decoder(width: int) -> Callable[[FeatureDecoder], FeatureDecoder]:
    """Register a decoder for .npy files holding (frames, width) feature vectors instead of joints."""

    def register(decoder: FeatureDecoder) -> FeatureDecoder:
        FEATURE_DECODERS[width] = decoder
        return decoder

    return register


@register_reader(".npy")
def read_npy(path: Path, options: ReadOptions) -> RawMotion:
    with numpy_errors(path):
        array = np.load(path, allow_pickle=False)
    decoder = FEATURE_DECODERS.get(array.shape[1]) if array.ndim == 2 else None
    return decoder(path, array) if decoder else RawMotion(array)


@register_reader(".npz")
def read_npz(path: Path, options: ReadOptions) -> RawMotion:
    with numpy_errors(path), np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    key = next((k for k in ("joints", "positions") if k in arrays), None)
    if key is None:
        raise MotionFileError(path, f"no 'joints' or 'positions' array (found: {', '.join(arrays) or 'none'})")
    fps = _scalar(path, arrays, "fps", float)
    layout, units, up = (_scalar(path, arrays, name, str) for name in ("layout", "units", "up"))
    measured = arrays.get("measured")
    if measured is not None and (measured.dtype != bool or measured.shape != (NUM_JOINTS,)):
        raise MotionFileError(path, f"'measured' must be ({NUM_JOINTS},) bool, got {measured.dtype} {measured.shape}")
    return RawMotion(arrays[key], fps, layout, units, up, measured)


@register_reader(".csv")
def read_csv(path: Path, options: ReadOptions) -> RawMotion:
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = [(number, row) for number, row in enumerate(csv.reader(file), start=1) if any(map(str.strip, row))]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise MotionFileError(path, f"not a readable CSV text file ({error})") from None
    if len(rows) < 2:
        raise MotionFileError(path, "CSV needs a header row and at least one data row")
    header = [name.strip().lower() for name in rows[0][1]]
    values = np.array([_csv_numbers(path, number, row, header) for number, row in rows[1:]])
    columns = {name: values[:, i] for i, name in enumerate(header)}
    if len(columns) != len(header):
        raise MotionFileError(path, "CSV header repeats a column name")
    layout = _csv_layout(path, header)
    joints = np.stack(
        [np.stack([columns[f"{joint.lower()}_{axis}"] for axis in "xyz"], axis=-1) for joint in layout.joints], axis=1
    )
    fps = _fps_from_times(path, columns["time"]) if "time" in columns else None
    return RawMotion(joints, fps, layout.name)


def load_motion(
    path: str | Path,
    *,
    fps: float | None = None,
    layout: str | JointLayout | None = None,
    units: str = "auto",
    up: str = "auto",
    target_fps: float | None = None,
    min_frames: int = 8,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    read_options: ReadOptions | None = None,
) -> Motion:
    """Load a motion file as canonical joints. Flags fill metadata the file lacks; a layout, units or up axis
    contradicting the file is an error, a frame rate contradicting it gives way to the file's, with a note.

    layout: a layout name, or a JointLayout (e.g. from `--layout-file`); units: "auto" (m, cm or mm from body size;
    BVH files also in or cmu) or one of UNIT_SCALES; up: "auto" (the axis the head is above the ankles along) or a
    signed axis (+y, -y, z, -z, x, ...); max_gap_s: the longest gap filled by interpolation (`agir.motion.gaps`).
    """
    return canonical_motion(
        path,
        read_raw(Path(path), read_options),
        fps=fps,
        layout=layout,
        units=units,
        up=up,
        target_fps=target_fps,
        min_frames=min_frames,
        max_gap_s=max_gap_s,
    )


def read_raw(path: Path, options: ReadOptions | None = None) -> RawMotion:
    """The file as its reader (chosen by suffix) finds it, before any mapping or conversion."""
    if not path.is_file():
        raise MotionFileError(path, "no such file" if not path.exists() else "not a file")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise MotionFileError(path, f"unsupported file type {path.suffix!r}; readers exist for {', '.join(READERS)}")
    return reader(path, options or ReadOptions())


def canonical_motion(
    path: str | Path,
    raw: RawMotion,
    *,
    fps: float | None = None,
    layout: str | JointLayout | None = None,
    units: str = "auto",
    up: str = "auto",
    target_fps: float | None = None,
    min_frames: int = 8,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> Motion:
    """What load_motion does after reading: `raw` (read from `path` by any reader) to canonical joints."""
    path = Path(path)
    notes = list(raw.notes)
    if fps is not None and raw.fps is not None and not math.isclose(fps, raw.fps):
        notes.append(f"read at the file's own {raw.fps:g} fps (--fps {fps:g} applies to files without a rate)")
    fps = raw.fps if raw.fps is not None else fps
    units = _resolve(path, "units", None if units == "auto" else units, raw.units) or "auto"
    up = _resolve(path, "up", _parsed_up(path, up), None if raw.up is None else _parsed_up(path, raw.up)) or "auto"
    if fps is None:
        raise MotionFileError(path, "no frame rate in the file; pass fps (--fps)")
    for name, rate in (("frame rate", fps), ("target frame rate", target_fps)):
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise MotionFileError(path, f"{name} must be positive, got {rate}")
    if not (math.isfinite(max_gap_s) and max_gap_s >= 0):
        raise MotionFileError(path, f"the longest gap to fill must be 0 s or more, got {max_gap_s}")
    source = _check_array(path, raw.joints, min_frames)
    given = layout.name if isinstance(layout, JointLayout) else layout
    stated = raw.joint_layout.name if raw.joint_layout is not None else raw.layout
    layout_name = _resolve(path, "layout", given, stated) or _infer_layout(path, source.shape[1])
    chosen = _choose_layout(path, raw, layout, layout_name)
    if chosen is None:  # written by save_motion: already canonical
        names, used = SMPL22_JOINTS, np.ones(NUM_JOINTS, dtype=bool)
    else:
        names, used = chosen.joints, _read_by_mapping(chosen)
        notes += chosen.notes
    _check_joint_count(path, source, len(names), "canonical" if chosen is None else chosen.name)
    source = np.where(used[None, :, None], source, 0.0)  # a joint no mapping reads may be missing: harmless
    source, gap_notes = _repair_gaps(path, source, names, fps, max_gap_s, min_frames)
    notes += gap_notes
    if chosen is None:
        joints, measured = source, raw.measured
    else:
        joints, measured = chosen.to_canonical(source).astype(np.float64), chosen.measured_mask
    joints = _to_metres(path, joints, units, raw.unit_candidates, notes)
    joints = _to_y_up(path, joints, up, notes)
    if chosen is not None:  # files written by save_motion were checked when first read
        joints, measured = _sides_checked(joints, measured, fps, notes)
    if target_fps is not None and not math.isclose(target_fps, fps):
        joints = resample(joints, fps, target_fps)
        if len(joints) < min_frames:
            raise MotionFileError(
                path, f"only {len(joints)} frames after resampling to {target_fps:g} fps (at least {min_frames} needed)"
            )
        fps = float(target_fps)
    return Motion(joints.astype(np.float32), float(fps), layout_name, measured, str(path), notes)


def save_motion(path: str | Path, motion: Motion) -> None:
    """Write a canonical motion as .npz (joints, fps, layout, measured, units, up); no pickled objects."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise MotionFileError(path, "motions are saved as .npz")
    if motion.joints.ndim != 3 or motion.joints.shape[1:] != (NUM_JOINTS, 3):
        raise MotionFileError(path, f"cannot save joints shaped {motion.joints.shape}; expected (frames, 22, 3)")
    np.savez_compressed(
        path,
        joints=motion.joints.astype(np.float32),
        fps=np.float64(motion.fps),
        layout=np.str_(motion.layout),
        measured=np.asarray(motion.measured, dtype=bool),
        units=np.str_("m"),
        up=np.str_("y"),
    )


def resample(joints: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Resample (frames, J, 3) joints over the same duration with a cubic spline.

    Downsampling first low-passes below the new Nyquist frequency so marker jitter does not alias into gait;
    the zero-phase filter extends the signal oddly at both ends, which keeps linear trends (the root path) and the
    end samples as recorded.
    """
    if joints.ndim != 3 or len(joints) < 2:
        raise ValueError(f"resample needs (frames >= 2, joints, 3), got {joints.shape}")
    if not (fps_in > 0 and fps_out > 0):
        raise ValueError(f"frame rates must be positive, got {fps_in} -> {fps_out}")
    if math.isclose(fps_in, fps_out):
        return joints.copy()
    signal = joints.astype(np.float64)
    if fps_out < fps_in:
        sos = butter(4, 0.8 * fps_out / 2, fs=fps_in, output="sos")
        signal = sosfiltfilt(sos, signal, axis=0, padlen=min(3 * (2 * len(sos) + 1), len(signal) - 1))
    frames_out = int(math.floor((len(joints) - 1) * fps_out / fps_in + 1e-9)) + 1
    times_out = np.arange(frames_out) / fps_out
    resampled = CubicSpline(np.arange(len(joints)) / fps_in, signal, axis=0)(times_out)
    return resampled.astype(np.promote_types(joints.dtype, np.float32))


@contextmanager
def numpy_errors(path: Path) -> Iterator[None]:
    """Turn numpy's errors on a bad file into MotionFileError; a pickle is refused, never loaded."""
    try:
        yield
    except MotionFileError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise MotionFileError(
                path, "holds pickled Python objects, which are never loaded; save a plain numeric array"
            ) from None
        raise MotionFileError(path, f"corrupt or truncated file ({error})") from None
    except _UNREADABLE as error:
        raise MotionFileError(path, f"corrupt or truncated file ({error})") from None


def _scalar(path: Path, arrays: dict[str, np.ndarray], name: str, kind: type) -> object:
    if name not in arrays:
        return None
    value = arrays[name]
    if value.size != 1:
        raise MotionFileError(path, f"metadata {name!r} must be a single value, got shape {value.shape}")
    try:
        return kind(value.item())
    except (TypeError, ValueError):
        raise MotionFileError(path, f"metadata {name!r} is not a {kind.__name__}: {value.item()!r}") from None


def _resolve(path: Path, name: str, flag: object, stated: object) -> object:
    """The flag where the file is silent, the file's value where no flag is given; disagreement is an error."""
    if flag is None or stated is None:
        return stated if flag is None else flag
    if flag != stated:
        raise MotionFileError(path, f"{name} {flag!r} was given but the file says {stated!r}")
    return stated


def _check_array(path: Path, joints: np.ndarray, min_frames: int) -> np.ndarray:
    if joints.dtype.kind not in "iuf":
        raise MotionFileError(path, f"joint array has dtype {joints.dtype}, expected numbers")
    if joints.ndim != 3 or joints.shape[2] != 3:
        raise MotionFileError(path, f"joint array shaped {joints.shape}, expected (frames, joints, 3)")
    needed = max(min_frames, 2)  # a single frame has no motion and cannot be resampled
    if len(joints) < needed:
        raise MotionFileError(path, f"only {len(joints)} frames (at least {needed} needed)")
    return joints.astype(np.float64)


def _infer_layout(path: Path, num_joints: int) -> str:
    matches = [name for name, layout in LAYOUTS.items() if layout.num_joints == num_joints]
    if len(matches) != 1:
        known = ", ".join(f"{name} ({layout.num_joints} joints)" for name, layout in LAYOUTS.items())
        problem = "match several layouts" if matches else "match no known layout"
        raise MotionFileError(path, f"{num_joints} joints {problem}; pass layout, one of: {known}")
    return matches[0]


def _choose_layout(
    path: Path, raw: RawMotion, layout: str | JointLayout | None, layout_name: str
) -> JointLayout | None:
    """The layout to map the file's joints with; None for canonical joints written by save_motion."""
    if raw.measured is not None:
        return None
    if isinstance(layout, JointLayout):
        return layout
    if raw.joint_layout is not None:
        return raw.joint_layout
    try:
        return get_layout(layout_name)
    except ValueError as error:
        raise MotionFileError(path, str(error)) from None


def _check_joint_count(path: Path, source: np.ndarray, expected: int, layout_name: str) -> None:
    if source.shape[1] != expected:
        what = "file has a 'measured' mask, so canonical joints, but" if layout_name == "canonical" else ""
        raise MotionFileError(
            path,
            f"{what}{' ' * bool(what)}{source.shape[1]} joints do not match layout {layout_name} ({expected} joints)",
        )


def _repair_gaps(
    path: Path, source: np.ndarray, names: tuple[str, ...], fps: float, max_gap_s: float, min_frames: int
) -> tuple[np.ndarray, list[str]]:
    """Short gaps filled, long ones cut (agir.motion.gaps); refused when no part of min_frames is left."""
    repair = repair_gaps(source, names, fps, max_gap_s, min_frames)
    if repair.joints is None:
        raise MotionFileError(
            path,
            f"no part of at least {min_frames} frames without gaps over {max_gap_s:g} s is left "
            f"(longest {repair.stop - repair.start} frames); gaps at {listed_gaps(repair.cut, fps)}",
        )
    return repair.joints, repair.notes(fps, len(source), max_gap_s)


def _read_by_mapping(layout: JointLayout) -> np.ndarray:
    """(J,) bool: the source joints some canonical joint is copied or blended from."""
    names: set[str] = set()
    for source in layout.to_smpl22.values():
        names.update([source] if isinstance(source, str) else source or ())
    return np.isin(layout.joints, sorted(names))


def body_size(joints: np.ndarray) -> float:
    """Median head-to-ankle-midpoint distance of canonical joints, in the file's units."""
    ankles = (joints[:, LEFT_ANKLE] + joints[:, RIGHT_ANKLE]) / 2
    return float(np.median(np.linalg.norm(joints[:, HEAD] - ankles, axis=-1)))


def detect_units(path: Path, size: float, candidates: tuple[str, ...] = AUTO_UNITS) -> str:
    """The candidate unit in which a head-to-ankle distance `size` is a human's; the most adult-like if several."""
    low, high = BODY_SIZE_RANGE_M
    plausible = [unit for unit in candidates if low <= size * UNIT_SCALES[unit] <= high]
    if not plausible:
        raise MotionFileError(
            path,
            f"implausible body size: head-to-ankle distance {size:.4g} is no "
            f"human's in {', '.join(candidates)} (expected {low}-{high} m); check the data",
        )
    return min(plausible, key=lambda unit: abs(math.log(size * UNIT_SCALES[unit] / TYPICAL_BODY_SIZE_M)))


def _to_metres(path: Path, joints: np.ndarray, units: str, candidates: tuple[str, ...], notes: list[str]) -> np.ndarray:
    low, high = BODY_SIZE_RANGE_M
    size = body_size(joints)
    if units == "auto":
        units = detect_units(path, size, candidates)
        if units != "m":
            notes.append(f"units {units} (detected: head to ankles {size * UNIT_SCALES[units]:.2f} m)")
    elif units not in UNIT_SCALES:
        raise MotionFileError(path, f"unknown units {units!r}; use auto, {', '.join(UNIT_SCALES)}")
    elif not low <= size * UNIT_SCALES[units] <= high:
        raise MotionFileError(
            path,
            f"implausible body size for units {units!r}: head-to-ankle distance "
            f"{size * UNIT_SCALES[units]:.4g} m (expected {low}-{high} m)",
        )
    return joints * UNIT_SCALES[units]


def _parsed_up(path: Path, up: str) -> str | None:
    try:
        parsed = parse_up(up)
    except ValueError as error:
        raise MotionFileError(path, str(error)) from None
    return None if parsed == "auto" else parsed


def _to_y_up(path: Path, joints: np.ndarray, up: str, notes: list[str]) -> np.ndarray:
    """Joints turned so that `up` (a signed axis, or "auto": detected) becomes +y, by a proper rotation."""
    vector = head_above_ankles(joints)
    if up == "auto":
        detected = detect_up(joints)
        if detected is None:
            raise MotionFileError(
                path,
                f"cannot tell the up axis: the head is not clearly above the ankles along any axis (median "
                f"head-minus-ankles {np.round(vector, 3).tolist()}); pass up (--up)",
            )
        up = detected
        if up != "+y":
            notes.append(f"up axis {up} (detected), turned to +y by a rotation")
    elif vector["xyz".index(up[1])] * (1 if up[0] == "+" else -1) <= 0:
        raise MotionFileError(path, f"with up={up!r} the head is below the ankles; wrong up axis?")
    return rotate_to_y_up(joints, up)


def _sides_checked(
    joints: np.ndarray, measured: np.ndarray, fps: float, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Left and right exchanged when the joints labelled left lie on the body's right (agir.motion.orientation)."""
    if not sides_swapped(joints, measured, fps):
        return joints, measured
    notes.append("left and right swapped: the joints labelled left lie on the body's right")
    return swap_sides(joints, measured)


def _csv_numbers(path: Path, line: int, row: list[str], header: list[str]) -> list[float]:
    if len(row) != len(header):
        raise MotionFileError(path, f"line {line}: {len(row)} values for {len(header)} columns")
    try:
        return [float(cell) if cell.strip() else math.nan for cell in row]
    except ValueError:
        column, cell = next((name, cell) for name, cell in zip(header, row, strict=True) if not _is_number(cell))
        raise MotionFileError(path, f"line {line}, column {column}: {cell!r} is not a number") from None


def _is_number(cell: str) -> bool:
    try:
        float(cell or "nan")
    except ValueError:
        return False
    return True


def _csv_layout(path: Path, header: list[str]) -> JointLayout:
    joint_columns = [name for name in header if name not in ("time", "frame")]
    stray = [name for name in joint_columns if name[-2:] not in ("_x", "_y", "_z")]
    if stray:
        raise MotionFileError(path, f"unexpected columns {stray}; expected <joint>_x/_y/_z, time or frame")
    found = set(joint_columns)
    # The layout whose columns the header lacks or adds the fewest of; only an exact match is used.
    layout = min(LAYOUTS.values(), key=lambda lay: len(found ^ _layout_columns(lay)))
    missing, extra = sorted(_layout_columns(layout) - found), sorted(found - _layout_columns(layout))
    if missing or extra:
        raise MotionFileError(
            path,
            f"joint columns match no known layout (closest {layout.name}: missing "
            f"{missing[:6]}, unexpected {extra[:6]}); known: {', '.join(LAYOUTS)}",
        )
    return layout


def _layout_columns(layout: JointLayout) -> set[str]:
    return {f"{joint.lower()}_{axis}" for joint in layout.joints for axis in "xyz"}


def _fps_from_times(path: Path, times: np.ndarray) -> float:
    steps = np.diff(times)
    if len(steps) == 0 or not np.all(np.isfinite(times)) or np.any(steps <= 0):
        raise MotionFileError(path, "the time column must hold increasing numbers")
    step = (times[-1] - times[0]) / len(steps)
    if np.max(np.abs(steps - step)) > 0.25 * step:
        raise MotionFileError(
            path, f"the time column is not evenly sampled (steps from {steps.min():.4g} to {steps.max():.4g} s)"
        )
    return float(1.0 / step)


# The format readers register themselves on import; they need the names above, hence the import at the end.
import agir.motion.formats  # noqa: E402,F401
