package dev.veil.internal.guard;

/**
 * Orders bundle revisions naturally: each revision is cut into runs of ASCII digits and runs of other
 * characters; digit runs compare as numbers (of any length, leading zeros ignored, then the shorter
 * run first), other runs character by character; a revision that is a prefix of another comes
 * first. So {@code 2026-11-30.2 < 2026-11-30.10 < 2026-12-01.1} and {@code v9 < v10}.
 */
final class Revisions {
    /**
     * Revisions whose order means "newer": a dotted version whose first number has at most six
     * digits ({@code 3}, {@code v1.4.10}), or a date with an optional counter ({@code 2026-11-30},
     * {@code 2026-11-30.2}, {@code 20261130-1}). A git commit id or any other name has no order, and
     * no rollback can be told from it.
     */
    private static final java.util.regex.Pattern ORDERED = java.util.regex.Pattern.compile(
            "v?[0-9]{1,6}(\\.[0-9]+)*|[0-9]{4}-?(0[1-9]|1[0-2])-?(0[1-9]|[12][0-9]|3[01])([.\\-_][0-9]+)*");

    private Revisions() {}

    /** Whether a revision is of a scheme whose order means newer (see {@link #ORDERED}). */
    static boolean ordered(String revision) {
        return ORDERED.matcher(revision).matches();
    }

    static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            boolean da = isDigit(a.charAt(i));
            boolean db = isDigit(b.charAt(j));
            if (da && db) {
                int ei = run(a, i);
                int ej = run(b, j);
                int si = skipZeros(a, i, ei);
                int sj = skipZeros(b, j, ej);
                int c = Integer.compare(ei - si, ej - sj); // more significant digits: larger
                if (c == 0) {
                    c = a.substring(si, ei).compareTo(b.substring(sj, ej));
                }
                if (c == 0) {
                    c = Integer.compare(ei - i, ej - j); // 007 after 7: fewer leading zeros first
                }
                if (c != 0) {
                    return c;
                }
                i = ei;
                j = ej;
            } else {
                int c = Character.compare(a.charAt(i), b.charAt(j));
                if (c != 0) {
                    return c;
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int run(String s, int from) {
        int k = from;
        while (k < s.length() && isDigit(s.charAt(k))) {
            k++;
        }
        return k;
    }

    private static int skipZeros(String s, int from, int end) {
        int k = from;
        while (k < end - 1 && s.charAt(k) == '0') {
            k++;
        }
        return k;
    }
}
