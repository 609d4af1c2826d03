package dev.veil.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} process for a benchmark: started on a free loopback port without
 * persistence, stopped with {@code SHUTDOWN NOSAVE}. The binary is {@code -Dveil.redis.server} or
 * {@code redis-server} on the PATH (Debian package {@code redis-server}). The same recipe as
 * veil-redis's test fixture {@code RedisServer}, without JUnit.
 */
final class LocalRedis implements AutoCloseable {
    private final int port;
    private final Process process;

    LocalRedis() throws IOException {
        String binary = System.getProperty("veil.redis.server", "redis-server");
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        process = new ProcessBuilder(List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                if (command("PING").contains("PONG")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        process.destroyForcibly();
        throw new IOException("redis-server (" + binary + ") did not answer PING on port " + port
                + " within 10 s; install it (apt-get install -y redis-server) or pass -Dveil.redis.server=PATH");
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Sends one command on a fresh connection; returns the raw reply (RESP) as text. */
    String command(String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            do {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                reply.write(buf, 0, n);
            } while (in.available() > 0 || !complete(reply.toString(StandardCharsets.UTF_8)));
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /** Whether a simple or bulk reply is complete (enough for PING and INFO). */
    private static boolean complete(String r) {
        if (r.startsWith("$")) {
            int eol = r.indexOf("\r\n");
            return eol > 0 && r.length() >= eol + 2 + Integer.parseInt(r.substring(1, eol)) + 2;
        }
        return r.endsWith("\r\n");
    }

    /** Calls of one command since the server started ({@code INFO commandstats}), e.g. {@code evalsha}. */
    long calls(String command) throws IOException {
        String info = command("INFO", "commandstats");
        String key = "cmdstat_" + command + ":calls=";
        int i = info.indexOf(key);
        if (i < 0) {
            return 0;
        }
        int from = i + key.length();
        int to = from;
        while (to < info.length() && Character.isDigit(info.charAt(to))) {
            to++;
        }
        return Long.parseLong(info.substring(from, to));
    }

    @Override
    public void close() {
        try {
            command("SHUTDOWN", "NOSAVE");
        } catch (IOException expected) {
            // the server closes the connection as it exits
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static boolean available() {
        String configured = System.getProperty("veil.redis.server");
        if (configured != null) {
            return Files.isExecutable(Path.of(configured));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir.isEmpty() ? "." : dir, "redis-server"))) {
                return true;
            }
        }
        return false;
    }
}
