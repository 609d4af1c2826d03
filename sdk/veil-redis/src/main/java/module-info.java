/**
 * Veil's Redis state store: {@link dev.veil.redis.RedisStateStore}. Everything under
 * {@code dev.veil.redis.internal} is implementation and not exported.
 */
module dev.veil.redis {
    exports dev.veil.redis;

    requires transitive dev.veil.core;
    requires transitive lettuce.core;
}
