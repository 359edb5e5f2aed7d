// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import org.postgresql.core.Utils;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** What makes a plain PostgreSQL cluster a tmiDB node: server settings, the extension, the banner. */
public final class Node {
    public static final String VERSION = "0.2";
    public static final String BANNER = "=== tmiDB " + VERSION + " ready ===";
    public static final String DEFAULT_DATABASE = "tmidb";
    /** The role the gateway logs in as; it holds no privilege of its own (see {@link #prepareAuthenticator}). */
    public static final String AUTHENTICATOR = "tmidb_authenticator";
    /** The role tmidb-worker logs in as: a member of the extension's tmi_worker (see {@link #prepareWorker}). */
    public static final String WORKER = "tmidb_worker";

    private Node() {
    }

    /** Server settings beyond the cluster's own: those of the engines installed ({@link EngineSettings}). */
    public static List<String> serverSettings(PgInstallation pg) {
        return EngineSettings.forNewCluster(pg);
    }

    /** Whether the running server has TimescaleDB loaded, so ts_obs can be a hypertable. */
    public static boolean timescaleLoaded(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 'timescaledb' = ANY (string_to_array("
                     + "replace(current_setting('shared_preload_libraries'), ' ', ''), ','))")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Creates {@code database} when missing and the tmidb extension in it (with TimescaleDB first
     * when {@code timescale}), updates the extension to the installed version and creates the
     * time-series partitions ahead of time.
     */
    public static void prepareDatabase(Cluster cluster, String database, boolean timescale) throws SQLException {
        try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME);
             PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, database);
            try (ResultSet rs = exists.executeQuery()) {
                if (!rs.next()) {
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE DATABASE " + quoteIdentifier(database));
                    }
                }
            }
        }
        try (Connection c = cluster.connect(database, Cluster.CORE_APP_NAME); Statement st = c.createStatement()) {
            if (timescale) {
                st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            }
            st.execute("CREATE EXTENSION IF NOT EXISTS tmidb CASCADE");
            st.execute("ALTER EXTENSION tmidb UPDATE");
            st.execute("SELECT tmi.maintain_partitions()");
        }
    }

    /**
     * Creates or updates the gateway's login role, as PostgREST's authenticator: {@code NOINHERIT},
     * so it can do nothing but become one of tmiDB's roles ({@code SET ROLE}) for a request, and
     * a claim naming any other role fails. Needs the extension created (it makes those roles).
     */
    public static void prepareAuthenticator(Cluster cluster, String database, String password) throws SQLException {
        try (Connection c = cluster.connect(database, Cluster.CORE_APP_NAME); Statement st = c.createStatement()) {
            st.execute("SET log_statement = 'none'"); // the next statements carry the password
            st.execute("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" + AUTHENTICATOR + "')"
                    + " THEN CREATE ROLE " + AUTHENTICATOR + "; END IF; END$$");
            st.execute("ALTER ROLE " + AUTHENTICATOR + " WITH LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD "
                    + quoteLiteral(password));
            st.execute("GRANT tmi_admin, tmi_speaker, tmi_listener, tmi_anon TO " + AUTHENTICATOR);
        }
    }

    /**
     * Creates or updates tmidb-worker's login role with {@code password}: no superuser, it holds
     * what the extension's {@code tmi_worker} holds and nothing more. Needs the extension created
     * (it makes tmi_worker).
     */
    public static void prepareWorker(Cluster cluster, String database, String password) throws SQLException {
        try (Connection c = cluster.connect(database, Cluster.CORE_APP_NAME); Statement st = c.createStatement()) {
            st.execute("SET log_statement = 'none'"); // the next statements carry the password
            st.execute("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" + WORKER + "')"
                    + " THEN CREATE ROLE " + WORKER + "; END IF; END$$");
            st.execute("ALTER ROLE " + WORKER + " WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                    + " NOBYPASSRLS PASSWORD " + quoteLiteral(password));
            st.execute("GRANT tmi_worker TO " + WORKER);
        }
    }

    /**
     * Makes this node a primary a replica can stream from: the login {@value Cluster#REPLICATOR}
     * ({@code LOGIN REPLICATION}, no other privilege: it reads WAL and base backups, never a
     * table through SQL) with {@code password}, and the physical replication {@code slot} when
     * missing, which keeps the WAL its replica has not received yet. Answers whether the slot is new.
     */
    public static boolean prepareReplicator(Cluster cluster, String password, String slot) throws SQLException {
        Cluster.requireSlotName(slot);
        try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME); Statement st = c.createStatement()) {
            st.execute("SET log_statement = 'none'"); // the next statements carry the password
            st.execute("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" + Cluster.REPLICATOR + "')"
                    + " THEN CREATE ROLE " + Cluster.REPLICATOR + "; END IF; END$$");
            st.execute("ALTER ROLE " + Cluster.REPLICATOR + " WITH LOGIN REPLICATION NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE"
                    + " NOBYPASSRLS PASSWORD " + quoteLiteral(password));
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?) FROM"
                    + " (SELECT 1) one WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
                ps.setString(1, slot);
                ps.setString(2, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        }
    }

    /** Writes the ready banner into the server log. */
    public static void logBanner(Cluster cluster, String database) throws SQLException {
        try (Connection c = cluster.connect(database, Cluster.CORE_APP_NAME); Statement st = c.createStatement()) {
            st.execute("DO $$BEGIN RAISE LOG '" + BANNER + "'; END$$");
        }
    }

    /** {@code name} as an SQL identifier, quoted by pgjdbc (a NUL character is refused). */
    public static String quoteIdentifier(String name) throws SQLException {
        return Utils.escapeIdentifier(null, name).toString();
    }

    /** {@code text} as an SQL string literal (standard_conforming_strings is on), quoted by pgjdbc. */
    private static String quoteLiteral(String text) throws SQLException {
        return "'" + Utils.escapeLiteral(null, text, true) + "'";
    }
}
