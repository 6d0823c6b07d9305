package org.tiaoyu.qformer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;

/** The caption/VQA and search examples on the repository's hub-style test directories. */
class CaptionAndSearchExamplesTest {

    @Test
    void captionsThenAnswersEachQuestion() throws Exception {
        Path model = Fixtures.path("e2e/caption_model");
        Path image = Fixtures.path("e2e/images/photo_640x427.jpg");
        List<String> out = CaptionAndAnswer.run(model, image, List.of("what is shown?", "how many?"));
        assertEquals(3, out.size());
        JsonNode hf = new ObjectMapper().readTree(Fixtures.path("e2e/e2e_reference.json").toFile())
                .get("caption_no_text_cases").get(0);
        assertEquals("photo_640x427.jpg", hf.get("image").asText());
        String hfGreedy = hf.get("greedy").get("batch_decode_skip_special").get(0).asText().strip();
        assertTrue(out.get(0).strip().startsWith(hfGreedy), "HF's greedy caption (12 tokens) begins ours: "
                + out.get(0));
        for (String answer : out.subList(1, 3)) {
            int words = answer.isBlank() ? 0 : answer.strip().split("\\s+").length;
            assertTrue(words >= 1 && words <= 10, "LAVIS's VQA decoding, 1 to 10 new tokens: " + answer);
        }
    }

    @Test
    void searchRanksEveryPictureOfTheFolderBySimilarity() throws Exception {
        Path model = Fixtures.path("e2e/retrieval_model");
        Path folder = Fixtures.root().getParent().resolve("examples/train/tiny-data/images");
        List<SearchImages.Hit> hits = SearchImages.search(model, folder, "a red circle", 40);
        assertEquals(32, hits.size(), "every picture of the folder, as it has fewer than 40");
        for (int i = 1; i < hits.size(); i++) {
            assertTrue(hits.get(i - 1).similarity() >= hits.get(i).similarity(), "best first");
        }
        assertEquals(3, SearchImages.search(model, folder, "a red circle", 3).size());
    }
}
