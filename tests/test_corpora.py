"""corpora/ recipes on small inputs the tests write: wikifil's rules, a Wikipedia dump to sentences, the
Zipf generator."""

import bz2
import collections
import io
import subprocess
import sys

import numpy as np
import pytest

from corpora import wikifil, zipf

DUMP = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">
  <page>
    <title>Anarchism</title>
    <ns>0</ns>
    <revision><text xml:space="preserve">'''Anarchism''' is a [[political philosophy|philosophy]] born in 1840.\
&lt;ref&gt;Smith 2001&lt;/ref&gt; It has {{cite|x}} many [[School (thought)|schools]]. See \
[http://example.org the site]!
[[Image:Flag.png|thumb|left|200px|A black flag]]
[[Category:Politics|A]] [[de:Anarchismus]] &amp;nbsp;Caf\u00e9 &amp; co</text></revision>
  </page>
  <page><title>AnarchY</title><ns>0</ns><redirect title="Anarchism"/>\
<revision><text xml:space="preserve">#REDIRECT [[Anarchism]]</text></revision></page>
  <page><title>Talk:Anarchism</title><ns>1</ns><revision><text xml:space="preserve">talk page</text></revision></page>
</mediawiki>
"""


def test_wikifil_rules():
    out = "".join(wikifil.wikifil(io.StringIO(DUMP)))
    # markup gone, link and url text kept, digits spelled out, lower case a-z only; the redirect dropped;
    # wikifil keeps every namespace's text (the talk page)
    assert out == (" anarchism is a philosophy born in one eight four zero it has many schools see the site a "
                   "black flag politics caf co talk page")
    lines = "".join(wikifil.wikifil(io.StringIO(DUMP), lines=True)).splitlines()
    assert len(lines) == 2 and lines[1].strip() == "talk page"


def test_wikifil_records_split_across_reads():
    small = "".join(wikifil.wikifil(_Chunked(DUMP, 7)))
    assert small == "".join(wikifil.wikifil(io.StringIO(DUMP)))


class _Chunked(io.StringIO):
    def __init__(self, text, n):
        super().__init__(text)
        self.n = n

    def read(self, size=-1):
        return super().read(self.n)


def test_wikidump_sentences(tmp_path):
    path = tmp_path / "dump.xml.bz2"
    path.write_bytes(bz2.compress(DUMP.encode("utf-8")))
    out = tmp_path / "wiki.txt"
    r = subprocess.run([sys.executable, "-m", "corpora.wikidump", str(path), "-o", str(out), "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == [
        "anarchism is a philosophy born in one eight four zero",  # the reference is gone, the sentence ends
        "it has many schools",
        "see the site",
        "a black flag",
        "politics caf co",
    ]  # only articles (namespace 0), no redirect
    assert "1 articles, 5 sentences" in r.stderr


def test_zipf_generator_counts_lengths_and_exponent():
    text = b"".join(zipf.zipf_text(400_000, types=200_000, exponent=1.07, seed=5)).decode()
    assert text.endswith("\n")
    sentences = text.splitlines()
    tokens = text.split()
    assert len(tokens) == 400_000
    assert 5 <= min(len(s.split()) for s in sentences[:-1]) and max(len(s.split()) for s in sentences) <= 40
    counts = np.array(sorted(collections.Counter(tokens).values(), reverse=True), float)
    # the log-log slope of count against rank over ranks 10..1000 is the exponent (seeds 0-4: 1.059-1.067)
    r = np.arange(10, 1000)
    slope = -np.polyfit(np.log(r + 1), np.log(counts[r]), 1)[0]
    assert 1.0 < slope < 1.15
    assert 3 < np.mean([len(t) for t in tokens]) < 8  # English-like word lengths
    assert b"".join(zipf.zipf_text(1000, seed=1)) == b"".join(zipf.zipf_text(1000, seed=1))


def test_zipf_ranks_are_distinct_words():
    r = np.arange(1, 200_001, dtype=np.int64)
    words = zipf.words_bytes(r, np.zeros(len(r), bool)).tobytes().split()
    assert len(set(words)) == len(r)


@pytest.mark.parametrize("module", ["zipf", "wikifil", "wikidump"])
def test_recipes_have_help(module):
    r = subprocess.run([sys.executable, "-m", f"corpora.{module}", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage" in r.stdout
