"""Scenario ↔ URL query string.

A shared link carries only what differs from the baseline — one ``<lever id>=<value>`` pair per
changed lever — plus the model version (``m=<model hash>``) and, optionally, the region and the
language shown. Opening the link reproduces the lever settings.

Decoding never evaluates anything: every key must be a known lever id or constant name (or one of
``m``, ``region``, ``lang``), every value must match a plain decimal-number pattern, parse as a
finite float and pass the lever's own range check. Anything else is reported in ``errors`` and
ignored; the rest of the link still applies. A link from another model version applies with a
notice.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from . import geography, levers as levers_mod
from .errors import OasisError

MODEL_KEY = "m"
REGION_KEY = "region"
LANG_KEY = "lang"
META_KEYS = (MODEL_KEY, REGION_KEY, LANG_KEY)
LANGS = ("en", "zh")

MAX_PARAMS = 64  # more keys than levers + meta: not a link we made
MAX_KEY_LEN = 64
MAX_VALUE_LEN = 24
# ASCII digits only: \d would also accept fullwidth and Arabic-Indic digits, which float() reads
_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$", re.ASCII)
_HASH_RE = re.compile(r"^[0-9a-f]{6,64}\Z")


def _show(text: str, limit: int = 32) -> str:
    """A safe, short rendering of untrusted text for an error message."""
    text = str(text)
    shown = text[:limit] + ("…" if len(text) > limit else "")
    return repr(shown)


def format_value(value: float) -> str:
    """Shortest text that reads back as exactly the same float (``repr``: lossless), without an
    exponent or ``.0`` for whole numbers such as years."""
    value = float(value)
    if not math.isfinite(value):
        raise OasisError(f"lever value {value!r} is not a finite number")
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def encode(lever_values: Mapping[str, float], model_hash: str, *, region: str | None = None,
           lang: str | None = None) -> dict[str, str]:
    """Query parameters for a scenario: levers that differ from baseline (by lever id) + model hash."""
    defaults = levers_mod.defaults()
    params: dict[str, str] = {MODEL_KEY: model_hash}
    for lv in levers_mod.levers():
        value = float(lever_values.get(lv.name, lv.default))
        if value != defaults[lv.name]:
            params[lv.id] = format_value(value)
    if region and region != "belt":
        params[REGION_KEY] = region
    if lang and lang != "en":
        params[LANG_KEY] = lang
    return params


def to_query_string(params: Mapping[str, str]) -> str:
    return urlencode(dict(params))


def share_url(base_url: str, lever_values: Mapping[str, float], model_hash: str, **kw) -> str:
    """Full link: ``base_url?m=...&L1=0...``."""
    base = base_url.split("?", 1)[0]
    return f"{base}?{to_query_string(encode(lever_values, model_hash, **kw))}"


@dataclass
class SharedState:
    """What a link asks for, after validation."""

    levers: dict[str, float]  # full lever set: baseline + valid values from the link
    changed: dict[str, float] = field(default_factory=dict)  # the valid lever values in the link
    region: str | None = None
    lang: str | None = None
    model_hash: str | None = None
    errors: list[str] = field(default_factory=list)  # visible to the user; offending parts ignored
    notices: list[str] = field(default_factory=list)  # e.g. made with another model version

    @property
    def empty(self) -> bool:
        return not self.changed and self.region is None and self.lang is None and self.model_hash is None


_CHOICE_KEYS = {REGION_KEY: ("region", geography.GEOGRAPHIES, "region"), LANG_KEY: ("lang", LANGS, "language")}


def decode(params: Mapping[str, object], current_model_hash: str) -> SharedState:
    """Validate query parameters from a link (values ``str`` or lists of ``str``)."""
    state = SharedState(levers=levers_mod.defaults())
    items = list(params.items())
    if len(items) > MAX_PARAMS:
        state.errors.append(f"the link has {len(items)} parameters (at most {MAX_PARAMS}); ignored entirely")
        return state
    seen: set[str] = set()
    for raw_key, raw_value in items:
        key = str(raw_key)
        if len(key) > MAX_KEY_LEN:
            state.errors.append(f"parameter name {_show(key)} is too long; ignored")
            continue
        if isinstance(raw_value, (list, tuple)):
            if len(raw_value) != 1:
                state.errors.append(f"parameter {_show(key)} is given {len(raw_value)} times; ignored")
                continue
            raw_value = raw_value[0]
        value = str(raw_value)
        if len(value) > MAX_VALUE_LEN and key != MODEL_KEY:
            state.errors.append(f"value of {_show(key)} is too long; ignored")
            continue
        if key == MODEL_KEY:
            if not _HASH_RE.match(value):
                state.errors.append(f"model version {_show(value)} is not a model hash; ignored")
            else:
                state.model_hash = value
            continue
        if key in _CHOICE_KEYS:  # region and language: one of a fixed set of names
            field, allowed, what = _CHOICE_KEYS[key]
            if value in allowed:
                setattr(state, field, value)
            else:
                state.errors.append(f"unknown {what} {_show(value)}; ignored")
            continue
        try:
            lever = levers_mod.lever_or_error(key, where="link")
        except OasisError as exc:
            state.errors.append(f"{exc}; ignored")
            continue
        if lever.name in seen:
            state.errors.append(f"lever '{lever.name}' is given twice; second value ignored")
            continue
        if not _NUMBER_RE.fullmatch(value.strip()):
            state.errors.append(f"lever '{lever.name}': {_show(value)} is not a number; ignored")
            continue
        number = float(value)
        if not math.isfinite(number):
            state.errors.append(f"lever '{lever.name}': {_show(value)} is not a finite number; ignored")
            continue
        try:
            number = lever.validate(number, where="link")
        except OasisError as exc:
            state.errors.append(f"{exc}; ignored")
            continue
        seen.add(lever.name)
        state.levers[lever.name] = number
        state.changed[lever.name] = number
    if state.changed or state.model_hash:
        if state.model_hash is None:
            state.notices.append("no_model")
        elif state.model_hash != current_model_hash and not current_model_hash.startswith(state.model_hash):
            state.notices.append("old_model")
    return state
