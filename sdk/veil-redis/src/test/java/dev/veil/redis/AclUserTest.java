package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.redis.internal.RedisBatchClient;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A least-privilege Redis ACL user: the module README's {@code ACL SETUSER} line is exactly the
 * commands the store sends and its scripts run, a user made from that line runs a Guard with every
 * built-in detector (as the in-memory store answers it), and a user without any one of them fails
 * {@code build()} with a message naming it and the list (before, the README's list lacked GET, SET,
 * HGETALL and HDEL: build() failed with Redis's bare NOPERM and, with GET and SET added, every
 * batch of {@code smooth} was refused).
 */
class AclUserTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final String NAMESPACE = "veil:{fashion}:";

    @TempDir
    Path dir;

    /** The README's line, in tokens: {@code ACL SETUSER veil on >PASSWORD ~veil:{fashion}:* +evalsha ...}. */
    static List<String> readmeAclLine() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("README.md")).stream()
                .filter(l -> l.startsWith("ACL SETUSER veil ")).toList();
        assertThat(lines).as("the README's ACL line").hasSize(1);
        return List.of(lines.get(0).trim().split(" +"));
    }

    /** The commands of the README's line ({@code +x}), in ACL syntax. */
    static List<String> readmeCommands() throws Exception {
        return readmeAclLine().stream().filter(t -> t.startsWith("+")).map(t -> t.substring(1)).toList();
    }

    /** Creates the README's user (password {@code pw}) with {@code commands} instead of its own. */
    static String user(String name, List<String> commands) throws Exception {
        List<String> args = new ArrayList<>();
        for (String t : readmeAclLine()) {
            if (t.equals("veil")) {
                args.add(name);
            } else if (t.equals(">PASSWORD")) {
                args.add(">pw");
            } else if (!t.startsWith("+")) {
                args.add(t);
            }
        }
        commands.forEach(c -> args.add("+" + c));
        REDIS.command("ACL", "DELUSER", name);
        assertThat(REDIS.command(args.toArray(String[]::new))).isEqualTo("OK");
        return "redis://" + name + ":pw@127.0.0.1:" + REDIS.port();
    }

    @Test
    void theReadmeListsExactlyTheCommandsTheStoreNeeds() throws Exception {
        assertThat(readmeCommands()).containsExactlyElementsOf(RedisBatchClient.ACL_COMMANDS);
        assertThat(readmeAclLine()).contains("~" + NAMESPACE + "*");
    }

    /**
     * Every command the scripts run ({@code redis.call} in batch.lua and in the client's own
     * scripts) and the client sends (Lettuce's {@code commands.x(...)}) is in the list, and
     * build()'s check tries each one the batch script runs.
     */
    @Test
    void everyCommandTheScriptsRunOrTheClientSendsIsListedAndCheckedAtBuild() throws Exception {
        String lua = Files.readString(Path.of("src/main/resources/dev/veil/redis/internal/batch.lua"));
        String client = Files.readString(Path.of("src/main/java/dev/veil/redis/internal/RedisBatchClient.java"));
        // redis.call('X', ...) and redis.pcall('X', ...), and the generation script's {'X', KEYS[1], ...}
        Set<String> scripts = matches("(?:redis\\.p?call\\(\\s*|\\{)'([A-Z]+)', ?KEYS", lua + client);
        scripts.addAll(matches("redis\\.p?call\\(\\s*'([A-Z]+)'", lua + client));
        Set<String> sent = matches("commands\\.(?:<[^>]*>)?([a-zA-Z]+)\\(", client);
        Set<String> checked = matches("try\\('([a-z|]+)'", client);
        assertThat(sent).containsExactlyInAnyOrder("evalsha", "eval", "scriptload", "time", "info");
        Set<String> needed = new TreeSet<>(scripts);
        needed.addAll(List.of("evalsha", "eval", "script|load", "time")); // INFO is optional (a warning)
        assertThat(new TreeSet<>(RedisBatchClient.ACL_COMMANDS)).isEqualTo(needed);
        assertThat(checked).containsAll(matches("redis\\.call\\(\\s*'([A-Za-z]+)'", lua));
    }

    private static Set<String> matches(String regex, String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1).toLowerCase(java.util.Locale.ROOT));
        }
        return out;
    }

    /** Every built-in detector, a rate limit, a daily quota, a throttle, a block and a privacy budget. */
    static final String EVERYTHING = """
            veil: 1
            name: %s
            on_state_unavailable: deny
            authentication:
              api_keys: { file: keys.json }
            access:
              default: { effect: allow, daily_quota: 40 }
              rules:
                - { id: limited, when: { callers: [ratey] }, effect: allow,
                    rate_limit: { per_second: 0.001, burst: 4 } }
            validation:
              default: { shape: [16], range: { min: 0, max: 1 } }
            monitoring:
              detectors:
                rate: { window_seconds: 60, high: 12 }
                tenant_rate: { type: rate, scope: tenant, window_seconds: 60, high: 1000 }
                near_duplicate: { index: both }
                knn: { pool: 2, width: 4, k: 1, min_history: 1, low: 0.5, medium: 0.2, high: 0.1 }
                knn_global: { pool: 2, width: 4, cell_width: 0.1 }
                antithetic: { range: [0, 1], pool: 2, width: 4, min_changed: 2 }
                smooth: { width: 4, window_seconds: 5, min_queries: 2, floor: 10, low: 0.5, medium: 0.75, high: 1 }
                confidence_climb: {}
                class_focus: { window: 10, min_queries: 5, low: 0.5, medium: 0.7, high: 0.9 }
                boundary: { window: 4, min_queries: 3, margin: 0.2, low: 0.5, medium: 0.75, high: 1 }
                extraction: {}
                feature_sweep: { width: 0.5, low: 2, medium: 2, high: 2 }
                sweep_everyone: { type: feature_sweep, scope: global, width: 0.5, sweep: ["0", "6"], low: 2, medium: 2,
                                  high: 3 }
              rules:
                - { id: flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }
                - { id: swept, when: { signals: { feature_sweep: high }, callers: [alice] }, action: block,
                    cooldown_seconds: 600 }
                - { id: walk, when: { signals: { knn: high }, callers: [alice] }, action: throttle, cooldown_seconds: 600,
                    throttle_per_second: 0.01 }
            output:
              default: { form: top_k, top_k: 1 }
              rules:
                - id: noisy
                  when: { callers: [spender] }
                  release: { noise: { mechanism: laplace, epsilon: 0.4 } }
              privacy: { per_caller_epsilon: 1.0, on_exhausted: deny }
            """;

    /** Response codes of a fixed sequence of requests (seeded) through a Guard on {@code store}. */
    private List<String> run(GuardFixture fx, PolicyBundle bundle, StateStore store, MutableClock clock,
            String label) {
        Random random = new Random(7);
        List<String> codes = new ArrayList<>();
        double[] walk = new double[16];
        Arrays.fill(walk, 0.5);
        try (Guard<double[]> g = Guard.builder(GuardFixture.model()).policy(bundle)
                .audit(dev.veil.AuditLog.jsonLines(dir.resolve(label + ".jsonl"))).clock(clock).stateStore(store)
                .build()) {
            for (int i = 0; i < 60; i++) {
                clock.set(clock.millis() + 250);
                String caller = List.of("alice", "flooder", "flooder", "spender", "ratey", "bob").get(i % 6);
                double[] x = new double[16];
                switch (caller) {
                    case "alice" -> { // a slow walk: knn, near_duplicate, smooth
                        walk[i % 16] = Math.min(1, walk[i % 16] + 0.01);
                        x = walk.clone();
                    }
                    case "bob" -> { // antithetic pairs around the walk
                        for (int j = 0; j < 16; j++) {
                            x[j] = Math.max(0, Math.min(1, walk[j] + ((i / 6) % 2 == 0 ? 0.05 : -0.05)));
                        }
                    }
                    default -> {
                        for (int j = 0; j < 16; j++) {
                            x[j] = random.nextDouble();
                        }
                    }
                }
                dev.veil.Response r = g.predict(dev.veil.Request.of(dev.veil.Credentials.apiKey(fx.key(caller)), x));
                codes.add(caller + " " + code(r));
            }
        }
        return codes;
    }

    @Test
    void theReadmesUserRunsAGuardWithEveryDetectorAsTheInMemoryStoreDoes() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        PolicyBundle bundle = fx.bundleOf("everything", EVERYTHING.formatted("everything"));
        Set<String> types = new TreeSet<>();
        for (String line : EVERYTHING.split("\n")) {
            Matcher m = Pattern.compile("^    ([a-z_]+): \\{ *(?:type: ([a-z_]+))?").matcher(line);
            if (m.find()) {
                types.add(m.group(2) != null ? m.group(2) : m.group(1));
            }
        }
        // the built-in types, as a bundle naming an unknown one is told
        String unknown = EVERYTHING.formatted("unknown").replace("extraction: {}", "extraction: {}\n"
                + "    other: { type: no_such_detector }");
        assertThatThrownBy(() -> fx.bundleOf("unknown", unknown))
                .hasMessageContaining("(built-in: [" + String.join(", ", types) + "])");

        long t0 = 1_790_000_000_000L;
        List<String> memory = run(fx, bundle, new MemoryStateStore(64L << 20, new MutableClock(t0), 1000),
                new MutableClock(t0), "memory");
        String url = user("veil-guard", readmeCommands());
        MutableClock clock = new MutableClock(t0);
        RedisStateStore store = RedisStateStore.builder(url).namespace(NAMESPACE).clock(clock)
                .timeout(Duration.ofSeconds(2)).build();
        List<String> redis = run(fx, bundle, store, clock, "redis");

        assertThat(redis).isEqualTo(memory);
        assertThat(store.failedSubmits()).isZero();
        Set<String> seen = new TreeSet<>();
        redis.forEach(c -> seen.add(c.substring(c.indexOf(' ') + 1)));
        assertThat(seen).as("the run must go through every kind of state: %s", redis)
                .contains("ok", "blocked", "rate_limited", "budget_exhausted")
                .doesNotContain("state_unavailable", "internal_error");
    }

    /** Without any one command of the list, build() fails, naming it and the list. */
    @Test
    void aUserWithoutAnyOneOfTheCommandsFailsTheBuildNamingIt() throws Exception {
        for (String missing : RedisBatchClient.ACL_COMMANDS) {
            List<String> fewer = new ArrayList<>(RedisBatchClient.ACL_COMMANDS);
            fewer.remove(missing);
            String url = user("veil-without", fewer);
            assertThatThrownBy(() -> RedisStateStore.builder(url).namespace(NAMESPACE).timeout(Duration.ofSeconds(2))
                    .build().close())
                    .as("without %s", missing)
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageStartingWith("Redis at 127.0.0.1:" + REDIS.port() + " refuse")
                    // a command the client sends is refused by Redis itself, which names it; one a
                    // script runs is named by the script
                    .hasMessageContaining(List.of("evalsha", "eval", "script|load", "time").contains(missing)
                            ? "NOPERM this user has no permissions to run the '" + missing + "' command"
                            : missing.toUpperCase(java.util.Locale.ROOT) + ": ERR The user executing the script "
                                    + "can't run this command or subcommand")
                    .hasMessageEndingWith("; the connection's ACL user may not run a command, or use a key, that a "
                            + "Veil store needs: it needs these commands on the keys of the namespace (ACL SETUSER "
                            + "<user> ~veil:{fashion}:* +evalsha +eval +script|load +time +get +set +hmget +hset "
                            + "+hgetall +hdel +del +lrange +rpush +ltrim +pexpire +pttl +persist; INFO is optional: "
                            + "veil-redis README, \"ACL users\")");
        }
        REDIS.command("ACL", "DELUSER", "veil-without");
    }

    /** A user whose key pattern leaves out the namespace is told the pattern it needs. */
    @Test
    void aUserWithoutTheNamespacesKeysFailsTheBuildNamingThePattern() throws Exception {
        String url = user("veil-keys", RedisBatchClient.ACL_COMMANDS);
        assertThatThrownBy(() -> RedisStateStore.builder(url).namespace("other:").build().close())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageContaining("no permissions to access one of the keys")
                .hasMessageContaining("(ACL SETUSER <user> ~other:* +evalsha ");
        // glob characters of a namespace are escaped in the pattern
        assertThatThrownBy(() -> RedisStateStore.builder(url).namespace("v[1]*:").build().close())
                .hasMessageContaining("(ACL SETUSER <user> ~v\\[1\\]\\*:* +evalsha ");
        REDIS.command("ACL", "DELUSER", "veil-keys");
    }
}
