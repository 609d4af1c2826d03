package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VeilCliTest {

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        Result r = veil("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("eval", "audit", "bundle", "key", "stats", "Exit codes:",
                "0   success", "1   a check failed", "2   bad usage");
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
        assertFails(r, 2, "Missing command: choose one of eval, audit, bundle, key, stats", "Usage: veil");
    }

    @ParameterizedTest
    @ValueSource(strings = {"audit", "bundle", "key"})
    void aGroupWithoutItsSubcommandIsAUsageError(String group) {
        Result r = veil(group);
        assertFails(r, 2, "Missing command: choose one of", "Usage: veil " + group);
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertFails(veil("frobnicate"), 2, "Unmatched argument at index 0: 'frobnicate'");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertFails(veil("audit", "verify", "--frob", "x"), 2, "Unknown option: '--frob'");
    }
}
