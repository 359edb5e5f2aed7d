// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.nio.file.Path;

/** Where a setting's value came from; {@link #toString()} is how messages and {@code tmictl config} name it. */
public sealed interface Origin {
    record CommandLine() implements Origin {
        @Override
        public String toString() {
            return "command line";
        }
    }

    record Environment(String variable) implements Origin {
        @Override
        public String toString() {
            return "environment " + variable;
        }
    }

    record File(Path path, int line) implements Origin {
        @Override
        public String toString() {
            return path + ":" + line;
        }
    }

    record Default() implements Origin {
        @Override
        public String toString() {
            return "default";
        }
    }

    Origin COMMAND_LINE = new CommandLine();
    Origin DEFAULT = new Default();
}
