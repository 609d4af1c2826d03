package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.internal.validation.TrainingStats;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

/**
 * Whatever the format, {@code veil stats} writes exactly the document
 * {@link TrainingStats#compute} gives for the samples the file holds: the readers neither lose,
 * reorder nor alter a value.
 */
class StatsFormatsPropertyTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    /** Matrices of 1 to 12 rows of one length (1 to 6), values across many magnitudes and both signs. */
    static Gen<List<List<Double>>> matrices() {
        Gen<Double> values = doubles().between(-1e6, 1e6).mix(doubles().between(-1e-6, 1e-6))
                .mix(integers().between(-3, 3).map(Integer::doubleValue));
        return integers().between(1, 6).flatMap(d -> lists().of(lists().of(values).ofSize(d)).ofSizeBetween(1, 12));
    }

    private String expected(List<double[]> samples) {
        return JSON.valueToTree(TrainingStats.compute(samples, 0.001, 0.999).toData()).toString();
    }

    private String run(String option, Path in, String... more) throws Exception {
        Path out = tmp.resolve("out.json");
        Files.deleteIfExists(out);
        String[] args = new String[5 + more.length];
        args[0] = "stats";
        args[1] = option;
        args[2] = s(in);
        args[3] = "--out";
        args[4] = s(out);
        System.arraycopy(more, 0, args, 5, more.length);
        CliTestSupport.Result r = veil(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return JSON.readTree(out.toFile()).toString();
    }

    private static List<double[]> arrays(List<List<Double>> m) {
        return m.stream().map(row -> row.stream().mapToDouble(Double::doubleValue).toArray()).toList();
    }

    @Test
    void csvAndJsonLinesGiveWhatTrainingStatsComputes() {
        qt().withExamples(30).forAll(matrices()).checkAssert(m -> {
            try {
                String want = expected(arrays(m));
                Path csv = tmp.resolve("m.csv");
                Files.writeString(csv, m.stream().map(row -> row.stream().map(String::valueOf)
                        .collect(Collectors.joining(","))).collect(Collectors.joining("\n", "", "\n")));
                assertThat(run("--csv", csv)).isEqualTo(want);
                Path jsonl = tmp.resolve("m.jsonl");
                Files.writeString(jsonl, m.stream().map(row -> JSON.valueToTree(row).toString())
                        .collect(Collectors.joining("\n", "", "\n")));
                assertThat(run("--jsonl", jsonl)).isEqualTo(want);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void idxImagesGiveWhatTrainingStatsComputesOnTheScaledBytes() {
        Gen<List<List<Integer>>> images = integers().between(1, 4).zip(integers().between(1, 4), (r, c) -> r * 100 + c)
                .flatMap(rc -> lists().of(lists().of(integers().between(0, 255)).ofSize(rc / 100 * (rc % 100)))
                        .ofSizeBetween(1, 10).map(l -> {
                            l.add(0, List.of(rc)); // carry the shape along as the first row
                            return l;
                        }));
        qt().withExamples(30).forAll(images).checkAssert(l -> {
            try {
                int rows = l.get(0).get(0) / 100;
                int cols = l.get(0).get(0) % 100;
                List<List<Integer>> imgs = l.subList(1, l.size());
                ByteBuffer buf = ByteBuffer.allocate(16 + imgs.size() * rows * cols)
                        .putInt(0x803).putInt(imgs.size()).putInt(rows).putInt(cols);
                imgs.forEach(img -> img.forEach(v -> buf.put((byte) (int) v)));
                Path idx = tmp.resolve("m.idx");
                Files.write(idx, StatsCommandTest.gzip(buf.array()));
                List<double[]> scaled = imgs.stream()
                        .map(img -> img.stream().mapToDouble(v -> v / 255.0).toArray()).toList();
                assertThat(run("--idx-images", idx)).isEqualTo(expected(scaled));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }
}
