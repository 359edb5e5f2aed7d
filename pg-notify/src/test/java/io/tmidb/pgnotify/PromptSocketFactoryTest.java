// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PromptSocketFactoryTest {

    @Test
    void aPeekWithNothingBufferedTimesOutAndLaterDataIsStillRead() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new PromptSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket peer = server.accept()) {
            InputStream in = client.getInputStream();
            client.setSoTimeout(PromptSocketFactory.PEEK_TIMEOUT_MILLIS);
            assertThrows(SocketTimeoutException.class, in::read);

            OutputStream out = peer.getOutputStream();
            out.write(new byte[] {1, 2, 3});
            out.flush();
            awaitBuffered(in, 3);
            byte[] got = new byte[3];
            assertEquals(3, in.read(got, 0, 3), "buffered bytes are read under the peek timeout");
            assertArrayEquals(new byte[] {1, 2, 3}, got);
        }
    }

    @Test
    void readsWithoutThePeekTimeoutWaitForData() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new PromptSocketFactory().createSocket("127.0.0.1", server.getLocalPort());
             Socket peer = server.accept()) {
            client.setSoTimeout(0);
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.getInputStream().read();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(100);
            peer.getOutputStream().write(42);
            assertEquals(42, read.get(10, TimeUnit.SECONDS), "a blocking read waits for the byte");

            client.setSoTimeout(50);
            assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read(),
                    "other timeouts still wait and expire as usual");
        }
    }

    private static void awaitBuffered(InputStream in, int bytes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (in.available() < bytes) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the peer's bytes never arrived");
            }
            Thread.sleep(1);
        }
    }
}
