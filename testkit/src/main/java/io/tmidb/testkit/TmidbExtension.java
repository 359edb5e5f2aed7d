// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.sql.SQLException;
import java.util.Locale;

/**
 * Starts one scratch cluster per test run (closed when the run ends) and gives each test class
 * its own database, named after the class, with the tmidb extension created.
 */
public final class TmidbExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TmidbExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException {
        ScratchCluster cluster = context.getRoot().getStore(NS)
                .getOrComputeIfAbsent(ScratchCluster.class, k -> ScratchCluster.start(), ScratchCluster.class);
        String name = context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT);
        context.getStore(NS).put(TestDatabase.class, cluster.createDatabase(name, false));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NS).get(TestDatabase.class, TestDatabase.class);
    }
}
