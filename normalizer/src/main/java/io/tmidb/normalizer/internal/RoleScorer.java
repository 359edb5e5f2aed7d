// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

/** Scores each column for each {@link Role}: one row per column, one probability per role (in ordinal order). */
public interface RoleScorer {
    float[][] score(float[][] features) throws ScoringException;

    /** A short name for reasons and benchmarks. */
    String name();

    /** The scorer could not run (a broken model file, a native library that does not load). */
    final class ScoringException extends Exception {
        private static final long serialVersionUID = 1L;

        public ScoringException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
