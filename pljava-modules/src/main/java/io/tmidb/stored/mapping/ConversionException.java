// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

/** A value that cannot take its field's type; the message completes "value X ...". */
final class ConversionException extends Exception {
    private static final long serialVersionUID = 1L;

    ConversionException(String reason) {
        super(reason);
    }
}
