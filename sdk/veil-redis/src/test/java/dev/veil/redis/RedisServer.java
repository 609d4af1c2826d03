package dev.veil.redis;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} for one test class: started on a free loopback port without
 * persistence before the class's tests, stopped ({@code SHUTDOWN NOSAVE}, then the process is
 * destroyed) after them. Register it with
 * {@code @RegisterExtension static final RedisServer REDIS = new RedisServer();}.
 *
 * <p>When there is no {@code redis-server} binary (Debian package {@code redis-server}; another
 * path can be given with {@code -Dveil.redis.server=/path/to/redis-server}) the class's tests are
 * skipped with a message that says so.
 *
 * <p>{@link #kill()} and {@link #restart()} let a test take the server away mid-run and bring it
 * back on the same port (empty, as after a crash without persistence). A server made with
 * {@link #persistingIn} keeps its data files in a directory instead (an RDB snapshot only when a
 * test sends {@code SAVE}, and with {@code aof} an append-only file written at every command), so
 * that {@link #kill()} and {@link #start()} bring back what it had saved. {@link #command} talks
 * RESP over a plain socket, independent of the client under test.
 */
public final class RedisServer implements BeforeAllCallback, AfterAllCallback {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private Path binary;
    private int port;
    private Process process;
    private Path dir;
    private boolean aof;
    /** With TLS: where {@link #beforeAll} writes the certificates ({@link #tlsFile}); else null. */
    private Path tlsDir;
    private int tlsPort;

    /** A server without persistence. */
    public RedisServer() {}

    /**
     * A server that also listens with TLS on {@link #tlsUrl()}, asking clients for a certificate
     * ({@code tls-auth-clients yes}, Redis's default). Before it starts, {@code openssl} (Debian's
     * package {@code openssl}; the class's tests are skipped without it) writes into a new temporary
     * directory a CA ({@code ca.crt}), the server's certificate for 127.0.0.1, a client certificate
     * the CA issued ({@code client.crt}, {@code client.key}), and one another CA issued for the same
     * key ({@code stranger.crt}); EC P-256 keys, unencrypted PKCS#8, valid for two days.
     */
    public static RedisServer withTls() {
        RedisServer r = new RedisServer();
        r.tlsDir = Path.of("");
        return r;
    }

    /** The TLS URL, {@code rediss://127.0.0.1:<tls port>}. */
    public String tlsUrl() {
        return "rediss://127.0.0.1:" + tlsPort;
    }

    /** A file {@link #withTls} wrote: {@code ca.crt}, {@code client.crt}, {@code client.key}, {@code stranger.crt}. */
    public Path tlsFile(String name) {
        return tlsDir.resolve(name);
    }

    private void writeCertificates() throws IOException, InterruptedException {
        Path openssl = null;
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, "openssl");
            if (Files.isExecutable(p)) {
                openssl = p;
                break;
            }
        }
        Assumptions.assumeTrue(openssl != null, "openssl not found: install the Debian package openssl (apt-get "
                + "install -y openssl), which writes the test certificates; the TLS tests are skipped");
        tlsDir = Files.createTempDirectory("veil-redis-tls");
        String ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        String script = String.join("\n", "set -e", "o=" + openssl,
                "$o req -x509 -new " + ec + " -keyout ca.key -out ca.crt -days 2 -subj /CN=veil-test-ca",
                "$o req -x509 -new " + ec + " -keyout other-ca.key -out other-ca.crt -days 2 -subj /CN=other-ca",
                "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext",
                "$o req -new " + ec + " -keyout server.key -out server.csr -subj /CN=127.0.0.1",
                "$o x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
                        + "-extfile san.ext",
                "$o req -new " + ec + " -keyout client.key -out client.csr -subj /CN=veil-client",
                "$o x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2",
                "$o x509 -req -in client.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -out stranger.crt "
                        + "-days 2", "");
        Process p = new ProcessBuilder("sh", "-c", script).directory(tlsDir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("openssl could not write the test certificates: " + out);
        }
    }

    /**
     * A server whose data files are kept in {@code dir} (created by the caller, deleted by it too):
     * its RDB snapshot ({@code dump.rdb}, written on {@code SAVE} only) and, with {@code aof}, its
     * append-only file ({@code appendfsync always}).
     */
    public static RedisServer persistingIn(Path dir, boolean aof) {
        RedisServer r = new RedisServer();
        r.dir = dir;
        r.aof = aof;
        return r;
    }

    /** The redis-server binary, or null when absent. */
    static Path findBinary() {
        String configured = System.getProperty("veil.redis.server");
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            return Files.isExecutable(p) ? p : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/local/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Path debian = Path.of("/usr/bin/redis-server");
        return Files.isExecutable(debian) ? debian : null;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        binary = findBinary();
        Assumptions.assumeTrue(binary != null, "redis-server not found: install the Debian package redis-server "
                + "(apt-get install -y redis-server) or pass -Dveil.redis.server=/path/to/redis-server; the Redis "
                + "tests are skipped");
        if (tlsDir != null) {
            writeCertificates();
        }
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            port = freePort();
            tlsPort = tlsDir == null ? 0 : freePort();
            try {
                start();
                return;
            } catch (IOException e) {
                last = e;
                destroy();
            }
        }
        throw last;
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        stop();
        if (tlsDir != null && !tlsDir.toString().isEmpty()) {
            try (java.util.stream.Stream<Path> files = Files.list(tlsDir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(tlsDir);
        }
    }

    /** The server's URL, {@code redis://127.0.0.1:<port>}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Starts the server on {@link #port()} and waits until it answers PING. */
    public void start() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", aof ? "yes" : "no"));
        if (dir != null) {
            cmd.addAll(List.of("--dir", dir.toString(), "--dbfilename", "dump.rdb", "--appendfsync", "always"));
        }
        if (tlsDir != null) {
            // also ::1 where the host has it ("-": optional), so that a test's localhost reaches the
            // server whichever address the resolver gives first
            cmd.set(cmd.indexOf("--bind") + 1, "127.0.0.1 -::1");
            cmd.addAll(List.of("--tls-port", Integer.toString(tlsPort), "--tls-cert-file",
                    tlsFile("server.crt").toString(), "--tls-key-file", tlsFile("server.key").toString(),
                    "--tls-ca-cert-file", tlsFile("ca.crt").toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        process = pb.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with " + process.exitValue() + " on port " + port);
            }
            try {
                if ("PONG".equals(command("PING"))) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            sleep(5);
        }
        throw new IOException("redis-server did not answer PING on port " + port + " within " + START_TIMEOUT);
    }

    /** Whether the server's process is alive (a test that failed after {@link #kill()} leaves it dead). */
    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Kills the server (SIGKILL): connections drop, nothing is saved. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor();
        }
    }

    /** Stops the server's process (SIGSTOP) without closing its connections: a stalled Redis. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Lets a {@link #pause paused} server run again (SIGCONT). */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** Starts a new, empty server on the same port. */
    public void restart() throws IOException {
        kill();
        start();
    }

    /** SHUTDOWN NOSAVE, then makes sure the process is gone. */
    public void stop() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            try {
                command("SHUTDOWN", "NOSAVE");
            } catch (IOException expected) {
                // the server closes the connection as it exits
            }
        }
        destroy();
    }

    private void destroy() {
        if (process != null) {
            process.destroy();
            waitFor();
            process = null;
        }
    }

    private void waitFor() {
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A Redis Sentinel process and its port; the caller destroys it ({@link #stop()} does not). */
    public record Sentinel(Process process, int port) {}

    /**
     * Starts a Redis Sentinel on a free port that monitors this server as master {@code master} and
     * waits until it answers PING.
     */
    public Sentinel startSentinel(Path dir, String master) throws IOException {
        int p = freePort();
        Path conf = dir.resolve("sentinel-" + p + ".conf");
        Files.writeString(conf, "port " + p + "\nbind 127.0.0.1\nsentinel monitor " + master + " 127.0.0.1 " + port
                + " 1\n");
        Process sentinel = new ProcessBuilder(binary.toString(), conf.toString(), "--sentinel").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 1000);
                s.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(2000);
                if (line(s.getInputStream()).equals("+PONG")) {
                    return new Sentinel(sentinel, p);
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            sleep(5);
        }
        sentinel.destroyForcibly();
        throw new IOException("redis-server --sentinel did not answer PING on port " + p + " within " + START_TIMEOUT);
    }

    /**
     * Deletes every key but the stores' state generations, counts of batches and marks
     * ({@code <namespace>gen}, {@code gen:count}, {@code gen:marks}): what the tests mean by an empty
     * Redis between cases, which the stores they keep must not take for a loss.
     */
    public void flushKeepingGenerations() throws IOException {
        command("EVAL", "for _, k in ipairs(redis.call('KEYS', '*')) do "
                + "if string.sub(k, -4) ~= ':gen' and string.sub(k, -10) ~= ':gen:count' "
                + "and string.sub(k, -10) ~= ':gen:marks' then redis.call('DEL', k) end end return 'OK'", "0");
    }

    /**
     * Sends one command over a fresh socket and returns the reply: a simple string, an error
     * ("-ERR ..."), an integer as a string, a bulk string, or for arrays the elements joined by
     * newlines.
     */
    public String command(String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
                b.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read(s.getInputStream());
        }
    }

    private static String read(InputStream in) throws IOException {
        String line = line(in);
        char type = line.charAt(0);
        String rest = line.substring(1);
        switch (type) {
            case '+', ':' -> {
                return rest;
            }
            case '-' -> {
                return line;
            }
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(n + 2);
                return new String(data, 0, n, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(read(in));
                }
                return String.join("\n", items);
            }
            default -> throw new IOException("unexpected reply " + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read();
                return b.toString();
            }
            b.append((char) c);
        }
        throw new IOException("connection closed");
    }

    /** Calls of one command since the last CONFIG RESETSTAT, from INFO commandstats (0 if none). */
    public long commandCalls(String name) throws IOException {
        String info = command("INFO", "commandstats");
        for (String l : info.split("\r?\n")) {
            if (l.startsWith("cmdstat_" + name + ":calls=")) {
                String v = l.substring(("cmdstat_" + name + ":calls=").length());
                return Long.parseLong(v.substring(0, v.indexOf(',')));
            }
        }
        return 0;
    }

    /** Every key matching a pattern (KEYS: fine for a test server). */
    public List<String> keys(String pattern) throws IOException {
        String r = command("KEYS", pattern);
        return r == null || r.isEmpty() ? List.of() : List.of(r.split("\n"));
    }

    /**
     * Watches what clients send, with MONITOR: every command a client sends is one line (commands
     * that a Lua script runs are marked {@code [0 lua]} and not counted as sent).
     */
    public Monitor monitor() throws IOException {
        return new Monitor(port);
    }

    /** A MONITOR connection collecting the commands clients send until {@link #stop}. */
    public static final class Monitor {
        private final Socket socket;
        private final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Thread reader;
        private final String marker = "veil-monitor-end-" + System.nanoTime();
        private final int port;

        Monitor(int port) throws IOException {
            this.port = port;
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16);
            String ok = line(in);
            if (!"+OK".equals(ok)) {
                throw new IOException("MONITOR answered " + ok);
            }
            reader = new Thread(() -> {
                try {
                    while (true) {
                        lines.add(line(in));
                    }
                } catch (IOException closed) {
                    // stop() closed the socket
                }
            }, "redis-monitor");
            reader.setDaemon(true);
            reader.start();
        }

        private boolean seen(String text) {
            synchronized (lines) {
                return lines.stream().anyMatch(l -> l.contains(text));
            }
        }

        /**
         * Waits until every command sent before this call was seen, stops watching, and returns the
         * commands clients sent (not those run inside scripts), as {@code "name arg1 ..."} lines with
         * the name in lower case.
         */
        public List<String> stop() throws IOException, InterruptedException {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write(("ECHO " + marker + "\r\n").getBytes(StandardCharsets.US_ASCII));
                line(s.getInputStream());
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline && !seen(marker)) {
                Thread.sleep(5);
            }
            socket.close();
            if (!seen(marker)) {
                throw new IOException("MONITOR did not show the end marker within 30 s; the count would be partial");
            }
            reader.join(1000);
            List<String> sent = new ArrayList<>();
            synchronized (lines) {
                for (String l : lines) {
                    if (l.contains(marker)) {
                        break;
                    }
                    if (!l.contains(" lua]")) {
                        String c = l.substring(l.indexOf(']') + 2).replace("\"", "");
                        int sp = c.indexOf(' ');
                        sent.add(sp < 0 ? c.toLowerCase(java.util.Locale.ROOT)
                                : c.substring(0, sp).toLowerCase(java.util.Locale.ROOT) + c.substring(sp));
                    }
                }
            }
            return sent;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
