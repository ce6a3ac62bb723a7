"""A check's result as data only: the learner's process encodes what its call returned, the
judge (check_harness.py) decodes it and compares it itself.

The encoding is JSON with tags for what JSON lacks (tuples, sets, bytes, non-string keys,
NumPy and PyTorch arrays, named tuples, plain objects as their public attributes). Decoding
builds only plain values: no class of the learner's is ever imported or called, so whatever
the learner's process sends is worth no more than a value its code could have returned.

Standalone on purpose (stdlib only; NumPy and PyTorch are imported only when a tag needs
them): both sides run inside the lab's sandbox.
"""

from __future__ import annotations

import base64
import collections
import keyword
import math

MAX_ITEMS = 2_000_000      # scalars and containers in one result
MAX_DEPTH = 32
MAX_STR = 1_000_000        # characters of one string, bytes of one bytes value
MAX_ATTRS = 64
NUMERIC_KINDS = "biufc"


TEXT_CHARS = 400


class CheckTimeout(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in learner code does not eat it."""


def alarm(signum, frame):
    raise CheckTimeout()


def short(text: str, limit: int = TEXT_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value) -> str:
    try:
        return short(repr(value))
    except BaseException as exc:  # a hostile __repr__
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


class TooLarge(ValueError):
    """The value is over a bound; the check reports it rather than judging part of it."""


class Budget:
    def __init__(self, items: int = MAX_ITEMS):
        self.left = items

    def take(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise TooLarge(f"the result holds more than {MAX_ITEMS} values")


def _float(x: float):
    return x if math.isfinite(x) else {"$float": repr(x)}


# --- encode: runs in the learner's process ---------------------------------------------------

def encode(value, budget: Budget | None = None, depth: int = 0):
    budget = budget or Budget()
    budget.take()
    if depth > MAX_DEPTH:
        raise TooLarge(f"the result is nested more than {MAX_DEPTH} levels deep")
    if value is None or type(value) in (bool, int, str):
        if type(value) is str and len(value) > MAX_STR:
            raise TooLarge(f"a string in the result is over {MAX_STR} characters")
        if type(value) is int and value.bit_length() > 4096:
            raise TooLarge("an integer in the result is over 4096 bits")
        return value
    if type(value) is float:
        return _float(value)
    if type(value) is complex:
        return {"$complex": [_float(value.real), _float(value.imag)]}
    if type(value) in (bytes, bytearray):
        if len(value) > MAX_STR:
            raise TooLarge(f"a bytes value in the result is over {MAX_STR} bytes")
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii"), "mutable": type(value) is bytearray}
    array = _encode_array(value, budget, depth)
    if array is not None:
        return array
    down = depth + 1
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return {"$namedtuple": type(value).__name__, "fields": [str(f) for f in type(value)._fields],
                "items": [encode(v, budget, down) for v in value]}
    if isinstance(value, list):
        return [encode(v, budget, down) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, budget, down) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode(v, budget, down) for v in value], "frozen": isinstance(value, frozenset)}
    if isinstance(value, dict):
        kind = "Counter" if isinstance(value, collections.Counter) else "dict"
        return {"$dict": [[encode(k, budget, down), encode(v, budget, down)] for k, v in value.items()], "type": kind}
    if isinstance(value, range):
        return {"$range": [value.start, value.stop, value.step]}
    return _encode_object(value, budget, depth)


def _encode_array(value, budget: Budget, depth: int):
    module = type(value).__module__ or ""
    name = type(value).__name__
    if module.startswith("torch") and name == "Size":
        return {"$torch_size": [int(n) for n in value]}
    if module.startswith("torch") and hasattr(value, "detach") and hasattr(value, "shape"):
        tensor = value.detach().cpu()
        budget.take(int(tensor.numel()))
        return {"$torch": str(tensor.dtype).replace("torch.", ""), "shape": [int(n) for n in tensor.shape],
                "data": _nested(tensor.tolist()), "requires_grad": bool(value.requires_grad)}
    if module == "numpy" and name == "dtype" or module.startswith("numpy.dtypes"):
        return {"$np_dtype": str(value.str)}
    if module == "numpy" and name == "ndarray":
        budget.take(int(value.size))
        if value.dtype.kind not in NUMERIC_KINDS + "U":
            return {"$np_object": [int(n) for n in value.shape],
                    "data": encode(value.tolist(), budget, depth + 1)}
        return {"$np": value.dtype.str, "shape": [int(n) for n in value.shape], "data": _nested(value.tolist())}
    if module == "numpy" and hasattr(value, "dtype") and hasattr(value, "item"):  # a NumPy scalar
        if value.dtype.kind not in NUMERIC_KINDS:
            return encode(value.item(), budget, depth + 1)
        return {"$np_scalar": value.dtype.str, "value": _nested(value.item())}
    return None


def _nested(data):
    """tolist() output: numbers (NaN and infinities tagged, complex as pairs) in nested lists."""
    if isinstance(data, list):
        return [_nested(x) for x in data]
    if isinstance(data, float):
        return _float(data)
    if isinstance(data, complex):
        return {"$complex": [_float(data.real), _float(data.imag)]}
    return data


def _encode_object(value, budget: Budget, depth: int):
    """A dataclass or plain object: its public, non-callable attributes; a callable: its name."""
    if callable(value):
        return {"$callable": str(getattr(value, "__qualname__", type(value).__name__))[:100]}
    out = {"$object": type(value).__name__, "attrs": {}}
    fields = getattr(type(value), "__dataclass_fields__", None)
    try:
        names = list(fields) if isinstance(fields, dict) else list(vars(value))
    except TypeError:
        names = []
    for attr in names[:MAX_ATTRS]:
        if not isinstance(attr, str) or attr.startswith("_"):
            continue
        item = getattr(value, attr, None)
        if callable(item):
            continue
        out["attrs"][attr] = encode(item, budget, depth + 1)
    return out


# --- decode: runs in the judge -----------------------------------------------------------------

class Attrs:
    """A learner's object, rebuilt as its attributes (equal to another with the same ones)."""

    def __init__(self, type_name: str, attrs: dict):
        object.__setattr__(self, "_type", type_name)
        self.__dict__.update(attrs)

    def __eq__(self, other):
        return isinstance(other, Attrs) and vars(self) == vars(other)

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "_type")
        return f"{self._type}({shown})"


class LearnerCallable:
    """Something callable the learner returned (a function, say): it can be seen, never run here."""

    def __init__(self, name: str):
        self.__qualname__ = self.__name__ = name

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.__name__} is the learner's function: the judge does not run it")

    def __repr__(self):
        return f"<function {self.__name__}>"


def _bad(why: str):
    raise ValueError(f"malformed result: {why}")


def _name(text, what: str) -> str:
    if not isinstance(text, str) or not text.isidentifier() or keyword.iskeyword(text) or len(text) > 100:
        _bad(f"{what} is not a name")
    return text


def decode(data, budget: Budget | None = None, depth: int = 0):
    budget = budget or Budget()
    budget.take()
    if depth > MAX_DEPTH + 2:
        raise TooLarge("the result is nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    down = depth + 1
    if type(data) is list:
        return [decode(x, budget, down) for x in data]
    if type(data) is not dict or len(data) == 0:
        _bad("unknown value")
    tags = [k for k in data if isinstance(k, str) and k.startswith("$")]
    if len(tags) != 1:
        _bad("a value needs exactly one tag")
    tag = tags[0]
    body = data[tag]
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            _bad("bad float")
        return float(body)
    if tag == "$complex":
        real, imag = _pair(body)
        return complex(real, imag)
    if tag == "$bytes":
        raw = base64.b64decode(str(body), validate=True)
        return bytearray(raw) if data.get("mutable") is True else raw
    if tag == "$tuple":
        return tuple(decode(x, budget, down) for x in _list(body))
    if tag == "$namedtuple":
        fields = [_name(f, "a field") for f in _list(data.get("fields"))]
        items = [decode(x, budget, down) for x in _list(data.get("items"))]
        if len(fields) != len(items) or len(set(fields)) != len(fields) or any(f.startswith("_") for f in fields):
            _bad("bad named tuple")
        return collections.namedtuple(_name(body, "a type"), fields)(*items)
    if tag == "$set":
        items = [decode(x, budget, down) for x in _list(body)]
        return frozenset(items) if data.get("frozen") is True else set(items)
    if tag == "$dict":
        pairs = [(decode(k, budget, down), decode(v, budget, down)) for k, v in (_pair(p) for p in _list(body))]
        return collections.Counter(dict(pairs)) if data.get("type") == "Counter" else dict(pairs)
    if tag == "$range":
        start, stop, step = (int(x) for x in _list(body)[:3])
        return range(start, stop, step)
    if tag == "$callable":
        if not isinstance(body, str):
            _bad("bad callable")
        return LearnerCallable(body[:100])
    if tag == "$object":
        attrs = data.get("attrs")
        if not isinstance(attrs, dict) or len(attrs) > MAX_ATTRS:
            _bad("bad object")
        return Attrs(_name(body, "a type"), {_name(k, "an attribute"): decode(v, budget, down)
                                             for k, v in attrs.items() if not k.startswith("_")})
    if tag in ("$np", "$np_scalar", "$np_dtype", "$np_object"):
        return _decode_numpy(tag, data, budget, down)
    if tag in ("$torch", "$torch_size"):
        return _decode_torch(tag, data, budget)
    _bad(f"unknown tag {str(tag)[:40]!r}")


def _list(body) -> list:
    if type(body) is not list:
        _bad("expected a list")
    return body


def _pair(body) -> list:
    body = _list(body)
    if len(body) != 2:
        _bad("expected a pair")
    return body


def _numbers(data, budget: Budget, depth: int = 0, text: bool = False):
    if depth > MAX_DEPTH:
        raise TooLarge("an array is nested too deeply")
    if type(data) is list:
        return [_numbers(x, budget, depth + 1, text) for x in data]
    budget.take()
    if type(data) in (bool, int, float) or text and type(data) is str and len(data) <= MAX_STR:
        return data
    if type(data) is dict and ("$float" in data or "$complex" in data):
        return decode(data, budget)
    _bad("an array holds a non-number")


def _flatten(items, ndim: int):
    if ndim == 0:
        yield items
        return
    for item in _list(items):
        yield from _flatten(item, ndim - 1)


def _shape(body) -> tuple[int, ...]:
    shape = tuple(_list(body))
    if len(shape) > MAX_DEPTH or any(type(n) is not int or n < 0 for n in shape):
        _bad("bad shape")
    if math.prod(shape) > MAX_ITEMS:
        raise TooLarge("an array is over the size bound")
    return shape


def _np_dtype(np, text, kinds: str = NUMERIC_KINDS):
    if not isinstance(text, str) or len(text) > 12:
        _bad("bad dtype")
    dtype = np.dtype(text)
    if dtype.kind not in kinds or dtype.itemsize > 4 * MAX_STR or dtype.fields is not None or dtype.subdtype is not None:
        _bad("bad dtype")
    return dtype


def _decode_numpy(tag: str, data: dict, budget: Budget, depth: int):
    import numpy as np

    if tag == "$np_dtype":
        return np.dtype(_np_dtype(np, data[tag], NUMERIC_KINDS + "U"))
    if tag == "$np_scalar":
        return _np_dtype(np, data[tag]).type(_numbers(data.get("value"), budget))
    if tag == "$np_object":
        shape = _shape(data[tag])
        flat = list(_flatten(decode(data.get("data"), budget, depth), len(shape)))
        out = np.empty(math.prod(shape), dtype=object)
        if len(flat) != out.size:
            _bad("an object array's items do not fill its shape")
        for i, item in enumerate(flat):
            out[i] = item
        return out.reshape(shape)
    shape = _shape(data.get("shape"))
    dtype = _np_dtype(np, data[tag], NUMERIC_KINDS + "U")
    return np.array(_numbers(data.get("data"), budget, text=dtype.kind == "U"), dtype=dtype).reshape(shape)


TORCH_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
                "float64", "complex64", "complex128")


def _decode_torch(tag: str, data: dict, budget: Budget):
    import torch

    if tag == "$torch_size":
        return torch.Size([int(n) for n in _shape(data[tag])])
    name = data[tag]
    if name not in TORCH_DTYPES:
        _bad("bad tensor dtype")
    dtype = getattr(torch, name)
    shape = _shape(data.get("shape"))
    tensor = torch.tensor(_numbers(data.get("data"), budget), dtype=dtype).reshape(shape)
    if data.get("requires_grad") is True and (dtype.is_floating_point or dtype.is_complex):
        tensor.requires_grad_(True)
    return tensor
