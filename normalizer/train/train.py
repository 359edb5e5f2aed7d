#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Trains the normalizer's role model and writes it as ONNX.

Reads the training set that TrainingSet writes (case,label,features...), trains a random forest
(scikit-learn), reports its accuracy on the cases held out, and writes the forest as an ONNX
ai.onnx.ml TreeEnsembleClassifier built with onnx.helper from the fitted trees: input
"features" float[N, F], outputs "label" int64[N] and "probabilities" float[N, 6] (the roles in
io.tmidb.normalizer.internal.Role order). Needs Debian's python3-sklearn and python3-onnx.

    /usr/bin/python3 train.py features.csv roles.onnx
"""
import csv
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble import RandomForestClassifier

ROLES = ["field", "key", "name", "timestamp", "lat", "lon"]
SEED = 20261127


def load(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        data = [r for r in rows]
    cases = np.array([int(r[0]) for r in data])
    y = np.array([int(r[1]) for r in data])
    x = np.array([[float(v) for v in r[2:]] for r in data], dtype=np.float32)
    return header[2:], cases, y, x


def to_onnx(forest, n_features):
    n_trees = len(forest.estimators_)
    classes = [int(c) for c in forest.classes_]
    nodes = {k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes", "true", "false")}
    cls = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
    for t, est in enumerate(forest.estimators_):
        tree = est.tree_
        for i in range(tree.node_count):
            nodes["treeids"].append(t)
            nodes["nodeids"].append(i)
            leaf = tree.children_left[i] == -1
            nodes["featureids"].append(0 if leaf else int(tree.feature[i]))
            nodes["values"].append(0.0 if leaf else float(tree.threshold[i]))
            nodes["modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            nodes["true"].append(0 if leaf else int(tree.children_left[i]))
            nodes["false"].append(0 if leaf else int(tree.children_right[i]))
            if leaf:
                counts = tree.value[i][0]
                total = counts.sum()
                for c, v in enumerate(counts):
                    if v > 0:
                        cls["treeids"].append(t)
                        cls["nodeids"].append(i)
                        cls["ids"].append(c)
                        cls["weights"].append(float(v / total / n_trees))
    node = helper.make_node(
        "TreeEnsembleClassifier", ["features"], ["label", "probabilities"], domain="ai.onnx.ml",
        nodes_treeids=nodes["treeids"], nodes_nodeids=nodes["nodeids"], nodes_featureids=nodes["featureids"],
        nodes_values=nodes["values"], nodes_modes=nodes["modes"], nodes_truenodeids=nodes["true"],
        nodes_falsenodeids=nodes["false"], class_treeids=cls["treeids"], class_nodeids=cls["nodeids"],
        class_ids=cls["ids"], class_weights=cls["weights"], classlabels_int64s=classes, post_transform="NONE")
    graph = helper.make_graph(
        [node], "tmidb_normalizer_roles",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, n_features])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(classes)])])
    model = helper.make_model(graph, producer_name="tmidb-normalizer train.py",
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def main():
    names, cases, y, x = load(sys.argv[1])
    assert sorted(set(y)) == list(range(len(ROLES))), "every role must occur in the training set"
    held_out = (cases % 7) == 0
    forest = RandomForestClassifier(n_estimators=40, max_depth=12, min_samples_leaf=3, class_weight="balanced",
                                    random_state=SEED, n_jobs=1)
    forest.fit(x[~held_out], y[~held_out])
    pred = forest.predict(x[held_out])
    print("held-out columns: %d, accuracy %.4f" % (held_out.sum(), (pred == y[held_out]).mean()), file=sys.stderr)
    for r, role in enumerate(ROLES):
        mask = y[held_out] == r
        print("  %-9s recall %.4f (%d)" % (role, (pred[mask] == r).mean(), mask.sum()), file=sys.stderr)
    forest.fit(x, y)
    ranked = sorted(zip(forest.feature_importances_, names), reverse=True)[:10]
    print("top features: " + ", ".join("%s %.3f" % (n, v) for v, n in ranked), file=sys.stderr)
    onnx.save(to_onnx(forest, x.shape[1]), sys.argv[2])


if __name__ == "__main__":
    main()
