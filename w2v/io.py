"""Reading and writing Vectors in word2vec binary and text and GloVe text (formats.py), and the word
vectors of an NPLM model file."""

from w2v import formats
from w2v.formats import FORMATS, format_for_path, is_model_file
from w2v.vectors import Vectors

__all__ = ["FORMATS", "format_for_path", "is_model_file", "load", "save"]


def save(vectors, path, fmt=None):
    """Write ``vectors`` (a Vectors) to ``path`` atomically in ``fmt`` (bin, text or glove; else the suffix's)."""
    formats.write(vectors.words, vectors.vectors, path, fmt)


def load(path, unicode_errors="strict"):
    """Read a word2vec binary/text or GloVe text file (the format detected from the content), or an NPLM
    model's word vectors, as Vectors."""
    if is_model_file(path):
        from w2v.nplm import LanguageModel

        return LanguageModel.load(path).vectors
    return Vectors(*formats.read(path, unicode_errors))
