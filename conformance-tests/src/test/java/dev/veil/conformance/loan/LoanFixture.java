package dev.veil.conformance.loan;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.ApiKeys;
import dev.veil.PolicyBundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The quickstart's bundle (test resource {@code loan-bundle}) with freshly issued API keys: an analyst the policy
 * serves and an intern it refuses. Built once per JVM; the bundle is loaded into memory and its directory deleted.
 */
final class LoanFixture {
    static final LoanFixture INSTANCE = create();

    final PolicyBundle policy;
    final String analystKey;
    final String internKey;

    private LoanFixture(PolicyBundle policy, String analystKey, String internKey) {
        this.policy = policy;
        this.analystKey = analystKey;
        this.internKey = internKey;
    }

    private static LoanFixture create() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("veil-loan-bundle-");
            for (String name : List.of(".manifest", "loan.veil.yaml")) {
                try (InputStream in = LoanFixture.class.getClassLoader().getResourceAsStream("loan-bundle/" + name)) {
                    Files.copy(in, dir.resolve(name));
                }
            }
            ApiKeys.Issued analyst = ApiKeys.issue("alice", List.of("analyst"), "acme", Map.of(), null);
            ApiKeys.Issued intern = ApiKeys.issue("bob", List.of("intern"), "acme", Map.of(), null);
            JsonMapper.builder().build().writeValue(dir.resolve("keys.json").toFile(),
                    Map.of("keys", List.of(analyst.entry(), intern.entry())));
            return new LoanFixture(PolicyBundle.load(dir), analyst.plaintext(), intern.plaintext());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) {
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }
}
