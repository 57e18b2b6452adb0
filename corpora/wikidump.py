"""A Wikipedia XML dump (``enwiki-*-pages-articles.xml.bz2``) to one sentence per line, streaming.

Pages are read one at a time (ElementTree's iterparse, each page cleared once done, so memory stays
small whatever the dump's size). Articles only (namespace 0), redirects skipped. The wiki markup is
removed with wikifil's rules (corpora/wikifil.py), the text is cut into sentences at line ends and at
``. ! ?`` followed by a space and an upper-case letter or digit, and each sentence is written in
text8's alphabet (lower case, digits spelled out, other characters spaces) unless ``--keep-case``.
A progress bar on stderr follows the compressed bytes read.

    python -m corpora.wikidump enwiki-latest-pages-articles.xml.bz2 -o wiki.txt
    w2v train wiki.txt -o vectors.bin
"""

import argparse
import bz2
import gzip
import os
import re
import sys
import xml.etree.ElementTree as ET

from corpora.wikifil import normalise, strip_markup

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_SPACES = re.compile(r"\s+")


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def pages(stream):
    """Yield (title, namespace, wikitext, redirect) of each page of an XML dump stream."""
    for _, elem in ET.iterparse(stream, events=("end",)):
        if _local(elem.tag) != "page":
            continue
        title = ns = text = None
        redirect = False
        for child in elem.iter():
            name = _local(child.tag)
            if name == "title":
                title = child.text
            elif name == "ns":
                ns = child.text
            elif name == "redirect":
                redirect = True
            elif name == "text":
                text = child.text or ""
        yield title, ns, text, redirect
        elem.clear()


def sentences(wikitext, keep_case=False):
    """The sentences of one article's wikitext, cleaned."""
    text = strip_markup(wikitext, escaped=False)  # ElementTree has unescaped the XML already
    for paragraph in text.split("\n"):
        for sentence in _SENTENCE_END.split(paragraph):
            words = (_SPACES.sub(" ", sentence) if keep_case else normalise(sentence)).split()
            if words:
                yield " ".join(words)


def convert(path, out, keep_case=False, progress=True):
    """Write the sentences of the dump at ``path`` to the text stream ``out``; returns (articles, sentences)."""
    raw = open(path, "rb")
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(os.path.splitext(path)[1].lower())
    stream = opener(raw) if opener else raw
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc="wikidump", file=sys.stderr)
    articles = lines = 0
    try:
        for _, ns, text, redirect in pages(stream):
            if bar is not None:
                bar.update(raw.tell() - bar.n)
            if ns not in (None, "0") or redirect or text is None or text.lstrip()[:9].lower() == "#redirect":
                continue
            articles += 1
            for s in sentences(text, keep_case):
                out.write(s + "\n")
                lines += 1
    finally:
        if bar is not None:
            bar.close()
        stream.close()
    return articles, lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dump", help="pages-articles XML dump: .xml, .xml.bz2 or .xml.gz")
    ap.add_argument("-o", "--output", required=True, help="text file to write (one sentence per line)")
    ap.add_argument("--keep-case", action="store_true", help="keep case and characters; only remove markup")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    tmp = args.output + ".part"
    with open(tmp, "w", encoding="utf-8") as out:
        articles, lines = convert(args.dump, out, args.keep_case, progress=not args.quiet)
    os.replace(tmp, args.output)
    print(f"{articles} articles, {lines} sentences -> {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
