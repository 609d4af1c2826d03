package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static dev.veil.internal.bundle.Fixtures.errors;
import static dev.veil.internal.bundle.Fixtures.run;
import static dev.veil.internal.bundle.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleLoaderDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void shouldLoadDirectoryWithManifestDataAndPolicies() {
        write(dir, ".manifest", "{\"revision\": \"r42\", \"roots\": [\"veil\", \"/models/\"],"
                + " \"metadata\": {\"owner\": \"ml-team\"}, \"rego_version\": 1}");
        write(dir, "veil/data.json", "{\"limits\": {\"rate\": 10}}");
        write(dir, "veil/keys/data.yaml", "alice: 1\nbob: [1, 2]\n");
        write(dir, "models/data.yml", "iris: {version: 3}\n");
        write(dir, "veil/policy.rego", "package veil\n");
        write(dir, "access.veil.yaml", "access: {}\n");

        LoadedBundle b = BundleLoader.load(dir);

        assertThat(b.source()).isEqualTo(dir.toString());
        assertThat(b.revision()).isEqualTo("r42");
        assertThat(b.roots()).containsExactly("veil", "models");
        assertThat(b.manifest().metadata()).containsEntry("owner", "ml-team");
        assertThat(b.manifest().regoVersion()).isEqualTo(1);
        assertThat(b.files()).containsExactly(".manifest", "access.veil.yaml", "models/data.yml", "veil/data.json",
                "veil/keys/data.yaml", "veil/policy.rego");
        assertThat(new String(b.read("veil/policy.rego"), StandardCharsets.UTF_8)).isEqualTo("package veil\n");
        assertThat(b.data("veil.limits.rate")).isEqualTo(10L);
        assertThat(b.data("veil.keys.bob")).isEqualTo(List.of(1L, 2L));
        assertThat(b.data("models.iris.version")).isEqualTo(3L);
        assertThat(b.data()).containsOnlyKeys("veil", "models");
    }

    @Test
    void shouldDefaultRevisionAndRootsWithoutManifest() {
        write(dir, "data.json", "{\"a\": 1}");
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.revision()).isEmpty();
        assertThat(b.roots()).containsExactly("");
        assertThat(b.manifest()).isEqualTo(Manifest.DEFAULT);
    }

    @Test
    void shouldLoadEmptyDirectoryAsEmptyBundle() {
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.files()).isEmpty();
        assertThat(b.data()).isEmpty();
    }

    @Test
    void shouldConvertValuesToPlainJavaTypes() {
        write(dir, "data.json", "{\"i\": 7, \"neg\": -9223372036854775808, \"big\": 123456789012345678901234567890,"
                + " \"d\": 0.5, \"e\": 1e3, \"s\": \"x\", \"t\": true, \"f\": false, \"n\": null, \"l\": [1, \"a\"]}");
        Map<String, Object> d = BundleLoader.load(dir).data();
        assertThat(d.get("i")).isEqualTo(7L);
        assertThat(d.get("neg")).isEqualTo(Long.MIN_VALUE);
        assertThat(d.get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(d.get("d")).isEqualTo(0.5d);
        assertThat(d.get("e")).isEqualTo(1000.0d);
        assertThat(d.get("s")).isEqualTo("x");
        assertThat(d.get("t")).isEqualTo(Boolean.TRUE);
        assertThat(d.get("f")).isEqualTo(Boolean.FALSE);
        assertThat(d).containsEntry("n", null);
        assertThat(d.get("l")).isEqualTo(List.of(1L, "a"));
        assertThat(d.keySet()).containsExactly("i", "neg", "big", "d", "e", "s", "t", "f", "n", "l");
    }

    /**
     * OPA reads data.yaml with go-yaml v2 ({@code y} is true), YAML 1.2 tools with the core schema
     * ({@code yes} and {@code 0o10} are strings, {@code 010} is 10), Jackson as YAML 1.1 ({@code 010} is 8):
     * an unquoted scalar they disagree on is an error, not a guess.
     */
    @Test
    void shouldRejectUnquotedYamlScalarsWhoseMeaningDependsOnTheReader() {
        write(dir, "data.yaml", "a: 1\nregions: [GB, NO, y, n]\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("data.yaml");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(15);
        assertThat(e.message()).isEqualTo("unquoted NO at regions[1] is the boolean false to some YAML readers and"
                + " the string \"NO\" to others; write false for a boolean, or quote it (\"NO\") for a string");

        Map<String, String> cases = new LinkedHashMap<>();
        for (String bool : List.of("y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off",
                "Off", "OFF")) {
            cases.put(bool, "is the boolean");
        }
        for (String number : List.of("010", "0777", "0x10", "-0x1F", "0b101", "1_000", "0x_1", "00", "+0b1")) {
            cases.put(number, "is a number not written in plain decimal");
        }
        cases.put("1_0.5", "is a number written with '_' or ':'");
        cases.put("0.1_", "is a number written with '_' or ':'");
        for (String number : List.of("08", "0o10", "0O10", "0X10", "0B11", "1e3_", "0_", "-0o7")) {
            cases.put(number, "is a string to this YAML reader but a number to others");
        }
        cases.put("1:30", "is a base-60 number to YAML 1.1 readers");
        cases.put("-190:20:30.15", "is a number written with '_' or ':'");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            write(dir, "data.yaml", "k: [1, " + c.getKey() + "]\n");
            PolicyError ce = error(() -> BundleLoader.load(dir));
            assertThat(ce.message()).as(c.getKey())
                    .startsWith("unquoted " + c.getKey() + " at k[1] " + c.getValue())
                    .contains("quote it (\"" + c.getKey() + "\") for a string");
            assertThat(ce.column()).as(c.getKey()).isEqualTo(8);
        }
        for (String nonFinite : List.of(".inf", "-.inf", "+.Inf", ".nan", ".NaN")) {
            write(dir, "data.yaml", "k: [1, " + nonFinite + "]\n");
            assertThat(error(() -> BundleLoader.load(dir)).message()).as(nonFinite).isEqualTo("unquoted " + nonFinite
                    + " at k[1] is an infinity or NaN, which a bundle cannot hold (JSON has neither); write a finite"
                    + " number, or quote it (\"" + nonFinite + "\") for a string");
        }
        write(dir, "data.yaml", "x:\n  <<: {a: 1}\n  b: 2\n");
        PolicyError merge = error(() -> BundleLoader.load(dir));
        assertThat(merge.message()).isEqualTo("merge key << at x[\"<<\"]: YAML readers differ on it (OPA's merges the mapping"
                + " in, this one keeps a key \"<<\"); write the keys out");
        assertThat(merge.line()).isEqualTo(2);
        assertThat(error(() -> BundleLoader.load(writeData("k: !!int '010'\n"))).message())
                .startsWith("unquoted 010 at k is a number not written in plain decimal");
        assertThat(error(() -> BundleLoader.load(writeData("k: !!bool yes\n"))).message())
                .startsWith("unquoted yes at k is the boolean true");
    }

    /**
     * go-yaml turns typed keys into strings: OPA would see {@code "true"} for {@code yes:} and {@code "8"} for
     * {@code 010:}, and refuses a null key.
     */
    @Test
    void shouldRejectUnquotedYamlKeysThatAnotherReaderReadsAsAnotherKey() {
        for (String key : List.of("yes", "y", "Off", "True", "FALSE", "null", "Null", "~", "010", "0x1", "1.5", "1e3",
                "+1", "-0", "08", "1:30", "1_000", "1234567890123456789")) {
            write(dir, "data.yaml", "a:\n  " + key + ": 1\n");
            PolicyError e = error(() -> BundleLoader.load(dir));
            assertThat(e.message()).as(key).startsWith("unquoted key " + key + " at a").endsWith(" is a boolean,"
                    + " null or number to some YAML readers, which then use another key (OPA would not see \"" + key
                    + "\"); quote the key (\"" + key + "\")");
            assertThat(e.line()).as(key).isEqualTo(2);
            assertThat(e.column()).as(key).isEqualTo(3);
        }
        write(dir, "data.yaml", "true: 1\nfalse: 2\n'null': 3\n0: 4\n-12: 5\n123456789012345678: 6\nyes_no: 7\n"
                + "'yes': 8\n\"010\": 9\nv1.5: 10\n");
        assertThat(BundleLoader.load(dir).data().keySet()).containsExactly("true", "false", "null", "0", "-12",
                "123456789012345678", "yes_no", "yes", "010", "v1.5");
    }

    @Test
    void shouldReadYamlScalarsEveryReaderAgreesOn() {
        write(dir, "data.yaml", """
                t: [true, True, TRUE, false, False, FALSE]
                z: [null, Null, NULL, ~, '']
                i: [0, 7, -7, +7, -0, 9223372036854775807, 123456789012345678901234567890]
                f: [0.5, -1.25, .5, 1., 1e3, 1E-3, +2.5e+2, 01.5, 09.5]
                s: [yes please, 'yes', "no", 'y', "010", '0x10', !!str on, tRue, nO, 2001-12-14, x1, 1.2.3, 0xG, v010]
                b: |
                  010
                """);
        Map<String, Object> d = BundleLoader.load(dir).data();
        assertThat(d.get("t")).isEqualTo(List.of(true, true, true, false, false, false));
        assertThat(d.get("z")).isEqualTo(Arrays.asList(null, null, null, null, ""));
        assertThat(d.get("i")).isEqualTo(List.of(0L, 7L, -7L, 7L, 0L, Long.MAX_VALUE,
                new BigInteger("123456789012345678901234567890")));
        assertThat(d.get("f")).isEqualTo(List.of(0.5, -1.25, 0.5, 1.0, 1000.0, 0.001, 250.0, 1.5, 9.5));
        assertThat(d.get("s")).isEqualTo(List.of("yes please", "yes", "no", "y", "010", "0x10", "on", "tRue", "nO",
                "2001-12-14", "x1", "1.2.3", "0xG", "v010"));
        assertThat(d.get("b")).isEqualTo("010\n");
    }

    private Path writeData(String yaml) {
        write(dir, "data.yaml", yaml);
        return dir;
    }

    @Test
    void shouldBeDeeplyImmutable() {
        write(dir, "data.json", "{\"a\": {\"b\": [1]}}");
        write(dir, "x.rego", "package x\n");
        LoadedBundle b = BundleLoader.load(dir);
        assertThatThrownBy(() -> b.data().put("z", 1)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> a = (Map<String, Object>) b.data().get("a");
        assertThatThrownBy(() -> a.put("z", 1)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) a.get("b");
        assertThatThrownBy(() -> list.add(2)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> b.files().add("y")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> b.roots().add("y")).isInstanceOf(UnsupportedOperationException.class);
        b.read("x.rego")[0] = 'X';
        assertThat(b.read("x.rego")[0]).isEqualTo((byte) 'p');
    }

    @Test
    void shouldRejectReadingAFileNotInTheBundle() {
        LoadedBundle b = BundleLoader.load(dir);
        assertThatThrownBy(() -> b.read("nope.rego")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nope.rego'");
    }

    @Test
    void shouldMergeObjectsFromSeveralFilesRecursively() {
        write(dir, "data.json", "{\"veil\": {\"a\": 1, \"nested\": {\"x\": 1}}}");
        write(dir, "veil/data.yaml", "b: 2\nnested: {'y': 2}\n");
        write(dir, "veil/data.json", "{\"c\": 3}");
        write(dir, "veil/nested/data.json", "{\"z\": 3}");
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.data("veil.a")).isEqualTo(1L);
        assertThat(b.data("veil.b")).isEqualTo(2L);
        assertThat(b.data("veil.c")).isEqualTo(3L);
        assertThat(Fixtures.asMap(b.data("veil.nested"))).containsOnlyKeys("x", "y", "z");
    }

    @Test
    void shouldPlaceNonObjectDataFileAtItsDirectory() {
        write(dir, "lists/allowed/data.json", "[\"a\", \"b\"]");
        write(dir, "flag/data.yaml", "true\n");
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.data("lists.allowed")).isEqualTo(List.of("a", "b"));
        assertThat(b.data("flag")).isEqualTo(true);
    }

    @Test
    void shouldRejectSameKeyInTwoFilesNamingBoth() {
        write(dir, "data.json", "{\"veil\": {\"rate\": 10}}");
        write(dir, "veil/data.yaml", "rate: 20\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("veil/data.yaml");
        assertThat(e.message()).contains("data.veil.rate").contains("data.json").contains("veil/data.yaml");
    }

    @Test
    void shouldRejectJsonAndYamlDataInTheSameDirectoryDefiningTheSameKey() {
        write(dir, "a/data.json", "{\"k\": 1}");
        write(dir, "a/data.yml", "k: 1\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).contains("data.a.k").contains("a/data.json").contains("a/data.yml");
    }

    @Test
    void shouldRejectObjectMergedIntoNonObjectNamingBothFiles() {
        write(dir, "a/data.json", "[1]");
        write(dir, "a/b/data.json", "{\"k\": 1}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("a/b/data.json");
        assertThat(e.message()).contains("data.a is defined both in a/data.json and in a/b/data.json");
    }

    @Test
    void shouldQuoteKeysThatAreNotIdentifiersInConflictMessages() {
        write(dir, "data.json", "{\"x.y\": 1}");
        write(dir, "x.y/data.json", "{}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).contains("data[\"x.y\"]");
    }

    @Test
    void shouldRejectTopLevelDataThatIsNotAnObject() {
        write(dir, "data.json", "[1, 2]");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("data.json");
        assertThat(e.message()).contains("top-level data file must hold an object, was an array");
    }

    @Test
    void shouldReportJsonSyntaxErrorWithLineAndColumn() {
        write(dir, "veil/data.json", "{\n  \"a\": 1,\n  \"b\": x\n}\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("veil/data.json");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.column()).isEqualTo(8);
        assertThat(e.message()).startsWith("syntax error: Unrecognized token 'x'");
        assertThat(e.toString()).startsWith("veil/data.json:3:8: syntax error");
    }

    @Test
    void shouldReportYamlSyntaxErrorWithLineAndColumn() {
        write(dir, "data.yaml", "a: [1, 2\nb: 3\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("data.yaml");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(2);
        assertThat(e.message())
                .isEqualTo("syntax error: while parsing a flow sequence: expected ',' or ']', but got :");
    }

    @Test
    void shouldKeepFileContentOutOfExceptionMessages() {
        byte[] yaml = "password: [hunter2, x\nb: 1\n".getBytes(StandardCharsets.UTF_8);
        byte[] json = "{\"password\": \"hunter2\", \"b\": }".getBytes(StandardCharsets.UTF_8);
        for (PolicyLoadException e : List.of(
                catchThrowableOfType(PolicyLoadException.class,
                        () -> DocumentParser.parse(yaml, DocumentParser.Format.YAML, "data.yaml")),
                catchThrowableOfType(PolicyLoadException.class,
                        () -> DocumentParser.parse(json, DocumentParser.Format.JSON, "data.json")))) {
            assertThat(e).isNotNull();
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain("hunter2");
            }
        }
    }

    @Test
    void shouldReportEveryBrokenFileAtOnce() {
        write(dir, "a/data.json", "{");
        write(dir, "b/data.yaml", "x: [\n");
        write(dir, ".manifest", "{\"revison\": \"typo\"}");
        List<PolicyError> errors = errors(() -> BundleLoader.load(dir));
        assertThat(errors).extracting(PolicyError::file).containsExactly(".manifest", "a/data.json", "b/data.yaml");
    }

    @Test
    void shouldRejectDuplicateKeyWithPosition() {
        write(dir, "data.json", "{\"a\": 1,\n \"a\": 2}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).isEqualTo("duplicate key 'a'");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(2);
    }

    @Test
    void shouldRejectDuplicateYamlKey() {
        write(dir, "data.yaml", "a: 1\na: 2\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).isEqualTo("duplicate key 'a'");
        assertThat(e.line()).isEqualTo(2);
    }

    @Test
    void shouldRejectNumberBeyondDoubleRange() {
        write(dir, "data.json", "{\"a\": 1e400}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).isEqualTo("number 1e400 at a is out of range (not a finite 64-bit floating point"
                + " number, whose largest is about 1.8e308); write a smaller number");
        assertThat(e.line()).isEqualTo(1);
    }

    /** A lone surrogate is hashed (as OPA does) as U+FFFD: loading it would load what was not signed. */
    @Test
    void shouldRejectUnpairedSurrogatesNamingWhereTheyAre() {
        write(dir, "a/data.json", "{\"list\": [\"ok\", {\"s\": \"x\\ud800\"}]}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("a/data.json");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.message()).isEqualTo("the string at list[1].s holds an unpaired surrogate \\ud800, which is not"
                + " a Unicode character; write the character itself, or both halves of a surrogate pair");

        write(dir, "a/data.json", "{\"k \\ud800\": 1}"); // Jackson's own check, for keys
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("syntax error: Broken surrogate pair");

        write(dir, "a/data.json", "\"\\ud83d\"");
        assertThat(error(() -> BundleLoader.load(dir)).message())
                .startsWith("the string at (top level) holds an unpaired surrogate \\ud83d,");

        write(dir, "a/data.json", "{\"pair\": \"\\ud83d\\ude00\"}");
        assertThat(BundleLoader.load(dir).data()).isEqualTo(Map.of("a", Map.of("pair", "\ud83d\ude00")));
    }

    @Test
    void shouldRejectUnpairedSurrogatesInYaml() {
        write(dir, "data.yaml", "a:\n  - \"\\ud800\"\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("data.yaml");
        assertThat(e.message()).startsWith("the string at a[0] holds an unpaired surrogate \\ud800,");
        write(dir, "data.yaml", "\"x\\udc00\": 1\n");
        assertThat(error(() -> BundleLoader.load(dir)).message())
                .startsWith("the key at [\"x\\udc00\"] holds an unpaired surrogate \\udc00,");
    }

    @Test
    void shouldRejectYamlAliases() {
        write(dir, "data.yaml", "a: &x 5\nb: *x\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).contains("YAML aliases (*x) are not supported");
        assertThat(e.line()).isEqualTo(2);
    }

    @Test
    void shouldRejectYamlBinaryValues() {
        write(dir, "data.yaml", "a: !!binary aGVsbG8=\n");
        assertThat(error(() -> BundleLoader.load(dir)).message()).contains("binary and other tagged YAML values");
    }

    @Test
    void shouldRejectSecondYamlDocument() {
        write(dir, "data.yaml", "a: 1\n---\nb: 2\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).contains("more than one YAML document");
    }

    @Test
    void shouldRejectTrailingJsonValue() {
        write(dir, "data.json", "{} {}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).contains("unexpected content after the end");
    }

    @Test
    void shouldRejectEmptyDataFile() {
        write(dir, "data.json", "");
        assertThat(error(() -> BundleLoader.load(dir)).message()).isEqualTo("file is empty; expected a JSON document");
    }

    @Test
    void shouldRejectNonFiniteYamlNumber() {
        write(dir, "data.yaml", "a: .inf\n");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).contains(".inf");
        assertThat(e.line()).isEqualTo(1);
    }

    @Test
    void shouldRejectDeeplyNestedDocument() {
        write(dir, "data.json", "{\"a\": " + "[".repeat(2000) + "]".repeat(2000) + "}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).contains("nesting depth");
    }

    @Test
    void shouldAcceptYamlLargerThanSnakeyamlsDefaultLimit() {
        StringBuilder sb = new StringBuilder("items:\n");
        while (sb.length() < 3_500_000) {
            sb.append("  - abcdefghijklmnopqrstuvwxyz0123456789\n");
        }
        write(dir, "data.yaml", sb.toString());
        assertThat((List<?>) BundleLoader.load(dir).data("items")).isNotEmpty();
    }

    @Test
    void shouldRejectUnknownManifestKeyWithPosition() {
        write(dir, ".manifest", "{\n  \"revision\": \"1\",\n  \"root\": [\"veil\"]\n}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo(".manifest");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.column()).isEqualTo(3);
        assertThat(e.message()).isEqualTo("unknown key 'root'; a manifest may hold only revision, roots, metadata,"
                + " rego_version, file_rego_versions, wasm");
    }

    @Test
    void shouldAcceptOpaManifestKeys() {
        write(dir, ".manifest", "{\"revision\": \"\", \"roots\": [\"\"], \"rego_version\": 1,"
                + " \"file_rego_versions\": {\"*/new.rego\": 1}, \"wasm\": [{\"entrypoint\": \"a/b\","
                + " \"module\": \"/policy.wasm\"}], \"metadata\": {}}");
        Manifest m = BundleLoader.load(dir).manifest();
        assertThat(m.regoVersion()).isEqualTo(1);
        assertThat(m.fileRegoVersions()).containsEntry("*/new.rego", 1L);
        assertThat(m.wasm()).hasSize(1);
    }

    @Test
    void shouldRefuseRegoV0InTheManifestSayingVeilRunsV1Only() {
        write(dir, ".manifest", "{\"revision\": \"\", \"roots\": [\"\"], \"rego_version\": 0,"
                + " \"file_rego_versions\": {\"*/legacy.rego\": 0}}");
        List<PolicyError> errors = errors(() -> BundleLoader.load(dir));
        assertThat(errors).extracting(PolicyError::message).containsExactly(
                "'rego_version' 0 (Rego v0 syntax, rules without 'if') is not supported: Veil runs Rego v1 only; "
                        + "write the modules in v1 syntax and drop the key or set it to 1",
                "'file_rego_versions' names files of Rego v0 syntax (0), which Veil does not support: it runs Rego "
                        + "v1 only; write those modules in v1 syntax");
    }

    @Test
    void shouldRejectManifestValuesOfTheWrongType() {
        write(dir, ".manifest", "{\"revision\": 3, \"roots\": \"veil\", \"metadata\": [], \"rego_version\": 2,"
                + " \"wasm\": {}, \"file_rego_versions\": {\"x\": \"v1\"}}");
        List<PolicyError> errors = errors(() -> BundleLoader.load(dir));
        assertThat(errors).extracting(PolicyError::message).containsExactly(
                "'revision' must be a string, was a number",
                "'roots' must be a list of strings, was a string",
                "'metadata' must be an object, was an array",
                "'rego_version' must be 1 (Veil runs Rego v1 only), was 2",
                "'wasm' must be a list of objects, was an object",
                "'file_rego_versions' must be an object whose values are 1 (Veil runs Rego v1 only)");
        assertThat(errors).allSatisfy(e -> assertThat(e.line()).isEqualTo(1));
    }

    @Test
    void shouldRejectRootsHoldingNonStrings() {
        write(dir, ".manifest", "{\"roots\": [\"a\", 1]}");
        assertThat(error(() -> BundleLoader.load(dir)).message())
                .isEqualTo("'roots' must be a list of strings, was a list holding a number");
    }

    @Test
    void shouldRejectManifestThatIsNotAnObject() {
        write(dir, ".manifest", "[]");
        assertThat(error(() -> BundleLoader.load(dir)).message())
                .isEqualTo("the manifest must be a JSON object, was an array");
    }

    @Test
    void shouldRejectOverlappingRoots() {
        write(dir, ".manifest", "{\"roots\": [\"veil\", \"veil/keys\"]}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).contains("'roots' overlap: 'veil' and 'veil/keys'");
    }

    @Test
    void shouldRejectDataFileOutsideEveryRootNamingIt() {
        write(dir, ".manifest", "{\"roots\": [\"veil\"]}");
        write(dir, "veil/data.json", "{\"ok\": 1}");
        write(dir, "other/data.json", "{\"x\": 1}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("other/data.json");
        assertThat(e.message()).isEqualTo("data.other (path /other) is outside the manifest roots [\"veil\"]; move the"
                + " file under a root or add a root to .manifest");
    }

    @Test
    void shouldRejectTopLevelKeyOutsideRootsNamingTheTopLevelFile() {
        write(dir, ".manifest", "{\"roots\": [\"veil/keys\"]}");
        write(dir, "data.json", "{\"veil\": {\"keys\": {\"a\": 1}, \"rate\": 3}}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("data.json");
        assertThat(e.message()).startsWith("data.veil.rate (path /veil/rate) is outside");
    }

    @Test
    void shouldAcceptDataInsideNestedRoot() {
        write(dir, ".manifest", "{\"roots\": [\"veil/keys\", \"models\"]}");
        write(dir, "veil/keys/data.json", "{\"a\": 1}");
        write(dir, "data.json", "{\"models\": {\"m\": 1}, \"veil\": {\"keys\": {\"b\": 2}}}");
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(Fixtures.asMap(b.data("veil.keys")).keySet()).containsExactly("b", "a");
    }

    @Test
    void shouldNotTreatRootAsStringPrefix() {
        write(dir, ".manifest", "{\"roots\": [\"veil\"]}");
        write(dir, "veilx/data.json", "{}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("data.veilx (path /veilx) is outside");
    }

    @Test
    void shouldRejectAllDataWhenRootsAreEmpty() {
        write(dir, ".manifest", "{\"roots\": []}");
        write(dir, "data.json", "{\"a\": 1}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).contains("outside the manifest roots []");
    }

    @Test
    void shouldIgnoreHiddenFilesAndGitDirectory() {
        write(dir, ".git/config", "[core]\n");
        write(dir, ".git/objects/data.json", "not json");
        write(dir, ".hidden.rego", "package hidden\n");
        write(dir, "sub/.secret/data.json", "{}");
        write(dir, "sub/.env", "X=1");
        write(dir, "sub/ok.rego", "package ok\n");
        write(dir, ".signatures.json", "{\"signatures\": []}");
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.files()).containsExactly(".signatures.json", "sub/ok.rego");
    }

    @Test
    void shouldFollowSymlinkThatStaysInsideTheBundle() throws Exception {
        write(dir, "..2024_01_01/data.json", "{\"a\": 1}");
        Files.createSymbolicLink(dir.resolve("..data"), dir.resolve("..2024_01_01"));
        Files.createSymbolicLink(dir.resolve("data.json"), Path.of("..data/data.json"));
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.files()).containsExactly("data.json");
        assertThat(b.data("a")).isEqualTo(1L);
    }

    /** A ConfigMap volume as Kubernetes writes it: version directories, ..data, and visible links into it. */
    private void configMap(String... versions) throws Exception {
        for (String v : versions) {
            write(dir, "..v_" + v + "/.manifest", "{\"revision\": \"" + v + "\"}");
            write(dir, "..v_" + v + "/veil/data.json", "{\"version\": \"" + v + "\"}");
        }
        Files.createSymbolicLink(dir.resolve("..data"), Path.of("..v_" + versions[0]));
        Files.createSymbolicLink(dir.resolve(".manifest"), Path.of("..data/.manifest"));
        Files.createSymbolicLink(dir.resolve("veil"), Path.of("..data/veil"));
    }

    private void swapDataTo(String version) throws Exception {
        Path tmp = dir.resolve("..data_tmp");
        Files.createSymbolicLink(tmp, Path.of("..v_" + version));
        Files.move(tmp, dir.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aConfigMapVolumeIsReadFromTheVersionItsDataLinkNames() throws Exception {
        configMap("a", "b");
        LoadedBundle a = BundleLoader.load(dir);
        assertThat(a.files()).containsExactly(".manifest", "veil/data.json");
        assertThat(a.revision()).isEqualTo("a");
        assertThat(a.data("veil.version")).isEqualTo("a");
        swapDataTo("b");
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.revision()).isEqualTo("b");
        assertThat(b.data("veil.version")).isEqualTo("b");
    }

    @Test
    void aConfigMapUpdatedDuringLoadsNeverMixesTwoVersions() throws Exception {
        configMap("a", "b");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread swapper = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    swapDataTo(i % 2 == 0 ? "b" : "a");
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        swapper.start();
        int loads = 0;
        try {
            long end = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < end) {
                LoadedBundle b = BundleLoader.load(dir);
                assertThat(b.data("veil.version")).as("load %d", loads).isEqualTo(b.revision());
                loads++;
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertThat(loads).isPositive();
    }

    @Test
    void shouldRejectSymlinkThatLeavesTheBundle(@TempDir Path outside) throws Exception {
        Path bundle = dir.resolve("bundle");
        Files.createDirectories(bundle);
        write(outside, "secret.txt", "s3cret");
        Files.createSymbolicLink(bundle.resolve("leak.txt"), outside.resolve("secret.txt"));
        PolicyError e = error(() -> BundleLoader.load(bundle));
        assertThat(e.file()).isEqualTo("leak.txt");
        assertThat(e.message()).contains("symbolic link points outside the bundle directory");
    }

    @Test
    void shouldRejectSymlinkedDirectoryThatLeavesTheBundle(@TempDir Path outside) throws Exception {
        write(outside, "data.json", "{}");
        Files.createSymbolicLink(dir.resolve("ext"), outside);
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("ext");
        assertThat(e.message()).contains("outside the bundle directory");
    }

    @Test
    void shouldRejectBrokenSymlink() throws Exception {
        Files.createSymbolicLink(dir.resolve("gone.rego"), dir.resolve("missing.rego"));
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("gone.rego");
        assertThat(e.message()).isEqualTo("broken symbolic link");
    }

    /** Two files linked to each other: a loop, not a broken link (an adversarial review). */
    @Test
    void shouldNameALoopOfFileLinks() throws Exception {
        Files.createSymbolicLink(dir.resolve("a"), Path.of("b"));
        Files.createSymbolicLink(dir.resolve("b"), Path.of("a"));
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isIn("a", "b");
        assertThat(e.message()).isEqualTo("symbolic link loop: the links lead back to themselves and reach no file");
    }

    /** A chain of links longer than the system follows, to a file that exists: not a broken link either. */
    @Test
    void shouldNameAChainOfLinksTooLongToFollow() throws Exception {
        Files.writeString(dir.resolve("end.json"), "{}");
        Files.createSymbolicLink(dir.resolve("l0"), Path.of("end.json"));
        for (int i = 1; i <= 44; i++) {
            Files.createSymbolicLink(dir.resolve("l" + i), Path.of("l" + (i - 1)));
        }
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.message()).isEqualTo("too many levels of symbolic links (more than 40 in a chain, the most the "
                + "system follows): link the file directly");
    }

    @Test
    void shouldRejectSymlinkLoop() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createSymbolicLink(dir.resolve("a/loop"), dir);
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("a/loop");
        assertThat(e.message()).contains("symbolic link loop");
    }

    @Test
    void shouldRejectFifo() {
        run(dir, "mkfifo", "pipe");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("pipe");
        assertThat(e.message()).contains("not a regular file");
    }

    /** Points the link {@code link} at {@code target} atomically (a new link renamed over it). */
    private static void relink(Path link, Path target) throws Exception {
        Path tmp = link.resolveSibling(".relink");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Loads the bundle {@code dir} again and again for a second and a half while another thread
     * points {@code x/data.json} at {@code other} and back at {@code .in/data.json}; each load runs
     * with a deadline, and each one that succeeds must have read the file inside the bundle.
     */
    private int loadWhileSwapping(Path other) throws Exception {
        write(dir, ".in/data.json", "{\"v\": \"inside\"}");
        Files.createDirectories(dir.resolve("x"));
        Path link = dir.resolve("x/data.json");
        Path inside = dir.resolve(".in/data.json");
        Files.createSymbolicLink(link, inside);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread swapper = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    relink(link, i % 2 == 0 ? other : inside);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        java.util.concurrent.ExecutorService loader = java.util.concurrent.Executors.newSingleThreadExecutor();
        swapper.start();
        int loaded = 0;
        try {
            long end = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < end) {
                java.util.concurrent.Future<Object> f = loader.submit(() -> {
                    try {
                        return BundleLoader.load(dir).data("x.v");
                    } catch (PolicyLoadException e) {
                        return null; // refused: the link was outside, or changed, when it was checked
                    }
                });
                Object v;
                try {
                    v = f.get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("a load blocked for 10 s", e);
                }
                if (v != null) {
                    assertThat(v).as("what a load read").isEqualTo("inside");
                    loaded++;
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
            loader.shutdownNow();
        }
        return loaded;
    }

    @Test
    void aLinkSwappedDuringLoadsNeverReadsAFileOutsideTheBundle(@TempDir Path outside) throws Exception {
        write(outside, "data.json", "{\"v\": \"outside\"}");
        assertThat(loadWhileSwapping(outside.resolve("data.json"))).isPositive();
    }

    @Test
    void aLinkSwappedToAFifoDuringLoadsNeverBlocksTheLoad() throws Exception {
        Files.createDirectories(dir.resolve(".in"));
        run(dir.resolve(".in"), "mkfifo", "pipe");
        Path pipe = dir.resolve(".in/pipe");
        try {
            assertThat(loadWhileSwapping(pipe)).isPositive();
        } finally {
            // Releases a load blocked opening the FIFO (read-write does not block), so the test ends.
            new java.io.RandomAccessFile(pipe.toFile(), "rw").close();
        }
    }

    @Test
    void shouldRejectFileOverTheSizeLimit() {
        write(dir, "big.bin", new byte[2049]);
        PolicyError e = error(() -> BundleLoader.load(dir, new BundleLimits(10, 2048, 4096)));
        assertThat(e.file()).isEqualTo("big.bin");
        assertThat(e.message()).isEqualTo("file is 2049 bytes; a single file may be at most 2048 bytes");
    }

    @Test
    void shouldRejectTooManyFiles() {
        for (int i = 0; i < 4; i++) {
            write(dir, "f" + i + ".rego", "package f\n");
        }
        PolicyError e = error(() -> BundleLoader.load(dir, new BundleLimits(3, 2048, 4096)));
        assertThat(e.message()).contains("more than 3 files");
    }

    @Test
    void shouldRejectTotalOverTheLimit() {
        write(dir, "a.bin", new byte[2000]);
        write(dir, "b.bin", new byte[2000]);
        write(dir, "c.bin", new byte[2000]);
        PolicyError e = error(() -> BundleLoader.load(dir, new BundleLimits(10, 2048, 4096)));
        assertThat(e.message()).contains("add up to more than 4096 bytes");
    }

    @Test
    void shouldRejectMissingPath() {
        PolicyError e = error(() -> BundleLoader.load(dir.resolve("nope")));
        assertThat(e.file()).isEqualTo("<bundle>");
        assertThat(e.message()).contains("does not exist; expected a directory or a .tar.gz file");
    }

    @Test
    void shouldNameTheDirectorySearchedForARelativePathThatDoesNotExist() {
        Path relative = Path.of("no-such-bundle-" + System.nanoTime());
        PolicyError e = error(() -> BundleLoader.load(relative));
        assertThat(e.message()).contains("bundle " + relative + " does not exist (looked for "
                + relative.toAbsolutePath() + "); expected a directory or a .tar.gz file");
    }

    @Test
    void shouldRejectPlainFileThatIsNotGzipSayingWhatIsAccepted() {
        Path p = write(dir, "bundle.zip", "PK...");
        assertThat(error(() -> BundleLoader.load(p)).message()).contains("is not a gzip-compressed file; a bundle must"
                + " be a directory or a .tar.gz (gzip-compressed tar) file");
        Path q = write(dir, "bundle.tar.gz", "plain text");
        assertThat(error(() -> BundleLoader.load(q)).message())
                .contains("has a .tar.gz name but is not gzip-compressed");
    }

    @Test
    void shouldBuildBundleFromFilesInMemory() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("./veil/data.json", "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
        files.put("p.rego", "package p".getBytes(StandardCharsets.UTF_8));
        LoadedBundle b = BundleLoader.fromFiles("memory", files);
        assertThat(b.files()).containsExactly("p.rego", "veil/data.json");
        assertThat(b.data("veil.a")).isEqualTo(1L);
        Map<String, byte[]> bad = Map.of("../x", new byte[0]);
        assertThat(error(() -> BundleLoader.fromFiles("memory", bad)).message()).contains("'..' segment");
    }

    @Test
    void shouldKeepDocumentOrderOfKeys() {
        List<String> keys = new ArrayList<>();
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < 50; i++) {
            String k = "k" + ((i * 37) % 50);
            keys.add(k);
            json.append(i == 0 ? "" : ",").append('"').append(k).append("\":").append(i);
        }
        write(dir, "data.json", json.append('}').toString());
        assertThat(BundleLoader.load(dir).data().keySet()).containsExactlyElementsOf(keys);
    }
}
