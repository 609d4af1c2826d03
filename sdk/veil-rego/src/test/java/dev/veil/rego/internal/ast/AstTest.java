package dev.veil.rego.internal.ast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import java.util.List;
import org.junit.jupiter.api.Test;

class AstTest {
    private static final Location L = new Location("p.rego", 3, 7);

    private static Var v(String name) {
        return new Var(L, name);
    }

    private static Scalar n(long x) {
        return new Scalar(L, NumberValue.of(x));
    }

    @Test
    void refsPrintAsRegoAndNameFunctions() {
        Ref r = new Ref(L, List.of(v("data"), Scalar.string(L, "a"), Scalar.string(L, "b c"), v("x"), n(0)));
        assertThat(r).hasToString("data.a[\"b c\"][x][0]");
        assertThat(r.dottedName()).isNull();
        assertThat(r.isGroundPath()).isFalse();
        Ref f = Ref.of(L, "io", "jwt", "decode");
        assertThat(f.dottedName()).isEqualTo("io.jwt.decode");
        assertThat(f.isGroundPath()).isTrue();
        assertThatThrownBy(() -> new Ref(L, List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void callsPrintInfixOperatorsAndMembership() {
        Call plus = new Call(L, Ref.of(L, "plus"), List.of(v("x"), n(1)));
        assertThat(plus).hasToString("x + 1");
        assertThat(new Call(L, Ref.of(L, "assign"), List.of(v("y"), plus))).hasToString("y := x + 1");
        assertThat(new Call(L, Ref.of(L, "internal", "member_3"), List.of(v("k"), v("v"), v("xs"))))
                .hasToString("k, v in xs");
        assertThat(new Call(L, Ref.of(L, "count"), List.of(v("xs")))).hasToString("count(xs)");
    }

    @Test
    void wildcardsPrintAsUnderscore() {
        assertThat(new Var(L, "$3").isWildcard()).isTrue();
        assertThat(new Var(L, "$3")).hasToString("_");
        assertThat(v("x").isWildcard()).isFalse();
    }

    @Test
    void groundnessFollowsTheTerms() {
        assertThat(new ArrayTerm(L, List.of(n(1), Scalar.string(L, "a"))).isGround()).isTrue();
        assertThat(new ArrayTerm(L, List.of(n(1), v("x"))).isGround()).isFalse();
        assertThat(new ObjectTerm(L, List.of(new ObjectTerm.Entry(Scalar.string(L, "k"), n(1)))).isGround()).isTrue();
        assertThat(new SetTerm(L, List.of())).hasToString("set()");
        assertThat(new SetComprehension(L, v("x"), Body.trueAt(L)).isGround()).isFalse();
    }

    @Test
    void scalarsHoldOnlyScalars() {
        assertThatThrownBy(() -> new Scalar(L, ArrayValue.EMPTY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a array");
    }

    @Test
    void rulesCheckKindAgainstShape() {
        Ref p = Ref.of(L, "p");
        Rule set = new Rule(L, Rule.Kind.PARTIAL_SET, false, p, null, v("x"), null, false, Body.trueAt(L), null);
        assertThat(set.headString()).isEqualTo("p contains x");
        assertThat(set.name()).isEqualTo("p");
        Rule f = new Rule(L, Rule.Kind.FUNCTION, false, Ref.of(L, "f"), List.of(v("a")), null, n(1), true,
                Body.trueAt(L), null);
        assertThat(f.headString()).isEqualTo("f(a) := 1");
        assertThatThrownBy(() -> new Rule(L, Rule.Kind.FUNCTION, false, p, null, null, n(1), true, Body.trueAt(L),
                null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("args exactly when");
        assertThatThrownBy(() -> new Rule(L, Rule.Kind.PARTIAL_SET, false, p, null, v("x"), n(1), false,
                Body.trueAt(L), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Rule(L, Rule.Kind.COMPLETE, false, p, null, null, null, false,
                Body.trueAt(L), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void importsKnowTheNameTheyBind() {
        assertThat(new Import(L, Ref.of(L, "data", "lib", "x"), null).name()).isEqualTo("x");
        assertThat(new Import(L, Ref.of(L, "input"), "req").name()).isEqualTo("req");
        assertThat(new Import(L, Ref.of(L, "rego", "v1"), null).isKeywordImport()).isTrue();
        assertThat(new Import(L, Ref.of(L, "future", "keywords", "in"), null).isKeywordImport()).isTrue();
        assertThat(new Import(L, Ref.of(L, "data", "x"), null).isKeywordImport()).isFalse();
        assertThat(new Package(L, Ref.of(L, "data", "a", "b"))).hasToString("package a.b");
    }
}
