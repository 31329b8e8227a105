"""TfIdfVectorizer conformance cases on integer tokens: TF, IDF and TFIDF modes, weights,
uni- to trigrams with skips, 1-D and batched input, int32 and int64."""

import numpy as np
from onnx import TensorProto, helper

from case_util import make_model, vi as _vi

F, I32, I64 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64


def cases():
    rng = np.random.default_rng(777)
    # unigrams 1..4, bigrams (1,2) (2,3) (3,1), trigram (1,2,3)
    pool = [1, 2, 3, 4, 1, 2, 2, 3, 3, 1, 1, 2, 3]
    counts = [0, 4, 10]
    indexes = [7, 6, 5, 4, 3, 2, 1, 0]
    weights = [0.5, 1.5, 2.0, 0.25, 1.0, 3.0, 0.75, 1.25]
    for name, mode, w, lo, hi, skip, t, shape in (("tf_uni_tri_skip2", "TF", None, 1, 3, 2, I64, [12]),
                                                  ("idf_weights", "IDF", weights, 1, 2, 1, I32, [3, 10]),
                                                  ("tfidf_weights", "TFIDF", weights, 2, 3, 3, I64, [2, 9]),
                                                  ("tfidf_no_weights", "TFIDF", None, 1, 1, 0, I32, [7])):
        attrs = dict(mode=mode, min_gram_length=lo, max_gram_length=hi, max_skip_count=skip, ngram_counts=counts,
                     ngram_indexes=indexes, pool_int64s=pool)
        if w is not None:
            attrs["weights"] = w
        node = helper.make_node("TfIdfVectorizer", ["x"], ["y"], **attrs)
        out = [8] if len(shape) == 1 else [shape[0], 8]
        m = make_model([node], [_vi("x", t, shape)], [_vi("y", F, out)], 9, graph="text")
        yield ("text_tfidf_%s" % name, m, {"x": rng.integers(1, 5, shape).astype(np.int64 if t == I64 else np.int32)})
