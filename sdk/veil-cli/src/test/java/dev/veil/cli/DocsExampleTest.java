package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The complete example of docs/policy-reference.md (section 12) built with the CLI alone: the key
 * store by {@code key create}, the training statistics by {@code stats}, checked by
 * {@code bundle inspect}, and asked the section 7 question by {@code eval}.
 */
class DocsExampleTest {
    static final Path EXAMPLE = Path.of("../../docs/examples/image-classifier.veil.yaml");

    static final Path README = Path.of("../../README.md");

    @TempDir
    Path tmp;

    /** The policy of the README's "Policies by example", with a key store made by the CLI, loads. */
    @Test
    void theReadmesExamplePolicyLoads() throws Exception {
        assumeTrue(Files.isRegularFile(README), "README.md is not at " + README
                + " (the test runs from sdk/veil-cli in the repository)");
        String readme = Files.readString(README);
        int section = readme.indexOf("## Policies by example");
        assertThat(section).as("the README's section 'Policies by example'").isNotNegative();
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String policy = readme.substring(start, readme.indexOf("```", start));
        assertThat(policy).contains("name: loan-quickstart");
        Path bundle = tmp.resolve("readme");
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("loan.veil.yaml"), policy);
        Result key = veil("key", "create", "--caller", "alice", "--role", "analyst",
                "--store", s(bundle.resolve("keys.json")));
        assertThat(key.exit()).as(key.toString()).isZero();

        Result inspect = veil("bundle", "inspect", s(bundle));

        assertThat(inspect.exit()).as(inspect.toString()).isZero();
        assertThat(inspect.outLines()).contains("ok");
    }

    @Test
    void theReferenceExampleBundleBuiltWithTheCliGivesTheDocumentedDecisions() throws Exception {
        assumeTrue(Files.isRegularFile(EXAMPLE), "docs/examples/image-classifier.veil.yaml is not at " + EXAMPLE
                + " (the test runs from sdk/veil-cli in the repository)");
        Path bundle = tmp.resolve("fashion");
        Files.createDirectories(bundle.resolve("keys"));
        Files.createDirectories(bundle.resolve("training"));
        Files.writeString(bundle.resolve(".manifest"), "{\"revision\": \"2026-11-02.1\", \"roots\": [\"\"]}");
        Files.copy(EXAMPLE, bundle.resolve("image-classifier.veil.yaml"));
        // The identity provider's public keys (the CLI does not make them). An empty JWKS would not
        // load: the bundle's JWKS must hold a key usable for the accepted algorithms.
        Files.writeString(bundle.resolve("keys/jwks.json"),
                new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate().toPublicJWK()).toString());

        Result key = veil("key", "create", "--caller", "svc", "--role", "analyst",
                "--store", s(bundle.resolve("keys/api-keys.json")));
        assertThat(key.exit()).as(key.toString()).isZero();

        Random random = new Random(7);
        int n = 50;
        ByteBuffer idx = ByteBuffer.allocate(16 + n * 784).putInt(0x803).putInt(n).putInt(28).putInt(28);
        for (int i = 0; i < n * 784; i++) {
            idx.put((byte) random.nextInt(256));
        }
        Path images = tmp.resolve("images.gz");
        Files.write(images, StatsCommandTest.gzip(idx.array()));
        Result stats = veil("stats", "--idx-images", s(images), "--data-path", "stats",
                "--out", s(bundle.resolve("training/data.json")));
        assertThat(stats.exit()).as(stats.toString()).isZero();

        Result inspect = veil("bundle", "inspect", s(bundle));
        assertThat(inspect.exit()).as(inspect.toString()).isZero();
        assertThat(inspect.outLines()).contains("revision: 2026-11-02.1", "data:     training",
                "policy:   fashion-classifier (engine yaml)", "ok");

        Path input = tmp.resolve("input.json");
        Files.writeString(input, """
                {"caller": {"id": "svc", "authenticated": true, "method": "api_key", "roles": ["analyst"]},
                 "model": {"name": "fashion", "version": "3", "age_days": 12.5},
                 "request": {"features": 784, "payload_bytes": 6272},
                 "signals": {"rate": {"level": "medium", "score": 130.0}},
                 "prediction": {"top_label": "coat", "top_score": 0.55, "margin": 0.1, "entropy": 1.2, "classes": 10}}
                """);
        Result eval = veil("eval", "--bundle", s(bundle), "--input", s(input));
        assertThat(eval.exit()).as(eval.toString()).isZero();
        JsonNode d = JsonMapper.builder().build().readTree(eval.out());
        assertThat(d.at("/access/rule").textValue()).isEqualTo("analysts");
        // inherited from the deny default
        assertThat(d.at("/access/rate_limit/per_second").doubleValue()).isEqualTo(2.0);
        assertThat(d.at("/access/rate_limit/burst").intValue()).isEqualTo(10);
        assertThat(d.at("/access/daily_quota").intValue()).isEqualTo(2000);
        assertThat(d.at("/validation/contract/distribution/features").intValue()).isEqualTo(784);
        assertThat(d.at("/monitoring/actions").findValuesAsText("rule")).containsExactly("rate-alert", "rate-degrade");
        assertThat(d.at("/output/rule").textValue()).isEqualTo("near-boundary-noise");
        assertThat(d.at("/output/release/noise/epsilon").doubleValue()).isEqualTo(0.5);
        assertThat(d.at("/logging/raw").textValue()).isEqualTo("mask");
    }
}
