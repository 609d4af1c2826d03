package dev.veil.conformance.loan;

import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.conformance.FeatureSpace;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Disabled;

/**
 * The loan contract with a deliberately broken Guard or fixture, for {@link GuardContractCatchesViolationsTest}. Its
 * properties are called one by one by that test, never run on their own (it is disabled as a test class).
 */
@Disabled("a fixture: GuardContractCatchesViolationsTest configures it and calls its properties")
final class BrokenLoanContract extends LoanGuardContractTest {
    /** Turns the real Guard (around the counted model) into a broken one. */
    @FunctionalInterface
    interface Breaker {
        Guard<Map<String, Double>> wrap(Guard<Map<String, Double>> real, Model<Map<String, Double>> counted,
                Path auditFile);
    }

    private Breaker breaker = (real, counted, auditFile) -> real;
    private boolean aroundAnotherModel;
    private boolean auditElsewhere;
    private Credentials allowed;
    private Credentials forbidden;
    private FeatureSpace space;

    BrokenLoanContract breaking(Breaker b) {
        breaker = b;
        return this;
    }

    /** The Guard wraps a model of its own instead of the one the kit hands it. */
    BrokenLoanContract aroundAnotherModel() {
        aroundAnotherModel = true;
        return this;
    }

    /** The Guard writes its audit log to another file than the one the kit names. */
    BrokenLoanContract auditingElsewhere() {
        auditElsewhere = true;
        return this;
    }

    BrokenLoanContract allowing(Credentials c) {
        allowed = c;
        return this;
    }

    BrokenLoanContract forbidding(Credentials c) {
        forbidden = c;
        return this;
    }

    BrokenLoanContract inSpace(FeatureSpace s) {
        space = s;
        return this;
    }

    @Override
    protected Guard<Map<String, Double>> newGuard(Model<Map<String, Double>> model, Path auditFile) {
        Path file = auditElsewhere ? auditFile.resolveSibling("elsewhere.jsonl") : auditFile;
        Guard<Map<String, Double>> real = super.newGuard(aroundAnotherModel ? model() : model, file);
        return breaker.wrap(real, model, auditFile);
    }

    @Override
    protected Credentials allowedCredentials() {
        return allowed != null ? allowed : super.allowedCredentials();
    }

    @Override
    protected Credentials forbiddenCredentials() {
        return forbidden != null ? forbidden : super.forbiddenCredentials();
    }

    @Override
    protected FeatureSpace featureSpace() {
        return space != null ? space : super.featureSpace();
    }

    @Override
    protected int examples() {
        return 10;
    }

    @Override
    protected int shrinkCycles() {
        return 5;
    }
}
