package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;

/** Against the numbers the official {@code VQAEval} computed for {@code testdata/eval} (its README). */
class VqaAccuracyTest {

    private static final double RELATIVE = 1e-9;

    private final Path annotations = Fixtures.path("eval/vqa_annotations.json");
    private final Path questions = Fixtures.path("eval/vqa_questions.json");
    private final Path predictions = Fixtures.path("eval/vqa_predictions.json");

    private static JsonNode fixture(String name) throws IOException {
        return new ObjectMapper().readTree(Fixtures.path("eval/" + name).toFile());
    }

    /** Within 1e-9 relative; an expected 0 must be exactly 0. */
    private static void assertClose(double want, double got, String what) {
        assertTrue(Math.abs(got - want) <= RELATIVE * Math.abs(want), what + ": want " + want + ", got " + got);
    }

    /** The map's keys as the JSON object lists them, and each value, rounded exactly and unrounded to 1e-9. */
    private static <K> void assertPercents(JsonNode rounded, JsonNode unrounded, Map<K, VqaPercent> got,
            Function<K, String> key, String what) {
        List<String> wantKeys = new ArrayList<>();
        rounded.fieldNames().forEachRemaining(wantKeys::add);
        assertEquals(wantKeys, got.keySet().stream().map(key).toList(), what + " keys, in order");
        got.forEach((k, percent) -> {
            String name = what + " " + key.apply(k);
            assertEquals(rounded.get(key.apply(k)).doubleValue(), percent.rounded(), name + " rounded");
            assertClose(unrounded.get(key.apply(k)).doubleValue(), percent.unrounded(), name + " unrounded");
        });
    }

    private static void assertOfficial(VqaResult result) throws IOException {
        JsonNode m = fixture("vqa_metrics.json");
        assertEquals(m.get("overall").doubleValue(), result.overall().rounded(), "overall");
        assertClose(m.get("overall_unrounded").doubleValue(), result.overall().unrounded(), "overall unrounded");
        assertPercents(m.get("perAnswerType"), m.get("perAnswerType_unrounded"), result.perAnswerType(),
                Function.identity(), "perAnswerType");
        assertPercents(m.get("perQuestionType"), m.get("perQuestionType_unrounded"), result.perQuestionType(),
                Function.identity(), "perQuestionType");
        assertPercents(m.get("per_question"), m.get("per_question_unrounded"), result.perQuestion(),
                String::valueOf, "per_question");
    }

    @Test
    void filesScoreAsTheOfficialEvaluation() throws IOException {
        VqaResult result = VqaAccuracy.evaluate(annotations, questions, predictions);
        assertOfficial(result);
        assertEquals(32, result.perQuestion().size());
        assertEquals(78.75, result.overall().rounded());
        assertEquals(78.57142857142857, result.perAnswerType().get("number").unrounded(), 1e-12);
    }

    @Test
    void plainDataScoresAsTheFiles() throws IOException {
        List<VqaAnnotation> list = VqaFiles.readAnnotations(annotations);
        Map<Long, String> predicted = VqaFiles.readPredictions(predictions);
        assertOfficial(VqaAccuracy.evaluate(list, predicted));
    }

    /** vqa_normalized.json: whether the official code normalised, and the strings it compared. */
    @Test
    void comparesTheStringsTheOfficialCodeCompared() throws IOException {
        JsonNode want = fixture("vqa_normalized.json");
        Map<Long, String> predicted = VqaFiles.readPredictions(predictions);
        List<VqaAnnotation> list = VqaFiles.readAnnotations(annotations);
        assertEquals(want.size(), list.size());
        for (VqaAnnotation a : list) {
            JsonNode w = want.get(String.valueOf(a.questionId()));
            VqaComparison c = VqaComparison.of(a.answers(), predicted.get(a.questionId()));
            String id = "question " + a.questionId();
            assertEquals(w.get("normalization_applied").booleanValue(), c.normalized(), id + " normalised");
            assertEquals(w.get("prediction").textValue(), c.prediction(), id + " prediction");
            List<String> answers = new ArrayList<>();
            w.get("answers").forEach(s -> answers.add(s.textValue()));
            assertEquals(answers, c.answers(), id + " answers");
        }
    }

    @Test
    void plainDataNeedsPredictionsForExactlyTheAnnotatedQuestions() {
        List<VqaAnnotation> list = List.of(
                new VqaAnnotation(1, 10, "is the", "yes/no", List.of("yes", "yes", "no")),
                new VqaAnnotation(2, 10, "how many", "number", List.of("2", "2", "two")),
                new VqaAnnotation(3, 10, "how many", "number", List.of("3", "3", "3")));
        Map<Long, String> predicted = new LinkedHashMap<>(Map.of(1L, "yes", 2L, "2", 3L, "3"));
        // With three humans each sees two others: 2/3 at best. The values are the official code's.
        VqaResult result = VqaAccuracy.evaluate(list, predicted);
        assertEquals(List.of(44.44, 66.67, 66.67), result.perQuestion().values().stream().map(VqaPercent::rounded)
                .toList());
        assertEquals(new VqaPercent(59.25925925925926, 59.26), result.overall());
        assertEquals(List.of("yes/no", "number"), List.copyOf(result.perAnswerType().keySet()));
        assertEquals(new VqaPercent(66.66666666666666, 66.67), result.perQuestionType().get("how many"));

        predicted.remove(2L);
        predicted.remove(3L);
        predicted.put(7L, "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VqaAccuracy.evaluate(list, predicted));
        assertEquals("no prediction for 2 of the 3 annotated questions (the first: question_id 2); 1 predictions "
                + "for questions that are not annotated (the first: question_id 7)", e.getMessage());

        List<VqaAnnotation> twice = List.of(list.get(0), list.get(0));
        assertThrows(IllegalArgumentException.class, () -> VqaAccuracy.evaluate(twice, Map.of(1L, "yes")));
        assertThrows(IllegalArgumentException.class, () -> VqaAccuracy.evaluate(List.of(), Map.of()));
    }
}
