"""Reading a tenant's content directory, with every problem reported as file:line: message.

PyYAML's composed node tree keeps line numbers; a pydantic error's location is walked down that
tree to the line the author needs to fix. Checks across files (button targets, languages, action
outcomes, duplicate examples) are reported the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from botdesk.bot.actions import ACTIONS
from botdesk.content.schema import (
    HUMAN_AGENT,
    OUT_OF_SCOPE,
    BotSpec,
    DialogueSpec,
    IntentSpec,
    Loc,
    walk_localized,
)
from botdesk.pii import EntityPatterns

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentInvalid(Exception):
    """Content that cannot be loaded; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s), first: {problems[0]}")
        self.problems = problems


@dataclass(frozen=True)
class TenantContent:
    """A tenant's validated bot content."""

    bot: BotSpec
    intents: dict[str, IntentSpec]
    dialogues: list[DialogueSpec] = field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        return {
            "bot": self.bot.model_dump(mode="json", exclude_defaults=True),
            "intents": [
                i.model_dump(mode="json", exclude_defaults=True) for i in self.intents.values()
            ],
            "dialogues": [d.model_dump(mode="json") for d in self.dialogues],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> TenantContent:
        intents = [IntentSpec.model_validate(i) for i in document["intents"]]
        return cls(
            bot=BotSpec.model_validate(document["bot"]),
            intents={i.intent: i for i in intents},
            dialogues=[DialogueSpec.model_validate(d) for d in document.get("dialogues", [])],
        )

    @property
    def entity_patterns(self) -> EntityPatterns:
        return EntityPatterns.from_config(self.bot.entities.model_dump())


def _display_name(path: Path, root: Path) -> str:
    """The path as the author knows it: relative to the content directory's parent."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


class _ContentLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 reads `NO` (Norway) and `on` as booleans."""


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ContentLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _File:
    """One YAML file: its data and its node tree (for line numbers)."""

    def __init__(self, path: Path, root: Path) -> None:
        self.name = _display_name(path, root)
        text = path.read_text(encoding="utf-8")
        self.node = yaml.compose(text, Loader=_ContentLoader)
        self.data = yaml.load(text, Loader=_ContentLoader)  # noqa: S506 (a SafeLoader subclass)

    def line(self, loc: Loc) -> int:
        """The 1-based line of the YAML node at `loc` (for a mapping entry, its key's line)."""
        node: yaml.Node | None = self.node
        line = node.start_mark.line if node is not None else 0
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = [(k, v) for k, v in node.value if k.value == str(part)]
                if not match:
                    break
                key, node = match[0]
                line = key.start_mark.line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return line + 1

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.name, self.line(loc), message)

    def validate(self, model: type[M], loc: Loc, problems: list[Problem]) -> M | None:
        data = self.data
        for part in loc:
            data = data[part]
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "(top level)"
                message = err["msg"].removeprefix("Value error, ")
                problems.append(self.problem((*loc, *err["loc"]), f"{where}: {message}"))
            return None


def load_directory(root: Path) -> TenantContent:
    """Read and check a content directory; raises ContentInvalid listing every problem."""
    problems: list[Problem] = []
    if not (root / "bot.yaml").is_file():
        raise ContentInvalid([Problem(str(root), 1, "no bot.yaml in this directory")])
    files: dict[Path, _File] = {}
    for path in sorted(
        [root / "bot.yaml", *root.glob("intents/*.yaml"), *root.glob("dialogues/*.yaml")]
    ):
        try:
            files[path] = _File(path, root)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            problems.append(Problem(_display_name(path, root), line, f"not valid YAML: {detail}"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(_display_name(path, root), 1, f"cannot read: {exc}"))
    bot_file = files.get(root / "bot.yaml")
    bot = bot_file.validate(BotSpec, (), problems) if bot_file else None
    intents: dict[str, tuple[IntentSpec, _File]] = {}
    for path, file in files.items():
        if path.parent.name != "intents":
            continue
        spec = file.validate(IntentSpec, (), problems)
        if spec is None:
            continue
        if spec.intent != path.stem:
            problems.append(
                file.problem(
                    ("intent",), f"intent {spec.intent!r} must be in intents/{spec.intent}.yaml"
                )
            )
        intents[spec.intent] = (spec, file)
    dialogues: list[DialogueSpec] = []
    for path, file in files.items():
        if path.parent.name != "dialogues":
            continue
        if not isinstance(file.data, list):
            problems.append(file.problem((), "a dialogues file is a list of dialogues"))
            continue
        for index in range(len(file.data)):
            dialogue = file.validate(DialogueSpec, (index,), problems)
            if dialogue is not None:
                problems.extend(_check_dialogue(dialogue, file, index, intents, bot))
                dialogues.append(dialogue)
    if bot is not None and bot_file is not None:
        problems.extend(_check_bot(bot, bot_file))
        problems.extend(_check_intents(bot, intents))
    if problems:
        raise ContentInvalid(problems)
    assert bot is not None
    return TenantContent(bot, {name: spec for name, (spec, _f) in intents.items()}, dialogues)


def _check_bot(bot: BotSpec, file: _File) -> Iterable[Problem]:
    try:
        EntityPatterns.from_config(bot.entities.model_dump())
    except ValueError as exc:
        yield file.problem(("entities",), f"entities: {exc}")
    for text, loc in walk_localized(bot):
        for lang in bot.languages:
            if lang not in text:
                yield file.problem(loc, f"{'.'.join(map(str, loc))}: no {lang!r} text")


def _check_intents(bot: BotSpec, intents: dict[str, tuple[IntentSpec, _File]]) -> Iterable[Problem]:
    if OUT_OF_SCOPE not in intents:
        yield Problem(
            "intents",
            1,
            "add intents/out_of_scope.yaml: negative examples teach the "
            "bot where its knowledge ends",
        )
    if HUMAN_AGENT in intents and not intents[HUMAN_AGENT][0].handover:
        yield intents[HUMAN_AGENT][1].problem(("handover",), "human_agent needs handover: true")
    seen: dict[str, str] = {}
    for name, (spec, file) in intents.items():
        for lang in bot.languages:
            if not spec.examples.get(lang):
                yield file.problem(("examples",), f"examples: none in {lang!r}")
        for lang, examples in spec.examples.items():
            if lang not in bot.languages:
                yield file.problem(
                    ("examples", lang), f"examples: {lang!r} is not a tenant language"
                )
            for index, example in enumerate(examples):
                key = " ".join(example.lower().split())
                if key in seen and seen[key] != name:
                    yield file.problem(
                        ("examples", lang, index), f"{example!r} is also an example of {seen[key]}"
                    )
                seen.setdefault(key, name)
        for text, loc in walk_localized(spec):
            for lang in bot.languages:
                if lang not in text:
                    yield file.problem(loc, f"{'.'.join(map(str, loc))}: no {lang!r} text")
        buttons = [
            (b, ("answer", "buttons", i, "intent"))
            for i, b in enumerate(spec.answer.buttons if spec.answer else [])
        ]
        for button, loc in buttons:
            if button.intent is not None and button.intent not in intents:
                yield file.problem(loc, f"button goes to unknown intent {button.intent!r}")
        if spec.flow is not None:
            action = ACTIONS.get(spec.flow.action)
            if action is None:
                yield file.problem(
                    ("flow", "action"),
                    f"unknown action {spec.flow.action!r}; known: {', '.join(sorted(ACTIONS))}",
                )
            else:
                missing = set(action.outcomes) - set(spec.flow.outcomes)
                extra = set(spec.flow.outcomes) - set(action.outcomes)
                if missing or extra:
                    yield file.problem(
                        ("flow", "outcomes"),
                        f"outcomes must be exactly {', '.join(action.outcomes)}",
                    )


def _check_dialogue(
    dialogue: DialogueSpec,
    file: _File,
    index: int,
    intents: dict[str, tuple[IntentSpec, _File]],
    bot: BotSpec | None,
) -> Iterable[Problem]:
    if bot is not None and dialogue.language not in bot.languages:
        yield file.problem((index, "language"), f"{dialogue.language!r} is not a tenant language")
    for turn_index, turn in enumerate(dialogue.turns):
        if turn.intent is not None and turn.intent not in intents:
            yield file.problem(
                (index, "turns", turn_index, "intent"), f"unknown intent {turn.intent!r}"
            )
