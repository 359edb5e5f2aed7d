// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.Connection;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * One connection to NATS that publishes events to the relay's JetStream stream, with
 * {@code Nats-Msg-Id} = event id so that the stream drops an event it already holds.
 * <p>
 * The connection never reconnects by itself: publishes queued while a connection is down would
 * reach the server after the reconnect, possibly after the loss of earlier ones, and the stream
 * would hold events out of order. A lost connection ends this publisher instead; the relay opens
 * a new one, to any server of {@code nats-url}, and publishes again from its cursor, in order.
 * <p>
 * Each publish also names the message it must follow: the first after connecting, the stream's
 * last sequence then ({@code Nats-Expected-Last-Sequence}); each next one, the event published
 * before it ({@code Nats-Expected-Last-Msg-Id}). On a NATS cluster the stream's leader can change
 * while publishes are in flight: those sent to a leader that died are lost, and without these
 * headers the ones sent after a new leader was elected would be stored behind a gap. With them the
 * stream stores an event only right after its predecessor, refuses the others, and the relay
 * starts again from the stream's tail: the stream holds every event once, in order.
 */
final class JetStreamPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JetStreamPublisher.class.getName());
    /** Room left in a message for the subject and headers. */
    private static final int HEADROOM = 1024;
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int STREAM_NAME_IN_USE = 10058;
    private static final int NO_MESSAGE_FOUND = 10037;

    private final Connection connection;
    private final JetStream jetStream;
    private final String stream;
    /** The stream's last sequence when this connection was opened: what the first publish follows. */
    private final long lastSequence;
    /** The message id of the event published last on this connection; null before the first. */
    private String lastPublished;

    private JetStreamPublisher(Connection connection, String stream, long lastSequence) throws IOException {
        this.connection = connection;
        this.jetStream = connection.jetStream();
        this.stream = stream;
        this.lastSequence = lastSequence;
    }

    /** Connects and creates the stream when it is missing. */
    static JetStreamPublisher connect(RelayConfig config) throws RelayException, InterruptedException {
        Options options = new Options.Builder().server(config.natsUrl()).connectionName("tmidb-relay")
                .noReconnect().connectionTimeout(Duration.ofSeconds(2)).errorListener(new QuietErrors()).build();
        Connection nc = null;
        try {
            nc = Nats.connect(options);
            StreamInfo info = ensureStream(nc.jetStreamManagement(), config);
            return new JetStreamPublisher(nc, config.stream(), info.getStreamState().getLastSequence());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            if (nc != null) {
                nc.close();
            }
            throw new RelayException("cannot use NATS at " + config.shownUrl() + ": " + e.getMessage(), e);
        }
    }

    /** The stream's information, after creating it when missing. */
    private static StreamInfo ensureStream(JetStreamManagement jsm, RelayConfig config) throws IOException, JetStreamApiException {
        try {
            StreamInfo info = jsm.getStreamInfo(config.stream());
            int replicas = info.getConfiguration().getReplicas();
            if (replicas != config.replicas()) {
                // the operator's stream is left as it is: scaling moves its data between servers, and may lower its safety
                LOG.warning(() -> "relay: stream " + config.stream() + " has " + replicas + " replica(s), not the "
                        + config.replicas() + " that relay-stream-replicas asks for; the relay only sets replicas on a stream it"
                        + " creates. Change the stream with: nats stream edit " + config.stream() + " --replicas "
                        + config.replicas() + " (or set relay-stream-replicas to " + replicas + ").");
            }
            return info;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
            try {
                StreamInfo info = jsm.addStream(StreamConfiguration.builder().name(config.stream()).subjects("tmi.>")
                        .storageType(StorageType.File).replicas(config.replicas()).duplicateWindow(config.duplicateWindow())
                        .build());
                LOG.info(() -> "relay: created JetStream stream " + config.stream() + " (subjects tmi.>, " + config.replicas()
                        + " replica(s), duplicate window " + config.duplicateWindow() + ")");
                return info;
            } catch (JetStreamApiException raced) {
                if (raced.getApiErrorCode() != STREAM_NAME_IN_USE) {
                    throw raced;
                }
                return jsm.getStreamInfo(config.stream());
            }
        }
    }

    /** The event id of the stream's last message and its sequence in the stream; 0 and 0 for none. */
    record StoredTail(long eventId, long sequence) {
        static final StoredTail NONE = new StoredTail(0, 0);
    }

    /**
     * The stream's last message: its event id (0 when the stream is empty or its last message is
     * not a relayed event) and sequence. The stream stores one connection's publishes in order, so every
     * event up to this id is stored even when its acknowledgement was lost.
     */
    StoredTail lastStored() throws RelayException {
        try {
            JetStreamManagement jsm = connection.jetStreamManagement();
            long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
            if (last == 0) {
                return StoredTail.NONE;
            }
            MessageInfo m = jsm.getMessage(stream, last);
            String id = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Msg-Id");
            return id != null && id.matches("[0-9]{1,18}") ? new StoredTail(Long.parseLong(id), last) : StoredTail.NONE;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                return StoredTail.NONE;
            }
            throw new RelayException("cannot read the tail of stream " + stream + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new RelayException("cannot read the tail of stream " + stream + ": " + e.getMessage(), e);
        }
    }

    /**
     * Publishes one event right after the one published before it (or after the stream's last
     * message at connect); the future completes with the stream's acknowledgement, or fails when the
     * stream's last message is another one. An event the stream holds already is acknowledged as a
     * duplicate and stores nothing. An event too large for the server is replaced by a notice
     * carrying its id, so the stream stays gap-free and a consumer can read the event with
     * {@code tmi.events_since(id - 1, 1)}.
     */
    CompletableFuture<PublishAck> publish(RelayEvent event) {
        byte[] body = body(event);
        if (body != event.body()) {
            LOG.warning(() -> "relay: event " + event.eventId() + " has " + event.body().length + " bytes, more than the "
                    + maxBody() + " NATS accepts; published a notice without its payload instead. Read it with"
                    + " tmi.events_since(" + (event.eventId() - 1) + ", 1), or raise max_payload in nats-server's configuration.");
        }
        String id = Long.toString(event.eventId());
        PublishOptions.Builder options = PublishOptions.builder().messageId(id).expectedStream(stream);
        if (lastPublished == null) {
            options.expectedLastSequence(lastSequence);
        } else {
            options.expectedLastMsgId(lastPublished);
        }
        lastPublished = id;
        try {
            return jetStream.publishAsync(event.subject(), body, options.build());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The body {@link #publish} sends for {@code event}: the event, or the notice in place of one too large. */
    private byte[] body(RelayEvent event) {
        if (event.body().length <= maxBody()) {
            return event.body();
        }
        return ("{\"event_id\": " + event.eventId() + ", \"payload_omitted\": true, \"bytes\": " + event.body().length + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private long maxBody() {
        return connection.getMaxPayload() - HEADROOM;
    }

    /**
     * Compares the stream's message {@code sequence} with what {@link #publish} sends for
     * {@code event}: empty when it is that message, else what the stream holds instead (its subject
     * and size). A message the stream no longer has (removed by its limits) cannot be compared and
     * counts as the event's.
     */
    Optional<String> differs(RelayEvent event, long sequence) throws RelayException {
        MessageInfo m;
        try {
            m = connection.jetStreamManagement().getMessage(stream, sequence);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                LOG.info(() -> "relay: message " + sequence + " of stream " + stream + ", held for event " + event.eventId()
                        + ", is gone (the stream's limits); it cannot be compared with the event");
                return Optional.empty();
            }
            throw new RelayException("cannot read message " + sequence + " of stream " + stream + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new RelayException("cannot read message " + sequence + " of stream " + stream + ": " + e.getMessage(), e);
        }
        byte[] data = m.getData() == null ? new byte[0] : m.getData();
        if (event.subject().equals(m.getSubject()) && Arrays.equals(body(event), data)) {
            return Optional.empty();
        }
        return Optional.of("message " + sequence + " on " + m.getSubject() + " (" + data.length + " bytes)");
    }

    boolean connected() {
        return connection.getStatus() == Connection.Status.CONNECTED;
    }

    @Override
    public void close() throws InterruptedException {
        connection.close();
    }

    /** The relay reports NATS trouble itself, once per outage; the client's own reports are detail. */
    private static final class QuietErrors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            LOG.fine(() -> "NATS error: " + error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.fine(() -> "NATS exception: " + exp);
        }

        @Override
        public void slowConsumerDetected(Connection conn, Consumer consumer) {
            LOG.fine("NATS slow consumer");
        }
    }
}
