package dev.veil.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.PolicyBundle;
import dev.veil.spi.InputContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A YAML policy's cross-field expressions are parsed once when it loads: the compiler parses each
 * one to point an error at its own {@code expr}, and the compiled contract takes those instead of
 * parsing them all again.
 */
class CrossFieldCompiledOnceTest {
    @TempDir
    Path dir;

    @Test
    void aYamlPolicysCrossFieldExpressionsAreParsedOnceAtLoad() throws IOException {
        Files.writeString(dir.resolve("policy.veil.yaml"), """
                veil: 1
                name: once
                authentication: { anonymous: true }
                access: { default: { effect: allow } }
                validation:
                  default:
                    shape: []
                    features: {income: {min: 0}, loan: {min: 0}, term: {min: 1}}
                    cross_field:
                      - {id: loan-vs-income, expr: "loan <= 20 * income"}
                      - {id: term-short, expr: "term <= 480"}
                      - {id: some-loan, expr: "loan > 0 or income > 0"}
                output: { default: { form: full } }
                """, StandardCharsets.UTF_8);
        long before = CrossFieldExpression.compiledSoFar();
        PolicyBundle.load(dir);
        assertThat(CrossFieldExpression.compiledSoFar() - before).isEqualTo(3);
    }

    @Test
    void theRulesGivenCompiledMustBeTheContracts() {
        InputContract c = new InputContract(List.of(), Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                Map.of("a", new InputContract.FeatureSpec(true, 0, 1), "b", new InputContract.FeatureSpec(true, 0, 1)),
                false, List.of(new InputContract.CrossFieldRule("r", "a <= b")), 0, null);
        List<String> known = List.of("a", "b");
        CompiledContract.compile(c, List.of(CrossFieldExpression.compile("r", "a <= b", known)));
        assertThatThrownBy(() -> CompiledContract.compile(c, List.of(CrossFieldExpression.compile("r", "b <= a", known))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cross_field rule 1 was compiled from rule 'r' (b <= a), not from 'r' (a <= b)");
        assertThatThrownBy(() -> CompiledContract.compile(c, List.of()))
                .hasMessage("the contract has 1 cross_field rules, 0 were given compiled");
    }
}
