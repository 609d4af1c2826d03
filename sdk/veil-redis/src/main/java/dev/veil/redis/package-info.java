/**
 * A {@link dev.veil.spi.StateStore} in Redis ({@link dev.veil.redis.RedisStateStore}), so that
 * several Guards in several processes share rate limits, blocks, privacy budgets and monitoring
 * state, one pipelined round trip per request.
 */
package dev.veil.redis;
