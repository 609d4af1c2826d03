package dev.veil.rego.internal.builtins;

import java.io.ByteArrayOutputStream;
import java.util.Base64;

/**
 * Base64 as Go's {@code encoding/base64} decodes it, so that errors read exactly as OPA's
 * ({@code illegal base64 data at input byte 13}): the standard or URL alphabet, padding required,
 * CR and LF skipped. Decoding returns null and reports the offset through {@link #errorOffset}.
 */
final class GoBase64 {
    private static final int[] STD = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    private static final int[] URL = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private GoBase64() {
    }

    private static int[] table(String alphabet) {
        int[] t = new int[128];
        java.util.Arrays.fill(t, -1);
        for (int i = 0; i < alphabet.length(); i++) {
            t[alphabet.charAt(i)] = i;
        }
        return t;
    }

    /** Thrown for undecodable input; the message is Go's. */
    static final class DecodeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DecodeException(int offset) {
            super("illegal base64 data at input byte " + offset, null, false, false);
        }
    }

    /** Go's {@code base64.StdEncoding.DecodeString}. */
    static byte[] decodeStd(String s) {
        return decode(s, STD);
    }

    /** Go's {@code base64.URLEncoding.DecodeString} (padded). */
    static byte[] decodeUrl(String s) {
        return decode(s, URL);
    }

    /**
     * OPA's {@code base64url.decode}: adds the padding that some encoders omit (RFC 7515 appendix C),
     * then decodes with padding.
     */
    static byte[] decodeUrlLenient(String s) {
        if (!s.endsWith("=")) {
            switch (s.length() % 4) {
                case 0:
                    break;
                case 2:
                    s += "==";
                    break;
                case 3:
                    s += "=";
                    break;
                default:
                    throw new IllegalArgumentException("illegal base64url string: " + s);
            }
        }
        return decodeUrl(s);
    }

    /** Unpadded base64url, as JWS uses. */
    static String encodeUrlRaw(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static byte[] decode(String s, int[] table) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() * 3 / 4);
        int si = 0;
        int n = s.length();
        int[] quantum = new int[4];
        while (true) {
            int j = 0;
            while (j < 4) {
                if (si == n) {
                    if (j == 0) {
                        return out.toByteArray();
                    }
                    throw new DecodeException(si - j);
                }
                char c = s.charAt(si++);
                if (c == '\r' || c == '\n') {
                    continue;
                }
                if (c == '=') {
                    // Padding: only in the last two places of a quantum, then nothing but new lines.
                    if (j < 2) {
                        throw new DecodeException(si - 1);
                    }
                    if (j == 2) {
                        while (si < n && (s.charAt(si) == '\r' || s.charAt(si) == '\n')) {
                            si++;
                        }
                        if (si == n) {
                            throw new DecodeException(n);
                        }
                        if (s.charAt(si) != '=') {
                            throw new DecodeException(si - 1);
                        }
                        si++;
                    }
                    while (si < n && (s.charAt(si) == '\r' || s.charAt(si) == '\n')) {
                        si++;
                    }
                    if (si < n) {
                        throw new DecodeException(si);
                    }
                    flush(out, quantum, j);
                    return out.toByteArray();
                }
                int v = c < 128 ? table[c] : -1;
                if (v < 0) {
                    throw new DecodeException(si - 1);
                }
                quantum[j++] = v;
            }
            flush(out, quantum, 4);
        }
    }

    private static void flush(ByteArrayOutputStream out, int[] q, int j) {
        int v = q[0] << 18 | q[1] << 12 | (j > 2 ? q[2] << 6 : 0) | (j > 3 ? q[3] : 0);
        out.write(v >> 16 & 0xff);
        if (j > 2) {
            out.write(v >> 8 & 0xff);
        }
        if (j > 3) {
            out.write(v & 0xff);
        }
    }
}
