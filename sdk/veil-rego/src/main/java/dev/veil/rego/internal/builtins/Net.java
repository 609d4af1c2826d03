package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.bool;
import static dev.veil.rego.internal.builtins.Operands.str;
import static dev.veil.rego.internal.builtins.Operands.string;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code net.cidr_*} builtins as OPA's {@code topdown/cidr.go} on Go's {@code net} package: Go's IP and CIDR
 * syntax (no leading zeros in IPv4 octets, IPv6 with {@code ::} and an embedded IPv4 tail, no zones), IPv4
 * addresses written inside IPv6 ({@code ::ffff:1.2.3.4}) treated as IPv4, and Go's canonical text for
 * results.
 */
public final class Net {
    private Net() {
    }

    /** Expanding more addresses than this is refused (OPA would run until cancelled). */
    static final long MAX_EXPAND = 1L << 20;

    public static final List<Builtin> ALL = List.of(
            Builtin.of("net.cidr_contains", 2, (a, c) -> contains("net.cidr_contains", a[0], a[1])),
            Builtin.of("net.cidr_intersects", 2, Net::intersects),
            Builtin.of("net.cidr_contains_matches", 2, Net::containsMatches),
            Builtin.of("net.cidr_expand", 1, Net::expand),
            Builtin.of("net.cidr_merge", 1, Net::merge),
            Builtin.of("net.lookup_ip_addr", 1, Net::lookupIpAddr),
            Builtin.of("net.cidr_is_valid", 1, (a, c) -> bool(a[0] instanceof StringValue s
                    && parseCidr(s.value()) != null)));

    /** A network: the masked address (4 or 16 bytes) and prefix length. */
    record Cidr(byte[] ip, int prefix) {
        int bits() {
            return ip.length * 8;
        }

        /**
         * Go's {@code IPNet.Contains}: an IPv4-mapped network ({@code ::ffff:a.b.c.d/96+n}) is compared as the
         * IPv4 network {@code a.b.c.d/n} and an IPv4-mapped address as its IPv4 address, so IPv4 and IPv6
         * networks never hold each other's addresses ({@code ::/0} holds no IPv4 address).
         */
        boolean contains(byte[] addr) {
            byte[] nn = to4(ip);
            int bits = nn == null ? prefix : prefix - (ip.length - 4) * 8;
            if (nn == null) {
                nn = ip;
            }
            byte[] x = to4(addr) == null ? addr : to4(addr);
            if (x.length != nn.length) {
                return false;
            }
            byte[] mask = mask(bits, nn.length);
            for (int i = 0; i < nn.length; i++) {
                if ((nn[i] & mask[i]) != (x[i] & mask[i])) {
                    return false;
                }
            }
            return true;
        }

        byte[] last() {
            byte[] mask = mask(prefix, ip.length);
            byte[] l = ip.clone();
            for (int i = 0; i < l.length; i++) {
                l[i] = (byte) (l[i] | ~mask[i]);
            }
            return l;
        }

        @Override
        public String toString() {
            return ipString(ip) + "/" + prefix;
        }
    }

    // ------------------------------------------------------------------ parsing

    static byte[] mask(int prefix, int len) {
        byte[] m = new byte[len];
        for (int i = 0; i < len; i++) {
            int bits = Math.max(0, Math.min(8, prefix - 8 * i));
            m[i] = (byte) (0xff << (8 - bits));
        }
        return m;
    }

    /** Go's {@code net.ParseIP}: 4 bytes for IPv4 text, 16 for IPv6 text, null when invalid. */
    static byte[] parseIp(String s) {
        if (s.indexOf(':') < 0) {
            return parseV4(s);
        }
        return parseV6(s);
    }

    private static byte[] parseV4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int i = 0;
        int n = s.length();
        while (part < 4) {
            if (i >= n) {
                return null;
            }
            int start = i;
            int v = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                v = v * 10 + (s.charAt(i) - '0');
                i++;
                if (i - start > 3 || v > 255) {
                    return null;
                }
            }
            if (i == start || (i - start > 1 && s.charAt(start) == '0')) {
                return null;
            }
            out[part++] = (byte) v;
            if (part < 4) {
                if (i >= n || s.charAt(i) != '.') {
                    return null;
                }
                i++;
            }
        }
        return i == n ? out : null;
    }

    private static byte[] parseV6(String s) {
        byte[] out = new byte[16];
        int ellipsis = -1;
        int i = 0;
        int n = s.length();
        if (n >= 2 && s.charAt(0) == ':' && s.charAt(1) == ':') {
            ellipsis = 0;
            i = 2;
            if (i == n) {
                return out;
            }
        }
        int k = 0;
        while (k < 16) {
            int start = i;
            int v = 0;
            while (i < n && Character.digit(s.charAt(i), 16) >= 0 && i - start < 4) {
                v = v * 16 + Character.digit(s.charAt(i), 16);
                i++;
            }
            if (i < n && Character.digit(s.charAt(i), 16) >= 0) {
                return null; // more than 4 hex digits
            }
            if (i == start) {
                return null;
            }
            if (i < n && s.charAt(i) == '.') {
                if (ellipsis < 0 && k != 12) {
                    return null;
                }
                if (k + 4 > 16) {
                    return null;
                }
                byte[] v4 = parseV4(s.substring(start));
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, k, 4);
                k += 4;
                i = n;
                break;
            }
            out[k] = (byte) (v >> 8);
            out[k + 1] = (byte) v;
            k += 2;
            if (i == n) {
                break;
            }
            if (s.charAt(i) != ':' || i + 1 == n) {
                return null;
            }
            i++;
            if (s.charAt(i) == ':') {
                if (ellipsis >= 0) {
                    return null;
                }
                ellipsis = k;
                i++;
                if (i == n) {
                    break;
                }
            }
        }
        if (i != n) {
            return null;
        }
        if (k < 16) {
            if (ellipsis < 0) {
                return null;
            }
            int nn = k - ellipsis;
            for (int j = nn - 1; j >= 0; j--) {
                out[16 - nn + j] = out[ellipsis + j];
            }
            for (int j = ellipsis; j < 16 - nn; j++) {
                out[j] = 0;
            }
        } else if (ellipsis >= 0) {
            return null;
        }
        return out;
    }

    /** Go's {@code net.ParseCIDR}: the masked network, or null. */
    static Cidr parseCidr(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String addr = s.substring(0, slash);
        String len = s.substring(slash + 1);
        byte[] ip = parseIp(addr);
        if (ip == null || len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)
                || (len.length() > 1 && len.charAt(0) == '0')) {
            return null;
        }
        int prefix = Integer.parseInt(len);
        if (prefix > ip.length * 8) {
            return null;
        }
        byte[] m = mask(prefix, ip.length);
        byte[] net = new byte[ip.length];
        for (int i = 0; i < ip.length; i++) {
            net[i] = (byte) (ip[i] & m[i]);
        }
        return new Cidr(net, prefix);
    }

    static byte[] to4(byte[] ip) {
        if (ip.length == 4) {
            return ip;
        }
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return null;
            }
        }
        if (ip[10] != (byte) 0xff || ip[11] != (byte) 0xff) {
            return null;
        }
        return Arrays.copyOfRange(ip, 12, 16);
    }

    /** Go's {@code net.IP.String}. */
    static String ipString(byte[] ip) {
        byte[] v4 = to4(ip);
        if (v4 != null) {
            return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
        }
        int e0 = -1;
        int e1 = -1;
        for (int i = 0; i < 16; i += 2) {
            int j = i;
            while (j < 16 && ip[j] == 0 && ip[j + 1] == 0) {
                j += 2;
            }
            if (j > i && j - i > e1 - e0) {
                e0 = i;
                e1 = j;
                i = j;
            }
        }
        if (e1 - e0 <= 2) {
            e0 = -1;
            e1 = -1;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i == e0) {
                b.append("::");
                i = e1;
                if (i >= 16) {
                    break;
                }
            } else if (i > 0) {
                b.append(':');
            }
            b.append(Integer.toHexString(((ip[i] & 0xff) << 8) | (ip[i + 1] & 0xff)));
        }
        return b.toString();
    }

    private static Cidr cidrOperand(String name, Value v, int pos) {
        String s = string(name, new Value[] {v}, 1);
        Cidr c = parseCidr(s);
        if (c == null) {
            throw new BuiltinError(name, "invalid CIDR address: " + s);
        }
        return c;
    }

    // ------------------------------------------------------------------ builtins

    private static Value contains(String name, Value a, Value b) {
        Cidr net = cidrOperand(name, a, 1);
        String bs = string(name, new Value[] {b}, 1);
        byte[] ip = parseIp(bs);
        if (ip != null) {
            return bool(net.contains(ip));
        }
        Cidr other = parseCidr(bs);
        if (other == null) {
            throw new BuiltinError(name, "not a valid textual representation of an IP address or CIDR: " + bs);
        }
        return bool(net.contains(other.ip()) && net.contains(other.last()));
    }

    private static Value intersects(Value[] a, BuiltinContext ctx) {
        Cidr x = cidrOperand("net.cidr_intersects", a[0], 1);
        Cidr y = cidrOperand("net.cidr_intersects", a[1], 2);
        return bool(x.contains(y.ip()) || y.contains(x.ip()));
    }

    private static List<Value[]> matchOperand(String name, int pos, Value v) {
        List<Value[]> out = new ArrayList<>();
        if (v instanceof StringValue) {
            out.add(new Value[] {v, v});
        } else if (v instanceof ArrayValue arr) {
            for (int i = 0; i < arr.size(); i++) {
                out.add(new Value[] {matchTerm(name, pos, arr.get(i)), NumberValue.of(i)});
            }
        } else if (v instanceof SetValue set) {
            for (Value e : set.elements()) {
                out.add(new Value[] {matchTerm(name, pos, e), e});
            }
        } else if (v instanceof ObjectValue obj) {
            for (Value k : obj.keys()) {
                out.add(new Value[] {matchTerm(name, pos, obj.get(k)), k});
            }
        }
        return out;
    }

    private static Value matchTerm(String name, int pos, Value v) {
        if (v instanceof StringValue) {
            return v;
        }
        if (v instanceof ArrayValue arr && arr.size() > 0) {
            return arr.get(0);
        }
        throw new BuiltinError(name, "operand " + pos + ": element must be string or non-empty array");
    }

    private static Value containsMatches(Value[] a, BuiltinContext ctx) {
        String name = "net.cidr_contains_matches";
        List<Value[]> xs = matchOperand(name, 1, a[0]);
        List<Value[]> ys = matchOperand(name, 2, a[1]);
        SetValue.Builder out = SetValue.builder();
        for (Value[] x : xs) {
            for (Value[] y : ys) {
                if (contains(name, x[0], y[0]) == bool(true)) {
                    out.add(ArrayValue.of(x[1], y[1]));
                }
            }
        }
        return out.build();
    }

    private static Value expand(Value[] a, BuiltinContext ctx) {
        String name = "net.cidr_expand";
        Cidr c = cidrOperand(name, a[0], 1);
        int hostBits = c.bits() - c.prefix();
        if (hostBits >= 63 || (1L << hostBits) > MAX_EXPAND) {
            throw new BuiltinError(name, "network " + c + " has more than " + MAX_EXPAND
                    + " addresses: expand a smaller network");
        }
        SetValue.Builder out = SetValue.builder();
        BigInteger first = new BigInteger(1, c.ip());
        for (long i = 0; i < (1L << hostBits); i++) {
            out.add(str(ipString(toBytes(first.add(BigInteger.valueOf(i)), c.ip().length))));
        }
        return out.build();
    }

    private static byte[] toBytes(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[len];
        int n = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - n, out, len - n, n);
        return out;
    }

    /**
     * {@code net.lookup_ip_addr}: an IP literal gives itself; a name is resolved through the JVM's resolver
     * (hosts file, then DNS), once per evaluation.
     */
    private static Value lookupIpAddr(Value[] a, BuiltinContext ctx) {
        String name = "net.lookup_ip_addr";
        String host = string(name, a, 1);
        String key = name + "\u0000" + host;
        if (ctx.cache().get(key) instanceof Value cached) {
            return cached;
        }
        SetValue.Builder out = SetValue.builder();
        byte[] literal = parseIp(host);
        if (literal != null) {
            out.add(str(ipString(literal)));
        } else {
            if (host.isEmpty() || host.indexOf('%') >= 0 || host.indexOf(' ') >= 0) {
                throw new BuiltinError(name, "lookup " + host + ": no such host");
            }
            try {
                for (java.net.InetAddress addr : java.net.InetAddress.getAllByName(host)) {
                    out.add(str(ipString(addr.getAddress())));
                }
            } catch (java.net.UnknownHostException | SecurityException e) {
                throw new BuiltinError(name, "lookup " + host + ": no such host");
            }
        }
        Value v = out.build();
        ctx.cache().put(key, v);
        return v;
    }

    // ------------------------------------------------------------------ merge

    private static Value merge(Value[] a, BuiltinContext ctx) {
        String name = "net.cidr_merge";
        List<Value> elems;
        if (a[0] instanceof ArrayValue arr) {
            elems = arr.asList();
        } else if (a[0] instanceof SetValue set) {
            elems = set.elements();
        } else {
            throw new BuiltinError(name, "operand must be an array");
        }
        List<BigInteger[]> v4 = new ArrayList<>();
        List<BigInteger[]> v6 = new ArrayList<>();
        List<Cidr> v4Nets = new ArrayList<>();
        List<Cidr> v6Nets = new ArrayList<>();
        for (Value e : elems) {
            if (!(e instanceof StringValue s)) {
                throw new BuiltinError(name, "element must be string");
            }
            Cidr c;
            byte[] ip = parseIp(s.value());
            if (ip == null) {
                c = parseCidr(s.value());
                if (c == null) {
                    throw new BuiltinError(name, "invalid CIDR address: " + s.value());
                }
            } else if (to4(ip) != null) {
                byte[] four = to4(ip);
                int cls = (four[0] & 0xff) < 0x80 ? 8 : (four[0] & 0xff) < 0xC0 ? 16 : 24;
                c = new Cidr(four, cls);
                // Go keeps the unmasked address with the classful mask
                byte[] m = mask(cls, 4);
                byte[] masked = new byte[4];
                for (int i = 0; i < 4; i++) {
                    masked[i] = (byte) (four[i] & m[i]);
                }
                c = new Cidr(masked, cls);
            } else {
                throw new BuiltinError(name, "IPv6 invalid: needs prefix length");
            }
            BigInteger[] range = {new BigInteger(1, c.ip()), new BigInteger(1, c.last())};
            if (c.ip().length == 4) {
                v4.add(range);
                v4Nets.add(c);
            } else {
                v6.add(range);
                v6Nets.add(c);
            }
        }
        SetValue.Builder out = SetValue.builder();
        mergeFamily(v4, 4, out);
        mergeFamily(v6, 16, out);
        return out.build();
    }

    private static void mergeFamily(List<BigInteger[]> ranges, int len, SetValue.Builder out) {
        if (ranges.isEmpty()) {
            return;
        }
        ranges.sort((x, y) -> {
            int c = x[0].compareTo(y[0]);
            return c != 0 ? c : y[1].compareTo(x[1]);
        });
        List<BigInteger[]> merged = new ArrayList<>();
        BigInteger[] cur = ranges.get(0).clone();
        for (int i = 1; i < ranges.size(); i++) {
            BigInteger[] r = ranges.get(i);
            if (r[0].compareTo(cur[1].add(BigInteger.ONE)) <= 0) {
                if (r[1].compareTo(cur[1]) > 0) {
                    cur[1] = r[1];
                }
            } else {
                merged.add(cur);
                cur = r.clone();
            }
        }
        merged.add(cur);
        int bits = len * 8;
        for (BigInteger[] r : merged) {
            BigInteger first = r[0];
            BigInteger last = r[1];
            while (first.compareTo(last) <= 0) {
                int host = first.signum() == 0 ? bits : first.getLowestSetBit();
                host = Math.min(host, bits);
                while (host > 0 && first.add(BigInteger.ONE.shiftLeft(host)).subtract(BigInteger.ONE)
                        .compareTo(last) > 0) {
                    host--;
                }
                out.add(str(new Cidr(toBytes(first, len), bits - host).toString()));
                first = first.add(BigInteger.ONE.shiftLeft(host));
            }
        }
    }
}
