package dev.veil.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Text from Redis and Lettuce (error replies, URLs) is quoted in Veil's messages and log lines
 * escaped, so that it cannot break a log line or reorder what a reader sees.
 */
class ServerTextTest {
    @Test
    void aServersErrorIsQuotedWithItsControlAndFormatCharactersEscaped() {
        String m = RedisBatchClient.message(new RedisCommandExecutionException(
                "ERR bad\n2026-12-02 INFO forged line\r\u001b[31m\u202ereversed\u2028\u200b\ud83d"));
        assertThat(m).isEqualTo("ERR bad\\u000a2026-12-02 INFO forged line\\u000d\\u001b[31m\\u202ereversed"
                + "\\u2028\\u200b\\ud83d");
    }

    @Test
    void plainTextIsLeftAsItIs() {
        String s = "NOPERM this user has no permissions to run the 'eval' command — café";
        assertThat(RedisBatchClient.printable(s)).isSameAs(s);
        assertThat(RedisBatchClient.message(new RedisCommandExecutionException(" "))).isEqualTo(
                "RedisCommandExecutionException");
    }
}
