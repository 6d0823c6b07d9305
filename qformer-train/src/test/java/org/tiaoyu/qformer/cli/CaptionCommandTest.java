package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.pipeline.Caption;
import org.tiaoyu.qformer.vision.image.ImageInput;

/**
 * End to end on testdata/e2e: a hub-style OPT model directory (real GPT-2 vocabulary, real images) captions
 * every image, prompt and decoding mode (greedy, 3 beams; 12 new tokens) of {@code caption_cases} with exactly the
 * text HF's {@code processor.batch_decode(generate(...), skip_special_tokens=True)} gives, through the command line;
 * the batched, left-padded case through the Java API, beam scores included.
 */
class CaptionCommandTest {

    private static final Path E2E = Fixtures.path("e2e");
    private static final Map<String, List<String>> MODES = Map.of("greedy", List.of(), "beam3",
            List.of("--num-beams", "3"));

    @Test
    void everyCaptionCaseMatchesHuggingFace() throws Exception {
        JsonNode reference = new ObjectMapper().readTree(E2E.resolve("e2e_reference.json").toFile());
        ObjectMapper mapper = new ObjectMapper();
        int checked = 0;
        for (JsonNode c : reference.get("caption_cases")) {
            for (var mode : MODES.entrySet()) {
                List<String> args = new ArrayList<>(List.of("caption", "--model",
                        E2E.resolve("caption_model").toString(), E2E.resolve("images").resolve(c.get("image").asText())
                                .toString(), "--prompt", c.get("prompt").asText(), "--max-new-tokens", "12", "--json"));
                args.addAll(mode.getValue());
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
                assertEquals(0, status, err.toString());
                JsonNode line = mapper.readTree(out.toString().trim());
                assertEquals(c.get(mode.getKey()).get("batch_decode_skip_special").get(0).asText(),
                        line.get("text").asText(), c.get("image").asText() + " / \"" + c.get("prompt").asText()
                                + "\" / " + mode.getKey());
                assertEquals(c.get("prompt").asText(), line.get("prompt").asText());
                checked++;
            }
        }
        assertEquals(18, checked);
    }

    @Test
    void aLeftPaddedBatchGivesTheSameAsHuggingFace() throws Exception {
        JsonNode batched = new ObjectMapper().readTree(E2E.resolve("e2e_reference.json").toFile())
                .get("caption_batched").get("left");
        List<ImageInput> images = new ArrayList<>();
        batched.get("images").forEach(n -> images.add(ImageInput.of(E2E.resolve("images").resolve(n.asText()))));
        List<String> prompts = new ArrayList<>();
        batched.get("prompts").forEach(n -> prompts.add(n.asText()));
        try (Blip2Captioner captioner = Blip2Captioner.load(E2E.resolve("caption_model"))) {
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(12).build();
            List<Caption> captions = captioner.caption(images, prompts, greedy);
            JsonNode expected = batched.get("greedy");
            for (int i = 0; i < captions.size(); i++) {
                assertEquals(expected.get("batch_decode_skip_special").get(i).asText(), captions.get(i).text());
                assertArrayEquals(longs(expected.get("sequences").get(i)), captions.get(i).tokens());
                assertTrue(Double.isNaN(captions.get(i).score()));
            }
            List<Caption> beams = captioner.caption(images, prompts, greedy.toBuilder().numBeams(3).build());
            JsonNode expectedBeams = batched.get("beam3");
            for (int i = 0; i < beams.size(); i++) {
                assertEquals(expectedBeams.get("batch_decode_skip_special").get(i).asText(), beams.get(i).text());
                assertEquals(expectedBeams.get("sequences_scores").get(i).asDouble(), beams.get(i).score(), 1e-4);
            }
        }
    }

    @Test
    void severalSequencesPerImageComeBestFirst() throws Exception {
        try (Blip2Captioner captioner = Blip2Captioner.load(E2E.resolve("caption_model"))) {
            List<Caption> captions = captioner.caption(List.of(ImageInput.of(E2E.resolve("images/gray_257x129.png"))),
                    List.of("a photo of"), GenerationConfig.builder().maxNewTokens(6).numBeams(4)
                            .numReturnSequences(3).build());
            assertEquals(3, captions.size());
            assertTrue(captions.get(0).score() >= captions.get(1).score());
            assertTrue(captions.get(1).score() >= captions.get(2).score());
            captions.forEach(c -> assertTrue(c.text().startsWith("a photo of"), c.text()));
        }
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    @Test
    void vqaAsksWithTheShortAnswerPrompt() throws Exception {
        JsonNode reference = new ObjectMapper().readTree(E2E.resolve("e2e_reference.json").toFile());
        int checked = 0;
        for (JsonNode c : reference.get("caption_cases")) {
            if (!c.get("prompt").asText().equals("Question: what is shown? Short answer:")) {
                continue;
            }
            StringWriter out = new StringWriter();
            int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "vqa",
                    "--model", E2E.resolve("caption_model").toString(), "--image",
                    E2E.resolve("images").resolve(c.get("image").asText()).toString(), "--question", "what is shown?",
                    "--max-new-tokens", "12", "--json");
            assertEquals(0, status);
            JsonNode line = new ObjectMapper().readTree(out.toString().trim());
            // HF decodes the prompt and the answer; LAVIS's predict_answers (and qformer vqa) only the answer.
            String decoded = c.get("greedy").get("batch_decode_skip_special").get(0).asText();
            String prompt = c.get("prompt").asText();
            assertTrue(decoded.startsWith(prompt), decoded);
            assertEquals(decoded.substring(prompt.length()).strip(), line.get("answer").asText());
            assertFalse(line.get("answer").asText().contains("Short answer:"), line.toString());
            assertEquals("what is shown?", line.get("question").asText());
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void invalidDecodingSettingsAreOneLineUsageErrors() {
        for (String[] bad : new String[][] {{"--num-beams", "2", "--num-return-sequences", "3"},
            {"--do-sample", "--top-p", "0"}, {"--early-stopping", "maybe"}, {"--do-sample", "--num-beams", "2"}}) {
            StringWriter err = new StringWriter();
            List<String> args = new ArrayList<>(List.of("caption", "--model", E2E.resolve("caption_model").toString(),
                    E2E.resolve("images/gray_257x129.png").toString()));
            args.addAll(List.of(bad));
            int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
                    args.toArray(String[]::new));
            assertEquals(2, status, String.join(" ", bad));
            assertEquals(1, err.toString().lines().count(), err.toString());
        }
    }
}
