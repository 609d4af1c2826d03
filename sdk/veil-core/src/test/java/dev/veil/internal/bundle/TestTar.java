package dev.veil.internal.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/** A small tar writer for hand-built (including hostile) archives. Not thread-safe. */
final class TestTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TestTar file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    TestTar file(String name, byte[] content) {
        return entry(name, '0', content, "");
    }

    TestTar dir(String name) {
        return entry(name, '5', new byte[0], "");
    }

    TestTar entry(String name, char type, byte[] content, String linkName) {
        raw(header(name, type, content.length, linkName, ""));
        return content(content);
    }

    /** A ustar header whose name is split into prefix and name. */
    TestTar ustarSplit(String prefix, String name, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        raw(header(name, '0', bytes.length, "", prefix));
        return content(bytes);
    }

    /** A header that announces {@code size} bytes; the content is not written. */
    TestTar headerOnly(String name, char type, long size) {
        return raw(header(name, type, size, "", ""));
    }

    TestTar paxPath(String path) {
        byte[] records = paxRecord("path", path);
        raw(header("PaxHeaders/x", 'x', records.length, "", ""));
        return content(records);
    }

    TestTar paxRecords(char type, byte[] records) {
        raw(header("PaxHeaders/x", type, records.length, "", ""));
        return content(records);
    }

    TestTar gnuLongName(String name) {
        byte[] bytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        raw(header("././@LongLink", 'L', bytes.length, "", ""));
        return content(bytes);
    }

    TestTar content(byte[] content) {
        raw(content);
        int pad = (512 - content.length % 512) % 512;
        return raw(new byte[pad]);
    }

    TestTar raw(byte[] bytes) {
        out.write(bytes, 0, bytes.length);
        return this;
    }

    TestTar end() {
        return raw(new byte[1024]);
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    byte[] gzipped() {
        return gzip(bytes());
    }

    static byte[] paxRecord(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.getBytes(StandardCharsets.UTF_8).length;
        int total = len + String.valueOf(len).length();
        if (String.valueOf(total).length() != String.valueOf(len).length()) {
            total++;
        }
        return (total + body).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] header(String name, char type, long size, String linkName, String prefix) {
        byte[] h = new byte[512];
        put(h, 0, 100, name);
        put(h, 100, 8, "0000644");
        put(h, 108, 8, "0000000");
        put(h, 116, 8, "0000000");
        put(h, 124, 12, String.format("%011o", size));
        put(h, 136, 12, String.format("%011o", 1_700_000_000L));
        h[156] = (byte) type;
        put(h, 157, 100, linkName);
        put(h, 257, 6, "ustar");
        put(h, 263, 2, "00");
        put(h, 345, 155, prefix);
        fixChecksum(h);
        return h;
    }

    static void fixChecksum(byte[] h) {
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] cs = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(cs, 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
    }

    private static void put(byte[] h, int offset, int length, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        if (b.length > length) {
            throw new IllegalArgumentException("field too long: " + value);
        }
        System.arraycopy(b, 0, h, offset, b.length);
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }
}
