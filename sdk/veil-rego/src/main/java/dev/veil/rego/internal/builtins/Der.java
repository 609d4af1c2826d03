package dev.veil.rego.internal.builtins;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A minimal DER reader for the structures the JDK does not parse itself (PKCS #1 keys, certificate
 * requests, X.500 names). Malformed input raises {@link IllegalArgumentException} with Go's
 * {@code asn1: structure error: ...} wording.
 */
final class Der {

    /** One TLV: tag byte, the whole encoding and the content. */
    record Tlv(int tag, byte[] encoded, byte[] content) {

        /** The children of a constructed value. */
        List<Tlv> children() {
            List<Tlv> out = new ArrayList<>();
            int pos = 0;
            while (pos < content.length) {
                Tlv t = read(content, pos);
                out.add(t);
                pos += t.encoded.length;
            }
            return out;
        }

        BigInteger integer() {
            if (tag != 0x02) {
                throw structure("tags don't match (2 vs " + tag + ")");
            }
            return new BigInteger(content);
        }

        /** An object identifier in dotted form. */
        String oid() {
            StringBuilder b = new StringBuilder();
            long v = 0;
            boolean first = true;
            for (byte x : content) {
                v = v << 7 | (x & 0x7f);
                if ((x & 0x80) == 0) {
                    if (first) {
                        long a = Math.min(2, v / 40);
                        b.append(a).append('.').append(v - 40 * a);
                        first = false;
                    } else {
                        b.append('.').append(v);
                    }
                    v = 0;
                }
            }
            return b.toString();
        }

        /** A string type's text (UTF-8 for UTF8String/PrintableString/IA5String, UCS-2 for BMPString). */
        String text() {
            if (tag == 0x1e) {
                return new String(content, StandardCharsets.UTF_16BE);
            }
            return new String(content, tag == 0x14 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        }
    }

    private Der() {
    }

    /** The single value that must fill {@code der} entirely. */
    static Tlv parse(byte[] der) {
        Tlv t = read(der, 0);
        if (t.encoded.length != der.length) {
            throw new IllegalArgumentException("asn1: syntax error: trailing data");
        }
        return t;
    }

    static Tlv read(byte[] b, int pos) {
        if (pos + 2 > b.length) {
            throw structure("data truncated");
        }
        int tag = b[pos] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            throw structure("multi-byte tags are not supported");
        }
        int len = b[pos + 1] & 0xff;
        int hdr = 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n == 0 || n > 4 || pos + 2 + n > b.length) {
                throw structure("length too large");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = len << 8 | (b[pos + 2 + i] & 0xff);
            }
            if (len < 0) {
                throw structure("length too large");
            }
            hdr += n;
        }
        if (pos + hdr + len > b.length || pos + hdr + len < 0) {
            throw structure("data truncated");
        }
        return new Tlv(tag, Arrays.copyOfRange(b, pos, pos + hdr + len),
                Arrays.copyOfRange(b, pos + hdr, pos + hdr + len));
    }

    static IllegalArgumentException structure(String detail) {
        return new IllegalArgumentException("asn1: structure error: " + detail);
    }
}
