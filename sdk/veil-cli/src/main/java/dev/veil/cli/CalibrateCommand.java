package dev.veil.cli;

import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.internal.bundle.BundleLoader;
import dev.veil.internal.bundle.Roots;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.replay.Calibration;
import dev.veil.internal.monitor.replay.PendingThresholdsBundle;
import dev.veil.internal.monitor.replay.TraceClock;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.Bundle;
import dev.veil.spi.StateStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil calibrate --bundle DIR --benign FILE [--fpr 0.001] [--out monitoring/thresholds/data.json]}:
 * replays benign traffic through the bundle's built-in detectors and writes, per detector, the
 * {@code low}, {@code medium} and {@code high} thresholds that at most {@code 100 * fpr},
 * {@code 10 * fpr} and {@code fpr} of the benign callers reach ({@link Calibration}); a level whose
 * target is 100% or more is written as {@code 0}, not used.
 *
 * <p>The thresholds go into the bundle's data file {@code --out} (a path inside the bundle
 * directory; default {@code monitoring/thresholds/data.json}), placed by its directory: the default
 * makes them data path {@code monitoring.thresholds.<detector>}, which a detector uses with
 * {@code thresholds: monitoring.thresholds.<detector>}. Entries of other detectors already in the
 * file are kept. The report (standard output) gives per detector the callers, each chosen
 * threshold and the share of benign callers it alarms for, then the callers that reach each level on
 * any detector. Refused (exit 2, nothing written): fewer than {@code ceil(1 / fpr)} benign callers
 * whose queries reach the detectors (the rate cannot be measured), a malformed trace line
 * ({@code FILE:LINE: ...}), benign queries the access policy denies or on which the bundle's access
 * or validation question cannot be evaluated (a Guard would answer them {@code internal_error}), a bundle that is not a
 * directory or does not load, an {@code --out} outside the bundle, not named {@code data.json}, or
 * outside the manifest's roots, thresholds with which the bundle would no longer load, a data file
 * that cannot be written (staged beside its place before the report; the old file stays until the
 * rename), a report that cannot be written to standard output (it is printed, and checked, before
 * the data file is renamed into place).
 */
@Command(
        name = "calibrate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Pick the built-in detectors' thresholds from benign traffic for a target false-positive rate per "
                    + "caller and detector, and write them into the bundle's data.",
            "Each detector's high alarms for at most FPR of the benign callers, medium for 10 * FPR, low for "
                    + "100 * FPR; a level whose target reaches 100%% (low from FPR 0.01 on, medium from 0.1) is not "
                    + "used (0, and the report says so), since only a threshold that alarms on every query would be "
                    + "left to pick. A caller may reach a level on any detector, and the report says for how "
                    + "many callers that happens. The benign trace has the format of 'veil monitor replay' and needs "
                    + "at least 1 / FPR callers whose queries reach the detectors.",
            "Use the thresholds with 'thresholds: monitoring.thresholds.<detector>' in a detector's configuration."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the thresholds were written and the report printed",
            "2:bad usage; too few benign callers; a malformed trace line; benign queries the access policy denies "
                    + "or on which the access or validation question cannot be evaluated; no benign caller got a score from a "
                    + "detector whose thresholds the bundle takes from its data; the bundle is not a directory or "
                    + "does not load; --out is not a data.json inside the bundle and its roots, or cannot be written; "
                    + "standard output "
                    + "cannot be written (the report is lost); nothing was written"
        })
final class CalibrateCommand implements Callable<Integer> {
    /** Default bundle-relative data file. */
    static final String DEFAULT_OUT = "monitoring/thresholds/data.json";
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-]+");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "Bundle directory (written into).")
    Path bundle;

    @Option(names = "--benign", required = true, paramLabel = "FILE",
            description = "Benign traffic: a trace in the format of 'veil monitor replay' (gzip-compressed or not; "
                    + "a pipe is read too, and - reads standard input).")
    Path benign;

    @Option(names = "--fpr", paramLabel = "RATE", description = "Target false-positive rate per caller and "
            + "detector of the high level, in (0, 1) (default 0.001).")
    double fpr = 0.001;

    @Option(names = "--out", paramLabel = "PATH", description = "Data file inside the bundle, named data.json "
            + "(default " + DEFAULT_OUT + ").")
    String out = DEFAULT_OUT;

    @Override
    public Integer call() {
        if (!(fpr > 0 && fpr < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--fpr must be in (0, 1), e.g. 0.001, was "
                    + fpr);
        }
        CliFiles.requireReadable(bundle, "--bundle");
        if (!Files.isDirectory(bundle)) {
            throw new CliException("--bundle " + bundle + ": calibrate writes into the bundle, so it must be a "
                    + "directory (unpack a .tar.gz first)");
        }
        MonitorCommand.requireTrace(benign, "--benign");
        List<String> dirs = outDirectories();
        Path target = bundle.resolve(String.join("/", dirs)).resolve("data.json");
        requireWritableDirectory(out, target);

        Bundle raw;
        PendingThresholdsBundle pending;
        PolicyBundle b;
        try {
            raw = PolicyBundle.read(bundle);
            pending = new PendingThresholdsBundle(raw);
            b = PolicyBundle.of(pending);
        } catch (PolicyLoadException e) {
            VeilCli.printBundleErrors(spec.commandLine().getErr(),
                    spec.qualifiedName() + ": bundle " + bundle + " does not load", e);
            return VeilCli.EXIT_USAGE;
        }
        TraceClock clock = new TraceClock(0);
        Calibration.Result result;
        try (StateStore store = ReplayStores.memory(clock)) {
            Calibration c;
            try {
                c = Calibration.start(b, store, clock, fpr);
            } catch (IllegalArgumentException e) {
                throw new CliException("bundle " + bundle + ": " + e.getMessage(), e);
            }
            MonitorCommand.replayFile(benign, c::replay);
            // what the replay would say of the trace (thresholds from an unsorted trace are not a live service's)
            MonitorCommand.printTraceNotes(spec.commandLine().getErr(), spec.qualifiedName(), c.replay());
            MonitorCommand.printEvictionNote(spec.commandLine().getErr(), spec.qualifiedName(),
                    ReplayStores.evictedForRoom(store));
            try {
                result = c.finish();
            } catch (IllegalArgumentException e) {
                throw new CliException(benign + ": " + e.getMessage(), e);
            }
        }
        // A detector no benign caller got a score from cannot be calibrated: any threshold alarms for
        // none of them, and the one written would alarm for every caller that does get a score. A
        // bundle that takes that detector's thresholds from the data would block honest callers.
        Map<String, Map<String, Object>> configs = b.policy().settings().detectors();
        List<String> blind = new ArrayList<>();
        for (Calibration.DetectorResult d : result.detectors()) {
            Map<String, Object> cfg = configs.get(d.name());
            if (d.skipped() == null && d.scored() == 0 && cfg != null && cfg.containsKey(BuiltinDetectors.THRESHOLDS_KEY)) {
                blind.add(d.name());
            }
        }
        if (!blind.isEmpty() && result.queriesWithScores() == 0) {
            throw new CliException(benign + ": the trace carries no scores (the model's answers, \"scores\" on each "
                    + "line), and " + String.join(", ", blind) + " score" + (blind.size() == 1 ? "s" : "")
                    + " the answers, so no benign caller got a score from " + (blind.size() == 1 ? "it" : "them")
                    + " and the bundle takes " + (blind.size() == 1 ? "its" : "their") + " thresholds from its data: "
                    + "record the model's scores in the benign trace; nothing was written");
        }
        if (!blind.isEmpty()) {
            throw new CliException(benign + ": no benign caller got a score from " + String.join(", ", blind)
                    + " (each caller's stream was too short or its queries never qualified), and the bundle takes "
                    + (blind.size() == 1 ? "its" : "their") + " thresholds from its data: there is nothing to "
                    + "calibrate them on. Replay longer benign sessions, or give " + (blind.size() == 1 ? "it" : "them")
                    + " inline thresholds; nothing was written");
        }
        // No usable level at all (high not usable, the others' targets 100% or more): the detector
        // refuses all-zero thresholds, so the bundle that takes them from the data would not load.
        List<String> unusable = new ArrayList<>();
        for (Calibration.DetectorResult d : result.detectors()) {
            Map<String, Object> cfg = configs.get(d.name());
            if (d.skipped() == null && d.scored() > 0 && d.levels().stream().allMatch(l -> l.threshold() == 0)
                    && cfg != null && cfg.containsKey(BuiltinDetectors.THRESHOLDS_KEY)) {
                unusable.add(d.name() + " (high " + d.levels().get(2).note() + ")");
            }
        }
        if (!unusable.isEmpty()) {
            throw new CliException(benign + ": at --fpr " + num(fpr) + " no level of " + String.join(", ", unusable)
                    + " can be used, and the bundle takes its thresholds from its data: use a smaller --fpr or more "
                    + "benign callers; nothing was written");
        }
        Map<String, Object> entries = result.data();
        String dataPath = String.join(".", dirs);
        for (String name : entries.keySet()) {
            String slashPath = dirs.isEmpty() ? name : String.join("/", dirs) + "/" + name;
            if (!Roots.contains(raw.roots(), slashPath)) {
                String inside = Roots.contains(raw.roots(), "monitoring/thresholds/" + name) ? DEFAULT_OUT
                        : raw.roots().get(0) + "/" + DEFAULT_OUT;
                throw new CliException("--out " + out + ": the thresholds would be data path " + slashPath.replace('/',
                        '.') + ", outside the bundle's roots " + raw.roots() + " (see its .manifest); put the file "
                        + "under a root, e.g. --out " + inside);
            }
        }
        // what the file holds: kept but for these entries, and shown beside each new threshold it replaces
        Map<String, Object> previous = Files.exists(target) ? Json.readObject(target, "--out") : Map.of();
        byte[] bytes = entries.isEmpty() ? null : prepare(raw, target, previous, entries);
        if (bytes == null) {
            report(result, false, configs, previous);
            spec.commandLine().getOut().println("nothing written: no detector could be calibrated");
            return VeilCli.EXIT_OK;
        }
        // staged before the report: a file that cannot be written fails before thresholds are shown as chosen
        List<Path> created = new ArrayList<>();
        CliFiles.Staged staged = stage(target, bytes, created);
        report(result, true, configs, previous);
        // the report first: thresholds written without it would be thresholds nobody has seen
        if (!VeilCli.stdoutWritten(spec)) {
            staged.abandon();
            removeEmpty(created);
            spec.commandLine().getErr().println(ControlChars.escaped(spec.qualifiedName() + ": the report could not be shown, so the "
                    + "thresholds were not written: " + target + " is unchanged"));
            return VeilCli.EXIT_USAGE;
        }
        staged.commit();
        reportWritten(pending.missing(), target, dataPath);
        notes(raw, pending.missing(), entries, dataPath);
        return VeilCli.EXIT_OK;
    }

    /** {@code p} with its longest existing part resolved by the file system (links followed). */
    private static Path resolved(Path p) {
        Path existing = p;
        while (existing != null && !java.nio.file.Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return p;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(p));
        } catch (java.io.IOException e) {
            return p;
        }
    }

    /** The directories of {@code --out}, checked: relative, inside the bundle, a file named data.json. */
    private List<String> outDirectories() {
        String p = out.replace('\\', '/');
        Path abs = Path.of(out);
        if (abs.isAbsolute()) {
            // compared as the file system resolves them: a bundle named through a symbolic link holds the
            // files named through its target
            Path root = resolved(bundle.toAbsolutePath().normalize());
            abs = resolved(abs.normalize());
            if (!abs.startsWith(root)) {
                throw new CliException("--out " + out + ": is outside the bundle " + root + "; name a data.json inside "
                        + "it, e.g. " + DEFAULT_OUT + " (relative to the bundle)");
            }
            Path rel = root.relativize(abs.normalize());
            p = rel.toString().replace('\\', '/');
        }
        List<String> parts = new ArrayList<>(List.of(p.split("/")));
        parts.removeIf(s -> s.isEmpty() || s.equals("."));
        if (parts.isEmpty() || !parts.get(parts.size() - 1).equals("data.json")) {
            throw new CliException("--out " + out + ": must name a file called data.json inside the bundle, e.g. "
                    + DEFAULT_OUT + " (OPA places a data file by its directory)");
        }
        List<String> dirs = parts.subList(0, parts.size() - 1);
        for (String d : dirs) {
            if (!SEGMENT.matcher(d).matches()) {
                throw new CliException("--out " + out + ": must stay inside the bundle and use directory names of "
                        + "letters, digits, '_' and '-' (a data path step), found '" + d + "'");
            }
        }
        return List.copyOf(dirs);
    }

    /** The data file ({@code previous}, what it holds) with the entries merged in, checked to leave the bundle loading; nothing written yet. */
    private byte[] prepare(Bundle raw, Path target, Map<String, Object> previous, Map<String, Object> entries) {
        Map<String, Object> doc = new LinkedHashMap<>(previous);
        doc.putAll(entries);
        byte[] bytes;
        try {
            bytes = (Json.MAPPER.writeValueAsString(doc) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("the thresholds do not serialise: " + e.getMessage(), e);
        }
        requireStillLoads(raw, target, bytes);
        return bytes;
    }

    /**
     * Fails before the replay (which can take minutes) when the thresholds could not be written:
     * the nearest existing directory of {@code target} must be writable, since the file is replaced
     * by a rename in its directory (and missing directories are created), whatever the file's own mode.
     */
    static void requireWritableDirectory(String out, Path target) {
        Path d = target.toAbsolutePath().getParent();
        while (d != null && !Files.exists(d)) {
            d = d.getParent();
        }
        if (d != null && !Files.isWritable(d)) {
            throw new CliException("--out " + out + ": directory " + d + " is not writable, and calibrate replaces "
                    + target.getFileName() + " there by a rename: copy the bundle somewhere writable (or give --out a "
                    + "path in a writable directory of the bundle); nothing was replayed or written");
        }
    }

    /**
     * The data file written beside {@code target}, its missing directories created (listed in
     * {@code created}, the outermost first), waiting to be renamed over it; on a failure the
     * directories this made are removed again and nothing has changed.
     */
    private static CliFiles.Staged stage(Path target, byte[] bytes, List<Path> created) {
        for (Path d = target.getParent(); d != null && !Files.exists(d); d = d.getParent()) {
            created.add(0, d);
        }
        try {
            Files.createDirectories(target.getParent());
            return CliFiles.stage(target, bytes, "--out");
        } catch (IOException e) {
            removeEmpty(created);
            throw new CliException("--out " + target + ": cannot be written: " + CliFiles.describe(e)
                    + "; nothing was written", e);
        } catch (CliException e) {
            removeEmpty(created);
            throw e;
        }
    }

    /** Removes the directories this run created, the innermost first, if they are still empty. */
    private static void removeEmpty(List<Path> created) {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(created.get(i));
            } catch (IOException ignored) {
                // not empty or not removable: left as it is, as an empty directory changes no data
            }
        }
    }

    /**
     * Refuses a write that would keep the bundle from loading (thresholds written over data the
     * policy reads as something else, say its training statistics): tried first on the bundle's
     * files in memory, with the new file in place. Threshold paths that still have no data are not
     * this write's doing, as when reading.
     */
    private void requireStillLoads(Bundle raw, Path target, byte[] bytes) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String f : raw.files()) {
            files.put(f, raw.read(f));
        }
        String rel = bundle.toAbsolutePath().normalize().relativize(target.toAbsolutePath().normalize()).toString()
                .replace('\\', '/');
        files.put(rel, bytes);
        try {
            PolicyBundle.of(new PendingThresholdsBundle(BundleLoader.fromFiles(bundle.toString(), files)));
        } catch (PolicyLoadException e) {
            VeilCli.printBundleErrors(spec.commandLine().getErr(), spec.qualifiedName() + ": with the "
                    + "thresholds written to " + target + " the bundle would not load", e);
            throw new CliException("--out " + out + ": writing the thresholds there would break the bundle "
                    + "(above); nothing was written" + (out.equals(DEFAULT_OUT) ? ""
                    : ". The default, " + DEFAULT_OUT + ", holds nothing else"));
        }
    }

    /** The report up to what was written: the detectors' thresholds, and how many callers reach each level. */
    private void report(Calibration.Result r, boolean writing, Map<String, Map<String, Object>> configs,
            Map<String, Object> previous) {
        PrintWriter w = spec.commandLine().getOut();
        w.println(ControlChars.escaped("calibrated on " + r.callers() + " benign callers (" + r.queries() + " queries), target "
                + "false-positive rate " + num(r.fpr()) + " per caller and detector"));
        MonitorCommand.printRefusals(w, "benign", r.refusals(), r.firstRefusals());
        for (Calibration.DetectorResult d : r.detectors()) {
            if (d.skipped() != null) {
                w.println(ControlChars.escaped(d.name() + " (" + d.type() + "): skipped: " + d.skipped()));
                continue;
            }
            w.println(ControlChars.escaped(d.name() + " (" + d.type() + ", " + (d.higherIsWorse() ? "higher" : "lower")
                    + " scores are worse): " + d.callers() + " callers, " + d.scored() + " with a score"));
            Map<String, Object> cfg = configs.get(d.name());
            if (cfg != null && !cfg.containsKey(BuiltinDetectors.THRESHOLDS_KEY)) {
                w.println(ControlChars.escaped("  note: this bundle sets " + d.name() + "'s thresholds inline: what is "
                        + "written for it changes nothing until its configuration reads them (thresholds: and the data "
                        + "path printed at the end, instead of low, medium and high)"));
            }
            if (d.scored() > 0 && 2L * d.scored() < d.callers()) {
                // the target is a rate over every caller: callers without a score never alarm, so they
                // let the scored ones alarm more often than the target, in traffic where all are scored
                Calibration.NoScore why = d.noScore(); // a type's own reason (feature_sweep: no second value)
                w.println(ControlChars.escaped("  note: " + (d.callers() - d.scored()) + " of the " + d.callers()
                        + " callers " + why.why() + ", and never alarm: the target is a rate over all callers, so "
                        + "the scored ones may alarm up to " + num((double) d.callers() / d.scored()) + " times as "
                        + "often as it " + why.traffic()));
            }
            for (int i = d.levels().size() - 1; i >= 0; i--) {
                Calibration.LevelResult l = d.levels().get(i);
                String t = threshold(l.threshold(), d.integer());
                String was = previous.get(d.name()) instanceof Map<?, ?> m && m.get(l.level()) instanceof Number n
                        ? "; was " + threshold(n.doubleValue(), d.integer()) : "";
                w.println(ControlChars.escaped(String.format("  %-6s %-12s alarms for %d of %d benign callers (%s), target %s%s%s", l.level(),
                        t, l.alarmed(), d.callers(), pct((double) l.alarmed() / d.callers()), pct(l.targetRate()),
                        l.note().isEmpty() ? "" : "; " + l.note(), was)));
            }
        }
        if (writing) {
            List<String> any = new ArrayList<>();
            for (int l = r.anyAlarmed().size() - 1; l >= 0; l--) {
                int k = r.anyAlarmed().get(l);
                any.add(BuiltinDetectors.LEVELS.get(l) + " " + k + " (" + pct((double) k / r.callers()) + ")");
            }
            w.println(ControlChars.escaped("all calibrated detectors together (a caller reaches a level on any of them), benign callers at: "
                    + String.join(", ", any) + " of " + r.callers()));
        }
    }

    /** A threshold as the report shows it: {@code 0 (not used)}, a whole number for a count, else a decimal. */
    private static String threshold(double t, boolean integer) {
        return t == 0 ? "0 (not used)" : integer ? Long.toString(Math.round(t)) : num(t);
    }

    /** The end of the report once the data file is written. */
    private void reportWritten(List<String> missing, Path written, String dataPath) {
        PrintWriter w = spec.commandLine().getOut();
        String prefix = dataPath.isEmpty() ? "" : dataPath + ".";
        w.println(ControlChars.escaped("wrote " + written + " (data path " + prefix + "<detector>); use it with 'thresholds: " + prefix
                + "<detector>' in a detector's configuration"));
        if (!missing.isEmpty()) {
            w.println(ControlChars.escaped("note: these threshold paths had no data before: " + String.join(", ", missing)));
        }
    }

    /**
     * Warns (standard error) when the bundle is signed and its data changed, or does not load yet:
     * the write was tried before it was made (requireStillLoads), so what can still keep the bundle
     * from loading is a thresholds path that had no data and that this run did not write.
     */
    private void notes(Bundle before, List<String> missing, Map<String, Object> written, String dataPath) {
        PrintWriter err = spec.commandLine().getErr();
        if (!written.isEmpty() && before.files().contains(".signatures.json")) {
            err.println(ControlChars.escaped(spec.qualifiedName() + ": note: the bundle is signed and its data changed: sign it again "
                    + "(veil bundle sign)"));
        }
        String prefix = dataPath.isEmpty() ? "" : dataPath + ".";
        List<String> still = missing.stream()
                .filter(p -> !(p.startsWith(prefix) && written.containsKey(p.substring(prefix.length())))).toList();
        if (!still.isEmpty()) {
            err.println(ControlChars.escaped(spec.qualifiedName() + ": note: the bundle does not load yet: no data at threshold path "
                    + String.join(", ", still) + " (this run wrote data path " + prefix + "<detector>)"));
        }
    }

    private static String num(double v) {
        // every digit of the double (its shortest decimal form): the report's number is the one written
        BigDecimal d = BigDecimal.valueOf(v).stripTrailingZeros();
        // plain digits for ordinary thresholds; 1.797...E+308 (Double.MAX_VALUE) stays short
        return Math.abs(v) >= 1e15 || (v != 0 && Math.abs(v) < 1e-6) ? d.toString() : d.toPlainString();
    }

    private static String pct(double share) {
        return BigDecimal.valueOf(share * 100).round(new MathContext(3)).stripTrailingZeros().toPlainString() + "%";
    }
}
