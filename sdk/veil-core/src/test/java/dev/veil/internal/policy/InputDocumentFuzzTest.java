package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.PolicyBundle;
import dev.veil.internal.bundle.BundleLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the policy input document that {@code veil eval} reads and {@link PolicyBundle#evaluate}
 * takes: whatever JSON object it is given, the compiled policy answers all six questions with their
 * decision documents, or the document is refused with {@link IllegalArgumentException} saying which
 * field is wrong; never another exception. The policies are the repository's two YAML policies (one
 * for images with signals and prediction rules, one tabular with named features), in the bundle of
 * {@link PolicyFuzzTest}.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/internal/policy/InputDocumentFuzzTestInputs/evaluate/}. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=InputDocumentFuzzTest -Djacoco.skip=true
 * -Djazzer.hooks=true}; a failing input is written to that directory and becomes a regression case.
 */
class InputDocumentFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<PolicyBundle> BUNDLES = List.of(bundle("image-classifier"), bundle("tabular-credit"));
    private static final List<String> STAGES = List.of("access", "validation", "monitoring", "model", "output", "logging");

    @FuzzTest(maxDuration = "2m")
    void evaluate(byte[] input) {
        Map<String, Object> doc;
        try {
            Object parsed = JSON.readValue(input, Object.class);
            if (!(parsed instanceof Map<?, ?>)) {
                return; // veil eval refuses anything but an object before it asks the policy
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) parsed;
            doc = m;
        } catch (IOException e) {
            return; // not JSON: veil eval refuses it before it asks the policy
        }
        for (PolicyBundle b : BUNDLES) {
            try {
                Map<String, Object> decisions = b.evaluate(doc);
                assertThat(decisions).containsOnlyKeys(STAGES);
                assertThat(decisions.values()).allSatisfy(d -> assertThat(d).isInstanceOf(Map.class));
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).isNotBlank();
            }
        }
    }

    /** The seed is the example of docs/policy-reference.md section 8, and both policies answer it. */
    @Test
    void theDocumentedExampleIsAnswered() throws IOException {
        try (InputStream in = InputDocumentFuzzTest.class.getResourceAsStream(
                "InputDocumentFuzzTestInputs/evaluate/reference-example")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> doc = JSON.readValue(in, Map.class);
            for (PolicyBundle b : BUNDLES) {
                assertThat(b.evaluate(doc)).containsOnlyKeys(STAGES);
            }
        }
    }

    private static PolicyBundle bundle(String seed) {
        Map<String, byte[]> files = new TreeMap<>(PolicyFuzzTest.SUPPORT);
        try (InputStream in = PolicyFuzzTest.class.getResourceAsStream("PolicyFuzzTestInputs/policy/" + seed)) {
            files.put("policy.veil.yaml", in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return PolicyBundle.of(BundleLoader.fromFiles("fuzz", files));
    }
}
