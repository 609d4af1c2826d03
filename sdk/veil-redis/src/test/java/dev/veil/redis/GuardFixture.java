package dev.veil.redis;

import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.spi.StateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Real policy bundles written to a directory, real API keys ({@link ApiKeys#issue}), real audit
 * files and a small model: what the Guard tests of this module share.
 */
final class GuardFixture {
    static final ModelInfo INFO = ModelInfo.of("toy", "1", Instant.parse("2026-01-01T00:00:00Z"));

    /** Callers with keys in every bundle this fixture writes. */
    static final List<String> CALLERS = List.of("ratey", "flooder", "spender", "mallory", "alice", "bob", "carol");

    private final Path dir;
    private final Map<String, String> keys = new LinkedHashMap<>();
    private final StringBuilder keyFile = new StringBuilder("{\"keys\": [\n");

    GuardFixture(Path dir) {
        this.dir = dir;
        boolean first = true;
        for (String caller : CALLERS) {
            ApiKeys.Issued k = ApiKeys.issue(caller, List.of("user"), "", Map.of(), null);
            keys.put(caller, k.plaintext());
            keyFile.append(first ? "" : ",\n").append(json(k.entry()));
            first = false;
        }
        keyFile.append("\n]}\n");
    }

    /** A toy model: two classes, scores from the first feature. */
    static Model<double[]> model() {
        return Model.ofVector(INFO, x -> {
            double p = Math.min(1, Math.max(0, x[0]));
            return Prediction.classification(List.of("yes", "no"), new double[] {p, 1 - p});
        });
    }

    /**
     * Writes a bundle: the policy below with {@code onStateUnavailable} (deny, degrade or local),
     * into {@code dir/name}. Access: everybody may ask; {@code ratey} has a rate limit of 6 with a
     * very slow refill. Monitoring: 8 queries of a caller in 60 s block it for 10 minutes. Output:
     * the top label with its score; {@code spender}'s answers carry Laplace noise of epsilon 0.4
     * against a budget of 1.0 per caller.
     */
    PolicyBundle bundle(String name, String onStateUnavailable) {
        return bundle(name, onStateUnavailable, 1.0);
    }

    /** As {@link #bundle(String, String)}, with a per-caller budget of {@code perCallerEpsilon}. */
    PolicyBundle bundle(String name, String onStateUnavailable, double perCallerEpsilon) {
        String policy = """
                veil: 1
                name: %s
                on_state_unavailable: %s
                authentication:
                  api_keys: { file: keys.json }
                access:
                  default: { effect: allow }
                  rules:
                    - { id: limited, when: { callers: [ratey] }, effect: allow,
                        rate_limit: { per_second: 0.001, burst: 6 } }
                validation:
                  default: { shape: [4] }
                monitoring:
                  detectors:
                    rate: { window_seconds: 60, high: 8 }
                  rules:
                    - { id: flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }
                output:
                  default: { form: top_k, top_k: 1 }
                  rules:
                    - id: noisy
                      when: { callers: [spender] }
                      release: { noise: { mechanism: laplace, epsilon: 0.4 } }
                  privacy: { per_caller_epsilon: %s, on_exhausted: deny }
                """.formatted(name, onStateUnavailable, perCallerEpsilon);
        return bundleOf(name, policy);
    }

    /**
     * A bundle for 784-feature images in [0, 1] that lets every key in, with {@code rest} (its
     * monitoring and output sections, and any other top-level key) after that head.
     */
    PolicyBundle imageBundle(String name, String rest) {
        return bundleOf(name, """
                veil: 1
                name: %s
                authentication:
                  api_keys: { file: keys.json }
                access:
                  default: { effect: allow }
                validation:
                  default: { shape: [784], range: { min: 0, max: 1 } }
                """.formatted(name) + rest);
    }

    /** Writes a bundle of this policy text, with the fixture's keys, into {@code dir/name}. */
    PolicyBundle bundleOf(String name, String policy) {
        try {
            Path b = Files.createDirectories(dir.resolve(name));
            Files.writeString(b.resolve(name + ".veil.yaml"), policy);
            Files.writeString(b.resolve("keys.json"), keyFile);
            return PolicyBundle.load(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Guard on the bundle with this store and clock, auditing to {@code dir/<label>.jsonl}. */
    Guard<double[]> guard(PolicyBundle bundle, StateStore store, Clock clock, String label) {
        return Guard.builder(model()).policy(bundle).audit(AuditLog.jsonLines(dir.resolve(label + ".jsonl")))
                .clock(clock).stateStore(store).build();
    }

    Request<double[]> request(String caller, double x) {
        return Request.of(Credentials.apiKey(keys.get(caller)), new double[] {x, 0.5, 0.5, 0.5});
    }

    /** The plaintext key of a caller (for the second JVM). */
    String key(String caller) {
        return keys.get(caller);
    }

    static String code(Response r) {
        return r instanceof Response.Denied d ? d.reason().code().code() : r.allowed() ? "ok" : "?";
    }

    private static String json(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof String s) {
            return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        if (o instanceof Boolean || o instanceof Number) {
            return o.toString();
        }
        if (o instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(b.length() > 1 ? ", " : "").append(json(e.getKey().toString())).append(": ")
                        .append(json(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object e : l) {
                b.append(b.length() > 1 ? ", " : "").append(json(e));
            }
            return b.append(']').toString();
        }
        return json(o.toString());
    }
}
