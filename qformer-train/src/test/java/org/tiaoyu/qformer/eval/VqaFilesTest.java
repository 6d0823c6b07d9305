package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;

class VqaFilesTest {

    @TempDir
    Path dir;

    private static final String ANSWERS = """
            [{"answer_id": 1, "answer": "yes", "answer_confidence": "yes"},
             {"answer_id": 2, "answer": "no", "answer_confidence": "maybe"}]""";

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static void assertRefused(String message, Executable read) {
        BadInputException e = assertThrows(BadInputException.class, read);
        assertEquals(message, e.getMessage());
    }

    private Path annotations(String entries) throws IOException {
        return write("annotations.json", "{\"annotations\": [" + entries + "]}");
    }

    private static String annotation(long questionId, String answers) {
        return "{\"question_id\": " + questionId + ", \"image_id\": 5, \"question_type\": \"is the\", "
                + "\"answer_type\": \"yes/no\", \"multiple_choice_answer\": \"yes\", \"answers\": " + answers + "}";
    }

    @Test
    void readsTheOfficialLayoutsInFileOrder() {
        List<VqaAnnotation> annotations = VqaFiles.readAnnotations(Fixtures.path("eval/vqa_annotations.json"));
        assertEquals(32, annotations.size());
        assertEquals(new VqaAnnotation(262148000, 262148, "is this a", "yes/no",
                List.of("yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "Yes")), annotations.get(0));
        List<VqaQuestion> questions = VqaFiles.readQuestions(Fixtures.path("eval/vqa_questions.json"));
        assertEquals(new VqaQuestion(262148000, 262148, "Is this a kitchen?"), questions.get(0));
        assertEquals(32, questions.size());
        Map<Long, String> predictions = VqaFiles.readPredictions(Fixtures.path("eval/vqa_predictions.json"));
        assertEquals(annotations.stream().map(VqaAnnotation::questionId).toList(), List.copyOf(predictions.keySet()));
        assertEquals("yes\n", predictions.get(65540001L));
    }

    @Test
    void refusesMissingAndMistypedFieldsNamingTheFileAndEntry() throws IOException {
        Path noType = annotations(annotation(1, ANSWERS) + ", " + annotation(2, ANSWERS)
                .replace("\"question_type\": \"is the\", ", ""));
        assertRefused(noType + ": annotations[1]: no \"question_type\"", () -> VqaFiles.readAnnotations(noType));

        Path stringId = annotations(annotation(1, ANSWERS).replace("\"question_id\": 1", "\"question_id\": \"1\""));
        assertRefused(stringId + ": annotations[0]: \"question_id\" is not an integer: \"1\"",
                () -> VqaFiles.readAnnotations(stringId));

        Path numberAnswer = annotations(annotation(1, ANSWERS.replace("\"answer\": \"no\"", "\"answer\": 2")));
        assertRefused(numberAnswer + ": annotations[0].answers[1]: \"answer\" is not a string: 2",
                () -> VqaFiles.readAnnotations(numberAnswer));

        Path noAnswers = annotations(annotation(1, "[]"));
        assertRefused(noAnswers + ": annotations[0]: \"answers\" is not a non-empty list",
                () -> VqaFiles.readAnnotations(noAnswers));

        Path notObject = write("predictions.json", "[{\"question_id\": 1, \"answer\": \"yes\"}, 7]");
        assertRefused(notObject + ": [1] is not a JSON object", () -> VqaFiles.readPredictions(notObject));

        Path noQuestion = write("questions.json", "{\"questions\": [{\"question_id\": 1, \"image_id\": 5}]}");
        assertRefused(noQuestion + ": questions[0]: no \"question\"", () -> VqaFiles.readQuestions(noQuestion));
    }

    @Test
    void refusesDuplicateIds() throws IOException {
        Path annotations = annotations(annotation(1, ANSWERS) + ", " + annotation(1, ANSWERS));
        assertRefused(annotations + ": annotations[1]: duplicate question_id 1 (also annotations[0])",
                () -> VqaFiles.readAnnotations(annotations));

        // Records with the same answer_id and answer would be one human to evaluate's "other humans" test.
        Path answerIds = annotations(annotation(1, ANSWERS.replace("\"answer_id\": 2", "\"answer_id\": 1")));
        assertRefused(answerIds + ": annotations[0].answers[1]: duplicate answer_id 1 (also "
                + "annotations[0].answers[0])", () -> VqaFiles.readAnnotations(answerIds));

        Path questions = write("questions.json", """
                {"questions": [{"question_id": 4, "image_id": 5, "question": "Why?"},
                               {"question_id": 4, "image_id": 5, "question": "Why not?"}]}""");
        assertRefused(questions + ": questions[1]: duplicate question_id 4 (also questions[0])",
                () -> VqaFiles.readQuestions(questions));

        Path predictions = write("predictions.json", """
                [{"question_id": 1, "answer": "yes"}, {"question_id": 2, "answer": "no"},
                 {"question_id": 1, "answer": "no"}]""");
        assertRefused(predictions + ": [2]: duplicate question_id 1 (also [0])",
                () -> VqaFiles.readPredictions(predictions));
    }

    @Test
    void refusesEmptyAndMalformedFiles() throws IOException {
        Path empty = write("empty.json", "");
        assertRefused(empty + ": empty file", () -> VqaFiles.readPredictions(empty));
        assertRefused(empty + ": empty file", () -> VqaFiles.readAnnotations(empty));

        Path noPredictions = write("none.json", "[]");
        assertRefused(noPredictions + ": no predictions (an empty list)",
                () -> VqaFiles.readPredictions(noPredictions));
        Path noAnnotations = annotations("");
        assertRefused(noAnnotations + ": no annotations (\"annotations\" is an empty list)",
                () -> VqaFiles.readAnnotations(noAnnotations));

        Path object = write("object.json", "{\"question_id\": 1, \"answer\": \"yes\"}");
        assertRefused(object + ": not a VQA results file (a list of {\"question_id\", \"answer\"} objects)",
                () -> VqaFiles.readPredictions(object));
        assertRefused(object + ": not a VQA questions file (an object with a \"questions\" list)",
                () -> VqaFiles.readQuestions(object));

        Path truncated = write("truncated.json", "[{\"question_id\": 1, ");
        BadInputException e = assertThrows(BadInputException.class, () -> VqaFiles.readPredictions(truncated));
        assertEquals(truncated + ": not valid JSON", e.getMessage().substring(0, e.getMessage().indexOf(" (")));

        Path trailing = write("trailing.json", "[{\"question_id\": 1, \"answer\": \"yes\"}] []");
        e = assertThrows(BadInputException.class, () -> VqaFiles.readPredictions(trailing));
        assertEquals(trailing + ": not valid JSON", e.getMessage().substring(0, e.getMessage().indexOf(" (")));

        Path missing = dir.resolve("missing.json");
        assertRefused(missing + ": no such file", () -> VqaFiles.readAnnotations(missing));
        assertRefused(dir + ": not a file", () -> VqaFiles.readQuestions(dir));
    }

    @Test
    void refusesMultipleChoiceQuestionFiles() throws IOException {
        Path questions = write("questions.json", """
                {"task_type": "Multiple Choice", "questions": [{"question_id": 4, "image_id": 5, "question": "Why?",
                 "multiple_choices": ["yes", "no"]}]}""");
        assertRefused(questions + ": task_type \"Multiple Choice\" is not supported, only open-ended questions",
                () -> VqaFiles.readQuestions(questions));
    }

    /** loadRes asserts that the predicted question ids are the annotated ones, neither fewer nor more. */
    @Test
    void evaluationRefusesPredictionsThatDoNotMatchTheAnnotations() throws IOException {
        Path annotations = Fixtures.path("eval/vqa_annotations.json");
        Path questions = Fixtures.path("eval/vqa_questions.json");
        Path fewer = write("fewer.json", """
                [{"question_id": 262148000, "answer": "yes"}, {"question_id": 262148002, "answer": "4"},
                 {"question_id": 999, "answer": "no"}]""");
        assertRefused(fewer + ": no prediction for 30 of the 32 annotated questions (the first: question_id "
                + "262148001); 1 predictions for questions that are not annotated (the first: question_id 999) "
                + "(annotations: " + annotations + ")", () -> VqaAccuracy.evaluate(annotations, questions, fewer));

        Path badQuestions = write("questions.json", "{\"questions\": []}");
        assertRefused(badQuestions + ": no questions (\"questions\" is an empty list)",
                () -> VqaAccuracy.evaluate(annotations, badQuestions, Fixtures.path("eval/vqa_predictions.json")));
    }
}
