package dev.veil.spi;

/** How the audit log treats one field of a record. */
public enum FieldMode {
    /** Write the value as it is. */
    KEEP,
    /** Leave the value out; its path is listed in the record's {@code erased}. */
    MASK,
    /**
     * Replace the value by {@code sha256:<hex>} of its canonical JSON (for the input's features: of
     * their values as big-endian IEEE-754 doubles, NaN canonical); the path is listed in {@code masked}.
     */
    DIGEST
}
