package dev.veil.rego.internal.builtins;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The registry of every builtin the engine implements. Each topic class ({@code Strings},
 * {@code Aggregates}...) declares {@code public static final List<Builtin> ALL}; adding a topic is
 * one line in {@link #TOPICS}. The compiler looks names up here and rejects unknown ones
 * ({@code undefined function X}) and wrong arities, so an unsupported builtin is never a silent
 * undefined.
 */
public final class Builtins {

    /** One entry per topic class, in no particular order. */
    private static final List<List<Builtin>> TOPICS = List.of(
            // Topic classes add their ALL list here, one line each, e.g. Strings.ALL,
            Aggregates.ALL,
            Arithmetic.ALL,
            Sets.ALL,
            Bits.ALL,
            ArrayBuiltins.ALL,
            Types.ALL,
            ObjectBuiltins.ALL,
            Casts.ALL,
            Encoding.ALL,
            Yaml.ALL,
            JsonSchema.ALL,
            Core.ALL,
            Strings.ALL,
            Regex.ALL,
            Glob.ALL,
            Net.ALL,
            Units.ALL,
            Semver.ALL,
            Uuid.ALL,
            Time.ALL,
            Graph.ALL,
            Crypto.ALL,
            Jwt.ALL,
            Graphql.ALL,
            Aws.ALL,
            RegoMeta.ALL,
            Http.ALL,
            List.of());

    private static final Map<String, Builtin> REGISTRY = register(TOPICS);

    private Builtins() {
    }

    /** The builtin called {@code name} (full dotted name), or null when there is none. */
    public static Builtin lookup(String name) {
        return REGISTRY.get(name);
    }

    /** Every registered builtin name, sorted. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(REGISTRY.keySet()));
    }

    /**
     * Indexes topic lists by name (the varargs form the topic tests use, e.g. {@code register(Crypto.ALL)}).
     *
     * @throws IllegalStateException when two builtins share a name (a registration mistake)
     */
    @SafeVarargs
    public static Map<String, Builtin> register(List<Builtin>... topics) {
        return register(Arrays.asList(topics));
    }

    /**
     * Indexes topic lists by name.
     *
     * @throws IllegalStateException when two builtins share a name (a registration mistake)
     */
    public static Map<String, Builtin> register(List<List<Builtin>> topics) {
        Map<String, Builtin> m = new HashMap<>();
        for (List<Builtin> topic : topics) {
            for (Builtin b : topic) {
                if (m.putIfAbsent(b.name(), b) != null) {
                    throw new IllegalStateException("builtin " + b.name()
                            + " is registered twice: keep it in one topic class only");
                }
            }
        }
        return Map.copyOf(m);
    }
}
