// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import javax.net.SocketFactory;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * Plain TCP sockets whose reads under pgjdbc's 1 ms "is more pending?" timeout fail at once when
 * nothing is buffered, instead of sleeping out the millisecond (see {@link PromptNotifications}).
 * pgjdbc instantiates it by name through its {@code socketFactory} connection property.
 */
public final class PromptSocketFactory extends SocketFactory {
    /** The read timeout, in milliseconds, that pgjdbc sets only to peek for pending messages. */
    static final int PEEK_TIMEOUT_MILLIS = 1;

    @Override
    public Socket createSocket() {
        return new PromptSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private static Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket s = new PromptSocket();
        try {
            if (local != null) {
                s.bind(local);
            }
            s.connect(remote);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** A socket that keeps its read timeout at hand, for a check on every read without a lock. */
    static final class PromptSocket extends Socket {
        private volatile int readTimeout;
        private InputStream in;

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            super.setSoTimeout(timeout);
            readTimeout = timeout;
        }

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            InputStream socketInput = super.getInputStream(); // fails as usual when closed or not connected
            if (in == null) {
                in = new PeekAwareInput(socketInput);
            }
            return in;
        }

        private final class PeekAwareInput extends FilterInputStream {
            PeekAwareInput(InputStream socketInput) {
                super(socketInput);
            }

            @Override
            public int read() throws IOException {
                failFastIfPeeking();
                return super.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                failFastIfPeeking();
                return super.read(b, off, len);
            }

            private void failFastIfPeeking() throws IOException {
                if (readTimeout == PEEK_TIMEOUT_MILLIS && super.available() == 0) {
                    throw new SocketTimeoutException("nothing buffered (answered without waiting the 1 ms peek)");
                }
            }
        }
    }
}
