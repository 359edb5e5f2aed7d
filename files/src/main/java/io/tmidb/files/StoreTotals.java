// SPDX-License-Identifier: MIT
package io.tmidb.files;

/** How many objects the bucket holds and their bytes. */
public record StoreTotals(long objects, long bytes) {
}
