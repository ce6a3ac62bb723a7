"""The value codec between the learner's process and the judge: what is sent back is data only,
rebuilt as plain values, and anything malformed or oversized is refused rather than guessed."""

from __future__ import annotations

import collections
import dataclasses
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox"))
import check_values as cv  # noqa: E402  (standalone module, run inside the sandbox)

np = pytest.importorskip("numpy")


@dataclasses.dataclass
class Reply:
    content: str = ""
    tool_calls: list = dataclasses.field(default_factory=list)


def _round_trip(value):
    return cv.decode(json.loads(json.dumps(cv.encode(value))))


@pytest.mark.parametrize("value", [None, True, 3, 2.5, 1 + 2j, "x", b"\x00\xff", bytearray(b"a"), (1, (2,)),
                                   [1, [2]], {1, 2}, frozenset({3}), {(1, 2): 5}, range(0, 10, 2)])
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    back = _round_trip(value)
    assert back == value and type(back) is type(value)


def test_non_finite_floats_counters_and_named_tuples_survive():
    back = _round_trip([float("nan"), float("-inf"), collections.Counter({"a": 2}),
                        collections.namedtuple("Pair", "a b")(1, 2)])
    assert back[0] != back[0] and back[1] == float("-inf")
    assert isinstance(back[2], collections.Counter) and back[2]["a"] == 2
    assert back[3] == (1, 2) and back[3].b == 2 and type(back[3]).__name__ == "Pair"


def test_numpy_arrays_keep_dtype_shape_and_values():
    for array in (np.arange(6).reshape(2, 3), np.zeros((2, 0, 4)), np.array([np.nan, 1.0], dtype=np.float32),
                  np.array(["a", "bc"]), np.array([True, False])):
        back = _round_trip(array)
        assert back.dtype == array.dtype and back.shape == array.shape
        assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")
    assert _round_trip(np.float64(2.5)) == 2.5 and type(_round_trip(np.float64(2.5))) is np.float64
    assert _round_trip(np.bool_(False)) is np.False_
    assert _round_trip(np.dtype(bool)) == np.dtype(bool)


def test_objects_come_back_as_their_attributes_and_functions_as_names_that_never_run():
    back = _round_trip(Reply("hi", [{"id": 1}]))
    assert back.content == "hi" and back.tool_calls == [{"id": 1}] and not isinstance(back, Reply)
    fn = _round_trip(len)
    assert callable(fn)
    with pytest.raises(TypeError, match="does not run it"):
        fn([1])


def test_torch_tensors_keep_dtype_shape_and_requires_grad():
    torch = pytest.importorskip("torch")
    for tensor in (torch.tensor([1.0, 2.0], requires_grad=True) * 2, torch.zeros(2, 3, dtype=torch.bfloat16),
                   torch.tensor(3.0), torch.tensor([True, False])):
        back = _round_trip(tensor)
        assert back.dtype == tensor.dtype and back.shape == tensor.shape
        assert torch.equal(back, tensor.detach()) and back.requires_grad == tensor.requires_grad
    assert _round_trip(torch.Size([2, 3])) == torch.Size([2, 3])


@pytest.mark.parametrize("data", [
    {"$np": "O", "shape": [1], "data": [1]},                     # object dtype: would need pickle-like trust
    {"$np": "<f8", "shape": [10**9], "data": []},               # a shape over the bound
    {"$np": "<f8", "shape": [2], "data": [1.0, "x"]},           # a string in a numeric array
    {"$torch": "qint8", "shape": [1], "data": [1]},              # a dtype off the list
    {"$nope": 1},                                                # an unknown tag
    {"$tuple": [1], "$set": [2]},                                # two tags
    {"$namedtuple": "import os", "fields": ["a"], "items": [1]},  # a type name that is not a name
    {"$float": "1e999999"},
])
def test_malformed_or_oversized_data_is_refused(data):
    with pytest.raises(ValueError):
        cv.decode(data)


def test_private_attributes_of_an_object_are_dropped():
    back = cv.decode({"$object": "R", "attrs": {"__class__": 1, "_type": "X", "ok": 2}})
    assert back.ok == 2 and type(back) is cv.Attrs and repr(back) == "R(ok=2)"


def test_deep_nesting_and_huge_results_are_refused_on_both_sides():
    deep = []
    for _ in range(cv.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(cv.TooLarge):
        cv.encode(deep)
    with pytest.raises(cv.TooLarge):
        cv.decode(json.loads(json.dumps(deep)))
    with pytest.raises(cv.TooLarge):
        cv.encode(np.zeros(cv.MAX_ITEMS + 1))
