package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tiaoyu.qformer.core.Fixtures;

/** The fixtures' numbers, computed by pycocoevalcap itself (see {@code testdata/eval/README.md}). */
class CaptionMetricsTest {

    private static JsonNode fixture(String name) throws IOException {
        return new ObjectMapper().readTree(Fixtures.path("eval/" + name).toFile());
    }

    private static CocoCaptionFiles files(String corpus) {
        return CocoCaptionFiles.read(Fixtures.path("eval/" + corpus + "_references.json"),
                Fixtures.path("eval/" + corpus + "_predictions.json"));
    }

    /** The README's tolerance: 1e-9 relative, and an expected 0 exactly. */
    private static void assertClose(double want, double got, String what) {
        if (want == 0) {
            assertEquals(0.0, got, what);
        } else {
            assertTrue(Math.abs(got - want) <= 1e-9 * Math.abs(want), what + ": want " + want + ", got " + got);
        }
    }

    private static void assertMatches(JsonNode expected, CaptionEvaluation<?> evaluation, int images) {
        assertEquals(CaptionScores.NAMES, List.copyOf(evaluation.corpus().asMap().keySet()));
        evaluation.corpus().asMap().forEach((metric, value) -> assertClose(expected.get(metric).asDouble(), value,
                metric));
        assertEquals(images, evaluation.perImage().size());
        evaluation.perImage().forEach((id, scores) -> scores.asMap().forEach((metric, value) -> {
            JsonNode want = expected.get("per_image").get(metric).get(id.toString());
            assertClose(want.asDouble(), value, metric + " of image " + id);
        }));
        for (String metric : CaptionScores.NAMES) {
            assertEquals(images, expected.get("per_image").get(metric).size(), metric);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"caption", "caption_single"})
    void theCocoFilesScoreAsPycocoevalcapScoresThem(String corpus) throws IOException {
        CocoCaptionFiles files = files(corpus);
        CaptionEvaluation<Object> evaluation = CaptionMetrics.tokenizing().evaluate(files.references(),
                files.predictions());
        assertMatches(fixture(corpus + "_metrics.json"), evaluation, corpus.equals("caption") ? 22 : 1);
    }

    /** The scorers alone, on the strings pycocoevalcap's tokenizer gave them. */
    @ParameterizedTest
    @ValueSource(strings = {"caption", "caption_single"})
    void pretokenizedCaptionsAreScoredAsTheyAre(String corpus) throws IOException {
        JsonNode tokenized = fixture(corpus + "_tokenized.json");
        Map<String, List<String>> references = new LinkedHashMap<>();
        Map<String, String> predictions = new LinkedHashMap<>();
        files(corpus).predictions().keySet().forEach(key -> {
            String id = key.toString();
            List<String> refs = new ArrayList<>();
            tokenized.get("references").get(id).forEach(r -> refs.add(r.asText()));
            references.put(id, refs);
            predictions.put(id, tokenized.get("predictions").get(id).asText());
        });
        CaptionEvaluation<String> evaluation = CaptionMetrics.pretokenized().evaluate(references, predictions);
        assertMatches(fixture(corpus + "_metrics.json"), evaluation, references.size());
        assertEquals(List.copyOf(references.keySet()), List.copyOf(evaluation.perImage().keySet()));
    }

    /**
     * Random tokenised corpora of 1 to 257 images with empty captions, runs of spaces and non-breaking spaces,
     * scored by pycocoevalcap itself ({@code eval/make_pycocoevalcap_cases.py} says how).
     */
    @Test
    void scoresRandomCorporaAsPycocoevalcapDoes() throws IOException {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/eval/pycocoevalcap_cases.json")) {
            cases = new ObjectMapper().readTree(in).get("cases");
        }
        int images = 0;
        for (JsonNode c : cases) {
            Map<String, List<String>> references = new LinkedHashMap<>();
            c.get("references").fields().forEachRemaining(e -> {
                List<String> refs = new ArrayList<>();
                e.getValue().forEach(r -> refs.add(r.asText()));
                references.put(e.getKey(), refs);
            });
            Map<String, String> predictions = new LinkedHashMap<>();
            c.get("predictions").fields().forEachRemaining(e -> predictions.put(e.getKey(), e.getValue().asText()));
            CaptionEvaluation<String> evaluation = CaptionMetrics.pretokenized().evaluate(references, predictions);
            evaluation.corpus().asMap().forEach((metric, value) -> assertClose(c.get("corpus").get(metric).asDouble(),
                    value, references.size() + " images: " + metric));
            List<String> ids = List.copyOf(evaluation.perImage().keySet());
            for (int i = 0; i < ids.size(); i++) {
                int image = i;
                evaluation.perImage().get(ids.get(i)).asMap().forEach((metric, value) -> assertClose(
                        c.get("per_image").get(metric).get(image).asDouble(), value, "image " + image + ": " + metric));
            }
            images += ids.size();
        }
        assertEquals(1 + 2 + 7 + 8 + 9 + 17 + 130 + 257, images);
    }

    @Test
    void theReadmeValuesAndEdgeCases() {
        CocoCaptionFiles files = files("caption");
        CaptionEvaluation<Object> all = CaptionMetrics.tokenizing().evaluate(files.references(), files.predictions());
        assertClose(1.8386928159190516, all.corpus().cider(), "CIDEr");
        // an exact match still pays the brevity penalty of the 1e-15 / 1e-9 terms
        assertClose(0.9999999997777782, all.perImage().get(100247L).bleu1(), "Bleu_1 of the exact match");
        // no matching 4-gram is small but not 0
        double bleu4 = all.perImage().get(100412L).bleu4();
        assertTrue(bleu4 > 5.7e-5 && bleu4 < 5.8e-5, "Bleu_4 of 100412: " + bleu4);
        CaptionEvaluation<Object> single = CaptionMetrics.tokenizing().evaluate(files("caption_single").references(),
                files("caption_single").predictions());
        assertEquals(0.0, single.corpus().cider());
        assertClose(0.875, single.corpus().rougeL(), "ROUGE_L");
    }

    /** Images are those with a prediction, in the references' order; CIDEr-D's idf comes from those alone. */
    @Test
    void onlyPredictedImagesAreEvaluatedInReferenceOrder() {
        Map<Integer, List<String>> references = new LinkedHashMap<>();
        references.put(3, List.of("a dog on a couch", "a brown dog sleeping"));
        references.put(1, List.of("a cat on a mat"));
        references.put(2, List.of("two birds in a tree"));
        Map<Integer, String> predictions = new LinkedHashMap<>();
        predictions.put(1, "a cat on a mat");
        predictions.put(3, "a dog on a bed");
        CaptionEvaluation<Integer> evaluation = CaptionMetrics.tokenizing().evaluate(references, predictions);
        assertEquals(List.of(3, 1), List.copyOf(evaluation.perImage().keySet()));
        Map<Integer, List<String>> twoImages = new LinkedHashMap<>(references);
        twoImages.remove(2);
        assertEquals(evaluation, CaptionMetrics.tokenizing().evaluate(twoImages, predictions));
    }

    @Test
    void refusesPredictionsWithoutReferences() {
        Map<String, List<String>> references = Map.of("a", List.of("a dog"), "b", List.of());
        CaptionMetrics metrics = CaptionMetrics.tokenizing();
        assertEquals("the prediction for image c has no references", assertThrows(IllegalArgumentException.class,
                () -> metrics.evaluate(references, Map.of("c", "a dog"))).getMessage());
        assertEquals("the prediction for image b has no references", assertThrows(IllegalArgumentException.class,
                () -> metrics.evaluate(references, Map.of("b", "a dog"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> metrics.evaluate(references, Map.of()));
    }

    /** Empty captions (all punctuation) score 0 without failing, as in the Python. */
    @Test
    void anEmptyCandidateScoresZero() {
        CaptionEvaluation<String> evaluation = CaptionMetrics.tokenizing().evaluate(
                Map.of("x", List.of("a dog on a beach"), "y", List.of("a cat")), Map.of("x", "...", "y", "a cat"));
        CaptionScores empty = evaluation.perImage().get("x");
        assertEquals(0.0, empty.bleu1());
        assertEquals(0.0, empty.rougeL());
        assertEquals(0.0, empty.cider());
    }
}
