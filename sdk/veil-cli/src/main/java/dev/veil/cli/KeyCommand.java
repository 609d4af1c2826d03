package dev.veil.cli;

import dev.veil.ApiKeys;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil key}: API key tools. */
@Command(name = "key", description = "API key tools.", subcommands = KeyCommand.Create.class)
final class KeyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code veil key create}. */
    @Command(name = "create", description = "Issue an API key: prints the key once and adds its salted hash to the "
            + "key store file (created if missing; replaced atomically).")
    static final class Create implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--caller", required = true, description = "Caller id the key authenticates as.")
        String caller;

        @Option(names = "--role", description = "A role (repeatable).")
        List<String> roles = new ArrayList<>();

        @Option(names = "--tenant", defaultValue = "", description = "Tenant.")
        String tenant;

        @Option(names = "--attr", description = "An attribute NAME=VALUE (repeatable).")
        Map<String, String> attributes = new LinkedHashMap<>();

        @Option(names = "--expires", description = "Expiry, ISO-8601 instant, e.g. 2027-01-01T00:00:00Z.")
        String expires;

        @Option(names = "--store", required = true, description = "The key store JSON file to add the key to.")
        Path store;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() throws IOException {
            Instant exp = null;
            if (expires != null) {
                try {
                    exp = Instant.parse(expires);
                } catch (DateTimeParseException e) {
                    spec.commandLine().getErr().println("veil key create: --expires must be an ISO-8601 instant such as "
                            + "2027-01-01T00:00:00Z, was '" + expires + "'");
                    return 2;
                }
            }
            Map<String, Object> doc = new LinkedHashMap<>();
            List<Object> keys = new ArrayList<>();
            if (Files.exists(store)) {
                doc = Json.readObject(store);
                Object k = doc.get("keys");
                if (!(k instanceof List)) {
                    spec.commandLine().getErr().println("veil key create: " + store + " has no 'keys' list");
                    return 2;
                }
                keys = (List<Object>) k;
            }
            ApiKeys.Issued issued;
            try {
                issued = ApiKeys.issue(caller, roles, tenant, attributes, exp);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("veil key create: " + e.getMessage());
                return 2;
            }
            keys.add(new LinkedHashMap<>(issued.entry()));
            doc.put("keys", keys);
            Path tmp = store.resolveSibling(store.getFileName() + ".tmp");
            Files.writeString(tmp, Json.print(doc) + "\n");
            try {
                Files.move(tmp, store, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, store, StandardCopyOption.REPLACE_EXISTING);
            }
            spec.commandLine().getOut().println(issued.plaintext());
            spec.commandLine().getErr().println("added key " + issued.id() + " for " + caller + " to " + store
                    + "; the key above is shown only once");
            return 0;
        }
    }
}
