package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.veil.Credentials;
import org.junit.jupiter.api.Test;

/**
 * The generators GuardContract relies on: a "valid" vector is inside the feature space, an "out of space" one is not,
 * a "non-finite" one has a NaN or infinity, and garbage credentials are never the allowed ones.
 */
class ProbesTest {
    private static final FeatureSpace SPACE = FeatureSpace.builder()
            .feature("a", -1, 1).feature("b", 5, 5).feature("c", 0, 1e6).build();
    private static final String KEY = "veil_alice001_zYB2fu42Y9RIolBHfBJwHUOVLmb9oyntHUYSXfCAkC4";
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";

    private static boolean inside(double[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= SPACE.min(i) && v[i] <= SPACE.max(i))) {
                return false;
            }
        }
        return v.length == SPACE.size();
    }

    @Test
    void validVectorsAreInsideTheSpaceAndOthersAreNot() {
        Probes p = new Probes(SPACE, Credentials.apiKey(KEY), Credentials.apiKey("veil_bob_x"), false);
        qt().withExamples(500).forAll(p.valid()).checkAssert(x -> assertThat(inside(x.features())).isTrue());
        qt().withExamples(500).forAll(p.forbidden()).checkAssert(x -> {
            assertThat(inside(x.features())).isTrue();
            assertThat(x.credentials()).isEqualTo(Credentials.apiKey("veil_bob_x"));
        });
        qt().withExamples(500).forAll(p.outOfSpace()).checkAssert(x -> {
            assertThat(inside(x.features())).as(x.toString()).isFalse();
            assertThat(x.credentials()).isEqualTo(Credentials.apiKey(KEY));
        });
        qt().withExamples(500).forAll(p.nonFinite()).checkAssert(x -> assertThat(
                java.util.Arrays.stream(x.features()).anyMatch(d -> !Double.isFinite(d))).as(x.toString()).isTrue());
    }

    @Test
    void garbageIsNeverTheAllowedApiKeyNorAnonymousWhenThatIsAllowed() {
        Probes p = new Probes(SPACE, Credentials.apiKey(KEY), Credentials.apiKey("veil_bob_x"), true);
        qt().withExamples(2000).forAll(p.garbage()).checkAssert(x -> {
            assertThat(x.kind()).isEqualTo(Probe.Kind.GARBAGE);
            assertThat(x.credentials()).as(x.description()).isNotEqualTo(Credentials.apiKey(KEY))
                    .isNotSameAs(Credentials.anonymous());
            assertThat(inside(x.features())).isTrue();
        });
    }

    @Test
    void garbageIsNeverTheAllowedTokenAndKeepsItsSignatureWhenMutated() {
        Probes p = new Probes(SPACE, Credentials.bearer(TOKEN), Credentials.apiKey("veil_bob_x"), false);
        String signature = TOKEN.substring(TOKEN.lastIndexOf('.'));
        boolean[] sawAnonymous = new boolean[1];
        qt().withExamples(2000).forAll(p.garbage()).checkAssert(x -> {
            assertThat(x.credentials()).as(x.description()).isNotEqualTo(Credentials.bearer(TOKEN));
            if (x.credentials() == Credentials.anonymous()) {
                sawAnonymous[0] = true;
            }
            if (x.description().startsWith("allowed token with character")) {
                assertThat(((Credentials.Bearer) x.credentials()).token()).endsWith(signature);
            }
        });
        assertThat(sawAnonymous[0]).as("requests without credentials are among the garbage").isTrue();
    }
}
