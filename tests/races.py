"""Test help for races a learner wins: a listing taken before their swap lands."""

from __future__ import annotations


class Listing(list):
    """os.scandir's result, read to a list at once, still usable as ``with os.scandir(...)``:
    a patched scandir returns it after making the learner's swap, so the code under test sees
    the listing from before the swap and opens names that have changed since."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass
