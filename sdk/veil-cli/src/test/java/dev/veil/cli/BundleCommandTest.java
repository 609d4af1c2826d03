package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleCommandTest {
    @TempDir
    Path tmp;

    QuickstartBundle bundle;

    @BeforeEach
    void writeBundle() {
        bundle = quickstartBundle(tmp.resolve("bundle"));
    }

    @Test
    void listsWhatTheBundleHoldsAndOk() throws Exception {
        Files.createDirectories(bundle.dir().resolve("veil/extra"));
        Files.writeString(bundle.dir().resolve("veil/extra/data.json"), "{\"limits\": {\"max\": 3}}");
        Files.writeString(bundle.dir().resolve("data.json"), "{\"veil\": {\"teams\": [\"risk\"]}}");
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        long keysSize = Files.size(bundle.keys());
        long policySize = Files.size(bundle.dir().resolve("loan.veil.yaml"));
        assertThat(r.outLines()).containsExactly(
                "source:   " + bundle.dir(),
                "revision: quickstart-1",
                "roots:    [veil]",
                "files:    5",
                "  .manifest (" + Files.size(bundle.dir().resolve(".manifest")) + " bytes)",
                "  data.json (" + Files.size(bundle.dir().resolve("data.json")) + " bytes)",
                "  keys.json (" + keysSize + " bytes)",
                "  loan.veil.yaml (" + policySize + " bytes)",
                "  veil/extra/data.json (22 bytes)",
                "data:     veil",
                "signature: none",
                "policy:   loan-quickstart (engine yaml)",
                "ok"); // no note of the sample caller for a YAML policy, whose questions the load checked

    }

    @Test
    void theShippedBundlesAndACopyThatKeepsTheirDemoKeysWarnOfPublishedCredentials() throws Exception {
        for (String shipped : new String[] {"tabular-credit", "image-classifier", "image-classifier-rego"}) {
            Result r = veil("bundle", "inspect", "../../policies/bundles/" + shipped);
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.outLines()).as(shipped).contains("warning:  the bundle holds DEMO-KEYS.md: it carries"
                    + " published demo credentials (API keys, and the signing key of its jwks.json if it has one,"
                    + " whose secrets are public) that anyone can use to call as its demo callers; before deploying,"
                    + " replace keys.json and jwks.json with your own keys and delete DEMO-KEYS.md"
                    + " (policies/README.md)");
        }
        Files.writeString(bundle.dir().resolve("DEMO-KEYS.md"), "# Demo API keys: DEMO ONLY\n");
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).filteredOn(l -> l.startsWith("warning:")).singleElement()
                .satisfies(l -> assertThat(l).startsWith("warning:  the bundle holds DEMO-KEYS.md:"));
    }

    @Test
    void anHmacSecretInTheJwksIsAWarning() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        Files.writeString(policy, Files.readString(policy).replace("  api_keys: { file: keys.json }\n",
                "  api_keys: { file: keys.json }\n  jwt: { issuer: \"https://idp.test/\", audience: [loan],"
                        + " jwks: jwks.json, algorithms: [HS256] }\n"));
        Files.writeString(bundle.dir().resolve("jwks.json"), new com.nimbusds.jose.jwk.JWKSet(
                new com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator(256).keyID("shared-1").generate())
                .toString(false));
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).filteredOn(l -> l.startsWith("warning:")).containsExactly("warning:  jwt.jwks file "
                + "'jwks.json' holds key 'shared-1', a shared HMAC secret (kty oct): anyone who can read the bundle can"
                + " sign tokens with it, as any caller and tenant; prefer the identity provider's RS256 or ES256 public"
                + " keys");
        assertThat(r.outLines()).last().isEqualTo("ok");
    }

    /** The Guard logs it when it installs the bundle; inspect printed nothing before one was built. */
    @Test
    void detectorsOnTheirPublishedDefaultSeedAreAWarning() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        String seeded = "    rate: { window_seconds: 60, low: 10, medium: 20, high: 25 }\n"
                + "    knn_global: { seed: 5 }\n";
        Files.writeString(policy, Files.readString(policy).replace(
                "    rate: { window_seconds: 60, low: 10, medium: 20, high: 25 }\n", seeded
                        + "    knn: {}\n    copies: { type: near_duplicate, seed: 666 }\n"));
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).filteredOn(l -> l.startsWith("warning:")).containsExactly("warning:  detector(s) "
                + "[copies, knn] run on their published default seed: an attacker who knows a seed can compute what"
                + " its detector computes, choose probes it does not see, and make probes pass as copies of one input"
                + " (near_duplicate, knn_global). Set your own seed (any integer other than the default) for each in a"
                + " bundle you do not publish: docs/policy-reference.md, 'Seeds are keys'");
        assertThat(r.outLines()).last().isEqualTo("ok");

        Files.writeString(policy, Files.readString(policy).replace("    knn: {}\n", "")
                .replace("seed: 666", "seed: 667"));
        assertThat(veil("bundle", "inspect", s(bundle.dir())).outLines()).as("every seed set")
                .noneMatch(l -> l.startsWith("warning:"));
    }

    /**
     * A detector that is not built in may be a custom one (added in code), so the bundle is valid;
     * but a misspelt built-in one would pass inspect and fail when a Guard is built: a warning.
     */
    @Test
    void aDetectorThatIsNotBuiltInIsAWarning() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        Files.writeString(policy, Files.readString(policy).replace(
                "    rate: { window_seconds: 60, low: 10, medium: 20, high: 25 }\n",
                "    rate: { window_seconds: 60, low: 10, medium: 20, high: 25 }\n    knnn: {}\n"));
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).filteredOn(l -> l.startsWith("warning:") && l.contains("knnn"))
                .singleElement().satisfies(l -> assertThat(l).startsWith("warning:  monitoring.detectors.knnn is "
                        + "not a built-in detector (built-in: [").contains("near_duplicate").endsWith("]): a Guard "
                        + "refuses this bundle unless its service adds a custom detector named 'knnn' "
                        + "(Guard.Builder.detector); if it is a built-in one, check its spelling, or name its type "
                        + "with type:"));
        assertThat(r.outLines()).last().isEqualTo("ok");
    }

    /**
     * A manifest root with U+202E (a bundle refuses control characters there, not format characters)
     * and a source path with one were printed raw by 'bundle inspect', reordering the line on screen.
     */
    @Test
    void rootsAndSourceArePrintedEscaped() throws Exception {
        Path dir = tmp.resolve("b\u202efdp.exe");
        Files.move(bundle.dir(), dir);
        Files.writeString(dir.resolve(".manifest"), "{\"revision\": \"r1\", \"roots\": [\"veil\", \"x\u202eyz\"]}");
        Result r = veil("bundle", "inspect", s(dir));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).contains("source:   " + tmp.resolve("b\\u202efdp.exe"), "roots:    [veil, x\\u202eyz]");
        assertThat(r.out()).doesNotContain("\u202e");
    }

    @Test
    void bundleWithoutManifestOrData() throws Exception {
        Files.delete(bundle.dir().resolve(".manifest"));
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("revision: (none)\n", "roots:    [\"\"]\n", "files:    2\n", "data:     (none)\n");
    }

    @Test
    void policyErrorsAreListedAfterTheContentsWithExit1() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        Files.writeString(policy, Files.readString(policy).replace("top_k: 2", "top_k: 2, bogus: 1"));
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("source:   " + bundle.dir(), "files:    3");
        assertThat(r.outLines()).doesNotContain("ok");
        assertThat(r.outLines()).last().asString()
                .startsWith("loan.veil.yaml:").contains("unknown key 'bogus'");
        assertThat(r.outLines().get(r.outLines().size() - 2)).isEqualTo("rejected (1 error):");
    }

    @Test
    void badKeyStoreIsRejectedWithFileLineAndColumn() throws Exception {
        // The key store the policy names is checked when the bundle loads, not only by a Guard.
        Files.writeString(bundle.keys(), "{\"keys\": [\n  {\"id\": \"abcd1234\", \"caller\": \"a\",\n"
                + "   \"salt\": \"AAAAAAAAAAAAAAAAAAAAAA==\", \"hash\": \"not*base64!\", \"roles\": \"intern\"}\n]}\n");
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEmpty();
        assertThat(r.outLines()).doesNotContain("ok");
        assertThat(r.outLines().subList(r.outLines().size() - 3, r.outLines().size())).containsExactly(
                "rejected (2 errors):",
                "keys.json:3:40: keys[0].hash: not valid base64 (standard alphabet, with padding)",
                "keys.json:3:63: keys[0].roles: must be a list of strings, was a string");
    }

    @Test
    void unreadableFilesAreListedOnePerLineWithPositions() throws Exception {
        Files.writeString(bundle.dir().resolve(".manifest"), "{\"roots\": 5}");
        Files.writeString(bundle.dir().resolve("data.json"), "{\"a\": \n");
        Files.createDirectories(bundle.dir().resolve("x"));
        Files.writeString(bundle.dir().resolve("x/data.yaml"), "a: [\n");
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).hasSize(4);
        assertThat(r.outLines().get(0)).isEqualTo("rejected (3 errors):");
        assertThat(r.outLines().get(1)).isEqualTo(".manifest:1:2: 'roots' must be a list of strings, was a number");
        assertThat(r.outLines().get(2)).startsWith("data.json:2:1: syntax error");
        assertThat(r.outLines().get(3)).matches("x/data\\.yaml:\\d+:\\d+: syntax error.*");
    }

    /**
     * A file the operating system refuses to read (here: its path is longer than the system takes,
     * which root cannot bypass as it can a permission) is named with the system's reason in words,
     * not a Java exception class, by {@code bundle inspect} (exit 1) and by {@code eval} (exit 2).
     */
    @Test
    void aFileTheSystemCannotReadIsNamedWithTheReasonInWords() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "no /bin/sh");
        String segment = "d".repeat(200);
        // 25 levels of 200 characters: more than PATH_MAX (4096), made one level at a time
        Process mk = new ProcessBuilder("/bin/sh", "-c", "cd \"$0\" && i=0 && while [ $i -lt 25 ]; do mkdir " + segment
                + " && cd -P " + segment + " || exit 1; i=$((i+1)); done && echo 'package x' > deep.rego",
                bundle.dir().toString()).start();
        try {
            Assumptions.assumeTrue(mk.waitFor() == 0, "cannot make a deep directory here");
            // the first directory whose path is too long (which depends on the temporary directory's)
            String error = "(" + segment + "/)*" + segment + ": cannot read: file name too long";
            Result r = veil("bundle", "inspect", s(bundle.dir()));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.outLines()).contains("rejected (1 error):").last().asString().matches(error);

            Path input = Files.writeString(tmp.resolve("input.json"), "{}");
            Result eval = veil("eval", "--bundle", s(bundle.dir()), "--input", s(input));
            assertFails(eval, 2, "does not load");
            assertThat(eval.errLines()).containsExactly("veil eval: bundle " + bundle.dir() + " does not load (1 "
                    + "error):", eval.errLines().get(1)).last().asString().matches(error);
        } finally {
            // rm works one level at a time; the JVM's own deletion of the temporary directory could not
            new ProcessBuilder("rm", "-rf", bundle.dir().resolve(segment).toString()).start().waitFor();
        }
    }

    @Test
    void controlCharactersInNamesAndTheRevisionAreRefusedAndNeverPrintedAsTheyAre() throws Exception {
        String fake = "signature: verified (signed by release-1)";
        Files.writeString(bundle.dir().resolve("x\n" + fake + "\nnote.txt"), "hi");
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("rejected (1 error):", "x\\u000a" + fake + "\\u000anote.txt: "
                + "entry name contains the control character U+000A (at character 2); rename the file using printable "
                + "characters only (control characters would print as line breaks or terminal commands in every "
                + "message that names it)");

        Files.delete(bundle.dir().resolve("x\n" + fake + "\nnote.txt"));
        Path manifest = bundle.dir().resolve(".manifest");
        Files.writeString(manifest, "{\"revision\": \"1\\n\\u001b[1A" + fake + "\"}");
        r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("rejected (1 error):", ".manifest:1:2: 'revision' contains the "
                + "control character U+000A (at character 2); write the revision in printable characters only (a "
                + "line break or terminal escape would print as output of its own wherever it is shown)");

        // A data key is the bundle's own business, but is printed escaped.
        Files.delete(manifest);
        Files.writeString(bundle.dir().resolve("data.json"), "{\"a\\n\\u001b[1A" + fake + "\": 1}");
        r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.out()).as(r.toString()).contains("data:     a\\u000a\\u001b[1A" + fake + "\n");
        assertThat(r.outLines()).noneMatch(l -> l.startsWith("signature: verified")).noneMatch(l -> l.contains("\u001b"));
    }

    @Test
    void bundleWithoutPolicy() throws Exception {
        Files.delete(bundle.dir().resolve("loan.veil.yaml"));
        Result r = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.outLines()).contains("rejected (1 error):");
        assertThat(r.outLines()).last().asString().startsWith("<bundle>: no policy in ");
    }

    @Test
    void fileThatIsNotABundleArchive() throws Exception {
        Path f = tmp.resolve("bundle.tar.gz");
        Files.writeString(f, "not an archive");
        Result r = veil("bundle", "inspect", s(f));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines().get(0)).isEqualTo("rejected (1 error):");
        assertThat(r.outLines()).hasSize(2);
    }

    @Test
    void missingPath() {
        Path none = tmp.resolve("none");
        assertFails(veil("bundle", "inspect", s(none)), 2,
                "veil bundle inspect: bundle " + none + ": no such file or directory");
    }

    @Test
    void missingArgumentIsAUsageError() {
        assertFails(veil("bundle", "inspect"), 2, "Missing required parameter: 'BUNDLE'");
    }
}
