package org.tiaoyu.qformer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * The README's Java quick start, compiled and run as it is written (only the fixture path is made absolute): it
 * prints HF's greedy caption and its 3-beam continuation of "a photo of" for the e2e photo.
 */
class ReadmeQuickStartTest {

    @TempDir
    Path dir;

    @Test
    void theQuickStartCompilesRunsAndPrintsHuggingFacesCaptions() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher block = Pattern.compile("## Quick start \\(Java\\).*?```java\\n(.*?)```", Pattern.DOTALL)
                .matcher(readme);
        assertTrue(block.find(), "README.md has a Java quick start");
        Path e2e = Fixtures.path("e2e");
        String source = block.group(1).replace("\"testdata/e2e\"",
                "\"" + e2e.toString().replace("\\", "\\\\") + "\"");
        Path file = dir.resolve("QuickStart.java");
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, "-classpath", System.getProperty("java.class.path"),
                "-d", dir.toString(), file.toString());
        assertEquals(0, status, diagnostics.toString(StandardCharsets.UTF_8));

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass("QuickStart").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(stdout);
        }

        JsonNode cases = new ObjectMapper().readTree(e2e.resolve("e2e_reference.json").toFile()).get("caption_cases");
        String greedy = null;
        String beam = null;
        for (JsonNode c : cases) {
            if (c.get("image").asText().equals("photo_640x427.jpg")) {
                if (c.get("prompt").asText().isEmpty()) {
                    greedy = c.get("greedy").get("batch_decode_skip_special").get(0).asText();
                } else if (c.get("prompt").asText().equals("a photo of")) {
                    beam = c.get("beam3").get("batch_decode_skip_special").get(0).asText();
                }
            }
        }
        assertEquals(List.of(greedy, beam), printed.toString(StandardCharsets.UTF_8).lines().toList());
    }
}
