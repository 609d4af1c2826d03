package dev.veil.conformance;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.veil.PolicyBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * A corpus of policy decisions: YAML case files, each naming a policy bundle and listing policy
 * input documents with the decision documents the policy must answer, turned into JUnit dynamic
 * tests that ask {@link PolicyBundle#evaluate(Map)}.
 *
 * <p>Every policy engine (the YAML engine in {@code veil-core}, the Rego engine) must give the same
 * answers, so one corpus checks them all. The file format is documented in the kit's
 * {@code README.md}; in short, a file named {@code *.cases.yaml}:
 *
 * <pre>{@code
 * description: first matching access rule decides   # optional
 * bundle: bundles/loan                             # a bundle directory, relative to this file; or
 * policy: {veil: 1, name: inline, ...}             # an inline *.veil.yaml (a mapping or a string)
 * files: {keys.json: {keys: []}}                   # further files of an inline bundle
 * cases:
 *   - name: analysts are allowed at 50/s
 *     input: {caller: {id: alice, authenticated: true, roles: [analyst]}}
 *     want:                                         # only the fields listed are compared
 *       access: {allow: true, rule: analysts, rate_limit: {per_second: 50, burst: 100}}
 *   - name: roles must be strings
 *     input: {caller: {roles: [1]}}
 *     error: caller.roles must be a list of strings  # evaluate must throw IllegalArgumentException
 * }</pre>
 *
 * <p>A case (or a whole file) may carry {@code divergence: <why>}: the expectation follows
 * {@code docs/policy-reference.md} but the YAML reference engine is known to answer otherwise. In
 * {@link Divergences#EXPECTED} mode (the default) such a case is reported as skipped while it still
 * fails, and fails once it passes, so that the mark is removed when the engine or the docs are
 * fixed. {@link Divergences#CHECKED} treats marked cases like all others (for an engine that
 * follows the reference exactly).
 *
 * <p>Usage:
 * <pre>{@code
 * class MyCorpusTest {
 *     @TestFactory
 *     Stream<DynamicNode> corpus() {
 *         return DecisionCorpus.load(Path.of("src/test/resources/corpus")).tests();
 *     }
 * }
 * }</pre>
 *
 * <p>Loading reads every case file and loads every bundle at once (a bundle that does not load
 * makes each of its cases fail with the load error); a malformed case file is an
 * {@link IllegalArgumentException} naming the file and the path of the problem. Immutable once
 * loaded.
 */
public final class DecisionCorpus {

    /** How cases marked with {@code divergence} are run. */
    public enum Divergences {
        /** A marked case must still fail (reported as skipped); once it passes, its test fails: drop the mark. */
        EXPECTED,
        /** Marks are ignored: every case must pass. */
        CHECKED
    }

    /** The six stage questions, the keys of {@link PolicyBundle#evaluate(Map)}'s answer. */
    static final List<String> STAGES = List.of("access", "validation", "monitoring", "model", "output", "logging");

    private static final Set<String> FILE_KEYS =
            Set.of("description", "bundle", "policy", "files", "divergence", "cases");
    private static final Set<String> CASE_KEYS = Set.of("name", "input", "want", "error", "divergence");

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final List<CaseFile> files;

    private DecisionCorpus(List<CaseFile> files) {
        this.files = files;
    }

    /**
     * Loads a case file, or every {@code *.cases.yaml} / {@code *.cases.yml} file under a
     * directory, and loads their bundles with {@link PolicyBundle#load(Path)}.
     *
     * @param fileOrDirectory a case file or a directory searched recursively
     * @return the corpus
     * @throws IllegalArgumentException when there is no case file or one is malformed
     */
    public static DecisionCorpus load(Path fileOrDirectory) {
        return load(fileOrDirectory, PolicyBundle::load);
    }

    /**
     * As {@link #load(Path)}, loading each bundle with {@code bundleLoader}: it receives the bundle
     * directory (for an inline policy, a temporary directory holding its files, deleted once
     * loaded). An engine under test can map a directory to its own twin of the bundle here.
     */
    public static DecisionCorpus load(Path fileOrDirectory, Function<Path, PolicyBundle> bundleLoader) {
        Objects.requireNonNull(fileOrDirectory, "fileOrDirectory");
        Objects.requireNonNull(bundleLoader, "bundleLoader");
        List<Path> paths;
        Path root;
        if (Files.isDirectory(fileOrDirectory)) {
            root = fileOrDirectory;
            try (Stream<Path> s = Files.walk(fileOrDirectory)) {
                paths = s.filter(p -> isCaseFile(p.getFileName() == null ? "" : p.getFileName().toString()))
                        .filter(Files::isRegularFile)
                        .sorted(Comparator.comparing(p -> fileOrDirectory.relativize(p).toString()))
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the corpus directory " + fileOrDirectory, e);
            }
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("no case files (*.cases.yaml) under " + fileOrDirectory
                        + "; a corpus without cases would check nothing");
            }
        } else if (Files.isRegularFile(fileOrDirectory)) {
            root = fileOrDirectory.getParent() == null ? fileOrDirectory : fileOrDirectory.getParent();
            paths = List.of(fileOrDirectory);
        } else {
            throw new IllegalArgumentException("no corpus at " + fileOrDirectory + ": expected a *.cases.yaml file or "
                    + "a directory holding some");
        }
        List<CaseFile> out = new ArrayList<>();
        for (Path p : paths) {
            out.add(readFile(p, root.relativize(p).toString().replace('\\', '/'), bundleLoader));
        }
        return new DecisionCorpus(List.copyOf(out));
    }

    /**
     * Loads a corpus directory from the class path (a directory on disk or inside a jar).
     *
     * @param resourceDirectory e.g. {@code corpus}
     * @throws IllegalArgumentException when there is no such resource or a case file is malformed
     */
    public static DecisionCorpus classpath(String resourceDirectory) {
        return classpath(resourceDirectory, PolicyBundle::load);
    }

    /** As {@link #classpath(String)}, with a bundle loader as in {@link #load(Path, Function)}. */
    public static DecisionCorpus classpath(String resourceDirectory, Function<Path, PolicyBundle> bundleLoader) {
        Objects.requireNonNull(resourceDirectory, "resourceDirectory");
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        URL url = (cl != null ? cl : DecisionCorpus.class.getClassLoader()).getResource(resourceDirectory);
        if (url == null) {
            throw new IllegalArgumentException("no resource '" + resourceDirectory + "' on the class path");
        }
        URI uri;
        try {
            uri = url.toURI();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot read the resource " + url + ": " + e.getMessage(), e);
        }
        if ("jar".equals(uri.getScheme())) {
            FileSystem fs;
            boolean opened = false;
            try {
                fs = FileSystems.newFileSystem(uri, Map.of());
                opened = true;
            } catch (FileSystemAlreadyExistsException e) {
                fs = FileSystems.getFileSystem(uri);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open " + uri, e);
            }
            try {
                return load(fs.getPath(resourceDirectory), bundleLoader);
            } finally {
                if (opened) {
                    try {
                        fs.close();
                    } catch (IOException ignored) {
                        // nothing is written to the jar; closing only releases it
                    }
                }
            }
        }
        return load(Path.of(uri), bundleLoader);
    }

    /** The number of cases in the corpus. */
    public int size() {
        return files.stream().mapToInt(f -> f.cases().size()).sum();
    }

    /** The case files, as paths relative to the corpus directory. */
    public List<String> fileNames() {
        return files.stream().map(CaseFile::name).toList();
    }

    /** One container per case file, one test per case, with divergence marks {@link Divergences#EXPECTED}. */
    public Stream<DynamicNode> tests() {
        return tests(Divergences.EXPECTED);
    }

    /** One container per case file, one test per case. */
    public Stream<DynamicNode> tests(Divergences divergences) {
        Objects.requireNonNull(divergences, "divergences");
        return files.stream().map(f -> DynamicContainer.dynamicContainer(f.name(), f.source(),
                f.cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), f.source(),
                        () -> run(f, c, divergences)))));
    }

    /**
     * The differences between what a case wants and what its policy answers; empty when the case
     * passes. Exposed to the package for the kit's own tests.
     */
    List<String> check(String fileName, String caseName) {
        for (CaseFile f : files) {
            if (f.name().equals(fileName)) {
                for (Case c : f.cases()) {
                    if (c.name().equals(caseName)) {
                        return problems(f, c);
                    }
                }
            }
        }
        throw new IllegalArgumentException("no case '" + caseName + "' in " + fileName);
    }

    // ---------------------------------------------------------------- running

    private static void run(CaseFile f, Case c, Divergences mode) {
        List<String> problems = problems(f, c);
        String divergence = c.divergence() != null ? c.divergence().strip()
                : f.divergence() != null ? f.divergence().strip() : null;
        String where = f.name() + " > " + c.name();
        if (divergence != null && mode == Divergences.EXPECTED) {
            if (problems.isEmpty()) {
                Assertions.fail(where + ": marked as a known divergence from docs/policy-reference.md (" + divergence
                        + ") but the engine now answers as documented: remove the 'divergence' mark");
            }
            Assumptions.abort(where + ": known divergence: " + divergence + "\n  " + String.join("\n  ", problems));
        }
        if (!problems.isEmpty()) {
            Assertions.fail(where + ":\n  " + String.join("\n  ", problems));
        }
    }

    private static List<String> problems(CaseFile f, Case c) {
        if (f.loadError() != null) {
            return List.of("the policy bundle did not load: " + f.loadError());
        }
        if (c.error() != null) {
            Map<String, Object> result;
            try {
                result = f.bundle().evaluate(c.input());
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                return m.contains(c.error()) ? List.of()
                        : List.of("expected an IllegalArgumentException containing '" + c.error() + "', was '" + m
                                + "'");
            } catch (RuntimeException e) {
                return List.of("expected an IllegalArgumentException containing '" + c.error() + "', was "
                        + e.getClass().getName() + ": " + e.getMessage());
            }
            return List.of("expected an IllegalArgumentException containing '" + c.error()
                    + "', but the input was accepted: " + DocumentMatch.show(result));
        }
        Map<String, Object> result;
        try {
            result = f.bundle().evaluate(c.input());
        } catch (RuntimeException e) {
            return List.of("evaluation threw " + e.getClass().getName() + ": " + e.getMessage());
        }
        List<String> out = new ArrayList<>(DocumentMatch.mismatches(c.want(), result));
        if (!out.isEmpty()) {
            for (String stage : c.want().keySet()) {
                out.add("decision " + stage + " = " + DocumentMatch.show(result.get(stage)));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- reading

    private static boolean isCaseFile(String fileName) {
        return fileName.endsWith(".cases.yaml") || fileName.endsWith(".cases.yml");
    }

    private static CaseFile readFile(Path file, String name, Function<Path, PolicyBundle> bundleLoader) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(name + ": not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the case file " + file, e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(name
                    + ": a case file is a mapping with 'cases' and 'bundle' or 'policy'");
        }
        knownKeys(root, FILE_KEYS, name, "");
        String divergence = optionalText(root, "divergence", name, "");
        optionalText(root, "description", name, "");
        JsonNode bundle = root.get("bundle");
        JsonNode policy = root.get("policy");
        JsonNode files = root.get("files");
        if (bundle != null && (policy != null || files != null)) {
            throw new IllegalArgumentException(name + ": give either 'bundle' (a directory) or an inline bundle "
                    + "('policy' and/or 'files'), not both");
        }
        if (bundle == null && policy == null && files == null) {
            throw new IllegalArgumentException(name + ": missing the policy: give 'bundle' (a directory relative to "
                    + "this file) or 'policy' (an inline *.veil.yaml)");
        }
        List<Case> cases = readCases(root.get("cases"), name);

        PolicyBundle loaded = null;
        String loadError = null;
        if (bundle != null) {
            if (!bundle.isTextual() || bundle.asText().isBlank()) {
                throw new IllegalArgumentException(name + ": bundle: must be a directory path relative to this file");
            }
            Path dir = file.toAbsolutePath().getParent().resolve(bundle.asText()).normalize();
            if (!Files.isDirectory(dir) && !Files.isRegularFile(dir)) {
                throw new IllegalArgumentException(name + ": bundle: no bundle at " + dir);
            }
            try {
                loaded = bundleLoader.apply(dir);
            } catch (RuntimeException e) {
                loadError = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        } else {
            Map<String, byte[]> contents = inlineFiles(policy, files, name);
            Path dir;
            try {
                dir = Files.createTempDirectory("veil-corpus-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory for the inline bundle of "
                        + name, e);
            }
            try {
                for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                    Path target = dir.resolve(e.getKey());
                    Files.createDirectories(target.getParent());
                    Files.write(target, e.getValue());
                }
                try {
                    loaded = bundleLoader.apply(dir);
                } catch (RuntimeException e) {
                    loadError = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the inline bundle of " + name, e);
            } finally {
                deleteTree(dir);
            }
        }
        return new CaseFile(name, file.toUri(), divergence, loaded, loadError, cases);
    }

    private static List<Case> readCases(JsonNode cases, String file) {
        if (cases == null || !cases.isArray() || cases.isEmpty()) {
            throw new IllegalArgumentException(file + ": cases: must be a non-empty list");
        }
        List<Case> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < cases.size(); i++) {
            String where = "cases[" + i + "]";
            JsonNode c = cases.get(i);
            if (!c.isObject()) {
                throw new IllegalArgumentException(file + ": " + where
                        + ": must be a mapping with name, input and want");
            }
            knownKeys(c, CASE_KEYS, file, where);
            String caseName = optionalText(c, "name", file, where);
            if (caseName == null || caseName.isBlank()) {
                throw new IllegalArgumentException(file + ": " + where + ".name: is required (a short sentence)");
            }
            if (!names.add(caseName)) {
                throw new IllegalArgumentException(file + ": " + where + ".name: duplicate case name '" + caseName
                        + "'");
            }
            JsonNode input = c.get("input");
            if (input != null && !input.isObject()) {
                throw new IllegalArgumentException(file + ": " + where + ".input: must be a mapping (a policy input "
                        + "document), was " + input.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            }
            JsonNode want = c.get("want");
            String error = optionalText(c, "error", file, where);
            if ((want == null) == (error == null)) {
                throw new IllegalArgumentException(file + ": " + where + ": give exactly one of 'want' (the expected "
                        + "decisions) and 'error' (the expected IllegalArgumentException message)");
            }
            Map<String, Object> wantMap = null;
            if (want != null) {
                if (!want.isObject() || want.isEmpty()) {
                    throw new IllegalArgumentException(file + ": " + where + ".want: must map at least one stage ("
                            + String.join(", ", STAGES) + ") to its expected decision");
                }
                Iterator<String> it = want.fieldNames();
                while (it.hasNext()) {
                    String stage = it.next();
                    if (!STAGES.contains(stage)) {
                        throw new IllegalArgumentException(file + ": " + where + ".want: unknown stage '" + stage
                                + "' (known: " + String.join(", ", STAGES) + ")");
                    }
                    if (!want.get(stage).isObject()) {
                        throw new IllegalArgumentException(file + ": " + where + ".want." + stage
                                + ": must be a mapping (a decision document, possibly partial)");
                    }
                }
                wantMap = toJava(want);
            }
            if (error != null && error.isBlank()) {
                throw new IllegalArgumentException(file + ": " + where + ".error: must not be blank");
            }
            String divergence = optionalText(c, "divergence", file, where);
            out.add(new Case(caseName, input == null ? Map.of() : toJava(input), wantMap, error, divergence));
        }
        return List.copyOf(out);
    }

    private static Map<String, byte[]> inlineFiles(JsonNode policy, JsonNode files, String file) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (files != null) {
            if (!files.isObject()) {
                throw new IllegalArgumentException(file + ": files: must map bundle-relative paths to contents");
            }
            Iterator<Map.Entry<String, JsonNode>> it = files.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String path = e.getKey();
                if (path.isBlank() || path.startsWith("/") || path.contains("\\")
                        || Stream.of(path.split("/")).anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
                    throw new IllegalArgumentException(file + ": files: '" + path + "' must be a relative path with "
                            + "'/' separators and no '.', '..' or empty steps");
                }
                out.put(path, contents(e.getValue(), file, "files." + path, false));
            }
        }
        if (policy != null) {
            if (out.containsKey("policy.veil.yaml")) {
                throw new IllegalArgumentException(file + ": files: 'policy.veil.yaml' is where 'policy' goes; "
                        + "give the policy in one place");
            }
            out.put("policy.veil.yaml", contents(policy, file, "policy", true));
        }
        return out;
    }

    private static byte[] contents(JsonNode node, String file, String where, boolean yaml) {
        if (node.isTextual()) {
            return node.asText().getBytes(StandardCharsets.UTF_8);
        }
        if (node.isObject() || node.isArray()) {
            try {
                return (yaml ? YAML : JSON).writeValueAsBytes(node);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(file + ": " + where + ": cannot be written: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(file + ": " + where + ": must be a string (the file's text) or a mapping "
                + "or list (written as " + (yaml ? "YAML" : "JSON") + ")");
    }

    private static void knownKeys(JsonNode node, Set<String> known, String file, String where) {
        Iterator<String> it = node.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new IllegalArgumentException(file + ": " + (where.isEmpty() ? "" : where + ": ") + "unknown key '"
                        + k + "' (known keys: " + known.stream().sorted().collect(Collectors.joining(", ")) + ")");
            }
        }
    }

    private static String optionalText(JsonNode node, String key, String file, String where) {
        JsonNode v = node.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(file + ": " + (where.isEmpty() ? "" : where + ".") + key
                    + ": must be a string");
        }
        return v.asText();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toJava(JsonNode node) {
        return JSON.convertValue(node, Map.class);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }

    private record CaseFile(
            String name, URI source, String divergence, PolicyBundle bundle, String loadError, List<Case> cases) {}

    private record Case(String name, Map<String, Object> input, Map<String, Object> want, String error,
            String divergence) {}
}
