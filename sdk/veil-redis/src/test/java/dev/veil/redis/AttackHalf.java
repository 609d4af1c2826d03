package dev.veil.redis;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import dev.veil.spi.StateOp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Half of an attack, run in a second JVM by {@link TwoJvmAttackTest}: a Guard of its own with its
 * own RedisStateStore (same namespace) sends queries {@code first, first + 2, ...} as caller
 * {@code mallory} (API key in the environment variable {@code VEIL_TEST_KEY}) and adds each query's
 * fingerprint to the shared index. Prints {@code ready}, waits for {@code go} on standard input,
 * then prints {@code codes <code>,<code>,...}.
 *
 * <p>Arguments: Redis URL, namespace, bundle directory, clock (epoch ms), first index, count.
 */
public final class AttackHalf {
    private AttackHalf() {}

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String namespace = args[1];
        Path bundle = Path.of(args[2]);
        MutableClock clock = new MutableClock(Long.parseLong(args[3]));
        int first = Integer.parseInt(args[4]);
        int count = Integer.parseInt(args[5]);
        String key = System.getenv("VEIL_TEST_KEY");
        RedisStateStore store = RedisStateStore.builder(url).namespace(namespace).clock(clock)
                .timeout(Duration.ofSeconds(5)).build();
        try (Guard<double[]> guard = Guard.builder(GuardFixture.model()).policy(PolicyBundle.load(bundle))
                .audit(AuditLog.jsonLines(bundle.resolveSibling("child-audit.jsonl"))).clock(clock)
                .stateStore(store).build()) {
            System.out.println("ready");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            if (!"go".equals(in.readLine())) {
                throw new IllegalStateException("expected 'go' on standard input");
            }
            List<String> codes = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                int i = first + 2 * k;
                codes.add(GuardFixture.code(guard.predict(Request.of(Credentials.apiKey(key), query(i)))));
                store.execute(fingerprint(i, "child"));
            }
            System.out.println("codes " + String.join(",", codes));
        }
    }

    /** Query {@code i} of the attack: a small step from the previous one. */
    static double[] query(int i) {
        return new double[] {0.5 + 0.001 * i, 0.5, 0.5, 0.5};
    }

    /** Query i's fingerprint: hashes i .. i+9, so neighbouring queries share 9 of 10. */
    static StateOp.Fingerprint fingerprint(int i, String side) {
        long[] hashes = new long[10];
        for (int h = 0; h < hashes.length; h++) {
            hashes[h] = i + h;
        }
        return new StateOp.Fingerprint("fp:g", hashes, side + "-" + i, 16, 600_000);
    }
}
