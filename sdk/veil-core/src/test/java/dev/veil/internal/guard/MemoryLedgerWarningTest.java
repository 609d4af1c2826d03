package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.LogCapture;
import dev.veil.PolicyBundle;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A privacy budget kept by the default in-memory state store lasts as long as the process and
 * holds for one replica only: a Guard built or reloaded with {@code output.privacy} on it says so.
 */
class MemoryLedgerWarningTest {
    private static final String NOISY = """
            default: {form: top_k, top_k: 2, noise: {mechanism: laplace, epsilon: 0.5}}
            privacy: {per_caller_epsilon: 5, period_seconds: 0}
            """;

    @TempDir
    Path tmp;

    private int bundles;

    private PolicyBundle bundle(String output) {
        GuardFixtures.BundleDir b = GuardFixtures.bundle(tmp.resolve("b" + (++bundles)));
        return (output == null ? b : b.set("output", output)).load();
    }

    private Guard<double[]> guard(PolicyBundle policy) {
        return Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A).as(GuardFixtures.INFO_A))
                .policy(policy).audit(AuditLog.jsonLines(tmp.resolve("audit" + (++bundles) + ".jsonl"))).build();
    }

    private static List<String> ledgerWarnings(LogCapture log) {
        return log.messages().stream().filter(m -> m.contains("privacy ledger")).toList();
    }

    @Test
    void aGuardBuiltWithAPrivacyBudgetOnTheInMemoryStoreWarnsThatTheLedgerDiesWithTheProcess() {
        try (LogCapture log = LogCapture.warnings("dev.veil.Guard"); Guard<double[]> g = guard(bundle(NOISY))) {
            assertThat(ledgerWarnings(log)).singleElement().satisfies(m -> assertThat(m)
                    .startsWith("bundle 'guard-test' sets output.privacy, but the privacy ledger is kept in this "
                            + "process's memory")
                    .contains("restart", "replica", "RedisStateStore", "persistence"));
        }
    }

    @Test
    void aGuardWithoutAPrivacyBudgetDoesNotWarnUntilABundleWithOneIsLoaded() {
        try (LogCapture log = LogCapture.warnings("dev.veil.Guard"); Guard<double[]> g = guard(bundle(null))) {
            assertThat(ledgerWarnings(log)).isEmpty();
            g.reload(bundle(NOISY));
            assertThat(ledgerWarnings(log)).hasSize(1);
        }
    }
}
