package dev.veil.examples.inversion;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Writes 28x28 grey images in [0, 1] as a PNG grid: one row per list, scaled up, with white gaps. */
final class ImageGrid {
    private static final int SIDE = 28;
    private static final int SCALE = 3;
    private static final int GAP = 6;

    private ImageGrid() {}

    /**
     * Writes {@code rows} (each a row of images) to {@code file}.
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    static void write(Path file, List<List<double[]>> rows) {
        int columns = rows.stream().mapToInt(List::size).max().orElse(0);
        int cell = SIDE * SCALE + GAP;
        BufferedImage png = new BufferedImage(GAP + columns * cell, GAP + rows.size() * cell, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < png.getWidth(); x++) {
            for (int y = 0; y < png.getHeight(); y++) {
                png.getRaster().setSample(x, y, 0, 255);
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < rows.get(r).size(); c++) {
                double[] image = rows.get(r).get(c);
                for (int i = 0; i < SIDE * SIDE; i++) {
                    // Fashion-MNIST is light ink on black: drawn as such
                    int grey = (int) Math.round(255 * Math.max(0, Math.min(1, image[i])));
                    for (int dy = 0; dy < SCALE; dy++) {
                        for (int dx = 0; dx < SCALE; dx++) {
                            png.getRaster().setSample(GAP + c * cell + (i % SIDE) * SCALE + dx,
                                    GAP + r * cell + (i / SIDE) * SCALE + dy, 0, grey);
                        }
                    }
                }
            }
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(png, "png", file.toFile())) {
                throw new IOException("this Java has no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the reconstructions to " + file + ": " + e.getMessage(), e);
        }
    }
}
