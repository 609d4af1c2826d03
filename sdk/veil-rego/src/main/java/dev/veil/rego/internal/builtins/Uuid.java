package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.str;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code uuid.rfc4122} (a random version 4 UUID, the same for the same key within one evaluation) and
 * {@code uuid.parse} (version, variant and, for versions 1 and 2, the decoded time, node and clock sequence, as
 * OPA's internal uuid package on google/uuid; undefined for anything that is not a UUID).
 */
public final class Uuid {
    private Uuid() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("uuid.rfc4122", 1, Uuid::rfc4122),
            Builtin.of("uuid.parse", 1, Uuid::parse));

    private static Value rfc4122(Value[] a, BuiltinContext ctx) {
        String key = "uuid.rfc4122\u0000" + a[0];
        Object cached = ctx.cache().get(key);
        if (cached instanceof Value v) {
            return v;
        }
        byte[] b = new byte[16];
        ctx.random().nextBytes(b);
        b[8] = (byte) ((b[8] & 0x3f) | 0x80);
        b[6] = (byte) ((b[6] & 0x0f) | 0x40);
        Value v = str(format(b));
        ctx.cache().put(key, v);
        return v;
    }

    static String format(byte[] b) {
        String h = HexFormat.of().formatHex(b);
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                + "-" + h.substring(20);
    }

    /** google/uuid's {@code Parse}: the 16 bytes, or null. */
    static byte[] parseBytes(String s) {
        switch (s.length()) {
            case 36 -> {
            }
            case 45 -> {
                if (!s.regionMatches(true, 0, "urn:uuid:", 0, 9)) {
                    return null;
                }
                s = s.substring(9);
            }
            case 38 -> {
                if (s.charAt(0) != '{' || s.charAt(37) != '}') {
                    return null;
                }
                s = s.substring(1, 37);
            }
            case 32 -> {
                return hex(s);
            }
            default -> {
                return null;
            }
        }
        if (s.charAt(8) != '-' || s.charAt(13) != '-' || s.charAt(18) != '-' || s.charAt(23) != '-') {
            return null;
        }
        return hex(s.substring(0, 8) + s.substring(9, 13) + s.substring(14, 18) + s.substring(19, 23)
                + s.substring(24));
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) {
            int hi = Character.digit(s.charAt(2 * i), 16);
            int lo = Character.digit(s.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0 || s.charAt(2 * i) > 0x7f || s.charAt(2 * i + 1) > 0x7f) {
                return null;
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }

    private static Value parse(Value[] a, BuiltinContext ctx) {
        if (!(a[0] instanceof StringValue s)) {
            throw Operands.typeError("uuid.parse", 1, a[0], "string");
        }
        byte[] u = parseBytes(s.value());
        if (u == null) {
            return null;
        }
        ObjectValue.Builder out = ObjectValue.builder();
        int version = (u[6] & 0xff) >> 4;
        out.put("version", NumberValue.of(version));
        out.put("variant", str(variant(u[8])));
        if (version == 1 || version == 2) {
            long time = ((long) (u[0] & 0xff) << 24 | (u[1] & 0xff) << 16 | (u[2] & 0xff) << 8 | (u[3] & 0xff))
                    | ((long) ((u[4] & 0xff) << 8 | (u[5] & 0xff)) << 32)
                    | ((long) (((u[6] & 0xff) << 8 | (u[7] & 0xff)) & 0xfff) << 48);
            long g1582ns100 = (2440587L - 2299160L) * 86400L * 10_000_000L;
            long t = time - g1582ns100;
            long sec = t / 10_000_000L;
            long nsec = (t % 10_000_000L) * 100;
            out.put("time", NumberValue.of(sec * 1_000_000_000L + nsec));
            StringBuilder node = new StringBuilder();
            for (int i = 10; i < 16; i++) {
                if (i > 10) {
                    node.append('-');
                }
                node.append(HexFormat.of().toHexDigits(u[i]));
            }
            out.put("nodeid", str(node.toString()));
            out.put("macvariables", str(macVars(u[10])));
            out.put("clocksequence", NumberValue.of(((u[8] & 0xff) << 8 | (u[9] & 0xff)) & 0x3fff));
            if (version == 2) {
                out.put("id", NumberValue.of((long) (u[0] & 0xff) << 24 | (u[1] & 0xff) << 16 | (u[2] & 0xff) << 8
                        | (u[3] & 0xff)));
                int d = u[9] & 0xff;
                out.put("domain", str(d == 0 ? "Person" : d == 1 ? "Group" : d == 2 ? "Org" : "Domain" + d));
            }
        }
        return out.build();
    }

    private static String variant(byte b) {
        int x = b & 0xff;
        if ((x & 0xc0) == 0x80) {
            return "RFC4122";
        }
        if ((x & 0xe0) == 0xe0) {
            return "Future";
        }
        if ((x & 0xe0) == 0xc0) {
            return "Microsoft";
        }
        return "Reserved";
    }

    private static String macVars(byte b) {
        if ((b & 3) == 3) {
            return "local:multicast";
        }
        if ((b & 1) == 1) {
            return "global:multicast";
        }
        if ((b & 2) == 2) {
            return "local:unicast";
        }
        return "global:unicast";
    }
}
