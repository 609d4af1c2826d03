package dev.veil.cli;

import dev.veil.internal.text.ControlChars;
import dev.veil.PolicyBundle;
import dev.veil.internal.io.StrictGzipInputStream;
import dev.veil.internal.monitor.replay.CallerBoundException;
import dev.veil.internal.monitor.replay.CallerResult;
import dev.veil.internal.monitor.replay.MonitorReplay;
import dev.veil.internal.monitor.replay.TraceClock;
import dev.veil.internal.monitor.replay.TraceFormatException;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil monitor}: query-stream monitoring tools; {@code veil monitor replay} replays a trace. */
@Command(name = "monitor", mixinStandardHelpOptions = true, description = "Query-stream monitoring tools.",
        subcommands = {MonitorCommand.Replay.class, CommandLine.HelpCommand.class})
final class MonitorCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil monitor replay --bundle DIR --trace FILE [--redis URL]}: replays a trace of queries
     * through the bundle's monitoring as a Guard runs it ({@link MonitorReplay}) and prints, for every
     * caller in order of first appearance, exactly one line
     * {@code {"caller": "...", "queries": N, "first_alarm": I or null, "detectors": {"<name>": I or null, ...}}}
     * (detectors in the policy's order; I is a 0-based index among the caller's queries; a caller
     * with a tenant, an id within it, gets {@code , "tenant": "..."} after the detectors), then
     * {@code callers: N, flagged: K}. The trace format is {@link dev.veil.internal.monitor.replay.TraceReader}'s.
     *
     * <p>With {@code --redis URL} the state lives in Redis, in a fresh namespace deleted afterwards;
     * the output is the same as in memory, except where the trace pauses longer than a time to live
     * of detector state: Redis expires keys on its server's clock, so a replay faster than the trace
     * keeps state that the in-memory replay (on the trace's time, as a live Guard) forgets; a warning
     * on standard error names the first such pause. Queries refused before monitoring (access denied, blocked,
     * rate limited, quota, invalid input, and a failure of the bundle's access or validation question, which a
     * Guard denies whatever on_error says) are counted on standard error, and the replay goes on; lines denied
     * because a detector or the monitoring question failed on them are counted in a note of their own. A malformed line fails with
     * {@code FILE:LINE: what is wrong} and nothing on standard output (exit 2). In memory the store
     * holds rate-limit, quota and cool-down state for at most {@code --max-callers} callers at once
     * (default {@link MonitorReplay#DEFAULT_MAX_CALLERS}, the Guard's); a trace that needs more fails
     * the same way at the line that would have been refused, rather than printing figures the bound
     * changed (new callers refused, so never flagged, where {@code --redis} flags them).
     */
    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = {
                "Replay a trace of queries through a bundle's monitoring, as a Guard would run it, and print when "
                        + "each caller was first flagged.",
                "Trace: JSON lines {\"caller\": \"...\", \"ts_ms\": 1700000000000, \"features\": [..], "
                        + "\"scores\": [..]} in file order; features may also be an object of named features "
                        + "{\"income\": 45000, \"age\": 31, ...} (null: absent) for tabular bundles; scores (the "
                        + "model's raw class scores) may be absent, and "
                        + "detectors that read answers then stay silent; optional \"tenant\" (string), \"roles\" "
                        + "(strings) and \"attributes\" (an object of strings) describe the caller, who is "
                        + "authenticated by API key. The bundle's access "
                        + "and validation refuse what a Guard would, and so does a detector that cannot take a line's "
                        + "features (not rows of its width, in a bundle that fixes no shape: each such line is named "
                        + "on standard error and the replay goes on); a detector that fails to give its signal or to "
                        + "remember an answer is handled as the bundle's on_error says (deny: the line is refused; "
                        + "degrade: that signal is left out), named on standard error, and the replay goes on; "
                        + "so is a line on which the bundle's monitoring question itself fails (a Rego rule that "
                        + "errs or is undefined for it: deny: the line is refused; degrade: no monitoring rule "
                        + "applies to it); a line on which the bundle's access or validation question fails is "
                        + "refused before monitoring (access_failed, validation_failed), as a Guard denies it whatever "
                        + "on_error says, and the replay goes on; "
                        + "refusals are counted on standard error (lines a detector or the monitoring question failed "
                        + "on and that a Guard denies, detector_failed and monitoring_failed, in a note of their own, "
                        + "not as refused before monitoring), and a "
                        + "trace whose described callers access refuses whole is an error. A line without roles, "
                        + "tenant or attributes does not say who its caller is: if only the access default denies it (no rule "
                        + "matched), it is monitored anyway, without a rate limit or quota, and a note on standard "
                        + "error counts such lines; caller \"anonymous\" is a request without credentials. Lines are "
                        + "replayed in file order, also when ts_ms goes back (a note says so): sort by ts_ms. "
                        + "Windows, rates, quotas, blocks and the time to live of detector state (ttl_seconds: "
                        + "near_duplicate 1 h and knn 24 h by default) run on ts_ms, so a caller who pauses longer "
                        + "than that in the trace loses its history as in a live Guard; with --redis the time to "
                        + "live runs on the Redis server's clock instead, and a replay faster than the trace keeps "
                        + "such a history, so results may differ from the in-memory replay's: a warning on standard "
                        + "error names the first pause longer than the detectors' shortest time to live.",
                "Output: one line per caller (an id within its tenant), in order of first appearance: "
                        + "{\"caller\": \"...\", \"queries\": N, "
                        + "\"first_alarm\": I or null, \"detectors\": {\"<name>\": I or null, ...}}, with "
                        + "\"tenant\": \"...\" last, after the detectors, when the lines name one (one id in two "
                        + "tenants is two callers) (I: 0-based index "
                        + "among the caller's queries of the first query for which a monitoring rule fired: any rule for "
                        + "first_alarm; for a detector, a rule that needed its signal, so a rule on several signals "
                        + "(signals: {rate: low, burst: low}) counts for each of them), then 'callers: N, flagged: K'."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the replay ran; its results were printed",
                "2:bad usage; the bundle does not load or has a custom detector; a trace line is malformed "
                        + "(FILE:LINE: what is wrong); the bundle's access rules refused every query of callers the "
                        + "trace describes (roles, tenant or attributes), or no query was observed at all (every one "
                        + "refused before monitoring, e.g. by validation, or denied because monitoring failed on it); in memory, more callers with rate-limit, "
                        + "quota or cool-down state at once than --max-callers; Redis cannot be reached"
            })
    static final class Replay implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--bundle", required = true, paramLabel = "BUNDLE",
                description = "Bundle directory or .tar.gz.")
        Path bundle;

        @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The trace, JSON lines, "
                + "gzip-compressed or not (told by its first bytes); a pipe such as /dev/stdin is read too, and - "
                + "reads standard input.")
        Path trace;

        @Option(names = "--redis", paramLabel = "URL",
                description = "Keep the state in Redis (e.g. redis://localhost:6379), in a fresh namespace deleted "
                        + "afterwards, instead of in memory (a replay killed before it ends leaves its keys to expire "
                        + "with their time to live, at most a day).")
        String redis;

        @Option(names = "--redis-ca", paramLabel = "FILE",
                description = "With a rediss:// --redis URL: the PEM CA certificates the server's certificate must "
                        + "chain to (as redis.conf's tls-ca-cert-file), instead of the JVM's trust store.")
        Path redisCa;

        @Option(names = "--redis-cert", paramLabel = "FILE",
                description = "With a rediss:// --redis URL and --redis-key: the PEM client certificate chain (mutual "
                        + "TLS), for a server that asks for one (tls-auth-clients yes, Redis's default).")
        Path redisCert;

        @Option(names = "--redis-key", paramLabel = "FILE",
                description = "The unencrypted PKCS#8 PEM private key of --redis-cert's certificate.")
        Path redisKey;

        @Option(names = "--max-callers", paramLabel = "N",
                description = "In memory: the most callers with rate-limit, quota or cool-down state at once, as "
                        + "Guard.Builder.maxCallers (default: ${DEFAULT-VALUE}, the Guard's). A trace that needs more "
                        + "is an error (exit 2) naming the line, not figures a bound changed: raise N (more memory) "
                        + "or use --redis, which has no such bound.")
        int maxCallers = MonitorReplay.DEFAULT_MAX_CALLERS;

        @Override
        public Integer call() {
            if (maxCallers < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--max-callers must be at least 1, was "
                        + maxCallers);
            }
            CliFiles.requireReadable(bundle, "--bundle");
            requireTrace(trace, "--trace");
            ReplayStores.Tls tls = tls();
            PolicyBundle b = VeilCli.loadOrReport(spec, bundle);
            if (b == null) {
                return VeilCli.EXIT_USAGE;
            }
            TraceClock clock = new TraceClock(0);
            MonitorReplay replay;
            long evicted = 0;
            if (redis == null) {
                try (StateStore store = ReplayStores.memory(clock, maxCallers)) {
                    replay = run(b, store, clock);
                    evicted = ReplayStores.evictedForRoom(store);
                }
            } else {
                try (ReplayStores.Redis r = new ReplayStores.Redis(redis, tls, clock)) {
                    replay = run(b, r.store(), clock);
                    try {
                        r.settle();
                    } catch (StateUnavailableException e) {
                        throw new CliException("--redis: " + e.getMessage(), e);
                    }
                }
            }
            long denied = replay.refusals().getOrDefault(MonitorReplay.Refusal.ACCESS_DENIED, 0L);
            if (replay.queries() > 0 && denied == replay.queries()) { // every line described its caller
                throw new CliException(trace + ": the bundle's access rules refused every query of the trace ("
                        + replay.firstRefusals().get(MonitorReplay.Refusal.ACCESS_DENIED) + "), so no detector saw "
                        + "any: give the trace's lines the \"roles\", \"tenant\" and \"attributes\" its callers "
                        + "have, as the bundle's access section expects (e.g. \"roles\": [\"analyst\"])");
            }
            long refused = replay.refusals().values().stream().mapToLong(Long::longValue).sum();
            if (replay.queries() > 0 && refused == replay.queries()) { // "flagged: 0" would say nothing
                List<String> parts = replay.refusals().entrySet().stream().filter(e -> e.getValue() > 0)
                        .map(e -> e.getKey().name().toLowerCase(Locale.ROOT) + " " + e.getValue()).toList();
                boolean failed = parts.size() > MonitorCommand.parts(replay.refusals(), false).size();
                throw new CliException(trace + (failed
                        ? ": no query of the trace was observed: the bundle refused every one before monitoring, or "
                                + "monitoring failed on it, as a Guard would deny it ("
                        : ": no query of the trace reached the detectors: the bundle refused every one before "
                                + "monitoring, as a Guard would (") + String.join(", ", parts) + "; first: "
                        + replay.firstRefusal() + "); check the trace's callers and "
                        + "features against the bundle's access and validation sections"
                        + (replay.refusals().get(MonitorReplay.Refusal.DETECTOR_FAILED) > 0
                                ? " and the width its image detectors read" : "")
                        + (replay.refusals().get(MonitorReplay.Refusal.MONITORING_FAILED) > 0
                                ? ", and its monitoring question, which failed" : ""));
            }
            PrintWriter out = spec.commandLine().getOut();
            for (CallerResult c : replay.results()) {
                out.println(c.toJson());
            }
            out.println(replay.summary());
            // the trace notes below list the lines a detector or the monitoring question failed on, the
            // first among them
            Map<MonitorReplay.Refusal, String> first = new java.util.EnumMap<>(MonitorReplay.Refusal.class);
            first.putAll(replay.firstRefusals());
            first.remove(MonitorReplay.Refusal.DETECTOR_FAILED);
            first.remove(MonitorReplay.Refusal.MONITORING_FAILED);
            printRefusals(spec.commandLine().getErr(), spec.qualifiedName(), replay.refusals(), first);
            printRefusedLines(spec.commandLine().getErr(), spec.qualifiedName(), replay);
            printTraceNotes(spec.commandLine().getErr(), spec.qualifiedName(), replay);
            printEvictionNote(spec.commandLine().getErr(), spec.qualifiedName(), evicted);
            if (redis != null && replay.ttlPauses() > 0) {
                printTtlWarning(spec.commandLine().getErr(), spec.qualifiedName(), replay);
            }
            if (replay.queries() == 0) { // the contract's output, but a likely mistake (an empty or wrong file)
                spec.commandLine().getErr().println(spec.qualifiedName() + ": note: the trace holds no query (it is empty "
                        + "or blank)");
            }
            return VeilCli.EXIT_OK;
        }

        /** Whether a --redis URL is a TLS one (rediss://, redis+ssl://, ...); one Lettuce cannot read is said later. */
        private static boolean tlsUrl(String url) {
            try {
                return io.lettuce.core.RedisURI.create(url).isSsl();
            } catch (RuntimeException e) {
                return true;
            }
        }

        /** The TLS files of --redis, checked against the other options (read when the store is built). */
        private ReplayStores.Tls tls() {
            if (redis == null && (redisCa != null || redisCert != null || redisKey != null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--redis-ca, --redis-cert and --redis-key "
                        + "are for the connection to --redis, which is not given");
            }
            if (redis != null && !tlsUrl(redis) && (redisCa != null || redisCert != null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--redis-ca, --redis-cert and --redis-key "
                        + "are for a TLS connection: --redis must be rediss://host:port (the server's tls-port)");
            }
            if ((redisCert == null) != (redisKey == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--redis-cert and --redis-key go together "
                        + "(the client certificate and its private key)");
            }
            return new ReplayStores.Tls(redisCa, redisCert, redisKey);
        }

        private MonitorReplay run(PolicyBundle b, StateStore store, TraceClock clock) {
            MonitorReplay replay;
            try {
                replay = MonitorReplay.of(b, store, clock).failAtCallerBound();
            } catch (IllegalArgumentException e) {
                throw new CliException("bundle " + bundle + ": " + e.getMessage(), e);
            }
            replayFile(trace, (in, source) -> {
                try {
                    replay.replay(in, source);
                } catch (CallerBoundException e) {
                    throw callerBound(source, e);
                }
            });
            return replay;
        }

        private CliException callerBound(String source, CallerBoundException e) {
            String what = e.kind() == CallerBoundException.Kind.RATE_LIMITER
                    ? "is one caller more than the " + maxCallers + " that may have rate-limit or quota state at once "
                            + "(--max-callers): a Guard with this bound would refuse it (rate_limited, rule "
                            + "max_callers), and every new caller after it, so the replay would stop monitoring them"
                    : "needs a block or throttle while " + maxCallers + " callers have one (--max-callers): a Guard "
                            + "with this bound would block every caller until it ends";
            return new CliException(source + ":" + e.line() + ": caller " + e.caller() + " " + what + "; raise "
                    + "--max-callers (the JVM may need more memory, -Xmx) or replay with --redis, which has no such "
                    + "bound; nothing was printed", e);
        }
    }

    /** Something that replays a trace. */
    interface TraceSink {
        void replay(InputStream in, String source);
    }

    /** Replays a trace file, turning every failure into a {@link CliException} that names file and line. */
    /**
     * Checks a trace argument: an existing, readable file or pipe (a named pipe, /dev/stdin), not a
     * directory.
     */
    static void requireTrace(Path path, String what) {
        if (isStdin(path)) {
            return;
        }
        if (Files.isRegularFile(path) || !Files.exists(path) || Files.isDirectory(path)) {
            CliFiles.requireReadableFile(path, what); // its messages for these cases
        } else if (!Files.isReadable(path)) {
            throw new CliException(what + " " + path + ": is not readable (check its permissions)");
        }
    }

    /** Whether a trace argument is {@code -}, standard input. */
    static boolean isStdin(Path path) {
        return path.toString().equals("-");
    }

    /**
     * Replays a trace file ({@code -}: standard input, named {@code <stdin>} in messages), gunzipping
     * it when it starts with gzip's magic bytes.
     */
    static void replayFile(Path file, TraceSink sink) {
        boolean stdin = isStdin(file);
        String source = stdin ? "<stdin>" : file.toString();
        // a FileInputStream, not Files.newInputStream: its channel's available() seeks, which a pipe cannot
        try (InputStream raw = new java.io.BufferedInputStream(stdin ? new java.io.FilterInputStream(System.in) {
                    @Override
                    public void close() {
                        // standard input stays open: it is not ours
                    }
                } : new java.io.FileInputStream(file.toFile()), 1 << 16);
                InputStream in = gunzipped(raw)) {
            sink.replay(in, source);
        } catch (TraceFormatException e) {
            throw new CliException(e.getMessage(), e);
        } catch (StateUnavailableException | IllegalStateException | UncheckedIOException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(source + ": cannot be read: " + CliFiles.describe(e), e);
        }
    }

    /** {@code in} itself, or a gzip stream over it when it starts with gzip's magic bytes (1f 8b). */
    private static InputStream gunzipped(InputStream in) throws IOException {
        in.mark(2);
        int a = in.read();
        int b = in.read();
        in.reset();
        // strict: a damaged later member or trailing bytes are an error, not a quietly shorter trace
        return a == 0x1f && b == 0x8b ? new StrictGzipInputStream(in) : in;
    }

    /**
     * Notes on lines without roles, tenant or attributes, on detector failures (lines a detector
     * could not take, or on which it failed to give its signal or to remember the answer: one note
     * each, up to {@link MonitorReplay#LISTED_DETECTOR_FAILURES}), on lines the monitoring question
     * failed on (as many) and on lines earlier than the line before them.
     */
    static void printTraceNotes(PrintWriter err, String command, MonitorReplay replay) {
        if (replay.undescribed() > 0) {
            err.println(command + ": note: " + replay.undescribed() + " quer" + (replay.undescribed() == 1 ? "y" : "ies")
                    + " without roles, tenant or attributes, which the bundle's access rules deny (first: "
                    + ControlChars.escaped(replay.firstUndescribed()) + "), " + (replay.undescribed() == 1 ? "was" : "were") + " monitored "
                    + "as from callers access lets through, without a rate limit or quota: give the lines the "
                    + "\"roles\", \"tenant\" and \"attributes\" their callers have to apply the access rules");
        }
        List<String> failed = replay.detectorFailures();
        for (String f : failed) { // notes quote the trace's lines (caller ids, attributes): escaped
            err.println(command + ": note: " + ControlChars.escaped(f));
        }
        long unlisted = replay.detectorFailureCount() - failed.size();
        if (unlisted > 0) {
            err.println(command + ": note: " + unlisted + " more detector failure" + (unlisted == 1 ? "" : "s")
                    + " (only the first " + failed.size() + " are listed)");
        }
        List<String> policy = replay.monitoringFailures();
        for (String f : policy) {
            err.println(command + ": note: " + ControlChars.escaped(f));
        }
        long more = replay.monitoringFailureCount() - policy.size();
        if (more > 0) {
            err.println(command + ": note: " + more + " more line" + (more == 1 ? "" : "s") + " on which the "
                    + "monitoring question failed (only the first " + policy.size() + " are listed)");
        }
        MonitorReplay.Lines backwards = replay.backwards();
        if (backwards.count() > 0) {
            err.println(command + ": note: " + lines(backwards.count(), " is", "s are") + " earlier than the line before "
                    + (backwards.count() == 1 ? "it" : "them") + " (first: line " + backwards.first() + "); the trace is "
                    + "replayed in file order, so windows and rates see those queries out of time order: sort the trace "
                    + "by ts_ms for the results a live service would give");
        }
        MonitorReplay.Lines seconds = replay.secondsLike();
        if (seconds.count() > 0) {
            err.println(command + ": note: " + lines(seconds.count(), " has", "s have") + " a ts_ms between "
                    + MonitorReplay.SECONDS_LIKE_FROM + " and " + MonitorReplay.SECONDS_LIKE_TO + " (first: line "
                    + seconds.first() + "), early 1970 in milliseconds: if the trace's times are seconds since the "
                    + "epoch, multiply them by 1000 (read as milliseconds, every caller looks 1000 times faster to the "
                    + "rate windows)");
        }
        MonitorReplay.Lines lengths = replay.otherScoreLengths();
        if (lengths.count() > 0) {
            err.println(command + ": note: " + lines(lengths.count(), " has", "s have") + " scores of another length "
                    + "than the first line with scores (" + replay.scoreLength() + " values; first: line "
                    + lengths.first() + ", " + replay.firstOtherScoreLength() + " values): the answer detectors name "
                    + "classes by position, so their counts mix classes of different answers; give every line the "
                    + "model's whole score vector, in one class order (not a top-k answer), and one model per trace");
        }
    }

    /** "1 line is" or "N lines are": {@code n} lines and their verb, singular or plural. */
    private static String lines(long n, String one, String more) {
        return n + " line" + (n == 1 ? one : more);
    }

    /**
     * The note of a replay whose in-memory store forgot detector histories or fingerprint indexes to
     * make room (the Guard's default memory cap, as a Guard with it would): results then depend on it.
     */
    static void printEvictionNote(PrintWriter err, String command, long evicted) {
        if (evicted > 0) {
            err.println(command + ": note: the in-memory store reached its cap (the Guard's default stateMemory, "
                    + (ReplayStores.STATE_BYTES >> 20) + " MiB) and forgot " + evicted + " detector histor"
                    + (evicted == 1 ? "y, window or fingerprint index" : "ies, windows or fingerprint indexes")
                    + " to make room, those "
                    + "used least first, as a Guard with that cap would: callers quieter than the rest may be flagged "
                    + "later or not at all; a Guard with a larger Guard.Builder.stateMemory, or on Redis (--redis), "
                    + "would keep them");
        }
    }

    /**
     * The warning of a {@code --redis} replay whose trace pauses longer than a time to live of
     * detector state: Redis expires keys on its server's clock (batch.lua's PEXPIRE), the in-memory
     * replay on the trace's.
     */
    static void printTtlWarning(PrintWriter err, String command, MonitorReplay replay) {
        MonitorReplay.TtlPause p = replay.firstTtlPause();
        long more = replay.ttlPauses() - 1;
        err.println(command + ": warning: --redis keeps state on the Redis server's clock; this trace pauses "
                + duration(p.pauseMillis()) + " at line " + p.line() + " (" + (p.wholeTrace()
                        ? "no query since line " + p.previousLine()
                        : "caller " + p.caller() + "'s previous query: line " + p.previousLine())
                + "), longer than the detectors' time to live (" + duration(p.ttlMillis()) + "): the in-memory replay "
                + "forgets state there, as a live Guard would, Redis does not; results may differ"
                + (more == 0 ? "" : " (" + more + " more line" + (more == 1 ? "" : "s") + " after such a pause)"));
    }

    /** A duration in the largest unit it reaches, with at most 3 significant digits: 2 h, 90 min, 1.5 s. */
    static String duration(long millis) {
        double v;
        String unit;
        if (millis >= 3_600_000) {
            v = millis / 3_600_000.0;
            unit = " h";
        } else if (millis >= 60_000) {
            v = millis / 60_000.0;
            unit = " min";
        } else {
            v = millis / 1000.0;
            unit = " s";
        }
        return java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString() + unit;
    }

    /**
     * One line counting the queries refused before monitoring, when there were any, and one counting
     * those denied because monitoring failed on them ({@code detector_failed}, {@code monitoring_failed}:
     * not refusals before monitoring, but a Guard's denial of a failure, internal_error), when there
     * were any; then the first of each reason in {@code first}.
     */
    static void printRefusals(PrintWriter err, String command, Map<MonitorReplay.Refusal, Long> refusals,
            Map<MonitorReplay.Refusal, String> first) {
        List<String> before = parts(refusals, false);
        if (!before.isEmpty()) {
            err.println(command + ": note: queries refused before monitoring, as a Guard would refuse them: "
                    + String.join(", ", before));
        }
        List<String> failed = parts(refusals, true);
        if (!failed.isEmpty()) {
            err.println(command + ": note: queries denied because monitoring failed on them (a detector or the "
                    + "bundle's monitoring question), as a Guard denies them (internal_error): "
                    + String.join(", ", failed));
        }
        first.forEach((r, why) -> err.println(command + ": note: first " + r.name().toLowerCase(Locale.ROOT) + ": "
                + ControlChars.escaped(why)));
    }

    /**
     * The lines refused before monitoring for each reason with more than one (the first is named with
     * its message above), up to {@link MonitorReplay#LISTED_REFUSALS} of them, so that each can be
     * found in the trace. The lines monitoring failed on are listed by their own notes.
     */
    static void printRefusedLines(PrintWriter err, String command, MonitorReplay replay) {
        replay.refusedLines().forEach((r, lines) -> {
            long count = replay.refusals().getOrDefault(r, 0L);
            if (count > 1 && !monitoringFailed(r)) {
                err.println(command + ": note: " + r.name().toLowerCase(Locale.ROOT) + " lines: "
                        + lines.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
                        + (count > lines.size() ? " (the first " + lines.size() + " of " + count + ")" : ""));
            }
        });
    }

    /** Whether a query not observed for {@code r} was denied because monitoring failed on it, not refused before. */
    static boolean monitoringFailed(MonitorReplay.Refusal r) {
        return r == MonitorReplay.Refusal.DETECTOR_FAILED || r == MonitorReplay.Refusal.MONITORING_FAILED;
    }

    /** "reason count" for every reason counted, of those monitoring failed on or of the others. */
    private static List<String> parts(Map<MonitorReplay.Refusal, Long> refusals, boolean failed) {
        return refusals.entrySet().stream().filter(e -> e.getValue() > 0 && monitoringFailed(e.getKey()) == failed)
                .map(e -> e.getKey().name().toLowerCase(Locale.ROOT) + " " + e.getValue()).toList();
    }
}
