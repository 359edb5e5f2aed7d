// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;

/**
 * Marks an integration test class: it gets a {@link TestDatabase} (a fresh database with the
 * tmidb extension, on the run's shared scratch cluster) as a parameter, and every test a timeout.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(TmidbExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public @interface TmidbTest {
}
