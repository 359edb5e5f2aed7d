// SPDX-License-Identifier: MIT
package io.tmidb.settings;

/** The programs that read settings, by the name an operator knows them under. */
public enum Service {
    TMIDBD("tmidbd"),
    TMICTL("tmictl"),
    WORKER("tmidb-worker"),
    GATEWAY("tmidb-gateway");

    private final String programName;

    Service(String programName) {
        this.programName = programName;
    }

    public String programName() {
        return programName;
    }
}
