package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.bool;
import static dev.veil.rego.internal.builtins.Operands.str;
import static dev.veil.rego.internal.builtins.Operands.string;

import com.google.re2j.Pattern;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code glob.match} and {@code glob.quote_meta} with the semantics of the gobwas/glob library OPA uses:
 * {@code *} (any run of non-delimiter characters), {@code **} (any run), {@code ?} (one non-delimiter
 * character), {@code [abc]}, {@code [a-z]}, {@code [!...]}, {@code {a,b}} alternatives and {@code \} escapes.
 * Delimiters: {@code null} for none, {@code []} for {@code "."}. A glob is compiled to an RE2 pattern, so
 * matching is linear in the input.
 */
public final class Glob {
    private Glob() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("glob.match", 3, Glob::match),
            Builtin.of("glob.quote_meta", 1, (a, c) -> str(quoteMeta(string("glob.quote_meta", a, 1)))));

    private static final String SPECIALS = "*,?\\[]{}";
    private static final int CACHE_SIZE = 100;
    /** Compiled patterns, shared by all evaluations without locking; emptied when it grows past its bound. */
    private static final Map<String, Pattern> CACHE = new ConcurrentHashMap<>();

    private static Value match(Value[] a, BuiltinContext ctx) {
        String name = "glob.match";
        String pattern = string(name, a, 1);
        List<Integer> delimiters = new ArrayList<>();
        if (a[1] instanceof ArrayValue arr) {
            for (Value v : arr.asList()) {
                if (!(v instanceof StringValue s)) {
                    throw Operands.typeError(name, RegoTypeError.operandElement(2, arr, v, "string"));
                }
                // OPA's RuneSliceOperand: each element one rune
                String d = s.value();
                if (d.codePointCount(0, d.length()) != 1) {
                    throw Operands.typeError(name, RegoTypeError.operandElement(2, arr, v, "rune"));
                }
                delimiters.add(d.codePointAt(0));
            }
            if (delimiters.isEmpty()) {
                delimiters.add((int) '.');
            }
        } else if (!(a[1] instanceof NullValue)) {
            throw Operands.typeError(name, 2, a[1], "array", "null");
        }
        String value = string(name, a, 3);
        return bool(compile(name, pattern, delimiters).matcher(value).matches());
    }

    /** gobwas {@code QuoteMeta}: a backslash before each of {@code * , ? \ [ ] { }}. */
    static String quoteMeta(String s) {
        StringBuilder b = new StringBuilder(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (SPECIALS.indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    static Pattern compile(String name, String glob, List<Integer> delimiters) {
        StringBuilder key = new StringBuilder(glob).append('\u0000');
        for (int d : delimiters) {
            key.appendCodePoint(d);
        }
        String k = key.toString();
        Pattern cached = CACHE.get(k);
        if (cached != null) {
            return cached;
        }
        Pattern p = Pattern.compile(toRegex(name, glob, delimiters), Pattern.DOTALL);
        if (CACHE.size() >= CACHE_SIZE) {
            CACHE.clear();
        }
        CACHE.put(k, p);
        return p;
    }

    /** Translates a glob to an RE2 pattern. */
    static String toRegex(String name, String glob, List<Integer> delimiters) {
        String notDelim;
        if (delimiters.isEmpty()) {
            notDelim = ".";
        } else {
            StringBuilder b = new StringBuilder("[^");
            for (int d : delimiters) {
                appendClassChar(b, d);
            }
            notDelim = b.append(']').toString();
        }
        StringBuilder out = new StringBuilder();
        int[] pos = {0};
        translate(name, glob, pos, 0, notDelim, out);
        if (pos[0] < glob.length()) {
            throw new BuiltinError(name, "unexpected '" + glob.charAt(pos[0]) + "' at position " + pos[0]
                    + " of glob " + glob);
        }
        return out.toString();
    }

    private static void translate(String name, String g, int[] pos, int depth, String notDelim, StringBuilder out) {
        int n = g.length();
        while (pos[0] < n) {
            int i = pos[0];
            char c = g.charAt(i);
            if (depth > 0 && (c == ',' || c == '}')) {
                return;
            }
            switch (c) {
                case '\\' -> {
                    if (i + 1 >= n) {
                        pos[0] = n; // gobwas drops a trailing escape
                        break;
                    }
                    int cp = g.codePointAt(i + 1);
                    out.append(com.google.re2j.Pattern.quote(new String(Character.toChars(cp))));
                    pos[0] = i + 1 + Character.charCount(cp);
                }
                case '*' -> {
                    if (i + 1 < n && g.charAt(i + 1) == '*') {
                        out.append("(?:.*)");
                        int j = i + 2;
                        while (j < n && g.charAt(j) == '*') {
                            j++;
                        }
                        pos[0] = j;
                    } else {
                        out.append("(?:").append(notDelim).append("*)");
                        pos[0] = i + 1;
                    }
                }
                case '?' -> {
                    out.append(notDelim);
                    pos[0] = i + 1;
                }
                case '[' -> {
                    pos[0] = i + 1;
                    out.append(range(name, g, pos));
                }
                case '{' -> {
                    pos[0] = i + 1;
                    out.append("(?:");
                    while (true) {
                        translate(name, g, pos, depth + 1, notDelim, out);
                        if (pos[0] >= n) {
                            throw new BuiltinError(name, "unexpected end of input");
                        }
                        char d = g.charAt(pos[0]);
                        pos[0]++;
                        if (d == '}') {
                            break;
                        }
                        out.append('|');
                    }
                    out.append(')');
                }
                default -> {
                    int cp = g.codePointAt(i);
                    out.append(com.google.re2j.Pattern.quote(new String(Character.toChars(cp))));
                    pos[0] = i + Character.charCount(cp);
                }
            }
        }
    }

    /**
     * A gobwas range after its '[': an optional '!', then either one range {@code a-z} or a list of characters
     * (with escapes), then ']'.
     */
    private static String range(String name, String g, int[] pos) {
        int n = g.length();
        StringBuilder cls = new StringBuilder("[");
        String empty = null;
        if (pos[0] < n && g.charAt(pos[0]) == '!') {
            cls.append('^');
            pos[0]++;
        }
        if (pos[0] >= n) {
            throw new BuiltinError(name, "unexpected end of input");
        }
        int lo = g.codePointAt(pos[0]);
        int afterLo = pos[0] + Character.charCount(lo);
        if (afterLo < n && g.charAt(afterLo) == '-') {
            if (afterLo + 1 >= n) {
                throw new BuiltinError(name, "unexpected end of input");
            }
            int hi = g.codePointAt(afterLo + 1);
            pos[0] = afterLo + 1 + Character.charCount(hi);
            if (hi < lo) {
                throw new BuiltinError(name, "hi character '" + new String(Character.toChars(hi))
                        + "' should be greater than lo '" + new String(Character.toChars(lo)) + "'");
            }
            appendClassChar(cls, lo);
            cls.append('-');
            appendClassChar(cls, hi);
        } else {
            boolean any = false;
            boolean escaped = false;
            while (pos[0] < n) {
                int cp = g.codePointAt(pos[0]);
                if (!escaped && cp == '\\') {
                    escaped = true;
                    pos[0]++;
                    continue;
                }
                if (!escaped && cp == ']') {
                    break;
                }
                escaped = false;
                appendClassChar(cls, cp);
                any = true;
                pos[0] += Character.charCount(cp);
            }
            if (!any) {
                // an empty list matches no character; negated, any character
                empty = cls.length() == 2 ? "(?s:.)" : "[^\\x{0}-\\x{10FFFF}]";
            }
        }
        if (pos[0] >= n) {
            throw new BuiltinError(name, "unexpected end of input");
        }
        if (g.charAt(pos[0]) != ']') {
            throw new BuiltinError(name, "expected close range character");
        }
        pos[0]++;
        return empty != null ? empty : cls.append(']').toString();
    }

    private static void appendClassChar(StringBuilder b, int cp) {
        if (cp == '\\' || cp == ']' || cp == '[' || cp == '^' || cp == '-') {
            b.append('\\');
        }
        b.appendCodePoint(cp);
    }
}
