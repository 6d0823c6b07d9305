package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;

/**
 * End to end on ../shared/fixtures/e2e: a hub-style OPT model directory (real GPT-2 vocabulary, real images) captions
 * every image and prompt of {@code caption_cases} with exactly the text HF's
 * {@code processor.batch_decode(generate(...), skip_special_tokens=True)} gives (greedy, 12 new tokens), through the
 * command line, and the batched, left-padded case through the Java API.
 */
class CaptionCommandTest {

    private static final Path E2E = Fixtures.path("e2e");

    @Test
    void everyGreedyCaptionCaseMatchesHuggingFace() throws Exception {
        JsonNode reference = new ObjectMapper().readTree(E2E.resolve("e2e_reference.json").toFile());
        ObjectMapper mapper = new ObjectMapper();
        int checked = 0;
        for (JsonNode c : reference.get("caption_cases")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), "caption", "--model",
                    E2E.resolve("caption_model").toString(), E2E.resolve("images").resolve(c.get("image").asText())
                            .toString(), "--prompt", c.get("prompt").asText(), "--max-new-tokens", "12", "--json");
            assertEquals(0, status, err.toString());
            JsonNode line = mapper.readTree(out.toString().trim());
            assertEquals(c.get("greedy").get("batch_decode_skip_special").get(0).asText(), line.get("text").asText(),
                    c.get("image").asText() + " / \"" + c.get("prompt").asText() + "\"");
            assertEquals(c.get("prompt").asText(), line.get("prompt").asText());
            checked++;
        }
        assertEquals(9, checked);
    }

    @Test
    void aLeftPaddedBatchGivesTheSameAsHuggingFace() throws Exception {
        JsonNode batched = new ObjectMapper().readTree(E2E.resolve("e2e_reference.json").toFile())
                .get("caption_batched").get("left");
        List<Path> images = new ArrayList<>();
        batched.get("images").forEach(n -> images.add(E2E.resolve("images").resolve(n.asText())));
        List<String> prompts = new ArrayList<>();
        batched.get("prompts").forEach(n -> prompts.add(n.asText()));
        try (Blip2Captioner captioner = Blip2Captioner.load(E2E.resolve("caption_model"))) {
            List<String> texts = captioner.caption(images, prompts, 12);
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(batched.get("greedy").get("batch_decode_skip_special").get(i).asText(), texts.get(i));
            }
        }
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
            assertEquals(c.get("greedy").get("batch_decode_skip_special").get(0).asText(), line.get("answer").asText());
            assertEquals("what is shown?", line.get("question").asText());
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void beamSearchIsRefusedClearly() {
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "caption",
                "--model", E2E.resolve("caption_model").toString(), "x.png", "--num-beams", "3");
        assertEquals(2, status);
        assertEquals(1, err.toString().lines().count(), err.toString());
    }
}
