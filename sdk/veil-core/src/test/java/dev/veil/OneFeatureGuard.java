package dev.veil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.function.Function;

/**
 * A Guard on a one-feature input for tests of a policy's output section: anybody may ask, the model
 * is {@code predict}, trained {@code age} before {@link #NOW}, the clock stands at {@link #NOW}.
 */
final class OneFeatureGuard {
    static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    static final String HEAD = """
            veil: 1
            name: one-feature
            authentication: {anonymous: true}
            access: {default: {effect: allow}}
            validation: {default: {shape: [1]}}
            """;

    private OneFeatureGuard() {}

    /** A Guard on {@link #HEAD} followed by {@code yaml}, in a fresh directory of {@code tmp}. */
    static Guard<double[]> build(Path tmp, String yaml, Function<double[], Prediction> predict, Duration age) {
        try {
            Path dir = Files.createDirectories(tmp.resolve("b" + System.nanoTime()));
            Files.writeString(dir.resolve("p.veil.yaml"), HEAD + yaml);
            return Guard.builder(Model.ofVector(ModelInfo.of("m", "1", NOW.minus(age)), predict::apply))
                    .policy(PolicyBundle.load(dir))
                    .audit(AuditLog.jsonLines(tmp.resolve("audit" + System.nanoTime() + ".jsonl")))
                    .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The answer to a request of feature {@code x}, anonymously. */
    static Response ask(Guard<double[]> g, double x) {
        return g.predict(Request.of(Credentials.anonymous(), new double[] {x}));
    }
}
