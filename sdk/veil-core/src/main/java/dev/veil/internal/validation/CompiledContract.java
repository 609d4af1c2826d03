package dev.veil.internal.validation;

import dev.veil.Features;
import dev.veil.ReasonCode;
import dev.veil.spi.InputContract;
import dev.veil.spi.InputContract.CrossFieldRule;
import dev.veil.spi.InputContract.DistributionCheck;
import dev.veil.spi.InputContract.FeatureSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.DoublePredicate;

/**
 * An {@link InputContract} prepared for checking requests: cross-field expressions parsed once,
 * per-feature bounds precomputed, feature-name layouts cached.
 *
 * <h2>Check order</h2>
 *
 * <p>{@link #check} reports the <em>first</em> violation in this order (the {@link Violation#rule()}
 * string in brackets):
 *
 * <ol>
 *   <li>payload size [{@code payload}], {@link ReasonCode#PAYLOAD_TOO_LARGE};
 *   <li>dimension against the shape [{@code shape}];
 *   <li>finiteness: NaN or an infinity [{@code finite}]; a named feature the request marks absent
 *       ({@link Features#isAbsent}, NaN in the vector) is left to the named-feature checks, but a NaN
 *       value is refused here whatever the contract says of its feature;
 *   <li>the global range {@code [min, max]} [{@code range}];
 *   <li>named features [{@code features}]: a required feature missing, unnamed values when the
 *       contract lists features and does not allow unknown ones (even if every listed feature is
 *       optional), a feature not listed when unknown ones are not allowed, a value outside its own
 *       range;
 *   <li>cross-field rules in contract order [the rule's id];
 *   <li>the distribution check [{@code distribution}], {@link ReasonCode#OUT_OF_DISTRIBUTION}
 *       (see below).
 * </ol>
 *
 * <p>All but the first and last are {@link ReasonCode#INVALID_INPUT}; the distribution check also
 * answers {@link ReasonCode#INVALID_INPUT} when the input cannot be scored (see below).
 *
 * <h2>Distribution check</h2>
 *
 * <p>With {@code z_i = (x_i - mean_i) / max(std_i, stdFloor)} the input is refused when
 * {@code max_i |z_i| > maxAbsZ} (when {@code maxAbsZ > 0}; the bound is exact: an input exactly at
 * the bound passes), when {@code sqrt(sum_i z_i^2 / d) > maxRmsZ} (when {@code maxRmsZ > 0}), or when
 * a whole-input summary falls outside its {@code [low, high]} range: {@code mean} (mean of the
 * values), {@code std} (their population standard deviation) or {@code roughness} (mean of
 * {@code |x_i - x_(i-1)|} over neighbouring positions; 0 for one feature).
 *
 * <p>Why the summaries: on image data per-pixel scores are weak probe detectors. Pixels that are
 * background in most training images have a mean and a standard deviation near 0, so the floor
 * decides their z-score, and the strokes of genuine images already reach large z there: a per-pixel
 * bound that passes real images must be loose (about 15 on smooth 28x28 images with a floor of
 * 0.05). A blank (all-0) image is close to the training mean at every pixel, so every |z| is small
 * and it passes any such bound; so does faint noise, which moves every pixel a little. Saturated
 * and full-range noise images are caught by per-pixel scores only when the floor is small enough.
 * Their whole-image statistics are far outside anything seen in training whatever the floor: a
 * blank image has std and roughness 0, a saturated one has mean 1 and std 0, and noise has a
 * roughness several times that of smooth natural images. The summary ranges come from
 * {@link TrainingStats}. The sums are taken in the same single pass; when a summary falls outside
 * its range it is recomputed exactly (two passes, as {@link TrainingStats} defines it) before the
 * input is refused, so reported values carry no one-pass rounding.
 *
 * <p>The statistics must describe exactly the request's length: a contract whose shape disagrees
 * with them does not compile, and (without a shape) a request of another length is refused with
 * {@link ReasonCode#INVALID_INPUT} and rule {@code distribution}. A named request with an absent
 * (NaN) feature is refused by the distribution check the same way, since it cannot be scored.
 * One exception: when the contract lists as many features as the statistics describe and allows
 * unknown ones, a named request that carries features it does not list is scored on its listed
 * features only (in the request's order, as a request without the others would be); the others
 * have no statistics and are not scored. Every listed feature is still scored, so adding features
 * skips nothing. Statistics that name their features score a named request only when the features
 * it is scored on come in the statistics' order; a request in another order is refused with
 * {@link ReasonCode#INVALID_INPUT} and rule {@code distribution}, naming the first position that
 * differs (decided once per names list, in the layout cache).
 *
 * <h2>Cost and thread safety</h2>
 *
 * <p>Immutable apart from a cache of the last feature-name layout, which is published through a
 * volatile field and holds only immutable data: one instance may be shared by any number of
 * threads. On the valid path {@link #check} allocates only small scratch arrays: finiteness, the
 * global range and the per-feature {@code |z|} bound are one comparison pair per feature against
 * precomputed bounds, fused with the sums the other distribution statistics need, in one pass of
 * {@link ContractKernel} (vectorised when the JVM runs with {@code --add-modules jdk.incubator.vector};
 * the answers are the same without it). Messages are built only on violation.
 */
public final class CompiledContract {
    private static final int MAX_LISTED = 10;
    private static final ContractKernel KERNEL = ContractKernel.INSTANCE;

    private final InputContract contract;
    private final int dimension;
    private final long maxPayloadBytes;
    private final double min;
    private final double max;
    private final boolean hasRange;
    /** {@code [min, max]} clamped to finite values: also rejects infinities. */
    private final double lo;
    private final double hi;

    private final String[] specNames; // sorted, so the first violation is deterministic
    private final FeatureSpec[] specs;
    private final Map<String, Integer> specIndex;
    private final boolean allowUnknown;
    private final boolean namedChecks;

    private final CrossFieldExpression[] rules;
    private final Dist dist;

    private volatile Layout last;

    /**
     * A cross-field rule that does not compile, with its index in the contract's {@code crossField}
     * list, so that a policy loader can point at the rule's own expression. The message is the
     * expression's error as it is.
     */
    public static final class RuleException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final int index;

        RuleException(int index, IllegalArgumentException cause) {
            super(cause.getMessage(), cause);
            this.index = index;
        }

        /** The rule's 0-based index in the contract's {@code crossField} list. */
        public int index() {
            return index;
        }
    }

    private CompiledContract(InputContract c) {
        this.contract = c;
        this.dimension = c.dimension();
        this.maxPayloadBytes = c.maxPayloadBytes();
        this.min = c.min();
        this.max = c.max();
        this.hasRange = min > Double.NEGATIVE_INFINITY || max < Double.POSITIVE_INFINITY;
        this.lo = Math.max(min, -Double.MAX_VALUE);
        this.hi = Math.min(max, Double.MAX_VALUE);

        this.specNames = c.features().keySet().stream().sorted().toArray(String[]::new);
        this.specs = new FeatureSpec[specNames.length];
        Map<String, Integer> idx = new HashMap<>();
        for (int s = 0; s < specNames.length; s++) {
            specs[s] = c.features().get(specNames[s]);
            if (specs[s] == null) {
                throw new IllegalArgumentException("feature '" + specNames[s] + "' needs a spec, was null");
            }
            idx.put(specNames[s], s);
        }
        this.specIndex = Map.copyOf(idx);
        this.allowUnknown = c.allowUnknownFeatures();
        this.namedChecks = specs.length > 0 || !allowUnknown;

        // Only listed features, even when unknown ones are allowed: a name the contract does not list
        // (a typo) would be the caller's to send, and so the rule's outcome.
        List<String> known = List.of(specNames);
        Set<String> ids = new HashSet<>();
        this.rules = new CrossFieldExpression[c.crossField().size()];
        for (int r = 0; r < rules.length; r++) {
            CrossFieldRule rule = c.crossField().get(r);
            if (rule.id().isBlank()) {
                throw new IllegalArgumentException("cross_field rule " + (r + 1) + " needs an id, was blank");
            }
            if (!ids.add(rule.id())) {
                throw new IllegalArgumentException("cross_field rule id '" + rule.id()
                        + "' is used twice; ids must be unique");
            }
            try {
                rules[r] = CrossFieldExpression.compile(rule.id(), rule.expr(), known);
            } catch (IllegalArgumentException e) {
                throw new RuleException(r, e);
            }
        }
        this.dist = c.distribution() == null ? null : new Dist(c.distribution(), dimension, c.shape(), lo, hi);
    }

    /**
     * Compiles a contract.
     *
     * @param c the contract
     * @return the compiled contract, safe to share between threads
     * @throws IllegalArgumentException for a cross-field expression that does not parse (naming the
     *     rule id, the column and what was expected), a rule using a feature the contract does not
     *     list (even when unknown features are allowed), duplicate rule ids, or distribution
     *     statistics that are empty, not finite, negative (std) or of another dimension than the shape
     */
    public static CompiledContract compile(InputContract c) {
        if (c == null) {
            throw new IllegalArgumentException("contract must not be null");
        }
        return new CompiledContract(c);
    }

    /** The contract this was compiled from. */
    public InputContract contract() {
        return contract;
    }

    /**
     * For a named request, the required features it lacks ({@code "; missing: age, term"}), so that
     * a wrong count says which; empty otherwise. Names only: they come from the contract.
     */
    private String missingRequired(Features f) {
        if (!f.isNamed() || specs.length == 0) {
            return "";
        }
        java.util.Set<String> sent = new java.util.HashSet<>(f.names());
        java.util.StringJoiner missing = new java.util.StringJoiner(", ", "; missing: ", "").setEmptyValue("");
        for (int s = 0; s < specs.length; s++) {
            if (specs[s].required() && !sent.contains(specNames[s])) {
                missing.add(specNames[s]);
            }
        }
        return missing.toString();
    }

    /**
     * For a named request to a contract that lists features, those it carries that the contract does
     * not list ({@code "; unknown: bonus, zzz"}), so that a wrong count says which; empty otherwise.
     * The names are the request's text, so {@link FeatureNames#printable} and at most ten.
     */
    private String unknown(Features f) {
        if (!f.isNamed() || specs.length == 0) {
            return "";
        }
        List<String> unknown = new ArrayList<>();
        for (String name : f.names()) {
            if (!specIndex.containsKey(name)) {
                unknown.add(FeatureNames.printable(name));
            }
        }
        if (unknown.isEmpty()) {
            return "";
        }
        String listed = listNames(unknown);
        return "; unknown: " + listed.substring(1, listed.length() - 1);
    }

    /**
     * A feature declared optional ({@code required: false}) that a cross-field rule reads, said as a
     * load error, or {@code null}. A rule refuses every request without a feature it reads, so the
     * feature is not optional after all, and a request without it would be refused by the rule's
     * message instead of the contract's.
     */
    public String optionalReadByRule() {
        for (CrossFieldExpression r : rules) {
            for (String f : r.features()) {
                for (int s = 0; s < specs.length; s++) {
                    if (specNames[s].equals(f) && !specs[s].required()) {
                        return "feature '" + f + "' is optional (required: false) but cross_field rule '" + r.id()
                                + "' reads it, and a rule refuses every request without a feature it reads; make the "
                                + "feature required, or leave it out of the rule";
                    }
                }
            }
        }
        return null;
    }

    /**
     * A feature declared optional ({@code required: false}) in a contract with a distribution check,
     * said as a load error, or {@code null}. The check scores a value for every feature of its
     * statistics and refuses a request without one (as input it cannot score), so the feature is
     * not optional after all.
     */
    public String optionalWithDistribution() {
        if (dist == null) {
            return null;
        }
        for (int s = 0; s < specs.length; s++) {
            if (!specs[s].required()) {
                return "feature '" + specNames[s] + "' is optional (required: false) but the contract has a"
                        + " distribution check, which needs a value for every feature and refuses every request"
                        + " without one; make the feature required, or turn the distribution check off";
            }
        }
        return null;
    }

    /**
     * Why no request can pass this contract's shape and named-feature checks together, or
     * {@code null} when some request can. Only true contradictions are reported, for a loader to
     * refuse the contract; {@link #compile} accepts them (a contract built per request refuses
     * every request instead). With a shape of {@code d} values:
     *
     * <ul>
     *   <li>more than {@code d} features must be in every request: the required ones and those a
     *       cross-field rule reads (a rule refuses a request without them), while a request has
     *       {@code d} values, at most one per name;
     *   <li>unknown features are not allowed, the contract lists fewer than {@code d} features, and
     *       it lists some feature or some feature must be in every request: a named request cannot
     *       name its {@code d} values, and an unnamed one is refused ({@link #check}: named
     *       features expected) or has none of the features that must be there.
     * </ul>
     *
     * <p>Without a shape (any length) these two cannot happen. With or without one, a feature every
     * request must carry (required, or read by a rule) whose own range has no finite value in common
     * with the contract's range is reported too.
     */
    public String unsatisfiable() {
        java.util.TreeSet<String> required = new java.util.TreeSet<>();
        for (int s = 0; s < specs.length; s++) {
            if (specs[s].required()) {
                required.add(specNames[s]);
            }
        }
        java.util.TreeSet<String> readByRules = new java.util.TreeSet<>();
        for (CrossFieldExpression r : rules) {
            readByRules.addAll(r.features());
        }
        for (int s = 0; s < specs.length; s++) {
            // a feature every request carries needs a finite value within its own range and the contract's
            if ((specs[s].required() || readByRules.contains(specNames[s]))
                    && !(Math.max(Math.max(specs[s].min(), min), -Double.MAX_VALUE)
                            <= Math.min(Math.min(specs[s].max(), max), Double.MAX_VALUE))) {
                return "feature '" + specNames[s] + "' must be in every request and within its range ["
                        + num(specs[s].min()) + ", " + num(specs[s].max()) + "], but every value must also be within"
                        + " the contract's range [" + num(min) + ", " + num(max) + "]: no value is in both, so no"
                        + " request can pass; fix one of the ranges, or make the feature optional (required: false)";
            }
        }
        if (dimension < 0) {
            return null;
        }
        readByRules.removeAll(required);
        int needed = required.size() + readByRules.size();
        String holds = "the shape " + contract.shape() + " holds " + dimension + " value" + (dimension == 1 ? "" : "s");
        if (needed > dimension) {
            String which = required.size() + " required " + listNames(List.copyOf(required));
            if (!readByRules.isEmpty()) {
                which = (required.isEmpty() ? "" : which + " and ") + readByRules.size() + " read by cross_field rules "
                        + listNames(List.copyOf(readByRules));
            }
            return needed + " features must be in every request (" + which + ") but " + holds
                    + ": no request can carry them all; make some optional (required: false) or fix the shape";
        }
        if (!allowUnknown && (needed > 0 || specs.length > 0) && specs.length < dimension) {
            String unnamed = needed == 0 ? "is refused, as the contract's features are named"
                    : "lacks '" + (required.isEmpty() ? readByRules.first() : required.first()) + "'";
            return holds + " but the contract lists only " + specs.length + " feature"
                    + (specs.length == 1 ? "" : "s") + " " + listNames(Arrays.asList(specNames))
                    + " and does not allow other features: a named request cannot name all its values, and an"
                    + " unnamed one " + unnamed + "; list every feature of the shape, set"
                    + " allow_unknown_features: true, or fix the shape";
        }
        return null;
    }

    /**
     * Why no request can pass this contract's distribution check together with its range, said as
     * a load error, or {@code null}: some feature's values within {@code max_abs_z} of its training
     * mean all lie outside the contract's {@code [min, max]} (statistics of unscaled data, pixels 0
     * to 255, under a range of 0 to 1), so every request would be refused as out of distribution.
     */
    public String distributionUnsatisfiable() {
        if (dist == null || !(dist.maxAbsZ > 0)) {
            return null;
        }
        for (int i = 0; i < dist.dim; i++) {
            if (!(dist.lo[i] <= dist.hi[i])) {
                String which = dist.names != null ? "feature '" + dist.names.get(i) + "'" : "value at index " + i;
                return "the " + which + " must be within max_abs_z of its training mean, which leaves no value within"
                        + " the contract's range [" + num(min) + ", " + num(max) + "]: no request can pass; were the"
                        + " statistics computed on differently scaled data? Recompute them on inputs as the model"
                        + " receives them, or fix the range";
            }
        }
        return null;
    }

    /**
     * Checks one request against the contract.
     *
     * @param f the request's features
     * @param payloadBytes the request's size in bytes, or {@code -1} when unknown, in which case
     *     8 bytes per feature are assumed
     * @return {@code null} when the input is valid, else the first violation (see the class
     *     comment for the order)
     * @throws IllegalArgumentException when {@code payloadBytes} is below {@code -1}
     */
    public Violation check(Features f, long payloadBytes) {
        double[] v = f.vector();
        int n = v.length;
        if (payloadBytes < -1) {
            throw new IllegalArgumentException("payloadBytes must be >= 0, or -1 when unknown, was " + payloadBytes);
        }
        if (maxPayloadBytes > 0) {
            long bytes = payloadBytes == -1 ? 8L * n : payloadBytes;
            if (bytes > maxPayloadBytes) {
                return payloadViolation(bytes, payloadBytes == -1, n);
            }
        }
        if (dimension >= 0 && n != dimension) {
            return new Violation(ReasonCode.INVALID_INPUT, Violation.SHAPE, "expected " + dimension
                    + " features (shape " + contract.shape() + "), got " + n + missingRequired(f) + unknown(f));
        }

        Dist d = dist;
        boolean boundsOk;
        double sz2 = 0;
        double sx = 0;
        double sx2 = 0;
        double rough = 0;
        if (d != null && n == d.dim) {
            // One pass: finiteness + global range + |z| bound (precomputed per-feature bounds), with
            // the sums of the statistics when any is checked (ContractKernel: their order, and why).
            if (d.rms || d.summary) {
                double[] sums = new double[4];
                boundsOk = KERNEL.sums(v, d.lo, d.hi, d.uniform, lo, hi, d.mean, d.inv, d.center, sums);
                sz2 = sums[0];
                sx = sums[1];
                sx2 = sums[2];
                rough = sums[3];
            } else {
                boundsOk = d.uniform ? KERNEL.within(v, lo, hi) : KERNEL.within(v, d.lo, d.hi);
            }
        } else {
            boundsOk = KERNEL.within(v, lo, hi);
        }
        List<String> names = f.names();
        if (!boundsOk) {
            Violation x = finiteAndRange(v, f);
            if (x != null) {
                return x;
            }
        }

        if (namedChecks || rules.length > 0) {
            Layout layout = layout(names);
            if (namedChecks) {
                Violation x = namedFeatures(v, names, layout);
                if (x != null) {
                    return x;
                }
            }
            for (int r = 0; r < rules.length; r++) {
                Violation x = crossField(rules[r], layout.rulePos[r], v);
                if (x != null) {
                    return x;
                }
            }
        }

        if (d != null) {
            if (d.names != null && !names.isEmpty()) {
                // Named statistics score the request by position: its features must come in their order.
                // Decided once per distinct names list (the layout cache), not per request.
                String wrongOrder = layout(names).wrongOrder;
                if (wrongOrder != null) {
                    return new Violation(ReasonCode.INVALID_INPUT, Violation.DISTRIBUTION, wrongOrder);
                }
            }
            if (n != d.dim && allowUnknown && specs.length == d.dim && !names.isEmpty()) {
                Layout layout = layout(names);
                if (layout.firstUnknown >= 0) {
                    return listedOnly(d, v, names, layout);
                }
            }
            if (n != d.dim) {
                return new Violation(ReasonCode.INVALID_INPUT, Violation.DISTRIBUTION, "the input has " + n
                        + " features but the bundle's distribution statistics describe " + d.dim
                        + "; the statistics do not match this input");
            }
            if (!boundsOk) {
                Violation x = d.perFeature(v, names, this);
                if (x != null) {
                    return x;
                }
            }
            return d.aggregate(v, sz2, sx, sx2, rough);
        }
        return null;
    }

    /**
     * The distribution check of a named request that carries features the contract does not list
     * (it allows them): the statistics describe the listed features, so those are scored, in the
     * request's order as for a request without the others, and the others are not. Every listed
     * feature is still scored, so adding features skips nothing. Off the fast path (allocates).
     */
    private Violation listedOnly(Dist d, double[] v, List<String> names, Layout layout) {
        int[] pos = layout.specPos.clone();
        for (int s = 0; s < pos.length; s++) {
            if (pos[s] < 0) {
                return new Violation(ReasonCode.INVALID_INPUT, Violation.DISTRIBUTION, "feature '" + specNames[s]
                        + "' is absent; the distribution check needs a value for every feature");
            }
        }
        Arrays.sort(pos);
        double[] sub = new double[pos.length];
        List<String> subNames = new ArrayList<>(pos.length);
        for (int k = 0; k < pos.length; k++) {
            sub[k] = v[pos[k]];
            subNames.add(names.get(pos[k]));
        }
        double[] sums = new double[4];
        if (!KERNEL.sums(sub, d.lo, d.hi, d.uniform, lo, hi, d.mean, d.inv, d.center, sums)) {
            Violation x = d.perFeature(sub, subNames, this);
            if (x != null) {
                return x;
            }
        }
        return d.aggregate(sub, sums[0], sums[1], sums[2], sums[3]);
    }

    // ---------------------------------------------------------------- failure paths (allocate)

    private Violation payloadViolation(long bytes, boolean estimated, int n) {
        String what = estimated
                ? "the payload of " + n + " features is about " + bytes + " bytes (8 per feature)"
                : "the payload is " + bytes + " bytes";
        return new Violation(ReasonCode.PAYLOAD_TOO_LARGE, Violation.PAYLOAD,
                what + ", above the limit of " + maxPayloadBytes + " bytes");
    }

    private Violation finiteAndRange(double[] v, Features f) {
        List<String> names = f.names();
        boolean absent = f.hasAbsent();
        for (int i = 0; i < v.length; i++) {
            double x = v[i];
            if (Double.isNaN(x) ? !(absent && f.isAbsent(i)) : Double.isInfinite(x)) {
                return new Violation(ReasonCode.INVALID_INPUT, Violation.FINITE, label(i, names) + " is "
                        + num(x) + "; every value must be a finite number", label(i, names)
                        + " is not a finite number; every value must be a finite number");
            }
        }
        if (hasRange) {
            for (int i = 0; i < v.length; i++) {
                double x = v[i];
                if (x < min || x > max) {
                    String bound = "the allowed range [" + num(min) + ", " + num(max) + "]";
                    return new Violation(ReasonCode.INVALID_INPUT, Violation.RANGE, label(i, names) + " is "
                            + num(x) + ", outside " + bound, label(i, names) + " is outside " + bound);
                }
            }
        }
        return null;
    }

    private Violation namedFeatures(double[] v, List<String> names, Layout layout) {
        for (int s = 0; s < specs.length; s++) {
            int p = layout.specPos[s];
            if (specs[s].required() && (p < 0 || Double.isNaN(v[p]))) {
                String why = names.isEmpty() ? " (the request's features are not named: send them by name, a JSON "
                        + "object such as {\"" + specNames[s] + "\": ...}, or Features.named)"
                        : p >= 0 ? " (the request marks it absent)" : "";
                if (p < 0 && layout.firstUnknown >= 0) {
                    // a misspelt name is the likely cause: say which name the request sent instead
                    why += "; the request has feature '" + FeatureNames.printable(names.get(layout.firstUnknown))
                            + "', which the contract does not list";
                }
                return features("required feature '" + specNames[s] + "' is missing" + why);
            }
        }
        if (!allowUnknown && specs.length > 0 && names.isEmpty() && v.length > 0) {
            // Unnamed values cannot be matched to the listed features, so none of their ranges
            // could be checked: refused even when every listed feature is optional.
            return features("the request's features are not named, but the contract lists named features "
                    + listNames(Arrays.asList(specNames)) + " and does not allow other features; send the "
                    + "features by name (a JSON object such as {\"" + specNames[0] + "\": ...}, or Features.named)");
        }
        if (!allowUnknown && layout.firstUnknown >= 0) {
            return features("unknown feature '" + FeatureNames.printable(names.get(layout.firstUnknown)) + "'; "
                    + (specs.length == 0 ? "the contract lists no named features"
                            : "the contract lists " + listNames(Arrays.asList(specNames)))
                    + " and does not allow other features");
        }
        for (int s = 0; s < specs.length; s++) {
            int p = layout.specPos[s];
            if (p >= 0) {
                double x = v[p];
                if (x < specs[s].min() || x > specs[s].max()) {
                    String bound = "its allowed range [" + num(specs[s].min()) + ", " + num(specs[s].max()) + "]";
                    return new Violation(ReasonCode.INVALID_INPUT, Violation.FEATURES, "feature '" + specNames[s]
                            + "' is " + num(x) + ", outside " + bound, "feature '" + specNames[s] + "' is outside "
                            + bound);
                }
            }
        }
        return null;
    }

    private static Violation features(String message) {
        return new Violation(ReasonCode.INVALID_INPUT, Violation.FEATURES, message);
    }

    private static Violation crossField(CrossFieldExpression rule, int[] pos, double[] v) {
        for (int k = 0; k < pos.length; k++) {
            int p = pos[k];
            if (p < 0 || Double.isNaN(v[p])) {
                return new Violation(ReasonCode.INVALID_INPUT, rule.id(), "rule '" + rule.id()
                        + "' refers to feature '" + rule.features().get(k) + "', which is absent from the request");
            }
        }
        int outcome = rule.test(v, pos);
        if (outcome == CrossFieldExpression.TRUE) {
            return null;
        }
        return new Violation(ReasonCode.INVALID_INPUT, rule.id(), rule.explain(v, pos), rule.explainRedacted(outcome));
    }

    /**
     * Names a position: the feature name (the request's text, so {@link FeatureNames#printable}), or the
     * index (and the position within the shape).
     */
    String label(int i, List<String> names) {
        if (!names.isEmpty()) {
            return "feature '" + FeatureNames.printable(names.get(i)) + "'";
        }
        List<Integer> shape = contract.shape();
        if (shape.size() < 2 || dimension < 0) {
            return "value at index " + i;
        }
        int[] at = new int[shape.size()];
        int rest = i;
        for (int k = shape.size() - 1; k >= 0; k--) {
            at[k] = rest % shape.get(k);
            rest /= shape.get(k);
        }
        return "value at index " + i + " (position " + Arrays.toString(at) + " of shape " + shape + ")";
    }

    // ---------------------------------------------------------------- layout cache

    private Layout layout(List<String> names) {
        Layout l = last;
        if (l != null && (l.names == names || sameNames(l.names, names))) {
            return l;
        }
        l = new Layout(names);
        last = l;
        return l;
    }

    private static boolean sameNames(List<String> a, List<String> b) {
        int n = a.size();
        if (n != b.size()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!a.get(i).equals(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Where each contract feature and rule slot sits in one request layout. Immutable. */
    private final class Layout {
        final List<String> names;
        final int[] specPos;
        final int firstUnknown;
        final int[][] rulePos;
        /**
         * Why these names do not line up with the distribution statistics' names, or null: the first
         * scored position whose feature is not the one the statistics describe there.
         */
        final String wrongOrder;

        Layout(List<String> names) {
            this.names = names;
            // Features guarantees unique names, one per value (they come from a map's keys).
            Map<String, Integer> at = new HashMap<>();
            int unknown = -1;
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                at.put(name, i);
                if (unknown < 0 && !specIndex.containsKey(name)) {
                    unknown = i;
                }
            }
            this.firstUnknown = unknown;
            this.specPos = new int[specs.length];
            for (int s = 0; s < specs.length; s++) {
                specPos[s] = at.getOrDefault(specNames[s], -1);
            }
            this.rulePos = new int[rules.length][];
            for (int r = 0; r < rules.length; r++) {
                List<String> used = rules[r].features();
                rulePos[r] = new int[used.size()];
                for (int k = 0; k < used.size(); k++) {
                    rulePos[r][k] = at.getOrDefault(used.get(k), -1);
                }
            }
            this.wrongOrder = wrongOrder(names);
        }

        private String wrongOrder(List<String> names) {
            Dist d = dist;
            if (d == null || d.names == null || names.isEmpty()) {
                return null;
            }
            // Of a request of another length than the statistics only the listed features are scored
            // (listedOnly), in the request's order; a request of their length is scored whole.
            boolean listedOnly = names.size() != d.dim;
            int k = 0;
            for (int i = 0; i < names.size() && k < d.dim; i++) {
                String name = names.get(i);
                if (listedOnly && !specIndex.containsKey(name)) {
                    continue;
                }
                if (!name.equals(d.names.get(k))) {
                    return "feature '" + FeatureNames.printable(name) + "' is at position " + i
                            + " of the request, where the distribution statistics describe '" + d.names.get(k)
                            + "'; the statistics are in name order, so the features must reach the check in that "
                            + "order: build Features.named(List, double[]) with the names in name order "
                            + listNames(d.names) + ", or use Features.named(Map), which sorts them";
                }
                k++;
            }
            return null;
        }
    }

    // ---------------------------------------------------------------- distribution

    /** The distribution check, precomputed. Immutable. */
    private static final class Dist {
        final int dim;
        final double[] mean;
        final double[] scale; // max(std, floor)
        final double[] inv; // 1 / scale
        final double[] lo; // smallest passing value: global range, finiteness and |z| bound
        final double[] hi;
        final boolean uniform; // no |z| bound: every lo[i], hi[i] is the contract's global range
        final double center;
        final double maxAbsZ;
        final double maxRmsZ;
        final double[] meanRange;
        final double[] stdRange;
        final double[] roughRange;
        final boolean rms; // the RMS z-score is checked
        final boolean summary; // some summary range is checked
        final List<String> names; // the statistics' names, in their order, or null when they have none

        Dist(DistributionCheck c, int dimension, List<Integer> shape, double globalLo, double globalHi) {
            dim = c.mean().length;
            names = c.names();
            if (dim == 0) {
                throw new IllegalArgumentException("distribution statistics must describe at least one feature, "
                        + "were empty");
            }
            if (dimension >= 0 && dimension != dim) {
                throw new IllegalArgumentException("distribution statistics describe " + dim
                        + " features but the contract's shape " + shape + " has " + dimension
                        + "; recompute the statistics for this model's input");
            }
            mean = c.mean().clone();
            double[] std = c.std().clone();
            maxAbsZ = c.maxAbsZ();
            maxRmsZ = c.maxRmsZ();
            scale = new double[dim];
            inv = new double[dim];
            lo = new double[dim];
            hi = new double[dim];
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                if (!Double.isFinite(mean[i])) {
                    throw new IllegalArgumentException("distribution.mean[" + i + "] must be finite, was " + mean[i]);
                }
                if (!(std[i] >= 0) || std[i] == Double.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("distribution.std[" + i + "] must be finite and >= 0, was "
                            + std[i]);
                }
                scale[i] = Math.max(std[i], c.stdFloor());
                inv[i] = 1 / scale[i];
                sum += mean[i];
                lo[i] = globalLo;
                hi[i] = globalHi;
                if (maxAbsZ > 0) {
                    double m = mean[i];
                    double s = scale[i];
                    double k = maxAbsZ;
                    lo[i] = Math.max(globalLo, smallest(x -> (x - m) / s >= -k));
                    hi[i] = Math.min(globalHi, largest(x -> (x - m) / s <= k));
                }
            }
            center = sum / dim;
            uniform = !(maxAbsZ > 0);
            Map<String, double[]> summary = c.summary();
            meanRange = range(summary, "mean");
            stdRange = range(summary, "std");
            roughRange = range(summary, "roughness");
            rms = maxRmsZ > 0;
            this.summary = meanRange != null || stdRange != null || roughRange != null;
        }

        private static double[] range(Map<String, double[]> summary, String key) {
            double[] r = summary.get(key);
            return r == null ? null : r.clone();
        }

        static final String TOO_FAR = "too far from the training data";

        /** Absent features and the |z| bound, after the fast pass failed. */
        Violation perFeature(double[] v, List<String> names, CompiledContract cc) {
            for (int i = 0; i < v.length; i++) {
                if (Double.isNaN(v[i])) {
                    return new Violation(ReasonCode.INVALID_INPUT, Violation.DISTRIBUTION, cc.label(i, names)
                            + " is absent; the distribution check needs a value for every feature");
                }
            }
            if (maxAbsZ > 0) {
                for (int i = 0; i < v.length; i++) {
                    double z = (v[i] - mean[i]) / scale[i];
                    if (!(Math.abs(z) <= maxAbsZ)) {
                        // Neither the training statistics nor the limit nor the z-score: from them
                        // (and a few probes) a caller learns what the training data looks like
                        return new Violation(ReasonCode.OUT_OF_DISTRIBUTION, Violation.DISTRIBUTION,
                                cc.label(i, names) + " is " + num(v[i]) + ", " + TOO_FAR,
                                cc.label(i, names) + " is " + TOO_FAR);
                    }
                }
            }
            return null;
        }

        /** RMS z-score and summary ranges, from the fused sums. */
        Violation aggregate(double[] v, double sz2, double sx, double sx2, double rough) {
            int n = v.length;
            if (rms) {
                double r = Math.sqrt(sz2 / n);
                if (!(r <= maxRmsZ)) {
                    return new Violation(ReasonCode.OUT_OF_DISTRIBUTION, Violation.DISTRIBUTION,
                            "the input as a whole is " + TOO_FAR + " (its RMS z-score over all " + n
                            + " features is above the policy's limit)");
                }
            }
            if (!summary) {
                return null;
            }
            double m = sx / n;
            double mean = m + center;
            double std = Math.sqrt(Math.max(0, sx2 / n - m * m));
            double roughness = n > 1 ? rough / (n - 1) : 0;
            if (inside(meanRange, mean) && inside(stdRange, std) && inside(roughRange, roughness)) {
                return null;
            }
            double[] exact = TrainingStats.summaries(v); // failure path: recompute without one-pass rounding
            if (!inside(meanRange, exact[0])) {
                return summary("mean", exact[0]);
            }
            if (!inside(stdRange, exact[1])) {
                return summary("standard deviation", exact[1]);
            }
            if (!inside(roughRange, exact[2])) {
                return summary("roughness (mean absolute difference of neighbouring values)", exact[2]);
            }
            return null;
        }

        private static boolean inside(double[] range, double value) {
            return range == null || (value >= range[0] && value <= range[1]);
        }

        /** The input's own statistic (its value is the caller's), not the range seen in training. */
        private static Violation summary(String what, double value) {
            return new Violation(ReasonCode.OUT_OF_DISTRIBUTION, Violation.DISTRIBUTION, "the input's " + what + " is "
                    + fixed(value) + ", outside the range seen in training", "the input's " + what
                    + " is outside the range seen in training");
        }

    }

    /**
     * The largest finite double {@code x} with {@code p(x)}, for a predicate that holds on a prefix
     * of the finite doubles (true up to a point, false after it) and holds at {@code -MAX_VALUE}.
     */
    static double largest(DoublePredicate p) {
        if (p.test(Double.MAX_VALUE)) {
            return Double.MAX_VALUE;
        }
        long a = ordered(-Double.MAX_VALUE); // p true
        long b = ordered(Double.MAX_VALUE); // p false
        while (a + 1 < b) {
            long mid = (a & b) + ((a ^ b) >> 1);
            if (p.test(fromOrdered(mid))) {
                a = mid;
            } else {
                b = mid;
            }
        }
        return fromOrdered(a);
    }

    /**
     * The smallest finite double {@code x} with {@code p(x)}, for a predicate that holds on a suffix
     * of the finite doubles and holds at {@code MAX_VALUE}.
     */
    static double smallest(DoublePredicate p) {
        if (p.test(-Double.MAX_VALUE)) {
            return -Double.MAX_VALUE;
        }
        long a = ordered(-Double.MAX_VALUE); // p false
        long b = ordered(Double.MAX_VALUE); // p true
        while (a + 1 < b) {
            long mid = (a & b) + ((a ^ b) >> 1);
            if (p.test(fromOrdered(mid))) {
                b = mid;
            } else {
                a = mid;
            }
        }
        return fromOrdered(b);
    }

    /** Maps doubles to longs with the same order (-0.0 just below +0.0); its own inverse. */
    private static long ordered(double d) {
        long bits = Double.doubleToRawLongBits(d);
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }

    private static double fromOrdered(long o) {
        return Double.longBitsToDouble(o ^ ((o >> 63) & Long.MAX_VALUE));
    }

    // ---------------------------------------------------------------- formatting

    /** A number for a message: integers without ".0", others in shortest round-trip form. */
    static String num(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            return Long.toString((long) x);
        }
        return Double.toString(x);
    }

    private static String fixed(double x) {
        return String.format(Locale.ROOT, "%.4g", x);
    }

    /** Up to ten names, e.g. {@code [a, b, c]} or {@code [a, b, ..., j, and 5 more]}. */
    static String listNames(List<String> names) {
        if (names.size() <= MAX_LISTED) {
            return names.toString();
        }
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < MAX_LISTED; i++) {
            b.append(names.get(i)).append(", ");
        }
        return b.append("and ").append(names.size() - MAX_LISTED).append(" more]").toString();
    }
}
