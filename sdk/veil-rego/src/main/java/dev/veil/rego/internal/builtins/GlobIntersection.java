package dev.veil.rego.internal.builtins;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code regex.globs_match}: whether two "globs" in the syntax of OPA's glob-intersection library (characters,
 * {@code .} for any character, {@code [a-z0-9]} sets, each optionally followed by {@code *} or {@code +}, and
 * {@code \} escapes) match a common string. Decided exactly by exploring the product of the two token
 * automata; syntax errors carry the library's wording.
 */
final class GlobIntersection {
    private GlobIntersection() {
    }

    private static final int NONE = 0;
    private static final int STAR = 2;

    /** A token: dot when {@code set} is null, else a set of code points; with a flag. */
    private record Token(Set<Integer> set, int flag) {
        boolean dot() {
            return set == null;
        }
    }

    static boolean nonEmpty(String name, String lhs, String rhs) {
        List<Token> g1 = tokenize(name, lhs);
        List<Token> g2 = tokenize(name, rhs);
        // state (i, j): the next tokens to consume; a starred/plussed token can repeat.
        int w = g2.size() + 1;
        BitSet seen = new BitSet((g1.size() + 1) * w);
        Deque<int[]> work = new ArrayDeque<>();
        // expand the start state through optional (star) tokens
        push(work, seen, 0, 0, w, g1, g2);
        while (!work.isEmpty()) {
            int[] s = work.pop();
            int i = s[0];
            int j = s[1];
            if (i == g1.size() && j == g2.size()) {
                return true;
            }
            if (i == g1.size() || j == g2.size()) {
                continue;
            }
            Token a = g1.get(i);
            Token b = g2.get(j);
            if (!overlap(a, b)) {
                continue;
            }
            // consume one character with both tokens; each token either stays (if repeatable) or advances
            boolean aRepeat = a.flag() != NONE;
            boolean bRepeat = b.flag() != NONE;
            push(work, seen, i + 1, j + 1, w, g1, g2);
            if (aRepeat) {
                push(work, seen, i, j + 1, w, g1, g2);
            }
            if (bRepeat) {
                push(work, seen, i + 1, j, w, g1, g2);
            }
            if (aRepeat && bRepeat) {
                push(work, seen, i, j, w, g1, g2);
            }
        }
        return false;
    }

    /** Adds (i, j) and every state reachable by skipping starred tokens (which may match nothing). */
    private static void push(Deque<int[]> work, BitSet seen, int i, int j, int w, List<Token> g1, List<Token> g2) {
        if (seen.get(i * w + j)) {
            return;
        }
        seen.set(i * w + j);
        work.push(new int[] {i, j});
        if (i < g1.size() && g1.get(i).flag() == STAR) {
            push(work, seen, i + 1, j, w, g1, g2);
        }
        if (j < g2.size() && g2.get(j).flag() == STAR) {
            push(work, seen, i, j + 1, w, g1, g2);
        }
    }

    private static boolean overlap(Token a, Token b) {
        if (a.dot() || b.dot()) {
            return a.dot() ? b.dot() || !b.set().isEmpty() : !a.set().isEmpty();
        }
        for (int r : a.set()) {
            if (b.set().contains(r)) {
                return true;
            }
        }
        return false;
    }

    private static BuiltinError invalid(String name, String input, int pos, String message) {
        return new BuiltinError(name, "input:" + input + ", pos:" + pos + ", " + message
                + ": the input provided is invalid");
    }

    private static List<Token> tokenize(String name, String input) {
        int[] runes = input.codePoints().toArray();
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < runes.length) {
            int r = runes[i];
            boolean escaped = false;
            if (r == '\\') {
                if (i == runes.length - 1) {
                    throw invalid(name, input, i, "input ends with a \\ (escape) character");
                }
                r = runes[i + 1];
                escaped = true;
                i += 2;
            } else {
                i++;
            }
            Token t;
            if (!escaped && r == '.') {
                t = new Token(null, NONE);
            } else if (!escaped && r == ']') {
                throw invalid(name, input, i, "set-close ']' with no preceding '['");
            } else if (!escaped && r == '[') {
                Set<Integer> set = new HashSet<>();
                boolean complete = false;
                boolean prevExists = false;
                int prev = 0;
                while (i < runes.length) {
                    int c = runes[i];
                    boolean esc = false;
                    if (c == '\\') {
                        if (i == runes.length - 1) {
                            throw invalid(name, input, i, "input ends with a \\ (escape) character");
                        }
                        c = runes[i + 1];
                        esc = true;
                        i += 2;
                    } else {
                        i++;
                    }
                    if (!esc && c == ']') {
                        complete = true;
                        break;
                    }
                    if (!esc && c == '-') {
                        if (!prevExists) {
                            throw invalid(name, input, i, "range character '-' must be preceded by a Unicode character");
                        }
                        if (i >= runes.length - 1) {
                            throw invalid(name, input, i, "range character '-' must be followed by a Unicode character");
                        }
                        int hi = runes[i];
                        boolean hiEsc = false;
                        if (hi == '\\') {
                            hi = runes[i + 1];
                            hiEsc = true;
                            i += 2;
                        } else {
                            i++;
                        }
                        if (!hiEsc && (hi == ']' || hi == '-')) {
                            throw invalid(name, input, i, "range character '-' cannot be followed by a special symbol");
                        }
                        if (hi < prev) {
                            throw invalid(name, input, i, "range is out of order: '" + new String(Character.toChars(hi))
                                    + "' comes before '" + new String(Character.toChars(prev)) + "' in Unicode");
                        }
                        for (int x = prev; x <= hi; x++) {
                            set.add(x);
                        }
                        prevExists = false;
                        continue;
                    }
                    set.add(c);
                    prev = c;
                    prevExists = true;
                }
                if (!complete) {
                    throw invalid(name, input, i, "found [ without matching ]");
                }
                t = new Token(set, NONE);
            } else if (!escaped && (r == '*' || r == '+')) {
                throw invalid(name, input, i, "flag '" + (char) r + "' must be preceded by a non-flag");
            } else {
                t = new Token(Set.of(r), NONE);
            }
            if (i < runes.length && (runes[i] == '*' || runes[i] == '+')) {
                if (runes[i] == '+') {
                    tokens.add(t); // X+ is X X*
                }
                t = new Token(t.set(), STAR);
                i++;
            }
            tokens.add(t);
        }
        return tokens;
    }
}
