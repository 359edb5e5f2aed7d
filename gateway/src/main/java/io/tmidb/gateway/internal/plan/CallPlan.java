// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import io.tmidb.gateway.internal.schema.Routine;

import java.util.Map;

/** A checked call of an API function with named arguments (text, cast to each argument's type); rows are read through {@code read}. */
public record CallPlan(Routine routine, Map<String, String> args, ReadPlan read) {
}
