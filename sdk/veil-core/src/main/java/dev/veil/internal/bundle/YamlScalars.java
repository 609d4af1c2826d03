package dev.veil.internal.bundle;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactoryBuilder;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.text.NumberText;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * Refuses the YAML scalars whose meaning depends on the YAML reader. Jackson reads YAML 1.1
 * (through SnakeYAML), OPA reads bundle YAML with go-yaml v2, and YAML 1.2 tools read the core
 * schema; they agree on {@code true}/{@code false}, {@code null}/{@code ~}, plain decimal
 * integers ({@code 42}, {@code -7}) and plain floats ({@code 0.5}, {@code 1e3}), and disagree on
 * the rest. So an unquoted (plain) scalar, or a key, is an error when it is
 *
 * <ul>
 *   <li>a boolean other than {@code true}/{@code True}/{@code TRUE}/{@code false}/{@code False}/
 *       {@code FALSE}: {@code yes}, {@code no}, {@code on}, {@code off} (booleans to YAML 1.1 and
 *       go-yaml, strings to YAML 1.2) and {@code y}, {@code n} (booleans to go-yaml only);
 *   <li>an integer not written in plain decimal: {@code 010} (octal 8 to YAML 1.1 and go-yaml, 10 to
 *       YAML 1.2), {@code 0x10}, {@code 0o10}, {@code 0b10}, {@code 1_000}, or a float with
 *       {@code _};
 *   <li>a string here that another reader takes for a number: {@code 08} or {@code 0o10};
 *   <li>a YAML 1.1 base-60 number ({@code 1:30}, which YAML 1.1 defines as 90);
 *   <li>a merge key {@code <<} (go-yaml merges the mapping in; Jackson keeps a key {@code "<<"});
 *   <li>in {@link #check} (the policy file), an alias {@code *m}, which Jackson reads as the string
 *       {@code "m"}, not the anchored value (data files refuse aliases in {@link DocumentParser});
 *   <li>in {@link #check}, a number a double cannot hold: beyond its range ({@code 1e400}, read as an
 *       infinity) or non-zero below it ({@code 1e-400}, read as 0);
 *   <li>{@code .inf} and {@code .nan}, which no bundle can hold (JSON has neither);
 *   <li>a mapping key that go-yaml or YAML 1.2 would turn into a different key ({@code yes},
 *       {@code True}, {@code ~}, {@code 1.5}, {@code 010}: OPA would see {@code "true"},
 *       {@code "null"}, {@code "8"}...); keys {@code true}, {@code false} and plain decimal
 *       integers are fine.
 * </ul>
 *
 * <p>Quoted scalars ({@code 'yes'}, {@code "010"}) and block scalars are strings for every reader
 * and are never refused; neither is a scalar with an explicit {@code !!str} tag. A scalar with an
 * explicit {@code !!int}, {@code !!float} or {@code !!bool} tag goes through the same checks as a
 * plain one, quoted or not. Every error names the file, line and column and says how to write the
 * value.
 */
public final class YamlScalars {
    /** Floats as YAML 1.2's core schema and go-yaml v2 both write them. */
    private static final Pattern FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");
    /** Keys that every reader turns into the same string: decimal integers well inside 64 bits. */
    private static final Pattern DECIMAL_KEY = Pattern.compile("-?(0|[1-9][0-9]{0,17})");
    /** go-yaml v2's integers: Go's ParseInt with base 0, after it drops every {@code _}. */
    private static final Pattern GO_INT = Pattern.compile(
            "[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)");
    /** YAML 1.1's base-60 integers and floats. */
    private static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?");
    private static final Set<String> BOOLEANS = Set.of("true", "True", "TRUE", "false", "False", "FALSE");
    private static final Set<String> OTHER_BOOLEANS = Set.of("y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
            "n", "N", "no", "No", "NO", "off", "Off", "OFF");
    private static final Set<String> NULLS = Set.of("null", "Null", "NULL", "~", "");

    private YamlScalars() {}

    /**
     * A YAML factory whose parsers let {@link #problem} tell plain scalars from quoted ones. Only the
     * {@code createParser(byte[])} family is supported; a parser made another way counts every
     * scalar as plain (so refuses too much, never too little).
     */
    static YAMLFactory factory(YAMLFactoryBuilder builder) {
        return new StyleFactory(builder);
    }

    /**
     * Checks every scalar and key of a YAML document and throws at the first one whose meaning
     * depends on the YAML reader. A document that does not parse is checked up to its syntax error,
     * which is left for the caller's own parser to report.
     *
     * @param yaml the document
     * @param file the bundle file, for the error
     * @throws PolicyLoadException naming the file, line and column of the scalar
     */
    public static void check(byte[] yaml, String file) {
        List<Object> path = new ArrayList<>(); // key (String) or index counter (int[]) per level
        try (JsonParser p = DocumentParser.YAML.createParser(yaml)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    path.remove(path.size() - 1);
                    continue;
                }
                if (t == JsonToken.FIELD_NAME) {
                    path.set(path.size() - 1, p.currentName());
                } else if (!path.isEmpty() && path.get(path.size() - 1) instanceof int[] index) {
                    index[0]++;
                }
                String problem = p instanceof YAMLParser y && y.isCurrentAlias() ? alias(p.getText(), DocPath.render(path))
                        : problem(p, t, () -> DocPath.render(path));
                if (problem == null) {
                    problem = outOfRange(p, t, () -> DocPath.render(path), true);
                }
                if (problem != null) {
                    JsonLocation loc = p.currentTokenLocation();
                    throw new PolicyLoadException(new PolicyError(file, Math.max(0, loc.getLineNr()),
                            Math.max(0, loc.getColumnNr()), problem));
                }
                if (t == JsonToken.START_OBJECT) {
                    path.add("");
                } else if (t == JsonToken.START_ARRAY) {
                    path.add(new int[] {-1});
                }
            }
        } catch (IOException e) {
            // a syntax error (Jackson wraps the YAML parser's): the caller's parser reports it with its
            // location. Anything else is not swallowed: the check must not be skipped silently.
        }
    }

    /**
     * What is wrong with the current token, or {@code null} when every YAML reader gives it the
     * meaning this one does.
     *
     * @param p a parser from {@link #factory}, positioned on {@code token}
     * @param path where the token is, for the message (called only when there is a problem)
     */
    static String problem(JsonParser p, JsonToken token, Supplier<String> path) throws IOException {
        switch (token) {
            case FIELD_NAME: {
                String key = p.currentName();
                if (plain(p) && key.equals("<<")) {
                    return "merge key << at " + path.get() + ": YAML readers differ on it (OPA's merges the mapping"
                            + " in, this one keeps a key \"<<\"); write the keys out";
                }
                return plain(p) && !keyAgrees(key) ? "unquoted key " + key + " at " + path.get()
                        + " is a boolean, null or number to some YAML readers, which then use another key"
                        + " (OPA would not see \"" + key + "\"); quote the key (\"" + key + "\")" : null;
            }
            case VALUE_TRUE:
            case VALUE_FALSE: {
                String text = p.getText();
                return BOOLEANS.contains(text) ? null : ambiguousBoolean(text, path.get());
            }
            case VALUE_NULL: {
                String text = p.getText();
                return NULLS.contains(text) ? null : "the value " + text + " at " + path.get()
                        + " is read as null; write null, or quote it (\"" + text + "\") for a string";
            }
            case VALUE_NUMBER_INT: {
                String text = p.getText();
                return DECIMAL.matcher(text).matches() ? null : "unquoted " + text + " at " + path.get()
                        + " is a number not written in plain decimal (a leading zero, a 0x, 0o or 0b prefix,"
                        + " or '_'), which YAML readers read differently (this one as " + p.getNumberValue()
                        + "); write the number in decimal, or quote it (\"" + text + "\") for a string";
            }
            case VALUE_NUMBER_FLOAT: {
                String text = p.getText();
                if (FLOAT.matcher(text).matches()) {
                    return null;
                }
                if (text.replaceFirst("^[-+]", "").toLowerCase(java.util.Locale.ROOT).matches("\\.(inf|nan)")) {
                    return "unquoted " + text + " at " + path.get() + " is an infinity or NaN, which a bundle cannot"
                            + " hold (JSON has neither); write a finite number, or quote it (\"" + text + "\") for a"
                            + " string";
                }
                String read;
                try {
                    read = " (this one as " + p.getNumberValue() + ")";
                } catch (IOException e) {
                    read = ""; // base-60 floats (1:30.5): Jackson finds them malformed
                }
                return "unquoted " + text + " at " + path.get() + " is a number written with '_' or ':', which YAML"
                        + " readers read differently" + read + "; write the number in plain decimal (0.5, 1e3),"
                        + " or quote it (\"" + text + "\") for a string";
            }
            case VALUE_STRING: {
                if (!plain(p)) {
                    return null;
                }
                String text = p.getText();
                if (OTHER_BOOLEANS.contains(text)) {
                    return ambiguousBoolean(text, path.get());
                }
                if (looksNumeric(text)) {
                    return "unquoted " + text + " at " + path.get() + " is a string to this YAML reader but a"
                            + " number to others (YAML 1.2, OPA); quote it (\"" + text + "\") for a string, or"
                            + " write the number in plain decimal";
                }
                if (SEXAGESIMAL.matcher(text).matches()) {
                    return "unquoted " + text + " at " + path.get() + " is a base-60 number to YAML 1.1 readers"
                            + " (1:30 is 90) but a string to others; quote it (\"" + text + "\") for a string,"
                            + " or write the number in decimal";
                }
                return null;
            }
            default:
                return null;
        }
    }

    /**
     * What is wrong with a number that a double cannot hold, or {@code null}: one beyond the double
     * range would read as an infinity (a bound of {@code 1e400} that bounds nothing, a feature minimum
     * no value reaches), a non-zero one below it as 0 (which turns a distribution bound off). The one
     * check of both, for the policy file ({@link #check}) and the data files ({@link DocumentParser},
     * which calls it for floats only: it keeps an integer of any length exactly).
     *
     * @param policyFile whether the number is the policy file's, whose keys may be left out for no bound
     */
    static String outOfRange(JsonParser p, JsonToken token, Supplier<String> path, boolean policyFile)
            throws IOException {
        double d;
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            d = p.getDoubleValue();
        } else if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            d = p.getBigIntegerValue().doubleValue();
        } else {
            return null;
        }
        if (Double.isFinite(d) && d != 0) {
            return null; // the common case: no text needed (a data file may hold a million numbers)
        }
        String text = p.getText();
        if (!Double.isFinite(d)) {
            return "number " + text + " at " + path.get() + " is out of range (not a finite 64-bit floating point"
                    + " number, whose largest is about 1.8e308); write a smaller number"
                    + (policyFile ? ", or leave the key out for no bound where the key allows it" : "");
        }
        if (NumberText.underflows(d, text)) {
            return "number " + text + " at " + path.get() + " is too close to 0 for a 64-bit floating point number"
                    + " and would read as 0 (which turns some checks off); write a larger number, or 0";
        }
        return null;
    }

    /**
     * An alias ({@code *m}): Jackson's YAML reader does not resolve it but hands on the anchor's name
     * as a string, so a deny rule's {@code callers: [*m]} would name a caller "m" rather than the
     * value anchored as {@code &m}.
     */
    private static String alias(String anchor, String path) {
        return "YAML alias *" + anchor + " at " + path + ": this YAML reader takes it for the string \"" + anchor
                + "\", not the value anchored as &" + anchor + "; aliases are not supported in a policy file, repeat the"
                + " value instead";
    }

    private static String ambiguousBoolean(String text, String path) {
        boolean value = "yYoO".indexOf(text.charAt(0)) >= 0 && !text.equalsIgnoreCase("off");
        return "unquoted " + text + " at " + path + " is the boolean " + value + " to some YAML readers and the"
                + " string \"" + text + "\" to others; write " + value + " for a boolean, or quote it (\""
                + text + "\") for a string";
    }

    /** Whether YAML 1.2 or go-yaml reads this plain scalar as a number. */
    private static boolean looksNumeric(String text) {
        if (text.isEmpty() || "+-.0123456789".indexOf(text.charAt(0)) < 0) {
            return false; // go-yaml only tries numbers for these first characters
        }
        String go = text.charAt(0) == '.' ? text : text.replace("_", "");
        return GO_INT.matcher(go).matches() || FLOAT.matcher(go).matches();
    }

    /** Whether a plain key means the same key to every reader (OPA turns typed keys into strings). */
    private static boolean keyAgrees(String key) {
        if (key.equals("true") || key.equals("false") || DECIMAL_KEY.matcher(key).matches() && !key.equals("-0")) {
            return true;
        }
        return !BOOLEANS.contains(key) && !OTHER_BOOLEANS.contains(key) && !NULLS.contains(key)
                && !looksNumeric(key) && !SEXAGESIMAL.matcher(key).matches();
    }

    /** Whether the current scalar is plain and carries no explicit tag. */
    private static boolean plain(JsonParser p) {
        return !(p instanceof StyleParser s) || s.plain();
    }

    private static final class StyleFactory extends YAMLFactory {
        private static final long serialVersionUID = 1L;

        StyleFactory(YAMLFactoryBuilder builder) {
            super(builder);
        }

        @Override
        protected YAMLParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
            return new StyleParser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec,
                    _createReader(data, offset, len, null, ctxt));
        }
    }

    private static final class StyleParser extends YAMLParser {
        StyleParser(IOContext ctxt, int parserFeatures, int formatFeatures, LoaderOptions options, ObjectCodec codec,
                Reader reader) {
            super(ctxt, parserFeatures, formatFeatures, options, codec, reader);
        }

        boolean plain() {
            return !(_lastEvent instanceof ScalarEvent e) || e.isPlain() && e.getTag() == null;
        }
    }
}
