package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.Result;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benign trace whose caller cal3 the access rules deny stops calibrate (exit 2, "so that calibration
 * sees what the Guard would see"); so does one on which the access question fails for cal3 (undefined
 * there): a Guard answers those queries internal_error, and thresholds picked without them would not
 * be what the Guard sees.
 */
class CalibrateFailedQuestionTest {
    @TempDir
    Path tmp;

    private static Path bundle(Path b, String accessRule) throws IOException {
        return MonitorReplayCommandTest.regoBundleWith(b, """
                name: rego-cal
                on_error: deny
                authentication: { anonymous: true }
                monitoring:
                  detectors:
                    rate: { window_seconds: 60, thresholds: monitoring.thresholds.rate }
                """, accessRule, """
                decision := {"rule": "default", "contract": {"shape": [3], "min": 0, "max": 1, "features": {},
                    "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0, "distribution": null}}
                """, "decision := {\"actions\": []}\n");
    }

    @Test
    void anAccessQuestionThatFailsOnBenignCallersStopsCalibrationAsADenialDoes() throws IOException {
        Path benign = ReplayFiles.write(tmp.resolve("benign.jsonl"), ReplayFiles.benign(200, 1, "cal"));
        Path denies = bundle(tmp.resolve("denies"), """
                decision := {"allow": input.caller.id != "cal3", "rule": "r", "message": "no", "rate_limit": null, "daily_quota": 0}
                """);
        Result d = veil("calibrate", "--bundle", s(denies), "--benign", s(benign), "--fpr", "0.02");
        Path fails = bundle(tmp.resolve("fails"), """
                decision := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    input.caller.id != "cal3"
                }
                """);
        Result f = veil("calibrate", "--bundle", s(fails), "--benign", s(benign), "--fpr", "0.02");
        assertThat(d.exit()).isEqualTo(2);
        assertThat(f.exit()).as("a failing access question stops calibration as a denial does: %s", f).isEqualTo(2);
        assertThat(f.toString()).contains("38 benign queries could not be evaluated by the bundle's access question")
                .contains("fix the bundle");
        assertThat(fails.resolve("monitoring/thresholds/data.json")).doesNotExist();
    }
}
