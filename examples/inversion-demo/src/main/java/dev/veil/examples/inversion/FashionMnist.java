package dev.veil.examples.inversion;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The Fashion-MNIST data set as the Debian package {@code dataset-fashion-mnist} installs it: four
 * gzip-compressed IDX files (images: magic {@code 0x00000803}, count, rows, columns, one unsigned byte
 * per pixel; labels: magic {@code 0x00000801}, count, one byte per label). Pixels are scaled to [0, 1].
 *
 * @param trainImages the 60,000 training images, each 784 values row by row
 * @param trainLabels their labels, indices into {@link #CLASSES}
 * @param testImages the 10,000 test images
 * @param testLabels their labels
 */
record FashionMnist(double[][] trainImages, int[] trainLabels, double[][] testImages, int[] testLabels) {
    /** Where the Debian package puts the files. */
    static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The ten classes, by label index. */
    static final List<String> CLASSES = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
            "sneaker", "bag", "ankle-boot");

    /**
     * Reads the four files from {@code dir}.
     *
     * @throws IllegalStateException when a file is missing (with how to install it)
     * @throws UncheckedIOException  when a file cannot be read or is not what its name says
     */
    static FashionMnist load(Path dir) {
        String[] names = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"};
        for (String n : names) {
            if (!Files.isReadable(dir.resolve(n))) {
                throw new IllegalStateException("Fashion-MNIST is not installed: " + dir.resolve(n) + " is missing; "
                        + "install it with 'apt-get install dataset-fashion-mnist' (scripts/demo.sh does)");
            }
        }
        double[][] trainImages = images(dir.resolve(names[0]));
        int[] trainLabels = labels(dir.resolve(names[1]));
        double[][] testImages = images(dir.resolve(names[2]));
        int[] testLabels = labels(dir.resolve(names[3]));
        if (trainImages.length != trainLabels.length || testImages.length != testLabels.length) {
            throw new IllegalStateException("Fashion-MNIST in " + dir + " has " + trainImages.length + " training images "
                    + "but " + trainLabels.length + " labels, " + testImages.length + " test images but "
                    + testLabels.length + " labels; reinstall dataset-fashion-mnist");
        }
        return new FashionMnist(trainImages, trainLabels, testImages, testLabels);
    }

    private static double[][] images(Path file) {
        try (DataInputStream in = open(file)) {
            check(file, in.readInt(), 0x00000803);
            int count = in.readInt();
            int size = in.readInt() * in.readInt();
            double[][] out = new double[count][size];
            byte[] row = new byte[size];
            for (double[] image : out) {
                in.readFully(row);
                for (int j = 0; j < size; j++) {
                    image[j] = (row[j] & 0xff) / 255.0;
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Fashion-MNIST images in " + file + ": " + e.getMessage(), e);
        }
    }

    private static int[] labels(Path file) {
        try (DataInputStream in = open(file)) {
            check(file, in.readInt(), 0x00000801);
            int[] out = new int[in.readInt()];
            for (int i = 0; i < out.length; i++) {
                out[i] = in.readUnsignedByte();
                if (out[i] >= CLASSES.size()) {
                    throw new IOException("label " + out[i] + " of item " + i + " is not one of the 10 classes");
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Fashion-MNIST labels in " + file + ": " + e.getMessage(), e);
        }
    }

    private static void check(Path file, int magic, int expected) throws IOException {
        if (magic != expected) {
            throw new IOException(String.format("%s starts with 0x%08x, not the IDX magic 0x%08x", file, magic, expected));
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
    }
}
