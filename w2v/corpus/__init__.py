"""The corpus: opened (reading.py), counted once into token types and a provisional id stream (counting.py),
and encoded into the training stream on disk (encoded.py). The names other modules use are here."""

from w2v.corpus.counting import DEFAULT_COUNT_LIMIT, LIVE_TYPES, ScanResult, Table, scan_corpus
from w2v.corpus.encoded import EncodedCorpus, encode
from w2v.corpus.reading import (Copy, Files, Prefetch, binary_reason, close_source, describe, forcing_text, expand_inputs, file_size, fingerprint_files,
                                input_paths, is_file, is_url, open_binary, open_corpus, open_raw, rereadable,
                                text_only)

__all__ = ["DEFAULT_COUNT_LIMIT", "LIVE_TYPES", "ScanResult", "Table", "scan_corpus", "EncodedCorpus", "encode",
           "Copy", "Files", "Prefetch", "binary_reason", "close_source", "describe", "forcing_text", "expand_inputs", "file_size", "fingerprint_files", "input_paths",
           "is_file", "is_url", "open_binary", "open_corpus", "open_raw", "rereadable", "text_only"]
