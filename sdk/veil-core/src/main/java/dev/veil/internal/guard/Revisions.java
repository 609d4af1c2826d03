package dev.veil.internal.guard;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Orders bundle revisions, where they can be ordered. A revision is read as a list of tokens:
 * numbers (runs of ASCII digits; a run that starts with a valid date {@code yyyymmdd} counts as
 * the year, month, day and what follows, so {@code 20261130}, {@code 2026113001} and
 * {@code 2026-11-30} read alike as far as they go) and words (runs of letters, compared without
 * case); separators only separate, a leading {@code v} before a digit is dropped, and semver build
 * metadata (from {@code +} on) is ignored. Two revisions compare token by token, numbers as
 * numbers and words as text; a number against a word at the first difference means different
 * schemes: no order. When one is the other plus more tokens, the longer is newer
 * ({@code 2026-11-30.1} after {@code 2026-11-30}), unless its next token is a pre-release word
 * (alpha, beta, rc, pre, dev, snapshot: {@code 1.4.10-rc1} before {@code 1.4.10}); any other word
 * there ({@code -hotfix}) gives no order. A revision has no order at all when it looks like a
 * commit id (7 to 40 hexadecimal digits with a letter; or 7 or more digits alone that do not start
 * with a date) or has no number.
 */
public final class Revisions {
    private static final Pattern COMMIT_ID = Pattern.compile("(?i)[0-9a-f]{7,40}");

    private Revisions() {}

    /**
     * The order of two revisions: negative when {@code a} is older, positive when newer, 0 when
     * they read alike, null when they cannot be ordered (a commit id, no number, different schemes).
     */
    static Integer compare(String a, String b) {
        List<Object> ta = tokens(a);
        List<Object> tb = tokens(b);
        if (ta == null || tb == null) {
            return null;
        }
        int n = Math.min(ta.size(), tb.size());
        for (int i = 0; i < n; i++) {
            Object x = ta.get(i);
            Object y = tb.get(i);
            if (x instanceof DateLike dx && y instanceof DateLike dy && dx.digits() != dy.digits()) {
                return null; // 1.0.202611301530 against 1.0.20261201: dates of two lengths, or two numbers?
            }
            x = x instanceof DateLike d ? d.value() : x;
            y = y instanceof DateLike d ? d.value() : y;
            if (x instanceof BigInteger bx && y instanceof BigInteger by) {
                int c = bx.compareTo(by);
                if (c != 0) {
                    return c;
                }
            } else if (x instanceof String sx && y instanceof String sy) {
                int c = sx.compareTo(sy);
                if (c != 0) {
                    return c;
                }
            } else {
                return null;
            }
        }
        if (ta.size() == tb.size()) {
            return 0;
        }
        boolean aLonger = ta.size() > tb.size();
        Object next = aLonger ? ta.get(n) : tb.get(n);
        int longerIsNewer;
        if (next instanceof String word) {
            if (!PRE_RELEASE.contains(word)) {
                return null; // 1.4.9-hotfix against 1.4.9: newer or older, a word cannot say
            }
            longerIsNewer = -1; // a pre-release of the shorter
        } else {
            longerIsNewer = 1;
        }
        return aLonger ? longerIsNewer : -longerIsNewer;
    }

    private static final java.util.Set<String> PRE_RELEASE = java.util.Set.of("alpha", "beta", "rc", "pre", "dev",
            "snapshot");

    /** Whether a revision can be ordered at all (a number in it, not a commit id). */
    public static boolean ordered(String revision) {
        return tokens(revision) != null;
    }

    private static List<Object> tokens(String revision) {
        int plus = revision.indexOf('+');
        String r = plus >= 0 ? revision.substring(0, plus) : revision; // build metadata has no order
        if (COMMIT_ID.matcher(r).matches()
                && (r.chars().anyMatch(Character::isLetter) || r.length() >= 7 && dateAt(r) < 0)) {
            return null;
        }
        r = r.length() > 1 && (r.charAt(0) == 'v' || r.charAt(0) == 'V') && isDigit(r.charAt(1)) ? r.substring(1) : r;
        List<Object> out = new ArrayList<>();
        boolean number = false;
        int i = 0;
        while (i < r.length()) {
            char c = r.charAt(i);
            int j = i;
            if (isDigit(c)) {
                while (j < r.length() && isDigit(r.charAt(j))) {
                    j++;
                }
                addNumber(r.substring(i, j), out, !number);
                number = true;
            } else if (Character.isLetter(c)) {
                while (j < r.length() && Character.isLetter(r.charAt(j)) && !isDigit(r.charAt(j))) {
                    j++;
                }
                out.add(r.substring(i, j).toLowerCase(Locale.ROOT));
            } else {
                j = i + 1;
            }
            i = j;
        }
        return number ? out : null;
    }

    /**
     * A later run of 8 or more digits that starts like a date: compared as a number, but two of
     * different lengths have no order (a date with and without its time, or plain numbers: which
     * is newer cannot be told).
     */
    private record DateLike(BigInteger value, int digits) {}

    /**
     * Adds a run of digits: as year, month, day (and the rest) when it is the revision's first number
     * and starts with a date ({@code 20261130-1} against {@code 2026-11-30.9}); a later run is a plain
     * number ({@code 1.0.10000105} is newer than {@code 1.0.9999999}, not a date of year 1000), or
     * {@link DateLike} when it starts like one.
     */
    private static void addNumber(String digits, List<Object> out, boolean first) {
        if (dateAt(digits) == 0) {
            if (!first) {
                out.add(new DateLike(new BigInteger(digits), digits.length()));
                return;
            }
            out.add(new BigInteger(digits.substring(0, 4)));
            out.add(new BigInteger(digits.substring(4, 6)));
            out.add(new BigInteger(digits.substring(6, 8)));
            if (digits.length() > 8) {
                out.add(new BigInteger(digits.substring(8))); // yyyymmddNN, yyyymmddHHMM
            }
            return;
        }
        out.add(new BigInteger(digits));
    }

    /** 0 when {@code s} is 8 or more digits starting with a valid date {@code yyyymmdd}, else -1. */
    private static int dateAt(String s) {
        if (s.length() < 8) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isDigit(s.charAt(i))) {
                return -1;
            }
        }
        int month = Integer.parseInt(s.substring(4, 6));
        int day = Integer.parseInt(s.substring(6, 8));
        return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? 0 : -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
