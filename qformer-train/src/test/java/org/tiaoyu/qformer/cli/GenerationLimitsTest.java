package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;

/**
 * Requests the model or the machine cannot hold, and values that mean nothing, are refused before any decoding with
 * exit status 2 and one {@code error:} line that says what the limit is; nothing is written.
 */
class GenerationLimitsTest {

    private static final Path E2E = Fixtures.path("e2e");
    private static final String MODEL = E2E.resolve("caption_model").toString();   // OPT with 64 positions, 8 queries
    private static final String IMAGE = E2E.resolve("images/gray_257x129.png").toString();

    @TempDir
    Path dir;

    private Path pixels;
    private Path out;

    @BeforeEach
    void onePicture() {
        pixels = dir.resolve("pixels.safetensors");
        assertEquals(0, QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "preprocess", "--model", MODEL, IMAGE, "--out", pixels.toString()));
        out = dir.resolve("out.safetensors");
    }

    /** Runs a command that must fail and returns its one error line. */
    private String error(String... args) {
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
        assertEquals(2, status, err.toString());
        List<String> lines = err.toString().lines().toList();
        assertEquals(1, lines.size(), err.toString());
        assertTrue(lines.get(0).startsWith("error: "), lines.get(0));
        assertFalse(Files.exists(out), "nothing written");
        return lines.get(0);
    }

    private String generate(String... options) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", MODEL, "--inputs", pixels.toString(),
                "--out", out.toString()));
        args.addAll(List.of(options));
        return error(args.toArray(String[]::new));
    }

    @Test
    void moreTokensThanTheModelHasPositionsNamesTheLengths() {
        // The image-only prompt is 8 image tokens + <s>: 9 tokens.
        assertTrue(generate("--max-new-tokens", "57").contains("the prompt has 9 tokens and generation may add 57, "
                + "66 in all, more than the 64 positions the model has (max_position_embeddings); at most 55 new "
                + "tokens fit"));
        assertTrue(generate("--max-length", "1000").contains("may add 991, 1000 in all, more than the 64 positions"));
        String longPrompt = error("caption", "--model", MODEL, IMAGE, "--prompt", "a photo of ".repeat(500));
        assertTrue(longPrompt.matches("error: the prompt has \\d+ tokens, more than the 64 positions the model has "
                + "\\(max_position_embeddings\\).*"), longPrompt);
    }

    @Test
    void valuesOutsideTheirRangeAreRefusedNamingTheOption() {
        assertTrue(generate("--max-new-tokens", "-1").startsWith("error: --max-new-tokens must be at least 1, got -1"));
        assertTrue(generate("--max-new-tokens", "0").startsWith("error: --max-new-tokens must be at least 1, got 0"));
        assertTrue(generate("--num-beams", "2", "--length-penalty", "NaN")
                .startsWith("error: --length-penalty must be a finite number, got NaN"));
        assertTrue(generate("--do-sample", "--temperature", "Infinity")
                .startsWith("error: --temperature must be a positive finite number, got Infinity"));
        assertTrue(generate("--repetition-penalty", "NaN")
                .startsWith("error: --repetition-penalty must be a positive finite number, got NaN"));
        assertTrue(generate("--min-new-tokens", "-2").startsWith("error: --min-new-tokens must not be negative"));
        assertTrue(generate("--batch-size", "0").startsWith("error: --batch-size must be positive, got 0"));
    }

    @Test
    void aRequestTooLargeForMemoryIsRefusedUpFront() {
        String line = generate("--num-beams", "100000");
        assertTrue(line.startsWith("error: generating 100000 rows (1 prompt × num_beams 100000) of up to 20 tokens "
                + "needs about "), line);
        assertTrue(line.contains("-Xmx"), line);
    }

    @Test
    void anEmptyBatchIsNamed() {
        SafetensorsWriter.write(pixels, Map.of("pixel_values", Nd4j.create(DataType.FLOAT, 0, 3, 48, 48)));
        assertTrue(generate().startsWith("error: " + pixels + ": tensor 'pixel_values' holds no images (the batch "
                + "is empty)"));
    }

    @Test
    void outputPathsThatCannotBeWrittenAreNamedBeforeAnyWork() {
        out = dir.resolve("never");
        assertTrue(error("generate", "--model", MODEL, "--inputs", pixels.toString(), "--out", "")
                .startsWith("error: '': not a file name (the output path is empty)"));
        assertTrue(error("generate", "--model", MODEL, "--inputs", pixels.toString(), "--out", "/proc/version")
                .startsWith("error: /proc/version: cannot be written (no file can be created in /proc"));
        assertTrue(error("preprocess", "--size", "48", IMAGE, "--out", dir.toString())
                .startsWith("error: " + dir + ": is a directory"));
    }

    @Test
    void aModelOfTheOtherKindOrAFileIsNamed() {
        String retrieval = E2E.resolve("retrieval_model").toString();
        assertTrue(error("caption", "--model", retrieval, IMAGE).startsWith("error: " + retrieval
                + ": a Blip2ForImageTextRetrieval model, which matches and embeds images and texts (qformer match, "
                + "retrieval), not a Blip2ForConditionalGeneration one that generates text"));
        assertTrue(error("match", "--model", MODEL, "--image", IMAGE, "--text", "a cat").startsWith("error: " + MODEL
                + ": a Blip2ForConditionalGeneration model, which captions and answers (qformer caption, vqa, "
                + "generate), not an image-text matching one"));
        assertTrue(error("caption", "--model", IMAGE, IMAGE).startsWith("error: " + IMAGE
                + ": not a directory (a model directory holds config.json and the weights)"));
    }
}
