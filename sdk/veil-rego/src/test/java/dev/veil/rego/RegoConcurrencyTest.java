package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One compiled policy evaluated by many threads at once gives each thread the answer it gets alone. */
class RegoConcurrencyTest {

    private static final String POLICY = """
            package veil.access
            default decision := {"allow": false, "reasons": []}
            roles := {"admin": 3, "analyst": 2, "guest": 1}
            level := roles[input.role]
            reasons contains "unknown role" if not roles[input.role]
            reasons contains "too many rows" if input.rows > limits[input.role]
            limits := {"admin": 1000, "analyst": 100, "guest": 10}
            decision := {"allow": count(reasons) == 0, "reasons": sort([r | some r in reasons]), "level": level} if {
                level
            }
            """;

    private static Map<String, Object> input(int i) {
        String[] roles = {"admin", "analyst", "guest", "intruder"};
        return Map.of("role", roles[i % roles.length], "rows", (i * 37) % 1500);
    }

    @Test
    void manyThreadsShareOneCompiledPolicy() throws Exception {
        Rego policy = Rego.compile(Map.of("access.rego", POLICY), Map.of());
        int n = 400;
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(policy.evaluate("data.veil.access.decision", input(i)));
        }
        assertThat(expected).contains(Map.of("allow", true, "reasons", List.of(), "level", 3L));
        assertThat(expected).contains(Map.of("allow", false, "reasons", List.of()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<Object>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                futures.add(pool.submit(() -> {
                    List<Object> got = new ArrayList<>();
                    for (int k = 0; k < n; k++) {
                        int i = (k + offset * 53) % n;
                        Object d = policy.evaluate("data.veil.access.decision", input(i));
                        got.add(d.equals(expected.get(i)) ? null : "input " + i + ": " + d);
                        policy.query("x := data.veil.access.level", input(i));
                    }
                    got.removeIf(java.util.Objects::isNull);
                    return got;
                }));
            }
            for (Future<List<Object>> f : futures) {
                assertThat(f.get()).as("answers that differ from the single-threaded ones").isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadsRacingOnAFreshPolicyGetTheSingleThreadedAnswers() throws Exception {
        // No warm-up: the first evaluations race on the memos filled on first use (references resolved to
        // rule nodes, shared string constants) and on folded values read while others are being read.
        Rego reference = Rego.compile(Map.of("access.rego", POLICY), Map.of());
        int n = 200;
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(reference.evaluate("data.veil.access.decision", input(i)));
        }
        for (int round = 0; round < 5; round++) {
            Rego fresh = Rego.compile(Map.of("access.rego", POLICY), Map.of());
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<Object>>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int offset = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        List<Object> got = new ArrayList<>();
                        for (int k = 0; k < n; k++) {
                            int i = (k + offset * 31) % n;
                            Object d = fresh.evaluate("data.veil.access.decision", input(i));
                            if (!d.equals(expected.get(i))) {
                                got.add("input " + i + ": " + d);
                            }
                        }
                        return got;
                    }));
                }
                start.countDown();
                for (Future<List<Object>> f : futures) {
                    assertThat(f.get()).as("answers that differ from the single-threaded ones").isEmpty();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
