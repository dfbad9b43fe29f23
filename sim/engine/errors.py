"""Exceptions raised by :mod:`sim.engine`."""

from ..errors import OasisError


class EngineError(OasisError):
    """Base class of every error raised by the engine (an :class:`~sim.errors.OasisError`: the
    CLI prints the message and exits 2)."""


class UnsupportedConstruct(EngineError):
    """A Vensim construct the engine cannot reproduce exactly.

    Raised at *compile* time so that an unsupported model never produces a
    silently wrong answer.  ``construct`` names the construct and
    ``variable`` the model variable (original Vensim name) that uses it.
    """

    def __init__(self, construct: str, variable: str = "", detail: str = ""):
        self.construct = construct
        self.variable = variable
        self.detail = detail
        msg = f"unsupported construct {construct!r}"
        if variable:
            msg += f" in variable {variable!r}"
        if detail:
            msg += f": {detail}"
        super().__init__(msg)


class UnknownParameterError(EngineError, KeyError):
    """A parameter name that does not match any overridable constant."""

    def __init__(self, name: str, suggestions: list):
        self.name = name
        self.suggestions = list(suggestions)
        msg = f"unknown parameter {name!r}"
        if suggestions:
            msg += "; did you mean: " + ", ".join(repr(s) for s in suggestions)
        super().__init__(msg)

    def __str__(self):  # KeyError would otherwise repr() the message
        return self.args[0]


class ParameterShapeError(EngineError, ValueError):
    """A parameter value whose shape does not fit the constant it sets."""


class SimulationError(EngineError, RuntimeError):
    """A run-time condition the engine refuses to paper over."""
