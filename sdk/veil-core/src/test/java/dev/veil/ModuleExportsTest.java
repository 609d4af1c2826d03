package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundary of veil-core, read from the compiled {@code module-info.class} (tests run on
 * the class path, so the boundary is not exercised by the other tests): only the API and the SPI
 * are exported, to everybody, and the YAML engine is provided as a service.
 */
class ModuleExportsTest {
    private static Path classes;
    private static ModuleDescriptor module;

    @BeforeAll
    static void readModuleInfo() throws IOException, URISyntaxException {
        classes = Path.of(PolicyBundle.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path info = classes.resolve("module-info.class");
        assertThat(info).as("compiled module descriptor next to dev/veil/PolicyBundle.class").isRegularFile();
        try (InputStream in = Files.newInputStream(info)) {
            module = ModuleDescriptor.read(in);
        }
    }

    @Test
    void isTheNamedModuleDevVeilCore() {
        assertThat(module.name()).isEqualTo("dev.veil.core");
        assertThat(module.isOpen()).as("an open module would open the internals to reflection").isFalse();
    }

    @Test
    void exportsExactlyTheApiAndTheSpiToEverybody() {
        Set<String> exported = module.exports().stream().map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet());

        assertThat(exported).containsExactlyInAnyOrder("dev.veil", "dev.veil.spi");
        assertThat(module.exports()).allSatisfy(e -> assertThat(e.isQualified())
                .as("export of %s is qualified to %s", e.source(), e.targets()).isFalse());
        for (String p : exported) {
            assertThat(classes.resolve(p.replace('.', '/'))).as("exported package %s exists", p).isDirectory();
        }
    }

    @Test
    void providesThePolicyEngineServiceWithTheYamlEngine() {
        List<ModuleDescriptor.Provides> engines = module.provides().stream()
                .filter(p -> p.service().equals("dev.veil.spi.PolicyEngine")).toList();

        assertThat(engines).singleElement().satisfies(p -> assertThat(p.providers())
                .containsExactly("dev.veil.internal.policy.YamlPolicyEngine"));
        assertThat(module.uses()).contains("dev.veil.spi.PolicyEngine");
        assertThat(classes.resolve("dev/veil/internal/policy/YamlPolicyEngine.class")).isRegularFile();
    }

    @Test
    void opensNoPackageToEverybody() {
        assertThat(module.opens()).allSatisfy(o -> assertThat(o.isQualified())
                .as("opens %s to everybody", o.source()).isTrue());
    }
}
