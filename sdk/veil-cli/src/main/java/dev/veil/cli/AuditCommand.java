package dev.veil.cli;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.VeilException;
import dev.veil.internal.audit.AuditVerifier;
import dev.veil.internal.io.StrictGzipInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code veil audit}: audit log tools; {@code veil audit verify FILE} checks a log's hash chain. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Audit log tools.",
        subcommands = {AuditCommand.Verify.class, CommandLine.HelpCommand.class})
final class AuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil audit verify FILE}: prints {@code ok N records} (exit 0) or
     * {@code broken: <where and what>} for the first broken record (exit 1), see
     * {@link AuditLog#verify}.
     */
    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = {
                "Check the hash chain of a JSON-lines audit log written by a Guard.",
                "Prints 'ok N records' and 'last hash: H', or 'broken: ...' naming the first broken line (an "
                        + "edited, removed, inserted, reordered or cut-short one) or saying that no record has the "
                        + "--last-hash. A gzip-compressed log (a rotated one) is checked as it is. A file that is "
                        + "not an audit log at all (no line of it a JSON object) is said to be none, on standard "
                        + "error (exit 2), rather than a broken one.",
                "The chain is not keyed: records cut off the end leave an intact chain, and whoever can write the "
                        + "file can recompute every hash from an edit on. So an intact log also prints its last hash: "
                        + "keep a copy elsewhere (another system, a signed ticket) and check it later with "
                        + "--last-hash."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the chain is intact",
                "1:the chain is broken",
                "2:bad usage, or the file is missing or unreadable (a damaged .gz file too: any member's header, "
                        + "CRC or length, or bytes after the last member, as 'gzip -t' checks it), or is not an audit "
                        + "log at all (no line of it is a JSON object: 'not an audit log (line 1 is not JSON)')"
            })
    static final class Verify implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The JSON-lines audit log, plain or gzip-compressed.")
        Path file;

        @CommandLine.Option(names = "--last-hash", paramLabel = "HASH",
                description = "A hash kept from an earlier verify (its 'last hash:'): the check fails unless some "
                        + "record of the log has it as its own hash (the log may have grown since); 64 zeros, the "
                        + "empty log's, always matches.")
        String lastHash;

        @Override
        public Integer call() {
            CliFiles.requireReadableFile(file, "audit log");
            if (lastHash != null && !lastHash.matches("[0-9a-fA-F]{64}")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--last-hash must be 64 hexadecimal "
                        + "digits, as 'veil audit verify' prints after 'last hash:', was '" + lastHash + "'");
            }
            String kept = lastHash == null ? null : lastHash.toLowerCase(java.util.Locale.ROOT);
            boolean gzip = isGzip(file);
            AuditVerification v;
            if (gzip) {
                // a log rotated and compressed (logrotate's compress): checked as it is, decompressed on the fly
                try (InputStream in = gunzipped(file)) {
                    v = AuditVerifier.verify(in, kept);
                } catch (IOException e) {
                    throw new CliException("audit log " + file + ": its gzip-compressed content cannot be read ("
                            + CliFiles.describe(e) + "): a cut-short or damaged .gz file cannot be verified; check "
                            + "it with 'gzip -t " + file + "'", e);
                }
            } else {
                try {
                    v = kept == null ? AuditLog.verify(file) : AuditLog.verify(file, kept);
                } catch (VeilException e) {
                    throw new CliException(e.getMessage(), e);
                }
            }
            if (!v.ok() && v.records() == 0 && v.firstBrokenLine() == 1) {
                String notALog = notAnAuditLog(file, gzip);
                if (notALog != null) {
                    throw new CliException("audit log " + file + ": " + notALog);
                }
            }
            if (v.ok()) {
                spec.commandLine().getOut().println("ok " + v.records() + " records");
                spec.commandLine().getOut().println("last hash: " + v.lastHash());
                return VeilCli.EXIT_OK;
            }
            spec.commandLine().getOut().println("broken: " + v.message());
            return VeilCli.EXIT_CHECK_FAILED;
        }

        /** Whether {@code file} starts with gzip's magic bytes (1f 8b); false when it cannot be read. */
        static boolean isGzip(Path file) {
            try (InputStream in = Files.newInputStream(file)) {
                return in.read() == 0x1f && in.read() == 0x8b;
            } catch (IOException e) {
                return false; // verify reports it
            }
        }

        /**
         * The decompressed content of a gzip file of one or more members, read strictly: a damaged
         * member, a bad CRC, a cut-short file or bytes after the last member fail the read (as
         * {@code gzip -t}), where {@link java.util.zip.GZIPInputStream} would end quietly at a bad
         * header after the first member and so verify a part of the log as all of it.
         */
        private static InputStream gunzipped(Path file) throws IOException {
            return new BufferedInputStream(new StrictGzipInputStream(Files.newInputStream(file)), 1 << 16);
        }

        /**
         * Why a file whose first line is broken is not an audit log at all, or {@code null} when it may
         * be one (a log whose line 1 was damaged is broken, exit 1): no line of it (decompressed, when
         * {@code gzip}) starts a JSON object, as every record does.
         */
        static String notAnAuditLog(Path file, boolean gzip) {
            java.io.ByteArrayOutputStream firstLine = new java.io.ByteArrayOutputStream();
            try (InputStream in = gzip ? gunzipped(file) : new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                boolean inFirst = true;
                boolean atStart = true; // nothing but white space yet on this line
                for (int b; (b = in.read()) != -1; ) {
                    if (b == '\n') {
                        inFirst = false;
                        atStart = true;
                        continue;
                    }
                    if (atStart && b == '{') {
                        return null; // a line that starts a record: a log, perhaps a damaged one
                    }
                    if (inFirst && firstLine.size() < (1 << 20)) {
                        firstLine.write(b);
                    }
                    atStart &= b == ' ' || b == '\t' || b == '\r';
                }
            } catch (IOException e) {
                return null; // verify read it: its result stands
            }
            try {
                Json.MAPPER.readTree(firstLine.toByteArray());
                return "not an audit log (no line of it is a JSON object, as every record is)";
            } catch (IOException e) {
                return "not an audit log (line 1 is not JSON)";
            }
        }
    }
}
