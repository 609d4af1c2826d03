package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.bool;
import static dev.veil.rego.internal.builtins.Operands.integer;
import static dev.veil.rego.internal.builtins.Operands.str;
import static dev.veil.rego.internal.builtins.Operands.string;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Regular-expression builtins with RE2 semantics (re2j), as OPA's {@code topdown/regex.go} on Go's
 * {@code regexp}: Go's rules for successive and empty matches ({@code FindAll}, {@code Split},
 * {@code ReplaceAllString}) and its {@code $1}/{@code ${name}} expansion are reproduced here, since
 * re2j's own loops follow Java's.
 */
public final class Regex {
    private Regex() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("regex.is_valid", 1, (a, c) -> bool(a[0] instanceof dev.veil.rego.internal.value.StringValue s
                    && isValid(s.value()))),
            Builtin.of("regex.match", 2, (a, c) -> match("regex.match", a)),
            Builtin.of("regex.split", 2, Regex::split),
            Builtin.of("regex.find_n", 3, Regex::findN),
            Builtin.of("regex.find_all_string_submatch_n", 3, Regex::findAllSubmatch),
            Builtin.of("regex.replace", 3, Regex::replace),
            Builtin.of("regex.template_match", 4, Regex::templateMatch),
            Builtin.of("regex.globs_match", 2, (a, c) -> bool(GlobIntersection.nonEmpty("regex.globs_match",
                    string("regex.globs_match", a, 1), string("regex.globs_match", a, 2)))));

    private static final int CACHE_SIZE = 100;
    /** Compiled patterns, shared by all evaluations without locking; emptied when it grows past its bound. */
    private static final Map<String, Pattern> CACHE = new ConcurrentHashMap<>();

    static boolean isValid(String pattern) {
        try {
            Pattern.compile(pattern);
            return true;
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    /** Compiles (cached, bounded) or throws {@code name: error parsing regexp: ...} as Go words it. */
    static Pattern compile(String name, String pattern) {
        Pattern cached = CACHE.get(pattern);
        if (cached != null) {
            return cached;
        }
        Pattern p;
        try {
            p = Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw new BuiltinError(name, e.getMessage());
        }
        if (CACHE.size() >= CACHE_SIZE) {
            CACHE.clear();
        }
        CACHE.put(pattern, p);
        return p;
    }

    private static Value match(String name, Value[] a) {
        String pattern = string(name, a, 1);
        String value = string(name, a, 2);
        return bool(compile(name, pattern).matcher(value).find());
    }

    /** Go's {@code FindAllStringSubmatchIndex(s, n)}: group offsets of each accepted match. */
    static List<int[]> findAll(Pattern p, String s, int n) {
        List<int[]> out = new ArrayList<>();
        if (n < 0) {
            n = s.length() + 1;
        }
        Matcher m = p.matcher(s);
        int groups = m.groupCount();
        int pos = 0;
        int prevMatchEnd = -1;
        while (out.size() < n && pos <= s.length()) {
            if (!m.find(pos)) {
                break;
            }
            boolean accept = true;
            if (m.end() == pos) {
                if (m.start() == prevMatchEnd) {
                    accept = false;
                }
                pos += pos < s.length() ? Character.charCount(s.codePointAt(pos)) : 1;
            } else {
                pos = m.end();
            }
            prevMatchEnd = m.end();
            if (accept) {
                int[] g = new int[2 * (groups + 1)];
                for (int i = 0; i <= groups; i++) {
                    g[2 * i] = m.start(i);
                    g[2 * i + 1] = m.end(i);
                }
                out.add(g);
            }
        }
        return out;
    }

    private static Value split(Value[] a, BuiltinContext ctx) {
        String name = "regex.split";
        Pattern p = compile(name, string(name, a, 1));
        String s = string(name, a, 2);
        List<Value> out = new ArrayList<>();
        if (!p.pattern().isEmpty() && s.isEmpty()) {
            return ArrayValue.of(str(""));
        }
        int beg = 0;
        int end = 0;
        for (int[] m : findAll(p, s, -1)) {
            end = m[0];
            if (m[1] != 0) {
                out.add(str(s.substring(beg, end)));
            }
            beg = m[1];
        }
        if (end != s.length()) {
            out.add(str(s.substring(beg)));
        }
        return ArrayValue.of(out);
    }

    private static Value findN(Value[] a, BuiltinContext ctx) {
        String name = "regex.find_n";
        String pattern = string(name, a, 1);
        String s = string(name, a, 2);
        int n = integer(name, a, 3);
        Pattern p = compile(name, pattern);
        List<Value> out = new ArrayList<>();
        for (int[] m : findAll(p, s, n)) {
            out.add(str(s.substring(m[0], m[1])));
        }
        return ArrayValue.of(out);
    }

    private static Value findAllSubmatch(Value[] a, BuiltinContext ctx) {
        String name = "regex.find_all_string_submatch_n";
        String pattern = string(name, a, 1);
        String s = string(name, a, 2);
        int n = integer(name, a, 3);
        Pattern p = compile(name, pattern);
        List<Value> out = new ArrayList<>();
        for (int[] m : findAll(p, s, n)) {
            List<Value> groups = new ArrayList<>(m.length / 2);
            for (int i = 0; i < m.length; i += 2) {
                groups.add(str(m[i] < 0 ? "" : s.substring(m[i], m[i + 1])));
            }
            out.add(ArrayValue.of(groups));
        }
        return ArrayValue.of(out);
    }

    private static Value replace(Value[] a, BuiltinContext ctx) {
        String name = "regex.replace";
        String base = string(name, a, 1);
        String pattern = string(name, a, 2);
        String repl = string(name, a, 3);
        Pattern p = compile(name, pattern);
        String r = replaceAll(p, base, repl);
        return r.equals(base) ? a[0] : str(r);
    }

    /** Go's {@code ReplaceAllString}. */
    static String replaceAll(Pattern p, String src, String template) {
        StringBuilder buf = new StringBuilder(src.length());
        Matcher m = p.matcher(src);
        int groups = m.groupCount();
        int lastMatchEnd = 0;
        int searchPos = 0;
        while (searchPos <= src.length()) {
            if (!m.find(searchPos)) {
                break;
            }
            buf.append(src, lastMatchEnd, m.start());
            if (m.end() > lastMatchEnd || m.start() == 0) {
                expand(buf, template, src, m, groups);
            }
            lastMatchEnd = m.end();
            int width = searchPos < src.length() ? Character.charCount(src.codePointAt(searchPos)) : 0;
            if (searchPos + width > m.end()) {
                searchPos += width;
            } else if (searchPos + 1 > m.end()) {
                searchPos++;
            } else {
                searchPos = m.end();
            }
        }
        buf.append(src, lastMatchEnd, src.length());
        return buf.toString();
    }

    /** Go's {@code Regexp.Expand} for a string template. */
    private static void expand(StringBuilder dst, String template, String src, Matcher m, int groups) {
        int i = 0;
        while (i < template.length()) {
            int dollar = template.indexOf('$', i);
            if (dollar < 0) {
                break;
            }
            dst.append(template, i, dollar);
            i = dollar + 1;
            if (i < template.length() && template.charAt(i) == '$') {
                dst.append('$');
                i++;
                continue;
            }
            // extract
            int j = i;
            boolean brace = false;
            if (j < template.length() && template.charAt(j) == '{') {
                brace = true;
                j++;
            }
            int nameStart = j;
            while (j < template.length()) {
                int cp = template.codePointAt(j);
                if (!Character.isLetter(cp) && !Character.isDigit(cp) && cp != '_') {
                    break;
                }
                j += Character.charCount(cp);
            }
            if (j == nameStart || (brace && (j >= template.length() || template.charAt(j) != '}'))) {
                dst.append('$');
                continue;
            }
            String gname = template.substring(nameStart, j);
            i = brace ? j + 1 : j;
            int num = 0;
            for (int k = 0; k < gname.length(); k++) {
                char c = gname.charAt(k);
                if (c < '0' || c > '9' || num >= 100_000_000) {
                    num = -1;
                    break;
                }
                num = num * 10 + (c - '0');
            }
            if (gname.charAt(0) == '0' && gname.length() > 1) {
                num = -1;
            }
            if (num >= 0) {
                if (num <= groups && m.start(num) >= 0) {
                    dst.append(src, m.start(num), m.end(num));
                }
            } else {
                try {
                    String g = m.group(gname);
                    if (g != null) {
                        dst.append(g);
                    }
                } catch (IllegalArgumentException e) {
                    // no group of that name: nothing, as Go
                }
            }
        }
        dst.append(template, Math.min(i, template.length()), template.length());
    }

    // ------------------------------------------------------------------ template_match

    private static Value templateMatch(Value[] a, BuiltinContext ctx) {
        String name = "regex.template_match";
        String pattern = string(name, a, 1);
        String match = string(name, a, 2);
        String start = string(name, a, 3);
        String end = string(name, a, 4);
        int startLen = start.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (startLen != 1) {
            throw new BuiltinError(name, "start delimiter has to be exactly one character long but is "
                    + startLen + " long");
        }
        if (end.getBytes(java.nio.charset.StandardCharsets.UTF_8).length != 1) {
            throw new BuiltinError(name, "end delimiter has to be exactly one character long but is "
                    + startLen + " long");
        }
        Pattern p = compileTemplate(name, pattern, start.charAt(0), end.charAt(0));
        return bool(p.matcher(match).find());
    }

    private static Pattern compileTemplate(String name, String tpl, char open, char close) {
        List<Integer> idxs = new ArrayList<>();
        int level = 0;
        int idx = 0;
        for (int i = 0; i < tpl.length(); i++) {
            char c = tpl.charAt(i);
            if (c == open) {
                if (++level == 1) {
                    idx = i;
                }
            } else if (c == close) {
                if (--level == 0) {
                    idxs.add(idx);
                    idxs.add(i + 1);
                } else if (level < 0) {
                    throw new BuiltinError(name, "unbalanced braces in " + quote(tpl));
                }
            }
        }
        if (level != 0) {
            throw new BuiltinError(name, "unbalanced braces in " + quote(tpl));
        }
        StringBuilder pattern = new StringBuilder("^");
        int end = 0;
        for (int i = 0; i < idxs.size(); i += 2) {
            String raw = tpl.substring(end, idxs.get(i));
            end = idxs.get(i + 1);
            String patt = tpl.substring(idxs.get(i) + 1, end - 1);
            pattern.append(quoteMeta(raw)).append('(').append(patt).append(')');
            compile(name, "^" + patt + "$");
        }
        pattern.append(quoteMeta(tpl.substring(end))).append('$');
        return compile(name, pattern.toString());
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder();
        dev.veil.rego.internal.value.Values.appendGoQuoted(b, s);
        return b.toString();
    }

    /** Go's {@code regexp.QuoteMeta}. */
    static String quoteMeta(String s) {
        StringBuilder b = new StringBuilder(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
