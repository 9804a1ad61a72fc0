"""dojosim: a simulator and planner of large-scale neural-network training, Tesla Dojo included.

Each function takes the CLI command's options as keywords and returns the command's
``--format json`` document as Python objects (docs/python.md)::

    import dojosim
    r = dojosim.run(system="dgx-h100:nodes=16", model="llama3-70b", parallel={"tp": 8, "pp": 2})

Bad input raises :class:`InputError` (or its subclass :class:`Unsupported`); valid input
that cannot run raises :class:`Infeasible`. Both carry the CLI's located message and the
attributes ``message``, ``expected``, ``suggestion``, ``file``, ``line``, ``column``,
``key_path`` and ``exit_code``. The computation runs with the GIL released.
"""

import builtins as _builtins
import math as _math
import numbers as _numbers

from . import _dojosim
from ._dojosim import Error, InputError, Unsupported, Infeasible, __version__

__all__ = ["run", "search", "compare", "validate", "sweep", "sweep_results", "show", "list", "to_dataframe",
           "Error", "InputError", "Unsupported", "Infeasible", "__version__"]


def _value(v):
    if _is_bool(v):
        return "true" if v else "false"
    if not _is_bool(v) and isinstance(v, _numbers.Integral):
        return str(int(v))  # numpy.int64(8) -> "8"
    return str(v)


def _spec(parallel):
    """{"tp": 8, "sp": True} or "tp=8,sp=true" -> "tp=8,sp=true"."""
    if parallel is None:
        return ""
    if isinstance(parallel, str):
        return parallel
    if isinstance(parallel, dict):
        return ",".join(f"{k}={_value(v)}" for k, v in parallel.items())
    raise TypeError(f"parallel: expected a dict or a 'tp=8,...' string, got {type(parallel).__name__}")


def _is_bool(v):
    """True for Python's and numpy's booleans (numpy.bool_ is no subclass of bool)."""
    return isinstance(v, bool) or getattr(getattr(v, "dtype", None), "kind", "") == "b"


def _whole(v, name, what):
    """A whole-number argument as the CLI reads it: any integer (Python's, numpy's: any
    numbers.Integral) or an integral float (4096.0, numpy floats too). 2.7, True, inf, nan
    and text are errors, never silently 2, 1 or an overflow."""
    if not _is_bool(v):
        if isinstance(v, _numbers.Integral):
            return int(v)
        if isinstance(v, _numbers.Real) and _math.isfinite(float(v)) and float(v) == int(float(v)):
            return int(float(v))
    raise ValueError(f"{name} = {v!r} is not a whole number of {what}")


def _seq(v, name="seq"):
    """A sequence length as the CLI reads --seq: a whole number (2048.7 or True is an error,
    not silently 2048 or 1)."""
    try:
        return _whole(v, name, "tokens")
    except ValueError:
        raise ValueError(f"{name} = {v!r} is not a whole number of tokens (e.g. 2048; 0: the model's default)") from None


def _plan(parallel, seq, precision):
    """A result's ``strategy`` dict runs again as given: its ``seq`` and ``precision`` are the
    options of the same names (they must agree with those options when both are given;
    ``precision`` left out is bf16)."""
    if isinstance(parallel, dict) and ("seq" in parallel or "precision" in parallel):
        rest = dict(parallel)
        s, p = rest.pop("seq", None), rest.pop("precision", None)
        if s is not None and _seq(seq) not in (0, _seq(s, "parallel['seq']")):
            raise ValueError(f"parallel['seq'] = {s} and seq = {seq} disagree: give one")
        if p is not None and precision is not None and precision != p:
            raise ValueError(f"parallel['precision'] = {p!r} and precision = {precision!r} disagree: give one")
        chosen = p if p is not None else precision
        return _spec(rest), _seq(s, "parallel['seq']") if s is not None else _seq(seq), "bf16" if chosen is None else chosen
    return _spec(parallel), _seq(seq), "bf16" if precision is None else precision


def _sets(sets):
    """{"levels.node.bandwidth": "450 GB/s"}, ["KEY=VALUE", ...] or "KEY=VALUE" -> list of "KEY=VALUE"."""
    if sets is None:
        return []
    if isinstance(sets, str):
        return [sets]
    if isinstance(sets, dict):
        return [f"{k}={_value(v)}" for k, v in sets.items()]
    return [str(s) for s in sets]


def _stack(stack):
    return "" if stack is None else str(stack)


def _path(p):
    return "" if p is None else str(p)


def run(system, model, parallel=None, *, seq=0, precision=None, set=None, stack=None, engine="analytical", html=None):
    """One training step predicted: ``dojosim run --format json``. ``html``: also write the HTML report."""
    spec, seq, precision = _plan(parallel, seq, precision)
    return _dojosim.run(system, model, spec, seq, precision, _sets(set), _stack(stack), engine, _path(html))


def search(system, model, parallel=None, *, objective="time", top=5, threads=0, seq=0, precision=None, set=None,
           stack=None, html=None):
    """Every valid strategy ranked: ``dojosim search --format json`` (the plans are in ``["ranked"]``)."""
    spec, seq, precision = _plan(parallel, seq, precision)
    return _dojosim.search(system, model, spec, seq, precision, _sets(set), _stack(stack), objective,
                           int(top), int(threads), _path(html))


def compare(systems, model, parallel=None, *, tokens=0, reference=None, seq=0, precision=None, set=None, stack=None,
            html=None):
    """One model on several systems: ``dojosim compare --format json`` (a list, one entry per system).
    ``stack``: one name for every system, or a list with one per system (default: the reference's default)."""
    if isinstance(systems, str):
        systems = [systems]
    stacks = [] if stack is None else [stack] if isinstance(stack, str) else [str(s) for s in stack]
    spec, seq, precision = _plan(parallel, seq, precision)
    return _dojosim.compare([str(s) for s in systems], model, spec, seq, precision, _sets(set),
                            stacks, float(tokens), "" if reference is None else str(reference), _path(html))


def validate(path, *, stack=None):
    """Predicted against measured step times: ``dojosim validate CASES.csv --format json``.
    ``stack``: the stack of rows whose ``stack`` column is empty (default: each system's)."""
    return _dojosim.validate(str(path), _stack(stack))


def sweep(space, db, *, resume=False, threads=0, stack=None):
    """Evaluates a design space (SPACE.yaml) into the SQLite database ``db``; returns a summary.
    ``stack`` replaces the space's ``stack:`` (default: each system's)."""
    return _dojosim.sweep(str(space), str(db), _stack(stack), bool(resume), int(threads))


def sweep_results(db, *, html=None):
    """The rows of a sweep database (``dojosim sweep --export csv``) as dicts, typed as the
    database's columns: ``point_id``, ``seq``, ``devices`` int, metrics float, ``fits`` bool,
    text str (``''`` for no note or error), None for a metric the point lacks (docs/python.md)."""
    return _dojosim.sweep_rows(str(db), _path(html))


def show(kind, name, *, set=None):
    """The resolved description of a system or model: ``dojosim show KIND NAME --format json``."""
    return _dojosim.show(kind, name, _sets(set))


def list(what):  # noqa: A001 - mirrors the CLI's `dojosim list`
    """Presets and components: ``dojosim list WHAT --format json`` (systems, models, formats, components)."""
    return _dojosim.list(what)


def to_dataframe(result):
    """A pandas DataFrame of any result: one row per run, ranked plan, compared system,
    validation case or sweep point; nested keys become dotted columns (``breakdown_s.compute``)."""
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - pandas is installed by scripts/bootstrap
        raise ImportError("dojosim.to_dataframe needs pandas (Debian: python3-pandas)") from e
    if isinstance(result, dict) and "ranked" in result:  # search
        rows = []
        for p in result["ranked"]:
            row = {"rank": p["rank"], "objective_per_token": p["objective_per_token"], "model": result["model"]}
            row.update(p["result"])
            rows.append(row)
        return pd.json_normalize(rows)
    if isinstance(result, dict) and "cases" in result:  # validate
        return pd.json_normalize(result["cases"])
    if isinstance(result, dict):  # run, show, a sweep summary
        return pd.json_normalize([result])
    if isinstance(result, (_builtins.list, tuple)):  # compare, list, sweep_results
        return pd.json_normalize(_builtins.list(result))
    raise TypeError(f"to_dataframe: expected a dojosim result (dict or list), got {type(result).__name__}")
