package dev.veil;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(QuietGuardLog.class)}: silences the Guard's logger for a test class (the
 * failures its tests provoke are logged; the assertions say what matters) and restores it after.
 */
public final class QuietGuardLog implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        GuardFixtures.quietGuardLog(true);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        GuardFixtures.quietGuardLog(false);
    }
}
