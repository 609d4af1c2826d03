package dev.veil.benchmarks;

import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.internal.validation.TrainingStats;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Bytes allocated on the request thread per call, for the direct model call and for
 * {@link GuardOverheadBenchmark}'s Guards (same model, pool, bundles and audit log). Not a JMH
 * benchmark: JMH's {@code -prof gc} counts every thread, and the audit writer's allocations (about as
 * much again) would hide the request path's. Unlike time, this figure does not depend on what else the
 * machine is doing. Run:
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar dev.veil.benchmarks.RequestAllocation [calls]
 * }</pre>
 */
public final class RequestAllocation {
    private RequestAllocation() {}

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().getId();
        Fixture.SoftmaxModel model = new Fixture.SoftmaxModel();
        double[][] pool = Fixture.pool();
        ApiKeys.Issued key = Fixture.issueKey();
        TrainingStats stats = Fixture.stats(pool);
        double maxRmsZ = Fixture.maxRmsZ(stats, pool);
        Path dir = Files.createTempDirectory("veil-alloc");
        try {
            long sink = 0;
            for (int round = 0; round < 2; round++) { // the first round warms up
                long before = threads.getThreadAllocatedBytes(me);
                for (int i = 0; i < calls; i++) {
                    sink += model.predict(pool[i & (Fixture.POOL - 1)]).topIndex();
                }
                long after = threads.getThreadAllocatedBytes(me);
                if (round == 1) {
                    System.out.printf(Locale.ROOT, "%-32s %8.1f B/call%n", "direct", (after - before) / (double) calls);
                }
            }
            for (boolean distribution : new boolean[] {true, false}) {
                for (Fixture.InputLogging logging : Fixture.InputLogging.values()) {
                    String name = (distribution ? "guarded" : "guardedNoDistribution")
                            + (logging == Fixture.InputLogging.DIGEST ? "" : "InputMask");
                    Path bundleDir = Fixture.writeBundle(dir.resolve(name + "-bundle"),
                            Fixture.policy(distribution, maxRmsZ, logging), key, stats);
                    Credentials credentials = Credentials.apiKey(key.plaintext());
                    try (Guard<double[]> guard = Guard.builder(Fixture.model(model))
                            .policy(PolicyBundle.load(bundleDir))
                            .audit(AuditLog.jsonLines(dir.resolve(name + ".jsonl")).async(
                                    AuditLog.DEFAULT_QUEUE_CAPACITY, AuditLog.DEFAULT_MAX_WAIT))
                            .build()) {
                        for (int round = 0; round < 2; round++) {
                            int refused = 0;
                            long before = threads.getThreadAllocatedBytes(me);
                            for (int i = 0; i < calls; i++) {
                                Response r = guard.predict(Request.of(credentials, pool[i & (Fixture.POOL - 1)]));
                                refused += r.allowed() ? 0 : 1;
                            }
                            long after = threads.getThreadAllocatedBytes(me);
                            if (round == 1) {
                                // A refusal (the audit writer fell behind for longer than maxWait on a busy
                                // machine) takes another path: the figure then mixes the two.
                                System.out.printf(Locale.ROOT, "%-32s %8.1f B/call%s%n", name,
                                        (after - before) / (double) calls,
                                        refused == 0 ? "" : " (" + refused + " calls refused)");
                            }
                        }
                    }
                }
            }
            if (sink == 42) {
                System.out.println();
            }
        } finally {
            Fixture.deleteTree(dir);
        }
    }
}
