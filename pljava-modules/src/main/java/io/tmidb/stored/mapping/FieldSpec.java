// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;

/**
 * One field of a rule: where its value is, what type it has, and whether it is an attribute of
 * the target (latest value, in target.meta) or an observation (ts_obs.payload). {@code unit} is the
 * unit numbers may be written with (null: none), {@code trim} strips text values.
 */
record FieldSpec(String name, String path, FieldType type, boolean attribute, BigDecimal scale, BigDecimal offset,
                 TimeFormat format, boolean required, String unit, boolean trim) {
}
