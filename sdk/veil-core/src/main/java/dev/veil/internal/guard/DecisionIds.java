package dev.veil.internal.guard;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Random version-4 UUIDs as decision ids (OPA's decision log uses the same form), cheaply. */
final class DecisionIds {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    private DecisionIds() {}

    static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
        long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return format(hi, lo);
    }

    /** {@code new UUID(hi, lo).toString()}, faster. */
    static String format(long hi, long lo) {
        // Bytes, not chars: a Latin-1 String is made from them by one copy (from chars it would be
        // scanned and compressed first), and no branch per digit for the dashes.
        byte[] c = new byte[36];
        hex(hi >>> 32, c, 0, 8);
        c[8] = '-';
        hex(hi >>> 16, c, 9, 4);
        c[13] = '-';
        hex(hi, c, 14, 4);
        c[18] = '-';
        hex(lo >>> 48, c, 19, 4);
        c[23] = '-';
        hex(lo, c, 24, 12);
        return new String(c, StandardCharsets.ISO_8859_1);
    }

    /** Writes the low {@code digits} hex digits of {@code v} at {@code at}, most significant first. */
    private static void hex(long v, byte[] out, int at, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[at + i] = HEX[(int) v & 0xf];
            v >>>= 4;
        }
    }
}
