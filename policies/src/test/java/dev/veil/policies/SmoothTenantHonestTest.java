package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.internal.monitor.SmoothDetector;
import dev.veil.policies.tools.BenignTraffic;
import dev.veil.policies.tools.FashionMnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code smooth_tenant} (the share of smooth images over a tenant's queries) does to honest
 * callers of the image-classifier bundle: their tenant-mates raise it for them, so it only degrades
 * (labels only), on their smooth queries, and never blocks.
 */
class SmoothTenantHonestTest {
    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");

    @TempDir
    Path dir;

    /**
     * A researcher of acme (allowed synthetic images, never blocked) sends 30 real test images that
     * happen to be smooth while five analysts send 40 others: acme's share goes high. An analyst who
     * then sends one smooth real image gets labels only, not a block; her next image, an hour later,
     * is answered in full.
     */
    @Test
    void aTenantsResearchersRaiseItsShareButAnHonestAnalystIsNotBlocked() {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        double[][] test = FashionMnist.testImages(Integer.MAX_VALUE);
        List<double[]> smooth = new ArrayList<>();
        List<double[]> rough = new ArrayList<>();
        for (double[] x : test) {
            (SmoothDetector.roughness(x, 28) < SmoothDetector.Config.DEFAULT.floor() ? smooth : rough).add(x);
        }
        MutableClock clock = new MutableClock(START);
        try (Guard<double[]> g = guard(PolicyBundle.load(Path.of("bundles/image-classifier")), clock, "r.jsonl")) {
            Credentials researcher = token(clock, "rhea", "researcher");
            int r = 0;
            for (int s = 0; s < 30; s++) {
                Response answer = g.predict(Request.of(researcher, smooth.get(s)));
                assertThat(answer).as("researcher's query %d", s).isInstanceOf(Response.Released.class);
                for (int k = 0; k < (s % 3 == 0 ? 1 : 2) && r < 40; k++) {
                    g.predict(Request.of(token(clock, "analyst-" + r % 5, "analyst"), rough.get(r++)));
                }
                clock.advance(Duration.ofSeconds(2));
            }
            Credentials alice = token(clock, "alice", "analyst");
            Response first = g.predict(Request.of(alice, smooth.get(40)));
            assertThat(first).isInstanceOf(Response.Released.class);
            assertThat(((Response.Released) first).degraded()).as("the tenant's share is high").isTrue();
            assertThat(((Response.Released) first).alerts()).anyMatch(a -> a.startsWith("smooth-tenant-degrade"));
            clock.advance(Duration.ofHours(1));
            Response later = g.predict(Request.of(alice, rough.get(500)));
            assertThat(later).isInstanceOf(Response.Released.class);
            assertThat(((Response.Released) later).degraded()).isFalse();
        }
    }

    /**
     * policies/README.md, "Smooth probes": for a service whose inputs may be blurred, leave out
     * {@code smooth-block} and {@code smooth-tenant-degrade}. Ten analysts of one tenant sending
     * test images blurred with a Gaussian of sigma 0.5 pixels (about 40% of them smooth) are then
     * neither refused nor given labels only.
     */
    @Test
    void blurredInputsPassOnceTheReadmesTwoRulesAreLeftOut() throws IOException {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        double[][] test = FashionMnist.testImages(100);
        Path copy = dir.resolve("blurred");
        MonitoringTests.copyBundle(Path.of("bundles/image-classifier"), copy);
        Path policy = copy.resolve("image-classifier.veil.yaml");
        String yaml = ImageClassifierMonitoringTest.withoutRules(ImageClassifierMonitoringTest.withoutRules(
                Files.readString(policy), "smooth-block"), "smooth-tenant-degrade");
        assertThat(yaml).doesNotContain("id: smooth-block").doesNotContain("id: smooth-tenant-");
        Files.writeString(policy, yaml);
        MutableClock clock = new MutableClock(START);
        int smooth = 0;
        try (Guard<double[]> g = guard(PolicyBundle.load(copy), clock, "b.jsonl")) {
            for (int q = 0; q < 100; q++) {
                double[] x = SmoothImagesTest.gaussianBlur(test[q], 0.5);
                smooth += SmoothDetector.roughness(x, 28) < SmoothDetector.Config.DEFAULT.floor() ? 1 : 0;
                Response r = g.predict(Request.of(token(clock, "blurry-" + q % 10, "analyst"), x));
                assertThat(r).as("query %d", q).isInstanceOf(Response.Released.class);
                assertThat(((Response.Released) r).degraded()).as("query %d", q).isFalse();
                clock.advance(Duration.ofSeconds(3));
            }
        }
        assertThat(smooth).as("blurred images that are smooth").isGreaterThan(25);
    }

    private Guard<double[]> guard(PolicyBundle b, MutableClock clock, String audit) {
        SoftmaxRegression m = BenignTraffic.model();
        Model<double[]> model = Model.ofVector(ModelInfo.of("fashion-softmax", "test-1",
                START.minus(Duration.ofDays(10))), m::predict);
        return Guard.builder(model).policy(b).audit(AuditLog.jsonLines(dir.resolve(audit))).clock(clock).build();
    }

    private static Credentials token(MutableClock clock, String subject, String role) {
        return Credentials.bearer(DemoTokens.sign(DemoTokens.privateKey(), DemoTokens.ISSUER, subject,
                List.of(role), "acme", Map.of(), clock.instant(), Duration.ofHours(3)));
    }
}
