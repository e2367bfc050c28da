"""The prompt/answer views of the LLM stages: corpus items + motion codes -> tokenized SFT samples.

Tasks (`agir.text.prompts.INSTRUCTIONS`) and what they answer:
- motion_to_description: the motion-code span -> the item's analytic gait description;
- description_to_motion: the description -> the motion-code span;
- motion_to_rationale: the motion-code span -> the CoT rationale ending in `Score: N`.

A training epoch visits every (item, code offset) once, its task drawn by the configured shares and its phrasing
drawn too, both from a generator seeded by (seed, index): the same index is the same example in every epoch and on
every rank, which keeps resumed runs exact. Evaluation visits every (item, task) once, at code offset 0, with the
canonical phrasing (`build_prompt(rng=None)`), the prompt `agir.assess` gives a new file too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from agir.data.batching import pack
from agir.data.corpus import CorpusItem
from agir.data.padding import collate, decision_flags, pad
from agir.text.motion_vocab import MotionVocabulary
from agir.text.prompts import IGNORE_INDEX, TASK_INPUTS, SFTExample, encode_example, task_prompt, with_decision
from agir.text.rationale import OVERALL


@dataclass(frozen=True)
class SFTView:
    """How a stage turns items into examples: its tasks with their shares, tokenizer, vocabulary and lengths."""

    tasks: dict[str, float]
    tokenizer: object
    vocabulary: MotionVocabulary
    max_length: int
    use_chat_template: bool
    batch_size: int
    code_offsets: int
    evidence: str = "motion"  # what motion prompts give beside the motion tokens (agir.text.prompts.evidence_line)
    batching: str = "padded"  # how training batches are laid out (agir.data.batching); evaluation's are padded

    def __post_init__(self) -> None:
        unknown = [task for task in self.tasks if task not in TASK_INPUTS]
        if unknown or not any(share > 0 for share in self.tasks.values()):
            raise ValueError(
                f"SFTView needs tasks among {', '.join(TASK_INPUTS)} with a positive share, got {self.tasks}"
            )


@dataclass(frozen=True)
class SFTSample:
    example: SFTExample
    prompt: str  # the instruction text, as generation and score probabilities take it
    prompt_ids: list[int]  # the generation prompt: exactly the prompt part of `example`
    answer: str
    item_id: str
    task: str
    score: int
    parameters: dict  # the item's measured gait parameters, which grounded generation cites


def check_answer_lengths(view: SFTView, items: list[CorpusItem], codes: dict[str, list[np.ndarray]]) -> None:
    """Fail before training when an answer cannot fit `max_length` with a prompt: answers are never truncated."""
    too_long = []
    for item in items:
        answers = {
            "motion_to_description": [item.description],
            "motion_to_rationale": [item.rationale],
            "description_to_motion": [view.vocabulary.as_text(c.tolist()) for c in codes[item.id]],
        }
        for task, share in view.tasks.items():
            longest = max(len(view.tokenizer.encode(a, add_special_tokens=False)) for a in answers[task])
            # + EOS, + at least one prompt token; a chat template's own tokens come on top.
            if share > 0 and longest + 2 > view.max_length:
                too_long.append(f"{item.id} {task} ({longest} answer tokens)")
    if too_long:
        raise ValueError(
            f"{len(too_long)} answers do not fit llm.max_length={view.max_length} with a prompt, e.g. "
            f"{'; '.join(too_long[:3])}: raise llm.max_length (answers are never truncated)"
        )


def make_sample(view: SFTView, item: CorpusItem, codes: np.ndarray, task: str, rng: random.Random | None) -> SFTSample:
    """The sample of `task` for `item`; `rng` draws the phrasing (None: the canonical one)."""
    motion = view.vocabulary.as_text(codes.tolist())
    answers = {
        "motion_to_description": item.description,
        "description_to_motion": motion,
        "motion_to_rationale": item.rationale,
    }
    prompt = task_prompt(task, rng, {"motion": motion, "description": item.description}, item.parameters, view.evidence)
    example = encode_example(view.tokenizer, prompt, answers[task], view.max_length, view.use_chat_template)
    if task == "motion_to_rationale":
        example = with_decision(view.tokenizer, example, OVERALL)
    prompt_length = next(i for i, label in enumerate(example.labels) if label != IGNORE_INDEX)
    return SFTSample(
        example, prompt, example.input_ids[:prompt_length], answers[task], item.id, task, item.score, item.parameters
    )


class SFTDataset(Dataset):
    def __init__(
        self, view: SFTView, items: list[CorpusItem], codes: dict[str, list[np.ndarray]], seed: int, train: bool
    ):
        self.view, self.items, self.codes, self.seed, self.train = view, items, codes, seed, train
        tasks = [task for task, share in view.tasks.items() if share > 0]
        self.tasks, self.shares = tasks, [view.tasks[task] for task in tasks]
        variants = view.code_offsets if train else len(tasks)
        self.index = [(item, variant) for variant in range(variants) for item in range(len(items))]
        # A sample is a pure function of its index, so each is tokenized once, not once per epoch.
        self._samples: dict[int, SFTSample] = {}

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> SFTSample:
        if i not in self._samples:
            self._samples[i] = self._make(i)
        return self._samples[i]

    def lengths(self) -> list[int]:
        """The token count of every sample, by index."""
        return [len(self[i].example.input_ids) for i in range(len(self))]

    def _make(self, i: int) -> SFTSample:
        item_index, variant = self.index[i]
        item = self.items[item_index]
        if not self.train:
            return make_sample(self.view, item, self.codes[item.id][0], self.tasks[variant], None)
        rng = random.Random(f"{self.seed}:{i}")
        task = rng.choices(self.tasks, self.shares)[0]
        return make_sample(self.view, item, self.codes[item.id][variant], task, rng)


def collate_samples(samples: list[SFTSample], pad_id: int, pack_length: int | None = None) -> dict[str, object]:
    """The training tensors, padded (or packed into rows of `pack_length`: agir.data.batching.pack) with each
    sample's decision_mask, plus what evaluation needs to generate and score each sample."""
    examples = [s.example for s in samples]
    if pack_length is None:
        tensors = collate(examples, pad_id)
        tensors["decision_mask"] = pad([decision_flags(e) for e in examples], 0, "right")
    else:
        tensors = pack(examples, pack_length, pad_id)
    batch: dict[str, object] = dict(tensors)
    batch |= {
        "prompts": [s.prompt for s in samples],
        "prompt_ids": [s.prompt_ids for s in samples],
        "answers": [s.answer for s in samples],
        "item_ids": [s.item_id for s in samples],
        "tasks": [s.task for s in samples],
        "scores": torch.tensor([s.score for s in samples]),
        "parameters": [s.parameters for s in samples],
    }
    return batch
