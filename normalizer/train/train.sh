#!/bin/sh
# SPDX-License-Identifier: MIT
# Reproduces normalizer/src/main/resources/io/tmidb/normalizer/roles.onnx: generates the training
# corpus (TrainingSet, seeded), trains the forest (train.py) and records the model's SHA-256 in
# normalizer/train/roles.onnx.sha256 (ModelFileTest checks the committed model against it).
# Needs Maven, a JDK 17 and Debian's python3-sklearn and python3-onnx (apt-get install).
# Run from the repository root: normalizer/train/train.sh
set -eu
CASES=${CASES:-4000}
SEED=${SEED:-7}
MODEL=normalizer/src/main/resources/io/tmidb/normalizer/roles.onnx
mvn -B -q -o -pl normalizer -am test-compile dependency:build-classpath -DskipTests -Dmdep.outputFile=target/classpath.txt
CP=normalizer/target/test-classes:normalizer/target/classes:$(cat normalizer/target/classpath.txt)
java -cp "$CP" io.tmidb.normalizer.training.TrainingSet "$CASES" "$SEED" > normalizer/target/training.csv
/usr/bin/python3 normalizer/train/train.py normalizer/target/training.csv "$MODEL"
(cd "$(dirname "$MODEL")" && sha256sum roles.onnx) > normalizer/train/roles.onnx.sha256
cat normalizer/train/roles.onnx.sha256
