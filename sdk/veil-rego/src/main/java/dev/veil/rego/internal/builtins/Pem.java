package dev.veil.rego.internal.builtins;

/**
 * PEM blocks as Go's {@code encoding/pem.Decode} finds them: the first well-formed
 * {@code -----BEGIN TYPE-----} ... {@code -----END TYPE-----} block (text before it is skipped,
 * RFC 1421 headers are ignored, a block whose body is not base64 is skipped), and what follows it.
 */
final class Pem {

    /** One block: its type, its decoded bytes, and the text after its END line. */
    record Block(String type, byte[] bytes, String rest) {
    }

    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END ";
    private static final String DASHES = "-----";

    private Pem() {
    }

    /** The first block in {@code data}, or null when there is none (as Go returns a nil block). */
    static Block decode(String data) {
        int from = 0;
        while (true) {
            int start = data.startsWith(BEGIN, from) ? from : data.indexOf("\n" + BEGIN, from);
            if (start < 0) {
                return null;
            }
            if (data.charAt(start) == '\n') {
                start++;
            }
            int typeStart = start + BEGIN.length();
            int lineEnd = data.indexOf('\n', typeStart);
            String typeLine = (lineEnd < 0 ? data.substring(typeStart) : data.substring(typeStart, lineEnd))
                    .stripTrailing();
            if (lineEnd < 0 || !typeLine.endsWith(DASHES)) {
                from = typeStart;
                continue;
            }
            String type = typeLine.substring(0, typeLine.length() - DASHES.length());
            String endMarker = END + type + DASHES;
            int bodyStart = lineEnd + 1;
            int endIdx = data.indexOf(endMarker, bodyStart);
            if (endIdx < 0) {
                from = typeStart;
                continue;
            }
            String body = data.substring(bodyStart, endIdx);
            body = skipHeaders(body);
            byte[] bytes = decodeBody(body);
            int after = endIdx + endMarker.length();
            int nl = data.indexOf('\n', after);
            String tail = nl < 0 ? data.substring(after) : data.substring(after, nl);
            if (!tail.isBlank()) {
                from = typeStart;
                continue;
            }
            String rest = nl < 0 ? "" : data.substring(nl + 1);
            if (bytes == null) {
                from = typeStart;
                continue;
            }
            return new Block(type, bytes, rest);
        }
    }

    /** Every block in {@code data}, in order. */
    static java.util.List<Block> decodeAll(String data) {
        java.util.List<Block> out = new java.util.ArrayList<>();
        String rest = data;
        while (true) {
            Block b = decode(rest);
            if (b == null) {
                return out;
            }
            out.add(b);
            rest = b.rest();
        }
    }

    private static String skipHeaders(String body) {
        int nl = body.indexOf('\n');
        String first = nl < 0 ? body : body.substring(0, nl);
        if (!first.contains(":")) {
            return body;
        }
        int blank = body.indexOf("\n\n");
        if (blank < 0) {
            blank = body.indexOf("\r\n\r\n");
            return blank < 0 ? "" : body.substring(blank + 4);
        }
        return body.substring(blank + 2);
    }

    private static byte[] decodeBody(String body) {
        StringBuilder b = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                b.append(c);
            }
        }
        try {
            return GoBase64.decodeStd(b.toString());
        } catch (GoBase64.DecodeException e) {
            return null;
        }
    }

    /** A PEM block as text, 64 columns, as Go's {@code pem.Encode} writes it. */
    static String encode(String type, byte[] der) {
        String b64 = java.util.Base64.getEncoder().encodeToString(der);
        StringBuilder s = new StringBuilder().append(BEGIN).append(type).append(DASHES).append('\n');
        for (int i = 0; i < b64.length(); i += 64) {
            s.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
        }
        return s.append(END).append(type).append(DASHES).append('\n').toString();
    }
}
