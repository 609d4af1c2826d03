package dev.veil.redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** What {@link RedisStateStore} logs (java.util.logging) from {@link #start} to {@link #close}. */
final class StoreLog implements AutoCloseable {
    private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Logger jul = Logger.getLogger(RedisStateStore.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private StoreLog() {}

    /** Starts listening. */
    static StoreLog start() {
        StoreLog log = new StoreLog();
        log.jul.addHandler(log.handler);
        return log;
    }

    /** The messages logged at {@code level} so far, in order. */
    List<String> messages(Level level) {
        synchronized (records) {
            return records.stream().filter(r -> r.getLevel() == level).map(LogRecord::getMessage).toList();
        }
    }

    @Override
    public void close() {
        jul.removeHandler(handler);
    }
}
