package dev.veil.internal.validation;

import static dev.veil.internal.validation.CrossFieldExpression.ERROR;
import static dev.veil.internal.validation.CrossFieldExpression.FALSE;
import static dev.veil.internal.validation.CrossFieldExpression.TRUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CrossFieldExpressionTest {

    private static final Map<String, Double> VALUES = Map.of(
            "a", 2.0, "b", 3.0, "c", 4.0, "zero", 0.0, "neg", -5.0, "big", 1e200,
            "loan_amount", 500_000.0, "income", 40_000.0, "applicant.age", 17.0);

    private static CrossFieldExpression compile(String expr) {
        return CrossFieldExpression.compile("r", expr, null);
    }

    /** Evaluates with every value at the position equal to its slot. */
    private static int eval(String expr) {
        CrossFieldExpression e = compile(expr);
        double[] v = values(e);
        return e.test(v, identity(v.length));
    }

    private static String explain(String expr) {
        CrossFieldExpression e = compile(expr);
        double[] v = values(e);
        return e.explain(v, identity(v.length));
    }

    private static double[] values(CrossFieldExpression e) {
        double[] v = new double[e.features().size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = VALUES.get(e.features().get(k));
        }
        return v;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "1 + 2 * 3 == 7",
        "(1 + 2) * 3 == 9",
        "10 - 4 - 3 == 3",
        "8 / 4 / 2 == 1",
        "-2 * 3 == -6",
        "- -2 == 2",
        "-a + b == 1",
        "2 * -a == -4",
        "a * b + c == 10",
        "a + b * c == 14",
        "c / a * 3 == 6",
        "abs(neg) == 5",
        "abs(-a - b) == 5",
        "min(a, b) == 2 and max(a, b) == 3",
        "min(a, min(b, c)) == a",
        "max(abs(neg), c) == 5",
        "1.5e3 == 1500",
        ".5 == 0.5",
        "2.5E-1 == 0.25",
        "1e+2 == 100",
        "a < b",
        "a <= 2",
        "b > a",
        "b >= 3",
        "a != b",
        "not a > b",
        "not not a < b",
        "not (a > b or b > c)",
        "a > b or b < c and c > 0",
        // and binds tighter than or: true or (false and false)
        "a < b or b > c and c < 0",
        "(a > b or b < c) and c > 0",
        "a < b and b < c and c < 5",
        "loan_amount <= 20 * income",
        "applicant.age < 18",
        "  a<b  ",
        "1 < 2",
    })
    void shouldEvaluateTrueExpressions(String expr) {
        assertThat(eval(expr)).as(expr).isEqualTo(TRUE);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "1 + 2 * 3 == 9",
        "a > b",
        "a >= 3",
        "b < a",
        "b <= 2",
        "a == b",
        "a != 2",
        "not a < b",
        "a > b or b < c and c < 0",
        "(a < b or b > c) and c < 0",
        "loan_amount <= 10 * income",
    })
    void shouldEvaluateFalseExpressions(String expr) {
        assertThat(eval(expr)).as(expr).isEqualTo(FALSE);
    }

    @Test
    void shouldFailRuleOnDivisionByZeroInsteadOfPassing() {
        assertThat(eval("a / zero > 1")).isEqualTo(ERROR);
        assertThat(eval("a / zero < 1")).isEqualTo(ERROR);
        // negation and disjunction cannot turn an evaluation error into a pass
        assertThat(eval("not (a / zero > 1)")).isEqualTo(ERROR);
        assertThat(eval("a / zero > 1 or a < b")).isEqualTo(ERROR);
        assertThat(eval("a < b and a / (b - 3) > 1")).isEqualTo(ERROR);
        assertThat(eval("0 / zero == 0")).isEqualTo(ERROR);
    }

    @Test
    void shouldShortCircuitAroundAGuardedDivision() {
        assertThat(eval("zero == 0 or a / zero > 1")).isEqualTo(TRUE);
        assertThat(eval("zero != 0 and a / zero > 1")).isEqualTo(FALSE);
    }

    @Test
    void shouldExplainDivisionByZeroNamingTheSubexpression() {
        assertThat(explain("a / (b - 3) > 1"))
                .isEqualTo("rule 'r' could not be evaluated: division by zero in 'a / (b - 3)' ('(b - 3)' is 0)"
                        + " (a = 2, b = 3)");
    }

    @Test
    void shouldFailRuleOnOverflow() {
        assertThat(eval("big * big > 0")).isEqualTo(ERROR);
        assertThat(eval("1 / (big * big) == 0")).isEqualTo(ERROR);
        assertThat(explain("big * big > 0"))
                .isEqualTo("rule 'r' could not be evaluated: 'big * big' overflows (its result is not a finite number)"
                        + " (big = 1.0E200)");
    }

    @Test
    void shouldExplainAFalseRuleWithItsFeatureValues() {
        assertThat(explain("loan_amount <= 10 * income"))
                .isEqualTo("rule 'r' failed: loan_amount <= 10 * income (loan_amount = 500000, income = 40000)");
        assertThat(explain("1 > 2")).isEqualTo("rule 'r' failed: 1 > 2");
    }

    @Test
    void shouldListEachFeatureOnceInOrderOfFirstUse() {
        assertThat(compile("b + a > a * c - b").features()).containsExactly("b", "a", "c");
    }

    @Test
    void shouldReadFeaturesThroughThePositionMap() {
        CrossFieldExpression e = compile("x - y == 1");
        double[] request = {7, 100, 6};
        assertThat(e.test(request, new int[] {0, 2})).isEqualTo(TRUE);
        assertThat(e.test(request, new int[] {2, 0})).isEqualTo(FALSE);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "loan <= (10 * income| expected ')' to close the '(' at column 9, found the end of the expression at column 21",
        "(a > 1| expected ')' to close the '(' at column 1, found the end of the expression at column 7",
        "loan <=| expected a number, a feature name, a function or '(', found the end of the expression at column 8",
        "\"\"| expected a number, a feature name, a function or '(', found the end of the expression at column 1",
        "a = b| expected '==' (a single '=' is not an operator) at column 3",
        "a ! b| expected '!=' (write 'not' for negation) at column 3",
        "a && b| unexpected '&' (write 'and' / 'or') at column 3",
        "a $ b| unexpected character '$' at column 3",
        "a < b < c| comparisons cannot be chained; join them with 'and' at column 7",
        "a + (b < c) > 0| expected a number after '+', found the condition '(b < c)' at column 5",
        "a < b > 0 and c| comparisons cannot be chained; join them with 'and' at column 7",
        "a > 1 and b| expected a condition such as 'a <= b' after 'and', found the number 'b' at column 11",
        "a or b > 1| expected a condition such as 'a <= b' before 'or', found the number 'a' at column 1",
        "not a| expected a condition such as 'a <= b' after 'not', found the number 'a' at column 5",
        "a + 1| expected a condition such as 'a <= b', but the expression is a number at column 1",
        "(a < b) * 2 > 1| expected a number before '*', found the condition '(a < b)' at column 1",
        "abs(a < b) > 1| expected a number as the argument of abs, found the condition 'a < b' at column 5",
        "foo(a) > 1| unknown function 'foo'; the functions are abs(x), min(a, b), max(a, b) at column 1",
        "min(a) > 1| expected ',' and a second argument of min, found ')' at column 6",
        "abs(a, b) > 1| expected ')' after the argument of abs, found ',' at column 6",
        "max(a, b| expected ')' after the arguments of max, found the end of the expression at column 9",
        "max(a, b > 1) > 0| expected a number as the argument of max, found the condition 'b > 1' at column 8",
        "a > 1.| expected a digit after the decimal point at column 7",
        "a > 1e| expected the digits of an exponent at column 7",
        "a > 1e+x| expected the digits of an exponent at column 8",
        "10income > 1| expected an operator after the number '10' at column 3",
        "and < 1| expected a number, a feature name, a function or '(', found 'and' at column 1",
        "a > 1 )| expected an operator or the end of the expression at column 7",
        "a > 1 b| expected an operator or the end of the expression at column 7",
        "a > 1e999| number '1e999' is too large at column 5",
        "a > 1e-999| number '1e-999' is too close to 0 for a 64-bit floating point number and would read as 0;"
                + " write a larger number, or 0 at column 5",
        "a > + 1| expected a number, a feature name, a function or '(', found '+' at column 5",
    })
    void shouldRejectMalformedExpressionNamingRuleColumnAndExpectation(String expr, String expected) {
        assertThatThrownBy(() -> CrossFieldExpression.compile("cap", expr, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cross_field rule 'cap': " + expected + " of '" + expr + "'");
    }

    @Test
    void shouldRejectDoubleBarSuggestingOr() {
        assertThatThrownBy(() -> CrossFieldExpression.compile("cap", "a > 1 || b > 1", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cross_field rule 'cap': unexpected '|' (write 'and' / 'or') at column 7 of 'a > 1 || b > 1'");
    }

    @Test
    void shouldRejectUnknownFeatureWhenTheNamesAreKnown() {
        assertThatThrownBy(() -> CrossFieldExpression.compile("cap", "loan <= 10 * incme", List.of("loan", "income")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cross_field rule 'cap': unknown feature 'incme'; a rule reads only the features the "
                        + "contract lists [income, loan]: list it under features or fix the name at column 14 of "
                        + "'loan <= 10 * incme'");
    }

    @Test
    void shouldAcceptKnownFeaturesAndAnyFeatureWhenUnrestricted() {
        assertThat(CrossFieldExpression.compile("cap", "loan <= 10 * income", List.of("loan", "income")).features())
                .containsExactly("loan", "income");
        assertThat(CrossFieldExpression.compile("cap", "anything.at_all_1 > 0", null).features())
                .containsExactly("anything.at_all_1");
    }
    @Test
    void shouldRefuseNestingDeeperThanTheLimitInsteadOfOverflowingTheStack() {
        String deep = "a <= " + "(".repeat(3000) + "b" + ")".repeat(3000) + " - 14";
        assertThatThrownBy(() -> compile(deep))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cross_field rule 'r': the expression nests more than 200 levels deep (each "
                        + "parenthesis, function call, 'not' and unary '-' adds one); split it into several rules (a "
                        + "request must pass all of them) or simplify it at column 206 of");
        // Every way to nest: calls, 'not', unary minus
        for (String e : List.of(
                "abs(".repeat(5000) + "a" + ")".repeat(5000) + " > 0",
                "not ".repeat(5000) + "a > 0",
                "-".repeat(5000) + "a > 0",
                "- ".repeat(5000) + "a > 0")) {
            assertThatThrownBy(() -> compile(e)).as(e.substring(0, 20))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nests more than 200 levels");
        }
        // and long chains, which the parser reads in a loop but evaluation would descend recursively
        for (String e : List.of(
                "a" + " + a".repeat(100_000) + " > 0",
                "a > 0" + " and a > 0".repeat(100_000),
                "a > 0" + " or a > 0".repeat(100_000),
                "a" + " * a / a".repeat(100_000) + " > 0")) {
            assertThatThrownBy(() -> compile(e)).as(e.substring(0, 20))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("more than 1000 operations deep")
                    .hasMessageContaining("group a long chain with parentheses");
        }
    }

    @Test
    void shouldAcceptAndEvaluateNestingUpToTheLimit() {
        // 200 levels of nesting are accepted, 201 refused
        for (int k : new int[] {200, 201}) {
            List<String> exprs = List.of(
                    "(".repeat(k) + "a" + ")".repeat(k) + " == 2",
                    "not ".repeat(k) + "a > 0",
                    "-".repeat(k) + (k % 2 == 0 ? "a == 2" : "a == -2"),
                    "abs(".repeat(k) + "a" + ")".repeat(k) + " == 2");
            for (String e : exprs) {
                if (k == 200) {
                    assertThat(eval(e)).as(e.substring(0, 12)).isEqualTo(k % 2 == 0 || !e.startsWith("not") ? TRUE : FALSE);
                } else {
                    assertThatThrownBy(() -> compile(e)).as(e.substring(0, 12))
                            .hasMessageContaining("nests more than 200 levels");
                }
            }
        }
        // A sum of 999 features is fine (the feature, 998 additions above it, the comparison: 1000
        // operations), one more operator is refused; grouped, far longer chains are fine
        for (int k : new int[] {998, 999}) {
            for (String e : List.of("a" + " + 0".repeat(k) + " == 2", "a > 0" + " and a > 0".repeat(k))) {
                if (k == 998) {
                    assertThat(eval(e)).as("%d operators", k).isEqualTo(TRUE);
                } else {
                    assertThatThrownBy(() -> compile(e)).as("%d operators", k)
                            .hasMessageContaining("more than 1000 operations deep");
                }
            }
        }
        String group = "(0" + " + 0".repeat(99) + ")";
        assertThat(eval("a" + (" + " + group).repeat(100) + " == 2")).as("10,000 terms in groups").isEqualTo(TRUE);
    }
}
