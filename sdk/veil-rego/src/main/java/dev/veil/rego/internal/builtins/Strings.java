package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.bool;
import static dev.veil.rego.internal.builtins.Operands.error;
import static dev.veil.rego.internal.builtins.Operands.integer;
import static dev.veil.rego.internal.builtins.Operands.number;
import static dev.veil.rego.internal.builtins.Operands.str;
import static dev.veil.rego.internal.builtins.Operands.string;
import static dev.veil.rego.internal.builtins.Operands.typeError;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * String builtins, as OPA's {@code topdown/strings.go}: Go's {@code strings} package semantics (indexes and
 * lengths in code points where OPA counts runes, Unicode white space as Go's {@code unicode.IsSpace}).
 */
public final class Strings {
    private Strings() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("concat", 2, Strings::concat),
            Builtin.of("contains", 2, (a, c) -> bool(string("contains", a, 1).contains(string("contains", a, 2)))),
            Builtin.of("startswith", 2,
                    (a, c) -> bool(string("startswith", a, 1).startsWith(string("startswith", a, 2)))),
            Builtin.of("endswith", 2, (a, c) -> bool(string("endswith", a, 1).endsWith(string("endswith", a, 2)))),
            Builtin.of("format_int", 2, Strings::formatInt),
            Builtin.of("indexof", 2, Strings::indexOf),
            Builtin.of("indexof_n", 2, Strings::indexOfN),
            Builtin.of("lower", 1, (a, c) -> str(mapCodePoints(string("lower", a, 1), true))),
            Builtin.of("upper", 1, (a, c) -> str(mapCodePoints(string("upper", a, 1), false))),
            Builtin.of("replace", 3, (a, c) -> str(replace(string("replace", a, 1), string("replace", a, 2),
                    string("replace", a, 3)))),
            Builtin.of("strings.replace_n", 2, Strings::replaceN),
            Builtin.of("split", 2, (a, c) -> split(string("split", a, 1), string("split", a, 2), -1)),
            Builtin.of("strings.split_n", 3, Strings::splitN),
            Builtin.of("sprintf", 2, Strings::sprintf),
            Builtin.of("substring", 3, Strings::substring),
            Builtin.of("trim", 2, (a, c) -> str(trim(string("trim", a, 1), string("trim", a, 2), true, true))),
            Builtin.of("trim_left", 2,
                    (a, c) -> str(trim(string("trim_left", a, 1), string("trim_left", a, 2), true, false))),
            Builtin.of("trim_right", 2,
                    (a, c) -> str(trim(string("trim_right", a, 1), string("trim_right", a, 2), false, true))),
            Builtin.of("trim_prefix", 2, (a, c) -> {
                String s = string("trim_prefix", a, 1);
                String p = string("trim_prefix", a, 2);
                return s.startsWith(p) ? str(s.substring(p.length())) : a[0];
            }),
            Builtin.of("trim_suffix", 2, (a, c) -> {
                String s = string("trim_suffix", a, 1);
                String p = string("trim_suffix", a, 2);
                return s.endsWith(p) ? str(s.substring(0, s.length() - p.length())) : a[0];
            }),
            Builtin.of("trim_space", 1, (a, c) -> str(trimSpace(string("trim_space", a, 1)))),
            Builtin.of("strings.reverse", 1, (a, c) -> str(reverse(string("strings.reverse", a, 1)))),
            Builtin.of("strings.any_prefix_match", 2, (a, c) -> anyMatch("strings.any_prefix_match", a, false)),
            Builtin.of("strings.any_suffix_match", 2, (a, c) -> anyMatch("strings.any_suffix_match", a, true)),
            Builtin.of("strings.count", 2,
                    (a, c) -> NumberValue.of(count(string("strings.count", a, 1), string("strings.count", a, 2)))),
            Builtin.of("strings.render_template", 2, Template::render));

    // ------------------------------------------------------------------ concat, split, replace

    private static Value concat(Value[] a, BuiltinContext ctx) {
        String sep = string("concat", a, 1);
        List<Value> elems;
        if (a[1] instanceof ArrayValue arr) {
            elems = arr.asList();
        } else if (a[1] instanceof SetValue set) {
            elems = set.elements();
        } else {
            throw typeError("concat", 2, a[1], "set", "array");
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < elems.size(); i++) {
            if (!(elems.get(i) instanceof StringValue s)) {
                throw typeError("concat", RegoTypeError.operandElement(2, a[1], elems.get(i), "string"));
            }
            if (i > 0) {
                b.append(sep);
            }
            b.append(s.value());
        }
        return str(b.toString());
    }

    /** Go's {@code strings.SplitN}; n &lt; 0 for all. */
    static ArrayValue split(String s, String sep, int n) {
        if (n == 0) {
            return ArrayValue.EMPTY;
        }
        List<Value> out = new ArrayList<>();
        if (sep.isEmpty()) {
            int i = 0;
            while (i < s.length() && (n < 0 || out.size() < n - 1)) {
                int cp = s.codePointAt(i);
                int next = i + Character.charCount(cp);
                out.add(str(s.substring(i, next)));
                i = next;
            }
            if (i < s.length()) {
                out.add(str(s.substring(i)));
            }
            return ArrayValue.of(out);
        }
        int start = 0;
        while (n < 0 || out.size() < n - 1) {
            int k = s.indexOf(sep, start);
            if (k < 0) {
                break;
            }
            out.add(str(s.substring(start, k)));
            start = k + sep.length();
        }
        out.add(str(s.substring(start)));
        return ArrayValue.of(out);
    }

    private static Value splitN(Value[] a, BuiltinContext ctx) {
        String s = string("strings.split_n", a, 1);
        String sep = string("strings.split_n", a, 2);
        int n = integer("strings.split_n", a, 3);
        // the first n parts, or with a negative n the last -n parts; 0 gives none
        ArrayValue all = split(s, sep, -1);
        int k = (int) Math.min(Math.abs((long) n), all.size());
        List<Value> parts = all.asList();
        return ArrayValue.of(n >= 0 ? parts.subList(0, k) : parts.subList(parts.size() - k, parts.size()));
    }

    /** Go's {@code strings.NewReplacer(old, new).Replace(s)} with one pair. */
    static String replace(String s, String old, String repl) {
        if (!old.isEmpty()) {
            return s.replace(old, repl);
        }
        StringBuilder b = new StringBuilder(s.length() * 2 + repl.length());
        b.append(repl);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            b.appendCodePoint(cp).append(repl);
            i += Character.charCount(cp);
        }
        return b.toString();
    }

    private static Value replaceN(Value[] a, BuiltinContext ctx) {
        String name = "strings.replace_n";
        if (!(a[0] instanceof ObjectValue patterns)) {
            throw typeError(name, 1, a[0], "object");
        }
        String s = string(name, a, 2);
        List<Value> keys = new ArrayList<>(patterns.keys());
        keys.sort(null);
        List<String> olds = new ArrayList<>();
        List<String> news = new ArrayList<>();
        for (Value k : keys) {
            if (!(k instanceof StringValue ks)) {
                throw typeError(name, RegoTypeError.operandDetail(1, "non-string key found in pattern object"));
            }
            if (!(patterns.get(k) instanceof StringValue vs)) {
                throw typeError(name, RegoTypeError.operandDetail(1, "non-string value found in pattern object"));
            }
            olds.add(ks.value());
            news.add(vs.value());
        }
        return str(replaceAll(s, olds, news));
    }

    /** Go's generic {@code strings.Replacer}: at each position the first pair (in order) that matches wins. */
    static String replaceAll(String s, List<String> olds, List<String> news) {
        if (olds.size() == 1) {
            return replace(s, olds.get(0), news.get(0));
        }
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        boolean prevEmpty = false;
        while (i <= s.length()) {
            int match = -1;
            for (int k = 0; k < olds.size(); k++) {
                String o = olds.get(k);
                if (o.isEmpty() && prevEmpty) {
                    continue;
                }
                if (s.startsWith(o, i)) {
                    match = k;
                    break;
                }
            }
            if (match >= 0) {
                b.append(news.get(match));
                int len = olds.get(match).length();
                if (len > 0) {
                    i += len;
                    prevEmpty = false;
                    continue;
                }
                prevEmpty = true;
            } else {
                prevEmpty = false;
            }
            if (i == s.length()) {
                break;
            }
            int cp = s.codePointAt(i);
            b.appendCodePoint(cp);
            i += Character.charCount(cp);
            prevEmpty = false;
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ numbers

    private static Value formatInt(Value[] a, BuiltinContext ctx) {
        NumberValue input = number("format_int", a, 1);
        NumberValue base = number("format_int", a, 2);
        int radix;
        if (base.equals(NumberValue.of(2))) {
            radix = 2;
        } else if (base.equals(NumberValue.of(8))) {
            radix = 8;
        } else if (base.equals(NumberValue.of(10))) {
            radix = 10;
        } else if (base.equals(NumberValue.of(16))) {
            radix = 16;
        } else {
            throw typeError("format_int", RegoTypeError.operandEnum(2, "2", "8", "10", "16"));
        }
        BigInteger i = input.toBigDecimal().setScale(0, RoundingMode.DOWN).toBigIntegerExact();
        return str(i.toString(radix));
    }

    // ------------------------------------------------------------------ search

    private static Value indexOf(Value[] a, BuiltinContext ctx) {
        String base = string("indexof", a, 1);
        String search = string("indexof", a, 2);
        if (search.isEmpty()) {
            throw error("indexof", "empty search character");
        }
        int k = base.indexOf(search);
        return NumberValue.of(k < 0 ? -1 : base.codePointCount(0, k));
    }

    private static Value indexOfN(Value[] a, BuiltinContext ctx) {
        String base = string("indexof_n", a, 1);
        String search = string("indexof_n", a, 2);
        if (search.isEmpty()) {
            throw error("indexof_n", "empty search character");
        }
        List<Value> out = new ArrayList<>();
        int k = base.indexOf(search);
        while (k >= 0) {
            out.add(NumberValue.of(base.codePointCount(0, k)));
            k = base.indexOf(search, base.offsetByCodePoints(k, 1));
        }
        return ArrayValue.of(out);
    }

    /** Go's {@code strings.Count}: non-overlapping; an empty substring counts runes + 1. */
    static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int n = 0;
        int k = s.indexOf(sub);
        while (k >= 0) {
            n++;
            k = s.indexOf(sub, k + sub.length());
        }
        return n;
    }

    private static Value anyMatch(String name, Value[] a, boolean suffix) {
        List<String> strs = stringsOf(name, a[0], 1);
        List<String> fixes = stringsOf(name, a[1], 2);
        for (String s : strs) {
            for (String f : fixes) {
                if (suffix ? s.endsWith(f) : s.startsWith(f)) {
                    return bool(true);
                }
            }
        }
        return bool(false);
    }

    private static List<String> stringsOf(String name, Value v, int pos) {
        if (v instanceof StringValue s) {
            return List.of(s.value());
        }
        if (v instanceof ArrayValue || v instanceof SetValue) {
            return Operands.stringSlice(name, v, pos);
        }
        throw typeError(name, pos, v, "string", "set", "array");
    }

    private static Value substring(Value[] a, BuiltinContext ctx) {
        String base = string("substring", a, 1);
        int start = integer("substring", a, 2);
        int length = integer("substring", a, 3);
        if (start < 0) {
            throw error("substring", "negative offset");
        }
        int runes = base.codePointCount(0, base.length());
        if (start >= runes) {
            return StringValue.EMPTY;
        }
        int from = base.offsetByCodePoints(0, start);
        if (length < 0 || (long) start + length >= runes) {
            return str(base.substring(from));
        }
        return str(base.substring(from, base.offsetByCodePoints(from, length)));
    }

    // ------------------------------------------------------------------ case, trim, reverse

    /** Go's {@code strings.ToLower/ToUpper}: rune by rune, no locale, no length-changing mappings. */
    static String mapCodePoints(String s, boolean lower) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int m = lower ? Character.toLowerCase(cp) : Character.toUpperCase(cp);
            if (m != cp && b == null) {
                b = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (b != null) {
                b.appendCodePoint(m);
            }
            i += Character.charCount(cp);
        }
        return b == null ? s : b.toString();
    }

    /** Go's {@code strings.Trim/TrimLeft/TrimRight}: drops leading/trailing code points found in the cutset. */
    static String trim(String s, String cutset, boolean left, boolean right) {
        if (cutset.isEmpty()) {
            return s;
        }
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end) {
                int cp = s.codePointAt(start);
                if (cutset.indexOf(cp) < 0) {
                    break;
                }
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = s.codePointBefore(end);
                if (cutset.indexOf(cp) < 0) {
                    break;
                }
                end -= Character.charCount(cp);
            }
        }
        return s.substring(start, end);
    }

    /** Go's {@code unicode.IsSpace}. */
    static boolean isGoSpace(int cp) {
        return (cp >= 9 && cp <= 13) || cp == ' ' || cp == 0x85 || cp == 0xA0
                || (cp > 0xFF && Character.isSpaceChar(cp));
    }

    static String trimSpace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isGoSpace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isGoSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    static String reverse(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = s.length(); i > 0; ) {
            int cp = s.codePointBefore(i);
            b.appendCodePoint(cp);
            i -= Character.charCount(cp);
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ sprintf

    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    private static Value sprintf(Value[] a, BuiltinContext ctx) {
        String format = string("sprintf", a, 1);
        if (!(a[1] instanceof ArrayValue arr)) {
            throw typeError("sprintf", 2, a[1], "array");
        }
        List<Object> args = new ArrayList<>(arr.size());
        for (Value v : arr.asList()) {
            args.add(goArg(v));
        }
        return str(GoFmt.sprintf(format, args));
    }

    /** The Go value OPA passes to {@code fmt.Sprintf} for a Rego value. */
    static Object goArg(Value v) {
        if (v instanceof StringValue s) {
            return s.value();
        }
        if (v instanceof NumberValue n) {
            String text = n.toJson();
            if (INTEGER.matcher(text).matches()) {
                BigInteger b = new BigInteger(text);
                return b.bitLength() < 64 ? (Object) b.longValue() : b;
            }
            double d = n.doubleValue();
            if (Double.isInfinite(d)) {
                return text;
            }
            BigDecimal exact = n.toBigDecimal();
            return exact.doubleValue();
        }
        return v.toString();
    }
}
