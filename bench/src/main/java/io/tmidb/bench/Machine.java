// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the machine a figure was measured on. */
final class Machine {
    private Machine() {
    }

    /** The 1-minute load average: other work on the machine skews every figure. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
