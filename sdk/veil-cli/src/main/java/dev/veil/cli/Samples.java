package dev.veil.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import dev.veil.internal.io.StrictGzipInputStream;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import java.util.zip.ZipException;

/**
 * Training samples read lazily from a file, for {@code veil stats}: each iteration step reads one
 * sample, so a file of any size is read in one pass without holding it in memory. Every problem
 * with the file is a {@link CliException} naming the file and, for text formats, the line and
 * column. Iterate once; close when done.
 */
abstract class Samples implements Iterable<double[]>, Closeable {
    final Path file;
    final double scale;
    private final int limit;
    private int read;
    private int features = -1;
    private boolean iterated;

    Samples(Path file, double scale, int limit) {
        this.file = file;
        this.scale = scale;
        this.limit = limit;
    }

    /** Reads the next sample (values already divided by {@link #scale}), or returns null at the end. */
    abstract double[] readNext() throws IOException;

    /** A short description of the samples' layout for the summary, e.g. {@code "28x28 images"}. */
    abstract String layout();

    /** Samples read so far. */
    final int read() {
        return read;
    }

    /** Values per sample, or -1 before the first sample. */
    final int features() {
        return features;
    }

    @Override
    public final Iterator<double[]> iterator() {
        if (iterated) {
            throw new IllegalStateException("samples of " + file + " can be iterated only once");
        }
        iterated = true;
        return new Iterator<>() {
            private double[] next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    if (read >= limit) {
                        done = true;
                    } else {
                        try {
                            next = readNext();
                        } catch (CharacterCodingException e) {
                            throw new CliException(file + ": is not UTF-8 text (after " + read
                                    + " samples); save it as UTF-8", e);
                        } catch (IOException e) {
                            throw new CliException(file + ": cannot be read: " + CliFiles.describe(e), e);
                        }
                        done = next == null;
                    }
                }
                return next != null;
            }

            @Override
            public double[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                double[] x = next;
                next = null;
                read++;
                if (features < 0) {
                    features = x.length;
                }
                return x;
            }
        };
    }

    /**
     * Images in an IDX file (as MNIST and Fashion-MNIST ship them), gzip-compressed or not: a
     * big-endian header of magic {@code 0x00000803} (unsigned bytes, 3 dimensions), the image
     * count, rows and columns, then {@code count * rows * cols} bytes, row by row. Each byte is
     * divided by the scale. Without a limit the file must end right after the last image.
     */
    static final class Idx extends Samples {
        static final int MAGIC_IMAGES = 0x00000803;
        private static final int HEADER_BYTES = 16;

        private final DataInputStream in;
        private final int count;
        private final int rows;
        private final int cols;
        private final boolean checkEnd;

        Idx(Path file, double scale, int limit) {
            super(file, scale, limit);
            CliFiles.requireReadableFile(file, "--idx-images");
            InputStream raw = null;
            try {
                raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                raw.mark(2);
                int b0 = raw.read();
                int b1 = raw.read();
                raw.reset();
                InputStream data = b0 == 0x1f && b1 == 0x8b ? new StrictGzipInputStream(raw) : raw;
                this.in = new DataInputStream(new BufferedInputStream(data, 1 << 16));
                byte[] header = new byte[HEADER_BYTES];
                int got = readFully(header);
                int magic = got >= 4 ? readInt(header, 0) : 0;
                if (got >= 4 && magic != MAGIC_IMAGES) {
                    throw new CliException(file + ": wrong magic number " + hex(magic) + ", expected "
                            + hex(MAGIC_IMAGES) + " (an IDX file of unsigned bytes in 3 dimensions: images)"
                            + magicHint(magic));
                }
                if (got < HEADER_BYTES) {
                    throw new CliException(file + ": truncated: the file ends inside the 16-byte IDX header, after "
                            + got + " bytes");
                }
                this.count = readInt(header, 4);
                this.rows = readInt(header, 8);
                this.cols = readInt(header, 12);
                if (count < 1 || rows < 1 || cols < 1) {
                    throw new CliException(file + ": the IDX header announces " + count + " images of " + rows + "x"
                            + cols + "; every dimension must be at least 1");
                }
                if ((long) rows * cols > Integer.MAX_VALUE - 8) {
                    throw new CliException(file + ": images of " + rows + "x" + cols + " are too large");
                }
                this.checkEnd = limit >= count;
            } catch (ZipException e) {
                closeQuietly(raw);
                throw new CliException(file + ": corrupt gzip data: " + CliFiles.describe(e), e);
            } catch (IOException e) {
                closeQuietly(raw);
                throw new CliException(file + ": cannot be read: " + CliFiles.describe(e), e);
            } catch (RuntimeException e) {
                closeQuietly(raw);
                throw e;
            }
        }

        private static String magicHint(int magic) {
            if (magic == 0x00000801) {
                return "; this is a label file (idx1), pass the images file (idx3)";
            }
            if ((magic >>> 16) == 0x1f8b || (magic >>> 16) == 0x504b) {
                return "; the file looks compressed in a format other than gzip";
            }
            return "";
        }

        @Override
        double[] readNext() throws IOException {
            int index = read();
            if (index >= count) {
                if (checkEnd && in.read() >= 0) {
                    throw new CliException(file + ": has data after the " + count
                            + " images its header announces; the file is not a well-formed IDX file");
                }
                return null;
            }
            int size = rows * cols;
            byte[] buf = new byte[size];
            int got;
            try {
                got = readFully(buf);
            } catch (EOFException e) {
                throw new CliException(file + ": truncated: the gzip data ends inside image " + (index + 1) + " of "
                        + count + " (" + CliFiles.describe(e) + ")", e);
            } catch (ZipException e) {
                throw new CliException(file + ": corrupt gzip data inside image " + (index + 1) + " of " + count
                        + ": " + CliFiles.describe(e), e);
            }
            if (got < size) {
                throw new CliException(file + ": truncated: the header announces " + count + " images of " + rows + "x"
                        + cols + " bytes, but the file ends inside image " + (index + 1) + " (" + got + " of " + size
                        + " bytes)");
            }
            double[] x = new double[size];
            for (int i = 0; i < size; i++) {
                x[i] = (buf[i] & 0xff) / scale;
            }
            return x;
        }

        @Override
        String layout() {
            return rows + "x" + cols + " images; validation shape [" + rows + ", " + cols + "]";
        }

        private int readFully(byte[] buf) throws IOException {
            int n = 0;
            while (n < buf.length) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            return n;
        }

        private static int readInt(byte[] b, int at) {
            return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
        }

        private static String hex(int v) {
            return String.format("0x%08x", v);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Shared by the text formats: numbers checked strictly, positions reported as FILE:LINE:COLUMN. */
    abstract static class Text extends Samples {
        final BufferedReader reader;
        int lineNo;
        String firstDataLine;

        Text(Path file, double scale, int limit, String option) {
            super(file, scale, limit);
            CliFiles.requireReadableFile(file, option);
            try {
                // a strict decoder: malformed UTF-8 is an error, not a replacement character
                this.reader = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file),
                        StandardCharsets.UTF_8.newDecoder()), 1 << 16);
            } catch (IOException e) {
                throw new CliException(file + ": cannot be read: " + CliFiles.describe(e), e);
            }
        }

        /** The next line that is not blank, or null at the end. */
        String nextLine() throws IOException {
            String line;
            do {
                line = reader.readLine();
                if (line == null) {
                    return null;
                }
                lineNo++;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1); // byte order mark
                }
            } while (line.isBlank());
            return line;
        }

        double[] checkLength(double[] x, int column) {
            if (features() >= 0 && x.length != features()) {
                throw new CliException(file + ":" + lineNo + ":" + column + ": ragged rows: this row has " + x.length
                        + " values, but the first row (line " + firstDataLine + ") has " + features()
                        + "; every sample must have the same number of values");
            }
            if (firstDataLine == null) {
                firstDataLine = Integer.toString(lineNo);
            }
            return x;
        }

        /** The value of a finite number, or a CliException naming its position and what is wrong. */
        double finite(double v, String text, int column, int index) {
            if (Double.isNaN(v)) {
                throw new CliException(file + ":" + lineNo + ":" + column + ": value " + (index + 1)
                        + " is NaN; every value must be a finite number (drop or impute missing values first)");
            }
            if (Double.isInfinite(v)) {
                throw new CliException(file + ":" + lineNo + ":" + column + ": value " + (index + 1) + " ('" + text
                        + "') is not finite; every value must be a finite number");
            }
            return v / scale;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    /**
     * Comma-separated numbers, one sample per line; blank lines are skipped, spaces around values
     * ignored. With {@code header} the first non-blank line names the columns: each sample is then
     * returned with its values in name order ({@link String#compareTo}, see {@link #names()}), the
     * order in which {@code Features.named(Map)} puts a request's features.
     */
    static final class Csv extends Text {
        private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
        private static final Pattern NAN = Pattern.compile("[+-]?nan", Pattern.CASE_INSENSITIVE);
        private static final Pattern INF = Pattern.compile("[+-]?inf(inity)?", Pattern.CASE_INSENSITIVE);

        private boolean skipHeader;
        private String[] header; // the columns' names, in the file's order
        private int[] order; // order[k]: the column of the k-th name in name order
        private int headerLine;

        Csv(Path file, double scale, int limit, boolean header) {
            super(file, scale, limit, "--csv");
            this.skipHeader = header;
        }

        /** The columns' names in name order (the order of the samples' values), or null without a header. */
        java.util.List<String> names() {
            if (order == null) {
                return null;
            }
            java.util.List<String> out = new java.util.ArrayList<>(order.length);
            for (int k : order) {
                out.add(header[k]);
            }
            return out;
        }

        @Override
        double[] readNext() throws IOException {
            String line = nextLine();
            if (line != null && skipHeader) {
                skipHeader = false;
                readHeader(line);
                line = nextLine();
            }
            if (line == null) {
                return null;
            }
            String[] fields = line.split(",", -1);
            double[] x = new double[fields.length];
            int column = 1;
            for (int i = 0; i < fields.length; i++) {
                String raw = fields[i];
                String t = raw.strip();
                int at = column + (t.isEmpty() ? 0 : raw.indexOf(t.charAt(0)));
                x[i] = parse(t, at, i);
                column += raw.length() + 1;
            }
            if (order != null) {
                if (x.length != order.length) {
                    throw new CliException(file + ":" + lineNo + ":1: this row has " + x.length + " values, but the "
                            + "header (line " + headerLine + ") names " + order.length + " columns; every row must "
                            + "have one value per column");
                }
                double[] sorted = new double[x.length];
                for (int k = 0; k < order.length; k++) {
                    sorted[k] = x[order[k]];
                }
                x = sorted;
            }
            return checkLength(x, 1);
        }

        /** Reads the columns' names: each non-blank and distinct, since they must match the policy's features. */
        private void readHeader(String line) {
            headerLine = lineNo;
            String[] fields = line.split(",", -1);
            java.util.Map<String, Integer> seen = new java.util.HashMap<>();
            for (int i = 0; i < fields.length; i++) {
                String name = fields[i].strip();
                if (name.isEmpty()) {
                    throw new CliException(file + ":" + lineNo + ": column " + (i + 1) + " of the header has no "
                            + "name; with --header every column must be named as the policy's feature it holds");
                }
                Integer before = seen.putIfAbsent(name, i);
                if (before != null) {
                    throw new CliException(file + ":" + lineNo + ": columns " + (before + 1) + " and " + (i + 1)
                            + " of the header are both named '" + abbreviate(name) + "'; each feature is named once");
                }
                fields[i] = name;
            }
            header = fields;
            order = java.util.stream.IntStream.range(0, fields.length).boxed()
                    .sorted(java.util.Comparator.comparing(k -> fields[k]))
                    .mapToInt(Integer::intValue).toArray();
        }

        private double parse(String t, int column, int index) {
            String where = file + ":" + lineNo + ":" + column + ": value " + (index + 1);
            if (t.isEmpty()) {
                throw new CliException(where + " is empty; every value must be a finite number");
            }
            if (NAN.matcher(t).matches()) {
                return finite(Double.NaN, t, column, index);
            }
            if (INF.matcher(t).matches()) {
                return finite(Double.POSITIVE_INFINITY, t, column, index);
            }
            if (!NUMBER.matcher(t).matches()) {
                String hint = read() == 0 && firstDataLine == null
                        ? " (if the first line names the columns, add --header)"
                        : t.startsWith("\"") ? " (quoted values are not supported: write plain numbers)" : "";
                throw new CliException(where + " ('" + abbreviate(t) + "') is not a number" + hint);
            }
            return finite(Double.parseDouble(t), t, column, index);
        }

        @Override
        String layout() {
            return "CSV rows";
        }
    }

    /** JSON lines: one flat JSON array of numbers per line; blank lines are skipped. */
    static final class JsonLines extends Text {
        private static final JsonFactory FACTORY = JsonFactory.builder()
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // so that NaN gets its own message
                .build();

        JsonLines(Path file, double scale, int limit) {
            super(file, scale, limit, "--jsonl");
        }

        @Override
        double[] readNext() throws IOException {
            String line = nextLine();
            if (line == null) {
                return null;
            }
            double[] x = new double[16];
            int n = 0;
            try (JsonParser p = FACTORY.createParser(line)) {
                JsonToken t = p.nextToken();
                if (t != JsonToken.START_ARRAY) {
                    throw new CliException(file + ":" + lineNo + ":" + column(p)
                            + ": each line must be a JSON array of numbers such as [0.1, 0.5], found " + describe(t));
                }
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t == null) {
                        throw new CliException(file + ":" + lineNo + ": the JSON value is not complete on this line; "
                                + "each sample must be one array on one line");
                    }
                    if (t == JsonToken.START_ARRAY) {
                        throw new CliException(file + ":" + lineNo + ":" + column(p) + ": value " + (n + 1)
                                + " is an array; each line must be a flat array of numbers (flatten images row by "
                                + "row)");
                    }
                    if (!t.isNumeric()) {
                        throw new CliException(file + ":" + lineNo + ":" + column(p) + ": value " + (n + 1)
                                + " is " + describe(t) + "; every value must be a finite number");
                    }
                    if (n == x.length) {
                        x = java.util.Arrays.copyOf(x, n * 2);
                    }
                    x[n] = finite(p.getDoubleValue(), p.getText(), column(p), n);
                    n++;
                }
                if (p.nextToken() != null) {
                    throw new CliException(file + ":" + lineNo + ":" + column(p)
                            + ": unexpected content after the array; put one array on each line");
                }
            } catch (JsonProcessingException e) {
                String m = e.getOriginalMessage();
                if (m != null && m.startsWith("Unexpected end-of-input")) {
                    throw new CliException(file + ":" + lineNo + ": the JSON value is not complete on this line; "
                            + "each sample must be one array on one line", e);
                }
                var loc = e.getLocation();
                String col = loc != null && loc.getColumnNr() > 0 ? ":" + loc.getColumnNr() : "";
                throw new CliException(file + ":" + lineNo + col + ": invalid JSON: "
                        + Json.clean(e.getOriginalMessage()), e);
            }
            if (n == 0) {
                throw new CliException(file + ":" + lineNo + ":1: the array is empty; every sample needs at least one "
                        + "value");
            }
            return checkLength(java.util.Arrays.copyOf(x, n), 1);
        }

        private static int column(JsonParser p) {
            return Math.max(1, p.currentTokenLocation().getColumnNr());
        }

        private static String describe(JsonToken t) {
            if (t == null) {
                return "nothing";
            }
            return switch (t) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "an array";
                case VALUE_STRING -> "a string";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                default -> t.asString() != null ? "'" + t.asString() + "'" : t.name();
            };
        }

        @Override
        String layout() {
            return "JSON arrays";
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already failing with a better message
            }
        }
    }
}
