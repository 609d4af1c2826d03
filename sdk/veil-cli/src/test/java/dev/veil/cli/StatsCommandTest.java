package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.cli.CliTestSupport.Result;
import dev.veil.internal.validation.TrainingStats;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatsCommandTest {
    static final Path FASHION_TRAIN = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

    /** Three 2x2 images. */
    static final byte[] PIXELS = {
        0, (byte) 255, 0, (byte) 255,
        (byte) 255, (byte) 255, (byte) 255, (byte) 255,
        0, 0, 0, (byte) 51
    };

    @TempDir
    Path tmp;

    static byte[] idx(int magic, int count, int rows, int cols, byte[] pixels) {
        return ByteBuffer.allocate(16 + pixels.length)
                .putInt(magic).putInt(count).putInt(rows).putInt(cols).put(pixels).array();
    }

    static byte[] gzip(byte[] raw) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    Path file(String name, byte[] content) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, content);
        return p;
    }

    Path file(String name, String content) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    Path out() {
        return tmp.resolve("out.json");
    }

    JsonNode written() throws Exception {
        return JsonMapper.builder().build().readTree(out().toFile());
    }

    static List<Double> doubles(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::doubleValue).toList();
    }

    Result stats(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "stats";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--out";
        all[args.length + 2] = s(out());
        return veil(all);
    }

    void assertFailsWithoutOutput(Result r, String... fragments) {
        assertFails(r, 2, fragments);
        assertThat(out()).doesNotExist();
    }

    // ---- IDX

    @Test
    void idxImagesAreScaledTo01AndTheDocumentIsWhatTrainingStatsComputes() throws Exception {
        Path in = file("images.gz", gzip(idx(0x803, 3, 2, 2, PIXELS)));
        Result r = stats("--idx-images", s(in));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("read 3 samples of 4 values (2x2 images; validation shape [2, 2]) from " + in,
                "wrote " + out());
        JsonNode doc = written();
        assertThat(doc.fieldNames()).toIterable().containsExactly("mean", "std", "summary", "samples");
        assertThat(doc.get("samples").longValue()).isEqualTo(3);
        assertThat(doubles(doc.get("mean"))).usingElementComparator((a, b) -> Math.abs(a - b) < 1e-12 ? 0 : 1)
                .containsExactly(1 / 3.0, 2 / 3.0, 1 / 3.0, (1 + 1 + 0.2) / 3);
        double[][] samples = {{0, 1, 0, 1}, {1, 1, 1, 1}, {0, 0, 0, 0.2}};
        Map<String, Object> expected = TrainingStats.compute(List.of(samples), 0.001, 0.999).toData();
        assertThat(JsonMapper.builder().build().valueToTree(expected).toString()).isEqualTo(doc.toString());
    }

    /** The paths it prints are the operator's: U+202E or ESC in them come out as escapes, not as reordered text. */
    @Test
    void pathsArePrintedEscaped() throws Exception {
        Path in = file("images-\u202E\u001B[2J.gz", gzip(idx(0x803, 3, 2, 2, PIXELS)));
        Result r = stats("--idx-images", s(in));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(") from " + tmp.resolve("images-\\u202e\\u001b[2J.gz"));
        assertThat(r.out().lines()).allSatisfy(line ->
                assertThat(dev.veil.internal.text.ControlChars.hiddenIndexIn(line)).as(line).isEqualTo(-1));
    }

    @Test
    void dataPathNestsTheDocument() throws Exception {
        Path in = file("images.gz", gzip(idx(0x803, 3, 2, 2, PIXELS)));
        Result r = stats("--idx-images", s(in), "--data-path", "training.stats");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("(statistics at data path training.stats)");
        JsonNode doc = written();
        assertThat(doc.fieldNames()).toIterable().containsExactly("training");
        assertThat(doc.get("training").fieldNames()).toIterable().containsExactly("stats");
        assertThat(doc.at("/training/stats/samples").longValue()).isEqualTo(3);
    }

    @Test
    void uncompressedIdxLimitScaleAndQuantiles() throws Exception {
        Path in = file("images.idx", idx(0x803, 3, 2, 2, PIXELS));
        Result r = stats("--idx-images", s(in), "--limit", "2", "--scale", "1", "--quantiles", "0,1");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode doc = written();
        assertThat(doc.get("samples").longValue()).isEqualTo(2);
        assertThat(doubles(doc.get("mean"))).containsExactly(127.5, 255.0, 127.5, 255.0);
        // quantiles 0 and 1: the summary mean ranges from the blacker image (127.5) to the white one (255),
        // widened by 10% of that range on each side
        assertThat(doubles(doc.at("/summary/mean"))).containsExactly(127.5 - 12.75, 255 + 12.75);
    }

    @Test
    void statisticsWrittenByTheCommandLoadIntoABundlesDistributionCheck() throws Exception {
        Path in = file("images.gz", gzip(idx(0x803, 3, 2, 2, PIXELS)));
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Result r = veil("stats", "--idx-images", s(in), "--data-path", "training.stats",
                "--out", s(bundle.resolve("data.json")));
        assertThat(r.exit()).as(r.toString()).isZero();
        Files.writeString(bundle.resolve("images.veil.yaml"), """
                veil: 1
                name: tiny-images
                authentication: { anonymous: true }
                access:
                  default: { effect: allow }
                validation:
                  default:
                    shape: [2, 2]
                    range: { min: 0, max: 1 }
                    distribution: { stats: training.stats, std_floor: 0.05, max_rms_z: 4, summary: true }
                output:
                  default: { form: label_only }
                """);
        PolicyBundle b = PolicyBundle.load(bundle);
        @SuppressWarnings("unchecked")
        Map<String, Object> dist = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                b.evaluate(Map.of()).get("validation")).get("contract")).get("distribution");
        assertThat(dist).containsEntry("features", 4).containsEntry("max_rms_z", 4.0);
    }

    /**
     * A CSV whose columns are not in name order: the statistics must still line up with the vector
     * Features.named(Map) builds (name order), or a normal applicant is refused as out of distribution.
     */
    @Test
    void csvHeaderStatisticsAreWrittenInNameOrderWithTheirNames() throws Exception {
        StringBuilder csv = new StringBuilder("income,age\n");
        for (int i = 0; i < 50; i++) {
            csv.append(50_000 + 400 * i).append(',').append(30 + i % 20).append('\n');
        }
        Path in = file("applicants.csv", csv.toString());
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Result r = veil("stats", "--csv", s(in), "--header", "--data-path", "training.stats",
                "--out", s(bundle.resolve("data.json")));
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode stats = JsonMapper.builder().build().readTree(bundle.resolve("data.json").toFile()).at("/training/stats");
        assertThat(stats.get("names")).hasToString("[\"age\",\"income\"]");
        List<Double> mean = doubles(stats.get("mean"));
        assertThat(mean.get(0)).as("age").isCloseTo(38.5, within(1e-9));
        assertThat(mean.get(1)).as("income").isCloseTo(59_800.0, within(1e-6));
        Files.writeString(bundle.resolve("loan.veil.yaml"), """
                veil: 1
                name: loans
                authentication: { anonymous: true }
                access:
                  default: { effect: allow }
                validation:
                  default:
                    shape: [2]
                    features: { income: {}, age: {} }
                    distribution: { stats: training.stats, max_abs_z: 4, summary: false }
                output:
                  default: { form: label_only }
                """);
        Model<Map<String, Double>> model = Model.of(ModelInfo.of("loan", "1", java.time.Instant.now()),
                x -> Prediction.classification(List.of("approve", "decline"), new double[] {0.9, 0.1}),
                Features::named);
        Guard<Map<String, Double>> guard = Guard.builder(model).policy(PolicyBundle.load(bundle))
                .audit(dev.veil.AuditLog.jsonLines(tmp.resolve("audit.jsonl"))).build();
        Response normal = guard.predict(Request.of(Credentials.anonymous(), Map.of("income", 60_000.0, "age", 40.0)));
        assertThat(normal.allowed()).as(normal.toString()).isTrue();
        Response odd = guard.predict(Request.of(Credentials.anonymous(), Map.of("income", 40.0, "age", 60_000.0)));
        assertThat(odd.allowed()).as(odd.toString()).isFalse();
    }

    @Test
    void csvHeaderWithARepeatedOrBlankName() throws Exception {
        Path twice = file("twice.csv", "a,b, a\n1,2,3\n");
        assertFailsWithoutOutput(stats("--csv", s(twice), "--header"), "veil stats: " + twice
                + ":1: columns 1 and 3 of the header are both named 'a'; each feature is named once");
        Path blank = file("blank.csv", "a,,c\n1,2,3\n");
        assertFailsWithoutOutput(stats("--csv", s(blank), "--header"), "veil stats: " + blank
                + ":1: column 2 of the header has no name");
    }

    @Test
    void csvRowLongerThanTheHeader() throws Exception {
        Path in = file("train.csv", "a,b\n1,2,3\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--header"), "veil stats: " + in
                + ":2:1: this row has 3 values, but the header (line 1) names 2 columns");
    }

    @Test
    void labelFileHasTheWrongMagic() throws Exception {
        Path in = file("labels.gz", gzip(ByteBuffer.allocate(11).putInt(0x801).putInt(3).put(new byte[3]).array()));
        assertFailsWithoutOutput(stats("--idx-images", s(in)), "veil stats: " + in
                + ": wrong magic number 0x00000801, expected 0x00000803 (an IDX file of unsigned bytes in 3 "
                + "dimensions: images); this is a label file (idx1), pass the images file (idx3)");
    }

    @Test
    void fileThatIsNotIdxHasTheWrongMagic() throws Exception {
        Path in = file("notes.txt", "hello, world, this is text");
        assertFailsWithoutOutput(stats("--idx-images", s(in)),
                "veil stats: " + in + ": wrong magic number 0x68656c6c, expected 0x00000803");
    }

    @Test
    void truncatedHeader() throws Exception {
        Path in = file("short.gz", gzip(Arrays.copyOf(idx(0x803, 3, 2, 2, PIXELS), 10)));
        assertFailsWithoutOutput(stats("--idx-images", s(in)),
                "veil stats: " + in + ": truncated: the file ends inside the 16-byte IDX header, after 10 bytes");
    }

    @Test
    void truncatedImages() throws Exception {
        Path in = file("short.gz", gzip(Arrays.copyOf(idx(0x803, 3, 2, 2, PIXELS), 16 + 9)));
        assertFailsWithoutOutput(stats("--idx-images", s(in)), "veil stats: " + in + ": truncated: the header "
                + "announces 3 images of 2x2 bytes, but the file ends inside image 3 (1 of 4 bytes)");
    }

    @Test
    void truncatedGzipStream() throws Exception {
        byte[] gz = gzip(idx(0x803, 3, 2, 2, PIXELS));
        Path in = file("cut.gz", Arrays.copyOf(gz, gz.length - 12));
        Result r = stats("--idx-images", s(in));
        assertFailsWithoutOutput(r, "veil stats: " + in + ": cannot be read: cut short: the file ends at byte offset ");
    }

    @Test
    void dataAfterTheLastImage() throws Exception {
        byte[] raw = idx(0x803, 3, 2, 2, Arrays.copyOf(PIXELS, PIXELS.length + 4));
        Path in = file("long.gz", gzip(raw));
        assertFailsWithoutOutput(stats("--idx-images", s(in)),
                "veil stats: " + in + ": has data after the 3 images its header announces");
        // with --limit the rest of the file is not read
        assertThat(stats("--idx-images", s(in), "--limit", "3").exit()).isZero();
    }

    @Test
    void headerWithZeroImages() throws Exception {
        Path in = file("empty.gz", gzip(idx(0x803, 0, 28, 28, new byte[0])));
        assertFailsWithoutOutput(stats("--idx-images", s(in)),
                "veil stats: " + in + ": the IDX header announces 0 images of 28x28; "
                        + "every dimension must be at least 1");
    }

    @Test
    void missingIdxFile() {
        Path none = tmp.resolve("none.gz");
        assertFailsWithoutOutput(stats("--idx-images", s(none)), "veil stats: --idx-images " + none + ": no such file");
    }

    @Test
    void fashionMnistFirst500TrainingImages() {
        assumeTrue(Files.isReadable(FASHION_TRAIN), "Fashion-MNIST is not installed at " + FASHION_TRAIN
                + " (Debian package dataset-fashion-mnist); skipping the test on real images");
        Result r = stats("--idx-images", s(FASHION_TRAIN), "--limit", "500", "--data-path", "training.stats");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("read 500 samples of 784 values (28x28 images; validation shape [28, 28])");
        JsonNode stats;
        try {
            stats = written().at("/training/stats");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        List<Double> mean = doubles(stats.get("mean"));
        assertThat(mean).hasSize(784).allSatisfy(m -> assertThat(m).isBetween(0.0, 1.0));
        double meanIntensity = mean.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        // Fashion-MNIST's mean pixel intensity over the whole training set is about 0.286
        assertThat(meanIntensity).isBetween(0.2, 0.4);
        assertThat(mean.get(0)).as("the corner pixel is almost always black").isLessThan(0.01);
        assertThat(mean.get(14 * 28 + 14)).as("the centre pixel is mostly covered").isGreaterThan(0.3);
        assertThat(doubles(stats.get("std"))).hasSize(784).allSatisfy(v -> assertThat(v).isBetween(0.0, 0.5));
        assertThat(stats.get("samples").longValue()).isEqualTo(500);
    }

    // ---- CSV

    @Test
    void csvWithHeaderBlankLinesAndSpaces() throws Exception {
        Path in = file("train.csv", "a,b,c\n1, 2 ,3\n\n4,5,6e0\n  \n-1.5,+2,.5\n");
        Result r = stats("--csv", s(in), "--header");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("read 3 samples of 3 values (CSV rows)");
        JsonNode doc = written();
        assertThat(doubles(doc.get("mean"))).usingElementComparator((a, b) -> Math.abs(a - b) < 1e-12 ? 0 : 1)
                .containsExactly(3.5 / 3, 9.0 / 3, 9.5 / 3);
    }

    @Test
    void csvScaleDividesEveryValue() throws Exception {
        Path in = file("train.csv", "10,20\n30,40\n");
        assertThat(stats("--csv", s(in), "--scale", "10").exit()).isZero();
        assertThat(doubles(written().get("mean"))).containsExactly(2.0, 3.0);
    }

    @Test
    void csvRaggedRows() throws Exception {
        Path in = file("train.csv", "1,2,3\n\n4,5\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in + ":3:1: ragged rows: this row has 2 "
                + "values, but the first row (line 1) has 3; every sample must have the same number of values");
    }

    @Test
    void csvNaN() throws Exception {
        Path in = file("train.csv", "1,2,3\n4, NaN,6\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in
                + ":2:4: value 2 is NaN; every value must be a finite number (drop or impute missing values first)");
    }

    @Test
    void csvInfinity() throws Exception {
        Path in = file("train.csv", "1,-Infinity\n");
        assertFailsWithoutOutput(stats("--csv", s(in)),
                "veil stats: " + in + ":1:3: value 2 ('-Infinity') is not finite");
    }

    @Test
    void csvNumberTooLargeForADouble() throws Exception {
        Path in = file("train.csv", "1,1e999\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in + ":1:3: value 2 ('1e999') is not finite");
    }

    @Test
    void csvHeaderWithoutTheOption() throws Exception {
        Path in = file("train.csv", "width,height\n1,2\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in
                + ":1:1: value 1 ('width') is not a number (if the first line names the columns, add --header)");
    }

    @Test
    void csvValueThatJavaWouldParseButIsNotADecimalNumber() throws Exception {
        Path in = file("train.csv", "1,2\n3,4d\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in + ":2:3: value 2 ('4d') is not a number");
    }

    @Test
    void csvEmptyValue() throws Exception {
        Path in = file("train.csv", "1,,3\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in + ":1:3: value 2 is empty");
    }

    @Test
    void csvWithOnlyAHeaderHoldsNoSamples() throws Exception {
        Path in = file("train.csv", "a,b\n\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--header"), "veil stats: " + in + ": holds no samples");
    }

    @Test
    void csvThatIsNotUtf8() throws Exception {
        Path in = file("train.csv", new byte[] {'1', ',', (byte) 0xff, '\n'});
        assertFailsWithoutOutput(stats("--csv", s(in)),
                "veil stats: " + in + ": is not UTF-8 text (after 0 samples); save it as UTF-8");
    }

    @Test
    void valuesSoLargeThatTheStatisticsOverflow() throws Exception {
        Path in = file("train.csv", "1e300,1\n-1e300,2\n");
        assertFailsWithoutOutput(stats("--csv", s(in)), "veil stats: " + in + ": the statistics of value 1 overflow "
                + "(mean 0.0, std Infinity): the values are too large; divide them with --scale");
        assertThat(stats("--csv", s(in), "--scale", "1e200").exit()).isZero();
    }

    // ---- JSON lines

    @Test
    void jsonLines() throws Exception {
        Path in = file("train.jsonl", "[0, 0.5, 1]\n\n[1, 0.5, 0]\n");
        Result r = stats("--jsonl", s(in));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("read 2 samples of 3 values (JSON arrays)");
        assertThat(doubles(written().get("mean"))).containsExactly(0.5, 0.5, 0.5);
        assertThat(doubles(written().get("std"))).containsExactly(0.5, 0.0, 0.5);
    }

    @Test
    void jsonLinesRagged() throws Exception {
        Path in = file("train.jsonl", "[1, 2]\n[1, 2, 3]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)),
                "veil stats: " + in + ":2:1: ragged rows: this row has 3 values, but the first row (line 1) has 2");
    }

    @Test
    void jsonLinesNaN() throws Exception {
        Path in = file("train.jsonl", "[1, 2]\n[1, NaN]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)),
                "veil stats: " + in + ":2:5: value 2 is NaN; every value must be a finite number");
    }

    @Test
    void jsonLinesNull() throws Exception {
        Path in = file("train.jsonl", "[1, null]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)),
                "veil stats: " + in + ":1:5: value 2 is null; every value must be a finite number");
    }

    @Test
    void jsonLinesNestedArray() throws Exception {
        Path in = file("train.jsonl", "[[1, 2], [3, 4]]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)), "veil stats: " + in
                + ":1:2: value 1 is an array; each line must be a flat array of numbers (flatten images row by row)");
    }

    @Test
    void jsonLinesObject() throws Exception {
        Path in = file("train.jsonl", "{\"x\": [1]}\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)), "veil stats: " + in
                + ":1:1: each line must be a JSON array of numbers such as [0.1, 0.5], found an object");
    }

    @Test
    void jsonLinesInvalidJson() throws Exception {
        Path in = file("train.jsonl", "[1, 2]\n[1, 2,, 3]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)),
                "veil stats: " + in + ":2:7: invalid JSON: Unexpected character (',' (code 44))");
    }

    @Test
    void jsonLinesArraySplitOverLines() throws Exception {
        Path in = file("train.jsonl", "[1,\n2]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)), "veil stats: " + in
                + ":1: the JSON value is not complete on this line; each sample must be one array on one line");
    }

    @Test
    void jsonLinesEmptyArray() throws Exception {
        Path in = file("train.jsonl", "[]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)),
                "veil stats: " + in + ":1:1: the array is empty; every sample needs at least one value");
    }

    @Test
    void jsonLinesTwoArraysOnOneLine() throws Exception {
        Path in = file("train.jsonl", "[1] [2]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in)),
                "veil stats: " + in + ":1:5: unexpected content after the array; put one array on each line");
    }

    // ---- options

    @Test
    void noSourceIsAUsageError() {
        assertFailsWithoutOutput(stats(), "Error: Missing required argument (specify one of these): "
                + "(--idx-images=FILE | --csv=FILE | --jsonl=FILE)");
    }

    @Test
    void twoSourcesAreAUsageError() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--jsonl", s(in)), "are mutually exclusive");
    }

    @Test
    void missingOutIsAUsageError() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFails(veil("stats", "--csv", s(in)), 2, "Missing required option: '--out=FILE'");
    }

    @Test
    void headerWithoutCsvIsAUsageError() throws Exception {
        Path in = file("train.jsonl", "[1]\n");
        assertFailsWithoutOutput(stats("--jsonl", s(in), "--header"), "--header applies to --csv only");
    }

    @Test
    void limitBelowOne() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--limit", "0"), "--limit must be at least 1, was 0");
    }

    @Test
    void scaleNotPositive() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--scale", "0"), "--scale must be a finite number > 0, was 0.0");
    }

    @Test
    void quantilesWithNaN() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--quantiles", "NaN,1"), "--quantiles must be LOW,HIGH");
    }

    @Test
    void quantilesOutOfOrder() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--quantiles", "0.9,0.1"),
                "--quantiles must be LOW,HIGH with 0 <= LOW < HIGH <= 1, e.g. 0.001,0.999, was '0.9,0.1'");
    }

    @Test
    void quantilesNotTwoValues() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--quantiles", "0.5"),
                "--quantiles must be LOW,HIGH with 0 <= LOW < HIGH <= 1, e.g. 0.001,0.999, was '0.5'");
    }

    @Test
    void quantileThatIsNotANumber() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--quantiles", "low,high"),
                "--quantiles must be LOW,HIGH with 0 <= LOW < HIGH <= 1, e.g. 0.001,0.999, was 'low,high'");
    }

    @Test
    void badDataPath() throws Exception {
        Path in = file("train.csv", "1\n");
        assertFailsWithoutOutput(stats("--csv", s(in), "--data-path", "training..stats"),
                "--data-path must be dot-separated names without spaces, such as training.stats, "
                        + "was 'training..stats'");
    }

    @Test
    void outInAMissingDirectory() throws Exception {
        Path in = file("train.csv", "1\n");
        Path target = tmp.resolve("nodir/data.json");
        assertFails(veil("stats", "--csv", s(in), "--out", s(target)), 2,
                "veil stats: --out " + target + ": directory " + tmp.resolve("nodir") + " does not exist");
    }

    @Test
    void outThatIsTheInputIsRefused() throws Exception {
        Path in = file("train.csv", "1,2\n3,4\n");
        assertFails(veil("stats", "--csv", s(in), "--out", s(in)), 2, "veil stats: --out " + in + ": is the input"
                + " file (--csv " + in + "), which writing would replace; give --out another file name");
        assertThat(Files.readString(in)).isEqualTo("1,2\n3,4\n");
        Path link = Files.createSymbolicLink(tmp.resolve("link.csv"), in);
        assertFails(veil("stats", "--csv", s(in), "--out", s(link)), 2, "is the input file");
        assertThat(Files.readString(in)).isEqualTo("1,2\n3,4\n");
    }

    @Test
    void outHoldingOtherDataIsRefusedAndItsOwnOutputReplaced() throws Exception {
        Path in = file("train.csv", "1,2\n3,4\n");
        Path data = tmp.resolve("data.json");
        String monitoring = "{\"monitoring\": {\"thresholds\": {}}, \"training\": {\"stats\": {}}}";
        Files.writeString(data, monitoring);
        assertFails(veil("stats", "--csv", s(in), "--data-path", "training.stats", "--out", s(data)), 2,
                "veil stats: --out " + data + ": exists and holds the keys [monitoring, training], not only the"
                        + " statistics under 'training', which writing would replace; give --out a file of its own"
                        + " (such as training/stats/data.json in the bundle) or delete this one first");
        assertThat(Files.readString(data)).isEqualTo(monitoring);
        Files.writeString(data, "{\"samples\": 3}");
        assertFails(veil("stats", "--csv", s(in), "--data-path", "training.stats", "--out", s(data)), 2,
                "holds the keys [samples], not only the statistics under 'training'");
        Files.writeString(data, "1,2\n");
        assertFails(veil("stats", "--csv", s(in), "--out", s(data)), 2,
                "holds data that is not a JSON object, not only a statistics document");

        // a re-run replaces its own output, with and without a data path; an empty file holds nothing
        Files.writeString(data, "");
        for (int run = 0; run < 2; run++) {
            Result r = veil("stats", "--csv", s(in), "--data-path", "training.stats", "--out", s(data));
            assertThat(r.exit()).as(r.toString()).isZero();
        }
        assertThat(Files.readString(data)).startsWith("{\n  \"training\" : {\n    \"stats\" : {");
        for (int run = 0; run < 2; run++) {
            Result r = stats("--csv", s(file("named.csv", "a,b\n1,2\n3,4\n")), "--header");
            assertThat(r.exit()).as(r.toString()).isZero();
        }
        assertThat(written().get("names")).isNotNull();
    }

    @Test
    void anExistingOutputIsLeftAloneWhenTheInputIsBad() throws Exception {
        Files.writeString(out(), "{\"samples\": 7}");
        Path in = file("train.csv", "1,2\n3\n");
        assertFails(stats("--csv", s(in)), 2, "ragged rows");
        assertThat(Files.readString(out())).isEqualTo("{\"samples\": 7}");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("out.json", "train.csv");
        }
    }
}
