package dev.veil.rego.internal.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.rego.internal.ast.ArrayComprehension;
import dev.veil.rego.internal.ast.Body;
import dev.veil.rego.internal.ast.Call;
import dev.veil.rego.internal.ast.Every;
import dev.veil.rego.internal.ast.Expr;
import dev.veil.rego.internal.ast.Import;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.ast.ObjectComprehension;
import dev.veil.rego.internal.ast.ObjectTerm;
import dev.veil.rego.internal.ast.Ref;
import dev.veil.rego.internal.ast.Rule;
import dev.veil.rego.internal.ast.Scalar;
import dev.veil.rego.internal.ast.SetComprehension;
import dev.veil.rego.internal.ast.SetTerm;
import dev.veil.rego.internal.ast.SomeDecl;
import dev.veil.rego.internal.ast.SomeIn;
import dev.veil.rego.internal.ast.TemplateString;
import dev.veil.rego.internal.ast.Term;
import dev.veil.rego.internal.ast.Var;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shapes the parser builds, one language feature at a time. */
class ParserTest {

    private static Module module(String src) {
        return Parser.parseModule("p.rego", src);
    }

    private static Rule rule(String src) {
        List<Rule> rules = module("package p\n" + src).rules();
        assertThat(rules).hasSize(1);
        return rules.get(0);
    }

    private static Term term(String src) {
        return Parser.parseTerm(src);
    }

    private static Expr expr(String src) {
        Body b = Parser.parseQuery(src);
        assertThat(b.exprs()).hasSize(1);
        return b.get(0);
    }

    @Test
    void infixOperatorsFollowOpasPrecedenceAndAssociateLeft() {
        assertThat(term("a + b * c - d / e % f")).hasToString("(a + (b * c)) - ((d / e) % f)");
        assertThat(term("1 - 2 - 3")).hasToString("(1 - 2) - 3");
        assertThat(term("a | b & c")).hasToString("a | (b & c)");
        assertThat(term("a & b | c")).hasToString("(a & b) | c");
        assertThat(term("a + 1 == b | c")).hasToString("(a + 1) == (b | c)");
        assertThat(term("x in xs == true")).hasToString("x in (xs == true)");
        assertThat(term("a < b < c")).hasToString("(a < b) < c");
        assertThat(term("(1 + 2) * 3")).hasToString("(1 + 2) * 3");
        Call c = (Call) term("a != b");
        assertThat(c.name()).isEqualTo("neq");
        assertThat(((Call) term("a >= b")).name()).isEqualTo("gte");
        assertThat(((Call) term("a % b")).name()).isEqualTo("rem");
    }

    @Test
    void assignmentUnificationAndEqualityAreDifferentCalls() {
        assertThat(expr("x := 1").call().name()).isEqualTo("assign");
        assertThat(expr("x = 1").call().name()).isEqualTo("eq");
        assertThat(expr("x == 1").call().name()).isEqualTo("equal");
        assertThat(expr("x := y + 1")).hasToString("x := y + 1");
    }

    @Test
    void membershipWithOneOrTwoVariables() {
        Call in2 = (Call) term("x in xs");
        assertThat(in2.name()).isEqualTo("internal.member_2");
        Call in3 = expr("k, v in {\"a\": 1}").call();
        assertThat(in3.name()).isEqualTo("internal.member_3");
        assertThat(in3.args()).hasSize(3);
        assertThat(((Call) term("f(x, y in z)")).args()).as("arguments never form k, v in xs").hasSize(2);
    }

    @Test
    void refsWithDotsBracketsAndCalls() {
        Ref r = (Ref) term("data.a.b[\"c d\"][x][0]");
        assertThat(r.terms()).hasSize(6);
        assertThat(r).hasToString("data.a.b[\"c d\"][x][0]");
        assertThat(term("input")).isInstanceOf(Ref.class);
        assertThat(term("inputs")).isInstanceOf(Var.class);
        Call jwt = (Call) term("io.jwt.decode(t)");
        assertThat(jwt.name()).isEqualTo("io.jwt.decode");
        assertThat(term("f(x)[0].y")).isInstanceOf(Ref.class).hasToString("f(x)[0].y");
        assertThat(term("[1, 2][0]")).isInstanceOf(Ref.class);
        assertThat(((Call) term("f()")).args()).isEmpty();
        assertThat(term("data.x.if.not")).hasToString("data.x.if.not");
    }

    @Test
    void whitespaceEndsARef() {
        Body b = Parser.parseQuery("x := [1, 2]\n[y] = x");
        assertThat(b.exprs()).hasSize(2);
    }

    @Test
    void compositesAndComprehensions() {
        assertThat(term("set()")).isInstanceOf(SetTerm.class).hasToString("set()");
        assertThat(term("{}")).isInstanceOf(ObjectTerm.class);
        assertThat(term("{1, 2, 3}")).isInstanceOf(SetTerm.class);
        assertThat(term("{\"a\": 1, x: [2]}")).isInstanceOf(ObjectTerm.class);
        assertThat(term("{1 | 1}")).as("comprehension wins over |").isInstanceOf(SetComprehension.class);
        assertThat(term("[x | x := [1][_]]")).isInstanceOf(ArrayComprehension.class);
        assertThat(term("{k: v | some k, v in o}")).isInstanceOf(ObjectComprehension.class);
        assertThat(term("[a | b, c]")).as("not a comprehension when a comma follows").hasToString("[a | b, c]");
        assertThat(term("{a + 1: b | true}")).isInstanceOf(ObjectComprehension.class);
        assertThat(term("[1, 2,]")).hasToString("[1, 2]");
        assertThat(term("[x |\n  y := 1\n  x := y\n]")).isInstanceOf(ArrayComprehension.class);
    }

    @Test
    void scalars() {
        assertThat(((Scalar) term("\"a\\n\\u00e9\\ud83d\\ude00\"")).value())
                .isEqualTo(StringValue.of("a\n\u00e9\ud83d\ude00"));
        assertThat(((Scalar) term("`raw \\n \"x\"\nline`")).value()).isEqualTo(StringValue.of("raw \\n \"x\"\nline"));
        NumberValue big = (NumberValue) ((Scalar) term("123456789012345678901234567890")).value();
        assertThat(big.toBigIntegerExact()).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(((Scalar) term("-1.50")).value().toString()).isEqualTo("-1.50");
        assertThat(((Scalar) term("1e3")).value()).isEqualTo(NumberValue.of(1000));
        assertThat(((Scalar) term(".5")).value()).isEqualTo(NumberValue.parse("0.5"));
        assertThat(term("null")).hasToString("null");
        assertThat(term("x - -1")).hasToString("x - -1");
    }

    @Test
    void wildcardsAreAllDifferent() {
        Call c = (Call) term("f(_, _)");
        assertThat(c.args()).allSatisfy(a -> assertThat(((Var) a).isWildcard()).isTrue());
        assertThat(c.args().get(0)).isNotEqualTo(c.args().get(1));
    }

    @Test
    void bodiesSeparateExpressionsByNewlineOrSemicolon() {
        Body b = Parser.parseQuery("a; b\nc\n\n  d # comment\n e");
        assertThat(b.exprs()).hasSize(5);
    }

    @Test
    void notWithSomeAndEvery() {
        Expr n = expr("not p with input.x as 1 with data.y as {\"a\": 2}");
        assertThat(n.negated()).isTrue();
        assertThat(n.withs()).hasSize(2);
        assertThat(n.withs().get(0).target()).hasToString("input.x");
        assertThat(expr("some x, y").statement()).isInstanceOf(SomeDecl.class);
        SomeIn in = (SomeIn) expr("some k, v in input.xs").statement();
        assertThat(in.key()).hasToString("k");
        assertThat(in.collection()).hasToString("input.xs");
        assertThat(((SomeIn) expr("some x in [1, 2]").statement()).key()).isNull();
        Every ev = (Every) expr("every k, v in xs { v > k; k >= 0 }").statement();
        assertThat(ev.key()).hasToString("k");
        assertThat(ev.body().exprs()).hasSize(2);
        assertThat(expr("every x in xs { x }").statement()).isInstanceOf(Every.class);
    }

    @Test
    void packageAndImports() {
        Module m = module("package a.b[\"c d\"]\nimport rego.v1\nimport future.keywords.in\nimport future.keywords\n"
                + "import data.lib.x as y\nimport input.user\nimport data.foo.as as z\np := 1");
        assertThat(m.pkg().path()).hasToString("data.a.b[\"c d\"]");
        assertThat(m.imports()).extracting(Import::name).containsExactly("v1", "in", "keywords", "y", "user", "z");
        assertThat(m.imports().get(0).isKeywordImport()).isTrue();
    }

    @Test
    void ruleKinds() {
        Rule complete = rule("p := 1");
        assertThat(complete.kind()).isEqualTo(Rule.Kind.COMPLETE);
        assertThat(complete.assign()).isTrue();
        assertThat(complete.body()).hasToString("true");

        Rule withIf = rule("allow if input.x == 1");
        assertThat(withIf.kind()).isEqualTo(Rule.Kind.COMPLETE);
        assertThat(withIf.value()).hasToString("true");
        assertThat(withIf.body()).hasToString("input.x == 1");

        Rule set = rule("deny contains msg if {\n  msg := \"no\"\n}");
        assertThat(set.kind()).isEqualTo(Rule.Kind.PARTIAL_SET);
        assertThat(set.key()).hasToString("msg");
        assertThat(set.value()).isNull();

        Rule setNoBody = rule("s contains 1");
        assertThat(setNoBody.kind()).isEqualTo(Rule.Kind.PARTIAL_SET);

        Rule obj = rule("p[x] := y if { x := 1; y := 2 }");
        assertThat(obj.kind()).isEqualTo(Rule.Kind.PARTIAL_OBJECT);
        assertThat(obj.key()).hasToString("x");

        Rule objTrue = rule("p[x] if x := 1");
        assertThat(objTrue.kind()).isEqualTo(Rule.Kind.PARTIAL_OBJECT);
        assertThat(objTrue.value()).hasToString("true");

        Rule refHead = rule("a.b[c] contains x if { c := 1; x := 2 }");
        assertThat(refHead.kind()).isEqualTo(Rule.Kind.PARTIAL_SET);
        assertThat(refHead.head()).hasToString("a.b[c]");

        Rule groundRefHead = rule("a.b.c := 1 if true");
        assertThat(groundRefHead.kind()).isEqualTo(Rule.Kind.COMPLETE);

        Rule fn = rule("f(x, y) := x + y");
        assertThat(fn.kind()).isEqualTo(Rule.Kind.FUNCTION);
        assertThat(fn.args()).hasSize(2);

        Rule dottedFn = rule("lib.f(x) = x if true");
        assertThat(dottedFn.kind()).isEqualTo(Rule.Kind.FUNCTION);
        assertThat(dottedFn.head()).hasToString("lib.f");
        assertThat(dottedFn.assign()).isFalse();
    }

    @Test
    void defaultElseAndSeveralBodies() {
        Rule d = rule("default allow := false");
        assertThat(d.isDefault()).isTrue();
        assertThat(d.value()).hasToString("false");
        Rule df = rule("default f(_) := 1");
        assertThat(df.kind()).isEqualTo(Rule.Kind.FUNCTION);

        Rule e = rule("p := 1 if {\n  input.a\n} else := 2 if {\n  input.b\n} else := 3");
        assertThat(e.elseRule().value()).hasToString("2");
        assertThat(e.elseRule().elseRule().value()).hasToString("3");
        assertThat(e.elseRule().elseRule().body()).hasToString("true");
        Rule elseIfOneLine = rule("p := 1 if input.a else := 2 if input.b");
        assertThat(elseIfOneLine.elseRule().body()).hasToString("input.b");
        Rule elseTrue = rule("q if { false } else { true }".replace("else {", "else = false if {"));
        assertThat(elseTrue.elseRule().value()).hasToString("false");

        List<Rule> two = module("package p\np if { a } { b }").rules();
        assertThat(two).hasSize(2);
        assertThat(two.get(1).body()).hasToString("b");
    }

    @Test
    void keywordsMayNameRefSteps() {
        Module m = module("package foo.if.bar\nimport data.foo.as as x\n"
                + "if.foo := 1\nnull.x contains 2\np if { as.foo == 1; null.x[1] }\ndefault not.f(_) := 1");
        assertThat(m.rules()).hasSize(4);
        assertThat(m.rules().get(0).head()).hasToString("if.foo");
        assertThat(m.rules().get(1).kind()).isEqualTo(Rule.Kind.PARTIAL_SET);
    }

    @Test
    void templateStrings() {
        TemplateString t = (TemplateString) term("$\"a {x} b {1 + 2} \\{not} {\"s\"}\"");
        assertThat(t.parts()).hasSize(6);
        assertThat(t).hasToString("$\"a {x} b {1 + 2} \\{not} s\"");
        TemplateString nested = (TemplateString) term("$\"{$\"{a}\"} {{1}} {[x | x := 1]}\"");
        assertThat(nested.parts()).hasSize(5);
        TemplateString raw = (TemplateString) term("$`multi\nline {x}`");
        assertThat(raw.raw()).isTrue();
        assertThat(term("$\"\"")).isInstanceOf(TemplateString.class);
        assertThat(expr("x := $\"{a with input as 1}\"").toString()).contains("with input as 1");
    }

    @Test
    void locationsPointAtTheStartOfEachNode() {
        Module m = module("package p\n\n  allow if {\n\tinput.user == \"x\"\n}");
        Rule r = m.rules().get(0);
        assertThat(r.location().line()).isEqualTo(3);
        assertThat(r.location().column()).isEqualTo(3);
        Expr e = r.body().get(0);
        assertThat(e.location().line()).isEqualTo(4);
        assertThat(e.location().column()).isEqualTo(2);
        assertThat(((Call) e.statement()).args().get(1).location().column()).isEqualTo(16);
        assertThat(r.location().file()).isEqualTo("p.rego");
    }
}
