package dev.veil.policies.tools;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * Reads the Fashion-MNIST files (IDX format, gzip) as the Debian package {@code dataset-fashion-mnist}
 * installs them under {@link #DEFAULT_DIR}: images are {@code 0x00000803}, big-endian count, rows,
 * cols, then one unsigned byte per pixel, row by row; labels are {@code 0x00000801}, count, then
 * one byte per label. Pixels are scaled to [0, 1] by dividing by 255.
 */
public final class FashionMnist {
    /**
     * Where the files are: where the Debian package {@code dataset-fashion-mnist} puts them, unless
     * the system property {@code veil.fashion-mnist.dir} names another directory.
     */
    public static final Path DEFAULT_DIR = Path.of(System.getProperty("veil.fashion-mnist.dir",
            "/usr/share/datasets/fashion-mnist"));
    /** The training images (60,000). */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    /** The training labels. */
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    /** The test images (10,000). */
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    /** The test labels. */
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    /** The ten classes, by label index. */
    public static final List<String> CLASSES = List.of("t-shirt", "trouser", "pullover",
            "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot");
    /** The message tests skip with when the data is missing. */
    public static final String MISSING = "Fashion-MNIST is not installed at " + DEFAULT_DIR
            + "; install the Debian package dataset-fashion-mnist (scripts/test.sh does) to run this test";

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private FashionMnist() {}

    /** Whether all four files are present in {@link #DEFAULT_DIR}. */
    public static boolean available() {
        for (String f : new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS}) {
            if (!Files.isReadable(DEFAULT_DIR.resolve(f))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads up to {@code limit} images, each a flat row-major vector of rows * cols values in [0, 1].
     *
     * @param file an IDX image file, gzip-compressed
     * @param limit how many images to read at most ({@code Integer.MAX_VALUE}: all)
     * @throws UncheckedIOException when the file cannot be read or is not an IDX image file
     */
    public static double[][] images(Path file, int limit) {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new IOException(file + " is not an IDX image file: magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000803");
            }
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (count < 0 || rows < 1 || cols < 1) {
                throw new IOException(file + " has a bad header: count " + count + ", " + rows + "x" + cols);
            }
            int n = Math.min(count, limit);
            int d = rows * cols;
            byte[] buf = new byte[d];
            double[][] out = new double[n][];
            for (int k = 0; k < n; k++) {
                in.readFully(buf);
                double[] x = new double[d];
                for (int i = 0; i < d; i++) {
                    x[i] = (buf[i] & 0xff) / 255.0;
                }
                out[k] = x;
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read Fashion-MNIST images from " + file, e);
        }
    }

    /**
     * The images of an IDX image file, read lazily: each iteration opens the file and decodes one
     * image at a time, so the whole set never sits in memory (60,000 images as doubles take 376 MB).
     *
     * @throws UncheckedIOException from the iterator when the file cannot be read
     */
    public static Iterable<double[]> stream(Path file) {
        return () -> new Iterator<>() {
            private DataInputStream in;
            private int remaining = -1;
            private int d;

            private void open() {
                if (remaining >= 0) {
                    return;
                }
                try {
                    in = FashionMnist.open(file);
                    int magic = in.readInt();
                    if (magic != IMAGES_MAGIC) {
                        throw new IOException(file + " is not an IDX image file: magic 0x" + Integer.toHexString(magic)
                                + ", expected 0x00000803");
                    }
                    remaining = in.readInt();
                    d = in.readInt() * in.readInt();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read Fashion-MNIST images from " + file, e);
                }
            }

            @Override
            public boolean hasNext() {
                open();
                if (remaining == 0 && in != null) {
                    try {
                        in.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    in = null;
                }
                return remaining > 0;
            }

            @Override
            public double[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                byte[] buf = new byte[d];
                try {
                    in.readFully(buf);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read Fashion-MNIST images from " + file, e);
                }
                remaining--;
                double[] x = new double[d];
                for (int i = 0; i < d; i++) {
                    x[i] = (buf[i] & 0xff) / 255.0;
                }
                return x;
            }
        };
    }

    /**
     * Reads up to {@code limit} labels (0 to 9).
     *
     * @throws UncheckedIOException when the file cannot be read or is not an IDX label file
     */
    public static int[] labels(Path file, int limit) {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) {
                throw new IOException(file + " is not an IDX label file: magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000801");
            }
            int count = in.readInt();
            int n = Math.min(count, limit);
            int[] out = new int[n];
            for (int k = 0; k < n; k++) {
                out[k] = in.readUnsignedByte();
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read Fashion-MNIST labels from " + file, e);
        }
    }

    /** The training images in {@link #DEFAULT_DIR}. */
    public static double[][] trainImages(int limit) {
        return images(DEFAULT_DIR.resolve(TRAIN_IMAGES), limit);
    }

    /** The training labels in {@link #DEFAULT_DIR}. */
    public static int[] trainLabels(int limit) {
        return labels(DEFAULT_DIR.resolve(TRAIN_LABELS), limit);
    }

    /** The test images in {@link #DEFAULT_DIR}. */
    public static double[][] testImages(int limit) {
        return images(DEFAULT_DIR.resolve(TEST_IMAGES), limit);
    }

    /** The test labels in {@link #DEFAULT_DIR}. */
    public static int[] testLabels(int limit) {
        return labels(DEFAULT_DIR.resolve(TEST_LABELS), limit);
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }
}
