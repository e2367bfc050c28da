"""What several test modules share: hand-made poses and format files, tiny `agir.fit` runs, launching `agir.fit`
as its own process, tiny LLM training and plausible gait-parameter dicts. Heavy libraries are imported where used,
so the text and motion tests stay light."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import agir
from agir.data.corpus import read_manifest
from agir.data.splits import SubjectSplit
from agir.models.llm_config import ScratchConfig
from agir.motion.skeleton import JOINT_INDEX, SMPL22_PARENTS
from agir.motion.synth import sample_subject, simulate_trial

# ---- Hand-made skeletons

# A standing adult, y up, facing +z, body's left towards +x (SMPL convention), metres.
REST_POSE = np.array(
    [
        (0.0, 0.93, 0.0),
        (0.06, 0.85, 0.0),
        (-0.06, 0.85, 0.0),
        (0.0, 1.04, -0.01),
        (0.1, 0.48, 0.01),
        (-0.1, 0.48, 0.01),
        (0.0, 1.17, 0.0),
        (0.09, 0.08, -0.03),
        (-0.09, 0.08, -0.03),
        (0.0, 1.23, 0.01),
        (0.11, 0.02, 0.1),
        (-0.11, 0.02, 0.1),
        (0.0, 1.45, -0.01),
        (0.07, 1.37, 0.0),
        (-0.07, 1.37, 0.0),
        (0.0, 1.55, 0.04),
        (0.17, 1.4, -0.01),
        (-0.17, 1.4, -0.01),
        (0.2, 1.15, -0.02),
        (-0.2, 1.15, -0.02),
        (0.22, 0.9, 0.0),
        (-0.22, 0.9, 0.0),
    ]
)


# ---- Small files in each supported format, written from known joints, for the format and corpus tests

SMPL24_PARENTS = SMPL22_PARENTS + (20, 21)
# SMPL-24 rest joints: the 22 body joints plus hands 8 cm beyond the wrists.
REST_24 = np.concatenate([REST_POSE, REST_POSE[[20, 21]] + np.array([[0.0, -0.08, 0.0]] * 2)])


def fake_smpl_model(vertices: int = 40, seed: int = 0) -> dict:
    """An SMPL-shaped model: joint j is regressed from vertex j alone, whose template is the rest joint."""
    rng = np.random.default_rng(seed)
    v_template = rng.normal(scale=0.3, size=(vertices, 3))
    v_template[:24] = REST_24
    shapedirs = rng.normal(scale=0.01, size=(vertices, 3, 10))
    regressor = np.zeros((24, vertices))
    regressor[np.arange(24), np.arange(24)] = 1.0
    kintree = np.array([[2**32 - 1, *SMPL24_PARENTS[1:]], list(range(24))], dtype=np.int64)
    return {
        "v_template": v_template,
        "shapedirs": shapedirs,
        "J_regressor": regressor,
        "kintree_table": kintree,
        "weights": np.ones((vertices, 24)) / 24,
        "f": np.zeros((1, 3), dtype=np.int64),
    }


def write_pickle(path, content) -> None:
    with open(path, "wb") as file:
        pickle.dump(content, file, protocol=4)


def synthetic_walk(fps: float, distance_m: float = 4.0) -> np.ndarray:
    """A synthetic subject's straight walk along +z (left +x, y up), metres: real steps, unlike walking_rest_pose."""
    rng = np.random.default_rng(1)
    return simulate_trial(
        sample_subject("W", 1, rng), rng, fps=fps, walk_distance_m=distance_m, turn=False, heading_deg=0.0
    ).joints


def walking_rest_pose(frames: int, fps: float, speed: float = 1.0) -> np.ndarray:
    """REST_POSE gliding along +z at `speed` m/s."""
    return REST_POSE + np.arange(frames)[:, None, None] / fps * np.array([0.0, 0.0, speed])


# CMU-style hierarchy: (name, parent, where the joint sits as a REST_POSE joint or a midpoint of two).
CMU_TREE = (
    ("Hips", None, "pelvis"),
    ("LHipJoint", "Hips", "pelvis"),
    ("LeftUpLeg", "LHipJoint", "left_hip"),
    ("LeftLeg", "LeftUpLeg", "left_knee"),
    ("LeftFoot", "LeftLeg", "left_ankle"),
    ("LeftToeBase", "LeftFoot", "left_foot"),
    ("RHipJoint", "Hips", "pelvis"),
    ("RightUpLeg", "RHipJoint", "right_hip"),
    ("RightLeg", "RightUpLeg", "right_knee"),
    ("RightFoot", "RightLeg", "right_ankle"),
    ("RightToeBase", "RightFoot", "right_foot"),
    ("LowerBack", "Hips", "pelvis"),
    ("Spine", "LowerBack", "spine1"),
    ("Spine1", "Spine", "spine2"),
    ("Neck", "Spine1", "neck"),
    ("Neck1", "Neck", ("neck", "head")),
    ("Head", "Neck1", "head"),
    ("LeftShoulder", "Spine1", "neck"),
    ("LeftArm", "LeftShoulder", "left_shoulder"),
    ("LeftForeArm", "LeftArm", "left_elbow"),
    ("LeftHand", "LeftForeArm", "left_wrist"),
    ("RightShoulder", "Spine1", "neck"),
    ("RightArm", "RightShoulder", "right_shoulder"),
    ("RightForeArm", "RightArm", "right_elbow"),
    ("RightHand", "RightForeArm", "right_wrist"),
)


def rig_tree(drop: tuple[str, ...] = (), rename: dict[str, str] | None = None) -> tuple:
    """CMU_TREE without the joints `drop` (their children hang on their parent) and with joints renamed."""
    parents = {name: parent for name, parent, _ in CMU_TREE}

    def kept_parent(name):
        while name in drop:
            name = parents[name]
        return name

    rename = rename or {}
    return tuple(
        (rename.get(name, name), None if parent is None else rename.get(kept_parent(parent), kept_parent(parent)), at)
        for name, parent, at in CMU_TREE
        if name not in drop
    )


def cmu_rest_positions(tree: tuple = CMU_TREE) -> dict[str, np.ndarray]:
    def place(where):
        if isinstance(where, tuple):
            return (REST_POSE[JOINT_INDEX[where[0]]] + REST_POSE[JOINT_INDEX[where[1]]]) / 2
        return REST_POSE[JOINT_INDEX[where]]

    return {name: place(where) for name, _, where in tree}


def bvh_text(
    root_path: np.ndarray,
    unit: float,
    rotations: dict[str, np.ndarray] | None = None,
    frame_time: float = 1 / 30,
    tree: tuple = CMU_TREE,
) -> str:
    """A CMU-style BVH of REST_POSE whose root follows `root_path` (frames, 3) metres, `unit` metres per BVH unit.

    `rotations` maps joint names to (frames, 3) Z, X, Y angles in degrees (channel order Zrotation Xrotation
    Yrotation, as in CMU files); other joints stay at rest.
    """
    rest = cmu_rest_positions(tree)
    rotations = rotations or {}
    children = {name: [child for child, parent, _ in tree if parent == name] for name, _, _ in tree}
    lines = ["HIERARCHY"]

    def joint(name, parent, depth):
        pad = "  " * depth
        offset = (rest[name] - (rest[parent] if parent else 0.0)) / unit
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.6f}' for v in (offset if parent else np.zeros(3)))}")
        channels = "6 Xposition Yposition Zposition" if parent is None else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Xrotation Yrotation")
        for child in children[name]:
            joint(child, name, depth + 1)
        if not children[name]:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0.0 -1.0 0.0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    joint(tree[0][0], None, 0)
    frames = len(root_path)
    columns = []
    for name, parent, _ in tree:
        if parent is None:
            columns.append(root_path / unit)
        columns.append(rotations.get(name, np.zeros((frames, 3))))
    motion = np.concatenate(columns, axis=1)
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {frame_time:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in motion]
    return "\n".join(lines) + "\n"


def pelvis_markers(joints: np.ndarray) -> dict[str, np.ndarray]:
    """ASIS and PSIS markers (y up, walking towards +z, metres) placed so that Harrington's regression gives back the
    hip joints of `joints` exactly: its equations solved for the markers in the pelvis frame the hips span, with a
    pelvic depth of 15 cm."""
    left, right = joints[:, JOINT_INDEX["left_hip"]], joints[:, JOINT_INDEX["right_hip"]]
    to_right = right - left
    half_width_mm = 1000 * np.linalg.norm(to_right, axis=-1, keepdims=True) / 2
    z = to_right / np.linalg.norm(to_right, axis=-1, keepdims=True)
    x = np.array([0.0, 0.0, 1.0]) - z[:, 2:3] * z
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    width_mm, depth_mm = (half_width_mm - 7.3) / 0.33, 150.0
    origin = (left + right) / 2 + ((0.24 * depth_mm + 9.9) * x + (0.30 * width_mm + 10.9) * y) / 1000
    return {
        "LASI": origin - width_mm / 2000 * z,
        "RASI": origin + width_mm / 2000 * z,
        "LPSI": origin - depth_mm / 1000 * x - width_mm / 6000 * z,
        "RPSI": origin - depth_mm / 1000 * x + width_mm / 6000 * z,
    }


def plug_in_gait_markers(joints: np.ndarray) -> dict[str, np.ndarray]:
    """Marker trajectories (frames, 3) placed on canonical joints (y up, metres)."""
    at = {name: joints[:, JOINT_INDEX[name]] for name in JOINT_INDEX}
    across = np.array([0.06, 0.0, 0.0])
    front = np.array([0.0, 0.0, 0.08])
    up = np.array([0.0, 0.08, 0.0])
    markers = {
        "LFHD": at["head"] + across + front + up,
        "RFHD": at["head"] - across + front + up,
        "LBHD": at["head"] + across - front + up,
        "RBHD": at["head"] - across - front + up,
        "C7": at["neck"] - front,
        "CLAV": at["neck"] + front,
        "T10": at["spine2"] - front,
        "STRN": at["spine2"] + front,
        "LHEE": at["left_ankle"] - front,
        "RHEE": at["right_ankle"] - front,
    } | pelvis_markers(joints)
    for side, prefix in (("left", "L"), ("right", "R")):
        markers |= {
            f"{prefix}SHO": at[f"{side}_shoulder"],
            f"{prefix}ELB": at[f"{side}_elbow"],
            f"{prefix}WRA": at[f"{side}_wrist"] + front / 4,
            f"{prefix}WRB": at[f"{side}_wrist"] - front / 4,
            f"{prefix}KNE": at[f"{side}_knee"],
            f"{prefix}ANK": at[f"{side}_ankle"],
            f"{prefix}TOE": at[f"{side}_foot"],
        }
    return markers


def lab_markers(joints: np.ndarray) -> dict[str, np.ndarray]:
    """A PD lab's own labels (REAL_DATA.md: R.ASIS, R.Knee, R.Knee.Medial, ...), no head markers: lateral and medial
    markers 5 cm either side of the knee and ankle centres, so that their midpoints are the joints."""
    at = {name: joints[:, JOINT_INDEX[name]] for name in JOINT_INDEX}
    front, across = np.array([0.0, 0.0, 0.08]), np.array([0.05, 0.0, 0.0])
    pelvis = pelvis_markers(joints)
    markers = {"CLAV": at["neck"] + front, "STRN": at["spine2"] + front, "C7": at["neck"] - front}
    markers |= {"T10": at["spine2"] - front, "RSHO": at["right_shoulder"], "LSHO": at["left_shoulder"]}
    for side, prefix, out in (("right", "R", -across), ("left", "L", across)):
        markers |= {
            f"{prefix}.ASIS": pelvis[f"{prefix}ASI"],
            f"{prefix}.PSIS": pelvis[f"{prefix}PSI"],
            f"{prefix}.GTR": at[f"{side}_hip"] + out,
            f"{prefix}.Knee": at[f"{side}_knee"] + out,
            f"{prefix}.Knee.Medial": at[f"{side}_knee"] - out,
            f"{prefix}.TT": at[f"{side}_knee"] + front / 2 - np.array([0.0, 0.05, 0.0]),
            f"{prefix}.Ankle": at[f"{side}_ankle"] + out,
            f"{prefix}.Ankle.Medial": at[f"{side}_ankle"] - out,
            f"{prefix}.Heel": at[f"{side}_ankle"] - front,
            f"{prefix}.MT2": at[f"{side}_foot"],
            f"{prefix}.MT1": at[f"{side}_foot"] - out / 2,
            f"{prefix}.MT5": at[f"{side}_foot"] + out / 2,
            f"{prefix}EL": at[f"{side}_elbow"] + out,
            f"{prefix}EM": at[f"{side}_elbow"] - out,
            f"{prefix}WL": at[f"{side}_wrist"] + out / 2,
            f"{prefix}WM": at[f"{side}_wrist"] - out / 2,
        }
    return markers


def write_c3d(path, markers: dict[str, np.ndarray], fps: float, units: str = "mm", prefix: str = "") -> None:
    """A C3D file of the markers, z up, in `units` (written with ezc3d); NaN marks an occluded marker."""
    import ezc3d

    scale = {"mm": 1000.0, "m": 1.0}[units]
    labels = list(markers)
    frames = len(next(iter(markers.values())))
    points = np.ones((4, len(labels), frames))
    for i, label in enumerate(labels):
        y_up = markers[label] * scale
        points[:3, i] = np.stack([y_up[:, 0], -y_up[:, 2], y_up[:, 1]])  # y-up (x, y, z) -> z-up (x, -z, y)
    content = ezc3d.c3d()
    content["parameters"]["POINT"]["RATE"]["value"] = [fps]
    content["parameters"]["POINT"]["LABELS"]["value"] = tuple(prefix + label for label in labels)
    content["parameters"]["POINT"]["UNITS"]["value"] = [units]
    content["data"]["points"] = points
    content.write(str(path))


# ---- Overrides that make `agir.fit` runs tiny enough for tests: a small synthetic cohort, a narrow motion tokenizer,
# one-layer scratch backbones, with and without a 4-bit base.

DATA = [
    # The tiny cohort's walks at 30 fps, whichever rate the config file chooses (configs/demo.yaml: 15).
    "data.fps=30",
    "data.synthetic.n_subjects=8",
    "data.synthetic.walk_distance_m=4.0",
    "data.batch_size=8",
    "data.window=32",
    "data.window_stride=16",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=1",
]
TOKENIZER_MODEL = [
    "tokenizer.model.width=32",
    "tokenizer.model.code_dim=16",
    "tokenizer.model.codebook_size=32",
    "tokenizer.model.depth=1",
    "tokenizer.warmup_steps=2",
]
SCRATCH = ["llm.scratch.num_layers=1", "llm.scratch.num_heads=2", "llm.scratch.text_vocab_size=400"]
BACKBONES = {
    "lora": [*SCRATCH, "llm.scratch.hidden_size=32", "llm.scratch.intermediate_size=64"],
    # bitsandbytes runs the 4-bit layers on the CPU; its kernels want widths in multiples of 64.
    "qlora-4bit": [
        *SCRATCH,
        "llm.scratch.hidden_size=64",
        "llm.scratch.intermediate_size=128",
        "llm.quantization=4bit",
        "llm.dtype=bfloat16",
        "llm.scratch.train_base=false",
    ],
}

# The LLM-stage tests' shared run: one trial per subject, a 4-step motion tokenizer, 2-step LLM stages.
ONE_TRIAL = [*DATA, "data.synthetic.trials_per_subject=1"]
TOKENIZER_STAGE = [*TOKENIZER_MODEL, "tokenizer.max_steps=4", "tokenizer.val_check_interval=4"]
LLM_STAGES = [
    *BACKBONES["lora"],
    *(
        f"{stage}.{key}"
        for stage in ("generative", "reasoning")
        for key in ("max_steps=2", "val_check_interval=2", "batch_size=4", "max_new_tokens=12", "warmup_steps=1")
    ),
]


# ---- A tiny trained run (corpus, motion tokenizer, reasoning stage grounded in measured parameters), trained once
# per test session and shared by the modules that assess and evaluate it.


def trained_run(tmp_path_factory) -> Path:
    """The shared tiny run, trained on first use in the session."""
    from agir.fit import main as fit_main  # lightning and transformers, only for the tests that train

    run = tmp_path_factory.getbasetemp() / "tiny-reasoning-run"
    if not (run / "reasoning" / "metadata.json").is_file():
        assert (
            fit_main(
                [
                    "--config",
                    "configs/demo.yaml",
                    *ONE_TRIAL,
                    *TOKENIZER_STAGE,
                    *LLM_STAGES,
                    f"run.out_dir={run}",
                    "pipeline=[tokenizer,reasoning]",
                    "reasoning.init_from=null",
                    "reasoning.evidence=graded",
                ]
            )
            == 0
        )
    return run


def held_out_files(run: Path) -> list[str]:
    """The motion files of the run's test subjects, in item-id order (the order of predictions_test.jsonl)."""
    split = SubjectSplit.load(run / "splits.json")
    items = sorted((item for item in read_manifest(run / "corpus") if item.subject in split.test), key=lambda i: i.id)
    return [str(run / "corpus" / item.path) for item in items]


def stage_predictions(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "reasoning" / "predictions_test.jsonl").read_text().splitlines()]


# ---- Running `python -m agir.fit` as its own process from a test, with the same agir the test imported.

SOURCE = Path(agir.__file__).resolve().parents[1]


def fit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "agir.fit", *args]


def child_env() -> dict[str, str]:
    """This environment with the tested source tree first on the path, so a child (and the DDP ranks it
    launches) imports the code under test, not another installed copy."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
    return env


def run_fit(*args: str, timeout: float = 300) -> str:
    """`agir.fit` to completion, its stdout returned; a failure shows the end of its output.

    It runs in its own process group, so a timeout kills the DDP ranks it launched too instead of leaving them
    orphaned and holding the test's pipes."""
    process = subprocess.Popen(
        fit_command(*args),
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, f"agir.fit failed ({process.returncode}):\n{stderr[-4000:]}"
    return stdout


def kill_after_first_checkpoint(command: list[str], checkpoint: Path, timeout: float = 180) -> None:
    """Start `command`, SIGKILL it once `checkpoint` exists: a crash mid-run, after the first checkpoint."""
    process = subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # let the first checkpoint finish writing; the kill still lands mid-run
    process.kill()
    process.wait()


# ---- Tiny LLMs trained directly

TEXTS = [
    "Foot: short, shuffling steps with reduced foot clearance. Arm: reduced arm swing. Overall: slow gait. Score: 2",
    "Foot: normal step length and cadence. Arm: symmetric arm swing. Overall: normal gait. Score: 0",
    "Describe the gait in this walking motion. Assess this walk for Parkinsonian gait impairment.",
] * 5
CODEBOOK = 32
SMALL = ScratchConfig(
    hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, max_positions=512, text_vocab_size=320
)


def train(model, batch: dict, steps: int, lr: float = 1e-2) -> float:
    """`steps` AdamW steps on one batch; the last loss."""
    import torch

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    for _ in range(steps):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()


# ---- Gait-parameter dicts

# Per score: (median, spread) of what agir.motion.gait_parameters measures on the synthetic cohort, so dicts look real
# and adjacent scores overlap.
PROFILE = {
    "speed_m_s": ((1.18, 1.05, 0.77, 0.54), 0.12),
    "cadence_steps_min": ((112, 110, 117, 120), 7),
    "stride_length_m": ((1.33, 1.25, 0.90, 0.57), 0.1),
    "step_length_left_m": ((0.66, 0.61, 0.45, 0.28), 0.05),
    "step_length_right_m": ((0.66, 0.61, 0.45, 0.28), 0.05),
    "step_width_m": ((0.09, 0.093, 0.11, 0.126), 0.025),
    "stride_time_cv_pct": ((1.6, 2.6, 4.1, 5.2), 0.7),
    "double_support_pct": ((17.5, 20.8, 23.5, 30.7), 3),
    "foot_clearance_m": ((0.097, 0.084, 0.048, 0.025), 0.012),
    "arm_swing_left_deg": ((30, 23, 13.5, 9), 6),
    "arm_swing_right_deg": ((30, 23, 13.5, 9), 6),
    "trunk_flexion_deg": ((3.8, 5.8, 12.2, 19.6), 3.5),
    "turn_duration_s": ((1.4, 1.4, 3.0, 4.6), 0.5),
    "turn_steps": ((2, 3, 4, 6.5), 1),
}
SCORES = (0, 1, 2, 3)


def with_arms(left: float, right: float) -> dict:
    return {
        "arm_swing_left_deg": left,
        "arm_swing_right_deg": right,
        "arm_swing_asymmetry_pct": 100 * abs(left - right) / max(left, right),
    }


def plausible_parameters(score: int, rng: np.random.Generator) -> dict:
    """A gait-parameter dict like agir.motion.gait_parameters's, with some parameters not measured."""
    p: dict = {}
    for key, (medians, spread) in PROFILE.items():
        p[key] = float(rng.normal(medians[score], spread))
    p["turn_steps"] = int(max(round(p["turn_steps"]), 1))
    for key in (
        "speed_m_s",
        "stride_length_m",
        "step_length_left_m",
        "step_length_right_m",
        "step_width_m",
        "foot_clearance_m",
        "turn_duration_s",
        "stride_time_cv_pct",
    ):
        p[key] = max(p[key], 0.005)
    p |= with_arms(max(p["arm_swing_left_deg"], 1.0), max(p["arm_swing_right_deg"], 1.0))
    p["freezing_episodes"] = int(rng.choice((0, 0, 0, 1, 2))) if score >= 2 else 0
    p["n_strides"], p["duration_s"], p["reasons"] = int(rng.integers(8, 60)), float(rng.uniform(10, 50)), {}
    # Whole groups go missing together, as they do in the extractor: no turn, no toe joints, no arms.
    for group, why in (
        (("turn_duration_s", "turn_steps"), "no turn of at least 90 degrees in the clip"),
        (("double_support_pct", "foot_clearance_m"), "layout has no toe joints"),
        (("arm_swing_left_deg", "arm_swing_right_deg", "arm_swing_asymmetry_pct"), "no arm joints"),
        (("speed_m_s",), "no straight walking"),
        (("freezing_episodes",), "too short"),
    ):
        if rng.random() < 0.15:
            for key in group:
                p[key] = None
                p["reasons"][key] = why
    return p


# ---- Assessment and prediction records against docs/assessment.schema.json.

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "assessment.schema.json").read_text())


def validate(record: dict, kind: str) -> None:
    """Raises jsonschema.ValidationError unless `record` is a valid `kind` ("assessment" or "prediction")."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(SCHEMA)
    Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": SCHEMA["$defs"]}).validate(record)
