// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

/** What a column is to a rule; the ordinal is the model's class label. */
public enum Role {
    FIELD, KEY, NAME, TIMESTAMP, LAT, LON
}
