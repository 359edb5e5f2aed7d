// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The role model ({@code roles.onnx}, trained by {@code normalizer/train/train.py}) run by ONNX
 * Runtime. The session is created once per process, on first use, and shared: ONNX Runtime
 * sessions are safe to run from several threads.
 */
public final class ModelScorer implements RoleScorer {
    public static final String RESOURCE = "/io/tmidb/normalizer/roles.onnx";
    private static final String INPUT = "features";
    private static final String OUTPUT = "probabilities";

    private static final class Loaded {
        private static final OrtSession SESSION;
        private static final OrtException FAILURE;

        static {
            OrtSession s = null;
            OrtException failure = null;
            try (InputStream in = ModelScorer.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException("resource " + RESOURCE + " is missing from the jar");
                }
                // a few rows per suggestion: one thread, and no spinning pool burning the cores of the server beside it
                OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                options.setIntraOpNumThreads(1);
                options.setInterOpNumThreads(1);
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
                options.addConfigEntry("session.inter_op.allow_spinning", "0");
                s = OrtEnvironment.getEnvironment().createSession(in.readAllBytes(), options);
            } catch (IOException e) {
                failure = new OrtException(e.getMessage());
            } catch (OrtException e) {
                failure = e;
            }
            SESSION = s;
            FAILURE = failure;
        }
    }

    @Override
    public String name() {
        return "model";
    }

    /** Loads the model now (it is otherwise loaded on first use). */
    public static void load() throws ScoringException {
        if (Loaded.SESSION == null) {
            throw new ScoringException("the role model did not load: " + Loaded.FAILURE.getMessage(), Loaded.FAILURE);
        }
    }

    @Override
    public float[][] score(float[][] features) throws ScoringException {
        load();
        if (features.length == 0) {
            return new float[0][];
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor input = OnnxTensor.createTensor(env, features);
             OrtSession.Result result = Loaded.SESSION.run(Map.of(INPUT, input))) {
            OnnxValue probabilities = result.get(OUTPUT).orElseThrow(() -> new OrtException("no output " + OUTPUT));
            return (float[][]) probabilities.getValue();
        } catch (OrtException e) {
            throw new ScoringException("the role model failed: " + e.getMessage(), e);
        }
    }
}
