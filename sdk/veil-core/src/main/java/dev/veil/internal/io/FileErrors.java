package dev.veil.internal.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * Why a file could not be read, in words for a load error: the operating system's reason, not the
 * name of the Java exception that carried it ({@code file name too long}, {@code permission denied}).
 * The message names the file itself. Used by the bundle loader and the audit log's verifier.
 */
public final class FileErrors {
    private FileErrors() {}

    /** The reason {@code e} gives, in words (lower case, without the file's name). */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException f) { // its message is the file's name, and the reason if any
            return f.getReason() != null ? lowerFirst(f.getReason()) // strerror's: "File name too long"
                    : "the system gave no reason";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "an input/output error" : m;
    }

    /** "File name too long" as "file name too long"; "I/O error" stays. */
    private static String lowerFirst(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
            return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
        }
        return s;
    }
}
