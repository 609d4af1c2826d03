package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Calls.builtinError;
import static dev.veil.rego.internal.builtins.Calls.json;
import static dev.veil.rego.internal.builtins.Calls.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UnitsSemverUuidTest {

    @Test
    void unitsParse() {
        assertThat(json("units.parse", "\"500m\"")).isEqualTo("0.5000000000");
        assertThat(json("units.parse", "\"0.0005K\"")).isEqualTo("0.5000000000");
        assertThat(json("units.parse", "\"8k\"")).isEqualTo("8000");
        assertThat(json("units.parse", "\"1Ki\"")).isEqualTo("1024");
        assertThat(json("units.parse", "\"2MI\"")).isEqualTo("2097152");
        assertThat(json("units.parse", "\"1e3\"")).isEqualTo("1000");
        builtinError("units.parse: units.parse: no amount provided", "units.parse", "\"G\"");
        builtinError("units.parse: units.parse: could not parse amount to a number", "units.parse", "\".5.2\"");
        builtinError("units.parse: units.parse: spaces not allowed in resource strings", "units.parse", "\"1 k\"");
        builtinError("units.parse: units.parse: unit kb not recognized", "units.parse", "\"1kb\"");
        builtinError("units.parse: units.parse: exponent too large", "units.parse", "\"1e1234567\"");
        typeError("units.parse: operand 1 must be string but got number", "units.parse", "1");
    }

    @Test
    void unitsParseBytes() {
        assertThat(json("units.parse_bytes", "\"1KiB\"")).isEqualTo("1024");
        assertThat(json("units.parse_bytes", "\"4.1Mi\"")).isEqualTo("4299161");
        assertThat(json("units.parse_bytes", "\"\\\"100TIB\\\"\"")).isEqualTo("109951162777600");
        assertThat(json("units.parse_bytes", "\"1e-2KB\"")).isEqualTo("10");
        assertThat(json("units.parse_bytes", "\"5E\"")).isEqualTo("5000000000000000000");
        assertThat(json("units.parse_bytes", "\".0\"")).isEqualTo("0");
        builtinError("units.parse_bytes: units.parse_bytes: no byte amount provided", "units.parse_bytes",
                "\"foo\"");
        builtinError("units.parse_bytes: units.parse_bytes: could not parse byte amount to a number",
                "units.parse_bytes", "\"0.0.0\"");
        builtinError("units.parse_bytes: units.parse_bytes: byte unit xb not recognized", "units.parse_bytes",
                "\"1xb\"");
    }

    @Test
    void semver() {
        assertThat(json("semver.is_valid", "\"1.0.0\"")).isEqualTo("true");
        assertThat(json("semver.is_valid", "\"1.0.0-rc.1+build.5\"")).isEqualTo("true");
        assertThat(json("semver.is_valid", "\"1\"")).isEqualTo("false");
        assertThat(json("semver.is_valid", "\"1.0.0-\"")).isEqualTo("true");
        assertThat(json("semver.is_valid", "\"1.0.0-a..b\"")).isEqualTo("false");
        assertThat(json("semver.is_valid", "1")).isEqualTo("false");
        assertThat(json("semver.compare", "\"1.0.0\"", "\"2.0.0\"")).isEqualTo("-1");
        assertThat(json("semver.compare", "\"1.10.0\"", "\"1.9.0\"")).isEqualTo("1");
        assertThat(json("semver.compare", "\"1.0.0-alpha\"", "\"1.0.0\"")).isEqualTo("-1");
        assertThat(json("semver.compare", "\"1.0.0-alpha.1\"", "\"1.0.0-alpha.beta\"")).isEqualTo("-1");
        assertThat(json("semver.compare", "\"1.0.0-rc.2\"", "\"1.0.0-rc.10\"")).isEqualTo("-1");
        assertThat(json("semver.compare", "\"1.0.0+a\"", "\"1.0.0+b\"")).isEqualTo("0");
        builtinError("semver.compare: operand 1: string \"1\" is not a valid SemVer", "semver.compare", "\"1\"",
                "\"1.0.0\"");
        builtinError("semver.compare: operand 2: string \"1\" is not a valid SemVer", "semver.compare",
                "\"1.0.0\"", "\"1\"");
    }

    @Test
    void semverCompareIsAntisymmetric() {
        qt().forAll(integers().between(0, 3), integers().between(0, 3), integers().between(0, 3),
                integers().between(0, 3)).checkAssert((a, b, c, d) -> {
                    Semver.Version x = Semver.parse("1." + a + "." + b + (c == 0 ? "" : "-rc." + c));
                    Semver.Version y = Semver.parse("1." + b + "." + a + (d == 0 ? "" : "-rc." + d));
                    assertThat(Semver.compare(x, y)).isEqualTo(-Semver.compare(y, x));
                });
    }

    @Test
    void uuidRfc4122IsRandomV4AndStablePerKeyWithinOneEvaluation() {
        BuiltinContext ctx = BuiltinContext.of(0, false, new Random(7));
        Value a = Calls.call(ctx, "uuid.rfc4122", StringValue.of("k"));
        Value b = Calls.call(ctx, "uuid.rfc4122", StringValue.of("k"));
        Value c = Calls.call(ctx, "uuid.rfc4122", StringValue.of("other"));
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
        assertThat(((StringValue) a).value()).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        Value other = Calls.call(BuiltinContext.of(0, false, new Random(8)), "uuid.rfc4122", StringValue.of("k"));
        assertThat(other).isNotEqualTo(a);
    }

    @Test
    void uuidParse() {
        assertThat(json("uuid.parse", "\"00000000-0000-4000-8000-000000000000\""))
                .isEqualTo("{\"variant\":\"RFC4122\",\"version\":4}");
        assertThat(json("uuid.parse", "\"000003e8-48b9-21ee-b200-325096b39f47\"")).isEqualTo(
                "{\"clocksequence\":12800,\"domain\":\"Person\",\"id\":1000,\"macvariables\":\"local:unicast\","
                        + "\"nodeid\":\"32-50-96-b3-9f-47\",\"time\":1693566990121469600,\"variant\":\"RFC4122\","
                        + "\"version\":2}");
        assertThat(json("uuid.parse", "\"{38074da4-0b00-388d-9c3c-362de965547a}\""))
                .isEqualTo("{\"variant\":\"RFC4122\",\"version\":3}");
        assertThat(json("uuid.parse", "\"urn:uuid:38074da4-0b00-388d-9c3c-362de965547a\"")).contains("\"version\":3");
        assertThat(json("uuid.parse", "\"38074da40b00388d9c3c362de965547a\"")).contains("\"version\":3");
        assertThat(json("uuid.parse", "\"not-a-uuid\"")).isNull();
        typeError("uuid.parse: operand 1 must be string but got number", "uuid.parse", "123");
    }
}
