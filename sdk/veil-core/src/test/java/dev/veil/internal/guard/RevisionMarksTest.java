package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.PolicyLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevisionMarksTest {
    @TempDir
    Path tmp;

    @Test
    void aMarkRaisedByAnotherGuardAfterThisOneReadItRefusesTheOlderBundle() throws Exception {
        Path file = tmp.resolve("revisions.json");
        RevisionMarks mine = RevisionMarks.open(file);
        mine.raise("b", "2026-11-30.8");
        assertThat(mine.mark("b")).isEqualTo("2026-11-30.8");
        // this Guard compared .9 with .8 and passed; meanwhile another Guard put .10 in force
        RevisionMarks.open(file).raise("b", "2026-11-30.10");
        assertThatThrownBy(() -> mine.raise("b", "2026-11-30.9")).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("revision '2026-11-30.9' of signed bundle 'b' is older than the signed revision "
                        + "'2026-11-30.10' another Guard using " + file + " has put in force meanwhile");
        assertThat(Files.readString(file)).contains("2026-11-30.10");
        mine.raise("b", "2026-11-30.10"); // the same: nothing to do
        mine.raise("b", "f1d2d2f9"); // no order: left alone
        mine.raise("other", "v1.2"); // another bundle
        assertThat(RevisionMarks.open(file).marks()).containsEntry("b", "2026-11-30.10").containsEntry("other", "v1.2");
    }
}
