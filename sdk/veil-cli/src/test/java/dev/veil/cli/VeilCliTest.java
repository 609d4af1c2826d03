package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static dev.veil.cli.CliTestSupport.veilWithFullStdout;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VeilCliTest {

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        Result r = veil("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("eval", "audit", "bundle", "key", "stats", "Exit codes:",
                "0   success", "1   a check failed", "2   bad usage");
        assertThat(r.out().replaceAll("\\s+", " ")).contains("or standard output cannot be written ('veil: cannot "
                + "write standard output'; stats, key pair and bundle sign exit 0 when they wrote their files and only "
                + "their confirmation could not be printed, and say so on standard error)");
        assertThat(r.err()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"eval", "audit verify", "bundle inspect", "key create", "stats"})
    void everyCommandsHelpDocumentsItsExitCodes(String command) {
        String[] args = (command + " --help").split(" ");
        Result r = veil(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Usage: veil " + command, "Exit codes:", "0   ", "2   bad usage");
    }

    @Test
    void helpCommandDescribesASubcommand() {
        Result r = veil("help", "stats");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--idx-images", "--csv", "--jsonl", "--data-path", "--quantiles");
    }

    @Test
    void versionIsPrinted() {
        Result r = veil("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("veil ");
    }

    @Test
    void noCommandIsAUsageError() {
        Result r = veil();
        assertFails(r, 2, "see 'veil");
        assertThat(r.errLines()).containsExactly("veil: Missing command: choose one of eval, audit, bundle, key, stats,"
                + " monitor, calibrate, test, rego", "see 'veil --help'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"audit", "bundle", "key"})
    void aGroupWithoutItsSubcommandIsAUsageError(String group) {
        Result r = veil(group);
        assertFails(r, 2, "veil " + group + ": Missing command: choose one of");
        assertThat(r.errLines()).hasSize(2).last().isEqualTo("see 'veil " + group + " --help'");
    }

    @Test
    void aMisspeltOptionIsOneLineWithItsSuggestionNotTheUsage() {
        // picocli checks required options first; the misspelling is what to fix
        Result r = veil("eval", "--bundel", "x");
        assertFails(r, 2, "see 'veil");
        assertThat(r.errLines()).containsExactly("veil eval: Unknown options: '--bundel', 'x'",
                "Possible solutions: --bundle", "see 'veil eval --help'");
    }

    @Test
    void aMalformedOptionValueIsOneLineNamingTheOptionOnce(@TempDir Path tmp) {
        Path store = tmp.resolve("ks.json");
        Result r = veil("key", "create", "--caller", "a", "--attr", "noeq", "--store", s(store));
        assertFails(r, 2, "see 'veil");
        assertThat(r.errLines()).containsExactly("veil key create: Value for option '--attr' (NAME=VALUE) should be"
                + " in KEY=VALUE format but was noeq", "see 'veil key create --help'");
        assertThat(store).doesNotExist();
    }

    @Test
    void aStandardOutputThatCannotBeWrittenIsAnErrorWhateverTheCommandFound(@TempDir Path tmp) throws Exception {
        Path log = Files.writeString(tmp.resolve("audit.jsonl"), ""); // an intact, empty log: "ok 0 records"
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), ReplayFiles.POLICY);
        Path trace = ReplayFiles.write(tmp.resolve("t.jsonl"), List.of(
                "{\"caller\": \"a\", \"ts_ms\": 1700000000000, \"features\": [0.1, 0.2, 0.3]}"));
        for (String[] args : new String[][] {
            {"audit", "verify", s(log)},
            {"monitor", "replay", "--bundle", s(bundle), "--trace", s(trace)},
            {"--version"},
        }) {
            assertThat(veil(args).exit()).as("with a working standard output").isZero();
            Result r = veilWithFullStdout(args);
            assertThat(r.exit()).as(String.join(" ", args) + ": " + r).isEqualTo(2);
            assertThat(r.errLines()).last().isEqualTo("veil: cannot write standard output");
        }
    }

    /**
     * {@code stats}, {@code key pair} and {@code bundle sign} write their files, then confirm on
     * standard output: when only the confirmation is lost, the work is done, so the exit status is 0
     * and standard error says what was written.
     */
    @Test
    void filesWrittenBeforeAConfirmationThatCannotBePrintedAreASuccess(@TempDir Path tmp) throws Exception {
        Path csv = Files.writeString(tmp.resolve("train.csv"), "0.1,0.2\n0.3,0.4\n0.5,0.1\n");
        Path stats = tmp.resolve("stats.json");
        Path priv = tmp.resolve("k.private.jwk");
        Path pub = tmp.resolve("k.public.jwks");
        Path bundle = CliTestSupport.quickstartBundle(tmp.resolve("bundle")).dir();
        Path signatures = bundle.resolve(".signatures.json");
        String lost = "; could not print the confirmation: standard output cannot be written";

        Result r = veilWithFullStdout("stats", "--csv", s(csv), "--out", s(stats));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).containsExactly("veil stats: wrote " + stats + lost);
        assertThat(stats).isNotEmptyFile();

        r = veilWithFullStdout("key", "pair", "--out-private", s(priv), "--out-public", s(pub));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).containsExactly("veil key pair: wrote " + priv + " and " + pub + lost);
        assertThat(priv).isNotEmptyFile();
        assertThat(pub).isNotEmptyFile();

        r = veilWithFullStdout("bundle", "sign", s(bundle), "--key", s(priv));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).containsExactly("veil bundle sign: wrote " + signatures + lost);
        assertThat(signatures).isNotEmptyFile();

        // through main and System.out, as from a shell: standard output on /dev/full, and closed
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")) && Files.isExecutable(Path.of("/bin/sh")),
                "no /dev/full or /bin/sh");
        for (String redirect : List.of(">/dev/full", ">&-")) {
            Files.delete(stats);
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "exec \"$0\" \"$@\" " + redirect,
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "dev.veil.cli.VeilCli", "stats", "--csv", s(csv), "--out",
                    s(stats));
            Process p = pb.start();
            String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(redirect + ": " + err).isZero();
            assertThat(err.lines()).as(redirect).containsExactly("veil stats: wrote " + stats + lost);
            assertThat(stats).isNotEmptyFile();
        }
    }

    @Test
    void aKeyCreatedIntoDevFullIsNotStoredAndTheProcessFails(@TempDir Path tmp) throws Exception {
        // through main and System.out, as from a shell: a PrintStream hides its errors from a writer on it
        Path full = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.exists(full), "no /dev/full");
        Path store = tmp.resolve("ks.json");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.veil.cli.VeilCli", "key", "create", "--caller",
                "carol", "--store", s(store));
        pb.redirectOutput(full.toFile());
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isEqualTo(2);
        assertThat(err).contains("veil key create: the new key could not be shown, so it was not added: --store "
                + store + " is unchanged", "veil: cannot write standard output");
        assertThat(store).doesNotExist();
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertFails(veil("frobnicate"), 2, "veil: Unmatched argument at index 0: 'frobnicate'", "see 'veil --help'");
        assertThat(veil("evl").errLines()).containsExactly("veil: Unmatched argument at index 0: 'evl'",
                "Did you mean: veil eval?", "see 'veil --help'");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Result r = veil("audit", "verify", "--frob", "x");
        assertFails(r, 2, "see 'veil");
        assertThat(r.errLines()).containsExactly("veil audit verify: Unknown option: '--frob'",
                "see 'veil audit verify --help'");
    }
}
