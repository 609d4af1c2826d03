package dev.veil.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of a real redis-server that closes its first {@code drops}
 * connections as soon as the client has sent its first bytes (as a server that hangs up during the
 * handshake does) and forwards every later connection byte for byte.
 *
 * <p>{@link #hangingUpAt} makes one that instead forwards its first connections until the client
 * sends a chunk containing a given text (a command after the handshake), then closes them without
 * forwarding that chunk: a connection that closes right after its handshake succeeded.
 */
final class DroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final int drops;
    private final AtomicInteger accepted = new AtomicInteger();
    /** When not null: the first {@code drops} connections are forwarded until the client sends this. */
    private final byte[] hangUpAt;

    DroppingProxy(int targetPort, int drops) throws IOException {
        this(targetPort, drops, null);
    }

    /**
     * A proxy whose first {@code hangUps} connections are closed, unforwarded, at the first chunk
     * the client sends that contains {@code text} (Lettuce writes a command in one chunk).
     */
    static DroppingProxy hangingUpAt(int targetPort, String text, int hangUps) throws IOException {
        return new DroppingProxy(targetPort, hangUps, text.getBytes(StandardCharsets.US_ASCII));
    }

    private DroppingProxy(int targetPort, int drops, byte[] hangUpAt) throws IOException {
        this.hangUpAt = hangUpAt;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = targetPort;
        this.drops = drops;
        Thread t = new Thread(this::acceptLoop, "dropping-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far, dropped ones included. */
    int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            int n = accepted.incrementAndGet();
            if (n <= drops && hangUpAt == null) {
                try (client) {
                    client.getInputStream().read(new byte[256]);
                } catch (IOException ignored) {
                    // the client may hang up first; either way this connection ends here
                }
                continue;
            }
            try {
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                if (n <= drops) {
                    pipeUntil(client, upstream, hangUpAt);
                } else {
                    pipe(client, upstream);
                }
                pipe(upstream, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private static void pipe(Socket from, Socket to) {
        pipeUntil(from, to, null);
    }

    /**
     * Forwards {@code from} to {@code to} until a chunk contains {@code text} (never when it is
     * {@code null}) or one side closes; then closes both.
     */
    private static void pipeUntil(Socket from, Socket to, byte[] text) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                byte[] buf = new byte[65_536];
                for (int r; (r = in.read(buf)) >= 0; ) {
                    if (text != null && contains(buf, r, text)) {
                        return;
                    }
                    out.write(buf, 0, r);
                    out.flush();
                }
            } catch (IOException ignored) {
                // one side closed; close the other below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "dropping-proxy-pipe");
        t.setDaemon(true);
        t.start();
    }

    private static boolean contains(byte[] buf, int length, byte[] text) {
        outer:
        for (int i = 0; i + text.length <= length; i++) {
            for (int j = 0; j < text.length; j++) {
                if (buf[i + j] != text[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
