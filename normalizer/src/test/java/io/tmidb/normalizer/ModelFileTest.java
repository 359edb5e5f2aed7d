// SPDX-License-Identifier: MIT
package io.tmidb.normalizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tmidb.normalizer.internal.ModelScorer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/** The shipped model is the one train.sh recorded, and small. */
class ModelFileTest {
    @Test
    void modelMatchesItsRecordedChecksum() throws Exception {
        byte[] model;
        try (InputStream in = ModelScorer.class.getResourceAsStream(ModelScorer.RESOURCE)) {
            model = in.readAllBytes();
        }
        String recorded = Files.readString(Path.of("train/roles.onnx.sha256")).split("\\s+")[0];
        assertEquals(recorded, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model)),
                "roles.onnx differs from train/roles.onnx.sha256: retrain with normalizer/train/train.sh");
        assertTrue(model.length < 4 * 1024 * 1024, "the model stays a few MB at most: " + model.length);
    }
}
