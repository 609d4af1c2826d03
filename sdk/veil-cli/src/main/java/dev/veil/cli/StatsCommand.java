package dev.veil.cli;

import dev.veil.internal.text.ControlChars;
import dev.veil.internal.validation.TrainingStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil stats}: computes the training-distribution statistics a policy's
 * {@code validation.distribution.stats} names ({@link TrainingStats#compute}, document
 * {@link TrainingStats#toData()}) from training samples, and writes them as JSON for a bundle's
 * {@code data.json}.
 *
 * <p>Sources (exactly one):
 * <ul>
 *   <li>{@code --idx-images FILE} an IDX image file as MNIST and Fashion-MNIST ship them, gzip
 *       compressed or not: big-endian magic {@code 0x00000803}, count, rows, columns, then one
 *       unsigned byte per pixel; each byte is divided by {@code --scale} (default 255, giving
 *       [0, 1]);</li>
 *   <li>{@code --csv FILE} comma-separated numbers, one sample per line; with {@code --header} the
 *       first line names the columns (the policy's features): the statistics are then written in
 *       name order, the order {@code Features.named(Map)} gives a request's features, with those
 *       names in a {@code names} field that the bundle loader checks against the contract's
 *       {@code features};</li>
 *   <li>{@code --jsonl FILE} one flat JSON array of numbers per line.</li>
 * </ul>
 * For the text formats {@code --scale} defaults to 1 (values kept as they are). Blank lines are
 * skipped. {@code --limit N} reads the first N samples only.
 *
 * <p>The output is the statistics document itself or, with {@code --data-path a.b}, the document
 * nested at that path ({@code {"a": {"b": {...}}}}), so that a {@code data.json} at the bundle's
 * root serves it under {@code stats: a.b}. Errors (exit 2): wrong IDX magic, a truncated file,
 * data after the last image, ragged rows, values that are not numbers, NaN or infinite values,
 * no samples, values so large that the statistics overflow; each names the file and, for text,
 * {@code LINE:COLUMN}. Nothing is written then. An {@code --out} that is the input file, or an
 * existing file holding more than what this command writes there (the statistics document, or
 * the data path's top-level key only), is refused (exit 2) before anything is read: it would be lost.
 */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Compute training-distribution statistics (per-feature mean and std, ranges of the mean, std and "
                    + "roughness of whole samples) for validation.distribution.stats, and write them as JSON for a "
                    + "bundle's data.json.",
            "Example: veil stats --idx-images train-images-idx3-ubyte.gz --data-path training.stats "
                    + "--out bundle/data.json"
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the statistics were written",
            "2:bad usage; the input is missing, unreadable or malformed (wrong magic, truncated, ragged rows, "
                    + "NaN or non-numeric values); --out is the input or holds other data; nothing was written"
        })
final class StatsCommand implements Callable<Integer> {
    /** Default scale of IDX bytes: 255 maps them to [0, 1]. */
    static final double IDX_SCALE = 255;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Training samples (one of):%n")
    Source source;

    /** The three input formats; exactly one is given. */
    static final class Source {
        @Option(names = "--idx-images", paramLabel = "FILE",
                description = "IDX image file (idx3, gzip or not), e.g. train-images-idx3-ubyte.gz.")
        Path idx;

        @Option(names = "--csv", paramLabel = "FILE", description = "CSV file: one sample per line, numbers only.")
        Path csv;

        @Option(names = "--jsonl", paramLabel = "FILE", description = "JSON lines: one array of numbers per line.")
        Path jsonl;
    }

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "Where to write the JSON document (replaced atomically). An existing file is replaced "
                    + "only if it holds nothing but what this command writes there (the statistics document, or "
                    + "the top-level key of --data-path): a data.json with other data, or the input, is refused.")
    Path out;

    @Option(names = "--data-path", paramLabel = "PATH",
            description = "Nest the statistics at this dotted path, e.g. training.stats writes "
                    + "{\"training\": {\"stats\": {...}}} (default: the statistics document alone).")
    String dataPath;

    @Option(names = "--limit", paramLabel = "N", description = "Read only the first N samples.")
    Integer limit;

    @Option(names = "--header", description = "CSV only: the first line names the columns, as the policy's "
            + "features. The statistics are written in name order (the order Features.named(Map) gives a "
            + "request's features), whatever the columns' order, with the names in a names field that the "
            + "bundle loader checks against the contract's features. Without --header the statistics follow the "
            + "columns' order, which must then be the feature vector's.")
    boolean header;

    @Option(names = "--scale", paramLabel = "S",
            description = "Divide every value by S (default 255 for --idx-images, 1 otherwise).")
    Double scale;

    @Option(names = "--quantiles", paramLabel = "LOW,HIGH",
            description = "Quantiles of the summary ranges (default 0.001,0.999); each range is then widened by "
                    + "10%% of its width on each side, the lower bounds of std and roughness no lower than 0.")
    String quantileText = "0.001,0.999";

    private double[] quantiles;

    @Override
    public Integer call() {
        checkOptions();
        Path in = source.idx != null ? source.idx : source.csv != null ? source.csv : source.jsonl;
        CliFiles.requireWritableTarget(out, "--out");
        requireReplaceableOut(in);
        double s = scale != null ? scale : source.idx != null ? IDX_SCALE : 1;
        int max = limit != null ? limit : Integer.MAX_VALUE;
        TrainingStats stats;
        String layout;
        try (Samples samples = open(s, max)) {
            try {
                stats = TrainingStats.compute(samples, quantiles[0], quantiles[1]);
            } catch (IllegalArgumentException e) {
                if (samples.read() == 0) {
                    throw new CliException(in + ": holds no samples", e);
                }
                throw new CliException(in + ": " + e.getMessage(), e);
            }
            layout = samples.layout();
            requireFinite(in, stats);
            if (samples instanceof Samples.Csv csv && csv.names() != null) {
                stats = stats.withNames(csv.names());
            }
        } catch (IOException e) {
            throw new CliException(in + ": cannot be closed: " + CliFiles.describe(e), e);
        }
        Object doc = stats.toData();
        if (dataPath != null) {
            String[] parts = dataPath.split("\\.");
            for (int i = parts.length - 1; i >= 0; i--) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(parts[i], doc);
                doc = m;
            }
        }
        CliFiles.writeAtomically(out, (Json.text(doc) + "\n").getBytes(StandardCharsets.UTF_8), "--out");
        TrainingStats computed = stats;
        String read = layout;
        VeilCli.confirm(spec, out.toString(), w -> printSummary(w, in, computed, read));
        return VeilCli.EXIT_OK;
    }

    private void checkOptions() {
        CommandLine cl = spec.commandLine();
        if (header && source.csv == null) {
            throw new CommandLine.ParameterException(cl, "--header applies to --csv only");
        }
        if (limit != null && limit < 1) {
            throw new CommandLine.ParameterException(cl, "--limit must be at least 1, was " + limit);
        }
        if (scale != null && !(scale > 0 && Double.isFinite(scale))) {
            throw new CommandLine.ParameterException(cl, "--scale must be a finite number > 0, was " + scale);
        }
        String[] q = quantileText.split(",", -1);
        quantiles = new double[q.length];
        try {
            for (int i = 0; i < q.length; i++) {
                quantiles[i] = Double.parseDouble(q[i].strip());
            }
        } catch (NumberFormatException e) {
            quantiles = new double[0];
        }
        if (quantiles.length != 2 || !(quantiles[0] >= 0 && quantiles[0] < quantiles[1] && quantiles[1] <= 1)) {
            throw new CommandLine.ParameterException(cl, "--quantiles must be LOW,HIGH with 0 <= LOW < HIGH <= 1, "
                    + "e.g. 0.001,0.999, was '" + quantileText + "'");
        }
        if (dataPath != null && !dataPath.matches("[^.\\s]+(\\.[^.\\s]+)*")) {
            throw new CommandLine.ParameterException(cl, "--data-path must be dot-separated names without spaces, "
                    + "such as training.stats, was '" + dataPath + "'");
        }
    }

    /** The top-level keys of the statistics document ({@link TrainingStats#toData()}). */
    private static final Set<String> STATS_KEYS = Set.of("names", "mean", "std", "summary", "samples");

    /**
     * Refuses an {@code --out} that is the input, or an existing file that holds anything but what
     * this command writes (a re-run may replace its own output): a bundle's {@code data.json}
     * holding other data, or a training file, would be lost.
     */
    private void requireReplaceableOut(Path in) {
        if (!Files.exists(out)) {
            return;
        }
        String option = source.idx != null ? "--idx-images" : source.csv != null ? "--csv" : "--jsonl";
        try {
            if (Files.isSameFile(out, in)) {
                throw new CliException("--out " + out + ": is the input file (" + option + " " + in + "), which "
                        + "writing would replace; give --out another file name");
            }
        } catch (IOException e) {
            return; // the input is missing or unreadable: reading it says so
        }
        String top = dataPath != null ? dataPath.split("\\.")[0] : null;
        Object old;
        try {
            byte[] bytes = CliFiles.read(out, "--out");
            old = new String(bytes, StandardCharsets.UTF_8).isBlank() ? Map.of() : Json.MAPPER.readValue(bytes,
                    Object.class);
        } catch (IOException e) {
            old = null; // not JSON: not ours
        }
        if (!(old instanceof Map<?, ?> m)) {
            throw refusedOut("data that is not a JSON object", top);
        }
        if (top != null ? !m.keySet().stream().allMatch(top::equals) : !STATS_KEYS.containsAll(m.keySet())) {
            Set<String> keys = new TreeSet<>();
            m.keySet().forEach(k -> keys.add(ControlChars.escaped(String.valueOf(k))));
            throw refusedOut("the keys " + keys, top);
        }
    }

    private CliException refusedOut(String held, String top) {
        return new CliException("--out " + out + ": exists and holds " + held + ", not only "
                + (top != null ? "the statistics under '" + ControlChars.escaped(top) + "'" : "a statistics document")
                + ", which writing would replace; give --out a file of its own (such as training/stats/data.json "
                + "in the bundle) or delete this one first");
    }

    /** Values near the largest double make the variance overflow; the document must hold finite numbers only. */
    private static void requireFinite(Path in, TrainingStats stats) {
        double[] mean = stats.mean();
        double[] std = stats.std();
        for (int i = 0; i < mean.length; i++) {
            if (!Double.isFinite(mean[i]) || !Double.isFinite(std[i])) {
                throw new CliException(in + ": the statistics of value " + (i + 1) + " overflow (mean " + mean[i]
                        + ", std " + std[i] + "): the values are too large; divide them with --scale");
            }
        }
        stats.summary().forEach((k, r) -> {
            if (!Double.isFinite(r[0]) || !Double.isFinite(r[1])) {
                throw new CliException(in + ": the range of the summary statistic " + k + " overflows: the values are "
                        + "too large; divide them with --scale");
            }
        });
    }

    private Samples open(double s, int max) {
        if (source.idx != null) {
            return new Samples.Idx(source.idx, s, max);
        }
        if (source.csv != null) {
            return new Samples.Csv(source.csv, s, max, header);
        }
        return new Samples.JsonLines(source.jsonl, s, max);
    }

    private void printSummary(PrintWriter w, Path in, TrainingStats stats, String layout) {
        double[] mean = stats.mean();
        double sum = 0;
        for (double m : mean) {
            sum += m;
        }
        w.println(ControlChars.escaped("read " + stats.samples() + " samples of " + mean.length + " values (" + layout + ") from " + in));
        w.println(String.format(Locale.ROOT, "mean value %.4f; summary ranges:", sum / mean.length));
        stats.summary().forEach((k, r) -> w.println(String.format(Locale.ROOT, "  %-9s [%.4f, %.4f]", k, r[0], r[1])));
        w.println(ControlChars.escaped("wrote " + out + (dataPath != null ? " (statistics at data path " + dataPath + ")" : "")));
    }
}
