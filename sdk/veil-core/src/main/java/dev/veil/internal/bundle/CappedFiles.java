package dev.veil.internal.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whole-file reads with a size cap, for files that are small unless they are the wrong file. */
public final class CappedFiles {
    private CappedFiles() {}

    /**
     * The bytes of {@code file}, or {@code null} when it holds more than {@code cap} bytes: by its
     * size before it is opened (nothing is read then), or by what it gives (a file that grew since:
     * one byte more than the cap is read to notice it, as the bundle loader does).
     *
     * @param cap at most {@code Integer.MAX_VALUE - 8} (one Java array)
     */
    public static byte[] read(Path file, long cap) throws IOException {
        if (Files.size(file) > cap) {
            return null;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) cap + 1);
        }
        return bytes.length > cap ? null : bytes;
    }
}
