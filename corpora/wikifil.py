"""Matt Mahoney's wikifil.pl rules (the cleaning behind text8 and fil9), as a streaming Python filter.

The text of each page's ``<text>`` element is kept, #REDIRECT pages dropped, and the wiki markup removed:
references, XHTML tags, URLs (their visible text kept), image options, category and interlanguage links,
{{templates}} and {tables}. Then everything is lower-cased, each digit spelled out ("1" -> " one "), and
every run of characters other than a-z becomes one space. The perl script reads records ending in ">";
so does this filter, with the same state (inside a text element or not), so its output equals the
script's on the same input.

    python -m corpora.wikifil enwik9 > fil9                    # text8-style: one long line
    python -m corpora.wikifil enwiki.xml --lines > wiki.txt    # a line per article (sentence ends for w2v)
"""

import argparse
import re
import sys

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_MARKUP = [  # (pattern, replacement, flags): wikifil.pl's substitutions in its order
    (r"<.*>", "", 0),  # the record's own xml tag (first match only; below)
    (r"&amp;", "&", 0), (r"&lt;", "<", 0), (r"&gt;", ">", 0),
    (r"<ref[^<]*</ref>", "", 0),  # references
    (r"<[^>]*>", "", 0),  # xhtml tags
    (r"\[http:[^] ]*", "[", 0),  # urls, keeping the visible text
    (r"\|thumb", "", re.I), (r"\|left", "", re.I), (r"\|right", "", re.I), (r"\|\d+px", "", re.I),
    (r"\[\[image:[^\[\]]*\|", "", re.I),  # image links, keeping the caption
    (r"\[\[category:([^|\]]*)[^]]*\]\]", r"[[\1]]", re.I),  # categories without markup
    (r"\[\[[a-z\-]*:[^\]]*\]\]", "", 0),  # interlanguage links
    (r"\[\[[^\|\]]*\|", "[[", 0),  # wiki link targets, keeping the visible text
    (r"\{\{[^}]*\}\}", "", 0),  # {{templates}}
    (r"\{[^}]*\}", "", 0),  # {tables}
    (r"\[", "", 0), (r"\]", "", 0),
    (r"&[^;]*;", " ", 0),  # other escaped characters
]
_COMPILED = [(re.compile(p, f), r) for p, r, f in _MARKUP]
_NOT_LETTERS = re.compile(r"[^a-z]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def strip_markup(record, escaped=True):
    """wikifil's markup rules on one record (XML-escaped text up to and including a '>'), or with
    ``escaped=False`` on wikitext that an XML parser has already unescaped (the rules from <ref> on)."""
    rules = _COMPILED if escaped else _COMPILED[4:]
    for k, (pattern, repl) in enumerate(rules):
        record = pattern.sub(repl, record, count=1 if escaped and k == 0 else 0)
    return record


def normalise(text):
    """Lower case, digits spelled out, every run of other characters one space (text8's alphabet)."""
    text = text.translate(_ASCII_LOWER)  # perl's tr/A-Z/a-z/ (ASCII only)
    for d, name in enumerate(_DIGITS):
        text = text.replace(str(d), f" {name} ")
    return _NOT_LETTERS.sub(" ", text)


def records(stream, size=1 << 20):
    """Split a text stream into records ending in '>' (perl's $/ = ">")."""
    rest = ""
    while True:
        chunk = stream.read(size)
        if not chunk:
            break
        parts = (rest + chunk).split(">")
        rest = parts.pop()
        for p in parts:
            yield p + ">"
    if rest:
        yield rest


def wikifil(stream, lines=False):
    """Yield cleaned text pieces: wikifil.pl's output, or with ``lines`` a newline after each article."""
    in_text = False
    for record in records(stream):
        if "<text " in record:
            in_text = True
        if re.search("#redirect", record, re.I):
            in_text = False
        if in_text:
            end = "</text>" in record
            if end:
                in_text = False
            cleaned = normalise(f" {strip_markup(record)} ")
            # perl's `tr/a-z/ /cs` squeezes runs of spaces across the record's edges too
            yield cleaned[:-1]
            if end and lines:
                yield "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="Wikipedia XML (plain; use bzcat for .bz2), or - for standard input")
    ap.add_argument("--lines", action="store_true", help="a line per article instead of one long line")
    args = ap.parse_args(argv)
    stream = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8", errors="replace")
    for piece in wikifil(stream, args.lines):
        sys.stdout.write(piece)

if __name__ == "__main__":
    main()
