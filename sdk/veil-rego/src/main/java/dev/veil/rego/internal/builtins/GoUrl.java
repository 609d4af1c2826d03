package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.Values;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The parts of Go's {@code net/url.Parse} that request signing needs: the host, the escaped path and
 * the raw query, with Go's acceptance rules and error messages ({@code parse "u": invalid URL escape
 * "%zz"}, {@code invalid port ":x" after host}...). Go works on UTF-8 bytes; every structural
 * character is ASCII, so the scan runs on chars and only escaping and unescaping go through bytes.
 *
 * @param scheme   the scheme, lower-cased ({@code ""} when absent)
 * @param host     the host and port, unescaped ({@code ""} when there is no authority)
 * @param rawPath  the path as written (still escaped)
 * @param rawQuery the query after {@code ?}, as written, without the fragment
 */
record GoUrl(String scheme, String host, String rawPath, String rawQuery) {

    /** A URL Go refuses; the message is Go's {@code url.Error} text. */
    static final class ParseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ParseException(String url, String reason) {
            super(quoted("parse ", url, ": " + reason), null, false, false);
        }
    }

    /** An error inside the parse, before the URL is attached. */
    private static final class Reason extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Reason(String message) {
            super(message, null, false, false);
        }
    }

    private enum Mode { PATH, HOST, ZONE, USER_PASSWORD, FRAGMENT }

    /**
     * Parses {@code raw} as Go's {@code url.Parse} does.
     *
     * @throws ParseException with Go's message when Go would refuse it
     */
    static GoUrl parse(String raw) {
        int hash = raw.indexOf('#');
        String u = hash < 0 ? raw : raw.substring(0, hash);
        GoUrl url;
        try {
            url = parseNoFragment(u);
        } catch (Reason r) {
            throw new ParseException(u, r.getMessage());
        }
        if (hash >= 0) {
            try {
                unescape(raw.substring(hash + 1), Mode.FRAGMENT);
            } catch (Reason r) {
                throw new ParseException(raw, r.getMessage());
            }
        }
        return url;
    }

    /** Go's {@code URL.EscapedPath()}: the path as written when it is validly escaped, else re-escaped. */
    String escapedPath() {
        if (validEncoded(rawPath)) {
            return rawPath;
        }
        return escape(unescape(rawPath, Mode.PATH));
    }

    private static GoUrl parseNoFragment(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < ' ' || c == 0x7f) {
                throw new Reason("net/url: invalid control character in URL");
            }
        }
        if (raw.equals("*")) {
            return new GoUrl("", "", "*", "");
        }
        String scheme = "";
        String rest = raw;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                continue;
            }
            if (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
                if (i == 0) {
                    break;
                }
                continue;
            }
            if (c == ':') {
                if (i == 0) {
                    throw new Reason("missing protocol scheme");
                }
                scheme = raw.substring(0, i).toLowerCase(java.util.Locale.ROOT);
                rest = raw.substring(i + 1);
            }
            break;
        }
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            if (q == rest.length() - 1) {
                rest = rest.substring(0, q); // ForceQuery: an empty query
            } else {
                query = rest.substring(q + 1);
                rest = rest.substring(0, q);
            }
        }
        if (!rest.startsWith("/")) {
            if (!scheme.isEmpty()) {
                return new GoUrl(scheme, "", "", query); // opaque: no host, no path
            }
            int slash = rest.indexOf('/');
            String segment = slash < 0 ? rest : rest.substring(0, slash);
            if (segment.contains(":")) {
                throw new Reason("first path segment in URL cannot contain colon");
            }
        }
        String host = "";
        if ((!scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
            String authority = rest.substring(2);
            rest = "";
            int slash = authority.indexOf('/');
            if (slash >= 0) {
                rest = authority.substring(slash);
                authority = authority.substring(0, slash);
            }
            host = parseAuthority(authority);
        }
        unescape(rest, Mode.PATH);
        return new GoUrl(scheme, host, rest, query);
    }

    private static String parseAuthority(String authority) {
        int at = authority.lastIndexOf('@');
        String host = parseHost(at < 0 ? authority : authority.substring(at + 1));
        if (at < 0) {
            return host;
        }
        String userinfo = authority.substring(0, at);
        for (int i = 0; i < userinfo.length(); i++) {
            char c = userinfo.charAt(i);
            if (!(isAlnum(c) || "-._:~!$&'()*+,;=%@".indexOf(c) >= 0)) {
                throw new Reason("net/url: invalid userinfo");
            }
        }
        int colon = userinfo.indexOf(':');
        if (colon < 0) {
            unescape(userinfo, Mode.USER_PASSWORD);
        } else {
            unescape(userinfo.substring(0, colon), Mode.USER_PASSWORD);
            unescape(userinfo.substring(colon + 1), Mode.USER_PASSWORD);
        }
        return host;
    }

    private static String parseHost(String host) {
        if (host.startsWith("[")) {
            int close = host.lastIndexOf(']');
            if (close < 0) {
                throw new Reason("missing ']' in host");
            }
            String colonPort = host.substring(close + 1);
            if (!validOptionalPort(colonPort)) {
                throw new Reason(quoted("invalid port ", colonPort, " after host"));
            }
            int zone = host.substring(0, close).indexOf("%25");
            if (zone >= 0) {
                return unescape(host.substring(0, zone), Mode.HOST)
                        + unescape(host.substring(zone, close), Mode.ZONE)
                        + unescape(host.substring(close), Mode.HOST);
            }
        } else {
            int colon = host.lastIndexOf(':');
            if (colon >= 0) {
                String colonPort = host.substring(colon);
                if (!validOptionalPort(colonPort)) {
                    throw new Reason(quoted("invalid port ", colonPort, " after host"));
                }
            }
        }
        return unescape(host, Mode.HOST);
    }

    private static boolean validOptionalPort(String port) {
        if (port.isEmpty()) {
            return true;
        }
        if (port.charAt(0) != ':') {
            return false;
        }
        for (int i = 1; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code unescape}: checks escapes (and host characters), returns the decoded text. */
    private static String unescape(String s, Mode mode) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length);
        for (int i = 0; i < b.length; ) {
            int c = b[i] & 0xff;
            if (c == '%') {
                if (i + 2 >= b.length || !isHex(b[i + 1]) || !isHex(b[i + 2])) {
                    int end = Math.min(b.length, i + 3);
                    throw new Reason(quoted("invalid URL escape ", latin(b, i, end), ""));
                }
                int v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                boolean pct25 = b[i + 1] == '2' && b[i + 2] == '5';
                if (mode == Mode.HOST && unhex(b[i + 1]) < 8 && !pct25) {
                    throw new Reason(quoted("invalid URL escape ", latin(b, i, i + 3), ""));
                }
                if (mode == Mode.ZONE && !pct25 && v != ' ' && shouldEscape(v, Mode.HOST)) {
                    throw new Reason(quoted("invalid URL escape ", latin(b, i, i + 3), ""));
                }
                out.write(v);
                i += 3;
            } else {
                if ((mode == Mode.HOST || mode == Mode.ZONE) && c < 0x80 && shouldEscape(c, mode)) {
                    throw new Reason(quoted("invalid character ", String.valueOf((char) c), " in host name"));
                }
                out.write(c);
                i++;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String latin(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.UTF_8);
    }

    /** Go's {@code validEncoded(s, encodePath)}. */
    private static boolean validEncoded(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("!$&'()*+,;=:@[]%".indexOf(c) >= 0) {
                continue;
            }
            if (c >= 0x80 || shouldEscape(c, Mode.PATH)) {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code escape(s, encodePath)}: unsafe bytes as upper-case {@code %XX}. */
    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (shouldEscape(c, Mode.PATH)) {
                out.append('%').append("0123456789ABCDEF".charAt(c >> 4)).append("0123456789ABCDEF".charAt(c & 15));
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
    }

    /** Go's {@code shouldEscape} for the modes used here. */
    private static boolean shouldEscape(int c, Mode mode) {
        if (c < 0x80 && isAlnum((char) c)) {
            return false;
        }
        if ((mode == Mode.HOST || mode == Mode.ZONE) && "!$&'()*+,;=:[]<>\"".indexOf(c) >= 0 && c < 0x80) {
            return false;
        }
        if (c == '-' || c == '_' || c == '.' || c == '~') {
            return false;
        }
        if (c < 0x80 && "$&+,/:;=?@".indexOf(c) >= 0) {
            return switch (mode) {
                case PATH -> c == '?';
                case USER_PASSWORD -> c == '@' || c == '/' || c == '?' || c == ':';
                case FRAGMENT -> false;
                default -> true;
            };
        }
        if (mode == Mode.FRAGMENT && c < 0x80 && "!()*".indexOf(c) >= 0) {
            return false;
        }
        return true;
    }

    private static boolean isAlnum(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }

    private static boolean isHex(byte b) {
        return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F';
    }

    private static int unhex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        return b - 'A' + 10;
    }

    /** {@code prefix + strconv.Quote(s) + suffix}. */
    private static String quoted(String prefix, String s, String suffix) {
        StringBuilder b = new StringBuilder(prefix);
        Values.appendGoQuoted(b, s);
        return b.append(suffix).toString();
    }
}
