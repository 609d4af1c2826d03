package dev.veil.rego.internal.engine;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.rego.RegoError;
import dev.veil.rego.RegoException;
import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.spi.Bundle;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.DecisionDocuments;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.PolicyEngine;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Rego policy engine: a bundle holding {@code .rego} modules. Every module is parsed and
 * compiled once with the bundle's data; each stage question is the rule {@code decision} of package
 * {@code veil.<question>} ({@code data.veil.access.decision} ...), evaluated with the policy input
 * document as {@code input}, and its value is read strictly by {@link DecisionDocuments}. The
 * request-independent settings are the data document {@code data.veil.settings} (usually the file
 * {@code veil/settings/data.yaml}), with the layout and the checks of those keys in a
 * {@code *.veil.yaml} file (docs/policy-reference.md, sections 6.5 and 13).
 */
public final class RegoPolicyEngine implements PolicyEngine {
    /** Dotted data path of the settings document. */
    public static final String SETTINGS = "veil.settings";

    /** The six stage questions, in the Guard's order. */
    public static final List<String> QUESTIONS = List.of("access", "validation", "monitoring", "model", "output",
            "logging");

    @Override
    public String name() {
        return "rego";
    }

    @Override
    public boolean handles(Bundle bundle) {
        return bundle.files().stream().anyMatch(RegoPolicyEngine::isModule);
    }

    static boolean isModule(String path) {
        return path.endsWith(".rego");
    }

    /**
     * The bundle's {@code .rego} modules, file name to source, in file-name order.
     *
     * @throws RegoException ({@code rego_parse_error}) naming the file, line and column of the first
     *     byte sequence that is not UTF-8, in every module that has one
     */
    public static Map<String, String> modules(Bundle bundle) {
        Map<String, String> modules = new LinkedHashMap<>();
        List<RegoError> errors = new ArrayList<>();
        bundle.files().stream().filter(RegoPolicyEngine::isModule).sorted().forEach(f -> {
            try {
                modules.put(f, decode(f, bundle.read(f)));
            } catch (RegoException e) {
                errors.addAll(e.errors());
            }
        });
        if (!errors.isEmpty()) {
            throw new RegoException(errors);
        }
        return modules;
    }

    /**
     * Decodes a module's bytes as UTF-8, strictly: a module that is not UTF-8 is refused (as OPA
     * refuses it, and as the bundle's YAML and JSON files are) rather than read with U+FFFD in
     * place of what the author wrote.
     *
     * @throws RegoException a {@code rego_parse_error} at the line and column (in characters, as
     *     the parser counts them) of the first malformed byte, giving its offset in the file
     */
    public static String decode(String file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            out.flip();
            String before = out.toString();
            int lineStart = before.lastIndexOf('\n') + 1;
            int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
            int column = before.codePointCount(lineStart, before.length()) + 1;
            throw new RegoException(new RegoError("rego_parse_error", "not valid UTF-8 (byte 0x"
                    + String.format("%02x", bytes[offset] & 0xff) + " at offset " + offset + "); save the module as"
                    + " UTF-8", file, line, column));
        }
        out.flip();
        return out.toString();
    }

    @Override
    public CompiledPolicy compile(Bundle bundle) {
        java.time.Duration timeout;
        try {
            timeout = RegoProgram.configuredTimeout();
        } catch (IllegalArgumentException e) {
            throw PolicyLoadException.of("<bundle>", e.getMessage());
        }
        RegoProgram program;
        try {
            program = RegoProgram.compile(modules(bundle), bundle.data(), timeout);
        } catch (RegoException e) {
            throw loadException(e);
        }
        List<PolicyError> missing = new ArrayList<>(BundleChecks.check(program.engine(), bundle));
        for (String q : QUESTIONS) {
            if (!program.defines("veil." + q + ".decision")) {
                missing.add(PolicyError.of("<bundle>", "no rule data.veil." + q + ".decision: a Rego bundle answers "
                        + "the " + q + " question with the rule 'decision' of package veil." + q
                        + " (docs/policy-reference.md, section 13)"));
            }
        }
        if (!missing.isEmpty()) {
            throw new PolicyLoadException(missing);
        }
        DecisionDocuments documents = new DecisionDocuments(bundle);
        Object settingsDoc = bundle.data(SETTINGS);
        String settingsFile = settingsFile(bundle);
        if (settingsDoc == null) {
            throw PolicyLoadException.of("<bundle>", "no settings at data.veil.settings: a Rego bundle declares its "
                    + "name, authentication, detectors and output.degraded/privacy in the data file "
                    + "veil/settings/data.yaml (docs/policy-reference.md, section 13)");
        }
        GuardSettings settings = documents.settings(settingsDoc, settingsFile);
        List<PolicyError> signals = BundleChecks.unknownSignals(program.engine(), settings.detectors().keySet());
        if (!signals.isEmpty()) {
            throw new PolicyLoadException(signals);
        }
        List<PolicyError> constants = checkConstantDecisions(program, documents);
        if (!constants.isEmpty()) {
            throw new PolicyLoadException(constants);
        }
        return new RegoPolicy(program, documents, settings);
    }

    /**
     * A decision written as a constant ({@code decision := {"allow": "yes", ...}}) is read as every
     * request that reaches it would read it: one of the wrong shape is refused at load, at the place
     * of the constant, rather than failing each such request. A decision the policy computes is read
     * per request. Bad statistics a constant validation decision names are reported at the data file
     * that holds them, with the line and column of the bad field, as the YAML engine reports them.
     */
    private static List<PolicyError> checkConstantDecisions(RegoProgram program, DecisionDocuments documents) {
        List<PolicyError> errors = new ArrayList<>();
        for (String q : QUESTIONS) {
            java.util.function.Function<Object, ?> reader = switch (q) {
                case "access" -> documents::access;
                case "validation" -> documents::validation;
                case "monitoring" -> documents::monitoring;
                case "model" -> documents::model;
                case "output" -> documents::output;
                default -> documents::logging;
            };
            List<Value> path = List.of(StringValue.of("veil"), StringValue.of(q), StringValue.of("decision"));
            for (Map.Entry<Location, Value> c : program.engine().constantValues(path)) {
                try {
                    reader.apply(RegoPolicy.document(q, c.getValue()));
                } catch (RuntimeException e) {
                    if (e.getCause() instanceof PolicyLoadException inData) {
                        // bad statistics: at their data file, as the YAML engine reports them (once)
                        inData.errors().stream().filter(x -> !errors.contains(x)).forEach(errors::add);
                        continue;
                    }
                    Location at = c.getKey();
                    errors.add(new PolicyError(at.file().isEmpty() ? "<bundle>" : at.file(), Math.max(0, at.line()),
                            Math.max(0, at.column()), "data.veil." + q + ".decision: " + e.getMessage()
                            + " (this constant is the answer to every input that reaches it)"));
                }
            }
        }
        return errors;
    }

    private static String settingsFile(Bundle bundle) {
        for (String f : List.of("veil/settings/data.yaml", "veil/settings/data.yml", "veil/settings/data.json")) {
            if (bundle.files().contains(f)) {
                return f;
            }
        }
        return "data.veil.settings";
    }

    static PolicyLoadException loadException(RegoException e) {
        List<PolicyError> errors = new ArrayList<>();
        for (RegoError r : e.errors()) {
            errors.add(new PolicyError(r.file() == null ? "<bundle>" : r.file(), Math.max(0, r.line()),
                    Math.max(0, r.column()), r.code() + ": " + r.message()));
        }
        return new PolicyLoadException(errors);
    }
}
