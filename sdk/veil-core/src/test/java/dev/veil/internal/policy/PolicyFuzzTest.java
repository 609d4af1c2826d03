package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.ApiKeys;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.internal.bundle.BundleLoader;
import dev.veil.internal.validation.TrainingStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the YAML policy compiler: whatever the bytes of a {@code *.veil.yaml} file, loading the
 * bundle either gives a compiled policy or throws {@link PolicyLoadException} whose every error
 * names a file and, for the fuzzed file, a line inside it (as YAML counts lines: a lone carriage
 * return ends one too); never another exception. The bundle around the fuzzed file
 * is a real one: an API key file, a JWKS with an ES256 key and training statistics for 784 features
 * under {@code training.stats}, so that policies referring to them get past those references.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/internal/policy/PolicyFuzzTestInputs/policy/} (the repository's
 * own policies and a few broken ones). To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=PolicyFuzzTest -Djacoco.skip=true -Djazzer.hooks=true};
 * a failing input is written to that directory and becomes a regression case.
 */
class PolicyFuzzTest {
    /** The bundle's other files: keys, JWKS, training statistics (also used by {@link InputDocumentFuzzTest}). */
    static final Map<String, byte[]> SUPPORT = support();

    @FuzzTest(maxDuration = "2m")
    void policy(byte[] yaml) {
        Map<String, byte[]> files = new TreeMap<>(SUPPORT);
        files.put("policy.veil.yaml", yaml);
        try {
            PolicyBundle bundle = PolicyBundle.of(BundleLoader.fromFiles("fuzz", files));
            assertThat(bundle.name()).isNotNull();
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).isNotEmpty().allSatisfy(err -> {
                assertThat(err.file()).isNotBlank();
                assertThat(err.message()).isNotBlank();
                if (err.file().equals("policy.veil.yaml") && err.line() > 0) {
                    assertThat(err.line()).as("line of %s", err).isLessThanOrEqualTo(yamlLines(yaml) + 1);
                }
            });
        }
    }

    /** The repository's policies compile in the fuzzed bundle: the fuzzer starts from policies that work. */
    @Test
    void repositoryPoliciesCompileWithTheSupportFiles() throws IOException {
        for (String seed : List.of("image-classifier", "tabular-credit")) {
            Map<String, byte[]> files = new TreeMap<>(SUPPORT);
            try (InputStream in = PolicyFuzzTest.class.getResourceAsStream("PolicyFuzzTestInputs/policy/" + seed)) {
                files.put("policy.veil.yaml", in.readAllBytes());
            }
            assertThat(PolicyBundle.of(BundleLoader.fromFiles("fuzz", files)).name()).isEqualTo(seed);
        }
    }

    /**
     * Lines of the text as YAML counts them: CR LF, CR, LF and (YAML 1.1, which the parser follows)
     * NEL, LS and PS each end a line.
     */
    static int yamlLines(byte[] yaml) {
        String text = new String(yaml, StandardCharsets.UTF_8);
        int lines = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                continue; // counted at the LF
            }
            if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                lines++;
            }
        }
        return lines;
    }

    private static Map<String, byte[]> support() {
        try {
            ObjectMapper json = new ObjectMapper();
            Map<String, byte[]> files = new TreeMap<>();
            var key = ApiKeys.issue("alice", List.of("analyst"), "acme", Map.of("team", "ml"), null);
            files.put("keys.json", json.writeValueAsBytes(Map.of("keys", List.of(key.entry()))));
            files.put("jwks.json", new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("e1").generate().toPublicJWK())
                    .toString(false).getBytes(StandardCharsets.UTF_8));
            SplittableRandom r = new SplittableRandom(5);
            List<double[]> samples = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                double[] x = new double[784];
                for (int j = 0; j < x.length; j++) {
                    x[j] = r.nextDouble();
                }
                samples.add(x);
            }
            files.put("training/stats/data.json",
                    json.writeValueAsBytes(TrainingStats.compute(samples, 0.01, 0.99).toData()));
            return files;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
