// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.javalin.Javalin;
import io.javalin.websocket.WsHandlerType;
import io.tmidb.files.FileException;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.StoreConfig;
import io.tmidb.gateway.internal.auth.JwtAuthenticator;
import io.tmidb.gateway.internal.auth.TokenRegistry;
import io.tmidb.gateway.internal.endpoint.ConsoleEndpoint;
import io.tmidb.gateway.internal.endpoint.Cors;
import io.tmidb.gateway.internal.endpoint.IngestEndpoint;
import io.tmidb.gateway.internal.endpoint.OpenApiEndpoint;
import io.tmidb.gateway.internal.endpoint.ReadYourWrites;
import io.tmidb.gateway.internal.endpoint.ResourceEndpoint;
import io.tmidb.gateway.internal.endpoint.RpcEndpoint;
import io.tmidb.gateway.internal.endpoint.Services;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.files.FileRules;
import io.tmidb.gateway.internal.files.FilesEndpoint;
import io.tmidb.gateway.internal.listener.ListenerEndpoint;
import io.tmidb.gateway.internal.query.Database;
import io.tmidb.gateway.internal.response.JettyErrors;
import io.tmidb.gateway.internal.response.Responses;
import io.tmidb.gateway.internal.schema.SchemaCache;
import io.tmidb.gateway.internal.schema.SchemaListener;
import io.tmidb.gateway.internal.ws.WsEndpoint;
import io.tmidb.settings.Setting;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running gateway: HTTP server, connection pool and schema cache. {@link #start} returns once it
 * accepts requests; {@link #close} stops it. Routes: {@code /} (OpenAPI), {@code /<relation>},
 * {@code /rpc/<function>}, the webhook {@code POST /ingest/<source>}, {@code /api/<listener>},
 * {@code /api/<listener>/<kind>/obs} (each also under
 * {@code /rest/v1}), files under {@code /files} (with an object store, docs/files.md), the
 * WebSocket event streams {@code /tmi/ws} and {@code /tmi/ws/<listener>} (docs/websocket.md), and the
 * browser console at {@code /console} (docs/console.md).
 */
public final class Gateway implements AutoCloseable {
    public static final String APP_NAME = "tmiDB-Gateway";
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());
    /**
     * Where the API is served: at the root, as PostgREST serves it, and under {@code /rest/v1},
     * where Supabase clients ({@code createClient(url, key)}) address it.
     */
    private static final List<String> PREFIXES = List.of("", "/rest/v1");
    private final Javalin http;
    private final Database db;
    private final ScheduledExecutorService refresher;
    private final SchemaListener listener;
    private final WsEndpoint ws;
    private final TokenRegistry tokens;
    private final ObjectStore store;

    private Gateway(Javalin http, Database db, ScheduledExecutorService refresher, SchemaListener listener, WsEndpoint ws,
                    TokenRegistry tokens, ObjectStore store) {
        this.store = store;
        this.ws = ws;
        this.tokens = tokens;
        this.http = http;
        this.db = db;
        this.refresher = refresher;
        this.listener = listener;
    }

    public static Gateway start(GatewaySettings settings) throws SQLException {
        List<String> readUrls = settings.getList(Setting.DB_READ_URLS);
        Database db = new Database(settings.get(Setting.DB_URL), readUrls, settings.get(Setting.DB_USER),
                settings.get(Setting.DB_PASSWORD), settings.getInt(Setting.POOL_SIZE), APP_NAME, settings.getDuration(Setting.DB_READ_WAIT));
        WsEndpoint ws = null;
        TokenRegistry tokens = new TokenRegistry(db::openAsAdmin);
        ObjectStore store = objectStore(settings);
        try {
            SchemaCache cache = new SchemaCache(db.dataSource());
            cache.reload();
            byte[] secret = secret(settings, db);
            JwtAuthenticator auth = new JwtAuthenticator(secret, settings.get(Setting.ANON_ROLE),
                    settings.get(Setting.ANON_LISTENER), settings.getList(Setting.JWT_ROLES), tokens);
            Services services = new Services(cache, db, auth, settings.getLong(Setting.MAX_BODY), new ReadYourWrites(!readUrls.isEmpty()));
            ResourceEndpoint resources = new ResourceEndpoint(services);
            RpcEndpoint rpc = new RpcEndpoint(services);
            IngestEndpoint ingest = new IngestEndpoint(services);
            ListenerEndpoint listeners = new ListenerEndpoint(services);
            OpenApiEndpoint openApi = new OpenApiEndpoint(services);
            FilesEndpoint files = new FilesEndpoint(services, store, new FileRules(settings.getLong(Setting.FILE_MAX_SIZE),
                    settings.getList(Setting.FILE_CONTENT_TYPES), settings.getDuration(Setting.FILE_UPLOAD_EXPIRY),
                    settings.getDuration(Setting.FILE_DOWNLOAD_EXPIRY)));
            ws = WsEndpoint.start(db::openAsAdmin, auth, tokens, settings.getInt(Setting.WS_QUEUE),
                    settings.getDuration(Setting.WS_HEARTBEAT), settings.getDuration(Setting.WS_SWEEP),
                    settings.getDuration(Setting.WS_SCOPE_REFRESH));
            WsEndpoint events = ws;
            Javalin http = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.jetty.host = settings.get(Setting.GATEWAY_HOST);
                cfg.jetty.port = settings.getInt(Setting.GATEWAY_PORT);
                cfg.jetty.modifyServer(server -> server.setErrorHandler(new JettyErrors()));
                cfg.jetty.threadPool = requestThreads();
                Cors.configure(cfg, settings.getList(Setting.CORS_ORIGINS));
                cfg.routes.addWsHandler(WsHandlerType.WEBSOCKET, "/tmi/ws", events::configure);
                cfg.routes.addWsHandler(WsHandlerType.WEBSOCKET, "/tmi/ws/{listener}", events::configure);
                // before /{relation}, which would take /files for a resource
                cfg.routes.post("/files", files::begin);
                cfg.routes.post("/files/stream", files::stream);
                cfg.routes.post("/files/uploads/{upload}", files::complete);
                cfg.routes.delete("/files/uploads/{upload}", files::cancel);
                cfg.routes.get("/files/{file}", files::download);
                cfg.routes.delete("/files/{file}", files::delete);
                new ConsoleEndpoint().register(cfg);
                for (String prefix : PREFIXES) {
                    cfg.routes.get(prefix.isEmpty() ? "/" : prefix, openApi::handle);
                    cfg.routes.get(prefix + "/rpc/{function}", rpc::handle);
                    cfg.routes.head(prefix + "/rpc/{function}", rpc::handle);
                    cfg.routes.post(prefix + "/rpc/{function}", rpc::handle);
                    cfg.routes.post(prefix + "/ingest/{source}", ingest::handle);
                    // the webhook with an empty source, which the database refuses with its own error; Javalin
                    // routes "/ingest" here too (trailing slashes are ignored), and that stays a resource's path
                    cfg.routes.post(prefix + "/ingest/", ctx -> {
                        if (ctx.path().endsWith("/")) {
                            ingest.handle(ctx);
                        } else {
                            resources.handle(ctx, "ingest");
                        }
                    });
                    cfg.routes.get(prefix + "/api/{listener}", listeners::targets);
                    cfg.routes.head(prefix + "/api/{listener}", listeners::targets);
                    cfg.routes.get(prefix + "/api/{listener}/{kind}/obs", listeners::observations);
                    cfg.routes.head(prefix + "/api/{listener}/{kind}/obs", listeners::observations);
                    cfg.routes.get(prefix + "/{relation}", resources::handle);
                    cfg.routes.head(prefix + "/{relation}", resources::handle);
                    cfg.routes.post(prefix + "/{relation}", resources::handle);
                    cfg.routes.put(prefix + "/{relation}", resources::handle);
                    cfg.routes.patch(prefix + "/{relation}", resources::handle);
                    cfg.routes.delete(prefix + "/{relation}", resources::handle);
                }
                cfg.routes.exception(ApiException.class, (e, ctx) -> Responses.error(ctx, e));
                cfg.routes.exception(Exception.class, (e, ctx) -> {
                    LOG.log(Level.SEVERE, "unexpected error on " + ctx.method() + " " + ctx.path(), e);
                    Responses.error(ctx, new ApiException(500, "PGRST000", "internal error", e.getClass().getName(), null));
                });
                cfg.routes.error(404, ctx -> {
                    if (!Responses.answered(ctx)) {
                        Responses.error(ctx, new ApiException(404, "PGRST125", "Invalid path specified in request URL: " + ctx.path(),
                                null, "Paths are /, /<resource>, /rpc/<function>, /ingest/<source> (POST), /api/<listener>, /api/<listener>/<kind>/obs,"
                                        + " each also under /rest/v1."));
                    }
                });
            }).start();
            ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tmidb-gateway-schema");
                t.setDaemon(true);
                return t;
            });
            long every = settings.getDuration(Setting.SCHEMA_REFRESH).toMillis();
            refresher.scheduleWithFixedDelay(cache::reloadIfStale, every, every, TimeUnit.MILLISECONDS);
            LOG.info(() -> "tmiDB gateway listening on " + settings.get(Setting.GATEWAY_HOST) + ":" + http.port()
                    + ", API versions " + cache.get().versions()
                    + (readUrls.isEmpty() ? "" : ", reads on " + Setting.DB_READ_URLS.shown(String.join(",", readUrls))));
            return new Gateway(http, db, refresher, new SchemaListener(db::openDedicated, cache), ws, tokens, store);
        } catch (RuntimeException | SQLException e) {
            if (ws != null) {
                ws.close();
            }
            if (store != null) {
                store.close();
            }
            tokens.close();
            db.close();
            throw e;
        }
    }

    /**
     * Javalin's default pool (250 threads at most, 8 kept, a minute idle) without Jetty's reserved
     * threads, which let a selector run a request itself while a reserved thread takes over the
     * selecting. Every request here blocks on the database. Chosen by measurement: 20 clients reading
     * one row each (an observation's latest reading) got 1.03–1.40 times the requests per second of
     * the default pool in four interleaved rounds on a shared machine, the most when it was busiest
     * (docs/BENCHMARKS.md).
     */
    private static QueuedThreadPool requestThreads() {
        QueuedThreadPool pool = new QueuedThreadPool(250, 8, 60_000, 0, null, null);
        pool.setName("tmidb-gateway-http");
        return pool;
    }

    /** The port the HTTP server listens on. */
    public int port() {
        return http.port();
    }

    @Override
    public void close() {
        listener.close();
        refresher.shutdownNow();
        ws.close();
        tokens.close();
        http.stop();
        if (store != null) {
            store.close();
        }
        db.close();
    }

    /**
     * The object store of files, or null without {@code s3-endpoint}. A store that cannot be reached
     * now does not stop the gateway: file requests answer 503 until it can, and tmi.status() says so.
     */
    private static ObjectStore objectStore(GatewaySettings settings) {
        Optional<StoreConfig> config = StoreConfig.of(settings);
        if (config.isEmpty()) {
            LOG.info("no s3-endpoint: files are off");
            return null;
        }
        ObjectStore store = new ObjectStore(config.get());
        try {
            store.ensureBucket();
            LOG.info(() -> "files in " + store.config());
        } catch (FileException e) {
            LOG.warning(() -> "the object store is not reachable now (" + e.getMessage() + "); file requests answer 503 until it is");
        }
        return store;
    }

    private static byte[] secret(GatewaySettings settings, Database db) throws SQLException {
        String configured = settings.get(Setting.JWT_SECRET);
        if (!configured.isEmpty()) {
            return configured.getBytes(StandardCharsets.UTF_8);
        }
        try (Connection c = db.openAsAdmin(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
            rs.next();
            byte[] key = rs.getBytes(1);
            return key;
        }
    }
}
