package dev.veil.internal.guard;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Orders bundle revisions, where they can be ordered. A revision is read as a list of tokens:
 * numbers (runs of ASCII digits; an eight-digit run that is a valid date {@code yyyymmdd} counts
 * as three numbers, so {@code 20261130} and {@code 2026-11-30} read alike) and words (runs of
 * letters, compared without case); separators ({@code . - _ : T /} and the like) only separate,
 * and a leading {@code v} before a digit is dropped. Two revisions compare token by token: numbers
 * as numbers, words as text. Where one has a number and the other a word at the first difference,
 * they are of different schemes and have no order. When one is the other plus more tokens, the
 * longer is newer ({@code 2026-11-30.1} after {@code 2026-11-30}), unless its next token is a word
 * (a pre-release: {@code 1.4.10-rc1} before {@code 1.4.10}). A revision that looks like a commit
 * id (7 to 40 hexadecimal digits with a letter among them) or has no number has no order.
 */
final class Revisions {
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
        int longerIsNewer = next instanceof String ? -1 : 1; // a word next: a pre-release of the shorter
        return aLonger ? longerIsNewer : -longerIsNewer;
    }

    /** Whether a revision can be ordered at all (a number in it, not a commit id). */
    static boolean ordered(String revision) {
        return tokens(revision) != null;
    }

    private static List<Object> tokens(String revision) {
        if (COMMIT_ID.matcher(revision).matches() && revision.chars().anyMatch(Character::isLetter)) {
            return null;
        }
        String r = revision.length() > 1 && (revision.charAt(0) == 'v' || revision.charAt(0) == 'V')
                && isDigit(revision.charAt(1)) ? revision.substring(1) : revision;
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
                addNumber(r.substring(i, j), out);
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

    private static void addNumber(String digits, List<Object> out) {
        if (digits.length() == 8) {
            int month = Integer.parseInt(digits.substring(4, 6));
            int day = Integer.parseInt(digits.substring(6, 8));
            if (month >= 1 && month <= 12 && day >= 1 && day <= 31) {
                out.add(new BigInteger(digits.substring(0, 4)));
                out.add(BigInteger.valueOf(month));
                out.add(BigInteger.valueOf(day));
                return;
            }
        }
        out.add(new BigInteger(digits));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
