package dev.veil.conformance;

import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.veil.Credentials;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** QuickTheories generators of {@link Probe}s for one {@link GuardContract}. */
final class Probes {
    static final String BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final double[] NON_FINITE = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    private final FeatureSpace space;
    private final Credentials allowed;
    private final Credentials forbidden;
    private final boolean anonymousAllowed;

    Probes(FeatureSpace space, Credentials allowed, Credentials forbidden, boolean anonymousAllowed) {
        this.space = space;
        this.allowed = allowed;
        this.forbidden = forbidden;
        this.anonymousAllowed = anonymousAllowed;
    }

    /** A vector inside the feature space, each feature drawn from its range (its edges included). */
    Gen<double[]> validVector() {
        int n = space.size();
        List<Gen<Double>> gens = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double lo = space.min(i);
            double hi = space.max(i);
            gens.add(lo == hi ? Generate.constant(lo)
                    : Generate.oneOf(doubles().between(lo, hi), doubles().between(lo, hi), doubles().between(lo, hi),
                            Generate.pick(List.of(lo, hi))));
        }
        return rs -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = gens.get(i).generate(rs);
            }
            return v;
        };
    }

    Gen<Probe> valid() {
        return validVector().map(v -> new Probe(Probe.Kind.VALID, allowed, v, "allowed caller"));
    }

    /** The allowed caller with one feature below or above its range, by up to a billion or 1e300. */
    Gen<Probe> outOfSpace() {
        Gen<Double> excess = Generate.oneOf(doubles().between(1e-9, 1e9), Generate.constant(1e300));
        return validVector().zip(integers().between(0, space.size() - 1), Generate.booleans(), excess,
                (v, i, below, by) -> {
                    double[] w = v.clone();
                    w[i] = below ? space.min(i) - by : space.max(i) + by;
                    return new Probe(Probe.Kind.OUT_OF_SPACE, allowed, w, "allowed caller, feature " + i
                            + " (" + space.names().get(i) + ") " + (below ? "below" : "above") + " its range");
                });
    }

    /** The allowed caller with 1 to all features replaced by NaN, +Infinity or -Infinity. */
    Gen<Probe> nonFinite() {
        int n = space.size();
        Gen<List<Integer>> positions = lists().of(integers().between(0, n - 1)).ofSizeBetween(1, Math.min(n, 4));
        Gen<List<Integer>> values = lists().of(integers().between(0, 2)).ofSize(4);
        return validVector().zip(positions, values, (v, pos, vals) -> {
            double[] w = v.clone();
            for (int k = 0; k < pos.size(); k++) {
                w[pos.get(k)] = NON_FINITE[vals.get(k)];
            }
            return new Probe(Probe.Kind.NON_FINITE, allowed, w, "allowed caller, non-finite at " + pos);
        });
    }

    Gen<Probe> forbidden() {
        return validVector().map(v -> new Probe(Probe.Kind.FORBIDDEN, forbidden, v, "forbidden caller"));
    }

    /** Garbage credentials with a valid vector. */
    Gen<Probe> garbage() {
        return validVector().zip(garbageCredentials(),
                (v, c) -> new Probe(Probe.Kind.GARBAGE, c.credentials, v, c.what));
    }

    /** Every kind, mixed. */
    Gen<Probe> any() {
        return Generate.oneOf(valid(), valid(), outOfSpace(), nonFinite(), forbidden(), garbage());
    }

    private record Garbage(Credentials credentials, String what) {}

    private Gen<Garbage> garbageCredentials() {
        Gen<String> anyText = strings().basicLatinAlphabet().ofLengthBetween(0, 80);
        Gen<String> unicode = strings().basicMultilingualPlaneAlphabet().ofLengthBetween(1, 40);
        Gen<String> keyId = strings().betweenCodePoints('a', 'z').ofLength(8);
        Gen<String> secret = base64url(43);
        List<Gen<Garbage>> gens = new ArrayList<>();
        gens.add(anyText.map(s -> new Garbage(Credentials.apiKey(s), "random API key text of length " + s.length())));
        gens.add(unicode.map(s -> new Garbage(Credentials.apiKey(s),
                "random Unicode API key of length " + s.length())));
        gens.add(keyId.zip(secret, (id, s) -> new Garbage(Credentials.apiKey("veil_" + id + "_" + s),
                "well-formed API key with unknown id " + id)));
        gens.add(anyText.map(s -> new Garbage(Credentials.bearer(s), "random bearer text of length " + s.length())));
        gens.add(base64url(20).zip(base64url(60), base64url(86), (h, p, s) -> new Garbage(
                Credentials.bearer(h + "." + p + "." + s), "JWT-shaped random token")));
        gens.add(Generate.constant(new Garbage(Credentials.apiKey(""), "empty API key")));
        gens.add(Generate.constant(new Garbage(Credentials.bearer(""), "empty bearer token")));
        if (!anonymousAllowed) {
            gens.add(Generate.constant(new Garbage(Credentials.anonymous(), "no credentials")));
        }
        if (allowed instanceof Credentials.ApiKey k) {
            String key = k.key();
            gens.add(mutated(key, 0, key.length()).map(s -> new Garbage(Credentials.apiKey(s.text),
                    "allowed API key with " + s.what)));
            gens.add(Generate.constant(new Garbage(Credentials.bearer(key), "allowed API key sent as a bearer token")));
        } else if (allowed instanceof Credentials.Bearer b) {
            String token = b.token();
            // Only the signed part: a change in the last character of the signature may leave its bytes unchanged.
            int signedPart = token.lastIndexOf('.') > 0 ? token.lastIndexOf('.') : token.length();
            gens.add(mutated(token, 0, signedPart).map(s -> new Garbage(Credentials.bearer(s.text),
                    "allowed token with " + s.what)));
            gens.add(Generate.constant(new Garbage(Credentials.apiKey(token), "allowed token sent as an API key")));
        }
        @SuppressWarnings("unchecked")
        Gen<Garbage>[] rest = gens.subList(1, gens.size()).toArray(Gen[]::new);
        return Generate.oneOf(gens.get(0), rest);
    }

    private record Mutation(String text, String what) {}

    /** One character in [from, to) replaced by another, or the text cut short, or one character appended. */
    private static Gen<Mutation> mutated(String text, int from, int to) {
        if (to <= from) {
            return Generate.constant(new Mutation(text + "A", "one character appended"));
        }
        Gen<Mutation> replaced = integers().between(from, to - 1).zip(integers().between(1, BASE64URL.length() - 1),
                (i, shift) -> {
                    char c = text.charAt(i);
                    int at = BASE64URL.indexOf(c);
                    char r = at < 0 ? 'A' : BASE64URL.charAt((at + shift) % BASE64URL.length());
                    return new Mutation(text.substring(0, i) + r + text.substring(i + 1),
                            "character " + i + " replaced");
                });
        Gen<Mutation> cut = integers().between(0, text.length() - 1).map(n -> new Mutation(text.substring(0, n),
                "only its first " + n + " characters"));
        Gen<Mutation> appended = Generate.pick(Arrays.asList('A', '_', '=', ' ', '\n')).map(c -> new Mutation(text + c,
                "a character appended"));
        return Generate.oneOf(replaced, replaced, cut, appended);
    }

    private static Gen<String> base64url(int length) {
        return lists().of(integers().between(0, BASE64URL.length() - 1)).ofSize(length).map(l -> {
            StringBuilder b = new StringBuilder(length);
            for (int i : l) {
                b.append(BASE64URL.charAt(i));
            }
            return b.toString();
        });
    }
}
