"""Corpus recipes as code (no third-party text): a synthetic Zipf generator (zipf.py), Mahoney's wikifil
cleaning that made text8 and enwik9's text (wikifil.py), and a Wikipedia XML dump to one sentence per line
(wikidump.py). Each runs as ``python -m corpora.NAME --help`` from the repository root."""
