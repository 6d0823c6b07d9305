package org.tiaoyu.qformer.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.autograd.Rng;

/**
 * {@code report.html} opened in a real headless browser (Debian's {@code chromium}; {@code .ci/run} installs it):
 * every picture loads, none fails, and the figures are on the page.
 */
class DemoReportTest {

    @TempDir
    Path dir;

    @Test
    void theReportRendersInAHeadlessBrowserWithEveryPicture() throws Exception {
        for (String stage : List.of("stage1", "stage2")) {
            Files.createDirectories(dir.resolve(stage));
            ImageIO.write(ShapesDataset.draw(ShapesDataset.scenes(ShapesDataset.Split.TRAIN).get(0), new Rng(1)),
                    "png", dir.resolve(stage).resolve("loss.png").toFile());
        }
        List<ShapesDataset.Sample> held = ShapesDataset.distinctSample(ShapesDataset.Split.HELD_OUT, 5, 3);
        ShapesDataset.write(dir.resolve("data"), held);
        List<Demo.Example> examples = new ArrayList<>();
        for (int i = 0; i < held.size(); i++) {
            String truth = held.get(i).scene().caption();
            examples.add(new Demo.Example(dir.resolve("data").resolve(ShapesDataset.imageName(i)), truth,
                    i == 0 ? truth : "a <b>wrong</b> caption", i == 0));
        }
        Demo.Figures chance = new Demo.Figures(0.01, 0.01, 0.001, 0.381);
        Demo.Result result = new Demo.Result(chance, new Demo.Figures(0.5, 0.6, 0.2, 0.8), chance, examples, null,
                null, 12.0, dir);
        Path report = DemoReport.write(result);

        String dom = headlessDom(report);
        Matcher body = Pattern.compile("<body data-images-loaded=\"(\\d+)\" data-image-errors=\"(\\d+)\"").matcher(dom);
        assertTrue(body.find(), "the page's script ran and counted the pictures:\n" + dom.substring(0,
                Math.min(500, dom.length())));
        assertEquals(2 + held.size(), Integer.parseInt(body.group(1)), "two loss plots and every example");
        assertEquals(0, Integer.parseInt(body.group(2)));
        assertTrue(dom.contains("text → image recall@1") && dom.contains("0.500"), "the figures are shown");
        assertTrue(dom.contains("a &lt;b&gt;wrong&lt;/b&gt; caption"), "captions are escaped, not markup");
    }

    /** The page's DOM after its scripts ran, as headless Chromium dumps it. */
    static String headlessDom(Path page) throws IOException, InterruptedException {
        String browser = browser();
        assertNotNull(browser, "no chromium on the PATH: install Debian's chromium (.ci/run does)");
        Process p = new ProcessBuilder(browser, "--headless", "--no-sandbox", "--disable-gpu",
                "--virtual-time-budget=5000", "--dump-dom", page.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        assertEquals(0, p.exitValue(), "chromium failed");
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String browser() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }
}
