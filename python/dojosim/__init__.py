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
import os as _os

from . import _dojosim
from ._dojosim import Error, InputError, Unsupported, Infeasible, __version__

# `list` is left out: `from dojosim import *` must not hide the builtin (use dojosim.list).
__all__ = ["run", "search", "compare", "validate", "sweep", "sweep_results", "show", "to_dataframe",
           "Error", "InputError", "Unsupported", "Infeasible", "ArgumentError", "ArgumentTypeError", "__version__"]


class ArgumentError(InputError, ValueError):
    """A Python argument with a wrong value (``seq=2048.7``, ``top=10**12``): an
    :class:`InputError` (exit code 2 semantics) that is also a ``ValueError``."""


class ArgumentTypeError(InputError, TypeError):
    """A Python argument of a wrong type (``engine=None``, ``parallel=8``): an
    :class:`InputError` that is also a ``TypeError``."""


def _bad(cls, name, message, expected, suggestion=""):
    """An ArgumentError / ArgumentTypeError laid out as the C++ errors are: ``str(e)`` is the
    CLI-style text, the parts are attributes, ``key_path`` names the argument."""
    text = f"error: {message}"
    if expected:
        text += f"\n  expected: {expected}"
    if suggestion:
        text += f"\n  hint: {suggestion}"
    e = cls(text)
    e.message, e.expected, e.suggestion = message, expected, suggestion
    e.file, e.line, e.column, e.key_path, e.exit_code = "", 0, 0, name, 2
    return e


def _is_bool(v):
    """True for Python's and numpy's booleans (numpy.bool_ is no subclass of bool)."""
    return isinstance(v, bool) or getattr(getattr(v, "dtype", None), "kind", "") == "b"


# The C++ side's integer types: int (top, threads) and long long (seq).
_INT_MAX, _LLONG_MAX = 2**31 - 1, 2**63 - 1


def _whole(v, name, expected, limit=_INT_MAX):
    """A whole-number argument as the CLI reads it: any integer (Python's, numpy's: any
    numbers.Integral) or an integral float (4096.0, numpy floats too). 2.7, True, inf, nan
    and text are errors, never silently 2, 1 or an overflow."""
    hint = f"give {name} as an int, e.g. {name}={_example(name)}"
    if _is_bool(v):
        raise _bad(ArgumentError, name, f"{name} = {v!r} is not a whole number (a bool is not a count)", expected, hint)
    if isinstance(v, _numbers.Integral):
        n = int(v)
    elif isinstance(v, _numbers.Real) and _math.isfinite(float(v)) and float(v) == int(float(v)):
        n = int(float(v))
    elif isinstance(v, _numbers.Real):
        raise _bad(ArgumentError, name, f"{name} = {v!r} is not a whole number", expected, hint)
    else:
        raise _bad(ArgumentTypeError, name, f"{name} = {v!r} is not a whole number", expected, hint)
    if -limit - 1 <= n <= limit:
        return n
    raise _bad(ArgumentError, name, f"{name} = {n} is out of range", expected)


def _example(name):
    return {"seq": 2048, "top": 5, "threads": 8}.get(name.split("[")[0], 1)


def _seq(v, name="seq"):
    """A sequence length as the CLI reads --seq: a whole number (2048.7 or True is an error,
    not silently 2048 or 1)."""
    return _whole(v, name, "a whole number of tokens (e.g. 2048; 0: the model's default)", _LLONG_MAX)


def _real(v, name, expected):
    """A finite number (int, float, numpy's); not a bool."""
    if not _is_bool(v) and isinstance(v, _numbers.Real):
        f = float(v)
        if _math.isfinite(f):
            return f
        raise _bad(ArgumentError, name, f"{name} = {v!r} is not a finite number", expected)
    raise _bad(ArgumentTypeError, name, f"{name} = {v!r} is not a number", expected)


def _flag(v, name):
    """A yes/no argument: a bool (numpy's too); "false" or 1 are errors (bool("false") is True)."""
    if _is_bool(v):
        return bool(v)
    raise _bad(ArgumentTypeError, name, f"{name} = {v!r} is not a bool", "True or False",
               f"{name}=True" if v in ("true", "True", 1) else f"{name}=False" if v in ("false", "False", 0) else "")


def _text(v, name, expected, none=None):
    """A name or a file path: a str or an os.PathLike (pathlib.Path); None is ``none`` when
    that is given (the option left out), else an error."""
    if v is None and none is not None:
        return none
    if isinstance(v, str):
        return v
    if isinstance(v, _os.PathLike):
        return _os.fsdecode(_os.fspath(v))
    raise _bad(ArgumentTypeError, name, f"{name} = {v!r} is not a str or a path", expected)


def _value(v):
    if _is_bool(v):
        return "true" if v else "false"
    if isinstance(v, _numbers.Integral):
        return str(int(v))  # numpy.int64(8) -> "8"
    if isinstance(v, _numbers.Real) and float(v).is_integer():
        return str(int(v))  # 8.0 (a pandas column with a gap is float64) -> "8": the spec takes digits only
    return str(v)


def _spec(parallel):
    """{"tp": 8, "sp": True} or "tp=8,sp=true" -> "tp=8,sp=true". A key or value with ',' or
    '=' (or none at all) is an error: it would smuggle another key into the text."""
    if parallel is None:
        return ""
    if isinstance(parallel, str):
        return parallel
    if isinstance(parallel, dict):
        parts = []
        for k, v in parallel.items():
            key, value = str(k), _value(v)
            for what, text in ((f" key {key!r}", key), (f"[{key!r}] = {value!r}", value)):
                if "," in text or "=" in text or not text.strip():
                    raise _bad(ArgumentError, f"parallel[{key!r}]",
                               f"parallel{what} " + ("is empty" if not text.strip() else "holds ',' or '='"),
                               "a dict of strategy keys and values, e.g. {'tp': 8, 'pp': 2}: no ',' or '=' in either",
                               "give each key its own entry: {'tp': 8, 'pp': 2}, not {'tp': '8,pp=2'}")
            parts.append(f"{key}={value}")
        return ",".join(parts)
    raise _bad(ArgumentTypeError, "parallel", f"parallel = {parallel!r} is not a strategy",
               "a dict ({'tp': 8, 'sp': True}) or the CLI's text ('tp=8,sp=true')")


def _plan(parallel, seq, precision):
    """A result's ``strategy`` dict runs again as given: its ``seq`` and ``precision`` are the
    options of the same names (they must agree with those options when both are given;
    ``precision`` left out is bf16)."""
    precision = _text(precision, "precision", "a precision name: bf16, fp16, fp8, cfp8", none="")
    if isinstance(parallel, dict) and ("seq" in parallel or "precision" in parallel):
        rest = dict(parallel)
        s, p = rest.pop("seq", None), rest.pop("precision", None)
        if s is not None and _seq(seq) not in (0, _seq(s, "parallel['seq']")):
            raise _bad(ArgumentError, "seq", f"parallel['seq'] = {s} and seq = {seq} disagree: give one",
                       "seq in parallel or as the option, not two different lengths")
        if p is not None and precision and precision != p:
            raise _bad(ArgumentError, "precision",
                       f"parallel['precision'] = {p!r} and precision = {precision!r} disagree: give one",
                       "precision in parallel or as the option, not two different ones")
        chosen = p if p is not None else precision
        seq = _seq(s, "parallel['seq']") if s is not None else _seq(seq)
        return _spec(rest), seq, _text(chosen, "parallel['precision']", "a precision name") or "bf16"
    return _spec(parallel), _seq(seq), precision or "bf16"


def _sets(sets):
    """{"levels.node.bandwidth": "450 GB/s"}, ["KEY=VALUE", ...] or "KEY=VALUE" -> list of "KEY=VALUE"."""
    if sets is None:
        return []
    if isinstance(sets, str):
        return [sets]
    if isinstance(sets, dict):
        return [f"{k}={_value(v)}" for k, v in sets.items()]
    if isinstance(sets, (_builtins.list, tuple)):
        return [_text(s, "set", "'KEY=VALUE' text") for s in sets]
    raise _bad(ArgumentTypeError, "set", f"set = {sets!r} is not a set of overrides",
               "a dict ({'levels.node.bandwidth': '450 GB/s'}), a list of 'KEY=VALUE' or one such string")


def _stack(stack):
    return _text(stack, "stack", "a stack name (dojosim.list('stacks')) or a YAML file", none="")


def _path(p, name="html"):
    return _text(p, name, "a file path (str or pathlib.Path)", none="")


_SYSTEM = "a system preset (dojosim.list('systems'), e.g. 'dgx-h100:nodes=4') or a YAML file"
_MODEL = "a model preset (dojosim.list('models'), e.g. 'llama3-8b') or a YAML file"


def run(system, model, parallel=None, *, seq=0, precision=None, set=None, stack=None, engine="analytical", html=None):
    """One training step predicted: ``dojosim run --format json``. ``html``: also write the HTML report."""
    spec, seq, precision = _plan(parallel, seq, precision)
    return _dojosim.run(_text(system, "system", _SYSTEM), _text(model, "model", _MODEL), spec, seq, precision,
                        _sets(set), _stack(stack), _text(engine, "engine", "'analytical' or 'event'"), _path(html))


def search(system, model, parallel=None, *, objective="time", top=5, threads=0, seq=0, precision=None, set=None,
           stack=None, html=None):
    """Every valid strategy ranked: ``dojosim search --format json`` (the plans are in ``["ranked"]``)."""
    spec, seq, precision = _plan(parallel, seq, precision)
    return _dojosim.search(_text(system, "system", _SYSTEM), _text(model, "model", _MODEL), spec, seq, precision,
                           _sets(set), _stack(stack), _text(objective, "objective", "'time', 'cost' or 'energy'"),
                           _whole(top, "top", "a whole number of plans, 1 to 1000"),
                           _whole(threads, "threads", "a whole number of threads, 0 to 1024 (0: all cores)"), _path(html))


def compare(systems, model, parallel=None, *, tokens=0, reference=None, seq=0, precision=None, set=None, stack=None,
            html=None):
    """One model on several systems: ``dojosim compare --format json`` (a list, one entry per system).
    ``stack``: one name for every system, or a list with one per system (default: the reference's default)."""
    if isinstance(systems, (str, _os.PathLike)):
        systems = [systems]
    if not isinstance(systems, (_builtins.list, tuple)):
        raise _bad(ArgumentTypeError, "systems", f"systems = {systems!r} is not a list of systems", "a list of " + _SYSTEM)
    if stack is None:
        stacks = []
    elif isinstance(stack, (str, _os.PathLike)):
        stacks = [_stack(stack)]
    elif isinstance(stack, (_builtins.list, tuple)):
        stacks = [_text(s, "stack", "a stack name or a YAML file") for s in stack]
    else:
        raise _bad(ArgumentTypeError, "stack", f"stack = {stack!r} is not a stack", "a stack name, or a list of one per system")
    spec, seq, precision = _plan(parallel, seq, precision)
    return _dojosim.compare([_text(s, "systems", _SYSTEM) for s in systems], _text(model, "model", _MODEL), spec, seq,
                            precision, _sets(set), stacks, _real(tokens, "tokens", "tokens of the training run, e.g. 300e9"),
                            _text(reference, "reference", _SYSTEM, none=""), _path(html))


def validate(path, *, stack=None):
    """Predicted against measured step times: ``dojosim validate CASES.csv --format json``.
    ``stack``: the stack of rows whose ``stack`` column is empty (default: each system's)."""
    return _dojosim.validate(_text(path, "path", "a CSV file path"), _stack(stack))


def sweep(space, db, *, resume=False, threads=0, stack=None):
    """Evaluates a design space (SPACE.yaml) into the SQLite database ``db``; returns a summary.
    ``stack`` replaces the space's ``stack:`` (default: each system's)."""
    return _dojosim.sweep(_text(space, "space", "a SPACE.yaml path"), _text(db, "db", "a SQLite file path"), _stack(stack),
                          _flag(resume, "resume"), _whole(threads, "threads", "a whole number of threads (0: all cores)"))


def sweep_results(db, *, html=None):
    """The rows of a sweep database (``dojosim sweep --export csv``) as dicts, typed as the
    database's columns: ``point_id``, ``seq``, ``devices`` int, metrics float, ``fits`` bool,
    text str (``''`` for no note or error), None for a metric the point lacks (docs/python.md)."""
    return _dojosim.sweep_rows(_text(db, "db", "a SQLite file path"), _path(html))


def show(kind, name, *, set=None):
    """The resolved description of a system, model or stack: ``dojosim show KIND NAME --format json``
    (``kind``: 'system', 'model' or 'stack')."""
    return _dojosim.show(_text(kind, "kind", "'system', 'model' or 'stack'"),
                         _text(name, "name", "a preset name or a YAML file"), _sets(set))


def list(what):  # noqa: A001 - mirrors the CLI's `dojosim list`
    """Presets and components: ``dojosim list WHAT --format json`` (``what``: systems, models, stacks,
    formats, components). Not exported by ``from dojosim import *``: it would hide the builtin."""
    return _dojosim.list(_text(what, "what", "what to list: 'systems', 'models', 'stacks', 'formats' or 'components'"))


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
