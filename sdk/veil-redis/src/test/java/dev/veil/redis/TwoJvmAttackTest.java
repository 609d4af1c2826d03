package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.spi.StateOp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One attack, two JVMs: a second JVM ({@link AttackHalf}, started with {@code java -cp <test class
 * path>}) sends the odd queries while this JVM sends the even ones, at the same time, each through
 * its own Guard and connection. The shared window counts both halves (8 in 60 s block the caller,
 * which neither half alone reaches), the block set by whichever Guard saw the 8th query holds in
 * both, and the shared fingerprint index finds the other JVM's queries.
 */
class TwoJvmAttackTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final String NAMESPACE = "veil:{toy}:";
    private static final long NOW = 1_790_000_000_000L;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void anAttackSplitOverTwoJvmsIsSeenAsOne() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        PolicyBundle bundle = fx.bundle("attack", "deny");
        MutableClock clock = new MutableClock(NOW);
        RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace(NAMESPACE).clock(clock)
                .timeout(Duration.ofSeconds(5)).build();

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AttackHalf.class.getName(), REDIS.url(), NAMESPACE, dir.resolve("attack").toString(),
                Long.toString(NOW), "1", "6").redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("VEIL_TEST_KEY", fx.key("mallory"));
        Process child = pb.start();
        try (Guard<double[]> guard = fx.guard(bundle, store, clock, "parent");
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8));
                OutputStream in = child.getOutputStream()) {
            assertThat(out.readLine()).as("the second JVM built its Guard").isEqualTo("ready");
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            List<String> codes = new ArrayList<>();
            for (int i = 0; i < 12; i += 2) {
                codes.add(code(guard.predict(fx.request("mallory", AttackHalf.query(i)[0]))));
                store.execute(AttackHalf.fingerprint(i, "parent"));
            }
            String line = out.readLine();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
            assertThat(line).startsWith("codes ");
            List<String> childCodes = Arrays.asList(line.substring("codes ".length()).split(","));
            assertThat(childCodes).hasSize(6);

            // Queries 1..7 of the shared window pass; from the 8th on the caller is blocked, whichever
            // JVM sends it. Six per JVM never reach 8 alone.
            List<String> all = new ArrayList<>(codes);
            all.addAll(childCodes);
            assertThat(all.stream().filter("ok"::equals).count()).isEqualTo(7);
            assertThat(all.stream().filter("blocked"::equals).count()).isEqualTo(5);
            assertThat(code(guard.predict(fx.request("mallory", 0.9)))).isEqualTo("blocked");

            // The rate detector's window saw every query of both JVMs up to the 8th, which set the
            // block (and this op); the blocked ones after it changed no state. The block is written
            // in the batch after the 8th's, so a query of the other JVM may pass the block check
            // before it lands and count too (up to all 5 refused ones, on a very busy host).
            assertThat((Long) store.execute(new StateOp.CountInWindow("rate:rate:c:mallory", NOW, 60_000))[0])
                    .isBetween(9L, 14L);
            // The fingerprint index holds the other JVM's queries: a probe like query 11 (sent by
            // the second JVM) finds it, sharing all 10 hashes.
            StateOp.Fingerprint probe = AttackHalf.fingerprint(11, "probe");
            assertThat(store.execute(probe)).containsExactly(new StateOp.FingerprintMatch("child-11", 10));
        } finally {
            child.destroy();
            child.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
