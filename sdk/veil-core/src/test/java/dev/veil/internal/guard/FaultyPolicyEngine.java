package dev.veil.internal.guard;

import dev.veil.GuardFixtures;
import dev.veil.PolicyLoadException;
import dev.veil.internal.policy.YamlPolicyEngine;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.Bundle;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.ModelDecision;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.MonitoringDecision;
import dev.veil.spi.OutputDecision;
import dev.veil.spi.PolicyEngine;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.ValidationDecision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A test-only policy engine (registered in {@code src/test/resources/META-INF/services}) that
 * injects a failure into one stage question. It handles exactly the bundles holding
 * {@value #MARKER}, whose text names the question that throws ({@code access}, {@code validation},
 * {@code monitoring}, {@code model}, {@code output}, {@code logging}, or {@code none}), optionally
 * followed by {@code checked} to throw an undeclared checked exception (as Kotlin or Scala code
 * may) instead of an unchecked one, or by {@code error} to throw an {@link Error} (as a policy that
 * runs out of stack or memory does). Every other question is answered by the YAML engine's compiled
 * policy of the bundle's {@value #POLICY} (named so that the YAML engine itself does not claim the
 * bundle).
 *
 * <p>One more mode, {@value #BLOCK_THEN_UNAPPLIABLE}, answers the monitoring question with a block
 * followed by a throttle the Guard cannot apply (an infinite rate, which {@link MonitoringAction}
 * accepts and {@code StateOp.Throttle} refuses): a failure in monitoring after a denial was reached.
 * Another, {@value #MONITORING_FOR_C1}, fails the monitoring question for caller {@code c1} while
 * its {@code rate} signal is {@code low} (as a Rego rule that errs for some inputs does), and
 * answers it otherwise: c1's later queries then show what its failed ones counted;
 * {@value #MONITORING_ERROR_FOR_C1} does the same with a {@link StackOverflowError} (a Rego rule
 * whose evaluation runs too deep for some inputs), and {@value #ACCESS_FOR_C1} and
 * {@value #VALIDATION_FOR_C1} fail the access or validation question for every query of c1.
 */
public final class FaultyPolicyEngine implements PolicyEngine {
    /** The marker file naming the failing question. */
    public static final String MARKER = "faulty-stage.txt";
    /** The YAML policy the engine delegates to. */
    public static final String POLICY = "faulty-policy.yaml";
    /** The question names the marker may hold. */
    public static final Set<String> QUESTIONS = Set.of("access", "validation", "monitoring", "model", "output",
            "logging", "none");
    /** The mode whose monitoring answer is a block and then an action that cannot be applied. */
    public static final String BLOCK_THEN_UNAPPLIABLE = "monitoring-block-then-unappliable";
    /** The mode whose monitoring question fails for caller {@code c1} while its rate signal is low. */
    public static final String MONITORING_FOR_C1 = "monitoring-for-c1";
    /** As {@link #MONITORING_FOR_C1}, with a {@link StackOverflowError}. */
    public static final String MONITORING_ERROR_FOR_C1 = "monitoring-error-for-c1";
    /** The mode whose access question fails for every query of caller {@code c1}. */
    public static final String ACCESS_FOR_C1 = "access-for-c1";
    /** The mode whose validation question fails for every query of caller {@code c1}. */
    public static final String VALIDATION_FOR_C1 = "validation-for-c1";
    private static final Set<String> MODES = Set.of(BLOCK_THEN_UNAPPLIABLE, MONITORING_FOR_C1, MONITORING_ERROR_FOR_C1,
            ACCESS_FOR_C1, VALIDATION_FOR_C1);

    @Override
    public String name() {
        return "faulty";
    }

    @Override
    public boolean handles(Bundle bundle) {
        return bundle.files().contains(MARKER);
    }

    @Override
    public CompiledPolicy compile(Bundle bundle) {
        String[] marker = new String(bundle.read(MARKER), StandardCharsets.UTF_8).strip().split("\\s+");
        String question = marker[0];
        String kind = marker.length > 1 ? marker[1] : "unchecked";
        boolean known = QUESTIONS.contains(question)
                || (MODES.contains(question) && marker.length == 1);
        if (!known || marker.length > 2 || (marker.length == 2 && !Set.of("checked", "error").contains(kind))) {
            throw PolicyLoadException.of(MARKER, "expected one of " + new TreeSet<>(QUESTIONS)
                    + ", optionally followed by 'checked' or 'error', or one of " + new TreeSet<>(MODES) + ", was '"
                    + String.join(" ", marker) + "'");
        }
        if (!bundle.files().contains(POLICY)) {
            throw PolicyLoadException.of("<bundle>", "a faulty bundle needs its YAML policy in " + POLICY);
        }
        CompiledPolicy yaml = new YamlPolicyEngine().compile(new Renamed(bundle));
        return new Faulty(yaml, question, kind);
    }

    /** The bundle as the YAML engine should see it: {@value #POLICY} presented as a {@code *.veil.yaml} file. */
    private record Renamed(Bundle inner) implements Bundle {
        private static final String AS = "faulty-policy.veil.yaml";

        @Override
        public String source() {
            return inner.source();
        }

        @Override
        public String revision() {
            return inner.revision();
        }

        @Override
        public List<String> roots() {
            return inner.roots();
        }

        @Override
        public Set<String> files() {
            Set<String> files = new TreeSet<>(inner.files());
            files.remove(POLICY);
            files.add(AS);
            return files;
        }

        @Override
        public byte[] read(String path) {
            return inner.read(path.equals(AS) ? POLICY : path);
        }

        @Override
        public Map<String, Object> data() {
            return inner.data();
        }
    }

    /** The YAML policy with one question that throws. */
    private record Faulty(CompiledPolicy yaml, String question, String kind) implements CompiledPolicy {
        private void maybeFail(String q) {
            if (q.equals(question)) {
                if (kind.equals("error")) {
                    throw new StackOverflowError("injected error in the " + q + " question");
                }
                if (kind.equals("checked")) {
                    throw GuardFixtures.sneakyThrow(new IOException("injected checked failure in the " + q
                            + " question"));
                }
                throw new IllegalStateException("injected failure in the " + q + " question");
            }
        }

        @Override
        public String engine() {
            return "faulty";
        }

        @Override
        public GuardSettings settings() {
            return yaml.settings();
        }

        @Override
        public AccessDecision access(PolicyInput input) {
            maybeFail("access");
            if (question.equals(ACCESS_FOR_C1) && input.caller().id().equals("c1")) {
                throw new IllegalStateException("injected failure in the access question for caller c1");
            }
            return yaml.access(input);
        }

        @Override
        public ValidationDecision validation(PolicyInput input) {
            maybeFail("validation");
            if (question.equals(VALIDATION_FOR_C1) && input.caller().id().equals("c1")) {
                throw new IllegalStateException("injected failure in the validation question for caller c1");
            }
            return yaml.validation(input);
        }

        @Override
        public MonitoringDecision monitoring(PolicyInput input) {
            maybeFail("monitoring");
            if ((question.equals(MONITORING_FOR_C1) || question.equals(MONITORING_ERROR_FOR_C1))
                    && input.caller().id().equals("c1")
                    && input.signal("rate") != null && input.signal("rate").level() == dev.veil.Level.LOW) {
                if (question.equals(MONITORING_ERROR_FOR_C1)) {
                    throw new StackOverflowError("injected stack overflow in the monitoring question for caller c1");
                }
                throw new IllegalStateException("injected failure in the monitoring question for caller c1");
            }
            if (question.equals(BLOCK_THEN_UNAPPLIABLE)) {
                return new MonitoringDecision(List.of(
                        new MonitoringAction(MonitoringAction.Kind.BLOCK, "injected-block", "rate", 60, 0),
                        new MonitoringAction(MonitoringAction.Kind.THROTTLE, "injected-throttle", "rate", 60,
                                Double.POSITIVE_INFINITY)));
            }
            return yaml.monitoring(input);
        }

        @Override
        public ModelDecision model(PolicyInput input) {
            maybeFail("model");
            return yaml.model(input);
        }

        @Override
        public OutputDecision output(PolicyInput input) {
            maybeFail("output");
            return yaml.output(input);
        }

        @Override
        public LoggingDecision logging(PolicyInput input) {
            maybeFail("logging");
            return yaml.logging(input);
        }
    }
}
