package dev.veil;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the WARNING messages of one java.util.logging logger (System.Logger's backend here) until closed. */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final List<Throwable> thrown = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel() == Level.WARNING) {
                warnings.add(r.getMessage());
                if (r.getThrown() != null) {
                    thrown.add(r.getThrown());
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(String name) {
        this.logger = Logger.getLogger(name);
        logger.addHandler(handler);
    }

    /** Starts collecting the warnings of the logger {@code name}. */
    public static LogCapture warnings(String name) {
        return new LogCapture(name);
    }

    /** The warnings logged so far. */
    public List<String> messages() {
        return List.copyOf(warnings);
    }

    /** The throwables logged with those warnings so far. */
    public List<Throwable> thrown() {
        return List.copyOf(thrown);
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
