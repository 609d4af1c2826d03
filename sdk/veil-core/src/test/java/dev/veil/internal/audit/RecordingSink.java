package dev.veil.internal.audit;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real in-memory sink that keeps what each write held and counts the forces; its first write can
 * wait at a gate, like a stalled disk, so that records gather behind it.
 */
final class RecordingSink implements Sink {
    final CountDownLatch firstWriteEntered = new CountDownLatch(1);
    final CountDownLatch gate;
    final AtomicInteger forces = new AtomicInteger();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final List<byte[]> writes = new ArrayList<>();

    /** @param gated whether the first write waits until {@link #gate} opens */
    RecordingSink(boolean gated) {
        this.gate = new CountDownLatch(gated ? 1 : 0);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        firstWriteEntered.countDown();
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the gate stayed shut");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        synchronized (this) {
            out.write(b, off, len);
            if (len > 0) {
                writes.add(java.util.Arrays.copyOfRange(b, off, off + len));
            }
        }
    }

    @Override
    public void flush() {}

    @Override
    public void force() {
        forces.incrementAndGet();
    }

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public void close() {}

    synchronized byte[] bytes() {
        return out.toByteArray();
    }

    /** What each write that held bytes held, in order. */
    synchronized List<byte[]> writes() {
        return List.copyOf(writes);
    }
}
