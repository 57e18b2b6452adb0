"""No change in behaviour: every model x loss, trained with ``--threads 1 --seed 7``, writes the vectors (and
NPLM parameters) that the reference revision wrote, bit for bit.

``tests/data/reference.npz`` comes from ``python tests/make_reference.py --rev REV`` (small: dimension 8
on a 300-sentence planted corpus); its metadata names the revision and the CPU it ran on. Numba compiles
for the host CPU with fastmath, so on another CPU the vector code may sum in another order: there the
test asks for agreement to float32 rounding instead, and says so in its name.
"""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

import make_reference as ref
from w2v.cli import cli

REFERENCE = np.load(ref.OUT)
META = json.loads(str(REFERENCE["meta"]))
SAME_CPU = META["cpu"] == ref.host_cpu()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("reference") / "corpus.txt")
    ref.write_corpus(path)
    return path


def _check_against_reference(name, corpus, tmp_path, exact):
    assert META["runs"][name] == ref.RUNS[name] and META["common"] == ref.COMMON
    out = str(tmp_path / ref.output_name(name))
    r = CliRunner().invoke(cli, ["train", corpus, "-o", out, *ref.COMMON, *ref.RUNS[name]], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    got = ref.read_output(out)
    assert sorted(got) == sorted(k.split("/")[1] for k in REFERENCE.files if k.startswith(name + "/"))
    for key, value in got.items():
        want = REFERENCE[f"{name}/{key}"]
        assert value.shape == want.shape, key
        if key == "words" or exact:
            assert np.array_equal(value, want), f"{name}/{key} differs from revision {META['rev'][:10]}"
        else:  # another CPU: the same computation up to float32 summation order
            assert np.allclose(value, want, rtol=1e-4, atol=1e-5), key


@pytest.mark.skipif(not SAME_CPU, reason="the reference was recorded on another CPU (see the test below)")
@pytest.mark.parametrize("name", list(ref.RUNS))
def test_bit_identical_to_reference(name, corpus, tmp_path):
    _check_against_reference(name, corpus, tmp_path, exact=True)


@pytest.mark.skipif(SAME_CPU, reason="the reference was recorded on this CPU: the test above asks for every bit")
@pytest.mark.parametrize("name", list(ref.RUNS))
def test_within_float32_rounding_of_a_reference_from_another_cpu(name, corpus, tmp_path):
    _check_against_reference(name, corpus, tmp_path, exact=False)


def test_reference_is_small():
    assert os.path.getsize(ref.OUT) < 100_000
