// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 standing in for the web: routes answer as a test sets them
 * (feeds, errors, slow or oversize bodies, redirects), and every request is recorded.
 */
final class FeedServer implements AutoCloseable {
    /** Answers one request. */
    @FunctionalInterface
    interface Route {
        void answer(HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** A request as received: its path and headers (names in lower case). */
    record Request(String path, Map<String, String> headers) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final List<Request> requests = new ArrayList<>();

    FeedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int port() {
        return server.getAddress().getPort();
    }

    void route(String path, Route route) {
        routes.put(path, route);
    }

    List<Request> requests(String path) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.path().equals(path)).toList();
        }
    }

    static Route ok(String contentType, String body) {
        return ex -> send(ex, 200, contentType, body);
    }

    static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) {
            ex.getResponseHeaders().set("Content-Type", contentType);
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private void dispatch(HttpExchange ex) throws IOException {
        Map<String, String> headers = new ConcurrentHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(", ", v)));
        synchronized (requests) {
            requests.add(new Request(ex.getRequestURI().getPath(), headers));
        }
        Route route = routes.get(ex.getRequestURI().getPath());
        try {
            if (route == null) {
                send(ex, 404, "text/plain", "no such feed");
            } else {
                route.answer(ex);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client gave up (timeout, size cap): that is what those tests provoke
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
