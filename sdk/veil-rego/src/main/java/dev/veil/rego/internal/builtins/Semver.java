package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.bool;
import static dev.veil.rego.internal.builtins.Operands.string;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code semver.is_valid} and {@code semver.compare} as OPA's internal semver package (a fork of
 * coreos/go-semver): {@code MAJOR.MINOR.PATCH[-pre.release][+build]}, build metadata ignored when comparing,
 * pre-release identifiers compared numerically when both are numbers, else as strings.
 */
public final class Semver {
    private Semver() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("semver.is_valid", 1, (a, c) -> bool(a[0] instanceof StringValue s && parse(s.value()) != null)),
            Builtin.of("semver.compare", 2, Semver::compare));

    private static final Pattern IDENTIFIER = Pattern.compile("^[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*$");
    private static final Pattern INT = Pattern.compile("[+-]?[0-9]+");

    /** A parsed version: major, minor, patch and the pre-release text (empty for none). */
    record Version(long major, long minor, long patch, String pre) {
    }

    /** Parses a version, or returns null when it is not one. */
    static Version parse(String v) {
        String version = v;
        int plus = version.indexOf('+');
        String metadata = "";
        if (plus >= 0) {
            metadata = version.substring(plus + 1);
            version = version.substring(0, plus);
        }
        int dash = version.indexOf('-');
        String pre = "";
        if (dash >= 0) {
            pre = version.substring(dash + 1);
            version = version.substring(0, dash);
        }
        String[] parts = version.split("\\.", 3);
        if (parts.length != 3) {
            return null;
        }
        if ((!pre.isEmpty() && !IDENTIFIER.matcher(pre).matches())
                || (!metadata.isEmpty() && !IDENTIFIER.matcher(metadata).matches())) {
            return null;
        }
        long[] nums = new long[3];
        for (int i = 0; i < 3; i++) {
            if (!INT.matcher(parts[i]).matches()) {
                return null;
            }
            try {
                nums[i] = Long.parseLong(parts[i].startsWith("+") ? parts[i].substring(1) : parts[i]);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return new Version(nums[0], nums[1], nums[2], pre);
    }

    static int compare(Version a, Version b) {
        int c = Long.compare(a.major(), b.major());
        if (c == 0) {
            c = Long.compare(a.minor(), b.minor());
        }
        if (c == 0) {
            c = Long.compare(a.patch(), b.patch());
        }
        if (c != 0) {
            return Integer.signum(c);
        }
        if (a.pre().isEmpty() && !b.pre().isEmpty()) {
            return 1;
        }
        if (b.pre().isEmpty() && !a.pre().isEmpty()) {
            return -1;
        }
        String[] x = a.pre().isEmpty() ? new String[0] : a.pre().split("\\.", -1);
        String[] y = b.pre().isEmpty() ? new String[0] : b.pre().split("\\.", -1);
        for (int i = 0; ; i++) {
            if (i == x.length) {
                return i == y.length ? 0 : -1;
            }
            if (i == y.length) {
                return 1;
            }
            Long xi = atoi(x[i]);
            Long yi = atoi(y[i]);
            if (xi != null && yi == null) {
                return -1;
            }
            if (xi == null && yi != null) {
                return 1;
            }
            if (xi != null) {
                int n = Long.compare(xi, yi);
                if (n != 0) {
                    return Integer.signum(n);
                }
            } else {
                int s = StringValue.compareCodePoints(x[i], y[i]);
                if (s != 0) {
                    return Integer.signum(s);
                }
            }
        }
    }

    private static Long atoi(String s) {
        if (!INT.matcher(s).matches()) {
            return null;
        }
        try {
            return Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Value compare(Value[] a, BuiltinContext ctx) {
        String name = "semver.compare";
        String x = string(name, a, 1);
        String y = string(name, a, 2);
        Version vx = parse(x);
        if (vx == null) {
            throw new BuiltinError(name, "operand 1: string " + a[0] + " is not a valid SemVer");
        }
        Version vy = parse(y);
        if (vy == null) {
            throw new BuiltinError(name, "operand 2: string " + a[1] + " is not a valid SemVer");
        }
        return NumberValue.of(compare(vx, vy));
    }
}
