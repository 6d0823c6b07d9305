package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * The {@code ./qformer} launcher: the locale and memory settings it gives the JVM. It runs here in a copy of the
 * repository's layout with a stand-in {@code java} that prints what it was given, so no build is needed; a real JVM
 * then shows that those settings open a file whose name is not ASCII.
 */
class LauncherTest {

    private static final String NAME = "café_ü.png";

    @TempDir
    Path dir;

    private Path launcher;

    /** The repository's layout with a fresh build stamp, and a stand-in java that prints its locale and args. */
    @BeforeEach
    void layout() throws IOException {
        Path root = dir.resolve("repo");
        Path target = Files.createDirectories(root.resolve("qformer-train/target/classes")).getParent();
        Files.writeString(target.resolve("runtime-classpath.txt"), "");
        launcher = Files.copy(Path.of("..", "qformer"), root.resolve("qformer"));
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/usr/bin/env bash\necho \"charmap=$(locale charmap)\"\nprintf '%s\\n' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(target.resolve("qformer-build.stamp"), "");               // newer than every source here
    }

    /** Runs the launcher with {@code env} and returns what the stand-in java printed: its locale, then its args. */
    private List<String> launch(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    @Test
    void theJvmRunsInUtf8WhateverTheLocale() throws Exception {
        List<String> printed = launch(Map.of("LC_ALL", "C"), "preprocess", NAME);
        assertEquals("charmap=UTF-8", printed.get(0));
        assertEquals(NAME, printed.get(printed.size() - 1), "the argument arrives intact");
    }

    @Test
    void memoryLimitsHaveDefaultsThatJavaOptsOverrides() throws Exception {
        List<String> defaults = launch(Map.of(), "--version");
        assertTrue(defaults.stream().anyMatch(a -> a.matches("-Xmx\\d+m")), defaults.toString());
        assertTrue(defaults.stream().anyMatch(a -> a.matches("-Dorg\\.bytedeco\\.javacpp\\.maxphysicalbytes=\\d+K")),
                defaults.toString());
        List<String> chosen = launch(Map.of("JAVA_OPTS", "-Xmx1g -Dorg.bytedeco.javacpp.maxphysicalbytes=5g"),
                "--version");
        assertFalse(chosen.stream().anyMatch(a -> a.matches("-Xmx\\d+m|.*maxphysicalbytes=\\d+K")), chosen.toString());
        assertTrue(chosen.containsAll(List.of("-Xmx1g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=5g")),
                chosen.toString());
    }

    /** What the launcher sets (LC_ALL=C.UTF-8) lets a real JVM open a file named in UTF-8. */
    @Test
    void aNonAsciiFileNameOpensUnderTheLaunchersLocale() throws IOException, InterruptedException {
        Path image = Files.copy(Fixtures.path("e2e/images/gray_257x129.png"), dir.resolve(NAME));
        Path out = dir.resolve("pixels.safetensors");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), QFormerCommand.class.getName(), "preprocess",
                "--size", "32", image.toString(), "--out", out.toString());
        pb.environment().put("LC_ALL", "C.UTF-8");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), printed);
        assertTrue(Files.size(out) > 32 * 32 * 3 * 4, printed);
    }
}
