package dev.veil.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BundleLimitsTest {
    @Test
    void shouldDefaultToTenThousandFilesSixteenMebibytesPerFileAndSixtyFourInTotal() {
        assertThat(BundleLimits.DEFAULTS.maxFiles()).isEqualTo(10_000);
        assertThat(BundleLimits.DEFAULTS.maxFileBytes()).isEqualTo(16L * 1024 * 1024);
        assertThat(BundleLimits.DEFAULTS.maxTotalBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(BundleLimits.DEFAULTS.maxStreamBytes())
                .isEqualTo(64L * 1024 * 1024 + 4096L * 10_000 + 1024 * 1024);
        assertThat(BundleLimits.DEFAULTS.maxDataValues()).isEqualTo(1_000_000);
    }

    @Test
    void shouldRejectNonPositiveDataValueCount() {
        assertThatThrownBy(() -> new BundleLimits(1, 10, 10, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxDataValues must be at least 1, was 0");
    }

    @Test
    void shouldRejectNonPositiveFileCount() {
        assertThatThrownBy(() -> new BundleLimits(0, 10, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxFiles must be at least 1, was 0");
    }

    @Test
    void shouldRejectNonPositiveFileSize() {
        assertThatThrownBy(() -> new BundleLimits(1, 0, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxFileBytes must be at least 1, was 0");
    }

    @Test
    void shouldRejectFileSizeBeyondOneArray() {
        assertThatThrownBy(() -> new BundleLimits(1, 1L << 31, 1L << 32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxFileBytes must be at most 2147483639 (one Java array), was 2147483648");
    }

    @Test
    void shouldRejectTotalBelowFileSize() {
        assertThatThrownBy(() -> new BundleLimits(1, 100, 99)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTotalBytes must be at least maxFileBytes (100), was 99");
    }

    @Test
    void shouldCapStreamEvenWhenReadByteByByte() throws Exception {
        CappedInputStream in = new CappedInputStream(new java.io.ByteArrayInputStream(new byte[10]), 3);
        in.read();
        in.read();
        in.read();
        assertThatThrownBy(in::read).isInstanceOf(CappedInputStream.CapExceededException.class)
                .hasMessage("more than 3 bytes");
        assertThat(in.count()).isEqualTo(4);
    }
}
