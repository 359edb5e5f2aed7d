// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test documents in the shapes of real public feeds (src/test/resources/feeds). */
final class Feeds {
    private Feeds() {
    }

    static String read(String name) {
        try (InputStream in = Feeds.class.getResourceAsStream("/feeds/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
