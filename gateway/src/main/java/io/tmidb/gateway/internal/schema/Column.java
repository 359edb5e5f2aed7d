// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

/** A column of an API relation or function result: its name, its type as format_type prints it, whether it is JSON. */
public record Column(String name, String type, boolean json) {
}
