package dev.veil.examples.inversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.assertj.core.data.Offset.offset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inversion demo at a smaller size (3 target classes, 1,000 queries each, 50 honest callers): its
 * claims hold, its figures are the ones it claims, its checks reject a result in which Veil did not
 * stop an attack it claims to stop, and the attacker it does not stop (one-sided prior NES) is shown
 * as such, not hidden. Skipped, saying why, when Fashion-MNIST is not installed (scripts/test.sh
 * installs it).
 */
class InversionDemoTest {
    static InversionDemo.Result result;
    static List<String> printed = new ArrayList<>();

    @TempDir
    static Path out;

    @BeforeAll
    static void runTheDemo() {
        assumeThat(Files.isDirectory(FashionMnist.DEBIAN_DIR))
                .as("Fashion-MNIST is not installed at " + FashionMnist.DEBIAN_DIR
                        + "; install the Debian package dataset-fashion-mnist (scripts/test.sh does) to run this test")
                .isTrue();
        InversionDemo.Settings s = InversionDemo.Settings.parse(new String[] {
            "--bundle", "../../policies/bundles/image-classifier",
            "--signing-key", "../../policies/src/test/resources/demo-jwt/image-classifier-es256.private.jwk.json",
            "--out", out.toString(), "--targets", "3", "--queries", "1000", "--honest-callers", "50",
            "--images-per-caller", "10"});
        result = InversionDemo.run(s, printed::add);
    }

    static final String PIXEL = "pixel NES";
    static final String PRIOR = "prior NES";
    static final String ONE_SIDED = InversionDemo.ONE_SIDED;

    /** The row of {@code attacker} against {@code against}, sending as plainly as it can. */
    static InversionDemo.Row row(String attacker, InversionDemo.Against against) {
        return result.rows().stream().filter(r -> r.attacker().equals(attacker) && r.against() == against
                && r.variant() == InversionDemo.Variant.PLAIN).findFirst().orElseThrow();
    }

    InversionDemo.Row variant(String name) {
        return result.rows().stream().filter(r -> r.variant().name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void everyClaimHolds() {
        assertThat(InversionDemo.check(result)).isEmpty();
        assertThat(printed).anyMatch(l -> l.matches("prior NES +Veil .*"))
                .anyMatch(l -> l.matches("prior NES, one-sided, sigma 1 +bare model .*"))
                .anyMatch(l -> l.matches("prior NES, one-sided, sigma 1 +no monitoring .*"))
                .anyMatch(l -> l.matches("prior NES, one-sided, sigma 1 +Veil .*"));
        assertThat(out.resolve("reconstructions.png")).isNotEmptyFile();
    }

    double start() {
        return InversionDemo.startSimilarity(result, 3);
    }

    @Test
    void onTheBareModelBothAttackersWinTheModelAndThePriorOneShowsTheClass() {
        for (String attacker : List.of(PIXEL, PRIOR)) {
            InversionDemo.Row bare = row(attacker, InversionDemo.Against.BARE);
            assertThat(InversionDemo.meanConfidence(result, bare)).as(attacker).isGreaterThan(0.9);
        }
        // the pixel attacker's images fool the model, not the judge; the prior attacker's show the class
        assertThat(InversionDemo.recognised(result, row(PRIOR, InversionDemo.Against.BARE))).isEqualTo(3);
    }

    @Test
    void withoutMonitoringOutputMinimisationAloneDoesNotStopThePriorAttacker() {
        InversionDemo.Row plain = row(PRIOR, InversionDemo.Against.NO_MONITORING);
        assertThat(plain.attacks()).allSatisfy(a -> assertThat(a.answered()).isEqualTo(1000));
        assertThat(InversionDemo.recognised(result, plain)).isEqualTo(3);
        assertThat(InversionDemo.meanSimilarity(result, plain)).isGreaterThan(start() + 0.1);
    }

    @Test
    void behindVeilTheAttackersAreBlockedEarlyAndGetAlmostNoAnswers() {
        for (String attacker : List.of(PIXEL, PRIOR)) {
            InversionDemo.Row veil = row(attacker, InversionDemo.Against.VEIL);
            int answered = veil.attacks().stream().mapToInt(InversionDemo.Attack::answered).sum();
            assertThat(answered).as(attacker).isLessThan(100); // of 3,000 sent
            assertThat(veil.attacks()).allSatisfy(a -> assertThat(a.firstBlock()).isBetween(0, 49));
            assertThat(InversionDemo.meanSimilarity(result, veil)).as(attacker).isLessThan(start() + 0.05);
        }
    }

    @Test
    void aPatientAttackerIsStillStoppedByTheDayLongBlocks() {
        InversionDemo.Row patient = variant("every 20 s");
        assertThat(patient.attacks().stream().mapToInt(InversionDemo.Attack::answered).sum()).isLessThan(100);
        assertThat(InversionDemo.recognised(result, patient)).isLessThanOrEqualTo(1);
    }

    @Test
    void attackersSpreadOverAccountsAndSendingDecoysAreStoppedToo() {
        for (String name : List.of("every 20 s, 5 accounts", "every 20 s, 5 accounts, decoys")) {
            InversionDemo.Row spread = variant(name);
            assertThat(spread.attacks()).as(name).allSatisfy(a -> assertThat(a.sent()).isEqualTo(1000));
            assertThat(spread.attacks().stream().mapToInt(InversionDemo.Attack::answered).sum()).as(name)
                    .isLessThan(300); // of 3,000 sent
            assertThat(InversionDemo.recognised(result, spread)).as(name).isLessThanOrEqualTo(1);
        }
        assertThat(printed).anyMatch(l -> l.startsWith("prior NES, every 20 s, 5 accounts, decoys"));
    }

    @Test
    void honestUsersAreNotFlaggedAndGetLabelsAsAccurateAsTheModels() {
        InversionDemo.Honest h = result.honest();
        assertThat(h.queries()).isEqualTo(500);
        assertThat(h.flaggedCallers()).isZero();
        assertThat(h.deniedOtherwise()).isZero();
        // the released labels are the model's: right as often as the model on the images released
        assertThat(h.releasedRight()).isBetween(h.bareRight() - h.refused(), h.bareRight());
    }

    @Test
    void theAuditLogsVerify() {
        assertThat(result.audits()).hasSize(12).allMatch(a -> a.contains(": ok "));
    }

    @Test
    void theChecksRejectAResultInWhichVeilDidNotStopTheAttack() {
        List<InversionDemo.Row> rows = new ArrayList<>();
        for (InversionDemo.Row r : result.rows()) {
            // what the bare model gave, as if Veil had answered it (and never flagged it)
            InversionDemo.Row bare = row(r.attacker(), InversionDemo.Against.BARE);
            rows.add(r.against() == InversionDemo.Against.VEIL
                    ? new InversionDemo.Row(r.attacker(), r.against(), r.variant(), bare.attacks()) : r);
        }
        InversionDemo.Result unstopped = new InversionDemo.Result(result.targetAccuracy(), result.judgeAccuracy(), rows,
                result.honest(), result.classMeans(), result.start(), result.target(), result.judge(), result.audits());
        assertThat(InversionDemo.check(unstopped))
                .anyMatch(b -> b.startsWith("prior NES behind Veil should recover at most 30%"))
                .anyMatch(b -> b.startsWith("prior NES, every 20 s, 5 accounts, decoys behind Veil should recover"))
                .anyMatch(b -> b.contains("should not raise the model's confidence"))
                .anyMatch(b -> b.contains("not within 50"))
                .anyMatch(b -> b.startsWith(ONE_SIDED + " behind Veil should recover at most 30%"))
                .noneMatch(b -> b.startsWith(InversionDemo.ADAPTED)); // the demo does not claim Veil stops it
    }

    @Test
    void theOneSidedAttackIsRealOnTheBareModelAndWithoutMonitoring() {
        for (InversionDemo.Against against : List.of(InversionDemo.Against.BARE, InversionDemo.Against.NO_MONITORING)) {
            InversionDemo.Row row = row(ONE_SIDED, against);
            assertThat(InversionDemo.recognised(result, row)).as(against.title).isEqualTo(3);
            assertThat(InversionDemo.meanConfidence(result, row)).as(against.title).isGreaterThan(0.9);
        }
    }

    /**
     * The one-sided attacker sends no antithetic pairs, and its probes are as far apart as real images
     * of one class; drawn from 40 principal components, they are smoother than real images, and the
     * smooth detector blocks each account within a few dozen answers (it got 8 of 10 classes before).
     */
    @Test
    void theOneSidedAttackerIsBlockedForItsSmoothProbes() {
        InversionDemo.Row veil = row(ONE_SIDED, InversionDemo.Against.VEIL);
        assertThat(InversionDemo.stopFailures(result, veil)).isEmpty();
        assertThat(veil.attacks()).allSatisfy(a -> {
            assertThat(a.blockRule()).isEqualTo("smooth-block");
            assertThat(a.answeredBeforeBlock()).isBetween(1, 30);
        });
        assertThat(InversionDemo.recognised(result, veil)).isLessThanOrEqualTo(1);
    }

    /**
     * The one-sided attacker that adds a fixed checker of +-0.1 to its probes is as rough as real
     * images: smooth does not see it, nothing stops it early, and the demo says so.
     */
    @Test
    void theAttackerAdaptedToSmoothIsShownNotStopped() {
        InversionDemo.Row veil = row(InversionDemo.ADAPTED, InversionDemo.Against.VEIL);
        assertThat(InversionDemo.stopFailures(result, veil)).isNotEmpty();
        assertThat(veil.attacks()).noneMatch(a -> a.blockRule().equals("smooth-block"));
        assertThat(InversionDemo.recognised(result, row(InversionDemo.ADAPTED, InversionDemo.Against.BARE)))
                .as("the pattern costs the attack nothing").isEqualTo(3);
        assertThat(printed).filteredOn(l -> l.startsWith("NOT STOPPED: "))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("NOT STOPPED: " + InversionDemo.ADAPTED + " behind Veil: " + InversionDemo.recognised(result,
                        veil) + " of 3 classes recognised, ");
    }

    @Test
    void theChecksRejectAOneSidedAttackThatDoesNotWorkEvenOnTheBareModel() {
        // a one-sided attacker that got nothing anywhere (its Veil row's reconstructions, the start, everywhere)
        // would make its Veil row prove nothing: the checks say so
        InversionDemo.Row veil = row(ONE_SIDED, InversionDemo.Against.VEIL);
        InversionDemo.Row stuck = row(PRIOR, InversionDemo.Against.VEIL);
        List<InversionDemo.Row> rows = new ArrayList<>();
        for (InversionDemo.Row r : result.rows()) {
            rows.add(r.attacker().equals(ONE_SIDED) && r != veil
                    ? new InversionDemo.Row(r.attacker(), r.against(), r.variant(), stuck.attacks()) : r);
        }
        InversionDemo.Result failed = new InversionDemo.Result(result.targetAccuracy(), result.judgeAccuracy(), rows,
                result.honest(), result.classMeans(), result.start(), result.target(), result.judge(), result.audits());
        assertThat(InversionDemo.check(failed))
                .anyMatch(b -> b.startsWith(ONE_SIDED + " should recover most classes (at least 70%) against the bare"))
                .anyMatch(b -> b.startsWith(ONE_SIDED + " should recover most classes (at least 70%) against the no"));
    }

    @Test
    void theOneSidedAttackerSendsNoAntitheticPairsAndStepsAfterTwentyProbes() {
        Pca basis = narrowBasis();
        double[] start = basis.image(new double[basis.size()]);
        Attacker pairs = Attacker.priorNes(basis, 1.0, 0.05, 3);
        Attacker oneSided = Attacker.priorNesOneSided(basis, 1.0, 0.05, 3);
        for (int k = 0; k < 10; k++) {
            double[] a = pairs.next();
            pairs.answer(0.5);
            double[] b = pairs.next();
            pairs.answer(0.4);
            assertThat(mirrored(a, b, start)).as("pair %d of priorNes", k).isTrue();
            double[] c = oneSided.next();
            assertThat(oneSided.next()).as("the same probe until it is answered").isSameAs(c);
            oneSided.answer(0.1 + 0.04 * k);
            double[] d = oneSided.next();
            assertThat(mirrored(c, d, start)).as("probes %d and %d of priorNesOneSided", 2 * k, 2 * k + 1).isFalse();
            assertThat(oneSided.reconstruction()).as("before its 20th answer").isEqualTo(start);
            oneSided.answer(0.12 + 0.04 * k);
        }
        assertThat(oneSided.reconstruction()).as("after its 20th answer").isNotEqualTo(start);
    }

    /**
     * A probe refused as unlike the training images would be refused again: the attacker drops it
     * (and a pair's answered first half) and goes on in a fresh direction, instead of sending it
     * until its budget runs out; its walk is not moved by the refusal.
     */
    @Test
    void aProbeRefusedAsUnlikeTheTrainingImagesIsDroppedForAFreshDirection() {
        Pca basis = narrowBasis();
        double[] start = basis.image(new double[basis.size()]);
        Attacker pairs = Attacker.priorNes(basis, 1.0, 0.05, 3);
        double[] a = pairs.next();
        pairs.refused();
        double[] b = pairs.next();
        assertThat(b).as("a fresh probe, not the refused one").isNotEqualTo(a);
        pairs.answer(0.5);
        double[] mirror = pairs.next();
        assertThat(mirrored(b, mirror, start)).as("the new probe's mirror").isTrue();
        pairs.refused();
        double[] c = pairs.next();
        assertThat(mirrored(b, c, start)).as("a refused mirror drops the pair").isFalse();
        assertThat(c).isNotEqualTo(mirror);
        pairs.answer(0.5);
        assertThat(mirrored(c, pairs.next(), start)).as("the next pair starts with it").isTrue();
        assertThat(pairs.reconstruction()).as("no step from a refusal").isEqualTo(start);

        Attacker oneSided = Attacker.priorNesOneSided(basis, 1.0, 0.05, 3);
        double[] d = oneSided.next();
        oneSided.refused();
        assertThat(oneSided.next()).isNotEqualTo(d);
    }

    /** A basis of 3 components learned from images with little spread, so that no probe of sigma 1 is clipped to [0, 1]. */
    static Pca narrowBasis() {
        SplittableRandom random = new SplittableRandom(5);
        double[][] images = new double[50][16];
        for (double[] image : images) {
            for (int j = 0; j < image.length; j++) {
                image[j] = 0.5 + 0.01 * Attacker.gaussian(random);
            }
        }
        return Pca.learn(images, 0, images.length, 3, 7);
    }

    /** Whether {@code a} and {@code b} lie symmetrically around {@code centre}: an antithetic pair. */
    static boolean mirrored(double[] a, double[] b, double[] centre) {
        for (int j = 0; j < a.length; j++) {
            if (Math.abs(a[j] + b[j] - 2 * centre[j]) > 1e-12) {
                return false;
            }
        }
        return true;
    }

    @Test
    void correlationIsOneForTheSameImageMinusOneForItsNegativeAndZeroForAFlatOne() {
        double[] a = {0.1, 0.5, 0.9};
        assertThat(InversionDemo.correlation(a, a)).isCloseTo(1.0, offset(1e-12));
        assertThat(InversionDemo.correlation(a, new double[] {0.9, 0.5, 0.1})).isCloseTo(-1.0, offset(1e-12));
        assertThat(InversionDemo.correlation(a, new double[] {0.3, 0.3, 0.3})).isZero();
    }

    @Test
    void badArgumentsAreRefusedSayingWhatIsAccepted() {
        assertThatThrownBy(() -> InversionDemo.Settings.parse(new String[] {"--queries", "ten"}))
                .hasMessage("--queries must be a whole number from 100 to 5000, got 'ten'");
        assertThatThrownBy(() -> InversionDemo.Settings.parse(new String[] {"--target", "3"}))
                .hasMessageStartingWith("unknown option --target; options: --bundle");
        assertThatThrownBy(() -> InversionDemo.Settings.parse(new String[] {"--out"}))
                .hasMessageStartingWith("expected --option value pairs");
        assertThatThrownBy(() -> InversionDemo.Settings.parse(new String[] {"--honest-callers", "1000",
            "--images-per-caller", "50"})).hasMessageContaining("at most 5000");
    }

    @Test
    void aMissingDataSetSaysHowToInstallIt(@TempDir Path empty) {
        assertThatThrownBy(() -> FashionMnist.load(empty)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("apt-get install dataset-fashion-mnist");
    }
}
