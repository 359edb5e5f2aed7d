// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 client on one kept-alive connection, for load generation: it costs far less
 * CPU than java.net.http, which matters when the load generator shares two cores with the server
 * and the database. It understands only what the gateway sends: a status line, headers, and a
 * body of a Content-Length or in chunks.
 */
final class KeepAliveClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String host;
    private final byte[] buffer = new byte[64 * 1024];

    KeepAliveClient(String host, int port) throws IOException {
        this.socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        this.out = socket.getOutputStream();
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.host = host + ":" + port;
    }

    /** Sends {@code GET target} with the header and returns the status; the body is read and dropped. */
    int get(String target, String headerLine) throws IOException {
        return send("GET", target, headerLine, null);
    }

    /** Sends a JSON {@code body} to {@code target} with the header lines; returns the status, dropping the answer's body. */
    int post(String target, String headerLines, String body) throws IOException {
        return send("POST", target, headerLines + "\r\nContent-Type: application/json", body);
    }

    private int send(String method, String target, String headerLines, String body) throws IOException {
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        out.write((method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + headerLines
                + (body == null ? "" : "\r\nContent-Length: " + content.length) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(content);
        out.flush();
        String status = line();
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Long.parseLong(h.substring(15).trim());
            } else if (h.regionMatches(true, 0, "Transfer-Encoding:", 0, 18) && h.toLowerCase().contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            // larger bodies come in chunks: a hex size line, the data, CRLF; a size of 0 ends them
            for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                 size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                skip(size);
                line();
            }
            line();
        } else if (length >= 0) {
            skip(length);
        } else if (code != 204) {
            throw new IOException("response without Content-Length");
        }
        return code;
    }

    private void skip(long length) throws IOException {
        while (length > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, length));
            if (n < 0) {
                throw new IOException("connection closed mid-body");
            }
            length -= n;
        }
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
