package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Signal;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JSON Schemas in docs/ are the contract every policy engine implements: every input document
 * the Guard can build and every decision document the YAML engine returns for it must validate.
 * Inputs are generated over the complete example bundle (docs section 12), so that every rule of
 * every section can answer.
 */
class DecisionSchemaTest {
    private static final Path DOCS = Path.of("..", "docs");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Schema inputSchema;
    private static Schema decisionSchema;
    private static PolicyBundle bundle;

    @BeforeAll
    static void load() throws IOException {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        try (InputStream in = Files.newInputStream(DOCS.resolve("policy-input.schema.json"))) {
            inputSchema = registry.getSchema(in);
        }
        try (InputStream in = Files.newInputStream(DOCS.resolve("decision.schema.json"))) {
            decisionSchema = registry.getSchema(in);
        }
        bundle = PolicyBundle.load(Path.of("src", "test", "resources", "corpus", "bundles", "fashion"));
    }

    @Test
    void everyInputAndDecisionDocumentValidatesAgainstTheSchemas() {
        List<String> roles = List.of("analyst", "research", "intern", "partner");
        List<Level> levels = List.of(Level.values());
        qt().withExamples(300).forAll(integers().between(0, 15), integers().between(0, 3),
                doubles().between(0, 400), doubles().between(-1, 1))
                .checkAssert((roleMask, level, age, p) -> {
                    boolean withPrediction = p >= 0; // negative: asked before the model answered
                    double top = Math.abs(p);
                    Set<String> callerRoles = new java.util.HashSet<>();
                    for (int i = 0; i < roles.size(); i++) {
                        if ((roleMask & (1 << i)) != 0) {
                            callerRoles.add(roles.get(i));
                        }
                    }
                    Caller caller = new Caller("c" + roleMask, roleMask % 2 == 0 ? AuthMethod.API_KEY : AuthMethod.JWT,
                            callerRoles, roleMask > 7 ? "partner" : "", Map.of("tier", "gold"));
                    PolicyInput in = new PolicyInput(caller, ModelInfo.of("m", "1", Instant.EPOCH), age, 784, 6272,
                            List.of(), List.of(new Signal("rate", levels.get(level), level * 60.0)), false,
                            withPrediction ? new PredictionSummary("shirt", top, top / 2, 1 - top, 10) : null);
                    JsonNode inputDoc = JSON.valueToTree(in.toDocument());
                    assertThat(inputSchema.validate(inputDoc)).as("input %s", inputDoc).isEmpty();
                    JsonNode decisions = JSON.valueToTree(bundle.evaluate(in.toDocument()));
                    assertThat(decisionSchema.validate(decisions)).as("decisions %s", decisions).isEmpty();
                });
    }

    @Test
    void theSchemasRefuseADocumentThatBreaksTheContract() throws IOException {
        JsonNode good = JSON.valueToTree(bundle.evaluate(Map.of()));
        assertThat(decisionSchema.validate(good)).isEmpty();
        com.fasterxml.jackson.databind.node.ObjectNode bad = good.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) bad.get("access")).put("allow", "yes");
        assertThat(decisionSchema.validate(bad)).isNotEmpty();
        com.fasterxml.jackson.databind.node.ObjectNode missing = good.deepCopy();
        missing.remove("output");
        assertThat(decisionSchema.validate(missing)).isNotEmpty();
    }
}
