package dev.veil.internal.guard;

import java.util.concurrent.ThreadLocalRandom;

/** Random version-4 UUIDs as decision ids (OPA's decision log uses the same form), cheaply. */
final class DecisionIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private DecisionIds() {}

    static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
        long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        char[] c = new char[36];
        int p = 0;
        for (int i = 15; i >= 0; i--) {
            c[p++] = HEX[(int) (hi >>> (i * 4)) & 0xf];
            if (p == 8 || p == 13 || p == 18) {
                c[p++] = '-';
            }
        }
        for (int i = 15; i >= 0; i--) {
            c[p++] = HEX[(int) (lo >>> (i * 4)) & 0xf];
            if (p == 23) {
                c[p++] = '-';
            }
        }
        return new String(c);
    }
}
