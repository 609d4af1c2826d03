package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.ApiKeys;
import dev.veil.PolicyBundle;
import dev.veil.internal.monitor.replay.GuardReplayHarness;
import dev.veil.internal.monitor.replay.TraceQuery;
import dev.veil.policies.tools.BenignTraffic;
import dev.veil.policies.tools.FashionMnist;
import dev.veil.policies.tools.Nes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil monitor replay} decides on the shipped image-classifier bundle as a real {@link dev.veil.Guard}
 * does: one seeded trace of real Fashion-MNIST traffic (honest analysts sending test images, some
 * retried; NES attackers from one account and spread over ten accounts of the tenant; a hill climber;
 * a caller resending near copies of one image) through a Guard on a copy of the bundle whose
 * keys.json holds an analyst key of tenant acme per caller, and through the replay: the same first
 * alarm per caller and per detector. (The outside evaluation of policies/README.md compared the two
 * the same way on its own traces.) Skipped when the data set is not installed.
 */
class ImageClassifierGuardReplayEquivalenceTest {
    static final long T0 = 1_764_547_200_000L; // 2025-12-01T00:00:00Z
    static final int T_SHIRT = 0;
    static final int PULLOVER = 2;

    static SoftmaxRegression model;
    static double[][] test;
    static int[] labels;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        model = BenignTraffic.model();
        test = FashionMnist.testImages(2_000);
        labels = FashionMnist.testLabels(2_000);
    }

    record Line(long ts, String caller, double[] x) {}

    @Test
    void replayAndAGuardGiveTheSameFirstAlarmsOnTheShippedBundle() throws Exception {
        SplittableRandom r = new SplittableRandom(29);
        List<Line> lines = new ArrayList<>();
        // 40 honest analysts, 25 test images each, about 10 s apart; every fifth caller resends some
        for (int c = 0; c < 40; c++) {
            long ts = T0 + r.nextLong(600_000);
            for (int q = 0; q < 25; q++) {
                double[] x = test[r.nextInt(test.length)];
                lines.add(new Line(ts, "honest-" + c, x));
                if (c % 5 == 0 && r.nextDouble() < 0.2) {
                    lines.add(new Line(ts + 2_000 + r.nextLong(3_000), "honest-" + c, x));
                }
                ts += 1_000 + (long) (-Math.log(1 - r.nextDouble()) * 9_000);
            }
        }
        double[] start = firstRight(T_SHIRT);
        // antithetic NES (x +- 0.05 u) from one account, and (x +- 0.02 u) over ten accounts, 1 a second
        nes(lines, r, start, 0.05, 60, 1, "nes", T0 + 60_000);
        nes(lines, r, start, 0.02, 60, 10, "spread", T0 + 90_000);
        // one-sided NES of sigma 0.2 (every probe a fresh direction), 1 a second
        for (int q = 0; q < 60; q++) {
            lines.add(new Line(T0 + 120_000 + q * 1_000L, "onesided", probe(r, start, 0.2)));
        }
        // hill climbing with 3x3 patch steps of +-0.1 toward pullover, 1 every 2 s
        double[] x = start.clone();
        double best = model.predict(x).scores()[PULLOVER];
        for (int q = 0; q < 60; q++) {
            double[] c = x.clone();
            int row = r.nextInt(26), col = r.nextInt(26);
            double d = r.nextBoolean() ? 0.1 : -0.1;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    c[(row + i) * 28 + col + j] = Nes.clip(c[(row + i) * 28 + col + j] + d);
                }
            }
            lines.add(new Line(T0 + 30_000 + q * 2_000L, "hill", c));
            double s = model.predict(c).scores()[PULLOVER];
            if (s > best) {
                best = s;
                x = c;
            }
        }
        // near copies of one image (noise of 0.001), one every 3 s
        for (int q = 0; q < 30; q++) {
            lines.add(new Line(T0 + 200_000 + q * 3_000L, "copies", probe(r, test[7], 0.001)));
        }
        lines.sort(Comparator.comparingLong(Line::ts));

        Map<String, String> keys = new LinkedHashMap<>();
        Path bundleDir = copyWithAnalystKeys(lines, keys);
        PolicyBundle b = PolicyBundle.load(bundleDir);
        List<String> text = lines.stream().map(l -> json(l)).toList();
        List<TraceQuery> trace = GuardReplayHarness.parse(text);

        List<String> guard = GuardReplayHarness.viaGuard(b, keys, trace, tmp.resolve("audit.jsonl"));
        List<String> replay = GuardReplayHarness.viaReplay(b, trace);
        assertThat(replay).isEqualTo(guard);

        // the comparison shows something: attackers flagged by several detectors, honest callers mostly not
        Set<String> detectors = new HashSet<>();
        Set<String> flagged = new HashSet<>();
        Pattern p = Pattern.compile("\"([a-z_]+)\": [0-9]+");
        for (String l : guard) {
            String caller = l.substring(l.indexOf(": \"") + 3, l.indexOf("\", "));
            if (!l.contains("\"first_alarm\": null")) {
                flagged.add(caller.replaceAll("-[0-9]+$", ""));
            }
            Matcher m = p.matcher(l.substring(l.indexOf("\"first_alarm\"") + 1));
            while (m.find()) {
                detectors.add(m.group(1));
            }
        }
        assertThat(flagged).contains("nes", "spread", "onesided", "hill", "copies");
        assertThat(detectors).as("detectors that raised an alarm").hasSizeGreaterThanOrEqualTo(4);
        assertThat(guard.stream().filter(l -> l.startsWith("{\"caller\": \"honest-"))
                .filter(l -> !l.contains("\"first_alarm\": null"))).hasSizeLessThan(5);
    }

    private static double[] firstRight(int label) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == label && model.predict(test[i]).topIndex() == label) {
                return test[i];
            }
        }
        throw new IllegalStateException("no test image of class " + label + " that the model gets right");
    }

    private static double[] probe(SplittableRandom r, double[] x, double sigma) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Nes.clip(x[i] + sigma * Nes.gaussian(r));
        }
        return out;
    }

    /** Antithetic pairs x + sigma u, x - sigma u round-robin over the accounts, one query a second. */
    private static void nes(List<Line> lines, SplittableRandom r, double[] x, double sigma, int queries, int accounts,
            String name, long t) {
        double[] u = null;
        for (int q = 0; q < queries; q++) {
            if (q % 2 == 0) {
                u = new double[x.length];
                for (int i = 0; i < u.length; i++) {
                    u[i] = Nes.gaussian(r);
                }
            }
            double[] probe = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                probe[i] = Nes.clip(x[i] + (q % 2 == 0 ? sigma : -sigma) * u[i]);
            }
            lines.add(new Line(t + q * 1_000L, accounts == 1 ? name : name + "-" + (q % accounts), probe));
        }
    }

    private static String json(Line l) {
        return "{\"caller\": \"" + l.caller() + "\", \"tenant\": \"acme\", \"roles\": [\"analyst\"], \"ts_ms\": "
                + l.ts() + ", \"features\": " + Arrays.toString(l.x()) + ", \"scores\": "
                + Arrays.toString(model.predict(l.x()).scores()) + "}";
    }

    /** The shipped bundle copied, its keys.json replaced by one analyst key of tenant acme per caller. */
    private Path copyWithAnalystKeys(List<Line> lines, Map<String, String> keys) throws Exception {
        Path src = Path.of("bundles/image-classifier");
        Path dir = tmp.resolve("image-classifier");
        try (Stream<Path> s = Files.walk(src)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Path d = dir.resolve(src.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(d);
                } else {
                    Files.copy(f, d);
                }
            }
        }
        List<Object> entries = new ArrayList<>();
        for (Line l : lines) {
            if (!keys.containsKey(l.caller())) {
                ApiKeys.Issued k = ApiKeys.issue(l.caller(), List.of("analyst"), "acme", Map.of(), null);
                entries.add(k.entry());
                keys.put(l.caller(), k.plaintext());
            }
        }
        Files.writeString(dir.resolve("keys.json"), JsonMapper.builder().build()
                .writeValueAsString(Map.of("keys", entries)));
        return dir;
    }
}
