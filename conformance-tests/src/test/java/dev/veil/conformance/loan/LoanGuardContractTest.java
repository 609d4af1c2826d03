package dev.veil.conformance.loan;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.conformance.FeatureSpace;
import dev.veil.conformance.GuardContract;
import dev.veil.conformance.ReleaseLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GuardContract on the quickstart's loan model and policy (test resource {@code loan-bundle}, a copy of
 * examples/quickstart's bundle), as a user would write it: in its own package, through the exported API only.
 * The API keys are issued fresh for each run ({@link LoanFixture}); the policy allows analysts (top 2 scores rounded
 * to 0.05, label only when degraded) and refuses interns.
 */
class LoanGuardContractTest extends GuardContract<Map<String, Double>> {
    static final LoanFixture FIXTURE = LoanFixture.INSTANCE;

    @Override
    protected Model<Map<String, Double>> model() {
        LoanModel loan = new LoanModel();
        return Model.of(ModelInfo.of("loan-scorer", "2026.11", Instant.now().minus(Duration.ofDays(30))),
                loan::predict, Features::named);
    }

    @Override
    protected Guard<Map<String, Double>> newGuard(Model<Map<String, Double>> model, Path auditFile) {
        return Guard.builder(model)
                .policy(FIXTURE.policy)
                .audit(AuditLog.jsonLines(auditFile).async(4096, Duration.ofMillis(100)))
                .build();
    }
    @Override
    protected Map<String, Double> inputFor(double[] f) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("income", f[0]);
        m.put("loan_amount", f[1]);
        m.put("age", f[2]);
        return m;
    }

    @Override
    protected FeatureSpace featureSpace() {
        // loan_amount <= 20 * income holds for every vector: 400,000 <= 20 * 20,000.
        return FeatureSpace.builder()
                .feature("income", 20_000, 1_000_000)
                .feature("loan_amount", 0, 400_000)
                .feature("age", 18, 120)
                .build();
    }

    @Override
    protected Credentials allowedCredentials() {
        return Credentials.apiKey(FIXTURE.analystKey);
    }

    @Override
    protected Credentials forbiddenCredentials() {
        return Credentials.apiKey(FIXTURE.internKey);
    }

    @Override
    protected ReleaseLimits releaseLimits() {
        return ReleaseLimits.of(2, 0.05);
    }
}
