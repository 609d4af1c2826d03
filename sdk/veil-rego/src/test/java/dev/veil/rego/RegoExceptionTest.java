package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.VeilException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegoExceptionTest {

    @Test
    void oneErrorPrintsAsOpaDoes() {
        RegoException e = new RegoException(new RegoError("rego_parse_error", "unexpected '}' token: expected term",
                "policy.rego", 3, 12));
        assertThat(e).isInstanceOf(VeilException.class)
                .hasMessage("policy.rego:3:12: rego_parse_error: unexpected '}' token: expected term");
        assertThat(e.code()).isEqualTo("rego_parse_error");
    }

    @Test
    void severalErrorsAreCountedAndListed() {
        RegoException e = new RegoException(List.of(
                new RegoError("rego_unsafe_var_error", "var x is unsafe", "a.rego", 4, 2),
                RegoError.of("eval_conflict_error", "complete rules must not produce multiple outputs")));
        assertThat(e).hasMessage("2 errors occurred:\na.rego:4:2: rego_unsafe_var_error: var x is unsafe\n"
                + "eval_conflict_error: complete rules must not produce multiple outputs");
        assertThat(e.errors()).hasSize(2);
    }

    @Test
    void anErrorWithoutColumnOrFilePrintsWhatItHas() {
        assertThat(new RegoError("rego_type_error", "undefined function foo", "p.rego", 7, 0))
                .hasToString("p.rego:7: rego_type_error: undefined function foo");
        assertThatThrownBy(() -> new RegoException(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one RegoError");
    }

    @Test
    void theModuleExportsOnlyThePublicApi() throws Exception {
        Path classes = Path.of(RegoException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            assertThat(in).as("compiled module-info next to the classes").isNotNull();
            ModuleDescriptor m = ModuleDescriptor.read(in);
            assertThat(m.name()).isEqualTo("dev.veil.rego");
            assertThat(m.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly("dev.veil.rego");
            assertThat(m.isOpen()).isFalse();
        }
    }
}
