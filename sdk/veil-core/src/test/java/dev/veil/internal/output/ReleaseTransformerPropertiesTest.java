package dev.veil.internal.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Prediction;
import dev.veil.ReleasedPrediction;
import dev.veil.ReleasedPrediction.ScoredLabel;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.ReleaseSpec.Form;
import dev.veil.spi.ReleaseSpec.Noise;
import dev.veil.spi.ReleaseSpec.Noise.Mechanism;
import dev.veil.spi.ReleaseSpec.ReverseSigmoid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Invariants of {@link ReleaseTransformer} over generated score vectors (1 to 80 classes, mostly up
 * to 20, scores with ties, zeros, all zeros, tiny and large values; labels distinct or repeated, as
 * a model may return them) and generated specs (every form and transform, including noise driven by
 * a generated seed). One invariant needs distinct labels: with repeated ones a label can be released
 * twice, once per class that carries it.
 */
class ReleaseTransformerPropertiesTest {
    private static final int EXAMPLES = 1000;

    private final ReleaseTransformer transformer = new ReleaseTransformer();

    // ---- generators ------------------------------------------------------------------------------

    private static Gen<double[]> scoreVectors() {
        Gen<Double> score = Generate.frequency(
                Pair.of(6, doubles().between(1e-12, 1.0)),
                Pair.of(3, arbitrary().pick(0.1, 0.25, 0.5, 1.0)),
                Pair.of(1, arbitrary().pick(Double.MIN_VALUE, 1e-300, 1e-15, 1e-9)),
                Pair.of(1, arbitrary().constant(0.0)),
                Pair.of(1, doubles().between(1.0, 1e6)));
        Gen<List<Double>> few = lists().of(score).ofSizeBetween(1, 20);
        Gen<List<Double>> many = lists().of(score).ofSizeBetween(21, 80); // sorted by merge sort, not insertion
        Gen<List<Double>> zeros = integers().between(1, 30).map(n -> java.util.Collections.nCopies(n, 0.0));
        return Generate.frequency(Pair.of(16, few), Pair.of(3, many), Pair.of(1, zeros))
                .map(l -> l.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Scores and their labels: distinct ({@code c0, c1...}) or, one time in four, three names repeated. */
    private record Case(double[] s, List<String> labels) {
        static Case distinct(double[] s) {
            return new Case(s, IntStream.range(0, s.length).mapToObj(i -> "c" + i).toList());
        }

        static Case repeated(double[] s) {
            return new Case(s, IntStream.range(0, s.length).mapToObj(i -> "c" + i % 3).toList());
        }

        Case with(double[] scores) {
            return new Case(scores, labels);
        }

        @Override
        public String toString() {
            return Arrays.toString(s) + " " + labels;
        }
    }

    private static Gen<Case> cases() {
        return scoreVectors().zip(integers().between(0, 3), (s, r) -> r == 0 ? Case.repeated(s) : Case.distinct(s));
    }

    private static Gen<Double> steps() {
        return Generate.frequency(
                Pair.of(3, arbitrary().constant(0.0)),
                Pair.of(3, arbitrary().pick(0.001, 0.01, 0.05, 0.07, 0.1, 0.25, 0.3, 0.6, 1.0)),
                Pair.of(2, doubles().between(1e-4, 1.0)));
    }

    private static Gen<Optional<ReverseSigmoid>> reverseSigmoids() {
        Gen<Optional<ReverseSigmoid>> some = doubles().between(0.01, 5).zip(doubles().between(0.01, 5),
                (b, g) -> Optional.of(new ReverseSigmoid(b, g)));
        return Generate.frequency(Pair.of(1, arbitrary().constant(Optional.empty())), Pair.of(1, some));
    }

    private static Gen<Optional<Noise>> noises() {
        Gen<Optional<Noise>> laplace = doubles().between(0.01, 200).zip(arbitrary().pick(0.0, 0.1, 1.0, 2.0),
                (eps, sens) -> Optional.of(new Noise(Mechanism.LAPLACE, eps, 0, sens)));
        Gen<Optional<Noise>> gaussian = doubles().between(0.01, 1).zip(doubles().between(1e-9, 0.5),
                arbitrary().pick(0.0, 0.01, 1.0), (eps, delta, sens) -> Optional.of(
                        new Noise(Mechanism.GAUSSIAN, eps, delta, sens)));
        return Generate.frequency(Pair.of(2, arbitrary().constant(Optional.empty())), Pair.of(1, laplace),
                Pair.of(1, gaussian));
    }

    /** Form, topK, round and minConfidence. */
    private record Shape(Form form, int topK, double round, double minConfidence) {
    }

    private static Gen<Shape> shapes() {
        Gen<Double> cutOffs = Generate.frequency(Pair.of(1, arbitrary().constant(0.0)),
                Pair.of(1, doubles().between(0, 0.99)));
        return arbitrary().enumValues(Form.class).zip(integers().between(0, 25), steps(), cutOffs,
                (f, k, r, m) -> new Shape(f, f == Form.TOP_K ? Math.max(1, k) : k, r, m));
    }

    private static Gen<ReleaseSpec> specs() {
        return shapes().zip(reverseSigmoids(), noises(), booleans().all(),
                (s, rs, n, allow) -> spec(s.form(), s.topK(), s.round(), s.minConfidence(),
                        rs.orElse(null), n.orElse(null), allow));
    }

    /**
     * A spec; noise on a label-only release that keeps the raw label is refused by ReleaseSpec (it
     * would be charged for nothing), so there the noise is left out.
     */
    private static ReleaseSpec spec(Form form, int topK, double round, double minConfidence, ReverseSigmoid rs,
            Noise noise, boolean allowLabelChange) {
        return new ReleaseSpec(form, topK, round, minConfidence, rs,
                form == Form.LABEL_ONLY && !allowLabelChange ? null : noise, allowLabelChange);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Prediction prediction(double[] scores) {
        return prediction(Case.distinct(scores));
    }

    private static Prediction prediction(Case c) {
        return Prediction.classification(c.labels(), c.s().clone());
    }

    /** The label of the first index of the highest raw score, computed independently of the code under test. */
    private static String rawTop(Case c) {
        double[] scores = c.s();
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return c.labels().get(best);
    }

    private ReleasedPrediction release(double[] scores, ReleaseSpec spec, long seed) {
        return release(Case.distinct(scores), spec, seed);
    }

    private ReleasedPrediction release(Case c, ReleaseSpec spec, long seed) {
        return transformer.apply(prediction(c), spec, new SplittableRandom(seed));
    }

    private static double[] scoresOf(ReleasedPrediction r) {
        return r.scores().stream().mapToDouble(ScoredLabel::score).toArray();
    }

    // ---- properties ------------------------------------------------------------------------------

    @Test
    void shouldReleaseScoresSortedHighestFirst() {
        qt().withExamples(EXAMPLES).forAll(cases(), specs(), longs().all()).checkAssert((s, spec, seed) -> {
            double[] released = scoresOf(release(s, spec, seed));
            for (int i = 1; i < released.length; i++) {
                assertThat(released[i]).isLessThanOrEqualTo(released[i - 1]);
            }
        });
    }

    @Test
    void shouldKeepRawTopLabelOnTopWhenLabelChangeIsNotAllowed() {
        Gen<ReleaseSpec> keeping = specs().map(s -> spec(s.form(), s.topK(), s.round(),
                s.minConfidence(), s.reverseSigmoid(), s.noise(), false));
        qt().withExamples(EXAMPLES).forAll(cases(), keeping, longs().all()).checkAssert((s, spec, seed) -> {
            ReleasedPrediction r = release(s, spec, seed);
            String top = rawTop(s);
            assertThat(r.label()).isEqualTo(top);
            if (!r.scores().isEmpty()) {
                assertThat(r.scores().get(0).label()).isEqualTo(top);
            }
        });
    }

    @Test
    void shouldReleaseScoresOnTheRoundingGridWithinZeroAndOne() {
        qt().withExamples(EXAMPLES).forAll(cases(), specs(), longs().all()).checkAssert((s, spec, seed) -> {
            for (double v : scoresOf(release(s, spec, seed))) {
                assertThat(v).isBetween(0.0, 1.0);
                if (spec.round() > 0) {
                    double k = v / spec.round();
                    assertThat(k).isCloseTo(Math.rint(k), within(1e-9));
                }
            }
        });
    }

    /**
     * A step that is no {@code 1/n} (0.07, 0.3...) still releases the decimal multiples: the double
     * nearest {@code k x step} with the step as written, 0.21 and not 0.21000000000000002.
     */
    @Test
    void shouldReleaseTheDecimalMultiplesOfADecimalStep() {
        Gen<Double> decimalSteps = arbitrary().pick(0.07, 0.03, 0.15, 0.3, 0.45, 0.12, 0.7, 0.35, 0.009, 0.0007);
        Gen<ReleaseSpec> rounding = specs().zip(decimalSteps, (s, step) -> spec(
                s.form() == Form.LABEL_ONLY ? Form.FULL : s.form(), s.topK(), step, 0, s.reverseSigmoid(),
                s.noise(), s.allowLabelChange()));
        qt().withExamples(EXAMPLES).forAll(cases(), rounding, longs().all()).checkAssert((s, spec, seed) -> {
            for (double v : scoresOf(release(s, spec, seed))) {
                assertThat(v).isEqualTo(decimalMultiple(Math.rint(v / spec.round()), spec.round()));
            }
        });
        Gen<Double> values = doubles().between(-1e6, 1e6);
        qt().withExamples(EXAMPLES).forAll(values, rounding, longs().all()).checkAssert((x, spec, seed) -> {
            double released = transformer.apply(Prediction.regression(x), spec, new SplittableRandom(seed)).value()
                    .orElseThrow();
            assertThat(released).isEqualTo(decimalMultiple(Math.rint(released / spec.round()), spec.round()));
        });
    }

    /** The double nearest {@code k x step}, the step written in decimal as Java prints it. */
    private static double decimalMultiple(double k, double step) {
        return new java.math.BigDecimal(Double.toString(step)).multiply(java.math.BigDecimal.valueOf((long) k))
                .doubleValue();
    }

    @Test
    void shouldReleaseNoScoresForLabelOnly() {
        Gen<ReleaseSpec> labelOnly = specs().map(s -> spec(Form.LABEL_ONLY, s.topK(), s.round(),
                s.minConfidence(), s.reverseSigmoid(), s.noise(), s.allowLabelChange()));
        qt().withExamples(EXAMPLES).forAll(cases(), labelOnly, longs().all()).checkAssert((s, spec, seed) -> {
            ReleasedPrediction r = release(s, spec, seed);
            assertThat(r.scores()).isEmpty();
            assertThat(r.value()).isEmpty();
            assertThat(r.label()).isNotNull();
            assertThat(r.applied()).last().isEqualTo("label_only");
        });
    }

    @Test
    void shouldReleaseADistributionForFullWithoutRoundingOrCutOff() {
        Gen<ReleaseSpec> full = specs().map(s -> spec(Form.FULL, 0, 0, 0, s.reverseSigmoid(), s.noise(),
                s.allowLabelChange()));
        qt().withExamples(EXAMPLES).forAll(cases(), full, longs().all()).checkAssert((s, spec, seed) -> {
            ReleasedPrediction r = release(s, spec, seed);
            assertThat(r.scores()).hasSize(s.s().length);
            double sum = 0;
            for (double v : scoresOf(r)) {
                assertThat(v).isBetween(0.0, 1.0);
                sum += v;
            }
            assertThat(sum).isCloseTo(1.0, within(1e-9));
        });
    }

    @Test
    void shouldReleaseTopKOfTheClassesThatPassTheCutOff() {
        Gen<ReleaseSpec> topK = specs().map(s -> spec(Form.TOP_K, Math.max(1, s.topK()), s.round(),
                s.minConfidence(), s.reverseSigmoid(), s.noise(), s.allowLabelChange()));
        qt().withExamples(EXAMPLES).forAll(cases(), topK, longs().all()).checkAssert((s, spec, seed) -> {
            // the same perturbations, rounding and seed, released in full, show the scores the cut-off saw
            ReleaseSpec fullSpec = spec(Form.FULL, 0, spec.round(), 0, spec.reverseSigmoid(), spec.noise(),
                    spec.allowLabelChange());
            ReleasedPrediction full = release(s, fullSpec, seed);
            ReleasedPrediction r = release(s, spec, seed);
            long remaining = Math.max(1, full.scores().stream()
                    .filter(x -> x.score() >= spec.minConfidence()).count());

            assertThat(r.scores()).hasSize((int) Math.min(spec.topK(), remaining));
            List<String> fullLabels = full.scores().stream().map(ScoredLabel::label).toList();
            List<String> released = r.scores().stream().map(ScoredLabel::label).toList();
            assertThat(released).isEqualTo(fullLabels.subList(0, released.size()));
            assertThat(r.label()).isEqualTo(full.label());
        });
    }

    @Test
    void shouldNotRevealTheRawOrderOfScoresThatRoundToTheSameValue() {
        // Swapping the raw scores of two classes below the top that round to the same value
        // must not change the release: rounding hides which of them was higher.
        Gen<ReleaseSpec> rounding = specs().map(s -> spec(s.form() == Form.LABEL_ONLY ? Form.FULL : s.form(),
                s.topK(), s.round() > 0 ? s.round() : 0.1, s.minConfidence(), null, null, false));
        qt().withExamples(EXAMPLES).forAll(cases(), rounding).checkAssert((c, spec) -> {
            double[] s = c.s();
            ReleasedPrediction r = release(c, spec, 0L);
            int top = prediction(c).topIndex();
            double sum = 0;
            for (double v : s) {
                sum += v;
            }
            for (int i = 0; i < s.length; i++) {
                for (int j = i + 1; j < s.length; j++) {
                    double a = s[i] / sum / spec.round();
                    double b = s[j] / sum / spec.round();
                    // the same grid point, and not so near a cell's edge that summing the scores in
                    // another order (which moves the last bits) could change it
                    if (s[i] == s[top] || s[j] == s[top] || s[i] == s[j] || !Double.isFinite(sum) || Math.rint(a) != Math.rint(b)
                            || Math.abs(Math.abs(a - Math.rint(a)) - 0.5) < 1e-6
                            || Math.abs(Math.abs(b - Math.rint(b)) - 0.5) < 1e-6) {
                        continue;
                    }
                    double[] swapped = s.clone();
                    swapped[i] = s[j];
                    swapped[j] = s[i];
                    ReleasedPrediction other = release(c.with(swapped), spec, 0L);
                    assertThat(other.label()).as("%s swapped at %d, %d", c, i, j)
                            .isEqualTo(r.label());
                    assertThat(other.scores()).as("%s swapped at %d, %d", c, i, j)
                            .isEqualTo(r.scores());
                }
            }
        });
    }

    /**
     * The release order (insertion for short lists, merge sort beyond 16) is a reference sort's: score
     * descending, the released label first among ties, then class index; over up to 300 classes with
     * many ties, cut at any length.
     */
    @Test
    void shouldOrderClassesAsAReferenceSortDoes() {
        Gen<double[]> tied = lists().of(integers().between(0, 5).map(k -> k * 0.1)).ofSizeBetween(1, 300)
                .map(l -> l.stream().mapToDouble(Double::doubleValue).toArray());
        qt().withExamples(EXAMPLES).forAll(tied, integers().between(0, 299), integers().between(1, 300))
                .checkAssert((q, t, l) -> {
                    int n = q.length;
                    int top = t % n;
                    int limit = 1 + (l - 1) % n;
                    Integer[] ref = IntStream.range(0, n).boxed().toArray(Integer[]::new);
                    Arrays.sort(ref, (a, b) -> q[a] != q[b] ? Double.compare(q[b], q[a])
                            : a == top ? -1 : b == top ? 1 : Integer.compare(a, b));
                    assertThat(ReleaseTransformer.order(q, top, limit))
                            .containsExactly(Arrays.stream(ref).limit(limit).mapToInt(Integer::intValue).toArray());
                });
    }

    @Test
    void shouldReleaseEachLabelAtMostOnceAndOnlyKnownLabels() {
        qt().withExamples(EXAMPLES).forAll(scoreVectors(), specs(), longs().all()).checkAssert((s, spec, seed) -> {
            ReleasedPrediction r = release(s, spec, seed);
            List<String> labels = new ArrayList<>();
            r.scores().forEach(x -> labels.add(x.label()));
            assertThat(new HashSet<>(labels)).hasSameSizeAs(labels);
            assertThat(prediction(s).labels()).containsAll(labels).contains(r.label());
            if (!labels.isEmpty()) {
                assertThat(labels.get(0)).isEqualTo(r.label());
            }
        });
    }

    @Test
    void shouldReleaseTheNormalisedScoresWithoutTransforms() {
        qt().withExamples(EXAMPLES).forAll(scoreVectors()).checkAssert(s -> {
            ReleasedPrediction r = transformer.apply(prediction(s), ReleaseSpec.FULL, null);
            double max = 0;
            for (double v : s) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : s) {
                sum += v / max;
            }
            for (ScoredLabel x : r.scores()) {
                int i = Integer.parseInt(x.label().substring(1));
                // all zero: the uniform distribution
                assertThat(x.score()).isCloseTo(max == 0 ? 1.0 / s.length : s[i] / max / sum, within(1e-12));
            }
            assertThat(r.applied()).isEmpty();
        });
    }

    @Test
    void shouldReleaseRegressionValueOnTheGridWithoutLabelOrScores() {
        Gen<Double> values = doubles().between(-1e6, 1e6);
        qt().withExamples(EXAMPLES).forAll(values, specs(), longs().all()).checkAssert((v, spec, seed) -> {
            ReleasedPrediction r = transformer.apply(Prediction.regression(v), spec, new SplittableRandom(seed));
            assertThat(r.label()).isNull();
            assertThat(r.scores()).isEmpty();
            double released = r.value().orElseThrow();
            if (spec.round() > 0) {
                double k = released / spec.round();
                assertThat(Math.abs(k - Math.rint(k))).isLessThanOrEqualTo(1e-9 * Math.max(1, Math.abs(k)));
            } else if (spec.noise() == null && spec.form() != Form.LABEL_ONLY) {
                assertThat(released).isEqualTo(v);
            }
        });
    }
    /**
     * Noise with bounds: the release depends on a regression's value only through the value clamped
     * to the bounds (a value far outside them, the one record that would break the guarantee, is
     * released as the bound would be, with the same draws), and within them it is the release of
     * noise with sensitivity {@code upper - lower} and no bounds: the sensitivity the guarantee needs
     * for a clamped value.
     */
    @Test
    void boundedNoiseSeesTheRegressionValueOnlyClampedAndHasTheBoundsWidthAsSensitivity() {
        Gen<Double> values = Generate.frequency(
                Pair.of(3, doubles().between(-1e9, 1e9)),
                Pair.of(1, arbitrary().pick(-Double.MAX_VALUE / 4, Double.MAX_VALUE / 4, -0.0, 0.0)));
        Gen<Noise.Bounds> boundsGen = doubles().between(-1e6, 1e6).zip(doubles().between(1e-3, 1e6),
                (lower, width) -> new Noise.Bounds(lower, lower + width));
        Gen<Boolean> laplace = booleans().all();
        qt().withExamples(EXAMPLES).forAll(values, boundsGen, laplace, longs().all())
                .checkAssert((v, bounds, lap, seed) -> {
                    double sens = bounds.upper() - bounds.lower();
                    Noise bounded = lap ? new Noise(Mechanism.LAPLACE, 0.5, 0, 0, bounds)
                            : new Noise(Mechanism.GAUSSIAN, 0.5, 1e-6, 0, bounds);
                    assertThat(bounded.sensitivity()).isEqualTo(sens);
                    ReleaseSpec spec = new ReleaseSpec(Form.FULL, 0, 0, 0, null, bounded, false);
                    double clamped = Math.max(bounds.lower(), Math.min(bounds.upper(), v));
                    double released = transformer.apply(Prediction.regression(v), spec, new SplittableRandom(seed))
                            .value().orElseThrow();
                    double ofClamped = transformer.apply(Prediction.regression(clamped), spec,
                            new SplittableRandom(seed)).value().orElseThrow();
                    assertThat(released).as("value %s, bounds %s", v, bounds).isEqualTo(ofClamped);
                    Noise plain = lap ? new Noise(Mechanism.LAPLACE, 0.5, 0, sens)
                            : new Noise(Mechanism.GAUSSIAN, 0.5, 1e-6, sens);
                    double unbounded = transformer.apply(Prediction.regression(clamped),
                            new ReleaseSpec(Form.FULL, 0, 0, 0, null, plain, false), new SplittableRandom(seed))
                            .value().orElseThrow();
                    assertThat(released).isEqualTo(unbounded);
                });
    }

    /**
     * A value rounded to a step, or to 2 significant digits (label only), is never released as -0.0:
     * a tiny negative value (noise around 0) that rounds to 0 is released as +0.0, which does not
     * tell its sign. Only a raw value released as it is (no rounding, no noise) keeps its own sign.
     */
    @Test
    void shouldNeverReleaseARoundedRegressionValueAsNegativeZero() {
        Gen<Double> nearZero = Generate.frequency(
                Pair.of(4, doubles().between(-1e-3, 1e-3)),
                Pair.of(2, arbitrary().pick(-0.0, 0.0, -Double.MIN_VALUE, -1e-300, -1e-12, 1e-12)),
                Pair.of(1, doubles().between(-0.5, 0.5)));
        qt().withExamples(EXAMPLES).forAll(nearZero, specs(), longs().all()).checkAssert((v, spec, seed) -> {
            double released = transformer.apply(Prediction.regression(v), spec, new SplittableRandom(seed)).value()
                    .orElseThrow();
            if (spec.round() > 0 || spec.form() == Form.LABEL_ONLY || spec.noise() != null) {
                assertThat(Double.doubleToRawLongBits(released)).as("%s released as %s", v, released)
                        .isNotEqualTo(Double.doubleToRawLongBits(-0.0));
            }
            if (spec.round() > 0 && spec.noise() == null && Math.abs(v) < spec.round() / 2) {
                assertThat(Double.doubleToRawLongBits(released)).isEqualTo(Double.doubleToRawLongBits(0.0));
            }
        });
    }

    /** No released score is -0.0, whatever the spec, also when the model gives -0.0 (which is >= 0). */
    @Test
    void shouldNeverReleaseAScoreAsNegativeZero() {
        Gen<double[]> scores = lists().of(Generate.frequency(
                Pair.of(3, doubles().between(0, 1e-3)),
                Pair.of(2, arbitrary().pick(-0.0, 0.0, Double.MIN_VALUE, 1e-300)),
                Pair.of(2, doubles().between(0, 1))))
                .ofSizeBetween(1, 12).map(l -> l.stream().mapToDouble(Double::doubleValue).toArray());
        qt().withExamples(EXAMPLES).forAll(scores, specs(), longs().all()).checkAssert((s, spec, seed) -> {
            ReleasedPrediction r = transformer.apply(Prediction.classification(Case.distinct(s).labels(), s), spec,
                    new SplittableRandom(seed));
            for (ScoredLabel x : r.scores()) {
                assertThat(Double.doubleToRawLongBits(x.score())).as("%s in %s", x, Arrays.toString(s))
                        .isNotEqualTo(Double.doubleToRawLongBits(-0.0));
            }
        });
    }
}
