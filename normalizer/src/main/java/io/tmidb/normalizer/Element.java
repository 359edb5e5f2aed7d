// SPDX-License-Identifier: MIT
package io.tmidb.normalizer;

/**
 * One element of a suggested rule: {@code iterate}, {@code key}, {@code name}, {@code timestamp},
 * {@code lat}, {@code lon}, {@code position} or {@code fields.NAME}, where it reads, how sure
 * the suggester is (0..1) and why, in one line. {@code required} elements must all pass the
 * threshold for a suggestion to be applied without a person.
 */
public record Element(String element, String path, double confidence, boolean required, String reason) {
}
