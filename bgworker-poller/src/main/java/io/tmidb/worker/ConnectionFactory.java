// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens connections to the tmiDB database, in autocommit mode; each service owns the ones it opens. */
@FunctionalInterface
public interface ConnectionFactory {
    Connection open() throws SQLException;
}
