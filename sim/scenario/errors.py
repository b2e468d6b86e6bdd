"""One-line errors: a pydantic validation error as ``file: field path: what is allowed``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.scenario.company import LINK_MODELS
from sim.scenario.segments import SEGMENT_MODELS
from sim.scenario.staffing import STAFFING_MODELS


class ScenarioError(Exception):
    """A scenario could not be loaded; the message is one line naming file, field and fix."""


def set_path(parts: Sequence[str | int]) -> str:
    """A location as ``--set`` writes it: ``segments.consumer.cart``, ``calendar.peaks[0]``."""
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p)
                   for i, p in enumerate(parts))


def _is_union_tag(loc: Sequence[Any], i: int) -> bool:
    """True if ``loc[i]`` is the tag pydantic puts into the location of an error inside a
    discriminated union (``links.<name>.<mode>.<field>``, ``segments.<name>.<kind>.<field>``),
    not a segment or supplier that happens to have such a name. A staffing policy's tag
    follows ``staffing`` (``teams.<name>.staffing.<policy>``, ``warehouse.staffing.<policy>``),
    where no name of the file's own can be."""
    if i >= 1 and loc[i - 1] == "staffing" and loc[i] in STAFFING_MODELS:
        return True
    if i != 2 or len(loc) <= 3:
        return False
    return ((loc[0] == "links" and loc[i] in LINK_MODELS)
            or (loc[0] == "segments" and loc[i] in SEGMENT_MODELS))


def _union_model(loc: Sequence[Any], i: int) -> type[BaseModel]:
    if loc[i - 1] == "staffing":
        return STAFFING_MODELS[loc[i]]
    models: Mapping[str, type[BaseModel]] = LINK_MODELS if loc[0] == "links" else SEGMENT_MODELS
    return models[loc[i]]


def _model_at(model: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """Walk ``loc`` through the schema to the model that holds the field ``loc[-1]``."""
    cls: Any = model
    for i, key in enumerate(loc[:-1]):
        if _is_union_tag(loc, i):
            cls = _union_model(loc, i)
            continue
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            f = cls.model_fields.get(str(key))
            if f is None:
                return None
            cls = f.annotation
        else:
            cls = _dict_value_model(cls)
        cls = _unwrap_model(cls)
        if cls is None:
            return None
    cls = _unwrap_model(cls)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _choices(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The allowed values of the field at ``loc`` if it is a ``Literal``, else []."""
    holder = _model_at(model, loc)
    field = holder.model_fields.get(str(loc[-1])) if holder is not None and loc else None
    if field is None or get_origin(field.annotation) is not Literal:
        return []
    return [str(a) for a in get_args(field.annotation)]


def _unwrap_model(tp: Any) -> Any:
    args = getattr(tp, "__args__", None)
    origin = getattr(tp, "__origin__", None)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if origin is dict:
        return tp
    if args:
        for a in args:
            u = _unwrap_model(a)
            if u is not None:
                return u
    return None


def _dict_value_model(tp: Any) -> Any:
    args: tuple[Any, ...] = getattr(tp, "__args__", ())
    return args[1] if len(args) == 2 else None


def _a(kind: str) -> str:
    """``a b2c``, ``an smb``, ``an enterprise``, ``a service``."""
    return f"an {kind}" if kind in ("smb", "enterprise") else f"a {kind}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``word`` (difflib), or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def explain(exc: ValidationError, source: str, model: type[BaseModel]) -> ScenarioError:
    """All errors of ``exc``, each as one line naming the file, the field and what is allowed
    (``model`` is the schema the data was validated against, for the allowed names). One
    error is one line; several are a first line counting them, then one line each."""
    errors = exc.errors(include_url=False)
    lines = [_explain_one(err, source, model) for err in errors]
    if len(lines) == 1:
        return ScenarioError(lines[0])
    head = f"{source}: {len(lines)} errors"
    return ScenarioError("\n".join([head, *(f"  {line}" for line in lines)]))


def _explain_one(err: Any, source: str, model: type[BaseModel]) -> str:
    """One pydantic error as ``file: field path: what is allowed``."""
    raw_loc = list(err["loc"])
    loc = [x for i, x in enumerate(raw_loc) if not _is_union_tag(raw_loc, i)]
    if loc and loc[-1] == "[key]":  # a mapping key (a channel or team name) is malformed
        loc = loc[:-1]
    field = set_path(loc) or "(top level)"  # list items as [i], as --set writes them
    etype = err["type"]
    msg = err["msg"].removeprefix("Value error, ")
    segments = bool(raw_loc) and raw_loc[0] == "segments"
    staffing = bool(raw_loc) and raw_loc[-1] == "staffing"
    kind = (str(raw_loc[2]) if segments and len(raw_loc) == 4 and _is_union_tag(raw_loc, 2)
            else None)
    if etype == "extra_forbidden":
        holder = _model_at(model, raw_loc)
        hint = (f"{did_you_mean(str(raw_loc[-1]), holder.model_fields)}; allowed: "
                f"{', '.join(holder.model_fields)}" if holder is not None else "")
        msg = (f"not a field of {_a(kind)} segment{hint}" if kind else f"unknown field{hint}")
    elif etype == "missing":
        choices = _choices(model, raw_loc)
        msg = (f"{_a(kind)} segment needs '{raw_loc[-1]}'" if kind else
               "required field is missing" + (f" (one of {', '.join(choices)})"
                                              if choices else ""))
    elif etype == "literal_error":
        msg = msg.replace("Input should be", "must be one of")
    elif etype == "string_pattern_mismatch" and err["loc"][-1] == "[key]":
        msg = ("a name starts with a letter and has only letters, digits and '_' "
               "(at most 64 characters)")
    elif etype == "union_tag_invalid":
        msg = ("policy must be one of fixed, occupancy, service_level" if staffing
               else "kind must be one of b2c, smb, enterprise, service" if segments
               else "mode must be one of manual, batch, realtime")
    elif etype == "union_tag_not_found":
        msg = ("needs 'policy' (fixed, occupancy or service_level)" if staffing
               else "needs 'kind' (b2c, smb, enterprise or service)" if segments
               else "needs 'mode' (manual, batch or realtime)")
    return f"{source}: field {field}: {msg}"
