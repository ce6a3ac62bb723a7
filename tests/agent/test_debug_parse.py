"""Reading pasted tracebacks and logs."""

from tutor.agent.debug_parse import parse

CONCAT = """Traceback (most recent call last):
  File "starter.py", line 212, in <module>
    main()
  File "starter.py", line 98, in append_to_cache
    return np.concatenate([cache_k, k_new], 0)
ValueError: all the input array dimensions except for the concatenation axis must match exactly, but along dimension 1, the array at index 0 has size 5 and the array at index 1 has size 1"""


def test_a_traceback_gives_type_message_and_innermost_frame():
    d = parse(CONCAT)
    assert d.exc_type == "ValueError"
    assert d.message.startswith("all the input array dimensions")
    assert (d.innermost.file, d.innermost.line, d.innermost.func) == ("starter.py", 98, "append_to_cache")
    assert d.innermost.code == "return np.concatenate([cache_k, k_new], 0)"
    assert d.categories[0] == "shape"


def test_the_kinds_of_trouble_are_told_apart():
    assert parse("entropy_bits: nan\nRuntimeWarning: divide by zero encountered in log2").categories[0] == "nan"
    assert parse("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB").categories[0] == "oom"
    assert parse('  File "s.py", line 84, in causal_mask\nNotImplementedError: TODO: build the causal mask').categories[0] == "todo"
    assert parse("ModuleNotFoundError: No module named 'regex'").categories[0] == "import"
    assert parse("TypeError: '>' not supported between instances of 'NoneType' and 'float'").categories[0] == "none"
    assert parse("RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x128 and 512x128)").shapes == ["64x128", "512x128"]


def test_a_dotted_exception_name_is_read_whole():
    assert parse("torch.OutOfMemoryError: CUDA out of memory.").exc_type == "torch.OutOfMemoryError"


def test_a_symptom_without_a_traceback_still_gets_a_category():
    d = parse("recall@5 comes out as 1.0 for every method, that can't be right")
    assert not d.has_traceback and d.categories[0] == "too_good"
