"""A corpus directory: one motion file per sequence plus `manifest.jsonl`, built from any source.

Each manifest line holds `id`, `subject`, `dataset` (its source's name, agir.data.sources), `score`, `fps`,
`layout`, `path` (relative to the corpus), `parameters` (measured gait parameters with `reasons` for nulls),
`description` and `rationale` (generated from the measured parameters, or your own: agir.data.own_texts), and
source-specific extras (the synthetic source adds `truth`). `corpus.json` records what built the corpus so a stale
one is rebuilt rather than trusted, lists the items that were skipped and why, and what became of your own texts.

One process builds a corpus folder at a time: builders hold `.build.lock` in it (an flock, which the system releases
when its holder dies, so a killed job never leaves it locked); a process that finds a build under way waits for it,
up to a timeout, and then uses what it built. A build removes `corpus.json` first and writes it last, with the
manifest's hash, so a build that was killed half-way, or a manifest cut short, is never taken for a current corpus.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf

from agir.data.data_config import DataConfig
from agir.data.own_texts import OwnTexts, texts_signature
from agir.data.recordings import recordings_signature
from agir.data.records import SkippedRecord, SourceRecord
from agir.data.sources import source_views, view_records
from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import Motion, load_motion, save_motion
from agir.text.rationale import describe, rationale

MANIFEST = "manifest.jsonl"
CORPUS_INFO = "corpus.json"
CORPUS_VERSION = 2
# The fields every manifest line has, in order; anything else is a source-specific extra.
FIELDS = ("id", "subject", "dataset", "score", "fps", "layout", "path", "parameters", "description", "rationale")
BUILD_LOCK = ".build.lock"
# How long a process waits for another one's build of the same corpus folder (a real cohort takes minutes).
BUILD_WAIT_S = 3600.0


@dataclass
class CorpusItem:
    id: str
    subject: str
    dataset: str
    score: int
    fps: float
    layout: str
    path: str
    parameters: dict
    description: str
    rationale: str
    extras: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in FIELDS} | self.extras


# The code that writes corpus content: a change to any of it (new wording, a better extractor) makes old corpora stale.
CONTENT_CODE = (
    "agir.motion.synth",
    "agir.motion.synth_plan",
    "agir.motion.synth_pose",
    "agir.motion.synth_profile",
    "agir.motion.synth_truth",
    "agir.motion.gait_parameters",
    "agir.motion.gait_events",
    "agir.text.norms",
    "agir.text.rationale",
    "agir.motion.io",
    "agir.motion.skeleton",
    "agir.motion.formats.bvh",
    "agir.motion.formats.c3d",
    "agir.motion.formats.carepd",
    "agir.motion.formats.humanml3d",
    "agir.motion.formats.smpl",
    "agir.data.recordings",
    "agir.data.sources",
    "agir.data.own_texts",
)


def _code_hash() -> str:
    digest = hashlib.sha256()
    for name in CONTENT_CODE:
        digest.update(Path(importlib.util.find_spec(name).origin).read_bytes())
    return digest.hexdigest()[:16]


def source_fingerprint(config: DataConfig, seed: int) -> str:
    """A hash of everything that decides the corpus content (not where it is written), code included."""
    content = {"fps": config.fps, "seed": seed, "version": CORPUS_VERSION, "code": _code_hash(), "sources": []}
    for view in source_views(config):
        resolved = OmegaConf.to_container(view.config, resolve=True)
        options = "synthetic" if view.config.source == "synthetic" else "recordings"
        source = {k: resolved[k] for k in ("source", options, "texts")} | {"dataset": view.dataset}
        if options == "recordings":  # and the recordings themselves: new or edited files make a new corpus
            source["files"] = recordings_signature(view.config)
        content["sources"].append(source | {"own_texts": texts_signature(view.config.texts), "prefix": view.prefix})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def make_item(record: SourceRecord, seed: int, dataset: str) -> CorpusItem:
    """Measure the gait parameters of one record and write its description and rationale from them."""
    parameters = extract_gait_parameters(
        record.motion.joints, record.motion.fps, measured=record.motion.measured
    ).to_dict()
    # String seeds hash deterministically, so each item's phrasing is fixed by (seed, id) alone.
    text_rng = random.Random(f"{seed}:{record.id}")
    return CorpusItem(
        id=record.id,
        subject=record.subject,
        dataset=dataset,
        score=record.score,
        fps=record.motion.fps,
        layout=record.motion.layout,
        path=f"motions/{record.id}.npz",
        parameters=parameters,
        description=describe(parameters, text_rng),
        rationale=rationale(parameters, record.score, text_rng),
        extras=record.extras,
    )


def with_own_texts(item: CorpusItem, texts: OwnTexts, local_id: str) -> CorpusItem:
    """`item` with its own rationale and description where `texts` has them (ValueError: skip it, and why)."""
    keys = (local_id, item.extras["trial"]) if "trial" in item.extras else (local_id,)
    chosen = texts.apply(local_id, keys, item.score, {"rationale": item.rationale, "description": item.description})
    item.rationale, item.description = chosen.pop("rationale"), chosen.pop("description")
    item.extras = item.extras | chosen
    return item


@contextmanager
def build_lock(corpus_dir: str | Path, wait_s: float = BUILD_WAIT_S) -> Iterator[None]:
    """Hold the build lock of `corpus_dir`, waiting up to `wait_s` for another process's build to end."""
    path = Path(corpus_dir) / BUILD_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ValueError(
                        f"{path}: another process has been building this corpus for over {wait_s:.0f} s; wait for "
                        "it to finish or stop it, then run again"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_corpus(
    config: DataConfig, seed: int, out_dir: str | Path | None = None, progress: Callable[[str], None] | None = print
) -> Path:
    """Write the corpus for `config` into `out_dir` (default config.corpus_dir); bad records are skipped and listed.
    Another process building the same folder is waited for first (`build_lock`)."""
    with build_lock(Path(out_dir or config.corpus_dir)):
        return _build(config, seed, Path(out_dir or config.corpus_dir), progress)


def _build(config: DataConfig, seed: int, out: Path, progress: Callable[[str], None] | None) -> Path:
    views = source_views(config)
    own_texts = {view.dataset: OwnTexts(view.config.texts) for view in views}
    (out / CORPUS_INFO).unlink(missing_ok=True)  # until this build ends, the folder holds no corpus
    (out / "motions").mkdir(parents=True, exist_ok=True)
    skipped: dict[str, str] = {}
    rows = []
    for view in views:
        for record, local_id in view_records(view, seed):
            if isinstance(record, SkippedRecord):
                skipped[record.id] = record.reason
                continue
            try:
                item = with_own_texts(make_item(record, seed, view.dataset), own_texts[view.dataset], local_id)
            except ValueError as error:
                skipped[record.id] = str(error)
                continue
            (out / item.path).parent.mkdir(parents=True, exist_ok=True)
            save_motion(out / item.path, record.motion)
            rows.append(json.dumps(item.to_json()))
    names = ", ".join(view.dataset for view in views)
    if not rows:
        raise ValueError(f"{out}: no usable sequences in {names} ({len(skipped)} skipped)")
    _write_whole(out / MANIFEST, "\n".join(rows) + "\n")
    info = {
        "source": config.source if not config.sources else [view.config.source for view in views],
        "datasets": [view.dataset for view in views],
        "fingerprint": source_fingerprint(config, seed),
        "items": len(rows),
        "skipped": skipped,
        "texts": {name: report for name, texts in own_texts.items() if (report := texts.report())},
        "manifest_sha256": _sha256(out / MANIFEST),
    }
    _write_whole(out / CORPUS_INFO, json.dumps(info, indent=1) + "\n")
    if progress:
        for item_id, reason in skipped.items():
            progress(f"skipped {item_id}: {reason}")
        for name, report in info["texts"].items():
            for kind, counts in report.items():
                progress(
                    f"{name} {kind} from {counts['file']}: {counts['matched']} matched, {counts['missing']} items "
                    f"without one ({counts['missing_policy']}), {len(counts['refused'])} refused, "
                    f"{len(counts['unmatched_ids'])} ids naming no item"
                )
    return out


def corpus_is_current(config: DataConfig, seed: int, corpus_dir: str | Path) -> bool:
    """Whether `corpus_dir` holds a whole corpus built from `config` and `seed` by this code."""
    info_path, manifest = Path(corpus_dir) / CORPUS_INFO, Path(corpus_dir) / MANIFEST
    if not info_path.is_file() or not manifest.is_file():
        return False
    info = json.loads(info_path.read_text())
    return info.get("fingerprint") == source_fingerprint(config, seed) and info.get("manifest_sha256") == _sha256(
        manifest
    )


def ensure_corpus(
    config: DataConfig, seed: int, progress: Callable[[str], None] | None = print, wait_s: float = BUILD_WAIT_S
) -> Path:
    """The corpus at config.corpus_dir, built first when missing, half-written or built from another config.

    Any number of processes may call this at once: one builds, the others wait for it and then use its corpus."""
    if corpus_is_current(config, seed, config.corpus_dir):
        return Path(config.corpus_dir)
    with build_lock(config.corpus_dir, wait_s):
        if not corpus_is_current(config, seed, config.corpus_dir):  # nobody built it while this one waited
            if progress:
                names = ", ".join(view.dataset for view in source_views(config))
                progress(f"building the corpus of {names} in {config.corpus_dir}")
            _build(config, seed, Path(config.corpus_dir), progress)
    return Path(config.corpus_dir)


def read_manifest(corpus_dir: str | Path) -> list[CorpusItem]:
    """The items of a corpus; a malformed line is an error naming the file and line."""
    path = Path(corpus_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest; build the corpus with `python -m agir.data build`")
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [k for k in FIELDS if k not in row]
            if missing:
                raise ValueError(f"missing keys {missing}")
            items.append(CorpusItem(**{k: row.pop(k) for k in FIELDS}, extras=row))
        except ValueError as error:
            raise ValueError(f"{path}:{number}: bad manifest line ({error})") from None
    return items


def load_item_motion(corpus_dir: str | Path, item: CorpusItem, target_fps: float | None = None) -> Motion:
    return load_motion(Path(corpus_dir) / item.path, target_fps=target_fps)
