package dev.veil.redis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The Lua batch script ({@code batch.lua}) and its SHA-1, the name Redis caches it under. */
public final class BatchScript {
    private static final BatchScript INSTANCE = load();

    private final byte[] source;
    private final String sha1;

    private BatchScript(byte[] source) {
        this.source = source;
        try {
            this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1, which Redis names scripts by", e);
        }
    }

    /** The script. */
    public static BatchScript get() {
        return INSTANCE;
    }

    /** The script's text, as sent with SCRIPT LOAD or EVAL. */
    public byte[] source() {
        return source.clone();
    }

    /** The SHA-1 (lower-case hex) that EVALSHA names the script by. */
    public String sha1() {
        return sha1;
    }

    private static BatchScript load() {
        try (InputStream in = BatchScript.class.getResourceAsStream("batch.lua")) {
            if (in == null) {
                throw new IllegalStateException("batch.lua is missing from the veil-redis jar");
            }
            return new BatchScript(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read batch.lua from the veil-redis jar", e);
        }
    }
}
