/**
 * Implementation of the Redis state store: the Lua batch script ({@code batch.lua}), how a batch
 * of {@link dev.veil.spi.StateOp}s is encoded for it and its reply decoded, and the Lettuce client.
 * Not exported.
 */
package dev.veil.redis.internal;
